/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Building guests for tests: a partition with one block of RWX memory at
 * GPA 0, guest code assembled into the test binary, and the register set-up
 * for real mode and long mode.
 */
#ifndef WHV_TEST_GUEST_H
#define WHV_TEST_GUEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <WinHvPlatform.h>

/*
 * Guest code in the test binary: GUEST_CODE(name, ".code16", "hlt") defines
 * name_start[]/name_end[]. Code is position dependent only through
 * GUEST_ADDR(label), the label's address once loaded at GUEST_LOAD.
 */
#define GUEST_LOAD 0x1000
#define GUEST_CODE(name, mode, body)					\
	extern const uint8_t name##_start[], name##_end[];		\
	asm(".pushsection .rodata.guest, \"a\"\n"			\
	    ".globl " #name "_start\n" #name "_start:\n"		\
	    mode "\n" body "\n.code64\n"				\
	    ".globl " #name "_end\n" #name "_end:\n"			\
	    ".popsection\n")
#define GUEST_ADDR(name, label) "(" label " - " #name "_start + 0x1000)"
/* A global label in guest code, and its guest address from C. */
#define GL(x)		".globl " #x "\n" #x ":\n"
#define GA(name, x)	((UINT64)((const uint8_t *)(x) - name##_start) + GUEST_LOAD)

/* Memory layout of a test guest. */
#define GUEST_MEM_SIZE		(2u << 20)
#define GUEST_GDT		0x0800
#define GUEST_PML4		0x10000	/* then PDPT and PD pages */
#define GUEST_STACK_TOP		0x80000

struct test_vm {
	WHV_PARTITION_HANDLE part;
	uint8_t *mem;
	size_t mem_size;
	UINT32 vp_count;
};

/* What a test partition gets before setup (zero: the default). */
struct vm_config {
	UINT32 nvps;
	UINT64 ext_exits;			/* ExtendedVmExits */
	UINT64 exception_bitmap;
	const UINT32 *cpuid_exits;		/* CpuidExitList */
	UINT32 n_cpuid_exits;
	const WHV_X64_CPUID_RESULT *cpuid_results;	/* CpuidResultList */
	UINT32 n_cpuid_results;
	UINT32 apic_mode;		/* LocalApicEmulationMode (0: none) */
};

/* Partition per @cfg, its VPs all created, GUEST_MEM_SIZE RWX at GPA 0. */
HRESULT vm_create_config(struct test_vm *vm, const struct vm_config *cfg);
/* Partition with @nvps VPs (all created) and GUEST_MEM_SIZE at GPA 0. */
HRESULT vm_create(struct test_vm *vm, UINT32 nvps);
/* The same, with ExtendedVmExits/exception bitmap set before setup. */
HRESULT vm_create_with(struct test_vm *vm, UINT32 nvps, UINT64 ext_exits,
		       UINT64 exception_bitmap);
void vm_destroy(struct test_vm *vm);

/* Copy [start, end) to GUEST_LOAD and point VP @vp at it, in real mode. */
void vm_load_real(struct test_vm *vm, UINT32 vp, const uint8_t *start,
		  const uint8_t *end);
/* Same, in 64-bit long mode with 1 GiB identity-mapped by 2 MiB pages. */
void vm_load_long(struct test_vm *vm, UINT32 vp, const uint8_t *start,
		  const uint8_t *end);

HRESULT vm_run(struct test_vm *vm, UINT32 vp, WHV_RUN_VP_EXIT_CONTEXT *exit);
UINT64 vm_get(struct test_vm *vm, UINT32 vp, WHV_REGISTER_NAME name);
HRESULT vm_set(struct test_vm *vm, UINT32 vp, WHV_REGISTER_NAME name,
	       UINT64 value);
HRESULT vm_set_segment(struct test_vm *vm, UINT32 vp, WHV_REGISTER_NAME name,
		       UINT16 sel, UINT64 base, UINT32 limit, UINT16 attr);
/* Descriptor-table register (Idtr, Gdtr) of VP @vp. */
HRESULT vm_set_table(struct test_vm *vm, UINT32 vp, WHV_REGISTER_NAME name,
		     UINT64 base, UINT16 limit);
/* 64-bit interrupt gate in the IDT at guest-physical @idt: @vec -> 0x08:@handler. */
void vm_idt_gate64(struct test_vm *vm, UINT64 idt, int vec, UINT64 handler);

/*
 * Identity-map 3-4 GiB (2 MiB pages, uncached) in the page tables of
 * vm_load_long(), for the local APIC page at GUEST_APIC_BASE. Call after
 * vm_load_long().
 */
