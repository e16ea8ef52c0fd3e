/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Topic validation, matching and subscription-tree cases, shared by
 * tests/unit/topic_test.c and the KUnit module.
 */
#ifndef KMQTT_TOPIC_CASES_H
#define KMQTT_TOPIC_CASES_H

#include "kt.h"
#include "../topic.h"

struct kt_valid_vec {
	const char *s;
	bool filter;
	unsigned int max_levels;
	bool valid;
};

static const struct kt_valid_vec kt_valid_vecs[] = {
	/* names */
	{ "a", false, 0, true },
	{ "a/b", false, 0, true },
	{ "/", false, 0, true },
	{ "//", false, 0, true },
	{ "/a", false, 0, true },
	{ "a/", false, 0, true },
	{ "$SYS/broker/uptime", false, 0, true },
	{ "sport/tennis/player1", false, 0, true },
	{ " ", false, 0, true },
	{ "a b/c d", false, 0, true },
	{ "caf\xc3\xa9/\xef\xbf\xbf", false, 0, true },
	{ "", false, 0, false },
	{ "+", false, 0, false },
	{ "#", false, 0, false },
	{ "a/+", false, 0, false },
	{ "a/#", false, 0, false },
	{ "a+b", false, 0, false },
	{ "a#", false, 0, false },
	{ "\xc0\xaf", false, 0, false },
	{ "a/b/c", false, 3, true },
	{ "a/b/c", false, 2, false },
	{ "a//", false, 3, true },
	{ "a//", false, 2, false },
	/* filters (3.1.1 section 4.7.1) */
	{ "#", true, 0, true },
	{ "+", true, 0, true },
	{ "+/+", true, 0, true },
	{ "/+", true, 0, true },
	{ "+/", true, 0, true },
	{ "sport/#", true, 0, true },
	{ "sport/tennis/#", true, 0, true },
	{ "sport/+/player1", true, 0, true },
	{ "+/tennis/#", true, 0, true },
	{ "$SYS/#", true, 0, true },
	{ "a//b", true, 0, true },
	{ "/", true, 0, true },
	{ "a", true, 0, true },
	{ "", true, 0, false },
	{ "sport/tennis#", true, 0, false },
	{ "sport/tennis/#/ranking", true, 0, false },
	{ "sport+", true, 0, false },
	{ "a/b+/c", true, 0, false },
	{ "a/+b", true, 0, false },
	{ "##", true, 0, false },
	{ "+#", true, 0, false },
	{ "#+", true, 0, false },
	{ "++", true, 0, false },
	{ "#/", true, 0, false },
	{ "a/#/", true, 0, false },
	{ "a/#/b", true, 0, false },
	{ "a/+/#", true, 3, true },
	{ "a/+/#", true, 2, false },
};

static void topic_validation(kt_ctx *t)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kt_valid_vecs); i++) {
		const struct kt_valid_vec *v = &kt_valid_vecs[i];
		u16 len = strlen(v->s);
		bool got = v->filter ?
			mqtt_topic_filter_valid((const u8 *)v->s, len,
						v->max_levels) :
			mqtt_topic_name_valid((const u8 *)v->s, len,
					      v->max_levels);

		KT_CHECK(t, got == v->valid, "%s '%s' (max %u): got %d",
			 v->filter ? "filter" : "name", v->s, v->max_levels,
			 got);
	}
	/* NUL is not allowed anywhere. */
	KT_CHECK(t, !mqtt_topic_name_valid(KT_B("a\0b"), 0), "NUL in name");
	KT_CHECK(t, !mqtt_topic_filter_valid(KT_B("a/\0"), 0), "NUL in filter");
}

