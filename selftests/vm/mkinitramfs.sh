#!/bin/bash
# Build the test VM's initramfs (gzip'd newc cpio): static busybox, kernel
# modules to load in order, files to run, and an /init that runs one command,
# prints `WHV-VM-EXIT-STATUS=<n>` and powers off. See usage() below.
set -euo pipefail

usage() {
	cat >&2 <<'EOF'
usage: mkinitramfs.sh OUT.cpio.gz --kver KVER [--module SPEC]... [--file HOST[:DEST]]...
                      [--cmd COMMAND] [--busybox PATH] [--strip-sigs]
  --module SPEC  a .ko / .ko.xz / .ko.zst / .ko.gz path, or a module name looked
                 up in /lib/modules/KVER (e.g. kvm-amd); its dependencies (modinfo
                 depends) are added first. Parameters may follow after a space:
                 --module 'whv.ko debug=1'. Loaded in the order given.
  --file H[:D]   copy host file or directory H to D (default /opt/vmrun/<basename>;
                 a relative D is under /opt/vmrun). Shared libraries of ELF files
                 (ldd) are copied to their host paths; libraries ldd cannot find
                 are expected in /opt/vmrun, which is on LD_LIBRARY_PATH.
  --cmd COMMAND  run with `sh -c` in /opt/vmrun (default: true)
  --strip-sigs   drop modules' appended signatures: checking them takes seconds
                 under Bochs (an unsigned module taints the kernel with E, as
                 whv.ko does anyway)
The guest prints WHV-VM-TAINT-BOOT=<kernel taint mask> first, and at the end
WHV-VM-TAINT=<kernel taint mask> and WHV-VM-EXIT-STATUS=<status> (125 if an
insmod failed), then powers off.
EOF
	exit 2
}

die() { echo "mkinitramfs: $*" >&2; exit 1; }

out=
kver=
cmd=true
busybox=
strip_sigs=0
modules=()
files=()
while (($#)); do
	case "$1" in
	--kver) kver=${2:?}; shift 2 ;;
	--module) modules+=("${2:?}"); shift 2 ;;
	--file) files+=("${2:?}"); shift 2 ;;
	--cmd) cmd=${2?}; shift 2 ;;
	--busybox) busybox=${2:?}; shift 2 ;;
	--strip-sigs) strip_sigs=1; shift ;;
	-h | --help) usage ;;
	-*) echo "mkinitramfs: unknown option $1" >&2; usage ;;
	*) [[ -z "$out" ]] || usage; out=$1; shift ;;
	esac
done
[[ -n "$out" && -n "$kver" ]] || usage
busybox=${busybox:-$(command -v busybox || true)}
[[ -x "$busybox" ]] || die "busybox not found (apt-get install busybox-static)"

root=$(mktemp -d "${TMPDIR:-/tmp}/whv-initramfs.XXXXXX")
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc/whv,proc,sys,dev,tmp,root,opt/vmrun}

is_elf() { [[ -f "$1" && "$(head -c 4 "$1" | od -An -c | tr -d ' ')" == '177ELF' ]]; }

# Copy the shared libraries (and the dynamic loader) an ELF file needs to the
# same absolute paths in the image. ldd prints nothing useful for static files.
copy_libs() {
	local elf=$1 line lib
	is_elf "$elf" || return 0
	while read -r line; do
		case "$line" in
		*"=> not found"*)
			echo "mkinitramfs: note: ${line%% *} (for ${elf#"$root"}) not found on host;" \
				"it must be among --file (LD_LIBRARY_PATH=/opt/vmrun)" >&2
			continue ;;
		*"=> /"*) lib=${line#*=> } ;;
		/*) lib=$line ;;
		*) continue ;; # linux-vdso.so.1, "statically linked", ...
		esac
		lib=${lib%% (*}
		[[ -e "$root$lib" ]] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
		copy_libs "$lib"
	done < <(ldd "$elf" 2>/dev/null || true)
}

# busybox and its applet links, made here so /init needs no --install step.
cp -L "$busybox" "$root/bin/busybox"
copy_libs "$root/bin/busybox"
while read -r applet; do
	[[ -e "$root/$applet" || -L "$root/$applet" ]] || ln -s /bin/busybox "$root/$applet"
done < <("$root/bin/busybox" --list-full)
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\n' >"$root/etc/group"

# --- modules: resolve dependencies, decompress, record load order ---------
moddir=/lib/modules/$kver
declare -A seen=()
nmod=0
: >"$root/etc/whv/modules"

# An appended module signature ends with struct module_signature (12 bytes,
# the signature's length big-endian in its last 4) and a 28-byte magic.
strip_sig() {
	local ko=$1 size len
	[[ "$(tail -c 28 "$ko")" == "~Module signature appended~" ]] || return 0
	size=$(stat -c %s "$ko")
	len=$(dd if="$ko" bs=1 skip=$((size - 32)) count=4 status=none | od -An -tu1 |
		awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
	truncate -s $((size - 40 - len)) "$ko"
}

norm() { local n=${1##*/}; n=${n%%.ko*}; printf '%s' "${n//-/_}"; }

