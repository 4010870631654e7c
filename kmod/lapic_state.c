// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC as state for the VMM: the whole register page
 * (InterruptControllerState2) and single registers by WHv name (0x3000 +
 * offset / 16). These write registers as stored state: setting ICR sends
 * nothing, setting EOI retires nothing.
 */
#include <linux/string.h>
#include "whv.h"

static u32 whv_apic_name_offset(u32 name)
{
	return (name - WHV_REG_APIC_FIRST) << 4;
}

int whv_lapic_get_reg(struct whv_vp *vp, u32 name, u64 *val)
{
	u32 off = whv_apic_name_offset(name);

	if (!vp->apic.regs)
		return -ENOPROTOOPT;
	*val = whv_lapic_read(vp, off);
	if (off == WHV_APIC_ICR)
		*val |= (u64)vp->apic.regs[WHV_APIC_ICR2 / 4] << 32;
	return 0;
}

/* Stored as is; @apply false only validates. */
int whv_lapic_set_reg(struct whv_vp *vp, u32 name, u64 val, bool apply)
{
	u32 off = whv_apic_name_offset(name);

	if (!vp->apic.regs)
		return -ENOPROTOOPT;
	switch (off) {
	case WHV_APIC_PPR:		/* computed */
	case WHV_APIC_TMCCT:
	case WHV_APIC_EOI:		/* write-only commands */
	case WHV_APIC_SELF_IPI:
		return -EINVAL;
	case WHV_APIC_ICR:
		break;
	default:
		if (val >> 32)
			return -EINVAL;
	}
	if (!apply)
		return 0;
	if (off == WHV_APIC_ICR)
		WRITE_ONCE(vp->apic.regs[WHV_APIC_ICR2 / 4], val >> 32);
	WRITE_ONCE(vp->apic.regs[off / 4], (u32)val);
	if (off == WHV_APIC_TPR)
		whv_backend->write_reg(vp, WHV_AREG_CR8, (val >> 4) & 15);
	if (off == WHV_APIC_TMICT || off == WHV_APIC_LVT_TIMER ||
	    off == WHV_APIC_TDCR)
		whv_lapic_timer_restart(vp);
	set_bit(WHV_REQ_EVENT, &vp->requests);
	return 0;
}

void whv_lapic_get_state(struct whv_vp *vp, void *page)
{
	u32 *r = page;

	memcpy(page, vp->apic.regs, WHV_LAPIC_STATE_SIZE);
	r[WHV_APIC_TPR / 4] = whv_lapic_tpr(vp);
	r[WHV_APIC_PPR / 4] = whv_lapic_read(vp, WHV_APIC_PPR);
	r[WHV_APIC_TMCCT / 4] = whv_lapic_timer_current(vp);
}

/*
 * Load a saved page. The timer restarts from the saved current count (a
 * restored guest sees its countdown continue), or from the initial count
 * when the page has none.
 */
int whv_lapic_set_state(struct whv_vp *vp, const void *page)
{
	const u32 *r = page;
	u32 remaining = r[WHV_APIC_TMCCT / 4];

	if (r[WHV_APIC_TPR / 4] >> 8)
		return -EINVAL;
	memcpy(vp->apic.regs, page, WHV_LAPIC_STATE_SIZE);
	whv_backend->write_reg(vp, WHV_AREG_CR8, (r[WHV_APIC_TPR / 4] >> 4));
	vp->apic.regs[WHV_APIC_TMCCT / 4] = 0;
	whv_lapic_timer_restart_from(vp, remaining);
	set_bit(WHV_REQ_EVENT, &vp->requests);
	return 0;
}

/* Register names the APIC answers besides 0x3000+: see whv_lapic_reg_*. */
bool whv_lapic_reg_name(u32 name)
{
	return name == WHV_REG_APIC_BASE || name == WHV_REG_TSC_DEADLINE ||
	       name == WHV_REG_INTERNAL_ACTIVITY_STATE ||
	       (name >= WHV_REG_APIC_FIRST && name <= WHV_REG_APIC_LAST);
}

int whv_lapic_reg_get(struct whv_vp *vp, u32 name, u64 *val)
{
	switch (name) {
	case WHV_REG_APIC_BASE:
		*val = vp->apic_base;
		return 0;
	case WHV_REG_TSC_DEADLINE:
		if (!vp->apic.regs)
			return -ENOPROTOOPT;
		*val = READ_ONCE(vp->apic.tsc_deadline);
		return 0;
	case WHV_REG_INTERNAL_ACTIVITY_STATE:
		*val = vp->activity == WHV_ACT_WAIT_SIPI ?
		       WHV_ACTIVITY_STARTUP_SUSPEND :
		       vp->activity == WHV_ACT_HALTED ?
		       WHV_ACTIVITY_HALT_SUSPEND : 0;
		return 0;
	default:
		return whv_lapic_get_reg(vp, name, val);
	}
}

int whv_lapic_reg_set(struct whv_vp *vp, u32 name, u64 val, bool apply)
{
	switch (name) {
	case WHV_REG_APIC_BASE:
		if (!apply)
			return whv_lapic_base_valid(vp, val, false);
		return whv_lapic_set_base(vp, val, false);
	case WHV_REG_TSC_DEADLINE:
		if (!vp->apic.regs)
			return -ENOPROTOOPT;
		/* Stored in any mode: it arms once LVTT is in deadline mode. */
		if (apply) {
			vp->apic.tsc_deadline = val;
			whv_lapic_timer_restart(vp);
		}
		return 0;
	case WHV_REG_INTERNAL_ACTIVITY_STATE:
		/* Only the in-kernel APIC can wake a suspended VP. */
		if (val & ~(WHV_ACTIVITY_STARTUP_SUSPEND |
			    WHV_ACTIVITY_HALT_SUSPEND) ||
		    (val && !vp->apic.regs))
			return -EINVAL;
		if (apply)
			vp->activity = (val & WHV_ACTIVITY_STARTUP_SUSPEND) ?
				       WHV_ACT_WAIT_SIPI : val ?
				       WHV_ACT_HALTED : WHV_ACT_RUNNING;
		return 0;
	default:
		return whv_lapic_set_reg(vp, name, val, apply);
	}
}
