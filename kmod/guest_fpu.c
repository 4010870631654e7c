// SPDX-License-Identifier: GPL-2.0
/*
 * The guest's FPU goes into the CPU when the guest first uses it. Swapping
 * it in and out costs every return to userspace an XSAVE and an XRSTOR
 * with the kernel's bookkeeping around them, and the guest code between
 * two port or MMIO exits rarely touches x87, SSE or AVX. So a run starts
 * with the host's FPU registers still loaded and the backend's FPU trap
 * armed: CR0.TS and CR0.MP forced on, so that every FPU instruction (FWAIT
 * too) raises #NM, and #NM and CR0 accesses intercepted, so that the guest
 * never sees the forced bits. The first trap loads the guest's state and
 * disarms the trap, and the instruction runs again. Only a guest without
 * CR4.OSXSAVE runs trapped: XSAVE-era state is not all behind CR0.TS, so
 * the first entry with OSXSAVE set loads the FPU (whv_guest_state_enter).
 * A guest that keeps using its FPU gets it loaded up front for the next
 * WHV_FPU_EAGER_RUNS runs, after which the trap is tried again: one extra
 * exit per that many runs is all the laziness costs it.
 */
#include <asm/fpu/api.h>
#include "whv.h"

#define WHV_FPU_EAGER_RUNS	16

static void whv_fpu_set_trap(struct whv_vp *vp, bool on)
{
	vp->fpu_trap = on;
	whv_backend->set_fpu_trap(vp);
}

/* The guest's FPU into the CPU for the rest of this run. */
static int whv_fpu_load(struct whv_vp *vp)
{
	int ret = fpu_swap_kvm_fpstate(&vp->fpu, true);

	if (ret)
		return ret;
	vp->fpu_loaded = true;
	if (vp->fpu_trap)
		whv_fpu_set_trap(vp, false);
	return 0;
}

/* A run starts without the trap armed: load up front, or arm it. */
int whv_fpu_run_begin(struct whv_vp *vp)
{
	if (vp->fpu_eager_runs) {
		vp->fpu_eager_runs--;
		return whv_fpu_load(vp);
	}
	whv_fpu_set_trap(vp, true);
	return 0;
}

/* WHV_KEXIT_FPU: the guest wants its FPU (or XCR0, see vcpu_run.c). */
int whv_fpu_trapped(struct whv_vp *vp)
{
	vp->fpu_eager_runs = WHV_FPU_EAGER_RUNS;
	return whv_fpu_load(vp);
}

/* The run ends with the guest's FPU loaded: the host's goes back. */
void whv_fpu_run_end(struct whv_vp *vp)
{
	fpu_swap_kvm_fpstate(&vp->fpu, false);
	vp->fpu_loaded = false;
}
