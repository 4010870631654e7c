// SPDX-License-Identifier: GPL-2.0
/*
 * CPUID as the guest sees it: the partition's CpuidResultList first, else the
 * host's values with whatever this hypervisor does not virtualize hidden
 * (VMX/SVM, monitor/mwait, perfmon, ...). The APIC, x2APIC and TSC-deadline
 * bits describe the in-kernel APIC when the partition has one.
 */
#include <linux/kernel.h>
#include <asm/processor.h>
#include <asm/fpu/types.h>
#include "whv.h"

enum { EAX, EBX, ECX, EDX };

#define BASIC_MAX	0xd
#define EXT_MAX		0x80000008
#define HV_BASE		0x40000000

/* Feature bits passed through from the host; everything else reads 0. */
static const u32 leaf1_ecx = BIT(0) | BIT(1) | BIT(9) | BIT(12) | BIT(13) |
	BIT(19) | BIT(20) | BIT(22) | BIT(23) | BIT(25) | BIT(26) | BIT(28) |
	BIT(29) | BIT(30);
static const u32 leaf1_edx = BIT(0) | BIT(1) | BIT(2) | BIT(3) | BIT(4) |
	BIT(5) | BIT(6) | BIT(8) | BIT(11) | BIT(12) | BIT(13) | BIT(15) |
	BIT(16) | BIT(17) | BIT(19) | BIT(23) | BIT(24) | BIT(25) | BIT(26);
static const u32 leaf7_ebx = BIT(0) | BIT(3) | BIT(5) | BIT(7) | BIT(8) |
	BIT(9) | BIT(10) | BIT(16) | BIT(17) | BIT(18) | BIT(19) | BIT(20) |
	BIT(21) | BIT(23) | BIT(24) | BIT(28) | BIT(29) | BIT(30) | BIT(31);
static const u32 leaf7_ecx = BIT(1) | BIT(2) | BIT(6) | BIT(8) | BIT(9) |
	BIT(10) | BIT(11) | BIT(12) | BIT(14);
static const u32 leaf7_edx = BIT(4) | BIT(14);
static const u32 ext1_ecx = BIT(0) | BIT(1) | BIT(5) | BIT(6) | BIT(7) |
	BIT(8) | BIT(11) | BIT(16) | BIT(21);
static const u32 ext1_edx = leaf1_edx | BIT(11) | BIT(20) | BIT(22) |
	BIT(25) | BIT(26) | BIT(29) | BIT(30) | BIT(31);

/*
 * What the host kernel itself uses of a CPUID word: features it turned off
 * (noxsave, clearcpuid=, a failed XSAVE check) have state it does not
 * switch, so the guest must not be offered them either.
 */
static u32 host_caps(enum cpuid_leafs word)
{
	return boot_cpu_data.x86_capability[word];
}

static void host_cpuid(u32 leaf, u32 sub, u32 out[4])
{
	cpuid_count(leaf, sub, &out[EAX], &out[EBX], &out[ECX], &out[EDX]);
}

/* XSAVE area size for the components in @xcr0 (standard format). */
static u32 xsave_size(u64 xcr0)
{
	u32 size = 512 + 64, r[4];
	int i;

	for (i = 2; i < 63; i++) {
		if (!(xcr0 & BIT_ULL(i)))
			continue;
		host_cpuid(0xd, i, r);
		size = max(size, r[EAX] + r[EBX]);
	}
	return size;
}

static void cpuid_xsave(struct whv_vp *vp, u32 sub, u32 out[4])
{
	u64 perm = vp->fpu.perm;

	if (!boot_cpu_has(X86_FEATURE_XSAVE))
		return;
	if (sub == 0) {
		out[EAX] = (u32)perm;
		out[EDX] = perm >> 32;
		out[EBX] = xsave_size(vp->xcr0);
		out[ECX] = xsave_size(perm);
	} else if (sub == 1) {
		out[EAX] &= BIT(0) | BIT(1) | BIT(2);	/* no XSAVES */
		out[EBX] = 0;
		out[ECX] = 0;
		out[EDX] = 0;
	} else if (sub >= 63 || !(perm & BIT_ULL(sub))) {
		memset(out, 0, 16);
	}
}

/* Leaf 1: the in-kernel APIC (EDX.APIC follows IA32_APIC_BASE.EN). */
static void cpuid_apic_bits(struct whv_vp *vp, u32 out[4])
{
	u32 mode = vp->part->apic_mode;

	if (whv_lapic_enabled(vp))
		out[EDX] |= BIT(9);
	if (mode)
		out[ECX] |= BIT(24);		/* TSC deadline */
	if (mode == WHV_APIC_MODE_X2APIC)
		out[ECX] |= BIT(21);
}

/*
 * Leaves 0 and 0x80000000 as guests see them (the highest basic and
 * extended leaves, and the vendor), read once at load: host CPUID is
 * serializing, and an exit of its own when the host is itself a guest.
 */
static u32 cpuid_basic0[4], cpuid_ext0[4];

