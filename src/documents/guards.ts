import { IssuerMismatchError } from '../errors.js';
import { apiServerFlags, type Issuer } from '../issuer.js';

function mismatchRefusal(issuer: Issuer, clusterIssuer: string, note: string): IssuerMismatchError {
  const flags = apiServerFlags(issuer, clusterIssuer).map((flag) => `  ${flag}`);
  return new IssuerMismatchError(
    [
      `${note}, so STS would reject every token it signs. Nothing was written.`,
      'Set these kube-apiserver flags (the new, public issuer first; the old one after it keeps already-issued ' +
        'tokens valid):',
      ...flags,
      'To publish before the cluster switches (a migration), pass --allow-issuer-mismatch.',
    ].join('\n'),
  );
}

/**
 * Tokens carry the cluster's issuer in `iss`; STS looks the provider up by that string. Publishing
 * for another issuer would look healthy and fail every AssumeRoleWithWebIdentity.
 */
export function checkIssuerMatches(
  issuer: Issuer,
  clusterIssuer: string | undefined,
  allowMismatch: boolean,
): string | undefined {
  if (clusterIssuer === undefined || clusterIssuer === issuer.url) return undefined;
  const note = `The cluster signs tokens for issuer ${clusterIssuer}, not ${issuer.url}`;
  if (!allowMismatch) throw mismatchRefusal(issuer, clusterIssuer, note);
  return (
    `${note}; publishing anyway (--allow-issuer-mismatch). ` +
    "STS will reject this cluster's tokens until the API server uses the public issuer."
  );
}
