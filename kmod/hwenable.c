// SPDX-License-Identifier: GPL-2.0
/*
 * Virtualization is switched on in every CPU only while partitions exist,
 * and switched off again exactly when the last one goes away.
 */
#include <linux/cpu.h>
#include <linux/smp.h>
#include <linux/mutex.h>
#include "whv.h"

static DEFINE_MUTEX(whv_hw_lock);
static unsigned int whv_hw_users;
static atomic_t whv_hw_failed;

static void whv_hw_enable_one(void *unused)
{
	int ret = whv_backend->cpu_enable();

	if (ret)
		atomic_set(&whv_hw_failed, ret);
}

static void whv_hw_disable_one(void *unused)
{
	if (whv_backend->cpu_enabled())
		whv_backend->cpu_disable();
}

/* Called once per partition; -EBUSY if another hypervisor holds a CPU. */
int whv_hw_get(void)
{
	int ret = 0;

	mutex_lock(&whv_hw_lock);
	if (whv_hw_users++ == 0) {
		atomic_set(&whv_hw_failed, 0);
		cpus_read_lock();
		on_each_cpu(whv_hw_enable_one, NULL, 1);
		ret = atomic_read(&whv_hw_failed);
		if (ret) {
			on_each_cpu(whv_hw_disable_one, NULL, 1);
			whv_hw_users = 0;
		}
		cpus_read_unlock();
	}
	mutex_unlock(&whv_hw_lock);
	if (ret == -EBUSY)
		pr_err_ratelimited("whv: virtualization is in use by another hypervisor\n");
	return ret;
}

void whv_hw_put(void)
{
	mutex_lock(&whv_hw_lock);
	if (--whv_hw_users == 0) {
		cpus_read_lock();
		on_each_cpu(whv_hw_disable_one, NULL, 1);
		cpus_read_unlock();
	}
	mutex_unlock(&whv_hw_lock);
}

/*
 * A CPU brought online after the first partition was created has not been
 * enabled yet; the run loop enables it lazily. Preemption is off here.
 */
bool whv_hw_ensure_this_cpu(void)
{
	return whv_backend->cpu_enabled() || whv_backend->cpu_enable() == 0;
}