/* 1000 levels: fine without a limit, refused by the default limit. */
static void topic_validation_deep(kt_ctx *t)
{
	unsigned int n = 2000, i;
	u8 *s = kmalloc(n + 1, GFP_KERNEL);

	KT_CHECK(t, s, "alloc");
	if (!s)
		return;
	for (i = 0; i < n; i++)
		s[i] = i & 1 ? '/' : 'a';
	/* "a/a/.../a": 1000 levels, 1999 bytes */
	KT_CHECK(t, mqtt_topic_name_valid(s, n - 1, 0), "1000 levels, no limit");
	KT_CHECK(t, mqtt_topic_name_valid(s, n - 1, 1000), "1000 levels, 1000");
	KT_CHECK(t, !mqtt_topic_name_valid(s, n - 1, 999), "1000 levels, 999");
	KT_CHECK(t, !mqtt_topic_name_valid(s, n - 1, KMQTT_DEFAULT_MAX_LEVELS),
		 "1000 levels, default limit");
	KT_CHECK(t, mqtt_topic_name_valid(s, 2 * KMQTT_DEFAULT_MAX_LEVELS - 1,
					  KMQTT_DEFAULT_MAX_LEVELS),
		 "128 levels, default limit");
	s[n] = '#';
	KT_CHECK(t, mqtt_topic_filter_valid(s, n + 1, 0), "1001-level filter");
	KT_CHECK(t, mqtt_topic_filter_valid(s, n + 1, 1001), "1001, 1001");
	KT_CHECK(t, !mqtt_topic_filter_valid(s, n + 1, 1000), "1001, 1000");
	KT_CHECK(t, !mqtt_topic_filter_valid(s, n + 1, KMQTT_DEFAULT_MAX_LEVELS),
		 "1001-level filter, default limit");
	kfree(s);
}

struct kt_match_vec {
	const char *filter;
	const char *name;
	bool match;
};

static const struct kt_match_vec kt_match_vecs[] = {
	/* 3.1.1 section 4.7.1.2 */
	{ "sport/tennis/player1/#", "sport/tennis/player1", true },
	{ "sport/tennis/player1/#", "sport/tennis/player1/ranking", true },
	{ "sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon",
	  true },
	{ "sport/#", "sport", true },
	{ "sport/tennis/#", "sport/tennis", true },
	{ "#", "sport", true },
	{ "#", "a/b/c", true },
	{ "#", "/", true },
	/* 4.7.1.3 */
	{ "sport/tennis/+", "sport/tennis/player1", true },
	{ "sport/tennis/+", "sport/tennis/player2", true },
	{ "sport/tennis/+", "sport/tennis/player1/ranking", false },
	{ "sport/+", "sport", false },
	{ "sport/+", "sport/", true },
	{ "+/+", "/finance", true },
	{ "/+", "/finance", true },
	{ "+", "/finance", false },
	{ "+", "a", true },
	{ "+", "a/b", false },
	{ "+/+", "/", true },
	{ "a/+/c", "a//c", true },
	{ "a/+", "a/", true },
	/* 4.7.2: '$' topics */
	{ "#", "$SYS", false },
	{ "#", "$SYS/broker", false },
	{ "+/monitor/Clients", "$SYS/monitor/Clients", false },
	{ "+/#", "$x/y", false },
	{ "+", "$x", false },
	{ "$SYS/#", "$SYS/monitor/Clients", true },
	{ "$SYS/monitor/+", "$SYS/monitor/Clients", true },
	{ "$SYS", "$SYS", true },
	{ "$SYS/#", "$SYS", true },
	{ "a/$x", "a/$x", true },
	{ "a/+", "a/$x", true },
	{ "a/#", "a/$x", true },
	/* literals */
	{ "a/b", "a/b", true },
	{ "a/b", "a/c", false },
	{ "a/b", "a/b/c", false },
	{ "a/b/c", "a/b", false },
	{ "a", "ab", false },
	{ "ab", "a", false },
	{ "a/#", "ab", false },
	{ "/#", "/", true },
	{ "/#", "/a", true },
	{ "/#", "a", false },
	{ "ACCOUNTS", "Accounts", false },
	{ "a/b/", "a/b/", true },
	{ "a/b/", "a/b", false },
	{ "a/b/#", "a/b/", true },
	{ "+/+/+", "a/b/c", true },
	{ "+/+/+", "a/b", false },
	{ "+/+/+", "a/b/c/d", false },
	{ "+/b/#", "a/b", true },
};

