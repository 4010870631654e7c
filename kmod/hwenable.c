// SPDX-License-Identifier: GPL-2.0
/*
 * Virtualization is switched on in every CPU only while partitions exist,
 * and switched off again exactly when the last one goes away. CPUs that
 * come online meanwhile, or come back from suspend, are switched on too.
 */
#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/smp.h>
#include <linux/mutex.h>
#include <linux/syscore_ops.h>
#include "whv.h"

DEFINE_PER_CPU(bool, whv_cpu_on);

static DEFINE_MUTEX(whv_hw_lock);
/* Changed only under cpus_read_lock(), so hotplug callbacks see it stable. */
static unsigned int whv_hw_users;
static atomic_t whv_hw_failed;
static enum cpuhp_state whv_cpuhp_state;

static void whv_hw_enable_one(void *unused)
{
	int ret = whv_backend->cpu_enable();

	if (ret)
		atomic_set(&whv_hw_failed, ret);
}

static void whv_hw_disable_one(void *unused)
{
	if (this_cpu_read(whv_cpu_on))
		whv_backend->cpu_disable();
}

/* Called once per partition; -EBUSY if another hypervisor holds a CPU. */
int whv_hw_get(void)
{
	int ret = 0;

	mutex_lock(&whv_hw_lock);
	cpus_read_lock();
	if (whv_hw_users++ == 0) {
		atomic_set(&whv_hw_failed, 0);
		on_each_cpu(whv_hw_enable_one, NULL, 1);
		ret = atomic_read(&whv_hw_failed);
		if (ret) {
			on_each_cpu(whv_hw_disable_one, NULL, 1);
			whv_hw_users = 0;
		}
	}
	cpus_read_unlock();
	mutex_unlock(&whv_hw_lock);
	if (ret == -EBUSY)
		pr_err_ratelimited("whv: virtualization is in use by another hypervisor\n");
	return ret;
}

void whv_hw_put(void)
{
	mutex_lock(&whv_hw_lock);
	cpus_read_lock();
	if (--whv_hw_users == 0)
		on_each_cpu(whv_hw_disable_one, NULL, 1);
	cpus_read_unlock();
	mutex_unlock(&whv_hw_lock);
}

/*
 * A CPU brought online after the first partition was created has not been
 * enabled yet; the run loop enables it lazily. Preemption is off here.
 */
int whv_hw_enable_this_cpu(void)
{
	return whv_backend->cpu_enable();
}

/* Hotplug callbacks run on the CPU in question, with hotplug held. */
static int whv_cpu_online(unsigned int cpu)
{
	int ret = 0;

	preempt_disable();
	if (whv_hw_users && !this_cpu_read(whv_cpu_on))
		ret = whv_backend->cpu_enable();
	preempt_enable();
	return ret;
}

static int whv_cpu_offline(unsigned int cpu)
{
	preempt_disable();
	whv_hw_disable_one(NULL);
	preempt_enable();
	return 0;
}

/* Suspend: the other CPUs are offline already; this is the last one. */
static int whv_suspend(void)
{
	whv_hw_disable_one(NULL);
	return 0;
}

static void whv_resume(void)
{
	if (whv_hw_users)
		whv_backend->cpu_enable();
}

static struct syscore_ops whv_syscore_ops = {
	.suspend = whv_suspend,
	.resume = whv_resume,
};

int whv_hw_init(void)
{
	int ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "whv:online",
					    whv_cpu_online, whv_cpu_offline);

	if (ret < 0)
		return ret;
	whv_cpuhp_state = ret;
	register_syscore_ops(&whv_syscore_ops);
	return 0;
}

void whv_hw_exit(void)
{
	unregister_syscore_ops(&whv_syscore_ops);
	cpuhp_remove_state_nocalls(whv_cpuhp_state);
}
