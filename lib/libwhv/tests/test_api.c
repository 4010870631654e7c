// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_api.c - host-side checks of libwhv's pure parts: the errno ->
 * HRESULT mapping, the argument checks made before any ioctl, and the
 * behaviour on a machine without /dev/whv (the build host).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <WinHvPlatform.h>
#include "../src/libwhv.h"

#define HR_EQ(expected, seen) do {					\
	HRESULT _e = (expected), _s = (seen);				\
	ck_assert_msg(_e == _s, "%s: expected 0x%08x, got 0x%08x",	\
		      #seen, (unsigned int)_e, (unsigned int)_s);	\
} while (0)

static bool have_dev_whv(void)
{
	return access("/dev/whv", F_OK) == 0;
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n++;
	closedir(d);
	return n;
}

/* A handle libwhv accepts as its own, over an fd of our choosing. */
static struct whv_partition_handle *fake_handle(int fd)
{
	struct whv_partition_handle *p = calloc(1, sizeof(*p));

	ck_assert_ptr_nonnull(p);
	p->magic = WHV_HANDLE_MAGIC;
	p->fd = fd;
	return p;
}

/* ---- errno -> HRESULT --------------------------------------------------- */

START_TEST(test_errno_contract)
{
	/* The table in uapi/whv_ioctl.h. */
	static const struct { int err; HRESULT hr; } map[] = {
		{ 0, S_OK },
		{ EINVAL, E_INVALIDARG },
		{ EFAULT, E_POINTER },
		{ ENOMEM, E_OUTOFMEMORY },
		{ EPERM, E_ACCESSDENIED },
		{ ENOBUFS, WHV_E_INSUFFICIENT_BUFFER },
		{ EBADFD, WHV_E_INVALID_PARTITION_CONFIG },
		{ ENOENT, WHV_E_VP_DOES_NOT_EXIST },
		{ EEXIST, WHV_E_VP_ALREADY_EXISTS },
		{ EBUSY, WHV_E_INVALID_VP_STATE },
		{ ESRCH, WHV_E_GPA_RANGE_NOT_FOUND },
		{ ENODEV, WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG },
	};
	static const enum whv_call calls[] = {
		WHV_CALL_GENERIC, WHV_CALL_CAPABILITY, WHV_CALL_PROPERTY,
		WHV_CALL_REGISTERS,
	};
	unsigned int i, j;

	/* These do not depend on the call. */
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		for (j = 0; j < sizeof(calls) / sizeof(calls[0]); j++)
			ck_assert_msg(whv_hresult_from_errno(map[i].err, calls[j]) ==
				      map[i].hr,
				      "errno %d (%s), call %d: 0x%08x, expected 0x%08x",
				      map[i].err, strerror(map[i].err), calls[j],
				      (unsigned int)whv_hresult_from_errno(map[i].err,
									   calls[j]),
				      (unsigned int)map[i].hr);
}
END_TEST

START_TEST(test_errno_enoprotoopt_by_call)
{
	HR_EQ(WHV_E_UNKNOWN_CAPABILITY,
	      whv_hresult_from_errno(ENOPROTOOPT, WHV_CALL_CAPABILITY));
	HR_EQ(WHV_E_UNKNOWN_PROPERTY,
	      whv_hresult_from_errno(ENOPROTOOPT, WHV_CALL_PROPERTY));
	HR_EQ(WHV_E_INVALID_VP_REGISTER_NAME,
	      whv_hresult_from_errno(ENOPROTOOPT, WHV_CALL_REGISTERS));
}
END_TEST

