// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC across VPs, each VP run from its own thread
 * (the one-VP cases are in apic_test.c). What these pin down:
 *
 * - IPIs between 4 running VPs, through the xAPIC ICR: fixed physical,
 *   fixed logical (flat LDR/DFR), all-excluding-self and self shorthands,
 *   NMI, lowest priority (exactly one of the destinations gets it); every
 *   VP counts what it received and the totals are exact. Each receiver gets
 *   each vector once, so nothing may coalesce in IRR.
 * - INIT then SIPI from the BSP (long mode) wake VPs whose
 *   InternalActivityState has StartupSuspend, while their threads wait in
 *   WHvRunVirtualProcessor: they start in real mode at CS = vector << 8,
 *   IP 0, see their own APIC ID (CPUID.1:EBX[31:24]) and leave
 *   StartupSuspend.
 * - With ExtendedVmExits.X64ApicInitSipiExitTrap the BSP's INIT and SIPI ICR
 *   writes are X64ApicInitSipiTrap exits carrying the ICR (destination in
 *   bits 63:56); the write is complete (running again goes on after it),
 *   and the VMM's WHvRequestInterrupt Init/Sipi (what QEMU's WHPX does)
 *   starts the AP.
 */
#include <string.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "guest.h"

#define IDT		0x3000
#define CNT		0x6000	/* per VP (APIC ID) 0x40 bytes of counters */
#define READY		0x6200	/* VPs past their set-up */
#define LP_TOTAL	0x6204	/* lowest-priority IPIs received, all VPs */
#define NR_VPS		4
#define PORT_DONE	0x80
#define TRAMPOLINE	0x9000	/* SIPI vector 0x09 */

/* Counter slots in a VP's block. */
#define S_FIXED_PHYS	0x00	/* 0x61 from VP 0, physical */
#define S_FIXED_LOG	0x04	/* 0x62 from VP 0, logical 0x0a */
#define S_SELF		0x08	/* 0x64, self shorthand */
#define S_LOWEST	0x0c	/* 0x65 from VP 0, lowest priority to 0x0e */
#define S_ACK		0x10	/* 0x66, all-including-self from the 0x65 receiver */
#define S_NMI		0x14	/* NMI from VP 0 to VP 2 */
#define S_ALL		0x18	/* 0x70 + sender, all-excluding-self: 4 slots */
#define S_EXPECT	0x30	/* in: events to wait for, 0x65 aside */
#define S_TOTAL		0x3c

static UINT32 cnt(struct test_vm *vm, UINT32 id, UINT32 slot)
{
	return vm_u32(vm, CNT + id * 0x40 + slot);
}

/*
 * Every VP: flat logical ID 1 << APIC ID, then a barrier, then its IPIs
 * with IF=0 (receivers get distinct vectors, IRR holds them all), then
 * STI; HLT until it has its events and the 0x66 broadcast.
 */
