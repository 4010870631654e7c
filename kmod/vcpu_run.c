// SPDX-License-Identifier: GPL-2.0
/*
 * The run loop: enter the guest, complete in the kernel what WHv completes
 * (CPUID and MSRs nobody asked to see, nested page faults, XSETBV), and
 * return to userspace with a WHv exit context for the rest.
 *
 * Guest FPU state goes in when the guest first uses it (guest_fpu.c) and
 * out at the end of the run; XCR0 is switched only inside the
 * interrupts-off window, and only when guest and host differ.
 */
#include <linux/sched/signal.h>
#include <linux/task_work.h>
#include <linux/hw_breakpoint.h>
#include <linux/uaccess.h>
#include <asm/debugreg.h>
#include <asm/fpu/xcr.h>
#include <asm/nospec-branch.h>
#include <asm/special_insns.h>
#include <asm/trapnr.h>
#include <asm/msr-index.h>
#include "whv.h"
#include "guest_state.h"
#include "fetch.h"
#include "run_page.h"

/* whv_enter_once() results besides 0 (entered, @info filled in) */
#define WHV_RUN_CANCELED	1
#define WHV_RUN_RETRY		2

/* DR7 bits 11, 12, 14 and 15 read as zero; DR6 has 4 + 3 writable bits. */
#define DR7_RESERVED_ZERO	(BIT(11) | BIT(12) | BIT(14) | BIT(15))
#define DR6_WRITABLE		(DR_TRAP_BITS | BIT(13) | BIT(14) | BIT(15))

u64 whv_host_xcr0;		/* 0: the host has no XSAVE */

void whv_run_init(void)
{
	if (boot_cpu_has(X86_FEATURE_XSAVE))
		whv_host_xcr0 = xgetbv(XCR_XFEATURE_ENABLED_MASK);
}

static void whv_apply_requests(struct whv_vp *vp)
{
	if (!READ_ONCE(vp->requests))
		return;
	if (test_and_clear_bit(WHV_REQ_INTERCEPTS, &vp->requests))
		whv_backend->update_intercepts(vp);
	if (test_and_clear_bit(WHV_REQ_TLB_FLUSH, &vp->requests)) {
		whv_backend->flush_tlb(vp);
		/* The nested table or the ranges changed. */
		vp->fetch_page = NULL;
		vp->mmio_known = false;
	}
}

static int whv_enter_once(struct whv_vp *vp, struct whv_exit_info *info)
{
	int cpu, ret = 0;

	cond_resched();
	preempt_disable();
	if (!whv_hw_ensure_this_cpu()) {
		preempt_enable();
		return -EIO;
	}
	cpu = smp_processor_id();
	if (vp->cpu != cpu) {
		/* TLB entries tagged for this VP elsewhere are stale here. */
		set_bit(WHV_REQ_TLB_FLUSH, &vp->requests);
		WRITE_ONCE(vp->cpu, cpu);
	}
	local_irq_disable();
	if (test_thread_flag(TIF_NEED_FPU_LOAD))
		switch_fpu_return();
	WRITE_ONCE(vp->mode, WHV_IN_GUEST);
	smp_mb();	/* pairs with whv_vp_kick() */
	if (READ_ONCE(vp->cancel)) {
		WRITE_ONCE(vp->cancel, false);
		ret = WHV_RUN_CANCELED;
	} else if (signal_pending(current) || task_work_pending(current)) {
		/*
		 * Signals and task work run on the way out to userspace (and
		 * libwhv comes straight back). Other resume work, such as the
		 * rseq notification set at every context switch, waits for the
		 * next real return: bouncing out for it would cost a round trip
		 * per reschedule.
		 */
		ret = -EINTR;
	} else if (need_resched() ||
		   test_bit(WHV_REQ_EVENT, &vp->requests)) {
		ret = WHV_RUN_RETRY;
	}
	if (ret) {
		WRITE_ONCE(vp->mode, WHV_OUTSIDE_GUEST);
		local_irq_enable();
		preempt_enable();
		return ret;
	}
	whv_apply_requests(vp);

	static_call(whv_enter)(vp, info);

	/* VMSCAPE: the guest may have trained predictors the VMM would use. */
	if (cpu_feature_enabled(X86_FEATURE_IBPB_EXIT_TO_USER))
		this_cpu_write(x86_ibpb_exit_to_user, true);
	/* VM exit leaves DR7 disabled; the host's breakpoints come back. */
	if (hw_breakpoint_active())
		hw_breakpoint_restore();
	WRITE_ONCE(vp->mode, WHV_OUTSIDE_GUEST);
	local_irq_enable();
	preempt_enable();
	return 0;
}

