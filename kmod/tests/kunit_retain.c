// SPDX-License-Identifier: GPL-2.0
/* KUnit suite kmqtt-retain: the cases of retain_cases.h, in the kernel. */
#include "kt_kunit.h"
#include "retain_cases.h"

KMQTT_KUNIT_SUITE(retain, retain_cases);
