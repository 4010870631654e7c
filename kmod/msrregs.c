// SPDX-License-Identifier: GPL-2.0
/*
 * MSRs the kernel keeps in software for the guest, each one value seen two
 * ways: by WHV_REGISTER_NAME (WHvGet/SetVirtualProcessorRegisters) and by
 * the guest's RDMSR/WRMSR. InitialApicId, the MTRRs, TSC, TSC_AUX,
 * SPEC_CTRL, TSC_ADJUST and MISC_ENABLE.
 *
 * TSC_AUX and SPEC_CTRL are the guest's in the CPU while it runs: switched
 * with interrupts off right around the world switch, and only when they
 * differ from the host's, which comes back before anything else runs. The
 * MTRRs are stored only: guest memory is write-back whatever they say.
 *
 * Return values: by name, -ENOPROTOOPT for a name this CPU does not have,
 * -EINVAL for a reserved value; for the guest, -ENOENT for an MSR not
 * handled here and -EINVAL for a #GP.
 */
#include <linux/kernel.h>
#include <asm/cpufeature.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include "whv.h"

/* Set by the backend at probe: RDTSCP and RDPID run in its guests. */
bool whv_guest_has_rdtscp;

#define MSR_MTRR_PHYS_BASE0	0x200	/* then PhysMask0, PhysBase1, ... */
#define MTRR_CAP_FIX		BIT_ULL(8)
#define MTRR_CAP_WC		BIT_ULL(10)
#define MTRR_DEF_FE		BIT_ULL(10)
#define MTRR_DEF_E		BIT_ULL(11)
#define MTRR_MASK_VALID		BIT_ULL(11)
#define WHV_MTRR_CAP		(MTRR_CAP_WC | MTRR_CAP_FIX | WHV_MTRR_VAR)

/* The MISC_ENABLE bits a VMM may set, and the one the guest may toggle. */
#define MISC_ENABLE_KNOWN	(MSR_IA32_MISC_ENABLE_FAST_STRING | \
				 MSR_IA32_MISC_ENABLE_TCC | \
				 MSR_IA32_MISC_ENABLE_EMON | \
				 MSR_IA32_MISC_ENABLE_BTS_UNAVAIL | \
				 MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL | \
				 MSR_IA32_MISC_ENABLE_ENHANCED_SPEEDSTEP | \
				 MSR_IA32_MISC_ENABLE_XTPR_DISABLE)
#define MISC_ENABLE_GUEST	MSR_IA32_MISC_ENABLE_FAST_STRING
#define MISC_ENABLE_RESET	(MSR_IA32_MISC_ENABLE_FAST_STRING | \
				 MSR_IA32_MISC_ENABLE_BTS_UNAVAIL | \
				 MSR_IA32_MISC_ENABLE_PEBS_UNAVAIL)

#define FIXED_LAST	(WHV_REG_MTRR_FIX64K_00000 + WHV_MTRR_FIXED - 1)

/* The SPEC_CTRL bits this CPU implements. */
static u64 whv_spec_ctrl_bits(void)
{
	u64 bits = 0;

	if (boot_cpu_has(X86_FEATURE_SPEC_CTRL) ||
	    boot_cpu_has(X86_FEATURE_AMD_IBRS))
		bits |= SPEC_CTRL_IBRS;
	if (boot_cpu_has(X86_FEATURE_STIBP) ||
	    boot_cpu_has(X86_FEATURE_AMD_STIBP))
		bits |= SPEC_CTRL_STIBP;
	if (boot_cpu_has(X86_FEATURE_SPEC_CTRL_SSBD) ||
	    boot_cpu_has(X86_FEATURE_AMD_SSBD))
		bits |= SPEC_CTRL_SSBD;
	return bits;
}

bool whv_msrreg_name(u32 name)
{
	switch (name) {
	case WHV_REG_TSC:
	case WHV_REG_INITIAL_APIC_ID:
	case WHV_REG_MTRR_CAP:
	case WHV_REG_MTRR_DEF_TYPE:
	case WHV_REG_TSC_AUX:
	case WHV_REG_SPEC_CTRL:
	case WHV_REG_TSC_ADJUST:
	case WHV_REG_MISC_ENABLE:
		return true;
	}
	return (name >= WHV_REG_MTRR_PHYS_BASE0 &&
		name < WHV_REG_MTRR_PHYS_BASE0 + WHV_MTRR_VAR) ||
	       (name >= WHV_REG_MTRR_PHYS_MASK0 &&
		name < WHV_REG_MTRR_PHYS_MASK0 + WHV_MTRR_VAR) ||
	       (name >= WHV_REG_MTRR_FIX64K_00000 && name <= FIXED_LAST);
}

