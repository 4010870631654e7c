// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_compat.c - include/compat/windows.h, the optional <windows.h>
 * stand-in for WHPX samples: VirtualAlloc/VirtualFree in the reserve,
 * commit, decommit, release pattern the samples use, GetLastError after a
 * failure, GetSystemInfo, the small helpers, and the thread calls a VMM
 * uses to cancel a running virtual processor from another thread.
 */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>

#include <compat/windows.h>
#include <WinHvPlatform.h>	/* again: no conflicting definitions */

#define GRANULARITY 0x10000u
#define PAGE 0x1000u

static int all_bytes(const void *p, SIZE_T len, unsigned char v)
{
	const unsigned char *b = p;
	SIZE_T i;

	for (i = 0; i < len; i++)
		if (b[i] != v)
			return 0;
	return 1;
}

START_TEST(test_system_info)
{
	SYSTEM_INFO si;
	DWORD_PTR expected_mask;

	memset(&si, 0xAA, sizeof(si));
	GetSystemInfo(&si);
	ck_assert_uint_eq(si.wProcessorArchitecture, PROCESSOR_ARCHITECTURE_AMD64);
	ck_assert_uint_eq(si.wReserved, 0);
	ck_assert_uint_eq(si.dwPageSize, PAGE);
	ck_assert_uint_eq(si.dwAllocationGranularity, GRANULARITY);
	ck_assert_uint_ge(si.dwNumberOfProcessors, 1);
	expected_mask = si.dwNumberOfProcessors >= 64 ? ~(DWORD_PTR)0
		: ((DWORD_PTR)1 << si.dwNumberOfProcessors) - 1;
	ck_assert_uint_eq(si.dwActiveProcessorMask, expected_mask);
	ck_assert_uint_lt((uintptr_t)si.lpMinimumApplicationAddress,
			  (uintptr_t)si.lpMaximumApplicationAddress);
}
END_TEST

/* Microsoft's sample: reserve without access, commit pieces as needed. */
START_TEST(test_reserve_then_commit)
{
	SIZE_T size = 5 * GRANULARITY + 3;	/* rounded up to pages */
	unsigned char *base, *piece;

	base = VirtualAlloc(NULL, size, MEM_RESERVE, PAGE_NOACCESS);
	ck_assert_ptr_nonnull(base);
	ck_assert_uint_eq((uintptr_t)base % GRANULARITY, 0);

	/* A piece in the middle, given by an unaligned address: page-rounded. */
	piece = VirtualAlloc(base + 3 * PAGE + 10, 2 * PAGE, MEM_COMMIT, PAGE_READWRITE);
	ck_assert_ptr_eq(piece, base + 3 * PAGE);
	ck_assert(all_bytes(piece, 3 * PAGE, 0));	/* 10 + 2 pages span 3 */
	memset(piece, 0x5A, 3 * PAGE);

	/* The last byte of the rounded-up reservation can be committed too. */
	piece = VirtualAlloc(base + size - 1, 1, MEM_COMMIT, PAGE_READWRITE);
	ck_assert_ptr_nonnull(piece);
	piece[PAGE - 1] = 1;

	/* Committing again keeps the contents. */
	piece = VirtualAlloc(base + 3 * PAGE, PAGE, MEM_COMMIT, PAGE_READWRITE);
	ck_assert_ptr_eq(piece, base + 3 * PAGE);
	ck_assert(all_bytes(piece, PAGE, 0x5A));

	ck_assert(VirtualFree(base, 0, MEM_RELEASE));
}
END_TEST

/* whvpclient: reserve read-write, then commit the same range. */
START_TEST(test_reserve_rw_commit_same)
{
	unsigned char *mem = VirtualAlloc(NULL, 16 * PAGE, MEM_RESERVE, PAGE_READWRITE);

	ck_assert_ptr_nonnull(mem);
	ck_assert_ptr_eq(VirtualAlloc(mem, 16 * PAGE, MEM_COMMIT, PAGE_READWRITE), mem);
	FillMemory(mem, 16 * PAGE, 0xF4);
	ck_assert(all_bytes(mem, 16 * PAGE, 0xF4));
	ck_assert(VirtualFree(mem, 0, MEM_RELEASE));
}
END_TEST

/* SimpleWhpDemo: commit without a prior reservation. */
START_TEST(test_commit_without_reserve)
{
	unsigned char *a = VirtualAlloc(NULL, 3 * PAGE, MEM_COMMIT, PAGE_READWRITE);
	unsigned char *b = VirtualAlloc(NULL, PAGE, MEM_COMMIT | MEM_RESERVE,
					PAGE_EXECUTE_READWRITE);

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert(all_bytes(a, 3 * PAGE, 0));
	RtlZeroMemory(a, 3 * PAGE);
	CopyMemory(b, "\xF4", 1);
	ck_assert_uint_eq(b[0], 0xF4);
	ck_assert(VirtualFree(a, 0, MEM_RELEASE));
	ck_assert(VirtualFree(b, 0, MEM_RELEASE));
}
END_TEST

