/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libwhv internals: the partition handle and the errno -> HRESULT mapping. */
#ifndef LIBWHV_INTERNAL_H
#define LIBWHV_INTERNAL_H

#include <stdatomic.h>
#include <WinHvPlatform.h>
#include "../../../uapi/whv_ioctl.h"

/* What a call was doing, for the errnos whose HRESULT depends on it. */
enum whv_call {
	WHV_CALL_GENERIC,
	WHV_CALL_CAPABILITY,
	WHV_CALL_PROPERTY,
	WHV_CALL_REGISTERS,
	WHV_CALL_RESET,		/* WHvResetPartition: state errors differ */
	WHV_CALL_APIC,		/* local APIC calls: EBADFD is "no APIC" */
};

/* HRESULT_FROM_WIN32(ERROR_HV_OPERATION_DENIED), an NTSTATUS-style code. */
#define WHV_HR_OPERATION_DENIED ((HRESULT)0xC0350008)

struct whv_vp_cache;

struct whv_partition_handle {
	unsigned int magic;
	int fd;
	unsigned int generation;	/* whv_fork_generation at creation */
	/* regcache.c: per VP, made at its first run */
	struct whv_vp_cache *_Atomic vp_cache[WHV_MAX_VPS];
};

#define WHV_HANDLE_MAGIC 0x70766877u	/* "whvp" */

HRESULT whv_hresult_from_errno(int err, enum whv_call call);
/* An ioctl with nothing else to return: S_OK, or its errno as @call maps it. */
HRESULT whv_ioctl_hr(int fd, unsigned long cmd, void *arg, enum whv_call call);
/* Why /dev/whv could not be opened, as the HRESULT a caller acts on. */
HRESULT whv_hresult_from_device_errno(int err);
/* The partition behind a handle, or NULL when the handle is not ours. */
static inline struct whv_partition_handle *whv_handle(WHV_PARTITION_HANDLE h)
{
	struct whv_partition_handle *p = h;

	return p && p->magic == WHV_HANDLE_MAGIC ? p : NULL;
}
/* Bumped in a forked child, whose inherited handles are not its own. */
extern atomic_uint whv_fork_generation;
/* /dev/whv, opened once per process; -errno when it cannot be. */
int whv_device_fd(void);

#endif
