// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel local APIC (LocalApicEmulationMode), one VP at a time; the
 * multi-VP cases (IPIs, INIT/SIPI) are in smp_test.c. What these pin down:
 *
 * - WHvRequestInterrupt: a Fixed interrupt sits in IRR (registers and state
 *   page) while the guest has IF=0, is taken at the first open window
 *   (after the STI shadow), is in ISR in the handler and leaves it on EOI;
 *   edge interrupts give no exit, a level one gives an X64ApicEoi exit with
 *   its vector (TMR set in the handler) and the guest goes on after it; NMI
 *   and LocalInt1 (LINT1 programmed as NMI) run the NMI handler with IF=0.
 * - HLT waits in the kernel: no X64Halt exit; a WHvRequestInterrupt from
 *   another thread ends the wait and the run returns only after the handler
 *   ran; WHvCancelRunVirtualProcessor ends it with Canceled, the VP shows
 *   InternalActivityState.HaltSuspend, and running it again keeps halting;
 *   STI; HLT with an interrupt already waiting returns past the HLT.
 * - The APIC timer at InterruptClockFrequency (200 MHz) / divide: one-shot
 *   ticks once and its current count ends at 0; periodic ticks until masked,
 *   never faster than its period; TSC-deadline (CPUID.1:ECX[24]) fires once,
 *   not before the deadline, and clears IA32_TSC_DEADLINE; the current count
 *   runs down and stops when the initial count is written 0.
 * - x2APIC mode: IA32_APIC_BASE.EXTD enables it (CPUID.1:ECX[21]), ID and
 *   LDR through MSRs 0x802/0x80D, self IPI 0x83F, ISR 0x81x, EOI 0x80B;
 *   in xAPIC mode setting EXTD takes #GP and changes nothing.
 * - WHv{Get,Set}VirtualProcessorInterruptControllerState2: the 4 KiB xAPIC
 *   page, architectural reset values, round trip, agreement with the APIC
 *   registers by name and CR8, an IRR bit set through it is delivered;
 *   WHvGetInterruptTargetVpSet for physical, broadcast and flat logical
 *   destinations; the HRESULTs of bad arguments and of a partition without
 *   a local APIC.
 * - Register names: ApicBase (BSP bit), ApicId, InternalActivityState,
 *   ApicTpr/Cr8, ApicLvtTimer, ApicInitCount, ApicDivide, ApicSpurious,
 *   ApicIcr (64-bit: ICR high in bits 63:32), TscDeadline (as the guest's
 *   RDMSR sees it) read back what was set and agree with the state page.
 */
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "guest.h"

#define IDT		0x3000
#define DATA		0x5000	/* results the guests store */
#define PORT_DONE	0x80	/* the guest is finished */
#define PORT_STEP	0x81	/* the guest waits for the VMM to act */
#define APIC_PAGE	4096

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#ifndef ERROR_HV_OPERATION_DENIED
#define ERROR_HV_OPERATION_DENIED	0xC0350008L
#endif
#define E_HV_OPERATION_DENIED	HRESULT_FROM_WIN32(ERROR_HV_OPERATION_DENIED)

static UINT32 d32(struct test_vm *vm, UINT32 off)
{
	return vm_u32(vm, DATA + off);
}

static UINT64 d64(struct test_vm *vm, UINT32 off)
{
	return vm_u64(vm, DATA + off);
}

static void set_d32(struct test_vm *vm, UINT32 off, UINT32 v)
{
	memcpy(vm->mem + DATA + off, &v, sizeof(v));
}

static void set_d64(struct test_vm *vm, UINT32 off, UINT64 v)
{
	memcpy(vm->mem + DATA + off, &v, sizeof(v));
}

static UINT32 page32(const uint8_t *page, UINT32 off)
{
	UINT32 v;

	memcpy(&v, page + off, sizeof(v));
	return v;
}

static void set_page32(uint8_t *page, UINT32 off, UINT32 v)
{
	memcpy(page + off, &v, sizeof(v));
}

/* A partition with a local APIC in @mode; its VPs get @start..@end. */
static void apic_vm(struct __test_metadata *_metadata, struct test_vm *vm,
		    UINT32 nvps, UINT32 mode, const uint8_t *start,
		    const uint8_t *end)
{
	struct vm_config cfg = { .nvps = nvps, .apic_mode = mode };
	UINT32 vp;

	ASSERT_EQ(S_OK, vm_create_config(vm, &cfg));
	for (vp = 0; vp < nvps; vp++) {
		vm_load_long(vm, vp, start, end);
		ASSERT_EQ(S_OK, vm_set_table(vm, vp, WHvX64RegisterIdtr, IDT, 0xfff));
	}
	vm_map_apic(vm);
}

static void get_page(struct __test_metadata *_metadata, struct test_vm *vm,
		     UINT32 vp, uint8_t *page)
{
	UINT32 written = 0;

	memset(page, 0xcc, APIC_PAGE);
	ASSERT_EQ(S_OK, WHvGetVirtualProcessorInterruptControllerState2(vm->part,
				vp, page, APIC_PAGE, &written));
	EXPECT_EQ(APIC_PAGE, written);
}

static void expect_io(struct __test_metadata *_metadata, HRESULT hr,
		      const WHV_RUN_VP_EXIT_CONTEXT *e, UINT16 port)
{
	ASSERT_EQ(S_OK, hr);
	ASSERT_EQ(WHvRunVpExitReasonX64IoPortAccess, e->ExitReason) {
		TH_LOG("exit reason 0x%x at 0x%llx", e->ExitReason,
		       (unsigned long long)e->VpContext.Rip);
	}
	EXPECT_EQ(port, e->IoPortAccess.PortNumber);
}

/* ---- a. WHvRequestInterrupt ------------------------------------------------------------------ */

/* Vectors 0x41 (edge) and 0x42 (level) use IRR/ISR/TMR word 2 (64-95). */
GUEST_CODE(irq, ".code64",
	"	mov $0xfee00000, %esi\n"
	"	movl $0x1ff, 0xf0(%rsi)\n"		/* SVR: enabled */
	"	movl $0x400, 0x360(%rsi)\n"		/* LVT LINT1: NMI */
	"	out %al, $0x81\n"			/* the VMM requests */
	GL(irq_after_step)
	"	mov 0x220(%rsi), %eax\n	mov %eax, 0x5018\n"
	"	sti\n"
	"	nop\n"
	GL(irq_taken)
	"	cli\n"
	"	out %al, $0x80\n"
	GL(irq_fixed)
	"	push %rax\n	push %rsi\n"
	"	mov $0xfee00000, %esi\n"
	"	incl 0x5000\n"
	"	mov 0x120(%rsi), %eax\n	mov %eax, 0x5004\n"	/* ISR */
	"	mov 0x1a0(%rsi), %eax\n	mov %eax, 0x5008\n"	/* TMR */
	"	mov 16(%rsp), %rax\n	mov %rax, 0x5010\n"
	"	movl $0, 0xb0(%rsi)\n"				/* EOI */
	GL(irq_after_eoi)
	"	mov 0x120(%rsi), %eax\n	mov %eax, 0x500c\n"
	"	pop %rsi\n	pop %rax\n"
	"	iretq\n"
	GL(irq_nmi)
	"	push %rax\n"
	"	incl 0x5020\n"
	"	mov 8(%rsp), %rax\n	mov %rax, 0x5028\n"
	"	pop %rax\n"
	"	iretq\n");
