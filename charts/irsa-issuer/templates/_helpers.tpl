{{/* Names, as `helm create` spells them: DNS labels of at most 63 characters. */}}
{{- define "irsa-issuer.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "irsa-issuer.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "irsa-issuer.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "irsa-issuer.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.create is false: set serviceAccount.name to the existing ServiceAccount the job runs as." .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "irsa-issuer.selectorLabels" -}}
app.kubernetes.io/name: {{ include "irsa-issuer.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "irsa-issuer.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{ include "irsa-issuer.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: issuer-publisher
app.kubernetes.io/part-of: irsa-issuer
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "irsa-issuer.image" -}}
{{- $repository := required "image.repository is empty: set it to the repository you pushed the irsa-issuer image to (built from the repository's Dockerfile)." .Values.image.repository }}
{{- if .Values.image.digest }}
{{- printf "%s@%s" $repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" $repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/*
The AWS region the web-identity credentials talk to STS in: `region`, else the one an issuer of
the form https://BUCKET.s3.REGION.amazonaws.com/PREFIX names (https://BUCKET.s3.amazonaws.com is
us-east-1), as the CLI derives it for S3.
*/}}
{{- define "irsa-issuer.awsRegion" -}}
{{- $host := regexReplaceAll "^https://([^/]+).*$" .Values.issuer "${1}" }}
{{- if .Values.region }}
{{- .Values.region }}
{{- else if regexMatch "^[a-z0-9][a-z0-9-]*\\.s3[.-][a-z0-9-]+\\.amazonaws\\.com$" $host }}
{{- $region := regexReplaceAll "^[a-z0-9][a-z0-9-]*\\.s3[.-]([a-z0-9-]+)\\.amazonaws\\.com$" $host "${1}" }}
{{- if eq $region "external-1" }}us-east-1{{ else }}{{ $region }}{{ end }}
{{- else if regexMatch "^[a-z0-9][a-z0-9-]*\\.s3\\.amazonaws\\.com$" $host }}
{{- "us-east-1" }}
{{- else }}
{{- fail (printf "aws.roleArn needs the STS region, and the issuer %s is not an S3 bucket URL to imply one from: set region (e.g. --set region=eu-west-1)." .Values.issuer) }}
{{- end }}
{{- end }}

{{/* Settings that the schema cannot check because they span several values. */}}
{{- define "irsa-issuer.validate" -}}
{{- if and .Values.aws.roleArn .Values.aws.existingSecret }}
{{- fail "aws.roleArn and aws.existingSecret are both set; choose one. After the first run has created the IAM OIDC provider, remove aws.existingSecret (the job then authenticates with IRSA through its own issuer); before that, remove aws.roleArn." }}
{{- end }}
{{- if and .Values.proxy.https .Values.proxy.existingSecret }}
{{- fail "proxy.https and proxy.existingSecret are both set; choose one (a proxy URL with credentials belongs in the Secret)." }}
{{- end }}
{{- if and (eq .Values.mode "daemon") (ge (int .Values.daemon.shutdownGraceSeconds) (int .Values.daemon.terminationGracePeriodSeconds)) }}
{{- fail (printf "daemon.shutdownGraceSeconds (%d) must be less than daemon.terminationGracePeriodSeconds (%d), or Kubernetes kills a run in flight before it can finish." (int .Values.daemon.shutdownGraceSeconds) (int .Values.daemon.terminationGracePeriodSeconds)) }}
{{- end }}
{{- end }}

{{/*
The sync settings, one `--flag=value` argument each (visible in `kubectl describe`, unlike
environment variables), shared by `sync` (cronjob) and `daemon`.
*/}}
{{- define "irsa-issuer.syncArgs" -}}
- {{ printf "--issuer=%s" .Values.issuer | quote }}
{{- with .Values.target }}
- {{ printf "--target=%s" . | quote }}
{{- end }}
{{- with .Values.s3Endpoint }}
- {{ printf "--s3-endpoint=%s" . | quote }}
{{- end }}
{{- with .Values.region }}
- {{ printf "--region=%s" . | quote }}
{{- end }}
{{- range .Values.audiences }}
- {{ printf "--audience=%s" . | quote }}
{{- end }}
{{- range $key, $value := .Values.tags }}
- {{ printf "--tag=%s=%s" $key $value | quote }}
{{- end }}
{{- range .Values.thumbprints }}
- {{ printf "--thumbprint=%s" . | quote }}
{{- end }}
{{- range .Values.aws.accountRoles }}
- {{ printf "--account-role=%s" . | quote }}
{{- end }}
{{- with .Values.cacheControl }}
- {{ printf "--cache-control=%s" . | quote }}
{{- end }}
{{- if .Values.verify }}
- "--verify"
{{- end }}
{{- if not .Values.register }}
- "--no-register"
{{- end }}
- {{ printf "--log-level=%s" .Values.logLevel | quote }}
- {{ printf "--output=%s" .Values.output | quote }}
{{- if .Values.extraCaCertificates.configMap }}
- {{ printf "--ca-file=%s" (include "irsa-issuer.caFile" .) | quote }}
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end }}

