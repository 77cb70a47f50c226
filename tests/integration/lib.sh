# SPDX-License-Identifier: GPL-2.0
# Integration test harness: one function per case, results counted, cleanup by trap.
#   . tests/integration/lib.sh; TOPO=name; FILTER=${1:-}
#   suite_up CLEANUP TOOL...; run_case NAME FUNC [always]; ...; finish
# A case returns 0 (pass), 1 (fail) or 77 (skipped: a kernel feature is
# missing; its last line of output says why). Each result is one line:
#   ok - NAME | not ok - NAME (and the case's log) | skip - NAME: why
# and finish prints "N passed, N failed, N skipped", what tests/run.sh sums.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/scripts/lib/topo.sh"
PY=/usr/bin/python3
T_PASS=0 T_FAIL=0 T_SKIP=0
WORK=$(mktemp -d /tmp/shakeoff-test.XXXXXX)

# Idiom: `condition || fail "why" || return` ends a case as failed, with the reason in its log.
fail() { echo "    $*"; return 1; }

# note LINE: a line worth seeing also when the case passes (shown under its result).
note() { echo "$*" | tee -a "$WORK/notes"; }

# run_case NAME FUNC [always]: FUNC in a subshell of its own, whose guard and
# background jobs end with it, pass or fail. FILTER (the script's argument)
# selects cases by name, except those others need (always). Under the result
# line: the log's tail if the case failed; then its notes, or with VERBOSE=1
# the whole log of a case that did not fail.
run_case() {
	local name=$1 fn=$2 rc
	[ -n "${FILTER:-}" ] && [ -z "${3:-}" ] && [[ $name != *"$FILTER"* ]] && return 0
	: >"$WORK/notes"
	( set -u; trap 'guard_stop; kill $(jobs -p) 2>/dev/null; wait' EXIT; "$fn" ) > "$WORK/case.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		T_PASS=$((T_PASS + 1)); echo "ok - $name"
	elif [ $rc -eq 77 ]; then
		T_SKIP=$((T_SKIP + 1)); echo "skip - $name: $(tail -n 1 "$WORK/case.log")"
	else
		T_FAIL=$((T_FAIL + 1)); echo "not ok - $name"; sed 's/^/    | /' "$WORK/case.log" | tail -n 40
	fi
	if [ -n "${VERBOSE:-}" ] && { [ $rc -eq 0 ] || [ $rc -eq 77 ]; }; then
		sed 's/^/    | /' "$WORK/case.log"
	else
		sed 's/^/    # /' "$WORK/notes"
	fi
}

finish() {
	echo "$T_PASS passed, $T_FAIL failed, $T_SKIP skipped"
	[ $T_FAIL -eq 0 ]
}

# ---- before the first case -----------------------------------------------

# The script's result line when it cannot start at all.
suite_skip() { echo "skip: $*"; echo "0 passed, 0 failed, 1 skipped"; exit 0; }
suite_fail() { echo "$*"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

# suite_up CLEANUP TOOL...: root, the tools and ./shakeoff present, CLEANUP as
# the EXIT trap, the topology $TOPO up; else the script ends with its result line.
suite_up() {
	local trap_fn=$1 tool
	shift
	[ "$(id -u)" -eq 0 ] || suite_skip "needs root (namespaces, XDP)"
	for tool in "$@"; do
		command -v "$tool" >/dev/null || suite_fail "missing $tool"
	done
	[ -x "$SHAKEOFF" ] || suite_fail "no $SHAKEOFF: run make"
	# Two runs of one script (two worktrees, two users) would share namespace names: one waits.
	exec 8>"/tmp/shakeoff-topo-$TOPO.lock"
	flock -w 1800 8 || suite_fail "another run holds /tmp/shakeoff-topo-$TOPO.lock"
	trap "$trap_fn" EXIT
	topo_up "$TOPO" || suite_fail "topology setup failed"
}

# The EXIT trap's work, whatever was running when the script ended: a case
# still running (the script was signalled) ends with its subshell's trap;
# the holders, every process in the namespaces, the namespaces and $WORK go.
cleanup() {
	local pid
	pkill -TERM -P $$ 2>/dev/null
	for pid in $(cat "$WORK/holders" 2>/dev/null); do
		kill "$pid" 2>/dev/null
	done
	ns_reap
	guard_stop
	topo_down "$TOPO"
	rm -rf "$WORK"
}

# ---- helpers of the cases --------------------------------------------------

want_eq() {	# DESC ACTUAL EXPECTED
	if [ "$2" = "$3" ]; then
		echo "    ok: $1 = $2"
		return 0
	fi
	fail "$1: got '$2', want '$3'"
}

want_range() {	# DESC ACTUAL LOW HIGH
	if [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ]; then
		echo "    ok: $1 = $2 (in $3..$4)"
		return 0
	fi
	fail "$1: got '$2', want $3..$4"
}

# refuse DESC PATTERN CMD...: CMD refuses, as a refusal must: exit 2 and one
# line on stderr alone, matching PATTERN (grep -iE), saying why.
refuse() {
	local desc=$1 pat=$2 rc
	shift 2
	"$@" >"$WORK/r.out" 2>"$WORK/r.err"
	rc=$?
	[ $rc -eq 2 ] || fail "$desc: exit $rc, want 2: $(cat "$WORK/r.out" "$WORK/r.err")" || return
	[ ! -s "$WORK/r.out" ] && [ "$(grep -c . "$WORK/r.err")" -eq 1 ] ||
		fail "$desc: want one line on stderr only, got: $(cat "$WORK/r.out" "$WORK/r.err")" || return
	head -n 1 "$WORK/r.err" | grep -qiE -- "$pat" ||
		fail "$desc: message lacks /$pat/: $(cat "$WORK/r.err")" || return
	echo "    ok: $desc -> $(head -n 1 "$WORK/r.err")"
}

# kstat srv|cli GROUP NAME: a counter of /proc/net/snmp or /proc/net/netstat in that namespace.
kstat() {
	ip netns exec "$TOPO-$1" cat /proc/net/snmp /proc/net/netstat |
		awk -v g="$2:" -v n="$3" '$1 == g {
			if (!h) { for (i = 2; i <= NF; i++) if ($i == n) c = i; h = 1 }
			else { print (c ? $c : "missing"); exit } }'
}

