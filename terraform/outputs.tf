output "issuer_url" {
  description = "The public issuer, exactly as tokens must carry it in \"iss\": kube-apiserver's new --service-account-issuer and the chart's issuer."
  value       = local.issuer
}

output "discovery_url" {
  description = "Where STS fetches the discovery document: ISSUER/.well-known/openid-configuration."
  value       = local.discovery_url
}

output "jwks_uri" {
  description = "Where STS fetches the keys: ISSUER/openid/v1/jwks, kube-apiserver's --service-account-jwks-uri."
  value       = local.jwks_uri
}

output "oidc_provider_arn" {
  description = "ARN of the IAM OIDC provider: the Principal.Federated of every workload role's trust policy."
  value       = local.oidc_provider_arn
}

output "oidc_provider_name" {
  description = "HOST/PATH of the issuer, the prefix of the trust-policy condition keys (\"HOST/PATH:sub\", \"HOST/PATH:aud\")."
  value       = local.provider_name
}

output "publisher_role_arn" {
  description = "ARN of the role the in-cluster job assumes (the chart's aws.roleArn); null when create_publisher_role = false."
  value       = var.create_publisher_role ? aws_iam_role.publisher[0].arn : null
}

output "publisher_role_name" {
  description = "Name of the publisher role; null when create_publisher_role = false."
  value       = var.create_publisher_role ? aws_iam_role.publisher[0].name : null
}

output "bucket_name" {
  description = "The bucket that holds the documents."
  value       = local.bucket
}

output "bucket_arn" {
  description = "ARN of the bucket that holds the documents."
  value       = local.bucket_arn
}

output "region" {
  description = "The bucket's region (the chart's aws.region)."
  value       = local.region
}

output "target" {
  description = "Where the in-cluster job publishes: s3://BUCKET/PREFIX (irsa-issuer --target). Implied by a default S3 issuer; pass it explicitly with issuer_url or CloudFront."
  value       = "s3://${local.bucket}${local.issuer_path}"
}

output "document_keys" {
  description = "Object keys of the two documents in the bucket, by document path."
  value       = local.document_keys
}

output "bucket_policy_json" {
  description = "The bucket policy the module writes (or, with manage_bucket_policy = false, would write): merge its statements into your own policy."
  value       = jsonencode(local.bucket_policy)
}

output "cloudfront_distribution_id" {
  description = "ID of the CloudFront distribution; null unless cloudfront.enabled."
  value       = var.cloudfront.enabled ? aws_cloudfront_distribution.this[0].id : null
}

output "cloudfront_domain_name" {
  description = "The distribution's own *.cloudfront.net name (point cloudfront.aliases at it); null unless cloudfront.enabled."
  value       = var.cloudfront.enabled ? aws_cloudfront_distribution.this[0].domain_name : null
}

output "apiserver_flags" {
  description = "kube-apiserver flags that make the cluster sign tokens for this issuer: the new --service-account-issuer first (it signs), then each of previous_issuers (so tokens issued before the change stay valid), then --service-account-jwks-uri."
  value = concat(
    ["--service-account-issuer=${local.issuer}"],
    [for issuer in var.previous_issuers : "--service-account-issuer=${issuer}"],
    ["--service-account-jwks-uri=${local.jwks_uri}"],
  )
}

output "helm_values" {
  description = "Values for the irsa-issuer Helm chart (issuer, aws.roleArn, aws.region), keyed for helm --set."
  value = merge(
    {
      "issuer"     = local.issuer
      "aws.region" = local.region
    },
    var.create_publisher_role ? { "aws.roleArn" = aws_iam_role.publisher[0].arn } : {},
  )
}

output "helm_values_yaml" {
  description = "The same values as a YAML values file (helm install -f)."
  value = yamlencode({
    issuer = local.issuer
    aws = merge(
      { region = local.region },
      var.create_publisher_role ? { roleArn = aws_iam_role.publisher[0].arn } : {},
    )
  })
}
