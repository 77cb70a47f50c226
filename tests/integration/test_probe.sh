#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# shakeoff probe against real servers on a namespace pair: a kernel echo
# server over IPv4 and IPv6 (every connection succeeds, the server sees each
# one, the schedule takes the whole duration), a closed port (all refused),
# a server that resets what it accepts (all rst), the client's ports used up
# (other, EADDRNOTAVAIL), requests dropped by `lab attach drop` and SYNs
# dropped by nft (all timeouts; the bound on open connections skips and
# counts), nginx with --http (ok; a 403 is "short"), Ctrl-C (a summary
# still), bad flags.
#   [VERBOSE=1] bash tests/integration/test_probe.sh [CASE-NAME-FILTER]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
. "$ROOT/scripts/lib/nginx.sh"
TOPO=soprb
FILTER=${1:-}
EPORT=7100	# echo server
CPORT=7101	# nothing listens
HPORT=8088	# nginx
RPORT=7102	# resets what it accepts

# probe OUT ARGS...: `shakeoff probe --json ARGS` from the client; its lines in OUT.
probe() {
	local out=$1
	shift
	cli "$SHAKEOFF" probe --json "$@" >"$out" 2>"$out.err" ||
		fail "probe exited $?: $(cat "$out.err")" || return
	[ -z "$(cat "$out.err")" ] || fail "probe wrote to stderr: $(cat "$out.err")" || return
}
sum() { jq -r "select(.event == \"summary\") | $2" "$1"; }

echo_up() {
	: >"$WORK/echo.log"
	bg_srv $PY "$HERE/echo_server.py" $EPORT --log "$WORK/echo.log" --backlog 1024 >/dev/null 2>&1
	wait_listen $EPORT || fail "echo server did not listen"
}

# case_echo FAMILY DST: 200/s for 2 s, all ok.
echo_case() {
	local dst=$1 o=$WORK/echo.json
	echo_up || return
	probe "$o" --dst "$dst" --port $EPORT --rate 200 --duration 2 || return
	want_eq "attempted" "$(sum "$o" .attempted)" 400 || return
	want_eq "ok" "$(sum "$o" .ok)" 400 || return
	want_eq "success" "$(sum "$o" .success)" 1 || return
	want_eq "failed" "$(sum "$o" '[.failed[]] | add')" 0 || return
	want_eq "skipped" "$(sum "$o" .skipped)" 0 || return
	want_eq "second lines" "$(jq -r 'select(.event == "second") | "\(.t):\(.attempted):\(.ok)"' "$o" | tr '\n' ' ')" \
		"0:200:200 1:200:200 " || return
	# achieved = attempted / the time the schedule ran, within 3 %
	want_range "achieved rate" "$(sum "$o" '.achieved_rate | floor')" 194 206 || return
	# the starts were spread over the duration, not fired at once
	want_eq "schedule took the duration" "$(sum "$o" '.elapsed_s >= 1.99')" true || return
	# sub-millisecond exchanges started 5 ms apart overlap little; a burst would open many at once
	want_range "open at once at most" "$(sum "$o" .inflight_max)" 1 100 || return
	want_eq "connect p50 <= p99 <= max" \
		"$(sum "$o" '.connect_ms | .p50 > 0 and .p50 <= .p99 and .p99 <= .max')" true || return
	want_eq "cdf rises to 1" "$(sum "$o" '.cdf | length > 5 and .[-1][1] == 1 and (map(.[0]) | . == sort)')" true || return
	wait_grep "$WORK/echo.log" . 1 >/dev/null
	want_eq "connections the server accepted" "$(grep -c . "$WORK/echo.log")" 400 || return
	note "$(sum "$o" '"\(.attempted) attempted, \(.ok) ok, connect p50 \(.connect_ms.p50) p99 \(.connect_ms.p99) ms, late start max \(.late_max_ms) ms, \(.inflight_max) open at most"')"
}
case_echo4() { echo_case $SRV_IP4; }
case_echo6() { echo_case $SRV_IP6; }

