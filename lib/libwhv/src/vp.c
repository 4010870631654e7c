// SPDX-License-Identifier: LGPL-2.1-or-later
/* Virtual processors: lifetime, registers, run and cancel. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include "../../../uapi/whv_ioctl.h"
#include "libwhv.h"
#include "regcache.h"
#include "whv_ext.h"

_Static_assert(sizeof(struct whv_exit) == sizeof(WHV_RUN_VP_EXIT_CONTEXT),
	       "uapi exit context must be WHV_RUN_VP_EXIT_CONTEXT");
_Static_assert(sizeof(struct whv_reg_value) == sizeof(WHV_REGISTER_VALUE),
	       "uapi register value must be WHV_REGISTER_VALUE");
_Static_assert(sizeof(struct whv_cpuid_result) == sizeof(WHV_X64_CPUID_RESULT),
	       "uapi cpuid result must be WHV_X64_CPUID_RESULT");
_Static_assert(offsetof(struct whv_exit, invalid_state) ==
	       offsetof(WHV_RUN_VP_EXIT_CONTEXT, MemoryAccess) &&
	       sizeof(struct whv_exit_invalid_state) ==
	       sizeof(WHV_X64_INVALID_VP_STATE_CONTEXT),
	       "uapi invalid state must be WHV_X64_INVALID_VP_STATE_CONTEXT");

static HRESULT whv_vp_index_ioctl(WHV_PARTITION_HANDLE h, unsigned long cmd,
				  UINT32 index)
{
	struct whv_partition_handle *p = whv_handle(h);
	struct whv_vp_index vi = { .index = index };

	if (!p)
		return E_HANDLE;
	return whv_ioctl_hr(p->fd, cmd, &vi, WHV_CALL_GENERIC);
}

HRESULT WINAPI WHvCreateVirtualProcessor(WHV_PARTITION_HANDLE Partition,
					 UINT32 VpIndex, UINT32 Flags)
{
	if (Flags)
		return E_INVALIDARG;
	return whv_vp_index_ioctl(Partition, WHV_CREATE_VP, VpIndex);
}

HRESULT WINAPI WHvDeleteVirtualProcessor(WHV_PARTITION_HANDLE Partition,
					 UINT32 VpIndex)
{
	struct whv_partition_handle *p = whv_handle(Partition);
	/* Created if missing: a run racing with us may be mapping it now. */
	struct whv_vp_cache *c = p ? whv_vp_cache(p, VpIndex, true) : NULL;
	HRESULT hr;

	if (c && !whv_cache_trylock(c))
		return WHV_E_INVALID_VP_STATE;
	hr = whv_vp_index_ioctl(Partition, WHV_DELETE_VP, VpIndex);
	if (c) {
		if (SUCCEEDED(hr))
			whv_cache_unmap(c);	/* a new VP has a new page */
		whv_cache_unlock(c);
	}
	return hr;
}

HRESULT WINAPI WHvCancelRunVirtualProcessor(WHV_PARTITION_HANDLE Partition,
					    UINT32 VpIndex, UINT32 Flags)
{
	if (Flags)
		return E_INVALIDARG;
	return whv_vp_index_ioctl(Partition, WHV_CANCEL_RUN_VP, VpIndex);
}

/* A run without the cache (a forked child's, or no page to map). */
static HRESULT whv_run_unmapped(struct whv_partition_handle *p, UINT32 index,
				VOID *exit, UINT32 size)
{
	struct whv_run_vp run = {
		.vp_index = index, .exit_size = size, .exit = (uintptr_t)exit,
	};
	int ret;

	do {
		ret = ioctl(p->fd, WHV_RUN_VP, &run);
	} while (ret < 0 && errno == EINTR);
	if (ret < 0)
		return whv_hresult_from_errno(errno, WHV_CALL_GENERIC);
	return S_OK;
}

HRESULT WINAPI WHvRunVirtualProcessor(WHV_PARTITION_HANDLE Partition,
				      UINT32 VpIndex, VOID *ExitContext,
				      UINT32 ExitContextSizeInBytes)
{
	struct whv_partition_handle *p = whv_handle(Partition);
	struct whv_vp_cache *c;
	int fd, ret;

	if (!p)
		return E_HANDLE;
	if (!ExitContext)
		return E_POINTER;
	if (ExitContextSizeInBytes < sizeof(WHV_RUN_VP_EXIT_CONTEXT))
		return WHV_E_INSUFFICIENT_BUFFER;
	/*
	 * The run page carries the waiting sets in and the exit and the
	 * registers out. A signal interrupts the run with guest state intact:
	 * go on. The handle may be deleted meanwhile by another thread (which
	 * cancels us, then waits for the cache we hold), so p is not used
	 * after the ioctl.
	 */
	c = whv_vp_cache(p, VpIndex, true);
	if (!c)
		return whv_run_unmapped(p, VpIndex, ExitContext,
					ExitContextSizeInBytes);
	if (!whv_cache_trylock(c))
		return WHV_E_INVALID_VP_STATE;
	if (!c->page && !whv_cache_map(p, VpIndex, c)) {
		whv_cache_unlock(c);
		return whv_run_unmapped(p, VpIndex, ExitContext,
					ExitContextSizeInBytes);
	}
	fd = p->fd;
	do {
		ret = ioctl(fd, WHV_RUN_VP_MAPPED, (unsigned long)VpIndex);
	} while (ret < 0 && errno == EINTR);
	if (!ret) {
		memcpy(ExitContext, &c->page->exit, sizeof(c->page->exit));
		c->valid = whv_cache_ran(ExitContext);
	} else {
		c->valid = 0;
	}
	whv_cache_unlock(c);
	if (ret < 0)
		return whv_hresult_from_errno(errno, WHV_CALL_GENERIC);
	return S_OK;
}

