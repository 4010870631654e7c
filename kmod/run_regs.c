// SPDX-License-Identifier: GPL-2.0
/*
 * Registers that travel with WHV_RUN_VP (struct whv_run_regs): the sets a
 * VMM makes after an exit come in with the next run, and the registers it
 * reads around an exit (the instruction emulator's GPRs, segments and
 * modes) go out with the exit, so neither costs a system call.
 */
#include <linux/uaccess.h>
#include "whv.h"

/* The sets named in @uregs->set, then @set cleared: they are applied. */
int whv_run_regs_apply(struct whv_vp *vp, struct whv_run_regs __user *uregs)
{
	struct whv_run_regs r whv_noinit;	/* only named fields are read */
	unsigned int i;
	u64 set;
	int ret;

	r.rip = 0;	/* passed on by value even when not named */
	r.rflags = 0;
	if (get_user(set, &uregs->set))
		return -EFAULT;
	if (!set)
		return 0;
	/* Only what is named: after an exit, usually RIP alone. */
	if (((set & GENMASK_ULL(WHV_REG_R15, 0)) &&
	     copy_from_user(r.gpr, uregs->gpr, sizeof(r.gpr))) ||
	    ((set & BIT_ULL(WHV_REG_RIP)) && get_user(r.rip, &uregs->rip)) ||
	    ((set & BIT_ULL(WHV_REG_RFLAGS)) &&
	     get_user(r.rflags, &uregs->rflags)))
		return -EFAULT;
	ret = whv_set_rip_rflags(vp, set, r.rip, r.rflags);
	if (ret)
		return ret;
	for_each_set_bit(i, (unsigned long *)&set, WHV_REG_R15 + 1)
		vp->gpr[i] = r.gpr[i];
	return put_user(0ULL, &uregs->set);
}

/*
 * The VP's current values, every field (@set stays 0): those of the
 * snapshot the exit was encoded from, still current, with the GPRs.
 */
int whv_run_regs_save(struct whv_vp *vp, struct whv_run_regs __user *uregs)
{
	struct whv_run_regs *r = &vp->snap.r;

	r->set = 0;
	memcpy(r->gpr, vp->gpr, sizeof(r->gpr));
	return copy_to_user(uregs, r, sizeof(*r)) ? -EFAULT : 0;
}