static void topic_matching(kt_ctx *t)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kt_match_vecs); i++) {
		const struct kt_match_vec *v = &kt_match_vecs[i];
		bool got = mqtt_topic_matches((const u8 *)v->filter,
					      strlen(v->filter),
					      (const u8 *)v->name,
					      strlen(v->name));

		KT_CHECK(t, got == v->match, "'%s' vs '%s': got %d", v->filter,
			 v->name, got);
	}
}

/* ---- the tree ---- */

#define KT_MAX_SUBS 64

struct kt_hits {
	unsigned int n;
	unsigned int count[KT_MAX_SUBS];	/* by owner index */
	unsigned int qos_sum;
};

static void kt_hit(struct kmqtt_subscription *sub, void *arg)
{
	struct kt_hits *h = arg;
	unsigned long i = (unsigned long)sub->owner - 1;

	h->n++;
	h->qos_sum += sub->qos;
	if (i < KT_MAX_SUBS)
		h->count[i]++;
}

/* Readers hold rcu_read_lock(), as publishers do. */
static void kt_match_n(struct kmqtt_topic_tree *tree, const u8 *name, u16 len,
		       struct kt_hits *h)
{
	memset(h, 0, sizeof(*h));
	rcu_read_lock();
	kmqtt_topic_match(tree, name, len, kt_hit, h);
	rcu_read_unlock();
}

static void kt_match(struct kmqtt_topic_tree *tree, const char *name,
		     struct kt_hits *h)
{
	kt_match_n(tree, (const u8 *)name, strlen(name), h);
}

static const char *const kt_tree_filters[] = {
	"#", "+", "a", "a/#", "a/+", "a/b", "a/b/#", "a/+/c", "+/b/c",
	"+/+/+", "a/b/c", "/#", "/+", "+/", "$SYS/#", "$SYS/+", "+/+",
	"a//c", "a/+/#", "b/#", "sport/tennis/player1/#", "a/b/c/d",
};

static const char *const kt_tree_names[] = {
	"a", "a/b", "a/b/c", "a/b/c/d", "a/x/c", "x/b/c", "/", "/a", "a/",
	"$SYS/x", "$SYS", "$SYS/x/y", "b", "a//c", "sport/tennis/player1",
	"sport/tennis/player1/ranking", "zz/yy", "a/b/c/d/e",
};

