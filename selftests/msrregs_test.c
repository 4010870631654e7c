// SPDX-License-Identifier: GPL-2.0
/*
 * MSR-backed registers: InitialApicId, the MTRRs, TscAux, SpecCtrl,
 * TscAdjust, MiscEnable. Each round-trips by name, the guest's RDMSR reads
 * what the VMM set and the VMM reads what the guest's WRMSR wrote, reserved
 * values are refused both ways, RDTSCP/RDPID in the guest see its TSC_AUX
 * while the host's (getcpu's) is intact, and TSC_ADJUST moves with the TSC.
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <sched.h>
#include <string.h>
#include "kselftest_harness.h"
#include "guest.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define EXT_EXCEPTION	(1ULL << 2)	/* ExtendedVmExits bits */
#define EXT_RDTSC	(1ULL << 3)

#define MSR_LIST	0x3000	/* u32 MSR numbers */
#define MSR_VALS	0x4000	/* u64 values read or to write */
#define RESULT		0x6000

#define MTRR_CAP	0x510	/* WC, FIX, 16 variable ranges */
#define MISC_RESET	0x1801	/* fast strings, BTS/PEBS unavailable */

/*
 * For RBX entries of MSR_LIST: R9 = 0 RDMSR each into MSR_VALS, else
 * WRMSR each from MSR_VALS. Then HLT.
 */
GUEST_CODE(msr_loop, ".code64",
	"	mov $0x3000, %rsi\n"
	"	mov $0x4000, %rdi\n"
	"1:	mov (%rsi), %ecx\n"
	"	test %r9, %r9\n"
	"	jnz 2f\n"
	"	rdmsr\n"
	"	mov %eax, (%rdi)\n"
	"	mov %edx, 4(%rdi)\n"
	"	jmp 3f\n"
	"2:	mov (%rdi), %eax\n"
	"	mov 4(%rdi), %edx\n"
	"	wrmsr\n"
	"3:	add $4, %rsi\n"
	"	add $8, %rdi\n"
	"	dec %rbx\n"
	"	jnz 1b\n"
	"	hlt\n");

/* CPUID leaves 1, 7 and 0x80000001: EBX/EDX of each in R8-R12. */
GUEST_CODE(cpuid_guest, ".code64",
	"	mov $1, %eax\n"
	"	cpuid\n"
	"	mov %rbx, %r8\n"
	"	mov %rdx, %r9\n"
	"	mov $7, %eax\n"
	"	xor %ecx, %ecx\n"
	"	cpuid\n"
	"	mov %rbx, %r10\n"
	"	mov %rcx, %r13\n"
	"	mov $0x80000001, %eax\n"
	"	cpuid\n"
	"	mov %rdx, %r11\n"
	"	hlt\n");

/* RDTSCP: RCX is TSC_AUX; then RDPID into RBX when R10 says so. */
GUEST_CODE(rdtscp_guest, ".code64",
	"	xor %ecx, %ecx\n"
	"	rdtscp\n"
	"	mov %rcx, %rsi\n"
	"	test %r10, %r10\n"
	"	jz 1f\n"
	"	rdpid %rbx\n"
	"1:	hlt\n");

static bool host_has_rdtscp(void)
{
	unsigned int a, b, c, d;

	return __get_cpuid(0x80000001, &a, &b, &c, &d) && (d & (1u << 27));
}

static bool host_has_rdpid(void)
{
	unsigned int a, b, c, d;

	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 22));
}

static UINT32 host_tsc_aux(void)
{
	UINT32 lo, hi, aux;

	asm volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	return aux;
}

