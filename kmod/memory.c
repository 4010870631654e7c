// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory: GPA ranges of the owning process's memory, faulted into the
 * nested table on first guest access. An mmu notifier zaps the nested
 * entries of whatever the process unmaps or changes, and kicks the VPs out
 * of the guest before returning, so the guest always sees what the process
 * sees and never memory the process has freed.
 */
#include <linux/mm.h>
#include <linux/io.h>
#include <linux/interval_tree_generic.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "whv.h"

#define WHV_MAP_FLAGS (WHV_MAP_READ | WHV_MAP_WRITE | WHV_MAP_EXECUTE | \
		       WHV_MAP_TRACK_DIRTY)

/* Interval-tree keys: a range's first and last GPA, first and last HVA. */
#define WHV_RANGE_GPA(r)	((r)->gpa)
#define WHV_RANGE_LAST(r)	((r)->gpa + (r)->size - 1)
#define WHV_RANGE_HVA(r)	((r)->uaddr)
#define WHV_RANGE_HVA_LAST(r)	((r)->uaddr + (r)->size - 1)

INTERVAL_TREE_DEFINE(struct whv_range, gpa_rb, u64, gpa_subtree_last,
		     WHV_RANGE_GPA, WHV_RANGE_LAST, static inline, whv_gpa_it)
INTERVAL_TREE_DEFINE(struct whv_range, hva_rb, unsigned long,
		     hva_subtree_last, WHV_RANGE_HVA, WHV_RANGE_HVA_LAST,
		     static inline, whv_hva_it)

static struct whv_range *whv_range_find(struct whv_partition *p, u64 gpa)
{
	return whv_gpa_it_iter_first(&p->gpa_ranges, gpa, gpa);
}

static void whv_range_link(struct whv_partition *p, struct whv_range *r)
{
	whv_gpa_it_insert(r, &p->gpa_ranges);
	whv_hva_it_insert(r, &p->hva_ranges);
}

static void whv_range_unlink(struct whv_partition *p, struct whv_range *r)
{
	whv_gpa_it_remove(r, &p->gpa_ranges);
	whv_hva_it_remove(r, &p->hva_ranges);
}

/*
 * Remove [gpa, gpa+size) from the range trees, splitting a range that
 * straddles it (using @spare). Returns whether anything was mapped there.
 * Each range met is taken out of the trees, trimmed and put back, so the
 * cost is O(k log n) for k ranges touched.
 */
static bool whv_range_punch(struct whv_partition *p, u64 gpa, u64 size,
			    struct whv_range **spare)
{
	struct whv_range *r;
	u64 end = gpa + size;
	bool found = false;

	/* A fault that looked the range up before this must not install it. */
	p->mmu_seq++;
	while ((r = whv_gpa_it_iter_first(&p->gpa_ranges, gpa, end - 1))) {
		u64 r_end = r->gpa + r->size;

		found = true;
		whv_range_unlink(p, r);
		if (r->gpa < gpa && r_end > end) {
			/* Split: keep the head in r, the tail in the spare. */
			struct whv_range *tail = *spare;

			*spare = NULL;
			*tail = *r;
			tail->gpa = end;
			tail->size = r_end - end;
			tail->uaddr = r->uaddr + (end - r->gpa);
			whv_range_link(p, tail);
			p->n_ranges++;
			r->size = gpa - r->gpa;
		} else if (r->gpa < gpa) {
			r->size = gpa - r->gpa;
		} else if (r_end > end) {
			r->uaddr += end - r->gpa;
			r->size = r_end - end;
			r->gpa = end;
		} else {
			p->n_ranges--;
			kfree(r);
			continue;
		}
		whv_range_link(p, r);
	}
	whv_npt_zap(p, gpa, size);
	return found;
}

static int whv_range_check(const struct whv_gpa_range *rg)
{
	if (rg->reserved || !rg->size || !PAGE_ALIGNED(rg->size) ||
	    !PAGE_ALIGNED(rg->gpa) || !PAGE_ALIGNED(rg->uaddr))
		return -EINVAL;
	if (rg->gpa + rg->size < rg->gpa ||
	    rg->gpa + rg->size > (1ULL << WHV_GPA_BITS))
		return -EINVAL;
	return 0;
}

