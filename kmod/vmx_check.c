// SPDX-License-Identifier: GPL-2.0
/*
 * Why did VM entry fail? The CPU answers with an error number at best; this
 * walks the SDM's checks on the guest-state area (Vol. 3, "Checks on the
 * Guest State Area") in order and names the first field that breaks one,
 * so users see what to fix in the state they set.
 */
#include <linux/kernel.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>
#include "vmx.h"

struct vmx_check {
	struct vmx_vp *vmx;
	bool ia32e, pe, ug;
};

static bool vmx_fail(struct vmx_vp *vmx, u32 field, const char *name)
{
	vmx->entry_field = field;
	vmx->entry_field_name = name;
	return false;
}

/* Limit and granularity agree (bits 11:0 all 1 if G, 31:20 all 0 if not). */
static bool vmx_limit_ok(u32 limit, u32 ar)
{
	if ((limit & 0xfff) != 0xfff && (ar & BIT(15)))
		return false;
	if ((limit & 0xfff00000) && !(ar & BIT(15)))
		return false;
	return true;
}

#define SEG(name) { GUEST_##name##_SELECTOR, GUEST_##name##_BASE, \
		    GUEST_##name##_LIMIT, GUEST_##name##_AR_BYTES, \
		    "GUEST_" #name "_AR_BYTES", "GUEST_" #name "_BASE" }

struct vmx_seg_fields {
	u32 sel, base, limit, ar;
	const char *ar_name, *base_name;
};

static const struct vmx_seg_fields seg_cs = SEG(CS), seg_ss = SEG(SS);
static const struct vmx_seg_fields seg_tr = SEG(TR), seg_ldtr = SEG(LDTR);
static const struct vmx_seg_fields seg_data[] = {
	SEG(DS), SEG(ES), SEG(FS), SEG(GS),
};

/* Checks every usable segment shares: S/P bits and limit/G. */
static bool vmx_check_seg_common(struct vmx_vp *vmx,
				 const struct vmx_seg_fields *f, bool system)
{
	u32 ar = vmcs_read(f->ar);

	if (ar & BIT(16))
		return true;	/* unusable */
	if (!!(ar & BIT(4)) == system || !(ar & BIT(7)) ||
	    (ar & (GENMASK(11, 8) | GENMASK(31, 17))) ||
	    !vmx_limit_ok(vmcs_read(f->limit), ar))
		return vmx_fail(vmx, f->ar, f->ar_name);
	return true;
}

