// SPDX-License-Identifier: GPL-2.0
/*
 * Intel VT-x backend: VMXON per CPU while partitions exist, one VMCS per VP
 * (active on at most one CPU: cleared on the old CPU when the VP's thread
 * moves), EPT, VPID, unrestricted guest, controls derived from the
 * capability MSRs, every MSR and I/O port intercepted.
 */
#include <linux/idr.h>
#include <linux/kernel.h>
#include <linux/percpu.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/io.h>
#include <asm/cpufeature.h>
#include <asm/debugreg.h>
#include <asm/desc.h>
#include <asm/mce.h>
#include <asm/msr.h>
#include <asm/msr-index.h>
#include <asm/processor.h>
#include <asm/special_insns.h>
#include <asm/tlbflush.h>
#include <asm/tsc.h>
#include <asm/traps.h>
#include "vmx.h"
#include "guest_state.h"

#define EPT_R		BIT_ULL(0)
#define EPT_W		BIT_ULL(1)
#define EPT_X		BIT_ULL(2)
#define EPT_WB		(6ULL << 3)
#define EPT_A		BIT_ULL(8)
#define EPT_D		BIT_ULL(9)

/* IA32_VMX_EPT_VPID_CAP bits */
#define CAP_EPT_WALK4		BIT_ULL(6)
#define CAP_EPT_WB		BIT_ULL(14)
#define CAP_EPT_2M		BIT_ULL(16)
#define CAP_EPT_1G		BIT_ULL(17)
#define CAP_EPT_AD		BIT_ULL(21)
#define CAP_INVEPT_SINGLE	BIT_ULL(25)
#define CAP_INVEPT_ALL		BIT_ULL(26)
#define CAP_INVVPID_SINGLE	BIT_ULL(41)
#define CAP_INVVPID_ALL		BIT_ULL(42)

#define VMX_HOST_EXCEPTIONS	(BIT(X86_TRAP_DB) | BIT(X86_TRAP_AC) | \
				 BIT(X86_TRAP_MC))
#define VMX_EXCEPTION_EXITS	(GENMASK_ULL(31, 0) & ~(BIT(2) | BIT(9) | \
				 BIT(15) | BIT(18) | GENMASK_ULL(27, 22) | \
				 BIT(31)))

u32 vmx_pin_ctls, vmx_cpu_ctls, vmx_cpu_ctls2, vmx_exit_ctls, vmx_entry_ctls;
u64 vmx_cr0_fixed0, vmx_cr0_fixed1, vmx_cr4_fixed0, vmx_cr4_fixed1;
static u32 vmx_revision;
static u64 vmx_ept_caps;
static u32 vmx_optional_ctls;	/* window and RDTSC exiting, if allowed */
static u32 vmx_timer_value;	/* preemption timer: ~10 ms in its units */
static void *vmx_msr_bitmap, *vmx_io_bitmaps;
static DEFINE_IDA(vmx_vpid_ida);

struct vmx_cpu {
	void *vmxon;
	void *current_vmcs;
	struct list_head loaded;	/* VMCSs active on this CPU */
};

static DEFINE_PER_CPU(struct vmx_cpu, vmx_cpu);

/* ---- VMX instructions ------------------------------------------------ */

static int vmx_vmxon(u64 pa)
{
	asm goto("vmxon %[pa]\n\tjna %l[fail]"
		 : : [pa] "m"(pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EBUSY;
}

static void vmx_vmclear(u64 pa)
{
	asm goto("vmclear %[pa]\n\tjna %l[fail]"
		 : : [pa] "m"(pa) : "cc", "memory" : fail);
	return;
fail:
	WARN_ONCE(1, "whv: vmclear failed\n");
}

static void vmx_vmptrld(u64 pa)
{
	asm goto("vmptrld %[pa]\n\tjna %l[fail]"
		 : : [pa] "m"(pa) : "cc", "memory" : fail);
	return;
fail:
	WARN_ONCE(1, "whv: vmptrld failed\n");
}

static void vmx_invept(u64 type, u64 eptp)
{
	struct { u64 eptp, reserved; } desc = { eptp, 0 };

	asm volatile("invept %0, %1" : : "m"(desc), "r"(type) : "cc", "memory");
}

static void vmx_invvpid(u64 type, u16 vpid)
{
	struct { u64 vpid, gva; } desc = { vpid, 0 };

	asm volatile("invvpid %0, %1" : : "m"(desc), "r"(type) : "cc", "memory");
}

/* ---- per-CPU enable ---------------------------------------------------- */

static bool vmx_feature_control_ok(void)
{
	u64 fc;

	rdmsrl(MSR_IA32_FEAT_CTL, fc);
	return (fc & FEAT_CTL_LOCKED) &&
	       (fc & FEAT_CTL_VMX_ENABLED_OUTSIDE_SMX);
}

static int vmx_cpu_enable(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);

	if (__read_cr4() & X86_CR4_VMXE)
		return -EBUSY;		/* another hypervisor is in VMX root */
	if (!vmx_feature_control_ok())
		return -ENODEV;
	cr4_set_bits(X86_CR4_VMXE);
	if (vmx_vmxon(__pa(vc->vmxon))) {
		cr4_clear_bits(X86_CR4_VMXE);
		return -EBUSY;
	}
	vc->current_vmcs = NULL;
	this_cpu_write(whv_cpu_on, true);
	return 0;
}

/* Runs on the VMCS's CPU: after this it is active nowhere. */
static void vmx_clear_here(struct vmx_vp *vmx)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);

	vmx_vmclear(vmx->vmcs_pa);
	if (vc->current_vmcs == vmx->vmcs)
		vc->current_vmcs = NULL;
	list_del_init(&vmx->loaded_link);
	vmx->launched = false;
	smp_wmb();	/* the list and launch state before the CPU */
	WRITE_ONCE(vmx->cpu, -1);
}

