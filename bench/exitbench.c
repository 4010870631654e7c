// SPDX-License-Identifier: GPL-2.0
/*
 * Exit round-trip benchmark: the same real-mode guest loops under whv
 * (through libwhv) and under KVM (through /dev/kvm), one hypervisor per
 * invocation, since only one can hold the CPU's virtualization at a time:
 *
 *   exitbench whv|kvm [N]   one CSV line per case: backend,case,ns/iter
 *   exitbench whv|kvm scale S   the OUT round trip on 1, 2 and 4 VPs, each
 *                           in its own thread, for S seconds each; one CSV
 *                           line per VP count: backend,vps_K,exits/s
 *
 * Run in the test VM under QEMU -icount shift=0 (make bench), one guest
 * nanosecond is one instruction, so ns per iteration is the instruction
 * count of a whole round trip (guest loop, exit, handling, re-entry), and
 * exactly repeatable. The cases:
 *   cpuid_kernel  CPUID completed in the kernel (the guest loops N times)
 *   cpuid_user    CPUID exiting to userspace, which sets the results and
 *                 RIP (whv: CpuidExitList; KVM has no such exit)
 *   out_user      OUT to a port, completed in userspace
 *   in_user       IN from a port, completed in userspace
 *   mmio_write    a MOV to unmapped memory, completed in userspace with the
 *                 instruction emulator (whv: libwhv's; KVM: its kernel's)
 *   mmio_read     the same, a load
 *   irq_wake      an interrupt into a halted VP: another thread requests it
 *                 (whv: WHvRequestInterrupt; KVM: KVM_SIGNAL_MSI) and waits
 *                 until the guest's handler has counted it and halted again
 *   cancel        a halted VP's run canceled by another thread (whv:
 *                 WHvCancelRunVirtualProcessor; KVM: a signal whose handler
 *                 sets immediate_exit, as QEMU does), which waits until the
 *                 VP's thread has seen it and halts in a new run
 * Both of these use the in-kernel APIC (x2APIC), so that HLT waits in the
 * kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <WinHvPlatform.h>
#include <WinHvEmulation.h>
#include "guest.h"

#define RAM_SIZE	0x10000		/* guest RAM at GPA 0 */
#define PORT		0x80
#define MAX_VPS		4
#define IRQ_VECTOR	0x41
#define WAKE_COUNT	0x600		/* guest u32: interrupts taken */
#define VP_READY	0x604		/* guest u32: 1 before the HLT loop */
#define STR(x)		#x
#define XSTR(x)		STR(x)

/* RSI: iterations. */
GUEST_CODE(g_cpuid, ".code16",
	"1:	xor %eax, %eax\n"
	"	cpuid\n"
	"	dec %esi\n"
	"	jnz 1b\n"
	"	hlt\n");
GUEST_CODE(g_out, ".code16", "1:	out %al, $0x80\n	jmp 1b\n");
GUEST_CODE(g_in, ".code16", "1:	in $0x80, %al\n	jmp 1b\n");
/* The MMIO cases: DS 0x2000, so GPA 0x20000, past the RAM. */
GUEST_CODE(g_mmio_w, ".code16",
	"	mov $0x2000, %bx\n	mov %bx, %ds\n"
	"1:	movb %al, (0)\n	jmp 1b\n");
GUEST_CODE(g_mmio_r, ".code16",
	"	mov $0x2000, %bx\n	mov %bx, %ds\n"
	"1:	movb (0), %al\n	jmp 1b\n");
/*
 * x2APIC on and software-enabled, then halted with interrupts on; the
 * handler (IVT entry IRQ_VECTOR) EOIs and counts at WAKE_COUNT.
 */
GUEST_CODE(g_halt, ".code16",
	"	mov $0x1b, %ecx\n	rdmsr\n	or $0xc00, %eax\n	wrmsr\n"
	"	mov $0x80f, %ecx\n	mov $0x1ff, %eax\n	xor %edx, %edx\n"
	"	wrmsr\n"
	"	movl $1, " XSTR(VP_READY) "\n"
	"	sti\n"
	"1:	hlt\n	jmp 1b\n"
	GL(g_halt_irq)
	"	push %eax\n	push %ecx\n	push %edx\n"
	"	mov $0x80b, %ecx\n	xor %eax, %eax\n	xor %edx, %edx\n"
	"	wrmsr\n"
	"	incl " XSTR(WAKE_COUNT) "\n"
	"	pop %edx\n	pop %ecx\n	pop %eax\n"
	"	iret\n");
