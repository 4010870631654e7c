// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_emu_diff.c - differential test of the WinHvEmulation emulator against
 * the host CPU.
 *
 * Each case is one randomly generated instruction (64-bit mode, with 66/67
 * prefixes, REX, segment overrides, LOCK, REP/REPE/REPNE, random registers,
 * operands and flags). It runs natively in a stub that loads the GPRs and
 * RFLAGS from a struct, executes it against a scratch buffer and saves them
 * back; then the emulator runs the same bytes through
 * WHvEmulatorTryMmioEmulation, with a GVA -> GPA translation that reverses
 * the order of the buffer's pages (so page splits must be right) and a
 * Memory callback over a copy of the buffer. Memory, every GPR but RSP (the
 * stub keeps the real stack there, so no instruction uses it), RIP and the
 * flags the instruction defines must match.
 *
 * Flags a CPU leaves undefined (AF after AND/OR/XOR/TEST, all but CF after
 * BTx) and F2 on MOVS/STOS/LODS are not compared or generated, so the test
 * does not depend on the host's vendor; test_emu_table pins the emulator's
 * choices there.
 *
 * The stub and the buffer live in one mapping below 2 GiB (MAP_32BIT), so
 * 32-bit addressing (67), absolute disp32 and RIP-relative operands all reach
 * the buffer. FS/GS overrides use the process's real FS/GS base, which the
 * emulator gets through the get callback; the DS/ES/SS/CS bases handed to
 * the emulator are garbage, as 64-bit mode must ignore them.
 *
 * WHV_EMU_SEED=<n> and WHV_EMU_CASES=<n> override the defaults; the seed and
 * the failing case are printed on failure.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <check.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <WinHvEmulation.h>

#define CF 0x001u
#define PF 0x004u
#define AF 0x010u
#define ZF 0x040u
#define SF 0x080u
#define DF 0x400u
#define OF 0x800u
#define ARITH (CF | PF | AF | ZF | SF | OF)

#define PAGE		4096u
#define CODE_SIZE	PAGE
#define BUF_SIZE	(3 * PAGE)
#define RSP		4

/* ---- PRNG ------------------------------------------------------------------ */

static uint64_t rng;

static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dull;
}

static unsigned int rn(unsigned int n)
{
	return (unsigned int)(rnd() % n);
}

static uint64_t splitmix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return (x ^ (x >> 31)) | 1;
}

/* One of @n bytes, at random. */
static uint8_t pick(const uint8_t *v, unsigned int n)
{
	return v[rn(n)];
}

#define PICK(...) pick((const uint8_t[]){ __VA_ARGS__ }, \
		       sizeof((const uint8_t[]){ __VA_ARGS__ }))

static uint64_t emu_sext8(uint64_t v)
{
	return (uint64_t)(int64_t)(int8_t)v;
}

/* ---- host execution ----------------------------------------------------------- */

struct state {
	uint64_t gpr[16];
	uint64_t rflags;
};

static uint8_t *region;		/* code page, then the buffer */
static uint8_t *code, *buf;
static struct state host;	/* what the stub loads and saves */
static unsigned int insn_at;	/* offset of the instruction in the stub */
static uint64_t fs_base, gs_base;

static unsigned int put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
	return 8;
}

/* mov reg, [rax + 8 * reg] or mov [rax + 8 * reg], reg */
static unsigned int put_movrax(uint8_t *p, unsigned int reg, bool store)
{
	int32_t disp = (int32_t)(8 * reg);

	p[0] = 0x48 | (reg >= 8 ? 4 : 0);
	p[1] = store ? 0x89 : 0x8b;
	p[2] = 0x80 | (reg & 7) << 3;
	memcpy(p + 3, &disp, 4);
	return 7;
}

static unsigned int stub_prologue(uint8_t *p)
{
	static const uint8_t push[] = {
		0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57
	};
	unsigned int n = 0, r;

	memcpy(p, push, sizeof(push));
	n += sizeof(push);
	p[n++] = 0x48;				/* movabs rax, &host */
	p[n++] = 0xb8;
	n += put64(p + n, (uint64_t)(uintptr_t)&host);
	p[n++] = 0xff;				/* push qword [rax + 128] */
	p[n++] = 0xb0;
	p[n++] = 0x80; p[n++] = 0; p[n++] = 0; p[n++] = 0;
	p[n++] = 0x9d;				/* popfq */
	for (r = 1; r < 16; r++)
		if (r != RSP)
			n += put_movrax(p + n, r, false);
	p[n++] = 0x48;				/* mov rax, [rax] */
	p[n++] = 0x8b;
	p[n++] = 0x00;
	return n;
}