extern const uint8_t irq_after_step[], irq_taken[], irq_fixed[],
	irq_after_eoi[], irq_nmi[];

static void irq_setup(struct __test_metadata *_metadata, struct test_vm *vm,
		      UINT32 nvps)
{
	apic_vm(_metadata, vm, nvps, WHvX64LocalApicEmulationModeXApic,
		irq_start, irq_end);
	vm_idt_gate64(vm, IDT, 0x41, GA(irq, irq_fixed));
	vm_idt_gate64(vm, IDT, 0x42, GA(irq, irq_fixed));
	vm_idt_gate64(vm, IDT, 0x71, GA(irq, irq_fixed));
	vm_idt_gate64(vm, IDT, 2, GA(irq, irq_nmi));
}

/* Run VP 0 to its PORT_STEP. */
static void irq_to_step(struct __test_metadata *_metadata, struct test_vm *vm,
			WHV_RUN_VP_EXIT_CONTEXT *exit)
{
	expect_io(_metadata, vm_run(vm, 0, exit), exit, PORT_STEP);
	vm_skip(vm, 0, exit);
}

/*
 * Where the irq guest took its interrupt: after the STI shadow (the NOP).
 * QEMU before 9.1 drops the shadow at VMRUN: when a host interrupt exits
 * right after the STI, the vector goes in before the NOP, which real
 * hardware never does; under TCG that one place counts as after it.
 */
static uint64_t irq_taken_at(struct __test_metadata *_metadata,
			     struct test_vm *vm)
{
	uint64_t rip = d64(vm, 0x10);

	if (rip != GA(irq, irq_taken) - 1 || !host_is_tcg())
		return rip;
	TH_LOG("TCG: STI shadow lost at VMRUN (QEMU < 9.1)");
	return GA(irq, irq_taken);
}

TEST(fixed_interrupt_irr_isr_eoi)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	static uint8_t page[APIC_PAGE];
	struct test_vm vm;

	irq_setup(_metadata, &vm, 1);
	irq_to_step(_metadata, &vm, &exit);
	EXPECT_EQ(0, vm_get(&vm, 0, WHvX64RegisterApicIrr2));
	ASSERT_EQ(S_OK, vm_interrupt(&vm, WHvX64InterruptTypeFixed, 0, 0x41,
				     false, false));
	/* IF=0: it waits in IRR, seen by the VMM and the guest alike. */
	EXPECT_EQ(2, vm_get(&vm, 0, WHvX64RegisterApicIrr2));
	get_page(_metadata, &vm, 0, page);
	EXPECT_EQ(2, page32(page, 0x220));
	EXPECT_EQ(0, page32(page, 0x120));

	expect_io(_metadata, vm_run(&vm, 0, &exit), &exit, PORT_DONE);
	EXPECT_EQ(2, d32(&vm, 0x18));		/* IRR before STI */
	EXPECT_EQ(1, d32(&vm, 0x00));		/* handler ran once */
	EXPECT_EQ(2, d32(&vm, 0x04));		/* in service, alone */
	EXPECT_EQ(0, d32(&vm, 0x08));		/* edge: TMR clear */
	EXPECT_EQ(0, d32(&vm, 0x0c));		/* EOI cleared ISR */
	EXPECT_EQ(0, d32(&vm, 0x20));
	EXPECT_EQ(0, vm_get(&vm, 0, WHvX64RegisterApicIrr2));
	EXPECT_EQ(0, vm_get(&vm, 0, WHvX64RegisterApicIsr2));
	EXPECT_EQ(GA(irq, irq_taken), irq_taken_at(_metadata, &vm));
	vm_destroy(&vm);
}

/*
 * A level-triggered interrupt's EOI is an X64ApicEoi exit (the VMM's
 * IOAPIC would re-sample the line); like QEMU's WHPX, the VMM only runs the
 * VP again: the EOI write is complete, the guest goes on after it.
 */
TEST(level_interrupt_eoi_exit)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	irq_setup(_metadata, &vm, 1);
	irq_to_step(_metadata, &vm, &exit);
	ASSERT_EQ(S_OK, vm_interrupt(&vm, WHvX64InterruptTypeFixed, 0, 0x42,
				     false, true));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64ApicEoi, exit.ExitReason) {
		TH_LOG("exit reason 0x%x at 0x%llx", exit.ExitReason,
		       (unsigned long long)exit.VpContext.Rip);
	}
	EXPECT_EQ(0x42, exit.ApicEoi.InterruptVector);
	EXPECT_EQ(GA(irq, irq_after_eoi), exit.VpContext.Rip);
	EXPECT_EQ(1, d32(&vm, 0x00));
	EXPECT_EQ(4, d32(&vm, 0x04));		/* ISR */
	EXPECT_EQ(4, d32(&vm, 0x08));		/* level: TMR set */
	expect_io(_metadata, vm_run(&vm, 0, &exit), &exit, PORT_DONE);
	EXPECT_EQ(1, d32(&vm, 0x00));
	EXPECT_EQ(0, d32(&vm, 0x0c));
	/* EOI retires ISR only; TMR keeps the last acceptance (SDM 10.8.4). */
	EXPECT_EQ(4, vm_get(&vm, 0, WHvX64RegisterApicTmr2));
	vm_destroy(&vm);
}

/* NMI and LINT1-as-NMI: taken with IF=0, at the next instruction. */
static void nmi_case(struct __test_metadata *_metadata, UINT32 type)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	irq_setup(_metadata, &vm, 1);
	irq_to_step(_metadata, &vm, &exit);
	ASSERT_EQ(S_OK, vm_interrupt(&vm, type, 0, 0, false, false));
	expect_io(_metadata, vm_run(&vm, 0, &exit), &exit, PORT_DONE);
	EXPECT_EQ(1, d32(&vm, 0x20));
	EXPECT_EQ(GA(irq, irq_after_step), d64(&vm, 0x28));
	EXPECT_EQ(0, d32(&vm, 0x00));
	vm_destroy(&vm);
}

TEST(nmi_request)
{
	nmi_case(_metadata, WHvX64InterruptTypeNmi);
}

TEST(lint1_request_as_nmi)
{
	nmi_case(_metadata, WHvX64InterruptTypeLocalInt1);
}

/* ---- b. HLT waits in the kernel ------------------------------------------------------------- */

