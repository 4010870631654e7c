// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC's registers: reset, the xAPIC page and x2APIC MSRs as the
 * guest sees them, TPR/PPR, EOI, the choice of the next interrupt to
 * inject, INIT/SIPI, and the register page as state for the VMM.
 */
#include <linux/gfp.h>
#include <linux/slab.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include "whv.h"

/* Integrated APIC, 6 LVT entries (timer, thermal, perf, LINT0/1, error). */
#define WHV_APIC_VERSION_VALUE	(0x14 | (5 << 16))
#define WHV_SVR_ENABLE		BIT(8)
#define WHV_LVT_MASKS		(WHV_LVT_MASKED | WHV_LVT_LEVEL | BIT(13) | \
				 GENMASK(10, 0))
#define WHV_ICR_MASK		(GENMASK(11, 0) | BIT(14) | BIT(15) | \
				 GENMASK(19, 18))

static const u32 whv_lvt_regs[] = {
	WHV_APIC_LVT_TIMER, WHV_APIC_LVT_THERMAL, WHV_APIC_LVT_PERF,
	WHV_APIC_LVT_LINT0, WHV_APIC_LVT_LINT1, WHV_APIC_LVT_ERROR,
};

static u32 apic_get(struct whv_vp *vp, u32 off)
{
	return READ_ONCE(vp->apic.regs[off / 4]);
}

static void apic_set(struct whv_vp *vp, u32 off, u32 v)
{
	WRITE_ONCE(vp->apic.regs[off / 4], v);
}

/* Bit @vec of the 256-bit register at @base (ISR, TMR, IRR). */
static unsigned long *apic_vec_word(struct whv_vp *vp, u32 base, u8 vec)
{
	return (unsigned long *)&vp->apic.regs[(base + (vec / 32) * 16) / 4];
}

void whv_lapic_vec_set(struct whv_vp *vp, u32 base, u8 vec, bool on)
{
	if (on)
		set_bit(vec % 32, apic_vec_word(vp, base, vec));
	else
		clear_bit(vec % 32, apic_vec_word(vp, base, vec));
}

/* Set bit @vec; was it set already? */
bool whv_lapic_vec_test_set(struct whv_vp *vp, u32 base, u8 vec)
{
	return test_and_set_bit(vec % 32, apic_vec_word(vp, base, vec));
}

static bool apic_vec_test(struct whv_vp *vp, u32 base, u8 vec)
{
	return test_bit(vec % 32, apic_vec_word(vp, base, vec));
}

static int apic_highest(struct whv_vp *vp, u32 base)
{
	int i;

	for (i = 7; i >= 0; i--) {
		u32 w = apic_get(vp, base + i * 16);

		if (w)
			return i * 32 + fls(w) - 1;
	}
	return -1;
}

bool whv_lapic_enabled(struct whv_vp *vp)
{
	return vp->part->apic_mode && (vp->apic_base & WHV_APIC_BASE_ENABLE);
}

bool whv_lapic_x2apic(struct whv_vp *vp)
{
	return vp->part->apic_mode && (vp->apic_base & WHV_APIC_BASE_X2APIC);
}

static bool apic_sw_enabled(struct whv_vp *vp)
{
	return apic_get(vp, WHV_APIC_SVR) & WHV_SVR_ENABLE;
}

/* x2APIC logical ID: cluster (ID / 16) in 31:16, one bit of 16 below. */
static u32 apic_x2_ldr(u32 id)
{
	return ((id >> 4) << 16) | BIT(id & 15);
}

/* The TPR's class lives in CR8 too, which the guest may change unseen. */
u32 whv_lapic_tpr(struct whv_vp *vp)
{
	u32 tpr = apic_get(vp, WHV_APIC_TPR);
	u64 cr8 = whv_backend->read_reg(vp, WHV_AREG_CR8);

	if ((tpr >> 4) != cr8) {
		tpr = cr8 << 4;
		apic_set(vp, WHV_APIC_TPR, tpr);
	}
	return tpr;
}

