/* kzbench kernel-decoder shim: linux/swab.h, as much as the decompressors use. */
#pragma once
#define swab16(x) __builtin_bswap16(x)
#define swab32(x) __builtin_bswap32(x)
#define swab64(x) __builtin_bswap64(x)
