/*
 * kzbench's instruction counter: a QEMU TCG plugin (built against the
 * qemu-plugin.h of the QEMU that loads it) that counts the guest
 * instructions executed between two marker functions of the program it
 * runs. Every translated block adds its instruction count to one counter
 * (an inline add, no callback); the blocks that start at the markers also
 * read the counter. Prints "kzcount-mark INSNS N" at each end marker and
 * "kzcount BEGIN_TO_END_INSNS TOTAL_INSNS MARKS" at exit. Works in
 * qemu-user (a program's markers) and qemu-system (two addresses of a boot,
 * such as a bzImage's 32-bit entry and the decompressed kernel's).
 *
 * usage: qemu-ARCH -plugin kzcount.so,begin=0xADDR,end=0xADDR PROGRAM ARGS
 * A rep-prefixed x86 instruction counts once per iteration, as QEMU runs it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

static uint64_t executed;
static uint64_t begin_addr, end_addr;
static uint64_t at_begin, counted;
static unsigned marks;

static void on_begin(unsigned int vcpu, void *udata)
{
	at_begin = executed;
}

static void on_end(unsigned int vcpu, void *udata)
{
	char line[96];
	counted += executed - at_begin;
	marks++;
	/* said at once too: a booted kernel may never let QEMU exit on its own */
	snprintf(line, sizeof line, "kzcount-mark %" PRIu64 " %u\n", executed - at_begin, marks);
	qemu_plugin_outs(line);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t pc = qemu_plugin_tb_vaddr(tb);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &executed, qemu_plugin_tb_n_insns(tb));
	if (pc == begin_addr)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_begin, QEMU_PLUGIN_CB_NO_REGS, NULL);
	if (pc == end_addr)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	char line[128];
	snprintf(line, sizeof line, "kzcount %" PRIu64 " %" PRIu64 " %u\n", counted, executed, marks);
	qemu_plugin_outs(line);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strncmp(argv[i], "begin=", 6) == 0)
			begin_addr = strtoull(argv[i] + 6, NULL, 0);
		else if (strncmp(argv[i], "end=", 4) == 0)
			end_addr = strtoull(argv[i] + 4, NULL, 0);
		else {
			fprintf(stderr, "kzcount: unknown argument %s\n", argv[i]);
			return -1;
		}
	}
	if (!begin_addr || !end_addr) {
		fprintf(stderr, "kzcount: needs begin=ADDR,end=ADDR\n");
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
