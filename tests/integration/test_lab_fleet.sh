#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# shakeoff lab fleet: two guarded servers on one VIP behind a router that
# sends every SYN to server A and the rest of each connection to server B.
# Shared key file: every connection completes; separate secrets: none does.
# The command builds and removes its own namespaces (soflPID-*): none of
# them, and no process in them, is left after a run, also after SIGINT in
# the middle of one; a dead run's leftovers are removed by the next.
#   [VERBOSE=1] bash tests/integration/test_lab_fleet.sh [FILTER]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
TOPO=sofx
FILTER=${1:-}
N=10

# fleet_bg LOG ARGS...: `lab fleet ARGS` in the background, stdout in LOG, stderr in LOG.err; FLEET_PID.
fleet_bg() {
	local log=$1
	shift
	"$SHAKEOFF" lab fleet "$@" >"$log" 2>"$log.err" &
	FLEET_PID=$!
}

# fleet_ns_inodes PID: the netns inodes of run PID's namespaces (while they exist).
fleet_ns_inodes() {
	local f
	for f in /run/netns/sofl"$1"-*; do
		[ -e "$f" ] && stat -L -c %i "$f"
	done
}

# left_behind PID LOG INODES...: what run PID (its stderr in LOG) left: its namespaces,
# processes in them, its router program.
left_behind() {
	local pid=$1 log=$2 ino p id
	shift 2
	ip netns list | grep "^sofl$pid-" | sed 's/^/namespace /'
	for p in /proc/[0-9]*; do
		ino=$(stat -L -c %i "$p/ns/net" 2>/dev/null) || continue
		for i in "$@"; do
			[ "$ino" = "$i" ] && echo "process ${p#/proc/} in a fleet namespace: $(tr '\0' ' ' <"$p/cmdline")"
		done
	done
	id=$(sed -n 's/.*so_fleet_split (id \([0-9]*\)).*/\1/p' "$log")
	[ -n "$id" ] || echo "no router program id in $log"
	[ -n "$id" ] && bpftool prog show id "$id" >/dev/null 2>&1 && echo "router program $id still loaded"
	return 0
}

# run_mode KEYS ARGS...: one run of lab fleet ARGS; its mode line in $WORK/KEYS.mode, nothing left after it.
run_mode() {
	local keys=$1 out=$WORK/$1 rc left
	shift
	fleet_bg "$out.jsonl" "$@" --json --out "$out"
	wait_grep "$out.jsonl.err" 'connections at' 200 ||
		{ wait $FLEET_PID; grep -q 'lacks bpf_sk_assign_tcp_reqsk' "$out.jsonl.err" &&
			echo "kernel lacks bpf_sk_assign_tcp_reqsk" && return 77
		fail "no client within 20 s: $(cat "$out.jsonl.err")"; return 1; }
	inodes=$(fleet_ns_inodes $FLEET_PID)
	wait $FLEET_PID
	rc=$?
	want_eq "exit code" $rc 0 || { cat "$out.jsonl.err"; return 1; }
	left=$(left_behind $FLEET_PID "$out.jsonl.err" $inodes)
	[ -z "$left" ] || fail "left after the run: $left" || return
	jq -c 'select(.event == "mode")' "$out.jsonl" >"$WORK/$keys.mode"
	want_eq "mode lines" "$(grep -c . "$WORK/$keys.mode")" 1 || return
	jq -e '.ts and .keys and (.failed | length == 5)' "$WORK/$keys.mode" >/dev/null ||
		fail "mode line lacks keys: $(cat "$WORK/$keys.mode")" || return
	jq -e '.experiment == "fleet" and (.modes | length == 1)' "$out/fleet.json" >/dev/null ||
		fail "bad fleet.json: $(cat "$out/fleet.json")" || return
	grep -q "^| $keys | $N |" "$out/fleet.md" || fail "no $keys row in fleet.md: $(cat "$out/fleet.md")"
}

mode() { jq -r "$2" "$WORK/$1.mode"; }

