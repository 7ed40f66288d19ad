#!/usr/bin/env bash
# The operator's main job on the embedded default: a local control plane, the example model server,
# v1 released, v2 rolled out blue-green (phase by phase, its pods warmed up before their smoke tests, the warm
# standby kept warm, with the measured switch time and the parity report of its replay against v1), then a broken v3
# rejected by its smoke tests and one with swapped labels rejected by its replay while v2 keeps serving. Ctrl-C or the
# end of the demo cleans up.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
dir="$root/.local-cluster"
ns=demo

bash hack/prereqs.sh
echo "== building"
dotnet build -c Release -nologo -v quiet src/BlueGreenOperator/BlueGreenOperator.csproj
dotnet build -c Release -nologo -v quiet examples/model-server/ModelServer.csproj
dotnet build -c Release -nologo -v quiet src/BlueGreenOperator.LocalCluster/BlueGreenOperator.LocalCluster.csproj
export BLUEGREEN_MODEL_SERVER_DLL="$root/examples/model-server/bin/Release/net10.0/ModelServer.dll"
cluster() { dotnet "$root/src/BlueGreenOperator.LocalCluster/bin/Release/net10.0/BlueGreenOperator.LocalCluster.dll" "$@"; }
kubectl() { "${BLUEGREEN_K8S_CACHE:-$HOME/.cache/bluegreen-operator/k8s-1.20.2}/kubectl" "$@"; }

operator_pid=""
cleanup() {
  # A second Ctrl-C must not cut the clean-up short.
  trap '' INT TERM
  trap - EXIT
  echo "== cleaning up"
  [[ -n "$operator_pid" ]] && kill "$operator_pid" 2>/dev/null && wait "$operator_pid" 2>/dev/null || true
  cluster down --dir "$dir" || true
}
trap cleanup EXIT INT TERM

echo "== starting the local control plane"
cluster up --dir "$dir"
export KUBECONFIG="$dir/kubeconfig"
kubectl apply -f crds/bluegreendeployments.bluegreen.dev.yaml
kubectl wait --for condition=established --timeout=60s crd/bluegreendeployments.bluegreen.dev
kubectl create namespace "$ns"

echo "== starting the operator (log: $dir/logs/operator.log)"
env Operator__Kubeconfig="$KUBECONFIG" Operator__Listen="http://127.0.0.1:18080" \
  dotnet src/BlueGreenOperator/bin/Release/net10.0/bluegreen-operator.dll >"$dir/logs/operator.log" 2>&1 &
operator_pid=$!
until curl -sf http://127.0.0.1:18080/readyz >/dev/null; do sleep 0.5; done

status() { kubectl -n "$ns" get bgd iris -o jsonpath="{.status.$1}" 2>/dev/null || true; }

# Prints every phase change until the phase is $1 for the spec's generation.
follow() {
  local want="$1" last="" phase generation observed
  while true; do
    phase="$(status phase)"; observed="$(status observedGeneration)"
    generation="$(kubectl -n "$ns" get bgd iris -o jsonpath='{.metadata.generation}')"
    if [[ "$phase" != "$last" && -n "$phase" ]]; then
      printf '%s  %-12s %s\n' "$(date +%T)" "$phase" "$(status message)"
      last="$phase"
    fi
    [[ "$phase" == "$want" && "$observed" == "$generation" ]] && return 0
    sleep 0.3
  done
}

# The last replay's parity report (status.parity): the numbers of the new version against the serving one.
parity() {
  echo "parity report:"
  kubectl -n "$ns" get bgd iris -o json | jq -r '.status.parity // {} |
    "  passed \(.passed) on \(.requests) requests against revision \(.servingRevision // "(nothing serving)")",
    "  agreement \(.agreement) (\(.disagreements) disagreements), accuracy \(.accuracy) vs serving \(.servingAccuracy)",
    "  error rate \(.errorRate), p50 \(.latencyP50Ms) ms vs \(.servingLatencyP50Ms) ms, p95 \(.latencyP95Ms) ms vs \(.servingLatencyP95Ms) ms (ratio \(.latencyRatio))",
    "  \(.message)",
    (.firstDisagreements // [] | .[] | "    \(.)")'
}

# Asks every pod behind the Service's Endpoints for a prediction: which model version answers?
served() {
  local ips
  ips="$(kubectl -n "$ns" get endpoints iris -o jsonpath='{.subsets[*].addresses[*].ip}')"
  for ip in $ips; do
    curl -s -X POST "http://$ip:8080/v2/models/iris/infer" -H 'content-type: application/json' \
      -d '{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[5.9,3.2,4.8,1.8]}]}' |
      jq -c '{pod_ip: "'"$ip"'", model_version, class: .outputs[0].data[0]}'
  done
}

echo "== v1: the first release"
kubectl -n "$ns" apply -f examples/iris/iris-v1.yaml
follow Healthy
served

# One line per pod: its warm-up requests and the first and last round's latency.
warmups() {
  kubectl -n "$ns" get bgd iris -o json | jq -r ".status.$1 | \"\(.color) revision \(.revision), run \(.runs):\", (.pods[] | \"  \(.name): \(.requests) requests, first \(.firstLatencyMs) ms, last \(.lastLatencyMs) ms\")"
}

echo "== v2: a blue-green rollout (a model with a slow cold start, warmed up before its smoke tests), replayed against v1 before the switch"
kubectl -n "$ns" apply -f examples/iris/iris-replay.yaml
kubectl -n "$ns" apply -f examples/iris/iris-v2.yaml
follow Stabilizing
echo "warm-up before the smoke tests (status.warmup):"
warmups warmup
parity
echo "switched in $(status lastSwitchMilliseconds) ms (decision to Service write accepted); now serving:"
served
until [[ "$(status standbyWarmup.runs)" -ge 2 ]] 2>/dev/null; do sleep 0.5; done
echo "the warm standby is kept warm (status.standbyWarmup):"
warmups standbyWarmup
follow Healthy
kubectl -n "$ns" get deployments -l app.kubernetes.io/instance=iris

echo "== v3: a broken model (wrong predictions)"
kubectl -n "$ns" apply -f examples/iris/iris-v3-broken.yaml
follow Degraded
kubectl -n "$ns" get bgd iris
echo "still serving:"
served
kubectl -n "$ns" get events --field-selector involvedObject.name=iris --sort-by=.lastTimestamp | tail -n 8

echo "== v3 with swapped labels: the smoke tests pass, the replay against v2 stops it"
kubectl -n "$ns" apply -f examples/iris/iris-v3-swapped-labels.yaml
follow Degraded
parity
echo "still serving:"
served
echo "== done"
