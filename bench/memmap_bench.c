// SPDX-License-Identifier: GPL-2.0
/*
 * Guest-memory benchmark (not a test: it prints numbers and checks only
 * that the guest saw the right memory). For 1, 100 and 10,000 ranges:
 *   - map and unmap time per GiB (1 GiB of reserved memory cut into the
 *     ranges; mapping installs nothing),
 *   - first touch: a guest reads and writes one qword on each of 10,000
 *     pages spread over the ranges (a nested fault each),
 *   - refault: the same after the process's mprotect() made the mmu
 *     notifier zap every entry (lookup by GPA, pages already resident),
 *   - MMIO exit: a guest read of an unmapped GPA, to userspace and back
 *     (the lookup misses among all the ranges).
 * Run it in the test VM: make bench-memory [BACKEND=svm|vmx].
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "guest.h"

#define PAGE		4096ULL
#define GIB		(1ULL << 30)
#define RW		(WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite)
#define BASE_GPA	0x10000000ULL	/* touched pages (identity-mapped) */
#define MAP_GPA		0x100000000ULL	/* the GiB for map timing */
#define HOLE_GPA	0x0f000000ULL	/* unmapped */
#define TOUCHES		10000ULL
#define MMIO_EXITS	2000ULL

/* RSI: first GPA, RDX: stride, RCX: count; RAX = sum of first qwords. */
GUEST_CODE(touch, ".code64",
	"	xor %eax, %eax\n"
	"1:	add (%rsi), %rax\n"
	"	mov %rcx, 8(%rsi)\n"
	"	add %rdx, %rsi\n"
	"	dec %rcx\n"
	"	jnz 1b\n"
	"	hlt\n");

/* RCX reads of the qword at RSI (3 bytes: 48 8b 06), then HLT. */
GUEST_CODE(mmio, ".code64",
	"1:	mov (%rsi), %rax\n"
	"	dec %rcx\n"
	"	jnz 1b\n"
	"	hlt\n");

static int failures;

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "memmap_bench: %s:%d: %s\n", __FILE__, __LINE__, \
		#cond); failures++; } } while (0)

static double ms_since(uint64_t t0)
{
	return (now_ns() - t0) / 1e6;
}

static double touch(struct test_vm *vm, UINT64 expect)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	uint64_t t0;

	vm_load_long(vm, 0, touch_start, touch_end);
	vm_set(vm, 0, WHvX64RegisterRsi, BASE_GPA);
	vm_set(vm, 0, WHvX64RegisterRdx, PAGE);
	vm_set(vm, 0, WHvX64RegisterRcx, TOUCHES);
	t0 = now_ns();
	CHECK(vm_run(vm, 0, &exit) == S_OK);
	CHECK(exit.ExitReason == WHvRunVpExitReasonX64Halt);
	CHECK(vm_get(vm, 0, WHvX64RegisterRax) == expect);
	return ms_since(t0);
}

static double mmio_exits(struct test_vm *vm)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	UINT64 n = 0;
	uint64_t t0;

	vm_load_long(vm, 0, mmio_start, mmio_end);
	vm_set(vm, 0, WHvX64RegisterRsi, HOLE_GPA);
	vm_set(vm, 0, WHvX64RegisterRcx, MMIO_EXITS);
	t0 = now_ns();
	for (;;) {
		if (vm_run(vm, 0, &exit) != S_OK)
			break;
		if (exit.ExitReason != WHvRunVpExitReasonMemoryAccess)
			break;
		CHECK(exit.MemoryAccess.Gpa == HOLE_GPA);
		vm_set(vm, 0, WHvX64RegisterRip, exit.VpContext.Rip + 3);
		n++;
	}
	CHECK(exit.ExitReason == WHvRunVpExitReasonX64Halt);
	CHECK(n == MMIO_EXITS);
	return ms_since(t0);
}