static void whv_inject_exception(struct whv_vp *vp, u8 vector,
				 bool has_error, u32 error)
{
	u64 ev = 1 | (WHV_PENDING_EXCEPTION << 1) | ((u64)vector << 16);

	/* Real mode pushes no error codes (and VMX refuses one there). */
	if (has_error &&
	    (whv_backend->read_reg(vp, WHV_AREG_CR0) & X86_CR0_PE))
		ev |= BIT_ULL(4) | ((u64)error << 32);
	whv_backend->write_reg(vp, WHV_AREG_PENDING_EVENT, ev);
}

/*
 * An exception the kernel raises for the guest. The hardware never
 * intercepts injected events, so when userspace asked to see this vector
 * it becomes an Exception exit here instead (returns 1), with RIP still at
 * the faulting instruction; else it is injected (returns 0).
 */
static int whv_raise_exception(struct whv_vp *vp, struct whv_exit_info *info,
			       u8 vector, bool has_error, u32 error)
{
	struct whv_partition *p = vp->part;

	if ((READ_ONCE(p->extended_exits) & WHV_EXTEXIT_EXCEPTION) &&
	    (READ_ONCE(p->exception_bitmap) & BIT_ULL(vector))) {
		if (info->kind != WHV_KEXIT_EXCEPTION)
			info->exc.param = 0;
		info->kind = WHV_KEXIT_EXCEPTION;
		info->exc.vector = vector;
		info->exc.has_error = has_error;
		info->exc.error = error;
		return 1;
	}
	/* INT3/INTO trap: the handler returns past the instruction. */
	if (info->kind == WHV_KEXIT_EXCEPTION &&
	    (vector == X86_TRAP_BP || vector == X86_TRAP_OF) &&
	    whv_skip_insn(vp, info))
		return 1;
	whv_inject_exception(vp, vector, has_error, error);
	return 0;
}

/*
 * RIP past the @len-byte instruction at @rip (wrapped outside long mode),
 * its interrupt shadow gone.
 */
static void whv_advance_rip(struct whv_vp *vp, u64 rip, u64 efer, int len)
{
	rip += len;
	static_call(whv_set_rip)(vp, (efer & EFER_LMA) ? rip : (u32)rip);
}

/* Complete the current instruction: RIP past it, interrupt shadow gone. */
int whv_skip_insn(struct whv_vp *vp, const struct whv_exit_info *info)
{
	int len = info->insn_len ? info->insn_len : whv_insn_length(vp);

	if (len <= 0)
		return -EINVAL;
	whv_advance_rip(vp, whv_backend->read_reg(vp, WHV_AREG_RIP),
			whv_backend->read_reg(vp, WHV_AREG_EFER), len);
	return 0;
}

/*
 * An instruction exit goes to userspace: report its length, which the VMM
 * adds to RIP once it has emulated it (decoded when the CPU gave none).
 */
static int whv_insn_to_user(struct whv_vp *vp, struct whv_exit_info *info)
{
	if (!info->insn_len)
		info->insn_len = max(whv_insn_length(vp), 0);
	return 1;
}

/* CPUID's default answer for the leaf and subleaf in RAX/RCX, into RAX-RDX. */
static void whv_cpuid_answer(struct whv_vp *vp)
{
	u32 r[4];

	whv_cpuid_default(vp, vp->gpr[WHV_REG_RAX], vp->gpr[WHV_REG_RCX], r);
	vp->gpr[WHV_REG_RAX] = r[0];
	vp->gpr[WHV_REG_RBX] = r[1];
	vp->gpr[WHV_REG_RCX] = r[2];
	vp->gpr[WHV_REG_RDX] = r[3];
}

static int whv_handle_cpuid(struct whv_vp *vp, struct whv_exit_info *info)
{
	if (whv_cpuid_exits(vp->part, vp->gpr[WHV_REG_RAX]))
		return whv_insn_to_user(vp, info);
	whv_cpuid_answer(vp);
	return whv_skip_insn(vp, info) ? 1 : 0;
}

/*
 * RDTSC is intercepted only while userspace asks for X64Rdtsc exits; one
 * that raced with turning them off is completed here, as the CPU would.
 */
