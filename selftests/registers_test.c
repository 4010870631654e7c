// SPDX-License-Identifier: GPL-2.0
/*
 * Registers: the reset state, the reset vector, get/set round trips, values
 * the architecture refuses, and agreement between what WHvGet/Set... show
 * and what the guest itself reads and writes (MOV CR/DR, RDMSR/WRMSR,
 * XGETBV/XSETBV, RDTSC), plus event injection via PendingInterruption.
 */
#include <cpuid.h>
#include <stdlib.h>
#include <unistd.h>
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include "kselftest_harness.h"
#include "guest.h"

#define IDT_BASE	0x3000
#define DATA		0x5000	/* results the guests store */

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

static UINT64 mem64(struct test_vm *vm, UINT64 gpa)
{
	UINT64 v;

	memcpy(&v, vm->mem + gpa, 8);
	return v;
}

static WHV_REGISTER_VALUE get_reg(struct test_vm *vm, UINT32 vp,
				  WHV_REGISTER_NAME name, HRESULT *hr)
{
	WHV_REGISTER_VALUE v;

	memset(&v, 0xcc, sizeof(v));
	*hr = WHvGetVirtualProcessorRegisters(vm->part, vp, &name, 1, &v);
	return v;
}

/* 64-bit interrupt gate for @vec at IDT_BASE, code selector 0x08. */
static void set_gate(struct test_vm *vm, int vec, UINT64 handler)
{
	vm_idt_gate64(vm, IDT_BASE, vec, handler);
}

/* Guest address of a global label inside guest code @start. */
#define LABEL_GPA(start, label) \
	((UINT64)((uintptr_t)(label) - (uintptr_t)(start)) + GUEST_LOAD)

static bool host_has_xsave(void)
{
	unsigned int a = 1, b, c = 0, d;

	/* OSXSAVE: the host kernel uses XSAVE, not merely the CPU has it. */
	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return c & (1u << 27);
}

/* ---- reset state ---------------------------------------------------------------- */

struct seg_expect {
	WHV_REGISTER_NAME name;
	UINT64 base;
	UINT32 limit;
	UINT16 sel, attr;
};

static void check_reset(struct __test_metadata *_metadata, struct test_vm *vm,
			UINT32 vp)
{
	static const struct { WHV_REGISTER_NAME name; UINT64 value; } regs[] = {
		{ WHvX64RegisterRax, 0 }, { WHvX64RegisterRcx, 0 },
		{ WHvX64RegisterRbx, 0 }, { WHvX64RegisterRsp, 0 },
		{ WHvX64RegisterRbp, 0 }, { WHvX64RegisterRsi, 0 },
		{ WHvX64RegisterRdi, 0 }, { WHvX64RegisterR8, 0 },
		{ WHvX64RegisterR15, 0 },
		{ WHvX64RegisterRip, 0xfff0 },
		{ WHvX64RegisterRflags, 0x2 },
		{ WHvX64RegisterCr0, 0x60000010 },
		{ WHvX64RegisterCr2, 0 }, { WHvX64RegisterCr3, 0 },
		{ WHvX64RegisterCr4, 0 }, { WHvX64RegisterCr8, 0 },
		{ WHvX64RegisterDr0, 0 }, { WHvX64RegisterDr1, 0 },
		{ WHvX64RegisterDr2, 0 }, { WHvX64RegisterDr3, 0 },
		{ WHvX64RegisterDr6, 0xffff0ff0 },
		{ WHvX64RegisterDr7, 0x400 },
		{ WHvX64RegisterXCr0, 1 },
		{ WHvX64RegisterEfer, 0 },
		{ WHvX64RegisterPat, 0x0007040600070406ULL },
		{ WHvX64RegisterKernelGsBase, 0 },
		{ WHvX64RegisterSysenterCs, 0 },
		{ WHvX64RegisterSysenterEip, 0 },
		{ WHvX64RegisterSysenterEsp, 0 },
		{ WHvX64RegisterStar, 0 }, { WHvX64RegisterLstar, 0 },
		{ WHvX64RegisterCstar, 0 }, { WHvX64RegisterSfmask, 0 },
		{ WHvRegisterPendingInterruption, 0 },
		{ WHvRegisterInterruptState, 0 },
		{ WHvX64RegisterDeliverabilityNotifications, 0 },
	};
	static const struct seg_expect segs[] = {
		{ WHvX64RegisterCs, 0xf0000, 0xffff, 0xf000, 0x9b },
		{ WHvX64RegisterEs, 0, 0xffff, 0, 0x93 },
		{ WHvX64RegisterSs, 0, 0xffff, 0, 0x93 },
		{ WHvX64RegisterDs, 0, 0xffff, 0, 0x93 },
		{ WHvX64RegisterFs, 0, 0xffff, 0, 0x93 },
		{ WHvX64RegisterGs, 0, 0xffff, 0, 0x93 },
		{ WHvX64RegisterLdtr, 0, 0xffff, 0, 0x82 },
		{ WHvX64RegisterTr, 0, 0xffff, 0, 0x8b },
	};
	WHV_REGISTER_NAME names[64];
	WHV_REGISTER_VALUE vals[64];
	unsigned int i, n = 0;
	UINT64 tsc;
	HRESULT hr;

	for (i = 0; i < ARRAY_SIZE(regs); i++)
		names[n++] = regs[i].name;
	for (i = 0; i < ARRAY_SIZE(segs); i++)
		names[n++] = segs[i].name;
	names[n++] = WHvX64RegisterGdtr;
	names[n++] = WHvX64RegisterIdtr;
	names[n++] = WHvX64RegisterApicBase;
	memset(vals, 0xcc, sizeof(vals));
	/* All of it in one call. */
	ASSERT_EQ(S_OK, WHvGetVirtualProcessorRegisters(vm->part, vp, names, n, vals));
	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		EXPECT_EQ(regs[i].value, vals[i].Reg64) {
			TH_LOG("VP %u register 0x%x: 0x%llx", vp, regs[i].name,
			       (unsigned long long)vals[i].Reg64);
		}
	}
	for (i = 0; i < ARRAY_SIZE(segs); i++) {
		const WHV_X64_SEGMENT_REGISTER *s = &vals[ARRAY_SIZE(regs) + i].Segment;

		EXPECT_EQ(segs[i].base, s->Base) TH_LOG("segment 0x%x", segs[i].name);
		EXPECT_EQ(segs[i].limit, s->Limit) TH_LOG("segment 0x%x", segs[i].name);
		EXPECT_EQ(segs[i].sel, s->Selector) TH_LOG("segment 0x%x", segs[i].name);
		EXPECT_EQ(segs[i].attr, s->Attributes) TH_LOG("segment 0x%x", segs[i].name);
	}
	i = ARRAY_SIZE(regs) + ARRAY_SIZE(segs);
	EXPECT_EQ(0, vals[i].Table.Base);
	EXPECT_EQ(0xffff, vals[i].Table.Limit);
	EXPECT_EQ(0, vals[i + 1].Table.Base);
	EXPECT_EQ(0xffff, vals[i + 1].Table.Limit);
	/* Enabled, at 0xFEE00000; the BSP flag only on VP 0. */
	EXPECT_EQ(vp ? 0xfee00800ULL : 0xfee00900ULL, vals[i + 2].Reg64);
	/* The TSC starts at 0 with the VP and runs. */
	tsc = get_reg(vm, vp, WHvX64RegisterTsc, &hr).Reg64;
	EXPECT_EQ(S_OK, hr);
	EXPECT_GT(1ULL << 40, tsc);
}

TEST(reset_state)
{
	struct test_vm vm;

	ASSERT_EQ(S_OK, vm_create(&vm, 2));
	check_reset(_metadata, &vm, 0);
	check_reset(_metadata, &vm, 1);
	vm_destroy(&vm);
}

/* ---- the reset vector --------------------------------------------------------------- */

#define ROM_GPA 0xf0000
#define ROM_SIZE 0x10000

static HRESULT rom_partition(WHV_PARTITION_HANDLE *h, uint8_t *rom)
{
	WHV_PARTITION_PROPERTY prop;
	HRESULT hr = WHvCreatePartition(h);

	if (FAILED(hr))
		return hr;
	memset(&prop, 0, sizeof(prop));
	prop.ProcessorCount = 1;
	hr = WHvSetPartitionProperty(*h, WHvPartitionPropertyCodeProcessorCount,
				     &prop, sizeof(prop));
	if (SUCCEEDED(hr))
		hr = WHvSetupPartition(*h);
	/* Only the ROM: no memory anywhere else. */
	if (SUCCEEDED(hr))
		hr = WHvMapGpaRange(*h, rom, ROM_GPA, ROM_SIZE,
				    WHvMapGpaRangeFlagRead |
				    WHvMapGpaRangeFlagExecute);
	if (SUCCEEDED(hr))
		hr = WHvCreateVirtualProcessor(*h, 0, 0);
	if (FAILED(hr))
		WHvDeletePartition(*h);
	return hr;
}

TEST(reset_vector_hlt)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	WHV_PARTITION_HANDLE h;
	WHV_REGISTER_NAME name = WHvX64RegisterRip;
	WHV_REGISTER_VALUE v;
	uint8_t *rom = mmap(NULL, ROM_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, rom);
	memset(rom, 0xf4, ROM_SIZE);	/* hlt everywhere */
	ASSERT_EQ(S_OK, rom_partition(&h, rom));
	memset(&exit, 0xcc, sizeof(exit));
	ASSERT_EQ(S_OK, WHvRunVirtualProcessor(h, 0, &exit, sizeof(exit)));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(0xfff0, exit.VpContext.Rip);
	EXPECT_EQ(1, (UINT32)exit.VpContext.InstructionLength);
	EXPECT_EQ(0xf000, exit.VpContext.Cs.Selector);
	EXPECT_EQ(0xf0000, exit.VpContext.Cs.Base);
	EXPECT_EQ(0xffff, exit.VpContext.Cs.Limit);
	EXPECT_EQ(0x9b, exit.VpContext.Cs.Attributes);
	EXPECT_EQ(0, (UINT32)exit.VpContext.ExecutionState.Cr0Pe);
	EXPECT_EQ(0, (UINT32)exit.VpContext.ExecutionState.EferLma);
	EXPECT_EQ(0x2, exit.VpContext.Rflags);
	ASSERT_EQ(S_OK, WHvGetVirtualProcessorRegisters(h, 0, &name, 1, &v));
	EXPECT_EQ(0xfff1, v.Reg64);
	WHvDeletePartition(h);
	munmap(rom, ROM_SIZE);
}

