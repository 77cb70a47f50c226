#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# shakeoff status and the stats fixes of issue 9: status for nothing, guard
# (always; auto under a flood), serve; pins per network namespace (two
# namespaces with same-named interfaces, guards started with nsenter --net in
# the host's mount namespace); stats --watch ending when guard dies; stats on
# serve; capability errors; "ts" on every JSON line; rates with decimals.
#   [VERBOSE=1] bash tests/integration/test_status.sh [CASE-NAME-FILTER]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
TOPO=sost
FILTER=${1:-}
P=8017 Q=8018 PORT=7
. "$HERE/serve_lib.sh"

# ---- helpers -------------------------------------------------------------

# guard_up LOG [ARGS...]: guard on srv0 (JSON lines), attached; GUARD_PID.
guard_up() {
	local log=$1 i
	shift
	ip netns exec "$TOPO-srv" "$SHAKEOFF" guard srv0 --interval 0 --json "$@" >"$log" 2>&1 &
	GUARD_PID=$!
	for i in $(seq 300); do
		grep -q '"event":"attached"' "$log" && return 0
		kill -0 "$GUARD_PID" 2>/dev/null || { wait "$GUARD_PID"; GUARD_PID=; fail "guard exited: $(cat "$log")"; return; }
		sleep 0.1
	done
	fail "guard did not attach: $(cat "$log")"
}

# status_json [IFACE]: `shakeoff status IFACE --json` from an `ip netns exec` of its own.
status_json() { srv "$SHAKEOFF" status "$1" --json; }
# js FILE EXPR: a Python expression over the JSON object d of FILE's (one) line.
js() { $PY -c 'import json,sys; d=json.loads(open(sys.argv[1]).read()); print(eval(sys.argv[2]))' "$1" "$2"; }

# want_ts FILE WHAT: every line of FILE is a JSON object with a "ts" (Unix s, ms) within 120 s of now.
want_ts() {
	local out
	out=$($PY - "$1" <<'EOF'
import json, sys, time
n = 0
for line in open(sys.argv[1]):
    if not line.strip():
        continue
    d = json.loads(line)
    ts = d.get("ts")
    if not isinstance(ts, float) or abs(ts - time.time()) > 120:
        print("bad ts in: " + line.strip()[:120]); sys.exit(1)
    n += 1
print(n)
EOF
) || fail "$2: $out" || return
	[ "$out" -gt 0 ] || fail "$2: no JSON lines" || return
	echo "    ok: $2: $out JSON line(s), each with a ts"
}

# wait_lines FILE N TENTHS: until FILE has N lines, at most TENTHS tenths of a second.
wait_lines() {
	local i
	for i in $(seq "$3"); do
		[ "$(grep -c . "$1" 2>/dev/null)" -ge "$2" ] && return 0
		sleep 0.1
	done
	return 1
}

case_reset() {
	ns_reap srv
	srv "$SHAKEOFF" detach srv0 >/dev/null 2>&1
	srv sysctl -qw net.ipv4.tcp_syncookies=1 net.ipv4.tcp_timestamps=1 net.ipv4.tcp_sack=1 \
		net.ipv4.tcp_window_scaling=1
	bg_srv $PY "$HERE/echo_server.py" $P >/dev/null 2>&1
	wait_listen $P || fail "echo server did not start"
}

# ---- cases ---------------------------------------------------------------

case_nothing() {
	case_reset || return
	status_json srv0 >"$WORK/st.json" || fail "status srv0 exited $?" || return
	cat "$WORK/st.json"
	want_ts "$WORK/st.json" "status --json" || return
	want_eq "runs" "$(js "$WORK/st.json" 'd["runs"]')" nothing || return
	srv "$SHAKEOFF" status >"$WORK/st.txt" || fail "status exited $?" || return
	cat "$WORK/st.txt"
	grep -q '^lo:$' "$WORK/st.txt" && grep -q '^srv0:$' "$WORK/st.txt" ||
		fail "status without IFACE does not list lo and srv0" || return
	want_eq "status of every interface: JSON lines" \
		"$(srv "$SHAKEOFF" status --json | $PY -c 'import json,sys; print(sorted(json.loads(l)["iface"] for l in sys.stdin))')" \
		"['lo', 'srv0']" || return
	want_eq "status of the client's cli0 (lab pass)" \
		"$(cli "$SHAKEOFF" status cli0 --json | jq -r '.runs + " " + .xdp.prog')" "lab so_lab_pass" || return
	refuse "status of an unknown interface" "unknown interface|no such" srv "$SHAKEOFF" status nosuch0 || return
	refuse "status with two interfaces" "unexpected" srv "$SHAKEOFF" status lo srv0
}

