// SPDX-License-Identifier: GPL-2.0
/*
 * Guest memory through the VMM's own calls and at scale: WHvReadGpaRange /
 * WHvWriteGpaRange against what the guest sees, WHvAdviseGpaRange (Populate,
 * Pin, Unpin), the memory counters of WHvGetPartitionCounters, 10,000
 * ranges touched by a guest, a partial unmap and a host munmap in the
 * middle of many ranges, and the range limit.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include "kselftest_harness.h"
#include "guest.h"

#define PAGE		4096ULL
#define RWX		(WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite | \
			 WHvMapGpaRangeFlagExecute)
#define RW		(WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite)
#define EXTRA_GPA	0x10000000ULL	/* above the 2 MiB of vm_create() */
#define MANY		10000
#define WB		{ .AsUINT64 = WHvCacheTypeWriteBack }

/*
 * Long mode. RSI: first GPA, RDX: stride, RCX: count. For each page: RAX
 * += its first qword, then its second qword = the count left (RCX).
 */
GUEST_CODE(touch, ".code64",
	"	xor %eax, %eax\n"
	"	test %rcx, %rcx\n"
	"	jz 2f\n"
	"1:	add (%rsi), %rax\n"
	"	mov %rcx, 8(%rsi)\n"
	"	add %rdx, %rsi\n"
	"	dec %rcx\n"
	"	jnz 1b\n"
	"2:	hlt\n");

/* Long mode: RAX, RBX = the 16 bytes at RSI; the qword at RDI = RDX. */
GUEST_CODE(rw16, ".code64",
	"	mov (%rsi), %rax\n"
	"	mov 8(%rsi), %rbx\n"
	"	mov %rdx, (%rdi)\n"
	"	hlt\n");

