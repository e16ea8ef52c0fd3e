// SPDX-License-Identifier: GPL-2.0
/* Protocol engine unit tests: the shared cases of kmod/tests/engine_cases.h. */
#include "kt_user.h"
#include "tests/engine_cases.h"

int main(void)
{
	return kt_main("engine", engine_cases, ARRAY_SIZE(engine_cases));
}