GUEST_CODE(ipi, ".code64",
	".macro smp_count slot\n"
	"	push %rax\n	push %rbx\n	push %rsi\n"
	"	mov $0xfee00000, %esi\n"
	"	mov 0x20(%rsi), %ebx\n	shr $24, %ebx\n	shl $6, %ebx\n"
	"	lock incl 0x6000+\\slot(%rbx)\n"
	"	lock incl 0x603c(%rbx)\n"
	".endm\n"
	".macro smp_irq slot\n"
	"	smp_count \\slot\n"
	"	movl $0, 0xb0(%rsi)\n"
	"	pop %rsi\n	pop %rbx\n	pop %rax\n	iretq\n"
	".endm\n"
	"	mov $0xfee00000, %esi\n"
	"	movl $0xffffffff, 0xe0(%rsi)\n"		/* DFR: flat */
	"	mov 0x20(%rsi), %edi\n	shr $24, %edi\n"	/* APIC ID */
	"	mov %edi, %ecx\n	mov $0x01000000, %eax\n	shl %cl, %eax\n"
	"	mov %eax, 0xd0(%rsi)\n"			/* LDR */
	"	movl $0x1ff, 0xf0(%rsi)\n"
	"	mov %edi, %ebx\n	shl $6, %ebx\n"
	"	lock incl 0x6200\n"
	"1:	pause\n	cmpl $4, 0x6200\n	jb 1b\n"
	"	lea 0xc0070(%rdi), %eax\n	xor %edx, %edx\n	call ipi_send\n"
	"	mov $0x40064, %eax\n	call ipi_send\n"
	"	test %edi, %edi\n	jnz 3f\n"
	"	mov $1, %ecx\n"
	"2:	mov %ecx, %edx\n	shl $24, %edx\n	mov $0x61, %eax\n	call ipi_send\n"
	"	inc %ecx\n	cmp $4, %ecx\n	jb 2b\n"
	"	mov $0x0a000000, %edx\n	mov $0x862, %eax\n	call ipi_send\n"
	"	mov $0x02000000, %edx\n	mov $0x400, %eax\n	call ipi_send\n"
	"	mov $0x0e000000, %edx\n	mov $0x965, %eax\n	call ipi_send\n"
	"3:	cli\n"
	"	mov 0x603c(%rbx), %eax\n	sub 0x600c(%rbx), %eax\n"
	"	cmp 0x6030(%rbx), %eax\n	jb 4f\n"
	"	cmpl $0, 0x6010(%rbx)\n	jne 5f\n"
	"4:	sti\n	hlt\n	jmp 3b\n"
	"5:	out %al, $0x80\n"
	"ipi_send:\n"					/* ICR = edx:eax */
	"	mov %edx, 0x310(%rsi)\n"
	"	mov %eax, 0x300(%rsi)\n"
	"6:	mov 0x300(%rsi), %eax\n	test $0x1000, %eax\n	jnz 6b\n"
	"	ret\n"
	GL(ipi_phys)	"	smp_irq 0x00\n"
	GL(ipi_log)	"	smp_irq 0x04\n"
	GL(ipi_self)	"	smp_irq 0x08\n"
	GL(ipi_ack)	"	smp_irq 0x10\n"
	GL(ipi_all0)	"	smp_irq 0x18\n"
	GL(ipi_all1)	"	smp_irq 0x1c\n"
	GL(ipi_all2)	"	smp_irq 0x20\n"
	GL(ipi_all3)	"	smp_irq 0x24\n"
	GL(ipi_lowest)
	"	smp_count 0x0c\n"
	"	lock incl 0x6204\n"
	"	movl $0, 0xb0(%rsi)\n"
	"	movl $0x80066, 0x300(%rsi)\n"		/* all including self */
	"	pop %rsi\n	pop %rbx\n	pop %rax\n	iretq\n"
	GL(ipi_nmi)
	"	smp_count 0x14\n"
	"	pop %rsi\n	pop %rbx\n	pop %rax\n	iretq\n");
extern const uint8_t ipi_phys[], ipi_log[], ipi_self[], ipi_ack[],
	ipi_all0[], ipi_all1[], ipi_all2[], ipi_all3[], ipi_lowest[], ipi_nmi[];

/* Each VP on its own stack, the same code, IDT and APIC page mapping. */
static void smp_vm(struct __test_metadata *_metadata, struct test_vm *vm,
		   UINT32 nvps, UINT64 ext, const uint8_t *start,
		   const uint8_t *end)
{
	struct vm_config cfg = {
		.nvps = nvps,
		.apic_mode = WHvX64LocalApicEmulationModeXApic,
		.ext_exits = ext,
	};
	UINT32 vp;

	ASSERT_EQ(S_OK, vm_create_config(vm, &cfg));
	for (vp = 0; vp < nvps; vp++) {
		vm_load_long(vm, vp, start, end);
		ASSERT_EQ(S_OK, vm_set_table(vm, vp, WHvX64RegisterIdtr, IDT, 0xfff));
		ASSERT_EQ(S_OK, vm_set(vm, vp, WHvX64RegisterRsp,
				       GUEST_STACK_TOP - vp * 0x4000));
	}
	vm_map_apic(vm);
}

/* Join every thread within one deadline; cancels what is left. */
static void join_all(struct __test_metadata *_metadata, struct vp_thread *t,
		     UINT32 n, unsigned int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000, now;
	UINT32 i;

	for (i = 0; i < n; i++) {
		now = now_ns();
		EXPECT_TRUE(vp_thread_join(&t[i], now < end ?
					   (end - now) / 1000000 : 0)) {
			TH_LOG("VP %u still running: canceled", t[i].vp);
		}
	}
}

static void expect_done(struct __test_metadata *_metadata,
			const struct vp_thread *t)
{
	EXPECT_EQ(S_OK, t->hr);
	EXPECT_EQ(WHvRunVpExitReasonX64IoPortAccess, t->exit.ExitReason) {
		TH_LOG("VP %u: exit reason 0x%x at 0x%llx", t->vp,
		       t->exit.ExitReason,
		       (unsigned long long)t->exit.VpContext.Rip);
	}
	EXPECT_EQ(PORT_DONE, t->exit.IoPortAccess.PortNumber);
}

