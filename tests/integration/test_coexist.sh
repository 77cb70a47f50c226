#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# guard and serve sharing the XDP hook without a dispatcher: a next program
# they tail-call with what they pass (ours, and xdp-filter's), and guard and
# serve as a stage of a root program that tail-calls a pinned PROG_ARRAY.
#   [VERBOSE=1] bash tests/integration/test_coexist.sh [CASE-NAME-FILTER]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
. "$HERE/serve_lib.sh"
TOPO=soco
FILTER=${1:-}
TEST_BPF_DIR=${TEST_BPF_DIR:-$ROOT/.output/tests-bpf}
DROP_O=$TEST_BPF_DIR/next_drop_port.bpf.o
ROOT_O=$TEST_BPF_DIR/root_tailcall.bpf.o
FRAGS_O=$TEST_BPF_DIR/frags_root.bpf.o
XDPFILT_O=/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_tcp.o
GPORT=8080          # guard protects it
XPORT=9000          # unprotected: the next program drops it
YPORT=9001          # unprotected: passes
PORT=7000           # serve's
N=4                 # connections per check

# ---- helpers -------------------------------------------------------------

# guard_up LOG [ARGS...]: `shakeoff guard srv0 ARGS` in the server namespace
# (in HOLDER's mount namespace if set, where the root's pins are), attached.
guard_up() {
	local log=$1 i
	shift
	if [ -n "${HOLDER:-}" ]; then
		# not in_holder (a function): $! must be guard itself
		nsenter --mount="/proc/$HOLDER/ns/mnt" --net="/run/netns/$TOPO-srv" \
			"$SHAKEOFF" guard srv0 --ports $GPORT --interval 0 "$@" >"$log" 2>&1 &
	else
		bg_srv "$SHAKEOFF" guard srv0 --ports $GPORT --interval 0 "$@" >"$log" 2>&1
	fi
	GUARD_PID=$!
	for i in $(seq 300); do
		grep -q 'Ctrl-C to detach' "$log" && return 0
		if ! kill -0 "$GUARD_PID" 2>/dev/null; then
			GUARD_PID=
			fail "guard exited before attaching: $(cat "$log")"
			return
		fi
		sleep 0.1
	done
	fail "guard did not attach within 30 s: $(cat "$log")"
}

# wait_log FILE PATTERN: up to 5 s for PATTERN (grep -F) in FILE.
wait_log() { wait_grep "$1" "$2" 50 -F; }

# Kernel echo servers on the guarded and the two unprotected ports.
echo_up() {
	local p
	for p in "$@"; do
		bg_srv $PY "$HERE/echo_server.py" $p >/dev/null 2>&1
		wait_listen $p || fail "echo server on $p did not listen" || return
	done
}

# conns_ok PORT [ADDR...]: how many of N connections to PORT complete with their echo.
conns_ok() {
	local port=$1
	shift
	cli $PY "$HERE/tcp_client.py" "${@:-$SRV_IP4}" --port $port --count $N --timeout 3 \
		--deadline 8 | jq -r .ok
}

# prog_map PROG MAP: id of map MAP of program PROG (an id, or the newest program of that name).
prog_map() {
	local m p=$1
	[[ $p =~ ^[0-9]+$ ]] || p=$(bpftool prog show name "$p" -j | jq -s '[.. | .id? // empty] | max')
	for m in $(bpftool prog show id "$p" -j | jq -r '.map_ids[]'); do
		[ "$(bpftool map show id "$m" -j | jq -r .name)" = "$2" ] && echo "$m" && return 0
	done
	return 1
}

# A map's 8-byte counter at key 0, read by id.
map_u64() { bpftool map lookup id "$1" key 0 0 0 0 -j | jq -r .formatted.value; }

# port_le PORT: a u32 map key holding the port in host order, as bpftool bytes.
port_le() { printf '%d %d 0 0' $(($1 & 255)) $(($1 >> 8)); }
# port_be PORT: the port in network order in a u32 (xdp-filter's key).
port_be() { printf '%d %d 0 0' $(($1 >> 8)) $(($1 & 255)); }

