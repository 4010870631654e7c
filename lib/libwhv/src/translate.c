// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * WHvTranslateGva: the kernel walks the VP's page tables (kmod/gva.c).
 * A translation that fails is still S_OK: the result code says why.
 */
#include <errno.h>
#include <sys/ioctl.h>
#include "../../../uapi/whv_ioctl.h"
#include "libwhv.h"

HRESULT WINAPI WHvTranslateGva(WHV_PARTITION_HANDLE Partition, UINT32 VpIndex,
			       WHV_GUEST_VIRTUAL_ADDRESS Gva,
			       WHV_TRANSLATE_GVA_FLAGS TranslateFlags,
			       WHV_TRANSLATE_GVA_RESULT *TranslationResult,
			       WHV_GUEST_PHYSICAL_ADDRESS *Gpa)
{
	struct whv_partition_handle *p = whv_handle(Partition);
	struct whv_translate_gva t = {
		.vp_index = VpIndex,
		.flags = (UINT32)TranslateFlags,
		.gva = Gva,
	};

	if (!p)
		return E_HANDLE;
	if (!TranslationResult || !Gpa)
		return E_POINTER;
	if (ioctl(p->fd, WHV_TRANSLATE_GVA, &t) < 0)
		return whv_hresult_from_errno(errno, WHV_CALL_GENERIC);
	TranslationResult->ResultCode = (WHV_TRANSLATE_GVA_RESULT_CODE)t.result;
	TranslationResult->Reserved = 0;
	*Gpa = t.gpa;
	return S_OK;
}
