// SPDX-License-Identifier: GPL-2.0
/* Session and message internals: kmod/tests/session_cases.h. */
#include "kt_user.h"
#include "tests/session_cases.h"

int main(void)
{
	return kt_main("session", session_cases, ARRAY_SIZE(session_cases));
}
