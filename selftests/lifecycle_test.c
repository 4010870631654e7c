// SPDX-License-Identifier: GPL-2.0
/*
 * Lifecycle: concurrency, signals, teardown and the lifetime of guest
 * memory.
 *
 *  - WHvCancelRunVirtualProcessor from another thread, before a run, and
 *    racing the start of a run; guest state survives every cancel.
 *  - Signals delivered to the running thread are handled and the run goes
 *    on (libwhv re-enters); only a cancel ends it.
 *  - Deleting a running VP or touching its registers fails; deleting the
 *    partition under a running VP ends the run; a process that dies with
 *    live partitions leaves nothing behind (module refcount back to 0).
 *  - The guest sees exactly what the host process sees: munmap, MAP_FIXED,
 *    MADV_DONTNEED, mprotect and fork (COW) reach the nested tables, also
 *    while the guest runs; map/unmap/partial unmap/remap; a PROT_NONE
 *    reservation committed page by page later; a shared memfd seen alike by
 *    the guest, a second mapping and the file, and truncated under it; a
 *    page migrated (soft offline) and memory swapped out (zram) under a
 *    running guest.
 *  - Two VPs of a partition and two partitions run in parallel, and fault
 *    the same fresh pages at the same time.
 *
 * Closing the partition fd behind libwhv's back is not tested: the handle
 * hides the fd; process exit and WHvDeletePartition cover that teardown.
 *
 * The guest counts in RAX and also stores the count in memory (RDI), so the
 * host sees a running guest make progress without touching the VP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "guest.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* Guest-physical layout besides guest.h's (code 0x1000, tables 0x10000). */
#define CNT_GPA		0x20000		/* per-VP counters: + 8 * vp */
#define FLAG_GPA	0x21000		/* ping-pong flags */
#define DATA_GPA	0x30000		/* scratch data in the main block */
#define EXTRA_GPA	0x400000	/* extra 64 KiB host buffer */
#define EXTRA_SIZE	0x10000
#define EXTRA2_GPA	0x600000
#define TRIO_GPA	0x500000	/* 3-page mapping */
#define PAGE		4096

/*
 * lc_spin:  RAX += 1, [RDI] = RAX, forever.
 * lc_read:  RBX = [RSI]; HLT; again.
 * lc_write: [RDI] = RBX; HLT; again.
 * lc_watch: while ([RSI] == RDX) { RAX += 1; [RDI] = RAX; }  then HLT with
 *           RBX = the value that differed.
 * lc_touch: read one qword of every page in [RSI, RDX); HLT.
 * lc_ping/lc_pong: two VPs hand a flag back and forth through memory.
 */
GUEST_CODE(lc, ".code64",
	".globl lc_spin\n"
	"lc_spin:\n"
	"1:	inc %rax\n"
	"	mov %rax, (%rdi)\n"
	"	jmp 1b\n"
	".globl lc_spin_end\n"
	"lc_spin_end:\n"
	".globl lc_read\n"
	"lc_read:\n"
	"2:	mov (%rsi), %rbx\n"
	"	hlt\n"
	"	jmp 2b\n"
	".globl lc_write\n"
	"lc_write:\n"
	"3:	mov %rbx, (%rdi)\n"
	"	hlt\n"
	"	jmp 3b\n"
	".globl lc_watch\n"
	"lc_watch:\n"
	"4:	mov (%rsi), %rbx\n"
	"	cmp %rdx, %rbx\n"
	"	jne 5f\n"
	"	inc %rax\n"
	"	mov %rax, (%rdi)\n"
	"	jmp 4b\n"
	"5:	hlt\n"
	"	jmp 4b\n"
	".globl lc_touch\n"
	"lc_touch:\n"
	"8:	mov (%rsi), %rbx\n"
	"	add $4096, %rsi\n"
	"	cmp %rdx, %rsi\n"
	"	jb 8b\n"
	"	hlt\n"
	".globl lc_ping\n"
	"lc_ping:\n"
	"	movq $1, (%rsi)\n"
	"6:	inc %rax\n"
	"	pause\n"
	"	cmpq $1, (%rdi)\n"
	"	jne 6b\n"
	"	hlt\n"
	".globl lc_pong\n"
	"lc_pong:\n"
	"7:	inc %rax\n"
	"	pause\n"
	"	cmpq $1, (%rsi)\n"
	"	jne 7b\n"
	"	movq $1, (%rdi)\n"
	"	hlt\n");

extern const uint8_t lc_spin[], lc_spin_end[], lc_read[], lc_write[],
	lc_watch[], lc_touch[], lc_ping[], lc_pong[];

#define GPA_OF(sym)	((UINT64)GUEST_LOAD + (UINT64)((sym) - lc_start))

/* ---- small helpers ---------------------------------------------------- */

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Safety net: a hang ends the test with a message naming the step. */
static char wd_msg[160] = "lifecycle";

static void wd_handler(int sig)
{
	static const char pre[] = "# watchdog: hang in ";
	ssize_t n;

	(void)sig;
	n = write(2, pre, sizeof(pre) - 1);
	n = write(2, wd_msg, strnlen(wd_msg, sizeof(wd_msg)));
	n = write(2, "\n", 1);
	(void)n;
	_exit(99);
}

static void watchdog(unsigned int secs, const char *what)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = wd_handler;
	sigaction(SIGALRM, &sa, NULL);
	snprintf(wd_msg, sizeof(wd_msg), "%s", what);
	alarm(secs);
}

static volatile uint64_t *gpa_u64(struct test_vm *vm, UINT64 gpa)
{
	return (volatile uint64_t *)(vm->mem + gpa);
}

static volatile uint64_t *counter(struct test_vm *vm, UINT32 vp)
{
	return gpa_u64(vm, CNT_GPA + 8 * vp);
}

static uint64_t load_u64(volatile uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

/* Wait until *@c > @above; its value, or 0 after @timeout_ms. */
static uint64_t wait_count(volatile uint64_t *c, uint64_t above, int timeout_ms)
{
	uint64_t end = now_us() + (uint64_t)timeout_ms * 1000, v;

	do {
		v = load_u64(c);
		if (v > above)
			return v;
		usleep(1000);
	} while (now_us() < end);
	return 0;
}

static HRESULT get_reg(WHV_PARTITION_HANDLE part, UINT32 vp,
		       WHV_REGISTER_NAME name, UINT64 *out)
{
	WHV_REGISTER_VALUE v;
	HRESULT hr;

	memset(&v, 0, sizeof(v));
	hr = WHvGetVirtualProcessorRegisters(part, vp, &name, 1, &v);
	*out = v.Reg64;
	return hr;
}

static HRESULT set_reg(WHV_PARTITION_HANDLE part, UINT32 vp,
		       WHV_REGISTER_NAME name, UINT64 value)
{
	WHV_REGISTER_VALUE v;

	memset(&v, 0, sizeof(v));
	v.Reg64 = value;
	return WHvSetVirtualProcessorRegisters(part, vp, &name, 1, &v);
}

/* Long mode, RIP at @entry. Load every VP before any of them runs. */
static void load(struct test_vm *vm, UINT32 vp, const uint8_t *entry)
{
	vm_load_long(vm, vp, lc_start, lc_end);
	vm_set(vm, vp, WHvX64RegisterRip, GPA_OF(entry));
}

static void spin_setup(struct test_vm *vm, UINT32 vp)
{
	load(vm, vp, lc_spin);
	vm_set(vm, vp, WHvX64RegisterRax, 0);
	vm_set(vm, vp, WHvX64RegisterRdi, CNT_GPA + 8 * vp);
	*counter(vm, vp) = 0;
}

static bool rip_in_spin(UINT64 rip)
{
	return rip >= GPA_OF(lc_spin) && rip < GPA_OF(lc_spin_end);
}

/* Read @gpa through the guest (lc_read); HLT expected, value in RBX. */
static HRESULT guest_read(struct test_vm *vm, UINT64 gpa,
			  WHV_RUN_VP_EXIT_CONTEXT *exit)
{
	vm_set(vm, 0, WHvX64RegisterRip, GPA_OF(lc_read));
	vm_set(vm, 0, WHvX64RegisterRsi, gpa);
	vm_set(vm, 0, WHvX64RegisterRbx, 0xbadbadbadbadbad0ULL);
	return vm_run(vm, 0, exit);
}

static HRESULT guest_write(struct test_vm *vm, UINT64 gpa, UINT64 value,
			   WHV_RUN_VP_EXIT_CONTEXT *exit)
{
	vm_set(vm, 0, WHvX64RegisterRip, GPA_OF(lc_write));
	vm_set(vm, 0, WHvX64RegisterRdi, gpa);
	vm_set(vm, 0, WHvX64RegisterRbx, value);
	return vm_run(vm, 0, exit);
}

/* The guest reads @val at @gpa. */
#define ASSERT_GUEST_READS(vm, gpa, val) do {					\
	WHV_RUN_VP_EXIT_CONTEXT _x;						\
	ASSERT_EQ(S_OK, guest_read(vm, gpa, &_x));				\
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, _x.ExitReason) {			\
		TH_LOG("guest read of 0x%llx: exit 0x%x gpa 0x%llx",		\
		       (unsigned long long)(gpa), _x.ExitReason,		\
		       (unsigned long long)_x.MemoryAccess.Gpa);		\
	}									\
	ASSERT_EQ((UINT64)(val), vm_get(vm, 0, WHvX64RegisterRbx));		\
} while (0)

/* The guest writes @val at @gpa and halts. */
#define ASSERT_GUEST_WRITES(vm, gpa, val) do {					\
	WHV_RUN_VP_EXIT_CONTEXT _x;						\
	ASSERT_EQ(S_OK, guest_write(vm, gpa, val, &_x));			\
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, _x.ExitReason) {			\
		TH_LOG("guest write of 0x%llx: exit 0x%x gpa 0x%llx",		\
		       (unsigned long long)(gpa), _x.ExitReason,		\
		       (unsigned long long)_x.MemoryAccess.Gpa);		\
	}									\
} while (0)

