#!/bin/bash
# Boot /boot/vmlinuz-KVER with an initramfs from mkinitramfs.sh in QEMU, show the
# guest console live, and turn it into an exit status. See usage() below.
set -euo pipefail

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
Exit status:
  the guest command's status (from its WHV-VM-EXIT-STATUS=<n> line), else
  121  the console shows a kernel problem (Oops, BUG:, WARNING:, ...) or the kernel
       taint mask gained D/W/L/B/M; the offending lines are printed
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
[[ -z "${WHV_QEMU_CPU:-}" ]] || accel=tcg
if [[ -z "$accel" ]]; then
	accel=tcg
	if [[ -w /dev/kvm ]] && grep -qw svm /proc/cpuinfo && [[ "$nested" == [1Y] ]]; then
		accel=kvm
	fi
fi
case "$accel" in
kvm) accel_args=(-accel kvm -cpu host) ;;
tcg) accel_args=(-accel tcg -cpu "${WHV_QEMU_CPU:-EPYC-Rome,+svm,+npt}") ;;
*) echo "run-qemu: WHV_QEMU_ACCEL must be kvm or tcg" >&2; exit 2 ;;
esac

# loglevel=5: WARN_ON prints at KERN_WARNING (4), which loglevel=4 would hide.
cmdline="console=ttyS0 panic=-1 loglevel=5 $append"

# -nodefaults: no VGA, no NIC (whose option ROM we would need); the serial
# port is the console, on QEMU's stdout. stdin is /dev/null so a terminal is
# never put in raw mode. TCG's "doesn't support requested feature" warnings
# are harmless; CRs from the serial console are dropped.
set +e
timeout -k 10 "$timeout_s" qemu-system-x86_64 -nodefaults -no-user-config \
	"${accel_args[@]}" -smp "$cpus" -m "$mem" \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
	-display none -serial stdio -no-reboot </dev/null 2>&1 |
	sed -u -e 's/\r//g' -e "/TCG doesn't support requested feature/d" | tee "$log"
qemu_status=${PIPESTATUS[0]}
set -e

# Kernel problem lines. Die headers look like "<what>: 0000 [#1] ..."; lockdep
# splats start with WARNING: or INFO:.
problems='Oops|BUG:|kernel BUG at|WARNING:|KASAN|UBSAN|KFENCE|general protection fault'
problems+='|: [0-9a-f]{4} \[#[0-9]+\]|Kernel panic|unreferenced object'
problems+='|INFO: task .* blocked|INFO: possible|INFO: trying to register non-static key'
problems+='|possible circular locking|lockdep|RCU stall|self-detected stall|detected stalls'
problems+='|hard LOCKUP|soft lockup|Call Trace:'

# Known harmless lines: the SRSO advice that Debian 6.1 prints on every boot of
# an emulated EPYC.
allow+=('Speculative Return Stack Overflow: WARNING: See ')

bad=$(grep -aE "$problems" "$log" || true)
for re in "${allow[@]}"; do
	bad=$(printf '%s\n' "$bad" | grep -avE "$re" || true)
done

# Taint bits that mean trouble: M(4) B(5) D(7) W(9) L(14). O/E (out-of-tree,
# unsigned) are expected for our module.
taint=$(grep -aoE '^WHV-VM-TAINT=[0-9]+$' "$log" | tail -n 1 | cut -d= -f2 || true)
if [[ -n "$taint" ]] && ((taint & (1 << 4 | 1 << 5 | 1 << 7 | 1 << 9 | 1 << 14))); then
	bad+=$'\n'"WHV-VM-TAINT=$taint (kernel tainted by machine check, bad page, oops, warning or lockup)"
fi
bad=$(printf '%s\n' "$bad" | sed '/^$/d')

status=$(grep -aoE '^WHV-VM-EXIT-STATUS=[0-9]+$' "$log" | tail -n 1 | cut -d= -f2 || true)

if [[ -n "$bad" ]]; then
	echo "run-qemu: FAIL: kernel problem lines in the guest console:" >&2
	printf '%s\n' "$bad" | sed 's/^/run-qemu:   /' >&2
	exit 121
fi
if [[ -z "$status" ]]; then
	echo "run-qemu: FAIL: no WHV-VM-EXIT-STATUS line (timeout ${timeout_s}s, panic or" \
		"QEMU failure; qemu/timeout status $qemu_status)" >&2
	exit 124
fi
exit "$status"
