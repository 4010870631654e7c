// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The register cache behind WHvGet/SetVirtualProcessorRegisters: between
 * runs, the registers a VMM touches around an exit (GPRs, RIP, RFLAGS, the
 * segment registers, CR0/3/4, EFER: what the instruction emulator reads)
 * are answered from what the last run brought out, and sets of GPRs, RIP
 * and RFLAGS wait for the next run, which carries them in. Anything else
 * first hands waiting sets to the kernel, so ordering is kept: the kernel
 * sees every set before any call that could observe it.
 */
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include "regcache.h"

struct whv_vp_cache *whv_vp_cache_create(struct whv_partition_handle *p,
					 UINT32 index)
{
	struct whv_vp_cache *c, *none = NULL;

	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	if (!whv_cache_map(p, index, c)) {
		free(c);
		return NULL;
	}
	if (!atomic_compare_exchange_strong(&p->vp_cache[index], &none, c)) {
		whv_cache_unmap(c);	/* another thread made it first */
		free(c);
		return none;
	}
	return c;
}

bool whv_cache_map(struct whv_partition_handle *p, UINT32 index,
		   struct whv_vp_cache *c)
{
	void *page = mmap(NULL, WHV_RUN_PAGE_SIZE, PROT_READ | PROT_WRITE,
			  MAP_SHARED, p->fd, (off_t)index * WHV_RUN_PAGE_SIZE);

	if (page == MAP_FAILED)
		return false;
	c->page = page;
	return true;
}

void whv_cache_unmap(struct whv_vp_cache *c)
{
	if (c->page)
		munmap(c->page, WHV_RUN_PAGE_SIZE);
	c->page = NULL;
	c->valid = 0;
}

/* Where names 0x00-0x17 (RAX..R15, RIP, RFLAGS, ES..GS) sit in whv_run_regs. */
#define RR(f)	offsetof(struct whv_run_regs, f)
static const unsigned short whv_cache_off[0x18] = {
	RR(gpr[0]), RR(gpr[1]), RR(gpr[2]), RR(gpr[3]), RR(gpr[4]),
	RR(gpr[5]), RR(gpr[6]), RR(gpr[7]), RR(gpr[8]), RR(gpr[9]),
	RR(gpr[10]), RR(gpr[11]), RR(gpr[12]), RR(gpr[13]), RR(gpr[14]),
	RR(gpr[15]), RR(rip), RR(rflags), RR(seg[0]), RR(seg[1]),
	RR(seg[2]), RR(seg[3]), RR(seg[4]), RR(seg[5]),
};

/*
 * Where register @name sits in whv_run_regs (the base of a segment) and its
 * bit in whv_vp_cache.valid; NULL and 0 for a register the cache never holds.
 */
static __u64 *whv_cache_slot(struct whv_run_regs *r, WHV_REGISTER_NAME name,
			     UINT32 *bit)
{
	if ((UINT32)name <= WHvX64RegisterGs) {
		*bit = 1u << name;
		return (__u64 *)((char *)r + whv_cache_off[name]);
	}
	switch (name) {
	case WHvX64RegisterCr0:
		*bit = 1u << 24;
		return &r->cr0;
	case WHvX64RegisterCr3:
		*bit = 1u << 25;
		return &r->cr3;
	case WHvX64RegisterCr4:
		*bit = 1u << 26;
		return &r->cr4;
	case WHvX64RegisterEfer:
		*bit = 1u << 27;
		return &r->efer;
	default:
		*bit = 0;
		return NULL;
	}
}

static void whv_seg_out(WHV_REGISTER_VALUE *v, const struct whv_segment *seg)
{
	v->Reg128.Low64 = seg->base;
	v->Reg128.High64 = seg->limit | (UINT64)seg->selector << 32 |
			   (UINT64)seg->attributes << 48;
}

/*
 * A register a port exit's context @exit carries, into @v (false: none).
 * Read through the kernel's struct: the page's copy is only 8-byte aligned.
 */