START_TEST(test_errno_others)
{
	/* Not the kernel's contract, but what libwhv makes of them. */
	HR_EQ(E_OUTOFMEMORY, whv_hresult_from_errno(ENOSPC, WHV_CALL_GENERIC));
	HR_EQ(E_ACCESSDENIED, whv_hresult_from_errno(EACCES, WHV_CALL_GENERIC));
	HR_EQ(WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG,
	      whv_hresult_from_errno(ENXIO, WHV_CALL_GENERIC));
	/* An fd that is not a partition: the handle is bad. */
	HR_EQ(E_HANDLE, whv_hresult_from_errno(EBADF, WHV_CALL_GENERIC));
	HR_EQ(E_HANDLE, whv_hresult_from_errno(ENOTTY, WHV_CALL_GENERIC));
	HR_EQ(E_NOTIMPL, whv_hresult_from_errno(EOPNOTSUPP, WHV_CALL_GENERIC));
	/* Anything else is a failure, never success. */
	HR_EQ(E_FAIL, whv_hresult_from_errno(EIO, WHV_CALL_GENERIC));
	HR_EQ(E_FAIL, whv_hresult_from_errno(12345, WHV_CALL_REGISTERS));
	ck_assert(FAILED(whv_hresult_from_errno(-1, WHV_CALL_GENERIC)));
	ck_assert(FAILED(whv_hresult_from_errno(EINTR, WHV_CALL_GENERIC)));
}
END_TEST

START_TEST(test_hresult_values)
{
	/* The HRESULTs WHv documents, as this library spells them. */
	ck_assert_uint_eq((uint32_t)E_INVALIDARG, 0x80070057u);
	ck_assert_uint_eq((uint32_t)E_POINTER, 0x80004003u);
	ck_assert_uint_eq((uint32_t)E_HANDLE, 0x80070006u);
	ck_assert_uint_eq((uint32_t)E_ACCESSDENIED, 0x80070005u);
	ck_assert_uint_eq((uint32_t)E_OUTOFMEMORY, 0x8007000Eu);
	ck_assert_uint_eq((uint32_t)WHV_E_UNKNOWN_CAPABILITY, 0x80370300u);
	ck_assert_uint_eq((uint32_t)WHV_E_INSUFFICIENT_BUFFER, 0x80370301u);
	ck_assert_uint_eq((uint32_t)WHV_E_UNKNOWN_PROPERTY, 0x80370302u);
	ck_assert_uint_eq((uint32_t)WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG, 0x80370303u);
	ck_assert_uint_eq((uint32_t)WHV_E_INVALID_PARTITION_CONFIG, 0x80370304u);
	ck_assert_uint_eq((uint32_t)WHV_E_GPA_RANGE_NOT_FOUND, 0x80370305u);
	ck_assert_uint_eq((uint32_t)WHV_E_VP_ALREADY_EXISTS, 0x80370306u);
	ck_assert_uint_eq((uint32_t)WHV_E_VP_DOES_NOT_EXIST, 0x80370307u);
	ck_assert_uint_eq((uint32_t)WHV_E_INVALID_VP_STATE, 0x80370308u);
	ck_assert_uint_eq((uint32_t)WHV_E_INVALID_VP_REGISTER_NAME, 0x80370309u);
	ck_assert(FAILED(E_HANDLE));
}
END_TEST

/* ---- sizes ---------------------------------------------------------------- */

START_TEST(test_exit_context_size)
{
	ck_assert_uint_eq(WHvGetRunContextBufferSize(), 224);
	ck_assert_uint_eq(WHvGetRunExitContextSize(), 224);
	ck_assert_uint_eq(sizeof(WHV_RUN_VP_EXIT_CONTEXT), 224);
}
END_TEST

/* ---- handles ---------------------------------------------------------------- */

