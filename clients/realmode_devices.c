// SPDX-License-Identifier: GPL-2.0
/*
 * realmode_devices.c - a WHPX virtual machine monitor written the way it is
 * written on Windows, run against libwhv.
 *
 * The guest is a 16-bit "BIOS" in a ROM at F000:0000 that the virtual
 * processor reaches from its reset vector. The VMM gives it devices and
 * completes every I/O and MMIO exit through the WHv instruction emulator
 * (WHvEmulatorTryIoEmulation / WHvEmulatorTryMmioEmulation), whose five
 * callbacks end in the VMM's device models, in WHvGet/SetVirtualProcessor-
 * Registers and in WHvTranslateGva:
 *
 *   port 0xE9         debug console (OUT, REP OUTSB)
 *   port 0x510/0x511  a test port: writes logged, reads of 1/2/4 bytes
 *   port 0x512/0x513  byte and word streams (REP INSB, REP INSW)
 *   ports 0x70/0x71   CMOS index/data (the imm8 forms of OUT and IN)
 *   GPA 0xA0000       a 4 KiB MMIO device, not mapped: an ID register,
 *                     scratch registers and a buffer (MOV of 1/2/4 bytes,
 *                     OR/ADD read-modify-writes, REP MOVS both ways)
 *   GPA 0xF0000       the ROM, mapped read/execute: writes exit and are
 *                     dropped by the memory callback
 *
 * Each scenario starts at an entry point of the ROM and ends with HLT; the
 * guest leaves what it saw in RAM, the devices log what they saw, and the
 * VMM checks both. Output is TAP; the exit status is non-zero on failure.
 *
 * Nothing here is Linux-specific: with the Windows SDK it builds as
 *   cl realmode_devices.c WinHvPlatform.lib WinHvEmulation.lib
 * and against libwhv as
 *   cc -I lib/libwhv/include -I lib/libwhv/include/compat \
 *      realmode_devices.c lib/libwhv/libwhv.a -lpthread
 */
#include <windows.h>
#include <WinHvPlatform.h>
#include <WinHvEmulation.h>
#include <stdio.h>
#include <string.h>

/* Guest-physical memory map. */
#define MEMORY_SIZE	0x100000	/* one allocation backs RAM and ROM */
#define RAM_SIZE	0xA0000		/* GPA 0 - 0x9FFFF: RAM */
#define DEVICE_GPA	0xA0000		/* GPA 0xA0000 - 0xA0FFF: MMIO device */
#define DEVICE_SIZE	0x1000
#define ROM_GPA		0xF0000		/* GPA 0xF0000 - 0xFFFFF: ROM */
#define ROM_SIZE	0x10000
#define RESET_VECTOR	0xFFFF0

/* What the RAM holds for the guest. */
#define RESULTS		0x500		/* values the guest read */
#define INSB_BUFFER	0x600
#define INSW_BUFFER	0x610
#define MOVS_SOURCE	0x700
#define MOVS_TARGET	0x720
#define STACK_TOP	0x7000

/* The device's registers. */
#define DEV_ID		0x00		/* read-only */
#define DEV_ID_VALUE	0x44564857	/* "WHVD" */
#define DEV_CTRL	0x10
#define DEV_COUNT	0x14
#define DEV_BUFFER	0x100

/*
 * The ROM (F000:0000), assembled by hand. Entry points are the labels
 * below; the reset vector at F000:FFF0 jumps to boot.
 */
#define ENTRY_PORT_IO	0x001C
#define ENTRY_STRING_IO	0x0055
#define ENTRY_MMIO	0x008D
#define ENTRY_MMIO_MOVS	0x00EE
#define ENTRY_ROM_WRITE	0x0111
#define ROM_BYTE	0x011F
#define BANNER		0x0136

