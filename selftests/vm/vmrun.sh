#!/bin/bash
# Run one command in the test VM: build an initramfs, boot it, exit with the
# command's status (121 kernel problem, 124 no result, 125 insmod failed; see
# run-qemu.sh). Used by `make vmrun RUN='<cmd>' FILES='<paths>'` and `make vmtest`.
#
#   vmrun.sh [--module SPEC]... [--file HOST[:DEST]]... [run-qemu/run-bochs options]
#             [--] COMMAND...
#
# Environment, for make (word lists are split on spaces):
#   BACKEND    svm (default): AMD SVM, QEMU TCG (run-qemu.sh); vmx: Intel VMX,
#              Bochs (run-bochs.sh)
#   KVER       kernel (default: scripts/kver.sh)
#   MODULES    modules to load, e.g. "kmod/whv.ko" or "kvm-amd"
#   FILES      files to copy to /opt/vmrun
#   RUN        command, if none is given as arguments
#   VM_CPUS VM_MEM VM_TIMEOUT VM_LOG VM_APPEND passed to run-qemu.sh / run-bochs.sh
#              (VM_TIMEOUT defaults to theirs: 300 s QEMU, 600 s Bochs)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
kver=${KVER:-$("$here/../../scripts/kver.sh")}

case "${BACKEND:-svm}" in
svm) runner=run-qemu.sh ;;
vmx) runner=run-bochs.sh ;;
*) echo "vmrun: BACKEND must be svm or vmx" >&2; exit 2 ;;
esac

mk_args=()
vm_args=(--cpus "${VM_CPUS:-2}" --mem "${VM_MEM:-1G}")
[[ -z "${VM_TIMEOUT:-}" ]] || vm_args+=(--timeout "$VM_TIMEOUT")
[[ -z "${VM_LOG:-}" ]] || vm_args+=(--log "$VM_LOG")
[[ -z "${VM_APPEND:-}" ]] || vm_args+=(--append "$VM_APPEND")
# Bochs takes seconds to check a module's signature.
[[ "$runner" != run-bochs.sh ]] || mk_args+=(--strip-sigs)
for m in ${MODULES:-}; do mk_args+=(--module "$m"); done
for f in ${FILES:-}; do mk_args+=(--file "$f"); done

while (($#)); do
	case "$1" in
	--module | --file) mk_args+=("$1" "${2:?}"); shift 2 ;;
	--cpus | --mem | --timeout | --log | --append | --allow) vm_args+=("$1" "${2:?}"); shift 2 ;;
	--) shift; break ;;
	*) break ;;
	esac
done
cmd=${*:-${RUN:-true}}

initrd=$(mktemp "${TMPDIR:-/tmp}/whv-initrd.XXXXXX")
trap 'rm -f "$initrd"' EXIT
"$here/mkinitramfs.sh" "$initrd" --kver "$kver" "${mk_args[@]}" --cmd "$cmd"
"$here/$runner" --kver "$kver" --initrd "$initrd" "${vm_args[@]}"
