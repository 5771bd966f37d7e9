/**
 * The command lines verify's fixes suggest, in one place. Each `irsa-issuer …` a fix names must be
 * one the CLI accepts as written (test/verify/fix-commands.test.ts runs every one through the
 * parser). sync publishes an issuer in one spelling only, without a trailing slash; an issuer that
 * tokens carry with one (AKS) is served by its platform, and verify only checks it (design.md,
 * "Safety guards").
 */
import { parseIssuer, verifyIssuerRules, type Issuer } from '../issuer.js';

/** `irsa-issuer sync --issuer URL [flags]`, or undefined for an issuer sync does not publish. */
export function syncCommandLine(issuer: Issuer, ...flags: string[]): string | undefined {
  if (issuer.url.endsWith('/')) return undefined;
  return ['irsa-issuer sync --issuer', issuer.url, ...flags].join(' ');
}

/**
 * `irsa-issuer register --issuer URL [flags]`: creates or reconciles the provider for any issuer
 * that is already public, a trailing slash included.
 */
export function registerCommandLine(issuer: Issuer, ...flags: string[]): string {
  return ['irsa-issuer register --issuer', issuer.url, ...flags].join(' ');
}

/**
 * What (re)publishes the documents, as a phrase that follows "with": the sync command, or, for an
 * issuer irsa-issuer does not publish, whatever serves it.
 */
export function publishWith(issuer: Issuer): string {
  return (
    syncCommandLine(issuer) ??
    `whatever serves ${issuer.url} (irsa-issuer never publishes an issuer with a trailing slash; one like AKS's is ` +
      `served by its platform)`
  );
}

/** `irsa-issuer verify --issuer URL` when verify takes that URL, else undefined. */
export function verifyCommandLine(url: string): string | undefined {
  try {
    parseIssuer(url, verifyIssuerRules);
  } catch {
    return undefined;
  }
  return `irsa-issuer verify --issuer ${url}`;
}

/** The role's name from its ARN (`arn:aws:iam::ACCOUNT:role/PATH/NAME`): what `aws iam get-role` takes. */
export function roleNameOf(roleArn: string): string {
  return roleArn.slice(roleArn.lastIndexOf('/') + 1);
}
