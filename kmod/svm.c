// SPDX-License-Identifier: GPL-2.0
/*
 * AMD SVM backend: one VMCB per VP, nested paging, ASIDs handed out per CPU
 * by generation, every MSR and I/O port intercepted. Works without NRIPS
 * (QEMU TCG has none): exits then report no instruction length and the
 * core decodes it.
 */
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/slab.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <asm/svm.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/cpufeature.h>
#include <asm/reboot.h>
#include <asm/traps.h>
#include <asm/debugreg.h>
#include <asm/mce.h>
#include "whv.h"
#include "guest_state.h"

#define SVM_FEAT_NRIPS		BIT(3)	/* CPUID 0x8000000A EDX */
#define SVM_FEAT_FLUSH_ASID	BIT(6)

#define NPT_P	BIT_ULL(0)
#define NPT_RW	BIT_ULL(1)
#define NPT_US	BIT_ULL(2)
#define NPT_A	BIT_ULL(5)
#define NPT_D	BIT_ULL(6)
#define NPT_NX	BIT_ULL(63)

#define IOPM_PAGES	3
#define MSRPM_PAGES	2

/*
 * Intercepted whatever userspace asks: #DB and #AC (a guest can make their
 * delivery loop forever inside microcode), #MC (the host must handle it).
 */
#define SVM_HOST_EXCEPTIONS	(BIT(X86_TRAP_DB) | BIT(X86_TRAP_AC) | \
				 BIT(X86_TRAP_MC))

/* Vectors userspace may intercept: all but NMI, #MC and reserved ones. */
#define SVM_EXCEPTION_EXITS	(GENMASK_ULL(31, 0) & ~(BIT(2) | BIT(9) | \
				 BIT(15) | BIT(18) | GENMASK_ULL(27, 22) | \
				 BIT(31)))

struct svm_cpu {
	struct page *hsave;		/* VM_HSAVE_PA */
	struct page *host_save;		/* VMSAVE area for host state */
	u64 host_save_pa;
	u64 old_hsave_pa;
	u64 asid_generation;
	u32 next_asid;
};

struct svm_vp {
	struct vmcb *vmcb;
	u64 vmcb_pa;
	u64 asid_generation;
	int asid_cpu;
	bool flush;
	/*
	 * The VMCB holds no NMI-blocked state: an injected NMI masks NMIs
	 * until the guest's IRET, which we intercept and then watch complete
	 * (RIP moves on), single-stepping over it when an NMI window is due.
	 */
	bool nmi_masked;
	bool awaiting_iret;
	bool nmi_singlestep;
	u64 iret_rip;
	/* CR0 bits the FPU trap forces on; the guest's own are clear here. */
	u64 cr0_trap;
};

static DEFINE_PER_CPU(struct svm_cpu, svm_cpu);
static struct page *svm_iopm, *svm_msrpm;
static u32 svm_max_asid;
static u32 svm_features;

static struct svm_vp *to_svm(struct whv_vp *vp)
{
	return vp->arch;
}

static void svm_set_intercept(struct vmcb *vmcb, unsigned int bit, bool on)
{
	u32 *word = &vmcb->control.intercepts[bit / 32];

	if (on)
		*word |= BIT(bit % 32);
	else
		*word &= ~BIT(bit % 32);
}

/* ---- per-CPU enable ---------------------------------------------------- */

static int svm_cpu_enable(void)
{
	struct svm_cpu *sd = this_cpu_ptr(&svm_cpu);
	u64 efer;

	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME)
		return -EBUSY;
	rdmsrl(MSR_VM_HSAVE_PA, sd->old_hsave_pa);
	wrmsrl(MSR_EFER, efer | EFER_SVME);
	wrmsrl(MSR_VM_HSAVE_PA, page_to_phys(sd->hsave));
	/* Start a fresh ASID generation: nothing tagged earlier is ours. */
	sd->asid_generation++;
	sd->next_asid = svm_max_asid;
	this_cpu_write(whv_cpu_on, true);
	return 0;
}

static void svm_cpu_disable(void)
{
	struct svm_cpu *sd = this_cpu_ptr(&svm_cpu);
	u64 efer;

	wrmsrl(MSR_VM_HSAVE_PA, sd->old_hsave_pa);
	rdmsrl(MSR_EFER, efer);
	wrmsrl(MSR_EFER, efer & ~EFER_SVME);
	this_cpu_write(whv_cpu_on, false);
}

/* ---- registers --------------------------------------------------------- */

static void svm_update_intercepts(struct whv_vp *vp);

static struct vmcb_seg *svm_seg(struct vmcb *vmcb, enum whv_aseg s)
{
	struct vmcb_save_area *save = &vmcb->save;

