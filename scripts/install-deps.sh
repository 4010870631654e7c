#!/bin/bash
# Install what building whv.ko and running it in the test VMs needs (Debian 12,
# as root): QEMU for SVM; Bochs, isolinux and xorriso for VMX (run-bochs.sh,
# whose loader needs only gcc and binutils). Idempotent: does nothing when all
# packages are there, runs `apt-get update` only when something is missing.
#   --print-kver   afterwards print `KVER=<ver>` (see scripts/kver.sh)
set -euo pipefail

pkgs=(linux-image-amd64 linux-headers-amd64 linux-source-6.1 busybox-static
	qemu-system-x86 cpio check pkg-config build-essential kmod dkms
	bochs bochsbios vgabios isolinux syslinux-common xorriso)

print_kver=0
for arg in "$@"; do
	case "$arg" in
	--print-kver) print_kver=1 ;;
	*) echo "usage: $0 [--print-kver]" >&2; exit 2 ;;
	esac
done

missing=()
for p in "${pkgs[@]}"; do
	if [[ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]]; then
		missing+=("$p")
	fi
done

if ((${#missing[@]})); then
	echo "install-deps: installing ${missing[*]}" >&2
	sudo=()
	((EUID == 0)) || sudo=(sudo)
	export DEBIAN_FRONTEND=noninteractive
	"${sudo[@]}" apt-get update -q >&2
	# No recommends: they pull in firmware, GUI bits and ovmf we do not use.
	"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

if ((print_kver)); then
	echo "KVER=$("$(dirname "$0")/kver.sh")"
fi