/* A MemoryAccess exit for @gpa by the 3-byte instruction at @insn. */
#define ASSERT_MEM_EXIT(x, gpa_, type, unmapped, insn) do {			\
	ASSERT_EQ(WHvRunVpExitReasonMemoryAccess, (x).ExitReason);		\
	ASSERT_EQ((UINT64)(gpa_), (x).MemoryAccess.Gpa);			\
	ASSERT_EQ((UINT32)(type),						\
		  (UINT32)(x).MemoryAccess.AccessInfo.AccessType);		\
	ASSERT_EQ((UINT32)(unmapped),						\
		  (UINT32)(x).MemoryAccess.AccessInfo.GpaUnmapped);		\
	ASSERT_EQ(GPA_OF(insn), (x).VpContext.Rip);				\
	ASSERT_GE((UINT32)(x).MemoryAccess.InstructionByteCount, 3);		\
	ASSERT_EQ(0, memcmp((x).MemoryAccess.InstructionBytes, insn, 3));	\
} while (0)

/* Checks of a Canceled exit of a spinning VP; returns its RAX. */
#define ASSERT_CANCELED_SPIN(vm, vp, x) do {					\
	ASSERT_EQ(WHvRunVpExitReasonCanceled, (x).ExitReason);			\
	ASSERT_EQ(WHvRunVpCancelReasonUser, (x).CancelReason.CancelReason);	\
	ASSERT_TRUE(rip_in_spin((x).VpContext.Rip)) {				\
		TH_LOG("RIP 0x%llx", (unsigned long long)(x).VpContext.Rip);	\
	}									\
	ASSERT_EQ((x).VpContext.Rip, vm_get(vm, vp, WHvX64RegisterRip));	\
	ASSERT_EQ(0x08, (x).VpContext.Cs.Selector);				\
	ASSERT_EQ(1, (UINT32)(x).VpContext.ExecutionState.EferLma);		\
	ASSERT_EQ(1, (UINT32)(x).VpContext.ExecutionState.Cr0Pe);		\
	ASSERT_EQ(0, (UINT32)(x).VpContext.ExecutionState.Cpl);		\
} while (0)

/* The in-memory copy of the count is RAX, or RAX - 1 between inc and mov. */
#define ASSERT_COUNT_MATCHES(vm, vp, rax) do {					\
	uint64_t _m = load_u64(counter(vm, vp));				\
	ASSERT_TRUE(_m == (rax) || _m + 1 == (rax)) {				\
		TH_LOG("memory count %llu, RAX %llu",				\
		       (unsigned long long)_m, (unsigned long long)(rax));	\
	}									\
} while (0)

/* A new partition can be created and runs a guest. */
#define ASSERT_HEALTHY() do {							\
	struct test_vm _h;							\
	ASSERT_EQ(S_OK, vm_create(&_h, 1));					\
	load(&_h, 0, lc_read);							\
	*gpa_u64(&_h, DATA_GPA) = 0x600dcafe600dcafeULL;			\
	ASSERT_GUEST_READS(&_h, DATA_GPA, 0x600dcafe600dcafeULL);		\
	vm_destroy(&_h);							\
} while (0)

/* ---- threads ---------------------------------------------------------- */

enum { RUNNER_IDLE, RUNNER_RUNNING, RUNNER_RETURNED };

struct runner {
	WHV_PARTITION_HANDLE part;
	UINT32 vp;
	HRESULT hr;
	WHV_RUN_VP_EXIT_CONTEXT exit;
	pthread_t thread;
	atomic_int state;
	uint64_t t_return;
	atomic_int *go;		/* if set: wait for it before running */
};

static void *runner_main(void *arg)
{
	struct runner *r = arg;

	memset(&r->exit, 0xcc, sizeof(r->exit));
	if (r->go)
		while (!atomic_load(r->go))
			;
	atomic_store(&r->state, RUNNER_RUNNING);
	r->hr = WHvRunVirtualProcessor(r->part, r->vp, &r->exit,
				       sizeof(r->exit));
	r->t_return = now_us();
	atomic_store(&r->state, RUNNER_RETURNED);
	return NULL;
}

static int runner_start_go(struct runner *r, WHV_PARTITION_HANDLE part,
			   UINT32 vp, atomic_int *go)
{
	memset(r, 0, sizeof(*r));
	r->part = part;
	r->vp = vp;
	r->go = go;
	atomic_store(&r->state, RUNNER_IDLE);
	return pthread_create(&r->thread, NULL, runner_main, r);
}

static int runner_start(struct runner *r, WHV_PARTITION_HANDLE part, UINT32 vp)
{
	return runner_start_go(r, part, vp, NULL);
}

/* Join within @timeout_ms; false if the thread is still running. */
static bool runner_join(struct runner *r, int timeout_ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return pthread_timedjoin_np(r->thread, NULL, &ts) == 0;
}

/* Cancel a running runner and join it (for error paths and the end). */
static bool runner_stop(struct runner *r, int timeout_ms)
{
	WHvCancelRunVirtualProcessor(r->part, r->vp, 0);
	return runner_join(r, timeout_ms);
}

struct canceller {
	WHV_PARTITION_HANDLE part;
	UINT32 vp;
	unsigned int delay_us;
	HRESULT hr;
	uint64_t t_cancel;
};

static void *canceller_main(void *arg)
{
	struct canceller *c = arg;

	usleep(c->delay_us);
	c->t_cancel = now_us();
	c->hr = WHvCancelRunVirtualProcessor(c->part, c->vp, 0);
	return NULL;
}

FIXTURE(lc) {
	int unused;
};

FIXTURE_SETUP(lc)
{
}

FIXTURE_TEARDOWN(lc)
{
}

/* ---- 1. cancel from another thread ------------------------------------ */

TEST_F_TIMEOUT(lc, cancel_from_thread, 90)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct canceller c;
	struct test_vm vm;
	UINT64 rax[3], t0, t1;
	pthread_t t;
	int i;

	watchdog(80, "cancel_from_thread");
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	spin_setup(&vm, 0);
	vm_set(&vm, 0, WHvX64RegisterR8, 0x1122334455667788ULL);
	vm_set(&vm, 0, WHvX64RegisterR15, 0x8877665544332211ULL);

	for (i = 0; i < 3; i++) {
		if (i == 2)	/* the host's value is where counting goes on */
			vm_set(&vm, 0, WHvX64RegisterRax, 1ULL << 40);
		memset(&c, 0, sizeof(c));
		c.part = vm.part;
		c.delay_us = 50000;
		ASSERT_EQ(0, pthread_create(&t, NULL, canceller_main, &c));
		t0 = now_us();
		ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
		t1 = now_us();
		pthread_join(t, NULL);
		ASSERT_EQ(S_OK, c.hr);
		ASSERT_CANCELED_SPIN(&vm, 0, exit);
		/* Not before the cancel, and promptly after it. */
		ASSERT_GE(t1, c.t_cancel);
		ASSERT_GE(t1 - t0, 40000);
		ASSERT_LT(t1 - c.t_cancel, 2000000) {
			TH_LOG("run returned %llu us after the cancel",
			       (unsigned long long)(t1 - c.t_cancel));
		}
		rax[i] = vm_get(&vm, 0, WHvX64RegisterRax);
		ASSERT_COUNT_MATCHES(&vm, 0, rax[i]);
		ASSERT_EQ(0x1122334455667788ULL,
			  vm_get(&vm, 0, WHvX64RegisterR8));
		ASSERT_EQ(0x8877665544332211ULL,
			  vm_get(&vm, 0, WHvX64RegisterR15));
		ASSERT_EQ(CNT_GPA, vm_get(&vm, 0, WHvX64RegisterRdi));
	}
	ASSERT_GT(rax[0], 0);
	ASSERT_GT(rax[1], rax[0]);	/* counting went on from rax[0] */
	ASSERT_GT(rax[2], 1ULL << 40);
	TH_LOG("counts: %llu, %llu, 2^40+%llu", (unsigned long long)rax[0],
	       (unsigned long long)rax[1],
	       (unsigned long long)(rax[2] - (1ULL << 40)));
	vm_destroy(&vm);
}

/* ---- 2. cancel before a run, and racing the start of runs -------------- */

TEST_F_TIMEOUT(lc, cancel_before_run, 60)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct canceller c;
	struct test_vm vm;
	pthread_t t;
	UINT64 rax;

	watchdog(50, "cancel_before_run");
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	spin_setup(&vm, 0);
	vm_set(&vm, 0, WHvX64RegisterRax, 5);

	ASSERT_EQ(S_OK, WHvCancelRunVirtualProcessor(vm.part, 0, 0));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_CANCELED_SPIN(&vm, 0, exit);
	/* Not one guest instruction ran. */
	ASSERT_EQ(GPA_OF(lc_spin), exit.VpContext.Rip);
	ASSERT_EQ(5, vm_get(&vm, 0, WHvX64RegisterRax));
	ASSERT_EQ(0, load_u64(counter(&vm, 0)));

	/* The cancel was used up: the next run runs the guest. */
	memset(&c, 0, sizeof(c));
	c.part = vm.part;
	c.delay_us = 50000;
	ASSERT_EQ(0, pthread_create(&t, NULL, canceller_main, &c));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	pthread_join(t, NULL);
	ASSERT_CANCELED_SPIN(&vm, 0, exit);
	rax = vm_get(&vm, 0, WHvX64RegisterRax);
	ASSERT_GT(rax, 5);
	ASSERT_COUNT_MATCHES(&vm, 0, rax);

	/* Bad cancels. */
	ASSERT_EQ(E_INVALIDARG, WHvCancelRunVirtualProcessor(vm.part, 0, 1));
	ASSERT_EQ(WHV_E_VP_DOES_NOT_EXIST,
		  WHvCancelRunVirtualProcessor(vm.part, 1, 0));
	ASSERT_EQ(WHV_E_VP_DOES_NOT_EXIST,
		  WHvCancelRunVirtualProcessor(vm.part, 64, 0));
	ASSERT_EQ(E_HANDLE, WHvCancelRunVirtualProcessor(NULL, 0, 0));
	vm_destroy(&vm);
}

#define RACE_ITERS 200

struct race {
	WHV_PARTITION_HANDLE part;
	pthread_barrier_t start, end;
	atomic_int about_to_run;
	int iters, bad_cancels;
	HRESULT bad_hr;
	unsigned int seed;
};