static void check_bad_handle(WHV_PARTITION_HANDLE h)
{
	WHV_PARTITION_PROPERTY prop;
	WHV_RUN_VP_EXIT_CONTEXT exit;
	WHV_REGISTER_NAME name = WHvX64RegisterRax;
	WHV_REGISTER_VALUE val;
	UINT32 written = 0xdead;
	static uint8_t page[4096] __attribute__((aligned(4096)));

	memset(&prop, 0, sizeof(prop));
	memset(&val, 0, sizeof(val));
	prop.ProcessorCount = 1;
	HR_EQ(E_HANDLE, WHvSetupPartition(h));
	HR_EQ(E_HANDLE, WHvDeletePartition(h));
	HR_EQ(E_HANDLE, WHvSetPartitionProperty(h,
			WHvPartitionPropertyCodeProcessorCount, &prop, sizeof(prop)));
	HR_EQ(E_HANDLE, WHvGetPartitionProperty(h,
			WHvPartitionPropertyCodeProcessorCount, &prop, sizeof(prop),
			&written));
	ck_assert_uint_eq(written, 0xdead);
	HR_EQ(E_HANDLE, WHvMapGpaRange(h, page, 0, sizeof(page),
				       WHvMapGpaRangeFlagRead));
	HR_EQ(E_HANDLE, WHvUnmapGpaRange(h, 0, sizeof(page)));
	HR_EQ(E_HANDLE, WHvCreateVirtualProcessor(h, 0, 0));
	HR_EQ(E_HANDLE, WHvDeleteVirtualProcessor(h, 0));
	HR_EQ(E_HANDLE, WHvRunVirtualProcessor(h, 0, &exit, sizeof(exit)));
	HR_EQ(E_HANDLE, WHvCancelRunVirtualProcessor(h, 0, 0));
	HR_EQ(E_HANDLE, WHvGetVirtualProcessorRegisters(h, 0, &name, 1, &val));
	HR_EQ(E_HANDLE, WHvSetVirtualProcessorRegisters(h, 0, &name, 1, &val));
}

START_TEST(test_null_handle)
{
	check_bad_handle(NULL);
}
END_TEST

START_TEST(test_garbage_handle)
{
	uint64_t garbage[16];

	memset(garbage, 0x5a, sizeof(garbage));
	check_bad_handle((WHV_PARTITION_HANDLE)garbage);
	memset(garbage, 0, sizeof(garbage));
	check_bad_handle((WHV_PARTITION_HANDLE)garbage);
	memset(garbage, 0xff, sizeof(garbage));
	check_bad_handle((WHV_PARTITION_HANDLE)garbage);
}
END_TEST

/* A handle of ours whose fd is not a partition: the kernel's answer. */
START_TEST(test_handle_not_a_partition)
{
	struct whv_partition_handle *p = fake_handle(open("/dev/null", O_RDWR));
	struct whv_partition_handle *q = fake_handle(-1);
	WHV_RUN_VP_EXIT_CONTEXT exit;
	WHV_REGISTER_NAME name = WHvX64RegisterRax;
	WHV_REGISTER_VALUE val;

	ck_assert_int_ge(p->fd, 0);
	memset(&val, 0, sizeof(val));
	/* /dev/null: ENOTTY */
	HR_EQ(E_HANDLE, WHvSetupPartition(p));
	HR_EQ(E_HANDLE, WHvCreateVirtualProcessor(p, 0, 0));
	HR_EQ(E_HANDLE, WHvRunVirtualProcessor(p, 0, &exit, sizeof(exit)));
	HR_EQ(E_HANDLE, WHvGetVirtualProcessorRegisters(p, 0, &name, 1, &val));
	/* a closed fd: EBADF */
	HR_EQ(E_HANDLE, WHvSetupPartition(q));
	HR_EQ(E_HANDLE, WHvUnmapGpaRange(q, 0, 4096));
	HR_EQ(E_HANDLE, WHvCancelRunVirtualProcessor(q, 0, 0));
	/* Deleting closes the fd and forgets the handle. */
	{
		int fd = p->fd;

		HR_EQ(S_OK, WHvDeletePartition(p));
		ck_assert_int_eq(fcntl(fd, F_GETFD), -1);
		ck_assert_int_eq(errno, EBADF);
	}
	HR_EQ(S_OK, WHvDeletePartition(q));
}
END_TEST

/* ---- argument checks before any ioctl ------------------------------------------ */

START_TEST(test_create_partition_null)
{
	HR_EQ(E_POINTER, WHvCreatePartition(NULL));
}
END_TEST

