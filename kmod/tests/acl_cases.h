/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ACL cases, shared by tests/unit/acl_test.c and the KUnit module: the
 * Mosquitto 2.0 acl_file semantics described in acl.c.
 */
#ifndef KMQTT_ACL_CASES_H
#define KMQTT_ACL_CASES_H

#include "kt.h"
#include "../topic.h"
#include "../acl.h"

#define PUB KMQTT_ACL_OP_PUBLISH
#define SUB KMQTT_ACL_OP_SUBSCRIBE
#define RCV KMQTT_ACL_OP_RECEIVE

struct kt_acl_rule {
	enum kmqtt_acl_kind kind;
	const char *user;
	enum kmqtt_acl_access access;
	const char *filter;
};

struct kt_acl_check {
	const char *user;	/* NULL: anonymous */
	const char *client_id;
	enum kmqtt_acl_op op;
	const char *topic;
	bool allowed;
};

static struct kmqtt_acl *kt_acl_build(kt_ctx *t, const struct kt_acl_rule *r,
				      size_t n)
{
	struct kmqtt_acl *acl = kmqtt_acl_alloc(GFP_KERNEL);
	size_t i;

	KT_CHECK(t, acl, "alloc");
	for (i = 0; acl && i < n; i++) {
		int err = kmqtt_acl_add_rule(acl, r[i].kind, r[i].user,
					     r[i].access,
					     (const u8 *)r[i].filter,
					     strlen(r[i].filter), GFP_KERNEL);

		KT_CHECK(t, !err, "rule %zu '%s': %d", i, r[i].filter, err);
	}
	return acl;
}

static void kt_acl_run(kt_ctx *t, const char *what,
		       const struct kmqtt_acl *acl,
		       const struct kt_acl_check *c, size_t n)
{
	static const char *const ops[] = { "publish", "subscribe", "receive" };
	size_t i;

	for (i = 0; i < n; i++) {
		bool got = kmqtt_acl_check(acl, c[i].user, c[i].client_id,
					   (const u8 *)c[i].topic,
					   strlen(c[i].topic), c[i].op);

		KT_CHECK(t, got == c[i].allowed, "%s: %s/%s %s '%s': got %s",
			 what, c[i].user ? c[i].user : "(anonymous)",
			 c[i].client_id, ops[c[i].op], c[i].topic,
			 got ? "allowed" : "denied");
	}
}

#define KT_ACL(t, what, rules, checks)					\
	do {								\
		struct kmqtt_acl *__acl = kt_acl_build(t, rules,	\
						       ARRAY_SIZE(rules)); \
		kt_acl_run(t, what, __acl, checks, ARRAY_SIZE(checks));	\
		kmqtt_acl_free(__acl);					\
	} while (0)

static void acl_empty_allows_all(kt_ctx *t)
{
	static const struct kt_acl_check c[] = {
		{ NULL, "c", PUB, "a/b", true },
		{ "u", "c", SUB, "#", true },
		{ "u", "c", RCV, "$SYS/x", true },
	};
	struct kmqtt_acl *acl = kmqtt_acl_alloc(GFP_KERNEL);

	kt_acl_run(t, "NULL set", NULL, c, ARRAY_SIZE(c));
	kt_acl_run(t, "empty set", acl, c, ARRAY_SIZE(c));
	kmqtt_acl_free(acl);
	kmqtt_acl_free(NULL);
}

/* "topic" lines before any "user" line: anonymous clients only. */
static void acl_anonymous_rules(kt_ctx *t)
{
	static const struct kt_acl_rule r[] = {
		{ KMQTT_ACL_TOPIC_ALL, NULL, KMQTT_ACL_READ, "pub/#" },
		{ KMQTT_ACL_TOPIC_ALL, NULL, KMQTT_ACL_WRITE, "in/+" },
		{ KMQTT_ACL_TOPIC_ALL, NULL, KMQTT_ACL_READWRITE, "both" },
	};
	static const struct kt_acl_check c[] = {
		{ NULL, "c", RCV, "pub/x", true },
		{ NULL, "c", RCV, "pub", true },
		{ NULL, "c", PUB, "pub/x", false },
		{ NULL, "c", PUB, "in/x", true },
		{ NULL, "c", PUB, "in/x/y", false },
		{ NULL, "c", RCV, "in/x", false },
		{ NULL, "c", PUB, "both", true },
		{ NULL, "c", RCV, "both", true },
		{ NULL, "c", PUB, "other", false },
		/* a logged-in user without rules of its own gets nothing */
		{ "bob", "c", RCV, "pub/x", false },
		{ "bob", "c", PUB, "both", false },
	};

	KT_ACL(t, "anonymous", r, c);
}

