// SPDX-License-Identifier: GPL-2.0
/*
 * whv: module entry and /dev/whv. Picks the backend for this CPU, refuses
 * to load with one clear line when virtualization is unusable.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/uaccess.h>
#include <asm/processor.h>
#include <asm/tsc.h>
#include "whv.h"

const struct whv_backend *whv_backend;
#define WHV_HOT_OP_DEFINE(op) \
	DEFINE_STATIC_CALL_NULL(whv_##op, *((struct whv_backend *)NULL)->op)
WHV_HOT_OP_DEFINE(enter);
WHV_HOT_OP_DEFINE(snapshot);
WHV_HOT_OP_DEFINE(set_rip);

static void whv_hot_ops_init(void)
{
	static_call_update(whv_enter, whv_backend->enter);
	static_call_update(whv_snapshot, whv_backend->snapshot);
	static_call_update(whv_set_rip, whv_backend->set_rip);
}

static int whv_get_capability(struct whv_capability __user *ucap)
{
	struct whv_capability cap;

	if (copy_from_user(&cap, ucap, sizeof(cap)))
		return -EFAULT;
	memset(cap.data, 0, sizeof(cap.data));
	switch (cap.code) {
	case WHV_CAP_HYPERVISOR_PRESENT:
		cap.data[0] = 1;
		cap.size = 4;
		break;
	case WHV_CAP_FEATURES:
		cap.data[0] = WHV_FEATURE_LOCAL_APIC_EMULATION |
			      WHV_FEATURE_DIRTY_PAGE_TRACKING;
		cap.size = 8;
		break;
	case WHV_CAP_EXTENDED_VM_EXITS:
		cap.data[0] = WHV_SUPPORTED_EXTENDED_EXITS;
		cap.size = 8;
		break;
	case WHV_CAP_EXCEPTION_EXIT_BITMAP:
		cap.data[0] = whv_backend->exception_exits;
		cap.size = 8;
		break;
	case WHV_CAP_PROCESSOR_VENDOR:
		cap.data[0] = whv_backend->vendor;
		cap.size = 4;
		break;
	case WHV_CAP_PROCESSOR_CLFLUSH_SIZE:
		cap.data[0] = boot_cpu_data.x86_clflush_size / 8;
		cap.size = 1;
		break;
	case WHV_CAP_PROCESSOR_CLOCK_FREQUENCY:
		/* The guest's TSC is the host's, offset only. */
		if (!tsc_khz)
			return -ENOPROTOOPT;
		cap.data[0] = (u64)tsc_khz * 1000;
		cap.size = 8;
		break;
	case WHV_CAP_INTERRUPT_CLOCK_FREQUENCY:
		cap.data[0] = WHV_APIC_TIMER_HZ;
		cap.size = 8;
		break;
	case WHV_CAP_PHYSICAL_ADDRESS_WIDTH:
		cap.data[0] = whv_guest_phys_bits();
		cap.size = 4;
		break;
	default:
		return -ENOPROTOOPT;
	}
	return copy_to_user(ucap, &cap, sizeof(cap)) ? -EFAULT : 0;
}

static long whv_dev_ioctl(struct file *f, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case WHV_GET_API_VERSION:
		return WHV_API_VERSION;
	case WHV_GET_CAPABILITY:
		return whv_get_capability((void __user *)arg);
	case WHV_CREATE_PARTITION:
		if (arg)
			return -EINVAL;
		return whv_partition_create();
	default:
		return -ENOTTY;
	}
}

static const struct file_operations whv_dev_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = whv_dev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

static struct miscdevice whv_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "whv",
	.fops = &whv_dev_fops,
	.mode = 0600,
};

static void whv_backend_remove(void)
{
	if (whv_backend == &whv_vmx_backend)
		whv_vmx_remove();
	else
		whv_svm_remove();
}

static int __init whv_init(void)
{
	int ret;

	whv_cpuid_init();
	if (boot_cpu_data.x86_vendor == X86_VENDOR_INTEL) {
		ret = whv_vmx_probe();
		whv_backend = &whv_vmx_backend;
	} else {
		ret = whv_svm_probe();
		whv_backend = &whv_svm_backend;
	}
	if (ret)
		return ret;
	whv_hot_ops_init();
	whv_run_init();
	ret = whv_hw_init();
	if (ret)
		goto err_backend;
	ret = misc_register(&whv_miscdev);
	if (ret)
		goto err_hw;
	pr_info("whv: %s backend ready on /dev/whv\n", whv_backend->name);
	return 0;

err_hw:
	whv_hw_exit();
err_backend:
	whv_backend_remove();
	return ret;
}

static void __exit whv_exit(void)
{
	/* Partitions hold module references, so none is left here. */
	misc_deregister(&whv_miscdev);
	whv_hw_exit();
	whv_backend_remove();
}

module_init(whv_init);
module_exit(whv_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Windows Hypervisor Platform-style hypervisor core");