GUEST_CODE(halt, ".code64",
	"	mov $0xfee00000, %esi\n"
	"	movl $0x1ff, 0xf0(%rsi)\n"
	"	movl $1, 0x5030\n"			/* about to halt */
	"	sti\n"
	GL(halt_hlt)
	"1:	hlt\n"
	GL(halt_next)
	"	cmpl $0, 0x5000\n"
	"	je 1b\n"
	"	cli\n"
	"	out %al, $0x80\n"
	GL(halt_irq)
	"	push %rax\n"
	"	incl 0x5000\n"
	"	mov 8(%rsp), %rax\n	mov %rax, 0x5010\n"
	"	mov $0xfee000b0, %eax\n	movl $0, (%rax)\n"
	"	pop %rax\n"
	"	iretq\n");
extern const uint8_t halt_hlt[], halt_next[], halt_irq[];

static void halt_setup(struct __test_metadata *_metadata, struct test_vm *vm)
{
	apic_vm(_metadata, vm, 1, WHvX64LocalApicEmulationModeXApic,
		halt_start, halt_end);
	vm_idt_gate64(vm, IDT, 0x41, GA(halt, halt_irq));
}

/* Start VP 0; true once it is about to halt and 50 ms later still runs. */
static bool halt_start_thread(struct test_vm *vm, struct vp_thread *t)
{
	if (vp_thread_start(t, vm, 0))
		return false;
	if (!vm_wait_u32(vm, DATA + 0x30, 1, 10000))
		return false;
	usleep(50000);
	return !vp_thread_done(t);
}

TEST(hlt_waits_for_requested_interrupt)
{
	struct vp_thread t;
	struct test_vm vm;
	uint64_t t_req;

	halt_setup(_metadata, &vm);
	EXPECT_TRUE(halt_start_thread(&vm, &t)) {
		TH_LOG("run returned before the interrupt: exit 0x%x",
		       t.exit.ExitReason);
	}
	EXPECT_EQ(0, d32(&vm, 0x00));
	t_req = now_ns();
	EXPECT_EQ(S_OK, vm_interrupt(&vm, WHvX64InterruptTypeFixed, 0, 0x41,
				     false, false));
	EXPECT_TRUE(vp_thread_join(&t, 10000));
	expect_io(_metadata, t.hr, &t.exit, PORT_DONE);
	EXPECT_LE(t_req, t.t_end);
	EXPECT_EQ(1, d32(&vm, 0x00));
	EXPECT_EQ(GA(halt, halt_next), d64(&vm, 0x10));
	vm_destroy(&vm);
}

/*
 * STI; HLT with the interrupt already waiting: HLT completes and wakes at
 * once, so the interrupt returns past it. (QEMU before 9.1 drops the
 * shadow at VMRUN: delivered before the HLT, it left the VP halted.)
 */
TEST(sti_hlt_with_interrupt_waiting)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	halt_setup(_metadata, &vm);
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterApicSpurious, 0x1ff));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterRip, GA(halt, halt_hlt)));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterRflags, 0x202));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvRegisterInterruptState, 1));
	ASSERT_EQ(S_OK, vm_interrupt(&vm, WHvX64InterruptTypeFixed, 0, 0x41,
				     false, false));
	expect_io(_metadata, vm_run(&vm, 0, &exit), &exit, PORT_DONE);
	EXPECT_EQ(1, d32(&vm, 0x00));
	EXPECT_EQ(GA(halt, halt_next), d64(&vm, 0x10));
	EXPECT_EQ(0, d32(&vm, 0x30));		/* the start never ran */
	vm_destroy(&vm);
}

TEST(hlt_canceled_then_halts_again)
{
	WHV_REGISTER_VALUE act;
	WHV_REGISTER_NAME name = WHvRegisterInternalActivityState;
	struct vp_thread t;
	struct test_vm vm;

	halt_setup(_metadata, &vm);
	EXPECT_TRUE(halt_start_thread(&vm, &t));
	EXPECT_EQ(S_OK, WHvCancelRunVirtualProcessor(vm.part, 0, 0));
	EXPECT_TRUE(vp_thread_join(&t, 10000));
	ASSERT_EQ(S_OK, t.hr);
	EXPECT_EQ(WHvRunVpExitReasonCanceled, t.exit.ExitReason);
	EXPECT_EQ(0, d32(&vm, 0x00));
	memset(&act, 0, sizeof(act));
	ASSERT_EQ(S_OK, WHvGetVirtualProcessorRegisters(vm.part, 0, &name, 1, &act));
	EXPECT_EQ(1, (UINT32)act.InternalActivity.HaltSuspend);
	EXPECT_EQ(0, (UINT32)act.InternalActivity.StartupSuspend);

	/* Run again: still halted until the interrupt. */
	EXPECT_TRUE(halt_start_thread(&vm, &t));
	EXPECT_EQ(S_OK, vm_interrupt(&vm, WHvX64InterruptTypeFixed, 0, 0x41,
				     false, false));
	EXPECT_TRUE(vp_thread_join(&t, 10000));
	expect_io(_metadata, t.hr, &t.exit, PORT_DONE);
	EXPECT_EQ(1, d32(&vm, 0x00));
	EXPECT_EQ(0, vm_get(&vm, 0, WHvRegisterInternalActivityState) & 2);
	vm_destroy(&vm);
}

static volatile sig_atomic_t halt_signals;

static void halt_on_signal(int sig)
{
	halt_signals++;
}

/*
 * A signal to the thread of a halted VP runs its handler at once (the
 * sleep is interruptible) and the VP stays halted: libwhv goes straight
 * back into the run, and only the interrupt ends it.
 */
TEST(hlt_signal_runs_handler_vp_stays_halted)
{
	struct sigaction sa = { .sa_handler = halt_on_signal };
	struct vp_thread t;
	struct test_vm vm;
	int i;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	halt_setup(_metadata, &vm);
	EXPECT_TRUE(halt_start_thread(&vm, &t));
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(0, pthread_kill(t.thread, SIGUSR1));
		for (int ms = 0; ms < 5000 && halt_signals <= i; ms++)
			usleep(1000);
		EXPECT_EQ(i + 1, halt_signals);
	}
	usleep(20000);
	EXPECT_FALSE(vp_thread_done(&t));
	EXPECT_EQ(0, d32(&vm, 0x00));
	EXPECT_EQ(S_OK, vm_interrupt(&vm, WHvX64InterruptTypeFixed, 0, 0x41,
				     false, false));
	EXPECT_TRUE(vp_thread_join(&t, 10000));
	expect_io(_metadata, t.hr, &t.exit, PORT_DONE);
	EXPECT_EQ(1, d32(&vm, 0x00));
	vm_destroy(&vm);
	signal(SIGUSR1, SIG_DFL);
}

/* ---- c. The APIC timer ---------------------------------------------------------------------- */

/*
 * In: 0x30 LVT timer, 0x34 divide, 0x38 initial count, 0x3c LVT value the
 * handler writes at the last tick (0: none), 0x40 ticks to wait for,
 * 0x44 TSC-deadline mode, 0x48 deadline - TSC. Out: 0x00 ticks, 0x08 TSC
 * at the last tick, 0x50 deadline, 0x58 current count after arming,
 * 0x5c current count after the wait, 0x60 IA32_TSC_DEADLINE after it,
 * 0x68 ticks after a VMM pause, 0x70 CPUID.1:ECX.
 */
