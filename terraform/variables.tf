variable "cluster_name" {
  description = "Name of the cluster this issuer belongs to. Names the publisher role (irsa-issuer-CLUSTER_NAME) and tags every resource."
  type        = string
  nullable    = false

  validation {
    # IAM role names are at most 64 characters of [A-Za-z0-9+=,.@_-]; "irsa-issuer-" takes 12.
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,52}$", var.cluster_name))
    error_message = "cluster_name must be 1 to 52 characters of letters, digits and + = , . @ _ - (it becomes part of the IAM role name irsa-issuer-CLUSTER_NAME, at most 64 characters)."
  }
}

variable "bucket_name" {
  description = "S3 bucket that serves the issuer's two documents. Created by the module unless create_bucket = false."
  type        = string
  nullable    = false

  validation {
    condition     = length(var.bucket_name) >= 3 && length(var.bucket_name) <= 63
    error_message = "bucket_name must be 3 to 63 characters long (S3 bucket naming rules)."
  }
  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]*[a-z0-9]$", var.bucket_name)) && !strcontains(var.bucket_name, "..")
    error_message = "bucket_name may hold only lower-case letters, digits, dots and hyphens, must begin and end with a letter or digit, and must not contain two adjacent dots (S3 bucket naming rules)."
  }
  validation {
    condition     = !can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+\\.[0-9]+$", var.bucket_name))
    error_message = "bucket_name must not look like an IP address (S3 bucket naming rules)."
  }
  validation {
    condition = !anytrue(concat(
      [for reserved in ["xn--", "sthree-", "amzn-s3-demo-"] : startswith(var.bucket_name, reserved)],
      [for reserved in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] : endswith(var.bucket_name, reserved)],
    ))
    error_message = "bucket_name uses a prefix (xn--, sthree-, amzn-s3-demo-) or suffix (-s3alias, --ol-s3, .mrap, --x-s3, --table-s3) that S3 reserves."
  }
  validation {
    # https://BUCKET.s3.REGION.amazonaws.com is served with a *.s3.REGION.amazonaws.com certificate,
    # which covers one DNS label: a dotted bucket name fails TLS and STS cannot fetch the documents.
    condition     = var.issuer_url != null || var.cloudfront.enabled || !strcontains(var.bucket_name, ".")
    error_message = "bucket_name contains dots, so the default issuer https://BUCKET.s3.REGION.amazonaws.com fails TLS (S3's wildcard certificate covers one label) and STS cannot fetch it. Use a bucket name without dots, or serve the bucket under another name (issuer_url, or cloudfront)."
  }
}

variable "prefix" {
  description = "Key prefix of the documents in the bucket, and the path of the default issuer: https://BUCKET.s3.REGION.amazonaws.com/PREFIX. Empty for the bucket's root."
  type        = string
  default     = ""
  nullable    = false

  validation {
    # Unreserved URL characters only, so the issuer's path and the object keys are the same string.
    condition     = var.prefix == "" || alltrue([for segment in split("/", var.prefix) : can(regex("^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$", segment))])
    error_message = "prefix must be slash-separated segments of letters, digits and . _ ~ - (no leading or trailing slash, no empty, \".\" or \"..\" segment, no segment starting with a dot), e.g. \"clusters/prod\"."
  }
  validation {
    condition     = length(var.prefix) <= 128
    error_message = "prefix must be at most 128 characters: the issuer URL it is part of may be at most 255."
  }
}

