#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Key-file rollover across a fleet of two: hosts A and B (namespaces with the
# same server address, a kernel listener and a guard each, each guard with
# its own copy of the key file) and a client with a veth to each, whose
# handshakes go SYN to one host and final ACK to the other, as ECMP may
# split them. A new secret reaches A, then B within the overlap: every
# handshake works, both ways, in every phase; a host on another secret
# without overlap refuses the other's cookies. The cases run in order on the
# same two guards.
#   [VERBOSE=1] bash tests/integration/test_keys.sh
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
TOPO=sokr
PORT=8080
# topo.sh's addresses: the server's on srv0 of both hosts; the client's
# nowhere (the client's kernel must not answer a SYN-ACK it never asked for)
SRV=$SRV_IP4 CLI=$CLI_IP4
OVERLAP=6
S1=first-secret-0123456789abcdef
S2=second-secret-0123456789abcdef
S3=third-secret-0123456789abcdef
GUARD_A= GUARD_B= T_A=

# ---- the fleet -----------------------------------------------------------

ns_of() { [ "$1" = a ] && echo "$TOPO-srv" || echo "$TOPO-b"; }
if_to() { [ "$1" = a ] && echo cli0 || echo cli1; }
mac_of() { ip -n "$(ns_of "$1")" -j link show dev srv0 | jq -r '.[0].address'; }

# topo.sh's pair is client-A; B gets a second veth from the client, srv0 too.
fleet_up() {
	local ns=$TOPO-b
	ip -n "$TOPO-cli" addr flush dev cli0
	ip netns add "$ns" || return 1
	ip link add cli1 netns "$TOPO-cli" type veth peer name srv0 netns "$ns" || return 1
	ip -n "$ns" addr add "$SRV/24" dev srv0
	ip -n "$ns" link set lo up
	ip -n "$ns" link set srv0 up
	ip -n "$TOPO-cli" link set cli1 up
	ip netns exec "$TOPO-cli" "$SHAKEOFF" lab attach cli1 pass >/dev/null 2>&1 || return 1
	for h in a b; do
		ip -n "$(ns_of $h)" neigh replace "$CLI" dev srv0 nud permanent \
			lladdr "$(ip -n "$TOPO-cli" -j link show dev "$(if_to $h)" | jq -r '.[0].address')"
		# each host's listener greets with its name once it has accept()ed
		ip netns exec "$(ns_of $h)" $PY -c '
import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1]))); s.listen(64)
while True:
    c, _ = s.accept(); c.sendall(sys.argv[2].encode() + b"\n"); c.close()' "$PORT" "$h" &
		echo $! >>"$WORK/holders"
	done
}

cleanup_fleet() {
	topo_reap "$TOPO" b
	ip netns del "$TOPO-b" 2>/dev/null
	cleanup
}

# guard_on HOST LOG ARGS...: guard on HOST's srv0; its PID in GUARD_A / GUARD_B.
guard_on() {
	local h=$1 log=$2 pid i
	shift 2
	ip netns exec "$(ns_of "$h")" "$SHAKEOFF" guard srv0 --ports $PORT --fix-sysctls \
		--interval 0 "$@" >"$log" 2>&1 &
	pid=$!
	echo $pid >>"$WORK/holders"
	[ "$h" = a ] && GUARD_A=$pid || GUARD_B=$pid
	for i in $(seq 300); do
		grep -q -e 'Ctrl-C to detach' -e '"event":"attached"' "$log" && return 0
		kill -0 $pid 2>/dev/null || { cat "$log"; return 1; }
		sleep 0.1
	done
	return 1
}

# put_key HOST SECRET: HOST's copy of the key file, replaced as the README says (mv).
put_key() {
	printf '%s' "$2" >"$WORK/$1.key.tmp" && mv "$WORK/$1.key.tmp" "$WORK/$1.key"
}

# wait_log LOG PATTERN: until LOG has a line matching PATTERN (grep -E), at most 5 s.
wait_log() { wait_grep "$1" "$2" || fail "no /$2/ in $1 within 5 s: $(tail -n 5 "$1")"; }

# hs FROM TO: a handshake with its SYN to host FROM and its ACK to host TO; 0 if TO accept()ed it.
hs() {
	local out rc
	out=$(ip netns exec "$TOPO-cli" $PY "$HERE/keyroll_client.py" --src "$CLI" --dst "$SRV" \
		--dport $PORT --syn-if "$(if_to "$1")" --syn-mac "$(mac_of "$1")" \
		--ack-if "$(if_to "$2")" --ack-mac "$(mac_of "$2")")
	rc=$?
	echo "    SYN to $1, ACK to $2: $out"
	[ $rc -eq 2 ] && fail "no SYN-ACK from $1"
	[ $rc -eq 0 ] && jq -e --arg h "$2" '.greeting == $h' <<<"$out" >/dev/null
}

# both_ways WHAT: SYN to A + ACK to B, and SYN to B + ACK to A, both accepted.
both_ways() {
	hs a b || fail "$1: SYN to A, ACK to B not accepted by B" || return
	hs b a || fail "$1: SYN to B, ACK to A not accepted by A" || return
}

# gstat HOST NAME: a guard counter of HOST.
gstat_of() {
	ip netns exec "$(ns_of "$1")" "$SHAKEOFF" stats srv0 --json | jq -r --arg n "$2" '.counters[$n]'
}

