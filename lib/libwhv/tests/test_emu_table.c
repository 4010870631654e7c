// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_emu_table.c - table-driven tests of the WinHvEmulation emulator.
 *
 * Each case gives the instruction bytes, the mode, the initial registers,
 * guest memory and translations; it expects an exact sequence of Memory
 * and IoPort callbacks (direction, GPA or port, size, data), the exact
 * contents of the one SetVirtualProcessorRegisters call (or none), and the
 * status. A case can make its n-th call of one callback fail.
 */
#include <check.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <WinHvEmulation.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the case format ------------------------------------------------------- */

/* Register names are stored + 1 so that 0 ends a list (Rax is 0). */
struct treg {
	uint32_t n;
	uint64_t v;		/* value, or segment base */
	uint32_t lim;		/* segments */
	uint16_t attr;
};

#define R(name, val)	{ WHvX64Register##name + 1, (val), 0, 0 }
#define SEG(name, base, limit, attrs) \
	{ WHvX64Register##name + 1, (base), (limit), (attrs) }
#define CR2(val)	{ WHvX64RegisterCr2 + 1, (val), 0, 0 }
/* PendingInterruption: pending exception @vec with error code @err. */
#define PEND(vec, err)	{ WHvRegisterPendingInterruption + 1, \
			  0x17ull | (uint64_t)(vec) << 16 | (uint64_t)(err) << 32, 0, 0 }
/* The same in real mode, where exceptions push no error code. */
#define PEND_RM(vec)	{ WHvRegisterPendingInterruption + 1, \
			  0x07ull | (uint64_t)(vec) << 16, 0, 0 }

struct tev {
	char k;			/* 'R'/'W' memory, 'I'/'O' port */
	uint64_t a;		/* GPA or port */
	unsigned int n;
	uint64_t d;
};

#define MR(gpa, size, data)	{ 'R', (gpa), (size), (data) }
#define MW(gpa, size, data)	{ 'W', (gpa), (size), (data) }
#define PIN(port, size, data)	{ 'I', (port), (size), (data) }
#define POUT(port, size, data)	{ 'O', (port), (size), (data) }

struct tmem {
	uint64_t gpa;
	unsigned int n;
	uint64_t v;
};

/* Translation of one GVA page; pages not listed map to themselves. */
struct tmap {
	uint64_t gva, gpa;
	WHV_TRANSLATE_GVA_RESULT_CODE code;
	HRESULT hr;
};

struct txl {
	uint64_t gva;
	uint32_t flags;
};

#define XL_R	(WHvTranslateGvaFlagValidateRead | WHvTranslateGvaFlagSetPageTableBits)
#define XL_W	(WHvTranslateGvaFlagValidateWrite | WHvTranslateGvaFlagSetPageTableBits)
#define XL_RW	(XL_R | XL_W)
#define XL_X	(WHvTranslateGvaFlagValidateExecute | WHvTranslateGvaFlagSetPageTableBits)

struct tcase {
	const char *name;
	int mode;		/* 64, 32 or 16 (real mode) */
	const char *insn;	/* hex bytes */
	int given;		/* bytes in the exit context: 0 all, -1 none */
	uint64_t rip;		/* default 0x1000 */
	uint64_t rflags;	/* default 0x2 */
	uint8_t cpl;
	bool compat;		/* mode 32 under EFER.LMA (compatibility mode) */
	bool v86;		/* mode 16 as virtual-8086 (CR0.PE, RFLAGS.VM) */
	bool pending;		/* ExecutionState.InterruptionPending */
	struct treg regs[10];
	struct tmem mem[6];
	struct tmap map[4];
	/* MMIO exit context */
	bool gva_valid;
	uint8_t access;
	uint64_t gva, gpa;
	/* I/O exit context */
	bool io, write, str, rep;
	uint16_t port;
	uint8_t iosize;
	int ilen;		/* InstructionLength: 0 decoded length, -1 none */
	/*
	 * Failure injection: the fail_at-th call of 'M'emory, 'G'et, 'S'et,
	 * 'T'ranslate or 'I'o returns E_FAIL.
	 */
	char fail;
	unsigned int fail_at;
	/* expectations */
	struct tev ev[14];
	struct treg out[12];	/* the set call, or none if empty */
	bool check_xl;
	struct txl xl[6];	/* translate calls, if check_xl */
	bool no_get;		/* the get callback must not be called */
	uint32_t status;
};

#define OK		0x001u
#define INTERNAL	0x002u
#define IO_FAILED	0x004u
#define MEM_FAILED	0x008u
#define XLATE_FAILED	0x010u
#define XLATE_UNALIGNED	0x020u
#define GET_FAILED	0x040u
#define SET_FAILED	0x080u
#define INTR_INTERCEPT	0x100u
#define CANNOT_FAULT	0x200u

#define CF 0x001ull
#define PF 0x004ull
#define AF 0x010ull
#define ZF 0x040ull
#define SF 0x080ull
#define DF 0x400ull
#define OF 0x800ull
#define RF 0x10000ull

/* ---- the world the callbacks see ---------------------------------------------- */

#define CTX ((void *)0xc0ffee)
#define MAX_EV 64

struct page {
	uint64_t gpa;
	uint8_t data[4096];
};

static struct world {
	const struct tcase *tc;
	struct page *pages[32];
	unsigned int npages;
	struct tev ev[MAX_EV];
	unsigned int nev;
	struct txl xl[16];
	unsigned int nxl;
	unsigned int calls[5];	/* M G S T I */
	unsigned int setcalls, getcalls, ins;
	WHV_REGISTER_NAME setn[32];
	WHV_REGISTER_VALUE setv[32];
	unsigned int nset;
	WHV_REGISTER_NAME getn[32];
	unsigned int nget;
	bool bad_ctx;
	uint64_t gpr[16], cr4, efer;
	WHV_X64_SEGMENT_REGISTER seg[6];
} w;

static uint8_t *mem_at(uint64_t gpa)
{
	uint64_t page = gpa & ~0xfffull;
	unsigned int i;

	for (i = 0; i < w.npages; i++)
		if (w.pages[i]->gpa == page)
			return w.pages[i]->data + (gpa & 0xfff);
	ck_assert_uint_lt(w.npages, ARRAY_SIZE(w.pages));
	w.pages[w.npages] = calloc(1, sizeof(struct page));
	w.pages[w.npages]->gpa = page;
	return w.pages[w.npages++]->data + (gpa & 0xfff);
}

static void mem_put(uint64_t gpa, unsigned int n, uint64_t v)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		*mem_at(gpa + i) = (uint8_t)(v >> (8 * i));
}

static uint64_t mem_get(uint64_t gpa, unsigned int n)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < n; i++)
		v |= (uint64_t)*mem_at(gpa + i) << (8 * i);
	return v;
}

/* Should this call of callback @which fail? Counts the call. */
static bool inject(char which)
{
	static const char order[] = "MGSTI";
	unsigned int i = (unsigned int)(strchr(order, which) - order);

	w.calls[i]++;
	return w.tc->fail == which && w.calls[i] == w.tc->fail_at;
}

static void log_ev(char k, uint64_t a, unsigned int n, uint64_t d)
{
	if (w.nev < MAX_EV)
		w.ev[w.nev] = (struct tev){ k, a, n, d };
	w.nev++;
}

static HRESULT CALLBACK cb_io(VOID *ctx, WHV_EMULATOR_IO_ACCESS_INFO *io)
{
	uint32_t mask = io->AccessSize == 4 ? ~0u : (1u << (8 * io->AccessSize)) - 1;

	w.bad_ctx |= ctx != CTX;
	if (inject('I'))
		return E_FAIL;
	if (!io->Direction)
		io->Data = ((0x41 + w.ins++) * 0x01010101u) & mask;
	log_ev(io->Direction ? 'O' : 'I', io->Port, io->AccessSize, io->Data);
	return S_OK;
}

static HRESULT CALLBACK cb_mem(VOID *ctx, WHV_EMULATOR_MEMORY_ACCESS_INFO *ma)
{
	uint64_t v = 0;

	w.bad_ctx |= ctx != CTX;
	if (inject('M'))
		return E_FAIL;
	if (ma->Direction) {
		memcpy(&v, ma->Data, ma->AccessSize);
		mem_put(ma->GpaAddress, ma->AccessSize, v);
	} else {
		v = mem_get(ma->GpaAddress, ma->AccessSize);
		memcpy(ma->Data, &v, ma->AccessSize);
	}
	log_ev(ma->Direction ? 'W' : 'R', ma->GpaAddress, ma->AccessSize, v);
	return S_OK;
}

static HRESULT CALLBACK cb_get(VOID *ctx, const WHV_REGISTER_NAME *names,
			       UINT32 n, WHV_REGISTER_VALUE *vals)
{
	UINT32 i;

	w.bad_ctx |= ctx != CTX;
	w.getcalls++;
	if (inject('G'))
		return E_FAIL;
	for (i = 0; i < n; i++) {
		if (w.nget < ARRAY_SIZE(w.getn))
			w.getn[w.nget++] = names[i];
		memset(&vals[i], 0, sizeof(vals[i]));
		if (names[i] <= WHvX64RegisterR15)
			vals[i].Reg64 = w.gpr[names[i]];
		else if (names[i] >= WHvX64RegisterEs && names[i] <= WHvX64RegisterGs)
			vals[i].Segment = w.seg[names[i] - WHvX64RegisterEs];
		else if (names[i] == WHvX64RegisterCr4)
			vals[i].Reg64 = w.cr4;
		else if (names[i] == WHvX64RegisterEfer)
			vals[i].Reg64 = w.efer;
		else
			return E_INVALIDARG;
	}
	return S_OK;
}

static HRESULT CALLBACK cb_set(VOID *ctx, const WHV_REGISTER_NAME *names,
			       UINT32 n, const WHV_REGISTER_VALUE *vals)
{
	UINT32 i;

	w.bad_ctx |= ctx != CTX;
	w.setcalls++;
	for (i = 0; i < n && w.nset < ARRAY_SIZE(w.setn); i++) {
		w.setn[w.nset] = names[i];
		w.setv[w.nset++] = vals[i];
	}
	if (inject('S'))
		return E_FAIL;
	return S_OK;
}

static HRESULT CALLBACK cb_xlate(VOID *ctx, WHV_GUEST_VIRTUAL_ADDRESS gva,
				 WHV_TRANSLATE_GVA_FLAGS flags,
				 WHV_TRANSLATE_GVA_RESULT_CODE *res,
				 WHV_GUEST_PHYSICAL_ADDRESS *gpa)
{
	const struct tmap *m = w.tc->map;
	unsigned int i;

	w.bad_ctx |= ctx != CTX;
	if (w.nxl < ARRAY_SIZE(w.xl))
		w.xl[w.nxl] = (struct txl){ gva, (uint32_t)flags };
	w.nxl++;
	if (inject('T'))
		return E_FAIL;
	*res = WHvTranslateGvaResultSuccess;
	*gpa = gva;
	for (i = 0; i < ARRAY_SIZE(w.tc->map); i++) {
		if ((m[i].gva || m[i].gpa || m[i].code || m[i].hr) && m[i].gva == gva) {
			*res = m[i].code;
			*gpa = m[i].gpa;
			return m[i].hr;
		}
	}
	return S_OK;
}