int whv_map_gpa_range(struct whv_partition *p, const struct whv_gpa_range *rg)
{
	struct whv_range *r, *spare;
	int ret = whv_range_check(rg);

	if (ret)
		return ret;
	if (rg->flags & ~WHV_MAP_FLAGS)
		return -EINVAL;
	if (rg->uaddr + rg->size < rg->uaddr ||
	    !access_ok(u64_to_user_ptr(rg->uaddr), rg->size))
		return -EINVAL;
	r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);
	spare = kzalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
	if (!r || !spare) {
		kfree(r);
		kfree(spare);
		return -ENOMEM;
	}
	r->gpa = rg->gpa;
	r->size = rg->size;
	r->uaddr = rg->uaddr;
	r->flags = rg->flags;

	mutex_lock(&p->lock);
	/* Each map may split one range in two, besides adding its own. */
	if (p->n_ranges + 2 > WHV_MAX_RANGES) {
		mutex_unlock(&p->lock);
		kfree(r);
		kfree(spare);
		return -ENOSPC;
	}
	ret = whv_dirty_prepare(p, rg->gpa, rg->size, rg->flags);
	if (ret) {
		mutex_unlock(&p->lock);
		kfree(r);
		kfree(spare);
		return ret;
	}
	spin_lock(&p->mmu_lock);
	whv_range_punch(p, rg->gpa, rg->size, &spare);
	whv_range_link(p, r);
	p->n_ranges++;
	whv_dirty_map(p, rg->gpa, rg->size, rg->flags);
	spin_unlock(&p->mmu_lock);
	whv_kick_all_vps(p, WHV_REQ_TLB_FLUSH);
	whv_gpa_unpin(p, rg->gpa, rg->size);
	mutex_unlock(&p->lock);
	kfree(spare);
	return 0;
}

int whv_unmap_gpa_range(struct whv_partition *p,
			const struct whv_gpa_range *rg)
{
	struct whv_range *spare;
	bool found;
	int ret = whv_range_check(rg);

	if (ret)
		return ret;
	if (rg->uaddr || rg->flags)
		return -EINVAL;
	spare = kzalloc(sizeof(*spare), GFP_KERNEL_ACCOUNT);
	if (!spare)
		return -ENOMEM;
	mutex_lock(&p->lock);
	spin_lock(&p->mmu_lock);
	found = whv_range_punch(p, rg->gpa, rg->size, &spare);
	whv_dirty_map(p, rg->gpa, rg->size, 0);
	spin_unlock(&p->mmu_lock);
	whv_kick_all_vps(p, WHV_REQ_TLB_FLUSH);
	whv_gpa_unpin(p, rg->gpa, rg->size);
	mutex_unlock(&p->lock);
	kfree(spare);
	return found ? 0 : -ESRCH;
}

static bool whv_access_allowed(u32 flags, u8 access)
{
	if (!(flags & WHV_MAP_READ))
		return false;	/* nested tables cannot express no-read */
	if (access == WHV_MEM_ACCESS_WRITE)
		return flags & WHV_MAP_WRITE;
	if (access == WHV_MEM_ACCESS_EXECUTE)
		return flags & WHV_MAP_EXECUTE;
	return true;
}

/*
 * Install the nested entry of @gpa for @access, faulting the page in
 * unless @nofault (then only a resident page is used). *handled is false
 * when the access cannot be satisfied (unmapped, forbidden, or no backing);
 * *mapped (if asked) whether a range maps @gpa.
 */
