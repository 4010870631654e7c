// SPDX-License-Identifier: GPL-2.0
/*
 * longmode_exits.c - a WHPX virtual machine monitor written the way it is
 * written on Windows, run against libwhv: a 64-bit guest and the exits a
 * VMM handles itself.
 *
 * The VMM builds what firmware would: a GDT with a 64-bit code segment and
 * a TSS, an IDT, and 4-level page tables that identity-map the first 4 GiB
 * with 2 MiB pages plus a 4 KiB page at 0x8000000000 aliasing a device.
 * It then enters long mode directly through the registers (CR0.PG, CR4.PAE,
 * EFER.LME/LMA, CS.L). The partition asks for the optional exits:
 *
 *   CPUID      X64CpuidExit with a CpuidExitList: the VMM answers leaves
 *              0x40000000-0x40000001 with its own values, which the guest
 *              checks; other leaves are answered without an exit
 *   MSR        X64MsrExit: an MSR the hypervisor does not know is read and
 *              written through the VMM; another is refused with an injected
 *              #GP that the guest's handler takes; LSTAR needs no exit
 *   exception  ExceptionExit with ExceptionExitBitmap #DE and #UD: UD2 is a
 *              call into the VMM (RIP skipped, RAX answered), #DE is handed
 *              back to the guest's IDT handler (injected)
 *
 * and completes I/O and MMIO exits through the WHv instruction emulator,
 * whose callbacks end in the VMM's devices, in WHvGet/SetVirtualProcessor-
 * Registers and in WHvTranslateGva (here with paging on, so translation
 * walks the guest's page tables): port 0xE9 (OUT, REP OUTSB), port 0x514
 * (REP INSD), and a 4 KiB MMIO device at GPA 0xD0000000 (MOV and MOVZX of
 * 1/2/4/8 bytes, OR/ADD read-modify-writes, REP MOVSQ/MOVSB both ways, the
 * same registers through the alias mapping).
 *
 * Each scenario starts at an entry point and ends with HLT; the guest
 * leaves what it saw in RAM, the VMM logs the exits and checks both.
 * Output is TAP; the exit status is non-zero on failure. Nothing here is
 * Linux-specific: with the Windows SDK it builds as
 *   cl longmode_exits.c WinHvPlatform.lib WinHvEmulation.lib
 * and against libwhv as
 *   cc -I lib/libwhv/include -I lib/libwhv/include/compat \
 *      longmode_exits.c lib/libwhv/libwhv.a -lpthread
 */
#include <windows.h>
#include <WinHvPlatform.h>
#include <WinHvEmulation.h>
#include <stdio.h>
#include <string.h>

/* Guest-physical memory: 2 MiB of RAM at 0, a device far above it. */
#define RAM_SIZE	0x200000
#define GDT_GPA		0x1000
#define TSS_GPA		0x2000
#define IDT_GPA		0x3000
#define CODE_GPA	0x4000
#define RESULTS		0x8000		/* what the guest saw */
#define MOVS_SOURCE	0x9000
#define MOVS_TARGET	0x9100
#define INSD_BUFFER	0x9200
#define PML4_GPA	0x10000
#define PDPT_GPA	0x11000		/* the first 512 GiB */
#define PD_GPA		0x12000		/* four of them: 0 - 4 GiB */
#define ALIAS_PDPT_GPA	0x16000		/* the next 512 GiB ... */
#define ALIAS_PD_GPA	0x17000
#define ALIAS_PT_GPA	0x18000		/* ... one 4 KiB page of it */
#define STACK_TOP	0x80000

#define DEVICE_GPA	0xD0000000ull
#define DEVICE_SIZE	0x1000
#define DEVICE_ALIAS	0x8000000000ull	/* PML4 entry 1 */

/* Page-table and descriptor bits. */
#define PTE_P		0x001ull
#define PTE_RW		0x002ull
#define PTE_PS		0x080ull

#define GDT_CODE64	0x00AF9B000000FFFFull	/* selector 0x08 */
#define GDT_DATA	0x00CF93000000FFFFull	/* selector 0x10 */
#define SEL_CODE	0x08
#define SEL_DATA	0x10
#define SEL_TSS		0x18			/* 16-byte descriptor */

#define CR0_PE		0x00000001ull
#define CR0_MP		0x00000002ull
#define CR0_ET		0x00000010ull
#define CR0_NE		0x00000020ull
#define CR0_WP		0x00010000ull
#define CR0_PG		0x80000000ull
#define CR4_PAE		0x00000020ull
#define CR4_OSFXSR	0x00000200ull
#define CR4_OSXMMEXCPT	0x00000400ull
#define EFER_LME	0x00000100ull
#define EFER_LMA	0x00000400ull

/* The device's registers. */
#define DEV_ID		0x00		/* read-only */
#define DEV_ID_VALUE	0x44564857	/* "WHVD" */
#define DEV_CTRL	0x10
#define DEV_COUNTER	0x18
#define DEV_DATA	0x20
#define DEV_ALIASED	0x30
#define DEV_BUFFER	0x100

/* The MSRs. */
#define MSR_VMM		0x40001234	/* emulated by the VMM */
#define MSR_REFUSED	0x40005678	/* the VMM answers #GP */
#define MSR_EFER	0xC0000080
#define MSR_LSTAR	0xC0000082

/*
 * The guest, assembled by hand, loaded at CODE_GPA (offsets below are from
 * there). Entry points and the sites the VMM checks:
 */
#define ENTRY_HELLO		(CODE_GPA + 0x0000)
#define ENTRY_CPUID		(CODE_GPA + 0x003F)
#define ENTRY_MSR		(CODE_GPA + 0x00BE)
#define SITE_MSR_REFUSED	(CODE_GPA + 0x0116)
#define ENTRY_EXCEPTION		(CODE_GPA + 0x0120)
#define SITE_UD2		(CODE_GPA + 0x0125)
#define SITE_DIV		(CODE_GPA + 0x0138)
#define ENTRY_MMIO		(CODE_GPA + 0x0144)
#define ENTRY_MOVS		(CODE_GPA + 0x01DB)
#define ENTRY_STRING_IO		(CODE_GPA + 0x01FF)
#define GP_HANDLER		(CODE_GPA + 0x0232)
#define DE_HANDLER		(CODE_GPA + 0x0261)
#define BANNER			(CODE_GPA + 0x0295)

