// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input on every call: through libwhv (the HRESULTs WHv documents) and
 * raw at the ioctl level (the errnos of uapi/whv_ioctl.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "kselftest_harness.h"
#include "guest.h"
#include "../uapi/whv_ioctl.h"

#define PAGE 4096ULL
/* An address in the kernel half: never a valid user pointer. */
#define KERNEL_PTR ((void *)0xffff800000000000ULL)

/*
 * The end of user space: 2^47, or 2^56 where the host kernel runs 5-level
 * paging (it then lists la57 in /proc/cpuinfo).
 */
static UINT64 user_top(void)
{
	char line[4096];
	bool la57 = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	while (f && !la57 && fgets(line, sizeof(line), f))
		la57 = !strncmp(line, "flags", 5) && strstr(line, " la57");
	if (f)
		fclose(f);
	return la57 ? 1ULL << 56 : 1ULL << 47;
}

/* ---- raw helpers ---------------------------------------------------------- */

/* ioctl's result, or -errno. */
static long xioctl(int fd, unsigned long cmd, const void *arg)
{
	long r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

static long xioctl_ul(int fd, unsigned long cmd, unsigned long arg)
{
	long r = ioctl(fd, cmd, arg);

	return r < 0 ? -errno : r;
}

static int dev_open(void)
{
	return open("/dev/whv", O_RDWR | O_CLOEXEC);
}

/* A page the process cannot touch: a user pointer that faults. */
static void *bad_page(void)
{
	void *p = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static long raw_set_prop(int pfd, __u32 code, const void *data, __u32 size)
{
	struct whv_property prop = {
		.code = code, .size = size, .data = (uintptr_t)data,
	};

	return xioctl(pfd, WHV_SET_PROPERTY, &prop);
}

/* A raw partition fd; with @nvps != 0 also ProcessorCount and setup. */
static int raw_partition(int dev, __u32 nvps, bool setup)
{
	int pfd = (int)xioctl_ul(dev, WHV_CREATE_PARTITION, 0);

	if (pfd < 0)
		return pfd;
	if (nvps && raw_set_prop(pfd, WHV_PROP_PROCESSOR_COUNT, &nvps, 4)) {
		close(pfd);
		return -1;
	}
	if (setup && xioctl_ul(pfd, WHV_SETUP_PARTITION, 0)) {
		close(pfd);
		return -1;
	}
	return pfd;
}

static long raw_vp(int pfd, unsigned long cmd, __u32 index, __u32 reserved)
{
	struct whv_vp_index vi = { .index = index, .reserved = reserved };

	return xioctl(pfd, cmd, &vi);
}

static long raw_map(int pfd, unsigned long cmd, __u64 uaddr, __u64 gpa,
		    __u64 size, __u32 flags, __u32 reserved)
{
	struct whv_gpa_range r = {
		.uaddr = uaddr, .gpa = gpa, .size = size, .flags = flags,
		.reserved = reserved,
	};

	return xioctl(pfd, cmd, &r);
}

/* ---- libwhv helpers --------------------------------------------------------- */

static HRESULT set_prop(WHV_PARTITION_HANDLE h, WHV_PARTITION_PROPERTY_CODE code,
			UINT64 v, UINT32 size)
{
	WHV_PARTITION_PROPERTY prop;

	memset(&prop, 0, sizeof(prop));
	memcpy(&prop, &v, size < 8 ? size : 8);
	return WHvSetPartitionProperty(h, code, &prop, size);
}

static HRESULT get_prop(WHV_PARTITION_HANDLE h, WHV_PARTITION_PROPERTY_CODE code,
			UINT64 *v, UINT32 size, UINT32 *written)
{
	WHV_PARTITION_PROPERTY prop;
	HRESULT hr;

	memset(&prop, 0xee, sizeof(prop));
	hr = WHvGetPartitionProperty(h, code, &prop, size, written);
	*v = 0;
	if (SUCCEEDED(hr))
		memcpy(v, &prop, *written < 8 ? *written : 8);
	return hr;
}

/* A partition with ProcessorCount @nvps, set up when @setup. */
static HRESULT new_partition(WHV_PARTITION_HANDLE *h, UINT32 nvps, bool setup)
{
	HRESULT hr = WHvCreatePartition(h);

	if (FAILED(hr))
		return hr;
	hr = set_prop(*h, WHvPartitionPropertyCodeProcessorCount, nvps, 4);
	if (SUCCEEDED(hr) && setup)
		hr = WHvSetupPartition(*h);
	if (FAILED(hr))
		WHvDeletePartition(*h);
	return hr;
}

static UINT64 capability64(WHV_CAPABILITY_CODE code)
{
	WHV_CAPABILITY cap;
	UINT32 written = 0;

	memset(&cap, 0, sizeof(cap));
	if (FAILED(WHvGetCapability(code, &cap, sizeof(cap), &written)))
		return 0;
	return cap.ExtendedVmExits.AsUINT64;
}

/* ---- /dev/whv ------------------------------------------------------------------ */

TEST(dev_unknown_ioctls)
{
	struct whv_capability cap = { .code = WHV_CAP_HYPERVISOR_PRESENT };
	int dev = dev_open(), pfd;
	char buf[64];

	ASSERT_LE(0, dev);
	memset(buf, 0, sizeof(buf));
	EXPECT_EQ(WHV_API_VERSION, xioctl_ul(dev, WHV_GET_API_VERSION, 0));
	EXPECT_EQ(-ENOTTY, xioctl_ul(dev, _IO(WHV_IOCTL_MAGIC, 0x7f), 0));
	EXPECT_EQ(-ENOTTY, xioctl_ul(dev, _IO('Q', 0x00), 0));
	/* Same number, different direction/size: a different command. */
	EXPECT_EQ(-ENOTTY, xioctl(dev, _IOW(WHV_IOCTL_MAGIC, 0x01,
					     struct whv_capability), &cap));
	/* Partition commands are not /dev/whv's. */
	EXPECT_EQ(-ENOTTY, xioctl(dev, WHV_SET_PROPERTY, buf));
	EXPECT_EQ(-ENOTTY, xioctl_ul(dev, WHV_SETUP_PARTITION, 0));
	EXPECT_EQ(-ENOTTY, xioctl(dev, WHV_RUN_VP, buf));

	pfd = raw_partition(dev, 0, false);
	ASSERT_LE(0, pfd);
	EXPECT_EQ(-ENOTTY, xioctl_ul(pfd, _IO(WHV_IOCTL_MAGIC, 0x7f), 0));
	EXPECT_EQ(-ENOTTY, xioctl_ul(pfd, _IO('Q', 0x24), 0));
	/* /dev/whv commands are not the partition's. */
	EXPECT_EQ(-ENOTTY, xioctl_ul(pfd, WHV_GET_API_VERSION, 0));
	EXPECT_EQ(-ENOTTY, xioctl(pfd, WHV_GET_CAPABILITY, &cap));
	EXPECT_EQ(-ENOTTY, xioctl_ul(pfd, WHV_CREATE_PARTITION, 0));
	close(pfd);
	close(dev);
}

TEST(create_partition_nonzero_arg)
{
	int dev = dev_open();

	ASSERT_LE(0, dev);
	EXPECT_EQ(-EINVAL, xioctl_ul(dev, WHV_CREATE_PARTITION, 1));
	EXPECT_EQ(-EINVAL, xioctl_ul(dev, WHV_CREATE_PARTITION,
				     (unsigned long)&dev));
	close(dev);
}

TEST(capability_unknown_code)
{
	struct whv_capability cap;
	WHV_CAPABILITY c;
	UINT32 written = 0xdead;
	int dev = dev_open();

	ASSERT_LE(0, dev);
	memset(&cap, 0, sizeof(cap));
	cap.code = 0x9999;
	EXPECT_EQ(-ENOPROTOOPT, xioctl(dev, WHV_GET_CAPABILITY, &cap));
	cap.code = 0xffffffff;
	EXPECT_EQ(-ENOPROTOOPT, xioctl(dev, WHV_GET_CAPABILITY, &cap));

	EXPECT_EQ(WHV_E_UNKNOWN_CAPABILITY,
		  WHvGetCapability((WHV_CAPABILITY_CODE)0x9999, &c, sizeof(c),
				   &written));
	EXPECT_EQ(0xdead, written);
	EXPECT_EQ(WHV_E_UNKNOWN_CAPABILITY,
		  WHvGetCapability((WHV_CAPABILITY_CODE)0xffffffff, &c,
				   sizeof(c), NULL));
	close(dev);
}

TEST(capability_small_buffer)
{
	WHV_CAPABILITY c;
	UINT32 written = 0xdead;

	memset(&c, 0, sizeof(c));
	/* ExtendedVmExits is 8 bytes: 4 is too few, 8 is enough. */
	EXPECT_EQ(WHV_E_INSUFFICIENT_BUFFER,
		  WHvGetCapability(WHvCapabilityCodeExtendedVmExits, &c, 4,
				   &written));
	EXPECT_EQ(0xdead, written);
	EXPECT_EQ(WHV_E_INSUFFICIENT_BUFFER,
		  WHvGetCapability(WHvCapabilityCodeExtendedVmExits, &c, 0,
				   &written));
	EXPECT_EQ(WHV_E_INSUFFICIENT_BUFFER,
		  WHvGetCapability(WHvCapabilityCodeHypervisorPresent, &c, 3,
				   &written));
	EXPECT_EQ(S_OK, WHvGetCapability(WHvCapabilityCodeExtendedVmExits,
					 &c, 8, &written));
	EXPECT_EQ(8, written);
	EXPECT_EQ(S_OK, WHvGetCapability(WHvCapabilityCodeHypervisorPresent,
					 &c, 4, &written));
	EXPECT_EQ(4, written);
	EXPECT_EQ(TRUE, c.HypervisorPresent);
	EXPECT_EQ(E_POINTER, WHvGetCapability(WHvCapabilityCodeHypervisorPresent,
					      NULL, 4, &written));
}

TEST(capability_bad_pointers)
{
	int dev = dev_open();
	void *bad = bad_page();

	ASSERT_LE(0, dev);
	ASSERT_NE(NULL, bad);
	EXPECT_EQ(-EFAULT, xioctl(dev, WHV_GET_CAPABILITY, NULL));
	EXPECT_EQ(-EFAULT, xioctl(dev, WHV_GET_CAPABILITY, bad));
	EXPECT_EQ(-EFAULT, xioctl(dev, WHV_GET_CAPABILITY, KERNEL_PTR));
	close(dev);
}

/* ---- partition properties ------------------------------------------------------ */

TEST(property_unknown_code)
{
	WHV_PARTITION_HANDLE h;
	UINT32 written = 0xdead;
	UINT64 v;
	UINT32 codes[] = { WHvPartitionPropertyCodeSeparateSecurityDomain,
			   WHvPartitionPropertyCodeApicRemoteReadSupport,
			   0x12345, 0xffffffff };
	unsigned int i;
	int dev = dev_open(), pfd;

	ASSERT_EQ(S_OK, WHvCreatePartition(&h));
	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		EXPECT_EQ(WHV_E_UNKNOWN_PROPERTY,
			  set_prop(h, (WHV_PARTITION_PROPERTY_CODE)codes[i], 1, 8));
		EXPECT_EQ(WHV_E_UNKNOWN_PROPERTY,
			  get_prop(h, (WHV_PARTITION_PROPERTY_CODE)codes[i], &v,
				   48, &written));
	}
	EXPECT_EQ(0xdead, written);
	WHvDeletePartition(h);

	ASSERT_LE(0, dev);
	pfd = raw_partition(dev, 0, false);
	ASSERT_LE(0, pfd);
	v = 1;
	EXPECT_EQ(-ENOPROTOOPT, raw_set_prop(pfd, 0x12345, &v, 8));
	/* The code is checked before the size. */
	EXPECT_EQ(-ENOPROTOOPT, raw_set_prop(pfd, 0x12345, &v, 0));
	close(pfd);
	close(dev);
}

TEST(property_sizes)
{
	WHV_PARTITION_HANDLE h;
	UINT32 written;
	UINT64 v;

	ASSERT_EQ(S_OK, WHvCreatePartition(&h));
	/* Below the per-property minimum. */
	EXPECT_EQ(E_INVALIDARG, set_prop(h, WHvPartitionPropertyCodeProcessorCount,
					 2, 3));
	EXPECT_EQ(E_INVALIDARG, set_prop(h, WHvPartitionPropertyCodeProcessorCount,
					 2, 0));
	EXPECT_EQ(E_INVALIDARG, set_prop(h, WHvPartitionPropertyCodeExtendedVmExits,
					 1, 7));
	EXPECT_EQ(E_INVALIDARG, set_prop(h, WHvPartitionPropertyCodeExceptionExitBitmap,
					 1, 4));
	/* Nothing was set by those. */
	written = 0;
	EXPECT_EQ(S_OK, get_prop(h, WHvPartitionPropertyCodeProcessorCount, &v,
				 48, &written));
	EXPECT_EQ(4, written);
	EXPECT_EQ(0, v);
	EXPECT_EQ(S_OK, get_prop(h, WHvPartitionPropertyCodeExtendedVmExits, &v,
				 48, &written));
	EXPECT_EQ(8, written);
	EXPECT_EQ(0, v);

	/* Shorter than the 48-byte union but at least the minimum: fine. */
	EXPECT_EQ(S_OK, set_prop(h, WHvPartitionPropertyCodeProcessorCount, 3, 4));
	EXPECT_EQ(S_OK, get_prop(h, WHvPartitionPropertyCodeProcessorCount, &v,
				 4, &written));
	EXPECT_EQ(4, written);
	EXPECT_EQ(3, v);
	EXPECT_EQ(S_OK, set_prop(h, WHvPartitionPropertyCodeExtendedVmExits, 1, 8));
	EXPECT_EQ(S_OK, get_prop(h, WHvPartitionPropertyCodeExtendedVmExits, &v,
				 8, &written));
	EXPECT_EQ(8, written);
	EXPECT_EQ(1, v);
	/* The whole union works too. */
	EXPECT_EQ(S_OK, set_prop(h, WHvPartitionPropertyCodeProcessorCount, 5, 48));
	EXPECT_EQ(S_OK, get_prop(h, WHvPartitionPropertyCodeProcessorCount, &v,
				 48, &written));
	EXPECT_EQ(5, v);

	/* Get into a buffer that is too small. */
	written = 0xdead;
	EXPECT_EQ(WHV_E_INSUFFICIENT_BUFFER,
		  get_prop(h, WHvPartitionPropertyCodeProcessorCount, &v, 3,
			   &written));
	EXPECT_EQ(WHV_E_INSUFFICIENT_BUFFER,
		  get_prop(h, WHvPartitionPropertyCodeExtendedVmExits, &v, 4,
			   &written));
	EXPECT_EQ(0xdead, written);

	/* NULL buffers */
	EXPECT_EQ(E_POINTER, WHvSetPartitionProperty(h,
			WHvPartitionPropertyCodeProcessorCount, NULL, 4));
	EXPECT_EQ(E_POINTER, WHvGetPartitionProperty(h,
			WHvPartitionPropertyCodeProcessorCount, NULL, 4, &written));
	WHvDeletePartition(h);
}

TEST(property_processor_count_range)
{
	WHV_PARTITION_HANDLE h;
	UINT32 written;
	UINT64 v;

	ASSERT_EQ(S_OK, WHvCreatePartition(&h));
	EXPECT_EQ(E_INVALIDARG, set_prop(h, WHvPartitionPropertyCodeProcessorCount, 0, 4));
	EXPECT_EQ(E_INVALIDARG, set_prop(h, WHvPartitionPropertyCodeProcessorCount, 65, 4));
	EXPECT_EQ(E_INVALIDARG, set_prop(h, WHvPartitionPropertyCodeProcessorCount,
					 0xffffffff, 4));
	EXPECT_EQ(S_OK, get_prop(h, WHvPartitionPropertyCodeProcessorCount, &v, 4,
				 &written));
	EXPECT_EQ(0, v);
	EXPECT_EQ(S_OK, set_prop(h, WHvPartitionPropertyCodeProcessorCount, 64, 4));
	EXPECT_EQ(S_OK, set_prop(h, WHvPartitionPropertyCodeProcessorCount, 1, 4));
	EXPECT_EQ(E_INVALIDARG, set_prop(h, WHvPartitionPropertyCodeProcessorCount, 65, 4));
	EXPECT_EQ(S_OK, get_prop(h, WHvPartitionPropertyCodeProcessorCount, &v, 4,
				 &written));
	EXPECT_EQ(1, v);
	WHvDeletePartition(h);
}

TEST(property_extended_vm_exits_bits)
{
	UINT64 cap = capability64(WHvCapabilityCodeExtendedVmExits);
	WHV_PARTITION_HANDLE h;
	UINT32 written;
	UINT64 v;
	int bit;

	/* The kernel offers (at least) CPUID, MSR and exception exits. */
	EXPECT_EQ(7, cap & 7);
	ASSERT_EQ(S_OK, WHvCreatePartition(&h));
	EXPECT_EQ(S_OK, set_prop(h, WHvPartitionPropertyCodeExtendedVmExits, cap, 8));
	for (bit = 0; bit < 64; bit++) {
		if (cap & (1ULL << bit))
			continue;
		EXPECT_EQ(E_INVALIDARG,
			  set_prop(h, WHvPartitionPropertyCodeExtendedVmExits,
				   1ULL << bit, 8)) {
			TH_LOG("ExtendedVmExits bit %d accepted", bit);
		}
	}
	/* An unsupported bit beside supported ones: refused as a whole. */
	for (bit = 0; cap & (1ULL << bit); bit++)
		;
	EXPECT_EQ(E_INVALIDARG, set_prop(h, WHvPartitionPropertyCodeExtendedVmExits,
					 cap | 1ULL << bit, 8));
	EXPECT_EQ(S_OK, get_prop(h, WHvPartitionPropertyCodeExtendedVmExits, &v, 8,
				 &written));
	EXPECT_EQ(cap, v);
	WHvDeletePartition(h);
}

TEST(property_exception_bitmap_bits)
{
	UINT64 cap = capability64(WHvCapabilityCodeExceptionExitBitmap);
	WHV_PARTITION_HANDLE h;
	UINT32 written;
	UINT64 v;
	int bit;

	/* #DE, #UD, #GP, #PF at least; never NMI (2), bits 32+. */
	EXPECT_EQ((1ULL << 0) | (1ULL << 6) | (1ULL << 13) | (1ULL << 14),
		  cap & ((1ULL << 0) | (1ULL << 6) | (1ULL << 13) | (1ULL << 14)));
	EXPECT_EQ(0, cap & (1ULL << 2));
	EXPECT_EQ(0, cap >> 32);
	ASSERT_EQ(S_OK, WHvCreatePartition(&h));
	EXPECT_EQ(S_OK, set_prop(h, WHvPartitionPropertyCodeExceptionExitBitmap,
				 cap, 8));
	for (bit = 0; bit < 64; bit++) {
		if (cap & (1ULL << bit))
			continue;
		EXPECT_EQ(E_INVALIDARG,
			  set_prop(h, WHvPartitionPropertyCodeExceptionExitBitmap,
				   1ULL << bit, 8)) {
			TH_LOG("ExceptionExitBitmap bit %d accepted", bit);
		}
	}
	EXPECT_EQ(S_OK, get_prop(h, WHvPartitionPropertyCodeExceptionExitBitmap,
				 &v, 8, &written));
	EXPECT_EQ(cap, v);
	WHvDeletePartition(h);
}

TEST(property_cpuid_lists)
{
	WHV_PARTITION_HANDLE h;
	UINT32 leaves[300];
	WHV_X64_CPUID_RESULT res[2];
	UINT32 written = 0xdead;
	UINT8 buf[64];
	unsigned int i;

	for (i = 0; i < 300; i++)
		leaves[i] = 0x40000000 + i;
	memset(res, 0, sizeof(res));
	res[0].Function = 0x40000000;
	res[1].Function = 0x40000001;
	ASSERT_EQ(S_OK, WHvCreatePartition(&h));
	/* CpuidExitList: whole UINT32s, at most 256 of them. */
	EXPECT_EQ(E_INVALIDARG, WHvSetPartitionProperty(h,
			WHvPartitionPropertyCodeCpuidExitList, leaves, 6));
	EXPECT_EQ(E_INVALIDARG, WHvSetPartitionProperty(h,
			WHvPartitionPropertyCodeCpuidExitList, leaves, 3));
	EXPECT_EQ(E_INVALIDARG, WHvSetPartitionProperty(h,
			WHvPartitionPropertyCodeCpuidExitList, leaves, 257 * 4));
	EXPECT_EQ(S_OK, WHvSetPartitionProperty(h,
			WHvPartitionPropertyCodeCpuidExitList, leaves, 8));
	EXPECT_EQ(S_OK, WHvSetPartitionProperty(h,
			WHvPartitionPropertyCodeCpuidExitList, leaves, 256 * 4));
	/* CpuidResultList: whole 32-byte entries. */
	EXPECT_EQ(E_INVALIDARG, WHvSetPartitionProperty(h,
			WHvPartitionPropertyCodeCpuidResultList, res, 31));
	EXPECT_EQ(E_INVALIDARG, WHvSetPartitionProperty(h,
			WHvPartitionPropertyCodeCpuidResultList, res, 33));
	EXPECT_EQ(E_INVALIDARG, WHvSetPartitionProperty(h,
			WHvPartitionPropertyCodeCpuidResultList, res, 48));
	EXPECT_EQ(S_OK, WHvSetPartitionProperty(h,
			WHvPartitionPropertyCodeCpuidResultList, res, 32));
	EXPECT_EQ(S_OK, WHvSetPartitionProperty(h,
			WHvPartitionPropertyCodeCpuidResultList, res, 64));
	/* WHv does not read the lists back. */
	EXPECT_EQ(E_INVALIDARG, WHvGetPartitionProperty(h,
			WHvPartitionPropertyCodeCpuidExitList, buf, sizeof(buf),
			&written));
	EXPECT_EQ(E_INVALIDARG, WHvGetPartitionProperty(h,
			WHvPartitionPropertyCodeCpuidResultList, buf, sizeof(buf),
			&written));
	EXPECT_EQ(0xdead, written);
	WHvDeletePartition(h);
}

TEST(property_after_setup)
{
	WHV_PARTITION_HANDLE h;
	WHV_X64_CPUID_RESULT res;
	UINT32 leaves[2] = { 0x40000000, 1 }, written;
	UINT64 v, bitmap = 1ULL << 13;

	memset(&res, 0, sizeof(res));
	ASSERT_EQ(S_OK, new_partition(&h, 2, true));
	/* Processor properties are fixed by setup. */
	EXPECT_EQ(WHV_E_INVALID_PARTITION_CONFIG,
		  set_prop(h, WHvPartitionPropertyCodeProcessorCount, 4, 4));
	EXPECT_EQ(WHV_E_INVALID_PARTITION_CONFIG, WHvSetPartitionProperty(h,
			WHvPartitionPropertyCodeCpuidResultList, &res, sizeof(res)));
	EXPECT_EQ(S_OK, get_prop(h, WHvPartitionPropertyCodeProcessorCount, &v, 4,
				 &written));
	EXPECT_EQ(2, v);
	/* Exit controls may change at any time. */
	EXPECT_EQ(S_OK, set_prop(h, WHvPartitionPropertyCodeExtendedVmExits, 5, 8));
	EXPECT_EQ(S_OK, set_prop(h, WHvPartitionPropertyCodeExceptionExitBitmap,
				 bitmap, 8));
	EXPECT_EQ(S_OK, WHvSetPartitionProperty(h,
			WHvPartitionPropertyCodeCpuidExitList, leaves, sizeof(leaves)));
	EXPECT_EQ(S_OK, get_prop(h, WHvPartitionPropertyCodeExtendedVmExits, &v, 8,
				 &written));
	EXPECT_EQ(5, v);
	EXPECT_EQ(S_OK, get_prop(h, WHvPartitionPropertyCodeExceptionExitBitmap,
				 &v, 8, &written));
	EXPECT_EQ(bitmap, v);
	/* ... and are still checked. */
	EXPECT_EQ(E_INVALIDARG, set_prop(h, WHvPartitionPropertyCodeExtendedVmExits,
					 1ULL << 40, 8));
	EXPECT_EQ(S_OK, get_prop(h, WHvPartitionPropertyCodeExtendedVmExits, &v, 8,
				 &written));
	EXPECT_EQ(5, v);
	WHvDeletePartition(h);
}

TEST(setup_rules)
{
	WHV_PARTITION_HANDLE h;
	int dev = dev_open(), pfd;

	/* No ProcessorCount: nothing to set up. */
	ASSERT_EQ(S_OK, WHvCreatePartition(&h));
	EXPECT_EQ(E_INVALIDARG, WHvSetupPartition(h));
	/* A failed setup leaves the partition configurable. */
	EXPECT_EQ(S_OK, set_prop(h, WHvPartitionPropertyCodeProcessorCount, 1, 4));
	EXPECT_EQ(S_OK, WHvSetupPartition(h));
	EXPECT_EQ(WHV_E_INVALID_PARTITION_CONFIG, WHvSetupPartition(h));
	EXPECT_EQ(S_OK, WHvCreateVirtualProcessor(h, 0, 0));
	WHvDeletePartition(h);

	ASSERT_LE(0, dev);
	pfd = raw_partition(dev, 1, false);
	ASSERT_LE(0, pfd);
	EXPECT_EQ(-EINVAL, xioctl_ul(pfd, WHV_SETUP_PARTITION, 1));
	EXPECT_EQ(0, xioctl_ul(pfd, WHV_SETUP_PARTITION, 0));
	EXPECT_EQ(-EBADFD, xioctl_ul(pfd, WHV_SETUP_PARTITION, 0));
	close(pfd);
	close(dev);
}

TEST(property_raw_errors)
{
	int dev = dev_open(), pfd;
	void *bad = bad_page();
	struct whv_property prop;
	__u32 count = 1;
	__u64 v;

	ASSERT_LE(0, dev);
	ASSERT_NE(NULL, bad);
	pfd = raw_partition(dev, 0, false);
	ASSERT_LE(0, pfd);
	EXPECT_EQ(-EINVAL, raw_set_prop(pfd, WHV_PROP_PROCESSOR_COUNT, &count, 3));
	EXPECT_EQ(-EINVAL, raw_set_prop(pfd, WHV_PROP_EXTENDED_VM_EXITS, &v, 4));
	/* Bigger than anything the kernel takes. */
	EXPECT_EQ(-EINVAL, raw_set_prop(pfd, WHV_PROP_CPUID_RESULT_LIST, &v,
					0x80000000u));
	/* Bad pointers: the struct, and the data it points at. */
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_SET_PROPERTY, NULL));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_SET_PROPERTY, bad));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_GET_PROPERTY, bad));
	EXPECT_EQ(-EFAULT, raw_set_prop(pfd, WHV_PROP_PROCESSOR_COUNT, bad, 4));
	EXPECT_EQ(-EFAULT, raw_set_prop(pfd, WHV_PROP_PROCESSOR_COUNT, NULL, 4));
	EXPECT_EQ(-EFAULT, raw_set_prop(pfd, WHV_PROP_PROCESSOR_COUNT,
					KERNEL_PTR, 4));
	memset(&prop, 0, sizeof(prop));
	prop.code = WHV_PROP_EXTENDED_VM_EXITS;
	prop.size = 8;
	prop.data = (uintptr_t)bad;
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_GET_PROPERTY, &prop));
	prop.data = (uintptr_t)KERNEL_PTR;
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_GET_PROPERTY, &prop));
	/* Get: the size that was written comes back in .size. */
	prop.data = (uintptr_t)&v;
	prop.size = 3;
	EXPECT_EQ(-ENOBUFS, xioctl(pfd, WHV_GET_PROPERTY, &prop));
	prop.size = 48;
	v = ~0ULL;
	EXPECT_EQ(0, xioctl(pfd, WHV_GET_PROPERTY, &prop));
	EXPECT_EQ(8, prop.size);
	EXPECT_EQ(0, v);
	prop.code = WHV_PROP_CPUID_EXIT_LIST;
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_GET_PROPERTY, &prop));
	prop.code = 0x777;
	EXPECT_EQ(-ENOPROTOOPT, xioctl(pfd, WHV_GET_PROPERTY, &prop));
	close(pfd);
	close(dev);
}