static int whv_gpa_fault(struct whv_partition *p, u64 gpa, u8 access,
			 bool nofault, bool *handled, bool *mapped)
{
	u64 *spare[3] = { NULL, NULL, NULL };
	unsigned long hva, seq;
	struct whv_range *r;
	struct page *page;
	unsigned int gup;
	u64 span;
	u32 flags;
	int i, level, ret = 0;

	*handled = false;
	gpa &= ~(WHV_PAGE_SIZE - 1);
retry:
	spin_lock(&p->mmu_lock);
	r = whv_range_find(p, gpa);
	if (mapped)
		*mapped = r;
	if (!r || !whv_access_allowed(r->flags, access)) {
		spin_unlock(&p->mmu_lock);
		goto out;
	}
	hva = r->uaddr + (gpa - r->gpa);
	flags = r->flags;
	seq = p->mmu_seq;
	spin_unlock(&p->mmu_lock);

	gup = (flags & WHV_MAP_WRITE) ? FOLL_WRITE : 0;
	if ((nofault ? get_user_pages_fast_only(hva, 1, gup, &page) :
	     get_user_pages_unlocked(hva, 1, &page, gup)) != 1)
		goto out;	/* no backing: userspace decides */
	for (i = 0; i < ARRAY_SIZE(spare); i++) {
		if (!spare[i])
			spare[i] = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
		if (!spare[i]) {
			put_page(page);
			ret = -ENOMEM;
			goto out;
		}
	}
	spin_lock(&p->mmu_lock);
	if (p->mmu_invalidating || p->mmu_seq != seq) {
		spin_unlock(&p->mmu_lock);
		put_page(page);
		if (fatal_signal_pending(current)) {
			ret = -EINTR;
			goto out;
		}
		cond_resched();
		goto retry;
	}
	/*
	 * No invalidation since the lookup: r is still the range. Smaller
	 * leaves already in a large one's span (-ENOTEMPTY): one size down.
	 * Dirty tracking works on 4 KiB leaves.
	 */
	flags = whv_dirty_fault(p, gpa, access, flags);
	level = (flags & WHV_MAP_TRACK_DIRTY) ? 1 :
		whv_npt_fault_level(p, r, gpa, hva, page_to_pfn(page));
	do {
		span = whv_npt_span(level);
		ret = whv_npt_map(p, gpa & ~(span - 1), whv_backend->npt_leaf(
				  page_to_phys(page) - (gpa & (span - 1)),
				  flags), level, spare, 3);
	} while (ret == -ENOTEMPTY && --level);
	spin_unlock(&p->mmu_lock);
	/*
	 * -EEXIST: another VP filled this entry first (forbidden accesses
	 * were turned away above), so just re-enter.
	 */
	if (ret)
		put_page(page);	/* -EAGAIN cannot happen with 3 spares */
	ret = 0;
	*handled = true;
out:
	for (i = 0; i < ARRAY_SIZE(spare); i++)
		if (spare[i])
			free_page((unsigned long)spare[i]);
	return ret;
}

/*
 * Resolve a nested page fault. *handled is false when the access must go to
 * userspace as a MemoryAccess exit (unmapped, forbidden, or no backing);
 * *mapped says which (GpaUnmapped), as of the lookup.
 */
int whv_mem_fault(struct whv_vp *vp, u64 gpa, u8 access, bool *handled,
		  bool *mapped)
{
	return whv_gpa_fault(vp->part, gpa, access, false, handled, mapped);
}

/*
 * WHvAdviseGpaRange Populate of one page: 0 once its entry is installed (or,
 * with @nofault, when it is not resident), -ESRCH if unmapped, -EACCES if
 * the mapping forbids @access, -EFAULT if it has no backing.
 */
int whv_gpa_populate(struct whv_partition *p, u64 gpa, u8 access,
		     bool nofault)
{
	unsigned long hva;
	bool handled;
	u32 flags;
	int ret;

	if (!whv_gpa_hva(p, gpa, &hva, &flags))
		return -ESRCH;
	if (!whv_access_allowed(flags, access))
		return -EACCES;
	ret = whv_gpa_fault(p, gpa, access, nofault, &handled, NULL);
	if (ret || handled || nofault)
		return ret;
	/* The mapping changed meanwhile, or the memory is not there. */
	if (!whv_gpa_hva(p, gpa, &hva, &flags))
		return -ESRCH;
	return whv_access_allowed(flags, access) ? -EFAULT : -EACCES;
}

/* Charge @n pinned pages to the owner (RLIMIT_MEMLOCK), or uncharge. */
static int whv_pin_charge(struct whv_partition *p, long n)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;

	if (atomic64_add_return(n, &p->mm->pinned_vm) > limit && n > 0 &&
	    !capable(CAP_IPC_LOCK)) {
		atomic64_sub(n, &p->mm->pinned_vm);
		return -ENOMEM;
	}
	return 0;
}

/*
 * WHvAdviseGpaRange Pin of one page, under p->lock: the page backing @gpa
 * now is pinned (long-term) until Unpin, an unmap or remap of @gpa, or the
 * partition's end; its entry is installed. Pinning twice is pinning once.
 */
