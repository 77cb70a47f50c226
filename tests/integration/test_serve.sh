#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# shakeoff serve against real kernel clients on a veth pair between two
# namespaces: echo and discard over IPv4 and IPv6 with both close paths, a
# receive window that never shrinks, 10 000 sequential connections and an
# empty flow table after TIME_WAIT, a 4-tuple used again during TIME_WAIT,
# 100 MB echoed over a lossy, reordering path in both directions, conns from
# another `ip netns exec`, refusals, clean detach, SYN modes and SYN-ACK
# retransmission, data with a bad TCP checksum dropped.
#
# The lossy path is `shakeoff lab attach cli0 lossy` (TC on both hooks of the
# client's veth; this kernel has no netem): a seeded share of segments is
# dropped and another held back until 3 later segments of the flow have
# passed, counted exactly per direction. A token-bucket class (HTB, TBF)
# would delay a rare marked segment only when the class is backlogged, and
# nothing after a qdisc could count what it achieved.
#   [VERBOSE=1] bash tests/integration/test_serve.sh [CASE-NAME-FILTER]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
. "$HERE/serve_lib.sh"
TOPO=sosi
FILTER=${1:-}
PORT=7
MSL=1
CLIENT=$HERE/serve_client.py

# ---- helpers -------------------------------------------------------------

client() { cli $PY "$CLIENT" "$@" --port $PORT; }

# wait_flows N SECONDS: until the flow table holds N entries; prints what it holds then.
wait_flows() {
	local n i
	for i in $(seq $(($2 * 10))); do
		n=$(conns | jq -r .count)
		[ "$n" = "$1" ] && break
		sleep 0.1
	done
	echo "$n"
}

# want_share DESC PART WHOLE MIN_PERMILLE: PART/WHOLE at least MIN_PERMILLE per mille.
want_share() {
	local pm
	[[ $2 =~ ^[0-9]+$ ]] && [[ $3 =~ ^[0-9]+$ ]] && [ "$3" -gt 0 ] ||
		fail "$1: not counts: '$2' of '$3'" || return
	pm=$(($2 * 1000 / $3))
	if [ "$pm" -ge "$4" ]; then
		echo "    ok: $1 = $2 of $3 ($(awk -v a="$2" -v b="$3" 'BEGIN { printf "%.2f", 100 * a / b }')%)"
		return 0
	fi
	fail "$1: $2 of $3 is below $(awk -v m="$4" 'BEGIN { printf "%.1f", m / 10 }')%"
}

# AF_XDP sockets in use in the server namespace (this kernel has no xsk_diag for ss --xdp).
xsk_count() { srv awk '$1 == "XDP" { print $3 }' /proc/net/protocols; }

# lab: cli0's lab programs and counters.
lab() { cli "$SHAKEOFF" lab "$@"; }
lab_tc() { lab read cli0 --json | jq -r ".tc.counters.$1"; }

# cli0's path back to plain: only lab's pass-through XDP, full GSO/GRO sizes.
cli0_plain() {
	lab detach cli0 >/dev/null 2>&1
	lab attach cli0 pass >/dev/null 2>&1
	ip -n "$TOPO-cli" link set dev cli0 gso_max_segs 65535 gro_max_size 65536 2>/dev/null
}

# What every case starts from, whatever an earlier case left behind.
case_reset() {
	ns_reap
	srv "$SHAKEOFF" detach srv0 >/dev/null 2>&1
	if [ "$(cli_xdp_name cli0)" != so_lab_pass ] || lab read cli0 --json | jq -e .tc >/dev/null; then
		cli0_plain
	fi
	cli sysctl -qw net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 net.ipv4.tcp_window_scaling=1
	[ "$(xdp_name srv0)" = none ] || fail "srv0 still has XDP program $(xdp_name srv0)"
}

# ---- cases ---------------------------------------------------------------

