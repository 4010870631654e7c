// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * compat/windows.h - optional stand-in for <windows.h> when building a WHPX
 * sample program on Linux.  Add -I<libwhv>/include/compat next to
 * -I<libwhv>/include and the sample's "#include <windows.h>" (or
 * <Windows.h>) lands here.
 *
 * This is a convenience, not an emulation of Win32.  It holds only what the
 * public WHPX samples take from <windows.h> beyond the WHv headers'
 * own types (Microsoft's WinHvSampleAmd64.cpp, SimpleWhpDemo, whvpclient):
 *
 *   - guest memory: VirtualAlloc / VirtualFree with MEM_RESERVE, MEM_COMMIT,
 *     MEM_DECOMMIT, MEM_RELEASE and the PAGE_* protections, over mmap;
 *   - GetLastError() after such a call, GetSystemInfo() for the page size
 *     and allocation granularity;
 *   - ZeroMemory & co., _countof, UNREFERENCED_PARAMETER, the IN/OUT/CONST
 *     annotations and a few pointer type names;
 *   - threads as a VMM uses them to cancel a running virtual processor
 *     (QEMU's WHPX kicks a vCPU thread, samples run a watchdog thread):
 *     CreateThread, WaitForSingleObject and GetExitCodeThread on the thread,
 *     CloseHandle, GetCurrentThreadId and Sleep, over pthreads (link with
 *     -lpthread before glibc 2.34).
 *
 * Events, mutexes, files and module loading are deliberately absent: use
 * pthreads, stdio and dlopen (a WHPX program that loads WinHvPlatform.dll
 * with LoadLibrary/GetProcAddress can link libwhv directly instead).
 * Everything is static inline, so nothing here is part of libwhv's ABI.
 */
#ifndef WHV_COMPAT_WINDOWS_H
#define WHV_COMPAT_WINDOWS_H

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#if !defined(MAP_ANONYMOUS) || !defined(MADV_DONTNEED)
# error "compat/windows.h needs the POSIX/BSD extensions: use -std=gnu11 or define _DEFAULT_SOURCE"
#endif

/* The Windows base types come from the WHv headers, and only from there. */
#include "../WinHvPlatform.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Annotations, calling conventions, small helpers                          */
/* ------------------------------------------------------------------------ */

#ifndef IN
# define IN
#endif
#ifndef OUT
# define OUT
#endif
#ifndef OPTIONAL
# define OPTIONAL
#endif
#ifndef CONST
# define CONST const
#endif
#ifndef __cdecl
# define __cdecl
#endif
#ifndef __stdcall
# define __stdcall
#endif

#ifndef _countof
# define _countof(array) (sizeof(array) / sizeof((array)[0]))
#endif
#ifndef ARRAYSIZE
# define ARRAYSIZE(array) _countof(array)
#endif
#ifndef UNREFERENCED_PARAMETER
# define UNREFERENCED_PARAMETER(p) ((void)(p))
#endif

#ifndef RtlZeroMemory
# define RtlZeroMemory(dst, len)       memset((dst), 0, (len))
#endif
#ifndef RtlFillMemory
# define RtlFillMemory(dst, len, byte) memset((dst), (byte), (len))
#endif
#ifndef RtlCopyMemory
# define RtlCopyMemory(dst, src, len)  memcpy((dst), (src), (len))
#endif
#ifndef RtlMoveMemory
# define RtlMoveMemory(dst, src, len)  memmove((dst), (src), (len))
#endif
#ifndef ZeroMemory
# define ZeroMemory RtlZeroMemory
#endif
#ifndef FillMemory
# define FillMemory RtlFillMemory
#endif
#ifndef CopyMemory
# define CopyMemory RtlCopyMemory
#endif
#ifndef MoveMemory
# define MoveMemory RtlMoveMemory
#endif

#ifndef INVALID_HANDLE_VALUE
# define INVALID_HANDLE_VALUE ((HANDLE)(LONG_PTR)-1)
#endif

#ifndef WHV_COMPAT_TYPES_DEFINED
#define WHV_COMPAT_TYPES_DEFINED
typedef char *PSTR, *LPSTR;
typedef const char *PCSTR, *LPCSTR;
typedef ULONG_PTR DWORD_PTR, *PDWORD_PTR;
typedef DWORD *LPDWORD;
typedef BYTE *PBYTE, *LPBYTE;
#endif

/* ------------------------------------------------------------------------ */
/* Error codes                                                               */
/* ------------------------------------------------------------------------ */

/*
 * The Win32 error of the calling thread's last failed call, derived from
 * errno: meaningful right after a call here that failed (VirtualAlloc,
 * VirtualFree, CreateThread, WaitForSingleObject, ...), as on Windows, and
 * not after arbitrary libc calls.
 */
static inline DWORD GetLastError(void)
{
	switch (errno) {
	case 0:
		return ERROR_SUCCESS;
	case ENOMEM:
		return ERROR_NOT_ENOUGH_MEMORY;
	case EINVAL:
		return ERROR_INVALID_PARAMETER;
	case EFAULT:
		return ERROR_INVALID_ADDRESS;
	case EACCES:
	case EPERM:
		return ERROR_ACCESS_DENIED;
	case EBADF:
		return ERROR_INVALID_HANDLE;
	case EAGAIN:
		return ERROR_NOT_ENOUGH_MEMORY;
	default:
		return ERROR_GEN_FAILURE;
	}
}

/* ------------------------------------------------------------------------ */
/* System information                                                        */
/* ------------------------------------------------------------------------ */

#define PROCESSOR_ARCHITECTURE_AMD64 9
#define PROCESSOR_AMD_X8664         8664

#if defined(__GNUC__)
# pragma GCC diagnostic push
/* Anonymous structs are standard C11 but an extension in C++. */
# pragma GCC diagnostic ignored "-Wpedantic"
#endif

typedef struct _SYSTEM_INFO {
	union {
		DWORD dwOemId;
		struct {
			WORD wProcessorArchitecture;
			WORD wReserved;
		};
	};
	DWORD dwPageSize;
	LPVOID lpMinimumApplicationAddress;
	LPVOID lpMaximumApplicationAddress;
	DWORD_PTR dwActiveProcessorMask;
	DWORD dwNumberOfProcessors;
	DWORD dwProcessorType;
	DWORD dwAllocationGranularity;
	WORD wProcessorLevel;
	WORD wProcessorRevision;
} SYSTEM_INFO, *LPSYSTEM_INFO;

#if defined(__GNUC__)
# pragma GCC diagnostic pop
#endif

WHV_SIZE_IS(SYSTEM_INFO, 48);
WHV_OFFSET_IS(SYSTEM_INFO, dwPageSize, 4);
WHV_OFFSET_IS(SYSTEM_INFO, lpMinimumApplicationAddress, 8);
WHV_OFFSET_IS(SYSTEM_INFO, dwActiveProcessorMask, 24);
WHV_OFFSET_IS(SYSTEM_INFO, dwNumberOfProcessors, 32);
WHV_OFFSET_IS(SYSTEM_INFO, dwAllocationGranularity, 40);
WHV_OFFSET_IS(SYSTEM_INFO, wProcessorLevel, 44);

/* Reservations start on this boundary, as on Windows. */
#define WHV_COMPAT_ALLOCATION_GRANULARITY 0x10000u

static inline void GetSystemInfo(LPSYSTEM_INFO info)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	memset(info, 0, sizeof(*info));
	info->wProcessorArchitecture = PROCESSOR_ARCHITECTURE_AMD64;
	info->dwPageSize = (DWORD)sysconf(_SC_PAGESIZE);
	info->lpMinimumApplicationAddress = (LPVOID)(ULONG_PTR)WHV_COMPAT_ALLOCATION_GRANULARITY;
	info->lpMaximumApplicationAddress = (LPVOID)(ULONG_PTR)0x00007FFFFFFEFFFFull;
	if (cpus < 1)
		cpus = 1;
	info->dwNumberOfProcessors = (DWORD)cpus;
	info->dwActiveProcessorMask = cpus >= 64 ? ~(DWORD_PTR)0
						  : ((DWORD_PTR)1 << cpus) - 1;
	info->dwProcessorType = PROCESSOR_AMD_X8664;
	info->dwAllocationGranularity = WHV_COMPAT_ALLOCATION_GRANULARITY;
}

/* ------------------------------------------------------------------------ */
/* Virtual memory                                                            */
/* ------------------------------------------------------------------------ */

#define MEM_COMMIT   0x00001000
#define MEM_RESERVE  0x00002000
#define MEM_DECOMMIT 0x00004000
#define MEM_RELEASE  0x00008000

#define PAGE_NOACCESS          0x01
#define PAGE_READONLY          0x02
#define PAGE_READWRITE         0x04
#define PAGE_EXECUTE           0x10
#define PAGE_EXECUTE_READ      0x20
#define PAGE_EXECUTE_READWRITE 0x40

/*
 * How the calls map onto Linux:
 *
 *   VirtualAlloc(NULL, n, MEM_RESERVE[|MEM_COMMIT], prot)
 *       a new private anonymous mapping of n bytes (rounded up to pages) at
 *       a 64 KiB boundary, PROT_NONE until committed;
 *   VirtualAlloc(addr, n, MEM_COMMIT, prot)
 *       mprotect() of the pages in [addr, addr + n) of such a reservation
 *       (addr NULL: reserve and commit at once).  Pages keep their contents,
 *       so memory already given to WHvMapGpaRange stays mapped in the guest;
 *   VirtualFree(addr, n, MEM_DECOMMIT)
 *       access removed and the pages' contents dropped (they read as zero
 *       when committed again); n must not be 0.  Unmap the range from the
 *       partition first: what the guest sees of dropped pages is undefined;
 *   VirtualFree(base, 0, MEM_RELEASE)
 *       munmap() of the whole reservation.
 *
 * The page just below each reservation holds its size (read-only), which is
 * what MEM_RELEASE needs.  Not supported, failing with
 * ERROR_INVALID_PARAMETER: reserving at a chosen address, MEM_RESET,
 * MEM_LARGE_PAGES and the like, PAGE_GUARD / PAGE_NOCACHE / write-copy.
 */
struct whv_compat_reservation {
	UINT64 magic;
	void *base;
	SIZE_T size;
};

#define WHV_COMPAT_RESERVATION_MAGIC 0x57485652534552ull	/* arbitrary */

static inline int whv_compat_prot(DWORD protect)
{
	switch (protect) {
	case PAGE_NOACCESS:
		return PROT_NONE;
	case PAGE_READONLY:
		return PROT_READ;
	case PAGE_READWRITE:
		return PROT_READ | PROT_WRITE;
	case PAGE_EXECUTE:
		return PROT_EXEC;
	case PAGE_EXECUTE_READ:
		return PROT_READ | PROT_EXEC;
	case PAGE_EXECUTE_READWRITE:
		return PROT_READ | PROT_WRITE | PROT_EXEC;
	default:
		return -1;
	}
}

/* The size of the reservation starting at base, or 0 if there is none. */
static inline SIZE_T whv_compat_reservation_size(void *base)
{
	SIZE_T page = (SIZE_T)sysconf(_SC_PAGESIZE);
	struct whv_compat_reservation copy;
	struct iovec local, remote;

	if (!base || (ULONG_PTR)base % WHV_COMPAT_ALLOCATION_GRANULARITY)
		return 0;
	/*
	 * Read it through the kernel (process_vm_readv on ourselves): below a
	 * pointer that is not a reservation the page may be unmapped or
	 * inaccessible, and that must fail the call, not crash it.
	 */
	local.iov_base = &copy;
	local.iov_len = sizeof(copy);
	remote.iov_base = (char *)base - page;
	remote.iov_len = sizeof(copy);
	if (syscall(SYS_process_vm_readv, (long)getpid(), &local, 1UL, &remote, 1UL,
		    0UL) != (long)sizeof(copy))
		return 0;
	if (copy.magic != WHV_COMPAT_RESERVATION_MAGIC || copy.base != base)
		return 0;
	return copy.size;
}

/* The whole pages covering [addr, addr + size); FALSE if that wraps around. */
static inline BOOL whv_compat_pages(void *addr, SIZE_T size, SIZE_T page,
				    char **start, SIZE_T *len)
{
	ULONG_PTR first = (ULONG_PTR)addr, last = first + size;

	if (last < first || last > ~(ULONG_PTR)0 - page) {
		errno = EINVAL;
		return FALSE;
	}
	first &= ~(ULONG_PTR)(page - 1);
	last = (last + page - 1) & ~(ULONG_PTR)(page - 1);
	*start = (char *)first;
	*len = (SIZE_T)(last - first);
	return TRUE;
}

static inline LPVOID VirtualAlloc(LPVOID lpAddress, SIZE_T dwSize,
				  DWORD flAllocationType, DWORD flProtect)
{
	SIZE_T page = (SIZE_T)sysconf(_SC_PAGESIZE);
	SIZE_T gran = WHV_COMPAT_ALLOCATION_GRANULARITY;
	int prot = whv_compat_prot(flProtect);
	struct whv_compat_reservation *r;
	char *raw, *base, *start;
	SIZE_T size, total, len;

	if (prot < 0 || !dwSize || !flAllocationType ||
	    (flAllocationType & ~(DWORD)(MEM_COMMIT | MEM_RESERVE)) ||
	    (lpAddress && (flAllocationType & MEM_RESERVE))) {
		errno = EINVAL;
		return NULL;
	}

	if (lpAddress) {
		/* Commit pages of an existing reservation. */
		if (!whv_compat_pages(lpAddress, dwSize, page, &start, &len))
			return NULL;
		if (mprotect(start, len, prot)) {
			if (errno == ENOMEM)
				errno = EFAULT;	/* not reserved */
			return NULL;
		}
		return start;
	}

	/* A new reservation: bookkeeping page, then base at a 64 KiB boundary. */
	if (dwSize > SIZE_MAX - 2 * gran) {
		errno = ENOMEM;
		return NULL;
	}
	size = (dwSize + page - 1) & ~(page - 1);
	total = page + size + gran;
	raw = (char *)mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == (char *)MAP_FAILED)
		return NULL;
	base = (char *)(((ULONG_PTR)raw + page + gran - 1) & ~(ULONG_PTR)(gran - 1));
	if (base - page > raw)
		munmap(raw, (SIZE_T)(base - page - raw));
	if (raw + total > base + size)
		munmap(base + size, (SIZE_T)(raw + total - (base + size)));

	r = (struct whv_compat_reservation *)(base - page);
	if (mprotect(r, page, PROT_READ | PROT_WRITE))
		goto fail;
	r->magic = WHV_COMPAT_RESERVATION_MAGIC;
	r->base = base;
	r->size = size;
	if (mprotect(r, page, PROT_READ))
		goto fail;
	if ((flAllocationType & MEM_COMMIT) && mprotect(base, size, prot))
		goto fail;
	return base;

fail:
	{
		int err = errno;

		munmap(base - page, page + size);
		errno = err;
	}
	return NULL;
}

