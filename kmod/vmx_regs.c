// SPDX-License-Identifier: GPL-2.0
/*
 * VMX register access: WHv's architectural view <-> the VMCS. CR0 and CR4
 * carry bits VMX operation pins (CR0.NE, CR4.VMXE): the guest and the WHv
 * API see the read shadows, the CPU runs with the pinned bits set. DR6 and
 * CR8 have no guest field and live in software.
 */
#include "vmx.h"
#include <asm/msr-index.h>
#include <asm/processor-flags.h>
#include <asm/traps.h>

static const struct {
	u32 sel, base, limit, ar;
} vmx_segs[] = {
	[WHV_ASEG_ES] = { GUEST_ES_SELECTOR, GUEST_ES_BASE, GUEST_ES_LIMIT, GUEST_ES_AR_BYTES },
	[WHV_ASEG_CS] = { GUEST_CS_SELECTOR, GUEST_CS_BASE, GUEST_CS_LIMIT, GUEST_CS_AR_BYTES },
	[WHV_ASEG_SS] = { GUEST_SS_SELECTOR, GUEST_SS_BASE, GUEST_SS_LIMIT, GUEST_SS_AR_BYTES },
	[WHV_ASEG_DS] = { GUEST_DS_SELECTOR, GUEST_DS_BASE, GUEST_DS_LIMIT, GUEST_DS_AR_BYTES },
	[WHV_ASEG_FS] = { GUEST_FS_SELECTOR, GUEST_FS_BASE, GUEST_FS_LIMIT, GUEST_FS_AR_BYTES },
	[WHV_ASEG_GS] = { GUEST_GS_SELECTOR, GUEST_GS_BASE, GUEST_GS_LIMIT, GUEST_GS_AR_BYTES },
	[WHV_ASEG_LDTR] = { GUEST_LDTR_SELECTOR, GUEST_LDTR_BASE, GUEST_LDTR_LIMIT, GUEST_LDTR_AR_BYTES },
	[WHV_ASEG_TR] = { GUEST_TR_SELECTOR, GUEST_TR_BASE, GUEST_TR_LIMIT, GUEST_TR_AR_BYTES },
	[WHV_ASEG_IDTR] = { 0, GUEST_IDTR_BASE, GUEST_IDTR_LIMIT, 0 },
	[WHV_ASEG_GDTR] = { 0, GUEST_GDTR_BASE, GUEST_GDTR_LIMIT, 0 },
};

void vmx_read_seg(struct whv_vp *vp, enum whv_aseg s, struct whv_segment *out)
{
	u32 ar;

	out->base = vmcs_read(vmx_segs[s].base);
	out->limit = vmcs_read(vmx_segs[s].limit);
	out->selector = vmx_segs[s].sel ? vmcs_read(vmx_segs[s].sel) : 0;
	if (!vmx_segs[s].ar) {
		out->attributes = 0;
		return;
	}
	ar = vmcs_read(vmx_segs[s].ar);
	/*
	 * Real-mode CS is always executable, but some CPUs store a data type
	 * for it; report the code type so the value can be written back when
	 * the VMM later switches the VP to protected mode.
	 */
	if (s == WHV_ASEG_CS && !(vmcs_read(GUEST_CR0) & X86_CR0_PE))
		ar |= VMX_AR_TYPE_CODE_MASK;
	/* An unusable segment reads back as not present. */
	out->attributes = (ar & VMX_AR_UNUSABLE_MASK) ? (ar & 0xf07f) : (ar & 0xf0ff);
}

void vmx_write_seg(struct whv_vp *vp, enum whv_aseg s,
		   const struct whv_segment *in)
{
	u32 ar = in->attributes & 0xf0ff;

	vmcs_write(vmx_segs[s].base, in->base);
	vmcs_write(vmx_segs[s].limit, in->limit);
	if (!vmx_segs[s].ar)
		return;
	vmcs_write(vmx_segs[s].sel, in->selector);
	/* A not-present data segment or LDT is "unusable" to VMX. */
	if (!(ar & VMX_AR_P_MASK) && s != WHV_ASEG_CS && s != WHV_ASEG_TR)
		ar |= VMX_AR_UNUSABLE_MASK;
	vmcs_write(vmx_segs[s].ar, ar);
}