static void *race_canceller(void *arg)
{
	struct race *r = arg;
	volatile unsigned int spin;
	unsigned int n;
	HRESULT hr;
	int i;

	for (i = 0; i < r->iters; i++) {
		pthread_barrier_wait(&r->start);
		n = rand_r(&r->seed);
		switch (i % 3) {
		case 0:		/* right as the run starts */
			while (!atomic_load(&r->about_to_run))
				;
			break;
		case 1:		/* a few microseconds into it */
			while (!atomic_load(&r->about_to_run))
				;
			for (spin = 0; spin < n % 20000; spin++)
				;
			break;
		default:	/* up to 2 ms, maybe before the run */
			usleep(n % 2000);
			break;
		}
		hr = WHvCancelRunVirtualProcessor(r->part, 0, 0);
		if (FAILED(hr)) {
			r->bad_cancels++;
			r->bad_hr = hr;
		}
		pthread_barrier_wait(&r->end);
	}
	return NULL;
}

TEST_F_TIMEOUT(lc, cancel_race, 240)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	UINT64 rax = 0, prev = 0;
	struct test_vm vm;
	struct race r;
	int i, idle = 0;
	pthread_t t;
	HRESULT hr;

	watchdog(230, "cancel_race setup");
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	spin_setup(&vm, 0);
	memset(&r, 0, sizeof(r));
	r.part = vm.part;
	r.iters = RACE_ITERS;
	r.seed = 12345;
	pthread_barrier_init(&r.start, NULL, 2);
	pthread_barrier_init(&r.end, NULL, 2);
	ASSERT_EQ(0, pthread_create(&t, NULL, race_canceller, &r));

	for (i = 0; i < RACE_ITERS; i++) {
		snprintf(wd_msg, sizeof(wd_msg),
			 "cancel_race: run %d (style %d) never returned", i,
			 i % 3);
		atomic_store(&r.about_to_run, 0);
		pthread_barrier_wait(&r.start);
		atomic_store(&r.about_to_run, 1);
		hr = vm_run(&vm, 0, &exit);
		pthread_barrier_wait(&r.end);
		ASSERT_EQ(S_OK, hr);
		ASSERT_EQ(WHvRunVpExitReasonCanceled, exit.ExitReason) {
			TH_LOG("iteration %d: exit 0x%x", i, exit.ExitReason);
		}
		ASSERT_TRUE(rip_in_spin(exit.VpContext.Rip));
		rax = vm_get(&vm, 0, WHvX64RegisterRax);
		ASSERT_GE(rax, prev);
		if (rax == prev)
			idle++;
		prev = rax;
	}
	pthread_join(t, NULL);
	ASSERT_EQ(0, r.bad_cancels) {
		TH_LOG("cancel failed: 0x%08x", (unsigned int)r.bad_hr);
	}
	ASSERT_COUNT_MATCHES(&vm, 0, rax);
	TH_LOG("%d runs, %d cancelled before any guest instruction, count %llu",
	       RACE_ITERS, idle, (unsigned long long)rax);
	vm_destroy(&vm);
}

/* ---- 3. signals during a run -------------------------------------------- */

static atomic_int sig_count, sig_wrong_thread;
static pthread_t sig_target;

static void usr1_handler(int sig)
{
	(void)sig;
	if (!pthread_equal(pthread_self(), sig_target))
		atomic_fetch_add(&sig_wrong_thread, 1);
	atomic_fetch_add(&sig_count, 1);
}

static void signal_during_run(struct __test_metadata *_metadata, int sa_flags)
{
	struct sigaction sa, old;
	struct test_vm vm;
	struct runner r;
	uint64_t v, end;
	UINT64 rax;
	int i, before;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = usr1_handler;
	sa.sa_flags = sa_flags;
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, &old));
	atomic_store(&sig_count, 0);
	atomic_store(&sig_wrong_thread, 0);

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	spin_setup(&vm, 0);
	ASSERT_EQ(0, runner_start(&r, vm.part, 0));
	sig_target = r.thread;
	v = wait_count(counter(&vm, 0), 0, 5000);
	ASSERT_GT(v, 0);

	/* One at a time: handled, and the guest runs again afterwards. */
	for (i = 0; i < 5; i++) {
		before = atomic_load(&sig_count);
		ASSERT_EQ(0, pthread_kill(r.thread, SIGUSR1));
		end = now_us() + 5000000;
		while (atomic_load(&sig_count) == before && now_us() < end)
			usleep(1000);
		ASSERT_EQ(before + 1, atomic_load(&sig_count));
		v = load_u64(counter(&vm, 0));
		ASSERT_GT(wait_count(counter(&vm, 0), v, 5000), v) {
			TH_LOG("the guest did not run after signal %d", i);
		}
		ASSERT_EQ(RUNNER_RUNNING, atomic_load(&r.state)) {
			TH_LOG("the run returned for signal %d: 0x%08x exit 0x%x",
			       i, (unsigned int)r.hr, r.exit.ExitReason);
		}
	}
	/* A storm of them. */
	before = atomic_load(&sig_count);
	for (i = 0; i < 200; i++)
		ASSERT_EQ(0, pthread_kill(r.thread, SIGUSR1));
	end = now_us() + 5000000;
	while (atomic_load(&sig_count) == before && now_us() < end)
		usleep(1000);
	ASSERT_GT(atomic_load(&sig_count), before);
	v = load_u64(counter(&vm, 0));
	ASSERT_GT(wait_count(counter(&vm, 0), v, 5000), v);
	usleep(20000);
	ASSERT_EQ(RUNNER_RUNNING, atomic_load(&r.state));
	ASSERT_EQ(0, atomic_load(&sig_wrong_thread));

	/* Only the cancel ends the run, with the guest state intact. */
	v = load_u64(counter(&vm, 0));
	ASSERT_EQ(S_OK, WHvCancelRunVirtualProcessor(vm.part, 0, 0));
	ASSERT_TRUE(runner_join(&r, 5000));
	ASSERT_EQ(S_OK, r.hr);
	ASSERT_CANCELED_SPIN(&vm, 0, r.exit);
	rax = vm_get(&vm, 0, WHvX64RegisterRax);
	ASSERT_GE(rax, v);
	ASSERT_COUNT_MATCHES(&vm, 0, rax);
	ASSERT_EQ(CNT_GPA, vm_get(&vm, 0, WHvX64RegisterRdi));

	/* ... and counting goes on from there. */
	ASSERT_EQ(0, runner_start(&r, vm.part, 0));
	ASSERT_GT(wait_count(counter(&vm, 0), rax, 5000), rax);
	ASSERT_TRUE(runner_stop(&r, 5000));
	ASSERT_EQ(S_OK, r.hr);
	ASSERT_CANCELED_SPIN(&vm, 0, r.exit);
	ASSERT_GT(vm_get(&vm, 0, WHvX64RegisterRax), rax);
	TH_LOG("%d signals handled during the run", atomic_load(&sig_count));
	vm_destroy(&vm);
	sigaction(SIGUSR1, &old, NULL);
}

TEST_F_TIMEOUT(lc, signal_during_run, 90)
{
	watchdog(80, "signal_during_run (no SA_RESTART)");
	signal_during_run(_metadata, 0);
}

TEST_F_TIMEOUT(lc, signal_during_run_sa_restart, 90)
{
	watchdog(80, "signal_during_run (SA_RESTART)");
	signal_during_run(_metadata, SA_RESTART);
}

/* ---- 4. delete while running ---------------------------------------------- */

TEST_F_TIMEOUT(lc, delete_while_running, 90)
{
	struct runner r, r2[2];
	struct test_vm vm;
	UINT64 val, v;
	int i;

	watchdog(80, "delete_while_running");
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	spin_setup(&vm, 0);
	ASSERT_EQ(0, runner_start(&r, vm.part, 0));
	v = wait_count(counter(&vm, 0), 0, 5000);
	ASSERT_GT(v, 0);

	ASSERT_EQ(WHV_E_INVALID_VP_STATE, WHvDeleteVirtualProcessor(vm.part, 0));
	ASSERT_EQ(WHV_E_INVALID_VP_STATE,
		  get_reg(vm.part, 0, WHvX64RegisterRax, &val));
	ASSERT_EQ(WHV_E_INVALID_VP_STATE,
		  set_reg(vm.part, 0, WHvX64RegisterRax, 0));
	ASSERT_EQ(WHV_E_INVALID_VP_STATE,
		  set_reg(vm.part, 0, WHvX64RegisterRip, 0));
	/* A second run of the same VP is refused too. */
	{
		WHV_RUN_VP_EXIT_CONTEXT x;

		ASSERT_EQ(WHV_E_INVALID_VP_STATE, vm_run(&vm, 0, &x));
	}
	/* None of that disturbed the guest. */
	ASSERT_GT(wait_count(counter(&vm, 0), v, 5000), v);
	ASSERT_EQ(RUNNER_RUNNING, atomic_load(&r.state));

	/* Deleting the partition ends the run. */
	ASSERT_EQ(S_OK, WHvDeletePartition(vm.part));
	vm.part = NULL;
	ASSERT_TRUE(runner_join(&r, 5000)) {
		TH_LOG("the run did not return after WHvDeletePartition");
	}
	ASSERT_EQ(S_OK, r.hr);
	ASSERT_EQ(WHvRunVpExitReasonCanceled, r.exit.ExitReason);
	ASSERT_TRUE(rip_in_spin(r.exit.VpContext.Rip));
	/* The guest is gone: its count is frozen. */
	v = load_u64(counter(&vm, 0));
	usleep(100000);
	ASSERT_EQ(v, load_u64(counter(&vm, 0)));
	vm_destroy(&vm);
	ASSERT_HEALTHY();

	/* The same with two VPs running. */
	ASSERT_EQ(S_OK, vm_create(&vm, 2));
	spin_setup(&vm, 0);
	spin_setup(&vm, 1);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, runner_start(&r2[i], vm.part, i));
	for (i = 0; i < 2; i++)
		ASSERT_GT(wait_count(counter(&vm, i), 0, 5000), 0);
	ASSERT_EQ(S_OK, WHvDeletePartition(vm.part));
	vm.part = NULL;
	for (i = 0; i < 2; i++) {
		ASSERT_TRUE(runner_join(&r2[i], 5000)) {
			TH_LOG("VP %d did not return after WHvDeletePartition",
			       i);
		}
		ASSERT_EQ(S_OK, r2[i].hr);
		ASSERT_EQ(WHvRunVpExitReasonCanceled, r2[i].exit.ExitReason);
		ASSERT_TRUE(rip_in_spin(r2[i].exit.VpContext.Rip));
	}
	vm_destroy(&vm);
	ASSERT_HEALTHY();
}

