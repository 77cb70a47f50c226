#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Packaging and operations: make install/uninstall into a DESTDIR (binary
# stripped, man page complete and clean, bash completion, systemd units that
# systemd-analyze accepts), sd_notify readiness of guard, `shakeoff check`,
# and the -q/-v/-vv levels. Only the last three use the namespaces.
#   [VERBOSE=1] bash tests/integration/test_install.sh [CASE-NAME-FILTER]
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$HERE/lib.sh"
TOPO=inst
FILTER=${1:-}
DEST=$WORK/dest
PFX=/usr

suite_up cleanup jq make readelf man

# The commands, as `shakeoff --help` lists them.
commands() { "$SHAKEOFF" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'; }

# Install once for the file cases (each case may also run on its own).
installed() {
	[ -x "$DEST$PFX/sbin/shakeoff" ] && return 0
	make -s -C "$ROOT" install DESTDIR="$DEST" PREFIX="$PFX" >"$WORK/install.log" 2>&1 ||
		fail "make install failed: $(tail -n 5 "$WORK/install.log")"
}

case_files() {
	local f
	installed || return
	for f in sbin/shakeoff share/man/man8/shakeoff.8 share/bash-completion/completions/shakeoff \
		lib/systemd/system/shakeoff-guard@.service lib/systemd/system/shakeoff-serve@.service \
		share/shakeoff/scenarios/textbook.py share/shakeoff/scenarios/wire.py; do
		[ -f "$DEST$PFX/$f" ] || fail "no $PFX/$f" || return
		echo "    ok: $PFX/$f"
	done
	# the installed binary finds its scenario engine under PREFIX/share/shakeoff
	"$DEST$PFX/sbin/shakeoff" lab scenario list | grep -q '^three-way-handshake ' ||
		fail "the installed shakeoff lab scenario list does not list the cases" || return
	if [ -f "$ROOT/etc/shakeoff/example.conf" ]; then
		cmp "$ROOT/etc/shakeoff/example.conf" "$DEST/etc/shakeoff/example.conf" ||
			fail "etc/shakeoff/example.conf is not installed as /etc/shakeoff/example.conf" || return
	fi
	grep -q "ExecStart=$PFX/sbin/shakeoff guard %I --config /etc/shakeoff/%I.conf" \
		"$DEST$PFX/lib/systemd/system/shakeoff-guard@.service" ||
		fail "the guard unit does not start $PFX/sbin/shakeoff guard %I --config ..."
}

case_stripped() {
	local bin=$DEST$PFX/sbin/shakeoff v
	installed || return
	readelf -S "$bin" | grep -q '\.symtab' && { fail "installed binary has a .symtab"; return; }
	readelf -S "$SHAKEOFF" | grep -q '\.symtab' || fail "the build's ./shakeoff lost its symbols" || return
	v=$("$bin" --version) || fail "installed binary: --version exited $?" || return
	want_eq "installed --version" "$v" "$("$SHAKEOFF" --version)"
}

case_man_renders() {
	local page=$DEST$PFX/share/man/man8/shakeoff.8 warn
	installed || return
	warn=$(MANWIDTH=80 man -l --warnings "$page" 2>&1 >/dev/null)
	[ -z "$warn" ] || fail "man --warnings: $warn" || return
	MANWIDTH=80 man -l "$page" 2>/dev/null | grep -q '^EXIT STATUS' || fail "no EXIT STATUS section"
}

# Every long option `shakeoff CMD --help` prints is in CMD's section of the page.
case_man_complete() {
	local page=$DEST$PFX/share/man/man8/shakeoff.8 cmd o sect bad=0
	installed || return
	for cmd in $(commands); do
		sect=$(awk -v c="$cmd" '/^\.S[SH] / { on = ($1 == ".SS" && $2 == c) } on' "$page" |
			sed 's/\\-/-/g')
		[ -n "$sect" ] || { echo "    the man page has no section .SS $cmd"; bad=1; continue; }
		for o in $("$SHAKEOFF" "$cmd" --help | grep -oE -- '--[a-z][a-z0-9-]+' | sort -u); do
			[ "$o" = --help ] && continue
			grep -q -- "$o\b" <<<"$sect" || { echo "    man page section $cmd lacks $o"; bad=1; }
		done
	done
	return $bad
}

# Source the completion as bash-completion would and ask it as bash does on TAB.
case_completion() {
	local out
	installed || return
	out=$(PATH=$(dirname "$SHAKEOFF"):$PATH bash -c '
		. "$1" || exit 1
		complete -p shakeoff >/dev/null || exit 1
		t() { COMP_WORDS=("$@"); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _shakeoff; echo "${COMPREPLY[*]}"; }
		t shakeoff ""
		t shakeoff guard lo --coo
		t shakeoff guard lo --cookies ""
		t shakeoff guard ""
		t shakeoff lab attach lo ""
		t shakeoff ports lo ""
		t shakeoff lab scenario ""
		t shakeoff lab scenario run ""
		t shakeoff lab scenario run x --server ""' _ "$DEST$PFX/share/bash-completion/completions/shakeoff") ||
		fail "the completion does not load" || return
	echo "$out" | sed 's/^/    | /'
	want_eq "commands" "$(sed -n 1p <<<"$out")" "$(commands | paste -sd' ')" || return
	want_eq "guard --coo" "$(sed -n 2p <<<"$out")" "--cookies" || return
	want_eq "--cookies values" "$(sed -n 3p <<<"$out")" "always auto" || return
	grep -qw lo <<<"$(sed -n 4p <<<"$out")" || fail "IFACE does not complete to interface names" || return
	want_eq "lab attach programs" "$(sed -n 5p <<<"$out")" "reflect count pass drop lossy" || return
	want_eq "ports actions" "$(sed -n 6p <<<"$out")" "list add del" || return
	want_eq "lab scenario words" "$(sed -n 7p <<<"$out")" "list run" || return
	grep -qw old-duplicate-syn <<<"$(sed -n 8p <<<"$out")" ||
		fail "lab scenario run does not complete to the cases: $(sed -n 8p <<<"$out")" || return
	want_eq "lab scenario --server values" "$(sed -n 9p <<<"$out")" "kernel serve guard"
}

# systemd-analyze verify wants the unit's ExecStart binary and its man: page to exist:
# verify copies whose ExecStart is the DESTDIR binary, with MANPATH on the DESTDIR.
case_units_verify() {
	local u
	installed || return
	command -v systemd-analyze >/dev/null || { echo "no systemd-analyze"; return 77; }
	mkdir -p "$WORK/units"
	for u in guard serve; do
		sed "s|$PFX/sbin/shakeoff|$DEST$PFX/sbin/shakeoff|" \
			"$DEST$PFX/lib/systemd/system/shakeoff-$u@.service" >"$WORK/units/shakeoff-$u@srv0.service"
	done
	MANPATH=$DEST$PFX/share/man systemd-analyze verify "$WORK/units/shakeoff-guard@srv0.service" \
		"$WORK/units/shakeoff-serve@srv0.service" >"$WORK/verify.log" 2>&1 ||
		fail "systemd-analyze verify: $(cat "$WORK/verify.log")" || return
	[ ! -s "$WORK/verify.log" ] || fail "systemd-analyze verify warns: $(cat "$WORK/verify.log")" || return
	grep -q '^Type=notify' "$WORK/units/shakeoff-guard@srv0.service" || fail "guard unit is not Type=notify" || return
	grep -q '^ExecReload=/bin/kill -HUP \$MAINPID' "$WORK/units/shakeoff-guard@srv0.service" ||
		fail "guard unit does not reload by SIGHUP"
}

case_uninstall() {
	local left
	installed || return
	make -s -C "$ROOT" uninstall DESTDIR="$DEST" PREFIX="$PFX" >"$WORK/uninstall.log" 2>&1 ||
		fail "make uninstall failed: $(tail -n 5 "$WORK/uninstall.log")" || return
	left=$(find "$DEST" ! -type d)
	[ -z "$left" ] || fail "make uninstall left: $left"
}

# A NOTIFY_SOCKET listener: every datagram one line in OUT. At READY=1 it stops
# the sender (its pid from SCM_CREDENTIALS), notes which XDP program srv0
# carries, and lets it go on: what the sender had done when it said READY=1.
# Ends at STOPPING=1 or after 30 s.
notify_listen() {	# ADDR OUT [NETNS]
	local run=()
	[ -n "${3:-}" ] && run=(ip netns exec "$3")
	"${run[@]}" "$PY" -c '
import json, os, signal, socket, struct, subprocess, sys
addr, out, ns = sys.argv[1], sys.argv[2], sys.argv[3]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind("\0" + addr[1:] if addr.startswith("@") else addr)
s.settimeout(30)
open(out + ".up", "w").close()
with open(out, "a") as f:
    while True:
        try:
            data, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
        except socket.timeout:
            break
        m = data.decode()
        pid = 0
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                pid = struct.unpack("iII", cdata[:12])[0]
        if "READY=1" in m and pid > 0:
            os.kill(pid, signal.SIGSTOP)
            j = subprocess.run(["ip", "-n", ns, "-j", "link", "show", "dev", "srv0"],
                               capture_output=True, text=True).stdout
            os.kill(pid, signal.SIGCONT)
            prog = (json.loads(j)[0].get("xdp") or {}).get("prog", {}).get("name", "none")
            m += "\nXDP_AT_READY=" + prog
        f.write(m.replace("\n", " ") + "\n")
        f.flush()
        if "STOPPING=1" in m:
            break
' "$1" "$2" "$TOPO-srv" &
	local i
	for i in $(seq 50); do
		[ -e "$2.up" ] && return 0
		sleep 0.1
	done
	fail "the notify listener did not start"
}

wait_line() { wait_grep "$1" "$2" 300 -G; }  # FILE PATTERN

case_notify_ready() {
	local sock=$WORK/notify.sock out=$WORK/notify.out
	srv sysctl -qw net.ipv4.tcp_syncookies=1 net.ipv4.tcp_sack=1
	notify_listen "$sock" "$out" || return
	NOTIFY_SOCKET=$sock ip netns exec "$TOPO-srv" "$SHAKEOFF" guard srv0 --ports 8080 \
		--interval 0 >"$WORK/guard.log" 2>&1 &
	GUARD_PID=$!
	wait_line "$out" READY=1 || fail "no READY=1 from guard: $(cat "$WORK/guard.log")" || return
	cat "$out" | sed 's/^/    | /'
	grep -q 'READY=1.*XDP_AT_READY=so_guard_xdp' "$out" ||
		fail "READY=1 came before guard's XDP program was on srv0" || return
	grep -q 'Ctrl-C to detach' "$WORK/guard.log" || fail "READY=1 before the attach announcement" || return
	kill -TERM "$GUARD_PID"
	wait "$GUARD_PID"
	GUARD_PID=
	wait_line "$out" STOPPING=1 || fail "no STOPPING=1 at SIGTERM"
}

# An abstract socket ("@name", in the network namespace) works as a path does;
# a guard that refuses to start (tcp_sack=0) never says READY=1.
case_notify_abstract_refused() {
	local name="@shakeoff-test-$$" out=$WORK/notify2.out rc
	notify_listen "$name" "$out" "$TOPO-srv" || return
	srv sysctl -qw net.ipv4.tcp_sack=0
	NOTIFY_SOCKET=$name ip netns exec "$TOPO-srv" "$SHAKEOFF" guard srv0 --ports 8080 \
		--interval 0 >"$WORK/guard2.log" 2>&1
	rc=$?
	srv sysctl -qw net.ipv4.tcp_sack=1
	want_eq "refused guard's exit" "$rc" 2 || return
	sleep 0.3
	! grep -q READY=1 "$out" || fail "a guard that refused sent READY=1" || return
	NOTIFY_SOCKET=$name ip netns exec "$TOPO-srv" "$SHAKEOFF" guard srv0 --ports 8080 \
		--interval 0 >"$WORK/guard2.log" 2>&1 &
	GUARD_PID=$!
	wait_line "$out" READY=1 || fail "no READY=1 on the abstract socket" || return
	echo "    ok: $(head -n 1 "$out")"
}

# SIGHUP (systemctl reload): RELOADING=1, then READY=1 again once applied.
case_notify_reload() {
	local sock=$WORK/notify4.sock out=$WORK/notify4.out i
	printf 'ports = 8080\ninterval = 0\n' >"$WORK/g.conf"
	notify_listen "$sock" "$out" || return
	NOTIFY_SOCKET=$sock ip netns exec "$TOPO-srv" "$SHAKEOFF" guard srv0 --config "$WORK/g.conf" \
		>"$WORK/guard4.log" 2>&1 &
	GUARD_PID=$!
	wait_line "$out" READY=1 || fail "no READY=1: $(cat "$WORK/guard4.log")" || return
	printf 'ports = 8080,8081\ninterval = 0\n' >"$WORK/g.conf"
	kill -HUP "$GUARD_PID"
	wait_line "$out" RELOADING=1 || fail "no RELOADING=1 at SIGHUP" || return
	for i in $(seq 50); do
		[ "$(grep -c READY=1 "$out")" -ge 2 ] && break
		sleep 0.1
	done
	sed 's/^/    | /' "$out"
	[ "$(grep -c READY=1 "$out")" -ge 2 ] || fail "no READY=1 after the reload" || return
	[ "$(grep -n RELOADING=1 "$out" | cut -d: -f1)" -lt "$(grep -n READY=1 "$out" | tail -n 1 | cut -d: -f1)" ] ||
		fail "READY=1 came before RELOADING=1" || return
	wait_line "$WORK/guard4.log" reloaded || fail "guard did not reload: $(cat "$WORK/guard4.log")"
}

case_notify_serve() {
	local sock=$WORK/notify3.sock out=$WORK/notify3.out pid
	notify_listen "$sock" "$out" || return
	NOTIFY_SOCKET=$sock ip netns exec "$TOPO-srv" "$SHAKEOFF" serve srv0 --port 7 \
		--interval 0 >"$WORK/serve.log" 2>&1 &
	pid=$!
	wait_line "$out" READY=1 || fail "no READY=1 from serve: $(cat "$WORK/serve.log")" || return
	echo "    ok: $(head -n 1 "$out")"
	grep -q 'READY=1.*XDP_AT_READY=so_serve_xdp' "$out" ||
		fail "READY=1 came before serve's XDP program was on srv0" || return
	kill -TERM "$pid"
	wait "$pid"
	wait_line "$out" STOPPING=1 || fail "no STOPPING=1 from serve at SIGTERM"
}

case_check() {
	local rc
	srv sysctl -qw net.ipv4.tcp_syncookies=1 net.ipv4.tcp_sack=1 net.ipv4.tcp_timestamps=1 \
		net.ipv4.tcp_window_scaling=1
	srv "$SHAKEOFF" check srv0 >"$WORK/check.out" 2>&1
	rc=$?
	sed 's/^/    | /' "$WORK/check.out"
	want_eq "check exit, all present" "$rc" 0 || return
	grep -qE '^ok +kfunc ' "$WORK/check.out" || fail "no ok kfunc line" || return
	grep -qE '^ok +net.ipv4.tcp_syncookies ' "$WORK/check.out" || fail "no ok tcp_syncookies line" || return
	grep -qE '^ok +xdp .*driver veth' "$WORK/check.out" || fail "no ok xdp line naming veth" || return
	! grep -qE '^missing' "$WORK/check.out" || fail "something missing on a complete system" || return
	[ -z "$(ip -n "$TOPO-srv" -j link show dev srv0 | jq -r '.[0].xdp.prog.name // empty')" ] ||
		fail "check attached an XDP program" || return

	srv sysctl -qw net.ipv4.tcp_timestamps=0
	srv "$SHAKEOFF" check srv0 >"$WORK/check.out" 2>&1
	rc=$?
	srv "$SHAKEOFF" check srv0 --json >"$WORK/check.json" 2>&1
	srv sysctl -qw net.ipv4.tcp_timestamps=1
	want_eq "check exit, tcp_timestamps=0" "$rc" 1 || return
	grep -E '^missing +net.ipv4.tcp_timestamps ' "$WORK/check.out" | sed 's/^/    /' | grep . ||
		fail "no missing tcp_timestamps line: $(cat "$WORK/check.out")" || return
	jq -e '.guard_ready == false and .serve_ready == true and
		(.checks[] | select(.name == "net.ipv4.tcp_timestamps") | .status == "missing")' \
		"$WORK/check.json" >/dev/null || fail "--json: $(cat "$WORK/check.json")" || return
	refuse "check of an unknown interface" "unknown interface" srv "$SHAKEOFF" check nosuch0
}

# Default: no debug lines; -v: ours (bpffs mounted in a fresh ip netns exec) but
# not libbpf's debug output; -vv: libbpf's too. -q hides the one-line notes.
case_verbosity() {
	local lvl n
	srv sysctl -qw net.ipv4.tcp_sack=1
	for lvl in "" -v -vv; do
		ip netns exec "$TOPO-srv" "$SHAKEOFF" $lvl guard srv0 --ports 8080 --interval 0 \
			>"$WORK/v.out" 2>"$WORK/v$lvl.err" &
		GUARD_PID=$!
		wait_line "$WORK/v.out" 'Ctrl-C to detach' || fail "guard $lvl did not attach" || return
		guard_stop
		echo "    $lvl: $(grep -c . "$WORK/v$lvl.err") stderr line(s)"
	done
	! grep -q 'mounted bpffs' "$WORK/v.err" || fail "debug line without -v" || return
	! grep -q '^libbpf: ' "$WORK/v.err" || fail "libbpf output without -v" || return
	grep -q 'mounted bpffs' "$WORK/v-v.err" || fail "-v lacks our debug lines" || return
	! grep -q '^libbpf: ' "$WORK/v-v.err" || fail "-v shows libbpf's debug output" || return
	grep -q '^libbpf: ' "$WORK/v-vv.err" || fail "-vv lacks libbpf's debug output" || return
	n=$(grep -c 'verification time' "$WORK/v-vv.err")
	[ "$n" -ge 1 ] || fail "-vv lacks the verifier statistics" || return
	srv "$SHAKEOFF" lab attach srv0 pass 2>"$WORK/q0.err" >/dev/null || fail "lab attach failed" || return
	srv "$SHAKEOFF" lab detach srv0 >/dev/null 2>&1
	srv "$SHAKEOFF" -q lab attach srv0 pass 2>"$WORK/q.err" >/dev/null || fail "-q lab attach failed" || return
	srv "$SHAKEOFF" lab detach srv0 >/dev/null 2>&1
	grep -q attached "$WORK/q0.err" || fail "lab attach printed no note" || return
	[ ! -s "$WORK/q.err" ] || fail "-q still printed: $(cat "$WORK/q.err")"
}

run_case "install: every file in its place" case_files
run_case "install: the binary is stripped and runs" case_stripped
run_case "install: man page renders without warnings" case_man_renders
run_case "install: man page names every option of every command" case_man_complete
run_case "install: bash completion loads and completes" case_completion
run_case "install: systemd-analyze verify accepts the units" case_units_verify
run_case "install: make uninstall leaves no file" case_uninstall
run_case "notify: READY=1 only once guard is attached, STOPPING=1 at SIGTERM" case_notify_ready
run_case "notify: abstract socket; no READY=1 from a refused start" case_notify_abstract_refused
run_case "notify: SIGHUP gives RELOADING=1, then READY=1" case_notify_reload
run_case "notify: serve's READY=1 once attached, STOPPING=1 at SIGTERM" case_notify_serve
run_case "check: ok on a complete system, missing sysctl exits 1, --json" case_check
run_case "verbosity: -q, default, -v and -vv differ" case_verbosity
finish
