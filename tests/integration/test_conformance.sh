#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# TCP conformance against the Linux kernel (lab/scenarios/, the engine `shakeoff lab scenario` also plays): scripted
# segments from the client namespace, the server's replies recorded and
# compared after normalisation. Reference: the kernel with
# tcp_syncookies=1 (stateful) and =2 (always cookies), recorded CONF_RUNS
# times each and required to be stable; then the comparison itself is
# checked on altered traces; then shakeoff serve --syn-mode state / cookie
# against the matching reference, one case per scenario.
#   [VERBOSE=1] [CONF_RUNS=3] [CONF_OUT=DIR] bash tests/integration/test_conformance.sh [CASE-NAME-FILTER]
# CONF_OUT keeps the traces (JSON) and the full side-by-side diffs in DIR.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
TOPO=socf
FILTER=${1:-}
CONF=$ROOT/lab/scenarios
RUNS=${CONF_RUNS:-3}
OUT=${CONF_OUT:-$WORK}
ECHO_PORT=7 CLOSE_PORT=13
# The scripted client's addresses: on the client's link, owned by nobody, so
# the client kernel never answers what the server sends (no RST to a SYN-ACK);
# the server reaches them through static neighbour entries.
SPARE4=10.99.0.11 SPARE6=fd99::11

conf() { $PY "$CONF/conformance.py" "$@"; }

# record TARGET FILE [APPS]: play every scenario from the client namespace.
# Every recording takes a block of client ports no earlier one used, so no
# scenario meets a connection an earlier recording left on the server. The
# counter lives in a file: record runs in subshells.
record() {
	local block
	block=$(($(cat "$WORK/port_block" 2>/dev/null || echo 20000) + 100))
	echo $block >"$WORK/port_block"
	cli $PY "$CONF/conformance.py" run --target "$1" --out "$2" --dst-mac "$SRV_MAC" \
		--port-base $block \
		--apps "${3:-echo=$ECHO_PORT,closefirst=$CLOSE_PORT}" --cli4 $SPARE4 --srv4 $SRV_IP4 \
		--cli6 $SPARE6 --srv6 $SRV_IP6
}

# The reference's settings, all explicit (BBR and cubic are not what we compare with).
ref_sysctls() {	# SYNCOOKIES
	srv sysctl -qw net.ipv4.tcp_congestion_control=reno net.ipv4.tcp_ecn=0 \
		net.ipv4.tcp_syncookies="$1" net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 \
		net.ipv4.tcp_dsack=1 net.ipv4.tcp_window_scaling=1 net.ipv4.tcp_invalid_ratelimit=500 \
		net.ipv4.tcp_challenge_ack_limit=2147483647 net.ipv4.tcp_synack_retries=5 \
		net.ipv4.tcp_early_retrans=3 net.ipv4.tcp_rto_min_us=200000
}

# kernel_runs MODE SYNCOOKIES: RUNS recordings against ref_server.py; all must
# normalise to the first one.
kernel_runs() {
	local mode=$1 i out
	ref_sysctls "$2" || fail "cannot set the reference's sysctls" || return
	ip netns exec "$TOPO-srv" $PY "$CONF/ref_server.py" $ECHO_PORT:echo $CLOSE_PORT:closefirst \
		>"$WORK/ref.log" 2>&1 &
	wait_listen $ECHO_PORT && wait_listen $CLOSE_PORT || fail "ref_server.py did not start" || return
	for i in $(seq "$RUNS"); do
		out=$(record "kernel-$mode-$i" "$OUT/kernel-$mode-$i.json") ||
			fail "recording run $i failed: $out" || return
		note "$out"
	done
	for i in $(seq 2 "$RUNS"); do
		conf compare "$OUT/kernel-$mode-1.json" "$OUT/kernel-$mode-$i.json" \
			>"$OUT/kernel-$mode-$i.diff" 2>&1 ||
			fail "run $i differs from run 1: $(grep '^FAIL' "$OUT/kernel-$mode-$i.diff")
$(grep -v '^ok' "$OUT/kernel-$mode-$i.diff")" || return
		note "run $i = run 1: $(tail -n 1 "$OUT/kernel-$mode-$i.diff")"
	done
	conf show "$OUT/kernel-$mode-1.json" >"$OUT/kernel-$mode.trace.txt"
}

case_kernel_state() { kernel_runs state 1; }
case_kernel_cookie() { kernel_runs cookie 2; }
case_serve_state() { serve_record state; }
case_serve_cookie() { serve_record cookie; }

case_selftest() {
	[ -s "$OUT/kernel-state-1.json" ] || fail "no kernel-state trace" || return
	conf selftest "$OUT/kernel-state-1.json" -v
}

serve_ok() { "$SHAKEOFF" serve --help >/dev/null 2>&1; }