static const WHV_EMULATOR_CALLBACKS callbacks = {
	.Size = sizeof(WHV_EMULATOR_CALLBACKS),
	.WHvEmulatorIoPortCallback = cb_io,
	.WHvEmulatorMemoryCallback = cb_mem,
	.WHvEmulatorGetVirtualProcessorRegisters = cb_get,
	.WHvEmulatorSetVirtualProcessorRegisters = cb_set,
	.WHvEmulatorTranslateGvaPage = cb_xlate,
};

/* ---- the cases ---------------------------------------------------------------- */

#define M64 .mode = 64
#define M32 .mode = 32
#define M16 .mode = 16
#define RIP(v) R(Rip, v)
#define FL(v) R(Rflags, v)
#define MAP(va, pa) { (va), (pa), WHvTranslateGvaResultSuccess, S_OK }
#define MAPC(va, c) { (va), 0, WHvTranslateGvaResult##c, S_OK }

static const struct tcase cases[] = {
	/* ---- MOV, 64-bit mode ---- */
	{ "mov [rax], ecx", M64, "89 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 0x11223344aabbccddull) },
	  .ev = { MW(0x2000, 4, 0xaabbccdd) }, .out = { RIP(0x1002) }, .status = OK },
	{ "mov [rax], rcx", M64, "48 89 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 0x11223344aabbccddull) },
	  .ev = { MW(0x2000, 8, 0x11223344aabbccddull) }, .out = { RIP(0x1003) }, .status = OK },
	{ "mov [rax], cx", M64, "66 89 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 0x11223344aabbccddull) },
	  .ev = { MW(0x2000, 2, 0xccdd) }, .out = { RIP(0x1003) }, .status = OK },
	{ "mov [rax], ch", M64, "88 28",
	  .regs = { R(Rax, 0x2000), R(Rcx, 0xbeef) },
	  .ev = { MW(0x2000, 1, 0xbe) }, .out = { RIP(0x1002) }, .status = OK },
	{ "mov [rax], bpl (REX)", M64, "40 88 28",
	  .regs = { R(Rax, 0x2000), R(Rbp, 0x1177) },
	  .ev = { MW(0x2000, 1, 0x77) }, .out = { RIP(0x1003) }, .status = OK },
	{ "mov ecx, [rax] zero-extends", M64, "8b 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, ~0ull) }, .mem = { { 0x2000, 4, 0xdeadbeef } },
	  .ev = { MR(0x2000, 4, 0xdeadbeef) },
	  .out = { R(Rcx, 0xdeadbeef), RIP(0x1002) }, .status = OK },
	{ "mov cx, [rax] keeps the upper bits", M64, "66 8b 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, ~0ull) }, .mem = { { 0x2000, 4, 0xdeadbeef } },
	  .ev = { MR(0x2000, 2, 0xbeef) },
	  .out = { R(Rcx, 0xffffffffffffbeefull), RIP(0x1003) }, .status = OK },
	{ "mov ah, [rax]", M64, "8a 20",
	  .regs = { R(Rax, 0x2000) }, .mem = { { 0x2000, 1, 0x5a } },
	  .ev = { MR(0x2000, 1, 0x5a) }, .out = { R(Rax, 0x5a00), RIP(0x1002) }, .status = OK },
	{ "mov r8b, [rax]", M64, "44 8a 00",
	  .regs = { R(Rax, 0x2000), R(R8, 0x1111111111111111ull) }, .mem = { { 0x2000, 1, 0x5a } },
	  .ev = { MR(0x2000, 1, 0x5a) },
	  .out = { R(R8, 0x111111111111115aull), RIP(0x1003) }, .status = OK },
	{ "mov byte [rax], imm8", M64, "c6 00 7f", .regs = { R(Rax, 0x2000) },
	  .ev = { MW(0x2000, 1, 0x7f) }, .out = { RIP(0x1003) }, .status = OK },
	{ "mov qword [rax], imm32 sign-extended", M64, "48 c7 00 ff ff ff ff",
	  .regs = { R(Rax, 0x2000) },
	  .ev = { MW(0x2000, 8, ~0ull) }, .out = { RIP(0x1007) }, .status = OK },
	{ "mov word [rax], imm16", M64, "66 c7 00 34 12", .regs = { R(Rax, 0x2000) },
	  .ev = { MW(0x2000, 2, 0x1234) }, .out = { RIP(0x1005) }, .status = OK },
	{ "mov eax, [moffs64]", M64, "a1 00 20 00 00 00 00 00 00",
	  .regs = { R(Rax, ~0ull) }, .mem = { { 0x2000, 4, 0xcafef00d } },
	  .ev = { MR(0x2000, 4, 0xcafef00d) },
	  .out = { R(Rax, 0xcafef00d), RIP(0x1009) }, .status = OK },
	{ "mov eax, [moffs32] (67)", M64, "67 a1 00 20 00 00",
	  .regs = { R(Rax, ~0ull) }, .mem = { { 0x2000, 4, 0xcafef00d } },
	  .ev = { MR(0x2000, 4, 0xcafef00d) },
	  .out = { R(Rax, 0xcafef00d), RIP(0x1006) }, .status = OK },
	{ "mov [moffs64], rax", M64, "48 a3 00 20 00 00 00 00 00 00",
	  .regs = { R(Rax, 0x0102030405060708ull) },
	  .ev = { MW(0x2000, 8, 0x0102030405060708ull) }, .out = { RIP(0x100a) }, .status = OK },
	{ "mov [moffs64], al", M64, "a2 10 20 00 00 00 00 00 00",
	  .regs = { R(Rax, 0x0102030405060708ull) },
	  .ev = { MW(0x2010, 1, 0x08) }, .out = { RIP(0x1009) }, .status = OK },
	{ "movzx ecx, byte [rax]", M64, "0f b6 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, ~0ull) }, .mem = { { 0x2000, 1, 0x80 } },
	  .ev = { MR(0x2000, 1, 0x80) }, .out = { R(Rcx, 0x80), RIP(0x1003) }, .status = OK },
	{ "movsx ecx, byte [rax]", M64, "0f be 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, ~0ull) }, .mem = { { 0x2000, 1, 0x80 } },
	  .ev = { MR(0x2000, 1, 0x80) }, .out = { R(Rcx, 0xffffff80), RIP(0x1003) }, .status = OK },
	{ "movsx rcx, word [rax]", M64, "48 0f bf 08",
	  .regs = { R(Rax, 0x2000) }, .mem = { { 0x2000, 2, 0x8000 } },
	  .ev = { MR(0x2000, 2, 0x8000) },
	  .out = { R(Rcx, 0xffffffffffff8000ull), RIP(0x1004) }, .status = OK },
	{ "movzx cx, byte [rax]", M64, "66 0f b6 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 0x1234567812345678ull) },
	  .mem = { { 0x2000, 1, 0xfe } }, .ev = { MR(0x2000, 1, 0xfe) },
	  .out = { R(Rcx, 0x12345678123400feull), RIP(0x1004) }, .status = OK },
	{ "movsxd rcx, dword [rax]", M64, "48 63 08",
	  .regs = { R(Rax, 0x2000) }, .mem = { { 0x2000, 4, 0x80000000 } },
	  .ev = { MR(0x2000, 4, 0x80000000) },
	  .out = { R(Rcx, 0xffffffff80000000ull), RIP(0x1003) }, .status = OK },
	{ "movsxd ecx without REX.W is a mov", M64, "63 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, ~0ull) }, .mem = { { 0x2000, 4, 0x80000000 } },
	  .ev = { MR(0x2000, 4, 0x80000000) },
	  .out = { R(Rcx, 0x80000000), RIP(0x1002) }, .status = OK },
	{ "mov eax, [rip+disp32]", M64, "8b 05 00 10 00 00",
	  .mem = { { 0x2006, 4, 0x11223344 } }, .ev = { MR(0x2006, 4, 0x11223344) },
	  .out = { R(Rax, 0x11223344), RIP(0x1006) }, .status = OK },
	{ "mov eax, [eip+disp32] (67) wraps", M64, "67 8b 05 f0 ff ff ff",
	  .rip = 0x100001000ull, .mem = { { 0xff7, 4, 0x55667788 } },
	  .ev = { MR(0xff7, 4, 0x55667788) },
	  .out = { R(Rax, 0x55667788), RIP(0x100001007ull) }, .status = OK },
	{ "mov eax, [rax+rcx*4+8]", M64, "8b 44 88 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 0x10) }, .mem = { { 0x2048, 4, 0x99 } },
	  .ev = { MR(0x2048, 4, 0x99) }, .out = { R(Rax, 0x99), RIP(0x1004) }, .status = OK },
	{ "mov ecx, [disp32] through SIB", M64, "8b 0c 25 00 20 00 00",
	  .mem = { { 0x2000, 4, 0x42 } }, .ev = { MR(0x2000, 4, 0x42) },
	  .out = { R(Rcx, 0x42), RIP(0x1007) }, .status = OK },
	{ "mov eax, [r12] needs a SIB", M64, "41 8b 04 24",
	  .regs = { R(R12, 0x2000) }, .mem = { { 0x2000, 4, 0x42 } },
	  .ev = { MR(0x2000, 4, 0x42) }, .out = { R(Rax, 0x42), RIP(0x1004) }, .status = OK },
	{ "mov eax, [r13+0]", M64, "41 8b 45 00",
	  .regs = { R(R13, 0x2000) }, .mem = { { 0x2000, 4, 0x42 } },
	  .ev = { MR(0x2000, 4, 0x42) }, .out = { R(Rax, 0x42), RIP(0x1004) }, .status = OK },
	{ "mov eax, [rax+r12] (REX.X)", M64, "42 8b 04 20",
	  .regs = { R(Rax, 0x1000), R(R12, 0x1000) }, .mem = { { 0x2000, 4, 0x42 } },
	  .ev = { MR(0x2000, 4, 0x42) }, .out = { R(Rax, 0x42), RIP(0x1004) }, .status = OK },
	{ "mov ecx, [eax] (67) truncates", M64, "67 8b 08",
	  .regs = { R(Rax, 0xffffffff00002000ull) }, .mem = { { 0x2000, 4, 0x42 } },
	  .ev = { MR(0x2000, 4, 0x42) }, .out = { R(Rcx, 0x42), RIP(0x1003) }, .status = OK },
	{ "fs: adds the FS base", M64, "64 8b 00",
	  .regs = { R(Rax, 0x2000), SEG(Fs, 0x10000, 0, 0) }, .mem = { { 0x12000, 4, 0x42 } },
	  .ev = { MR(0x12000, 4, 0x42) }, .out = { R(Rax, 0x42), RIP(0x1003) }, .status = OK },
	{ "ds: base is ignored in 64-bit mode", M64, "3e 8b 00",
	  .regs = { R(Rax, 0x2000), SEG(Ds, 0x50000, 0, 0) }, .mem = { { 0x2000, 4, 0x42 } },
	  .ev = { MR(0x2000, 4, 0x42) }, .out = { R(Rax, 0x42), RIP(0x1003) }, .status = OK },
	{ "gs: absolute qword", M64, "65 48 8b 04 25 10 00 00 00",
	  .regs = { SEG(Gs, 0x7000, 0, 0) }, .mem = { { 0x7010, 8, 0x1122334455667788ull } },
	  .ev = { MR(0x7010, 8, 0x1122334455667788ull) },
	  .out = { R(Rax, 0x1122334455667788ull), RIP(0x1009) }, .status = OK },

	/* ---- ALU, flags ---- */
	{ "add [rax], ecx: carry to zero", M64, "01 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 1) }, .mem = { { 0x2000, 4, 0xffffffff } },
	  .ev = { MR(0x2000, 4, 0xffffffff), MW(0x2000, 4, 0) },
	  .out = { RIP(0x1002), FL(0x2 | CF | PF | AF | ZF) }, .status = OK },
	{ "sub [rax], ecx: borrow", M64, "29 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 1) },
	  .ev = { MR(0x2000, 4, 0), MW(0x2000, 4, 0xffffffff) },
	  .out = { RIP(0x1002), FL(0x2 | CF | PF | AF | SF) }, .status = OK },
	{ "adc [rax], ecx: carry in, overflow", M64, "11 08", .rflags = 0x2 | CF,
	  .regs = { R(Rax, 0x2000) }, .mem = { { 0x2000, 4, 0x7fffffff } },
	  .ev = { MR(0x2000, 4, 0x7fffffff), MW(0x2000, 4, 0x80000000) },
	  .out = { RIP(0x1002), FL(0x2 | PF | AF | SF | OF) }, .status = OK },
	{ "sbb [rax], ecx: borrow in", M64, "19 08", .rflags = 0x2 | CF,
	  .regs = { R(Rax, 0x2000), R(Rcx, 5) }, .mem = { { 0x2000, 4, 5 } },
	  .ev = { MR(0x2000, 4, 5), MW(0x2000, 4, 0xffffffff) },
	  .out = { RIP(0x1002), FL(0x2 | CF | PF | AF | SF) }, .status = OK },
	{ "and [rax], ecx clears CF, OF, AF", M64, "21 08", .rflags = 0x2 | CF | AF | OF,
	  .regs = { R(Rax, 0x2000), R(Rcx, 0x0f0f0f0f) }, .mem = { { 0x2000, 4, 0xf0f0f0f0 } },
	  .ev = { MR(0x2000, 4, 0xf0f0f0f0), MW(0x2000, 4, 0) },
	  .out = { RIP(0x1002), FL(0x2 | PF | ZF) }, .status = OK },
	{ "or byte [rax], imm8", M64, "80 08 80",
	  .regs = { R(Rax, 0x2000) }, .mem = { { 0x2000, 1, 0x01 } },
	  .ev = { MR(0x2000, 1, 0x01), MW(0x2000, 1, 0x81) },
	  .out = { RIP(0x1003), FL(0x2 | PF | SF) }, .status = OK },
	{ "xor [rax], rcx", M64, "48 31 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 1) }, .mem = { { 0x2000, 8, 0x8000000000000001ull } },
	  .ev = { MR(0x2000, 8, 0x8000000000000001ull), MW(0x2000, 8, 0x8000000000000000ull) },
	  .out = { RIP(0x1003), FL(0x2 | PF | SF) }, .status = OK },
	{ "cmp [rax], ecx only reads", M64, "39 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 5) }, .mem = { { 0x2000, 4, 3 } },
	  .ev = { MR(0x2000, 4, 3) },
	  .out = { RIP(0x1002), FL(0x2 | CF | AF | SF) }, .status = OK },
	{ "cmp ecx, [rax]", M64, "3b 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 5) }, .mem = { { 0x2000, 4, 3 } },
	  .ev = { MR(0x2000, 4, 3) }, .out = { RIP(0x1002), FL(0x2) }, .status = OK },
	{ "cmp byte [rax], imm8 (80 /7)", M64, "80 38 05",
	  .regs = { R(Rax, 0x2000) }, .mem = { { 0x2000, 1, 5 } },
	  .ev = { MR(0x2000, 1, 5) }, .out = { RIP(0x1003), FL(0x2 | PF | ZF) }, .status = OK },
	{ "add dword [rax], -1 (83 /0)", M64, "83 00 ff",
	  .regs = { R(Rax, 0x2000) }, .mem = { { 0x2000, 4, 1 } },
	  .ev = { MR(0x2000, 4, 1), MW(0x2000, 4, 0) },
	  .out = { RIP(0x1003), FL(0x2 | CF | PF | AF | ZF) }, .status = OK },
	{ "sub dword [rax], imm32 (81 /5)", M64, "81 28 78 56 34 12",
	  .regs = { R(Rax, 0x2000) }, .mem = { { 0x2000, 4, 0x12345678 } },
	  .ev = { MR(0x2000, 4, 0x12345678), MW(0x2000, 4, 0) },
	  .out = { RIP(0x1006), FL(0x2 | PF | ZF) }, .status = OK },
	{ "and qword [rax], -16 (48 83 /4)", M64, "48 83 20 f0",
	  .regs = { R(Rax, 0x2000) }, .mem = { { 0x2000, 8, ~0ull } },
	  .ev = { MR(0x2000, 8, ~0ull), MW(0x2000, 8, ~0xfull) },
	  .out = { RIP(0x1004), FL(0x2 | PF | SF) }, .status = OK },
	{ "add cl, [rax]: signed overflow", M64, "02 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 0x7f) }, .mem = { { 0x2000, 1, 1 } },
	  .ev = { MR(0x2000, 1, 1) },
	  .out = { R(Rcx, 0x80), RIP(0x1002), FL(0x2 | AF | SF | OF) }, .status = OK },
	{ "add eax, imm32 (no memory)", M64, "05 01 00 00 00",
	  .regs = { R(Rax, 0xffffffff) },
	  .out = { R(Rax, 0), RIP(0x1005), FL(0x2 | CF | PF | AF | ZF) }, .status = OK },
	{ "test [rax], cl", M64, "84 08", .rflags = 0x2 | CF | OF,
	  .regs = { R(Rax, 0x2000), R(Rcx, 0x80) }, .mem = { { 0x2000, 1, 0x80 } },
	  .ev = { MR(0x2000, 1, 0x80) }, .out = { RIP(0x1002), FL(0x2 | SF) }, .status = OK },
	{ "test byte [rax], imm8 (f6 /0)", M64, "f6 00 01",
	  .regs = { R(Rax, 0x2000) }, .mem = { { 0x2000, 1, 0xfe } },
	  .ev = { MR(0x2000, 1, 0xfe) }, .out = { RIP(0x1003), FL(0x2 | PF | ZF) }, .status = OK },
	{ "test al, imm8 (a8)", M64, "a8 01", .regs = { R(Rax, 1) },
	  .out = { RIP(0x1002), FL(0x2) }, .status = OK },
	{ "neg dword [rax]", M64, "f7 18",
	  .regs = { R(Rax, 0x2000) }, .mem = { { 0x2000, 4, 1 } },
	  .ev = { MR(0x2000, 4, 1), MW(0x2000, 4, 0xffffffff) },
	  .out = { RIP(0x1002), FL(0x2 | CF | PF | AF | SF) }, .status = OK },
	{ "neg of zero clears CF", M64, "f7 18", .rflags = 0x2 | CF,
	  .regs = { R(Rax, 0x2000) },
	  .ev = { MR(0x2000, 4, 0), MW(0x2000, 4, 0) },
	  .out = { RIP(0x1002), FL(0x2 | PF | ZF) }, .status = OK },
	{ "not byte [rax] leaves the flags", M64, "f6 10", .rflags = 0x2 | CF,
	  .regs = { R(Rax, 0x2000) }, .mem = { { 0x2000, 1, 0x0f } },
	  .ev = { MR(0x2000, 1, 0x0f), MW(0x2000, 1, 0xf0) },
	  .out = { RIP(0x1002) }, .status = OK },
	{ "inc byte [rax] keeps CF", M64, "fe 00", .rflags = 0x2 | CF,
	  .regs = { R(Rax, 0x2000) }, .mem = { { 0x2000, 1, 0xff } },
	  .ev = { MR(0x2000, 1, 0xff), MW(0x2000, 1, 0) },
	  .out = { RIP(0x1002), FL(0x2 | CF | PF | AF | ZF) }, .status = OK },
	{ "dec dword [rax]: overflow", M64, "ff 08",
	  .regs = { R(Rax, 0x2000) }, .mem = { { 0x2000, 4, 0x80000000 } },
	  .ev = { MR(0x2000, 4, 0x80000000), MW(0x2000, 4, 0x7fffffff) },
	  .out = { RIP(0x1002), FL(0x2 | PF | AF | OF) }, .status = OK },
	{ "lock add [rax], ecx", M64, "f0 01 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 1) }, .mem = { { 0x2000, 4, 0xffffffff } },
	  .ev = { MR(0x2000, 4, 0xffffffff), MW(0x2000, 4, 0) },
	  .out = { RIP(0x1003), FL(0x2 | CF | PF | AF | ZF) }, .status = OK },
	{ "lock mov is #UD: not emulated", M64, "f0 89 08", .regs = { R(Rax, 0x2000) },
	  .no_get = true, .status = INTERNAL },
	{ "lock with a register destination", M64, "f0 01 c8", .no_get = true,
	  .status = INTERNAL },
	{ "lock cmp", M64, "f0 39 08", .regs = { R(Rax, 0x2000) }, .no_get = true,
	  .status = INTERNAL },
	{ "xchg [rax], ecx", M64, "87 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 0xffffffff22222222ull) },
	  .mem = { { 0x2000, 4, 0x11111111 } },
	  .ev = { MR(0x2000, 4, 0x11111111), MW(0x2000, 4, 0x22222222) },
	  .out = { R(Rcx, 0x11111111), RIP(0x1002) }, .status = OK },
	{ "xchg [rax], ah", M64, "86 20",
	  .regs = { R(Rax, 0x2000) }, .mem = { { 0x2000, 1, 0x99 } },
	  .ev = { MR(0x2000, 1, 0x99), MW(0x2000, 1, 0x20) },
	  .out = { R(Rax, 0x9900), RIP(0x1002) }, .status = OK },

	/* ---- bit tests ---- */
	{ "bt [rax], ecx beyond the dword", M64, "0f a3 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 35) }, .mem = { { 0x2004, 4, 8 } },
	  .ev = { MR(0x2004, 4, 8) }, .out = { RIP(0x1003), FL(0x2 | CF) }, .status = OK },
	{ "bts [rax], ecx with offset -1", M64, "0f ab 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 0xffffffff) },
	  .ev = { MR(0x1ffc, 4, 0), MW(0x1ffc, 4, 0x80000000) },
	  .out = { RIP(0x1003), FL(0x2) }, .status = OK },
	{ "btr word [rax], cx: bit 17", M64, "66 0f b3 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 17) }, .mem = { { 0x2002, 2, 0xffff } },
	  .ev = { MR(0x2002, 2, 0xffff), MW(0x2002, 2, 0xfffd) },
	  .out = { RIP(0x1004), FL(0x2 | CF) }, .status = OK },
	{ "btc qword [rax], rcx: offset -65", M64, "48 0f bb 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, (uint64_t)-65) },
	  .ev = { MR(0x1ff0, 8, 0), MW(0x1ff0, 8, 0x8000000000000000ull) },
	  .out = { RIP(0x1004), FL(0x2) }, .status = OK },
	{ "bt dword [rax], imm8 takes it modulo 32", M64, "0f ba 20 24",
	  .regs = { R(Rax, 0x2000) }, .mem = { { 0x2000, 4, 0x10 } },
	  .ev = { MR(0x2000, 4, 0x10) }, .out = { RIP(0x1004), FL(0x2 | CF) }, .status = OK },
	{ "lock bts dword [rax], 3", M64, "f0 0f ba 28 03",
	  .regs = { R(Rax, 0x2000) },
	  .ev = { MR(0x2000, 4, 0), MW(0x2000, 4, 8) },
	  .out = { RIP(0x1005), FL(0x2) }, .status = OK },
	{ "bt eax, ecx (registers)", M64, "0f a3 c8",
	  .regs = { R(Rax, 0x100), R(Rcx, 40) },
	  .out = { RIP(0x1003), FL(0x2 | CF) }, .status = OK },

	/* ---- string instructions, 64-bit ---- */
	{ "movsb", M64, "a4",
	  .regs = { R(Rsi, 0x3000), R(Rdi, 0x4000) }, .mem = { { 0x3000, 1, 0xab } },
	  .ev = { MR(0x3000, 1, 0xab), MW(0x4000, 1, 0xab) },
	  .out = { R(Rsi, 0x3001), R(Rdi, 0x4001), RIP(0x1001) }, .status = OK },
	{ "rep movsb", M64, "f3 a4",
	  .regs = { R(Rcx, 3), R(Rsi, 0x3000), R(Rdi, 0x4000) },
	  .mem = { { 0x3000, 4, 0x030201 } },
	  .ev = { MR(0x3000, 1, 1), MW(0x4000, 1, 1), MR(0x3001, 1, 2), MW(0x4001, 1, 2),
		  MR(0x3002, 1, 3), MW(0x4002, 1, 3) },
	  .out = { R(Rcx, 0), R(Rsi, 0x3003), R(Rdi, 0x4003), RIP(0x1002) }, .status = OK },
	{ "repne movsb repeats like rep", M64, "f2 a4",
	  .regs = { R(Rcx, 2), R(Rsi, 0x3000), R(Rdi, 0x4000) },
	  .mem = { { 0x3000, 2, 0x0201 } },
	  .ev = { MR(0x3000, 1, 1), MW(0x4000, 1, 1), MR(0x3001, 1, 2), MW(0x4001, 1, 2) },
	  .out = { R(Rcx, 0), R(Rsi, 0x3002), R(Rdi, 0x4002), RIP(0x1002) }, .status = OK },
	{ "rep movsb with rcx 0", M64, "f3 a4",
	  .regs = { R(Rsi, 0x3000), R(Rdi, 0x4000) },
	  .out = { RIP(0x1002) }, .status = OK },
	{ "rep movsq backwards (DF)", M64, "f3 48 a5", .rflags = 0x2 | DF,
	  .regs = { R(Rcx, 2), R(Rsi, 0x3008), R(Rdi, 0x4008) },
	  .mem = { { 0x3000, 8, 0x1111111111111111ull }, { 0x3008, 8, 0x2222222222222222ull } },
	  .ev = { MR(0x3008, 8, 0x2222222222222222ull), MW(0x4008, 8, 0x2222222222222222ull),
		  MR(0x3000, 8, 0x1111111111111111ull), MW(0x4000, 8, 0x1111111111111111ull) },
	  .out = { R(Rcx, 0), R(Rsi, 0x2ff8), R(Rdi, 0x3ff8), RIP(0x1003) }, .status = OK },
	{ "rep movsb with 67 uses ecx/esi/edi", M64, "67 f3 a4",
	  .regs = { R(Rcx, 0xffffffff00000002ull), R(Rsi, 0xaaaaaaaa00003000ull),
		    R(Rdi, 0xbbbbbbbb00004000ull) },
	  .mem = { { 0x3000, 2, 0x0201 } },
	  .ev = { MR(0x3000, 1, 1), MW(0x4000, 1, 1), MR(0x3001, 1, 2), MW(0x4001, 1, 2) },
	  .out = { R(Rcx, 0), R(Rsi, 0x3002), R(Rdi, 0x4002), RIP(0x1003) }, .status = OK },
	{ "rep stosd", M64, "f3 ab",
	  .regs = { R(Rax, 0x11223344), R(Rcx, 2), R(Rdi, 0x4000) },
	  .ev = { MW(0x4000, 4, 0x11223344), MW(0x4004, 4, 0x11223344) },
	  .out = { R(Rcx, 0), R(Rdi, 0x4008), RIP(0x1002) }, .status = OK },
	{ "lodsw", M64, "66 ad",
	  .regs = { R(Rax, 0x1234567812345678ull), R(Rsi, 0x3000) },
	  .mem = { { 0x3000, 2, 0xbeef } }, .ev = { MR(0x3000, 2, 0xbeef) },
	  .out = { R(Rax, 0x123456781234beefull), R(Rsi, 0x3002), RIP(0x1002) }, .status = OK },
	{ "repe cmpsb stops at a difference", M64, "f3 a6",
	  .regs = { R(Rcx, 4), R(Rsi, 0x3000), R(Rdi, 0x4000) },
	  .mem = { { 0x3000, 4, 0x64636261 }, { 0x4000, 4, 0x64786261 } },
	  .ev = { MR(0x3000, 1, 0x61), MR(0x4000, 1, 0x61), MR(0x3001, 1, 0x62),
		  MR(0x4001, 1, 0x62), MR(0x3002, 1, 0x63), MR(0x4002, 1, 0x78) },
	  .out = { R(Rcx, 1), R(Rsi, 0x3003), R(Rdi, 0x4003), RIP(0x1002),
		   FL(0x2 | CF | PF | AF | SF) }, .status = OK },
	{ "repne scasb stops at a match", M64, "f2 ae",
	  .regs = { R(Rax, 0x63), R(Rcx, 10), R(Rdi, 0x4000) },
	  .mem = { { 0x4000, 4, 0x636261 } },
	  .ev = { MR(0x4000, 1, 0x61), MR(0x4001, 1, 0x62), MR(0x4002, 1, 0x63) },
	  .out = { R(Rcx, 7), R(Rdi, 0x4003), RIP(0x1002), FL(0x2 | PF | ZF) }, .status = OK },
	{ "movsb with an fs: source", M64, "64 a4",
	  .regs = { R(Rsi, 0x3000), R(Rdi, 0x4000), SEG(Fs, 0x10000, 0, 0),
		    SEG(Es, 0x90000, 0, 0) },
	  .mem = { { 0x13000, 1, 0x5a } },
	  .ev = { MR(0x13000, 1, 0x5a), MW(0x4000, 1, 0x5a) },
	  .out = { R(Rsi, 0x3001), R(Rdi, 0x4001), RIP(0x1002) }, .status = OK },
	{ "stosb ignores a segment override", M64, "64 aa",
	  .regs = { R(Rax, 0x77), R(Rdi, 0x4000), SEG(Fs, 0x10000, 0, 0) },
	  .ev = { MW(0x4000, 1, 0x77) },
	  .out = { R(Rdi, 0x4001), RIP(0x1002) }, .status = OK },
	{ "movsd across pages on both sides", M64, "a5",
	  .regs = { R(Rsi, 0x2ffe), R(Rdi, 0x4ffe) },
	  .map = { MAP(0x3000, 0x8000), MAP(0x5000, 0x9000) },
	  .mem = { { 0x2ffe, 2, 0x2211 }, { 0x8000, 2, 0x4433 } },
	  .ev = { MR(0x2ffe, 2, 0x2211), MR(0x8000, 2, 0x4433),
		  MW(0x4ffe, 2, 0x2211), MW(0x9000, 2, 0x4433) },
	  .out = { R(Rsi, 0x3002), R(Rdi, 0x5002), RIP(0x1001) },
	  .check_xl = true,
	  .xl = { { 0x4000, XL_W }, { 0x5000, XL_W }, { 0x2000, XL_R }, { 0x3000, XL_R } },
	  .status = OK },

	/* ---- page splits and translation ---- */
	{ "a write across a page is split", M64, "89 08",
	  .regs = { R(Rax, 0x2ffe), R(Rcx, 0x44332211) }, .map = { MAP(0x3000, 0x7000) },
	  .ev = { MW(0x2ffe, 2, 0x2211), MW(0x7000, 2, 0x4433) }, .out = { RIP(0x1002) },
	  .check_xl = true, .xl = { { 0x2000, XL_W }, { 0x3000, XL_W } }, .status = OK },
	{ "second page not present: nothing written, #PF", M64, "89 08",
	  .regs = { R(Rax, 0x2ffe), R(Rcx, 0x44332211) }, .map = { MAPC(0x3000, PageNotPresent) },
	  .out = { CR2(0x3000), PEND(14, 2) }, .status = OK },
	{ "GVA from the exit: no translation", M64, "89 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 1) },
	  .gva_valid = true, .access = 1, .gva = 0x2000, .gpa = 0x9000,
	  .ev = { MW(0x9000, 4, 1) }, .out = { RIP(0x1002) },
	  .check_xl = true, .status = OK },
	{ "GVA/GPA offsets that disagree are not used", M64, "89 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 1) },
	  .gva_valid = true, .access = 1, .gva = 0x2000, .gpa = 0x9004,
	  .ev = { MW(0x2000, 4, 1) }, .out = { RIP(0x1002) },
	  .check_xl = true, .xl = { { 0x2000, XL_W } }, .status = OK },
	{ "a read exit does not cover a read-modify-write", M64, "01 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 1) },
	  .gva_valid = true, .access = 0, .gva = 0x2000, .gpa = 0x9000,
	  .ev = { MR(0x2000, 4, 0), MW(0x2000, 4, 1) }, .out = { RIP(0x1002), FL(0x2) },
	  .check_xl = true, .xl = { { 0x2000, XL_RW } }, .status = OK },
	{ "GpaUnmapped goes to the memory callback (MMIO)", M64, "89 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 1) },
	  .map = { { 0x2000, 0xfee00000, WHvTranslateGvaResultGpaUnmapped, S_OK } },
	  .ev = { MW(0xfee00000, 4, 1) }, .out = { RIP(0x1002) }, .status = OK },
	{ "PrivilegeViolation on a CPL 3 write: #PF P|W|U", M64, "89 08", .cpl = 3,
	  .regs = { R(Rax, 0x2000) }, .map = { MAPC(0x2000, PrivilegeViolation) },
	  .out = { CR2(0x2000), PEND(14, 7) }, .status = OK },
	{ "InvalidPageTableFlags on a read: #PF P|RSVD", M64, "8b 08",
	  .regs = { R(Rax, 0x2010) }, .map = { MAPC(0x2000, InvalidPageTableFlags) },
	  .out = { CR2(0x2010), PEND(14, 9) }, .status = OK },
	{ "read-modify-write fault has W", M64, "01 08",
	  .regs = { R(Rax, 0x2000) }, .map = { MAPC(0x2000, PageNotPresent) },
	  .out = { CR2(0x2000), PEND(14, 2) }, .status = OK },
	{ "translation result Intercept fails the call", M64, "8b 08",
	  .regs = { R(Rax, 0x2000) }, .map = { MAPC(0x2000, Intercept) },
	  .status = XLATE_FAILED },
	{ "translate callback failure", M64, "8b 08", .regs = { R(Rax, 0x2000) },
	  .fail = 'T', .fail_at = 1, .status = XLATE_FAILED },
	{ "translated GPA not page aligned", M64, "8b 08",
	  .regs = { R(Rax, 0x2000) }, .map = { MAP(0x2000, 0x9004) },
	  .status = XLATE_UNALIGNED },
	{ "non-canonical address: #GP(0)", M64, "8b 00",
	  .regs = { R(Rax, 0x0000800000000000ull) }, .out = { PEND(13, 0) }, .status = OK },
	{ "non-canonical stack address: #SS(0)", M64, "8b 04 24",
	  .regs = { R(Rsp, 0x0000800000000000ull) }, .out = { PEND(12, 0) }, .status = OK },
	{ "LA57 widens the canonical range", M64, "8b 00",
	  .regs = { R(Rax, 0x0000800000000000ull), R(Cr4, 0x1000) },
	  .ev = { MR(0x0000800000000000ull, 4, 0) },
	  .out = { R(Rax, 0), RIP(0x1002) }, .status = OK },

	/* ---- instruction fetch ---- */
	{ "no bytes in the exit: fetched", M64, "89 08", .given = -1,
	  .regs = { R(Rax, 0x2000), R(Rcx, 7) },
	  .ev = { MR(0x1000, 8, 0x0889), MW(0x2000, 4, 7) }, .out = { RIP(0x1002) },
	  .check_xl = true, .xl = { { 0x1000, XL_X }, { 0x2000, XL_W } }, .status = OK },
	{ "the rest fetched across a page", M64, "48 89 08", .given = 1, .rip = 0x1ffe,
	  .regs = { R(Rax, 0x5000), R(Rcx, 7) }, .map = { MAP(0x2000, 0x7000) },
	  .ev = { MR(0x1fff, 1, 0x89), MR(0x7000, 8, 0x08), MW(0x5000, 8, 7) },
	  .out = { RIP(0x2001) }, .status = OK },
	{ "fetch fault: #PF with I (EFER.NXE)", M64, "89 08", .given = -1,
	  .regs = { R(Rax, 0x2000), R(Efer, 0xd00) }, .map = { MAPC(0x1000, PageNotPresent) },
	  .out = { CR2(0x1000), PEND(14, 0x10) }, .status = OK },
	{ "fetch fault: #PF with I (CR4.SMEP)", M32, "89 08", .given = -1,
	  .regs = { R(Rax, 0x2000), R(Cr4, 0x100000) },
	  .map = { MAPC(0x1000, PageNotPresent) },
	  .out = { CR2(0x1000), PEND(14, 0x10) }, .status = OK },
	{ "fetch fault: no I without NXE or SMEP", M32, "89 08", .given = -1,
	  .regs = { R(Rax, 0x2000) }, .map = { MAPC(0x1000, PageNotPresent) },
	  .out = { CR2(0x1000), PEND(14, 0) }, .status = OK },
	{ "fetch at a non-canonical address: #GP(0)", M64, "89 08", .given = -1,
	  .rip = 0x0000800000000000ull, .regs = { R(Rax, 0x2000) },
	  .out = { PEND(13, 0) }, .status = OK },
	{ "longer than 15 bytes", M64,
	  "66 66 66 66 66 66 66 66 66 66 66 66 66 66 89 08",
	  .regs = { R(Rax, 0x2000) }, .no_get = true, .status = INTERNAL },

	/* ---- prefixes ---- */
	{ "REX before 66 is ignored", M64, "48 66 89 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, ~0ull) },
	  .ev = { MW(0x2000, 2, 0xffff) }, .out = { RIP(0x1004) }, .status = OK },
	{ "REX.W wins over 66", M64, "66 48 89 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, ~0ull) },
	  .ev = { MW(0x2000, 8, ~0ull) }, .out = { RIP(0x1004) }, .status = OK },
	{ "the last segment override wins", M64, "64 65 8b 00",
	  .regs = { R(Rax, 0x2000), SEG(Fs, 0x10000, 0, 0), SEG(Gs, 0x20000, 0, 0) },
	  .ev = { MR(0x22000, 4, 0) }, .out = { R(Rax, 0), RIP(0x1004) }, .status = OK },
	{ "RF is cleared when the instruction completes", M64, "89 08",
	  .rflags = 0x2 | RF, .regs = { R(Rax, 0x2000) },
	  .ev = { MW(0x2000, 4, 0) }, .out = { RIP(0x1002), FL(0x2) }, .status = OK },

	/* ---- 32-bit protected mode ---- */
	{ "32: ds base", M32, "89 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 0x12345678), SEG(Ds, 0x10000, 0, 0) },
	  .ev = { MW(0x12000, 4, 0x12345678) }, .out = { RIP(0x1002) }, .status = OK },
	{ "32: 66 is a 16-bit operand", M32, "66 89 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 0x12345678), SEG(Ds, 0x10000, 0, 0) },
	  .ev = { MW(0x12000, 2, 0x5678) }, .out = { RIP(0x1003) }, .status = OK },
	{ "32: moffs is 4 bytes", M32, "a1 00 20 00 00",
	  .mem = { { 0x2000, 4, 0x42 } }, .ev = { MR(0x2000, 4, 0x42) },
	  .out = { R(Rax, 0x42), RIP(0x1005) }, .status = OK },
	{ "32: [ebp+8] is in SS", M32, "8b 45 08",
	  .regs = { R(Rbp, 0x100), SEG(Ss, 0x20000, 0, 0), SEG(Ds, 0x10000, 0, 0) },
	  .mem = { { 0x20108, 4, 0x42 } }, .ev = { MR(0x20108, 4, 0x42) },
	  .out = { R(Rax, 0x42), RIP(0x1003) }, .status = OK },
	{ "32: [esp] is in SS", M32, "8b 04 24",
	  .regs = { R(Rsp, 0x200), SEG(Ss, 0x20000, 0, 0) },
	  .mem = { { 0x20200, 4, 0x42 } }, .ev = { MR(0x20200, 4, 0x42) },
	  .out = { R(Rax, 0x42), RIP(0x1003) }, .status = OK },
	{ "32: 67 selects 16-bit addressing [bx+si]", M32, "67 8b 00",
	  .regs = { R(Rbx, 0x10), R(Rsi, 0x20), SEG(Ds, 0x10000, 0, 0) },
	  .mem = { { 0x10030, 4, 0x42 } }, .ev = { MR(0x10030, 4, 0x42) },
	  .out = { R(Rax, 0x42), RIP(0x1003) }, .status = OK },
	{ "32: beyond the ds limit: #GP(0)", M32, "8b 00",
	  .regs = { R(Rax, 0xffe), SEG(Ds, 0, 0xfff, 0) }, .out = { PEND(13, 0) },
	  .status = OK },
	{ "32: beyond the ss limit: #SS(0)", M32, "8b 45 00",
	  .regs = { R(Rbp, 0x1000), SEG(Ss, 0, 0xfff, 0) }, .out = { PEND(12, 0) },
	  .status = OK },
	{ "32: write to a read-only segment: #GP(0)", M32, "89 08",
	  .regs = { R(Rax, 0x2000), SEG(Ds, 0, 0, 0xc091) }, .out = { PEND(13, 0) },
	  .status = OK },
	{ "32: expand-down segment above its limit", M32, "8b 00",
	  .regs = { R(Rax, 0x1000), SEG(Ds, 0x10000, 0xfff, 0xc097) },
	  .mem = { { 0x11000, 4, 0x42 } }, .ev = { MR(0x11000, 4, 0x42) },
	  .out = { R(Rax, 0x42), RIP(0x1002) }, .status = OK },
	{ "32: expand-down segment at its limit: #GP(0)", M32, "8b 00",
	  .regs = { R(Rax, 0x800), SEG(Ds, 0x10000, 0xfff, 0xc097) }, .out = { PEND(13, 0) },
	  .status = OK },
	{ "32: rep movsd with ds and es bases", M32, "f3 a5",
	  .regs = { R(Rcx, 2), R(Rsi, 0x3000), R(Rdi, 0x4000), SEG(Ds, 0x10000, 0, 0),
		    SEG(Es, 0x20000, 0, 0) },
	  .mem = { { 0x13000, 8, 0x2222222211111111ull } },
	  .ev = { MR(0x13000, 4, 0x11111111), MW(0x24000, 4, 0x11111111),
		  MR(0x13004, 4, 0x22222222), MW(0x24004, 4, 0x22222222) },
	  .out = { R(Rcx, 0), R(Rsi, 0x3008), R(Rdi, 0x4008), RIP(0x1002) }, .status = OK },
	{ "32: 63 is ARPL, not emulated", M32, "63 08", .no_get = true, .status = INTERNAL },
	{ "32: 40 is INC eax, not emulated", M32, "40", .no_get = true, .status = INTERNAL },
	{ "32: 82 is an alias of 80", M32, "82 00 01",
	  .regs = { R(Rax, 0x2000) }, .mem = { { 0x2000, 1, 0x7f } },
	  .ev = { MR(0x2000, 1, 0x7f), MW(0x2000, 1, 0x80) },
	  .out = { RIP(0x1003), FL(0x2 | AF | SF | OF) }, .status = OK },
	{ "32: EIP wraps at 4 GiB", M32, "89 08", .rip = 0xfffffffe,
	  .regs = { R(Rax, 0x2000) }, .ev = { MW(0x2000, 4, 0) }, .out = { RIP(0) },
	  .status = OK },

	{ "32: add [ebx+esi*2+4], al", M32, "00 44 73 04",
	  .regs = { R(Rax, 0x20), R(Rbx, 0x100), R(Rsi, 0x10), SEG(Ds, 0x10000, 0, 0) },
	  .mem = { { 0x10124, 1, 0x10 } },
	  .ev = { MR(0x10124, 1, 0x10), MW(0x10124, 1, 0x30) },
	  .out = { RIP(0x1004), FL(0x2 | PF) }, .status = OK },
	{ "32: xchg [eax], cx keeps the upper bits", M32, "66 87 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 0x12345678) }, .mem = { { 0x2000, 2, 0xabcd } },
	  .ev = { MR(0x2000, 2, 0xabcd), MW(0x2000, 2, 0x5678) },
	  .out = { R(Rcx, 0x1234abcd), RIP(0x1003) }, .status = OK },
	{ "32: movzx eax, word [ecx]", M32, "0f b7 01",
	  .regs = { R(Rax, ~0ull), R(Rcx, 0x2000) }, .mem = { { 0x2000, 2, 0xfffe } },
	  .ev = { MR(0x2000, 2, 0xfffe) }, .out = { R(Rax, 0xfffe), RIP(0x1003) },
	  .status = OK },
	{ "32: test dword [eax], imm32", M32, "f7 00 00 00 00 80",
	  .regs = { R(Rax, 0x2000) }, .mem = { { 0x2000, 4, 0x80000000 } },
	  .ev = { MR(0x2000, 4, 0x80000000) }, .out = { RIP(0x1006), FL(0x2 | PF | SF) },
	  .status = OK },
	{ "32: btr [eax], ecx, offset 100", M32, "0f b3 08",
	  .regs = { R(Rax, 0x2000), R(Rcx, 100) }, .mem = { { 0x200c, 4, 0xffffffff } },
	  .ev = { MR(0x200c, 4, 0xffffffff), MW(0x200c, 4, 0xffffffef) },
	  .out = { RIP(0x1003), FL(0x2 | CF) }, .status = OK },
	{ "32: rep stosw backwards", M32, "66 f3 ab", .rflags = 0x2 | DF,
	  .regs = { R(Rax, 0xbeef), R(Rcx, 2), R(Rdi, 0x4002), SEG(Es, 0x20000, 0, 0) },
	  .ev = { MW(0x24002, 2, 0xbeef), MW(0x24000, 2, 0xbeef) },
	  .out = { R(Rcx, 0), R(Rdi, 0x3ffe), RIP(0x1003) }, .status = OK },
	{ "compatibility mode is 32-bit", M32, "89 08", .compat = true,
	  .regs = { R(Rax, 0x2000), R(Rcx, 0x11223344), SEG(Ds, 0x10000, 0, 0) },
	  .ev = { MW(0x12000, 4, 0x11223344) }, .out = { RIP(0x1002) }, .status = OK },

	/* ---- real mode ---- */
	{ "16: bt [bx], ax with offset -16 wraps the offset", M16, "0f a3 07",
	  .regs = { R(Rax, 0xfff0), SEG(Ds, 0x10000, 0, 0) },
	  .mem = { { 0x1fffe, 2, 1 } }, .ev = { MR(0x1fffe, 2, 1) },
	  .out = { RIP(0x1003), FL(0x2 | CF) }, .status = OK },
	{ "16: inc word [bx+di]", M16, "ff 01",
	  .regs = { R(Rbx, 0x10), R(Rdi, 0x20) }, .mem = { { 0x30, 2, 0xffff } },
	  .ev = { MR(0x30, 2, 0xffff), MW(0x30, 2, 0) },
	  .out = { RIP(0x1002), FL(0x2 | PF | AF | ZF) }, .status = OK },
	{ "16: neg byte [si]", M16, "f6 1c",
	  .regs = { R(Rsi, 0x40) }, .mem = { { 0x40, 1, 0x80 } },
	  .ev = { MR(0x40, 1, 0x80), MW(0x40, 1, 0x80) },
	  .out = { RIP(0x1002), FL(0x2 | CF | SF | OF) }, .status = OK },
	{ "16: lock or [bp+di], ax is in SS", M16, "f0 09 03",
	  .regs = { R(Rax, 0x0101), R(Rbp, 0x10), R(Rdi, 0x2), SEG(Ss, 0x30000, 0, 0) },
	  .mem = { { 0x30012, 2, 0x8000 } },
	  .ev = { MR(0x30012, 2, 0x8000), MW(0x30012, 2, 0x8101) },
	  .out = { RIP(0x1003), FL(0x2 | SF) }, .status = OK },
	{ "16: mov al, [moffs16]", M16, "a0 34 12",
	  .regs = { SEG(Ds, 0x10000, 0, 0) }, .mem = { { 0x11234, 1, 0x42 } },
	  .ev = { MR(0x11234, 1, 0x42) }, .out = { R(Rax, 0x42), RIP(0x1003) },
	  .status = OK },
	{ "16: 67 rep stosb uses ecx/edi", M16, "67 f3 aa",
	  .regs = { R(Rax, 0x55), R(Rcx, 0xffff00000002ull), R(Rdi, 0x10000),
		    SEG(Es, 0, 0xffffffff, 0) },
	  .ev = { MW(0x10000, 1, 0x55), MW(0x10001, 1, 0x55) },
	  .out = { R(Rcx, 0), R(Rdi, 0x10002), RIP(0x1003) }, .status = OK },
	{ "16: virtual-8086 mode ignores segment types", M16, "89 07", .v86 = true,
	  .regs = { R(Rax, 0x1234), R(Rbx, 0x20), SEG(Ds, 0x10000, 0xffff, 0x00f1) },
	  .ev = { MW(0x10020, 2, 0x1234) }, .out = { RIP(0x1002) }, .status = OK },
	{ "16: virtual-8086 faults push an error code", M16, "8b 07", .v86 = true,
	  .regs = { R(Rbx, 0xffff), SEG(Ds, 0x10000, 0xffff, 0x00f3) },
	  .out = { PEND(13, 0) }, .status = OK },
	{ "16: mov [bx], ax", M16, "89 07",
	  .regs = { R(Rax, 0x1234), R(Rbx, 0x20), SEG(Ds, 0x10000, 0, 0) },
	  .ev = { MW(0x10020, 2, 0x1234) }, .out = { RIP(0x1002) }, .status = OK },
	{ "16: [bp+2] is in SS", M16, "8b 46 02",
	  .regs = { R(Rax, 0xffffffffffff0000ull), R(Rbp, 0x10), SEG(Ss, 0x20000, 0, 0) },
	  .mem = { { 0x20012, 2, 0x4242 } }, .ev = { MR(0x20012, 2, 0x4242) },
	  .out = { R(Rax, 0xffffffffffff4242ull), RIP(0x1003) }, .status = OK },
	{ "16: [bx+si+disp16]", M16, "8b 80 00 01",
	  .regs = { R(Rbx, 0x10), R(Rsi, 0x20) }, .mem = { { 0x130, 2, 0x4242 } },
	  .ev = { MR(0x130, 2, 0x4242) }, .out = { R(Rax, 0x4242), RIP(0x1004) }, .status = OK },
	{ "16: [disp16]", M16, "8b 06 34 12", .mem = { { 0x1234, 2, 0x4242 } },
	  .ev = { MR(0x1234, 2, 0x4242) }, .out = { R(Rax, 0x4242), RIP(0x1004) }, .status = OK },
	{ "16: 66 gives a 32-bit operand", M16, "66 89 07",
	  .regs = { R(Rax, 0x11223344), R(Rbx, 0x20) },
	  .ev = { MW(0x20, 4, 0x11223344) }, .out = { RIP(0x1003) }, .status = OK },
	{ "16: 67 gives [ebx] (unreal mode limit)", M16, "67 89 03",
	  .regs = { R(Rax, 0x1234), R(Rbx, 0x12345), SEG(Ds, 0, 0xffffffff, 0) },
	  .ev = { MW(0x12345, 2, 0x1234) }, .out = { RIP(0x1003) }, .status = OK },
	{ "16: rep movsb keeps the upper halves", M16, "f3 a4",
	  .regs = { R(Rcx, 0xffff0002), R(Rsi, 0xabcd0010), R(Rdi, 0x12340020),
		    SEG(Ds, 0x10000, 0, 0), SEG(Es, 0x20000, 0, 0) },
	  .mem = { { 0x10010, 2, 0x0201 } },
	  .ev = { MR(0x10010, 1, 1), MW(0x20020, 1, 1), MR(0x10011, 1, 2), MW(0x20021, 1, 2) },
	  .out = { R(Rcx, 0xffff0000), R(Rsi, 0xabcd0012), R(Rdi, 0x12340022), RIP(0x1002) },
	  .status = OK },
	{ "16: a word at offset 0xffff faults, no error code", M16, "8b 07",
	  .regs = { R(Rbx, 0xffff) }, .out = { PEND_RM(13) }, .status = OK },
	{ "16: IP wraps at 64 KiB", M16, "89 07", .rip = 0xfffe,
	  .ev = { MW(0, 2, 0) }, .out = { RIP(0) }, .status = OK },
	{ "16: a #PF cannot be delivered in real mode", M16, "8b 07",
	  .map = { MAPC(0, PageNotPresent) }, .status = CANNOT_FAULT },

	/* ---- callback failures, status ---- */
	{ "unknown instruction: no callback at all", M64, "0f 0b", .no_get = true,
	  .status = INTERNAL },
	{ "memory callback fails on the read", M64, "01 08", .regs = { R(Rax, 0x2000) },
	  .fail = 'M', .fail_at = 1, .status = MEM_FAILED },
	{ "memory callback fails on the write", M64, "01 08", .regs = { R(Rax, 0x2000) },
	  .fail = 'M', .fail_at = 2, .ev = { MR(0x2000, 4, 0) }, .status = MEM_FAILED },
	{ "get callback failure", M64, "01 08", .fail = 'G', .fail_at = 1,
	  .status = GET_FAILED },
	{ "set callback failure", M64, "89 08", .regs = { R(Rax, 0x2000) },
	  .fail = 'S', .fail_at = 1, .ev = { MW(0x2000, 4, 0) }, .out = { RIP(0x1002) },
	  .status = SET_FAILED },
	{ "MMIO exit during event delivery", M64, "89 08", .pending = true,
	  .no_get = true, .status = INTR_INTERCEPT },
	{ "a port instruction in an MMIO exit", M64, "6c", .no_get = true,
	  .status = INTERNAL },

	/* ---- port I/O ---- */
	{ "out 0x80, al", M64, "e6 80", .io = true, .write = true, .port = 0x80, .iosize = 1,
	  .regs = { R(Rax, 0x1234) }, .ev = { POUT(0x80, 1, 0x34) }, .out = { RIP(0x1002) },
	  .no_get = true, .status = OK },
	{ "in al, dx", M64, "ec", .io = true, .port = 0x3f8, .iosize = 1,
	  .regs = { R(Rax, 0xffffffffffffff00ull) }, .ev = { PIN(0x3f8, 1, 0x41) },
	  .out = { R(Rax, 0xffffffffffffff41ull), RIP(0x1001) }, .no_get = true, .status = OK },
	{ "in eax, dx zero-extends", M64, "ed", .io = true, .port = 0x3f8, .iosize = 4,
	  .regs = { R(Rax, ~0ull) }, .ev = { PIN(0x3f8, 4, 0x41414141) },
	  .out = { R(Rax, 0x41414141), RIP(0x1001) }, .status = OK },
	{ "in ax, dx keeps the upper bits", M64, "66 ed", .io = true, .port = 0x3f8,
	  .iosize = 2, .regs = { R(Rax, ~0ull) }, .ev = { PIN(0x3f8, 2, 0x4141) },
	  .out = { R(Rax, 0xffffffffffff4141ull), RIP(0x1002) }, .status = OK },
	{ "no InstructionLength: decoded", M64, "66 e5 60", .io = true, .port = 0x60,
	  .iosize = 2, .ilen = -1, .ev = { PIN(0x60, 2, 0x4141) },
	  .out = { R(Rax, 0x4141), RIP(0x1003) }, .status = OK },
	{ "out, 16-bit mode", M16, "ee", .io = true, .write = true, .port = 0x3f8,
	  .iosize = 1, .regs = { R(Rax, 0x55) }, .ev = { POUT(0x3f8, 1, 0x55) },
	  .out = { RIP(0x1001) }, .status = OK },
	{ "rep insb", M64, "f3 6c", .io = true, .str = true, .rep = true, .port = 0x1f0,
	  .iosize = 1, .regs = { R(Rcx, 3), R(Rdi, 0x5000) },
	  .ev = { PIN(0x1f0, 1, 0x41), MW(0x5000, 1, 0x41), PIN(0x1f0, 1, 0x42),
		  MW(0x5001, 1, 0x42), PIN(0x1f0, 1, 0x43), MW(0x5002, 1, 0x43) },
	  .out = { R(Rcx, 0), R(Rdi, 0x5003), RIP(0x1002) }, .status = OK },
	{ "rep outsw backwards", M64, "f3 66 6f", .io = true, .write = true, .str = true,
	  .rep = true, .port = 0x1f0, .iosize = 2, .rflags = 0x2 | DF,
	  .regs = { R(Rcx, 2), R(Rsi, 0x3002) }, .mem = { { 0x3000, 4, 0xbbbbaaaa } },
	  .ev = { MR(0x3002, 2, 0xbbbb), POUT(0x1f0, 2, 0xbbbb),
		  MR(0x3000, 2, 0xaaaa), POUT(0x1f0, 2, 0xaaaa) },
	  .out = { R(Rcx, 0), R(Rsi, 0x2ffe), RIP(0x1003) }, .status = OK },
	{ "outsb with an fs: source", M64, "64 6e", .io = true, .write = true, .str = true,
	  .port = 0x80, .iosize = 1, .regs = { R(Rsi, 0x10), SEG(Fs, 0x3000, 0, 0) },
	  .mem = { { 0x3010, 1, 0x99 } }, .ev = { MR(0x3010, 1, 0x99), POUT(0x80, 1, 0x99) },
	  .out = { R(Rsi, 0x11), RIP(0x1002) }, .status = OK },
	{ "32: insw into es", M32, "66 6d", .io = true, .str = true, .port = 0x1f0,
	  .iosize = 2, .regs = { R(Rdi, 0x10), SEG(Es, 0x20000, 0, 0) },
	  .ev = { PIN(0x1f0, 2, 0x4141), MW(0x20010, 2, 0x4141) },
	  .out = { R(Rdi, 0x12), RIP(0x1002) }, .status = OK },
	{ "rep insb with rcx 0", M64, "f3 6c", .io = true, .str = true, .rep = true,
	  .port = 0x1f0, .iosize = 1, .regs = { R(Rdi, 0x5000) },
	  .out = { RIP(0x1002) }, .status = OK },
	{ "insw across a page", M64, "66 6d", .io = true, .str = true, .port = 0x1f0,
	  .iosize = 2, .regs = { R(Rdi, 0x5fff) }, .map = { MAP(0x6000, 0xa000) },
	  .ev = { PIN(0x1f0, 2, 0x4141), MW(0x5fff, 1, 0x41), MW(0xa000, 1, 0x41) },
	  .out = { R(Rdi, 0x6001), RIP(0x1002) }, .status = OK },
	{ "rep insb faults in iteration 3 before reading the port", M64, "f3 6c",
	  .io = true, .str = true, .rep = true, .port = 0x1f0, .iosize = 1,
	  .regs = { R(Rcx, 3), R(Rdi, 0x5ffe) }, .map = { MAPC(0x6000, PageNotPresent) },
	  .ev = { PIN(0x1f0, 1, 0x41), MW(0x5ffe, 1, 0x41), PIN(0x1f0, 1, 0x42),
		  MW(0x5fff, 1, 0x42) },
	  .out = { R(Rcx, 1), R(Rdi, 0x6000), CR2(0x6000), PEND(14, 2) }, .status = OK },
	{ "a fault with an event pending: guest cannot be faulted", M64, "f3 6c",
	  .io = true, .str = true, .rep = true, .port = 0x1f0, .iosize = 1, .pending = true,
	  .regs = { R(Rcx, 3), R(Rdi, 0x5ffe) }, .map = { MAPC(0x6000, PageNotPresent) },
	  .ev = { PIN(0x1f0, 1, 0x41), MW(0x5ffe, 1, 0x41), PIN(0x1f0, 1, 0x42),
		  MW(0x5fff, 1, 0x42) },
	  .status = CANNOT_FAULT },
	{ "string I/O size differs from the instruction", M64, "6c", .io = true,
	  .str = true, .port = 0x1f0, .iosize = 2, .no_get = true, .status = INTERNAL },
	{ "string I/O that is not INS/OUTS", M64, "89 08", .io = true, .str = true,
	  .port = 0x1f0, .iosize = 4, .no_get = true, .status = INTERNAL },
	{ "io callback failure", M64, "e6 80", .io = true, .write = true, .port = 0x80,
	  .iosize = 1, .fail = 'I', .fail_at = 1, .status = IO_FAILED },
};