case_guard_always() {
	case_reset || return
	local xid tid out
	guard_up "$WORK/guard.log" --ports $P,$Q || return
	want_ts "$WORK/guard.log" "guard's JSON lines" || return
	want_eq "attached: xdp_mode" "$(head -n 1 "$WORK/guard.log" | jq -r .xdp_mode)" native || return
	status_json srv0 >"$WORK/st.json" || fail "status exited $?" || return
	cat "$WORK/st.json"
	want_ts "$WORK/st.json" "status --json" || return
	xid=$(xdp_id srv0)
	tid=$(srv $PY "$HERE/tcx_query.py" srv0 | jq -c ".prog_ids[0] // 0")
	want_eq "runs" "$(js "$WORK/st.json" 'd["runs"]')" guard || return
	want_eq "xdp.mode" "$(js "$WORK/st.json" 'd["xdp"]["mode"]')" native || return
	want_eq "xdp.prog_id" "$(js "$WORK/st.json" 'd["xdp"]["prog_id"]')" "$xid" || return
	want_eq "tc prog_id" "$(js "$WORK/st.json" '[t["prog_id"] for t in d["tc"] if t["prog"] == "so_guard_tc"][0]')" "$tid" || return
	want_eq "pid" "$(js "$WORK/st.json" 'd["pid"]')" "$GUARD_PID" || return
	want_eq "alive" "$(js "$WORK/st.json" 'd["alive"]')" True || return
	want_range "uptime_s" "$(js "$WORK/st.json" 'd["uptime_s"]')" 0 60 || return
	want_eq "version" "shakeoff $(js "$WORK/st.json" 'd["version"]')" "$("$SHAKEOFF" --version)" || return
	want_eq "cookies" "$(js "$WORK/st.json" 'd["cookies"]["mode"]')" always || return
	want_eq "ports: port, v4/v6 listener" \
		"$(js "$WORK/st.json" '[(p["port"], p["listen4"], p["listen6"]) for p in d["ports"]]')" \
		"[($P, True, True), ($Q, False, False)]" || return
	want_eq "addrs has 10.99.0.2 and fd99::2" \
		"$(js "$WORK/st.json" '"10.99.0.2" in d["addrs"] and "fd99::2" in d["addrs"]')" True || return
	want_eq "keys" "$(js "$WORK/st.json" '(d["keys"]["source"], d["keys"]["key_present"])')" "('random', True)" || return
	want_eq "limits" "$(js "$WORK/st.json" '(d["limits"]["rst_rate"], d["limits"]["rst_rate_src"])')" "(1000, 10)" || return
	srv "$SHAKEOFF" status srv0 >"$WORK/st.txt"
	cat "$WORK/st.txt"
	grep -q "runs: guard" "$WORK/st.txt" && grep -q -- "- port: $P, listen4: yes, listen6: yes" "$WORK/st.txt" ||
		fail "text status lacks guard or port lines" || return

	# One SYN-ACK in a 2 s window: 0.50/s, not 0/s (nor 1/s).
	bg_srv "$SHAKEOFF" stats srv0 --watch 2 >"$WORK/watch.txt" 2>&1
	wait_lines "$WORK/watch.txt" 1 50 || fail "stats --watch printed nothing" || return
	out=$(cli $PY "$HERE/tcp_client.py" $SRV_IP4 --port $P) || fail "client: $out" || return
	wait_lines "$WORK/watch.txt" 3 60
	cat "$WORK/watch.txt"
	grep -q "xdp_tx_synack=0.50/s" "$WORK/watch.txt" || fail "no xdp_tx_synack=0.50/s line" || return
	echo "    ok: $(grep -m1 xdp_tx_synack "$WORK/watch.txt")"
	srv "$SHAKEOFF" stats srv0 --json >"$WORK/stats.json"
	want_ts "$WORK/stats.json" "stats --json" || return
	timeout 3 ip netns exec "$TOPO-srv" "$SHAKEOFF" stats srv0 --json --watch 1 >"$WORK/watch.json"
	want_ts "$WORK/watch.json" "stats --json --watch" || return
	want_eq "JSON rates keep decimals" \
		"$($PY -c 'import json,sys; print(type(json.loads(open(sys.argv[1]).readline())["rates"]["xdp_tx_synack"]).__name__)' "$WORK/watch.json")" float
}