static void pin_cpu(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static HRESULT set_reg(struct test_vm *vm, WHV_REGISTER_NAME n, UINT64 v)
{
	return vm_set(vm, 0, n, v);
}

static HRESULT get_reg(struct test_vm *vm, WHV_REGISTER_NAME n, UINT64 *v)
{
	WHV_REGISTER_VALUE val;
	HRESULT hr;

	memset(&val, 0xcc, sizeof(val));
	hr = WHvGetVirtualProcessorRegisters(vm->part, 0, &n, 1, &val);
	*v = val.Reg64;
	return hr;
}

/* Run msr_loop over @msrs, reading into or writing from @vals. */
static void msr_ops(struct __test_metadata *_metadata, struct test_vm *vm,
		    const UINT32 *msrs, UINT64 *vals, unsigned int n,
		    bool write)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;

	memcpy(vm->mem + MSR_LIST, msrs, n * 4);
	if (write)
		memcpy(vm->mem + MSR_VALS, vals, n * 8);
	vm_load_long(vm, 0, msr_loop_start, msr_loop_end);
	vm_set(vm, 0, WHvX64RegisterRbx, n);
	vm_set(vm, 0, WHvX64RegisterR9, write);
	ASSERT_EQ(S_OK, vm_run(vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason)
		TH_LOG("exit 0x%x at MSR 0x%llx", exit.ExitReason,
		       (unsigned long long)vm_get(vm, 0, WHvX64RegisterRcx));
	if (!write)
		memcpy(vals, vm->mem + MSR_VALS, n * 8);
}

/* A register name, the MSR behind it, and two legal values. */
struct msr_reg {
	WHV_REGISTER_NAME name;
	UINT32 msr;
	UINT64 a, b;
};

static unsigned int mtrr_regs(struct msr_reg *r)
{
	static const UINT32 fixed[] = {
		0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c,
		0x26d, 0x26e, 0x26f,
	};
	unsigned int i, n = 0;

	r[n++] = (struct msr_reg){ WHvX64RegisterMsrMtrrDefType, 0x2ff,
				   0xc06, 0x800 };
	for (i = 0; i < 16; i++) {
		r[n++] = (struct msr_reg){ WHvX64RegisterMsrMtrrPhysBase0 + i,
					   0x200 + 2 * i,
					   0x80000000ULL + (i << 20) + 1,
					   0x100000ULL * i + 6 };
		r[n++] = (struct msr_reg){ WHvX64RegisterMsrMtrrPhysMask0 + i,
					   0x201 + 2 * i,
					   0xfff00000ULL | 0x800,
					   0xffff0000ULL };
	}
	for (i = 0; i < ARRAY_SIZE(fixed); i++)
		r[n++] = (struct msr_reg){ WHvX64RegisterMsrMtrrFix64k00000 + i,
					   fixed[i], 0x0606060606060606ULL,
					   (i & 1) ? 0x0501040506010400ULL :
					   0x0001040500010405ULL };
	return n;
}

static unsigned int all_regs(struct msr_reg *r)
{
	unsigned int n = mtrr_regs(r);

	r[n++] = (struct msr_reg){ WHvX64RegisterMsrIa32MiscEnable, 0x1a0,
				   MISC_RESET, 0x1800 };
	if (host_has_rdtscp())
		r[n++] = (struct msr_reg){ WHvX64RegisterTscAux, 0xc0000103,
					   0x12345678, 0xfff };
	return n;
}

TEST(names_round_trip)
{
	struct msr_reg r[64];
	unsigned int i, n;
	struct test_vm vm;
	UINT64 v;

	ASSERT_EQ(S_OK, vm_create(&vm, 2));
	n = all_regs(r);
	for (i = 0; i < n; i++) {
		EXPECT_EQ(S_OK, set_reg(&vm, r[i].name, r[i].a));
		EXPECT_EQ(S_OK, get_reg(&vm, r[i].name, &v));
		EXPECT_EQ(r[i].a, v) TH_LOG("name 0x%x", r[i].name);
		EXPECT_EQ(S_OK, set_reg(&vm, r[i].name, r[i].b));
		EXPECT_EQ(S_OK, get_reg(&vm, r[i].name, &v));
		EXPECT_EQ(r[i].b, v) TH_LOG("name 0x%x", r[i].name);
	}
	/* MTRRcap is read only: its own value may be written back. */
	EXPECT_EQ(S_OK, get_reg(&vm, WHvX64RegisterMsrMtrrCap, &v));
	EXPECT_EQ(MTRR_CAP, v);
	EXPECT_EQ(S_OK, set_reg(&vm, WHvX64RegisterMsrMtrrCap, MTRR_CAP));
	/* InitialApicId: the VP index by default, settable. */
	EXPECT_EQ(S_OK, get_reg(&vm, WHvX64RegisterInitialApicId, &v));
	EXPECT_EQ(0, v);
	v = vm_get(&vm, 1, WHvX64RegisterInitialApicId);
	EXPECT_EQ(1, v);
	EXPECT_EQ(S_OK, set_reg(&vm, WHvX64RegisterInitialApicId, 7));
	EXPECT_EQ(S_OK, get_reg(&vm, WHvX64RegisterInitialApicId, &v));
	EXPECT_EQ(7, v);
	/* TscAdjust alone: any value. */
	EXPECT_EQ(S_OK, set_reg(&vm, WHvX64RegisterTscAdjust, 12345));
	EXPECT_EQ(S_OK, get_reg(&vm, WHvX64RegisterTscAdjust, &v));
	EXPECT_EQ(12345, v);
	vm_destroy(&vm);
}

TEST(reset_values)
{
	struct msr_reg r[64];
	unsigned int i, n;
	struct test_vm vm;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	n = all_regs(r);
	for (i = 0; i < n; i++)
		set_reg(&vm, r[i].name, r[i].b);
	ASSERT_EQ(S_OK, WHvResetPartition(vm.part));
	for (i = 0; i < n; i++)
		EXPECT_EQ(r[i].name == WHvX64RegisterMsrIa32MiscEnable ?
			  MISC_RESET : 0, vm_get(&vm, 0, r[i].name))
			TH_LOG("name 0x%x", r[i].name);
	EXPECT_EQ(0, vm_get(&vm, 0, WHvX64RegisterTscAdjust));
	vm_destroy(&vm);
}

TEST(guest_rdmsr_wrmsr_agree)
{
	struct msr_reg r[64];
	UINT32 msrs[64];
	UINT64 vals[64];
	unsigned int i, n;
	struct test_vm vm;

	/* A #GP exits, naming the MSR, instead of shutting the guest down. */
	ASSERT_EQ(S_OK, vm_create_with(&vm, 1, EXT_EXCEPTION, 1ULL << 13));
	n = all_regs(r);
	for (i = 0; i < n; i++) {
		msrs[i] = r[i].msr;
		ASSERT_EQ(S_OK, set_reg(&vm, r[i].name, r[i].a));
	}
	msrs[n] = 0xfe;		/* MTRRcap */
	msr_ops(_metadata, &vm, msrs, vals, n + 1, false);
	for (i = 0; i < n; i++)
		EXPECT_EQ(r[i].a, vals[i]) TH_LOG("MSR 0x%x", msrs[i]);
	EXPECT_EQ(MTRR_CAP, vals[n]);

	/* The guest writes, the VMM reads. */
	for (i = 0; i < n; i++)
		vals[i] = r[i].b;
	msr_ops(_metadata, &vm, msrs, vals, n, true);
	for (i = 0; i < n; i++)
		EXPECT_EQ(r[i].b, vm_get(&vm, 0, r[i].name))
			TH_LOG("MSR 0x%x", msrs[i]);
	vm_destroy(&vm);
}

/* Guest WRMSRs that must #GP, and values the register API refuses. */
TEST(bad_values)
{
	static const struct { WHV_REGISTER_NAME name; UINT32 msr; UINT64 v; }
	bad[] = {
		{ WHvX64RegisterMsrMtrrDefType, 0x2ff, 2 },	/* reserved type */
		{ WHvX64RegisterMsrMtrrDefType, 0x2ff, 7 },	/* UC- is PAT's */
		{ WHvX64RegisterMsrMtrrDefType, 0x2ff, 0x1006 },
		{ WHvX64RegisterMsrMtrrPhysBase0, 0x200, 3 },
		{ WHvX64RegisterMsrMtrrPhysBase3, 0x206, 0x106 },
		{ WHvX64RegisterMsrMtrrPhysBaseF, 0x21e, 1ULL << 62 },
		{ WHvX64RegisterMsrMtrrPhysMask0, 0x201, 0x801 },
		{ WHvX64RegisterMsrMtrrPhysMaskF, 0x21f, 1ULL << 63 },
		{ WHvX64RegisterMsrMtrrFix64k00000, 0x250, 0x0606060606060602ULL },
		{ WHvX64RegisterMsrMtrrFix4kF8000, 0x26f, 0x0306060606060606ULL },
		{ WHvX64RegisterMsrIa32MiscEnable, 0x1a0, 1ULL << 63 },
		{ WHvX64RegisterMsrMtrrCap, 0xfe, 0 },
	};
	static const WHV_REGISTER_NAME unknown[] = { 0x200f, 0x2020, 0x2050,
						     0x207c, 0x20a1 };
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	unsigned int i;
	UINT64 v, before;

	ASSERT_EQ(S_OK, vm_create_with(&vm, 1, EXT_EXCEPTION,
				       1ULL << 13));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		before = vm_get(&vm, 0, bad[i].name);
		EXPECT_EQ(E_INVALIDARG, set_reg(&vm, bad[i].name, bad[i].v))
			TH_LOG("name 0x%x", bad[i].name);
		EXPECT_EQ(before, vm_get(&vm, 0, bad[i].name));
		/* The guest's WRMSR of the same value: #GP, nothing written. */
		memcpy(vm.mem + MSR_LIST, &bad[i].msr, 4);
		memcpy(vm.mem + MSR_VALS, &bad[i].v, 8);
		vm_load_long(&vm, 0, msr_loop_start, msr_loop_end);
		vm_set(&vm, 0, WHvX64RegisterRbx, 1);
		vm_set(&vm, 0, WHvX64RegisterR9, 1);
		ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
		EXPECT_EQ(WHvRunVpExitReasonException, exit.ExitReason)
			TH_LOG("MSR 0x%x", bad[i].msr);
		EXPECT_EQ(13, exit.VpException.ExceptionType);
		EXPECT_EQ(before, vm_get(&vm, 0, bad[i].name));
	}
	/* MISC_ENABLE: the guest may toggle fast strings, nothing else. */
	EXPECT_EQ(S_OK, set_reg(&vm, WHvX64RegisterMsrIa32MiscEnable, MISC_RESET));
	/* TSC_AUX is 32 bits; InitialApicId too. */
	EXPECT_EQ(E_INVALIDARG, set_reg(&vm, WHvX64RegisterTscAux, 1ULL << 32));
	EXPECT_EQ(E_INVALIDARG, set_reg(&vm, WHvX64RegisterInitialApicId,
					1ULL << 32));
	for (i = 0; i < ARRAY_SIZE(unknown); i++)
		EXPECT_EQ(WHV_E_INVALID_VP_REGISTER_NAME,
			  get_reg(&vm, unknown[i], &v)) TH_LOG("0x%x", unknown[i]);
	vm_destroy(&vm);
}

