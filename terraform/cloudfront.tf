# Optional: a CloudFront distribution with Origin Access Control in front of a private bucket, for
# accounts whose guardrails forbid public buckets. STS fetches https://HOST/PREFIX/... from CloudFront,
# which reads the same object keys from the bucket with signed requests.

resource "aws_cloudfront_origin_access_control" "this" {
  count = var.cloudfront.enabled ? 1 : 0

  name                              = "irsa-issuer-${var.cluster_name}"
  description                       = "irsa-issuer documents of ${var.bucket_name}"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_distribution" "this" {
  count = var.cloudfront.enabled ? 1 : 0

  enabled         = true
  comment         = "irsa-issuer ${var.cluster_name}"
  aliases         = var.cloudfront.aliases
  price_class     = var.cloudfront.price_class
  is_ipv6_enabled = true
  tags            = local.tags

  origin {
    origin_id                = "irsa-issuer"
    domain_name              = "${var.bucket_name}.s3.${local.region}.${data.aws_partition.current.dns_suffix}"
    origin_access_control_id = aws_cloudfront_origin_access_control.this[0].id
  }

  default_cache_behavior {
    target_origin_id       = "irsa-issuer"
    viewer_protocol_policy = "https-only"
    allowed_methods        = ["GET", "HEAD"]
    cached_methods         = ["GET", "HEAD"]
    compress               = true
    # The managed CachingOptimized policy: honours the objects' Cache-Control (max-age=300), so a
    # rotated key set reaches STS within minutes.
    cache_policy_id = "658327ea-f89d-4fab-a63d-7e88639e58f6"
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = length(var.cloudfront.aliases) == 0
    acm_certificate_arn            = var.cloudfront.acm_certificate_arn
    ssl_support_method             = var.cloudfront.acm_certificate_arn == null ? null : "sni-only"
    minimum_protocol_version       = var.cloudfront.acm_certificate_arn == null ? "TLSv1" : "TLSv1.2_2021"
  }
}