/* ---- before setup ---------------------------------------------------------------- */

TEST(calls_before_setup)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	WHV_PARTITION_HANDLE h;
	void *mem = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int dev = dev_open(), pfd;
	struct whv_run_vp run = {
		.exit_size = sizeof(struct whv_exit),
		.exit = (uintptr_t)&exit,
	};

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(S_OK, new_partition(&h, 1, false));
	EXPECT_EQ(WHV_E_INVALID_PARTITION_CONFIG, WHvCreateVirtualProcessor(h, 0, 0));
	EXPECT_EQ(WHV_E_INVALID_PARTITION_CONFIG,
		  WHvMapGpaRange(h, mem, 0, PAGE, WHvMapGpaRangeFlagRead));
	EXPECT_EQ(WHV_E_INVALID_PARTITION_CONFIG, WHvUnmapGpaRange(h, 0, PAGE));
	EXPECT_EQ(WHV_E_INVALID_PARTITION_CONFIG,
		  WHvRunVirtualProcessor(h, 0, &exit, sizeof(exit)));
	WHvDeletePartition(h);

	ASSERT_LE(0, dev);
	pfd = raw_partition(dev, 1, false);
	ASSERT_LE(0, pfd);
	EXPECT_EQ(-EBADFD, raw_vp(pfd, WHV_CREATE_VP, 0, 0));
	EXPECT_EQ(-EBADFD, raw_map(pfd, WHV_MAP_GPA_RANGE, (uintptr_t)mem, 0,
				   PAGE, WHV_MAP_READ, 0));
	EXPECT_EQ(-EBADFD, raw_map(pfd, WHV_UNMAP_GPA_RANGE, 0, 0, PAGE, 0, 0));
	EXPECT_EQ(-EBADFD, xioctl(pfd, WHV_RUN_VP, &run));
	close(pfd);
	close(dev);
	munmap(mem, PAGE);
}

