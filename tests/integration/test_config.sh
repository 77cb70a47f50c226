#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# guard's live configuration: --config FILE and its errors, SIGHUP reloads
# with connections running, what cannot change live, `shakeoff ports` from a
# separate ip netns exec, and addresses and the MAC followed as they change.
#   [VERBOSE=1] bash tests/integration/test_config.sh [CASE-NAME-FILTER]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
TOPO=socf
FILTER=${1:-}
P_KEEP=8001 P_DROP=8002 P_ADD=8004
NEW_IP4=10.99.0.7

# ---- helpers -------------------------------------------------------------

# guard_up LOG ARGS...: guard on srv0 in the server namespace, attached; GUARD_PID. 77: no kfunc.
guard_up() {
	local log=$1
	shift
	ip netns exec "$TOPO-srv" "$SHAKEOFF" guard srv0 --interval 0 "$@" >"$log" 2>&1 &
	GUARD_PID=$!
	guard_attached "$GUARD_PID" "$log" && return 0
	set -- $?
	kill -0 "$GUARD_PID" 2>/dev/null || GUARD_PID=
	return "$1"
}

# wait_log LOG PATTERN [TENTHS]: until LOG has a line matching PATTERN (grep -E), default 5 s.
wait_log() { wait_grep "$1" "$2" "${3:-50}"; }

