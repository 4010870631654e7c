#!/bin/sh
# In the test VM (make bench): the exit round-trip cases under whv, then
# under KVM (kvm_amd or kvm_intel, loaded at boot; it takes the CPU's
# virtualization only while a KVM VM exists, as whv only while a partition
# does), then the table. Usage: exitbench.sh [iterations]
n=${1:-20000}
insmod ./whv.ko || exit 1
./exitbench whv "$n" >whv.csv || exit 1
./exitbench kvm "$n" >kvm.csv || exit 1
echo "exit round trips, instructions per iteration (QEMU -icount shift=0), $n iterations"
awk -F, '
	FNR == NR { whv[$2] = $3; order[++n] = $2; next }
	{ kvm[$2] = $3 }
	END {
		printf "%-14s %10s %10s %8s\n", "case", "whv", "kvm", "whv/kvm"
		for (i = 1; i <= n; i++) {
			c = order[i]
			r = (kvm[c] ~ /^[0-9]+$/ && kvm[c] > 0) ? sprintf("%.2f", whv[c] / kvm[c]) : "-"
			printf "%-14s %10s %10s %8s\n", c, whv[c], kvm[c], r
			printf "EXITBENCH-CSV:%s,%s,%s,%s\n", c, whv[c], kvm[c], r
		}
	}' whv.csv kvm.csv
