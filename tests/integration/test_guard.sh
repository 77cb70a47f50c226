#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# guard in front of real kernel servers and clients on a veth pair between two
# namespaces: handshakes and options, floods with a kernel-only control run,
# forged segments, auto mode, key files, attach/detach lifecycle, refusals.
#   [VERBOSE=1] bash tests/integration/test_guard.sh [CASE-NAME-FILTER]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
TOPO=sog
FILTER=${1:-}
ECHO_PORT=8007
# A second veth pair (cli1/srv1) with the same, rarely used ifindex on both
# ends: detach and the lifecycle cases act on it, so they cannot reach
# interfaces of other test runs (links are matched by ifindex), and it lets us
# check that detach stays inside its own namespace.
PAIR_IDX=$((20000 + RANDOM % 30000))
CLI1_IP4=10.99.1.1 SRV1_IP4=10.99.1.2
STATS_H=$ROOT/include/shakeoff/guard_stats.h

# ---- helpers -------------------------------------------------------------

# guard_up LOG IFACE [ARGS...]: start `shakeoff guard IFACE ARGS` in the server
# namespace and wait until it has attached. With HOLDER set, the guard runs in
# that process's mount namespace, whose bpffs outlives the guard (as the host's
# does), so its pins survive a SIGKILL. GUARD_PID is the guard itself, so
# topo.sh's guard_stop (TERM, wait) stops it. 77: the kernel lacks the kfunc.
guard_up() {
	local log=$1 ifc=$2 i
	shift 2
	if [ -n "${HOLDER:-}" ]; then
		nsenter --mount="/proc/$HOLDER/ns/mnt" --net="/run/netns/$TOPO-srv" \
			"$SHAKEOFF" guard "$ifc" --interval 0 "$@" >"$log" 2>&1 &
	else
		ip netns exec "$TOPO-srv" "$SHAKEOFF" guard "$ifc" --interval 0 "$@" >"$log" 2>&1 &
	fi
	GUARD_PID=$!
	# Loading guard takes seconds of verifier time; allow for a busy machine.
	for i in $(seq 300); do
		grep -q -e 'Ctrl-C to detach' -e '"event":"attached"' "$log" && return 0
		if ! kill -0 "$GUARD_PID" 2>/dev/null; then
			wait "$GUARD_PID"
			GUARD_PID=
			echo "    guard exited before attaching:"
			sed 's/^/      /' "$log"
			grep -q 'lacks bpf_sk_assign_tcp_reqsk' "$log" && echo "kernel lacks bpf_sk_assign_tcp_reqsk" && return 77
			return 1
		fi
		sleep 0.1
	done
	fail "guard did not attach within 30 s: $(cat "$log")"
}

# gstat NAME [IFACE]: one guard counter, read by `shakeoff stats --json` in an ip netns exec of its own.


# tcx_ids IFACE: programs at tcx ingress of the server's IFACE, as a JSON list.
tcx_ids() { srv $PY "$HERE/tcx_query.py" "$1" | jq -c .prog_ids; }
prog_name() { bpftool prog show id "$1" -j 2>/dev/null | jq -r '.name // "none"'; }

# guard_ids IFACE: "XDP-ID TC-ID" of guard's two programs on the server's IFACE, 0 if absent.
guard_ids() {
	local xid tid
	xid=$(xdp_id "$1")
	tid=$(tcx_ids "$1" | jq '.[0] // 0')
	[ "$(prog_name "$xid")" = so_guard_xdp ] || xid=0
	[ "$(prog_name "$tid")" = so_guard_tc ] || tid=0
	echo "$xid $tid"
}
link_of_prog() { bpftool link show -j | jq --argjson p "$1" '[.[] | select(.prog_id == $p)] | length'; }

estab_count() {	# PORT: established sockets on the server's PORT
	srv ss -tnH state established "( sport = :$1 )" | grep -c .
}

wait_file() { wait_grep "$1" "$2" 50 -G; }  # FILE PATTERN: within 5 s

# What every case starts from, whatever an earlier case left behind.
case_reset() {
	ns_reap
	srv "$SHAKEOFF" lab detach srv0 >/dev/null 2>&1
	[ "$(xdp_name srv0)" = sog_foreign ] && ip -n "$TOPO-srv" link set dev srv0 xdp off
	if [ "$(cli_xdp_name cli0)" != so_lab_pass ]; then
		cli "$SHAKEOFF" lab detach cli0 >/dev/null 2>&1
		cli "$SHAKEOFF" lab attach cli0 pass >/dev/null 2>&1
	fi
	srv sysctl -qw net.ipv4.tcp_syncookies=1 net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 \
		net.ipv4.tcp_window_scaling=1
	cli sysctl -qw net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 net.ipv4.tcp_window_scaling=1
	[ "$(xdp_name srv0)" = none ] || fail "srv0 still has XDP program $(xdp_name srv0)"
}

# The second veth pair, cli1/srv1, same ifindex on both ends (see PAIR_IDX).
pair_up() {
	ip link add cli1 index $PAIR_IDX netns "$TOPO-cli" type veth \
		peer name srv1 index $PAIR_IDX netns "$TOPO-srv" || return 1
	ip -n "$TOPO-cli" addr add $CLI1_IP4/24 dev cli1
	ip -n "$TOPO-srv" addr add $SRV1_IP4/24 dev srv1
	ip -n "$TOPO-cli" link set cli1 up
	ip -n "$TOPO-srv" link set srv1 up
	cli "$SHAKEOFF" lab attach cli1 pass >/dev/null 2>&1 || { echo "lab attach cli1 pass failed"; return 1; }
}

# ---- cases ---------------------------------------------------------------

case_tw_reuse() {
	case_reset || return
	local www=$WORK/www out ok n0
	mkdir -p "$www" && echo hello >"$www/index.html"
	cat >"$WORK/reuse.py" <<'PYEOF'
import socket, sys, time
ok = 0
for i in range(int(sys.argv[2])):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.settimeout(3)
    try:
        s.bind(("0.0.0.0", 40123))
        s.connect((sys.argv[1], 80))
        s.sendall(b"GET / HTTP/1.0\r\n\r\n")
        data = b""
        while True:
            b = s.recv(4096)
            if not b:
                break
            data += b
        ok += b"hello" in data
    except OSError as e:
        print("connection %d: %s" % (i, e), file=sys.stderr)
    finally:
        s.close()
    time.sleep(0.3)
print(ok)
PYEOF
	bg_srv $PY -m http.server --bind :: --directory "$www" 80 >/dev/null 2>&1
	wait_listen 80 || fail "http.server did not start" || return
	# the first connection before guard: its TIME_WAIT is older than guard
	out=$(cli $PY "$WORK/reuse.py" $SRV_IP4 1)
	want_eq "the connection before guard" "$out" 1 || return
	guard_up "$WORK/guard.log" srv0 --ports 80 || return
	out=$(cli $PY "$WORK/reuse.py" $SRV_IP4 5)
	echo "    5 connections from port 40123, each after the server's TIME_WAIT: $out completed"
	want_eq "completed" "$out" 5 || return
	# each SYN met a TIME_WAIT: the first one that the controller found at start
	want_range "xdp_pass_syn_conn (SYNs the TIME_WAIT socket took)" \
		"$(gstat xdp_pass_syn_conn)" 1 5 || return
	want_eq "xdp_tx_rst_tw_cookie (cookie ACKs that met a TIME_WAIT)" \
		"$(gstat xdp_tx_rst_tw_cookie)" 0
}

