// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Execution of the non-string instructions: MOV/MOVZX/MOVSX(D), the ALU
 * group, TEST, INC/DEC/NOT/NEG, XCHG and BT/BTS/BTR/BTC.
 *
 * Memory operands are accessed exactly as the CPU does: a store only writes,
 * a load or a compare only reads, a read-modify-write reads (translated for
 * writing, so a read-only page faults before the read) then writes. LOCK
 * cannot make the callbacks atomic; a VMM that needs atomic MMIO must
 * serialise in its Memory callback.
 */
#include <string.h>
#include "emu.h"

uint64_t whv_emu_get_reg(const struct emu_cpu *cpu, unsigned int reg, bool high,
			 unsigned int size)
{
	if (high)
		return (cpu->gpr[reg] >> 8) & 0xff;
	return cpu->gpr[reg] & whv_emu_mask(size);
}

/* 8- and 16-bit writes keep the rest of the register; 32-bit ones clear it. */
void whv_emu_set_reg(struct emu_cpu *cpu, unsigned int reg, bool high,
		     unsigned int size, uint64_t v)
{
	uint64_t *r = &cpu->gpr[reg];

	if (high)
		*r = (*r & ~0xff00ull) | (v & 0xff) << 8;
	else if (size < 4)
		*r = (*r & ~whv_emu_mask(size)) | (v & whv_emu_mask(size));
	else
		*r = v & whv_emu_mask(size);
	cpu->dirty |= 1u << reg;
}

void whv_emu_set_flags(struct emu_cpu *cpu, uint64_t rflags)
{
	cpu->rflags = rflags;
	cpu->dirty |= EMU_DIRTY_RFLAGS;
}

uint64_t whv_emu_ea(const struct emu_cpu *cpu, const struct emu_insn *in)
{
	uint64_t ea = (uint64_t)in->disp;

	if (in->base >= 0)
		ea += cpu->gpr[in->base];
	if (in->index >= 0)
		ea += cpu->gpr[in->index] << in->scale;
	if (in->rip_rel)
		ea += cpu->rip + in->len;
	return ea & whv_emu_mask(in->addrsize);
}

static int emu_opnd_read(struct emu_cpu *cpu, const struct emu_insn *in,
			 const struct emu_operand *o, uint64_t ea, uint64_t *v,
			 enum emu_access acc)
{
	int rc;

	switch (o->kind) {
	case EMU_OPND_REG:
		*v = whv_emu_get_reg(cpu, o->reg, o->high, o->size);
		return EMU_OK;
	case EMU_OPND_IMM:
		*v = o->imm & whv_emu_mask(o->size);
		return EMU_OK;
	}
	*v = 0;		/* little-endian host: the bytes are the value */
	rc = whv_emu_read(cpu, in->seg, ea, v, o->size, acc);
	return rc;
}

static int emu_opnd_write(struct emu_cpu *cpu, const struct emu_insn *in,
			  const struct emu_operand *o, uint64_t ea, uint64_t v)
{
	if (o->kind == EMU_OPND_REG) {
		whv_emu_set_reg(cpu, o->reg, o->high, o->size, v);
		return EMU_OK;
	}
	return whv_emu_write(cpu, in->seg, ea, &v, o->size);
}

/*
 * BT/BTS/BTR/BTC. With a register bit offset and a memory operand the offset
 * is signed and may reach outside the operand: the CPU accesses the
 * operand-sized unit at ea + (offset >> log2(bits)) * size. With an
 * immediate, or a register operand, the offset is taken modulo the size.
 * Only CF changes; OF/SF/AF/PF are undefined and left as they were, ZF is
 * unaffected.
 */