static bool whv_port_exit_reg(const struct whv_exit *exit,
			      WHV_REGISTER_NAME name, WHV_REGISTER_VALUE *v)
{
	v->Reg128.High64 = 0;
	switch (name) {
	case WHvX64RegisterRax:
		v->Reg64 = exit->io.rax;
		return true;
	case WHvX64RegisterRcx:
		v->Reg64 = exit->io.rcx;
		return true;
	case WHvX64RegisterRsi:
		v->Reg64 = exit->io.rsi;
		return true;
	case WHvX64RegisterRdi:
		v->Reg64 = exit->io.rdi;
		return true;
	case WHvX64RegisterRip:
		v->Reg64 = exit->vp.rip;
		return true;
	case WHvX64RegisterRflags:
		v->Reg64 = exit->vp.rflags;
		return true;
	case WHvX64RegisterCs:
		whv_seg_out(v, &exit->vp.cs);
		return true;
	case WHvX64RegisterDs:
		whv_seg_out(v, &exit->io.ds);
		return true;
	case WHvX64RegisterEs:
		whv_seg_out(v, &exit->io.es);
		return true;
	default:
		return false;
	}
}

bool whv_cache_get(struct whv_vp_cache *c, const WHV_REGISTER_NAME *names,
		   UINT32 count, WHV_REGISTER_VALUE *values)
{
	UINT32 i;

	if (!c->valid)
		return false;
	/* On false the kernel is asked, and every value written again. */
	for (i = 0; i < count; i++) {
		UINT32 name = names[i], bit;
		__u64 *v = whv_cache_slot(&c->page->regs, name, &bit);

		if (!(c->valid & bit)) {
			if (!(c->valid & WHV_CACHE_PORT_EXIT) ||
			    !whv_port_exit_reg(&c->page->exit, name, &values[i]))
				return false;
			continue;
		}
		if (name >= WHvX64RegisterEs && name <= WHvX64RegisterGs) {
			whv_seg_out(&values[i], (const void *)v);
			continue;
		}
		values[i].Reg128.Low64 = *v;
		values[i].Reg128.High64 = 0;
	}
	return true;
}

HRESULT whv_cache_flush(struct whv_partition_handle *p, UINT32 index,
			struct whv_vp_cache *c)
{
	WHV_REGISTER_NAME names[18];
	WHV_REGISTER_VALUE values[18];
	struct whv_vp_registers r = { .vp_index = index };
	UINT32 n = 0, i, bit;

	if (!c->page || !c->page->regs.set)
		return S_OK;
	for (i = 0; i < 18; i++) {
		if (!(c->page->regs.set & (1ULL << i)))
			continue;
		names[n] = (WHV_REGISTER_NAME)i;
		values[n].Reg128.Low64 = *whv_cache_slot(&c->page->regs, names[n],
							 &bit);
		values[n++].Reg128.High64 = 0;
	}
	r.count = n;
	r.names = (uintptr_t)names;
	r.values = (uintptr_t)values;
	if (ioctl(p->fd, WHV_SET_VP_REGISTERS, &r) < 0)
		return whv_hresult_from_errno(errno, WHV_CALL_REGISTERS);
	c->page->regs.set = 0;
	return S_OK;
}

void whv_cache_forget(struct whv_vp_cache *c)
{
	c->valid = 0;
	if (c->page)
		c->page->regs.set = 0;
}

void whv_cache_free_all(struct whv_partition_handle *p)
{
	struct whv_vp_index vi;
	UINT32 i;

	bool ours = p->generation == atomic_load(&whv_fork_generation);

	for (i = 0; i < WHV_MAX_VPS; i++) {
		struct whv_vp_cache *c = atomic_load(&p->vp_cache[i]);

		if (!c)
			continue;
		vi.index = i;
		/* In a forked child, no thread of ours can hold it. */
		while (ours && !whv_cache_trylock(c)) {
			ioctl(p->fd, WHV_CANCEL_RUN_VP, &vi);
			sched_yield();
		}
		/* A forked child has no mapping there (not inherited). */
		if (ours)
			whv_cache_unmap(c);
		free(c);
	}
}
