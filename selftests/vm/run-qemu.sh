#!/bin/bash
# Boot /boot/vmlinuz-KVER with an initramfs from mkinitramfs.sh in QEMU, show the
# guest console live, and turn it into an exit status. See usage() below.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=console-check.sh source-path=SCRIPTDIR
. "$here/console-check.sh"

usage() {
	cat >&2 <<'EOF'
usage: run-qemu.sh --kver KVER --initrd FILE [--cpus N] [--mem M] [--timeout S]
                   [--log FILE] [--append ARGS] [--allow REGEX]
  --cpus 2, --mem 1G, --timeout 300 (seconds, whole run) by default.
  --log FILE     keep the guest console (CR stripped) there.
  --append ARGS  extra kernel command line.
  --allow REGEX  (repeatable) console lines matching it are not kernel problems.
  WHV_QEMU_ACCEL=kvm|tcg overrides the accelerator choice.
  WHV_QEMU_CPU=MODEL runs TCG with that -cpu (e.g. EPYC-Rome,-svm for a host without SVM).
  WHV_QEMU_ICOUNT=1 runs TCG with -icount shift=0,sleep=off: one guest nanosecond is one
                 instruction, and runs repeat exactly (benchmarks).
  WHV_QEMU_ARGS   more QEMU options (e.g. -plugin FILE.so to profile with a TCG plugin).
Exit status:
  the guest command's status (from its WHV-VM-EXIT-STATUS=<n> line), else
  121  the console shows a kernel problem (Oops, BUG:, WARNING:, ...) or the kernel
       taint mask gained D/W/L/B/M after boot; the offending lines are printed
       (console-check.sh)
  124  no exit marker: timeout, panic, hang or QEMU failed to start
  125  (from the guest) an insmod failed
    2  usage error
EOF
	exit 2
}

kver=
initrd=
cpus=2
mem=1G
timeout_s=300
log=
append=
allow=()
while (($#)); do
	case "$1" in
	--kver) kver=${2:?}; shift 2 ;;
	--initrd) initrd=${2:?}; shift 2 ;;
	--cpus) cpus=${2:?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--timeout) timeout_s=${2:?}; shift 2 ;;
	--log) log=${2:?}; shift 2 ;;
	--append) append=${2?}; shift 2 ;;
	--allow) allow+=("${2:?}"); shift 2 ;;
	*) usage ;;
	esac
done
[[ -n "$kver" && -n "$initrd" ]] || usage
kernel=/boot/vmlinuz-$kver
[[ -r "$kernel" ]] || { echo "run-qemu: $kernel not readable" >&2; exit 2; }
[[ -r "$initrd" ]] || { echo "run-qemu: $initrd not readable" >&2; exit 2; }

if [[ -z "$log" ]]; then
	log=$(mktemp "${TMPDIR:-/tmp}/whv-console.XXXXXX")
	trap 'rm -f "$log"' EXIT
fi

# KVM only helps if it can nest SVM; otherwise emulate an SVM-capable CPU.
nested=$(cat /sys/module/kvm_amd/parameters/nested 2>/dev/null || echo 0)
accel=${WHV_QEMU_ACCEL:-}
[[ -z "${WHV_QEMU_CPU:-}" && -z "${WHV_QEMU_ICOUNT:-}" ]] || accel=tcg
if [[ -z "$accel" ]]; then
	accel=tcg
	if [[ -w /dev/kvm ]] && grep -qw svm /proc/cpuinfo && [[ "$nested" == [1Y] ]]; then
		accel=kvm
	fi
fi
case "$accel" in
kvm) accel_args=(-accel kvm -cpu host) ;;
tcg) accel_args=(-accel tcg -cpu "${WHV_QEMU_CPU:-EPYC-Rome,+svm,+npt,+la57}") ;;
*) echo "run-qemu: WHV_QEMU_ACCEL must be kvm or tcg" >&2; exit 2 ;;
esac
if [[ -n "${WHV_QEMU_ICOUNT:-}" ]]; then
	[[ "$accel" == tcg ]] || { echo "run-qemu: icount needs TCG" >&2; exit 2; }
	accel_args+=(-icount shift=0,sleep=off)
fi
# WHV_QEMU_ARGS: more QEMU options, e.g. a TCG plugin to profile with.
read -r -a extra_args <<<"${WHV_QEMU_ARGS:-}"

# loglevel=5: WARN_ON prints at KERN_WARNING (4), which loglevel=4 would hide.
cmdline="console=ttyS0 panic=-1 loglevel=5 $append"

# -nodefaults: no VGA, no NIC (whose option ROM we would need); the serial
# port is the console, on QEMU's stdout. stdin is /dev/null so a terminal is
# never put in raw mode. TCG's "doesn't support requested feature" warnings
# are harmless; CRs from the serial console are dropped.
set +e
timeout -k 10 "$timeout_s" qemu-system-x86_64 -nodefaults -no-user-config \
	"${accel_args[@]}" "${extra_args[@]}" -smp "$cpus" -m "$mem" \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
	-display none -serial stdio -no-reboot </dev/null 2>&1 |
	sed -u -e 's/\r//g' -e "/TCG doesn't support requested feature/d" | tee "$log"
qemu_status=${PIPESTATUS[0]}
set -e

# Known harmless lines: the SRSO advice that Debian 6.1 prints on every boot of
# an emulated EPYC.
allow+=('Speculative Return Stack Overflow: WARNING: See ')

console_verdict run-qemu "$log" "$timeout_s" "$qemu_status" "${allow[@]}"
