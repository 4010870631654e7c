// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * cxx_compile.cc - the libwhv headers must be usable from C++ (Microsoft's
 * own WHv sample is C++).  Syntax check only:
 *   g++ -std=c++17 -Wall -Wextra -Werror -I lib/libwhv/include \
 *       -fsyntax-only lib/libwhv/tests/cxx_compile.cc
 */
#include <cstddef>
#include <type_traits>

// The optional <windows.h> stand-in first, as samples include it first.
#include <compat/windows.h>
#include <compat/Windows.h>
#include <WinHvPlatform.h>
#include <WinHvEmulation.h>
#include <WinHvPlatformDefs.h>
#include <winhvplatform.h>
#include <winhvemulation.h>
#include <winhvplatformdefs.h>
// Standard headers still compile after compat's IN/OUT/CONST macros.
#include <map>
#include <mutex>
#include <string>
#include <vector>

static_assert(sizeof(WHV_RUN_VP_EXIT_CONTEXT) == 224, "exit context");
static_assert(offsetof(WHV_RUN_VP_EXIT_CONTEXT, VpContext) == 8, "VpContext");
static_assert(offsetof(WHV_RUN_VP_EXIT_CONTEXT, MemoryAccess) == 48, "exit union");
static_assert(alignof(WHV_RUN_VP_EXIT_CONTEXT) == 16, "exit context alignment");
static_assert(sizeof(WHV_VP_EXIT_CONTEXT) == 40, "VP context");
static_assert(sizeof(WHV_X64_IO_PORT_ACCESS_CONTEXT) == 96, "I/O context");
static_assert(sizeof(WHV_MEMORY_ACCESS_CONTEXT) == 40, "MMIO context");
static_assert(sizeof(WHV_REGISTER_VALUE) == 16 && alignof(WHV_REGISTER_VALUE) == 16,
	      "register value");
static_assert(sizeof(WHV_X64_SEGMENT_REGISTER) == 16, "segment");
static_assert(sizeof(WHV_PARTITION_PROPERTY) == 48, "partition property");
static_assert(sizeof(WHV_CAPABILITY) == 24, "capability");
static_assert(sizeof(WHV_X64_CPUID_RESULT) == 32, "CPUID result");
static_assert(sizeof(WHV_INTERRUPT_CONTROL) == 16, "interrupt control");
static_assert(sizeof(WHV_EMULATOR_CALLBACKS) == 48, "emulator callbacks");
static_assert(sizeof(WHV_EMULATOR_IO_ACCESS_INFO) == 12, "emulator I/O info");
static_assert(sizeof(WHV_EMULATOR_MEMORY_ACCESS_INFO) == 24, "emulator memory info");
static_assert(sizeof(WHV_REGISTER_NAME) == 4, "register name enum");
static_assert(WHvRunVpExitReasonCanceled == 0x2001, "exit reason value");
static_assert(static_cast<UINT32>(WHvRegisterPendingInterruption) == 0x80000000u,
	      "event register value");
static_assert(E_INVALIDARG == static_cast<HRESULT>(0x80070057u), "E_INVALIDARG");
static_assert(HRESULT_FROM_WIN32(ERROR_INVALID_STATE) == static_cast<HRESULT>(0x8007139Fu),
	      "HRESULT_FROM_WIN32");

// The entry points have C linkage and the documented types.
static_assert(std::is_same<decltype(&WHvRunVirtualProcessor),
	      HRESULT (*)(WHV_PARTITION_HANDLE, UINT32, VOID *, UINT32)>::value,
	      "WHvRunVirtualProcessor");
static_assert(std::is_same<decltype(&WHvGetRunExitContextSize), UINT32 (*)(void)>::value,
	      "WHvGetRunExitContextSize");

static_assert(std::is_same<decltype(&IsWHvTranslateGvaPresent), BOOLEAN (*)(void)>::value,
	      "query routine");
static_assert(std::is_same<decltype(&WHvSignalVirtualProcessorSynicEvent),
	      HRESULT (*)(WHV_PARTITION_HANDLE, WHV_SYNIC_EVENT_PARAMETERS, BOOL *)>::value,
	      "WHvSignalVirtualProcessorSynicEvent");