/* ---- guest memory ------------------------------------------------------------------ */

TEST(map_bad_arguments)
{
	const UINT32 rwx = WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite |
			   WHvMapGpaRangeFlagExecute;
	WHV_PARTITION_HANDLE h;
	uint8_t *mem = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(S_OK, new_partition(&h, 1, true));
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, mem, 0x1001, PAGE, rwx));
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, mem, 0x800, PAGE, rwx));
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, mem + 1, 0, PAGE, rwx));
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, mem + 0x800, 0, PAGE, rwx));
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, mem, 0, 0, rwx));
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, mem, 0, 0x1001, rwx));
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, mem, 0, 0x800, rwx));
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, mem, 0xfffffffffffff000ULL,
					       2 * PAGE, rwx));
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, mem, PAGE, ~0ULL & ~(PAGE - 1),
					       rwx));
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, mem, 1ULL << 48, PAGE, rwx));
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, mem, (1ULL << 48) - PAGE,
					       2 * PAGE, rwx));
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, mem, 1ULL << 52, PAGE, rwx));
	/* Flags: only Read/Write/Execute/TrackDirtyPages. */
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, mem, 0, PAGE,
					       (WHV_MAP_GPA_RANGE_FLAGS)0x10));
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, mem, 0, PAGE,
		(WHV_MAP_GPA_RANGE_FLAGS)(rwx | WHvMapGpaRangeFlagTrackDirtyPages |
					  0x10)));
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, mem, 0, PAGE,
					       (WHV_MAP_GPA_RANGE_FLAGS)0x80000001));
	/* Source: NULL, in the kernel half, or wrapping around. */
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, NULL, 0, PAGE, rwx));
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, KERNEL_PTR, 0, PAGE, rwx));
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, (void *)0xfffffffffffff000ULL,
					       0, PAGE, rwx));
	EXPECT_EQ(E_INVALIDARG, WHvMapGpaRange(h, (void *)(user_top() - PAGE),
					       0, 2 * PAGE, rwx));
	/* None of those mapped anything. */
	EXPECT_EQ(WHV_E_GPA_RANGE_NOT_FOUND, WHvUnmapGpaRange(h, 0, 1ULL << 47));
	/* The last page below 2^48 is fine. */
	EXPECT_EQ(S_OK, WHvMapGpaRange(h, mem, (1ULL << 48) - PAGE, PAGE, rwx));
	EXPECT_EQ(S_OK, WHvUnmapGpaRange(h, (1ULL << 48) - PAGE, PAGE));
	WHvDeletePartition(h);
	munmap(mem, 4 * PAGE);
}

TEST(unmap_bad_arguments)
{
	WHV_PARTITION_HANDLE h;
	uint8_t *mem = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, mem);
	ASSERT_EQ(S_OK, new_partition(&h, 1, true));
	EXPECT_EQ(WHV_E_GPA_RANGE_NOT_FOUND, WHvUnmapGpaRange(h, 0, PAGE));
	EXPECT_EQ(WHV_E_GPA_RANGE_NOT_FOUND, WHvUnmapGpaRange(h, 0x100000, 16 * PAGE));
	ASSERT_EQ(S_OK, WHvMapGpaRange(h, mem, 0x10000, 4 * PAGE,
				       WHvMapGpaRangeFlagRead));
	EXPECT_EQ(E_INVALIDARG, WHvUnmapGpaRange(h, 0x10001, PAGE));
	EXPECT_EQ(E_INVALIDARG, WHvUnmapGpaRange(h, 0x10000, 0));
	EXPECT_EQ(E_INVALIDARG, WHvUnmapGpaRange(h, 0x10000, 0x800));
	EXPECT_EQ(E_INVALIDARG, WHvUnmapGpaRange(h, 0xfffffffffffff000ULL, 2 * PAGE));
	EXPECT_EQ(E_INVALIDARG, WHvUnmapGpaRange(h, 1ULL << 48, PAGE));
	/* Next to the mapping, not on it. */
	EXPECT_EQ(WHV_E_GPA_RANGE_NOT_FOUND, WHvUnmapGpaRange(h, 0xf000, PAGE));
	EXPECT_EQ(WHV_E_GPA_RANGE_NOT_FOUND, WHvUnmapGpaRange(h, 0x14000, PAGE));
	/* Overlapping part of it: found. Then the rest; then nothing left. */
	EXPECT_EQ(S_OK, WHvUnmapGpaRange(h, 0xf000, 2 * PAGE));
	EXPECT_EQ(S_OK, WHvUnmapGpaRange(h, 0x10000, 4 * PAGE));
	EXPECT_EQ(WHV_E_GPA_RANGE_NOT_FOUND, WHvUnmapGpaRange(h, 0x10000, 4 * PAGE));
	WHvDeletePartition(h);
	munmap(mem, 4 * PAGE);
}

