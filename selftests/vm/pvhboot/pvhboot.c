// SPDX-License-Identifier: GPL-2.0
/*
 * pvhboot: a multiboot kernel that boots an uncompressed x86 Linux (vmlinux)
 * through its PVH entry point, so that an emulator without a direct kernel
 * boot (Bochs) skips the bzImage's self-decompression, which is most of its
 * boot time under emulation.
 *
 *   mboot.c32 pvhboot.elf --- vmlinux <kernel command line> --- initrd
 *
 * It copies the PT_LOAD segments of vmlinux to their physical addresses
 * (unless pvhtrim's layout put them there already), finds the entry in the
 * XEN_ELFNOTE_PHYS32_ENTRY note and enters it as the PVH boot ABI says, with
 * a struct hvm_start_info (version 1) holding the command line, the initrd as
 * the only module, the BIOS memory map and the ACPI RSDP. Messages go to
 * COM1; on error it asks Bochs to quit.
 */
#include <stdint.h>
#include <stddef.h>

/* --- multiboot (v1) ------------------------------------------------------ */
#define MB_BOOTLOADER_MAGIC	0x2badb002
#define MBI_MEM			(1u << 0)
#define MBI_MODS		(1u << 3)
#define MBI_MMAP		(1u << 6)

struct mb_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
	uint32_t mods_count, mods_addr, syms[4], mmap_length, mmap_addr;
};

struct mb_module {
	uint32_t start, end, string, reserved;
};

struct mb_mmap {
	uint32_t size;		/* of the rest of the entry */
	uint64_t addr, len;
	uint32_t type;
} __attribute__((packed));

