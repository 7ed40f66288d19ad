#!/usr/bin/env bash
# Runs the exact restore and publish commands of the Dockerfile's build stage, from the repository root,
# so CI proves the image build without a container engine. A test keeps both in step.
# The operator is compiled ahead of time (about 5 CPU minutes): artifacts/publish/bluegreen-operator, one file.
set -euo pipefail
cd "$(dirname "$0")/.."

dotnet restore src/BlueGreenOperator/BlueGreenOperator.csproj -r linux-x64 -p:Native=true
dotnet publish src/BlueGreenOperator/BlueGreenOperator.csproj -c Release -r linux-x64 -p:Native=true --no-restore -o artifacts/publish

test -x artifacts/publish/bluegreen-operator
echo "published to artifacts/publish"