TEST(map_raw_errors)
{
	int dev = dev_open(), pfd;
	void *bad = bad_page();
	uint8_t *mem = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__u64 u = (uintptr_t)mem;

	ASSERT_LE(0, dev);
	ASSERT_NE(NULL, bad);
	ASSERT_NE(MAP_FAILED, mem);
	pfd = raw_partition(dev, 1, true);
	ASSERT_LE(0, pfd);
	EXPECT_EQ(-EINVAL, raw_map(pfd, WHV_MAP_GPA_RANGE, u, 0, PAGE,
				   WHV_MAP_READ, 1));
	EXPECT_EQ(-EINVAL, raw_map(pfd, WHV_MAP_GPA_RANGE, u, 0, PAGE,
				   WHV_MAP_READ, 0x80000000));
	EXPECT_EQ(-EINVAL, raw_map(pfd, WHV_MAP_GPA_RANGE, u, 0, PAGE,
				   WHV_MAP_TRACK_DIRTY | WHV_MAP_READ | 0x10, 0));
	EXPECT_EQ(-EINVAL, raw_map(pfd, WHV_MAP_GPA_RANGE,
				   0xffff800000000000ULL, 0, PAGE, WHV_MAP_READ, 0));
	EXPECT_EQ(-EINVAL, raw_map(pfd, WHV_MAP_GPA_RANGE, u + 8, 0, PAGE,
				   WHV_MAP_READ, 0));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_MAP_GPA_RANGE, NULL));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_MAP_GPA_RANGE, bad));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_UNMAP_GPA_RANGE, bad));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_MAP_GPA_RANGE, KERNEL_PTR));
	ASSERT_EQ(0, raw_map(pfd, WHV_MAP_GPA_RANGE, u, 0, 2 * PAGE,
			     WHV_MAP_READ, 0));
	/* Unmap takes no source, no flags and no reserved bits. */
	EXPECT_EQ(-EINVAL, raw_map(pfd, WHV_UNMAP_GPA_RANGE, u, 0, PAGE, 0, 0));
	EXPECT_EQ(-EINVAL, raw_map(pfd, WHV_UNMAP_GPA_RANGE, 0, 0, PAGE,
				   WHV_MAP_READ, 0));
	EXPECT_EQ(-EINVAL, raw_map(pfd, WHV_UNMAP_GPA_RANGE, 0, 0, PAGE, 0, 1));
	EXPECT_EQ(0, raw_map(pfd, WHV_UNMAP_GPA_RANGE, 0, 0, PAGE, 0, 0));
	EXPECT_EQ(-ESRCH, raw_map(pfd, WHV_UNMAP_GPA_RANGE, 0, 0, PAGE, 0, 0));
	EXPECT_EQ(0, raw_map(pfd, WHV_UNMAP_GPA_RANGE, 0, PAGE, PAGE, 0, 0));
	close(pfd);
	close(dev);
	munmap(mem, 2 * PAGE);
}

/* WHV_QUERY_DIRTY_BITMAP, raw: every field and pointer checked. */
TEST(dirty_query_raw_errors)
{
	int dev = dev_open(), pfd;
	void *bad = bad_page();
	uint8_t *mem = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	__u64 bm[2] = { 0, 0 };
	struct whv_dirty_bitmap q = {
		.gpa = 0, .size = 2 * PAGE, .bitmap = (uintptr_t)bm,
		.bitmap_size = 8,
	};

	ASSERT_LE(0, dev);
	ASSERT_NE(NULL, bad);
	ASSERT_NE(MAP_FAILED, mem);
	pfd = raw_partition(dev, 1, false);
	ASSERT_LE(0, pfd);
	EXPECT_EQ(-EBADFD, xioctl(pfd, WHV_QUERY_DIRTY_BITMAP, &q));
	ASSERT_EQ(0, xioctl_ul(pfd, WHV_SETUP_PARTITION, 0));
	EXPECT_EQ(-ESRCH, xioctl(pfd, WHV_QUERY_DIRTY_BITMAP, &q));
	ASSERT_EQ(0, raw_map(pfd, WHV_MAP_GPA_RANGE, (uintptr_t)mem, 0, 2 * PAGE,
			     WHV_MAP_READ | WHV_MAP_WRITE | WHV_MAP_TRACK_DIRTY,
			     0));
	EXPECT_EQ(0, xioctl(pfd, WHV_QUERY_DIRTY_BITMAP, &q));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_QUERY_DIRTY_BITMAP, NULL));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_QUERY_DIRTY_BITMAP, bad));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_QUERY_DIRTY_BITMAP, KERNEL_PTR));
	q.reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_QUERY_DIRTY_BITMAP, &q));
	q.reserved = 0;
	q.bitmap = (uintptr_t)KERNEL_PTR;
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_QUERY_DIRTY_BITMAP, &q));
	q.bitmap = (uintptr_t)bad;
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_QUERY_DIRTY_BITMAP, &q));
	q.bitmap = (uintptr_t)bm + 2;
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_QUERY_DIRTY_BITMAP, &q));
	q.bitmap = 0;
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_QUERY_DIRTY_BITMAP, &q));
	q.bitmap = (uintptr_t)bm;
	q.bitmap_size = 7;
	EXPECT_EQ(-ENOBUFS, xioctl(pfd, WHV_QUERY_DIRTY_BITMAP, &q));
	/* Clear only: the pointer is not looked at. */
	q.bitmap_size = 0;
	q.bitmap = (uintptr_t)KERNEL_PTR;
	EXPECT_EQ(0, xioctl(pfd, WHV_QUERY_DIRTY_BITMAP, &q));
	q.size = 0;
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_QUERY_DIRTY_BITMAP, &q));
	q.size = ~0ULL & ~(PAGE - 1);
	q.gpa = PAGE;
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_QUERY_DIRTY_BITMAP, &q));
	q.gpa = 1ULL << 48;
	q.size = PAGE;
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_QUERY_DIRTY_BITMAP, &q));
	/* Beyond the tracked range, and a huge one: not found, quickly. */
	q.gpa = 0;
	q.size = 1ULL << 47;
	EXPECT_EQ(-ESRCH, xioctl(pfd, WHV_QUERY_DIRTY_BITMAP, &q));
	/* Unmapped: not found either. */
	EXPECT_EQ(0, raw_map(pfd, WHV_UNMAP_GPA_RANGE, 0, 0, 2 * PAGE, 0, 0));
	EXPECT_EQ(-ESRCH, xioctl(pfd, WHV_QUERY_DIRTY_BITMAP, &q));
	close(pfd);
	close(dev);
	munmap(mem, 2 * PAGE);
}

/*
 * Real mode: read 0x3000 and 0x4000 (OUT to ports 0x10, 0x11), write
 * 0x3004, read 0x3000 again (port 0x12), halt.
 */
GUEST_CODE(overlap, ".code16",
	"	movl 0x3000, %eax\n"
	"	outl %eax, $0x10\n"
	"	movl 0x4000, %eax\n"
	"	outl %eax, $0x11\n"
	"	movl $0x600dcafe, 0x3004\n"
	"	movl 0x3000, %eax\n"
	"	outl %eax, $0x12\n"
	"	hlt\n");

static void expect_out(struct __test_metadata *_metadata, struct test_vm *vm,
		       UINT16 port, UINT32 value)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;

	ASSERT_EQ(S_OK, vm_run(vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonX64IoPortAccess, exit.ExitReason);
	EXPECT_EQ(port, exit.IoPortAccess.PortNumber);
	EXPECT_EQ(1, (UINT32)exit.IoPortAccess.AccessInfo.IsWrite);
	EXPECT_EQ(value, (UINT32)exit.IoPortAccess.Rax);
	vm_skip(vm, 0, &exit);
}

TEST(map_overlap_replaces)
{
	const UINT32 rwx = WHvMapGpaRangeFlagRead | WHvMapGpaRangeFlagWrite |
			   WHvMapGpaRangeFlagExecute;
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	uint32_t *page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_real(&vm, 0, overlap_start, overlap_end);
	*(uint32_t *)(vm.mem + 0x3000) = 0xaaaa3000;
	*(uint32_t *)(vm.mem + 0x3004) = 0xaaaa3004;
	*(uint32_t *)(vm.mem + 0x4000) = 0xaaaa4000;
	page[0] = 0xbbbb3000;
	page[1] = 0xbbbb3004;
	/* The new page replaces 0x3000-0x3fff of the 2 MiB mapping. */
	ASSERT_EQ(S_OK, WHvMapGpaRange(vm.part, page, 0x3000, PAGE, rwx));
	expect_out(_metadata, &vm, 0x10, 0xbbbb3000);
	expect_out(_metadata, &vm, 0x11, 0xaaaa4000);
	expect_out(_metadata, &vm, 0x12, 0xbbbb3000);
	EXPECT_EQ(0x600dcafe, page[1]);
	EXPECT_EQ(0xaaaa3004, *(uint32_t *)(vm.mem + 0x3004));
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	EXPECT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);

	/* Unmapping the page leaves a hole, not the old mapping. */
	ASSERT_EQ(S_OK, WHvUnmapGpaRange(vm.part, 0x3000, PAGE));
	EXPECT_EQ(WHV_E_GPA_RANGE_NOT_FOUND, WHvUnmapGpaRange(vm.part, 0x3000, PAGE));
	vm_set(&vm, 0, WHvX64RegisterRip, GUEST_LOAD);
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	ASSERT_EQ(WHvRunVpExitReasonMemoryAccess, exit.ExitReason);
	EXPECT_EQ(0x3000, exit.MemoryAccess.Gpa);
	EXPECT_EQ(1, (UINT32)exit.MemoryAccess.AccessInfo.GpaUnmapped);
	EXPECT_EQ(0, (UINT32)exit.MemoryAccess.AccessInfo.AccessType);
	vm_destroy(&vm);
	munmap(page, PAGE);
}

/* ---- virtual processors ------------------------------------------------------------ */