	switch (s) {
	case WHV_ASEG_ES:
		return &save->es;
	case WHV_ASEG_CS:
		return &save->cs;
	case WHV_ASEG_SS:
		return &save->ss;
	case WHV_ASEG_DS:
		return &save->ds;
	case WHV_ASEG_FS:
		return &save->fs;
	case WHV_ASEG_GS:
		return &save->gs;
	case WHV_ASEG_LDTR:
		return &save->ldtr;
	case WHV_ASEG_TR:
		return &save->tr;
	case WHV_ASEG_IDTR:
		return &save->idtr;
	default:
		return &save->gdtr;
	}
}

/* VMX access rights (WHv) <-> the VMCB's packed 12-bit attributes. */
static u16 svm_attr_from_ar(u16 ar)
{
	return (ar & 0xff) | ((ar >> 4) & 0xf00);
}

static u16 svm_attr_to_ar(u16 attr)
{
	return (attr & 0xff) | ((attr & 0xf00) << 4);
}

static void svm_seg_out(const struct vmcb_seg *in, struct whv_segment *out)
{
	out->base = in->base;
	out->limit = in->limit;
	out->selector = in->selector;
	out->attributes = svm_attr_to_ar(in->attrib);
}

static void svm_read_seg(struct whv_vp *vp, enum whv_aseg s,
			 struct whv_segment *out)
{
	svm_seg_out(svm_seg(to_svm(vp)->vmcb, s), out);
}

static void svm_write_seg(struct whv_vp *vp, enum whv_aseg s,
			  const struct whv_segment *in)
{
	struct vmcb *vmcb = to_svm(vp)->vmcb;
	struct vmcb_seg *seg = svm_seg(vmcb, s);

	seg->base = in->base;
	seg->limit = in->limit;
	seg->selector = in->selector;
	seg->attrib = svm_attr_from_ar(in->attributes);
	/* The CPL is SS.DPL (0 in real mode, where SS.DPL is 0 too). */
	if (s == WHV_ASEG_SS)
		vmcb->save.cpl = (in->attributes >> 5) & 3;
}

static u64 svm_event_to_whv(u32 inj, u32 err)
{
	u64 v;

	if (!(inj & SVM_EVTINJ_VALID))
		return 0;
	v = 1 | (((inj & SVM_EVTINJ_TYPE_MASK) >> SVM_EVTINJ_TYPE_SHIFT) << 1) |
	    (u64)(inj & SVM_EVTINJ_VEC_MASK) << 16;
	if (inj & SVM_EVTINJ_VALID_ERR)
		v |= BIT_ULL(4) | (u64)err << 32;
	return v;
}

static void svm_event_from_whv(struct vmcb *vmcb, u64 v)
{
	vmcb->control.event_inj = 0;
	vmcb->control.event_inj_err = 0;
	if (!(v & 1))
		return;
	vmcb->control.event_inj = SVM_EVTINJ_VALID | ((v >> 16) & 0xff) |
				  (((v >> 1) & 7) << SVM_EVTINJ_TYPE_SHIFT);
	if (v & BIT_ULL(4)) {
		vmcb->control.event_inj |= SVM_EVTINJ_VALID_ERR;
		vmcb->control.event_inj_err = v >> 32;
	}
}

/* The guest's view of fields the VMCB holds in another form. */
static u64 svm_efer(const struct vmcb *vmcb)
{
	return vmcb->save.efer & ~EFER_SVME;
}

static u64 svm_tpr(const struct vmcb *vmcb)
{
	return vmcb->control.int_ctl & V_TPR_MASK;
}

static bool svm_int_shadow(const struct vmcb *vmcb)
{
	return vmcb->control.int_state & SVM_INTERRUPT_SHADOW_MASK;
}

/* Without the bits the FPU trap forces on (guest_fpu.c). */
static u64 svm_cr0(const struct svm_vp *svm)
{
	return svm->vmcb->save.cr0 & ~svm->cr0_trap;
}

static u64 svm_read_reg(struct whv_vp *vp, enum whv_areg reg)
{
	struct vmcb *vmcb = to_svm(vp)->vmcb;
	struct vmcb_save_area *s = &vmcb->save;

	switch (reg) {
	case WHV_AREG_RIP:
		return s->rip;
	case WHV_AREG_RFLAGS:
		return s->rflags;
	case WHV_AREG_CR0:
		return svm_cr0(to_svm(vp));
	case WHV_AREG_CR2:
		return s->cr2;
	case WHV_AREG_CR3:
		return s->cr3;
	case WHV_AREG_CR4:
		return s->cr4;
	case WHV_AREG_CR8:
		return svm_tpr(vmcb);
	case WHV_AREG_DR6:
		return s->dr6;
	case WHV_AREG_DR7:
		return s->dr7;
	case WHV_AREG_EFER:
		return svm_efer(vmcb);
	case WHV_AREG_PAT:
		return s->g_pat;
	case WHV_AREG_TSC_OFFSET:
		return vmcb->control.tsc_offset;
	case WHV_AREG_KERNEL_GS_BASE:
		return s->kernel_gs_base;
	case WHV_AREG_SYSENTER_CS:
		return s->sysenter_cs;
	case WHV_AREG_SYSENTER_EIP:
		return s->sysenter_eip;
	case WHV_AREG_SYSENTER_ESP:
		return s->sysenter_esp;
	case WHV_AREG_STAR:
		return s->star;
	case WHV_AREG_LSTAR:
		return s->lstar;
	case WHV_AREG_CSTAR:
		return s->cstar;
	case WHV_AREG_SFMASK:
		return s->sfmask;
	case WHV_AREG_CPL:
		return s->cpl;
	case WHV_AREG_INT_SHADOW:
		return svm_int_shadow(vmcb);
	case WHV_AREG_PENDING_EVENT:
		return svm_event_to_whv(vmcb->control.event_inj,
					vmcb->control.event_inj_err);
	case WHV_AREG_NMI_MASKED:
		return to_svm(vp)->nmi_masked;
	}
	return 0;
}

