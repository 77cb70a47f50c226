#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# guard when things go wrong around it: SIGKILL with and without pinned links
# (what established and new connections see, and the next guard taking over),
# the link going down and up, the interface deleted under it, a cookie key
# rotation with handshakes in flight, and guard's memory across a flood.
#
# Key rotation: guard's XDP takes the cookie slot from guard_cfg.slot_override
# when it is non-zero (the ABI's test hook); the running guard's controller
# keeps writing the real keys (slots S-1, S, S+1 around the clock's S), and
# this test moves the slot XDP uses across them, so a SYN-ACK made in one slot
# meets its final ACK in the next (accepted) or the one after (refused) — on
# the live guard, with real kernel clients connecting meanwhile.
#
# The flood of the memory case lasts RSS_FLOOD_S seconds (default 10; LONG=1: 60).
#   [VERBOSE=1] [LONG=1] bash tests/integration/test_faults.sh [CASE-NAME-FILTER]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
TOPO=sofault
FILTER=${1:-}
ECHO_PORT=8007
PAIR_IDX=$((20000 + RANDOM % 30000))
CLI1_IP4=10.99.1.1 SRV1_IP4=10.99.1.2
RSS_FLOOD_S=${RSS_FLOOD_S:-$([ "${LONG:-}" = 1 ] && echo 60 || echo 10)}

# ---- helpers -------------------------------------------------------------

# guard_up LOG IFACE [ARGS...]: `shakeoff guard IFACE --interval 0 ARGS` in the
# server namespace (GUARD_INTERVAL: another --interval), in HOLDER's mount
# namespace when HOLDER is set (its bpffs outlives the guard, as the host's
# does); waits for the attach. GUARD_PID.
guard_up() {
	local log=$1 ifc=$2
	shift 2
	if [ -n "${HOLDER:-}" ]; then
		nsenter --mount="/proc/$HOLDER/ns/mnt" --net="/run/netns/$TOPO-srv" \
			"$SHAKEOFF" guard "$ifc" --interval "${GUARD_INTERVAL:-0}" "$@" >"$log" 2>&1 &
	else
		ip netns exec "$TOPO-srv" "$SHAKEOFF" guard "$ifc" --interval "${GUARD_INTERVAL:-0}" "$@" >"$log" 2>&1 &
	fi
	GUARD_PID=$!
	guard_attached "$GUARD_PID" "$log" && return 0
	set -- $?
	kill -0 "$GUARD_PID" 2>/dev/null || GUARD_PID=
	return "$1"
}

tcx_ids() { srv $PY "$HERE/tcx_query.py" "$1" | jq -c .prog_ids; }
link_of_prog() { bpftool link show -j | jq --argjson p "$1" '[.[] | select(.prog_id == $p)] | length'; }

# guard_map NAME: the id of guard's map NAME, found from the XDP program on srv0.
guard_map() {
	local m
	for m in $(bpftool prog show id "$(xdp_id srv0)" -j | jq '.map_ids[]'); do
		bpftool map show id "$m" -j | jq -r --arg n "$1" 'select(.name == $n) | .id'
	done
}

# slot_set S: guard_cfg.slot_override = S (0: the clock again). It is the last
# __u64 of struct guard_cfg, so the last 8 bytes of the value, little-endian.
slot_set() {
	local id val hex i
	id=$(guard_map guard_cfg)
	val=$(bpftool map lookup id "$id" key 0 0 0 0 -j | jq -r '.value[]' | sed 's/^0x//')
	hex=$(head -n -8 <<<"$val" | tr '\n' ' ')
	for i in 0 1 2 3 4 5 6 7; do hex+=$(printf '%02x ' $((($1 >> (8 * i)) & 255))); done
	# shellcheck disable=SC2086 # one word per byte
	bpftool map update id "$id" key 0 0 0 0 value hex $hex
}

