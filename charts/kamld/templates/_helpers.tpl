{{/* The release's object name: the release name, with the chart name appended unless it already contains it. */}}
{{- define "kamld.fullname" -}}
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

{{- define "kamld.selectorLabels" -}}
app.kubernetes.io/name: {{ default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "kamld.labels" -}}
{{ include "kamld.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "kamld.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "kamld.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "kamld.tokenSecret" -}}
{{- default (printf "%s-token" (include "kamld.fullname" .)) .Values.auth.existingSecret -}}
{{- end -}}

{{/* The backends the configuration selects, with kamld's own defaults (sidecar/internal/config). */}}
{{- define "kamld.blob" -}}{{ dig "blob" "backend" "fs" .Values.config }}{{- end -}}
{{- define "kamld.index" -}}{{ dig "index" "backend" "bleve" .Values.config }}{{- end -}}
{{- define "kamld.sql" -}}{{ dig "sql" "backend" "duckdb" .Values.config }}{{- end -}}
{{- define "kamld.compute" -}}{{ dig "compute" "backend" "local" .Values.config }}{{- end -}}
{{- define "kamld.jobsNamespace" -}}
{{- dig "compute" "kubernetes" "namespace" .Release.Namespace .Values.config -}}
{{- end -}}

{{- define "kamld.dataDir" -}}/var/lib/kamld{{- end -}}

{{/*
kamld's configuration file: the user's `config` plus the keys the chart owns (listen addresses, data directory,
the Jobs namespace defaulting to the release's). The schema leaves those keys out of `config`, so they cannot
disagree.
*/}}
{{- define "kamld.configFile" -}}
{{- $c := deepCopy .Values.config -}}
{{- $_ := set $c "grpc_addr" (printf "0.0.0.0:%v" .Values.ports.grpc) -}}
{{- $_ = set $c "http_addr" (printf "0.0.0.0:%v" .Values.ports.http) -}}
{{- $_ = set $c "data_dir" (include "kamld.dataDir" .) -}}
{{- if eq (include "kamld.compute" .) "kubernetes" -}}
{{- $compute := default dict $c.compute -}}
{{- $kube := default dict $compute.kubernetes -}}
{{- $_ = set $kube "namespace" (include "kamld.jobsNamespace" .) -}}
{{- $_ = set $compute "kubernetes" $kube -}}
{{- $_ = set $c "compute" $compute -}}
{{- end -}}
{{- toYaml $c -}}
{{- end -}}

{{/* Checks that need more than one value; each message names the value to set. */}}
{{- define "kamld.validate" -}}
{{- if and (eq (include "kamld.blob" .) "s3") (not .Values.credentials.s3.existingSecret) -}}
{{- fail "credentials.s3.existingSecret is required when config.blob.backend is s3: name a Secret holding the access key and secret key" -}}
{{- end -}}
{{- if and (eq (include "kamld.blob" .) "s3") (not (dig "blob" "s3" "endpoint" "" .Values.config)) -}}
{{- fail "config.blob.s3.endpoint is required when config.blob.backend is s3" -}}
{{- end -}}
{{- if and (eq (include "kamld.index" .) "elasticsearch") (not (dig "index" "elasticsearch" "urls" list .Values.config)) -}}
{{- fail "config.index.elasticsearch.urls is required when config.index.backend is elasticsearch" -}}
{{- end -}}
{{- if and (eq (include "kamld.sql" .) "trino") (not (dig "sql" "trino" "url" "" .Values.config)) -}}
{{- fail "config.sql.trino.url is required when config.sql.backend is trino" -}}
{{- end -}}
{{- if and (eq (include "kamld.compute" .) "kubernetes") (not (dig "compute" "kubernetes" "helper_image" "" .Values.config)) -}}
{{- fail "config.compute.kubernetes.helper_image is required when config.compute.backend is kubernetes (the kamld image holds kamld-job-helper)" -}}
{{- end -}}
{{- if and (gt (int .Values.replicaCount) 1) (or (eq (include "kamld.blob" .) "fs") (eq (include "kamld.index" .) "bleve")) -}}
{{- fail "replicaCount > 1 needs shared backends: set config.blob.backend to s3 and config.index.backend to elasticsearch" -}}
{{- end -}}
{{- end -}}
