{{/* Chart name, overridable. */}}
{{- define "bluegreen-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: release-chart, shortened to the release name when it already contains the chart name. */}}
{{- define "bluegreen-operator.fullname" -}}
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

{{- define "bluegreen-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels every object of the release carries. */}}
{{- define "bluegreen-operator.labels" -}}
helm.sh/chart: {{ include "bluegreen-operator.chart" . }}
{{ include "bluegreen-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/component: operator
app.kubernetes.io/part-of: bluegreen-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/* Labels that select the operator pods; immutable once installed. */}}
{{- define "bluegreen-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "bluegreen-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "bluegreen-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "bluegreen-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "bluegreen-operator.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{/* "true" when the operator elects a leader: always, unless explicitly turned off for a single replica. */}}
{{- define "bluegreen-operator.leaderElection" -}}
{{- $enabled := true }}
{{- if kindIs "bool" .Values.leaderElection.enabled }}
{{- $enabled = .Values.leaderElection.enabled }}
{{- end }}
{{- if and (not $enabled) (gt (int .Values.replicaCount) 1) }}
{{- fail "leaderElection.enabled=false needs replicaCount: 1; several operators without a leader would fight over the same objects" }}
{{- end }}
{{- ternary "true" "false" $enabled }}
{{- end }}

{{/* The verbs and resources the operator uses in each namespace it watches; nothing else. */}}
{{- define "bluegreen-operator.watchRules" -}}
# Watched from caches; read live only to confirm a decision; patched only to remove a consumed action.
- apiGroups: ["bluegreen.dev"]
  resources: ["bluegreendeployments"]
  verbs: ["get", "list", "watch", "patch"]
# Decisions are written with PUT; an object that does not decode is reported with a merge patch.
- apiGroups: ["bluegreen.dev"]
  resources: ["bluegreendeployments/status"]
  verbs: ["update", "patch"]
# Owner references that block deletion need this where OwnerReferencesPermissionEnforcement is on.
- apiGroups: ["bluegreen.dev"]
  resources: ["bluegreendeployments/finalizers"]
  verbs: ["update"]
- apiGroups: ["apps"]
  resources: ["deployments"]
  verbs: ["get", "list", "watch", "create", "patch"]
- apiGroups: [""]
  resources: ["services"]
  verbs: ["get", "list", "watch", "create", "patch"]
# The kept pod templates of the serving and standby revisions.
- apiGroups: ["apps"]
  resources: ["controllerrevisions"]
  verbs: ["get", "list", "watch", "create", "delete"]
# Smoke tests probe every ready pod of the new colour by its IP; pods are watched, never fetched one by one.
- apiGroups: [""]
  resources: ["pods"]
  verbs: ["list", "watch"]
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
# Job checks: a Job per check run, read by name until it ends; finished ones beyond a short history deleted.
- apiGroups: ["batch"]
  resources: ["jobs"]
  verbs: ["get", "list", "create", "delete"]
{{- if .Values.checkCredentials.enabled }}
# Check headers from Secrets: one Secret read by name when a run starts; no list, no watch.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get"]
  {{- with .Values.checkCredentials.secretNames }}
  resourceNames: {{ toJson . }}
  {{- end }}
{{- end }}
{{- if .Values.replayData.enabled }}
# Replay data sets (spec.replay.configMapRef): one ConfigMap read by name when a replay starts; no list, no watch.
- apiGroups: [""]
  resources: ["configmaps"]
  verbs: ["get"]
  {{- with .Values.replayData.configMapNames }}
  resourceNames: {{ toJson . }}
  {{- end }}
{{- end }}
{{- end }}
