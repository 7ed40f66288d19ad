#!/usr/bin/env bash
# Copies crds/ into the chart (Helm installs CRDs only from the chart's own crds/ folder); a test checks they match.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f charts/bluegreen-operator/crds/*.yaml
cp crds/*.yaml charts/bluegreen-operator/crds/
ls charts/bluegreen-operator/crds/
