/* SPDX-License-Identifier: GPL-2.0 */
/*
 * whv core: partitions, virtual processors, guest memory, and the ops table
 * a hardware backend (svm.c, vmx.c) implements. The core never touches a
 * VMCB/VMCS; a backend never builds a WHv exit context.
 */
#ifndef WHV_H
#define WHV_H

#include <linux/types.h>
#include <linux/bitops.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/mmu_notifier.h>
#include <asm/fpu/api.h>
#include <asm/fpu/types.h>
#include <asm/cpufeature.h>
#include <linux/rcuwait.h>
#include <linux/static_call.h>
#include <linux/rbtree.h>
#include <linux/xarray.h>
#include "../uapi/whv_ioctl.h"
#include "lapic.h"

#define WHV_PAGE_SIZE	4096ULL
#define WHV_GPA_BITS	48	/* 4-level nested paging */
#define WHV_MAX_RANGES	65536	/* ranges per partition (interval trees) */

struct whv_vp;
struct whv_partition;

/*
 * The CPU gives guests 5-level paging (CR4.LA57): CPUID.7.0:ECX[16], and on
 * VT-x a CR4 it may run a guest with. Set in whv_init() and the probe.
 */
extern bool whv_guest_has_la57;

/*
 * A canonical address for the CPU's linear-address width (57 bits with
 * LA57, else 48). MSRs that hold addresses and the segment and descriptor-
 * table bases VM entry checks are held to that width whatever CR4.LA57 is;
 * an access through a linear address is held to CR4.LA57's (gva.c).
 */
static inline bool whv_canonical(u64 v)
{
	return sign_extend64(v, whv_guest_has_la57 ? 56 : 47) == v;
}

/* What a VM exit needs from the core, in vendor-neutral terms. */
enum whv_exit_kind {
	WHV_KEXIT_HANDLED,	/* backend consumed it (host IRQ, NMI, ...) */
	WHV_KEXIT_IO,
	WHV_KEXIT_NPF,		/* nested page fault */
	WHV_KEXIT_CPUID,
	WHV_KEXIT_RDMSR,
	WHV_KEXIT_WRMSR,
	WHV_KEXIT_XSETBV,
	WHV_KEXIT_EXCEPTION,
	WHV_KEXIT_HLT,
	WHV_KEXIT_IRQ_WINDOW,
	WHV_KEXIT_NMI_WINDOW,
	WHV_KEXIT_SHUTDOWN,
	WHV_KEXIT_INVALID_STATE,
	WHV_KEXIT_TASK_SWITCH,
	WHV_KEXIT_UD,		/* instruction the guest may not use: #UD */
	WHV_KEXIT_GP,		/* instruction the guest may not use: #GP */
	WHV_KEXIT_NOP,		/* complete the instruction, no effect */
	WHV_KEXIT_MOV_DR,	/* MOV to/from DR0-3, MOV to DR7 */
	WHV_KEXIT_RDTSC,	/* intercepted only when userspace asked */
	WHV_KEXIT_CR8_WRITE,	/* MOV to CR8 while the APIC wanted to see it */
	WHV_KEXIT_APIC_EOI,	/* the core's own: level-triggered EOI */
	WHV_KEXIT_APIC_INIT_SIPI, /* the core's own: trapped ICR write */
	WHV_KEXIT_FPU,		/* the FPU trap fired: load the guest's FPU */
};

