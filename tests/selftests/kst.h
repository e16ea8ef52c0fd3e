/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Glue between the kernel's kselftest_harness.h (6.1, copied unchanged) and
 * the kmqtt selftests: a longer per-test timeout (the guest runs under TCG),
 * a test filter (6.1's harness has none) and small shared helpers.
 */
#ifndef KMQTT_SELFTEST_KST_H
#define KMQTT_SELFTEST_KST_H

#include <fnmatch.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include "mqtt_raw.h"

/* Used when TEST()/TEST_F() expand, so redefining it here takes effect. */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT 180

/*
 * KMQTT_TEST=GLOB (shell glob on "fixture.test" or on the bare test name)
 * keeps only the matching tests, so one test can be run on its own.
 */
static inline bool kst_selected(const char *pat, const char *fix,
				const char *name)
{
	char full[256];

	snprintf(full, sizeof(full), "%s.%s", fix, name);
	return !fnmatch(pat, name, 0) || !fnmatch(pat, full, 0);
}

static inline void kst_filter(void)
{
	const char *pat = getenv("KMQTT_TEST");
	struct __fixture_metadata *f;

	if (!pat || !*pat)
		return;
	for (f = __fixture_list; f; f = f->next) {
		struct __test_metadata *t = f->tests, *next, *head = NULL,
				       *tail = NULL;

		for (; t; t = next) {
			next = t->next;
			if (!kst_selected(pat, f->name, t->name))
				continue;
			t->next = NULL;
			if (!head) {
				head = t;
			} else {
				tail->next = t;
				t->prev = tail;
			}
			tail = t;
		}
		if (head)
			head->prev = tail;
		f->tests = head;
	}
}

#define KST_MAIN							\
	int main(int argc, char **argv)					\
	{								\
		kst_filter();						\
		return test_harness_run(argc, argv);			\
	}

/* Client ids: at most 23 bytes (MQTT 3.1 limit), unique per test process. */
#define KST_ID(buf, tag) snprintf(buf, sizeof(buf), "%s%s", tag, mq_uniq())
/* Topics: under kst/<unique>/ so runs and tests never see each other. */
#define KST_TOPIC(buf, leaf)						\
	snprintf(buf, sizeof(buf), "kst/%s/%s", mq_uniq(), leaf)

#endif
