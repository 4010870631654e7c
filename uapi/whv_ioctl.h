/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * whv: the ioctl contract between whv.ko and userspace (libwhv).
 *
 * /dev/whv answers WHV_GET_API_VERSION, WHV_GET_CAPABILITY and
 * WHV_CREATE_PARTITION; the latter returns a partition fd that takes every
 * other ioctl. Virtual processors are addressed by index, as in WHv.
 *
 * Codes and layouts mirror Microsoft's Windows Hypervisor Platform so that
 * libwhv passes caller buffers straight through: register names are
 * WHV_REGISTER_NAME values, register values are 16-byte WHV_REGISTER_VALUEs,
 * and struct whv_exit is byte-for-byte a WHV_RUN_VP_EXIT_CONTEXT.
 *
 * Errors (libwhv maps them to HRESULTs):
 *   EINVAL       bad argument                     E_INVALIDARG
 *   EFAULT       bad pointer                      E_POINTER
 *   ENOMEM       out of memory                    E_OUTOFMEMORY
 *   EPERM        fd used from another process     E_ACCESSDENIED
 *   ENOPROTOOPT  unknown capability, property    WHV_E_UNKNOWN_CAPABILITY,
 *                or register name                 _UNKNOWN_PROPERTY,
 *                                                 _INVALID_VP_REGISTER_NAME
 *   ENOBUFS      output buffer too small          WHV_E_INSUFFICIENT_BUFFER
 *   EBADFD       partition not (or already) set   WHV_E_INVALID_PARTITION_CONFIG
 *                up for this call
 *   ENOENT       no VP at that index              WHV_E_VP_DOES_NOT_EXIST
 *   EEXIST       VP already exists                WHV_E_VP_ALREADY_EXISTS
 *   EBUSY        VP is running in another thread  WHV_E_INVALID_VP_STATE
 *   ESRCH        nothing mapped in that range     WHV_E_GPA_RANGE_NOT_FOUND
 *   ENODEV       no usable virtualization         WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG
 *   EINTR        run interrupted by a signal; guest state is intact, the
 *                caller simply runs again
 *   ENOSPC       too many ranges mapped (WHV_MAX_RANGES)  E_OUTOFMEMORY
 *   EACCES       the mapping forbids that access   E_ACCESSDENIED
 *                (read/write/advise)
 */
#ifndef _UAPI_WHV_IOCTL_H
#define _UAPI_WHV_IOCTL_H

#include <linux/ioctl.h>
#include <linux/types.h>

/* 2: WHV_RUN_VP carries registers; 3: run pages, WHV_RUN_VP_MAPPED */
#define WHV_API_VERSION		3
#define WHV_IOCTL_MAGIC		0xB8

/* Limits of this implementation. */
#define WHV_MAX_VPS		64
#define WHV_MAX_CPUID_EXITS	256
#define WHV_MAX_CPUID_RESULTS	256
#define WHV_MAX_REGS_PER_CALL	256

/* WHV_CAPABILITY_CODE values the kernel answers. */
#define WHV_CAP_HYPERVISOR_PRESENT	0x0000
#define WHV_CAP_FEATURES		0x0001
#define WHV_CAP_EXTENDED_VM_EXITS	0x0002
#define WHV_CAP_EXCEPTION_EXIT_BITMAP	0x0003
#define WHV_CAP_PROCESSOR_VENDOR	0x1000
#define WHV_CAP_PROCESSOR_FEATURES	0x1001
#define WHV_CAP_PROCESSOR_CLFLUSH_SIZE	0x1002
#define WHV_CAP_PROCESSOR_CLOCK_FREQUENCY	0x1004	/* u64 Hz: the guest's TSC */
#define WHV_CAP_INTERRUPT_CLOCK_FREQUENCY	0x1005	/* u64 Hz: the APIC timer */
#define WHV_CAP_PHYSICAL_ADDRESS_WIDTH	0x100a	/* u32 bits of guest-physical space */

/* WHV_CAPABILITY_FEATURES bits */
#define WHV_FEATURE_LOCAL_APIC_EMULATION	(1ULL << 1)
#define WHV_FEATURE_DIRTY_PAGE_TRACKING		(1ULL << 3)

