// SPDX-License-Identifier: GPL-2.0
/*
 * WHvGet/SetVirtualProcessorXsaveState and WHvGet/SetVirtualProcessorState
 * (XsaveState): the standard-format XSAVE area, its size, round trips that
 * agree with the register API and with the guest's own XMM/YMM registers,
 * and the inputs that are refused (leaving the state as it was).
 */
#include <cpuid.h>
#include <stdlib.h>
#include <string.h>
#include "kselftest_harness.h"
#include "guest.h"

#define XSAVE_XMM0	160
#define XSAVE_MXCSR	24
#define XSAVE_BV	512
#define XSAVE_XCOMP	520
#define XSAVE_MIN	576
#define RESULT		0x6000

#define CR4_LONG	(0x20 | 0x200)	/* PAE, OSFXSR: what vm_load_long sets */
#define CR4_OSXSAVE	(1u << 18)

/* Store YMM7 at RESULT, load YMM8 from RESULT + 32, HLT. */
GUEST_CODE(ymm_guest, ".code64",
	"	vmovdqu %ymm7, 0x6000\n"
	"	vmovdqu 0x6020, %ymm8\n"
	"	hlt\n");

/* Offset of XSAVE component 2 (AVX) in the standard format, 0 if none. */
static unsigned int avx_offset(void)
{
	unsigned int a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & (1u << 28)) ||
	    !(c & (1u << 27)))
		return 0;
	__cpuid_count(0xd, 0, a, b, c, d);
	if (!(a & 4))
		return 0;
	__cpuid_count(0xd, 2, a, b, c, d);
	return b;
}

static UINT32 xsave_size(struct __test_metadata *_metadata, struct test_vm *vm)
{
	UINT32 need = 0;

	EXPECT_EQ(WHV_E_INSUFFICIENT_BUFFER,
		  WHvGetVirtualProcessorXsaveState(vm->part, 0, NULL, 0, &need));
	return need;
}

static UINT8 *get_area(struct __test_metadata *_metadata, struct test_vm *vm,
		       UINT32 size)
{
	UINT8 *buf = calloc(1, size);
	UINT32 written = 0;

	EXPECT_EQ(S_OK, WHvGetVirtualProcessorXsaveState(vm->part, 0, buf, size,
							 &written));
	EXPECT_EQ(size, written);
	return buf;
}

static UINT64 rd64(const UINT8 *p, unsigned int off)
{
	UINT64 v;

	memcpy(&v, p + off, 8);
	return v;
}

static void wr64(UINT8 *p, unsigned int off, UINT64 v)
{
	memcpy(p + off, &v, 8);
}

TEST(size_and_small_buffers)
{
	struct test_vm vm;
	UINT32 need, written;
	UINT8 *buf;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	need = xsave_size(_metadata, &vm);
	EXPECT_GE(need, XSAVE_MIN);
	buf = calloc(1, need + 64);
	written = 0;
	EXPECT_EQ(WHV_E_INSUFFICIENT_BUFFER,
		  WHvGetVirtualProcessorXsaveState(vm.part, 0, buf, need - 1,
						   &written));
	EXPECT_EQ(need, written);
	written = 0;
	EXPECT_EQ(WHV_E_INSUFFICIENT_BUFFER,
		  WHvGetVirtualProcessorState(vm.part, 0,
			WHvVirtualProcessorStateTypeXsaveState, NULL, 0, &written));
	EXPECT_EQ(need, written);
	/* A bigger buffer is fine: the area's size is written. */
	EXPECT_EQ(S_OK, WHvGetVirtualProcessorXsaveState(vm.part, 0, buf,
							 need + 64, &written));
	EXPECT_EQ(need, written);
	EXPECT_EQ(E_POINTER, WHvGetVirtualProcessorXsaveState(vm.part, 0, buf,
							      need, NULL));
	EXPECT_EQ(E_POINTER, WHvGetVirtualProcessorXsaveState(vm.part, 0, NULL,
							      need, &written));
	EXPECT_EQ(E_POINTER, WHvSetVirtualProcessorXsaveState(vm.part, 0, NULL,
							      need));
	EXPECT_EQ(WHV_E_VP_DOES_NOT_EXIST,
		  WHvGetVirtualProcessorXsaveState(vm.part, 5, buf, need,
						   &written));
	EXPECT_EQ(WHV_E_VP_DOES_NOT_EXIST,
		  WHvSetVirtualProcessorXsaveState(vm.part, 5, buf, need));
	EXPECT_EQ(E_HANDLE, WHvGetVirtualProcessorXsaveState(NULL, 0, buf, need,
							     &written));
	/* State types that are not here. */
	EXPECT_EQ(E_INVALIDARG, WHvGetVirtualProcessorState(vm.part, 0,
		  WHvVirtualProcessorStateTypeNestedState, buf, need, &written));
	EXPECT_EQ(E_INVALIDARG, WHvSetVirtualProcessorState(vm.part, 0,
		  WHvVirtualProcessorStateTypeSynicMessagePage, buf, need));
	EXPECT_EQ(E_INVALIDARG, WHvGetVirtualProcessorState(vm.part, 0,
		  (WHV_VIRTUAL_PROCESSOR_STATE_TYPE)0x1234, buf, need, &written));
	free(buf);
	vm_destroy(&vm);
}