case_guard_auto() {
	case_reset || return
	local mac fp i key=$WORK/secret
	head -c 32 /dev/urandom >"$key"
	mac=$(srv_mac)
	srv ip route replace 198.18.0.0/15 via $CLI_IP4
	guard_up "$WORK/guard.log" --ports $P,$Q --cookies auto --syn-threshold 200 --key-file "$key" || return
	status_json srv0 >"$WORK/st0.json"
	want_eq "calm: under_attack" "$(js "$WORK/st0.json" 'd["cookies"]["under_attack"]')" "[]" || return
	want_eq "keys.source" "$(js "$WORK/st0.json" 'd["keys"]["source"]')" key-file || return
	bg_cli "$SHAKEOFF" flood cli0 --dst $SRV_IP4 --dport $P --src 198.18.0.0/16 \
		--rate 3000 --duration 3 --dst-mac "$mac" --json >"$WORK/flood.json"
	fp=$!
	for i in $(seq 60); do
		grep -q '"event":"flood"' "$WORK/guard.log" && break
		sleep 0.1
	done
	grep -q '"event":"flood"' "$WORK/guard.log" ||
		fail "guard saw no flood: $(cat "$WORK/guard.log" "$WORK/flood.json"; srv "$SHAKEOFF" stats srv0 | awk '$2 > 0')" || return
	status_json srv0 >"$WORK/st.json"
	cat "$WORK/st.json"
	want_eq "flood: cookies.under_attack" "$(js "$WORK/st.json" 'd["cookies"]["under_attack"]')" "[$P]" || return
	want_eq "flood: ports' under_attack" \
		"$(js "$WORK/st.json" '[(p["port"], p["under_attack"]) for p in d["ports"]]')" "[($P, True), ($Q, False)]" || return
	srv "$SHAKEOFF" status srv0 | grep -E "under_attack: $P$" || fail "text status lacks 'under_attack: $P'" || return
	wait $fp
	want_ts "$WORK/flood.json" "flood --json" || return
	want_ts "$WORK/guard.log" "guard's JSON lines (attached, flood)"
}

case_serve() {
	case_reset || return
	local out
	serve_up "$WORK/serve.log" --app echo || return
	want_eq "attached: xdp_mode" "$(head -n 1 "$WORK/serve.log" | jq -r .xdp_mode)" native || return
	out=$(cli $PY "$HERE/tcp_client.py" $SRV_IP4 --port $PORT --count 2) || fail "client: $out" || return
	status_json srv0 >"$WORK/st.json"
	cat "$WORK/st.json"
	want_eq "runs" "$(js "$WORK/st.json" 'd["runs"]')" serve || return
	want_eq "pid, alive" "$(js "$WORK/st.json" '(d["pid"], d["alive"])')" "($SERVE_PID, True)" || return
	want_eq "ports, syn_mode" "$(js "$WORK/st.json" '(d["ports"], d["syn_mode"])')" "([$PORT], 'auto')" || return
	want_eq "limits.max_flows" "$(js "$WORK/st.json" 'd["limits"]["max_flows"]')" 65536 || return
	srv "$SHAKEOFF" stats srv0 --json >"$WORK/stats.json" || fail "stats on serve exited $?" || return
	want_ts "$WORK/stats.json" "stats --json (serve)" || return
	want_eq "stats: program" "$(jq -r .program "$WORK/stats.json")" serve || return
	want_eq "stats: serve's tx_synack" "$(jq -r .counters.tx_synack "$WORK/stats.json")" 2 || return
	srv "$SHAKEOFF" stats srv0 | grep -E '^tx_synack +2 ' || fail "text stats lacks tx_synack 2" || return
	conns >"$WORK/conns.json"
	want_ts "$WORK/conns.json" "conns --json" || return
	cli "$SHAKEOFF" lab read cli0 --json >"$WORK/lab.json"
	want_ts "$WORK/lab.json" "lab read --json" || return
	serve_stop
	want_ts "$WORK/serve.log" "serve's JSON lines"
}

