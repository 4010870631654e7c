// SPDX-License-Identifier: GPL-2.0
/*
 * Interrupt delivery between local APICs: ICR writes (IPIs), interrupts
 * the VMM requests (WHvRequestInterrupt), and which VPs a destination
 * names. Delivery posts to the target and notifies it; the target's own
 * thread injects.
 */
#include <linux/rcupdate.h>
#include "whv.h"

/* ICR fields */
#define ICR_VECTOR(icr)		((icr) & 0xff)
#define ICR_MODE(icr)		(((icr) >> 8) & 7)
#define ICR_LOGICAL		BIT(11)
#define ICR_ASSERT		BIT(14)
#define ICR_LEVEL		BIT(15)
#define ICR_SHORTHAND(icr)	(((icr) >> 18) & 3)

enum { DEST_FIELD, DEST_SELF, DEST_ALL, DEST_OTHERS };

/* Does @dest (physical or logical) name @t's APIC? */
static bool apic_match(struct whv_vp *t, u32 dest, bool logical)
{
	u32 id = READ_ONCE(t->apic.regs[WHV_APIC_ID / 4]);
	u32 ldr = READ_ONCE(t->apic.regs[WHV_APIC_LDR / 4]);
	u32 dfr = READ_ONCE(t->apic.regs[WHV_APIC_DFR / 4]);

	if (whv_lapic_x2apic(t)) {
		if (dest == 0xffffffff)
			return true;
		if (!logical)
			return dest == id;
		return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
	}
	dest &= 0xff;
	if (dest == 0xff)
		return true;
	if (!logical)
		return dest == id >> 24;
	ldr >>= 24;
	if ((dfr >> 28) == 0xf)		/* flat model */
		return dest & ldr;
	return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xf);
}

/*
 * Post an interrupt to @vp's APIC. Fixed and lowest-priority vectors go
 * to IRR (TMR says edge or level) only while the APIC is software-enabled;
 * NMI, INIT and SIPI are taken by the VP at its next entry.
 */
bool whv_lapic_accept(struct whv_vp *vp, u32 mode, u8 vector, bool level)
{
	struct whv_lapic *a = &vp->apic;

	switch (mode) {
	case WHV_DM_FIXED:
	case WHV_DM_LOWEST:
		if (vector < 16 ||
		    !(READ_ONCE(a->regs[WHV_APIC_SVR / 4]) & BIT(8)))
			return false;
		whv_lapic_vec_set(vp, WHV_APIC_TMR, vector, level);
		/* Already pending: it coalesces, and the VP knows. */
		if (whv_lapic_vec_test_set(vp, WHV_APIC_IRR, vector))
			return true;
		break;
	case WHV_DM_NMI:
		set_bit(WHV_APIC_EV_NMI, &a->events);
		break;
	case WHV_DM_INIT:
		set_bit(WHV_APIC_EV_INIT, &a->events);
		break;
	case WHV_DM_SIPI:
		WRITE_ONCE(a->sipi_vector, vector);
		smp_mb__before_atomic();	/* vector before the bit */
		set_bit(WHV_APIC_EV_SIPI, &a->events);
		break;
	default:
		return false;		/* SMI, ExtINT: no such sources */
	}
	whv_vp_notify(vp);
	return true;
}

/*
 * Deliver to every VP the destination names (@self: the sender, for the
 * shorthands). Lowest priority goes to one of them: the lowest TPR.
 */
static void apic_deliver(struct whv_partition *p, struct whv_vp *self,
			 int shorthand, u32 dest, bool logical, u32 mode,
			 u8 vector, bool level)
{
	struct whv_vp *lowest = NULL;
	u32 i, lowest_tpr = 256;

	rcu_read_lock();
	for (i = 0; i < WHV_MAX_VPS; i++) {
		struct whv_vp *t = rcu_dereference(p->vps[i]);
		bool hit;

		if (!t || !whv_lapic_enabled(t))
			continue;
		switch (shorthand) {
		case DEST_SELF:
			hit = t == self;
			break;
		case DEST_ALL:
			hit = true;
			break;
		case DEST_OTHERS:
			hit = t != self;
			break;
		default:
			hit = apic_match(t, dest, logical);
		}
		if (!hit)
			continue;
		if (mode != WHV_DM_LOWEST) {
			whv_lapic_accept(t, mode, vector, level);
		} else if ((READ_ONCE(t->apic.regs[WHV_APIC_SVR / 4]) & BIT(8)) &&
			   READ_ONCE(t->apic.regs[WHV_APIC_TPR / 4]) <
			   lowest_tpr) {
			lowest = t;
			lowest_tpr = READ_ONCE(t->apic.regs[WHV_APIC_TPR / 4]);
		}
	}
	if (lowest)
		whv_lapic_accept(lowest, mode, vector, level);
	rcu_read_unlock();
}