TEST(round_trip_agrees_with_registers)
{
	WHV_REGISTER_NAME names[2] = { WHvX64RegisterXmm3, WHvX64RegisterXmm7 };
	WHV_REGISTER_VALUE vals[2];
	struct test_vm vm;
	UINT8 *a, *b;
	UINT32 need, written;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	need = xsave_size(_metadata, &vm);
	/* Fresh VP: nothing in use. */
	a = get_area(_metadata, &vm, need);
	EXPECT_EQ(0, rd64(a, XSAVE_BV) & 3);
	EXPECT_EQ(0, rd64(a, XSAVE_XCOMP));
	EXPECT_EQ(0x1f80, rd64(a, XSAVE_MXCSR) & 0xffffffff);
	free(a);

	vals[0].Reg128.Low64 = 0x1111222233334444ULL;
	vals[0].Reg128.High64 = 0x5555666677778888ULL;
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorRegisters(vm.part, 0, names, 1,
							vals));
	a = get_area(_metadata, &vm, need);
	EXPECT_EQ(2, rd64(a, XSAVE_BV) & 2);
	EXPECT_EQ(vals[0].Reg128.Low64, rd64(a, XSAVE_XMM0 + 3 * 16));
	EXPECT_EQ(vals[0].Reg128.High64, rd64(a, XSAVE_XMM0 + 3 * 16 + 8));

	/* XMM7 through the area; the register API sees it. */
	wr64(a, XSAVE_XMM0 + 7 * 16, 0xaaaabbbbccccddddULL);
	wr64(a, XSAVE_XMM0 + 7 * 16 + 8, 0xeeeeffff00001111ULL);
	wr64(a, XSAVE_MXCSR, 0x3f80 | (rd64(a, XSAVE_MXCSR) & ~0xffffffffULL));
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorXsaveState(vm.part, 0, a, need));
	ASSERT_EQ(S_OK, WHvGetVirtualProcessorRegisters(vm.part, 0, names, 2,
							vals));
	EXPECT_EQ(0x1111222233334444ULL, vals[0].Reg128.Low64);
	EXPECT_EQ(0xaaaabbbbccccddddULL, vals[1].Reg128.Low64);
	EXPECT_EQ(0xeeeeffff00001111ULL, vals[1].Reg128.High64);
	names[0] = WHvX64RegisterXmmControlStatus;
	ASSERT_EQ(S_OK, WHvGetVirtualProcessorRegisters(vm.part, 0, names, 1,
							vals));
	EXPECT_EQ(0x3f80, vals[0].Reg128.High64 & 0xffffffff);
	names[0] = WHvX64RegisterXmm3;

	/* And the same area comes back, through either call. */
	b = calloc(1, need);
	ASSERT_EQ(S_OK, WHvGetVirtualProcessorState(vm.part, 0,
		  WHvVirtualProcessorStateTypeXsaveState, b, need, &written));
	EXPECT_EQ(need, written);
	EXPECT_EQ(0, memcmp(a + XSAVE_XMM0, b + XSAVE_XMM0, 16 * 16));
	EXPECT_EQ(rd64(a, XSAVE_MXCSR) & 0xffffffff, rd64(b, XSAVE_MXCSR) & 0xffffffff);
	/* SetVirtualProcessorState with the XSAVE type is the same call. */
	wr64(b, XSAVE_XMM0 + 7 * 16, 42);
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorState(vm.part, 0,
		  WHvVirtualProcessorStateTypeXsaveState, b, need));
	ASSERT_EQ(S_OK, WHvGetVirtualProcessorRegisters(vm.part, 0, &names[1], 1,
							vals));
	EXPECT_EQ(42, vals[0].Reg128.Low64);
	free(a);
	free(b);
	vm_destroy(&vm);
}

