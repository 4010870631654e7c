#!/bin/sh
# Runs in a test VM whose CPU has no SVM: whv.ko must refuse with one line.
if insmod ./whv.ko 2>/dev/null; then
	echo "not ok 1 - whv.ko loaded without SVM"
	exit 1
fi
# The kernel's own taint notice is not ours to count.
if [ "$(dmesg | grep 'whv: ' | grep -vEc 'taints kernel|tainting kernel')" != 1 ] ||
   ! dmesg | grep -q "whv: AMD SVM is not available on this CPU"; then
	dmesg | grep whv
	echo "not ok 1 - refusal without one clear dmesg line"
	exit 1
fi
echo "ok 1 - whv.ko refuses to load without SVM, with one dmesg line"
