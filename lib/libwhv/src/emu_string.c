// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * String instructions: MOVS, STOS, LODS, CMPS, SCAS, INS, OUTS, with and
 * without REP/REPE/REPNE.
 *
 * The source is seg:rSI (DS unless overridden), the destination ES:rDI
 * (never overridden); rSI, rDI and the rCX count are as wide as the address
 * size (16-bit writes keep the upper bits, 32-bit ones clear them) and step
 * by the element size, downwards when DF is set. Microsoft's docs say a REP
 * instruction is "internally resolved within the emulator by emulating that
 * instruction multiple times": one iteration after another, each with its
 * own callbacks, registers updated after each, so a fault in iteration n
 * leaves the registers as the CPU would (n-1 iterations done, RIP on the
 * instruction). F2 on MOVS/STOS/LODS/INS/OUTS repeats like F3, as CPUs do.
 *
 * One liberty: after EMU_REP_MAX iterations the call stops and commits the
 * progress with RIP left on the instruction, exactly the state an interrupt
 * between iterations leaves, so the guest resumes the instruction. This
 * bounds the time one call can take with a huge rCX.
 *
 * A destination is checked for writability before the port read (INS) or the
 * source read (MOVS) of the same iteration, so a fault on the destination
 * does not lose a value read from a device.
 */
#include "emu.h"

#define EMU_REP_MAX	65536

static void emu_advance(struct emu_cpu *cpu, const struct emu_insn *in,
			unsigned int reg)
{
	uint64_t step = in->opsize;

	if (cpu->rflags & EMU_DF)
		step = -step;
	whv_emu_set_reg(cpu, reg, false, in->addrsize, cpu->gpr[reg] + step);
}

static int emu_iteration(struct emu_cpu *cpu, const struct emu_insn *in)
{
	unsigned int size = in->opsize;
	uint64_t si = cpu->gpr[EMU_RSI] & whv_emu_mask(in->addrsize);
	uint64_t di = cpu->gpr[EMU_RDI] & whv_emu_mask(in->addrsize);
	uint64_t a = 0, b = 0, fl = cpu->rflags;
	uint32_t port = 0;
	int rc = EMU_OK;

	switch (in->op) {
	case EMU_OP_MOVS:
		rc = whv_emu_check_write(cpu, EMU_ES, di, size);
		if (!rc)
			rc = whv_emu_read(cpu, in->seg, si, &a, size, EMU_READ);
		if (!rc)
			rc = whv_emu_write(cpu, EMU_ES, di, &a, size);
		break;
	case EMU_OP_STOS:
		a = cpu->gpr[EMU_RAX];
		rc = whv_emu_write(cpu, EMU_ES, di, &a, size);
		break;
	case EMU_OP_LODS:
		rc = whv_emu_read(cpu, in->seg, si, &a, size, EMU_READ);
		if (!rc)
			whv_emu_set_reg(cpu, EMU_RAX, false, size, a);
		break;
	case EMU_OP_CMPS:
		rc = whv_emu_read(cpu, in->seg, si, &a, size, EMU_READ);
		if (!rc)
			rc = whv_emu_read(cpu, EMU_ES, di, &b, size, EMU_READ);
		if (!rc) {
			whv_emu_alu(EMU_CMP, a, b, size, &fl);
			whv_emu_set_flags(cpu, fl);
		}
		break;
	case EMU_OP_SCAS:
		rc = whv_emu_read(cpu, EMU_ES, di, &b, size, EMU_READ);
		if (!rc) {
			whv_emu_alu(EMU_CMP, cpu->gpr[EMU_RAX], b, size, &fl);
			whv_emu_set_flags(cpu, fl);
		}
		break;
	case EMU_OP_INS:
		rc = whv_emu_check_write(cpu, EMU_ES, di, size);
		if (!rc)
			rc = whv_emu_port(cpu, false, cpu->port, size, &port);
		if (!rc) {
			a = port;
			rc = whv_emu_write(cpu, EMU_ES, di, &a, size);
		}
		break;
	default:					/* OUTS */
		rc = whv_emu_read(cpu, in->seg, si, &a, size, EMU_READ);
		if (!rc) {
			port = (uint32_t)a;
			rc = whv_emu_port(cpu, true, cpu->port, size, &port);
		}
		break;
	}
	if (rc)
		return rc;
	if (in->op == EMU_OP_MOVS || in->op == EMU_OP_LODS ||
	    in->op == EMU_OP_CMPS || in->op == EMU_OP_OUTS)
		emu_advance(cpu, in, EMU_RSI);
	if (in->op != EMU_OP_LODS && in->op != EMU_OP_OUTS)
		emu_advance(cpu, in, EMU_RDI);
	return EMU_OK;
}

int whv_emu_string(struct emu_cpu *cpu, const struct emu_insn *in)
{
	bool cond = in->op == EMU_OP_CMPS || in->op == EMU_OP_SCAS;
	uint64_t count;
	unsigned int n;
	int rc;

	if (!in->rep)
		return emu_iteration(cpu, in);
	count = cpu->gpr[EMU_RCX] & whv_emu_mask(in->addrsize);
	for (n = 0; count; n++) {
		if (n == EMU_REP_MAX) {
			cpu->again = true;
			return EMU_OK;
		}
		rc = emu_iteration(cpu, in);
		if (rc)
			return rc;
		whv_emu_set_reg(cpu, EMU_RCX, false, in->addrsize, --count);
		/* REPE stops on a difference, REPNE on a match. */
		if (cond && !!(cpu->rflags & EMU_ZF) != (in->rep == 0xf3))
			break;
	}
	return EMU_OK;
}
