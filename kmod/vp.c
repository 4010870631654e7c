// SPDX-License-Identifier: GPL-2.0
/*
 * Virtual processors: creation in WHv's reset state, deletion, lookup that
 * pins a VP against deletion, and kicks that force a VP out of the guest.
 */
#include <linux/slab.h>
#include <linux/smp.h>
#include "whv.h"

/* The architectural state after RESET that differs from all-zero. */
static void whv_vp_reset(struct whv_vp *vp)
{
	const struct whv_backend *b = whv_backend;
	struct whv_segment data = { .limit = 0xffff, .attributes = 0x93 };
	struct whv_segment cs = { .base = 0xf0000, .limit = 0xffff,
				  .selector = 0xf000, .attributes = 0x9b };
	struct whv_segment ldtr = { .limit = 0xffff, .attributes = 0x82 };
	struct whv_segment tr = { .limit = 0xffff, .attributes = 0x8b };
	struct whv_segment table = { .limit = 0xffff };
	enum whv_aseg s;

	for (s = WHV_ASEG_ES; s <= WHV_ASEG_GS; s++)
		b->write_seg(vp, s, s == WHV_ASEG_CS ? &cs : &data);
	b->write_seg(vp, WHV_ASEG_LDTR, &ldtr);
	b->write_seg(vp, WHV_ASEG_TR, &tr);
	b->write_seg(vp, WHV_ASEG_GDTR, &table);
	b->write_seg(vp, WHV_ASEG_IDTR, &table);
	b->write_reg(vp, WHV_AREG_RIP, 0xfff0);
	b->write_reg(vp, WHV_AREG_RFLAGS, 0x2);
	b->write_reg(vp, WHV_AREG_CR0, 0x60000010);
	b->write_reg(vp, WHV_AREG_DR6, 0xffff0ff0);
	b->write_reg(vp, WHV_AREG_DR7, 0x400);
	b->write_reg(vp, WHV_AREG_PAT, 0x0007040600070406ULL);
	vp->xcr0 = XFEATURE_MASK_FP;
	vp->activity = WHV_ACT_RUNNING;
}

/*
 * Registers back to RESET values, in an order the backends accept (EFER
 * before CR0); the VP is loaded. FPU state, MTRRs and the APIC are the
 * callers' to decide.
 */
static void whv_vp_reset_regs(struct whv_vp *vp)
{
	static const enum whv_areg zeroed[] = {
		WHV_AREG_EFER, WHV_AREG_CR2, WHV_AREG_CR3, WHV_AREG_CR4,
		WHV_AREG_CR8, WHV_AREG_KERNEL_GS_BASE, WHV_AREG_SYSENTER_CS,
		WHV_AREG_SYSENTER_EIP, WHV_AREG_SYSENTER_ESP, WHV_AREG_STAR,
		WHV_AREG_LSTAR, WHV_AREG_CSTAR, WHV_AREG_SFMASK,
		WHV_AREG_INT_SHADOW, WHV_AREG_PENDING_EVENT,
		WHV_AREG_NMI_MASKED,
	};
	const struct whv_backend *b = whv_backend;
	int i;

	for (i = 0; i < ARRAY_SIZE(zeroed); i++)
		b->write_reg(vp, zeroed[i], 0);
	whv_vp_reset(vp);
	memset(vp->gpr, 0, sizeof(vp->gpr));
	memset(vp->dr, 0, sizeof(vp->dr));
	vp->pkru = 0;
	set_bit(WHV_REQ_INTERCEPTS, &vp->requests);
	set_bit(WHV_REQ_TLB_FLUSH, &vp->requests);
}

static u64 whv_default_apic_base(struct whv_vp *vp)
{
	return 0xfee00000 | WHV_APIC_BASE_ENABLE | (vp->index ? 0 : WHV_APIC_BASE_BSP);
}

/*
 * WHvResetPartition for one VP (held, not running): everything back to
 * what a new VP has.
 */
