#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# guard's limits end to end: `shakeoff flood` sends spoofed SYNs from cli0,
# the SYN-ACKs guard sends back are counted on cli0 (lab count), and stay
# within --synack-rate-src (one flooding /24) and --synack-rate (a /16 of
# prefixes), while a client from an --allow prefix still connects; a --deny
# prefix gets no answer, an --allow inside it does; the flooding prefix is
# first in `stats --top`; the per-port counters move per port.
#
# Spoofed sources (10.77.0.0/16 ...) stay inside the test: guard answers
# from XDP back out srv0, and cli0's kernel drops what is not its own.
#   [VERBOSE=1] bash tests/integration/test_limits.sh [CASE-NAME-FILTER]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
TOPO=solim
FILTER=${1:-}
PORT=8007
CLOSED=8009
# A budget window is 2^30 ns; a flood of FLOOD_S seconds meets at most this many.
WIN_S=1.073741824
FLOOD_S=2
FLOOD_RATE=20000

# ---- helpers -------------------------------------------------------------

guard_up() {
	guard_start "$@" || fail "guard did not attach: $(cat "$1")"
}

# synacks: SYN-ACKs cli0 has received since lab count was attached.
synacks() { cli "$SHAKEOFF" lab read cli0 --json | jq -r '.counters.synack'; }

# windows SECONDS: how many budget windows a run of SECONDS can touch.
windows() { awk -v s="$1" -v w=$WIN_S 'BEGIN { n = int(s / w) + 2; print n }'; }

# flood SRC [ARGS...]: spoofed SYNs from SRC to the server's $PORT; FLOOD_JSON is its result.
flood() {
	local src=$1
	shift
	cli "$SHAKEOFF" flood cli0 --dst "${FLOOD_DST:-$SRV_IP4}" --dport "${FLOOD_PORT:-$PORT}" --src "$src" \
		--dst-mac "$(srv_mac)" --json "$@" >"$WORK/flood.json" ||
		fail "flood failed: $(cat "$WORK/flood.json")" || return
	FLOOD_SENT=$(($(jq -r '.sent - .tx_dropped' "$WORK/flood.json")))
}

# legit N: N echo connections from cli0's own address (10.99.0.1); prints "ok/failed".
legit() {
	cli $PY "$HERE/tcp_client.py" $SRV_IP4 --port $PORT --count "$1" --interval 0.02 \
		--timeout 3 --deadline 20 >"$WORK/legit.json"
	jq -r '"\(.ok)/\(.failed)"' "$WORK/legit.json"
}

case_reset() {
	ns_reap
	srv "$SHAKEOFF" detach srv0 >/dev/null 2>&1
	cli "$SHAKEOFF" lab detach cli0 >/dev/null 2>&1
	cli "$SHAKEOFF" lab attach cli0 count >/dev/null || fail "lab count on cli0" || return
	bg_srv $PY "$HERE/echo_server.py" $PORT --backlog 256 >/dev/null 2>&1
	wait_listen $PORT || fail "echo server did not start"
}

# ---- cases ---------------------------------------------------------------