case_refused() {
	local o=$WORK/refused.json
	probe "$o" --dst $SRV_IP4 --port $CPORT --rate 100 --duration 1 || return
	want_eq "attempted" "$(sum "$o" .attempted)" 100 || return
	want_eq "refused" "$(sum "$o" .failed.refused)" 100 || return
	want_eq "ok" "$(sum "$o" .ok)" 0 || return
	want_eq "connect p50 of none" "$(sum "$o" .connect_ms.p50)" null || return
	want_eq "cdf" "$(sum "$o" '.cdf | length')" 0
}

# A server that resets every connection it accepts (SO_LINGER 0): all rst.
case_rst() {
	local o=$WORK/rst.json
	bg_srv $PY -c "
import socket, struct
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', $RPORT)); s.listen(1024)
while True:
    c, _ = s.accept()
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    c.close()
" >/dev/null 2>&1
	wait_listen $RPORT || fail "the resetting server did not listen" || return
	probe "$o" --dst $SRV_IP4 --port $RPORT --rate 100 --duration 1 || return
	want_eq "attempted" "$(sum "$o" .attempted)" 100 || return
	want_eq "rst" "$(sum "$o" .failed.rst)" 100
}

# Ten client ports, each left in TIME_WAIT by a finished echo exchange: then EADDRNOTAVAIL, "other".
case_no_ports() {
	local o=$WORK/ports.json range rc
	echo_up || return
	range=$(cli sysctl -n net.ipv4.ip_local_port_range)
	cli sysctl -qw net.ipv4.ip_local_port_range="41000 41009"
	cli sysctl -qw net.ipv4.tcp_tw_reuse=0
	probe "$o" --dst $SRV_IP4 --port $EPORT --rate 100 --duration 0.5
	rc=$?
	cli sysctl -qw net.ipv4.ip_local_port_range="$range"
	cli sysctl -qw net.ipv4.tcp_tw_reuse=2
	[ $rc -eq 0 ] || return
	want_range "ok (one per port)" "$(sum "$o" .ok)" 1 10 || return
	want_eq "the rest other" "$(sum "$o" '.failed.other == .attempted - .ok')" true || return
	want_eq "counted as EADDRNOTAVAIL" "$(sum "$o" '.errors.EADDRNOTAVAIL == .failed.other')" true
}

# Requests dropped by XDP on the server: connected, no reply, timeout.
case_reply_timeout() {
	local o=$WORK/drop.json
	echo_up || return
	srv "$SHAKEOFF" lab attach srv0 drop --percent 100 >/dev/null || fail "lab attach drop failed" || return
	probe "$o" --dst $SRV_IP4 --port $EPORT --rate 50 --duration 1 --timeout 0.5
	local rc=$?
	srv "$SHAKEOFF" lab detach srv0 >/dev/null
	[ $rc -eq 0 ] || return
	want_eq "attempted" "$(sum "$o" .attempted)" 50 || return
	want_eq "timeout" "$(sum "$o" .failed.timeout)" 50 || return
	want_eq "connected (connect samples)" "$(sum "$o" '.cdf[-1][1]')" 1 || return
	want_eq "no total latency" "$(sum "$o" .total_ms.p50)" null
}

# SYNs dropped (nft): no connection at all; the bound of 20 open skips what a 0.5 s timeout keeps open.
case_syn_timeout() {
	local o=$WORK/syn.json
	command -v nft >/dev/null || { echo "nft is not installed"; return 77; }
	echo_up || return
	srv nft -f - <<-EOF2 || fail "nft setup failed" || return
		table inet probe_test {
			chain in { type filter hook input priority 0; tcp dport $EPORT tcp flags syn drop; }
		}
	EOF2
	probe "$o" --dst $SRV_IP4 --port $EPORT --rate 100 --duration 1 --timeout 0.5 --max-inflight 20
	local rc=$?
	srv nft delete table inet probe_test
	[ $rc -eq 0 ] || return
	want_eq "attempted + skipped" "$(sum "$o" '.attempted + .skipped')" 100 || return
	want_eq "every attempt timed out" "$(sum "$o" '.failed.timeout == .attempted')" true || return
	want_eq "at most 20 open" "$(sum "$o" .inflight_max)" 20 || return
	want_range "skipped" "$(sum "$o" .skipped)" 40 80 || return
	want_eq "none of them for lateness" "$(sum "$o" .skipped_late)" 0 || return
	want_eq "skips in the second lines" "$(jq -s '[.[] | select(.event == "second") | .skipped] | add' "$o")" \
		"$(sum "$o" .skipped)" || return
	want_eq "connect p50 of none" "$(sum "$o" .connect_ms.p50)" null
}