struct whv_exit_info {
	enum whv_exit_kind kind;
	u8 insn_len;		/* 0: unknown, the core decodes it */
	/* The instruction's bytes, read right at the exit (-1: not yet) */
	s8 insn_count;
	/* vp->snap is this exit's, as the encoder needs it (port, memory) */
	bool snapshot_taken;
	/* The exit reason whose context vp->exit_ctx holds already, or 0 */
	u32 encoded;
	u8 insn_bytes[16];
	union {
		struct {
			u16 port;
			u8 size;
			bool write, string, rep;
		} io;
		struct {
			u64 gpa, gva;
			u8 access;	/* WHV_MEM_ACCESS_* */
			bool present;	/* permission fault on a present entry */
			bool gva_valid;
			bool mapped;	/* a range maps gpa (whv_handle_exit) */
		} npf;
		struct {
			u8 vector;
			bool has_error;
			u32 error;
			u64 param;	/* CR2 for #PF */
		} exc;
		struct {
			u64 param;
		} task_switch;
		struct {
			u8 dr;
			bool write;
			s8 gpr;		/* -1: the core decodes it */
		} dr;
		struct {
			u32 error;	/* VM-instruction error, 0 if none */
			u32 field;	/* offending VMCS field, 0 if unknown */
			const char *name;
		} invalid;
		struct {
			u64 host_tsc;	/* read at the exit */
			bool rdtscp;
		} rdtsc;
		struct {
			s8 gpr;		/* -1: the core decodes it */
		} cr8;
		struct {
			u32 vector;	/* APIC_EOI */
			u64 icr;	/* APIC_INIT_SIPI */
		} apic;
	};
};

/* Architectural registers a backend keeps in its VMCB/VMCS. */
enum whv_areg {
	WHV_AREG_RIP, WHV_AREG_RFLAGS,
	WHV_AREG_CR0, WHV_AREG_CR2, WHV_AREG_CR3, WHV_AREG_CR4, WHV_AREG_CR8,
	WHV_AREG_DR6, WHV_AREG_DR7,
	WHV_AREG_EFER, WHV_AREG_PAT,
	WHV_AREG_TSC_OFFSET,	/* guest TSC - host TSC (the TSC: time.c) */
	WHV_AREG_KERNEL_GS_BASE, WHV_AREG_SYSENTER_CS, WHV_AREG_SYSENTER_EIP,
	WHV_AREG_SYSENTER_ESP, WHV_AREG_STAR, WHV_AREG_LSTAR, WHV_AREG_CSTAR,
	WHV_AREG_SFMASK,
	WHV_AREG_CPL,
	WHV_AREG_INT_SHADOW,	/* 0 or 1 */
	WHV_AREG_PENDING_EVENT,	/* WHV PendingInterruption bits */
	WHV_AREG_NMI_MASKED,	/* 0 or 1: an NMI handler has not IRETed yet */
};

/* Segment registers and descriptor tables (tables: selector/attributes 0). */
enum whv_aseg {
	WHV_ASEG_ES, WHV_ASEG_CS, WHV_ASEG_SS, WHV_ASEG_DS, WHV_ASEG_FS,
	WHV_ASEG_GS, WHV_ASEG_LDTR, WHV_ASEG_TR, WHV_ASEG_IDTR, WHV_ASEG_GDTR,
};

/*
 * The registers an exit's encoding, an instruction fetch and a run's
 * register copy-out read, taken from the backend in one call: the run
 * registers (but gpr[] and set), and the VP context's state bits.
 */
struct whv_snapshot {
	struct whv_run_regs r;
	u64 dr7;
	u64 cr8;
	u64 pending_event;	/* WHV_AREG_PENDING_EVENT */
	u8 cpl;
	u8 int_shadow;
};

/* How much of a snapshot is read; each level includes the ones before. */
enum whv_snap_level {
	/*
	 * RIP, CS, CR0, CR3, CR4, EFER, the interrupt shadow: enough to fetch
	 * and complete an instruction (the run loop's fast path)
	 */
	WHV_SNAP_FETCH,
	/* + RFLAGS, DS, ES, DR7, CR8, the pending event, CPL: a port exit */
	WHV_SNAP_EXIT,
	/* + SS, FS, GS: every field */
	WHV_SNAP_ALL,
};

struct whv_backend {
	const char *name;
	u32 vendor;			/* WHV_VENDOR_* */
	u64 exception_exits;		/* vectors that may be intercepted */

	/*
	 * Per CPU; called with preemption off. -EBUSY: another hypervisor.
	 * Both keep whv_cpu_on, whether this CPU runs guests now, current.
	 */
	int (*cpu_enable)(void);
	void (*cpu_disable)(void);

