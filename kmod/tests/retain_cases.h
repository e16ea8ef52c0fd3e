/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Retained store cases, shared by tests/unit/retain_test.c and the KUnit
 * module. Messages come from kmod/msg.c.
 */
#ifndef KMQTT_RETAIN_CASES_H
#define KMQTT_RETAIN_CASES_H

#include "kt.h"
#include "../topic.h"
#include "../retain.h"

static struct kmqtt_msg *kt_msg(const char *topic, const char *payload)
{
	return kmqtt_msg_new((const u8 *)topic, strlen(topic),
			     (const u8 *)payload, strlen(payload), 1, true,
			     GFP_KERNEL);
}

/* Retain @payload on @topic, dropping the caller's reference. */
static int kt_retain(struct kmqtt_retain_store *s, const char *topic,
		     const char *payload)
{
	struct kmqtt_msg *m = kt_msg(topic, payload);
	int err;

	if (!m)
		return -ENOMEM;
	err = kmqtt_retain_set(s, m);
	kmqtt_msg_put(m);
	return err;
}

#define KT_MAX_SEEN 16

struct kt_seen {
	unsigned int n;
	unsigned int stop_after;	/* 0: never */
	char topics[KT_MAX_SEEN][48];
	char payloads[KT_MAX_SEEN][16];
};

static int kt_seen_fn(struct kmqtt_msg *m, void *arg)
{
	struct kt_seen *s = arg;

	if (s->n < KT_MAX_SEEN) {
		scnprintf(s->topics[s->n], sizeof(s->topics[0]), "%.*s",
			  m->topic_len, kmqtt_msg_topic(m));
		scnprintf(s->payloads[s->n], sizeof(s->payloads[0]), "%.*s",
			  (int)m->payload_len, m->payload);
	}
	s->n++;
	return s->stop_after && s->n >= s->stop_after ? 42 : 0;
}

static bool kt_seen_has(const struct kt_seen *s, const char *topic)
{
	unsigned int i;

	for (i = 0; i < s->n && i < KT_MAX_SEEN; i++) {
		if (!strcmp(s->topics[i], topic))
			return true;
	}
	return false;
}

static void kt_retain_match(struct kmqtt_retain_store *s, const char *filter,
			    struct kt_seen *seen)
{
	memset(seen, 0, sizeof(*seen));
	kmqtt_retain_match(s, (const u8 *)filter, strlen(filter), kt_seen_fn,
			   seen);
}