TEST_F_TIMEOUT(lc, delete_vp_after_cancel, 60)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	struct runner r;
	UINT64 val;
	WHV_REGISTER_NAME cs = WHvX64RegisterCs;
	WHV_REGISTER_VALUE csv;

	watchdog(50, "delete_vp_after_cancel");
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	spin_setup(&vm, 0);
	ASSERT_EQ(0, runner_start(&r, vm.part, 0));
	ASSERT_GT(wait_count(counter(&vm, 0), 0, 5000), 0);
	ASSERT_TRUE(runner_stop(&r, 5000));
	ASSERT_EQ(WHvRunVpExitReasonCanceled, r.exit.ExitReason);

	ASSERT_EQ(S_OK, WHvDeleteVirtualProcessor(vm.part, 0));
	ASSERT_EQ(WHV_E_VP_DOES_NOT_EXIST,
		  get_reg(vm.part, 0, WHvX64RegisterRax, &val));
	ASSERT_EQ(WHV_E_VP_DOES_NOT_EXIST, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHV_E_VP_DOES_NOT_EXIST,
		  WHvCancelRunVirtualProcessor(vm.part, 0, 0));
	ASSERT_EQ(WHV_E_VP_DOES_NOT_EXIST,
		  WHvDeleteVirtualProcessor(vm.part, 0));

	/* A new VP 0 starts from the reset state, not the old VP's. */
	ASSERT_EQ(S_OK, WHvCreateVirtualProcessor(vm.part, 0, 0));
	ASSERT_EQ(0xfff0, vm_get(&vm, 0, WHvX64RegisterRip));
	ASSERT_EQ(0, vm_get(&vm, 0, WHvX64RegisterRax));
	ASSERT_EQ(0, vm_get(&vm, 0, WHvX64RegisterEfer));
	memset(&csv, 0, sizeof(csv));
	ASSERT_EQ(S_OK, WHvGetVirtualProcessorRegisters(vm.part, 0, &cs, 1,
							&csv));
	ASSERT_EQ(0xf000, csv.Segment.Selector);
	ASSERT_EQ(0xf0000, csv.Segment.Base);
	/* A cancel aimed at the old VP does not hit the new one. */
	spin_setup(&vm, 0);
	ASSERT_EQ(0, runner_start(&r, vm.part, 0));
	ASSERT_GT(wait_count(counter(&vm, 0), 0, 5000), 0);
	ASSERT_TRUE(runner_stop(&r, 5000));
	ASSERT_EQ(S_OK, r.hr);
	ASSERT_CANCELED_SPIN(&vm, 0, r.exit);
	vm_destroy(&vm);
}

/* ---- 6. process exit with live partitions ---------------------------------- */

static int read_refcnt(void)
{
	FILE *f = fopen("/sys/module/whv/refcnt", "r");
	int n = -1;

	if (!f)
		return -2;
	if (fscanf(f, "%d", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

/* Poll up to @ms for the module's refcount to reach 0; the last value. */
static int wait_refcnt_zero(int ms)
{
	uint64_t end = now_us() + (uint64_t)ms * 1000;
	int n;

	for (;;) {
		n = read_refcnt();
		if (n == 0 || now_us() >= end)
			return n;
		usleep(10000);
	}
}

static int wait_pid_ms(pid_t pid, int *status, int ms)
{
	uint64_t end = now_us() + (uint64_t)ms * 1000;

	do {
		pid_t got = waitpid(pid, status, WNOHANG);

		if (got > 0 && (pid == -1 || got == pid))
			return 0;
		usleep(10000);
	} while (now_us() < end);
	return -1;
}

/*
 * In a child: partition A with a VP spinning, partition B with VP 0
 * halted after touching memory and VP 1 spinning; says "R" on @wfd.
 */
static struct test_vm live_a, live_b;

/*
 * Mode 2's grandchild: holds the child's partition fds past the child's
 * death (and so past its address space's); its calls are refused, closing
 * frees the partitions.
 */
static void outliving_grandchild(pid_t child)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	uint64_t end = now_us() + 10000000;
	UINT64 val;
	int rc = 0;

	alarm(30);
	while (getppid() == child && now_us() < end)
		usleep(1000);
	if (getppid() == child)
		_exit(40);
	usleep(50000);
	if (vm_run(&live_a, 0, &exit) != E_ACCESSDENIED)
		rc |= 1;
	if (get_reg(live_b.part, 0, WHvX64RegisterRax, &val) != E_ACCESSDENIED)
		rc |= 2;
	if (WHvDeletePartition(live_a.part) != S_OK)
		rc |= 4;
	usleep(50000);
	if (WHvDeletePartition(live_b.part) != S_OK)
		rc |= 8;
	_exit(rc);
}

static void live_partitions_child(int wfd)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm *a = &live_a, *b = &live_b;
	struct runner ra, rb;

	alarm(30);
	if (vm_create(a, 1) != S_OK || vm_create(b, 2) != S_OK)
		_exit(10);
	spin_setup(a, 0);
	load(b, 0, lc_read);
	load(b, 1, lc_spin);
	vm_set(b, 1, WHvX64RegisterRdi, CNT_GPA + 8);
	*gpa_u64(b, DATA_GPA) = 42;
	if (guest_read(b, DATA_GPA, &exit) != S_OK ||
	    exit.ExitReason != WHvRunVpExitReasonX64Halt ||
	    vm_get(b, 0, WHvX64RegisterRbx) != 42)
		_exit(11);
	if (runner_start(&ra, a->part, 0) || runner_start(&rb, b->part, 1))
		_exit(12);
	if (!wait_count(counter(a, 0), 0, 5000) ||
	    !wait_count(counter(b, 1), 0, 5000))
		_exit(13);
	if (write(wfd, "R", 1) != 1)
		_exit(14);
}

TEST_F_TIMEOUT(lc, process_exit_with_live_partitions, 120)
{
	int mode, status, pfd[2], n;
	struct pollfd pl;
	pid_t pid;
	char c;

	watchdog(110, "process_exit_with_live_partitions");
	/* This process has not opened /dev/whv: nothing holds the module. */
	n = wait_refcnt_zero(2000);
	ASSERT_EQ(0, n) {
		TH_LOG("whv refcnt %d before the test", n);
	}
	/*
	 * Mode 0: the child _exit()s with VPs in the guest. 1: SIGKILL.
	 * 2: the child exits, a grandchild (ours by PR_SET_CHILD_SUBREAPER)
	 * still holds the partition fds and closes them later.
	 */
	ASSERT_EQ(0, prctl(PR_SET_CHILD_SUBREAPER, 1));
	for (mode = 0; mode < 3; mode++) {
		ASSERT_EQ(0, pipe(pfd));
		fflush(NULL);
		pid = fork();
		ASSERT_GE(pid, 0);
		if (pid == 0) {
			close(pfd[0]);
			live_partitions_child(pfd[1]);
			if (mode == 2) {
				pid_t me = getpid(), gc = fork();

				if (gc == 0)
					outliving_grandchild(me);
				_exit(gc > 0 ? 0 : 20);
			}
			if (mode == 0)
				_exit(0);	/* VPs still in the guest */
			for (;;)
				pause();	/* until SIGKILL */
		}
		close(pfd[1]);
		pl.fd = pfd[0];
		pl.events = POLLIN;
		n = poll(&pl, 1, 15000);
		c = 0;
		if (n == 1 && read(pfd[0], &c, 1) != 1)
			c = 0;
		close(pfd[0]);
		if (c != 'R') {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			ASSERT_EQ('R', c) {
				TH_LOG("child set-up failed: status 0x%x", status);
			}
		}
		if (mode == 1)
			ASSERT_EQ(0, kill(pid, SIGKILL));
		if (wait_pid_ms(pid, &status, 10000)) {
			kill(pid, SIGKILL);
			ASSERT_TRUE(0) {
				TH_LOG("mode %d: the child did not die", mode);
			}
		}
		if (mode == 2) {
			/* Now the grandchild, reparented to us. */
			ASSERT_TRUE(WIFEXITED(status));
			ASSERT_EQ(0, WEXITSTATUS(status));
			ASSERT_EQ(0, wait_pid_ms(-1, &status, 10000)) {
				TH_LOG("the grandchild did not finish");
			}
		}
		if (mode != 1) {
			ASSERT_TRUE(WIFEXITED(status));
			ASSERT_EQ(0, WEXITSTATUS(status)) {
				TH_LOG("mode %d: exit status %d", mode,
				       WEXITSTATUS(status));
			}
		} else {
			ASSERT_TRUE(WIFSIGNALED(status));
			ASSERT_EQ(SIGKILL, WTERMSIG(status));
		}
		n = wait_refcnt_zero(2000);
		ASSERT_EQ(0, n) {
			TH_LOG("mode %d: whv refcnt %d after the child died",
			       mode, n);
		}
	}
	ASSERT_HEALTHY();
}

/* fork() while a partition is live: the child's copy is inert, COW holds. */
TEST_F_TIMEOUT(lc, fork_with_live_partition, 60)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	int p2c[2], c2p[2], status, rc;
	struct test_vm vm;
	struct pollfd pl;
	UINT64 val;
	pid_t pid;
	char c = 0;

	watchdog(50, "fork_with_live_partition");
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	load(&vm, 0, lc_read);
	*gpa_u64(&vm, DATA_GPA) = 0x1111;
	ASSERT_GUEST_READS(&vm, DATA_GPA, 0x1111);
	ASSERT_GUEST_WRITES(&vm, DATA_GPA + 8, 0x2222);
	ASSERT_EQ(0x2222, *gpa_u64(&vm, DATA_GPA + 8));

	ASSERT_EQ(0, pipe(p2c));
	ASSERT_EQ(0, pipe(c2p));
	fflush(NULL);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		void *buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		alarm(30);
		rc = 0;
		if (vm_run(&vm, 0, &exit) != E_ACCESSDENIED)
			rc |= 1;
		if (get_reg(vm.part, 0, WHvX64RegisterRax, &val) !=
		    E_ACCESSDENIED)
			rc |= 2;
		if (WHvCancelRunVirtualProcessor(vm.part, 0, 0) !=
		    E_ACCESSDENIED)
			rc |= 4;
		if (WHvMapGpaRange(vm.part, buf, EXTRA_GPA, PAGE,
				   WHvMapGpaRangeFlagRead) != E_ACCESSDENIED)
			rc |= 8;
		*gpa_u64(&vm, DATA_GPA) = 0x3333;	/* the child's copy */
		if (write(c2p[1], "1", 1) != 1 || read(p2c[0], &c, 1) != 1)
			rc |= 64;
		/* The parent's guest wrote 0x4444: not into our copy. */
		if (*gpa_u64(&vm, DATA_GPA + 8) != 0x2222)
			rc |= 16;
		/* Drops only this process's reference. */
		if (WHvDeletePartition(vm.part) != S_OK)
			rc |= 32;
		_exit(rc);
	}
	pl.fd = c2p[0];
	pl.events = POLLIN;
	ASSERT_EQ(1, poll(&pl, 1, 15000));
	ASSERT_EQ(1, read(c2p[0], &c, 1));
	/* While the child shares our pages copy-on-write: */
	ASSERT_GUEST_WRITES(&vm, DATA_GPA + 8, 0x4444);
	ASSERT_EQ(0x4444, *gpa_u64(&vm, DATA_GPA + 8));
	ASSERT_GUEST_READS(&vm, DATA_GPA, 0x1111);
	*gpa_u64(&vm, DATA_GPA + 16) = 0x5555;	/* host write breaks COW */
	ASSERT_GUEST_READS(&vm, DATA_GPA + 16, 0x5555);
	ASSERT_EQ(1, write(p2c[1], "g", 1));
	ASSERT_EQ(0, wait_pid_ms(pid, &status, 10000));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status)) {
		TH_LOG("child checks failed: 0x%x (1 run, 2 regs, 4 cancel, "
		       "8 map, 16 guest write leaked into the child, "
		       "32 delete, 64 pipe)", WEXITSTATUS(status));
	}
	/* The child's cancel and delete did not touch our partition. */
	*gpa_u64(&vm, DATA_GPA) = 0x6666;
	ASSERT_GUEST_READS(&vm, DATA_GPA, 0x6666);
	ASSERT_GUEST_WRITES(&vm, DATA_GPA + 8, 0x7777);
	ASSERT_EQ(0x7777, *gpa_u64(&vm, DATA_GPA + 8));
	vm_destroy(&vm);
}

