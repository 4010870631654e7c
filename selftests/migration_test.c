// SPDX-License-Identifier: GPL-2.0
/*
 * A VP whose thread moves between CPUs keeps running correctly: between
 * runs (affinity changed by the runner) and during a run (changed by
 * another thread while the VP is in the guest). On VMX this moves the
 * VMCS: cleared on the old CPU, loaded and launched afresh on the new.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "guest.h"

#define COUNTER	0x3000

/* Count in R8 and in memory, one OUT per step; the host checks both. */
GUEST_CODE(counter, ".code64",
	"	xor %r8, %r8\n"
	"1:	inc %r8\n"
	"	mov %r8, 0x3000\n"
	"	out %al, $0x80\n"
	"	jmp 1b\n");

static int pin_thread(pid_t tid, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(tid, sizeof(set), &set);
}

/* One guest step: RUN to the next OUT, check the count, step past it. */
static void step(struct __test_metadata *_metadata, struct test_vm *vm,
		 UINT32 vp, UINT64 expect)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;

	ASSERT_EQ(S_OK, vm_run(vm, vp, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64IoPortAccess, exit.ExitReason);
	ASSERT_EQ(expect, vm_get(vm, vp, WHvX64RegisterR8));
	ASSERT_EQ(expect, *(volatile UINT64 *)(vm->mem + COUNTER));
	vm_skip(vm, vp, &exit);
}

static bool two_cpus(void)
{
	return sysconf(_SC_NPROCESSORS_ONLN) >= 2;
}

TEST(migrate_between_runs)
{
	struct test_vm vm;
	int i;

	if (!two_cpus())
		SKIP(return, "needs 2 CPUs");
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_long(&vm, 0, counter_start, counter_end);
	for (i = 1; i <= 200; i++) {
		ASSERT_EQ(0, pin_thread(0, i & 1));
		step(_metadata, &vm, 0, i);
	}
	vm_destroy(&vm);
}

struct flipper {
	pid_t tid;
	volatile int stop;
	volatile int flips;
};

static void *flip_affinity(void *arg)
{
	struct flipper *f = arg;
	struct timespec ts = { 0, 200 * 1000 };

	while (!f->stop) {
		pin_thread(f->tid, f->flips++ & 1);
		nanosleep(&ts, NULL);
	}
	return NULL;
}

TEST(migrate_during_runs)
{
	struct flipper f = { .tid = gettid() };
	struct test_vm vm;
	pthread_t t;
	int i;

	if (!two_cpus())
		SKIP(return, "needs 2 CPUs");
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_long(&vm, 0, counter_start, counter_end);
	ASSERT_EQ(0, pthread_create(&t, NULL, flip_affinity, &f));
	/*
	 * At least 3000 exits and 50 moves, however slowly the flipper gets
	 * scheduled (an emulated machine), with a cap so it cannot spin.
	 */
	for (i = 1; i <= 3000 || (f.flips < 50 && i <= 1000000); i++)
		step(_metadata, &vm, 0, i);
	f.stop = 1;
	pthread_join(t, NULL);
	TH_LOG("%d affinity changes during %d exits", f.flips, i - 1);
	EXPECT_GE(f.flips, 50);
	vm_destroy(&vm);
}

TEST(two_vps_swap_cpus)
{
	struct test_vm vm;
	int i;

	if (!two_cpus())
		SKIP(return, "needs 2 CPUs");
	ASSERT_EQ(S_OK, vm_create(&vm, 2));
	vm_load_long(&vm, 0, counter_start, counter_end);
	vm_load_long(&vm, 1, counter_start, counter_end);
	/* Both VPs share the code; each keeps its own count in R8. */
	for (i = 1; i <= 100; i++) {
		ASSERT_EQ(0, pin_thread(0, i & 1));
		step(_metadata, &vm, 0, i);
		ASSERT_EQ(0, pin_thread(0, !(i & 1)));
		step(_metadata, &vm, 1, i);
	}
	vm_destroy(&vm);
}

TEST_HARNESS_MAIN