static int whv_handle_rdtsc(struct whv_vp *vp, struct whv_exit_info *info)
{
	u64 tsc;

	info->rdtsc.host_tsc = rdtsc();
	/*
	 * QEMU's SVM reports an intercepted RDTSCP as RDTSC when both are
	 * intercepted; an RDTSC is 2 bytes unless prefixed, so look.
	 */
	if (!info->rdtsc.rdtscp && info->insn_len != 2)
		info->rdtsc.rdtscp = whv_insn_is_rdtscp(vp);
	if (READ_ONCE(vp->part->extended_exits) & WHV_EXTEXIT_RDTSC)
		return whv_insn_to_user(vp, info);
	tsc = info->rdtsc.host_tsc +
	      whv_backend->read_reg(vp, WHV_AREG_TSC_OFFSET);
	vp->gpr[WHV_REG_RAX] = (u32)tsc;
	vp->gpr[WHV_REG_RDX] = tsc >> 32;
	if (info->rdtsc.rdtscp)
		vp->gpr[WHV_REG_RCX] = vp->tsc_aux;
	return whv_skip_insn(vp, info) ? 1 : 0;
}

/*
 * RDMSR/WRMSR. x2APIC MSRs go to the APIC, where an EOI or a trapped ICR
 * write may become an exit once the instruction is complete (1).
 */
static int whv_handle_msr(struct whv_vp *vp, struct whv_exit_info *info)
{
	u32 msr = vp->gpr[WHV_REG_RCX];
	bool x2apic = msr >= 0x800 && msr <= 0x8ff && vp->part->apic_mode;
	u64 val;
	int ret;

	if (info->kind == WHV_KEXIT_RDMSR) {
		ret = x2apic ? whv_lapic_msr_read(vp, msr, &val) :
			       whv_msr_read(vp, msr, &val);
		if (!ret) {
			vp->gpr[WHV_REG_RAX] = (u32)val;
			vp->gpr[WHV_REG_RDX] = val >> 32;
		}
	} else {
		val = (u32)vp->gpr[WHV_REG_RAX] |
		      (u64)vp->gpr[WHV_REG_RDX] << 32;
		ret = x2apic ? whv_lapic_msr_write(vp, msr, val, info) :
			       whv_msr_write(vp, msr, val);
	}
	if (ret == -ENOENT && (READ_ONCE(vp->part->extended_exits) &
			       WHV_EXTEXIT_MSR))
		return whv_insn_to_user(vp, info);
	if (ret < 0)
		return whv_raise_exception(vp, info, X86_TRAP_GP, true, 0);
	return whv_skip_insn(vp, info) ? 1 : ret;
}

static int whv_handle_xsetbv(struct whv_vp *vp, struct whv_exit_info *info)
{
	u64 val = (u32)vp->gpr[WHV_REG_RAX] | (u64)vp->gpr[WHV_REG_RDX] << 32;

	if ((u32)vp->gpr[WHV_REG_RCX] != 0 ||
	    whv_backend->read_reg(vp, WHV_AREG_CPL) != 0 ||
	    !whv_xcr0_valid(vp, val))
		return whv_raise_exception(vp, info, X86_TRAP_GP, true, 0);
	vp->xcr0 = val;
	return whv_skip_insn(vp, info) ? 1 : 0;
}

static int whv_handle_mov_dr(struct whv_vp *vp, struct whv_exit_info *info)
{
	const struct whv_backend *b = whv_backend;
	int gpr = info->dr.gpr, len = 0, dr = info->dr.dr;
	u64 v;

	if (gpr < 0) {
		len = whv_decode_mov_dr(vp, &gpr);
		if (len < 0)
			return 1;
		info->insn_len = len;
	}
	if (b->read_reg(vp, WHV_AREG_CPL) != 0)
		return whv_raise_exception(vp, info, X86_TRAP_GP, true, 0);
	/* DR4/DR5 alias DR6/DR7 unless CR4.DE makes them #UD. */
	if (dr == 4 || dr == 5) {
		if (b->read_reg(vp, WHV_AREG_CR4) & X86_CR4_DE)
			return whv_raise_exception(vp, info, X86_TRAP_UD,
						   false, 0);
		dr += 2;
	}
	if (!info->dr.write) {
		vp->gpr[gpr] = dr < 4 ? vp->dr[dr] :
			       b->read_reg(vp, dr == 6 ? WHV_AREG_DR6 :
					   WHV_AREG_DR7);
		return whv_skip_insn(vp, info) ? 1 : 0;
	}
	v = vp->gpr[gpr];
	if (!(b->read_reg(vp, WHV_AREG_EFER) & EFER_LMA))
		v = (u32)v;
	if (dr < 4) {
		vp->dr[dr] = v;
	} else if (v >> 32) {
		return whv_raise_exception(vp, info, X86_TRAP_GP, true, 0);
	} else if (dr == 6) {
		b->write_reg(vp, WHV_AREG_DR6, (v & DR6_WRITABLE) | DR6_RESERVED);
	} else {
		/* Loads DR0-3 at entry if it arms breakpoints. */
		b->write_reg(vp, WHV_AREG_DR7, (v & ~DR7_RESERVED_ZERO) | 0x400);
	}
	return whv_skip_insn(vp, info) ? 1 : 0;
}