/* ---- running a case ------------------------------------------------------------- */

static unsigned int parse_insn(const char *s, uint8_t *b)
{
	unsigned int n = 0;
	char *end;

	while (*s) {
		b[n++] = (uint8_t)strtoul(s, &end, 16);
		s = end;
		while (*s == ' ')
			s++;
	}
	return n;
}

static void reset_world(const struct tcase *tc)
{
	unsigned int i;

	for (i = 0; i < w.npages; i++)
		free(w.pages[i]);
	memset(&w, 0, sizeof(w));
	w.tc = tc;
}

static void setup_segments(int mode)
{
	unsigned int i;

	for (i = 0; i < 6; i++) {
		memset(&w.seg[i], 0, sizeof(w.seg[i]));
		w.seg[i].Limit = mode == 16 ? 0xffff : 0xffffffff;
		w.seg[i].Attributes = mode == 16 ? 0x0093 : 0xc093;
	}
	w.seg[1].Attributes = mode == 64 ? 0xa09b : mode == 32 ? 0xc09b : 0x009b;
}

/* The GPA of a linear address, as cb_xlate maps it. */
static uint64_t lin_to_gpa(const struct tcase *tc, uint64_t la)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(tc->map); i++)
		if (tc->map[i].gva == (la & ~0xfffull) && tc->map[i].gpa)
			return tc->map[i].gpa | (la & 0xfff);
	return la;
}