TEST(misc_enable_guest_toggles_fast_strings)
{
	UINT32 msr = 0x1a0;
	UINT64 val = MISC_RESET & ~1ULL;
	struct test_vm vm;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	msr_ops(_metadata, &vm, &msr, &val, 1, true);
	EXPECT_EQ(MISC_RESET & ~1ULL, vm_get(&vm, 0, WHvX64RegisterMsrIa32MiscEnable));
	vm_destroy(&vm);
}

TEST(spec_ctrl_where_the_host_has_it)
{
	UINT32 msr = 0x48;
	struct test_vm vm;
	UINT64 v, bit, ok = 0;
	HRESULT hr;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	hr = get_reg(&vm, WHvX64RegisterSpecCtrl, &v);
	if (hr == WHV_E_INVALID_VP_REGISTER_NAME) {
		EXPECT_EQ(WHV_E_INVALID_VP_REGISTER_NAME,
			  set_reg(&vm, WHvX64RegisterSpecCtrl, 0));
		vm_destroy(&vm);
		SKIP(return, "the host CPU has no SPEC_CTRL");
	}
	ASSERT_EQ(S_OK, hr);
	EXPECT_EQ(0, v);
	/* IBRS, STIBP, SSBD: whichever this CPU implements round-trip. */
	for (bit = 1; bit <= 4; bit <<= 1) {
		hr = set_reg(&vm, WHvX64RegisterSpecCtrl, bit);
		if (hr == S_OK)
			ok |= bit;
		else
			EXPECT_EQ(E_INVALIDARG, hr);
	}
	EXPECT_EQ(E_INVALIDARG, set_reg(&vm, WHvX64RegisterSpecCtrl, 1ULL << 40));
	ASSERT_EQ(S_OK, set_reg(&vm, WHvX64RegisterSpecCtrl, ok));
	msr_ops(_metadata, &vm, &msr, &v, 1, false);
	EXPECT_EQ(ok, v);
	v = 0;
	msr_ops(_metadata, &vm, &msr, &v, 1, true);
	EXPECT_EQ(0, vm_get(&vm, 0, WHvX64RegisterSpecCtrl));
	vm_destroy(&vm);
}