variable "issuer_url" {
  description = "The public issuer, exactly as tokens will carry it in \"iss\". Default: https://BUCKET.s3.REGION.amazonaws.com/PREFIX (or the CloudFront distribution's URL when cloudfront.enabled). Set it when another name serves the bucket's PREFIX: a custom domain, a CloudFront alias you manage yourself."
  type        = string
  default     = null

  validation {
    condition     = var.issuer_url == null ? true : startswith(var.issuer_url, "https://")
    error_message = "issuer_url must start with https://: STS fetches the discovery document over HTTPS only."
  }
  validation {
    condition     = var.issuer_url == null ? true : !strcontains(var.issuer_url, "?")
    error_message = "issuer_url must not carry a query: OIDC issuers have none, and IAM refuses one."
  }
  validation {
    condition     = var.issuer_url == null ? true : !strcontains(var.issuer_url, "#")
    error_message = "issuer_url must not carry a fragment: OIDC issuers have none."
  }
  validation {
    condition     = var.issuer_url == null ? true : !strcontains(split("/", trimprefix(var.issuer_url, "https://"))[0], "@")
    error_message = "issuer_url must not carry user info (user@host): OIDC issuers have none."
  }
  validation {
    # One spelling everywhere: kube-apiserver's flag, the provider URL and the trust-policy condition keys.
    condition     = var.issuer_url == null ? true : !endswith(var.issuer_url, "/")
    error_message = "issuer_url must not end with a slash: tokens would carry a different \"iss\" than the provider and the condition keys name. Drop the trailing slash."
  }
  validation {
    condition     = var.issuer_url == null ? true : length(var.issuer_url) <= 255
    error_message = "issuer_url must be at most 255 characters: IAM's limit for an OIDC provider URL."
  }
  validation {
    # STS compares "iss" byte for byte, so only the canonical spelling is accepted: lower-case host,
    # no default port, no empty, "." or ".." path segment.
    condition     = var.issuer_url == null ? true : can(regex("^https://[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:[0-9]+)?(/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)*$", var.issuer_url))
    error_message = "issuer_url must be canonical, as STS compares it byte for byte: https://HOST[/PATH] with a lower-case DNS name or IPv4 address, path segments of letters, digits and . _ ~ - (none empty or starting with a dot)."
  }
  validation {
    # OIDC allows a port, but IAM's API says a provider URL should not carry one and STS fetches the
    # documents on 443 only. The AWS provider also stores such a URL without its scheme and then
    # plans to replace the provider on every run (a window with no provider, every workload locked out).
    condition     = var.issuer_url == null ? true : !can(regex("^https://[^/]*:[0-9]*(/|$)", var.issuer_url))
    error_message = "issuer_url must not carry a port: IAM's API says an OIDC provider URL should not have one, STS fetches the documents on port 443 only, and the AWS provider would replace a provider whose URL has one on every apply. Serve the documents on 443 and drop the port."
  }
}

variable "create_bucket" {
  description = "Create the bucket (with ownership controls, Block Public Access that allows only the policy-granted reads, and versioning). false: use an existing bucket named bucket_name; the module then manages only its bucket policy (manage_bucket_policy) and, with documents_dir, the two objects, and never relaxes that bucket's Block Public Access."
  type        = bool
  default     = true
  nullable    = false
}

variable "versioning" {
  description = "Enable versioning on the bucket the module creates, so an overwritten key set can be restored."
  type        = bool
  default     = true
  nullable    = false
}

variable "force_destroy" {
  description = "Let terraform destroy delete the created bucket with every object version in it. Keep false in production: deleting the bucket frees its globally unique name, and whoever re-creates it can serve keys that any surviving provider for this issuer trusts."
  type        = bool
  default     = false
  nullable    = false
}

variable "manage_bucket_policy" {
  description = "Write the bucket policy: anonymous s3:GetObject on exactly the two documents (or, with cloudfront.enabled, the distribution's read), plus extra_bucket_policy_statements. It replaces any policy the bucket has; set false and merge the bucket_policy_json output into your own policy instead."
  type        = bool
  default     = true
  nullable    = false
}

variable "extra_bucket_policy_statements" {
  description = "IAM policy statements (objects in the JSON policy grammar, e.g. { Sid = \"...\", Effect = \"Deny\", Principal = \"*\", Action = \"s3:*\", Resource = [...], Condition = {...} }) appended to the bucket policy."
  type        = any
  default     = []
  nullable    = false

  validation {
    condition     = can(concat(var.extra_bucket_policy_statements, [])) && try(alltrue([for statement in var.extra_bucket_policy_statements : contains(["Allow", "Deny"], statement.Effect)]), false)
    error_message = "extra_bucket_policy_statements must be a list of statement objects, each with Effect = \"Allow\" or \"Deny\"."
  }
}