# A guard killed with its links pinned keeps running on the keys it has;
# once none is left for the current slot (about two minutes; here the key
# map is emptied by hand) it must step aside: under a SYN flood the
# kernel's own cookies then carry every new connection.
case_dead_guard() {
	case_reset || return
	local xid tid mid mac fp out k s0 n0 vs
	holder_up || return
	# the kernel's SYN-ACKs to the spoofed sources need a route (else ListenDrops)
	srv ip route replace 198.18.0.0/15 via $CLI_IP4
	bg_srv $PY "$HERE/echo_server.py" $ECHO_PORT --backlog 16 >/dev/null 2>&1
	wait_listen $ECHO_PORT || fail "echo server did not start" || return
	guard_up "$WORK/guard.log" srv0 --ports $ECHO_PORT || return
	read -r xid tid <<<"$(guard_ids srv0)"
	kill -KILL "$GUARD_PID"
	wait "$GUARD_PID" 2>/dev/null
	GUARD_PID=
	want_eq "XDP on srv0 after SIGKILL (pinned)" "$(xdp_id srv0)" "$xid" || return
	for mid in $(bpftool prog show id "$xid" -j | jq -r '.map_ids[]'); do
		[ "$(bpftool map show id "$mid" -j | jq -r .name)" = guard_keys ] && break
	done
	[ "$(bpftool map show id "$mid" -j | jq -r .name)" = guard_keys ] ||
		fail "no guard_keys map on program $xid" || return
	# as many zero bytes as a struct guard_key has
	vs=$(bpftool map show id "$mid" -j | jq -r .bytes_value)
	for k in 0 1 2 3; do
		bpftool map update id "$mid" key $k 0 0 0 value $(printf '0 %.0s' $(seq "$vs")) ||
			fail "could not empty key $k" || return
	done
	mac=$(srv_mac)
	s0=$(kstat srv TcpExt SyncookiesSent)
	n0=$(in_holder "$SHAKEOFF" stats srv0 --json | jq -r '.counters.xdp_pass_nokey')
	bg_cli "$SHAKEOFF" flood cli0 --dst $SRV_IP4 --dport $ECHO_PORT --src 198.18.0.0/16 \
		--duration 6 --dst-mac "$mac" --json >"$WORK/dead.flood" 2>&1
	fp=$!
	sleep 0.5
	out=$(cli $PY "$HERE/tcp_client.py" $SRV_IP4 --port $ECHO_PORT --count 20 --interval 0.05 \
		--timeout 5 --deadline 25) || fail "clients during the flood: $out" || return
	wait $fp
	echo "    flood: $(cat "$WORK/dead.flood")"
	echo "    counters: $(in_holder "$SHAKEOFF" stats srv0 --json | jq -c '.counters | with_entries(select(.value > 0))')"
	note "keys gone, SYN flood: 20/20 connections; kernel SyncookiesSent +$(($(kstat srv TcpExt SyncookiesSent) - s0))"
	want_range "kernel SyncookiesSent delta (the kernel answered the flood)" \
		$(($(kstat srv TcpExt SyncookiesSent) - s0)) 1 100000000 || return
	want_range "xdp_pass_nokey delta" \
		$(($(in_holder "$SHAKEOFF" stats srv0 --json | jq -r '.counters.xdp_pass_nokey') - n0)) \
		1000 100000000 || return
	out=$(in_holder "$SHAKEOFF" detach srv0) || fail "detach failed: $out" || return
	HOLDER=
}

# 1. Real kernel servers behind guard, real kernel clients, IPv4 and IPv6.
case_kernel_server() {
	case_reset || return
	local www=$WORK/www out url po0 po1 n=10
	mkdir -p "$www" && head -c 100000 /dev/urandom >"$www/blob"
	bg_srv $PY -m http.server --bind :: --directory "$www" 80 >/dev/null 2>&1
	bg_srv $PY "$HERE/echo_server.py" $ECHO_PORT >/dev/null 2>&1
	wait_listen 80 && wait_listen $ECHO_PORT || fail "servers did not start" || return
	guard_up "$WORK/guard.log" srv0 --ports 80,$ECHO_PORT || return
	po0=$(kstat srv Tcp PassiveOpens)

	out=$(cli $PY "$HERE/tcp_client.py" $SRV_IP4 $SRV_IP6 --port $ECHO_PORT --count 8 \
		--bytes 100000 --deadline 30) || fail "echo clients: $out" || return
	echo "    echo, 8 x 100 KB: $(jq -c '{ok, failed}' <<<"$out")"
	for url in "http://$SRV_IP4/blob" "http://[$SRV_IP6]/blob"; do
		rm -f "$WORK/got"
		cli curl -sS -g --max-time 5 -o "$WORK/got" "$url" || fail "curl $url failed" || return
		cmp -s "$www/blob" "$WORK/got" || fail "curl $url: body differs" || return
		echo "    curl $url: 100000 bytes, identical"
	done
	po1=$(kstat srv Tcp PassiveOpens)
	want_eq "xdp_tx_synack" "$(gstat xdp_tx_synack)" $n || return
	want_eq "tc_handoff" "$(gstat tc_handoff)" $n || return
	want_eq "tc_kfunc_error" "$(gstat tc_kfunc_error)" 0 || return
	# XDP's metadata spares TC a second socket lookup for established segments
	# (GRO may merge frames, so TC can see fewer than XDP passed).
	want_range "tc_pass_hint" "$(gstat tc_pass_hint)" 1 "$(gstat xdp_pass_conn)" || return
	want_eq "kernel Tcp PassiveOpens delta" $((po1 - po0)) $n
}

