/*
 * One of the kernel's boot decompressors, compiled the way the boot
 * decompressor (arch/x86/boot/compressed/misc.c) compiles it: pre-boot mode
 * (STATIC), the trivial heap of include/linux/decompress/mm.h, the boot
 * environment's memcpy/memset/memmove, and the image's own .config
 * (autoconf.h). KZ_SOURCE names the lib/decompress_*.c file of the kernel
 * source being measured; nothing of it is part of kzbench.
 */
#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/string.h>

#define STATIC static
static unsigned long free_mem_ptr;
static unsigned long free_mem_end_ptr;
#include <linux/decompress/mm.h>
#define memzero(s, n) memset((s), 0, (n))
#define memmove memmove
static void error(char *m);

#include KZ_SOURCE

extern void kz_error(const char *m) __attribute__((noreturn));
static void error(char *m) { kz_error(m); }

/* Decompress IN into OUT with the heap [HEAP, HEAP + HEAP_SIZE): the boot's single call. */
int kz_decompress(unsigned char *in, long in_len, unsigned char *out, long out_len, void *heap, unsigned long heap_size)
{
	free_mem_ptr = (unsigned long)heap;
	free_mem_end_ptr = free_mem_ptr + heap_size;
	malloc_ptr = 0;
	malloc_count = 0;
	return __decompress(in, in_len, NULL, NULL, out, out_len, NULL, error);
}