TEST(reset_vector_jmp_out)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	WHV_PARTITION_HANDLE h;
	WHV_REGISTER_NAME name = WHvX64RegisterRip;
	WHV_REGISTER_VALUE v;
	uint8_t *rom = mmap(NULL, ROM_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static const uint8_t reset[] = { 0xe9, 0x0d, 0xe0 };	/* jmp 0xe000 */
	static const uint8_t code[] = {
		0xb8, 0x34, 0x12,	/* mov $0x1234, %ax */
		0xe7, 0x80,		/* out %ax, $0x80 */
		0xf4,			/* hlt */
	};

	ASSERT_NE(MAP_FAILED, rom);
	memset(rom, 0xcc, ROM_SIZE);	/* int3 anywhere else */
	memcpy(rom + 0xfff0, reset, sizeof(reset));
	memcpy(rom + 0xe000, code, sizeof(code));
	ASSERT_EQ(S_OK, rom_partition(&h, rom));

	memset(&exit, 0xcc, sizeof(exit));
	ASSERT_EQ(S_OK, WHvRunVirtualProcessor(h, 0, &exit, sizeof(exit)));
	ASSERT_EQ(WHvRunVpExitReasonX64IoPortAccess, exit.ExitReason);
	EXPECT_EQ(0x80, exit.IoPortAccess.PortNumber);
	EXPECT_EQ(1, (UINT32)exit.IoPortAccess.AccessInfo.IsWrite);
	EXPECT_EQ(2, (UINT32)exit.IoPortAccess.AccessInfo.AccessSize);
	EXPECT_EQ(0x1234, exit.IoPortAccess.Rax & 0xffff);
	EXPECT_EQ(0xe003, exit.VpContext.Rip);
	EXPECT_EQ(2, (UINT32)exit.VpContext.InstructionLength);
	EXPECT_EQ(0xf000, exit.VpContext.Cs.Selector);
	EXPECT_EQ(0xf0000, exit.VpContext.Cs.Base);
	EXPECT_EQ(2, exit.IoPortAccess.InstructionByteCount >= 2 ? 2 : 0);
	EXPECT_EQ(0xe7, exit.IoPortAccess.InstructionBytes[0]);
	EXPECT_EQ(0x80, exit.IoPortAccess.InstructionBytes[1]);

	v.Reg64 = exit.VpContext.Rip + exit.VpContext.InstructionLength;
	v.Reg128.High64 = 0;
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorRegisters(h, 0, &name, 1, &v));
	ASSERT_EQ(S_OK, WHvRunVirtualProcessor(h, 0, &exit, sizeof(exit)));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(0xe005, exit.VpContext.Rip);
	ASSERT_EQ(S_OK, WHvGetVirtualProcessorRegisters(h, 0, &name, 1, &v));
	EXPECT_EQ(0xe006, v.Reg64);
	WHvDeletePartition(h);
	munmap(rom, ROM_SIZE);
}

/* ---- round trips ------------------------------------------------------------------------ */

struct rt {
	WHV_REGISTER_NAME name;
	UINT64 lo, hi;
};

#define SEG(base, limit, sel, attr) \
	(base), ((UINT64)(limit) | (UINT64)(sel) << 32 | (UINT64)(attr) << 48)
#define TABLE(base, limit) ((UINT64)(limit) << 48), (base)

static const struct rt roundtrip[] = {
	{ WHvX64RegisterRax, 0x0123456789abcdefULL, 0 },
	{ WHvX64RegisterRcx, 0x1111111111111111ULL, 0 },
	{ WHvX64RegisterRdx, 0x2222222222222222ULL, 0 },
	{ WHvX64RegisterRbx, 0x3333333333333333ULL, 0 },
	{ WHvX64RegisterRsp, 0x4444444444444444ULL, 0 },
	{ WHvX64RegisterRbp, 0x5555555555555555ULL, 0 },
	{ WHvX64RegisterRsi, 0x6666666666666666ULL, 0 },
	{ WHvX64RegisterRdi, 0x7777777777777777ULL, 0 },
	{ WHvX64RegisterR8, 0x8888888888888888ULL, 0 },
	{ WHvX64RegisterR9, 0x9999999999999999ULL, 0 },
	{ WHvX64RegisterR10, 0xaaaaaaaaaaaaaaaaULL, 0 },
	{ WHvX64RegisterR11, 0xbbbbbbbbbbbbbbbbULL, 0 },
	{ WHvX64RegisterR12, 0xccccccccccccccccULL, 0 },
	{ WHvX64RegisterR13, 0xddddddddddddddddULL, 0 },
	{ WHvX64RegisterR14, 0xeeeeeeeeeeeeeeeeULL, 0 },
	{ WHvX64RegisterR15, 0xffffffffffffffffULL, 0 },
	{ WHvX64RegisterRip, 0xffffffff81234567ULL, 0 },
	{ WHvX64RegisterRflags, 0x246, 0 },
	{ WHvX64RegisterEs, SEG(0x12340, 0xfffff, 0x1234, 0xc093) },
	{ WHvX64RegisterCs, SEG(0, 0xffffffff, 0x10, 0xa09b) },
	{ WHvX64RegisterSs, SEG(0, 0xffffffff, 0x18, 0xc093) },
	{ WHvX64RegisterDs, SEG(0x1000, 0xffff, 0x100, 0x4093) },
	{ WHvX64RegisterFs, SEG(0x7fff12345000ULL, 0xffffffff, 0x2b, 0xc0f3) },
	{ WHvX64RegisterGs, SEG(0xffff888012340000ULL, 0xffffffff, 0x33, 0xc0f3) },
	{ WHvX64RegisterLdtr, SEG(0xffff888000010000ULL, 0x3ff, 0x40, 0x82) },
	{ WHvX64RegisterTr, SEG(0xfffffe0000003000ULL, 0x4087, 0x48, 0x8b) },
	{ WHvX64RegisterIdtr, TABLE(0xfffffe0000000000ULL, 0xfff) },
	{ WHvX64RegisterGdtr, TABLE(0xfffffe0000001000ULL, 0x7f) },
	{ WHvX64RegisterCr0, 0x80050033, 0 },
	{ WHvX64RegisterCr2, 0x00007f0012345678ULL, 0 },
	{ WHvX64RegisterCr3, 0x0000000123456000ULL, 0 },
	{ WHvX64RegisterCr4, 0x6f0, 0 },
	{ WHvX64RegisterCr8, 0xa, 0 },
	{ WHvX64RegisterDr0, 0x1000, 0 },
	{ WHvX64RegisterDr1, 0xffffffff81000000ULL, 0 },
	{ WHvX64RegisterDr2, 0x00007fff00001234ULL, 0 },
	{ WHvX64RegisterDr3, 0xdeadbeef, 0 },
	{ WHvX64RegisterDr6, 0xffff4ff1, 0 },
	{ WHvX64RegisterDr7, 0x00000700, 0 },
	{ WHvX64RegisterXCr0, 3, 0 },
	{ WHvX64RegisterEfer, 0xd01, 0 },
	{ WHvX64RegisterKernelGsBase, 0xffff888087654321ULL, 0 },
	{ WHvX64RegisterApicBase, 0xfed00800, 0 },
	{ WHvX64RegisterPat, 0x0007010600050406ULL, 0 },
	{ WHvX64RegisterSysenterCs, 0x10, 0 },
	{ WHvX64RegisterSysenterEip, 0xffffffff81000200ULL, 0 },
	{ WHvX64RegisterSysenterEsp, 0xfffffe0000002000ULL, 0 },
	{ WHvX64RegisterStar, 0x0023001000000000ULL, 0 },
	{ WHvX64RegisterLstar, 0xffffffff81000100ULL, 0 },
	{ WHvX64RegisterCstar, 0xffffffff81000180ULL, 0 },
	{ WHvX64RegisterSfmask, 0x47700, 0 },
	/* #GP, error code 0x18 */
	{ WHvRegisterPendingInterruption,
	  1 | (3 << 1) | (1 << 4) | (13ULL << 16) | (0x18ULL << 32), 0 },
	{ WHvRegisterInterruptState, 3, 0 },
	{ WHvX64RegisterDeliverabilityNotifications, 0x16, 0 },
};

TEST(roundtrip_all_registers)
{
	WHV_REGISTER_NAME names[ARRAY_SIZE(roundtrip)];
	WHV_REGISTER_VALUE vals[ARRAY_SIZE(roundtrip)], back[ARRAY_SIZE(roundtrip)];
	struct test_vm vm;
	unsigned int i;
	HRESULT hr;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	for (i = 0; i < ARRAY_SIZE(roundtrip); i++) {
		names[i] = roundtrip[i].name;
		vals[i].Reg128.Low64 = roundtrip[i].lo;
		vals[i].Reg128.High64 = roundtrip[i].hi;
	}
	hr = WHvSetVirtualProcessorRegisters(vm.part, 0, names,
					     ARRAY_SIZE(names), vals);
	EXPECT_EQ(S_OK, hr);
	if (FAILED(hr)) {
		/* Find the culprit(s), and go on with the others. */
		for (i = 0; i < ARRAY_SIZE(roundtrip); i++) {
			EXPECT_EQ(S_OK, WHvSetVirtualProcessorRegisters(vm.part,
						0, &names[i], 1, &vals[i])) {
				TH_LOG("register 0x%x value 0x%llx refused",
				       names[i], (unsigned long long)roundtrip[i].lo);
			}
		}
	}
	memset(back, 0xcc, sizeof(back));
	ASSERT_EQ(S_OK, WHvGetVirtualProcessorRegisters(vm.part, 0, names,
							ARRAY_SIZE(names), back));
	for (i = 0; i < ARRAY_SIZE(roundtrip); i++) {
		EXPECT_EQ(roundtrip[i].lo, back[i].Reg128.Low64) {
			TH_LOG("register 0x%x low: set 0x%llx got 0x%llx",
			       names[i], (unsigned long long)roundtrip[i].lo,
			       (unsigned long long)back[i].Reg128.Low64);
		}
		EXPECT_EQ(roundtrip[i].hi, back[i].Reg128.High64) {
			TH_LOG("register 0x%x high: set 0x%llx got 0x%llx",
			       names[i], (unsigned long long)roundtrip[i].hi,
			       (unsigned long long)back[i].Reg128.High64);
		}
	}
	/* One at a time, in reverse order, reads the same. */
	for (i = ARRAY_SIZE(roundtrip); i-- > 0;) {
		WHV_REGISTER_VALUE v = get_reg(&vm, 0, names[i], &hr);

		EXPECT_EQ(S_OK, hr);
		EXPECT_EQ(roundtrip[i].lo, v.Reg128.Low64) TH_LOG("0x%x", names[i]);
		EXPECT_EQ(roundtrip[i].hi, v.Reg128.High64) TH_LOG("0x%x", names[i]);
	}
	vm_destroy(&vm);
}

TEST(roundtrip_tsc)
{
	const UINT64 t = 1ULL << 44;
	struct test_vm vm;
	UINT64 a, b;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterTsc, t));
	a = vm_get(&vm, 0, WHvX64RegisterTsc);
	b = vm_get(&vm, 0, WHvX64RegisterTsc);
	EXPECT_LE(t, a);
	EXPECT_GT(t + 10000000000ULL, a);
	EXPECT_LE(a, b);
	/* Back in time works too. */
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterTsc, 1000));
	a = vm_get(&vm, 0, WHvX64RegisterTsc);
	EXPECT_LE(1000, a);
	EXPECT_GT(1000 + 10000000000ULL, a);
	vm_destroy(&vm);
}

TEST(rflags_reserved_bit1)
{
	struct test_vm vm;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterRflags, 0));
	EXPECT_EQ(2, vm_get(&vm, 0, WHvX64RegisterRflags));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterRflags, 0x3f7fd5));
	EXPECT_EQ(0x3f7fd7, vm_get(&vm, 0, WHvX64RegisterRflags));
	vm_destroy(&vm);
}

/* ---- invalid values ---------------------------------------------------------------------- */

