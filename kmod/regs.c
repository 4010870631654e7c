// SPDX-License-Identifier: GPL-2.0
/*
 * WHvGet/SetVirtualProcessorRegisters: WHV_REGISTER_NAME -> core or backend
 * state. Values the architecture reserves are refused here with EINVAL; a
 * state the CPU itself refuses becomes an InvalidVpRegisterValue exit.
 */
#include <linux/kernel.h>
#include <asm/fpu/xcr.h>
#include "whv.h"

#define CR0_RESERVED	GENMASK_ULL(63, 32)
#define CR4_KNOWN	(GENMASK_ULL(12, 0) | BIT_ULL(16) | BIT_ULL(17) | \
			 BIT_ULL(18) | BIT_ULL(20) | BIT_ULL(21) | BIT_ULL(22))
#define EFER_KNOWN	(EFER_SCE | EFER_LME | EFER_LMA | EFER_NX | \
			 EFER_FFXSR)
/* PendingInterruption: Pending, Type:3, DeliverErrorCode, InstructionLength:4,
 * NestedEvent, reserved:6, Vector:16, ErrorCode:32.
 */
#define PI_PENDING	BIT_ULL(0)
#define PI_TYPE(v)	(((v) >> 1) & 7)
#define PI_HAS_ERROR	BIT_ULL(4)
#define PI_VECTOR(v)	(((v) >> 16) & 0xffff)
#define PI_RESERVED	(GENMASK_ULL(15, 10))

static enum whv_areg whv_areg_of(u32 name, bool *ok)
{
	static const struct { u32 name; enum whv_areg reg; } map[] = {
		{ WHV_REG_RIP, WHV_AREG_RIP },
		{ WHV_REG_RFLAGS, WHV_AREG_RFLAGS },
		{ WHV_REG_CR0, WHV_AREG_CR0 },
		{ WHV_REG_CR2, WHV_AREG_CR2 },
		{ WHV_REG_CR3, WHV_AREG_CR3 },
		{ WHV_REG_CR4, WHV_AREG_CR4 },
		{ WHV_REG_CR8, WHV_AREG_CR8 },
		{ WHV_REG_DR6, WHV_AREG_DR6 },
		{ WHV_REG_DR7, WHV_AREG_DR7 },
		{ WHV_REG_EFER, WHV_AREG_EFER },
		{ WHV_REG_PAT, WHV_AREG_PAT },
		{ WHV_REG_KERNEL_GS_BASE, WHV_AREG_KERNEL_GS_BASE },
		{ WHV_REG_SYSENTER_CS, WHV_AREG_SYSENTER_CS },
		{ WHV_REG_SYSENTER_EIP, WHV_AREG_SYSENTER_EIP },
		{ WHV_REG_SYSENTER_ESP, WHV_AREG_SYSENTER_ESP },
		{ WHV_REG_STAR, WHV_AREG_STAR },
		{ WHV_REG_LSTAR, WHV_AREG_LSTAR },
		{ WHV_REG_CSTAR, WHV_AREG_CSTAR },
		{ WHV_REG_SFMASK, WHV_AREG_SFMASK },
		{ WHV_REG_PENDING_INTERRUPTION, WHV_AREG_PENDING_EVENT },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(map); i++) {
		if (map[i].name == name) {
			*ok = true;
			return map[i].reg;
		}
	}
	*ok = false;
	return 0;
}

bool whv_pat_valid(u64 pat)
{
	int i;

	for (i = 0; i < 8; i++) {
		u8 t = pat >> (8 * i);

		if (t == 2 || t == 3 || t > 7)
			return false;
	}
	return true;
}

static bool whv_pending_valid(u64 v)
{
	u32 type = PI_TYPE(v), vector = PI_VECTOR(v);

	if (!(v & PI_PENDING))
		return true;
	if (v & PI_RESERVED || vector > 255)
		return false;
	switch (type) {
	case WHV_PENDING_INTERRUPT:
		return !(v & PI_HAS_ERROR);
	case WHV_PENDING_NMI:
		return vector == 2 && !(v & PI_HAS_ERROR);
	case WHV_PENDING_EXCEPTION:
		return vector < 32;
	default:
		return false;
	}
}