void whv_vp_reinit(struct whv_vp *vp)
{
	whv_vp_load(vp);
	whv_vp_reset_regs(vp);
	whv_msrregs_reset(vp);		/* TSC 0, MTRRs, TSC_AUX, ... */
	vp->apic_base = whv_default_apic_base(vp);
	vp->apic.events = 0;
	whv_lapic_reset(vp, false);
	whv_vp_put(vp);
	vp->deliverability = 0;
	WRITE_ONCE(vp->cancel, false);
	whv_fp_reset(vp);
}

/*
 * INIT from another APIC, taken by the running VP itself (loaded, guest
 * FPU live): registers and the APIC reset; the APIC base, the TSC, MTRRs
 * and the other software MSRs, and the x87/SSE state stay, as on hardware.
 */
void whv_vp_init(struct whv_vp *vp)
{
	whv_vp_reset_regs(vp);
	whv_lapic_reset(vp, true);
}

int whv_vp_create(struct whv_partition *p, u32 index)
{
	struct whv_vp *vp;
	int ret;

	mutex_lock(&p->lock);
	ret = -EBADFD;
	if (!p->setup_done)
		goto out;
	ret = -EINVAL;
	if (index >= p->vp_count)
		goto out;
	ret = -EEXIST;
	if (rcu_access_pointer(p->vps[index]))
		goto out;
	ret = -ENOMEM;
	vp = kzalloc(sizeof(*vp), GFP_KERNEL_ACCOUNT);
	if (!vp)
		goto out;
	vp->part = p;
	vp->index = index;
	vp->cpu = -1;
	rcuwait_init(&vp->wait);
	if (!fpu_alloc_guest_fpstate(&vp->fpu)) {
		kfree(vp);
		goto out;
	}
	ret = whv_run_page_alloc(vp);
	if (!ret)
		ret = whv_lapic_create(vp);
	if (!ret)
		ret = whv_backend->vp_create(vp);
	if (ret) {
		whv_lapic_free(vp);
		whv_run_page_free(vp);
		fpu_free_guest_fpstate(&vp->fpu);
		kfree(vp);
		goto out;
	}
	whv_vp_load(vp);
	whv_vp_reset(vp);
	whv_msrregs_reset(vp);		/* TSC 0, MTRRs, TSC_AUX, ... */
	vp->apic_base = whv_default_apic_base(vp);
	whv_lapic_reset(vp, false);
	whv_vp_put(vp);
	vp->requests = BIT(WHV_REQ_TLB_FLUSH) | BIT(WHV_REQ_INTERCEPTS);
	rcu_assign_pointer(p->vps[index], vp);
out:
	mutex_unlock(&p->lock);
	return ret;
}

void whv_vp_free(struct whv_vp *vp)
{
	whv_lapic_free(vp);
	whv_backend->vp_destroy(vp);
	whv_run_page_free(vp);
	fpu_free_guest_fpstate(&vp->fpu);
	kfree(vp);
}

static struct whv_vp *whv_vp_deref(struct whv_partition *p, u32 index)
{
	if (index >= WHV_MAX_VPS)
		return NULL;
	return rcu_dereference_protected(p->vps[index],
					 lockdep_is_held(&p->lock));
}

int whv_vp_delete(struct whv_partition *p, u32 index)
{
	struct whv_vp *vp;

	mutex_lock(&p->lock);
	vp = whv_vp_deref(p, index);
	if (!vp || test_and_set_bit_lock(index, p->vp_busy)) {
		mutex_unlock(&p->lock);
		return vp ? -EBUSY : -ENOENT;
	}
	RCU_INIT_POINTER(p->vps[index], NULL);
	clear_bit_unlock(index, p->vp_busy);
	mutex_unlock(&p->lock);
	synchronize_rcu();	/* kickers may still look at it */
	whv_vp_free(vp);
	return 0;
}