# serve_record MODE: shakeoff serve --syn-mode MODE on srv0, one echo by a real
# client, every scenario recorded, SIGTERM, compared with kernel-MODE-1.
serve_record() {
	local mode=$1 log out i
	log=$WORK/serve-$mode.log
	rm -f "$WORK/serve-$mode.result.json"
	serve_ok || { echo "shakeoff serve is not built yet (serve --help fails)"; return 77; }
	[ -s "$OUT/kernel-$mode-1.json" ] || fail "no kernel-$mode reference trace" || return
	# serve owns the port: no kernel listener behind it
	ns_reap srv
	srv sysctl -qw net.ipv4.tcp_syncookies=1
	ip netns exec "$TOPO-srv" "$SHAKEOFF" serve srv0 --port $ECHO_PORT --app echo \
		--syn-mode "$mode" --msl 1 --interval 0 >"$log" 2>&1 &
	GUARD_PID=$!	# guard_stop (run_case's trap): SIGTERM and wait
	for i in $(seq 300); do
		grep -q 'Ctrl-C to detach' "$log" && break
		kill -0 "$GUARD_PID" 2>/dev/null || fail "serve exited: $(cat "$log")" || return
		sleep 0.1
	done
	grep -q 'Ctrl-C to detach' "$log" || fail "serve did not attach in 30 s: $(cat "$log")" || return
	out=$(cli $PY "$HERE/tcp_client.py" $SRV_IP4 --port $ECHO_PORT --count 1 --bytes 1000 \
		--deadline 5) || fail "a kernel client's echo through serve failed: $out" || return
	note "echo through serve: $(jq -c '{ok, failed}' <<<"$out")"
	out=$(record "serve-$mode" "$OUT/serve-$mode.json" "echo=$ECHO_PORT") ||
		fail "recording failed: $out" || return
	note "$out"
	kill -0 "$GUARD_PID" 2>/dev/null || fail "serve died during the scenarios: $(tail -n 5 "$log")" ||
		return
	guard_stop

	# the server-closes-first scenarios: serve's 'close' app on its own port
	ip netns exec "$TOPO-srv" "$SHAKEOFF" serve srv0 --port $CLOSE_PORT --app close \
		--syn-mode "$mode" --msl 1 --interval 0 >"$log.close" 2>&1 &
	GUARD_PID=$!
	for i in $(seq 300); do
		grep -q 'Ctrl-C to detach' "$log.close" && break
		kill -0 "$GUARD_PID" 2>/dev/null || fail "serve (close) exited: $(cat "$log.close")" ||
			return
		sleep 0.1
	done
	out=$(record "serve-$mode-close" "$OUT/serve-$mode-close.json" "closefirst=$CLOSE_PORT") ||
		fail "recording (close app) failed: $out" || return
	note "$out"
	guard_stop
	# one trace: the echo run's scenarios plus the close app's
	jq -s '.[0] as $e | .[1] as $c | $e | .scenarios += $c.scenarios
		| .skipped = ($e.skipped | with_entries(select(.key as $k | $c.scenarios | has($k) | not)))' \
		"$OUT/serve-$mode.json" "$OUT/serve-$mode-close.json" >"$OUT/serve-$mode.merged.json" &&
		mv "$OUT/serve-$mode.merged.json" "$OUT/serve-$mode.json" ||
		fail "could not merge the two recordings" || return
	conf compare "$OUT/kernel-$mode-1.json" "$OUT/serve-$mode.json" \
		--result "$WORK/serve-$mode.result.json" >"$OUT/serve-$mode.diff" 2>&1
	note "$(tail -n 1 "$OUT/serve-$mode.diff")"
	conf compare "$OUT/kernel-$mode-1.json" "$OUT/serve-$mode.json" --tsecr valid \
		>"$OUT/serve-$mode.tsecr-valid.diff" 2>&1
	note "with TSecr checked only for echoing a sent TSval: $(tail -n 1 "$OUT/serve-$mode.tsecr-valid.diff")"
}

# One scenario's comparison, from serve_record's result.
case_serve_scenario() {
	local res=$WORK/serve-$MODE.result.json st
	if [ ! -s "$res" ]; then
		serve_ok || { echo "shakeoff serve is not built yet"; return 77; }
		fail "no comparison for serve --syn-mode $MODE (its recording case failed)"
		return
	fi
	st=$(jq -r --arg n "$SC" '.[$n].status // "missing"' "$res")
	case $st in
	pass) return 0 ;;
	skip) jq -r --arg n "$SC" '.[$n].problems[0]' "$res"; return 77 ;;
	fail)
		echo "differs in: $(jq -r --arg n "$SC" '.[$n].problems | join("; ")' "$res")"
		jq -r --arg n "$SC" '.[$n].short' "$res"
		return 1
		;;
	*) fail "scenario $SC not in the comparison" ;;
	esac
}

# cleanup, with the logs kept in CONF_OUT once nothing writes them any more
socf_cleanup() {
	pkill -TERM -P $$ 2>/dev/null
	ns_reap
	[ -n "${CONF_OUT:-}" ] && cp "$WORK"/*.log "$OUT"/ 2>/dev/null
	cleanup
}

# ---- main ----------------------------------------------------------------

[ "$(id -u)" -eq 0 ] || suite_skip "needs root (namespaces, XDP)"
$PY -c 'import scapy' 2>/dev/null || suite_skip "scapy missing for $PY"
mkdir -p "$OUT"
suite_up socf_cleanup jq ip
CLI_MAC=$(ip -n "$TOPO-cli" -j link show dev cli0 | jq -r '.[0].address')
SRV_MAC=$(ip -n "$TOPO-srv" -j link show dev srv0 | jq -r '.[0].address')
ip -n "$TOPO-srv" neigh replace $SPARE4 lladdr "$CLI_MAC" dev srv0 nud permanent
ip -n "$TOPO-srv" neigh replace $SPARE6 lladdr "$CLI_MAC" dev srv0 nud permanent

SECONDS=0
run_case "conformance: kernel reference, tcp_syncookies=1, $RUNS runs alike" case_kernel_state always
run_case "conformance: kernel reference, tcp_syncookies=2, $RUNS runs alike" case_kernel_cookie always
run_case "conformance: the comparison rejects altered traces" case_selftest
for MODE in state cookie; do
	run_case "conformance: serve --syn-mode $MODE recorded" case_serve_$MODE always
	for SC in $(conf list | cut -f1); do
		run_case "conformance: serve --syn-mode $MODE vs kernel: $SC" case_serve_scenario
	done
done
echo "($SECONDS s)"
finish
