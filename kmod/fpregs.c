// SPDX-License-Identifier: GPL-2.0
/*
 * WHv's x87 and SSE register names over the VP's saved FPU state. Between
 * runs the guest's FPU lives in its fpstate buffer, whose first 512 bytes
 * are the FXSAVE layout: WHv's FpControlStatus and XmmControlStatus are
 * byte for byte its first two 16-byte rows, FpMmx0-7 and Xmm0-15 its
 * register rows. With XSAVE, a component whose XSTATE_BV bit is clear is in
 * its initial state whatever those bytes say, so reads report the initial
 * values and writes materialize them before setting the bit.
 */
#include <linux/kernel.h>
#include <linux/string.h>
#include <asm/cpufeature.h>
#include <asm/fpu/types.h>
#include <asm/fpu/xstate.h>
#include "whv.h"

/* The MXCSR bits this CPU implements (arch/x86 FPU core, GPL export). */
extern unsigned int mxcsr_feature_mask;

#define FX_ROW		16
#define FX_FDP		16	/* XmmControlStatus: FDP, MXCSR, MXCSR_MASK */
#define FX_ST0		32
#define FX_XMM0		160
#define FCW_INIT	0x37f

bool whv_fp_reg(u32 name)
{
	return name >= WHV_REG_XMM0 && name <= WHV_REG_XMM_CONTROL_STATUS;
}

static struct fxregs_state *whv_fx(struct whv_vp *vp)
{
	return &vp->fpu.fpstate->regs.fxsave;
}

/* XSTATE_BV, or NULL where the state is plain FXSAVE (always valid). */
static u64 *whv_xstate_bv(struct whv_vp *vp)
{
	if (!cpu_feature_enabled(X86_FEATURE_XSAVE))
		return NULL;
	return &vp->fpu.fpstate->regs.xsave.header.xfeatures;
}

/* The x87 (FP) or SSE component @name lives in. */
static u64 whv_fp_component(u32 name)
{
	return name < WHV_REG_FPMMX0 ? XFEATURE_MASK_SSE : XFEATURE_MASK_FP;
}

static unsigned int whv_fp_offset(u32 name)
{
	if (name < WHV_REG_FPMMX0)
		return FX_XMM0 + FX_ROW * (name - WHV_REG_XMM0);
	if (name < WHV_REG_FP_CONTROL_STATUS)
		return FX_ST0 + FX_ROW * (name - WHV_REG_FPMMX0);
	return name == WHV_REG_FP_CONTROL_STATUS ? 0 : FX_FDP;
}

static bool whv_fp_live(struct whv_vp *vp, u64 component)
{
	u64 *bv = whv_xstate_bv(vp);

	return !bv || (*bv & component);
}

void whv_fp_get(struct whv_vp *vp, u32 name, struct whv_reg_value *out)
{
	struct fxregs_state *fx = whv_fx(vp);
	u64 component = whv_fp_component(name);

	memset(out, 0, sizeof(*out));
	if (whv_fp_live(vp, component))
		memcpy(out, (u8 *)fx + whv_fp_offset(name), FX_ROW);
	else if (name == WHV_REG_FP_CONTROL_STATUS)
		out->low = FCW_INIT;	/* the rest of the initial x87 state is 0 */
	/* MXCSR is loaded with SSE state, never "initial"; the mask is the CPU's. */
	if (name == WHV_REG_XMM_CONTROL_STATUS)
		out->high = fx->mxcsr | (u64)mxcsr_feature_mask << 32;
}

/* Put a component in its initial state for real before one of its rows changes. */
static void whv_fp_materialize(struct whv_vp *vp, u64 component)
{
	struct fxregs_state *fx = whv_fx(vp);
	u64 *bv = whv_xstate_bv(vp);

	if (!bv || (*bv & component))
		return;
	if (component == XFEATURE_MASK_FP) {
		memset(fx, 0, FX_FDP + 8);
		fx->cwd = FCW_INIT;
		memset(fx->st_space, 0, sizeof(fx->st_space));
	} else {
		memset(fx->xmm_space, 0, sizeof(fx->xmm_space));
	}
	*bv |= component;
}

/* The FPU state of a new VP: every component initial, MXCSR its default. */
void whv_fp_reset(struct whv_vp *vp)
{
	struct fxregs_state *fx = whv_fx(vp);
	u64 *bv = whv_xstate_bv(vp);

	if (bv) {
		*bv = 0;
	} else {
		memset(fx, 0, offsetof(struct fxregs_state, padding));
		fx->cwd = FCW_INIT;
	}
	fx->mxcsr = MXCSR_DEFAULT;
}

/* Validate (and with @apply, write) one x87/SSE register. */
int whv_fp_set(struct whv_vp *vp, u32 name, const struct whv_reg_value *in,
	       bool apply)
{
	struct fxregs_state *fx = whv_fx(vp);
	u8 *row = (u8 *)fx + whv_fp_offset(name);
	u32 mxcsr = in->high;

	/* A reserved MXCSR bit would make the host's FXRSTOR/XRSTOR fault. */
	if (name == WHV_REG_XMM_CONTROL_STATUS && (mxcsr & ~mxcsr_feature_mask))
		return -EINVAL;
	if (!apply)
		return 0;
	whv_fp_materialize(vp, whv_fp_component(name));
	if (name == WHV_REG_XMM_CONTROL_STATUS) {
		fx->rdp = in->low;
		fx->mxcsr = mxcsr;
	} else if (name >= WHV_REG_FPMMX0 && name < WHV_REG_FP_CONTROL_STATUS) {
		memcpy(row, in, 10);	/* 80-bit register; 6 bytes reserved */
		memset(row + 10, 0, 6);
	} else {
		memcpy(row, in, FX_ROW);
		if (name == WHV_REG_FP_CONTROL_STATUS)
			row[5] = 0;	/* reserved, beside the abridged tag word */
	}
	return 0;
}