# 2. What the handed-off connections negotiated, seen from both ends.
case_options() {
	case_reset || return
	local log=$WORK/echo.log ssout cws f
	bg_srv $PY "$HERE/echo_server.py" $ECHO_PORT --log "$log" >/dev/null 2>&1
	wait_listen $ECHO_PORT || fail "echo server did not start" || return
	guard_up "$WORK/guard.log" srv0 --ports $ECHO_PORT --mss 1400 --wscale 9 || return

	# options_round TAG: one IPv4 and one IPv6 client, held open while ss looks.
	options_round() {
		local tag=$1 i c4 c6
		: >"$log"
		bg_cli $PY "$HERE/tcp_client.py" $SRV_IP4 --port $ECHO_PORT --hold 2 >"$WORK/$tag.4"
		c4=$!
		bg_cli $PY "$HERE/tcp_client.py" $SRV_IP6 --port $ECHO_PORT --hold 2 >"$WORK/$tag.6"
		c6=$!
		for i in $(seq 30); do
			[ "$(estab_count $ECHO_PORT)" -ge 2 ] && break
			sleep 0.1
		done
		ssout=$(srv ss -tieH state established "( sport = :$ECHO_PORT )" 2>/dev/null)
		echo "$ssout" | sed 's/^/      ss| /'
		wait $c4 $c6
		jq -e '.ok == 1' "$WORK/$tag.4" "$WORK/$tag.6" >/dev/null ||
			fail "$tag clients failed: $(cat "$WORK/$tag.4" "$WORK/$tag.6")"
	}
	# sval FAMILY FIELD: the server's TCP_INFO field for the connection of FAMILY.
	sval() { jq -r --argjson f "$1" "select(.family == \$f) | .$2" "$log"; }
	# cval ROUND FAMILY FIELD: the client's TCP_INFO field.
	cval() { jq -r ".conns[0].$3" "$WORK/$1.$2"; }

	options_round full || return
	want_eq "ss: sockets with 'ts sack'" "$(grep -cw 'ts sack' <<<"$ssout")" 2 || return
	want_eq "ss: sockets with wscale:N,9" "$(grep -cE 'wscale:[0-9]+,9 ' <<<"$ssout")" 2 || return
	for f in 4 6; do
		cws=$(cval full $f rcv_wscale)
		want_eq "IPv$f server tcpi_options (TS|SACK|WSCALE)" "$(sval $f options)" 7 || return
		want_eq "IPv$f server rcv_wscale (--wscale)" "$(sval $f rcv_wscale)" 9 || return
		want_eq "IPv$f server snd_wscale (client's)" "$(sval $f snd_wscale)" "$cws" || return
		want_eq "IPv$f client snd_wscale" "$(cval full $f snd_wscale)" 9 || return
		want_eq "IPv$f client tcpi_options" "$(cval full $f options)" 7 || return
	done
	# --mss 1400: 1400 over IPv4, 1400-20 over IPv6, minus 12 for timestamps.
	want_eq "IPv4 client snd_mss" "$(cval full 4 snd_mss)" 1388 || return
	want_eq "IPv6 client snd_mss" "$(cval full 6 snd_mss)" 1368 || return
	# The client's MSS (1460 / 1440) survives the cookie's MSS table exactly.
	want_eq "IPv4 server snd_mss" "$(sval 4 snd_mss)" 1448 || return
	want_eq "IPv6 server snd_mss" "$(sval 6 snd_mss)" 1428 || return

	cli sysctl -qw net.ipv4.tcp_timestamps=0 net.ipv4.tcp_sack=0
	options_round bare || return
	want_eq "ss without ts/sack: sockets with 'ts'" "$(grep -cw 'ts' <<<"$ssout")" 0 || return
	want_eq "ss without ts/sack: sockets with 'sack'" "$(grep -cw 'sack' <<<"$ssout")" 0 || return
	want_eq "ss without ts/sack: sockets with wscale:N,9" \
		"$(grep -cE 'wscale:[0-9]+,9 ' <<<"$ssout")" 2 || return
	for f in 4 6; do
		want_eq "IPv$f server tcpi_options (WSCALE only)" "$(sval $f options)" 4 || return
		want_eq "IPv$f client tcpi_options" "$(cval bare $f options)" 4 || return
	done
	want_eq "IPv4 client snd_mss, no timestamps" "$(cval bare 4 snd_mss)" 1400 || return
	want_eq "IPv6 client snd_mss, no timestamps" "$(cval bare 6 snd_mss)" 1380 || return
	want_eq "IPv4 server snd_mss, no timestamps" "$(sval 4 snd_mss)" 1460 || return
	want_eq "IPv6 server snd_mss, no timestamps" "$(sval 6 snd_mss)" 1440 || return
	want_eq "tc_handoff" "$(gstat tc_handoff)" 4
}

# 3. The SYNs never reach the server's stack; the kernel never needs its own cookies.
case_no_syn_to_stack() {
	command -v tcpdump >/dev/null || { echo "tcpdump not installed"; return 77; }
	case_reset || return
	local tp cap=$WORK/cap.pcap text s0 d0 p0 n=6 syn_in synack_out seg_in out
	local addrs="($SRV_IP4|$SRV_IP6)\.$ECHO_PORT"
	bg_srv $PY "$HERE/echo_server.py" $ECHO_PORT >/dev/null 2>&1
	wait_listen $ECHO_PORT || fail "echo server did not start" || return
	guard_up "$WORK/guard.log" srv0 --ports $ECHO_PORT || return
	# -Z root: write the file as root; --immediate-mode: nothing stays in the ring at SIGINT.
	bg_srv tcpdump -i srv0 -nn -Z root -U --immediate-mode -w "$cap" "tcp port $ECHO_PORT" \
		2>"$WORK/tcpdump.err"
	tp=$!
	wait_file "$WORK/tcpdump.err" "listening on" || fail "tcpdump did not start" || return
	s0=$(kstat srv TcpExt SyncookiesSent) d0=$(kstat srv TcpExt ListenDrops)
	p0=$(kstat srv Tcp PassiveOpens)

	out=$(cli $PY "$HERE/tcp_client.py" $SRV_IP4 $SRV_IP6 --port $ECHO_PORT --count $n \
		--bytes 10000) || fail "clients: $out" || return
	sleep 0.3
	kill -INT $tp
	wait $tp
	text=$(tcpdump -nn -r "$cap" 2>/dev/null)
	syn_in=$(grep -cE "> $addrs: Flags \[S\]" <<<"$text")
	synack_out=$(grep -cE "$addrs > .* Flags \[S\.\]" <<<"$text")
	seg_in=$(grep -cE "> $addrs: Flags" <<<"$text")
	want_eq "inbound SYNs on the srv0 tap" "$syn_in" 0 || return
	want_eq "SYN-ACKs sent by the server's stack" "$synack_out" 0 || return
	want_range "other inbound segments on the tap (the capture works)" "$seg_in" $((3 * n)) 100000 ||
		return
	want_eq "TcpExt SyncookiesSent delta" $(($(kstat srv TcpExt SyncookiesSent) - s0)) 0 || return
	want_eq "TcpExt ListenDrops delta" $(($(kstat srv TcpExt ListenDrops) - d0)) 0 || return
	want_eq "Tcp PassiveOpens delta" $(($(kstat srv Tcp PassiveOpens) - p0)) $n || return
	want_eq "xdp_tx_synack" "$(gstat xdp_tx_synack)" $n
}

# 4. Forged ACKs, RSTs and FINs for no connection die in XDP, silently with --rst-rate 0.
case_forged() {
	$PY -c 'import scapy' 2>/dev/null || { echo "scapy missing for $PY"; return 77; }
	case_reset || return
	local mac v4 v6 r0
	bg_srv $PY "$HERE/echo_server.py" $ECHO_PORT >/dev/null 2>&1
	wait_listen $ECHO_PORT || fail "echo server did not start" || return
	guard_up "$WORK/guard.log" srv0 --ports $ECHO_PORT --rst-rate 0 || return
	mac=$(srv_mac)
	r0=$(kstat srv Tcp OutRsts)

	v4=$(cli $PY "$HERE/forge.py" segs --iface cli0 --dst-mac "$mac" --src $CLI_IP4 \
		--dst $SRV_IP4 --dport $ECHO_PORT --flags A:50,R:10,RA:10,F:10,FA:10) ||
		fail "forge.py failed: $v4" || return
	v6=$(cli $PY "$HERE/forge.py" segs --iface cli0 --dst-mac "$mac" --src $CLI_IP6 \
		--dst $SRV_IP6 --dport $ECHO_PORT --flags A:10,R:5,F:5) ||
		fail "forge.py failed: $v6" || return
	echo "    sent IPv4 $(jq -c .sent <<<"$v4"), IPv6 $(jq -c .sent <<<"$v6")"
	want_eq "replies seen on cli0 (IPv4)" "$(jq '.replies | length' <<<"$v4")" 0 || return
	want_eq "replies seen on cli0 (IPv6)" "$(jq '.replies | length' <<<"$v6")" 0 || return
	want_eq "established sockets on :$ECHO_PORT" "$(estab_count $ECHO_PORT)" 0 || return
	# ACKs, and FIN+ACKs (an ACK that may carry a FIN), fail the cookie check.
	want_eq "xdp_drop_bad_cookie (A 50+10, FA 10)" "$(gstat xdp_drop_bad_cookie)" 70 || return
	# Pure RSTs, RST+ACKs and bare FINs cannot open anything: no cookie check.
	want_eq "xdp_drop_no_conn (R 10+5, RA 10, F 10+5)" "$(gstat xdp_drop_no_conn)" 40 || return
	want_eq "tc_handoff" "$(gstat tc_handoff)" 0 || return
	want_eq "tc_bad_cookie (nothing reached TC)" "$(gstat tc_bad_cookie)" 0 || return
	want_eq "server Tcp OutRsts delta" $(($(kstat srv Tcp OutRsts) - r0)) 0
}