# One /24 floods at 20 000 SYN/s: it gets at most --synack-rate-src per window.
case_budget_src() {
	local budget=200 s0 got max legit_ok top
	case_reset || return
	guard_up "$WORK/guard.log" --ports $PORT --interval 0 --synack-rate-src $budget \
		--allow 10.99.0.1/32 || return
	s0=$(synacks)
	flood 10.77.1.0/24 --duration $FLOOD_S --rate $FLOOD_RATE &
	sleep 1.3
	srv "$SHAKEOFF" stats srv0 --top 3 --json >"$WORK/top.json"
	legit_ok=$(legit 20)
	wait $! || return
	FLOOD_SENT=$(($(jq -r '.sent - .tx_dropped' "$WORK/flood.json")))
	sleep 0.3
	got=$(($(synacks) - s0 - 20))
	max=$((budget * $(windows $FLOOD_S)))
	echo "    flood sent $FLOOD_SENT, SYN-ACKs to the flood $got, budget $budget per window"
	want_eq "legit connections from the allowed address (ok/failed)" "$legit_ok" "20/0" || return
	want_range "SYN-ACKs to the flooding /24" "$got" 1 $max || return
	want_range "xdp_drop_synack_src" "$(gstat xdp_drop_synack_src)" \
		$((FLOOD_SENT - max)) "$FLOOD_SENT" || return
	top=$(jq -r '.top_sources[0].prefix' "$WORK/top.json")
	want_eq "first of stats --top (during the flood)" "$top" 10.77.1.0/24 || return
	jq -e '.top_sources[0].syn_rate > 1000 and .top_sources[0].synack_rate < 1000' \
		"$WORK/top.json" >/dev/null ||
		fail "top rates: $(jq -c .top_sources "$WORK/top.json")" || return
	note "one /24 at ${FLOOD_RATE}/s for ${FLOOD_S}s: $FLOOD_SENT sent, $got SYN-ACKs" \
		"(budget $budget/window, at most $max); top: $(jq -c '.top_sources[0]' "$WORK/top.json")"
}

# A /16 of spoofed sources: no prefix is over its budget, all of them together are.
case_budget_global() {
	local rate=600 s0 got max legit_ok ncpu
	case_reset || return
	ncpu=$(nproc --all)
	guard_up "$WORK/guard.log" --ports $PORT --interval 0 --synack-rate $rate \
		--synack-rate-src 0 --allow 10.99.0.0/24 || return
	s0=$(synacks)
	flood 10.78.0.0/16 --duration $FLOOD_S --rate $FLOOD_RATE &
	sleep 0.5
	legit_ok=$(legit 20)
	wait $! || return
	FLOOD_SENT=$(($(jq -r '.sent - .tx_dropped' "$WORK/flood.json")))
	sleep 0.3
	got=$(($(synacks) - s0 - 20))
	# per CPU: the rate over the CPUs, rounded up
	max=$((((rate + ncpu - 1) / ncpu) * ncpu * $(windows $FLOOD_S)))
	echo "    flood sent $FLOOD_SENT, SYN-ACKs to the flood $got"
	want_eq "legit connections from the allowed /24 (ok/failed)" "$legit_ok" "20/0" || return
	want_range "SYN-ACKs to the flood" "$got" 1 $max || return
	echo "    counters: $(srv "$SHAKEOFF" stats srv0 --json | jq -c '.counters | with_entries(select(.value > 0))')"
	want_range "xdp_drop_synack_rate" "$(gstat xdp_drop_synack_rate)" \
		$((FLOOD_SENT - max)) "$FLOOD_SENT" || return
	want_eq "xdp_drop_synack_src" "$(gstat xdp_drop_synack_src)" 0 || return
	note "a /16 at ${FLOOD_RATE}/s for ${FLOOD_S}s: $FLOOD_SENT sent, $got SYN-ACKs" \
		"(--synack-rate $rate, at most $max on $ncpu CPUs)"
}