GUEST_CODE(tmr, ".code64",
	"	mov $0xfee00000, %esi\n"
	"	movl $0x1ff, 0xf0(%rsi)\n"
	"	mov $1, %eax\n	cpuid\n	mov %ecx, 0x5070\n"
	"	mov 0x5034, %eax\n	mov %eax, 0x3e0(%rsi)\n"
	"	mov 0x5030, %eax\n	mov %eax, 0x320(%rsi)\n"
	"	cmpl $0, 0x5044\n	je 1f\n"
	"	rdtsc\n	shl $32, %rdx\n	or %rdx, %rax\n"
	"	add 0x5048, %rax\n	mov %rax, 0x5050\n"
	"	mov %rax, %rdx\n	shr $32, %rdx\n"
	"	mov $0x6e0, %ecx\n	wrmsr\n"
	"	jmp 2f\n"
	"1:	mov 0x5038, %eax\n	mov %eax, 0x380(%rsi)\n"
	"	mov 0x390(%rsi), %eax\n	mov %eax, 0x5058\n"
	"2:	sti\n	hlt\n	cli\n"
	"	mov 0x5000, %eax\n	cmp 0x5040, %eax\n	jb 2b\n"
	"	mov 0x390(%rsi), %eax\n	mov %eax, 0x505c\n"
	"	cmpl $0, 0x5044\n	je 3f\n"
	"	mov $0x6e0, %ecx\n	rdmsr\n	mov %eax, 0x5060\n	mov %edx, 0x5064\n"
	"3:	out %al, $0x81\n"
	"	sti\n	nop\n	nop\n	cli\n"
	"	mov 0x5000, %eax\n	mov %eax, 0x5068\n"
	"	out %al, $0x80\n"
	GL(tmr_irq)
	"	push %rax\n	push %rdx\n	push %rsi\n"
	"	mov $0xfee00000, %esi\n"
	"	rdtsc\n	mov %eax, 0x5008\n	mov %edx, 0x500c\n"
	"	incl 0x5000\n"
	"	mov 0x5000, %eax\n	cmp 0x5040, %eax\n	jne 1f\n"
	"	mov 0x503c, %eax\n	test %eax, %eax\n	jz 1f\n"
	"	mov %eax, 0x320(%rsi)\n"
	"1:	movl $0, 0xb0(%rsi)\n"
	"	pop %rsi\n	pop %rdx\n	pop %rax\n"
	"	iretq\n");
extern const uint8_t tmr_irq[];

#define TMR_VEC		0x50

static UINT64 apic_hz(struct __test_metadata *_metadata)
{
	UINT64 hz = 0;
	UINT32 written = 0;

	EXPECT_EQ(S_OK, WHvGetCapability(WHvCapabilityCodeInterruptClockFrequency,
					 &hz, sizeof(hz), &written));
	EXPECT_EQ(200000000, hz);
	return hz ? hz : 200000000;
}

/* Run the timer guest: to its pause, 20 ms of host time, to its end. */
static uint64_t tmr_run(struct __test_metadata *_metadata, struct test_vm *vm)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	uint64_t t0 = now_ns(), t1;

	vm_idt_gate64(vm, IDT, TMR_VEC, GA(tmr, tmr_irq));
	expect_io(_metadata, vm_run(vm, 0, &exit), &exit, PORT_STEP);
	t1 = now_ns();
	usleep(20000);
	vm_skip(vm, 0, &exit);
	expect_io(_metadata, vm_run(vm, 0, &exit), &exit, PORT_DONE);
	return t1 - t0;
}

TEST(timer_one_shot)
{
	struct test_vm vm;
	UINT32 count;
	uint64_t ns;

	apic_vm(_metadata, &vm, 1, WHvX64LocalApicEmulationModeXApic,
		tmr_start, tmr_end);
	count = apic_hz(_metadata) / 1000;		/* 1 ms, divide by 1 */
	set_d32(&vm, 0x30, TMR_VEC);
	set_d32(&vm, 0x34, 0xb);
	set_d32(&vm, 0x38, count);
	set_d32(&vm, 0x40, 1);
	ns = tmr_run(_metadata, &vm);
	EXPECT_EQ(1, d32(&vm, 0x00));
	EXPECT_EQ(1, d32(&vm, 0x68));		/* and no second tick */
	EXPECT_LE(d32(&vm, 0x58), count);
	EXPECT_EQ(0, d32(&vm, 0x5c));		/* expired */
	EXPECT_LE(900000, ns);			/* never early */
	EXPECT_EQ(count, vm_get(&vm, 0, WHvX64RegisterApicInitCount));
	EXPECT_EQ(0, vm_get(&vm, 0, WHvX64RegisterApicCurrentCount));
	vm_destroy(&vm);
}

TEST(timer_periodic_until_masked)
{
	const UINT32 ticks = 5;
	struct test_vm vm;
	UINT32 count;
	uint64_t ns;

	apic_vm(_metadata, &vm, 1, WHvX64LocalApicEmulationModeXApic,
		tmr_start, tmr_end);
	count = apic_hz(_metadata) / 16 / 500;		/* 2 ms, divide by 16 */
	set_d32(&vm, 0x30, TMR_VEC | 1 << 17);
	set_d32(&vm, 0x34, 0x3);
	set_d32(&vm, 0x38, count);
	set_d32(&vm, 0x3c, TMR_VEC | 1 << 17 | 1 << 16);	/* masked */
	set_d32(&vm, 0x40, ticks);
	ns = tmr_run(_metadata, &vm);
	/*
	 * One more may have been in IRR when the handler masked the timer
	 * (a late handler): masking does not take it back.
	 */
	EXPECT_LE(ticks, d32(&vm, 0x00));
	EXPECT_GE(ticks + 1, d32(&vm, 0x00));
	EXPECT_EQ(d32(&vm, 0x00), d32(&vm, 0x68));
	EXPECT_LE(ticks * 2000000ULL * 9 / 10, ns);
	EXPECT_EQ(TMR_VEC | 1 << 17 | 1 << 16,
		  vm_get(&vm, 0, WHvX64RegisterApicLvtTimer));
	EXPECT_EQ(3, vm_get(&vm, 0, WHvX64RegisterApicDivide));
	vm_destroy(&vm);
}

TEST(timer_tsc_deadline)
{
	struct test_vm vm;
	UINT64 deadline;

	apic_vm(_metadata, &vm, 1, WHvX64LocalApicEmulationModeXApic,
		tmr_start, tmr_end);
	set_d32(&vm, 0x30, TMR_VEC | 2 << 17);
	set_d32(&vm, 0x34, 0xb);
	set_d32(&vm, 0x40, 1);
	set_d32(&vm, 0x44, 1);
	set_d64(&vm, 0x48, 2000000);		/* TSC cycles: ~1 ms */
	tmr_run(_metadata, &vm);
	EXPECT_EQ(1 << 24, d32(&vm, 0x70) & 1 << 24);
	deadline = d64(&vm, 0x50);
	EXPECT_EQ(1, d32(&vm, 0x00));
	EXPECT_EQ(1, d32(&vm, 0x68));
	EXPECT_LE(deadline, d64(&vm, 0x08));	/* not before the deadline */
	EXPECT_EQ(0, d64(&vm, 0x60));		/* disarmed once it fired */
	EXPECT_EQ(0, vm_get(&vm, 0, WHvX64RegisterTscDeadline));
	vm_destroy(&vm);
}