static void vmx_clear_ipi(void *arg)
{
	struct vmx_vp *vmx = arg;

	if (READ_ONCE(vmx->cpu) == smp_processor_id())
		vmx_clear_here(vmx);
}

static void vmx_cpu_disable(void)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	struct vmx_vp *vmx, *tmp;

	list_for_each_entry_safe(vmx, tmp, &vc->loaded, loaded_link)
		vmx_clear_here(vmx);
	asm volatile("vmxoff" ::: "cc", "memory");
	cr4_clear_bits(X86_CR4_VMXE);
	this_cpu_write(whv_cpu_on, false);
}

/* ---- VMCS set-up --------------------------------------------------------- */

static u64 vmx_eptp(struct whv_vp *vp)
{
	u64 eptp = __pa(vp->part->npt_root) | 6 /* WB */ | (3 << 3);

	if (vmx_ept_caps & CAP_EPT_AD)
		eptp |= BIT(6);
	return eptp;
}

/* Host state that is the same on every CPU. */
static void vmx_constant_host_state(void)
{
	struct desc_ptr idt;

	vmcs_write(HOST_CR0, read_cr0());
	vmcs_write(HOST_CS_SELECTOR, __KERNEL_CS);
	vmcs_write(HOST_SS_SELECTOR, __KERNEL_DS);
	vmcs_write(HOST_DS_SELECTOR, 0);
	vmcs_write(HOST_ES_SELECTOR, 0);
	vmcs_write(HOST_FS_SELECTOR, 0);
	vmcs_write(HOST_GS_SELECTOR, 0);
	vmcs_write(HOST_TR_SELECTOR, GDT_ENTRY_TSS * 8);
	store_idt(&idt);
	vmcs_write(HOST_IDTR_BASE, idt.address);
	vmcs_write(HOST_RIP, (unsigned long)whv_vmx_vmexit);
	vmcs_write(HOST_IA32_SYSENTER_CS,
		   (u32)native_read_msr(MSR_IA32_SYSENTER_CS));
	vmcs_write(HOST_IA32_SYSENTER_EIP, native_read_msr(MSR_IA32_SYSENTER_EIP));
	vmcs_write(HOST_IA32_PAT, native_read_msr(MSR_IA32_CR_PAT));
	vmcs_write(HOST_IA32_EFER, native_read_msr(MSR_EFER));
}

/* Host state that differs per CPU: written whenever the VMCS moves. */
static void vmx_per_cpu_host_state(void)
{
	struct desc_ptr gdt;
	struct desc_struct *d;
	u64 tss;

	native_store_gdt(&gdt);
	d = (struct desc_struct *)gdt.address + GDT_ENTRY_TSS;
	tss = get_desc_base(d) | ((u64)((u32 *)d)[2] << 32);
	vmcs_write(HOST_GDTR_BASE, gdt.address);
	vmcs_write(HOST_TR_BASE, tss);
	vmcs_write(HOST_GS_BASE, native_read_msr(MSR_GS_BASE));
	vmcs_write(HOST_IA32_SYSENTER_ESP,
		   native_read_msr(MSR_IA32_SYSENTER_ESP));
}

static const u32 vmx_switched_msrs[VMX_NR_MSRS] = {
	[VMX_MSR_STAR] = MSR_STAR,
	[VMX_MSR_LSTAR] = MSR_LSTAR,
	[VMX_MSR_CSTAR] = MSR_CSTAR,
	[VMX_MSR_SFMASK] = MSR_SYSCALL_MASK,
	[VMX_MSR_KERNEL_GS_BASE] = MSR_KERNEL_GS_BASE,
};

static void vmx_init_vmcs(struct whv_vp *vp)
{
	struct vmx_vp *vmx = to_vmx(vp);
	unsigned int i;

	vmcs_write(PIN_BASED_VM_EXEC_CONTROL, vmx_pin_ctls);
	vmcs_write(CPU_BASED_VM_EXEC_CONTROL, vmx_cpu_ctls);
	vmcs_write(SECONDARY_VM_EXEC_CONTROL, vmx_cpu_ctls2);
	vmcs_write(VM_EXIT_CONTROLS, vmx_exit_ctls);
	vmcs_write(VM_ENTRY_CONTROLS, vmx_entry_ctls);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MASK, 0);
	vmcs_write(PAGE_FAULT_ERROR_CODE_MATCH, 0);
	vmcs_write(CR3_TARGET_COUNT, 0);
	vmcs_write(MSR_BITMAP, __pa(vmx_msr_bitmap));
	vmcs_write(IO_BITMAP_A, __pa(vmx_io_bitmaps));
	vmcs_write(IO_BITMAP_B, __pa(vmx_io_bitmaps) + PAGE_SIZE);
	vmcs_write(EPT_POINTER, vmx_eptp(vp));
	if (vmx_cpu_ctls2 & SECONDARY_EXEC_ENABLE_VPID)
		vmcs_write(VIRTUAL_PROCESSOR_ID, vmx->vpid);
	vmcs_write(VMCS_LINK_POINTER, ~0ULL);
	if (vmx_pin_ctls & PIN_BASED_VMX_PREEMPTION_TIMER)
		vmcs_write(VMX_PREEMPTION_TIMER_VALUE, vmx_timer_value);

	/* The guest owns CR0/CR4 but for the bits VMX operation pins. */
	vmcs_write(CR0_GUEST_HOST_MASK, vmx_cr0_mask(vmx));
	vmcs_write(CR4_GUEST_HOST_MASK, vmx_cr4_fixed0 | ~vmx_cr4_fixed1);

	for (i = 0; i < VMX_NR_MSRS; i++) {
		vmx->guest_msrs[i].index = vmx_switched_msrs[i];
		vmx->host_msrs[i].index = vmx_switched_msrs[i];
	}
	vmcs_write(VM_EXIT_MSR_STORE_ADDR, __pa(vmx->guest_msrs));
	vmcs_write(VM_EXIT_MSR_STORE_COUNT, VMX_NR_MSRS);
	vmcs_write(VM_EXIT_MSR_LOAD_ADDR, __pa(vmx->host_msrs));
	vmcs_write(VM_EXIT_MSR_LOAD_COUNT, VMX_NR_MSRS);
	vmcs_write(VM_ENTRY_MSR_LOAD_ADDR, __pa(vmx->guest_msrs));
	vmcs_write(VM_ENTRY_MSR_LOAD_COUNT, VMX_NR_MSRS);

	/* Every guest field the reset state leaves alone, set explicitly. */
	vmcs_write(GUEST_ACTIVITY_STATE, 0);
	vmcs_write(GUEST_INTERRUPTIBILITY_INFO, 0);
	vmcs_write(GUEST_PENDING_DBG_EXCEPTIONS, 0);
	vmcs_write(GUEST_IA32_DEBUGCTL, 0);
	vmcs_write(GUEST_IA32_EFER, 0);
	vmcs_write(GUEST_CR3, 0);
	vmcs_write(GUEST_SYSENTER_CS, 0);
	vmcs_write(GUEST_SYSENTER_ESP, 0);
	vmcs_write(GUEST_SYSENTER_EIP, 0);
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE, 0);
	vmcs_write(VM_ENTRY_INSTRUCTION_LEN, 0);
	vmx_write_reg(vp, WHV_AREG_CR4, 0);	/* with the bits VMX pins */

	vmx_constant_host_state();
	vmx->host_cr3 = 0;
	vmx->host_cr4 = 0;
}