static const struct { WHV_REGISTER_NAME name; UINT64 value; const char *what; }
invalid[] = {
	{ WHvX64RegisterCr0, (1ULL << 32) | 0x60000010, "CR0 bit 32" },
	{ WHvX64RegisterCr0, (1ULL << 63) | 0x11, "CR0 bit 63" },
	{ WHvX64RegisterCr0, 0x80000010, "CR0.PG without PE" },
	{ WHvX64RegisterCr0, 0x20000011, "CR0.NW without CD" },
	{ WHvX64RegisterCr4, 1ULL << 30, "CR4 bit 30" },
	{ WHvX64RegisterCr4, 1ULL << 63, "CR4 bit 63" },
	{ WHvX64RegisterEfer, 1ULL << 1, "EFER bit 1" },
	{ WHvX64RegisterEfer, 1ULL << 63, "EFER bit 63" },
	{ WHvX64RegisterPat, 0x0007040600070402ULL, "PAT type 2" },
	{ WHvX64RegisterPat, 0x0007040603070406ULL, "PAT type 3" },
	{ WHvX64RegisterPat, 0x0807040600070406ULL, "PAT type 8" },
	{ WHvX64RegisterXCr0, 0, "XCR0 0" },
	{ WHvX64RegisterXCr0, 2, "XCR0 SSE without x87" },
	{ WHvX64RegisterXCr0, 5, "XCR0 AVX without SSE" },
	{ WHvX64RegisterDr7, (1ULL << 32) | 0x400, "DR7 bit 32" },
	{ WHvX64RegisterDr6, (1ULL << 63) | 0xffff0ff0, "DR6 bit 63" },
	/* Not canonical in 48 bits nor in 57 (LA57): canonical_width below. */
	{ WHvX64RegisterLstar, 0x0100000000000000ULL, "non-canonical LSTAR" },
	{ WHvX64RegisterCstar, 0xfe00000000000000ULL, "non-canonical CSTAR" },
	{ WHvX64RegisterKernelGsBase, 0x8000000000000000ULL, "non-canonical KernelGsBase" },
	{ WHvX64RegisterSysenterEip, 0x0180000000000000ULL, "non-canonical SysenterEip" },
	{ WHvX64RegisterSysenterEsp, 0x7fff800000000000ULL, "non-canonical SysenterEsp" },
	{ WHvX64RegisterRflags, (1ULL << 22) | 2, "RFLAGS bit 22" },
	{ WHvX64RegisterRflags, (1ULL << 63) | 2, "RFLAGS bit 63" },
	{ WHvX64RegisterCr8, 16, "CR8 16" },
	{ WHvX64RegisterCr8, 1ULL << 63, "CR8 bit 63" },
	{ WHvRegisterInterruptState, 4, "InterruptState bit 2" },
	{ WHvRegisterPendingInterruption, 1 | (1 << 1) | (32ULL << 16),
	  "PendingInterruption type 1" },
	{ WHvRegisterPendingInterruption, 1 | (4 << 1) | (32ULL << 16),
	  "PendingInterruption type 4" },
	{ WHvRegisterPendingInterruption, 1 | (3 << 1) | (32ULL << 16),
	  "exception vector 32" },
	{ WHvRegisterPendingInterruption, 1 | (3 << 1) | (0x100ULL << 16),
	  "exception vector 256" },
	{ WHvRegisterPendingInterruption, 1 | (2 << 1) | (3ULL << 16),
	  "NMI with vector 3" },
	{ WHvRegisterPendingInterruption, 1 | (0 << 1) | (1 << 4) | (0x30ULL << 16),
	  "interrupt with an error code" },
	{ WHvRegisterPendingInterruption, 1 | (3 << 1) | (1 << 10) | (13ULL << 16),
	  "PendingInterruption reserved bit 10" },
	{ WHvX64RegisterApicBase, 0xfee00901, "ApicBase bit 0" },
};

TEST(invalid_values_rejected)
{
	WHV_REGISTER_NAME names[2];
	WHV_REGISTER_VALUE vals[2];
	struct test_vm vm;
	unsigned int i;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterRbx, 0x600d));
	for (i = 0; i < ARRAY_SIZE(invalid); i++) {
		UINT64 before = vm_get(&vm, 0, invalid[i].name);

		/* A valid register listed first is not applied either. */
		memset(vals, 0, sizeof(vals));
		names[0] = WHvX64RegisterRbx;
		vals[0].Reg64 = 0xbad;
		names[1] = invalid[i].name;
		vals[1].Reg64 = invalid[i].value;
		EXPECT_EQ(E_INVALIDARG,
			  WHvSetVirtualProcessorRegisters(vm.part, 0, names, 2, vals)) {
			TH_LOG("%s accepted", invalid[i].what);
		}
		EXPECT_EQ(before, vm_get(&vm, 0, invalid[i].name)) {
			TH_LOG("%s changed the register", invalid[i].what);
		}
		EXPECT_EQ(0x600d, vm_get(&vm, 0, WHvX64RegisterRbx)) {
			TH_LOG("%s: RBX was set", invalid[i].what);
		}
	}
	vm_destroy(&vm);
}

/*
 * MSRs that hold addresses are canonical to the CPU's linear-address width:
 * 57 bits where it has 5-level paging (whatever CR4.LA57 is), else 48.
 */
TEST(canonical_width)
{
	static const WHV_REGISTER_NAME regs[] = {
		WHvX64RegisterLstar, WHvX64RegisterCstar, WHvX64RegisterKernelGsBase,
		WHvX64RegisterSysenterEip, WHvX64RegisterSysenterEsp,
	};
	unsigned int a, b, c, d, i;
	struct test_vm vm;
	bool la57;

	la57 = __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 16));
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	for (i = 0; i < ARRAY_SIZE(regs); i++) {
		/* Canonical in 57 bits only: bits 56:47 set or clear. */
		HRESULT lo = vm_set(&vm, 0, regs[i], 0x00ff800000001000ULL);
		HRESULT hi = vm_set(&vm, 0, regs[i], 0xff00000000002000ULL);

		EXPECT_EQ(la57 ? S_OK : E_INVALIDARG, lo);
		EXPECT_EQ(la57 ? S_OK : E_INVALIDARG, hi);
		EXPECT_EQ(la57 ? 0xff00000000002000ULL : 0, vm_get(&vm, 0, regs[i]));
		/* Canonical in both. */
		EXPECT_EQ(S_OK, vm_set(&vm, 0, regs[i], 0xffff800000003000ULL));
		EXPECT_EQ(0xffff800000003000ULL, vm_get(&vm, 0, regs[i]));
	}
	if (!la57)
		TH_LOG("no LA57 on this CPU: 48-bit canonical checks only");
	vm_destroy(&vm);
}

/* ---- the guest sees what was set, and we see what it sets -------------------------------- */

#define STORE_MSR(msr, off)						\
	"	mov $" #msr ", %ecx\n"					\
	"	rdmsr\n"						\
	"	mov %eax, " #off "\n"					\
	"	mov %edx, " #off "+4\n"
#define WRITE_MSR(msr, lo, hi)						\
	"	mov $" #msr ", %ecx\n"					\
	"	mov $" #lo ", %eax\n"					\
	"	mov $" #hi ", %edx\n"					\
	"	wrmsr\n"

GUEST_CODE(sysregs, ".code64",
	"	mov %cr0, %rax\n	mov %rax, 0x5000\n"
	"	mov %cr2, %rax\n	mov %rax, 0x5008\n"
	"	mov %cr3, %rax\n	mov %rax, 0x5010\n"
	"	mov %cr4, %rax\n	mov %rax, 0x5018\n"
	"	mov %cr8, %rax\n	mov %rax, 0x5020\n"
	STORE_MSR(0xc0000080, 0x5028)	/* EFER */
	STORE_MSR(0xc0000081, 0x5030)	/* STAR */
	STORE_MSR(0xc0000082, 0x5038)	/* LSTAR */
	STORE_MSR(0xc0000083, 0x5040)	/* CSTAR */
	STORE_MSR(0xc0000084, 0x5048)	/* SFMASK */
	STORE_MSR(0xc0000102, 0x5050)	/* KERNEL_GS_BASE */
	STORE_MSR(0x174, 0x5058)	/* SYSENTER_CS */
	STORE_MSR(0x175, 0x5060)	/* SYSENTER_ESP */
	STORE_MSR(0x176, 0x5068)	/* SYSENTER_EIP */
	STORE_MSR(0x277, 0x5070)	/* PAT */
	STORE_MSR(0xc0000100, 0x5078)	/* FS_BASE */
	STORE_MSR(0xc0000101, 0x5080)	/* GS_BASE */
	STORE_MSR(0x1b, 0x5088)		/* APIC_BASE */
	"	hlt\n"
	/* Now the guest writes them. */
	WRITE_MSR(0xc0000081, 0, 0x00330020)
	WRITE_MSR(0xc0000082, 0x82000000, 0xffffffff)
	WRITE_MSR(0xc0000083, 0x82000100, 0xffffffff)
	WRITE_MSR(0xc0000084, 0x700, 0)
	WRITE_MSR(0xc0000102, 0x2000, 0xffff8880)
	WRITE_MSR(0x174, 0x20, 0)
	WRITE_MSR(0x175, 0x3000, 0xfffffe00)
	WRITE_MSR(0x176, 0x82000200, 0xffffffff)
	WRITE_MSR(0x277, 0x00050406, 0x00050406)
	WRITE_MSR(0xc0000100, 0x1000, 0x7f00)
	WRITE_MSR(0xc0000101, 0x2000, 0xffff8880)
	WRITE_MSR(0x1b, 0xfed00900, 0)
	WRITE_MSR(0xc0000080, 0xd01, 0)	/* + SCE, NX */
	"	mov $0xabcdef, %eax\n	mov %rax, %cr2\n"
	"	mov $9, %eax\n		mov %rax, %cr8\n"
	"	mov %cr4, %rax\n	or $0x80, %rax\n	mov %rax, %cr4\n"
	"	mov %cr0, %rax\n	or $0x40000, %rax\n	mov %rax, %cr0\n"
	"	hlt\n");

