// SPDX-License-Identifier: GPL-2.0
/*
 * Partition fd: properties, setup, guest memory and VP ioctls. The
 * partition belongs to the process that created it: its guest memory is that
 * process's address space, so other processes get EPERM.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>
#include <asm/tsc.h>
#include "whv.h"

static void whv_partition_free(struct whv_partition *p)
{
	u32 i;

	/*
	 * Memory first: unregistering the mmu notifier may still run its
	 * callbacks, which kick the VPs. Then nothing else can see them.
	 */
	whv_mem_destroy(p);
	whv_dirty_destroy(p);
	for (i = 0; i < WHV_MAX_VPS; i++) {
		struct whv_vp *vp = rcu_dereference_protected(p->vps[i], 1);

		RCU_INIT_POINTER(p->vps[i], NULL);
		if (vp)
			whv_vp_free(vp);
	}
	kvfree(p->cpuid_results);
	mmdrop(p->mm);
	kfree(p);
	whv_hw_put();
	module_put(THIS_MODULE);
}

static int whv_partition_release(struct inode *inode, struct file *f)
{
	struct whv_partition *p = f->private_data;

	/* The mmu notifier is unregistered with the partition's memory. */
	whv_partition_free(p);
	return 0;
}

/* Minimum size of each property a caller may pass (WHv lets them be short). */
static int whv_prop_min_size(u32 code)
{
	switch (code) {
	case WHV_PROP_EXTENDED_VM_EXITS:
	case WHV_PROP_EXCEPTION_EXIT_BITMAP:
		return 8;
	case WHV_PROP_PROCESSOR_COUNT:
	case WHV_PROP_LOCAL_APIC_EMULATION_MODE:
		return 4;
	case WHV_PROP_CPUID_EXIT_LIST:
		return 0;
	case WHV_PROP_CPUID_RESULT_LIST:
		return 0;
	case WHV_PROP_PROCESSOR_CLOCK_FREQUENCY:
	case WHV_PROP_INTERRUPT_CLOCK_FREQUENCY:
		return 8;
	default:
		return -1;
	}
}

static int whv_set_cpuid_results(struct whv_partition *p, const void *buf,
				 u32 size)
{
	struct whv_cpuid_result *res = NULL;
	u32 n = size / sizeof(*res);

	if (size % sizeof(*res) || n > WHV_MAX_CPUID_RESULTS)
		return -EINVAL;
	if (n) {
		res = kvmalloc(size, GFP_KERNEL_ACCOUNT);
		if (!res)
			return -ENOMEM;
		memcpy(res, buf, size);
	}
	kvfree(p->cpuid_results);
	p->cpuid_results = res;
	p->n_cpuid_results = n;
	return 0;
}

static int whv_set_property_locked(struct whv_partition *p, u32 code,
				   const void *buf, u32 size)
{
	u64 v = 0;

	memcpy(&v, buf, min_t(u32, size, sizeof(v)));
	switch (code) {
	case WHV_PROP_PROCESSOR_COUNT:
		if (p->setup_done)
			return -EBADFD;
		if ((u32)v == 0 || (u32)v > WHV_MAX_VPS)
			return -EINVAL;
		p->vp_count = (u32)v;
		return 0;
	case WHV_PROP_LOCAL_APIC_EMULATION_MODE:
		if (p->setup_done)
			return -EBADFD;
		if ((u32)v > WHV_APIC_MODE_X2APIC)
			return -EINVAL;
		p->apic_mode = (u32)v;
		return 0;
	case WHV_PROP_EXTENDED_VM_EXITS:
		if (v & ~WHV_SUPPORTED_EXTENDED_EXITS)
			return -EINVAL;
		p->extended_exits = v;
		break;
	case WHV_PROP_EXCEPTION_EXIT_BITMAP:
		if (v & ~whv_backend->exception_exits)
			return -EINVAL;
		p->exception_bitmap = v;
		break;
	case WHV_PROP_CPUID_EXIT_LIST:
		if (size % 4 || size / 4 > WHV_MAX_CPUID_EXITS)
			return -EINVAL;
		memcpy(p->cpuid_exits, buf, size);
		p->n_cpuid_exits = size / 4;
		return 0;
	case WHV_PROP_CPUID_RESULT_LIST:
		if (p->setup_done)
			return -EBADFD;
		return whv_set_cpuid_results(p, buf, size);
	case WHV_PROP_PROCESSOR_CLOCK_FREQUENCY:
	case WHV_PROP_INTERRUPT_CLOCK_FREQUENCY:
		return -EINVAL;		/* the host's clocks: read only */
	default:
		return -ENOPROTOOPT;
	}
	/* A running VP picks the change up at its next entry. */
	whv_kick_all_vps(p, WHV_REQ_INTERCEPTS);
	return 0;
}

