/**
 * The chart's ServiceAccount, which the publisher role trusts: `helm install irsa-issuer` in the
 * namespace `irsa-issuer`, with `serviceAccount.name` set to the same name (the chart's own
 * default is the release's full name, which is this too). The Helm command bootstrap prints is
 * built from these, so the two cannot drift.
 */
export const chartNamespace = 'irsa-issuer';
export const chartServiceAccount = 'irsa-issuer';
export const chartRelease = 'irsa-issuer';
