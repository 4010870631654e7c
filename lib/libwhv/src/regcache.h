/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Per-VP register cache: the VP's run page (struct whv_run_page, mapped
 * from the kernel), whose registers are those the last run brought out,
 * and the sets waiting to go in with the next run.
 */
#ifndef LIBWHV_REGCACHE_H
#define LIBWHV_REGCACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include "../../../uapi/whv_ioctl.h"
#include "libwhv.h"

struct whv_vp_cache {
	/*
	 * Held by whoever uses the VP through libwhv (a run, a register
	 * call): a second user gets WHV_E_INVALID_VP_STATE, as the kernel
	 * answers a call on a VP that is busy.
	 */
	atomic_bool busy;
	UINT32 valid;		/* bits (regcache.c) of page->regs now current */
	/* page->regs.set: sets not yet applied. NULL: the VP was deleted. */
	struct whv_run_page *page;
};

struct whv_vp_cache *whv_vp_cache_create(struct whv_partition_handle *p,
					 UINT32 index);
/* Map VP @index's run page into @c (false: not possible now). */
bool whv_cache_map(struct whv_partition_handle *p, UINT32 index,
		   struct whv_vp_cache *c);
/* The VP is gone: so are its page and everything cached. */
void whv_cache_unmap(struct whv_vp_cache *c);

/* VP @index's cache; @create: allocate it if missing (NULL: none). */
static inline struct whv_vp_cache *whv_vp_cache(struct whv_partition_handle *p,
						UINT32 index, bool create)
{
	struct whv_vp_cache *c;

	/* A forked child's calls go to the kernel, which refuses them. */
	if (index >= WHV_MAX_VPS ||
	    p->generation != atomic_load_explicit(&whv_fork_generation,
						  memory_order_relaxed))
		return NULL;
	c = atomic_load_explicit(&p->vp_cache[index], memory_order_acquire);
	if (c || !create)
		return c;
	return whv_vp_cache_create(p, index);
}

static inline bool whv_cache_trylock(struct whv_vp_cache *c)
{
	return !atomic_exchange_explicit(&c->busy, true, memory_order_acquire);
}

static inline void whv_cache_unlock(struct whv_vp_cache *c)
{
	atomic_store_explicit(&c->busy, false, memory_order_release);
}

/* whv_vp_cache.valid: bits 0-27 name the current slots (regcache.c)... */
#define WHV_CACHE_ALL		0x0fffffffu
/*
 * ...and this one says the last exit was a port access: the registers its
 * context carries (RAX, RCX, RSI, RDI, RIP, RFLAGS, CS, DS, ES) are read
 * from there while their slots are not current.
 */
#define WHV_CACHE_PORT_EXIT	(1u << 31)

/*
 * What a successful run left current. The kernel wrote every register out,
 * except at a port exit, whose context has the ones the access involves.
 */
static inline UINT32 whv_cache_ran(const WHV_RUN_VP_EXIT_CONTEXT *exit)
{
	return exit->ExitReason == WHvRunVpExitReasonX64IoPortAccess ?
	       WHV_CACHE_PORT_EXIT : WHV_CACHE_ALL;
}
/* Served from the cache (true), else the kernel must be asked. */
bool whv_cache_get(struct whv_vp_cache *c, const WHV_REGISTER_NAME *names,
		   UINT32 count, WHV_REGISTER_VALUE *values);

/* Every RFLAGS value among @values is one the kernel takes. */
static inline bool whv_cache_rflags_ok(const WHV_REGISTER_NAME *names,
				       UINT32 count,
				       const WHV_REGISTER_VALUE *values)
{
	UINT32 i;

	for (i = 0; i < count; i++)
		if (names[i] == WHvX64RegisterRflags &&
		    ((values[i].Reg64 | 2) & ~WHV_RFLAGS_KNOWN))
			return false;
	return true;
}

/*
 * Sets that wait for the next run (true), else the kernel must be asked:
 * GPRs, RIP and RFLAGS, which sit in that order in whv_run_regs. Inline:
 * after most exits the VMM sets RIP, and nothing else.
 */
static inline bool whv_cache_set(struct whv_vp_cache *c,
				 const WHV_REGISTER_NAME *names, UINT32 count,
				 const WHV_REGISTER_VALUE *values)
{
	struct whv_run_regs *r = &c->page->regs;
	UINT32 bits = 0, i;

	_Static_assert(offsetof(struct whv_run_regs, rip) ==
		       offsetof(struct whv_run_regs, gpr) + 8 * WHvX64RegisterRip,
		       "RIP follows the GPRs");
	_Static_assert(offsetof(struct whv_run_regs, rflags) ==
		       offsetof(struct whv_run_regs, gpr) +
		       8 * WHvX64RegisterRflags, "RFLAGS follows RIP");
	if (!c->valid)
		return false;
	/* Only values the kernel cannot refuse wait: all or nothing. */
	for (i = 0; i < count; i++) {
		if ((UINT32)names[i] > WHvX64RegisterRflags)
			return false;
		bits |= 1u << names[i];
	}
	if ((bits & 1u << WHvX64RegisterRflags) &&
	    !whv_cache_rflags_ok(names, count, values))
		return false;
	for (i = 0; i < count; i++)
		*(__u64 *)((char *)r->gpr + 8 * names[i]) = values[i].Reg64;
	if (bits & 1u << WHvX64RegisterRflags)
		r->rflags |= 2;		/* bit 1 reads as one */
	r->set |= bits;
	c->valid |= bits;
	return true;
}
/* Hand the waiting sets to the kernel now. */
HRESULT whv_cache_flush(struct whv_partition_handle *p, UINT32 index,
			struct whv_vp_cache *c);
/* The VP's registers changed behind the cache (reset, delete). */
void whv_cache_forget(struct whv_vp_cache *c);
/* Every cache freed, waiting out (and cancelling) runs that hold one. */
void whv_cache_free_all(struct whv_partition_handle *p);

#endif
