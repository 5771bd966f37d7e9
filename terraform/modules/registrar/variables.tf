variable "publisher_role_arn" {
  description = "ARN of the publisher role (the in-cluster job's, in the issuer's home account): the only principal that may assume the registrar role."
  type        = string

  validation {
    condition     = can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", var.publisher_role_arn))
    error_message = "publisher_role_arn must be a role ARN: arn:aws:iam::ACCOUNT:role/NAME."
  }
}

variable "issuer_url" {
  description = "The public issuer URL, exactly as tokens carry it in \"iss\" (https://HOST[/PATH]). The role may manage only this issuer's OIDC provider in this account."
  type        = string

  validation {
    condition     = can(regex("^https://[^/?#@]+(/[^?#]*[^/?#])?$", var.issuer_url))
    error_message = "issuer_url must be https://HOST[/PATH], without a query, fragment or trailing slash."
  }
}

variable "cluster_name" {
  description = "The cluster's name: the role is irsa-issuer-registrar-<cluster_name> (cut to IAM's 64 characters) unless role_name is set, and tagged irsa-issuer/cluster=<cluster_name>."
  type        = string
}

variable "external_id" {
  description = "When set, the role demands it as sts:ExternalId; pass --account-role ROLE_ARN#EXTERNAL_ID (the account_role output)."
  type        = string
  default     = null

  validation {
    # RE2 caps a repeat count at 1000, so the length is checked apart.
    condition     = var.external_id == null ? true : (length(var.external_id) >= 2 && length(var.external_id) <= 1224 && can(regex("^[A-Za-z0-9_+=,.@:/-]+$", var.external_id)))
    error_message = "external_id must be 2 to 1224 characters of letters, digits and +=,.@:/-_ (what STS accepts)."
  }
}

variable "role_name" {
  description = "Name of the registrar role. null: irsa-issuer-registrar-<cluster_name>."
  type        = string
  default     = null
}

variable "tags" {
  description = "More tags for the role (the irsa-issuer/* ones are always set)."
  type        = map(string)
  default     = {}
}
