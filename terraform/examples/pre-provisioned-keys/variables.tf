variable "region" {
  description = "AWS region of the bucket."
  type        = string
  default     = "eu-west-1"
}

variable "cluster_name" {
  description = "Name of the cluster."
  type        = string
  default     = "prod"
}

variable "bucket_name" {
  description = "S3 bucket for the issuer documents (globally unique, no dots)."
  type        = string
}

variable "prefix" {
  description = "Key prefix of the documents, and the issuer's path."
  type        = string
  default     = "clusters/prod"
}

variable "issuer_url" {
  description = "Another name that serves the bucket's PREFIX (custom domain); null for https://BUCKET.s3.REGION.amazonaws.com/PREFIX."
  type        = string
  default     = null
}

variable "thumbprint_list" {
  description = "Thumbprints for a jwks_uri host whose certificate no public CA signed (irsa-issuer thumbprint https://HOST); empty for S3."
  type        = list(string)
  default     = []
}

variable "force_destroy" {
  description = "Let terraform destroy delete the bucket with its objects (never in production)."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every resource."
  type        = map(string)
  default     = {}
}

variable "documents_dir" {
  description = "Directory written by irsa-issuer render --out (relative to where Terraform runs)."
  type        = string
  default     = "documents"
}
