// SPDX-License-Identifier: GPL-2.0
/*
 * Guest FPU/SSE state is the guest's alone: it survives exits and
 * preemption, and the host thread's own state is never disturbed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include "kselftest_harness.h"
#include "guest.h"

#define GUEST_XMM	0x1234567890abcdefULL
#define HOST_XMM	0xfeedfacecafebeefULL
#define GUEST_MXCSR	0x3f80	/* round down, exceptions masked */
#define HOST_MXCSR	0x5f80	/* round up */
#define GUEST_FCW	0x0c7f	/* round toward zero */
#define HOST_FCW	0x087f	/* round up */
#define RESULT		0x3000	/* guest stores MXCSR and FCW here */

/*
 * Load XMM5/MXCSR/FCW, then exit through port 0x80 RCX times, checking
 * XMM5 after every exit. RDX = 1 if it always held, 2 if not.
 */
GUEST_CODE(fpu_loop, ".code64",
	"	mov $0x1234567890abcdef, %rax\n"
	"	movq %rax, %xmm5\n"
	"	push $0x3f80\n"
	"	ldmxcsr (%rsp)\n"
	"	movw $0x0c7f, (%rsp)\n"
	"	fldcw (%rsp)\n"
	"	add $8, %rsp\n"
	"1:	movq %xmm5, %rbx\n"
	"	cmp %rax, %rbx\n"
	"	jne 2f\n"
	"	out %al, $0x80\n"
	"	dec %rcx\n"
	"	jnz 1b\n"
	"	stmxcsr 0x3000\n"
	"	fnstcw 0x3004\n"
	"	mov $1, %rdx\n"
	"	hlt\n"
	"2:	mov $2, %rdx\n"
	"	hlt\n");

static uint32_t get_mxcsr(void)
{
	uint32_t v;

	asm volatile("stmxcsr %0" : "=m"(v));
	return v;
}

static uint16_t get_fcw(void)
{
	uint16_t v;

	asm volatile("fnstcw %0" : "=m"(v));
	return v;
}

static void set_host_fpu(void)
{
	uint32_t mxcsr = HOST_MXCSR;
	uint16_t fcw = HOST_FCW;

	asm volatile("ldmxcsr %0" :: "m"(mxcsr));
	asm volatile("fldcw %0" :: "m"(fcw));
}

static void restore_default_fpu(void)
{
	uint32_t mxcsr = 0x1f80;
	uint16_t fcw = 0x037f;

	asm volatile("ldmxcsr %0" :: "m"(mxcsr));
	asm volatile("fldcw %0" :: "m"(fcw));
}

/* Run the loop guest to its HLT; returns the number of exits seen. */
static int run_loop(struct __test_metadata *_metadata, struct test_vm *vm,
		    int count)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	int exits = 0;

	vm_load_long(vm, 0, fpu_loop_start, fpu_loop_end);
	vm_set(vm, 0, WHvX64RegisterRcx, count);
	for (;;) {
		EXPECT_EQ(S_OK, vm_run(vm, 0, &exit));
		/* The host's control registers are untouched by the guest's. */
		EXPECT_EQ(HOST_MXCSR, get_mxcsr());
		EXPECT_EQ(HOST_FCW, get_fcw());
		if (exit.ExitReason != WHvRunVpExitReasonX64IoPortAccess)
			break;
		EXPECT_EQ(0x80, exit.IoPortAccess.PortNumber);
		vm_skip(vm, 0, &exit);
		exits++;
		if (exits > count)
			break;
	}
	EXPECT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(1, vm_get(vm, 0, WHvX64RegisterRdx));
	EXPECT_EQ(GUEST_MXCSR, *(uint32_t *)(vm->mem + RESULT));
	EXPECT_EQ(GUEST_FCW, *(uint16_t *)(vm->mem + RESULT + 4));
	return exits;
}

TEST(guest_fpu_survives_exits_host_untouched)
{
	struct test_vm vm;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	set_host_fpu();
	EXPECT_EQ(200, run_loop(_metadata, &vm, 200));
	restore_default_fpu();
	vm_destroy(&vm);
}

struct spinner {
	volatile int stop;
	volatile uint64_t rounds;
	uint64_t bad;
};

/* Hold HOST_XMM in XMM5 and check it, without calls, until told to stop. */
static void *xmm_spinner(void *arg)
{
	struct spinner *s = arg;
	uint64_t bad = 0, rounds = 0;

	while (!s->stop) {
		uint64_t out;

		asm volatile("movq %[v], %%xmm5\n"
			     "mov $100000, %%ecx\n"
			     "1: movq %%xmm5, %[o]\n"
			     "cmp %[v], %[o]\n"
			     "jne 2f\n"
			     "dec %%ecx\n"
			     "jnz 1b\n"
			     "2:\n"
			     : [o] "=&r"(out)
			     : [v] "r"(HOST_XMM)
			     : "rcx", "xmm5", "cc");
		if (out != HOST_XMM)
			bad++;
		s->rounds = ++rounds;
	}
	s->bad = bad;
	return NULL;
}

static void pin_to_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

TEST(xmm_isolated_under_preemption)
{
	struct spinner s = { 0 };
	struct test_vm vm;
	pthread_t t;
	int i;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	pin_to_cpu0();		/* the spinner inherits it: one CPU, two threads */
	set_host_fpu();
	ASSERT_EQ(0, pthread_create(&t, NULL, xmm_spinner, &s));
	/*
	 * Keep the guest going until the spinner has had the CPU several
	 * times: only then were the two really interleaved (an emulator may
	 * fit many exits into one scheduler tick).
	 */
	for (i = 0; i < 200 && s.rounds < 5; i++)
		EXPECT_EQ(500, run_loop(_metadata, &vm, 500));
	s.stop = 1;
	pthread_join(t, NULL);
	EXPECT_GT(s.rounds, 0);
	EXPECT_EQ(0, s.bad);
	restore_default_fpu();
	vm_destroy(&vm);
}

TEST_HARNESS_MAIN
