#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Attacks, end to end, with a flood tool shakeoff did not write (hping3): SYN,
# ACK, RST, FIN, SYN with payload, IP fragments and random sources against
# guard in front of nginx and against `shakeoff serve --app echo`, while 200
# legitimate connections run; then RFC 5961 blind injection (scapy) into a
# live connection of serve.
#
# Each flood case: the flood starts, 200 real clients connect from cli0's own
# address meanwhile (the flood must still be running when they are done), and
# afterwards all 200 completed, the server still serves, and the counter of
# the flood's named reason grew by what hping3 says it sent (exactly, less
# what the veth dropped) — no other reason absorbed the flood, and the flood
# opened no connection.
#
# Spoofed sources stay inside the test: 10.99.0.77 is in the topology's
# subnet and owned by nobody, so replies to it end at cli0 (not its address,
# no forwarding in the namespace); with --rand-source the replies also end at
# cli0, and the server namespace has a blackhole default route meanwhile, so
# its kernel could not send anything further either.
#   [VERBOSE=1] [FLOOD_N=N] bash tests/integration/test_attacks.sh [CASE-NAME-FILTER]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
. "$HERE/serve_lib.sh"
. "$ROOT/scripts/lib/nginx.sh"
TOPO=soatk
FILTER=${1:-}
HTTP_PORT=80
ECHO_PORT=7
PORT=$ECHO_PORT # serve_lib.sh
SPOOF4=10.99.0.77
LEGIT=200
# The flood's bounds; it is stopped (SIGINT, hping3 then prints its count) once the
# legit clients are done, a few seconds at about 10 000 packets/s with -i u20.
FLOOD_N=${FLOOD_N:-300000}
FLOOD_S=30

# ---- helpers -------------------------------------------------------------

gstat_all() { srv "$SHAKEOFF" stats srv0 --json | jq -c .counters; }

# delta NAME...: the sum of the named counters' growth from $WORK/c0.json to $WORK/c1.json.
delta() {
	jq -n --slurpfile a "$WORK/c1.json" --slurpfile b "$WORK/c0.json" \
		'[$ARGS.positional[] as $k | $a[0][$k] - $b[0][$k]] | add' --args "$@"
}

# hping_args KIND: hping3's flags for a flood kind.
hping_args() {
	case $1 in
	syn) echo "-S -a $SPOOF4" ;;
	ack) echo "-A -a $SPOOF4" ;;
	rst) echo "-R -a $SPOOF4" ;;
	fin) echo "-F -a $SPOOF4" ;;
	syndata) echo "-S -d 100 -a $SPOOF4" ;;
	frag) echo "-S -f -a $SPOOF4" ;;
	rand) echo "-S --rand-source" ;;
	esac
}

# flood_start KIND PORT: hping3 in the background, bounded in count and time; FLOOD_PID
# is timeout(1)'s, which hands a SIGINT on to hping3.
flood_start() {
	local args
	args=$(hping_args "$1")
	FLOOD_TX0=$(cli_txpkts) FLOOD_KIND=$1
	# shellcheck disable=SC2086 # the flags are words
	ip netns exec "$TOPO-cli" timeout -s INT $FLOOD_S hping3 -q $args -p "$2" -c $FLOOD_N -i u20 $SRV_IP4 \
		>"$WORK/hping.out" 2>&1 &
	FLOOD_PID=$!
	sleep 0.5
	kill -0 $FLOOD_PID 2>/dev/null || fail "hping3 ended at once: $(cat "$WORK/hping.out")"
}

# flood_end: the legit clients are done; the flood must still be running
# (else they did not meet it), then it is stopped. FLOOD_SENT is set.
flood_end() {
	local overlap=1
	kill -0 $FLOOD_PID 2>/dev/null || overlap=0
	kill -INT $FLOOD_PID 2>/dev/null
	wait $FLOOD_PID
	FLOOD_SENT=$(sed -nE 's/^([0-9]+) packets transmitted.*/\1/p' "$WORK/hping.out")
	if ! [[ $FLOOD_SENT =~ ^[0-9]+$ ]] && grep -q 'corrupted\|malloc' "$WORK/hping.out"; then
		# hping3 (Debian's 3.a2.ds2) at times aborts in its SIGINT handler, a heap
		# check in the stats it prints there: what it sent is then what left cli0
		# (the legit clients' few hundred frames fall within slack())
		FLOOD_SENT=$(($(cli_txpkts) - FLOOD_TX0))
		[ "$FLOOD_KIND" = frag ] && FLOOD_SENT=$((FLOOD_SENT / 2)) # frames(): 2 a SYN
		echo "    hping3 aborted at SIGINT ($(tail -n 1 "$WORK/hping.out")): cli0 sent $FLOOD_SENT"
	fi
	[[ $FLOOD_SENT =~ ^[0-9]+$ ]] || fail "hping3 printed no count: $(cat "$WORK/hping.out")" || return
	[ $overlap = 1 ] ||
		fail "the flood ended before the legit clients did: no overlap: $(cat "$WORK/hping.out")" ||
		return
	echo "    flood: $FLOOD_SENT packets sent by hping3"
}