static void vmx_set_ia32e(bool on)
{
	u64 ctl = vmcs_read(VM_ENTRY_CONTROLS);

	vmcs_write(VM_ENTRY_CONTROLS, on ? ctl | VM_ENTRY_IA32E_MODE :
				      ctl & ~VM_ENTRY_IA32E_MODE);
}

static void vmx_write_efer(u64 efer)
{
	vmcs_write(GUEST_IA32_EFER, efer);
	vmx_set_ia32e(efer & EFER_LMA);
}

/* The CR0 the CPU runs with: the guest's, plus what VMX pins. */
static void vmx_write_cr0(struct vmx_vp *vmx, u64 val)
{
	u64 fixed0 = vmx_cr0_fixed0 & ~(X86_CR0_PE | X86_CR0_PG);

	vmx->cr0 = val;
	vmcs_write(CR0_READ_SHADOW, val);
	vmcs_write(GUEST_CR0, (val | fixed0 | vmx->cr0_trap) & vmx_cr0_fixed1);
}

static void vmx_write_cr4(struct vmx_vp *vmx, u64 val)
{
	vmx->cr4 = val;
	vmcs_write(CR4_READ_SHADOW, val);
	vmcs_write(GUEST_CR4, (val | vmx_cr4_fixed0) & vmx_cr4_fixed1);
}

/*
 * The guest's view: bits it owns change in hardware without an exit, the
 * pinned ones come from the read shadow.
 */
static u64 vmx_cr0(struct vmx_vp *vmx)
{
	u64 mask = vmcs_read(CR0_GUEST_HOST_MASK);

	return (vmcs_read(GUEST_CR0) & ~mask) | (vmx->cr0 & mask);
}

static u64 vmx_cr4(struct vmx_vp *vmx)
{
	u64 mask = vmcs_read(CR4_GUEST_HOST_MASK);

	return (vmcs_read(GUEST_CR4) & ~mask) | (vmx->cr4 & mask);
}

/*
 * The FPU trap's TS and MP join the pinned bits: the CPU runs with them
 * set, the guest reads its own from the shadow, and its writes exit.
 */
void vmx_set_fpu_trap(struct whv_vp *vp)
{
	struct vmx_vp *vmx = to_vmx(vp);
	u64 cr0 = vmx_cr0(vmx);

	vmx->cr0_trap = vp->fpu_trap ? X86_CR0_TS | X86_CR0_MP : 0;
	vmcs_write(CR0_GUEST_HOST_MASK, vmx_cr0_mask(vmx));
	vmx_write_cr0(vmx, cr0);
	vmx_update_intercepts(vp);
}

/*
 * A guest MOV to CR0 that touched a pinned bit. Paging switched with
 * EFER.LME set enters or leaves long mode, as the CPU would have done.
 * Returns -EINVAL for a value that raises #GP.
 */
int vmx_guest_set_cr0(struct whv_vp *vp, u64 val)
{
	struct vmx_vp *vmx = to_vmx(vp);
	u64 efer = vmcs_read(GUEST_IA32_EFER);

	if ((val >> 32) || ((val & X86_CR0_PG) && !(val & X86_CR0_PE)) ||
	    ((val & X86_CR0_NW) && !(val & X86_CR0_CD)))
		return -EINVAL;
	if ((val ^ vmx_cr0(vmx)) & X86_CR0_PG && (efer & EFER_LME)) {
		if ((val & X86_CR0_PG) && !(vmx_cr4(vmx) & X86_CR4_PAE))
			return -EINVAL;
		vmx_write_efer((val & X86_CR0_PG) ? efer | EFER_LMA :
			       efer & ~EFER_LMA);
	}
	vmx_write_cr0(vmx, val);
	return 0;
}

