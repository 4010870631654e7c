// SPDX-License-Identifier: GPL-2.0
/*
 * The smallest whole VMM on libwhv: a real-mode guest that prints a line on
 * port 0xE9, asks CPUID for the hypervisor's name, and halts. Everything a
 * WHPX program on Windows would write, unchanged.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <WinHvPlatform.h>

/* 16-bit guest at GPA 0x1000: print msg, cpuid(0x40000000), print, hlt. */
extern const unsigned char guest_start[], guest_end[];
asm(".pushsection .rodata\n"
    "guest_start:\n"
    ".code16\n"
    "	mov $(msg - guest_start + 0x1000), %si\n"
    "	mov $0xe9, %dx\n"
    "1:	lodsb\n"
    "	test %al, %al\n"
    "	jz 2f\n"
    "	out %al, %dx\n"
    "	jmp 1b\n"
    "2:	mov $0x40000000, %eax\n"
    "	cpuid\n"
    "	hlt\n"
    "msg:	.asciz \"Hello from a guest running on whv!\\n\"\n"
    ".code64\n"
    "guest_end:\n"
    ".popsection\n");

#define CHECK(hr, what) do { if (FAILED(hr)) { \
	fprintf(stderr, "%s failed: 0x%08x\n", what, (unsigned)(hr)); \
	return 1; } } while (0)

int main(void)
{
	WHV_REGISTER_NAME names[] = { WHvX64RegisterCs, WHvX64RegisterRip };
	WHV_REGISTER_VALUE values[2];
	WHV_CAPABILITY cap;
	WHV_PARTITION_HANDLE part;
	WHV_PARTITION_PROPERTY prop;
	WHV_RUN_VP_EXIT_CONTEXT exit;
	UINT32 written;
	unsigned char *mem;
	HRESULT hr;

	hr = WHvGetCapability(WHvCapabilityCodeHypervisorPresent, &cap,
			      sizeof(cap), &written);
	CHECK(hr, "WHvGetCapability");
	if (!cap.HypervisorPresent) {
		fprintf(stderr, "no hypervisor: is whv.ko loaded?\n");
		return 1;
	}
	CHECK(WHvCreatePartition(&part), "WHvCreatePartition");
	memset(&prop, 0, sizeof(prop));
	prop.ProcessorCount = 1;
	CHECK(WHvSetPartitionProperty(part, WHvPartitionPropertyCodeProcessorCount,
				      &prop, sizeof(prop)), "ProcessorCount");
	CHECK(WHvSetupPartition(part), "WHvSetupPartition");

	mem = mmap(NULL, 0x10000, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	memcpy(mem + 0x1000, guest_start, guest_end - guest_start);
	CHECK(WHvMapGpaRange(part, mem, 0, 0x10000, WHvMapGpaRangeFlagRead |
			     WHvMapGpaRangeFlagWrite | WHvMapGpaRangeFlagExecute),
	      "WHvMapGpaRange");
	CHECK(WHvCreateVirtualProcessor(part, 0, 0), "WHvCreateVirtualProcessor");

	memset(values, 0, sizeof(values));
	values[0].Segment.Limit = 0xffff;
	values[0].Segment.Attributes = 0x9b;
	values[1].Reg64 = 0x1000;
	CHECK(WHvSetVirtualProcessorRegisters(part, 0, names, 2, values),
	      "WHvSetVirtualProcessorRegisters");

	printf("guest says: ");
	for (;;) {
		CHECK(WHvRunVirtualProcessor(part, 0, &exit, sizeof(exit)),
		      "WHvRunVirtualProcessor");
		if (exit.ExitReason == WHvRunVpExitReasonX64IoPortAccess &&
		    exit.IoPortAccess.PortNumber == 0xe9) {
			putchar((int)(exit.IoPortAccess.Rax & 0xff));
			/* The VMM completes the OUT: step past it. */
			values[1].Reg64 = exit.VpContext.Rip +
					  exit.VpContext.InstructionLength;
			CHECK(WHvSetVirtualProcessorRegisters(part, 0, &names[1], 1,
							      &values[1]), "set RIP");
			continue;
		}
		break;
	}
	printf("guest stopped: exit reason 0x%x at CS:IP %04x:%04llx\n",
	       exit.ExitReason, exit.VpContext.Cs.Selector,
	       (unsigned long long)exit.VpContext.Rip);
	{
		WHV_REGISTER_NAME r[] = { WHvX64RegisterRbx, WHvX64RegisterRcx,
					  WHvX64RegisterRdx };
		WHV_REGISTER_VALUE v[3];
		char sig[13];

		CHECK(WHvGetVirtualProcessorRegisters(part, 0, r, 3, v), "get");
		memcpy(sig, &v[0].Reg32, 4);
		memcpy(sig + 4, &v[1].Reg32, 4);
		memcpy(sig + 8, &v[2].Reg32, 4);
		sig[12] = 0;
		printf("CPUID 0x40000000 in the guest said: \"%s\"\n", sig);
	}
	WHvDeletePartition(part);
	return exit.ExitReason == WHvRunVpExitReasonX64Halt ? 0 : 1;
}