static bool vmx_check_segments(struct vmx_check *c)
{
	struct vmx_vp *vmx = c->vmx;
	u32 cs = vmcs_read(GUEST_CS_AR_BYTES), ss = vmcs_read(GUEST_SS_AR_BYTES);
	u32 tr = vmcs_read(GUEST_TR_AR_BYTES), ldtr = vmcs_read(GUEST_LDTR_AR_BYTES);
	u32 cs_type = cs & 15, cs_dpl = (cs >> 5) & 3, ss_dpl = (ss >> 5) & 3;
	unsigned int i;

	if (vmcs_read(GUEST_TR_SELECTOR) & BIT(2))
		return vmx_fail(vmx, GUEST_TR_SELECTOR, "GUEST_TR_SELECTOR");
	if ((tr & BIT(16)) || ((tr & 15) != 11 && ((tr & 15) != 3 || c->ia32e)))
		return vmx_fail(vmx, GUEST_TR_AR_BYTES, "GUEST_TR_AR_BYTES");
	if (!vmx_check_seg_common(vmx, &seg_tr, true))
		return false;
	if (!(ldtr & BIT(16)) && ((ldtr & 15) != 2 ||
				  (vmcs_read(GUEST_LDTR_SELECTOR) & BIT(2))))
		return vmx_fail(vmx, GUEST_LDTR_AR_BYTES, "GUEST_LDTR_AR_BYTES");
	if (!vmx_check_seg_common(vmx, &seg_ldtr, true))
		return false;

	/* CS: code (or, unrestricted, accessed read/write data) and usable. */
	if ((cs & BIT(16)) || !(cs_type == 9 || cs_type == 11 || cs_type == 13 ||
				cs_type == 15 || (c->ug && cs_type == 3)))
		return vmx_fail(vmx, GUEST_CS_AR_BYTES, "GUEST_CS_AR_BYTES");
	if ((cs_type == 3 && cs_dpl) ||
	    ((cs_type == 9 || cs_type == 11) && cs_dpl != ss_dpl) ||
	    (cs_type >= 13 && cs_dpl > ss_dpl) ||
	    (c->ia32e && (cs & BIT(13)) && (cs & BIT(14))))
		return vmx_fail(vmx, GUEST_CS_AR_BYTES, "GUEST_CS_AR_BYTES");
	if (!vmx_check_seg_common(vmx, &seg_cs, false))
		return false;

	if (!(ss & BIT(16)) && (((ss & 15) != 3 && (ss & 15) != 7) ||
				(!c->pe && ss_dpl)))
		return vmx_fail(vmx, GUEST_SS_AR_BYTES, "GUEST_SS_AR_BYTES");
	if (!vmx_check_seg_common(vmx, &seg_ss, false))
		return false;

	for (i = 0; i < ARRAY_SIZE(seg_data); i++) {
		u32 ar = vmcs_read(seg_data[i].ar);

		/* Accessed, and readable if code. */
		if (!(ar & BIT(16)) && (!(ar & 1) || ((ar & 8) && !(ar & 2))))
			return vmx_fail(vmx, seg_data[i].ar, seg_data[i].ar_name);
		if (!vmx_check_seg_common(vmx, &seg_data[i], false))
			return false;
		if (!whv_canonical(vmcs_read(seg_data[i].base)))
			return vmx_fail(vmx, seg_data[i].base,
					seg_data[i].base_name);
	}
	if (!whv_canonical(vmcs_read(GUEST_TR_BASE)))
		return vmx_fail(vmx, GUEST_TR_BASE, "GUEST_TR_BASE");
	if (!whv_canonical(vmcs_read(GUEST_LDTR_BASE)))
		return vmx_fail(vmx, GUEST_LDTR_BASE, "GUEST_LDTR_BASE");
	if (vmcs_read(GUEST_CS_BASE) >> 32)
		return vmx_fail(vmx, GUEST_CS_BASE, "GUEST_CS_BASE");
	return true;
}

static bool vmx_check_control_regs(struct vmx_check *c)
{
	struct vmx_vp *vmx = c->vmx;
	u64 cr0 = vmcs_read(GUEST_CR0), cr4 = vmcs_read(GUEST_CR4);
	u64 efer = vmcs_read(GUEST_IA32_EFER);
	u64 need0 = vmx_cr0_fixed0 & ~(c->ug ? X86_CR0_PE | X86_CR0_PG : 0);

	if ((cr0 & need0) != need0 || (cr0 & ~vmx_cr0_fixed1) ||
	    ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE)))
		return vmx_fail(vmx, GUEST_CR0, "GUEST_CR0");
	if ((cr4 & vmx_cr4_fixed0) != vmx_cr4_fixed0 || (cr4 & ~vmx_cr4_fixed1) ||
	    (!c->ia32e && (cr4 & X86_CR4_PCIDE)))
		return vmx_fail(vmx, GUEST_CR4, "GUEST_CR4");
	if (vmcs_read(GUEST_CR3) >> boot_cpu_data.x86_phys_bits)
		return vmx_fail(vmx, GUEST_CR3, "GUEST_CR3");
	if (vmcs_read(GUEST_DR7) >> 32)
		return vmx_fail(vmx, GUEST_DR7, "GUEST_DR7");
	if (c->ia32e && (!(cr0 & X86_CR0_PG) || !(cr4 & X86_CR4_PAE)))
		return vmx_fail(vmx, VM_ENTRY_CONTROLS,
				"VM_ENTRY_CONTROLS (IA-32e mode guest)");
	if ((efer & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX)) ||
	    !!(efer & EFER_LMA) != c->ia32e ||
	    ((cr0 & X86_CR0_PG) && !!(efer & EFER_LMA) != !!(efer & EFER_LME)))
		return vmx_fail(vmx, GUEST_IA32_EFER, "GUEST_IA32_EFER");
	if (!whv_pat_valid(vmcs_read(GUEST_IA32_PAT)))
		return vmx_fail(vmx, GUEST_IA32_PAT, "GUEST_IA32_PAT");
	return true;
}

