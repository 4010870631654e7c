// SPDX-License-Identifier: GPL-2.0
/*
 * Large and sparse guest memory:
 * - Memory the host maps with 2 MiB leaves (THP, hugetlbfs 2 MiB) and 1 GiB
 *   leaves (hugetlbfs 1 GiB, where the test VM has a free 1 GiB page) is
 *   mapped into the guest with nested leaves as large, seen through the
 *   memory counters; not when the GPA and the host address disagree modulo
 *   2 MiB.
 * - A host munmap of one 4 KiB page inside a 2 MiB leaf takes the whole
 *   leaf back: the rest comes back as 4 KiB leaves, the hole as a
 *   MemoryAccess exit.
 * - A sparse guest of 8 GiB of GPA space (and ranges up to 63 GiB) on a test
 *   VM of a few hundred MiB: only touched pages cost memory.
 * Every touched page is checked from both sides: the guest reads what the
 * host wrote, the host reads what the guest wrote back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "guest.h"

#define MIB		(1ULL << 20)
#define GIB		(1ULL << 30)
#define PAGE		4096ULL
#define LIST		0x5000		/* count, then GPAs */
#define LIST_MAX	2048
#define RESULTS		0x100000	/* what the guest read, a qword each */
#define PORT_DONE	0x80

/*
 * For each GPA in the list: read its qword into RESULTS, write back its
 * complement. GPAs past 1 GiB go through the 1 GiB pages vm_big() adds.
 */
GUEST_CODE(touch, ".code64",
	"	mov 0x5000, %rcx\n"
	"	xor %rbx, %rbx\n"
	"1:	cmp %rcx, %rbx\n	jae 2f\n"
	"	mov 0x5008(,%rbx,8), %rsi\n"
	"	mov (%rsi), %rax\n"
	"	mov %rax, 0x100000(,%rbx,8)\n"
	"	not %rax\n	mov %rax, (%rsi)\n"
	"	inc %rbx\n	jmp 1b\n"
	"2:	out %al, $0x80\n"
	"	hlt\n");

static uint64_t pattern(uint64_t gpa)
{
	return gpa * 0x9e3779b97f4a7c15ULL ^ 0x5a5a5a5a5a5a5a5aULL;
}

/* One VP in long mode; GPAs up to 512 GiB identity mapped (1 GiB pages). */
static void vm_big(struct __test_metadata *_metadata, struct test_vm *vm)
{
	WHV_MEMORY_RANGE_ENTRY base = { 0, GUEST_MEM_SIZE };
	WHV_ADVISE_GPA_RANGE_POPULATE pop = { .AccessType = WHvMemoryAccessWrite };
	uint64_t *pdpt;
	int i;

	ASSERT_EQ(S_OK, vm_create(vm, 1));
	vm_load_long(vm, 0, touch_start, touch_end);
	pdpt = (uint64_t *)(vm->mem + GUEST_PML4 + 0x1000);
	for (i = 1; i < 512; i++)
		pdpt[i] = ((uint64_t)i << 30) | 0x83;	/* P, RW, PS */
	/* The base memory's leaves exist before any count is taken. */
	ASSERT_EQ(S_OK, WHvAdviseGpaRange(vm->part, &base, 1,
					  WHvAdviseGpaRangeCodePopulate,
					  &pop, sizeof(pop)));
}

static WHV_PARTITION_MEMORY_COUNTERS counters(struct __test_metadata *_metadata,
					      struct test_vm *vm)
{
	WHV_PARTITION_MEMORY_COUNTERS c;
	UINT32 written = 0;

	EXPECT_EQ(S_OK, WHvGetPartitionCounters(vm->part,
						WHvPartitionCounterSetMemory,
						&c, sizeof(c), &written));
	EXPECT_EQ(sizeof(c), written);
	return c;
}

/*
 * Fill the pattern into the host view of @n pages at @gpa (host @hva, one
 * qword per page) and have the guest touch them; checks both directions.
 */
