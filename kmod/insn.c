// SPDX-License-Identifier: GPL-2.0
/*
 * Guest instruction access: a guest page-table walk (no paging, 32-bit,
 * PAE, 4- and 5-level), instruction fetch at CS:RIP, and the lengths of the
 * instructions the kernel completes itself — needed where the CPU does not
 * report the next RIP (SVM without NRIPS).
 */
#include <linux/kernel.h>
#include <asm/unaligned.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>
#include "whv.h"
#include "fetch.h"

#define PTE_P		BIT_ULL(0)
#define PTE_PS		BIT_ULL(7)
#define PTE_ADDR	GENMASK_ULL(51, 12)

static bool whv_read_pte(struct whv_vp *vp, u64 gpa, u64 *pte, int size)
{
	*pte = 0;
	return !whv_read_gpa_fast(vp->part, gpa, pte, size) && (*pte & PTE_P);
}

/* whv_gva_to_gpa() with paging on: walk the guest's tables. */
noinline u64 whv_gva_walk(struct whv_vp *vp, const struct whv_run_regs *st,
			  u64 gva)
{
	u64 cr3 = st->cr3, cr4 = st->cr4, efer = st->efer;
	u64 pte, table;
	int level, shift;

	if (!(cr4 & X86_CR4_PAE)) {
		/* 32-bit paging: 2 levels of 4-byte entries, 4 MiB pages. */
		if (!whv_read_pte(vp, (cr3 & 0xfffff000) + ((gva >> 22) & 0x3ff) * 4,
				  &pte, 4))
			return WHV_NO_GPA;
		if ((pte & PTE_PS) && (cr4 & X86_CR4_PSE))
			return (pte & 0xffc00000) | ((pte & 0x1fe000) << 19) |
			       (gva & 0x3fffff);
		if (!whv_read_pte(vp, (pte & 0xfffff000) + ((gva >> 12) & 0x3ff) * 4,
				  &pte, 4))
			return WHV_NO_GPA;
		return (pte & 0xfffff000) | (gva & 0xfff);
	}
	if (efer & EFER_LMA) {
		level = (cr4 & X86_CR4_LA57) ? 5 : 4;
		table = cr3 & PTE_ADDR;
	} else {
		/* PAE: the 4 PDPTEs at CR3 bits 31:5. */
		if (!whv_read_pte(vp, (cr3 & 0xffffffe0) + ((gva >> 30) & 3) * 8,
				  &pte, 8))
			return WHV_NO_GPA;
		level = 2;
		table = pte & PTE_ADDR;
	}
	for (; level >= 1; level--) {
		shift = 12 + 9 * (level - 1);
		if (!whv_read_pte(vp, table + ((gva >> shift) & 0x1ff) * 8, &pte, 8))
			return WHV_NO_GPA;
		if (level > 1 && level < 4 && (pte & PTE_PS))
			return (pte & PTE_ADDR & ~((1ULL << shift) - 1)) |
			       (gva & ((1ULL << shift) - 1));
		table = pte & PTE_ADDR;
	}
	return table | (gva & 0xfff);
}

/*
 * Guest code at @gpa, @len bytes within its page. With interrupts off (the
 * run loop's fast path, VP in guest mode) the host page of the last such
 * fetch is reused while no request is pending: whoever changes the nested
 * table posts a TLB flush request and then waits for this VP to take an
 * IPI, which cannot happen before interrupts are back on, so until then the
 * page is still the one mapped and still held; handling the request forgets
 * it (whv_apply_requests).
 */
noinline bool whv_fetch_page_lookup(struct whv_vp *vp, u64 gpa)
{
	struct whv_partition *p = vp->part;
	void *page;

	spin_lock(&p->mmu_lock);
	page = whv_npt_page(p, gpa);
	spin_unlock(&p->mmu_lock);
	if (!page)
		return false;
	vp->fetch_page = page;
	vp->fetch_gfn = gpa >> PAGE_SHIFT;
	return true;
}

/* An instruction's bytes past a page boundary: @len or none. */
noinline int whv_fetch_rest(struct whv_vp *vp, const struct whv_run_regs *st,
			    u64 la, u8 *buf, int len)
{
	return whv_fetch_chunk(vp, st, la, buf, len) ? len : 0;
}