static_assert(sizeof(WHV_TRIGGER_PARAMETERS) == 32, "trigger parameters");
static_assert(offsetof(WHV_NOTIFICATION_PORT_PARAMETERS, Doorbell) == 8, "port parameters");
static_assert(sizeof(WHV_VPCI_MMIO_MAPPING) == 32, "vPCI MMIO mapping");
static_assert(sizeof(WHV_X64_NESTED_STATE) == 8192, "nested state");
static_assert(sizeof(SYSTEM_INFO) == 48, "SYSTEM_INFO");
static_assert(std::is_same<DWORD_PTR, ULONG_PTR>::value, "DWORD_PTR");

// Flag enums combine without casts in C++, as with the Windows SDK.
static_assert((WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite) == 3, "flag operators");

static inline WHV_MAP_GPA_RANGE_FLAGS rw_flags()
{
	WHV_MAP_GPA_RANGE_FLAGS f = WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite;
	f |= WHvMapGpaRangeFlagExecute;
	f &= ~WHvMapGpaRangeFlagExecute;
	return f;
}

// Typical client code shapes.
static inline HRESULT sample(WHV_PARTITION_HANDLE part)
{
	WHV_REGISTER_NAME names[] = { WHvX64RegisterRip, WHvX64RegisterCs };
	WHV_REGISTER_VALUE values[2] = {};
	WHV_RUN_VP_EXIT_CONTEXT exit_ctx = {};
	WHV_EMULATOR_CALLBACKS cb = {};
	HRESULT hr;

	cb.Size = sizeof(cb);
	values[1].Segment.Selector = 0xF000;
	values[1].Segment.Attributes = 0x9B;
	hr = WHvSetVirtualProcessorRegisters(part, 0, names, 2, values);
	if (FAILED(hr))
		return hr;
	hr = WHvMapGpaRange(part, nullptr, 0, 0x1000, rw_flags());
	if (FAILED(hr))
		return hr;
	return WHvRunVirtualProcessor(part, 0, &exit_ctx, sizeof(exit_ctx));
}

// Microsoft's sample: reserve the guest's memory, map it, commit pieces.
static inline HRESULT reserve_map_commit(WHV_PARTITION_HANDLE part)
{
	SYSTEM_INFO si;
	const SIZE_T size = 16 * 0x10000;
	void *region, *page;
	HRESULT hr;

	GetSystemInfo(&si);
	region = VirtualAlloc(nullptr, size, MEM_RESERVE, PAGE_NOACCESS);
	if (!region)
		return HRESULT_FROM_WIN32(GetLastError());
	hr = WHvMapGpaRange(part, region, 0, size,
			    WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite |
			    WHvMapGpaRangeFlagExecute);
	page = VirtualAlloc(region, si.dwPageSize, MEM_COMMIT, PAGE_READWRITE);
	if (page)
		ZeroMemory(page, si.dwPageSize);
	VirtualFree(region, 0, MEM_RELEASE);
	return hr;
}

// Entry points that are stubs still compile and link as in a WHPX program.
static inline HRESULT optional_features(WHV_PARTITION_HANDLE part)
{
	WHV_TRIGGER_PARAMETERS trigger = {};
	WHV_TRIGGER_HANDLE trigger_handle = nullptr;
	HANDLE event = INVALID_HANDLE_VALUE;
	WHV_SYNIC_EVENT_PARAMETERS synic = {};
	WHV_ACCESS_GPA_CONTROLS controls = {};
	BOOL signaled = FALSE;
	UINT8 data[WHV_READ_WRITE_GPA_RANGE_MAX_SIZE] = {};

	trigger.TriggerType = WHvTriggerTypeInterrupt;
	trigger.Interrupt.Type = WHvX64InterruptTypeFixed;
	trigger.Interrupt.Vector = 0x30;
	if (!IsWHvCreateTriggerPresent())
		return E_NOTIMPL;
	if (FAILED(WHvCreateTrigger(part, &trigger, &trigger_handle, &event)))
		return E_FAIL;
	controls.CacheType = WHvCacheTypeWriteBack;
	if (FAILED(WHvReadGpaRange(part, 0, 0, controls, data, _countof(data))))
		return E_FAIL;
	synic.TargetSint = 2;
	return WHvSignalVirtualProcessorSynicEvent(part, synic, &signaled);
}

int __cdecl main(int argc, char **argv)
{
	UNREFERENCED_PARAMETER(argc);
	UNREFERENCED_PARAMETER(argv);
	return sample(nullptr) == S_OK && reserve_map_commit(nullptr) == S_OK &&
	       optional_features(nullptr) == S_OK ? 0 : 1;
}
