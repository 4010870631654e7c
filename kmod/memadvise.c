// SPDX-License-Identifier: GPL-2.0
/*
 * The VMM's own guest-memory calls: WHvReadGpaRange / WHvWriteGpaRange
 * (a few bytes through the partition's mappings), WHvAdviseGpaRange
 * (Populate, Pin, Unpin) and WHvGetPartitionCounters (nested leaves by
 * size). Every argument is checked before anything happens.
 */
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include "whv.h"

/* WHV_ACCESS_GPA_CONTROLS: CacheType (u32), InputVtl (u8), reserved. */
#define WHV_CTL_CACHE(c)	((u32)(c))
#define WHV_CTL_VTL(c)		((u8)((c) >> 32))
#define WHV_CTL_RESERVED(c)	((c) >> 40)
#define WHV_VTL_USE_TARGET	0x10	/* UseTargetVtl; TargetVtl in 3:0 */

static bool whv_controls_valid(u64 c)
{
	switch (WHV_CTL_CACHE(c)) {
	case 0: case 1: case 4: case 5: case 6:	/* UC, WC, WT, WP, WB */
		break;
	default:
		return false;
	}
	/* One VTL: the default one, or VTL 0 named explicitly. */
	if (WHV_CTL_VTL(c) && WHV_CTL_VTL(c) != WHV_VTL_USE_TARGET)
		return false;
	return !WHV_CTL_RESERVED(c);
}

static int whv_read_checked(struct whv_partition *p, u64 gpa, void *buf,
			    u32 len)
{
	int ret = whv_gpa_allows(p, gpa, len, WHV_MAP_READ);

	if (ret)
		return ret;
	return whv_read_gpa(p, gpa, buf, len);	/* -EFAULT: no backing */
}

int whv_gpa_access_ioctl(struct whv_partition *p, void __user *arg,
			 bool write)
{
	struct whv_gpa_access a;
	int ret;

	if (copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	if (!READ_ONCE(p->setup_done))
		return -EBADFD;
	if (!a.size || a.size > WHV_GPA_ACCESS_MAX ||
	    !whv_controls_valid(a.controls) ||
	    a.gpa >= (1ULL << WHV_GPA_BITS) ||
	    a.gpa + a.size > (1ULL << WHV_GPA_BITS))
		return -EINVAL;
	if (a.vp_index >= WHV_MAX_VPS ||
	    !rcu_access_pointer(p->vps[a.vp_index]))
		return -ENOENT;
	if (write)
		return whv_write_gpa(p, a.gpa, a.data, a.size);
	ret = whv_read_checked(p, a.gpa, a.data, a.size);
	if (ret)
		return ret;
	memset(a.data + a.size, 0, sizeof(a.data) - a.size);
	return copy_to_user(arg, &a, sizeof(a)) ? -EFAULT : 0;
}

static int whv_advise_entry(struct whv_partition *p,
			    const struct whv_advise *a, u32 i,
			    struct whv_memory_range *e)
{
	struct whv_memory_range __user *u = u64_to_user_ptr(a->ranges);

	if (copy_from_user(e, &u[i], sizeof(*e)))
		return -EFAULT;
	if (!e->size || !PAGE_ALIGNED(e->gpa) || !PAGE_ALIGNED(e->size) ||
	    e->gpa >= (1ULL << WHV_GPA_BITS) ||
	    e->size > (1ULL << WHV_GPA_BITS) - e->gpa)
		return -EINVAL;
	return 0;
}

static u32 whv_access_flag(u32 access)
{
	if (access == WHV_MEM_ACCESS_WRITE)
		return WHV_MAP_READ | WHV_MAP_WRITE;
	if (access == WHV_MEM_ACCESS_EXECUTE)
		return WHV_MAP_READ | WHV_MAP_EXECUTE;
	return WHV_MAP_READ;
}

/* Apply the advice to one page. */
static int whv_advise_page(struct whv_partition *p,
			   const struct whv_advise *a, u64 gpa)
{
	switch (a->advice) {
	case WHV_ADVISE_POPULATE:
		return whv_gpa_populate(p, gpa, a->access, a->populate_flags &
					WHV_POPULATE_AVOID_HARD_FAULTS);
	case WHV_ADVISE_PIN:
		return whv_gpa_pin(p, gpa);
	default:
		whv_gpa_unpin(p, gpa, WHV_PAGE_SIZE);
		return 0;
	}
}

int whv_advise_ioctl(struct whv_partition *p, void __user *arg)
{
	struct whv_memory_range e = { 0 };
	struct whv_advise a;
	u32 i, need = 0;
	int ret = 0;
	u64 pos;

	if (copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	if (!READ_ONCE(p->setup_done))
		return -EBADFD;
	if (!a.count || a.count > WHV_MAX_ADVISE_RANGES)
		return -EINVAL;
	switch (a.advice) {
	case WHV_ADVISE_POPULATE:
		if (a.populate_flags & ~(WHV_POPULATE_PREFETCH |
					 WHV_POPULATE_AVOID_HARD_FAULTS) ||
		    a.access > WHV_MEM_ACCESS_EXECUTE)
			return -EINVAL;
		need = whv_access_flag(a.access);
		break;
	case WHV_ADVISE_PIN:
	case WHV_ADVISE_UNPIN:
		if (a.populate_flags || a.access)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}

	/* Every entry valid and mapped all along before any work. */
	for (i = 0; i < a.count; i++) {
		ret = whv_advise_entry(p, &a, i, &e);
		if (!ret)
			ret = whv_gpa_allows(p, e.gpa, e.size, need);
		if (ret)
			return ret;
		if (fatal_signal_pending(current))
			return -EINTR;
		cond_resched();
	}

	/* Pins are kept in step with map and unmap under the lock. */
	if (a.advice != WHV_ADVISE_POPULATE)
		mutex_lock(&p->lock);
	for (i = 0; i < a.count && !ret; i++) {
		ret = whv_advise_entry(p, &a, i, &e);
		for (pos = e.gpa; !ret && pos < e.gpa + e.size;
		     pos += WHV_PAGE_SIZE) {
			ret = whv_advise_page(p, &a, pos);
			if (!ret && fatal_signal_pending(current))
				ret = -EINTR;
			cond_resched();
		}
	}
	if (a.advice != WHV_ADVISE_POPULATE)
		mutex_unlock(&p->lock);
	return ret;
}

int whv_counters_ioctl(struct whv_partition *p, void __user *arg)
{
	struct whv_partition_counters c;

	if (copy_from_user(&c, arg, sizeof(c)))
		return -EFAULT;
	if (c.reserved)
		return -EINVAL;
	if (c.set != WHV_COUNTER_SET_MEMORY)
		return -ENOPROTOOPT;
	spin_lock(&p->mmu_lock);
	c.mapped_4k = p->npt_leaves[0];
	c.mapped_2m = p->npt_leaves[1];
	c.mapped_1g = p->npt_leaves[2];
	spin_unlock(&p->mmu_lock);
	return copy_to_user(arg, &c, sizeof(c)) ? -EFAULT : 0;
}