/* Subscribe every filter (owner = index + 1), match every name: oracle. */
static void topic_tree_oracle(kt_ctx *t)
{
	struct kmqtt_subscription *subs[ARRAY_SIZE(kt_tree_filters)];
	struct kmqtt_topic_tree tree;
	size_t i, j;
	int err;

	KT_EQ(t, kmqtt_topic_tree_init(&tree), 0);
	for (i = 0; i < ARRAY_SIZE(kt_tree_filters); i++) {
		const char *f = kt_tree_filters[i];

		subs[i] = kmqtt_topic_subscribe(&tree, (const u8 *)f,
						strlen(f),
						(void *)(unsigned long)(i + 1),
						i % 3, &err);
		KT_CHECK(t, subs[i] && !err, "subscribe %s: %d", f, err);
	}
	KT_EQ(t, tree.subscriptions, ARRAY_SIZE(kt_tree_filters));
	for (j = 0; j < ARRAY_SIZE(kt_tree_names); j++) {
		const char *name = kt_tree_names[j];
		struct kt_hits h;

		kt_match(&tree, name, &h);
		for (i = 0; i < ARRAY_SIZE(kt_tree_filters); i++) {
			const char *f = kt_tree_filters[i];
			bool want = mqtt_topic_matches((const u8 *)f, strlen(f),
						       (const u8 *)name,
						       strlen(name));

			KT_CHECK(t, h.count[i] == want,
				 "'%s' vs '%s': reported %u times, want %d",
				 f, name, h.count[i], want);
		}
	}
	/* Unsubscribe in an interleaved order; re-check after each half. */
	for (i = 0; i < ARRAY_SIZE(kt_tree_filters); i += 2) {
		if (subs[i])
			kmqtt_topic_unsubscribe(&tree, subs[i]);
		subs[i] = NULL;
	}
	for (j = 0; j < ARRAY_SIZE(kt_tree_names); j++) {
		const char *name = kt_tree_names[j];
		struct kt_hits h;

		kt_match(&tree, name, &h);
		for (i = 0; i < ARRAY_SIZE(kt_tree_filters); i++) {
			const char *f = kt_tree_filters[i];
			bool want = subs[i] &&
				mqtt_topic_matches((const u8 *)f, strlen(f),
						   (const u8 *)name,
						   strlen(name));

			KT_CHECK(t, h.count[i] == want,
				 "after half: '%s' vs '%s': %u, want %d", f,
				 name, h.count[i], want);
		}
	}
	for (i = 0; i < ARRAY_SIZE(kt_tree_filters); i++) {
		if (subs[i])
			kmqtt_topic_unsubscribe(&tree, subs[i]);
	}
	KT_EQ(t, tree.subscriptions, 0);
	KT_EQ(t, tree.nodes, 0);
	kmqtt_topic_tree_destroy(&tree);
}

/* One owner, several overlapping filters: one report per filter. */
static void topic_tree_same_owner(kt_ctx *t)
{
	static const char *const f[] = { "a/#", "a/+", "a/b", "#" };
	struct kmqtt_subscription *s[ARRAY_SIZE(f)];
	struct kmqtt_topic_tree tree;
	struct kt_hits h;
	size_t i;
	int err;

	KT_EQ(t, kmqtt_topic_tree_init(&tree), 0);
	for (i = 0; i < ARRAY_SIZE(f); i++) {
		s[i] = kmqtt_topic_subscribe(&tree, (const u8 *)f[i],
					     strlen(f[i]), (void *)1UL, i % 3,
					     &err);
		KT_CHECK(t, s[i], "subscribe %s", f[i]);
	}
	kt_match(&tree, "a/b", &h);
	KT_EQ(t, h.n, 4);
	KT_EQ(t, h.count[0], 4);
	KT_EQ(t, h.qos_sum, 0 + 1 + 2 + 0);
	kt_match(&tree, "a", &h);
	KT_EQ(t, h.n, 2);	/* a/# and # */
	/* Same filter, two owners: one node, two subscriptions. */
	for (i = 0; i < ARRAY_SIZE(f); i++) {
		if (s[i])
			kmqtt_topic_unsubscribe(&tree, s[i]);
	}
	s[0] = kmqtt_topic_subscribe(&tree, KT_B("x/y"), (void *)1UL, 0, &err);
	s[1] = kmqtt_topic_subscribe(&tree, KT_B("x/y"), (void *)2UL, 1, &err);
	KT_EQ(t, tree.nodes, 2);
	kt_match(&tree, "x/y", &h);
	KT_CHECK(t, h.n == 2 && h.count[0] == 1 && h.count[1] == 1,
		 "two owners: %u", h.n);
	kmqtt_topic_unsubscribe(&tree, s[0]);
	KT_EQ(t, tree.nodes, 2);	/* still used by owner 2 */
	kt_match(&tree, "x/y", &h);
	KT_CHECK(t, h.n == 1 && h.count[1] == 1, "one owner left: %u", h.n);
	kmqtt_topic_unsubscribe(&tree, s[1]);
	KT_EQ(t, tree.nodes, 0);
	kmqtt_topic_tree_destroy(&tree);
}