/*
 * Why whv_vp_lock() found no VP @index to hold: nothing before setup, no VP
 * at the index, or one somebody else holds (@busy: its bit was taken).
 */
int whv_vp_lock_error(struct whv_partition *p, u32 index, bool busy)
{
	if (!READ_ONCE(p->setup_done))
		return -EBADFD;
	if (busy && rcu_access_pointer(p->vps[index]))
		return -EBUSY;
	return -ENOENT;
}

/*
 * Call @fn with every VP of the set-up partition @p held (busy bit taken),
 * so none runs meanwhile. -EBADFD before setup; -EBUSY, @fn not called,
 * when a VP is running.
 */
int whv_with_vps_stopped(struct whv_partition *p,
			 void (*fn)(struct whv_partition *p,
				    struct whv_vp **vps, int n))
{
	struct whv_vp *held[WHV_MAX_VPS];
	int i, n = 0, ret = 0;

	mutex_lock(&p->lock);
	if (!p->setup_done) {
		mutex_unlock(&p->lock);
		return -EBADFD;
	}
	for (i = 0; i < WHV_MAX_VPS && !ret; i++) {
		struct whv_vp *vp = whv_vp_deref(p, i);

		if (!vp)
			continue;
		if (!test_and_set_bit_lock(i, p->vp_busy))
			held[n++] = vp;
		else
			ret = -EBUSY;
	}
	if (!ret)
		fn(p, held, n);
	for (i = 0; i < n; i++)
		whv_vp_unlock(held[i]);
	mutex_unlock(&p->lock);
	return ret;
}

static void whv_kick_noop(void *unused)
{
}

/*
 * Pairs with the run loop, which publishes WHV_IN_GUEST and then re-reads
 * cancel/requests with interrupts off: either it sees our write, or our IPI
 * arrives after its VM entry and forces an exit. With @wait, the VP is out
 * of the guest when this returns.
 */
void whv_vp_kick(struct whv_vp *vp, bool wait)
{
	smp_mb();	/* our cancel/request write before reading mode */
	if (READ_ONCE(vp->mode) == WHV_IN_GUEST)
		smp_call_function_single(READ_ONCE(vp->cpu), whv_kick_noop,
					 NULL, wait);
	rcuwait_wake_up(&vp->wait);	/* a halted runner */
}

/*
 * An interrupt or APIC event was posted for @vp: make its runner look,
 * from any context (the APIC timer calls this from its hrtimer): a
 * reschedule IPI forces the exit, a halted runner is woken.
 */
void whv_vp_notify(struct whv_vp *vp)
{
	int cpu, me;

	set_bit(WHV_REQ_EVENT, &vp->requests);
	smp_mb__after_atomic();	/* the request before reading mode */
	if (READ_ONCE(vp->mode) == WHV_IN_GUEST) {
		cpu = READ_ONCE(vp->cpu);
		me = get_cpu();
		if (cpu != me && cpu_online(cpu))
			smp_send_reschedule(cpu);
		put_cpu();
	}
	rcuwait_wake_up(&vp->wait);
}

/* Post @request to every VP and wait until none is still in the guest. */
void whv_kick_all_vps(struct whv_partition *p, int request)
{
	u32 i;

	rcu_read_lock();
	for (i = 0; i < WHV_MAX_VPS; i++) {
		struct whv_vp *vp = rcu_dereference(p->vps[i]);

		if (!vp)
			continue;
		set_bit(request, &vp->requests);
		whv_vp_kick(vp, true);
	}
	rcu_read_unlock();
}

int whv_vp_cancel(struct whv_partition *p, u32 index)
{
	struct whv_vp *vp;

	mutex_lock(&p->lock);
	vp = whv_vp_deref(p, index);
	if (vp) {
		WRITE_ONCE(vp->cancel, true);
		whv_vp_kick(vp, false);
	}
	mutex_unlock(&p->lock);
	return vp ? 0 : -ENOENT;
}