static void touch_pages(struct __test_metadata *_metadata, struct test_vm *vm,
			uint8_t *hva, uint64_t gpa, uint64_t n, uint64_t stride)
{
	WHV_RUN_VP_EXIT_CONTEXT e;
	uint64_t *list = (uint64_t *)(vm->mem + LIST);
	uint64_t *res = (uint64_t *)(vm->mem + RESULTS);
	uint64_t i;

	ASSERT_GE(LIST_MAX, n);
	list[0] = n;
	for (i = 0; i < n; i++) {
		list[1 + i] = gpa + i * stride;
		*(uint64_t *)(hva + i * stride) = pattern(gpa + i * stride);
		res[i] = 0;
	}
	vm_set(vm, 0, WHvX64RegisterRip, GUEST_LOAD);
	ASSERT_EQ(S_OK, vm_run(vm, 0, &e));
	ASSERT_EQ(WHvRunVpExitReasonX64IoPortAccess, e.ExitReason) {
		TH_LOG("exit %#x at rip %#llx gpa %#llx", e.ExitReason,
		       (unsigned long long)e.VpContext.Rip,
		       (unsigned long long)e.MemoryAccess.Gpa);
	}
	ASSERT_EQ(PORT_DONE, e.IoPortAccess.PortNumber);
	for (i = 0; i < n; i++) {
		uint64_t g = gpa + i * stride;

		ASSERT_EQ(pattern(g), res[i]);
		ASSERT_EQ(~pattern(g), *(uint64_t *)(hva + i * stride));
	}
}

/* @size bytes of anonymous memory aligned to @align. */
static uint8_t *map_aligned(size_t size, size_t align, int extra_flags)
{
	uint8_t *p = mmap(NULL, size + align, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
			  extra_flags, -1, 0);
	uint8_t *a;

	if (p == MAP_FAILED)
		return NULL;
	a = (uint8_t *)(((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1));
	if (a > p)
		munmap(p, a - p);
	munmap(a + size, p + align - a);
	return a;
}

/* AnonHugePages of the mapping holding @addr, in kB (/proc/self/smaps). */
static long anon_huge_kb(const void *addr)
{
	unsigned long lo, hi, a = (unsigned long)addr;
	char line[256];
	bool in = false;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') <
		    strchr(line, ' '))
			in = a >= lo && a < hi;
		else if (in && sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

/* Bytes of [p, p + len) resident in the host. */
static uint64_t mincore_bytes(void *p, size_t len)
{
	unsigned char *vec = malloc(len / PAGE);
	uint64_t n = 0;
	size_t i;

	if (!vec || mincore(p, len, vec)) {
		free(vec);
		return ~0ULL;
	}
	for (i = 0; i < len / PAGE; i++)
		n += vec[i] & 1;
	free(vec);
	return n * PAGE;
}

static const UINT32 RWX = WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite |
			  WHvMapGpaRangeFlagExecute;

/* 4 MiB of anonymous memory, 2 MiB aligned, that the host holds in THPs. */
static uint8_t *thp_4mib(struct __test_metadata *_metadata)
{
	uint8_t *mem = map_aligned(4 * MIB, 2 * MIB, 0);

	ASSERT_NE(NULL, mem);
	ASSERT_EQ(0, madvise(mem, 4 * MIB, MADV_HUGEPAGE));
	memset(mem, 1, 4 * MIB);
	ASSERT_EQ(4096, anon_huge_kb(mem));
	return mem;
}

/*
 * @mem (thp_4mib()) at GPA 1 GiB of a new vm_big(), every page touched:
 * two 2 MiB leaves, no 4 KiB ones. Returns the counters from before.
 */
static WHV_PARTITION_MEMORY_COUNTERS thp_at_1g(struct __test_metadata *_metadata,
					       struct test_vm *vm, uint8_t *mem)
{
	WHV_PARTITION_MEMORY_COUNTERS c0, c1;

	vm_big(_metadata, vm);
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm->part, mem, GIB, 4 * MIB, RWX));
	c0 = counters(_metadata, vm);
	touch_pages(_metadata, vm, mem, GIB, 1024, PAGE);
	c1 = counters(_metadata, vm);
	ASSERT_EQ(2, c1.Mapped2MPageCount - c0.Mapped2MPageCount);
	ASSERT_EQ(0, c1.Mapped4KPageCount - c0.Mapped4KPageCount);
	ASSERT_EQ(0, c1.Mapped1GPageCount);
	return c0;
}

/* 4 MiB of THP at GPA 1 GiB: two 2 MiB leaves, no 4 KiB ones. */
TEST(thp_uses_2m_leaves)
{
	WHV_PARTITION_MEMORY_COUNTERS c0;
	struct test_vm vm;
	uint8_t *mem = thp_4mib(_metadata);

	c0 = thp_at_1g(_metadata, &vm, mem);

	/* Unmapping the range takes both leaves back. */
	ASSERT_EQ(S_OK, WHvUnmapGpaRange(vm.part, GIB, 4 * MIB));
	EXPECT_EQ(c0.Mapped2MPageCount,
		  counters(_metadata, &vm).Mapped2MPageCount);
	vm_destroy(&vm);
	munmap(mem, 4 * MIB);
}

