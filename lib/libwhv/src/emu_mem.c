// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Guest memory and ports as the emulated instruction sees them:
 * segmentation (limits, types, canonical addresses), GVA -> GPA translation
 * through the TranslateGvaPage callback, the Memory and IoPort callbacks,
 * and instruction fetch.
 *
 * Translation. The callback gets the 4 KiB-aligned GVA of each page touched
 * and WHvTranslateGva flags: ValidateRead, ValidateWrite (both for a
 * read-modify-write, checked before the read), or ValidateExecute for
 * instruction bytes, always with SetPageTableBits so the guest's accessed
 * and dirty bits end up as the CPU would leave them. Per Microsoft's docs
 * the callback answers with what WHvTranslateGva returned
 * (learn.microsoft.com/virtualization/api/hypervisor-instruction-emulator/
 * funcs/whvemulatortranslategvapagecallback):
 *  - Success: use the GPA.
 *  - GpaUnmapped, GpaNoReadAccess, GpaNoWriteAccess, GpaIllegalOverlayAccess:
 *    the guest page walk succeeded and the GPA is simply not ordinary RAM,
 *    which is exactly where MMIO lives; the access goes to the Memory
 *    callback, which decides.
 *  - PageNotPresent, PrivilegeViolation, InvalidPageTableFlags: the guest's
 *    own page tables refuse the access, so the guest gets the #PF a CPU
 *    would raise (error code P/W/U/RSVD/I, CR2 = the address). WHvTranslateGva's
 *    docs say this fault "needs to be injected into the virtual processor by
 *    the virtualization stack", and Microsoft's OpenVMM emulator does the
 *    same (vmm_core/virt_support_x86emu/src/emulate.rs).
 *  - Intercept or anything else: nothing usable came back; the call fails
 *    with TranslateGvaPageCallbackFailed, as for a failing HRESULT.
 * A GPA that is not page aligned fails the call with
 * TranslateGvaPageCallbackGpaIsNotAligned, as the docs require.
 * Translations are remembered for the rest of the call (a few pages).
 *
 * Accesses. A data access that crosses a page boundary is translated page by
 * page, both pages before any callback, then made as one Memory callback per
 * page (Microsoft's example: movq [0xffe], rax is 2 bytes then 6 bytes).
 */
#include <string.h>
#include "emu.h"

#define PF_P	0x01u
#define PF_W	0x02u
#define PF_U	0x04u
#define PF_RSVD	0x08u
#define PF_I	0x10u

int whv_emu_fault(struct emu_cpu *cpu, uint8_t vector, uint32_t error)
{
	cpu->fault.vector = vector;
	cpu->fault.has_error = true;	/* #SS, #GP and #PF all push one */
	cpu->fault.error = error;
	return EMU_FAULT;
}

static bool emu_canonical(const struct emu_cpu *cpu, uint64_t la)
{
	unsigned int bits = (cpu->cr4 & (1ull << 12)) ? 57 : 48;	/* LA57 */

	return (uint64_t)((int64_t)(la << (64 - bits)) >> (64 - bits)) == la;
}

/*
 * The linear address of seg:off for @size bytes, after the checks the CPU
 * makes first: limit, type and presence outside 64-bit mode (not in real or
 * virtual-8086 mode, where only the limit counts), canonical form in 64-bit
 * mode. Violations are #GP(0), or #SS(0) for the stack segment.
 */
static int emu_linear(struct emu_cpu *cpu, unsigned int seg, uint64_t off,
		      unsigned int size, enum emu_access acc, uint64_t *la)
{
	uint8_t vec = seg == EMU_SS ? EMU_VEC_SS : EMU_VEC_GP;
	const WHV_X64_SEGMENT_REGISTER *s = &cpu->seg[seg];
	bool code, write = acc == EMU_WRITE || acc == EMU_RMW;
	uint64_t last = off + size - 1, upper;
	int rc;

	rc = whv_emu_load(cpu, EMU_LD_SEG(seg) | (cpu->mode == 64 ? EMU_LD_CR4 : 0));
	if (rc)
		return rc;
	if (cpu->mode == 64) {
		*la = off;
		if (seg == EMU_FS || seg == EMU_GS)
			*la += s->Base;
		if (!emu_canonical(cpu, *la) || !emu_canonical(cpu, *la + size - 1))
			return whv_emu_fault(cpu, vec, 0);
		return EMU_OK;
	}
	code = s->SegmentType & 8;
	if (cpu->pe && !(cpu->rflags & EMU_VM)) {
		if (!s->Present || !s->NonSystemSegment)
			return whv_emu_fault(cpu, vec, 0);
		/* Writable data only; code is never writable, maybe not readable. */
		if (write && (code || !(s->SegmentType & 2)))
			return whv_emu_fault(cpu, vec, 0);
		if (!write && code && !(s->SegmentType & 2))
			return whv_emu_fault(cpu, vec, 0);
		if (!code && (s->SegmentType & 4)) {
			/* Expand-down: valid offsets are limit+1 .. 64K or 4G. */
			upper = s->Default ? 0xffffffffull : 0xffffull;
			if (off <= s->Limit || last > upper)
				return whv_emu_fault(cpu, vec, 0);
			*la = (s->Base + off) & 0xffffffffull;
			return EMU_OK;
		}
	}
	if (last > s->Limit)
		return whv_emu_fault(cpu, vec, 0);
	*la = (s->Base + off) & 0xffffffffull;
	return EMU_OK;
}

static uint32_t emu_xlate_flags(enum emu_access acc)
{
	switch (acc) {
	case EMU_READ:
		return WHvTranslateGvaFlagValidateRead;
	case EMU_WRITE:
		return WHvTranslateGvaFlagValidateWrite;
	case EMU_RMW:
		return WHvTranslateGvaFlagValidateRead |
		       WHvTranslateGvaFlagValidateWrite;
	default:
		return WHvTranslateGvaFlagValidateExecute;
	}
}

void whv_emu_tlb_seed(struct emu_cpu *cpu, uint64_t gva, uint64_t gpa,
		      uint32_t flags)
{
	struct emu_tlb *e = &cpu->tlb[cpu->ntlb++ % EMU_TLB_SIZE];

	/* A writable page is a readable one: x86 has no write-only pages. */
	if (flags & WHvTranslateGvaFlagValidateWrite)
		flags |= WHvTranslateGvaFlagValidateRead;
	e->gva = gva & EMU_PAGE_MASK;
	e->gpa = gpa & EMU_PAGE_MASK;
	e->flags = flags;
}

static int emu_page_fault(struct emu_cpu *cpu, uint64_t la, uint32_t error,
			  enum emu_access acc)
{
	if (acc == EMU_WRITE || acc == EMU_RMW)
		error |= PF_W;
	/* I/D is reported only where fetches are checked: EFER.NXE or CR4.SMEP. */
	if (acc == EMU_FETCH) {
		if (whv_emu_load(cpu, EMU_LD_CR4 | EMU_LD_EFER))
			return EMU_FAIL;
		if ((cpu->efer & (1ull << 11)) || (cpu->cr4 & (1ull << 20)))
			error |= PF_I;
	}
	if (cpu->cpl == 3)
		error |= PF_U;
	cpu->fault.cr2 = la;
	return whv_emu_fault(cpu, EMU_VEC_PF, error);
}

static int emu_translate(struct emu_cpu *cpu, uint64_t la, enum emu_access acc,
			 uint64_t *gpa)
{
	uint32_t want = emu_xlate_flags(acc);
	WHV_TRANSLATE_GVA_RESULT_CODE res = WHvTranslateGvaResultSuccess;
	WHV_GUEST_PHYSICAL_ADDRESS page = 0;
	unsigned int i, n = cpu->ntlb < EMU_TLB_SIZE ? cpu->ntlb : EMU_TLB_SIZE;
	HRESULT hr;

	for (i = 0; i < n; i++) {
		if (cpu->tlb[i].gva == (la & EMU_PAGE_MASK) &&
		    (cpu->tlb[i].flags & want) == want) {
			*gpa = cpu->tlb[i].gpa | (la & ~EMU_PAGE_MASK);
			return EMU_OK;
		}
	}
	hr = cpu->cb->WHvEmulatorTranslateGvaPage(cpu->ctx, la & EMU_PAGE_MASK,
			(WHV_TRANSLATE_GVA_FLAGS)(want | WHvTranslateGvaFlagSetPageTableBits),
			&res, &page);
	if (FAILED(hr)) {
		cpu->status.TranslateGvaPageCallbackFailed = 1;
		return EMU_FAIL;
	}
	switch (res) {
	case WHvTranslateGvaResultSuccess:
	case WHvTranslateGvaResultGpaUnmapped:
	case WHvTranslateGvaResultGpaNoReadAccess:
	case WHvTranslateGvaResultGpaNoWriteAccess:
	case WHvTranslateGvaResultGpaIllegalOverlayAccess:
		break;
	case WHvTranslateGvaResultPageNotPresent:
		return emu_page_fault(cpu, la, 0, acc);
	case WHvTranslateGvaResultPrivilegeViolation:
		return emu_page_fault(cpu, la, PF_P, acc);
	case WHvTranslateGvaResultInvalidPageTableFlags:
		return emu_page_fault(cpu, la, PF_P | PF_RSVD, acc);
	default:
		cpu->status.TranslateGvaPageCallbackFailed = 1;
		return EMU_FAIL;
	}
	if (page & ~EMU_PAGE_MASK) {
		cpu->status.TranslateGvaPageCallbackGpaIsNotAligned = 1;
		return EMU_FAIL;
	}
	whv_emu_tlb_seed(cpu, la, page, want);
	*gpa = page | (la & ~EMU_PAGE_MASK);
	return EMU_OK;
}

static int emu_memory_cb(struct emu_cpu *cpu, uint64_t gpa, bool write,
			 uint8_t *buf, unsigned int n)
{
	WHV_EMULATOR_MEMORY_ACCESS_INFO mi;

	memset(&mi, 0, sizeof(mi));
	mi.GpaAddress = gpa;
	mi.Direction = write;
	mi.AccessSize = n;
	if (write)
		memcpy(mi.Data, buf, n);
	if (FAILED(cpu->cb->WHvEmulatorMemoryCallback(cpu->ctx, &mi))) {
		cpu->status.MemoryCallbackFailed = 1;
		return EMU_FAIL;
	}
	if (!write)
		memcpy(buf, mi.Data, n);
	return EMU_OK;
}

/* Where the (at most two) pieces of an access go. */
struct emu_span {
	unsigned int n[2];
	uint64_t gpa[2];
};

static int emu_map(struct emu_cpu *cpu, unsigned int seg, uint64_t off,
		   unsigned int size, enum emu_access acc, struct emu_span *sp)
{
	uint64_t la = 0, la2;
	int rc;

	rc = emu_linear(cpu, seg, off, size, acc, &la);
	if (rc)
		return rc;
	sp->n[0] = EMU_PAGE_SIZE - (la & ~EMU_PAGE_MASK);
	if (sp->n[0] > size)
		sp->n[0] = size;
	sp->n[1] = size - sp->n[0];
	rc = emu_translate(cpu, la, acc, &sp->gpa[0]);
	if (rc || !sp->n[1])
		return rc;
	la2 = la + sp->n[0];
	if (cpu->mode != 64)
		la2 &= 0xffffffffull;
	return emu_translate(cpu, la2, acc, &sp->gpa[1]);
}

static int emu_access(struct emu_cpu *cpu, unsigned int seg, uint64_t off,
		      uint8_t *buf, unsigned int size, enum emu_access acc)
{
	bool write = acc == EMU_WRITE;
	struct emu_span sp;
	int rc;

	rc = emu_map(cpu, seg, off, size, acc, &sp);
	if (!rc)
		rc = emu_memory_cb(cpu, sp.gpa[0], write, buf, sp.n[0]);
	if (!rc && sp.n[1])
		rc = emu_memory_cb(cpu, sp.gpa[1], write, buf + sp.n[0], sp.n[1]);
	return rc;
}

/* @acc is EMU_READ, or EMU_RMW when the same bytes are written next. */
int whv_emu_read(struct emu_cpu *cpu, unsigned int seg, uint64_t off, void *buf,
		 unsigned int size, enum emu_access acc)
{
	memset(buf, 0, size);
	return emu_access(cpu, seg, off, buf, size, acc);
}

int whv_emu_write(struct emu_cpu *cpu, unsigned int seg, uint64_t off,
		  const void *buf, unsigned int size)
{
	uint8_t tmp[8];

	memcpy(tmp, buf, size);
	return emu_access(cpu, seg, off, tmp, size, EMU_WRITE);
}

/* Would a write fault? Checked before a port read or source read whose
 * side effects must not happen twice when the write then faults.
 */
int whv_emu_check_write(struct emu_cpu *cpu, unsigned int seg, uint64_t off,
			unsigned int size)
{
	struct emu_span sp;

	return emu_map(cpu, seg, off, size, EMU_WRITE, &sp);
}

int whv_emu_port(struct emu_cpu *cpu, bool out, uint16_t port, unsigned int size,
		 uint32_t *data)
{
	WHV_EMULATOR_IO_ACCESS_INFO io;
	uint32_t mask = (uint32_t)whv_emu_mask(size);

	memset(&io, 0, sizeof(io));
	io.Direction = out;
	io.Port = port;
	io.AccessSize = size;
	if (out)
		io.Data = *data & mask;
	if (FAILED(cpu->cb->WHvEmulatorIoPortCallback(cpu->ctx, &io))) {
		cpu->status.IoPortCallbackFailed = 1;
		return EMU_FAIL;
	}
	if (!out)
		*data = io.Data & mask;
	return EMU_OK;
}

/*
 * Make at least @need instruction bytes available. Bytes the exit context did
 * not carry are read at CS:RIP through translation (ValidateExecute) and the
 * Memory callback, as Microsoft's docs describe, up to 8 bytes per callback
 * and never past the end of the current page or the CS limit, so no page the
 * instruction does not reach is touched.
 */
int whv_emu_fetch(struct emu_cpu *cpu, unsigned int need)
{
	const WHV_X64_SEGMENT_REGISTER *cs = &cpu->seg[EMU_CS];
	uint64_t off, la, gpa, room;
	unsigned int n;
	int rc;

	while (cpu->ilen < need) {
		off = cpu->rip + cpu->ilen;
		n = EMU_MAX_INSN - cpu->ilen;
		if (cpu->mode == 64) {
			la = off;
			if (!emu_canonical(cpu, la))
				return whv_emu_fault(cpu, EMU_VEC_GP, 0);
		} else {
			off &= cpu->mode == 32 ? 0xffffffffull : 0xffffull;
			if (off > cs->Limit)
				return whv_emu_fault(cpu, EMU_VEC_GP, 0);
			room = cs->Limit - off + 1;
			if (n > room)
				n = room;
			la = (cs->Base + off) & 0xffffffffull;
		}
		room = EMU_PAGE_SIZE - (la & ~EMU_PAGE_MASK);
		if (n > room)
			n = room;
		if (n > 8)
			n = 8;
		rc = emu_translate(cpu, la, EMU_FETCH, &gpa);
		if (!rc)
			rc = emu_memory_cb(cpu, gpa, false, cpu->ibytes + cpu->ilen, n);
		if (rc)
			return rc;
		cpu->ilen += n;
	}
	return EMU_OK;
}
