#!/bin/sh
# Compile time of remotes-scale with the macro and without (--features plain), debug, dependencies already built,
# the crate itself cold (cargo clean -p remotes-scale before each build). Three runs each; prints seconds.
# Run from the workspace root: sh tests/scale/measure.sh
set -e
cargo build -q -p remotes-scale
cargo build -q -p remotes-scale --features plain
for mode in macro plain; do
    flags=""
    [ "$mode" = plain ] && flags="--features plain"
    for run in 1 2 3; do
        cargo clean -q -p remotes-scale
        start=$(date +%s.%N)
        cargo build -q -p remotes-scale $flags
        end=$(date +%s.%N)
        echo "$mode run $run: $(echo "$end - $start" | bc) s"
    done
done
