// SPDX-License-Identifier: GPL-2.0
/*
 * WHvTranslateGva against hand-built page tables: every paging mode the
 * VP can be in (none, 32-bit with and without PSE, PAE, 4-level, 5-level
 * where the CPU has LA57), every validation flag, every result code, A/D
 * bits, and walks checked against what the guest's own MMU reads.
 */
#include <cpuid.h>
#include <string.h>
#include <sys/mman.h>
#include "kselftest_harness.h"
#include "guest.h"

#define P	0x001ULL
#define RW	0x002ULL
#define US	0x004ULL
#define A	0x020ULL
#define D	0x040ULL
#define PS	0x080ULL
#define NX	(1ULL << 63)

#define CR0_PE	0x1ULL
#define CR0_WP	0x10000ULL
#define CR0_PG	0x80000000ULL
#define CR4_PSE	0x10ULL
#define CR4_PAE	0x20ULL
#define CR4_LA57 0x1000ULL
#define CR4_SMEP 0x100000ULL
#define CR4_SMAP 0x200000ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL
#define EFER_NXE 0x800ULL

/* Page tables live at 1 MiB and up, inside the 2 MiB of guest memory. */
#define TBL(n)	(0x100000ULL + (n) * 0x1000ULL)

#define R	WHvTranslateGvaFlagValidateRead
#define W	WHvTranslateGvaFlagValidateWrite
#define X	WHvTranslateGvaFlagValidateExecute

static UINT64 *e64(struct test_vm *vm, UINT64 table, unsigned int i)
{
	return (UINT64 *)(vm->mem + table) + i;
}

static UINT32 *e32(struct test_vm *vm, UINT64 table, unsigned int i)
{
	return (UINT32 *)(vm->mem + table) + i;
}

static void paging(struct test_vm *vm, UINT64 cr0, UINT64 cr3, UINT64 cr4,
		   UINT64 efer)
{
	vm_set(vm, 0, WHvX64RegisterCr4, cr4);
	vm_set(vm, 0, WHvX64RegisterEfer, efer);
	vm_set(vm, 0, WHvX64RegisterCr3, cr3);
	vm_set(vm, 0, WHvX64RegisterCr0, cr0);
}

static void set_cpl(struct test_vm *vm, int cpl)
{
	vm_set_segment(vm, 0, WHvX64RegisterSs, cpl ? 0x23 : 0x10, 0, 0xfffff,
		       0xc093 | cpl << 5);
}

/* Translate; return the result code and store the GPA. */
static int xlate(struct test_vm *vm, UINT64 gva, UINT32 flags, UINT64 *gpa)
{
	WHV_TRANSLATE_GVA_RESULT res = { .ResultCode = 0x55 };
	HRESULT hr;

	*gpa = 0xdead;
	hr = WHvTranslateGva(vm->part, 0, gva, (WHV_TRANSLATE_GVA_FLAGS)flags,
			     &res, gpa);
	if (FAILED(hr))
		return -1;
	return res.ResultCode;
}

/* The 4-level tables most tests use: GVA 0x7f0000400000 region. */
#define GVA4K	0x00007f0000401000ULL	/* 4 KiB page -> 0x5000 */
#define GVA2M	0x00007f0000600000ULL	/* 2 MiB page -> 0x0 */
#define GVARO	0x00007f0000402000ULL	/* read-only user page -> 0x6000 */
#define GVASV	0x00007f0000403000ULL	/* supervisor page -> 0x7000 */

static void four_level(struct test_vm *vm, UINT64 leaf_extra)
{
	memset(vm->mem + TBL(0), 0, 4 * 0x1000);
	*e64(vm, TBL(0), 0xfe) = TBL(1) | P | RW | US;		/* PML4[254] */
	*e64(vm, TBL(1), 0) = TBL(2) | P | RW | US;		/* PDPT[0] */
	*e64(vm, TBL(2), 2) = TBL(3) | P | RW | US;		/* PD[2] */
	*e64(vm, TBL(2), 3) = 0x0 | P | RW | US | PS;		/* PD[3]: 2 MiB */
	*e64(vm, TBL(3), 1) = 0x5000 | P | RW | US | leaf_extra;
	*e64(vm, TBL(3), 2) = 0x6000 | P | US;
	*e64(vm, TBL(3), 3) = 0x7000 | P | RW;
	paging(vm, CR0_PG | CR0_WP | CR0_PE, TBL(0), CR4_PAE,
	       EFER_LME | EFER_LMA | EFER_NXE);
}

FIXTURE(xl) {
	struct test_vm vm;
};

FIXTURE_SETUP(xl)
{
	ASSERT_EQ(S_OK, vm_create(&self->vm, 1));
}

FIXTURE_TEARDOWN(xl)
{
	vm_destroy(&self->vm);
}

TEST_F(xl, no_paging)
{
	UINT64 gpa;

	paging(&self->vm, CR0_PE, 0, 0, 0);
	EXPECT_EQ(0, xlate(&self->vm, 0x1234, R | W | X, &gpa));
	EXPECT_EQ(0x1234, gpa);
	/* Linear addresses are 32-bit without paging. */
	EXPECT_EQ(0, xlate(&self->vm, 0x100001234ULL, R, &gpa));
	EXPECT_EQ(0x1234, gpa);
	EXPECT_EQ(WHvTranslateGvaResultGpaUnmapped, xlate(&self->vm, 0x300000, R, &gpa));
	EXPECT_EQ(0x300000, gpa);
	/* Real mode too. */
	paging(&self->vm, 0, 0, 0, 0);
	EXPECT_EQ(0, xlate(&self->vm, 0xffff0, 0, &gpa));
	EXPECT_EQ(0xffff0, gpa);
}

