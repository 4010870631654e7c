/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The WinHvEmulation instruction emulator, private interface.
 *
 *   emulator.c    the API: handles, argument checks, register sync, commit
 *   emu_mem.c     segmentation, GVA translation, memory/port callbacks,
 *                 instruction fetch, faults
 *   emu_decode.c  prefixes, opcode, ModRM/SIB -> struct emu_insn
 *   emu_alu.c     arithmetic and logic with the flags the CPU computes
 *   emu_exec.c    MOV/ALU/TEST/INC/DEC/NEG/NOT/XCHG/BTx, IN/OUT
 *   emu_string.c  MOVS/STOS/LODS/CMPS/SCAS/INS/OUTS, with REP
 */
#ifndef LIBWHV_EMU_H
#define LIBWHV_EMU_H

#include <stdbool.h>
#include <stdint.h>
#include <WinHvEmulation.h>

#define EMU_PAGE_SIZE	4096ull
#define EMU_PAGE_MASK	(~(EMU_PAGE_SIZE - 1))
#define EMU_MAX_INSN	15

/* Segment registers in encoding order, which is also WHv's (Es..Gs). */
enum { EMU_ES, EMU_CS, EMU_SS, EMU_DS, EMU_FS, EMU_GS, EMU_NSEG };

/* General-purpose registers in encoding order (WHvX64RegisterRax..R15). */
enum { EMU_RAX, EMU_RCX, EMU_RDX, EMU_RBX, EMU_RSP, EMU_RBP, EMU_RSI, EMU_RDI };

#define EMU_CF		0x0001ull
#define EMU_PF		0x0004ull
#define EMU_AF		0x0010ull
#define EMU_ZF		0x0040ull
#define EMU_SF		0x0080ull
#define EMU_DF		0x0400ull
#define EMU_OF		0x0800ull
#define EMU_RF		0x10000ull
#define EMU_VM		0x20000ull
#define EMU_ARITH	(EMU_CF | EMU_PF | EMU_AF | EMU_ZF | EMU_SF | EMU_OF)

/* Exception vectors the emulator raises. */
#define EMU_VEC_SS	12
#define EMU_VEC_GP	13
#define EMU_VEC_PF	14

/* Result of every internal step. */
enum emu_rc {
	EMU_OK = 0,
	EMU_FAIL,	/* cpu->status says why; nothing is committed */
	EMU_FAULT,	/* cpu->fault is to be injected into the guest */
};

/* Kinds of memory access, for translation flags and #PF error codes. */
enum emu_access { EMU_READ, EMU_WRITE, EMU_RMW, EMU_FETCH };

enum emu_op {
	EMU_OP_MOV, EMU_OP_MOVZX, EMU_OP_MOVSX, EMU_OP_ALU, EMU_OP_TEST,
	EMU_OP_INC, EMU_OP_DEC, EMU_OP_NOT, EMU_OP_NEG, EMU_OP_XCHG, EMU_OP_BT,
	EMU_OP_MOVS, EMU_OP_STOS, EMU_OP_LODS, EMU_OP_CMPS, EMU_OP_SCAS,
	EMU_OP_INS, EMU_OP_OUTS, EMU_OP_IN, EMU_OP_OUT,
};

/* ALU operations in the order of opcodes 00-3F and the 80-83 group. */
enum emu_alu { EMU_ADD, EMU_OR, EMU_ADC, EMU_SBB, EMU_AND, EMU_SUB, EMU_XOR, EMU_CMP };

/* Bit tests in the order of 0F BA /4-/7. */
enum emu_bt { EMU_BT, EMU_BTS, EMU_BTR, EMU_BTC };

enum emu_opnd { EMU_OPND_NONE, EMU_OPND_REG, EMU_OPND_MEM, EMU_OPND_IMM };

struct emu_operand {
	uint8_t kind;		/* enum emu_opnd */
	uint8_t size;		/* bytes: 1, 2, 4 or 8 */
	uint8_t reg;		/* GPR number */
	bool high;		/* AH, CH, DH or BH */
	uint64_t imm;		/* sign-extended to the operand size */
};

/* One decoded instruction; the memory operand is [base + index << scale + disp]. */
struct emu_insn {
	uint8_t len;
	uint8_t op;		/* enum emu_op */
	uint8_t sub;		/* enum emu_alu or enum emu_bt */
	uint8_t opsize;		/* bytes */
	uint8_t addrsize;	/* bytes: 2, 4 or 8 */
	uint8_t rep;		/* 0, 0xf3 (REP/REPE) or 0xf2 (REPNE) */
	bool lock;
	uint8_t seg;		/* segment of the memory (or string source) operand */
	int8_t base, index;	/* GPR number, or -1 */
	uint8_t scale;		/* shift count, 0-3 */
	bool rip_rel;
	int64_t disp;		/* or the moffs address */
	struct emu_operand dst, src;
};

