# SPDX-License-Identifier: GPL-2.0
#
#   make            libwhv (static, shared, pkg-config file)
#   make module     whv.ko against KDIR (default: the running kernel)
#   make demo       the demo VMM in the test VM
#   make test       unit tests on the host + every selftest in the test VM
#   make vmtest     the selftests in the test VM only
#   make bench-memory  guest-memory benchmark in the test VM [BACKEND=svm|vmx]
#   make bench         exit round trips, whv beside KVM, under QEMU -icount and Bochs
#   make vmrun RUN='<cmd>' FILES='<host paths>' [BACKEND=svm|vmx]   your command
#                   in the test VM (svm: QEMU TCG; vmx: Bochs)

SHELL := /bin/bash
KDIR ?= /lib/modules/$(shell uname -r)/build
KVER ?= $(shell scripts/kver.sh 2>/dev/null)
VM_KDIR := /lib/modules/$(KVER)/build
B := build

CC ?= gcc
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
INC := -Ilib/libwhv/include
LIB_SRCS := $(wildcard lib/libwhv/src/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(B)/%.o)
LIBWHV_A := lib/libwhv/libwhv.a
LIBWHV_SO := lib/libwhv/libwhv.so
TEST_LIB_SRCS := $(wildcard selftests/lib/*.c)
SELFTESTS := $(patsubst selftests/%.c,$(B)/selftests/%,$(wildcard selftests/*_test.c))
CLIENTS := $(patsubst clients/%.c,$(B)/clients/%,$(wildcard clients/*.c))
UNIT_TESTS := $(patsubst lib/libwhv/tests/%.c,$(B)/unit/%,$(wildcard lib/libwhv/tests/test_*.c))
KSFT_INC := $(B)/ksft
LINUX_SRC := /usr/src/linux-source-6.1.tar.xz

.PHONY: all lib module vm-module selftests examples clients unit-test checkpatch vmtest vmrun \
	bench-profile \
	vmtest-svm vmtest-vmx demo dkms-check test deps clean bench-memory bench
all: lib

lib: $(LIBWHV_A) $(LIBWHV_SO) lib/libwhv/libwhv.pc

$(B)/lib/%.o: lib/%.c $(wildcard lib/libwhv/include/*.h lib/libwhv/src/*.h) uapi/whv_ioctl.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(CFLAGS) $(WARN) -fPIC $(INC) -c $< -o $@

$(LIBWHV_A): $(LIB_OBJS)
	ar rcs $@ $^

$(LIBWHV_SO): $(LIB_OBJS) lib/libwhv/libwhv.map
	$(CC) -shared -Wl,-soname,libwhv.so.0 -Wl,--version-script=lib/libwhv/libwhv.map \
		-o $@ $(LIB_OBJS) -lpthread

lib/libwhv/libwhv.pc: lib/libwhv/libwhv.pc.in
	sed 's|@PREFIX@|$(CURDIR)/lib/libwhv|' $< > $@

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules

# The module for the test VM: built against Debian's kernel headers, and
# no warning passes.
vm-module:
	$(MAKE) -C $(VM_KDIR) M=$(CURDIR) W=1 KCFLAGS=-Werror modules

# kselftest harness headers, taken from Debian's linux-source at build time.
$(KSFT_INC)/kselftest_harness.h:
	@mkdir -p $(KSFT_INC)
	tar -xJf $(LINUX_SRC) -C $(KSFT_INC) --strip-components=4 \
		linux-source-6.1/tools/testing/selftests/kselftest_harness.h \
		linux-source-6.1/tools/testing/selftests/kselftest.h

$(B)/selftests/%: selftests/%.c $(TEST_LIB_SRCS) selftests/lib/guest.h $(LIBWHV_A) \
		$(KSFT_INC)/kselftest_harness.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(CFLAGS) -Wall -Wextra -Werror -Wno-unused-parameter -Wno-sign-compare $(INC) \
		-I$(KSFT_INC) -Iselftests/lib $< $(TEST_LIB_SRCS) $(LIBWHV_A) -lpthread -o $@

selftests: $(SELFTESTS)

# Benchmarks: programs that print numbers (make bench-memory runs one in the VM).
$(B)/bench/%: bench/%.c $(TEST_LIB_SRCS) selftests/lib/guest.h $(LIBWHV_A)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(CFLAGS) $(WARN) -Wno-unused-parameter $(INC) -Iselftests/lib $< \
		$(TEST_LIB_SRCS) $(LIBWHV_A) -lpthread -o $@

$(B)/examples/%: examples/%.c $(LIBWHV_A)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(CFLAGS) $(WARN) $(INC) $< $(LIBWHV_A) -lpthread -o $@

examples: $(B)/examples/hello

# WHPX programs written as on Windows (see the header of each file):
# <windows.h> is compat/windows.h, nothing else differs.
$(B)/clients/%: clients/%.c $(LIBWHV_A) \
		$(wildcard lib/libwhv/include/*.h lib/libwhv/include/compat/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(CFLAGS) $(WARN) $(INC) -Ilib/libwhv/include/compat $< \
		$(LIBWHV_A) -lpthread -o $@

clients: $(CLIENTS)

$(B)/tools/%: selftests/tools/%.c $(LIBWHV_A)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(CFLAGS) $(WARN) $(INC) $< $(LIBWHV_A) -lpthread -o $@

$(B)/unit/%: lib/libwhv/tests/%.c $(LIBWHV_A) $(LIBWHV_SO) \
		$(wildcard lib/libwhv/include/*.h lib/libwhv/include/compat/*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(CFLAGS) $(WARN) $(INC) $< $(LIBWHV_A) \
		$$(pkg-config --cflags --libs check) -lpthread -o $@

unit-test: $(UNIT_TESTS)
	g++ -std=c++17 $(WARN) $(INC) -fsyntax-only lib/libwhv/tests/cxx_compile.cc
	@set -e; for t in $(UNIT_TESTS); do echo "== $$t"; $$t; done

# Linux coding style, with the checkpatch.pl of Debian's linux-source.
$(B)/checkpatch/scripts/checkpatch.pl:
	@mkdir -p $(B)/checkpatch
	tar -xJf $(LINUX_SRC) -C $(B)/checkpatch --strip-components=1 \
		linux-source-6.1/scripts/checkpatch.pl linux-source-6.1/scripts/spelling.txt \
		linux-source-6.1/scripts/const_structs.checkpatch

checkpatch: $(B)/checkpatch/scripts/checkpatch.pl
	$< --no-tree --terse --show-types --ignore FILE_PATH_CHANGES -f \
		kmod/*.c kmod/*.h kmod/*.S uapi/*.h | { ! grep -v '^total: 0 errors, 0 warnings'; }

deps:
	scripts/install-deps.sh

# BACKEND=svm: AMD SVM in QEMU TCG; BACKEND=vmx: Intel VT-x in Bochs.
# vmtest runs the selftests, then the load scenarios (beside KVM; on a CPU
# without the extension) on each backend listed: both by default.
VMTEST_BACKENDS := $(or $(BACKEND),svm vmx)
SELFTEST_FILES = --file selftests/run_tests.sh $(foreach t,$(SELFTESTS),--file $(t)) \
	$(foreach c,$(CLIENTS),--file $(c):clients/$(notdir $(c)))
SCENARIO_FILES = --file whv.ko --file $(B)/tools/hold --file $(B)/examples/hello

vmtest: deps
	$(MAKE) vm-module selftests clients examples $(B)/tools/hold
	@set -e; for b in $(VMTEST_BACKENDS); do $(MAKE) --no-print-directory vmtest-$$b; done

# The suites' VMs get 3 GiB, one 1 GiB huge page reserved at boot (bigmem_test),
# and zram for swap (lifecycle_test).
SUITE_VM = VM_MEM=3G VM_APPEND="hugepagesz=1G hugepages=1"
vmtest-svm:
	$(SUITE_VM) BACKEND=svm MODULES="whv.ko msr zram" selftests/vm/vmrun.sh $(SELFTEST_FILES) -- sh ./run_tests.sh
	BACKEND=svm MODULES="kvm-amd" selftests/vm/vmrun.sh --file selftests/vm/coexist.sh \
		$(SCENARIO_FILES) -- sh ./coexist.sh
	WHV_QEMU_CPU="EPYC-Rome,-svm" selftests/vm/vmrun.sh --file selftests/vm/novirt.sh \
		--file whv.ko -- "sh ./novirt.sh 'AMD SVM is not available on this CPU'"

vmtest-vmx:
	$(SUITE_VM) BACKEND=vmx VM_TIMEOUT=1800 MODULES="whv.ko msr zram" selftests/vm/vmrun.sh $(SELFTEST_FILES) \
		-- sh ./run_tests.sh
	BACKEND=vmx MODULES="kvm-intel" selftests/vm/vmrun.sh --file selftests/vm/coexist.sh \
		$(SCENARIO_FILES) -- sh ./coexist.sh
	BACKEND=vmx WHV_BOCHS_CPU=p4_prescott_celeron_336 selftests/vm/vmrun.sh \
		--file selftests/vm/novirt.sh --file whv.ko \
		-- "sh ./novirt.sh 'Intel VT-x (VMX) is not available on this CPU'"

export RUN FILES BACKEND
vmrun: deps
	$(MAKE) vm-module
	MODULES="whv.ko" selftests/vm/vmrun.sh

# Guest-memory benchmark in the test VM: map time per GiB, per-exit costs
# with 1, 100 and 10,000 ranges. BACKEND=svm (default) or vmx.
bench-memory: deps
	$(MAKE) vm-module $(B)/bench/memmap_bench
	VM_TIMEOUT=1800 MODULES="whv.ko" selftests/vm/vmrun.sh \
		--file $(B)/bench/memmap_bench -- ./memmap_bench

# Exit round trips, whv beside KVM: in one VM under QEMU -icount shift=0
# (instructions per iteration, exactly repeatable; kvm_amd), the same in
# Bochs with a guest clock that counts instructions (WHV_BOCHS_ICOUNT;
# kvm_intel), then exits per second on 1, 2 and 4 VPs in a 4-CPU VM (wall
# clock). Prints the three tables, writes $(B)/bench/exits.csv,
# exits-vmx.csv and scaling.csv. BENCH_ITERS: iterations per case (both
# round-trip tables); BENCH_SECONDS: seconds per VP count.
BENCH_ITERS ?= 20000
BENCH_SECONDS ?= 3
BENCH_FILES = --file whv.ko --file $(B)/bench/exitbench --file bench/exitbench.sh
# No debugfs: each KVM VM exitbench makes outlives its fds (the kvm_run
# mappings hold it), so the next one's debugfs directory name (pid-fd) is
# taken, and KVM's warning about it, on a serial console that Bochs paces
# at 115200 baud, put millions of instructions into some measurements.
BENCH_APPEND = debugfs=off
bench: deps
	$(MAKE) vm-module $(B)/bench/exitbench
	mkdir -p $(B)/bench
	WHV_QEMU_ICOUNT=1 VM_CPUS=1 VM_TIMEOUT=3600 VM_LOG=$(B)/bench/exits.log \
		MODULES="kvm-amd" selftests/vm/vmrun.sh $(BENCH_FILES) \
		-- sh ./exitbench.sh table $(BENCH_ITERS)
	sed -n 's/^EXITBENCH-CSV://p' $(B)/bench/exits.log >$(B)/bench/exits.csv
	WHV_BOCHS_ICOUNT=1 BACKEND=vmx VM_CPUS=1 VM_TIMEOUT=3600 VM_APPEND=$(BENCH_APPEND) \
		VM_LOG=$(B)/bench/exits-vmx.log MODULES="kvm-intel" \
		selftests/vm/vmrun.sh $(BENCH_FILES) -- sh ./exitbench.sh table $(BENCH_ITERS)
	sed -n 's/^EXITBENCH-CSV://p' $(B)/bench/exits-vmx.log >$(B)/bench/exits-vmx.csv
	VM_CPUS=4 VM_TIMEOUT=900 VM_LOG=$(B)/bench/scaling.log MODULES="kvm-amd" \
		selftests/vm/vmrun.sh $(BENCH_FILES) \
		-- sh ./exitbench.sh scale $(BENCH_SECONDS)
	sed -n 's/^EXITSCALE-CSV://p' $(B)/bench/scaling.log >$(B)/bench/scaling.csv

# Where one case's round trip spends its instructions, by function (icount
# VM, a TCG plugin counting instructions per code address; bench/profile.sh).
# CASE: an exitbench case (cpuid_kernel, out_user, mmio_write, ...).
CASE ?= out_user
bench-profile: deps lib
	$(MAKE) vm-module
	mkdir -p $(B)/bench/profile
	$(CC) -O2 -shared -fPIC -Wall -o $(B)/bench/profile/tbprof.so bench/tbprof.c
	$(CC) -std=gnu11 $(CFLAGS) -no-pie $(WARN) -Wno-unused-parameter $(INC) \
		-Iselftests/lib bench/exitbench.c $(TEST_LIB_SRCS) $(LIBWHV_A) -lpthread \
		-o $(B)/bench/profile/exitbench
	bench/profile.sh $(CASE)

demo: deps
	$(MAKE) vm-module examples
	MODULES="whv.ko" selftests/vm/vmrun.sh --file $(B)/examples/hello -- ./hello

# The module as users install it: built by DKMS (trees kept under build/),
# then loaded in the test VM to run the demo.
DKMS_SRC := $(B)/dkms/src/whv-0.1.0
DKMS := dkms --sourcetree $(CURDIR)/$(B)/dkms/src --dkmstree $(CURDIR)/$(B)/dkms/tree
dkms-check: deps examples
	rm -rf $(B)/dkms
	mkdir -p $(DKMS_SRC)/kmod $(DKMS_SRC)/uapi $(B)/dkms/tree
	cp Kbuild dkms.conf $(DKMS_SRC)/
	cp kmod/*.c kmod/*.h kmod/*.S $(DKMS_SRC)/kmod/
	cp uapi/*.h $(DKMS_SRC)/uapi/
	$(DKMS) add whv/0.1.0
	$(DKMS) build whv/0.1.0 -k $(KVER)
	MODULES="$(B)/dkms/tree/whv/0.1.0/$(KVER)/x86_64/module/whv.ko" \
		selftests/vm/vmrun.sh --file $(B)/examples/hello -- ./hello
	@echo "ok 1 - the DKMS-built whv.ko runs the demo"

test: deps
	@mkdir -p $(B)
	@set -o pipefail; { $(MAKE) unit-test checkpatch && $(MAKE) vmtest && \
		$(MAKE) dkms-check; } 2>&1 | tee $(B)/test.log; rc=$$?; \
		scripts/test-summary.sh $(B)/test.log; exit $$rc

clean:
	rm -rf $(B) $(LIBWHV_A) $(LIBWHV_SO) lib/libwhv/libwhv.pc
	rm -f whv.ko whv.mod whv.mod.c whv.mod.o whv.o modules.order Module.symvers \
		.*.cmd kmod/*.o kmod/.*.cmd
