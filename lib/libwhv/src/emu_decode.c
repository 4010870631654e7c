// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Instruction decoding: legacy prefixes, REX, opcode, ModRM/SIB/displacement
 * and immediate -> struct emu_insn. Only the instructions the emulator
 * executes are recognised; anything else (and LOCK where the CPU would raise
 * #UD) fails the call with InternalEmulationFailure before any side effect.
 *
 * Sizes follow the mode: 64-bit mode defaults to 32-bit operands (REX.W: 64,
 * 66: 16; REX.W wins) and 64-bit addresses (67: 32); 32- and 16-bit modes
 * default to their own size and 66/67 select the other one. A REX prefix
 * counts only right before the opcode; with any REX, byte registers 4-7 are
 * SPL/BPL/SIL/DIL instead of AH/CH/DH/BH.
 */
#include <string.h>
#include "emu.h"

#define REX_B	0x1
#define REX_X	0x2
#define REX_R	0x4
#define REX_W	0x8

struct emu_dec {
	struct emu_cpu *cpu;
	struct emu_insn *in;
	unsigned int pos;
	uint8_t rex;
	int8_t segov;
	uint8_t modrm;
};

static int emu_byte(struct emu_dec *d, uint8_t *b)
{
	int rc;

	if (d->pos >= EMU_MAX_INSN)
		return whv_emu_unsupported(d->cpu);	/* the CPU raises #GP */
	if (d->pos >= d->cpu->ilen) {
		rc = whv_emu_fetch(d->cpu, d->pos + 1);
		if (rc)
			return rc;
	}
	*b = d->cpu->ibytes[d->pos++];
	return EMU_OK;
}

/* A little-endian immediate or displacement of @size bytes, sign-extended. */
static int emu_imm(struct emu_dec *d, unsigned int size, uint64_t *v)
{
	const struct emu_cpu *cpu = d->cpu;
	uint64_t x = 0;
	unsigned int i;
	uint8_t b = 0;
	int rc;

	/* Usually all there already: the exit brings 16 bytes (x86: LE). */
	if (d->pos + size <= cpu->ilen && d->pos + size <= EMU_MAX_INSN) {
		const uint8_t *p = &cpu->ibytes[d->pos];

		if (size == 1)
			x = p[0];
		else if (size == 2)
			memcpy(&x, p, 2);
		else if (size == 4)
			memcpy(&x, p, 4);
		else
			memcpy(&x, p, 8);
		d->pos += size;
		*v = whv_emu_sext(x, size);
		return EMU_OK;
	}
	*v = 0;
	for (i = 0; i < size; i++) {
		rc = emu_byte(d, &b);
		if (rc)
			return rc;
		*v |= (uint64_t)b << (i * 8);
	}
	*v = whv_emu_sext(*v, size);
	return EMU_OK;
}

static void emu_reg_opnd(struct emu_dec *d, struct emu_operand *o,
			 unsigned int reg, unsigned int size)
{
	o->kind = EMU_OPND_REG;
	o->size = size;
	o->reg = reg;
	if (size == 1 && !d->rex && reg >= 4 && reg < 8) {
		o->reg = reg - 4;
		o->high = true;
	}
}

static int emu_addr16(struct emu_dec *d, unsigned int mod, unsigned int rm)
{
	static const int8_t base[8] = {
		EMU_RBX, EMU_RBX, EMU_RBP, EMU_RBP, EMU_RSI, EMU_RDI, EMU_RBP, EMU_RBX
	};
	static const int8_t index[8] = {
		EMU_RSI, EMU_RDI, EMU_RSI, EMU_RDI, -1, -1, -1, -1
	};
	struct emu_insn *in = d->in;
	uint64_t disp = 0;
	int rc = EMU_OK;

	in->base = base[rm];
	in->index = index[rm];
	if (mod == 0 && rm == 6) {
		in->base = -1;
		rc = emu_imm(d, 2, &disp);
	} else if (mod == 1) {
		rc = emu_imm(d, 1, &disp);
	} else if (mod == 2) {
		rc = emu_imm(d, 2, &disp);
	}
	in->disp = (int64_t)disp;
	if (in->base == EMU_RBP)
		in->seg = EMU_SS;
	return rc;
}

static int emu_addr32(struct emu_dec *d, unsigned int mod, unsigned int rm)
{
	struct emu_insn *in = d->in;
	uint64_t disp = 0;
	uint8_t sib;
	int rc = EMU_OK;

	if (rm == 4) {
		rc = emu_byte(d, &sib);
		if (rc)
			return rc;
		in->scale = sib >> 6;
		in->index = ((sib >> 3) & 7) | (d->rex & REX_X ? 8 : 0);
		if (in->index == EMU_RSP)
			in->index = -1;
		in->base = (sib & 7) | (d->rex & REX_B ? 8 : 0);
		if ((sib & 7) == 5 && mod == 0) {
			in->base = -1;
			mod = 2;	/* disp32 follows */
		}
	} else if (rm == 5 && mod == 0) {
		in->rip_rel = d->cpu->mode == 64;
		mod = 2;
	} else {
		in->base = rm | (d->rex & REX_B ? 8 : 0);
	}
	if (mod == 1)
		rc = emu_imm(d, 1, &disp);
	else if (mod == 2)
		rc = emu_imm(d, 4, &disp);
	in->disp = (int64_t)disp;
	if (in->base == EMU_RSP || in->base == EMU_RBP)
		in->seg = EMU_SS;
	return rc;
}

/*
 * ModRM: the reg field into @reg (with REX.R), the r/m operand into @o of
 * @size bytes (a register, or the memory operand described in the insn).
 */
static int emu_modrm(struct emu_dec *d, struct emu_operand *o,
		     unsigned int size, unsigned int *reg)
{
	unsigned int mod, rm;
	int rc;

	rc = emu_byte(d, &d->modrm);
	if (rc)
		return rc;
	mod = d->modrm >> 6;
	rm = d->modrm & 7;
	*reg = ((d->modrm >> 3) & 7) | (d->rex & REX_R ? 8 : 0);
	if (mod == 3) {
		emu_reg_opnd(d, o, rm | (d->rex & REX_B ? 8 : 0), size);
		return EMU_OK;
	}
	o->kind = EMU_OPND_MEM;
	o->size = size;
	if (d->in->addrsize == 2)
		return emu_addr16(d, mod, rm);
	return emu_addr32(d, mod, rm);
}

/* An immediate of the operand size, at most 4 bytes, sign-extended. */
static int emu_imm_opnd(struct emu_dec *d, struct emu_operand *o,
			unsigned int size, unsigned int bytes)
{
	o->kind = EMU_OPND_IMM;
	o->size = size;
	if (bytes > 4)
		bytes = 4;
	return emu_imm(d, bytes, &o->imm);
}

/* op r/m, reg (@to_rm) or op reg, r/m. */
static int emu_rm_reg(struct emu_dec *d, unsigned int size, bool to_rm)
{
	struct emu_insn *in = d->in;
	struct emu_operand *rmo = to_rm ? &in->dst : &in->src;
	unsigned int reg;
	int rc;

	rc = emu_modrm(d, rmo, size, &reg);
	if (!rc)
		emu_reg_opnd(d, to_rm ? &in->src : &in->dst, reg, size);
	return rc;
}

static int emu_string_op(struct emu_dec *d, enum emu_op op, uint8_t b)
{
	d->in->op = op;
	if (!(b & 1))
		d->in->opsize = 1;
	else if ((op == EMU_OP_INS || op == EMU_OP_OUTS) && d->in->opsize == 8)
		d->in->opsize = 4;	/* ports take at most a dword */
	return EMU_OK;
}

static int emu_two_byte(struct emu_dec *d)
{
	struct emu_insn *in = d->in;
	unsigned int reg;
	uint8_t b = 0;
	int rc;

	rc = emu_byte(d, &b);
	if (rc)
		return rc;
	switch (b) {
	case 0xa3: case 0xab: case 0xb3: case 0xbb:	/* BT/BTS/BTR/BTC Ev, Gv */
		in->op = EMU_OP_BT;
		in->sub = (b >> 3) & 3;
		return emu_rm_reg(d, in->opsize, true);
	case 0xba:					/* BTx Ev, Ib */
		rc = emu_modrm(d, &in->dst, in->opsize, &reg);
		if (rc)
			return rc;
		if ((reg & 7) < 4)
			return whv_emu_unsupported(d->cpu);
		in->op = EMU_OP_BT;
		in->sub = reg & 3;
		return emu_imm_opnd(d, &in->src, 1, 1);
	case 0xb6: case 0xb7: case 0xbe: case 0xbf:	/* MOVZX, MOVSX */
		in->op = b & 8 ? EMU_OP_MOVSX : EMU_OP_MOVZX;
		rc = emu_modrm(d, &in->src, b & 1 ? 2 : 1, &reg);
		if (!rc)
			emu_reg_opnd(d, &in->dst, reg, in->opsize);
		return rc;
	}
	return whv_emu_unsupported(d->cpu);
}

/* F6/F7 and FE/FF: the ModRM reg field picks the operation. */
static int emu_unary_group(struct emu_dec *d, uint8_t b, unsigned int size)
{
	static const uint8_t f6[8] = {
		EMU_OP_TEST, EMU_OP_TEST, EMU_OP_NOT, EMU_OP_NEG, 0xff, 0xff, 0xff, 0xff
	};
	struct emu_insn *in = d->in;
	unsigned int reg;
	int rc;

	rc = emu_modrm(d, &in->dst, size, &reg);
	if (rc)
		return rc;
	reg &= 7;
	if (b >= 0xfe) {
		if (reg > 1)
			return whv_emu_unsupported(d->cpu);
		in->op = reg ? EMU_OP_DEC : EMU_OP_INC;
		return EMU_OK;
	}
	if (f6[reg] == 0xff)
		return whv_emu_unsupported(d->cpu);
	in->op = f6[reg];
	if (in->op == EMU_OP_TEST)
		return emu_imm_opnd(d, &in->src, size, size);
	return EMU_OK;
}

static int emu_one_byte(struct emu_dec *d, uint8_t b)
{
	struct emu_insn *in = d->in;
	unsigned int v = in->opsize, size = b & 1 ? v : 1, reg;
	int rc;

	if (b < 0x40 && (b & 7) < 6) {			/* ADD..CMP */
		in->op = EMU_OP_ALU;
		in->sub = b >> 3;
		if ((b & 7) < 4)
			return emu_rm_reg(d, size, !(b & 2));
		emu_reg_opnd(d, &in->dst, EMU_RAX, size);
		return emu_imm_opnd(d, &in->src, size, size);
	}
	switch (b) {
	case 0x63:					/* MOVSXD Gv, Ed */
		if (d->cpu->mode != 64)
			break;				/* ARPL */
		in->op = EMU_OP_MOVSX;
		rc = emu_modrm(d, &in->src, v == 8 ? 4 : v, &reg);
		if (!rc)
			emu_reg_opnd(d, &in->dst, reg, v);
		return rc;
	case 0x82:			/* an alias of 80 outside 64-bit mode */
		if (d->cpu->mode == 64)
			break;
		/* fall through */
	case 0x80: case 0x81: case 0x83:		/* group 1 */
		in->op = EMU_OP_ALU;
		rc = emu_modrm(d, &in->dst, size, &reg);
		if (rc)
			return rc;
		in->sub = reg & 7;
		return emu_imm_opnd(d, &in->src, size, b == 0x81 ? size : 1);
	case 0x84: case 0x85:
		in->op = EMU_OP_TEST;
		return emu_rm_reg(d, size, true);
	case 0x86: case 0x87:
		in->op = EMU_OP_XCHG;
		return emu_rm_reg(d, size, true);
	case 0x88: case 0x89: case 0x8a: case 0x8b:
		in->op = EMU_OP_MOV;
		return emu_rm_reg(d, size, !(b & 2));
	case 0xa0: case 0xa1: case 0xa2: case 0xa3: {	/* MOV with moffs */
		struct emu_operand *mem = b & 2 ? &in->dst : &in->src;
		uint64_t off;

		in->op = EMU_OP_MOV;
		rc = emu_imm(d, in->addrsize, &off);
		in->disp = (int64_t)off;	/* whv_emu_ea() truncates it */
		mem->kind = EMU_OPND_MEM;
		mem->size = size;
		emu_reg_opnd(d, b & 2 ? &in->src : &in->dst, EMU_RAX, size);
		return rc;
	}
	case 0xa8: case 0xa9:
		in->op = EMU_OP_TEST;
		emu_reg_opnd(d, &in->dst, EMU_RAX, size);
		return emu_imm_opnd(d, &in->src, size, size);
	case 0xa4: case 0xa5:
		return emu_string_op(d, EMU_OP_MOVS, b);
	case 0xa6: case 0xa7:
		return emu_string_op(d, EMU_OP_CMPS, b);
	case 0xaa: case 0xab:
		return emu_string_op(d, EMU_OP_STOS, b);
	case 0xac: case 0xad:
		return emu_string_op(d, EMU_OP_LODS, b);
	case 0xae: case 0xaf:
		return emu_string_op(d, EMU_OP_SCAS, b);
	case 0x6c: case 0x6d:
		return emu_string_op(d, EMU_OP_INS, b);
	case 0x6e: case 0x6f:
		return emu_string_op(d, EMU_OP_OUTS, b);
	case 0xc6: case 0xc7:
		rc = emu_modrm(d, &in->dst, size, &reg);
		if (rc)
			return rc;
		if (reg & 7)
			break;
		in->op = EMU_OP_MOV;
		return emu_imm_opnd(d, &in->src, size, size);
	case 0xe4: case 0xe5: case 0xe6: case 0xe7:	/* IN/OUT with imm8 */
		in->op = b & 2 ? EMU_OP_OUT : EMU_OP_IN;
		in->opsize = b & 1 ? (v == 2 ? 2 : 4) : 1;
		return emu_imm_opnd(d, &in->src, 1, 1);
	case 0xec: case 0xed: case 0xee: case 0xef:	/* IN/OUT with DX */
		in->op = b & 2 ? EMU_OP_OUT : EMU_OP_IN;
		in->opsize = b & 1 ? (v == 2 ? 2 : 4) : 1;
		return EMU_OK;
	case 0xf6: case 0xf7: case 0xfe: case 0xff:
		return emu_unary_group(d, b, size);
	}
	return whv_emu_unsupported(d->cpu);
}

/* LOCK is legal only on these read-modify-write forms with a memory target. */
static bool emu_lock_ok(const struct emu_insn *in)
{
	if (in->dst.kind != EMU_OPND_MEM)
		return false;
	switch (in->op) {
	case EMU_OP_ALU:
		return in->sub != EMU_CMP;
	case EMU_OP_BT:
		return in->sub != EMU_BT;
	case EMU_OP_INC: case EMU_OP_DEC: case EMU_OP_NOT: case EMU_OP_NEG:
	case EMU_OP_XCHG:
		return true;
	}
	return false;
}

int whv_emu_decode(struct emu_cpu *cpu, struct emu_insn *in)
{
	struct emu_dec d = { .cpu = cpu, .in = in, .segov = -1 };
	bool opsz = false, adsz = false;
	unsigned int def;
	uint8_t b = 0;
	int rc;

	memset(in, 0, sizeof(*in));
	in->base = in->index = -1;
	in->seg = EMU_DS;
	for (;;) {
		rc = emu_byte(&d, &b);
		if (rc)
			return rc;
		if (cpu->mode == 64 && (b & 0xf0) == 0x40) {
			d.rex = b;
			continue;
		}
		switch (b) {
		case 0x66:
			opsz = true;
			break;
		case 0x67:
			adsz = true;
			break;
		case 0xf0:
			in->lock = true;
			break;
		case 0xf2: case 0xf3:
			in->rep = b;
			break;
		case 0x26: case 0x2e: case 0x36: case 0x3e:
			d.segov = (b >> 3) & 3;
			break;
		case 0x64: case 0x65:
			d.segov = b == 0x64 ? EMU_FS : EMU_GS;
			break;
		default:
			goto opcode;
		}
		d.rex = 0;	/* a REX is ignored unless last */
	}
opcode:
	if (cpu->mode == 64) {
		in->opsize = d.rex & REX_W ? 8 : opsz ? 2 : 4;
		in->addrsize = adsz ? 4 : 8;
	} else {
		def = cpu->mode == 32 ? 4 : 2;
		in->opsize = opsz ? 6 - def : def;
		in->addrsize = adsz ? 6 - def : def;
	}
	rc = b == 0x0f ? emu_two_byte(&d) : emu_one_byte(&d, b);
	if (rc)
		return rc;
	if (d.segov >= 0)
		in->seg = d.segov;
	if (in->lock && !emu_lock_ok(in))
		return whv_emu_unsupported(cpu);		/* #UD on a CPU */
	in->len = d.pos;
	return EMU_OK;
}