extern const uint8_t g_halt_irq[];

enum bench_case { CPUID_KERNEL, CPUID_USER, OUT_USER, IN_USER, MMIO_WRITE,
		  MMIO_READ, IRQ_WAKE, CANCEL, N_CASES };

/* A halted VP and a second thread, with the in-kernel APIC. */
static int two_threads(enum bench_case c)
{
	return c == IRQ_WAKE || c == CANCEL;
}

static const struct {
	const char *name;
	const uint8_t *start, *end;
} cases[N_CASES] = {
	[CPUID_KERNEL] = { "cpuid_kernel", g_cpuid_start, g_cpuid_end },
	[CPUID_USER] = { "cpuid_user", g_cpuid_start, g_cpuid_end },
	[OUT_USER] = { "out_user", g_out_start, g_out_end },
	[IN_USER] = { "in_user", g_in_start, g_in_end },
	[MMIO_WRITE] = { "mmio_write", g_mmio_w_start, g_mmio_w_end },
	[MMIO_READ] = { "mmio_read", g_mmio_r_start, g_mmio_r_end },
	[IRQ_WAKE] = { "irq_wake", g_halt_start, g_halt_end },
	[CANCEL] = { "cancel", g_halt_start, g_halt_end },
};

static void die(const char *what, long err)
{
	fprintf(stderr, "exitbench: %s failed (%ld)\n", what, err);
	exit(1);
}

/* The guest's RAM, with the case's code at GUEST_LOAD. */
static uint8_t *guest_ram(enum bench_case c)
{
	uint8_t *ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (ram == MAP_FAILED)
		die("mmap", errno);
	memcpy(ram + GUEST_LOAD, cases[c].start, cases[c].end - cases[c].start);
	if (two_threads(c)) {	/* IVT entry: 0:handler */
		UINT32 ivt = GA(g_halt, g_halt_irq);

		memcpy(ram + IRQ_VECTOR * 4, &ivt, sizeof(ivt));
	}
	return ram;
}

/* ---- whv ----------------------------------------------------------------- */

struct whv {
	WHV_PARTITION_HANDLE part;	/* first: the vm_emu_* callbacks' context */
	WHV_EMULATOR_HANDLE emu;
	uint8_t *ram;
};

static HRESULT CALLBACK emu_io(VOID *ctx, WHV_EMULATOR_IO_ACCESS_INFO *io)
{
	return E_UNEXPECTED;
}

static HRESULT CALLBACK emu_memory(VOID *ctx,
				   WHV_EMULATOR_MEMORY_ACCESS_INFO *m)
{
	if (!m->Direction)
		memset(m->Data, 0x5a, m->AccessSize);	/* a device register */
	return S_OK;
}

static const WHV_EMULATOR_CALLBACKS emu_callbacks =
	VM_EMU_CALLBACKS(emu_io, emu_memory);

static void set_property(struct whv *w, WHV_PARTITION_PROPERTY_CODE code,
			 const void *value, UINT32 size, const char *what)
{
	HRESULT hr = WHvSetPartitionProperty(w->part, code, value, size);

	if (hr)
		die(what, hr);
}