int whv_gpa_pin(struct whv_partition *p, u64 gpa)
{
	unsigned long hva, gfn = gpa >> PAGE_SHIFT;
	struct page *page;
	u32 flags;
	int ret;

	lockdep_assert_held(&p->lock);
	if (!whv_gpa_hva(p, gpa, &hva, &flags))
		return -ESRCH;
	if (!xa_load(&p->pins, gfn)) {
		ret = whv_pin_charge(p, 1);
		if (ret)
			return ret;
		if (pin_user_pages_fast(hva, 1, FOLL_LONGTERM |
					((flags & WHV_MAP_WRITE) ?
					 FOLL_WRITE : 0), &page) != 1) {
			whv_pin_charge(p, -1);
			return -EFAULT;
		}
		ret = xa_err(xa_store(&p->pins, gfn, page,
				      GFP_KERNEL_ACCOUNT));
		if (ret) {
			unpin_user_page(page);
			whv_pin_charge(p, -1);
			return ret;
		}
	}
	return whv_gpa_populate(p, gpa, (flags & WHV_MAP_WRITE) ?
				WHV_MEM_ACCESS_WRITE : WHV_MEM_ACCESS_READ,
				false);
}

/* Release the pins of [gpa, gpa+size), under p->lock. */
void whv_gpa_unpin(struct whv_partition *p, u64 gpa, u64 size)
{
	unsigned long gfn;
	struct page *page;
	long n = 0;

	xa_for_each_range(&p->pins, gfn, page, gpa >> PAGE_SHIFT,
			  (gpa + size - 1) >> PAGE_SHIFT) {
		xa_erase(&p->pins, gfn);
		unpin_user_page(page);
		n++;
	}
	if (n)
		whv_pin_charge(p, -n);
}

bool whv_gpa_mapped(struct whv_partition *p, u64 gpa)
{
	bool mapped;

	spin_lock(&p->mmu_lock);
	mapped = whv_range_find(p, gpa);
	spin_unlock(&p->mmu_lock);
	return mapped;
}

/* The owner's address of @gpa and its range's flags; false if unmapped. */
bool whv_gpa_hva(struct whv_partition *p, u64 gpa, unsigned long *hva,
		 u32 *flags)
{
	struct whv_range *r;

	spin_lock(&p->mmu_lock);
	r = whv_range_find(p, gpa);
	if (r) {
		*hva = r->uaddr + (gpa - r->gpa);
		*flags = r->flags;
	}
	spin_unlock(&p->mmu_lock);
	return r;
}

