// SPDX-License-Identifier: GPL-2.0
/* ACL unit tests: kmod/tests/acl_cases.h. */
#include "kt_user.h"
#include "tests/acl_cases.h"

int main(void)
{
	return kt_main("acl", acl_cases, ARRAY_SIZE(acl_cases));
}