static void whv_setup(struct whv *w, enum bench_case c, UINT64 iters,
		      UINT32 nvps)
{
	static const WHV_REGISTER_NAME names[] = {
		WHvX64RegisterCs, WHvX64RegisterRip, WHvX64RegisterRflags,
		WHvX64RegisterRsi,
	};
	WHV_REGISTER_VALUE v[4];
	WHV_PARTITION_PROPERTY prop;
	UINT32 leaf0 = 0, vp;
	HRESULT hr;

	if ((hr = WHvCreatePartition(&w->part)))
		die("WHvCreatePartition", hr);
	memset(&prop, 0, sizeof(prop));
	prop.ProcessorCount = nvps;
	set_property(w, WHvPartitionPropertyCodeProcessorCount, &prop,
		     sizeof(prop), "ProcessorCount");
	if (c == CPUID_USER) {
		memset(&prop, 0, sizeof(prop));
		prop.ExtendedVmExits.X64CpuidExit = 1;
		set_property(w, WHvPartitionPropertyCodeExtendedVmExits, &prop,
			     sizeof(prop), "ExtendedVmExits");
		set_property(w, WHvPartitionPropertyCodeCpuidExitList, &leaf0,
			     sizeof(leaf0), "CpuidExitList");
	}
	if (two_threads(c)) {
		memset(&prop, 0, sizeof(prop));
		prop.LocalApicEmulationMode = WHvX64LocalApicEmulationModeX2Apic;
		set_property(w, WHvPartitionPropertyCodeLocalApicEmulationMode,
			     &prop, sizeof(prop), "LocalApicEmulationMode");
	}
	if ((hr = WHvSetupPartition(w->part)))
		die("WHvSetupPartition", hr);
	w->ram = guest_ram(c);
	if ((hr = WHvMapGpaRange(w->part, w->ram, 0, RAM_SIZE,
				 WHvMapGpaRangeFlagRead |
				 WHvMapGpaRangeFlagWrite |
				 WHvMapGpaRangeFlagExecute)))
		die("WHvMapGpaRange", hr);
	memset(v, 0, sizeof(v));
	v[0].Segment.Limit = 0xffff;
	v[0].Segment.Attributes = 0x9b;
	v[1].Reg64 = GUEST_LOAD;
	v[2].Reg64 = 2;
	v[3].Reg64 = iters;
	for (vp = 0; vp < nvps; vp++) {
		if ((hr = WHvCreateVirtualProcessor(w->part, vp, 0)))
			die("WHvCreateVirtualProcessor", hr);
		if ((hr = WHvSetVirtualProcessorRegisters(w->part, vp, names,
							  4, v)))
			die("WHvSetVirtualProcessorRegisters", hr);
	}
	if ((hr = WHvEmulatorCreateEmulator(&emu_callbacks, &w->emu)))
		die("WHvEmulatorCreateEmulator", hr);
}

static void whv_teardown(struct whv *w)
{
	WHvEmulatorDestroyEmulator(w->emu);
	WHvDeletePartition(w->part);
	munmap(w->ram, RAM_SIZE);
}

/* RIP past the instruction an exit reported (2 bytes when it did not say). */
static UINT64 next_rip(const WHV_RUN_VP_EXIT_CONTEXT *e)
{
	UINT8 len = e->VpContext.InstructionLength;

	return e->VpContext.Rip + (len ? len : 2);
}

