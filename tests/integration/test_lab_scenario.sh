#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# shakeoff lab scenario: every textbook case played for real against the
# kernel, some also against serve and guard; each run must succeed, its
# checks hold, and its --json lines (shakeoff trace's) show the case's key
# segments. The runs go a few at a time in one case (each builds namespaces of
# its own), the per-run cases read their results.
#   [VERBOSE=1] [SC_PAR=4] bash tests/integration/test_lab_scenario.sh [CASE-NAME-FILTER]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
TOPO=lsc
FILTER=${1:-}
PAR=${SC_PAR:-4}
CASES="three-way-handshake lost-synack old-duplicate-syn data-cumulative-ack client-close
server-close simultaneous-close half-close time-wait-late-fin rst-exact rst-in-window
rst-outside-window"
# server:scenario; the kernel plays every case
RUNS="$(for c in $CASES; do echo "kernel:$c"; done)
serve:lost-synack serve:half-close guard:three-way-handshake guard:old-duplicate-syn"

sc() { "$SHAKEOFF" lab scenario "$@"; }

case_list() {
	local out c
	out=$(sc list) || fail "list exited $?" || return
	for c in $CASES; do
		grep -q "^$c " <<<"$out" || fail "list lacks $c: $out" || return
	done
	want_eq "cases listed" "$(grep -c . <<<"$out")" "$(wc -w <<<"$CASES")"
}

case_usage() {
	refuse "an unknown case" "unknown scenario 'no-such-case'" sc run no-such-case || return
	refuse "an unknown server" "--server takes kernel, serve or guard" \
		sc run three-way-handshake --server apache || return
	refuse "run without a name" "one scenario NAME" sc run || return
	refuse "an unknown subcommand" "unknown subcommand 'play'" sc play x
}