# rst_replies JSON: how many of forge.py's replies are RSTs.
rst_replies() { jq '[.replies[] | select(.flags | test("R"))] | length' <<<"$1"; }

# 4b. Stray ACKs (a connection the server forgot) get the RST the kernel
# alone sends them, so clients fail fast; a spoofed ACK flood gets no more
# than the per-source budget.
case_stray_rst() {
	$PY -c 'import scapy' 2>/dev/null || { echo "scapy missing for $PY"; return 77; }
	case_reset || return
	local mac out k g flood n
	bg_srv $PY "$HERE/echo_server.py" $ECHO_PORT >/dev/null 2>&1
	wait_listen $ECHO_PORT || fail "echo server did not start" || return
	mac=$(srv_mac)
	out=$(cli $PY "$HERE/forge.py" segs --iface cli0 --dst-mac "$mac" --src $CLI_IP4 \
		--dst $SRV_IP4 --dport $ECHO_PORT --flags A:3,FA:3) || fail "forge.py: $out" || return
	k=$(rst_replies "$out")
	guard_up "$WORK/guard.log" srv0 --ports $ECHO_PORT || return
	out=$(cli $PY "$HERE/forge.py" segs --iface cli0 --dst-mac "$mac" --src $CLI_IP4 \
		--dst $SRV_IP4 --dport $ECHO_PORT --flags A:3,FA:3) || fail "forge.py: $out" || return
	g=$(rst_replies "$out")
	note "stray ACK, FIN|ACK (3 each): RSTs from the kernel alone $k, behind guard $g"
	want_eq "RSTs from the kernel alone" "$k" 6 || return
	want_eq "RSTs behind guard" "$g" 6 || return
	want_eq "xdp_tx_rst_stray" "$(gstat xdp_tx_rst_stray)" 6 || return
	out=$(cli $PY "$HERE/forge.py" segs --iface cli0 --dst-mac "$mac" --src $CLI_IP6 \
		--dst $SRV_IP6 --dport $ECHO_PORT --flags A:2) || fail "forge.py: $out" || return
	want_eq "IPv6 stray ACKs: RSTs" "$(rst_replies "$out")" 2 || return

	# 300 ACKs from one source within a second or two: at most 10 per window of 1.07 s
	guard_stop
	guard_up "$WORK/guard2.log" srv0 --ports $ECHO_PORT || return
	flood=$(cli $PY "$HERE/forge.py" segs --iface cli0 --dst-mac "$mac" --src $CLI_IP4 \
		--dst $SRV_IP4 --dport $ECHO_PORT --flags A:300) || fail "forge.py: $flood" || return
	n=$(rst_replies "$flood")
	note "300 stray ACKs from one address: $n RSTs (budget: 10 per source /24 per 1.07 s)"
	want_range "RSTs to the ACK flood" "$n" 10 40 || return
	want_eq "xdp_tx_rst_stray = RSTs seen" "$(gstat xdp_tx_rst_stray)" "$n" || return
	want_eq "xdp_drop_bad_cookie = the rest" "$(gstat xdp_drop_bad_cookie)" $((300 - n))
}

# flood_run TAG MAC: a spoofed SYN flood from cli0 while 200 real clients
# connect; leaves TAG.flood, TAG.legit and TAG.k (counter deltas) in $WORK.
flood_run() {
	local tag=$1 mac=$2 fp k
	local kn="SyncookiesSent ListenDrops ListenOverflows TCPReqQFullDoCookies"
	declare -A b
	for k in $kn; do b[$k]=$(kstat srv TcpExt $k); done
	b[PassiveOpens]=$(kstat srv Tcp PassiveOpens)
	b[SynRetrans]=$(kstat cli TcpExt TCPSynRetrans)
	b[CliSynAck]=$(cli_synacks)
	b[SrvTxDrop]=$(srv_tx_dropped)
	bg_cli "$SHAKEOFF" flood cli0 --dst $SRV_IP4 --dport $ECHO_PORT --src 198.18.0.0/16 \
		--duration 4 --dst-mac "$mac" --json >"$WORK/$tag.flood" 2>"$WORK/$tag.flood.err"
	fp=$!
	sleep 0.5
	cli $PY "$HERE/tcp_client.py" $SRV_IP4 $SRV_IP6 --port $ECHO_PORT --count 200 \
		--bytes 1000 --interval 0.01 --timeout 5 --deadline 30 >"$WORK/$tag.legit"
	wait $fp
	: >"$WORK/$tag.k"
	for k in $kn; do echo "$k $(($(kstat srv TcpExt $k) - b[$k]))" >>"$WORK/$tag.k"; done
	echo "PassiveOpens $(($(kstat srv Tcp PassiveOpens) - b[PassiveOpens]))" >>"$WORK/$tag.k"
	echo "SynRetrans $(($(kstat cli TcpExt TCPSynRetrans) - b[SynRetrans]))" >>"$WORK/$tag.k"
	echo "CliSynAck $(($(cli_synacks) - b[CliSynAck]))" >>"$WORK/$tag.k"
	echo "SrvTxDrop $(($(srv_tx_dropped) - b[SrvTxDrop]))" >>"$WORK/$tag.k"
	jq -e .sent "$WORK/$tag.flood" >/dev/null ||
		fail "flood ($tag) printed no result: $(cat "$WORK/$tag.flood" "$WORK/$tag.flood.err")"
}
cli_synacks() { cli "$SHAKEOFF" lab read cli0 --json | jq -r '.counters.synack'; }
srv_tx_dropped() { ip -n "$TOPO-srv" -s -j link show dev srv0 | jq -r '.[0].stats64.tx.dropped'; }

