output "issuer_url" {
  description = "The public issuer."
  value       = module.irsa_issuer.issuer_url
}

output "jwks_uri" {
  description = "The public JWKS URL."
  value       = module.irsa_issuer.jwks_uri
}

output "oidc_provider_arn" {
  description = "The IAM OIDC provider: Principal.Federated of workload roles."
  value       = module.irsa_issuer.oidc_provider_arn
}

output "publisher_role_arn" {
  description = "The in-cluster job's role."
  value       = module.irsa_issuer.publisher_role_arn
}

output "target" {
  description = "Where the in-cluster job publishes (--target)."
  value       = module.irsa_issuer.target
}

output "apiserver_flags" {
  description = "Flags for kube-apiserver."
  value       = module.irsa_issuer.apiserver_flags
}

output "helm_values" {
  description = "Values for the Helm chart, keyed for --set."
  value       = module.irsa_issuer.helm_values
}

output "helm_values_yaml" {
  description = "Values for the Helm chart, as a values file (helm install -f)."
  value       = module.irsa_issuer.helm_values_yaml
}