/* ---- VMCS lifetime: at most one CPU, and that CPU is ours ------------------- */

/* Preemption off. Make the VMCS active and current on @cpu. */
static void vmx_vcpu_load(struct vmx_vp *vmx, int cpu)
{
	struct vmx_cpu *vc = this_cpu_ptr(&vmx_cpu);
	int old = READ_ONCE(vmx->cpu);
	bool moved = old != cpu;

	if (moved) {
		if (old >= 0)
			smp_call_function_single(old, vmx_clear_ipi, vmx, 1);
		smp_rmb();	/* see the old CPU's list/launch updates */
		local_irq_disable();
		list_add(&vmx->loaded_link, &vc->loaded);
		WRITE_ONCE(vmx->cpu, cpu);
		local_irq_enable();
	}
	if (vc->current_vmcs != vmx->vmcs) {
		vmx_vmptrld(vmx->vmcs_pa);
		vc->current_vmcs = vmx->vmcs;
	}
	if (moved) {
		vmx_per_cpu_host_state();
		vmx->flush = true;	/* this CPU may hold stale VPID entries */
	}
}

static struct vmx_vp *preempt_to_vmx(struct preempt_notifier *pn)
{
	return container_of(pn, struct vmx_vp, preempt);
}

static void vmx_sched_in(struct preempt_notifier *pn, int cpu)
{
	vmx_vcpu_load(preempt_to_vmx(pn), cpu);
}

static void vmx_sched_out(struct preempt_notifier *pn,
			  struct task_struct *next)
{
}

static struct preempt_ops vmx_preempt_ops = {
	.sched_in = vmx_sched_in,
	.sched_out = vmx_sched_out,
};

/* From here to vmx_vp_put() the VMCS follows this task across CPUs. */
static void vmx_vp_load(struct whv_vp *vp)
{
	struct vmx_vp *vmx = to_vmx(vp);
	unsigned int i;

	preempt_disable();
	preempt_notifier_register(&vmx->preempt);
	vmx_vcpu_load(vmx, smp_processor_id());
	/* This task's user FS and GS bases come back at every exit. */
	vmcs_write(HOST_FS_BASE, native_read_msr(MSR_FS_BASE));
	for (i = 0; i < VMX_NR_MSRS; i++)
		vmx->host_msrs[i].value = native_read_msr(vmx_switched_msrs[i]);
	preempt_enable();
}

static void vmx_vp_put(struct whv_vp *vp)
{
	preempt_disable();
	preempt_notifier_unregister(&to_vmx(vp)->preempt);
	preempt_enable();
}

static int vmx_vp_create(struct whv_vp *vp)
{
	struct vmx_vp *vmx;
	int ret = -ENOMEM;

	vmx = kzalloc(sizeof(*vmx), GFP_KERNEL_ACCOUNT);
	if (!vmx)
		return -ENOMEM;
	vmx->vp = vp;
	vmx->cpu = -1;
	INIT_LIST_HEAD(&vmx->loaded_link);
	preempt_notifier_init(&vmx->preempt, &vmx_preempt_ops);
	vmx->vmcs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	vmx->guest_msrs = (void *)get_zeroed_page(GFP_KERNEL_ACCOUNT);
	if (!vmx->vmcs || !vmx->guest_msrs)
		goto err;
	vmx->host_msrs = vmx->guest_msrs + VMX_NR_MSRS;
	*(u32 *)vmx->vmcs = vmx_revision;
	vmx->vmcs_pa = __pa(vmx->vmcs);
	if (vmx_cpu_ctls2 & SECONDARY_EXEC_ENABLE_VPID) {
		ret = ida_alloc_range(&vmx_vpid_ida, 1, 0xffff,
				      GFP_KERNEL_ACCOUNT);
		if (ret < 0)
			goto err;
		vmx->vpid = ret;
	}
	vp->arch = vmx;

	/* A new VMCS must be cleared once to set its launch state. */
	preempt_disable();
	vmx_vmclear(vmx->vmcs_pa);
	preempt_enable();
	vmx_vp_load(vp);
	preempt_disable();
	vmx_init_vmcs(vp);
	vmx_update_intercepts(vp);
	preempt_enable();
	vmx_vp_put(vp);
	return 0;
err:
	free_page((unsigned long)vmx->vmcs);
	free_page((unsigned long)vmx->guest_msrs);
	kfree(vmx);
	return ret;
}

