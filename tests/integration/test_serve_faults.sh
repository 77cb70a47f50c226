#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# shakeoff serve under pressure and faults, on a veth pair of its own: what
# the sizes cost and refuse, a spoofed SYN flood in state mode (real clients
# meanwhile and right after), a full flow table with established flows still
# echoing, SIGKILL (peers reset, nothing left, a clean restart), link down/up,
# and the controller's RSS with 5 000 idle connections and after they close.
# Behaviour is asserted (success counts, counters); timings are notes.
#   [VERBOSE=1] bash tests/integration/test_serve_faults.sh [CASE-NAME-FILTER]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
. "$HERE/serve_lib.sh"
TOPO=sosf
FILTER=${1:-}
PORT=7
MSL=1
# the memory line comes after "attached": the cases read it
SERVE_READY=memory
FLOOD_SRC=198.18.0.0/16

# ---- helpers -------------------------------------------------------------

state_count() { conns | jq "[.flows[] | select(.state == \"$1\")] | length"; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
rss_kb() { awk '$1 == "VmRSS:" { print $2 }' "/proc/$1/status"; }

# legit N TIMEOUT [INTERVAL]: N real echo connections, one JSON line (tcp_client.py).
legit() {
	cli $PY "$HERE/tcp_client.py" $SRV_IP4 --port $PORT --count "$1" --bytes 200 \
		--timeout "$2" --interval "${3:-0}" --deadline 60
}

# Connections that stay open and echo a few bytes every 0.2 s until killed,
# from one process: its output is a line per round, {"round":R,"ok":N,"failed":N}.
HOLDER_PY='
import json, socket, sys, time
n, port, addr = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
ss = []
errs = []
for i in range(n):
    try:
        ss.append(socket.create_connection((addr, port), timeout=5))
    except Exception as e:
        errs.append(str(e))
print(json.dumps({"connected": len(ss)}), flush=True)
r = 0
while True:
    ok = failed = 0
    for i, s in enumerate(ss):
        try:
            m = b"r%d-c%d;" % (r, i)
            s.sendall(m)
            got = b""
            while len(got) < len(m):
                c = s.recv(len(m) - len(got))
                if not c:
                    raise EOFError
                got += c
            ok += got == m
            failed += got != m
        except Exception as e:
            failed += 1
            if r == 0:
                errs.append(str(e))
    if r == 0:
        print(json.dumps({"errors": errs}), flush=True)
    print(json.dumps({"round": r, "ok": ok, "failed": failed + n - len(ss)}), flush=True)
    r += 1
    time.sleep(0.2)
'

# wait_line FILE PATTERN SECONDS
wait_line() { wait_grep "$1" "$2" $(($3 * 10)) -G; }

case_reset() {
	ns_reap
	srv "$SHAKEOFF" detach srv0 >/dev/null 2>&1
	[ "$(cli_xdp_name cli0)" = so_lab_pass ] || cli "$SHAKEOFF" lab attach cli0 pass >/dev/null 2>&1
	[ "$(xdp_name srv0)" = none ] || fail "srv0 still has XDP program $(xdp_name srv0)"
}

# ---- cases ---------------------------------------------------------------

# 1. What the sizes cost (printed at start) and what serve refuses.
srvt() { timeout 20 ip netns exec "$TOPO-srv" "$@"; }
case_sizes() {
	case_reset || return
	local p m
	for p in 0 abc 16777217; do
		refuse "--max-flows '$p'" "max-flows" srvt "$SHAKEOFF" serve srv0 --port $PORT \
			--max-flows "$p" || return
	done
	for p in 0 -1 abc; do
		refuse "--max-half-open '$p'" "max-half-open" srvt "$SHAKEOFF" serve srv0 --port $PORT \
			--max-half-open "$p" || return
	done
	refuse "--max-half-open above --max-flows" "exceeds" srvt "$SHAKEOFF" serve srv0 --port $PORT \
		--max-flows 100 --max-half-open 101 || return
	for p in -1 abc 1000001; do
		refuse "--synack-rtx-rate '$p'" "synack-rtx-rate" srvt "$SHAKEOFF" serve srv0 \
			--port $PORT --synack-rtx-rate "$p" || return
	done
	serve_up "$WORK/serve.log" || return
	m=$(grep -m1 '"event":"memory"' "$SERVE_LOG")
	note "default sizes: $m"
	want_eq "max_flows" "$(jq .max_flows <<<"$m")" 65536 || return
	want_eq "max_half_open (auto)" "$(jq .max_half_open <<<"$m")" 256 || return
	# 168 bytes per entry, from the map's memlock (serve_abi.h)
	want_range "flow table bytes" "$(jq .flow_table_bytes <<<"$m")" 10000000 12000000 || return
	want_range "UMEM bytes" "$(jq .umem_bytes <<<"$m")" 16777216 1073741824 || return
	serve_stop
	serve_up "$WORK/serve2.log" --syn-mode state --max-flows 1000 || return
	m=$(grep -m1 '"event":"memory"' "$SERVE_LOG")
	want_eq "max_half_open (state, --max-flows 1000: half of it)" "$(jq .max_half_open <<<"$m")" 500 ||
		return
	serve_stop
	ip netns exec "$TOPO-srv" timeout 10 "$SHAKEOFF" serve srv0 --port $PORT --max-flows 1048576 \
		--interval 0 >"$WORK/big.log" 2>&1 &
	wait_line "$WORK/big.log" "memory:" 10 || fail "no memory line: $(cat "$WORK/big.log")" || return
	note "$(grep memory: "$WORK/big.log")"
	kill %% 2>/dev/null
	wait
}

# 2. A spoofed SYN flood in state mode: real clients during and right after it.
case_flood() {
	case_reset || return
	local fp out c0 c1 t0 t1 hz ok failed b cms sent hmax n i
	hz=$(getconf CLK_TCK)
	serve_up "$WORK/serve.log" --syn-mode state || return
	hmax=$(grep -m1 '"event":"memory"' "$SERVE_LOG" | jq .max_half_open)
	c0=$(cpu_ticks "$SERVE_PID")
	t0=$(date +%s%N)
	bg_cli "$SHAKEOFF" flood cli0 --dst $SRV_IP4 --dport $PORT --src $FLOOD_SRC --count 50000 \
		--rate 10000 --dst-mac "$(srv_mac)" --json >"$WORK/flood.json" 2>"$WORK/flood.err"
	fp=$!
	sleep 0.5
	# batches of 20 real connections for as long as the flood lasts
	ok=0 failed=0 b=0 cms=
	while kill -0 $fp 2>/dev/null; do
		out=$(legit 20 5 0.02)
		echo "    during the flood: $(jq -c '{ok, failed, errors: .errors[:3]}' <<<"$out")"
		ok=$((ok + $(jq .ok <<<"$out"))) failed=$((failed + $(jq .failed <<<"$out"))) b=$((b + 1))
		cms="$cms $(jq '[.conns[].connect_ms] | join(" ")' -r <<<"$out")"
	done
	note "during a 50k SYN flood (10k/s): $ok/$((ok + failed)) echo connections in $b batches, connect ms p50 $(tr ' ' '\n' <<<"$cms" | grep . | sort -g | awk '{ a[NR] = $1 } END { print a[int(NR / 2) + 1] " max " a[NR] }')"
	[ $b -ge 2 ] || fail "only $b batch of clients during the flood: lower the flood's --rate" || return
	wait $fp
	t1=$(date +%s%N)
	c1=$(cpu_ticks "$SERVE_PID")
	# Right after the flood: every connection must complete within 1 s.
	out=$(legit 20 1)
	echo "    right after the flood: $(jq -c '{ok, failed, errors: .errors[:3]}' <<<"$out")"
	want_eq "connections right after the flood (1 s timeout)" "$(jq .ok <<<"$out")" 20 || return
	want_eq "failed connections during the flood" "$failed" 0 || return
	sent=$(jq .sent "$WORK/flood.json")
	want_range "flood SYNs sent" "$sent" 50000 50000 || return
	n=$(sstat_fresh .counters.tx_synack)
	note "controller CPU over the flood: $(((c1 - c0) * 1000 / hz)) ms in $(((t1 - t0) / 1000000)) ms; tx_synack $n, tx_synack_halfopen_full $(sstat .counters.tx_synack_halfopen_full), synack_rtx $(sstat .synack_rtx), synack_rtx_limited $(sstat .synack_rtx_limited), halfopen_pruned $(sstat .halfopen_pruned), half-open tracked $(sstat .halfopen_tracked)"
	# made = still there + given up (pruned, expired) + established (the real clients)
	want_range "half-open entries made (tx_synack)" "$n" "$hmax" \
		$((hmax + $(sstat '.halfopen_pruned + .halfopen_expired') + ok + 20 + 64)) || return
	# random spoofed tuples repeat now and then: those SYNs meet their entry (tx_synack_again ...)
	want_range "cookie SYN-ACKs beyond the bound" "$(sstat .counters.tx_synack_halfopen_full)" \
		$((45000 - hmax)) 50000 || return
	want_range "half-open entries in the table" "$(state_count SYN_RCVD)" 1 $((hmax + 64)) || return
	# Under pressure the flood's entries give up after one retransmission (3 s):
	# state mode makes entries again, not cookies, for the clients after it.
	for i in $(seq 100); do
		n=$(state_count SYN_RCVD)
		[ "$n" -lt "$hmax" ] && break
		sleep 0.1
	done
	note "half-open entries below the bound $(((($(date +%s%N) - t1) / 1000000))) ms after the flood ($n left); halfopen_pruned $(sstat_fresh .halfopen_pruned)"
	want_range "half-open entries 10 s after the flood" "$n" 0 $((hmax - 1)) || return
	b=$(sstat .counters.tx_synack)
	out=$(legit 20 1)
	want_eq "connections once the flood's entries went" "$(jq .ok <<<"$out")" 20 || return
	want_range "of them stateful (tx_synack)" $(($(sstat_fresh .counters.tx_synack) - b)) 20 20 || return
	want_eq "so_serve_ctl failures" "$(sstat .ctl_failed)" 0 || return
	# the retransmission budget: at most --synack-rtx-rate (1000) per second
	want_range "SYN-ACK retransmissions" "$(sstat .synack_rtx)" 1 \
		$((1000 * ((t1 - t0) / 1000000000 + 3))) || return
	serve_stop
}

# 3. Flow table full: established flows keep echoing, new ones are refused with RST.
case_full() {
	case_reset || return
	local hp out r n
	serve_up "$WORK/serve.log" --syn-mode state --max-flows 64 --max-half-open 16 || return
	bg_cli $PY -c "$HOLDER_PY" 40 $PORT $SRV_IP4 >"$WORK/hold.out" 2>&1
	hp=$!
	wait_line "$WORK/hold.out" '"round": 2' 15 || fail "held connections: $(cat "$WORK/hold.out")" || return
	cli "$SHAKEOFF" flood cli0 --dst $SRV_IP4 --dport $PORT --src $FLOOD_SRC --count 5000 \
		--rate 5000 --dst-mac "$(srv_mac)" --json >"$WORK/flood.json" 2>&1 ||
		fail "flood failed: $(cat "$WORK/flood.json")" || return
	# 40 established + 16 half-open: 8 more fit (and one per CPU the kernel's
	# hash map keeps spare), the rest are reset at their final ACK: connect()
	# succeeds, their first echo fails.
	bg_cli $PY -c "$HOLDER_PY" 20 $PORT $SRV_IP4 >"$WORK/hold2.out" 2>&1
	wait_line "$WORK/hold2.out" '"round": 0' 15 || fail "new connections: $(cat "$WORK/hold2.out")" || return
	kill %% 2>/dev/null
	out=$(grep -m1 '"round": 0' "$WORK/hold2.out")
	echo "    20 new connections with the table nearly full: $out, $(grep -m1 errors "$WORK/hold2.out")"
	want_range "new connections that fit (64 - 40 - 16 half-open)" "$(jq .ok <<<"$out")" 4 12 || return
	jq -e '.errors | length > 0 and all(test("reset|broken pipe"; "i"))' \
		<(grep -m1 errors "$WORK/hold2.out") >/dev/null ||
		fail "refusals are not resets: $(grep -m1 errors "$WORK/hold2.out")" || return
	n=$(sstat_fresh .counters.tx_rst_table_full)
	want_range "tx_rst_table_full" "$n" 1 20 || return
	grep -q '"event":"table_full"' "$SERVE_LOG" || fail "no table_full line" || return
	r=$(grep -c '"round"' "$WORK/hold.out")
	sleep 1
	kill $hp
	wait $hp 2>/dev/null
	want_eq "held rounds with a failure" "$(jq -s '[.[] | select(.failed > 0)] | length' <(grep round "$WORK/hold.out"))" 0 ||
		return
	want_range "held rounds (40 flows echoing through the flood)" "$(grep -c '"round"' "$WORK/hold.out")" $((r + 1)) 1000 ||
		return
	note "table full: $(jq .ok <<<"$out")/20 new connections fit, the rest reset (tx_rst_table_full $n); 40 held flows echoed $(grep -c '"round"' "$WORK/hold.out") rounds without a failure; half-open cookies $(sstat .counters.tx_synack_halfopen_full)"
	serve_stop
}

# 4. SIGKILL: every peer is reset at its next segment, nothing is left, serve starts again.
case_sigkill() {
	case_reset || return
	local hp xid mids m out t i left
	serve_up "$WORK/serve.log" --app echo || return
	xid=$(xdp_id srv0)
	mids=$(bpftool prog show id "$xid" -j | jq -r '.map_ids[]')
	bg_cli $PY -c "$HOLDER_PY" 20 $PORT $SRV_IP4 >"$WORK/hold.out" 2>&1
	hp=$!
	wait_line "$WORK/hold.out" '"round": 1' 15 || fail "held connections: $(cat "$WORK/hold.out")" || return
	t=$(date +%s%N)
	kill -KILL "$SERVE_PID"
	wait "$SERVE_PID" 2>/dev/null
	SERVE_PID=
	# the holder's next round meets the kernel, which has no such socket: RST
	wait_line "$WORK/hold.out" '"ok": 0, "failed": 20' 5 ||
		fail "peers not all reset 5 s after SIGKILL: $(tail -n 3 "$WORK/hold.out")" || return
	note "SIGKILL: all 20 peers failed (reset) in the first round after it, $((($(date +%s%N) - t) / 1000000)) ms after the kill (rounds every 200 ms)"
	kill $hp
	wait $hp 2>/dev/null
	want_eq "XDP on srv0 after SIGKILL" "$(xdp_name srv0)" none || return
	! prog_exists "$xid" || fail "XDP program $xid still loaded" || return
	# the kernel frees maps from a work queue once their last reference goes
	for i in $(seq 30); do
		left=
		for m in $mids; do
			bpftool map show id "$m" >/dev/null 2>&1 && left="$left $m"
		done
		[ -z "$left" ] && break
		sleep 0.1
	done
	[ -z "$left" ] || fail "maps still there 3 s after SIGKILL: $(for m in $left; do bpftool map show id $m; done)" || return
	echo "    ok: program $xid and maps $(echo $mids) freed"
	out=$(legit 5 2 2>&1)
	jq -e '.ok == 0' <<<"$out" >/dev/null || fail "connections work without serve?" || return
	serve_up "$WORK/serve2.log" --app echo || return
	out=$(legit 20 2)
	want_eq "connections after a new serve" "$(jq .ok <<<"$out")" 20 || return
	serve_stop
	want_eq "exit status" "$SERVE_RC" 0
}

# 5. Link down and up while serve runs: a line each way, connections after up work.
case_link() {
	case_reset || return
	local out hp r
	serve_up "$WORK/serve.log" --app echo || return
	out=$(legit 5 2)
	want_eq "connections before" "$(jq .ok <<<"$out")" 5 || return
	# 5 connections echoing every 0.2 s across the flap (5 s socket timeouts)
	bg_cli $PY -c "$HOLDER_PY" 5 $PORT $SRV_IP4 >"$WORK/hold.out" 2>&1
	hp=$!
	wait_line "$WORK/hold.out" '"round": 2' 10 || fail "held connections: $(cat "$WORK/hold.out")" || return
	srv ip link set srv0 down
	wait_line "$SERVE_LOG" '"event":"link_down"' 3 || fail "no link_down line: $(cat "$SERVE_LOG")" || return
	sleep 1
	srv ip link set srv0 up
	wait_line "$SERVE_LOG" '"event":"link_up"' 5 || fail "no link_up line: $(cat "$SERVE_LOG")" || return
	kill -0 "$SERVE_PID" || fail "serve died" || return
	out=$(legit 20 3)
	want_eq "connections after link up" "$(jq .ok <<<"$out")" 20 || return
	r=$(grep -c '"round"' "$WORK/hold.out")
	wait_line "$WORK/hold.out" "\"round\": $((r + 2))," 10 || fail "held connections stopped: $(tail -n 3 "$WORK/hold.out")" || return
	kill $hp
	wait $hp 2>/dev/null
	want_eq "held rounds with a failure (across the flap)" \
		"$(grep round "$WORK/hold.out" | jq -s '[.[] | select(.failed > 0)] | length')" 0 || return
	note "link down/up: $(grep -E 'link_(down|up)' "$SERVE_LOG" | tr '\n' ' ')"
	serve_stop
}

# 6. RSS with 5 000 idle connections and after they close, twice.
case_rss() {
	case_reset || return
	local r0 r1 r2 r3 r4 r hp i
	# ASan keeps freed memory in its quarantine: RSS would measure the sanitizer
	[ "${SAN:-}" = 1 ] && { echo "RSS under ASan measures its quarantine, not serve"; return 77; }
	serve_up "$WORK/serve.log" --app echo || return
	r0=$(rss_kb "$SERVE_PID")
	for i in 1 2; do
		bg_cli sh -c "ulimit -n 20000; exec $PY -c '$HOLDER_PY' 5000 $PORT $SRV_IP4" >"$WORK/hold$i.out" 2>&1
		hp=$!
		wait_line "$WORK/hold$i.out" '"round": 0' 60 || fail "5000 connections: $(tail -c 300 "$WORK/hold$i.out")" || return
		kill -STOP $hp
		sleep 1
		if [ $i = 1 ]; then r1=$(rss_kb "$SERVE_PID"); else r3=$(rss_kb "$SERVE_PID"); fi
		want_eq "controller's connections ($i)" "$(sstat_fresh .conns)" 5000 || return
		kill -KILL $hp
		wait $hp 2>/dev/null
		# the client's kernel closes them: FINs
		for r in $(seq 30); do
			[ "$(sstat_fresh .conns)" = 0 ] && break
		done
		want_eq "controller's connections after close ($i)" "$(sstat .conns)" 0 || return
		if [ $i = 1 ]; then r2=$(rss_kb "$SERVE_PID"); else r4=$(rss_kb "$SERVE_PID"); fi
	done
	note "serve RSS: start $r0 KiB, 5000 idle $r1 KiB ($(((r1 - r0) * 1024 / 5000)) B each), closed $r2 KiB; again: 5000 idle $r3 KiB, closed $r4 KiB"
	# no growth: the second round ends where the first did (within 8 MiB)
	want_range "RSS after the second round (KiB)" "$r4" 0 $((r2 + 8192)) || return
	want_range "RSS with 5000 idle the second time (KiB)" "$r3" 0 $((r1 + 8192)) || return
	serve_stop
}

# ---- main ----------------------------------------------------------------

suite_up cleanup jq bpftool
SECONDS=0
run_case "serve faults: sizes printed, absurd ones refused" case_sizes
run_case "serve faults: 50k spoofed SYN flood in state mode" case_flood
run_case "serve faults: flow table full, established flows keep echoing" case_full
run_case "serve faults: SIGKILL resets peers, frees everything, restarts" case_sigkill
run_case "serve faults: link down and up" case_link
run_case "serve faults: RSS with 5000 idle connections and after" case_rss
echo "($SECONDS s)"
finish