struct emu_tlb {
	uint64_t gva, gpa;	/* page addresses */
	uint32_t flags;		/* WHV_TRANSLATE_GVA_FLAGS validated */
};

#define EMU_TLB_SIZE 4

struct emu_fault {
	uint8_t vector;
	bool has_error;
	uint32_t error;
	uint64_t cr2;		/* #PF only */
};

/* The guest state of one emulation call and the callbacks that reach it. */
struct emu_cpu {
	const WHV_EMULATOR_CALLBACKS *cb;
	void *ctx;
	WHV_EMULATOR_STATUS status;

	unsigned int mode;	/* 16, 32 or 64 */
	uint8_t cpl;
	bool pe;
	uint64_t gpr[16];
	uint64_t rip;		/* of the instruction being emulated */
	uint64_t rflags;
	uint64_t cr4;
	uint64_t efer;
	WHV_X64_SEGMENT_REGISTER seg[EMU_NSEG];
	uint32_t loaded;	/* EMU_LD_*: what is valid above */
	uint32_t dirty;		/* bit n: gpr[n] written; EMU_DIRTY_RFLAGS */
	uint16_t port;		/* of INS/OUTS, from the exit context */
	bool again;		/* REP stopped early: RIP stays on it */

	uint8_t ibytes[16];	/* instruction bytes known so far */
	unsigned int ilen;

	struct emu_tlb tlb[EMU_TLB_SIZE];
	unsigned int ntlb;

	struct emu_fault fault;
};

#define EMU_DIRTY_RFLAGS	(1u << 16)

/* Bits of emu_cpu.loaded: registers fetched with the get callback. */
#define EMU_LD_GPR(n)		(1u << (n))
#define EMU_LD_GPRS		0xffffu
#define EMU_LD_SEG(s)		(1u << (16 + (s)))
#define EMU_LD_SEGS		(0x3fu << 16)
#define EMU_LD_CR4		(1u << 22)
#define EMU_LD_EFER		(1u << 23)

/*
 * Everything below is internal to libwhv: hidden from the shared library's
 * exports, and prefixed so a static link cannot collide with a client's names.
 */
#pragma GCC visibility push(hidden)

/* emulator.c */
int whv_emu_load(struct emu_cpu *cpu, uint32_t want);
int whv_emu_unsupported(struct emu_cpu *cpu);

/* emu_mem.c */
int whv_emu_fault(struct emu_cpu *cpu, uint8_t vector, uint32_t error);
int whv_emu_read(struct emu_cpu *cpu, unsigned int seg, uint64_t off, void *buf,
		 unsigned int size, enum emu_access acc);
int whv_emu_write(struct emu_cpu *cpu, unsigned int seg, uint64_t off,
		  const void *buf, unsigned int size);
int whv_emu_check_write(struct emu_cpu *cpu, unsigned int seg, uint64_t off,
			unsigned int size);
int whv_emu_port(struct emu_cpu *cpu, bool out, uint16_t port, unsigned int size,
		 uint32_t *data);
int whv_emu_fetch(struct emu_cpu *cpu, unsigned int need);
void whv_emu_tlb_seed(struct emu_cpu *cpu, uint64_t gva, uint64_t gpa,
		      uint32_t flags);

/* emu_decode.c */
int whv_emu_decode(struct emu_cpu *cpu, struct emu_insn *in);

/* emu_alu.c */
static inline uint64_t whv_emu_mask(unsigned int size)
{
	return size >= 8 ? ~0ull : (1ull << (size * 8)) - 1;
}

static inline uint64_t whv_emu_sext(uint64_t v, unsigned int size)
{
	unsigned int shift = 64 - size * 8;

	return shift ? (uint64_t)((int64_t)(v << shift) >> shift) : v;
}
uint64_t whv_emu_alu(enum emu_alu op, uint64_t a, uint64_t b, unsigned int size,
		     uint64_t *rflags);
uint64_t whv_emu_incdec(bool dec, uint64_t a, unsigned int size, uint64_t *rflags);
uint64_t whv_emu_neg(uint64_t a, unsigned int size, uint64_t *rflags);
void whv_emu_logic_flags(uint64_t r, unsigned int size, uint64_t *rflags);

/* emu_exec.c */
uint64_t whv_emu_get_reg(const struct emu_cpu *cpu, unsigned int reg, bool high,
			 unsigned int size);
void whv_emu_set_reg(struct emu_cpu *cpu, unsigned int reg, bool high,
		     unsigned int size, uint64_t v);
void whv_emu_set_flags(struct emu_cpu *cpu, uint64_t rflags);
uint64_t whv_emu_ea(const struct emu_cpu *cpu, const struct emu_insn *in);
int whv_emu_execute(struct emu_cpu *cpu, const struct emu_insn *in);

/* emu_string.c */
int whv_emu_string(struct emu_cpu *cpu, const struct emu_insn *in);

#pragma GCC visibility pop

#endif
