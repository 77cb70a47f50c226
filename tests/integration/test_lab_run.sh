#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# `shakeoff lab run`: experiments/tiny.exp runs end to end in namespaces of
# its own and writes a results folder of the documented shape with sane
# figures; a bad file is refused with its FILE:LINE; Ctrl-C (SIGINT) mid-run
# leaves no namespace and no process behind.
. "$(dirname "$0")/lib.sh"
TOPO=lrun
FILTER=${1:-}
# the runner's own namespaces: PREFIX-srv, -cli, -att, -rtr
RUN_PREFIX=lrunx INT_PREFIX=lrunint

run_cleanup() {
	local p
	[ -n "${RUN_PID:-}" ] && kill -TERM "$RUN_PID" 2>/dev/null && wait "$RUN_PID" 2>/dev/null
	for p in $RUN_PREFIX $INT_PREFIX; do
		for ns in srv cli att rtr; do
			ip netns pids "$p-$ns" 2>/dev/null | xargs -r kill -KILL 2>/dev/null
			ip netns del "$p-$ns" 2>/dev/null
		done
	done
	cleanup
}
suite_up run_cleanup jq file

ns_left() { ip netns list | awk '{ print $1 }' | grep -c "^$1-"; }

case_tiny() {
	local res=$WORK/res steps rows d r n
	"$SHAKEOFF" lab run "$ROOT/experiments/tiny.exp" --out "$res" --prefix $RUN_PREFIX \
		>"$WORK/run.out" 2>"$WORK/run.err"
	want_eq "exit status" $? 0 || { cat "$WORK/run.err"; return 1; }
	want_eq "namespaces left" "$(ns_left $RUN_PREFIX)" 0 || return
	for f in meta.json samples.csv steps.jsonl; do
		[ -s "$res/$f" ] || fail "no $f" || return
	done
	jq -e '.experiment == "tiny" and (.machine.cpus > 0) and (.kernel | length > 0) and
		(.settings.defences == "none,guard-always") and (.file | contains("name = tiny"))' \
		"$res/meta.json" >/dev/null || fail "meta.json: $(cat "$res/meta.json")" || return
	steps=$(grep -c . "$res/steps.jsonl")
	want_eq "steps" "$steps" 4 || return
	for d in none guard-always; do
		for r in 0 20000; do
			n=$(jq -c --arg d $d --argjson r $r 'select(.defence == $d and .rate == $r)' \
				"$res/steps.jsonl" | grep -c .)
			want_eq "steps of $d at $r" "$n" 1 || return
		done
	done
	jq -e 'select(.skipped == null) | (.achieved_pps >= 0 and .duration_s > 0 and
		.attempted >= 0 and .synack_sent >= 0 and .cpu.softirq_pct >= 0 and
		.cpu.process_pct >= 0 and (.drops | type == "object"))' "$res/steps.jsonl" |
		grep -qv true && fail "a step with a negative or missing figure: $(cat "$res/steps.jsonl")" && return 1
	# under the flood: the flood arrived at about its rate
	n=$(jq -r 'select(.rate == 20000 and .defence == "none") | .achieved_pps | floor' "$res/steps.jsonl")
	want_range "achieved pps" "$n" 10000 30000 || return
	head -n 1 "$res/samples.csv" | grep -qx 'defence,kind,rate,t,attempted,ok,timeout,rst,refused,short,other,connect_p50_ms,connect_p99_ms,flood_pps,synack_pps,cpu_softirq_pct,cpu_process_pct' ||
		fail "samples.csv header: $(head -n 1 "$res/samples.csv")" || return
	for d in none guard-always; do
		for r in 0 20000; do
			rows=$(grep -c "^$d,syn,$r," "$res/samples.csv")
			want_eq "rows of $d at $r (step = 3)" "$rows" 3 || return
		done
	done
	awk -F, 'NR > 1 { for (i = 3; i <= NF; i++) if ($i < 0) exit 1 }' "$res/samples.csv" ||
		fail "a negative figure in samples.csv" || return
	jq -e 'select(.rate == 0) | .success == 1' "$res/steps.jsonl" | grep -qv true &&
		fail "success without a flood is not 100 %: $(cat "$res/steps.jsonl")" && return 1
	echo "    ok: success 100 % at rate 0"
	for d in none guard-always; do
		for r in 0 20000; do
			[ -s "$res/cdf/$d-syn-$r.csv" ] || fail "no cdf/$d-syn-$r.csv" || return
		done
	done
	[ -s "$res/summary.md" ] && [ -s "$res/summary.json" ] || fail "no summary.md/json" || return
	for png in success p99 cpu cdf; do
		file "$res/plots/$png.png" | grep -q 'PNG image' ||
			fail "plots/$png.png: $(file "$res/plots/$png.png")" || return
	done
	echo "    ok: summary.md, summary.json and the four PNGs"
}

case_refuse() {
	printf 'name = bad\n\nrates = 0, lots\n' >"$WORK/bad.exp"
	refuse "a bad rate names FILE:LINE" "bad.exp:3: rates: 'lots'" \
		"$SHAKEOFF" lab run "$WORK/bad.exp" --prefix $RUN_PREFIX || return
	refuse "an unknown option" "unknown option" "$SHAKEOFF" lab run --bogus || return
	want_eq "namespaces made by a refused run" "$(ns_left $RUN_PREFIX)" 0
}

case_sigint() {
	local i rc
	"$SHAKEOFF" lab run "$ROOT/experiments/tiny.exp" --out "$WORK/int" --prefix $INT_PREFIX \
		--no-report >"$WORK/int.out" 2>"$WORK/int.err" &
	RUN_PID=$!
	# mid-run: the flood of step 2 running
	for i in $(seq 150); do
		grep -q 'step 2/4' "$WORK/int.err" && break
		sleep 0.1
	done
	grep -q 'step 2/4' "$WORK/int.err" || fail "step 2 never began: $(cat "$WORK/int.err")" || return
	sleep 1.5
	want_eq "its namespaces while it runs" "$(ns_left $INT_PREFIX)" 4 || return
	kill -INT $RUN_PID
	for i in $(seq 100); do
		kill -0 $RUN_PID 2>/dev/null || break
		sleep 0.1
	done
	kill -0 $RUN_PID 2>/dev/null && fail "still running 10 s after SIGINT" && return 1
	wait $RUN_PID
	rc=$?
	RUN_PID=
	want_eq "exit status after SIGINT" $rc 1 || return
	grep -q 'stopped by signal' "$WORK/int.err" || fail "no stop line: $(cat "$WORK/int.err")" || return
	want_eq "namespaces left" "$(ns_left $INT_PREFIX)" 0 || return
	want_eq "processes left (nginx, flood)" \
		"$(pgrep -f -c "$WORK/int/nginx|flood att0")" 0
}

run_case "tiny.exp runs: results folder of the documented shape, sane figures" case_tiny
run_case "a bad experiment file is refused with FILE:LINE" case_refuse
run_case "SIGINT mid-run tears everything down" case_sigint
finish