/* The same memory at a GPA 4 KiB off its 2 MiB alignment: 4 KiB leaves. */
TEST(thp_misaligned_gpa_uses_4k_leaves)
{
	WHV_PARTITION_MEMORY_COUNTERS c0, c1;
	struct test_vm vm;
	uint8_t *mem = thp_4mib(_metadata);

	vm_big(_metadata, &vm);
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, mem, GIB + PAGE, 4 * MIB, RWX));
	c0 = counters(_metadata, &vm);
	touch_pages(_metadata, &vm, mem, GIB + PAGE, 1024, PAGE);
	c1 = counters(_metadata, &vm);
	EXPECT_EQ(0, c1.Mapped2MPageCount - c0.Mapped2MPageCount);
	EXPECT_EQ(1024, c1.Mapped4KPageCount - c0.Mapped4KPageCount);
	vm_destroy(&vm);
	munmap(mem, 4 * MIB);
}

/*
 * munmap of one page inside a 2 MiB leaf: the whole leaf goes; the guest
 * then gets the rest back through 4 KiB leaves, and the hole as an exit.
 */
TEST(munmap_inside_a_2m_leaf)
{
	WHV_PARTITION_MEMORY_COUNTERS c0, c2;
	WHV_RUN_VP_EXIT_CONTEXT e;
	uint64_t *list, hole = GIB + 2 * MIB + 5 * PAGE;
	struct test_vm vm;
	uint8_t *mem = thp_4mib(_metadata);

	c0 = thp_at_1g(_metadata, &vm, mem);

	ASSERT_EQ(0, munmap(mem + (hole - GIB), PAGE));
	c2 = counters(_metadata, &vm);
	EXPECT_EQ(1, c2.Mapped2MPageCount - c0.Mapped2MPageCount);
	/* The second block's pages before the hole, then after it. */
	touch_pages(_metadata, &vm, mem + 2 * MIB, GIB + 2 * MIB, 5, PAGE);
	touch_pages(_metadata, &vm, mem + (hole - GIB) + PAGE, hole + PAGE,
		    506, PAGE);
	c2 = counters(_metadata, &vm);
	EXPECT_EQ(511, c2.Mapped4KPageCount - c0.Mapped4KPageCount);
	EXPECT_EQ(1, c2.Mapped2MPageCount - c0.Mapped2MPageCount);

	list = (uint64_t *)(vm.mem + LIST);
	list[0] = 1;
	list[1] = hole;
	vm_set(&vm, 0, WHvX64RegisterRip, GUEST_LOAD);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &e));
	ASSERT_EQ(WHvRunVpExitReasonMemoryAccess, e.ExitReason);
	EXPECT_EQ(hole, e.MemoryAccess.Gpa);
	EXPECT_EQ(0, (UINT32)e.MemoryAccess.AccessInfo.GpaUnmapped);
	vm_destroy(&vm);
	munmap(mem, 4 * MIB);
}

/* Write @val to a /proc or /sys file; the old value goes to @old. */
static bool sysfs_swap(const char *path, long val, long *old)
{
	FILE *f = fopen(path, "r+");
	bool ok;

	if (!f)
		return false;
	ok = fscanf(f, "%ld", old) == 1;
	rewind(f);
	ok = ok && fprintf(f, "%ld\n", val) > 0;
	return fclose(f) == 0 && ok;
}

#define HUGE_2M	"/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
#define HUGE_1G	"/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages"

/* hugetlbfs 2 MiB pages at GPA 3 GiB. */
TEST(hugetlb_2m_uses_2m_leaves)
{
	WHV_PARTITION_MEMORY_COUNTERS c0, c1;
	struct test_vm vm;
	uint8_t *mem;
	long old;

	ASSERT_TRUE(sysfs_swap(HUGE_2M, 4, &old));
	mem = mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	ASSERT_NE(MAP_FAILED, mem);
	vm_big(_metadata, &vm);
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, mem, 3 * GIB, 4 * MIB, RWX));
	c0 = counters(_metadata, &vm);
	touch_pages(_metadata, &vm, mem, 3 * GIB, 1024, PAGE);
	c1 = counters(_metadata, &vm);
	EXPECT_EQ(2, c1.Mapped2MPageCount - c0.Mapped2MPageCount);
	EXPECT_EQ(0, c1.Mapped4KPageCount - c0.Mapped4KPageCount);
	vm_destroy(&vm);
	munmap(mem, 4 * MIB);
	sysfs_swap(HUGE_2M, old, &old);
}