/* Straight from the VMCB: the values svm_read_reg/seg give. */
static void svm_snapshot(struct whv_vp *vp, struct whv_snapshot *snap,
			 enum whv_snap_level level)
{
	const struct vmcb *vmcb = to_svm(vp)->vmcb;
	const struct vmcb_save_area *s = &vmcb->save;
	struct whv_run_regs *r = &snap->r;

	r->rip = s->rip;
	svm_seg_out(&s->cs, &r->seg[WHV_ASEG_CS]);
	r->cr0 = svm_cr0(to_svm(vp));
	r->cr3 = s->cr3;
	r->cr4 = s->cr4;
	r->efer = svm_efer(vmcb);
	snap->int_shadow = svm_int_shadow(vmcb);
	if (level == WHV_SNAP_FETCH)
		return;
	r->rflags = s->rflags;
	svm_seg_out(&s->es, &r->seg[WHV_ASEG_ES]);
	svm_seg_out(&s->ds, &r->seg[WHV_ASEG_DS]);
	snap->dr7 = s->dr7;
	snap->cr8 = svm_tpr(vmcb);
	snap->pending_event = svm_event_to_whv(vmcb->control.event_inj,
					       vmcb->control.event_inj_err);
	snap->cpl = s->cpl;
	if (level == WHV_SNAP_EXIT)
		return;
	svm_seg_out(&s->ss, &r->seg[WHV_ASEG_SS]);
	svm_seg_out(&s->fs, &r->seg[WHV_ASEG_FS]);
	svm_seg_out(&s->gs, &r->seg[WHV_ASEG_GS]);
}

static void svm_write_reg(struct whv_vp *vp, enum whv_areg reg, u64 v)
{
	struct vmcb *vmcb = to_svm(vp)->vmcb;
	struct vmcb_save_area *s = &vmcb->save;

	switch (reg) {
	case WHV_AREG_RIP:
		s->rip = v;
		break;
	case WHV_AREG_RFLAGS:
		s->rflags = v;
		break;
	case WHV_AREG_CR0:
		/* What the FPU trap adds to the guest's own (guest_fpu.c). */
		to_svm(vp)->cr0_trap = vp->fpu_trap ?
				       (X86_CR0_TS | X86_CR0_MP) & ~v : 0;
		s->cr0 = v | to_svm(vp)->cr0_trap;
		break;
	case WHV_AREG_CR2:
		s->cr2 = v;
		break;
	case WHV_AREG_CR3:
		s->cr3 = v;
		break;
	case WHV_AREG_CR4:
		s->cr4 = v;
		break;
	case WHV_AREG_CR8:
		vmcb->control.int_ctl = (vmcb->control.int_ctl & ~V_TPR_MASK) |
					(v & V_TPR_MASK);
		break;
	case WHV_AREG_DR6:
		s->dr6 = v;
		break;
	case WHV_AREG_DR7:
		s->dr7 = v;
		break;
	case WHV_AREG_EFER:
		s->efer = v | EFER_SVME; /* VMRUN needs it */
		break;
	case WHV_AREG_PAT:
		s->g_pat = v;
		break;
	case WHV_AREG_TSC_OFFSET:
		vmcb->control.tsc_offset = v;
		break;
	case WHV_AREG_KERNEL_GS_BASE:
		s->kernel_gs_base = v;
		break;
	case WHV_AREG_SYSENTER_CS:
		s->sysenter_cs = v;
		break;
	case WHV_AREG_SYSENTER_EIP:
		s->sysenter_eip = v;
		break;
	case WHV_AREG_SYSENTER_ESP:
		s->sysenter_esp = v;
		break;
	case WHV_AREG_STAR:
		s->star = v;
		break;
	case WHV_AREG_LSTAR:
		s->lstar = v;
		break;
	case WHV_AREG_CSTAR:
		s->cstar = v;
		break;
	case WHV_AREG_SFMASK:
		s->sfmask = v;
		break;
	case WHV_AREG_CPL:
		s->cpl = v;
		break;
	case WHV_AREG_INT_SHADOW:
		vmcb->control.int_state = v ? SVM_INTERRUPT_SHADOW_MASK : 0;
		break;
	case WHV_AREG_PENDING_EVENT:
		svm_event_from_whv(vmcb, v);
		break;
	case WHV_AREG_NMI_MASKED:
		to_svm(vp)->nmi_masked = v;
		to_svm(vp)->awaiting_iret = false;
		svm_update_intercepts(vp);
		break;
	}
}

