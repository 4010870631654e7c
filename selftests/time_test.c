// SPDX-License-Identifier: GPL-2.0
/*
 * Partition time: while suspended the guest's TSC stands still (the
 * register API reads a frozen value, the guest sees a gap far shorter than
 * the host's), a run resumes time, suspending needs every VP stopped; and
 * the clock frequencies the partition reports.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>
#include "kselftest_harness.h"
#include "guest.h"

#define APIC_TIMER_HZ	200000000ULL

/* RDTSC into R8, HLT, RDTSC into R9, HLT. */
GUEST_CODE(tsc_twice, ".code64",
	"	rdtsc\n"
	"	shl $32, %rdx\n"
	"	or %rax, %rdx\n"
	"	mov %rdx, %r8\n"
	"	hlt\n"
	"	rdtsc\n"
	"	shl $32, %rdx\n"
	"	or %rax, %rdx\n"
	"	mov %rdx, %r9\n"
	"	hlt\n");

GUEST_CODE(spin, ".code64", "1: jmp 1b\n");

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Host TSC ticks of @ms milliseconds of sleep. */
static UINT64 host_ticks(long ms)
{
	UINT64 t = __rdtsc();

	sleep_ms(ms);
	return __rdtsc() - t;
}

TEST(suspended_time_does_not_advance)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	UINT64 t0, t1, gap, a, b, guest;

	ASSERT_EQ(S_OK, vm_create(&vm, 2));
	vm_load_long(&vm, 0, tsc_twice_start, tsc_twice_end);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);

	ASSERT_EQ(S_OK, WHvSuspendPartitionTime(vm.part));
	EXPECT_EQ(S_OK, WHvSuspendPartitionTime(vm.part));	/* no-op */
	a = vm_get(&vm, 0, WHvX64RegisterTsc);
	t0 = vm_get(&vm, 1, WHvX64RegisterTsc);
	gap = host_ticks(300);
	b = vm_get(&vm, 0, WHvX64RegisterTsc);
	t1 = vm_get(&vm, 1, WHvX64RegisterTsc);
	/* Frozen for every VP while suspended. */
	EXPECT_EQ(a, b);
	EXPECT_EQ(t0, t1);
	ASSERT_EQ(S_OK, WHvResumePartitionTime(vm.part));
	EXPECT_EQ(S_OK, WHvResumePartitionTime(vm.part));	/* no-op */

	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	guest = vm_get(&vm, 0, WHvX64RegisterR9) -
		vm_get(&vm, 0, WHvX64RegisterR8);
	TH_LOG("host gap %llu ticks, guest saw %llu", (unsigned long long)gap,
	       (unsigned long long)guest);
	EXPECT_LT(guest, gap / 4);
	/* The other VP, which never ran, resumed from its frozen value too. */
	EXPECT_LT(vm_get(&vm, 1, WHvX64RegisterTsc) - t1, gap / 4);
	/* Running again: time goes on. */
	a = vm_get(&vm, 0, WHvX64RegisterTsc);
	sleep_ms(50);
	EXPECT_GT(vm_get(&vm, 0, WHvX64RegisterTsc), a);
	vm_destroy(&vm);
}

/* Microsoft: WHvRunVirtualProcessor resumes suspended time. */
TEST(run_resumes_time)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	UINT64 gap, guest, a;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_long(&vm, 0, tsc_twice_start, tsc_twice_end);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(S_OK, WHvSuspendPartitionTime(vm.part));
	gap = host_ticks(200);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	guest = vm_get(&vm, 0, WHvX64RegisterR9) -
		vm_get(&vm, 0, WHvX64RegisterR8);
	EXPECT_LT(guest, gap / 4);
	a = vm_get(&vm, 0, WHvX64RegisterTsc);
	sleep_ms(50);
	EXPECT_GT(vm_get(&vm, 0, WHvX64RegisterTsc), a);
	vm_destroy(&vm);
}

/* A TSC written while suspended is what the guest reads on resume. */
TEST(tsc_set_while_suspended)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	UINT64 t;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	ASSERT_EQ(S_OK, WHvSuspendPartitionTime(vm.part));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterTsc, 1ULL << 40));
	sleep_ms(100);
	EXPECT_EQ(1ULL << 40, vm_get(&vm, 0, WHvX64RegisterTsc));
	vm_load_long(&vm, 0, tsc_twice_start, tsc_twice_end);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	t = vm_get(&vm, 0, WHvX64RegisterR8);
	EXPECT_GE(t, 1ULL << 40);
	EXPECT_LT(t - (1ULL << 40), 1000000000ULL);
	vm_destroy(&vm);
}

struct runner {
	struct test_vm *vm;
	WHV_RUN_VP_EXIT_CONTEXT exit;
	HRESULT hr;
};

static void *run_thread(void *arg)
{
	struct runner *r = arg;

	r->hr = vm_run(r->vm, 0, &r->exit);
	return NULL;
}