static inline BOOL VirtualFree(LPVOID lpAddress, SIZE_T dwSize, DWORD dwFreeType)
{
	SIZE_T page = (SIZE_T)sysconf(_SC_PAGESIZE);
	SIZE_T size, len;
	char *start;

	if (dwFreeType == MEM_RELEASE) {
		size = dwSize ? 0 : whv_compat_reservation_size(lpAddress);
		if (!size) {
			errno = EINVAL;
			return FALSE;
		}
		if (munmap((char *)lpAddress - page, page + size))
			return FALSE;
		return TRUE;
	}
	if (dwFreeType == MEM_DECOMMIT && lpAddress && dwSize) {
		if (!whv_compat_pages(lpAddress, dwSize, page, &start, &len))
			return FALSE;
		/* Access first, so that a range outside any mapping fails early. */
		if (mprotect(start, len, PROT_NONE)) {
			if (errno == ENOMEM)
				errno = EFAULT;
			return FALSE;
		}
		if (madvise(start, len, MADV_DONTNEED))
			return FALSE;
		return TRUE;
	}
	errno = EINVAL;
	return FALSE;
}

/* ------------------------------------------------------------------------ */
/* Threads                                                                   */
/* ------------------------------------------------------------------------ */

#ifndef INFINITE
# define INFINITE 0xFFFFFFFFu
#endif
#define WAIT_OBJECT_0    0x00000000u
#define WAIT_TIMEOUT     0x00000102u
#define WAIT_FAILED      0xFFFFFFFFu
#define STILL_ACTIVE     259u
#define CREATE_SUSPENDED 0x00000004u