/* ---- 7. the host changes guest memory behind the partition's back ------- */

static uint8_t *new_buf(void *at, size_t size, int flags, uint64_t fill)
{
	uint8_t *p = mmap(at, size, PROT_READ | PROT_WRITE,
			  flags | MAP_ANONYMOUS, -1, 0);
	size_t i;

	if (p == MAP_FAILED)
		return NULL;
	for (i = 0; i < size; i += 8)
		*(uint64_t *)(p + i) = fill + i;
	return p;
}

#define RW	(WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite)

/*
 * A one-VP VM entering at @entry, with EXTRA_SIZE of fresh private memory
 * (filled from @fill) mapped RW at EXTRA_GPA; returns that memory.
 */
static uint8_t *vm_with_extra(struct __test_metadata *_metadata,
			      struct test_vm *vm, const uint8_t *entry,
			      uint64_t fill)
{
	uint8_t *buf;

	ASSERT_EQ(S_OK, vm_create(vm, 1));
	load(vm, 0, entry);
	buf = new_buf(NULL, EXTRA_SIZE, MAP_PRIVATE, fill);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm->part, buf, EXTRA_GPA, EXTRA_SIZE,
				       RW));
	return buf;
}

TEST_F_TIMEOUT(lc, munmap_then_run, 60)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	uint8_t *buf, *nb;

	watchdog(50, "munmap_then_run");

	/* Order 1: munmap, run (exit), new memory at the same address, run. */
	buf = vm_with_extra(_metadata, &vm, lc_read, 0x1100);
	ASSERT_GUEST_READS(&vm, EXTRA_GPA + 0x10, 0x1110);
	ASSERT_GUEST_WRITES(&vm, EXTRA_GPA + 0x18, 0xabcd);
	ASSERT_EQ(0xabcd, *(uint64_t *)(buf + 0x18));
	ASSERT_EQ(0, munmap(buf, EXTRA_SIZE));

	ASSERT_EQ(S_OK, guest_read(&vm, EXTRA_GPA + 0x10, &exit));
	ASSERT_MEM_EXIT(exit, EXTRA_GPA + 0x10, WHvMemoryAccessRead, 0, lc_read);
	ASSERT_EQ(GPA_OF(lc_read), vm_get(&vm, 0, WHvX64RegisterRip));
	/* Again from the same RIP: the same exit, nothing else. */
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_MEM_EXIT(exit, EXTRA_GPA + 0x10, WHvMemoryAccessRead, 0, lc_read);
	ASSERT_EQ(S_OK, guest_write(&vm, EXTRA_GPA + 0x18, 1, &exit));
	ASSERT_MEM_EXIT(exit, EXTRA_GPA + 0x18, WHvMemoryAccessWrite, 0,
			lc_write);
	ASSERT_EQ(GPA_OF(lc_write), vm_get(&vm, 0, WHvX64RegisterRip));

	nb = new_buf(buf, EXTRA_SIZE, MAP_PRIVATE | MAP_FIXED_NOREPLACE,
		     0x2200);
	ASSERT_EQ(buf, nb);
	/* The write that exited completes now, into the new memory. */
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	ASSERT_EQ(1, *(uint64_t *)(nb + 0x18));
	ASSERT_GUEST_READS(&vm, EXTRA_GPA + 0x10, 0x2210);
	ASSERT_GUEST_WRITES(&vm, EXTRA_GPA + 0x20, 0xbcde);
	ASSERT_EQ(0xbcde, *(uint64_t *)(nb + 0x20));

	/* Order 2: munmap and new memory before the guest runs again. */
	ASSERT_EQ(0, munmap(nb, EXTRA_SIZE));
	nb = new_buf(buf, EXTRA_SIZE, MAP_PRIVATE | MAP_FIXED_NOREPLACE,
		     0x3300);
	ASSERT_EQ(buf, nb);
	ASSERT_GUEST_READS(&vm, EXTRA_GPA + 0x10, 0x3310);
	ASSERT_GUEST_READS(&vm, EXTRA_GPA + 0x20, 0x3320);

	/* Order 3: MAP_FIXED over the live memory, no munmap. */
	nb = new_buf(buf, EXTRA_SIZE, MAP_PRIVATE | MAP_FIXED, 0x4400);
	ASSERT_EQ(buf, nb);
	ASSERT_GUEST_READS(&vm, EXTRA_GPA + 0x10, 0x4410);
	ASSERT_GUEST_WRITES(&vm, EXTRA_GPA + 0x28, 0xcdef);
	ASSERT_EQ(0xcdef, *(uint64_t *)(nb + 0x28));

	/* mprotect(PROT_NONE): the host cannot touch it, nor can the guest. */
	ASSERT_EQ(0, mprotect(nb, EXTRA_SIZE, PROT_NONE));
	ASSERT_EQ(S_OK, guest_read(&vm, EXTRA_GPA + 0x10, &exit));
	ASSERT_MEM_EXIT(exit, EXTRA_GPA + 0x10, WHvMemoryAccessRead, 0, lc_read);
	ASSERT_EQ(0, mprotect(nb, EXTRA_SIZE, PROT_READ | PROT_WRITE));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	ASSERT_EQ(0x4410, vm_get(&vm, 0, WHvX64RegisterRbx));

	ASSERT_EQ(S_OK, WHvUnmapGpaRange(vm.part, EXTRA_GPA, EXTRA_SIZE));
	munmap(nb, EXTRA_SIZE);
	vm_destroy(&vm);
	ASSERT_HEALTHY();
}

TEST_F_TIMEOUT(lc, madvise_dontneed, 60)
{
	struct test_vm vm;
	uint8_t *priv, *shared;

	watchdog(50, "madvise_dontneed");

	/* Private anonymous memory: zeros afterwards, for host and guest. */
	priv = vm_with_extra(_metadata, &vm, lc_read, 0x5500);
	ASSERT_GUEST_READS(&vm, EXTRA_GPA + 0x10, 0x5510);
	ASSERT_GUEST_WRITES(&vm, EXTRA_GPA + 0x1008, 0x77);
	ASSERT_EQ(0x77, *(uint64_t *)(priv + 0x1008));
	ASSERT_EQ(0, madvise(priv, EXTRA_SIZE, MADV_DONTNEED));
	ASSERT_EQ(0, *(uint64_t *)(priv + 0x10));
	ASSERT_GUEST_READS(&vm, EXTRA_GPA + 0x10, 0);
	ASSERT_GUEST_READS(&vm, EXTRA_GPA + 0x1008, 0);
	/* Both sides go on sharing the new pages. */
	ASSERT_GUEST_WRITES(&vm, EXTRA_GPA + 0x20, 0x99);
	ASSERT_EQ(0x99, *(uint64_t *)(priv + 0x20));
	*(uint64_t *)(priv + 0x2010) = 0x88;
	ASSERT_GUEST_READS(&vm, EXTRA_GPA + 0x2010, 0x88);

	/* Shared anonymous memory keeps its contents: so does the guest. */
	shared = new_buf(NULL, EXTRA_SIZE, MAP_SHARED, 0x6600);
	ASSERT_NE(NULL, shared);
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, shared, EXTRA2_GPA, EXTRA_SIZE,
				       RW));
	ASSERT_GUEST_READS(&vm, EXTRA2_GPA + 0x10, 0x6610);
	ASSERT_EQ(0, madvise(shared, EXTRA_SIZE, MADV_DONTNEED));
	ASSERT_EQ(0x6610, *(uint64_t *)(shared + 0x10));
	ASSERT_GUEST_READS(&vm, EXTRA2_GPA + 0x10, 0x6610);
	*(uint64_t *)(shared + 0x10) = 0x6611;
	ASSERT_GUEST_READS(&vm, EXTRA2_GPA + 0x10, 0x6611);
	ASSERT_GUEST_WRITES(&vm, EXTRA2_GPA + 0x18, 0x6612);
	ASSERT_EQ(0x6612, *(uint64_t *)(shared + 0x18));

	vm_destroy(&vm);
	munmap(priv, EXTRA_SIZE);
	munmap(shared, EXTRA_SIZE);
}

/*
 * Reserve, then commit (as Microsoft's sample does with VirtualAlloc): a
 * PROT_NONE reservation is mapped into the guest; its accesses exit until
 * the process commits the pages, then the guest sees them.
 */