static void retain_set_replace_delete_body(kt_ctx *t, struct kt_seen *seen)
{
	struct kmqtt_retain_store s;
	struct kmqtt_msg *m1, *m2;

	KT_EQ(t, kmqtt_retain_init(&s), 0);
	m1 = kt_msg("a/b", "one");
	m2 = kt_msg("a/b", "two!");
	KT_CHECK(t, m1 && m2, "alloc");
	if (!m1 || !m2)
		return;
	KT_EQ(t, kmqtt_retain_set(&s, m1), 0);
	KT_EQ(t, refcount_read(&m1->refs), 2);
	KT_EQ(t, s.count, 1);
	KT_EQ(t, s.bytes, kmqtt_msg_size(m1));
	KT_EQ(t, s.nodes, 2);
	kt_retain_match(&s, "a/b", seen);
	KT_CHECK(t, seen->n == 1 && !strcmp(seen->payloads[0], "one"),
		 "exact match: %u", seen->n);
	/* Replace: the old message is released, count unchanged. */
	KT_EQ(t, kmqtt_retain_set(&s, m2), 0);
	KT_EQ(t, refcount_read(&m1->refs), 1);
	KT_EQ(t, refcount_read(&m2->refs), 2);
	KT_EQ(t, s.count, 1);
	KT_EQ(t, s.bytes, kmqtt_msg_size(m2));
	kt_retain_match(&s, "a/b", seen);
	KT_CHECK(t, seen->n == 1 && !strcmp(seen->payloads[0], "two!"),
		 "replaced: %u", seen->n);
	/* Setting the same message again is a replace too. */
	KT_EQ(t, kmqtt_retain_set(&s, m2), 0);
	KT_EQ(t, refcount_read(&m2->refs), 2);
	KT_EQ(t, s.count, 1);
	/* Parent levels are no topics of their own. */
	kt_retain_match(&s, "a", seen);
	KT_EQ(t, seen->n, 0);
	/* Empty payload deletes; nodes are pruned. */
	KT_EQ(t, kt_retain(&s, "a/b", ""), 0);
	KT_EQ(t, refcount_read(&m2->refs), 1);
	KT_EQ(t, s.count, 0);
	KT_EQ(t, s.bytes, 0);
	KT_EQ(t, s.nodes, 0);
	KT_EQ(t, s.node_bytes, 0);
	KT_EQ(t, kt_retain(&s, "a/b", ""), 0);	/* nothing to delete: fine */
	KT_EQ(t, kmqtt_retain_delete(&s, KT_B("a/b")), -ENOENT);
	/* Explicit delete keeps the other topics and their parents. */
	KT_EQ(t, kt_retain(&s, "a", "p"), 0);
	KT_EQ(t, kt_retain(&s, "a/b/c", "q"), 0);
	KT_EQ(t, s.nodes, 3);
	KT_EQ(t, kmqtt_retain_delete(&s, KT_B("a/b")), -ENOENT);
	KT_EQ(t, kmqtt_retain_delete(&s, KT_B("a/b/c")), 0);
	KT_EQ(t, s.nodes, 1);
	KT_EQ(t, s.count, 1);
	KT_EQ(t, kmqtt_retain_delete(&s, KT_B("a")), 0);
	KT_EQ(t, s.nodes, 0);
	kmqtt_msg_put(m1);
	kmqtt_msg_put(m2);
	kmqtt_retain_destroy(&s);
}

static const char *const kt_retain_topics[] = {
	"a", "a/b", "a/b/c", "a/c", "b", "$SYS/x", "$SYS", "/", "/a", "a/",
	"a//c", "x/y/z",
};

static const char *const kt_retain_filters[] = {
	"#", "a/#", "a/+", "+/b", "+", "$SYS/#", "$SYS/+", "+/+", "/#",
	"a/b/c", "a//+", "+/+/+", "a/b/#", "+/#", "nothing/#", "x/+/z",
	"$SYS", "a/+/c", "/+", "a/b/c/#",
};

/* Every filter against every retained topic, with the spec's matcher. */
static void retain_match_oracle_body(kt_ctx *t, struct kt_seen *seen)
{
	struct kmqtt_retain_store s;
	size_t i, j;

	KT_EQ(t, kmqtt_retain_init(&s), 0);
	for (i = 0; i < ARRAY_SIZE(kt_retain_topics); i++)
		KT_EQ(t, kt_retain(&s, kt_retain_topics[i], "x"), 0);
	KT_EQ(t, s.count, ARRAY_SIZE(kt_retain_topics));
	for (j = 0; j < ARRAY_SIZE(kt_retain_filters); j++) {
		const char *f = kt_retain_filters[j];
		unsigned int want = 0;

		kt_retain_match(&s, f, seen);
		for (i = 0; i < ARRAY_SIZE(kt_retain_topics); i++) {
			const char *tp = kt_retain_topics[i];
			bool m = mqtt_topic_matches((const u8 *)f, strlen(f),
						    (const u8 *)tp, strlen(tp));

			want += m;
			KT_CHECK(t, kt_seen_has(seen, tp) == m,
				 "'%s' vs '%s': want %d", f, tp, m);
		}
		KT_CHECK(t, seen->n == want, "'%s': %u messages, want %u", f,
			 seen->n, want);
	}
	/* A callback's non-zero answer stops the walk and is returned. */
	memset(seen, 0, sizeof(*seen));
	seen->stop_after = 2;
	KT_EQ(t, kmqtt_retain_match(&s, KT_B("#"), kt_seen_fn, seen), 42);
	KT_EQ(t, seen->n, 2);
	kmqtt_retain_destroy(&s);	/* with content: frees it all */
}