case_shared() {
	local stale stale_dir
	# a run that died without cleaning up: its namespace (pid gone) goes at the next start
	sleep 0 &
	stale=sofl$!-cli
	wait
	ip netns add "$stale" || return
	mkdir "/tmp/shakeoff-fleet.${stale#sofl}" || return
	stale_dir=/tmp/shakeoff-fleet.${stale#sofl}
	# the shipped experiment file, the command line overriding its keys and sizes
	run_mode shared --config "$ROOT/experiments/fleet.exp" --keys shared --connections $N \
		--rate 40 --timeout 1.5 || return
	ip netns list | grep -q "^$stale" && fail "stale namespace $stale still there" && return
	[ -e "$stale_dir" ] && fail "stale work directory $stale_dir still there" && return
	cat "$WORK/shared.mode"
	want_eq "attempted" "$(mode shared .attempted)" $N || return
	want_eq "completed" "$(mode shared .completed)" $N || return
	want_eq "failed" "$(mode shared '[.failed[]] | add')" 0 || return
	want_eq "SYNs the router sent to A" "$(mode shared .router.syn_to_a)" $N || return
	# each connection's ACK, request and close at least went to B
	want_range "segments the router sent to B" "$(mode shared .router.rest_to_b)" $((3 * N)) 100000 || return
	want_eq "as_expected" "$(mode shared .as_expected)" true
}

case_separate() {
	printf 'type = fleet\nkeys = separate\nconnections = %s\nrate = 40\ntimeout = 1.5\n' $N \
		>"$WORK/separate.exp"
	run_mode separate --config "$WORK/separate.exp" || return
	cat "$WORK/separate.mode"
	want_eq "attempted" "$(mode separate .attempted)" $N || return
	want_eq "completed" "$(mode separate .completed)" 0 || return
	want_eq "failed (timeout or rst)" "$(mode separate '.failed.timeout + .failed.rst')" $N || return
	want_eq "SYNs the router sent to A" "$(mode separate .router.syn_to_a)" $N || return
	want_eq "as_expected" "$(mode separate .as_expected)" true
}

case_sigint() {
	local inodes left i
	fleet_bg "$WORK/int.out" --keys shared --connections 400 --rate 20
	wait_grep "$WORK/int.out.err" 'connections at' 200 || fail "no client within 20 s" || return
	inodes=$(fleet_ns_inodes $FLEET_PID)
	[ -n "$inodes" ] || fail "no namespaces of run $FLEET_PID" || return
	sleep 1
	kill -INT $FLEET_PID
	for i in $(seq 100); do
		kill -0 $FLEET_PID 2>/dev/null || break
		sleep 0.1
	done
	kill -0 $FLEET_PID 2>/dev/null && fail "still running 10 s after SIGINT" && return
	wait $FLEET_PID
	want_eq "exit code after SIGINT" $? 0 || return
	left=$(left_behind $FLEET_PID "$WORK/int.out.err" $inodes)
	[ -z "$left" ] || fail "left after SIGINT: $left" || return
	grep -q interrupted "$WORK/int.out.err" || fail "no 'interrupted' note: $(cat "$WORK/int.out.err")"
}

# lab run hands a type = fleet file to lab fleet, with its own --out.
case_lab_run() {
	printf 'type = fleet\nkeys = shared\nconnections = 3\nrate = 40\n' >"$WORK/run.exp"
	"$SHAKEOFF" lab run "$WORK/run.exp" --out "$WORK/run" >"$WORK/run.log" 2>&1 ||
		fail "lab run exited $?: $(cat "$WORK/run.log")" || return
	grep -q '^keys shared *3 attempted, 3 completed' "$WORK/run.log" ||
		fail "no shared line: $(cat "$WORK/run.log")" || return
	jq -e '.modes[0].completed == 3 and .as_expected' "$WORK/run/fleet.json" >/dev/null ||
		fail "fleet.json: $(cat "$WORK/run/fleet.json")"
}

case_usage() {
	refuse "--keys other" 'keys.*shared, separate or both' "$SHAKEOFF" lab fleet --keys some || return
	refuse "--connections 0" 'connections' "$SHAKEOFF" lab fleet --connections 0 || return
	printf 'type = sweep\n' >"$WORK/bad.exp"
	refuse "type = sweep" 'bad.exp:1: type must be fleet' "$SHAKEOFF" lab fleet --config "$WORK/bad.exp" || return
	printf 'type = fleet\nflood = 1\n' >"$WORK/bad2.exp"
	refuse "an unknown key" 'bad2.exp:2' "$SHAKEOFF" lab fleet --config "$WORK/bad2.exp" || return
	"$SHAKEOFF" lab fleet --help | grep -qF -- "--keys shared|separate|both" || fail "--help lacks --keys"
}

suite_up cleanup jq bpftool
run_case "usage: bad flags and experiment files refused (exit 2, one line)" case_usage
run_case "shared key file: all $N connections complete, SYN to A and the rest to B; a dead run's namespace removed" case_shared
run_case "separate secrets: none of $N connections completes (timeout or RST)" case_separate
run_case "lab run EXPERIMENT with type = fleet runs lab fleet (text, DIR/fleet.json)" case_lab_run
run_case "SIGINT mid-run: exits 0, no namespace, process or program left" case_sigint
finish