static void svm_set_rip(struct whv_vp *vp, u64 rip)
{
	struct vmcb *vmcb = to_svm(vp)->vmcb;

	if (vmcb->save.rip != rip)
		vmcb->control.int_state = 0;
	vmcb->save.rip = rip;
}

/* ---- VP lifetime --------------------------------------------------------- */

static void svm_update_intercepts(struct whv_vp *vp)
{
	struct whv_partition *p = vp->part;
	struct svm_vp *svm = to_svm(vp);
	struct vmcb *vmcb = svm->vmcb;
	bool window = whv_irq_window_wanted(vp);

	vmcb->control.intercepts[INTERCEPT_EXCEPTION] =
		((READ_ONCE(p->extended_exits) & WHV_EXTEXIT_EXCEPTION) ?
		 (u32)READ_ONCE(p->exception_bitmap) : 0) | SVM_HOST_EXCEPTIONS |
		(vp->fpu_trap ? BIT(X86_TRAP_NM) : 0);
	/* No shadow hides the trap's CR0 bits: every access exits. */
	svm_set_intercept(vmcb, INTERCEPT_CR0_READ, vp->fpu_trap);
	svm_set_intercept(vmcb, INTERCEPT_CR0_WRITE, vp->fpu_trap);
	svm_set_intercept(vmcb, INTERCEPT_IRET,
			  svm->nmi_masked && !svm->awaiting_iret);
	svm_set_intercept(vmcb, INTERCEPT_RDTSC,
			  READ_ONCE(p->extended_exits) & WHV_EXTEXIT_RDTSC);
	/* V_TPR is the guest's CR8: see it lowered below a held interrupt. */
	svm_set_intercept(vmcb, INTERCEPT_CR8_WRITE, vp->apic.tpr_exit);
	/* RDTSCP runs natively with the guest's TSC_AUX loaded (msrregs.c). */
	svm_set_intercept(vmcb, INTERCEPT_RDTSCP, !whv_guest_rdtscp() ||
			  (READ_ONCE(p->extended_exits) & WHV_EXTEXIT_RDTSC));
	/* A virtual interrupt the guest takes as soon as it can: VINTR exit. */
	svm_set_intercept(vmcb, INTERCEPT_VINTR, window);
	vmcb->control.int_ctl &= ~(V_IRQ_MASK | V_INTR_PRIO_MASK | V_IGN_TPR_MASK);
	if (window)
		vmcb->control.int_ctl |= V_IRQ_MASK | V_INTR_PRIO_MASK |
					 V_IGN_TPR_MASK;
}

/* The guest's CR0 written again: the trap's bits follow vp->fpu_trap. */
static void svm_set_fpu_trap(struct whv_vp *vp)
{
	svm_write_reg(vp, WHV_AREG_CR0, svm_cr0(to_svm(vp)));
	svm_update_intercepts(vp);
}

static void svm_flush_tlb(struct whv_vp *vp)
{
	to_svm(vp)->flush = true;
}

/*
 * The control area, from scratch: at creation, and again after a shutdown
 * intercept, which leaves the whole VMCB undefined.
 */
static void svm_init_control(struct whv_vp *vp)
{
	static const unsigned int intercepts[] = {
		INTERCEPT_INTR, INTERCEPT_NMI, INTERCEPT_SMI, INTERCEPT_RDPMC,
		INTERCEPT_CPUID, INTERCEPT_INVD, INTERCEPT_HLT,
		INTERCEPT_INVLPGA, INTERCEPT_IOIO_PROT, INTERCEPT_MSR_PROT,
		INTERCEPT_TASK_SWITCH, INTERCEPT_SHUTDOWN, INTERCEPT_VMRUN,
		INTERCEPT_VMMCALL, INTERCEPT_VMLOAD, INTERCEPT_VMSAVE,
		INTERCEPT_STGI, INTERCEPT_CLGI, INTERCEPT_SKINIT,
		INTERCEPT_WBINVD, INTERCEPT_MONITOR,
		INTERCEPT_MWAIT, INTERCEPT_MWAIT_COND, INTERCEPT_XSETBV,
		INTERCEPT_RDPRU,
		INTERCEPT_DR0_READ, INTERCEPT_DR1_READ, INTERCEPT_DR2_READ,
		INTERCEPT_DR3_READ, INTERCEPT_DR0_WRITE, INTERCEPT_DR1_WRITE,
		INTERCEPT_DR2_WRITE, INTERCEPT_DR3_WRITE, INTERCEPT_DR7_WRITE,
	};
	struct svm_vp *svm = to_svm(vp);
	struct vmcb_control_area *c = &svm->vmcb->control;
	u64 tsc_offset = c->tsc_offset;
	u32 tpr = c->int_ctl & V_TPR_MASK;
	unsigned int i;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < ARRAY_SIZE(intercepts); i++)
		svm_set_intercept(svm->vmcb, intercepts[i], true);
	c->iopm_base_pa = page_to_phys(svm_iopm);
	c->msrpm_base_pa = page_to_phys(svm_msrpm);
	c->tsc_offset = tsc_offset;
	c->int_ctl = V_INTR_MASKING_MASK | tpr;
	c->nested_ctl = SVM_NESTED_CTL_NP_ENABLE;
	c->nested_cr3 = __pa(vp->part->npt_pml5 ?: vp->part->npt_root);
	svm->asid_cpu = -1;	/* a fresh ASID, flushed, at the next entry */
	svm->nmi_singlestep = false;
	svm_update_intercepts(vp);
}