static void retain_delete_matching_body(kt_ctx *t, struct kt_seen *seen)
{
	struct kmqtt_retain_store s;
	size_t i, j;

	for (j = 0; j < ARRAY_SIZE(kt_retain_filters); j++) {
		const char *f = kt_retain_filters[j];
		unsigned int want = 0;
		u32 n;

		KT_EQ(t, kmqtt_retain_init(&s), 0);
		for (i = 0; i < ARRAY_SIZE(kt_retain_topics); i++) {
			kt_retain(&s, kt_retain_topics[i], "x");
			want += mqtt_topic_matches((const u8 *)f, strlen(f),
				(const u8 *)kt_retain_topics[i],
				strlen(kt_retain_topics[i]));
		}
		n = kmqtt_retain_delete_matching(&s, (const u8 *)f, strlen(f));
		KT_CHECK(t, n == want, "delete '%s': %u, want %u", f, n, want);
		KT_EQ(t, s.count, ARRAY_SIZE(kt_retain_topics) - want);
		/* What is left is exactly what did not match. */
		kt_retain_match(&s, "#", seen);
		for (i = 0; i < ARRAY_SIZE(kt_retain_topics); i++) {
			const char *tp = kt_retain_topics[i];
			bool m = mqtt_topic_matches((const u8 *)f, strlen(f),
						    (const u8 *)tp, strlen(tp));

			if (tp[0] == '$')
				continue;	/* '#' does not show them */
			KT_CHECK(t, kt_seen_has(seen, tp) == !m,
				 "after deleting '%s': '%s' %s", f, tp,
				 m ? "still there" : "gone");
		}
		/* Empty nodes were pruned: deleting the rest leaves none. */
		kmqtt_retain_delete_matching(&s, KT_B("#"));
		kmqtt_retain_delete_matching(&s, KT_B("$SYS/#"));
		KT_EQ(t, s.count, 0);
		KT_EQ(t, s.nodes, 0);
		KT_EQ(t, s.node_bytes, 0);
		KT_EQ(t, s.bytes, 0);
		kmqtt_retain_destroy(&s);
	}
}

static void retain_limits(kt_ctx *t)
{
	struct kmqtt_retain_store s;
	struct kmqtt_msg *big;
	u64 bytes, node_bytes;
	u32 nodes;

	KT_EQ(t, kmqtt_retain_init(&s), 0);
	/* count */
	s.max_count = 2;
	KT_EQ(t, kt_retain(&s, "a", "1"), 0);
	KT_EQ(t, kt_retain(&s, "b/c", "2"), 0);
	bytes = s.bytes;
	node_bytes = s.node_bytes;
	nodes = s.nodes;
	KT_EQ(t, kt_retain(&s, "d/e/f", "3"), -ENOSPC);
	KT_EQ(t, s.count, 2);
	KT_EQ(t, s.bytes, bytes);
	KT_EQ(t, s.node_bytes, node_bytes);
	KT_EQ(t, s.nodes, nodes);
	KT_EQ(t, kt_retain(&s, "b/c", "replaced"), 0);	/* replace: fine */
	KT_EQ(t, kt_retain(&s, "a", ""), 0);		/* delete: fine */
	KT_EQ(t, kt_retain(&s, "d/e/f", "3"), 0);	/* room again */
	KT_EQ(t, s.count, 2);
	s.max_count = 0;
	/* bytes per message */
	s.max_msg_bytes = 4;
	KT_EQ(t, kt_retain(&s, "m", "1234"), 0);
	KT_EQ(t, kt_retain(&s, "m", "12345"), -EMSGSIZE);
	KT_EQ(t, kt_retain(&s, "m2", "12345"), -EMSGSIZE);
	KT_EQ(t, s.count, 3);
	s.max_msg_bytes = 0;
	/* total bytes, index nodes included */
	s.max_bytes = s.bytes + s.node_bytes;
	bytes = s.bytes;
	node_bytes = s.node_bytes;
	KT_EQ(t, kt_retain(&s, "m", "123"), 0);		/* smaller: fits */
	KT_EQ(t, kt_retain(&s, "m", "1234"), 0);	/* back to the limit */
	KT_EQ(t, kt_retain(&s, "m", "12345"), -ENOSPC);	/* one byte more */
	KT_EQ(t, kt_retain(&s, "n", "1"), -ENOSPC);	/* new node too */
	KT_EQ(t, s.bytes, bytes);
	KT_EQ(t, s.node_bytes, node_bytes);
	big = kt_msg("x", "123456789");
	KT_CHECK(t, big, "alloc");
	if (big) {
		s.max_bytes = s.bytes + s.node_bytes + kmqtt_msg_size(big);
		/* the message fits, its index node does not */
		KT_EQ(t, kmqtt_retain_set(&s, big), -ENOSPC);
		KT_EQ(t, refcount_read(&big->refs), 1);
		s.max_bytes += 1000;
		KT_EQ(t, kmqtt_retain_set(&s, big), 0);
		KT_EQ(t, refcount_read(&big->refs), 2);
		kmqtt_msg_put(big);
	}
	kmqtt_retain_destroy(&s);
}

