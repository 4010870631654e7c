// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Guest memory beyond map and unmap: small reads and writes through the
 * hypervisor, advice (populate, pin, unpin), and the memory counters.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include "../../../uapi/whv_ioctl.h"
#include "libwhv.h"

_Static_assert(sizeof(WHV_MEMORY_RANGE_ENTRY) ==
	       sizeof(struct whv_memory_range), "range entry layout");
_Static_assert(WHV_READ_WRITE_GPA_RANGE_MAX_SIZE == WHV_GPA_ACCESS_MAX,
	       "read/write size");

static HRESULT whv_gpa_access(WHV_PARTITION_HANDLE Partition, UINT32 VpIndex,
			      WHV_GUEST_PHYSICAL_ADDRESS GuestAddress,
			      WHV_ACCESS_GPA_CONTROLS Controls, void *Data,
			      UINT32 DataSizeInBytes, bool write)
{
	struct whv_partition_handle *p = whv_handle(Partition);
	struct whv_gpa_access a = {
		.gpa = GuestAddress,
		.controls = Controls.AsUINT64,
		.vp_index = VpIndex,
		.size = DataSizeInBytes,
	};

	if (!p)
		return E_HANDLE;
	if (!Data)
		return E_POINTER;
	if (!DataSizeInBytes || DataSizeInBytes > WHV_GPA_ACCESS_MAX)
		return E_INVALIDARG;
	if (write)
		memcpy(a.data, Data, DataSizeInBytes);
	if (ioctl(p->fd, write ? WHV_WRITE_GPA : WHV_READ_GPA, &a) < 0)
		return whv_hresult_from_errno(errno, WHV_CALL_GENERIC);
	if (!write)
		memcpy(Data, a.data, DataSizeInBytes);
	return S_OK;
}

HRESULT WINAPI WHvReadGpaRange(WHV_PARTITION_HANDLE Partition, UINT32 VpIndex,
			       WHV_GUEST_PHYSICAL_ADDRESS GuestAddress,
			       WHV_ACCESS_GPA_CONTROLS Controls, PVOID Data,
			       UINT32 DataSizeInBytes)
{
	return whv_gpa_access(Partition, VpIndex, GuestAddress, Controls, Data,
			      DataSizeInBytes, false);
}

HRESULT WINAPI WHvWriteGpaRange(WHV_PARTITION_HANDLE Partition, UINT32 VpIndex,
				WHV_GUEST_PHYSICAL_ADDRESS GuestAddress,
				WHV_ACCESS_GPA_CONTROLS Controls,
				const VOID *Data, UINT32 DataSizeInBytes)
{
	return whv_gpa_access(Partition, VpIndex, GuestAddress, Controls,
			      (void *)Data, DataSizeInBytes, true);
}

/*
 * Populate takes a WHV_ADVISE_GPA_RANGE_POPULATE (a larger buffer is fine);
 * Pin and Unpin take no buffer.
 */
HRESULT WINAPI WHvAdviseGpaRange(WHV_PARTITION_HANDLE Partition,
				 const WHV_MEMORY_RANGE_ENTRY *GpaRanges,
				 UINT32 GpaRangesCount,
				 WHV_ADVISE_GPA_RANGE_CODE Advice,
				 const VOID *AdviceBuffer,
				 UINT32 AdviceBufferSizeInBytes)
{
	struct whv_partition_handle *p = whv_handle(Partition);
	struct whv_advise a = {
		.ranges = (uintptr_t)GpaRanges,
		.count = GpaRangesCount,
		.advice = (UINT32)Advice,
	};

	if (!p)
		return E_HANDLE;
	if (!GpaRanges)
		return GpaRangesCount ? E_POINTER : E_INVALIDARG;
	if (Advice == WHvAdviseGpaRangeCodePopulate) {
		WHV_ADVISE_GPA_RANGE_POPULATE pop;

		if (!AdviceBuffer)
			return E_POINTER;
		if (AdviceBufferSizeInBytes < sizeof(pop))
			return E_INVALIDARG;
		memcpy(&pop, AdviceBuffer, sizeof(pop));
		a.populate_flags = pop.Flags.AsUINT32;
		a.access = (UINT32)pop.AccessType;
	} else if (AdviceBufferSizeInBytes) {
		return E_INVALIDARG;
	}
	return whv_ioctl_hr(p->fd, WHV_ADVISE_GPA, &a, WHV_CALL_GENERIC);
}

/*
 * The memory set is a WHV_PARTITION_MEMORY_COUNTERS: a smaller buffer gets
 * WHV_E_INSUFFICIENT_BUFFER, with the size needed in *BytesWritten.
 */
HRESULT WINAPI WHvGetPartitionCounters(WHV_PARTITION_HANDLE Partition,
				       WHV_PARTITION_COUNTER_SET CounterSet,
				       VOID *Buffer, UINT32 BufferSizeInBytes,
				       UINT32 *BytesWritten)
{
	struct whv_partition_handle *p = whv_handle(Partition);
	struct whv_partition_counters c = { .set = (UINT32)CounterSet };
	WHV_PARTITION_MEMORY_COUNTERS out;

	if (!p)
		return E_HANDLE;
	if (ioctl(p->fd, WHV_GET_PARTITION_COUNTERS, &c) < 0)
		return whv_hresult_from_errno(errno, WHV_CALL_PROPERTY);
	if (BytesWritten)
		*BytesWritten = sizeof(out);
	if (BufferSizeInBytes < sizeof(out))
		return WHV_E_INSUFFICIENT_BUFFER;
	if (!Buffer)
		return E_POINTER;
	out.Mapped4KPageCount = c.mapped_4k;
	out.Mapped2MPageCount = c.mapped_2m;
	out.Mapped1GPageCount = c.mapped_1g;
	memcpy(Buffer, &out, sizeof(out));
	return S_OK;
}