/* Pruning: empty nodes go, nodes still holding something stay. */
static void topic_tree_prune(kt_ctx *t)
{
	struct kmqtt_subscription *deep, *mid, *plus, *hash;
	struct kmqtt_topic_tree tree;
	int err;

	KT_EQ(t, kmqtt_topic_tree_init(&tree), 0);
	deep = kmqtt_topic_subscribe(&tree, KT_B("a/b/c/d"), (void *)1UL, 0,
				     &err);
	KT_EQ(t, tree.nodes, 4);
	mid = kmqtt_topic_subscribe(&tree, KT_B("a/b"), (void *)2UL, 0, &err);
	KT_EQ(t, tree.nodes, 4);
	plus = kmqtt_topic_subscribe(&tree, KT_B("a/+/+"), (void *)3UL, 0,
				     &err);
	KT_EQ(t, tree.nodes, 6);
	hash = kmqtt_topic_subscribe(&tree, KT_B("a/+/#"), (void *)4UL, 0,
				     &err);
	KT_EQ(t, tree.nodes, 7);
	KT_CHECK(t, deep && mid && plus && hash, "subscribed");
	if (!deep || !mid || !plus || !hash)
		return;
	kmqtt_topic_unsubscribe(&tree, deep);	/* c, d go; a/b stays */
	KT_EQ(t, tree.nodes, 5);
	kmqtt_topic_unsubscribe(&tree, plus);	/* the second + goes */
	KT_EQ(t, tree.nodes, 4);
	kmqtt_topic_unsubscribe(&tree, mid);	/* b goes */
	KT_EQ(t, tree.nodes, 3);
	kmqtt_topic_unsubscribe(&tree, hash);
	KT_EQ(t, tree.nodes, 0);
	KT_EQ(t, tree.subscriptions, 0);
	kmqtt_topic_tree_destroy(&tree);
}

/* The node limit: refused with -ENOSPC, tree unchanged. */
static void topic_tree_node_limit(kt_ctx *t)
{
	struct kmqtt_subscription *a, *b, *c;
	struct kmqtt_topic_tree tree;
	struct kt_hits h;
	u64 bytes;
	int err = 0;

	KT_EQ(t, kmqtt_topic_tree_init(&tree), 0);
	tree.max_nodes = 3;
	a = kmqtt_topic_subscribe(&tree, KT_B("a/b"), (void *)1UL, 0, &err);
	KT_CHECK(t, a && !err, "a/b: %d", err);
	bytes = tree.bytes;
	b = kmqtt_topic_subscribe(&tree, KT_B("a/x/y/z"), (void *)2UL, 0,
				  &err);
	KT_CHECK(t, !b && err == -ENOSPC, "a/x/y/z: %d", err);
	KT_EQ(t, tree.nodes, 2);
	KT_EQ(t, tree.subscriptions, 1);
	KT_EQ(t, tree.bytes, bytes);
	b = kmqtt_topic_subscribe(&tree, KT_B("+/#"), (void *)2UL, 0, &err);
	KT_CHECK(t, !b && err == -ENOSPC, "+/#: %d", err);
	KT_EQ(t, tree.nodes, 2);
	c = kmqtt_topic_subscribe(&tree, KT_B("a/c"), (void *)3UL, 0, &err);
	KT_CHECK(t, c && !err, "a/c fits: %d", err);
	b = kmqtt_topic_subscribe(&tree, KT_B("a/b"), (void *)2UL, 0, &err);
	KT_CHECK(t, b && !err, "existing nodes need no room: %d", err);
	kt_match(&tree, "a/b", &h);
	KT_EQ(t, h.n, 2);
	if (a)
		kmqtt_topic_unsubscribe(&tree, a);
	if (b)
		kmqtt_topic_unsubscribe(&tree, b);
	if (c)
		kmqtt_topic_unsubscribe(&tree, c);
	KT_EQ(t, tree.nodes, 0);
	kmqtt_topic_tree_destroy(&tree);
}