/* The local APIC timer's input clock (InterruptClockFrequency), in Hz. */
#define WHV_APIC_TIMER_HZ	200000000ULL

/* WHV_PROCESSOR_VENDOR */
#define WHV_VENDOR_AMD		0
#define WHV_VENDOR_INTEL	1
#define WHV_VENDOR_HYGON	2

struct whv_capability {
	__u32 code;		/* in: WHV_CAP_* */
	__u32 size;		/* out: bytes of data that are valid */
	__u64 data[4];		/* out: the WHV_CAPABILITY union's bytes */
};

/* WHV_PARTITION_PROPERTY_CODE values the kernel knows. */
#define WHV_PROP_EXTENDED_VM_EXITS	0x00000001
#define WHV_PROP_EXCEPTION_EXIT_BITMAP	0x00000002
#define WHV_PROP_CPUID_EXIT_LIST	0x00001003
#define WHV_PROP_CPUID_RESULT_LIST	0x00001004
#define WHV_PROP_LOCAL_APIC_EMULATION_MODE 0x00001005	/* u32, before setup */
#define WHV_PROP_PROCESSOR_CLOCK_FREQUENCY	0x00001007	/* get only */
#define WHV_PROP_INTERRUPT_CLOCK_FREQUENCY	0x00001008	/* get only */
#define WHV_PROP_PROCESSOR_COUNT	0x00001fff

/* WHV_EXTENDED_VM_EXITS bits */
#define WHV_EXTEXIT_CPUID		(1ULL << 0)
#define WHV_EXTEXIT_MSR			(1ULL << 1)
#define WHV_EXTEXIT_EXCEPTION		(1ULL << 2)
#define WHV_EXTEXIT_RDTSC		(1ULL << 3)
#define WHV_EXTEXIT_APIC_INIT_SIPI	(1ULL << 6)

/* WHV_X64_LOCAL_APIC_EMULATION_MODE */
#define WHV_APIC_MODE_NONE		0
#define WHV_APIC_MODE_XAPIC		1
#define WHV_APIC_MODE_X2APIC		2

/* Layout of one WHV_X64_CPUID_RESULT (CpuidResultList element). */
struct whv_cpuid_result {
	__u32 function;
	__u32 reserved[3];
	__u32 eax, ebx, ecx, edx;
};

struct whv_property {
	__u32 code;		/* WHV_PROP_* */
	__u32 size;		/* set: bytes at data; get: buffer size in,
				 * bytes written out
				 */
	__u64 data;		/* user pointer to the property value */
};

/* WHV_MAP_GPA_RANGE_FLAGS */
#define WHV_MAP_READ		0x1
#define WHV_MAP_WRITE		0x2
#define WHV_MAP_EXECUTE		0x4
#define WHV_MAP_TRACK_DIRTY	0x8

struct whv_gpa_range {
	__u64 uaddr;		/* map: page-aligned source; unmap: 0 */
	__u64 gpa;		/* page-aligned */
	__u64 size;		/* page multiple, non-zero */
	__u32 flags;		/* map: WHV_MAP_*; unmap: 0 */
	__u32 reserved;		/* must be 0 */
};

/*
 * WHV_QUERY_DIRTY_BITMAP: return and clear the dirty bits of a range whose
 * every page is mapped with WHV_MAP_TRACK_DIRTY (else ESRCH). Bit i of the
 * bitmap (u64 words, bit 0 the lowest) is page gpa + i * 4096. With
 * bitmap_size 0 the bits are cleared and nothing is written. EINVAL: gpa or
 * size not page-aligned, size 0, range beyond the GPA space, reserved set,
 * bitmap NULL or not 8-byte aligned; ENOBUFS: bitmap_size below
 * DIV_ROUND_UP(size / 4096, 64) * 8; EFAULT: bitmap not writable (then no
 * bit is cleared).
 */
struct whv_dirty_bitmap {
	__u64 gpa;		/* page-aligned */
	__u64 size;		/* page multiple, non-zero */
	__u64 bitmap;		/* user pointer, 8-byte aligned */
	__u32 bitmap_size;	/* bytes; 0: clear only */
	__u32 reserved;		/* must be 0 */
};