# The root program: loaded and its maps pinned in HOLDER's bpffs, attached to
# srv0 until the case ends (the topology outlives cases).
root_up() {
	trap 'guard_stop; ip -n "$TOPO-srv" link set dev srv0 xdp off; kill $(jobs -p) 2>/dev/null; wait' EXIT
	holder_up || return
	in_holder bpftool prog loadall "$ROOT_O" /sys/fs/bpf/soco_root type xdp \
		pinmaps /sys/fs/bpf/soco_maps || fail "bpftool could not load the root" || return
	in_holder ip link set dev srv0 xdp pinned /sys/fs/bpf/soco_root/rt_root ||
		fail "could not attach the root" || return
	STAGES=/sys/fs/bpf/soco_maps/rt_stages
	want_eq "XDP program on srv0" "$(xdp_name srv0)" rt_root
}
stage_entries() { in_holder bpftool map dump pinned "$STAGES" -j | jq -c '[.[] | .formatted.value]'; }

# ---- cases ----------------------------------------------------------------

# (a) guard --next-prog: X dropped by the next program, Y passes, cookies on GPORT.
case_guard_next() {
	local drops m synack0 synack1 i
	echo_up $GPORT $XPORT $YPORT || return
	guard_up "$WORK/g.log" --next-prog "$DROP_O" || return
	m=$(prog_map ndp_xdp ndp_port) || fail "no next program ndp_xdp loaded" || return
	bpftool map update id "$m" key 0 0 0 0 value $(port_le $XPORT) || return
	synack0=$(gstat xdp_tx_synack)
	want_eq "connections to guarded $GPORT (v4, v6)" "$(conns_ok $GPORT $SRV_IP4 $SRV_IP6)" $N ||
		return
	synack1=$(gstat xdp_tx_synack)
	want_range "cookie SYN-ACKs on $GPORT" $((synack1 - synack0)) $N $((2 * N)) || return
	want_range "handoffs" "$(gstat tc_handoff)" $N $((2 * N)) || return
	want_eq "connections to $XPORT (the next program drops them)" "$(conns_ok $XPORT)" 0 ||
		return
	drops=$(map_u64 "$(prog_map ndp_xdp ndp_drops)")
	want_range "next program's drops" "$drops" $N 1000 || return
	want_eq "connections to $YPORT (passed on)" "$(conns_ok $YPORT $SRV_IP4 $SRV_IP6)" $N ||
		return
	# the verdict counted is guard's: what the next program dropped guard passed
	want_range "guard's xdp_pass_unprotected" "$(gstat xdp_pass_unprotected)" "$drops" 100000
	guard_stop
	for i in $(seq 30); do
		bpftool prog show name ndp_xdp 2>/dev/null | grep -q . || break
		sleep 0.1
	done
	bpftool prog show name ndp_xdp 2>/dev/null | grep -q . &&
		fail "ndp_xdp still loaded 3 s after guard's exit" && return
	echo "    ok: the next program went with guard"
}

# xdp-filter's allow-policy TCP program as the next program, standalone (no libxdp).
case_xdp_filter() {
	local m hits
	[ -r "$XDPFILT_O" ] || { echo "no $XDPFILT_O (package xdp-tools)"; return 77; }
	echo_up $GPORT $XPORT $YPORT || return
	guard_up "$WORK/g.log" --next-prog "$XDPFILT_O" || return
	m=$(prog_map xdpfilt_alw_tcp filter_ports) || fail "xdp-filter's program not loaded" || return
	# MAP_FLAG_DST | MAP_FLAG_TCP; the hits count from bit 6 up, per CPU
	bpftool map update id "$m" key $(port_be $XPORT) value 6 0 0 0 0 0 0 0 || return
	want_eq "connections to $GPORT" "$(conns_ok $GPORT)" $N || return
	want_eq "connections to $XPORT (xdp-filter drops them)" "$(conns_ok $XPORT)" 0 || return
	want_eq "connections to $YPORT" "$(conns_ok $YPORT)" $N || return
	hits=$(bpftool map lookup id "$m" key $(port_be $XPORT) -j |
		jq '[.formatted.values[].value / 64 | floor] | add')
	want_range "xdp-filter's hits on $XPORT" "$hits" $N 1000
}