TEST_F(xl, four_level_pages)
{
	UINT64 gpa;

	four_level(&self->vm, 0);
	EXPECT_EQ(0, xlate(&self->vm, GVA4K + 0x123, R | W, &gpa));
	EXPECT_EQ(0x5123, gpa);
	EXPECT_EQ(0, xlate(&self->vm, GVA2M + 0x12345, R | W | X, &gpa));
	EXPECT_EQ(0x12345, gpa);
	/* Not present at each level. */
	EXPECT_EQ(WHvTranslateGvaResultPageNotPresent,
		  xlate(&self->vm, GVA4K + 0x3000, R, &gpa));	/* PT[4] */
	EXPECT_EQ(0, gpa);
	EXPECT_EQ(WHvTranslateGvaResultPageNotPresent,
		  xlate(&self->vm, 0x00007f0000800000ULL, R, &gpa));	/* PD[4] */
	EXPECT_EQ(WHvTranslateGvaResultPageNotPresent,
		  xlate(&self->vm, 0x00007f0040000000ULL, R, &gpa));	/* PDPT[1] */
	EXPECT_EQ(WHvTranslateGvaResultPageNotPresent,
		  xlate(&self->vm, 0x1000, R, &gpa));		/* PML4[0] */
	/* A non-canonical address has no translation. */
	EXPECT_EQ(WHvTranslateGvaResultPageNotPresent,
		  xlate(&self->vm, 0x0000800000401000ULL, R, &gpa));
}

TEST_F(xl, four_level_reserved_bits)
{
	UINT64 gpa;

	four_level(&self->vm, 0);
	/* A physical-address bit above MAXPHYADDR (51 is above any). */
	*e64(&self->vm, TBL(3), 1) |= 1ULL << 51;
	EXPECT_EQ(WHvTranslateGvaResultInvalidPageTableFlags,
		  xlate(&self->vm, GVA4K, R, &gpa));
	*e64(&self->vm, TBL(3), 1) &= ~(1ULL << 51);
	/* PS in a PML4 entry. */
	*e64(&self->vm, TBL(0), 0xfe) |= PS;
	EXPECT_EQ(WHvTranslateGvaResultInvalidPageTableFlags,
		  xlate(&self->vm, GVA4K, R, &gpa));
	*e64(&self->vm, TBL(0), 0xfe) &= ~PS;
	/* A 2 MiB page's address bits 20:13 are reserved. */
	*e64(&self->vm, TBL(2), 3) |= 0x2000;
	EXPECT_EQ(WHvTranslateGvaResultInvalidPageTableFlags,
		  xlate(&self->vm, GVA2M, R, &gpa));
	*e64(&self->vm, TBL(2), 3) &= ~0x2000ULL;
	/* NX is reserved while EFER.NXE is clear. */
	*e64(&self->vm, TBL(3), 1) |= NX;
	EXPECT_EQ(WHvTranslateGvaResultPrivilegeViolation,
		  xlate(&self->vm, GVA4K, X, &gpa));
	EXPECT_EQ(0, xlate(&self->vm, GVA4K, R, &gpa));
	vm_set(&self->vm, 0, WHvX64RegisterEfer, EFER_LME | EFER_LMA);
	EXPECT_EQ(WHvTranslateGvaResultInvalidPageTableFlags,
		  xlate(&self->vm, GVA4K, R, &gpa));
}

TEST_F(xl, privilege)
{
	UINT64 gpa;

	four_level(&self->vm, 0);
	/* CPL 3: supervisor pages and read-only writes are violations. */
	set_cpl(&self->vm, 3);
	EXPECT_EQ(WHvTranslateGvaResultPrivilegeViolation, xlate(&self->vm, GVASV, R, &gpa));
	EXPECT_EQ(0, gpa);
	EXPECT_EQ(0, xlate(&self->vm, GVASV, 0, &gpa));	/* nothing validated */
	EXPECT_EQ(0x7000, gpa);
	EXPECT_EQ(0, xlate(&self->vm, GVASV, R | W | WHvTranslateGvaFlagPrivilegeExempt, &gpa));
	EXPECT_EQ(0, xlate(&self->vm, GVARO, R, &gpa));
	EXPECT_EQ(WHvTranslateGvaResultPrivilegeViolation, xlate(&self->vm, GVARO, W, &gpa));
	/* CPL 0: read-only pages are writable only with CR0.WP clear. */
	set_cpl(&self->vm, 0);
	EXPECT_EQ(WHvTranslateGvaResultPrivilegeViolation, xlate(&self->vm, GVARO, W, &gpa));
	vm_set(&self->vm, 0, WHvX64RegisterCr0, CR0_PG | CR0_PE);
	EXPECT_EQ(0, xlate(&self->vm, GVARO, W, &gpa));
	EXPECT_EQ(0x6000, gpa);
	/* Executing an NX page. */
	*e64(&self->vm, TBL(3), 1) |= NX;
	EXPECT_EQ(WHvTranslateGvaResultPrivilegeViolation, xlate(&self->vm, GVA4K, X, &gpa));
	EXPECT_EQ(0, xlate(&self->vm, GVA4K, R | W, &gpa));
}

