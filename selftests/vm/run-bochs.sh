#!/bin/bash
# Boot Debian's kernel KVER with an initramfs from mkinitramfs.sh in Bochs, on
# an Intel CPU model with VMX (EPT, VPID, unrestricted guest), show the guest
# console live, and turn it into an exit status: run-qemu.sh's interface and
# exit statuses, for the VMX backend. See usage() below.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=console-check.sh source-path=SCRIPTDIR
. "$here/console-check.sh"

usage() {
	cat >&2 <<'EOF'
usage: run-bochs.sh --kver KVER --initrd FILE [--cpus N] [--mem M] [--timeout S]
                    [--log FILE] [--append ARGS] [--allow REGEX]
  --cpus 2, --mem 1G (M or G suffix, else MiB), --timeout 600 (seconds, whole
  run) by default. --log, --append, --allow as for run-qemu.sh; with --log
  FILE, Bochs's own log (VMX entry failures, unknown MSRs, ...) is kept in
  FILE.bochs.
  WHV_BOCHS_BOOT=pvh|bzimage   pvh (default): the uncompressed vmlinux through
       its PVH entry, via isolinux, mboot.c32 and pvhboot/ (built and cached in
       build/bochs); bzimage: /boot/vmlinuz-KVER via isolinux (5x slower).
  WHV_BOCHS_CPU=MODEL   Bochs CPU model (default corei7_skylake_x).
  WHV_BOCHS_IPS=N       Bochs instructions per emulated second (default 50000000).
  WHV_BOCHS_ICOUNT=1    one guest nanosecond is one instruction (benchmarks;
       run-qemu.sh's WHV_QEMU_ICOUNT): 10^9 instructions per emulated second,
       and the guest kernel told its TSC runs at 1 GHz (Bochs's TSC counts
       instructions; the kernel would otherwise take the CPU model's 3.5 GHz
       from CPUID). Runs repeat to a few parts per million, not exactly as
       under QEMU (boot timing varies by a microsecond or so). Overrides
       WHV_BOCHS_IPS.
Exit status:
  the guest command's status (from its WHV-VM-EXIT-STATUS=<n> line), else
  121  the console shows a kernel problem (Oops, BUG:, WARNING:, ...) or the kernel
       taint mask gained D/W/L/B/M after boot; the offending lines are printed
       (console-check.sh)
  124  no exit marker: timeout, panic, hang or Bochs failed to start
  125  (from the guest) an insmod failed
    2  usage error
Runs take turns (flock /tmp/whv-bochs.lock): each Bochs wants a host core.
EOF
	exit 2
}

kver=
initrd=
cpus=2
mem=1G
timeout_s=600
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
[[ "$cpus" =~ ^[1-9][0-9]*$ ]] || usage
case "$mem" in
*[gG]) mem_mb=$((${mem%[gG]} * 1024)) ;;
*[mM]) mem_mb=${mem%[mM]} ;;
*) mem_mb=$mem ;;
esac
[[ "$mem_mb" =~ ^[1-9][0-9]*$ ]] || usage
# Bochs holds at most 2 GiB of guest RAM in memory; the rest goes to a file.
host_mb=$((mem_mb < 2048 ? mem_mb : 2048))
kernel=/boot/vmlinuz-$kver
[[ -r "$kernel" ]] || { echo "run-bochs: $kernel not readable" >&2; exit 2; }
[[ -r "$initrd" ]] || { echo "run-bochs: $initrd not readable" >&2; exit 2; }
boot=${WHV_BOCHS_BOOT:-pvh}
ips=${WHV_BOCHS_IPS:-50000000}
[[ -z "${WHV_BOCHS_ICOUNT:-}" ]] || ips=1000000000
[[ "$boot" == pvh || "$boot" == bzimage ]] ||
	{ echo "run-bochs: WHV_BOCHS_BOOT must be pvh or bzimage" >&2; exit 2; }

