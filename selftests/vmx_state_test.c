// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VT-x: a VP state the CPU refuses at VM entry is an
 * InvalidVpRegisterValue exit naming the offending VMCS field (whv_ext.h),
 * and the VP runs again once the state is fixed. SVM's VMRUN accepts most
 * of these states and reports no detail, so this runs on Intel only.
 */
#include <string.h>
#include "kselftest_harness.h"
#include "guest.h"
#include "whv_ext.h"

GUEST_CODE(vs_halt, ".code16",
	"	hlt\n");

static bool on_intel(void)
{
	WHV_CAPABILITY cap;
	UINT32 n;

	memset(&cap, 0, sizeof(cap));
	return SUCCEEDED(WHvGetCapability(WHvCapabilityCodeProcessorVendor,
					  &cap, sizeof(cap), &n)) &&
	       cap.ProcessorVendor == WHvProcessorVendorIntel;
}

/* A one-VP partition halting at once; false (skip) if not on Intel. */
static bool vmx_vm(struct __test_metadata *_metadata, struct test_vm *vm)
{
	if (!on_intel())
		return false;
	EXPECT_EQ(S_OK, vm_create(vm, 1));
	vm_load_real(vm, 0, vs_halt_start, vs_halt_end);
	return true;
}

#define VMX_TEST(name)							\
	static void name##_body(struct __test_metadata *_metadata,	\
				struct test_vm *vm);			\
	TEST(name)							\
	{								\
		struct test_vm vm;					\
									\
		if (!vmx_vm(_metadata, &vm))				\
			SKIP(return, "Intel VT-x only");		\
		name##_body(_metadata, &vm);				\
		vm_destroy(&vm);					\
	}								\
	static void name##_body(struct __test_metadata *_metadata,	\
				struct test_vm *vm)

/* Run: refused, naming @field; restore the @n registers and run to the HLT. */
static void expect_refused_n(struct __test_metadata *_metadata,
			     struct test_vm *vm, const char *field,
			     const WHV_REGISTER_NAME *names,
			     const WHV_REGISTER_VALUE *good, UINT32 n)
{
	const WHV_X64_INVALID_VP_STATE_CONTEXT *why;
	WHV_RUN_VP_EXIT_CONTEXT exit;

	ASSERT_EQ(S_OK, vm_run(vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonInvalidVpRegisterValue, exit.ExitReason);
	why = WhvInvalidVpStateContext(&exit);
	EXPECT_STREQ(field, why->FieldName);
	EXPECT_NE(0, why->VmcsField);
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorRegisters(vm->part, 0, names, n,
							good));
	ASSERT_EQ(S_OK, vm_run(vm, 0, &exit));
	EXPECT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
}

static void expect_refused(struct __test_metadata *_metadata,
			   struct test_vm *vm, const char *field,
			   WHV_REGISTER_NAME name, const WHV_REGISTER_VALUE *good)
{
	expect_refused_n(_metadata, vm, field, &name, good, 1);
}

static void get_reg(struct test_vm *vm, WHV_REGISTER_NAME name,
		    WHV_REGISTER_VALUE *v)
{
	WHvGetVirtualProcessorRegisters(vm->part, 0, &name, 1, v);
}

/* Change a segment's attributes, expect @field named, then put them back. */
static void bad_segment(struct __test_metadata *_metadata, struct test_vm *vm,
			WHV_REGISTER_NAME seg, UINT16 attr, UINT32 limit,
			const char *field)
{
	WHV_REGISTER_VALUE good, bad;

	get_reg(vm, seg, &good);
	bad = good;
	bad.Segment.Attributes = attr;
	bad.Segment.Limit = limit;
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorRegisters(vm->part, 0, &seg, 1,
							&bad));
	expect_refused(_metadata, vm, field, seg, &good);
}

VMX_TEST(cs_not_code)
{
	bad_segment(_metadata, vm, WHvX64RegisterCs, 0x91, 0xffff,
		    "GUEST_CS_AR_BYTES");
}

VMX_TEST(tr_not_busy_tss)
{
	bad_segment(_metadata, vm, WHvX64RegisterTr, 0x89, 0xffff,
		    "GUEST_TR_AR_BYTES");
}

VMX_TEST(ds_limit_granularity)
{
	/* G=1 needs limit bits 11:0 all set. */
	bad_segment(_metadata, vm, WHvX64RegisterDs, 0x8093, 0xffff000,
		    "GUEST_DS_AR_BYTES");
}

VMX_TEST(long_mode_without_pae)
{
	WHV_REGISTER_NAME names[] = { WHvX64RegisterEfer, WHvX64RegisterCr0 };
	WHV_REGISTER_VALUE v[2], good[2];

	ASSERT_EQ(S_OK, WHvGetVirtualProcessorRegisters(vm->part, 0,
							names, 2, good));
	memset(v, 0, sizeof(v));
	v[0].Reg64 = 0x100;		/* LME, not LMA */
	v[1].Reg64 = 0x80000011;	/* PG, ET, PE */
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorRegisters(vm->part, 0,
							names, 2, v));
	expect_refused_n(_metadata, vm, "GUEST_IA32_EFER", names, good, 2);
}

VMX_TEST(rip_above_4g_outside_long_mode)
{
	WHV_REGISTER_VALUE good;

	get_reg(vm, WHvX64RegisterRip, &good);
	vm_set(vm, 0, WHvX64RegisterRip, 0x100001000ULL);
	expect_refused(_metadata, vm, "GUEST_RIP", WHvX64RegisterRip,
		       &good);
}

VMX_TEST(interrupt_injected_with_if_clear)
{
	WHV_REGISTER_VALUE pending, none;

	memset(&pending, 0, sizeof(pending));
	pending.PendingInterruption.InterruptionPending = 1;
	pending.PendingInterruption.InterruptionType = 0;
	pending.PendingInterruption.InterruptionVector = 0x30;
	vm_set(vm, 0, WHvX64RegisterRflags, 0x2);	/* IF=0 */
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorRegisters(vm->part, 0,
		  &(WHV_REGISTER_NAME){ WHvRegisterPendingInterruption }, 1,
		  &pending));
	memset(&none, 0, sizeof(none));
	expect_refused(_metadata, vm, "VM_ENTRY_INTR_INFO_FIELD",
		       WHvRegisterPendingInterruption, &none);
}

TEST_HARNESS_MAIN