	int (*vp_create)(struct whv_vp *vp);
	void (*vp_destroy)(struct whv_vp *vp);
	/*
	 * Optional: from vp_load() to vp_put() the VP's hardware state is
	 * reachable from this task, across preemption and migration; every
	 * other op but create/destroy is called inside such a window.
	 */
	void (*vp_load)(struct whv_vp *vp);
	void (*vp_put)(struct whv_vp *vp);

	/*
	 * Enter the guest once. Called with interrupts and preemption off;
	 * returns the same way with vp->gpr[] current and @exit filled in.
	 */
	void (*enter)(struct whv_vp *vp, struct whv_exit_info *exit);
	/* The intercept set changed (exception bitmap, interrupt window). */
	void (*update_intercepts)(struct whv_vp *vp);
	/* Flush guest TLB entries at the next entry (nested tables changed). */
	void (*flush_tlb)(struct whv_vp *vp);
	/*
	 * vp->fpu_trap changed. While it is set the guest runs with CR0.TS
	 * and CR0.MP forced on (its own values kept for every read of CR0)
	 * and its first FPU use (#NM) or CR0 access exits as WHV_KEXIT_FPU,
	 * the instruction not yet executed.
	 */
	void (*set_fpu_trap)(struct whv_vp *vp);

	u64 (*read_reg)(struct whv_vp *vp, enum whv_areg reg);
	void (*write_reg)(struct whv_vp *vp, enum whv_areg reg, u64 val);
	/*
	 * RIP to @rip, in one call. A shadow belongs to the instruction it
	 * precedes: moving RIP means that instruction completed, so it ends.
	 */
	void (*set_rip)(struct whv_vp *vp, u64 rip);
	void (*read_seg)(struct whv_vp *vp, enum whv_aseg seg,
			 struct whv_segment *out);
	void (*write_seg)(struct whv_vp *vp, enum whv_aseg seg,
			  const struct whv_segment *in);
	/*
	 * struct whv_snapshot up to @level (the rest of @s left alone), as
	 * read_reg/read_seg give it.
	 */
	void (*snapshot)(struct whv_vp *vp, struct whv_snapshot *s,
			 enum whv_snap_level level);

	/* Nested page table entry formats. */
	u64 (*npt_leaf)(phys_addr_t pa, u32 map_flags);
	u64 (*npt_table)(phys_addr_t pa);
	/*
	 * Optional: the hardware walks the nested table with five levels
	 * (AMD: the host's own paging mode at VMRUN, so CR4.LA57).
	 */
	bool (*npt_5level)(void);
};

/*
 * A local the code fills completely before use: exempt from the build's
 * zeroing of stack variables (INIT_STACK_ALL_ZERO), which on the exit path
 * costs a store per eight bytes.
 */
#if __has_attribute(__uninitialized__)
#define whv_noinit __attribute__((__uninitialized__))
#else
#define whv_noinit
#endif

/* This CPU has virtualization on (the backend's cpu_enable/cpu_disable). */
DECLARE_PER_CPU(bool, whv_cpu_on);

extern const struct whv_backend *whv_backend;
/*
 * The ops every round trip calls, as direct calls patched in at load
 * (main.c): no indirect branch, so no retpoline, on the hot path.
 */
