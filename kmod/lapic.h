/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel local APIC (LocalApicEmulationMode XApic/X2Apic): one per
 * VP, its registers kept in a 4 KiB page in the xAPIC layout, which is also
 * the WHv InterruptControllerState2 format.
 *
 * Ownership: the VP's own thread changes the page. Other threads (IPIs,
 * WHvRequestInterrupt, the timer) only set IRR/TMR bits atomically and
 * post NMI/INIT/SIPI in @events, then notify the VP (WHV_REQ_EVENT).
 */
#ifndef WHV_LAPIC_H
#define WHV_LAPIC_H

#include <linux/hrtimer.h>
#include <linux/types.h>

struct whv_vp;
struct whv_partition;
struct whv_exit_info;

/* Register offsets in the xAPIC page (x2APIC MSR = 0x800 + offset / 16). */
#define WHV_APIC_ID		0x020
#define WHV_APIC_VERSION	0x030
#define WHV_APIC_TPR		0x080
#define WHV_APIC_APR		0x090
#define WHV_APIC_PPR		0x0a0
#define WHV_APIC_EOI		0x0b0
#define WHV_APIC_RRD		0x0c0
#define WHV_APIC_LDR		0x0d0
#define WHV_APIC_DFR		0x0e0
#define WHV_APIC_SVR		0x0f0
#define WHV_APIC_ISR		0x100
#define WHV_APIC_TMR		0x180
#define WHV_APIC_IRR		0x200
#define WHV_APIC_ESR		0x280
#define WHV_APIC_LVT_CMCI	0x2f0
#define WHV_APIC_ICR		0x300
#define WHV_APIC_ICR2		0x310
#define WHV_APIC_LVT_TIMER	0x320
#define WHV_APIC_LVT_THERMAL	0x330
#define WHV_APIC_LVT_PERF	0x340
#define WHV_APIC_LVT_LINT0	0x350
#define WHV_APIC_LVT_LINT1	0x360
#define WHV_APIC_LVT_ERROR	0x370
#define WHV_APIC_TMICT		0x380
#define WHV_APIC_TMCCT		0x390
#define WHV_APIC_TDCR		0x3e0
#define WHV_APIC_SELF_IPI	0x3f0	/* x2APIC only */

#define WHV_LVT_MASKED		BIT(16)
#define WHV_LVT_LEVEL		BIT(15)
#define WHV_TIMER_MODE(lvt)	(((lvt) >> 17) & 3)
#define WHV_TIMER_ONESHOT	0
#define WHV_TIMER_PERIODIC	1
#define WHV_TIMER_TSC_DEADLINE	2

/* ICR / LVT delivery modes (bits 10:8) */
#define WHV_DM_FIXED		0
#define WHV_DM_LOWEST		1
#define WHV_DM_SMI		2
#define WHV_DM_NMI		4
#define WHV_DM_INIT		5
#define WHV_DM_SIPI		6
#define WHV_DM_EXTINT		7

#define WHV_APIC_BASE_BSP		BIT_ULL(8)
#define WHV_APIC_BASE_X2APIC	BIT_ULL(10)
#define WHV_APIC_BASE_ENABLE	BIT_ULL(11)

/* @events bits: posted by other threads, taken by the VP. */
#define WHV_APIC_EV_NMI		0
#define WHV_APIC_EV_INIT	1
#define WHV_APIC_EV_SIPI	2

/* What the VP is doing besides running (InternalActivityState). */
enum whv_activity { WHV_ACT_RUNNING, WHV_ACT_HALTED, WHV_ACT_WAIT_SIPI };

struct whv_lapic {
	u32 *regs;			/* the register page */
	unsigned long events;		/* WHV_APIC_EV_* */
	u8 sipi_vector;			/* valid with WHV_APIC_EV_SIPI */
	bool irq_window;		/* want an exit once IF allows */
	bool nmi_window;		/* want an exit once NMIs unmask */
	bool tpr_exit;			/* want an exit when TPR is lowered */

	struct hrtimer timer;
	u64 period_ns;			/* periodic mode; 0 otherwise */
	u64 tsc_deadline;		/* guest TSC; 0: disarmed */
	bool frozen;			/* partition time suspended ... */
	u64 frozen_left_ns;		/* ... with this much left */
};

/* lapic.c */
int whv_lapic_create(struct whv_vp *vp);
void whv_lapic_free(struct whv_vp *vp);
void whv_lapic_reset(struct whv_vp *vp, bool init);
bool whv_lapic_enabled(struct whv_vp *vp);
bool whv_lapic_x2apic(struct whv_vp *vp);
int whv_lapic_base_valid(struct whv_vp *vp, u64 val, bool from_guest);
int whv_lapic_set_base(struct whv_vp *vp, u64 val, bool from_guest);
bool whv_lapic_mmio_page(struct whv_vp *vp, u64 gpa);
int whv_lapic_mmio(struct whv_vp *vp, struct whv_exit_info *info);
int whv_lapic_msr_read(struct whv_vp *vp, u32 msr, u64 *val);
int whv_lapic_msr_write(struct whv_vp *vp, u32 msr, u64 val,
			struct whv_exit_info *info);
void whv_lapic_inject(struct whv_vp *vp);
bool whv_lapic_wakes(struct whv_vp *vp);
void whv_lapic_take_init_sipi(struct whv_vp *vp);
int whv_lapic_get_reg(struct whv_vp *vp, u32 name, u64 *val);
int whv_lapic_set_reg(struct whv_vp *vp, u32 name, u64 val, bool apply);
bool whv_lapic_reg_name(u32 name);
int whv_lapic_reg_get(struct whv_vp *vp, u32 name, u64 *val);
int whv_lapic_reg_set(struct whv_vp *vp, u32 name, u64 val, bool apply);
void whv_lapic_get_state(struct whv_vp *vp, void *page);
int whv_lapic_set_state(struct whv_vp *vp, const void *page);
u32 whv_lapic_tpr(struct whv_vp *vp);
u32 whv_lapic_read(struct whv_vp *vp, u32 off);
void whv_lapic_vec_set(struct whv_vp *vp, u32 base, u8 vec, bool on);
bool whv_lapic_vec_test_set(struct whv_vp *vp, u32 base, u8 vec);

/* lapic_ipi.c */
bool whv_lapic_accept(struct whv_vp *vp, u32 mode, u8 vector, bool level);
int whv_lapic_send_icr(struct whv_vp *vp, u64 icr, struct whv_exit_info *info);
int whv_request_interrupt(struct whv_partition *p, u32 type, u32 dest_mode,
			  bool level, u32 dest, u32 vector);
u64 whv_interrupt_targets(struct whv_partition *p, u32 dest, bool logical);

/* lapic_timer.c */
void whv_lapic_timer_init(struct whv_vp *vp);
void whv_lapic_timer_cancel(struct whv_vp *vp);
void whv_lapic_timer_restart(struct whv_vp *vp);
void whv_lapic_timer_restart_from(struct whv_vp *vp, u32 count);
void whv_lapic_timer_set_period(struct whv_vp *vp);
u32 whv_lapic_timer_current(struct whv_vp *vp);
int whv_lapic_set_tsc_deadline(struct whv_vp *vp, u64 deadline);
void whv_lapic_timer_freeze(struct whv_vp *vp);
void whv_lapic_timer_unfreeze(struct whv_vp *vp);	/* for whv_lapic_timer_thaw() */

#endif /* WHV_LAPIC_H */