/* The current count runs down; an initial count of 0 stops the timer. */
GUEST_CODE(tcnt, ".code64",
	"	mov $0xfee00000, %esi\n"
	"	movl $0x10050, 0x320(%rsi)\n"		/* one-shot, masked */
	"	movl $0xa, 0x3e0(%rsi)\n"		/* divide by 128 */
	"	movl $0xffffffff, 0x380(%rsi)\n"	/* ~45 min */
	"	mov 0x390(%rsi), %eax\n	mov %eax, 0x5000\n"
	"	out %al, $0x81\n"
	"	mov 0x390(%rsi), %eax\n	mov %eax, 0x5004\n"
	"	movl $0, 0x380(%rsi)\n"
	"	mov 0x390(%rsi), %eax\n	mov %eax, 0x5008\n"
	"	out %al, $0x80\n");

TEST(timer_current_count)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	apic_vm(_metadata, &vm, 1, WHvX64LocalApicEmulationModeXApic,
		tcnt_start, tcnt_end);
	expect_io(_metadata, vm_run(&vm, 0, &exit), &exit, PORT_STEP);
	usleep(10000);
	vm_skip(&vm, 0, &exit);
	expect_io(_metadata, vm_run(&vm, 0, &exit), &exit, PORT_DONE);
	EXPECT_GT(d32(&vm, 0x00), 0);
	EXPECT_GT(d32(&vm, 0x00), d32(&vm, 0x04));	/* 10 ms: ~15600 less */
	EXPECT_GT(d32(&vm, 0x04), 0);
	EXPECT_EQ(0, d32(&vm, 0x08));
	vm_destroy(&vm);
}

/*
 * TSC-deadline edge cases: a deadline past any reachable TSC never fires
 * (and does not trouble the host's arithmetic); the VMM's TscDeadline
 * register arms the timer like the guest's MSR, a past deadline at once.
 */
GUEST_CODE(far, ".code64",
	"	mov $0xfee00000, %esi\n"
	"	movl $0x1ff, 0xf0(%rsi)\n"
	"	movl $0x40043, 0x320(%rsi)\n"		/* TSC-deadline, 0x43 */
	"	mov $0x6e0, %ecx\n	mov $-1, %eax\n	mov $-1, %edx\n	wrmsr\n"
	"	sti\n"
	"	out %al, $0x81\n"
	"1:	cli\n	cmpl $0, 0x5000\n	jne 2f\n	sti\n	hlt\n	jmp 1b\n"
	"2:	out %al, $0x80\n"
	GL(far_tick)
	"	incl 0x5000\n	movl $0, 0xb0(%rsi)\n	iretq\n");
extern const uint8_t far_tick[];

TEST(timer_tsc_deadline_far_and_from_vmm)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	apic_vm(_metadata, &vm, 1, WHvX64LocalApicEmulationModeXApic,
		far_start, far_end);
	vm_idt_gate64(&vm, IDT, 0x43, GA(far, far_tick));
	expect_io(_metadata, vm_run(&vm, 0, &exit), &exit, PORT_STEP);
	vm_skip(&vm, 0, &exit);
	EXPECT_EQ(~0ULL, vm_get(&vm, 0, WHvX64RegisterTscDeadline));
	usleep(20000);
	EXPECT_EQ(0, d32(&vm, 0x00));
	/* A deadline in the past, from the VMM: fires before the next run. */
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterTscDeadline, 1));
	expect_io(_metadata, vm_run(&vm, 0, &exit), &exit, PORT_DONE);
	EXPECT_EQ(1, d32(&vm, 0x00));
	EXPECT_EQ(0, vm_get(&vm, 0, WHvX64RegisterTscDeadline));
	vm_destroy(&vm);
}

TEST(interrupt_clock_frequency)
{
	UINT64 hz = 0;
	UINT32 written = 0;

	ASSERT_EQ(S_OK, WHvGetCapability(WHvCapabilityCodeInterruptClockFrequency,
					 &hz, sizeof(hz), &written));
	EXPECT_EQ(sizeof(hz), written);
	EXPECT_EQ(200000000, hz);
}

/* ---- f. x2APIC ------------------------------------------------------------------------------ */

/* Out: 0x00/04 APIC_BASE before, 0x08 after, 0x0c ID, 0x10 LDR, 0x20 IPIs, 0x24/28 ISR3. */
GUEST_CODE(x2, ".code64",
	"	mov $1, %eax\n	cpuid\n	mov %ecx, 0x5070\n"
	"	mov $0x1b, %ecx\n	rdmsr\n	mov %eax, 0x5000\n	mov %edx, 0x5004\n"
	"	or $0xc00, %eax\n	wrmsr\n"
	"	rdmsr\n	mov %eax, 0x5008\n"
	"	mov $0x802, %ecx\n	rdmsr\n	mov %eax, 0x500c\n"
	"	mov $0x80d, %ecx\n	rdmsr\n	mov %eax, 0x5010\n"
	"	mov $0x80f, %ecx\n	mov $0x1ff, %eax\n	xor %edx, %edx\n	wrmsr\n"
	"	mov $0x83f, %ecx\n	mov $0x70, %eax\n	wrmsr\n"
	"	sti\n	hlt\n	cli\n"
	"	out %al, $0x80\n"
	GL(x2_irq)
	"	push %rax\n	push %rcx\n	push %rdx\n"
	"	incl 0x5020\n"
	"	mov $0x813, %ecx\n	rdmsr\n	mov %eax, 0x5024\n"
	"	mov $0x80b, %ecx\n	xor %eax, %eax\n	xor %edx, %edx\n	wrmsr\n"
	"	mov $0x813, %ecx\n	rdmsr\n	mov %eax, 0x5028\n"
	"	pop %rdx\n	pop %rcx\n	pop %rax\n"
	"	iretq\n");
extern const uint8_t x2_irq[];

