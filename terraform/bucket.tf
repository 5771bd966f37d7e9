# The bucket that serves the two documents. Only a bucket the module creates gets its ownership,
# Block Public Access and versioning managed here: on an existing bucket those settings belong to
# its owner, and the module never relaxes them.

resource "aws_s3_bucket" "this" {
  count = var.create_bucket ? 1 : 0

  bucket        = var.bucket_name
  force_destroy = var.force_destroy
  tags          = local.tags
}

# ACLs off (the default since 2023): public reads come from the bucket policy alone.
resource "aws_s3_bucket_ownership_controls" "this" {
  count = var.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

# Public ACLs stay blocked. A public bucket policy must be allowed for the anonymous GET that STS
# makes, so BlockPublicPolicy and RestrictPublicBuckets are off, unless CloudFront serves a
# private bucket.
resource "aws_s3_bucket_public_access_block" "this" {
  count = var.create_bucket ? 1 : 0

  bucket                  = aws_s3_bucket.this[0].id
  block_public_acls       = true
  ignore_public_acls      = true
  block_public_policy     = var.cloudfront.enabled
  restrict_public_buckets = var.cloudfront.enabled
}

resource "aws_s3_bucket_versioning" "this" {
  count = var.create_bucket ? 1 : 0

  bucket = aws_s3_bucket.this[0].id
  versioning_configuration {
    status = var.versioning ? "Enabled" : "Suspended"
  }
}

locals {
  # Anyone may GET exactly the two documents, nothing else: no listing, no other key.
  public_read_statement = {
    Sid       = "PublicReadIssuerDocuments"
    Effect    = "Allow"
    Principal = "*"
    Action    = "s3:GetObject"
    Resource  = local.document_arns
  }
  # With CloudFront, only this distribution may read them (Origin Access Control signs its requests).
  cloudfront_read_statement = var.cloudfront.enabled ? {
    Sid       = "CloudFrontReadIssuerDocuments"
    Effect    = "Allow"
    Principal = { Service = "cloudfront.amazonaws.com" }
    Action    = "s3:GetObject"
    Resource  = local.document_arns
    Condition = { StringEquals = { "AWS:SourceArn" = aws_cloudfront_distribution.this[0].arn } }
  } : null

  bucket_policy = {
    Version = "2012-10-17"
    Statement = concat(
      var.cloudfront.enabled ? [] : [local.public_read_statement],
      var.cloudfront.enabled ? [local.cloudfront_read_statement] : [],
      var.extra_bucket_policy_statements,
    )
  }
}

resource "aws_s3_bucket_policy" "this" {
  count = var.manage_bucket_policy ? 1 : 0

  bucket = local.bucket
  policy = jsonencode(local.bucket_policy)

  # A new bucket starts with every Block Public Access setting on, which refuses a public policy:
  # relax it first. Ownership controls first too, so no ACL can ever grant what the policy does not.
  depends_on = [aws_s3_bucket_public_access_block.this, aws_s3_bucket_ownership_controls.this]
}
