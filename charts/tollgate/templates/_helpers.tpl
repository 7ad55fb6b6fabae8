{{- define "tollgate.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "tollgate.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: tollgate
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{- define "tollgate.selector" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "tollgate.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "tollgate.webhookService" -}}{{ include "tollgate.fullname" . }}-webhook{{- end -}}
{{- define "tollgate.webhookSecret" -}}{{ include "tollgate.fullname" . }}-webhook-tls{{- end -}}
{{- define "tollgate.webhookConfiguration" -}}{{ include "tollgate.fullname" . }}-injection{{- end -}}
{{- define "tollgate.redisName" -}}{{ include "tollgate.fullname" . }}-redis{{- end -}}

{{- define "tollgate.redisUrl" -}}
{{- if eq .Values.redis.mode "bundled" -}}
redis://{{ include "tollgate.redisName" . }}.{{ .Release.Namespace }}.svc:6379
{{- else -}}
{{ .Values.redis.external.url }}
{{- end -}}
{{- end -}}