/* 10000 siblings under one level: found by hash, pruned exactly. */
static void retain_wide_body(kt_ctx *t, struct kt_seen *seen)
{
	const unsigned int n = 10000;
	struct kmqtt_retain_store s;
	char buf[32];
	unsigned int i, bad = 0;

	KT_EQ(t, kmqtt_retain_init(&s), 0);
	for (i = 0; i < n; i++) {
		scnprintf(buf, sizeof(buf), "w/%u", i);
		if (kt_retain(&s, buf, "v"))
			bad++;
	}
	KT_EQ(t, bad, 0);
	KT_EQ(t, s.count, n);
	KT_EQ(t, s.nodes, n + 1);
	for (i = 0; i < n; i += 89) {
		scnprintf(buf, sizeof(buf), "w/%u", i);
		kt_retain_match(&s, buf, seen);
		if (seen->n != 1 || strcmp(seen->topics[0], buf))
			bad++;
	}
	KT_EQ(t, bad, 0);
	memset(seen, 0, sizeof(*seen));
	KT_EQ(t, kmqtt_retain_match(&s, KT_B("w/+"), kt_seen_fn, seen), 0);
	KT_EQ(t, seen->n, n);
	for (i = 0; i < n; i += 2) {
		scnprintf(buf, sizeof(buf), "w/%u", i);
		if (kmqtt_retain_delete(&s, (const u8 *)buf, strlen(buf)))
			bad++;
	}
	KT_EQ(t, bad, 0);
	KT_EQ(t, s.nodes, n / 2 + 1);
	for (i = 0; i < n; i += 89) {
		scnprintf(buf, sizeof(buf), "w/%u", i);
		kt_retain_match(&s, buf, seen);
		if (seen->n != (i & 1))
			bad++;
	}
	KT_EQ(t, bad, 0);
	KT_EQ(t, kmqtt_retain_delete_matching(&s, KT_B("w/#")), n / 2);
	KT_EQ(t, s.nodes, 0);
	KT_EQ(t, s.count, 0);
	kmqtt_retain_destroy(&s);
}

