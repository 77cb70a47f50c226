#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# clang-tidy (config: .clang-tidy) over the given C files, two per call, one
# call per CPU. Findings located in the generated libbpf skeletons under
# OUTPUT_DIR are not ours to fix and are left out; every other finding, and
# a clang-tidy that cannot run, fails.
#   scripts/tidy.sh OUTPUT_DIR FILE...
set -u
out=${1%/}
shift
command -v clang-tidy >/dev/null || { echo "tidy: clang-tidy is not installed (make deps)"; exit 1; }
report=$(mktemp)
trap 'rm -f "$report"' EXIT
# xargs exits 123 when a clang-tidy call failed: a finding, or a file it could not parse
printf '%s\n' "$@" | xargs -P "$(nproc)" -n 2 sh -c \
	'clang-tidy --quiet "$@" -- -std=gnu11 -isystem '"$out"' -Iinclude -Iuser 2>&1' tidy > "$report"
rc=$?
# a finding is "PATH:LINE:COL: error|warning: ..." followed by its notes
finding='^[^ ].*:[0-9]+:[0-9]+: (error|warning):'
ours=$(awk -v gen="$(realpath -m "$out")/" -v rel="$out/" -v re="$finding" '
	$0 ~ re { keep = index($0, gen) != 1 && index($0, rel) != 1 }
	keep' "$report")
if [ -n "$ours" ]; then
	printf '%s\n' "$ours"
	echo "tidy: $(grep -cE "$finding" <<<"$ours") finding(s)"
	exit 1
fi
if [ "$rc" -ne 0 ] && ! grep -qE "$finding" "$report"; then
	grep -v 'warnings\? generated\|^Suppressed\|^Use -header-filter' "$report" | head -n 20
	echo "tidy: clang-tidy failed (exit $rc) without a finding"
	exit 1
fi
echo "tidy: $# files, no findings"