# reload LOG: SIGHUP the guard and wait for its answer (reloaded or refused).
reload() {
	local before
	before=$(grep -cE 'reloaded|reload refused|"reload' "$1")
	kill -HUP "$GUARD_PID"
	local i
	for i in $(seq 50); do
		[ "$(grep -cE 'reloaded|reload refused|"reload' "$1")" -gt "$before" ] && return 0
		sleep 0.1
	done
	fail "guard did not answer SIGHUP within 5 s: $(cat "$1")"
}

# echo servers on the test's ports; they end with the case
servers_up() {
	local p
	for p in $P_KEEP $P_DROP $P_ADD; do
		ip netns exec "$TOPO-srv" $PY "$HERE/echo_server.py" $p &
	done
	for p in $P_KEEP $P_DROP $P_ADD; do
		wait_listen $p || fail "echo server on $p did not listen" || return
	done
}

# connect_once ADDR PORT: one echoed connection from the client (exit 0 if it worked).
connect_once() {
	cli $PY "$HERE/tcp_client.py" "$1" --port "$2" --count 1 --timeout 3 >/dev/null
}

# synacks ADDR PORT: how many cookie SYN-ACKs one connection to ADDR:PORT made guard send.
synacks() {
	local a b
	a=$(gstat xdp_tx_synack)
	connect_once "$1" "$2" || { echo "connection to $1:$2 failed" >&2; echo -1; return; }
	b=$(gstat xdp_tx_synack)
	echo $((b - a))
}

case_reset() {
	ns_reap
	srv "$SHAKEOFF" detach srv0 >/dev/null 2>&1
	ip -n "$TOPO-srv" addr del $NEW_IP4/24 dev srv0 2>/dev/null
	srv sysctl -qw net.ipv4.tcp_syncookies=1
	[ "$(xdp_name srv0)" = none ] || fail "srv0 still has XDP program $(xdp_name srv0)"
}

# ---- cases ---------------------------------------------------------------

case_file_errors() {
	local f=$WORK/bad.conf all=$WORK/all.conf
	printf 'ports = 80\n# fine so far\nprots = 81\n' >"$f"
	refuse "unknown key" "$f:3: unknown key 'prots'" "$SHAKEOFF" guard srv0 --config "$f" || return
	printf 'ports = 80\nmss = 12\n' >"$f"
	refuse "bad value" "$f:2: .*mss" "$SHAKEOFF" guard srv0 --config "$f" || return
	printf 'ports = 80\n\nports = 81\n' >"$f"
	refuse "key twice" "$f:3: 'ports' already set on line 1" "$SHAKEOFF" guard srv0 --config "$f" || return
	printf 'ports = 80\niface = eth0\n' >"$f"
	refuse "iface in the file" "$f:2: 'iface' cannot be set" "$SHAKEOFF" guard srv0 --config "$f" || return
	printf 'json = yes\n' >"$f"
	refuse "no ports anywhere" "no ports" "$SHAKEOFF" guard srv0 --config "$f" || return
	refuse "missing file" "$WORK/none.conf: cannot read" "$SHAKEOFF" guard srv0 --config "$WORK/none.conf" || return
	# the example names every option guard has (but --help and --config itself)
	local o missing=""
	for o in $("$SHAKEOFF" guard --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
		case $o in --help | --config) continue ;; esac
		grep -qE "^#?${o#--} = " "$ROOT/etc/shakeoff/example.conf" ||
			grep -qE "^#.*\b${o#--} = " "$ROOT/etc/shakeoff/example.conf" || missing="$missing $o"
	done
	[ -z "$missing" ] || fail "example.conf lacks:$missing" || return
	# every key of the example, uncommented, parses (the interface check comes after the parse)
	sed -E 's/^#([a-z-]+ = )/\1/' "$ROOT/etc/shakeoff/example.conf" >"$all"
	[ "$(grep -cE '^[a-z-]+ = ' "$all")" -ge 14 ] || fail "example.conf has few keys: $(grep -E '^[a-z]' "$all")" || return
	refuse "the whole example parses" "unknown interface 'nosuch0'" "$SHAKEOFF" guard nosuch0 --config "$all"
}

case_reload_ports() {
	case_reset || return
	servers_up || return
	local conf=$WORK/g.conf log=$WORK/guard.log xid loop_pid steady_pid n rc
	command -v cc >/dev/null || { echo "no C compiler for conn_loop.c"; return 77; }
	cc -O2 -o "$WORK/conn_loop" "$HERE/conn_loop.c" || fail "cannot build conn_loop.c" || return
	printf '# before\nports = %s,%s\ncookies = always\n' $P_KEEP $P_DROP >"$conf"
	guard_up "$log" --config "$conf" || return
	xid=$(xdp_id srv0)
	n=$(synacks $SRV_IP4 $P_DROP)
	want_eq "SYN-ACKs from guard for $P_DROP before" "$n" 1 || return

	# connections on the kept port, a long one and new ones, across the reload
	rm -f "$WORK/steady.ready"
	ip netns exec "$TOPO-cli" $PY "$HERE/steady_client.py" $SRV_IP4 --port $P_KEEP \
		--duration 4 --interval 0.05 --ready "$WORK/steady.ready" >"$WORK/steady.json" 2>&1 &
	steady_pid=$!
	wait_log "$WORK/steady.ready" . || fail "the steady connection did not open" || return
	ip netns exec "$TOPO-cli" "$WORK/conn_loop" $SRV_IP4 $P_KEEP 3000 64 >"$WORK/loop.json" &
	loop_pid=$!
	sleep 0.5
	printf '# after\nports = %s,%s\ncookies = always\n' $P_KEEP $P_ADD >"$conf"
	reload "$log" || return
	kill -0 $loop_pid 2>/dev/null || fail "the connection loop ended before the reload: cannot tell" || return
	grep -q "reloaded $conf" "$log" || fail "no reload line: $(cat "$log")" || return
	grep -q "ports: added $P_ADD; removed $P_DROP; 2 protected" "$log" ||
		fail "no ports change line: $(cat "$log")" || return
	wait $loop_pid
	rc=$?
	note "connections on $P_KEEP across the reload: $(cat "$WORK/loop.json")"
	[ $rc -eq 0 ] || fail "a new connection on the kept port failed: $(cat "$WORK/loop.json")" || return
	wait $steady_pid || fail "the long connection broke: $(cat "$WORK/steady.json")" || return
	echo "    steady: $(cat "$WORK/steady.json")"
	want_eq "guard still attached, same program" "$(xdp_id srv0)" "$xid" || return
	n=$(synacks $SRV_IP4 $P_ADD)
	want_eq "SYN-ACKs from guard for the added $P_ADD" "$n" 1 || return
	n=$(synacks $SRV_IP4 $P_DROP)
	want_eq "SYN-ACKs from guard for the removed $P_DROP (the kernel answers)" "$n" 0
}

case_reload_refused() {
	case_reset || return
	servers_up || return
	local conf=$WORK/g.conf log=$WORK/guard.log n
	printf 'ports = %s\njson = yes\n' $P_KEEP >"$conf"
	guard_up "$log" --config "$conf" || return
	# a bad file: refused, named by FILE:LINE, the running ports stay
	printf 'ports = %s,%s\njson = yes\nwscale = 99\n' $P_KEEP $P_ADD >"$conf"
	reload "$log" || return
	grep -q "$conf:3: --wscale takes 0-14" "$log" || fail "no FILE:LINE error: $(cat "$log")" || return
	grep '"event":"reload_refused"' "$log" | jq -e . >/dev/null || fail "no JSON refusal event: $(cat "$log")" || return
	kill -0 "$GUARD_PID" || fail "guard ended" || return
	want_eq "ports after the bad file" "$(srv "$SHAKEOFF" ports srv0 list)" $P_KEEP || return
	n=$(synacks $SRV_IP4 $P_KEEP)
	want_eq "SYN-ACKs from guard on $P_KEEP after the bad file" "$n" 1 || return
	n=$(synacks $SRV_IP4 $P_ADD)
	want_eq "SYN-ACKs from guard on $P_ADD (not taken)" "$n" 0 || return
	# what cannot change live: the whole reload is refused, with the reason
	printf 'ports = %s,%s\njson = yes\nxdp-mode = generic\n' $P_KEEP $P_ADD >"$conf"
	reload "$log" || return
	grep '"event":"reload_refused"' "$log" | tail -n 1 | grep -q 'xdp-mode cannot change live' ||
		fail "no xdp-mode refusal: $(cat "$log")" || return
	want_eq "ports after the xdp-mode change" "$(srv "$SHAKEOFF" ports srv0 list)" $P_KEEP || return
	# and a good one after all that
	printf 'ports = %s,%s\njson = yes\n' $P_KEEP $P_ADD >"$conf"
	reload "$log" || return
	grep '"event":"changed"' "$log" | jq -e 'select(.what == "ports")' >/dev/null ||
		fail "no JSON ports change event: $(cat "$log")" || return
	want_eq "ports after the good file" "$(srv "$SHAKEOFF" ports srv0 list)" "$P_KEEP,$P_ADD"
}

case_ports_cmd() {
	case_reset || return
	servers_up || return
	local log=$WORK/guard.log n out
	guard_up "$log" --ports $P_KEEP || return
	want_eq "ports list" "$(srv "$SHAKEOFF" ports srv0 list)" $P_KEEP || return
	want_eq "ports add" "$(srv "$SHAKEOFF" ports srv0 add $P_ADD)" "$P_KEEP,$P_ADD" || return
	n=$(synacks $SRV_IP4 $P_ADD)
	want_eq "SYN-ACKs from guard for the added $P_ADD" "$n" 1 || return
	want_eq "ports del" "$(srv "$SHAKEOFF" ports srv0 del $P_ADD)" $P_KEEP || return
	n=$(synacks $SRV_IP4 $P_ADD)
	want_eq "SYN-ACKs from guard for the removed $P_ADD" "$n" 0 || return
	grep -q "ports: added $P_ADD; 2 protected" "$log" || fail "no log line of the add: $(cat "$log")" || return
	refuse "bad port list" "bad port list" srv "$SHAKEOFF" ports srv0 add 0 || return
	refuse "bad request" "unknown request" srv "$SHAKEOFF" ports srv0 drop 80 || return
	out=$(srv "$SHAKEOFF" ports srv0 del $P_KEEP 2>&1)
	want_eq "deleting the last port: exit" "$?" 1 || return
	grep -q "no port protected" <<<"$out" || fail "message: $out" || return
	# the client namespace has its own abstract socket names: no guard there
	out=$(cli "$SHAKEOFF" ports cli0 list 2>&1)
	want_eq "ports in a namespace without guard: exit" "$?" 1 || return
	want_eq "its message" "$out" "shakeoff ports: no guard on cli0" || return
	out=$(srv setpriv --reuid=65534 --regid=65534 --clear-groups "$SHAKEOFF" ports srv0 list 2>&1)
	want_eq "ports as nobody: exit" "$?" 1 || return
	grep -q "CAP_NET_ADMIN" <<<"$out" || fail "message as nobody: $out"
}

case_follow_addrs() {
	case_reset || return
	servers_up || return
	local log=$WORK/guard.log n i mac other
	guard_up "$log" --ports $P_KEEP || return
	ip -n "$TOPO-srv" addr add $NEW_IP4/24 dev srv0 || fail "cannot add $NEW_IP4" || return
	wait_log "$log" "addresses: added $NEW_IP4" 10 ||
		fail "guard did not pick up $NEW_IP4 within 1 s: $(cat "$log")" || return
	n=$(synacks $NEW_IP4 $P_KEEP)
	want_eq "SYN-ACKs from guard for the new $NEW_IP4" "$n" 1 || return
	ip -n "$TOPO-srv" addr del $NEW_IP4/24 dev srv0
	wait_log "$log" "addresses: removed $NEW_IP4" 10 ||
		fail "guard did not drop $NEW_IP4 within 1 s: $(cat "$log")" || return
	# the client still knows the MAC: its SYNs arrive, guard leaves them alone now
	n=$(gstat xdp_tx_synack)
	cli $PY -c "import socket; s = socket.socket(); s.settimeout(1)
try: s.connect(('$NEW_IP4', $P_KEEP))
except OSError: pass" 2>/dev/null
	want_eq "SYN-ACKs from guard for the removed $NEW_IP4" "$(($(gstat xdp_tx_synack) - n))" 0 || return
	# a new MAC: frames to it are ours, not another host's
	mac=$(srv_mac)
	ip -n "$TOPO-srv" link set dev srv0 address 02:5a:00:00:00:07 || fail "cannot set the MAC" || return
	ip -n "$TOPO-cli" neigh flush dev cli0
	sleep 0.3
	other=$(gstat xdp_drop_l2_other_host)
	n=$(synacks $SRV_IP4 $P_KEEP)
	want_eq "SYN-ACKs from guard after the MAC change" "$n" 1 || return
	want_eq "frames counted as another host's" "$(gstat xdp_drop_l2_other_host)" "$other" || return
	ip -n "$TOPO-srv" link set dev srv0 address "$mac"
}

suite_up cleanup jq bpftool setpriv
run_case "config: file errors name FILE:LINE; the example parses" case_file_errors
run_case "config: SIGHUP changes ports with connections running" case_reload_ports
run_case "config: a bad file or a start-only option is refused, the old config runs on" case_reload_refused
run_case "config: shakeoff ports add/del/list from another ip netns exec" case_ports_cmd
run_case "config: addresses added/removed and a new MAC are followed" case_follow_addrs
finish