# One Bochs at a time on this host: each wants a core of its own, and two at
# once take twice as long each. (The lock is held until Bochs is gone.)
exec 9>/tmp/whv-bochs.lock
if ! flock -n 9; then
	echo "run-bochs: waiting for another run-bochs.sh to finish" >&2
	flock 9
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/whv-bochs.XXXXXX")
bochs_pid=
tail_pid=
cleanup() {
	[[ -z "$bochs_pid" ]] || kill "$bochs_pid" 2>/dev/null || true
	[[ -z "$tail_pid" ]] || kill "$tail_pid" 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
[[ -n "$log" ]] || log=$work/console.log

# loglevel=5: WARN_ON prints at KERN_WARNING (4), which loglevel=4 would hide.
# For Bochs's corei7_skylake_x (test-vm-facts.md): no crypto self-tests and no
# speculation mitigations (slow under emulation); no FSRM (later models hang
# without it); no AVX-512: Bochs's CPUID.0xD size with it disagrees with the
# component offsets, and Linux then turns XSAVE off altogether (which would
# leave the XCR0 switching untested). tsc=reliable: Bochs's TSCs are one counter; this skips the TSC
# warp test at CPU bring-up, 2.5 s of busy-waiting per extra CPU here.
cmdline="console=ttyS0,115200 panic=-1 loglevel=5 cryptomgr.notests=1 mitigations=off"
cmdline+=" clearcpuid=fsrm,avx512f tsc=reliable"
# WHV_BOCHS_ICOUNT: Bochs's TSC adds one per instruction, so at 1 GHz the
# guest's clock counts instructions; the refined calibration against the
# HPET (which runs at ips) then agrees.
[[ -z "${WHV_BOCHS_ICOUNT:-}" ]] || cmdline+=" tsc_early_khz=$((ips / 1000))"
cmdline+=" $append"

# A boot CD: isolinux, and either mboot.c32 loading pvhboot with vmlinux and
# the initrd as multiboot modules, or the bzImage itself.
iso=$work/iso
mkdir -p "$iso"
syslinux=/usr/lib/syslinux/modules/bios
cp /usr/lib/ISOLINUX/isolinux.bin "$syslinux/ldlinux.c32" "$iso/"
# Inflating the initrd costs ~1 s per MB under emulation (in syslinux or the
# kernel); the host does it in no time.
if [[ "$(head -c 2 "$initrd" | od -An -tx1 | tr -d ' ')" == 1f8b ]]; then
	gzip -dc "$initrd" >"$work/initrd"
	grafts=("/initrd=$work/initrd")
else
	grafts=("/initrd=$initrd")
fi
if [[ "$boot" == pvh ]]; then
	cache=$here/../../build/bochs
	"$here/pvhboot/build.sh" "$cache" "$kver"
	cp "$syslinux/mboot.c32" "$syslinux/libcom32.c32" "$cache/pvhboot.elf" "$iso/"
	grafts+=("/vmlinux=$cache/vmlinux-$kver.pvh")
	entry="KERNEL mboot.c32"$'\n'"APPEND pvhboot.elf --- vmlinux $cmdline --- initrd"
else
	grafts+=("/vmlinuz=$kernel")
	entry="KERNEL vmlinuz"$'\n'"INITRD initrd"$'\n'"APPEND $cmdline"
fi
printf 'SERIAL 0 115200\nDEFAULT whv\nPROMPT 0\nLABEL whv\n%s\n' "$entry" >"$iso/isolinux.cfg"
xorriso -as mkisofs -quiet -o "$work/boot.iso" -b isolinux.bin -c boot.cat \
	-no-emul-boot -boot-load-size 4 -boot-info-table -R -graft-points \
	"$iso" "${grafts[@]}" 2>"$work/xorriso.out" ||
	{ cat "$work/xorriso.out" >&2; exit 124; }

# Debian's Bochs has no "nogui" display: rfb with timeout=0 does not wait for
# a VNC client. No sound (its ALSA mixer thread aborts without a card).
# clock sync=none: guest time follows instructions, not the host's clock.
cat >"$work/bochsrc" <<EOF
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
cpu: model=${WHV_BOCHS_CPU:-corei7_skylake_x}, count=$cpus, ips=$ips, reset_on_triple_fault=0
memory: guest=$mem_mb, host=$host_mb
ata0-master: type=cdrom, path=$work/boot.iso, status=inserted
boot: cdrom
clock: sync=none
com1: enabled=1, mode=file, dev=$work/serial.log
display_library: rfb, options="timeout=0"
sound: driver=dummy
speaker: enabled=0
log: $work/bochs.log
EOF
# Debian's bochs starts in its debugger: "c" continues.
echo c >"$work/rc"

# The console is the serial log file; follow it while Bochs runs. Bochs ends
# with status 1 at "ACPI control: soft power off", the normal end.
: >"$work/serial.log"
# The rfb display (the only headless one in Debian's build) listens on
# every address: a network namespace of its own leaves it unreachable.
timeout -k 10 "$timeout_s" unshare --net bochs -q -f "$work/bochsrc" -rc "$work/rc" \
	</dev/null >"$work/bochs.out" 2>&1 &
bochs_pid=$!
tail -s 0.2 -n +1 -f --pid="$bochs_pid" "$work/serial.log" | sed -u 's/\r//g' | tee "$log" &
tail_pid=$!
set +e
wait "$bochs_pid"
bochs_status=$?
set -e
bochs_pid=
wait "$tail_pid" || true
tail_pid=

# Whatever the live copy may have missed, the log is the whole console.
tr -d '\r' <"$work/serial.log" >"$log"
[[ "$log" == "$work/console.log" ]] || cp "$work/bochs.log" "$log.bochs" 2>/dev/null || true
# Bochs's own last words, unless the timeout cut it short.
if ! grep -q '^WHV-VM-EXIT-STATUS=' "$log" && ((bochs_status != 124 && bochs_status != 137)); then
	echo "run-bochs: bochs output ends:" >&2
	grep -v '^[0-9]*i\[' "$work/bochs.out" | tail -n 8 | sed 's/^/run-bochs:   /' >&2
fi

console_verdict run-bochs "$log" "$timeout_s" "$bochs_status" "${allow[@]}"