# 1. echo and discard, IPv4 and IPv6, data intact, both close paths.
case_apps() {
	case_reset || return
	local a m out n sport
	serve_up "$WORK/serve.log" --app echo || return
	for a in $SRV_IP4 $SRV_IP6; do
		for m in full half abort; do
			# 1 MB: many windows, both ways at once; half: the echo flows after our FIN.
			out=$(client echo $a --bytes 1000000 --close $m --seed $RANDOM) ||
				fail "echo $a --close $m: $out" || return
			echo "    ok: echo $a close=$m: $(jq -c '{received, intact, eof, ms}' <<<"$out")"
			jq -e '.sha_sent == .sha_recv' <<<"$out" >/dev/null ||
				fail "echo $a: SHA-256 differs" || return
		done
	done
	note "echo: 1 MB x 6 (IPv4/IPv6 x full/half/abort close), SHA-256 equal, EOF seen"
	# The client closed first every time: the server side ends in LAST_ACK ->
	# CLOSED, no TIME_WAIT; nothing may be left in the table.
	n=$(wait_flows 0 $((2 * MSL + 2)))
	want_eq "echo: flows left after the clients closed" "$n" 0 || return
	serve_stop
	want_eq "serve exit status" "$SERVE_RC" 0 || return

	serve_up "$WORK/serve2.log" --app discard || return
	for a in $SRV_IP4 $SRV_IP6; do
		client discard $a --bytes 300000 --hold 1 >"$WORK/discard.out" &
		for n in $(seq 50); do
			grep -q sport "$WORK/discard.out" && break
			sleep 0.1
		done
		sport=$(head -n 1 "$WORK/discard.out" | jq -r .sport)
		sleep 0.5
		# While the client holds the connection: everything arrived, nothing went back.
		out=$(conns | jq -c --arg p "$sport" '.flows[] | select(.client | endswith(":" + $p))')
		echo "    conns during discard: $out"
		want_eq "discard $a: bytes_in" "$(jq -r .bytes_in <<<"$out")" 300000 || return
		want_eq "discard $a: bytes_out" "$(jq -r .bytes_out <<<"$out")" 0 || return
		wait $! || fail "discard client $a: $(cat "$WORK/discard.out")" || return
		echo "    ok: discard $a: $(tail -n 1 "$WORK/discard.out")"
	done
	note "discard: 300 KB x 2 (IPv4/IPv6), bytes_in exact, nothing echoed, EOF after half-close"
	n=$(wait_flows 0 $((2 * MSL + 2)))
	want_eq "discard: flows left" "$n" 0
}

# 1b. The receive window's right edge never moves left (RFC 9293 3.8.6: a
# receiver should not shrink the window): a client may send up to the largest
# edge it was offered, and data there must not be dropped.
case_window() {
	case_reset || return
	local tp i a out ms slow=0 max=0 res
	command -v tcpdump >/dev/null || { echo "tcpdump not installed"; return 77; }
	serve_up "$WORK/serve.log" --app echo || return
	bg_cli tcpdump -i cli0 -nn -s 128 -U -w "$WORK/win.pcap" "tcp port $PORT" 2>"$WORK/tcpdump.err"
	tp=$!
	for i in $(seq 50); do
		grep -q "listening on" "$WORK/tcpdump.err" && break
		sleep 0.1
	done
	for i in $(seq 10); do
		a=$SRV_IP4
		[ $((i % 2)) -eq 0 ] && a=$SRV_IP6
		out=$(client echo $a --bytes 1000000 --close full --seed $i) ||
			fail "echo $a #$i: $out" || return
		ms=$(jq -r '.ms | floor' <<<"$out")
		[ "$ms" -gt "$max" ] && max=$ms
		[ "$ms" -gt 300 ] && slow=$((slow + 1))
	done
	sleep 0.3
	kill $tp
	wait $tp 2>/dev/null
	res=$(tcpdump -r "$WORK/win.pcap" -nn -S -tt 2>/dev/null | $PY "$HERE/win_check.py" --port $PORT)
	echo "    win_check: $res"
	note "10 x 1 MB echo: slowest $max ms, $slow over 300 ms (a clean one takes ~15 ms)"
	note "server's right edge moved left: $(jq -r '"\(.shrinks) times in \(.shrinking) of \(.connections) connections, by up to \(.max_shrink) bytes"' <<<"$res")"
	want_eq "connections whose receive window shrank" "$(jq -r .shrinking <<<"$res")" 0
}