static int svm_vp_create(struct whv_vp *vp)
{
	struct svm_vp *svm;
	struct vmcb *vmcb;

	svm = kzalloc(sizeof(*svm), GFP_KERNEL_ACCOUNT);
	if (!svm)
		return -ENOMEM;
	vmcb = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vmcb) {
		kfree(svm);
		return -ENOMEM;
	}
	svm->vmcb = vmcb;
	svm->vmcb_pa = __pa(vmcb);
	vp->arch = svm;
	svm_init_control(vp);
	vmcb->save.efer = EFER_SVME;
	return 0;
}

static void svm_vp_destroy(struct whv_vp *vp)
{
	struct svm_vp *svm = to_svm(vp);

	free_page((unsigned long)svm->vmcb);
	kfree(svm);
}

/* ---- entry and exit ------------------------------------------------------ */

/* A fresh ASID when this VP's is not valid on this CPU; flushes as needed. */
static void svm_pick_asid(struct svm_vp *svm, int cpu)
{
	struct svm_cpu *sd = this_cpu_ptr(&svm_cpu);
	struct vmcb_control_area *c = &svm->vmcb->control;
	u8 flush_one = (svm_features & SVM_FEAT_FLUSH_ASID) ?
		       TLB_CONTROL_FLUSH_ASID : TLB_CONTROL_FLUSH_ALL_ASID;

	c->tlb_ctl = TLB_CONTROL_DO_NOTHING;
	if (svm->asid_cpu != cpu || svm->asid_generation != sd->asid_generation) {
		if (sd->next_asid >= svm_max_asid) {
			sd->asid_generation++;
			sd->next_asid = 1;
			c->tlb_ctl = TLB_CONTROL_FLUSH_ALL_ASID;
		}
		c->asid = sd->next_asid++;
		svm->asid_generation = sd->asid_generation;
		svm->asid_cpu = cpu;
		svm->flush = true;
	}
	if (svm->flush && c->tlb_ctl == TLB_CONTROL_DO_NOTHING)
		c->tlb_ctl = flush_one;
	svm->flush = false;
}

/* Event delivery the exit interrupted is delivered again on the next entry. */
static void svm_requeue_event(struct vmcb *vmcb)
{
	u32 info = vmcb->control.exit_int_info;
	u32 type = info & SVM_EXITINTINFO_TYPE_MASK;

	vmcb->control.event_inj = 0;
	vmcb->control.event_inj_err = 0;
	/* INTn is re-executed instead: RIP still points at it. */
	if (!(info & SVM_EXITINTINFO_VALID) || type == SVM_EXITINTINFO_TYPE_SOFT)
		return;
	vmcb->control.event_inj = info;
	vmcb->control.event_inj_err = vmcb->control.exit_int_info_err;
}

static u8 svm_next_rip_len(struct vmcb *vmcb)
{
	if (!(svm_features & SVM_FEAT_NRIPS) || !vmcb->control.next_rip)
		return 0;
	return vmcb->control.next_rip - vmcb->save.rip;
}

static bool svm_exception_has_error(u8 vector)
{
	return vector == X86_TRAP_DF || (vector >= X86_TRAP_TS &&
	       vector <= X86_TRAP_PF) || vector == X86_TRAP_AC ||
	       vector == X86_TRAP_CP || vector == 29 || vector == 30;
}

/* A machine check hit while the guest ran: it is the host's to handle. */
static void svm_machine_check(void)
{
	struct pt_regs regs = { .cs = 3, .flags = X86_EFLAGS_IF };

	do_machine_check(&regs);
}

/* The guest reached its NMI handler's IRET: NMIs unmask once it retires. */
static void svm_iret_intercepted(struct whv_vp *vp)
{
	struct svm_vp *svm = to_svm(vp);

	svm->awaiting_iret = true;
	svm->iret_rip = svm->vmcb->save.rip;
	if (whv_nmi_window_wanted(vp)) {
		/* Trap right after the IRET, so the NMI window opens there. */
		svm->nmi_singlestep = true;
		svm->vmcb->save.rflags |= X86_EFLAGS_TF | X86_EFLAGS_RF;
	}
	svm_update_intercepts(vp);
}

