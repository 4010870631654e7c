#!/bin/sh
# In the test VM (make bench): the exit cases under whv, then under KVM
# (kvm_amd or kvm_intel, loaded at boot; it takes the CPU's virtualization
# only while a KVM VM exists, as whv only while a partition does), then
# the table.
#   exitbench.sh table [iterations]   instructions per round trip (a VM whose
#                                     clock counts instructions)
#   exitbench.sh scale [seconds]      exits per second on 1, 2, 4 VPs
mode=${1:-table}
arg=$2
insmod ./whv.ko || exit 1
# Each scaling run gets a deadline: twice in about 20 runs here, right after
# whv's own scaling run, KVM's 2- or 4-vCPU run under nested TCG made no
# progress (cause not found), and once the whole run stalled. A stuck run's
# rows say "stuck" instead of holding up the table, and the kernel stacks
# of its threads go to the console; the process is left behind and the VM
# powers off with it.
scale_run() {
	./exitbench "$1" scale "$2" >"$1.csv" &
	pid=$! waited=0
	while kill -0 "$pid" 2>/dev/null; do
		if [ "$waited" -ge $((3 * $2 + 60)) ]; then
			echo "exitbench: $1's scaling run made no progress in ${waited}s" >&2
			for t in /proc/"$pid"/task/*; do
				echo "exitbench: $1 thread ${t##*/}:" >&2
				sed 's/^/exitbench:   /' "$t/stack" >&2
			done
			for n in 1 2 4; do
				grep -q "^$1,vps_$n," "$1.csv" ||
					echo "$1,vps_$n,stuck" >>"$1.csv"
			done
			return 0
		fi
		sleep 1
		waited=$((waited + 1))
	done
	wait "$pid"
}

if [ "$mode" = scale ]; then
	scale_run whv "${arg:-2}" || exit 1
	scale_run kvm "${arg:-2}" || exit 1
	echo "OUT round trips per second (wall clock), each VP in its own thread"
	head="VPs"
	tag=EXITSCALE-CSV
else
	./exitbench whv "${arg:-20000}" >whv.csv || exit 1
	./exitbench kvm "${arg:-20000}" >kvm.csv || exit 1
	clock="QEMU -icount shift=0, kvm_amd"
	if grep -qw vmx /proc/cpuinfo; then
		clock="Bochs ips 10^9, kvm_intel"
	fi
	echo "exit round trips, instructions per iteration ($clock), ${arg:-20000} iterations"
	head="case"
	tag=EXITBENCH-CSV
fi
awk -F, -v head="$head" -v tag="$tag" '
	FNR == NR { whv[$2] = $3; order[++n] = $2; next }
	{ kvm[$2] = $3 }
	END {
		printf "%-14s %10s %10s %8s\n", head, "whv", "kvm", "whv/kvm"
		for (i = 1; i <= n; i++) {
			c = order[i]
			r = (whv[c] ~ /^[0-9]+$/ && kvm[c] ~ /^[0-9]+$/ && kvm[c] > 0) ?
			    sprintf("%.2f", whv[c] / kvm[c]) : "-"
			printf "%-14s %10s %10s %8s\n", c, whv[c], kvm[c], r
			printf "%s:%s,%s,%s,%s\n", tag, c, whv[c], kvm[c], r
		}
	}' whv.csv kvm.csv
