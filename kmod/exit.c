// SPDX-License-Identifier: GPL-2.0
/*
 * Encoding of exits into WHV_RUN_VP_EXIT_CONTEXT (struct whv_exit). This is
 * the only place that builds WHv exit structures; the backends report exits
 * in vendor-neutral terms (struct whv_exit_info).
 */
#include <linux/build_bug.h>
#include <linux/string.h>
#include <asm/processor-flags.h>
#include <asm/msr-index.h>
#include <asm/trapnr.h>
#include "whv.h"
#include "fetch.h"

static_assert(sizeof(struct whv_exit) == 224);
static_assert(offsetof(struct whv_exit, vp) == 8);
static_assert(offsetof(struct whv_exit, memory) == 48);
static_assert(sizeof(struct whv_vp_context) == 40);
static_assert(sizeof(struct whv_exit_io) == 96);
static_assert(sizeof(struct whv_exit_memory) == 40);
static_assert(sizeof(struct whv_exit_exception) == 40);
static_assert(sizeof(struct whv_exit_cpuid) == 64);

/* Where the contexts the fast path writes in full end */
#define WHV_EXIT_IO_END		offsetofend(struct whv_exit, io)
#define WHV_EXIT_MEMORY_END	offsetofend(struct whv_exit, memory)

static __always_inline void
whv_fill_vp_context(const struct whv_snapshot *snap, struct whv_exit *ex,
		    u8 insn_len)
{
	const struct whv_run_regs *st = &snap->r;
	struct whv_vp_context *c = &ex->vp;
	u16 es = snap->cpl & WHV_EXEC_CPL_MASK;

	if (st->cr0 & X86_CR0_PE)
		es |= WHV_EXEC_CR0_PE;
	if (st->cr0 & X86_CR0_AM)
		es |= WHV_EXEC_CR0_AM;
	if (st->efer & EFER_LMA)
		es |= WHV_EXEC_EFER_LMA;
	if (snap->dr7 & 0xff)
		es |= WHV_EXEC_DEBUG_ACTIVE;
	if (snap->pending_event & 1)
		es |= WHV_EXEC_INTERRUPTION_PENDING;
	if (snap->int_shadow)
		es |= WHV_EXEC_INTERRUPT_SHADOW;
	c->execution_state = es;
	c->insn_len_cr8 = (insn_len & 0xf) | (snap->cr8 & 0xf) << 4;
	c->reserved = 0;
	c->reserved2 = 0;
	c->cs = st->seg[WHV_ASEG_CS];
	c->rip = st->rip;
	c->rflags = st->rflags;
}

/*
 * Instruction bytes at CS:RIP, as many as can be read (may be none): those
 * the fast path read at the exit, else read now.
 */
static __always_inline void
whv_fill_insn(struct whv_vp *vp, const struct whv_run_regs *st,
	      const struct whv_exit_info *info, u8 *count, u8 bytes[16])
{
	if (info->insn_count >= 0) {
		*count = info->insn_count;
		memcpy(bytes, info->insn_bytes, 16);
		return;
	}
	*count = whv_fetch_insn(vp, st, bytes, 16);
}

/* A port exit's context but its instruction bytes: every other field. */
static __always_inline void
whv_fill_io(struct whv_vp *vp, const struct whv_run_regs *st,
	    const struct whv_exit_info *info, struct whv_exit_io *io)
{
	memset(io->reserved, 0, sizeof(io->reserved));
	memset(io->reserved2, 0, sizeof(io->reserved2));
	io->access_info = (info->io.write ? WHV_IO_IS_WRITE : 0) |
			  info->io.size << WHV_IO_SIZE_SHIFT |
			  (info->io.string ? WHV_IO_STRING : 0) |
			  (info->io.rep ? WHV_IO_REP : 0);
	io->port = info->io.port;
	io->rax = vp->gpr[WHV_REG_RAX];
	io->rcx = vp->gpr[WHV_REG_RCX];
	io->rsi = vp->gpr[WHV_REG_RSI];
	io->rdi = vp->gpr[WHV_REG_RDI];
	io->ds = st->seg[WHV_ASEG_DS];
	io->es = st->seg[WHV_ASEG_ES];
}

/* A memory exit's context but its instruction bytes: every other field. */
static __always_inline void
whv_fill_memory(const struct whv_run_regs *st,
		const struct whv_exit_info *info, struct whv_exit_memory *m)
{
	bool gva_valid = info->npf.gva_valid;

	memset(m->reserved, 0, sizeof(m->reserved));
	m->gpa = info->npf.gpa;
	m->gva = info->npf.gva;
	/*
	 * Without paging a linear address is the physical one, so the GVA is
	 * known even where the CPU reports none (SVM): an emulator can skip
	 * translating it.
	 */
	if (!gva_valid && !(st->cr0 & X86_CR0_PG)) {
		gva_valid = true;
		m->gva = m->gpa;
	}
	m->access_info = info->npf.access |
			 (info->npf.mapped ? 0 : WHV_MEM_GPA_UNMAPPED) |
			 (gva_valid ? WHV_MEM_GVA_VALID : 0);
}