static void acl_user_rules(kt_ctx *t)
{
	static const struct kt_acl_rule r[] = {
		{ KMQTT_ACL_TOPIC_USER, "bob", KMQTT_ACL_READWRITE, "bob/#" },
		{ KMQTT_ACL_TOPIC_USER, "bob", KMQTT_ACL_READ, "news/+" },
		{ KMQTT_ACL_TOPIC_USER, "alice", KMQTT_ACL_WRITE, "news/+" },
	};
	static const struct kt_acl_check c[] = {
		{ "bob", "c1", PUB, "bob/x", true },
		{ "bob", "c1", RCV, "bob", true },
		{ "bob", "c1", RCV, "news/today", true },
		{ "bob", "c1", PUB, "news/today", false },
		{ "alice", "c2", PUB, "news/today", true },
		{ "alice", "c2", RCV, "news/today", false },
		{ "alice", "c2", PUB, "bob/x", false },
		{ "bobby", "c3", PUB, "bob/x", false },
		{ "bo", "c3", PUB, "bob/x", false },
		{ NULL, "c4", PUB, "bob/x", false },
	};

	KT_ACL(t, "users", r, c);
}

/* A matching deny wins over grants of the same group, whatever the order. */
static void acl_deny_first(kt_ctx *t)
{
	static const struct kt_acl_rule r[] = {
		{ KMQTT_ACL_TOPIC_USER, "bob", KMQTT_ACL_READWRITE, "#" },
		{ KMQTT_ACL_TOPIC_USER, "bob", KMQTT_ACL_DENY, "secret/#" },
		{ KMQTT_ACL_TOPIC_ALL, NULL, KMQTT_ACL_READWRITE, "#" },
		{ KMQTT_ACL_TOPIC_ALL, NULL, KMQTT_ACL_DENY, "+/private" },
		{ KMQTT_ACL_PATTERN, NULL, KMQTT_ACL_READWRITE, "p/%c/#" },
		{ KMQTT_ACL_PATTERN, NULL, KMQTT_ACL_DENY, "p/%c/locked" },
	};
	static const struct kt_acl_check c[] = {
		{ "bob", "c", PUB, "a/b", true },
		{ "bob", "c", PUB, "secret", false },
		{ "bob", "c", RCV, "secret/x", false },
		{ NULL, "c", PUB, "a/b", true },
		{ NULL, "c", PUB, "a/private", false },
		{ NULL, "c", RCV, "a/private/x", true },
		/* patterns: deny first too */
		{ "carol", "c9", PUB, "p/c9/x", true },
		{ "carol", "c9", PUB, "p/c9/locked", false },
		{ "carol", "c9", PUB, "p/c8/x", false },
		/* a user grant is final, as in Mosquitto: no pattern deny */
		{ "bob", "c9", PUB, "p/c9/locked", true },
	};

	KT_ACL(t, "deny", r, c);
}