static unsigned int stub_epilogue(uint8_t *p)
{
	static const uint8_t pop[] = {
		0x41, 0x5f, 0x41, 0x5e, 0x41, 0x5d, 0x41, 0x5c, 0x5d, 0x5b, 0xc3
	};
	unsigned int n = 0, r;

	p[n++] = 0x9c;				/* pushfq */
	p[n++] = 0xfc;				/* cld: the ABI wants DF clear */
	p[n++] = 0x48;				/* movabs [&host.gpr[0]], rax */
	p[n++] = 0xa3;
	n += put64(p + n, (uint64_t)(uintptr_t)&host.gpr[0]);
	p[n++] = 0x48;				/* movabs rax, &host */
	p[n++] = 0xb8;
	n += put64(p + n, (uint64_t)(uintptr_t)&host);
	for (r = 1; r < 16; r++)
		if (r != RSP)
			n += put_movrax(p + n, r, true);
	p[n++] = 0x59;				/* pop rcx */
	p[n++] = 0x48;				/* mov [rax + 128], rcx */
	p[n++] = 0x89;
	p[n++] = 0x88;
	p[n++] = 0x80; p[n++] = 0; p[n++] = 0; p[n++] = 0;
	memcpy(p + n, pop, sizeof(pop));
	return n + sizeof(pop);
}

static void setup_region(void)
{
	if (region)
		return;
	/* Never writable and executable at once: the stub page flips (W^X). */
	region = mmap(NULL, CODE_SIZE + BUF_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	ck_assert_msg(region != MAP_FAILED, "mmap below 2 GiB failed");
	code = region;
	buf = region + CODE_SIZE;
	insn_at = stub_prologue(code);
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_base);
	syscall(SYS_arch_prctl, ARCH_GET_GS, &gs_base);
}

static void run_host(const uint8_t *insn, unsigned int len)
{
	ck_assert_int_eq(mprotect(code, CODE_SIZE, PROT_READ | PROT_WRITE), 0);
	memcpy(code + insn_at, insn, len);
	stub_epilogue(code + insn_at + len);
	ck_assert_int_eq(mprotect(code, CODE_SIZE, PROT_READ | PROT_EXEC), 0);
	((void (*)(void))(uintptr_t)code)();
}

/* ---- the emulator side ----------------------------------------------------------- */

struct emu_env {
	struct state st;
	uint64_t rip;
	uint8_t mem[BUF_SIZE];		/* the emulator's copy of buf */
	char err[200];
};

static struct emu_env env;

static HRESULT CALLBACK cb_io(VOID *ctx, WHV_EMULATOR_IO_ACCESS_INFO *io)
{
	(void)ctx;
	(void)io;
	snprintf(env.err, sizeof(env.err), "unexpected port access");
	return E_FAIL;
}

/*
 * Guest-physical layout seen by the emulator: the buffer's pages in reverse
 * order at GPA_BUF, the code page at GPA_CODE. A Memory callback may not
 * cross a page: accesses must be split where the guest-virtual pages are.
 */
#define GPA_BUF		0x100000000ull
#define GPA_CODE	0x200000000ull
#define NPAGES		(BUF_SIZE / PAGE)

static uint8_t *gpa_to_host(uint64_t gpa, unsigned int n, bool *is_code)
{
	uint64_t page = (gpa & ~(uint64_t)(PAGE - 1)), off = gpa & (PAGE - 1);

	if (off + n > PAGE)
		return NULL;
	*is_code = page == GPA_CODE;
	if (*is_code)
		return code + off;
	if (page >= GPA_BUF && page < GPA_BUF + BUF_SIZE)
		return env.mem + (NPAGES - 1 - (page - GPA_BUF) / PAGE) * PAGE + off;
	return NULL;
}

static HRESULT CALLBACK cb_mem(VOID *ctx, WHV_EMULATOR_MEMORY_ACCESS_INFO *ma)
{
	bool is_code = false;
	uint8_t *p;

	(void)ctx;
	p = gpa_to_host(ma->GpaAddress, ma->AccessSize, &is_code);
	if (ma->AccessSize < 1 || ma->AccessSize > 8 || ma->Direction > 1 || !p ||
	    (is_code && ma->Direction)) {
		snprintf(env.err, sizeof(env.err), "bad access: %s 0x%" PRIx64 " size %u",
			 ma->Direction ? "write" : "read", ma->GpaAddress, ma->AccessSize);
		return E_FAIL;
	}
	if (ma->Direction)
		memcpy(p, ma->Data, ma->AccessSize);
	else
		memcpy(ma->Data, p, ma->AccessSize);
	return S_OK;
}

