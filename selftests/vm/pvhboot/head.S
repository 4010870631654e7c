/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Multiboot entry and PVH exit of pvhboot (see pvhboot.c). 32-bit flat
 * protected mode, paging off, on both sides.
 */

#define MB_HEADER_MAGIC	0x1badb002
/* Bit 0: modules page-aligned; bit 1: pass mem_* and the BIOS memory map. */
#define MB_HEADER_FLAGS	0x00000003

	.section .multiboot, "a"
	.balign 4
	.long MB_HEADER_MAGIC
	.long MB_HEADER_FLAGS
	.long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)

	.text
	.code32
	.globl _start
_start:
	/* EAX = 0x2badb002, EBX = multiboot info; the loader's stack is not ours. */
	cli
	cld
	mov	$stack_top, %esp
	push	%ebx
	push	%eax
	call	pvhboot_main
1:	hlt
	jmp	1b

/*
 * void pvh_enter(uint32_t entry, uint32_t start_info): the PVH boot ABI wants
 * flat 32-bit CS/DS/ES/SS, CR0 = PE only, CR4 = 0, IF = 0 and EBX = start_info.
 * Our own GDT, since the multiboot loader's may lie where the kernel goes.
 */
	.globl pvh_enter
pvh_enter:
	mov	4(%esp), %eax
	mov	8(%esp), %ebx
	lgdt	gdt_desc
	ljmp	$0x08, $2f
2:	mov	$0x10, %ecx
	mov	%ecx, %ds
	mov	%ecx, %es
	mov	%ecx, %ss
	mov	%ecx, %fs
	mov	%ecx, %gs
	mov	$0x11, %ecx		/* PE | ET: also clears CD/NW left by the BIOS */
	mov	%ecx, %cr0
	xor	%ecx, %ecx
	mov	%ecx, %cr4
	jmp	*%eax

	.section .rodata
	.balign 8
gdt:
	.quad	0
	.quad	0x00cf9a000000ffff	/* 0x08: code, base 0, limit 4G, 32-bit */
	.quad	0x00cf92000000ffff	/* 0x10: data, base 0, limit 4G */
gdt_desc:
	.word	gdt_desc - gdt - 1
	.long	gdt

	.bss
	.balign 16
	.skip	16384
stack_top:

	.section .note.GNU-stack, "", @progbits