/*
 * WHvReadGpaRange / WHvWriteGpaRange: 1..16 bytes at @gpa (may cross a
 * page) on behalf of VP @vp_index, through the caller's mapping. ESRCH if
 * a byte is unmapped, EACCES if its mapping lacks Read (or Write), EFAULT
 * if the backing memory cannot be accessed. @controls is the
 * WHV_ACCESS_GPA_CONTROLS: a known cache type (the access is write-back
 * whatever it says), InputVtl 0 or VTL 0, reserved bytes 0.
 */
#define WHV_GPA_ACCESS_MAX	16
struct whv_gpa_access {
	__u64 gpa;
	__u64 controls;
	__u32 vp_index;
	__u32 size;		/* 1..WHV_GPA_ACCESS_MAX */
	__u8 data[WHV_GPA_ACCESS_MAX];	/* read: out; write: in */
};

/* WHV_ADVISE_GPA_RANGE_CODE, WHV_ADVISE_GPA_RANGE_POPULATE_FLAGS */
#define WHV_ADVISE_POPULATE		0
#define WHV_ADVISE_PIN			1
#define WHV_ADVISE_UNPIN		2
#define WHV_POPULATE_PREFETCH		(1U << 0)
#define WHV_POPULATE_AVOID_HARD_FAULTS	(1U << 1)
#define WHV_MAX_ADVISE_RANGES		65536

struct whv_memory_range {	/* WHV_MEMORY_RANGE_ENTRY */
	__u64 gpa;		/* page-aligned */
	__u64 size;		/* page multiple, non-zero */
};

/*
 * WHvAdviseGpaRange: every page of every range must be mapped (ESRCH) and,
 * for Populate, allow @access (EACCES). Populate installs the nested
 * entries (faulting the memory in; with AVOID_HARD_FAULTS only pages
 * already resident); Pin pins the pages and installs their entries;
 * Unpin releases pins. EFAULT: backing memory that cannot be faulted in.
 */
struct whv_advise {
	__u64 ranges;		/* user pointer: struct whv_memory_range[] */
	__u32 count;		/* 1..WHV_MAX_ADVISE_RANGES */
	__u32 advice;		/* WHV_ADVISE_* */
	__u32 populate_flags;	/* Populate: WHV_POPULATE_*; else 0 */
	__u32 access;		/* Populate: WHV_MEM_ACCESS_*; else 0 */
};

/* WHvGetPartitionCounters: WHV_PARTITION_MEMORY_COUNTERS */
#define WHV_COUNTER_SET_MEMORY	0
struct whv_partition_counters {
	__u32 set;		/* in: WHV_COUNTER_SET_MEMORY (else ENOPROTOOPT) */
	__u32 reserved;		/* must be 0 */
	__u64 mapped_4k;	/* out: nested leaf entries installed, by size */
	__u64 mapped_2m;
	__u64 mapped_1g;
};

struct whv_vp_index {
	__u32 index;
	__u32 reserved;		/* must be 0 */
};

/* A 16-byte WHV_REGISTER_VALUE, as raw bytes. */
struct whv_reg_value {
	__u64 low;
	__u64 high;
};

struct whv_vp_registers {
	__u32 vp_index;
	__u32 count;		/* 1..WHV_MAX_REGS_PER_CALL */
	__u64 names;		/* user pointer: __u32[count], WHV_REGISTER_NAME */
	__u64 values;		/* user pointer: struct whv_reg_value[count] */
};