/* 10000 siblings: the table grows, every one is found, pruning is exact. */
static void topic_tree_wide(kt_ctx *t)
{
	const unsigned int n = 10000;
	struct kmqtt_subscription **s;
	struct kmqtt_subscription *plus;
	struct kmqtt_topic_tree tree;
	struct kt_hits h;
	char buf[32];
	unsigned int i, bad = 0;
	int err;

	s = kvcalloc(n, sizeof(*s), GFP_KERNEL);
	KT_CHECK(t, s, "alloc");
	if (!s)
		return;
	KT_EQ(t, kmqtt_topic_tree_init(&tree), 0);
	for (i = 0; i < n; i++) {
		int len = scnprintf(buf, sizeof(buf), "w/%u", i);

		s[i] = kmqtt_topic_subscribe(&tree, (const u8 *)buf, len,
					     (void *)(unsigned long)(1 + i % 8),
					     0, &err);
		if (!s[i])
			bad++;
	}
	KT_EQ(t, bad, 0);
	KT_EQ(t, tree.nodes, n + 1);
	plus = kmqtt_topic_subscribe(&tree, KT_B("w/+"), (void *)9UL, 0, &err);
	for (i = 0; i < n; i += 97) {
		scnprintf(buf, sizeof(buf), "w/%u", i);
		kt_match(&tree, buf, &h);
		if (h.n != 2 || h.count[i % 8] != 1 || h.count[8] != 1)
			bad++;
	}
	KT_EQ(t, bad, 0);
	kt_match(&tree, "w/10000", &h);
	KT_EQ(t, h.n, 1);
	/* Remove every other one, check both halves, then the rest. */
	for (i = 0; i < n; i += 2) {
		kmqtt_topic_unsubscribe(&tree, s[i]);
		s[i] = NULL;
	}
	KT_EQ(t, tree.nodes, n / 2 + 2);
	for (i = 0; i < n; i += 101) {
		scnprintf(buf, sizeof(buf), "w/%u", i);
		kt_match(&tree, buf, &h);
		if (h.n != (s[i] ? 2u : 1u))
			bad++;
	}
	KT_EQ(t, bad, 0);
	for (i = 0; i < n; i++) {
		if (s[i])
			kmqtt_topic_unsubscribe(&tree, s[i]);
	}
	if (plus)
		kmqtt_topic_unsubscribe(&tree, plus);
	KT_EQ(t, tree.nodes, 0);
	KT_EQ(t, tree.subscriptions, 0);
	kmqtt_topic_tree_destroy(&tree);
	kvfree(s);
}

