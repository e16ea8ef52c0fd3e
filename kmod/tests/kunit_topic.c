// SPDX-License-Identifier: GPL-2.0
/* KUnit suite kmqtt-topic: the cases of topic_cases.h, in the kernel. */
#include "kt_kunit.h"
#include "topic_cases.h"

KMQTT_KUNIT_SUITE(topic, topic_cases);