typedef struct _SECURITY_ATTRIBUTES {
	DWORD nLength;
	LPVOID lpSecurityDescriptor;
	BOOL bInheritHandle;
} SECURITY_ATTRIBUTES, *PSECURITY_ATTRIBUTES, *LPSECURITY_ATTRIBUTES;

WHV_SIZE_IS(SECURITY_ATTRIBUTES, 24);
WHV_OFFSET_IS(SECURITY_ATTRIBUTES, lpSecurityDescriptor, 8);
WHV_OFFSET_IS(SECURITY_ATTRIBUTES, bInheritHandle, 16);

/* A thread procedure: DWORD WINAPI Proc(LPVOID lpParameter). */
typedef DWORD (WINAPI *PTHREAD_START_ROUTINE)(LPVOID lpThreadParameter);
typedef PTHREAD_START_ROUTINE LPTHREAD_START_ROUTINE;

/*
 * How the calls map onto pthreads:
 *
 *   CreateThread(NULL, 0, proc, param, 0, &id)
 *       a detached pthread running proc(param) at once; the HANDLE points
 *       to a small object shared by the handle and the running thread,
 *       freed when both are done with it.  *id (optional) is the new
 *       thread's kernel thread id, what GetCurrentThreadId() returns in it.
 *       Security attributes are ignored; a stack size is honoured; flags
 *       other than 0 (CREATE_SUSPENDED, ...) fail with
 *       ERROR_INVALID_PARAMETER;
 *   WaitForSingleObject(thread, ms)
 *       WAIT_OBJECT_0 once the procedure has returned (at once after
 *       that, any number of times), WAIT_TIMEOUT after ms milliseconds
 *       (0: a poll, INFINITE: no limit);
 *   GetExitCodeThread(thread, &code)
 *       the procedure's return value, or STILL_ACTIVE while it runs;
 *   CloseHandle(thread)
 *       drops the handle; a thread still running goes on and cleans up
 *       after itself, as on Windows.  Only thread handles exist here:
 *       anything else fails with ERROR_INVALID_HANDLE, and a handle must
 *       not be used after it is closed;
 *   Sleep(ms)
 *       nanosleep, resumed after signals.
 *
 * Not provided: ExitThread and TerminateThread (return from the
 * procedure), SuspendThread/ResumeThread, waits on several objects.
 */
