# Only with documents_dir: upload what `irsa-issuer render --out DIR` wrote, for a cluster that does
# not exist yet. By default the in-cluster job publishes the documents and Terraform never sees
# key material. Same bytes, Content-Type and Cache-Control as the job writes, so while the keys are
# unchanged neither rewrites the other's objects.

locals {
  discovery_source = var.documents_dir == null ? null : "${var.documents_dir}/.well-known/openid-configuration"
  jwks_source      = var.documents_dir == null ? null : "${var.documents_dir}/openid/v1/jwks"

  discovery_document = var.documents_dir == null ? null : try(jsondecode(file(local.discovery_source)), null)
  jwks_document      = var.documents_dir == null ? null : try(jsondecode(file(local.jwks_source)), null)
  jwks_keys          = try(local.jwks_document.keys, [])
  # Members only a private key has (RFC 7518 section 6): publishing one hands out the power to sign tokens.
  private_members = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"]
  render_command  = "irsa-issuer render --issuer ${local.issuer} --public-key-file KEY.pub --out ${coalesce(var.documents_dir, "DIR")}"
}

# The JWKS first, as the job writes them: the discovery document never names a key set that is not
# there yet.
resource "aws_s3_object" "jwks" {
  count = var.documents_dir == null ? 0 : 1

  bucket        = local.bucket
  key           = local.jwks_key
  source        = local.jwks_source
  etag          = filemd5(local.jwks_source)
  content_type  = "application/json"
  cache_control = var.cache_control
  tags          = local.tags

  lifecycle {
    precondition {
      condition     = length(local.jwks_keys) > 0 && alltrue([for jwk in local.jwks_keys : can(jwk.kid)])
      error_message = "${local.jwks_source} is not a key set with at least one key, each with a kid: STS would accept no token. Render it from the cluster's public keys: ${local.render_command}"
    }
    precondition {
      condition     = alltrue([for jwk in local.jwks_keys : length(setintersection(keys(jwk), local.private_members)) == 0])
      error_message = "${local.jwks_source} holds private key material (one of ${join(", ", local.private_members)}): publishing it would let anyone sign tokens for this issuer. Never upload it; treat that key as compromised, rotate it, and render the JWKS from public keys only: ${local.render_command}"
    }
  }
}

resource "aws_s3_object" "discovery" {
  count = var.documents_dir == null ? 0 : 1

  bucket        = local.bucket
  key           = local.discovery_key
  source        = local.discovery_source
  etag          = filemd5(local.discovery_source)
  content_type  = "application/json"
  cache_control = var.cache_control
  tags          = local.tags

  lifecycle {
    precondition {
      condition     = try(local.discovery_document.issuer, null) == local.issuer
      error_message = "${local.discovery_source} names issuer ${try(jsonencode(local.discovery_document.issuer), "(none: not a discovery document)")}, but this module's issuer is ${local.issuer}: STS would reject every token. Render it again: ${local.render_command}"
    }
    precondition {
      condition     = try(local.discovery_document.jwks_uri, null) == local.jwks_uri
      error_message = "${local.discovery_source} names jwks_uri ${try(jsonencode(local.discovery_document.jwks_uri), "(none)")}, not ${local.jwks_uri}, the key set this module publishes. Render it again: ${local.render_command}"
    }
  }

  depends_on = [aws_s3_object.jwks]
}
