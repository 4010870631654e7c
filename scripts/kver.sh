#!/bin/bash
# Print the kernel version the test VM boots and the module builds against:
# $KVER if set, else the newest /lib/modules/<ver> that has both a Kbuild tree
# (build/Makefile, from linux-headers-*) and /boot/vmlinuz-<ver> (linux-image-*).
# The host's running kernel is irrelevant (it cannot load modules).
set -euo pipefail

if [[ -n "${KVER:-}" ]]; then
	printf '%s\n' "$KVER"
	exit 0
fi

best=
for dir in /lib/modules/*/; do
	ver=$(basename "$dir")
	[[ -f "$dir/build/Makefile" && -f "/boot/vmlinuz-$ver" ]] || continue
	best+="$ver"$'\n'
done
ver=$(printf '%s' "$best" | sort -V | tail -n 1)
if [[ -z "$ver" ]]; then
	echo "kver.sh: no kernel with both /boot/vmlinuz-<ver> and /lib/modules/<ver>/build;" \
		"run scripts/install-deps.sh" >&2
	exit 1
fi
printf '%s\n' "$ver"