static void vmx_vp_destroy(struct whv_vp *vp)
{
	struct vmx_vp *vmx = to_vmx(vp);
	int cpu = READ_ONCE(vmx->cpu);

	if (cpu >= 0)
		smp_call_function_single(cpu, vmx_clear_ipi, vmx, 1);
	if (vmx->vpid)
		ida_free(&vmx_vpid_ida, vmx->vpid);
	free_page((unsigned long)vmx->vmcs);
	free_page((unsigned long)vmx->guest_msrs);
	kfree(vmx);
}

static void vmx_flush_tlb(struct whv_vp *vp)
{
	to_vmx(vp)->flush = true;
}

/* ---- entry and exit ---------------------------------------------------------- */

static void vmx_do_flush(struct whv_vp *vp)
{
	struct vmx_vp *vmx = to_vmx(vp);

	if (vmx_ept_caps & CAP_INVEPT_SINGLE)
		vmx_invept(VMX_EPT_EXTENT_CONTEXT, vmx_eptp(vp));
	else
		vmx_invept(VMX_EPT_EXTENT_GLOBAL, 0);
	if (vmx->vpid) {
		if (vmx_ept_caps & CAP_INVVPID_SINGLE)
			vmx_invvpid(VMX_VPID_EXTENT_SINGLE_CONTEXT, vmx->vpid);
		else
			vmx_invvpid(VMX_VPID_EXTENT_ALL_CONTEXT, 0);
	}
	vmx->flush = false;
}

/* Host state VM exit sets to fixed values, saved before entry. */
struct vmx_host_segs {
	u16 ds, es, fs, gs, ldt;
	u64 debugctl;
};

static void vmx_save_host_segs(struct vmx_host_segs *h)
{
	savesegment(ds, h->ds);
	savesegment(es, h->es);
	savesegment(fs, h->fs);
	savesegment(gs, h->gs);
	asm volatile("sldt %0" : "=g"(h->ldt));
	h->debugctl = get_debugctlmsr();
}

/* Put back what the exit replaced: GDT/IDT limits, TR limit, LDT, ... */
static void vmx_restore_host(struct vmx_vp *vmx, const struct vmx_host_segs *h)
{
	struct desc_ptr idt;

	load_fixmap_gdt(raw_smp_processor_id());
	idt.address = vmcs_read(HOST_IDTR_BASE);
	idt.size = IDT_ENTRIES * 16 - 1;
	load_idt(&idt);
	/* The TSS limit is 0x67 now: the kernel reloads TR when it matters. */
	this_cpu_write(__tss_limit_invalid, true);
	if (unlikely(h->ldt))
		asm volatile("lldt %0" : : "rm"(h->ldt));
	if (unlikely(h->ds))
		loadsegment(ds, h->ds);
	if (unlikely(h->es))
		loadsegment(es, h->es);
	if (unlikely(h->fs)) {
		loadsegment(fs, h->fs);
		wrmsrl(MSR_FS_BASE, vmcs_read(HOST_FS_BASE));
	}
	if (unlikely(h->gs)) {
		load_gs_index(h->gs);
		wrmsrl(MSR_KERNEL_GS_BASE,
		       vmx->host_msrs[VMX_MSR_KERNEL_GS_BASE].value);
	}
	if (h->debugctl)
		update_debugctlmsr(h->debugctl);
}

/* An event the exit interrupted is delivered again at the next entry. */
static void vmx_requeue_event(struct vmx_vp *vmx)
{
	u32 info = vmcs_read(IDT_VECTORING_INFO_FIELD);
	u32 type = info & INTR_INFO_INTR_TYPE_MASK;

	if (!(info & VECTORING_INFO_VALID_MASK))
		return;
	/* Real mode delivers no error code, whatever the CPU model reports. */
	if (!(vmcs_read(GUEST_CR0) & X86_CR0_PE))
		info &= ~VECTORING_INFO_DELIVER_CODE_MASK;
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, info & ~INTR_INFO_UNBLOCK_NMI);
	if (info & VECTORING_INFO_DELIVER_CODE_MASK)
		vmcs_write(VM_ENTRY_EXCEPTION_ERROR_CODE,
			   vmcs_read(IDT_VECTORING_ERROR_CODE));
	if (type == INTR_TYPE_SOFT_INTR || type == INTR_TYPE_SOFT_EXCEPTION ||
	    type == INTR_TYPE_PRIV_SW_EXCEPTION)
		vmcs_write(VM_ENTRY_INSTRUCTION_LEN,
			   vmcs_read(VM_EXIT_INSTRUCTION_LEN));
}

/* An IRET that faulted unblocked NMIs; the exit must not lose that. */
static void vmx_reblock_nmi(u32 unblock_bit_set)
{
	if (unblock_bit_set &&
	    !(vmcs_read(IDT_VECTORING_INFO_FIELD) & VECTORING_INFO_VALID_MASK))
		vmcs_write(GUEST_INTERRUPTIBILITY_INFO,
			   vmcs_read(GUEST_INTERRUPTIBILITY_INFO) |
			   GUEST_INTR_STATE_NMI);
}

static void vmx_machine_check(void)
{
	struct pt_regs regs = { .cs = 3, .flags = X86_EFLAGS_IF };

	do_machine_check(&regs);
}

