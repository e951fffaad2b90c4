#!/usr/bin/env bash
# Instructions per call, counted with callgrind (issues #15 and #16): `remotes-count` (benches/src/bin) for remotes,
# the hand-written loop (and its yielding writer) and tarpc, in-process 1x1 and TCP 32x16, each call counted in user
# space after a warm-up. Prints the markdown table BENCHMARKS.md shows ("Instructions per call") and the top 10
# functions by inclusive cost of remotes and of the hand-written loop in-process; the counts repeat to the
# instruction from run to run, so one run is enough.
#
# Usage: scripts/callgrind.sh [--off] [--base COMMIT] [CALLS]
#   --off          also count remotes built with telemetry compiled out (`--cfg remotes_telemetry_off`, in
#                  target/telemetry-off), and give what spans and figures cost per call
#   --base COMMIT  also count remotes built at COMMIT (the same counting program, copied into a checkout of it),
#                  and give HEAD's difference: what the commits since cost per call (default CALLS: 20000)
# BASE_TARGET=DIR keeps the base build in DIR between runs (default: a temporary directory).
# Needs valgrind (`apt-get install -y valgrind`).
set -euo pipefail
cd "$(dirname "$0")/.."
base=""
off=""
if [[ "${1:-}" == "--off" ]]; then
    off=1
    shift
fi
if [[ "${1:-}" == "--base" ]]; then
    base="$2"
    shift 2
fi
calls="${1:-20000}"
command -v valgrind >/dev/null || { echo "needs valgrind: apt-get install -y valgrind" >&2; exit 1; }
work="$(mktemp -d)"
trap 'git worktree remove --force "$work/base" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

echo "building remotes-count (release)..." >&2
cargo build --release -q -p remotes-bench --bin remotes-count
# Cargo puts the binary under CARGO_TARGET_DIR when it is set (made absolute: the counts run from a temporary directory).
target_dir="${CARGO_TARGET_DIR:-target}"
[[ "$target_dir" = /* ]] || target_dir="$(pwd)/$target_dir"
head_bin="$target_dir/release/remotes-count"
off_bin=""
if [[ -n "$off" ]]; then
    echo "building remotes-count with telemetry off (release)..." >&2
    RUSTFLAGS="--cfg remotes_telemetry_off" CARGO_TARGET_DIR="$target_dir/telemetry-off" \
        cargo build --release -q -p remotes-bench --bin remotes-count
    off_bin="$target_dir/telemetry-off/release/remotes-count"
fi
base_bin=""
if [[ -n "$base" ]]; then
    git worktree add --detach -f "$work/base" "$base" >/dev/null 2>&1
    mkdir -p "$work/base/benches/src/bin"
    cp benches/src/bin/remotes-count.rs "$work/base/benches/src/bin/"
    base_target="${BASE_TARGET:-$work/target}"
    echo "building remotes-count at $base (release)..." >&2
    CARGO_TARGET_DIR="$base_target" cargo build --release -q -p remotes-bench --bin remotes-count \
        --manifest-path "$work/base/Cargo.toml"
    base_bin="$base_target/release/remotes-count"
fi

count() { # label binary system scenario -> "label system scenario instructions calls" into $work/counts
    local out="$work/$1.$3.$4.out"
    local log
    log="$(cd "$work" && valgrind --tool=callgrind --toggle-collect='*measured_calls*' --callgrind-out-file="$out" \
        "$2" "$3" "$4" "$calls" 2>&1)"
    local ir n
    ir="$(grep -oE 'Collected : [0-9]+' <<<"$log" | grep -oE '[0-9]+')"
    n="$(grep -oE '[0-9]+ calls counted' <<<"$log" | grep -oE '^[0-9]+')"
    echo "$1 $3 $4 $ir $n" >>"$work/counts"
    echo "  $1 $3 $4: $((ir / n)) instructions per call" >&2
}

for scenario in mem-1x1 tcp-32x16; do
    for system in remotes hand hand-yield tarpc; do
        count head "$head_bin" "$system" "$scenario"
    done
    [[ -n "$base_bin" ]] && count base "$base_bin" remotes "$scenario"
    [[ -n "$off_bin" ]] && count off "$off_bin" remotes "$scenario"
done

python3 - "$work" "$base" <<'PY'
import os, subprocess, sys
work, base = sys.argv[1], sys.argv[2]
per = {}
for line in open(os.path.join(work, "counts")):
    label, system, scenario, ir, n = line.split()
    per[(label, system, scenario)] = int(ir) / int(n)
scenarios = ["mem-1x1", "tcp-32x16"]
print("| system | " + " | ".join(f"{s}: instructions per call | ratio to hand-written" for s in scenarios) + " |")
print("|---|" + "---:|---:|" * len(scenarios))
for system in ["remotes", "hand", "hand-yield", "tarpc"]:
    cells = []
    for s in scenarios:
        v = per[("head", system, s)]
        cells += [f"{v:,.0f}", f"{v / per[('head', 'hand', s)]:.2f}x"]
    print(f"| {system} | " + " | ".join(cells) + " |")
if ("off", "remotes", "mem-1x1") in per:
    print()
    for s in scenarios:
        o, h = per[("off", "remotes", s)], per[("head", "remotes", s)]
        print(f"remotes {s}: {o:,.0f} with telemetry off, {h:,.0f} with it: spans and figures cost {h - o:+,.0f} instructions per call ({h / o - 1:+.1%})")
if base:
    print()
    for s in scenarios:
        b, h = per[("base", "remotes", s)], per[("head", "remotes", s)]
        print(f"remotes {s}: {b:,.0f} at {base}, {h:,.0f} at HEAD: {h - b:+,.0f} instructions per call ({h / b - 1:+.1%})")

def top(path, n=10):
    out = subprocess.run(["callgrind_annotate", "--inclusive=yes", "--show-percs=yes", path],
                         capture_output=True, text=True).stdout
    rows, seen = [], False
    for line in out.splitlines():
        if "file:function" in line:
            seen = True
            continue
        if not seen or not line.strip() or not line.strip()[0].isdigit():
            continue
        ir, rest = line.split(None, 1)
        pct, name = rest.split(")", 1)
        name = name.strip().split(" [")[0].removeprefix("???:")
        # The driver frames (main, the runtime's block_on, the counting loop, unnamed loader addresses) hold
        # everything: skip them.
        if name.startswith("0x") or any(k in name for k in ("main", "lang_start", "block_on", "backtrace", "enter_runtime", "Scoped<T>::set",
                                   "measured_calls", "remotes_count::calls", "JoinAll", "join_all")):
            continue
        rows.append((int(ir.replace(",", "")), pct.strip(" ("), name))
        if len(rows) == n:
            break
    return rows

for system in ["remotes", "hand"]:
    n = int(open(os.path.join(work, "counts")).read().split(f"head {system} mem-1x1 ")[1].split()[1])
    print()
    print(f"Top 10 by inclusive cost, {system}, mem-1x1 (instructions per call, share of the call):")
    print()
    print("| function | per call | share |")
    print("|---|---:|---:|")
    for ir, pct, name in top(os.path.join(work, f"head.{system}.mem-1x1.out")):
        name = name.replace("|", "\\|")
        if len(name) > 110:
            name = name[:107] + "..."
        print(f"| `{name}` | {ir / n:,.0f} | {pct} |")
PY