/* One exit of VP @vp to userspace, handled (MMIO: VP 0 only). */
static void whv_round_trip(struct whv *w, UINT32 vp, enum bench_case c)
{
	static const WHV_REGISTER_NAME cpuid_regs[] = {
		WHvX64RegisterRax, WHvX64RegisterRbx, WHvX64RegisterRcx,
		WHvX64RegisterRdx, WHvX64RegisterRip,
	};
	/* IN sets both; OUT only RIP (the second). */
	static const WHV_REGISTER_NAME io_regs[] = {
		WHvX64RegisterRax, WHvX64RegisterRip,
	};
	WHV_RUN_VP_EXIT_CONTEXT e;
	WHV_EMULATOR_STATUS st;
	WHV_REGISTER_VALUE v[5];
	HRESULT hr;

	hr = WHvRunVirtualProcessor(w->part, vp, &e, sizeof(e));
	if (hr)
		die("WHvRunVirtualProcessor", hr);
	switch (c) {
	case CPUID_USER:
		if (e.ExitReason != WHvRunVpExitReasonX64Cpuid)
			die("cpuid exit", e.ExitReason);
		v[0].Reg64 = e.CpuidAccess.DefaultResultRax;
		v[1].Reg64 = e.CpuidAccess.DefaultResultRbx;
		v[2].Reg64 = e.CpuidAccess.DefaultResultRcx;
		v[3].Reg64 = e.CpuidAccess.DefaultResultRdx;
		v[4].Reg64 = next_rip(&e);
		if (WHvSetVirtualProcessorRegisters(w->part, vp, cpuid_regs, 5, v))
			die("set CPUID results", 0);
		break;
	case OUT_USER:
		if (e.ExitReason != WHvRunVpExitReasonX64IoPortAccess)
			die("out exit", e.ExitReason);
		v[0].Reg64 = next_rip(&e);
		if (WHvSetVirtualProcessorRegisters(w->part, vp, &io_regs[1], 1,
						    v))
			die("set RIP", 0);
		break;
	case IN_USER:
		if (e.ExitReason != WHvRunVpExitReasonX64IoPortAccess)
			die("in exit", e.ExitReason);
		v[0].Reg64 = (e.IoPortAccess.Rax & ~0xffULL) | 0x5a;
		v[1].Reg64 = next_rip(&e);
		if (WHvSetVirtualProcessorRegisters(w->part, vp, io_regs, 2, v))
			die("set IN result", 0);
		break;
	default:
		if (e.ExitReason != WHvRunVpExitReasonMemoryAccess)
			die("mmio exit", e.ExitReason);
		st.AsUINT32 = 0;
		hr = WHvEmulatorTryMmioEmulation(w->emu, w, &e.VpContext,
						 &e.MemoryAccess, &st);
		if (hr || !st.EmulationSuccessful)
			die("WHvEmulatorTryMmioEmulation", hr ? (long)hr : (long)st.AsUINT32);
		break;
	}
}

static void whv_run_case(enum bench_case c, UINT64 iters)
{
	WHV_RUN_VP_EXIT_CONTEXT e;
	struct whv w;
	UINT64 i;

	whv_setup(&w, c, iters, 1);
	if (c == CPUID_KERNEL) {
		if (WHvRunVirtualProcessor(w.part, 0, &e, sizeof(e)) ||
		    e.ExitReason != WHvRunVpExitReasonX64Halt)
			die("cpuid loop", e.ExitReason);
	} else {
		for (i = 0; i < iters; i++)
			whv_round_trip(&w, 0, c);
	}
	whv_teardown(&w);
}

/* ---- KVM ----------------------------------------------------------------- */

struct kvm {
	int sys, vm, nvcpus;
	int vcpu[MAX_VPS];
	struct kvm_run *run[MAX_VPS];
	uint8_t *ram;
};

static void kvm_setup(struct kvm *k, enum bench_case c, UINT64 iters,
		      int nvcpus)
{
	struct kvm_userspace_memory_region region;
	struct {
		struct kvm_cpuid2 c;
		struct kvm_cpuid_entry2 e[100];
	} cpuid;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int size, i;

	k->sys = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (k->sys < 0)
		die("open /dev/kvm", errno);
	k->vm = ioctl(k->sys, KVM_CREATE_VM, 0);
	if (k->vm < 0)
		die("KVM_CREATE_VM", errno);
	if (two_threads(c)) {	/* in-kernel APIC, x2APIC in CPUID */
		if (ioctl(k->vm, KVM_CREATE_IRQCHIP, 0))
			die("KVM_CREATE_IRQCHIP", errno);
		cpuid.c.nent = 100;
		if (ioctl(k->sys, KVM_GET_SUPPORTED_CPUID, &cpuid))
			die("KVM_GET_SUPPORTED_CPUID", errno);
	}
	k->ram = guest_ram(c);
	memset(&region, 0, sizeof(region));
	region.memory_size = RAM_SIZE;
	region.userspace_addr = (unsigned long)k->ram;
	if (ioctl(k->vm, KVM_SET_USER_MEMORY_REGION, &region))
		die("KVM_SET_USER_MEMORY_REGION", errno);
	size = ioctl(k->sys, KVM_GET_VCPU_MMAP_SIZE, 0);
	memset(&regs, 0, sizeof(regs));
	regs.rip = GUEST_LOAD;
	regs.rflags = 2;
	regs.rsi = iters;
	k->nvcpus = nvcpus;
	for (i = 0; i < nvcpus; i++) {
		k->vcpu[i] = ioctl(k->vm, KVM_CREATE_VCPU, i);
		if (k->vcpu[i] < 0)
			die("KVM_CREATE_VCPU", errno);
		k->run[i] = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
				 k->vcpu[i], 0);
		if (k->run[i] == MAP_FAILED)
			die("mmap kvm_run", errno);
		if (ioctl(k->vcpu[i], KVM_GET_SREGS, &sregs))
			die("KVM_GET_SREGS", errno);
		sregs.cs.base = 0;
		sregs.cs.selector = 0;
		if (ioctl(k->vcpu[i], KVM_SET_SREGS, &sregs))
			die("KVM_SET_SREGS", errno);
		if (ioctl(k->vcpu[i], KVM_SET_REGS, &regs))
			die("KVM_SET_REGS", errno);
		if (two_threads(c) && ioctl(k->vcpu[i], KVM_SET_CPUID2, &cpuid))
			die("KVM_SET_CPUID2", errno);
	}
}

