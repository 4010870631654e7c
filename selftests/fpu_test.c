// SPDX-License-Identifier: GPL-2.0
/*
 * Guest FPU/SSE state is the guest's alone: it survives exits and
 * preemption, and the host thread's own state is never disturbed.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <cpuid.h>
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

/*
 * The guest never sees the kernel's lazy FPU trap (CR0.TS and CR0.MP forced
 * on until its first FPU use): RCX rounds of reading CR0 with MOV and SMSW,
 * an exit each (every run, some with the trap armed); then XMM5 as set
 * through the API before the first run; then a #NM of its own making.
 */
GUEST_CODE(fpu_trap, ".code64",
	"1:	mov %cr0, %rax\n"
	"	smsw %ebx\n"
	"	out %al, $0x80\n"
	"	dec %rcx\n"
	"	jnz 1b\n"
	"	movq %xmm5, %rbx\n"
	"	out %al, $0x81\n"
	"	mov %cr0, %rax\n"
	"	or $8, %rax\n"
	"	mov %rax, %cr0\n"
	GL(fpu_trap_nm)
	"	movq %xmm5, %rbx\n"
	"	out %al, $0x82\n"
	"	hlt\n");
extern const uint8_t fpu_trap_nm[];

#define TRAP_CR0	0x80010031ULL	/* PG WP NE ET PE: MP and TS clear */
#define TRAP_ROUNDS	40

static void expect_port(struct __test_metadata *_metadata,
			const WHV_RUN_VP_EXIT_CONTEXT *e, UINT16 port)
{
	ASSERT_EQ(WHvRunVpExitReasonX64IoPortAccess, e->ExitReason);
	ASSERT_EQ(port, e->IoPortAccess.PortNumber);
}

TEST(fpu_trap_invisible_to_guest)
{
	WHV_REGISTER_NAME xmm5 = WHvX64RegisterXmm5;
	WHV_REGISTER_VALUE v = { 0 };
	WHV_RUN_VP_EXIT_CONTEXT e;
	struct test_vm vm;
	int i;

	ASSERT_EQ(S_OK, vm_create_with(&vm, 1, 1ULL << 2, 1ULL << 7));
	vm_load_long(&vm, 0, fpu_trap_start, fpu_trap_end);
	vm_set(&vm, 0, WHvX64RegisterCr0, TRAP_CR0);
	vm_set(&vm, 0, WHvX64RegisterRcx, TRAP_ROUNDS);
	v.Reg128.Low64 = GUEST_XMM;
	v.Reg128.High64 = ~GUEST_XMM;
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorRegisters(vm.part, 0, &xmm5, 1,
							&v));
	for (i = 0; i < TRAP_ROUNDS; i++) {
		ASSERT_EQ(S_OK, vm_run(&vm, 0, &e));
		expect_port(_metadata, &e, 0x80);
		EXPECT_EQ(TRAP_CR0, vm_get(&vm, 0, WHvX64RegisterRax));
		EXPECT_EQ(TRAP_CR0 & 0xffff,
			  vm_get(&vm, 0, WHvX64RegisterRbx) & 0xffff);
		EXPECT_EQ(TRAP_CR0, vm_get(&vm, 0, WHvX64RegisterCr0));
		vm_skip(&vm, 0, &e);
	}
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &e));
	expect_port(_metadata, &e, 0x81);
	EXPECT_EQ(GUEST_XMM, vm_get(&vm, 0, WHvX64RegisterRbx));
	vm_skip(&vm, 0, &e);

	/* TS set by the guest: its own #NM, RIP at the MOVQ. */
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &e));
	ASSERT_EQ(WHvRunVpExitReasonException, e.ExitReason);
	EXPECT_EQ(7, e.VpException.ExceptionType);
	EXPECT_EQ(GA(fpu_trap, fpu_trap_nm), e.VpContext.Rip);
	EXPECT_EQ(TRAP_CR0 | 8, vm_get(&vm, 0, WHvX64RegisterCr0));
	vm_set(&vm, 0, WHvX64RegisterCr0, TRAP_CR0);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &e));
	expect_port(_metadata, &e, 0x82);
	EXPECT_EQ(GUEST_XMM, vm_get(&vm, 0, WHvX64RegisterRbx));
	EXPECT_EQ(TRAP_CR0, vm_get(&vm, 0, WHvX64RegisterCr0));
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

/*
 * x87, SSE and AVX state at once: ST0 = 1.0, ST1 = pi, XMM9, and YMM10's
 * upper half when R10 says the guest has AVX; each checked after every one
 * of RCX exits. RDX = 1 if they all held, 2 if not.
 */
