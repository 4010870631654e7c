// SPDX-License-Identifier: GPL-2.0
/*
 * WHvGet/SetVirtualProcessorXsaveState: the VP's FPU state as one XSAVE
 * area. Microsoft does not document the layout; this is the standard
 * (non-compacted) format XSAVE itself writes, with XSTATE_BV naming the
 * components not in their initial state, and XCOMP_BV zero. The kernel's
 * own helpers convert to and from its fpstate (compacted or not) and check
 * the header and MXCSR; PKRU travels in the area when the CPU has it.
 */
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/processor.h>
#include "whv.h"

#define XSAVE_LEGACY_SIZE	512
#define XSAVE_MIN_SIZE		(XSAVE_LEGACY_SIZE + 64)	/* and the header */

static u32 whv_xsave_size(struct whv_vp *vp)
{
	return max_t(u32, vp->fpu.fpstate->user_size, XSAVE_MIN_SIZE);
}

/* Features the area may carry: the guest's permitted ones. */
static u64 whv_xsave_features(struct whv_vp *vp)
{
	if (!cpu_feature_enabled(X86_FEATURE_XSAVE))
		return XFEATURE_MASK_FPSSE;
	return vp->fpu.perm & vp->fpu.fpstate->user_xfeatures;
}

int whv_xsave_get(struct whv_vp *vp, void __user *ubuf, u32 *size)
{
	u32 need = whv_xsave_size(vp);
	void *buf;
	int ret = 0;

	if (*size < need) {
		*size = need;
		return -ENOBUFS;
	}
	buf = kvzalloc(need, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	fpu_copy_guest_fpstate_to_uabi(&vp->fpu, buf, need,
				       whv_xsave_features(vp), vp->pkru);
	if (copy_to_user(ubuf, buf, need))
		ret = -EFAULT;
	kvfree(buf);
	*size = need;
	return ret;
}

/* Every extended component XSTATE_BV names lies inside @size bytes. */
static bool whv_xsave_fits(u64 bv, u32 size)
{
	u32 eax, ebx, ecx, edx;
	int i;

	for (i = 2; i < 64; i++) {
		if (!(bv & BIT_ULL(i)))
			continue;
		cpuid_count(0xd, i, &eax, &ebx, &ecx, &edx);
		if (!eax || (u64)ebx + eax > size)
			return false;
	}
	return true;
}

int whv_xsave_set(struct whv_vp *vp, const void __user *ubuf, u32 size)
{
	u32 need = whv_xsave_size(vp);
	u64 features = whv_xsave_features(vp);
	struct xregs_state *xs;
	void *buf;
	int ret;

	if (size < XSAVE_MIN_SIZE)
		return -EINVAL;
	buf = kvzalloc(need, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	ret = -EFAULT;
	if (copy_from_user(buf, ubuf, min(size, need)))
		goto out;
	xs = buf;
	ret = -EINVAL;
	if ((xs->header.xfeatures & ~features) ||
	    !whv_xsave_fits(xs->header.xfeatures, min(size, need)))
		goto out;
	ret = fpu_copy_uabi_to_guest_fpstate(&vp->fpu, buf, features,
					     &vp->pkru);
out:
	kvfree(buf);
	return ret;
}