static void acl_patterns(kt_ctx *t)
{
	static const struct kt_acl_rule r[] = {
		{ KMQTT_ACL_PATTERN, NULL, KMQTT_ACL_READWRITE, "users/%u/#" },
		{ KMQTT_ACL_PATTERN, NULL, KMQTT_ACL_READ, "clients/%c" },
		{ KMQTT_ACL_PATTERN, NULL, KMQTT_ACL_WRITE, "x/%c-%u/y" },
		{ KMQTT_ACL_PATTERN, NULL, KMQTT_ACL_READ, "plain/+" },
	};
	static const struct kt_acl_check c[] = {
		{ "bob", "c1", PUB, "users/bob/x", true },
		{ "bob", "c1", RCV, "users/bob", true },
		{ "bob", "c1", PUB, "users/alice/x", false },
		{ "bob", "c1", PUB, "users/bobby/x", false },
		{ "bob", "c1", RCV, "clients/c1", true },
		{ "bob", "c1", PUB, "clients/c1", false },
		{ "bob", "c1", RCV, "clients/c2", false },
		{ "bob", "c1", PUB, "x/c1-bob/y", true },
		{ "bob", "c1", PUB, "x/c1-bo/y", false },
		{ "bob", "c1", PUB, "x/c1-bobb/y", false },
		{ "bob", "c1", RCV, "plain/z", true },
		/* %u patterns do not apply to anonymous clients */
		{ NULL, "c1", PUB, "users//x", false },
		{ NULL, "c1", RCV, "clients/c1", true },
		{ NULL, "c1", PUB, "x/c1-/y", false },
		/* names that could widen or move a pattern: refused */
		{ "a+b", "c1", RCV, "clients/c1", false },
		{ "a#", "c1", RCV, "plain/z", false },
		{ "a/b", "c1", PUB, "users/a/b/x", false },
		{ "bob", "c/1", RCV, "clients/c/1", false },
		{ "bob", "+", RCV, "clients/x", false },
		{ "bob", "$SYS", RCV, "clients/$SYS", false },
		{ "$bob", "c1", RCV, "clients/c1", false },
	};

	KT_ACL(t, "patterns", r, c);
}

/*
 * SUBSCRIBE checks a filter: refused when a deny covers it all or when no
 * read rule could ever deliver from it.
 */
static void acl_subscribe(kt_ctx *t)
{
	static const struct kt_acl_rule r[] = {
		{ KMQTT_ACL_TOPIC_USER, "bob", KMQTT_ACL_READ, "sensors/#" },
		{ KMQTT_ACL_TOPIC_USER, "bob", KMQTT_ACL_DENY,
		  "sensors/secret/#" },
		{ KMQTT_ACL_TOPIC_USER, "bob", KMQTT_ACL_WRITE, "cmd/#" },
		{ KMQTT_ACL_TOPIC_USER, "bob", KMQTT_ACL_READ, "a/+/c" },
		{ KMQTT_ACL_TOPIC_USER, "bob", KMQTT_ACL_READ, "$SYS/broker/#" },
		{ KMQTT_ACL_PATTERN, NULL, KMQTT_ACL_READ, "inbox/%c/+" },
	};
	static const struct kt_acl_check c[] = {
		{ "bob", "c1", SUB, "sensors/#", true },
		{ "bob", "c1", SUB, "sensors/+/temp", true },
		{ "bob", "c1", SUB, "sensors", true },
		{ "bob", "c1", SUB, "#", true },	/* filtered per message */
		{ "bob", "c1", SUB, "+/x", true },
		{ "bob", "c1", SUB, "other/#", false },
		{ "bob", "c1", SUB, "cmd/#", false },	/* write only */
		{ "bob", "c1", SUB, "sensors/secret/#", false },
		{ "bob", "c1", SUB, "sensors/secret/a", false },
		{ "bob", "c1", SUB, "sensors/secret", false },
		{ "bob", "c1", SUB, "sensors/+/a", true },
		{ "bob", "c1", SUB, "a/b/c", true },
		{ "bob", "c1", SUB, "a/+/c", true },
		{ "bob", "c1", SUB, "a/#", true },
		{ "bob", "c1", SUB, "a/b/d", false },
		{ "bob", "c1", SUB, "a/b/c/d", false },
		{ "bob", "c1", SUB, "$SYS/#", true },
		{ "bob", "c1", SUB, "$SYS/broker/load", true },
		{ "bob", "c1", SUB, "$SYS/other", false },
		{ "bob", "c1", SUB, "+/broker/#", true },	/* sensors/broker/x */
		{ "bob", "c1", SUB, "inbox/c1/+", true },
		{ "bob", "c1", SUB, "inbox/c1/#", true },
		{ "bob", "c1", SUB, "inbox/+/x", true },
		{ "bob", "c1", SUB, "inbox/c2/x", false },
		{ "bob", "c1", RCV, "sensors/secret/a", false },
		{ "bob", "c1", RCV, "sensors/a", true },
		{ "bob", "c1", RCV, "other", false },
	};

	KT_ACL(t, "subscribe", r, c);
}

