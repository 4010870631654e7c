// SPDX-License-Identifier: GPL-2.0
/*
 * Dirty-page tracking for ranges mapped with WHV_MAP_TRACK_DIRTY.
 *
 * The state is kept per guest-physical page, apart from the range list: a
 * "tracked" and a "dirty" bit for every page, in chunks of 64 MiB of GPA
 * space held in an xarray. A chunk is allocated when a tracked range is
 * mapped over it and freed when its last tracked page is unmapped. The bits
 * change under the partition's mmu_lock; tracked bits and chunks only with
 * the partition's lock held too (map, unmap), which the query also holds.
 *
 * What makes the query exact is one invariant: the nested entry of a
 * tracked page is writable only while the page's dirty bit is set. A guest's
 * first write to a clean page faults, and the fault sets the bit before it
 * installs a writable entry (whv_dirty_fault). The query clears a dirty bit
 * and zaps the page's entry in one mmu_lock section, then has every VP flush
 * its TLB (kicked out of the guest, and waited for) before the caller gets
 * the bits. A write through a stale TLB entry in that window happens before
 * the caller can read the page it is told about; every later write faults
 * and sets the bit again. So a page the caller copies after the query holds
 * every write that is not reported by the next query.
 */
#include <linux/bitmap.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>
#include "whv.h"

#define DIRTY_CHUNK_SHIFT	14
#define DIRTY_CHUNK_PAGES	(1U << DIRTY_CHUNK_SHIFT)	/* 64 MiB */
/* Pages reported per mmu_lock section, and per TLB flush and copy-out. */
#define DIRTY_STEP_PAGES	4096U
#define DIRTY_BATCH_PAGES	65536U

struct whv_dirty_chunk {
	DECLARE_BITMAP(tracked, DIRTY_CHUNK_PAGES);
	DECLARE_BITMAP(dirty, DIRTY_CHUNK_PAGES);
};

static unsigned long chunk_index(u64 pfn)
{
	return pfn >> DIRTY_CHUNK_SHIFT;
}

static unsigned int chunk_offset(u64 pfn)
{
	return pfn & (DIRTY_CHUNK_PAGES - 1);
}

void whv_dirty_init(struct whv_partition *p)
{
	xa_init(&p->dirty);
}

void whv_dirty_destroy(struct whv_partition *p)
{
	struct whv_dirty_chunk *c;
	unsigned long i;

	xa_for_each(&p->dirty, i, c)
		kfree(c);
	xa_destroy(&p->dirty);
}

/* Free the chunks of [first, last] without a tracked page; under both locks. */
static void whv_dirty_trim(struct whv_partition *p, unsigned long first,
			   unsigned long last)
{
	struct whv_dirty_chunk *c;
	unsigned long i;

	xa_for_each_range(&p->dirty, i, c, first, last) {
		if (bitmap_empty(c->tracked, DIRTY_CHUNK_PAGES)) {
			xa_erase(&p->dirty, i);
			kfree(c);
		}
	}
}

/*
 * Before mapping [gpa, gpa + size) with @flags: the chunks a tracked range
 * needs. Under the partition's lock; may sleep.
 */
int whv_dirty_prepare(struct whv_partition *p, u64 gpa, u64 size, u32 flags)
{
	unsigned long first = chunk_index(gpa >> PAGE_SHIFT);
	unsigned long last = chunk_index((gpa + size - 1) >> PAGE_SHIFT);
	unsigned long i;
	int ret = 0;

	if (!(flags & WHV_MAP_TRACK_DIRTY))
		return 0;
	for (i = first; i <= last && !ret; i++) {
		struct whv_dirty_chunk *c;

		if (xa_load(&p->dirty, i))
			continue;
		c = kzalloc(sizeof(*c), GFP_KERNEL_ACCOUNT);
		if (!c) {
			ret = -ENOMEM;
			break;
		}
		ret = xa_err(xa_store(&p->dirty, i, c, GFP_KERNEL_ACCOUNT));
		if (ret)
			kfree(c);
		else if (fatal_signal_pending(current))
			ret = -EINTR;
		cond_resched();
	}
	if (ret) {
		spin_lock(&p->mmu_lock);
		whv_dirty_trim(p, first, last);
		spin_unlock(&p->mmu_lock);
	}
	return ret;
}

/*
 * [gpa, gpa + size) was just mapped with @flags, or unmapped (@flags 0):
 * its pages are tracked or not, and clean either way. Under both locks,
 * after whv_dirty_prepare() for a tracked map.
 */