static void *map_anon(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static UINT64 mapped_4k(struct test_vm *vm)
{
	WHV_PARTITION_MEMORY_COUNTERS c;
	UINT32 written = 0;

	if (FAILED(WHvGetPartitionCounters(vm->part,
					   WHvPartitionCounterSetMemory,
					   &c, sizeof(c), &written)) ||
	    written != sizeof(c) || c.Mapped2MPageCount || c.Mapped1GPageCount)
		return ~0ULL;
	return c.Mapped4KPageCount;
}

/* VmPin of /proc/self/status, in kB. */
static long vm_pin_kb(void)
{
	char line[128];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

static HRESULT run_touch(struct test_vm *vm, UINT64 gpa, UINT64 stride,
			 UINT64 count, WHV_RUN_VP_EXIT_CONTEXT *exit)
{
	vm_load_long(vm, 0, touch_start, touch_end);
	vm_set(vm, 0, WHvX64RegisterRsi, gpa);
	vm_set(vm, 0, WHvX64RegisterRdx, stride);
	vm_set(vm, 0, WHvX64RegisterRcx, count);
	return vm_run(vm, 0, exit);
}

static HRESULT advise(struct test_vm *vm, UINT64 gpa, UINT64 size,
		      WHV_ADVISE_GPA_RANGE_CODE code, UINT32 flags,
		      WHV_MEMORY_ACCESS_TYPE access)
{
	WHV_MEMORY_RANGE_ENTRY e = { gpa, size };
	WHV_ADVISE_GPA_RANGE_POPULATE pop = { .AccessType = access };

	pop.Flags.AsUINT32 = flags;
	if (code != WHvAdviseGpaRangeCodePopulate)
		return WHvAdviseGpaRange(vm->part, &e, 1, code, NULL, 0);
	return WHvAdviseGpaRange(vm->part, &e, 1, code, &pop, sizeof(pop));
}

TEST(read_write_round_trip)
{
	WHV_ACCESS_GPA_CONTROLS wb = WB;
	UINT8 in[16], out[16];
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	UINT64 src = 0x30000 - 8, dst = 0x40000 - 4;	/* both cross a page */
	UINT64 pattern = 0x0123456789abcdefULL;
	int i;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	for (i = 0; i < 16; i++)
		in[i] = 0xa0 + i;
	ASSERT_EQ(S_OK, WHvWriteGpaRange(vm.part, 0, src, wb, in, 16));
	EXPECT_EQ(0, memcmp(vm.mem + src, in, 16));
	ASSERT_EQ(S_OK, WHvReadGpaRange(vm.part, 0, src, wb, out, 16));
	EXPECT_EQ(0, memcmp(in, out, 16));

	vm_load_long(&vm, 0, rw16_start, rw16_end);
	vm_set(&vm, 0, WHvX64RegisterRsi, src);
	vm_set(&vm, 0, WHvX64RegisterRdi, dst);
	vm_set(&vm, 0, WHvX64RegisterRdx, pattern);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	/* The guest read what the VMM wrote... */
	EXPECT_EQ(0, memcmp(&(UINT64){ vm_get(&vm, 0, WHvX64RegisterRax) },
			    in, 8));
	EXPECT_EQ(0, memcmp(&(UINT64){ vm_get(&vm, 0, WHvX64RegisterRbx) },
			    in + 8, 8));
	/* ...and the VMM reads what the guest wrote, in any size. */
	for (i = 1; i <= 8; i++) {
		memset(out, 0xee, sizeof(out));
		ASSERT_EQ(S_OK, WHvReadGpaRange(vm.part, 0, dst, wb, out, i));
		EXPECT_EQ(0, memcmp(out, &pattern, i));
		EXPECT_EQ(0xee, out[i]);
	}
	/* Other cache types are accepted (the access stays write-back). */
	wb.CacheType = WHvCacheTypeUncached;
	EXPECT_EQ(S_OK, WHvReadGpaRange(vm.part, 0, dst, wb, out, 8));
	wb.InputVtl.UseTargetVtl = 1;		/* VTL 0, named */
	EXPECT_EQ(S_OK, WHvReadGpaRange(vm.part, 0, dst, wb, out, 8));
	vm_destroy(&vm);
}

TEST(read_write_bad_input)
{
	WHV_ACCESS_GPA_CONTROLS wb = WB, bad;
	UINT8 buf[17] = { 0 }, before[16];
	struct test_vm vm;
	UINT8 *ro, *gone;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	ro = map_anon(PAGE);
	gone = map_anon(PAGE);
	ASSERT_TRUE(ro && gone);
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, ro, EXTRA_GPA, PAGE,
				       WHvMapGpaRangeFlagRead));
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, gone, EXTRA_GPA + PAGE, PAGE,
				       WHvMapGpaRangeFlagNone));

	EXPECT_EQ(E_INVALIDARG, WHvReadGpaRange(vm.part, 0, 0, wb, buf, 0));
	EXPECT_EQ(E_INVALIDARG, WHvReadGpaRange(vm.part, 0, 0, wb, buf, 17));
	EXPECT_EQ(E_INVALIDARG, WHvWriteGpaRange(vm.part, 0, 0, wb, buf, 17));
	EXPECT_EQ(E_POINTER, WHvReadGpaRange(vm.part, 0, 0, wb, NULL, 4));
	EXPECT_EQ(E_HANDLE, WHvReadGpaRange(NULL, 0, 0, wb, buf, 4));
	EXPECT_EQ(E_INVALIDARG, WHvReadGpaRange(vm.part, 0, ~0ULL - 3, wb,
						buf, 8));
	EXPECT_EQ(E_INVALIDARG, WHvReadGpaRange(vm.part, 0, 1ULL << 48, wb,
						buf, 8));
	bad = wb;
	bad.CacheType = 2;
	EXPECT_EQ(E_INVALIDARG, WHvReadGpaRange(vm.part, 0, 0, bad, buf, 4));
	bad = wb;
	bad.InputVtl.AsUINT8 = 1;
	EXPECT_EQ(E_INVALIDARG, WHvReadGpaRange(vm.part, 0, 0, bad, buf, 4));
	bad = wb;
	bad.Reserved1 = 1;
	EXPECT_EQ(E_INVALIDARG, WHvWriteGpaRange(vm.part, 0, 0, bad, buf, 4));
	EXPECT_EQ(WHV_E_VP_DOES_NOT_EXIST,
		  WHvReadGpaRange(vm.part, 1, 0, wb, buf, 4));
	EXPECT_EQ(WHV_E_VP_DOES_NOT_EXIST,
		  WHvWriteGpaRange(vm.part, 100000, 0, wb, buf, 4));
	EXPECT_EQ(WHV_E_GPA_RANGE_NOT_FOUND,
		  WHvReadGpaRange(vm.part, 0, 0x5000000, wb, buf, 4));
	/* Crossing from mapped into unmapped memory writes nothing. */
	memcpy(before, vm.mem + GUEST_MEM_SIZE - 8, 8);
	memset(buf, 0x55, sizeof(buf));
	EXPECT_EQ(WHV_E_GPA_RANGE_NOT_FOUND,
		  WHvWriteGpaRange(vm.part, 0, GUEST_MEM_SIZE - 8, wb, buf,
				   16));
	EXPECT_EQ(0, memcmp(before, vm.mem + GUEST_MEM_SIZE - 8, 8));
	/* The mapping's rights apply. */
	EXPECT_EQ(S_OK, WHvReadGpaRange(vm.part, 0, EXTRA_GPA, wb, buf, 8));
	EXPECT_EQ(E_ACCESSDENIED,
		  WHvWriteGpaRange(vm.part, 0, EXTRA_GPA, wb, buf, 8));
	EXPECT_EQ(E_ACCESSDENIED,
		  WHvReadGpaRange(vm.part, 0, EXTRA_GPA + PAGE, wb, buf, 8));
	/* Backing memory the process unmapped: an error, nothing else. */
	ASSERT_EQ(0, munmap(ro, PAGE));
	EXPECT_EQ(E_POINTER, WHvReadGpaRange(vm.part, 0, EXTRA_GPA, wb, buf, 8));
	vm_destroy(&vm);
	munmap(gone, PAGE);
}