static HRESULT CALLBACK cb_get(VOID *ctx, const WHV_REGISTER_NAME *names,
			       UINT32 n, WHV_REGISTER_VALUE *vals)
{
	UINT32 i;

	(void)ctx;
	for (i = 0; i < n; i++) {
		memset(&vals[i], 0, sizeof(vals[i]));
		if (names[i] <= WHvX64RegisterR15) {
			vals[i].Reg64 = env.st.gpr[names[i]];
		} else if (names[i] >= WHvX64RegisterEs && names[i] <= WHvX64RegisterGs) {
			/* Garbage bases: 64-bit mode must ignore them but FS/GS. */
			vals[i].Segment.Base = 0x1230000ull * (names[i] - WHvX64RegisterEs + 1);
			if (names[i] == WHvX64RegisterFs)
				vals[i].Segment.Base = fs_base;
			if (names[i] == WHvX64RegisterGs)
				vals[i].Segment.Base = gs_base;
			vals[i].Segment.Limit = 0xffffffff;
			vals[i].Segment.Attributes = 0xc093;
		} else if (names[i] == WHvX64RegisterCr4) {
			vals[i].Reg64 = 0x20;	/* PAE */
		} else {
			snprintf(env.err, sizeof(env.err), "get of register 0x%x", names[i]);
			return E_FAIL;
		}
	}
	return S_OK;
}

static HRESULT CALLBACK cb_set(VOID *ctx, const WHV_REGISTER_NAME *names,
			       UINT32 n, const WHV_REGISTER_VALUE *vals)
{
	UINT32 i;

	(void)ctx;
	for (i = 0; i < n; i++) {
		if (names[i] <= WHvX64RegisterR15)
			env.st.gpr[names[i]] = vals[i].Reg64;
		else if (names[i] == WHvX64RegisterRflags)
			env.st.rflags = vals[i].Reg64;
		else if (names[i] == WHvX64RegisterRip)
			env.rip = vals[i].Reg64;
		else {
			snprintf(env.err, sizeof(env.err), "set of register 0x%x", names[i]);
			return E_FAIL;
		}
	}
	return S_OK;
}

static bool gva_to_gpa(uint64_t gva, uint64_t *gpa)
{
	uint64_t b = (uintptr_t)buf, c = (uintptr_t)code;

	if (gva >= b && gva < b + BUF_SIZE)
		*gpa = GPA_BUF + (NPAGES - 1 - (gva - b) / PAGE) * PAGE + (gva & (PAGE - 1));
	else if (gva >= c && gva < c + CODE_SIZE)
		*gpa = GPA_CODE + (gva & (PAGE - 1));
	else
		return false;
	return true;
}