# ---- cases (in order, on the same guards) --------------------------------

case_same() {
	both_ways "one secret"
}

case_a_rolled() {
	put_key a "$S2"
	wait_log "$WORK/a.log" '"event":"key_roll".*"phase":"sign_old".*"overlap_s":'$OVERLAP || return
	T_A=$(date +%s.%N)
	both_ways "A read the new secret, B not"
}

# B reads the file about half the overlap after A, so that A's second phase
# (signing with the new secret) begins while B still signs with the old one.
case_b_rolled() {
	sleep "$(awk -v a="$T_A" -v w=$OVERLAP -v now="$(date +%s.%N)" \
		'BEGIN { d = a + w / 2 - now; print (d > 0 ? d : 0) }')"
	put_key b "$S2"
	wait_log "$WORK/b.log" 'new secret in .*: signing with the old one, accepting both' || return
	grep -q '"phase":"sign_new"' "$WORK/a.log" && fail "A signed with the new secret before B read it" && return
	both_ways "both read it, both sign with the old one"
}

# The one phase in which each host takes the other's cookies by its alternate key.
case_a_new_b_old() {
	wait_log "$WORK/a.log" '"phase":"sign_new"' || return
	both_ways "A signs with the new secret, B with the old" || return
	grep -q 'signing with the new secret' "$WORK/b.log" &&
		fail "B's second phase began during the handshakes: the case proved nothing" && return
	return 0
}

case_both_done() {
	local i
	for i in $(seq 120); do
		grep -q '"phase":"steady"' "$WORK/a.log" &&
			grep -q 'key rollover done' "$WORK/b.log" && break
		sleep 0.1
	done
	grep -q 'signing with the new secret' "$WORK/b.log" || fail "B logged no second phase" || return
	grep -q '"phase":"steady"' "$WORK/a.log" || fail "A's roll did not end" || return
	grep -q 'key rollover done' "$WORK/b.log" || fail "B's roll did not end" || return
	both_ways "both on the new secret alone"
}

case_refused() {
	printf 'short' >"$WORK/a.key.tmp" && mv "$WORK/a.key.tmp" "$WORK/a.key"
	wait_log "$WORK/a.log" '"event":"key_file_refused".*needs at least 16 bytes' || return
	[ "$(grep -c key_file_refused "$WORK/a.log")" -eq 1 ] || fail "refusal logged more than once" || return
	kill -0 "$GUARD_A" || fail "guard A exited" || return
	both_ways "A refused a bad file and kept the secret"
}

# refused HOST: ACKs HOST's guard found no connection and no valid cookie for (RST or drop).
refused() {
	echo $(($(gstat_of "$1" xdp_tx_rst_stray) + $(gstat_of "$1" xdp_drop_bad_cookie)))
}

case_no_overlap() {
	local n
	put_key b "$S3"
	wait_log "$WORK/b2.log" 'new secret in .*: in use at once' || return
	n=$(refused b)
	! hs a b || fail "SYN to A (old secret), ACK to B (new, no overlap) accepted" || return
	want_eq "ACKs B refused" "$(refused b)" $((n + 1)) || return
	n=$(refused a)
	! hs b a || fail "SYN to B (new secret), ACK to A (old) accepted" || return
	want_eq "ACKs A refused" "$(refused a)" $((n + 1)) || return
	hs b b || fail "B refuses its own cookies" || return
}

# The cases share the two guards and T_A: they run in the suite's shell, not
# in run_case's subshells (whose jobs end with them).
in_order() {
	local name=$1 fn=$2 rc
	: >"$WORK/notes"
	"$fn" >"$WORK/case.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ]; then
		T_PASS=$((T_PASS + 1)); echo "ok - $name"
	else
		T_FAIL=$((T_FAIL + 1)); echo "not ok - $name"; sed 's/^/    | /' "$WORK/case.log" | tail -n 40
	fi
	[ -n "${VERBOSE:-}" ] && sed 's/^/    | /' "$WORK/case.log"
	return 0
}

suite_up cleanup_fleet jq
fleet_up || suite_fail "fleet setup failed"
put_key a "$S1"
put_key b "$S1"
guard_on a "$WORK/a.log" --key-file "$WORK/a.key" --key-overlap $OVERLAP --json &&
	guard_on b "$WORK/b.log" --key-file "$WORK/b.key" --key-overlap $OVERLAP ||
	suite_fail "guards did not start: $(cat "$WORK/a.log" "$WORK/b.log")"

in_order "one secret: SYN to A + ACK to B, and B + A" case_same
in_order "A read a new secret (sign old, accept both), B not yet: both ways" case_a_rolled
in_order "B read it within the overlap, both sign old: both ways" case_b_rolled
in_order "A signs new, B old (each takes the other's by its alternate key): both ways" case_a_new_b_old
in_order "both rolls done (2x overlap): the new secret alone, both ways" case_both_done
in_order "a bad file is refused once (JSON event), the secret in use stays" case_refused
# B again, switching at once: started here, so it is this shell's job (the cleanup ends it).
kill -TERM "$GUARD_B"
wait "$GUARD_B"
guard_on b "$WORK/b2.log" --key-file "$WORK/b.key" --key-overlap 0 ||
	suite_fail "guard B did not start again: $(cat "$WORK/b2.log")"
in_order "B on another secret with --key-overlap 0: its and A's cookies refused across" case_no_overlap
finish