TEST(guest_sees_and_sets_system_registers)
{
	static const struct { WHV_REGISTER_NAME name; UINT64 value; } set[] = {
		{ WHvX64RegisterCr2, 0x00007f0012345678ULL },
		{ WHvX64RegisterCr8, 5 },
		{ WHvX64RegisterStar, 0x0023001000000000ULL },
		{ WHvX64RegisterLstar, 0xffffffff81000000ULL },
		{ WHvX64RegisterCstar, 0xffffffff81000100ULL },
		{ WHvX64RegisterSfmask, 0x47700 },
		{ WHvX64RegisterKernelGsBase, 0xffff888000001000ULL },
		{ WHvX64RegisterSysenterCs, 0x10 },
		{ WHvX64RegisterSysenterEsp, 0xffffc90000002000ULL },
		{ WHvX64RegisterSysenterEip, 0xffffffff81000200ULL },
		{ WHvX64RegisterPat, 0x0007010600070106ULL },
	};
	static const struct { WHV_REGISTER_NAME name; UINT64 value; } after[] = {
		{ WHvX64RegisterStar, 0x0033002000000000ULL },
		{ WHvX64RegisterLstar, 0xffffffff82000000ULL },
		{ WHvX64RegisterCstar, 0xffffffff82000100ULL },
		{ WHvX64RegisterSfmask, 0x700 },
		{ WHvX64RegisterKernelGsBase, 0xffff888000002000ULL },
		{ WHvX64RegisterSysenterCs, 0x20 },
		{ WHvX64RegisterSysenterEsp, 0xfffffe0000003000ULL },
		{ WHvX64RegisterSysenterEip, 0xffffffff82000200ULL },
		{ WHvX64RegisterPat, 0x0005040600050406ULL },
		{ WHvX64RegisterApicBase, 0xfed00900 },
		{ WHvX64RegisterEfer, 0xd01 },
		{ WHvX64RegisterCr2, 0xabcdef },
		{ WHvX64RegisterCr8, 9 },
		{ WHvX64RegisterCr4, 0x2a0 },
		{ WHvX64RegisterCr0, 0x80050033 },
		{ WHvX64RegisterCr3, 0x10000 },
	};
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	unsigned int i;
	HRESULT hr;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_long(&vm, 0, sysregs_start, sysregs_end);
	for (i = 0; i < ARRAY_SIZE(set); i++)
		ASSERT_EQ(S_OK, vm_set(&vm, 0, set[i].name, set[i].value));
	ASSERT_EQ(S_OK, vm_set_segment(&vm, 0, WHvX64RegisterFs, 0x10,
				       0x7f0000004000ULL, 0xffffffff, 0xc093));
	ASSERT_EQ(S_OK, vm_set_segment(&vm, 0, WHvX64RegisterGs, 0x10,
				       0xffff888000005000ULL, 0xffffffff, 0xc093));

	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason) {
		TH_LOG("exit reason 0x%x at 0x%llx", exit.ExitReason,
		       (unsigned long long)exit.VpContext.Rip);
	}
	EXPECT_EQ(0x80010033, mem64(&vm, 0x5000));
	EXPECT_EQ(0x00007f0012345678ULL, mem64(&vm, 0x5008));
	EXPECT_EQ(0x10000, mem64(&vm, 0x5010));
	EXPECT_EQ(0x220, mem64(&vm, 0x5018));
	EXPECT_EQ(5, mem64(&vm, 0x5020));
	EXPECT_EQ(0x500, mem64(&vm, 0x5028));
	for (i = 2; i < ARRAY_SIZE(set); i++) {
		EXPECT_EQ(set[i].value, mem64(&vm, 0x5030 + 8 * (i - 2))) {
			TH_LOG("guest read of register 0x%x", set[i].name);
		}
	}
	EXPECT_EQ(0x7f0000004000ULL, mem64(&vm, 0x5078));
	EXPECT_EQ(0xffff888000005000ULL, mem64(&vm, 0x5080));
	EXPECT_EQ(0xfee00900, mem64(&vm, 0x5088));

	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason) {
		TH_LOG("exit reason 0x%x at 0x%llx", exit.ExitReason,
		       (unsigned long long)exit.VpContext.Rip);
	}
	for (i = 0; i < ARRAY_SIZE(after); i++) {
		UINT64 v = get_reg(&vm, 0, after[i].name, &hr).Reg64;

		EXPECT_EQ(S_OK, hr);
		EXPECT_EQ(after[i].value, v) {
			TH_LOG("register 0x%x after the guest wrote it: 0x%llx",
			       after[i].name, (unsigned long long)v);
		}
	}
	EXPECT_EQ(0x00007f0000001000ULL,
		  get_reg(&vm, 0, WHvX64RegisterFs, &hr).Segment.Base);
	EXPECT_EQ(0xffff888000002000ULL,
		  get_reg(&vm, 0, WHvX64RegisterGs, &hr).Segment.Base);
	/* The exit context agrees on CR8. */
	EXPECT_EQ(9, (UINT32)exit.VpContext.Cr8);
	vm_destroy(&vm);
}

#define STORE_GPRS(base)						\
	"	mov %rax, " #base "+0x00\n	mov %rcx, " #base "+0x08\n"	\
	"	mov %rdx, " #base "+0x10\n	mov %rbx, " #base "+0x18\n"	\
	"	mov %rsp, " #base "+0x20\n	mov %rbp, " #base "+0x28\n"	\
	"	mov %rsi, " #base "+0x30\n	mov %rdi, " #base "+0x38\n"	\
	"	mov %r8, " #base "+0x40\n	mov %r9, " #base "+0x48\n"	\
	"	mov %r10, " #base "+0x50\n	mov %r11, " #base "+0x58\n"	\
	"	mov %r12, " #base "+0x60\n	mov %r13, " #base "+0x68\n"	\
	"	mov %r14, " #base "+0x70\n	mov %r15, " #base "+0x78\n"

GUEST_CODE(gprs, ".code64",
	STORE_GPRS(0x6000)
	"	not %rax\n not %rcx\n not %rdx\n not %rbx\n"
	"	not %rsp\n not %rbp\n not %rsi\n not %rdi\n"
	"	not %r8\n not %r9\n not %r10\n not %r11\n"
	"	not %r12\n not %r13\n not %r14\n not %r15\n"
	"	hlt\n");

TEST(guest_sees_and_sets_gprs)
{
	WHV_REGISTER_NAME names[16];
	WHV_REGISTER_VALUE vals[16], back[16];
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	unsigned int i;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_long(&vm, 0, gprs_start, gprs_end);
	memset(vals, 0, sizeof(vals));
	for (i = 0; i < 16; i++) {
		names[i] = (WHV_REGISTER_NAME)(WHvX64RegisterRax + i);
		vals[i].Reg64 = 0x0101010101010101ULL * (i + 1) ^ 0x8000000000000000ULL;
	}
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorRegisters(vm.part, 0, names, 16, vals));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	ASSERT_EQ(S_OK, WHvGetVirtualProcessorRegisters(vm.part, 0, names, 16, back));
	for (i = 0; i < 16; i++) {
		EXPECT_EQ(vals[i].Reg64, mem64(&vm, 0x6000 + 8 * i)) {
			TH_LOG("guest saw GPR %u", i);
		}
		EXPECT_EQ(~vals[i].Reg64, back[i].Reg64) {
			TH_LOG("guest-computed GPR %u", i);
		}
	}
	vm_destroy(&vm);
}

/* ---- x87 and SSE registers ------------------------------------------------------------------- */

static WHV_REGISTER_VALUE fp_get_vp(struct test_vm *vm, UINT32 vp, WHV_REGISTER_NAME name)
{
	WHV_REGISTER_VALUE v;

	memset(&v, 0xcc, sizeof(v));
	WHvGetVirtualProcessorRegisters(vm->part, vp, &name, 1, &v);
	return v;
}

static WHV_REGISTER_VALUE fp_get(struct test_vm *vm, WHV_REGISTER_NAME name)
{
	return fp_get_vp(vm, 0, name);
}

static HRESULT fp_set(struct test_vm *vm, WHV_REGISTER_NAME name, UINT64 lo, UINT64 hi)
{
	WHV_REGISTER_VALUE v;

	memset(&v, 0, sizeof(v));
	v.Reg128.Low64 = lo;
	v.Reg128.High64 = hi;
	return WHvSetVirtualProcessorRegisters(vm->part, 0, &name, 1, &v);
}

TEST(fp_initial_state)
{
	WHV_REGISTER_VALUE v;
	struct test_vm vm;
	int i;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	v = fp_get(&vm, WHvX64RegisterFpControlStatus);
	EXPECT_EQ(0x37f, v.FpControlStatus.FpControl);
	EXPECT_EQ(0, v.FpControlStatus.FpStatus);
	EXPECT_EQ(0, v.FpControlStatus.FpTag);
	v = fp_get(&vm, WHvX64RegisterXmmControlStatus);
	EXPECT_EQ(0x1f80, v.XmmControlStatus.XmmStatusControl);
	EXPECT_NE(0, v.XmmControlStatus.XmmStatusControlMask & 0xffbf);
	for (i = 0; i < 16; i++) {
		v = fp_get(&vm, (WHV_REGISTER_NAME)(WHvX64RegisterXmm0 + i));
		EXPECT_EQ(0, v.Reg128.Low64 | v.Reg128.High64);
	}
	for (i = 0; i < 8; i++) {
		v = fp_get(&vm, (WHV_REGISTER_NAME)(WHvX64RegisterFpMmx0 + i));
		EXPECT_EQ(0, v.Reg128.Low64 | v.Reg128.High64);
	}
	vm_destroy(&vm);
}

TEST(fp_roundtrip_and_invalid_mxcsr)
{
	WHV_REGISTER_VALUE v;
	struct test_vm vm;
	int i;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	for (i = 0; i < 16; i++)
		ASSERT_EQ(S_OK, fp_set(&vm, (WHV_REGISTER_NAME)(WHvX64RegisterXmm0 + i),
				       0x1111111111111111ULL * i, ~0ULL - i));
	for (i = 0; i < 8; i++)	/* 64-bit mantissa, 16-bit sign/exponent */
		ASSERT_EQ(S_OK, fp_set(&vm, (WHV_REGISTER_NAME)(WHvX64RegisterFpMmx0 + i),
				       0x8000000000000000ULL | i, 0x3fff + i));
	/* FCW, FSW, abridged tag, FOP, FIP; then FDP, MXCSR. */
	ASSERT_EQ(S_OK, fp_set(&vm, WHvX64RegisterFpControlStatus,
			       0x012300ff0000027fULL, 0x4000));
	ASSERT_EQ(S_OK, fp_set(&vm, WHvX64RegisterXmmControlStatus, 0x5000, 0x1fa0));
	for (i = 0; i < 16; i++) {
		v = fp_get(&vm, (WHV_REGISTER_NAME)(WHvX64RegisterXmm0 + i));
		EXPECT_EQ(0x1111111111111111ULL * i, v.Reg128.Low64);
		EXPECT_EQ(~0ULL - i, v.Reg128.High64);
	}
	for (i = 0; i < 8; i++) {
		v = fp_get(&vm, (WHV_REGISTER_NAME)(WHvX64RegisterFpMmx0 + i));
		EXPECT_EQ(0x8000000000000000ULL | i, v.Reg128.Low64);
		EXPECT_EQ(0x3fff + i, v.Reg128.High64);
	}
	v = fp_get(&vm, WHvX64RegisterFpControlStatus);
	EXPECT_EQ(0x27f, v.FpControlStatus.FpControl);
	EXPECT_EQ(0xff, v.FpControlStatus.FpTag);
	EXPECT_EQ(0x123, v.FpControlStatus.LastFpOp);
	EXPECT_EQ(0x4000, v.FpControlStatus.LastFpRip);
	v = fp_get(&vm, WHvX64RegisterXmmControlStatus);
	EXPECT_EQ(0x5000, v.XmmControlStatus.LastFpRdp);
	EXPECT_EQ(0x1fa0, v.XmmControlStatus.XmmStatusControl);
	/* MXCSR bit 31 is reserved everywhere: refused, nothing changes. */
	EXPECT_EQ(E_INVALIDARG, fp_set(&vm, WHvX64RegisterXmmControlStatus, 0, 0x80001f80));
	EXPECT_EQ(0x1fa0, fp_get(&vm, WHvX64RegisterXmmControlStatus).XmmControlStatus.XmmStatusControl);
	vm_destroy(&vm);
}

/* The guest reads what the VMM set, and the VMM reads what the guest set. */
GUEST_CODE(fpio, ".code64",
	"	movdqu %xmm0, 0x5000\n	movdqu %xmm7, 0x5010\n	movdqu %xmm15, 0x5020\n"
	"	stmxcsr 0x5030\n	fnstcw 0x5034\n"
	"	fldt 0x5040\n	fstpt 0x5050\n"	/* through the x87 stack */
	"	movq %mm1, %rax\n	mov %rax, 0x5060\n"
	"	movdqu 0x5100, %xmm3\n	movdqu 0x5110, %xmm12\n"
	"	ldmxcsr 0x5120\n	fldcw 0x5124\n"
	"	hlt\n");