case_watch_ends() {
	case_reset || return
	local wp rc i
	# generic mode here: the flood cases need native (veth drops XDP frames to a generic peer)
	guard_up "$WORK/guard.log" --ports $P --xdp-mode generic || return
	want_eq "attached: xdp_mode" "$(head -n 1 "$WORK/guard.log" | jq -r .xdp_mode)" generic || return
	status_json srv0 >"$WORK/st.json"
	want_eq "xdp mode, asked" "$(js "$WORK/st.json" '(d["xdp"]["mode"], d["xdp_mode_asked"])')" "('generic', 'generic')" || return
	bg_srv "$SHAKEOFF" stats srv0 --watch 1 >"$WORK/watch.out" 2>"$WORK/watch.err"
	wp=$!
	sleep 1.5
	kill -KILL "$GUARD_PID"
	wait "$GUARD_PID" 2>/dev/null
	GUARD_PID=
	for i in $(seq 50); do
		kill -0 $wp 2>/dev/null || break
		sleep 0.1
	done
	kill -0 $wp 2>/dev/null && fail "stats --watch still runs 5 s after guard was killed" && return
	wait $wp
	rc=$?
	echo "    stdout: $(tr '\n' '|' <"$WORK/watch.out")"
	want_eq "stats --watch exit status" $rc 1 || return
	want_eq "lines on stderr" "$(grep -c . "$WORK/watch.err")" 1 || return
	grep -qE "gone|detached" "$WORK/watch.err" || fail "stderr: $(cat "$WORK/watch.err")" || return
	echo "    ok: $(cat "$WORK/watch.err")"
}

case_unprivileged() {
	case_reset || return
	guard_up "$WORK/guard.log" --ports $P || return
	command -v setpriv >/dev/null || { echo "no setpriv"; return 77; }
	local np="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all"
	refuse "stats without privileges" "missing CAP_SYS_ADMIN" srv $np "$SHAKEOFF" stats srv0 || return
	refuse "status without privileges" "missing CAP_SYS_ADMIN" srv $np "$SHAKEOFF" status || return
	refuse "status IFACE without privileges" "missing CAP_SYS_ADMIN" srv $np "$SHAKEOFF" status srv0 || return
	refuse "conns without privileges" "missing CAP_SYS_ADMIN" srv $np "$SHAKEOFF" conns srv0
}

# Two namespaces, each with an eth0, a guard in each from the host's mount namespace.
NS_A=$TOPO-a NS_B=$TOPO-b
netns_pair_up() {
	local s
	for s in a b; do
		ip netns del "$TOPO-$s" 2>/dev/null
		ip netns add "$TOPO-$s" || return 1
		ip link add "c$s" netns "$TOPO-cli" type veth peer name eth0 netns "$TOPO-$s" || return 1
		ip -n "$TOPO-$s" link set lo up
		ip -n "$TOPO-$s" addr add 10.98.$([ $s = a ] && echo 1 || echo 2).2/24 dev eth0
		ip -n "$TOPO-cli" addr add 10.98.$([ $s = a ] && echo 1 || echo 2).1/24 dev "c$s"
		ip -n "$TOPO-$s" link set eth0 up
		ip -n "$TOPO-cli" link set "c$s" up
		ip netns exec "$TOPO-$s" sysctl -qw net.ipv4.tcp_syncookies=1
		cli "$SHAKEOFF" lab attach "c$s" pass >/dev/null || return 1
		# for the EXIT trap: the pins a killed run would leave on the host's bpffs
		echo "/sys/fs/bpf/shakeoff/$(stat -L -c %i "/run/netns/$TOPO-$s")" >>"$WORK/host_pins"
	done
}
netns_pair_down() {
	local d
	for d in $(cat "$WORK/host_pins" 2>/dev/null); do
		rm -rf "$d"
	done
	rmdir /sys/fs/bpf/shakeoff 2>/dev/null
	for d in a b; do
		topo_reap "$TOPO" "$d"
		ip netns del "$TOPO-$d" 2>/dev/null
	done
	return 0
}