static void vmx_decode_exception(struct whv_vp *vp, struct whv_exit_info *e)
{
	struct vmx_vp *vmx = to_vmx(vp);
	u32 info = vmcs_read(VM_EXIT_INTR_INFO);
	u32 type = info & INTR_INFO_INTR_TYPE_MASK;
	u8 vector = info & INTR_INFO_VECTOR_MASK;
	u64 qual = vmcs_read(EXIT_QUALIFICATION);

	vmx_reblock_nmi(info & INTR_INFO_UNBLOCK_NMI);
	e->kind = WHV_KEXIT_HANDLED;
	if (type == INTR_TYPE_NMI_INTR) {
		asm volatile("int $2");	/* the host's NMI: its handler runs */
		return;
	}
	if (vector == X86_TRAP_MC) {
		vmx_machine_check();
		return;
	}
	if (vector == X86_TRAP_NM && vp->fpu_trap) {
		e->kind = WHV_KEXIT_FPU;
		return;
	}
	e->kind = WHV_KEXIT_EXCEPTION;
	e->exc.vector = vector;
	e->exc.has_error = info & INTR_INFO_DELIVER_CODE_MASK;
	e->exc.error = e->exc.has_error ? vmcs_read(VM_EXIT_INTR_ERROR_CODE) : 0;
	e->exc.param = vector == X86_TRAP_PF ? qual : 0;
	if (type == INTR_TYPE_SOFT_EXCEPTION)
		e->insn_len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
	if (vector == X86_TRAP_DB)	/* what the #DB would put in DR6 */
		vmx->dr6 = DR6_RESERVED | (qual & (DR_TRAP_BITS | DR_STEP |
						  BIT(13)));
}

/* MOV to/from CR0/CR4/CR8: completed here; userspace never sees them. */
static void vmx_decode_cr_access(struct whv_vp *vp, struct whv_exit_info *e)
{
	struct vmx_vp *vmx = to_vmx(vp);
	u64 qual = vmcs_read(EXIT_QUALIFICATION);
	unsigned int cr = qual & 15, type = (qual >> 4) & 3;
	unsigned int gpr = (qual >> 8) & 15;
	u64 val = vp->gpr[gpr];

	e->kind = WHV_KEXIT_NOP;
	e->insn_len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
	if (type == 1 && cr == 8) {
		vp->gpr[gpr] = vmx->cr8;
		return;
	}
	/* MOV to CR0, CLTS or LMSW against the trap's TS/MP: not yet run. */
	if (cr == 0 && vp->fpu_trap) {
		e->kind = WHV_KEXIT_FPU;
		return;
	}
	if (type != 0) {
		e->kind = WHV_KEXIT_UD;	/* not intercepted: cannot happen */
		return;
	}
	switch (cr) {
	case 0:
		if (vmx_guest_set_cr0(vp, val))
			e->kind = WHV_KEXIT_GP;
		break;
	case 4:
		if (vmx_guest_set_cr4(vp, val))
			e->kind = WHV_KEXIT_GP;
		break;
	case 8:
		if (val > 15)
			e->kind = WHV_KEXIT_GP;
		else
			vmx->cr8 = val;
		break;
	default:
		e->kind = WHV_KEXIT_UD;
	}
}

static void vmx_decode_exit(struct whv_vp *vp, u32 reason,
			    struct whv_exit_info *e)
{
	u64 qual;

	e->insn_len = 0;
	switch (reason) {
	case EXIT_REASON_EXCEPTION_NMI:
		vmx_decode_exception(vp, e);
		return;
	case EXIT_REASON_EXTERNAL_INTERRUPT:
	case EXIT_REASON_PREEMPTION_TIMER:
	case EXIT_REASON_INIT_SIGNAL:
	case EXIT_REASON_SIPI_SIGNAL:
		e->kind = WHV_KEXIT_HANDLED;
		return;
	case EXIT_REASON_TRIPLE_FAULT:
		e->kind = WHV_KEXIT_SHUTDOWN;
		return;
	case EXIT_REASON_INTERRUPT_WINDOW:
		e->kind = WHV_KEXIT_IRQ_WINDOW;
		return;
	case EXIT_REASON_NMI_WINDOW:
		e->kind = WHV_KEXIT_NMI_WINDOW;
		return;
	case EXIT_REASON_TASK_SWITCH:
		e->kind = WHV_KEXIT_TASK_SWITCH;
		e->task_switch.param = vmcs_read(EXIT_QUALIFICATION) & 0xffff;
		return;
	case EXIT_REASON_MCE_DURING_VMENTRY:
		vmx_machine_check();
		e->kind = WHV_KEXIT_HANDLED;
		return;
	case EXIT_REASON_CR_ACCESS:
		vmx_decode_cr_access(vp, e);
		return;
	case EXIT_REASON_EPT_VIOLATION:
		qual = vmcs_read(EXIT_QUALIFICATION);
		vmx_reblock_nmi(qual & INTR_INFO_UNBLOCK_NMI);
		e->kind = WHV_KEXIT_NPF;
		e->npf.gpa = vmcs_read(GUEST_PHYSICAL_ADDRESS);
		e->npf.present = qual & EPT_VIOLATION_RWX_MASK;
		e->npf.access = (qual & EPT_VIOLATION_ACC_INSTR) ?
				WHV_MEM_ACCESS_EXECUTE :
				(qual & EPT_VIOLATION_ACC_WRITE) ?
				WHV_MEM_ACCESS_WRITE : WHV_MEM_ACCESS_READ;
		e->npf.gva_valid = qual & EPT_VIOLATION_GVA_IS_VALID;
		e->npf.gva = e->npf.gva_valid ?
			     vmcs_read(GUEST_LINEAR_ADDRESS) : 0;
		return;
	}