/*
 * RDTSCP in the guest reads the guest's TSC_AUX; the test process,
 * pinned to one CPU, reads its own before and after every run.
 */
TEST(rdtscp_sees_guest_tsc_aux_host_intact)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	UINT32 host, aux;
	bool rdpid = host_has_rdpid();
	int i, cpu;

	if (!host_has_rdtscp())
		SKIP(return, "no RDTSCP on this CPU");
	cpu = sched_getcpu();
	pin_cpu(cpu);
	host = host_tsc_aux();
	EXPECT_EQ(cpu, host & 0xfff);
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	for (i = 0; i < 20; i++) {
		aux = 0xabc00000 + i;
		vm_load_long(&vm, 0, rdtscp_guest_start, rdtscp_guest_end);
		ASSERT_EQ(S_OK, set_reg(&vm, WHvX64RegisterTscAux, aux));
		vm_set(&vm, 0, WHvX64RegisterR10, rdpid);
		ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
		ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason)
			TH_LOG("exit reason 0x%x (RDTSCP refused?)", exit.ExitReason);
		EXPECT_EQ(aux, vm_get(&vm, 0, WHvX64RegisterRsi));
		if (rdpid)
			EXPECT_EQ(aux, vm_get(&vm, 0, WHvX64RegisterRbx));
		EXPECT_EQ(host, host_tsc_aux());
		EXPECT_EQ(cpu, sched_getcpu());
	}
	/* A guest TSC_AUX equal to the host's is not switched: still right. */
	vm_load_long(&vm, 0, rdtscp_guest_start, rdtscp_guest_end);
	ASSERT_EQ(S_OK, set_reg(&vm, WHvX64RegisterTscAux, host));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	EXPECT_EQ(host, vm_get(&vm, 0, WHvX64RegisterRsi));
	EXPECT_EQ(host, host_tsc_aux());
	vm_destroy(&vm);
}