/* WHV_REGISTER_NAME values the kernel understands (others: ENOPROTOOPT). */
enum whv_reg_name {
	WHV_REG_RAX = 0x00, WHV_REG_RCX, WHV_REG_RDX, WHV_REG_RBX,
	WHV_REG_RSP, WHV_REG_RBP, WHV_REG_RSI, WHV_REG_RDI,
	WHV_REG_R8, WHV_REG_R9, WHV_REG_R10, WHV_REG_R11,
	WHV_REG_R12, WHV_REG_R13, WHV_REG_R14, WHV_REG_R15,
	WHV_REG_RIP = 0x10, WHV_REG_RFLAGS,
	WHV_REG_ES = 0x12, WHV_REG_CS, WHV_REG_SS, WHV_REG_DS,
	WHV_REG_FS, WHV_REG_GS, WHV_REG_LDTR, WHV_REG_TR,
	WHV_REG_IDTR = 0x1a, WHV_REG_GDTR,
	WHV_REG_CR0 = 0x1c, WHV_REG_CR2, WHV_REG_CR3, WHV_REG_CR4, WHV_REG_CR8,
	WHV_REG_DR0 = 0x21, WHV_REG_DR1, WHV_REG_DR2, WHV_REG_DR3,
	WHV_REG_DR6, WHV_REG_DR7,
	WHV_REG_XCR0 = 0x27,
	WHV_REG_XMM0 = 0x1000,			/* ... Xmm15 = 0x100f */
	WHV_REG_FPMMX0 = 0x1010,		/* ... FpMmx7 = 0x1017 */
	WHV_REG_FP_CONTROL_STATUS = 0x1018,
	WHV_REG_XMM_CONTROL_STATUS = 0x1019,
	WHV_REG_TSC = 0x2000, WHV_REG_EFER, WHV_REG_KERNEL_GS_BASE,
	WHV_REG_APIC_BASE, WHV_REG_PAT, WHV_REG_SYSENTER_CS,
	WHV_REG_SYSENTER_EIP, WHV_REG_SYSENTER_ESP, WHV_REG_STAR,
	WHV_REG_LSTAR, WHV_REG_CSTAR, WHV_REG_SFMASK,
	WHV_REG_INITIAL_APIC_ID = 0x200c,	/* x2APIC ID; default: VP index */
	WHV_REG_MTRR_CAP = 0x200d,		/* read only */
	WHV_REG_MTRR_DEF_TYPE = 0x200e,
	WHV_REG_MTRR_PHYS_BASE0 = 0x2010,	/* ... PhysBaseF = 0x201f */
	WHV_REG_MTRR_PHYS_MASK0 = 0x2040,	/* ... PhysMaskF = 0x204f */
	WHV_REG_MTRR_FIX64K_00000 = 0x2070,	/* ... Fix4kF8000 = 0x207a */
	WHV_REG_TSC_AUX = 0x207b,
	WHV_REG_SPEC_CTRL = 0x2084,		/* only where the host has it */
	WHV_REG_TSC_DEADLINE = 0x2095,
	WHV_REG_TSC_ADJUST = 0x2096,
	WHV_REG_MISC_ENABLE = 0x20a0,
	WHV_REG_APIC_FIRST = 0x3000,		/* + xAPIC register offset / 16 */
	WHV_REG_APIC_LAST = 0x303f,
	WHV_REG_PENDING_INTERRUPTION = 0x80000000,
	WHV_REG_INTERRUPT_STATE = 0x80000001,
	WHV_REG_DELIVERABILITY_NOTIFICATIONS = 0x80000004,
	WHV_REG_INTERNAL_ACTIVITY_STATE = 0x80000005,
};

/* RFLAGS bits a value may have: 0-21 but the reserved 3, 5 and 15. */
#define WHV_RFLAGS_KNOWN	0x3f7fd7ULL

/*
 * WHvGet/SetVirtualProcessorXsaveState: the standard (non-compacted) XSAVE
 * layout, XSTATE_BV saying which components are not in their initial state.
 * Get: size is the buffer's size in, the bytes written out; ENOBUFS with the
 * size needed when it is too small. Set: XCOMP_BV and the header's reserved
 * bytes zero, XSTATE_BV within the guest's permitted features, MXCSR within
 * the CPU's mask, every component XSTATE_BV names inside the buffer, else
 * EINVAL.
 */
struct whv_xsave {
	__u32 vp_index;
	__u32 size;
	__u64 buffer;		/* user pointer */
};

/* WHV_X64_SEGMENT_REGISTER: attributes in VMX access-rights layout. */
struct whv_segment {
	__u64 base;
	__u32 limit;
	__u16 selector;
	__u16 attributes;
};

/* WHV_X64_TABLE_REGISTER */
struct whv_table {
	__u16 pad[3];
	__u16 limit;
	__u64 base;
};

