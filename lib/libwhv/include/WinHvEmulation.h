// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * WinHvEmulation.h - the WHv instruction emulator API (x86-64), as
 * implemented by libwhv on Linux.
 *
 * The emulator decodes the instruction behind an I/O-port or MMIO exit and
 * completes it by calling back into the VMM (port/memory access, register
 * get/set, GVA translation).  Types and entry points are ABI-compatible with
 * Microsoft's WinHvEmulation.h.
 */
#ifndef _WINHVEMUAPI_H_
#define _WINHVEMUAPI_H_

#include "WinHvPlatformDefs.h"

#if defined(__GNUC__)
# pragma GCC diagnostic push
# pragma GCC diagnostic ignored "-Wpedantic"
#endif

/* Outcome of a Try*Emulation call, valid when the call returned S_OK. */
typedef union WHV_EMULATOR_STATUS {
	struct {
		UINT32 EmulationSuccessful : 1;
		UINT32 InternalEmulationFailure : 1;
		UINT32 IoPortCallbackFailed : 1;
		UINT32 MemoryCallbackFailed : 1;
		UINT32 TranslateGvaPageCallbackFailed : 1;
		UINT32 TranslateGvaPageCallbackGpaIsNotAligned : 1;
		UINT32 GetVirtualProcessorRegistersCallbackFailed : 1;
		UINT32 SetVirtualProcessorRegistersCallbackFailed : 1;
		UINT32 InterruptCausedIntercept : 1;
		UINT32 GuestCannotBeFaulted : 1;
		UINT32 Reserved : 22;
	};
	UINT32 AsUINT32;
} WHV_EMULATOR_STATUS;

WHV_SIZE_IS(WHV_EMULATOR_STATUS, 4);

/*
 * Guest-physical access performed by the emulated instruction.
 * Direction: 0 = read (fill Data), 1 = write.  AccessSize: 1..8 bytes.
 */
typedef struct WHV_EMULATOR_MEMORY_ACCESS_INFO {
	WHV_GUEST_PHYSICAL_ADDRESS GpaAddress;
	UINT8 Direction;
	UINT8 AccessSize;
	UINT8 Data[8];
} WHV_EMULATOR_MEMORY_ACCESS_INFO;

WHV_SIZE_IS(WHV_EMULATOR_MEMORY_ACCESS_INFO, 24);
WHV_OFFSET_IS(WHV_EMULATOR_MEMORY_ACCESS_INFO, Direction, 8);
WHV_OFFSET_IS(WHV_EMULATOR_MEMORY_ACCESS_INFO, AccessSize, 9);
WHV_OFFSET_IS(WHV_EMULATOR_MEMORY_ACCESS_INFO, Data, 10);

/*
 * Port access performed by the emulated instruction.
 * Direction: 0 = IN (fill Data), 1 = OUT.  AccessSize: 1, 2 or 4 bytes.
 */
typedef struct WHV_EMULATOR_IO_ACCESS_INFO {
	UINT8 Direction;
	UINT16 Port;
	UINT16 AccessSize;
	UINT32 Data;
} WHV_EMULATOR_IO_ACCESS_INFO;

WHV_SIZE_IS(WHV_EMULATOR_IO_ACCESS_INFO, 12);
WHV_OFFSET_IS(WHV_EMULATOR_IO_ACCESS_INFO, Port, 2);
WHV_OFFSET_IS(WHV_EMULATOR_IO_ACCESS_INFO, AccessSize, 4);
WHV_OFFSET_IS(WHV_EMULATOR_IO_ACCESS_INFO, Data, 8);

/* Callbacks; Context is the pointer given to WHvEmulatorTry*Emulation. */
typedef HRESULT (CALLBACK *WHV_EMULATOR_IO_PORT_CALLBACK)(
	VOID *Context,
	WHV_EMULATOR_IO_ACCESS_INFO *IoAccess);

typedef HRESULT (CALLBACK *WHV_EMULATOR_MEMORY_CALLBACK)(
	VOID *Context,
	WHV_EMULATOR_MEMORY_ACCESS_INFO *MemoryAccess);

typedef HRESULT (CALLBACK *WHV_EMULATOR_GET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK)(
	VOID *Context,
	const WHV_REGISTER_NAME *RegisterNames,
	UINT32 RegisterCount,
	WHV_REGISTER_VALUE *RegisterValues);