static void apic_set_tpr(struct whv_vp *vp, u32 tpr)
{
	apic_set(vp, WHV_APIC_TPR, tpr & 0xff);
	whv_backend->write_reg(vp, WHV_AREG_CR8, (tpr >> 4) & 15);
}

static u32 apic_ppr(struct whv_vp *vp)
{
	u32 tpr = whv_lapic_tpr(vp);
	int isr = apic_highest(vp, WHV_APIC_ISR);

	if (isr < 0 || (tpr >> 4) >= ((u32)isr >> 4))
		return tpr;
	return isr & 0xf0;
}

int whv_lapic_create(struct whv_vp *vp)
{
	if (!vp->part->apic_mode)
		return 0;
	vp->apic.regs = (u32 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vp->apic.regs)
		return -ENOMEM;
	whv_lapic_timer_init(vp);
	return 0;
}

void whv_lapic_free(struct whv_vp *vp)
{
	if (!vp->apic.regs)
		return;
	whv_lapic_timer_cancel(vp);
	free_page((unsigned long)vp->apic.regs);
	vp->apic.regs = NULL;
}

/*
 * RESET and INIT: everything but the APIC base and (xAPIC) the ID. Posted
 * events stay: a SIPI may already wait behind the INIT being taken.
 */
void whv_lapic_reset(struct whv_vp *vp, bool init)
{
	struct whv_lapic *a = &vp->apic;
	u32 id = whv_lapic_x2apic(vp) ? vp->index : vp->index << 24;
	int i;

	a->irq_window = false;
	a->nmi_window = false;
	a->tpr_exit = false;
	if (!a->regs)
		return;
	whv_lapic_timer_cancel(vp);
	a->tsc_deadline = 0;
	if (init && !whv_lapic_x2apic(vp))
		id = apic_get(vp, WHV_APIC_ID);
	/*
	 * Never a zero ID on the way: other VPs match IPI destinations
	 * against it meanwhile, and the SIPI sent right behind this INIT
	 * would find no one.
	 */
	memset(a->regs, 0, WHV_APIC_ID);
	memset((u8 *)a->regs + WHV_APIC_ID + 16, 0,
	       PAGE_SIZE - WHV_APIC_ID - 16);
	apic_set(vp, WHV_APIC_ID, id);
	apic_set(vp, WHV_APIC_VERSION, WHV_APIC_VERSION_VALUE);
	apic_set(vp, WHV_APIC_DFR, 0xffffffff);
	apic_set(vp, WHV_APIC_SVR, 0xff);
	if (whv_lapic_x2apic(vp))
		apic_set(vp, WHV_APIC_LDR, apic_x2_ldr(vp->index));
	for (i = 0; i < ARRAY_SIZE(whv_lvt_regs); i++)
		apic_set(vp, whv_lvt_regs[i], WHV_LVT_MASKED);
	apic_set_tpr(vp, 0);
}

/*
 * IA32_APIC_BASE: enable (11), x2APIC (10, X2Apic mode only), base address.
 * From the guest, x2APIC may not be left except by disabling the APIC.
 */
int whv_lapic_base_valid(struct whv_vp *vp, u64 val, bool from_guest)
{
	u64 valid = GENMASK_ULL(whv_guest_phys_bits() - 1, 12) |
		    WHV_APIC_BASE_BSP | WHV_APIC_BASE_ENABLE;
	u32 mode = vp->part->apic_mode;

	if (mode != WHV_APIC_MODE_XAPIC)
		valid |= WHV_APIC_BASE_X2APIC;
	if (val & ~valid)
		return -EINVAL;
	if ((val & WHV_APIC_BASE_X2APIC) && !(val & WHV_APIC_BASE_ENABLE))
		return -EINVAL;
	if (from_guest && mode && (vp->apic_base & WHV_APIC_BASE_X2APIC) &&
	    (val & (WHV_APIC_BASE_ENABLE | WHV_APIC_BASE_X2APIC)) ==
	    WHV_APIC_BASE_ENABLE)
		return -EINVAL;
	return 0;
}

