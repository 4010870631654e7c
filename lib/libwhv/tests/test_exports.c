// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * test_exports.c - libwhv exports every entry point of WinHvPlatform.dll,
 * in both libwhv.a and libwhv.so.
 *
 * The table below is the DLL's export list (the function declarations of
 * the Windows SDK 10.0.26100 WinHvPlatform.h, which agree with mingw-w64's
 * winhvplatform.def).  Each entry is checked three ways:
 *   - referenced directly, so this program only links if libwhv.a has it;
 *   - looked up with dlsym() in libwhv.so (found as $LIBWHV_SO, else
 *     lib/libwhv/libwhv.so beside this program's build tree or below the
 *     current directory);
 *   - its IsWHv*Present() query routine, from both libraries, answers TRUE
 *     for the functions libwhv implements and FALSE for the stubs, and every
 *     stub returns E_NOTIMPL when called with NULL/zero arguments.
 * lib/libwhv/UNSUPPORTED.md must list exactly the stubs.
 */
#define _GNU_SOURCE
#include <check.h>
#include <dlfcn.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <WinHvPlatform.h>
#include <WinHvEmulation.h>

typedef void (*any_fn)(void);
typedef HRESULT (*stub_call)(any_fn fn);
typedef BOOLEAN (*query_fn)(void);

struct export {
	const char *name;
	any_fn fn;		/* from libwhv.a */
	query_fn present;	/* its IsWHv*Present, from libwhv.a */
	stub_call call;		/* NULL: implemented; else calls the stub */
};

static const WHV_SYNIC_EVENT_PARAMETERS no_event = { .VpIndex = 0 };

/* call_<name>(fn): fn, typed as <name>, called with NULL/zero arguments. */
#define STUB_CALL(name, args)						\
	static HRESULT call_##name(any_fn fn)				\
	{								\
		return ((__typeof__(&name))fn) args;			\
	}

STUB_CALL(WHvMapGpaRange2, (NULL, NULL, NULL, 0, 0, WHvMapGpaRangeFlagNone))
STUB_CALL(WHvCreateVirtualProcessor2, (NULL, 0, NULL, 0))
STUB_CALL(WHvGetVirtualProcessorCpuidOutput, (NULL, 0, 0, 0, NULL))
STUB_CALL(WHvGetVirtualProcessorCounters,
	  (NULL, 0, WHvProcessorCounterSetRuntime, NULL, 0, NULL))
STUB_CALL(WHvSignalVirtualProcessorSynicEvent, (NULL, no_event, NULL))
STUB_CALL(WHvPostVirtualProcessorSynicMessage, (NULL, 0, 0, NULL, 0))
STUB_CALL(WHvRegisterPartitionDoorbellEvent, (NULL, NULL, NULL))
STUB_CALL(WHvUnregisterPartitionDoorbellEvent, (NULL, NULL))
STUB_CALL(WHvCreateTrigger, (NULL, NULL, NULL, NULL))
STUB_CALL(WHvUpdateTriggerParameters, (NULL, NULL, NULL))
STUB_CALL(WHvDeleteTrigger, (NULL, NULL))
STUB_CALL(WHvCreateNotificationPort, (NULL, NULL, NULL, NULL))
STUB_CALL(WHvSetNotificationPortProperty,
	  (NULL, NULL, WHvNotificationPortPropertyPreferredTargetVp, 0))
STUB_CALL(WHvDeleteNotificationPort, (NULL, NULL))
STUB_CALL(WHvAllocateVpciResource, (NULL, WHvAllocateVpciResourceFlagNone, NULL, 0, NULL))
STUB_CALL(WHvCreateVpciDevice, (NULL, 0, NULL, WHvCreateVpciDeviceFlagNone, NULL))
STUB_CALL(WHvDeleteVpciDevice, (NULL, 0))
STUB_CALL(WHvGetVpciDeviceProperty,
	  (NULL, 0, WHvVpciDevicePropertyCodeUndefined, NULL, 0, NULL))