static HRESULT run(WHV_EMULATOR_HANDLE emu, const struct tcase *tc,
		   WHV_EMULATOR_STATUS *st)
{
	WHV_VP_EXIT_CONTEXT vp;
	WHV_MEMORY_ACCESS_CONTEXT mc;
	WHV_X64_IO_PORT_ACCESS_CONTEXT io;
	const struct treg *r;
	uint8_t b[32];
	unsigned int n, i, given;
	uint64_t rip = tc->rip ? tc->rip : 0x1000;

	reset_world(tc);
	setup_segments(tc->mode);
	for (r = tc->regs; r < tc->regs + ARRAY_SIZE(tc->regs) && r->n; r++) {
		uint32_t name = r->n - 1;

		if (name <= WHvX64RegisterR15) {
			w.gpr[name] = r->v;
		} else if (name == WHvX64RegisterCr4) {
			w.cr4 = r->v;
		} else if (name == WHvX64RegisterEfer) {
			w.efer = r->v;
		} else {
			WHV_X64_SEGMENT_REGISTER *s = &w.seg[name - WHvX64RegisterEs];

			s->Base = r->v;
			if (r->lim)
				s->Limit = r->lim;
			if (r->attr)
				s->Attributes = r->attr;
		}
	}
	for (i = 0; i < ARRAY_SIZE(tc->mem) && tc->mem[i].n; i++)
		mem_put(tc->mem[i].gpa, tc->mem[i].n, tc->mem[i].v);
	n = parse_insn(tc->insn, b);
	for (i = 0; i < n; i++)
		mem_put(lin_to_gpa(tc, w.seg[1].Base + rip + i), 1, b[i]);
	given = tc->given > 0 ? (unsigned int)tc->given : tc->given < 0 ? 0 : n;

	memset(&vp, 0, sizeof(vp));
	vp.ExecutionState.Cpl = tc->cpl;
	vp.ExecutionState.Cr0Pe = tc->mode != 16 || tc->v86;
	vp.ExecutionState.EferLma = tc->mode == 64 || tc->compat;
	vp.ExecutionState.InterruptionPending = tc->pending;
	vp.Cs = w.seg[1];
	vp.Rip = rip;
	vp.Rflags = tc->rflags ? tc->rflags : 0x2;
	if (tc->v86)
		vp.Rflags |= 0x20000;	/* VM */
	if (tc->io) {
		memset(&io, 0, sizeof(io));
		io.InstructionByteCount = (UINT8)given;
		memcpy(io.InstructionBytes, b, given);
		io.AccessInfo.IsWrite = tc->write;
		io.AccessInfo.AccessSize = tc->iosize;
		io.AccessInfo.StringOp = tc->str;
		io.AccessInfo.RepPrefix = tc->rep;
		io.PortNumber = tc->port;
		io.Rax = w.gpr[0];
		io.Rcx = w.gpr[1];
		io.Rsi = w.gpr[6];
		io.Rdi = w.gpr[7];
		io.Ds = w.seg[3];
		io.Es = w.seg[0];
		vp.InstructionLength = tc->ilen > 0 ? (unsigned int)tc->ilen : tc->ilen < 0 ? 0 : n;
		return WHvEmulatorTryIoEmulation(emu, CTX, &vp, &io, st);
	}
	memset(&mc, 0, sizeof(mc));
	mc.InstructionByteCount = (UINT8)given;
	memcpy(mc.InstructionBytes, b, given);
	mc.AccessInfo.AccessType = tc->access;
	mc.AccessInfo.GvaValid = tc->gva_valid;
	mc.Gva = tc->gva;
	mc.Gpa = tc->gpa;
	return WHvEmulatorTryMmioEmulation(emu, CTX, &vp, &mc, st);
}

