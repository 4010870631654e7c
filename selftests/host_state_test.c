// SPDX-License-Identifier: GPL-2.0
/*
 * The host is bit-for-bit intact after a guest that rewrites the MSRs,
 * selectors and descriptor tables the host depends on: the syscall and
 * SYSENTER MSRs, FS/GS/KERNEL_GS bases, PAT, EFER, DS/ES, the LDT, the TSS
 * limit (I/O permission bitmap). Host MSRs are read through /dev/cpu/0/msr
 * (msr.ko), on the CPU the guest ran on.
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <asm/prctl.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/io.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "guest.h"

#define WRMSR(msr, lo, hi)					\
	"	mov $" #msr ", %ecx\n"				\
	"	mov $" #lo ", %eax\n"				\
	"	mov $" #hi ", %edx\n"				\
	"	wrmsr\n"

/* Rewrite host-relevant state, then exit RCX times through port 0x80. */
GUEST_CODE(scribble, ".code64",
	"	mov %rcx, %r15\n"
	WRMSR(0xc0000081, 0x11223344, 0x00230010)	/* STAR */
	WRMSR(0xc0000082, 0x12345678, 0xffff8000)	/* LSTAR */
	WRMSR(0xc0000083, 0x23456789, 0xffff8000)	/* CSTAR */
	WRMSR(0xc0000084, 0x4700, 0)			/* SFMASK */
	WRMSR(0xc0000102, 0xdead0000, 0)		/* KERNEL_GS_BASE */
	WRMSR(0xc0000100, 0x01000000, 0)		/* FS_BASE */
	WRMSR(0xc0000101, 0x02000000, 0)		/* GS_BASE */
	WRMSR(0x174, 0x10, 0)				/* SYSENTER_CS */
	WRMSR(0x175, 0x3000, 0)				/* SYSENTER_ESP */
	WRMSR(0x176, 0x4000, 0)				/* SYSENTER_EIP */
	WRMSR(0x277, 0x06060606, 0x06060606)		/* PAT */
	"	mov $0xc0000080, %ecx\n"			/* EFER ^= SCE */
	"	rdmsr\n"
	"	xor $1, %eax\n"
	"	wrmsr\n"
	"	mov $0x10, %ax\n"
	"	mov %ax, %ds\n"
	"	mov %ax, %es\n"
	"	sub $16, %rsp\n"
	"	movw $0x17, (%rsp)\n"
	"	movq $0x800, 2(%rsp)\n"
	"	lgdt (%rsp)\n"
	"	movw $0x1f, (%rsp)\n"
	"	movq $0x9000, 2(%rsp)\n"
	"	lidt (%rsp)\n"
	"	add $16, %rsp\n"
	"	mov %r15, %rcx\n"
	"1:	out %al, $0x80\n"
	"	dec %rcx\n"
	"	jnz 1b\n"
	"	hlt\n");

#define EFER_SVME	(1ULL << 12)

static const unsigned int host_msrs[] = {
	0xc0000080,	/* EFER */
	0xc0000081,	/* STAR */
	0xc0000082,	/* LSTAR */
	0xc0000083,	/* CSTAR */
	0xc0000084,	/* SFMASK */
	0xc0000102,	/* KERNEL_GS_BASE: this task's user GS base */
	0x174, 0x175, 0x176,	/* SYSENTER_CS/ESP/EIP */
	0x277,		/* PAT */
	0x1d9,		/* DEBUGCTL */
	0xc0000103,	/* TSC_AUX */
};

static int read_msrs(int fd, uint64_t *v)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(host_msrs); i++)
		if (pread(fd, &v[i], 8, host_msrs[i]) != 8)
			return -1;
	return 0;
}

static void pin_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static uint16_t get_ds(void)
{
	uint16_t v;

	asm volatile("mov %%ds, %0" : "=r"(v));
	return v;
}