/*
 * The guest wrote ICR (@icr: destination in 63:32, x2APIC layout, or
 * 63:56 xAPIC). With X64ApicInitSipiExitTrap, INIT and SIPI go to
 * userspace instead (returns 1).
 */
int whv_lapic_send_icr(struct whv_vp *vp, u64 icr, struct whv_exit_info *info)
{
	u32 mode = ICR_MODE(icr);
	u32 dest = whv_lapic_x2apic(vp) ? icr >> 32 : icr >> 56;

	if ((mode == WHV_DM_INIT || mode == WHV_DM_SIPI) &&
	    (READ_ONCE(vp->part->extended_exits) & WHV_EXTEXIT_APIC_INIT_SIPI)) {
		info->kind = WHV_KEXIT_APIC_INIT_SIPI;
		info->apic.icr = icr;
		return 1;
	}
	/* INIT level de-assert: a no-op since the Pentium 4. */
	if (mode == WHV_DM_INIT && !(icr & ICR_ASSERT) && (icr & ICR_LEVEL))
		return 0;
	apic_deliver(vp->part, vp, ICR_SHORTHAND(icr), dest,
		     icr & ICR_LOGICAL, mode, ICR_VECTOR(icr),
		     mode <= WHV_DM_LOWEST && (icr & ICR_LEVEL));
	return 0;
}

/* LocalInt1: what the target's LINT1 entry says (usually an NMI). */
static void apic_deliver_lint1(struct whv_partition *p, u32 dest,
			       bool logical)
{
	u32 i;

	rcu_read_lock();
	for (i = 0; i < WHV_MAX_VPS; i++) {
		struct whv_vp *t = rcu_dereference(p->vps[i]);
		u32 lvt;

		if (!t || !whv_lapic_enabled(t) || !apic_match(t, dest, logical))
			continue;
		lvt = READ_ONCE(t->apic.regs[WHV_APIC_LVT_LINT1 / 4]);
		if (!(lvt & WHV_LVT_MASKED))
			whv_lapic_accept(t, (lvt >> 8) & 7, lvt & 0xff,
					 lvt & WHV_LVT_LEVEL);
	}
	rcu_read_unlock();
}

/* WHvRequestInterrupt */
int whv_request_interrupt(struct whv_partition *p, u32 type, u32 dest_mode,
			  bool level, u32 dest, u32 vector)
{
	if (!READ_ONCE(p->setup_done) || !p->apic_mode)
		return -EBADFD;
	if (dest_mode > 1 || vector > 0xff)
		return -EINVAL;
	switch (type) {
	case WHV_INT_FIXED:
	case WHV_INT_LOWEST_PRIORITY:
		if (vector < 16)
			return -EINVAL;
		break;
	case WHV_INT_NMI:
	case WHV_INT_INIT:
	case WHV_INT_SIPI:
		level = false;
		break;
	case WHV_INT_LOCAL_INT1:
		apic_deliver_lint1(p, dest, dest_mode);
		return 0;
	default:
		return -EINVAL;
	}
	apic_deliver(p, NULL, DEST_FIELD, dest, dest_mode, type, vector,
		     level);
	return 0;
}

/* WHvGetInterruptTargetVpSet: the VPs @dest names, as a mask. */
u64 whv_interrupt_targets(struct whv_partition *p, u32 dest, bool logical)
{
	u64 mask = 0;
	u32 i;

	rcu_read_lock();
	for (i = 0; i < WHV_MAX_VPS; i++) {
		struct whv_vp *t = rcu_dereference(p->vps[i]);

		if (t && whv_lapic_enabled(t) && apic_match(t, dest, logical))
			mask |= BIT_ULL(i);
	}
	rcu_read_unlock();
	return mask;
}