{{/* Where the extra CA bundle is mounted. */}}
{{- define "irsa-issuer.caFile" -}}
{{- printf "/etc/irsa-issuer/ca/%s" .Values.extraCaCertificates.key }}
{{- end }}

{{/*
The egress environment: the proxy for https:// and http:// destinations (the CLI reads HTTPS_PROXY
and HTTP_PROXY, as kubectl and the AWS CLI do), NO_PROXY with it, and the extra CA for Node itself.
*/}}
{{- define "irsa-issuer.egressEnv" -}}
{{- $secret := .Values.proxy.existingSecret }}
{{- range $name := list "HTTPS_PROXY" "HTTP_PROXY" }}
{{- if $.Values.proxy.https }}
- name: {{ $name }}
  value: {{ $.Values.proxy.https | quote }}
{{- else if $secret }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ $secret | quote }}
      key: {{ $.Values.proxy.existingSecretKey | quote }}
{{- end }}
{{- end }}
{{- if and (or .Values.proxy.https $secret) .Values.proxy.noProxy }}
- name: NO_PROXY
  value: {{ join "," .Values.proxy.noProxy | quote }}
{{- end }}
{{- if .Values.extraCaCertificates.configMap }}
- name: NODE_EXTRA_CA_CERTS
  value: {{ include "irsa-issuer.caFile" . | quote }}
{{- end }}
{{- end }}

{{/* The AWS credentials environment: (a) IRSA through the projected token, (b) a Secret, (c) none. */}}
{{- define "irsa-issuer.awsEnv" -}}
{{- if .Values.aws.roleArn }}
- name: AWS_ROLE_ARN
  value: {{ .Values.aws.roleArn | quote }}
- name: AWS_WEB_IDENTITY_TOKEN_FILE
  value: {{ printf "%s/token" (include "irsa-issuer.tokenDirectory" .) | quote }}
- name: AWS_REGION
  value: {{ include "irsa-issuer.awsRegion" . | quote }}
- name: AWS_STS_REGIONAL_ENDPOINTS
  value: regional
{{- else if .Values.aws.existingSecret }}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ .Values.aws.existingSecret | quote }}
      key: {{ .Values.aws.accessKeyIdKey | quote }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.aws.existingSecret | quote }}
      key: {{ .Values.aws.secretAccessKeyKey | quote }}
{{- with .Values.aws.sessionTokenKey }}
- name: AWS_SESSION_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ $.Values.aws.existingSecret | quote }}
      key: {{ . | quote }}
{{- end }}
{{- end }}
{{- end }}

{{/* Where the projected token for STS is mounted; the EKS webhook's layout, with STS's audience. */}}
{{- define "irsa-issuer.tokenDirectory" -}}
/var/run/secrets/sts.amazonaws.com/serviceaccount
{{- end }}

