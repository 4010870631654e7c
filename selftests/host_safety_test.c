// SPDX-License-Identifier: GPL-2.0
/*
 * Intercepts taken for the host's sake stay invisible to the guest: #DB is
 * always intercepted yet reaches the guest (or userspace, when asked),
 * guest hardware breakpoints use the guest's DR0-3, WBINVD completes
 * without flushing the host, RDPMC cannot read the host's counters.
 */
#include "kselftest_harness.h"
#include "guest.h"

#define EXT_EXCEPTION	(1ULL << 2)	/* ExtendedVmExits.ExceptionExit */

/* Point IVT vector n (real mode) at a label. */
#define SET_IVT(name, n, label)						\
	"	movw $" GUEST_ADDR(name, label) ", " #n "*4\n"		\
	"	movw $0, " #n "*4+2\n"

GUEST_CODE(single_step, ".code16",
	SET_IVT(single_step, 1, "3f")
	"	pushf\n"
	"	pop %ax\n"
	"	or $0x100, %ax\n"
	"	push %ax\n"
	"	popf\n"			/* TF: trap after the next instruction */
	"	nop\n"
	"1:	mov $0x11, %bx\n"
	"	hlt\n"
	"3:	mov $0xdb, %bx\n"
	"	hlt\n");

GUEST_CODE(hw_break, ".code16",
	SET_IVT(hw_break, 1, "3f")
	"	mov $" GUEST_ADDR(hw_break, "2f") ", %eax\n"
	"	mov %eax, %dr0\n"
	"	mov $0x1, %eax\n"	/* L0, execute, 1 byte */
	"	mov %eax, %dr7\n"
	"	nop\n"
	"2:	mov $0x22, %bx\n"
	"	hlt\n"
	"3:	mov %dr6, %eax\n"
	"	mov $0xbb, %bx\n"
	"	hlt\n");

GUEST_CODE(wbinvd_guest, ".code16",
	"	wbinvd\n"
	"	mov $0x33, %bx\n"
	"	hlt\n");

GUEST_CODE(rdpmc_guest, ".code16",
	SET_IVT(rdpmc_guest, 13, "3f")
	"	xor %ecx, %ecx\n"
	"	rdpmc\n"
	"	mov $0x44, %bx\n"
	"	hlt\n"
	"3:	mov $0x0d, %bx\n"
	"	hlt\n");

static void run_expect_halt(struct __test_metadata *_metadata,
			    struct test_vm *vm, UINT64 bx)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;

	ASSERT_EQ(S_OK, vm_run(vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(bx, vm_get(vm, 0, WHvX64RegisterRbx) & 0xffff);
}

TEST(single_step_db_reaches_guest)
{
	struct test_vm vm;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_real(&vm, 0, single_step_start, single_step_end);
	run_expect_halt(_metadata, &vm, 0xdb);
	vm_destroy(&vm);
}

TEST(single_step_db_exits_when_asked)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	ASSERT_EQ(S_OK, vm_create_with(&vm, 1, EXT_EXCEPTION,
				       1ULL << 1));
	vm_load_real(&vm, 0, single_step_start, single_step_end);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonException, exit.ExitReason);
	EXPECT_EQ(1, exit.VpException.ExceptionType);
	/* A trap: RIP is past the single-stepped NOP. */
	EXPECT_EQ(0, memcmp(exit.VpException.InstructionBytes,
			    "\xbb\x11\x00", 3));
	vm_destroy(&vm);
}

TEST(guest_breakpoint_uses_guest_dr0)
{
	WHV_REGISTER_NAME names[] = { WHvX64RegisterDr0, WHvX64RegisterDr7 };
	WHV_REGISTER_VALUE v[2];
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	UINT64 target, bx;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_real(&vm, 0, hw_break_start, hw_break_end);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	/* The guest's MOVs to DR0 and DR7 landed where the API sees them. */
	ASSERT_EQ(S_OK, WHvGetVirtualProcessorRegisters(vm.part, 0, names, 2, v));
	target = v[0].Reg64;
	EXPECT_GT(target, GUEST_LOAD);
	EXPECT_LT(target, GUEST_LOAD + (hw_break_end - hw_break_start));
	EXPECT_EQ(0x401, v[1].Reg64);
	bx = vm_get(&vm, 0, WHvX64RegisterRbx) & 0xffff;
	/* QEMU before 9.1 does not arm breakpoints from the VMCB's DR7. */
	if (bx == 0x22 && host_is_tcg()) {
		vm_destroy(&vm);
		SKIP(return, "TCG's VMRUN does not arm DR7 breakpoints");
	}
	EXPECT_EQ(0xbb, bx);
	/* DR6.B0 told the handler which breakpoint hit. */
	EXPECT_EQ(1, vm_get(&vm, 0, WHvX64RegisterRax) & 1);
	vm_destroy(&vm);
}

TEST(wbinvd_completes_silently)
{
	struct test_vm vm;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_real(&vm, 0, wbinvd_guest_start, wbinvd_guest_end);
	run_expect_halt(_metadata, &vm, 0x33);
	vm_destroy(&vm);
}

TEST(rdpmc_raises_gp)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_real(&vm, 0, rdpmc_guest_start, rdpmc_guest_end);
	run_expect_halt(_metadata, &vm, 0x0d);
	vm_destroy(&vm);

	ASSERT_EQ(S_OK, vm_create_with(&vm, 1, EXT_EXCEPTION,
				       1ULL << 13));
	vm_load_real(&vm, 0, rdpmc_guest_start, rdpmc_guest_end);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonException, exit.ExitReason);
	EXPECT_EQ(13, exit.VpException.ExceptionType);
	EXPECT_EQ(0, memcmp(exit.VpException.InstructionBytes, "\x0f\x33", 2));
	vm_destroy(&vm);
}

TEST_HARNESS_MAIN