TEST(populate_before_the_guest_touches)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	const UINT64 n = 64;
	UINT64 base;
	UINT8 *mem;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	mem = map_anon(n * PAGE);
	ASSERT_NE(NULL, mem);
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, mem, EXTRA_GPA, n * PAGE, RW));
	EXPECT_EQ(0, mapped_4k(&vm));

	/* AvoidHardFaults: only what is resident; nothing is yet. */
	EXPECT_EQ(S_OK, advise(&vm, EXTRA_GPA, n * PAGE,
			       WHvAdviseGpaRangeCodePopulate, 2,
			       WHvMemoryAccessRead));
	EXPECT_EQ(0, mapped_4k(&vm));
	memset(mem, 1, 4 * PAGE);
	EXPECT_EQ(S_OK, advise(&vm, EXTRA_GPA, n * PAGE,
			       WHvAdviseGpaRangeCodePopulate, 2,
			       WHvMemoryAccessWrite));
	EXPECT_EQ(4, mapped_4k(&vm));

	EXPECT_EQ(S_OK, advise(&vm, EXTRA_GPA, n * PAGE,
			       WHvAdviseGpaRangeCodePopulate, 1,
			       WHvMemoryAccessWrite));
	EXPECT_EQ(n, mapped_4k(&vm));
	/* Again: nothing more to install. */
	EXPECT_EQ(S_OK, advise(&vm, EXTRA_GPA, n * PAGE,
			       WHvAdviseGpaRangeCodePopulate, 0,
			       WHvMemoryAccessRead));
	EXPECT_EQ(n, mapped_4k(&vm));

	/* The guest's touches of populated pages add only its own pages. */
	ASSERT_EQ(S_OK, run_touch(&vm, EXTRA_GPA, PAGE, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	base = mapped_4k(&vm);
	EXPECT_GT(base, n);
	ASSERT_EQ(S_OK, run_touch(&vm, EXTRA_GPA, PAGE, n, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(base, mapped_4k(&vm));
	EXPECT_EQ(4, vm_get(&vm, 0, WHvX64RegisterRax) / 0x0101010101010101ULL);
	EXPECT_EQ(n, *(UINT64 *)(mem + 8));

	/* Unmapping half removes its entries; the guest's touches add back. */
	ASSERT_EQ(S_OK, WHvUnmapGpaRange(vm.part, EXTRA_GPA + n / 2 * PAGE,
					 n / 2 * PAGE));
	EXPECT_EQ(base - n / 2, mapped_4k(&vm));
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, mem + n / 2 * PAGE,
				       EXTRA_GPA + n / 2 * PAGE, n / 2 * PAGE,
				       RW));
	EXPECT_EQ(base - n / 2, mapped_4k(&vm));
	ASSERT_EQ(S_OK, run_touch(&vm, EXTRA_GPA, PAGE, n, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(base, mapped_4k(&vm));
	vm_destroy(&vm);
	munmap(mem, n * PAGE);
}

TEST(advise_bad_input)
{
	WHV_ADVISE_GPA_RANGE_POPULATE pop = { .AccessType = WHvMemoryAccessRead };
	WHV_MEMORY_RANGE_ENTRY e = { 0, PAGE }, two[2] = {
		{ 0, PAGE }, { 0x5000000, PAGE } };
	WHV_PARTITION_MEMORY_COUNTERS c;
	UINT32 written = 0;
	struct test_vm vm;
	UINT8 *ro, *none;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	ro = map_anon(PAGE);
	none = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(ro && none != MAP_FAILED);
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, ro, EXTRA_GPA, PAGE,
				       WHvMapGpaRangeFlagRead));
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, none, EXTRA_GPA + PAGE, PAGE,
				       RW));

	EXPECT_EQ(E_HANDLE, WHvAdviseGpaRange(NULL, &e, 1,
					      WHvAdviseGpaRangeCodePin, NULL, 0));
	EXPECT_EQ(E_INVALIDARG, WHvAdviseGpaRange(vm.part, &e, 0,
						  WHvAdviseGpaRangeCodePin, NULL, 0));
	EXPECT_EQ(E_POINTER, WHvAdviseGpaRange(vm.part, NULL, 1,
					       WHvAdviseGpaRangeCodePin, NULL, 0));
	EXPECT_EQ(E_INVALIDARG, WHvAdviseGpaRange(vm.part, &e, 1,
						  (WHV_ADVISE_GPA_RANGE_CODE)3,
						  NULL, 0));
	EXPECT_EQ(E_INVALIDARG, WHvAdviseGpaRange(vm.part, &e, 1,
						  WHvAdviseGpaRangeCodePin,
						  &pop, sizeof(pop)));
	EXPECT_EQ(E_POINTER, WHvAdviseGpaRange(vm.part, &e, 1,
					       WHvAdviseGpaRangeCodePopulate,
					       NULL, sizeof(pop)));
	EXPECT_EQ(E_INVALIDARG, WHvAdviseGpaRange(vm.part, &e, 1,
						  WHvAdviseGpaRangeCodePopulate,
						  &pop, 4));
	pop.Flags.AsUINT32 = 4;
	EXPECT_EQ(E_INVALIDARG, WHvAdviseGpaRange(vm.part, &e, 1,
						  WHvAdviseGpaRangeCodePopulate,
						  &pop, sizeof(pop)));
	pop.Flags.AsUINT32 = 0;
	pop.AccessType = (WHV_MEMORY_ACCESS_TYPE)3;
	EXPECT_EQ(E_INVALIDARG, WHvAdviseGpaRange(vm.part, &e, 1,
						  WHvAdviseGpaRangeCodePopulate,
						  &pop, sizeof(pop)));
	EXPECT_EQ(E_INVALIDARG, advise(&vm, 0x800, PAGE,
				       WHvAdviseGpaRangeCodePin, 0, 0));
	EXPECT_EQ(E_INVALIDARG, advise(&vm, 0, 0x800,
				       WHvAdviseGpaRangeCodePin, 0, 0));
	EXPECT_EQ(E_INVALIDARG, advise(&vm, 0, 0,
				       WHvAdviseGpaRangeCodePin, 0, 0));
	EXPECT_EQ(E_INVALIDARG, advise(&vm, ~0ULL << 12, 2 * PAGE,
				       WHvAdviseGpaRangeCodeUnpin, 0, 0));
	/* One unmapped entry fails the call before any work. */
	EXPECT_EQ(WHV_E_GPA_RANGE_NOT_FOUND,
		  WHvAdviseGpaRange(vm.part, two, 2, WHvAdviseGpaRangeCodePin,
				    NULL, 0));
	EXPECT_EQ(0, mapped_4k(&vm));
	EXPECT_EQ(WHV_E_GPA_RANGE_NOT_FOUND,
		  advise(&vm, GUEST_MEM_SIZE - PAGE, 2 * PAGE,
			 WHvAdviseGpaRangeCodePopulate, 0, WHvMemoryAccessRead));
	/* The mapping's rights, and memory the process cannot access. */
	EXPECT_EQ(E_ACCESSDENIED, advise(&vm, EXTRA_GPA, PAGE,
					 WHvAdviseGpaRangeCodePopulate, 0,
					 WHvMemoryAccessWrite));
	EXPECT_EQ(S_OK, advise(&vm, EXTRA_GPA, PAGE,
			       WHvAdviseGpaRangeCodePopulate, 0,
			       WHvMemoryAccessRead));
	EXPECT_EQ(E_POINTER, advise(&vm, EXTRA_GPA + PAGE, PAGE,
				    WHvAdviseGpaRangeCodePopulate, 0,
				    WHvMemoryAccessRead));
	EXPECT_EQ(E_POINTER, advise(&vm, EXTRA_GPA + PAGE, PAGE,
				    WHvAdviseGpaRangeCodePin, 0, 0));

	/* Counters: the set, the buffer. */
	EXPECT_EQ(WHV_E_UNKNOWN_PROPERTY,
		  WHvGetPartitionCounters(vm.part, (WHV_PARTITION_COUNTER_SET)1,
					  &c, sizeof(c), &written));
	EXPECT_EQ(WHV_E_INSUFFICIENT_BUFFER,
		  WHvGetPartitionCounters(vm.part, WHvPartitionCounterSetMemory,
					  &c, sizeof(c) - 1, &written));
	EXPECT_EQ(sizeof(c), written);
	written = 0;
	EXPECT_EQ(WHV_E_INSUFFICIENT_BUFFER,
		  WHvGetPartitionCounters(vm.part, WHvPartitionCounterSetMemory,
					  NULL, 0, &written));
	EXPECT_EQ(sizeof(c), written);
	EXPECT_EQ(E_POINTER,
		  WHvGetPartitionCounters(vm.part, WHvPartitionCounterSetMemory,
					  NULL, sizeof(c), NULL));
	EXPECT_EQ(S_OK,
		  WHvGetPartitionCounters(vm.part, WHvPartitionCounterSetMemory,
					  &c, sizeof(c) + 8, NULL));
	EXPECT_EQ(1, c.Mapped4KPageCount);
	EXPECT_EQ(E_HANDLE,
		  WHvGetPartitionCounters(NULL, WHvPartitionCounterSetMemory,
					  &c, sizeof(c), NULL));
	vm_destroy(&vm);
	munmap(ro, PAGE);
	munmap(none, PAGE);
}