TEST(fp_guest_sees_and_sets)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	WHV_REGISTER_VALUE v;
	struct test_vm vm;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_long(&vm, 0, fpio_start, fpio_end);
	ASSERT_EQ(S_OK, fp_set(&vm, WHvX64RegisterXmm0, 0x0102030405060708ULL, 0x1112131415161718ULL));
	ASSERT_EQ(S_OK, fp_set(&vm, WHvX64RegisterXmm7, 0x2122232425262728ULL, 0x3132333435363738ULL));
	ASSERT_EQ(S_OK, fp_set(&vm, WHvX64RegisterXmm15, 0x4142434445464748ULL, 0x5152535455565758ULL));
	ASSERT_EQ(S_OK, fp_set(&vm, WHvX64RegisterXmmControlStatus, 0, 0x1fc0));	/* DAZ */
	ASSERT_EQ(S_OK, fp_set(&vm, WHvX64RegisterFpControlStatus, 0x037b, 0));	/* ZM unmasked */
	ASSERT_EQ(S_OK, fp_set(&vm, WHvX64RegisterFpMmx1, 0xc0ffee0012345678ULL, 0x4005));
	/* 1.5 as an 80-bit value, for FLD/FSTP. */
	*(UINT64 *)(vm.mem + 0x5040) = 0xc000000000000000ULL;
	*(UINT16 *)(vm.mem + 0x5048) = 0x3fff;
	*(UINT64 *)(vm.mem + 0x5100) = 0xa1a2a3a4a5a6a7a8ULL;
	*(UINT64 *)(vm.mem + 0x5108) = 0xb1b2b3b4b5b6b7b8ULL;
	*(UINT64 *)(vm.mem + 0x5110) = 0xc1c2c3c4c5c6c7c8ULL;
	*(UINT64 *)(vm.mem + 0x5118) = 0xd1d2d3d4d5d6d7d8ULL;
	*(UINT32 *)(vm.mem + 0x5120) = 0x9f80;	/* FTZ */
	*(UINT16 *)(vm.mem + 0x5124) = 0x077f;	/* RC = down */
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(0x0102030405060708ULL, mem64(&vm, 0x5000));
	EXPECT_EQ(0x1112131415161718ULL, mem64(&vm, 0x5008));
	EXPECT_EQ(0x2122232425262728ULL, mem64(&vm, 0x5010));
	EXPECT_EQ(0x5152535455565758ULL, mem64(&vm, 0x5028));
	EXPECT_EQ(0x1fc0, (UINT32)mem64(&vm, 0x5030));
	EXPECT_EQ(0x037b, (UINT16)mem64(&vm, 0x5034));
	EXPECT_EQ(0xc000000000000000ULL, mem64(&vm, 0x5050));
	EXPECT_EQ(0x3fff, (UINT16)mem64(&vm, 0x5058));
	EXPECT_EQ(0xc0ffee0012345678ULL, mem64(&vm, 0x5060));
	v = fp_get(&vm, WHvX64RegisterXmm3);
	EXPECT_EQ(0xa1a2a3a4a5a6a7a8ULL, v.Reg128.Low64);
	EXPECT_EQ(0xb1b2b3b4b5b6b7b8ULL, v.Reg128.High64);
	v = fp_get(&vm, WHvX64RegisterXmm12);
	EXPECT_EQ(0xd1d2d3d4d5d6d7d8ULL, v.Reg128.High64);
	EXPECT_EQ(0x9f80, fp_get(&vm, WHvX64RegisterXmmControlStatus).XmmControlStatus.XmmStatusControl);
	EXPECT_EQ(0x077f, fp_get(&vm, WHvX64RegisterFpControlStatus).FpControlStatus.FpControl);
	vm_destroy(&vm);
}

/* ---- WHvResetPartition ------------------------------------------------------------------ */

GUEST_CODE(dirty, ".code64",
	"	mov $0x1234, %rbx\n	mov $0x5678, %r15\n"
	"	movq %rbx, %xmm5\n"
	"	movq $0x600d, 0x5000\n"
	"	mov %cr4, %rax\n	or $0x80, %rax\n	mov %rax, %cr4\n"	/* PGE */
	"	hlt\n");

GUEST_CODE(spin, ".code16",
	"1:	jmp 1b\n");

struct runner {
	struct test_vm *vm;
	WHV_RUN_VP_EXIT_CONTEXT exit;
	HRESULT hr;
};

static void *run_vp1(void *arg)
{
	struct runner *r = arg;

	/* Until it really runs: a reset in progress holds the VP for a moment. */
	do
		r->hr = vm_run(r->vm, 1, &r->exit);
	while (r->hr == WHV_E_INVALID_VP_STATE);
	return NULL;
}

TEST(reset_partition)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	WHV_PARTITION_HANDLE h;
	struct test_vm vm;
	UINT32 vp;

	ASSERT_EQ(S_OK, vm_create(&vm, 2));
	/* VP 0 ran a 64-bit guest; VP 1 got its state from the VMM. */
	vm_load_long(&vm, 0, dirty_start, dirty_end);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	vm_load_long(&vm, 1, dirty_start, dirty_end);
	ASSERT_EQ(S_OK, vm_set(&vm, 1, WHvX64RegisterLstar, 0xffffffff81000000ULL));
	ASSERT_EQ(S_OK, vm_set(&vm, 1, WHvRegisterInterruptState, 3));
	ASSERT_EQ(S_OK, vm_set(&vm, 1, WHvX64RegisterDeliverabilityNotifications, 2));
	ASSERT_EQ(S_OK, vm_set(&vm, 1, WHvRegisterPendingInterruption, 0x300001));
	ASSERT_EQ(S_OK, vm_set(&vm, 1, WHvX64RegisterDr0, 0x1000));
	ASSERT_EQ(S_OK, vm_set(&vm, 1, WHvX64RegisterCr8, 5));
	ASSERT_EQ(S_OK, fp_set(&vm, WHvX64RegisterXmmControlStatus, 0, 0x1fc0));	/* VP 0 */

	ASSERT_EQ(S_OK, WHvResetPartition(vm.part));
	for (vp = 0; vp < 2; vp++) {
		WHV_REGISTER_VALUE v;

		check_reset(_metadata, &vm, vp);
		EXPECT_EQ(0, vm_get(&vm, vp, WHvX64RegisterCr8));
		v = fp_get_vp(&vm, vp, WHvX64RegisterXmm5);
		EXPECT_EQ(0, v.Reg128.Low64 | v.Reg128.High64);
		v = fp_get_vp(&vm, vp, WHvX64RegisterFpControlStatus);
		EXPECT_EQ(0x37f, v.FpControlStatus.FpControl);
		v = fp_get_vp(&vm, vp, WHvX64RegisterXmmControlStatus);
		EXPECT_EQ(0x1f80, v.XmmControlStatus.XmmStatusControl);
	}
	/* Memory and mappings stay: the reset vector (0xffff0, in RAM) runs. */
	EXPECT_EQ(0x600d, mem64(&vm, 0x5000));
	vm.mem[0xffff0] = 0xf4;	/* hlt */
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(0xfff0, exit.VpContext.Rip);
	vm_destroy(&vm);

	/* Before setup there is nothing to reset. */
	ASSERT_EQ(S_OK, WHvCreatePartition(&h));
	EXPECT_EQ(HRESULT_FROM_WIN32(ERROR_INVALID_STATE), WHvResetPartition(h));
	EXPECT_EQ(S_OK, WHvDeletePartition(h));
}

/* Not while a VP runs: nothing is reset then. */
TEST(reset_partition_while_running)
{
	struct runner r = { 0 };
	struct test_vm vm;
	pthread_t t;
	int i;

	ASSERT_EQ(S_OK, vm_create(&vm, 2));
	vm_load_real(&vm, 1, spin_start, spin_end);
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterRbx, 0x77));
	r.vm = &vm;
	ASSERT_EQ(0, pthread_create(&t, NULL, run_vp1, &r));
	for (i = 0; WHvResetPartition(vm.part) == S_OK; i++) {
		/* VP 1 not in its run yet: undo and try again. */
		ASSERT_GT(10000, i);
		ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterRbx, 0x77));
		vm_load_real(&vm, 1, spin_start, spin_end);
		usleep(1000);
	}
	EXPECT_EQ(HRESULT_FROM_WIN32(ERROR_INVALID_STATE), WHvResetPartition(vm.part));
	EXPECT_EQ(0x77, vm_get(&vm, 0, WHvX64RegisterRbx));
	ASSERT_EQ(S_OK, WHvCancelRunVirtualProcessor(vm.part, 1, 0));
	pthread_join(t, NULL);
	EXPECT_EQ(S_OK, r.hr);
	EXPECT_EQ(WHvRunVpExitReasonCanceled, r.exit.ExitReason);
	vm_destroy(&vm);
}

/* ---- XCR0 ------------------------------------------------------------------------------------ */

GUEST_CODE(xcr0, ".code64",
	"	mov $1, %eax\n	xor %ecx, %ecx\n	cpuid\n	mov %ecx, 0x5000\n"
	"	mov %cr4, %rax\n	or $0x40000, %rax\n	mov %rax, %cr4\n"
	"	mov $1, %eax\n	xor %ecx, %ecx\n	cpuid\n	mov %ecx, 0x5004\n"
	"	xor %ecx, %ecx\n	xgetbv\n	mov %eax, 0x5008\n	mov %edx, 0x500c\n"
	"	xor %ecx, %ecx\n	mov $3, %eax\n	xor %edx, %edx\n	xsetbv\n"
	"	xor %ecx, %ecx\n	xgetbv\n	mov %eax, 0x5010\n	mov %edx, 0x5014\n"
	"	hlt\n");

TEST(xcr0_xsetbv)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	if (!host_has_xsave())
		SKIP(return, "no XSAVE");
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_long(&vm, 0, xcr0_start, xcr0_end);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason) {
		TH_LOG("exit reason 0x%x at 0x%llx", exit.ExitReason,
		       (unsigned long long)exit.VpContext.Rip);
	}
	/* CPUID.1:ECX.XSAVE is offered; OSXSAVE follows CR4. */
	EXPECT_EQ(1u << 26, (UINT32)mem64(&vm, 0x5000) & (1u << 26));
	EXPECT_EQ(0, (UINT32)mem64(&vm, 0x5000) & (1u << 27));
	EXPECT_EQ(1u << 27, (UINT32)mem64(&vm, 0x5004) & (1u << 27));
	EXPECT_EQ(1, mem64(&vm, 0x5008));
	EXPECT_EQ(3, mem64(&vm, 0x5010));
	/*
	 * QEMU 7.2's TCG does not implement the SVM XSETBV intercept: the
	 * guest's XSETBV then never reaches the kernel, and XCR0 cannot
	 * follow it. Real SVM hardware always intercepts it.
	 */
	if (vm_get(&vm, 0, WHvX64RegisterXCr0) == 1 && mem64(&vm, 0x5010) == 3 &&
	    host_is_tcg()) {
		vm_destroy(&vm);
		SKIP(return, "TCG: XSETBV is not intercepted (QEMU limitation)");
	}
	EXPECT_EQ(3, vm_get(&vm, 0, WHvX64RegisterXCr0));
	EXPECT_EQ(0x40220, vm_get(&vm, 0, WHvX64RegisterCr4));
	vm_destroy(&vm);
}

/* XCR0 and CR4.OSXSAVE set through the registers: the guest sees them. */
GUEST_CODE(xcr0set, ".code64",
	"	xor %ecx, %ecx\n	xgetbv\n	mov %eax, 0x5000\n	mov %edx, 0x5004\n"
	"	mov $1, %eax\n	xor %ecx, %ecx\n	cpuid\n	mov %ecx, 0x5008\n"
	"	mov $0xd, %eax\n	xor %ecx, %ecx\n	cpuid\n"
	"	mov %eax, 0x5010\n	mov %ebx, 0x5014\n"
	"	hlt\n");

