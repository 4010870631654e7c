// SPDX-License-Identifier: GPL-2.0
/*
 * hold kvm|whv: take the CPU's virtualization the way a running VM does
 * (a KVM VM, or a whv partition), print "held" or the failure, and keep it
 * until stdin closes. Used by the coexistence scenarios in the test VM.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <WinHvPlatform.h>

int main(int argc, char **argv)
{
	char c;

	if (argc == 2 && !strcmp(argv[1], "kvm")) {
		int kvm = open("/dev/kvm", O_RDWR);

		if (kvm < 0 || ioctl(kvm, KVM_CREATE_VM, 0) < 0) {
			perror("kvm");
			return 1;
		}
	} else if (argc == 2 && !strcmp(argv[1], "whv")) {
		WHV_PARTITION_HANDLE part;
		HRESULT hr = WHvCreatePartition(&part);

		if (FAILED(hr)) {
			printf("whv: 0x%08x\n", (unsigned int)hr);
			return 1;
		}
	} else {
		fprintf(stderr, "usage: hold kvm|whv\n");
		return 2;
	}
	printf("held\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
