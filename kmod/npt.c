// SPDX-License-Identifier: GPL-2.0
/*
 * The nested page table: a 4-level radix of 4 KiB leaves (under a 5th level
 * of one entry where the hardware walks five, memory.c). Entry formats come
 * from the backend (NPT or EPT); both keep the frame in bits 12..51 and
 * "writable" in bit 1, and a zero entry means not present.
 * Each leaf holds a reference on its page, dropped when the leaf is zapped.
 * Called under the partition's mmu_lock.
 */
#include <linux/mm.h>
#include <linux/io.h>
#include "whv.h"

#define NPT_ADDR_MASK	GENMASK_ULL(51, 12)
#define NPT_WRITABLE	BIT_ULL(1)
#define NPT_ENTRIES	512

static unsigned int npt_index(u64 gpa, int level)
{
	return (gpa >> (12 + 9 * (level - 1))) & (NPT_ENTRIES - 1);
}

static u64 *npt_table_of(u64 entry)
{
	return phys_to_virt(entry & NPT_ADDR_MASK);
}

/*
 * Install @pte for @gpa. Missing tables come from @spare (zeroed pages);
 * -EAGAIN if there were not enough, -EEXIST if the leaf is already present.
 */
int whv_npt_map(struct whv_partition *p, u64 gpa, u64 pte, u64 **spare,
		int n_spare)
{
	u64 *table = p->npt_root;
	int level;

	for (level = 4; level > 1; level--) {
		u64 *e = &table[npt_index(gpa, level)];

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
	if (table[npt_index(gpa, 1)])
		return -EEXIST;
	table[npt_index(gpa, 1)] = pte;
	p->npt_leaves[0]++;
	return 0;
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
	u64 span = 1ULL << (12 + 9 * (level - 1));
	unsigned int i;

	for (i = 0; i < NPT_ENTRIES; i++) {
		u64 lo = base + i * span, hi = lo + span;

		if (hi <= start || lo >= end || !table[i])
			continue;
		if (level == 1) {
			npt_put_leaf(table[i]);
			table[i] = 0;
			zapped[0]++;
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
		if (level == 1)
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