static void kvm_teardown(struct kvm *k)
{
	int i;

	for (i = 0; i < k->nvcpus; i++)
		close(k->vcpu[i]);
	close(k->vm);
	close(k->sys);
	munmap(k->ram, RAM_SIZE);
}

static void kvm_round_trip(struct kvm *k, int i, enum bench_case c)
{
	struct kvm_run *r = k->run[i];

	if (ioctl(k->vcpu[i], KVM_RUN, 0))
		die("KVM_RUN", errno);
	switch (c) {
	case OUT_USER:
	case IN_USER:
		if (r->exit_reason != KVM_EXIT_IO || r->io.port != PORT)
			die("io exit", r->exit_reason);
		if (r->io.direction == KVM_EXIT_IO_IN)
			((uint8_t *)r)[r->io.data_offset] = 0x5a;
		break;
	default:
		if (r->exit_reason != KVM_EXIT_MMIO)
			die("mmio exit", r->exit_reason);
		if (!r->mmio.is_write)
			memset(r->mmio.data, 0x5a, r->mmio.len);
		break;
	}
}

/* False when KVM has no such case. */
static int kvm_run_case(enum bench_case c, UINT64 iters)
{
	struct kvm k;
	UINT64 i;

	if (c == CPUID_USER)
		return 0;
	kvm_setup(&k, c, iters, 1);
	if (c == CPUID_KERNEL) {
		if (ioctl(k.vcpu[0], KVM_RUN, 0) ||
		    k.run[0]->exit_reason != KVM_EXIT_HLT)
			die("cpuid loop", k.run[0]->exit_reason);
	} else {
		for (i = 0; i < iters; i++)
			kvm_round_trip(&k, 0, c);
	}
	kvm_teardown(&k);
	return 1;
}

/* ---- scaling: OUT round trips on several VPs, wall clock ----------------- */

struct scaler {
	pthread_t thread;
	int kvm;
	UINT32 vp;
	struct whv *w;
	struct kvm *k;
	UINT64 exits;
};

static int scale_stop;	/* atomic */

static void *scale_main(void *arg)
{
	struct scaler *s = arg;

	while (!__atomic_load_n(&scale_stop, __ATOMIC_RELAXED)) {
		if (s->kvm)
			kvm_round_trip(s->k, s->vp, OUT_USER);
		else
			whv_round_trip(s->w, s->vp, OUT_USER);
		s->exits++;
	}
	return NULL;
}

/* Exits per second with @nvps VPs, each run by its own thread. */
static double scale_run(int kvm, UINT32 nvps, unsigned int seconds)
{
	struct scaler s[MAX_VPS];
	UINT64 total = 0, t0, t1;
	struct whv w;
	struct kvm k;
	UINT32 i;

	if (kvm)
		kvm_setup(&k, OUT_USER, 0, nvps);
	else
		whv_setup(&w, OUT_USER, 0, nvps);
	__atomic_store_n(&scale_stop, 0, __ATOMIC_RELAXED);
	t0 = now_ns();
	for (i = 0; i < nvps; i++) {
		s[i] = (struct scaler){ .kvm = kvm, .vp = i, .w = &w, .k = &k };
		if (pthread_create(&s[i].thread, NULL, scale_main, &s[i]))
			die("pthread_create", errno);
	}
	sleep(seconds);
	__atomic_store_n(&scale_stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i < nvps; i++) {
		pthread_join(s[i].thread, NULL);
		total += s[i].exits;
	}
	t1 = now_ns();
	if (kvm)
		kvm_teardown(&k);
	else
		whv_teardown(&w);
	return (double)total * 1e9 / (double)(t1 - t0);
}