struct whv_compat_thread {
	UINT64 magic;
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* tid known, or procedure returned */
	LPTHREAD_START_ROUTINE start;
	LPVOID param;
	unsigned int refs;		/* the handle, the running thread */
	BOOL done;
	DWORD exit_code;
	DWORD tid;
};

#define WHV_COMPAT_THREAD_MAGIC 0x5748565448524400ull	/* arbitrary */

static inline DWORD GetCurrentThreadId(void)
{
	return (DWORD)syscall(SYS_gettid);
}

/* Drops one reference; the last one frees the object. */
static inline void whv_compat_thread_put(struct whv_compat_thread *t)
{
	unsigned int left;

	pthread_mutex_lock(&t->lock);
	left = --t->refs;
	pthread_mutex_unlock(&t->lock);
	if (left)
		return;
	t->magic = 0;
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
}

static inline void *whv_compat_thread_main(void *arg)
{
	struct whv_compat_thread *t = (struct whv_compat_thread *)arg;
	DWORD code;

	pthread_mutex_lock(&t->lock);
	t->tid = GetCurrentThreadId();
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);

	code = t->start(t->param);

	pthread_mutex_lock(&t->lock);
	t->exit_code = code;
	t->done = TRUE;
	pthread_cond_broadcast(&t->cond);
	pthread_mutex_unlock(&t->lock);
	whv_compat_thread_put(t);
	return NULL;
}