bool whv_xcr0_valid(struct whv_vp *vp, u64 xcr0)
{
	if (!(xcr0 & XFEATURE_MASK_FP) || (xcr0 & ~vp->fpu.perm))
		return false;
	if ((xcr0 & XFEATURE_MASK_YMM) && !(xcr0 & XFEATURE_MASK_SSE))
		return false;
	/* MPX and AMX state come in pairs (else XSETBV faults). */
	if (!(xcr0 & XFEATURE_MASK_BNDREGS) != !(xcr0 & XFEATURE_MASK_BNDCSR))
		return false;
	if ((xcr0 & XFEATURE_MASK_XTILE) &&
	    (xcr0 & XFEATURE_MASK_XTILE) != XFEATURE_MASK_XTILE)
		return false;
	/* AVX-512 state comes as a whole, and needs AVX. */
	if ((xcr0 & XFEATURE_MASK_AVX512) &&
	    ((xcr0 & XFEATURE_MASK_AVX512) != XFEATURE_MASK_AVX512 ||
	     !(xcr0 & XFEATURE_MASK_YMM)))
		return false;
	return true;
}

/* Architectural checks on a value for a backend register. */
static_assert(WHV_RFLAGS_KNOWN ==
	      (GENMASK_ULL(21, 0) & ~(BIT(3) | BIT(5) | BIT(15))));

static bool whv_areg_valid(struct whv_vp *vp, enum whv_areg reg, u64 v)
{
	switch (reg) {
	case WHV_AREG_RFLAGS:
		return !(v & ~WHV_RFLAGS_KNOWN);
	case WHV_AREG_CR0:
		if (v & CR0_RESERVED)
			return false;
		if ((v & X86_CR0_PG) && !(v & X86_CR0_PE))
			return false;
		return !((v & X86_CR0_NW) && !(v & X86_CR0_CD));
	case WHV_AREG_CR3:
		return !(v & GENMASK_ULL(63, 52));
	case WHV_AREG_CR4:
		if ((v & X86_CR4_LA57) && !whv_guest_has_la57)
			return false;
		return !(v & ~CR4_KNOWN);
	case WHV_AREG_CR8:
		return v < 16;
	case WHV_AREG_DR6:
	case WHV_AREG_DR7:
		return !(v >> 32);
	case WHV_AREG_EFER:
		return !(v & ~EFER_KNOWN);
	case WHV_AREG_PAT:
		return whv_pat_valid(v);
	case WHV_AREG_KERNEL_GS_BASE:
	case WHV_AREG_SYSENTER_EIP:
	case WHV_AREG_SYSENTER_ESP:
	case WHV_AREG_LSTAR:
	case WHV_AREG_CSTAR:
		return whv_canonical(v);
	case WHV_AREG_SYSENTER_CS:
	case WHV_AREG_SFMASK:
		return !(v >> 32);
	case WHV_AREG_PENDING_EVENT:
		return whv_pending_valid(v);
	default:
		return true;
	}
}

static int whv_get_one(struct whv_vp *vp, u32 name, struct whv_reg_value *out)
{
	const struct whv_backend *b = whv_backend;
	struct whv_segment seg;
	enum whv_areg reg;
	bool ok;

	out->low = 0;
	out->high = 0;
	/* msrregs.c: MTRRs, TSC, TSC_AUX, SPEC_CTRL, ... */
	if (whv_msrreg_name(name))
		return whv_msrreg_get(vp, name, &out->low);
	if (name <= WHV_REG_R15) {
		out->low = vp->gpr[name];
	} else if (name >= WHV_REG_ES && name <= WHV_REG_GDTR) {
		b->read_seg(vp, name - WHV_REG_ES, &seg);
		if (name >= WHV_REG_IDTR) {
			out->low = (u64)(u16)seg.limit << 48;
			out->high = seg.base;
		} else {
			out->low = seg.base;
			out->high = seg.limit | (u64)seg.selector << 32 |
				    (u64)seg.attributes << 48;
		}
	} else if (name >= WHV_REG_DR0 && name <= WHV_REG_DR3) {
		out->low = vp->dr[name - WHV_REG_DR0];
	} else if (name == WHV_REG_XCR0) {
		out->low = vp->xcr0;
	} else if (whv_lapic_reg_name(name)) {
		return whv_lapic_reg_get(vp, name, &out->low);
	} else if (name == WHV_REG_INTERRUPT_STATE) {
		out->low = b->read_reg(vp, WHV_AREG_INT_SHADOW) |
			   (b->read_reg(vp, WHV_AREG_NMI_MASKED) ? 2 : 0);
	} else if (name == WHV_REG_DELIVERABILITY_NOTIFICATIONS) {
		out->low = vp->deliverability;
	} else if (whv_fp_reg(name)) {
		whv_fp_get(vp, name, out);
	} else {
		reg = whv_areg_of(name, &ok);
		if (!ok)
			return -ENOPROTOOPT;
		out->low = b->read_reg(vp, reg);
	}
	return 0;
}