static const UINT8 GuestCode[] = {
	/* Scenario 1: print in long mode (OUT), then record CR0, CR4 and EFER. */
	/* hello: */
	/* 0000 */ 0x48, 0x8D, 0x35, 0x78, 0x02, 0x00, 0x00,	/* lea rsi, [rip + hello_msg] */
	/* 0007 */ 0x66, 0xBA, 0xE9, 0x00,			/* mov dx, 0xE9 */
	/* hello_next: */
	/* 000B */ 0xAC,					/* lodsb */
	/* 000C */ 0x84, 0xC0,					/* test al, al */
	/* 000E */ 0x74, 0x03,					/* jz hello_done */
	/* 0010 */ 0xEE,					/* out dx, al */
	/* 0011 */ 0xEB, 0xF8,					/* jmp hello_next */
	/* hello_done: */
	/* 0013 */ 0x0F, 0x20, 0xC0,				/* mov rax, cr0 */
	/* 0016 */ 0x48, 0x89, 0x04, 0x25, 0x00, 0x80, 0x00, 0x00,	/* mov qword ptr [0x8000], rax */
	/* 001E */ 0x0F, 0x20, 0xE0,				/* mov rax, cr4 */
	/* 0021 */ 0x48, 0x89, 0x04, 0x25, 0x08, 0x80, 0x00, 0x00,	/* mov qword ptr [0x8008], rax */
	/* 0029 */ 0xB9, 0x80, 0x00, 0x00, 0xC0,		/* mov ecx, 0xC0000080 */
	/* 002E */ 0x0F, 0x32,					/* rdmsr */
	/* 0030 */ 0x89, 0x04, 0x25, 0x10, 0x80, 0x00, 0x00,	/* mov dword ptr [0x8010], eax */
	/* 0037 */ 0x89, 0x14, 0x25, 0x14, 0x80, 0x00, 0x00,	/* mov dword ptr [0x8014], edx */
	/* 003E */ 0xF4,					/* hlt */

	/* Scenario 2: CPUID leaves the VMM answers, and one it does not. */
	/* cpuid_test: */
	/* 003F */ 0xB8, 0x00, 0x00, 0x00, 0x40,		/* mov eax, 0x40000000 */
	/* 0044 */ 0x31, 0xC9,					/* xor ecx, ecx */
	/* 0046 */ 0x0F, 0xA2,					/* cpuid */
	/* 0048 */ 0x89, 0x04, 0x25, 0x20, 0x80, 0x00, 0x00,	/* mov dword ptr [0x8020], eax */
	/* 004F */ 0x89, 0x1C, 0x25, 0x24, 0x80, 0x00, 0x00,	/* mov dword ptr [0x8024], ebx */
	/* 0056 */ 0x89, 0x0C, 0x25, 0x28, 0x80, 0x00, 0x00,	/* mov dword ptr [0x8028], ecx */
	/* 005D */ 0x89, 0x14, 0x25, 0x2C, 0x80, 0x00, 0x00,	/* mov dword ptr [0x802C], edx */
	/* 0064 */ 0x35, 0x01, 0x00, 0x00, 0x40,		/* xor eax, 0x40000001 */
	/* 0069 */ 0x81, 0xF3, 0x57, 0x68, 0x76, 0x43,		/* xor ebx, 0x43766857  ; "WhvC" */
	/* 006F */ 0x81, 0xF1, 0x6C, 0x69, 0x65, 0x6E,		/* xor ecx, 0x6E65696C  ; "lien" */
	/* 0075 */ 0x81, 0xF2, 0x74, 0x56, 0x6D, 0x6D,		/* xor edx, 0x6D6D5674  ; "tVmm" */
	/* 007B */ 0x09, 0xD8,					/* or eax, ebx */
	/* 007D */ 0x09, 0xC8,					/* or eax, ecx */
	/* 007F */ 0x09, 0xD0,					/* or eax, edx */
	/* 0081 */ 0x89, 0x04, 0x25, 0x30, 0x80, 0x00, 0x00,	/* mov dword ptr [0x8030], eax  ; 0 if the guest got the VMM's answer */
	/* 0088 */ 0xB8, 0x01, 0x00, 0x00, 0x40,		/* mov eax, 0x40000001 */
	/* 008D */ 0xB9, 0x07, 0x00, 0x00, 0x00,		/* mov ecx, 7 */
	/* 0092 */ 0x0F, 0xA2,					/* cpuid */
	/* 0094 */ 0x89, 0x04, 0x25, 0x40, 0x80, 0x00, 0x00,	/* mov dword ptr [0x8040], eax */
	/* 009B */ 0x89, 0x1C, 0x25, 0x44, 0x80, 0x00, 0x00,	/* mov dword ptr [0x8044], ebx */
	/* 00A2 */ 0x89, 0x0C, 0x25, 0x48, 0x80, 0x00, 0x00,	/* mov dword ptr [0x8048], ecx */
	/* 00A9 */ 0x89, 0x14, 0x25, 0x4C, 0x80, 0x00, 0x00,	/* mov dword ptr [0x804C], edx */
	/* 00B0 */ 0x31, 0xC0,					/* xor eax, eax */
	/* 00B2 */ 0x31, 0xC9,					/* xor ecx, ecx */
	/* 00B4 */ 0x0F, 0xA2,					/* cpuid */
	/* 00B6 */ 0x89, 0x1C, 0x25, 0x50, 0x80, 0x00, 0x00,	/* mov dword ptr [0x8050], ebx */
	/* 00BD */ 0xF4,					/* hlt */

	/* Scenario 3: MSRs: one the VMM emulates, one the kernel has, one refused. */
	/* msr_test: */
	/* 00BE */ 0xB9, 0x34, 0x12, 0x00, 0x40,		/* mov ecx, 0x40001234 */
	/* 00C3 */ 0x0F, 0x32,					/* rdmsr */
	/* 00C5 */ 0x89, 0x04, 0x25, 0x60, 0x80, 0x00, 0x00,	/* mov dword ptr [0x8060], eax */
	/* 00CC */ 0x89, 0x14, 0x25, 0x64, 0x80, 0x00, 0x00,	/* mov dword ptr [0x8064], edx */
	/* 00D3 */ 0xB8, 0x0D, 0xF0, 0xFE, 0xCA,		/* mov eax, 0xCAFEF00D */
	/* 00D8 */ 0xBA, 0xDE, 0xC0, 0xAD, 0x0B,		/* mov edx, 0x0BADC0DE */
	/* 00DD */ 0x0F, 0x30,					/* wrmsr */
	/* 00DF */ 0x31, 0xC0,					/* xor eax, eax */
	/* 00E1 */ 0x31, 0xD2,					/* xor edx, edx */
	/* 00E3 */ 0x0F, 0x32,					/* rdmsr */
	/* 00E5 */ 0x89, 0x04, 0x25, 0x68, 0x80, 0x00, 0x00,	/* mov dword ptr [0x8068], eax */
	/* 00EC */ 0x89, 0x14, 0x25, 0x6C, 0x80, 0x00, 0x00,	/* mov dword ptr [0x806C], edx */
	/* 00F3 */ 0xB9, 0x82, 0x00, 0x00, 0xC0,		/* mov ecx, 0xC0000082  ; LSTAR */
	/* 00F8 */ 0xB8, 0x00, 0x10, 0x40, 0x00,		/* mov eax, 0x00401000 */
	/* 00FD */ 0x31, 0xD2,					/* xor edx, edx */
	/* 00FF */ 0x0F, 0x30,					/* wrmsr */
	/* 0101 */ 0x31, 0xC0,					/* xor eax, eax */
	/* 0103 */ 0x0F, 0x32,					/* rdmsr */
	/* 0105 */ 0x89, 0x04, 0x25, 0x70, 0x80, 0x00, 0x00,	/* mov dword ptr [0x8070], eax */
	/* 010C */ 0xB9, 0x78, 0x56, 0x00, 0x40,		/* mov ecx, 0x40005678 */
	/* 0111 */ 0xB8, 0x11, 0x11, 0x11, 0x11,		/* mov eax, 0x11111111 */
	/* msr_refused: */
	/* 0116 */ 0x0F, 0x32,					/* rdmsr */
	/* 0118 */ 0x89, 0x04, 0x25, 0x74, 0x80, 0x00, 0x00,	/* mov dword ptr [0x8074], eax */
	/* 011F */ 0xF4,					/* hlt */

	/* Scenario 4: exceptions: UD2 (the VMM completes it), DIV by 0 (injected). */
	/* exception_test: */
	/* 0120 */ 0xB8, 0x29, 0x00, 0x00, 0x00,		/* mov eax, 41 */
	/* ud2_site: */
	/* 0125 */ 0x0F, 0x0B,					/* ud2 */
	/* 0127 */ 0x48, 0x89, 0x04, 0x25, 0x90, 0x80, 0x00, 0x00,	/* mov qword ptr [0x8090], rax */
	/* 012F */ 0xB8, 0x64, 0x00, 0x00, 0x00,		/* mov eax, 100 */
	/* 0134 */ 0x31, 0xD2,					/* xor edx, edx */
	/* 0136 */ 0x31, 0xC9,					/* xor ecx, ecx */
	/* div_site: */
	/* 0138 */ 0x48, 0xF7, 0xF1,				/* div rcx */
	/* 013B */ 0x48, 0x89, 0x04, 0x25, 0x98, 0x80, 0x00, 0x00,	/* mov qword ptr [0x8098], rax */
	/* 0143 */ 0xF4,					/* hlt */

	/* Scenario 5: the device at GPA 0xD0000000, identity-mapped, then aliased. */
	/* mmio_test: */
	/* 0144 */ 0xBB, 0x00, 0x00, 0x00, 0xD0,		/* mov ebx, 0xD0000000 */
	/* 0149 */ 0x8B, 0x03,					/* mov eax, dword ptr [rbx] */
	/* 014B */ 0x89, 0x04, 0x25, 0xB0, 0x80, 0x00, 0x00,	/* mov dword ptr [0x80B0], eax */
	/* 0152 */ 0xC6, 0x43, 0x08, 0x11,			/* mov byte ptr [rbx + 0x08], 0x11 */
	/* 0156 */ 0x66, 0xC7, 0x43, 0x0A, 0x33, 0x22,		/* mov word ptr [rbx + 0x0A], 0x2233 */
	/* 015C */ 0xC7, 0x43, 0x0C, 0x77, 0x66, 0x55, 0x44,	/* mov dword ptr [rbx + 0x0C], 0x44556677 */
	/* 0163 */ 0x48, 0xB8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33,	/* mov rax, 0x1122334455667788 */
	/* 016B */ 0x22, 0x11,
	/* 016D */ 0x48, 0x89, 0x43, 0x20,			/* mov qword ptr [rbx + 0x20], rax */
	/* 0171 */ 0x0F, 0xB6, 0x53, 0x08,			/* movzx edx, byte ptr [rbx + 0x08] */
	/* 0175 */ 0x0F, 0xB7, 0x73, 0x0A,			/* movzx esi, word ptr [rbx + 0x0A] */
	/* 0179 */ 0x8B, 0x7B, 0x0C,				/* mov edi, dword ptr [rbx + 0x0C] */
	/* 017C */ 0x48, 0x8B, 0x4B, 0x20,			/* mov rcx, qword ptr [rbx + 0x20] */
	/* 0180 */ 0x89, 0x14, 0x25, 0xB4, 0x80, 0x00, 0x00,	/* mov dword ptr [0x80B4], edx */
	/* 0187 */ 0x89, 0x34, 0x25, 0xB8, 0x80, 0x00, 0x00,	/* mov dword ptr [0x80B8], esi */
	/* 018E */ 0x89, 0x3C, 0x25, 0xBC, 0x80, 0x00, 0x00,	/* mov dword ptr [0x80BC], edi */
	/* 0195 */ 0x48, 0x89, 0x0C, 0x25, 0xC0, 0x80, 0x00, 0x00,	/* mov qword ptr [0x80C0], rcx */
	/* 019D */ 0x81, 0x4B, 0x10, 0x01, 0x00, 0x00, 0x80,	/* or dword ptr [rbx + 0x10], 0x80000001 */
	/* 01A4 */ 0x48, 0x83, 0x43, 0x18, 0x05,		/* add qword ptr [rbx + 0x18], 5 */
	/* 01A9 */ 0x8B, 0x43, 0x10,				/* mov eax, dword ptr [rbx + 0x10] */
	/* 01AC */ 0x48, 0x8B, 0x53, 0x18,			/* mov rdx, qword ptr [rbx + 0x18] */
	/* 01B0 */ 0x89, 0x04, 0x25, 0xC8, 0x80, 0x00, 0x00,	/* mov dword ptr [0x80C8], eax */
	/* 01B7 */ 0x48, 0x89, 0x14, 0x25, 0xD0, 0x80, 0x00, 0x00,	/* mov qword ptr [0x80D0], rdx */
	/* 01BF */ 0x48, 0xBB, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00,	/* movabs rbx, 0x8000000000 */
	/* 01C7 */ 0x00, 0x00,
	/* 01C9 */ 0xC7, 0x43, 0x30, 0xED, 0xA5, 0x11, 0x0A,	/* mov dword ptr [rbx + 0x30], 0x0A11A5ED */
	/* 01D0 */ 0x8B, 0x43, 0x30,				/* mov eax, dword ptr [rbx + 0x30] */
	/* 01D3 */ 0x89, 0x04, 0x25, 0xD8, 0x80, 0x00, 0x00,	/* mov dword ptr [0x80D8], eax */
	/* 01DA */ 0xF4,					/* hlt */

	/* Scenario 6: REP MOVSQ from RAM to the device, REP MOVSB back. */
	/* movs_test: */
	/* 01DB */ 0xBE, 0x00, 0x90, 0x00, 0x00,		/* mov esi, 0x9000 */
	/* 01E0 */ 0xBF, 0x00, 0x01, 0x00, 0xD0,		/* mov edi, 0xD0000100 */
	/* 01E5 */ 0xB9, 0x04, 0x00, 0x00, 0x00,		/* mov ecx, 4 */
	/* 01EA */ 0xF3, 0x48, 0xA5,				/* rep movsq */
	/* 01ED */ 0xBE, 0x00, 0x01, 0x00, 0xD0,		/* mov esi, 0xD0000100 */
	/* 01F2 */ 0xBF, 0x00, 0x91, 0x00, 0x00,		/* mov edi, 0x9100 */
	/* 01F7 */ 0xB9, 0x20, 0x00, 0x00, 0x00,		/* mov ecx, 32 */
	/* 01FC */ 0xF3, 0xA4,					/* rep movsb */
	/* 01FE */ 0xF4,					/* hlt */

	/* Scenario 7: string I/O with paging on. */
	/* string_io_test: */
	/* 01FF */ 0x48, 0x8D, 0x35, 0x8F, 0x00, 0x00, 0x00,	/* lea rsi, [rip + banner] */
	/* 0206 */ 0xB9, 0x19, 0x00, 0x00, 0x00,		/* mov ecx, banner_end - banner */
	/* 020B */ 0x66, 0xBA, 0xE9, 0x00,			/* mov dx, 0xE9 */
	/* 020F */ 0xF3, 0x6E,					/* rep outsb */
	/* 0211 */ 0xBF, 0x00, 0x92, 0x00, 0x00,		/* mov edi, 0x9200 */
	/* 0216 */ 0xB9, 0x04, 0x00, 0x00, 0x00,		/* mov ecx, 4 */
	/* 021B */ 0x66, 0xBA, 0x14, 0x05,			/* mov dx, 0x514 */
	/* 021F */ 0xF3, 0x6D,					/* rep insd */
	/* 0221 */ 0x48, 0x89, 0x0C, 0x25, 0xE0, 0x80, 0x00, 0x00,	/* mov qword ptr [0x80E0], rcx */
	/* 0229 */ 0x48, 0x89, 0x3C, 0x25, 0xE8, 0x80, 0x00, 0x00,	/* mov qword ptr [0x80E8], rdi */
	/* 0231 */ 0xF4,					/* hlt */

	/* The guest's #GP handler: record, step over the 2-byte RDMSR/WRMSR. */
	/* gp_handler: */
	/* 0232 */ 0x50,					/* push rax */
	/* 0233 */ 0x48, 0x8B, 0x44, 0x24, 0x08,		/* mov rax, qword ptr [rsp + 8]  ; error code */
	/* 0238 */ 0x48, 0x89, 0x04, 0x25, 0x78, 0x80, 0x00, 0x00,	/* mov qword ptr [0x8078], rax */
	/* 0240 */ 0x48, 0x8B, 0x44, 0x24, 0x10,		/* mov rax, qword ptr [rsp + 16]  ; RIP of the faulting instruction */
	/* 0245 */ 0x48, 0x89, 0x04, 0x25, 0x80, 0x80, 0x00, 0x00,	/* mov qword ptr [0x8080], rax */
	/* 024D */ 0x48, 0x83, 0x44, 0x24, 0x10, 0x02,		/* add qword ptr [rsp + 16], 2 */
	/* 0253 */ 0xFF, 0x04, 0x25, 0x88, 0x80, 0x00, 0x00,	/* inc dword ptr [0x8088] */
	/* 025A */ 0x58,					/* pop rax */
	/* 025B */ 0x48, 0x83, 0xC4, 0x08,			/* add rsp, 8 */
	/* 025F */ 0x48, 0xCF,					/* iretq */

	/* The guest's #DE handler: record, step over the 3-byte DIV RCX. */
	/* de_handler: */
	/* 0261 */ 0x50,					/* push rax */
	/* 0262 */ 0x48, 0x8B, 0x44, 0x24, 0x08,		/* mov rax, qword ptr [rsp + 8]  ; RIP of the DIV */
	/* 0267 */ 0x48, 0x89, 0x04, 0x25, 0xA0, 0x80, 0x00, 0x00,	/* mov qword ptr [0x80A0], rax */
	/* 026F */ 0x48, 0x83, 0x44, 0x24, 0x08, 0x03,		/* add qword ptr [rsp + 8], 3 */
	/* 0275 */ 0xFF, 0x04, 0x25, 0xA8, 0x80, 0x00, 0x00,	/* inc dword ptr [0x80A8] */
	/* 027C */ 0x58,					/* pop rax */
	/* 027D */ 0x48, 0xCF,					/* iretq */

	/* hello_msg: */
	/* 027F */ 0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x20, 0x66, 0x72,	/* db "Hello from long mode\n\0" */
	/* 0287 */ 0x6F, 0x6D, 0x20, 0x6C, 0x6F, 0x6E, 0x67, 0x20,
	/* 028F */ 0x6D, 0x6F, 0x64, 0x65, 0x0A, 0x00,
	/* banner: */
	/* 0295 */ 0x52, 0x45, 0x50, 0x20, 0x4F, 0x55, 0x54, 0x53,	/* db "REP OUTSB with paging on\n" */
	/* 029D */ 0x42, 0x20, 0x77, 0x69, 0x74, 0x68, 0x20, 0x70,
	/* 02A5 */ 0x61, 0x67, 0x69, 0x6E, 0x67, 0x20, 0x6F, 0x6E,
	/* 02AD */ 0x0A,
	/* banner_end: */
};

