# SPDX-License-Identifier: GPL-2.0
# Running shakeoff serve in an integration test's server namespace: the one
# copy of starting, stopping and reading it. Sourced after lib.sh; the script
# sets PORT (and MSL, default 1).

# serve_up LOG [ARGS...]: start `shakeoff serve srv0 --port $PORT --msl $MSL
# --interval 1 --json ARGS` in the server namespace (in HOLDER's mount
# namespace when HOLDER is set, so its pins outlive it) and wait for its
# "attached" line (SERVE_READY=memory: its later "memory" line). SERVE_PID is
# serve itself, SERVE_LOG its log.
serve_up() {
	local log=$1 i
	shift
	# emptied here, not by the background job's redirection: a log of an earlier
	# serve must not show its "attached" to the wait below
	: >"$log"
	if [ -n "${HOLDER:-}" ]; then
		nsenter --mount="/proc/$HOLDER/ns/mnt" --net="/run/netns/$TOPO-srv" \
			"$SHAKEOFF" serve srv0 --port $PORT --msl ${MSL:-1} --interval 1 --json "$@" \
			>"$log" 2>&1 &
	else
		ip netns exec "$TOPO-srv" "$SHAKEOFF" serve srv0 --port $PORT --msl ${MSL:-1} \
			--interval 1 --json "$@" >"$log" 2>&1 &
	fi
	SERVE_PID=$!
	SERVE_LOG=$log
	for i in $(seq 300); do
		grep -q "\"event\":\"${SERVE_READY:-attached}\"" "$log" && return 0
		if ! kill -0 "$SERVE_PID" 2>/dev/null; then
			wait "$SERVE_PID"
			SERVE_PID=
			fail "serve exited before attaching: $(cat "$log")"
			return
		fi
		sleep 0.1
	done
	fail "serve did not attach within 30 s: $(cat "$log")"
}

# serve_stop: SIGTERM, wait; SERVE_RC is its exit status. serve prints its
# counters once more on the way out.
serve_stop() {
	SERVE_RC=
	[ -n "${SERVE_PID:-}" ] || return 0
	kill -TERM "$SERVE_PID" 2>/dev/null
	wait "$SERVE_PID"
	SERVE_RC=$?
	SERVE_PID=
}

# sstat FIELD: from serve's latest stats line, e.g. .retrans_segs or .counters (one line).
sstat() { grep '"event":"stats"' "$SERVE_LOG" | tail -n 1 | jq -cr "$1"; }

# sstat_fresh FIELD: the same from a stats line printed after this call.
sstat_fresh() {
	local n0 i
	n0=$(grep -c '"event":"stats"' "$SERVE_LOG")
	for i in $(seq 40); do
		[ "$(grep -c '"event":"stats"' "$SERVE_LOG")" -gt "$n0" ] && break
		sleep 0.1
	done
	sstat "$1"
}

# conns: `shakeoff conns srv0 --json`, run by an `ip netns exec` of its own.
conns() { srv "$SHAKEOFF" conns srv0 --json; }