TEST_F_TIMEOUT(lc, reserved_then_committed, 60)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	uint8_t *res;

	watchdog(50, "reserved_then_committed");
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	load(&vm, 0, lc_read);
	res = mmap(NULL, EXTRA_SIZE, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_NE(MAP_FAILED, res);
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, res, EXTRA_GPA, EXTRA_SIZE, RW));
	ASSERT_EQ(S_OK, guest_read(&vm, EXTRA_GPA + 0x3010, &exit));
	ASSERT_MEM_EXIT(exit, EXTRA_GPA + 0x3010, WHvMemoryAccessRead, 0,
			lc_read);

	/* Commit the 4th page only: it reads; its neighbour still exits. */
	ASSERT_EQ(0, mprotect(res + 0x3000, PAGE, PROT_READ | PROT_WRITE));
	*(uint64_t *)(res + 0x3010) = 0x3310;
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	ASSERT_EQ(0x3310, vm_get(&vm, 0, WHvX64RegisterRbx));
	ASSERT_GUEST_WRITES(&vm, EXTRA_GPA + 0x3018, 0x3318);
	ASSERT_EQ(0x3318, *(uint64_t *)(res + 0x3018));
	ASSERT_EQ(S_OK, guest_read(&vm, EXTRA_GPA + 0x4000, &exit));
	ASSERT_MEM_EXIT(exit, EXTRA_GPA + 0x4000, WHvMemoryAccessRead, 0,
			lc_read);

	vm_destroy(&vm);
	munmap(res, EXTRA_SIZE);
	ASSERT_HEALTHY();
}

/*
 * File-backed guest memory (a memfd, shared): the guest, the process's
 * second mapping of the file and the file itself see one content; a
 * truncation takes the pages away (an exit), and growing it back brings
 * zeros.
 */
TEST_F_TIMEOUT(lc, file_backed_shared, 60)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	uint8_t *map1, *map2;
	struct test_vm vm;
	uint64_t v = 0;
	int fd;

	watchdog(50, "file_backed_shared");
	fd = memfd_create("whv-guest", 0);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, EXTRA_SIZE));
	map1 = mmap(NULL, EXTRA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	map2 = mmap(NULL, EXTRA_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map1);
	ASSERT_NE(MAP_FAILED, map2);
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	load(&vm, 0, lc_read);
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, map1, EXTRA_GPA, EXTRA_SIZE, RW));

	v = 0x7710;
	ASSERT_EQ(8, pwrite(fd, &v, 8, 0x2010));
	ASSERT_GUEST_READS(&vm, EXTRA_GPA + 0x2010, 0x7710);
	*(uint64_t *)(map2 + 0x2010) = 0x7711;
	ASSERT_GUEST_READS(&vm, EXTRA_GPA + 0x2010, 0x7711);
	ASSERT_GUEST_WRITES(&vm, EXTRA_GPA + 0x5018, 0x7718);
	ASSERT_EQ(0x7718, *(uint64_t *)(map2 + 0x5018));
	ASSERT_EQ(8, pread(fd, &v, 8, 0x5018));
	ASSERT_EQ(0x7718, v);

	/* Truncated: the guest gets an exit, not the old page. */
	ASSERT_EQ(0, ftruncate(fd, 0));
	ASSERT_EQ(S_OK, guest_read(&vm, EXTRA_GPA + 0x2010, &exit));
	ASSERT_MEM_EXIT(exit, EXTRA_GPA + 0x2010, WHvMemoryAccessRead, 0,
			lc_read);
	ASSERT_EQ(0, ftruncate(fd, EXTRA_SIZE));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	ASSERT_EQ(0, vm_get(&vm, 0, WHvX64RegisterRbx));

	vm_destroy(&vm);
	munmap(map1, EXTRA_SIZE);
	munmap(map2, EXTRA_SIZE);
	close(fd);
	ASSERT_HEALTHY();
}

/*
 * Start VP 0 in lc_watch on EXTRA_GPA + 0x10 (new_buf fill 0x7700) in @r,
 * and wait until it has counted; false (logged) if it never did.
 */
static bool watch_start(struct __test_metadata *_metadata,
			struct test_vm *vm, struct runner *r, const char *what)
{
	vm_set(vm, 0, WHvX64RegisterRip, GPA_OF(lc_watch));
	vm_set(vm, 0, WHvX64RegisterRsi, EXTRA_GPA + 0x10);
	vm_set(vm, 0, WHvX64RegisterRdx, 0x7710);
	vm_set(vm, 0, WHvX64RegisterRdi, CNT_GPA);
	vm_set(vm, 0, WHvX64RegisterRax, 0);
	*counter(vm, 0) = 0;
	if (runner_start(r, vm->part, 0))
		return false;
	if (wait_count(counter(vm, 0), 0, 5000) > 0)
		return true;
	runner_stop(r, 5000);
	TH_LOG("%s: the guest never got going: exit 0x%x", what,
	       r->exit.ExitReason);
	return false;
}

/*
 * The watcher in @r goes on counting after a host change to @buf; then a
 * value written at @buf + 0x10 reaches it: it halts with it in RBX.
 */
static void watch_sees_write(struct __test_metadata *_metadata,
			     struct test_vm *vm, struct runner *r, uint8_t *buf,
			     const char *what)
{
	uint64_t seen = load_u64(counter(vm, 0));

	ASSERT_GT(wait_count(counter(vm, 0), seen, 5000), seen);
	*(uint64_t *)(buf + 0x10) = 0x9910;
	ASSERT_TRUE(runner_join(r, 5000)) {
		runner_stop(r, 5000);
		TH_LOG("%s: the guest kept reading the old frame", what);
	}
	ASSERT_EQ(S_OK, r->hr);
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, r->exit.ExitReason);
	ASSERT_EQ(0x9910, vm_get(vm, 0, WHvX64RegisterRbx));
}

/* The same changes while the guest is reading the memory in a loop. */
enum { CHG_DONTNEED, CHG_MAP_FIXED, CHG_MREMAP, CHG_MUNMAP, CHG_MPROTECT,
       CHG_COUNT };
static const char *const chg_name[] = {
	"MADV_DONTNEED", "MAP_FIXED", "mremap", "munmap", "mprotect(PROT_NONE)",
};

TEST_F_TIMEOUT(lc, memory_changes_while_running, 90)
{
	struct test_vm vm;
	struct runner r;
	uint8_t *buf, *nb;
	UINT64 val;
	int chg;

	for (chg = 0; chg < CHG_COUNT; chg++) {
		char what[64];

		snprintf(what, sizeof(what), "memory_changes_while_running: %s",
			 chg_name[chg]);
		watchdog(60, what);
		buf = vm_with_extra(_metadata, &vm, lc_watch, 0x7700);
		ASSERT_TRUE(watch_start(_metadata, &vm, &r, chg_name[chg]));

		switch (chg) {
		case CHG_DONTNEED:
			ASSERT_EQ(0, madvise(buf, EXTRA_SIZE, MADV_DONTNEED));
			break;
		case CHG_MAP_FIXED:
			ASSERT_EQ(buf, new_buf(buf, EXTRA_SIZE,
					       MAP_PRIVATE | MAP_FIXED, 0x8800));
			break;
		case CHG_MREMAP:
			/* New contents, moved over the old in one step. */
			nb = new_buf(NULL, EXTRA_SIZE, MAP_PRIVATE, 0x8800);
			ASSERT_NE(NULL, nb);
			ASSERT_EQ(buf, mremap(nb, EXTRA_SIZE, EXTRA_SIZE,
					      MREMAP_MAYMOVE | MREMAP_FIXED,
					      buf));
			break;
		case CHG_MUNMAP:
			ASSERT_EQ(0, munmap(buf, EXTRA_SIZE));
			break;
		case CHG_MPROTECT:
			ASSERT_EQ(0, mprotect(buf, EXTRA_SIZE, PROT_NONE));
			break;
		}
		if (!runner_join(&r, 5000)) {
			uint64_t v = load_u64(counter(&vm, 0));

			usleep(50000);
			ASSERT_TRUE(runner_stop(&r, 5000));
			ASSERT_TRUE(0) {
				TH_LOG("%s while running: the guest kept reading "
				       "the old page (count %llu -> %llu), exit "
				       "after cancel 0x%x", chg_name[chg],
				       (unsigned long long)v,
				       (unsigned long long)load_u64(counter(&vm, 0)),
				       r.exit.ExitReason);
			}
		}
		ASSERT_EQ(S_OK, r.hr);
		switch (chg) {
		case CHG_DONTNEED:
		case CHG_MAP_FIXED:
		case CHG_MREMAP:
			ASSERT_EQ(WHvRunVpExitReasonX64Halt, r.exit.ExitReason) {
				TH_LOG("%s: exit 0x%x", chg_name[chg],
				       r.exit.ExitReason);
			}
			val = vm_get(&vm, 0, WHvX64RegisterRbx);
			if (chg == CHG_DONTNEED) {
				ASSERT_EQ(0, val);
			} else if (chg == CHG_MREMAP) {
				ASSERT_EQ(0x8810, val);
			} else {
				/* new memory, maybe caught before its fill */
				ASSERT_TRUE(val == 0 || val == 0x8810) {
					TH_LOG("MAP_FIXED: guest read 0x%llx",
					       (unsigned long long)val);
				}
			}
			break;
		default:
			ASSERT_MEM_EXIT(r.exit, EXTRA_GPA + 0x10,
					WHvMemoryAccessRead, 0, lc_watch);
			break;
		}
		ASSERT_GT(vm_get(&vm, 0, WHvX64RegisterRax), 0);
		vm_destroy(&vm);
		if (chg != CHG_MUNMAP)
			munmap(buf, EXTRA_SIZE);
	}
	ASSERT_HEALTHY();
}

#ifndef MADV_SOFT_OFFLINE
#define MADV_SOFT_OFFLINE 101	/* linux/mman.h; glibc lacks it */
#endif

/* The /proc/self/pagemap entry of @addr (root sees PFNs), or 0. */
static uint64_t pagemap_entry(const void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (uintptr_t)addr / PAGE * 8) != 8)
		e = 0;
	close(fd);
	return e;
}

/* The host frame behind @addr, or 0 if none is present. */
static uint64_t host_pfn(const void *addr)
{
	uint64_t e = pagemap_entry(addr);

	return (e >> 63) ? e & ((1ULL << 55) - 1) : 0;
}

/*
 * The kernel migrates the page under a running guest (soft offline: the
 * content moves to a new frame, the old one is retired). The guest goes on
 * with the new frame: a value the host then writes there reaches it.
 */