int whv_lapic_set_base(struct whv_vp *vp, u64 val, bool from_guest)
{
	u64 old = vp->apic_base;
	int ret = whv_lapic_base_valid(vp, val, from_guest);

	if (ret)
		return ret;
	vp->apic_base = val;
	if (!vp->apic.regs)
		return 0;
	if (!(val & WHV_APIC_BASE_ENABLE))
		whv_lapic_timer_cancel(vp);
	if ((val ^ old) & WHV_APIC_BASE_X2APIC) {
		if (val & WHV_APIC_BASE_X2APIC) {
			apic_set(vp, WHV_APIC_ID, vp->index);
			apic_set(vp, WHV_APIC_LDR, apic_x2_ldr(vp->index));
		} else {
			apic_set(vp, WHV_APIC_ID, vp->index << 24);
			apic_set(vp, WHV_APIC_LDR, 0);
		}
	}
	set_bit(WHV_REQ_EVENT, &vp->requests);
	return 0;
}

/* A guest access to this GPA is the VP's xAPIC page. */
bool whv_lapic_mmio_page(struct whv_vp *vp, u64 gpa)
{
	return whv_lapic_enabled(vp) && !whv_lapic_x2apic(vp) &&
	       (gpa & ~0xfffULL) == (vp->apic_base & GENMASK_ULL(51, 12));
}

u32 whv_lapic_read(struct whv_vp *vp, u32 off)
{
	switch (off) {
	case WHV_APIC_TPR:
		return whv_lapic_tpr(vp);
	case WHV_APIC_PPR:
		return apic_ppr(vp);
	case WHV_APIC_TMCCT:
		return whv_lapic_timer_current(vp);
	case WHV_APIC_EOI:
	case WHV_APIC_SELF_IPI:
		return 0;
	default:
		return off < 0x400 ? apic_get(vp, off) : 0;
	}
}

/* EOI: the highest in-service vector retires; level-triggered ones exit. */
static int apic_eoi(struct whv_vp *vp, struct whv_exit_info *info)
{
	int v = apic_highest(vp, WHV_APIC_ISR);

	if (v < 0)
		return 0;
	whv_lapic_vec_set(vp, WHV_APIC_ISR, v, false);
	set_bit(WHV_REQ_EVENT, &vp->requests);
	if (!apic_vec_test(vp, WHV_APIC_TMR, v))
		return 0;
	info->kind = WHV_KEXIT_APIC_EOI;
	info->apic.vector = v;
	return 1;
}

static void apic_write_svr(struct whv_vp *vp, u32 val)
{
	int i;

	apic_set(vp, WHV_APIC_SVR, val & (0xff | WHV_SVR_ENABLE | BIT(12)));
	if (val & WHV_SVR_ENABLE)
		return;
	/* Software-disabled: every LVT entry masked. */
	for (i = 0; i < ARRAY_SIZE(whv_lvt_regs); i++)
		apic_set(vp, whv_lvt_regs[i],
			 apic_get(vp, whv_lvt_regs[i]) | WHV_LVT_MASKED);
}

static void apic_write_lvt(struct whv_vp *vp, u32 off, u32 val)
{
	u32 old = apic_get(vp, off), mask = WHV_LVT_MASKS;

	if (off == WHV_APIC_LVT_TIMER) {
		mask = 0xff | WHV_LVT_MASKED | GENMASK(18, 17);
		if (WHV_TIMER_MODE(val) == 3)
			val &= ~BIT(18);
	}
	if (!apic_sw_enabled(vp))
		val |= WHV_LVT_MASKED;
	apic_set(vp, off, val & mask);
	/* Into or out of TSC-deadline mode: the timer starts disarmed. */
	if (off == WHV_APIC_LVT_TIMER &&
	    (WHV_TIMER_MODE(old) == WHV_TIMER_TSC_DEADLINE) !=
	    (WHV_TIMER_MODE(val) == WHV_TIMER_TSC_DEADLINE)) {
		apic_set(vp, WHV_APIC_TMICT, 0);
		vp->apic.tsc_deadline = 0;
		whv_lapic_timer_cancel(vp);
	} else if (off == WHV_APIC_LVT_TIMER) {
		whv_lapic_timer_set_period(vp);	/* one-shot <-> periodic */
	}
}

