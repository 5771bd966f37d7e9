/**
 * Whether a bucket policy already denies what STS does: an anonymous s3:GetObject of the documents.
 * An explicit Deny wins over any Allow, so merging our statement beside one would look done and
 * serve nothing. Conditions cannot be evaluated here (STS's address, headers): a conditional Deny
 * is a warning, except the common "deny plain HTTP", which STS (HTTPS only) never meets.
 */
import { isJsonObject } from '../json.js';

/** IAM's wildcards: `*` any run of characters, `?` one; case-insensitive for actions. */
function matches(pattern: string, value: string, ignoreCase: boolean): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${escaped}$`, ignoreCase ? 'i' : '').test(value);
}

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function coversAnonymous(statement: Record<string, unknown>): boolean {
  if ('NotPrincipal' in statement) return true;
  const principal = statement.Principal;
  if (principal === '*') return true;
  return isJsonObject(principal) && strings(principal.AWS).includes('*');
}

function coversGetObject(statement: Record<string, unknown>): boolean {
  if ('NotAction' in statement) return !strings(statement.NotAction).some((a) => matches(a, 's3:GetObject', true));
  return strings(statement.Action).some((action) => matches(action, 's3:GetObject', true));
}

function coversDocuments(statement: Record<string, unknown>, arns: readonly string[]): boolean {
  if ('NotResource' in statement) {
    const excluded = strings(statement.NotResource);
    return arns.some((arn) => !excluded.some((pattern) => matches(pattern, arn, false)));
  }
  return arns.some((arn) => strings(statement.Resource).some((pattern) => matches(pattern, arn, false)));
}

/** `{"Bool": {"aws:SecureTransport": "false"}}`: denies plain HTTP only. */
function onlyDeniesPlainHttp(condition: unknown): boolean {
  if (!isJsonObject(condition)) return false;
  const keys = Object.keys(condition);
  if (keys.length !== 1 || keys[0] !== 'Bool') return false;
  const bool = condition.Bool;
  if (!isJsonObject(bool)) return false;
  return (
    Object.keys(bool).length === 1 &&
    strings(bool['aws:SecureTransport']).every((value) => value.toLowerCase() === 'false')
  );
}

export interface DenyFinding {
  /** The statement (its Sid, or its position) that certainly denies the read. */
  readonly refused?: string;
  readonly warnings: readonly string[];
}

export function deniesAnonymousRead(statements: readonly unknown[], arns: readonly string[]): DenyFinding {
  const warnings: string[] = [];
  for (const [index, statement] of statements.entries()) {
    if (!isJsonObject(statement) || statement.Effect !== 'Deny') continue;
    if (!coversAnonymous(statement) || !coversGetObject(statement) || !coversDocuments(statement, arns)) continue;
    const name = typeof statement.Sid === 'string' ? `Sid ${statement.Sid}` : `statement ${index + 1}`;
    if (statement.Condition === undefined) return { refused: name, warnings };
    if (!onlyDeniesPlainHttp(statement.Condition)) {
      warnings.push(
        `The bucket policy's ${name} denies s3:GetObject of the documents under a condition bootstrap cannot ` +
          'evaluate; if STS meets it, it cannot read them (the verify step says so).',
      );
    }
  }
  return { warnings };
}