/* A deny that covers a wildcard subscription refuses it. */
static void acl_subscribe_deny_covers(kt_ctx *t)
{
	static const struct kt_acl_rule r[] = {
		{ KMQTT_ACL_TOPIC_ALL, NULL, KMQTT_ACL_READWRITE, "#" },
		{ KMQTT_ACL_TOPIC_ALL, NULL, KMQTT_ACL_DENY, "a/+" },
		{ KMQTT_ACL_TOPIC_ALL, NULL, KMQTT_ACL_DENY, "b/#" },
	};
	static const struct kt_acl_check c[] = {
		{ NULL, "c", SUB, "a/x", false },
		{ NULL, "c", SUB, "a/+", false },
		{ NULL, "c", SUB, "a/#", true },	/* "a" is allowed */
		{ NULL, "c", SUB, "a", true },
		{ NULL, "c", SUB, "b", false },		/* b/# covers b */
		{ NULL, "c", SUB, "b/+/+", false },
		{ NULL, "c", SUB, "+/x", true },
		{ NULL, "c", SUB, "#", true },
		{ NULL, "c", RCV, "a/x", false },
		{ NULL, "c", RCV, "a", true },
	};

	KT_ACL(t, "deny covers", r, c);
}

/* '$' topics are not reached through a leading wildcard. */
static void acl_dollar(kt_ctx *t)
{
	static const struct kt_acl_rule r[] = {
		{ KMQTT_ACL_TOPIC_USER, "bob", KMQTT_ACL_READWRITE, "#" },
		{ KMQTT_ACL_TOPIC_USER, "bob", KMQTT_ACL_READWRITE, "+/+" },
		{ KMQTT_ACL_TOPIC_USER, "root", KMQTT_ACL_READ, "$SYS/#" },
		{ KMQTT_ACL_PATTERN, NULL, KMQTT_ACL_READ, "%c/#" },
	};
	static const struct kt_acl_check c[] = {
		{ "bob", "c", RCV, "$SYS/x", false },
		{ "bob", "c", PUB, "$SYS/x", false },
		{ "bob", "c", SUB, "$SYS/#", false },
		{ "bob", "c", RCV, "a/$SYS", true },
		{ "root", "c", RCV, "$SYS/x", true },
		{ "root", "c", SUB, "$SYS/#", true },
		{ "root", "c", SUB, "#", true },	/* via "c/#" */
		{ "bob", "d", SUB, "$SYS/x", false },
		{ "root", "d", SUB, "+/x", true },	/* via "d/#" */
		{ "bob", "d", SUB, "+/x", true },
		{ "eve", "c", RCV, "c/x", true },
		{ "eve", "$SYS", RCV, "$SYS/x", false },
	};

	KT_ACL(t, "dollar", r, c);
}