# key_slots: the slots guard_keys holds keys for, one a line, sorted.
key_slots() {
	bpftool map dump id "$(guard_map guard_keys)" -j |
		jq -r '.[] | .formatted.value | select(.k0 != 0 or .k1 != 0) | .slot' | sort -n
}

steady_start() {	# ADDR DURATION: one long-lived echo connection in the background; STEADY_PID
	rm -f "$WORK/steady.ready"
	ip netns exec "$TOPO-cli" $PY "$HERE/steady_client.py" "$1" --port $ECHO_PORT \
		--duration "$2" --interval 0.1 --ready "$WORK/steady.ready" >"$WORK/steady.json" 2>&1 &
	STEADY_PID=$!
	local i
	for i in $(seq 50); do
		[ -s "$WORK/steady.ready" ] && return 0
		sleep 0.1
	done
	fail "the steady connection did not open: $(cat "$WORK/steady.json")"
}
steady_end() {	# the steady connection lasted and echoed every round
	wait "$STEADY_PID"
	local rc=$?
	echo "    steady connection: $(cat "$WORK/steady.json")"
	[ $rc -eq 0 ] || fail "the established connection broke: $(cat "$WORK/steady.json")"
}

new_conns() {	# ADDR N: N new echo connections must work
	local out
	out=$(cli $PY "$HERE/tcp_client.py" "$1" --port $ECHO_PORT --count "$2" --timeout 5 --deadline 30) ||
		fail "new connections: $out" || return
	want_eq "new connections ok" "$(jq -r .ok <<<"$out")" "$2"
}

pair_up() {
	ip link add cli1 index $PAIR_IDX netns "$TOPO-cli" type veth \
		peer name srv1 index $PAIR_IDX netns "$TOPO-srv" || return 1
	ip -n "$TOPO-cli" addr add $CLI1_IP4/24 dev cli1
	ip -n "$TOPO-srv" addr add $SRV1_IP4/24 dev srv1
	ip -n "$TOPO-cli" link set cli1 up
	ip -n "$TOPO-srv" link set srv1 up
	cli "$SHAKEOFF" lab attach cli1 pass >/dev/null
}

case_reset() {
	ns_reap
	srv "$SHAKEOFF" detach srv0 >/dev/null 2>&1
	ip -n "$TOPO-srv" link set srv0 up
	srv sysctl -qw net.ipv4.tcp_syncookies=1 net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 \
		net.ipv4.tcp_window_scaling=1
	bg_srv $PY "$HERE/echo_server.py" $ECHO_PORT >/dev/null 2>&1
	wait_listen $ECHO_PORT || fail "echo server did not start" || return
	[ "$(xdp_name srv0)" = none ] || fail "srv0 still has XDP program $(xdp_name srv0)"
}

# ---- cases ---------------------------------------------------------------

