// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Integer arithmetic with the status flags (CF PF AF ZF SF OF) exactly as an
 * x86 CPU computes them. Operands are @size bytes wide (1, 2, 4 or 8); the
 * carry and overflow come from the classic bitwise formulas on the top bit,
 * which also hold with a carry/borrow in.
 */
#include "emu.h"

/* ZF, SF and PF of a result; PF looks at the low byte only. */
static uint64_t emu_szp(uint64_t r, unsigned int size)
{
	uint64_t f = 0;

	r &= whv_emu_mask(size);
	if (!r)
		f |= EMU_ZF;
	if ((r >> (size * 8 - 1)) & 1)
		f |= EMU_SF;
	if (!__builtin_parity((unsigned int)(r & 0xff)))
		f |= EMU_PF;
	return f;
}

void whv_emu_logic_flags(uint64_t r, unsigned int size, uint64_t *rflags)
{
	/* CF and OF are cleared; AF is undefined and cleared, as CPUs do. */
	*rflags = (*rflags & ~EMU_ARITH) | emu_szp(r, size);
}

uint64_t whv_emu_alu(enum emu_alu op, uint64_t a, uint64_t b, unsigned int size,
		     uint64_t *rflags)
{
	unsigned int top = size * 8 - 1;
	uint64_t m = whv_emu_mask(size), c = 0, r, f;

	a &= m;
	b &= m;
	switch (op) {
	case EMU_ADC:
		c = *rflags & EMU_CF;
		/* fall through */
	case EMU_ADD:
		r = (a + b + c) & m;
		f = (((a & b) | ((a | b) & ~r)) >> top) & 1 ? EMU_CF : 0;
		if ((((a ^ r) & (b ^ r)) >> top) & 1)
			f |= EMU_OF;
		break;
	case EMU_SBB:
		c = *rflags & EMU_CF;
		/* fall through */
	case EMU_SUB:
	case EMU_CMP:
		r = (a - b - c) & m;
		f = (((~a & b) | ((~a | b) & r)) >> top) & 1 ? EMU_CF : 0;
		if ((((a ^ b) & (a ^ r)) >> top) & 1)
			f |= EMU_OF;
		break;
	case EMU_AND:
		r = a & b;
		whv_emu_logic_flags(r, size, rflags);
		return r;
	case EMU_OR:
		r = a | b;
		whv_emu_logic_flags(r, size, rflags);
		return r;
	default:
		r = a ^ b;
		whv_emu_logic_flags(r, size, rflags);
		return r;
	}
	if ((a ^ b ^ r) & 0x10)
		f |= EMU_AF;
	*rflags = (*rflags & ~EMU_ARITH) | f | emu_szp(r, size);
	return r;
}

/* INC and DEC: ADD/SUB 1 that leave CF alone. */
uint64_t whv_emu_incdec(bool dec, uint64_t a, unsigned int size, uint64_t *rflags)
{
	uint64_t cf = *rflags & EMU_CF, r;

	r = whv_emu_alu(dec ? EMU_SUB : EMU_ADD, a, 1, size, rflags);
	*rflags = (*rflags & ~EMU_CF) | cf;
	return r;
}

/* NEG is 0 - a: CF is set unless a is 0, which the borrow formula gives. */
uint64_t whv_emu_neg(uint64_t a, unsigned int size, uint64_t *rflags)
{
	return whv_emu_alu(EMU_SUB, 0, a, size, rflags);
}
