/* kzbench kernel-decoder shim: linux/math64.h, as much as the decompressors use. */
#pragma once
#include <linux/types.h>
static inline u64 div_u64(u64 a, u32 b) { return a / b; }
