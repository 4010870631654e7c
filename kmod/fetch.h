/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Instruction fetch at CS:RIP, inline where the run loop's fast path uses
 * it; the guest page walk, the host page lookup and an instruction that
 * crosses into the next page are out of line (insn.c).
 */
#ifndef WHV_FETCH_H
#define WHV_FETCH_H

#include <asm/processor-flags.h>
#include <asm/msr-index.h>
#include "whv.h"

/* No translation (every GPA is below 2^52) */
#define WHV_NO_GPA	(~0ULL)

u64 whv_gva_walk(struct whv_vp *vp, const struct whv_run_regs *st, u64 gva);
bool whv_fetch_page_lookup(struct whv_vp *vp, u64 gpa);
int whv_fetch_rest(struct whv_vp *vp, const struct whv_run_regs *st, u64 la,
		   u8 *buf, int len);

/*
 * Translate @gva with the guest's paging mode in @st (no access checks):
 * WHV_NO_GPA when the tables do not map it.
 */
static __always_inline u64 whv_gva_to_gpa(struct whv_vp *vp,
					  const struct whv_run_regs *st,
					  u64 gva)
{
	if (!(st->cr0 & X86_CR0_PG))
		return gva & 0xffffffff;
	return whv_gva_walk(vp, st, gva);
}

static inline bool whv_long_mode_cs(const struct whv_run_regs *st)
{
	return (st->efer & EFER_LMA) &&
	       (st->seg[WHV_ASEG_CS].attributes & BIT(13));
}

/*
 * Guest code at @gpa, @len bytes within its page: with interrupts off,
 * through the VP's fetch page (whv_fetch_page_lookup() says why that is
 * safe).
 */
static __always_inline int whv_fetch_read(struct whv_vp *vp, u64 gpa,
					  u8 *buf, int len)
{
	void *page;

	if (!irqs_disabled())
		return whv_read_gpa_fast(vp->part, gpa, buf, len);
	if ((!vp->fetch_page || vp->fetch_gfn != gpa >> PAGE_SHIFT ||
	     READ_ONCE(vp->requests)) && !whv_fetch_page_lookup(vp, gpa))
		return -EAGAIN;
	page = vp->fetch_page + (gpa & ~PAGE_MASK);
	if (len == 16)		/* a whole fetch: two loads, no call */
		memcpy(buf, page, 16);
	else
		memcpy(buf, page, len);
	return 0;
}

/* @len bytes at linear address @la, all in one page. */
static __always_inline bool whv_fetch_chunk(struct whv_vp *vp,
					    const struct whv_run_regs *st,
					    u64 la, u8 *buf, int len)
{
	u64 gpa = whv_gva_to_gpa(vp, st, la);

	return gpa != WHV_NO_GPA && !whv_fetch_read(vp, gpa, buf, len);
}

/*
 * Fetch up to @max bytes at CS:RIP (registers in @st, read from the backend
 * in one call); returns how many could be read.
 */
static __always_inline int whv_fetch_insn(struct whv_vp *vp,
					  const struct whv_run_regs *st,
					  u8 *bytes, int max)
{
	u64 la = whv_long_mode_cs(st) ? st->rip :
		 (st->seg[WHV_ASEG_CS].base + st->rip) & 0xffffffff;
	int first = min_t(int, max, PAGE_SIZE - (la & ~PAGE_MASK));

	if (!whv_fetch_chunk(vp, st, la, bytes, first))
		return 0;
	/* The rest is on the next page. */
	if (first < max)
		return first + whv_fetch_rest(vp, st, la + first, bytes + first,
					      max - first);
	return max;
}

#endif
