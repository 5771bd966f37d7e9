/**
 * A role's trust policy, evaluated for one web-identity request the way IAM documents it: an
 * explicit Deny wins, otherwise an Allow must match principal, action and every condition
 * (IAM User Guide, "Policy evaluation logic"). Only what IRSA trust policies use is implemented; a
 * policy using anything else makes the stand fail loudly rather than guess.
 */

export interface WebIdentityRequest {
  /** `arn:aws:iam::ACCOUNT:oidc-provider/HOST/PATH` */
  readonly providerArn: string;
  /** `HOST/PATH`: the prefix of the condition keys. */
  readonly providerName: string;
  readonly subject: string;
  /** The token audience that matched one of the provider's client IDs. */
  readonly audience: string;
}

/** A policy this stand cannot evaluate: a bug in the test, not a refusal by STS. */
export class UnsupportedPolicyError extends Error {
  override name = 'UnsupportedPolicyError';
}

const action = 'sts:AssumeRoleWithWebIdentity';

const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : value === undefined ? [] : [value]);

const strings = (value: unknown): string[] => list(value).filter((item): item is string => typeof item === 'string');

/** IAM's `*` and `?` wildcards (StringLike, and in actions). */
function wildcard(pattern: string, value: string, ignoreCase: boolean): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replaceAll('*', '.*')
    .replaceAll('?', '.');
  return new RegExp(`^${source}$`, ignoreCase ? 'is' : 's').test(value);
}

/**
 * The web-identity condition keys, `HOST/PATH:sub` and `HOST/PATH:aud` (IAM User Guide, "Available
 * keys for OIDC federation", reference_policies_iam-condition-keys.html#condition-keys-wif). Key
 * names compare case-insensitively. `:amr`, `:oaud` and `:azp` are absent from a Kubernetes token
 * and so absent here.
 */
function contextKeys(request: WebIdentityRequest): Map<string, string> {
  return new Map([
    [`${request.providerName}:sub`.toLowerCase(), request.subject],
    [`${request.providerName}:aud`.toLowerCase(), request.audience],
  ]);
}

type Matcher = (pattern: string, value: string) => boolean;

/** Condition operators and whether they are negated (IAM User Guide, "Condition operators"). */
const operators: Readonly<Record<string, { readonly match: Matcher; readonly negated: boolean }>> = {
  StringEquals: { match: (pattern, value) => pattern === value, negated: false },
  StringNotEquals: { match: (pattern, value) => pattern === value, negated: true },
  StringEqualsIgnoreCase: { match: (pattern, value) => pattern.toLowerCase() === value.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: {
    match: (pattern, value) => pattern.toLowerCase() === value.toLowerCase(),
    negated: true,
  },
  StringLike: { match: (pattern, value) => wildcard(pattern, value, false), negated: false },
  StringNotLike: { match: (pattern, value) => wildcard(pattern, value, false), negated: true },
};

/**
 * One operator block. Several values for a key are OR-ed, several keys AND-ed. A key missing from
 * the request fails a positive operator and passes a negated one ("If the policy condition requires
 * that the key is not matched, such as StringNotLike ..., and the right key is not present, the
 * condition is true"); `...IfExists` passes when the key is missing.
 */
function conditionHolds(operatorName: string, block: unknown, keys: Map<string, string>): boolean {
  const ifExists = operatorName.endsWith('IfExists');
  const operator = operators[ifExists ? operatorName.slice(0, -'IfExists'.length) : operatorName];
  if (operator === undefined || typeof block !== 'object' || block === null) {
    throw new UnsupportedPolicyError(`the STS stand does not evaluate the condition operator ${operatorName}`);
  }
  return Object.entries(block).every(([key, patterns]) => {
    const value = keys.get(key.toLowerCase());
    if (value === undefined) return ifExists || operator.negated;
    const matched = strings(patterns).some((pattern) => operator.match(pattern, value));
    return operator.negated ? !matched : matched;
  });
}

function statementApplies(statement: Record<string, unknown>, request: WebIdentityRequest): boolean {
  for (const unsupported of ['NotPrincipal', 'NotAction', 'NotResource']) {
    if (unsupported in statement) throw new UnsupportedPolicyError(`the STS stand does not evaluate ${unsupported}`);
  }
  const { Principal: principal, Action: actions, Condition: condition = {} } = statement;
  const federated =
    principal === '*'
      ? ['*']
      : typeof principal === 'object' && principal !== null
        ? strings((principal as { Federated?: unknown }).Federated)
        : [];
  if (!federated.some((name) => name === '*' || name === request.providerArn)) return false;
  if (!strings(actions).some((pattern) => wildcard(pattern, action, true))) return false;
  if (typeof condition !== 'object' || condition === null)
    throw new UnsupportedPolicyError('a Condition that is not an object');
  const keys = contextKeys(request);
  return Object.entries(condition).every(([operatorName, block]) => conditionHolds(operatorName, block, keys));
}

/** IAM returns the document URL-encoded (GetRole's AssumeRolePolicyDocument); moto does too. */
function parsePolicy(document: string): Record<string, unknown>[] {
  const text = document.trimStart().startsWith('{') ? document : decodeURIComponent(document);
  const policy = JSON.parse(text) as { Statement?: unknown };
  return list(policy.Statement).filter(
    (statement): statement is Record<string, unknown> => typeof statement === 'object' && statement !== null,
  );
}

/** Whether the role's trust policy lets this token's identity assume it. */
export function trustAllows(document: string, request: WebIdentityRequest): boolean {
  const applying = parsePolicy(document).filter((statement) => statementApplies(statement, request));
  if (applying.some((statement) => statement.Effect === 'Deny')) return false;
  return applying.some((statement) => statement.Effect === 'Allow');
}