{{/* The pod, for the CronJob's job template and for the Deployment alike. */}}
{{- define "irsa-issuer.podTemplate" -}}
metadata:
  labels:
    {{- include "irsa-issuer.labels" . | nindent 4 }}
    {{- with .Values.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.podAnnotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
spec:
  serviceAccountName: {{ include "irsa-issuer.serviceAccountName" . }}
  # The job reads the issuer documents from the API server with its own service-account token.
  automountServiceAccountToken: true
  enableServiceLinks: false
  {{- if eq .Values.mode "cronjob" }}
  restartPolicy: Never
  {{- else }}
  terminationGracePeriodSeconds: {{ int .Values.daemon.terminationGracePeriodSeconds }}
  {{- end }}
  {{- with .Values.priorityClassName }}
  priorityClassName: {{ . | quote }}
  {{- end }}
  {{- with .Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  securityContext:
    {{- toYaml .Values.podSecurityContext | nindent 4 }}
  containers:
    - name: irsa-issuer
      image: {{ include "irsa-issuer.image" . | quote }}
      imagePullPolicy: {{ .Values.image.pullPolicy }}
      args:
        {{- if eq .Values.mode "cronjob" }}
        - sync
        {{- else }}
        - daemon
        - {{ printf "--schedule=%s" .Values.schedule | quote }}
        - {{ printf "--listen=:%d" (int .Values.daemon.port) | quote }}
        - {{ printf "--shutdown-grace=%d" (int .Values.daemon.shutdownGraceSeconds) | quote }}
        {{- end }}
        {{- include "irsa-issuer.syncArgs" . | nindent 8 }}
      {{- $env := printf "%s\n%s" (include "irsa-issuer.awsEnv" .) (include "irsa-issuer.egressEnv" .) | trim }}
      {{- if or $env .Values.extraEnv }}
      env:
        {{- with $env }}
        {{- . | trim | nindent 8 }}
        {{- end }}
        {{- with .Values.extraEnv }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
      {{- end }}
      {{- if eq .Values.mode "daemon" }}
      ports:
        - name: http
          containerPort: {{ int .Values.daemon.port }}
          protocol: TCP
      livenessProbe:
        httpGet: {path: /healthz, port: http}
        periodSeconds: 10
        timeoutSeconds: 3
        failureThreshold: 3
      # Ready once the last run succeeded and is younger than two schedule intervals.
      readinessProbe:
        httpGet: {path: /readyz, port: http}
        periodSeconds: 10
        timeoutSeconds: 3
        failureThreshold: 1
      {{- end }}
      resources:
        {{- toYaml .Values.resources | nindent 8 }}
      securityContext:
        {{- toYaml .Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: tmp
          mountPath: /tmp
        {{- if .Values.extraCaCertificates.configMap }}
        - name: extra-ca-certificates
          mountPath: /etc/irsa-issuer/ca
          readOnly: true
        {{- end }}
        {{- if .Values.aws.roleArn }}
        - name: aws-web-identity-token
          mountPath: {{ include "irsa-issuer.tokenDirectory" . }}
          readOnly: true
        {{- end }}
  volumes:
    - name: tmp
      emptyDir: {sizeLimit: 64Mi}
    {{- with .Values.extraCaCertificates.configMap }}
    - name: extra-ca-certificates
      configMap:
        name: {{ . | quote }}
        items:
          - key: {{ $.Values.extraCaCertificates.key | quote }}
            path: {{ $.Values.extraCaCertificates.key | quote }}
    {{- end }}
    {{- if .Values.aws.roleArn }}
    # No webhook injects this off EKS: a token for STS's audience, rotated by the kubelet.
    - name: aws-web-identity-token
      projected:
        sources:
          - serviceAccountToken:
              audience: sts.amazonaws.com
              expirationSeconds: {{ int .Values.aws.tokenExpirationSeconds }}
              path: token
    {{- end }}
  {{- with .Values.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with .Values.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