	/* Instruction exits: the CPU reports their length. */
	e->insn_len = vmcs_read(VM_EXIT_INSTRUCTION_LEN);
	switch (reason) {
	case EXIT_REASON_IO_INSTRUCTION:
		qual = vmcs_read(EXIT_QUALIFICATION);
		e->kind = WHV_KEXIT_IO;
		e->io.size = (qual & 7) + 1;
		e->io.write = !(qual & 8);
		e->io.string = qual & 16;
		e->io.rep = qual & 32;
		e->io.port = qual >> 16;
		break;
	case EXIT_REASON_CPUID:
		e->kind = WHV_KEXIT_CPUID;
		break;
	case EXIT_REASON_MSR_READ:
		e->kind = WHV_KEXIT_RDMSR;
		break;
	case EXIT_REASON_MSR_WRITE:
		e->kind = WHV_KEXIT_WRMSR;
		break;
	case EXIT_REASON_XSETBV:
		e->kind = WHV_KEXIT_XSETBV;
		break;
	case EXIT_REASON_RDTSC:
	case EXIT_REASON_RDTSCP:	/* RDTSC exiting covers RDTSCP too */
		e->kind = WHV_KEXIT_RDTSC;
		e->rdtsc.rdtscp = reason == EXIT_REASON_RDTSCP;
		break;
	case EXIT_REASON_HLT:
		e->kind = WHV_KEXIT_HLT;
		break;
	case EXIT_REASON_INVD:		/* never drop the host's caches */
	case EXIT_REASON_WBINVD:	/* nor let a guest flush them at will */
		e->kind = WHV_KEXIT_NOP;
		break;
	case EXIT_REASON_RDPMC:		/* the host's counters are not its */
		e->kind = WHV_KEXIT_GP;
		break;
	case EXIT_REASON_DR_ACCESS:
		qual = vmcs_read(EXIT_QUALIFICATION);
		e->kind = WHV_KEXIT_MOV_DR;
		e->dr.dr = qual & 7;
		e->dr.write = !(qual & 16);
		e->dr.gpr = (qual >> 8) & 15;
		break;
	default:
		/* VMX instructions, MONITOR/MWAIT, ...: not for this guest. */
		e->kind = WHV_KEXIT_UD;
		break;
	}
}

/* A failed VM entry: name the offending field and tell the log. */
static void vmx_entry_failed(struct whv_vp *vp, u32 error, u32 reason,
			     struct whv_exit_info *e)
{
	struct vmx_vp *vmx = to_vmx(vp);

	vmx->entry_error = error;
	vmx->entry_field = 0;
	vmx->entry_field_name = "unknown";
	vmx_check_guest_state(vmx);
	pr_warn_ratelimited("whv: VP %u: VM entry failed (VM-instruction error %u, exit reason %u): %s\n",
			    vp->index, error, reason, vmx->entry_field_name);
	e->kind = WHV_KEXIT_INVALID_STATE;
	e->invalid.error = error;
	e->invalid.field = vmx->entry_field;
	e->invalid.name = vmx->entry_field_name;
}

static void vmx_run_once(struct whv_vp *vp, struct whv_exit_info *exit)
{
	struct vmx_vp *vmx = to_vmx(vp);
	struct vmx_host_segs host;
	u32 reason;
	int failed;

	if (!whv_guest_state_enter(vp, vmx_read_reg(vp, WHV_AREG_CR4),
				   vmcs_read(GUEST_DR7))) {
		exit->kind = WHV_KEXIT_FPU;
		return;
	}
	vmcs_write(GUEST_RSP, vp->gpr[WHV_REG_RSP]);
	vmx_save_host_segs(&host);
	/* VMX has no guest CR2 field: the guest's is in the CPU while it runs. */
	if (native_read_cr2() != vmx->cr2)
		native_write_cr2(vmx->cr2);
	/* L1TF: no host data in L1D for the guest to read. */
	if (static_cpu_has_bug(X86_BUG_L1TF) &&
	    static_cpu_has(X86_FEATURE_FLUSH_L1D))
		wrmsrl(MSR_IA32_FLUSH_CMD, L1D_FLUSH);
	failed = whv_vmx_vmrun(vp->gpr, vmx->launched);
	vmx->cr2 = native_read_cr2();
	whv_guest_state_exit(vp, vmx_read_reg(vp, WHV_AREG_CR4));
	vmx_restore_host(vmx, &host);

	vp->gpr[WHV_REG_RSP] = vmcs_read(GUEST_RSP);
	if (unlikely(failed)) {
		vmx_entry_failed(vp, vmcs_read(VM_INSTRUCTION_ERROR), 0, exit);
		return;
	}
	reason = vmcs_read(VM_EXIT_REASON);
	/* A failed entry leaves the launch state as it was. */
	if (unlikely(reason & VMX_EXIT_REASONS_FAILED_VMENTRY)) {
		vmx_entry_failed(vp, 0, reason & 0xffff, exit);
		return;
	}
	vmx->launched = true;
	vmcs_write(VM_ENTRY_INTR_INFO_FIELD, 0);
	vmx_requeue_event(vmx);
	vmx_decode_exit(vp, reason & 0xffff, exit);
}

static void vmx_enter(struct whv_vp *vp, struct whv_exit_info *exit)
{
	struct vmx_vp *vmx = to_vmx(vp);
	u64 cr3 = __read_cr3(), cr4 = cr4_read_shadow();

	if (vmx->flush)
		vmx_do_flush(vp);
	if (unlikely(cr3 != vmx->host_cr3)) {
		vmcs_write(HOST_CR3, cr3);
		vmx->host_cr3 = cr3;
	}
	if (unlikely(cr4 != vmx->host_cr4)) {
		vmcs_write(HOST_CR4, cr4);
		vmx->host_cr4 = cr4;
	}
	do
		vmx_run_once(vp, exit);
	while (whv_exit_fastpath(vp, exit));
}

