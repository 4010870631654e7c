// SPDX-License-Identifier: GPL-2.0
/*
 * The nested page table: a 4-level radix (under a 5th level of one entry
 * where the hardware walks five, memory.c) with 4 KiB leaves, and 2 MiB and
 * 1 GiB leaves where the host maps the memory that large. Entry formats
 * come from the backend (NPT or EPT); both keep the frame in bits 12..51,
 * "writable" in bit 1 and "large leaf" in bit 7, and a zero entry means not
 * present. Each leaf holds one reference on its (compound) page, dropped
 * when the leaf is zapped. Called under the partition's mmu_lock.
 */
#include <linux/mm.h>
#include <linux/io.h>
#include "whv.h"

#define NPT_ADDR_MASK	GENMASK_ULL(51, 12)
#define NPT_WRITABLE	BIT_ULL(1)
#define NPT_LARGE	BIT_ULL(7)
#define NPT_ENTRIES	512

/* Levels (2: 2 MiB, 3: 1 GiB) whose leaves the backend's tables take. */
unsigned int whv_npt_large_levels;

static unsigned int npt_index(u64 gpa, int level)
{
	return (gpa >> (12 + 9 * (level - 1))) & (NPT_ENTRIES - 1);
}

static u64 *npt_table_of(u64 entry)
{
	return phys_to_virt(entry & NPT_ADDR_MASK);
}

/*
 * Install leaf @pte for @gpa at @level (1: 4 KiB, 2: 2 MiB, 3: 1 GiB). Missing
 * tables come from @spare (zeroed pages); -EAGAIN if there were not enough,
 * -EEXIST if a leaf already covers @gpa, -ENOTEMPTY if smaller leaves fill
 * part of a large one's span (the caller tries a size down).
 */
int whv_npt_map(struct whv_partition *p, u64 gpa, u64 pte, int level,
		u64 **spare, int n_spare)
{
	u64 *table = p->npt_root, *e;
	int l;

	for (l = 4; l > level; l--) {
		e = &table[npt_index(gpa, l)];
		if (*e & NPT_LARGE)
			return -EEXIST;
		if (!*e) {
			while (n_spare && !spare[n_spare - 1])
				n_spare--;
			if (!n_spare)
				return -EAGAIN;
			*e = whv_backend->npt_table(virt_to_phys(spare[--n_spare]));
			spare[n_spare] = NULL;	/* consumed */
		}
		table = npt_table_of(*e);
	}
	e = &table[npt_index(gpa, level)];
	if (*e)
		return level == 1 || (*e & NPT_LARGE) ? -EEXIST : -ENOTEMPTY;
	*e = level == 1 ? pte : pte | NPT_LARGE;
	p->npt_leaves[level - 1]++;
	return 0;
}

/*
 * The kernel address of the 4 KiB of host memory the table maps at @gpa's
 * page (NULL if nothing): what the guest itself reads there. Caller holds
 * mmu_lock.
 */
void *whv_npt_page(struct whv_partition *p, u64 gpa)
{
	u64 *table = p->npt_root, e;
	int l;

	for (l = 4; l >= 1; l--) {
		e = table[npt_index(gpa, l)];
		if (!e)
			return NULL;
		if (l == 1 || (e & NPT_LARGE)) {
			u64 span = whv_npt_span(l);

			return phys_to_virt((e & NPT_ADDR_MASK & ~(span - 1)) +
					    (gpa & (span - 1) & PAGE_MASK));
		}
		table = npt_table_of(e);
	}
	return NULL;
}

/* Copy @len bytes at @gpa, all in one 4 KiB page; false if nothing maps it. */
bool whv_npt_read(struct whv_partition *p, u64 gpa, void *buf, size_t len)
{
	void *page = whv_npt_page(p, gpa);

	if (page)
		memcpy(buf, page + (gpa & ~PAGE_MASK), len);
	return page;
}

static void npt_put_leaf(u64 pte)
{
	struct page *page = pfn_to_page((pte & NPT_ADDR_MASK) >> PAGE_SHIFT);

	if (pte & NPT_WRITABLE)
		SetPageDirty(page);
	put_page(page);
}

/*
 * Zap leaves in [start, end) below @table, which covers @base at @level;
 * count them by size in @zapped (4 KiB, 2 MiB, 1 GiB).
 */
static void npt_zap_level(u64 *table, int level, u64 base, u64 start, u64 end,
			  u64 *zapped)
{
	u64 span = whv_npt_span(level);
	unsigned int i;

	for (i = 0; i < NPT_ENTRIES; i++) {
		u64 lo = base + i * span, hi = lo + span;

		if (hi <= start || lo >= end || !table[i])
			continue;
		/* Any part of a large leaf takes all of it. */
		if (level == 1 || (table[i] & NPT_LARGE)) {
			npt_put_leaf(table[i]);
			table[i] = 0;
			zapped[level - 1]++;
		} else {
			npt_zap_level(npt_table_of(table[i]), level - 1, lo,
				      start, end, zapped);
		}
	}
}

void whv_npt_zap(struct whv_partition *p, u64 gpa, u64 size)
{
	u64 zapped[ARRAY_SIZE(p->npt_leaves)] = { 0 };
	int i;

	npt_zap_level(p->npt_root, 4, 0, gpa, gpa + size, zapped);
	for (i = 0; i < ARRAY_SIZE(zapped); i++)
		p->npt_leaves[i] -= zapped[i];
}

static void npt_free_level(u64 *table, int level)
{
	unsigned int i;

	for (i = 0; i < NPT_ENTRIES; i++) {
		if (!table[i])
			continue;
		if (level == 1 || (table[i] & NPT_LARGE))
			npt_put_leaf(table[i]);
		else
			npt_free_level(npt_table_of(table[i]), level - 1);
	}
	free_page((unsigned long)table);
}

void whv_npt_free(struct whv_partition *p)
{
	if (p->npt_root)
		npt_free_level(p->npt_root, 4);
	p->npt_root = NULL;
	free_page((unsigned long)p->npt_pml5);	/* its one entry: npt_root */
	p->npt_pml5 = NULL;
}
