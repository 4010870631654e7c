// SPDX-License-Identifier: GPL-2.0
#define _GNU_SOURCE
#include <cpuid.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <stdio.h>
#include "guest.h"

static HRESULT vm_set_u64_property(WHV_PARTITION_HANDLE part,
				   WHV_PARTITION_PROPERTY_CODE code, UINT64 v)
{
	WHV_PARTITION_PROPERTY prop;

	memset(&prop, 0, sizeof(prop));
	prop.ExtendedVmExits.AsUINT64 = v;	/* any 64-bit member */
	return WHvSetPartitionProperty(part, code, &prop, sizeof(prop));
}

HRESULT vm_create_config(struct test_vm *vm, const struct vm_config *cfg)
{
	WHV_PARTITION_PROPERTY prop;
	HRESULT hr;
	UINT32 i;

	memset(vm, 0, sizeof(*vm));
	hr = WHvCreatePartition(&vm->part);
	if (FAILED(hr))
		return hr;
	memset(&prop, 0, sizeof(prop));
	prop.ProcessorCount = cfg->nvps;
	hr = WHvSetPartitionProperty(vm->part, WHvPartitionPropertyCodeProcessorCount,
				     &prop, sizeof(prop));
	if (SUCCEEDED(hr) && cfg->apic_mode) {
		memset(&prop, 0, sizeof(prop));
		prop.LocalApicEmulationMode = cfg->apic_mode;
		hr = WHvSetPartitionProperty(vm->part,
					     WHvPartitionPropertyCodeLocalApicEmulationMode,
					     &prop, sizeof(prop));
	}
	if (SUCCEEDED(hr) && cfg->ext_exits)
		hr = vm_set_u64_property(vm->part,
					 WHvPartitionPropertyCodeExtendedVmExits,
					 cfg->ext_exits);
	if (SUCCEEDED(hr) && cfg->exception_bitmap)
		hr = vm_set_u64_property(vm->part,
					 WHvPartitionPropertyCodeExceptionExitBitmap,
					 cfg->exception_bitmap);
	if (SUCCEEDED(hr) && cfg->n_cpuid_exits)
		hr = WHvSetPartitionProperty(vm->part,
					     WHvPartitionPropertyCodeCpuidExitList,
					     cfg->cpuid_exits,
					     cfg->n_cpuid_exits * sizeof(UINT32));
	if (SUCCEEDED(hr) && cfg->n_cpuid_results)
		hr = WHvSetPartitionProperty(vm->part,
					     WHvPartitionPropertyCodeCpuidResultList,
					     cfg->cpuid_results,
					     cfg->n_cpuid_results *
					     sizeof(*cfg->cpuid_results));
	if (SUCCEEDED(hr))
		hr = WHvSetupPartition(vm->part);
	if (FAILED(hr))
		goto fail;
	vm->mem_size = GUEST_MEM_SIZE;
	vm->mem = mmap(NULL, vm->mem_size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (vm->mem == MAP_FAILED) {
		vm->mem = NULL;
		hr = E_OUTOFMEMORY;
		goto fail;
	}
	/*
	 * 4 KiB pages, always: a transparent huge page (when the mmap happens
	 * to be 2 MiB aligned) would become a 2 MiB nested leaf, and tests
	 * count leaves. bigmem_test maps huge pages on purpose.
	 */
	madvise(vm->mem, vm->mem_size, MADV_NOHUGEPAGE);
	hr = WHvMapGpaRange(vm->part, vm->mem, 0, vm->mem_size,
			    WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite |
			    WHvMapGpaRangeFlagExecute);
	for (i = 0; SUCCEEDED(hr) && i < cfg->nvps; i++)
		hr = WHvCreateVirtualProcessor(vm->part, i, 0);
	if (FAILED(hr))
		goto fail;
	vm->vp_count = cfg->nvps;
	return S_OK;
fail:
	vm_destroy(vm);
	return hr;
}

HRESULT vm_create_with(struct test_vm *vm, UINT32 nvps, UINT64 ext_exits,
		       UINT64 exception_bitmap)
{
	struct vm_config cfg = {
		.nvps = nvps,
		.ext_exits = ext_exits,
		.exception_bitmap = exception_bitmap,
	};

	return vm_create_config(vm, &cfg);
}

HRESULT vm_create(struct test_vm *vm, UINT32 nvps)
{
	return vm_create_with(vm, nvps, 0, 0);
}

void vm_destroy(struct test_vm *vm)
{
	if (vm->part)
		WHvDeletePartition(vm->part);
	if (vm->mem)
		munmap(vm->mem, vm->mem_size);
	memset(vm, 0, sizeof(*vm));
}

HRESULT vm_set(struct test_vm *vm, UINT32 vp, WHV_REGISTER_NAME name,
	       UINT64 value)
{
	WHV_REGISTER_VALUE v;

	memset(&v, 0, sizeof(v));
	v.Reg64 = value;
	return WHvSetVirtualProcessorRegisters(vm->part, vp, &name, 1, &v);
}

UINT64 vm_get(struct test_vm *vm, UINT32 vp, WHV_REGISTER_NAME name)
{
	WHV_REGISTER_VALUE v;

	memset(&v, 0, sizeof(v));
	if (FAILED(WHvGetVirtualProcessorRegisters(vm->part, vp, &name, 1, &v)))
		return ~0ULL;
	return v.Reg64;
}

HRESULT vm_set_segment(struct test_vm *vm, UINT32 vp, WHV_REGISTER_NAME name,
		       UINT16 sel, UINT64 base, UINT32 limit, UINT16 attr)
{
	WHV_REGISTER_VALUE v;

	memset(&v, 0, sizeof(v));
	v.Segment.Selector = sel;
	v.Segment.Base = base;
	v.Segment.Limit = limit;
	v.Segment.Attributes = attr;
	return WHvSetVirtualProcessorRegisters(vm->part, vp, &name, 1, &v);
}

HRESULT vm_set_table(struct test_vm *vm, UINT32 vp, WHV_REGISTER_NAME name,
		     UINT64 base, UINT16 limit)
{
	WHV_REGISTER_VALUE v;

	memset(&v, 0, sizeof(v));
	v.Table.Base = base;
	v.Table.Limit = limit;
	return WHvSetVirtualProcessorRegisters(vm->part, vp, &name, 1, &v);
}

void vm_idt_gate64(struct test_vm *vm, UINT64 idt, int vec, UINT64 handler)
{
	UINT64 gate[2];

	gate[0] = (handler & 0xffff) | (0x08ULL << 16) | (0x8eULL << 40) |
		  ((handler >> 16) & 0xffff) << 48;
	gate[1] = handler >> 32;
	memcpy(vm->mem + idt + vec * 16, gate, sizeof(gate));
}

void vm_load_real(struct test_vm *vm, UINT32 vp, const uint8_t *start,
		  const uint8_t *end)
{
	memcpy(vm->mem + GUEST_LOAD, start, end - start);
	vm_set_segment(vm, vp, WHvX64RegisterCs, 0, 0, 0xffff, 0x9b);
	vm_set(vm, vp, WHvX64RegisterRip, GUEST_LOAD);
	vm_set(vm, vp, WHvX64RegisterRsp, 0x8000);
}

void vm_load_long(struct test_vm *vm, UINT32 vp, const uint8_t *start,
		  const uint8_t *end)
{
	uint64_t *pml4 = (uint64_t *)(vm->mem + GUEST_PML4);
	uint64_t *pdpt = pml4 + 512, *pd = pdpt + 512, *gdt;
	WHV_REGISTER_NAME tn = WHvX64RegisterGdtr;
	WHV_REGISTER_VALUE tv;
	WHV_REGISTER_NAME seg;
	int i;

	memcpy(vm->mem + GUEST_LOAD, start, end - start);
	memset(pml4, 0, 3 * 4096);
	pml4[0] = (GUEST_PML4 + 0x1000) | 3;
	pdpt[0] = (GUEST_PML4 + 0x2000) | 3;
	for (i = 0; i < 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83;	/* P, RW, PS */
	gdt = (uint64_t *)(vm->mem + GUEST_GDT);
	gdt[0] = 0;
	gdt[1] = 0x00af9b000000ffffULL;		/* 0x08: 64-bit code */
	gdt[2] = 0x00cf93000000ffffULL;		/* 0x10: data */

	memset(&tv, 0, sizeof(tv));
	tv.Table.Base = GUEST_GDT;
	tv.Table.Limit = 3 * 8 - 1;
	WHvSetVirtualProcessorRegisters(vm->part, vp, &tn, 1, &tv);
	vm_set_segment(vm, vp, WHvX64RegisterCs, 0x08, 0, 0xffffffff, 0xa09b);
	for (seg = WHvX64RegisterEs; seg <= WHvX64RegisterGs; seg++)
		if (seg != WHvX64RegisterCs)
			vm_set_segment(vm, vp, seg, 0x10, 0, 0xffffffff, 0xc093);
	vm_set(vm, vp, WHvX64RegisterCr3, GUEST_PML4);
	vm_set(vm, vp, WHvX64RegisterCr4, 0x20 | 0x200);	/* PAE, OSFXSR */
	vm_set(vm, vp, WHvX64RegisterEfer, 0x500);		/* LME, LMA */
	vm_set(vm, vp, WHvX64RegisterCr0, 0x80010033);		/* PG WP NE ET MP PE */
	vm_set(vm, vp, WHvX64RegisterRip, GUEST_LOAD);
	vm_set(vm, vp, WHvX64RegisterRsp, GUEST_STACK_TOP);
	vm_set(vm, vp, WHvX64RegisterRflags, 2);
}

void vm_map_apic(struct test_vm *vm)
{
	uint64_t *pdpt = (uint64_t *)(vm->mem + GUEST_PML4 + 0x1000);
	uint64_t *pd = (uint64_t *)(vm->mem + GUEST_PML4 + 0x3000);
	int i;

	for (i = 0; i < 512; i++)	/* P, RW, PCD, PS */
		pd[i] = (3ULL << 30) + ((uint64_t)i << 21) + 0x93;
	pdpt[3] = (GUEST_PML4 + 0x3000) | 3;
}

HRESULT vm_interrupt(struct test_vm *vm, UINT32 type, UINT32 dest,
		     UINT32 vector, bool logical, bool level)
{
	WHV_INTERRUPT_CONTROL ic;

	memset(&ic, 0, sizeof(ic));
	ic.Type = type;
	ic.DestinationMode = logical ? WHvX64InterruptDestinationModeLogical :
				       WHvX64InterruptDestinationModePhysical;
	ic.TriggerMode = level ? WHvX64InterruptTriggerModeLevel :
				 WHvX64InterruptTriggerModeEdge;
	ic.Destination = dest;
	ic.Vector = vector;
	return WHvRequestInterrupt(vm->part, &ic, sizeof(ic));
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

UINT32 vm_u32(struct test_vm *vm, UINT64 gpa)
{
	return __atomic_load_n((UINT32 *)(vm->mem + gpa), __ATOMIC_ACQUIRE);
}

UINT64 vm_u64(struct test_vm *vm, UINT64 gpa)
{
	return __atomic_load_n((UINT64 *)(vm->mem + gpa), __ATOMIC_ACQUIRE);
}

bool vm_wait_u32(struct test_vm *vm, UINT64 gpa, UINT32 want, unsigned int ms)
{
	uint64_t end = now_ns() + (uint64_t)ms * 1000000;

	while (vm_u32(vm, gpa) < want) {
		if (now_ns() > end)
			return false;
		usleep(1000);
	}
	return true;
}

static void *vp_thread_main(void *arg)
{
	struct vp_thread *t = arg;

	t->t_start = now_ns();
	do {
		t->hr = vm_run(t->vm, t->vp, &t->exit);
	} while (t->hr == S_OK && t->rerun && t->rerun(t));
	t->t_end = now_ns();
	__atomic_store_n(&t->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

int vp_thread_start(struct vp_thread *t, struct test_vm *vm, UINT32 vp)
{
	return vp_thread_start_rerun(t, vm, vp, NULL);
}

int vp_thread_start_rerun(struct vp_thread *t, struct test_vm *vm, UINT32 vp,
			  bool (*rerun)(struct vp_thread *t))
{
	int err;

	memset(t, 0, sizeof(*t));
	t->vm = vm;
	t->vp = vp;
	t->rerun = rerun;
	t->hr = E_UNEXPECTED;
	err = pthread_create(&t->thread, NULL, vp_thread_main, t);
	t->started = !err;
	return err;
}

bool vp_thread_done(struct vp_thread *t)
{
	return __atomic_load_n(&t->done, __ATOMIC_ACQUIRE);
}

static bool vp_thread_timedjoin(struct vp_thread *t, unsigned int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	return pthread_timedjoin_np(t->thread, NULL, &ts) == 0;
}

bool vp_thread_join(struct vp_thread *t, unsigned int ms)
{
	bool by_itself;
	int i;

	if (!t->started)
		return false;
	by_itself = vp_thread_timedjoin(t, ms);
	for (i = 0; !by_itself && i < 100; i++) {
		WHvCancelRunVirtualProcessor(t->vm->part, t->vp, 0);
		if (vp_thread_timedjoin(t, 100))
			break;
	}
	if (!by_itself && i == 100) {
		/* Freeing the partition under a running VP is worse. */
		fprintf(stderr, "# VP %u: run not cancelable, giving up\n", t->vp);
		abort();
	}
	t->started = false;
	return by_itself;
}

HRESULT vm_run(struct test_vm *vm, UINT32 vp, WHV_RUN_VP_EXIT_CONTEXT *exit)
{
	memset(exit, 0xcc, sizeof(*exit));
	return WHvRunVirtualProcessor(vm->part, vp, exit, sizeof(*exit));
}

void vm_skip(struct test_vm *vm, UINT32 vp,
	     const WHV_RUN_VP_EXIT_CONTEXT *exit)
{
	vm_set(vm, vp, WHvX64RegisterRip,
	       exit->VpContext.Rip + exit->VpContext.InstructionLength);
}

HRESULT vm_run_console(struct test_vm *vm, UINT32 vp,
		       WHV_RUN_VP_EXIT_CONTEXT *exit, char *out, size_t outlen)
{
	size_t n = 0;
	HRESULT hr;

	for (;;) {
		hr = vm_run(vm, vp, exit);
		if (FAILED(hr) ||
		    exit->ExitReason != WHvRunVpExitReasonX64IoPortAccess ||
		    exit->IoPortAccess.PortNumber != 0xe9 ||
		    !exit->IoPortAccess.AccessInfo.IsWrite)
			break;
		if (n + 1 < outlen)
			out[n++] = (char)exit->IoPortAccess.Rax;
		vm_skip(vm, vp, exit);
	}
	if (outlen)
		out[n < outlen ? n : outlen - 1] = 0;
	return hr;
}

bool host_is_tcg(void)
{
	unsigned int a, b, c, d;
	char sig[13];

	__cpuid(0x40000000, a, b, c, d);
	memcpy(sig, &b, 4);
	memcpy(sig + 4, &c, 4);
	memcpy(sig + 8, &d, 4);
	sig[12] = 0;
	(void)a;
	return !strcmp(sig, "TCGTCGTCGTCG");
}

bool host_is_bochs(void)
{
	char buf[64] = "";
	FILE *f = fopen("/sys/class/dmi/id/bios_version", "r");

	if (!f)
		return false;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	fclose(f);
	return !strncmp(buf, "Bochs", 5);
}

HRESULT vm_emu_get_regs(VOID *ctx, const WHV_REGISTER_NAME *names, UINT32 n,
			WHV_REGISTER_VALUE *values)
{
	return WHvGetVirtualProcessorRegisters(*(WHV_PARTITION_HANDLE *)ctx, 0,
					       names, n, values);
}

HRESULT vm_emu_set_regs(VOID *ctx, const WHV_REGISTER_NAME *names, UINT32 n,
			const WHV_REGISTER_VALUE *values)
{
	return WHvSetVirtualProcessorRegisters(*(WHV_PARTITION_HANDLE *)ctx, 0,
					       names, n, values);
}

HRESULT vm_emu_translate(VOID *ctx, WHV_GUEST_VIRTUAL_ADDRESS gva,
			 WHV_TRANSLATE_GVA_FLAGS flags,
			 WHV_TRANSLATE_GVA_RESULT_CODE *code,
			 WHV_GUEST_PHYSICAL_ADDRESS *gpa)
{
	WHV_TRANSLATE_GVA_RESULT res;
	HRESULT hr = WHvTranslateGva(*(WHV_PARTITION_HANDLE *)ctx, 0, gva,
				     flags, &res, gpa);

	if (SUCCEEDED(hr))
		*code = res.ResultCode;
	return hr;
}