TEST_F(xl, smep_smap)
{
	UINT64 gpa;

	four_level(&self->vm, 0);
	vm_set(&self->vm, 0, WHvX64RegisterCr4, CR4_PAE | CR4_SMEP | CR4_SMAP);
	/* Supervisor execute of a user page. */
	EXPECT_EQ(WHvTranslateGvaResultPrivilegeViolation, xlate(&self->vm, GVA4K, X, &gpa));
	EXPECT_EQ(0, xlate(&self->vm, GVASV, X, &gpa));
	/* Supervisor data access to a user page: SMAP unless RFLAGS.AC... */
	EXPECT_EQ(WHvTranslateGvaResultPrivilegeViolation, xlate(&self->vm, GVA4K, R, &gpa));
	EXPECT_EQ(0, xlate(&self->vm, GVA4K,
			   R | WHvTranslateGvaFlagOverrideSmap, &gpa));
	vm_set(&self->vm, 0, WHvX64RegisterRflags, 0x40002);	/* AC */
	EXPECT_EQ(0, xlate(&self->vm, GVA4K, R | W, &gpa));
	/* ...which EnforceSmap ignores. */
	EXPECT_EQ(WHvTranslateGvaResultPrivilegeViolation,
		  xlate(&self->vm, GVA4K, W | WHvTranslateGvaFlagEnforceSmap, &gpa));
	/* PrivilegeExempt skips them all. */
	vm_set(&self->vm, 0, WHvX64RegisterRflags, 0x2);
	EXPECT_EQ(0, xlate(&self->vm, GVA4K,
			   R | X | WHvTranslateGvaFlagPrivilegeExempt, &gpa));
}

TEST_F(xl, set_page_table_bits)
{
	UINT64 gpa;

	four_level(&self->vm, 0);
	/* Without the flag nothing changes. */
	EXPECT_EQ(0, xlate(&self->vm, GVA4K, R | W, &gpa));
	EXPECT_EQ(0, *e64(&self->vm, TBL(0), 0xfe) & (A | D));
	EXPECT_EQ(0, *e64(&self->vm, TBL(3), 1) & (A | D));
	/* A read sets A all the way down, no D. */
	EXPECT_EQ(0, xlate(&self->vm, GVA4K, R | WHvTranslateGvaFlagSetPageTableBits, &gpa));
	EXPECT_EQ(A, *e64(&self->vm, TBL(0), 0xfe) & (A | D));
	EXPECT_EQ(A, *e64(&self->vm, TBL(1), 0) & (A | D));
	EXPECT_EQ(A, *e64(&self->vm, TBL(2), 2) & (A | D));
	EXPECT_EQ(A, *e64(&self->vm, TBL(3), 1) & (A | D));
	/* A write sets D in the leaf only. */
	EXPECT_EQ(0, xlate(&self->vm, GVA4K, W | WHvTranslateGvaFlagSetPageTableBits, &gpa));
	EXPECT_EQ(A, *e64(&self->vm, TBL(2), 2) & (A | D));
	EXPECT_EQ(A | D, *e64(&self->vm, TBL(3), 1) & (A | D));
	EXPECT_EQ(0x5000 | P | RW | US | A | D, *e64(&self->vm, TBL(3), 1));
	/* A failed check sets nothing. */
	set_cpl(&self->vm, 3);
	EXPECT_EQ(WHvTranslateGvaResultPrivilegeViolation,
		  xlate(&self->vm, GVARO, W | WHvTranslateGvaFlagSetPageTableBits, &gpa));
	EXPECT_EQ(0, *e64(&self->vm, TBL(3), 2) & (A | D));
}

TEST_F(xl, pae)
{
	UINT64 gpa;

	memset(self->vm.mem + TBL(0), 0, 4 * 0x1000);
	/* PDPT: 4 entries at CR3 (32-byte aligned). */
	*e64(&self->vm, TBL(0) + 0x20, 1) = TBL(1) | P;		/* 1-2 GiB */
	*e64(&self->vm, TBL(1), 0) = TBL(2) | P | RW;		/* 4 KiB pages */
	*e64(&self->vm, TBL(1), 1) = 0x0 | P | RW | PS;		/* 2 MiB page */
	*e64(&self->vm, TBL(2), 5) = 0x5000 | P | RW;
	paging(&self->vm, CR0_PG | CR0_PE, TBL(0) + 0x20, CR4_PAE, EFER_NXE);
	EXPECT_EQ(0, xlate(&self->vm, 0x40005abc, R | W, &gpa));
	EXPECT_EQ(0x5abc, gpa);
	EXPECT_EQ(0, xlate(&self->vm, 0x40212345, R, &gpa));
	EXPECT_EQ(0x12345, gpa);
	EXPECT_EQ(WHvTranslateGvaResultPageNotPresent, xlate(&self->vm, 0x5000, R, &gpa));
	/* PAE reserves bits 62:MAXPHYADDR (4-level only up to 51). */
	*e64(&self->vm, TBL(2), 5) |= 1ULL << 52;
	EXPECT_EQ(WHvTranslateGvaResultInvalidPageTableFlags,
		  xlate(&self->vm, 0x40005abc, R, &gpa));
	*e64(&self->vm, TBL(2), 5) &= ~(1ULL << 52);
	/* A PDPTE has no R/W bit: it is reserved there. */
	*e64(&self->vm, TBL(0) + 0x20, 1) |= RW;
	EXPECT_EQ(WHvTranslateGvaResultInvalidPageTableFlags,
		  xlate(&self->vm, 0x40005abc, R, &gpa));
}