static bool whv_is_legacy_prefix(u8 b)
{
	switch (b) {
	case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65:
	case 0x66: case 0x67: case 0xf0: case 0xf2: case 0xf3:
		return true;
	default:
		return false;
	}
}

/*
 * Fetch the instruction at CS:RIP into @b (@n bytes); returns the index of
 * its opcode, past legacy prefixes and, in 64-bit code, a REX prefix whose
 * value goes to @rex (0 if none).
 */
static int whv_insn_opcode_at(struct whv_vp *vp, const struct whv_snapshot *s,
			      u8 b[15], int *n, u8 *rex)
{
	bool lm = whv_long_mode_cs(&s->r);
	int i = 0;

	*n = whv_fetch_insn(vp, &s->r, b, 15);
	*rex = 0;
	while (i < *n && whv_is_legacy_prefix(b[i]))
		i++;
	if (lm && i < *n && (b[i] & 0xf0) == 0x40)
		*rex = b[i++];
	return i;
}

static int whv_insn_opcode(struct whv_vp *vp, u8 b[15], int *n, u8 *rex)
{
	struct whv_snapshot snap whv_noinit;

	static_call(whv_snapshot)(vp, &snap, WHV_SNAP_FETCH);
	return whv_insn_opcode_at(vp, &snap, b, n, rex);
}

/*
 * Length of the instruction at CS:RIP (registers in @s), for the
 * instructions whose exits the kernel completes (CPUID, RDMSR/WRMSR,
 * XSETBV, HLT, MOV DR, INT n, RDTSCP, MONITOR/MWAIT, VMMCALL/VMCALL);
 * -EINVAL for anything else.
 */
int whv_insn_length_at(struct whv_vp *vp, const struct whv_snapshot *s)
{
	u8 b[15], rex;
	int n, i = whv_insn_opcode_at(vp, s, b, &n, &rex);

	if (i >= n)
		return -EINVAL;
	switch (b[i]) {
	case 0xf4:			/* HLT */
	case 0xcc:			/* INT3 */
	case 0xce:			/* INTO */
		return i + 1;
	case 0xcd:			/* INT n */
		return i + 2 <= n ? i + 2 : -EINVAL;
	case 0x0f:
		break;
	default:
		return -EINVAL;
	}
	if (++i >= n)
		return -EINVAL;
	switch (b[i]) {
	case 0xa2:			/* CPUID */
	case 0x30:			/* WRMSR */
	case 0x32:			/* RDMSR */
	case 0x31:			/* RDTSC */
	case 0x0b:			/* UD2 */
	case 0x08:			/* INVD */
	case 0x09:			/* WBINVD */
		return i + 1;
	case 0x21:			/* MOV from DR (register form only) */
	case 0x23:			/* MOV to DR */
		return i + 2 <= n ? i + 2 : -EINVAL;
	case 0x01:			/* 0F 01 /xx with a fixed ModRM */
		if (i + 1 >= n)
			return -EINVAL;
		switch (b[i + 1]) {
		case 0xc1: case 0xc8: case 0xc9: case 0xd0: case 0xd1:
		case 0xd9: case 0xf9:
			return i + 2;
		}
		return -EINVAL;
	default:
		return -EINVAL;
	}
}

int whv_insn_length(struct whv_vp *vp)
{
	struct whv_snapshot snap whv_noinit;

	static_call(whv_snapshot)(vp, &snap, WHV_SNAP_FETCH);
	return whv_insn_length_at(vp, &snap);
}

/* Is the instruction at CS:RIP RDTSCP (0F 01 F9)? */
bool whv_insn_is_rdtscp(struct whv_vp *vp)
{
	u8 b[15], rex;
	int n, i = whv_insn_opcode(vp, b, &n, &rex);

	return i + 3 <= n && b[i] == 0x0f && b[i + 1] == 0x01 &&
	       b[i + 2] == 0xf9;
}

/* Is the instruction at CS:RIP HLT? */
bool whv_insn_is_hlt(struct whv_vp *vp)
{
	u8 b[15], rex;
	int n, i = whv_insn_opcode(vp, b, &n, &rex);

	return i < n && b[i] == 0xf4;
}