/* Our single-step trap after an IRET: not the guest's #DB. */
static bool svm_nmi_singlestep_done(struct whv_vp *vp)
{
	struct svm_vp *svm = to_svm(vp);

	if (!svm->nmi_singlestep)
		return false;
	svm->nmi_singlestep = false;
	svm->vmcb->save.dr6 &= ~DR_STEP;
	svm_update_intercepts(vp);
	return true;
}

static void svm_decode_exit(struct whv_vp *vp, struct whv_exit_info *e)
{
	struct vmcb *vmcb = to_svm(vp)->vmcb;
	struct vmcb_control_area *c = &vmcb->control;
	u32 code = c->exit_code;
	u64 info1 = c->exit_info_1;

	e->insn_len = 0;
	/* The two that go to userspace most, before any other test. */
	if (likely(code == SVM_EXIT_IOIO)) {
		e->kind = WHV_KEXIT_IO;
		e->insn_len = c->exit_info_2 - vmcb->save.rip;
		e->io.port = info1 >> 16;
		e->io.write = !(info1 & SVM_IOIO_TYPE_MASK);
		e->io.string = info1 & SVM_IOIO_STR_MASK;
		e->io.rep = info1 & SVM_IOIO_REP_MASK;
		e->io.size = (info1 & SVM_IOIO_SIZE_MASK) >> SVM_IOIO_SIZE_SHIFT;
		e->io.size = e->io.size == 4 ? 4 : e->io.size == 2 ? 2 : 1;
		return;
	}
	if (code == SVM_EXIT_NPF) {
		e->kind = WHV_KEXIT_NPF;
		e->npf.gpa = c->exit_info_2;
		e->npf.gva = 0;			/* SVM does not report it */
		e->npf.gva_valid = false;
		e->npf.present = info1 & BIT(0);
		e->npf.access = (info1 & BIT(4)) ? WHV_MEM_ACCESS_EXECUTE :
				(info1 & BIT(1)) ? WHV_MEM_ACCESS_WRITE :
				WHV_MEM_ACCESS_READ;
		return;
	}
	if (code == SVM_EXIT_EXCP_BASE + X86_TRAP_DB &&
	    svm_nmi_singlestep_done(vp)) {
		e->kind = WHV_KEXIT_HANDLED;
		return;
	}
	if (vp->fpu_trap && (code == SVM_EXIT_EXCP_BASE + X86_TRAP_NM ||
			     code == SVM_EXIT_READ_CR0 ||
			     code == SVM_EXIT_WRITE_CR0)) {
		e->kind = WHV_KEXIT_FPU;
		return;
	}
	if (code == SVM_EXIT_EXCP_BASE + X86_TRAP_MC) {
		svm_machine_check();
		e->kind = WHV_KEXIT_HANDLED;
		return;
	}
	if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32) {
		e->kind = WHV_KEXIT_EXCEPTION;
		e->exc.vector = code - SVM_EXIT_EXCP_BASE;
		e->exc.has_error = svm_exception_has_error(e->exc.vector);
		e->exc.error = e->exc.has_error ? (u32)info1 : 0;
		e->exc.param = e->exc.vector == X86_TRAP_PF ? c->exit_info_2 : 0;
		return;
	}
	if (code >= SVM_EXIT_READ_DR0 && code <= SVM_EXIT_WRITE_DR0 + 7) {
		e->kind = WHV_KEXIT_MOV_DR;
		e->dr.write = code >= SVM_EXIT_WRITE_DR0;
		e->dr.dr = code & 7;
		e->dr.gpr = -1;		/* the core decodes it */
		return;
	}
	switch (code) {
	case SVM_EXIT_INTR:
	case SVM_EXIT_NMI:
	case SVM_EXIT_SMI:
		e->kind = WHV_KEXIT_HANDLED;
		break;
	case SVM_EXIT_CPUID:
		e->kind = WHV_KEXIT_CPUID;
		e->insn_len = svm_next_rip_len(vmcb);
		break;
	case SVM_EXIT_MSR:
		e->kind = info1 ? WHV_KEXIT_WRMSR : WHV_KEXIT_RDMSR;
		e->insn_len = svm_next_rip_len(vmcb);
		break;
	case SVM_EXIT_XSETBV:
		e->kind = WHV_KEXIT_XSETBV;
		e->insn_len = svm_next_rip_len(vmcb);
		break;
	case SVM_EXIT_RDTSC:
	case SVM_EXIT_RDTSCP:
		/* RDTSCP is intercepted alone where the guest may not use it. */
		e->kind = code == SVM_EXIT_RDTSC || whv_guest_rdtscp() ?
			  WHV_KEXIT_RDTSC : WHV_KEXIT_UD;
		e->rdtsc.rdtscp = code == SVM_EXIT_RDTSCP;
		e->insn_len = svm_next_rip_len(vmcb);
		break;
	case SVM_EXIT_HLT:
		e->kind = WHV_KEXIT_HLT;
		e->insn_len = svm_next_rip_len(vmcb);
		break;
	case SVM_EXIT_INVD:		/* never drop the host's caches */
	case SVM_EXIT_WBINVD:		/* nor let a guest flush them at will */
		e->kind = WHV_KEXIT_NOP;
		e->insn_len = svm_next_rip_len(vmcb);
		break;
	case SVM_EXIT_RDPMC:		/* the host's counters are not its */
		e->kind = WHV_KEXIT_GP;
		break;
	case SVM_EXIT_VINTR:
		e->kind = WHV_KEXIT_IRQ_WINDOW;
		break;
	case SVM_EXIT_WRITE_CR8:
		e->kind = WHV_KEXIT_CR8_WRITE;
		e->insn_len = svm_next_rip_len(vmcb);
		/* Decode assists name the GPR; else the core decodes it. */
		e->cr8.gpr = (info1 & BIT_ULL(63)) ? info1 & 15 : -1;
		break;
	case SVM_EXIT_IRET:
		svm_iret_intercepted(vp);
		e->kind = WHV_KEXIT_HANDLED;
		break;
	case SVM_EXIT_SHUTDOWN:
		e->kind = WHV_KEXIT_SHUTDOWN;
		svm_init_control(vp);
		break;
	case SVM_EXIT_TASK_SWITCH:
		e->kind = WHV_KEXIT_TASK_SWITCH;
		e->task_switch.param = (u16)info1;
		break;
	case SVM_EXIT_ERR:
		e->kind = WHV_KEXIT_INVALID_STATE;
		break;
	default:
		/* VMRUN, VMMCALL, MONITOR, RDTSCP, ...: not for this guest. */
		e->kind = WHV_KEXIT_UD;
		break;
	}
}

