/* SPDX-License-Identifier: GPL-2.0 */
/* The run page's way in, inline in the run loop (run_page.c has the rest). */
#ifndef WHV_RUN_PAGE_H
#define WHV_RUN_PAGE_H

#include "whv.h"

/*
 * The sets held in the page (@set), as whv_run_regs_apply() takes them,
 * each field read once. All or nothing: only the rest can be refused, so
 * it goes first, and the GPRs (any value goes) after it.
 */
static inline int whv_run_page_apply(struct whv_vp *vp)
{
	struct whv_run_regs *shared = &vp->run_page->regs;
	u64 set = READ_ONCE(shared->set);
	u64 gprs = set & GENMASK_ULL(WHV_REG_R15, 0);
	int ret;

	ret = whv_set_rip_rflags(vp, set, READ_ONCE(shared->rip),
				 READ_ONCE(shared->rflags));
	if (ret)
		return ret;
	for (; gprs; gprs &= gprs - 1)
		vp->gpr[__ffs64(gprs)] = READ_ONCE(shared->gpr[__ffs64(gprs)]);
	if (set)
		WRITE_ONCE(shared->set, 0);
	return 0;
}

#endif