STUB_CALL(WHvGetVpciDeviceNotification, (NULL, 0, NULL, 0))
STUB_CALL(WHvMapVpciDeviceMmioRanges, (NULL, 0, NULL, NULL))
STUB_CALL(WHvUnmapVpciDeviceMmioRanges, (NULL, 0))
STUB_CALL(WHvSetVpciDevicePowerState, (NULL, 0, PowerDeviceUnspecified))
STUB_CALL(WHvReadVpciDeviceRegister, (NULL, 0, NULL, NULL))
STUB_CALL(WHvWriteVpciDeviceRegister, (NULL, 0, NULL, NULL))
STUB_CALL(WHvMapVpciDeviceInterrupt, (NULL, 0, 0, 0, NULL, NULL, NULL))
STUB_CALL(WHvUnmapVpciDeviceInterrupt, (NULL, 0, 0))
STUB_CALL(WHvRetargetVpciDeviceInterrupt, (NULL, 0, 0, 0, NULL))
STUB_CALL(WHvRequestVpciDeviceInterrupt, (NULL, 0, 0, 0))
STUB_CALL(WHvGetVpciDeviceInterruptTarget, (NULL, 0, 0, 0, NULL, 0, NULL))
STUB_CALL(WHvStartPartitionMigration, (NULL, NULL))
STUB_CALL(WHvCancelPartitionMigration, (NULL))
STUB_CALL(WHvCompletePartitionMigration, (NULL))
STUB_CALL(WHvAcceptPartitionMigration, (NULL, NULL))

#define IMPLEMENTED(name) { #name, (any_fn)name, Is##name##Present, NULL }
#define STUB(name)        { #name, (any_fn)name, Is##name##Present, call_##name }

/* In the order of Microsoft's header. */
static const struct export exports[] = {
	IMPLEMENTED(WHvGetCapability),
	IMPLEMENTED(WHvCreatePartition),
	IMPLEMENTED(WHvSetupPartition),
	IMPLEMENTED(WHvResetPartition),
	IMPLEMENTED(WHvDeletePartition),
	IMPLEMENTED(WHvGetPartitionProperty),
	IMPLEMENTED(WHvSetPartitionProperty),
	IMPLEMENTED(WHvSuspendPartitionTime),
	IMPLEMENTED(WHvResumePartitionTime),
	IMPLEMENTED(WHvMapGpaRange),
	STUB(WHvMapGpaRange2),
	IMPLEMENTED(WHvUnmapGpaRange),
	IMPLEMENTED(WHvTranslateGva),
	IMPLEMENTED(WHvCreateVirtualProcessor),
	STUB(WHvCreateVirtualProcessor2),
	IMPLEMENTED(WHvDeleteVirtualProcessor),
	IMPLEMENTED(WHvRunVirtualProcessor),
	IMPLEMENTED(WHvCancelRunVirtualProcessor),
	IMPLEMENTED(WHvGetVirtualProcessorRegisters),
	IMPLEMENTED(WHvSetVirtualProcessorRegisters),
	IMPLEMENTED(WHvGetVirtualProcessorInterruptControllerState),
	IMPLEMENTED(WHvSetVirtualProcessorInterruptControllerState),
	IMPLEMENTED(WHvRequestInterrupt),
	IMPLEMENTED(WHvGetVirtualProcessorXsaveState),
	IMPLEMENTED(WHvSetVirtualProcessorXsaveState),
	IMPLEMENTED(WHvQueryGpaRangeDirtyBitmap),
	IMPLEMENTED(WHvGetPartitionCounters),
	STUB(WHvGetVirtualProcessorCounters),
	IMPLEMENTED(WHvGetVirtualProcessorInterruptControllerState2),
	IMPLEMENTED(WHvSetVirtualProcessorInterruptControllerState2),
	STUB(WHvRegisterPartitionDoorbellEvent),
	STUB(WHvUnregisterPartitionDoorbellEvent),
	IMPLEMENTED(WHvAdviseGpaRange),
	IMPLEMENTED(WHvReadGpaRange),
	IMPLEMENTED(WHvWriteGpaRange),
	STUB(WHvSignalVirtualProcessorSynicEvent),
	IMPLEMENTED(WHvGetVirtualProcessorState),
	IMPLEMENTED(WHvSetVirtualProcessorState),
	STUB(WHvAllocateVpciResource),
	STUB(WHvCreateVpciDevice),
	STUB(WHvDeleteVpciDevice),
	STUB(WHvGetVpciDeviceProperty),
	STUB(WHvGetVpciDeviceNotification),
	STUB(WHvMapVpciDeviceMmioRanges),
	STUB(WHvUnmapVpciDeviceMmioRanges),
	STUB(WHvSetVpciDevicePowerState),
	STUB(WHvReadVpciDeviceRegister),
	STUB(WHvWriteVpciDeviceRegister),
	STUB(WHvMapVpciDeviceInterrupt),
	STUB(WHvUnmapVpciDeviceInterrupt),
	STUB(WHvRetargetVpciDeviceInterrupt),
	STUB(WHvRequestVpciDeviceInterrupt),
	STUB(WHvGetVpciDeviceInterruptTarget),
	STUB(WHvCreateTrigger),
	STUB(WHvUpdateTriggerParameters),
	STUB(WHvDeleteTrigger),
	STUB(WHvCreateNotificationPort),
	STUB(WHvSetNotificationPortProperty),
	STUB(WHvDeleteNotificationPort),
	STUB(WHvPostVirtualProcessorSynicMessage),
	STUB(WHvGetVirtualProcessorCpuidOutput),
	IMPLEMENTED(WHvGetInterruptTargetVpSet),
	STUB(WHvStartPartitionMigration),
	STUB(WHvCancelPartitionMigration),
	STUB(WHvCompletePartitionMigration),
	STUB(WHvAcceptPartitionMigration),
};