# 5. SYN flood from spoofed sources with and without guard, real clients meanwhile.
case_flood() {
	case_reset || return
	local mac k g0 g_synack sent dropped retrans
	kv() { awk -v k="$2" '$1 == k { print $2 }' "$WORK/$1.k"; }
	fj() { jq -r "$2" "$WORK/$1.flood"; }
	lj() { jq -r "$2" "$WORK/$1.legit"; }
	row() { note "$(printf '%-26s %14s %14s' "$1" "$2" "$3")"; }
	mac=$(srv_mac)
	# The kernel (control run) must be able to route its SYN-ACKs to the spoofed
	# sources, or it drops the SYNs as ListenDrops for want of a route.
	srv ip route replace 198.18.0.0/15 via $CLI_IP4
	# cli0 counts what comes back: the client's side of the SYN-ACK count.
	cli "$SHAKEOFF" lab detach cli0 >/dev/null
	cli "$SHAKEOFF" lab attach cli0 count >/dev/null || fail "lab attach cli0 count failed" || return
	bg_srv $PY "$HERE/echo_server.py" $ECHO_PORT --backlog 16 >/dev/null 2>&1
	wait_listen $ECHO_PORT || fail "echo server did not start" || return

	# every SYN answered, as the kernel would: without the SYN-ACK budgets (whose
	# defaults this flood of ~700 000/s exceeds; test_limits.sh tests them)
	guard_up "$WORK/guard.log" srv0 --ports $ECHO_PORT --synack-rate 0 --synack-rate-src 0 ||
		return
	g0=$(gstat xdp_tx_synack)
	flood_run guard "$mac" || return
	g_synack=$(($(gstat xdp_tx_synack) - g0))
	guard_stop

	# Control: the kernel alone. veth hands XDP_TX'd frames (the flood) only to
	# a peer that runs XDP, so srv0 gets a pass-through program.
	srv "$SHAKEOFF" lab attach srv0 pass >/dev/null || fail "lab attach srv0 pass failed" || return
	flood_run kernel "$mac" || return
	srv "$SHAKEOFF" lab detach srv0 >/dev/null

	note "SYN flood 4 s (1 sender, 198.18.0.0/16) + 200 legit connections; backlog 16, tcp_syncookies=1"
	note "$(printf '%-26s %14s %14s' '' 'with guard' 'kernel only')"
	row "flood pps" "$(fj guard .pps)" "$(fj kernel .pps)"
	row "flood sent" "$(fj guard .sent)" "$(fj kernel .sent)"
	row "flood tx_dropped (cli0)" "$(fj guard .tx_dropped)" "$(fj kernel .tx_dropped)"
	row "legit ok/failed" "$(lj guard '"\(.ok)/\(.failed)"')" "$(lj kernel '"\(.ok)/\(.failed)"')"
	row "legit max connect ms" "$(lj guard '[.conns[].connect_ms] | max')" \
		"$(lj kernel '[.conns[].connect_ms] | max')"
	for k in SyncookiesSent ListenDrops ListenOverflows TCPReqQFullDoCookies PassiveOpens; do
		row "srv $k" "$(kv guard $k)" "$(kv kernel $k)"
	done
	row "cli TCPSynRetrans" "$(kv guard SynRetrans)" "$(kv kernel SynRetrans)"
	row "SYN-ACKs counted on cli0" "$(kv guard CliSynAck)" "$(kv kernel CliSynAck)"
	row "srv0 tx_dropped" "$(kv guard SrvTxDrop)" "$(kv kernel SrvTxDrop)"
	row "guard xdp_tx_synack" "$g_synack" "-"

	want_eq "legit connections completed under guard" "$(lj guard .ok)/$(lj guard .failed)" 200/0 ||
		return
	want_eq "guard run: SyncookiesSent delta" "$(kv guard SyncookiesSent)" 0 || return
	want_eq "guard run: ListenDrops delta" "$(kv guard ListenDrops)" 0 || return
	# The client's side: every SYN-ACK guard sent reached cli0 unless srv0 dropped
	# it (srv0's tx_dropped also counts the stack's own drops, hence a range).
	want_range "xdp_tx_synack vs SYN-ACKs on cli0 (+ srv0 tx_dropped)" "$g_synack" \
		"$(kv guard CliSynAck)" $(($(kv guard CliSynAck) + $(kv guard SrvTxDrop))) || return
	# Every flood SYN cli0 did not drop, and each legit connection's SYN, got one
	# SYN-ACK; never more than the SYNs sent. (cli0's tx_dropped also counts
	# dropped legit segments, so it only bounds the flood's losses.)
	sent=$(fj guard .sent) dropped=$(fj guard .tx_dropped) retrans=$(kv guard SynRetrans)
	want_range "xdp_tx_synack" "$g_synack" $((sent - dropped + 200)) $((sent + 200 + retrans)) ||
		return
	[ "$(kv kernel SyncookiesSent)" -gt 0 ] ||
		fail "control run: the kernel sent no cookies, the flood did not load it" || return
	echo "    ok: kernel-only run: SyncookiesSent delta $(kv kernel SyncookiesSent) > 0"
}

# 6. A SYN to a protected port nobody listens on is refused at once.
case_no_listener() {
	case_reset || return
	local port=8009 url t0 ms rc r0 out
	[ -z "$(srv ss -Htln "sport = :$port")" ] || fail "something listens on :$port" || return
	guard_up "$WORK/guard.log" srv0 --ports $port || return
	r0=$(kstat srv Tcp OutRsts)
	for url in "http://$SRV_IP4:$port/" "http://[$SRV_IP6]:$port/"; do
		t0=$(date +%s%N)
		out=$(cli curl -sS -g --max-time 5 -o /dev/null "$url" 2>&1)
		rc=$?
		ms=$((($(date +%s%N) - t0) / 1000000))
		echo "    curl $url: exit $rc after $ms ms: $out"
		want_eq "curl exit (couldn't connect)" $rc 7 || return
		want_range "curl time to fail, ms" $ms 0 999 || return
	done
	out=$(cli $PY - $SRV_IP4 $SRV_IP6 $port <<'EOF'
import socket, sys
for a in sys.argv[1:3]:
    try:
        socket.create_connection((a, int(sys.argv[3])), timeout=3)
        print(a, "connected")
    except ConnectionRefusedError:
        print(a, "refused")
    except OSError as e:
        print(a, e)
EOF
)
	echo "$out" | sed 's/^/    python: /'
	want_eq "python connects refused" "$(grep -c ' refused$' <<<"$out")" 2 || return
	want_eq "xdp_tx_rst_no_listener" "$(gstat xdp_tx_rst_no_listener)" 4 || return
	want_eq "xdp_tx_synack" "$(gstat xdp_tx_synack)" 0 || return
	want_eq "server Tcp OutRsts delta (the RST came from XDP)" $(($(kstat srv Tcp OutRsts) - r0)) 0
}

# 7. Unprotected ports, unprotected addresses and non-TCP pass untouched.
case_unprotected() {
	case_reset || return
	local www=$WORK/www url p0 nt0 out
	mkdir -p "$www" && echo hello >"$www/index.html"
	bg_srv $PY -m http.server --bind :: --directory "$www" 80 >/dev/null 2>&1
	bg_srv $PY -m http.server --bind :: --directory "$www" 8080 >/dev/null 2>&1
	wait_listen 80 && wait_listen 8080 || fail "servers did not start" || return
	# Protect port 80 on the IPv4 address only.
	guard_up "$WORK/guard.log" srv0 --ports 80 --addr $SRV_IP4 || return
	p0=$(kstat srv Tcp PassiveOpens)
	for url in "http://$SRV_IP4:8080/" "http://[$SRV_IP6]:8080/" "http://[$SRV_IP6]/"; do
		out=$(cli curl -sS -g --max-time 5 "$url") || fail "curl $url failed" || return
		want_eq "curl $url (unprotected)" "$out" hello || return
	done
	want_eq "xdp_tx_synack after unprotected connections" "$(gstat xdp_tx_synack)" 0 || return
	want_range "xdp_pass_unprotected" "$(gstat xdp_pass_unprotected)" 12 100000 || return
	out=$(cli curl -sS -g --max-time 5 "http://$SRV_IP4/") || fail "curl protected failed" || return
	want_eq "curl http://$SRV_IP4/ (protected)" "$out" hello || return
	want_eq "xdp_tx_synack" "$(gstat xdp_tx_synack)" 1 || return
	want_eq "tc_handoff" "$(gstat tc_handoff)" 1 || return
	want_eq "kernel Tcp PassiveOpens delta" $(($(kstat srv Tcp PassiveOpens) - p0)) 4 || return

	nt0=$(gstat xdp_pass_not_tcp)
	bg_srv $PY -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 9999)); s.settimeout(5); print(s.recvfrom(100)[0].decode())' >"$WORK/udp.out"
	sleep 0.3
	cli $PY -c 'import socket; socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"udp-ok", ("'$SRV_IP4'", 9999))'
	wait $!
	want_eq "UDP datagram received" "$(cat "$WORK/udp.out")" udp-ok || return
	want_range "xdp_pass_not_tcp grew by" $(($(gstat xdp_pass_not_tcp) - nt0)) 1 100
}

