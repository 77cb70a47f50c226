#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Run the unit test binaries and the integration scripts; each prints
# "N passed, N failed, N skipped" last (a line without ", N skipped" counts
# none). Sum them and print the same line.
#   tests/run.sh [all|unit|fuzz|integration] [NAME-FILTER]
# Environment (make sets them):
#   UNIT_DIR     where the unit binaries are (.output/tests; SAN=1: .output-san/tests)
#   SHAKEOFF     the binary the integration scripts run
#   FUZZ_DIR     where the fuzzers are (.output/fuzz)
#   INTEGRATION  only these integration scripts ("test_guard test_serve")
#   SAN=1        the binaries are built with ASan+UBSan: every report they write
#                (into a folder of this run) fails the test that caused it
set -u
cd "$(dirname "$0")/.."

what=${1:-all}
filter=${2:-}
unit_dir=${UNIT_DIR:-.output/tests}
only=${INTEGRATION:-}
san_dir=
if [ "${SAN:-}" = 1 ]; then
	san_dir=$(mktemp -d /tmp/shakeoff-san.XXXXXX)
	export ASAN_OPTIONS="detect_leaks=1:log_path=$san_dir/asan:${ASAN_OPTIONS:-}"
	export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$san_dir/ubsan:${UBSAN_OPTIONS:-}"
	trap 'rm -rf "$san_dir"' EXIT
fi
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
	if [ -n "$san_dir" ] && [ -n "$(ls -A "$san_dir")" ]; then
		echo "!!! $name: sanitizer reports:"
		cat "$san_dir"/* | head -n 60
		rm -f "$san_dir"/*
		rc=1
	fi
	if [ "$f" -gt 0 ] || [ "$rc" -ne 0 ]; then
		broken+=("$name")
		[ "$f" -eq 0 ] && failed=$((failed + 1))
	fi
}

if [ "$what" = all ] || [ "$what" = unit ]; then
	for t in "$unit_dir"/*; do
		[ -x "$t" ] || continue
		[ -n "$filter" ] && [[ $t != *"$filter"* ]] && continue
		run_one "unit/$(basename "$t")" "$t"
	done
fi
# A short seeded round of each fuzzer (make fuzz runs longer ones).
fuzz_dir=${FUZZ_DIR:-.output/fuzz}
if [ "$what" = all ] || [ "$what" = fuzz ]; then
	if [ -z "$filter" ] || [[ fuzz/bpf == *"$filter"* ]]; then
		run_one fuzz/bpf "$fuzz_dir/bpf_fuzz" --shakeoff "${SHAKEOFF:-./shakeoff}" \
			--regress tests/fuzz/corpus/bpf/regress.txt --frames 1010000 --seed 1
	fi
	for h in tcp frame http; do
		[ -n "$filter" ] && [[ fuzz/$h != *"$filter"* ]] && continue
		run_one "fuzz/$h" tests/fuzz/libfuzz.sh "$fuzz_dir/${h}_fuzz" "tests/fuzz/corpus/$h" \
			-runs=20000 -seed=1
	done
fi
if [ "$what" = all ] || [ "$what" = integration ]; then
	for t in tests/integration/test_*.sh; do
		[ -n "$filter" ] && [[ $t != *"$filter"* ]] && continue
		[ -n "$only" ] && ! grep -qw "$(basename "$t" .sh)" <<<"$only" && continue
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