case_http() {
	local o=$WORK/http.json before after
	nginx_up "$WORK/nginx" $SRV_IP4 $HPORT >"$WORK/nginx.err" || fail "nginx: $(cat "$WORK/nginx.err")" || return
	before=$(nginx_accepts $SRV_IP4 $HPORT)
	probe "$o" --dst $SRV_IP4 --port $HPORT --http --rate 100 --duration 1 || return
	after=$(nginx_accepts $SRV_IP4 $HPORT)
	want_eq "ok" "$(sum "$o" .ok)" 100 || return
	want_eq "success" "$(sum "$o" .success)" 1 || return
	want_eq "nginx accepted" "$((after - before - 1))" 100 || return
	want_eq "GET / 200 in nginx's log" "$(grep -c '"GET / HTTP/1.1" 200' "$WORK/nginx/access.log")" 100 || return
	# no index: 403, a reply that is not a success
	rm "$WORK/nginx/www/index.html"
	probe "$o" --dst $SRV_IP4 --port $HPORT --http --rate 50 --duration 0.4 || return
	want_eq "403 is short" "$(sum "$o" '"\(.ok) \(.failed.short)"')" "0 20"
}

case_sigint() {
	local o=$WORK/int.json pid rc
	echo_up || return
	ip netns exec "$TOPO-cli" "$SHAKEOFF" probe --json --dst $SRV_IP4 --port $EPORT --rate 100 \
		--duration 30 >"$o" 2>&1 &
	pid=$!
	sleep 1.5
	kill -INT $pid
	wait $pid
	rc=$?
	want_eq "exit" $rc 0 || return
	want_eq "interrupted" "$(sum "$o" .interrupted)" true || return
	want_range "attempted" "$(sum "$o" .attempted)" 100 200 || return
	want_eq "ok + unfinished = attempted" "$(sum "$o" '.ok + .unfinished == .attempted')" true || return
	want_range "second lines" "$(grep -c '"event":"second"' "$o")" 1 2
}

case_usage() {
	refuse "no --dst" "--dst is required" cli "$SHAKEOFF" probe --port 1 || return
	refuse "bad --rate" "--rate wants" cli "$SHAKEOFF" probe --dst $SRV_IP4 --port 1 --rate 0 || return
	refuse "mixed families" "same family" \
		cli "$SHAKEOFF" probe --dst $SRV_IP4 --port 1 --src $CLI_IP6 || return
	refuse "operand" "unexpected argument" cli "$SHAKEOFF" probe --dst $SRV_IP4 --port 1 x
}

# ---- main -----------------------------------------------------------------

suite_up cleanup jq ss nginx curl
run_case "probe: echo server over IPv4, 200/s for 2 s, all ok" case_echo4
run_case "probe: echo server over IPv6, 200/s for 2 s, all ok" case_echo6
run_case "probe: closed port, all refused" case_refused
run_case "probe: a server that resets, all rst" case_rst
run_case "probe: client ports run out, other with EADDRNOTAVAIL" case_no_ports
run_case "probe: requests dropped in XDP, all time out after connecting" case_reply_timeout
run_case "probe: SYNs dropped, all time out; the open bound skips and counts" case_syn_timeout
run_case "probe: nginx with --http; a 403 is short" case_http
run_case "probe: SIGINT ends early with a summary" case_sigint
run_case "probe: usage errors" case_usage
finish