# --deny a /16 with an --allow /24 inside: the /16 gets nothing, the /24 its SYN-ACKs.
case_deny_allow() {
	local s0 got
	case_reset || return
	guard_up "$WORK/guard.log" --ports $PORT --interval 0 --deny 10.79.0.0/16 \
		--allow 10.79.5.0/24 --deny fd79::/32 || return
	s0=$(synacks)
	flood 10.79.1.0/24 --count 2000 || return
	sleep 0.3
	want_eq "SYN-ACKs to the denied /16" $(($(synacks) - s0)) 0 || return
	want_range "xdp_drop_denied" "$(gstat xdp_drop_denied)" $((FLOOD_SENT - 5)) "$FLOOD_SENT" ||
		return
	s0=$(synacks)
	flood 10.79.5.0/24 --count 100 || return
	sleep 0.3
	got=$(($(synacks) - s0))
	want_range "SYN-ACKs to the allowed /24 inside it" "$got" $((FLOOD_SENT - 5)) "$FLOOD_SENT" ||
		return
	s0=$(synacks)
	FLOOD_DST=$SRV_IP6 flood fd79:0:0:1::/64 --count 500 || return
	sleep 0.3
	want_eq "SYN-ACKs to the denied IPv6 /32" $(($(synacks) - s0)) 0 || return
	want_eq "legit connections from an address on no list (ok/failed)" "$(legit 10)" "10/0" ||
		return
	note "--deny 10.79.0.0/16: 2000 SYNs, 0 SYN-ACKs; --allow 10.79.5.0/24 inside: $got/100;" \
		"--deny fd79::/32: 500 SYNs, 0 SYN-ACKs; xdp_drop_denied $(gstat xdp_drop_denied)"
}

# Per-port counters: connections to one port, SYNs to a port without a listener.
case_ports() {
	local j
	case_reset || return
	guard_up "$WORK/guard.log" --ports $PORT,$CLOSED --interval 0 || return
	want_eq "legit connections (ok/failed)" "$(legit 5)" "5/0" || return
	FLOOD_PORT=$CLOSED flood 10.80.0.0/24 --count 50 || return
	sleep 0.3
	srv "$SHAKEOFF" stats srv0 --ports --json >"$WORK/ports.json" || fail "stats --ports" || return
	j=$(jq -c '.ports' "$WORK/ports.json")
	echo "    ports: $j"
	want_eq "ports listed" "$(jq -r '[.ports[].port] | join(",")' "$WORK/ports.json")" \
		"$PORT,$CLOSED" || return
	want_eq "port $PORT handoff" "$(jq -r ".ports[0].handoff" "$WORK/ports.json")" 5 || return
	want_range "port $PORT synack" "$(jq -r ".ports[0].synack" "$WORK/ports.json")" 5 10 || return
	want_eq "port $PORT rst" "$(jq -r ".ports[0].rst" "$WORK/ports.json")" 0 || return
	want_range "port $CLOSED syn" "$(jq -r ".ports[1].syn" "$WORK/ports.json")" 45 50 || return
	want_eq "port $CLOSED rst = syn" "$(jq -r ".ports[1].rst" "$WORK/ports.json")" \
		"$(jq -r ".ports[1].syn" "$WORK/ports.json")" || return
	want_eq "port $CLOSED handoff" "$(jq -r ".ports[1].handoff" "$WORK/ports.json")" 0 || return
	srv "$SHAKEOFF" stats srv0 --ports --top 2 >"$WORK/ports.txt" || fail "stats text" || return
	grep -qE "^$PORT +[0-9]+" "$WORK/ports.txt" || fail "no line for port $PORT: $(cat "$WORK/ports.txt")" ||
		return
	note "port $PORT: $(jq -c '.ports[0]' "$WORK/ports.json"); port $CLOSED: $(jq -c '.ports[1]' "$WORK/ports.json")"
}