TEST(suspend_needs_stopped_vps)
{
	struct runner r = { 0 };
	struct test_vm vm;
	pthread_t t;
	HRESULT hr = S_OK;
	int i;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_long(&vm, 0, spin_start, spin_end);
	r.vm = &vm;
	ASSERT_EQ(0, pthread_create(&t, NULL, run_thread, &r));
	for (i = 0; i < 100 && hr == S_OK; i++) {
		sleep_ms(20);
		hr = WHvSuspendPartitionTime(vm.part);
		if (hr == S_OK)
			WHvResumePartitionTime(vm.part);
	}
	EXPECT_EQ(WHV_E_INVALID_VP_STATE, hr);
	EXPECT_EQ(S_OK, WHvCancelRunVirtualProcessor(vm.part, 0, 0));
	pthread_join(t, NULL);
	EXPECT_EQ(S_OK, r.hr);
	EXPECT_EQ(WHvRunVpExitReasonCanceled, r.exit.ExitReason);
	EXPECT_EQ(S_OK, WHvSuspendPartitionTime(vm.part));
	EXPECT_EQ(S_OK, WHvResumePartitionTime(vm.part));
	vm_destroy(&vm);
}

TEST(before_setup_and_bad_handle)
{
	WHV_PARTITION_HANDLE part;

	ASSERT_EQ(S_OK, WHvCreatePartition(&part));
	EXPECT_EQ(WHV_E_INVALID_PARTITION_CONFIG, WHvSuspendPartitionTime(part));
	EXPECT_EQ(WHV_E_INVALID_PARTITION_CONFIG, WHvResumePartitionTime(part));
	EXPECT_EQ(S_OK, WHvDeletePartition(part));
	EXPECT_EQ(E_HANDLE, WHvSuspendPartitionTime(NULL));
	EXPECT_EQ(E_HANDLE, WHvResumePartitionTime(NULL));
}

TEST(clock_frequencies)
{
	WHV_CAPABILITY cap;
	UINT64 v = 0, tsc_hz;
	UINT32 written = 0;
	struct test_vm vm;

	memset(&cap, 0, sizeof(cap));
	ASSERT_EQ(S_OK, WHvGetCapability(WHvCapabilityCodeInterruptClockFrequency,
					 &cap, sizeof(cap), &written));
	EXPECT_EQ(8, written);
	EXPECT_EQ(APIC_TIMER_HZ, cap.InterruptClockFrequency);
	ASSERT_EQ(S_OK, WHvGetCapability(WHvCapabilityCodeProcessorClockFrequency,
					 &cap, sizeof(cap), &written));
	tsc_hz = cap.ProcessorClockFrequency;
	EXPECT_NE(0, tsc_hz);

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	ASSERT_EQ(S_OK, WHvGetPartitionProperty(vm.part,
		WHvPartitionPropertyCodeInterruptClockFrequency, &v, sizeof(v),
		&written));
	EXPECT_EQ(8, written);
	EXPECT_EQ(APIC_TIMER_HZ, v);
	ASSERT_EQ(S_OK, WHvGetPartitionProperty(vm.part,
		WHvPartitionPropertyCodeProcessorClockFrequency, &v, sizeof(v),
		&written));
	EXPECT_EQ(tsc_hz, v);
	EXPECT_EQ(WHV_E_INSUFFICIENT_BUFFER, WHvGetPartitionProperty(vm.part,
		WHvPartitionPropertyCodeInterruptClockFrequency, &v, 4,
		&written));
	/* The host's clocks: not settable. */
	EXPECT_EQ(E_INVALIDARG, WHvSetPartitionProperty(vm.part,
		WHvPartitionPropertyCodeInterruptClockFrequency, &v, sizeof(v)));
	EXPECT_EQ(E_INVALIDARG, WHvSetPartitionProperty(vm.part,
		WHvPartitionPropertyCodeProcessorClockFrequency, &v, sizeof(v)));
	vm_destroy(&vm);
}

GUEST_CODE(out80, ".code64", "	out %al, $0x80\n	hlt\n");

/*
 * The APIC timer stands still while time is suspended too: a one-shot
 * timer armed for 300 ms does not expire during a 500 ms suspension, keeps
 * its count, and expires once a run has resumed time.
 */
TEST(apic_timer_frozen_while_suspended)
{
	struct vm_config cfg = {
		.nvps = 1,
		.apic_mode = WHvX64LocalApicEmulationModeXApic,
	};
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	UINT64 count, left;
	int ms;

	ASSERT_EQ(S_OK, vm_create_config(&vm, &cfg));
	vm_load_long(&vm, 0, out80_start, out80_end);
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterApicSpurious, 0x1ff));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterApicDivide, 0xb));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterApicLvtTimer, 0x40));
	count = APIC_TIMER_HZ * 3 / 10;
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterApicInitCount, count));
	ASSERT_EQ(S_OK, WHvSuspendPartitionTime(vm.part));
	left = vm_get(&vm, 0, WHvX64RegisterApicCurrentCount);
	EXPECT_LT(0, left);
	sleep_ms(500);
	EXPECT_EQ(0, vm_get(&vm, 0, WHvX64RegisterApicIrr2));
	EXPECT_EQ(left, vm_get(&vm, 0, WHvX64RegisterApicCurrentCount));

	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));	/* resumes time */
	ASSERT_EQ(WHvRunVpExitReasonX64IoPortAccess, exit.ExitReason);
	for (ms = 0; ms < 10000 && !vm_get(&vm, 0, WHvX64RegisterApicIrr2); ms += 10)
		sleep_ms(10);
	EXPECT_EQ(1, vm_get(&vm, 0, WHvX64RegisterApicIrr2));
	EXPECT_EQ(0, vm_get(&vm, 0, WHvX64RegisterApicCurrentCount));
	vm_destroy(&vm);
}

TEST_HARNESS_MAIN