/* ---- EPT entries ---------------------------------------------------------------- */

static u64 vmx_npt_leaf(phys_addr_t pa, u32 flags)
{
	u64 pte = pa | EPT_R | EPT_WB;

	if (flags & WHV_MAP_WRITE)
		pte |= EPT_W;
	if (flags & WHV_MAP_EXECUTE)
		pte |= EPT_X;
	if (vmx_ept_caps & CAP_EPT_AD)
		pte |= EPT_A | EPT_D;
	return pte;
}

static u64 vmx_npt_table(phys_addr_t pa)
{
	return pa | EPT_R | EPT_W | EPT_X;
}

const struct whv_backend whv_vmx_backend = {
	.name = "vmx",
	.vendor = WHV_VENDOR_INTEL,
	.exception_exits = VMX_EXCEPTION_EXITS,
	.cpu_enable = vmx_cpu_enable,
	.cpu_disable = vmx_cpu_disable,
	.vp_create = vmx_vp_create,
	.vp_destroy = vmx_vp_destroy,
	.vp_load = vmx_vp_load,
	.vp_put = vmx_vp_put,
	.enter = vmx_enter,
	.update_intercepts = vmx_update_intercepts,
	.set_fpu_trap = vmx_set_fpu_trap,
	.flush_tlb = vmx_flush_tlb,
	.read_reg = vmx_read_reg,
	.write_reg = vmx_write_reg,
	.set_rip = vmx_set_rip,
	.read_seg = vmx_read_seg,
	.write_seg = vmx_write_seg,
	.snapshot = vmx_snapshot,
	.npt_leaf = vmx_npt_leaf,
	.npt_table = vmx_npt_table,
};

/* ---- module load/unload ---------------------------------------------------------- */

/* Controls: what we need, what we would like, as the CPU allows them. */
static int vmx_adjust(u32 msr, u32 need, u32 want, u32 *ctl)
{
	u32 must, may;

	rdmsr(msr, must, may);
	*ctl = ((need | want) & may) | must;
	return (*ctl & need) == need ? 0 : -ENODEV;
}

static int vmx_setup_controls(void)
{
	u64 basic;
	bool true_msrs;

	rdmsrl(MSR_IA32_VMX_BASIC, basic);
	vmx_revision = basic & 0x7fffffff;
	true_msrs = basic & VMX_BASIC_TRUE_CTLS;

	if (vmx_adjust(true_msrs ? MSR_IA32_VMX_TRUE_PINBASED_CTLS :
		       MSR_IA32_VMX_PINBASED_CTLS,
		       PIN_BASED_EXT_INTR_MASK | PIN_BASED_NMI_EXITING |
		       PIN_BASED_VIRTUAL_NMIS, PIN_BASED_VMX_PREEMPTION_TIMER,
		       &vmx_pin_ctls) ||
	    vmx_adjust(true_msrs ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
		       MSR_IA32_VMX_PROCBASED_CTLS,
		       CPU_BASED_HLT_EXITING | CPU_BASED_MWAIT_EXITING |
		       CPU_BASED_RDPMC_EXITING | CPU_BASED_USE_TSC_OFFSETTING |
		       CPU_BASED_CR8_LOAD_EXITING |
		       CPU_BASED_CR8_STORE_EXITING | CPU_BASED_MOV_DR_EXITING |
		       CPU_BASED_USE_IO_BITMAPS | CPU_BASED_USE_MSR_BITMAPS |
		       CPU_BASED_MONITOR_EXITING |
		       CPU_BASED_ACTIVATE_SECONDARY_CONTROLS, 0,
		       &vmx_cpu_ctls) ||
	    vmx_adjust(MSR_IA32_VMX_PROCBASED_CTLS2,
		       SECONDARY_EXEC_ENABLE_EPT |
		       SECONDARY_EXEC_UNRESTRICTED_GUEST |
		       SECONDARY_EXEC_WBINVD_EXITING,
		       SECONDARY_EXEC_ENABLE_VPID |
		       SECONDARY_EXEC_ENABLE_INVPCID |
		       (boot_cpu_has(X86_FEATURE_RDTSCP) ?
			SECONDARY_EXEC_ENABLE_RDTSCP : 0), &vmx_cpu_ctls2) ||
	    vmx_adjust(true_msrs ? MSR_IA32_VMX_TRUE_EXIT_CTLS :
		       MSR_IA32_VMX_EXIT_CTLS,
		       VM_EXIT_HOST_ADDR_SPACE_SIZE | VM_EXIT_SAVE_IA32_PAT |
		       VM_EXIT_LOAD_IA32_PAT | VM_EXIT_SAVE_IA32_EFER |
		       VM_EXIT_LOAD_IA32_EFER | VM_EXIT_SAVE_DEBUG_CONTROLS, 0,
		       &vmx_exit_ctls) ||
	    vmx_adjust(true_msrs ? MSR_IA32_VMX_TRUE_ENTRY_CTLS :
		       MSR_IA32_VMX_ENTRY_CTLS,
		       VM_ENTRY_LOAD_DEBUG_CONTROLS | VM_ENTRY_LOAD_IA32_PAT |
		       VM_ENTRY_LOAD_IA32_EFER, 0, &vmx_entry_ctls)) {
		pr_err("whv: this CPU's VMX lacks EPT, unrestricted guest or another required control\n");
		return -ENODEV;
	}
	/* Never exit on CR3 accesses with EPT, nor run in IA-32e by default. */
	vmx_cpu_ctls &= ~(CPU_BASED_CR3_LOAD_EXITING |
			  CPU_BASED_CR3_STORE_EXITING | CPU_BASED_INVLPG_EXITING);
	vmx_entry_ctls &= ~VM_ENTRY_IA32E_MODE;
	vmx_optional_ctls = native_read_msr(true_msrs ?
					  MSR_IA32_VMX_TRUE_PROCBASED_CTLS :
					  MSR_IA32_VMX_PROCBASED_CTLS) >> 32 &
			  (CPU_BASED_INTR_WINDOW_EXITING |
			   CPU_BASED_NMI_WINDOW_EXITING |
			   CPU_BASED_RDTSC_EXITING);

	/*
	 * A backstop: the timer exits every ~10 ms whatever the guest's
	 * interrupt state, so the host gets its CPU back even where an
	 * interrupt exit does not come (Bochs loses them for IF=0 guests
	 * entered with interrupts off). Counts TSC >> IA32_VMX_MISC[4:0].
	 */
	if (vmx_pin_ctls & PIN_BASED_VMX_PREEMPTION_TIMER)
		vmx_timer_value = min_t(u64, U32_MAX, (u64)tsc_khz * 10 >>
					(native_read_msr(MSR_IA32_VMX_MISC) &
					 0x1f));
	rdmsrl(MSR_IA32_VMX_EPT_VPID_CAP, vmx_ept_caps);
	if (!(vmx_ept_caps & CAP_EPT_WALK4) || !(vmx_ept_caps & CAP_EPT_WB)) {
		pr_err("whv: this CPU's EPT lacks 4-level tables or write-back memory\n");
		return -ENODEV;
	}
	if (!(vmx_ept_caps & (CAP_INVVPID_SINGLE | CAP_INVVPID_ALL)))
		vmx_cpu_ctls2 &= ~SECONDARY_EXEC_ENABLE_VPID;
	/* RDTSCP and RDPID with the guest's TSC_AUX (msrregs.c). */
	whv_guest_has_rdtscp = vmx_cpu_ctls2 & SECONDARY_EXEC_ENABLE_RDTSCP;
	whv_npt_large_levels = (vmx_ept_caps & CAP_EPT_2M ? BIT(2) : 0) |
			       (vmx_ept_caps & CAP_EPT_1G ? BIT(3) : 0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED0, vmx_cr0_fixed0);
	rdmsrl(MSR_IA32_VMX_CR0_FIXED1, vmx_cr0_fixed1);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED0, vmx_cr4_fixed0);
	rdmsrl(MSR_IA32_VMX_CR4_FIXED1, vmx_cr4_fixed1);
	if (!(vmx_cr4_fixed1 & X86_CR4_LA57))
		whv_guest_has_la57 = false;
	return 0;
}