TEST(xcr0_register_seen_by_guest)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	if (!host_has_xsave())
		SKIP(return, "no XSAVE");
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_long(&vm, 0, xcr0set_start, xcr0set_end);
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterCr4, 0x40220));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterXCr0, 3));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason) {
		TH_LOG("exit reason 0x%x at 0x%llx", exit.ExitReason,
		       (unsigned long long)exit.VpContext.Rip);
	}
	EXPECT_EQ(3, mem64(&vm, 0x5000));
	EXPECT_EQ(1u << 27, (UINT32)mem64(&vm, 0x5008) & (1u << 27));
	/* CPUID.0xD.0: x87 and SSE offered; EBX = legacy area + header. */
	EXPECT_EQ(3, (UINT32)mem64(&vm, 0x5010) & 3);
	EXPECT_EQ(576, (UINT32)(mem64(&vm, 0x5010) >> 32));
	EXPECT_EQ(3, vm_get(&vm, 0, WHvX64RegisterXCr0));
	vm_destroy(&vm);
}

/* XSETBV with bit 0 clear: #GP(0) at the XSETBV. */
GUEST_CODE(xsbad, ".code64",
	"	mov %cr4, %rax\n	or $0x40000, %rax\n	mov %rax, %cr4\n"
	"	xor %ecx, %ecx\n	xor %eax, %eax\n	xor %edx, %edx\n"
	".globl xsbad_insn\n"
	"xsbad_insn:\n"
	"	xsetbv\n"
	"	movq $0x5a, 0x5000\n"
	"	hlt\n"
	".globl xsbad_gp\n"
	"xsbad_gp:\n"
	"	pop %rax\n	mov %rax, 0x5010\n"	/* error code */
	"	pop %rax\n	mov %rax, 0x5018\n"	/* RIP */
	"	movq $13, 0x5008\n"
	"	hlt\n");
extern const uint8_t xsbad_insn[], xsbad_gp[];

TEST(xsetbv_invalid_exception_exit)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	if (!host_has_xsave())
		SKIP(return, "no XSAVE");
	ASSERT_EQ(S_OK, vm_create_with(&vm, 1, 1ULL << 2, 1ULL << 13));
	vm_load_long(&vm, 0, xsbad_start, xsbad_end);
	/* A handler, so that a #GP not reported as an exit is visible. */
	ASSERT_EQ(S_OK, vm_set_table(&vm, 0, WHvX64RegisterIdtr, IDT_BASE, 0xfff));
	set_gate(&vm, 13, LABEL_GPA(xsbad_start, xsbad_gp));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonException, exit.ExitReason) {
		TH_LOG("exit reason 0x%x at 0x%llx; guest #GP handler ran: %s",
		       exit.ExitReason, (unsigned long long)exit.VpContext.Rip,
		       mem64(&vm, 0x5008) == 13 ? "yes" : "no");
	}
	EXPECT_EQ(13, exit.VpException.ExceptionType);
	EXPECT_EQ(1, (UINT32)exit.VpException.ExceptionInfo.ErrorCodeValid);
	EXPECT_EQ(0, exit.VpException.ErrorCode);
	EXPECT_EQ(LABEL_GPA(xsbad_start, xsbad_insn), exit.VpContext.Rip);
	EXPECT_EQ(3, exit.VpException.InstructionByteCount >= 3 ? 3 : 0);
	EXPECT_EQ(0x0f, exit.VpException.InstructionBytes[0]);
	EXPECT_EQ(0x01, exit.VpException.InstructionBytes[1]);
	EXPECT_EQ(0xd1, exit.VpException.InstructionBytes[2]);
	EXPECT_EQ(1, vm_get(&vm, 0, WHvX64RegisterXCr0));
	EXPECT_EQ(0, mem64(&vm, 0x5000));
	vm_destroy(&vm);
}

TEST(xsetbv_invalid_gp_in_guest)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	if (!host_has_xsave())
		SKIP(return, "no XSAVE");
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_long(&vm, 0, xsbad_start, xsbad_end);
	ASSERT_EQ(S_OK, vm_set_table(&vm, 0, WHvX64RegisterIdtr, IDT_BASE, 0xfff));
	set_gate(&vm, 13, LABEL_GPA(xsbad_start, xsbad_gp));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason) {
		TH_LOG("exit reason 0x%x at 0x%llx", exit.ExitReason,
		       (unsigned long long)exit.VpContext.Rip);
	}
	EXPECT_EQ(13, mem64(&vm, 0x5008));
	EXPECT_EQ(0, mem64(&vm, 0x5010));
	EXPECT_EQ(LABEL_GPA(xsbad_start, xsbad_insn), mem64(&vm, 0x5018));
	EXPECT_EQ(0, mem64(&vm, 0x5000));
	EXPECT_EQ(1, vm_get(&vm, 0, WHvX64RegisterXCr0));
	vm_destroy(&vm);
}

/*
 * WRMSR of a LSTAR canonical in neither 48 nor 57 bits (LA57): the kernel
 * refuses the value and the guest takes #GP(0) at the WRMSR (injected by
 * the kernel, unlike the XSETBV #GP above, which TCG raises itself).
 */
GUEST_CODE(badmsr, ".code64",
	"	mov $0xc0000082, %ecx\n	xor %eax, %eax\n	mov $0x01000000, %edx\n"
	".globl badmsr_insn\n"
	"badmsr_insn:\n"
	"	wrmsr\n"
	"	movq $0x5a, 0x5000\n"
	"	hlt\n"
	".globl badmsr_gp\n"
	"badmsr_gp:\n"
	"	pop %rax\n	mov %rax, 0x5010\n"	/* error code */
	"	pop %rax\n	mov %rax, 0x5018\n"	/* RIP */
	"	movq $13, 0x5008\n"
	"	hlt\n");
extern const uint8_t badmsr_insn[], badmsr_gp[];

TEST(wrmsr_invalid_value_exception_exit)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	ASSERT_EQ(S_OK, vm_create_with(&vm, 1, 1ULL << 2, 1ULL << 13));
	vm_load_long(&vm, 0, badmsr_start, badmsr_end);
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterLstar, 0xffffffff81000000ULL));
	ASSERT_EQ(S_OK, vm_set_table(&vm, 0, WHvX64RegisterIdtr, IDT_BASE, 0xfff));
	set_gate(&vm, 13, LABEL_GPA(badmsr_start, badmsr_gp));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	EXPECT_EQ(WHvRunVpExitReasonException, exit.ExitReason) {
		TH_LOG("exit reason 0x%x at 0x%llx; guest #GP handler ran: %s",
		       exit.ExitReason, (unsigned long long)exit.VpContext.Rip,
		       mem64(&vm, 0x5008) == 13 ? "yes" : "no");
	}
	if (exit.ExitReason == WHvRunVpExitReasonException) {
		EXPECT_EQ(13, exit.VpException.ExceptionType);
		EXPECT_EQ(1, (UINT32)exit.VpException.ExceptionInfo.ErrorCodeValid);
		EXPECT_EQ(0, exit.VpException.ErrorCode);
		EXPECT_EQ(LABEL_GPA(badmsr_start, badmsr_insn), exit.VpContext.Rip);
	}
	EXPECT_EQ(0xffffffff81000000ULL, vm_get(&vm, 0, WHvX64RegisterLstar));
	EXPECT_EQ(0, mem64(&vm, 0x5000));
	vm_destroy(&vm);
}

TEST(wrmsr_invalid_value_gp_in_guest)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_long(&vm, 0, badmsr_start, badmsr_end);
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterLstar, 0xffffffff81000000ULL));
	ASSERT_EQ(S_OK, vm_set_table(&vm, 0, WHvX64RegisterIdtr, IDT_BASE, 0xfff));
	set_gate(&vm, 13, LABEL_GPA(badmsr_start, badmsr_gp));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason) {
		TH_LOG("exit reason 0x%x at 0x%llx", exit.ExitReason,
		       (unsigned long long)exit.VpContext.Rip);
	}
	EXPECT_EQ(13, mem64(&vm, 0x5008));
	EXPECT_EQ(0, mem64(&vm, 0x5010));
	EXPECT_EQ(LABEL_GPA(badmsr_start, badmsr_insn), mem64(&vm, 0x5018));
	EXPECT_EQ(0, mem64(&vm, 0x5000));
	EXPECT_EQ(0xffffffff81000000ULL, vm_get(&vm, 0, WHvX64RegisterLstar));
	vm_destroy(&vm);
}

/* ---- debug registers ----------------------------------------------------------------------- */

GUEST_CODE(dregs, ".code64",
	"	mov %dr0, %rax\n	mov %rax, 0x5000\n"
	"	mov %dr1, %rbx\n	mov %rbx, 0x5008\n"
	"	mov %dr2, %r9\n		mov %r9, 0x5010\n"
	"	mov %dr3, %r15\n	mov %r15, 0x5018\n"
	"	mov %dr6, %rax\n	mov %rax, 0x5020\n"
	"	mov %dr7, %rax\n	mov %rax, 0x5028\n"
	"	movabs $0x0000000000401000, %rax\n	mov %rax, %dr0\n"
	"	movabs $0xffff800000001000, %rcx\n	mov %rcx, %dr1\n"
	"	movabs $0x00007ffffffff000, %r10\n	mov %r10, %dr2\n"
	"	movabs $0xfffffffffffffff8, %r13\n	mov %r13, %dr3\n"
	"	hlt\n");

TEST(debug_registers_guest)
{
	static const UINT64 before[4] = { 0x1000, 0xffffffff81000000ULL,
					  0x00007fff00001234ULL, 0x4000 };
	static const UINT64 after[4] = { 0x401000, 0xffff800000001000ULL,
					 0x00007ffffffff000ULL,
					 0xfffffffffffffff8ULL };
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	int i;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_long(&vm, 0, dregs_start, dregs_end);
	for (i = 0; i < 4; i++)
		ASSERT_EQ(S_OK, vm_set(&vm, 0, (WHV_REGISTER_NAME)(WHvX64RegisterDr0 + i),
				       before[i]));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason) {
		TH_LOG("exit reason 0x%x at 0x%llx", exit.ExitReason,
		       (unsigned long long)exit.VpContext.Rip);
	}
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(before[i], mem64(&vm, 0x5000 + 8 * i)) TH_LOG("DR%d", i);
		EXPECT_EQ(after[i],
			  vm_get(&vm, 0, (WHV_REGISTER_NAME)(WHvX64RegisterDr0 + i)))
			TH_LOG("DR%d", i);
	}
	EXPECT_EQ(0xffff0ff0, mem64(&vm, 0x5020));
	EXPECT_EQ(0x400, mem64(&vm, 0x5028));
	/* Registers the guest did not touch are intact. */
	EXPECT_EQ(0xffffffff81000000ULL, vm_get(&vm, 0, WHvX64RegisterRbx));
	EXPECT_EQ(0x00007fff00001234ULL, vm_get(&vm, 0, WHvX64RegisterR9));
	vm_destroy(&vm);
}

/* ---- TSC --------------------------------------------------------------------------------------- */

GUEST_CODE(tsc, ".code64",
	"	rdtsc\n	mov %eax, 0x5000\n	mov %edx, 0x5004\n"
	STORE_MSR(0x10, 0x5008)
	"	hlt\n"
	WRITE_MSR(0x10, 0, 0x100)
	"	rdtsc\n	mov %eax, 0x5010\n	mov %edx, 0x5014\n"
	"	hlt\n");

