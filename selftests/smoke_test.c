// SPDX-License-Identifier: GPL-2.0
/* The shortest path through everything: a real-mode guest says hello. */
#include <string.h>
#include "kselftest_harness.h"
#include "guest.h"

GUEST_CODE(hello, ".code16",
	"	mov $" GUEST_ADDR(hello, "1f") ", %si\n"
	"	mov $0xe9, %dx\n"
	"	mov $5, %cx\n"
	"	rep outsb\n"
	"	hlt\n"
	"1:	.ascii \"hello\"\n");

TEST(real_mode_hello)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	char out[16] = "";
	int i;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_real(&vm, 0, hello_start, hello_end);
	/* rep outsb: one exit per byte, RCX counting down */
	for (i = 0; i < 5; i++) {
		ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
		ASSERT_EQ(WHvRunVpExitReasonX64IoPortAccess, exit.ExitReason);
		ASSERT_EQ(0xe9, exit.IoPortAccess.PortNumber);
		ASSERT_EQ(1, (UINT32)exit.IoPortAccess.AccessInfo.StringOp);
		ASSERT_EQ(1, (UINT32)exit.IoPortAccess.AccessInfo.RepPrefix);
		ASSERT_EQ(5 - i, exit.IoPortAccess.Rcx);
		out[i] = vm.mem[exit.IoPortAccess.Rsi];
		/* The VMM emulates one iteration of the string op. */
		vm_set(&vm, 0, WHvX64RegisterRsi, exit.IoPortAccess.Rsi + 1);
		vm_set(&vm, 0, WHvX64RegisterRcx, exit.IoPortAccess.Rcx - 1);
		if (exit.IoPortAccess.Rcx == 1)
			vm_skip(&vm, 0, &exit);
	}
	EXPECT_STREQ("hello", out);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	EXPECT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	vm_destroy(&vm);
}

/* Capabilities a VMM reads before building a VM, checked against the CPU. */
TEST(capabilities)
{
	unsigned int a = 0x80000008, b, c = 0, d;
	WHV_CAPABILITY cap;
	UINT32 written;

	asm volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	memset(&cap, 0, sizeof(cap));
	ASSERT_EQ(S_OK, WHvGetCapability(WHvCapabilityCodePhysicalAddressWidth,
					 &cap, sizeof(cap), &written));
	EXPECT_EQ(4, written);
	EXPECT_EQ((a & 0xff) < 48 ? (a & 0xff) : 48, cap.PhysicalAddressWidth);
	memset(&cap, 0, sizeof(cap));
	ASSERT_EQ(S_OK, WHvGetCapability(WHvCapabilityCodeProcessorClockFrequency,
					 &cap, sizeof(cap), &written));
	EXPECT_EQ(8, written);
	/* The TSC of any machine this runs on: between 100 MHz and 10 GHz. */
	EXPECT_LT(100000000ULL, cap.ProcessorClockFrequency);
	EXPECT_GT(10000000000ULL, cap.ProcessorClockFrequency);
	EXPECT_EQ(WHV_E_INSUFFICIENT_BUFFER,
		  WHvGetCapability(WHvCapabilityCodeProcessorClockFrequency,
				   &cap, 4, &written));
}

TEST_HARNESS_MAIN