static const UINT8 RomCode[] = {
	/* Scenario 1, from the reset vector: set up, print a greeting (OUT). */
	/* boot: */
	/* 0000 */ 0x31, 0xC0,					/* xor ax, ax */
	/* 0002 */ 0x8E, 0xD8,					/* mov ds, ax */
	/* 0004 */ 0x8E, 0xC0,					/* mov es, ax */
	/* 0006 */ 0x8E, 0xD0,					/* mov ss, ax */
	/* 0008 */ 0xBC, 0x00, 0x70,				/* mov sp, 0x7000 */
	/* 000B */ 0xFC,					/* cld */
	/* 000C */ 0xBE, 0x20, 0x01,				/* mov si, offset greeting */
	/* 000F */ 0xBA, 0xE9, 0x00,				/* mov dx, 0xE9 */
	/* next_char: */
	/* 0012 */ 0x2E, 0xAC,					/* lods al, byte ptr cs:[si] */
	/* 0014 */ 0x84, 0xC0,					/* test al, al */
	/* 0016 */ 0x74, 0x03,					/* jz greeted */
	/* 0018 */ 0xEE,					/* out dx, al */
	/* 0019 */ 0xEB, 0xF7,					/* jmp next_char */
	/* greeted: */
	/* 001B */ 0xF4,					/* hlt */

	/* Scenario 2: port I/O, every size, DX and imm8 forms. */
	/* port_io: */
	/* 001C */ 0xBA, 0x10, 0x05,				/* mov dx, 0x510 */
	/* 001F */ 0xB0, 0xA5,					/* mov al, 0xA5 */
	/* 0021 */ 0xEE,					/* out dx, al */
	/* 0022 */ 0xB8, 0xEF, 0xBE,				/* mov ax, 0xBEEF */
	/* 0025 */ 0xEF,					/* out dx, ax */
	/* 0026 */ 0x66, 0xB8, 0xEF, 0xBE, 0xAD, 0xDE,		/* mov eax, 0xDEADBEEF */
	/* 002C */ 0x66, 0xEF,					/* out dx, eax */
	/* 002E */ 0x42,					/* inc dx */
	/* 002F */ 0x66, 0xB8, 0x44, 0x33, 0x22, 0x11,		/* mov eax, 0x11223344 */
	/* 0035 */ 0xEC,					/* in al, dx */
	/* 0036 */ 0x66, 0xA3, 0x00, 0x05,			/* mov dword ptr [0x500], eax */
	/* 003A */ 0x66, 0xB8, 0x44, 0x33, 0x22, 0x11,		/* mov eax, 0x11223344 */
	/* 0040 */ 0xED,					/* in ax, dx */
	/* 0041 */ 0x66, 0xA3, 0x04, 0x05,			/* mov dword ptr [0x504], eax */
	/* 0045 */ 0x66, 0xED,					/* in eax, dx */
	/* 0047 */ 0x66, 0xA3, 0x08, 0x05,			/* mov dword ptr [0x508], eax */
	/* 004B */ 0xB0, 0x0B,					/* mov al, 0x0B */
	/* 004D */ 0xE6, 0x70,					/* out 0x70, al */
	/* 004F */ 0xE4, 0x71,					/* in al, 0x71 */
	/* 0051 */ 0xA2, 0x0C, 0x05,				/* mov byte ptr [0x50C], al */
	/* 0054 */ 0xF4,					/* hlt */

	/* Scenario 3: string I/O, REP OUTSB from ROM, REP INSB and INSW to RAM. */
	/* string_io: */
	/* 0055 */ 0x0E,					/* push cs */
	/* 0056 */ 0x1F,					/* pop ds */
	/* 0057 */ 0xBE, 0x36, 0x01,				/* mov si, offset banner */
	/* 005A */ 0xB9, 0x17, 0x00,				/* mov cx, banner_end - banner */
	/* 005D */ 0xBA, 0xE9, 0x00,				/* mov dx, 0xE9 */
	/* 0060 */ 0xF3, 0x6E,					/* rep outsb */
	/* 0062 */ 0x06,					/* push es */
	/* 0063 */ 0x1F,					/* pop ds */
	/* 0064 */ 0x89, 0x36, 0x10, 0x05,			/* mov word ptr [0x510], si */
	/* 0068 */ 0x89, 0x0E, 0x12, 0x05,			/* mov word ptr [0x512], cx */
	/* 006C */ 0xBF, 0x00, 0x06,				/* mov di, 0x600 */
	/* 006F */ 0xB9, 0x08, 0x00,				/* mov cx, 8 */
	/* 0072 */ 0xBA, 0x12, 0x05,				/* mov dx, 0x512 */
	/* 0075 */ 0xF3, 0x6C,					/* rep insb */
	/* 0077 */ 0x89, 0x3E, 0x14, 0x05,			/* mov word ptr [0x514], di */
	/* 007B */ 0x89, 0x0E, 0x16, 0x05,			/* mov word ptr [0x516], cx */
	/* 007F */ 0xBF, 0x10, 0x06,				/* mov di, 0x610 */
	/* 0082 */ 0xB9, 0x04, 0x00,				/* mov cx, 4 */
	/* 0085 */ 0x42,					/* inc dx */
	/* 0086 */ 0xF3, 0x6D,					/* rep insw */
	/* 0088 */ 0x89, 0x3E, 0x18, 0x05,			/* mov word ptr [0x518], di */
	/* 008C */ 0xF4,					/* hlt */

	/* Scenario 4: a device at A000:0000 (GPA 0xA0000, not mapped). */
	/* mmio: */
	/* 008D */ 0xB8, 0x00, 0xA0,				/* mov ax, 0xA000 */
	/* 0090 */ 0x8E, 0xC0,					/* mov es, ax */
	/* 0092 */ 0x26, 0x66, 0xA1, 0x00, 0x00,		/* mov eax, dword ptr es:[0x00] */
	/* 0097 */ 0x66, 0xA3, 0x20, 0x05,			/* mov dword ptr [0x520], eax */
	/* 009B */ 0x26, 0xC6, 0x06, 0x08, 0x00, 0x11,		/* mov byte ptr es:[0x08], 0x11 */
	/* 00A1 */ 0x26, 0xC7, 0x06, 0x0A, 0x00, 0x33, 0x22,	/* mov word ptr es:[0x0A], 0x2233 */
	/* 00A8 */ 0x26, 0x66, 0xC7, 0x06, 0x0C, 0x00, 0x77, 0x66,	/* mov dword ptr es:[0x0C], 0x44556677 */
	/* 00B0 */ 0x55, 0x44,
	/* 00B2 */ 0x26, 0xA0, 0x08, 0x00,			/* mov al, byte ptr es:[0x08] */
	/* 00B6 */ 0xA2, 0x24, 0x05,				/* mov byte ptr [0x524], al */
	/* 00B9 */ 0x26, 0x8B, 0x1E, 0x0A, 0x00,		/* mov bx, word ptr es:[0x0A] */
	/* 00BE */ 0x89, 0x1E, 0x26, 0x05,			/* mov word ptr [0x526], bx */
	/* 00C2 */ 0x26, 0x66, 0x8B, 0x0E, 0x0C, 0x00,		/* mov ecx, dword ptr es:[0x0C] */
	/* 00C8 */ 0x66, 0x89, 0x0E, 0x28, 0x05,		/* mov dword ptr [0x528], ecx */
	/* 00CD */ 0x26, 0x66, 0x81, 0x0E, 0x10, 0x00, 0x01, 0x00,	/* or dword ptr es:[0x10], 0x80000001 */
	/* 00D5 */ 0x00, 0x80,
	/* 00D7 */ 0x26, 0x83, 0x06, 0x14, 0x00, 0x05,		/* add word ptr es:[0x14], 5 */
	/* 00DD */ 0x26, 0x66, 0xA1, 0x10, 0x00,		/* mov eax, dword ptr es:[0x10] */
	/* 00E2 */ 0x66, 0xA3, 0x2C, 0x05,			/* mov dword ptr [0x52C], eax */
	/* 00E6 */ 0x26, 0xA1, 0x14, 0x00,			/* mov ax, word ptr es:[0x14] */
	/* 00EA */ 0xA3, 0x30, 0x05,				/* mov word ptr [0x530], ax */
	/* 00ED */ 0xF4,					/* hlt */

	/* Scenario 5: MOVS from RAM to the device and back. */
	/* mmio_movs: */
	/* 00EE */ 0xB8, 0x00, 0xA0,				/* mov ax, 0xA000 */
	/* 00F1 */ 0x8E, 0xC0,					/* mov es, ax */
	/* 00F3 */ 0xBE, 0x00, 0x07,				/* mov si, 0x700 */
	/* 00F6 */ 0xBF, 0x00, 0x01,				/* mov di, 0x100 */
	/* 00F9 */ 0xB9, 0x08, 0x00,				/* mov cx, 8 */
	/* 00FC */ 0xF3, 0xA5,					/* rep movsw */
	/* 00FE */ 0x06,					/* push es */
	/* 00FF */ 0x1F,					/* pop ds */
	/* 0100 */ 0x31, 0xC0,					/* xor ax, ax */
	/* 0102 */ 0x8E, 0xC0,					/* mov es, ax */
	/* 0104 */ 0xBE, 0x00, 0x01,				/* mov si, 0x100 */
	/* 0107 */ 0xBF, 0x20, 0x07,				/* mov di, 0x720 */
	/* 010A */ 0xB9, 0x04, 0x00,				/* mov cx, 4 */
	/* 010D */ 0x66, 0xF3, 0xA5,				/* rep movsd */
	/* 0110 */ 0xF4,					/* hlt */

	/* Scenario 6: a write to the ROM, then read it back. */
	/* rom_write: */
	/* 0111 */ 0x2E, 0xC6, 0x06, 0x1F, 0x01, 0x99,		/* mov byte ptr cs:[rom_byte], 0x99 */
	/* 0117 */ 0x2E, 0xA0, 0x1F, 0x01,			/* mov al, byte ptr cs:[rom_byte] */
	/* 011B */ 0xA2, 0x40, 0x05,				/* mov byte ptr [0x540], al */
	/* 011E */ 0xF4,					/* hlt */
	/* rom_byte: */
	/* 011F */ 0x5A,					/* db 0x5A */
	/* greeting: */
	/* 0120 */ 0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x20, 0x66, 0x72,	/* db "Hello from real mode\n\0" */
	/* 0128 */ 0x6F, 0x6D, 0x20, 0x72, 0x65, 0x61, 0x6C, 0x20,
	/* 0130 */ 0x6D, 0x6F, 0x64, 0x65, 0x0A, 0x00,
	/* banner: */
	/* 0136 */ 0x52, 0x45, 0x50, 0x20, 0x4F, 0x55, 0x54, 0x53,	/* db "REP OUTSB from the ROM\n" */
	/* 013E */ 0x42, 0x20, 0x66, 0x72, 0x6F, 0x6D, 0x20, 0x74,
	/* 0146 */ 0x68, 0x65, 0x20, 0x52, 0x4F, 0x4D, 0x0A,
	/* banner_end: */
};