/* MOV to/from DRn: the GPR operand (ModRM.rm, REX.B); returns the length. */
int whv_decode_mov_dr(struct whv_vp *vp, int *gpr)
{
	u8 b[15], rex;
	int n, i = whv_insn_opcode(vp, b, &n, &rex);

	if (i + 3 > n || b[i] != 0x0f || (b[i + 1] != 0x21 && b[i + 1] != 0x23))
		return -EINVAL;
	*gpr = (b[i + 2] & 7) | ((rex & 1) << 3);
	return i + 3;
}

/* MOV to CR8 (REX.R 0F 22 /r): the GPR operand; returns the length. */
int whv_decode_mov_cr8(struct whv_vp *vp, int *gpr)
{
	u8 b[15], rex;
	int n, i = whv_insn_opcode(vp, b, &n, &rex);

	if (i + 3 > n || b[i] != 0x0f || b[i + 1] != 0x22 ||
	    (b[i + 2] & 0xc0) != 0xc0)
		return -EINVAL;
	*gpr = (b[i + 2] & 7) | ((rex & 1) << 3);
	return i + 3;
}

/* Bytes of ModRM + SIB + displacement at @m (register forms: -EINVAL). */
static int whv_modrm_length(const u8 *m, int avail, bool addr16)
{
	u8 mod = m[0] >> 6, rm = m[0] & 7;
	int len = 1;

	if (avail < 1 || mod == 3)
		return -EINVAL;
	if (addr16)
		return 1 + (mod == 1 ? 1 : (mod == 2 || rm == 6) ? 2 : 0);
	if (rm == 4) {
		if (avail < 2)
			return -EINVAL;
		len++;
		if (mod == 0 && (m[1] & 7) == 5)
			return len + 4;
	}
	if (mod == 0 && rm == 5)
		return len + 4;
	return len + (mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

/*
 * The MOVs operating systems use on memory-mapped registers (the local
 * APIC): 89 (store a GPR), 8B (load a GPR), C7 /0 (store an immediate),
 * A1/A3 (EAX from/to an absolute address). The address is already known
 * from the fault; this finds the register or immediate, the operand size
 * and the length. -EINVAL for anything else.
 */
int whv_decode_mmio_mov(struct whv_vp *vp, bool *write, int *gpr, u32 *imm,
			int *size)
{
	u8 b[15];
	struct whv_snapshot snap whv_noinit;
	bool lm, def32, op16 = false, a67 = false, addr16;
	int n, i = 0, rex = 0, m;

	static_call(whv_snapshot)(vp, &snap, WHV_SNAP_FETCH);
	lm = whv_long_mode_cs(&snap.r);
	def32 = lm || (snap.r.seg[WHV_ASEG_CS].attributes & BIT(14));
	n = whv_fetch_insn(vp, &snap.r, b, sizeof(b));

	for (; i < n && whv_is_legacy_prefix(b[i]); i++) {
		op16 |= b[i] == 0x66;
		a67 |= b[i] == 0x67;
	}
	addr16 = !lm && (def32 == a67);
	if (!lm)
		op16 = def32 == op16;	/* 66 toggles the CS default */
	if (lm && i < n && (b[i] & 0xf0) == 0x40)
		rex = b[i++];
	if (i + 1 >= n)
		return -EINVAL;
	*size = (rex & 8) ? 8 : op16 ? 2 : 4;
	*gpr = ((b[i + 1] >> 3) & 7) | ((rex & 4) << 1);
	switch (b[i]) {
	case 0x89:
	case 0x8b:
		*write = b[i] == 0x89;
		m = whv_modrm_length(&b[i + 1], n - i - 1, addr16);
		return m < 0 ? m : i + 1 + m;
	case 0xc7:
		if ((b[i + 1] >> 3) & 7)
			return -EINVAL;
		m = whv_modrm_length(&b[i + 1], n - i - 1, addr16);
		if (m < 0 || i + 1 + m + (op16 ? 2 : 4) > n)
			return -EINVAL;
		*write = true;
		*gpr = -1;
		*imm = op16 ? b[i + 1 + m] | b[i + 2 + m] << 8 :
			      get_unaligned_le32(&b[i + 1 + m]);
		return i + 1 + m + (op16 ? 2 : 4);
	case 0xa1:
	case 0xa3:
		*write = b[i] == 0xa3;
		*gpr = WHV_REG_RAX;
		m = lm ? (a67 ? 4 : 8) : addr16 ? 2 : 4;
		return i + 1 + m;
	default:
		return -EINVAL;
	}
}