/* 1000 levels: iterative walks, no stack growth. */
static void retain_deep_body(kt_ctx *t, struct kt_seen *seen)
{
	const unsigned int levels = 1000;
	struct kmqtt_retain_store s;
	struct kmqtt_msg *m;
	u8 *topic, *filter;
	unsigned int i;

	topic = kmalloc(2 * levels, GFP_KERNEL);
	filter = kmalloc(2 * levels + 1, GFP_KERNEL);
	KT_CHECK(t, topic && filter, "alloc");
	if (!topic || !filter)
		goto out;
	for (i = 0; i < 2 * levels; i++) {
		topic[i] = i & 1 ? '/' : 'd';
		filter[i] = i & 1 ? '/' : '+';
	}
	KT_EQ(t, kmqtt_retain_init(&s), 0);
	m = kmqtt_msg_new(topic, 2 * levels - 1, KT_B("deep"), 0, true,
			  GFP_KERNEL);
	KT_CHECK(t, m, "alloc msg");
	if (m) {
		KT_EQ(t, kmqtt_retain_set(&s, m), 0);
		kmqtt_msg_put(m);
	}
	KT_EQ(t, kt_retain(&s, "d", "shallow"), 0);
	KT_EQ(t, s.nodes, levels);
	kt_retain_match(&s, "#", seen);
	KT_EQ(t, seen->n, 2);
	memset(seen, 0, sizeof(*seen));
	kmqtt_retain_match(&s, filter, 2 * levels - 1, kt_seen_fn, seen);
	KT_EQ(t, seen->n, 1);
	memset(seen, 0, sizeof(*seen));
	kmqtt_retain_match(&s, topic, 2 * levels - 1, kt_seen_fn, seen);
	KT_EQ(t, seen->n, 1);
	filter[2 * levels] = '#';	/* "+/+/.../+/#": 1001 levels */
	memset(seen, 0, sizeof(*seen));
	kmqtt_retain_match(&s, filter, 2 * levels + 1, kt_seen_fn, seen);
	KT_EQ(t, seen->n, 1);
	filter[2] = '#';		/* "+/#" */
	memset(seen, 0, sizeof(*seen));
	kmqtt_retain_match(&s, filter, 3, kt_seen_fn, seen);
	KT_EQ(t, seen->n, 2);
	KT_EQ(t, kmqtt_retain_delete(&s, topic, 2 * levels - 1), 0);
	KT_EQ(t, s.nodes, 1);
	/* Deleting a deep tree through '#' prunes on the way back up. */
	m = kmqtt_msg_new(topic, 2 * levels - 1, KT_B("deep"), 0, true,
			  GFP_KERNEL);
	if (m) {
		KT_EQ(t, kmqtt_retain_set(&s, m), 0);
		kmqtt_msg_put(m);
	}
	KT_EQ(t, kmqtt_retain_delete_matching(&s, KT_B("#")), 2);
	KT_EQ(t, s.nodes, 0);
	/* And destroy copes with a deep tree still in place. */
	m = kmqtt_msg_new(topic, 2 * levels - 1, KT_B("deep"), 0, true,
			  GFP_KERNEL);
	if (m) {
		KT_EQ(t, kmqtt_retain_set(&s, m), 0);
		kmqtt_msg_put(m);
	}
	kmqtt_retain_destroy(&s);
out:
	kfree(topic);
	kfree(filter);
}

/* The cases above, with their struct kt_seen off the (kernel) stack. */
#define KT_WITH_SEEN(fn)						\
	static void fn(kt_ctx *t)					\
	{								\
		struct kt_seen *seen = kzalloc(sizeof(*seen), GFP_KERNEL); \
									\
		KT_CHECK(t, seen, "alloc");				\
		if (seen)						\
			fn##_body(t, seen);				\
		kfree(seen);						\
	}

KT_WITH_SEEN(retain_set_replace_delete)
KT_WITH_SEEN(retain_match_oracle)
KT_WITH_SEEN(retain_delete_matching)
KT_WITH_SEEN(retain_wide)
KT_WITH_SEEN(retain_deep)

static const struct kt_case retain_cases[] = {
	KT_CASE(retain_set_replace_delete),
	KT_CASE(retain_match_oracle),
	KT_CASE(retain_delete_matching),
	KT_CASE(retain_limits),
	KT_CASE(retain_wide),
	KT_CASE(retain_deep),
};

#undef KT_WITH_SEEN

#endif /* KMQTT_RETAIN_CASES_H */