TEST_F_TIMEOUT(lc, migration_while_running, 60)
{
	uint64_t pfn0, pfn1;
	struct test_vm vm;
	struct runner r;
	uint8_t *buf;

	watchdog(50, "migration_while_running");
	buf = vm_with_extra(_metadata, &vm, lc_watch, 0x7700);
	ASSERT_TRUE(watch_start(_metadata, &vm, &r, "migration"));

	pfn0 = host_pfn(buf);
	ASSERT_NE(0, pfn0);
	ASSERT_EQ(0, madvise(buf, PAGE, MADV_SOFT_OFFLINE)) {
		TH_LOG("MADV_SOFT_OFFLINE: %s", strerror(errno));
	}
	ASSERT_EQ(0x7710, *(uint64_t *)(buf + 0x10));	/* content moved */
	pfn1 = host_pfn(buf);
	ASSERT_NE(0, pfn1);
	ASSERT_NE(pfn0, pfn1);
	/* Still running, through the new frame. */
	watch_sees_write(_metadata, &vm, &r, buf, "migration");
	vm_destroy(&vm);
	munmap(buf, EXTRA_SIZE);
	ASSERT_HEALTHY();
}

/* Swap on a zram device, if this VM has one (the suites load zram). */
static bool swap_on(void)
{
	FILE *f;

	if (access("/sys/block/zram0/disksize", W_OK))
		return false;
	if (!system("grep -q zram0 /proc/swaps"))
		return true;
	f = fopen("/sys/block/zram0/disksize", "w");
	if (!f)
		return false;
	fprintf(f, "%u\n", 64u << 20);
	if (fclose(f))
		return false;
	return !system("mkswap /dev/zram0 >/dev/null && swapon /dev/zram0");
}

/* Is the page at @addr out in swap (/proc/self/pagemap bit 62)? */
static bool host_swapped(const void *addr)
{
	return (pagemap_entry(addr) >> 62) & 1;
}

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

/*
 * The guest's memory is swapped out while it runs: the guest faults it back
 * with its contents, and a value the host writes later reaches it.
 */
TEST_F_TIMEOUT(lc, swap_while_running, 60)
{
	struct test_vm vm;
	struct runner r;
	uint8_t *buf;
	int i;

	if (!swap_on())
		SKIP(return, "no zram swap device in this VM");
	watchdog(50, "swap_while_running");
	buf = vm_with_extra(_metadata, &vm, lc_watch, 0x7700);
	for (i = 0; i < EXTRA_SIZE / PAGE; i++)	/* every entry installed */
		ASSERT_GUEST_READS(&vm, EXTRA_GPA + i * PAGE + 0x10,
				   0x7710 + i * PAGE);
	ASSERT_TRUE(watch_start(_metadata, &vm, &r, "swap"));

	ASSERT_EQ(0, madvise(buf, EXTRA_SIZE, MADV_PAGEOUT));
	ASSERT_TRUE(host_swapped(buf + 5 * PAGE));	/* the guest's too */
	watch_sees_write(_metadata, &vm, &r, buf, "swap");
	/* A page the guest did not touch since comes back from swap. */
	ASSERT_GUEST_READS(&vm, EXTRA_GPA + 5 * PAGE + 0x10, 0x7710 + 5 * PAGE);
	vm_destroy(&vm);
	munmap(buf, EXTRA_SIZE);
	ASSERT_HEALTHY();
}

/* ---- 8. coherency, unmap, remap, partial unmap ----------------------------- */

TEST_F_TIMEOUT(lc, host_guest_coherency, 60)
{
	struct test_vm vm;
	uint64_t i;

	watchdog(50, "host_guest_coherency");
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	load(&vm, 0, lc_read);
	*gpa_u64(&vm, DATA_GPA) = 0xa1;
	ASSERT_GUEST_READS(&vm, DATA_GPA, 0xa1);
	/* The page is in the nested table now: later host writes show too. */
	*gpa_u64(&vm, DATA_GPA) = 0xa2;
	ASSERT_GUEST_READS(&vm, DATA_GPA, 0xa2);
	ASSERT_GUEST_WRITES(&vm, DATA_GPA + 8, 0xb1);
	ASSERT_EQ(0xb1, *gpa_u64(&vm, DATA_GPA + 8));
	for (i = 0; i < 20; i++) {
		*gpa_u64(&vm, DATA_GPA + 0x100) = i * 3;
		ASSERT_GUEST_READS(&vm, DATA_GPA + 0x100, i * 3);
		ASSERT_GUEST_WRITES(&vm, DATA_GPA + 0x108, ~i);
		ASSERT_EQ(~i, *gpa_u64(&vm, DATA_GPA + 0x108));
	}
	vm_destroy(&vm);
}

TEST_F_TIMEOUT(lc, unmap_and_remap, 60)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	uint8_t *b1, *b2, *b3;
	struct test_vm vm;

	watchdog(50, "unmap_and_remap");
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	load(&vm, 0, lc_read);
	b1 = new_buf(NULL, EXTRA_SIZE, MAP_PRIVATE, 0x1000000);
	b2 = new_buf(NULL, EXTRA_SIZE, MAP_PRIVATE, 0x2000000);
	b3 = new_buf(NULL, EXTRA_SIZE, MAP_PRIVATE, 0x3000000);
	ASSERT_TRUE(b1 && b2 && b3);

	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, b1, EXTRA_GPA, EXTRA_SIZE, RW));
	ASSERT_GUEST_READS(&vm, EXTRA_GPA + 0x10, 0x1000010);
	ASSERT_GUEST_WRITES(&vm, EXTRA_GPA + 0x18, 0x1);
	ASSERT_EQ(S_OK, WHvUnmapGpaRange(vm.part, EXTRA_GPA, EXTRA_SIZE));
	ASSERT_EQ(S_OK, guest_read(&vm, EXTRA_GPA + 0x10, &exit));
	ASSERT_MEM_EXIT(exit, EXTRA_GPA + 0x10, WHvMemoryAccessRead, 1, lc_read);
	ASSERT_EQ(S_OK, guest_write(&vm, EXTRA_GPA + 0x18, 0x2, &exit));
	ASSERT_MEM_EXIT(exit, EXTRA_GPA + 0x18, WHvMemoryAccessWrite, 1,
			lc_write);
	ASSERT_EQ(0x1, *(uint64_t *)(b1 + 0x18));	/* host memory intact */
	ASSERT_EQ(0x1000010, *(uint64_t *)(b1 + 0x10));
	ASSERT_EQ(WHV_E_GPA_RANGE_NOT_FOUND,
		  WHvUnmapGpaRange(vm.part, EXTRA_GPA, EXTRA_SIZE));

	/* Another buffer at the same GPA. */
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, b2, EXTRA_GPA, EXTRA_SIZE, RW));
	ASSERT_GUEST_READS(&vm, EXTRA_GPA + 0x10, 0x2000010);
	ASSERT_GUEST_WRITES(&vm, EXTRA_GPA + 0x18, 0x3);
	ASSERT_EQ(0x3, *(uint64_t *)(b2 + 0x18));
	ASSERT_EQ(0x1, *(uint64_t *)(b1 + 0x18));

	/* Mapping over a live mapping replaces it. */
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, b3, EXTRA_GPA, EXTRA_SIZE, RW));
	ASSERT_GUEST_READS(&vm, EXTRA_GPA + 0x10, 0x3000010);
	ASSERT_GUEST_WRITES(&vm, EXTRA_GPA + 0x18, 0x4);
	ASSERT_EQ(0x4, *(uint64_t *)(b3 + 0x18));
	ASSERT_EQ(0x3, *(uint64_t *)(b2 + 0x18));
	ASSERT_EQ(S_OK, WHvUnmapGpaRange(vm.part, EXTRA_GPA, EXTRA_SIZE));
	ASSERT_EQ(S_OK, guest_read(&vm, EXTRA_GPA + 0x10, &exit));
	ASSERT_MEM_EXIT(exit, EXTRA_GPA + 0x10, WHvMemoryAccessRead, 1, lc_read);

	vm_destroy(&vm);
	munmap(b1, EXTRA_SIZE);
	munmap(b2, EXTRA_SIZE);
	munmap(b3, EXTRA_SIZE);
}

TEST_F_TIMEOUT(lc, partial_unmap, 60)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	uint8_t *trio, *mid;
	int i;

	watchdog(50, "partial_unmap");
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	load(&vm, 0, lc_read);
	trio = new_buf(NULL, 3 * PAGE, MAP_PRIVATE, 0);
	mid = new_buf(NULL, PAGE, MAP_PRIVATE, 0);
	ASSERT_TRUE(trio && mid);
	for (i = 0; i < 3; i++)
		*(uint64_t *)(trio + i * PAGE) = 0x100 + i;
	*(uint64_t *)mid = 0xd00d;

	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, trio, TRIO_GPA, 3 * PAGE, RW));
	for (i = 0; i < 3; i++)
		ASSERT_GUEST_READS(&vm, TRIO_GPA + i * PAGE, 0x100 + i);

	ASSERT_EQ(S_OK, WHvUnmapGpaRange(vm.part, TRIO_GPA + PAGE, PAGE));
	ASSERT_GUEST_READS(&vm, TRIO_GPA, 0x100);
	ASSERT_GUEST_READS(&vm, TRIO_GPA + 2 * PAGE, 0x102);
	ASSERT_EQ(S_OK, guest_read(&vm, TRIO_GPA + PAGE, &exit));
	ASSERT_MEM_EXIT(exit, TRIO_GPA + PAGE, WHvMemoryAccessRead, 1, lc_read);
	/* The neighbours still reach the right host pages, both ways. */
	ASSERT_GUEST_WRITES(&vm, TRIO_GPA + 2 * PAGE + 8, 0xe2);
	ASSERT_EQ(0xe2, *(uint64_t *)(trio + 2 * PAGE + 8));
	ASSERT_GUEST_WRITES(&vm, TRIO_GPA + 8, 0xe0);
	ASSERT_EQ(0xe0, *(uint64_t *)(trio + 8));
	ASSERT_EQ(PAGE + 8, *(uint64_t *)(trio + PAGE + 8));	/* untouched */
	*(uint64_t *)(trio + 2 * PAGE + 16) = 0xf2;
	ASSERT_GUEST_READS(&vm, TRIO_GPA + 2 * PAGE + 16, 0xf2);
	ASSERT_EQ(WHV_E_GPA_RANGE_NOT_FOUND,
		  WHvUnmapGpaRange(vm.part, TRIO_GPA + PAGE, PAGE));

	/* Fill the hole with another buffer. */
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, mid, TRIO_GPA + PAGE, PAGE, RW));
	ASSERT_GUEST_READS(&vm, TRIO_GPA + PAGE, 0xd00d);
	ASSERT_GUEST_READS(&vm, TRIO_GPA, 0x100);
	ASSERT_GUEST_READS(&vm, TRIO_GPA + 2 * PAGE, 0x102);

	/* One unmap over all three pieces. */
	ASSERT_EQ(S_OK, WHvUnmapGpaRange(vm.part, TRIO_GPA, 3 * PAGE));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(S_OK, guest_read(&vm, TRIO_GPA + i * PAGE, &exit));
		ASSERT_MEM_EXIT(exit, TRIO_GPA + i * PAGE, WHvMemoryAccessRead,
				1, lc_read);
	}
	ASSERT_EQ(WHV_E_GPA_RANGE_NOT_FOUND,
		  WHvUnmapGpaRange(vm.part, TRIO_GPA, 3 * PAGE));
	vm_destroy(&vm);
	munmap(trio, 3 * PAGE);
	munmap(mid, PAGE);
}