# frames KIND SENT: frames the flood put on the wire (hping3 -f: 2 fragments per SYN).
frames() { [ "$1" = frag ] && echo $(($2 * 2)) || echo "$2"; }
# slack N: hping3 counts "transmitted" apart from sending, and a SIGINT lands between
# the two: on a loaded machine its figure was seen up to 5% below what the
# counters got (never above them); late segments of the legit connections can meet
# the same reason; on a loaded machine (CI) it fell more than 10% short. The upper
# bound allows 50%: it is there to catch double counting.
slack() { echo $(($1 / 2 + 20)); }

cli_txdrop() { ip -n "$TOPO-cli" -s -j link show dev cli0 | jq -r '.[0].stats64.tx.dropped'; }
cli_txpkts() { ip -n "$TOPO-cli" -s -j link show dev cli0 | jq -r '.[0].stats64.tx.packets'; }

nginx_up_here() {
	nginx_up "$WORK/nginx" $SRV_IP4 $HTTP_PORT >"$WORK/nginx.err" ||
		fail "nginx did not start: $(cat "$WORK/nginx.err")"
}

# curl_legit N: N requests from cli0's own address, 200/s, one curl with a URL
# glob; "Connection: close" makes each a connection of its own. Prints how many
# were answered 200; each other one goes to the case's log (stderr) with its
# local port, time and curl's error, so a lost request says how it was lost.
curl_legit() {
	cli curl -s --max-time 20 --rate 200/s -H 'Connection: close' -o /dev/null \
		-w '%{http_code} %{num_connects} port %{local_port} %{time_total} s %{errormsg}\n' \
		"http://$SRV_IP4:$HTTP_PORT/?[1-$1]" >"$WORK/curl.out"
	grep -v '^200 1 ' "$WORK/curl.out" | sed 's/^/    curl: /' >&2
	grep -c '^200 1 ' "$WORK/curl.out"
}

# serve_counters: the counters of a stats line serve prints after this call.
serve_counters() { sstat_fresh .counters; }

case_reset() {
	ns_reap
	srv "$SHAKEOFF" detach srv0 >/dev/null 2>&1
	srv ip route del blackhole default 2>/dev/null
	srv sysctl -qw net.ipv4.tcp_syncookies=1 net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 \
		net.ipv4.tcp_window_scaling=1
	[ "$(xdp_name srv0)" = none ] || fail "srv0 still has XDP program $(xdp_name srv0)"
}

# ---- guard in front of nginx ------------------------------------------------

# The named reason(s) each flood must land in, guard's side.
guard_reason() {
	case $1 in
	syn | syndata) echo xdp_tx_synack ;;
	ack) echo "xdp_tx_rst_stray xdp_drop_bad_cookie" ;; # RSTs within the budget, the rest dropped
	rst | fin) echo xdp_drop_no_conn ;;
	frag) echo xdp_drop_fragment ;;
	rand) echo "xdp_tx_synack xdp_drop_martian" ;;
	esac
}