# 8. stats --json from a separate ip netns exec.
case_stats_json() {
	case_reset || return
	local js names n out
	bg_srv $PY "$HERE/echo_server.py" $ECHO_PORT >/dev/null 2>&1
	wait_listen $ECHO_PORT || fail "echo server did not start" || return
	guard_up "$WORK/guard.log" srv0 --ports $ECHO_PORT || return
	out=$(cli $PY "$HERE/tcp_client.py" $SRV_IP4 --port $ECHO_PORT) || fail "client: $out" || return
	js=$(ip netns exec "$TOPO-srv" "$SHAKEOFF" stats srv0 --json) || fail "stats --json failed" || return
	echo "    $js"
	jq -e . >/dev/null <<<"$js" || fail "stats --json is not JSON" || return
	want_eq ".iface" "$(jq -r .iface <<<"$js")" srv0 || return
	names=$(sed -nE 's/^[[:space:]]*X\([A-Z0-9_]+, "([a-z0-9_]+)".*/\1/p' "$STATS_H")
	[ -n "$names" ] || fail "no counter names found in $STATS_H" || return
	want_eq "number of counters" "$(jq '.counters | length' <<<"$js")" "$(wc -l <<<"$names")" || return
	for n in $names; do
		jq -e --arg n "$n" '.counters[$n] | type == "number"' >/dev/null <<<"$js" ||
			fail "counter $n missing or not a number" || return
	done
	want_eq "xdp_tx_synack" "$(jq .counters.xdp_tx_synack <<<"$js")" 1 || return
	want_eq "tc_handoff" "$(jq .counters.tc_handoff <<<"$js")" 1 || return
	out=$(ip netns exec "$TOPO-srv" "$SHAKEOFF" stats srv0) || fail "stats (text) failed" || return
	for n in $names; do
		grep -qE "^$n +[0-9]+" <<<"$out" || fail "text stats lack $n" || return
	done
	echo "    ok: text stats list all $(wc -l <<<"$names") counters"
}

# 8a. After SIGKILL the pinned links keep guard attached; detach removes it.
case_detach_after_kill() {
	case_reset || return
	local ids xid tid out
	holder_up || return
	bg_srv $PY "$HERE/echo_server.py" $ECHO_PORT >/dev/null 2>&1
	wait_listen $ECHO_PORT || fail "echo server did not start" || return
	guard_up "$WORK/guard.log" srv1 --ports $ECHO_PORT || return
	read -r xid tid <<<"$(guard_ids srv1)"
	echo "    guard programs: xdp $xid, tc $tid"
	[ "$xid" != 0 ] && [ "$tid" != 0 ] || fail "could not find guard's programs" || return
	kill -KILL "$GUARD_PID"
	wait "$GUARD_PID" 2>/dev/null
	GUARD_PID=
	want_eq "XDP on srv1 after SIGKILL (pinned)" "$(xdp_id srv1)" "$xid" || return
	want_eq "tcx ingress on srv1 after SIGKILL (pinned)" "$(tcx_ids srv1)" "[$tid]" || return

	out=$(ip netns exec "$TOPO-srv" "$SHAKEOFF" detach srv1) || fail "detach failed: $out" || return
	echo "    detach: $out"
	want_eq "XDP on srv1 after detach" "$(xdp_name srv1)" none || return
	want_eq "XDP in bpftool net show dev srv1" \
		"$(srv bpftool net show dev srv1 -j | jq '.[0].xdp | length')" 0 || return
	want_eq "tcx ingress on srv1 after detach" "$(tcx_ids srv1)" "[]" || return
	! srv "$SHAKEOFF" stats srv1 >/dev/null 2>&1 || fail "stats still finds a guard on srv1" || return
	# The pins live where the dead guard put them; detach removes them where it sees them.
	in_holder test -d "$(pin_dir srv1)" || fail "the dead guard's pins were not there" || return
	out=$(in_holder "$SHAKEOFF" detach srv1) || fail "detach (pins) failed: $out" || return
	! in_holder test -e "$(pin_dir srv1)" || fail "pins left after detach" || return
	echo "    ok: pins removed"
	want_eq "links of the XDP program" "$(link_of_prog "$xid")" 0 || return
	want_eq "links of the TC program" "$(link_of_prog "$tid")" 0 || return
	! prog_exists "$xid" || fail "XDP program $xid still loaded" || return
	! prog_exists "$tid" || fail "TC program $tid still loaded" || return
	echo "    ok: both programs unloaded"

	HOLDER=
	guard_up "$WORK/guard2.log" srv1 --ports $ECHO_PORT || fail "a new guard cannot start" || return
	out=$(cli $PY "$HERE/tcp_client.py" $SRV1_IP4 --port $ECHO_PORT) ||
		fail "connection through the new guard: $out" || return
	want_eq "new guard: xdp_tx_synack" "$(gstat xdp_tx_synack srv1)" 1 || return
	want_eq "new guard: tc_handoff" "$(gstat tc_handoff srv1)" 1
}

# 8b. SIGTERM: guard removes exactly what it attached, pins included.
case_sigterm_clean() {
	case_reset || return
	local xid tid rc
	holder_up || return
	guard_up "$WORK/guard.log" srv1 --ports $ECHO_PORT || return
	read -r xid tid <<<"$(guard_ids srv1)"
	echo "    guard programs: xdp $xid, tc $tid"
	[ "$xid" != 0 ] && [ "$tid" != 0 ] || fail "could not find guard's programs" || return
	in_holder test -d "$(pin_dir srv1)" || fail "guard pinned nothing" || return
	kill -TERM "$GUARD_PID"
	wait "$GUARD_PID"
	rc=$?
	GUARD_PID=
	want_eq "guard exit status after SIGTERM" $rc 0 || return
	grep -q detached "$WORK/guard.log" || fail "guard did not report detaching" || return
	want_eq "XDP on srv1" "$(xdp_name srv1)" none || return
	want_eq "tcx ingress on srv1" "$(tcx_ids srv1)" "[]" || return
	want_eq "links of the XDP program" "$(link_of_prog "$xid")" 0 || return
	want_eq "links of the TC program" "$(link_of_prog "$tid")" 0 || return
	! prog_exists "$xid" || fail "XDP program $xid still loaded" || return
	! prog_exists "$tid" || fail "TC program $tid still loaded" || return
	! in_holder test -e "$(pin_dir srv1)" || fail "pins left in $(pin_dir srv1)" || return
	echo "    ok: programs unloaded, no links, no pins"
	want_eq "cli1 keeps its own XDP program" "$(cli_xdp_name cli1)" so_lab_pass
}

# 8c. detach IFACE acts in its own namespace only (cli1 has srv1's ifindex).
case_detach_other_netns() {
	case_reset || return
	local xid tid out
	guard_up "$WORK/guard.log" srv1 --ports $ECHO_PORT || return
	read -r xid tid <<<"$(guard_ids srv1)"
	out=$(ip netns exec "$TOPO-cli" "$SHAKEOFF" detach cli1 2>&1)
	echo "    detach cli1 (client namespace, ifindex $PAIR_IDX): $out"
	sleep 0.5
	want_eq "guard's XDP on srv1 (server namespace)" "$(xdp_id srv1)" "$xid" || return
	want_eq "guard's tcx on srv1 (server namespace)" "$(tcx_ids srv1)" "[$tid]" || return
	kill -0 "$GUARD_PID" 2>/dev/null || fail "guard on srv1 stopped: $(tail -n 2 "$WORK/guard.log")" ||
		return
	want_eq "cli1 keeps its lab program" "$(cli_xdp_name cli1)" so_lab_pass
}