static void acl_add_rule_validation(kt_ctx *t)
{
	struct kmqtt_acl *acl = kmqtt_acl_alloc(GFP_KERNEL);
	char user[KMQTT_ACL_MAX_USER + 2];

	KT_CHECK(t, acl, "alloc");
	if (!acl)
		return;
#define ADD(kind, u, access, f) \
	kmqtt_acl_add_rule(acl, kind, u, access, KT_B(f), GFP_KERNEL)
	KT_EQ(t, ADD(KMQTT_ACL_TOPIC_ALL, NULL, KMQTT_ACL_READ, "a/#"), 0);
	KT_EQ(t, ADD(KMQTT_ACL_TOPIC_ALL, NULL, KMQTT_ACL_READ, "a/#/b"),
	      -EINVAL);
	KT_EQ(t, ADD(KMQTT_ACL_TOPIC_ALL, NULL, KMQTT_ACL_READ, "a+"),
	      -EINVAL);
	KT_EQ(t, ADD(KMQTT_ACL_TOPIC_ALL, NULL, KMQTT_ACL_READ, ""), -EINVAL);
	KT_EQ(t, ADD(KMQTT_ACL_TOPIC_ALL, NULL, KMQTT_ACL_READ, "\xc0\xaf"),
	      -EINVAL);
	KT_EQ(t, ADD(KMQTT_ACL_TOPIC_ALL, NULL, 0, "a"), -EINVAL);
	KT_EQ(t, ADD(KMQTT_ACL_TOPIC_ALL, NULL, 5, "a"), -EINVAL);
	KT_EQ(t, ADD(7, NULL, KMQTT_ACL_READ, "a"), -EINVAL);
	KT_EQ(t, ADD(KMQTT_ACL_TOPIC_ALL, NULL, KMQTT_ACL_READ, "u/%c"),
	      -EINVAL);
	KT_EQ(t, ADD(KMQTT_ACL_TOPIC_USER, "bob", KMQTT_ACL_READ, "u/%u"),
	      -EINVAL);
	KT_EQ(t, ADD(KMQTT_ACL_TOPIC_USER, "bob", KMQTT_ACL_READ, "u/%x"), 0);
	KT_EQ(t, ADD(KMQTT_ACL_PATTERN, NULL, KMQTT_ACL_READ, "u/%u/%c"), 0);
	KT_EQ(t, ADD(KMQTT_ACL_TOPIC_USER, NULL, KMQTT_ACL_READ, "a"),
	      -EINVAL);
	KT_EQ(t, ADD(KMQTT_ACL_TOPIC_USER, "", KMQTT_ACL_READ, "a"), -EINVAL);
	memset(user, 'u', sizeof(user));
	user[KMQTT_ACL_MAX_USER] = '\0';
	KT_EQ(t, ADD(KMQTT_ACL_TOPIC_USER, user, KMQTT_ACL_DENY, "a"), 0);
	user[KMQTT_ACL_MAX_USER] = 'u';
	user[KMQTT_ACL_MAX_USER + 1] = '\0';
	KT_EQ(t, ADD(KMQTT_ACL_TOPIC_USER, user, KMQTT_ACL_DENY, "a"),
	      -EINVAL);
#undef ADD
	KT_EQ(t, acl->count, 4);
	kmqtt_acl_free(acl);
}

static void acl_clone(kt_ctx *t)
{
	static const struct kt_acl_rule r[] = {
		{ KMQTT_ACL_TOPIC_USER, "bob", KMQTT_ACL_READ, "a/#" },
		{ KMQTT_ACL_TOPIC_ALL, NULL, KMQTT_ACL_WRITE, "b" },
		{ KMQTT_ACL_PATTERN, NULL, KMQTT_ACL_DENY, "a/%u" },
	};
	static const struct kt_acl_check c[] = {
		{ "bob", "c", RCV, "a/x", true },
		{ "bob", "c", RCV, "a/bob", true },	/* user grant first */
		{ NULL, "c", PUB, "b", true },
		{ "eve", "c", RCV, "a/eve", false },
	};
	struct kmqtt_acl *acl = kt_acl_build(t, r, ARRAY_SIZE(r));
	struct kmqtt_acl *copy = acl ? kmqtt_acl_clone(acl, GFP_KERNEL) : NULL;

	KT_CHECK(t, copy && copy->count == 3, "clone");
	kmqtt_acl_free(acl);
	kt_acl_run(t, "clone", copy, c, ARRAY_SIZE(c));
	kmqtt_acl_free(copy);
}

