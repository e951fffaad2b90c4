#!/usr/bin/env bash
# What observability costs the TCP 32x16 benchmark (issue #15): the release benchmark built from this checkout
# with telemetry compiled out (`--cfg remotes_telemetry_off`: no span made, no call or event counted) against the
# normal build with no recorder and no subscriber, and the normal build with a Prometheus recorder
# (`--metrics-recorder`); rounds alternate in one run, the order rotating each round. With `--base COMMIT`, the
# benchmark built at COMMIT (e.g. b91d33c, before spans and metrics existed) runs in each round too. Prints each
# round's calls/s and the medians of the same-round ratios to the telemetry-off build.
#
# Usage: scripts/observability-cost.sh [--base COMMIT] [ROUNDS]   (default: 12 rounds)
# The telemetry-off build lives in target/telemetry-off; BASE_TARGET=DIR keeps a base build between runs.
# BENCH_ARGS adds options to every benchmark run, e.g. BENCH_ARGS="--warmup 200 --measure 1000" for shorter rounds
# (more of them in the same time: on a noisy machine, more rounds narrow the interval more than longer ones).
set -euo pipefail
cd "$(dirname "$0")/.."
base=""
if [[ "${1:-}" == "--base" ]]; then
    base="$2"
    shift 2
fi
rounds="${1:-12}"
work="$(mktemp -d)"
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
echo "building the benchmark (release), with telemetry and without..." >&2
cargo build --release -q -p remotes-bench
RUSTFLAGS="--cfg remotes_telemetry_off" CARGO_TARGET_DIR=target/telemetry-off cargo build --release -q -p remotes-bench
head_bin="target/release/remotes-bench"
off_bin="target/telemetry-off/release/remotes-bench"
variants=(off head recorder)
if [[ -n "$base" ]]; then
    git worktree add --detach -f "$work/base" "$base" >/dev/null 2>&1
    echo "building the benchmark at $base (release)..." >&2
    base_target="${BASE_TARGET:-$work/target}"
    CARGO_TARGET_DIR="$base_target" cargo build --release -q -p remotes-bench --manifest-path "$work/base/Cargo.toml"
    base_bin="$base_target/release/remotes-bench"
    variants+=(base)
fi

# shellcheck disable=SC2086 # BENCH_ARGS is split into options on purpose
run() { # variant -> calls/s of remotes at tcp-32x16
    case "$1" in
        off) "$off_bin" --only tcp-32x16 --systems remotes --reps 1 --no-charts ${BENCH_ARGS:-} ;;
        head) "$head_bin" --only tcp-32x16 --systems remotes --reps 1 --no-charts ${BENCH_ARGS:-} ;;
        recorder) "$head_bin" --only tcp-32x16 --systems remotes --reps 1 --no-charts --metrics-recorder ${BENCH_ARGS:-} ;;
        base) "$base_bin" --only tcp-32x16 --systems remotes --reps 1 ${BENCH_ARGS:-} ;;
    esac 2>/dev/null | awk -F'|' '$2 ~ /tcp-32x16/ && $3 ~ /remotes/ { gsub(/ /, "", $4); print $4; exit }'
}

results="$work/results"
n=${#variants[@]}
for round in $(seq "$rounds"); do
    for k in $(seq 0 $((n - 1))); do
        variant="${variants[$(((round + k) % n))]}"
        echo "$round $variant $(run "$variant")" | tee -a "$results" >&2
    done
done
python3 - "$results" <<'PY'
import statistics, sys
by = {}
for line in open(sys.argv[1]):
    round, variant, calls = line.split()
    by.setdefault(int(round), {})[variant] = float(calls)
variants = [v for v in ["off", "head", "recorder", "base"] if v in by[min(by)]]
names = {"off": "telemetry off", "head": "no recorder", "recorder": "Prometheus recorder", "base": "base commit"}
print("| round | " + " | ".join(names[v] + " calls/s" for v in variants) + " |")
print("|---|" + "---:|" * len(variants))
for round in sorted(by):
    print(f"| {round} | " + " | ".join(f"{by[round][v]:.0f}" for v in variants) + " |")
print()
import random
random.seed(15)  # the interval repeats for the same rounds
for v in variants[1:]:
    r = [by[k][v] / by[k]["off"] for k in by if v in by[k] and "off" in by[k]]
    # 95 % interval of the median, by resampling the rounds (percentile bootstrap).
    boot = sorted(statistics.median(random.choices(r, k=len(r))) for _ in range(2000))
    low, high = boot[50], boot[1949]
    print(f"{names[v]} / telemetry off: median {statistics.median(r):.3f} (95 % interval {low:.3f}-{high:.3f}; "
          f"min {min(r):.3f}, max {max(r):.3f}; {len(r)} rounds)")
PY
