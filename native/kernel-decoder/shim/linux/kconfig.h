/* kzbench kernel-decoder shim: what include/linux/kconfig.h gives kernel code, written for this harness. */
#pragma once
#include "autoconf.h"
/*
 * IS_ENABLED(CONFIG_X) is 1 when autoconf.h (made from the image's .config)
 * defines CONFIG_X or CONFIG_X_MODULE as 1, else 0. A defined option
 * expands to 1, KZ_PROBE_1 to two arguments, so the second argument picked
 * is 1; an undefined one leaves a single argument and picks the 0.
 */
#define KZ_SECOND(ignored, value, ...) value
#define KZ_PROBE_1 ~, 1
#define KZ_PROBE(probe) KZ_SECOND(probe, 0, ~)
#define KZ_IS_ONE(value) KZ_PROBE(KZ_PROBE_##value)
#define KZ_IS_SET(option) KZ_IS_ONE(option)
#define IS_BUILTIN(option) KZ_IS_SET(option)
#define IS_MODULE(option) KZ_IS_SET(option##_MODULE)
#define IS_ENABLED(option) (IS_BUILTIN(option) || IS_MODULE(option))
#define IS_REACHABLE(option) IS_ENABLED(option)