# 2. 10 000 sequential connections; then nothing left in the table. The
# echo clients close first (the server passes through LAST_ACK); then 300
# more against --app close, where the server closes first and each entry
# waits out TIME_WAIT (2 MSL). Those bind distinct source ports: a 4-tuple
# used again within 2 MSL is case_tw_reuse's.
case_many() {
	case_reset || return
	local out n est fin tw
	command -v cc >/dev/null || { echo "no C compiler for conn_loop.c"; return 77; }
	cc -O2 -o "$WORK/conn_loop" "$HERE/conn_loop.c" || fail "cannot build conn_loop.c" || return
	serve_up "$WORK/serve.log" --app echo || return
	out=$(cli "$WORK/conn_loop" $SRV_IP4 $PORT 10000 64)
	echo "    conn_loop: $out"
	want_eq "connections completed" "$(jq -r '"\(.ok)/\(.failed)"' <<<"$out")" 10000/0 || return
	note "10000 sequential connections (64-byte echo, client closes): $(jq -r .seconds <<<"$out") s, $(jq -r .per_second <<<"$out")/s"
	# TIME_WAIT is 2 MSL; give it a second more and the scan interval.
	n=$(wait_flows 0 $((2 * MSL + 3)))
	want_eq "flows in the table 2 MSL + 3 s later" "$n" 0 || return
	# Counters: every handshake and every close accounted for.
	est=$(sstat_fresh '.counters.drop_established + .counters.drop_cookie_established + .counters.xsk_handshake_data')
	fin=$(sstat '.counters.tx_ack_fin_close_wait + .counters.xsk_fin')
	note "serve counters: $(sstat '.counters | with_entries(select(.value > 0))' | jq -c .)"
	note "serve: conns=$(sstat .conns) retrans_segs=$(sstat .retrans_segs) synack_rtx=$(sstat .synack_rtx) tx_drops=$(sstat .tx_drops)"
	want_eq "handshakes completed (XDP counters)" "$est" 10000 || return
	want_eq "client FINs taken (XDP or controller)" "$fin" 10000 || return
	# XDP takes the ACK of our FIN only once the controller has published
	# LAST_ACK (its table walk runs every 10 ms); the rest reach the controller.
	note "final ACKs (LAST_ACK -> closed) taken by XDP: $(sstat .counters.drop_fin_acked_closed) of 10000"
	want_eq "controller's connections" "$(sstat .conns)" 0 || return
	want_eq "no RST for a missing flow" "$(sstat .counters.tx_rst_no_flow)" 0 || return
	serve_stop

	serve_up "$WORK/serve-close.log" --app close || return
	out=$(cli "$WORK/conn_loop" $SRV_IP4 $PORT 300 0 20000)
	echo "    conn_loop (server closes first): $out"
	want_eq "server-closes-first connections completed" \
		"$(jq -r '"\(.ok)/\(.failed)"' <<<"$out")" 300/0 || return
	tw=$(conns | jq '[.flows[] | select(.state == "TIME_WAIT")] | length')
	note "300 connections the server closes first: $(jq -r .seconds <<<"$out") s ($(jq -r .per_second <<<"$out")/s); in TIME_WAIT right after: $tw"
	want_range "flows in TIME_WAIT right after" "$tw" 1 300 || return
	n=$(wait_flows 0 $((2 * MSL + 3)))
	want_eq "flows 2 MSL + 3 s later" "$n" 0 || return
	want_eq "controller's connections" "$(sstat_fresh .conns)" 0
}

# 2b. A client that connects again from the same port while the server's
# entry of its previous connection is in TIME_WAIT (the server closed first):
# XDP takes the SYN (as Linux does with a newer timestamp), so the new
# connection must be served like any other.
case_tw_reuse() {
	case_reset || return
	local out sp=30000 f f1 lp
	command -v cc >/dev/null || { echo "no C compiler for conn_loop.c"; return 77; }
	cc -O2 -o "$WORK/conn_loop" "$HERE/conn_loop.c" || fail "cannot build conn_loop.c" || return
	serve_up "$WORK/serve.log" --app close || return
	out=$(cli "$WORK/conn_loop" $SRV_IP4 $PORT 1 0 $sp)
	want_eq "first connection from :$sp (server closes)" "$(jq -r .ok <<<"$out")" 1 || return
	f1=$(conns | jq -c --arg c "$CLI_IP4:$sp" '.flows[] | select(.client == $c) | {state, iss, irs}')
	note "entry after the first connection: $f1"
	sleep 0.3
	bg_cli "$WORK/conn_loop" $SRV_IP4 $PORT 1 0 $sp >"$WORK/second.out"
	lp=$!
	sleep 0.5
	f=$(conns | jq -c --arg c "$CLI_IP4:$sp" '.flows[] | select(.client == $c) | {state, iss, irs}')
	wait $lp
	out=$(cat "$WORK/second.out")
	echo "    second connection from :$sp: $out"
	note "same 4-tuple again 0.3 s after the server closed: $(jq -c '{ok, failed, first_error}' <<<"$out"); its entry 0.5 s into it: ${f:-none}"
	note "serve counters: $(sstat_fresh '.counters | with_entries(select(.value > 0))' | jq -c .)"
	want_eq "second connection served (EOF from the close app)" "$(jq -r .ok <<<"$out")" 1
}