#define WHV_HOT_OP(op) \
	DECLARE_STATIC_CALL(whv_##op, *((struct whv_backend *)NULL)->op)
WHV_HOT_OP(enter);
WHV_HOT_OP(snapshot);
WHV_HOT_OP(set_rip);
extern const struct whv_backend whv_svm_backend;
extern const struct whv_backend whv_vmx_backend;
int whv_svm_probe(void);
int whv_vmx_probe(void);
void whv_vmx_remove(void);
/* svm_vmrun.S */
void whv_svm_vmrun(u64 vmcb_pa, u64 *gpr, u64 host_save_pa);
void whv_svm_remove(void);

/*
 * A mapped range of the caller's memory: a node of the partition's GPA
 * interval tree and of its HVA interval tree (for the mmu notifier).
 */
struct whv_range {
	struct rb_node gpa_rb;
	u64 gpa_subtree_last;
	struct rb_node hva_rb;
	unsigned long hva_subtree_last;
	u64 gpa, size;
	unsigned long uaddr;
	u32 flags;
};

/* Variable-range MTRR pairs and fixed-range MTRR MSRs the guest has. */
#define WHV_MTRR_VAR	16
#define WHV_MTRR_FIXED	11

/* DeliverabilityNotifications bits */
#define WHV_DELIVER_NMI		BIT(0)
#define WHV_DELIVER_INTERRUPT	BIT(1)

/* VP requests the run loop honours before entry. */
#define WHV_REQ_TLB_FLUSH	0	/* nested tables changed */
#define WHV_REQ_INTERCEPTS	1	/* partition's exit set changed */
#define WHV_REQ_EVENT		2	/* an interrupt or APIC event was posted */

enum whv_vp_mode { WHV_OUTSIDE_GUEST, WHV_IN_GUEST };

struct whv_vp {
	struct whv_partition *part;
	u32 index;
	unsigned long requests;		/* WHV_REQ_* bits */
	bool cancel;			/* WHvCancelRunVirtualProcessor */
	int mode;			/* whv_vp_mode, read by kickers */
	int cpu;			/* CPU of the current/last entry */

	u64 gpr[16];			/* authoritative; backend syncs RAX/RSP */
	/* What the last exit was encoded from; a run copies it out (run_regs.c) */
	struct whv_snapshot snap;
	struct whv_run_page *run_page;	/* shared with the VMM (run_page.c) */
	/* The host page of the last fast-path fetch (insn.c), and its GPA */
	void *fetch_page;
	u64 fetch_gfn;
	/*
	 * The page of the last memory exit that no range maps (MMIO), known
	 * without a lookup until a map request flushes the TLB (vcpu_run.c)
	 */
	bool mmio_known;
	u64 mmio_gfn;
	/* Where the current run's exit context goes (whv_vcpu_run) */
	struct whv_exit *exit_ctx;
	u64 dr[4];			/* DR0-3 (never loaded into hardware) */
	u64 xcr0;
	bool xcr0_loaded;		/* guest XCR0 in the CPU this entry */
	/* guest_fpu.c: the FPU goes in when the guest first uses it */
	bool fpu_loaded;		/* the guest's FPU is in the CPU (this run) */
	bool fpu_trap;			/* the backend traps its first use */
	u8 fpu_eager_runs;		/* runs left that load it up front */
	u32 pkru, host_pkru;
	u32 deliverability;		/* DeliverabilityNotifications bits */
	u64 apic_base;

	/* ---- msrregs.c: MSRs kept in software (whv_msrregs) ---- */
	u32 initial_apic_id;
	u32 tsc_aux;
	u64 host_tsc_aux;		/* this entry's, when switched */
	bool tsc_aux_loaded;
	u64 spec_ctrl, host_spec_ctrl;
	bool spec_ctrl_loaded;
	u64 tsc_adjust;
	u64 misc_enable;
	u64 mtrr_def_type;
	u64 mtrr_var[WHV_MTRR_VAR * 2];	/* PhysBase0, PhysMask0, ... */
	u64 mtrr_fixed[WHV_MTRR_FIXED];
	bool tsc_restore;		/* Tsc and TscAdjust set in one call */
	/* time.c: the partition's suspended time already in the TSC offset */
	u64 time_applied;
	/* ---- end msrregs.c ---- */

	enum whv_activity activity;	/* halted, waiting for SIPI */
	struct rcuwait wait;		/* the runner, while it blocks */
	struct whv_lapic apic;

	struct fpu_guest fpu;
	void *arch;			/* backend's per-VP state */
};

struct whv_partition {
	struct mm_struct *mm;		/* owner: guest memory lives here */
	struct mmu_notifier mmu_notifier;

	struct mutex lock;		/* setup, properties, VP table, map */
	bool setup_done;
	u32 vp_count;
	u64 extended_exits;
	u64 exception_bitmap;
	u32 apic_mode;			/* WHV_APIC_MODE_*, fixed at setup */
	u32 n_cpuid_exits;
	u32 cpuid_exits[WHV_MAX_CPUID_EXITS];
	u32 n_cpuid_results;
	struct whv_cpuid_result *cpuid_results;
	struct whv_vp __rcu *vps[WHV_MAX_VPS];	/* written under lock */
	/* Bit n: VP n is held by one runner or register user (whv_vp_lock) */
	unsigned long vp_busy[BITS_TO_LONGS(WHV_MAX_VPS)];

	/* Guest memory: ranges and nested tables, under mmu_lock. */
	spinlock_t mmu_lock;
	struct rb_root_cached gpa_ranges;	/* by GPA, disjoint */
	struct rb_root_cached hva_ranges;	/* by HVA, may overlap */
	u32 n_ranges;			/* at most WHV_MAX_RANGES */
	u64 *npt_root;			/* the 4-level table of 48-bit GPAs */
	u64 *npt_pml5;			/* 5-level: entry 0 is npt_root */
	u64 npt_leaves[3];		/* installed 4 KiB, 2 MiB, 1 GiB leaves */
	unsigned long mmu_invalidating;	/* invalidations in flight */
	unsigned long mmu_seq;		/* bumped by every invalidation */
	struct xarray dirty;		/* dirty.c: per-page tracking bits */
	/* Pinned pages (WHvAdviseGpaRange Pin) by GFN, under lock. */
	struct xarray pins;

	/* Partition time (time.c), under time_lock. */
	spinlock_t time_lock;
	bool time_suspended;
	u64 time_suspend_tsc;		/* host TSC when suspended */
	u64 time_shift;			/* host TSC ticks spent suspended */
};

/* hwenable.c */
int whv_hw_init(void);
void whv_hw_exit(void);
int whv_hw_get(void);
void whv_hw_put(void);
int whv_hw_enable_this_cpu(void);

/* partition.c */
int whv_partition_create(void);

/* memory.c */
int whv_mem_init(struct whv_partition *p);
void whv_mem_destroy(struct whv_partition *p);
int whv_map_gpa_range(struct whv_partition *p, const struct whv_gpa_range *r);
int whv_unmap_gpa_range(struct whv_partition *p, const struct whv_gpa_range *r);
int whv_mem_fault(struct whv_vp *vp, u64 gpa, u8 access, bool *handled,
		  bool *mapped);
int whv_read_gpa(struct whv_partition *p, u64 gpa, void *buf, size_t len);
int whv_read_gpa_fast(struct whv_partition *p, u64 gpa, void *buf,
		      size_t len);
int whv_write_gpa(struct whv_partition *p, u64 gpa, const void *buf,
		  size_t len);
int whv_gpa_populate(struct whv_partition *p, u64 gpa, u8 access,
		     bool nofault);
int whv_gpa_pin(struct whv_partition *p, u64 gpa);
void whv_gpa_unpin(struct whv_partition *p, u64 gpa, u64 size);
bool whv_gpa_mapped(struct whv_partition *p, u64 gpa);
int whv_gpa_allows(struct whv_partition *p, u64 gpa, u64 len, u32 need);
bool whv_gpa_hva(struct whv_partition *p, u64 gpa, unsigned long *hva,
		 u32 *flags);

/* dirty.c */
void whv_dirty_init(struct whv_partition *p);
void whv_dirty_destroy(struct whv_partition *p);
int whv_dirty_prepare(struct whv_partition *p, u64 gpa, u64 size, u32 flags);
void whv_dirty_map(struct whv_partition *p, u64 gpa, u64 size, u32 flags);
u32 whv_dirty_fault(struct whv_partition *p, u64 gpa, u8 access, u32 flags);
void whv_dirty_mark(struct whv_partition *p, u64 gpa, u64 len);
int whv_dirty_query_ioctl(struct whv_partition *p,
			  struct whv_dirty_bitmap __user *arg);

/* fpregs.c */
bool whv_fp_reg(u32 name);
void whv_fp_reset(struct whv_vp *vp);
void whv_fp_get(struct whv_vp *vp, u32 name, struct whv_reg_value *out);
int whv_fp_set(struct whv_vp *vp, u32 name, const struct whv_reg_value *in,
	       bool apply);

/* gva.c */
int whv_translate_gva(struct whv_vp *vp, u64 gva, u32 flags, u64 *gpa);

/* memadvise.c: Read/WriteGpaRange, AdviseGpaRange, partition counters */
int whv_gpa_access_ioctl(struct whv_partition *p, void __user *arg,
			 bool write);
int whv_advise_ioctl(struct whv_partition *p, void __user *arg);
int whv_counters_ioctl(struct whv_partition *p, void __user *arg);

/* npt.c */
/* Bytes one nested entry at @level covers (1: 4 KiB, 2: 2 MiB, 3: 1 GiB). */
static inline u64 whv_npt_span(int level)
{
	return 1ULL << (PAGE_SHIFT + 9 * (level - 1));
}
int whv_npt_map(struct whv_partition *p, u64 gpa, u64 pte, int level,
		u64 **spare, int n_spare);
extern unsigned int whv_npt_large_levels;	/* BIT(2): 2 MiB, BIT(3): 1 GiB */
int whv_npt_fault_level(struct whv_partition *p, const struct whv_range *r,
			u64 gpa, unsigned long hva, unsigned long pfn);
void whv_npt_zap(struct whv_partition *p, u64 gpa, u64 size);
void *whv_npt_page(struct whv_partition *p, u64 gpa);
bool whv_npt_read(struct whv_partition *p, u64 gpa, void *buf, size_t len);
void whv_npt_free(struct whv_partition *p);

/* vp.c */
int whv_vp_create(struct whv_partition *p, u32 index);
int whv_vp_delete(struct whv_partition *p, u32 index);
void whv_vp_reinit(struct whv_vp *vp);
void whv_vp_free(struct whv_vp *vp);
int whv_vp_lock_error(struct whv_partition *p, u32 index, bool busy);

/*
 * Find VP @index and hold it (its busy bit): the caller owns the VP until
 * whv_vp_unlock(). No lock on the partition: delete takes the same bit
 * before it clears the slot, so while the bit is held the slot can only
 * go from empty to a new VP (create), never the other way. NULL: *@err
 * says why.
 */
static inline struct whv_vp *whv_vp_lock(struct whv_partition *p, u32 index,
					 int *err)
{
	struct whv_vp *vp;

	if (unlikely(index >= WHV_MAX_VPS)) {
		*err = whv_vp_lock_error(p, index, false);
		return NULL;
	}
	if (unlikely(test_and_set_bit_lock(index, p->vp_busy))) {
		*err = whv_vp_lock_error(p, index, true);
		return NULL;
	}
	vp = rcu_dereference_raw(p->vps[index]);
	if (unlikely(!vp)) {
		clear_bit_unlock(index, p->vp_busy);
		*err = whv_vp_lock_error(p, index, false);
	}
	return vp;
}

static inline void whv_vp_unlock(struct whv_vp *vp)
{
	clear_bit_unlock(vp->index, vp->part->vp_busy);
}

int whv_vp_cancel(struct whv_partition *p, u32 index);
void whv_vp_kick(struct whv_vp *vp, bool wait);
int whv_with_vps_stopped(struct whv_partition *p,
			 void (*fn)(struct whv_partition *p,
				    struct whv_vp **vps, int n));
void whv_kick_all_vps(struct whv_partition *p, int request);
void whv_vp_notify(struct whv_vp *vp);
void whv_vp_init(struct whv_vp *vp);

/* Exits the backend arranges for the core besides what userspace asked. */
static inline bool whv_irq_window_wanted(struct whv_vp *vp)
{
	return (vp->deliverability & WHV_DELIVER_INTERRUPT) ||
	       vp->apic.irq_window;
}

static inline bool whv_nmi_window_wanted(struct whv_vp *vp)
{
	return (vp->deliverability & WHV_DELIVER_NMI) || vp->apic.nmi_window;
}

/* regs.c */
int whv_get_registers(struct whv_vp *vp, const u32 *names,
		      struct whv_reg_value *vals, u32 n);
int whv_set_rip_rflags_named(struct whv_vp *vp, u64 set, u64 rip,
			     u64 rflags);

/*
 * What a run carries in besides GPRs (struct whv_run_regs; @set names RIP
 * and RFLAGS, GPR bits ignored), with WHV_SET_VP_REGISTERS' checks and
 * effects. The caller applies the named GPRs (any value goes) only after
 * this succeeded: all or nothing.
 */
static inline int whv_set_rip_rflags(struct whv_vp *vp, u64 set, u64 rip,
				     u64 rflags)
{
	set &= ~GENMASK_ULL(WHV_REG_R15, 0);
	/* After a port or MMIO exit: RIP past the instruction, alone. */
	if (set == BIT_ULL(WHV_REG_RIP)) {
		static_call(whv_set_rip)(vp, rip);
		return 0;
	}
	return set ? whv_set_rip_rflags_named(vp, set, rip, rflags) : 0;
}
int whv_set_registers(struct whv_vp *vp, const u32 *names,
		      const struct whv_reg_value *vals, u32 n);
bool whv_xcr0_valid(struct whv_vp *vp, u64 xcr0);
bool whv_pat_valid(u64 pat);

/* vcpu_run.c */
void whv_run_init(void);
bool whv_fastpath_memory(struct whv_vp *vp, struct whv_exit_info *info);
bool whv_fastpath_cpuid(struct whv_vp *vp, struct whv_exit_info *info);
int whv_vcpu_run(struct whv_vp *vp, struct whv_exit __user *uexit,
		 struct whv_run_regs __user *uregs);
/* guest_fpu.c */
int whv_fpu_run_begin(struct whv_vp *vp);
int whv_fpu_trapped(struct whv_vp *vp);
void whv_fpu_run_end(struct whv_vp *vp);
/* run_page.c */
int whv_run_page_alloc(struct whv_vp *vp);
void whv_run_page_free(struct whv_vp *vp);
int whv_run_page_mmap(struct whv_partition *p, struct vm_area_struct *vma);
void whv_run_page_save(struct whv_vp *vp);
/* run_regs.c */
int whv_run_regs_apply(struct whv_vp *vp, struct whv_run_regs __user *uregs);
int whv_run_regs_save(struct whv_vp *vp, struct whv_run_regs __user *uregs);
int whv_skip_insn(struct whv_vp *vp, const struct whv_exit_info *info);

/* exit.c: each returns the exit reason (> 0): "exit to userspace" */
u32 whv_encode_port_exit(struct whv_vp *vp, struct whv_exit_info *info,
			 struct whv_exit *ex);
u32 whv_encode_mmio_exit(struct whv_vp *vp, struct whv_exit_info *info,
			 struct whv_exit *ex);
int whv_encode_exit(struct whv_vp *vp, const struct whv_exit_info *info,
		    struct whv_exit *ex);
int whv_encode_window(struct whv_vp *vp, struct whv_exit *ex, u32 type);
int whv_encode_canceled(struct whv_vp *vp, struct whv_exit *ex);

/*
 * The backend's hook right after each exit, with interrupts still off:
 * the exits that go to userspace as they are get encoded now, and those
 * the kernel answers alone without anything that could sleep (CPUID
 * nobody asked to see) are completed. True: the backend enters the guest
 * again at once, without the round through the loop. Inline in the
 * backends' entry loops: a port exit goes straight to its encoder.
 */
static __always_inline bool whv_exit_fastpath(struct whv_vp *vp,
					      struct whv_exit_info *info)
{
	info->insn_count = -1;
	info->snapshot_taken = false;
	info->encoded = 0;
	switch (info->kind) {
	case WHV_KEXIT_IO:
		info->encoded = whv_encode_port_exit(vp, info, vp->exit_ctx);
		return false;
	case WHV_KEXIT_NPF:
		return whv_fastpath_memory(vp, info);
	case WHV_KEXIT_CPUID:
		return whv_fastpath_cpuid(vp, info);
	default:
		return false;
	}
}

/* cpuid.c */
void whv_cpuid_default(struct whv_vp *vp, u32 leaf, u32 subleaf, u32 out[4]);
bool whv_cpuid_exit_listed(struct whv_partition *p, u32 leaf);

/* Does CPUID of @leaf exit to userspace (CpuidExit on, leaf in the list)? */
static inline bool whv_cpuid_exits(struct whv_partition *p, u32 leaf)
{
	return (READ_ONCE(p->extended_exits) & WHV_EXTEXIT_CPUID) &&
	       whv_cpuid_exit_listed(p, leaf);
}
u32 whv_guest_phys_bits(void);
void whv_cpuid_init(void);

/* msr.c */
int whv_msr_read(struct whv_vp *vp, u32 msr, u64 *val);
int whv_msr_write(struct whv_vp *vp, u32 msr, u64 val);

/* msrregs.c: MSR-backed registers, for regs.c and msr.c */
bool whv_msrreg_name(u32 name);
int whv_msrreg_get(struct whv_vp *vp, u32 name, u64 *val);
int whv_msrreg_set(struct whv_vp *vp, u32 name, u64 val, bool apply);
int whv_msrreg_rdmsr(struct whv_vp *vp, u32 msr, u64 *val);
int whv_msrreg_wrmsr(struct whv_vp *vp, u32 msr, u64 val);
void whv_msrregs_reset(struct whv_vp *vp);
extern bool whv_guest_has_rdtscp;	/* set by the backend's probe */

static inline bool whv_guest_rdtscp(void)
{
	return whv_guest_has_rdtscp;
}

static inline bool whv_spec_ctrl_supported(void)
{
	return boot_cpu_has(X86_FEATURE_MSR_SPEC_CTRL);
}

/* time.c */
int whv_time_suspend(struct whv_partition *p);
void whv_time_resume_now(struct whv_partition *p);
void whv_time_sync_now(struct whv_vp *vp);
u64 whv_time_get_tsc(struct whv_vp *vp);
void whv_time_set_tsc(struct whv_vp *vp, u64 tsc);

/* xsave.c */
int whv_xsave_get(struct whv_vp *vp, void __user *buf, u32 *size);
int whv_xsave_set(struct whv_vp *vp, const void __user *buf, u32 size);

/* insn.c (the fetch itself: fetch.h) */
int whv_insn_length(struct whv_vp *vp);
int whv_insn_length_at(struct whv_vp *vp, const struct whv_snapshot *s);
int whv_decode_mov_dr(struct whv_vp *vp, int *gpr);
int whv_decode_mov_cr8(struct whv_vp *vp, int *gpr);
int whv_decode_mmio_mov(struct whv_vp *vp, bool *write, int *gpr, u32 *imm,
			int *size);
bool whv_insn_is_rdtscp(struct whv_vp *vp);
bool whv_insn_is_hlt(struct whv_vp *vp);

/* Capabilities the partition can enable. */
#define WHV_SUPPORTED_EXTENDED_EXITS \
	(WHV_EXTEXIT_CPUID | WHV_EXTEXIT_MSR | WHV_EXTEXIT_EXCEPTION | \
	 WHV_EXTEXIT_RDTSC | WHV_EXTEXIT_APIC_INIT_SIPI)

/* Inline halves of per-run calls that almost never have work to do. */
static inline void whv_vp_load(struct whv_vp *vp)
{
	if (whv_backend->vp_load)
		whv_backend->vp_load(vp);
}

static inline void whv_vp_put(struct whv_vp *vp)
{
	if (whv_backend->vp_put)
		whv_backend->vp_put(vp);
}

/* Preemption off: this CPU's virtualization on (a CPU onlined late). */
static inline bool whv_hw_ensure_this_cpu(void)
{
	return this_cpu_read(whv_cpu_on) || whv_hw_enable_this_cpu() == 0;
}

/* Running resumes suspended partition time (time.c). */
static inline void whv_time_resume(struct whv_partition *p)
{
	if (unlikely(READ_ONCE(p->time_suspended)))
		whv_time_resume_now(p);
}

/* A run starts: an APIC timer frozen while the VP was stopped goes on. */
static inline void whv_lapic_timer_thaw(struct whv_vp *vp)
{
	if (unlikely(vp->apic.frozen))
		whv_lapic_timer_unfreeze(vp);
}

/* The VP's TSC offset up to date with the partition's time shift. */
static inline void whv_time_sync(struct whv_vp *vp)
{
	if (unlikely(READ_ONCE(vp->part->time_shift) != vp->time_applied))
		whv_time_sync_now(vp);
}

#endif /* WHV_H */