static int whv_set_property(struct whv_partition *p,
			    struct whv_property __user *uprop)
{
	struct whv_property prop;
	void *buf;
	int min, ret;

	if (copy_from_user(&prop, uprop, sizeof(prop)))
		return -EFAULT;
	min = whv_prop_min_size(prop.code);
	if (min < 0)
		return -ENOPROTOOPT;
	if (prop.size < min || prop.size > WHV_MAX_CPUID_RESULTS *
	    sizeof(struct whv_cpuid_result))
		return -EINVAL;
	buf = vmemdup_user(u64_to_user_ptr(prop.data), prop.size);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	mutex_lock(&p->lock);
	ret = whv_set_property_locked(p, prop.code, buf, prop.size);
	mutex_unlock(&p->lock);
	kvfree(buf);
	return ret;
}

static int whv_get_property(struct whv_partition *p,
			    struct whv_property __user *uprop)
{
	struct whv_property prop;
	u64 v;
	u32 len = 8;

	if (copy_from_user(&prop, uprop, sizeof(prop)))
		return -EFAULT;
	mutex_lock(&p->lock);
	switch (prop.code) {
	case WHV_PROP_PROCESSOR_COUNT:
		v = p->vp_count;
		len = 4;
		break;
	case WHV_PROP_EXTENDED_VM_EXITS:
		v = p->extended_exits;
		break;
	case WHV_PROP_LOCAL_APIC_EMULATION_MODE:
		v = p->apic_mode;
		len = 4;
		break;
	case WHV_PROP_EXCEPTION_EXIT_BITMAP:
		v = p->exception_bitmap;
		break;
	case WHV_PROP_PROCESSOR_CLOCK_FREQUENCY:
		/* The guest's TSC is the host's, offset only. */
		if (!tsc_khz) {
			mutex_unlock(&p->lock);
			return -ENOPROTOOPT;
		}
		v = (u64)tsc_khz * 1000;
		break;
	case WHV_PROP_INTERRUPT_CLOCK_FREQUENCY:
		v = WHV_APIC_TIMER_HZ;
		break;
	case WHV_PROP_CPUID_EXIT_LIST:
	case WHV_PROP_CPUID_RESULT_LIST:
		/* WHv does not read these back. */
		mutex_unlock(&p->lock);
		return -EINVAL;
	default:
		mutex_unlock(&p->lock);
		return -ENOPROTOOPT;
	}
	mutex_unlock(&p->lock);
	if (prop.size < len)
		return -ENOBUFS;
	if (copy_to_user(u64_to_user_ptr(prop.data), &v, len))
		return -EFAULT;
	prop.size = len;
	return copy_to_user(uprop, &prop, sizeof(prop)) ? -EFAULT : 0;
}

static int whv_setup(struct whv_partition *p)
{
	int ret = 0;

	mutex_lock(&p->lock);
	if (p->setup_done)
		ret = -EBADFD;
	else if (!p->vp_count)
		ret = -EINVAL;
	else
		p->setup_done = true;
	mutex_unlock(&p->lock);
	return ret;
}

static int whv_vp_ioctl_index(void __user *arg, u32 *index)
{
	struct whv_vp_index vi;

	if (copy_from_user(&vi, arg, sizeof(vi)))
		return -EFAULT;
	if (vi.reserved)
		return -EINVAL;
	*index = vi.index;
	return 0;
}

/* Register calls of up to this many names need no allocation. */
#define WHV_REGS_ON_STACK	32