TEST(tsc_guest)
{
	const UINT64 t = 1ULL << 50, slack = 1ULL << 40;
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	UINT64 v;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_long(&vm, 0, tsc_start, tsc_end);
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterTsc, t));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_LE(t, mem64(&vm, 0x5000));
	EXPECT_GT(t + slack, mem64(&vm, 0x5000));
	EXPECT_LE(mem64(&vm, 0x5000), mem64(&vm, 0x5008));
	EXPECT_GT(t + slack, mem64(&vm, 0x5008));
	v = vm_get(&vm, 0, WHvX64RegisterTsc);
	EXPECT_LE(mem64(&vm, 0x5008), v);
	/* The guest writes 2^40 with WRMSR. */
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_LE(1ULL << 40, mem64(&vm, 0x5010));
	EXPECT_GT((1ULL << 40) + slack, mem64(&vm, 0x5010));
	v = vm_get(&vm, 0, WHvX64RegisterTsc);
	EXPECT_LE(mem64(&vm, 0x5010), v);
	EXPECT_GT((1ULL << 40) + slack, v);
	vm_destroy(&vm);
}

/* ---- interrupt shadow (optional: hard to catch) ------------------------------------------------- */

GUEST_CODE(shadow, ".code16",
	"	cli\n"
	"	sti\n"
	"	outb %al, $0x80\n"
	"	mov %ss, %ax\n"
	"	mov %ax, %ss\n"
	"	outb %al, $0x81\n"
	"	outb %al, $0x82\n"
	"	hlt\n");

TEST(interrupt_shadow)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	UINT16 port;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_real(&vm, 0, shadow_start, shadow_end);
	for (port = 0x80; port <= 0x82; port++) {
		UINT64 expect = port < 0x82;

		ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
		ASSERT_EQ(WHvRunVpExitReasonX64IoPortAccess, exit.ExitReason);
		ASSERT_EQ(port, exit.IoPortAccess.PortNumber);
		EXPECT_EQ(expect, (UINT64)exit.VpContext.ExecutionState.InterruptShadow)
			TH_LOG("port 0x%x", port);
		EXPECT_EQ(expect, vm_get(&vm, 0, WHvRegisterInterruptState) & 1)
			TH_LOG("port 0x%x", port);
		vm_skip(&vm, 0, &exit);
		/* Moving RIP completes the instruction: its shadow is gone. */
		EXPECT_EQ(0, vm_get(&vm, 0, WHvRegisterInterruptState) & 1);
	}
	vm_destroy(&vm);
}

/* An explicit InterruptState in the same call wins over the RIP rule, in either order. */
TEST(interrupt_shadow_set_with_rip)
{
	static const WHV_REGISTER_NAME state_first[2] = {
		WHvRegisterInterruptState, WHvX64RegisterRip };
	static const WHV_REGISTER_NAME rip_first[2] = {
		WHvX64RegisterRip, WHvRegisterInterruptState };
	WHV_REGISTER_VALUE vals[2];
	struct test_vm vm;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vals[0].Reg64 = 1;
	vals[1].Reg64 = 0x1000;
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorRegisters(vm.part, 0, state_first, 2, vals));
	EXPECT_EQ(1, vm_get(&vm, 0, WHvRegisterInterruptState) & 1);
	EXPECT_EQ(0x1000, vm_get(&vm, 0, WHvX64RegisterRip));
	/* Writing RIP to the value it already has keeps the shadow. */
	vm_set(&vm, 0, WHvX64RegisterRip, 0x1000);
	EXPECT_EQ(1, vm_get(&vm, 0, WHvRegisterInterruptState) & 1);
	vm_set(&vm, 0, WHvX64RegisterRip, 0x2000);
	EXPECT_EQ(0, vm_get(&vm, 0, WHvRegisterInterruptState) & 1);

	vals[0].Reg64 = 0x3000;
	vals[1].Reg64 = 1;
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorRegisters(vm.part, 0, rip_first, 2, vals));
	EXPECT_EQ(1, vm_get(&vm, 0, WHvRegisterInterruptState) & 1);
	EXPECT_EQ(0x3000, vm_get(&vm, 0, WHvX64RegisterRip));
	vm_destroy(&vm);
}

/* ---- registers around an exit (libwhv's cache) ---- */

GUEST_CODE(out_add, ".code16",
	"	outb %al, $0x80\n"
	"	add %ax, %bx\n"
	"	hlt\n");

/*
 * After an exit, gets come from what the run brought out and sets of GPRs,
 * RIP and RFLAGS wait for the next run: every call must still see exactly
 * what the kernel would, and reset or delete must drop what waits.
 */
TEST(registers_around_an_exit)
{
	static const WHV_REGISTER_NAME names[] = {
		WHvX64RegisterRax, WHvX64RegisterRip, WHvX64RegisterRflags,
		WHvX64RegisterCs, WHvX64RegisterCr0, WHvX64RegisterEfer,
	};
	/* CR2 is not among the registers a run brings out: the kernel's. */
	static const WHV_REGISTER_NAME cr0_cr2[] = {
		WHvX64RegisterCr0, WHvX64RegisterCr2 };
	static const WHV_REGISTER_NAME port_regs[] = {
		WHvX64RegisterRcx, WHvX64RegisterRsi, WHvX64RegisterRdi,
		WHvX64RegisterDs, WHvX64RegisterEs,
	};
	WHV_REGISTER_VALUE vals[ARRAY_SIZE(names)], kernel[2];
	WHV_REGISTER_VALUE port[ARRAY_SIZE(port_regs)];
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	UINT64 next;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_real(&vm, 0, out_add_start, out_add_end);
	vm_set(&vm, 0, WHvX64RegisterRax, 0x1111);
	vm_set(&vm, 0, WHvX64RegisterRsi, 0x5151);
	vm_set(&vm, 0, WHvX64RegisterRdi, 0xd1d1);
	vm_set_segment(&vm, 0, WHvX64RegisterDs, 0x123, 0x1230, 0xffff, 0x93);
	vm_set_segment(&vm, 0, WHvX64RegisterEs, 0x456, 0x4560, 0xffff, 0x93);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64IoPortAccess, exit.ExitReason);
	ASSERT_EQ(S_OK, WHvGetVirtualProcessorRegisters(vm.part, 0, names,
							ARRAY_SIZE(names), vals));
	EXPECT_EQ(0x1111, vals[0].Reg64);
	EXPECT_EQ(exit.VpContext.Rip, vals[1].Reg64);
	EXPECT_EQ(exit.VpContext.Rflags, vals[2].Reg64);
	EXPECT_EQ(exit.VpContext.Cs.Base, vals[3].Segment.Base);
	EXPECT_EQ(exit.VpContext.Cs.Selector, vals[3].Segment.Selector);
	EXPECT_EQ(exit.VpContext.Cs.Attributes, vals[3].Segment.Attributes);
	ASSERT_EQ(S_OK, WHvGetVirtualProcessorRegisters(vm.part, 0, cr0_cr2, 2,
							kernel));
	EXPECT_EQ(kernel[0].Reg64, vals[4].Reg64);
	EXPECT_EQ(0, vals[5].Reg64);
	/* The rest of what a port exit's context carries, from there. */
	vm_set(&vm, 0, WHvX64RegisterRcx, 0);	/* a set makes it cached */
	ASSERT_EQ(S_OK, WHvGetVirtualProcessorRegisters(vm.part, 0, port_regs,
							ARRAY_SIZE(port_regs),
							port));
	EXPECT_EQ(0, port[0].Reg64);
	EXPECT_EQ(0x5151, port[1].Reg64);
	EXPECT_EQ(exit.IoPortAccess.Rsi, port[1].Reg64);
	EXPECT_EQ(0xd1d1, port[2].Reg64);
	EXPECT_EQ(exit.IoPortAccess.Rdi, port[2].Reg64);
	EXPECT_EQ(0x1230, port[3].Segment.Base);
	EXPECT_EQ(0xffff, port[3].Segment.Limit);
	EXPECT_EQ(0x123, port[3].Segment.Selector);
	EXPECT_EQ(0x4560, port[4].Segment.Base);
	EXPECT_EQ(0x456, port[4].Segment.Selector);
	EXPECT_EQ(0x93, port[4].Segment.Attributes);

	/* Sets are seen at once, by gets and by the guest. */
	next = exit.VpContext.Rip + exit.VpContext.InstructionLength;
	vm_set(&vm, 0, WHvX64RegisterRip, next);
	vm_set(&vm, 0, WHvX64RegisterRax, 0x2222);
	vm_set(&vm, 0, WHvX64RegisterRbx, 0x0100);
	vm_set(&vm, 0, WHvX64RegisterRflags, 0x1);	/* bit 1 added */
	EXPECT_EQ(next, vm_get(&vm, 0, WHvX64RegisterRip));
	EXPECT_EQ(0x2222, vm_get(&vm, 0, WHvX64RegisterRax));
	EXPECT_EQ(0x3, vm_get(&vm, 0, WHvX64RegisterRflags));
	/* A refused value is refused now, with nothing applied. */
	EXPECT_EQ(E_INVALIDARG, vm_set(&vm, 0, WHvX64RegisterRflags, 0x8));
	EXPECT_EQ(0x3, vm_get(&vm, 0, WHvX64RegisterRflags));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(0x2322, vm_get(&vm, 0, WHvX64RegisterRbx));
	EXPECT_EQ(0x2222, vm_get(&vm, 0, WHvX64RegisterRax));

	/* What waits is dropped by a reset... */
	vm_set(&vm, 0, WHvX64RegisterRax, 0x3333);
	ASSERT_EQ(S_OK, WHvResetPartition(vm.part));
	EXPECT_EQ(0, vm_get(&vm, 0, WHvX64RegisterRax));
	EXPECT_EQ(0xfff0, vm_get(&vm, 0, WHvX64RegisterRip));
	/* ...and by deleting the VP. */
	vm_load_real(&vm, 0, out_add_start, out_add_end);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	vm_set(&vm, 0, WHvX64RegisterRax, 0x4444);
	ASSERT_EQ(S_OK, WHvDeleteVirtualProcessor(vm.part, 0));
	ASSERT_EQ(S_OK, WHvCreateVirtualProcessor(vm.part, 0, 0));
	EXPECT_EQ(0, vm_get(&vm, 0, WHvX64RegisterRax));
	vm_destroy(&vm);
}

/* ---- event injection ----------------------------------------------------------------------------- */

GUEST_CODE(inject, ".code64",
	"	outb %al, $0x81\n"
	"	hlt\n"
	".globl inject_gp\n"
	"inject_gp:\n"
	"	mov 0(%rsp), %rax\n	mov %rax, 0x5000\n"	/* error code */
	"	mov 8(%rsp), %rax\n	mov %rax, 0x5008\n"	/* RIP */
	"	mov 16(%rsp), %rax\n	mov %rax, 0x5010\n"	/* CS */
	"	movq $13, 0x5018\n"
	"	hlt\n"
	".globl inject_nmi\n"
	"inject_nmi:\n"
	"	mov 0(%rsp), %rax\n	mov %rax, 0x5020\n"	/* RIP */
	"	mov 8(%rsp), %rax\n	mov %rax, 0x5028\n"	/* CS */
	"	movq $2, 0x5030\n"
	"	hlt\n"
	"	iretq\n");
extern const uint8_t inject_gp[], inject_nmi[];