/* WHV_RUN_VP_EXIT_REASON */
#define WHV_EXIT_NONE			0x00000000
#define WHV_EXIT_MEMORY_ACCESS		0x00000001
#define WHV_EXIT_IO_PORT_ACCESS		0x00000002
#define WHV_EXIT_UNRECOVERABLE_EXCEPTION 0x00000004
#define WHV_EXIT_INVALID_VP_REGISTER_VALUE 0x00000005
#define WHV_EXIT_UNSUPPORTED_FEATURE	0x00000006
#define WHV_EXIT_INTERRUPT_WINDOW	0x00000007
#define WHV_EXIT_HALT			0x00000008
#define WHV_EXIT_APIC_EOI		0x00000009
#define WHV_EXIT_MSR_ACCESS		0x00001000
#define WHV_EXIT_CPUID			0x00001001
#define WHV_EXIT_EXCEPTION		0x00001002
#define WHV_EXIT_RDTSC			0x00001003
#define WHV_EXIT_APIC_INIT_SIPI		0x00001006
#define WHV_EXIT_CANCELED		0x00002001

/* WHV_X64_VP_EXECUTION_STATE bits */
#define WHV_EXEC_CPL_MASK		0x0003
#define WHV_EXEC_CR0_PE			0x0004
#define WHV_EXEC_CR0_AM			0x0008
#define WHV_EXEC_EFER_LMA		0x0010
#define WHV_EXEC_DEBUG_ACTIVE		0x0020
#define WHV_EXEC_INTERRUPTION_PENDING	0x0040
#define WHV_EXEC_INTERRUPT_SHADOW	0x1000

/* WHV_VP_EXIT_CONTEXT */
struct whv_vp_context {
	__u16 execution_state;
	__u8 insn_len_cr8;	/* InstructionLength:4, Cr8:4 */
	__u8 reserved;
	__u32 reserved2;
	struct whv_segment cs;
	__u64 rip;
	__u64 rflags;
};

/* Memory access AccessInfo */
#define WHV_MEM_ACCESS_READ		0
#define WHV_MEM_ACCESS_WRITE		1
#define WHV_MEM_ACCESS_EXECUTE		2
#define WHV_MEM_GPA_UNMAPPED		(1U << 2)
#define WHV_MEM_GVA_VALID		(1U << 3)

struct whv_exit_memory {
	__u8 insn_byte_count;
	__u8 reserved[3];
	__u8 insn_bytes[16];
	__u32 access_info;
	__u64 gpa;
	__u64 gva;
};

/* I/O port AccessInfo */
#define WHV_IO_IS_WRITE			(1U << 0)
#define WHV_IO_SIZE_SHIFT		1	/* 3 bits: 1, 2 or 4 */
#define WHV_IO_STRING			(1U << 4)
#define WHV_IO_REP			(1U << 5)

struct whv_exit_io {
	__u8 insn_byte_count;
	__u8 reserved[3];
	__u8 insn_bytes[16];
	__u32 access_info;
	__u16 port;
	__u16 reserved2[3];
	__u64 rax, rcx, rsi, rdi;
	struct whv_segment ds, es;
};

#define WHV_MSR_IS_WRITE		(1U << 0)

struct whv_exit_msr {
	__u32 access_info;
	__u32 msr;
	__u64 rax, rdx;
};

struct whv_exit_cpuid {
	__u64 rax, rcx, rdx, rbx;
	__u64 default_rax, default_rcx, default_rdx, default_rbx;
};

/* Exception ExceptionInfo */
#define WHV_EXC_ERROR_CODE_VALID	(1U << 0)
#define WHV_EXC_SOFTWARE		(1U << 1)

struct whv_exit_exception {
	__u8 insn_byte_count;
	__u8 reserved[3];
	__u8 insn_bytes[16];
	__u32 exception_info;
	__u8 type;
	__u8 reserved2[3];
	__u32 error_code;
	__u64 parameter;
};

/* WHV_X64_PENDING_INTERRUPTION_TYPE, also the deliverable type */
#define WHV_PENDING_INTERRUPT		0
#define WHV_PENDING_NMI			2
#define WHV_PENDING_EXCEPTION		3

