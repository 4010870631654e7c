// SPDX-License-Identifier: GPL-2.0
/*
 * Partition time: WHvSuspendPartitionTime and WHvResumePartitionTime.
 *
 * While the partition is suspended no VP's TSC or APIC timer advances. Resuming adds the
 * host-TSC ticks spent suspended to the partition's time_shift; each VP
 * takes what it has not seen of that out of its TSC offset before it runs
 * again or its TSC is read or written, so resume never touches a VP another
 * thread may hold. Meanwhile the register API reads a frozen TSC.
 *
 * Microsoft documents that no VP may run when time is suspended and that
 * WHvRunVirtualProcessor resumes it: suspending with a VP running is EBUSY,
 * and a run resumes the partition's time first.
 */
#include <linux/kernel.h>
#include <asm/msr.h>
#include "whv.h"

static void whv_time_stop(struct whv_partition *p, struct whv_vp **vps,
			  int n)
{
	int i;

	for (i = 0; i < n; i++)
		whv_lapic_timer_freeze(vps[i]);
	spin_lock(&p->time_lock);
	if (!p->time_suspended) {
		p->time_suspend_tsc = rdtsc_ordered();
		WRITE_ONCE(p->time_suspended, true);
	}
	spin_unlock(&p->time_lock);
}

int whv_time_suspend(struct whv_partition *p)
{
	return whv_with_vps_stopped(p, whv_time_stop);
}

void whv_time_resume_now(struct whv_partition *p)
{
	spin_lock(&p->time_lock);
	if (p->time_suspended) {
		WRITE_ONCE(p->time_shift, p->time_shift + rdtsc_ordered() -
			   p->time_suspend_tsc);
		WRITE_ONCE(p->time_suspended, false);
	}
	spin_unlock(&p->time_lock);
}

/* time_lock held: the VP's offset up to date with the partition's shift. */
static void whv_time_sync_locked(struct whv_vp *vp)
{
	const struct whv_backend *b = whv_backend;
	u64 shift = vp->part->time_shift;

	if (shift == vp->time_applied)
		return;
	b->write_reg(vp, WHV_AREG_TSC_OFFSET,
		     b->read_reg(vp, WHV_AREG_TSC_OFFSET) -
		     (shift - vp->time_applied));
	vp->time_applied = shift;
}

/* For a held, loaded VP. */
void whv_time_sync_now(struct whv_vp *vp)
{
	spin_lock(&vp->part->time_lock);
	whv_time_sync_locked(vp);
	spin_unlock(&vp->part->time_lock);
}

/* time_lock held: the host TSC the offset applies to, frozen if suspended. */
static u64 whv_time_host_tsc(struct whv_partition *p)
{
	return p->time_suspended ? p->time_suspend_tsc : rdtsc_ordered();
}

u64 whv_time_get_tsc(struct whv_vp *vp)
{
	struct whv_partition *p = vp->part;
	u64 tsc;

	spin_lock(&p->time_lock);
	whv_time_sync_locked(vp);
	tsc = whv_time_host_tsc(p) +
	      whv_backend->read_reg(vp, WHV_AREG_TSC_OFFSET);
	spin_unlock(&p->time_lock);
	return tsc;
}

void whv_time_set_tsc(struct whv_vp *vp, u64 tsc)
{
	struct whv_partition *p = vp->part;

	spin_lock(&p->time_lock);
	whv_time_sync_locked(vp);
	whv_backend->write_reg(vp, WHV_AREG_TSC_OFFSET,
			       tsc - whv_time_host_tsc(p));
	spin_unlock(&p->time_lock);
}
