#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# --metrics on guard and serve, in a client and a server namespace: /metrics
# parsed by the Prometheus client library's parser (families, types, labels,
# counters moving under a SYN flood, serve's flows by state), the HTTP
# answers to what a browser or an attacker sends, the live page in headless
# Chromium during a flood, on the wall clock through the DevTools pipe
# (page_probe.py: its figures change every second; a screenshot is kept), IPv6,
# refusals and a clean stop with a client still connected.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
TOPO=somx
FILTER=${1:-}
ECHO_PORT=8007
SERVE_PORT=7007
MPORT=9100
ART=$ROOT/.output/test-artifacts

# scrape NS URL OUT: GET URL from namespace NS into OUT; OUT.json is what
# prom_parse.py makes of it. Fails unless 200 with the 0.0.4 content type.
scrape() {
	local ns=$1 url=$2 out=$3 hdr
	hdr=$(ip netns exec "$TOPO-$ns" curl -sS -g --max-time 5 -o "$out" \
		-w '%{http_code} %{content_type}' "$url") || fail "curl $url: $hdr" || return
	[[ $hdr == "200 text/plain; version=0.0.4"* ]] || fail "$url answered '$hdr'" || return
	$PY "$HERE/prom_parse.py" "$out" >"$out.json" ||
		fail "prometheus_client cannot parse $url: $(head -c 300 "$out")" || return
}

# mval JSON FAMILY [LABELS]: the sum of FAMILY's samples whose labels include
# LABELS (a JSON object, exact values), as an integer; "missing" if none.
mval() {
	jq -r --arg f "$2" --argjson l "${3:-{\}}" '[.[$f].samples[]? |
		select(.labels as $x | $l | to_entries | all(.value == $x[.key])) | .value] |
		if length == 0 then "missing" else (add | floor) end' "$1"
}

# want_family JSON FAMILY TYPE LABEL...: present, of TYPE, every sample with these labels.
want_family() {
	local j=$1 f=$2 t=$3 got
	shift 3
	got=$(jq -r --arg f "$f" '.[$f].type // "missing"' "$j")
	[ "$got" = "$t" ] || fail "family $f: type $got, want $t" || return
	for l in iface "$@"; do
		jq -e --arg f "$f" --arg l "$l" '.[$f].samples | length > 0 and all(.labels | has($l))' \
			"$j" >/dev/null || fail "family $f: samples without label $l" || return
	done
}

metrics_guard_up() {	# LOG ARGS...: guard on srv0 protecting ECHO_PORT, with ARGS
	local log=$1
	shift
	guard_start "$log" --ports $ECHO_PORT --interval 0 "$@" ||
		fail "guard did not start: $(cat "$log")" || return
}

echo_up() {
	bg_srv $PY "$HERE/echo_server.py" $ECHO_PORT
	wait_listen $ECHO_PORT || fail "echo server did not listen"
}

flood() {	# SECONDS [RATE]: a SYN flood to ECHO_PORT from the client, in the background
	bg_cli "$SHAKEOFF" flood cli0 --dst $SRV_IP4 --dport $ECHO_PORT --src 198.18.0.0/16 \
		--duration "$1" --rate "${2:-50000}" --dst-mac "$(srv_mac)" >"$WORK/flood.out" 2>&1
	FLOOD_PID=$!
}

# ---- cases ------------------------------------------------------------------

case_refusals() {
	local bad
	for bad in nonsense 10.99.0.2 10.99.0.2:0 10.99.0.2:65536 10.99.0.2:80x fd99::2:80 \
		'[fd99::2]' '[fd99::2]80' localhost:9100 :9100; do
		refuse "guard --metrics $bad" "metrics" srv "$SHAKEOFF" guard srv0 --ports 80 \
			--metrics "$bad" || return
	done
	refuse "serve --metrics bad" "metrics" srv "$SHAKEOFF" serve srv0 --port 7 --metrics bad ||
		return
	# an address in use, an address not ours: exit 1, one line, nothing left attached
	bg_srv $PY -c 'import socket,time; s=socket.socket(); s.bind(("10.99.0.2", 9109)); s.listen(); time.sleep(30)'
	local i
	for i in $(seq 50); do srv ss -Htln "sport = :9109" | grep -q . && break; sleep 0.1; done
	for bad in 10.99.0.2:9109 192.0.2.1:9100; do
		srv "$SHAKEOFF" guard srv0 --ports 80 --metrics $bad >"$WORK/r.out" 2>"$WORK/r.err"
		want_eq "guard --metrics $bad: exit" $? 1 || return
		[ "$(grep -c . "$WORK/r.err")" -eq 1 ] && grep -q "Failed to bind --metrics $bad" "$WORK/r.err" ||
			fail "want one line 'Failed to bind', got: $(cat "$WORK/r.out" "$WORK/r.err")" || return
		echo "    ok: $(cat "$WORK/r.err")"
		want_eq "XDP on srv0 after the refusal" "$(xdp_name srv0)" none || return
	done
}

