/* kzbench kernel-decoder shim: linux/bitops.h, as much as the decompressors use. */
#pragma once
#include <linux/types.h>
static inline unsigned long __fls(unsigned long x) { return (sizeof(long) * 8 - 1) - __builtin_clzl(x); }
static inline unsigned long __ffs(unsigned long x) { return __builtin_ctzl(x); }
