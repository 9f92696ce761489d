/* kzbench kernel-decoder shim */
#pragma once
#include <linux/types.h>