# 3. 100 MB echoed over a lossy, reordering path, both directions, seeded.
case_lossy() {
	case_reset || return
	local out secs tp r0 od os oo id is io n k0 d0
	# One segment per skb both ways, so the TC programs drop and reorder
	# segments, not GSO/GRO trains. Egress counts what the client sends (held
	# segments go out right behind exactly 3 later ones), ingress what serve
	# sends (held ones are delivered behind at least 3).
	ip -n "$TOPO-cli" link set dev cli0 gso_max_segs 1 gro_max_size 1600 ||
		fail "cannot limit GSO/GRO on cli0" || return
	lab attach cli0 lossy --drop-percent 1.5 --reorder-percent 2.5 --reorder-depth 3 \
		--seed 42 || fail "lab attach cli0 lossy failed" || return
	serve_up "$WORK/serve.log" --app echo || return
	r0=$(sstat_fresh .retrans_segs)
	k0=$(kstat cli Tcp RetransSegs) d0=$(kstat cli TcpExt TCPDSACKOldSent)
	out=$(timeout 250 ip netns exec "$TOPO-cli" $PY "$CLIENT" bulk $SRV_IP4 --port $PORT \
		--bytes 100000000 --timeout 240)
	echo "    bulk: $out"
	jq -e .intact <<<"$out" >/dev/null || fail "100 MB echo did not complete intact" || return
	want_eq "SHA-256 of what came back" "$(jq -r .sha_recv <<<"$out")" "$(jq -r .sha_sent <<<"$out")" ||
		return
	secs=$(jq -r .seconds <<<"$out") tp=$(jq -r .mbytes_per_s <<<"$out")
	os=$(lab_tc out_segs) od=$(lab_tc out_drop) oo=$(lab_tc out_reordered)
	is=$(lab_tc in_segs) id=$(lab_tc in_drop) io=$(lab_tc in_reordered)
	echo "    lab: $(lab read cli0 --json | jq -c .tc.counters)"
	note "100 MB echoed intact over 1.5% loss + 2.5% held back 3 segments, both ways (seed 42): ${secs} s, ${tp} MB/s each way"
	note "client->server: $os segments, $od dropped, $oo reordered by exactly 3; server->client: $is segments, $id dropped, $io reordered by >= 3"
	note "serve: retrans_segs $(($(sstat_fresh .retrans_segs) - r0)) (D-SACKed as needless: $(sstat .spurious_retrans), recoveries undone $(sstat .undos), RTOs $(sstat .rto_fired)), tx_drops $(sstat .tx_drops); client kernel: RetransSegs $(($(kstat cli Tcp RetransSegs) - k0)), D-SACKs sent for duplicates it got $(($(kstat cli TcpExt TCPDSACKOldSent) - d0))"
	want_share "client->server loss" "$od" "$os" 10 || return
	want_share "client->server reordering (3 segments)" "$oo" "$os" 10 || return
	want_share "server->client loss" "$id" "$is" 10 || return
	want_share "server->client reordering (>= 3 segments)" "$io" "$is" 10 || return
	want_eq "held segments lost to helper errors" "$(lab_tc release_err)" 0 || return
	n=$(wait_flows 0 $((2 * MSL + 3)))
	want_eq "flows left after close" "$n" 0
}

# 4. conns from a separate ip netns exec during a connection.
case_conns() {
	case_reset || return
	local tp syn out f sport iss irs hp
	command -v tcpdump >/dev/null || { echo "tcpdump not installed"; return 77; }
	serve_up "$WORK/serve.log" --app echo || return
	# The client's SYN, for its initial sequence number (absolute, -S).
	bg_cli tcpdump -i cli0 -nn -S -l -c 2 "tcp port $PORT and tcp[tcpflags] & tcp-syn != 0" \
		>"$WORK/syn.txt" 2>"$WORK/tcpdump.err"
	tp=$!
	for out in $(seq 50); do
		grep -q "listening on" "$WORK/tcpdump.err" && break
		sleep 0.1
	done
	bg_cli $PY "$CLIENT" hold $SRV_IP4 --port $PORT --bytes 1234 --hold 2 >"$WORK/hold.out"
	hp=$!
	for out in $(seq 50); do
		grep -q sport "$WORK/hold.out" && break
		sleep 0.1
	done
	sport=$(jq -r .sport "$WORK/hold.out")
	wait $tp
	cat "$WORK/syn.txt"
	# "IP 10.99.0.1.40000 > 10.99.0.2.7: Flags [S], seq 123, ..." and the SYN-ACK "[S.], seq 456, ack 124"
	syn=$(grep "Flags \[S\]," "$WORK/syn.txt" | sed -E 's/.* seq ([0-9]+),.*/\1/')
	out=$(conns)
	echo "    conns: $out"
	f=$(jq -c --arg c "$CLI_IP4:$sport" '.flows[] | select(.client == $c)' <<<"$out")
	[ -n "$f" ] || fail "no flow for $CLI_IP4:$sport in conns" || return
	want_eq "state" "$(jq -r .state <<<"$f")" ESTABLISHED || return
	want_eq "local" "$(jq -r .local <<<"$f")" "$SRV_IP4:$PORT" || return
	iss=$(jq -r .iss <<<"$f") irs=$(jq -r .irs <<<"$f")
	want_eq "irs = the client's SYN seq" "$irs" "$syn" || return
	want_eq "iss = the SYN-ACK's seq" "$iss" \
		"$(grep "Flags \[S\.\]," "$WORK/syn.txt" | sed -E 's/.* seq ([0-9]+),.*/\1/')" || return
	# 1234 bytes each way, all acknowledged: SYN and data consume sequence space.
	want_eq "rcv_nxt - irs" $((($(jq -r .rcv_nxt <<<"$f") - irs + 4294967296) % 4294967296)) 1235 ||
		return
	want_eq "snd_nxt - iss" $((($(jq -r .snd_nxt <<<"$f") - iss + 4294967296) % 4294967296)) 1235 ||
		return
	want_eq "snd_una = snd_nxt" "$(jq -r .snd_una <<<"$f")" "$(jq -r .snd_nxt <<<"$f")" || return
	want_eq "bytes_in / bytes_out" "$(jq -r '"\(.bytes_in)/\(.bytes_out)"' <<<"$f")" 1234/1234 || return
	note "conns from another ip netns exec: $f"
	wait $hp
	jq -e .intact "$WORK/hold.out" >/dev/null || fail "the held connection's echo failed" || return
	want_eq "flows after it closed" "$(wait_flows 0 $((2 * MSL + 2)))" 0
}

