#!/usr/bin/env bash
# Measures the latency of a fresh server's first inference requests against its warm ones (after ten requests), as a
# client sees them (curl), once without and once with the cold-start knob of the iris-v2 example.
# Usage: examples/model-server/measure-first-request.sh [runs] [ModelServer.dll]
set -euo pipefail
runs=${1:-3}
dll=${2:-"$(dirname "$0")/bin/Release/net10.0/ModelServer.dll"}
port=$(( 20000 + RANDOM % 20000 ))
body='{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}'
ms() { awk '{printf "%.1f", $1 * 1000}'; }
infer() { curl -s -o /dev/null -w '%{time_total}\n' -X POST "http://127.0.0.1:$port/v2/models/iris/infer" -H 'content-type: application/json' -d "$body"; }
measure() {
    local label="$1"; shift
    env "$@" PORT=$port BIND_ADDRESS=127.0.0.1 MODEL_VERSION=v2 dotnet "$dll" > /dev/null 2>&1 &
    local pid=$!
    until curl -fs -o /dev/null "http://127.0.0.1:$port/v2/health/ready"; do
        kill -0 "$pid" 2> /dev/null || { echo "server exited early" >&2; exit 1; }
        sleep 0.01
    done
    local times=()
    for _ in $(seq 1 20); do times+=("$(infer)"); done
    kill "$pid"; wait "$pid" 2> /dev/null || true
    echo "$label: requests 1-4: $(echo "${times[0]}" | ms), $(echo "${times[1]}" | ms), $(echo "${times[2]}" | ms), $(echo "${times[3]}" | ms) ms;" \
        "warm (median of 11-20): $(printf '%s\n' "${times[@]:10}" | sort -n | sed -n 5p | ms) ms"
}
for ((i = 1; i <= runs; i++)); do
    measure "run $i, plain"
    measure "run $i, COLD_START_MS=1500 COLD_START_REQUESTS=3" COLD_START_MS=1500 COLD_START_REQUESTS=3
done