/* ---- 9. parallel VPs and partitions ----------------------------------------- */

TEST_F_TIMEOUT(lc, two_vps_in_parallel, 60)
{
	struct test_vm vm;
	struct runner r[2];
	uint64_t c[2];
	UINT64 val, rax;
	int i;

	watchdog(50, "two_vps_in_parallel");
	ASSERT_EQ(S_OK, vm_create(&vm, 2));
	spin_setup(&vm, 0);
	spin_setup(&vm, 1);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, runner_start(&r[i], vm.part, i));
	for (i = 0; i < 2; i++) {
		c[i] = wait_count(counter(&vm, i), 0, 5000);
		ASSERT_GT(c[i], 0) {
			TH_LOG("VP %d made no progress: state %d hr 0x%08x "
			       "exit 0x%x gpa 0x%llx; other VP count %llu", i,
			       atomic_load(&r[i].state), (unsigned int)r[i].hr,
			       r[i].exit.ExitReason,
			       (unsigned long long)r[i].exit.MemoryAccess.Gpa,
			       (unsigned long long)load_u64(counter(&vm, !i)));
		}
	}
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(WHV_E_INVALID_VP_STATE,
			  get_reg(vm.part, i, WHvX64RegisterRax, &val));
		ASSERT_GT(wait_count(counter(&vm, i), c[i], 5000), c[i]);
	}
	/* Cancelling VP 0 leaves VP 1 running. */
	ASSERT_EQ(S_OK, WHvCancelRunVirtualProcessor(vm.part, 0, 0));
	ASSERT_TRUE(runner_join(&r[0], 5000));
	ASSERT_EQ(S_OK, r[0].hr);
	ASSERT_CANCELED_SPIN(&vm, 0, r[0].exit);
	c[1] = load_u64(counter(&vm, 1));
	ASSERT_GT(wait_count(counter(&vm, 1), c[1], 5000), c[1]);
	ASSERT_EQ(RUNNER_RUNNING, atomic_load(&r[1].state));
	ASSERT_EQ(S_OK, WHvCancelRunVirtualProcessor(vm.part, 1, 0));
	ASSERT_TRUE(runner_join(&r[1], 5000));
	ASSERT_EQ(S_OK, r[1].hr);
	ASSERT_CANCELED_SPIN(&vm, 1, r[1].exit);
	for (i = 0; i < 2; i++) {
		rax = vm_get(&vm, i, WHvX64RegisterRax);
		ASSERT_GT(rax, 0);
		ASSERT_COUNT_MATCHES(&vm, i, rax);
		ASSERT_EQ(CNT_GPA + 8 * i, vm_get(&vm, i, WHvX64RegisterRdi));
	}
	vm_destroy(&vm);
}

/*
 * Both VPs of a partition fault the same fresh pages at the same time:
 * whichever VP loses the race to fill a nested entry must simply go on, not
 * exit to userspace.
 */
#define TOUCH_GPA	0x800000
#define TOUCH_SIZE	(4u << 20)

TEST_F_TIMEOUT(lc, concurrent_first_touch, 120)
{
	struct test_vm vm;
	struct runner r[2];
	atomic_int go;
	uint8_t *buf;
	int iter, i, bad = 0;

	watchdog(110, "concurrent_first_touch");
	for (iter = 0; iter < 10; iter++) {
		ASSERT_EQ(S_OK, vm_create(&vm, 2));
		buf = new_buf(NULL, TOUCH_SIZE, MAP_PRIVATE | MAP_NORESERVE, 0);
		ASSERT_NE(NULL, buf);
		madvise(buf, TOUCH_SIZE, MADV_DONTNEED);	/* fresh pages */
		ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, buf, TOUCH_GPA,
					       TOUCH_SIZE, RW));
		load(&vm, 0, lc_touch);
		load(&vm, 1, lc_touch);
		for (i = 0; i < 2; i++) {
			vm_set(&vm, i, WHvX64RegisterRsi, TOUCH_GPA);
			vm_set(&vm, i, WHvX64RegisterRdx, TOUCH_GPA + TOUCH_SIZE);
		}
		atomic_store(&go, 0);
		for (i = 0; i < 2; i++)
			ASSERT_EQ(0, runner_start_go(&r[i], vm.part, i, &go));
		atomic_store(&go, 1);
		for (i = 0; i < 2; i++) {
			if (!runner_join(&r[i], 20000))
				ASSERT_TRUE(runner_stop(&r[i], 5000));
			ASSERT_EQ(S_OK, r[i].hr);
			if (r[i].exit.ExitReason == WHvRunVpExitReasonX64Halt &&
			    vm_get(&vm, i, WHvX64RegisterRsi) ==
			    TOUCH_GPA + TOUCH_SIZE)
				continue;
			bad++;
			TH_LOG("iteration %d VP %d: exit 0x%x gpa 0x%llx type %u "
			       "unmapped %u rip 0x%llx", iter, i,
			       r[i].exit.ExitReason,
			       (unsigned long long)r[i].exit.MemoryAccess.Gpa,
			       (UINT32)r[i].exit.MemoryAccess.AccessInfo.AccessType,
			       (UINT32)r[i].exit.MemoryAccess.AccessInfo.GpaUnmapped,
			       (unsigned long long)r[i].exit.VpContext.Rip);
		}
		vm_destroy(&vm);
		munmap(buf, TOUCH_SIZE);
	}
	ASSERT_EQ(0, bad);
}

TEST_F_TIMEOUT(lc, two_vps_ping_pong, 60)
{
	struct test_vm vm;
	struct runner r[2];
	int i;

	watchdog(50, "two_vps_ping_pong");
	ASSERT_EQ(S_OK, vm_create(&vm, 2));
	load(&vm, 0, lc_ping);
	load(&vm, 1, lc_pong);
	for (i = 0; i < 2; i++) {
		vm_set(&vm, i, WHvX64RegisterRsi, FLAG_GPA);
		vm_set(&vm, i, WHvX64RegisterRdi, FLAG_GPA + 8);
		vm_set(&vm, i, WHvX64RegisterRax, 0);
	}
	*gpa_u64(&vm, FLAG_GPA) = 0;
	*gpa_u64(&vm, FLAG_GPA + 8) = 0;
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, runner_start(&r[i], vm.part, i));
	for (i = 0; i < 2; i++) {
		if (!runner_join(&r[i], 10000)) {
			runner_stop(&r[0], 5000);
			runner_stop(&r[1], 5000);
			ASSERT_TRUE(0) {
				TH_LOG("VP %d never saw the other's flag; "
				       "exits: VP0 0x%x (gpa 0x%llx), VP1 0x%x "
				       "(gpa 0x%llx)", i, r[0].exit.ExitReason,
				       (unsigned long long)r[0].exit.MemoryAccess.Gpa,
				       r[1].exit.ExitReason,
				       (unsigned long long)r[1].exit.MemoryAccess.Gpa);
			}
		}
		ASSERT_EQ(S_OK, r[i].hr);
		ASSERT_EQ(WHvRunVpExitReasonX64Halt, r[i].exit.ExitReason);
	}
	ASSERT_EQ(1, *gpa_u64(&vm, FLAG_GPA));
	ASSERT_EQ(1, *gpa_u64(&vm, FLAG_GPA + 8));
	TH_LOG("spins: VP0 %llu, VP1 %llu",
	       (unsigned long long)vm_get(&vm, 0, WHvX64RegisterRax),
	       (unsigned long long)vm_get(&vm, 1, WHvX64RegisterRax));
	vm_destroy(&vm);
}

TEST_F_TIMEOUT(lc, two_partitions_at_once, 60)
{
	struct test_vm vm[2];
	struct runner r[2];
	uint64_t c;
	UINT64 rax;
	int i;

	watchdog(50, "two_partitions_at_once");
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(S_OK, vm_create(&vm[i], 1));
		spin_setup(&vm[i], 0);
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, runner_start(&r[i], vm[i].part, 0));
	for (i = 0; i < 2; i++)
		ASSERT_GT(wait_count(counter(&vm[i], 0), 0, 5000), 0);
	/* VP 0 of partition 0 is not VP 0 of partition 1. */
	ASSERT_EQ(S_OK, WHvCancelRunVirtualProcessor(vm[0].part, 0, 0));
	ASSERT_TRUE(runner_join(&r[0], 5000));
	ASSERT_EQ(S_OK, r[0].hr);
	ASSERT_CANCELED_SPIN(&vm[0], 0, r[0].exit);
	c = load_u64(counter(&vm[1], 0));
	ASSERT_GT(wait_count(counter(&vm[1], 0), c, 5000), c);
	ASSERT_EQ(RUNNER_RUNNING, atomic_load(&r[1].state));
	ASSERT_EQ(S_OK, WHvCancelRunVirtualProcessor(vm[1].part, 0, 0));
	ASSERT_TRUE(runner_join(&r[1], 5000));
	ASSERT_EQ(S_OK, r[1].hr);
	ASSERT_CANCELED_SPIN(&vm[1], 0, r[1].exit);
	for (i = 0; i < 2; i++) {
		rax = vm_get(&vm[i], 0, WHvX64RegisterRax);
		ASSERT_GT(rax, 0);
		ASSERT_COUNT_MATCHES(&vm[i], 0, rax);
		vm_destroy(&vm[i]);
	}
}

TEST_HARNESS_MAIN
