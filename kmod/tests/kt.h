/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tiny contract between the shared test cases (kmod/tests/<suite>_cases.h) and
 * their two runners: the userspace unit tests (tests/unit, TAP, ASan+UBSan)
 * and the KUnit module (kmod/tests/kmqtt_kunit.c). Same cases, same vectors
 * in both, so the two cannot drift.
 *
 * Before including a <suite>_cases.h file, the runner defines:
 *   kt_ctx                       the type its cases receive
 *   KT_CHECK(t, cond, fmt, ...)  record a failed expectation (never returns
 *                                early: a case runs to its end)
 */
#ifndef KMQTT_KT_H
#define KMQTT_KT_H

#include "../shim.h"

struct kt_case {
	const char *name;
	void (*fn)(kt_ctx *t);
};

#define KT_CASE(fn) { #fn, fn }

/*
 * A byte-string literal and its length (without the terminating NUL), as
 * two arguments: f(KT_B("a/b")) is f((const u8 *)"a/b", 3).
 */
#define KT_ARGS(...) __VA_ARGS__
#define KT_B(s) KT_ARGS((const u8 *)(s), (sizeof(s) - 1))

/* Evaluates each argument once. */
#define KT_EQ(t, a, b)							\
	do {								\
		long long __a = (long long)(a), __b = (long long)(b);	\
									\
		KT_CHECK(t, __a == __b, "%s == %s: %lld != %lld", #a,	\
			 #b, __a, __b);					\
	} while (0)

#endif /* KMQTT_KT_H */