static void whv_encode_io(struct whv_vp *vp, const struct whv_run_regs *st,
			  const struct whv_exit_info *info, struct whv_exit *ex)
{
	struct whv_exit_io *io = &ex->io;

	whv_fill_insn(vp, st, info, &io->insn_byte_count, io->insn_bytes);
	whv_fill_io(vp, st, info, io);
}

static void whv_encode_memory(struct whv_vp *vp, const struct whv_run_regs *st,
			      const struct whv_exit_info *info,
			      struct whv_exit *ex)
{
	whv_fill_insn(vp, st, info, &ex->memory.insn_byte_count,
		      ex->memory.insn_bytes);
	whv_fill_memory(st, info, &ex->memory);
}

/*
 * Port exits, and memory exits at a page known to be MMIO, go to userspace
 * as they are: the run loop's fast path encodes them right at the exit, in
 * one pass, while interrupts are still off and the instruction fetch reads
 * through its cached page. Every field of the context is written, so only
 * the union's bytes past it are cleared. Returns the exit reason, or 0 when
 * the bytes could not all be read now (@ex half written, vp->snap taken):
 * whv_encode_exit() then tries harder. A memory exit's registers all go
 * out with it (whv_run_page_save()); a port exit's context has its own.
 */
static __always_inline u32 whv_encode_at_exit(struct whv_vp *vp,
					      struct whv_exit_info *info,
					      struct whv_exit *ex, bool port)
{
	const struct whv_run_regs *st = &vp->snap.r;
	size_t end = port ? WHV_EXIT_IO_END : WHV_EXIT_MEMORY_END;
	u32 reason = port ? WHV_EXIT_IO_PORT_ACCESS : WHV_EXIT_MEMORY_ACCESS;

	static_call(whv_snapshot)(vp, &vp->snap,
				  port ? WHV_SNAP_EXIT : WHV_SNAP_ALL);
	info->snapshot_taken = true;
	if (whv_fetch_insn(vp, st, port ? ex->io.insn_bytes :
				  ex->memory.insn_bytes, 16) != 16)
		return 0;
	ex->reason = reason;
	ex->reserved = 0;
	whv_fill_vp_context(&vp->snap, ex, info->insn_len);
	if (port) {
		ex->io.insn_byte_count = 16;
		whv_fill_io(vp, st, info, &ex->io);
	} else {
		ex->memory.insn_byte_count = 16;
		whv_fill_memory(st, info, &ex->memory);
	}
	memset((u8 *)ex + end, 0, sizeof(*ex) - end);
	return reason;
}

u32 whv_encode_port_exit(struct whv_vp *vp, struct whv_exit_info *info,
			 struct whv_exit *ex)
{
	return whv_encode_at_exit(vp, info, ex, true);
}

u32 whv_encode_mmio_exit(struct whv_vp *vp, struct whv_exit_info *info,
			 struct whv_exit *ex)
{
	info->npf.mapped = false;
	return whv_encode_at_exit(vp, info, ex, false);
}

static void whv_encode_exception(struct whv_vp *vp,
				 const struct whv_run_regs *st,
				 const struct whv_exit_info *info,
				 struct whv_exit *ex)
{
	struct whv_exit_exception *e = &ex->exception;
	u8 v = info->exc.vector;

	whv_fill_insn(vp, st, info, &e->insn_byte_count, e->insn_bytes);
	e->type = v;
	e->exception_info = info->exc.has_error ? WHV_EXC_ERROR_CODE_VALID : 0;
	if (v == X86_TRAP_BP || v == X86_TRAP_OF)
		e->exception_info |= WHV_EXC_SOFTWARE;
	e->error_code = info->exc.error;
	e->parameter = info->exc.param;
}

static void whv_encode_cpuid(struct whv_vp *vp, struct whv_exit *ex)
{
	struct whv_exit_cpuid *c = &ex->cpuid;
	u32 r[4];

	c->rax = vp->gpr[WHV_REG_RAX];
	c->rcx = vp->gpr[WHV_REG_RCX];
	c->rdx = vp->gpr[WHV_REG_RDX];
	c->rbx = vp->gpr[WHV_REG_RBX];
	whv_cpuid_default(vp, (u32)c->rax, (u32)c->rcx, r);
	c->default_rax = r[0];
	c->default_rbx = r[1];
	c->default_rcx = r[2];
	c->default_rdx = r[3];
}

int whv_encode_exit(struct whv_vp *vp, const struct whv_exit_info *info,
		    struct whv_exit *ex)
{
	bool trap = info->kind == WHV_KEXIT_APIC_EOI ||
		    info->kind == WHV_KEXIT_APIC_INIT_SIPI;
	const struct whv_run_regs *st = &vp->snap.r;
	u32 reason;