void whv_dirty_map(struct whv_partition *p, u64 gpa, u64 size, u32 flags)
{
	u64 pfn = gpa >> PAGE_SHIFT, end = (gpa + size) >> PAGE_SHIFT;
	unsigned long first = chunk_index(pfn), last = chunk_index(end - 1);
	bool track = flags & WHV_MAP_TRACK_DIRTY;
	struct whv_dirty_chunk *c;
	unsigned long i;

	xa_for_each_range(&p->dirty, i, c, first, last) {
		u64 lo = max_t(u64, pfn, (u64)i << DIRTY_CHUNK_SHIFT);
		u64 hi = min_t(u64, end, (u64)(i + 1) << DIRTY_CHUNK_SHIFT);
		unsigned int off = chunk_offset(lo), n = hi - lo;

		bitmap_clear(c->dirty, off, n);
		if (track)
			bitmap_set(c->tracked, off, n);
		else
			bitmap_clear(c->tracked, off, n);
	}
	if (!track)
		whv_dirty_trim(p, first, last);
}

/*
 * The map flags for the nested entry a fault of @access on @gpa installs,
 * under mmu_lock: a tracked page's entry is writable only once the page is
 * dirty. A write makes it dirty, and replaces the read-only entry an
 * earlier read may have installed.
 */
u32 whv_dirty_fault(struct whv_partition *p, u64 gpa, u8 access, u32 flags)
{
	u64 pfn = gpa >> PAGE_SHIFT;
	struct whv_dirty_chunk *c;

	if ((flags & (WHV_MAP_TRACK_DIRTY | WHV_MAP_WRITE)) !=
	    (WHV_MAP_TRACK_DIRTY | WHV_MAP_WRITE))
		return flags;
	c = xa_load(&p->dirty, chunk_index(pfn));
	if (!c)		/* cannot happen: a tracked range has its chunks */
		return flags;
	if (access == WHV_MEM_ACCESS_WRITE) {
		__set_bit(chunk_offset(pfn), c->dirty);
		whv_npt_zap(p, pfn << PAGE_SHIFT, WHV_PAGE_SIZE);
		return flags;
	}
	if (test_bit(chunk_offset(pfn), c->dirty))
		return flags;
	return flags & ~WHV_MAP_WRITE;
}

/* Set the dirty bits of the tracked pages in [pfn, end); under mmu_lock. */
static void whv_dirty_set(struct whv_partition *p, u64 pfn, u64 end)
{
	struct whv_dirty_chunk *c;
	unsigned long i;

	xa_for_each_range(&p->dirty, i, c, chunk_index(pfn),
			  chunk_index(end - 1)) {
		u64 lo = max_t(u64, pfn, (u64)i << DIRTY_CHUNK_SHIFT);
		u64 hi = min_t(u64, end, (u64)(i + 1) << DIRTY_CHUNK_SHIFT);
		unsigned int b = chunk_offset(lo), e = b + (hi - lo);

		for (b = find_next_bit(c->tracked, e, b); b < e;
		     b = find_next_bit(c->tracked, e, b + 1))
			__set_bit(b, c->dirty);
	}
}

/**
 * whv_dirty_mark - the host wrote guest memory
 * @p: the partition
 * @gpa: first byte written
 * @len: bytes written
 *
 * For writes the kernel makes on the guest's behalf through the owner's
 * mapping (page-table A/D bits, WHvWriteGpaRange): marks the tracked pages
 * in [@gpa, @gpa + @len) dirty. Call it after the write is complete, so that
 * a query that reports the page cannot precede the data. Takes mmu_lock.
 */
void whv_dirty_mark(struct whv_partition *p, u64 gpa, u64 len)
{
	u64 end = gpa + len;

	if (!len || gpa >= (1ULL << WHV_GPA_BITS))
		return;
	if (end < gpa || end > (1ULL << WHV_GPA_BITS))
		end = 1ULL << WHV_GPA_BITS;
	spin_lock(&p->mmu_lock);
	whv_dirty_set(p, gpa >> PAGE_SHIFT, DIV_ROUND_UP(end, WHV_PAGE_SIZE));
	spin_unlock(&p->mmu_lock);
}

/* Is every page in [pfn, pfn + n) tracked? Under the partition's lock. */
static bool whv_dirty_tracked(struct whv_partition *p, u64 pfn, u64 n)
{
	u64 end = pfn + n;

	while (pfn < end) {
		struct whv_dirty_chunk *c = xa_load(&p->dirty, chunk_index(pfn));
		unsigned int off = chunk_offset(pfn);
		unsigned int e = min_t(u64, DIRTY_CHUNK_PAGES, off + (end - pfn));

		if (!c || find_next_zero_bit(c->tracked, e, off) < e)
			return false;
		pfn += e - off;
		cond_resched();
	}
	return true;
}

/*
 * Take the dirty bits of [pfn, pfn + n) (all tracked), n <= DIRTY_STEP_PAGES:
 * bit i of @out (if any) for page pfn + i; each dirty page's entry is
 * zapped. Under both locks. Returns whether anything was dirty.
 */
