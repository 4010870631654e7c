/* SPDX-License-Identifier: GPL-2.0 */
/* Intel VT-x backend internals shared by vmx.c, vmx_regs.c, vmx_check.c. */
#ifndef WHV_VMX_H
#define WHV_VMX_H

#include <linux/bug.h>
#include <linux/list.h>
#include <linux/preempt.h>
#include <asm/vmx.h>
#include "whv.h"

/* Guest MSRs switched by the VM-entry/exit MSR areas. */
enum {
	VMX_MSR_STAR, VMX_MSR_LSTAR, VMX_MSR_CSTAR, VMX_MSR_SFMASK,
	VMX_MSR_KERNEL_GS_BASE, VMX_NR_MSRS
};

struct vmx_vp {
	struct whv_vp *vp;
	void *vmcs;
	u64 vmcs_pa;
	int cpu;			/* where the VMCS is active, -1: clear */
	bool launched;
	struct list_head loaded_link;	/* on that CPU's list */
	struct preempt_notifier preempt;
	u16 vpid;
	bool flush;

	/* State the VMCS does not hold in guest-visible form. */
	u64 cr0, cr4;			/* the read shadows (pinned bits) */
	u64 cr0_trap;			/* TS|MP while the FPU trap is armed */
	u64 cr2, dr6;
	u8 cr8;

	struct vmx_msr_entry *guest_msrs;	/* entry load, exit store */
	struct vmx_msr_entry *host_msrs;	/* exit load */

	/* Host values cached to skip VMWRITEs that would change nothing. */
	u64 host_cr3, host_cr4;

	/* The last failed VM entry, for the InvalidVpRegisterValue exit. */
	u32 entry_error;		/* VM-instruction error number */
	u32 entry_field;		/* VMCS encoding of the offending field */
	const char *entry_field_name;
};

static inline struct vmx_vp *to_vmx(struct whv_vp *vp)
{
	return vp->arch;
}

/* VMREAD/VMWRITE on the current VMCS: a failure is a bug of ours. */
static __always_inline u64 vmcs_read(unsigned long field)
{
	u64 value;

	asm volatile("vmread %[f], %[v]" : [v] "=rm"(value) : [f] "r"(field)
		     : "cc");
	return value;
}

static __always_inline void vmcs_write(unsigned long field, u64 value)
{
	asm goto("vmwrite %[v], %[f]\n\tjna %l[fail]"
		 : : [f] "r"(field), [v] "rm"(value) : "cc" : fail);
	return;
fail:
	WARN_ONCE(1, "whv: vmwrite of field 0x%lx failed\n", field);
}

extern u32 vmx_pin_ctls, vmx_cpu_ctls, vmx_cpu_ctls2, vmx_exit_ctls,
	   vmx_entry_ctls;
extern u64 vmx_cr0_fixed0, vmx_cr0_fixed1, vmx_cr4_fixed0, vmx_cr4_fixed1;

/* vmx_regs.c */
u64 vmx_read_reg(struct whv_vp *vp, enum whv_areg reg);
void vmx_snapshot(struct whv_vp *vp, struct whv_snapshot *s,
		  enum whv_snap_level level);
void vmx_write_reg(struct whv_vp *vp, enum whv_areg reg, u64 val);
void vmx_set_rip(struct whv_vp *vp, u64 rip);
void vmx_read_seg(struct whv_vp *vp, enum whv_aseg seg,
		  struct whv_segment *out);
void vmx_write_seg(struct whv_vp *vp, enum whv_aseg seg,
		   const struct whv_segment *in);
void vmx_update_intercepts(struct whv_vp *vp);
int vmx_guest_set_cr0(struct whv_vp *vp, u64 val);
void vmx_set_fpu_trap(struct whv_vp *vp);

/*
 * The host-owned CR0 bits: those VMX operation pins (PE and PG are free in
 * unrestricted guests), and the FPU trap's TS and MP while it is armed.
 */
static inline u64 vmx_cr0_mask(const struct vmx_vp *vmx)
{
	return ((vmx_cr0_fixed0 | ~vmx_cr0_fixed1) & ~(X86_CR0_PE | X86_CR0_PG)) |
	       vmx->cr0_trap;
}
int vmx_guest_set_cr4(struct whv_vp *vp, u64 val);

/* vmx.c */
u32 vmx_optional_controls(void);

/* vmx_check.c */
bool vmx_check_guest_state(struct vmx_vp *vmx);

/* vmx_vmenter.S: 0 after a VM exit, 1 if VMLAUNCH/VMRESUME failed. */
int whv_vmx_vmrun(u64 *gpr, bool launched);
void whv_vmx_vmexit(void);

#endif /* WHV_VMX_H */
