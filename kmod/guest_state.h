/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The host state the backends switch right around the world switch, with
 * GIF or interrupts held off: inline, since both sides run on every entry.
 */
#ifndef WHV_GUEST_STATE_H
#define WHV_GUEST_STATE_H

#include <asm/debugreg.h>
#include <asm/fpu/xcr.h>
#include <asm/msr.h>
#include <asm/special_insns.h>
#include "whv.h"

extern u64 whv_host_xcr0;	/* 0: the host has no XSAVE */

/* Interrupts off, just before the world switch. */
static inline void whv_msrregs_enter(struct whv_vp *vp)
{
	vp->tsc_aux_loaded = false;
	if (whv_guest_rdtscp()) {
		/* The bare instruction: no call, no tracepoint, every entry. */
		vp->host_tsc_aux = __rdmsr(MSR_TSC_AUX);
		if (vp->host_tsc_aux != vp->tsc_aux) {
			wrmsrl(MSR_TSC_AUX, vp->tsc_aux);
			vp->tsc_aux_loaded = true;
		}
	}
	vp->spec_ctrl_loaded = false;
	if (whv_spec_ctrl_supported()) {
		rdmsrl(MSR_IA32_SPEC_CTRL, vp->host_spec_ctrl);
		if (vp->host_spec_ctrl != vp->spec_ctrl) {
			wrmsrl(MSR_IA32_SPEC_CTRL, vp->spec_ctrl);
			vp->spec_ctrl_loaded = true;
		}
	}
}

/* Interrupts off, right after the world switch: the host's values back. */
static inline void whv_msrregs_exit(struct whv_vp *vp)
{
	if (vp->spec_ctrl_loaded)
		wrmsrl(MSR_IA32_SPEC_CTRL, vp->host_spec_ctrl);
	if (vp->tsc_aux_loaded)
		wrmsrl(MSR_TSC_AUX, vp->host_tsc_aux);
}

/*
 * Guest-owned state the FPU swap does not cover: XCR0 (only while the guest
 * has CR4.OSXSAVE and differs from the host), PKRU, and DR0-3 when the
 * guest's DR7 arms breakpoints. The backend calls these with GIF/NMIs held
 * off, right around the world switch, so no host code runs with guest
 * values in these registers; it passes the guest's CR4 and DR7 (read there
 * without a call per register).
 *
 * False: do not enter, report WHV_KEXIT_FPU. A guest with CR4.OSXSAVE runs
 * only with its own FPU loaded (guest_fpu.c): past CR0.TS it could reach
 * the host's registers (XGETBV 1 reports which are in use, AMX does not
 * look at TS), and XSETBV to the guest's XCR0 need not preserve the host's
 * registers of the components it turns off.
 */
static inline bool whv_guest_state_enter(struct whv_vp *vp, u64 cr4, u64 dr7)
{
	bool xcr0 = whv_host_xcr0 && (cr4 & X86_CR4_OSXSAVE) &&
		    vp->xcr0 != whv_host_xcr0;

	if ((cr4 & X86_CR4_OSXSAVE) && !vp->fpu_loaded)
		return false;
	vp->xcr0_loaded = xcr0;
	if (vp->xcr0_loaded)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, vp->xcr0);
	whv_msrregs_enter(vp);		/* TSC_AUX, SPEC_CTRL */
	if (cpu_feature_enabled(X86_FEATURE_OSPKE)) {
		vp->host_pkru = rdpkru();
		if ((cr4 & X86_CR4_PKE) && vp->pkru != vp->host_pkru)
			wrpkru(vp->pkru);
	}
	if (dr7 & 0xff) {
		set_debugreg(vp->dr[0], 0);
		set_debugreg(vp->dr[1], 1);
		set_debugreg(vp->dr[2], 2);
		set_debugreg(vp->dr[3], 3);
	}
	return true;
}

static inline void whv_guest_state_exit(struct whv_vp *vp, u64 cr4)
{
	whv_msrregs_exit(vp);
	/* The guest may have turned CR4.PKE on during the run. */
	if (cpu_feature_enabled(X86_FEATURE_OSPKE) && (cr4 & X86_CR4_PKE)) {
		vp->pkru = rdpkru();
		if (vp->pkru != vp->host_pkru)
			wrpkru(vp->host_pkru);
	}
	if (vp->xcr0_loaded)
		xsetbv(XCR_XFEATURE_ENABLED_MASK, whv_host_xcr0);
}

#endif
