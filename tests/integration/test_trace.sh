#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `shakeoff trace` on a live veth pair: real kernel connections from the
# client namespace (tcp_client.py: connect, 100 bytes echoed, close) drawn as
# a ladder, against a kernel echo server, the same behind guard, and serve;
# IPv4 and IPv6; the text ladder's lines and the --json lines' states.
#   [VERBOSE=1] bash tests/integration/test_trace.sh [CASE-NAME-FILTER]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
TOPO=solad
FILTER=${1:-}
PORT=8041

# trace_start LOG ARGS...: shakeoff trace on srv0 in the background, TRACE_PID set,
# once it says it runs (after attaching).
trace_start() {
	local log=$1
	shift
	ip netns exec "$TOPO-srv" "$SHAKEOFF" trace srv0 --port $PORT "$@" >"$log" 2>"$log.err" &
	TRACE_PID=$!
	TRACE_LOG=$log
	wait_grep "$log.err" 'Ctrl-C to stop' 50 || fail "trace did not start: $(cat "$log.err")"
}

# trace_wait: --count ends it by itself (bounded: 5 s, else TERM).
trace_wait() {
	local i
	for i in $(seq 50); do
		kill -0 $TRACE_PID 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 $TRACE_PID 2>/dev/null; then
		kill -TERM $TRACE_PID
		wait $TRACE_PID
		fail "trace did not end after --count: $(sed 's/^/      | /' "$TRACE_LOG")"
		return
	fi
	wait $TRACE_PID
	want_eq "trace's exit status" $? 0
}

# client ADDR...: one connection to each, 100 bytes echoed, the client closing first.
client() {
	cli $PY "$HERE/tcp_client.py" "$@" --count $# --port $PORT --bytes 100 >"$WORK/client.json" ||
		fail "client failed: $(cat "$WORK/client.json")"
}

# conn_lines LOG FAMILY: the lines of the first connection of that family (its id's lines).
conn_lines() {
	local id
	id=$(sed -nE "s/^conn ([0-9]+): client .* \(IPv$2\)\$/\1/p" "$1" | head -n 1)
	[ -n "$id" ] && awk -v id="$id" '$1 == id' "$1"
}

# want_seq LINES DESC REGEX...: lines matching each REGEX, in this order.
want_seq() {
	local lines=$1 desc=$2 re rest
	shift 2
	rest=$lines
	for re; do
		if ! grep -Eq -- "$re" <<<"$rest"; then
			fail "$desc: no line like /$re/ (after the ones before)"
			return 1
		fi
		rest=$(RE=$re awk 'found { print } !found && $0 ~ ENVIRON["RE"] { found = 1 }' <<<"$rest")
	done
	echo "    ok: $desc"
}

# The textbook ladder of one connection: handshake, 100 bytes each way, client close.
# SYN: the SYN's line and options as drawn (guard's XDP rebuilds the SYN it answered
# from its reply: seq, timestamps and SACK-permitted, not the MSS, window or window scale).
ladder_ok() {
	local lines=$1 f=$2 syn
	syn=(' SYN_SENT +-- SYN seq=0 len=0 win=[0-9]+ .*-> SYN_RCVD$' 'mss=[0-9]+ sack ws=[0-9]+ ts=[0-9]+/0')
	[ -z "${3:-}" ] || syn=("$3")
	[ -n "$lines" ] || fail "no IPv$f connection drawn" || return
	want_seq "$lines" "IPv$f handshake, data, client close" \
		"${syn[@]}" \
		' ESTABLISHED <-+ SYN,ACK seq=0 ack=1 len=0 win=[0-9]+ ' \
		' -- ACK seq=1 ack=1 len=0 .*-> ESTABLISHED$' \
		' -- PSH,ACK seq=1 ack=1 len=100 ' \
		'<-+ PSH,ACK seq=1 ack=101 len=100 ' \
		' FIN_WAIT_1 +-- FIN,ACK seq=101 ack=101 len=0 .*-> CLOSE_WAIT$' \
		'<-+ FIN,ACK seq=101 ack=102 len=0 .* LAST_ACK$' \
		' -- ACK seq=102 ack=102 len=0 .*-> CLOSED$' || return
	grep -Eq ' TIME_WAIT ' <<<"$lines" || fail "IPv$f: the client never in TIME_WAIT" || return
	[ "$(awk '{ print length }' <<<"$lines" | sort -n | tail -n 1)" -le 100 ] ||
		fail "IPv$f: a line wider than 100 columns"
}

