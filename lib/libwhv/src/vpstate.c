// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Virtual-processor state blobs: the XSAVE area (standard, non-compacted
 * layout; see uapi/whv_ioctl.h), and WHvGet/SetVirtualProcessorState, which
 * hands each state type to the call that owns it.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include "../../../uapi/whv_ioctl.h"
#include "libwhv.h"

HRESULT WINAPI WHvGetVirtualProcessorXsaveState(WHV_PARTITION_HANDLE Partition,
						UINT32 VpIndex, VOID *Buffer,
						UINT32 BufferSizeInBytes,
						UINT32 *BytesWritten)
{
	struct whv_partition_handle *p = whv_handle(Partition);
	struct whv_xsave x = {
		.vp_index = VpIndex,
		.size = BufferSizeInBytes,
		.buffer = (uintptr_t)Buffer,
	};

	if (!p)
		return E_HANDLE;
	if (!BytesWritten || (!Buffer && BufferSizeInBytes))
		return E_POINTER;
	if (ioctl(p->fd, WHV_GET_XSAVE, &x) < 0) {
		/* Too small: the size needed is the answer. */
		if (errno == ENOBUFS)
			*BytesWritten = x.size;
		return whv_hresult_from_errno(errno, WHV_CALL_GENERIC);
	}
	*BytesWritten = x.size;
	return S_OK;
}

HRESULT WINAPI WHvSetVirtualProcessorXsaveState(WHV_PARTITION_HANDLE Partition,
						UINT32 VpIndex,
						const VOID *Buffer,
						UINT32 BufferSizeInBytes)
{
	struct whv_partition_handle *p = whv_handle(Partition);
	struct whv_xsave x = {
		.vp_index = VpIndex,
		.size = BufferSizeInBytes,
		.buffer = (uintptr_t)Buffer,
	};

	if (!p)
		return E_HANDLE;
	if (!Buffer)
		return E_POINTER;
	return whv_ioctl_hr(p->fd, WHV_SET_XSAVE, &x, WHV_CALL_GENERIC);
}

HRESULT WINAPI WHvGetVirtualProcessorState(WHV_PARTITION_HANDLE Partition,
					   UINT32 VpIndex,
					   WHV_VIRTUAL_PROCESSOR_STATE_TYPE StateType,
					   VOID *Buffer, UINT32 BufferSizeInBytes,
					   UINT32 *BytesWritten)
{
	switch (StateType) {
	case WHvVirtualProcessorStateTypeInterruptControllerState2:
		return WHvGetVirtualProcessorInterruptControllerState2(
			Partition, VpIndex, Buffer, BufferSizeInBytes,
			BytesWritten);
	case WHvVirtualProcessorStateTypeXsaveState:
		return WHvGetVirtualProcessorXsaveState(Partition, VpIndex,
							Buffer,
							BufferSizeInBytes,
							BytesWritten);
	default:
		/* SynIC pages and nested state: no such state here. */
		return whv_handle(Partition) ? E_INVALIDARG : E_HANDLE;
	}
}

HRESULT WINAPI WHvSetVirtualProcessorState(WHV_PARTITION_HANDLE Partition,
					   UINT32 VpIndex,
					   WHV_VIRTUAL_PROCESSOR_STATE_TYPE StateType,
					   const VOID *Buffer,
					   UINT32 BufferSizeInBytes)
{
	switch (StateType) {
	case WHvVirtualProcessorStateTypeInterruptControllerState2:
		return WHvSetVirtualProcessorInterruptControllerState2(
			Partition, VpIndex, Buffer, BufferSizeInBytes);
	case WHvVirtualProcessorStateTypeXsaveState:
		return WHvSetVirtualProcessorXsaveState(Partition, VpIndex,
							Buffer,
							BufferSizeInBytes);
	default:
		return whv_handle(Partition) ? E_INVALIDARG : E_HANDLE;
	}
}
