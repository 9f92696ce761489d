/* kzbench kernel-decoder shim: linux/unaligned.h (6.12 and later name it so; 6.1 has asm/unaligned.h). */
#pragma once
#include <asm/unaligned.h>