START_TEST(test_decommit_zeroes)
{
	unsigned char *mem = VirtualAlloc(NULL, 4 * PAGE, MEM_COMMIT, PAGE_READWRITE);

	ck_assert_ptr_nonnull(mem);
	memset(mem, 0x77, 4 * PAGE);
	ck_assert(VirtualFree(mem + PAGE, 2 * PAGE, MEM_DECOMMIT));
	ck_assert_ptr_eq(VirtualAlloc(mem + PAGE, 2 * PAGE, MEM_COMMIT, PAGE_READWRITE),
			 mem + PAGE);
	ck_assert(all_bytes(mem, PAGE, 0x77));
	ck_assert(all_bytes(mem + PAGE, 2 * PAGE, 0));
	ck_assert(all_bytes(mem + 3 * PAGE, PAGE, 0x77));
	ck_assert(VirtualFree(mem, 0, MEM_RELEASE));
}
END_TEST

/* Reserved but not committed memory is not accessible. */
START_TEST(test_reserved_faults)
{
	volatile unsigned char *mem = VirtualAlloc(NULL, PAGE, MEM_RESERVE, PAGE_READWRITE);

	ck_assert_ptr_nonnull((void *)mem);
	(void)mem[0];
}
END_TEST

START_TEST(test_readonly_faults_on_write)
{
	volatile unsigned char *mem = VirtualAlloc(NULL, PAGE, MEM_COMMIT, PAGE_READONLY);

	ck_assert_ptr_nonnull((void *)mem);
	ck_assert_uint_eq(mem[0], 0);
	mem[0] = 1;
}
END_TEST

START_TEST(test_bad_arguments)
{
	unsigned char *mem = VirtualAlloc(NULL, PAGE, MEM_RESERVE, PAGE_NOACCESS);
	static const struct { SIZE_T size; DWORD type, protect; } bad[] = {
		{ 0, MEM_COMMIT, PAGE_READWRITE },			/* no size */
		{ PAGE, 0, PAGE_READWRITE },				/* no type */
		{ PAGE, MEM_COMMIT | 0x00080000, PAGE_READWRITE },	/* MEM_RESET */
		{ PAGE, MEM_COMMIT, PAGE_READWRITE | 0x100 },		/* PAGE_GUARD */
		{ PAGE, MEM_COMMIT, 0x08 },				/* PAGE_WRITECOPY */
		{ PAGE, MEM_COMMIT, 0 },				/* no protection */
	};
	unsigned int i;
	int local;

	ck_assert_ptr_nonnull(mem);
	for (i = 0; i < _countof(bad); i++) {
		errno = 0;
		ck_assert_ptr_null(VirtualAlloc(NULL, bad[i].size, bad[i].type, bad[i].protect));
		ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
	}
	/* Reserving at a chosen address is not supported. */
	ck_assert_ptr_null(VirtualAlloc(mem, PAGE, MEM_RESERVE, PAGE_READWRITE));
	ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
	/* A range that wraps around. */
	ck_assert_ptr_null(VirtualAlloc(mem + PAGE, (SIZE_T)0 - PAGE, MEM_COMMIT, PAGE_READWRITE));
	ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);

	/* MEM_RELEASE takes the base and size 0, and nothing but a reservation. */
	ck_assert(!VirtualFree(mem, PAGE, MEM_RELEASE));
	ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
	ck_assert(!VirtualFree(mem + PAGE, 0, MEM_RELEASE));
	ck_assert(!VirtualFree(mem + GRANULARITY, 0, MEM_RELEASE));
	ck_assert(!VirtualFree(NULL, 0, MEM_RELEASE));
	ck_assert(!VirtualFree(&local, 0, MEM_RELEASE));
	ck_assert(!VirtualFree(mem, 0, MEM_DECOMMIT));		/* size 0 */
	ck_assert(!VirtualFree(mem, 0, MEM_RELEASE | MEM_DECOMMIT));
	ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);

	ck_assert(VirtualFree(mem, 0, MEM_RELEASE));
	/* Released: neither a second release nor a commit finds it. */
	ck_assert(!VirtualFree(mem, 0, MEM_RELEASE));
	ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
	ck_assert_ptr_null(VirtualAlloc(mem, PAGE, MEM_COMMIT, PAGE_READWRITE));
	ck_assert_uint_eq(GetLastError(), ERROR_INVALID_ADDRESS);
	ck_assert(!VirtualFree(mem, PAGE, MEM_DECOMMIT));
	ck_assert_uint_eq(GetLastError(), ERROR_INVALID_ADDRESS);
}
END_TEST

START_TEST(test_helpers)
{
	int arr[7];
	HANDLE h = INVALID_HANDLE_VALUE;
	CONST char *s = "x";
	PCSTR ps = s;

	UNREFERENCED_PARAMETER(arr);
	ck_assert_uint_eq(_countof(arr), 7);
	ck_assert_uint_eq(ARRAYSIZE(arr), 7);
	ck_assert_uint_eq((uintptr_t)h, UINTPTR_MAX);
	ck_assert_ptr_eq(ps, s);
	ck_assert_uint_eq(sizeof(DWORD_PTR), sizeof(void *));
	ck_assert_uint_eq(sizeof(SYSTEM_INFO), 48);
	errno = 0;
	ck_assert_uint_eq(GetLastError(), ERROR_SUCCESS);
	errno = ENOMEM;
	ck_assert_uint_eq(GetLastError(), ERROR_NOT_ENOUGH_MEMORY);
}
END_TEST

