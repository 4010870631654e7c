// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_layout.c - runtime checks that libwhv's public headers reproduce
 * Microsoft's x64 WHv ABI: structure sizes, field offsets, bit-field
 * positions, enumerator values and HRESULT codes.
 *
 * Build and run:
 *   gcc -std=gnu11 -Wall -Wextra -Werror -I lib/libwhv/include \
 *       lib/libwhv/tests/test_layout.c $(pkg-config --cflags --libs check) \
 *       -o /tmp/test_layout && /tmp/test_layout
 */
#include <check.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <WinHvPlatform.h>
#include <WinHvEmulation.h>
/* the lower-case spellings must resolve to the same headers */
#include <winhvplatform.h>
#include <winhvplatformdefs.h>
#include <winhvemulation.h>

#define SIZE(type, n)           ck_assert_uint_eq(sizeof(type), (n))
#define ALIGN(type, n)          ck_assert_uint_eq(_Alignof(type), (n))
#define OFF(type, member, n)    ck_assert_uint_eq(offsetof(type, member), (n))

/* Raw little-endian value of the first 'len' (<= 8) bytes of an object. */
static uint64_t raw64(const void *p, size_t len)
{
	uint64_t v = 0;

	memcpy(&v, p, len);
	return v;
}

#define RAW(obj) raw64(&(obj), sizeof(obj) < 8 ? sizeof(obj) : 8)

/* Raw value of bytes [8, 16) of a 16-byte object. */
static uint64_t raw64_hi(const void *p)
{
	uint64_t v;

	memcpy(&v, (const uint8_t *)p + 8, 8);
	return v;
}

/* ------------------------------------------------------------------------ */
/* Base types                                                                */
/* ------------------------------------------------------------------------ */

START_TEST(test_base_types)
{
	SIZE(HRESULT, 4);
	SIZE(BOOL, 4);
	SIZE(BOOLEAN, 1);
	SIZE(LONG, 4);
	SIZE(ULONG, 4);
	SIZE(DWORD, 4);
	SIZE(WORD, 2);
	SIZE(BYTE, 1);
	SIZE(UINT8, 1);
	SIZE(UINT16, 2);
	SIZE(UINT32, 4);
	SIZE(UINT64, 8);
	SIZE(INT32, 4);
	SIZE(USHORT, 2);
	SIZE(WCHAR, 2);
	SIZE(PVOID, 8);
	SIZE(HANDLE, 8);
	SIZE(SIZE_T, 8);
	SIZE(GUID, 16);
	SIZE(LUID, 8);
	SIZE(WHV_PARTITION_HANDLE, 8);
	SIZE(WHV_EMULATOR_HANDLE, 8);
	SIZE(WHV_GUEST_PHYSICAL_ADDRESS, 8);
	SIZE(WHV_GUEST_VIRTUAL_ADDRESS, 8);

	/* enums are 4 bytes, as with MSVC */
	SIZE(WHV_REGISTER_NAME, 4);
	SIZE(WHV_CAPABILITY_CODE, 4);
	SIZE(WHV_PARTITION_PROPERTY_CODE, 4);
	SIZE(WHV_RUN_VP_EXIT_REASON, 4);
	SIZE(WHV_MAP_GPA_RANGE_FLAGS, 4);
	SIZE(WHV_TRANSLATE_GVA_FLAGS, 4);
	SIZE(WHV_TRANSLATE_GVA_RESULT_CODE, 4);
	SIZE(WHV_X64_LOCAL_APIC_EMULATION_MODE, 4);
	SIZE(WHV_PROCESSOR_VENDOR, 4);
	SIZE(WHV_VPCI_DEVICE_REGISTER_SPACE, 4);
}
END_TEST