u32 vmx_optional_controls(void)
{
	return vmx_optional_ctls;
}

static void vmx_free_pages(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpu, cpu);

		free_page((unsigned long)vc->vmxon);
		vc->vmxon = NULL;
	}
	free_page((unsigned long)vmx_msr_bitmap);
	free_pages((unsigned long)vmx_io_bitmaps, 1);
	vmx_msr_bitmap = NULL;
	vmx_io_bitmaps = NULL;
}

static int vmx_alloc_pages(void)
{
	int cpu;

	for_each_possible_cpu(cpu) {
		struct vmx_cpu *vc = per_cpu_ptr(&vmx_cpu, cpu);

		INIT_LIST_HEAD(&vc->loaded);
		vc->vmxon = (void *)get_zeroed_page(GFP_KERNEL);
		if (!vc->vmxon)
			return -ENOMEM;
		*(u32 *)vc->vmxon = vmx_revision;
	}
	/* Deny by default: every MSR and every port exits. */
	vmx_msr_bitmap = (void *)__get_free_page(GFP_KERNEL);
	vmx_io_bitmaps = (void *)__get_free_pages(GFP_KERNEL, 1);
	if (!vmx_msr_bitmap || !vmx_io_bitmaps)
		return -ENOMEM;
	memset(vmx_msr_bitmap, 0xff, PAGE_SIZE);
	memset(vmx_io_bitmaps, 0xff, 2 * PAGE_SIZE);
	return 0;
}

/*
 * An orderly reboot leaves VMX operation first (VMX blocks INIT). The
 * crash path's emergency callback belongs to kvm_intel; see the README.
 */
static void vmx_reboot_one(void *unused)
{
	if (this_cpu_read(whv_cpu_on))
		vmx_cpu_disable();
}

static int vmx_reboot(struct notifier_block *nb, unsigned long code, void *v)
{
	on_each_cpu(vmx_reboot_one, NULL, 1);
	return NOTIFY_OK;
}

static struct notifier_block vmx_reboot_nb = {
	.notifier_call = vmx_reboot,
};

/* Can this CPU run us? One clear line when not. */
int whv_vmx_probe(void)
{
	int ret;

	if (!boot_cpu_has(X86_FEATURE_VMX)) {
		pr_err("whv: Intel VT-x (VMX) is not available on this CPU\n");
		return -ENODEV;
	}
	if (!vmx_feature_control_ok()) {
		pr_err("whv: VMX is disabled by firmware (IA32_FEATURE_CONTROL)\n");
		return -ENODEV;
	}
	if (__read_cr4() & X86_CR4_VMXE) {
		pr_err("whv: VMX is in use by another hypervisor (CR4.VMXE is set)\n");
		return -EBUSY;
	}
	ret = vmx_setup_controls();
	if (ret)
		return ret;
	ret = vmx_alloc_pages();
	if (ret) {
		vmx_free_pages();
		return ret;
	}
	preempt_notifier_inc();
	register_reboot_notifier(&vmx_reboot_nb);
	return 0;
}

void whv_vmx_remove(void)
{
	unregister_reboot_notifier(&vmx_reboot_nb);
	preempt_notifier_dec();
	vmx_free_pages();
}