/* A thread procedure as Windows code writes it. */
struct thread_arg {
	volatile LONG go;
	volatile LONG ran;
	DWORD tid;
};

static DWORD WINAPI thread_proc(LPVOID param)
{
	struct thread_arg *a = (struct thread_arg *)param;

	a->tid = GetCurrentThreadId();
	while (!a->go)
		Sleep(1);
	a->ran = 1;
	return 0x1234;
}

START_TEST(test_thread_create_wait_close)
{
	struct thread_arg a = { 0, 0, 0 };
	DWORD id = 0, code = 0;
	HANDLE h;

	h = CreateThread(NULL, 0, thread_proc, &a, 0, &id);
	ck_assert_ptr_nonnull(h);
	ck_assert_uint_ne(id, 0);
	ck_assert_uint_ne(id, GetCurrentThreadId());

	/* Still running: a poll and a short wait time out. */
	ck_assert_uint_eq(WaitForSingleObject(h, 0), WAIT_TIMEOUT);
	ck_assert_uint_eq(WaitForSingleObject(h, 20), WAIT_TIMEOUT);
	ck_assert(GetExitCodeThread(h, &code));
	ck_assert_uint_eq(code, STILL_ACTIVE);
	ck_assert_int_eq(a.ran, 0);

	a.go = 1;
	ck_assert_uint_eq(WaitForSingleObject(h, INFINITE), WAIT_OBJECT_0);
	ck_assert_int_eq(a.ran, 1);
	ck_assert_uint_eq(a.tid, id);	/* the id CreateThread gave */
	ck_assert(GetExitCodeThread(h, &code));
	ck_assert_uint_eq(code, 0x1234);
	/* A finished thread stays signalled. */
	ck_assert_uint_eq(WaitForSingleObject(h, 0), WAIT_OBJECT_0);
	ck_assert_uint_eq(WaitForSingleObject(h, 1000), WAIT_OBJECT_0);
	ck_assert(CloseHandle(h));
}
END_TEST

/* Closing the handle of a running thread lets it run to the end. */
START_TEST(test_thread_close_while_running)
{
	struct thread_arg a = { 0, 0, 0 };
	HANDLE h = CreateThread(NULL, 64 * 1024, thread_proc, &a, 0, NULL);
	int i;

	ck_assert_ptr_nonnull(h);
	ck_assert(CloseHandle(h));
	a.go = 1;
	for (i = 0; i < 5000 && !a.ran; i++)
		Sleep(1);
	ck_assert_int_eq(a.ran, 1);
}
END_TEST

START_TEST(test_thread_bad_arguments)
{
	struct thread_arg a = { 1, 0, 0 };
	void *not_a_thread = calloc(1, 256);	/* zeroed: no thread's magic */
	DWORD code;

	errno = 0;
	ck_assert_ptr_null(CreateThread(NULL, 0, NULL, NULL, 0, NULL));
	ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);
	ck_assert_ptr_null(CreateThread(NULL, 0, thread_proc, &a, CREATE_SUSPENDED, NULL));
	ck_assert_uint_eq(GetLastError(), ERROR_INVALID_PARAMETER);

	errno = 0;
	ck_assert_uint_eq(WaitForSingleObject(NULL, 0), WAIT_FAILED);
	ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
	ck_assert_uint_eq(WaitForSingleObject(INVALID_HANDLE_VALUE, INFINITE), WAIT_FAILED);
	ck_assert_ptr_nonnull(not_a_thread);
	ck_assert(!CloseHandle(not_a_thread));
	ck_assert_uint_eq(GetLastError(), ERROR_INVALID_HANDLE);
	ck_assert(!GetExitCodeThread(NULL, &code));
	ck_assert(!CloseHandle(NULL));
	free(not_a_thread);
}
END_TEST

START_TEST(test_sleep)
{
	struct timespec a, b;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &a);
	Sleep(30);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	ck_assert_int_ge(ms, 30);
	Sleep(0);
}
END_TEST

static Suite *compat_suite(void)
{
	Suite *s = suite_create("whv_compat");
	TCase *tc = tcase_create("windows_h");

	tcase_add_test(tc, test_system_info);
	tcase_add_test(tc, test_reserve_then_commit);
	tcase_add_test(tc, test_reserve_rw_commit_same);
	tcase_add_test(tc, test_commit_without_reserve);
	tcase_add_test(tc, test_decommit_zeroes);
	tcase_add_test_raise_signal(tc, test_reserved_faults, SIGSEGV);
	tcase_add_test_raise_signal(tc, test_readonly_faults_on_write, SIGSEGV);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_helpers);
	tcase_add_test(tc, test_thread_create_wait_close);
	tcase_add_test(tc, test_thread_close_while_running);
	tcase_add_test(tc, test_thread_bad_arguments);
	tcase_add_test(tc, test_sleep);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(compat_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
