# For a cluster that does not exist yet: its service-account signing key is generated first, the
# documents are rendered from the public half, and Terraform uploads them with the rest, so the
# cluster's very first tokens are already accepted by STS:
#
#   openssl genrsa -out sa.key 2048 && openssl rsa -in sa.key -pubout -out sa.pub
#   irsa-issuer render --issuer https://BUCKET.s3.REGION.amazonaws.com/PREFIX \
#     --public-key-file sa.pub --out documents
#
# The issuer is the one this module computes (or your issuer_url); a plan refuses documents rendered
# for another issuer, an empty key set and private key material. Once the cluster runs the in-cluster
# job, hand the documents over to it (see terraform/README.md).

provider "aws" {
  region = var.region
}

module "irsa_issuer" {
  source = "../.."

  cluster_name    = var.cluster_name
  bucket_name     = var.bucket_name
  prefix          = var.prefix
  issuer_url      = var.issuer_url
  thumbprint_list = var.thumbprint_list
  documents_dir   = var.documents_dir
  force_destroy   = var.force_destroy
  tags            = var.tags
}