TEST(vp_index_errors)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	WHV_PARTITION_HANDLE h;
	WHV_REGISTER_NAME name = WHvX64RegisterRax;
	WHV_REGISTER_VALUE val;
	UINT32 idx[] = { 1, 2, 63, 64, 1000, 0xffffffff };
	unsigned int i;

	memset(&val, 0, sizeof(val));
	ASSERT_EQ(S_OK, new_partition(&h, 2, true));
	EXPECT_EQ(E_INVALIDARG, WHvCreateVirtualProcessor(h, 2, 0));
	EXPECT_EQ(E_INVALIDARG, WHvCreateVirtualProcessor(h, 64, 0));
	EXPECT_EQ(E_INVALIDARG, WHvCreateVirtualProcessor(h, 0xffffffff, 0));
	EXPECT_EQ(E_INVALIDARG, WHvCreateVirtualProcessor(h, 0, 1));
	ASSERT_EQ(S_OK, WHvCreateVirtualProcessor(h, 0, 0));
	EXPECT_EQ(WHV_E_VP_ALREADY_EXISTS, WHvCreateVirtualProcessor(h, 0, 0));
	EXPECT_EQ(E_INVALIDARG, WHvCancelRunVirtualProcessor(h, 0, 1));
	/* VP 1 could exist but was never created; the others cannot. */
	for (i = 0; i < sizeof(idx) / sizeof(idx[0]); i++) {
		EXPECT_EQ(WHV_E_VP_DOES_NOT_EXIST,
			  WHvRunVirtualProcessor(h, idx[i], &exit, sizeof(exit)));
		EXPECT_EQ(WHV_E_VP_DOES_NOT_EXIST,
			  WHvGetVirtualProcessorRegisters(h, idx[i], &name, 1, &val));
		EXPECT_EQ(WHV_E_VP_DOES_NOT_EXIST,
			  WHvSetVirtualProcessorRegisters(h, idx[i], &name, 1, &val));
		EXPECT_EQ(WHV_E_VP_DOES_NOT_EXIST,
			  WHvCancelRunVirtualProcessor(h, idx[i], 0));
		EXPECT_EQ(WHV_E_VP_DOES_NOT_EXIST,
			  WHvDeleteVirtualProcessor(h, idx[i]));
	}
	/* Deleted is gone; it can be created again. */
	EXPECT_EQ(S_OK, WHvDeleteVirtualProcessor(h, 0));
	EXPECT_EQ(WHV_E_VP_DOES_NOT_EXIST, WHvDeleteVirtualProcessor(h, 0));
	EXPECT_EQ(WHV_E_VP_DOES_NOT_EXIST,
		  WHvGetVirtualProcessorRegisters(h, 0, &name, 1, &val));
	EXPECT_EQ(S_OK, WHvCreateVirtualProcessor(h, 0, 0));
	EXPECT_EQ(S_OK, WHvCreateVirtualProcessor(h, 1, 0));
	WHvDeletePartition(h);
}

TEST(vp_raw_errors)
{
	int dev = dev_open(), pfd;
	void *bad = bad_page();

	ASSERT_LE(0, dev);
	ASSERT_NE(NULL, bad);
	pfd = raw_partition(dev, 2, true);
	ASSERT_LE(0, pfd);
	EXPECT_EQ(-EINVAL, raw_vp(pfd, WHV_CREATE_VP, 0, 1));
	EXPECT_EQ(-EINVAL, raw_vp(pfd, WHV_CREATE_VP, 2, 0));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_CREATE_VP, NULL));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_CREATE_VP, bad));
	EXPECT_EQ(0, raw_vp(pfd, WHV_CREATE_VP, 0, 0));
	EXPECT_EQ(-EEXIST, raw_vp(pfd, WHV_CREATE_VP, 0, 0));
	EXPECT_EQ(-EINVAL, raw_vp(pfd, WHV_CANCEL_RUN_VP, 0, 1));
	EXPECT_EQ(-EINVAL, raw_vp(pfd, WHV_DELETE_VP, 0, 1));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_CANCEL_RUN_VP, bad));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_DELETE_VP, bad));
	EXPECT_EQ(-ENOENT, raw_vp(pfd, WHV_CANCEL_RUN_VP, 1, 0));
	EXPECT_EQ(-ENOENT, raw_vp(pfd, WHV_DELETE_VP, 1, 0));
	EXPECT_EQ(-ENOENT, raw_vp(pfd, WHV_DELETE_VP, 64, 0));
	EXPECT_EQ(0, raw_vp(pfd, WHV_CANCEL_RUN_VP, 0, 0));
	EXPECT_EQ(0, raw_vp(pfd, WHV_DELETE_VP, 0, 0));
	EXPECT_EQ(-ENOENT, raw_vp(pfd, WHV_DELETE_VP, 0, 0));
	close(pfd);
	close(dev);
}

/* ---- registers ------------------------------------------------------------------------ */

TEST(registers_count)
{
	WHV_REGISTER_NAME names[300];
	WHV_REGISTER_VALUE vals[300], back[300];
	struct test_vm vm;
	unsigned int i;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	names[0] = WHvX64RegisterRax;
	memset(vals, 0, sizeof(vals));
	EXPECT_EQ(E_INVALIDARG, WHvGetVirtualProcessorRegisters(vm.part, 0, names,
								0, vals));
	EXPECT_EQ(E_INVALIDARG, WHvSetVirtualProcessorRegisters(vm.part, 0, names,
								0, vals));
	EXPECT_EQ(E_POINTER, WHvGetVirtualProcessorRegisters(vm.part, 0, NULL, 1,
							     vals));
	EXPECT_EQ(E_POINTER, WHvGetVirtualProcessorRegisters(vm.part, 0, names, 1,
							     NULL));
	EXPECT_EQ(E_POINTER, WHvSetVirtualProcessorRegisters(vm.part, 0, NULL, 1,
							     vals));
	EXPECT_EQ(E_POINTER, WHvSetVirtualProcessorRegisters(vm.part, 0, names, 1,
							     NULL));

	/*
	 * More than the kernel's 256 per call: libwhv splits. The last 16
	 * entries set the 16 GPRs; earlier ones are overwritten by later ones.
	 */
	for (i = 0; i < 300; i++) {
		names[i] = (WHV_REGISTER_NAME)(i % 16);
		vals[i].Reg64 = 0x1000000000ULL * (i + 1) + i;
		vals[i].Reg128.High64 = 0;
	}
	ASSERT_EQ(S_OK, WHvSetVirtualProcessorRegisters(vm.part, 0, names, 300, vals));
	memset(back, 0xcc, sizeof(back));
	ASSERT_EQ(S_OK, WHvGetVirtualProcessorRegisters(vm.part, 0, names, 300, back));
	for (i = 0; i < 300; i++) {
		unsigned int r = i % 16, last = r + 16 * ((299 - r) / 16);

		EXPECT_EQ(vals[last].Reg64, back[i].Reg64) {
			TH_LOG("entry %u (register %u)", i, i % 16);
		}
		EXPECT_EQ(0, back[i].Reg128.High64);
	}
	vm_destroy(&vm);
}

TEST(registers_unknown_name_all_or_nothing)
{
	WHV_REGISTER_NAME names[3];
	WHV_REGISTER_VALUE vals[3];
	struct test_vm vm;
	UINT32 bad[] = { WHvX64RegisterBndcfgs, WHvRegisterSint0,
			 WHvRegisterPendingEvent, 0x12345, 0x7fffffff, 0xffffffff };
	unsigned int i;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterRax, 0x1111));
	ASSERT_EQ(S_OK, vm_set(&vm, 0, WHvX64RegisterRbx, 0x2222));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(vals, 0, sizeof(vals));
		names[0] = WHvX64RegisterRax;
		vals[0].Reg64 = 0xdead0000 + i;
		names[1] = (WHV_REGISTER_NAME)bad[i];
		vals[1].Reg64 = 1;
		names[2] = WHvX64RegisterRbx;
		vals[2].Reg64 = 0xbeef0000 + i;
		EXPECT_EQ(WHV_E_INVALID_VP_REGISTER_NAME,
			  WHvSetVirtualProcessorRegisters(vm.part, 0, names, 3, vals)) {
			TH_LOG("register name 0x%x", bad[i]);
		}
		EXPECT_EQ(0x1111, vm_get(&vm, 0, WHvX64RegisterRax));
		EXPECT_EQ(0x2222, vm_get(&vm, 0, WHvX64RegisterRbx));
		EXPECT_EQ(WHV_E_INVALID_VP_REGISTER_NAME,
			  WHvGetVirtualProcessorRegisters(vm.part, 0, names, 3, vals));
	}
	/* An invalid value is all-or-nothing too. */
	names[0] = WHvX64RegisterRax;
	vals[0].Reg64 = 0xdead;
	names[1] = WHvX64RegisterCr8;
	vals[1].Reg64 = 16;
	EXPECT_EQ(E_INVALIDARG, WHvSetVirtualProcessorRegisters(vm.part, 0, names,
								2, vals));
	EXPECT_EQ(0x1111, vm_get(&vm, 0, WHvX64RegisterRax));
	vm_destroy(&vm);
}

/* WHV_TRANSLATE_GVA and WHV_RESET_PARTITION, below libwhv. */
/* The local APIC's property and ioctls, raw: every field checked. */
TEST(apic_raw_errors)
{
	int dev = dev_open(), pfd;
	void *bad = bad_page();
	struct whv_interrupt irq;
	struct whv_interrupt_targets tg;
	struct whv_lapic_state st;
	static __u8 page[WHV_LAPIC_STATE_SIZE];
	__u32 mode;

	ASSERT_LE(0, dev);
	ASSERT_NE(NULL, bad);
	pfd = raw_partition(dev, 1, false);
	ASSERT_LE(0, pfd);
	mode = WHV_APIC_MODE_X2APIC + 1;
	EXPECT_EQ(-EINVAL, raw_set_prop(pfd, WHV_PROP_LOCAL_APIC_EMULATION_MODE,
					&mode, 4));
	EXPECT_EQ(-EINVAL, raw_set_prop(pfd, WHV_PROP_LOCAL_APIC_EMULATION_MODE,
					&mode, 3));	/* short */
	mode = WHV_APIC_MODE_XAPIC;
	EXPECT_EQ(0, raw_set_prop(pfd, WHV_PROP_LOCAL_APIC_EMULATION_MODE,
				  &mode, 4));
	/* Before setup: no APIC yet. */
	memset(&irq, 0, sizeof(irq));
	irq.vector = 0x40;
	EXPECT_EQ(-EBADFD, xioctl(pfd, WHV_REQUEST_INTERRUPT, &irq));
	ASSERT_EQ(0, xioctl_ul(pfd, WHV_SETUP_PARTITION, 0));
	EXPECT_EQ(-EBADFD, raw_set_prop(pfd, WHV_PROP_LOCAL_APIC_EMULATION_MODE,
					&mode, 4));
	ASSERT_EQ(0, raw_vp(pfd, WHV_CREATE_VP, 0, 0));

	EXPECT_EQ(0, xioctl(pfd, WHV_REQUEST_INTERRUPT, &irq));
	irq.control = 1ULL << 16;		/* TargetVtl */
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_REQUEST_INTERRUPT, &irq));
	irq.control = 1ULL << 40;		/* reserved */
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_REQUEST_INTERRUPT, &irq));
	irq.control = 2 << 12;			/* TriggerMode 2 */
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_REQUEST_INTERRUPT, &irq));
	irq.control = 2 << 8;			/* DestinationMode 2 */
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_REQUEST_INTERRUPT, &irq));
	irq.control = 2;			/* SMI: not a WHv type */
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_REQUEST_INTERRUPT, &irq));
	irq.control = 0;
	irq.vector = 15;			/* fixed below 16 */
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_REQUEST_INTERRUPT, &irq));
	irq.vector = 0x100;
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_REQUEST_INTERRUPT, &irq));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_REQUEST_INTERRUPT, bad));

	memset(&tg, 0, sizeof(tg));
	EXPECT_EQ(0, xioctl(pfd, WHV_GET_INTERRUPT_TARGETS, &tg));
	EXPECT_EQ(1, tg.vp_mask);
	tg.reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_GET_INTERRUPT_TARGETS, &tg));
	tg.reserved = 0;
	tg.destination_mode = 2;
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_GET_INTERRUPT_TARGETS, &tg));
	tg.destination_mode = 0;
	tg.destination = 1ULL << 32;
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_GET_INTERRUPT_TARGETS, &tg));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_GET_INTERRUPT_TARGETS, bad));

	memset(&st, 0, sizeof(st));
	st.size = sizeof(page);
	st.data = (__u64)(uintptr_t)page;
	EXPECT_EQ(0, xioctl(pfd, WHV_GET_LAPIC, &st));
	EXPECT_EQ(0, xioctl(pfd, WHV_SET_LAPIC, &st));
	st.size = sizeof(page) - 1;
	EXPECT_EQ(-ENOBUFS, xioctl(pfd, WHV_GET_LAPIC, &st));
	EXPECT_EQ(-ENOBUFS, xioctl(pfd, WHV_SET_LAPIC, &st));
	st.size = sizeof(page) + 1;
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_SET_LAPIC, &st));
	st.size = sizeof(page);
	page[0x80] = 0;
	page[0x81] = 1;				/* TPR above 0xff */
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_SET_LAPIC, &st));
	st.vp_index = 1;
	EXPECT_EQ(-ENOENT, xioctl(pfd, WHV_GET_LAPIC, &st));
	st.vp_index = 0;
	st.data = (__u64)(uintptr_t)bad;
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_GET_LAPIC, &st));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_SET_LAPIC, &st));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_GET_LAPIC, bad));
	close(pfd);

	/* A partition without the APIC refuses all of them. */
	pfd = raw_partition(dev, 1, true);
	ASSERT_LE(0, pfd);
	ASSERT_EQ(0, raw_vp(pfd, WHV_CREATE_VP, 0, 0));
	irq.vector = 0x40;
	EXPECT_EQ(-EBADFD, xioctl(pfd, WHV_REQUEST_INTERRUPT, &irq));
	tg.destination = 0;
	EXPECT_EQ(-EBADFD, xioctl(pfd, WHV_GET_INTERRUPT_TARGETS, &tg));
	st.data = (__u64)(uintptr_t)page;
	EXPECT_EQ(-EBADFD, xioctl(pfd, WHV_GET_LAPIC, &st));
	close(pfd);
	close(dev);
}

