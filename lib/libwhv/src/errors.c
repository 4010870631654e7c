// SPDX-License-Identifier: LGPL-2.1-or-later
/* The one place where kernel errnos become the HRESULTs WHv documents. */
#include <errno.h>
#include <sys/ioctl.h>
#include "libwhv.h"

HRESULT whv_ioctl_hr(int fd, unsigned long cmd, void *arg, enum whv_call call)
{
	if (ioctl(fd, cmd, arg) < 0)
		return whv_hresult_from_errno(errno, call);
	return S_OK;
}

HRESULT whv_hresult_from_errno(int err, enum whv_call call)
{
	switch (err) {
	case 0:
		return S_OK;
	case EINVAL:
		return E_INVALIDARG;
	case EFAULT:
		return E_POINTER;
	case ENOMEM:
	case ENOSPC:
		return E_OUTOFMEMORY;
	case EPERM:
	case EACCES:
		return E_ACCESSDENIED;
	case ENOPROTOOPT:
		if (call == WHV_CALL_CAPABILITY)
			return WHV_E_UNKNOWN_CAPABILITY;
		if (call == WHV_CALL_REGISTERS)
			return WHV_E_INVALID_VP_REGISTER_NAME;
		return WHV_E_UNKNOWN_PROPERTY;
	case ENOBUFS:
		return WHV_E_INSUFFICIENT_BUFFER;
	case EBADFD:
		if (call == WHV_CALL_APIC)
			return WHV_HR_OPERATION_DENIED;
		if (call == WHV_CALL_RESET)
			return HRESULT_FROM_WIN32(ERROR_INVALID_STATE);
		return WHV_E_INVALID_PARTITION_CONFIG;
	case ENOENT:
		return WHV_E_VP_DOES_NOT_EXIST;
	case EEXIST:
		return WHV_E_VP_ALREADY_EXISTS;
	case EBUSY:
		if (call == WHV_CALL_RESET)
			return HRESULT_FROM_WIN32(ERROR_INVALID_STATE);
		return WHV_E_INVALID_VP_STATE;
	case ESRCH:
		return WHV_E_GPA_RANGE_NOT_FOUND;
	case ENODEV:
	case ENXIO:
		return WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG;
	case EBADF:
	case ENOTTY:
		return E_HANDLE;
	case EOPNOTSUPP:
		return E_NOTIMPL;
	default:
		return E_FAIL;
	}
}

HRESULT whv_hresult_from_device_errno(int err)
{
	switch (err) {
	case EACCES:
	case EPERM:
		return E_ACCESSDENIED;
	case ENOMEM:
		return E_OUTOFMEMORY;
	default:
		/* No device, or one from another release: no usable hypervisor. */
		return WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG;
	}
}