int vmx_guest_set_cr4(struct whv_vp *vp, u64 val)
{
	struct vmx_vp *vmx = to_vmx(vp);

	/* Reserved bits, or a bit VMX pins that the guest may not own. */
	if ((val & ~vmx_cr4_fixed1) || (val & X86_CR4_VMXE))
		return -EINVAL;
	if ((vmcs_read(GUEST_IA32_EFER) & EFER_LMA) &&
	    (!(val & X86_CR4_PAE) || ((val ^ vmx_cr4(vmx)) & X86_CR4_LA57)))
		return -EINVAL;	/* LA57 changes only with paging off */
	vmx_write_cr4(vmx, val);
	return 0;
}

/* WHv PendingInterruption <-> the VM-entry interruption information. */
static u64 vmx_event_to_whv(void)
{
	u32 info = vmcs_read(VM_ENTRY_INTR_INFO_FIELD);
	u64 v, type = (info & INTR_INFO_INTR_TYPE_MASK) >> 8;

	if (!(info & INTR_INFO_VALID_MASK))
		return 0;
	if (type == 6)		/* software exception (#BP, #OF) */
		type = WHV_PENDING_EXCEPTION;
	v = 1 | (type << 1) | (u64)(info & INTR_INFO_VECTOR_MASK) << 16;
	if (info & INTR_INFO_DELIVER_CODE_MASK)
		v |= BIT_ULL(4) |
		     (u64)vmcs_read(VM_ENTRY_EXCEPTION_ERROR_CODE) << 32;
	return v;
}

static void vmx_event_from_whv(u64 v)
{
	u32 vector = (v >> 16) & 0xff, type = (v >> 1) & 7;
	u32 info;

	if (!(v & 1)) {
		vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
		return;
	}
	info = INTR_INFO_VALID_MASK | vector | type << 8;
	if (v & BIT_ULL(4)) {
		info |= INTR_INFO_DELIVER_CODE_MASK;
		vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, v >> 32);
	}
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, info);
}

u64 vmx_read_reg(struct whv_vp *vp, enum whv_areg reg)
{
	struct vmx_vp *vmx = to_vmx(vp);

	switch (reg) {
	case WHV_AREG_RIP:
		return vmcs_read(GUEST_RIP);
	case WHV_AREG_RFLAGS:
		return vmcs_read(GUEST_RFLAGS);
	case WHV_AREG_CR0:
		return vmx_cr0(vmx);
	case WHV_AREG_CR2:
		return vmx->cr2;
	case WHV_AREG_CR3:
		return vmcs_read(GUEST_CR3);
	case WHV_AREG_CR4:
		return vmx_cr4(vmx);
	case WHV_AREG_CR8:
		return vmx->cr8;
	case WHV_AREG_DR6:
		return vmx->dr6;
	case WHV_AREG_DR7:
		return vmcs_read(GUEST_DR7);
	case WHV_AREG_EFER:
		return vmcs_read(GUEST_IA32_EFER);
	case WHV_AREG_PAT:
		return vmcs_read(GUEST_IA32_PAT);
	case WHV_AREG_TSC_OFFSET:
		return vmcs_read(TSC_OFFSET);
	case WHV_AREG_KERNEL_GS_BASE:
		return vmx->guest_msrs[VMX_MSR_KERNEL_GS_BASE].value;
	case WHV_AREG_SYSENTER_CS:
		return vmcs_read(GUEST_SYSENTER_CS);
	case WHV_AREG_SYSENTER_EIP:
		return vmcs_read(GUEST_SYSENTER_EIP);
	case WHV_AREG_SYSENTER_ESP:
		return vmcs_read(GUEST_SYSENTER_ESP);
	case WHV_AREG_STAR:
		return vmx->guest_msrs[VMX_MSR_STAR].value;
	case WHV_AREG_LSTAR:
		return vmx->guest_msrs[VMX_MSR_LSTAR].value;
	case WHV_AREG_CSTAR:
		return vmx->guest_msrs[VMX_MSR_CSTAR].value;
	case WHV_AREG_SFMASK:
		return vmx->guest_msrs[VMX_MSR_SFMASK].value;
	case WHV_AREG_CPL:
		return (vmcs_read(GUEST_SS_AR_BYTES) >> 5) & 3;
	case WHV_AREG_INT_SHADOW:
		return !!(vmcs_read(GUEST_INTERRUPTIBILITY_INFO) &
			  (GUEST_INTR_STATE_STI | GUEST_INTR_STATE_MOV_SS));
	case WHV_AREG_PENDING_EVENT:
		return vmx_event_to_whv();
	case WHV_AREG_NMI_MASKED:
		return !!(vmcs_read(GUEST_INTERRUPTIBILITY_INFO) &
			  GUEST_INTR_STATE_NMI);
	}
	return 0;
}

