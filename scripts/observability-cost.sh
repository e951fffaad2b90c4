#!/usr/bin/env bash
# What observability costs the TCP 32x16 benchmark (issue #15): the release benchmark built at BASE (before spans
# and metrics existed) against HEAD with no recorder and no subscriber, and HEAD with a Prometheus recorder
# (`--metrics-recorder`), rounds alternating in one run, the order rotating each round. Prints each round's calls/s
# and the medians of the same-round ratios.
#
# Usage: scripts/observability-cost.sh [BASE [ROUNDS]]   (default: b91d33c, the commit before issue #15; 6 rounds)
# BASE_TARGET=DIR keeps the base build in DIR between runs (default: a temporary directory).
set -euo pipefail
cd "$(dirname "$0")/.."
base="${1:-b91d33c}"
rounds="${2:-6}"
work="$(mktemp -d)"
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
git worktree add --detach -f "$work/base" "$base" >/dev/null 2>&1
echo "building the benchmark at $base and at HEAD (release)..." >&2
base_target="${BASE_TARGET:-$work/target}"
CARGO_TARGET_DIR="$base_target" cargo build --release -q -p remotes-bench --manifest-path "$work/base/Cargo.toml"
cargo build --release -q -p remotes-bench
base_bin="$base_target/release/remotes-bench"
head_bin="target/release/remotes-bench"

run() { # variant -> calls/s of remotes at tcp-32x16
    case "$1" in
        base) "$base_bin" --only tcp-32x16 --systems remotes --reps 1 ;;
        head) "$head_bin" --only tcp-32x16 --systems remotes --reps 1 --no-charts ;;
        recorder) "$head_bin" --only tcp-32x16 --systems remotes --reps 1 --no-charts --metrics-recorder ;;
    esac 2>/dev/null | awk -F'|' '$2 ~ /tcp-32x16/ && $3 ~ /remotes/ { gsub(/ /, "", $4); print $4; exit }'
}

variants=(base head recorder)
results="$work/results"
for round in $(seq "$rounds"); do
    for k in 0 1 2; do
        variant="${variants[$(((round + k) % 3))]}"
        echo "$round $variant $(run "$variant")" | tee -a "$results" >&2
    done
done
python3 - "$results" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1])]
by = {}
for round, variant, calls in rows:
    by.setdefault(int(round), {})[variant] = float(calls)
print("| round | base calls/s | HEAD, no recorder | HEAD, Prometheus recorder |")
print("|---|---:|---:|---:|")
for round in sorted(by):
    r = by[round]
    print(f"| {round} | {r['base']:.0f} | {r['head']:.0f} | {r['recorder']:.0f} |")
off = [r["head"] / r["base"] for r in by.values()]
on = [r["recorder"] / r["base"] for r in by.values()]
print()
print(f"HEAD without a recorder / base: median {statistics.median(off):.3f} (min {min(off):.3f}, max {max(off):.3f})")
print(f"HEAD with a recorder / base: median {statistics.median(on):.3f} (min {min(on):.3f}, max {max(on):.3f})")
PY