/* ---- a halted VP and a second thread (irq_wake, cancel) ------------------ */

/*
 * The VP thread runs VP 0, halted in the kernel, until the run is
 * canceled; it counts the cancel and runs again. The main thread kicks it
 * (IRQ_WAKE: an interrupt, which the guest counts; CANCEL: a cancel) and
 * waits for the count to move. The VP thread runs SCHED_FIFO: on the test
 * VM's one CPU, the kick switches to it at once, and the main thread runs
 * again only when the VP has halted again. So the CPU never goes idle
 * (which would warp -icount's clock) and each iteration takes one path.
 */
struct pair {
	int kvm;
	struct whv *w;
	struct kvm *k;
	pthread_t thread;
	UINT32 cancels;		/* atomic */
	int stop;		/* atomic */
};

static struct kvm_run *kvm_sig_run;

static void kvm_sig(int sig)
{
	kvm_sig_run->immediate_exit = 1;
}

static void *pair_vp_main(void *arg)
{
	struct pair *p = arg;
	WHV_RUN_VP_EXIT_CONTEXT e;
	HRESULT hr;

	for (;;) {
		if (p->kvm) {
			if (ioctl(p->k->vcpu[0], KVM_RUN, 0) != -1 ||
			    errno != EINTR)
				die("interrupted KVM_RUN",
				    p->k->run[0]->exit_reason);
			p->k->run[0]->immediate_exit = 0;
		} else {
			hr = WHvRunVirtualProcessor(p->w->part, 0, &e,
						    sizeof(e));
			if (hr || e.ExitReason != WHvRunVpExitReasonCanceled)
				die("canceled run",
				    hr ? (long)hr : (long)e.ExitReason);
		}
		if (__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE))
			return NULL;
		__atomic_add_fetch(&p->cancels, 1, __ATOMIC_RELEASE);
	}
}

/* An interrupt (vector IRQ_VECTOR to APIC ID 0) or a cancel for VP 0. */
static void pair_kick(struct pair *p, int irq)
{
	WHV_INTERRUPT_CONTROL ic = {
		.Type = WHvX64InterruptTypeFixed,
		.Vector = IRQ_VECTOR,
	};
	struct kvm_msi msi = {
		.address_lo = 0xfee00000,
		.data = IRQ_VECTOR,
	};

	if (p->kvm && irq) {
		if (ioctl(p->k->vm, KVM_SIGNAL_MSI, &msi) < 0)
			die("KVM_SIGNAL_MSI", errno);
	} else if (p->kvm) {
		if (pthread_kill(p->thread, SIGUSR1))
			die("pthread_kill", 0);
	} else if (irq) {
		if (WHvRequestInterrupt(p->w->part, &ic, sizeof(ic)))
			die("WHvRequestInterrupt", 0);
	} else {
		if (WHvCancelRunVirtualProcessor(p->w->part, 0, 0))
			die("WHvCancelRunVirtualProcessor", 0);
	}
}

/* Wait for *@count to move (on one CPU it has: no yield). */
static void pair_wait(UINT32 *count, UINT32 old)
{
	while (__atomic_load_n(count, __ATOMIC_ACQUIRE) == old)
		sched_yield();
}