/*
 * A guest write to register @off. Returns 0, 1 when @info now holds an
 * exit for userspace (the write is complete), or -EINVAL for #GP (x2APIC).
 */
static int apic_write(struct whv_vp *vp, u32 off, u32 val,
		      struct whv_exit_info *info)
{
	bool x2 = whv_lapic_x2apic(vp);

	switch (off) {
	case WHV_APIC_ID:
		if (x2)
			return -EINVAL;
		apic_set(vp, off, val & 0xff000000);
		return 0;
	case WHV_APIC_TPR:
		apic_set_tpr(vp, val);
		set_bit(WHV_REQ_EVENT, &vp->requests);
		return 0;
	case WHV_APIC_EOI:
		if (x2 && val)
			return -EINVAL;
		return apic_eoi(vp, info);
	case WHV_APIC_LDR:
		if (x2)
			return -EINVAL;
		apic_set(vp, off, val & 0xff000000);
		return 0;
	case WHV_APIC_DFR:
		if (x2)
			return -EINVAL;
		apic_set(vp, off, val | 0x0fffffff);
		return 0;
	case WHV_APIC_SVR:
		apic_write_svr(vp, val);
		set_bit(WHV_REQ_EVENT, &vp->requests);
		return 0;
	case WHV_APIC_ESR:
		if (x2 && val)
			return -EINVAL;
		apic_set(vp, off, 0);
		return 0;
	case WHV_APIC_ICR:
		apic_set(vp, off, val & WHV_ICR_MASK);
		return whv_lapic_send_icr(vp, (u64)apic_get(vp, WHV_APIC_ICR2)
					  << 32 | (val & WHV_ICR_MASK), info);
	case WHV_APIC_ICR2:
		if (x2)
			return -EINVAL;
		apic_set(vp, off, val & 0xff000000);
		return 0;
	case WHV_APIC_LVT_TIMER:
	case WHV_APIC_LVT_THERMAL:
	case WHV_APIC_LVT_PERF:
	case WHV_APIC_LVT_LINT0:
	case WHV_APIC_LVT_LINT1:
	case WHV_APIC_LVT_ERROR:
		apic_write_lvt(vp, off, val);
		return 0;
	case WHV_APIC_TMICT:
		if (WHV_TIMER_MODE(apic_get(vp, WHV_APIC_LVT_TIMER)) ==
		    WHV_TIMER_TSC_DEADLINE)
			return 0;
		apic_set(vp, off, val);
		whv_lapic_timer_restart(vp);
		return 0;
	case WHV_APIC_TDCR:
		apic_set(vp, off, val & 0xb);
		return 0;
	case WHV_APIC_SELF_IPI:
		if (!x2)
			return 0;
		if (val >> 8)
			return -EINVAL;
		whv_lapic_accept(vp, WHV_DM_FIXED, val, false);
		return 0;
	default:
		/* Read-only or reserved: ignored, #GP through x2APIC. */
		return x2 ? -EINVAL : 0;
	}
}

/*
 * A guest access to its xAPIC page (nested page fault at the APIC base):
 * the MOV is completed here. Returns 1 with @info an exit for userspace
 * (an instruction we cannot complete stays a MemoryAccess exit).
 */
int whv_lapic_mmio(struct whv_vp *vp, struct whv_exit_info *info)
{
	u32 off = info->npf.gpa & 0xfff, imm = 0, val;
	int gpr, size, len, ret = 0;
	bool write;

	len = whv_decode_mmio_mov(vp, &write, &gpr, &imm, &size);
	if (len < 0 || (off & 0xf) || info->npf.access == WHV_MEM_ACCESS_EXECUTE)
		return 1;
	info->insn_len = len;
	if (write) {
		val = gpr < 0 ? imm : (u32)vp->gpr[gpr];
		if (size == 2)
			val = (u16)val;
		ret = apic_write(vp, off, val, info);
	} else {
		val = whv_lapic_read(vp, off);
		if (size == 2)
			vp->gpr[gpr] = (vp->gpr[gpr] & ~0xffffULL) | (u16)val;
		else
			vp->gpr[gpr] = val;
	}
	if (whv_skip_insn(vp, info))
		return 1;
	return ret < 0 ? 0 : ret;
}