#define N_EXPORTS (sizeof(exports) / sizeof(exports[0]))

#define HR_EQ(expected, seen, what) do {				\
	HRESULT _e = (expected), _s = (seen);				\
	ck_assert_msg(_e == _s, "%s: expected 0x%08x, got 0x%08x",	\
		      (what), (unsigned int)_e, (unsigned int)_s);	\
} while (0)

/* A file of the source tree: $env, else beside the build tree, else ./rel. */
static const char *find_file(const char *env, const char *rel, char *buf, size_t len)
{
	char exe[PATH_MAX];
	const char *e = getenv(env);
	ssize_t n;

	if (e && *e)
		return e;
	/* build/unit/test_exports -> ../../<rel> */
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		snprintf(buf, len, "%s/../../%s", dirname(exe), rel);
		if (access(buf, R_OK) == 0)
			return buf;
	}
	return rel;
}

static void *open_so(void)
{
	char buf[PATH_MAX];
	const char *path = find_file("LIBWHV_SO", "lib/libwhv/libwhv.so", buf, sizeof(buf));
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);

	ck_assert_msg(h, "cannot load %s (%s); build it first (make lib)", path, dlerror());
	return h;
}

/* name looked up in the libwhv.so behind h, and really defined there. */
static any_fn so_lookup(void *h, const char *name)
{
	void *sym = dlsym(h, name);
	Dl_info info;

	ck_assert_msg(sym, "libwhv.so does not export %s", name);
	ck_assert(dladdr(sym, &info));
	ck_assert_msg(strstr(info.dli_fname, "libwhv.so"),
		      "%s resolved to %s, not libwhv.so", name, info.dli_fname);
	return (any_fn)sym;
}

START_TEST(test_export_list)
{
	unsigned int i, j, stubs = 0;

	/* WinHvPlatform.dll exports 66 functions. */
	ck_assert_uint_eq(N_EXPORTS, 66);
	for (i = 0; i < N_EXPORTS; i++) {
		ck_assert_ptr_nonnull(exports[i].fn);
		ck_assert_ptr_nonnull(exports[i].present);
		for (j = 0; j < i; j++)
			ck_assert_str_ne(exports[i].name, exports[j].name);
		stubs += exports[i].call != NULL;
	}
	ck_assert_uint_eq(stubs, 33);
}
END_TEST

/* Through libwhv.a. */
START_TEST(test_static_library)
{
	unsigned int i;

	for (i = 0; i < N_EXPORTS; i++) {
		const struct export *x = &exports[i];

		ck_assert_msg(x->present() == (x->call ? FALSE : TRUE),
			      "Is%sPresent() disagrees with the implementation", x->name);
		if (x->call)
			HR_EQ(E_NOTIMPL, x->call(x->fn), x->name);
	}
	ck_assert_uint_eq(WHvGetRunContextBufferSize(), sizeof(WHV_RUN_VP_EXIT_CONTEXT));
	ck_assert_uint_eq(WHvGetRunExitContextSize(), sizeof(WHV_RUN_VP_EXIT_CONTEXT));
}
END_TEST