/* The thread behind a handle, or NULL (errno EBADF). */
static inline struct whv_compat_thread *whv_compat_thread_of(HANDLE h)
{
	struct whv_compat_thread *t = (struct whv_compat_thread *)h;

	if (!t || h == INVALID_HANDLE_VALUE || t->magic != WHV_COMPAT_THREAD_MAGIC) {
		errno = EBADF;
		return NULL;
	}
	return t;
}

static inline HANDLE CreateThread(LPSECURITY_ATTRIBUTES lpThreadAttributes,
				  SIZE_T dwStackSize,
				  LPTHREAD_START_ROUTINE lpStartAddress,
				  LPVOID lpParameter, DWORD dwCreationFlags,
				  LPDWORD lpThreadId)
{
	struct whv_compat_thread *t;
	pthread_condattr_t ca;
	pthread_attr_t attr;
	pthread_t thread;
	int err;

	(void)lpThreadAttributes;
	if (!lpStartAddress || dwCreationFlags) {
		errno = EINVAL;
		return NULL;
	}
	t = (struct whv_compat_thread *)calloc(1, sizeof(*t));
	if (!t) {
		errno = ENOMEM;
		return NULL;
	}
	t->magic = WHV_COMPAT_THREAD_MAGIC;
	t->start = lpStartAddress;
	t->param = lpParameter;
	t->refs = 2;
	pthread_mutex_init(&t->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &ca);
	pthread_condattr_destroy(&ca);

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = 0;
	if (dwStackSize) {
		SIZE_T min = (SIZE_T)PTHREAD_STACK_MIN;

		err = pthread_attr_setstacksize(&attr, dwStackSize < min ? min : dwStackSize);
	}
	if (!err)
		err = pthread_create(&thread, &attr, whv_compat_thread_main, t);
	pthread_attr_destroy(&attr);
	if (err) {
		t->refs = 1;
		whv_compat_thread_put(t);
		errno = err;
		return NULL;
	}
	if (lpThreadId) {
		pthread_mutex_lock(&t->lock);
		while (!t->tid)
			pthread_cond_wait(&t->cond, &t->lock);
		*lpThreadId = t->tid;
		pthread_mutex_unlock(&t->lock);
	}
	return (HANDLE)t;
}

