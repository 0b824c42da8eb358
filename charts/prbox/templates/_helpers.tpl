{{/* The release's full name: <release>-prbox, or the release name when it already says prbox. */}}
{{- define "prbox.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "prbox.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "prbox.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: {{ include "prbox.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component (server, worker, redis). */}}
{{- define "prbox.selector" -}}
app.kubernetes.io/name: {{ include "prbox.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "prbox.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "prbox.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* The username the API server gives prbox's pods: the admission policy matches it. */}}
{{- define "prbox.serviceAccountUser" -}}
system:serviceaccount:{{ .Release.Namespace }}:{{ include "prbox.serviceAccountName" . }}
{{- end -}}

{{- define "prbox.environmentClusterRole" -}}
{{- printf "%s-environment" (include "prbox.fullname" .) -}}
{{- end -}}

{{- define "prbox.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Settings the schema cannot express across keys: one clear message each. */}}
{{- define "prbox.validate" -}}
{{- if not (or .Values.github.enabled .Values.gitlab.enabled) -}}
{{- fail "prbox serves no forge: set github.enabled=true (with github.existingSecret) or gitlab.enabled=true (with gitlab.existingSecret)" -}}
{{- end -}}
{{- if and .Values.redis.internal.enabled .Values.redis.existingSecret -}}
{{- fail "redis: set either redis.existingSecret (your Redis's URL) or redis.internal.enabled=true, not both" -}}
{{- end -}}
{{- if not (or .Values.redis.internal.enabled .Values.redis.existingSecret) -}}
{{- fail "redis: prbox needs a persistent Redis; set redis.existingSecret to a Secret holding its URL (key redis.urlKey), or redis.internal.enabled=true" -}}
{{- end -}}
{{- end -}}

{{/* Hardened container settings, the same for every container of the chart. */}}
{{- define "prbox.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: [ALL]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* The environment both Deployments share. */}}
{{- define "prbox.env" -}}
- name: NODE_ENV
  value: production
- name: LOG_LEVEL
  value: {{ .Values.logLevel | quote }}
- name: HOST
  value: "0.0.0.0"
- name: PORT
  value: "3000"
{{- if and .Values.redis.internal.enabled (not .Values.redis.internal.auth.enabled) }}
- name: PRBOX_REDIS_URL
  value: {{ printf "redis://%s-redis:6379" (include "prbox.fullname" .) | quote }}
{{- else }}
- name: PRBOX_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "prbox.redisSecret" . | quote }}
      key: {{ .Values.redis.urlKey | quote }}
{{- end }}
- name: PRBOX_REDIS_PREFIX
  value: {{ .Values.redis.prefix | quote }}
{{- if .Values.github.enabled }}
- name: APP_ID
  valueFrom:
    secretKeyRef:
      name: {{ .Values.github.existingSecret | quote }}
      key: {{ .Values.github.keys.appId | quote }}
- name: PRIVATE_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.github.existingSecret | quote }}
      key: {{ .Values.github.keys.privateKey | quote }}
- name: WEBHOOK_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .Values.github.existingSecret | quote }}
      key: {{ .Values.github.keys.webhookSecret | quote }}
{{- with .Values.github.gheHost }}
- name: GHE_HOST
  value: {{ . | quote }}
{{- end }}
{{- with .Values.github.gheProtocol }}
- name: GHE_PROTOCOL
  value: {{ . | quote }}
{{- end }}
{{- end }}
{{- if .Values.gitlab.enabled }}
- name: GITLAB_URL
  value: {{ .Values.gitlab.url | quote }}
- name: GITLAB_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ .Values.gitlab.existingSecret | quote }}
      key: {{ .Values.gitlab.keys.token | quote }}
- name: GITLAB_WEBHOOK_SECRET
  valueFrom:
    secretKeyRef:
      name: {{ .Values.gitlab.existingSecret | quote }}
      key: {{ .Values.gitlab.keys.webhookSecret | quote }}
{{- end }}
{{- with .Values.policy }}
- name: PRBOX_SPEC_PATH
  value: {{ .specPath | quote }}
- name: PRBOX_REQUIRED_LABEL
  value: {{ .requiredLabel | quote }}
- name: PRBOX_REQUIRED_CHECKS
  value: {{ join "," .requiredChecks | quote }}
- name: PRBOX_MAX_ENVIRONMENTS
  value: {{ .maxEnvironments | quote }}
- name: PRBOX_IDLE_TTL
  value: {{ .idleTtl | quote }}
- name: PRBOX_SLEEP_AFTER
  value: {{ .sleepAfter | quote }}
- name: PRBOX_WAKE_ADDRESS
  value: {{ .wakeAddress | quote }}
