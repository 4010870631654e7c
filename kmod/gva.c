// SPDX-License-Identifier: GPL-2.0
/*
 * WHvTranslateGva: walk the VP's guest page tables as its MMU would (no
 * paging, 32-bit, PAE, 4- and 5-level), check the access the caller asks
 * about, and on request set the accessed/dirty bits. The tables are read
 * through the owning process's mapping of guest memory, so this runs in the
 * ioctl caller's context with the VP held (not running).
 */
#include <linux/kernel.h>
#include <linux/uaccess.h>
#include <asm/cpufeature.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>
#include "whv.h"

#define PTE_P		BIT_ULL(0)
#define PTE_RW		BIT_ULL(1)
#define PTE_US		BIT_ULL(2)
#define PTE_A		BIT_ULL(5)
#define PTE_D		BIT_ULL(6)
#define PTE_PS		BIT_ULL(7)
#define PTE_NX		BIT_ULL(63)
/* PAE PDPTEs: no permission bits; 1-2, 5-8 and 63 are reserved. */
#define PDPTE_RSVD	(GENMASK_ULL(2, 1) | GENMASK_ULL(8, 5) | PTE_NX)

struct whv_walk {
	struct whv_partition *part;
	bool wide;		/* 8-byte entries (all but 32-bit paging) */
	u64 rsvd;		/* reserved in every 8-byte entry */
	u64 addr_mask;		/* physical-address bits of an entry */
	/* The entries walked: where they live, what was read, writable? */
	unsigned long hva[5];
	u64 gpa[5], pte[5];
	bool a_bit[5];		/* has an accessed bit (PAE PDPTEs do not) */
	bool writable[5];
	int n;
	bool user, write, exec;	/* the permissions of all levels, ANDed */
	u64 fault_gpa;		/* the table entry in unmapped memory */
};

/*
 * Read entry @index of the table at @table; @rsvd: this level's extra
 * reserved bits. A table in memory the partition does not back is an
 * Intercept: the CPU's walk would have exited to the VMM there, and it must
 * not look like an unmapped (MMIO) data page to an instruction emulator.
 */
static int whv_walk_entry(struct whv_walk *w, u64 table, u64 index, u64 rsvd,
			  bool perms, u64 *pte)
{
	u64 gpa = table + index * (w->wide ? 8 : 4);
	unsigned long hva;
	u32 flags, v32;

	if (!whv_gpa_hva(w->part, gpa, &hva, &flags) || !(flags & WHV_MAP_READ) ||
	    (w->wide ? get_user(*pte, (u64 __user *)hva) :
		       get_user(v32, (u32 __user *)hva))) {
		w->fault_gpa = gpa;
		return WHV_GVA_INTERCEPT;
	}
	if (!w->wide)
		*pte = v32;
	w->hva[w->n] = hva;
	w->gpa[w->n] = gpa;
	w->pte[w->n] = *pte;
	w->a_bit[w->n] = perms;
	w->writable[w->n++] = flags & WHV_MAP_WRITE;
	if (!(*pte & PTE_P))
		return WHV_GVA_PAGE_NOT_PRESENT;
	if (*pte & (rsvd | (w->wide ? w->rsvd : 0)))
		return WHV_GVA_INVALID_PAGE_TABLE_FLAGS;
	if (perms) {
		w->write &= !!(*pte & PTE_RW);
		w->user &= !!(*pte & PTE_US);
		w->exec &= !(*pte & PTE_NX);
	}
	return WHV_GVA_SUCCESS;
}

/* 32-bit paging: two levels of 1024 4-byte entries, 4 MiB pages with PSE. */
static int whv_walk_32(struct whv_walk *w, u64 cr3, u64 cr4, u64 gva, u64 *gpa)
{
	u64 pde, pte;
	int ret;

	ret = whv_walk_entry(w, cr3 & 0xfffff000, (gva >> 22) & 0x3ff, 0, true, &pde);
	if (ret)
		return ret;
	if ((pde & PTE_PS) && (cr4 & X86_CR4_PSE)) {
		/* PSE-36: bits 20:13 are physical-address bits 39:32. */
		u64 high = (pde >> 13) & 0xff;

		if ((pde & BIT_ULL(21)) || (high << 32) & ~w->addr_mask)
			return WHV_GVA_INVALID_PAGE_TABLE_FLAGS;
		*gpa = (pde & 0xffc00000) | high << 32 | (gva & 0x3fffff);
		return WHV_GVA_SUCCESS;
	}
	ret = whv_walk_entry(w, pde & 0xfffff000, (gva >> 12) & 0x3ff, 0, true, &pte);
	if (!ret)
		*gpa = (pte & 0xfffff000) | (gva & 0xfff);
	return ret;
}