# 5. What serve refuses, and guard next to serve: exit 2 and one line saying why.
# srvt: in the server namespace, ended after 20 s should a refusal not come.
srvt() { timeout 20 ip netns exec "$TOPO-srv" "$@"; }
case_refusals() {
	case_reset || return
	local p id i out
	refuse "unknown interface" "nosuch0" srvt "$SHAKEOFF" serve nosuch0 --port $PORT || return
	for p in 0 70000 abc -1 ""; do
		refuse "--port '$p'" "port" srvt "$SHAKEOFF" serve srv0 --port "$p" || return
	done
	refuse "no --port" "port" srvt "$SHAKEOFF" serve srv0 || return
	for p in foo COOKIE ""; do
		refuse "--syn-mode '$p'" "syn-mode" srvt "$SHAKEOFF" serve srv0 --port $PORT --syn-mode "$p" ||
			return
	done
	refuse "--app foo" "app" srvt "$SHAKEOFF" serve srv0 --port $PORT --app foo || return
	refuse "--port twice" "twice" srvt "$SHAKEOFF" serve srv0 --port $PORT --port 8 || return
	refuse "--no-flow foo" "no-flow" srvt "$SHAKEOFF" serve srv0 --port $PORT --no-flow foo || return
	for p in abc -1 2000000; do
		refuse "--busy-poll '$p'" "busy-poll" srvt "$SHAKEOFF" serve srv0 --port $PORT \
			--busy-poll "$p" || return
	done
	want_eq "XDP on srv0 after the refusals" "$(xdp_name srv0)" none || return

	# serve where guard runs
	ip netns exec "$TOPO-srv" "$SHAKEOFF" guard srv0 --ports 80 --interval 0 >"$WORK/guard.log" 2>&1 &
	GUARD_PID=$!
	for i in $(seq 300); do
		grep -q 'Ctrl-C to detach' "$WORK/guard.log" && break
		kill -0 $GUARD_PID 2>/dev/null || fail "guard did not start: $(cat "$WORK/guard.log")" || return
		sleep 0.1
	done
	id=$(xdp_id srv0)
	refuse "serve where guard runs" "guard" srvt "$SHAKEOFF" serve srv0 --port $PORT || return
	want_eq "guard's XDP still attached" "$(xdp_id srv0)" "$id" || return
	kill -0 $GUARD_PID || fail "guard died" || return
	guard_stop

	# guard where serve runs, and a second serve
	serve_up "$WORK/serve.log" || return
	id=$(xdp_id srv0)
	refuse "guard where serve runs" "serve" srvt "$SHAKEOFF" guard srv0 --ports 80 || return
	refuse "a second serve" "already|serve" srvt "$SHAKEOFF" serve srv0 --port 8 || return
	want_eq "serve's XDP still attached" "$(xdp_id srv0)" "$id" || return
	kill -0 "$SERVE_PID" || fail "serve died" || return
	out=$(client echo $SRV_IP4 --bytes 1000 --close full) || fail "serve no longer echoes: $out" || return
	echo "    ok: serve still echoes"
	# busy polling (default --busy-poll) spins only after traffic: idle, serve sleeps
	local c0 c1 hz
	hz=$(getconf CLK_TCK)
	sleep 0.5
	c0=$(awk '{ print $14 + $15 }' /proc/$SERVE_PID/stat)
	sleep 2
	c1=$(awk '{ print $14 + $15 }' /proc/$SERVE_PID/stat)
	want_range "idle serve's CPU over 2 s (ticks of 1/$hz s)" $((c1 - c0)) 0 $((hz / 10)) || return
	serve_stop

	# --no-flow drop: ACKs for no flow earn nothing; --busy-poll 0 still serves
	serve_up "$WORK/serve.log" --no-flow drop --busy-poll 0 || return
	cli $PY - "$SRV_IP4" "$PORT" <<-'EOF' || fail "scapy could not send" || return
		import sys
		from scapy.all import IP, TCP, send
		for i in range(5):
		    send(IP(dst=sys.argv[1]) / TCP(sport=40000 + i, dport=int(sys.argv[2]),
		                                  flags="A", seq=1000, ack=2000), verbose=False)
	EOF
	want_eq "ACKs for no flow dropped (--no-flow drop)" "$(sstat_fresh .counters.drop_no_flow)" 5 ||
		return
	want_eq "RSTs for no flow" "$(sstat .counters.tx_rst_no_flow)" 0 || return
	out=$(client echo $SRV_IP4 --bytes 1000 --close full) ||
		fail "no echo with --busy-poll 0: $out" || return
	echo "    ok: echo with --busy-poll 0"
}