static bool vmx_check_rip_flags_tables(struct vmx_check *c)
{
	struct vmx_vp *vmx = c->vmx;
	u64 rflags = vmcs_read(GUEST_RFLAGS);
	bool cs_l = vmcs_read(GUEST_CS_AR_BYTES) & BIT(13);

	if ((!c->ia32e || !cs_l) && (vmcs_read(GUEST_RIP) >> 32))
		return vmx_fail(vmx, GUEST_RIP, "GUEST_RIP");
	if ((rflags & (GENMASK_ULL(63, 22) | BIT(15) | BIT(5) | BIT(3))) ||
	    !(rflags & BIT(1)) ||
	    ((rflags & X86_EFLAGS_VM) && (c->ia32e || !c->pe)))
		return vmx_fail(vmx, GUEST_RFLAGS, "GUEST_RFLAGS");
	if (!whv_canonical(vmcs_read(GUEST_GDTR_BASE)) ||
	    vmcs_read(GUEST_GDTR_LIMIT) > 0xffff)
		return vmx_fail(vmx, GUEST_GDTR_BASE, "GUEST_GDTR");
	if (!whv_canonical(vmcs_read(GUEST_IDTR_BASE)) ||
	    vmcs_read(GUEST_IDTR_LIMIT) > 0xffff)
		return vmx_fail(vmx, GUEST_IDTR_BASE, "GUEST_IDTR");
	return true;
}

/* Interruptibility, activity state, and the event to inject. */
static bool vmx_check_events(struct vmx_check *c)
{
	struct vmx_vp *vmx = c->vmx;
	u32 intr = vmcs_read(GUEST_INTERRUPTIBILITY_INFO);
	u32 inj = vmcs_read(VM_ENTRY_INTR_INFO_FIELD);
	u32 type = (inj >> 8) & 7, vector = inj & 0xff;
	bool if_set = vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_IF;

	if (vmcs_read(GUEST_ACTIVITY_STATE))
		return vmx_fail(vmx, GUEST_ACTIVITY_STATE, "GUEST_ACTIVITY_STATE");
	if ((intr & ~GENMASK(4, 0)) ||
	    ((intr & GUEST_INTR_STATE_STI) && (intr & GUEST_INTR_STATE_MOV_SS)) ||
	    ((intr & GUEST_INTR_STATE_STI) && !if_set))
		return vmx_fail(vmx, GUEST_INTERRUPTIBILITY_INFO,
				"GUEST_INTERRUPTIBILITY_INFO");
	if (!(inj & INTR_INFO_VALID_MASK))
		return true;
	if (type == 1 || (type == 2 && vector != 2) || (type == 3 && vector > 31) ||
	    (type == 0 && (!if_set || (intr & (GUEST_INTR_STATE_STI |
					       GUEST_INTR_STATE_MOV_SS)))) ||
	    (type == 2 && (intr & (GUEST_INTR_STATE_MOV_SS |
				   GUEST_INTR_STATE_NMI))) ||
	    ((inj & INTR_INFO_DELIVER_CODE_MASK) && (type != 3 || !c->pe)))
		return vmx_fail(vmx, VM_ENTRY_INTR_INFO_FIELD,
				"VM_ENTRY_INTR_INFO_FIELD");
	return true;
}

/* False, with the offending field recorded in @vmx, if a rule is broken. */
bool vmx_check_guest_state(struct vmx_vp *vmx)
{
	struct vmx_check c = {
		.vmx = vmx,
		.ia32e = vmcs_read(VM_ENTRY_CONTROLS) & VM_ENTRY_IA32E_MODE,
		.pe = vmcs_read(GUEST_CR0) & X86_CR0_PE,
		.ug = vmx_cpu_ctls2 & SECONDARY_EXEC_UNRESTRICTED_GUEST,
	};

	return vmx_check_control_regs(&c) && vmx_check_segments(&c) &&
	       vmx_check_rip_flags_tables(&c) && vmx_check_events(&c);
}
