// SPDX-License-Identifier: GPL-2.0
/* KUnit suite kmqtt-codec: the cases of codec_cases.h, in the kernel. */
#include "kt_kunit.h"
#include "codec_cases.h"

KMQTT_KUNIT_SUITE(codec, codec_cases);
