#!/bin/bash
# Run one command in the test VM: build an initramfs, boot it, exit with the
# command's status (121 kernel problem, 124 no result, 125 insmod failed; see
# run-qemu.sh). Used by `make vmrun RUN='<cmd>' FILES='<paths>'` and `make vmtest`.
#
#   vmrun.sh [--module SPEC]... [--file HOST[:DEST]]... [run-qemu options] [--] COMMAND...
#
# Environment, for make (word lists are split on spaces):
#   KVER       kernel (default: scripts/kver.sh)
#   MODULES    modules to load, e.g. "kmod/whv.ko" or "kvm-amd"
#   FILES      files to copy to /opt/vmrun
#   RUN        command, if none is given as arguments
#   VM_CPUS VM_MEM VM_TIMEOUT VM_LOG   passed to run-qemu.sh
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kver=${KVER:-$("$here/../../scripts/kver.sh")}

mk_args=()
qemu_args=(--cpus "${VM_CPUS:-2}" --mem "${VM_MEM:-1G}" --timeout "${VM_TIMEOUT:-300}")
[[ -z "${VM_LOG:-}" ]] || qemu_args+=(--log "$VM_LOG")
for m in ${MODULES:-}; do mk_args+=(--module "$m"); done
for f in ${FILES:-}; do mk_args+=(--file "$f"); done

while (($#)); do
	case "$1" in
	--module | --file) mk_args+=("$1" "${2:?}"); shift 2 ;;
	--cpus | --mem | --timeout | --log | --append | --allow) qemu_args+=("$1" "${2:?}"); shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
cmd=${*:-${RUN:-true}}

initrd=$(mktemp "${TMPDIR:-/tmp}/whv-initrd.XXXXXX")
trap 'rm -f "$initrd"' EXIT
"$here/mkinitramfs.sh" "$initrd" --kver "$kver" "${mk_args[@]}" --cmd "$cmd"
"$here/run-qemu.sh" --kver "$kver" --initrd "$initrd" "${qemu_args[@]}"