static HRESULT CALLBACK cb_xlate(VOID *ctx, WHV_GUEST_VIRTUAL_ADDRESS gva,
				 WHV_TRANSLATE_GVA_FLAGS flags,
				 WHV_TRANSLATE_GVA_RESULT_CODE *res,
				 WHV_GUEST_PHYSICAL_ADDRESS *gpa)
{
	(void)ctx;
	if (gva & (PAGE - 1) || !(flags & 7) || !gva_to_gpa(gva, gpa)) {
		snprintf(env.err, sizeof(env.err), "translate 0x%" PRIx64 " flags 0x%x",
			 gva, flags);
		return E_FAIL;
	}
	*res = WHvTranslateGvaResultSuccess;
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

/* ---- instruction generation ---------------------------------------------------------- */

enum fam {
	FAM_ALU, FAM_ALU_ACC, FAM_GRP1, FAM_TEST, FAM_TEST_ACC, FAM_XCHG, FAM_MOV, FAM_MOV_IMM,
	FAM_MOFFS, FAM_UNARY, FAM_INCDEC, FAM_BT_REG, FAM_BT_IMM, FAM_MOVX, FAM_MOVSXD,
	FAM_STRING, FAM_NFAM
};

struct dcase {
	uint8_t b[16];
	unsigned int len;
	struct state in;
	uint32_t flags;		/* flags to compare */
	uint64_t target;	/* an address the instruction accesses */
	bool lowbits;		/* buffer of 0/1 bytes (CMPS/SCAS) */
	const char *what;
};

struct enc {
	uint8_t pre[8];
	unsigned int npre;
	uint8_t rex;		/* 0x40.. or 0 */
	bool need_rex;
	uint8_t op[2];
	unsigned int nop;
	uint8_t tail[12];	/* modrm, sib, disp, imm */
	unsigned int ntail;
	int rip_disp;		/* offset in tail of a RIP-relative disp32, or -1 */
};

static unsigned int nregs;	/* 16 when the instruction has a REX, else 8 */

/* May register @r be named as a destination of @size bytes? */
static bool reg_ok(unsigned int r, unsigned int size, bool rex)
{
	if (size == 1 && !rex && r >= 4 && r < 8)
		return true;			/* AH..BH */
	return r != RSP;
}

static unsigned int pick_reg(unsigned int size, bool rex, uint32_t avoid)
{
	unsigned int r;

	do
		r = rn(nregs);
	while (!reg_ok(r, size, rex) || (avoid & (1u << r)));
	return r;
}

static void tail_put(struct enc *e, uint64_t v, unsigned int n)
{
	memcpy(e->tail + e->ntail, &v, n);
	e->ntail += n;
}

/* A buffer address for an access of @size bytes, sometimes across a page. */
static uint64_t pick_target(unsigned int size, unsigned int margin)
{
	uint64_t off;

	if (rn(4) == 0)
		off = PAGE * (1 + rn(2)) - rn(size + 1);
	else
		off = margin + rn(BUF_SIZE - 2 * margin - size);
	return (uintptr_t)buf + off;
}

/*
 * ModRM (+SIB, disp) for a memory operand at linear @target, with @reg in the
 * reg field; registers get values that make the address. Sets REX.R/X/B.
 * @avoid: registers that must not be used for addressing.
 */
static void gen_mem(struct enc *e, struct dcase *c, unsigned int reg,
		    uint64_t target, uint64_t segbase, bool a32, bool distinct,
		    uint32_t *used)
{
	uint64_t ea = target - segbase, disp = 0, idxv = 0, mask = a32 ? 0xffffffffull : ~0ull;
	unsigned int form = rn(8), base = 0, idx = 0, scale = rn(4), mod;
	bool has_base = true, has_idx = false;
	int32_t d32;

	e->rex |= (reg & 8) ? 4 : 0;
	if (segbase && form >= 6)
		form = rn(6);
	if (form == 6) {			/* RIP-relative (EIP with 67) */
		e->tail[e->ntail++] = (uint8_t)((reg & 7) << 3 | 5);
		e->rip_disp = (int)e->ntail;
		tail_put(e, 0, 4);
		return;
	}
	if (form == 7) {			/* absolute disp32 through SIB */
		e->tail[e->ntail++] = (uint8_t)((reg & 7) << 3 | 4);
		e->tail[e->ntail++] = 0x25;
		tail_put(e, ea, 4);
		return;
	}
	do
		base = rn(nregs);
	while (base == RSP || (distinct && base == reg));
	has_idx = form >= 3;
	if (has_idx) {
		do
			idx = rn(nregs);
		while (idx == RSP || idx == base || (distinct && idx == reg));
	}
	if (form == 5)				/* index only: [index * s + disp32] */
		has_base = false;
	mod = has_base ? rn(3) : 0;
	if (mod == 0 && has_base && (base & 7) == 5)
		mod = 1;
	if (mod == 1)
		disp = emu_sext8(rnd());
	else if (mod == 2 || !has_base)
		disp = (uint64_t)((int64_t)rn(200000) - 100000);
	if (has_idx) {
		idxv = rn(64);
		if (!has_base) {
			idxv = (ea >> scale) - rn(16);
			disp = ea - (idxv << scale);
		}
		if (a32)
			idxv |= rnd() << 32;
		c->in.gpr[idx] = idxv;
		*used |= 1u << idx;
	}
	if (has_base) {
		c->in.gpr[base] = (ea - disp - (idxv << scale)) & mask;
		if (a32)
			c->in.gpr[base] |= rnd() << 32;
		*used |= 1u << base;
	}
	if (has_idx || (base & 7) == 4 || !has_base) {
		e->tail[e->ntail++] = (uint8_t)(mod << 6 | (reg & 7) << 3 | 4);
		e->tail[e->ntail++] = (uint8_t)(scale << 6 | (has_idx ? idx & 7 : 4) << 3 |
						(has_base ? base & 7 : 5));
		if (has_idx && idx >= 8)
			e->rex |= 2;
	} else {
		e->tail[e->ntail++] = (uint8_t)(mod << 6 | (reg & 7) << 3 | (base & 7));
	}
	if (has_base && base >= 8)
		e->rex |= 1;
	if (mod == 1) {
		tail_put(e, disp, 1);
	} else if (mod == 2 || !has_base) {
		d32 = (int32_t)disp;
		tail_put(e, (uint64_t)(int64_t)d32, 4);
	}
}

/* Choices shared by every family. */
struct gctx {
	struct dcase *c;
	struct enc e;
	unsigned int v;		/* operand size of 'v' forms */
	bool a32, rex;
	uint8_t seg;		/* segment prefix byte, or 0 */
	uint64_t segbase;	/* FS/GS base, or 0 */
	uint32_t used;		/* registers used for addressing */
};

static void pre(struct gctx *g, uint8_t b)
{
	g->e.pre[g->e.npre++] = b;
}

static void imm(struct gctx *g, unsigned int bytes)
{
	tail_put(&g->e, rnd(), bytes > 4 ? 4 : bytes);
}

static void op1(struct gctx *g, uint8_t b)
{
	g->e.op[g->e.nop++] = b;
}

/* A memory operand of @size bytes with @reg in the reg field. */
static void mem(struct gctx *g, unsigned int reg, unsigned int size,
		unsigned int margin, bool distinct)
{
	uint64_t t = pick_target(size, margin);

	g->c->target = t;
	gen_mem(&g->e, g->c, reg, t, g->segbase, g->a32, distinct, &g->used);
}

/* A register r/m operand: ModRM with mod 3. */
static void rmreg(struct gctx *g, unsigned int reg, unsigned int rm)
{
	g->e.tail[g->e.ntail++] = (uint8_t)(0xc0 | (reg & 7) << 3 | (rm & 7));
	if (reg & 8)
		g->e.rex |= 4;
	if (rm & 8)
		g->e.rex |= 1;
}

/* r/m: memory most of the time, else a register; true if memory. */
static bool rm_opnd(struct gctx *g, unsigned int reg, unsigned int size,
		    unsigned int margin, bool distinct)
{
	if (rn(6)) {
		mem(g, reg, size, margin, distinct);
		return true;
	}
	rmreg(g, reg, pick_reg(size, g->rex, 0));
	return false;
}

static void maybe_lock(struct gctx *g, bool memory)
{
	if (memory && rn(3) == 0)
		pre(g, 0xf0);
}

static void gen_string(struct gctx *g)
{
	static const uint8_t ops[] = {
		0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf
	};
	struct dcase *c = g->c;
	uint8_t op = ops[rn(sizeof(ops))];
	unsigned int size = op & 1 ? g->v : 1, count = rn(4) ? rn(20) : 0;
	uint64_t si, di, amask = g->a32 ? 0xffffffffull : ~0ull;

	op1(g, op);
	c->lowbits = op == 0xa6 || op == 0xa7 || op == 0xae || op == 0xaf;
	/* F2 on MOVS/STOS/LODS is reserved (AMD repeats, Intel may not). */
	if (rn(3))
		pre(g, c->lowbits && rn(2) ? 0xf2 : 0xf3);
	c->what = "string";
	c->flags = ARITH;
	if (rn(2))
		c->in.rflags |= DF;
	else
		c->in.rflags &= ~(uint64_t)DF;
	si = rn(4) ? 256 + rn(BUF_SIZE - 512) : PAGE * (1 + rn(2)) - rn(40);
	di = rn(4) ? 256 + rn(BUF_SIZE - 512) : PAGE * (1 + rn(2)) - rn(40);
	si += (uintptr_t)buf;
	di += (uintptr_t)buf;
	c->target = si;
	c->in.gpr[6] = (si - g->segbase) & amask;
	c->in.gpr[7] = di & amask;
	c->in.gpr[1] = count;
	if (g->a32) {
		c->in.gpr[6] |= rnd() << 32;
		c->in.gpr[7] |= rnd() << 32;
		c->in.gpr[1] |= rnd() << 32;
	}
	if (c->lowbits)
		c->in.gpr[0] = rnd() & 0x0101010101010101ull;
	(void)size;
}

static void gen_family(struct gctx *g, enum fam f)
{
	struct dcase *c = g->c;
	unsigned int v = g->v, sub = rn(8), size, reg, bits;
	bool m;
	uint8_t op;

	c->flags = ARITH;
	switch (f) {
	case FAM_ALU:
		op = (uint8_t)(sub << 3 | rn(4));
		op1(g, op);
		size = op & 1 ? v : 1;
		reg = pick_reg(size, g->rex, 0);
		m = rm_opnd(g, reg, size, 16, false);
		if (!(op & 2))
			maybe_lock(g, m && sub != 7);
		if (sub == 1 || sub == 4 || sub == 6)	/* OR, AND, XOR */
			c->flags &= ~AF;		/* undefined */
		c->what = "alu";
		break;
	case FAM_ALU_ACC:
		op = (uint8_t)(sub << 3 | (4 + rn(2)));
		op1(g, op);
		imm(g, op & 1 ? v : 1);
		if (sub == 1 || sub == 4 || sub == 6)
			c->flags &= ~AF;
		c->what = "alu acc";
		break;
	case FAM_GRP1:
		op = PICK(0x80, 0x81, 0x83);
		op1(g, op);
		size = op == 0x80 ? 1 : v;
		m = rm_opnd(g, sub, size, 16, false);
		imm(g, op == 0x81 ? size : 1);
		maybe_lock(g, m && sub != 7);
		if (sub == 1 || sub == 4 || sub == 6)
			c->flags &= ~AF;
		c->what = "group 1";
		break;
	case FAM_TEST:
	case FAM_XCHG:
	case FAM_MOV:
		op = (uint8_t)((f == FAM_TEST ? 0x84 : f == FAM_XCHG ? 0x86 : 0x88) +
			       rn(f == FAM_MOV ? 4 : 2));
		op1(g, op);
		size = op & 1 ? v : 1;
		reg = pick_reg(size, g->rex, 0);
		m = rm_opnd(g, reg, size, 16, false);
		if (f == FAM_XCHG)
			maybe_lock(g, m);
		if (f == FAM_TEST)
			c->flags &= ~AF;
		c->what = f == FAM_TEST ? "test" : f == FAM_XCHG ? "xchg" : "mov";
		break;
	case FAM_TEST_ACC:
		op = 0xa8 + rn(2);
		op1(g, op);
		imm(g, op & 1 ? v : 1);
		c->flags &= ~AF;
		c->what = "test acc";
		break;
	case FAM_MOV_IMM:
		op = 0xc6 + rn(2);
		op1(g, op);
		size = op & 1 ? v : 1;
		rm_opnd(g, 0, size, 16, false);
		imm(g, size);
		c->what = "mov imm";
		break;
	case FAM_MOFFS:
		op = 0xa0 + rn(4);
		op1(g, op);
		size = op & 1 ? v : 1;
		c->target = pick_target(size, 16);
		tail_put(&g->e, c->target - g->segbase, g->a32 ? 4 : 8);
		c->what = "moffs";
		break;
	case FAM_UNARY:
		op = 0xf6 + rn(2);
		op1(g, op);
		size = op & 1 ? v : 1;
		reg = rn(4);
		m = rm_opnd(g, reg, size, 16, false);
		if (reg < 2) {
			imm(g, size);
			c->flags &= ~AF;	/* TEST */
		} else {
			maybe_lock(g, m);
		}
		c->what = "f6/f7";
		break;
	case FAM_INCDEC:
		op = 0xfe + rn(2);
		op1(g, op);
		size = op & 1 ? v : 1;
		m = rm_opnd(g, rn(2), size, 16, false);
		maybe_lock(g, m);
		c->what = "inc/dec";
		break;
	case FAM_BT_REG:
		op1(g, 0x0f);
		op1(g, (uint8_t)(0xa3 + 8 * (sub & 3)));
		bits = v * 8;
		reg = pick_reg(v, g->rex, 0);
		m = rm_opnd(g, reg, v, 8 * v + 16, true);
		if (m) {
			c->in.gpr[reg] = (uint64_t)((int64_t)rn(16 * bits) - 8 * bits);
			if (v < 8)
				c->in.gpr[reg] = (c->in.gpr[reg] & ((1ull << bits) - 1)) |
						 rnd() << bits;
		}
		if (sub & 3)
			maybe_lock(g, m);
		c->flags = CF;
		c->what = "bt reg";
		break;
	case FAM_BT_IMM:
		op1(g, 0x0f);
		op1(g, 0xba);
		m = rm_opnd(g, 4 + (sub & 3), v, 16, false);
		imm(g, 1);
		if (sub & 3)
			maybe_lock(g, m);
		c->flags = CF;
		c->what = "bt imm";
		break;
	case FAM_MOVX:
		op1(g, 0x0f);
		op = PICK(0xb6, 0xb7, 0xbe, 0xbf);
		op1(g, op);
		reg = pick_reg(v, g->rex, 0);
		rm_opnd(g, reg, op & 1 ? 2 : 1, 16, false);
		c->what = "movzx/movsx";
		break;
	case FAM_MOVSXD:
		op1(g, 0x63);
		reg = pick_reg(v, g->rex, 0);
		rm_opnd(g, reg, v == 8 ? 4 : v, 16, false);
		c->what = "movsxd";
		break;
	default:
		gen_string(g);
		break;
	}
}

static uint64_t rand_value(void)
{
	switch (rn(6)) {
	case 0:
		return 0;
	case 1:
		return ~0ull;
	case 2:
		return rn(256);
	case 3:
		return rnd() & 0x80000000ffffffffull;
	default:
		return rnd();
	}
}

static void gen_one(struct dcase *c)
{
	struct gctx g = { .c = c };
	enum fam f = (enum fam)rn(FAM_NFAM + 2);
	unsigned int i, n = 0, k;
	uint8_t t;
	int32_t d;

	memset(c, 0, sizeof(*c));
	if (f >= FAM_NFAM)
		f = FAM_STRING;
	for (i = 0; i < 16; i++)
		c->in.gpr[i] = rand_value();
	c->in.rflags = 2 | (rnd() & (ARITH | DF));
	g.e.rip_disp = -1;
	g.v = PICK(2, 4, 8);
	g.rex = g.v == 8 || rn(3) == 0;
	nregs = g.rex ? 16 : 8;
	g.a32 = rn(4) == 0;
	if (g.v == 2 || (g.v == 8 && rn(4) == 0))
		pre(&g, 0x66);		/* with REX.W, 66 counts for nothing */
	if (g.rex)
		g.e.rex = (uint8_t)(0x40 | (g.v == 8 ? 8 : 0));
	if (g.a32)
		pre(&g, 0x67);
	switch (rn(8)) {
	case 0:
		g.seg = PICK(0x26, 0x2e, 0x36, 0x3e);
		break;
	case 1:
		if (!g.a32) {
			g.seg = 0x64;
			g.segbase = fs_base;
		}
		break;
	case 2:
		g.seg = 0x65;
		g.segbase = gs_base;
		break;
	}
	if (g.seg)
		pre(&g, g.seg);
	/* Segment overrides do not apply to the ES:rDI of STOS/SCAS. */
	gen_family(&g, f);
	if (f == FAM_STRING && (g.e.op[0] == 0xaa || g.e.op[0] == 0xab ||
			      g.e.op[0] == 0xae || g.e.op[0] == 0xaf))
		c->target = c->in.gpr[7];
	/* A REX before a legacy prefix is ignored; the emulator must agree. */
	if (g.e.npre && rn(8) == 0)
		c->b[n++] = (uint8_t)(0x40 | rn(16));
	for (i = g.e.npre; i > 1; i--) {
		k = rn(i);
		t = g.e.pre[k];
		g.e.pre[k] = g.e.pre[i - 1];
		g.e.pre[i - 1] = t;
	}
	memcpy(c->b + n, g.e.pre, g.e.npre);
	n += g.e.npre;
	if (g.e.rex)
		c->b[n++] = g.e.rex;
	memcpy(c->b + n, g.e.op, g.e.nop);
	n += g.e.nop;
	if (n + g.e.ntail > 15) {
		c->len = 99;
		return;
	}
	memcpy(c->b + n, g.e.tail, g.e.ntail);
	if (g.e.rip_disp >= 0) {
		n += g.e.ntail;
		d = (int32_t)(c->target - ((uintptr_t)code + insn_at + n));
		memcpy(c->b + n - g.e.ntail + g.e.rip_disp, &d, 4);
	} else {
		n += g.e.ntail;
	}
	c->len = n;
}

/* Instructions longer than 15 bytes #GP on the CPU: draw again. */
static void gen_case(struct dcase *c)
{
	do
		gen_one(c);
	while (c->len > 15);
}

/* ---- running and comparing ----------------------------------------------------------- */

static void dump(const struct dcase *c, char *out, size_t size)
{
	size_t o = 0;
	unsigned int i;

	for (i = 0; i < c->len && o + 4 < size; i++)
		o += (size_t)snprintf(out + o, size - o, "%02x ", c->b[i]);
	snprintf(out + o, size - o, "(%s)", c->what);
}

static bool run_case(WHV_EMULATOR_HANDLE emu, const struct dcase *c,
		     char *why, size_t size)
{
	WHV_VP_EXIT_CONTEXT vp;
	WHV_MEMORY_ACCESS_CONTEXT mc;
	WHV_EMULATOR_STATUS st;
	uint64_t rip = (uintptr_t)code + insn_at;
	unsigned int i, k;
	HRESULT hr;

	for (i = 0; i < BUF_SIZE; i += 8) {
		uint64_t r = rnd();

		if (c->lowbits)
			r &= 0x0101010101010101ull;
		memcpy(buf + i, &r, 8);
	}
	memcpy(env.mem, buf, BUF_SIZE);
	host = c->in;
	run_host(c->b, c->len);

	memset(&vp, 0, sizeof(vp));
	vp.ExecutionState.Cr0Pe = 1;
	vp.ExecutionState.EferLma = 1;
	vp.ExecutionState.Cpl = 3;
	vp.Cs.Attributes = 0xa0fb;	/* L, P, DPL 3, code */
	vp.Rip = rip;
	vp.Rflags = c->in.rflags;
	memset(&mc, 0, sizeof(mc));
	k = rn(17);
	mc.InstructionByteCount = (UINT8)k;
	memcpy(mc.InstructionBytes, code + insn_at, k);
	mc.AccessInfo.GvaValid = rn(2);
	mc.AccessInfo.AccessType = rn(2);
	mc.Gva = c->target;
	if (!gva_to_gpa(mc.Gva, &mc.Gpa))
		mc.AccessInfo.GvaValid = 0;
	env.st = c->in;
	env.rip = rip;
	env.err[0] = 0;
	hr = WHvEmulatorTryMmioEmulation(emu, NULL, &vp, &mc, &st);
	if (hr != S_OK || st.AsUINT32 != 1 || env.err[0]) {
		snprintf(why, size, "hr 0x%x status 0x%x %s", (unsigned int)hr,
			 st.AsUINT32, env.err);
		return false;
	}
	for (i = 0; i < BUF_SIZE; i++) {
		if (buf[i] != env.mem[i]) {
			snprintf(why, size, "memory +0x%x: cpu %02x emulator %02x",
				 i, buf[i], env.mem[i]);
			return false;
		}
	}
	for (i = 0; i < 16; i++) {
		if (i != RSP && host.gpr[i] != env.st.gpr[i]) {
			snprintf(why, size, "gpr %u: cpu 0x%" PRIx64 " emulator 0x%" PRIx64
				 " (was 0x%" PRIx64 ")", i, host.gpr[i], env.st.gpr[i],
				 c->in.gpr[i]);
			return false;
		}
	}
	if ((host.rflags ^ env.st.rflags) & (c->flags | DF)) {
		snprintf(why, size, "rflags: cpu 0x%" PRIx64 " emulator 0x%" PRIx64
			 " (was 0x%" PRIx64 ")", host.rflags, env.st.rflags,
			 c->in.rflags);
		return false;
	}
	if (env.rip != rip + c->len) {
		snprintf(why, size, "rip +%" PRId64 ", length %u",
			 (int64_t)(env.rip - rip), c->len);
		return false;
	}
	return true;
}

static uint64_t env_u64(const char *name, uint64_t def)
{
	const char *s = getenv(name);

	return s && *s ? strtoull(s, NULL, 0) : def;
}

START_TEST(test_diff)
{
	uint64_t seed = env_u64("WHV_EMU_SEED", 0x5eed2024ull);
	unsigned int cases = (unsigned int)env_u64("WHV_EMU_CASES", 60000);
	bool verbose = env_u64("WHV_EMU_VERBOSE", 0);
	WHV_EMULATOR_HANDLE emu;
	struct dcase c;
	char why[300], bytes[100];
	unsigned int i;

	setup_region();
	ck_assert_int_eq(WHvEmulatorCreateEmulator(&callbacks, &emu), S_OK);
	for (i = 0; i < cases; i++) {
		rng = splitmix(seed + i);
		gen_case(&c);
		if (verbose) {
			dump(&c, bytes, sizeof(bytes));
			fprintf(stderr, "case %u: %s\n", i, bytes);
		}
		if (!run_case(emu, &c, why, sizeof(why))) {
			dump(&c, bytes, sizeof(bytes));
			ck_abort_msg("WHV_EMU_SEED=0x%" PRIx64 " case %u: %s: %s",
				     seed, i, bytes, why);
		}
	}
	ck_assert_int_eq(WHvEmulatorDestroyEmulator(emu), S_OK);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("whv_emu_diff");
	TCase *tc = tcase_create("host_cpu");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_diff);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