add_module() {
	local spec=$1 params=${2:-} path name deps dep
	if [[ "$spec" == */* || "$spec" == *.ko* ]]; then
		path=$spec
		[[ -f "$path" ]] || die "module $path not found"
		deps=$(modinfo -F depends "$path")
	else
		path=$(modinfo -k "$kver" -n "$spec" 2>/dev/null) ||
			die "module $spec not found for kernel $kver"
		if [[ "$path" != /* ]]; then # "(builtin)": nothing to load
			echo "mkinitramfs: note: $spec is built into $kver" >&2
			return 0
		fi
		deps=$(modinfo -k "$kver" -F depends "$spec")
	fi
	name=$(norm "$path")
	[[ -z "${seen[$name]:-}" ]] || return 0
	seen[$name]=1
	for dep in ${deps//,/ }; do
		add_module "$dep"
	done
	nmod=$((nmod + 1))
	local dest
	dest=$moddir/whv-load/$(printf '%02d' "$nmod")-$name.ko
	mkdir -p "$root$moddir/whv-load"
	# Decompress on the host: busybox insmod's support for compressed
	# modules depends on its build options.
	case "$path" in
	*.ko.xz) xz -dc "$path" >"$root$dest" ;;
	*.ko.zst) zstd -qdc "$path" >"$root$dest" ;;
	*.ko.gz) gzip -dc "$path" >"$root$dest" ;;
	*) cp -L "$path" "$root$dest" ;;
	esac
	((!strip_sigs)) || strip_sig "$root$dest"
	printf '%s %s\n' "$dest" "$params" >>"$root/etc/whv/modules"
}

for m in "${modules[@]}"; do
	spec=${m%% *}
	params=
	[[ "$m" == *" "* ]] && params=${m#* }
	add_module "$spec" "$params"
done

# --- files -----------------------------------------------------------------
for f in "${files[@]}"; do
	host=${f%%:*}
	dest=
	[[ "$f" == *:* ]] && dest=${f#*:}
	[[ -e "$host" ]] || die "file $host not found"
	[[ -n "$dest" ]] || dest=$(basename "$host")
	[[ "$dest" == /* ]] || dest=/opt/vmrun/$dest
	mkdir -p "$root$(dirname "$dest")"
	cp -rL "$host" "$root$dest"
	while IFS= read -r -d '' elf; do
		copy_libs "$elf"
	done < <(find "$root$dest" -type f -print0)
done

printf '%s\n' "$cmd" >"$root/etc/whv/cmd"

cat >"$root/init" <<'EOF'
#!/bin/sh
# PID 1 of the whv test VM, generated by selftests/vm/mkinitramfs.sh.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LD_LIBRARY_PATH=/opt/vmrun
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
exec </dev/console >/dev/console 2>&1
# Taint from boot (e.g. a known firmware/CPU-model WARN) is judged by its
# console lines; run-*.sh only count the bits gained after this.
echo "WHV-VM-TAINT-BOOT=$(cat /proc/sys/kernel/tainted)"
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
hostname whv-vm
ip link set lo up 2>/dev/null

finish() {
	echo "WHV-VM-TAINT=$(cat /proc/sys/kernel/tainted)"
	printf '\nWHV-VM-EXIT-STATUS=%d\n' "$1"
	# tcsetattr(TCSADRAIN): wait until the serial port has sent everything,
	# or poweroff -f can cut off the last lines of output.
	stty -F /dev/console -tostop 2>/dev/null
	poweroff -f
	sleep 60 # not reached
}

while read -r ko params; do
	[ -n "$ko" ] || continue
	# shellcheck disable=SC2086 # params are words
	if ! insmod "$ko" $params; then
		echo "whv-vm: insmod $ko $params failed"
		finish 125
	fi
done </etc/whv/modules

cd /opt/vmrun || finish 125
sh -c "$(cat /etc/whv/cmd)"
finish $?
EOF
chmod +x "$root/init"

mkdir -p "$(dirname "$out")"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | gzip -1 >"$out.tmp"
mv "$out.tmp" "$out"
