/* kzbench kernel-decoder shim: the boot environment's memory functions (boot-memory-*.c), nothing of libc. */
#pragma once
#include <stddef.h>
void *memcpy(void *dest, const void *src, size_t n);
void *memset(void *s, int c, size_t n);
void *memmove(void *dest, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