/* On VP 1, so that its ID and LDR are not zero. */
TEST(x2apic_msrs_self_ipi_eoi)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	apic_vm(_metadata, &vm, 2, WHvX64LocalApicEmulationModeX2Apic,
		x2_start, x2_end);
	vm_idt_gate64(&vm, IDT, 0x70, GA(x2, x2_irq));
	ASSERT_EQ(S_OK, vm_set(&vm, 1, WHvRegisterInternalActivityState, 0));
	expect_io(_metadata, vm_run(&vm, 1, &exit), &exit, PORT_DONE);
	EXPECT_EQ(1 << 21, d32(&vm, 0x70) & 1 << 21);
	EXPECT_EQ(0xfee00800, d32(&vm, 0x00));	/* enabled, not the BSP */
	EXPECT_EQ(0, d32(&vm, 0x04));
	EXPECT_EQ(0xfee00c00, d32(&vm, 0x08));
	EXPECT_EQ(1, d32(&vm, 0x0c));
	EXPECT_EQ(2, d32(&vm, 0x10));		/* cluster 0, bit 1 */
	EXPECT_EQ(1, d32(&vm, 0x20));
	EXPECT_EQ(1 << 16, d32(&vm, 0x24));	/* vector 0x70 in service */
	EXPECT_EQ(0, d32(&vm, 0x28));
	EXPECT_EQ(0xfee00c00, vm_get(&vm, 1, WHvX64RegisterApicBase));
	vm_destroy(&vm);
}

GUEST_CODE(x2gp, ".code64",
	"	mov $1, %eax\n	cpuid\n	mov %ecx, 0x5070\n"
	"	mov $0x1b, %ecx\n	rdmsr\n	or $0x400, %eax\n"
	GL(x2gp_wrmsr)
	"	wrmsr\n"
	"	rdmsr\n	mov %eax, 0x5008\n"
	"	out %al, $0x80\n"
	GL(x2gp_gp)
	"	incl 0x5030\n"
	"	push %rax\n	mov 16(%rsp), %rax\n	mov %rax, 0x5038\n	pop %rax\n"
	"	addq $2, 8(%rsp)\n"			/* past the WRMSR */
	"	add $8, %rsp\n"				/* error code */
	"	iretq\n");
extern const uint8_t x2gp_wrmsr[], x2gp_gp[];

TEST(xapic_mode_refuses_x2apic_enable)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	apic_vm(_metadata, &vm, 1, WHvX64LocalApicEmulationModeXApic,
		x2gp_start, x2gp_end);
	vm_idt_gate64(&vm, IDT, 13, GA(x2gp, x2gp_gp));
	expect_io(_metadata, vm_run(&vm, 0, &exit), &exit, PORT_DONE);
	EXPECT_EQ(0, d32(&vm, 0x70) & 1 << 21);
	EXPECT_EQ(1, d32(&vm, 0x30));
	EXPECT_EQ(GA(x2gp, x2gp_wrmsr), d64(&vm, 0x38));
	EXPECT_EQ(0xfee00900, d32(&vm, 0x08));
	EXPECT_EQ(0xfee00900, vm_get(&vm, 0, WHvX64RegisterApicBase));
	vm_destroy(&vm);
}

/* ---- g. Interrupt controller state, target sets, bad arguments ------------------------------ */

TEST(state_reset_values_and_round_trip)
{
	static uint8_t page[APIC_PAGE], back[APIC_PAGE];
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	UINT32 off;

	irq_setup(_metadata, &vm, 2);
	get_page(_metadata, &vm, 1, page);
	/* Power-up state (SDM 10.4.7.1). */
	EXPECT_EQ(1U << 24, page32(page, 0x20));
	EXPECT_LE(0x10, page32(page, 0x30) & 0xff);	/* integrated APIC */
	EXPECT_LE(4, (page32(page, 0x30) >> 16) & 0xff);	/* >= 5 LVTs */
	EXPECT_EQ(0, page32(page, 0x80));
	EXPECT_EQ(0, page32(page, 0xd0));
	EXPECT_EQ(0xffffffff, page32(page, 0xe0));
	EXPECT_EQ(0xff, page32(page, 0xf0));
	for (off = 0x320; off <= 0x370; off += 0x10)
		EXPECT_EQ(0x10000, page32(page, off) & 0x10000);
	for (off = 0x100; off < 0x280; off += 0x10)	/* ISR, TMR, IRR */
		EXPECT_EQ(0, page32(page, off));
	EXPECT_EQ(0, page32(page, 0x380));

	/* Round trip, and the registers by name see the same. */
	set_page32(page, 0x80, 0x20);
	set_page32(page, 0xd0, 0x04000000);
	set_page32(page, 0xf0, 0x1ff);
	set_page32(page, 0x320, 0x20055);
	set_page32(page, 0x350, 0x700);
	set_page32(page, 0x3e0, 0x9);
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorInterruptControllerState2(vm.part,
				1, page, APIC_PAGE));
	get_page(_metadata, &vm, 1, back);
	for (off = 0x80; off <= 0x3e0; off += 0x10)
		if (off != 0x390 && off != 0xa0)	/* current count, PPR */
			EXPECT_EQ(page32(page, off), page32(back, off)) {
				TH_LOG("offset 0x%x", off);
			}
	EXPECT_EQ(0x20, vm_get(&vm, 1, WHvX64RegisterApicTpr));
	EXPECT_EQ(2, vm_get(&vm, 1, WHvX64RegisterCr8));
	EXPECT_EQ(0x04000000, vm_get(&vm, 1, WHvX64RegisterApicLdr));
	EXPECT_EQ(0x1ff, vm_get(&vm, 1, WHvX64RegisterApicSpurious));
	EXPECT_EQ(0x20055, vm_get(&vm, 1, WHvX64RegisterApicLvtTimer));
	EXPECT_EQ(0x700, vm_get(&vm, 1, WHvX64RegisterApicLvtLint0));
	EXPECT_EQ(0x9, vm_get(&vm, 1, WHvX64RegisterApicDivide));
	/* VP 0 untouched. */
	get_page(_metadata, &vm, 0, back);
	EXPECT_EQ(0, page32(back, 0x80));
	EXPECT_EQ(0xff, page32(back, 0xf0));

	/* An IRR bit restored through the page is delivered at STI. */
	get_page(_metadata, &vm, 0, page);
	set_page32(page, 0xf0, 0x1ff);
	set_page32(page, 0x230, 1 << (0x71 - 0x60));
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorInterruptControllerState2(vm.part,
				0, page, APIC_PAGE));
	EXPECT_EQ(1 << (0x71 - 0x60), vm_get(&vm, 0, WHvX64RegisterApicIrr3));
	irq_to_step(_metadata, &vm, &exit);
	expect_io(_metadata, vm_run(&vm, 0, &exit), &exit, PORT_DONE);
	EXPECT_EQ(1, d32(&vm, 0x00));
	EXPECT_EQ(GA(irq, irq_taken), irq_taken_at(_metadata, &vm));
	EXPECT_EQ(0, vm_get(&vm, 0, WHvX64RegisterApicIrr3));
	EXPECT_EQ(0, vm_get(&vm, 0, WHvX64RegisterApicIsr3));
	vm_destroy(&vm);
}

