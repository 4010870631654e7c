// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Entry points of WinHvPlatform.dll that whv does not implement yet.
 *
 * Each one exists so that WHPX programs link and load unchanged, and each
 * returns E_NOTIMPL without looking at its arguments: no validation, no
 * partial work, no output written.  Its IsWHv*Present() query routine
 * answers FALSE.  lib/libwhv/UNSUPPORTED.md lists them by feature; when one
 * gets implemented, move it out of here (and its query routine to query.c).
 */
#include "libwhv.h"

/* The stubs ignore their arguments by design. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define WHV_ABSENT(name) \
	BOOLEAN WINAPI Is##name##Present(VOID) { return FALSE; }

/* Guest memory of another process. */

HRESULT WINAPI WHvMapGpaRange2(WHV_PARTITION_HANDLE Partition, HANDLE Process,
			       VOID *SourceAddress,
			       WHV_GUEST_PHYSICAL_ADDRESS GuestAddress,
			       UINT64 SizeInBytes, WHV_MAP_GPA_RANGE_FLAGS Flags)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvMapGpaRange2)


/* Virtual processors: creation with properties (NUMA node), CPUID as the
 * guest sees it. */

HRESULT WINAPI WHvCreateVirtualProcessor2(WHV_PARTITION_HANDLE Partition,
					  UINT32 VpIndex,
					  const WHV_VIRTUAL_PROCESSOR_PROPERTY *Properties,
					  UINT32 PropertyCount)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvCreateVirtualProcessor2)

HRESULT WINAPI WHvGetVirtualProcessorCpuidOutput(WHV_PARTITION_HANDLE Partition,
						 UINT32 VpIndex, UINT32 Eax,
						 UINT32 Ecx,
						 WHV_CPUID_OUTPUT *CpuidOutput)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvGetVirtualProcessorCpuidOutput)

/* Statistics counters. */

HRESULT WINAPI WHvGetVirtualProcessorCounters(WHV_PARTITION_HANDLE Partition,
					      UINT32 VpIndex,
					      WHV_PROCESSOR_COUNTER_SET CounterSet,
					      VOID *Buffer,
					      UINT32 BufferSizeInBytes,
					      UINT32 *BytesWritten)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvGetVirtualProcessorCounters)

/* SynIC: events and messages posted by the host. */

HRESULT WINAPI WHvSignalVirtualProcessorSynicEvent(WHV_PARTITION_HANDLE Partition,
						   WHV_SYNIC_EVENT_PARAMETERS SynicEvent,
						   BOOL *NewlySignaled)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvSignalVirtualProcessorSynicEvent)

HRESULT WINAPI WHvPostVirtualProcessorSynicMessage(WHV_PARTITION_HANDLE Partition,
						   UINT32 VpIndex,
						   UINT32 SintIndex,
						   const VOID *Message,
						   UINT32 MessageSizeInBytes)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvPostVirtualProcessorSynicMessage)

/* Doorbells (the deprecated predecessor of notification ports). */

HRESULT WINAPI WHvRegisterPartitionDoorbellEvent(WHV_PARTITION_HANDLE Partition,
						 const WHV_DOORBELL_MATCH_DATA *MatchData,
						 HANDLE EventHandle)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvRegisterPartitionDoorbellEvent)

HRESULT WINAPI WHvUnregisterPartitionDoorbellEvent(WHV_PARTITION_HANDLE Partition,
						   const WHV_DOORBELL_MATCH_DATA *MatchData)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvUnregisterPartitionDoorbellEvent)

/* Triggers: interrupts and events fired by signalling a host event. */

HRESULT WINAPI WHvCreateTrigger(WHV_PARTITION_HANDLE Partition,
				const WHV_TRIGGER_PARAMETERS *Parameters,
				WHV_TRIGGER_HANDLE *TriggerHandle,
				HANDLE *EventHandle)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvCreateTrigger)

HRESULT WINAPI WHvUpdateTriggerParameters(WHV_PARTITION_HANDLE Partition,
					  const WHV_TRIGGER_PARAMETERS *Parameters,
					  WHV_TRIGGER_HANDLE TriggerHandle)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvUpdateTriggerParameters)

HRESULT WINAPI WHvDeleteTrigger(WHV_PARTITION_HANDLE Partition,
				WHV_TRIGGER_HANDLE TriggerHandle)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvDeleteTrigger)

/* Notification ports: doorbells and SynIC event connections. */

HRESULT WINAPI WHvCreateNotificationPort(WHV_PARTITION_HANDLE Partition,
					 const WHV_NOTIFICATION_PORT_PARAMETERS *Parameters,
					 HANDLE EventHandle,
					 WHV_NOTIFICATION_PORT_HANDLE *PortHandle)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvCreateNotificationPort)

HRESULT WINAPI WHvSetNotificationPortProperty(WHV_PARTITION_HANDLE Partition,
					      WHV_NOTIFICATION_PORT_HANDLE PortHandle,
					      WHV_NOTIFICATION_PORT_PROPERTY_CODE PropertyCode,
					      WHV_NOTIFICATION_PORT_PROPERTY PropertyValue)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvSetNotificationPortProperty)

HRESULT WINAPI WHvDeleteNotificationPort(WHV_PARTITION_HANDLE Partition,
					 WHV_NOTIFICATION_PORT_HANDLE PortHandle)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvDeleteNotificationPort)

/* Virtual PCI: assignment of host (SR-IOV) devices to the partition. */

