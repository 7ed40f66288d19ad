#!/usr/bin/env bash
# Builds everything (warnings are errors) and runs every test project; ends with one line
# "N passed, N failed" (", N skipped" when some were) and exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."

bash hack/prereqs.sh || { echo "0 passed, 1 failed"; exit 1; }

results="artifacts/test-results"
rm -rf "$results"
mkdir -p "$results"

if ! dotnet build BlueGreenOperator.sln -c Release -nologo -v quiet; then
  echo "build failed"
  echo "0 passed, 1 failed"
  exit 1
fi

status=0
for project in tests/*/*.csproj; do
  name="$(basename "$project" .csproj)"
  echo "== $name"
  dotnet test "$project" -c Release --no-build -nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" || status=1
done

passed=0 failed=0 skipped=0
for trx in "$results"/*.trx; do
  [[ -f "$trx" ]] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)"
  value() { echo "$counters" | sed -n "s/.* $1=\"\([0-9]*\)\".*/\1/p"; }
  passed=$((passed + $(value passed)))
  failed=$((failed + $(value failed) + $(value error) + $(value timeout) + $(value aborted)))
  skipped=$((skipped + $(value notExecuted)))
done

if ((passed + failed == 0)); then
  echo "no test ran"
  status=1
fi
if ((status != 0 && failed == 0)); then
  failed=1 # a test host that crashed writes no counters: count it rather than hide it
fi
line="$passed passed, $failed failed"
((skipped > 0)) && line="$line, $skipped skipped"
echo "$line"
exit $status