struct whv_exit_interrupt_window {
	__u32 deliverable_type;
};

/* WHV_X64_UNSUPPORTED_FEATURE_CODE */
#define WHV_UNSUPPORTED_INTERCEPT	1
#define WHV_UNSUPPORTED_TASK_SWITCH	2

struct whv_exit_unsupported {
	__u32 feature_code;
	__u32 reserved;
	__u64 parameter;
};

/* WHV_RUN_VP_CANCEL_REASON */
#define WHV_CANCEL_USER			0

/* RDTSC or RDTSCP: what the guest would have read. */
struct whv_exit_rdtsc {
	__u64 tsc_aux;
	__u64 virtual_offset;	/* guest TSC - host TSC */
	__u64 tsc;
	__u64 reference_time;	/* 0: no reference time source */
	__u64 info;		/* bit 0: RDTSCP */
};

/* X64ApicEoi: a level-triggered vector the guest EOIed. */
struct whv_exit_apic_eoi {
	__u32 vector;
};

/* X64ApicInitSipiTrap: the ICR write, completed but not delivered. */
struct whv_exit_apic_init_sipi {
	__u64 icr;
};

struct whv_exit_canceled {
	__u32 reason;
};

/*
 * whv extension, for InvalidVpRegisterValue (where WHv defines no payload):
 * why the CPU refused the VP's state. On VMX, the VM-instruction error (0
 * if the entry failed a guest-state check instead) and the VMCS field a
 * software walk of the SDM's guest-state checks found at fault ("GUEST_CR0",
 * "GUEST_CS_AR_BYTES", ...; "unknown" if none). Zero on SVM, whose VMRUN
 * reports no detail.
 */
struct whv_exit_invalid_state {
	__u32 vm_instruction_error;
	__u32 vmcs_field;
	char field_name[48];
};

/* WHV_RUN_VP_EXIT_CONTEXT: 224 bytes. */
struct whv_exit {
	__u32 reason;		/* WHV_EXIT_* */
	__u32 reserved;
	struct whv_vp_context vp;
	union {
		struct whv_exit_memory memory;
		struct whv_exit_io io;
		struct whv_exit_msr msr;
		struct whv_exit_cpuid cpuid;
		struct whv_exit_exception exception;
		struct whv_exit_interrupt_window window;
		struct whv_exit_unsupported unsupported;
		struct whv_exit_canceled canceled;
		struct whv_exit_rdtsc rdtsc;
		struct whv_exit_apic_eoi apic_eoi;
		struct whv_exit_apic_init_sipi apic_init_sipi;
		struct whv_exit_invalid_state invalid_state;
		__u64 raw[22];
	};
};

/* WHV_TRANSLATE_GVA_FLAGS */
#define WHV_GVA_VALIDATE_READ		0x001
#define WHV_GVA_VALIDATE_WRITE		0x002
#define WHV_GVA_VALIDATE_EXECUTE	0x004
#define WHV_GVA_PRIVILEGE_EXEMPT	0x008	/* no U/S, SMEP or SMAP checks */
#define WHV_GVA_SET_PAGE_TABLE_BITS	0x010	/* accessed, and dirty for a write */
#define WHV_GVA_ENFORCE_SMAP		0x100	/* SMAP whatever RFLAGS.AC says */
#define WHV_GVA_OVERRIDE_SMAP		0x200	/* no SMAP check */
#define WHV_GVA_VALIDATE_ANY		0x007

/* WHV_TRANSLATE_GVA_RESULT_CODE */
#define WHV_GVA_SUCCESS				0
#define WHV_GVA_PAGE_NOT_PRESENT		1	/* also: non-canonical */
#define WHV_GVA_PRIVILEGE_VIOLATION		2
#define WHV_GVA_INVALID_PAGE_TABLE_FLAGS	3	/* reserved bit set */
#define WHV_GVA_GPA_UNMAPPED			4	/* gpa: the page (MMIO) */
#define WHV_GVA_GPA_NO_READ_ACCESS		5
#define WHV_GVA_GPA_NO_WRITE_ACCESS		6
#define WHV_GVA_INTERCEPT			8	/* a page table in unmapped memory */