static bool apic_x2_readable(u32 off)
{
	switch (off) {
	case WHV_APIC_ID: case WHV_APIC_VERSION: case WHV_APIC_TPR:
	case WHV_APIC_PPR: case WHV_APIC_LDR: case WHV_APIC_SVR:
	case WHV_APIC_ESR: case WHV_APIC_ICR: case WHV_APIC_LVT_TIMER:
	case WHV_APIC_LVT_THERMAL: case WHV_APIC_LVT_PERF:
	case WHV_APIC_LVT_LINT0: case WHV_APIC_LVT_LINT1:
	case WHV_APIC_LVT_ERROR: case WHV_APIC_TMICT: case WHV_APIC_TMCCT:
	case WHV_APIC_TDCR:
		return true;
	default:
		return off >= WHV_APIC_ISR && off < WHV_APIC_ESR;
	}
}

/* x2APIC MSRs 0x800-0x8ff: -EINVAL (#GP) outside x2APIC mode. */
int whv_lapic_msr_read(struct whv_vp *vp, u32 msr, u64 *val)
{
	u32 off = (msr - 0x800) << 4;

	if (!whv_lapic_x2apic(vp) || !apic_x2_readable(off))
		return -EINVAL;
	*val = whv_lapic_read(vp, off);
	if (off == WHV_APIC_ICR)
		*val |= (u64)apic_get(vp, WHV_APIC_ICR2) << 32;
	return 0;
}

int whv_lapic_msr_write(struct whv_vp *vp, u32 msr, u64 val,
			struct whv_exit_info *info)
{
	u32 off = (msr - 0x800) << 4;

	if (!whv_lapic_x2apic(vp))
		return -EINVAL;
	if (off == WHV_APIC_ICR) {
		if (val & ~(GENMASK_ULL(63, 32) | WHV_ICR_MASK))
			return -EINVAL;
		apic_set(vp, WHV_APIC_ICR2, val >> 32);
		apic_set(vp, WHV_APIC_ICR, val);
		return whv_lapic_send_icr(vp, val, info);
	}
	if (val >> 32)
		return -EINVAL;
	return apic_write(vp, off, val, info);
}

static bool apic_above_ppr(struct whv_vp *vp, int v)
{
	return v >= 0 && ((u32)v >> 4) > (apic_ppr(vp) >> 4);
}

/* An unmasked NMI, or interrupt vector @v (-1: none), would go in now. */
static bool apic_event_due(struct whv_vp *vp, int v)
{
	return (test_bit(WHV_APIC_EV_NMI, &vp->apic.events) &&
		!whv_backend->read_reg(vp, WHV_AREG_NMI_MASKED)) ||
	       apic_above_ppr(vp, v);
}

/*
 * STI; HLT with an interrupt or NMI already due: the HLT would halt and wake
 * at once, so it completes here and the event goes in now. Besides a round
 * trip, this saves guests on QEMU before 9.1, whose VMRUN drops the shadow:
 * the interrupt went in before the HLT, which then halted for good.
 */
static bool apic_complete_shadowed_hlt(struct whv_vp *vp)
{
	const struct whv_exit_info unknown_len = { };

	if (whv_backend->read_reg(vp, WHV_AREG_CPL) || !whv_insn_is_hlt(vp))
		return false;
	return !whv_skip_insn(vp, &unknown_len);
}

/*
 * Before each entry: NMIs, then the highest interrupt above the PPR, into
 * the event-injection slot if it is free and the guest can take it; else
 * the exits that tell us when it can.
 */