/* MOV to CR8 while the APIC holds an interrupt back by priority. */
static int whv_handle_cr8_write(struct whv_vp *vp, struct whv_exit_info *info)
{
	int gpr = info->cr8.gpr, len;
	u64 v;

	if (gpr < 0 || !info->insn_len) {
		len = whv_decode_mov_cr8(vp, &gpr);
		if (len < 0)
			return 1;
		info->insn_len = len;
	}
	v = vp->gpr[gpr];
	if (v > 15)
		return whv_raise_exception(vp, info, X86_TRAP_GP, true, 0);
	whv_backend->write_reg(vp, WHV_AREG_CR8, v);
	return whv_skip_insn(vp, info) ? 1 : 0;
}

/*
 * @gpa is in the page no range mapped at the VP's last memory exit, and not
 * the APIC's: MMIO again. A map since posts a TLB flush request, which
 * forgets the page (whv_apply_requests()); while one is pending, ask.
 */
static bool whv_mmio_page_known(struct whv_vp *vp, u64 gpa)
{
	return vp->mmio_known && vp->mmio_gfn == gpa >> PAGE_SHIFT &&
	       !READ_ONCE(vp->requests) && !whv_lapic_mmio_page(vp, gpa);
}

/*
 * whv_exit_fastpath() at a memory exit. One at the known MMIO page goes to
 * userspace as it is: encoded now (exit.c). The others show the VMM their
 * instruction too: read it now, through the page the last fetch used,
 * while that is still cheap. Most go to userspace as they are: the
 * snapshot is the encoder's too, unless the exit is completed in the loop
 * (whv_handle_exit).
 */
bool whv_fastpath_memory(struct whv_vp *vp, struct whv_exit_info *info)
{
	struct whv_snapshot *s = &vp->snap;

	if (whv_mmio_page_known(vp, info->npf.gpa)) {
		info->encoded = whv_encode_mmio_exit(vp, info, vp->exit_ctx);
		return false;
	}
	static_call(whv_snapshot)(vp, s, WHV_SNAP_ALL);
	info->snapshot_taken = true;
	if (whv_fetch_insn(vp, &s->r, info->insn_bytes, 16) == 16)
		info->insn_count = 16;	/* else the encoder tries harder */
	return false;
}

/*
 * whv_exit_fastpath() at a CPUID exit: complete it here unless userspace
 * asked to see it, or anything else waits for this thread or VP (its
 * length read only through the nested table). True: enter again at once.
 */
bool whv_fastpath_cpuid(struct whv_vp *vp, struct whv_exit_info *info)
{
	struct whv_snapshot *s = &vp->snap;
	u8 op[2];
	int len;

	/* need_resched() and signal_pending() in one read of the flags */
	if (READ_ONCE(vp->cancel) || READ_ONCE(vp->requests) ||
	    vp->deliverability ||
	    (read_thread_flags() & (_TIF_NEED_RESCHED | _TIF_SIGPENDING |
				    _TIF_NOTIFY_SIGNAL)) ||
	    task_work_pending(current) ||
	    whv_cpuid_exits(vp->part, vp->gpr[WHV_REG_RAX]))
		return false;
	static_call(whv_snapshot)(vp, s, WHV_SNAP_FETCH);
	len = info->insn_len;
	if (!len) {
		/* CPUID is 0F A2, with prefixes only in odd code. */
		if (whv_fetch_insn(vp, &s->r, op, 2) == 2 &&
		    op[0] == 0x0f && op[1] == 0xa2)
			len = 2;
		else
			len = whv_insn_length_at(vp, s);
		if (len <= 0)
			return false;
	}
	info->insn_len = len;
	whv_cpuid_answer(vp);
	whv_advance_rip(vp, s->r.rip, s->r.efer, len);
	return true;
}