struct whv_translate_gva {
	__u32 vp_index;
	__u32 flags;		/* WHV_GVA_* flags; others: EINVAL */
	__u64 gva;
	__u64 gpa;		/* out */
	__u32 result;		/* out: WHV_GVA_SUCCESS, ... */
	__u32 reserved;		/* 0 */
};

/* WHV_X64_INTERNAL_ACTIVITY_REGISTER bits (InternalActivityState) */
#define WHV_ACTIVITY_STARTUP_SUSPEND	(1ULL << 0)	/* wait for SIPI */
#define WHV_ACTIVITY_HALT_SUSPEND	(1ULL << 1)	/* halted */

/* WHV_INTERRUPT_CONTROL (16 bytes), for WHvRequestInterrupt. */
#define WHV_INT_FIXED			0
#define WHV_INT_LOWEST_PRIORITY		1
#define WHV_INT_NMI			4
#define WHV_INT_INIT			5
#define WHV_INT_SIPI			6
#define WHV_INT_LOCAL_INT1		9

struct whv_interrupt {
	__u64 control;		/* Type:8, DestinationMode:4, TriggerMode:4 */
	__u32 destination;
	__u32 vector;
};

/* WHvGetInterruptTargetVpSet */
struct whv_interrupt_targets {
	__u64 destination;
	__u32 destination_mode;	/* 0 physical, 1 logical */
	__u32 reserved;		/* 0 */
	__u64 vp_mask;		/* out: bit n = VP n */
};

/* The VP's local APIC as a 4 KiB xAPIC register page. */
#define WHV_LAPIC_STATE_SIZE	4096

struct whv_lapic_state {
	__u32 vp_index;
	__u32 size;		/* bytes at data: WHV_LAPIC_STATE_SIZE */
	__u64 data;		/* user pointer */
};

/*
 * Registers that travel with a run, so that the common gets and sets around
 * an exit need no system call of their own. At entry the kernel applies the
 * values named in @set, as WHV_SET_VP_REGISTERS would (all or nothing, before
 * anything else), then clears @set; at a successful return it writes every
 * field's current value, except at a port-access exit: its context already
 * carries the registers a port access involves (RAX, RCX, RSI, RDI, DS, ES,
 * and CS, RIP and RFLAGS in the VP context), and the other fields keep what
 * they held. Bit n of @set is register name n: RAX..R15 (0-15), RIP (16),
 * RFLAGS (17); no others.
 */
#define WHV_RUN_REGS_SETTABLE	0x3ffffULL

struct whv_run_regs {
	__u64 set;
	__u64 gpr[16];		/* RAX..R15, in register name order */
	__u64 rip;
	__u64 rflags;
	struct whv_segment seg[6];	/* ES, CS, SS, DS, FS, GS */
	__u64 cr0;
	__u64 cr3;
	__u64 cr4;
	__u64 efer;
};

struct whv_run_vp {
	__u32 vp_index;
	__u32 exit_size;	/* bytes at exit, >= sizeof(struct whv_exit) */
	__u64 exit;		/* user pointer: struct whv_exit */
	__u64 regs;		/* user pointer: struct whv_run_regs, or 0 */
};

/*
 * A VP's run page: mmap() of the partition fd, WHV_RUN_PAGE_SIZE bytes at
 * offset vp_index * WHV_RUN_PAGE_SIZE, shared and writable, never
 * executable, not inherited by fork(). WHV_RUN_VP_MAPPED (argument: the VP
 * index) is WHV_RUN_VP with both buffers there: @regs as struct
 * whv_run_regs says, @exit the exit context. The page belongs to the VP: a
 * VP created again at the index has a new one, to be mapped anew.
 */
#define WHV_RUN_PAGE_SIZE	4096

struct whv_run_page {
	struct whv_run_regs regs;
	struct whv_exit exit;
};

/* /dev/whv */
#define WHV_GET_API_VERSION	_IO(WHV_IOCTL_MAGIC, 0x00)
#define WHV_GET_CAPABILITY	_IOWR(WHV_IOCTL_MAGIC, 0x01, struct whv_capability)
#define WHV_CREATE_PARTITION	_IO(WHV_IOCTL_MAGIC, 0x02)

