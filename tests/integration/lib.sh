# SPDX-License-Identifier: GPL-2.0
# Integration test harness: one function per case, results counted, cleanup by trap.
#   . tests/integration/lib.sh; TOPO=name; run_case NAME FUNC; finish
# A case returns 0 (pass), 1 (fail) or 77 (skipped: a kernel feature is missing).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/scripts/lib/topo.sh"
PY=/usr/bin/python3
T_PASS=0 T_FAIL=0 T_SKIP=0
WORK=$(mktemp -d /tmp/shakeoff-test.XXXXXX)

fail() { echo "    $*"; return 1; }

run_case() {
	local name=$1 fn=$2 rc
	# The case's own guard and background jobs end with its subshell, pass or fail.
	( set -u; trap 'guard_stop; kill $(jobs -p) 2>/dev/null; wait' EXIT; "$fn" ) > "$WORK/case.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		T_PASS=$((T_PASS + 1)); echo "ok - $name"
	elif [ $rc -eq 77 ]; then
		T_SKIP=$((T_SKIP + 1)); echo "skip - $name: $(tail -n 1 "$WORK/case.log")"
	else
		T_FAIL=$((T_FAIL + 1)); echo "not ok - $name"; sed 's/^/    | /' "$WORK/case.log" | tail -n 40
	fi
}

finish() {
	echo "$T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	[ $T_FAIL -eq 0 ]
}

cleanup() {
	guard_stop
	topo_down "$TOPO"
	rm -rf "$WORK"
}