variable "documents_dir" {
  description = "A directory written by `irsa-issuer render --public-key-file ... --out DIR` (DIR/.well-known/openid-configuration and DIR/openid/v1/jwks), for a cluster that does not exist yet: Terraform uploads both documents. null (the default): the in-cluster job publishes them and the Terraform state never holds key material. A relative path is relative to the directory Terraform runs in; prefer \"$${path.root}/DIR\"."
  type        = string
  default     = null

  validation {
    condition     = var.documents_dir == null ? true : fileexists("${var.documents_dir}/.well-known/openid-configuration") && fileexists("${var.documents_dir}/openid/v1/jwks")
    error_message = "documents_dir must hold .well-known/openid-configuration and openid/v1/jwks, as `irsa-issuer render --issuer ISSUER --public-key-file KEY.pub --out DIR` writes them."
  }
}

variable "cache_control" {
  description = "Cache-Control of the documents Terraform uploads (documents_dir). Keep it equal to the in-cluster job's --cache-control (default max-age=300), so the two never rewrite each other's objects."
  type        = string
  default     = "max-age=300"
  nullable    = false

  validation {
    condition     = length(trimspace(var.cache_control)) > 0
    error_message = "cache_control must not be empty."
  }
}

variable "create_oidc_provider" {
  description = "Create the IAM OIDC provider for the issuer. false: look up the existing one for the issuer (it must exist)."
  type        = bool
  default     = true
  nullable    = false
}

variable "client_id_list" {
  description = "Client IDs (audiences) the IAM OIDC provider accepts. IRSA tokens carry sts.amazonaws.com."
  type        = list(string)
  default     = ["sts.amazonaws.com"]
  nullable    = false

  validation {
    condition     = length(var.client_id_list) >= 1 && length(var.client_id_list) <= 100
    error_message = "client_id_list must hold 1 to 100 client IDs (IAM's limits)."
  }
  validation {
    condition     = alltrue([for id in var.client_id_list : length(id) >= 1 && length(id) <= 255]) && length(distinct(var.client_id_list)) == length(var.client_id_list)
    error_message = "client_id_list entries must be distinct and 1 to 255 characters long."
  }
}

variable "thumbprint_list" {
  description = "Server certificate thumbprints for the provider (SHA-1 of the last certificate the jwks_uri host presents, 40 lower-case hex digits). Leave empty for S3 and CloudFront: IAM verifies their publicly trusted certificates itself. For another host, `irsa-issuer thumbprint https://HOST` computes it. Used when the provider is created; afterwards the in-cluster job keeps the thumbprint current (iam:UpdateOpenIDConnectProviderThumbprint), so Terraform ignores later changes instead of reverting them."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = length(var.thumbprint_list) <= 5
    error_message = "thumbprint_list may hold at most 5 thumbprints (IAM's limit)."
  }
  validation {
    condition     = alltrue([for thumbprint in var.thumbprint_list : can(regex("^[0-9a-f]{40}$", thumbprint))])
    error_message = "thumbprint_list entries must be 40 lower-case hex digits (a SHA-1 fingerprint without colons), as `irsa-issuer thumbprint` prints them."
  }
}

variable "create_publisher_role" {
  description = "Create the IAM role the in-cluster job (the Helm chart) assumes with its service-account token: GetObject/PutObject on the two documents, a prefix-scoped ListBucket, and reads plus UpdateOpenIDConnectProviderThumbprint on this one provider (terraform/publisher-actions.json)."
  type        = bool
  default     = true
  nullable    = false
}

variable "publisher_role_name" {
  description = "Name of the publisher role. Default: irsa-issuer-CLUSTER_NAME."
  type        = string
  default     = null

  validation {
    condition     = var.publisher_role_name == null ? true : can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.publisher_role_name))
    error_message = "publisher_role_name must be 1 to 64 characters of letters, digits and + = , . @ _ - (IAM role name rules)."
  }
}

variable "publisher_role_path" {
  description = "IAM path of the publisher role."
  type        = string
  default     = "/"
  nullable    = false

  validation {
    condition     = can(regex("^/([\\x21-\\x7e]{0,510}/)?$", var.publisher_role_path))
    error_message = "publisher_role_path must begin and end with a slash, e.g. \"/irsa-issuer/\" (IAM path rules)."
  }
}