TEST(ipis_between_four_vps)
{
	static const UINT32 expect[NR_VPS] = { 5, 7, 7, 7 };
	const uint8_t *all[NR_VPS] = { ipi_all0, ipi_all1, ipi_all2, ipi_all3 };
	struct vp_thread t[NR_VPS];
	struct test_vm vm;
	UINT32 id, s, lowest = 0;

	smp_vm(_metadata, &vm, NR_VPS, 0, ipi_start, ipi_end);
	vm_idt_gate64(&vm, IDT, 0x61, GA(ipi, ipi_phys));
	vm_idt_gate64(&vm, IDT, 0x62, GA(ipi, ipi_log));
	vm_idt_gate64(&vm, IDT, 0x64, GA(ipi, ipi_self));
	vm_idt_gate64(&vm, IDT, 0x65, GA(ipi, ipi_lowest));
	vm_idt_gate64(&vm, IDT, 0x66, GA(ipi, ipi_ack));
	vm_idt_gate64(&vm, IDT, 2, GA(ipi, ipi_nmi));
	for (id = 0; id < NR_VPS; id++) {
		vm_idt_gate64(&vm, IDT, 0x70 + id, GA(ipi, all[id]));
		memcpy(vm.mem + CNT + id * 0x40 + S_EXPECT, &expect[id], 4);
		ASSERT_EQ(S_OK, vm_set(&vm, id, WHvRegisterInternalActivityState, 0));
	}
	for (id = 0; id < NR_VPS; id++)
		ASSERT_EQ(0, vp_thread_start(&t[id], &vm, id));
	join_all(_metadata, t, NR_VPS, 15000);

	for (id = 0; id < NR_VPS; id++) {
		expect_done(_metadata, &t[id]);
		EXPECT_EQ(id ? 1 : 0, cnt(&vm, id, S_FIXED_PHYS));
		EXPECT_EQ(id == 1 || id == 3, cnt(&vm, id, S_FIXED_LOG));
		EXPECT_EQ(1, cnt(&vm, id, S_SELF));
		EXPECT_EQ(1, cnt(&vm, id, S_ACK));
		EXPECT_EQ(id == 2, cnt(&vm, id, S_NMI));
		for (s = 0; s < NR_VPS; s++)
			EXPECT_EQ(s != id, cnt(&vm, id, S_ALL + 4 * s)) {
				TH_LOG("VP %u from VP %u", id, s);
			}
		EXPECT_EQ(expect[id] + cnt(&vm, id, S_LOWEST),
			  cnt(&vm, id, S_TOTAL));
		lowest += cnt(&vm, id, S_LOWEST);
	}
	/* Lowest priority: one of VPs 1-3, exactly once. */
	EXPECT_EQ(0, cnt(&vm, 0, S_LOWEST));
	EXPECT_EQ(1, lowest);
	EXPECT_EQ(1, vm_u32(&vm, LP_TOTAL));
	vm_destroy(&vm);
}

/* ---- e. INIT/SIPI --------------------------------------------------------------------------- */

/* The BSP: INIT then SIPI (vector 0x09) to APIC IDs 1 .. [0x6208]-1. */
GUEST_CODE(boot, ".code64",
	"	mov $0xfee00000, %esi\n"
	"	movl $0x1ff, 0xf0(%rsi)\n"
	"	mov $1, %ebx\n"
	"1:	mov %ebx, %eax\n	shl $24, %eax\n"
	"	mov %eax, 0x310(%rsi)\n"
	"	movl $0x4500, 0x300(%rsi)\n"		/* INIT, level assert */
	"2:	mov 0x300(%rsi), %eax\n	test $0x1000, %eax\n	jnz 2b\n"
	"	mov %ebx, %eax\n	shl $24, %eax\n	mov %eax, 0x310(%rsi)\n"
	"	movl $0x4609, 0x300(%rsi)\n"		/* SIPI, vector 0x09 */
	"3:	mov 0x300(%rsi), %eax\n	test $0x1000, %eax\n	jnz 3b\n"
	"	inc %ebx\n	cmp 0x6208, %ebx\n	jb 1b\n"
	"	out %al, $0x80\n");
