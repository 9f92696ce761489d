/* kzbench kernel-decoder shim: linux/init.h */
#pragma once
#include <linux/module.h>