void whv_lapic_inject(struct whv_vp *vp)
{
	const struct whv_backend *b = whv_backend;
	struct whv_lapic *a = &vp->apic;
	bool busy = b->read_reg(vp, WHV_AREG_PENDING_EVENT) & 1;
	bool shadow = b->read_reg(vp, WHV_AREG_INT_SHADOW);
	bool irq_window = false, nmi_window = false, tpr_exit = false;
	bool intr_on;
	int v;

	intr_on = b->read_reg(vp, WHV_AREG_RFLAGS) & X86_EFLAGS_IF;
	v = whv_lapic_enabled(vp) ? apic_highest(vp, WHV_APIC_IRR) : -1;
	if (shadow && intr_on && !busy && apic_event_due(vp, v) &&
	    apic_complete_shadowed_hlt(vp))
		shadow = false;
	if (test_bit(WHV_APIC_EV_NMI, &a->events)) {
		if (b->read_reg(vp, WHV_AREG_NMI_MASKED)) {
			nmi_window = true;
		} else if (shadow && intr_on) {
			/*
			 * STI shadow: the interrupt window opens right after
			 * it (an NMI window may not wait for it on VMX).
			 */
			irq_window = true;
		} else if (busy || shadow) {
			nmi_window = true;
		} else {
			clear_bit(WHV_APIC_EV_NMI, &a->events);
			b->write_reg(vp, WHV_AREG_PENDING_EVENT, 1 |
				     (WHV_PENDING_NMI << 1) | (2ULL << 16));
			busy = true;
		}
	}
	if (v >= 0 && !apic_above_ppr(vp, v)) {
		/* Held back by the TPR or a higher vector in service. */
		tpr_exit = true;
	} else if (v >= 0 && (busy || !intr_on || shadow)) {
		irq_window = true;
	} else if (v >= 0) {
		whv_lapic_vec_set(vp, WHV_APIC_IRR, v, false);
		whv_lapic_vec_set(vp, WHV_APIC_ISR, v, true);
		b->write_reg(vp, WHV_AREG_PENDING_EVENT, 1 |
			     (WHV_PENDING_INTERRUPT << 1) | ((u64)v << 16));
	}
	if (irq_window != a->irq_window || nmi_window != a->nmi_window ||
	    tpr_exit != a->tpr_exit) {
		a->irq_window = irq_window;
		a->nmi_window = nmi_window;
		a->tpr_exit = tpr_exit;
		b->update_intercepts(vp);
	}
}

/* A halted VP resumes for an NMI, or an interrupt it would take. */
bool whv_lapic_wakes(struct whv_vp *vp)
{
	if (test_bit(WHV_APIC_EV_NMI, &vp->apic.events) ||
	    (whv_backend->read_reg(vp, WHV_AREG_PENDING_EVENT) & 1))
		return true;
	if (!whv_lapic_enabled(vp) ||
	    !(whv_backend->read_reg(vp, WHV_AREG_RFLAGS) & X86_EFLAGS_IF))
		return false;
	return apic_above_ppr(vp, apic_highest(vp, WHV_APIC_IRR));
}

/* INIT resets the VP (APs then wait for SIPI); SIPI starts a waiting AP. */
void whv_lapic_take_init_sipi(struct whv_vp *vp)
{
	struct whv_segment cs = { .limit = 0xffff, .attributes = 0x9b };
	struct whv_lapic *a = &vp->apic;
	u8 vector;

	if (test_and_clear_bit(WHV_APIC_EV_INIT, &a->events)) {
		whv_vp_init(vp);
		vp->activity = (vp->apic_base & WHV_APIC_BASE_BSP) ?
			       WHV_ACT_RUNNING : WHV_ACT_WAIT_SIPI;
	}
	if (!test_and_clear_bit(WHV_APIC_EV_SIPI, &a->events))
		return;
	smp_mb__after_atomic();	/* the vector was written before the bit */
	vector = READ_ONCE(a->sipi_vector);
	if (vp->activity != WHV_ACT_WAIT_SIPI)
		return;
	cs.selector = vector << 8;
	cs.base = (u64)vector << 12;
	whv_backend->write_seg(vp, WHV_ASEG_CS, &cs);
	whv_backend->write_reg(vp, WHV_AREG_RIP, 0);
	vp->activity = WHV_ACT_RUNNING;
}