/* Read guest-physical memory through the owner's mapping (process context). */
int whv_read_gpa(struct whv_partition *p, u64 gpa, void *buf, size_t len)
{
	while (len) {
		size_t n = min_t(size_t, len, WHV_PAGE_SIZE -
				 (gpa & (WHV_PAGE_SIZE - 1)));
		unsigned long hva;
		u32 flags;

		if (!whv_gpa_hva(p, gpa, &hva, &flags) ||
		    copy_from_user(buf, (void __user *)hva, n))
			return -EFAULT;
		buf += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

/*
 * The same for a few bytes within one page the guest has just used (an
 * instruction fetch at exit): through the nested table's leaf when there is
 * one, which skips the range lookup and the user copy. With interrupts
 * off, only through that leaf.
 */
int whv_read_gpa_fast(struct whv_partition *p, u64 gpa, void *buf,
		      size_t len)
{
	bool done;

	spin_lock(&p->mmu_lock);
	done = whv_npt_read(p, gpa, buf, len);
	spin_unlock(&p->mmu_lock);
	if (done)
		return 0;
	/* The run loop's fast path, interrupts off: nothing that sleeps. */
	if (irqs_disabled())
		return -EAGAIN;
	return whv_read_gpa(p, gpa, buf, len);
}

/*
 * Every page of [gpa, gpa+len) mapped (-ESRCH) and allowing @need. An
 * advice may name terabytes: the walk yields and stops for a fatal signal.
 */
int whv_gpa_allows(struct whv_partition *p, u64 gpa, u64 len, u32 need)
{
	u64 pos = gpa & ~(WHV_PAGE_SIZE - 1);
	unsigned long hva;
	u32 flags;

	for (; pos < gpa + len; pos += WHV_PAGE_SIZE) {
		if (!whv_gpa_hva(p, pos, &hva, &flags))
			return -ESRCH;
		if ((flags & need) != need)
			return -EACCES;
		if (!(pos & (SZ_2M - 1))) {
			if (fatal_signal_pending(current))
				return -EINTR;
			cond_resched();
		}
	}
	return 0;
}

/*
 * Write guest-physical memory through the owner's mapping (process
 * context): the one path for the VMM's writes (WHvWriteGpaRange). Nothing
 * is written unless every page is mapped (-ESRCH) and writable (-EACCES);
 * -EFAULT if the backing memory cannot be written.
 */
int whv_write_gpa(struct whv_partition *p, u64 gpa, const void *buf,
		  size_t len)
{
	unsigned long hva;
	u32 flags;
	int ret = whv_gpa_allows(p, gpa, len, WHV_MAP_WRITE);

	if (ret)
		return ret;
	while (len) {
		size_t n = min_t(size_t, len, WHV_PAGE_SIZE -
				 (gpa & (WHV_PAGE_SIZE - 1)));

		if (!whv_gpa_hva(p, gpa, &hva, &flags) ||
		    copy_to_user((void __user *)hva, buf, n))
			return -EFAULT;
		/* After the write: a query in between must not report it early. */
		whv_dirty_mark(p, gpa, n);
		buf += n;
		gpa += n;
		len -= n;
	}
	return 0;
}

static struct whv_partition *mn_to_partition(struct mmu_notifier *mn)
{
	return container_of(mn, struct whv_partition, mmu_notifier);
}

/* Zap what backs [start, end) of the process, under mmu_lock. */
static void whv_zap_hva(struct whv_partition *p, unsigned long start,
			unsigned long end)
{
	struct whv_range *r;

	if (start >= end)
		return;
	for (r = whv_hva_it_iter_first(&p->hva_ranges, start, end - 1); r;
	     r = whv_hva_it_iter_next(r, start, end - 1)) {
		unsigned long r_end = r->uaddr + r->size;
		unsigned long lo = max(start, r->uaddr), hi = min(end, r_end);

		if (lo < hi)
			whv_npt_zap(p, r->gpa + (lo - r->uaddr), hi - lo);
	}
}

static int whv_mn_invalidate_start(struct mmu_notifier *mn,
				   const struct mmu_notifier_range *range)
{
	struct whv_partition *p = mn_to_partition(mn);

	spin_lock(&p->mmu_lock);
	p->mmu_invalidating++;
	p->mmu_seq++;
	whv_zap_hva(p, range->start, range->end);
	spin_unlock(&p->mmu_lock);
	whv_kick_all_vps(p, WHV_REQ_TLB_FLUSH);
	return 0;
}

static void whv_mn_invalidate_end(struct mmu_notifier *mn,
				  const struct mmu_notifier_range *range)
{
	struct whv_partition *p = mn_to_partition(mn);

	spin_lock(&p->mmu_lock);
	p->mmu_invalidating--;
	p->mmu_seq++;
	spin_unlock(&p->mmu_lock);
}

static void whv_mn_release(struct mmu_notifier *mn, struct mm_struct *mm)
{
	struct whv_partition *p = mn_to_partition(mn);

	spin_lock(&p->mmu_lock);
	p->mmu_seq++;
	whv_npt_zap(p, 0, 1ULL << WHV_GPA_BITS);
	spin_unlock(&p->mmu_lock);
	whv_kick_all_vps(p, WHV_REQ_TLB_FLUSH);
}

static const struct mmu_notifier_ops whv_mmu_notifier_ops = {
	.invalidate_range_start = whv_mn_invalidate_start,
	.invalidate_range_end = whv_mn_invalidate_end,
	.release = whv_mn_release,
};

int whv_mem_init(struct whv_partition *p)
{
	int ret;

	p->npt_root = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!p->npt_root)
		return -ENOMEM;
	/*
	 * GPAs stay below 2^48, so a 5-level walk only ever goes through
	 * entry 0 of the top table, to the 4-level table npt.c manages.
	 */
	if (whv_backend->npt_5level && whv_backend->npt_5level()) {
		p->npt_pml5 = (u64 *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
		if (!p->npt_pml5) {
			ret = -ENOMEM;
			goto fail;
		}
		p->npt_pml5[0] = whv_backend->npt_table(virt_to_phys(p->npt_root));
	}
	p->mmu_notifier.ops = &whv_mmu_notifier_ops;
	ret = mmu_notifier_register(&p->mmu_notifier, p->mm);
	if (!ret)
		return 0;
fail:
	free_page((unsigned long)p->npt_pml5);
	p->npt_pml5 = NULL;
	free_page((unsigned long)p->npt_root);
	p->npt_root = NULL;
	return ret;
}

void whv_mem_destroy(struct whv_partition *p)
{
	struct whv_range *r, *tmp;

	mmu_notifier_unregister(&p->mmu_notifier, p->mm);
	rbtree_postorder_for_each_entry_safe(r, tmp, &p->gpa_ranges.rb_root,
					     gpa_rb)
		kfree(r);
	whv_gpa_unpin(p, 0, 1ULL << WHV_GPA_BITS);
	xa_destroy(&p->pins);
	whv_npt_free(p);
}