# (b) guard as a stage of a root program: cookies through the root, a clean exit.
case_guard_stage() {
	local seen0 seen1 st
	echo_up $GPORT || return
	root_up || return
	refuse "guard without --xdp-stage on the root's interface" "rt_root.*will not replace" \
		srv "$SHAKEOFF" guard srv0 --ports $GPORT || return
	guard_up "$WORK/g.log" --xdp-stage "$STAGES:0" || return
	want_eq "XDP program on srv0" "$(xdp_name srv0)" rt_root || return
	want_eq "program at stage 0" "$(bpftool prog show id "$(stage_entries | jq '.[0] // 0')" -j |
		jq -r .name)" so_guard_xdp || return
	refuse "a second guard on the same stage" "already runs" \
		in_holder "$SHAKEOFF" guard srv0 --ports $GPORT --xdp-stage "$STAGES:0" || return
	seen0=$(map_u64 "$(prog_map "$(xdp_id srv0)" rt_seen)")
	want_eq "connections through the root (v4, v6)" "$(conns_ok $GPORT $SRV_IP4 $SRV_IP6)" $N ||
		return
	seen1=$(map_u64 "$(prog_map "$(xdp_id srv0)" rt_seen)")
	want_range "frames the root saw" $((seen1 - seen0)) $((4 * N)) 100000 || return
	want_range "guard's cookie SYN-ACKs (stats from another ip netns exec)" \
		"$(gstat xdp_tx_synack)" $N $((2 * N)) || return
	want_range "handoffs" "$(gstat tc_handoff)" $N $((2 * N)) || return
	st=$(srv "$SHAKEOFF" status srv0 --json) || fail "status exited $?" || return
	want_eq "status of a stage guard: runs, root, stage" \
		"$(jq -r '[.runs, .xdp.prog, .xdp.stage_prog] | join(" ")' <<<"$st")" \
		"guard rt_root so_guard_xdp" || return
	# the root detached for a while: guard says so and stays for its return
	ip -n "$TOPO-srv" link set dev srv0 xdp off || return
	wait_log "$WORK/g.log" "has no XDP program: no frames reach guard" ||
		fail "guard did not notice the root leaving: $(cat "$WORK/g.log")" || return
	in_holder ip link set dev srv0 xdp pinned /sys/fs/bpf/soco_root/rt_root || return
	wait_log "$WORK/g.log" "tail-calls $STAGES again" ||
		fail "guard did not notice the root back: $(cat "$WORK/g.log")" || return
	echo "    ok: guard noticed the root leave and come back"
	want_eq "connections through the root again" "$(conns_ok $GPORT)" $N || return
	want_range "cookie SYN-ACKs" "$(gstat xdp_tx_synack)" $((2 * N)) $((3 * N)) || return
	guard_stop
	want_eq "stage array after guard's exit" "$(stage_entries)" "[]" || return
	want_eq "XDP program on srv0 after guard's exit" "$(xdp_name srv0)" rt_root || return
	want_eq "tcx programs after guard's exit" "$(srv $PY "$HERE/tcx_query.py" srv0 | jq -c .prog_ids)" "[]" || return
	want_eq "connections through the root alone" "$(conns_ok $GPORT)" $N
}