TEST(translate_and_reset_raw_errors)
{
	int dev = dev_open(), pfd, unset;
	void *bad = bad_page();
	struct whv_translate_gva t;

	ASSERT_LE(0, dev);
	ASSERT_NE(NULL, bad);
	pfd = raw_partition(dev, 1, true);
	ASSERT_LE(0, pfd);
	ASSERT_EQ(0, raw_vp(pfd, WHV_CREATE_VP, 0, 0));
	memset(&t, 0, sizeof(t));
	t.gva = 0x1234;
	EXPECT_EQ(0, xioctl(pfd, WHV_TRANSLATE_GVA, &t));
	EXPECT_EQ(0x1234, t.gpa);	/* real mode: GVA = GPA */
	EXPECT_EQ(WHV_GVA_GPA_UNMAPPED, t.result);	/* nothing mapped */
	t.reserved = 1;
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_TRANSLATE_GVA, &t));
	t.reserved = 0;
	t.flags = 0x20;			/* not a WHV_TRANSLATE_GVA_FLAGS bit */
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_TRANSLATE_GVA, &t));
	t.flags = WHV_GVA_ENFORCE_SMAP | WHV_GVA_OVERRIDE_SMAP;
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_TRANSLATE_GVA, &t));
	t.flags = 0;
	t.vp_index = 1;
	EXPECT_EQ(-ENOENT, xioctl(pfd, WHV_TRANSLATE_GVA, &t));
	t.vp_index = WHV_MAX_VPS;
	EXPECT_EQ(-ENOENT, xioctl(pfd, WHV_TRANSLATE_GVA, &t));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_TRANSLATE_GVA, NULL));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_TRANSLATE_GVA, bad));
	EXPECT_EQ(-EINVAL, xioctl_ul(pfd, WHV_RESET_PARTITION, 1));
	EXPECT_EQ(0, xioctl_ul(pfd, WHV_RESET_PARTITION, 0));
	/* Before setup: no VP to translate for, nothing to reset. */
	unset = raw_partition(dev, 1, false);
	ASSERT_LE(0, unset);
	t.vp_index = 0;
	EXPECT_EQ(-EBADFD, xioctl(unset, WHV_TRANSLATE_GVA, &t));
	EXPECT_EQ(-EBADFD, xioctl_ul(unset, WHV_RESET_PARTITION, 0));
	close(unset);
	close(pfd);
	close(dev);
}

/* Partition time and XSAVE state, below libwhv. */
TEST(time_and_xsave_raw_errors)
{
	int dev = dev_open(), pfd, unset;
	void *bad = bad_page();
	struct whv_xsave x = { 0 };
	static char buf[65536];

	ASSERT_LE(0, dev);
	ASSERT_NE(NULL, bad);
	pfd = raw_partition(dev, 1, true);
	ASSERT_LE(0, pfd);
	ASSERT_EQ(0, raw_vp(pfd, WHV_CREATE_VP, 0, 0));
	EXPECT_EQ(-EINVAL, xioctl_ul(pfd, WHV_SUSPEND_TIME, 1));
	EXPECT_EQ(-EINVAL, xioctl_ul(pfd, WHV_RESUME_TIME, 1));
	EXPECT_EQ(0, xioctl_ul(pfd, WHV_SUSPEND_TIME, 0));
	EXPECT_EQ(0, xioctl_ul(pfd, WHV_RESUME_TIME, 0));
	/* Too small: ENOBUFS, and the size needed. */
	EXPECT_EQ(-ENOBUFS, xioctl(pfd, WHV_GET_XSAVE, &x));
	EXPECT_LE(576, x.size);
	EXPECT_GE(sizeof(buf), x.size);
	x.buffer = (uintptr_t)buf;
	EXPECT_EQ(0, xioctl(pfd, WHV_GET_XSAVE, &x));
	EXPECT_EQ(0, xioctl(pfd, WHV_SET_XSAVE, &x));
	x.size = 575;
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_SET_XSAVE, &x));
	x.size = sizeof(buf);
	x.buffer = (uintptr_t)bad;
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_GET_XSAVE, &x));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_SET_XSAVE, &x));
	x.buffer = (uintptr_t)KERNEL_PTR;
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_GET_XSAVE, &x));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_SET_XSAVE, &x));
	x.buffer = (uintptr_t)buf;
	x.vp_index = 1;
	EXPECT_EQ(-ENOENT, xioctl(pfd, WHV_GET_XSAVE, &x));
	EXPECT_EQ(-ENOENT, xioctl(pfd, WHV_SET_XSAVE, &x));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_GET_XSAVE, NULL));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_SET_XSAVE, bad));
	/* Before setup: no time to suspend, no VP. */
	unset = raw_partition(dev, 1, false);
	ASSERT_LE(0, unset);
	x.vp_index = 0;
	EXPECT_EQ(-EBADFD, xioctl_ul(unset, WHV_SUSPEND_TIME, 0));
	EXPECT_EQ(-EBADFD, xioctl_ul(unset, WHV_RESUME_TIME, 0));
	EXPECT_EQ(-EBADFD, xioctl(unset, WHV_GET_XSAVE, &x));
	EXPECT_EQ(-EBADFD, xioctl(unset, WHV_SET_XSAVE, &x));
	close(unset);
	close(pfd);
	close(dev);
}

TEST(registers_raw_errors)
{
	int dev = dev_open(), pfd;
	void *bad = bad_page();
	__u32 names[257];
	struct whv_reg_value vals[257];
	struct whv_vp_registers r;
	unsigned int i;

	ASSERT_LE(0, dev);
	ASSERT_NE(NULL, bad);
	for (i = 0; i < 257; i++)
		names[i] = i % 16;
	memset(vals, 0, sizeof(vals));
	pfd = raw_partition(dev, 2, true);
	ASSERT_LE(0, pfd);
	ASSERT_EQ(0, raw_vp(pfd, WHV_CREATE_VP, 0, 0));

	r = (struct whv_vp_registers){ .vp_index = 0, .count = 0,
		.names = (uintptr_t)names, .values = (uintptr_t)vals };
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_GET_VP_REGISTERS, &r));
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_SET_VP_REGISTERS, &r));
	r.count = 257;
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_GET_VP_REGISTERS, &r));
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_SET_VP_REGISTERS, &r));
	r.count = 256;
	EXPECT_EQ(0, xioctl(pfd, WHV_GET_VP_REGISTERS, &r));
	EXPECT_EQ(0, xioctl(pfd, WHV_SET_VP_REGISTERS, &r));
	r.count = 1;
	r.vp_index = 1;
	EXPECT_EQ(-ENOENT, xioctl(pfd, WHV_GET_VP_REGISTERS, &r));
	r.vp_index = 0;
	names[0] = 0x207c;	/* Bndcfgs: not handled by the kernel */
	EXPECT_EQ(-ENOPROTOOPT, xioctl(pfd, WHV_GET_VP_REGISTERS, &r));
	EXPECT_EQ(-ENOPROTOOPT, xioctl(pfd, WHV_SET_VP_REGISTERS, &r));
	names[0] = WHV_REG_RAX;
	/* Bad pointers: the struct, the names, the values (both ways). */
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_GET_VP_REGISTERS, NULL));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_SET_VP_REGISTERS, bad));
	r.names = (uintptr_t)bad;
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_GET_VP_REGISTERS, &r));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_SET_VP_REGISTERS, &r));
	r.names = (uintptr_t)KERNEL_PTR;
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_GET_VP_REGISTERS, &r));
	r.names = (uintptr_t)names;
	r.values = (uintptr_t)bad;
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_GET_VP_REGISTERS, &r));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_SET_VP_REGISTERS, &r));
	r.values = (uintptr_t)KERNEL_PTR;
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_GET_VP_REGISTERS, &r));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_SET_VP_REGISTERS, &r));
	/* Values that cross into the bad page after the first entry. */
	r.values = (uintptr_t)bad - sizeof(vals[0]);
	r.count = 2;
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_SET_VP_REGISTERS, &r));
	close(pfd);
	close(dev);
}

/* ---- run --------------------------------------------------------------------------------- */

GUEST_CODE(halt, ".code16", "hlt\n");

TEST(run_exit_buffer)
{
	struct {
		WHV_RUN_VP_EXIT_CONTEXT exit;
		uint8_t canary[32];
	} buf;
	struct test_vm vm;
	unsigned int i;

	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_real(&vm, 0, halt_start, halt_end);
	memset(&buf, 0x5a, sizeof(buf));
	EXPECT_EQ(WHV_E_INSUFFICIENT_BUFFER,
		  WHvRunVirtualProcessor(vm.part, 0, &buf.exit, 223));
	EXPECT_EQ(WHV_E_INSUFFICIENT_BUFFER,
		  WHvRunVirtualProcessor(vm.part, 0, &buf.exit, 0));
	EXPECT_EQ(E_POINTER, WHvRunVirtualProcessor(vm.part, 0, NULL, 224));
	/* Nothing ran, nothing was written. */
	EXPECT_EQ(GUEST_LOAD, vm_get(&vm, 0, WHvX64RegisterRip));
	for (i = 0; i < sizeof(buf); i++)
		ASSERT_EQ(0x5a, ((uint8_t *)&buf)[i]);
	/* A bigger buffer is fine; only 224 bytes are written. */
	ASSERT_EQ(S_OK, WHvRunVirtualProcessor(vm.part, 0, &buf.exit, sizeof(buf)));
	EXPECT_EQ(WHvRunVpExitReasonX64Halt, buf.exit.ExitReason);
	for (i = 0; i < sizeof(buf.canary); i++)
		ASSERT_EQ(0x5a, buf.canary[i]);
	vm_destroy(&vm);
}

