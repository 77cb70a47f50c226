#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# ECN through guard's cookies: a kernel client with tcp_ecn=1 asks for ECN in
# its SYN; guard's SYN-ACK grants it when the SYN carries timestamps (the
# cookie's ECN bit rides in our TSval) and the server namespace's tcp_ecn
# allows it when guard starts; the handoff then gives the kernel's socket ECN.
# Checked on both ends by TCP_INFO (tcpi_options & TCPI_OPT_ECN) and ss.
#   [VERBOSE=1] bash tests/integration/test_ecn.sh [CASE-NAME-FILTER]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
TOPO=soecn
FILTER=${1:-}
PORT=8009
TCPI_OPT_ECN=8

# ecn_round SRV_ECN CLI_TS: the server's tcp_ecn when guard starts, the
# client's tcp_timestamps; one IPv4 and one IPv6 connection through guard,
# held open while ss looks. Leaves the logs in $WORK/ecn.{srv,4,6,ss}.
ecn_round() {
	local i c4 c6
	ns_reap
	srv sysctl -qw net.ipv4.tcp_syncookies=1 net.ipv4.tcp_timestamps=1 net.ipv4.tcp_ecn="$1"
	cli sysctl -qw net.ipv4.tcp_ecn=1 net.ipv4.tcp_timestamps="$2"
	: >"$WORK/ecn.srv"
	bg_srv $PY "$HERE/echo_server.py" $PORT --log "$WORK/ecn.srv" >/dev/null 2>&1
	wait_listen $PORT || fail "echo server did not start" || return
	guard_start "$WORK/guard.log" --ports $PORT --interval 0 ||
		fail "guard did not start: $(cat "$WORK/guard.log")" || return
	bg_cli $PY "$HERE/tcp_client.py" $SRV_IP4 --port $PORT --hold 2 >"$WORK/ecn.4"
	c4=$!
	bg_cli $PY "$HERE/tcp_client.py" $SRV_IP6 --port $PORT --hold 2 >"$WORK/ecn.6"
	c6=$!
	for i in $(seq 30); do
		[ "$(srv ss -tnH state established "( sport = :$PORT )" | grep -c .)" -ge 2 ] && break
		sleep 0.1
	done
	srv ss -tieH state established "( sport = :$PORT )" >"$WORK/ecn.ss" 2>/dev/null
	sed 's/^/      ss| /' "$WORK/ecn.ss"
	wait $c4 $c6
	jq -e '.ok == 1' "$WORK/ecn.4" "$WORK/ecn.6" >/dev/null ||
		fail "clients failed: $(cat "$WORK/ecn.4" "$WORK/ecn.6")" || return
	want_eq "handshakes handed off by guard" "$(gstat tc_handoff)" 2 || return
	guard_stop
}

# ecn_want ON: both connections have ECN (1) or not (0), on both ends.
ecn_want() {
	local f s c
	for f in 4 6; do
		s=$(jq -r --argjson f $f "select(.family == \$f) | .options" "$WORK/ecn.srv")
		c=$(jq -r '.conns[0].options' "$WORK/ecn.$f")
		want_eq "IPv$f server socket ECN (tcpi_options $s)" $(((s & TCPI_OPT_ECN) != 0)) "$1" ||
			return
		want_eq "IPv$f client socket ECN (tcpi_options $c)" $(((c & TCPI_OPT_ECN) != 0)) "$1" ||
			return
	done
	want_eq "ss: server sockets showing ecn" "$(grep -cw ecn "$WORK/ecn.ss")" $((2 * $1))
}

case_ecn_ts() { ecn_round 2 1 && ecn_want 1; }
case_ecn_no_ts() { ecn_round 2 0 && ecn_want 0; }
case_ecn_off() { ecn_round 0 1 && ecn_want 0; }

suite_up cleanup jq ss
srv sysctl -qw net.ipv4.tcp_syncookies=1 || suite_fail "cannot set tcp_syncookies"

run_case "ecn: timestamps, server tcp_ecn=2: ECN on both ends" case_ecn_ts
run_case "ecn: client without timestamps: no ECN (no room in the cookie)" case_ecn_no_ts
run_case "ecn: server tcp_ecn=0 when guard starts: no ECN" case_ecn_off
finish
