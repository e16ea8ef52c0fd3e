// SPDX-License-Identifier: GPL-2.0
/* KUnit suite kmqtt-acl: the cases of acl_cases.h, in the kernel. */
#include "kt_kunit.h"
#include "acl_cases.h"

KMQTT_KUNIT_SUITE(acl, acl_cases);