# 9. What guard refuses: exit 2 and one line saying why (refuse).
case_refusals() {
	case_reset || return
	local p t id out rc
	refuse "unknown interface" "nosuch0" srv "$SHAKEOFF" guard nosuch0 --ports 80 || return
	for p in 0 70000 abc 80, ,80 80,,81 ""; do
		refuse "--ports '$p'" "port" srv "$SHAKEOFF" guard srv0 --ports "$p" || return
	done
	refuse "--ports twice" "twice" srv "$SHAKEOFF" guard srv0 --ports 80 --ports 81 || return
	refuse "no command" "missing COMMAND" srv "$SHAKEOFF" || return
	refuse "unknown command" "unknown command" srv "$SHAKEOFF" gaurd srv0 || return
	mkfifo "$WORK/key.fifo"
	refuse "--key-file a FIFO (must not block)" "regular file" srv timeout 5 \
		"$SHAKEOFF" guard srv0 --ports 80 --key-file "$WORK/key.fifo" || return
	head -c 64 /dev/zero >"$WORK/zero.key"
	refuse "--key-file of zeros" "one byte value" srv "$SHAKEOFF" guard srv0 --ports 80 \
		--key-file "$WORK/zero.key" || return
	refuse "--key-file /dev/zero" "regular file" srv "$SHAKEOFF" guard srv0 --ports 80 \
		--key-file /dev/zero || return
	refuse "--key-overlap without --key-file" "needs --key-file" srv "$SHAKEOFF" guard srv0 \
		--ports 80 --key-overlap 5 || return
	refuse "--key-overlap 86401" "key-overlap" srv "$SHAKEOFF" guard srv0 --ports 80 \
		--key-file /etc/hostname --key-overlap 86401 || return
	for t in 0 256 abc -1; do
		refuse "--ttl $t" "ttl" srv "$SHAKEOFF" guard srv0 --ports 80 --ttl "$t" || return
	done

	guard_up "$WORK/guard.log" srv0 --ports 80 || return
	id=$(xdp_id srv0)
	refuse "a second guard" "already runs" srv "$SHAKEOFF" guard srv0 --ports 80 || return
	want_eq "first guard's XDP still attached" "$(xdp_id srv0)" "$id" || return
	kill -0 "$GUARD_PID" || fail "first guard died" || return
	guard_stop

	srv "$SHAKEOFF" lab attach srv0 pass >/dev/null || fail "lab attach srv0 failed" || return
	id=$(xdp_id srv0)
	refuse "foreign XDP (shakeoff lab)" "so_lab_pass" srv "$SHAKEOFF" guard srv0 --ports 80 || return
	want_eq "the lab program is still there" "$(xdp_id srv0)" "$id" || return
	srv "$SHAKEOFF" lab detach srv0 >/dev/null

	if command -v clang >/dev/null; then
		printf '%s\n' '#include <linux/bpf.h>' \
			'__attribute__((section("xdp"), used)) int sog_foreign(struct xdp_md *c) { return XDP_PASS; }' \
			'char _l[] __attribute__((section("license"), used)) = "GPL";' >"$WORK/foreign.c"
		clang -O2 -target bpf -I/usr/include/"$(gcc -dumpmachine)" -c "$WORK/foreign.c" \
			-o "$WORK/foreign.o" || fail "cannot build the foreign program" || return
		ip -n "$TOPO-srv" link set dev srv0 xdp obj "$WORK/foreign.o" sec xdp ||
			fail "ip cannot load the foreign program" || return
		id=$(xdp_id srv0)
		refuse "foreign XDP (ip link)" "sog_foreign" srv "$SHAKEOFF" guard srv0 --ports 80 || return
		want_eq "the ip-loaded program is still there" "$(xdp_id srv0)" "$id" || return
		ip -n "$TOPO-srv" link set dev srv0 xdp off
	else
		echo "    clang missing: ip-loaded foreign program not tried"
	fi

	refuse "no CAP_BPF/CAP_NET_ADMIN (root without them)" "CAP_BPF" srv capsh \
		--drop=cap_bpf,cap_net_admin,cap_sys_admin -- -c "exec $SHAKEOFF guard srv0 --ports 80" ||
		return
	srv sysctl -qw net.ipv4.tcp_sack=0
	refuse "tcp_sack=0" "tcp_sack" srv "$SHAKEOFF" guard srv0 --ports 80 || return
	srv sysctl -qw net.ipv4.tcp_sack=1
	srv sysctl -qw net.ipv4.tcp_syncookies=0
	refuse "tcp_syncookies=0" "tcp_syncookies" srv "$SHAKEOFF" guard srv0 --ports 80 || return
	want_eq "XDP on srv0 after the refusals" "$(xdp_name srv0)" none || return
	guard_up "$WORK/guard2.log" srv0 --ports 80 --fix-sysctls || return
	want_eq "tcp_syncookies after --fix-sysctls" "$(srv sysctl -n net.ipv4.tcp_syncookies)" 1 || return
	guard_stop

	out=$(srv "$SHAKEOFF" guard --help)
	rc=$?
	want_eq "guard --help exit" $rc 0 || return
	grep -q '^Usage: shakeoff guard' <<<"$out" || fail "guard --help prints no usage" || return
	out=$("$SHAKEOFF" --version)
	rc=$?
	want_eq "--version exit" $rc 0 || return
	[[ $out =~ ^shakeoff\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || fail "--version printed '$out'" || return
	echo "    ok: --version -> $out"
}

# 10. --cookies auto: the kernel answers while calm, guard once a port is flooded.
case_auto() {
	case_reset || return
	local mac out calm0 i fp p0
	mac=$(srv_mac)
	srv ip route replace 198.18.0.0/15 via $CLI_IP4
	bg_srv $PY "$HERE/echo_server.py" $ECHO_PORT >/dev/null 2>&1
	wait_listen $ECHO_PORT || fail "echo server did not start" || return
	guard_up "$WORK/guard.log" srv0 --ports $ECHO_PORT --cookies auto --syn-threshold 200 || return
	p0=$(kstat srv Tcp PassiveOpens)
	out=$(cli $PY "$HERE/tcp_client.py" $SRV_IP4 $SRV_IP6 --port $ECHO_PORT --count 5 \
		--interval 0.05) || fail "calm clients: $out" || return
	want_eq "calm: xdp_pass_syn_calm" "$(gstat xdp_pass_syn_calm)" 5 || return
	want_eq "calm: xdp_tx_synack" "$(gstat xdp_tx_synack)" 0 || return
	want_eq "calm: kernel PassiveOpens delta" $(($(kstat srv Tcp PassiveOpens) - p0)) 5 || return

	bg_cli "$SHAKEOFF" flood cli0 --dst $SRV_IP4 --dport $ECHO_PORT --src 198.18.0.0/16 \
		--rate 3000 --duration 3 --dst-mac "$mac" --json >"$WORK/flood.json"
	fp=$!
	sleep 1
	out=$(cli $PY "$HERE/tcp_client.py" $SRV_IP4 $SRV_IP6 --port $ECHO_PORT --count 20 \
		--interval 0.03 --deadline 20) || fail "clients during the flood: $out" || return
	wait $fp
	echo "    flood: $(cat "$WORK/flood.json")"
	grep -q "port $ECHO_PORT under SYN flood" "$WORK/guard.log" ||
		fail "guard printed no flood line: $(cat "$WORK/guard.log")" || return
	echo "    ok: $(grep 'under SYN flood' "$WORK/guard.log")"
	want_range "flood: xdp_tx_synack" "$(gstat xdp_tx_synack)" 3000 100000 || return
	want_range "flood: tc_handoff (legit clients via cookies)" "$(gstat tc_handoff)" 15 20 || return

	# Calm again after 3 s below half the threshold: SYNs go to the kernel again.
	for i in $(seq 80); do
		grep -q "calm again" "$WORK/guard.log" && break
		sleep 0.1
	done
	grep -q "calm again" "$WORK/guard.log" || fail "guard never calmed down" || return
	calm0=$(gstat xdp_pass_syn_calm)
	out=$(cli $PY "$HERE/tcp_client.py" $SRV_IP4 --port $ECHO_PORT --count 2) ||
		fail "clients after the flood: $out" || return
	want_eq "calm again: xdp_pass_syn_calm delta" $(($(gstat xdp_pass_syn_calm) - calm0)) 2
}

# 11. --key-file: a cookie made by one guard is honoured by the next one with the same key.
case_key_file() {
	$PY -c 'import scapy' 2>/dev/null || { echo "scapy missing for $PY"; return 77; }
	case_reset || return
	local mac out log=$WORK/echo.log sport=41001
	head -c 32 /dev/urandom >"$WORK/k1"
	head -c 32 /dev/urandom >"$WORK/k2"
	mac=$(srv_mac)
	bg_srv $PY "$HERE/echo_server.py" $ECHO_PORT --log "$log" >/dev/null 2>&1
	wait_listen $ECHO_PORT || fail "echo server did not start" || return

	guard_up "$WORK/guard1.log" srv0 --ports $ECHO_PORT --key-file "$WORK/k1" || return
	out=$(cli $PY "$HERE/forge.py" syn --iface cli0 --dst-mac "$mac" --src $CLI_IP4 \
		--dst $SRV_IP4 --dport $ECHO_PORT --sport $sport --out "$WORK/syn.json") ||
		fail "forge.py syn: $out" || return
	echo "    SYN-ACK from guard 1: $(jq -c .synack <<<"$out")"
	jq -e .synack.seq "$WORK/syn.json" >/dev/null || fail "no SYN-ACK from guard 1" || return
	guard_stop

	guard_up "$WORK/guard2.log" srv0 --ports $ECHO_PORT --key-file "$WORK/k2" || return
	out=$(cli $PY "$HERE/forge.py" ack --dst-mac "$mac" --in "$WORK/syn.json") ||
		fail "forge.py ack: $out" || return
	# the kernel would answer the ACK of a handshake it never made with a RST: so does guard
	want_eq "other key: RST replies" "$(rst_replies "$out")" 1 || return
	want_eq "other key: xdp_tx_rst_stray" "$(gstat xdp_tx_rst_stray)" 1 || return
	want_eq "other key: tc_handoff" "$(gstat tc_handoff)" 0 || return
	want_eq "other key: established sockets" "$(estab_count $ECHO_PORT)" 0 || return
	guard_stop

	guard_up "$WORK/guard3.log" srv0 --ports $ECHO_PORT --key-file "$WORK/k1" || return
	out=$(cli $PY "$HERE/forge.py" ack --dst-mac "$mac" --in "$WORK/syn.json") ||
		fail "forge.py ack: $out" || return
	want_eq "same key: xdp_pass_cookie_ack" "$(gstat xdp_pass_cookie_ack)" 1 || return
	want_eq "same key: tc_handoff" "$(gstat tc_handoff)" 1 || return
	want_eq "same key: established from :$sport" \
		"$(srv ss -tnH state established "( sport = :$ECHO_PORT and dport = :$sport )" | grep -c .)" 1 ||
		return
	wait_file "$log" "\"port\": $sport" || fail "the server never accepted the connection" || return
	echo "    ok: accept() returned it: $(grep "\"port\": $sport" "$log")"
}

# 11b. A cookie ACK whose listener went away after the SYN-ACK: the handoff
# fails by reason (tc_no_listener) and the client gets a RST from the kernel.
case_handoff_no_listener() {
	$PY -c 'import scapy' 2>/dev/null || { echo "scapy missing for $PY"; return 77; }
	case_reset || return
	local mac out pid sport=41002 port=8011
	mac=$(srv_mac)
	ip netns exec "$TOPO-srv" $PY -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("", int(sys.argv[1]))); s.listen(); time.sleep(60)' $port &
	pid=$!
	wait_listen $port || fail "listener did not start" || return
	guard_up "$WORK/guard.log" srv0 --ports $port || return
	out=$(cli $PY "$HERE/forge.py" syn --iface cli0 --dst-mac "$mac" --src $CLI_IP4 \
		--dst $SRV_IP4 --dport $port --sport $sport --out "$WORK/syn.json") ||
		fail "forge.py syn: $out" || return
	jq -e .synack.seq "$WORK/syn.json" >/dev/null || fail "no SYN-ACK" || return
	kill $pid
	wait $pid 2>/dev/null
	out=$(cli $PY "$HERE/forge.py" ack --dst-mac "$mac" --in "$WORK/syn.json") ||
		fail "forge.py ack: $out" || return
	echo "    replies to the final ACK: $(jq -c .replies <<<"$out")"
	want_eq "xdp_pass_cookie_ack" "$(gstat xdp_pass_cookie_ack)" 1 || return
	want_eq "tc_no_listener" "$(gstat tc_no_listener)" 1 || return
	want_eq "tc_handoff" "$(gstat tc_handoff)" 0 || return
	jq -e '[.replies[] | select(.flags | test("R"))] | length == 1' <<<"$out" >/dev/null ||
		fail "the client got no RST" || return
}