case_kernel_text() {
	local f
	bg_srv $PY "$HERE/echo_server.py" $PORT >/dev/null 2>&1
	wait_listen $PORT || fail "echo server did not start" || return
	trace_start "$WORK/k.log" --count 2 || return
	client $SRV_IP4 $SRV_IP6 || return
	trace_wait || return
	sed 's/^/      | /' "$WORK/k.log"
	grep -Eq "^conn [0-9]+: client $CLI_IP4:[0-9]+, server $SRV_IP4:$PORT \(IPv4\)\$" "$WORK/k.log" ||
		fail "no IPv4 header line" || return
	grep -Eq "^conn [0-9]+: client \[$CLI_IP6\]:[0-9]+, server \[$SRV_IP6\]:$PORT \(IPv6\)\$" "$WORK/k.log" ||
		fail "no IPv6 header line" || return
	for f in 4 6; do
		ladder_ok "$(conn_lines "$WORK/k.log" $f)" $f || return
	done
	# no connection the trace only half saw (its socket states matched to its segments)
	want_eq "connections joined while open" "$(grep -c 'joined while open' "$WORK/k.log")" 0
}

# json_states LOG KEY: the values KEY takes, in order, repeats collapsed.
json_states() {
	jq -r --arg k "$2" 'select(.event == "segment" or .event == "state") | .[$k]' "$1" | uniq | paste -sd' '
}

case_kernel_json() {
	local f addr log
	bg_srv $PY "$HERE/echo_server.py" $PORT >/dev/null 2>&1
	wait_listen $PORT || fail "echo server did not start" || return
	for f in 4 6; do
		addr=$SRV_IP4
		[ $f = 6 ] && addr=$SRV_IP6
		log=$WORK/j$f.log
		trace_start "$log" --json --count 1 || return
		client $addr || return
		trace_wait || return
		sed 's/^/      | /' "$log"
		jq -e . "$log" >/dev/null || fail "IPv$f: a line that is not JSON" || return
		want_eq "IPv$f first key of every line" "$(jq -r 'keys_unsorted[0]' "$log" | sort -u)" ts || return
		want_eq "IPv$f connections" "$(jq -r .conn "$log" | sort -u | wc -l)" 1 || return
		want_eq "IPv$f family" "$(jq -r .family "$log" | sort -u)" $f || return
		want_eq "IPv$f SYN" "$(jq -c 'select(.event == "segment") | [.dir, .flags, .seq, .len]' "$log" | head -n 1)" \
			'["c>s","SYN",0,0]' || return
		want_eq "IPv$f SYN-ACK" "$(jq -c 'select(.flags == "SYN,ACK") | [.dir, .seq, .ack, (.options.mss > 0)]' "$log")" \
			'["s>c",0,1,true]' || return
		want_eq "IPv$f bytes each way" "$(jq -r 'select(.len > 0) | .dir + ":" + (.len | tostring)' "$log" | paste -sd' ')" \
			"c>s:100 s>c:100" || return
		want_eq "IPv$f server states" "$(json_states "$log" server_state)" \
			"SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED" || return
		json_states "$log" client_state | grep -Eqx 'SYN_SENT ESTABLISHED FIN_WAIT_1 (FIN_WAIT_2 )?TIME_WAIT' ||
			fail "IPv$f client states: $(json_states "$log" client_state)" || return
		# the kernel's own word on the server, beside the segments
		jq -e -s 'map(select(.event == "state" and .src == "sock")) | length >= 3' "$log" >/dev/null ||
			fail "IPv$f: fewer than 3 of the kernel's state changes" || return
	done
}

case_guard() {
	local f lines
	srv sysctl -qw net.ipv4.tcp_syncookies=1
	bg_srv $PY "$HERE/echo_server.py" $PORT >/dev/null 2>&1
	wait_listen $PORT || fail "echo server did not start" || return
	guard_start "$WORK/guard.log" --ports $PORT --interval 0 ||
		fail "guard did not start: $(cat "$WORK/guard.log")" || return
	trace_start "$WORK/g.log" --count 2 || return
	client $SRV_IP4 $SRV_IP6 || return
	trace_wait || return
	sed 's/^/      | /' "$WORK/g.log"
	for f in 4 6; do
		lines=$(conn_lines "$WORK/g.log" $f)
		ladder_ok "$lines" $f || return
		# the SYN's own options and window, rebuilt after XDP_TX overwrote it (the only tsecr 0)
		want_seq "$lines" "IPv$f guard's part: XDP answers the SYN, hands the ACK over" \
			'-- SYN seq=0 len=0 win=[1-9][0-9]* ' \
			'^ *[0-9]+ +mss=[1-9][0-9]* sack ws=[0-9]+ ts=[0-9]+/0 +\(answered in XDP\)' \
			'<-+ SYN,ACK seq=0 ack=1 ' '\(sent from XDP\)' \
			'-- ACK seq=1 ack=1 ' '\(handed to the listener\)' || return
	done
}