static void acl_expand(kt_ctx *t)
{
	u8 out[64];
	int n;

#define EXP(p, u, c, size) \
	kmqtt_acl_expand(KT_B(p), u, c, out, size)
	n = EXP("users/%u/%c", "bob", "c1", sizeof(out));
	KT_CHECK(t, n == 12 && !memcmp(out, "users/bob/c1", 12), "basic: %d",
		 n);
	n = EXP("%c%c", "bob", "xy", sizeof(out));
	KT_CHECK(t, n == 4 && !memcmp(out, "xyxy", 4), "twice: %d", n);
	n = EXP("a/%%c/%x/%", "bob", "c1", sizeof(out));
	KT_CHECK(t, n == 10 && !memcmp(out, "a/%c1/%x/%", 10),
		 "literal percents: %d", n);
	n = EXP("plain", NULL, NULL, sizeof(out));
	KT_CHECK(t, n == 5 && !memcmp(out, "plain", 5), "plain: %d", n);
	KT_EQ(t, EXP("u/%u", NULL, "c1", sizeof(out)), -EINVAL);
	KT_EQ(t, EXP("u/%c", "bob", NULL, sizeof(out)), -EINVAL);
	KT_EQ(t, EXP("u/%u", "a+b", "c1", sizeof(out)), -EINVAL);
	KT_EQ(t, EXP("u/%u", "a#", "c1", sizeof(out)), -EINVAL);
	KT_EQ(t, EXP("u/%u", "a/b", "c1", sizeof(out)), -EINVAL);
	KT_EQ(t, EXP("u/%c", "bob", "$x", sizeof(out)), -EINVAL);
	KT_EQ(t, EXP("u/%c", "a+b", "c1", sizeof(out)), 4);	/* unused */
	KT_EQ(t, EXP("users/%u", "bob", "c1", 9), 9);	/* no NUL */
	KT_EQ(t, EXP("users/%u", "bob", "c1", 8), -E2BIG);
	KT_EQ(t, EXP("users/%u", "bob", "c1", 5), -E2BIG);
	KT_EQ(t, EXP("users/%u", "bob", "c1", 10), 9);
	KT_EQ(t, EXP("", "bob", "c1", 0), 0);
#undef EXP
}

/* The on-the-fly expansion in checks agrees with kmqtt_acl_expand(). */
static void acl_expand_agrees(kt_ctx *t)
{
	static const char *const pats[] = {
		"u/%u/#", "%c", "%c/+", "a/%c%u/b", "+/%u", "%u%%c", "x/%c",
	};
	static const char *const names[] = {
		"u/bob/x", "c1", "c1/z", "a/c1bob/b", "q/bob", "bob%c", "x/c1",
		"u/bob", "c2", "a/c1bo/b", "x/c",
	};
	u8 out[64];
	size_t i, j;

	for (i = 0; i < ARRAY_SIZE(pats); i++) {
		struct kmqtt_acl *acl = kmqtt_acl_alloc(GFP_KERNEL);
		int n;

		if (!acl)
			return;
		KT_EQ(t, kmqtt_acl_add_rule(acl, KMQTT_ACL_PATTERN, NULL,
					    KMQTT_ACL_READWRITE,
					    (const u8 *)pats[i],
					    strlen(pats[i]), GFP_KERNEL), 0);
		n = kmqtt_acl_expand((const u8 *)pats[i], strlen(pats[i]),
				     "bob", "c1", out, sizeof(out));
		KT_CHECK(t, n > 0, "expand %s", pats[i]);
		for (j = 0; n > 0 && j < ARRAY_SIZE(names); j++) {
			bool want = mqtt_topic_matches(out, n,
				(const u8 *)names[j], strlen(names[j]));
			bool got = kmqtt_acl_check(acl, "bob", "c1",
				(const u8 *)names[j], strlen(names[j]),
				KMQTT_ACL_OP_PUBLISH);

			KT_CHECK(t, got == want, "'%s' vs '%s': got %d",
				 pats[i], names[j], got);
		}
		kmqtt_acl_free(acl);
	}
}

static const struct kt_case acl_cases[] = {
	KT_CASE(acl_empty_allows_all),
	KT_CASE(acl_anonymous_rules),
	KT_CASE(acl_user_rules),
	KT_CASE(acl_deny_first),
	KT_CASE(acl_patterns),
	KT_CASE(acl_subscribe),
	KT_CASE(acl_subscribe_deny_covers),
	KT_CASE(acl_dollar),
	KT_CASE(acl_add_rule_validation),
	KT_CASE(acl_clone),
	KT_CASE(acl_expand),
	KT_CASE(acl_expand_agrees),
};

#undef PUB
#undef SUB
#undef RCV
#undef KT_ACL

#endif /* KMQTT_ACL_CASES_H */