START_TEST(test_run_arguments)
{
	struct whv_partition_handle *p = fake_handle(open("/dev/null", O_RDWR));
	struct {
		WHV_RUN_VP_EXIT_CONTEXT exit;
		uint8_t canary[16];
	} buf;
	unsigned int i;

	memset(&buf, 0x5a, sizeof(buf));
	HR_EQ(E_POINTER, WHvRunVirtualProcessor(p, 0, NULL, 224));
	HR_EQ(E_POINTER, WHvRunVirtualProcessor(p, 0, NULL, 0));
	HR_EQ(WHV_E_INSUFFICIENT_BUFFER, WHvRunVirtualProcessor(p, 0, &buf.exit, 223));
	HR_EQ(WHV_E_INSUFFICIENT_BUFFER, WHvRunVirtualProcessor(p, 0, &buf.exit, 0));
	HR_EQ(WHV_E_INSUFFICIENT_BUFFER, WHvRunVirtualProcessor(p, 0, &buf.exit, 1));
	for (i = 0; i < sizeof(buf); i++)
		ck_assert_uint_eq(((uint8_t *)&buf)[i], 0x5a);
	/* 224 and more pass the checks (and reach the fd: not a partition). */
	HR_EQ(E_HANDLE, WHvRunVirtualProcessor(p, 0, &buf.exit, 224));
	HR_EQ(E_HANDLE, WHvRunVirtualProcessor(p, 0, &buf.exit, sizeof(buf)));
	WHvDeletePartition(p);
}
END_TEST

START_TEST(test_flags)
{
	struct whv_partition_handle *p = fake_handle(open("/dev/null", O_RDWR));

	HR_EQ(E_INVALIDARG, WHvCreateVirtualProcessor(p, 0, 1));
	HR_EQ(E_INVALIDARG, WHvCreateVirtualProcessor(p, 0, 0x80000000));
	HR_EQ(E_INVALIDARG, WHvCancelRunVirtualProcessor(p, 0, 1));
	HR_EQ(E_INVALIDARG, WHvCancelRunVirtualProcessor(p, 0, 0xffffffff));
	WHvDeletePartition(p);
}
END_TEST

START_TEST(test_register_arguments)
{
	struct whv_partition_handle *p = fake_handle(open("/dev/null", O_RDWR));
	WHV_REGISTER_NAME name = WHvX64RegisterRax;
	WHV_REGISTER_VALUE val;

	memset(&val, 0, sizeof(val));
	HR_EQ(E_INVALIDARG, WHvGetVirtualProcessorRegisters(p, 0, &name, 0, &val));
	HR_EQ(E_INVALIDARG, WHvSetVirtualProcessorRegisters(p, 0, &name, 0, &val));
	HR_EQ(E_POINTER, WHvGetVirtualProcessorRegisters(p, 0, NULL, 1, &val));
	HR_EQ(E_POINTER, WHvGetVirtualProcessorRegisters(p, 0, &name, 1, NULL));
	HR_EQ(E_POINTER, WHvSetVirtualProcessorRegisters(p, 0, NULL, 1, &val));
	HR_EQ(E_POINTER, WHvSetVirtualProcessorRegisters(p, 0, &name, 1, NULL));
	WHvDeletePartition(p);
}
END_TEST

START_TEST(test_property_and_map_arguments)
{
	struct whv_partition_handle *p = fake_handle(open("/dev/null", O_RDWR));
	UINT32 written = 0xdead;

	HR_EQ(E_POINTER, WHvGetPartitionProperty(p,
			WHvPartitionPropertyCodeProcessorCount, NULL, 4, &written));
	HR_EQ(E_POINTER, WHvSetPartitionProperty(p,
			WHvPartitionPropertyCodeProcessorCount, NULL, 4));
	ck_assert_uint_eq(written, 0xdead);
	HR_EQ(E_INVALIDARG, WHvMapGpaRange(p, NULL, 0, 4096, WHvMapGpaRangeFlagRead));
	WHvDeletePartition(p);
}
END_TEST

/* ---- a machine without /dev/whv ------------------------------------------------ */