TEST(run_raw_errors)
{
	struct whv_exit exit;
	int dev = dev_open(), pfd;
	void *bad = bad_page();
	struct whv_run_vp run;

	ASSERT_LE(0, dev);
	ASSERT_NE(NULL, bad);
	pfd = raw_partition(dev, 2, true);
	ASSERT_LE(0, pfd);
	ASSERT_EQ(0, raw_vp(pfd, WHV_CREATE_VP, 0, 0));
	run = (struct whv_run_vp){ .vp_index = 0, .exit_size = 223,
				   .exit = (uintptr_t)&exit };
	EXPECT_EQ(-ENOBUFS, xioctl(pfd, WHV_RUN_VP, &run));
	run.exit_size = 0;
	EXPECT_EQ(-ENOBUFS, xioctl(pfd, WHV_RUN_VP, &run));
	run.exit_size = sizeof(exit);
	run.vp_index = 1;
	EXPECT_EQ(-ENOENT, xioctl(pfd, WHV_RUN_VP, &run));
	run.vp_index = 64;
	EXPECT_EQ(-ENOENT, xioctl(pfd, WHV_RUN_VP, &run));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_RUN_VP, NULL));
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_RUN_VP, bad));
	/*
	 * Nothing is mapped: the reset vector's fetch is a MemoryAccess exit,
	 * whose context cannot be written to a bad pointer.
	 */
	run.vp_index = 0;
	run.exit = (uintptr_t)bad;
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_RUN_VP, &run));
	run.exit = (uintptr_t)KERNEL_PTR;
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_RUN_VP, &run));
	run.exit = 0;		/* not the run page's run */
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_RUN_VP, &run));
	run.exit = (uintptr_t)&exit;
	memset(&exit, 0xcc, sizeof(exit));
	EXPECT_EQ(0, xioctl(pfd, WHV_RUN_VP, &run));
	EXPECT_EQ(WHV_EXIT_MEMORY_ACCESS, exit.reason);
	EXPECT_EQ(0xffff0, exit.memory.gpa);
	EXPECT_EQ(WHV_MEM_ACCESS_EXECUTE | WHV_MEM_GPA_UNMAPPED,
		  exit.memory.access_info & 7);
	close(pfd);
	close(dev);
}

/* One register of VP 0 through WHV_GET_VP_REGISTERS. */
static struct whv_reg_value raw_get(int pfd, __u32 name)
{
	struct whv_reg_value v = { 0 };
	struct whv_vp_registers r = { .vp_index = 0, .count = 1,
		.names = (uintptr_t)&name, .values = (uintptr_t)&v };

	if (xioctl(pfd, WHV_GET_VP_REGISTERS, &r))
		v.low = v.high = 0xbad;
	return v;
}

/*
 * Registers carried by WHV_RUN_VP: sets checked all or nothing before the
 * guest runs, applied and then cleared; at the exit, every field equal to
 * what WHV_GET_VP_REGISTERS answers.
 */
TEST(run_registers_raw)
{
	static const __u32 seg_names[6] = { WHV_REG_ES, WHV_REG_CS, WHV_REG_SS,
					    WHV_REG_DS, WHV_REG_FS, WHV_REG_GS };
	int dev = dev_open(), pfd, i;
	struct whv_run_regs regs, want;
	struct whv_exit exit;
	struct whv_run_vp run;
	struct whv_reg_value v;
	void *ro, *code;

	ASSERT_LE(0, dev);
	pfd = raw_partition(dev, 1, true);
	ASSERT_LE(0, pfd);
	ASSERT_EQ(0, raw_vp(pfd, WHV_CREATE_VP, 0, 0));
	run = (struct whv_run_vp){ .vp_index = 0, .exit_size = sizeof(exit),
				   .exit = (uintptr_t)&exit,
				   .regs = (uintptr_t)bad_page() };
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_RUN_VP, &run));
	run.regs = (uintptr_t)KERNEL_PTR;
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_RUN_VP, &run));
	/* Readable but not writable: nothing to apply, no way to copy out. */
	ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	run.regs = (uintptr_t)ro;
	EXPECT_EQ(-EFAULT, xioctl(pfd, WHV_RUN_VP, &run));
	munmap(ro, PAGE);

	/* Refused, and nothing applied: a name it does not carry... */
	run.regs = (uintptr_t)&regs;
	memset(&regs, 0, sizeof(regs));
	regs.gpr[0] = 0x1111;
	regs.set = 1ULL | 1ULL << 18;
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_RUN_VP, &run));
	EXPECT_EQ(1ULL | 1ULL << 18, regs.set);
	/* ...or a reserved RFLAGS bit. */
	regs.set = 1ULL | 1ULL << WHV_REG_RFLAGS;
	regs.rflags = 0x8;
	EXPECT_EQ(-EINVAL, xioctl(pfd, WHV_RUN_VP, &run));
	EXPECT_EQ(0, raw_get(pfd, WHV_REG_RAX).low);
	EXPECT_EQ(0xfff0, raw_get(pfd, WHV_REG_RIP).low);

	/* Applied (RIP at an unmapped page: the fetch exits at once). */
	regs.set = 1ULL << WHV_REG_RAX | 1ULL << WHV_REG_R15 |
		   1ULL << WHV_REG_RIP | 1ULL << WHV_REG_RFLAGS;
	regs.gpr[WHV_REG_RAX] = 0x1234;
	regs.gpr[WHV_REG_R15] = 0xf00f;
	regs.rip = 0x8000;
	regs.rflags = 0x40;	/* ZF; bit 1 reads back as one */
	regs.gpr[WHV_REG_RBX] = 0x5555;	/* not named: not applied */
	EXPECT_EQ(0, xioctl(pfd, WHV_RUN_VP, &run));
	EXPECT_EQ(WHV_EXIT_MEMORY_ACCESS, exit.reason);
	EXPECT_EQ(0xf8000, exit.memory.gpa);
	EXPECT_EQ(0, regs.set);
	EXPECT_EQ(0x1234, regs.gpr[WHV_REG_RAX]);
	EXPECT_EQ(0xf00f, regs.gpr[WHV_REG_R15]);
	EXPECT_EQ(0, regs.gpr[WHV_REG_RBX]);
	EXPECT_EQ(0x8000, regs.rip);
	EXPECT_EQ(0x42, regs.rflags);
	for (i = 0; i < 16; i++)
		EXPECT_EQ(raw_get(pfd, i).low, regs.gpr[i]);
	EXPECT_EQ(raw_get(pfd, WHV_REG_RIP).low, regs.rip);
	EXPECT_EQ(raw_get(pfd, WHV_REG_RFLAGS).low, regs.rflags);
	EXPECT_EQ(raw_get(pfd, WHV_REG_CR0).low, regs.cr0);
	EXPECT_EQ(raw_get(pfd, WHV_REG_CR3).low, regs.cr3);
	EXPECT_EQ(raw_get(pfd, WHV_REG_CR4).low, regs.cr4);
	EXPECT_EQ(raw_get(pfd, WHV_REG_EFER).low, regs.efer);
	for (i = 0; i < 6; i++) {
		v = raw_get(pfd, seg_names[i]);
		EXPECT_EQ(v.low, regs.seg[i].base);
		EXPECT_EQ(v.high, regs.seg[i].limit |
			  (__u64)regs.seg[i].selector << 32 |
			  (__u64)regs.seg[i].attributes << 48);
	}
	EXPECT_EQ(0xf0000, regs.seg[1].base);	/* CS at reset */
	EXPECT_EQ(0xf000, regs.seg[1].selector);

	/*
	 * A port exit leaves every field but @set alone: its context has the
	 * registers it involves. (OUT 0x80, AL at the page now mapped there.)
	 */
	code = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, code);
	memcpy(code, "\xe6\x80", 2);
	ASSERT_EQ(0, raw_map(pfd, WHV_MAP_GPA_RANGE, (uintptr_t)code, 0xf8000,
			     PAGE, WHV_MAP_READ | WHV_MAP_EXECUTE, 0));
	memset(&regs, 0xa5, sizeof(regs));
	regs.set = 1ULL << WHV_REG_RAX;
	regs.gpr[WHV_REG_RAX] = 0x77;
	memcpy(&want, &regs, sizeof(want));
	want.set = 0;
	EXPECT_EQ(0, xioctl(pfd, WHV_RUN_VP, &run));
	EXPECT_EQ(WHV_EXIT_IO_PORT_ACCESS, exit.reason);
	EXPECT_EQ(0x80, exit.io.port);
	EXPECT_EQ(0x77, exit.io.rax);
	EXPECT_EQ(0x8000, exit.vp.rip);
	EXPECT_EQ(0, memcmp(&want, &regs, sizeof(regs)));
	EXPECT_EQ(0x77, raw_get(pfd, WHV_REG_RAX).low);
	close(pfd);
	munmap(code, PAGE);
	close(dev);
}

static void *map_run_page(int pfd, __u64 index, int prot, int flags)
{
	return mmap(NULL, PAGE, prot, flags, pfd, index * WHV_RUN_PAGE_SIZE);
}

/*
 * The VP's run page: mapped only shared, one page, never executable, only
 * for a VP that exists, not inherited; WHV_RUN_VP_MAPPED takes its held
 * sets (all or nothing) and leaves the exit and the registers in it.
 */
