/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit runner for the shared test cases (see kt.h): include this, then a
 * <suite>_cases.h, then KMQTT_KUNIT_SUITE(<suite>, <suite>_cases). Each
 * entry of the table becomes one parameter of one KUnit case, so the
 * kernel runs exactly the userspace list, by the same names.
 */
#ifndef KMQTT_KT_KUNIT_H
#define KMQTT_KT_KUNIT_H

#include <kunit/test.h>

#define kt_ctx struct kunit

#define KT_CHECK(t, cond, fmt, ...) \
	KUNIT_EXPECT_TRUE_MSG(t, cond, fmt, ##__VA_ARGS__)

#include "kt.h"

#define KMQTT_KUNIT_SUITE(suite, table)					\
	static void suite##_desc(const struct kt_case *c, char *desc)	\
	{								\
		strscpy(desc, c->name, KUNIT_PARAM_DESC_SIZE);		\
	}								\
	KUNIT_ARRAY_PARAM(suite, table, suite##_desc);			\
	static void suite##_run(struct kunit *test)			\
	{								\
		const struct kt_case *c = test->param_value;		\
									\
		c->fn(test);						\
	}								\
	static struct kunit_case suite##_kunit_cases[] = {		\
		KUNIT_CASE_PARAM(suite##_run, suite##_gen_params),	\
		{}							\
	};								\
	static struct kunit_suite suite##_kunit_suite = {		\
		.name = "kmqtt-" #suite,				\
		.test_cases = suite##_kunit_cases,			\
	};								\
	kunit_test_suite(suite##_kunit_suite)

#endif /* KMQTT_KT_KUNIT_H */
