// SPDX-License-Identifier: GPL-2.0
/*
 * pvhtrim IN OUT: rewrite an ELF64 vmlinux for pvhboot: the ELF header and
 * program headers in the first 4 KiB, then the PT_LOAD bytes laid out as in
 * physical memory (file offset 4096 + p_paddr - lowest p_paddr), each with its
 * trailing zeros cut (a lower p_filesz; pvhboot zero-fills up to p_memsz).
 *
 * Cutting zeros shrinks Debian's 6.1 vmlinux from 66 to 37 MB, which the
 * emulated BIOS reads twice as fast. The layout lets pvhboot skip copying:
 * mboot.c32 puts this module just above pvhboot, which ends 4 KiB below
 * 16 MiB (the kernel's usual load address), so the bytes land in place.
 * A host tool, run at build time.
 */
#include <elf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *msg)
{
	fprintf(stderr, "pvhtrim: %s\n", msg);
	exit(1);
}

int main(int argc, char **argv)
{
	const Elf64_Phdr *old;
	Elf64_Ehdr eh;
	Elf64_Phdr *ph;
	unsigned char *in;
	Elf64_Addr base = ~(Elf64_Addr)0;
	FILE *f;
	long size;

	if (argc != 3)
		die("usage: pvhtrim IN OUT");
	f = fopen(argv[1], "rb");
	if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < (long)sizeof(eh))
		die("cannot read input");
	in = malloc(size);
	rewind(f);
	if (!in || fread(in, 1, size, f) != (size_t)size)
		die("cannot read input");
	fclose(f);

	memcpy(&eh, in, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(*ph) || eh.e_phoff + eh.e_phnum * sizeof(*ph) > (size_t)size)
		die("not an ELF64 file with program headers");
	old = (const Elf64_Phdr *)(in + eh.e_phoff);
	ph = calloc(eh.e_phnum, sizeof(*ph));
	if (!ph)
		die("out of memory");

	/* Headers first, then each PT_LOAD at its place relative to the lowest. */
	if (sizeof(eh) + eh.e_phnum * sizeof(*ph) > 4096)
		die("too many program headers");
	for (int i = 0; i < eh.e_phnum; i++)
		if (old[i].p_type == PT_LOAD && old[i].p_paddr < base)
			base = old[i].p_paddr;
	for (int i = 0; i < eh.e_phnum; i++) {
		ph[i] = old[i];
		if (old[i].p_type != PT_LOAD)
			continue;
		if (old[i].p_offset + old[i].p_filesz > (size_t)size)
			die("segment beyond the end of the file");
		while (ph[i].p_filesz && !in[old[i].p_offset + ph[i].p_filesz - 1])
			ph[i].p_filesz--;
		ph[i].p_offset = 4096 + (old[i].p_paddr - base);
	}
	/* Other headers (the PT_NOTE with the PVH entry) lie within a PT_LOAD's
	 * bytes and move with them; any other is dropped. */
	for (int i = 0; i < eh.e_phnum; i++) {
		int found = 0;

		if (old[i].p_type == PT_LOAD)
			continue;
		for (int j = 0; j < eh.e_phnum && !found; j++) {
			if (old[j].p_type != PT_LOAD || old[i].p_offset < old[j].p_offset ||
			    old[i].p_offset + old[i].p_filesz > old[j].p_offset + ph[j].p_filesz)
				continue;
			ph[i].p_offset = ph[j].p_offset + (old[i].p_offset - old[j].p_offset);
			found = 1;
		}
		if (!found && old[i].p_type == PT_NOTE)
			die("a note outside the loadable bytes");
		if (!found)
			ph[i].p_offset = ph[i].p_filesz = 0;
	}

	eh.e_phoff = sizeof(eh);
	eh.e_shoff = 0;
	eh.e_shnum = 0;
	eh.e_shstrndx = SHN_UNDEF;
	f = fopen(argv[2], "wb");
	if (!f || fwrite(&eh, sizeof(eh), 1, f) != 1 ||
	    fwrite(ph, sizeof(*ph), eh.e_phnum, f) != eh.e_phnum)
		die("cannot write output");
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (fseek(f, ph[i].p_offset, SEEK_SET) ||
		    fwrite(in + old[i].p_offset, 1, ph[i].p_filesz, f) != ph[i].p_filesz)
			die("cannot write output");
	}
	if (fclose(f))
		die("cannot write output");
	return 0;
}