# A stage guard killed, its entry then removed by detach; a stage taken by someone else.
case_stage_detach() {
	local out
	echo_up $GPORT || return
	root_up || return
	guard_up "$WORK/g.log" --xdp-stage "$STAGES:1" || return
	kill -KILL "$GUARD_PID"
	wait "$GUARD_PID" 2>/dev/null
	GUARD_PID=
	grep -q detached "$WORK/g.log" && fail "guard saw the SIGKILL coming: $(cat "$WORK/g.log")" && return
	[ "$(stage_entries | jq length)" = 1 ] || fail "a killed guard's entry is gone: $(stage_entries)" || return
	out=$(srv "$SHAKEOFF" detach srv0) || fail "detach failed: $out" || return
	echo "    detach: $out"
	want_eq "stage array after detach" "$(stage_entries)" "[]" || return
	want_eq "XDP program on srv0 after detach" "$(xdp_name srv0)" rt_root || return
	# a foreign program at the index is never replaced
	in_holder bpftool map update pinned "$STAGES" key 2 0 0 0 value pinned /sys/fs/bpf/soco_root/rt_root ||
		fail "could not fill index 2" || return
	refuse "an index holding another program" "holds XDP program 'rt_root'" \
		in_holder "$SHAKEOFF" guard srv0 --ports $GPORT --xdp-stage "$STAGES:2" || return
	refuse "not a prog array" "not a pinned BPF_MAP_TYPE_PROG_ARRAY" \
		in_holder "$SHAKEOFF" guard srv0 --ports $GPORT --xdp-stage /sys/fs/bpf/soco_maps/rt_seen
}

# --next-pin: a program loaded and configured by someone else; what the kernel refuses.
case_next_pin() {
	echo_up $GPORT $XPORT || return
	holder_up || return
	in_holder bpftool prog load "$DROP_O" /sys/fs/bpf/soco_next type xdp \
		pinmaps /sys/fs/bpf/soco_next_maps || fail "bpftool could not load $DROP_O" || return
	in_holder bpftool map update pinned /sys/fs/bpf/soco_next_maps/ndp_port key 0 0 0 0 \
		value $(port_le $XPORT) || return
	guard_up "$WORK/g.log" --next-pin /sys/fs/bpf/soco_next || return
	want_eq "connections to $GPORT" "$(conns_ok $GPORT)" $N || return
	want_eq "connections to $XPORT (the pinned next program drops them)" "$(conns_ok $XPORT)" 0 ||
		return
	guard_stop
	in_holder bpftool prog show pinned /sys/fs/bpf/soco_next >/dev/null ||
		fail "the pinned next program went with guard" || return
	echo "    ok: the pinned next program outlives guard"
	# xdp_has_frags differs from guard_next's owner (so_guard_xdp): the kernel says no
	in_holder bpftool prog loadall "$FRAGS_O" /sys/fs/bpf/soco_frags type xdp \
		pinmaps /sys/fs/bpf/soco_frags_maps || fail "bpftool could not load $FRAGS_O" || return
	refuse "a frags program as the next program" "refused next program 'fr_root'" \
		in_holder "$SHAKEOFF" guard srv0 --ports $GPORT --next-pin /sys/fs/bpf/soco_frags/fr_root ||
		return
	refuse "a stage of a frags root" "refused guard as a tail call" \
		in_holder "$SHAKEOFF" guard srv0 --ports $GPORT \
		--xdp-stage /sys/fs/bpf/soco_frags_maps/fr_stages || return
	refuse "--next-pin of a map" "is a pinned bpf-map, not a program" \
		in_holder "$SHAKEOFF" guard srv0 --ports $GPORT --next-pin /sys/fs/bpf/soco_next_maps/ndp_port ||
		return
	want_eq "tcx programs after the refusals" "$(srv $PY "$HERE/tcx_query.py" srv0 | jq -c .prog_ids)" "[]"
}

