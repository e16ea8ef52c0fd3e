// SPDX-License-Identifier: GPL-2.0
/* The core's broker.c, compiled into kmqtt_test.ko too (nothing is exported). */
#include "../broker.c"