# one run: its --json lines, stderr and exit code under $WORK/run/SERVER-NAME.*
one_run() {
	local srv=${1%%:*} name=${1#*:} f
	f=$WORK/run/$srv-$name
	"$SHAKEOFF" lab scenario run "$name" --server "$srv" --json >"$f.json" 2>"$f.err"
	echo $? >"$f.rc"
}

case_runs() {
	local r n=0 t0=$SECONDS
	mkdir -p "$WORK/run"
	for r in $RUNS; do
		one_run "$r" &
		n=$((n + 1))
		[ $((n % PAR)) -eq 0 ] && wait
	done
	wait
	note "$n runs, $PAR at a time, in $((SECONDS - t0)) s"
	ip netns list | grep -q '^sosc' && fail "namespaces left behind: $(ip netns list | grep '^sosc')"
	return 0
}

# The jq test of each case's key segments, over the run's segment lines
# (slurped, in order). has(F): every flag of the comma list F is set.
JQ_DEFS='def has($f): (.flags | split(",")) as $x | all($f | split(",")[]; . as $g | any($x[]; . == $g));
def cs($f): .dir == "c>s" and has($f); def sc($f): .dir == "s>c" and has($f);
def idx(p): [to_entries[] | select(.value | p) | .key][0];
def after(p; q): . as $a | idx(p) as $i | $i != null and any($a[$i + 1:][]; q);'
key_jq() {
	case $1 in
	three-way-handshake) echo 'any(.[]; cs("SYN")) and any(.[]; sc("SYN,ACK") and .ack == 1) and
		after(sc("SYN,ACK"); .dir == "c>s" and .flags == "ACK")' ;;
	lost-synack) if [ "$2" = guard ]; then echo '[.[] | select(sc("SYN,ACK"))] | length == 1'
		else echo '([.[] | select(sc("SYN,ACK"))] | length >= 2) and
			any(.[]; sc("SYN,ACK") and (.note // "" | test("retransmission")))'; fi ;;
	old-duplicate-syn) echo 'after(sc("SYN,ACK"); cs("RST")) and
		after(cs("RST"); sc("SYN,ACK")) and any(.[]; .dir == "s>c" and .len > 0) and
		([.[].conn] | unique | length == 2) and
		all(.[]; (.flags | test("SYN") | not) or .seq == 0)' ;;
	data-cumulative-ack) echo 'any(.[]; .dir == "s>c" and .ack == 21) and
		any(.[]; .dir == "s>c" and .ack == 51) and
		([.[] | select(.dir == "c>s" and .flags == "ACK" and .ack == 51)] | length == 1)' ;;
	client-close) echo 'after(cs("FIN"); sc("FIN"))' ;;
	server-close) echo 'idx(sc("FIN")) < idx(cs("FIN")) and
		any(.[]; .dir == "c>s" and .flags == "ACK" and .server_state == "FIN_WAIT_2")' ;;
	simultaneous-close) echo 'any(.[]; sc("FIN")) and any(.[]; cs("FIN")) and
		any(.[]; cs("FIN") and .client_state == "FIN_WAIT_1" and .server_state == "CLOSING")' ;;
	half-close) echo 'after(cs("FIN"); .dir == "s>c" and .len > 0) and any(.[]; sc("FIN"))' ;;
	time-wait-late-fin) echo '([.[] | select(cs("FIN"))] | length >= 2) and
		(. as $a | ([to_entries[] | select(.value | cs("FIN")) | .key] | last) as $i |
		any($a[$i + 1:][]; .dir == "s>c" and .flags == "ACK")) and
		any(.[]; cs("FIN") and (.note // "" | test("retransmission")))' ;;
	rst-exact) echo 'after(cs("RST"); sc("RST"))' ;;
	rst-in-window) echo 'after(cs("RST"); .dir == "s>c" and .flags == "ACK") and
		any(.[]; cs("RST") and (.note // "" | test("challenge ACK"))) and
		after(cs("RST"); .dir == "s>c" and .len > 0)' ;;
	rst-outside-window) echo '([.[] | select(cs("RST"))] | length == 2) and
		all(.[]; (cs("RST") | not) or (.note // "" | test("outside the window"))) and
		after(cs("RST"); .dir == "s>c" and .len > 0)' ;;
	*) echo false ;;
	esac
}

case_run() {
	local f=$WORK/run/$SRV-$SC rc
	[ -f "$f.rc" ] || fail "no run (the runs case did not play it)" || return
	rc=$(cat "$f.rc")
	[ "$rc" = 0 ] || fail "exit $rc: $(cat "$f.err"; tail -n 1 "$f.json")" || return
	tail -n 1 "$f.json" | jq -e --arg n "$SC" --arg s "$SRV" \
		'.event == "notes" and .scenario == $n and .server == $s and .ok and (.notes | length > 0)
		 and all(.checks[]; .ok)' >/dev/null ||
		fail "last line is not the case's notes with every check ok: $(tail -n 1 "$f.json")" ||
		return
	jq -e -s 'all(.[]; keys_unsorted[0] == "ts")' "$f.json" >/dev/null ||
		fail "a JSON line whose first key is not ts" || return
	# serve's engine sends over AF_XDP, past the trace's TC observer: its controller reports them
	if [ "$SRV" = serve ] && ! jq -e -s 'any(.[]; .event == "segment" and .dir == "s>c" and
		(.flags | test("SYN") | not))' "$f.json" >/dev/null; then
		fail "the trace shows none of serve's AF_XDP segments"
		return
	fi
	jq -e -s "$JQ_DEFS map(select(.event == \"segment\")) | $(key_jq "$SC" "$SRV")" "$f.json" \
		>/dev/null || fail "key segments missing; segments were:
$(jq -c 'select(.event == "segment") | [.dir, .flags, .seq, .ack, .len]' "$f.json")" || return
	note "$(jq -r 'select(.event == "segment")' "$f.json" | jq -s length) segments"
}

# Ctrl-C halfway: the run ends and takes its namespaces with it.
case_sigint() {
	local pid i
	"$SHAKEOFF" lab scenario run lost-synack >"$WORK/int.out" 2>"$WORK/int.err" &
	pid=$!
	for i in $(seq 100); do
		ip netns list | grep -q "^sosc$pid-srv" && break
		sleep 0.1
	done
	sleep 1.5
	kill -INT $pid
	for i in $(seq 100); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	kill -0 $pid 2>/dev/null && fail "still running 10 s after SIGINT" && return 1
	wait $pid
	echo "    exit $? after SIGINT: $(tail -n 1 "$WORK/int.err")"
	ip netns list | grep -q "^sosc$pid-" && fail "namespaces left: $(ip netns list | grep sosc)"
	grep -q interrupted "$WORK/int.err" || fail "no word of the interruption: $(cat "$WORK/int.err")"
}

# ---- main ----------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || suite_skip "needs root (namespaces, XDP)"
$PY -c 'import scapy' 2>/dev/null || suite_skip "scapy missing for $PY"
suite_up cleanup jq ip
SECONDS=0
run_case "lab scenario: list names every case" case_list
run_case "lab scenario: usage errors exit 2 with one line" case_usage
run_case "lab scenario: every run played" case_runs always
for r in $RUNS; do
	SRV=${r%%:*} SC=${r#*:}
	run_case "lab scenario: $SC against $SRV: checks hold, key segments in --json" case_run
done
run_case "lab scenario: SIGINT tears everything down" case_sigint
echo "($SECONDS s)"
finish
