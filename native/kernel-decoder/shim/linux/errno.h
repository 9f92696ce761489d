/* kzbench kernel-decoder shim: linux/errno.h */
#pragma once
#include <linux/module.h>
