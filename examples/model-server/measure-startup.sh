#!/usr/bin/env bash
# Measures the time from process start to the first 200 on /v2/health/ready, the CPU time and resident memory by then.
# Usage: examples/model-server/measure-startup.sh [runs] [ModelServer.dll] (extra env such as MODEL_VERSION=v2 is passed through)
set -euo pipefail
runs=${1:-5}
dll=${2:-"$(dirname "$0")/bin/Release/net10.0/ModelServer.dll"}
port=$(( 20000 + RANDOM % 20000 ))
for ((i = 1; i <= runs; i++)); do
    start=$(date +%s%N)
    PORT=$port BIND_ADDRESS=127.0.0.1 dotnet "$dll" > /dev/null 2>&1 &
    pid=$!
    until curl -fs -o /dev/null "http://127.0.0.1:$port/v2/health/ready"; do
        kill -0 "$pid" 2> /dev/null || { echo "server exited early" >&2; exit 1; }
        sleep 0.01
    done
    ready=$(date +%s%N)
    rss=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
    # CPU time (user + system) spent until ready: steadier than wall time on a busy machine.
    cpu_ticks=$(awk '{print $14 + $15}' "/proc/$pid/stat")
    echo "run $i: ready after $(( (ready - start) / 1000000 )) ms wall, $(( cpu_ticks * 1000 / $(getconf CLK_TCK) )) ms CPU, RSS $(( rss / 1024 )) MiB"
    kill -TERM "$pid"
    wait "$pid" || true
done