	memset(ex, 0, sizeof(*ex));
	/*
	 * The registers the context needs, from the backend in one call, and
	 * all of them go out with it (whv_run_page_save). A port exit comes
	 * here with its snapshot taken, when the fast path's fetch fell short.
	 */
	if (!info->snapshot_taken)
		static_call(whv_snapshot)(vp, &vp->snap, WHV_SNAP_ALL);
	/* Trap-like exits come after the instruction: no length to add. */
	whv_fill_vp_context(&vp->snap, ex, trap ? 0 : info->insn_len);
	switch (info->kind) {
	case WHV_KEXIT_IO:
		reason = WHV_EXIT_IO_PORT_ACCESS;
		whv_encode_io(vp, st, info, ex);
		break;
	case WHV_KEXIT_NPF:
		reason = WHV_EXIT_MEMORY_ACCESS;
		whv_encode_memory(vp, st, info, ex);
		break;
	case WHV_KEXIT_CPUID:
		reason = WHV_EXIT_CPUID;
		whv_encode_cpuid(vp, ex);
		break;
	case WHV_KEXIT_RDMSR:
	case WHV_KEXIT_WRMSR:
		reason = WHV_EXIT_MSR_ACCESS;
		ex->msr.access_info = info->kind == WHV_KEXIT_WRMSR ?
				      WHV_MSR_IS_WRITE : 0;
		ex->msr.msr = vp->gpr[WHV_REG_RCX];
		ex->msr.rax = vp->gpr[WHV_REG_RAX];
		ex->msr.rdx = vp->gpr[WHV_REG_RDX];
		break;
	case WHV_KEXIT_EXCEPTION:
		reason = WHV_EXIT_EXCEPTION;
		whv_encode_exception(vp, st, info, ex);
		break;
	case WHV_KEXIT_HLT:
		reason = WHV_EXIT_HALT;
		break;
	case WHV_KEXIT_RDTSC:
		reason = WHV_EXIT_RDTSC;
		ex->rdtsc.virtual_offset =
			whv_backend->read_reg(vp, WHV_AREG_TSC_OFFSET);
		ex->rdtsc.tsc = info->rdtsc.host_tsc + ex->rdtsc.virtual_offset;
		ex->rdtsc.tsc_aux = vp->tsc_aux;
		ex->rdtsc.info = info->rdtsc.rdtscp;
		break;
	case WHV_KEXIT_IRQ_WINDOW:
		reason = WHV_EXIT_INTERRUPT_WINDOW;
		ex->window.deliverable_type = WHV_PENDING_INTERRUPT;
		break;
	case WHV_KEXIT_APIC_EOI:
		reason = WHV_EXIT_APIC_EOI;
		ex->apic_eoi.vector = info->apic.vector;
		break;
	case WHV_KEXIT_APIC_INIT_SIPI:
		reason = WHV_EXIT_APIC_INIT_SIPI;
		ex->apic_init_sipi.icr = info->apic.icr;
		break;
	case WHV_KEXIT_SHUTDOWN:
		reason = WHV_EXIT_UNRECOVERABLE_EXCEPTION;
		break;
	case WHV_KEXIT_INVALID_STATE:
		reason = WHV_EXIT_INVALID_VP_REGISTER_VALUE;
		ex->invalid_state.vm_instruction_error = info->invalid.error;
		ex->invalid_state.vmcs_field = info->invalid.field;
		if (info->invalid.name)
			strscpy(ex->invalid_state.field_name, info->invalid.name,
				sizeof(ex->invalid_state.field_name));
		break;
	case WHV_KEXIT_TASK_SWITCH:
		reason = WHV_EXIT_UNSUPPORTED_FEATURE;
		ex->unsupported.feature_code = WHV_UNSUPPORTED_TASK_SWITCH;
		ex->unsupported.parameter = info->task_switch.param;
		break;
	default:
		/* An intercept the kernel could not complete. */
		reason = WHV_EXIT_UNSUPPORTED_FEATURE;
		ex->unsupported.feature_code = WHV_UNSUPPORTED_INTERCEPT;
		ex->unsupported.parameter = info->kind;
		break;
	}
	ex->reason = reason;
	return reason;
}

/* An exit that is not an instruction's: @ex cleared, its VP context set. */
static void whv_encode_vp_only(struct whv_vp *vp, struct whv_exit *ex)
{
	memset(ex, 0, sizeof(*ex));
	static_call(whv_snapshot)(vp, &vp->snap, WHV_SNAP_ALL);
	whv_fill_vp_context(&vp->snap, ex, 0);
}

int whv_encode_window(struct whv_vp *vp, struct whv_exit *ex, u32 type)
{
	whv_encode_vp_only(vp, ex);
	ex->reason = WHV_EXIT_INTERRUPT_WINDOW;
	ex->window.deliverable_type = type;
	return WHV_EXIT_INTERRUPT_WINDOW;
}

int whv_encode_canceled(struct whv_vp *vp, struct whv_exit *ex)
{
	whv_encode_vp_only(vp, ex);
	ex->reason = WHV_EXIT_CANCELED;
	ex->canceled.reason = WHV_CANCEL_USER;
	return WHV_EXIT_CANCELED;
}
