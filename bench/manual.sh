#!/usr/bin/env bash
# The pipeline a platform engineer scripts by hand to do what `irsa-issuer sync` does, run by
# bench/run.ts beside it against the same stand-ins (design.md, "The problem"): read both documents
# from the API server, rewrite the discovery document for the public issuer, copy both to S3 (JWKS
# first), thumbprint the LAST certificate the jwks_uri host presents, and create the IAM OIDC
# provider or update its thumbprint. It checks nothing that irsa-issuer checks (no guard, no
# conditional write): it is the floor of what such a script costs, not an equivalent.
#
# Environment: KUBECONFIG_FILE, KUBE_CONTEXT, ISSUER, BUCKET, PREFIX, S3_ENDPOINT, IAM_ENDPOINT,
# TLS_HOST (host:port of the jwks_uri host), and AWS credentials/region.
set -euo pipefail
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

kubectl --kubeconfig "$KUBECONFIG_FILE" --context "$KUBE_CONTEXT" get --raw /.well-known/openid-configuration >"$work/cluster-discovery"
kubectl --kubeconfig "$KUBECONFIG_FILE" --context "$KUBE_CONTEXT" get --raw /openid/v1/jwks >"$work/jwks"

jq -c --arg issuer "$ISSUER" '.issuer = $issuer | .jwks_uri = ($issuer + "/openid/v1/jwks")' \
  "$work/cluster-discovery" >"$work/discovery"

aws s3 cp --quiet --endpoint-url "$S3_ENDPOINT" --content-type application/json --cache-control max-age=300 \
  "$work/jwks" "s3://$BUCKET/$PREFIX/openid/v1/jwks"
aws s3 cp --quiet --endpoint-url "$S3_ENDPOINT" --content-type application/json --cache-control max-age=300 \
  "$work/discovery" "s3://$BUCKET/$PREFIX/.well-known/openid-configuration"

# The last certificate the server presents (not the leaf, not a root from the local store).
openssl s_client -connect "$TLS_HOST" -showcerts </dev/null 2>/dev/null |
  awk '/-----BEGIN CERTIFICATE-----/ { cert = "" } { cert = cert $0 "\n" } /-----END CERTIFICATE-----/ { last = cert } END { printf "%s", last }' \
    >"$work/last.pem"
thumbprint="$(openssl x509 -in "$work/last.pem" -noout -fingerprint -sha1 | cut -d= -f2 | tr -d : | tr 'A-F' 'a-f')"

provider_url="${ISSUER#https://}"
arn="$(aws iam list-open-id-connect-providers --endpoint-url "$IAM_ENDPOINT" --output json |
  jq -r --arg suffix ":oidc-provider/$provider_url" '.OpenIDConnectProviderList[].Arn | select(endswith($suffix))')"
if [ -z "$arn" ]; then
  aws iam create-open-id-connect-provider --endpoint-url "$IAM_ENDPOINT" --url "$ISSUER" \
    --client-id-list sts.amazonaws.com --thumbprint-list "$thumbprint" >/dev/null
else
  aws iam get-open-id-connect-provider --endpoint-url "$IAM_ENDPOINT" --open-id-connect-provider-arn "$arn" >/dev/null
  aws iam update-open-id-connect-provider-thumbprint --endpoint-url "$IAM_ENDPOINT" \
    --open-id-connect-provider-arn "$arn" --thumbprint-list "$thumbprint"
fi