/* jmp far F000:0000 (boot), at F000:FFF0 where the processor starts. */
static const UINT8 ResetVector[] = { 0xEA, 0x00, 0x00, 0x00, 0xF0 };

static const char Greeting[] = "Hello from real mode\n";
static const char Banner[] = "REP OUTSB from the ROM\n";

/* One access the device model saw. */
typedef struct _DEVICE_ACCESS {
	UINT32 Offset;
	UINT8 Size;
	BOOL Write;
	UINT64 Value;
} DEVICE_ACCESS;

typedef struct _PORT_WRITE {
	UINT16 Size;
	UINT32 Value;
} PORT_WRITE;

/* The virtual machine: partition, memory, emulator, devices. */
typedef struct _VM {
	WHV_PARTITION_HANDLE Partition;
	WHV_EMULATOR_HANDLE Emulator;
	UINT8 *Memory;

	char Console[256];
	UINT32 ConsoleLength;
	PORT_WRITE PortWrites[8];
	UINT32 PortWriteCount;
	UINT8 ByteStream;
	UINT16 WordStream;
	UINT8 CmosIndex;
	UINT8 Cmos[128];

	UINT8 DeviceRegisters[DEVICE_SIZE];
	DEVICE_ACCESS DeviceLog[64];
	UINT32 DeviceLogCount;
	UINT32 RomWrites;
	UINT32 StrayAccesses;

	UINT32 IoExits;
	UINT32 MmioExits;
} VM;

#define VP_INDEX 0

/* ------------------------------------------------------------------------ */
/* TAP output                                                               */
/* ------------------------------------------------------------------------ */

static int TestCount;
static int FailureCount;

static void Report(BOOL Passed, const char *Description)
{
	TestCount++;
	if (!Passed)
		FailureCount++;
	printf("%s %d - %s\n", Passed ? "ok" : "not ok", TestCount, Description);
}

/* One value of a check: on a mismatch, say so and fail the check. */
static void Expect(BOOL *Passed, const char *What, UINT64 Actual, UINT64 Expected)
{
	if (Actual == Expected)
		return;
	printf("#   %s: 0x%llx, expected 0x%llx\n", What,
	       (unsigned long long)Actual, (unsigned long long)Expected);
	*Passed = FALSE;
}

