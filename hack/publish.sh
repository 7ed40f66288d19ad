#!/usr/bin/env bash
# Runs the exact restore and publish commands of the Dockerfile's build stage, from the repository root,
# so CI proves the image build without a container engine. A test keeps both in step.
set -euo pipefail
cd "$(dirname "$0")/.."

dotnet restore src/BlueGreenOperator/BlueGreenOperator.csproj
dotnet publish src/BlueGreenOperator/BlueGreenOperator.csproj -c Release --no-restore -p:UseAppHost=false -o artifacts/publish

test -f artifacts/publish/bluegreen-operator.dll
echo "published to artifacts/publish"