TEST_F(xl, legacy_32bit)
{
	UINT64 gpa;

	memset(self->vm.mem + TBL(0), 0, 4 * 0x1000);
	*e32(&self->vm, TBL(0), 1) = TBL(1) | P | RW;		/* 4-8 MiB: a table */
	*e32(&self->vm, TBL(0), 2) = 0x00000000 | P | RW | PS;	/* 8-12 MiB: 4 MiB page */
	*e32(&self->vm, TBL(1), 3) = 0x5000 | P | RW;
	paging(&self->vm, CR0_PG | CR0_PE, TBL(0), 0, 0);
	EXPECT_EQ(0, xlate(&self->vm, 0x403456, R | W, &gpa));
	EXPECT_EQ(0x5456, gpa);
	/* PS without CR4.PSE: the entry points to a table (all zero here). */
	EXPECT_EQ(WHvTranslateGvaResultPageNotPresent, xlate(&self->vm, 0x812345, R, &gpa));
	vm_set(&self->vm, 0, WHvX64RegisterCr4, CR4_PSE);
	EXPECT_EQ(0, xlate(&self->vm, 0x812345, R, &gpa));
	EXPECT_EQ(0x12345, gpa);
	/* PSE-36: PDE bits 20:13 are physical-address bits 39:32. */
	*e32(&self->vm, TBL(0), 2) |= 1u << 13;
	EXPECT_EQ(WHvTranslateGvaResultGpaUnmapped, xlate(&self->vm, 0x812345, R, &gpa));
	EXPECT_EQ(0x100012345ULL, gpa);
	/* Bit 21 of a 4 MiB PDE is reserved. */
	*e32(&self->vm, TBL(0), 2) |= 1u << 21;
	EXPECT_EQ(WHvTranslateGvaResultInvalidPageTableFlags,
		  xlate(&self->vm, 0x812345, R, &gpa));
}

TEST_F(xl, gpa_access)
{
	UINT64 gpa;
	void *ro;

	/* A read-only page at GPA 0x400000, and a table in unmapped memory. */
	ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ASSERT_EQ(S_OK, WHvMapGpaRange(self->vm.part, ro, 0x400000, 4096,
				       WHvMapGpaRangeFlagRead));
	four_level(&self->vm, 0);
	*e64(&self->vm, TBL(3), 1) = 0x400000 | P | RW | US;
	EXPECT_EQ(0, xlate(&self->vm, GVA4K, R, &gpa));
	EXPECT_EQ(0x400000, gpa);
	EXPECT_EQ(WHvTranslateGvaResultGpaNoWriteAccess, xlate(&self->vm, GVA4K, W, &gpa));
	EXPECT_EQ(0x400000, gpa);
	/* MMIO: the page is not mapped; the GPA still comes back. */
	*e64(&self->vm, TBL(3), 1) = 0xfee00000 | P | RW | US;
	EXPECT_EQ(WHvTranslateGvaResultGpaUnmapped, xlate(&self->vm, GVA4K + 8, W, &gpa));
	EXPECT_EQ(0xfee00008, gpa);
	/*
	 * A page table in read-only memory: readable, but its A bit cannot
	 * be set (the CPU would exit there); nothing is written.
	 */
	memset(self->vm.mem + TBL(3), 0, 0x1000);
	ASSERT_EQ(S_OK, WHvUnmapGpaRange(self->vm.part, 0x400000, 4096));
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ | PROT_WRITE));
	*(UINT64 *)ro = 0x5000 | P | RW;
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));
	ASSERT_EQ(S_OK, WHvMapGpaRange(self->vm.part, ro, 0x400000, 4096,
				       WHvMapGpaRangeFlagRead));
	*e64(&self->vm, TBL(2), 2) = 0x400000 | P | RW | US;
	EXPECT_EQ(0, xlate(&self->vm, GVA4K & ~0x1fffffULL, R, &gpa));
	EXPECT_EQ(0x5000, gpa);
	EXPECT_EQ(WHvTranslateGvaResultIntercept,
		  xlate(&self->vm, GVA4K & ~0x1fffffULL,
			R | WHvTranslateGvaFlagSetPageTableBits, &gpa));
	EXPECT_EQ(0x400000, gpa);
	EXPECT_EQ(0x5000 | P | RW, *(UINT64 *)ro);
	/* A page table in unmapped memory: Intercept, with the entry's GPA. */
	*e64(&self->vm, TBL(2), 2) = 0x800000 | P | RW | US;
	EXPECT_EQ(WHvTranslateGvaResultIntercept, xlate(&self->vm, GVA4K, R, &gpa));
	EXPECT_EQ(0x800008, gpa);
	munmap(ro, 4096);
}

TEST_F(xl, bad_input)
{
	WHV_TRANSLATE_GVA_RESULT res;
	UINT64 gpa;

	EXPECT_EQ(E_INVALIDARG, WHvTranslateGva(self->vm.part, 0, 0,
			(WHV_TRANSLATE_GVA_FLAGS)0x20, &res, &gpa));
	EXPECT_EQ(E_INVALIDARG, WHvTranslateGva(self->vm.part, 0, 0,
			WHvTranslateGvaFlagEnforceSmap | WHvTranslateGvaFlagOverrideSmap,
			&res, &gpa));
	EXPECT_EQ(WHV_E_VP_DOES_NOT_EXIST, WHvTranslateGva(self->vm.part, 5, 0,
			WHvTranslateGvaFlagNone, &res, &gpa));
	EXPECT_EQ(E_POINTER, WHvTranslateGva(self->vm.part, 0, 0,
			WHvTranslateGvaFlagNone, NULL, &gpa));
	EXPECT_EQ(E_POINTER, WHvTranslateGva(self->vm.part, 0, 0,
			WHvTranslateGvaFlagNone, &res, NULL));
	EXPECT_EQ(E_HANDLE, WHvTranslateGva(NULL, 0, 0,
			WHvTranslateGvaFlagNone, &res, &gpa));
}