# kill_case PINNED: SIGKILL a guard; an established connection lives on, new
# ones work (the path they take is noted), the next guard takes over cleanly.
kill_case() {
	local pinned=$1 xid dead p0 s0 h0 n=5
	case_reset || return
	[ "$pinned" = 1 ] && { holder_up || return; }
	guard_up "$WORK/guard.log" srv0 --ports $ECHO_PORT || return
	xid=$(xdp_id srv0)
	steady_start $SRV_IP4 6 || return
	sleep 0.5
	dead=$GUARD_PID
	kill -KILL "$GUARD_PID"
	wait "$GUARD_PID" 2>/dev/null
	GUARD_PID=
	sleep 0.5
	p0=$(kstat srv Tcp PassiveOpens)
	if [ "$pinned" = 1 ]; then
		want_eq "XDP on srv0 after SIGKILL (pinned links)" "$(xdp_id srv0)" "$xid" || return
		s0=$(gstat xdp_tx_synack) h0=$(gstat tc_handoff)
		new_conns $SRV_IP4 $n || return
		want_eq "dead guard: xdp_tx_synack delta" $(($(gstat xdp_tx_synack) - s0)) $n || return
		want_eq "dead guard: tc_handoff delta" $(($(gstat tc_handoff) - h0)) $n || return
		note "SIGKILL, links pinned: guard's programs stay; new connections get its cookies" \
			"(keys written up to the next slot: 69-137 s) and are handed off by its TC program"
	else
		want_eq "XDP on srv0 after SIGKILL (no pins outlive ip netns exec)" "$(xdp_name srv0)" none ||
			return
		new_conns $SRV_IP4 $n || return
		note "SIGKILL, no pins (ip netns exec's private bpffs went with guard): the links" \
			"closed, XDP and TC are gone; new connections go to the kernel listener directly"
	fi
	want_eq "kernel PassiveOpens delta (dead guard)" $(($(kstat srv Tcp PassiveOpens) - p0)) $n ||
		return

	guard_up "$WORK/guard2.log" srv0 --ports $ECHO_PORT || return
	! grep -q "already runs" "$WORK/guard2.log" || fail "the next guard was refused as busy" || return
	if [ "$pinned" = 1 ]; then
		grep -q "removing what a stopped guard (pid $dead) left" "$WORK/guard2.log" ||
			fail "the next guard did not say it removed the dead one's leftovers: $(cat "$WORK/guard2.log")" ||
			return
		echo "    ok: $(grep -m1 'removing what' "$WORK/guard2.log")"
	fi
	[ "$(xdp_id srv0)" != "$xid" ] || fail "the dead guard's XDP program is still attached" || return
	new_conns $SRV_IP4 2 || return
	want_eq "next guard: tc_handoff" "$(gstat tc_handoff)" 2 || return
	steady_end
}
case_kill_unpinned() { kill_case 0; }
case_kill_pinned() { kill_case 1; }

# The link goes down and up under a running guard.
case_link_flap() {
	case_reset || return
	local h0 rc=0
	guard_up "$WORK/guard.log" srv0 --ports $ECHO_PORT || return
	steady_start $SRV_IP4 5 || return
	ip -n "$TOPO-srv" link set srv0 down
	sleep 1
	ip -n "$TOPO-srv" link set srv0 up
	sleep 1
	kill -0 "$GUARD_PID" || fail "guard exited on link down/up: $(cat "$WORK/guard.log")" || return
	h0=$(gstat tc_handoff)
	new_conns $SRV_IP4 5 || return
	want_eq "tc_handoff after up" $(($(gstat tc_handoff) - h0)) 5 || return
	steady_end || return
	echo "    guard log: $(tr '\n' '|' <"$WORK/guard.log")"
	# issue #8: "link down/up while guard runs -> a clear log line". FINDING: guard
	# polls only whether its XDP program is still attached, not the link state.
	grep -qiE 'srv0.*(down|carrier)' "$WORK/guard.log" ||
		fail "FINDING: guard logged nothing when srv0 went down (nor when it came up)" || rc=1
	grep -qiE 'srv0.*up' "$WORK/guard.log" ||
		fail "FINDING: guard logged nothing when srv0 came back up" || rc=1
	return $rc
}