static void pair_run(int kvm, enum bench_case c, UINT64 iters)
{
	struct sigaction sa = { .sa_handler = kvm_sig };
	struct sched_param sp = { .sched_priority = 1 };
	struct pair p = { .kvm = kvm };
	pthread_attr_t attr;
	UINT32 *count;
	uint8_t *ram;
	struct whv w;
	struct kvm k;
	UINT64 i;
	int err;

	if (kvm) {
		kvm_setup(&k, c, 0, 1);
		kvm_sig_run = k.run[0];
		sigaction(SIGUSR1, &sa, NULL);
		p.k = &k;
		ram = k.ram;
	} else {
		whv_setup(&w, c, 0, 1);
		p.w = &w;
		ram = w.ram;
	}
	count = c == IRQ_WAKE ? (UINT32 *)(ram + WAKE_COUNT) : &p.cancels;
	/* SCHED_FIFO from the start: it runs at once, until the VP halts. */
	pthread_attr_init(&attr);
	pthread_attr_setinheritsched(&attr, PTHREAD_EXPLICIT_SCHED);
	pthread_attr_setschedpolicy(&attr, SCHED_FIFO);
	pthread_attr_setschedparam(&attr, &sp);
	err = pthread_create(&p.thread, &attr, pair_vp_main, &p);
	if (err)
		die("pthread_create (SCHED_FIFO: root?)", err);
	pthread_attr_destroy(&attr);
	pair_wait((UINT32 *)(ram + VP_READY), 0);
	for (i = 0; i < iters; i++) {
		UINT32 old = __atomic_load_n(count, __ATOMIC_ACQUIRE);

		pair_kick(&p, c == IRQ_WAKE);
		pair_wait(count, old);
	}
	__atomic_store_n(&p.stop, 1, __ATOMIC_RELEASE);
	pair_kick(&p, 0);
	pthread_join(p.thread, NULL);
	if (kvm)
		kvm_teardown(&k);
	else
		whv_teardown(&w);
}

/* ---- driver -------------------------------------------------------------- */

static int run_case(int kvm, enum bench_case c, UINT64 iters)
{
	if (two_threads(c)) {
		pair_run(kvm, c, iters);
		return 1;
	}
	if (kvm)
		return kvm_run_case(c, iters);
	whv_run_case(c, iters);
	return 1;
}

/*
 * Per iteration: a run of @iters minus a run of @iters / 10, over the
 * difference, so that setup and teardown cancel out; after a first run
 * that takes the one-time costs (page faults, caches). -1: no such case.
 */
static double per_iteration(int kvm, enum bench_case c, UINT64 iters)
{
	UINT64 t0, t1, t2, small = iters / 10;

	if (!run_case(kvm, c, small))
		return -1;
	t0 = now_ns();
	run_case(kvm, c, small);
	t1 = now_ns();
	run_case(kvm, c, iters);
	t2 = now_ns();
	return ((double)(t2 - t1) - (double)(t1 - t0)) / (double)(iters - small);
}

int main(int argc, char **argv)
{
	static const UINT32 vp_counts[] = { 1, 2, 4 };
	UINT64 iters = argc > 2 ? strtoull(argv[2], NULL, 0) : 20000;
	const char *only = getenv("EXITBENCH_CASE");	/* one case (profiling) */
	int kvm, c;

	if (argc == 4 && !strcmp(argv[2], "scale") &&
	    (!strcmp(argv[1], "whv") || !strcmp(argv[1], "kvm"))) {
		unsigned int seconds = strtoul(argv[3], NULL, 0);

		kvm = !strcmp(argv[1], "kvm");
		for (c = 0; c < 3; c++) {
			printf("%s,vps_%u,%.0f\n", argv[1], vp_counts[c],
			       scale_run(kvm, vp_counts[c], seconds ? seconds : 1));
			fflush(stdout);
		}
		return 0;
	}

	if (argc < 2 || (strcmp(argv[1], "whv") && strcmp(argv[1], "kvm")) ||
	    iters < 10) {
		fprintf(stderr, "usage: exitbench whv|kvm [iterations >= 10]\n"
			"       exitbench whv|kvm scale SECONDS\n");
		return 2;
	}
	kvm = !strcmp(argv[1], "kvm");
	for (c = 0; c < N_CASES; c++) {
		double ns;

		if (only && strcmp(only, cases[c].name))
			continue;
		ns = per_iteration(kvm, c, iters);

		if (ns < 0)
			printf("%s,%s,n/a\n", argv[1], cases[c].name);
		else
			printf("%s,%s,%.0f\n", argv[1], cases[c].name, ns);
		fflush(stdout);
	}
	return 0;
}