#define GUEST_APIC_BASE		0xfee00000ULL
void vm_map_apic(struct test_vm *vm);

/* WHvRequestInterrupt of @type (WHvX64InterruptType...) to @dest. */
HRESULT vm_interrupt(struct test_vm *vm, UINT32 type, UINT32 dest,
		     UINT32 vector, bool logical, bool level);

/* RIP += the exit's instruction length: what a VMM does after emulating. */
void vm_skip(struct test_vm *vm, UINT32 vp,
	     const WHV_RUN_VP_EXIT_CONTEXT *exit);

/*
 * Run until the next exit that is not an OUT to port 0xE9 (the guest's
 * debug console), collecting those bytes into @out (NUL-terminated).
 */
HRESULT vm_run_console(struct test_vm *vm, UINT32 vp,
		       WHV_RUN_VP_EXIT_CONTEXT *exit, char *out, size_t outlen);

/*
 * A VP run on its own thread: one WHvRunVirtualProcessor call, whose result
 * lands in @hr/@exit. vp_thread_join() never hangs: after @ms it cancels the
 * run (again and again, for a cancel that raced with the run's start) until
 * the thread returns, and aborts the test if it still does not.
 */
struct vp_thread {
	struct test_vm *vm;
	UINT32 vp;
	pthread_t thread;
	bool started;
	int done;			/* atomic: the run returned */
	HRESULT hr;
	WHV_RUN_VP_EXIT_CONTEXT exit;
	uint64_t t_start, t_end;	/* now_ns() around the run */
	/* If set: called after each successful run; true runs the VP again. */
	bool (*rerun)(struct vp_thread *t);
	unsigned int reruns;		/* for rerun's own counting */
};

int vp_thread_start(struct vp_thread *t, struct test_vm *vm, UINT32 vp);
int vp_thread_start_rerun(struct vp_thread *t, struct test_vm *vm, UINT32 vp,
			  bool (*rerun)(struct vp_thread *t));
bool vp_thread_done(struct vp_thread *t);
/* True if the run returned by itself within @ms (not by our cancel). */
bool vp_thread_join(struct vp_thread *t, unsigned int ms);

/*
 * WinHvEmulation callbacks acting on VP 0 of the partition whose handle the
 * context points at (a struct test_vm does): registers and GVA translation
 * through the WHv API. The I/O port and memory callbacks are the caller's.
 */
HRESULT vm_emu_get_regs(VOID *ctx, const WHV_REGISTER_NAME *names, UINT32 n,
			WHV_REGISTER_VALUE *values);
HRESULT vm_emu_set_regs(VOID *ctx, const WHV_REGISTER_NAME *names, UINT32 n,
			const WHV_REGISTER_VALUE *values);
HRESULT vm_emu_translate(VOID *ctx, WHV_GUEST_VIRTUAL_ADDRESS gva,
			 WHV_TRANSLATE_GVA_FLAGS flags,
			 WHV_TRANSLATE_GVA_RESULT_CODE *code,
			 WHV_GUEST_PHYSICAL_ADDRESS *gpa);
/* A WHV_EMULATOR_CALLBACKS initializer with those and the caller's two. */
#define VM_EMU_CALLBACKS(io, memory) {					\
	.Size = sizeof(WHV_EMULATOR_CALLBACKS),				\
	.WHvEmulatorIoPortCallback = (io),				\
	.WHvEmulatorMemoryCallback = (memory),				\
	.WHvEmulatorGetVirtualProcessorRegisters = vm_emu_get_regs,	\
	.WHvEmulatorSetVirtualProcessorRegisters = vm_emu_set_regs,	\
	.WHvEmulatorTranslateGvaPage = vm_emu_translate,		\
}

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t now_ns(void);
/* Wait up to @ms for the guest's u32 at @gpa to be >= @want. */
bool vm_wait_u32(struct test_vm *vm, UINT64 gpa, UINT32 want, unsigned int ms);
UINT32 vm_u32(struct test_vm *vm, UINT64 gpa);
UINT64 vm_u64(struct test_vm *vm, UINT64 gpa);

/*
 * Is this machine QEMU's TCG (the test VM)? Its SVM lacks some intercepts
 * and behaviours real CPUs have; tests skip those cases only on TCG, and
 * only when the guest shows the emulator's symptom.
 */
bool host_is_tcg(void);

/*
 * Is this machine Bochs (the VMX test VM)? Its XSAVES/XRSTORS lose AVX
 * state: the host kernel's own context switches drop YMM upper halves
 * (and XRSTORS faults, "Bad FPU state detected"), with no guest involved.
 * Tests leave AVX out there.
 */
bool host_is_bochs(void);

#endif
