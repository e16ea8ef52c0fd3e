// SPDX-License-Identifier: GPL-2.0
/* Retained store unit tests: kmod/tests/retain_cases.h. */
#include "kt_user.h"
#include "tests/retain_cases.h"

int main(void)
{
	return kt_main("retain", retain_cases, ARRAY_SIZE(retain_cases));
}
