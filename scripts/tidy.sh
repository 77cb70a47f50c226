#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# clang-tidy (config: .clang-tidy) over the given C files, two at a time per
# CPU. Findings whose location is a generated libbpf skeleton (.output*/) are
# not ours to fix and are left out; every other finding fails the run.
#   scripts/tidy.sh OUTPUT_DIR FILE...
set -u
out=$1
shift
report=$(printf '%s\n' "$@" | xargs -P "$(nproc)" -n 2 sh -c \
	'clang-tidy --quiet "$@" -- -std=gnu11 -isystem '"$out"' -Iinclude -Iuser 2>/dev/null' tidy)
# a finding is "path:line:col: error|warning: ..." followed by its notes
ours=$(awk '/^[^ ].*:[0-9]+:[0-9]+: (error|warning):/ { keep = ($0 !~ /(^|\/)\.output[^\/]*\//) }
	keep' <<<"$report")
if [ -n "$ours" ]; then
	printf '%s\n' "$ours"
	echo "tidy: $(grep -cE '^[^ ].*:[0-9]+:[0-9]+: (error|warning):' <<<"$ours") finding(s)"
	exit 1
fi
echo "tidy: $# files, no findings"
