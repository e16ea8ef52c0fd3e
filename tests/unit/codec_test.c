// SPDX-License-Identifier: GPL-2.0
/* Codec unit tests: the shared cases of kmod/tests/codec_cases.h. */
#include "kt_user.h"
#include "tests/codec_cases.h"

int main(void)
{
	return kt_main("codec", codec_cases, ARRAY_SIZE(codec_cases));
}