case_guard_metrics() {
	local a=$WORK/m1 b=$WORK/m2 f d syn0 syn1 tx0 tx1 h0 h1 out top
	echo_up || return
	metrics_guard_up "$WORK/guard.log" --metrics $SRV_IP4:$MPORT --deny 203.0.113.0/24 || return
	# from the client's namespace: the endpoint is on the server's address
	scrape cli "http://$SRV_IP4:$MPORT/metrics" "$a" || return
	want_family "$a.json" shakeoff_build_info gauge version command || return
	want_eq "build_info command" "$(mval "$a.json" shakeoff_build_info '{"command":"guard"}')" 1 || return
	want_family "$a.json" shakeoff_start_time_seconds gauge || return
	for f in xdp_pass xdp_tx xdp_drop tc; do
		want_family "$a.json" shakeoff_guard_$f counter reason || return
	done
	want_family "$a.json" shakeoff_guard_syn counter || return
	for f in protected under_attack; do
		want_family "$a.json" shakeoff_guard_port_$f gauge port || return
	done
	want_family "$a.json" shakeoff_guard_port_listener gauge port family || return
	want_eq "iface label" "$(jq -r '.shakeoff_guard_tc.samples[0].labels.iface' "$a.json")" srv0 || return
	want_eq "port_protected{port=$ECHO_PORT}" \
		"$(mval "$a.json" shakeoff_guard_port_protected "{\"port\":\"$ECHO_PORT\"}")" 1 || return
	want_eq "port_listener{port=$ECHO_PORT,family=ipv4}" \
		"$(mval "$a.json" shakeoff_guard_port_listener "{\"port\":\"$ECHO_PORT\",\"family\":\"ipv4\"}")" 1 || return
	grep -q '^# HELP shakeoff_guard_xdp_drop_total .*bad_cookie: ' "$a" ||
		fail "drop family's HELP lacks the reasons" || return
	jq -e '.shakeoff_guard_xdp_drop.samples | map(.labels.reason) | index("bad_cookie") != null' \
		"$a.json" >/dev/null || fail "no reason bad_cookie among the drops" || return

	# one real connection (a handoff), then a SYN flood: the counters move, none goes back
	out=$(cli $PY -c "
import socket
s = socket.create_connection(('$SRV_IP4', $ECHO_PORT), timeout=5)
s.sendall(b'ping'); print(s.recv(4).decode()); s.close()") || fail "echo client: $out" || return
	want_eq "echo through guard" "$out" ping || return
	flood 3 50000
	wait $FLOOD_PID
	scrape srv "http://$SRV_IP4:$MPORT/metrics" "$b" || return
	echo "    flood: $(cat "$WORK/flood.out")"
	syn0=$(mval "$a.json" shakeoff_guard_syn) syn1=$(mval "$b.json" shakeoff_guard_syn)
	tx0=$(mval "$a.json" shakeoff_guard_xdp_tx '{"reason":"synack"}')
	tx1=$(mval "$b.json" shakeoff_guard_xdp_tx '{"reason":"synack"}')
	h0=$(mval "$a.json" shakeoff_guard_tc '{"reason":"handoff"}')
	h1=$(mval "$b.json" shakeoff_guard_tc '{"reason":"handoff"}')
	want_range "syn_total delta" $((syn1 - syn0)) 50000 200000 || return
	want_range "xdp_tx{synack} delta" $((tx1 - tx0)) 50000 200000 || return
	want_range "tc{handoff} delta" $((h1 - h0)) 1 1 || return
	note "flood: shakeoff_guard_syn_total +$((syn1 - syn0)), xdp_tx_total{reason=synack} +$((tx1 - tx0)), tc_total{reason=handoff} +$((h1 - h0))"
	# the limits' views: per-port counters, top sources, budgets, rules
	for f in syn synack rst pass drop limited denied handoff; do
		want_family "$b.json" shakeoff_guard_port_$f counter port || return
	done
	syn0=$(mval "$a.json" shakeoff_guard_port_syn "{\"port\":\"$ECHO_PORT\"}")
	syn1=$(mval "$b.json" shakeoff_guard_port_syn "{\"port\":\"$ECHO_PORT\"}")
	want_range "port_syn_total{port=$ECHO_PORT} delta" $((syn1 - syn0)) 50000 200000 || return
	want_range "port_handoff_total{port=$ECHO_PORT}" \
		"$(mval "$b.json" shakeoff_guard_port_handoff "{\"port\":\"$ECHO_PORT\"}")" 1 1 || return
	for f in syn synack; do
		want_family "$b.json" shakeoff_guard_source_${f}_rate gauge prefix || return
	done
	top=$(jq -r '.shakeoff_guard_source_syn_rate.samples | max_by(.value) | "\(.labels.prefix) \(.value)"' "$b.json")
	[[ $top =~ ^198\.18\.[0-9]+\.0/24\ [0-9.]+$ ]] || fail "top source '$top', want one of the flood's /24s" ||
		return
	awk -v r="${top#* }" 'BEGIN { exit !(r > 0) }' || fail "top source rate '$top'" || return
	want_range "top sources listed" "$(jq '.shakeoff_guard_source_syn_rate.samples | length' "$b.json")" 1 10 ||
		return
	want_family "$b.json" shakeoff_guard_synack_budget gauge scope || return
	want_eq "synack_budget{scope=source}" "$(mval "$b.json" shakeoff_guard_synack_budget '{"scope":"source"}')" \
		10000 || return
	want_range "synack_budget{scope=global}" "$(mval "$b.json" shakeoff_guard_synack_budget '{"scope":"global"}')" \
		1000000 1000064 || return
	want_eq "source_rules" "$(mval "$b.json" shakeoff_guard_source_rules)" 1 || return
	note "port_syn_total{port=$ECHO_PORT} +$((syn1 - syn0)); top source $top"
	d=$(jq -r --slurpfile b "$b.json" '[to_entries[] | select(.value.type == "counter") |
		.key as $k | .value.samples[] | . as $s |
		($b[0][$k].samples[] | select(.labels == $s.labels and .name == $s.name) | .value) as $v |
		select($v < $s.value) | "\($s.name)\($s.labels)"] | join(" ")' "$a.json")
	[ -z "$d" ] || fail "counters went back: $d" || return
}

case_http() {
	local code
	metrics_guard_up "$WORK/guard.log" --metrics $SRV_IP4:$MPORT || return
	hit() { srv curl -sS --max-time 5 -o "$WORK/body" -w '%{http_code} %{content_type}' "$@"; }
	want_eq "GET /" "$(hit "http://$SRV_IP4:$MPORT/")" "200 text/html; charset=utf-8" || return
	grep -q '<canvas' "$WORK/body" && ! grep -qiE '(src|href)="?(https?:)?//' "$WORK/body" ||
		fail "the page has no canvas or loads something from elsewhere" || return
	want_eq "GET /nope" "$(hit "http://$SRV_IP4:$MPORT/nope")" "404 text/plain; charset=utf-8" || return
	want_eq "POST /metrics" "$(hit -X POST -d x "http://$SRV_IP4:$MPORT/metrics")" \
		"405 text/plain; charset=utf-8" || return
	want_eq "HEAD /metrics" "$(hit -I "http://$SRV_IP4:$MPORT/metrics" | cut -d' ' -f1)" 200 || return
	# raw garbage, a request line of 10 KB, a silent client: each answered or cut off,
	# and the server still answers a scrape
	code=$(srv $PY - "$SRV_IP4" $MPORT <<'EOF'
import socket, sys, time
addr = (sys.argv[1], int(sys.argv[2]))
def ask(data):
    s = socket.create_connection(addr, timeout=3)
    s.sendall(data)
    got = b""
    while True:
        c = s.recv(65536)
        if not c:
            break
        got += c
    s.close()
    return got.split(b"\r\n")[0].decode(errors="replace")
# ten silent clients hold every slot: each request below still gets its answer at once
silent = [socket.create_connection(addr, timeout=5) for _ in range(10)]
print(ask(b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03" + bytes(range(256)) + b"\r\n\r\n"))
print(ask(b"GET /" + b"a" * 10000 + b" HTTP/1.1\r\n\r\n"))
print(ask(b"GET / HTTP/1.1\r\n" + b"X-A: b\r\n" * 2000 + b"\r\n"))
print(ask(b"GET /metrics HTTP/7.0\r\n\r\n"))
s = socket.create_connection(addr, timeout=10)
t = time.monotonic()
got = s.recv(1)
print("silent cut after %.0f s" % (time.monotonic() - t) if got == b"" else "silent got %r" % got)
EOF
) || fail "hostile client: $code" || return
	echo "$code" | sed 's/^/    /'
	want_eq "answers" "$(echo "$code" | head -n 4 | cut -d' ' -f2 | tr '\n' ' ')" "400 414 431 505 " || return
	[[ $(echo "$code" | tail -n 1) =~ ^silent\ cut\ after\ [4-6]\ s$ ]] ||
		fail "a silent client was not cut off after ~5 s: $(echo "$code" | tail -n 1)" || return
	scrape srv "http://$SRV_IP4:$MPORT/metrics" "$WORK/m" || return
	kill -0 "$GUARD_PID" || fail "guard died" || return
}

case_page() {
	local png=$WORK/metrics-page.png p=$WORK/probe.json last v
	echo_up || return
	metrics_guard_up "$WORK/guard.log" --metrics $SRV_IP4:$MPORT || return
	flood 20 20000
	# and stray ACKs beyond the RST budget: drops (bad_cookie) for the drops chart
	bg_cli "$SHAKEOFF" flood cli0 --kind ack --dst $SRV_IP4 --dport $ECHO_PORT --src 198.19.0.0/16 \
		--duration 20 --rate 5000 --dst-mac "$(srv_mac)" >"$WORK/flood-ack.out" 2>&1
	sleep 1
	# on the wall clock (no virtual time): the page fetches /metrics once a second
	srv $PY "$HERE/page_probe.py" "http://$SRV_IP4:$MPORT/" --seconds 6 --shot "$png" \
		--profile "$WORK/chrome" >"$p" || fail "page_probe failed: $(cat "$p")" || return
	jq -c '.readings[] | {samples, synTotal, synRate, synackRate, dropRate, handRate, points}' "$p" |
		sed 's/^/    /'
	last=$(jq -c '.readings[-1]' "$p")
	pval() { jq -r --arg k "$1" '.[$k] // "missing"' <<<"$last"; }
	want_eq "data-command" "$(pval command)" guard || return
	v=$(pval samples)
	want_range "fetches the page made in 6 s" "$v" 4 8 || return
	want_range "samples in which the SYN counter moved" "$(pval synChanges)" 3 8 || return
	[ "$(pval synTotal)" -gt "$(pval synTotalFirst)" ] || fail "SYN total did not grow in the page" || return
	[ "$(jq '[.readings[].samples | tonumber] | . == (sort | unique)' "$p")" = true ] ||
		fail "the page's sample count did not grow at every reading" || return
	for v in synRateMax dropRateMax; do
		awk -v r="$(pval $v)" 'BEGIN { exit !(r > 0) }' ||
			fail "data-$v '$(pval $v)': its chart shows no rate" || return
	done
	want_range "points in the SYN chart" "$(pval points)" 8 16 || return
	want_range "rows in the top-sources table" "$(pval sourceRows)" 1 10 || return
	want_range "rows in the ports table" "$(pval portRows)" 1 1 || return
	note "page during the floods: $(pval samples) samples, SYN counter moved in $(pval synChanges), peak $(pval synRateMax) SYN/s, $(pval dropRateMax) drops/s; $(pval sourceRows) top-source rows, $(pval portRows) port row(s)"
	[ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' ')" = 89504e470d0a1a0a ] ||
		fail "no PNG at $png" || return
	[ "$(stat -c %s "$png")" -gt 20000 ] || fail "screenshot only $(stat -c %s "$png") bytes" || return
	mkdir -p "$ART" && cp "$png" "$ART/metrics-page.png"
	note "screenshot: $ART/metrics-page.png ($(stat -c %s "$png") bytes)"
}

case_serve_metrics() {
	local j=$WORK/s1 i n est pids=()
	PORT=$SERVE_PORT
	. "$HERE/serve_lib.sh"
	serve_up "$WORK/serve.log" --metrics "[$SRV_IP6]:$MPORT" || return
	for i in 1 2 3 4 5; do
		bg_cli $PY "$HERE/serve_client.py" hold $SRV_IP4 --port $SERVE_PORT --bytes 100 --hold 3 \
			>"$WORK/hold.$i"
		pids+=($!)
	done
	for i in $(seq 40); do
		[ "$(cat "$WORK"/hold.* | grep -c sport)" -eq 5 ] && break
		sleep 0.1
	done
	scrape cli "http://[$SRV_IP6]:$MPORT/metrics" "$j" || return
	want_eq "build_info command" "$(mval "$j.json" shakeoff_build_info '{"command":"serve"}')" 1 || return
	want_family "$j.json" shakeoff_serve_flows gauge state || return
	for f in xdp_pass xdp_tx xdp_drop xdp_redirect; do
		want_family "$j.json" shakeoff_serve_$f counter reason || return
	done
	for f in syn synack established; do
		want_family "$j.json" shakeoff_serve_$f counter || return
	done
	want_eq "states listed" "$(jq -c '[.shakeoff_serve_flows.samples[].labels.state]' "$j.json")" \
		'["SYN_RCVD","ESTABLISHED","FIN_WAIT_1","FIN_WAIT_2","CLOSING","TIME_WAIT","CLOSE_WAIT","LAST_ACK"]' || return
	want_eq "flows{state=ESTABLISHED} with 5 clients holding" \
		"$(mval "$j.json" shakeoff_serve_flows '{"state":"ESTABLISHED"}')" 5 || return
	want_range "established_total" "$(mval "$j.json" shakeoff_serve_established)" 5 5 || return
	want_range "synack_total" "$(mval "$j.json" shakeoff_serve_synack)" 5 10 || return
	want_eq "flows_max" "$(mval "$j.json" shakeoff_serve_flows_max)" 65536 || return
	wait "${pids[@]}"
	# the clients closed: no flow stays ESTABLISHED (serve answers their FINs)
	for i in $(seq 30); do
		scrape cli "http://[$SRV_IP6]:$MPORT/metrics" "$j" || return
		est=$(mval "$j.json" shakeoff_serve_flows '{"state":"ESTABLISHED"}')
		[ "$est" = 0 ] && break
		sleep 0.2
	done
	want_eq "flows{state=ESTABLISHED} after the clients closed" "$est" 0 || return
	n=$(jq -c '[.shakeoff_serve_flows.samples[] | select(.value > 0) | "\(.labels.state)=\(.value)"]' "$j.json")
	note "serve's flows after close: $n"
	# bound only where told: IPv6 only, not the IPv4 address
	if srv curl -sS --max-time 2 -o /dev/null "http://$SRV_IP4:$MPORT/metrics" 2>/dev/null; then
		fail "[$SRV_IP6]:$MPORT also answers on IPv4"
		return
	fi
	serve_stop
	want_eq "serve's exit" "$SERVE_RC" 0 || return
}

case_stop() {
	local t0 rc
	metrics_guard_up "$WORK/guard.log" --metrics $SRV_IP4:$MPORT || return
	# a client connected and silent, another half-way through a request
	bg_srv $PY -c "import socket,time; s=socket.create_connection(('$SRV_IP4', $MPORT)); time.sleep(20)"
	bg_srv $PY -c "import socket,time; s=socket.create_connection(('$SRV_IP4', $MPORT)); s.send(b'GET /met'); time.sleep(20)"
	sleep 0.5
	t0=$(date +%s%N)
	kill -TERM "$GUARD_PID"
	wait "$GUARD_PID"
	rc=$?
	GUARD_PID=
	want_eq "guard's exit with metrics clients connected" $rc 0 || return
	want_range "ms to stop" $((($(date +%s%N) - t0) / 1000000)) 0 3000 || return
	if srv ss -Htln "sport = :$MPORT" | grep -q .; then
		fail "port $MPORT still listening"
		return
	fi
	want_eq "XDP on srv0" "$(xdp_name srv0)" none || return
}

# ---- main ----------------------------------------------------------------

suite_up cleanup jq curl ss chromium
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import prometheus_client' 2>/dev/null ||
	suite_fail "missing python3-prometheus-client (make deps)"
srv sysctl -qw net.ipv4.tcp_syncookies=1
SECONDS=0
run_case "metrics: refusals (bad ADDR:PORT exit 2, in use / not ours exit 1)" case_refusals
run_case "metrics: guard's families parsed by prometheus_client, counters move in a flood" case_guard_metrics
run_case "metrics: HTTP answers to browsers and to garbage" case_http
run_case "metrics: the live page in headless Chromium during a flood" case_page
run_case "metrics: serve's flows by state over IPv6" case_serve_metrics
run_case "metrics: SIGTERM with clients connected stops at once" case_stop
echo "($SECONDS s)"
finish