/* Deep trees and deep names: no recursion, right answers. */
static void topic_tree_deep(kt_ctx *t)
{
	const unsigned int levels = KMQTT_DEFAULT_MAX_LEVELS, big = 1000;
	struct kmqtt_subscription *lit, *plus, *hash, *deep_hash;
	struct kmqtt_topic_tree tree;
	struct kt_hits h;
	u8 *name, *filter;
	unsigned int i;
	int err;

	name = kmalloc(2 * big, GFP_KERNEL);
	filter = kmalloc(2 * big, GFP_KERNEL);
	KT_CHECK(t, name && filter, "alloc");
	if (!name || !filter)
		goto out;
	for (i = 0; i < 2 * big; i++)
		name[i] = i & 1 ? '/' : 'x';
	KT_EQ(t, kmqtt_topic_tree_init(&tree), 0);

	/* "x/x/.../x" (128 levels), "+/+/.../+", "#", "x/.../x/#" */
	lit = kmqtt_topic_subscribe(&tree, name, 2 * levels - 1, (void *)1UL,
				    0, &err);
	for (i = 0; i < 2 * levels; i++)
		filter[i] = i & 1 ? '/' : '+';
	plus = kmqtt_topic_subscribe(&tree, filter, 2 * levels - 1,
				     (void *)2UL, 0, &err);
	hash = kmqtt_topic_subscribe(&tree, KT_B("#"), (void *)3UL, 0, &err);
	memcpy(filter, name, 2 * levels);
	filter[2 * levels] = '#';
	deep_hash = kmqtt_topic_subscribe(&tree, filter, 2 * levels + 1,
					  (void *)4UL, 0, &err);
	KT_CHECK(t, lit && plus && hash && deep_hash, "subscribed");
	KT_EQ(t, tree.nodes, 2 * levels + 2);

	kt_match(&tree, "x", &h);
	KT_CHECK(t, h.n == 1 && h.count[2] == 1, "x: %u", h.n);
	kt_match_n(&tree, name, 2 * levels - 1, &h);
	KT_CHECK(t, h.n == 4 && h.count[0] && h.count[1] && h.count[2] &&
		 h.count[3], "128 levels: %u", h.n);
	kt_match_n(&tree, name, 2 * (levels + 1) - 1, &h);
	KT_CHECK(t, h.n == 2 && h.count[2] && h.count[3], "129 levels: %u",
		 h.n);
	/* A 1000-level name walks only as deep as the tree. */
	kt_match_n(&tree, name, 2 * big - 1, &h);
	KT_CHECK(t, h.n == 2 && h.count[2] && h.count[3], "1000 levels: %u",
		 h.n);
	/* A 1000-level filter can be stored too (depth is the caller's). */
	if (lit)
		kmqtt_topic_unsubscribe(&tree, lit);
	lit = kmqtt_topic_subscribe(&tree, name, 2 * big - 1, (void *)1UL, 0,
				    &err);
	KT_CHECK(t, lit, "1000-level filter: %d", err);
	kt_match_n(&tree, name, 2 * big - 1, &h);
	KT_CHECK(t, h.n == 3 && h.count[0], "1000 levels, exact: %u", h.n);
	if (lit)
		kmqtt_topic_unsubscribe(&tree, lit);
	if (plus)
		kmqtt_topic_unsubscribe(&tree, plus);
	if (hash)
		kmqtt_topic_unsubscribe(&tree, hash);
	if (deep_hash)
		kmqtt_topic_unsubscribe(&tree, deep_hash);
	KT_EQ(t, tree.nodes, 0);
	kmqtt_topic_tree_destroy(&tree);
out:
	kfree(name);
	kfree(filter);
}

/*
 * Every level of a 12-level name matched by a literal and a '+' branch:
 * 2^12 filters, each reported exactly once.
 */
static void topic_tree_branching(kt_ctx *t)
{
	const unsigned int levels = 12, n = 1u << levels;
	struct kmqtt_subscription **s;
	struct kmqtt_topic_tree tree;
	struct kt_hits h;
	u8 f[2 * 12];
	unsigned int i, l, made = 0;
	int err;

	s = kvcalloc(n, sizeof(*s), GFP_KERNEL);
	KT_CHECK(t, s, "alloc");
	if (!s)
		return;
	KT_EQ(t, kmqtt_topic_tree_init(&tree), 0);
	for (i = 0; i < n; i++) {
		for (l = 0; l < levels; l++) {
			f[2 * l] = i & (1u << l) ? '+' : 'q';
			f[2 * l + 1] = '/';
		}
		s[i] = kmqtt_topic_subscribe(&tree, f, 2 * levels - 1,
					     (void *)1UL, 0, &err);
		made += !!s[i];
	}
	KT_EQ(t, made, n);
	kt_match(&tree, "q/q/q/q/q/q/q/q/q/q/q/q", &h);
	KT_EQ(t, h.n, n);
	kt_match(&tree, "q/q/q/q/q/q/q/q/q/q/q/z", &h);
	KT_EQ(t, h.n, n / 2);
	kt_match(&tree, "q/q/q/q/q/q/q/q/q/q/q", &h);
	KT_EQ(t, h.n, 0);
	for (i = 0; i < n; i++) {
		if (s[i])
			kmqtt_topic_unsubscribe(&tree, s[i]);
	}
	KT_EQ(t, tree.nodes, 0);
	kmqtt_topic_tree_destroy(&tree);
	kvfree(s);
}