HRESULT WINAPI WHvAllocateVpciResource(const GUID *ProviderId,
				       WHV_ALLOCATE_VPCI_RESOURCE_FLAGS Flags,
				       const VOID *ResourceDescriptor,
				       UINT32 ResourceDescriptorSizeInBytes,
				       HANDLE *VpciResource)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvAllocateVpciResource)

HRESULT WINAPI WHvCreateVpciDevice(WHV_PARTITION_HANDLE Partition,
				   UINT64 LogicalDeviceId, HANDLE VpciResource,
				   WHV_CREATE_VPCI_DEVICE_FLAGS Flags,
				   HANDLE NotificationEventHandle)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvCreateVpciDevice)

HRESULT WINAPI WHvDeleteVpciDevice(WHV_PARTITION_HANDLE Partition,
				   UINT64 LogicalDeviceId)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvDeleteVpciDevice)

HRESULT WINAPI WHvGetVpciDeviceProperty(WHV_PARTITION_HANDLE Partition,
					UINT64 LogicalDeviceId,
					WHV_VPCI_DEVICE_PROPERTY_CODE PropertyCode,
					VOID *PropertyBuffer,
					UINT32 PropertyBufferSizeInBytes,
					UINT32 *WrittenSizeInBytes)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvGetVpciDeviceProperty)

HRESULT WINAPI WHvGetVpciDeviceNotification(WHV_PARTITION_HANDLE Partition,
					    UINT64 LogicalDeviceId,
					    WHV_VPCI_DEVICE_NOTIFICATION *Notification,
					    UINT32 NotificationSizeInBytes)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvGetVpciDeviceNotification)

HRESULT WINAPI WHvMapVpciDeviceMmioRanges(WHV_PARTITION_HANDLE Partition,
					  UINT64 LogicalDeviceId,
					  UINT32 *MappingCount,
					  WHV_VPCI_MMIO_MAPPING **Mappings)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvMapVpciDeviceMmioRanges)

HRESULT WINAPI WHvUnmapVpciDeviceMmioRanges(WHV_PARTITION_HANDLE Partition,
					    UINT64 LogicalDeviceId)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvUnmapVpciDeviceMmioRanges)

HRESULT WINAPI WHvSetVpciDevicePowerState(WHV_PARTITION_HANDLE Partition,
					  UINT64 LogicalDeviceId,
					  DEVICE_POWER_STATE PowerState)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvSetVpciDevicePowerState)

HRESULT WINAPI WHvReadVpciDeviceRegister(WHV_PARTITION_HANDLE Partition,
					 UINT64 LogicalDeviceId,
					 const WHV_VPCI_DEVICE_REGISTER *Register,
					 VOID *Data)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvReadVpciDeviceRegister)

HRESULT WINAPI WHvWriteVpciDeviceRegister(WHV_PARTITION_HANDLE Partition,
					  UINT64 LogicalDeviceId,
					  const WHV_VPCI_DEVICE_REGISTER *Register,
					  const VOID *Data)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvWriteVpciDeviceRegister)

HRESULT WINAPI WHvMapVpciDeviceInterrupt(WHV_PARTITION_HANDLE Partition,
					 UINT64 LogicalDeviceId, UINT32 Index,
					 UINT32 MessageCount,
					 const WHV_VPCI_INTERRUPT_TARGET *Target,
					 UINT64 *MsiAddress, UINT32 *MsiData)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvMapVpciDeviceInterrupt)

HRESULT WINAPI WHvUnmapVpciDeviceInterrupt(WHV_PARTITION_HANDLE Partition,
					   UINT64 LogicalDeviceId, UINT32 Index)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvUnmapVpciDeviceInterrupt)

HRESULT WINAPI WHvRetargetVpciDeviceInterrupt(WHV_PARTITION_HANDLE Partition,
					      UINT64 LogicalDeviceId,
					      UINT64 MsiAddress, UINT32 MsiData,
					      const WHV_VPCI_INTERRUPT_TARGET *Target)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvRetargetVpciDeviceInterrupt)

HRESULT WINAPI WHvRequestVpciDeviceInterrupt(WHV_PARTITION_HANDLE Partition,
					     UINT64 LogicalDeviceId,
					     UINT64 MsiAddress, UINT32 MsiData)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvRequestVpciDeviceInterrupt)

HRESULT WINAPI WHvGetVpciDeviceInterruptTarget(WHV_PARTITION_HANDLE Partition,
					       UINT64 LogicalDeviceId,
					       UINT32 Index,
					       UINT32 MultiMessageNumber,
					       WHV_VPCI_INTERRUPT_TARGET *Target,
					       UINT32 TargetSizeInBytes,
					       UINT32 *BytesWritten)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvGetVpciDeviceInterruptTarget)

/* Live migration of a partition to another process. */

HRESULT WINAPI WHvStartPartitionMigration(WHV_PARTITION_HANDLE Partition,
					  HANDLE *MigrationHandle)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvStartPartitionMigration)

HRESULT WHvCancelPartitionMigration(WHV_PARTITION_HANDLE Partition)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvCancelPartitionMigration)

HRESULT WHvCompletePartitionMigration(WHV_PARTITION_HANDLE Partition)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvCompletePartitionMigration)

HRESULT WINAPI WHvAcceptPartitionMigration(HANDLE MigrationHandle,
					   WHV_PARTITION_HANDLE *Partition)
{
	return E_NOTIMPL;
}
WHV_ABSENT(WHvAcceptPartitionMigration)