/* 0: re-enter; 1: return @info to userspace; <0: error. */
static int whv_handle_exit(struct whv_vp *vp, struct whv_exit_info *info)
{
	bool handled;
	int ret;

	switch (info->kind) {
	case WHV_KEXIT_HANDLED:
		return 0;
	case WHV_KEXIT_NPF:
		if (whv_lapic_mmio_page(vp, info->npf.gpa)) {
			info->snapshot_taken = false;	/* it may move RIP */
			info->npf.mapped = whv_gpa_mapped(vp->part,
							  info->npf.gpa);
			return whv_lapic_mmio(vp, info);
		}
		if (whv_mmio_page_known(vp, info->npf.gpa)) {
			info->npf.mapped = false;
			return 1;
		}
		ret = whv_mem_fault(vp, info->npf.gpa, info->npf.access,
				    &handled, &info->npf.mapped);
		if (ret)
			return ret;
		if (!info->npf.mapped) {
			vp->mmio_known = true;
			vp->mmio_gfn = info->npf.gpa >> PAGE_SHIFT;
		}
		return !handled;
	case WHV_KEXIT_CPUID:
		return whv_handle_cpuid(vp, info);
	case WHV_KEXIT_RDMSR:
	case WHV_KEXIT_WRMSR:
		return whv_handle_msr(vp, info);
	case WHV_KEXIT_XSETBV:
		return whv_handle_xsetbv(vp, info);
	case WHV_KEXIT_EXCEPTION:
		/*
		 * Some vectors are intercepted for the host's sake (#DB and #AC
		 * can loop forever in microcode): the guest gets them back
		 * unless userspace asked to see them.
		 */
		return whv_raise_exception(vp, info, info->exc.vector,
					   info->exc.has_error, info->exc.error);
	case WHV_KEXIT_UD:
		return whv_raise_exception(vp, info, X86_TRAP_UD, false, 0);
	case WHV_KEXIT_GP:
		return whv_raise_exception(vp, info, X86_TRAP_GP, true, 0);
	case WHV_KEXIT_HLT:
		if (vp->part->apic_mode) {
			/* The kernel waits for the interrupt (loop top). */
			vp->activity = WHV_ACT_HALTED;
			return whv_skip_insn(vp, info) ? 1 : 0;
		}
		/* Known before userspace sees it: HLT completes (see below). */
		return whv_insn_to_user(vp, info);
	case WHV_KEXIT_NOP:
		return whv_skip_insn(vp, info) ? 1 : 0;
	case WHV_KEXIT_MOV_DR:
		return whv_handle_mov_dr(vp, info);
	case WHV_KEXIT_RDTSC:
		return whv_handle_rdtsc(vp, info);
	case WHV_KEXIT_IRQ_WINDOW:
		/* The APIC's own window: its interrupt goes in at the top. */
		if (!(vp->deliverability & WHV_DELIVER_INTERRUPT))
			return 0;
		vp->deliverability &= ~WHV_DELIVER_INTERRUPT;
		whv_backend->update_intercepts(vp);
		return 1;
	case WHV_KEXIT_CR8_WRITE:
		return whv_handle_cr8_write(vp, info);
	case WHV_KEXIT_NMI_WINDOW:
		return 0;	/* reported at the top of the loop */
	case WHV_KEXIT_FPU:
		return whv_fpu_trapped(vp);
	default:
		return 1;
	}
}

/* NMI window: the VP can take an NMI right now, so report it at once. */
static bool whv_nmi_window_open(struct whv_vp *vp)
{
	if (!(vp->deliverability & WHV_DELIVER_NMI) ||
	    whv_backend->read_reg(vp, WHV_AREG_NMI_MASKED) ||
	    (whv_backend->read_reg(vp, WHV_AREG_PENDING_EVENT) & 1))
		return false;
	vp->deliverability &= ~WHV_DELIVER_NMI;
	whv_backend->update_intercepts(vp);
	return true;
}

/*
 * With the in-kernel APIC, before each entry: take INIT/SIPI; while the VP
 * is halted or waits for SIPI, sleep until an event, a cancel or a signal
 * (the state survives a return to userspace); then inject what is due.
 * 0: enter; > 0: @ex is an exit for userspace, this its reason; <0: error
 * (-EINTR).
 */
