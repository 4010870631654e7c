// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Dirty-page tracking: WHvQueryGpaRangeDirtyBitmap over ranges mapped with
 * WHvMapGpaRangeFlagTrackDirtyPages. The kernel returns and clears one bit
 * per 4 KiB page, write-protecting what it reports before it returns.
 */
#include <stdint.h>
#include "../../../uapi/whv_ioctl.h"
#include "libwhv.h"

HRESULT WINAPI WHvQueryGpaRangeDirtyBitmap(WHV_PARTITION_HANDLE Partition,
					   WHV_GUEST_PHYSICAL_ADDRESS GuestAddress,
					   UINT64 RangeSizeInBytes,
					   UINT64 *Bitmap,
					   UINT32 BitmapSizeInBytes)
{
	struct whv_partition_handle *p = whv_handle(Partition);
	struct whv_dirty_bitmap q = {
		.gpa = GuestAddress,
		.size = RangeSizeInBytes,
		.bitmap = (uintptr_t)Bitmap,
		.bitmap_size = BitmapSizeInBytes,
	};

	if (!p)
		return E_HANDLE;
	/* Size 0: clear only, whatever Bitmap points at. */
	if (!BitmapSizeInBytes)
		q.bitmap = 0;
	return whv_ioctl_hr(p->fd, WHV_QUERY_DIRTY_BITMAP, &q,
			    WHV_CALL_GENERIC);
}
