# shellcheck shell=bash
# Sourced by run-qemu.sh and run-bochs.sh: the verdict on a guest console log
# (CR stripped), one rule for every emulator.
#
#   console_verdict NAME LOG TIMEOUT_S EMU_STATUS [ALLOW_REGEX]...
#
# Returns, with the reasons on stderr (prefixed NAME:)
#   121  kernel problem lines (Oops, BUG:, WARNING:, ...) that no ALLOW_REGEX
#        explains, or kernel taint bits D/W/L/B/M gained after boot
#   124  no WHV-VM-EXIT-STATUS line: timeout, panic, hang or emulator failure
#   else the guest command's status from its WHV-VM-EXIT-STATUS=<n> line.
# An ALLOW_REGEX (grep -E) matching a problem line allows that line; matching
# any line of a "[ cut here ]" ... "---[ end trace" report allows the whole
# report (its WARNING:, Call Trace:, ... lines).

# Die headers look like "<what>: 0000 [#1] ..."; lockdep splats start with
# WARNING: or INFO:.
CONSOLE_PROBLEMS='Oops|BUG:|kernel BUG at|WARNING:|KASAN|UBSAN|KFENCE|general protection fault'
CONSOLE_PROBLEMS+='|: [0-9a-f]{4} \[#[0-9]+\]|Kernel panic|unreferenced object'
CONSOLE_PROBLEMS+='|INFO: task .* blocked|INFO: possible|INFO: trying to register non-static key'
CONSOLE_PROBLEMS+='|possible circular locking|lockdep|RCU stall|self-detected stall|detected stalls'
CONSOLE_PROBLEMS+='|hard LOCKUP|soft lockup|Call Trace:'

# console_problems LOG [ALLOW_REGEX]...: print the problem lines not allowed.
console_problems() {
	local log=$1 re n b line
	shift
	local -a report
	local -A allowed_line=() allowed_report=()
	# report[i]: number of the "cut here" line that line i+1 belongs to, or 0.
	mapfile -t report < <(awk '
		index($0, "------------[ cut here ]------------") { r = NR }
		{ print r + 0 }
		index($0, "---[ end trace ") { r = 0 }' "$log")
	for re in "$@"; do
		while IFS=: read -r n _; do
			allowed_line[$n]=1
			b=${report[n - 1]}
			((b == 0)) || allowed_report[$b]=1
		done < <(grep -anE -- "$re" "$log" || true)
	done
	while IFS= read -r line; do
		n=${line%%:*}
		b=${report[n - 1]}
		[[ -n "${allowed_line[$n]:-}" || -n "${allowed_report[$b]:-}" ]] && continue
		printf '%s\n' "${line#*:}"
	done < <(grep -anE -- "$CONSOLE_PROBLEMS" "$log" || true)
}

console_verdict() {
	local name=$1 log=$2 timeout_s=$3 emu_status=$4 bad taint boot status
	shift 4
	bad=$(console_problems "$log" "$@")

	# Taint bits that mean trouble: M(4) B(5) D(7) W(9) L(14); O/E (out-of-tree,
	# unsigned) are expected for our module. Bits the kernel had before /init
	# ran (WHV-VM-TAINT-BOOT) do not count: their console lines do.
	taint=$(grep -aoE '^WHV-VM-TAINT=[0-9]+$' "$log" | tail -n 1 | cut -d= -f2 || true)
	boot=$(grep -aoE '^WHV-VM-TAINT-BOOT=[0-9]+$' "$log" | tail -n 1 | cut -d= -f2 || true)
	if [[ -n "$taint" ]] &&
		((taint & ~${boot:-0} & (1 << 4 | 1 << 5 | 1 << 7 | 1 << 9 | 1 << 14))); then
		bad+=$'\n'"WHV-VM-TAINT=$taint, at boot ${boot:-0} (kernel tainted by machine check,"
		bad+=" bad page, oops, warning or lockup)"
	fi
	bad=$(printf '%s\n' "$bad" | sed '/^$/d')

	status=$(grep -aoE '^WHV-VM-EXIT-STATUS=[0-9]+$' "$log" | tail -n 1 | cut -d= -f2 || true)

	if [[ -n "$bad" ]]; then
		echo "$name: FAIL: kernel problem lines in the guest console:" >&2
		printf '%s\n' "$bad" | sed "s/^/$name:   /" >&2
		return 121
	fi
	if [[ -z "$status" ]]; then
		echo "$name: FAIL: no WHV-VM-EXIT-STATUS line (timeout ${timeout_s}s, panic or" \
			"emulator failure; emulator/timeout status $emu_status)" >&2
		return 124
	fi
	return "$status"
}
