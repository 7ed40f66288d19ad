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

# The Dockerfile's own publish command: no Docker engine runs here, so CI proves the image's build step this way.
if ! bash hack/publish.sh >/dev/null; then
  echo "publish failed"
  echo "0 passed, 1 failed"
  exit 1
fi
# The end-to-end tests run that natively compiled operator, the program the image ships.
export BLUEGREEN_OPERATOR_PROGRAM="$PWD/artifacts/publish/bluegreen-operator"

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

# Each failed test's name and the first line of its message last, beside the summary, where a reader of a long log's
# tail sees them.
for trx in "$results"/*.trx; do
  [[ -f "$trx" ]] || continue
  awk -v project="$(basename "$trx" .trx)" '
    function text(s) { gsub(/&quot;/, "\"", s); gsub(/&lt;/, "<", s); gsub(/&gt;/, ">", s); gsub(/&amp;/, "\\&", s); return s }
    /<UnitTestResult / && /outcome="(Failed|Error|Timeout|Aborted)"/ {
      name = $0; sub(/.* testName="/, "", name); sub(/".*/, "", name)
      printf "failed in %s: %s\n", project, text(name); open = 1; next
    }
    open && /<Message>/ { line = $0; sub(/.*<Message>/, "", line); sub(/<\/Message>.*/, "", line); printf "  %s\n", substr(text(line), 1, 300); open = 0 }
    /<\/UnitTestResult>/ { open = 0 }
  ' "$trx"
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