static void check_case(const struct tcase *tc, HRESULT hr, WHV_EMULATOR_STATUS st)
{
	unsigned int i, nev = 0, nout = 0, nxl = 0;

	ck_assert_msg(hr == S_OK, "%s: hr 0x%x", tc->name, (unsigned int)hr);
	ck_assert_msg(st.AsUINT32 == tc->status, "%s: status 0x%x, expected 0x%x",
		      tc->name, st.AsUINT32, tc->status);
	ck_assert_msg(!w.bad_ctx, "%s: a callback got another context", tc->name);
	while (nev < ARRAY_SIZE(tc->ev) && tc->ev[nev].k)
		nev++;
	for (i = 0; i < w.nev && i < MAX_EV; i++) {
		const struct tev *e = &w.ev[i], *x = &tc->ev[i];

		ck_assert_msg(i < nev && e->k == x->k && e->a == x->a && e->n == x->n &&
			      e->d == x->d,
			      "%s: access %u is %c 0x%" PRIx64 " size %u data 0x%" PRIx64
			      ", expected %c 0x%" PRIx64 " size %u data 0x%" PRIx64,
			      tc->name, i, e->k, e->a, e->n, e->d,
			      i < nev ? x->k : '-', i < nev ? x->a : 0,
			      i < nev ? x->n : 0, i < nev ? x->d : 0);
	}
	ck_assert_msg(w.nev == nev, "%s: %u accesses, expected %u", tc->name, w.nev, nev);

	while (nout < ARRAY_SIZE(tc->out) && tc->out[nout].n)
		nout++;
	ck_assert_msg(w.setcalls == (nout ? 1u : 0u), "%s: %u set calls", tc->name,
		      w.setcalls);
	for (i = 0; i < w.nset; i++) {
		ck_assert_msg(i < nout && w.setn[i] == tc->out[i].n - 1 &&
			      w.setv[i].Reg64 == tc->out[i].v,
			      "%s: set %u is 0x%x = 0x%" PRIx64 ", expected 0x%x = 0x%" PRIx64,
			      tc->name, i, w.setn[i], w.setv[i].Reg64,
			      i < nout ? tc->out[i].n - 1 : 0, i < nout ? tc->out[i].v : 0);
	}
	ck_assert_msg(w.nset == nout, "%s: %u registers set, expected %u", tc->name,
		      w.nset, nout);
	if (tc->no_get)
		ck_assert_msg(w.getcalls == 0, "%s: %u get calls", tc->name, w.getcalls);
	if (tc->check_xl) {
		while (nxl < ARRAY_SIZE(tc->xl) && tc->xl[nxl].flags)
			nxl++;
		ck_assert_msg(w.nxl == nxl, "%s: %u translations, expected %u",
			      tc->name, w.nxl, nxl);
		for (i = 0; i < nxl; i++)
			ck_assert_msg(w.xl[i].gva == tc->xl[i].gva &&
				      w.xl[i].flags == tc->xl[i].flags,
				      "%s: translation %u of 0x%" PRIx64 " flags 0x%x",
				      tc->name, i, w.xl[i].gva, w.xl[i].flags);
	}
}