# The interface is deleted under a running guard: a clear line, a clean exit, nothing left.
case_iface_deleted() {
	case_reset || return
	local xid tid i rc left
	pair_up || fail "second veth pair failed" || return
	holder_up || return
	guard_up "$WORK/guard.log" srv1 --ports $ECHO_PORT || return
	xid=$(ip -n "$TOPO-srv" -j link show dev srv1 | jq -r '.[0].xdp.prog.id // 0')
	tid=$(tcx_ids srv1 | jq '.[0] // 0')
	[ "$xid" != 0 ] && [ "$tid" != 0 ] || fail "guard's programs not found on srv1" || return
	in_holder test -d "$(pin_dir srv1)" || fail "guard pinned nothing" || return
	ip -n "$TOPO-srv" link del srv1
	for i in $(seq 50); do
		kill -0 "$GUARD_PID" 2>/dev/null || break
		sleep 0.1
	done
	kill -0 "$GUARD_PID" 2>/dev/null && fail "guard still runs 5 s after srv1 was deleted" && return
	wait "$GUARD_PID"
	rc=$?
	GUARD_PID=
	echo "    guard log: $(tr '\n' '|' <"$WORK/guard.log")"
	grep -q "srv1 is gone" "$WORK/guard.log" || fail "no line about srv1 going away" || return
	echo "    ok: $(grep -m1 'is gone' "$WORK/guard.log")"
	want_eq "guard exit status (as serve's: 1)" $rc 1 || return
	! in_holder test -e "$(pin_dir srv1)" || fail "pins left in $(pin_dir srv1)" || return
	want_eq "links of the XDP program" "$(link_of_prog "$xid")" 0 || return
	want_eq "links of the TC program" "$(link_of_prog "$tid")" 0 || return
	! prog_exists "$xid" || fail "XDP program $xid still loaded" || return
	! prog_exists "$tid" || fail "TC program $tid still loaded" || return
	left=$(bpftool prog show -j | jq -r --argjson x "$xid" --argjson t "$tid" \
		'[.[] | select(.id == $x or .id == $t)] | length')
	want_eq "guard's programs in bpftool prog" "$left" 0 || return
	note "srv1 deleted: '$(grep -m1 'is gone' "$WORK/guard.log")', exit $rc; programs $xid/$tid" \
		"unloaded, no links, pin dir gone"
}

# Handshakes across a cookie key rotation (see the header): accepted one slot
# later, refused two slots later, and real clients unaffected meanwhile.
case_key_rotation() {
	$PY -c 'import scapy' 2>/dev/null || { echo "scapy missing for $PY"; return 77; }
	case_reset || return
	local mac slots s out lp i sport=42001 res
	mac=$(srv_mac)
	guard_up "$WORK/guard.log" srv0 --ports $ECHO_PORT || return
	slots=$(key_slots | tr '\n' ' ')
	echo "    key slots: $slots"
	# the largest S with keys for S-1, S and S+1
	s=$(key_slots | awk '{ h[$1] = 1 } END { for (x in h) if (h[x-1] && h[x+1] && x > m) m = x; print m + 0 }')
	[ "$s" -gt 1 ] || fail "no three consecutive key slots: $slots" || return

	# handshake SLOT_SYN SLOT_ACK SPORT: SYN-ACK made in one slot, final ACK checked in another.
	handshake() {
		slot_set "$1" || return
		cli $PY "$HERE/forge.py" syn --iface cli0 --dst-mac "$mac" --src $CLI_IP4 --dst $SRV_IP4 \
			--dport $ECHO_PORT --sport "$3" --out "$WORK/syn.$3.json" >/dev/null || return
		jq -e .synack.seq "$WORK/syn.$3.json" >/dev/null || fail "no SYN-ACK in slot $1" || return
		slot_set "$2" || return
		cli $PY "$HERE/forge.py" ack --dst-mac "$mac" --in "$WORK/syn.$3.json" >/dev/null
	}
	estab() { srv ss -tnH state established "( sport = :$ECHO_PORT and dport = :$1 )" | grep -c .; }

	# Real clients across slot changes, forward only as a clock moves (a step
	# back refuses cookies in flight, and guard answers their ACKs with RSTs).
	slot_set $((s - 1)) || fail "cannot write guard_cfg" || return
	bg_cli $PY "$HERE/tcp_client.py" $SRV_IP4 --port $ECHO_PORT --count 150 --interval 0.01 \
		--timeout 5 --deadline 30 >"$WORK/load.json"
	lp=$!
	for i in $s $((s + 1)); do
		sleep 0.5
		slot_set "$i" || fail "cannot write guard_cfg" || return
	done
	wait $lp
	want_eq "clients across the slot changes ok/failed" \
		"$(jq -r '"\(.ok)/\(.failed)"' "$WORK/load.json")" 150/0 || return

	res=$(gstat xdp_pass_cookie_ack)
	handshake $((s - 1)) $s $sport || return
	want_eq "SYN in slot S-1, ACK in S: xdp_pass_cookie_ack delta" \
		$(($(gstat xdp_pass_cookie_ack) - res)) 1 || return
	want_eq "SYN in slot S-1, ACK in S: established" "$(estab $sport)" 1 || return
	handshake $s $((s + 1)) $((sport + 1)) || return
	want_eq "SYN in slot S, ACK in S+1: established" "$(estab $((sport + 1)))" 1 || return
	# refused as Linux refuses an ACK for no connection: a RST (within the budget)
	res=$(($(gstat xdp_tx_rst_stray) + $(gstat xdp_drop_bad_cookie)))
	handshake $((s - 1)) $((s + 1)) $((sport + 2)) || return
	want_eq "SYN in slot S-1, ACK in S+1: xdp_tx_rst_stray + xdp_drop_bad_cookie delta" \
		$(($(gstat xdp_tx_rst_stray) + $(gstat xdp_drop_bad_cookie) - res)) 1 || return
	want_eq "SYN in slot S-1, ACK in S+1: established" "$(estab $((sport + 2)))" 0 || return
	slot_set 0
	new_conns $SRV_IP4 3 || return
	note "key rotation (slot_override on the live guard, keys S-1..S+1 = $slots):" \
		"150/150 clients across 2 slot changes; SYN-ACK of slot S-1 accepted in S," \
		"of S in S+1; of S-1 in S+1 refused (RST, xdp_tx_rst_stray)"
}

