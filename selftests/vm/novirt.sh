#!/bin/sh
# Runs in a test VM whose CPU lacks what the backend needs (SVM, or VMX):
# whv.ko must refuse to load with one clear dmesg line, $1.
expect=$1
if insmod ./whv.ko 2>/dev/null; then
	echo "not ok 1 - whv.ko loaded on a CPU without virtualization"
	exit 1
fi
# Busybox insmod retries init_module after a failed finit_module, so each
# attempt's line may appear twice: one distinct line is what counts. The
# kernel's own taint notice is not ours.
if [ "$(dmesg | grep 'whv: ' | grep -vE 'taints kernel|tainting kernel' |
	sed 's/^\[[^]]*\] //' | sort -u | wc -l)" != 1 ] ||
   ! dmesg | grep -q "whv: $expect"; then
	dmesg | grep whv
	echo "not ok 1 - refusal without one clear dmesg line"
	exit 1
fi
echo "ok 1 - whv.ko refuses to load: $expect"