static UINT64 ReadGuest(const VM *Vm, UINT32 Gpa, UINT32 Size)
{
	UINT64 Value = 0;

	memcpy(&Value, Vm->Memory + Gpa, Size);
	return Value;
}

/* ------------------------------------------------------------------------ */
/* Devices                                                                  */
/* ------------------------------------------------------------------------ */

static void PortIn(VM *Vm, UINT16 Port, UINT16 Size, UINT32 *Data)
{
	switch (Port) {
	case 0x511:
		*Data = Size == 1 ? 0x5A : Size == 2 ? 0x1234 : 0x89ABCDEF;
		break;
	case 0x512:
		*Data = Vm->ByteStream++;
		break;
	case 0x513:
		*Data = Vm->WordStream++;
		break;
	case 0x71:
		*Data = Vm->Cmos[Vm->CmosIndex & 0x7F];
		break;
	default:
		Vm->StrayAccesses++;
		*Data = 0xFFFFFFFF;	/* nothing there: the bus floats */
		break;
	}
}

static void PortOut(VM *Vm, UINT16 Port, UINT16 Size, UINT32 Data)
{
	switch (Port) {
	case 0xE9:
		if (Vm->ConsoleLength + 1 < sizeof(Vm->Console))
			Vm->Console[Vm->ConsoleLength++] = (char)Data;
		break;
	case 0x510:
		if (Vm->PortWriteCount < _countof(Vm->PortWrites)) {
			Vm->PortWrites[Vm->PortWriteCount].Size = Size;
			Vm->PortWrites[Vm->PortWriteCount].Value = Data;
			Vm->PortWriteCount++;
		}
		break;
	case 0x70:
		Vm->CmosIndex = (UINT8)Data;
		break;
	default:
		Vm->StrayAccesses++;
		break;
	}
}

/* The MMIO device: plain registers, except that the ID cannot be written. */
static void DeviceAccess(VM *Vm, UINT32 Offset, UINT8 Size, BOOL Write, UINT8 *Data)
{
	DEVICE_ACCESS *Entry;

	if (Write) {
		if (Offset >= DEV_ID + 4)
			memcpy(Vm->DeviceRegisters + Offset, Data, Size);
	} else {
		memcpy(Data, Vm->DeviceRegisters + Offset, Size);
	}
	if (Vm->DeviceLogCount < _countof(Vm->DeviceLog)) {
		Entry = &Vm->DeviceLog[Vm->DeviceLogCount++];
		Entry->Offset = Offset;
		Entry->Size = Size;
		Entry->Write = Write;
		Entry->Value = 0;
		memcpy(&Entry->Value, Data, Size);
	}
}

static void ResetDevices(VM *Vm)
{
	UINT32 Id = DEV_ID_VALUE, Ctrl = 0x100;
	UINT16 Count = 7;

	memset(Vm->DeviceRegisters, 0, sizeof(Vm->DeviceRegisters));
	memcpy(Vm->DeviceRegisters + DEV_ID, &Id, sizeof(Id));
	memcpy(Vm->DeviceRegisters + DEV_CTRL, &Ctrl, sizeof(Ctrl));
	memcpy(Vm->DeviceRegisters + DEV_COUNT, &Count, sizeof(Count));
	Vm->DeviceLogCount = 0;
	Vm->ByteStream = 0x10;
	Vm->WordStream = 0x1000;
	memset(Vm->Cmos, 0, sizeof(Vm->Cmos));
	Vm->Cmos[0x0B] = 0x42;
}

/* ------------------------------------------------------------------------ */
/* Emulator callbacks                                                       */
/* ------------------------------------------------------------------------ */

static HRESULT CALLBACK EmuIoPortCallback(VOID *Context, WHV_EMULATOR_IO_ACCESS_INFO *IoAccess)
{
	VM *Vm = (VM *)Context;

	if (IoAccess->Direction == 1)
		PortOut(Vm, IoAccess->Port, IoAccess->AccessSize, IoAccess->Data);
	else
		PortIn(Vm, IoAccess->Port, IoAccess->AccessSize, &IoAccess->Data);
	return S_OK;
}

static HRESULT CALLBACK EmuMemoryCallback(VOID *Context, WHV_EMULATOR_MEMORY_ACCESS_INFO *MemoryAccess)
{
	VM *Vm = (VM *)Context;
	UINT64 Gpa = MemoryAccess->GpaAddress;
	UINT8 Size = MemoryAccess->AccessSize;
	BOOL Write = MemoryAccess->Direction == 1;

	if (Gpa + Size <= RAM_SIZE) {
		/* REP MOVS between the device and RAM comes here for the RAM side. */
		if (Write)
			memcpy(Vm->Memory + Gpa, MemoryAccess->Data, Size);
		else
			memcpy(MemoryAccess->Data, Vm->Memory + Gpa, Size);
	} else if (Gpa >= DEVICE_GPA && Gpa + Size <= DEVICE_GPA + DEVICE_SIZE) {
		DeviceAccess(Vm, (UINT32)(Gpa - DEVICE_GPA), Size, Write, MemoryAccess->Data);
	} else if (Gpa >= ROM_GPA && Gpa + Size <= ROM_GPA + ROM_SIZE) {
		/* A ROM: reads as mapped, writes go nowhere. */
		if (Write)
			Vm->RomWrites++;
		else
			memcpy(MemoryAccess->Data, Vm->Memory + Gpa, Size);
	} else {
		Vm->StrayAccesses++;
		if (!Write)
			memset(MemoryAccess->Data, 0xFF, Size);
	}
	return S_OK;
}