/*
 * No host quotient for the guest to see (AMD's DIV0 bug): a dummy DIV
 * where the CPU has the bug, inline rather than amd_clear_divider()'s call.
 */
static __always_inline void svm_clear_divider(void)
{
	asm volatile(ALTERNATIVE("", "div %2", X86_BUG_DIV0)
		     :: "a" (0), "d" (0), "r" (1));
}

static void svm_run_once(struct whv_vp *vp, struct whv_exit_info *exit)
{
	struct svm_vp *svm = to_svm(vp);
	struct vmcb *vmcb = svm->vmcb;
	struct svm_cpu *sd = this_cpu_ptr(&svm_cpu);
	bool nmi_injected = (vmcb->control.event_inj & (SVM_EVTINJ_VALID |
			     SVM_EVTINJ_TYPE_MASK)) ==
			    (SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_NMI);

	vmcb->save.rax = vp->gpr[WHV_REG_RAX];
	vmcb->save.rsp = vp->gpr[WHV_REG_RSP];

	/*
	 * GIF=0 holds off interrupts and NMIs up to VMRUN; with IF=1 the
	 * host's interrupts then cause an exit (V_INTR_MASKING).
	 */
	asm volatile("clgi" ::: "memory");
	if (!whv_guest_state_enter(vp, vmcb->save.cr4, vmcb->save.dr7)) {
		asm volatile("stgi" ::: "memory");
		exit->kind = WHV_KEXIT_FPU;
		return;
	}
	svm_clear_divider();
	raw_local_irq_enable();
	whv_svm_vmrun(svm->vmcb_pa, vp->gpr, sd->host_save_pa);
	raw_local_irq_disable();
	whv_guest_state_exit(vp, vmcb->save.cr4);
	asm volatile("stgi" ::: "memory");

	vp->gpr[WHV_REG_RAX] = vmcb->save.rax;
	vp->gpr[WHV_REG_RSP] = vmcb->save.rsp;
	svm_requeue_event(vmcb);
	/* An NMI that was not handed back for re-injection was delivered. */
	if (nmi_injected && (vmcb->control.event_inj & SVM_EVTINJ_TYPE_MASK) !=
			    SVM_EVTINJ_TYPE_NMI) {
		svm->nmi_masked = true;
		svm->awaiting_iret = false;
		svm_update_intercepts(vp);
	}
	svm_decode_exit(vp, exit);
	if (svm->awaiting_iret && vmcb->save.rip != svm->iret_rip) {
		svm->nmi_masked = false;
		svm->awaiting_iret = false;
	}
}

static void svm_enter(struct whv_vp *vp, struct whv_exit_info *exit)
{
	svm_pick_asid(to_svm(vp), smp_processor_id());
	to_svm(vp)->vmcb->control.clean = 0;	/* no clean-bit tracking yet */
	do
		svm_run_once(vp, exit);
	while (whv_exit_fastpath(vp, exit));
}

/* ---- NPT entries ---------------------------------------------------------- */

static u64 svm_npt_leaf(phys_addr_t pa, u32 flags)
{
	u64 pte = pa | NPT_P | NPT_US | NPT_A | NPT_D;

	if (flags & WHV_MAP_WRITE)
		pte |= NPT_RW;
	if (!(flags & WHV_MAP_EXECUTE))
		pte |= NPT_NX;
	return pte;
}