static bool whv_dirty_take(struct whv_partition *p, u64 pfn, u64 n,
			   unsigned long *out)
{
	bool any = false;
	u64 i = 0;

	while (i < n) {
		u64 cur = pfn + i;
		struct whv_dirty_chunk *c = xa_load(&p->dirty, chunk_index(cur));
		unsigned int off = chunk_offset(cur);
		unsigned int end = min_t(u64, DIRTY_CHUNK_PAGES, off + (n - i));
		unsigned int b = off, e;

		while (c && (b = find_next_bit(c->dirty, end, b)) < end) {
			e = find_next_zero_bit(c->dirty, end, b);
			bitmap_clear(c->dirty, b, e - b);
			if (out)
				bitmap_set(out, i + (b - off), e - b);
			whv_npt_zap(p, (cur + (b - off)) << PAGE_SHIFT,
				    (u64)(e - b) << PAGE_SHIFT);
			any = true;
			b = e;
		}
		i += end - off;
	}
	return any;
}

/* Give back the bits of @bits (as whv_dirty_take() returned them). */
static void whv_dirty_untake(struct whv_partition *p, u64 pfn, u64 n,
			     const unsigned long *bits)
{
	unsigned int b, e;

	spin_lock(&p->mmu_lock);
	for_each_set_bitrange(b, e, bits, n)
		whv_dirty_set(p, pfn + b, pfn + e);
	spin_unlock(&p->mmu_lock);
}

/*
 * Return and clear the dirty bits of [gpa, gpa + size), @ubuf (NULL: clear
 * only) taking one bit per page. A batch's pages are write-protected and
 * every VP's TLB flushed before its bits are copied out.
 */
static int whv_dirty_query(struct whv_partition *p, u64 gpa, u64 size,
			   u64 __user *ubuf)
{
	u64 pfn = gpa >> PAGE_SHIFT, npages = size >> PAGE_SHIFT, done, n, i;
	unsigned long *buf = NULL;
	int ret = 0;

	if (ubuf) {
		buf = kmalloc(DIRTY_BATCH_PAGES / 8, GFP_KERNEL_ACCOUNT);
		if (!buf)
			return -ENOMEM;
	}
	mutex_lock(&p->lock);
	if (!whv_dirty_tracked(p, pfn, npages)) {
		ret = -ESRCH;
		goto out;
	}
	/* Nothing is taken when the bits could not be handed over. */
	if (ubuf && clear_user(ubuf, DIV_ROUND_UP(npages, 64) * 8)) {
		ret = -EFAULT;
		goto out;
	}
	for (done = 0; done < npages; done += n) {
		bool any = false;

		n = min_t(u64, npages - done, DIRTY_BATCH_PAGES);
		if (buf)
			bitmap_zero(buf, DIRTY_BATCH_PAGES);
		for (i = 0; i < n; i += DIRTY_STEP_PAGES) {
			spin_lock(&p->mmu_lock);
			any |= whv_dirty_take(p, pfn + done + i,
					      min_t(u64, n - i, DIRTY_STEP_PAGES),
					      buf ? buf + i / BITS_PER_LONG : NULL);
			spin_unlock(&p->mmu_lock);
			cond_resched();
		}
		if (!any)
			continue;	/* the buffer is already zero there */
		whv_kick_all_vps(p, WHV_REQ_TLB_FLUSH);
		if (buf && copy_to_user(ubuf + done / 64, buf,
					DIV_ROUND_UP(n, 64) * 8)) {
			/* The caller's own doing (it unmapped the buffer). */
			whv_dirty_untake(p, pfn + done, n, buf);
			ret = -EFAULT;
			break;
		}
	}
out:
	mutex_unlock(&p->lock);
	kfree(buf);
	return ret;
}

int whv_dirty_query_ioctl(struct whv_partition *p,
			  struct whv_dirty_bitmap __user *arg)
{
	struct whv_dirty_bitmap q;
	u64 pages;

	if (copy_from_user(&q, arg, sizeof(q)))
		return -EFAULT;
	if (q.reserved || !q.size || !PAGE_ALIGNED(q.gpa) ||
	    !PAGE_ALIGNED(q.size) || q.gpa + q.size < q.gpa ||
	    q.gpa + q.size > (1ULL << WHV_GPA_BITS))
		return -EINVAL;
	if (!READ_ONCE(p->setup_done))
		return -EBADFD;
	if (!q.bitmap_size)
		return whv_dirty_query(p, q.gpa, q.size, NULL);
	pages = q.size >> PAGE_SHIFT;
	if (!q.bitmap || !IS_ALIGNED(q.bitmap, 8))
		return -EINVAL;
	if (q.bitmap_size < DIV_ROUND_UP(pages, 64) * 8)
		return -ENOBUFS;
	return whv_dirty_query(p, q.gpa, q.size, u64_to_user_ptr(q.bitmap));
}
