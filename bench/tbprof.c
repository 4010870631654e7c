// SPDX-License-Identifier: GPL-2.0
/*
 * A QEMU TCG plugin (plugin API version 1, QEMU 7.2) for make bench-profile:
 * counts the instructions executed per translation block start address and
 * writes "address count" lines at exit (plugin argument out=FILE). Under
 * -icount shift=0 that is exactly where the test VM's time goes.
 *
 * Only the few API calls used are declared here, so building needs no QEMU
 * headers; QEMU resolves them when it loads the plugin.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id,
		void (*cb)(qemu_plugin_id_t, struct qemu_plugin_tb *));
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb,
					      int op, void *ptr, uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id,
				    void (*cb)(qemu_plugin_id_t, void *),
				    void *userdata);

#define EXPORT __attribute__((visibility("default")))
#define INLINE_ADD_U64	0	/* QEMU_PLUGIN_INLINE_ADD_U64 */
#define SLOTS		(1u << 22)

EXPORT int qemu_plugin_version = 1;

struct slot {
	uint64_t va, count;
};

static struct slot *slots;
static const char *out_path = "tbprof.txt";

/* The counter of address @va (one per address, however often translated). */
static struct slot *slot_of(uint64_t va)
{
	uint32_t h = (uint32_t)((va * 0x9e3779b97f4a7c15ull) >> 42);

	for (;; h = (h + 1) & (SLOTS - 1)) {
		if (slots[h].va == va || !slots[h].va) {
			slots[h].va = va;
			return &slots[h];
		}
	}
}

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct slot *s = slot_of(qemu_plugin_tb_vaddr(tb));

	qemu_plugin_register_vcpu_tb_exec_inline(tb, INLINE_ADD_U64, &s->count,
						 qemu_plugin_tb_n_insns(tb));
}

static void finished(qemu_plugin_id_t id, void *unused)
{
	FILE *f = fopen(out_path, "w");
	uint32_t i;

	if (!f)
		return;
	for (i = 0; i < SLOTS; i++)
		if (slots[i].count)
			fprintf(f, "%llx %llu\n", (unsigned long long)slots[i].va,
				(unsigned long long)slots[i].count);
	fclose(f);
}

EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const void *info,
			       int argc, char **argv)
{
	if (argc > 0 && !strncmp(argv[0], "out=", 4))
		out_path = argv[0] + 4;
	slots = calloc(SLOTS, sizeof(*slots));
	if (!slots)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
	qemu_plugin_register_atexit_cb(id, finished, NULL);
	return 0;
}
