// SPDX-License-Identifier: LGPL-2.1-or-later
/* Partitions: creation, properties, setup, deletion, guest memory. */
#include <errno.h>
#include <stdlib.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "../../../uapi/whv_ioctl.h"
#include "libwhv.h"
#include "regcache.h"

HRESULT WINAPI WHvCreatePartition(WHV_PARTITION_HANDLE *Partition)
{
	struct whv_partition_handle *p;
	int dev, fd;

	if (!Partition)
		return E_POINTER;
	dev = whv_device_fd();
	if (dev < 0)
		return whv_hresult_from_device_errno(-dev);
	p = calloc(1, sizeof(*p));
	if (!p)
		return E_OUTOFMEMORY;
	fd = ioctl(dev, WHV_CREATE_PARTITION, 0);
	if (fd < 0) {
		HRESULT hr = whv_hresult_from_errno(errno, WHV_CALL_GENERIC);

		free(p);
		return hr;
	}
	p->magic = WHV_HANDLE_MAGIC;
	p->fd = fd;
	p->generation = atomic_load(&whv_fork_generation);
	*Partition = p;
	return S_OK;
}

/* A partition ioctl without argument. */
static HRESULT whv_partition_do(WHV_PARTITION_HANDLE Partition,
				unsigned long cmd, enum whv_call call)
{
	struct whv_partition_handle *p = whv_handle(Partition);

	if (!p)
		return E_HANDLE;
	if (ioctl(p->fd, cmd, 0) < 0)
		return whv_hresult_from_errno(errno, call);
	return S_OK;
}

HRESULT WINAPI WHvSetupPartition(WHV_PARTITION_HANDLE Partition)
{
	return whv_partition_do(Partition, WHV_SETUP_PARTITION, WHV_CALL_GENERIC);
}

/*
 * Every VP back to its initial state; not while one runs (docs: invalid
 * state). libwhv's hold on each VP's register cache is taken first (one in
 * use gives that same state error), and the caches are dropped.
 */
HRESULT WINAPI WHvResetPartition(WHV_PARTITION_HANDLE Partition)
{
	struct whv_partition_handle *p = whv_handle(Partition);
	struct whv_vp_cache *c;
	HRESULT hr;
	UINT32 i, held;

	if (!p)
		return E_HANDLE;
	for (held = 0; held < WHV_MAX_VPS; held++) {
		c = whv_vp_cache(p, held, false);
		if (c && !whv_cache_trylock(c))
			break;
	}
	hr = held < WHV_MAX_VPS ? HRESULT_FROM_WIN32(ERROR_INVALID_STATE) :
	     whv_partition_do(Partition, WHV_RESET_PARTITION, WHV_CALL_RESET);
	for (i = 0; i < held; i++) {
		c = whv_vp_cache(p, i, false);
		if (!c)
			continue;
		if (SUCCEEDED(hr))
			whv_cache_forget(c);
		whv_cache_unlock(c);
	}
	return hr;
}

/*
 * Partition time (see uapi/whv_ioctl.h): suspending needs every VP stopped
 * (WHV_E_INVALID_VP_STATE otherwise); a run resumes time as well.
 */
HRESULT WINAPI WHvSuspendPartitionTime(WHV_PARTITION_HANDLE Partition)
{
	return whv_partition_do(Partition, WHV_SUSPEND_TIME, WHV_CALL_GENERIC);
}

HRESULT WINAPI WHvResumePartitionTime(WHV_PARTITION_HANDLE Partition)
{
	return whv_partition_do(Partition, WHV_RESUME_TIME, WHV_CALL_GENERIC);
}

HRESULT WINAPI WHvDeletePartition(WHV_PARTITION_HANDLE Partition)
{
	struct whv_partition_handle *p = whv_handle(Partition);
	struct whv_vp_index vi = { 0 };

	if (!p)
		return E_HANDLE;
	/* Stop every running VP so the kernel can tear the partition down. */
	for (vi.index = 0; vi.index < WHV_MAX_VPS; vi.index++)
		ioctl(p->fd, WHV_CANCEL_RUN_VP, &vi);
	whv_cache_free_all(p);
	close(p->fd);
	p->magic = 0;
	free(p);
	return S_OK;
}

HRESULT WINAPI WHvGetPartitionProperty(WHV_PARTITION_HANDLE Partition,
				       WHV_PARTITION_PROPERTY_CODE PropertyCode,
				       VOID *PropertyBuffer,
				       UINT32 PropertyBufferSizeInBytes,
				       UINT32 *WrittenSizeInBytes)
{
	struct whv_partition_handle *p = whv_handle(Partition);
	struct whv_property prop = {
		.code = PropertyCode,
		.size = PropertyBufferSizeInBytes,
		.data = (uintptr_t)PropertyBuffer,
	};

	if (!p)
		return E_HANDLE;
	if (!PropertyBuffer)
		return E_POINTER;
	if (ioctl(p->fd, WHV_GET_PROPERTY, &prop) < 0)
		return whv_hresult_from_errno(errno, WHV_CALL_PROPERTY);
	if (WrittenSizeInBytes)
		*WrittenSizeInBytes = prop.size;
	return S_OK;
}

HRESULT WINAPI WHvSetPartitionProperty(WHV_PARTITION_HANDLE Partition,
				       WHV_PARTITION_PROPERTY_CODE PropertyCode,
				       const VOID *PropertyBuffer,
				       UINT32 PropertyBufferSizeInBytes)
{
	struct whv_partition_handle *p = whv_handle(Partition);
	struct whv_property prop = {
		.code = PropertyCode,
		.size = PropertyBufferSizeInBytes,
		.data = (uintptr_t)PropertyBuffer,
	};

	if (!p)
		return E_HANDLE;
	if (!PropertyBuffer && PropertyBufferSizeInBytes)
		return E_POINTER;
	return whv_ioctl_hr(p->fd, WHV_SET_PROPERTY, &prop, WHV_CALL_PROPERTY);
}

HRESULT WINAPI WHvMapGpaRange(WHV_PARTITION_HANDLE Partition,
			      VOID *SourceAddress,
			      WHV_GUEST_PHYSICAL_ADDRESS GuestAddress,
			      UINT64 SizeInBytes, WHV_MAP_GPA_RANGE_FLAGS Flags)
{
	struct whv_partition_handle *p = whv_handle(Partition);
	struct whv_gpa_range r = {
		.uaddr = (uintptr_t)SourceAddress,
		.gpa = GuestAddress,
		.size = SizeInBytes,
		.flags = (UINT32)Flags,
	};

	if (!p)
		return E_HANDLE;
	if (!SourceAddress)
		return E_INVALIDARG;
	return whv_ioctl_hr(p->fd, WHV_MAP_GPA_RANGE, &r, WHV_CALL_GENERIC);
}

HRESULT WINAPI WHvUnmapGpaRange(WHV_PARTITION_HANDLE Partition,
				WHV_GUEST_PHYSICAL_ADDRESS GuestAddress,
				UINT64 SizeInBytes)
{
	struct whv_partition_handle *p = whv_handle(Partition);
	struct whv_gpa_range r = { .gpa = GuestAddress, .size = SizeInBytes };

	if (!p)
		return E_HANDLE;
	return whv_ioctl_hr(p->fd, WHV_UNMAP_GPA_RANGE, &r, WHV_CALL_GENERIC);
}