static HRESULT CALLBACK EmuGetVirtualProcessorRegisters(VOID *Context,
	const WHV_REGISTER_NAME *RegisterNames, UINT32 RegisterCount,
	WHV_REGISTER_VALUE *RegisterValues)
{
	VM *Vm = (VM *)Context;

	return WHvGetVirtualProcessorRegisters(Vm->Partition, VP_INDEX, RegisterNames,
					       RegisterCount, RegisterValues);
}

static HRESULT CALLBACK EmuSetVirtualProcessorRegisters(VOID *Context,
	const WHV_REGISTER_NAME *RegisterNames, UINT32 RegisterCount,
	const WHV_REGISTER_VALUE *RegisterValues)
{
	VM *Vm = (VM *)Context;

	return WHvSetVirtualProcessorRegisters(Vm->Partition, VP_INDEX, RegisterNames,
					       RegisterCount, RegisterValues);
}

static HRESULT CALLBACK EmuTranslateGvaPage(VOID *Context, WHV_GUEST_VIRTUAL_ADDRESS Gva,
	WHV_TRANSLATE_GVA_FLAGS TranslateFlags,
	WHV_TRANSLATE_GVA_RESULT_CODE *TranslationResult,
	WHV_GUEST_PHYSICAL_ADDRESS *Gpa)
{
	VM *Vm = (VM *)Context;
	WHV_TRANSLATE_GVA_RESULT Result;
	HRESULT hr;

	hr = WHvTranslateGva(Vm->Partition, VP_INDEX, Gva, TranslateFlags, &Result, Gpa);
	if (FAILED(hr))
		printf("#   WHvTranslateGva(0x%llx) failed: 0x%08x\n",
		       (unsigned long long)Gva, (unsigned int)hr);
	else
		*TranslationResult = Result.ResultCode;
	return hr;
}

static const WHV_EMULATOR_CALLBACKS EmulatorCallbacks = {
	sizeof(WHV_EMULATOR_CALLBACKS),
	0,
	EmuIoPortCallback,
	EmuMemoryCallback,
	EmuGetVirtualProcessorRegisters,
	EmuSetVirtualProcessorRegisters,
	EmuTranslateGvaPage,
};

/* ------------------------------------------------------------------------ */
/* Running the virtual processor                                            */
/* ------------------------------------------------------------------------ */

/* Runs until HLT; FALSE, with the reason printed, on anything else. */
static BOOL RunUntilHalt(VM *Vm, const char *Scenario)
{
	WHV_RUN_VP_EXIT_CONTEXT ExitContext;
	WHV_EMULATOR_STATUS Status;
	HRESULT hr;
	int Exits;

	for (Exits = 0; Exits < 1000; Exits++) {
		hr = WHvRunVirtualProcessor(Vm->Partition, VP_INDEX, &ExitContext,
					    sizeof(ExitContext));
		if (FAILED(hr)) {
			printf("# %s: WHvRunVirtualProcessor failed: 0x%08x\n", Scenario,
			       (unsigned int)hr);
			return FALSE;
		}

		switch (ExitContext.ExitReason) {
		case WHvRunVpExitReasonX64IoPortAccess:
			Vm->IoExits++;
			hr = WHvEmulatorTryIoEmulation(Vm->Emulator, Vm, &ExitContext.VpContext,
						       &ExitContext.IoPortAccess, &Status);
			break;

		case WHvRunVpExitReasonMemoryAccess:
			Vm->MmioExits++;
			hr = WHvEmulatorTryMmioEmulation(Vm->Emulator, Vm, &ExitContext.VpContext,
							 &ExitContext.MemoryAccess, &Status);
			break;

		case WHvRunVpExitReasonX64Halt:
			if (Vm->Memory[ROM_GPA + ExitContext.VpContext.Rip] != 0xF4) {
				printf("# %s: halted at %04x:%04llx, not at a HLT\n", Scenario,
				       ExitContext.VpContext.Cs.Selector,
				       (unsigned long long)ExitContext.VpContext.Rip);
				return FALSE;
			}
			return TRUE;

		default:
			printf("# %s: unexpected exit reason 0x%x at %04x:%04llx\n", Scenario,
			       ExitContext.ExitReason, ExitContext.VpContext.Cs.Selector,
			       (unsigned long long)ExitContext.VpContext.Rip);
			return FALSE;
		}

		if (FAILED(hr) || !Status.EmulationSuccessful) {
			printf("# %s: emulation of the %s exit at %04x:%04llx failed: "
			       "hr 0x%08x, status 0x%x\n", Scenario,
			       ExitContext.ExitReason == WHvRunVpExitReasonMemoryAccess ?
			       "MMIO" : "I/O port", ExitContext.VpContext.Cs.Selector,
			       (unsigned long long)ExitContext.VpContext.Rip,
			       (unsigned int)hr, FAILED(hr) ? 0 : Status.AsUINT32);
			return FALSE;
		}
	}
	printf("# %s: still running after %d exits\n", Scenario, Exits);
	return FALSE;
}

static void SetSegment(WHV_REGISTER_VALUE *Value, UINT16 Selector, UINT16 Attributes)
{
	memset(Value, 0, sizeof(*Value));
	Value->Segment.Selector = Selector;
	Value->Segment.Base = (UINT64)Selector << 4;
	Value->Segment.Limit = 0xFFFF;
	Value->Segment.Attributes = Attributes;
}