/* LSL on an LDT selector: the limit, or -1 if the LDT is not loaded. */
static long ldt_limit(uint16_t sel)
{
	uint32_t limit;
	uint8_t ok;

	asm volatile("lsl %2, %0\n\tsetz %1" : "=r"(limit), "=q"(ok)
		     : "r"((uint32_t)sel) : "cc");
	return ok ? (long)limit : -1;
}

TEST(host_state_intact_after_guest)
{
	uint64_t before[ARRAY_SIZE(host_msrs)], after[ARRAY_SIZE(host_msrs)];
	struct user_desc ldt = {
		.entry_number = 0, .base_addr = 0, .limit = 0xfff,
		.seg_32bit = 1, .useable = 1,
	};
	unsigned long fs_before, gs_before, fs_after, gs_after;
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	int msr_fd, exits = 0;
	unsigned int i;

	pin_cpu0();
	msr_fd = open("/dev/cpu/0/msr", O_RDONLY);
	if (msr_fd < 0)
		SKIP(return, "no /dev/cpu/0/msr (msr.ko)");
	ASSERT_EQ(0, syscall(SYS_modify_ldt, 1, &ldt, sizeof(ldt)));
	ASSERT_EQ(0xfff, ldt_limit(7));		/* LDT entry 0, RPL 3 */
	ASSERT_EQ(0, ioperm(0x80, 1, 1));
	ASSERT_EQ(0, syscall(SYS_arch_prctl, ARCH_SET_GS, 0x7f0012345000UL));
	ASSERT_EQ(0, syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_before));
	ASSERT_EQ(0, syscall(SYS_arch_prctl, ARCH_GET_GS, &gs_before));
	asm volatile("mov %0, %%ds" : : "r"(0x2b));	/* __USER_DS */
	ASSERT_EQ(0, read_msrs(msr_fd, before));

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_long(&vm, 0, scribble_start, scribble_end);
	vm_set(&vm, 0, WHvX64RegisterRcx, 100);
	for (;;) {
		ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
		if (exit.ExitReason != WHvRunVpExitReasonX64IoPortAccess)
			break;
		vm_skip(&vm, 0, &exit);
		exits++;
	}
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(100, exits);

	/* What the guest wrote is the guest's ... */
	EXPECT_EQ(0xffff800012345678ULL, vm_get(&vm, 0, WHvX64RegisterLstar));
	EXPECT_EQ(0xdead0000, vm_get(&vm, 0, WHvX64RegisterKernelGsBase));
	/* ... and the host's own state is as it was. */
	EXPECT_EQ(0x2b, get_ds());
	EXPECT_EQ(0xfff, ldt_limit(7));
	outb(0, 0x80);		/* the TSS I/O bitmap still answers */
	ASSERT_EQ(0, syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_after));
	ASSERT_EQ(0, syscall(SYS_arch_prctl, ARCH_GET_GS, &gs_after));
	EXPECT_EQ(fs_before, fs_after);
	EXPECT_EQ(gs_before, gs_after);
	/* While a partition exists, EFER.SVME is on (AMD): nothing else. */
	ASSERT_EQ(0, read_msrs(msr_fd, after));
	for (i = 0; i < ARRAY_SIZE(host_msrs); i++) {
		uint64_t mask = host_msrs[i] == 0xc0000080 ? ~EFER_SVME : ~0ULL;

		TH_LOG("MSR 0x%x: 0x%llx -> 0x%llx", host_msrs[i],
		       (unsigned long long)before[i],
		       (unsigned long long)after[i]);
		EXPECT_EQ(before[i] & mask, after[i] & mask);
	}
	/* With the last partition gone, every bit is back. */
	vm_destroy(&vm);
	ASSERT_EQ(0, read_msrs(msr_fd, after));
	for (i = 0; i < ARRAY_SIZE(host_msrs); i++)
		EXPECT_EQ(before[i], after[i]);
	close(msr_fd);
}

TEST_HARNESS_MAIN