# 6. SIGTERM and SIGKILL leave nothing behind; detach after SIGKILL still succeeds.
case_lifecycle() {
	case_reset || return
	local xid pins out rc hp
	pins=$(pin_dir srv0)
	holder_up || return
	serve_up "$WORK/serve.log" --app echo || return
	xid=$(xdp_id srv0)
	want_eq "XDP on srv0" "$(xdp_name srv0)" so_serve_xdp || return
	# nothing pinned: stats and conns find serve by its program, and SIGKILL leaves nothing
	! in_holder test -e $pins || fail "pins while serve runs: $(in_holder ls -R $pins)" || return
	want_eq "AF_XDP sockets while running (one per RX queue)" "$(xsk_count)" \
		"$(srv sh -c "ls -d /sys/class/net/srv0/queues/rx-*" | wc -l)" || return
	# A connection open at the time of SIGTERM.
	bg_cli $PY "$CLIENT" hold $SRV_IP4 --port $PORT --hold 3 >"$WORK/hold.out"
	hp=$!
	for rc in $(seq 50); do
		grep -q sport "$WORK/hold.out" && break
		sleep 0.1
	done
	want_eq "flows before SIGTERM" "$(conns | jq .count)" 1 || return
	serve_stop
	want_eq "serve exit status after SIGTERM" "$SERVE_RC" 0 || return
	grep -q '"event":"stats"' "$WORK/serve.log" || fail "no final stats line" || return
	want_eq "XDP on srv0 after SIGTERM" "$(xdp_name srv0)" none || return
	! prog_exists "$xid" || fail "XDP program $xid still loaded" || return
	! in_holder test -e $pins || fail "pins left: $(in_holder ls -R $pins)" || return
	want_eq "AF_XDP sockets after SIGTERM" "$(xsk_count)" 0 || return
	echo "    ok: no XDP, program $xid unloaded, no pins, no AF_XDP sockets"
	want_eq "cli0 keeps its lab program" "$(cli_xdp_name cli0)" so_lab_pass || return
	wait $hp

	serve_up "$WORK/serve2.log" --app echo || return
	xid=$(xdp_id srv0)
	kill -KILL "$SERVE_PID"
	wait "$SERVE_PID" 2>/dev/null
	SERVE_PID=
	# XDP hangs on serve's bpf_link, which dies with the process; nothing is pinned.
	want_eq "XDP on srv0 after SIGKILL" "$(xdp_name srv0)" none || return
	! in_holder test -e $pins || fail "pins left after SIGKILL: $(in_holder ls -R $pins)" || return
	! prog_exists "$xid" || fail "XDP program $xid still loaded after SIGKILL" || return
	echo "    ok: no XDP, no pins, program $xid unloaded"
	out=$(in_holder "$SHAKEOFF" detach srv0 2>&1)
	rc=$?
	echo "    detach srv0 after SIGKILL (nothing to do): $out"
	want_eq "detach exit status" $rc 0 || return
	# And serve starts again on the same interface.
	serve_up "$WORK/serve3.log" --app echo || return
	out=$(client echo $SRV_IP6 --bytes 10000 --close full) || fail "echo after restart: $out" || return
	echo "    ok: serve starts again and echoes"
}

