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

/* A translated block as the branch counter sees it. */
struct block {
	uint64_t pc;
	uint64_t branch_pc;
	uint64_t fallthrough;
	int cond;
};

static const char *target;
static int in_window;
static const struct block *prev;
static uint64_t cond_branches, mispredicted;
#define GSHARE_BITS 16
static uint8_t counters[1 << GSHARE_BITS];
static uint32_t history;

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

/* Does ARM mnemonic M end in a condition code (bne, popne, ldmne, bxls ...)? */
static int arm_conditional_suffix(const char *m)
{
	static const char *cc[] = { "eq", "ne", "cs", "hs", "cc", "lo", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", NULL };
	size_t n = strlen(m);
	if (n < 3)
		return 0;
	for (int k = 0; cc[k]; k++)
		if (!strcmp(m + n - 2, cc[k]))
			return 1;
	return 0;
}

/*
 * Is the last instruction of a block a conditional branch? x86, arm and
 * aarch64 by the disassembly's mnemonic; riscv by its encoding (QEMU's
 * riscv disassembler prints the encoding before the mnemonic).
 */
static int conditional(struct qemu_plugin_insn *insn)
{
	char m[32];
	int i = 0;
	int result = 0;
	if (!strncmp(target, "riscv", 5)) {
		const uint8_t *bytes = qemu_plugin_insn_data(insn);
		size_t size = qemu_plugin_insn_size(insn);
		if (size == 4)
			return (bytes[0] & 0x7f) == 0x63; /* BRANCH: beq bne blt bge bltu bgeu */
		if (size == 2) {
			unsigned h = bytes[0] | (unsigned)bytes[1] << 8;
			return (h & 3) == 1 && ((h >> 13) == 6 || (h >> 13) == 7); /* c.beqz, c.bnez */
		}
		return 0;
	}
	char *disas = qemu_plugin_insn_disas(insn);
	const char *d = disas;
	while (*d == ' ')
		d++;
	while (d[i] && d[i] != ' ' && d[i] != '\t' && i < 31) {
		m[i] = d[i];
		i++;
	}
	m[i] = 0;
	if (!strcmp(target, "x86_64") || !strcmp(target, "i386"))
		result = m[0] == 'j' && strncmp(m, "jmp", 3) != 0;
	else if (!strcmp(target, "aarch64"))
		result = !strncmp(m, "b.", 2) || !strcmp(m, "cbz") || !strcmp(m, "cbnz") || !strcmp(m, "tbz") || !strcmp(m, "tbnz");
	else if (!strcmp(target, "arm")) {
		char *dot = strchr(m, '.');
		if (dot)
			*dot = 0;
		/* b<cc>, bl<cc>, bx<cc>, blx<cc>, cbz, cbnz; or a conditional write of pc (popne {.., pc}, ldmne, movne pc) */
		if (!strcmp(m, "cbz") || !strcmp(m, "cbnz"))
			result = 1;
		else if (arm_conditional_suffix(m) && (m[0] == 'b' || strstr(d + i, "pc")))
			result = strcmp(m, "bics") != 0 && strcmp(m, "bfcs") != 0;
	}
	free(disas); /* QEMU's g_strdup: glib allocates with malloc */
	return result;
}

static void on_block(unsigned int vcpu, void *udata)
{
	const struct block *b = udata;
	if (b->pc == begin_addr)
		in_window = 1, prev = NULL;
	if (in_window && prev && prev->cond) {
		int taken = b->pc != prev->fallthrough;
		uint32_t i = (uint32_t)((prev->branch_pc >> 1) ^ history) & ((1u << GSHARE_BITS) - 1);
		cond_branches++;
		if ((counters[i] >= 2) != taken)
			mispredicted++;
		if (taken && counters[i] < 3)
			counters[i]++;
		else if (!taken && counters[i] > 0)
			counters[i]--;
		history = (history << 1) | (uint32_t)taken;
	}
	if (b->pc == end_addr)
		in_window = 0;
	prev = b;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	uint64_t pc = qemu_plugin_tb_vaddr(tb);
	size_t n = qemu_plugin_tb_n_insns(tb);
	struct qemu_plugin_insn *last = qemu_plugin_tb_get_insn(tb, n - 1);
	struct block *b = calloc(1, sizeof *b);
	if (!b)
		abort();
	b->pc = pc;
	b->branch_pc = qemu_plugin_insn_vaddr(last);
	b->fallthrough = b->branch_pc + qemu_plugin_insn_size(last);
	b->cond = conditional(last);
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &executed, n);
	if (pc == begin_addr)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_begin, QEMU_PLUGIN_CB_NO_REGS, NULL);
	if (pc == end_addr)
		qemu_plugin_register_vcpu_tb_exec_cb(tb, on_end, QEMU_PLUGIN_CB_NO_REGS, NULL);
	/* blocks are translated again after a flush: each translation's record lives as long as QEMU */
	qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS, b);
}

static void at_exit(qemu_plugin_id_t id, void *p)
{
	char line[160];
	snprintf(line, sizeof line, "kzcount %" PRIu64 " %" PRIu64 " %u %" PRIu64 " %" PRIu64 "\n", counted, executed, marks, cond_branches, mispredicted);
	qemu_plugin_outs(line);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv)
{
	target = info->target_name;
	if (info->system_emulation && info->system.max_vcpus > 1) {
		fprintf(stderr, "kzcount: one vCPU only (-smp 1): the counters are not per vCPU\n");
		return -1;
	}
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