static int whv_registers_ioctl(struct whv_partition *p, void __user *arg,
			       bool set)
{
	u32 stack_names[WHV_REGS_ON_STACK];
	struct whv_reg_value stack_vals[WHV_REGS_ON_STACK];
	struct whv_reg_value *vals = stack_vals;
	u32 *names = stack_names;
	struct whv_vp_registers r;
	struct whv_vp *vp;
	int ret = -ENOMEM;

	if (copy_from_user(&r, arg, sizeof(r)))
		return -EFAULT;
	if (!r.count || r.count > WHV_MAX_REGS_PER_CALL)
		return -EINVAL;
	if (r.count > WHV_REGS_ON_STACK) {
		names = kmalloc_array(r.count, sizeof(*names), GFP_KERNEL);
		vals = kmalloc_array(r.count, sizeof(*vals), GFP_KERNEL);
		if (!names || !vals)
			goto out;
	}
	ret = -EFAULT;
	if (copy_from_user(names, u64_to_user_ptr(r.names),
			   r.count * sizeof(*names)) ||
	    (set && copy_from_user(vals, u64_to_user_ptr(r.values),
				   r.count * sizeof(*vals))))
		goto out;
	/* Registers of a running VP are not ours to touch: EBUSY. */
	vp = whv_vp_lock(p, r.vp_index, &ret);
	if (!vp)
		goto out;
	whv_vp_load(vp);
	if (set)
		ret = whv_set_registers(vp, names, vals, r.count);
	else
		ret = whv_get_registers(vp, names, vals, r.count);
	whv_vp_put(vp);
	whv_vp_unlock(vp);
	if (!ret && !set && copy_to_user(u64_to_user_ptr(r.values), vals,
					 r.count * sizeof(*vals)))
		ret = -EFAULT;
out:
	if (names != stack_names) {
		kfree(vals);
		kfree(names);
	}
	return ret;
}

/*
 * WHvResetPartition: all VPs are held (none may be running: EBUSY, nothing
 * reset) and reinitialized in place; mappings and properties stay.
 */
static void whv_reinit_vps(struct whv_partition *p, struct whv_vp **vps,
			   int n)
{
	int i;

	for (i = 0; i < n; i++)
		whv_vp_reinit(vps[i]);
}

static int whv_reset_partition(struct whv_partition *p)
{
	return whv_with_vps_stopped(p, whv_reinit_vps);
}

static int whv_translate_ioctl(struct whv_partition *p, void __user *arg)
{
	const u32 known = WHV_GVA_VALIDATE_ANY | WHV_GVA_PRIVILEGE_EXEMPT |
			  WHV_GVA_SET_PAGE_TABLE_BITS | WHV_GVA_ENFORCE_SMAP |
			  WHV_GVA_OVERRIDE_SMAP;
	struct whv_translate_gva t;
	struct whv_vp *vp;
	int ret;

	if (copy_from_user(&t, arg, sizeof(t)))
		return -EFAULT;
	if ((t.flags & ~known) || t.reserved ||
	    (t.flags & WHV_GVA_ENFORCE_SMAP && t.flags & WHV_GVA_OVERRIDE_SMAP))
		return -EINVAL;
	vp = whv_vp_lock(p, t.vp_index, &ret);
	if (!vp)
		return ret;
	whv_vp_load(vp);
	t.result = whv_translate_gva(vp, t.gva, t.flags, &t.gpa);
	whv_vp_put(vp);
	whv_vp_unlock(vp);
	return copy_to_user(arg, &t, sizeof(t)) ? -EFAULT : 0;
}

static int whv_request_interrupt_ioctl(struct whv_partition *p,
				       void __user *arg)
{
	struct whv_interrupt irq;

	if (copy_from_user(&irq, arg, sizeof(irq)))
		return -EFAULT;
	/* Type:8, DestinationMode:4, TriggerMode:4, the rest reserved. */
	if (irq.control >> 16 || ((irq.control >> 12) & 15) > 1)
		return -EINVAL;
	return whv_request_interrupt(p, irq.control & 0xff,
				     (irq.control >> 8) & 15,
				     (irq.control >> 12) & 1, irq.destination,
				     irq.vector);
}

static int whv_targets_ioctl(struct whv_partition *p, void __user *arg)
{
	struct whv_interrupt_targets t;

	if (copy_from_user(&t, arg, sizeof(t)))
		return -EFAULT;
	if (t.reserved || t.destination_mode > 1 || t.destination >> 32)
		return -EINVAL;
	if (!READ_ONCE(p->setup_done) || !p->apic_mode)
		return -EBADFD;
	t.vp_mask = whv_interrupt_targets(p, t.destination,
					  t.destination_mode);
	return copy_to_user(arg, &t, sizeof(t)) ? -EFAULT : 0;
}