# shakeoff src from another `ip netns exec`: deny, allow inside it, del, list, refusals.
case_src() {
	local s0 got out i j a
	case_reset || return
	guard_up "$WORK/guard.log" --ports $PORT --interval 0 || return
	out=$(srv "$SHAKEOFF" src srv0 deny 10.79.0.0/16) || fail "src deny: $out" || return
	want_eq "src deny prints the rules" "$out" "deny 10.79.0.0/16" || return
	s0=$(synacks)
	flood 10.79.1.0/24 --count 300 || return
	sleep 0.3
	want_eq "SYN-ACKs to the denied /16" $(($(synacks) - s0)) 0 || return
	want_range "xdp_drop_denied" "$(gstat xdp_drop_denied)" $((FLOOD_SENT - 5)) "$FLOOD_SENT" ||
		return
	srv "$SHAKEOFF" src srv0 allow 10.79.5.0/24 >/dev/null || fail "src allow" || return
	s0=$(synacks)
	flood 10.79.5.0/24 --count 100 || return
	sleep 0.3
	got=$(($(synacks) - s0))
	want_range "SYN-ACKs to the allowed /24 inside it" "$got" $((FLOOD_SENT - 5)) "$FLOOD_SENT" ||
		return
	want_eq "src list" "$(srv "$SHAKEOFF" src srv0 list | tr '\n' ';')" \
		"deny 10.79.0.0/16;allow 10.79.5.0/24;" || return
	srv "$SHAKEOFF" src srv0 del 10.79.0.0/16 >/dev/null || fail "src del" || return
	want_eq "src list after del" "$(srv "$SHAKEOFF" src srv0 list)" "allow 10.79.5.0/24" || return
	s0=$(synacks)
	flood 10.79.1.0/24 --count 100 || return
	sleep 0.3
	got=$(($(synacks) - s0))
	want_range "SYN-ACKs to the /16 after del" "$got" $((FLOOD_SENT - 5)) "$FLOOD_SENT" || return
	# more rules than one answer line holds: the client pages through them
	for i in 0 1 2; do
		a=""
		for j in $(seq 1 50); do a="$a 10.78.$i.$j"; done
		# shellcheck disable=SC2086
		srv "$SHAKEOFF" src srv0 deny $a >/dev/null || fail "src deny 50 addresses" || return
	done
	want_eq "rules listed" "$(srv "$SHAKEOFF" src srv0 list | wc -l)" 151 || return
	want_eq "last rule listed" "$(srv "$SHAKEOFF" src srv0 list | tail -1)" "deny 10.78.2.50/32" ||
		return
	srv "$SHAKEOFF" src srv0 deny 10.0.0.0/33 >/dev/null 2>&1
	want_eq "bad CIDR: exit" "$?" 2 || return
	out=$(cli "$SHAKEOFF" src cli0 list 2>&1)
	want_eq "no guard: exit" "$?" 1 || return
	grep -q "no guard on cli0" <<<"$out" || fail "no guard message: $out" || return
	out=$(srv setpriv --reuid=65534 --regid=65534 --clear-groups "$SHAKEOFF" src srv0 list 2>&1)
	want_eq "src as nobody: exit" "$?" 1 || return
	grep -q "CAP_NET_ADMIN" <<<"$out" || fail "message as nobody: $out" || return
	note "src deny/allow/del live: denied /16 0 SYN-ACKs, allowed /24 $got/100 after del;" \
		"151 rules listed in pages"
}

case_refusals() {
	refuse "--deny not a prefix" "prefix" srv "$SHAKEOFF" guard srv0 --ports 80 --deny 10.0.0.0/33 ||
		return
	refuse "--allow not an address" "prefix" srv "$SHAKEOFF" guard srv0 --ports 80 --allow nope ||
		return
	refuse "--synack-rate negative" "synack-rate" srv "$SHAKEOFF" guard srv0 --ports 80 \
		--synack-rate -1 || return
	refuse "stats --top 0" "top" srv "$SHAKEOFF" stats srv0 --top 0 || return
}

# ---- main ----------------------------------------------------------------

suite_up cleanup jq setpriv
srv sysctl -qw net.ipv4.tcp_syncookies=1

run_case "limits: --synack-rate-src caps one flooding /24, top sources name it" case_budget_src
run_case "limits: --synack-rate caps a flood from many prefixes, --allow exempts" case_budget_global
run_case "limits: --deny gets no answer, a longer --allow inside it does" case_deny_allow
run_case "limits: shakeoff src deny/allow/del/list on a running guard" case_src
run_case "limits: per-port counters" case_ports
run_case "limits: refusals" case_refusals
finish