case_netns_pins() {
	case_reset || return
	local s pa pb ga gb xb i out
	[ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" = bpf_fs ] ||
		{ echo "the host has no bpffs on /sys/fs/bpf (not mounting one for a test)"; return 77; }
	netns_pair_up || fail "namespaces a/b failed" || return
	for s in a b; do
		ip netns exec "$TOPO-$s" $PY "$HERE/echo_server.py" $P >/dev/null 2>&1 &
	done
	# nsenter itself, not a function around it: $! is the guard (nsenter execs it)
	nsenter --net="/run/netns/$NS_A" "$SHAKEOFF" guard eth0 --ports $P --interval 0 --json >"$WORK/ga.log" 2>&1 &
	ga=$!
	nsenter --net="/run/netns/$NS_B" "$SHAKEOFF" guard eth0 --ports $P --interval 0 --json >"$WORK/gb.log" 2>&1 &
	gb=$!
	for i in $(seq 300); do
		grep -q '"event":"attached"' "$WORK/ga.log" && grep -q '"event":"attached"' "$WORK/gb.log" && break
		sleep 0.1
	done
	grep -q attached "$WORK/ga.log" && grep -q attached "$WORK/gb.log" ||
		fail "guards did not attach: $(cat "$WORK/ga.log" "$WORK/gb.log")" || { kill $ga $gb; return 1; }
	pa=$(sed -n 1p "$WORK/host_pins")/eth0 pb=$(sed -n 2p "$WORK/host_pins")/eth0
	[ "$pa" != "$pb" ] || fail "both namespaces pin into $pa" || return
	for s in "$pa" "$pb"; do
		test -e "$s/link_xdp" && test -e "$s/link_tc" && test -e "$s/guard_stats" ||
			fail "pins missing in $s: $(ls "$s" 2>&1)" || return
	done
	echo "    ok: pins in $pa and $pb"
	for s in a b; do
		out=$(cli $PY "$HERE/tcp_client.py" 10.98.$([ $s = a ] && echo 1 || echo 2).2 --port $P) ||
			fail "client to namespace $s: $out" || return
		want_eq "namespace $s: xdp_tx_synack (stats from ip netns exec)" \
			"$(ip netns exec "$TOPO-$s" "$SHAKEOFF" stats eth0 --json | jq .counters.xdp_tx_synack)" 1 || return
	done
	want_eq "status in a: pid" "$(ip netns exec "$NS_A" "$SHAKEOFF" status eth0 --json | jq .pid)" $ga || return
	want_eq "status in b: pid" "$(ip netns exec "$NS_B" "$SHAKEOFF" status eth0 --json | jq .pid)" $gb || return

	xb=$(ip -n "$NS_B" -j link show dev eth0 | jq '.[0].xdp.prog.id // 0')
	kill -TERM $ga
	wait $ga
	! test -e "$pa" || fail "a's pins left after its guard stopped" || return
	test -e "$pb/link_xdp" && test -e "$pb/link_tc" || fail "stopping a's guard took b's pins: $(ls "$pb" 2>&1)" || return
	want_eq "b's XDP program after a stopped" "$(ip -n "$NS_B" -j link show dev eth0 | jq '.[0].xdp.prog.id // 0')" "$xb" || return
	out=$(cli $PY "$HERE/tcp_client.py" 10.98.2.2 --port $P) || fail "client to b after a stopped: $out" || return
	want_eq "b: xdp_tx_synack" "$(ip netns exec "$NS_B" "$SHAKEOFF" stats eth0 --json | jq .counters.xdp_tx_synack)" 2 || return
	want_eq "status in a after its guard stopped" "$(ip netns exec "$NS_A" "$SHAKEOFF" status eth0 --json | jq -r .runs)" nothing || return

	# detach from a separate ip netns exec finds b's programs by id; b's guard then ends and unpins.
	out=$(ip netns exec "$NS_B" "$SHAKEOFF" detach eth0) || fail "detach in b: $out" || return
	echo "    detach: $out"
	for i in $(seq 50); do
		kill -0 $gb 2>/dev/null || break
		sleep 0.1
	done
	kill -0 $gb 2>/dev/null && fail "b's guard still runs after detach" && return
	wait $gb
	! test -e "$pb" || fail "b's pins left after its guard ended" || return
	echo "    ok: b's guard ended after detach: $(grep -v '^{' "$WORK/gb.log" | tail -n 1)"
}

cleanup_status() {
	netns_pair_down
	cleanup
}

suite_up cleanup_status jq bpftool setpriv nsenter
run_case "status: nothing attached; every interface; refusals" case_nothing
run_case "status: guard, cookies always; stats rates with decimals" case_guard_always
run_case "status: guard in auto mode shows the flooded port" case_guard_auto
run_case "status: serve; stats reads serve's counters; JSON ts everywhere" case_serve
run_case "status: stats --watch ends when guard is killed" case_watch_ends
run_case "status: without privileges, stats and status name the capability" case_unprivileged
run_case "status: pins per network namespace (same-named interfaces, nsenter --net)" case_netns_pins
echo "($SECONDS s)"
finish