/* Through libwhv.so, by name, as a program that dlopens the library would. */
START_TEST(test_shared_library)
{
	void *h = open_so();
	char query[128];
	unsigned int i;

	for (i = 0; i < N_EXPORTS; i++) {
		const struct export *x = &exports[i];
		any_fn fn = so_lookup(h, x->name);
		query_fn present;

		snprintf(query, sizeof(query), "Is%sPresent", x->name);
		present = (query_fn)so_lookup(h, query);
		ck_assert_msg(present() == (x->call ? FALSE : TRUE),
			      "%s() disagrees with the implementation", query);
		if (x->call)
			HR_EQ(E_NOTIMPL, x->call(fn), x->name);
	}
	/* The two size queries of the 2017 preview. */
	ck_assert_uint_eq(((UINT32 (*)(void))so_lookup(h, "WHvGetRunContextBufferSize"))(),
			  sizeof(WHV_RUN_VP_EXIT_CONTEXT));
	ck_assert_uint_eq(((UINT32 (*)(void))so_lookup(h, "WHvGetRunExitContextSize"))(),
			  sizeof(WHV_RUN_VP_EXIT_CONTEXT));
	dlclose(h);
}
END_TEST

/* WinHvEmulation.dll's four functions and their query routines. */
START_TEST(test_emulator_exports)
{
	static const char *const names[] = {
		"WHvEmulatorCreateEmulator", "WHvEmulatorDestroyEmulator",
		"WHvEmulatorTryIoEmulation", "WHvEmulatorTryMmioEmulation",
	};
	void *h = open_so();
	char query[128];
	unsigned int i;

	for (i = 0; i < 4; i++) {
		so_lookup(h, names[i]);
		snprintf(query, sizeof(query), "Is%sPresent", names[i]);
		ck_assert_msg(((query_fn)so_lookup(h, query))() == TRUE, "%s", query);
	}
	ck_assert(IsWHvEmulatorCreateEmulatorPresent());
	ck_assert(IsWHvEmulatorDestroyEmulatorPresent());
	ck_assert(IsWHvEmulatorTryIoEmulationPresent());
	ck_assert(IsWHvEmulatorTryMmioEmulationPresent());
	dlclose(h);
}
END_TEST

/* UNSUPPORTED.md's table lists each stub as `Name`, and nothing that works. */
START_TEST(test_unsupported_table)
{
	char buf[PATH_MAX], word[128], line[512];
	const char *path = find_file("LIBWHV_UNSUPPORTED_MD", "lib/libwhv/UNSUPPORTED.md",
				     buf, sizeof(buf));
	FILE *f = fopen(path, "r");
	static char text[64 * 1024];
	size_t len;
	unsigned int i;

	ck_assert_msg(f, "cannot open %s", path);
	/* Only the table's rows count, not the prose around it. */
	len = 0;
	while (fgets(line, sizeof(line), f)) {
		if (line[0] != '|')
			continue;
		ck_assert_uint_lt(len + strlen(line), sizeof(text));
		memcpy(text + len, line, strlen(line));
		len += strlen(line);
	}
	fclose(f);
	text[len] = '\0';
	ck_assert_uint_gt(len, 0);
	for (i = 0; i < N_EXPORTS; i++) {
		snprintf(word, sizeof(word), "`%s`", exports[i].name);
		if (exports[i].call)
			ck_assert_msg(strstr(text, word), "%s is not in %s", word, path);
		else
			ck_assert_msg(!strstr(text, word), "%s works but is in %s", word, path);
	}
}
END_TEST

static Suite *exports_suite(void)
{
	Suite *s = suite_create("whv_exports");
	TCase *tc = tcase_create("exports");

	tcase_add_test(tc, test_export_list);
	tcase_add_test(tc, test_static_library);
	tcase_add_test(tc, test_shared_library);
	tcase_add_test(tc, test_emulator_exports);
	tcase_add_test(tc, test_unsupported_table);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(exports_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
