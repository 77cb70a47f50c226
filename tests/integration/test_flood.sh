#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# shakeoff flood on a veth pair, measured by the receiver (srv0's lab count
# program), never by the sender's own count: --rate is held (what arrives
# stays within rate x duration, the run lasts its duration), SYN-ACK and mixed
# floods arrive as such in both families and per kind as many as the summary
# line says, ramp and pulse stay within their schedule (and a pulse has quiet
# gaps), --seed repeats a run packet for packet (tcpdump on srv0) and a
# --src-pool of N sends from N addresses; bad combinations are usage errors.
#   [VERBOSE=1] bash tests/integration/test_flood.sh [CASE-NAME-FILTER]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
TOPO=soflood
FILTER=${1:-}
PORT=8100
KINDS="syn ack rst fin synack"

# ---- helpers -------------------------------------------------------------

# count_up [ARGS...]: lab count on srv0, afresh (its counters start at 0).
count_up() {
	srv "$SHAKEOFF" lab detach srv0 >/dev/null 2>&1
	srv "$SHAKEOFF" lab attach srv0 count "$@" >/dev/null || fail "lab count on srv0"
}

# counters: srv0's lab count counters as one JSON object.
counters() { srv "$SHAKEOFF" lab read srv0 --json | jq -c '.counters'; }

# flood ARGS...: shakeoff flood from cli0 to srv0's $PORT; its summary line in $WORK/flood.json.
flood() {
	cli "$SHAKEOFF" flood cli0 --dport $PORT --dst-mac "$(srv_mac)" --json "$@" \
		>"$WORK/flood.json" 2>"$WORK/flood.err" ||
		fail "flood $*: $(cat "$WORK/flood.json" "$WORK/flood.err")" || return
	[ "$(jq -r '.event' "$WORK/flood.json")" = summary ] ||
		fail "no summary line: $(cat "$WORK/flood.json")" || return
}
fj() { jq -r "$1" "$WORK/flood.json"; }

# got BEFORE AFTER KIND: how many KIND segments srv0 counted between two counters().
got() { jq -n --argjson a "$1" --argjson b "$2" -r --arg k "$3" '$b[$k] - $a[$k]'; }

# ---- cases -----------------------------------------------------------------

# 20 000 pps for 2 s: no more than 40 000 arrive, all that was sent arrives
# (less what the veth dropped), and the summary agrees with itself.
case_rate() {
	local c0 c1 n sent dropped secs pps
	count_up --drop-replies || return
	c0=$(counters)
	flood --dst $SRV_IP4 --rate 20000 --duration 2 || return
	c1=$(counters)
	n=$(got "$c0" "$c1" syn)
	sent=$(fj .sent) dropped=$(fj .tx_dropped) secs=$(fj .duration_s) pps=$(fj .achieved_pps)
	note "flood --rate 20000 --duration 2: sent $sent in $secs s ($pps pps); srv0 counted $n SYNs ($(awk -v n=$n -v s=$secs 'BEGIN { printf "%.0f", n / s }') pps), tx_dropped $dropped"
	want_eq "SYNs counted by srv0 = sent - tx_dropped" "$n" $((sent - dropped)) || return
	want_range "SYNs counted by srv0 (at most rate x duration)" "$n" 1 40000 || return
	want_eq "summary kinds.syn = sent" "$(fj .kinds.syn)" "$sent" || return
	awk -v p="$pps" 'BEGIN { exit !(p <= 20000) }' || fail "achieved_pps $pps > 20000" || return
	awk -v s="$secs" 'BEGIN { exit !(s >= 2 && s < 3) }' || fail "duration_s $secs, want 2..3"
}

# synack_one FAMILY DST: 2000 SYN-ACKs arrive as SYN-ACKs.
synack_one() {
	local c0 c1 k n sent dropped
	c0=$(counters)
	flood --dst "$2" --kind synack --count 2000 --rate 50000 || return
	c1=$(counters)
	sent=$(fj .sent) dropped=$(fj .tx_dropped)
	want_eq "$1: sent" "$sent" 2000 || return
	want_eq "$1: SYN-ACKs counted by srv0" "$(got "$c0" "$c1" synack)" $((sent - dropped)) || return
	for k in syn ack rst fin tcp_other; do
		want_eq "$1: $k counted by srv0" "$(got "$c0" "$c1" $k)" 0 || return
	done
}
case_synack() {
	count_up --drop-replies || return
	synack_one IPv4 $SRV_IP4 && synack_one IPv6 $SRV_IP6
}