TEST(pin_unpin)
{
	WHV_ACCESS_GPA_CONTROLS wb = WB;
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	const UINT64 n = 16;
	long pin0;
	UINT64 v;
	UINT8 *mem;

	pin0 = vm_pin_kb();
	ASSERT_GE(pin0, 0);
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	mem = map_anon(n * PAGE);
	ASSERT_NE(NULL, mem);
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, mem, EXTRA_GPA, n * PAGE, RW));

	ASSERT_EQ(S_OK, advise(&vm, EXTRA_GPA, n * PAGE,
			       WHvAdviseGpaRangeCodePin, 0, 0));
	EXPECT_EQ(pin0 + n * 4, vm_pin_kb());
	EXPECT_EQ(n, mapped_4k(&vm));		/* pinning installs */
	ASSERT_EQ(S_OK, advise(&vm, EXTRA_GPA, n * PAGE,
			       WHvAdviseGpaRangeCodePin, 0, 0));
	EXPECT_EQ(pin0 + n * 4, vm_pin_kb());	/* pinned once */

	/* The pinned pages are the process's: both sides see the writes. */
	*(UINT64 *)(mem + 3 * PAGE) = 0x42;
	ASSERT_EQ(S_OK, run_touch(&vm, EXTRA_GPA, PAGE, n, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(0x42, vm_get(&vm, 0, WHvX64RegisterRax));
	EXPECT_EQ(n - 5, *(UINT64 *)(mem + 5 * PAGE + 8));
	ASSERT_EQ(S_OK, WHvReadGpaRange(vm.part, 0, EXTRA_GPA + 5 * PAGE + 8,
					wb, &v, 8));
	EXPECT_EQ(n - 5, v);

	/* Unpin half, twice; unmapping releases the rest. */
	EXPECT_EQ(S_OK, advise(&vm, EXTRA_GPA, n / 2 * PAGE,
			       WHvAdviseGpaRangeCodeUnpin, 0, 0));
	EXPECT_EQ(S_OK, advise(&vm, EXTRA_GPA, n / 2 * PAGE,
			       WHvAdviseGpaRangeCodeUnpin, 0, 0));
	EXPECT_EQ(pin0 + n / 2 * 4, vm_pin_kb());
	ASSERT_EQ(S_OK, WHvUnmapGpaRange(vm.part, EXTRA_GPA, n * PAGE));
	EXPECT_EQ(pin0, vm_pin_kb());
	EXPECT_EQ(WHV_E_GPA_RANGE_NOT_FOUND,
		  advise(&vm, EXTRA_GPA, PAGE, WHvAdviseGpaRangeCodeUnpin, 0, 0));

	/* Pinned, then unmapped by the process: the guest gets an exit. */
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, mem, EXTRA_GPA, n * PAGE, RW));
	ASSERT_EQ(S_OK, advise(&vm, EXTRA_GPA, n * PAGE,
			       WHvAdviseGpaRangeCodePin, 0, 0));
	ASSERT_EQ(0, munmap(mem, n * PAGE));
	EXPECT_EQ(0, mapped_4k(&vm) >= n);
	ASSERT_EQ(S_OK, run_touch(&vm, EXTRA_GPA, PAGE, n, &exit));
	EXPECT_EQ(WHvRunVpExitReasonMemoryAccess, exit.ExitReason);
	EXPECT_EQ(EXTRA_GPA, exit.MemoryAccess.Gpa);
	/* Deleting the partition releases the pins. */
	vm_destroy(&vm);
	EXPECT_EQ(pin0, vm_pin_kb());
}

