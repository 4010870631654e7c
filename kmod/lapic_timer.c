// SPDX-License-Identifier: GPL-2.0
/*
 * The local APIC timer on a host hrtimer: one-shot and periodic count at
 * WHV_APIC_TIMER_HZ divided by the divide register; TSC-deadline fires
 * when the guest's TSC reaches IA32_TSC_DEADLINE. Expiry sets the vector
 * in IRR from the hrtimer's interrupt and notifies the VP.
 */
#include <linux/hrtimer.h>
#include <linux/math64.h>
#include <asm/tsc.h>
#include "whv.h"

/* A periodic timer never fires more often than this (host protection). */
#define WHV_APIC_MIN_PERIOD_NS	50000ULL

static u64 apic_ns_per_count(struct whv_vp *vp)
{
	u32 dcr = READ_ONCE(vp->apic.regs[WHV_APIC_TDCR / 4]);
	u32 v = (dcr & 3) | ((dcr & 8) >> 1);

	return (v == 7 ? 1 : 2 << v) * (NSEC_PER_SEC / WHV_APIC_TIMER_HZ);
}

static u32 apic_timer_mode(struct whv_vp *vp)
{
	return WHV_TIMER_MODE(READ_ONCE(vp->apic.regs[WHV_APIC_LVT_TIMER / 4]));
}

static enum hrtimer_restart whv_lapic_timer_fn(struct hrtimer *t)
{
	struct whv_vp *vp = container_of(t, struct whv_vp, apic.timer);
	u32 lvt = READ_ONCE(vp->apic.regs[WHV_APIC_LVT_TIMER / 4]);

	if (!(lvt & WHV_LVT_MASKED))
		whv_lapic_accept(vp, WHV_DM_FIXED, lvt & 0xff, false);
	if (READ_ONCE(vp->apic.period_ns)) {
		hrtimer_forward_now(t, ns_to_ktime(vp->apic.period_ns));
		return HRTIMER_RESTART;
	}
	WRITE_ONCE(vp->apic.tsc_deadline, 0);
	return HRTIMER_NORESTART;
}

void whv_lapic_timer_init(struct whv_vp *vp)
{
	hrtimer_init(&vp->apic.timer, CLOCK_MONOTONIC, HRTIMER_MODE_ABS);
	vp->apic.timer.function = whv_lapic_timer_fn;
}

void whv_lapic_timer_cancel(struct whv_vp *vp)
{
	hrtimer_cancel(&vp->apic.timer);
	vp->apic.period_ns = 0;
	vp->apic.frozen = false;
}

static u64 apic_period_ns(struct whv_vp *vp)
{
	return max((u64)vp->apic.regs[WHV_APIC_TMICT / 4] * apic_ns_per_count(vp),
		   WHV_APIC_MIN_PERIOD_NS);
}

/* LVTT went between one-shot and periodic: the running count goes on. */
void whv_lapic_timer_set_period(struct whv_vp *vp)
{
	WRITE_ONCE(vp->apic.period_ns,
		   apic_timer_mode(vp) == WHV_TIMER_PERIODIC ?
		   apic_period_ns(vp) : 0);
}

/* Arm the hrtimer for guest TSC @deadline; far futures are never. */
static void apic_arm_deadline(struct whv_vp *vp, u64 deadline)
{
	u64 now = rdtsc() + whv_backend->read_reg(vp, WHV_AREG_TSC_OFFSET);
	u64 delta = deadline > now ? deadline - now : 0;

	if (!tsc_khz || delta / tsc_khz > 1000ULL * 3600 * 24 * 365)
		return;			/* more than a year away */
	hrtimer_start(&vp->apic.timer,
		      ktime_add_ns(ktime_get(),
				   mul_u64_u32_div(delta, 1000000, tsc_khz)),
		      HRTIMER_MODE_ABS);
}

/*
 * (Re)arm from the registers: one-shot/periodic with the first expiry
 * after @count counts (0: the initial count); TSC-deadline from the
 * stored deadline.
 */
void whv_lapic_timer_restart_from(struct whv_vp *vp, u32 count)
{
	u32 mode = apic_timer_mode(vp);
	u32 initial = vp->apic.regs[WHV_APIC_TMICT / 4];
	u64 ns;

	whv_lapic_timer_cancel(vp);
	if (mode == WHV_TIMER_TSC_DEADLINE) {
		if (vp->apic.tsc_deadline)
			apic_arm_deadline(vp, vp->apic.tsc_deadline);
		return;
	}
	if (!initial)
		return;
	if (!count || count > initial)
		count = initial;
	ns = (u64)count * apic_ns_per_count(vp);
	if (mode == WHV_TIMER_PERIODIC)
		vp->apic.period_ns = apic_period_ns(vp);
	hrtimer_start(&vp->apic.timer, ktime_add_ns(ktime_get(), ns),
		      HRTIMER_MODE_ABS);
}

void whv_lapic_timer_restart(struct whv_vp *vp)
{
	whv_lapic_timer_restart_from(vp, 0);
}

/* The current-count register: what is left of this period, in counts. */
u32 whv_lapic_timer_current(struct whv_vp *vp)
{
	s64 left;

	if (apic_timer_mode(vp) == WHV_TIMER_TSC_DEADLINE)
		return 0;
	if (vp->apic.frozen)
		left = vp->apic.frozen_left_ns;
	else if (hrtimer_active(&vp->apic.timer))
		left = ktime_to_ns(hrtimer_get_remaining(&vp->apic.timer));
	else
		return 0;
	if (left <= 0)
		return 0;
	return min_t(u64, div64_u64(left, apic_ns_per_count(vp)),
		     vp->apic.regs[WHV_APIC_TMICT / 4]);
}

/*
 * IA32_TSC_DEADLINE: ignored outside TSC-deadline mode; 0 disarms; a
 * deadline already past fires at once.
 */
int whv_lapic_set_tsc_deadline(struct whv_vp *vp, u64 deadline)
{
	if (!vp->apic.regs || apic_timer_mode(vp) != WHV_TIMER_TSC_DEADLINE)
		return 0;
	whv_lapic_timer_cancel(vp);
	vp->apic.tsc_deadline = deadline;
	if (deadline)
		apic_arm_deadline(vp, deadline);
	return 0;
}

/*
 * Partition time suspended (the VP is held): the timer stops with what is
 * left; the VP's next run restarts it from there (the TSC, and so a
 * TSC deadline, is frozen alike).
 */
void whv_lapic_timer_freeze(struct whv_vp *vp)
{
	s64 left;

	if (!vp->apic.regs || vp->apic.frozen ||
	    !hrtimer_active(&vp->apic.timer))
		return;
	left = ktime_to_ns(hrtimer_get_remaining(&vp->apic.timer));
	hrtimer_cancel(&vp->apic.timer);
	vp->apic.frozen_left_ns = max_t(s64, left, 0);
	vp->apic.frozen = true;
}

void whv_lapic_timer_unfreeze(struct whv_vp *vp)
{
	vp->apic.frozen = false;
	hrtimer_start(&vp->apic.timer,
		      ktime_add_ns(ktime_get(), vp->apic.frozen_left_ns),
		      HRTIMER_MODE_ABS);
}