static void inject_setup(struct __test_metadata *_metadata, struct test_vm *vm)
{
	ASSERT_EQ(S_OK, vm_create(vm, 1));
	vm_load_long(vm, 0, inject_start, inject_end);
	ASSERT_EQ(S_OK, vm_set_table(vm, 0, WHvX64RegisterIdtr, IDT_BASE, 0xfff));
	set_gate(vm, 13, LABEL_GPA(inject_start, inject_gp));
	set_gate(vm, 2, LABEL_GPA(inject_start, inject_nmi));
}

/* PendingInterruption: #GP with error code 0x1234 (inject_gp records it). */
static UINT64 pending_gp_1234(void)
{
	WHV_X64_PENDING_INTERRUPTION_REGISTER pi;

	pi.AsUINT64 = 0;
	pi.InterruptionPending = 1;
	pi.InterruptionType = WHvX64PendingException;
	pi.DeliverErrorCode = 1;
	pi.InterruptionVector = 13;
	pi.ErrorCode = 0x1234;
	return pi.AsUINT64;
}

TEST(inject_gp_with_error_code)
{
	WHV_X64_PENDING_INTERRUPTION_REGISTER pi;
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	inject_setup(_metadata, &vm);
	pi.AsUINT64 = pending_gp_1234();
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvRegisterPendingInterruption, pi.AsUINT64));
	EXPECT_EQ(pi.AsUINT64, vm_get(&vm, 0, WHvRegisterPendingInterruption));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	/* Delivered before the first instruction: no OUT, the handler's HLT. */
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason) {
		TH_LOG("exit reason 0x%x at 0x%llx", exit.ExitReason,
		       (unsigned long long)exit.VpContext.Rip);
	}
	EXPECT_EQ(13, mem64(&vm, 0x5018));
	EXPECT_EQ(0x1234, mem64(&vm, 0x5000));
	EXPECT_EQ(GUEST_LOAD, mem64(&vm, 0x5008));
	EXPECT_EQ(0x08, mem64(&vm, 0x5010));
	EXPECT_EQ(0, vm_get(&vm, 0, WHvRegisterPendingInterruption));
	EXPECT_EQ(0, (UINT32)exit.VpContext.ExecutionState.InterruptionPending);
	vm_destroy(&vm);
}

/* The VMM's fix for an IDT in unmapped memory: a copy of it mapped at @gpa. */
static uint8_t *map_idt_copy(struct test_vm *vm, UINT64 gpa)
{
	uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		return NULL;
	memcpy(page, vm->mem + IDT_BASE, 4096);
	if (FAILED(WHvMapGpaRange(vm->part, page, gpa, 4096, WHvMapGpaRangeFlagRead))) {
		munmap(page, 4096);
		return NULL;
	}
	return page;
}

/*
 * An event whose delivery is cut short by an exit (here: the IDT is in
 * unmapped memory) stays pending and is delivered once the VMM fixes it.
 */
TEST(inject_cut_short_is_redelivered)
{
	WHV_X64_PENDING_INTERRUPTION_REGISTER pi;
	WHV_RUN_VP_EXIT_CONTEXT exit;
	const UINT64 idt = 0x400000;	/* beyond guest RAM, identity-mapped */
	struct test_vm vm;
	uint8_t *page;

	inject_setup(_metadata, &vm);
	ASSERT_EQ(S_OK, vm_set_table(&vm, 0, WHvX64RegisterIdtr, idt, 0xfff));
	pi.AsUINT64 = pending_gp_1234();
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvRegisterPendingInterruption, pi.AsUINT64));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonMemoryAccess, exit.ExitReason);
	EXPECT_EQ(idt + 13 * 16, exit.MemoryAccess.Gpa & ~7ULL);
	EXPECT_EQ(GUEST_LOAD, exit.VpContext.Rip);
	EXPECT_EQ(1, (UINT32)exit.VpContext.ExecutionState.InterruptionPending);
	EXPECT_EQ(pi.AsUINT64, vm_get(&vm, 0, WHvRegisterPendingInterruption));
	/* The VMM puts the IDT there; the same #GP arrives, once. */
	page = map_idt_copy(&vm, idt);
	ASSERT_NE(NULL, page);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason) {
		TH_LOG("exit reason 0x%x at 0x%llx", exit.ExitReason,
		       (unsigned long long)exit.VpContext.Rip);
	}
	EXPECT_EQ(13, mem64(&vm, 0x5018));
	EXPECT_EQ(0x1234, mem64(&vm, 0x5000));
	EXPECT_EQ(GUEST_LOAD, mem64(&vm, 0x5008));
	EXPECT_EQ(0, vm_get(&vm, 0, WHvRegisterPendingInterruption));
	vm_destroy(&vm);
	munmap(page, 4096);
}

/* The same for an exception the guest raises itself (#UD from UD2). */
GUEST_CODE(vect, ".code64",
	"	ud2\n"
	"	hlt\n"
	".globl vect_ud\n"
	"vect_ud:\n"
	"	mov 0(%rsp), %rax\n	mov %rax, 0x5040\n"
	"	movq $6, 0x5048\n"
	"	hlt\n");
extern const uint8_t vect_ud[];

TEST(guest_exception_cut_short_is_redelivered)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	const UINT64 idt = 0x400000;
	struct test_vm vm;
	uint8_t *page;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_long(&vm, 0, vect_start, vect_end);
	set_gate(&vm, 6, LABEL_GPA(vect_start, vect_ud));
	ASSERT_EQ(S_OK, vm_set_table(&vm, 0, WHvX64RegisterIdtr, idt, 0xfff));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonMemoryAccess, exit.ExitReason);
	EXPECT_EQ(idt + 6 * 16, exit.MemoryAccess.Gpa & ~7ULL);
	EXPECT_EQ(1, (UINT32)exit.VpContext.ExecutionState.InterruptionPending);
	page = map_idt_copy(&vm, idt);
	ASSERT_NE(NULL, page);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(6, mem64(&vm, 0x5048));
	EXPECT_EQ(GUEST_LOAD, mem64(&vm, 0x5040));	/* #UD is a fault: RIP of UD2 */
	vm_destroy(&vm);
	munmap(page, 4096);
}

/* And in real mode, where a #GP has no error code: IVT in unmapped memory. */
GUEST_CODE(vect16, ".code16",
	".globl vect16_fault\n"
	"vect16_fault:\n"
	"	int $0xc0\n"		/* beyond the IVT limit: #GP */
	"	hlt\n"
	".globl vect16_gp\n"
	"vect16_gp:\n"
	"	mov %sp, %bp\n	mov 0(%bp), %ax\n	mov %ax, 0x5040\n"
	"	movw $13, 0x5048\n"
	"	hlt\n");
extern const uint8_t vect16_gp[], vect16_fault[];

TEST(real_mode_exception_cut_short_is_redelivered)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	const UINT64 ivt = 0x400000;
	struct test_vm vm;
	uint8_t *page;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_real(&vm, 0, vect16_start, vect16_end);
	ASSERT_EQ(S_OK, vm_set_table(&vm, 0, WHvX64RegisterIdtr, ivt, 0x1ff));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonMemoryAccess, exit.ExitReason) {
		TH_LOG("exit reason 0x%x at 0x%llx", exit.ExitReason,
		       (unsigned long long)exit.VpContext.Rip);
	}
	EXPECT_EQ(ivt + 13 * 4, exit.MemoryAccess.Gpa & ~3ULL);
	/* The VMM maps an IVT whose #GP vector (0000:offset) is the handler. */
	((UINT32 *)(vm.mem + IDT_BASE))[13] = (UINT32)LABEL_GPA(vect16_start, vect16_gp);
	page = map_idt_copy(&vm, ivt);
	ASSERT_NE(NULL, page);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason) {
		TH_LOG("exit reason 0x%x at 0x%llx", exit.ExitReason,
		       (unsigned long long)exit.VpContext.Rip);
	}
	EXPECT_EQ(13, (UINT16)mem64(&vm, 0x5048));
	/* No error code pushed: the frame starts with the faulting IP. */
	EXPECT_EQ(LABEL_GPA(vect16_start, vect16_fault), (UINT16)mem64(&vm, 0x5040));
	vm_destroy(&vm);
	munmap(page, 4096);
}

TEST(inject_nmi_vector2)
{
	WHV_X64_PENDING_INTERRUPTION_REGISTER pi;
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	inject_setup(_metadata, &vm);
	pi.AsUINT64 = 0;
	pi.InterruptionPending = 1;
	pi.InterruptionType = WHvX64PendingNmi;
	pi.InterruptionVector = 2;
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvRegisterPendingInterruption, pi.AsUINT64));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason) {
		TH_LOG("exit reason 0x%x at 0x%llx", exit.ExitReason,
		       (unsigned long long)exit.VpContext.Rip);
	}
	EXPECT_EQ(2, mem64(&vm, 0x5030));
	EXPECT_EQ(GUEST_LOAD, mem64(&vm, 0x5020));
	EXPECT_EQ(0x08, mem64(&vm, 0x5028));
	EXPECT_EQ(0, vm_get(&vm, 0, WHvRegisterPendingInterruption));
	/* IRETQ back to the interrupted code, which now runs. */
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64IoPortAccess, exit.ExitReason);
	EXPECT_EQ(0x81, exit.IoPortAccess.PortNumber);
	EXPECT_EQ(GUEST_LOAD, exit.VpContext.Rip);
	vm_destroy(&vm);
}

/* In the NMI handler (before its IRET) NMIs are blocked; after it, not. */
TEST(nmi_masked_while_in_handler)
{
	WHV_X64_PENDING_INTERRUPTION_REGISTER pi;
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	inject_setup(_metadata, &vm);
	pi.AsUINT64 = 0;
	pi.InterruptionPending = 1;
	pi.InterruptionType = WHvX64PendingNmi;
	pi.InterruptionVector = 2;
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvRegisterPendingInterruption, pi.AsUINT64));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(2, mem64(&vm, 0x5030));
	EXPECT_EQ(2, vm_get(&vm, 0, WHvRegisterInterruptState) & 2);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64IoPortAccess, exit.ExitReason);
	EXPECT_EQ(0, vm_get(&vm, 0, WHvRegisterInterruptState) & 2);
	vm_destroy(&vm);
}

/*
 * NmiNotification while the guest is in its NMI handler: the NMI window
 * opens only with the handler's IRET, so the exit comes after it.
 */
TEST(nmi_window_waits_for_iret)
{
	WHV_X64_PENDING_INTERRUPTION_REGISTER pi;
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	inject_setup(_metadata, &vm);
	pi.AsUINT64 = 0;
	pi.InterruptionPending = 1;
	pi.InterruptionType = WHvX64PendingNmi;
	pi.InterruptionVector = 2;
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvRegisterPendingInterruption, pi.AsUINT64));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(2, mem64(&vm, 0x5030));
	/* In the handler, just before its IRETQ. */
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterDeliverabilityNotifications, 1));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64InterruptWindow, exit.ExitReason) {
		TH_LOG("exit reason 0x%x at 0x%llx, parameter 0x%llx", exit.ExitReason,
		       (unsigned long long)exit.VpContext.Rip,
		       (unsigned long long)exit.UnsupportedFeature.FeatureParameter);
	}
	EXPECT_EQ(WHvX64PendingNmi, exit.InterruptWindow.DeliverableType);
	EXPECT_EQ(GUEST_LOAD, exit.VpContext.Rip) {
		TH_LOG("NMI window reported at 0x%llx, inside the NMI handler",
		       (unsigned long long)exit.VpContext.Rip);
	}
	EXPECT_EQ(0, vm_get(&vm, 0, WHvX64RegisterDeliverabilityNotifications) & 1);
	vm_destroy(&vm);
}

TEST_HARNESS_MAIN