START_TEST(test_table)
{
	const struct tcase *tc = &cases[_i];
	WHV_EMULATOR_HANDLE emu;
	WHV_EMULATOR_STATUS st = { .AsUINT32 = 0xdead };
	HRESULT hr;

	ck_assert_int_eq(WHvEmulatorCreateEmulator(&callbacks, &emu), S_OK);
	hr = run(emu, tc, &st);
	check_case(tc, hr, st);
	ck_assert_int_eq(WHvEmulatorDestroyEmulator(emu), S_OK);
	reset_world(NULL);
}
END_TEST

/* ---- arguments ------------------------------------------------------------------ */

START_TEST(test_create_arguments)
{
	WHV_EMULATOR_CALLBACKS cb = callbacks;
	WHV_EMULATOR_HANDLE emu = (WHV_EMULATOR_HANDLE)0x1234;
	unsigned int i;

	ck_assert_int_eq(WHvEmulatorCreateEmulator(NULL, &emu), E_INVALIDARG);
	ck_assert_int_eq(WHvEmulatorCreateEmulator(&cb, NULL), E_INVALIDARG);
	cb.Size = sizeof(cb) - 8;
	ck_assert_int_eq(WHvEmulatorCreateEmulator(&cb, &emu), E_INVALIDARG);
	cb.Size = sizeof(cb) + 8;
	ck_assert_int_eq(WHvEmulatorCreateEmulator(&cb, &emu), E_INVALIDARG);
	cb.Size = 0;
	ck_assert_int_eq(WHvEmulatorCreateEmulator(&cb, &emu), E_INVALIDARG);
	for (i = 0; i < 5; i++) {
		cb = callbacks;
		((void **)&cb.WHvEmulatorIoPortCallback)[i] = NULL;
		ck_assert_int_eq(WHvEmulatorCreateEmulator(&cb, &emu), E_INVALIDARG);
	}
	ck_assert_ptr_eq(emu, (WHV_EMULATOR_HANDLE)0x1234);
	/* Reserved is not looked at. */
	cb = callbacks;
	cb.Reserved = 0xffffffff;
	ck_assert_int_eq(WHvEmulatorCreateEmulator(&cb, &emu), S_OK);
	ck_assert_int_eq(WHvEmulatorDestroyEmulator(emu), S_OK);
}
END_TEST

