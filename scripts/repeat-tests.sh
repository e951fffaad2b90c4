#!/usr/bin/env bash
# Runs the README's test command N times in a row (default 20) and reports every failure: a test that failed once
# is a bug to find, not to retry. Usage: scripts/repeat-tests.sh [N]. Logs of failed runs stay in target/repeat-tests/.
set -uo pipefail
cd "$(dirname "$0")/.."
runs="${1:-20}"
logs=target/repeat-tests
mkdir -p "$logs"
cargo test --workspace --no-run --quiet || exit 1
npm run --prefix clients/typescript --silent build || exit 1
failed=0
for run in $(seq 1 "$runs"); do
    log="$logs/run-$run.log"
    start=$(date +%s)
    if { cargo test --workspace && npm test --prefix clients/typescript; } >"$log" 2>&1; then
        echo "run $run/$runs: ok ($(( $(date +%s) - start )) s)"
        rm -f "$log"
    else
        failed=$((failed + 1))
        echo "run $run/$runs: FAILED ($(( $(date +%s) - start )) s), log in $log:"
        grep -E "^test .* FAILED|panicked at|^error: test failed|^not ok|^ +not ok" "$log" | sed 's/^/    /' | head -20
    fi
done
echo "$((runs - failed)) passed, $failed failed"
[ "$failed" -eq 0 ]
