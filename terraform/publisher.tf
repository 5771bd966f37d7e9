# The role the in-cluster job assumes with its own service-account token, through the very issuer it
# maintains. Write access to the JWKS is the power to assume every role that trusts the issuer, so
# it gets the least a steady state needs. The actions live in publisher-actions.json, which
# `irsa-issuer bootstrap` reads too: one list, two writers of the same policy.

locals {
  publisher_actions   = jsondecode(file("${path.module}/publisher-actions.json"))
  publisher_role_name = var.publisher_role_name != null ? var.publisher_role_name : "irsa-issuer-${var.cluster_name}"
  publisher_subject   = "system:serviceaccount:${var.service_account_namespace}:${var.service_account_name}"

  publisher_trust_policy = {
    Version = "2012-10-17"
    Statement = [{
      Sid       = "IrsaIssuerJob"
      Effect    = "Allow"
      Principal = { Federated = local.oidc_provider_arn }
      Action    = "sts:AssumeRoleWithWebIdentity"
      Condition = {
        StringEquals = {
          "${local.provider_name}:sub" = local.publisher_subject
          "${local.provider_name}:aud" = "sts.amazonaws.com"
        }
      }
    }]
  }

  publisher_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReadWriteIssuerDocuments"
        Effect   = "Allow"
        Action   = local.publisher_actions.objects
        Resource = local.publisher_arns
      },
      {
        # Listing limited to the job's keys: a missing object then reads as absent, not as
        # AccessDenied, so the first-publish and foreign-issuer guards see the truth.
        Sid       = "ListIssuerDocuments"
        Effect    = "Allow"
        Action    = local.publisher_actions.bucket
        Resource  = local.bucket_arn
        Condition = { StringEquals = { "s3:prefix" = local.publisher_keys } }
      },
      {
        Sid      = "KeepOidcProviderThumbprint"
        Effect   = "Allow"
        Action   = local.publisher_actions.provider
        Resource = local.oidc_provider_arn
      },
      {
        # ListOpenIDConnectProviders supports no resource-level scoping.
        Sid      = "FindOidcProvider"
        Effect   = "Allow"
        Action   = local.publisher_actions.account
        Resource = "*"
      },
    ]
  }
}

resource "aws_iam_role" "publisher" {
  count = var.create_publisher_role ? 1 : 0

  name                 = local.publisher_role_name
  path                 = var.publisher_role_path
  description          = "irsa-issuer in-cluster job for ${var.cluster_name}: publishes the issuer documents of ${local.issuer}"
  assume_role_policy   = jsonencode(local.publisher_trust_policy)
  permissions_boundary = var.publisher_role_permissions_boundary
  tags                 = local.tags
}

resource "aws_iam_role_policy" "publisher" {
  count = var.create_publisher_role ? 1 : 0

  name   = "irsa-issuer-publisher"
  role   = aws_iam_role.publisher[0].id
  policy = jsonencode(local.publisher_policy)
}
