/* kzbench kernel-decoder shim: linux/module.h, as much as the decompressors use. */
#pragma once
#define MODULE_LICENSE(x)
#define MODULE_DESCRIPTION(x)
#define MODULE_AUTHOR(x)
#define EINVAL 22
#define ENOMEM 12
