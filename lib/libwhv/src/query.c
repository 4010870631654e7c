// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * IsWHv*Present() for the entry points libwhv implements: TRUE whether or
 * not /dev/whv is there (that is what WHvGetCapability answers).  The
 * query routines of the E_NOTIMPL stubs are in unsupported.c.
 */
#include <WinHvEmulation.h>
#include "libwhv.h"

#define WHV_PRESENT(name) \
	BOOLEAN WINAPI Is##name##Present(VOID) { return TRUE; }

WHV_PRESENT(WHvGetCapability)

WHV_PRESENT(WHvCreatePartition)
WHV_PRESENT(WHvSetupPartition)
WHV_PRESENT(WHvDeletePartition)
WHV_PRESENT(WHvResetPartition)
WHV_PRESENT(WHvGetPartitionProperty)
WHV_PRESENT(WHvSetPartitionProperty)
WHV_PRESENT(WHvSuspendPartitionTime)
WHV_PRESENT(WHvResumePartitionTime)

WHV_PRESENT(WHvMapGpaRange)
WHV_PRESENT(WHvUnmapGpaRange)
WHV_PRESENT(WHvAdviseGpaRange)
WHV_PRESENT(WHvReadGpaRange)
WHV_PRESENT(WHvWriteGpaRange)
WHV_PRESENT(WHvGetPartitionCounters)
WHV_PRESENT(WHvTranslateGva)
WHV_PRESENT(WHvQueryGpaRangeDirtyBitmap)

WHV_PRESENT(WHvCreateVirtualProcessor)
WHV_PRESENT(WHvDeleteVirtualProcessor)
WHV_PRESENT(WHvRunVirtualProcessor)
WHV_PRESENT(WHvCancelRunVirtualProcessor)
WHV_PRESENT(WHvGetVirtualProcessorRegisters)
WHV_PRESENT(WHvSetVirtualProcessorRegisters)
WHV_PRESENT(WHvGetVirtualProcessorXsaveState)
WHV_PRESENT(WHvSetVirtualProcessorXsaveState)
WHV_PRESENT(WHvGetVirtualProcessorState)
WHV_PRESENT(WHvSetVirtualProcessorState)

WHV_PRESENT(WHvRequestInterrupt)
WHV_PRESENT(WHvGetInterruptTargetVpSet)
WHV_PRESENT(WHvGetVirtualProcessorInterruptControllerState)
WHV_PRESENT(WHvSetVirtualProcessorInterruptControllerState)
WHV_PRESENT(WHvGetVirtualProcessorInterruptControllerState2)
WHV_PRESENT(WHvSetVirtualProcessorInterruptControllerState2)

WHV_PRESENT(WHvEmulatorCreateEmulator)
WHV_PRESENT(WHvEmulatorDestroyEmulator)
WHV_PRESENT(WHvEmulatorTryIoEmulation)
WHV_PRESENT(WHvEmulatorTryMmioEmulation)