- name: PRBOX_SWEEP_INTERVAL
  value: {{ .sweepInterval | quote }}
- name: PRBOX_DEPLOY_TIMEOUT
  value: {{ .deployTimeout | quote }}
- name: PRBOX_DEPLOY_FORKS
  value: {{ .deployForks | quote }}
- name: PRBOX_ALLOW_KINDS
  value: {{ join "," .allowKinds | quote }}
- name: PRBOX_ALLOW_FOREIGN_NAMESPACES
  value: {{ .allowForeignNamespaces | quote }}
- name: PRBOX_REMOTE_BOXES_HOSTS
  value: {{ join "," .remoteBoxesHosts | quote }}
- name: PRBOX_ALLOW_CLUSTER_ROLES
  value: {{ join "," .allowClusterRoles | quote }}
- name: PRBOX_ALLOW_SERVICE_TYPES
  value: {{ join "," .allowServiceTypes | quote }}
- name: PRBOX_INGRESS_HOSTS
  value: {{ join "," .ingressHosts | quote }}
- name: PRBOX_ALLOW_INGRESS_SNIPPETS
  value: {{ .allowIngressSnippets | quote }}
- name: PRBOX_RENDER_TIMEOUT
  value: {{ .renderTimeout | quote }}
- name: PRBOX_RENDER_MEMORY_MB
  value: {{ .renderMemoryMb | quote }}
- name: PRBOX_RENDER_MAX_OUTPUT_MB
  value: {{ .renderMaxOutputMb | quote }}
- name: PRBOX_RENDER_MAX_OBJECTS
  value: {{ .renderMaxObjects | quote }}
- name: PRBOX_RENDER_CONCURRENCY
  value: {{ .renderConcurrency | quote }}
- name: PRBOX_RESYNC_INTERVAL
  value: {{ .resyncInterval | quote }}
- name: PRBOX_RESYNC_GITLAB_PROJECTS
  value: {{ join "," .resyncGitlabProjects | quote }}
- name: PRBOX_SKIP_DRAFTS
  value: {{ .skipDrafts | quote }}
- name: PRBOX_SKIP_BOTS
  value: {{ .skipBots | quote }}
- name: PRBOX_BOT_AUTHORS
  value: {{ join "," .botAuthors | quote }}
- name: PRBOX_SKIP_LABEL
  value: {{ .skipLabel | quote }}
- name: PRBOX_PATHS
  value: {{ join "," .paths | quote }}
{{- range $name, $value := .variables }}
- name: {{ printf "PRBOX_VAR_%s" $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}
{{- with .Values.baseline }}
- name: PRBOX_POD_SECURITY
  value: {{ .podSecurity | quote }}
- name: PRBOX_NETWORK_POLICY
  value: {{ .networkPolicy | quote }}
- name: PRBOX_INGRESS_NAMESPACES
  value: {{ .ingressNamespaces | quote }}
- name: PRBOX_EGRESS_DENY
  value: {{ if .egressDeny }}{{ join "," .egressDeny | quote }}{{ else }}"off"{{ end }}
- name: PRBOX_RESOURCE_QUOTA
  value: {{ .resourceQuota | quote }}
- name: PRBOX_LIMIT_RANGE
  value: {{ .limitRange | quote }}
{{- if .copySecrets.from }}
- name: PRBOX_COPY_SECRETS_FROM
  value: {{ .copySecrets.from | quote }}
- name: PRBOX_COPY_SECRETS
  value: {{ join "," .copySecrets.names | quote }}
- name: PRBOX_COPY_SECRETS_SELECTOR
  value: {{ .copySecrets.selector | quote }}
- name: PRBOX_IMAGE_PULL_SECRETS
  value: {{ join "," .copySecrets.imagePullSecrets | quote }}
{{- end }}
- name: PRBOX_ALLOW_BASELINE_OVERRIDE
  value: {{ .allowOverride | quote }}
{{- end }}
- name: PRBOX_WORKER_CONCURRENCY
  value: {{ .Values.worker.concurrency | quote }}
{{- if .Values.rbac.create }}
- name: PRBOX_ENVIRONMENT_CLUSTER_ROLE
  value: {{ include "prbox.environmentClusterRole" . | quote }}
{{- end }}
{{- with .Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end -}}


{{/* The Secret with prbox's Redis URL: yours (redis.existingSecret), or the in-chart Redis's (generated, or redis.internal.auth.existingSecret). */}}
{{- define "prbox.redisSecret" -}}
{{- if not .Values.redis.internal.enabled -}}
{{- .Values.redis.existingSecret -}}
{{- else -}}
{{- default (printf "%s-redis" (include "prbox.fullname" .)) .Values.redis.internal.auth.existingSecret -}}
{{- end -}}
{{- end -}}