/* With X64RdtscExit, RDTSCP exits too: IsRdtscp and the guest's TSC_AUX. */
TEST(rdtscp_exit)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	if (!host_has_rdtscp())
		SKIP(return, "no RDTSCP on this CPU");
	ASSERT_EQ(S_OK, vm_create_with(&vm, 1, EXT_RDTSC, 0));
	vm_load_long(&vm, 0, rdtscp_guest_start, rdtscp_guest_end);
	ASSERT_EQ(S_OK, set_reg(&vm, WHvX64RegisterTscAux, 0x4242));
	vm_set(&vm, 0, WHvX64RegisterR10, 0);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Rdtsc, exit.ExitReason);
	EXPECT_EQ(1, exit.ReadTsc.RdtscInfo.AsUINT64);
	EXPECT_EQ(0x4242, exit.ReadTsc.TscAux);
	EXPECT_EQ(3, (int)exit.VpContext.InstructionLength);
	vm_set(&vm, 0, WHvX64RegisterRcx, exit.ReadTsc.TscAux);
	vm_skip(&vm, 0, &exit);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	EXPECT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(0x4242, vm_get(&vm, 0, WHvX64RegisterRsi));
	vm_destroy(&vm);
}

/* What CPUID tells the guest about these MSRs. */
TEST(cpuid_advertises)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	ASSERT_EQ(S_OK, vm_create(&vm, 2));
	vm_load_long(&vm, 1, cpuid_guest_start, cpuid_guest_end);
	ASSERT_EQ(S_OK, vm_set(&vm, 1, WHvX64RegisterInitialApicId, 0x42));
	ASSERT_EQ(S_OK, vm_run(&vm, 1, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(0x42, vm_get(&vm, 1, WHvX64RegisterR8) >> 24);
	EXPECT_TRUE(vm_get(&vm, 1, WHvX64RegisterR9) & (1 << 12));	/* MTRR */
	EXPECT_TRUE(vm_get(&vm, 1, WHvX64RegisterR10) & (1 << 1)); /* TSC_ADJUST */
	EXPECT_EQ(host_has_rdtscp(),
		  !!(vm_get(&vm, 1, WHvX64RegisterR11) & (1u << 27)));
	EXPECT_EQ(host_has_rdpid() && host_has_rdtscp(),
		  !!(vm_get(&vm, 1, WHvX64RegisterR13) & (1u << 22)));
	vm_destroy(&vm);
}

#define BIG	1000000000000ULL	/* far more than any run takes */

static bool near(UINT64 a, UINT64 b)
{
	return (INT64)(a - b) > -(INT64)(BIG / 10) &&
	       (INT64)(a - b) < (INT64)(BIG / 10);
}

TEST(tsc_adjust_moves_with_tsc)
{
	WHV_REGISTER_NAME both[2] = { WHvX64RegisterTsc, WHvX64RegisterTscAdjust };
	WHV_REGISTER_VALUE vals[2] = { { .Reg64 = 5 * BIG },
				       { .Reg64 = 77 } };
	UINT32 msrs[2] = { 0x3b, 0x10 };
	UINT64 v[2], tsc;
	struct test_vm vm;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	EXPECT_EQ(0, vm_get(&vm, 0, WHvX64RegisterTscAdjust));
	tsc = vm_get(&vm, 0, WHvX64RegisterTsc);
	/* TSC_ADJUST += BIG: the TSC jumps by BIG. */
	ASSERT_EQ(S_OK, set_reg(&vm, WHvX64RegisterTscAdjust, BIG));
	EXPECT_TRUE(near(vm_get(&vm, 0, WHvX64RegisterTsc), tsc + BIG));
	/* TSC set: TSC_ADJUST moves by the same delta. */
	tsc = vm_get(&vm, 0, WHvX64RegisterTsc);
	ASSERT_EQ(S_OK, set_reg(&vm, WHvX64RegisterTsc, tsc + 3 * BIG));
	EXPECT_TRUE(near(vm_get(&vm, 0, WHvX64RegisterTscAdjust), 4 * BIG));
	/* Both in one call: a restore, each as given. */
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorRegisters(vm.part, 0, both, 2, vals));
	EXPECT_EQ(77, vm_get(&vm, 0, WHvX64RegisterTscAdjust));
	EXPECT_TRUE(near(vm_get(&vm, 0, WHvX64RegisterTsc), 5 * BIG));

	/* The guest: RDMSR sees them, WRMSR TSC_ADJUST moves its TSC. */
	msr_ops(_metadata, &vm, msrs, v, 2, false);
	EXPECT_EQ(77, v[0]);
	EXPECT_TRUE(near(v[1], 5 * BIG));
	v[0] = 77 + 2 * BIG;
	msr_ops(_metadata, &vm, msrs, v, 1, true);
	EXPECT_EQ(77 + 2 * BIG, vm_get(&vm, 0, WHvX64RegisterTscAdjust));
	EXPECT_TRUE(near(vm_get(&vm, 0, WHvX64RegisterTsc), 7 * BIG));
	/* WRMSR TSC: TSC_ADJUST by the same delta. */
	v[0] = 9 * BIG;
	msr_ops(_metadata, &vm, &msrs[1], v, 1, true);
	EXPECT_TRUE(near(vm_get(&vm, 0, WHvX64RegisterTsc), 9 * BIG));
	EXPECT_TRUE(near(vm_get(&vm, 0, WHvX64RegisterTscAdjust), 4 * BIG));
	vm_destroy(&vm);
}

TEST_HARNESS_MAIN
