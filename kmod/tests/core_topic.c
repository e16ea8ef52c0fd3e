// SPDX-License-Identifier: GPL-2.0
/* The core's topic.c, compiled into kmqtt_test.ko too (nothing is exported). */
#include "../topic.c"