void vmx_snapshot(struct whv_vp *vp, struct whv_snapshot *s,
		  enum whv_snap_level level)
{
	struct whv_run_regs *r = &s->r;

	r->rip = vmx_read_reg(vp, WHV_AREG_RIP);
	vmx_read_seg(vp, WHV_ASEG_CS, &r->seg[WHV_ASEG_CS]);
	r->cr0 = vmx_read_reg(vp, WHV_AREG_CR0);
	r->cr3 = vmx_read_reg(vp, WHV_AREG_CR3);
	r->cr4 = vmx_read_reg(vp, WHV_AREG_CR4);
	r->efer = vmx_read_reg(vp, WHV_AREG_EFER);
	s->int_shadow = vmx_read_reg(vp, WHV_AREG_INT_SHADOW);
	if (level == WHV_SNAP_FETCH)
		return;
	r->rflags = vmx_read_reg(vp, WHV_AREG_RFLAGS);
	vmx_read_seg(vp, WHV_ASEG_ES, &r->seg[WHV_ASEG_ES]);
	vmx_read_seg(vp, WHV_ASEG_DS, &r->seg[WHV_ASEG_DS]);
	s->dr7 = vmx_read_reg(vp, WHV_AREG_DR7);
	s->cr8 = vmx_read_reg(vp, WHV_AREG_CR8);
	s->pending_event = vmx_read_reg(vp, WHV_AREG_PENDING_EVENT);
	s->cpl = vmx_read_reg(vp, WHV_AREG_CPL);
	if (level == WHV_SNAP_EXIT)
		return;
	vmx_read_seg(vp, WHV_ASEG_SS, &r->seg[WHV_ASEG_SS]);
	vmx_read_seg(vp, WHV_ASEG_FS, &r->seg[WHV_ASEG_FS]);
	vmx_read_seg(vp, WHV_ASEG_GS, &r->seg[WHV_ASEG_GS]);
}

static void vmx_write_interruptibility(u32 clear, u32 set)
{
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO,
		   (vmcs_read(GUEST_INTERRUPTIBILITY_INFO) & ~clear) | set);
}