/* partition fd */
#define WHV_SET_PROPERTY	_IOW(WHV_IOCTL_MAGIC, 0x10, struct whv_property)
#define WHV_GET_PROPERTY	_IOWR(WHV_IOCTL_MAGIC, 0x11, struct whv_property)
#define WHV_SETUP_PARTITION	_IO(WHV_IOCTL_MAGIC, 0x12)
#define WHV_MAP_GPA_RANGE	_IOW(WHV_IOCTL_MAGIC, 0x13, struct whv_gpa_range)
#define WHV_UNMAP_GPA_RANGE	_IOW(WHV_IOCTL_MAGIC, 0x14, struct whv_gpa_range)
#define WHV_CREATE_VP		_IOW(WHV_IOCTL_MAGIC, 0x20, struct whv_vp_index)
#define WHV_DELETE_VP		_IOW(WHV_IOCTL_MAGIC, 0x21, struct whv_vp_index)
#define WHV_GET_VP_REGISTERS	_IOW(WHV_IOCTL_MAGIC, 0x22, struct whv_vp_registers)
#define WHV_SET_VP_REGISTERS	_IOW(WHV_IOCTL_MAGIC, 0x23, struct whv_vp_registers)
#define WHV_RUN_VP		_IOW(WHV_IOCTL_MAGIC, 0x24, struct whv_run_vp)
#define WHV_CANCEL_RUN_VP	_IOW(WHV_IOCTL_MAGIC, 0x25, struct whv_vp_index)
#define WHV_RUN_VP_MAPPED	_IO(WHV_IOCTL_MAGIC, 0x27)
#define WHV_TRANSLATE_GVA	_IOWR(WHV_IOCTL_MAGIC, 0x26, struct whv_translate_gva)
/* Every VP back to its initial state; memory and properties are kept. */
#define WHV_RESET_PARTITION	_IO(WHV_IOCTL_MAGIC, 0x15)
#define WHV_REQUEST_INTERRUPT	_IOW(WHV_IOCTL_MAGIC, 0x18, struct whv_interrupt)
#define WHV_GET_INTERRUPT_TARGETS _IOWR(WHV_IOCTL_MAGIC, 0x19, \
					struct whv_interrupt_targets)
#define WHV_GET_LAPIC		_IOW(WHV_IOCTL_MAGIC, 0x2a, struct whv_lapic_state)
#define WHV_SET_LAPIC		_IOW(WHV_IOCTL_MAGIC, 0x2b, struct whv_lapic_state)

/*
 * Partition time: while suspended no VP's TSC advances. Suspending needs
 * every VP stopped (EBUSY); both are no-ops when already in that state.
 * Running a VP resumes time, as WHvRunVirtualProcessor does on Windows.
 */
#define WHV_SUSPEND_TIME	_IO(WHV_IOCTL_MAGIC, 0x16)
#define WHV_RESUME_TIME		_IO(WHV_IOCTL_MAGIC, 0x17)
#define WHV_GET_XSAVE		_IOWR(WHV_IOCTL_MAGIC, 0x28, struct whv_xsave)
#define WHV_SET_XSAVE		_IOW(WHV_IOCTL_MAGIC, 0x29, struct whv_xsave)
#define WHV_QUERY_DIRTY_BITMAP	_IOW(WHV_IOCTL_MAGIC, 0x38, struct whv_dirty_bitmap)

/* Guest memory: 0x30-0x37 (0x38-0x3f: dirty-page tracking). */
#define WHV_READ_GPA		_IOWR(WHV_IOCTL_MAGIC, 0x30, struct whv_gpa_access)
#define WHV_WRITE_GPA		_IOW(WHV_IOCTL_MAGIC, 0x31, struct whv_gpa_access)
#define WHV_ADVISE_GPA		_IOW(WHV_IOCTL_MAGIC, 0x32, struct whv_advise)
#define WHV_GET_PARTITION_COUNTERS _IOWR(WHV_IOCTL_MAGIC, 0x33, \
					 struct whv_partition_counters)

#endif /* _UAPI_WHV_IOCTL_H */
