{{/*
Names. The default fullnameOverride (values.yaml) is primus-lens-telemetry-processor: the
exporter's default address is http://primus-lens-telemetry-processor:8080/api/v1, so training pods
in the release's namespace need no configuration. Set fullnameOverride to "" for
<release>-primus-lens names (two releases in one namespace).
*/}}
{{- define "primus-lens.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "primus-lens.fullname" -}}
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

{{- define "primus-lens.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels every object carries. */}}
{{- define "primus-lens.labels" -}}
helm.sh/chart: {{ include "primus-lens.chart" . }}
app.kubernetes.io/name: {{ include "primus-lens.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: primus-lens
{{- end }}

{{/*
The processor pods, and only them: the Service, the PodDisruptionBudget, the NetworkPolicies,
the spreading rules and the backup's affinity select with these. The backup CronJob's pods have
component "backup", so no Service ever sends traffic to them.
*/}}
{{- define "primus-lens.selectorLabels" -}}
app.kubernetes.io/name: {{ include "primus-lens.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: telemetry-processor
{{- end }}

{{- define "primus-lens.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "primus-lens.postgres" -}}
{{- if eq .Values.storage "postgres" }}true{{ end }}
{{- end }}

{{/* The Secret holding LENS_DATABASE_URL (postgres only): an existing one, or the chart's. */}}
{{- define "primus-lens.databaseSecretName" -}}
{{- if .Values.postgres.existingSecret }}
{{- .Values.postgres.existingSecret }}
{{- else }}
{{- printf "%s-database" (include "primus-lens.fullname" .) }}
{{- end }}
{{- end }}

{{- define "primus-lens.databaseSecretKey" -}}
{{- if .Values.postgres.existingSecret }}{{ .Values.postgres.existingSecretKey }}{{ else }}url{{ end }}
{{- end }}

{{- define "primus-lens.sqliteClaimName" -}}
{{- default (include "primus-lens.fullname" .) .Values.sqlite.persistence.existingClaim }}
{{- end }}

{{/*
Checks the schema cannot express. The server gives up draining SIGTERM after 25 s
(SHUTDOWN_DEADLINE_MS in server/src/main.ts); Kubernetes counts preStop inside the grace period.
*/}}
{{- define "primus-lens.validate" -}}
{{- $drain := 25 }}
{{- $needed := add (int .Values.shutdown.preStopSleepSeconds) $drain 1 }}
{{- if lt (int .Values.shutdown.terminationGracePeriodSeconds) (int $needed) }}
{{- fail (printf "shutdown.terminationGracePeriodSeconds=%v is too short: preStop sleeps %vs and the server drains for up to %vs after SIGTERM; use at least %v" .Values.shutdown.terminationGracePeriodSeconds .Values.shutdown.preStopSleepSeconds $drain $needed) }}
{{- end }}
{{- if and (eq .Values.storage "postgres") (not .Values.postgres.url) (not .Values.postgres.existingSecret) }}
{{- fail "storage=postgres needs postgres.existingSecret (a Secret holding the postgres:// URL) or postgres.url" }}
{{- end }}
{{- if and .Values.backup.enabled (ne .Values.storage "sqlite") }}
{{- fail "backup.enabled is for storage=sqlite; back PostgreSQL up with its own tools (pg_dump, point-in-time recovery)" }}
{{- end }}
{{- end }}