void vmx_write_reg(struct whv_vp *vp, enum whv_areg reg, u64 v)
{
	struct vmx_vp *vmx = to_vmx(vp);

	switch (reg) {
	case WHV_AREG_RIP:
		vmcs_write(GUEST_RIP, v);
		break;
	case WHV_AREG_RFLAGS:
		vmcs_write(GUEST_RFLAGS, v);
		break;
	case WHV_AREG_CR0:
		vmx_write_cr0(vmx, v);
		break;
	case WHV_AREG_CR2:
		vmx->cr2 = v;
		break;
	case WHV_AREG_CR3:
		vmcs_write(GUEST_CR3, v);
		break;
	case WHV_AREG_CR4:
		vmx_write_cr4(vmx, v);
		break;
	case WHV_AREG_CR8:
		vmx->cr8 = v;
		break;
	case WHV_AREG_DR6:
		vmx->dr6 = v;
		break;
	case WHV_AREG_DR7:
		vmcs_write(GUEST_DR7, v);
		break;
	case WHV_AREG_EFER:
		vmx_write_efer(v);
		break;
	case WHV_AREG_PAT:
		vmcs_write(GUEST_IA32_PAT, v);
		break;
	case WHV_AREG_TSC_OFFSET:
		vmcs_write(TSC_OFFSET, v);
		break;
	case WHV_AREG_KERNEL_GS_BASE:
		vmx->guest_msrs[VMX_MSR_KERNEL_GS_BASE].value = v;
		break;
	case WHV_AREG_SYSENTER_CS:
		vmcs_write(GUEST_SYSENTER_CS, v);
		break;
	case WHV_AREG_SYSENTER_EIP:
		vmcs_write(GUEST_SYSENTER_EIP, v);
		break;
	case WHV_AREG_SYSENTER_ESP:
		vmcs_write(GUEST_SYSENTER_ESP, v);
		break;
	case WHV_AREG_STAR:
		vmx->guest_msrs[VMX_MSR_STAR].value = v;
		break;
	case WHV_AREG_LSTAR:
		vmx->guest_msrs[VMX_MSR_LSTAR].value = v;
		break;
	case WHV_AREG_CSTAR:
		vmx->guest_msrs[VMX_MSR_CSTAR].value = v;
		break;
	case WHV_AREG_SFMASK:
		vmx->guest_msrs[VMX_MSR_SFMASK].value = v;
		break;
	case WHV_AREG_CPL:
		break;		/* follows SS.DPL */
	case WHV_AREG_INT_SHADOW:
		/* STI blocking needs RFLAGS.IF; MOV SS blocking does not. */
		vmx_write_interruptibility(GUEST_INTR_STATE_STI |
					   GUEST_INTR_STATE_MOV_SS,
					   !v ? 0 :
					   (vmcs_read(GUEST_RFLAGS) & X86_EFLAGS_IF) ?
					   GUEST_INTR_STATE_STI :
					   GUEST_INTR_STATE_MOV_SS);
		break;
	case WHV_AREG_PENDING_EVENT:
		vmx_event_from_whv(v);
		break;
	case WHV_AREG_NMI_MASKED:
		vmx_write_interruptibility(GUEST_INTR_STATE_NMI,
					   v ? GUEST_INTR_STATE_NMI : 0);
		break;
	}
}

void vmx_set_rip(struct whv_vp *vp, u64 rip)
{
	if (vmcs_read(GUEST_RIP) != rip)
		vmx_write_interruptibility(GUEST_INTR_STATE_STI |
					   GUEST_INTR_STATE_MOV_SS, 0);
	vmcs_write(GUEST_RIP, rip);
}

void vmx_update_intercepts(struct whv_vp *vp)
{
	struct whv_partition *p = vp->part;
	u32 cpu = vmx_cpu_ctls, optional = vmx_optional_controls();

	vmcs_write(EXCEPTION_BITMAP,
		   ((READ_ONCE(p->extended_exits) & WHV_EXTEXIT_EXCEPTION) ?
		    (u32)READ_ONCE(p->exception_bitmap) : 0) |
		   BIT(X86_TRAP_DB) | BIT(X86_TRAP_AC) | BIT(X86_TRAP_MC) |
		   (vp->fpu_trap ? BIT(X86_TRAP_NM) : 0));
	if (whv_irq_window_wanted(vp))
		cpu |= optional & CPU_BASED_INTR_WINDOW_EXITING;
	if (whv_nmi_window_wanted(vp))
		cpu |= optional & CPU_BASED_NMI_WINDOW_EXITING;
	if (READ_ONCE(p->extended_exits) & WHV_EXTEXIT_RDTSC)
		cpu |= optional & CPU_BASED_RDTSC_EXITING;
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, cpu);
}
