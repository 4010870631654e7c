// SPDX-License-Identifier: GPL-2.0
/*
 * The MSRs the kernel virtualizes architecturally. All guest MSR accesses
 * are intercepted; those not listed here are unknown: they exit to
 * userspace when X64MsrExit is on, else the guest takes #GP.
 * Return: 0 done, -EINVAL the guest takes #GP, -ENOENT unknown MSR.
 */
#include <linux/kernel.h>
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include "whv.h"

static const struct {
	u32 msr;
	enum whv_areg reg;
	bool canonical;
} whv_msr_aregs[] = {
	{ MSR_IA32_SYSENTER_CS, WHV_AREG_SYSENTER_CS, false },
	{ MSR_IA32_SYSENTER_ESP, WHV_AREG_SYSENTER_ESP, true },
	{ MSR_IA32_SYSENTER_EIP, WHV_AREG_SYSENTER_EIP, true },
	{ MSR_STAR, WHV_AREG_STAR, false },
	{ MSR_LSTAR, WHV_AREG_LSTAR, true },
	{ MSR_CSTAR, WHV_AREG_CSTAR, true },
	{ MSR_SYSCALL_MASK, WHV_AREG_SFMASK, false },
	{ MSR_KERNEL_GS_BASE, WHV_AREG_KERNEL_GS_BASE, true },
};

static int whv_msr_areg(u32 msr)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(whv_msr_aregs); i++)
		if (whv_msr_aregs[i].msr == msr)
			return i;
	return -1;
}

int whv_msr_read(struct whv_vp *vp, u32 msr, u64 *val)
{
	const struct whv_backend *b = whv_backend;
	struct whv_segment seg;
	int i = whv_msr_areg(msr);

	/* msrregs.c: TSC, MTRRs, TSC_AUX, SPEC_CTRL, TSC_ADJUST, MISC_ENABLE */
	if (whv_msrreg_rdmsr(vp, msr, val) != -ENOENT)
		return 0;
	if (i >= 0) {
		*val = b->read_reg(vp, whv_msr_aregs[i].reg);
		return 0;
	}
	switch (msr) {
	case MSR_EFER:
		*val = b->read_reg(vp, WHV_AREG_EFER);
		return 0;
	case MSR_IA32_CR_PAT:
		*val = b->read_reg(vp, WHV_AREG_PAT);
		return 0;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		b->read_seg(vp, msr == MSR_FS_BASE ? WHV_ASEG_FS : WHV_ASEG_GS,
			    &seg);
		*val = seg.base;
		return 0;
	case MSR_IA32_APICBASE:
		*val = vp->apic_base;
		return 0;
	case MSR_IA32_TSC_DEADLINE:
		if (!vp->apic.regs)
			return -ENOENT;
		*val = READ_ONCE(vp->apic.tsc_deadline);
		return 0;
	case MSR_IA32_UCODE_REV:
		*val = 0;
		return 0;
	default:
		return -ENOENT;
	}
}

static int whv_efer_write(struct whv_vp *vp, u64 val)
{
	const struct whv_backend *b = whv_backend;
	u64 old = b->read_reg(vp, WHV_AREG_EFER);
	u64 cr0 = b->read_reg(vp, WHV_AREG_CR0);

	if (val & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX | EFER_FFXSR))
		return -EINVAL;
	/* LME may not change while paging is on; LMA is the CPU's. */
	if ((cr0 & X86_CR0_PG) && ((val ^ old) & EFER_LME))
		return -EINVAL;
	b->write_reg(vp, WHV_AREG_EFER, (val & ~EFER_LMA) | (old & EFER_LMA));
	return 0;
}

int whv_msr_write(struct whv_vp *vp, u32 msr, u64 val)
{
	const struct whv_backend *b = whv_backend;
	struct whv_segment seg;
	int i = whv_msr_areg(msr), ret;

	/* msrregs.c: TSC, MTRRs, TSC_AUX, SPEC_CTRL, TSC_ADJUST, MISC_ENABLE */
	ret = whv_msrreg_wrmsr(vp, msr, val);
	if (ret != -ENOENT)
		return ret;
	if (i >= 0) {
		if (whv_msr_aregs[i].canonical && !whv_canonical(val))
			return -EINVAL;
		if (msr == MSR_IA32_SYSENTER_CS && val >> 32)
			return -EINVAL;
		b->write_reg(vp, whv_msr_aregs[i].reg, val);
		return 0;
	}
	switch (msr) {
	case MSR_EFER:
		return whv_efer_write(vp, val);
	case MSR_IA32_CR_PAT:
		if (!whv_pat_valid(val))
			return -EINVAL;
		b->write_reg(vp, WHV_AREG_PAT, val);
		return 0;
	case MSR_FS_BASE:
	case MSR_GS_BASE:
		if (!whv_canonical(val))
			return -EINVAL;
		b->read_seg(vp, msr == MSR_FS_BASE ? WHV_ASEG_FS : WHV_ASEG_GS,
			    &seg);
		seg.base = val;
		b->write_seg(vp, msr == MSR_FS_BASE ? WHV_ASEG_FS : WHV_ASEG_GS,
			     &seg);
		return 0;
	case MSR_IA32_APICBASE:
		return whv_lapic_set_base(vp, val, true);
	case MSR_IA32_TSC_DEADLINE:
		if (!vp->apic.regs)
			return -ENOENT;
		return whv_lapic_set_tsc_deadline(vp, val);
	case MSR_IA32_UCODE_REV:
		return 0;		/* accepted and ignored */
	default:
		return -ENOENT;
	}
}