# (c) serve --next-prog, and serve as a stage.
case_serve_next() {
	local m out
	echo_up $XPORT $YPORT || return
	serve_up "$WORK/s.log" --next-prog "$DROP_O" || return
	m=$(prog_map ndp_xdp ndp_port) || fail "no next program ndp_xdp loaded" || return
	bpftool map update id "$m" key 0 0 0 0 value $(port_le $XPORT) || return
	out=$(cli $PY "$HERE/serve_client.py" echo $SRV_IP4 --port $PORT --bytes 10000 --close full) ||
		fail "echo through serve: $out" || return
	want_eq "connections to $XPORT (dropped by the next program)" "$(conns_ok $XPORT)" 0 || return
	want_eq "connections to $YPORT (kernel, passed on)" "$(conns_ok $YPORT $SRV_IP4 $SRV_IP6)" $N ||
		return
	want_range "next program's drops" "$(map_u64 "$(prog_map ndp_xdp ndp_drops)")" $N 1000 ||
		return
	serve_stop
	want_eq "serve's exit" "$SERVE_RC" 0
}

case_serve_stage() {
	local out
	root_up || return
	serve_up "$WORK/s.log" --xdp-stage "$STAGES" || return
	want_eq "program at stage 0" "$(bpftool prog show id "$(stage_entries | jq '.[0] // 0')" -j |
		jq -r .name)" so_serve_xdp || return
	out=$(cli $PY "$HERE/serve_client.py" echo $SRV_IP4 --port $PORT --bytes 10000 --close full) ||
		fail "echo through the root and serve: $out" || return
	out=$(conns | jq '.flows | length') || fail "conns did not find serve as a stage" || return
	echo "    ok: conns found serve as a stage ($out flows)"
	serve_stop
	want_eq "serve's exit" "$SERVE_RC" 0 || return
	want_eq "stage array after serve's exit" "$(stage_entries)" "[]" || return
	want_eq "XDP program on srv0 after serve's exit" "$(xdp_name srv0)" rt_root
}

# (d) a bad next program: one line, exit 2.
case_refusals() {
	refuse "--next-prog: no such file" "Failed to open --next-prog" \
		srv "$SHAKEOFF" guard srv0 --ports $GPORT --next-prog /nonexistent.o || return
	refuse "--next-prog: no such program" "has no XDP program 'nope'" \
		srv "$SHAKEOFF" guard srv0 --ports $GPORT --next-prog "$DROP_O:nope" || return
	refuse "--next-prog: not an object" "Failed to open --next-prog" \
		srv "$SHAKEOFF" guard srv0 --ports $GPORT --next-prog "$HERE/lib.sh" || return
	refuse "serve --next-prog: no such file" "Failed to open --next-prog" \
		srv "$SHAKEOFF" serve srv0 --port $PORT --next-prog /nonexistent.o || return
	refuse "--next-pin: nothing pinned" "Failed to open --next-pin" \
		srv "$SHAKEOFF" guard srv0 --ports $GPORT --next-pin /sys/fs/bpf/none || return
	refuse "--next-prog with --next-pin" "exclude each other" \
		srv "$SHAKEOFF" guard srv0 --ports $GPORT --next-prog "$DROP_O" --next-pin /x || return
	refuse "bad --xdp-stage index" "bad --xdp-stage" \
		srv "$SHAKEOFF" guard srv0 --ports $GPORT --xdp-stage /x:y || return
	want_eq "XDP program on srv0 after the refusals" "$(xdp_name srv0)" none
}

# ---- main -----------------------------------------------------------------

[ -r "$DROP_O" ] && [ -r "$ROOT_O" ] && [ -r "$FRAGS_O" ] || suite_fail "no test programs in $TEST_BPF_DIR: run make test-integration"
suite_up cleanup jq ss bpftool nsenter unshare
srv sysctl -qw net.ipv4.tcp_syncookies=1
run_case "coexist: guard --next-prog drops an unprotected port, cookies go on" case_guard_next
run_case "coexist: xdp-filter's program as guard's next program" case_xdp_filter
run_case "coexist: guard as a stage of a root program" case_guard_stage
run_case "coexist: a killed stage's entry removed by detach; foreign entries kept" case_stage_detach
run_case "coexist: guard --next-pin; frags programs refused by the kernel" case_next_pin
run_case "coexist: serve --next-prog" case_serve_next
run_case "coexist: serve as a stage of a root program" case_serve_stage
run_case "coexist: refusals of bad next programs and stages" case_refusals
finish