/*
 * PAE, 4- and 5-level paging: 512 8-byte entries a level below the top;
 * PAE's top is the 4 PDPTEs at CR3, read from memory here where the CPU
 * would use the copies it loaded with CR3.
 */
static int whv_walk_64(struct whv_walk *w, u64 cr3, int levels, u64 gva, u64 *gpa)
{
	u64 table = cr3 & w->addr_mask & ~0xfffULL, pte;
	int level = levels, ret;

	if (levels == 3) {
		ret = whv_walk_entry(w, cr3 & 0xffffffe0, (gva >> 30) & 3,
				     PDPTE_RSVD, false, &pte);
		if (ret)
			return ret;
		table = pte & w->addr_mask & ~0xfffULL;
		level = 2;
	}
	for (; level >= 1; level--) {
		int shift = 12 + 9 * (level - 1);
		u64 size = BIT_ULL(shift), rsvd = 0;

		/* PS is reserved above the PDPT, and in the PDPT without 1 GiB pages. */
		if (level >= 4 || (level == 3 && !boot_cpu_has(X86_FEATURE_GBPAGES)))
			rsvd = PTE_PS;
		ret = whv_walk_entry(w, table, (gva >> shift) & 511, rsvd, true, &pte);
		if (ret)
			return ret;
		if (level == 1 || (level <= 3 && (pte & PTE_PS))) {
			/* A large leaf's address bits below its size are reserved (12 is PAT). */
			if (level > 1 && (pte & GENMASK_ULL(shift - 1, 13)))
				return WHV_GVA_INVALID_PAGE_TABLE_FLAGS;
			*gpa = (pte & w->addr_mask & ~(size - 1)) | (gva & (size - 1));
			return WHV_GVA_SUCCESS;
		}
		table = pte & w->addr_mask & ~0xfffULL;
	}
	return WHV_GVA_SUCCESS;	/* not reached */
}

/* May an access of @flags go through pages with these permissions? */
static bool whv_walk_allowed(struct whv_walk *w, struct whv_vp *vp, u32 flags,
			     u64 cr0, u64 cr4)
{
	const struct whv_backend *b = whv_backend;
	bool user = !(flags & WHV_GVA_PRIVILEGE_EXEMPT) &&
		    b->read_reg(vp, WHV_AREG_CPL) == 3;
	bool smap;

	if ((flags & WHV_GVA_VALIDATE_EXECUTE) && !w->exec)
		return false;
	if (user) {
		if ((flags & WHV_GVA_VALIDATE_ANY) && !w->user)
			return false;
		return !((flags & WHV_GVA_VALIDATE_WRITE) && !w->write);
	}
	/* Supervisor writes ignore R/W only with CR0.WP clear. */
	if ((flags & WHV_GVA_VALIDATE_WRITE) && !w->write && (cr0 & X86_CR0_WP))
		return false;
	if (!w->user || (flags & WHV_GVA_PRIVILEGE_EXEMPT))
		return true;
	/* A supervisor access to a user page: SMEP and SMAP. */
	if ((flags & WHV_GVA_VALIDATE_EXECUTE) && (cr4 & X86_CR4_SMEP))
		return false;
	smap = (cr4 & X86_CR4_SMAP) && !(flags & WHV_GVA_OVERRIDE_SMAP) &&
	       ((flags & WHV_GVA_ENFORCE_SMAP) ||
		!(b->read_reg(vp, WHV_AREG_RFLAGS) & X86_EFLAGS_AC));
	return !(smap && (flags & (WHV_GVA_VALIDATE_READ | WHV_GVA_VALIDATE_WRITE)));
}

/*
 * Swap @old for @old | @bits in a guest page-table entry: 0 done, 1 the entry
 * changed since the walk read it (another VP), -EFAULT.
 */
static int whv_cmpxchg_u64(unsigned long hva, u64 old, u64 bits)
{
	u64 __user *p = (u64 __user *)hva;

	if (!access_ok(p, sizeof(*p)))
		return -EFAULT;
	return __try_cmpxchg_user(p, &old, old | bits, efault64);
}

static int whv_cmpxchg_u32(unsigned long hva, u32 old, u32 bits)
{
	u32 __user *p = (u32 __user *)hva;

	if (!access_ok(p, sizeof(*p)))
		return -EFAULT;
	return __try_cmpxchg_user(p, &old, old | bits, efault32);
}

/*
 * Set A in every entry walked, and D in the leaf for a write, each only in
 * the exact value the walk validated: -EAGAIN when an entry changed meanwhile
 * (walk again), WHV_GVA_INTERCEPT when one is in memory the guest may not
 * write (the CPU's own update would have exited there).
 */