GUEST_CODE(fpu_all, ".code64",
	"	mov $0x1234567890abcdef, %rax\n"
	"	movq %rax, %xmm9\n"
	"	fninit\n"
	"	fldpi\n"
	"	fld1\n"
	"	mov $0x0badc0ffee0df00d, %rdi\n"
	"	test %r10, %r10\n"
	"	jz 1f\n"
	"	movq %rdi, %xmm0\n"
	"	vinsertf128 $1, %xmm0, %ymm10, %ymm10\n"
	"1:	movq %xmm9, %rbx\n"
	"	cmp %rax, %rbx\n"
	"	jne 9f\n"
	"	fstl 0x3000\n"
	"	mov $0x3ff0000000000000, %rbx\n"
	"	cmp 0x3000, %rbx\n"
	"	jne 9f\n"
	"	fld %st(1)\n"
	"	fstpl 0x3008\n"
	"	mov $0x400921fb54442d18, %rbx\n"
	"	cmp 0x3008, %rbx\n"
	"	jne 9f\n"
	"	test %r10, %r10\n"
	"	jz 2f\n"
	"	vextractf128 $1, %ymm10, %xmm0\n"
	"	movq %xmm0, %rbx\n"
	"	cmp %rdi, %rbx\n"
	"	jne 9f\n"
	"2:	out %al, $0x80\n"
	"	dec %rcx\n"
	"	jnz 1b\n"
	"	mov $1, %rdx\n"
	"	hlt\n"
	"9:	mov $2, %rdx\n"
	"	hlt\n");

#define HOST_YMM_HI	0x5a5a5a5aa5a5a5a5ULL
#define PI_BITS		0x400921fb54442d18ULL

static bool have_avx(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 28)) ||
	    !(c & (1u << 27)))
		return false;
	asm volatile("xgetbv" : "=a"(a), "=d"(d) : "c"(0));
	return (a & 6) == 6;
}

struct fp_spinner {
	volatile int stop;
	volatile uint64_t rounds;
	uint64_t bad;
	bool avx;
};

/*
 * The host's floating point beside the guest: XMM5, x87 ST0 = pi and (with
 * AVX) YMM6's upper half held and checked, without calls, in one block.
 */
static void *fp_spinner(void *arg)
{
	struct fp_spinner *s = arg;
	uint64_t bad = 0, rounds = 0;

	while (!s->stop) {
		uint64_t out, mem;

		asm volatile("movq %[v], %%xmm5\n"
			     "fninit\n"
			     "fldpi\n"
			     "test %[avx], %[avx]\n"
			     "jz 1f\n"
			     "movq %[h], %%xmm0\n"
			     "vinsertf128 $1, %%xmm0, %%ymm6, %%ymm6\n"
			     "1: mov $20000, %%ecx\n"
			     "2: movq %%xmm5, %[o]\n"
			     "cmp %[v], %[o]\n"
			     "jne 3f\n"
			     "fstl %[m]\n"
			     "mov %[m], %[o]\n"
			     "cmp %[p], %[o]\n"
			     "jne 3f\n"
			     "test %[avx], %[avx]\n"
			     "jz 4f\n"
			     "vextractf128 $1, %%ymm6, %%xmm0\n"
			     "movq %%xmm0, %[o]\n"
			     "cmp %[h], %[o]\n"
			     "jne 3f\n"
			     "4: dec %%ecx\n"
			     "jnz 2b\n"
			     "mov %[v], %[o]\n"
			     "3: fninit\n"
			     "test %[avx], %[avx]\n"
			     "jz 5f\n"
			     "vzeroupper\n"
			     "5:\n"
			     : [o] "=&r"(out), [m] "=m"(mem)
			     : [v] "r"(HOST_XMM), [h] "r"(HOST_YMM_HI),
			       [p] "r"(PI_BITS), [avx] "r"((uint64_t)s->avx)
			     : "rcx", "xmm0", "xmm5", "xmm6", "cc", "memory");
		if (out != HOST_XMM)
			bad++;
		s->rounds = ++rounds;
	}
	s->bad = bad;
	return NULL;
}

/* 10k exits with x87, SSE and AVX live in the guest and in a host thread. */
TEST(x87_sse_avx_survive_10k_exits_beside_host_fp)
{
	/* Bochs loses AVX state in the host's own context switches. */
	struct fp_spinner s = { .avx = have_avx() && !host_is_bochs() };
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	pthread_t t;
	int exits = 0;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	pin_to_cpu0();
	set_host_fpu();
	ASSERT_EQ(0, pthread_create(&t, NULL, fp_spinner, &s));
	vm_load_long(&vm, 0, fpu_all_start, fpu_all_end);
	if (s.avx) {
		vm_set(&vm, 0, WHvX64RegisterCr4, 0x20 | 0x200 | 0x40000);
		vm_set(&vm, 0, WHvX64RegisterXCr0, 7);
	}
	vm_set(&vm, 0, WHvX64RegisterR10, s.avx);
	vm_set(&vm, 0, WHvX64RegisterRcx, 10000);
	for (;;) {
		ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
		if (exit.ExitReason != WHvRunVpExitReasonX64IoPortAccess)
			break;
		vm_skip(&vm, 0, &exit);
		if (++exits > 10000)
			break;
	}
	s.stop = 1;
	pthread_join(t, NULL);
	EXPECT_EQ(HOST_MXCSR, get_mxcsr());
	EXPECT_EQ(HOST_FCW, get_fcw());
	EXPECT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(10000, exits);
	EXPECT_EQ(1, vm_get(&vm, 0, WHvX64RegisterRdx));
	EXPECT_GT(s.rounds, 0);
	EXPECT_EQ(0, s.bad);
	TH_LOG("avx %d, host spinner rounds %llu", s.avx,
	       (unsigned long long)s.rounds);
	restore_default_fpu();
	vm_destroy(&vm);
}

TEST_HARNESS_MAIN
