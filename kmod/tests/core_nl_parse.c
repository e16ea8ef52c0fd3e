// SPDX-License-Identifier: GPL-2.0
/* The core's nl_parse.c, compiled into kmqtt_test.ko too (nothing is exported). */
#include "../nl_parse.c"
