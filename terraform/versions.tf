terraform {
  # 1.9: a variable's validation may refer to another variable (bucket_name checks issuer_url).
  required_version = ">= 1.9.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.81.0 is the first release in which aws_iam_openid_connect_provider.thumbprint_list is
      # optional (hashicorp/terraform-provider-aws#37255); before it, the provider refuses a
      # provider without thumbprints, which IAM no longer needs for S3's certificates.
      version = ">= 5.81.0"
    }
  }
}
