#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The README's CLI block against the binary: every option and word choice that
# `shakeoff CMD --help` lists is in the README's synopsis of CMD, and every
# option the README shows there is one the binary accepts. No root needed.
. "$(dirname "$0")/lib.sh"
TOPO=docs
README=$ROOT/README.md
COMMANDS="guard ports src stats status detach serve conns flood probe lab trace check"
trap 'rm -rf "$WORK"' EXIT

# The README's synopsis of a command: from "shakeoff CMD" to the next "shakeoff" line.
readme_block() {
	sed -n '/^## CLI$/,/^## /p' "$README" | sed -n '/^```$/,/^```$/p' |
		awk -v cmd="$1" '/^shakeoff / { on = ($2 == cmd) } on'
}

opts_of() { grep -oE -- '--[a-z][a-z0-9-]+' | sort -u; }

case_options() {
	local cmd bad=0 help block o
	for cmd in $COMMANDS; do
		help=$("$SHAKEOFF" "$cmd" --help) || fail "$cmd --help exited $?" || return
		# lab's subcommands with options of their own
		[ "$cmd" = lab ] && help+=$'\n'$("$SHAKEOFF" lab run --help)
		[ "$cmd" = lab ] && help+=$'\n'$("$SHAKEOFF" lab fleet --help)
		block=$(readme_block "$cmd")
		[ -n "$block" ] || { echo "README's CLI block has no 'shakeoff $cmd'"; bad=1; continue; }
		for o in $(opts_of <<<"$help"); do
			[ "$o" = --help ] && continue
			grep -q -- "$o\b" <<<"$block" || { echo "README lacks $cmd $o"; bad=1; }
		done
		for o in $(opts_of <<<"$block"); do
			grep -q -- "$o\b" <<<"$help" || { echo "README shows $cmd $o; the binary has no such option"; bad=1; }
		done
	done
	return $bad
}

# Word choices (--app echo|discard|close, lab's programs) as the binary lists them.
case_choices() {
	local bad=0 w help
	help=$("$SHAKEOFF" lab --help)
	for w in reflect count pass drop lossy; do
		grep -qw "$w" <<<"$help" || { echo "lab --help lacks $w"; bad=1; }
		readme_block lab | grep -qw "$w" || { echo "README's lab synopsis lacks $w"; bad=1; }
		"$SHAKEOFF" --help | grep -E '^  lab ' | grep -qw "$w" || { echo "shakeoff --help's lab line lacks $w"; bad=1; }
	done
	help=$("$SHAKEOFF" serve --help)
	for w in $(grep -oE -- '--app [a-z|]+' <<<"$help" | cut -d' ' -f2 | tr '|' ' '); do
		readme_block serve | grep -qw "$w" || { echo "README's serve synopsis lacks app $w"; bad=1; }
	done
	return $bad
}

case_commands() {
	local bad=0 cmd
	for cmd in $COMMANDS; do
		"$SHAKEOFF" --help | grep -qE "^  $cmd " || { echo "shakeoff --help lacks $cmd"; bad=1; }
	done
	for cmd in $("$SHAKEOFF" --help | sed -n '/^Commands:/,/^$/p' | awk 'NR > 1 && NF { print $1 }'); do
		grep -qw "$cmd" <<<"$COMMANDS" || { echo "test_docs does not know command $cmd"; bad=1; }
	done
	return $bad
}

run_case "docs: every command in shakeoff --help" case_commands
run_case "docs: README CLI options match COMMAND --help" case_options
run_case "docs: app and lab program names everywhere" case_choices
finish