static void cpuid_host_filtered(struct whv_vp *vp, u32 leaf, u32 sub,
				u32 out[4])
{
	memset(out, 0, 16);
	if (leaf >= HV_BASE && leaf < HV_BASE + 0x100) {
		if (leaf == HV_BASE) {
			out[EAX] = HV_BASE;
			memcpy(&out[EBX], "whvw", 4);
			memcpy(&out[ECX], "hvwh", 4);
			memcpy(&out[EDX], "vwhv", 4);
		}
		return;
	}
	if (leaf > ((leaf & 0x80000000) ? cpuid_ext0[EAX] : cpuid_basic0[EAX]))
		return;
	if (leaf == 0 || leaf == 0x80000000) {
		memcpy(out, leaf ? cpuid_ext0 : cpuid_basic0, 16);
		return;
	}
	host_cpuid(leaf, sub, out);
	switch (leaf) {
	case 1: {
		u64 cr4 = whv_backend->read_reg(vp, WHV_AREG_CR4);

		out[EBX] = (out[EBX] & 0xff00) | (vp->initial_apic_id << 24);
		out[ECX] &= leaf1_ecx & host_caps(CPUID_1_ECX);
		if (cr4 & X86_CR4_OSXSAVE)
			out[ECX] |= BIT(27);
		out[ECX] |= BIT(31);	/* running under a hypervisor */
		out[EDX] &= leaf1_edx & host_caps(CPUID_1_EDX);
		cpuid_apic_bits(vp, out);
		out[EDX] |= BIT(12);	/* msrregs.c: MTRRs in software */
		break;
	}
	case 2:
	case 4:
		break;			/* cache descriptions */
	case 7:
		if (sub) {
			memset(out, 0, 16);
			break;
		}
		out[EAX] = 0;
		out[EBX] &= leaf7_ebx & host_caps(CPUID_7_0_EBX);
		out[ECX] &= leaf7_ecx & host_caps(CPUID_7_ECX);
		out[EDX] &= leaf7_edx & host_caps(CPUID_7_EDX);
		/* msrregs.c: TSC_ADJUST is software's; RDPID with RDTSCP */
		out[EBX] |= BIT(1);
		if (whv_guest_rdtscp() && boot_cpu_has(X86_FEATURE_RDPID))
			out[ECX] |= BIT(22);
		if (whv_guest_has_la57)
			out[ECX] |= BIT(16);	/* 5-level paging */
		break;
	case 0xb:
		/* No topology levels; EDX is the x2APIC ID. */
		memset(out, 0, 16);
		out[ECX] = sub & 0xff;
		out[EDX] = vp->index;
		break;
	case 0xd:
		cpuid_xsave(vp, sub, out);
		break;
	case 0x80000001:
		out[ECX] &= ext1_ecx & host_caps(CPUID_8000_0001_ECX);
		out[EDX] &= ext1_edx & host_caps(CPUID_8000_0001_EDX);
		if (whv_lapic_enabled(vp))
			out[EDX] |= BIT(9);
		/* msrregs.c: TSC_AUX is the guest's while it runs; MTRRs */
		if (whv_guest_rdtscp())
			out[EDX] |= BIT(27);
		if (boot_cpu_data.x86_vendor != X86_VENDOR_INTEL)
			out[EDX] |= BIT(12);
		break;
	case 0x80000002 ... 0x80000006:
		break;			/* brand string, caches */
	case 0x80000007:
		out[EAX] = 0;
		out[EBX] = 0;
		out[ECX] = 0;
		out[EDX] &= BIT(8);	/* invariant TSC */
		break;
	case 0x80000008:
		/* Linear-address bits: 57 exactly when CR4.LA57 works. */
		out[EAX] = (whv_guest_has_la57 ? 57 : 48) << 8 |
			   whv_guest_phys_bits();
		out[EBX] = 0;
		out[ECX] = 0;
		out[EDX] = 0;
		break;
	default:
		memset(out, 0, 16);	/* not virtualized */
	}
}

bool whv_guest_has_la57;

/* Before the backend's probe, which may take LA57 back (vmx.c). */
void whv_cpuid_init(void)
{
	u32 r[4];

	host_cpuid(0x80000000, 0, cpuid_ext0);
	cpuid_ext0[EAX] = min_t(u32, cpuid_ext0[EAX], EXT_MAX);
	host_cpuid(0, 0, r);
	memcpy(cpuid_basic0, r, sizeof(r));
	cpuid_basic0[EAX] = min_t(u32, cpuid_basic0[EAX], BASIC_MAX);
	if (r[EAX] < 7)
		return;
	host_cpuid(7, 0, r);
	/*
	 * The CPU's bit, not the host kernel's: a host that runs 4-level
	 * paging (no5lvl) clears X86_FEATURE_LA57, but the guest's paging
	 * mode is its own, held in the VMCB/VMCS.
	 */
	whv_guest_has_la57 = r[ECX] & BIT(16);
}

/*
 * MAXPHYADDR as guests see it (CPUID, page-table reserved bits, the
 * PhysicalAddressWidth capability): the CPU's, but nested tables map 48.
 */
u32 whv_guest_phys_bits(void)
{
	return min_t(u32, cpuid_eax(0x80000008) & 0xff, WHV_GPA_BITS);
}

void whv_cpuid_default(struct whv_vp *vp, u32 leaf, u32 sub, u32 out[4])
{
	struct whv_partition *p = vp->part;
	u32 i;

	for (i = 0; i < p->n_cpuid_results; i++) {
		const struct whv_cpuid_result *r = &p->cpuid_results[i];

		if (r->function == leaf) {
			out[EAX] = r->eax;
			out[EBX] = r->ebx;
			out[ECX] = r->ecx;
			out[EDX] = r->edx;
			return;
		}
	}
	cpuid_host_filtered(vp, leaf, sub, out);
}

bool whv_cpuid_exit_listed(struct whv_partition *p, u32 leaf)
{
	u32 i, n = READ_ONCE(p->n_cpuid_exits);

	for (i = 0; i < n; i++)
		if (READ_ONCE(p->cpuid_exits[i]) == leaf)
			return true;
	return false;
}