variable "publisher_role_permissions_boundary" {
  description = "ARN of a managed policy to set as the publisher role's permissions boundary, if your account requires one."
  type        = string
  default     = null

  validation {
    condition     = var.publisher_role_permissions_boundary == null ? true : can(regex("^arn:aws[a-z-]*:iam::([0-9]{12}|aws):policy/.+$", var.publisher_role_permissions_boundary))
    error_message = "publisher_role_permissions_boundary must be an IAM policy ARN, e.g. arn:aws:iam::123456789012:policy/boundary."
  }
}

variable "service_account_namespace" {
  description = "Namespace of the in-cluster job's ServiceAccount; the publisher role trusts only tokens of system:serviceaccount:NAMESPACE:NAME. Lock this namespace down: whoever can run pods as that ServiceAccount can rewrite the issuer's keys."
  type        = string
  default     = "irsa-issuer"
  nullable    = false

  validation {
    condition     = length(var.service_account_namespace) <= 63 && can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", var.service_account_namespace))
    error_message = "service_account_namespace must be a Kubernetes namespace name (DNS-1123 label: lower-case letters, digits and -, at most 63)."
  }
}

variable "service_account_name" {
  description = "Name of the in-cluster job's ServiceAccount (the Helm chart's default is irsa-issuer)."
  type        = string
  default     = "irsa-issuer"
  nullable    = false

  validation {
    condition     = length(var.service_account_name) <= 253 && can(regex("^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$", var.service_account_name))
    error_message = "service_account_name must be a Kubernetes ServiceAccount name (DNS-1123 subdomain: lower-case letters, digits, - and ., at most 253)."
  }
}

variable "previous_issuers" {
  description = "The cluster's current --service-account-issuer value(s), e.g. kubeadm's https://kubernetes.default.svc.cluster.local. The apiserver_flags output lists them after the new issuer, so tokens issued before the change stay valid."
  type        = list(string)
  default     = []
  nullable    = false

  validation {
    condition     = alltrue([for issuer in var.previous_issuers : can(regex("^https?://[^?#\\s]+$", issuer))])
    error_message = "previous_issuers entries must be issuer URLs as kube-apiserver's --service-account-issuer takes them (no query, fragment or whitespace)."
  }
}

variable "cloudfront" {
  description = "Serve the documents through a CloudFront distribution with Origin Access Control, for accounts that may not have a public bucket. The bucket then stays fully private (all four Block Public Access settings on), the bucket policy grants only this distribution, and the issuer is https://ALIAS/PREFIX (the first alias) or https://DISTRIBUTION.cloudfront.net/PREFIX. aliases need acm_certificate_arn, a certificate in us-east-1."
  type = object({
    enabled             = bool
    aliases             = optional(list(string), [])
    acm_certificate_arn = optional(string)
    price_class         = optional(string, "PriceClass_100")
  })
  default  = { enabled = false }
  nullable = false

  validation {
    condition     = length(var.cloudfront.aliases) == 0 || var.cloudfront.acm_certificate_arn != null
    error_message = "cloudfront.aliases need cloudfront.acm_certificate_arn: an ACM certificate in us-east-1 that covers them."
  }
  validation {
    condition     = alltrue([for alias in var.cloudfront.aliases : can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$", alias))])
    error_message = "cloudfront.aliases must be lower-case DNS names, e.g. oidc.example.com (the first one becomes the issuer's host)."
  }
  validation {
    condition     = contains(["PriceClass_All", "PriceClass_200", "PriceClass_100"], var.cloudfront.price_class)
    error_message = "cloudfront.price_class must be PriceClass_All, PriceClass_200 or PriceClass_100."
  }
  validation {
    condition     = !(var.cloudfront.enabled && var.issuer_url != null)
    error_message = "Set either cloudfront.enabled (the issuer is then the distribution's URL) or issuer_url, not both."
  }
}

variable "tags" {
  description = "Tags for every resource the module creates."
  type        = map(string)
  default     = {}
  nullable    = false
}