# mixed_one FAMILY DST COUNT: a mix's kinds arrive, each as many as the summary
# says, within 3 points of its weight.
mixed_one() {
	local c0 c1 k n w sent dropped total=0 line=""
	c0=$(counters)
	flood --dst "$2" --mix syn=50,ack=20,rst=10,fin=10,synack=10 --count "$3" --rate 50000 || return
	c1=$(counters)
	sent=$(fj .sent) dropped=$(fj .tx_dropped)
	want_eq "$1: sent" "$sent" "$3" || return
	want_eq "$1: kind" "$(fj .kind)" mixed || return
	for k in $KINDS; do
		n=$(got "$c0" "$c1" $k)
		total=$((total + n))
		line+=" $k $n"
		# exact unless the veth dropped some
		[ "$dropped" -eq 0 ] && { want_eq "$1: $k counted by srv0 = summary kinds.$k" "$n" "$(fj .kinds.$k)" || return; }
		w=$(fj ".mix.$k")
		awk -v n=$n -v s=$sent -v w=$w 'BEGIN { d = 100 * n / s - w; exit !(d <= 3 && d >= -3) }' ||
			fail "$1: $k is $n of $sent, want $w % +- 3" || return
	done
	note "$1 --mix syn=50,ack=20,rst=10,fin=10,synack=10, $3 sent: srv0 counted$line"
	want_eq "$1: all kinds counted by srv0 = sent - tx_dropped" "$total" $((sent - dropped))
}
case_mixed() {
	count_up --drop-replies || return
	mixed_one IPv4 $SRV_IP4 10000 && mixed_one IPv6 $SRV_IP6 5000
}

# A ramp to 10 000 pps over 2 s sends at most 10 000 (the triangle), a pulse of
# 200 on / 300 off at 10 000 pps over 2 s at most 8000; srv0 counts them, and
# a sampler sees the pulse's quiet periods.
case_pattern() {
	local c0 c1 n sent secs i prev cur quiet=0 busy=0
	count_up --drop-replies || return
	c0=$(counters)
	flood --dst $SRV_IP4 --pattern ramp --rate 10000 --duration 2 || return
	c1=$(counters)
	n=$(got "$c0" "$c1" syn) sent=$(fj .sent) secs=$(fj .duration_s)
	note "ramp 0 -> 10000 pps over 2 s: sent $sent in $secs s, srv0 counted $n"
	want_eq "ramp: counted by srv0 = sent - tx_dropped" "$n" $(($(fj '.sent - .tx_dropped'))) || return
	want_range "ramp: counted by srv0 (at most 10000 x 2 / 2)" "$n" 1 10000 || return

	c0=$(counters)
	bg_cli "$SHAKEOFF" flood cli0 --dst $SRV_IP4 --dport $PORT --dst-mac "$(srv_mac)" --json --rate 10000 \
		--pulse 200:300 --duration 2 >"$WORK/flood.json" 2>&1
	local fpid=$!
	# srv0's SYN counter every 100 ms: some steps see nothing (off), some see SYNs
	prev=$(counters | jq .syn)
	for i in $(seq 18); do
		sleep 0.1
		cur=$(counters | jq .syn)
		if [ "$cur" -eq "$prev" ]; then quiet=$((quiet + 1)); else busy=$((busy + 1)); fi
		prev=$cur
	done
	wait $fpid || fail "pulse flood failed: $(cat "$WORK/flood.json")" || return
	c1=$(counters)
	n=$(got "$c0" "$c1" syn) sent=$(fj .sent)
	note "pulse 200:300 ms at 10000 pps over 2 s: sent $sent, srv0 counted $n; of 18 samples 100 ms apart $quiet quiet, $busy busy"
	want_eq "pulse: pattern" "$(fj .pattern)" pulse || return
	want_eq "pulse: counted by srv0 = sent - tx_dropped" "$n" $(($(fj '.sent - .tx_dropped'))) || return
	want_range "pulse: counted by srv0 (at most 4 x 200 ms x 10000)" "$n" 1 8000 || return
	want_range "pulse: quiet samples" "$quiet" 3 18 || return
	want_range "pulse: busy samples" "$busy" 2 18
}