static int emu_bt(struct emu_cpu *cpu, const struct emu_insn *in, uint64_t ea)
{
	unsigned int size = in->dst.size, bits = size * 8;
	uint64_t off, v, bit, fl;
	int64_t soff;
	int rc;

	rc = emu_opnd_read(cpu, in, &in->src, ea, &off, EMU_READ);
	if (rc)
		return rc;
	if (in->src.kind == EMU_OPND_REG && in->dst.kind == EMU_OPND_MEM) {
		soff = (int64_t)whv_emu_sext(off, size);
		ea += (uint64_t)((soff >> __builtin_ctz(bits)) * (int64_t)size);
		ea &= whv_emu_mask(in->addrsize);
	}
	off &= bits - 1;
	rc = emu_opnd_read(cpu, in, &in->dst, ea, &v,
			   in->sub == EMU_BT ? EMU_READ : EMU_RMW);
	if (rc)
		return rc;
	bit = 1ull << off;
	fl = (cpu->rflags & ~EMU_CF) | (v & bit ? EMU_CF : 0);
	switch (in->sub) {
	case EMU_BTS:
		v |= bit;
		break;
	case EMU_BTR:
		v &= ~bit;
		break;
	case EMU_BTC:
		v ^= bit;
		break;
	default:
		whv_emu_set_flags(cpu, fl);
		return EMU_OK;
	}
	rc = emu_opnd_write(cpu, in, &in->dst, ea, v);
	if (!rc)
		whv_emu_set_flags(cpu, fl);
	return rc;
}

/* Operations with a destination that is read, maybe written, and flags. */
static int emu_rmw(struct emu_cpu *cpu, const struct emu_insn *in, uint64_t ea)
{
	bool writes = !(in->op == EMU_OP_TEST ||
			(in->op == EMU_OP_ALU && in->sub == EMU_CMP));
	unsigned int size = in->dst.size;
	uint64_t a, b = 0, r, fl = cpu->rflags;
	int rc;

	rc = emu_opnd_read(cpu, in, &in->dst, ea, &a, writes ? EMU_RMW : EMU_READ);
	if (!rc && in->src.kind != EMU_OPND_NONE)
		rc = emu_opnd_read(cpu, in, &in->src, ea, &b, EMU_READ);
	if (rc)
		return rc;
	switch (in->op) {
	case EMU_OP_ALU:
		r = whv_emu_alu(in->sub, a, b, size, &fl);
		break;
	case EMU_OP_TEST:
		r = a & b;
		whv_emu_logic_flags(r, size, &fl);
		break;
	case EMU_OP_INC:
	case EMU_OP_DEC:
		r = whv_emu_incdec(in->op == EMU_OP_DEC, a, size, &fl);
		break;
	case EMU_OP_NEG:
		r = whv_emu_neg(a, size, &fl);
		break;
	default:					/* NOT */
		r = ~a;
		break;
	}
	if (writes) {
		rc = emu_opnd_write(cpu, in, &in->dst, ea, r);
		if (rc)
			return rc;
	}
	if (in->op != EMU_OP_NOT)
		whv_emu_set_flags(cpu, fl);
	return EMU_OK;
}

int whv_emu_execute(struct emu_cpu *cpu, const struct emu_insn *in)
{
	uint64_t ea = whv_emu_ea(cpu, in), v, old;
	int rc;

	switch (in->op) {
	case EMU_OP_MOV:
	case EMU_OP_MOVZX:
	case EMU_OP_MOVSX:
		rc = emu_opnd_read(cpu, in, &in->src, ea, &v, EMU_READ);
		if (rc)
			return rc;
		if (in->op == EMU_OP_MOVSX)
			v = whv_emu_sext(v, in->src.size);
		return emu_opnd_write(cpu, in, &in->dst, ea, v);
	case EMU_OP_XCHG:
		rc = emu_opnd_read(cpu, in, &in->dst, ea, &old, EMU_RMW);
		if (!rc)
			rc = emu_opnd_read(cpu, in, &in->src, ea, &v, EMU_READ);
		if (!rc)
			rc = emu_opnd_write(cpu, in, &in->dst, ea, v);
		if (!rc)
			rc = emu_opnd_write(cpu, in, &in->src, ea, old);
		return rc;
	case EMU_OP_BT:
		return emu_bt(cpu, in, ea);
	case EMU_OP_ALU:
	case EMU_OP_TEST:
	case EMU_OP_INC:
	case EMU_OP_DEC:
	case EMU_OP_NOT:
	case EMU_OP_NEG:
		return emu_rmw(cpu, in, ea);
	}
	return whv_emu_unsupported(cpu);
}
