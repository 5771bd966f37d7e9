# The issuer and everything derived from it, computed once: every resource and output names the
# issuer through these locals, so kube-apiserver's flag, the provider URL, the trust-policy
# condition keys and the object keys cannot drift apart.

data "aws_partition" "current" {}

# `id` is the region's name in both provider 5.x and 6.x (6.x deprecates `name`).
data "aws_region" "current" {}

locals {
  partition = data.aws_partition.current.partition
  region    = data.aws_region.current.id

  # The object keys, exactly as irsa-issuer publishes them (src/issuer.ts: discoveryPath, jwksPath).
  key_prefix    = var.prefix == "" ? "" : "${var.prefix}/"
  discovery_key = "${local.key_prefix}.well-known/openid-configuration"
  jwks_key      = "${local.key_prefix}openid/v1/jwks"
  document_keys = {
    ".well-known/openid-configuration" = local.discovery_key
    "openid/v1/jwks"                   = local.jwks_key
  }

  bucket_arn    = "arn:${local.partition}:s3:::${var.bucket_name}"
  document_arns = [for key in values(local.document_keys) : "${local.bucket_arn}/${key}"]
  # The job also keeps a record of exposed key IDs beside the documents (src/issuer.ts:
  # exposedKidsPath): its to read and write, not the public's.
  publisher_keys = concat(values(local.document_keys), ["${local.key_prefix}openid/v1/exposed-kids"])
  publisher_arns = [for key in local.publisher_keys : "${local.bucket_arn}/${key}"]
  bucket         = var.create_bucket ? aws_s3_bucket.this[0].bucket : var.bucket_name

  issuer_path = var.prefix == "" ? "" : "/${var.prefix}"
  # S3's virtual-hosted name in the region's partition (amazonaws.com, amazonaws.com.cn, ...).
  s3_issuer         = "https://${var.bucket_name}.s3.${local.region}.${data.aws_partition.current.dns_suffix}${local.issuer_path}"
  cloudfront_host   = var.cloudfront.enabled ? (length(var.cloudfront.aliases) > 0 ? var.cloudfront.aliases[0] : aws_cloudfront_distribution.this[0].domain_name) : null
  cloudfront_issuer = var.cloudfront.enabled ? "https://${local.cloudfront_host}${local.issuer_path}" : null
  issuer            = var.issuer_url != null ? var.issuer_url : (var.cloudfront.enabled ? local.cloudfront_issuer : local.s3_issuer)

  # What IAM calls the provider (HOST/PATH): the suffix of its ARN and of the condition keys.
  provider_name = trimprefix(local.issuer, "https://")
  discovery_url = "${local.issuer}/.well-known/openid-configuration"
  jwks_uri      = "${local.issuer}/openid/v1/jwks"

  tags = merge({ "irsa-issuer/cluster" = var.cluster_name }, var.tags)
}