# ---- main ----------------------------------------------------------------

suite_up cleanup jq curl ss bpftool nsenter unshare
pair_up || suite_fail "topology setup failed"
SECONDS=0
run_case "guard: kernel servers and clients, IPv4 and IPv6" case_kernel_server
run_case "guard: negotiated options (ss, TCP_INFO, MSS, no TS/SACK)" case_options
run_case "guard: no SYN reaches the server stack" case_no_syn_to_stack
run_case "guard: forged ACK/RST/FIN dropped silently (--rst-rate 0)" case_forged
run_case "guard: stray ACKs get the kernel's RST, within a budget" case_stray_rst
run_case "guard: SYN flood vs kernel-only control" case_flood
run_case "guard: RST for a port without listener" case_no_listener
run_case "guard: unprotected traffic untouched" case_unprotected
run_case "guard: stats --json from another ip netns exec" case_stats_json
run_case "guard: detach after SIGKILL" case_detach_after_kill
run_case "guard: SIGTERM leaves nothing behind" case_sigterm_clean
run_case "guard: detach stays in its namespace" case_detach_other_netns
run_case "guard: refusals" case_refusals
run_case "guard: --cookies auto" case_auto
run_case "guard: --key-file cookies across restarts" case_key_file
run_case "guard: handoff without listener answers RST" case_handoff_no_listener
run_case "guard: a client reusing its port over the server's TIME_WAIT (also one older than guard)" case_tw_reuse
run_case "guard: a dead guard without keys steps aside (SYN flood)" case_dead_guard
echo "($SECONDS s)"
finish