/* An AP, at 0900:0000 in real mode: its CS at 0x6000 + 4 * APIC ID. */
GUEST_CODE(tramp, ".code16",
	"	xor %ax, %ax\n	mov %ax, %ds\n"
	"	mov $1, %eax\n	cpuid\n	shr $24, %ebx\n"
	"	mov %cs, %ax\n"
	"	mov %ax, 0x6000(,%ebx,4)\n"
	"	lock incw 0x6100\n"
	"	out %al, $0x80\n");

static void boot_setup(struct __test_metadata *_metadata, struct test_vm *vm,
		       UINT32 nvps, UINT64 ext, struct vp_thread *t)
{
	UINT32 vp;

	smp_vm(_metadata, vm, nvps, ext, boot_start, boot_end);
	memcpy(vm->mem + TRAMPOLINE, tramp_start, tramp_end - tramp_start);
	memcpy(vm->mem + 0x6208, &nvps, 4);
	ASSERT_EQ(S_OK, vm_set(vm, 0, WHvRegisterInternalActivityState, 0));
	for (vp = 1; vp < nvps; vp++) {
		ASSERT_EQ(S_OK, vm_set(vm, vp, WHvRegisterInternalActivityState, 1));
		EXPECT_EQ(1, vm_get(vm, vp, WHvRegisterInternalActivityState) & 1);
	}
	/* The APs wait for their SIPI inside the run. */
	for (vp = 1; vp < nvps; vp++)
		ASSERT_EQ(0, vp_thread_start(&t[vp], vm, vp));
}

static void expect_aps(struct __test_metadata *_metadata, struct test_vm *vm,
		       UINT32 nvps, struct vp_thread *t)
{
	UINT32 vp;
	UINT16 cs;

	join_all(_metadata, t + 1, nvps - 1, 10000);
	EXPECT_EQ(nvps - 1, vm_u32(vm, 0x6100) & 0xffff);
	for (vp = 1; vp < nvps; vp++) {
		expect_done(_metadata, &t[vp]);
		EXPECT_EQ(0x0900, t[vp].exit.VpContext.Cs.Selector);
		EXPECT_EQ(0x9000, t[vp].exit.VpContext.Cs.Base);
		EXPECT_EQ(0, (UINT32)t[vp].exit.VpContext.ExecutionState.Cr0Pe);
		memcpy(&cs, vm->mem + 0x6000 + 4 * vp, 2);
		EXPECT_EQ(0x0900, cs) {
			TH_LOG("AP %u did not arrive", vp);
		}
		EXPECT_EQ(0, vm_get(vm, vp, WHvRegisterInternalActivityState) & 1);
	}
}

TEST(init_sipi_starts_aps)
{
	struct vp_thread t[NR_VPS];
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	UINT32 vp;
	HRESULT hr;

	boot_setup(_metadata, &vm, NR_VPS, 0, t);
	usleep(20000);
	for (vp = 1; vp < NR_VPS; vp++)
		EXPECT_FALSE(vp_thread_done(&t[vp]));	/* waiting for SIPI */
	hr = vm_run(&vm, 0, &exit);
	EXPECT_EQ(S_OK, hr);
	EXPECT_EQ(WHvRunVpExitReasonX64IoPortAccess, exit.ExitReason);
	EXPECT_EQ(PORT_DONE, exit.IoPortAccess.PortNumber);
	expect_aps(_metadata, &vm, NR_VPS, t);
	vm_destroy(&vm);
}

#define EXT_INIT_SIPI_TRAP	(1ULL << 6)

/*
 * The trap exit for @icr; then the VMM delivers it itself. EXPECTs only:
 * the caller still joins the AP threads (which cancels them).
 */
static bool expect_init_sipi_trap(struct __test_metadata *_metadata,
				  struct test_vm *vm, UINT64 icr)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	UINT32 type;

	EXPECT_EQ(S_OK, vm_run(vm, 0, &exit));
	EXPECT_EQ(WHvRunVpExitReasonX64ApicInitSipiTrap, exit.ExitReason) {
		TH_LOG("exit reason 0x%x at 0x%llx", exit.ExitReason,
		       (unsigned long long)exit.VpContext.Rip);
	}
	if (exit.ExitReason != WHvRunVpExitReasonX64ApicInitSipiTrap)
		return false;
	EXPECT_EQ(icr, exit.ApicInitSipi.ApicIcr & ~0x1000ULL);
	type = ((icr >> 8) & 7) == 5 ? WHvX64InterruptTypeInit :
				       WHvX64InterruptTypeSipi;
	EXPECT_EQ(S_OK, vm_interrupt(vm, type, icr >> 56,
				     type == WHvX64InterruptTypeSipi ? icr & 0xff : 0,
				     false, false));
	return true;
}