/* Starts the ROM at F000:Entry with DS = ES = SS = 0 and runs it to HLT. */
static BOOL RunScenario(VM *Vm, UINT16 Entry, const char *Scenario)
{
	static const WHV_REGISTER_NAME Names[] = {
		WHvX64RegisterCs, WHvX64RegisterDs, WHvX64RegisterEs, WHvX64RegisterSs,
		WHvX64RegisterRip, WHvX64RegisterRsp, WHvX64RegisterRflags,
	};
	WHV_REGISTER_VALUE Values[_countof(Names)];
	HRESULT hr;

	SetSegment(&Values[0], 0xF000, 0x9B);	/* present, code, readable */
	SetSegment(&Values[1], 0, 0x93);	/* present, data, writable */
	SetSegment(&Values[2], 0, 0x93);
	SetSegment(&Values[3], 0, 0x93);
	memset(&Values[4], 0, 3 * sizeof(Values[0]));
	Values[4].Reg64 = Entry;
	Values[5].Reg64 = STACK_TOP;
	Values[6].Reg64 = 0x2;
	hr = WHvSetVirtualProcessorRegisters(Vm->Partition, VP_INDEX, Names, _countof(Names), Values);
	if (FAILED(hr)) {
		printf("# %s: WHvSetVirtualProcessorRegisters failed: 0x%08x\n", Scenario,
		       (unsigned int)hr);
		return FALSE;
	}
	ResetDevices(Vm);
	return RunUntilHalt(Vm, Scenario);
}

/* ------------------------------------------------------------------------ */
/* The scenarios                                                            */
/* ------------------------------------------------------------------------ */

static void TestBoot(VM *Vm)
{
	WHV_REGISTER_NAME Names[] = { WHvX64RegisterCs, WHvX64RegisterRip };
	WHV_REGISTER_VALUE Values[2];
	BOOL Ok = TRUE, Ran;
	HRESULT hr;

	hr = WHvGetVirtualProcessorRegisters(Vm->Partition, VP_INDEX, Names, 2, Values);
	Expect(&Ok, "WHvGetVirtualProcessorRegisters", (UINT32)hr, (UINT32)S_OK);
	if (SUCCEEDED(hr)) {
		Expect(&Ok, "CS selector", Values[0].Segment.Selector, 0xF000);
		Expect(&Ok, "CS base", Values[0].Segment.Base, ROM_GPA);
		Expect(&Ok, "RIP", Values[1].Reg64, RESET_VECTOR - ROM_GPA);
	}
	Report(Ok, "the processor starts at the reset vector F000:FFF0");

	ResetDevices(Vm);
	Vm->IoExits = 0;
	Ran = RunUntilHalt(Vm, "boot");
	Ok = Ran && Vm->ConsoleLength == strlen(Greeting) &&
	     !memcmp(Vm->Console, Greeting, Vm->ConsoleLength);
	if (Ran && !Ok)
		printf("#   console: \"%.*s\"\n", (int)Vm->ConsoleLength, Vm->Console);
	if (Ran)
		Expect(&Ok, "I/O exits", Vm->IoExits, strlen(Greeting));
	Report(Ok, "boots from the reset vector into the ROM and prints with OUT (emulated)");
}

static void TestPortIo(VM *Vm)
{
	BOOL Ran = RunScenario(Vm, ENTRY_PORT_IO, "port I/O");
	BOOL Ok = Ran;

	if (Ran)
		Expect(&Ok, "writes to port 0x510", Vm->PortWriteCount, 3);
	if (Ran && Vm->PortWriteCount == 3) {
		Expect(&Ok, "OUT DX, AL size", Vm->PortWrites[0].Size, 1);
		Expect(&Ok, "OUT DX, AL data", Vm->PortWrites[0].Value, 0xA5);
		Expect(&Ok, "OUT DX, AX size", Vm->PortWrites[1].Size, 2);
		Expect(&Ok, "OUT DX, AX data", Vm->PortWrites[1].Value, 0xBEEF);
		Expect(&Ok, "OUT DX, EAX size", Vm->PortWrites[2].Size, 4);
		Expect(&Ok, "OUT DX, EAX data", Vm->PortWrites[2].Value, 0xDEADBEEF);
	}
	Report(Ok, "OUT DX of 1, 2 and 4 bytes reaches the port callback");

	Ok = Ran;
	if (Ran) {
		/* IN AL and IN AX replace only the low bits of EAX. */
		Expect(&Ok, "EAX after IN AL, DX", ReadGuest(Vm, RESULTS + 0, 4), 0x1122335A);
		Expect(&Ok, "EAX after IN AX, DX", ReadGuest(Vm, RESULTS + 4, 4), 0x11221234);
		Expect(&Ok, "EAX after IN EAX, DX", ReadGuest(Vm, RESULTS + 8, 4), 0x89ABCDEF);
	}
	Report(Ok, "IN DX of 1, 2 and 4 bytes returns the device's data in AL/AX/EAX");

	Ok = Ran;
	if (Ran) {
		Expect(&Ok, "CMOS index", Vm->CmosIndex, 0x0B);
		Expect(&Ok, "AL after IN AL, 0x71", ReadGuest(Vm, RESULTS + 12, 1), 0x42);
		Expect(&Ok, "stray port accesses", Vm->StrayAccesses, 0);
	}
	Report(Ok, "OUT imm8 and IN imm8 (CMOS index and data ports)");
}