static const char Greeting[] = "Hello from long mode\n";
static const char Banner[] = "REP OUTSB with paging on\n";

/* The exits the VMM handled itself, for the checks. */
typedef struct _CPUID_EXIT {
	UINT32 Leaf;
	UINT32 Subleaf;
	UINT64 Rip;
} CPUID_EXIT;

typedef struct _MSR_EXIT {
	UINT32 Msr;
	BOOL Write;
	UINT64 Value;
	UINT64 Rip;
} MSR_EXIT;

typedef struct _EXCEPTION_EXIT {
	UINT8 Type;
	BOOL ErrorCodeValid;
	UINT64 Rip;
	UINT8 InstructionByteCount;
	UINT8 InstructionBytes[16];
} EXCEPTION_EXIT;

typedef struct _DEVICE_ACCESS {
	UINT32 Offset;
	UINT8 Size;
	BOOL Write;
	UINT64 Value;
} DEVICE_ACCESS;

typedef struct _VM {
	WHV_PARTITION_HANDLE Partition;
	WHV_EMULATOR_HANDLE Emulator;
	UINT8 *Memory;

	char Console[256];
	UINT32 ConsoleLength;
	UINT32 DwordStream;
	UINT8 DeviceRegisters[DEVICE_SIZE];
	DEVICE_ACCESS DeviceLog[64];
	UINT32 DeviceLogCount;
	UINT32 StrayAccesses;

	UINT64 VmmMsr;				/* MSR_VMM's value */
	CPUID_EXIT CpuidExits[8];
	UINT32 CpuidExitCount;
	MSR_EXIT MsrExits[8];
	UINT32 MsrExitCount;
	EXCEPTION_EXIT ExceptionExits[8];
	UINT32 ExceptionExitCount;
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

static void Expect(BOOL *Passed, const char *What, UINT64 Actual, UINT64 Expected)
{
	if (Actual == Expected)
		return;
	printf("#   %s: 0x%llx, expected 0x%llx\n", What,
	       (unsigned long long)Actual, (unsigned long long)Expected);
	*Passed = FALSE;
}

static UINT64 ReadGuest(const VM *Vm, UINT64 Gpa, UINT32 Size)
{
	UINT64 Value = 0;

	memcpy(&Value, Vm->Memory + Gpa, Size);
	return Value;
}

static void WriteGuest(VM *Vm, UINT64 Gpa, UINT64 Value, UINT32 Size)
{
	memcpy(Vm->Memory + Gpa, &Value, Size);
}

/* ------------------------------------------------------------------------ */
/* Devices and emulator callbacks                                           */
/* ------------------------------------------------------------------------ */

static void ResetDevices(VM *Vm)
{
	UINT32 Id = DEV_ID_VALUE, Ctrl = 0x100;
	UINT64 Counter = 0xFFFFFFFF;

	memset(Vm->DeviceRegisters, 0, sizeof(Vm->DeviceRegisters));
	memcpy(Vm->DeviceRegisters + DEV_ID, &Id, sizeof(Id));
	memcpy(Vm->DeviceRegisters + DEV_CTRL, &Ctrl, sizeof(Ctrl));
	memcpy(Vm->DeviceRegisters + DEV_COUNTER, &Counter, sizeof(Counter));
	Vm->DeviceLogCount = 0;
	Vm->DwordStream = 0xC0DE0000;
}

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

static HRESULT CALLBACK EmuIoPortCallback(VOID *Context, WHV_EMULATOR_IO_ACCESS_INFO *IoAccess)
{
	VM *Vm = (VM *)Context;

	if (IoAccess->Direction == 1 && IoAccess->Port == 0xE9 && IoAccess->AccessSize == 1) {
		if (Vm->ConsoleLength + 1 < sizeof(Vm->Console))
			Vm->Console[Vm->ConsoleLength++] = (char)IoAccess->Data;
	} else if (IoAccess->Direction == 0 && IoAccess->Port == 0x514 && IoAccess->AccessSize == 4) {
		IoAccess->Data = Vm->DwordStream++;
	} else {
		Vm->StrayAccesses++;
		if (IoAccess->Direction == 0)
			IoAccess->Data = 0xFFFFFFFF;
	}
	return S_OK;
}

static HRESULT CALLBACK EmuMemoryCallback(VOID *Context, WHV_EMULATOR_MEMORY_ACCESS_INFO *MemoryAccess)
{
	VM *Vm = (VM *)Context;
	UINT64 Gpa = MemoryAccess->GpaAddress;
	UINT8 Size = MemoryAccess->AccessSize;
	BOOL Write = MemoryAccess->Direction == 1;

	if (Gpa + Size <= RAM_SIZE) {
		if (Write)
			memcpy(Vm->Memory + Gpa, MemoryAccess->Data, Size);
		else
			memcpy(MemoryAccess->Data, Vm->Memory + Gpa, Size);
	} else if (Gpa >= DEVICE_GPA && Gpa + Size <= DEVICE_GPA + DEVICE_SIZE) {
		DeviceAccess(Vm, (UINT32)(Gpa - DEVICE_GPA), Size, Write, MemoryAccess->Data);
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
/* Exits the VMM handles itself                                             */
/* ------------------------------------------------------------------------ */

static HRESULT InjectException(VM *Vm, UINT8 Vector, BOOL DeliverErrorCode, UINT32 ErrorCode)
{
	WHV_REGISTER_NAME Name = WHvRegisterPendingInterruption;
	WHV_REGISTER_VALUE Value;

	ZeroMemory(&Value, sizeof(Value));
	Value.PendingInterruption.InterruptionPending = 1;
	Value.PendingInterruption.InterruptionType = WHvX64PendingException;
	Value.PendingInterruption.DeliverErrorCode = DeliverErrorCode ? 1 : 0;
	Value.PendingInterruption.InterruptionVector = Vector;
	Value.PendingInterruption.ErrorCode = ErrorCode;
	return WHvSetVirtualProcessorRegisters(Vm->Partition, VP_INDEX, &Name, 1, &Value);
}

/* CPUID: the VMM's own hypervisor leaves, the hypervisor's answer otherwise. */
static HRESULT HandleCpuid(VM *Vm, const WHV_RUN_VP_EXIT_CONTEXT *Exit)
{
	static const WHV_REGISTER_NAME Names[] = {
		WHvX64RegisterRip, WHvX64RegisterRax, WHvX64RegisterRbx,
		WHvX64RegisterRcx, WHvX64RegisterRdx,
	};
	const WHV_X64_CPUID_ACCESS_CONTEXT *Cpuid = &Exit->CpuidAccess;
	WHV_REGISTER_VALUE Values[_countof(Names)];
	UINT32 Leaf = (UINT32)Cpuid->Rax, Subleaf = (UINT32)Cpuid->Rcx;

	if (Vm->CpuidExitCount < _countof(Vm->CpuidExits)) {
		Vm->CpuidExits[Vm->CpuidExitCount].Leaf = Leaf;
		Vm->CpuidExits[Vm->CpuidExitCount].Subleaf = Subleaf;
		Vm->CpuidExits[Vm->CpuidExitCount].Rip = Exit->VpContext.Rip;
		Vm->CpuidExitCount++;
	}
	ZeroMemory(Values, sizeof(Values));
	Values[0].Reg64 = Exit->VpContext.Rip + Exit->VpContext.InstructionLength;
	switch (Leaf) {
	case 0x40000000:
		Values[1].Reg64 = 0x40000001;
		Values[2].Reg64 = 0x43766857;	/* "WhvC" */
		Values[3].Reg64 = 0x6E65696C;	/* "lien" */
		Values[4].Reg64 = 0x6D6D5674;	/* "tVmm" */
		break;
	case 0x40000001:
		Values[1].Reg64 = Subleaf + 0x100;
		Values[2].Reg64 = ~Leaf;
		Values[3].Reg64 = 0;
		Values[4].Reg64 = 0x12345678;
		break;
	default:
		Values[1].Reg64 = Cpuid->DefaultResultRax;
		Values[2].Reg64 = Cpuid->DefaultResultRbx;
		Values[3].Reg64 = Cpuid->DefaultResultRcx;
		Values[4].Reg64 = Cpuid->DefaultResultRdx;
		break;
	}
	return WHvSetVirtualProcessorRegisters(Vm->Partition, VP_INDEX, Names, _countof(Names),
					       Values);
}

/* MSRs the hypervisor left to the VMM: one emulated, the others refused. */
static HRESULT HandleMsr(VM *Vm, const WHV_RUN_VP_EXIT_CONTEXT *Exit)
{
	static const WHV_REGISTER_NAME Names[] = {
		WHvX64RegisterRip, WHvX64RegisterRax, WHvX64RegisterRdx,
	};
	const WHV_X64_MSR_ACCESS_CONTEXT *Msr = &Exit->MsrAccess;
	WHV_REGISTER_VALUE Values[_countof(Names)];
	BOOL Write = Msr->AccessInfo.IsWrite;

	if (Vm->MsrExitCount < _countof(Vm->MsrExits)) {
		Vm->MsrExits[Vm->MsrExitCount].Msr = Msr->MsrNumber;
		Vm->MsrExits[Vm->MsrExitCount].Write = Write;
		Vm->MsrExits[Vm->MsrExitCount].Value = (Msr->Rdx << 32) | (UINT32)Msr->Rax;
		Vm->MsrExits[Vm->MsrExitCount].Rip = Exit->VpContext.Rip;
		Vm->MsrExitCount++;
	}
	if (Msr->MsrNumber != MSR_VMM)
		return InjectException(Vm, WHvX64ExceptionTypeGeneralProtectionFault, TRUE, 0);

	ZeroMemory(Values, sizeof(Values));
	Values[0].Reg64 = Exit->VpContext.Rip + Exit->VpContext.InstructionLength;
	if (Write) {
		Vm->VmmMsr = (Msr->Rdx << 32) | (UINT32)Msr->Rax;
		return WHvSetVirtualProcessorRegisters(Vm->Partition, VP_INDEX, Names, 1, Values);
	}
	Values[1].Reg64 = (UINT32)Vm->VmmMsr;
	Values[2].Reg64 = Vm->VmmMsr >> 32;
	return WHvSetVirtualProcessorRegisters(Vm->Partition, VP_INDEX, Names, _countof(Names),
					       Values);
}

/*
 * Exceptions in the exit bitmap: UD2 is the guest calling the VMM (RAX in,
 * RAX + 1 out), any other #UD and every #DE go back to the guest.
 */
static HRESULT HandleException(VM *Vm, const WHV_RUN_VP_EXIT_CONTEXT *Exit)
{
	static const WHV_REGISTER_NAME Names[] = { WHvX64RegisterRip, WHvX64RegisterRax };
	const WHV_VP_EXCEPTION_CONTEXT *Exception = &Exit->VpException;
	WHV_REGISTER_VALUE Values[_countof(Names)];
	EXCEPTION_EXIT *Entry;
	HRESULT hr;

	if (Vm->ExceptionExitCount < _countof(Vm->ExceptionExits)) {
		Entry = &Vm->ExceptionExits[Vm->ExceptionExitCount++];
		Entry->Type = Exception->ExceptionType;
		Entry->ErrorCodeValid = Exception->ExceptionInfo.ErrorCodeValid;
		Entry->Rip = Exit->VpContext.Rip;
		Entry->InstructionByteCount = Exception->InstructionByteCount;
		memcpy(Entry->InstructionBytes, Exception->InstructionBytes,
		       sizeof(Entry->InstructionBytes));
	}

	switch (Exception->ExceptionType) {
	case WHvX64ExceptionTypeInvalidOpcodeFault:
		if (Exception->InstructionByteCount < 2 || Exception->InstructionBytes[0] != 0x0F ||
		    Exception->InstructionBytes[1] != 0x0B)
			return InjectException(Vm, Exception->ExceptionType, FALSE, 0);
		hr = WHvGetVirtualProcessorRegisters(Vm->Partition, VP_INDEX, Names,
						     _countof(Names), Values);
		if (FAILED(hr))
			return hr;
		Values[0].Reg64 += 2;
		Values[1].Reg64 += 1;
		return WHvSetVirtualProcessorRegisters(Vm->Partition, VP_INDEX, Names,
						       _countof(Names), Values);

	case WHvX64ExceptionTypeDivideErrorFault:
		return InjectException(Vm, Exception->ExceptionType, FALSE, 0);

	default:
		return E_UNEXPECTED;
	}
}

/* ------------------------------------------------------------------------ */
/* Running the virtual processor                                            */
/* ------------------------------------------------------------------------ */

static const char *ExitName(WHV_RUN_VP_EXIT_REASON Reason)
{
	switch (Reason) {
	case WHvRunVpExitReasonX64IoPortAccess:
		return "I/O port";
	case WHvRunVpExitReasonMemoryAccess:
		return "memory access";
	case WHvRunVpExitReasonX64Cpuid:
		return "CPUID";
	case WHvRunVpExitReasonX64MsrAccess:
		return "MSR";
	case WHvRunVpExitReasonException:
		return "exception";
	default:
		return "unexpected";
	}
}

/* Runs until HLT; FALSE, with the reason printed, on anything else. */
static BOOL RunUntilHalt(VM *Vm, const char *Scenario)
{
	WHV_RUN_VP_EXIT_CONTEXT Exit;
	WHV_EMULATOR_STATUS Status;
	HRESULT hr;
	int Exits;

	for (Exits = 0; Exits < 1000; Exits++) {
		hr = WHvRunVirtualProcessor(Vm->Partition, VP_INDEX, &Exit, sizeof(Exit));
		if (FAILED(hr)) {
			printf("# %s: WHvRunVirtualProcessor failed: 0x%08x\n", Scenario,
			       (unsigned int)hr);
			return FALSE;
		}

		Status.AsUINT32 = 0;
		Status.EmulationSuccessful = 1;
		switch (Exit.ExitReason) {
		case WHvRunVpExitReasonX64IoPortAccess:
			hr = WHvEmulatorTryIoEmulation(Vm->Emulator, Vm, &Exit.VpContext,
						       &Exit.IoPortAccess, &Status);
			break;

		case WHvRunVpExitReasonMemoryAccess:
			hr = WHvEmulatorTryMmioEmulation(Vm->Emulator, Vm, &Exit.VpContext,
							 &Exit.MemoryAccess, &Status);
			break;

		case WHvRunVpExitReasonX64Cpuid:
			if (!Exit.VpContext.InstructionLength) {
				printf("# %s: CPUID exit at 0x%llx without an instruction length\n",
				       Scenario, (unsigned long long)Exit.VpContext.Rip);
				return FALSE;
			}
			hr = HandleCpuid(Vm, &Exit);
			break;

		case WHvRunVpExitReasonX64MsrAccess:
			if (!Exit.VpContext.InstructionLength) {
				printf("# %s: MSR exit at 0x%llx without an instruction length\n",
				       Scenario, (unsigned long long)Exit.VpContext.Rip);
				return FALSE;
			}
			hr = HandleMsr(Vm, &Exit);
			break;

		case WHvRunVpExitReasonException:
			hr = HandleException(Vm, &Exit);
			break;

		case WHvRunVpExitReasonX64Halt:
			if (Vm->Memory[Exit.VpContext.Rip] != 0xF4) {
				printf("# %s: halted at 0x%llx, not at a HLT\n", Scenario,
				       (unsigned long long)Exit.VpContext.Rip);
				return FALSE;
			}
			return TRUE;

		default:
			printf("# %s: unexpected exit reason 0x%x at 0x%llx\n", Scenario,
			       Exit.ExitReason, (unsigned long long)Exit.VpContext.Rip);
			return FALSE;
		}

		if (FAILED(hr) || !Status.EmulationSuccessful) {
			printf("# %s: handling the %s exit at 0x%llx failed: hr 0x%08x, "
			       "emulator status 0x%x\n", Scenario, ExitName(Exit.ExitReason),
			       (unsigned long long)Exit.VpContext.Rip, (unsigned int)hr,
			       Status.AsUINT32);
			return FALSE;
		}
	}
	printf("# %s: still running after %d exits\n", Scenario, Exits);
	return FALSE;
}

static BOOL RunScenario(VM *Vm, UINT64 Entry, const char *Scenario)
{
	static const WHV_REGISTER_NAME Names[] = {
		WHvX64RegisterRip, WHvX64RegisterRsp, WHvX64RegisterRflags,
	};
	WHV_REGISTER_VALUE Values[_countof(Names)];
	HRESULT hr;

	ZeroMemory(Values, sizeof(Values));
	Values[0].Reg64 = Entry;
	Values[1].Reg64 = STACK_TOP;
	Values[2].Reg64 = 0x2;
	hr = WHvSetVirtualProcessorRegisters(Vm->Partition, VP_INDEX, Names, _countof(Names),
					     Values);
	if (FAILED(hr)) {
		printf("# %s: WHvSetVirtualProcessorRegisters failed: 0x%08x\n", Scenario,
		       (unsigned int)hr);
		return FALSE;
	}
	ResetDevices(Vm);
	return RunUntilHalt(Vm, Scenario);
}

/* ------------------------------------------------------------------------ */
/* What firmware would have done: tables, then long mode by registers      */
/* ------------------------------------------------------------------------ */

static void SetIdtGate(VM *Vm, UINT8 Vector, UINT64 Handler)
{
	UINT64 Low, High;

	Low = (Handler & 0xFFFF) | ((UINT64)SEL_CODE << 16) |
	      (0x8EULL << 40) |				/* present, 64-bit interrupt gate */
	      ((Handler >> 16 & 0xFFFF) << 48);
	High = Handler >> 32;
	WriteGuest(Vm, IDT_GPA + Vector * 16, Low, 8);
	WriteGuest(Vm, IDT_GPA + Vector * 16 + 8, High, 8);
}

static void BuildTables(VM *Vm)
{
	UINT64 TssDescriptor;
	UINT32 i;

	/* GDT: null, 64-bit code, data, 64-bit TSS (two slots). */
	WriteGuest(Vm, GDT_GPA + 0x00, 0, 8);
	WriteGuest(Vm, GDT_GPA + SEL_CODE, GDT_CODE64, 8);
	WriteGuest(Vm, GDT_GPA + SEL_DATA, GDT_DATA, 8);
	TssDescriptor = 0x67 | ((UINT64)(TSS_GPA & 0xFFFFFF) << 16) |
			(0x89ULL << 40) | ((UINT64)(TSS_GPA >> 24) << 56);
	WriteGuest(Vm, GDT_GPA + SEL_TSS, TssDescriptor, 8);
	WriteGuest(Vm, GDT_GPA + SEL_TSS + 8, 0, 8);

	SetIdtGate(Vm, WHvX64ExceptionTypeDivideErrorFault, DE_HANDLER);
	SetIdtGate(Vm, WHvX64ExceptionTypeGeneralProtectionFault, GP_HANDLER);

	/* 4-level paging: 0 - 4 GiB identity-mapped with 2 MiB pages ... */
	WriteGuest(Vm, PML4_GPA, PDPT_GPA | PTE_P | PTE_RW, 8);
	for (i = 0; i < 4; i++)
		WriteGuest(Vm, PDPT_GPA + i * 8, (PD_GPA + i * 0x1000) | PTE_P | PTE_RW, 8);
	for (i = 0; i < 4 * 512; i++)
		WriteGuest(Vm, PD_GPA + i * 8, ((UINT64)i << 21) | PTE_P | PTE_RW | PTE_PS, 8);
	/* ... and the device's page again at DEVICE_ALIAS, with a 4 KiB page. */
	WriteGuest(Vm, PML4_GPA + 8, ALIAS_PDPT_GPA | PTE_P | PTE_RW, 8);
	WriteGuest(Vm, ALIAS_PDPT_GPA, ALIAS_PD_GPA | PTE_P | PTE_RW, 8);
	WriteGuest(Vm, ALIAS_PD_GPA, ALIAS_PT_GPA | PTE_P | PTE_RW, 8);
	WriteGuest(Vm, ALIAS_PT_GPA, DEVICE_GPA | PTE_P | PTE_RW, 8);
}

static HRESULT EnterLongMode(VM *Vm)
{
	static const WHV_REGISTER_NAME Names[] = {
		WHvX64RegisterCs, WHvX64RegisterDs, WHvX64RegisterEs, WHvX64RegisterFs,
		WHvX64RegisterGs, WHvX64RegisterSs, WHvX64RegisterTr, WHvX64RegisterLdtr,
		WHvX64RegisterGdtr, WHvX64RegisterIdtr,
		WHvX64RegisterCr3, WHvX64RegisterCr4, WHvX64RegisterEfer, WHvX64RegisterCr0,
		WHvX64RegisterRip, WHvX64RegisterRsp, WHvX64RegisterRflags,
	};
	WHV_REGISTER_VALUE Values[_countof(Names)];
	UINT32 i;

	ZeroMemory(Values, sizeof(Values));
	Values[0].Segment.Selector = SEL_CODE;
	Values[0].Segment.Limit = 0xFFFFFFFF;
	Values[0].Segment.Attributes = 0xA09B;		/* G, L, present, code */
	for (i = 1; i <= 5; i++) {
		Values[i].Segment.Selector = SEL_DATA;
		Values[i].Segment.Limit = 0xFFFFFFFF;
		Values[i].Segment.Attributes = 0xC093;	/* G, D/B, present, data */
	}
	Values[6].Segment.Selector = SEL_TSS;
	Values[6].Segment.Base = TSS_GPA;
	Values[6].Segment.Limit = 0x67;
	Values[6].Segment.Attributes = 0x008B;		/* present, busy 64-bit TSS */
	Values[7].Segment.Limit = 0xFFFF;
	Values[7].Segment.Attributes = 0x0082;		/* present, LDT */
	Values[8].Table.Base = GDT_GPA;
	Values[8].Table.Limit = SEL_TSS + 16 - 1;
	Values[9].Table.Base = IDT_GPA;
	Values[9].Table.Limit = 256 * 16 - 1;
	Values[10].Reg64 = PML4_GPA;
	Values[11].Reg64 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	Values[12].Reg64 = EFER_LME | EFER_LMA;
	Values[13].Reg64 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	Values[14].Reg64 = ENTRY_HELLO;
	Values[15].Reg64 = STACK_TOP;
	Values[16].Reg64 = 0x2;
	return WHvSetVirtualProcessorRegisters(Vm->Partition, VP_INDEX, Names, _countof(Names),
					       Values);
}

/* ------------------------------------------------------------------------ */
/* The scenarios                                                            */
/* ------------------------------------------------------------------------ */

static void TestHello(VM *Vm)
{
	BOOL Ran, Ok;

	ResetDevices(Vm);
	Ran = RunUntilHalt(Vm, "hello");
	Ok = Ran;
	if (Ran) {
		if (Vm->ConsoleLength != strlen(Greeting) ||
		    memcmp(Vm->Console, Greeting, Vm->ConsoleLength)) {
			printf("#   console: \"%.*s\"\n", (int)Vm->ConsoleLength, Vm->Console);
			Ok = FALSE;
		}
		Expect(&Ok, "CR0.PG|PE", ReadGuest(Vm, RESULTS + 0x00, 8) & (CR0_PG | CR0_PE),
		       CR0_PG | CR0_PE);
		Expect(&Ok, "CR4.PAE", ReadGuest(Vm, RESULTS + 0x08, 8) & CR4_PAE, CR4_PAE);
		Expect(&Ok, "EFER.LME|LMA", ReadGuest(Vm, RESULTS + 0x10, 8) & (EFER_LME | EFER_LMA),
		       EFER_LME | EFER_LMA);
		Expect(&Ok, "MSR exits for EFER", Vm->MsrExitCount, 0);
	}
	Report(Ok, "entered long mode through the registers; the guest prints with OUT");
}

static void TestCpuid(VM *Vm)
{
	/* "Genu"ineIntel, "Auth"enticAMD, "Hygo"nGenuine */
	static const UINT32 Vendors[] = { 0x756E6547, 0x68747541, 0x6F677948 };
	UINT32 Vendor, i;
	BOOL Ran, Ok;

	Vm->CpuidExitCount = 0;
	Ran = RunScenario(Vm, ENTRY_CPUID, "CPUID");
	Ok = Ran;
	if (Ran) {
		Expect(&Ok, "CPUID exits", Vm->CpuidExitCount, 2);
		Expect(&Ok, "leaf of exit 1", Vm->CpuidExits[0].Leaf, 0x40000000);
		Expect(&Ok, "subleaf of exit 1", Vm->CpuidExits[0].Subleaf, 0);
		Expect(&Ok, "leaf of exit 2", Vm->CpuidExits[1].Leaf, 0x40000001);
		Expect(&Ok, "subleaf of exit 2", Vm->CpuidExits[1].Subleaf, 7);
		Expect(&Ok, "RIP of exit 1", Vm->Memory[Vm->CpuidExits[0].Rip], 0x0F);
		Expect(&Ok, "RIP of exit 1 (2)", Vm->Memory[Vm->CpuidExits[0].Rip + 1], 0xA2);
	}
	Report(Ok, "CPUID of leaves in the CpuidExitList exits with the leaf and subleaf");

	Ok = Ran;
	if (Ran) {
		Expect(&Ok, "guest's verdict on 0x40000000", ReadGuest(Vm, RESULTS + 0x30, 4), 0);
		Expect(&Ok, "EAX of 0x40000000", ReadGuest(Vm, RESULTS + 0x20, 4), 0x40000001);
		Expect(&Ok, "EAX of 0x40000001.7", ReadGuest(Vm, RESULTS + 0x40, 4), 0x107);
		Expect(&Ok, "EBX of 0x40000001.7", ReadGuest(Vm, RESULTS + 0x44, 4), ~0x40000001u);
		Expect(&Ok, "ECX of 0x40000001.7", ReadGuest(Vm, RESULTS + 0x48, 4), 0);
		Expect(&Ok, "EDX of 0x40000001.7", ReadGuest(Vm, RESULTS + 0x4C, 4), 0x12345678);
	}
	Report(Ok, "the guest gets the VMM's CPUID answers and checks them");

	Ok = Ran;
	if (Ran) {
		Vendor = (UINT32)ReadGuest(Vm, RESULTS + 0x50, 4);
		for (i = 0; i < _countof(Vendors) && Vendor != Vendors[i]; i++)
			;
		if (i == _countof(Vendors)) {
			printf("#   EBX of leaf 0: 0x%08x, not a CPU vendor\n", Vendor);
			Ok = FALSE;
		}
	}
	Report(Ok, "CPUID leaf 0, not in the list, is answered without an exit");
}

static void TestMsr(VM *Vm)
{
	BOOL Ran, Ok;

	Vm->VmmMsr = 0x0123456789ABCDEFull;
	Vm->MsrExitCount = 0;
	WriteGuest(Vm, RESULTS + 0x88, 0, 4);
	Ran = RunScenario(Vm, ENTRY_MSR, "MSR");
	Ok = Ran;
	if (Ran) {
		Expect(&Ok, "MSR exits", Vm->MsrExitCount, 4);
		Expect(&Ok, "MSR of exit 1", Vm->MsrExits[0].Msr, MSR_VMM);
		Expect(&Ok, "exit 1 is a write", Vm->MsrExits[0].Write, FALSE);
		Expect(&Ok, "MSR of exit 2", Vm->MsrExits[1].Msr, MSR_VMM);
		Expect(&Ok, "exit 2 is a write", Vm->MsrExits[1].Write, TRUE);
		Expect(&Ok, "EDX:EAX of exit 2", Vm->MsrExits[1].Value, 0x0BADC0DECAFEF00Dull);
		Expect(&Ok, "MSR of exit 3", Vm->MsrExits[2].Msr, MSR_VMM);
		Expect(&Ok, "exit 3 is a write", Vm->MsrExits[2].Write, FALSE);
		Expect(&Ok, "RDMSR 1: EAX", ReadGuest(Vm, RESULTS + 0x60, 4), 0x89ABCDEF);
		Expect(&Ok, "RDMSR 1: EDX", ReadGuest(Vm, RESULTS + 0x64, 4), 0x01234567);
		Expect(&Ok, "RDMSR 2: EAX", ReadGuest(Vm, RESULTS + 0x68, 4), 0xCAFEF00D);
		Expect(&Ok, "RDMSR 2: EDX", ReadGuest(Vm, RESULTS + 0x6C, 4), 0x0BADC0DE);
	}
	Report(Ok, "RDMSR/WRMSR of an MSR the hypervisor does not know go through the VMM");

	Ok = Ran;
	if (Ran)
		Expect(&Ok, "LSTAR read back", ReadGuest(Vm, RESULTS + 0x70, 4), 0x00401000);
	Report(Ok, "LSTAR is the hypervisor's: written and read without an exit");

	Ok = Ran;
	if (Ran) {
		Expect(&Ok, "MSR of exit 4", Vm->MsrExits[3].Msr, MSR_REFUSED);
		Expect(&Ok, "RIP of exit 4", Vm->MsrExits[3].Rip, SITE_MSR_REFUSED);
		Expect(&Ok, "#GP handler runs", ReadGuest(Vm, RESULTS + 0x88, 4), 1);
		Expect(&Ok, "#GP error code", ReadGuest(Vm, RESULTS + 0x78, 8), 0);
		Expect(&Ok, "#GP RIP", ReadGuest(Vm, RESULTS + 0x80, 8), SITE_MSR_REFUSED);
		Expect(&Ok, "EAX after the refused RDMSR", ReadGuest(Vm, RESULTS + 0x74, 4),
		       0x11111111);
	}
	Report(Ok, "an MSR the VMM refuses: the injected #GP reaches the guest's handler");
}

static void TestExceptions(VM *Vm)
{
	const EXCEPTION_EXIT *Ud = &Vm->ExceptionExits[0], *De = &Vm->ExceptionExits[1];
	BOOL Ran, Ok;

	Vm->ExceptionExitCount = 0;
	WriteGuest(Vm, RESULTS + 0xA8, 0, 4);
	Ran = RunScenario(Vm, ENTRY_EXCEPTION, "exceptions");
	Ok = Ran;
	if (Ran) {
		Expect(&Ok, "exception exits", Vm->ExceptionExitCount, 2);
		Expect(&Ok, "type of exit 1", Ud->Type, WHvX64ExceptionTypeInvalidOpcodeFault);
		Expect(&Ok, "error code valid", Ud->ErrorCodeValid, FALSE);
		Expect(&Ok, "RIP of exit 1", Ud->Rip, SITE_UD2);
		Expect(&Ok, "instruction bytes", Ud->InstructionByteCount >= 2 &&
		       Ud->InstructionBytes[0] == 0x0F && Ud->InstructionBytes[1] == 0x0B, TRUE);
		Expect(&Ok, "RAX after UD2", ReadGuest(Vm, RESULTS + 0x90, 8), 42);
	}
	Report(Ok, "#UD exit for UD2: the VMM answers in RAX and skips it");

	Ok = Ran;
	if (Ran) {
		Expect(&Ok, "type of exit 2", De->Type, WHvX64ExceptionTypeDivideErrorFault);
		Expect(&Ok, "RIP of exit 2", De->Rip, SITE_DIV);
		Expect(&Ok, "#DE handler runs", ReadGuest(Vm, RESULTS + 0xA8, 4), 1);
		Expect(&Ok, "#DE RIP", ReadGuest(Vm, RESULTS + 0xA0, 8), SITE_DIV);
		Expect(&Ok, "RAX after DIV", ReadGuest(Vm, RESULTS + 0x98, 8), 100);
	}
	Report(Ok, "#DE exit: the VMM injects it and the guest's handler runs");
}

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
		ExpectAccess(&Ok, Vm, 4, TRUE, DEV_DATA, 8, 0x1122334455667788ull);
		ExpectAccess(&Ok, Vm, 5, FALSE, 0x08, 1, 0x11);
		ExpectAccess(&Ok, Vm, 6, FALSE, 0x0A, 2, 0x2233);
		ExpectAccess(&Ok, Vm, 7, FALSE, 0x0C, 4, 0x44556677);
		ExpectAccess(&Ok, Vm, 8, FALSE, DEV_DATA, 8, 0x1122334455667788ull);
		Expect(&Ok, "EAX from the ID register", ReadGuest(Vm, RESULTS + 0xB0, 4),
		       DEV_ID_VALUE);
		Expect(&Ok, "EDX (MOVZX byte)", ReadGuest(Vm, RESULTS + 0xB4, 4), 0x11);
		Expect(&Ok, "ESI (MOVZX word)", ReadGuest(Vm, RESULTS + 0xB8, 4), 0x2233);
		Expect(&Ok, "EDI", ReadGuest(Vm, RESULTS + 0xBC, 4), 0x44556677);
		Expect(&Ok, "RCX", ReadGuest(Vm, RESULTS + 0xC0, 8), 0x1122334455667788ull);
	}
	Report(Ok, "MMIO: MOV and MOVZX loads and stores of 1, 2, 4 and 8 bytes");

	Ok = Ran;
	if (Ran) {
		ExpectAccess(&Ok, Vm, 9, FALSE, DEV_CTRL, 4, 0x100);
		ExpectAccess(&Ok, Vm, 10, TRUE, DEV_CTRL, 4, 0x80000101);
		ExpectAccess(&Ok, Vm, 11, FALSE, DEV_COUNTER, 8, 0xFFFFFFFF);
		ExpectAccess(&Ok, Vm, 12, TRUE, DEV_COUNTER, 8, 0x100000004ull);
		Expect(&Ok, "EAX from CTRL", ReadGuest(Vm, RESULTS + 0xC8, 4), 0x80000101);
		Expect(&Ok, "RDX from COUNTER", ReadGuest(Vm, RESULTS + 0xD0, 8), 0x100000004ull);
	}
	Report(Ok, "MMIO: OR dword and ADD qword read-modify-write device registers");

	Ok = Ran;
	if (Ran) {
		ExpectAccess(&Ok, Vm, 15, TRUE, DEV_ALIASED, 4, 0x0A11A5ED);
		ExpectAccess(&Ok, Vm, 16, FALSE, DEV_ALIASED, 4, 0x0A11A5ED);
		Expect(&Ok, "device accesses", Vm->DeviceLogCount, 17);
		Expect(&Ok, "EAX through the alias", ReadGuest(Vm, RESULTS + 0xD8, 4), 0x0A11A5ED);
		Expect(&Ok, "stray accesses", Vm->StrayAccesses, 0);
	}
	Report(Ok, "MMIO through a 4 KiB page at VA 0x8000000000 reaches the same device");
}

static void TestMovs(VM *Vm)
{
	BOOL Ran, Ok;
	UINT32 i;

	for (i = 0; i < 32; i++)
		Vm->Memory[MOVS_SOURCE + i] = (UINT8)(0xA0 + i);
	memset(Vm->Memory + MOVS_TARGET, 0, 32);
	Ran = RunScenario(Vm, ENTRY_MOVS, "MOVS");
	Ok = Ran;
	for (i = 0; Ran && i < 4; i++)
		ExpectAccess(&Ok, Vm, i, TRUE, DEV_BUFFER + 8 * i, 8,
			     ReadGuest(Vm, MOVS_SOURCE + 8 * i, 8));
	for (i = 0; Ran && i < 32; i++)
		ExpectAccess(&Ok, Vm, 4 + i, FALSE, DEV_BUFFER + i, 1, 0xA0 + i);
	if (Ran) {
		Expect(&Ok, "device accesses", Vm->DeviceLogCount, 36);
		if (memcmp(Vm->Memory + MOVS_TARGET, Vm->Memory + MOVS_SOURCE, 32)) {
			printf("#   RAM at 0x%x does not hold what the device gave\n", MOVS_TARGET);
			Ok = FALSE;
		}
	}
	Report(Ok, "MMIO: REP MOVSQ from RAM to the device, REP MOVSB back to RAM");
}

static void TestStringIo(VM *Vm)
{
	UINT32 ConsoleStart = Vm->ConsoleLength;
	BOOL Ran = RunScenario(Vm, ENTRY_STRING_IO, "string I/O");
	BOOL Ok = Ran;
	UINT32 i;

	if (Ran) {
		if (Vm->ConsoleLength - ConsoleStart != strlen(Banner) ||
		    memcmp(Vm->Console + ConsoleStart, Banner, strlen(Banner))) {
			printf("#   console: \"%.*s\"\n", (int)(Vm->ConsoleLength - ConsoleStart),
			       Vm->Console + ConsoleStart);
			Ok = FALSE;
		}
		for (i = 0; i < 4; i++)
			Expect(&Ok, "dword stored by REP INSD", ReadGuest(Vm, INSD_BUFFER + 4 * i, 4),
			       0xC0DE0000 + i);
		Expect(&Ok, "RCX after REP INSD", ReadGuest(Vm, RESULTS + 0xE0, 8), 0);
		Expect(&Ok, "RDI after REP INSD", ReadGuest(Vm, RESULTS + 0xE8, 8), INSD_BUFFER + 16);
	}
	Report(Ok, "REP OUTSB and REP INSD in long mode, through the guest's page tables");
}

/* ------------------------------------------------------------------------ */

static HRESULT SetupPartition(VM *Vm)
{
	static const UINT32 CpuidExitList[] = { 0x40000000, 0x40000001 };
	WHV_PARTITION_PROPERTY Property;
	HRESULT hr;

	hr = WHvCreatePartition(&Vm->Partition);
	if (FAILED(hr))
		return hr;

	ZeroMemory(&Property, sizeof(Property));
	Property.ProcessorCount = 1;
	hr = WHvSetPartitionProperty(Vm->Partition, WHvPartitionPropertyCodeProcessorCount,
				     &Property, sizeof(Property));
	if (FAILED(hr))
		return hr;

	ZeroMemory(&Property, sizeof(Property));
	Property.ExtendedVmExits.X64CpuidExit = 1;
	Property.ExtendedVmExits.X64MsrExit = 1;
	Property.ExtendedVmExits.ExceptionExit = 1;
	hr = WHvSetPartitionProperty(Vm->Partition, WHvPartitionPropertyCodeExtendedVmExits,
				     &Property, sizeof(Property));
	if (FAILED(hr))
		return hr;

	hr = WHvSetPartitionProperty(Vm->Partition, WHvPartitionPropertyCodeCpuidExitList,
				     CpuidExitList, sizeof(CpuidExitList));
	if (FAILED(hr))
		return hr;

	ZeroMemory(&Property, sizeof(Property));
	Property.ExceptionExitBitmap = (1ull << WHvX64ExceptionTypeDivideErrorFault) |
				       (1ull << WHvX64ExceptionTypeInvalidOpcodeFault);
	hr = WHvSetPartitionProperty(Vm->Partition, WHvPartitionPropertyCodeExceptionExitBitmap,
				     &Property, sizeof(Property));
	if (FAILED(hr))
		return hr;

	hr = WHvSetupPartition(Vm->Partition);
	if (FAILED(hr))
		return hr;

	Vm->Memory = (UINT8 *)VirtualAlloc(NULL, RAM_SIZE, MEM_RESERVE | MEM_COMMIT,
					   PAGE_READWRITE);
	if (!Vm->Memory)
		return HRESULT_FROM_WIN32(GetLastError());
	memcpy(Vm->Memory + CODE_GPA, GuestCode, sizeof(GuestCode));
	BuildTables(Vm);
	hr = WHvMapGpaRange(Vm->Partition, Vm->Memory, 0, RAM_SIZE,
			    WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite |
			    WHvMapGpaRangeFlagExecute);
	if (FAILED(hr))
		return hr;

	hr = WHvCreateVirtualProcessor(Vm->Partition, VP_INDEX, 0);
	if (FAILED(hr))
		return hr;

	hr = EnterLongMode(Vm);
	if (FAILED(hr))
		return hr;

	return WHvEmulatorCreateEmulator(&EmulatorCallbacks, &Vm->Emulator);
}

int main(void)
{
	WHV_CAPABILITY Capability;
	UINT32 Written;
	VM Vm;
	HRESULT hr;
	BOOL Ok;

	setvbuf(stdout, NULL, _IONBF, 0);
	printf("# longmode_exits: a long-mode guest, CPUID/MSR/exception exits, MMIO\n");
	ZeroMemory(&Vm, sizeof(Vm));

	hr = WHvGetCapability(WHvCapabilityCodeHypervisorPresent, &Capability,
			      sizeof(Capability), &Written);
	if (FAILED(hr) || !Capability.HypervisorPresent) {
		printf("not ok 1 - the hypervisor is present (hr 0x%08x)\n", (unsigned int)hr);
		printf("1..1\n");
		return 1;
	}

	hr = SetupPartition(&Vm);
	Ok = SUCCEEDED(hr);
	if (!Ok)
		printf("#   setting up the partition failed: 0x%08x\n", (unsigned int)hr);
	Report(Ok, "partition with CPUID, MSR and exception exits, memory, tables, long-mode VP");

	if (Ok) {
		TestHello(&Vm);
		TestCpuid(&Vm);
		TestMsr(&Vm);
		TestExceptions(&Vm);
		TestMmio(&Vm);
		TestMovs(&Vm);
		TestStringIo(&Vm);
	}

	Ok = TRUE;
	if (Vm.Emulator)
		Expect(&Ok, "WHvEmulatorDestroyEmulator",
		       (UINT32)WHvEmulatorDestroyEmulator(Vm.Emulator), (UINT32)S_OK);
	if (Vm.Partition)
		Expect(&Ok, "WHvDeletePartition", (UINT32)WHvDeletePartition(Vm.Partition),
		       (UINT32)S_OK);
	if (Vm.Memory && !VirtualFree(Vm.Memory, 0, MEM_RELEASE))
		Ok = FALSE;
	Report(Ok, "emulator, partition and memory released");

	printf("1..%d\n", TestCount);
	return FailureCount ? 1 : 0;
}
