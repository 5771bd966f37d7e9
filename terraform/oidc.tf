# The IAM OIDC provider STS looks up by the token's "iss". Creating it, its client IDs and its tags
# stay with whoever applies this module; the in-cluster job may only keep its thumbprint current.

resource "aws_iam_openid_connect_provider" "this" {
  count = var.create_oidc_provider ? 1 : 0

  url            = local.issuer
  client_id_list = var.client_id_list
  # Omitted when empty: IAM then verifies publicly trusted certificates (S3, CloudFront) itself.
  thumbprint_list = length(var.thumbprint_list) > 0 ? var.thumbprint_list : null
  tags            = local.tags

  lifecycle {
    # When the jwks_uri host's certificate chain changes, the in-cluster job updates the thumbprint
    # (iam:UpdateOpenIDConnectProviderThumbprint). Reverting it on the next apply would lock every
    # workload out, so thumbprint_list only seeds a new provider.
    ignore_changes = [thumbprint_list]

    precondition {
      condition     = length(local.issuer) <= 255
      error_message = "The issuer ${local.issuer} is ${length(local.issuer)} characters long; IAM accepts OIDC provider URLs of at most 255. Use a shorter prefix or bucket name."
    }
  }

  # Created after, and destroyed before, what serves the documents: once the bucket is gone, anyone
  # may re-create its globally unique name and serve keys that a surviving provider would trust.
  depends_on = [aws_s3_bucket.this, aws_cloudfront_distribution.this]
}

data "aws_iam_openid_connect_provider" "existing" {
  count = var.create_oidc_provider ? 0 : 1

  url = local.issuer
}

locals {
  oidc_provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.this[0].arn : data.aws_iam_openid_connect_provider.existing[0].arn
}