# serve notices losing its program or its interface: a clear line, exit 1, nothing left.
case_vanish() {
	case_reset || return
	local i pid rc
	serve_up "$WORK/serve.log" --app echo || return
	srv "$SHAKEOFF" detach srv0 >/dev/null || fail "detach srv0 failed" || return
	for i in $(seq 50); do
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$SERVE_PID" 2>/dev/null && fail "serve still runs 5 s after its program was detached"
	wait "$SERVE_PID"
	rc=$?
	SERVE_PID=
	want_eq "serve exit status after detach" $rc 1 || return
	grep -q "removed from srv0 by someone else" "$WORK/serve.log" ||
		fail "no line about the detach: $(cat "$WORK/serve.log")" || return
	echo "    ok: $(grep -m1 'someone else' "$WORK/serve.log")"
	serve_up "$WORK/serve2.log" --app echo || return
	serve_stop
	want_eq "serve after a detach starts again, then SIGTERM" "$SERVE_RC" 0 || return

	srv ip link add srvx0 type veth peer name srvx1 || return
	srv ip link set srvx0 up && srv ip link set srvx1 up && srv ip addr add 10.98.7.1/24 dev srvx0 || return
	ip netns exec "$TOPO-srv" "$SHAKEOFF" serve srvx0 --port $PORT --json >"$WORK/serve3.log" 2>&1 &
	pid=$!
	for i in $(seq 50); do
		grep -q '"event":"attached"' "$WORK/serve3.log" && break
		sleep 0.1
	done
	grep -q '"event":"attached"' "$WORK/serve3.log" || { kill $pid; fail "serve on srvx0 did not attach: $(cat "$WORK/serve3.log")"; return; }
	srv ip link del srvx0
	for i in $(seq 50); do
		kill -0 $pid 2>/dev/null || break
		sleep 0.1
	done
	kill -0 $pid 2>/dev/null && { kill -KILL $pid; fail "serve still runs 5 s after srvx0 was removed"; return; }
	wait $pid
	rc=$?
	want_eq "serve exit status after its interface went" $rc 1 || return
	grep -q "srvx0 is gone" "$WORK/serve3.log" || fail "no line about srvx0: $(cat "$WORK/serve3.log")" || return
	echo "    ok: $(grep -m1 'is gone' "$WORK/serve3.log")"
}

# 7. --syn-mode cookie and state; SYN-ACK retransmission by the controller.
case_syn_modes() {
	case_reset || return
	local m a out sn n tx again rtx seqs t
	for m in cookie state; do
		serve_up "$WORK/serve-$m.log" --app echo --syn-mode $m || return
		for a in $SRV_IP4 $SRV_IP6; do
			out=$(client echo $a --bytes 200000 --close half) ||
				fail "--syn-mode $m, echo $a: $out" || return
		done
		if [ $m = cookie ]; then
			want_eq "cookie: tx_synack_cookie" "$(sstat_fresh .counters.tx_synack_cookie)" 2 || return
			want_eq "cookie: drop_cookie_established + xsk_handshake_data" \
				"$(sstat '.counters.drop_cookie_established + .counters.xsk_handshake_data')" 2 || return
			want_eq "cookie: tx_synack (stateful)" "$(sstat .counters.tx_synack)" 0 || return
		else
			want_eq "state: tx_synack" "$(sstat_fresh .counters.tx_synack)" 2 || return
			want_eq "state: drop_established + xsk_handshake_data" \
				"$(sstat '.counters.drop_established + .counters.xsk_handshake_data')" 2 || return
			want_eq "state: tx_synack_cookie" "$(sstat .counters.tx_synack_cookie)" 0 || return
		fi
		note "--syn-mode $m: echo over IPv4 and IPv6 intact"
		serve_stop
	done

	# state: every SYN-ACK dropped on its way into the client (after the capture
	# tap, so tcpdump still sees each one). The controller retransmits the
	# SYN-ACK (1 s, then 2 s later) and gives up after --synack-retries.
	command -v tcpdump >/dev/null || { echo "tcpdump not installed"; return 77; }
	lab attach cli0 lossy --drop-synacks 1000 || fail "lab attach cli0 lossy failed" || return
	serve_up "$WORK/serve-rtx.log" --app echo --syn-mode state --synack-retries 2 || return
	bg_cli tcpdump -i cli0 -nn -S -l -tt "tcp src port $PORT and tcp[tcpflags] & tcp-syn != 0" \
		>"$WORK/synack.txt" 2>"$WORK/tcpdump.err"
	sn=$!
	for n in $(seq 50); do
		grep -q "listening on" "$WORK/tcpdump.err" && break
		sleep 0.1
	done
	out=$(client echo $SRV_IP4 --bytes 10 --timeout 4)
	echo "    client with its SYN-ACKs dropped: $out"
	jq -e 'has("error")' <<<"$out" >/dev/null || fail "the client connected without a SYN-ACK?" || return
	# The entry is given up: 1 + 2 s of retransmissions, then 4 s more.
	n=$(wait_flows 0 10)
	want_eq "flows once the controller gave up" "$n" 0 || return
	want_eq "half-open entries the controller expired" "$(sstat_fresh .halfopen_expired)" 1 ||
		return
	want_eq "so_serve_ctl failures" "$(sstat .ctl_failed)" 0 || return
	kill $sn
	wait $sn 2>/dev/null
	cat "$WORK/synack.txt"
	tx=$(sstat_fresh .counters.tx_synack) again=$(sstat .counters.tx_synack_again)
	rtx=$(sstat .synack_rtx)
	note "state, SYN-ACKs dropped: tx_synack $tx, tx_synack_again (client SYN again) $again, controller retransmissions $rtx, SYN-ACKs seen on cli0 $(grep -c 'Flags \[S\.\]' "$WORK/synack.txt")"
	want_range "controller SYN-ACK retransmissions" "$rtx" 1 2 || return
	want_eq "SYN-ACKs dropped at cli0 = XDP's + the controller's" "$(lab_tc synack_drop)" \
		$((tx + again + rtx)) || return
	want_eq "SYN-ACKs on the wire = those dropped" "$(grep -c 'Flags \[S\.\]' "$WORK/synack.txt")" \
		"$(lab_tc synack_drop)" || return
	# All of them the same SYN-ACK: one ISS.
	seqs=$(grep 'Flags \[S\.\]' "$WORK/synack.txt" | sed -E 's/.* seq ([0-9]+),.*/\1/' | sort -u | wc -l)
	want_eq "distinct ISS among the SYN-ACKs" "$seqs" 1 || return
	serve_stop
	lab detach cli0 >/dev/null

	# Only the first SYN-ACK lost: the connection completes on a retransmission.
	lab attach cli0 pass >/dev/null
	lab attach cli0 lossy --drop-synacks 1 >/dev/null || fail "lab attach cli0 lossy failed" || return
	serve_up "$WORK/serve-rtx2.log" --app echo --syn-mode state || return
	t=$(date +%s%N)
	out=$(client echo $SRV_IP4 --bytes 100000 --close full) ||
		fail "echo with the first SYN-ACK lost: $out" || return
	note "state, first SYN-ACK lost: connected and echoed in $((($(date +%s%N) - t) / 1000000)) ms; synack_rtx $(sstat_fresh .synack_rtx), tx_synack_again $(sstat .counters.tx_synack_again)"
	want_eq "SYN-ACKs dropped" "$(lab_tc synack_drop)" 1
}

