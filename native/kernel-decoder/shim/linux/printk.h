/* kzbench kernel-decoder shim: linux/printk.h, as much as the decompressors use. */
#pragma once
#define pr_debug(...) do { } while (0)
#define pr_err(...) do { } while (0)
#define pr_warn(...) do { } while (0)