/* --- ELF64 ---------------------------------------------------------------- */
struct elf64_ehdr {
	unsigned char ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct elf64_phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

#define PT_LOAD			1
#define PT_NOTE			4
#define XEN_ELFNOTE_PHYS32_ENTRY 18

/* --- PVH boot ABI (xen/interface/hvm/start_info.h) ----------------------- */
#define XEN_HVM_START_MAGIC	0x336ec578

struct hvm_start_info {
	uint32_t magic, version, flags, nr_modules;
	uint64_t modlist_paddr, cmdline_paddr, rsdp_paddr;
	uint64_t memmap_paddr;
	uint32_t memmap_entries, reserved;
};

struct hvm_modlist_entry {
	uint64_t paddr, size, cmdline_paddr, reserved;
};

struct hvm_memmap_table_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

#define MAX_MEMMAP	128
#define CMDLINE_MAX	2048	/* Linux's COMMAND_LINE_SIZE on x86 */

/* The kernel copies start_info at once and reads the rest early in boot,
 * before it allocates memory, so they may live in our .bss (below 16 MiB). */
static struct hvm_start_info start_info;
static struct hvm_modlist_entry modlist;
static struct hvm_memmap_table_entry memmap[MAX_MEMMAP];
static char cmdline[CMDLINE_MAX];

extern char _image_start[], _image_end[];
void pvh_enter(uint32_t entry, uint32_t start_info);
void pvhboot_main(uint32_t magic, const struct mb_info *mbi);

/* gcc may emit calls to these even when freestanding. rep movs/stos are
 * what an emulator runs fastest. */
void *memcpy(void *dst, const void *src, size_t n)
{
	void *d = dst;
	size_t words = n >> 2;

	asm volatile("rep movsl; mov %3, %%ecx; rep movsb"
		     : "+D"(d), "+S"(src), "+c"(words) : "r"(n & 3) : "memory");
	return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
	char *d = (char *)dst + n - 1;
	const char *s = (const char *)src + n - 1;

	if ((uintptr_t)dst <= (uintptr_t)src || (uintptr_t)dst >= (uintptr_t)src + n)
		return memcpy(dst, src, n);
	/* Overlapping, destination above: copy backwards. */
	asm volatile("std; rep movsb; cld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
	return dst;
}

void *memset(void *dst, int c, size_t n)
{
	void *d = dst;
	size_t words = n >> 2;

	asm volatile("rep stosl; mov %2, %%ecx; rep stosb"
		     : "+D"(d), "+c"(words) : "r"(n & 3), "a"((c & 0xff) * 0x01010101u)
		     : "memory");
	return dst;
}

static int memeq(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;

	while (n--)
		if (*x++ != *y++)
			return 0;
	return 1;
}

static inline void outb(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

/* COM1 at 115200 8N1, as the kernel's console will be; the BIOS leaves it at
 * 5-bit words. */
static void init_com1(void)
{
	outb(0x3fb, 0x80);	/* LCR: divisor latch access */
	outb(0x3f8, 1);		/* divisor 1: 115200 baud */
	outb(0x3f9, 0);
	outb(0x3fb, 0x03);	/* LCR: 8N1 */
	outb(0x3fa, 0x07);	/* FCR: FIFOs on and cleared */
	outb(0x3fc, 0x03);	/* MCR: DTR, RTS */
}

static void putc_com1(char c)
{
	for (int i = 0; i < 100000 && !(inb(0x3fd) & 0x20); i++)
		;
	outb(0x3f8, c);
}

static void puts_com1(const char *s)
{
	while (*s) {
		if (*s == '\n')
			putc_com1('\r');
		putc_com1(*s++);
	}
}

static void puthex(uint32_t v)
{
	puts_com1("0x");
	for (int i = 28; i >= 0; i -= 4)
		putc_com1("0123456789abcdef"[(v >> i) & 15]);
}

static __attribute__((noreturn)) void die(const char *msg)
{
	const char *quit = "Shutdown";

	puts_com1("pvhboot: error: ");
	puts_com1(msg);
	puts_com1("\n");
	/* Bochs's shutdown port ends the run now instead of at the timeout. */
	while (*quit)
		outb(0x8900, *quit++);
	for (;;)
		asm volatile("cli; hlt");
}

static int overlaps(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen)
{
	return a < b + blen && b < a + alen;
}

static uint32_t align_up(uint32_t x, uint32_t a)
{
	return (x + a - 1) & ~(a - 1);
}

/* Whether [addr, addr + len) is RAM in the memory map. */
static int is_ram(uint32_t addr, uint32_t len, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (memmap[i].type == 1 && memmap[i].addr <= addr &&
		    addr + (uint64_t)len <= memmap[i].addr + memmap[i].size)
			return 1;
	return 0;
}

static uint32_t get_memmap(const struct mb_info *mbi)
{
	uint32_t n = 0;

	if (mbi->flags & MBI_MMAP) {
		uint32_t p = mbi->mmap_addr, end = p + mbi->mmap_length;

		while (p < end && n < MAX_MEMMAP) {
			const struct mb_mmap *e = (const void *)p;

			memmap[n].addr = e->addr;
			memmap[n].size = e->len;
			memmap[n].type = e->type;	/* e820 types, as PVH */
			n++;
			p += e->size + 4;
		}
	} else if (mbi->flags & MBI_MEM) {
		memmap[0].addr = 0;
		memmap[0].size = mbi->mem_lower << 10;
		memmap[0].type = 1;
		memmap[1].addr = 0x100000;
		memmap[1].size = (uint64_t)mbi->mem_upper << 10;
		memmap[1].type = 1;
		n = 2;
	}
	if (!n)
		die("no memory map from the multiboot loader");
	return n;
}

/* ACPI: "RSD PTR " on a 16-byte boundary in the EBDA's first KiB or in
 * 0xe0000-0xfffff, with a valid checksum over its first 20 bytes. The
 * kernel would find it too, but PVH lets us hand it over. */
static uint32_t find_rsdp(void)
{
	uint16_t ebda_seg;
	uint32_t ranges[2][2];

	/* The BIOS data area's EBDA segment; asm, as gcc objects to address 0x40e. */
	asm volatile("movw 0x40e, %0" : "=r"(ebda_seg));
	ranges[0][0] = (uint32_t)ebda_seg << 4;
	ranges[0][1] = 1024;
	ranges[1][0] = 0xe0000;
	ranges[1][1] = 0x20000;

	for (int r = 0; r < 2; r++) {
		for (uint32_t p = ranges[r][0]; p < ranges[r][0] + ranges[r][1]; p += 16) {
			const unsigned char *s = (const void *)p;
			unsigned char sum = 0;

			if (!p || !memeq(s, "RSD PTR ", 8))
				continue;
			for (int i = 0; i < 20; i++)
				sum += s[i];
			if (!sum)
				return p;
		}
	}
	return 0;
}

/* Everything after the first word (mboot passes the file name first, as
 * GRUB does). */
static void get_cmdline(uint32_t str)
{
	const char *s = (const char *)str;
	uint32_t i = 0;

	if (s) {
		while (*s && *s != ' ')
			s++;
		while (*s == ' ')
			s++;
		while (*s && i < CMDLINE_MAX - 1)
			cmdline[i++] = *s++;
	}
	cmdline[i] = 0;
}

static uint32_t find_pvh_entry(const char *elf, uint32_t size, const struct elf64_phdr *ph,
			       uint32_t phnum)
{
	for (uint32_t i = 0; i < phnum; i++) {
		uint32_t p, end;

		if (ph[i].type != PT_NOTE)
			continue;
		p = (uint32_t)ph[i].offset;
		end = p + (uint32_t)ph[i].filesz;
		if (end > size)
			die("vmlinux: note segment beyond the file");
		while (p + 12 <= end) {
			const struct elf_note {
				uint32_t namesz, descsz, type;
			} *n = (const void *)(elf + p);
			const char *name = elf + p + 12;
			const char *desc = name + align_up(n->namesz, 4);

			if (n->type == XEN_ELFNOTE_PHYS32_ENTRY && n->namesz == 4 &&
			    memeq(name, "Xen", 4) && n->descsz >= 4)
				return *(const uint32_t *)desc;	/* low half of a u64 */
			p = (uint32_t)(desc - elf) + align_up(n->descsz, 4);
		}
	}
	die("vmlinux has no PVH entry note (XEN_ELFNOTE_PHYS32_ENTRY; CONFIG_PVH=y?)");
}

void pvhboot_main(uint32_t magic, const struct mb_info *mbi)
{
	const struct mb_module *mods;
	const struct elf64_ehdr *eh;
	const struct elf64_phdr *ph;
	uint32_t nmm, kstart = ~0u, kend = 0, entry, top, in_place;
	uint32_t vm, vm_len, rd = 0, rd_len = 0;
	uint32_t img = (uint32_t)_image_start, img_len = _image_end - _image_start;

	init_com1();
	if (magic != MB_BOOTLOADER_MAGIC)
		die("not started by a multiboot loader");
	if (!(mbi->flags & MBI_MODS) || !mbi->mods_count)
		die("no modules: want vmlinux [initrd]");
	mods = (const void *)mbi->mods_addr;
	vm = mods[0].start;
	vm_len = mods[0].end - mods[0].start;
	if (mbi->mods_count > 1) {
		rd = mods[1].start;
		rd_len = mods[1].end - mods[1].start;
	}
	/* Copy what we need out of the multiboot data before overwriting memory. */
	get_cmdline(mods[0].string);
	nmm = get_memmap(mbi);

	eh = (const void *)vm;
	if (vm_len < sizeof(*eh) || !memeq(eh->ident, "\177ELF\2\1", 6) || eh->machine != 62)
		die("first module is not an x86-64 ELF vmlinux");
	if (eh->phoff + (uint64_t)eh->phnum * sizeof(*ph) > vm_len ||
	    eh->phentsize != sizeof(*ph))
		die("vmlinux: bad program headers");
	ph = (const void *)(vm + (uint32_t)eh->phoff);
	for (uint32_t i = 0; i < eh->phnum; i++) {
		if (ph[i].type != PT_LOAD)
			continue;
		if (ph[i].paddr + ph[i].memsz > 0xffffffffull ||
		    ph[i].offset + ph[i].filesz > vm_len || ph[i].filesz > ph[i].memsz)
			die("vmlinux: segment out of range");
		if ((uint32_t)ph[i].paddr < kstart)
			kstart = (uint32_t)ph[i].paddr;
		if ((uint32_t)(ph[i].paddr + ph[i].memsz) > kend)
			kend = (uint32_t)(ph[i].paddr + ph[i].memsz);
	}
	if (kend <= kstart)
		die("vmlinux: no loadable segment");
	entry = find_pvh_entry((const char *)vm, vm_len, ph, eh->phnum);
	if (overlaps(kstart, kend - kstart, img, img_len) || !is_ram(kstart, kend - kstart, nmm))
		die("vmlinux: segments overlap the loader or lie outside RAM");

	/* Already in place: pvhtrim's layout, mboot's placement right above us. */
	in_place = 1;
	for (uint32_t i = 0; i < eh->phnum; i++)
		if (ph[i].type == PT_LOAD && vm + (uint32_t)ph[i].offset != (uint32_t)ph[i].paddr)
			in_place = 0;

	/*
	 * Otherwise mboot.c32's modules are where the kernel goes. Move what is
	 * in the way above everything, so that no copy clobbers what is still
	 * to be read.
	 */
	top = align_up(kend, 4096);
	if (vm + vm_len > top)
		top = align_up(vm + vm_len, 4096);
	if (rd + rd_len > top)
		top = align_up(rd + rd_len, 4096);
	if (!in_place && overlaps(vm, vm_len, kstart, kend - kstart)) {
		if (!is_ram(top, vm_len, nmm))
			die("not enough RAM to move vmlinux out of the kernel's way");
		memmove((void *)top, (void *)vm, vm_len);
		vm = top;
		top = align_up(top + vm_len, 4096);
	}
	if (rd_len && overlaps(rd, rd_len, kstart, kend - kstart)) {
		if (!is_ram(top, rd_len, nmm))
			die("not enough RAM to move the initrd out of the kernel's way");
		memmove((void *)top, (void *)rd, rd_len);
		rd = top;
	}

	eh = (const void *)vm;
	ph = (const void *)(vm + (uint32_t)eh->phoff);
	for (uint32_t i = 0; i < eh->phnum; i++) {
		char *dst = (char *)(uint32_t)ph[i].paddr;

		if (ph[i].type != PT_LOAD)
			continue;
		if (!in_place)
			memcpy(dst, (const char *)vm + (uint32_t)ph[i].offset,
			       (uint32_t)ph[i].filesz);
		memset(dst + (uint32_t)ph[i].filesz, 0, (uint32_t)(ph[i].memsz - ph[i].filesz));
	}

	start_info.magic = XEN_HVM_START_MAGIC;
	start_info.version = 1;
	start_info.cmdline_paddr = (uint32_t)cmdline;
	start_info.rsdp_paddr = find_rsdp();
	start_info.memmap_paddr = (uint32_t)memmap;
	start_info.memmap_entries = nmm;
	if (rd_len) {
		modlist.paddr = rd;
		modlist.size = rd_len;
		start_info.nr_modules = 1;
		start_info.modlist_paddr = (uint32_t)&modlist;
	}

	puts_com1("pvhboot: kernel ");
	puthex(kstart);
	puts_com1("-");
	puthex(kend);
	puts_com1(" entry ");
	puthex(entry);
	puts_com1(in_place ? " in place" : " copied");
	puts_com1(", initrd ");
	puthex(rd);
	puts_com1("+");
	puthex(rd_len);
	puts_com1("\n");
	pvh_enter(entry, (uint32_t)&start_info);
}