static void bench(UINT64 nranges)
{
	UINT64 pp = GIB / PAGE / nranges, tp = TOUCHES / nranges, i, sum = 0;
	double map_ms, unmap_ms, first_ms, refault_ms, mmio_ms;
	struct test_vm vm;
	UINT8 *big, *mem;
	uint64_t t0;

	CHECK(vm_create(&vm, 1) == S_OK);
	big = mmap(NULL, pp * nranges * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	mem = mmap(NULL, TOUCHES * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(big != MAP_FAILED && mem != MAP_FAILED);
	if (big == MAP_FAILED || mem == MAP_FAILED)
		return;

	/* Map time: 1 GiB (rounded down to whole pages per range). */
	t0 = now_ns();
	for (i = 0; i < nranges; i++)
		CHECK(WHvMapGpaRange(vm.part, big + i * pp * PAGE,
				     MAP_GPA + i * pp * PAGE, pp * PAGE,
				     RW) == S_OK);
	map_ms = ms_since(t0) * GIB / (pp * nranges * PAGE);

	/* The touched pages: TOUCHES of them, nranges ranges. */
	for (i = 0; i < TOUCHES; i++) {
		*(UINT64 *)(mem + i * PAGE) = i;
		sum += i;
	}
	for (i = 0; i < nranges; i++)
		CHECK(WHvMapGpaRange(vm.part, mem + i * tp * PAGE,
				     BASE_GPA + i * tp * PAGE, tp * PAGE,
				     RW) == S_OK);
	touch(&vm, sum);	/* warm: code, page tables, the pages */
	CHECK(mprotect(mem, TOUCHES * PAGE, PROT_READ) == 0);
	CHECK(mprotect(mem, TOUCHES * PAGE, PROT_READ | PROT_WRITE) == 0);
	refault_ms = touch(&vm, sum);
	first_ms = refault_ms;
	/* First touch: a fresh mapping of the same memory. */
	CHECK(WHvUnmapGpaRange(vm.part, BASE_GPA, TOUCHES * PAGE) == S_OK);
	for (i = 0; i < nranges; i++)
		CHECK(WHvMapGpaRange(vm.part, mem + i * tp * PAGE,
				     BASE_GPA + i * tp * PAGE, tp * PAGE,
				     RW) == S_OK);
	first_ms = touch(&vm, sum);
	mmio_ms = mmio_exits(&vm);

	t0 = now_ns();
	for (i = 0; i < nranges; i++)
		CHECK(WHvUnmapGpaRange(vm.part, MAP_GPA + i * pp * PAGE,
				       pp * PAGE) == S_OK);
	unmap_ms = ms_since(t0) * GIB / (pp * nranges * PAGE);

	printf("%8llu  %12.3f  %12.3f  %12.2f  %12.2f  %12.2f\n",
	       (unsigned long long)nranges, map_ms, unmap_ms,
	       first_ms * 1e3 / TOUCHES, refault_ms * 1e3 / TOUCHES,
	       mmio_ms * 1e3 / MMIO_EXITS);
	vm_destroy(&vm);
	munmap(big, pp * nranges * PAGE);
	munmap(mem, TOUCHES * PAGE);
}

/* Range counts from the command line, or 1, 100 and 10,000. */
int main(int argc, char **argv)
{
	int i;

	printf("# %s; %llu pages touched, %llu MMIO exits per row\n",
	       host_is_tcg() ? "QEMU TCG (svm)" :
	       host_is_bochs() ? "Bochs (vmx)" : "unknown host",
	       TOUCHES, MMIO_EXITS);
	printf("%8s  %12s  %12s  %12s  %12s  %12s\n", "ranges", "map ms/GiB",
	       "unmap ms/GiB", "1st touch us", "refault us", "MMIO exit us");
	bench(100);		/* warm-up (emulators translate code) */
	printf("# (warm-up row above)\n");
	if (argc < 2) {
		bench(1);
		bench(100);
		bench(10000);
	}
	for (i = 1; i < argc; i++)
		bench(strtoull(argv[i], NULL, 0));
	if (failures)
		printf("memmap_bench: %d check(s) failed\n", failures);
	return failures ? 1 : 0;
}