typedef HRESULT (CALLBACK *WHV_EMULATOR_SET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK)(
	VOID *Context,
	const WHV_REGISTER_NAME *RegisterNames,
	UINT32 RegisterCount,
	const WHV_REGISTER_VALUE *RegisterValues);

typedef HRESULT (CALLBACK *WHV_EMULATOR_TRANSLATE_GVA_PAGE_CALLBACK)(
	VOID *Context,
	WHV_GUEST_VIRTUAL_ADDRESS Gva,
	WHV_TRANSLATE_GVA_FLAGS TranslateFlags,
	WHV_TRANSLATE_GVA_RESULT_CODE *TranslationResult,
	WHV_GUEST_PHYSICAL_ADDRESS *Gpa);

/* Set Size = sizeof(WHV_EMULATOR_CALLBACKS) and Reserved = 0. */
typedef struct WHV_EMULATOR_CALLBACKS {
	UINT32 Size;
	UINT32 Reserved;
	WHV_EMULATOR_IO_PORT_CALLBACK WHvEmulatorIoPortCallback;
	WHV_EMULATOR_MEMORY_CALLBACK WHvEmulatorMemoryCallback;
	WHV_EMULATOR_GET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK WHvEmulatorGetVirtualProcessorRegisters;
	WHV_EMULATOR_SET_VIRTUAL_PROCESSOR_REGISTERS_CALLBACK WHvEmulatorSetVirtualProcessorRegisters;
	WHV_EMULATOR_TRANSLATE_GVA_PAGE_CALLBACK WHvEmulatorTranslateGvaPage;
} WHV_EMULATOR_CALLBACKS;

WHV_SIZE_IS(WHV_EMULATOR_CALLBACKS, 48);
WHV_OFFSET_IS(WHV_EMULATOR_CALLBACKS, WHvEmulatorIoPortCallback, 8);
WHV_OFFSET_IS(WHV_EMULATOR_CALLBACKS, WHvEmulatorMemoryCallback, 16);
WHV_OFFSET_IS(WHV_EMULATOR_CALLBACKS, WHvEmulatorGetVirtualProcessorRegisters, 24);
WHV_OFFSET_IS(WHV_EMULATOR_CALLBACKS, WHvEmulatorSetVirtualProcessorRegisters, 32);
WHV_OFFSET_IS(WHV_EMULATOR_CALLBACKS, WHvEmulatorTranslateGvaPage, 40);

typedef VOID *WHV_EMULATOR_HANDLE;

#if defined(__GNUC__)
# pragma GCC diagnostic pop
#endif

#ifdef __cplusplus
extern "C" {
#endif

HRESULT WINAPI WHvEmulatorCreateEmulator(
	const WHV_EMULATOR_CALLBACKS *Callbacks,
	WHV_EMULATOR_HANDLE *Emulator);

HRESULT WINAPI WHvEmulatorDestroyEmulator(
	WHV_EMULATOR_HANDLE Emulator);

HRESULT WINAPI WHvEmulatorTryIoEmulation(
	WHV_EMULATOR_HANDLE Emulator,
	VOID *Context,
	const WHV_VP_EXIT_CONTEXT *VpContext,
	const WHV_X64_IO_PORT_ACCESS_CONTEXT *IoInstructionContext,
	WHV_EMULATOR_STATUS *EmulatorReturnStatus);

HRESULT WINAPI WHvEmulatorTryMmioEmulation(
	WHV_EMULATOR_HANDLE Emulator,
	VOID *Context,
	const WHV_VP_EXIT_CONTEXT *VpContext,
	const WHV_MEMORY_ACCESS_CONTEXT *MmioInstructionContext,
	WHV_EMULATOR_STATUS *EmulatorReturnStatus);

/* Query routines, as in the SDK: TRUE, all four are implemented. */
#ifndef ext_ms_win_hyperv_hvemulation_l1_1_0_query_routines
#define ext_ms_win_hyperv_hvemulation_l1_1_0_query_routines

BOOLEAN WINAPI IsWHvEmulatorCreateEmulatorPresent(VOID);
BOOLEAN WINAPI IsWHvEmulatorDestroyEmulatorPresent(VOID);
BOOLEAN WINAPI IsWHvEmulatorTryIoEmulationPresent(VOID);
BOOLEAN WINAPI IsWHvEmulatorTryMmioEmulationPresent(VOID);

#endif /* ext_ms_win_hyperv_hvemulation_l1_1_0_query_routines */

#ifdef __cplusplus
}
#endif

#endif /* _WINHVEMUAPI_H_ */
