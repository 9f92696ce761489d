/* kzbench kernel-decoder shim: linux/limits.h, as much as the decompressors use. */
#pragma once
#define INT_MAX ((int)(~0U >> 1))
#define UINT_MAX (~0U)
#define U32_MAX ((u32)~0U)