static void TestStringIo(VM *Vm)
{
	UINT32 ConsoleStart = Vm->ConsoleLength;
	BOOL Ran = RunScenario(Vm, ENTRY_STRING_IO, "string I/O");
	BOOL Ok = Ran;
	UINT32 i;

	if (Ran && (Vm->ConsoleLength - ConsoleStart != strlen(Banner) ||
		    memcmp(Vm->Console + ConsoleStart, Banner, strlen(Banner)))) {
		printf("#   console: \"%.*s\"\n", (int)(Vm->ConsoleLength - ConsoleStart),
		       Vm->Console + ConsoleStart);
		Ok = FALSE;
	}
	if (Ran) {
		Expect(&Ok, "SI after REP OUTSB", ReadGuest(Vm, RESULTS + 0x10, 2),
		       BANNER + strlen(Banner));
		Expect(&Ok, "CX after REP OUTSB", ReadGuest(Vm, RESULTS + 0x12, 2), 0);
	}
	Report(Ok, "REP OUTSB writes a string from the ROM to port 0xE9");

	Ok = Ran;
	for (i = 0; Ran && i < 8; i++)
		Expect(&Ok, "byte stored by REP INSB", ReadGuest(Vm, INSB_BUFFER + i, 1), 0x10 + i);
	for (i = 0; Ran && i < 4; i++)
		Expect(&Ok, "word stored by REP INSW", ReadGuest(Vm, INSW_BUFFER + 2 * i, 2),
		       0x1000 + i);
	if (Ran) {
		Expect(&Ok, "DI after REP INSB", ReadGuest(Vm, RESULTS + 0x14, 2), INSB_BUFFER + 8);
		Expect(&Ok, "CX after REP INSB", ReadGuest(Vm, RESULTS + 0x16, 2), 0);
		Expect(&Ok, "DI after REP INSW", ReadGuest(Vm, RESULTS + 0x18, 2), INSW_BUFFER + 8);
	}
	Report(Ok, "REP INSB and REP INSW fill RAM from a port");
}

/* The device log, entry i, must be this access. */
static void ExpectAccess(BOOL *Ok, const VM *Vm, UINT32 i, BOOL Write, UINT32 Offset,
			 UINT8 Size, UINT64 Value)
{
	const DEVICE_ACCESS *Entry = &Vm->DeviceLog[i];

	if (i >= Vm->DeviceLogCount) {
		printf("#   device access %u missing\n", i);
		*Ok = FALSE;
		return;
	}
	if (Entry->Write != Write || Entry->Offset != Offset || Entry->Size != Size ||
	    Entry->Value != Value) {
		printf("#   device access %u: %s of %u bytes at 0x%x = 0x%llx, expected "
		       "%s of %u bytes at 0x%x = 0x%llx\n", i,
		       Entry->Write ? "write" : "read", Entry->Size, Entry->Offset,
		       (unsigned long long)Entry->Value, Write ? "write" : "read", Size,
		       Offset, (unsigned long long)Value);
		*Ok = FALSE;
	}
}

static void TestMmio(VM *Vm)
{
	BOOL Ran = RunScenario(Vm, ENTRY_MMIO, "MMIO");
	BOOL Ok = Ran;

	if (Ran) {
		ExpectAccess(&Ok, Vm, 0, FALSE, DEV_ID, 4, DEV_ID_VALUE);
		ExpectAccess(&Ok, Vm, 1, TRUE, 0x08, 1, 0x11);
		ExpectAccess(&Ok, Vm, 2, TRUE, 0x0A, 2, 0x2233);
		ExpectAccess(&Ok, Vm, 3, TRUE, 0x0C, 4, 0x44556677);
		ExpectAccess(&Ok, Vm, 4, FALSE, 0x08, 1, 0x11);
		ExpectAccess(&Ok, Vm, 5, FALSE, 0x0A, 2, 0x2233);
		ExpectAccess(&Ok, Vm, 6, FALSE, 0x0C, 4, 0x44556677);
		Expect(&Ok, "EAX from the ID register", ReadGuest(Vm, RESULTS + 0x20, 4),
		       DEV_ID_VALUE);
		Expect(&Ok, "AL", ReadGuest(Vm, RESULTS + 0x24, 1), 0x11);
		Expect(&Ok, "BX", ReadGuest(Vm, RESULTS + 0x26, 2), 0x2233);
		Expect(&Ok, "ECX", ReadGuest(Vm, RESULTS + 0x28, 4), 0x44556677);
	}
	Report(Ok, "MMIO: MOV loads and stores of 1, 2 and 4 bytes");

	Ok = Ran;
	if (Ran) {
		ExpectAccess(&Ok, Vm, 7, FALSE, DEV_CTRL, 4, 0x100);
		ExpectAccess(&Ok, Vm, 8, TRUE, DEV_CTRL, 4, 0x80000101);
		ExpectAccess(&Ok, Vm, 9, FALSE, DEV_COUNT, 2, 7);
		ExpectAccess(&Ok, Vm, 10, TRUE, DEV_COUNT, 2, 12);
		ExpectAccess(&Ok, Vm, 11, FALSE, DEV_CTRL, 4, 0x80000101);
		ExpectAccess(&Ok, Vm, 12, FALSE, DEV_COUNT, 2, 12);
		Expect(&Ok, "device accesses", Vm->DeviceLogCount, 13);
		Expect(&Ok, "EAX from CTRL", ReadGuest(Vm, RESULTS + 0x2C, 4), 0x80000101);
		Expect(&Ok, "AX from COUNT", ReadGuest(Vm, RESULTS + 0x30, 2), 12);
	}
	Report(Ok, "MMIO: OR and ADD read-modify-write device registers");
}

