#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run a libFuzzer harness over its checked-in corpus (new inputs it finds go
# to a scratch copy, never into the tree) and print the runner's result line.
#   tests/fuzz/libfuzz.sh BINARY CORPUS_DIR [libFuzzer flags: -runs=N, -max_total_time=S, -seed=N]
set -u
bin=$1 corpus=$2
shift 2
work=$(mktemp -d /tmp/shakeoff-libfuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -r "$corpus"/. "$work"/
out=$work/log
"$bin" "$@" -artifact_prefix="$work/" -print_final_stats=1 "$work" >"$out" 2>&1
rc=$?
grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|==[0-9]+==ERROR|SUMMARY|Done)' "$out" | tail -n 5
name=$(basename "$bin")
if [ "$rc" -ne 0 ]; then
	tail -n 40 "$out"
	for a in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
		[ -e "$a" ] || continue
		mkdir -p /tmp/shakeoff-fuzz-artifacts
		cp "$a" /tmp/shakeoff-fuzz-artifacts/
		echo "$name: reproducer kept in /tmp/shakeoff-fuzz-artifacts/$(basename "$a"): $bin $a"
		echo "  hex: $(od -An -tx1 -v "$a" | tr -d ' \n')"
	done
	echo "0 passed, 1 failed"
	exit 1
fi
runs=$(grep -oE 'stat::number_of_executed_units: [0-9]+' "$out" | grep -oE '[0-9]+$')
echo "$name: ${runs:-0} inputs run under ASan+UBSan"
echo "1 passed, 0 failed"