case_serve() {
	local f lines addr log
	"$SHAKEOFF" serve --help >/dev/null 2>&1 || fail "no serve" || return
	ip netns exec "$TOPO-srv" "$SHAKEOFF" serve srv0 --port $PORT --app echo --interval 0 \
		>"$WORK/serve.log" 2>&1 &
	wait_grep "$WORK/serve.log" 'Ctrl-C to detach' 50 ||
		fail "serve did not start: $(cat "$WORK/serve.log")" || return
	trace_start "$WORK/s.log" --count 2 || return
	! grep -q 'has no trace producers' "$WORK/s.log.err" ||
		fail "$(grep -m1 'has no trace producers' "$WORK/s.log.err")" || return
	client $SRV_IP4 $SRV_IP6 || return
	trace_wait || return
	sed 's/^/      | /' "$WORK/s.log"
	for f in 4 6; do
		lines=$(conn_lines "$WORK/s.log" $f)
		[ -n "$lines" ] || fail "no IPv$f connection drawn" || return
		want_seq "$lines" "IPv$f serve: handshake in XDP, data, client close" \
			' SYN_SENT +-- SYN seq=0 len=0 win=[0-9]+ .*-> SYN_RCVD$' \
			' ESTABLISHED <-+ SYN,ACK seq=0 ack=1 len=0 ' \
			' -- ACK seq=1 ack=1 len=0 .*-> ESTABLISHED$' \
			' -- PSH,ACK seq=1 ack=1 len=100 ' \
			'<-+ (PSH,)?ACK seq=1 ack=101 len=100 ' \
			' FIN_WAIT_1 +-- FIN,ACK seq=101 ack=101 len=0 .*-> CLOSE_WAIT$' \
			'<-+ FIN,ACK seq=101 ack=102 len=0 .* LAST_ACK$' \
			' -- ACK seq=102 ack=102 len=0 .*-> CLOSED$' || return
		# the controller's own transmits (AF_XDP bypasses XDP and TC): the echo and its FIN
		want_seq "$lines" "IPv$f serve's controller: the echo and its FIN, sent over AF_XDP" \
			'<-+ (PSH,)?ACK seq=1 ack=101 len=100 ' '\(sent by serve \(AF_XDP\)\)' \
			'<-+ FIN,ACK seq=101 ack=102 len=0 ' '\(sent by serve \(AF_XDP\)\)' || return
	done
	# the engine's own word on its states, beside the segments
	for f in 4 6; do
		addr=$SRV_IP4
		[ $f = 6 ] && addr=$SRV_IP6
		log=$WORK/sj$f.log
		trace_start "$log" --json --count 1 || return
		client $addr || return
		trace_wait || return
		want_eq "IPv$f serve: server states" "$(json_states "$log" server_state)" \
			"SYN_RCVD ESTABLISHED CLOSE_WAIT LAST_ACK CLOSED" || return
		want_eq "IPv$f serve: the controller's state changes" \
			"$(jq -r 'select(.event == "state" and .src == "ctl") | .old + ">" + .new' "$log" | paste -sd' ')" \
			"ESTABLISHED>CLOSE_WAIT CLOSE_WAIT>LAST_ACK LAST_ACK>CLOSED" || return
		want_eq "IPv$f serve: the controller's segments (echo, FIN)" \
			"$(jq -r 'select(.event == "segment" and .dir == "s>c" and .len + (if (.flags | test("FIN")) then 1 else 0 end) > 0) | .flags + ":" + (.len | tostring)' "$log" | paste -sd' ')" \
			"PSH,ACK:100 FIN,ACK:0" || return
	done
}

case_signal_duration() {
	local rc t0
	trace_start "$WORK/i.log" || return
	kill -INT $TRACE_PID
	wait $TRACE_PID
	want_eq "exit status after SIGINT" $? 0 || return
	t0=$(date +%s%N)
	srv "$SHAKEOFF" trace srv0 --duration 0.5 >/dev/null 2>&1
	rc=$?
	want_eq "exit status after --duration" $rc 0 || return
	want_range "--duration 0.5 took (ms)" $((($(date +%s%N) - t0) / 1000000)) 400 5000 || return
	srv "$SHAKEOFF" trace srv0 --count 0 2>"$WORK/u.err"
	want_eq "--count 0 exit status" $? 2 || return
	want_eq "--count 0 message" "$(cat "$WORK/u.err")" \
		"shakeoff trace: --count: not a count: '0' (try 'shakeoff trace --help')"
}

suite_up cleanup jq bpftool timeout
run_case "kernel server: the ladder of a connection, IPv4 and IPv6" case_kernel_text
run_case "kernel server: --json --count 1, the states in order, IPv4 and IPv6" case_kernel_json
run_case "guard: answered in XDP, handed to the listener, then the kernel's states" case_guard
run_case "SIGINT and --duration end it with 0, a bad --count with 2" case_signal_duration
run_case "serve: the handshake in XDP, the data, its FIN and the engine's states from the controller" case_serve
finish
