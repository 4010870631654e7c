// SPDX-License-Identifier: GPL-2.0
/*
 * The VP's run page (struct whv_run_page): the VMM maps it once, and each
 * WHV_RUN_VP_MAPPED finds the held register sets there and leaves the exit
 * context and the registers there, written in place: no argument to copy
 * in and no buffers to copy out. The VMM may write the page at any time,
 * so the kernel reads each field it uses once, into its own memory, and
 * never reads back what it wrote.
 */
#include <linux/build_bug.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include "whv.h"

static_assert(sizeof(struct whv_run_page) <= WHV_RUN_PAGE_SIZE);
static_assert(WHV_RUN_PAGE_SIZE == PAGE_SIZE);

int whv_run_page_alloc(struct whv_vp *vp)
{
	vp->run_page = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	return vp->run_page ? 0 : -ENOMEM;
}

/* The page lives on while the VMM still has it mapped. */
void whv_run_page_free(struct whv_vp *vp)
{
	free_page((unsigned long)vp->run_page);
}

/*
 * mmap() of the partition fd: VP vm_pgoff's page. No partition lock here
 * (mmap_lock is held, and the partition takes them the other way round):
 * RCU keeps the VP while its page gets a reference of ours.
 */
int whv_run_page_mmap(struct whv_partition *p, struct vm_area_struct *vma)
{
	struct page *page = NULL;
	struct whv_vp *vp;
	int ret;

	if (current->mm != p->mm)
		return -EPERM;
	if (vma->vm_end - vma->vm_start != PAGE_SIZE ||
	    !(vma->vm_flags & VM_SHARED) || (vma->vm_flags & VM_EXEC))
		return -EINVAL;
	rcu_read_lock();
	vp = vma->vm_pgoff < WHV_MAX_VPS ?
	     rcu_dereference(p->vps[vma->vm_pgoff]) : NULL;
	if (vp) {
		page = virt_to_page(vp->run_page);
		get_page(page);
	}
	rcu_read_unlock();
	if (!page)
		return -ENOENT;
	vma->vm_flags &= ~VM_MAYEXEC;
	vma->vm_flags |= VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP;
	ret = vm_insert_page(vma, vma->vm_start, page);
	put_page(page);
	return ret;
}

/*
 * The VP's current values, every field, @set 0 (as whv_run_regs_save()
 * gives them): the GPRs straight from the VP, the rest from the snapshot.
 */
void whv_run_page_save(struct whv_vp *vp)
{
	struct whv_run_regs *r = &vp->run_page->regs;
	const size_t rest = offsetof(struct whv_run_regs, rip);

	r->set = 0;
	memcpy(r->gpr, vp->gpr, sizeof(r->gpr));
	memcpy((u8 *)r + rest, (const u8 *)&vp->snap.r + rest,
	       sizeof(*r) - rest);
}
