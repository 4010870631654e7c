// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * WinHvEmulation: WHvEmulatorCreateEmulator, WHvEmulatorDestroyEmulator,
 * WHvEmulatorTryIoEmulation and WHvEmulatorTryMmioEmulation.
 *
 * The contract, from Microsoft's docs (learn.microsoft.com/virtualization/
 * api/hypervisor-instruction-emulator/, funcs/whvemulatortryemulation and
 * the callback pages) and from how QEMU's WHPX accelerator drives it
 * (target/i386/whpx/whpx-all.c), with our choices where the docs are silent:
 *
 * Arguments. WHvEmulatorCreateEmulator wants Callbacks->Size ==
 * sizeof(WHV_EMULATOR_CALLBACKS) and all five callbacks; Reserved is not
 * looked at. Every malformed argument, NULL pointers included, is
 * E_INVALIDARG ("If Emulator, or the instruction context are malformed, this
 * function may return E_INVALIDARG"); so is an instruction context with more
 * than 16 instruction bytes, an I/O size other than 1, 2 or 4, or a memory
 * access type other than read/write/execute. Otherwise a Try* call returns
 * S_OK and the outcome is in *EmulatorReturnStatus.
 *
 * Registers. Each Context is passed back, first, to every callback. An MMIO
 * emulation reads, in one GetVirtualProcessorRegisters call, the GPRs the
 * instruction uses, the segment register of its memory operand and, in
 * 64-bit mode, CR4 (for LA57); a string instruction all of RAX..R15, ES, SS,
 * DS, FS, GS and CR4. RIP, RFLAGS, CS, CPL and the mode
 * (CR0.PE, EFER.LMA, CS.L, CS.D, RFLAGS.VM) come from VpContext. Plain
 * IN/OUT uses RAX and the port from the exit context and reads nothing;
 * string I/O uses the context's RCX/RSI/RDI/DS/ES and reads only what it
 * lacks (a source segment override, CR4 in 64-bit mode). The length comes
 * from decoding, or from VpContext->InstructionLength for plain IN/OUT when
 * it is there.
 *
 * Outcome. On success SetVirtualProcessorRegisters is called once, right
 * before returning, as documented: RIP = VpContext->Rip + length (wrapped to
 * the IP width), the general registers the instruction wrote (RAX for IN and
 * LODS, RSI/RDI/RCX for string instructions, ...), RFLAGS when flags
 * changed or RF had to be cleared. Status is then EmulationSuccessful, and
 * EmulationSuccessful alone. Whatever else goes wrong sets one bit and no
 * register is written: InternalEmulationFailure for an instruction the
 * emulator does not know (decided before any access), the XxxCallbackFailed
 * bit of a callback that returned a failure HRESULT, or
 * TranslateGvaPageCallbackGpaIsNotAligned. Guest memory and ports already
 * accessed stay accessed.
 *
 * Faults. Where the CPU would fault (guest page tables refuse an access, a
 * segment limit, a non-canonical address), the fault is injected the way a
 * VMM would: one set call with WHvRegisterPendingInterruption (exception,
 * vector, error code) plus CR2 for #PF, and the registers as the CPU leaves
 * them (RIP on the instruction, a REP's progress so far). The guest can then
 * run on, so the status is EmulationSuccessful. When the guest cannot take
 * the fault (an event is already pending, or a #PF with CR0.PE clear) the
 * status is GuestCannotBeFaulted and nothing is written. PendingInterruption
 * rather than PendingEvent: both Hyper-V and our kernel take it.
 *
 * InterruptCausedIntercept: an MMIO exit with
 * VpContext->ExecutionState.InterruptionPending set was caused by event
 * delivery (the IDT or the stack in MMIO), not by an instruction; there is
 * nothing to emulate (OpenVMM's emulator gives up the same way).
 *
 * How translation results are used and accesses split: emu_mem.c. REP, and
 * the bound on iterations per call: emu_string.c.
 *
 * The handle holds only the callbacks; every call keeps its state on the
 * stack, so one handle may serve several threads.
 */
#include <stdlib.h>
#include <string.h>
#include "emu.h"

#define WHV_EMU_MAGIC 0x756d6577u	/* "wemu" */

struct whv_emulator {
	uint32_t magic;
	WHV_EMULATOR_CALLBACKS cb;
};

static struct whv_emulator *emu_handle(WHV_EMULATOR_HANDLE h)
{
	struct whv_emulator *e = h;

	return e && e->magic == WHV_EMU_MAGIC ? e : NULL;
}

HRESULT WINAPI WHvEmulatorCreateEmulator(const WHV_EMULATOR_CALLBACKS *Callbacks,
					 WHV_EMULATOR_HANDLE *Emulator)
{
	struct whv_emulator *e;

	if (!Callbacks || !Emulator ||
	    Callbacks->Size != sizeof(WHV_EMULATOR_CALLBACKS) ||
	    !Callbacks->WHvEmulatorIoPortCallback ||
	    !Callbacks->WHvEmulatorMemoryCallback ||
	    !Callbacks->WHvEmulatorGetVirtualProcessorRegisters ||
	    !Callbacks->WHvEmulatorSetVirtualProcessorRegisters ||
	    !Callbacks->WHvEmulatorTranslateGvaPage)
		return E_INVALIDARG;
	e = calloc(1, sizeof(*e));
	if (!e)
		return E_OUTOFMEMORY;
	e->magic = WHV_EMU_MAGIC;
	e->cb = *Callbacks;
	*Emulator = e;
	return S_OK;
}

HRESULT WINAPI WHvEmulatorDestroyEmulator(WHV_EMULATOR_HANDLE Emulator)
{
	struct whv_emulator *e = emu_handle(Emulator);

	if (!e)
		return E_INVALIDARG;
	e->magic = 0;
	free(e);
	return S_OK;
}

int whv_emu_unsupported(struct emu_cpu *cpu)
{
	cpu->status.InternalEmulationFailure = 1;
	return EMU_FAIL;
}

/* The name of each EMU_LD_* bit: RAX..R15, ES..GS, CR4, EFER. */
static const WHV_REGISTER_NAME emu_ld_names[24] = {
	WHvX64RegisterRax, WHvX64RegisterRcx, WHvX64RegisterRdx,
	WHvX64RegisterRbx, WHvX64RegisterRsp, WHvX64RegisterRbp,
	WHvX64RegisterRsi, WHvX64RegisterRdi, WHvX64RegisterR8,
	WHvX64RegisterR9, WHvX64RegisterR10, WHvX64RegisterR11,
	WHvX64RegisterR12, WHvX64RegisterR13, WHvX64RegisterR14,
	WHvX64RegisterR15, WHvX64RegisterEs, WHvX64RegisterCs,
	WHvX64RegisterSs, WHvX64RegisterDs, WHvX64RegisterFs,
	WHvX64RegisterGs, WHvX64RegisterCr4, WHvX64RegisterEfer,
};

/* Fetch the registers of @want not yet known, in one get call. */
int whv_emu_load(struct emu_cpu *cpu, uint32_t want)
{
	WHV_REGISTER_NAME names[24];
	WHV_REGISTER_VALUE vals[24];
	unsigned int i, n = 0;
	uint32_t m;
	HRESULT hr;

	want &= ~cpu->loaded;
	if (!want)
		return EMU_OK;
	for (m = want; m; m &= m - 1)
		names[n++] = emu_ld_names[__builtin_ctz(m)];
	memset(vals, 0, n * sizeof(vals[0]));
	hr = cpu->cb->WHvEmulatorGetVirtualProcessorRegisters(cpu->ctx, names, n, vals);
	if (FAILED(hr)) {
		cpu->status.GetVirtualProcessorRegistersCallbackFailed = 1;
		return EMU_FAIL;
	}
	for (m = want, n = 0; m; m &= m - 1, n++) {
		i = __builtin_ctz(m);
		if (i < 16)
			cpu->gpr[i] = vals[n].Reg64;
		else if (i < 22)
			cpu->seg[i - 16] = vals[n].Segment;
		else if (i == 22)
			cpu->cr4 = vals[n].Reg64;
		else
			cpu->efer = vals[n].Reg64;
	}
	cpu->loaded |= want;
	return EMU_OK;
}

/*
 * Not cleared as a whole: GPRs and segments count only once their bit is
 * in cpu->loaded, TLB entries below ntlb, instruction bytes below ilen.
 * @bytes: the exit context's 16.
 */
static void emu_begin(struct emu_cpu *cpu, const struct whv_emulator *e,
		      void *ctx, const WHV_VP_EXIT_CONTEXT *vp,
		      const UINT8 bytes[16], UINT8 count)
{
	cpu->cb = &e->cb;
	cpu->ctx = ctx;
	cpu->status.AsUINT32 = 0;
	cpu->cr4 = 0;
	cpu->efer = 0;
	cpu->dirty = 0;
	cpu->port = 0;
	cpu->again = false;
	cpu->ntlb = 0;
	memset(&cpu->fault, 0, sizeof(cpu->fault));
	cpu->pe = vp->ExecutionState.Cr0Pe;
	cpu->cpl = vp->ExecutionState.Cpl;
	cpu->rip = vp->Rip;
	cpu->rflags = vp->Rflags;
	cpu->seg[EMU_CS] = vp->Cs;
	cpu->loaded = EMU_LD_SEG(EMU_CS);
	if (vp->ExecutionState.EferLma && vp->Cs.Long)
		cpu->mode = 64;
	else if (cpu->pe && !(cpu->rflags & EMU_VM) && vp->Cs.Default)
		cpu->mode = 32;
	else
		cpu->mode = 16;
	memcpy(cpu->ibytes, bytes, sizeof(cpu->ibytes));
	cpu->ilen = count;
}

/* The set call of a finished emulation, or of a fault to inject. */
static void emu_commit(struct emu_cpu *cpu, const WHV_VP_EXIT_CONTEXT *vp,
		       int rc, unsigned int len)
{
	WHV_REGISTER_NAME names[20];
	WHV_REGISTER_VALUE vals[20];
	WHV_X64_PENDING_INTERRUPTION_REGISTER pi;
	unsigned int i, n = 0;
	uint32_t m;
	HRESULT hr;

	if (rc == EMU_FAIL)
		return;
	if (rc == EMU_FAULT && (vp->ExecutionState.InterruptionPending ||
				(cpu->fault.vector == EMU_VEC_PF && !cpu->pe))) {
		cpu->status.GuestCannotBeFaulted = 1;
		return;
	}
	for (m = cpu->dirty & EMU_LD_GPRS; m; m &= m - 1) {
		i = __builtin_ctz(m);
		names[n] = (WHV_REGISTER_NAME)(WHvX64RegisterRax + i);
		vals[n++].Reg64 = cpu->gpr[i];
	}
	if (rc == EMU_OK && !cpu->again) {
		names[n] = WHvX64RegisterRip;
		vals[n++].Reg64 = (cpu->rip + len) &
				  whv_emu_mask(cpu->mode == 64 ? 8 : cpu->mode / 8);
		if (cpu->rflags & EMU_RF)
			whv_emu_set_flags(cpu, cpu->rflags & ~EMU_RF);
	}
	if (cpu->dirty & EMU_DIRTY_RFLAGS) {
		names[n] = WHvX64RegisterRflags;
		vals[n++].Reg64 = cpu->rflags;
	}
	if (rc == EMU_FAULT) {
		if (cpu->fault.vector == EMU_VEC_PF) {
			names[n] = WHvX64RegisterCr2;
			vals[n++].Reg64 = cpu->fault.cr2;
		}
		memset(&pi, 0, sizeof(pi));
		pi.InterruptionPending = 1;
		pi.InterruptionType = WHvX64PendingException;
		/* Real mode delivers through the IVT: no error code. */
		pi.DeliverErrorCode = cpu->fault.has_error && cpu->pe;
		pi.InterruptionVector = cpu->fault.vector;
		pi.ErrorCode = cpu->fault.error;
		names[n] = WHvRegisterPendingInterruption;
		vals[n++].PendingInterruption = pi;
	}
	/* Every value here is 64 bits wide: its upper half is zero. */
	for (i = 0; i < n; i++)
		vals[i].Reg128.High64 = 0;
	hr = cpu->cb->WHvEmulatorSetVirtualProcessorRegisters(cpu->ctx, names, n, vals);
	if (FAILED(hr)) {
		cpu->status.SetVirtualProcessorRegistersCallbackFailed = 1;
		return;
	}
	cpu->status.EmulationSuccessful = 1;
}

static bool emu_is_port_op(const struct emu_insn *in)
{
	return in->op == EMU_OP_IN || in->op == EMU_OP_OUT ||
	       in->op == EMU_OP_INS || in->op == EMU_OP_OUTS;
}

/*
 * What an MMIO instruction needs, fetched in one get call: the GPRs it
 * reads or merges a result into, the segment of its memory operand and, in
 * 64-bit mode, CR4 (for LA57); a string instruction takes every GPR and
 * segment register.
 */
static uint32_t emu_insn_regs(const struct emu_cpu *cpu,
			      const struct emu_insn *in)
{
	uint32_t want = EMU_LD_SEG(in->seg) |
			(cpu->mode == 64 ? EMU_LD_CR4 : 0);

	if (in->op >= EMU_OP_MOVS)
		return EMU_LD_GPRS | EMU_LD_SEGS | EMU_LD_CR4;
	if (in->base >= 0)
		want |= EMU_LD_GPR(in->base);
	if (in->index >= 0)
		want |= EMU_LD_GPR(in->index);
	if (in->dst.kind == EMU_OPND_REG)
		want |= EMU_LD_GPR(in->dst.reg);
	if (in->src.kind == EMU_OPND_REG)
		want |= EMU_LD_GPR(in->src.reg);
	return want;
}

HRESULT WINAPI WHvEmulatorTryMmioEmulation(WHV_EMULATOR_HANDLE Emulator,
					   VOID *Context,
					   const WHV_VP_EXIT_CONTEXT *VpContext,
					   const WHV_MEMORY_ACCESS_CONTEXT *MmioInstructionContext,
					   WHV_EMULATOR_STATUS *EmulatorReturnStatus)
{
	const WHV_MEMORY_ACCESS_CONTEXT *mc = MmioInstructionContext;
	static const uint32_t xlate[3] = {
		WHvTranslateGvaFlagValidateRead, WHvTranslateGvaFlagValidateWrite,
		WHvTranslateGvaFlagValidateExecute,
	};
	struct whv_emulator *e = emu_handle(Emulator);
	struct emu_cpu cpu;
	struct emu_insn in;
	int rc;

	if (!e || !VpContext || !mc || !EmulatorReturnStatus ||
	    mc->InstructionByteCount > sizeof(mc->InstructionBytes) ||
	    mc->AccessInfo.AccessType > WHvMemoryAccessExecute)
		return E_INVALIDARG;
	EmulatorReturnStatus->AsUINT32 = 0;
	if (VpContext->ExecutionState.InterruptionPending) {
		EmulatorReturnStatus->InterruptCausedIntercept = 1;
		return S_OK;
	}
	emu_begin(&cpu, e, Context, VpContext, mc->InstructionBytes,
		  mc->InstructionByteCount);
	/* The hypervisor already translated the faulting address: reuse it. */
	if (mc->AccessInfo.GvaValid &&
	    !((mc->Gva ^ mc->Gpa) & ~EMU_PAGE_MASK))
		whv_emu_tlb_seed(&cpu, mc->Gva, mc->Gpa, xlate[mc->AccessInfo.AccessType]);
	rc = whv_emu_decode(&cpu, &in);
	if (!rc && emu_is_port_op(&in))
		rc = whv_emu_unsupported(&cpu);	/* no port instruction exits here */
	if (!rc)
		rc = whv_emu_load(&cpu, emu_insn_regs(&cpu, &in));
	if (!rc)
		rc = in.op >= EMU_OP_MOVS ? whv_emu_string(&cpu, &in) :
					    whv_emu_execute(&cpu, &in);
	emu_commit(&cpu, VpContext, rc, in.len);
	*EmulatorReturnStatus = cpu.status;
	return S_OK;
}

/* IN/OUT: the port, size and RAX are all in the exit context. */
static int emu_plain_io(struct emu_cpu *cpu,
			const WHV_X64_IO_PORT_ACCESS_CONTEXT *io,
			unsigned int *len)
{
	unsigned int size = io->AccessInfo.AccessSize;
	uint32_t data = (uint32_t)io->Rax;
	struct emu_insn in;
	int rc;

	if (!*len) {
		rc = whv_emu_decode(cpu, &in);
		if (rc)
			return rc;
		if (in.op != EMU_OP_IN && in.op != EMU_OP_OUT)
			return whv_emu_unsupported(cpu);
		*len = in.len;
	}
	rc = whv_emu_port(cpu, io->AccessInfo.IsWrite, io->PortNumber, size, &data);
	if (!rc && !io->AccessInfo.IsWrite) {
		cpu->gpr[EMU_RAX] = io->Rax;
		whv_emu_set_reg(cpu, EMU_RAX, false, size, data);
	}
	return rc;
}

/* INS/OUTS: decoded for the address size, REP and a segment override. */
static int emu_string_io(struct emu_cpu *cpu,
			 const WHV_X64_IO_PORT_ACCESS_CONTEXT *io,
			 unsigned int *len)
{
	struct emu_insn in;
	uint32_t need;
	int rc;

	rc = whv_emu_decode(cpu, &in);
	if (rc)
		return rc;
	if (in.op != (io->AccessInfo.IsWrite ? EMU_OP_OUTS : EMU_OP_INS) ||
	    in.opsize != io->AccessInfo.AccessSize)
		return whv_emu_unsupported(cpu);
	*len = in.len;
	cpu->port = io->PortNumber;
	cpu->gpr[EMU_RAX] = io->Rax;
	cpu->gpr[EMU_RCX] = io->Rcx;
	cpu->gpr[EMU_RSI] = io->Rsi;
	cpu->gpr[EMU_RDI] = io->Rdi;
	cpu->seg[EMU_DS] = io->Ds;
	cpu->seg[EMU_ES] = io->Es;
	cpu->loaded |= EMU_LD_GPR(EMU_RAX) | EMU_LD_GPR(EMU_RCX) |
		       EMU_LD_GPR(EMU_RSI) | EMU_LD_GPR(EMU_RDI) |
		       EMU_LD_SEG(EMU_DS) | EMU_LD_SEG(EMU_ES);
	need = cpu->mode == 64 ? EMU_LD_CR4 : 0;
	if (in.op == EMU_OP_OUTS)
		need |= EMU_LD_SEG(in.seg);
	rc = whv_emu_load(cpu, need);
	if (!rc)
		rc = whv_emu_string(cpu, &in);
	return rc;
}

HRESULT WINAPI WHvEmulatorTryIoEmulation(WHV_EMULATOR_HANDLE Emulator,
					 VOID *Context,
					 const WHV_VP_EXIT_CONTEXT *VpContext,
					 const WHV_X64_IO_PORT_ACCESS_CONTEXT *IoInstructionContext,
					 WHV_EMULATOR_STATUS *EmulatorReturnStatus)
{
	const WHV_X64_IO_PORT_ACCESS_CONTEXT *io = IoInstructionContext;
	struct whv_emulator *e = emu_handle(Emulator);
	unsigned int size, len;
	struct emu_cpu cpu;
	int rc;

	if (!e || !VpContext || !io || !EmulatorReturnStatus ||
	    io->InstructionByteCount > sizeof(io->InstructionBytes))
		return E_INVALIDARG;
	size = io->AccessInfo.AccessSize;
	if (size != 1 && size != 2 && size != 4)
		return E_INVALIDARG;
	EmulatorReturnStatus->AsUINT32 = 0;
	emu_begin(&cpu, e, Context, VpContext, io->InstructionBytes,
		  io->InstructionByteCount);
	len = VpContext->InstructionLength;
	if (io->AccessInfo.StringOp)
		rc = emu_string_io(&cpu, io, &len);
	else
		rc = emu_plain_io(&cpu, io, &len);
	emu_commit(&cpu, VpContext, rc, len);
	*EmulatorReturnStatus = cpu.status;
	return S_OK;
}