/* The VP's APIC page (InterruptControllerState2), held like registers. */
static int whv_lapic_ioctl(struct whv_partition *p, void __user *arg,
			   bool set)
{
	struct whv_lapic_state st;
	struct whv_vp *vp;
	void *page;
	int ret;

	if (copy_from_user(&st, arg, sizeof(st)))
		return -EFAULT;
	if (!p->apic_mode)
		return -EBADFD;
	if (st.size < WHV_LAPIC_STATE_SIZE)
		return -ENOBUFS;
	if (set && st.size != WHV_LAPIC_STATE_SIZE)
		return -EINVAL;
	page = kmalloc(WHV_LAPIC_STATE_SIZE, GFP_KERNEL);
	if (!page)
		return -ENOMEM;
	ret = -EFAULT;
	if (set && copy_from_user(page, u64_to_user_ptr(st.data),
				  WHV_LAPIC_STATE_SIZE))
		goto out;
	vp = whv_vp_lock(p, st.vp_index, &ret);
	if (!vp)
		goto out;
	whv_vp_load(vp);
	ret = 0;
	if (set)
		ret = whv_lapic_set_state(vp, page);
	else
		whv_lapic_get_state(vp, page);
	whv_vp_put(vp);
	whv_vp_unlock(vp);
	if (!set && copy_to_user(u64_to_user_ptr(st.data), page,
				 WHV_LAPIC_STATE_SIZE))
		ret = -EFAULT;
out:
	kfree(page);
	return ret;
}

static int whv_run_ioctl(struct whv_partition *p, void __user *arg)
{
	struct whv_run_vp run;
	struct whv_vp *vp;
	int ret;

	if (copy_from_user(&run, arg, sizeof(run)))
		return -EFAULT;
	if (!run.exit)		/* NULL would mean the run page below */
		return -EFAULT;
	if (run.exit_size < sizeof(struct whv_exit))
		return -ENOBUFS;
	vp = whv_vp_lock(p, run.vp_index, &ret);
	if (!vp)
		return ret;
	ret = whv_vcpu_run(vp, u64_to_user_ptr(run.exit),
			   u64_to_user_ptr(run.regs));
	whv_vp_unlock(vp);
	return ret;
}

/* WHV_RUN_VP_MAPPED: @arg the VP index, everything in its run page. */
static int whv_run_mapped(struct whv_partition *p, unsigned long arg)
{
	struct whv_vp *vp;
	int ret;

	vp = whv_vp_lock(p, min_t(unsigned long, arg, WHV_MAX_VPS), &ret);
	if (!vp)
		return ret;
	ret = whv_vcpu_run(vp, NULL, NULL);
	whv_vp_unlock(vp);
	return ret;
}

/* WHvGet/SetVirtualProcessorXsaveState (xsave.c) */
static int whv_xsave_ioctl(struct whv_partition *p, void __user *arg,
			   bool set)
{
	struct whv_xsave x;
	struct whv_vp *vp;
	int ret;

	if (copy_from_user(&x, arg, sizeof(x)))
		return -EFAULT;
	vp = whv_vp_lock(p, x.vp_index, &ret);
	if (!vp)
		return ret;
	if (set)
		ret = whv_xsave_set(vp, u64_to_user_ptr(x.buffer), x.size);
	else
		ret = whv_xsave_get(vp, u64_to_user_ptr(x.buffer), &x.size);
	whv_vp_unlock(vp);
	/* The size written, or the size needed (ENOBUFS). */
	if (!set && (!ret || ret == -ENOBUFS) &&
	    copy_to_user(arg, &x, sizeof(x)))
		return -EFAULT;
	return ret;
}