START_TEST(test_hresults)
{
	ck_assert_int_eq(S_OK, 0);
	ck_assert_int_eq(S_FALSE, 1);
	ck_assert_uint_eq((uint32_t)E_INVALIDARG, 0x80070057u);
	ck_assert_uint_eq((uint32_t)E_POINTER, 0x80004003u);
	ck_assert_uint_eq((uint32_t)E_ACCESSDENIED, 0x80070005u);
	ck_assert_uint_eq((uint32_t)E_OUTOFMEMORY, 0x8007000Eu);
	ck_assert_uint_eq((uint32_t)E_FAIL, 0x80004005u);
	ck_assert_uint_eq((uint32_t)E_NOTIMPL, 0x80004001u);
	ck_assert_uint_eq((uint32_t)E_UNEXPECTED, 0x8000FFFFu);
	ck_assert(FAILED(E_INVALIDARG));
	ck_assert(SUCCEEDED(S_OK));
	ck_assert(SUCCEEDED(S_FALSE));

	ck_assert_uint_eq((uint32_t)HRESULT_FROM_WIN32(ERROR_INVALID_STATE), 0x8007139Fu);
	ck_assert_uint_eq((uint32_t)HRESULT_FROM_WIN32(ERROR_NOT_SUPPORTED), 0x80070032u);
	ck_assert_uint_eq((uint32_t)HRESULT_FROM_WIN32(ERROR_INVALID_PARAMETER), 0x80070057u);
	ck_assert_int_eq(HRESULT_FROM_WIN32(ERROR_SUCCESS), S_OK);
	ck_assert_int_eq(HRESULT_FROM_WIN32(E_FAIL), E_FAIL);

	ck_assert_uint_eq((uint32_t)WHV_E_UNKNOWN_CAPABILITY, 0x80370300u);
	ck_assert_uint_eq((uint32_t)WHV_E_INSUFFICIENT_BUFFER, 0x80370301u);
	ck_assert_uint_eq((uint32_t)WHV_E_UNKNOWN_PROPERTY, 0x80370302u);
	ck_assert_uint_eq((uint32_t)WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG, 0x80370303u);
	ck_assert_uint_eq((uint32_t)WHV_E_INVALID_PARTITION_CONFIG, 0x80370304u);
	ck_assert_uint_eq((uint32_t)WHV_E_GPA_RANGE_NOT_FOUND, 0x80370305u);
	ck_assert_uint_eq((uint32_t)WHV_E_VP_ALREADY_EXISTS, 0x80370306u);
	ck_assert_uint_eq((uint32_t)WHV_E_VP_DOES_NOT_EXIST, 0x80370307u);
	ck_assert_uint_eq((uint32_t)WHV_E_INVALID_VP_STATE, 0x80370308u);
	ck_assert_uint_eq((uint32_t)WHV_E_INVALID_VP_REGISTER_NAME, 0x80370309u);
	ck_assert_uint_eq((uint32_t)WHV_E_UNSUPPORTED_PROCESSOR_CONFIG, 0x80370310u);
	ck_assert(FAILED(WHV_E_UNKNOWN_CAPABILITY));
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Enumerator values                                                         */
/* ------------------------------------------------------------------------ */

START_TEST(test_enum_values)
{
	/* exit reasons */
	ck_assert_uint_eq(WHvRunVpExitReasonNone, 0);
	ck_assert_uint_eq(WHvRunVpExitReasonMemoryAccess, 1);
	ck_assert_uint_eq(WHvRunVpExitReasonX64IoPortAccess, 2);
	ck_assert_uint_eq(WHvRunVpExitReasonUnrecoverableException, 4);
	ck_assert_uint_eq(WHvRunVpExitReasonInvalidVpRegisterValue, 5);
	ck_assert_uint_eq(WHvRunVpExitReasonUnsupportedFeature, 6);
	ck_assert_uint_eq(WHvRunVpExitReasonX64InterruptWindow, 7);
	ck_assert_uint_eq(WHvRunVpExitReasonX64Halt, 8);
	ck_assert_uint_eq(WHvRunVpExitReasonX64ApicEoi, 9);
	ck_assert_uint_eq(WHvRunVpExitReasonSynicSintDeliverable, 0xA);
	ck_assert_uint_eq(WHvRunVpExitReasonX64MsrAccess, 0x1000);
	ck_assert_uint_eq(WHvRunVpExitReasonX64Cpuid, 0x1001);
	ck_assert_uint_eq(WHvRunVpExitReasonException, 0x1002);
	ck_assert_uint_eq(WHvRunVpExitReasonX64Rdtsc, 0x1003);
	ck_assert_uint_eq(WHvRunVpExitReasonX64ApicSmiTrap, 0x1004);
	ck_assert_uint_eq(WHvRunVpExitReasonHypercall, 0x1005);
	ck_assert_uint_eq(WHvRunVpExitReasonX64ApicInitSipiTrap, 0x1006);
	ck_assert_uint_eq(WHvRunVpExitReasonX64ApicWriteTrap, 0x1007);
	ck_assert_uint_eq(WHvRunVpExitReasonCanceled, 0x2001);

	/* registers */
	ck_assert_uint_eq(WHvX64RegisterRax, 0x00);
	ck_assert_uint_eq(WHvX64RegisterR15, 0x0F);
	ck_assert_uint_eq(WHvX64RegisterRip, 0x10);
	ck_assert_uint_eq(WHvX64RegisterRflags, 0x11);
	ck_assert_uint_eq(WHvX64RegisterEs, 0x12);
	ck_assert_uint_eq(WHvX64RegisterCs, 0x13);
	ck_assert_uint_eq(WHvX64RegisterTr, 0x19);
	ck_assert_uint_eq(WHvX64RegisterIdtr, 0x1A);
	ck_assert_uint_eq(WHvX64RegisterGdtr, 0x1B);
	ck_assert_uint_eq(WHvX64RegisterCr0, 0x1C);
	ck_assert_uint_eq(WHvX64RegisterCr8, 0x20);
	ck_assert_uint_eq(WHvX64RegisterDr0, 0x21);
	ck_assert_uint_eq(WHvX64RegisterDr7, 0x26);
	ck_assert_uint_eq(WHvX64RegisterXCr0, 0x27);
	ck_assert_uint_eq(WHvX64RegisterXmm0, 0x1000);
	ck_assert_uint_eq(WHvX64RegisterXmm15, 0x100F);
	ck_assert_uint_eq(WHvX64RegisterFpMmx0, 0x1010);
	ck_assert_uint_eq(WHvX64RegisterFpMmx7, 0x1017);
	ck_assert_uint_eq(WHvX64RegisterFpControlStatus, 0x1018);
	ck_assert_uint_eq(WHvX64RegisterXmmControlStatus, 0x1019);
	ck_assert_uint_eq(WHvX64RegisterTsc, 0x2000);
	ck_assert_uint_eq(WHvX64RegisterEfer, 0x2001);
	ck_assert_uint_eq(WHvX64RegisterApicBase, 0x2003);
	ck_assert_uint_eq(WHvX64RegisterInitialApicId, 0x200C);
	ck_assert_uint_eq(WHvX64RegisterMsrMtrrCap, 0x200D);
	ck_assert_uint_eq(WHvX64RegisterMsrMtrrPhysBase0, 0x2010);
	ck_assert_uint_eq(WHvX64RegisterMsrMtrrPhysMask0, 0x2040);
	ck_assert_uint_eq(WHvX64RegisterMsrMtrrFix64k00000, 0x2070);
	ck_assert_uint_eq(WHvX64RegisterMsrMtrrFix4kF8000, 0x207A);
	ck_assert_uint_eq(WHvX64RegisterTscAux, 0x207B);
	ck_assert_uint_eq(WHvX64RegisterSpecCtrl, 0x2084);
	ck_assert_uint_eq(WHvX64RegisterTscDeadline, 0x2095);
	ck_assert_uint_eq(WHvX64RegisterTscAdjust, 0x2096);
	ck_assert_uint_eq(WHvX64RegisterMsrIa32MiscEnable, 0x20A0);
	ck_assert_uint_eq(WHvX64RegisterApicId, 0x3002);
	ck_assert_uint_eq(WHvX64RegisterApicIcr, 0x3030);
	ck_assert_uint_eq(WHvX64RegisterApicSelfIpi, 0x303F);
	ck_assert_uint_eq(WHvRegisterSint0, 0x4000);
	ck_assert_uint_eq(WHvRegisterEom, 0x4014);
	ck_assert_uint_eq(WHvX64RegisterHypercall, 0x5001);
	ck_assert_uint_eq((uint32_t)WHvRegisterPendingInterruption, 0x80000000u);
	ck_assert_uint_eq((uint32_t)WHvRegisterInterruptState, 0x80000001u);
	ck_assert_uint_eq((uint32_t)WHvRegisterPendingEvent, 0x80000002u);
	ck_assert_uint_eq((uint32_t)WHvX64RegisterDeliverabilityNotifications, 0x80000004u);
	ck_assert_uint_eq((uint32_t)WHvRegisterInternalActivityState, 0x80000005u);
	ck_assert_uint_eq((uint32_t)WHvX64RegisterPendingDebugException, 0x80000006u);
	ck_assert_uint_eq((uint32_t)WHvRegisterPendingEvent3, 0x80000008u);

	/* capabilities and properties */
	ck_assert_uint_eq(WHvCapabilityCodeHypervisorPresent, 0);
	ck_assert_uint_eq(WHvCapabilityCodeFeatures, 1);
	ck_assert_uint_eq(WHvCapabilityCodeExtendedVmExits, 2);
	ck_assert_uint_eq(WHvCapabilityCodeProcessorVendor, 0x1000);
	ck_assert_uint_eq(WHvCapabilityCodeProcessorFeaturesBanks, 0x1006);
	ck_assert_uint_eq(WHvCapabilityCodePhysicalAddressWidth, 0x100A);
	ck_assert_uint_eq(WHvCapabilityCodeVmxTrueEntryCtls, 0x2010);
	ck_assert_uint_eq(WHvProcessorVendorAmd, 0);
	ck_assert_uint_eq(WHvProcessorVendorIntel, 1);
	ck_assert_uint_eq(WHvProcessorVendorHygon, 2);
	ck_assert_uint_eq(WHvPartitionPropertyCodeExtendedVmExits, 1);
	ck_assert_uint_eq(WHvPartitionPropertyCodeExceptionExitBitmap, 2);
	ck_assert_uint_eq(WHvPartitionPropertyCodeX64MsrExitBitmap, 5);
	ck_assert_uint_eq(WHvPartitionPropertyCodeDisableSmt, 0xD);
	ck_assert_uint_eq(WHvPartitionPropertyCodeProcessorFeatures, 0x1001);
	ck_assert_uint_eq(WHvPartitionPropertyCodeCpuidExitList, 0x1003);
	ck_assert_uint_eq(WHvPartitionPropertyCodeCpuidResultList, 0x1004);
	ck_assert_uint_eq(WHvPartitionPropertyCodeLocalApicEmulationMode, 0x1005);
	ck_assert_uint_eq(WHvPartitionPropertyCodeCpuidResultList2, 0x100D);
	ck_assert_uint_eq(WHvPartitionPropertyCodeMsrActionList, 0x100F);
	ck_assert_uint_eq(WHvPartitionPropertyCodeUnimplementedMsrAction, 0x1010);
	ck_assert_uint_eq(WHvPartitionPropertyCodePhysicalAddressWidth, 0x1011);
	ck_assert_uint_eq(WHvPartitionPropertyCodeProcessorCount, 0x1FFF);
	ck_assert_uint_eq(WHvX64LocalApicEmulationModeXApic, 1);
	ck_assert_uint_eq(WHvX64LocalApicEmulationModeX2Apic, 2);
	ck_assert_uint_eq(WHvMsrActionExit, 2);

	/* memory */
	ck_assert_uint_eq(WHvMapGpaRangeFlagRead, 1);
	ck_assert_uint_eq(WHvMapGpaRangeFlagWrite, 2);
	ck_assert_uint_eq(WHvMapGpaRangeFlagExecute, 4);
	ck_assert_uint_eq(WHvMapGpaRangeFlagTrackDirtyPages, 8);
	ck_assert_uint_eq(WHvTranslateGvaFlagSetPageTableBits, 0x10);
	ck_assert_uint_eq(WHvTranslateGvaFlagEnforceSmap, 0x100);
	ck_assert_uint_eq(WHvTranslateGvaFlagOverrideSmap, 0x200);
	ck_assert_uint_eq(WHvTranslateGvaResultGpaUnmapped, 4);
	ck_assert_uint_eq(WHvTranslateGvaResultIntercept, 8);
	ck_assert_uint_eq(WHvAdviseGpaRangeCodeUnpin, 2);
	ck_assert_uint_eq(WHvCacheTypeWriteBack, 6);

	/* interrupts, events, state */
	ck_assert_uint_eq(WHvX64InterruptTypeNmi, 4);
	ck_assert_uint_eq(WHvX64InterruptTypeInit, 5);
	ck_assert_uint_eq(WHvX64InterruptTypeSipi, 6);
	ck_assert_uint_eq(WHvX64InterruptTypeLocalInt1, 9);
	ck_assert_uint_eq(WHvX64PendingNmi, 2);
	ck_assert_uint_eq(WHvX64PendingException, 3);
	ck_assert_uint_eq(WHvX64PendingEventExtInt, 5);
	ck_assert_uint_eq(WHvX64ApicWriteTypeLint1, 0x360);
	ck_assert_uint_eq(WHvProcessorCounterSetSyntheticFeatures, 4);
	ck_assert_uint_eq(WHvVirtualProcessorStateTypeInterruptControllerState2, 0x1000);
	ck_assert_uint_eq(WHvVirtualProcessorStateTypeXsaveState, 0x1001);
	ck_assert_uint_eq(WHvVirtualProcessorStateTypeNestedState, 0x1002);
	ck_assert_uint_eq(WHvX64ExceptionTypePageFault, 0x0E);
	ck_assert_uint_eq(WHvX64ExceptionTypeControlProtectionFault, 0x15);
	ck_assert_uint_eq(WHvRunVpCancelReasonUser, 0);
	ck_assert_uint_eq(WhvRunVpCancelReasonUser, 0);
	ck_assert_int_eq(WHvVpciConfigSpace, -1);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Register values                                                           */
/* ------------------------------------------------------------------------ */

START_TEST(test_register_value_layout)
{
	SIZE(WHV_UINT128, 16);
	ALIGN(WHV_UINT128, 16);
	OFF(WHV_UINT128, Low64, 0);
	OFF(WHV_UINT128, High64, 8);

	SIZE(WHV_REGISTER_VALUE, 16);
	ALIGN(WHV_REGISTER_VALUE, 16);
	OFF(WHV_REGISTER_VALUE, Reg64, 0);
	OFF(WHV_REGISTER_VALUE, Segment, 0);
	OFF(WHV_REGISTER_VALUE, Table, 0);

	SIZE(WHV_X64_SEGMENT_REGISTER, 16);
	OFF(WHV_X64_SEGMENT_REGISTER, Base, 0);
	OFF(WHV_X64_SEGMENT_REGISTER, Limit, 8);
	OFF(WHV_X64_SEGMENT_REGISTER, Selector, 12);
	OFF(WHV_X64_SEGMENT_REGISTER, Attributes, 14);

	SIZE(WHV_X64_TABLE_REGISTER, 16);
	OFF(WHV_X64_TABLE_REGISTER, Pad, 0);
	OFF(WHV_X64_TABLE_REGISTER, Limit, 6);
	OFF(WHV_X64_TABLE_REGISTER, Base, 8);

	SIZE(WHV_X64_FP_REGISTER, 16);
	SIZE(WHV_X64_FP_CONTROL_STATUS_REGISTER, 16);
	OFF(WHV_X64_FP_CONTROL_STATUS_REGISTER, FpStatus, 2);
	OFF(WHV_X64_FP_CONTROL_STATUS_REGISTER, FpTag, 4);
	OFF(WHV_X64_FP_CONTROL_STATUS_REGISTER, LastFpOp, 6);
	OFF(WHV_X64_FP_CONTROL_STATUS_REGISTER, LastFpRip, 8);
	OFF(WHV_X64_FP_CONTROL_STATUS_REGISTER, LastFpEip, 8);
	OFF(WHV_X64_FP_CONTROL_STATUS_REGISTER, LastFpCs, 12);
	SIZE(WHV_X64_XMM_CONTROL_STATUS_REGISTER, 16);
	OFF(WHV_X64_XMM_CONTROL_STATUS_REGISTER, LastFpRdp, 0);
	OFF(WHV_X64_XMM_CONTROL_STATUS_REGISTER, LastFpDs, 4);
	OFF(WHV_X64_XMM_CONTROL_STATUS_REGISTER, XmmStatusControl, 8);
	OFF(WHV_X64_XMM_CONTROL_STATUS_REGISTER, XmmStatusControlMask, 12);

	SIZE(WHV_X64_INTERRUPT_STATE_REGISTER, 8);
	SIZE(WHV_X64_PENDING_INTERRUPTION_REGISTER, 8);
	SIZE(WHV_DELIVERABILITY_NOTIFICATIONS_REGISTER, 8);
	SIZE(WHV_X64_DELIVERABILITY_NOTIFICATIONS_REGISTER, 8);
	SIZE(WHV_INTERNAL_ACTIVITY_REGISTER, 8);
	SIZE(WHV_X64_PENDING_DEBUG_EXCEPTION, 8);
	SIZE(WHV_X64_PENDING_EXCEPTION_EVENT, 16);
	OFF(WHV_X64_PENDING_EXCEPTION_EVENT, ErrorCode, 4);
	OFF(WHV_X64_PENDING_EXCEPTION_EVENT, ExceptionParameter, 8);
	SIZE(WHV_X64_PENDING_EXT_INT_EVENT, 16);
	SIZE(WHV_X64_NESTED_GUEST_STATE, 16);
	SIZE(WHV_X64_NESTED_INVEPT_REGISTER, 16);
	SIZE(WHV_X64_NESTED_INVVPID_REGISTER, 16);
	OFF(WHV_X64_NESTED_INVVPID_REGISTER, Vpid, 4);
	SIZE(WHV_X64_PENDING_SVM_NESTED_EXIT_EVENT0, 16);
	SIZE(WHV_X64_PENDING_SVM_NESTED_EXIT_EVENT2, 16);
	OFF(WHV_X64_PENDING_SVM_NESTED_EXIT_EVENT2, InstructionBytesFetchedCount, 8);
	SIZE(WHV_X64_PENDING_VMX_NESTED_EXIT_EVENT0, 16);
	OFF(WHV_X64_PENDING_VMX_NESTED_EXIT_EVENT0, ExitReason, 4);
	OFF(WHV_X64_PENDING_VMX_NESTED_EXIT_EVENT0, ExitQualification, 8);
}
END_TEST

START_TEST(test_segment_attribute_bits)
{
	WHV_X64_SEGMENT_REGISTER s;

	memset(&s, 0, sizeof(s));
	s.SegmentType = 0xB;
	ck_assert_uint_eq(s.Attributes, 0x000B);
	s.NonSystemSegment = 1;
	ck_assert_uint_eq(s.Attributes, 0x001B);
	s.DescriptorPrivilegeLevel = 3;
	ck_assert_uint_eq(s.Attributes, 0x007B);
	s.DescriptorPrivilegeLevel = 0;
	s.Present = 1;
	ck_assert_uint_eq(s.Attributes, 0x009B);      /* real-mode code */

	s.Attributes = 0;
	s.Available = 1;
	ck_assert_uint_eq(s.Attributes, 0x1000);
	s.Attributes = 0;
	s.Long = 1;
	ck_assert_uint_eq(s.Attributes, 0x2000);
	s.Attributes = 0;
	s.Default = 1;
	ck_assert_uint_eq(s.Attributes, 0x4000);
	s.Attributes = 0;
	s.Granularity = 1;
	ck_assert_uint_eq(s.Attributes, 0x8000);

	s.Attributes = 0x93;
	ck_assert_uint_eq(s.SegmentType, 3);
	ck_assert_uint_eq(s.NonSystemSegment, 1);
	ck_assert_uint_eq(s.Present, 1);
	ck_assert_uint_eq(s.Long, 0);

	/* attribute word is the last 2 bytes */
	memset(&s, 0, sizeof(s));
	s.Granularity = 1;
	ck_assert_uint_eq(((const uint8_t *)&s)[15], 0x80);
}
END_TEST

START_TEST(test_pending_interruption_bits)
{
	WHV_X64_PENDING_INTERRUPTION_REGISTER p;

	p.AsUINT64 = 0;
	p.InterruptionPending = 1;
	ck_assert_uint_eq(p.AsUINT64, 0x1);
	p.AsUINT64 = 0;
	p.InterruptionType = WHvX64PendingException;      /* bits 1-3 */
	ck_assert_uint_eq(p.AsUINT64, 3ull << 1);
	p.AsUINT64 = 0;
	p.DeliverErrorCode = 1;                           /* bit 4 */
	ck_assert_uint_eq(p.AsUINT64, 1ull << 4);
	p.AsUINT64 = 0;
	p.InstructionLength = 0xF;                        /* bits 5-8 */
	ck_assert_uint_eq(p.AsUINT64, 0xFull << 5);
	p.AsUINT64 = 0;
	p.NestedEvent = 1;                                /* bit 9 */
	ck_assert_uint_eq(p.AsUINT64, 1ull << 9);
	p.AsUINT64 = 0;
	p.InterruptionVector = 0xFFFF;                    /* bits 16-31 */
	ck_assert_uint_eq(p.AsUINT64, 0xFFFFull << 16);
	p.AsUINT64 = 0;
	p.ErrorCode = 0xDEADBEEF;                         /* bits 32-63 */
	ck_assert_uint_eq(p.AsUINT64, 0xDEADBEEFull << 32);

	/* #GP with error code 0x10 on vector 13 */
	p.AsUINT64 = 0;
	p.InterruptionPending = 1;
	p.InterruptionType = WHvX64PendingException;
	p.DeliverErrorCode = 1;
	p.InterruptionVector = 13;
	p.ErrorCode = 0x10;
	ck_assert_uint_eq(p.AsUINT64, 0x00000010000D0017ull);
}
END_TEST

START_TEST(test_event_register_bits)
{
	WHV_X64_INTERRUPT_STATE_REGISTER is;
	WHV_DELIVERABILITY_NOTIFICATIONS_REGISTER dn;
	WHV_INTERNAL_ACTIVITY_REGISTER ia;
	WHV_X64_PENDING_DEBUG_EXCEPTION pd;
	WHV_X64_PENDING_EXCEPTION_EVENT ex;
	WHV_X64_PENDING_EXT_INT_EVENT ei;
	WHV_X64_FP_REGISTER fp;

	is.AsUINT64 = 0;
	is.NmiMasked = 1;
	ck_assert_uint_eq(is.AsUINT64, 2);
	is.AsUINT64 = 0;
	is.InterruptShadow = 1;
	ck_assert_uint_eq(is.AsUINT64, 1);

	dn.AsUINT64 = 0;
	dn.NmiNotification = 1;
	ck_assert_uint_eq(dn.AsUINT64, 1);
	dn.AsUINT64 = 0;
	dn.InterruptNotification = 1;
	ck_assert_uint_eq(dn.AsUINT64, 2);
	dn.AsUINT64 = 0;
	dn.InterruptPriority = 0xF;
	ck_assert_uint_eq(dn.AsUINT64, 0xFull << 2);
	dn.AsUINT64 = 0;
	dn.Sint = 0xFFFF;
	ck_assert_uint_eq(dn.AsUINT64, 0xFFFFull << 48);

	ia.AsUINT64 = 0;
	ia.HaltSuspend = 1;
	ck_assert_uint_eq(ia.AsUINT64, 2);
	ia.AsUINT64 = 0;
	ia.IdleSuspend = 1;
	ck_assert_uint_eq(ia.AsUINT64, 4);

	pd.AsUINT64 = 0;
	pd.SingleStep = 1;
	ck_assert_uint_eq(pd.AsUINT64, 1ull << 4);

	memset(&ex, 0, sizeof(ex));
	ex.EventPending = 1;
	ex.EventType = WHvX64PendingEventException;
	ex.DeliverErrorCode = 1;                          /* bit 8 */
	ex.Vector = 14;                                   /* bits 16-31 */
	ex.ErrorCode = 2;
	ex.ExceptionParameter = 0x1234;
	ck_assert_uint_eq(raw64(&ex, 8), (2ull << 32) | (14u << 16) | (1u << 8) | 1u);
	ck_assert_uint_eq(raw64_hi(&ex), 0x1234);

	memset(&ei, 0, sizeof(ei));
	ei.EventPending = 1;
	ei.EventType = WHvX64PendingEventExtInt;          /* bits 1-3 */
	ei.Vector = 0x30;                                 /* bits 8-15 */
	ck_assert_uint_eq(raw64(&ei, 8), (0x30u << 8) | (5u << 1) | 1u);

	memset(&fp, 0, sizeof(fp));
	fp.BiasedExponent = 0x7FFF;
	ck_assert_uint_eq(raw64_hi(&fp), 0x7FFF);
	memset(&fp, 0, sizeof(fp));
	fp.Sign = 1;
	ck_assert_uint_eq(raw64_hi(&fp), 0x8000);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Capabilities and partition properties                                     */
/* ------------------------------------------------------------------------ */

START_TEST(test_capability_layout)
{
	WHV_CAPABILITY cap;
	WHV_EXTENDED_VM_EXITS ev;
	WHV_CAPABILITY_FEATURES cf;
	WHV_PROCESSOR_FEATURES pf;
	WHV_PROCESSOR_FEATURES1 pf1;
	WHV_PROCESSOR_XSAVE_FEATURES xf;
	WHV_X64_MSR_EXIT_BITMAP mb;

	SIZE(WHV_CAPABILITY, 24);
	OFF(WHV_CAPABILITY, HypervisorPresent, 0);
	OFF(WHV_CAPABILITY, ProcessorFeaturesBanks, 0);
	SIZE(WHV_CAPABILITY_FEATURES, 8);
	SIZE(WHV_EXTENDED_VM_EXITS, 8);
	SIZE(WHV_PROCESSOR_FEATURES, 8);
	SIZE(WHV_PROCESSOR_FEATURES1, 8);
	SIZE(WHV_PROCESSOR_XSAVE_FEATURES, 8);
	SIZE(WHV_PROCESSOR_PERFMON_FEATURES, 8);
	SIZE(WHV_X64_MSR_EXIT_BITMAP, 8);
	SIZE(WHV_SCHEDULER_FEATURES, 8);
	SIZE(WHV_SYNTHETIC_PROCESSOR_FEATURES, 8);
	SIZE(WHV_SYNTHETIC_PROCESSOR_FEATURES_BANKS, 16);
	SIZE(WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP, 20);
	OFF(WHV_CAPABILITY_PROCESSOR_FREQUENCY_CAP, HighestFrequencyMhz, 4);
	SIZE(WHV_PROCESSOR_FEATURES_BANKS, 24);
	OFF(WHV_PROCESSOR_FEATURES_BANKS, BanksCount, 0);
	OFF(WHV_PROCESSOR_FEATURES_BANKS, Bank0, 8);
	OFF(WHV_PROCESSOR_FEATURES_BANKS, Bank1, 16);
	OFF(WHV_PROCESSOR_FEATURES_BANKS, AsUINT64, 8);

	/* BOOL HypervisorPresent overlays the first 4 bytes */
	memset(&cap, 0, sizeof(cap));
	cap.HypervisorPresent = TRUE;
	ck_assert_uint_eq(RAW(cap), 1);

	ev.AsUINT64 = 0;
	ev.X64CpuidExit = 1;
	ck_assert_uint_eq(ev.AsUINT64, 1ull << 0);
	ev.AsUINT64 = 0;
	ev.X64MsrExit = 1;
	ck_assert_uint_eq(ev.AsUINT64, 1ull << 1);
	ev.AsUINT64 = 0;
	ev.ExceptionExit = 1;
	ck_assert_uint_eq(ev.AsUINT64, 1ull << 2);
	ev.AsUINT64 = 0;
	ev.X64RdtscExit = 1;
	ck_assert_uint_eq(ev.AsUINT64, 1ull << 3);
	ev.AsUINT64 = 0;
	ev.HypercallExit = 1;
	ck_assert_uint_eq(ev.AsUINT64, 1ull << 5);
	ev.AsUINT64 = 0;
	ev.X64ApicWriteSvrExitTrap = 1;
	ck_assert_uint_eq(ev.AsUINT64, 1ull << 9);
	ev.AsUINT64 = 0;
	ev.GpaAccessFaultExit = 1;
	ck_assert_uint_eq(ev.AsUINT64, 1ull << 14);

	cf.AsUINT64 = 0;
	cf.LocalApicEmulation = 1;
	ck_assert_uint_eq(cf.AsUINT64, 1ull << 1);
	cf.AsUINT64 = 0;
	cf.DirtyPageTracking = 1;
	ck_assert_uint_eq(cf.AsUINT64, 1ull << 3);
	cf.AsUINT64 = 0;
	cf.DeviceAccessTracking = 1;
	ck_assert_uint_eq(cf.AsUINT64, 1ull << 10);

	pf.AsUINT64 = 0;
	pf.MovbeSupport = 1;
	ck_assert_uint_eq(pf.AsUINT64, 1ull << 29);
	pf.AsUINT64 = 0;
	pf.RdSeedSupport = 1;
	ck_assert_uint_eq(pf.AsUINT64, 1ull << 32);
	pf.AsUINT64 = 0;
	pf.UnrestrictedGuestSupport = 1;
	ck_assert_uint_eq(pf.AsUINT64, 1ull << 47);
	pf.AsUINT64 = 0;
	pf.TsxCtrlSupport = 1;
	ck_assert_uint_eq(pf.AsUINT64, 1ull << 62);

	pf1.AsUINT64 = 0;
	pf1.ClZeroSupport = 1;
	ck_assert_uint_eq(pf1.AsUINT64, 1ull << 2);
	pf1.AsUINT64 = 0;
	pf1.TscDeadlineTmrSupport = 1;
	ck_assert_uint_eq(pf1.AsUINT64, 1ull << 17);
	pf1.AsUINT64 = 0;
	pf1.SrsoUserKernelNoSupported = 1;
	ck_assert_uint_eq(pf1.AsUINT64, 1ull << 57);

	xf.AsUINT64 = 0;
	xf.AvxSupport = 1;
	ck_assert_uint_eq(xf.AsUINT64, 1ull << 2);
	xf.AsUINT64 = 0;
	xf.AmxFp16Support = 1;
	ck_assert_uint_eq(xf.AsUINT64, 1ull << 37);

	mb.AsUINT64 = 0;
	mb.UnhandledMsrs = 1;
	ck_assert_uint_eq(mb.AsUINT64, 1);
	mb.AsUINT64 = 0;
	mb.McUpdatePatchLevelMsrRead = 1;
	ck_assert_uint_eq(mb.AsUINT64, 1ull << 5);
}
END_TEST

START_TEST(test_partition_property_layout)
{
	WHV_PARTITION_PROPERTY prop;

	SIZE(WHV_PARTITION_PROPERTY, 48);
	OFF(WHV_PARTITION_PROPERTY, ExtendedVmExits, 0);
	OFF(WHV_PARTITION_PROPERTY, CpuidResultList2, 0);

	SIZE(WHV_X64_CPUID_RESULT, 32);
	OFF(WHV_X64_CPUID_RESULT, Function, 0);
	OFF(WHV_X64_CPUID_RESULT, Reserved, 4);
	OFF(WHV_X64_CPUID_RESULT, Eax, 16);
	OFF(WHV_X64_CPUID_RESULT, Ebx, 20);
	OFF(WHV_X64_CPUID_RESULT, Ecx, 24);
	OFF(WHV_X64_CPUID_RESULT, Edx, 28);

	SIZE(WHV_CPUID_OUTPUT, 16);
	SIZE(WHV_X64_CPUID_RESULT2, 48);
	OFF(WHV_X64_CPUID_RESULT2, Index, 4);
	OFF(WHV_X64_CPUID_RESULT2, VpIndex, 8);
	OFF(WHV_X64_CPUID_RESULT2, Flags, 12);
	OFF(WHV_X64_CPUID_RESULT2, Output, 16);
	OFF(WHV_X64_CPUID_RESULT2, Mask, 32);

	SIZE(WHV_MSR_ACTION_ENTRY, 8);
	OFF(WHV_MSR_ACTION_ENTRY, Index, 0);
	OFF(WHV_MSR_ACTION_ENTRY, ReadAction, 4);
	OFF(WHV_MSR_ACTION_ENTRY, WriteAction, 5);
	OFF(WHV_MSR_ACTION_ENTRY, Reserved, 6);

	/* the APIC mode and list members overlay offset 0 */
	memset(&prop, 0, sizeof(prop));
	prop.LocalApicEmulationMode = WHvX64LocalApicEmulationModeXApic;
	ck_assert_uint_eq(prop.CpuidExitList[0], 1);
	prop.ProcessorCount = 4;
	ck_assert_uint_eq(RAW(prop), 4);

	SIZE(WHV_VIRTUAL_PROCESSOR_PROPERTY, 16);
	OFF(WHV_VIRTUAL_PROCESSOR_PROPERTY, NumaNode, 8);

	SIZE(WHV_INITIAL_VP_CONTEXT, 224);
	SIZE(WHV_INPUT_VTL, 1);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Memory                                                                    */
/* ------------------------------------------------------------------------ */

START_TEST(test_memory_layout)
{
	WHV_ACCESS_GPA_CONTROLS c;

	SIZE(WHV_TRANSLATE_GVA_RESULT, 8);
	OFF(WHV_TRANSLATE_GVA_RESULT, ResultCode, 0);
	OFF(WHV_TRANSLATE_GVA_RESULT, Reserved, 4);
	SIZE(WHV_TRANSLATE_GVA_2_FLAGS, 8);
	SIZE(WHV_MEMORY_RANGE_ENTRY, 16);
	OFF(WHV_MEMORY_RANGE_ENTRY, SizeInBytes, 8);
	SIZE(WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS, 4);
	SIZE(WHV_ADVISE_GPA_RANGE_POPULATE, 8);
	SIZE(WHV_ADVISE_GPA_RANGE, 8);
	SIZE(WHV_ACCESS_GPA_CONTROLS, 8);
	OFF(WHV_ACCESS_GPA_CONTROLS, CacheType, 0);
	OFF(WHV_ACCESS_GPA_CONTROLS, InputVtl, 4);

	c.AsUINT64 = 0;
	c.CacheType = WHvCacheTypeWriteBack;
	c.InputVtl.TargetVtl = 1;
	c.InputVtl.UseTargetVtl = 1;
	ck_assert_uint_eq(c.AsUINT64, (0x11ull << 32) | 6);

	ck_assert_int_eq(WHV_READ_WRITE_GPA_RANGE_MAX_SIZE, 16);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Exit context                                                              */
/* ------------------------------------------------------------------------ */

START_TEST(test_exit_context_layout)
{
	SIZE(WHV_RUN_VP_EXIT_CONTEXT, 224);
	ALIGN(WHV_RUN_VP_EXIT_CONTEXT, 16);
	OFF(WHV_RUN_VP_EXIT_CONTEXT, ExitReason, 0);
	OFF(WHV_RUN_VP_EXIT_CONTEXT, Reserved, 4);
	OFF(WHV_RUN_VP_EXIT_CONTEXT, VpContext, 8);

	/* every union member starts at 48 */
	OFF(WHV_RUN_VP_EXIT_CONTEXT, MemoryAccess, 48);
	OFF(WHV_RUN_VP_EXIT_CONTEXT, IoPortAccess, 48);
	OFF(WHV_RUN_VP_EXIT_CONTEXT, MsrAccess, 48);
	OFF(WHV_RUN_VP_EXIT_CONTEXT, CpuidAccess, 48);
	OFF(WHV_RUN_VP_EXIT_CONTEXT, VpException, 48);
	OFF(WHV_RUN_VP_EXIT_CONTEXT, InterruptWindow, 48);
	OFF(WHV_RUN_VP_EXIT_CONTEXT, UnsupportedFeature, 48);
	OFF(WHV_RUN_VP_EXIT_CONTEXT, CancelReason, 48);
	OFF(WHV_RUN_VP_EXIT_CONTEXT, ApicEoi, 48);
	OFF(WHV_RUN_VP_EXIT_CONTEXT, ReadTsc, 48);
	OFF(WHV_RUN_VP_EXIT_CONTEXT, ApicSmi, 48);
	OFF(WHV_RUN_VP_EXIT_CONTEXT, Hypercall, 48);
	OFF(WHV_RUN_VP_EXIT_CONTEXT, ApicInitSipi, 48);
	OFF(WHV_RUN_VP_EXIT_CONTEXT, ApicWrite, 48);
	OFF(WHV_RUN_VP_EXIT_CONTEXT, SynicSintDeliverable, 48);
	OFF(WHV_RUN_VP_EXIT_CONTEXT, AsUINT64, 48);

	/* common VP context */
	SIZE(WHV_VP_EXIT_CONTEXT, 40);
	SIZE(WHV_X64_VP_EXIT_CONTEXT, 40);
	OFF(WHV_VP_EXIT_CONTEXT, ExecutionState, 0);
	OFF(WHV_VP_EXIT_CONTEXT, Reserved, 3);
	OFF(WHV_VP_EXIT_CONTEXT, Reserved2, 4);
	OFF(WHV_VP_EXIT_CONTEXT, Cs, 8);
	OFF(WHV_VP_EXIT_CONTEXT, Rip, 24);
	OFF(WHV_VP_EXIT_CONTEXT, Rflags, 32);
	SIZE(WHV_X64_VP_EXECUTION_STATE, 2);

	/* union members */
	SIZE(WHV_MEMORY_ACCESS_CONTEXT, 40);
	OFF(WHV_MEMORY_ACCESS_CONTEXT, InstructionByteCount, 0);
	OFF(WHV_MEMORY_ACCESS_CONTEXT, Reserved, 1);
	OFF(WHV_MEMORY_ACCESS_CONTEXT, InstructionBytes, 4);
	OFF(WHV_MEMORY_ACCESS_CONTEXT, AccessInfo, 20);
	OFF(WHV_MEMORY_ACCESS_CONTEXT, Gpa, 24);
	OFF(WHV_MEMORY_ACCESS_CONTEXT, Gva, 32);
	SIZE(WHV_MEMORY_ACCESS_INFO, 4);

	SIZE(WHV_X64_IO_PORT_ACCESS_CONTEXT, 96);
	OFF(WHV_X64_IO_PORT_ACCESS_CONTEXT, InstructionByteCount, 0);
	OFF(WHV_X64_IO_PORT_ACCESS_CONTEXT, InstructionBytes, 4);
	OFF(WHV_X64_IO_PORT_ACCESS_CONTEXT, AccessInfo, 20);
	OFF(WHV_X64_IO_PORT_ACCESS_CONTEXT, PortNumber, 24);
	OFF(WHV_X64_IO_PORT_ACCESS_CONTEXT, Reserved2, 26);
	OFF(WHV_X64_IO_PORT_ACCESS_CONTEXT, Rax, 32);
	OFF(WHV_X64_IO_PORT_ACCESS_CONTEXT, Rcx, 40);
	OFF(WHV_X64_IO_PORT_ACCESS_CONTEXT, Rsi, 48);
	OFF(WHV_X64_IO_PORT_ACCESS_CONTEXT, Rdi, 56);
	OFF(WHV_X64_IO_PORT_ACCESS_CONTEXT, Ds, 64);
	OFF(WHV_X64_IO_PORT_ACCESS_CONTEXT, Es, 80);
	SIZE(WHV_X64_IO_PORT_ACCESS_INFO, 4);

	SIZE(WHV_X64_MSR_ACCESS_CONTEXT, 24);
	OFF(WHV_X64_MSR_ACCESS_CONTEXT, AccessInfo, 0);
	OFF(WHV_X64_MSR_ACCESS_CONTEXT, MsrNumber, 4);
	OFF(WHV_X64_MSR_ACCESS_CONTEXT, Rax, 8);
	OFF(WHV_X64_MSR_ACCESS_CONTEXT, Rdx, 16);

	SIZE(WHV_X64_CPUID_ACCESS_CONTEXT, 64);
	OFF(WHV_X64_CPUID_ACCESS_CONTEXT, Rax, 0);
	OFF(WHV_X64_CPUID_ACCESS_CONTEXT, Rcx, 8);
	OFF(WHV_X64_CPUID_ACCESS_CONTEXT, Rdx, 16);
	OFF(WHV_X64_CPUID_ACCESS_CONTEXT, Rbx, 24);
	OFF(WHV_X64_CPUID_ACCESS_CONTEXT, DefaultResultRax, 32);
	OFF(WHV_X64_CPUID_ACCESS_CONTEXT, DefaultResultRbx, 56);

	SIZE(WHV_VP_EXCEPTION_CONTEXT, 40);
	OFF(WHV_VP_EXCEPTION_CONTEXT, InstructionBytes, 4);
	OFF(WHV_VP_EXCEPTION_CONTEXT, ExceptionInfo, 20);
	OFF(WHV_VP_EXCEPTION_CONTEXT, ExceptionType, 24);
	OFF(WHV_VP_EXCEPTION_CONTEXT, Reserved2, 25);
	OFF(WHV_VP_EXCEPTION_CONTEXT, ErrorCode, 28);
	OFF(WHV_VP_EXCEPTION_CONTEXT, ExceptionParameter, 32);
	SIZE(WHV_VP_EXCEPTION_INFO, 4);

	SIZE(WHV_X64_INTERRUPTION_DELIVERABLE_CONTEXT, 4);
	SIZE(WHV_X64_UNSUPPORTED_FEATURE_CONTEXT, 16);
	OFF(WHV_X64_UNSUPPORTED_FEATURE_CONTEXT, Reserved, 4);
	OFF(WHV_X64_UNSUPPORTED_FEATURE_CONTEXT, FeatureParameter, 8);
	SIZE(WHV_RUN_VP_CANCELED_CONTEXT, 4);
	SIZE(WHV_X64_APIC_EOI_CONTEXT, 4);

	SIZE(WHV_X64_RDTSC_CONTEXT, 40);
	OFF(WHV_X64_RDTSC_CONTEXT, TscAux, 0);
	OFF(WHV_X64_RDTSC_CONTEXT, VirtualOffset, 8);
	OFF(WHV_X64_RDTSC_CONTEXT, Tsc, 16);
	OFF(WHV_X64_RDTSC_CONTEXT, ReferenceTime, 24);
	OFF(WHV_X64_RDTSC_CONTEXT, RdtscInfo, 32);
	SIZE(WHV_X64_RDTSC_INFO, 8);

	SIZE(WHV_X64_APIC_SMI_CONTEXT, 8);
	SIZE(WHV_X64_APIC_INIT_SIPI_CONTEXT, 8);
	SIZE(WHV_X64_APIC_WRITE_CONTEXT, 16);
	OFF(WHV_X64_APIC_WRITE_CONTEXT, Type, 0);
	OFF(WHV_X64_APIC_WRITE_CONTEXT, WriteValue, 8);
	SIZE(WHV_SYNIC_SINT_DELIVERABLE_CONTEXT, 8);
	OFF(WHV_SYNIC_SINT_DELIVERABLE_CONTEXT, Reserved2, 4);

	SIZE(WHV_HYPERCALL_CONTEXT, 176);
	SIZE(WHV_X64_HYPERCALL_CONTEXT, 176);
	OFF(WHV_HYPERCALL_CONTEXT, Rax, 0);
	OFF(WHV_HYPERCALL_CONTEXT, Rbx, 8);
	OFF(WHV_HYPERCALL_CONTEXT, R8, 32);
	OFF(WHV_HYPERCALL_CONTEXT, Rdi, 48);
	OFF(WHV_HYPERCALL_CONTEXT, Reserved0, 56);
	OFF(WHV_HYPERCALL_CONTEXT, XmmRegisters, 64);
	OFF(WHV_HYPERCALL_CONTEXT, Reserved1, 160);
	ck_assert_int_eq(WHV_HYPERCALL_CONTEXT_MAX_XMM_REGISTERS, 6);
}
END_TEST

START_TEST(test_exit_context_bits)
{
	WHV_RUN_VP_EXIT_CONTEXT ctx;
	WHV_X64_VP_EXECUTION_STATE es;
	WHV_MEMORY_ACCESS_INFO mi;
	WHV_X64_IO_PORT_ACCESS_INFO io;
	WHV_VP_EXCEPTION_INFO xi;
	WHV_X64_MSR_ACCESS_INFO msr;
	WHV_X64_RDTSC_INFO ri;
	const uint8_t *b = (const uint8_t *)&ctx;

	es.AsUINT16 = 0;
	es.Cpl = 3;
	ck_assert_uint_eq(es.AsUINT16, 0x0003);
	es.AsUINT16 = 0;
	es.Cr0Pe = 1;
	ck_assert_uint_eq(es.AsUINT16, 0x0004);
	es.AsUINT16 = 0;
	es.Cr0Am = 1;
	ck_assert_uint_eq(es.AsUINT16, 0x0008);
	es.AsUINT16 = 0;
	es.EferLma = 1;
	ck_assert_uint_eq(es.AsUINT16, 0x0010);
	es.AsUINT16 = 0;
	es.DebugActive = 1;
	ck_assert_uint_eq(es.AsUINT16, 0x0020);
	es.AsUINT16 = 0;
	es.InterruptionPending = 1;
	ck_assert_uint_eq(es.AsUINT16, 0x0040);
	es.AsUINT16 = 0;
	es.InterruptShadow = 1;
	ck_assert_uint_eq(es.AsUINT16, 0x1000);

	/* InstructionLength:4 | Cr8:4 share byte 2 of the VP context (byte 10 overall) */
	memset(&ctx, 0, sizeof(ctx));
	ctx.VpContext.InstructionLength = 0xF;
	ck_assert_uint_eq(b[10], 0x0F);
	ctx.VpContext.InstructionLength = 0;
	ctx.VpContext.Cr8 = 0xF;
	ck_assert_uint_eq(b[10], 0xF0);

	memset(&ctx, 0, sizeof(ctx));
	ctx.ExitReason = WHvRunVpExitReasonX64IoPortAccess;
	ctx.VpContext.Rip = 0x1122334455667788ull;
	ctx.IoPortAccess.PortNumber = 0x3F8;
	ck_assert_uint_eq(raw64(b + 0, 4), 2);
	ck_assert_uint_eq(raw64(b + 32, 8), 0x1122334455667788ull);
	ck_assert_uint_eq(raw64(b + 48 + 24, 2), 0x3F8);

	mi.AsUINT32 = 0;
	mi.AccessType = WHvMemoryAccessExecute;
	ck_assert_uint_eq(mi.AsUINT32, 2);
	mi.AsUINT32 = 0;
	mi.GpaUnmapped = 1;
	ck_assert_uint_eq(mi.AsUINT32, 4);
	mi.AsUINT32 = 0;
	mi.GvaValid = 1;
	ck_assert_uint_eq(mi.AsUINT32, 8);

	io.AsUINT32 = 0;
	io.IsWrite = 1;
	ck_assert_uint_eq(io.AsUINT32, 1);
	io.AsUINT32 = 0;
	io.AccessSize = 4;
	ck_assert_uint_eq(io.AsUINT32, 4u << 1);
	io.AsUINT32 = 0;
	io.StringOp = 1;
	ck_assert_uint_eq(io.AsUINT32, 1u << 4);
	io.AsUINT32 = 0;
	io.RepPrefix = 1;
	ck_assert_uint_eq(io.AsUINT32, 1u << 5);

	xi.AsUINT32 = 0;
	xi.ErrorCodeValid = 1;
	ck_assert_uint_eq(xi.AsUINT32, 1);
	xi.AsUINT32 = 0;
	xi.SoftwareException = 1;
	ck_assert_uint_eq(xi.AsUINT32, 2);

	msr.AsUINT32 = 0;
	msr.IsWrite = 1;
	ck_assert_uint_eq(msr.AsUINT32, 1);

	ri.AsUINT64 = 0;
	ri.IsRdtscp = 1;
	ck_assert_uint_eq(ri.AsUINT64, 1);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Interrupts, doorbells, counters, state                                    */
/* ------------------------------------------------------------------------ */

START_TEST(test_interrupt_control)
{
	WHV_INTERRUPT_CONTROL ic;
	WHV_DOORBELL_MATCH_DATA db;

	SIZE(WHV_INTERRUPT_CONTROL, 16);
	OFF(WHV_INTERRUPT_CONTROL, Destination, 8);
	OFF(WHV_INTERRUPT_CONTROL, Vector, 12);

	memset(&ic, 0, sizeof(ic));
	ic.Type = WHvX64InterruptTypeLocalInt1;                    /* bits 0-7 */
	ck_assert_uint_eq(RAW(ic), 9);
	memset(&ic, 0, sizeof(ic));
	ic.DestinationMode = WHvX64InterruptDestinationModeLogical; /* bits 8-11 */
	ck_assert_uint_eq(RAW(ic), 1u << 8);
	memset(&ic, 0, sizeof(ic));
	ic.TriggerMode = WHvX64InterruptTriggerModeLevel;          /* bits 12-15 */
	ck_assert_uint_eq(RAW(ic), 1u << 12);
	memset(&ic, 0, sizeof(ic));
	ic.TargetVtl = 0xFF;                                       /* bits 16-23 */
	ck_assert_uint_eq(RAW(ic), 0xFFu << 16);
	memset(&ic, 0, sizeof(ic));
	ic.Destination = 0xAABBCCDD;
	ic.Vector = 0x41;
	ck_assert_uint_eq(raw64_hi(&ic), (0x41ull << 32) | 0xAABBCCDD);

	SIZE(WHV_DOORBELL_MATCH_DATA, 24);
	OFF(WHV_DOORBELL_MATCH_DATA, GuestAddress, 0);
	OFF(WHV_DOORBELL_MATCH_DATA, Value, 8);
	OFF(WHV_DOORBELL_MATCH_DATA, Length, 16);
	memset(&db, 0, sizeof(db));
	db.MatchOnLength = 1;
	ck_assert_uint_eq(raw64((const uint8_t *)&db + 20, 4), 2);
}
END_TEST

START_TEST(test_counters_and_state)
{
	SIZE(WHV_PARTITION_MEMORY_COUNTERS, 24);
	SIZE(WHV_PROCESSOR_RUNTIME_COUNTERS, 16);
	SIZE(WHV_PROCESSOR_INTERCEPT_COUNTER, 16);
	SIZE(WHV_PROCESSOR_ACTIVITY_COUNTERS, 224);
	OFF(WHV_PROCESSOR_ACTIVITY_COUNTERS, PageFaultIntercepts, 160);
	OFF(WHV_PROCESSOR_ACTIVITY_COUNTERS, RdpmcInstructions, 208);
	SIZE(WHV_PROCESSOR_GUEST_EVENT_COUNTERS, 24);
	SIZE(WHV_PROCESSOR_APIC_COUNTERS, 40);
	SIZE(WHV_PROCESSOR_SYNTHETIC_FEATURES_COUNTERS, 48);
	SIZE(WHV_VTL_PERMISSION_SET, 4);

	SIZE(WHV_NESTED_ENLIGHTENMENTS_CONTROL, 8);
	SIZE(WHV_X64_VMX_NESTED_STATE, 8192);
	OFF(WHV_X64_VMX_NESTED_STATE, VmcsBytes, 4096);
	SIZE(WHV_SVM_VMCB_SELECTOR, 16);
	ALIGN(WHV_SVM_VMCB_SELECTOR, 1);
	SIZE(WHV_SVM_NESTED_HOST_STATE, 216);
	SIZE(WHV_X64_SVM_NESTED_STATE, 8192);
	OFF(WHV_X64_SVM_NESTED_STATE, HostState, 48);
	OFF(WHV_X64_SVM_NESTED_STATE, VmcbBytes, 4096);
	SIZE(WHV_X64_NESTED_STATE, 8192);

	SIZE(WHV_SYNIC_EVENT_PARAMETERS, 8);
	OFF(WHV_SYNIC_EVENT_PARAMETERS, TargetSint, 4);
	OFF(WHV_SYNIC_EVENT_PARAMETERS, FlagNumber, 6);
	SIZE(WHV_SRIOV_RESOURCE_DESCRIPTOR, 412);
	SIZE(WHV_VPCI_DEVICE_NOTIFICATION, 16);
	SIZE(WHV_VPCI_HARDWARE_IDS, 12);
	SIZE(WHV_VPCI_PROBED_BARS, 24);
	SIZE(WHV_VPCI_MMIO_MAPPING, 32);
	SIZE(WHV_VPCI_DEVICE_REGISTER, 16);
	SIZE(WHV_VPCI_INTERRUPT_TARGET, 16);
	SIZE(WHV_TRIGGER_PARAMETERS, 32);
	OFF(WHV_TRIGGER_PARAMETERS, Interrupt, 8);
	OFF(WHV_TRIGGER_PARAMETERS, DeviceInterrupt, 8);
	SIZE(WHV_NOTIFICATION_PORT_PARAMETERS, 32);
	OFF(WHV_NOTIFICATION_PORT_PARAMETERS, ConnectionVtl, 7);
	OFF(WHV_NOTIFICATION_PORT_PARAMETERS, Doorbell, 8);
	OFF(WHV_NOTIFICATION_PORT_PARAMETERS, Event, 8);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Emulator                                                                  */
/* ------------------------------------------------------------------------ */

START_TEST(test_emulator_layout)
{
	WHV_EMULATOR_STATUS st;

	SIZE(WHV_EMULATOR_CALLBACKS, 48);
	OFF(WHV_EMULATOR_CALLBACKS, Size, 0);
	OFF(WHV_EMULATOR_CALLBACKS, Reserved, 4);
	OFF(WHV_EMULATOR_CALLBACKS, WHvEmulatorIoPortCallback, 8);
	OFF(WHV_EMULATOR_CALLBACKS, WHvEmulatorMemoryCallback, 16);
	OFF(WHV_EMULATOR_CALLBACKS, WHvEmulatorGetVirtualProcessorRegisters, 24);
	OFF(WHV_EMULATOR_CALLBACKS, WHvEmulatorSetVirtualProcessorRegisters, 32);
	OFF(WHV_EMULATOR_CALLBACKS, WHvEmulatorTranslateGvaPage, 40);

	SIZE(WHV_EMULATOR_IO_ACCESS_INFO, 12);
	OFF(WHV_EMULATOR_IO_ACCESS_INFO, Direction, 0);
	OFF(WHV_EMULATOR_IO_ACCESS_INFO, Port, 2);
	OFF(WHV_EMULATOR_IO_ACCESS_INFO, AccessSize, 4);
	OFF(WHV_EMULATOR_IO_ACCESS_INFO, Data, 8);

	SIZE(WHV_EMULATOR_MEMORY_ACCESS_INFO, 24);
	OFF(WHV_EMULATOR_MEMORY_ACCESS_INFO, GpaAddress, 0);
	OFF(WHV_EMULATOR_MEMORY_ACCESS_INFO, Direction, 8);
	OFF(WHV_EMULATOR_MEMORY_ACCESS_INFO, AccessSize, 9);
	OFF(WHV_EMULATOR_MEMORY_ACCESS_INFO, Data, 10);

	SIZE(WHV_EMULATOR_STATUS, 4);
	st.AsUINT32 = 0;
	st.EmulationSuccessful = 1;
	ck_assert_uint_eq(st.AsUINT32, 1u << 0);
	st.AsUINT32 = 0;
	st.MemoryCallbackFailed = 1;
	ck_assert_uint_eq(st.AsUINT32, 1u << 3);
	st.AsUINT32 = 0;
	st.TranslateGvaPageCallbackGpaIsNotAligned = 1;
	ck_assert_uint_eq(st.AsUINT32, 1u << 5);
	st.AsUINT32 = 0;
	st.GuestCannotBeFaulted = 1;
	ck_assert_uint_eq(st.AsUINT32, 1u << 9);
}
END_TEST

/*
 * Entry points carry the expected types.  Checked with __typeof__ so that no
 * reference to the (unlinked) library is emitted.
 */
#define SAME_TYPE(fn, type) \
	__builtin_types_compatible_p(__typeof__(&(fn)), type)

START_TEST(test_prototypes)
{
	ck_assert(SAME_TYPE(WHvRunVirtualProcessor,
			    HRESULT (*)(WHV_PARTITION_HANDLE, UINT32, VOID *, UINT32)));
	ck_assert(SAME_TYPE(WHvMapGpaRange,
			    HRESULT (*)(WHV_PARTITION_HANDLE, VOID *, WHV_GUEST_PHYSICAL_ADDRESS,
					UINT64, WHV_MAP_GPA_RANGE_FLAGS)));
	ck_assert(SAME_TYPE(WHvGetVirtualProcessorRegisters,
			    HRESULT (*)(WHV_PARTITION_HANDLE, UINT32, const WHV_REGISTER_NAME *,
					UINT32, WHV_REGISTER_VALUE *)));
	ck_assert(SAME_TYPE(WHvEmulatorTryIoEmulation,
			    HRESULT (*)(WHV_EMULATOR_HANDLE, VOID *, const WHV_VP_EXIT_CONTEXT *,
					const WHV_X64_IO_PORT_ACCESS_CONTEXT *,
					WHV_EMULATOR_STATUS *)));
	ck_assert(SAME_TYPE(WHvGetRunContextBufferSize, UINT32 (*)(void)));
	ck_assert(SAME_TYPE(WHvGetRunExitContextSize, UINT32 (*)(void)));
	ck_assert(!SAME_TYPE(WHvGetRunExitContextSize, HRESULT (*)(void)));

	/* Structures passed by value. */
	ck_assert(SAME_TYPE(WHvSignalVirtualProcessorSynicEvent,
			    HRESULT (*)(WHV_PARTITION_HANDLE, WHV_SYNIC_EVENT_PARAMETERS, BOOL *)));
	ck_assert(SAME_TYPE(WHvReadGpaRange,
			    HRESULT (*)(WHV_PARTITION_HANDLE, UINT32, WHV_GUEST_PHYSICAL_ADDRESS,
					WHV_ACCESS_GPA_CONTROLS, PVOID, UINT32)));
	ck_assert(SAME_TYPE(WHvSetNotificationPortProperty,
			    HRESULT (*)(WHV_PARTITION_HANDLE, WHV_NOTIFICATION_PORT_HANDLE,
					WHV_NOTIFICATION_PORT_PROPERTY_CODE,
					WHV_NOTIFICATION_PORT_PROPERTY)));
	ck_assert(SAME_TYPE(WHvSetVpciDevicePowerState,
			    HRESULT (*)(WHV_PARTITION_HANDLE, UINT64, DEVICE_POWER_STATE)));
	ck_assert(SAME_TYPE(WHvMapVpciDeviceMmioRanges,
			    HRESULT (*)(WHV_PARTITION_HANDLE, UINT64, UINT32 *,
					WHV_VPCI_MMIO_MAPPING **)));
	/* Declared without WINAPI by Microsoft; the same on x86-64. */
	ck_assert(SAME_TYPE(WHvCancelPartitionMigration, HRESULT (*)(WHV_PARTITION_HANDLE)));
	ck_assert(SAME_TYPE(WHvAcceptPartitionMigration,
			    HRESULT (*)(HANDLE, WHV_PARTITION_HANDLE *)));
	/* The query routines. */
	ck_assert(SAME_TYPE(IsWHvGetCapabilityPresent, BOOLEAN (*)(void)));
	ck_assert(SAME_TYPE(IsWHvTranslateGvaPresent, BOOLEAN (*)(void)));
	ck_assert(SAME_TYPE(IsWHvAcceptPartitionMigrationPresent, BOOLEAN (*)(void)));
}
END_TEST

static Suite *layout_suite(void)
{
	Suite *s = suite_create("whv_layout");
	TCase *tc = tcase_create("abi");

	tcase_add_test(tc, test_base_types);
	tcase_add_test(tc, test_hresults);
	tcase_add_test(tc, test_enum_values);
	tcase_add_test(tc, test_register_value_layout);
	tcase_add_test(tc, test_segment_attribute_bits);
	tcase_add_test(tc, test_pending_interruption_bits);
	tcase_add_test(tc, test_event_register_bits);
	tcase_add_test(tc, test_capability_layout);
	tcase_add_test(tc, test_partition_property_layout);
	tcase_add_test(tc, test_memory_layout);
	tcase_add_test(tc, test_exit_context_layout);
	tcase_add_test(tc, test_exit_context_bits);
	tcase_add_test(tc, test_interrupt_control);
	tcase_add_test(tc, test_counters_and_state);
	tcase_add_test(tc, test_emulator_layout);
	tcase_add_test(tc, test_prototypes);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(layout_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