/* The guest reads through its own tables: the CPU and WHvTranslateGva agree. */
GUEST_CODE(xl_read, ".code64",
	"	movabs 0x40000ff8, %rax\n"
	"	hlt\n");

TEST_F(xl, agrees_with_the_guest)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	UINT64 gpa;

	vm_load_long(&self->vm, 0, xl_read_start, xl_read_end);
	memset(self->vm.mem + TBL(0), 0, 5 * 0x1000);
	*e64(&self->vm, TBL(0), 0) = TBL(1) | P | RW;		/* PML4[0] */
	*e64(&self->vm, TBL(1), 0) = TBL(2) | P | RW;		/* 0-1 GiB */
	*e64(&self->vm, TBL(2), 0) = 0x0 | P | RW | PS;		/* identity 2 MiB */
	*e64(&self->vm, TBL(1), 1) = TBL(3) | P | RW;		/* 1-2 GiB */
	*e64(&self->vm, TBL(3), 0) = TBL(4) | P | RW;
	*e64(&self->vm, TBL(4), 0) = 0x9000 | P | RW;
	*(UINT64 *)(self->vm.mem + 0x9ff8) = 0x1122334455667788ULL;
	vm_set(&self->vm, 0, WHvX64RegisterCr3, TBL(0));
	EXPECT_EQ(0, xlate(&self->vm, 0x40000ff8, R | WHvTranslateGvaFlagSetPageTableBits, &gpa));
	EXPECT_EQ(0x9ff8, gpa);
	ASSERT_EQ(S_OK, vm_run(&self->vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(0x1122334455667788ULL, vm_get(&self->vm, 0, WHvX64RegisterRax));
}

/* ---- 5-level paging ------------------------------------------------------ */

/* CPUID.7.0:ECX[16]: the CPU under the test has 5-level paging. */
static bool cpu_has_la57(void)
{
	unsigned int a, b, c, d;

	return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (c & (1u << 16));
}

static bool cpu_has_1g_pages(void)
{
	unsigned int a, b, c, d;

	return __get_cpuid(0x80000001, &a, &b, &c, &d) && (d & (1u << 26));
}

#define SKIP_WITHOUT_LA57()						\
	do {								\
		if (!cpu_has_la57())					\
			SKIP(return, "the CPU has no 5-level paging "	\
			     "(CPUID.7.0:ECX.LA57[16] is 0)");		\
	} while (0)

/*
 * The same tree as four_level() one level down: PML5[0xa3] and PML5[0x1ff]
 * (the upper half) -> PML4 -> PDPT[0] -> PD, PDPT[1] a 1 GiB page at 0.
 * GVA5 has bits 56:48 = 0xa3: no 4-level address looks like it.
 */
#define GVA5(lo)	(0x00a3000000000000ULL | (lo))
#define GVA5HI(lo)	(0xffff000000000000ULL | (lo))
#define PML5_IDX	0xa3

static void five_level(struct test_vm *vm, UINT64 pml5_extra)
{
	memset(vm->mem + TBL(0), 0, 5 * 0x1000);
	*e64(vm, TBL(0), PML5_IDX) = TBL(1) | P | RW | US | pml5_extra;
	*e64(vm, TBL(0), 0x1ff) = TBL(1) | P | RW | US;
	*e64(vm, TBL(1), 0xfe) = TBL(2) | P | RW | US;		/* PML4[254] */
	*e64(vm, TBL(2), 0) = TBL(3) | P | RW | US;		/* PDPT[0] */
	*e64(vm, TBL(2), 1) = 0x0 | P | RW | US | PS;		/* PDPT[1]: 1 GiB */
	*e64(vm, TBL(3), 2) = TBL(4) | P | RW | US;		/* PD[2] */
	*e64(vm, TBL(3), 3) = 0x0 | P | RW | US | PS;		/* PD[3]: 2 MiB */
	*e64(vm, TBL(4), 1) = 0x5000 | P | RW | US;
	*e64(vm, TBL(4), 2) = 0x6000 | P | US;			/* read-only */
	*e64(vm, TBL(4), 3) = 0x7000 | P | RW;			/* supervisor */
	paging(vm, CR0_PG | CR0_WP | CR0_PE, TBL(0), CR4_PAE | CR4_LA57,
	       EFER_LME | EFER_LMA | EFER_NXE);
}

TEST_F(xl, five_level_pages)
{
	UINT64 gpa;

	SKIP_WITHOUT_LA57();
	five_level(&self->vm, 0);
	ASSERT_EQ(CR4_PAE | CR4_LA57, vm_get(&self->vm, 0, WHvX64RegisterCr4));
	/* 4 KiB, 2 MiB and 1 GiB leaves under the PML5. */
	EXPECT_EQ(0, xlate(&self->vm, GVA5(0x7f0000401123ULL), R | W, &gpa));
	EXPECT_EQ(0x5123, gpa);
	EXPECT_EQ(0, xlate(&self->vm, GVA5(0x7f0000612345ULL), R | W | X, &gpa));
	EXPECT_EQ(0x12345, gpa);
	if (cpu_has_1g_pages()) {
		EXPECT_EQ(0, xlate(&self->vm, GVA5(0x7f0040054321ULL), R, &gpa));
		EXPECT_EQ(0x54321, gpa);
		/* Past guest memory in the same 1 GiB page: the GPA, unmapped. */
		EXPECT_EQ(WHvTranslateGvaResultGpaUnmapped,
			  xlate(&self->vm, GVA5(0x7f0043456789ULL), R, &gpa));
		EXPECT_EQ(0x3456789, gpa);
	} else {
		EXPECT_EQ(WHvTranslateGvaResultInvalidPageTableFlags,
			  xlate(&self->vm, GVA5(0x7f0040054321ULL), R, &gpa));
	}
	/* The upper half: bits 63:56 set, PML5[511]. */
	EXPECT_EQ(0, xlate(&self->vm, GVA5HI(0x7f0000401abcULL), R, &gpa));
	EXPECT_EQ(0x5abc, gpa);
	/* Not present at the PML5 and below it. */
	EXPECT_EQ(WHvTranslateGvaResultPageNotPresent,
		  xlate(&self->vm, 0x00a4000000401000ULL | 0x7f0000000000ULL, R, &gpa));
	EXPECT_EQ(0, gpa);
	EXPECT_EQ(WHvTranslateGvaResultPageNotPresent,
		  xlate(&self->vm, 0x7f0000401000ULL, R, &gpa));	/* PML5[0] */
	EXPECT_EQ(WHvTranslateGvaResultPageNotPresent,
		  xlate(&self->vm, GVA5(0x7e0000401000ULL), R, &gpa));	/* PML4[252] */
	EXPECT_EQ(WHvTranslateGvaResultPageNotPresent,
		  xlate(&self->vm, GVA5(0x7f0000404000ULL), R, &gpa));	/* PT[4] */
	/* Not canonical in 57 bits: bit 56 differs from 63:57. */
	EXPECT_EQ(WHvTranslateGvaResultPageNotPresent,
		  xlate(&self->vm, 0x0100000000000000ULL | GVA5(0x7f0000401000ULL), R, &gpa));
	EXPECT_EQ(0, gpa);
	EXPECT_EQ(WHvTranslateGvaResultPageNotPresent,
		  xlate(&self->vm, 0xfe00000000000000ULL | GVA5(0x7f0000401000ULL), R, &gpa));
	/* The same tables as 4-level: GVA5 is not canonical in 48 bits. */
	vm_set(&self->vm, 0, WHvX64RegisterCr4, CR4_PAE);
	EXPECT_EQ(WHvTranslateGvaResultPageNotPresent,
		  xlate(&self->vm, GVA5(0x7f0000401000ULL), R, &gpa));
	EXPECT_EQ(0, gpa);
}

TEST_F(xl, five_level_reserved_bits)
{
	UINT64 gpa;

	SKIP_WITHOUT_LA57();
	five_level(&self->vm, 0);
	/* PS is reserved in a PML5 entry. */
	*e64(&self->vm, TBL(0), PML5_IDX) |= PS;
	EXPECT_EQ(WHvTranslateGvaResultInvalidPageTableFlags,
		  xlate(&self->vm, GVA5(0x7f0000401000ULL), R, &gpa));
	EXPECT_EQ(0, gpa);
	*e64(&self->vm, TBL(0), PML5_IDX) &= ~PS;
	/* So is a physical-address bit above MAXPHYADDR (51 is above any). */
	*e64(&self->vm, TBL(0), PML5_IDX) |= 1ULL << 51;
	EXPECT_EQ(WHvTranslateGvaResultInvalidPageTableFlags,
		  xlate(&self->vm, GVA5(0x7f0000401000ULL), R, &gpa));
	*e64(&self->vm, TBL(0), PML5_IDX) &= ~(1ULL << 51);
	/* NX in a PML5 entry without EFER.NXE. */
	*e64(&self->vm, TBL(0), PML5_IDX) |= NX;
	EXPECT_EQ(WHvTranslateGvaResultPrivilegeViolation,
		  xlate(&self->vm, GVA5(0x7f0000401000ULL), X, &gpa));
	vm_set(&self->vm, 0, WHvX64RegisterEfer, EFER_LME | EFER_LMA);
	EXPECT_EQ(WHvTranslateGvaResultInvalidPageTableFlags,
		  xlate(&self->vm, GVA5(0x7f0000401000ULL), R, &gpa));
	/* The walk still ends in order: the other half is fine. */
	EXPECT_EQ(0, xlate(&self->vm, GVA5HI(0x7f0000401000ULL), R, &gpa));
	EXPECT_EQ(0x5000, gpa);
}

TEST_F(xl, five_level_privilege)
{
	UINT64 gpa;

	SKIP_WITHOUT_LA57();
	/* A supervisor-only PML5 entry: the whole 256 TiB below it is. */
	five_level(&self->vm, 0);
	*e64(&self->vm, TBL(0), PML5_IDX) &= ~US;
	set_cpl(&self->vm, 3);
	EXPECT_EQ(WHvTranslateGvaResultPrivilegeViolation,
		  xlate(&self->vm, GVA5(0x7f0000401000ULL), R, &gpa));
	EXPECT_EQ(0, gpa);
	EXPECT_EQ(0, xlate(&self->vm, GVA5(0x7f0000401000ULL),
			   R | W | WHvTranslateGvaFlagPrivilegeExempt, &gpa));
	EXPECT_EQ(0x5000, gpa);
	EXPECT_EQ(0, xlate(&self->vm, GVA5HI(0x7f0000401000ULL), R | W, &gpa));
	/* CPL 0 with SMAP: a user page under it is not user any more. */
	set_cpl(&self->vm, 0);
	vm_set(&self->vm, 0, WHvX64RegisterCr4, CR4_PAE | CR4_LA57 | CR4_SMAP | CR4_SMEP);
	EXPECT_EQ(0, xlate(&self->vm, GVA5(0x7f0000401000ULL), R | X, &gpa));
	EXPECT_EQ(WHvTranslateGvaResultPrivilegeViolation,
		  xlate(&self->vm, GVA5HI(0x7f0000401000ULL), R, &gpa));
	EXPECT_EQ(WHvTranslateGvaResultPrivilegeViolation,
		  xlate(&self->vm, GVA5HI(0x7f0000401000ULL), X, &gpa));
	/* A read-only PML5 entry: writes fail at CPL 3, and at 0 with WP. */
	five_level(&self->vm, 0);
	*e64(&self->vm, TBL(0), PML5_IDX) &= ~RW;
	set_cpl(&self->vm, 3);
	EXPECT_EQ(0, xlate(&self->vm, GVA5(0x7f0000401000ULL), R, &gpa));
	EXPECT_EQ(WHvTranslateGvaResultPrivilegeViolation,
		  xlate(&self->vm, GVA5(0x7f0000401000ULL), W, &gpa));
	set_cpl(&self->vm, 0);
	EXPECT_EQ(WHvTranslateGvaResultPrivilegeViolation,
		  xlate(&self->vm, GVA5(0x7f0000401000ULL), W, &gpa));
	vm_set(&self->vm, 0, WHvX64RegisterCr0, CR0_PG | CR0_PE);
	EXPECT_EQ(0, xlate(&self->vm, GVA5(0x7f0000401000ULL), W, &gpa));
	EXPECT_EQ(0x5000, gpa);
	/* NX in the PML5 entry. */
	*e64(&self->vm, TBL(0), PML5_IDX) |= NX;
	EXPECT_EQ(WHvTranslateGvaResultPrivilegeViolation,
		  xlate(&self->vm, GVA5(0x7f0000401000ULL), X, &gpa));
	EXPECT_EQ(0, xlate(&self->vm, GVA5(0x7f0000401000ULL), R, &gpa));
}

TEST_F(xl, five_level_table_bits_and_intercept)
{
	UINT64 gpa;

	SKIP_WITHOUT_LA57();
	five_level(&self->vm, 0);
	/* A and D: A in all five levels, D in the leaf. */
	EXPECT_EQ(0, xlate(&self->vm, GVA5(0x7f0000401000ULL),
			   W | WHvTranslateGvaFlagSetPageTableBits, &gpa));
	EXPECT_EQ(TBL(1) | P | RW | US | A, *e64(&self->vm, TBL(0), PML5_IDX));
	EXPECT_EQ(A, *e64(&self->vm, TBL(1), 0xfe) & (A | D));
	EXPECT_EQ(0x5000 | P | RW | US | A | D, *e64(&self->vm, TBL(4), 1));
	EXPECT_EQ(0, *e64(&self->vm, TBL(0), 0x1ff) & (A | D));
	/* A PML4 in unmapped memory: Intercept, with the PML4 entry's GPA. */
	*e64(&self->vm, TBL(0), PML5_IDX) = 0x800000 | P | RW | US;
	EXPECT_EQ(WHvTranslateGvaResultIntercept,
		  xlate(&self->vm, GVA5(0x7f0000401000ULL), R, &gpa));
	EXPECT_EQ(0x800000 + 0xfe * 8, gpa);
	/* The PML5 itself there: the PML5 entry's GPA. */
	vm_set(&self->vm, 0, WHvX64RegisterCr3, 0x900000);
	EXPECT_EQ(WHvTranslateGvaResultIntercept,
		  xlate(&self->vm, GVA5(0x7f0000401000ULL), R, &gpa));
	EXPECT_EQ(0x900000 + PML5_IDX * 8, gpa);
}

/*
 * CR4.LA57 is accepted exactly when the CPU has 5-level paging, and refused
 * like any reserved CR4 bit when it has not.
 */
TEST_F(xl, la57_register)
{
	WHV_REGISTER_NAME name = WHvX64RegisterCr4;
	WHV_REGISTER_VALUE v = { .Reg64 = CR4_PAE | CR4_LA57 };
	HRESULT hr;

	ASSERT_EQ(S_OK, vm_set(&self->vm, 0, WHvX64RegisterCr4, CR4_PAE));
	hr = WHvSetVirtualProcessorRegisters(self->vm.part, 0, &name, 1, &v);
	if (cpu_has_la57()) {
		EXPECT_EQ(S_OK, hr);
		EXPECT_EQ(CR4_PAE | CR4_LA57, vm_get(&self->vm, 0, WHvX64RegisterCr4));
	} else {
		EXPECT_EQ(E_INVALIDARG, hr);
		EXPECT_EQ(CR4_PAE, vm_get(&self->vm, 0, WHvX64RegisterCr4));
		TH_LOG("CR4.LA57 refused: the CPU has no 5-level paging");
	}
}

/* The guest's view of CPUID: LA57 and 57 linear-address bits with it. */
GUEST_CODE(xl_cpuid7, ".code64",
	"	mov $7, %eax\n"
	"	xor %ecx, %ecx\n"
	"	cpuid\n"
	"	mov %ecx, %esi\n"
	"	mov $0x80000008, %eax\n"
	"	cpuid\n"
	"	mov %eax, %edi\n"
	"	hlt\n");

TEST_F(xl, la57_cpuid)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	bool la57 = cpu_has_la57();

	vm_load_long(&self->vm, 0, xl_cpuid7_start, xl_cpuid7_end);
	ASSERT_EQ(S_OK, vm_run(&self->vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(la57, !!(vm_get(&self->vm, 0, WHvX64RegisterRsi) & (1u << 16)));
	EXPECT_EQ(la57 ? 57 : 48, (vm_get(&self->vm, 0, WHvX64RegisterRdi) >> 8) & 0xff);
}

/* A 5-level walk set up by the VMM: the CPU reads what the walker says. */
GUEST_CODE(xl_read5, ".code64",
	"	movabs 0x00a37f0000401ff8, %rax\n"
	"	movabs $0xffff7f0000401ff0, %rbx\n"
	"	mov (%rbx), %rbx\n"
	"	hlt\n");

/* PML5[0] -> vm_load_long's identity map; PML5[0xa3], [0x1ff] -> GPA 0x9000. */
static void five_level_guest(struct test_vm *vm)
{
	memset(vm->mem + TBL(0), 0, 5 * 0x1000);
	*e64(vm, TBL(0), 0) = GUEST_PML4 | P | RW;
	*e64(vm, TBL(0), PML5_IDX) = TBL(1) | P | RW;
	*e64(vm, TBL(0), 0x1ff) = TBL(1) | P | RW;
	*e64(vm, TBL(1), 0xfe) = TBL(2) | P | RW;
	*e64(vm, TBL(2), 0) = TBL(3) | P | RW;
	*e64(vm, TBL(3), 2) = TBL(4) | P | RW;
	*e64(vm, TBL(4), 1) = 0x9000 | P | RW;
	*(UINT64 *)(vm->mem + 0x9ff8) = 0x1122334455667788ULL;
	*(UINT64 *)(vm->mem + 0x9ff0) = 0x99aabbccddeeff00ULL;
}

TEST_F(xl, five_level_agrees_with_the_guest)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	UINT64 gpa;

	SKIP_WITHOUT_LA57();
	vm_load_long(&self->vm, 0, xl_read5_start, xl_read5_end);
	five_level_guest(&self->vm);
	ASSERT_EQ(S_OK, vm_set(&self->vm, 0, WHvX64RegisterCr0, 0x11));
	ASSERT_EQ(S_OK, vm_set(&self->vm, 0, WHvX64RegisterCr4, 0x220 | CR4_LA57));
	ASSERT_EQ(S_OK, vm_set(&self->vm, 0, WHvX64RegisterCr3, TBL(0)));
	ASSERT_EQ(S_OK, vm_set(&self->vm, 0, WHvX64RegisterCr0, 0x80010033));
	EXPECT_EQ(0, xlate(&self->vm, 0x00a37f0000401ff8ULL,
			   R | WHvTranslateGvaFlagSetPageTableBits, &gpa));
	EXPECT_EQ(0x9ff8, gpa);
	EXPECT_EQ(0, xlate(&self->vm, 0xffff7f0000401ff0ULL, R, &gpa));
	EXPECT_EQ(0x9ff0, gpa);
	ASSERT_EQ(S_OK, vm_run(&self->vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason) {
		TH_LOG("exit %#x at RIP %#llx", exit.ExitReason,
		       (unsigned long long)exit.VpContext.Rip);
	}
	EXPECT_EQ(0x1122334455667788ULL, vm_get(&self->vm, 0, WHvX64RegisterRax));
	EXPECT_EQ(0x99aabbccddeeff00ULL, vm_get(&self->vm, 0, WHvX64RegisterRbx));
	EXPECT_EQ(0x220 | CR4_LA57, vm_get(&self->vm, 0, WHvX64RegisterCr4));
}

/*
 * The guest turns 5-level paging on itself, as an OS does: MOV to CR4 with
 * paging off, then EFER.LME and CR0.PG.
 */
GUEST_CODE(xl_enable5, ".code32",
	"	mov %cr4, %eax\n"
	"	or $0x1020, %eax\n"		/* PAE, LA57 */
	"	mov %eax, %cr4\n"
	"	mov $0x100000, %eax\n"		/* TBL(0): the PML5 */
	"	mov %eax, %cr3\n"
	"	mov $0xc0000080, %ecx\n"
	"	rdmsr\n"
	"	or $0x100, %eax\n"		/* LME */
	"	wrmsr\n"
	"	mov %cr0, %eax\n"
	"	or $0x80000000, %eax\n"
	"	mov %eax, %cr0\n"
	"	ljmp $0x08, $" GUEST_ADDR(xl_enable5, "1f") "\n"
	".code64\n"
	"1:	movabs 0x00a37f0000401ff8, %rax\n"
	GL(xl_enable5_hlt)
	"	hlt\n");

extern const uint8_t xl_enable5_hlt[];

TEST(guest_enables_five_level)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;

	if (!cpu_has_la57())
		SKIP(return, "the CPU has no 5-level paging (CPUID.7.0:ECX.LA57[16] is 0)");
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_long(&vm, 0, xl_enable5_start, xl_enable5_end);
	five_level_guest(&vm);
	/* 32-bit protected mode, no paging. */
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterCr0, 0x11));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterEfer, 0));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterCr4, 0x200));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterCr3, 0));
	ASSERT_EQ(S_OK, vm_set_segment(&vm, 0, WHvX64RegisterCs, 0x18, 0,
				       0xffffffff, 0xc09b));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason) {
		TH_LOG("exit %#x at RIP %#llx", exit.ExitReason,
		       (unsigned long long)exit.VpContext.Rip);
	}
	EXPECT_EQ(0x1122334455667788ULL, vm_get(&vm, 0, WHvX64RegisterRax));
	/* Past the HLT: without NRIPS the kernel read it through the tables. */
	EXPECT_EQ(GA(xl_enable5, xl_enable5_hlt) + 1, vm_get(&vm, 0, WHvX64RegisterRip));
	EXPECT_EQ(0x1020 | 0x200, vm_get(&vm, 0, WHvX64RegisterCr4) & 0x1220);
	EXPECT_EQ(EFER_LME | EFER_LMA, vm_get(&vm, 0, WHvX64RegisterEfer) & (EFER_LME | EFER_LMA));
	vm_destroy(&vm);
}

TEST_HARNESS_MAIN