/* Every partition ioctl but WHV_RUN_VP_MAPPED. */
static noinline long whv_partition_cmd(struct whv_partition *p,
				       unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;
	struct whv_gpa_range range;
	u32 index;
	int ret;

	switch (cmd) {
	case WHV_RUN_VP:
		return whv_run_ioctl(p, uarg);
	case WHV_SET_PROPERTY:
		return whv_set_property(p, uarg);
	case WHV_GET_PROPERTY:
		return whv_get_property(p, uarg);
	case WHV_SETUP_PARTITION:
		return arg ? -EINVAL : whv_setup(p);
	case WHV_MAP_GPA_RANGE:
	case WHV_UNMAP_GPA_RANGE:
		if (copy_from_user(&range, uarg, sizeof(range)))
			return -EFAULT;
		if (!READ_ONCE(p->setup_done))
			return -EBADFD;
		if (cmd == WHV_MAP_GPA_RANGE)
			return whv_map_gpa_range(p, &range);
		return whv_unmap_gpa_range(p, &range);
	case WHV_QUERY_DIRTY_BITMAP:
		return whv_dirty_query_ioctl(p, uarg);
	case WHV_CREATE_VP:
	case WHV_DELETE_VP:
	case WHV_CANCEL_RUN_VP:
		ret = whv_vp_ioctl_index(uarg, &index);
		if (ret)
			return ret;
		if (cmd == WHV_CREATE_VP)
			return whv_vp_create(p, index);
		if (cmd == WHV_DELETE_VP)
			return whv_vp_delete(p, index);
		return whv_vp_cancel(p, index);
	case WHV_GET_VP_REGISTERS:
		return whv_registers_ioctl(p, uarg, false);
	case WHV_SET_VP_REGISTERS:
		return whv_registers_ioctl(p, uarg, true);
	case WHV_TRANSLATE_GVA:
		return whv_translate_ioctl(p, uarg);
	case WHV_RESET_PARTITION:
		return arg ? -EINVAL : whv_reset_partition(p);
	case WHV_REQUEST_INTERRUPT:
		return whv_request_interrupt_ioctl(p, uarg);
	case WHV_GET_INTERRUPT_TARGETS:
		return whv_targets_ioctl(p, uarg);
	case WHV_GET_LAPIC:
	case WHV_SET_LAPIC:
		return whv_lapic_ioctl(p, uarg, cmd == WHV_SET_LAPIC);
	case WHV_SUSPEND_TIME:
		return arg ? -EINVAL : whv_time_suspend(p);
	case WHV_RESUME_TIME:
		if (arg)
			return -EINVAL;
		if (!READ_ONCE(p->setup_done))
			return -EBADFD;
		whv_time_resume(p);
		return 0;
	case WHV_GET_XSAVE:
		return whv_xsave_ioctl(p, uarg, false);
	case WHV_SET_XSAVE:
		return whv_xsave_ioctl(p, uarg, true);
	case WHV_READ_GPA:
	case WHV_WRITE_GPA:
		return whv_gpa_access_ioctl(p, uarg, cmd == WHV_WRITE_GPA);
	case WHV_ADVISE_GPA:
		return whv_advise_ioctl(p, uarg);
	case WHV_GET_PARTITION_COUNTERS:
		return whv_counters_ioctl(p, uarg);
	default:
		return -ENOTTY;
	}
}

static int whv_partition_mmap(struct file *f, struct vm_area_struct *vma)
{
	return whv_run_page_mmap(f->private_data, vma);
}

/* The hot one first, in a frame of its own size. */
static long whv_partition_ioctl(struct file *f, unsigned int cmd,
				unsigned long arg)
{
	struct whv_partition *p = f->private_data;

	if (current->mm != p->mm)
		return -EPERM;
	if (cmd == WHV_RUN_VP_MAPPED)
		return whv_run_mapped(p, arg);
	return whv_partition_cmd(p, cmd, arg);
}

static const struct file_operations whv_partition_fops = {
	.owner = THIS_MODULE,
	.release = whv_partition_release,
	.mmap = whv_partition_mmap,
	.unlocked_ioctl = whv_partition_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.llseek = noop_llseek,
};

int whv_partition_create(void)
{
	struct whv_partition *p;
	int ret;

	if (!current->mm)
		return -EINVAL;
	ret = whv_hw_get();
	if (ret)
		return ret == -EBUSY ? -ENODEV : ret;
	ret = -ENOMEM;
	p = kzalloc(sizeof(*p), GFP_KERNEL_ACCOUNT);
	if (!p)
		goto err_hw;
	mutex_init(&p->lock);
	spin_lock_init(&p->mmu_lock);
	spin_lock_init(&p->time_lock);
	p->gpa_ranges = RB_ROOT_CACHED;
	p->hva_ranges = RB_ROOT_CACHED;
	xa_init_flags(&p->pins, XA_FLAGS_ACCOUNT);
	whv_dirty_init(p);
	p->mm = current->mm;
	mmgrab(p->mm);
	ret = whv_mem_init(p);
	if (ret)
		goto err_free;
	__module_get(THIS_MODULE);
	ret = anon_inode_getfd("whv-partition", &whv_partition_fops, p,
			       O_RDWR | O_CLOEXEC);
	if (ret < 0) {
		whv_partition_free(p);
		return ret;
	}
	return ret;

err_free:
	mmdrop(p->mm);
	kfree(p);
err_hw:
	whv_hw_put();
	return ret;
}
