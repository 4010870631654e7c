#!/bin/bash
# Build what run-bochs.sh's fast boot needs, into OUTDIR (only what is out of
# date, so it doubles as a cache):
#   OUTDIR/pvhboot.elf         the multiboot-to-PVH loader (head.S, pvhboot.c)
#   OUTDIR/vmlinux-KVER.pvh    /boot/vmlinuz-KVER decompressed, trimmed by pvhtrim
#
#   build.sh OUTDIR KVER
set -euo pipefail

die() { echo "pvhboot/build: $*" >&2; exit 1; }

(($# == 2)) || die "usage: build.sh OUTDIR KVER"
out=$1
kver=$2
src=$(cd "$(dirname "$0")" && pwd)
bzimage=/boot/vmlinuz-$kver
[[ -r "$bzimage" ]] || die "$bzimage not readable"
mkdir -p "$out"

# stale TARGET SOURCE...: whether TARGET is missing or older than a SOURCE.
stale() {
	local t=$1 s
	shift
	[[ -e "$t" ]] || return 0
	for s in "$@"; do [[ "$s" -nt "$t" ]] && return 0; done
	return 1
}

# The loader: 32-bit, freestanding, linked at 1 MiB.
cflags=(-m32 -march=i686 -O2 -ffreestanding -fno-pic -fno-pie -fno-stack-protector
	-fno-asynchronous-unwind-tables -fcf-protection=none -mgeneral-regs-only
	-Wall -Wextra -Werror)
if stale "$out/pvhboot.elf" "$src"/{head.S,pvhboot.c,pvhboot.ld,build.sh}; then
	gcc "${cflags[@]}" -c "$src/head.S" -o "$out/head.o"
	gcc "${cflags[@]}" -c "$src/pvhboot.c" -o "$out/pvhboot.o"
	ld -m elf_i386 -n -nostdlib --no-warn-rwx-segments -T "$src/pvhboot.ld" \
		"$out/head.o" "$out/pvhboot.o" -o "$out/pvhboot.elf.tmp"
	# No section headers (e_shoff, e_shnum, e_shstrndx = 0): mboot.c32, like
	# GRUB, would load them and the symbols above us, where vmlinux should go.
	printf '\0\0\0\0' | dd of="$out/pvhboot.elf.tmp" bs=1 seek=32 conv=notrunc status=none
	printf '\0\0\0\0' | dd of="$out/pvhboot.elf.tmp" bs=1 seek=48 conv=notrunc status=none
	mv "$out/pvhboot.elf.tmp" "$out/pvhboot.elf"
fi

if stale "$out/pvhtrim" "$src/pvhtrim.c"; then
	gcc -O2 -Wall -Wextra -Werror "$src/pvhtrim.c" -o "$out/pvhtrim"
fi

# vmlinux: the bzImage's payload (boot protocol >= 2.08 gives its offset
# and length in the setup header) is the compressed, stripped vmlinux; all
# compressors but gzip append the 4-byte decompressed size.
vmlinux=$out/vmlinux-$kver.pvh
if stale "$vmlinux" "$bzimage" "$out/pvhtrim"; then
	le32() { od -An -tu4 -j "$1" -N 4 "$bzimage" | tr -d ' '; }
	setup_sects=$(od -An -tu1 -j $((0x1f1)) -N 1 "$bzimage" | tr -d ' ')
	((setup_sects)) || setup_sects=4
	((($(od -An -tu2 -j $((0x206)) -N 2 "$bzimage")) >= 0x208)) ||
		die "$bzimage: boot protocol older than 2.08"
	start=$(((setup_sects + 1) * 512 + $(le32 $((0x248)))))
	len=$(le32 $((0x24c)))
	payload() {
		dd if="$bzimage" bs=4M iflag=skip_bytes,count_bytes skip="$start" count="$1" \
			status=none
	}
	magic=$(payload 6 | od -An -tx1 | tr -d ' \n')
	case "$magic" in
	1f8b*) unpack=(gzip -dcq) cut=0 ;;
	fd377a585a00) unpack=(xz -dcq) cut=4 ;;
	28b52ffd*) unpack=(zstd -dcq) cut=4 ;;
	425a68*) unpack=(bzip2 -dcq) cut=4 ;;
	5d0000*) unpack=(xz -dcq --format=lzma) cut=4 ;;
	*) die "$bzimage: unknown compression (payload starts $magic)" ;;
	esac
	# gzip exits 2 for trailing bytes; the ELF check below is what counts.
	payload $((len - cut)) | "${unpack[@]}" >"$out/vmlinux-$kver" || (($? == 2)) ||
		die "$bzimage: cannot decompress with ${unpack[0]}"
	[[ "$(head -c 4 "$out/vmlinux-$kver" | od -An -c | tr -d ' ')" == '177ELF' ]] ||
		die "$bzimage: payload is not an ELF vmlinux"
	"$out/pvhtrim" "$out/vmlinux-$kver" "$vmlinux.tmp"
	rm -f "$out/vmlinux-$kver"
	mv "$vmlinux.tmp" "$vmlinux"
fi
