// SPDX-License-Identifier: GPL-2.0
/*
 * The leaf size a nested fault may install: 2 MiB or 1 GiB where the host
 * process maps the memory with one leaf as large (THP, hugetlbfs) and the
 * guest range covers the whole block at the same offset; else 4 KiB. A
 * large nested leaf can never show the guest more than the host maps: any
 * change under it reaches the mmu notifier, which zaps the whole leaf.
 */
#include <linux/mm.h>
#include <linux/pgtable.h>
#include "whv.h"

/*
 * The level (1-3) of the host leaf mapping @hva in @mm, if it maps @pfn
 * there. Interrupts off keep the tables from being freed under the walk,
 * as in get_user_pages_fast().
 */
static int host_leaf_level(struct mm_struct *mm, unsigned long hva,
			   unsigned long pfn)
{
	unsigned long flags;
	int level = 1;
	pgd_t pgd;
	p4d_t p4d;
	pud_t pud;
	pmd_t pmd;

	local_irq_save(flags);
	pgd = READ_ONCE(*pgd_offset(mm, hva));
	if (!pgd_present(pgd))
		goto out;
	p4d = READ_ONCE(*p4d_offset(&pgd, hva));
	if (!p4d_present(p4d))
		goto out;
	pud = READ_ONCE(*pud_offset(&p4d, hva));
	if (!pud_present(pud))
		goto out;
	if (pud_leaf(pud)) {
		if (pud_pfn(pud) + ((hva & ~PUD_MASK) >> PAGE_SHIFT) == pfn)
			level = 3;
		goto out;
	}
	pmd = READ_ONCE(*pmd_offset(&pud, hva));
	if (pmd_present(pmd) && pmd_leaf(pmd) &&
	    pmd_pfn(pmd) + ((hva & ~PMD_MASK) >> PAGE_SHIFT) == pfn)
		level = 2;
out:
	local_irq_restore(flags);
	return level;
}

/**
 * whv_npt_fault_level - the nested leaf level for a fault on @gpa
 * @p: the partition
 * @r: the range mapping @gpa
 * @gpa: the faulting guest page
 * @hva: its host address
 * @pfn: the host page found there
 *
 * Under mmu_lock, with no invalidation since @pfn was looked up: the host
 * tables still map it as they did. Returns 1, 2 or 3.
 */
int whv_npt_fault_level(struct whv_partition *p, const struct whv_range *r,
			u64 gpa, unsigned long hva, unsigned long pfn)
{
	int level;

	if (!whv_npt_large_levels)
		return 1;
	for (level = host_leaf_level(p->mm, hva, pfn); level > 1; level--) {
		u64 span = whv_npt_span(level);
		u64 base = gpa & ~(span - 1);

		if ((whv_npt_large_levels & BIT(level)) &&
		    !((gpa ^ hva) & (span - 1)) &&
		    base >= r->gpa && base + span <= r->gpa + r->size)
			break;
	}
	return level;
}
