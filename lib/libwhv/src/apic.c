// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The hypervisor's local APIC (LocalApicEmulationMode): interrupts the VMM
 * requests, destination lookup, and the APIC state as a 4 KiB xAPIC
 * register page (InterruptControllerState2; the deprecated first pair
 * takes the same opaque blob).
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>
#include "../../../uapi/whv_ioctl.h"
#include "libwhv.h"

_Static_assert(sizeof(struct whv_interrupt) == sizeof(WHV_INTERRUPT_CONTROL),
	       "WHV_INTERRUPT_CONTROL layout");

HRESULT WINAPI WHvRequestInterrupt(WHV_PARTITION_HANDLE Partition,
				   const WHV_INTERRUPT_CONTROL *Interrupt,
				   UINT32 InterruptControlSize)
{
	struct whv_partition_handle *p = whv_handle(Partition);
	struct whv_interrupt irq;

	if (!p)
		return E_HANDLE;
	if (!Interrupt)
		return E_POINTER;
	if (InterruptControlSize < sizeof(irq))
		return E_INVALIDARG;
	memcpy(&irq, Interrupt, sizeof(irq));
	return whv_ioctl_hr(p->fd, WHV_REQUEST_INTERRUPT, &irq, WHV_CALL_APIC);
}

HRESULT WINAPI WHvGetInterruptTargetVpSet(WHV_PARTITION_HANDLE Partition,
					  UINT64 Destination,
					  WHV_INTERRUPT_DESTINATION_MODE DestinationMode,
					  UINT32 *TargetVps, UINT32 VpCount,
					  UINT32 *TargetVpCount)
{
	struct whv_partition_handle *p = whv_handle(Partition);
	struct whv_interrupt_targets t = {
		.destination = Destination,
		.destination_mode = (UINT32)DestinationMode,
	};
	UINT32 n = 0, i, vps = 0;
	struct whv_property prop = {
		.code = WHV_PROP_PROCESSOR_COUNT,
		.size = sizeof(vps),
		.data = (uintptr_t)&vps,
	};

	if (!p)
		return E_HANDLE;
	if (!TargetVpCount || (!TargetVps && VpCount))
		return E_POINTER;
	if (ioctl(p->fd, WHV_GET_INTERRUPT_TARGETS, &t) < 0)
		return whv_hresult_from_errno(errno, WHV_CALL_APIC);
	/* Documented: the array must hold every VP of the partition. */
	if (ioctl(p->fd, WHV_GET_PROPERTY, &prop) < 0)
		return whv_hresult_from_errno(errno, WHV_CALL_PROPERTY);
	if (VpCount < vps)
		return E_INVALIDARG;
	for (i = 0; i < 64; i++) {
		if (!(t.vp_mask & (1ULL << i)))
			continue;
		if (n < VpCount)
			TargetVps[n] = i;
		n++;
	}
	*TargetVpCount = n;
	return S_OK;
}

static HRESULT whv_lapic_state(WHV_PARTITION_HANDLE Partition, UINT32 VpIndex,
			       VOID *State, UINT32 StateSize,
			       UINT32 *WrittenSize, bool set)
{
	struct whv_partition_handle *p = whv_handle(Partition);
	struct whv_lapic_state st = {
		.vp_index = VpIndex,
		.size = StateSize,
		.data = (uintptr_t)State,
	};

	if (!p)
		return E_HANDLE;
	if (set && StateSize != WHV_LAPIC_STATE_SIZE)
		return E_INVALIDARG;
	if (WrittenSize)		/* _Out_opt_ */
		*WrittenSize = WHV_LAPIC_STATE_SIZE;
	if (!State && StateSize)
		return E_POINTER;
	return whv_ioctl_hr(p->fd, set ? WHV_SET_LAPIC : WHV_GET_LAPIC, &st,
			    WHV_CALL_APIC);
}

HRESULT WINAPI WHvGetVirtualProcessorInterruptControllerState2(
	WHV_PARTITION_HANDLE Partition, UINT32 VpIndex, VOID *State,
	UINT32 StateSize, UINT32 *WrittenSize)
{
	return whv_lapic_state(Partition, VpIndex, State, StateSize,
			       WrittenSize, false);
}

HRESULT WINAPI WHvSetVirtualProcessorInterruptControllerState2(
	WHV_PARTITION_HANDLE Partition, UINT32 VpIndex, const VOID *State,
	UINT32 StateSize)
{
	return whv_lapic_state(Partition, VpIndex, (VOID *)State, StateSize,
			       NULL, true);
}

HRESULT WINAPI WHvGetVirtualProcessorInterruptControllerState(
	WHV_PARTITION_HANDLE Partition, UINT32 VpIndex, VOID *State,
	UINT32 StateSize, UINT32 *WrittenSize)
{
	return whv_lapic_state(Partition, VpIndex, State, StateSize,
			       WrittenSize, false);
}

HRESULT WINAPI WHvSetVirtualProcessorInterruptControllerState(
	WHV_PARTITION_HANDLE Partition, UINT32 VpIndex, const VOID *State,
	UINT32 StateSize)
{
	return whv_lapic_state(Partition, VpIndex, (VOID *)State, StateSize,
			       NULL, true);
}
