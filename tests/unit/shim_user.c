// SPDX-License-Identifier: GPL-2.0
/* Definitions the userspace shim (kmod/shim.h) needs once per program. */
#include "shim.h"

/* The clock of the pure core: tests move it by hand. */
u64 kmqtt_test_now = 1000;
