# The registrar role of one account: apply this module in every account whose workloads' roles must
# trust the cluster's issuer, and pass each role_arn to irsa-issuer as --account-role (chart value
# aws.accountRoles). The publisher role assumes it to keep the issuer's OIDC provider right there.
# irsa-issuer builds the same documents (src/accounts/registrar.ts); test/terraform/registrar.test.ts
# holds the two to each other.

data "aws_partition" "current" {}
data "aws_caller_identity" "current" {}

locals {
  # The publisher's provider actions, shared with the root module and bootstrap, plus what only the
  # first registration in an account needs: creating the provider with its tags, and the audiences.
  publisher_actions = jsondecode(file("${path.module}/../../publisher-actions.json"))
  registrar_actions = concat(local.publisher_actions.provider, [
    "iam:CreateOpenIDConnectProvider",
    "iam:TagOpenIDConnectProvider",
    "iam:AddClientIDToOpenIDConnectProvider",
    "iam:RemoveClientIDFromOpenIDConnectProvider",
  ])
  role_name         = var.role_name != null ? var.role_name : substr("irsa-issuer-registrar-${var.cluster_name}", 0, 64)
  provider_name     = trimprefix(var.issuer_url, "https://")
  oidc_provider_arn = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:oidc-provider/${local.provider_name}"

  trust_policy = {
    Version = "2012-10-17"
    Statement = [merge(
      {
        Sid       = "IrsaIssuerPublisher"
        Effect    = "Allow"
        Principal = { AWS = var.publisher_role_arn }
        Action    = "sts:AssumeRole"
      },
      var.external_id == null ? {} : { Condition = { StringEquals = { "sts:ExternalId" = var.external_id } } },
    )]
  }

  permissions = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid      = "ReconcileOidcProvider"
        Effect   = "Allow"
        Action   = local.registrar_actions
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

resource "aws_iam_role" "registrar" {
  name               = local.role_name
  description        = "Registrar (irsa-issuer) of ${var.cluster_name}: keeps the OIDC provider of ${var.issuer_url}"
  assume_role_policy = jsonencode(local.trust_policy)
  tags = merge(var.tags, {
    "irsa-issuer/managed-by" = "irsa-issuer"
    "irsa-issuer/cluster"    = var.cluster_name
    "irsa-issuer/issuer"     = var.issuer_url
  })
}

resource "aws_iam_role_policy" "registrar" {
  name   = "irsa-issuer-registrar"
  role   = aws_iam_role.registrar.id
  policy = jsonencode(local.permissions)
}
