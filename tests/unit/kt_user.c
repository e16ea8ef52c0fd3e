// SPDX-License-Identifier: GPL-2.0
/* The TAP runner of the userspace unit tests: see kt_user.h. */
#include <stdarg.h>
#include "kt_user.h"

static unsigned int kt_total, kt_failed;

void kt_check(kt_ctx *t, int ok, const char *file, int line, const char *fmt,
	      ...)
{
	va_list ap;

	if (ok)
		return;
	t->failures++;
	if (t->failures > 20) {
		if (t->failures == 21)
			printf("# %s: more failures not shown\n", t->name);
		return;
	}
	printf("# %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

unsigned int kt_run(const char *suite, const struct kt_case *cases, size_t n)
{
	unsigned int failed = 0;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < n; i++) {
		kt_ctx t = { .suite = suite, .name = cases[i].name };

		cases[i].fn(&t);
		kt_total++;
		if (t.failures) {
			kt_failed++;
			failed++;
		}
		printf("%s %u - %s: %s\n", t.failures ? "not ok" : "ok",
		       kt_total, suite, cases[i].name);
	}
	return failed;
}

int kt_finish(void)
{
	printf("1..%u\n", kt_total);
	return kt_failed ? 1 : 0;
}

int kt_main(const char *suite, const struct kt_case *cases, size_t n)
{
	kt_run(suite, cases, n);
	return kt_finish();
}