# srv_mac [IFACE]: the MAC of the server's IFACE (srv0).
srv_mac() { ip -n "$TOPO-srv" -j link show dev "${1:-srv0}" | jq -r '.[0].address'; }
# gstat NAME [IFACE]: guard's counter NAME on the server's IFACE (srv0), from its own ip netns exec.
gstat() { srv "$SHAKEOFF" stats "${2:-srv0}" --json | jq -r --arg n "$1" '.counters[$n]'; }

xdp_name() { ip -n "$TOPO-srv" -j link show dev "$1" | jq -r '.[0].xdp.prog.name // "none"'; }
xdp_id() { ip -n "$TOPO-srv" -j link show dev "$1" | jq -r '.[0].xdp.prog.id // 0'; }
cli_xdp_name() { ip -n "$TOPO-cli" -j link show dev "$1" | jq -r '.[0].xdp.prog.name // "none"'; }
prog_exists() { bpftool prog show id "$1" >/dev/null 2>&1; }

# A mount namespace with a fresh bpffs that lives as long as HOLDER (a job of
# the case), so pins outlive the process that made them, as on the host.
holder_up() {
	local i
	unshare --mount --propagation private sleep 120 &
	HOLDER=$!
	echo $HOLDER >>"$WORK/holders"
	# Mount only once the holder has its own mount namespace, never over the host's bpffs.
	for i in $(seq 50); do
		[ "$(readlink "/proc/$HOLDER/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] && break
		sleep 0.05
	done
	[ "$(readlink "/proc/$HOLDER/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ] ||
		fail "unshare --mount did not give a mount namespace" || return
	nsenter --mount="/proc/$HOLDER/ns/mnt" mount -t bpf bpf /sys/fs/bpf ||
		fail "cannot mount a private bpffs"
}
# pin_dir IFACE [NS]: where a guard in namespace NS (default $TOPO-srv) pins IFACE's objects.
# wait_grep FILE PATTERN [TENTHS [-E|-F|-G]]: 0 once FILE holds PATTERN (extended regex
# unless told), 1 after TENTHS tenths of a second (default 50: 5 s).
wait_grep() {
	local i
	for i in $(seq "${3:-50}"); do
		grep -q "${4:--E}" -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# guard_attached PID LOG: wait (30 s at most) until the guard PID writing LOG has attached.
# 77 (the case skips) when the kernel lacks the kfunc; 1 when guard exited first.
guard_attached() {
	local i
	for i in $(seq 300); do
		grep -q -e 'Ctrl-C to detach' -e '"event":"attached"' "$2" && return 0
		if ! kill -0 "$1" 2>/dev/null; then
			wait "$1"
			grep -q 'lacks bpf_sk_assign_tcp_reqsk' "$2" && echo "kernel lacks bpf_sk_assign_tcp_reqsk" && return 77
			fail "guard exited before attaching: $(cat "$2")"
			return 1
		fi
		sleep 0.1
	done
	fail "guard did not attach within 30 s: $(cat "$2")"
}

pin_dir() { echo "/sys/fs/bpf/shakeoff/$(stat -L -c %i "/run/netns/${2:-$TOPO-srv}")/$1"; }
in_holder() { nsenter --mount="/proc/$HOLDER/ns/mnt" --net="/run/netns/$TOPO-srv" "$@"; }