/* A hugetlbfs 1 GiB page at GPA 4 GiB: one 1 GiB leaf. */
TEST(hugetlb_1g_uses_a_1g_leaf)
{
	WHV_PARTITION_MEMORY_COUNTERS c0, c1;
	struct test_vm vm;
	uint8_t *mem;
	long old, now;

	if (!sysfs_swap(HUGE_1G, 1, &old))
		SKIP(return, "the kernel has no 1 GiB huge pages");
	mem = mmap(NULL, GIB, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB |
		   (30 << MAP_HUGE_SHIFT), -1, 0);
	if (mem == MAP_FAILED) {
		sysfs_swap(HUGE_1G, old, &now);
		SKIP(return, "no free 1 GiB of contiguous memory in this VM");
	}
	vm_big(_metadata, &vm);
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, mem, 4 * GIB, GIB, RWX));
	c0 = counters(_metadata, &vm);
	touch_pages(_metadata, &vm, mem, 4 * GIB, 512, 2 * MIB);
	c1 = counters(_metadata, &vm);
	EXPECT_EQ(1, c1.Mapped1GPageCount - c0.Mapped1GPageCount);
	EXPECT_EQ(0, c1.Mapped2MPageCount - c0.Mapped2MPageCount);
	EXPECT_EQ(0, c1.Mapped4KPageCount - c0.Mapped4KPageCount);
	vm_destroy(&vm);
	munmap(mem, GIB);
	sysfs_swap(HUGE_1G, old, &now);
}

/*
 * 8 GiB of GPA space in one range over a NORESERVE mapping, plus single
 * pages up to 63 GiB: the guest touches pages across all of it (below and
 * above 4 GiB, around the 4 GiB line); only those pages are backed.
 */
TEST(sparse_guest_of_8_gib)
{
	static const uint64_t far[] = { 16 * GIB, 32 * GIB + 4 * MIB,
					63 * GIB - PAGE };
	WHV_PARTITION_MEMORY_COUNTERS c0, c1;
	uint8_t *big, *pages[3];
	struct test_vm vm;
	uint64_t off[64];
	unsigned int i;

	big = map_aligned(8 * GIB, 2 * MIB, 0);
	ASSERT_NE(NULL, big);
	ASSERT_EQ(0, madvise(big, 8 * GIB, MADV_NOHUGEPAGE));
	vm_big(_metadata, &vm);
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, big, 2 * GIB, 8 * GIB, RWX));
	for (i = 0; i < 3; i++) {
		pages[i] = map_aligned(PAGE, PAGE, 0);
		ASSERT_NE(NULL, pages[i]);
		ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, pages[i], far[i],
					       PAGE, RWX));
	}
	c0 = counters(_metadata, &vm);
	/* 64 pages spread over the 8 GiB, and the pages at the 4 GiB line. */
	for (i = 0; i < 62; i++)
		off[i] = (8 * GIB / 62) * i & ~(PAGE - 1);
	off[62] = 2 * GIB - PAGE;		/* GPA 4 GiB - 4 KiB */
	off[63] = 2 * GIB;			/* GPA 4 GiB */
	for (i = 0; i < 64; i++)
		touch_pages(_metadata, &vm, big + off[i], 2 * GIB + off[i],
			    1, PAGE);
	for (i = 0; i < 3; i++)
		touch_pages(_metadata, &vm, pages[i], far[i], 1, PAGE);
	c1 = counters(_metadata, &vm);
	EXPECT_EQ(67, c1.Mapped4KPageCount - c0.Mapped4KPageCount);
	/* Only what was touched is backed: well under 1 MiB of RSS for it. */
	EXPECT_GT(64 * PAGE + 512 * 1024, mincore_bytes(big, 8 * GIB));
	vm_destroy(&vm);
	munmap(big, 8 * GIB);
	for (i = 0; i < 3; i++)
		munmap(pages[i], PAGE);
}

TEST_HARNESS_MAIN
