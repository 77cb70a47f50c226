#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the unit test binaries and the integration scripts; each prints
# "N passed, N failed, N skipped" last (a line without ", N skipped" counts
# none). Sum them and print the same line.
#   tests/run.sh [unit|integration] [NAME-FILTER]
set -u
cd "$(dirname "$0")/.."

what=${1:-all}
filter=${2:-}
passed=0 failed=0 skipped=0 broken=()
# the result line; a "NAME: " in front is allowed
result_re='^([A-Za-z]+: )?([0-9]+) passed, ([0-9]+) failed(, ([0-9]+) skipped)?'

run_one() {
	local name=$1 out rc line p f s
	shift
	echo "=== $name"
	out=$(mktemp)
	"$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	line=$(grep -E "$result_re" "$out" | tail -n 1)
	rm -f "$out"
	if ! [[ $line =~ $result_re ]]; then
		echo "!!! $name printed no result line (exit $rc)"
		failed=$((failed + 1))
		broken+=("$name")
		return
	fi
	p=${BASH_REMATCH[2]} f=${BASH_REMATCH[3]} s=${BASH_REMATCH[5]:-0}
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ]; then
		broken+=("$name")
		[ "$f" -eq 0 ] && failed=$((failed + 1))
	fi
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in .output/tests/*; do
		[ -x "$t" ] || continue
		[ -n "$filter" ] && [[ $t != *"$filter"* ]] && continue
		run_one "unit/$(basename "$t")" "$t"
	done
fi
if [ "$what" = all ] || [ "$what" = integration ]; then
	for t in tests/integration/test_*.sh; do
		[ -n "$filter" ] && [[ $t != *"$filter"* ]] && continue
		run_one "integration/$(basename "$t" .sh)" bash "$t"
	done
fi

echo
[ ${#broken[@]} -gt 0 ] && echo "failing: ${broken[*]}"
if [ $((passed + failed)) -eq 0 ]; then
	echo "no test ran"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