START_TEST(test_capability_without_device)
{
	static const WHV_CAPABILITY_CODE others[] = {
		WHvCapabilityCodeFeatures, WHvCapabilityCodeExtendedVmExits,
		WHvCapabilityCodeExceptionExitBitmap,
		WHvCapabilityCodeProcessorVendor,
		WHvCapabilityCodeProcessorFeatures,
		WHvCapabilityCodeProcessorClFlushSize,
		(WHV_CAPABILITY_CODE)0x9999,
	};
	WHV_CAPABILITY cap;
	UINT32 written;
	unsigned int i;

	if (have_dev_whv())
		return;		/* not this test's machine */
	memset(&cap, 0xff, sizeof(cap));
	written = 0xdead;
	HR_EQ(S_OK, WHvGetCapability(WHvCapabilityCodeHypervisorPresent, &cap,
				     sizeof(cap), &written));
	ck_assert_uint_eq(written, sizeof(BOOL));
	ck_assert_int_eq(cap.HypervisorPresent, FALSE);
	/* Exactly 4 bytes is enough; NULL for the written size is fine. */
	memset(&cap, 0xff, sizeof(cap));
	HR_EQ(S_OK, WHvGetCapability(WHvCapabilityCodeHypervisorPresent, &cap,
				     sizeof(BOOL), NULL));
	ck_assert_int_eq(cap.HypervisorPresent, FALSE);
	written = 0xdead;
	HR_EQ(WHV_E_INSUFFICIENT_BUFFER,
	      WHvGetCapability(WHvCapabilityCodeHypervisorPresent, &cap, 3,
			       &written));
	ck_assert_uint_eq(written, 0xdead);
	HR_EQ(E_POINTER, WHvGetCapability(WHvCapabilityCodeHypervisorPresent,
					  NULL, sizeof(cap), &written));
	for (i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
		written = 0xdead;
		HR_EQ(WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG,
		      WHvGetCapability(others[i], &cap, sizeof(cap), &written));
		ck_assert_uint_eq(written, 0xdead);
	}
}
END_TEST

START_TEST(test_create_partition_without_device)
{
	WHV_PARTITION_HANDLE h = (WHV_PARTITION_HANDLE)0x1234;
	int fds;
	HRESULT hr;

	if (have_dev_whv())
		return;
	fds = count_fds();
	hr = WHvCreatePartition(&h);
	ck_assert(FAILED(hr));
	/* Untouched handle, no fd left behind, the same answer again. */
	ck_assert_ptr_eq(h, (WHV_PARTITION_HANDLE)0x1234);
	ck_assert_int_eq(count_fds(), fds);
	HR_EQ(hr, WHvCreatePartition(&h));
	/* "No hypervisor", as WHvGetCapability says, not a VP error. */
	HR_EQ(WHV_E_UNSUPPORTED_HYPERVISOR_CONFIG, hr);
}
END_TEST

static Suite *api_suite(void)
{
	Suite *s = suite_create("whv_api");
	TCase *tc;

	tc = tcase_create("errno");
	tcase_add_test(tc, test_errno_contract);
	tcase_add_test(tc, test_errno_enoprotoopt_by_call);
	tcase_add_test(tc, test_errno_others);
	tcase_add_test(tc, test_hresult_values);
	suite_add_tcase(s, tc);

	tc = tcase_create("arguments");
	tcase_add_test(tc, test_exit_context_size);
	tcase_add_test(tc, test_null_handle);
	tcase_add_test(tc, test_garbage_handle);
	tcase_add_test(tc, test_handle_not_a_partition);
	tcase_add_test(tc, test_create_partition_null);
	tcase_add_test(tc, test_run_arguments);
	tcase_add_test(tc, test_flags);
	tcase_add_test(tc, test_register_arguments);
	tcase_add_test(tc, test_property_and_map_arguments);
	suite_add_tcase(s, tc);

	tc = tcase_create("no_device");
	tcase_add_test(tc, test_capability_without_device);
	tcase_add_test(tc, test_create_partition_without_device);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(api_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