static int whv_apic_events(struct whv_vp *vp, struct whv_exit *ex)
{
	int ret;

	for (;;) {
		if (test_bit(WHV_REQ_EVENT, &vp->requests)) {
			clear_bit(WHV_REQ_EVENT, &vp->requests);
			smp_mb__after_atomic();	/* then look at the events */
		}
		whv_lapic_take_init_sipi(vp);
		if (vp->activity == WHV_ACT_HALTED && whv_lapic_wakes(vp))
			vp->activity = WHV_ACT_RUNNING;
		if (vp->activity == WHV_ACT_RUNNING)
			break;
		/*
		 * Still halted: events may keep coming (an IPI flood), so stay
		 * preemptible here; a running VP gets both in whv_enter_once().
		 */
		if (signal_pending(current))
			return -EINTR;
		cond_resched();
		if (vp->activity == WHV_ACT_HALTED &&
		    (vp->deliverability & WHV_DELIVER_INTERRUPT) &&
		    (whv_backend->read_reg(vp, WHV_AREG_RFLAGS) & X86_EFLAGS_IF)) {
			/* The VMM's own interrupt could go in now. */
			vp->deliverability &= ~WHV_DELIVER_INTERRUPT;
			whv_backend->update_intercepts(vp);
			return whv_encode_window(vp, ex, WHV_PENDING_INTERRUPT);
		}
		if (READ_ONCE(vp->cancel)) {
			WRITE_ONCE(vp->cancel, false);
			return whv_encode_canceled(vp, ex);
		}
		ret = rcuwait_wait_event(&vp->wait,
					 test_bit(WHV_REQ_EVENT, &vp->requests) ||
					 READ_ONCE(vp->cancel),
					 TASK_INTERRUPTIBLE);
		if (ret)
			return ret;
	}
	whv_lapic_inject(vp);
	return 0;
}

/*
 * One WHvRunVirtualProcessor: until an exit for userspace (returns 0, the
 * exit context and registers written out) or an error. @uexit NULL: the
 * held sets come from and everything goes to the VP's run page
 * (run_page.c), else to the caller's buffers (@uregs may be NULL).
 */
int whv_vcpu_run(struct whv_vp *vp, struct whv_exit __user *uexit,
		 struct whv_run_regs __user *uregs)
{
	struct whv_exit_info info = { .kind = WHV_KEXIT_HANDLED };
	struct whv_exit local whv_noinit;	/* the encoders clear it */
	struct whv_exit *ex = uexit ? &local : &vp->run_page->exit;
	int ret = 0;

	vp->exit_ctx = ex;
	whv_vp_load(vp);
	if (!uexit)
		ret = whv_run_page_apply(vp);
	else if (uregs)
		ret = whv_run_regs_apply(vp, uregs);
	if (!ret && unlikely(!vp->fpu_trap))
		ret = whv_fpu_run_begin(vp);
	if (ret) {
		whv_vp_put(vp);
		return ret;
	}
	/* Running resumes partition time (time.c). */
	whv_time_resume(vp->part);
	whv_time_sync(vp);
	whv_lapic_timer_thaw(vp);
	/* ret > 0 below: the exit reason of *ex, written (never read back) */
	for (;;) {
		if (whv_nmi_window_open(vp)) {
			ret = whv_encode_window(vp, ex, WHV_PENDING_NMI);
			break;
		}
		if (vp->part->apic_mode) {
			ret = whv_apic_events(vp, ex);
			if (ret)
				break;
		}
		ret = whv_enter_once(vp, &info);
		if (ret == WHV_RUN_RETRY)
			continue;
		if (ret == WHV_RUN_CANCELED) {
			ret = whv_encode_canceled(vp, ex);
			break;
		}
		if (ret)
			break;
		if (info.encoded) {
			ret = info.encoded;
			break;
		}
		ret = whv_handle_exit(vp, &info);
		if (ret) {
			if (ret == 1)
				ret = whv_encode_exit(vp, &info, ex);
			break;
		}
	}
	/* HLT completes before userspace sees it, as the CPU would. */
	if (ret == WHV_EXIT_HALT && info.kind == WHV_KEXIT_HLT) {
		whv_skip_insn(vp, &info);
		static_call(whv_snapshot)(vp, &vp->snap, WHV_SNAP_ALL);
	}
	/* A port exit's context has the registers it involves (whv_ioctl.h). */
	if (ret > 0 && ret != WHV_EXIT_IO_PORT_ACCESS) {
		if (!uexit)
			whv_run_page_save(vp);
		else if (uregs && whv_run_regs_save(vp, uregs))
			ret = -EFAULT;
	}
	if (vp->fpu_loaded)
		whv_fpu_run_end(vp);
	whv_vp_put(vp);
	if (ret < 0)
		return ret;
	if (uexit && copy_to_user(uexit, ex, sizeof(*ex)))
		return -EFAULT;
	return 0;
}