static void TestMmioMovs(VM *Vm)
{
	static const UINT8 Pattern[16] = {
		0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF,
		0xFE, 0xDC, 0xBA, 0x98, 0x76, 0x54, 0x32, 0x10,
	};
	BOOL Ran, Ok;
	UINT32 i;

	memcpy(Vm->Memory + MOVS_SOURCE, Pattern, sizeof(Pattern));
	memset(Vm->Memory + MOVS_TARGET, 0, sizeof(Pattern));
	Ran = RunScenario(Vm, ENTRY_MMIO_MOVS, "MMIO MOVS");
	Ok = Ran;
	for (i = 0; Ran && i < 8; i++)
		ExpectAccess(&Ok, Vm, i, TRUE, DEV_BUFFER + 2 * i, 2,
			     Pattern[2 * i] | Pattern[2 * i + 1] << 8);
	for (i = 0; Ran && i < 4; i++)
		ExpectAccess(&Ok, Vm, 8 + i, FALSE, DEV_BUFFER + 4 * i, 4,
			     ReadGuest(Vm, MOVS_SOURCE + 4 * i, 4));
	if (Ran)
		Expect(&Ok, "device accesses", Vm->DeviceLogCount, 12);
	if (Ran && memcmp(Vm->Memory + MOVS_TARGET, Pattern, sizeof(Pattern))) {
		printf("#   RAM at 0x%x does not hold what the device gave\n", MOVS_TARGET);
		Ok = FALSE;
	}
	Report(Ok, "MMIO: REP MOVSW from RAM to the device, REP MOVSD back to RAM");
}

static void TestRomWrite(VM *Vm)
{
	UINT32 MmioExits = Vm->MmioExits;
	BOOL Ran, Ok;

	Vm->RomWrites = 0;
	Ran = RunScenario(Vm, ENTRY_ROM_WRITE, "ROM write");
	Ok = Ran;
	if (Ran) {
		Expect(&Ok, "memory exits", Vm->MmioExits - MmioExits, 1);
		Expect(&Ok, "ROM writes seen", Vm->RomWrites, 1);
		Expect(&Ok, "ROM byte", Vm->Memory[ROM_GPA + ROM_BYTE], 0x5A);
		Expect(&Ok, "AL read back", ReadGuest(Vm, RESULTS + 0x40, 1), 0x5A);
	}
	Report(Ok, "a write to the read-only ROM exits and is dropped by the VMM");
}

/* ------------------------------------------------------------------------ */

int main(void)
{
	WHV_CAPABILITY Capability;
	WHV_PARTITION_PROPERTY Property;
	UINT32 Written;
	VM Vm;
	HRESULT hr;
	BOOL Ok;

	setvbuf(stdout, NULL, _IONBF, 0);
	printf("# realmode_devices: a real-mode guest, its devices behind the WHv emulator\n");
	ZeroMemory(&Vm, sizeof(Vm));

	hr = WHvGetCapability(WHvCapabilityCodeHypervisorPresent, &Capability,
			      sizeof(Capability), &Written);
	if (FAILED(hr) || !Capability.HypervisorPresent) {
		printf("not ok 1 - the hypervisor is present (hr 0x%08x)\n", (unsigned int)hr);
		printf("1..1\n");
		return 1;
	}

	hr = WHvCreatePartition(&Vm.Partition);
	if (SUCCEEDED(hr)) {
		ZeroMemory(&Property, sizeof(Property));
		Property.ProcessorCount = 1;
		hr = WHvSetPartitionProperty(Vm.Partition, WHvPartitionPropertyCodeProcessorCount,
					     &Property, sizeof(Property));
	}
	if (SUCCEEDED(hr))
		hr = WHvSetupPartition(Vm.Partition);

	/* RAM and ROM come from one allocation; the hole between is not mapped. */
	Vm.Memory = (UINT8 *)VirtualAlloc(NULL, MEMORY_SIZE, MEM_RESERVE | MEM_COMMIT,
					  PAGE_READWRITE);
	if (SUCCEEDED(hr) && !Vm.Memory)
		hr = HRESULT_FROM_WIN32(GetLastError());
	if (SUCCEEDED(hr)) {
		memcpy(Vm.Memory + ROM_GPA, RomCode, sizeof(RomCode));
		memcpy(Vm.Memory + RESET_VECTOR, ResetVector, sizeof(ResetVector));
		hr = WHvMapGpaRange(Vm.Partition, Vm.Memory, 0, RAM_SIZE,
				    WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite |
				    WHvMapGpaRangeFlagExecute);
	}
	if (SUCCEEDED(hr))
		hr = WHvMapGpaRange(Vm.Partition, Vm.Memory + ROM_GPA, ROM_GPA, ROM_SIZE,
				    WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagExecute);
	if (SUCCEEDED(hr))
		hr = WHvCreateVirtualProcessor(Vm.Partition, VP_INDEX, 0);
	if (SUCCEEDED(hr))
		hr = WHvEmulatorCreateEmulator(&EmulatorCallbacks, &Vm.Emulator);
	Ok = SUCCEEDED(hr);
	if (!Ok)
		printf("#   setting up the partition failed: 0x%08x\n", (unsigned int)hr);
	Report(Ok, "partition, memory (RAM, ROM), virtual processor and emulator set up");

	if (Ok) {
		TestBoot(&Vm);
		TestPortIo(&Vm);
		TestStringIo(&Vm);
		TestMmio(&Vm);
		TestMmioMovs(&Vm);
		TestRomWrite(&Vm);
	}

	Ok = TRUE;
	if (Vm.Emulator)
		Expect(&Ok, "WHvEmulatorDestroyEmulator",
		       (UINT32)WHvEmulatorDestroyEmulator(Vm.Emulator), (UINT32)S_OK);
	if (Vm.Partition) {
		WHvDeleteVirtualProcessor(Vm.Partition, VP_INDEX);
		Expect(&Ok, "WHvDeletePartition", (UINT32)WHvDeletePartition(Vm.Partition),
		       (UINT32)S_OK);
	}
	if (Vm.Memory && !VirtualFree(Vm.Memory, 0, MEM_RELEASE))
		Ok = FALSE;
	Report(Ok, "emulator, partition and memory released");

	printf("1..%d\n", TestCount);
	return FailureCount ? 1 : 0;
}