/* Validate one register; apply it only when @apply. */
static int whv_set_one(struct whv_vp *vp, u32 name,
		       const struct whv_reg_value *in, bool apply)
{
	const struct whv_backend *b = whv_backend;
	struct whv_segment seg = { 0 };
	u64 v = in->low;
	enum whv_areg reg;
	bool ok;

	if (whv_fp_reg(name))
		return whv_fp_set(vp, name, in, apply);
	/* msrregs.c: MTRRs, TSC, TSC_AUX, SPEC_CTRL, ... */
	if (whv_msrreg_name(name))
		return whv_msrreg_set(vp, name, v, apply);
	if (name <= WHV_REG_R15) {
		if (apply)
			vp->gpr[name] = v;
	} else if (name >= WHV_REG_ES && name <= WHV_REG_GDTR) {
		if (name >= WHV_REG_IDTR) {
			seg.limit = v >> 48;
			seg.base = in->high;
		} else {
			seg.base = v;
			seg.limit = (u32)in->high;
			seg.selector = in->high >> 32;
			seg.attributes = in->high >> 48;
		}
		if (apply)
			b->write_seg(vp, name - WHV_REG_ES, &seg);
	} else if (name >= WHV_REG_DR0 && name <= WHV_REG_DR3) {
		if (apply)
			vp->dr[name - WHV_REG_DR0] = v;
	} else if (name == WHV_REG_XCR0) {
		if (!whv_xcr0_valid(vp, v))
			return -EINVAL;
		if (apply)
			vp->xcr0 = v;
	} else if (whv_lapic_reg_name(name)) {
		return whv_lapic_reg_set(vp, name, v, apply);
	} else if (name == WHV_REG_INTERRUPT_STATE) {
		if (v & ~3ULL)
			return -EINVAL;
		if (apply) {
			b->write_reg(vp, WHV_AREG_INT_SHADOW, v & 1);
			b->write_reg(vp, WHV_AREG_NMI_MASKED, !!(v & 2));
		}
	} else if (name == WHV_REG_DELIVERABILITY_NOTIFICATIONS) {
		/* NmiNotification, InterruptNotification, InterruptPriority */
		if (v & ~GENMASK_ULL(5, 0))
			return -EINVAL;
		if (apply) {
			vp->deliverability = v;
			set_bit(WHV_REQ_INTERCEPTS, &vp->requests);
		}
	} else {
		reg = whv_areg_of(name, &ok);
		if (!ok)
			return -ENOPROTOOPT;
		if (reg == WHV_AREG_RFLAGS)
			v |= 2;	/* bit 1 always reads as one */
		if (!whv_areg_valid(vp, reg, v))
			return -EINVAL;
		if (!apply)
			return 0;
		if (reg == WHV_AREG_RIP)
			static_call(whv_set_rip)(vp, v);
		else
			b->write_reg(vp, reg, v);
	}
	return 0;
}

/* whv_set_rip_rflags() for any set but RIP alone. */
int whv_set_rip_rflags_named(struct whv_vp *vp, u64 set, u64 rip,
			     u64 rflags)
{
	if (set & ~WHV_RUN_REGS_SETTABLE)
		return -EINVAL;
	rflags |= 2;	/* bit 1 always reads as one */
	if ((set & BIT_ULL(WHV_REG_RFLAGS)) && (rflags & ~WHV_RFLAGS_KNOWN))
		return -EINVAL;
	if (set & BIT_ULL(WHV_REG_RIP))
		static_call(whv_set_rip)(vp, rip);
	if (set & BIT_ULL(WHV_REG_RFLAGS))
		whv_backend->write_reg(vp, WHV_AREG_RFLAGS, rflags);
	return 0;
}

int whv_get_registers(struct whv_vp *vp, const u32 *names,
		      struct whv_reg_value *vals, u32 n)
{
	u32 i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = whv_get_one(vp, names[i], &vals[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* All or nothing: every value is checked before any is applied. */
int whv_set_registers(struct whv_vp *vp, const u32 *names,
		      const struct whv_reg_value *vals, u32 n)
{
	bool tsc = false, tsc_adjust = false;
	u32 i;
	int ret;

	for (i = 0; i < n; i++) {
		ret = whv_set_one(vp, names[i], &vals[i], false);
		if (ret)
			return ret;
		tsc |= names[i] == WHV_REG_TSC;
		tsc_adjust |= names[i] == WHV_REG_TSC_ADJUST;
	}
	/* Both in one call: a restore, each value taken as given (msrregs.c). */
	vp->tsc_restore = tsc && tsc_adjust;
	/* An explicit InterruptState wins over the RIP rule, in any order. */
	for (i = 0; i < n; i++)
		if (names[i] != WHV_REG_INTERRUPT_STATE)
			whv_set_one(vp, names[i], &vals[i], true);
	for (i = 0; i < n; i++)
		if (names[i] == WHV_REG_INTERRUPT_STATE)
			whv_set_one(vp, names[i], &vals[i], true);
	vp->tsc_restore = false;
	return 0;
}
