// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * whv extensions to the WHv API: what Microsoft's headers leave undefined
 * and whv fills in. Nothing here changes a WHv layout.
 */
#ifndef WHV_EXT_H
#define WHV_EXT_H

#include "WinHvPlatformDefs.h"

/*
 * For WHvRunVpExitReasonInvalidVpRegisterValue, whose exit context WHv
 * leaves empty: why the CPU refused the VP's state. It overlays the exit
 * context's union (offset 48). On Intel VT-x: the VM-instruction error
 * number (0 if the entry failed a guest-state check instead), the encoding
 * of the VMCS field at fault and its SDM name ("GUEST_CR0",
 * "GUEST_CS_AR_BYTES", ...; "unknown" when no rule could be named). On AMD
 * SVM, whose VMRUN gives no detail, all zero. The kernel log has the same.
 */
typedef struct WHV_X64_INVALID_VP_STATE_CONTEXT {
	UINT32 VmInstructionError;
	UINT32 VmcsField;
	char FieldName[48];
} WHV_X64_INVALID_VP_STATE_CONTEXT;

C_ASSERT(sizeof(WHV_X64_INVALID_VP_STATE_CONTEXT) == 56);

static inline const WHV_X64_INVALID_VP_STATE_CONTEXT *
WhvInvalidVpStateContext(const WHV_RUN_VP_EXIT_CONTEXT *exit)
{
	return (const WHV_X64_INVALID_VP_STATE_CONTEXT *)&exit->MemoryAccess;
}

#endif /* WHV_EXT_H */