guard_flood() {
	local kind=$1 ok reason expect legit_syn r0 rt0 td0 n_log td got po0 conn
	case_reset || return
	[ "$kind" = rand ] && srv ip route add blackhole default
	nginx_up_here || return
	# the flood's source shares the legit clients' /24: no per-prefix budget here
	# (test_limits.sh tests it); every SYN is answered, as the counts below expect
	guard_up "$WORK/guard.log" --ports $HTTP_PORT --interval 0 --synack-rate-src 0 || return
	r0=$(kstat srv TcpExt SyncookiesSent) rt0=$(kstat cli TcpExt TCPSynRetrans) td0=$(cli_txdrop)
	po0=$(kstat srv Tcp PassiveOpens)
	gstat_all >"$WORK/c0.json"
	flood_start "$kind" $HTTP_PORT || return
	ok=$(curl_legit $LEGIT)
	flood_end || return
	gstat_all >"$WORK/c1.json"
	td=$(($(cli_txdrop) - td0))

	want_eq "legit curl requests answered" "$ok" $LEGIT || return
	n_log=$(grep -c '" 200 ' "$WORK/nginx/access.log")
	want_eq "requests in nginx's access log" "$n_log" $LEGIT || return
	# Each legit connection was a handoff, or (a client port reused over the
	# server's TIME_WAIT from an earlier case) a SYN left to the kernel; the flood
	# made none. More than one each would be a second socket for one handshake.
	conn=$(delta xdp_pass_syn_conn)
	want_eq "tc_handoff + xdp_pass_syn_conn" $(($(delta tc_handoff) + conn)) $LEGIT ||
		fail "double handoff? xdp_pass_cookie_ack $(delta xdp_pass_cookie_ack), server PassiveOpens delta" \
			"$(($(kstat srv Tcp PassiveOpens) - po0)), client TCPSynRetrans delta" \
			"$(($(kstat cli TcpExt TCPSynRetrans) - rt0)), counters: $(jq -nc \
			--slurpfile a "$WORK/c1.json" --slurpfile b "$WORK/c0.json" \
			'$a[0] | with_entries(.value -= $b[0][.key]) | with_entries(select(.value != 0))')" ||
		return
	want_eq "tc_kfunc_error + tc_bad_cookie + tc_no_listener" \
		"$(delta tc_kfunc_error tc_bad_cookie tc_no_listener)" 0 || return
	want_eq "kernel SyncookiesSent delta" $(($(kstat srv TcpExt SyncookiesSent) - r0)) 0 || return
	reason=$(guard_reason "$kind")
	expect=$(frames "$kind" "$FLOOD_SENT")
	# SYN reasons also count the legit SYNs (and their retransmissions).
	legit_syn=0
	[[ $reason == *xdp_tx_synack* ]] && legit_syn=$((LEGIT - conn))
	got=$(delta $reason)
	echo "    client TCPSynRetrans delta $(($(kstat cli TcpExt TCPSynRetrans) - rt0))," \
		"server PassiveOpens delta $(($(kstat srv Tcp PassiveOpens) - po0))"
	# shellcheck disable=SC2086
	want_range "$reason" "$got" $((expect + legit_syn - td - 10)) \
		$((expect + $(slack "$expect") + legit_syn + $(kstat cli TcpExt TCPSynRetrans) - rt0)) || return
	if [ "$legit_syn" = 0 ]; then
		# the legit SYNs but those over a TIME_WAIT, which went to the kernel
		want_range "xdp_tx_synack (the legit SYNs only)" "$(delta xdp_tx_synack)" \
			$((LEGIT - conn)) $((LEGIT - conn + $(kstat cli TcpExt TCPSynRetrans) - rt0)) || return
	fi
	[ "$(curl_legit 1)" = 1 ] || fail "nginx does not answer after the flood" || return
	kill -0 "$GUARD_PID" || fail "guard died" || return
	note "guard+nginx, hping3 $(hping_args "$kind") x $FLOOD_SENT: $LEGIT/$LEGIT legit ok;" \
		"$reason +$got; tc_handoff +$LEGIT; cli0 tx_dropped +$td"
}

# guard_up LOG ARGS: as test_guard.sh's, in the server namespace, waiting for the attach.
guard_up() {
	guard_start "$@" || fail "guard did not attach: $(cat "$1")"
}

case_guard_syn() { guard_flood syn; }
case_guard_ack() { guard_flood ack; }
case_guard_rst() { guard_flood rst; }
case_guard_fin() { guard_flood fin; }
case_guard_syndata() { guard_flood syndata; }
case_guard_frag() { guard_flood frag; }
case_guard_rand() { guard_flood rand; }

# ---- serve --app echo -------------------------------------------------------

serve_reason() {
	case $1 in
	syn | syndata) echo "tx_synack tx_synack_cookie tx_synack_full tx_synack_again" ;;
	# an ACK for no flow: RST as a closed port, 1000/s per CPU at most, the rest dropped
	ack) echo "tx_rst_no_flow drop_no_flow_limited" ;;
	rst | fin) echo drop_no_flow ;;
	frag) echo drop_fragment ;;
	rand) echo "tx_synack tx_synack_cookie tx_synack_full tx_synack_again drop_martian" ;;
	esac
}