/* YMM state set through the area is the guest's; the guest's comes back. */
TEST(ymm_seen_by_guest)
{
	unsigned int avx = avx_offset();
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	UINT32 need;
	UINT8 *a;

	if (!avx)
		SKIP(return, "no AVX");
	if (host_is_bochs())
		SKIP(return, "Bochs: the host kernel's own XSAVES loses YMM state");
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_long(&vm, 0, ymm_guest_start, ymm_guest_end);
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterCr4, CR4_LONG | CR4_OSXSAVE));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterXCr0, 7));
	need = xsave_size(_metadata, &vm);
	ASSERT_GE(need, avx + 256);
	a = get_area(_metadata, &vm, need);
	wr64(a, XSAVE_XMM0 + 7 * 16, 0x0101010101010101ULL);
	wr64(a, XSAVE_XMM0 + 7 * 16 + 8, 0x0202020202020202ULL);
	wr64(a, avx + 7 * 16, 0x0303030303030303ULL);
	wr64(a, avx + 7 * 16 + 8, 0x0404040404040404ULL);
	wr64(a, XSAVE_BV, rd64(a, XSAVE_BV) | 7);
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorXsaveState(vm.part, 0, a, need));
	wr64(vm.mem, RESULT + 32, 0x0505050505050505ULL);
	wr64(vm.mem, RESULT + 40, 0x0606060606060606ULL);
	wr64(vm.mem, RESULT + 48, 0x0707070707070707ULL);
	wr64(vm.mem, RESULT + 56, 0x0808080808080808ULL);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(0x0101010101010101ULL, rd64(vm.mem, RESULT));
	EXPECT_EQ(0x0202020202020202ULL, rd64(vm.mem, RESULT + 8));
	EXPECT_EQ(0x0303030303030303ULL, rd64(vm.mem, RESULT + 16));
	EXPECT_EQ(0x0404040404040404ULL, rd64(vm.mem, RESULT + 24));
	free(a);
	a = get_area(_metadata, &vm, need);
	EXPECT_EQ(4, rd64(a, XSAVE_BV) & 4);
	EXPECT_EQ(0x0505050505050505ULL, rd64(a, XSAVE_XMM0 + 8 * 16));
	EXPECT_EQ(0x0606060606060606ULL, rd64(a, XSAVE_XMM0 + 8 * 16 + 8));
	EXPECT_EQ(0x0707070707070707ULL, rd64(a, avx + 8 * 16));
	EXPECT_EQ(0x0808080808080808ULL, rd64(a, avx + 8 * 16 + 8));
	free(a);
	vm_destroy(&vm);
}

/* Each refused with E_INVALIDARG, the VP's state untouched. */
TEST(bad_areas)
{
	unsigned int avx = avx_offset();
	struct test_vm vm;
	UINT8 *good, *bad, *after;
	UINT32 need;
	int i;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	need = xsave_size(_metadata, &vm);
	good = get_area(_metadata, &vm, need);
	wr64(good, XSAVE_XMM0, 0x1234);
	wr64(good, XSAVE_BV, rd64(good, XSAVE_BV) | 3);
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorXsaveState(vm.part, 0, good, need));
	bad = malloc(need);
	for (i = 0; i < 7; i++) {
		UINT32 size = need;

		memcpy(bad, good, need);
		wr64(bad, XSAVE_XMM0, 0x9999);
		switch (i) {
		case 0:		/* a feature nobody has */
			wr64(bad, XSAVE_BV, rd64(bad, XSAVE_BV) | (1ULL << 62));
			break;
		case 1:		/* compacted format */
			wr64(bad, XSAVE_XCOMP, (1ULL << 63) | 3);
			break;
		case 2:		/* a reserved header byte */
			bad[XSAVE_BV + 40] = 1;
			break;
		case 3:		/* a reserved MXCSR bit */
			wr64(bad, XSAVE_MXCSR, rd64(bad, XSAVE_MXCSR) | (1ULL << 31));
			break;
		case 4:		/* no room for the header */
			size = 100;
			break;
		case 5:		/* a supervisor feature (PT) */
			wr64(bad, XSAVE_BV, rd64(bad, XSAVE_BV) | (1ULL << 8));
			break;
		case 6:		/* AVX named, but the area ends before it */
			if (!avx)
				continue;
			wr64(bad, XSAVE_BV, rd64(bad, XSAVE_BV) | 4);
			size = avx;
			break;
		}
		EXPECT_EQ(E_INVALIDARG,
			  WHvSetVirtualProcessorXsaveState(vm.part, 0, bad, size))
			TH_LOG("case %d", i);
		after = get_area(_metadata, &vm, need);
		EXPECT_EQ(0x1234, rd64(after, XSAVE_XMM0)) TH_LOG("case %d", i);
		free(after);
	}
	free(bad);
	free(good);
	vm_destroy(&vm);
}

TEST_HARNESS_MAIN