/* The kernel takes a bounded batch per call. */
static HRESULT whv_registers_ioctl(struct whv_partition_handle *p, UINT32 vp,
				   const WHV_REGISTER_NAME *names, UINT32 count,
				   const WHV_REGISTER_VALUE *values,
				   unsigned long cmd)
{
	struct whv_vp_registers r = { .vp_index = vp };
	UINT32 done, n;

	for (done = 0; done < count; done += n) {
		n = count - done;
		if (n > WHV_MAX_REGS_PER_CALL)
			n = WHV_MAX_REGS_PER_CALL;
		r.count = n;
		r.names = (uintptr_t)(names + done);
		r.values = (uintptr_t)(values + done);
		if (ioctl(p->fd, cmd, &r) < 0)
			return whv_hresult_from_errno(errno, WHV_CALL_REGISTERS);
	}
	return S_OK;
}

/*
 * A get or set the cache did not answer (whv_cache_answers): the kernel's,
 * after the sets the cache holds, so it sees them in order.
 */
static __attribute__((noinline))
HRESULT whv_registers(WHV_PARTITION_HANDLE h, UINT32 vp,
			     const WHV_REGISTER_NAME *names, UINT32 count,
			     const WHV_REGISTER_VALUE *values, unsigned long cmd)
{
	struct whv_partition_handle *p = whv_handle(h);
	struct whv_vp_cache *c;
	HRESULT hr = S_OK;

	if (!p)
		return E_HANDLE;
	if (!names || !values)
		return E_POINTER;
	if (!count)
		return E_INVALIDARG;
	c = whv_vp_cache(p, vp, false);
	if (c) {
		if (!whv_cache_trylock(c))
			return WHV_E_INVALID_VP_STATE;
		hr = whv_cache_flush(p, vp, c);
		if (FAILED(hr))
			goto out;
		/* What is set here may be in the cache: ask the kernel. */
		if (cmd == WHV_SET_VP_REGISTERS)
			c->valid = 0;
	}
	hr = whv_registers_ioctl(p, vp, names, count, values, cmd);
out:
	if (c)
		whv_cache_unlock(c);
	return hr;
}

/*
 * A get or set the cache answers alone (true): after an exit, most do,
 * and they take this short way, with no frame for the rest (whv_registers).
 * Inline in each caller, where @set is known.
 */
static inline __attribute__((always_inline)) bool whv_cache_answers(WHV_PARTITION_HANDLE h, UINT32 vp,
				     const WHV_REGISTER_NAME *names,
				     UINT32 count, const WHV_REGISTER_VALUE *values,
				     bool set)
{
	struct whv_partition_handle *p = whv_handle(h);
	struct whv_vp_cache *c = p && names && values && count ?
				 whv_vp_cache(p, vp, false) : NULL;
	bool done;

	if (!c || !whv_cache_trylock(c))
		return false;
	done = set ? whv_cache_set(c, names, count, values) :
		     whv_cache_get(c, names, count, (WHV_REGISTER_VALUE *)values);
	whv_cache_unlock(c);
	return done;
}

HRESULT WINAPI WHvGetVirtualProcessorRegisters(WHV_PARTITION_HANDLE Partition,
					       UINT32 VpIndex,
					       const WHV_REGISTER_NAME *RegisterNames,
					       UINT32 RegisterCount,
					       WHV_REGISTER_VALUE *RegisterValues)
{
	if (whv_cache_answers(Partition, VpIndex, RegisterNames, RegisterCount,
			      RegisterValues, false))
		return S_OK;
	return whv_registers(Partition, VpIndex, RegisterNames, RegisterCount,
			     RegisterValues, WHV_GET_VP_REGISTERS);
}

HRESULT WINAPI WHvSetVirtualProcessorRegisters(WHV_PARTITION_HANDLE Partition,
					       UINT32 VpIndex,
					       const WHV_REGISTER_NAME *RegisterNames,
					       UINT32 RegisterCount,
					       const WHV_REGISTER_VALUE *RegisterValues)
{
	if (whv_cache_answers(Partition, VpIndex, RegisterNames, RegisterCount,
			      RegisterValues, true))
		return S_OK;
	return whv_registers(Partition, VpIndex, RegisterNames, RegisterCount,
			     RegisterValues, WHV_SET_VP_REGISTERS);
}

UINT32 WINAPI WHvGetRunContextBufferSize(void)
{
	return sizeof(WHV_RUN_VP_EXIT_CONTEXT);
}

UINT32 WINAPI WHvGetRunExitContextSize(void)
{
	return sizeof(WHV_RUN_VP_EXIT_CONTEXT);
}