serve_flood() {
	local kind=$1 reason expect legit_syn got rt0 td0 td out
	case_reset || return
	[ "$kind" = rand ] && srv ip route add blackhole default
	serve_up "$WORK/serve.log" --app echo || return
	rt0=$(kstat cli TcpExt TCPSynRetrans) td0=$(cli_txdrop)
	serve_counters >"$WORK/c0.json"
	flood_start "$kind" $ECHO_PORT || return
	cli $PY "$HERE/tcp_client.py" $SRV_IP4 --port $ECHO_PORT --count $LEGIT --bytes 1000 \
		--interval 0.002 --timeout 5 --deadline 25 >"$WORK/legit.json"
	flood_end || return
	serve_counters >"$WORK/c1.json"
	td=$(($(cli_txdrop) - td0))

	want_eq "legit echo connections ok/failed" "$(jq -r '"\(.ok)/\(.failed)"' "$WORK/legit.json")" \
		"$LEGIT/0" || return
	reason=$(serve_reason "$kind")
	expect=$(frames "$kind" "$FLOOD_SENT")
	legit_syn=0
	[[ $reason == *tx_synack* ]] && legit_syn=$LEGIT
	got=$(delta $reason)
	# shellcheck disable=SC2086
	want_range "$reason" "$got" $((expect + legit_syn - td - 10)) \
		$((expect + $(slack "$expect") + legit_syn + $(kstat cli TcpExt TCPSynRetrans) - rt0)) || return
	if [ "$legit_syn" = 0 ]; then
		want_range "SYN-ACKs (the legit SYNs only)" \
			"$(delta tx_synack tx_synack_cookie tx_synack_full tx_synack_again)" $LEGIT \
			$((LEGIT + $(kstat cli TcpExt TCPSynRetrans) - rt0)) || return
	fi
	out=$(cli $PY "$HERE/tcp_client.py" $SRV_IP4 --port $ECHO_PORT --bytes 10000) ||
		fail "serve does not echo after the flood: $out" || return
	kill -0 "$SERVE_PID" || fail "serve died: $(tail -n 3 "$SERVE_LOG")" || return
	note "serve echo, hping3 $(hping_args "$kind") x $FLOOD_SENT: $LEGIT/$LEGIT legit ok;" \
		"$(echo $reason | tr ' ' '+') +$got; cli0 tx_dropped +$td"
}

case_serve_syn() { serve_flood syn; }
case_serve_ack() { serve_flood ack; }
case_serve_rst() { serve_flood rst; }
case_serve_fin() { serve_flood fin; }
case_serve_syndata() { serve_flood syndata; }
case_serve_frag() { serve_flood frag; }
case_serve_rand() { serve_flood rand; }

# ---- RFC 5961 against serve ----------------------------------------------

case_serve_rfc5961() {
	$PY -c 'import scapy' 2>/dev/null || { echo "scapy missing for $PY"; return 77; }
	case_reset || return
	local out s
	serve_up "$WORK/serve.log" --app echo || return
	serve_counters >"$WORK/c0.json"
	out=$(cli timeout 60 $PY "$HERE/blind_inject.py" --iface cli0 --dst-mac "$(srv_mac)" \
		--dst $SRV_IP4 --port $ECHO_PORT)
	serve_counters >"$WORK/c1.json"
	jq -c '.steps[] | {name, ok, sent, replies, echo_ok, echo_error}' <<<"$out" | sed 's/^/    /'
	for s in first_echo rst_in_window rst_below rst_beyond syn data_ack_new data_ack_old rst_exact; do
		want_eq "step $s behaved" "$(jq -r --arg s $s '.steps[] | select(.name == $s) | .ok' <<<"$out")" \
			true || return
	done
	want_eq "tx_challenge_rst" "$(delta tx_challenge_rst)" 1 || return
	want_eq "drop_rst_outside" "$(delta drop_rst_outside)" 2 || return
	want_eq "tx_challenge_syn" "$(delta tx_challenge_syn)" 1 || return
	want_eq "drop_rst_close (the control)" "$(delta drop_rst_close)" 1 || return
	want_eq "drop_rate_limited" "$(delta drop_rate_limited)" 0 || return
	note "RFC 5961 on serve: in-window RST -> challenge ACK, RST below/beyond the window ->" \
		"nothing, SYN -> challenge ACK, data with ACK 2^30 ahead/behind -> not taken;" \
		"the connection echoed intact after each; exact RST (control) reset it"
}

# ---- main ----------------------------------------------------------------

suite_up cleanup jq curl ss hping3 nginx
SECONDS=0
for k in syn ack rst fin syndata frag rand; do
	run_case "attack: guard+nginx, hping3 $(hping_args $k | sed "s/-a $SPOOF4/(spoofed)/")" case_guard_$k
done
for k in syn ack rst fin syndata frag rand; do
	run_case "attack: serve echo, hping3 $(hping_args $k | sed "s/-a $SPOOF4/(spoofed)/")" case_serve_$k
done
run_case "attack: RFC 5961 blind injection into a serve connection" case_serve_rfc5961
echo "($SECONDS s)"
finish
