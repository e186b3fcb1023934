{{/*
Names and labels. The full name is the release name, unless it already holds the chart's
name; every object is named <fullname>[-<part>] and trimmed to 63 characters (DNS labels).
*/}}
{{- define "sluice.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sluice.fullname" -}}
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

{{- define "sluice.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "sluice.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: sluice
{{- end }}

{{/* The labels a role's pods are selected by: (dict "root" $ "role" "api"). */}}
{{- define "sluice.selectorLabels" -}}
app.kubernetes.io/name: {{ include "sluice.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end }}

{{- define "sluice.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "sluice.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name: name the existing ServiceAccount the api and worker pods run as (serviceAccount.create is false)" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* repository:tag, and @digest when one is pinned (the runtime pulls by digest; the tag stays for people). */}}
{{- define "sluice.imageRef" -}}
{{- if and .digest .tag }}
{{- printf "%s:%s@%s" .repository (toString .tag) .digest }}
{{- else if .digest }}
{{- printf "%s@%s" .repository .digest }}
{{- else }}
{{- printf "%s:%s" .repository (toString .tag) }}
{{- end }}
{{- end }}

{{- define "sluice.image" -}}
{{- include "sluice.imageRef" (dict "repository" .Values.image.repository "digest" .Values.image.digest "tag" (default .Chart.AppVersion .Values.image.tag)) }}
{{- end }}

{{/*
The namespaces Spark runs in: rbac.sparkNamespaces. An empty list is refused rather than read
as the release's own namespace: a Spark driver may create pods in its namespace, and a pod
there could mount Sluice's Secrets.
*/}}
{{- define "sluice.sparkNamespaces" -}}
{{- $namespaces := .Values.rbac.sparkNamespaces }}
{{- if not $namespaces }}
{{- fail "rbac.sparkNamespaces: name the namespaces Spark runs in (e.g. --set 'rbac.sparkNamespaces={spark}'); they must exist, and should not be Sluice's own" }}
{{- end }}
{{- toJson (uniq $namespaces) }}
{{- end }}

{{/*
Every setting Sluice reads (broker/config.ts ConfigSchema, kept equal by
test/integration/k8s-deploy.test.ts), besides the SLUICE_SQL_<NAME>_URL and
SLUICE_WEBHOOK_<TARGET>_URL/_SECRET families: a name not among them (a typo) is refused at
render instead of being ignored by every pod.
*/}}
{{- define "sluice.knownSettings" -}}
SLUICE_REDIS_URL SLUICE_QUEUE_PREFIX SLUICE_PIPELINES_DIR SLUICE_LAKE_URI SLUICE_LANDING_ROOTS
SLUICE_RUNS_DIR SLUICE_SPARK_SUBMIT SLUICE_SPARK_APPS_DIR SLUICE_SPARK_LOCAL_CORES
SLUICE_EMBEDDED_MAX_BYTES SLUICE_EMBEDDED_MEMORY SLUICE_API_HOST SLUICE_API_PORT SLUICE_API_KEYS
SLUICE_METRICS_HOST SLUICE_METRICS_PORT SLUICE_BODY_LIMIT SLUICE_MAX_RUNNING
SLUICE_WORKER_CONCURRENCY SLUICE_AWAIT_POLL SLUICE_SHUTDOWN_GRACE SLUICE_RETENTION
SLUICE_EVENTS_MAX_LENGTH SLUICE_S3_ENDPOINT SLUICE_S3_REGION SLUICE_S3_ACCESS_KEY_ID
SLUICE_S3_SECRET_ACCESS_KEY SLUICE_S3_FORCE_PATH_STYLE SLUICE_S3_LANDING_ROOTS
SLUICE_K8S_KUBECONFIG SLUICE_K8S_NAMESPACE SLUICE_K8S_SPARK_IMAGE SLUICE_K8S_APP_FILE
SLUICE_K8S_SPARK_VERSION SLUICE_K8S_UI_URL SLUICE_K8S_HISTORY_URL SLUICE_K8S_DRIVER_LOGS
SLUICE_K8S_S3_SECRET SLUICE_K8S_RESYNC SLUICE_K8S_WATCH_QUIET SLUICE_SQL_POOL_MAX
SLUICE_SQL_CONNECT_TIMEOUT SLUICE_UI_SESSION_TTL SLUICE_UI_DIR SLUICE_UI_TRUST_PROXY
SLUICE_UI_TRUSTED_HEADER SLUICE_UI_TRUSTED_PROXIES SLUICE_UI_TRUSTED_SCOPES
SLUICE_UI_TRUSTED_USERS SLUICE_LOG_LEVEL SLUICE_WEBHOOK_LINK_BASE SLUICE_URL SLUICE_API_KEY
{{- end }}

{{/* Whether a SLUICE_* name is a setting Sluice reads; call with (dict "root" $ "name" "SLUICE_…"). */}}
{{- define "sluice.isKnownSetting" -}}
{{- $known := regexSplit "\\s+" (include "sluice.knownSettings" .root | trim) -1 }}
{{- if or (has .name $known) (regexMatch "^SLUICE_SQL_[A-Z][A-Z0-9_]*_URL$" .name) (regexMatch "^SLUICE_WEBHOOK_[A-Z][A-Z0-9_]*_(URL|SECRET)$" .name) }}yes{{ end }}
{{- end }}

{{/* Whether a setting holds a secret, and so belongs under secretEnv. */}}
{{- define "sluice.isSecretSetting" -}}
{{- if or (eq .name "SLUICE_S3_SECRET_ACCESS_KEY") (eq .name "SLUICE_API_KEY") (regexMatch "^SLUICE_SQL_[A-Z][A-Z0-9_]*_URL$" .name) (regexMatch "^SLUICE_WEBHOOK_[A-Z][A-Z0-9_]*_(URL|SECRET)$" .name) }}yes{{ end }}
{{- end }}

{{- define "sluice.redisName" -}}
{{- printf "%s-redis" (include "sluice.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "sluice.redisSecretName" -}}
{{- default (include "sluice.redisName" .) .Values.redis.bundled.auth.existingSecret }}
{{- end }}

{{- define "sluice.pipelinesConfigMap" -}}
{{- default (printf "%s-pipelines" (include "sluice.fullname" .)) .Values.pipelines.existingConfigMap }}
{{- end }}

{{/* Settings the chart sets itself → the value that sets them. */}}
{{- define "sluice.ownedSettings" -}}
{{- toJson (dict "SLUICE_REDIS_URL" "redis.bundled or redis.external.urlSecret" "SLUICE_PIPELINES_DIR" "pipelines" "SLUICE_RUNS_DIR" "worker.runsDir" "SLUICE_API_KEYS" "apiKeys.secretName" "SLUICE_K8S_KUBECONFIG" "the pods' ServiceAccount (in-cluster, api and worker)") }}
{{- end }}

{{/*
A role's SLUICE_* settings: the shared `config` with the role's own `config` over it, each
value a string, empty ones dropped (Sluice reads an empty variable as unset anyway). Settings
the chart sets itself, and secret ones, are refused with the value to use instead.
Call with (dict "root" $ "role" "api"); returns JSON.
*/}}
{{- define "sluice.roleConfig" -}}
{{- $root := .root }}
{{- $roleValues := index $root.Values .role }}
{{- $merged := merge (deepCopy (default dict $roleValues.config)) (deepCopy (default dict $root.Values.config)) }}
{{- $owned := include "sluice.ownedSettings" . | fromJson }}
{{- $result := dict }}
{{- range $name, $value := $merged }}
{{- if not (regexMatch "^SLUICE_[A-Z][A-Z0-9_]*$" $name) }}
{{- fail (printf "config.%s: only SLUICE_* settings belong in config (other variables go in extraEnv)" $name) }}
{{- end }}
{{- if not (include "sluice.isKnownSetting" (dict "root" $root "name" $name)) }}
{{- fail (printf "config.%s: Sluice has no such setting, so every pod would ignore it (the README's Configuration table lists them)" $name) }}
{{- end }}
{{- if hasKey $owned $name }}
{{- fail (printf "config.%s: the chart sets %s itself; use %s" $name $name (get $owned $name)) }}
{{- end }}
{{- if include "sluice.isSecretSetting" (dict "name" $name) }}
{{- fail (printf "config.%s holds a secret: name the Secret key it is read from under secretEnv.%s instead" $name $name) }}
{{- end }}
{{- if hasKey $root.Values.secretEnv $name }}
{{- fail (printf "%s is set in both config and secretEnv: keep one" $name) }}
{{- end }}
{{- if and (ne (toString $value) "") (ne (toString $value) "<nil>") }}
{{- $_ := set $result $name (toString $value) }}
{{- end }}
{{- end }}
{{- if has .role (list "api" "worker") }}
{{- /* The roles with a token reach the API server through it: the Kubernetes launchers are on. */}}
{{- $_ := set $result "SLUICE_K8S_KUBECONFIG" "in-cluster" }}
{{- if $root.Values.rbac.create }}
{{- $namespaces := include "sluice.sparkNamespaces" $root | fromJsonArray }}
{{- if not (hasKey $result "SLUICE_K8S_NAMESPACE") }}
{{- $_ := set $result "SLUICE_K8S_NAMESPACE" (first $namespaces) }}
{{- else if not (has (get $result "SLUICE_K8S_NAMESPACE") $namespaces) }}
{{- fail (printf "config.SLUICE_K8S_NAMESPACE %q is not one of rbac.sparkNamespaces (%s): Sluice could not create runs there" (get $result "SLUICE_K8S_NAMESPACE") (join ", " $namespaces)) }}
{{- end }}
{{- end }}
{{- end }}
{{- if and (not (hasKey $result "SLUICE_LANDING_ROOTS")) $root.Values.landings }}
{{- $paths := list }}
{{- range $root.Values.landings }}{{ $paths = append $paths .mountPath }}{{ end }}
{{- $_ := set $result "SLUICE_LANDING_ROOTS" (join ":" $paths) }}
{{- end }}
{{- toJson $result }}
{{- end }}

{{/* The API port (SLUICE_API_PORT of the api role), as a number. */}}
{{- define "sluice.apiPort" -}}
{{- $config := include "sluice.roleConfig" (dict "root" . "role" "api") | fromJson }}
{{- $port := get $config "SLUICE_API_PORT" | default "8080" }}
{{- if not (regexMatch "^[0-9]+$" $port) }}{{ fail (printf "SLUICE_API_PORT %q: give a port number" $port) }}{{ end }}
{{- if eq $port "0" }}{{ fail "SLUICE_API_PORT 0 (any free port) cannot be probed or served: give a port number" }}{{ end }}
{{- $port }}
{{- end }}

{{/* The metrics port of a role (SLUICE_METRICS_PORT), as a number: its probes need it. */}}
{{- define "sluice.metricsPort" -}}
{{- $config := include "sluice.roleConfig" . | fromJson }}
{{- $port := get $config "SLUICE_METRICS_PORT" | default "9464" }}
{{- if not (regexMatch "^[0-9]+$" $port) }}{{ fail (printf "%s: SLUICE_METRICS_PORT %q: workers and watchers serve /healthz (their probes) on this port, so it must be a port number, not off" .role $port) }}{{ end }}
{{- if eq $port "0" }}{{ fail (printf "%s: SLUICE_METRICS_PORT 0 (any free port) cannot be probed: give a port number" .role) }}{{ end }}
{{- $port }}
{{- end }}

{{/*
Seconds of a Sluice duration ("500ms", "30s", "5m", "2h", "7d", a bare number of ms, 0 or from
1000 as Sluice takes it), rounded up: the terminationGracePeriodSeconds that
SLUICE_SHUTDOWN_GRACE needs. A bare 1 to 999 is refused here as Sluice refuses it at start.
*/}}
{{- define "sluice.durationSeconds" -}}
{{- $text := lower (trim (toString .)) }}
{{- $match := regexFind "^[0-9]+(\\.[0-9]+)?" $text }}
{{- if not $match }}{{ fail (printf "SLUICE_SHUTDOWN_GRACE %q is not a duration such as 30s or 2m" .) }}{{ end }}
{{- $unit := trimPrefix $match $text | trim }}
{{- $perUnit := dict "" 0.001 "ms" 0.001 "s" 1.0 "m" 60.0 "h" 3600.0 "d" 86400.0 }}
{{- if not (hasKey $perUnit $unit) }}{{ fail (printf "SLUICE_SHUTDOWN_GRACE %q is not a duration such as 30s or 2m" .) }}{{ end }}
{{- if and (eq $unit "") (gt (float64 $match) 0.0) (lt (float64 $match) 1000.0) }}{{ fail (printf "SLUICE_SHUTDOWN_GRACE %q has no unit and would be %s milliseconds: write its unit, as in %ss" . $match $match) }}{{ end }}
{{- mulf (float64 $match) (get $perUnit $unit) | ceil | int }}
{{- end }}

{{- define "sluice.terminationGrace" -}}
{{- $roleValues := index .root.Values .role }}
{{- if not (kindIs "invalid" $roleValues.terminationGracePeriodSeconds) }}
{{- $roleValues.terminationGracePeriodSeconds }}
{{- else }}
{{- $config := include "sluice.roleConfig" . | fromJson }}
{{- add (include "sluice.durationSeconds" (get $config "SLUICE_SHUTDOWN_GRACE" | default "30s")) 15 }}
{{- end }}
{{- end }}

{{/*
A role's environment. Order matters: SLUICE_REDIS_URL refers to the bundled Redis's password
with $(…), which Kubernetes expands only from variables listed before it. The password's
variable is SLUICE_-prefixed so that Sluice keeps it away from the processes it starts
(config.ts childProcessEnv), like every other setting.
*/}}
{{- define "sluice.env" -}}
{{- $root := .root }}
{{- if $root.Values.redis.bundled.enabled }}
- name: SLUICE_BUNDLED_REDIS_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "sluice.redisSecretName" $root }}
      key: {{ $root.Values.redis.bundled.auth.key }}
- name: SLUICE_REDIS_URL
  value: {{ printf "redis://:$(SLUICE_BUNDLED_REDIS_PASSWORD)@%s:6379/0" (include "sluice.redisName" $root) | quote }}
{{- else }}
- name: SLUICE_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ required "redis.external.urlSecret.name: name the Secret holding the Redis URL, or set redis.bundled.enabled" $root.Values.redis.external.urlSecret.name }}
      key: {{ $root.Values.redis.external.urlSecret.key }}
{{- end }}
- name: SLUICE_PIPELINES_DIR
  value: /etc/sluice/pipelines
- name: SLUICE_RUNS_DIR
  value: /var/lib/sluice/runs
{{- range $name, $value := include "sluice.roleConfig" . | fromJson }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- $owned := include "sluice.ownedSettings" . | fromJson }}
{{- range $name, $ref := $root.Values.secretEnv }}
{{- if not (regexMatch "^SLUICE_[A-Z][A-Z0-9_]*$" $name) }}
{{- fail (printf "secretEnv.%s: only SLUICE_* settings belong in secretEnv (other variables go in extraEnv)" $name) }}
{{- end }}
{{- if not (include "sluice.isKnownSetting" (dict "root" $root "name" $name)) }}
{{- fail (printf "secretEnv.%s: Sluice has no such setting, so every pod would ignore it (the README's Configuration table lists them)" $name) }}
{{- end }}
{{- if hasKey $owned $name }}
{{- fail (printf "secretEnv.%s: the chart sets %s itself; use %s" $name $name (get $owned $name)) }}
{{- end }}
- name: {{ $name }}
  valueFrom:
    secretKeyRef:
      name: {{ required (printf "secretEnv.%s.secretName" $name) $ref.secretName }}
      key: {{ required (printf "secretEnv.%s.key" $name) $ref.key }}
{{- end }}
{{- if and (eq .role "api") $root.Values.apiKeys.secretName }}
- name: SLUICE_API_KEYS
  valueFrom:
    secretKeyRef:
      name: {{ $root.Values.apiKeys.secretName }}
      key: {{ $root.Values.apiKeys.key }}
{{- end }}
{{- range $root.Values.extraEnv }}
{{- if hasPrefix "SLUICE_" .name }}
{{- fail (printf "extraEnv %s: SLUICE_* settings go in config or secretEnv" .name) }}
{{- end }}
{{- end }}
{{- with $root.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
The pod template of a Sluice role: (dict "root" $ "role" "api" "args" (list "api")
"port" (dict "name" "http" "number" 8080) "health" "/healthz" "ready" "/readyz"
"kubeApi" true). Every role runs the same image and reads the same settings; only its
command, its port and whether it gets a Kubernetes API token differ.
*/}}
{{- define "sluice.podTemplate" -}}
{{- $root := .root }}
{{- $roleValues := index $root.Values .role }}
metadata:
  labels:
    {{- include "sluice.selectorLabels" (dict "root" $root "role" .role) | nindent 4 }}
    {{- if ne .role "api" }}
    # Selected by the headless metrics Service (the API serves its metrics on its own port).
    sluice.io/serves-metrics: "true"
    {{- end }}
    {{- with $roleValues.podLabels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  annotations:
    # Sluice reads its settings and pipelines once, at start: a change must roll the pods.
    checksum/config: {{ include "sluice.env" . | sha256sum }}
    {{- if not $root.Values.pipelines.existingConfigMap }}
    checksum/pipelines: {{ toJson $root.Values.pipelines.files | sha256sum }}
    {{- end }}
    {{- with $roleValues.podAnnotations }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  serviceAccountName: {{ include "sluice.serviceAccountName" $root }}
  # Only the roles that call the Kubernetes API (launching, following and cancelling Spark
  # runs; reading driver logs) get a token.
  automountServiceAccountToken: {{ .kubeApi }}
  # Service links would put variables such as SLUICE_API_PORT=tcp://10.0.0.1:8080 (from a
  # Service named sluice-api) into the environment, where Sluice reads its settings.
  enableServiceLinks: false
  terminationGracePeriodSeconds: {{ include "sluice.terminationGrace" . }}
  securityContext:
    {{- toYaml $root.Values.podSecurityContext | nindent 4 }}
  {{- with $root.Values.imagePullSecrets }}
  imagePullSecrets:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  containers:
    - name: sluice
      image: {{ include "sluice.image" $root }}
      imagePullPolicy: {{ $root.Values.image.pullPolicy }}
      args: {{ toJson .args }}
      env:
        {{- include "sluice.env" . | trim | nindent 8 }}
      ports:
        - name: {{ .port.name }}
          containerPort: {{ .port.number }}
          protocol: TCP
      # Start-up loads the pipelines, checks Redis's durability settings and compiles the
      # TypeScript sources (tsx): allowed up to a minute before liveness counts.
      startupProbe:
        httpGet: { path: {{ .health }}, port: {{ .port.name }} }
        periodSeconds: 2
        failureThreshold: 30
        timeoutSeconds: 2
      livenessProbe:
        httpGet: { path: {{ .health }}, port: {{ .port.name }} }
        periodSeconds: 10
        failureThreshold: 3
        timeoutSeconds: 2
      # The API's /readyz checks Redis and answers within 1.5 s; workers and watchers take no
      # traffic, so their readiness is their liveness.
      readinessProbe:
        httpGet: { path: {{ .ready }}, port: {{ .port.name }} }
        periodSeconds: 5
        failureThreshold: 2
        timeoutSeconds: 2
      resources:
        {{- toYaml $roleValues.resources | nindent 8 }}
      securityContext:
        {{- toYaml $root.Values.securityContext | nindent 8 }}
      volumeMounts:
        - name: pipelines
          mountPath: /etc/sluice/pipelines
          readOnly: true
        # tsx keeps its compile cache under the temporary folder.
        - name: tmp
          mountPath: /tmp
        - name: runs
          mountPath: /var/lib/sluice/runs
        {{- range $root.Values.landings }}
        - name: landing-{{ .name }}
          mountPath: {{ .mountPath }}
          {{- if .readOnly }}
          readOnly: true
          {{- end }}
        {{- end }}
  volumes:
    - name: pipelines
      configMap:
        name: {{ include "sluice.pipelinesConfigMap" $root }}
    - name: tmp
      emptyDir: {}
    - name: runs
      {{- if and (eq .role "worker") $root.Values.worker.runsDir.existingClaim }}
      persistentVolumeClaim:
        claimName: {{ $root.Values.worker.runsDir.existingClaim }}
      {{- else }}
      emptyDir: {}
      {{- end }}
    {{- range $root.Values.landings }}
    - name: landing-{{ required "landings[].name" .name }}
      persistentVolumeClaim:
        claimName: {{ required (printf "landings %s: claim" .name) .claim }}
    {{- end }}
  {{- with $roleValues.nodeSelector }}
  nodeSelector:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $roleValues.tolerations }}
  tolerations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $roleValues.affinity }}
  affinity:
    {{- toYaml . | nindent 4 }}
  {{- end }}
  {{- with $roleValues.topologySpreadConstraints }}
  topologySpreadConstraints:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* The three Sluice roles' pods, as NetworkPolicy and Redis peers. */}}
{{- define "sluice.anySluicePod" -}}
matchLabels:
  app.kubernetes.io/name: {{ include "sluice.name" . }}
  app.kubernetes.io/instance: {{ .Release.Name }}
matchExpressions:
  - key: app.kubernetes.io/component
    operator: In
    values: [api, worker, watch]
{{- end }}