/* 10,000 one-page ranges, every other page of the GPA space. */
TEST(ten_thousand_ranges)
{
	WHV_ACCESS_GPA_CONTROLS wb = WB;
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	UINT64 i, sum = 0, base, v;
	UINT8 *mem;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	mem = map_anon(MANY * PAGE);
	ASSERT_NE(NULL, mem);
	for (i = 0; i < MANY; i++) {
		*(UINT64 *)(mem + i * PAGE) = i * 3;
		sum += i * 3;
		ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, mem + i * PAGE,
					       EXTRA_GPA + 2 * i * PAGE, PAGE,
					       RW));
	}
	ASSERT_EQ(S_OK, run_touch(&vm, EXTRA_GPA, 0, 0, &exit));
	base = mapped_4k(&vm);
	ASSERT_EQ(S_OK, run_touch(&vm, EXTRA_GPA, 2 * PAGE, MANY, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(sum, vm_get(&vm, 0, WHvX64RegisterRax));
	EXPECT_EQ(base + MANY, mapped_4k(&vm));
	for (i = 0; i < MANY; i++)
		ASSERT_EQ(MANY - i, *(UINT64 *)(mem + i * PAGE + 8));
	/* A page between two ranges is not mapped. */
	EXPECT_EQ(WHV_E_GPA_RANGE_NOT_FOUND,
		  WHvReadGpaRange(vm.part, 0, EXTRA_GPA + 2 * 777 * PAGE + PAGE,
				  wb, &v, 8));
	ASSERT_EQ(S_OK, WHvReadGpaRange(vm.part, 0, EXTRA_GPA + 2 * 777 * PAGE,
					wb, &v, 8));
	EXPECT_EQ(777 * 3, v);

	/*
	 * The process unmaps one range's memory: that entry goes (and those of
	 * its transparent huge page's other 511 pages, when it had one).
	 */
	ASSERT_EQ(0, munmap(mem + 7000 * PAGE, PAGE));
	EXPECT_LE(mapped_4k(&vm), base + MANY - 1);
	EXPECT_GE(mapped_4k(&vm), base + MANY - 512);
	ASSERT_EQ(S_OK, run_touch(&vm, EXTRA_GPA + 2 * 6999 * PAGE, 2 * PAGE,
				  3, &exit));
	ASSERT_EQ(WHvRunVpExitReasonMemoryAccess, exit.ExitReason);
	EXPECT_EQ(EXTRA_GPA + 2 * 7000 * PAGE, exit.MemoryAccess.Gpa);
	EXPECT_EQ(6999 * 3, vm_get(&vm, 0, WHvX64RegisterRax));
	vm_destroy(&vm);
	munmap(mem, MANY * PAGE);
}

/* Ranges of 4 pages; the middle two of one in the middle are unmapped. */
TEST(partial_unmap_among_many)
{
	WHV_ACCESS_GPA_CONTROLS wb = WB;
	WHV_RUN_VP_EXIT_CONTEXT exit;
	const UINT64 n = 2000, mid = 1234;
	UINT64 i, r0 = EXTRA_GPA + mid * 5 * PAGE, v;
	struct test_vm vm;
	UINT8 *mem;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	mem = map_anon(n * 4 * PAGE);
	ASSERT_NE(NULL, mem);
	for (i = 0; i < n * 4; i++)
		*(UINT64 *)(mem + i * PAGE) = i;
	for (i = 0; i < n; i++)
		ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, mem + i * 4 * PAGE,
					       EXTRA_GPA + i * 5 * PAGE,
					       4 * PAGE, RW));
	ASSERT_EQ(S_OK, run_touch(&vm, r0, PAGE, 4, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	ASSERT_EQ(S_OK, WHvUnmapGpaRange(vm.part, r0 + PAGE, 2 * PAGE));

	/* Head and tail keep their own pages, the hole is gone. */
	ASSERT_EQ(S_OK, WHvReadGpaRange(vm.part, 0, r0, wb, &v, 8));
	EXPECT_EQ(mid * 4, v);
	ASSERT_EQ(S_OK, WHvReadGpaRange(vm.part, 0, r0 + 3 * PAGE, wb, &v, 8));
	EXPECT_EQ(mid * 4 + 3, v);
	EXPECT_EQ(WHV_E_GPA_RANGE_NOT_FOUND,
		  WHvReadGpaRange(vm.part, 0, r0 + 2 * PAGE, wb, &v, 8));
	ASSERT_EQ(S_OK, run_touch(&vm, r0 + 3 * PAGE, PAGE, 1, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(mid * 4 + 3, vm_get(&vm, 0, WHvX64RegisterRax));
	ASSERT_EQ(S_OK, run_touch(&vm, r0, PAGE, 4, &exit));
	ASSERT_EQ(WHvRunVpExitReasonMemoryAccess, exit.ExitReason);
	EXPECT_EQ(r0 + PAGE, exit.MemoryAccess.Gpa);
	EXPECT_EQ(1, (int)exit.MemoryAccess.AccessInfo.GpaUnmapped);
	/* The neighbours are intact. */
	ASSERT_EQ(S_OK, run_touch(&vm, r0 - 5 * PAGE, 5 * PAGE, 3, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ((mid - 1) * 4 + mid * 4 + (mid + 1) * 4,
		  vm_get(&vm, 0, WHvX64RegisterRax));
	/* Remapping the hole elsewhere in the process works. */
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, mem, r0 + PAGE, 2 * PAGE, RW));
	ASSERT_EQ(S_OK, WHvReadGpaRange(vm.part, 0, r0 + 2 * PAGE, wb, &v, 8));
	EXPECT_EQ(1, v);
	vm_destroy(&vm);
	munmap(mem, n * 4 * PAGE);
}

/* Past the limit, a map fails cleanly and the earlier ranges still work. */
TEST(range_limit)
{
	WHV_ACCESS_GPA_CONTROLS wb = WB;
	struct test_vm vm;
	HRESULT hr = S_OK;
	UINT64 i, v;
	UINT8 *page;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	page = map_anon(PAGE);
	ASSERT_NE(NULL, page);
	*(UINT64 *)page = 0x77;
	for (i = 0; i < 70000 && SUCCEEDED(hr); i++)
		hr = WHvMapGpaRange(vm.part, page, EXTRA_GPA + 2 * i * PAGE,
				    PAGE, RW);
	EXPECT_EQ(E_OUTOFMEMORY, hr);
	EXPECT_GT(i, 65000);
	ASSERT_EQ(S_OK, WHvReadGpaRange(vm.part, 0,
					EXTRA_GPA + 2 * (i - 2) * PAGE, wb,
					&v, 8));
	EXPECT_EQ(0x77, v);
	/* Unmapping makes room again. */
	ASSERT_EQ(S_OK, WHvUnmapGpaRange(vm.part, EXTRA_GPA, 4 * PAGE));
	EXPECT_EQ(S_OK, WHvMapGpaRange(vm.part, page, EXTRA_GPA, PAGE, RW));
	vm_destroy(&vm);
	munmap(page, PAGE);
}

TEST_HARNESS_MAIN
