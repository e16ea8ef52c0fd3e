// SPDX-License-Identifier: GPL-2.0
/*
 * Protocol engine unit tests: the shared cases of kmod/tests/engine_cases.h,
 * delivery_cases.h and conformance_cases.h.
 */
#include "kt_user.h"
#include "tests/engine_cases.h"
#include "tests/delivery_cases.h"
#include "tests/conformance_cases.h"

int main(void)
{
	kt_run("engine", engine_cases, ARRAY_SIZE(engine_cases));
	kt_run("delivery", delivery_cases, ARRAY_SIZE(delivery_cases));
	kt_run("conformance", conformance_cases,
	       ARRAY_SIZE(conformance_cases));
	return kt_finish();
}