TEST(run_page_raw)
{
	int dev = dev_open(), pfd, status = -1, i, round;
	struct whv_run_page *rp, *old;
	void *code, *m;
	pid_t pid;

	ASSERT_LE(0, dev);
	/* Before setup there are no VPs to run or map. */
	pfd = raw_partition(dev, 2, false);
	ASSERT_LE(0, pfd);
	EXPECT_EQ(-EBADFD, xioctl_ul(pfd, WHV_RUN_VP_MAPPED, 0));
	EXPECT_EQ(MAP_FAILED, map_run_page(pfd, 0, PROT_READ, MAP_SHARED));
	EXPECT_EQ(ENOENT, errno);
	close(pfd);

	pfd = raw_partition(dev, 2, true);
	ASSERT_LE(0, pfd);
	ASSERT_EQ(0, raw_vp(pfd, WHV_CREATE_VP, 0, 0));
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
				   MAP_SHARED, pfd, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, map_run_page(pfd, 0, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, map_run_page(pfd, 0, PROT_READ | PROT_EXEC,
					   MAP_SHARED));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, map_run_page(pfd, 1, PROT_READ, MAP_SHARED));
	EXPECT_EQ(ENOENT, errno);		/* no VP 1 */
	EXPECT_EQ(MAP_FAILED, map_run_page(pfd, WHV_MAX_VPS, PROT_READ,
					   MAP_SHARED));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(-ENOENT, xioctl_ul(pfd, WHV_RUN_VP_MAPPED, 1));
	EXPECT_EQ(-ENOENT, xioctl_ul(pfd, WHV_RUN_VP_MAPPED, 1ULL << 32));
	rp = map_run_page(pfd, 0, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, rp);
	EXPECT_NE(0, mprotect(rp, PAGE, PROT_READ | PROT_EXEC));

	/* Refused, nothing applied, @set kept: a reserved RFLAGS bit. */
	rp->regs.set = 1ULL << WHV_REG_RAX | 1ULL << WHV_REG_RFLAGS;
	rp->regs.gpr[WHV_REG_RAX] = 0x1111;
	rp->regs.rflags = 0x8;
	EXPECT_EQ(-EINVAL, xioctl_ul(pfd, WHV_RUN_VP_MAPPED, 0));
	EXPECT_EQ(1ULL << WHV_REG_RAX | 1ULL << WHV_REG_RFLAGS, rp->regs.set);
	EXPECT_EQ(0, raw_get(pfd, WHV_REG_RAX).low);

	/* Applied (RIP at an unmapped page: the fetch exits at once). */
	rp->regs.set = 1ULL << WHV_REG_RAX | 1ULL << WHV_REG_RIP;
	rp->regs.rip = 0x8000;
	EXPECT_EQ(0, xioctl_ul(pfd, WHV_RUN_VP_MAPPED, 0));
	EXPECT_EQ(WHV_EXIT_MEMORY_ACCESS, rp->exit.reason);
	EXPECT_EQ(0xf8000, rp->exit.memory.gpa);
	EXPECT_EQ(0x8000, rp->exit.vp.rip);
	EXPECT_EQ(0, rp->regs.set);
	for (i = 0; i < 16; i++)
		EXPECT_EQ(raw_get(pfd, i).low, rp->regs.gpr[i]);
	EXPECT_EQ(0x1111, rp->regs.gpr[WHV_REG_RAX]);
	EXPECT_EQ(0x8000, rp->regs.rip);
	EXPECT_EQ(raw_get(pfd, WHV_REG_RFLAGS).low, rp->regs.rflags);
	EXPECT_EQ(raw_get(pfd, WHV_REG_CR0).low, rp->regs.cr0);
	EXPECT_EQ(0xf0000, rp->regs.seg[1].base);	/* CS at reset */

	/* A port exit: the exit in the page, the registers left alone. */
	code = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, code);
	memcpy(code, "\xe6\x80", 2);		/* OUT 0x80, AL */
	ASSERT_EQ(0, raw_map(pfd, WHV_MAP_GPA_RANGE, (uintptr_t)code, 0xf8000,
			     PAGE, WHV_MAP_READ | WHV_MAP_EXECUTE, 0));
	rp->regs.set = 1ULL << WHV_REG_RAX;
	rp->regs.gpr[WHV_REG_RAX] = 0x77;
	rp->regs.gpr[WHV_REG_RBX] = 0x5a5a;	/* not named, not written */
	memset(&rp->exit, 0xff, sizeof(rp->exit));	/* all rewritten */
	EXPECT_EQ(0, xioctl_ul(pfd, WHV_RUN_VP_MAPPED, 0));
	EXPECT_EQ(WHV_EXIT_IO_PORT_ACCESS, rp->exit.reason);
	EXPECT_EQ(0x80, rp->exit.io.port);
	EXPECT_EQ(0x77, rp->exit.io.rax);
	EXPECT_EQ(0, rp->exit.reserved);
	EXPECT_EQ(0, rp->exit.vp.reserved);
	EXPECT_EQ(0, rp->exit.vp.reserved2);
	EXPECT_EQ(0, rp->exit.io.reserved[0] | rp->exit.io.reserved[1] |
		     rp->exit.io.reserved[2]);
	EXPECT_EQ(0, rp->exit.io.reserved2[0] | rp->exit.io.reserved2[1] |
		     rp->exit.io.reserved2[2]);
	for (i = offsetof(struct whv_exit, io) + sizeof(rp->exit.io);
	     i < sizeof(rp->exit); i++)
		EXPECT_EQ(0, ((uint8_t *)&rp->exit)[i]);
	EXPECT_EQ(0x5a5a, rp->regs.gpr[WHV_REG_RBX]);
	EXPECT_EQ(0, raw_get(pfd, WHV_REG_RBX).low);

	/* A load from unmapped memory, twice: the second encoded at the exit. */
	memcpy(code, "\xa0\x00\x00", 3);		/* MOV AL, [0] */
	for (round = 0; round < 2; round++) {
		rp->regs.set = 1ULL << WHV_REG_RIP;
		rp->regs.rip = 0x8000;
		memset(&rp->exit, 0xff, sizeof(rp->exit));
		EXPECT_EQ(0, xioctl_ul(pfd, WHV_RUN_VP_MAPPED, 0));
		EXPECT_EQ(WHV_EXIT_MEMORY_ACCESS, rp->exit.reason);
		EXPECT_EQ(0, rp->exit.memory.gpa);
		EXPECT_EQ(WHV_MEM_ACCESS_READ | WHV_MEM_GPA_UNMAPPED,
			  rp->exit.memory.access_info & 7);
		EXPECT_EQ(16, rp->exit.memory.insn_byte_count);
		EXPECT_EQ(0, memcmp(rp->exit.memory.insn_bytes, code, 16));
		EXPECT_EQ(0, rp->exit.reserved | rp->exit.vp.reserved |
			     rp->exit.vp.reserved2);
		EXPECT_EQ(0, rp->exit.memory.reserved[0] |
			     rp->exit.memory.reserved[1] |
			     rp->exit.memory.reserved[2]);
		for (i = offsetof(struct whv_exit, memory) +
			 sizeof(rp->exit.memory); i < sizeof(rp->exit); i++)
			EXPECT_EQ(0, ((uint8_t *)&rp->exit)[i]);
		EXPECT_EQ(0x8000, rp->regs.rip);	/* registers out too */
	}

	/* Not inherited, and not for another process to map. */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		bool refused, absent;

		m = map_run_page(pfd, 0, PROT_READ, MAP_SHARED);
		refused = m == MAP_FAILED && errno == EPERM;
		absent = madvise(rp, PAGE, MADV_NORMAL) == -1 &&
			 errno == ENOMEM;
		_exit(refused && absent ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, status);

	/* A VP created again has a page of its own; the old one stays readable. */
	EXPECT_EQ(0, raw_vp(pfd, WHV_DELETE_VP, 0, 0));
	old = rp;
	EXPECT_EQ(WHV_EXIT_MEMORY_ACCESS, old->exit.reason);
	ASSERT_EQ(0, raw_vp(pfd, WHV_CREATE_VP, 0, 0));
	rp = map_run_page(pfd, 0, PROT_READ | PROT_WRITE, MAP_SHARED);
	ASSERT_NE(MAP_FAILED, rp);
	EXPECT_EQ(0, rp->exit.reason);
	EXPECT_EQ(0x8000, old->regs.rip);	/* the last exit's */
	munmap(old, PAGE);
	close(pfd);
	/* The page outlives the partition while mapped. */
	EXPECT_EQ(0, rp->regs.set);
	munmap(rp, PAGE);
	munmap(code, PAGE);
	close(dev);
}

/* ---- another process ------------------------------------------------------------------ */

GUEST_CODE(poke, ".code16",
	"	movl $0x12345678, 0x2000\n"
	"	hlt\n");

TEST(partition_fd_in_child)
{
	WHV_RUN_VP_EXIT_CONTEXT exit;
	struct test_vm vm;
	int dev = dev_open(), pfd, status = -1;
	pid_t pid;

	ASSERT_LE(0, dev);
	pfd = raw_partition(dev, 1, true);
	ASSERT_LE(0, pfd);
	ASSERT_EQ(0, raw_vp(pfd, WHV_CREATE_VP, 0, 0));
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_real(&vm, 0, poke_start, poke_end);

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Only raw ioctls here, and one libwhv call; then _exit. */
		struct whv_exit ex;
		struct whv_run_vp run = { .vp_index = 0,
			.exit_size = sizeof(ex), .exit = (uintptr_t)&ex };
		__u32 count = 1;
		__u64 v;
		struct whv_property prop = { .code = WHV_PROP_PROCESSOR_COUNT,
			.size = 8, .data = (uintptr_t)&v };
		__u32 name = WHV_REG_RIP;
		struct whv_vp_registers regs = { .vp_index = 0, .count = 1,
			.names = (uintptr_t)&name, .values = (uintptr_t)&v };
		WHV_PARTITION_PROPERTY p;
		int fails = 0;

		if (xioctl(pfd, WHV_RUN_VP, &run) != -EPERM)
			fails |= 1;
		if (xioctl(pfd, WHV_GET_PROPERTY, &prop) != -EPERM)
			fails |= 2;
		if (raw_set_prop(pfd, WHV_PROP_PROCESSOR_COUNT, &count, 4) != -EPERM)
			fails |= 4;
		if (xioctl(pfd, WHV_GET_VP_REGISTERS, &regs) != -EPERM)
			fails |= 8;
		if (raw_vp(pfd, WHV_CREATE_VP, 0, 0) != -EPERM)
			fails |= 16;
		if (raw_map(pfd, WHV_UNMAP_GPA_RANGE, 0, 0, PAGE, 0, 0) != -EPERM)
			fails |= 32;
		if (WHvGetPartitionProperty(vm.part,
					    WHvPartitionPropertyCodeProcessorCount,
					    &p, sizeof(p), NULL) != E_ACCESSDENIED)
			fails |= 64;
		_exit(fails);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));

	/* The owner still has its partition, and its memory is still shared. */
	ASSERT_EQ(S_OK, vm_run(&vm, 0, &exit));
	EXPECT_EQ(WHvRunVpExitReasonX64Halt, exit.ExitReason);
	EXPECT_EQ(0x12345678, *(uint32_t *)(vm.mem + 0x2000));
	vm_destroy(&vm);
	close(pfd);
	close(dev);
}

/* ---- handles ------------------------------------------------------------------------------ */

static void expect_bad_handle(struct __test_metadata *_metadata,
			      WHV_PARTITION_HANDLE h)
{
	WHV_PARTITION_PROPERTY prop;
	WHV_RUN_VP_EXIT_CONTEXT exit;
	WHV_REGISTER_NAME name = WHvX64RegisterRax;
	WHV_REGISTER_VALUE val;
	UINT32 written;
	static uint8_t page[4096] __attribute__((aligned(4096)));

	memset(&prop, 0, sizeof(prop));
	memset(&val, 0, sizeof(val));
	prop.ProcessorCount = 1;
	EXPECT_EQ(E_HANDLE, WHvSetupPartition(h));
	EXPECT_EQ(E_HANDLE, WHvDeletePartition(h));
	EXPECT_EQ(E_HANDLE, WHvSetPartitionProperty(h,
			WHvPartitionPropertyCodeProcessorCount, &prop, sizeof(prop)));
	EXPECT_EQ(E_HANDLE, WHvGetPartitionProperty(h,
			WHvPartitionPropertyCodeProcessorCount, &prop, sizeof(prop),
			&written));
	EXPECT_EQ(E_HANDLE, WHvMapGpaRange(h, page, 0, sizeof(page),
					   WHvMapGpaRangeFlagRead));
	EXPECT_EQ(E_HANDLE, WHvUnmapGpaRange(h, 0, sizeof(page)));
	EXPECT_EQ(E_HANDLE, WHvCreateVirtualProcessor(h, 0, 0));
	EXPECT_EQ(E_HANDLE, WHvDeleteVirtualProcessor(h, 0));
	EXPECT_EQ(E_HANDLE, WHvRunVirtualProcessor(h, 0, &exit, sizeof(exit)));
	EXPECT_EQ(E_HANDLE, WHvCancelRunVirtualProcessor(h, 0, 0));
	EXPECT_EQ(E_HANDLE, WHvGetVirtualProcessorRegisters(h, 0, &name, 1, &val));
	EXPECT_EQ(E_HANDLE, WHvSetVirtualProcessorRegisters(h, 0, &name, 1, &val));
}

TEST(bad_handles)
{
	uint64_t garbage[16];
	struct test_vm vm;

	expect_bad_handle(_metadata, NULL);
	memset(garbage, 0x5a, sizeof(garbage));
	expect_bad_handle(_metadata, (WHV_PARTITION_HANDLE)garbage);
	memset(garbage, 0, sizeof(garbage));
	expect_bad_handle(_metadata, (WHV_PARTITION_HANDLE)garbage);
	/* A live partition is not disturbed by all that. */
	ASSERT_EQ(S_OK, vm_create(&vm, 1));
	vm_load_real(&vm, 0, halt_start, halt_end);
	EXPECT_EQ(E_POINTER, WHvCreatePartition(NULL));
	vm_destroy(&vm);
}

TEST_HARNESS_MAIN
