#!/usr/bin/env bash
# Installs what building and testing need on a fresh Debian machine with the .NET SDK; quick when all is there.
set -euo pipefail
cd "$(dirname "$0")/.."

# prometheus: the end-to-end tests of namespace-scoped analysis start a real one on loopback.
# chromium: the dashboard's browser tests drive it with Playwright (no browser download).
# clang, zlib1g-dev: the native compiler links the shipped operator with them (hack/publish.sh).
packages=(etcd-server iproute2 lua5.1 python3 npm jq curl prometheus chromium clang)
commands=(etcd ip lua5.1 python3 npm jq curl prometheus chromium clang)
missing=()
for i in "${!commands[@]}"; do
  command -v "${commands[$i]}" >/dev/null 2>&1 || missing+=("${packages[$i]}")
done
dpkg -s zlib1g-dev >/dev/null 2>&1 || missing+=(zlib1g-dev)
if ((${#missing[@]})); then
  echo "prereqs: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q "${missing[@]}" >/dev/null
fi

# The local control plane's binaries (built once from Debian's kubernetes source, then cached).
if [[ -d src/BlueGreenOperator.LocalCluster ]]; then
  dotnet run --project src/BlueGreenOperator.LocalCluster -c Release -- install
fi

# Helm, for the chart tests.
bash hack/helm.sh >/dev/null
echo "prereqs: ready"