static inline DWORD WaitForSingleObject(HANDLE hHandle, DWORD dwMilliseconds)
{
	struct whv_compat_thread *t = whv_compat_thread_of(hHandle);
	struct timespec deadline = { 0, 0 };
	DWORD ret = WAIT_OBJECT_0;
	int err = 0;

	if (!t)
		return WAIT_FAILED;
	if (dwMilliseconds != INFINITE) {
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += dwMilliseconds / 1000;
		deadline.tv_nsec += (long)(dwMilliseconds % 1000) * 1000000L;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	pthread_mutex_lock(&t->lock);
	while (!t->done && err != ETIMEDOUT) {
		if (dwMilliseconds == INFINITE)
			pthread_cond_wait(&t->cond, &t->lock);
		else
			err = pthread_cond_timedwait(&t->cond, &t->lock, &deadline);
	}
	if (!t->done)
		ret = WAIT_TIMEOUT;
	pthread_mutex_unlock(&t->lock);
	return ret;
}

static inline BOOL GetExitCodeThread(HANDLE hThread, LPDWORD lpExitCode)
{
	struct whv_compat_thread *t = whv_compat_thread_of(hThread);

	if (!t)
		return FALSE;
	if (!lpExitCode) {
		errno = EFAULT;
		return FALSE;
	}
	pthread_mutex_lock(&t->lock);
	*lpExitCode = t->done ? t->exit_code : STILL_ACTIVE;
	pthread_mutex_unlock(&t->lock);
	return TRUE;
}

static inline BOOL CloseHandle(HANDLE hObject)
{
	struct whv_compat_thread *t = whv_compat_thread_of(hObject);

	if (!t)
		return FALSE;
	whv_compat_thread_put(t);
	return TRUE;
}

static inline void Sleep(DWORD dwMilliseconds)
{
	struct timespec ts;

	ts.tv_sec = dwMilliseconds / 1000;
	ts.tv_nsec = (long)(dwMilliseconds % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

#ifdef __cplusplus
}
#endif

#endif /* WHV_COMPAT_WINDOWS_H */
