/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Userspace runner for the shared test cases (kmod/tests/kt.h): each case is
 * one TAP line; failed expectations are printed as TAP diagnostics.
 *
 *   #include "kt_user.h"
 *   #include "tests/codec_cases.h"
 *   int main(void) { return kt_main("codec", codec_cases,
 *                                   ARRAY_SIZE(codec_cases)); }
 *
 * Several tables can be run by one binary with kt_run() + kt_finish().
 */
#ifndef KMQTT_KT_USER_H
#define KMQTT_KT_USER_H

#include "shim.h"

struct kt_user_ctx {
	const char *suite;
	const char *name;
	unsigned int failures;
};

typedef struct kt_user_ctx kt_ctx;

void kt_check(kt_ctx *t, int ok, const char *file, int line, const char *fmt,
	      ...) __attribute__((format(printf, 5, 6)));

#define KT_CHECK(t, cond, fmt, ...)					\
	kt_check(t, !!(cond), __FILE__, __LINE__, fmt, ##__VA_ARGS__)

#include "tests/kt.h"

/* Run @n cases as TAP lines; returns the number that failed. */
unsigned int kt_run(const char *suite, const struct kt_case *cases, size_t n);
/* Print the plan; returns the process exit status. */
int kt_finish(void);
int kt_main(const char *suite, const struct kt_case *cases, size_t n);

#endif /* KMQTT_KT_USER_H */