# 8. A segment with a bad TCP checksum never reaches the state machine or the
# engine: the kernel never checks what XDP takes or sends to AF_XDP, so serve's
# XDP does (drop_tcp_csum). The client's own segments, which leave veth with
# CHECKSUM_PARTIAL (the field only the pseudo-header sum), still echo.
case_tcp_csum() {
	$PY -c 'import scapy' 2>/dev/null || { echo "scapy missing for $PY"; return 77; }
	case_reset || return
	local a out s d0 d1
	serve_up "$WORK/serve.log" --app echo || return
	for a in $SRV_IP4 $SRV_IP6; do
		d0=$(sstat_fresh .counters.drop_tcp_csum)
		[[ $d0 =~ ^[0-9]+$ ]] || fail "serve's stats line has no drop_tcp_csum ('$d0')" || return
		out=$(cli timeout 30 $PY "$HERE/csum_inject.py" --iface cli0 --dst-mac "$(srv_mac)" \
			--dst $a --port $PORT)
		jq -c '.steps[]' <<<"$out" | sed 's/^/    /'
		for s in first_echo bad_csum echo good_csum; do
			want_eq "$a: step $s behaved" \
				"$(jq -r --arg s $s '.steps[] | select(.name == $s) | .ok' <<<"$out")" true ||
				return
		done
		d1=$(sstat_fresh .counters.drop_tcp_csum)
		want_eq "$a: drop_tcp_csum grew by" $((d1 - d0)) 1 || return
	done
	note "bad TCP checksum (99 bytes at RCV.NXT, IPv4 and IPv6): no ACK, no echo," \
		"drop_tcp_csum +1 each; the connection echoed after it; the same segment" \
		"with its checksum right was acknowledged (control)"
	serve_stop
	want_eq "serve exit status" "$SERVE_RC" 0
}

# ---- main ----------------------------------------------------------------

suite_up cleanup jq ss bpftool nsenter unshare
SECONDS=0
run_case "serve: echo and discard, IPv4 and IPv6, both close paths" case_apps
run_case "serve: receive window never shrinks (1 MB echoes)" case_window
run_case "serve: 10000 sequential connections, empty table after TIME_WAIT" case_many
run_case "serve: a new connection on a 4-tuple in TIME_WAIT" case_tw_reuse
run_case "serve: 100 MB echo over loss and reordering both ways" case_lossy
run_case "serve: conns from another ip netns exec" case_conns
run_case "serve: refusals" case_refusals
run_case "serve: SIGTERM and SIGKILL leave nothing" case_lifecycle
run_case "serve: --syn-mode cookie/state, SYN-ACK retransmission" case_syn_modes
run_case "serve: stops when its program is detached or its interface removed" case_vanish
run_case "serve: a segment with a bad TCP checksum is dropped, not echoed" case_tcp_csum
echo "($SECONDS s)"
finish