START_TEST(test_destroy_arguments)
{
	uint64_t garbage[8] = { 0 };

	ck_assert_int_eq(WHvEmulatorDestroyEmulator(NULL), E_INVALIDARG);
	ck_assert_int_eq(WHvEmulatorDestroyEmulator(garbage), E_INVALIDARG);
}
END_TEST

START_TEST(test_try_arguments)
{
	WHV_EMULATOR_HANDLE emu;
	WHV_VP_EXIT_CONTEXT vp;
	WHV_MEMORY_ACCESS_CONTEXT mc;
	WHV_X64_IO_PORT_ACCESS_CONTEXT io;
	WHV_EMULATOR_STATUS st;
	uint64_t garbage[8] = { 0 };

	reset_world(&cases[0]);
	memset(&vp, 0, sizeof(vp));
	memset(&mc, 0, sizeof(mc));
	memset(&io, 0, sizeof(io));
	io.AccessInfo.AccessSize = 1;
	ck_assert_int_eq(WHvEmulatorCreateEmulator(&callbacks, &emu), S_OK);
	ck_assert_int_eq(WHvEmulatorTryMmioEmulation(NULL, CTX, &vp, &mc, &st), E_INVALIDARG);
	ck_assert_int_eq(WHvEmulatorTryMmioEmulation(garbage, CTX, &vp, &mc, &st), E_INVALIDARG);
	ck_assert_int_eq(WHvEmulatorTryMmioEmulation(emu, CTX, NULL, &mc, &st), E_INVALIDARG);
	ck_assert_int_eq(WHvEmulatorTryMmioEmulation(emu, CTX, &vp, NULL, &st), E_INVALIDARG);
	ck_assert_int_eq(WHvEmulatorTryMmioEmulation(emu, CTX, &vp, &mc, NULL), E_INVALIDARG);
	mc.InstructionByteCount = 17;
	ck_assert_int_eq(WHvEmulatorTryMmioEmulation(emu, CTX, &vp, &mc, &st), E_INVALIDARG);
	mc.InstructionByteCount = 0;
	mc.AccessInfo.AccessType = 3;
	ck_assert_int_eq(WHvEmulatorTryMmioEmulation(emu, CTX, &vp, &mc, &st), E_INVALIDARG);

	ck_assert_int_eq(WHvEmulatorTryIoEmulation(NULL, CTX, &vp, &io, &st), E_INVALIDARG);
	ck_assert_int_eq(WHvEmulatorTryIoEmulation(garbage, CTX, &vp, &io, &st), E_INVALIDARG);
	ck_assert_int_eq(WHvEmulatorTryIoEmulation(emu, CTX, NULL, &io, &st), E_INVALIDARG);
	ck_assert_int_eq(WHvEmulatorTryIoEmulation(emu, CTX, &vp, NULL, &st), E_INVALIDARG);
	ck_assert_int_eq(WHvEmulatorTryIoEmulation(emu, CTX, &vp, &io, NULL), E_INVALIDARG);
	io.InstructionByteCount = 17;
	ck_assert_int_eq(WHvEmulatorTryIoEmulation(emu, CTX, &vp, &io, &st), E_INVALIDARG);
	io.InstructionByteCount = 0;
	io.AccessInfo.AccessSize = 3;
	ck_assert_int_eq(WHvEmulatorTryIoEmulation(emu, CTX, &vp, &io, &st), E_INVALIDARG);
	io.AccessInfo.AccessSize = 0;
	ck_assert_int_eq(WHvEmulatorTryIoEmulation(emu, CTX, &vp, &io, &st), E_INVALIDARG);
	/* None of that reached a callback. */
	ck_assert_uint_eq(w.nev + w.getcalls + w.setcalls + w.nxl, 0);
	ck_assert_int_eq(WHvEmulatorDestroyEmulator(emu), S_OK);
	reset_world(NULL);
}
END_TEST

