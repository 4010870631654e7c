// SPDX-License-Identifier: LGPL-2.1-or-later
/* /dev/whv and WHvGetCapability. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "../../../uapi/whv_ioctl.h"
#include "libwhv.h"

static pthread_once_t whv_device_once = PTHREAD_ONCE_INIT;
static int whv_device;
atomic_uint whv_fork_generation;

/* A forked child: the handles it inherited are its parent's (regcache.c). */
static void whv_forked(void)
{
	atomic_fetch_add(&whv_fork_generation, 1);
}

static void whv_device_open(void)
{
	pthread_atfork(NULL, NULL, whv_forked);
	whv_device = open("/dev/whv", O_RDWR | O_CLOEXEC);
	if (whv_device < 0) {
		whv_device = -errno;
		return;
	}
	if (ioctl(whv_device, WHV_GET_API_VERSION, 0) != WHV_API_VERSION) {
		close(whv_device);
		whv_device = -ENODEV;	/* a module from another release */
	}
}

int whv_device_fd(void)
{
	pthread_once(&whv_device_once, whv_device_open);
	return whv_device;
}

HRESULT WINAPI WHvGetCapability(WHV_CAPABILITY_CODE CapabilityCode,
				VOID *CapabilityBuffer,
				UINT32 CapabilityBufferSizeInBytes,
				UINT32 *WrittenSizeInBytes)
{
	struct whv_capability cap = { .code = CapabilityCode };
	int fd;

	if (!CapabilityBuffer)
		return E_POINTER;
	fd = whv_device_fd();
	if (fd < 0) {
		/* No hypervisor is a valid answer to "is one present?" */
		if (CapabilityCode != WHvCapabilityCodeHypervisorPresent)
			return whv_hresult_from_device_errno(-fd);
		cap.size = sizeof(BOOL);
	} else if (ioctl(fd, WHV_GET_CAPABILITY, &cap) < 0) {
		return whv_hresult_from_errno(errno, WHV_CALL_CAPABILITY);
	}
	if (CapabilityBufferSizeInBytes < cap.size)
		return WHV_E_INSUFFICIENT_BUFFER;
	memcpy(CapabilityBuffer, cap.data, cap.size);
	if (WrittenSizeInBytes)
		*WrittenSizeInBytes = cap.size;
	return S_OK;
}