/* The storage of an MTRR name (not MTRRcap), or NULL. */
static u64 *whv_mtrr_slot(struct whv_vp *vp, u32 name)
{
	if (name == WHV_REG_MTRR_DEF_TYPE)
		return &vp->mtrr_def_type;
	if (name >= WHV_REG_MTRR_PHYS_BASE0 &&
	    name < WHV_REG_MTRR_PHYS_BASE0 + WHV_MTRR_VAR)
		return &vp->mtrr_var[2 * (name - WHV_REG_MTRR_PHYS_BASE0)];
	if (name >= WHV_REG_MTRR_PHYS_MASK0 &&
	    name < WHV_REG_MTRR_PHYS_MASK0 + WHV_MTRR_VAR)
		return &vp->mtrr_var[2 * (name - WHV_REG_MTRR_PHYS_MASK0) + 1];
	if (name >= WHV_REG_MTRR_FIX64K_00000 && name <= FIXED_LAST)
		return &vp->mtrr_fixed[name - WHV_REG_MTRR_FIX64K_00000];
	return NULL;
}

/* UC, WC, WT, WP, WB: the memory types an MTRR may hold. */
static bool whv_mtrr_type_valid(u8 t)
{
	return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

static bool whv_mtrr_valid(u32 name, u64 v)
{
	u64 phys = GENMASK_ULL(whv_guest_phys_bits() - 1, 12);
	int i;

	if (name == WHV_REG_MTRR_DEF_TYPE)
		return !(v & ~(0xffULL | MTRR_DEF_FE | MTRR_DEF_E)) &&
		       whv_mtrr_type_valid(v);
	if (name >= WHV_REG_MTRR_FIX64K_00000) {
		for (i = 0; i < 8; i++)
			if (!whv_mtrr_type_valid(v >> (8 * i)))
				return false;
		return true;
	}
	if (name >= WHV_REG_MTRR_PHYS_MASK0)
		return !(v & ~(phys | MTRR_MASK_VALID));
	return !(v & ~(phys | 0xff)) && whv_mtrr_type_valid(v);
}

/* Guest TSC and TSC_ADJUST move together, unless both are being restored. */
static void whv_set_tsc(struct whv_vp *vp, u64 v)
{
	u64 old;

	if (vp->tsc_restore) {
		whv_time_set_tsc(vp, v);
		return;
	}
	old = whv_time_get_tsc(vp);
	whv_time_set_tsc(vp, v);
	vp->tsc_adjust += v - old;
}

static void whv_set_tsc_adjust(struct whv_vp *vp, u64 v)
{
	if (!vp->tsc_restore)
		whv_time_set_tsc(vp, whv_time_get_tsc(vp) + (v - vp->tsc_adjust));
	vp->tsc_adjust = v;
}

int whv_msrreg_get(struct whv_vp *vp, u32 name, u64 *val)
{
	u64 *slot = whv_mtrr_slot(vp, name);

	if (slot) {
		*val = *slot;
		return 0;
	}
	switch (name) {
	case WHV_REG_TSC:
		*val = whv_time_get_tsc(vp);
		break;
	case WHV_REG_INITIAL_APIC_ID:
		*val = vp->initial_apic_id;
		break;
	case WHV_REG_MTRR_CAP:
		*val = WHV_MTRR_CAP;
		break;
	case WHV_REG_TSC_AUX:
		*val = vp->tsc_aux;
		break;
	case WHV_REG_SPEC_CTRL:
		if (!whv_spec_ctrl_supported())
			return -ENOPROTOOPT;
		*val = vp->spec_ctrl;
		break;
	case WHV_REG_TSC_ADJUST:
		*val = vp->tsc_adjust;
		break;
	case WHV_REG_MISC_ENABLE:
		*val = vp->misc_enable;
		break;
	default:
		return -ENOPROTOOPT;
	}
	return 0;
}

/* Validate @val for @name; store it only with @apply. */
int whv_msrreg_set(struct whv_vp *vp, u32 name, u64 val, bool apply)
{
	u64 *slot = whv_mtrr_slot(vp, name);

	if (slot) {
		if (!whv_mtrr_valid(name, val))
			return -EINVAL;
		if (apply)
			*slot = val;
		return 0;
	}
	switch (name) {
	case WHV_REG_TSC:
		if (apply)
			whv_set_tsc(vp, val);
		break;
	case WHV_REG_INITIAL_APIC_ID:
		if (val >> 32)
			return -EINVAL;
		if (apply)
			vp->initial_apic_id = val;
		break;
	case WHV_REG_MTRR_CAP:		/* read only: the same value is fine */
		if (val != WHV_MTRR_CAP)
			return -EINVAL;
		break;
	case WHV_REG_TSC_AUX:
		if (val >> 32)
			return -EINVAL;
		if (apply)
			vp->tsc_aux = val;
		break;
	case WHV_REG_SPEC_CTRL:
		if (!whv_spec_ctrl_supported())
			return -ENOPROTOOPT;
		if (val & ~whv_spec_ctrl_bits())
			return -EINVAL;
		if (apply)
			vp->spec_ctrl = val;
		break;
	case WHV_REG_TSC_ADJUST:
		if (apply)
			whv_set_tsc_adjust(vp, val);
		break;
	case WHV_REG_MISC_ENABLE:
		if (val & ~MISC_ENABLE_KNOWN)
			return -EINVAL;
		if (apply)
			vp->misc_enable = val;
		break;
	default:
		return -ENOPROTOOPT;
	}
	return 0;
}

/* The register name behind an MSR this file handles, or 0. */
static u32 whv_msr_name(u32 msr)
{
	if (msr >= MSR_MTRR_PHYS_BASE0 && msr < MSR_MTRR_PHYS_BASE0 + 2 * WHV_MTRR_VAR)
		return ((msr & 1) ? WHV_REG_MTRR_PHYS_MASK0 :
			WHV_REG_MTRR_PHYS_BASE0) + (msr - MSR_MTRR_PHYS_BASE0) / 2;
	if (msr >= MSR_MTRRfix4K_C0000 && msr <= MSR_MTRRfix4K_F8000)
		return WHV_REG_MTRR_FIX64K_00000 + 3 + msr - MSR_MTRRfix4K_C0000;
	switch (msr) {
	case MSR_MTRRfix64K_00000:
		return WHV_REG_MTRR_FIX64K_00000;
	case MSR_MTRRfix16K_80000:
		return WHV_REG_MTRR_FIX64K_00000 + 1;
	case MSR_MTRRfix16K_A0000:
		return WHV_REG_MTRR_FIX64K_00000 + 2;
	case MSR_MTRRcap:
		return WHV_REG_MTRR_CAP;
	case MSR_MTRRdefType:
		return WHV_REG_MTRR_DEF_TYPE;
	case MSR_IA32_TSC:
		return WHV_REG_TSC;
	case MSR_TSC_AUX:
		return whv_guest_rdtscp() ? WHV_REG_TSC_AUX : 0;
	case MSR_IA32_SPEC_CTRL:
		return whv_spec_ctrl_supported() ? WHV_REG_SPEC_CTRL : 0;
	case MSR_IA32_TSC_ADJUST:
		return WHV_REG_TSC_ADJUST;
	case MSR_IA32_MISC_ENABLE:
		return WHV_REG_MISC_ENABLE;
	}
	return 0;
}

int whv_msrreg_rdmsr(struct whv_vp *vp, u32 msr, u64 *val)
{
	u32 name = whv_msr_name(msr);

	if (!name)
		return -ENOENT;
	return whv_msrreg_get(vp, name, val) ? -ENOENT : 0;
}

int whv_msrreg_wrmsr(struct whv_vp *vp, u32 msr, u64 val)
{
	u32 name = whv_msr_name(msr);
	int ret;

	if (!name)
		return -ENOENT;
	switch (name) {
	case WHV_REG_MTRR_CAP:
		return -EINVAL;
	case WHV_REG_MISC_ENABLE:
		/* Only fast strings are the guest's to change. */
		if ((val ^ vp->misc_enable) & ~MISC_ENABLE_GUEST)
			return -EINVAL;
		break;
	}
	ret = whv_msrreg_set(vp, name, val, false);
	if (ret)
		return ret == -ENOPROTOOPT ? -ENOENT : ret;
	return whv_msrreg_set(vp, name, val, true);
}

/* Power-on values; the TSC restarts at 0. */
void whv_msrregs_reset(struct whv_vp *vp)
{
	vp->initial_apic_id = vp->index;
	vp->tsc_aux = 0;
	vp->spec_ctrl = 0;
	vp->tsc_adjust = 0;
	vp->misc_enable = MISC_ENABLE_RESET;
	vp->mtrr_def_type = 0;
	memset(vp->mtrr_var, 0, sizeof(vp->mtrr_var));
	memset(vp->mtrr_fixed, 0, sizeof(vp->mtrr_fixed));
	vp->tsc_restore = false;
	whv_time_set_tsc(vp, 0);
}