# capture FILE ARGS...: tcpdump on srv0 catches the 400 segments of a flood with ARGS.
capture() {
	local file=$1 pid i
	shift
	ip netns exec "$TOPO-srv" timeout 20 tcpdump -i srv0 -nn -U -c 400 -w "$file" \
		"tcp dst port $PORT" 2>"$WORK/tcpdump.err" &
	pid=$!
	for i in $(seq 100); do
		grep -q "listening on" "$WORK/tcpdump.err" && break
		sleep 0.05
	done
	flood --dst $SRV_IP4 --count 400 --rate 20000 "$@" || return
	wait $pid || fail "tcpdump: $(cat "$WORK/tcpdump.err")" || return
	tcpdump -r "$file" -nn -t -x 2>/dev/null >"$file.txt"
}

# The same seed twice: the same 400 frames, byte for byte, as srv0 received
# them; another seed: other frames. --src-pool 20: 20 source addresses.
case_seed() {
	local args="--mix syn=1,ack=1,rst=1,fin=1,synack=1 --src 10.123.0.0/16 --src-pool 20"
	# frames must reach the kernel (and tcpdump): count without --drop-replies
	count_up || return
	capture "$WORK/a.pcap" $args --seed 7 || return
	capture "$WORK/b.pcap" $args --seed 7 || return
	capture "$WORK/c.pcap" $args --seed 8 || return
	want_eq "seed 7: frames captured" "$(grep -c '^IP ' "$WORK/a.pcap.txt")" 400 || return
	cmp -s "$WORK/a.pcap.txt" "$WORK/b.pcap.txt" ||
		fail "seed 7 twice, other frames: $(diff "$WORK/a.pcap.txt" "$WORK/b.pcap.txt" | head -5)" ||
		return
	echo "    ok: seed 7 twice: the same 400 frames"
	cmp -s "$WORK/a.pcap.txt" "$WORK/c.pcap.txt" && fail "seeds 7 and 8: the same frames" && return 1
	want_eq "seed 7: distinct sources" \
		"$(awk '/^IP / { sub(/\.[0-9]+$/, "", $2); print $2 }' "$WORK/a.pcap.txt" | sort -u | wc -l)" 20
}

case_refusals() {
	local f=(cli "$SHAKEOFF" flood cli0 --dst $SRV_IP4 --dport $PORT --dst-mac 02:00:00:00:00:01)
	refuse "--kind mixed without --mix" "mix" "${f[@]}" --kind mixed || return
	refuse "--mix with --kind syn" "mix" "${f[@]}" --kind syn --mix syn=1 || return
	refuse "--mix with an unknown kind" "mix" "${f[@]}" --mix syn=1,psh=1 || return
	refuse "--pattern ramp without --rate" "rate" "${f[@]}" --pattern ramp || return
	refuse "--pulse without ON:OFF" "pulse" "${f[@]}" --rate 10 --pulse 100 || return
	refuse "--ramp with --pattern pulse" "ramp" "${f[@]}" --rate 10 --pattern pulse --ramp 1 || return
	refuse "--src-pool larger than --src" "src-pool" "${f[@]}" --src 10.0.0.0/30 --src-pool 5 || return
	refuse "--seed not a number" "seed" "${f[@]}" --seed x
}

# ---- main ----------------------------------------------------------------

suite_up cleanup jq tcpdump

run_case "flood: --rate 20000 holds, counted by the receiver" case_rate
run_case "flood: --kind synack arrives as SYN-ACKs, IPv4 and IPv6" case_synack
run_case "flood: --kind mixed arrives in its ratio, per kind as reported, IPv4 and IPv6" case_mixed
run_case "flood: --pattern ramp and pulse stay within their schedule" case_pattern
run_case "flood: --seed repeats a run packet for packet, --src-pool 20 sends from 20 sources" case_seed
run_case "flood: refusals" case_refusals
finish
