# SPDX-License-Identifier: GPL-2.0
# bash completion for shakeoff(8). The commands, their options, the options'
# value choices and the operands all come from the binary's own --help (the
# option tables the parser reads), so nothing here goes stale as flags are added.

# The option lines of `shakeoff CMD --help`: "--name" or "--name ARG", one a line.
_shakeoff_opts() {
	"$1" "${@:2}" --help 2>/dev/null |
		sed -nE 's/^ +(-[A-Za-z], )?(--[a-z][a-z0-9-]*)( ([^ ]+))?.*/\2 \4/p'
}

_shakeoff() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD - 1]}
	local bin=${COMP_WORDS[0]} cmd='' i w opts arg usage choices
	local -a operands=() with_arg=()

	COMPREPLY=()
	[ "$bin" = shakeoff ] || command -v "$bin" >/dev/null 2>&1 || bin=shakeoff
	for ((i = 1; i < COMP_CWORD; i++)); do
		[[ ${COMP_WORDS[i]} == -* ]] && continue
		cmd=${COMP_WORDS[i]}
		break
	done
	if [ -z "$cmd" ]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "-q --quiet -v -vv --verbose -h --help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$("$bin" --help 2>/dev/null |
				sed -n '/^Commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p')" -- "$cur"))
		fi
		return 0
	fi

	# lab (and any command whose usage lists "shakeoff CMD SUB ..." lines) has sub-commands
	usage=$("$bin" "$cmd" --help 2>/dev/null | sed -n '1,/^$/p')
	local subs
	subs=$(sed -nE "s/^(Usage:)? *shakeoff $cmd ([a-z]+) .*/\2/p" <<<"$usage" | grep -vx IFACE)
	local -a cmdv=("$cmd")
	if [ -n "$subs" ]; then
		local sub=''
		for ((i = i + 1; i < COMP_CWORD; i++)); do
			[[ ${COMP_WORDS[i]} == -* ]] && continue
			sub=${COMP_WORDS[i]}
			break
		done
		if [ -z "$sub" ]; then
			COMPREPLY=($(compgen -W "$subs" -- "$cur"))
			return 0
		fi
		cmdv+=("$sub")
		usage=$(grep -E "shakeoff $cmd $sub " <<<"$usage")
	fi

	opts=$(_shakeoff_opts "$bin" "$cmd")
	while read -r w arg; do
		[ -n "$arg" ] && with_arg+=("$w")
	done <<<"$opts"

	# the value of an option: its choices (a|b), a file, or nothing to offer
	if [[ $prev == --* ]]; then
		arg=$(awk -v o="$prev" '$1 == o { print $2; exit }' <<<"$opts")
		if [ -n "$arg" ]; then
			case $arg in
			*'|'*) COMPREPLY=($(compgen -W "${arg//|/ }" -- "$cur")) ;;
			FILE) COMPREPLY=($(compgen -f -- "$cur")) ;;
			MODE) COMPREPLY=($(compgen -W "native generic" -- "$cur")) ;;
			esac
			return 0
		fi
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$(awk '{ print $1 }' <<<"$opts")" -- "$cur"))
		return 0
	fi

	# operands typed so far, after the command (and sub-command), option values skipped
	for ((i = i + 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $w == --* ]]; then
			[[ " ${with_arg[*]} " == *" $w "* ]] && i=$((i + 1))
			continue
		fi
		[[ $w == -* ]] && continue
		operands+=("$w")
	done
	case ${#operands[@]} in
	0)
		# an operand named DIR (lab report DIR) is a directory, else an interface
		if grep -qE " DIR( |$)" <<<"$usage"; then
			COMPREPLY=($(compgen -d -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(ls /sys/class/net 2>/dev/null)" -- "$cur"))
		fi
		;;
	1)
		# the words after IFACE in the usage lines (lab attach IFACE reflect|count|...,
		# ports IFACE list / IFACE add|del PORTS)
		choices=$(grep -oE 'IFACE [a-z][a-z|]*' <<<"$usage" | cut -d' ' -f2 | tr '|\n' '  ')
		[ -n "$choices" ] && COMPREPLY=($(compgen -W "$choices" -- "$cur"))
		;;
	esac
	return 0
}
complete -F _shakeoff shakeoff
