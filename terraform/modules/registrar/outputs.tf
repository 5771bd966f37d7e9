output "role_arn" {
  description = "ARN of the registrar role."
  value       = aws_iam_role.registrar.arn
}

output "account_role" {
  description = "What to pass to irsa-issuer as --account-role (chart value aws.accountRoles): the role ARN, with #EXTERNAL_ID when one is set."
  value       = var.external_id == null ? aws_iam_role.registrar.arn : "${aws_iam_role.registrar.arn}#${var.external_id}"
}

output "oidc_provider_arn" {
  description = "The provider this role may manage: the issuer's, in this account."
  value       = local.oidc_provider_arn
}