static void expect_targets(struct __test_metadata *_metadata,
			   struct test_vm *vm, UINT64 dest, bool logical,
			   UINT32 want_mask)
{
	UINT32 vps[8], n = 99, i, mask = 0;

	memset(vps, 0xff, sizeof(vps));
	ASSERT_EQ(S_OK, WHvGetInterruptTargetVpSet(vm->part, dest,
			logical ? WHvX64InterruptDestinationModeLogical :
				  WHvX64InterruptDestinationModePhysical,
			vps, 8, &n));
	ASSERT_GE(8, n);
	for (i = 0; i < n; i++) {
		ASSERT_GT(4, vps[i]);
		EXPECT_EQ(0, mask & 1 << vps[i]);	/* no duplicates */
		mask |= 1 << vps[i];
	}
	EXPECT_EQ(want_mask, mask) {
		TH_LOG("destination 0x%llx %s", (unsigned long long)dest,
		       logical ? "logical" : "physical");
	}
}

/* WHvResetPartition puts each APIC back to its power-up state too. */
TEST(reset_partition_resets_apic)
{
	static uint8_t page[APIC_PAGE];
	struct test_vm vm;
	UINT32 off;

	apic_vm(_metadata, &vm, 2, WHvX64LocalApicEmulationModeXApic,
		far_start, far_end);
	get_page(_metadata, &vm, 1, page);
	set_page32(page, 0x20, 7U << 24);		/* ID */
	set_page32(page, 0x80, 0x30);			/* TPR */
	set_page32(page, 0xf0, 0x1ff);			/* enabled */
	set_page32(page, 0x320, 0x20040);		/* periodic, 0x40 */
	set_page32(page, 0x380, 0x10000000);		/* armed */
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorInterruptControllerState2(vm.part,
				1, page, APIC_PAGE));
	ASSERT_EQ(S_OK, vm_interrupt(&vm, WHvX64InterruptTypeFixed, 7, 0x51,
				     false, true));
	ASSERT_EQ(S_OK, vm_set(&vm, 1, WHvRegisterInternalActivityState, 2));
	ASSERT_EQ(S_OK, vm_set(&vm, 1, WHvX64RegisterApicBase, 0xfed00000 | 0x800));
	EXPECT_NE(0, vm_get(&vm, 1, WHvX64RegisterApicCurrentCount));

	ASSERT_EQ(S_OK, WHvResetPartition(vm.part));
	EXPECT_EQ(0xfee00800, vm_get(&vm, 1, WHvX64RegisterApicBase));
	EXPECT_EQ(0, vm_get(&vm, 1, WHvRegisterInternalActivityState));
	EXPECT_EQ(0, vm_get(&vm, 1, WHvX64RegisterCr8));
	get_page(_metadata, &vm, 1, page);
	EXPECT_EQ(1U << 24, page32(page, 0x20));
	EXPECT_EQ(0, page32(page, 0x80));
	EXPECT_EQ(0xff, page32(page, 0xf0));
	EXPECT_EQ(0x10000, page32(page, 0x320));
	EXPECT_EQ(0, page32(page, 0x380));
	EXPECT_EQ(0, page32(page, 0x390));
	for (off = 0x100; off < 0x280; off += 0x10)	/* ISR, TMR, IRR */
		EXPECT_EQ(0, page32(page, off));
	vm_destroy(&vm);
}

TEST(interrupt_target_vp_set)
{
	UINT32 vps[4], n = 0, vp;
	struct test_vm vm;

	irq_setup(_metadata, &vm, 4);
	expect_targets(_metadata, &vm, 2, false, 1 << 2);
	expect_targets(_metadata, &vm, 0, false, 1 << 0);
	expect_targets(_metadata, &vm, 0xff, false, 0xf);	/* broadcast */
	expect_targets(_metadata, &vm, 9, false, 0);
	/* Flat model: LDR bit 24+n on VP n. */
	for (vp = 0; vp < 4; vp++) {
		ASSERT_EQ(S_OK, vm_set(&vm, vp, WHvX64RegisterApicLdr,
				       1U << (24 + vp)));
		ASSERT_EQ(S_OK, vm_set(&vm, vp, WHvX64RegisterApicSpurious, 0x1ff));
	}
	expect_targets(_metadata, &vm, 0x0a, true, 0x0a);
	expect_targets(_metadata, &vm, 0x01, true, 0x01);
	expect_targets(_metadata, &vm, 0xf0, true, 0);
	/*
	 * Documented (WHvGetInterruptTargetVpSet.md): E_INVALIDARG for a bad
	 * mode or fewer entries than the partition has VPs, no size query.
	 */
	EXPECT_EQ(E_INVALIDARG, WHvGetInterruptTargetVpSet(vm.part, 2,
			WHvX64InterruptDestinationModePhysical, vps, 3, &n));
	EXPECT_EQ(E_INVALIDARG, WHvGetInterruptTargetVpSet(vm.part, 2,
			(WHV_INTERRUPT_DESTINATION_MODE)2, vps, 4, &n));
	vm_destroy(&vm);
}

/* x2APIC: 32-bit IDs, logical cluster (ID / 16) << 16 | 1 << (ID % 16). */
TEST(interrupt_target_vp_set_x2apic)
{
	struct test_vm vm;
	UINT32 vp;

	apic_vm(_metadata, &vm, 4, WHvX64LocalApicEmulationModeX2Apic,
		far_start, far_end);
	for (vp = 0; vp < 4; vp++) {
		ASSERT_EQ(S_OK, vm_set(&vm, vp, WHvX64RegisterApicBase,
				       0xfee00c00 | (vp ? 0 : 0x100)));
		EXPECT_EQ(vp, vm_get(&vm, vp, WHvX64RegisterApicId));
		EXPECT_EQ(1U << vp, vm_get(&vm, vp, WHvX64RegisterApicLdr));
	}
	expect_targets(_metadata, &vm, 2, false, 0x4);
	expect_targets(_metadata, &vm, 0xff, false, 0);	/* not broadcast */
	expect_targets(_metadata, &vm, 0xffffffff, false, 0xf);
	expect_targets(_metadata, &vm, 0x0000000a, true, 0xa);
	expect_targets(_metadata, &vm, 0x0001000f, true, 0);	/* cluster 1 */
	vm_destroy(&vm);
}