static int whv_walk_set_bits(struct whv_walk *w, bool write)
{
	int i, ret;

	for (i = 0; i < w->n; i++) {
		u64 bits = PTE_A | (write && i == w->n - 1 ? PTE_D : 0);

		if (!w->a_bit[i] || (w->pte[i] & bits) == bits)
			continue;
		if (!w->writable[i]) {
			w->fault_gpa = w->gpa[i];
			return WHV_GVA_INTERCEPT;
		}
		ret = w->wide ? whv_cmpxchg_u64(w->hva[i], w->pte[i], bits) :
				whv_cmpxchg_u32(w->hva[i], w->pte[i], bits);
		if (ret) {
			w->fault_gpa = w->gpa[i];
			return ret > 0 ? -EAGAIN : WHV_GVA_INTERCEPT;
		}
		whv_dirty_mark(w->part, w->gpa[i], w->wide ? 8 : 4);
	}
	return 0;
}

/* The final GPA: mapped, and with the access the caller validates? */
static int whv_gpa_check(struct whv_partition *p, u64 gpa, u32 flags)
{
	unsigned long hva;
	u32 map;

	if (!whv_gpa_hva(p, gpa, &hva, &map))
		return WHV_GVA_GPA_UNMAPPED;
	if ((flags & WHV_GVA_VALIDATE_READ) && !(map & WHV_MAP_READ))
		return WHV_GVA_GPA_NO_READ_ACCESS;
	if ((flags & WHV_GVA_VALIDATE_WRITE) && !(map & WHV_MAP_WRITE))
		return WHV_GVA_GPA_NO_WRITE_ACCESS;
	return WHV_GVA_SUCCESS;
}

/* One walk of the tables for @gva; see whv_translate_gva. */
static int whv_walk(struct whv_vp *vp, u64 gva, u32 flags, u64 *gpa)
{
	const struct whv_backend *b = whv_backend;
	u64 cr0 = b->read_reg(vp, WHV_AREG_CR0);
	u64 cr3 = b->read_reg(vp, WHV_AREG_CR3);
	u64 cr4 = b->read_reg(vp, WHV_AREG_CR4);
	u64 efer = b->read_reg(vp, WHV_AREG_EFER);
	int phys = whv_guest_phys_bits();
	u64 no_nx = (efer & EFER_NX) ? 0 : PTE_NX;
	struct whv_walk w = {
		.part = vp->part, .user = true, .write = true, .exec = true,
		.addr_mask = GENMASK_ULL(phys - 1, 0),
	};
	int ret;

	*gpa = 0;
	if (!(cr0 & X86_CR0_PG)) {
		*gpa = (u32)gva;	/* linear addresses are 32-bit without paging */
		return whv_gpa_check(vp->part, *gpa, flags);
	}
	if (!(cr4 & X86_CR4_PAE)) {
		ret = whv_walk_32(&w, cr3, cr4, (u32)gva, gpa);
	} else if (!(efer & EFER_LMA)) {
		/* PAE entries reserve every bit from MAXPHYADDR to 62. */
		w.wide = true;
		w.rsvd = GENMASK_ULL(62, phys) | no_nx;
		ret = whv_walk_64(&w, cr3, 3, (u32)gva, gpa);
	} else {
		int levels = (cr4 & X86_CR4_LA57) ? 5 : 4;
		int bits = 12 + 9 * levels;

		/* A non-canonical address has no translation. */
		if (sign_extend64(gva, bits - 1) != gva)
			return WHV_GVA_PAGE_NOT_PRESENT;
		w.wide = true;
		w.rsvd = GENMASK_ULL(51, phys) | no_nx;
		ret = whv_walk_64(&w, cr3, levels, gva, gpa);
	}
	if (!ret && !whv_walk_allowed(&w, vp, flags, cr0, cr4))
		ret = WHV_GVA_PRIVILEGE_VIOLATION;
	if (!ret && (flags & WHV_GVA_SET_PAGE_TABLE_BITS))
		ret = whv_walk_set_bits(&w, flags & WHV_GVA_VALIDATE_WRITE);
	if (ret == WHV_GVA_INTERCEPT)
		*gpa = w.fault_gpa;
	else if (ret)
		*gpa = 0;
	if (ret)
		return ret;
	return whv_gpa_check(vp->part, *gpa, flags);
}

/*
 * Translate @gva for @vp (held by the caller). Returns a WHv result code;
 * *@gpa is the translation (also for the GpaNo* codes and GpaUnmapped), the
 * page-table entry's address for Intercept, else 0. A walk whose entries
 * another VP changes before their A/D bits are set is done again.
 */
int whv_translate_gva(struct whv_vp *vp, u64 gva, u32 flags, u64 *gpa)
{
	int tries, ret = -EAGAIN;

	for (tries = 0; tries < 8 && ret == -EAGAIN; tries++)
		ret = whv_walk(vp, gva, flags, gpa);
	if (ret == -EAGAIN) {	/* tables in constant flux: as if not there */
		*gpa = 0;
		ret = WHV_GVA_PAGE_NOT_PRESENT;
	}
	return ret;
}
