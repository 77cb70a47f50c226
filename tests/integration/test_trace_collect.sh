#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The trace collector (user/trace/collect.c) on a live veth pair, through
# trace_dump.c (one line per event): a plain kernel server (the trace's own
# TC observers and socket tracepoint), a guarded one (guard's XDP SYN in and
# SYN-ACK out, the TC handoff, then the kernel's states), serve (its XDP
# answers, its controller's AF_XDP transmits and engine states), IPv4 and
# IPv6; nothing left attached after close or kill -9, and
# the producers' flag cleared (by the tracer, or by guard once it is killed).
#   [VERBOSE=1] bash tests/integration/test_trace_collect.sh [CASE-NAME-FILTER]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
. "$HERE/serve_lib.sh"
TOPO=sotrc
FILTER=${1:-}
PORT=8031
OUT=$(dirname "$SHAKEOFF")/${OUTPUT:-.output}
DUMP=$WORK/trace_dump

# trace_dump links the collector and what it uses from the build (minus main()).
build_dump() {
	local objs
	objs=$(ls "$OUT"/user/*/*.o | grep -v '/main\.o$')
	cc -O2 -I"$ROOT/include" -I"$ROOT/user" -I"$OUT" -o "$DUMP" "$HERE/trace_dump.c" $objs \
		-lbpf -lxdp -lelf -lz -lm -lpthread
}

# trace_start LOG: trace_dump on srv0 for PORT, in the background; TRACE_PID set.
trace_start() {
	ip netns exec "$TOPO-srv" "$DUMP" srv0 $PORT 20 >"$1" 2>&1 &
	TRACE_PID=$!
	wait_grep "$1" '^ready' 50 || fail "trace_dump did not start: $(cat "$1")" || return
	TRACE_IDS=$(trace_prog_ids)
}

trace_stop() {
	kill -TERM "$TRACE_PID" 2>/dev/null
	wait "$TRACE_PID" 2>/dev/null
}

# One connection per family, the echo server closing after the client.
connect_both() {
	cli $PY "$HERE/tcp_client.py" $SRV_IP4 $SRV_IP6 --port $PORT --count 2 --bytes 100 \
		>"$WORK/client.json" || fail "client failed: $(cat "$WORK/client.json")"
}

# want_line LOG DESC REGEX: some line of LOG matches.
want_line() {
	if grep -Eq -- "$3" "$1"; then
		echo "    ok: $2"
		return 0
	fi
	fail "$2: no line like /$3/"
}

# The ids of the BPF programs the running tracer holds (its fds' fdinfo).
trace_prog_ids() {
	grep -h '^prog_id:' /proc/"$TRACE_PID"/fdinfo/* 2>/dev/null | awk '{print $2}' | sort -u
}

# trace_start notes TRACE_IDS; after the tracer ends none of its programs is
# still loaded, so none is attached (a tcx link or the tracepoint's holds its
# program; Debian's bpftool shows no tcx, and lists no programs here).
nothing_left() {
	local left id
	[ "$(echo $TRACE_IDS | wc -w)" -ge 3 ] || fail "program ids while tracing: '$TRACE_IDS'" || return
	left=0
	for id in $TRACE_IDS; do
		prog_exists "$id" && left=$((left + 1))
	done
	want_eq "of the tracer's $(echo $TRACE_IDS | wc -w) programs, still loaded" "$left" 0
}

# The kernel's own view, for family F (4 or 6) with addresses pattern A.
kernel_view() {
	local log=$1 a=$2 f=$3
	want_line "$log" "IPv$f SYN in at TC" "^seg tc_in in seen fam=$f flags=S L=$a.*mss=[0-9]+ ws=[0-9]+ sackok=1 ts=[1-9]" || return
	want_line "$log" "IPv$f SYN-ACK out at TC" "^seg tc_out out seen fam=$f flags=SA L=$a" || return
	want_line "$log" "IPv$f data in" "^seg tc_in in seen fam=$f flags=P?A.*len=100 " || return
	want_line "$log" "IPv$f FIN in" "^seg tc_in in seen fam=$f flags=FA? ?.*|^seg tc_in in seen fam=$f flags=F" || return
	want_line "$log" "IPv$f server ESTABLISHED" "^state sock fam=$f L=$a.*SYN_RCVD>ESTABLISHED" || return
	want_line "$log" "IPv$f server CLOSE_WAIT" "^state sock fam=$f L=$a.*ESTABLISHED>CLOSE_WAIT" || return
	want_line "$log" "IPv$f server LAST_ACK" "^state sock fam=$f L=$a.*CLOSE_WAIT>LAST_ACK" || return
	want_line "$log" "IPv$f server CLOSED" "^state sock fam=$f L=$a.*LAST_ACK>CLOSED"
}

case_kernel() {
	build_dump || fail "cannot build trace_dump.c" || return
	bg_srv $PY "$HERE/echo_server.py" $PORT >/dev/null 2>&1
	wait_listen $PORT || fail "echo server did not start" || return
	trace_start "$WORK/k.log" || return
	connect_both || return
	sleep 0.3
	trace_stop
	sed 's/^/      | /' "$WORK/k.log" | head -n 60
	want_line "$WORK/k.log" "no producer besides the kernel" '^ready kernel' || return
	kernel_view "$WORK/k.log" "10\.99\.0\.2:$PORT" 4 || return
	kernel_view "$WORK/k.log" "\[fd99::2\]:$PORT" 6 || return
	# the client's own sockets are in another namespace: none of its states
	want_eq "states of the client's namespace" "$(grep -c 'SYN_SENT' "$WORK/k.log")" 0 || return
	nothing_left
}

case_guard() {
	local f a
	srv sysctl -qw net.ipv4.tcp_syncookies=1
	bg_srv $PY "$HERE/echo_server.py" $PORT >/dev/null 2>&1
	wait_listen $PORT || fail "echo server did not start" || return
	guard_start "$WORK/guard.log" --ports $PORT --interval 0 ||
		fail "guard did not start: $(cat "$WORK/guard.log")" || return
	trace_start "$WORK/g.log" || return
	connect_both || return
	sleep 0.3
	trace_stop
	sed 's/^/      | /' "$WORK/g.log" | head -n 60
	want_line "$WORK/g.log" "guard found" '^ready guard' || return
	for f in 4 6; do
		a="10\.99\.0\.2:$PORT"
		[ $f = 6 ] && a="\[fd99::2\]:$PORT"
		want_line "$WORK/g.log" "IPv$f XDP SYN in" "^seg xdp in tx fam=$f flags=S L=$a.*mss=[0-9]+ .*sackok=1" || return
		want_line "$WORK/g.log" "IPv$f XDP SYN-ACK out" "^seg xdp out tx fam=$f flags=SA L=$a.*mss=[0-9]+" || return
		want_line "$WORK/g.log" "IPv$f TC handoff" "^seg tc_in in handoff fam=$f flags=A L=$a" || return
		want_line "$WORK/g.log" "IPv$f server ESTABLISHED" "^state sock fam=$f L=$a.*>ESTABLISHED" || return
		want_line "$WORK/g.log" "IPv$f server CLOSED" "^state sock fam=$f L=$a.*LAST_ACK>CLOSED" || return
		# the kernel never saw the SYN: no SYN-ACK of its own at TC egress
		want_eq "IPv$f kernel SYN-ACKs" "$(grep -Ec "^seg tc_out out seen fam=$f flags=SA" "$WORK/g.log")" 0 ||
			return
	done
	want_eq "trace flag after close" "$(trace_flag)" 0 || return
	nothing_left
}

case_serve() {
	local f a
	serve_up "$WORK/serve.log" || return
	trace_start "$WORK/s.log" || return
	connect_both || return
	sleep 0.3
	trace_stop
	serve_stop
	sed 's/^/      | /' "$WORK/s.log" | head -n 40
	want_line "$WORK/s.log" "serve found" '^ready serve' || return
	for f in 4 6; do
		a="10\.99\.0\.2:$PORT"
		[ $f = 6 ] && a="\[fd99::2\]:$PORT"
		want_line "$WORK/s.log" "IPv$f XDP SYN in" "^seg xdp in tx fam=$f flags=S L=$a.*mss=[0-9]+ " || return
		want_line "$WORK/s.log" "IPv$f XDP SYN-ACK out" "^seg xdp out tx fam=$f flags=SA L=$a" || return
		want_line "$WORK/s.log" "IPv$f data to AF_XDP" "^seg xdp in redirect fam=$f flags=P?A L=$a.*len=100 " || return
		# the controller's own: its AF_XDP transmits bypass XDP and TC
		want_line "$WORK/s.log" "IPv$f controller's echo" "^seg ctl out seen fam=$f flags=P?A L=$a.*len=100 " || return
		want_line "$WORK/s.log" "IPv$f controller's FIN" "^seg ctl out seen fam=$f flags=F.*L=$a.*len=0 " || return
		want_line "$WORK/s.log" "IPv$f engine CLOSE_WAIT" "^state ctl fam=$f L=$a.*ESTABLISHED>CLOSE_WAIT" || return
		want_line "$WORK/s.log" "IPv$f engine CLOSED" "^state ctl fam=$f L=$a.*LAST_ACK>CLOSED" || return
	done
	want_eq "kernel SYN-ACKs" "$(grep -Ec '^seg tc_out out seen fam=. flags=SA' "$WORK/s.log")" 0 || return
	nothing_left
}

# guard's .data.trace value (the tracer's pid, 0 off), found through its XDP program.
trace_flag() {
	local id map
	id=$(xdp_id srv0)
	for map in $(bpftool prog show id "$id" -j | jq -r '.map_ids[]'); do
		[ "$(bpftool map show id "$map" -j | jq -r .name)" = .data.trace ] || continue
		# the value's four bytes ("0x.." strings), little-endian
		set -- $(bpftool map dump id "$map" -j | jq -r '.[0].value[]')
		echo $(($1 + $2 * 256 + $3 * 65536 + $4 * 16777216))
		return
	done
	echo none
}

case_kill9() {
	local pid i
	bg_srv $PY "$HERE/echo_server.py" $PORT >/dev/null 2>&1
	wait_listen $PORT || fail "echo server did not start" || return
	guard_start "$WORK/guard.log" --ports $PORT --interval 0 ||
		fail "guard did not start: $(cat "$WORK/guard.log")" || return
	trace_start "$WORK/a.log" || return
	want_eq "trace flag while tracing" "$(trace_flag)" "$TRACE_PID" || return
	kill -KILL "$TRACE_PID"
	wait "$TRACE_PID" 2>/dev/null
	sleep 0.2
	# the links went with the process; guard's controller clears the flag of a pid that is gone
	nothing_left || return
	for i in $(seq 40); do
		[ "$(trace_flag)" = 0 ] && break
		sleep 0.1
	done
	want_eq "stale flag cleared by guard after kill -9" "$(trace_flag)" 0 || return
	pid=$TRACE_PID
	trace_start "$WORK/b.log" || return
	want_eq "flag taken over" "$(trace_flag)" "$TRACE_PID" || return
	[ "$TRACE_PID" != "$pid" ] || fail "same pid" || return
	connect_both || return
	sleep 0.3
	trace_stop
	want_line "$WORK/b.log" "events after the takeover" "^seg xdp in tx fam=4 flags=S" || return
	want_eq "trace flag after close" "$(trace_flag)" 0 || return
	nothing_left
}

suite_up cleanup jq bpftool cc
run_case "kernel server: TC observers and socket states, IPv4 and IPv6" case_kernel always
run_case "guard: XDP SYN in, SYN-ACK out, handoff, kernel states" case_guard
run_case "serve: XDP SYN in, SYN-ACK out, data to AF_XDP, the controller's echo, FIN and states" case_serve
run_case "kill -9: nothing attached, the stale flag cleared" case_kill9
finish