TEST(init_sipi_trap_exits)
{
	struct vp_thread t[2];
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	boot_setup(_metadata, &vm, 2, EXT_INIT_SIPI_TRAP, t);
	/* Run again without touching RIP: the next ICR write, not this one. */
	if (expect_init_sipi_trap(_metadata, &vm, 1ULL << 56 | 0x4500) &&
	    expect_init_sipi_trap(_metadata, &vm, 1ULL << 56 | 0x4609)) {
		EXPECT_EQ(S_OK, vm_run(&vm, 0, &exit));
		EXPECT_EQ(WHvRunVpExitReasonX64IoPortAccess, exit.ExitReason);
		EXPECT_EQ(PORT_DONE, exit.IoPortAccess.PortNumber);
	}
	expect_aps(_metadata, &vm, 2, t);
	vm_destroy(&vm);
}

/* ---- the most VPs ----------------------------------------------------------------------- */

#define RING_READY	0x7000
#define RING_NVPS	0x7008
#define RING_GOT	0x7100	/* per APIC ID: IPIs received */

/*
 * Every VP waits until all are running, sends one IPI to the next APIC ID
 * (modulo the VP count), then halts until its own IPI arrived.
 */
GUEST_CODE(ring, ".code64",
	"	mov $0xfee00000, %esi\n"
	"	movl $0x1ff, 0xf0(%rsi)\n"
	"	mov 0x20(%rsi), %edi\n	shr $24, %edi\n"
	"	lock incl 0x7000\n"
	/* The last to arrive wakes the others; they halt, not spin. */
	"	mov 0x7000, %eax\n	cmp 0x7008, %eax\n	jb 1f\n"
	"	movl $0xc0051, 0x300(%rsi)\n"		/* all but self, 0x51 */
	"	jmp 4f\n"
	"1:	cli\n	mov 0x7000, %eax\n	cmp 0x7008, %eax\n	jae 4f\n"
	"	sti\n	hlt\n	jmp 1b\n"
	"4:	lea 1(%rdi), %eax\n	xor %edx, %edx\n	divl 0x7008\n"
	"	shl $24, %edx\n	mov %edx, 0x310(%rsi)\n"
	"	movl $0x50, 0x300(%rsi)\n"
	"2:	cli\n	cmpl $0, 0x7100(,%rdi,4)\n	jne 3f\n"
	"	sti\n	hlt\n	jmp 2b\n"
	"3:	out %al, $0x80\n"
	GL(ring_irq)
	"	lock incl 0x7100(,%rdi,4)\n"
	GL(ring_go)
	"	movl $0, 0xb0(%rsi)\n"
	"	iretq\n");
extern const uint8_t ring_irq[], ring_go[];

/* WHV_MAX_VPS VPs of one partition, all running at once, each on a thread. */
TEST(sixty_four_vps_ring)
{
	static struct vp_thread t[64];
	struct test_vm vm;
	UINT32 vp, n = 64;

	smp_vm(_metadata, &vm, n, 0, ring_start, ring_end);
	vm_idt_gate64(&vm, IDT, 0x50, GA(ring, ring_irq));
	vm_idt_gate64(&vm, IDT, 0x51, GA(ring, ring_go));
	memcpy(vm.mem + RING_NVPS, &n, 4);
	for (vp = 0; vp < n; vp++) {
		/* 4 KiB stacks: 64 of them fit below GUEST_STACK_TOP. */
		ASSERT_EQ(S_OK, vm_set(&vm, vp, WHvX64RegisterRsp,
				       GUEST_STACK_TOP - vp * 0x1000));
		ASSERT_EQ(S_OK, vm_set(&vm, vp, WHvRegisterInternalActivityState, 0));
	}
	for (vp = 0; vp < n; vp++)
		ASSERT_EQ(0, vp_thread_start(&t[vp], &vm, vp));
	join_all(_metadata, t, n, 25000);	/* inside the harness's 30 s */
	for (vp = 0; vp < n; vp++) {
		expect_done(_metadata, &t[vp]);
		EXPECT_EQ(1, vm_u32(&vm, RING_GOT + 4 * vp)) {
			TH_LOG("VP %u", vp);
		}
	}
	vm_destroy(&vm);
}

TEST_HARNESS_MAIN
