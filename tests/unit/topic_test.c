// SPDX-License-Identifier: GPL-2.0
/* Topic and subscription-tree unit tests: kmod/tests/topic_cases.h. */
#include "kt_user.h"
#include "tests/topic_cases.h"

int main(void)
{
	return kt_main("topic", topic_cases, ARRAY_SIZE(topic_cases));
}