/* A pseudo-random sequence of subscribes, unsubscribes and matches. */
struct kt_random_state {
	struct kmqtt_subscription *s[KT_MAX_SUBS];
	char fil[KT_MAX_SUBS][24];
	struct kt_hits h;
};

static void topic_tree_random(kt_ctx *t)
{
	static const char *const lv[] = { "a", "b", "+", "#", "$s", "", "cc" };
	struct kt_random_state *st = kzalloc(sizeof(*st), GFP_KERNEL);
	struct kmqtt_subscription **s;
	struct kmqtt_topic_tree tree;
	u32 seed = 12345;
	unsigned int step, bad = 0;
	int err;

	KT_CHECK(t, st, "alloc");
	if (!st)
		return;
	s = st->s;
#define KT_RAND() (seed = seed * 1103515245 + 12345, (seed >> 16) & 0x7fff)
	KT_EQ(t, kmqtt_topic_tree_init(&tree), 0);
	for (step = 0; step < 3000; step++) {
		unsigned int i = KT_RAND() % KT_MAX_SUBS, l, nl, j, n = 0;
		char name[24];

		if (s[i]) {
			kmqtt_topic_unsubscribe(&tree, s[i]);
			s[i] = NULL;
		} else {
			nl = 1 + KT_RAND() % 4;
			for (l = 0; l < nl; l++) {
				const char *x = lv[KT_RAND() % ARRAY_SIZE(lv)];

				if (!strcmp(x, "#") && l != nl - 1)
					x = "+";
				n += scnprintf(st->fil[i] + n, sizeof(st->fil[i]) - n,
					       "%s%s", l ? "/" : "", x);
			}
			if (!mqtt_topic_filter_valid((const u8 *)st->fil[i], n, 0))
				continue;
			s[i] = kmqtt_topic_subscribe(&tree, (const u8 *)st->fil[i],
						     n, (void *)(unsigned long)
						     (i + 1), 0, &err);
			if (!s[i])
				bad++;
		}
		/* a random name of names-only levels */
		n = 0;
		nl = 1 + KT_RAND() % 4;
		for (l = 0; l < nl; l++) {
			const char *x = lv[KT_RAND() % ARRAY_SIZE(lv)];

			if (x[0] == '+' || x[0] == '#')
				x = "b";
			n += scnprintf(name + n, sizeof(name) - n, "%s%s",
				       l ? "/" : "", x);
		}
		kt_match(&tree, name, &st->h);
		for (j = 0; j < KT_MAX_SUBS; j++) {
			bool want = s[j] &&
				mqtt_topic_matches((const u8 *)st->fil[j],
						   strlen(st->fil[j]),
						   (const u8 *)name, n);

			if (st->h.count[j] != want) {
				bad++;
				KT_CHECK(t, 0, "step %u: '%s' vs '%s': %u",
					 step, st->fil[j], name, st->h.count[j]);
			}
		}
	}
#undef KT_RAND
	KT_EQ(t, bad, 0);
	for (step = 0; step < KT_MAX_SUBS; step++) {
		if (s[step])
			kmqtt_topic_unsubscribe(&tree, s[step]);
	}
	KT_EQ(t, tree.nodes, 0);
	kmqtt_topic_tree_destroy(&tree);
	kfree(st);
}

static const struct kt_case topic_cases[] = {
	KT_CASE(topic_validation),
	KT_CASE(topic_validation_deep),
	KT_CASE(topic_matching),
	KT_CASE(topic_tree_oracle),
	KT_CASE(topic_tree_same_owner),
	KT_CASE(topic_tree_prune),
	KT_CASE(topic_tree_node_limit),
	KT_CASE(topic_tree_wide),
	KT_CASE(topic_tree_deep),
	KT_CASE(topic_tree_branching),
	KT_CASE(topic_tree_random),
};

#endif /* KMQTT_TOPIC_CASES_H */
