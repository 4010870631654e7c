// SPDX-License-Identifier: GPL-2.0
/*
 * CPU hotplug while partitions exist: a CPU that went offline and came back
 * has lost its SVM state in the reset, and must get it back before a VP
 * runs there. Needs root and at least 2 CPUs (the test VM has both).
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "guest.h"

GUEST_CODE(hp_halt, ".code16",
	"	mov $0x1234, %ax\n"
	"	hlt\n");

static int set_online(int cpu, int on)
{
	char path[64];
	int fd, ok;

	snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d/online", cpu);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, on ? "1" : "0", 1) == 1;
	close(fd);
	return ok ? 0 : -1;
}

static int pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

static void run_to_halt(struct __test_metadata *_metadata, struct test_vm *vm)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;

	vm_load_real(vm, 0, hp_halt_start, hp_halt_end);
	ASSERT_EQ(S_OK, vm_run(vm, 0, &exit));
	EXPECT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(0x1234, vm_get(vm, 0, WHvX64RegisterRax) & 0xffff);
}

TEST(cpu_offline_online_with_live_partition)
{
	struct test_vm vm;
	int round;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || access(
	    "/sys/devices/system/cpu/cpu1/online", W_OK))
		SKIP(return, "needs a second CPU that can go offline");
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	ASSERT_EQ(0, pin(1));
	run_to_halt(_metadata, &vm);
	for (round = 0; round < 3; round++) {
		ASSERT_EQ(0, pin(0));
		ASSERT_EQ(0, set_online(1, 0));
		ASSERT_EQ(0, set_online(1, 1));
		ASSERT_EQ(0, pin(1));
		run_to_halt(_metadata, &vm);
	}
	/* A partition created afterwards runs on every CPU too. */
	vm_destroy(&vm);
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	run_to_halt(_metadata, &vm);
	ASSERT_EQ(0, pin(0));
	run_to_halt(_metadata, &vm);
	vm_destroy(&vm);
}

TEST(cpu_offline_online_without_partitions)
{
	struct test_vm vm;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2 || access(
	    "/sys/devices/system/cpu/cpu1/online", W_OK))
		SKIP(return, "needs a second CPU that can go offline");
	ASSERT_EQ(0, pin(0));
	ASSERT_EQ(0, set_online(1, 0));
	ASSERT_EQ(0, set_online(1, 1));
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	ASSERT_EQ(0, pin(1));
	run_to_halt(_metadata, &vm);
	vm_destroy(&vm);
}

TEST_HARNESS_MAIN