TEST(bad_arguments)
{
	static uint8_t page[APIC_PAGE];
	WHV_INTERRUPT_CONTROL ic;
	UINT32 written = 0, vps[4], n;
	static const UINT32 bad_types[] = { 2, 3, 7, 8, 10, 0xff };
	struct test_vm vm;
	unsigned int i;

	irq_setup(_metadata, &vm, 1);
	memset(&ic, 0, sizeof(ic));
	ic.Type = WHvX64InterruptTypeFixed;
	ic.Vector = 0x41;
	EXPECT_EQ(E_INVALIDARG, WHvRequestInterrupt(vm.part, &ic, sizeof(ic) - 8));
	EXPECT_EQ(E_POINTER, WHvRequestInterrupt(vm.part, NULL, sizeof(ic)));
	for (i = 0; i < ARRAY_SIZE(bad_types); i++)
		EXPECT_EQ(E_INVALIDARG, vm_interrupt(&vm, bad_types[i], 0, 0x41,
						     false, false)) {
			TH_LOG("type %u", bad_types[i]);
		}
	EXPECT_EQ(E_INVALIDARG, vm_interrupt(&vm, WHvX64InterruptTypeFixed, 0,
					     0x100, false, false));
	ic.DestinationMode = 2;
	EXPECT_EQ(E_INVALIDARG, WHvRequestInterrupt(vm.part, &ic, sizeof(ic)));
	ic.DestinationMode = 0;
	ic.TriggerMode = 2;
	EXPECT_EQ(E_INVALIDARG, WHvRequestInterrupt(vm.part, &ic, sizeof(ic)));
	/*
	 * A destination no VP has is accepted and dropped, as on the bus:
	 * VMMs route guest-programmed IOAPIC/MSI destinations here as is.
	 */
	EXPECT_EQ(S_OK, vm_interrupt(&vm, WHvX64InterruptTypeFixed, 7, 0x41,
				     false, false));
	EXPECT_EQ(0, vm_get(&vm, 0, WHvX64RegisterApicIrr2));

	/* Documented for the state functions: too small, and the size needed. */
	EXPECT_EQ(WHV_E_INSUFFICIENT_BUFFER,
		  WHvGetVirtualProcessorInterruptControllerState2(vm.part, 0,
				page, APIC_PAGE - 1, &written));
	EXPECT_EQ(APIC_PAGE, written);
	get_page(_metadata, &vm, 0, page);
	EXPECT_EQ(E_INVALIDARG, WHvSetVirtualProcessorInterruptControllerState2(
				vm.part, 0, page, APIC_PAGE - 1));
	EXPECT_EQ(WHV_E_VP_DOES_NOT_EXIST,
		  WHvGetVirtualProcessorInterruptControllerState2(vm.part, 1,
				page, APIC_PAGE, &written));
	vm_destroy(&vm);

	/*
	 * No local APIC: documented for WHvGetInterruptTargetVpSet as
	 * HRESULT_FROM_WIN32(ERROR_HV_OPERATION_DENIED); the others the same.
	 */
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	EXPECT_EQ(E_HV_OPERATION_DENIED, WHvGetInterruptTargetVpSet(vm.part, 0,
			WHvX64InterruptDestinationModePhysical, vps, 1, &n));
	EXPECT_EQ(E_HV_OPERATION_DENIED, vm_interrupt(&vm, WHvX64InterruptTypeFixed,
						      0, 0x41, false, false));
	EXPECT_EQ(E_HV_OPERATION_DENIED,
		  WHvGetVirtualProcessorInterruptControllerState2(vm.part, 0,
				page, APIC_PAGE, &written));
	EXPECT_EQ(E_HV_OPERATION_DENIED,
		  WHvSetVirtualProcessorInterruptControllerState2(vm.part, 0,
				page, APIC_PAGE));
	vm_destroy(&vm);
}

/* ---- h. Registers by name ------------------------------------------------------------------- */

/* Out: 0x00 TSC_DEADLINE, 0x08 TPR, 0x10 CR8. */
GUEST_CODE(regs, ".code64",
	"	mov $0xfee00000, %esi\n"
	"	mov $0x6e0, %ecx\n	rdmsr\n	mov %eax, 0x5000\n	mov %edx, 0x5004\n"
	"	mov 0x80(%rsi), %eax\n	mov %eax, 0x5008\n"
	"	mov %cr8, %rax\n	mov %rax, 0x5010\n"
	"	movl $0x03000000, 0x310(%rsi)\n"	/* ICR high: sends nothing */
	"	out %al, $0x80\n");

TEST(apic_registers_by_name)
{
	static uint8_t page[APIC_PAGE];
	WHV_RUN_VP_EXIT_CONTEXT exit;
	const UINT64 deadline = 0x0123456789abcdefULL;
	struct test_vm vm;

	apic_vm(_metadata, &vm, 2, WHvX64LocalApicEmulationModeXApic,
		regs_start, regs_end);
	EXPECT_EQ(0xfee00900, vm_get(&vm, 0, WHvX64RegisterApicBase));	/* BSP */
	EXPECT_EQ(0xfee00800, vm_get(&vm, 1, WHvX64RegisterApicBase));
	EXPECT_EQ(0, vm_get(&vm, 0, WHvX64RegisterApicId));
	EXPECT_EQ(1U << 24, vm_get(&vm, 1, WHvX64RegisterApicId));

	ASSERT_EQ(S_OK, vm_set(&vm, 1, WHvRegisterInternalActivityState, 1));
	EXPECT_EQ(1, vm_get(&vm, 1, WHvRegisterInternalActivityState));
	ASSERT_EQ(S_OK, vm_set(&vm, 1, WHvRegisterInternalActivityState, 0));
	EXPECT_EQ(0, vm_get(&vm, 1, WHvRegisterInternalActivityState));

	/* Set by name, seen in the page, by CR8 and by the guest. */
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterApicTpr, 0x30));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterApicSpurious, 0x1ff));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterApicLvtTimer,
			       TMR_VEC | 2 << 17 | 1 << 16));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterTscDeadline, deadline));
	ASSERT_EQ(S_OK, vm_set(&vm, 1, WHvX64RegisterApicDivide, 0xb));
	ASSERT_EQ(S_OK, vm_set(&vm, 1, WHvX64RegisterApicInitCount, 0x12345678));
	EXPECT_EQ(0x30, vm_get(&vm, 0, WHvX64RegisterApicTpr));
	EXPECT_EQ(3, vm_get(&vm, 0, WHvX64RegisterCr8));
	EXPECT_EQ(deadline, vm_get(&vm, 0, WHvX64RegisterTscDeadline));
	EXPECT_EQ(0xb, vm_get(&vm, 1, WHvX64RegisterApicDivide));
	EXPECT_EQ(0x12345678, vm_get(&vm, 1, WHvX64RegisterApicInitCount));
	EXPECT_GE(0x12345678, vm_get(&vm, 1, WHvX64RegisterApicCurrentCount));
	get_page(_metadata, &vm, 0, page);
	EXPECT_EQ(0x30, page32(page, 0x80));
	EXPECT_EQ(0x1ff, page32(page, 0xf0));
	EXPECT_EQ(TMR_VEC | 2 << 17 | 1 << 16, page32(page, 0x320));
	get_page(_metadata, &vm, 1, page);
	EXPECT_EQ(0xb, page32(page, 0x3e0));
	EXPECT_EQ(0x12345678, page32(page, 0x380));

	expect_io(_metadata, vm_run(&vm, 0, &exit), &exit, PORT_DONE);
	EXPECT_EQ(deadline, d64(&vm, 0x00));
	EXPECT_EQ(0x30, d32(&vm, 0x08));
	EXPECT_EQ(3, d64(&vm, 0x10));
	/* ICR is one 64-bit register: the high half is bits 63:32. */
	EXPECT_EQ(0x03000000ULL << 32, vm_get(&vm, 0, WHvX64RegisterApicIcr));
	get_page(_metadata, &vm, 0, page);
	EXPECT_EQ(0x03000000, page32(page, 0x310));
	vm_destroy(&vm);
}

TEST_HARNESS_MAIN
