#!/bin/sh
# Runs in the test VM with kvm_amd or kvm_intel loaded and whv.ko beside
# it: whv and KVM must refuse each other cleanly, in both orders, and work
# once alone.
n=0
fail=0
check() {	# check <description> <command...>
	n=$((n + 1))
	desc=$1
	shift
	if "$@"; then echo "ok $n - $desc"; else echo "not ok $n - $desc"; fail=$((fail + 1)); fi
}
dmesg_has() { dmesg | grep -q "$1"; }

echo "1..8"
mkfifo /tmp/kvm_in /tmp/whv_in
# KVM first: a KVM VM holds SVM/VMX, so whv.ko refuses to load.
./hold kvm </tmp/kvm_in >/tmp/kvm_out &
exec 3>/tmp/kvm_in
sleep 1
check "a KVM VM holds the CPU's virtualization" grep -q held /tmp/kvm_out
check "whv.ko refuses to load while KVM holds it" sh -c '! insmod ./whv.ko 2>/dev/null'
check "one clear dmesg line names the cause" dmesg_has "whv: [SV][VM][MX] is in use by another hypervisor"
exec 3>&-
wait
# Alone, whv loads and runs guests.
check "whv.ko loads once KVM let go" insmod ./whv.ko
check "the demo guest runs" sh -c './hello >/dev/null'
# whv first: a live partition holds it, so KVM cannot create a VM.
./hold whv </tmp/whv_in >/tmp/whv_out &
exec 4>/tmp/whv_in
sleep 1
check "a whv partition holds the CPU's virtualization" grep -q held /tmp/whv_out
check "KVM cannot enable it meanwhile" sh -c '! ./hold kvm </dev/null >/dev/null 2>&1'
exec 4>&-
wait
# The last partition gone, whv has switched it off again on every CPU.
check "KVM can use it once the partition is gone" sh -c './hold kvm </dev/null | grep -q held'
echo "coexistence: $((n - fail)) passed, $fail failed"
[ "$fail" -eq 0 ]
