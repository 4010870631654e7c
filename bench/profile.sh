#!/bin/bash
# make bench-profile: where the instructions of one exitbench case go, per
# round trip. Two runs of the icount test VM with a TCG plugin that counts
# instructions per code address (bench/tbprof.c), N1 and N2 iterations; the
# difference, divided by the iterations between them, is one round trip's
# profile, by function (guest kernel symbols from the second run's
# /proc/kallsyms, exitbench's own from its non-PIE build).
#   bench/profile.sh CASE [N1 N2] [whv|kvm]
set -euo pipefail
cd "$(dirname "$0")/.."
case_=${1:?usage: bench/profile.sh CASE [N1 N2] [whv|kvm]}
n1=${2:-1000}
n2=${3:-6000}
hv=${4:-whv}
out=build/bench/profile
mkdir -p "$out"
cat >"$out/guest.sh" <<G
insmod ./whv.ko || exit 1
EXITBENCH_CASE=$case_ ./exitbench $hv \$1 || exit 1
grep -E ' [tT] ' /proc/kallsyms | gzip -c | base64 | sed 's/^/KS64 /'
G
for n in "$n1" "$n2"; do
	WHV_QEMU_ICOUNT=1 VM_CPUS=1 VM_TIMEOUT=1800 VM_APPEND=nokaslr \
		MODULES="kvm-amd" VM_LOG="$out/run-$n.log" \
		WHV_QEMU_ARGS="-plugin $out/tbprof.so,out=$out/counts-$n.txt" \
		selftests/vm/vmrun.sh --allow '^KS64 ' \
		--file whv.ko --file "$out/exitbench:exitbench" \
		--file "$out/guest.sh:guest.sh" -- sh ./guest.sh "$n" >/dev/null
done
# The base64 lines carry a prefix: random text can spell "Oops".
sed -n 's/^KS64 //p' "$out/run-$n2.log" |
	base64 -d | gunzip >"$out/kallsyms.txt"
nm -n "$out/exitbench" | awk '$2 ~ /^[tTwW]$/ { print $1, "t", "user:" $3 }' >"$out/usersyms.txt"
grep -a "^$hv,$case_," "$out/run-$n2.log" | sed 's/^/exitbench: /'
python3 bench/profile-report.py "$out/counts-$n1.txt" "$out/counts-$n2.txt" \
	$(( (n2 - n1) * 12 / 10 )) "$out/kallsyms.txt" "$out/usersyms.txt"