static u64 svm_npt_table(phys_addr_t pa)
{
	return pa | NPT_P | NPT_RW | NPT_US | NPT_A;
}

/* The nested table has the host's paging mode at VMRUN: 5 levels with LA57. */
static bool svm_npt_5level(void)
{
	return pgtable_l5_enabled();
}

const struct whv_backend whv_svm_backend = {
	.name = "svm",
	.vendor = WHV_VENDOR_AMD,
	.exception_exits = SVM_EXCEPTION_EXITS,
	.cpu_enable = svm_cpu_enable,
	.cpu_disable = svm_cpu_disable,
	.vp_create = svm_vp_create,
	.vp_destroy = svm_vp_destroy,
	.enter = svm_enter,
	.update_intercepts = svm_update_intercepts,
	.flush_tlb = svm_flush_tlb,
	.set_fpu_trap = svm_set_fpu_trap,
	.read_reg = svm_read_reg,
	.write_reg = svm_write_reg,
	.set_rip = svm_set_rip,
	.read_seg = svm_read_seg,
	.write_seg = svm_write_seg,
	.snapshot = svm_snapshot,
	.npt_leaf = svm_npt_leaf,
	.npt_table = svm_npt_table,
	.npt_5level = svm_npt_5level,
};

/* ---- module load/unload ----------------------------------------------------- */

static void svm_free_pages(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sd = per_cpu_ptr(&svm_cpu, cpu);

		if (sd->hsave)
			__free_page(sd->hsave);
		if (sd->host_save)
			__free_page(sd->host_save);
		sd->hsave = NULL;
		sd->host_save = NULL;
	}
	if (svm_iopm)
		__free_pages(svm_iopm, get_order(IOPM_PAGES * PAGE_SIZE));
	if (svm_msrpm)
		__free_pages(svm_msrpm, get_order(MSRPM_PAGES * PAGE_SIZE));
	svm_iopm = NULL;
	svm_msrpm = NULL;
}

static int svm_alloc_pages(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct svm_cpu *sd = per_cpu_ptr(&svm_cpu, cpu);

		sd->hsave = alloc_pages_node(cpu_to_node(cpu),
					     GFP_KERNEL | __GFP_ZERO, 0);
		sd->host_save = alloc_pages_node(cpu_to_node(cpu),
						 GFP_KERNEL | __GFP_ZERO, 0);
		if (!sd->hsave || !sd->host_save)
			return -ENOMEM;
		sd->host_save_pa = page_to_phys(sd->host_save);
	}
	/* Every port and every MSR is intercepted: all bits set. */
	svm_iopm = alloc_pages(GFP_KERNEL, get_order(IOPM_PAGES * PAGE_SIZE));
	svm_msrpm = alloc_pages(GFP_KERNEL, get_order(MSRPM_PAGES * PAGE_SIZE));
	if (!svm_iopm || !svm_msrpm)
		return -ENOMEM;
	memset(page_address(svm_iopm), 0xff, IOPM_PAGES * PAGE_SIZE);
	memset(page_address(svm_msrpm), 0xff, MSRPM_PAGES * PAGE_SIZE);
	return 0;
}

/* Can this CPU run us? One clear line when not. */
int whv_svm_probe(void)
{
	u32 eax, ebx, ecx, edx;
	u64 vm_cr, efer;
	int ret;

	if (!boot_cpu_has(X86_FEATURE_SVM)) {
		pr_err("whv: AMD SVM is not available on this CPU\n");
		return -ENODEV;
	}
	rdmsrl(MSR_VM_CR, vm_cr);
	if (vm_cr & SVM_VM_CR_SVM_DIS_MASK) {
		pr_err("whv: SVM is disabled by firmware (VM_CR.SVMDIS)\n");
		return -ENODEV;
	}
	if (!boot_cpu_has(X86_FEATURE_NPT)) {
		pr_err("whv: SVM without nested paging is not supported\n");
		return -ENODEV;
	}
	rdmsrl(MSR_EFER, efer);
	if (efer & EFER_SVME) {
		pr_err("whv: SVM is in use by another hypervisor\n");
		return -EBUSY;
	}
	cpuid(SVM_CPUID_FUNC, &eax, &ebx, &ecx, &edx);
	whv_guest_has_rdtscp = boot_cpu_has(X86_FEATURE_RDTSCP);
	/* NPT takes 2 MiB leaves always, 1 GiB ones where paging does. */
	whv_npt_large_levels = BIT(2) |
		(boot_cpu_has(X86_FEATURE_GBPAGES) ? BIT(3) : 0);
	svm_max_asid = ebx;
	svm_features = edx;
	if (svm_max_asid < 2) {
		pr_err("whv: SVM reports no usable ASIDs\n");
		return -ENODEV;
	}
	ret = svm_alloc_pages();
	if (ret) {
		svm_free_pages();
		return ret;
	}
	/* Emergency reboot and kdump: the kernel itself leaves SVM. */
	return 0;
}

void whv_svm_remove(void)
{
	svm_free_pages();
}