/* ---- contract details beyond one table row -------------------------------------- */

/*
 * An MMIO emulation reads what the instruction uses in one call, in this
 * order: for mov [rax], ecx in 64-bit mode, RAX, RCX, DS and CR4.
 */
START_TEST(test_mmio_get_names)
{
	static const WHV_REGISTER_NAME expect[] = {
		WHvX64RegisterRax, WHvX64RegisterRcx, WHvX64RegisterDs,
		WHvX64RegisterCr4,
	};
	WHV_EMULATOR_HANDLE emu;
	WHV_EMULATOR_STATUS st;
	unsigned int i;

	ck_assert_int_eq(WHvEmulatorCreateEmulator(&callbacks, &emu), S_OK);
	ck_assert_int_eq(run(emu, &cases[0], &st), S_OK);
	ck_assert_uint_eq(st.AsUINT32, OK);
	ck_assert_uint_eq(w.getcalls, 1);
	ck_assert_uint_eq(w.nget, ARRAY_SIZE(expect));
	for (i = 0; i < ARRAY_SIZE(expect); i++)
		ck_assert_uint_eq(w.getn[i], expect[i]);
	ck_assert_int_eq(WHvEmulatorDestroyEmulator(emu), S_OK);
	reset_world(NULL);
}
END_TEST

/* String I/O asks only for what the exit context lacks. */
START_TEST(test_string_io_get_names)
{
	const struct tcase *tc = NULL;
	WHV_EMULATOR_HANDLE emu;
	WHV_EMULATOR_STATUS st;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (!strcmp(cases[i].name, "outsb with an fs: source"))
			tc = &cases[i];
	ck_assert_ptr_nonnull(tc);
	ck_assert_int_eq(WHvEmulatorCreateEmulator(&callbacks, &emu), S_OK);
	ck_assert_int_eq(run(emu, tc, &st), S_OK);
	ck_assert_uint_eq(st.AsUINT32, OK);
	ck_assert_uint_eq(w.getcalls, 1);
	ck_assert_uint_eq(w.nget, 2);
	ck_assert_uint_eq(w.getn[0], WHvX64RegisterFs);
	ck_assert_uint_eq(w.getn[1], WHvX64RegisterCr4);
	ck_assert_int_eq(WHvEmulatorDestroyEmulator(emu), S_OK);
	reset_world(NULL);
}
END_TEST

/*
 * A REP with a huge count stops after 65536 iterations with RIP on the
 * instruction and the progress committed, as an interrupt would leave it.
 */
START_TEST(test_rep_bounded)
{
	static const struct tcase tc = {
		"rep stosb, rcx 0x10005", 64, "f3 aa",
		.regs = { R(Rcx, 0x10005), R(Rdi, 0x100000) },
	};
	WHV_EMULATOR_HANDLE emu;
	WHV_EMULATOR_STATUS st;

	ck_assert_int_eq(WHvEmulatorCreateEmulator(&callbacks, &emu), S_OK);
	ck_assert_int_eq(run(emu, &tc, &st), S_OK);
	ck_assert_uint_eq(st.AsUINT32, OK);
	ck_assert_uint_eq(w.nev, 65536);
	ck_assert_uint_eq(w.setcalls, 1);
	ck_assert_uint_eq(w.nset, 2);
	ck_assert_uint_eq(w.setn[0], WHvX64RegisterRcx);
	ck_assert_uint_eq(w.setv[0].Reg64, 5);
	ck_assert_uint_eq(w.setn[1], WHvX64RegisterRdi);
	ck_assert_uint_eq(w.setv[1].Reg64, 0x110000);
	ck_assert_int_eq(WHvEmulatorDestroyEmulator(emu), S_OK);
	reset_world(NULL);
}
END_TEST

static Suite *emu_suite(void)
{
	Suite *s = suite_create("whv_emu_table");
	TCase *tc;

	tc = tcase_create("table");
	tcase_add_loop_test(tc, test_table, 0, (int)ARRAY_SIZE(cases));
	suite_add_tcase(s, tc);

	tc = tcase_create("contract");
	tcase_add_test(tc, test_create_arguments);
	tcase_add_test(tc, test_destroy_arguments);
	tcase_add_test(tc, test_try_arguments);
	tcase_add_test(tc, test_mmio_get_names);
	tcase_add_test(tc, test_string_io_get_names);
	tcase_add_test(tc, test_rep_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(emu_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
