/* kzbench kernel-decoder shim: the helpers of linux/kernel.h the decompressors use. */
#pragma once
#include <linux/types.h>
#include <linux/compiler.h>
#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b) ((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#include <linux/limits.h>