# guard's memory across a flood: none gained for good.
case_rss_flood() {
	case_reset || return
	local fp r0 rmax=0 rend rafter i r
	rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$GUARD_PID/status"; }
	srv ip route add blackhole default
	GUARD_INTERVAL=1 guard_up "$WORK/guard.log" srv0 --ports $ECHO_PORT || return
	sleep 1
	r0=$(rss)
	ip netns exec "$TOPO-cli" timeout -s INT $((RSS_FLOOD_S + 10)) hping3 -q -S --rand-source \
		-p $ECHO_PORT -i u10 -c $((RSS_FLOOD_S * 20000)) $SRV_IP4 >"$WORK/hping.out" 2>&1 &
	fp=$!
	for i in $(seq "$RSS_FLOOD_S"); do
		sleep 1
		r=$(rss)
		[ "$r" -gt "$rmax" ] && rmax=$r
	done
	rend=$(rss)
	kill -INT $fp 2>/dev/null
	wait $fp
	new_conns $SRV_IP4 5 || return
	sleep 3
	rafter=$(rss)
	srv ip route del blackhole default
	note "guard VmRSS, ${RSS_FLOOD_S} s hping3 --rand-source flood ($(sed -nE \
		's/^([0-9]+) packets transmitted.*/\1/p' "$WORK/hping.out") SYNs, xdp_tx_synack" \
		"$(gstat xdp_tx_synack), xdp_drop_martian $(gstat xdp_drop_martian)): before $r0 kB, max $rmax kB, end $rend kB, 3 s after $rafter kB"
	want_range "VmRSS after the flood, kB (before + 256)" "$rafter" 0 $((r0 + 256)) || return
	want_range "VmRSS max during the flood, kB (before + 1024)" "$rmax" 0 $((r0 + 1024))
}

# ---- main ----------------------------------------------------------------

suite_up cleanup jq ss bpftool nsenter unshare hping3
SECONDS=0
run_case "fault: guard SIGKILLed, no pins: connections live, next guard takes over" case_kill_unpinned
run_case "fault: guard SIGKILLed, links pinned: its programs go on, next guard takes over" case_kill_pinned
run_case "fault: link down/up under guard" case_link_flap
run_case "fault: interface deleted under guard" case_iface_deleted
run_case "fault: cookie key rotation with handshakes in flight" case_key_rotation
run_case "fault: guard RSS across a ${RSS_FLOOD_S} s flood" case_rss_flood
echo "($SECONDS s)"
finish
