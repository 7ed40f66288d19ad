#!/usr/bin/env bash
# Publishes the kubectl plugin (framework-dependent: it runs on the installed .NET runtime) and puts a
# `kubectl-bluegreen` launcher into a directory on PATH, where kubectl finds it as `kubectl bluegreen ...`.
#
# Usage: hack/install-plugin.sh [BIN_DIR [LIB_DIR]]
#   BIN_DIR  where the launcher goes; must be on PATH (default: ~/.local/bin)
#   LIB_DIR  where the published files go (default: BIN_DIR/../share/kubectl-bluegreen)
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir="${1:-$HOME/.local/bin}"
mkdir -p "$bin_dir"
bin_dir="$(cd "$bin_dir" && pwd)"
lib_dir="${2:-$(dirname "$bin_dir")/share/kubectl-bluegreen}"

dotnet_host="$(command -v dotnet || true)"
if [[ -z "$dotnet_host" ]]; then
  echo "install-plugin: dotnet is not on PATH; the plugin needs the .NET 10 runtime" >&2
  exit 1
fi

# Publish next to the target and swap, so a failed build never leaves a half-installed plugin.
staging="$lib_dir.new"
rm -rf "$staging"
dotnet publish "$repo/src/kubectl-bluegreen/KubectlBluegreen.csproj" -c Release --nologo \
  -p:UseAppHost=false -o "$staging"
test -f "$staging/kubectl-bluegreen.dll"
rm -rf "$lib_dir"
mv "$staging" "$lib_dir"

launcher="$bin_dir/kubectl-bluegreen"
cat >"$launcher" <<LAUNCHER
#!/bin/sh
# kubectl plugin launcher written by hack/install-plugin.sh; kubectl runs it for \`kubectl bluegreen ...\`.
exec "$dotnet_host" "$lib_dir/kubectl-bluegreen.dll" "\$@"
LAUNCHER
chmod 0755 "$launcher"

echo "installed $launcher (files in $lib_dir)"
case ":$PATH:" in
  *":$bin_dir:"*) ;;
  *) echo "note: $bin_dir is not on PATH; add it so that kubectl finds the plugin" >&2 ;;
esac
