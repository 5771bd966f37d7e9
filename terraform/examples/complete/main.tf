# Bucket, IAM OIDC provider and the in-cluster publisher's role. The documents are published by the
# in-cluster job (the Helm chart), so this state never holds key material.

provider "aws" {
  region = var.region
}

module "irsa_issuer" {
  source = "../.."

  cluster_name     = var.cluster_name
  bucket_name      = var.bucket_name
  prefix           = var.prefix
  issuer_url       = var.issuer_url
  thumbprint_list  = var.thumbprint_list
  previous_issuers = var.previous_issuers
  force_destroy    = var.force_destroy
  tags             = var.tags
}
