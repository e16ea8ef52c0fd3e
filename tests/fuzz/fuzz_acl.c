// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: ACL rule building, checks and %c/%u expansion.
 *
 * Publish and receive checks are compared with a reference written the
 * plain way (kmqtt_acl_expand() into a buffer, then mqtt_topic_matches()),
 * in Mosquitto 2.0's order; the checker itself expands on the fly. For a
 * subscription without wildcards, subscribe must agree with receive. A clone
 * must answer like its original.
 */
#define FUZZ_NAME "fuzz_acl"
#include "fuzz.h"
#include "codec.h"
#include "topic.h"
#include "acl.h"

u64 kmqtt_test_now;

static u16 make_str(struct in *in, u8 *out, u16 max, const char *alpha)
{
	u16 len = next(in) % max, i;
	size_t na = strlen(alpha);

	for (i = 0; i < len; i++) {
		u8 b = next(in);

		out[i] = b >= 0xf8 ? next(in) : (u8)alpha[b % na];
	}
	return len;
}

static const char *const users[] = {
	NULL, "bob", "alice", "", "a+b", "a/b", "$x", "c1", "%c", "b#",
};

static bool dangerous(const char *s)
{
	return s && (s[0] == '$' || strpbrk(s, "+#/"));
}

static bool ref_group(const struct kmqtt_acl *acl, bool patterns,
		      const char *user, const char *cid, const u8 *topic,
		      u16 len, u8 need, int *verdict)
{
	const struct kmqtt_acl_rule *r;
	static u8 buf[4096];
	int pass;

	for (pass = 0; pass < 2; pass++) {
		list_for_each_entry(r, &acl->rules, entry) {
			bool deny = r->access == KMQTT_ACL_DENY;
			const u8 *f = r->filter;
			int n = r->filter_len;

			if (deny != (pass == 0))
				continue;
			if (patterns) {
				if (r->kind != KMQTT_ACL_PATTERN)
					continue;
				if (r->uses_username && !user)
					continue;
				n = kmqtt_acl_expand(r->filter, r->filter_len,
						     user, cid, buf,
						     sizeof(buf));
				CHECK(n >= 0);
				f = buf;
			} else if (r->kind == KMQTT_ACL_TOPIC_USER) {
				if (!user || strcmp(user, r->user))
					continue;
			} else if (r->kind != KMQTT_ACL_TOPIC_ALL || user) {
				continue;
			}
			if (!deny && !(r->access & need))
				continue;
			if (mqtt_topic_matches(f, n, topic, len)) {
				*verdict = !deny;
				return true;
			}
		}
	}
	return false;
}

static bool ref_check(const struct kmqtt_acl *acl, const char *user,
		      const char *cid, const u8 *topic, u16 len, u8 need)
{
	const struct kmqtt_acl_rule *r;
	bool patterns = false;
	int v;

	if (list_empty(&acl->rules))
		return true;
	if (ref_group(acl, false, user, cid, topic, len, need, &v))
		return v;
	list_for_each_entry(r, &acl->rules, entry)
		patterns |= r->kind == KMQTT_ACL_PATTERN;
	if (!patterns || !cid || dangerous(user) || dangerous(cid))
		return false;
	if (ref_group(acl, true, user, cid, topic, len, need, &v))
		return v;
	return false;
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const char falpha[] = "ab/+#$%cu/%a";
	struct in in = { data, size };
	struct kmqtt_acl *acl, *copy;
	unsigned int nrules, i;
	u8 f[64];

	acl = kmqtt_acl_alloc(GFP_KERNEL);
	if (!acl)
		abort();
	nrules = next(&in) % 9;
	for (i = 0; i < nrules; i++) {
		u8 kind = next(&in) % 4;	/* 3: invalid */
		u8 access = next(&in) % 6;	/* 0, 5: invalid */
		const char *user = users[next(&in) % ARRAY_SIZE(users)];
		u16 len = make_str(&in, f, 24, falpha);
		bool subst = false;
		u32 before = acl->count;
		int err, k;

		for (k = 0; k + 1 < len; k++)
			subst |= f[k] == '%' && (f[k + 1] == 'c' || f[k + 1] == 'u');
		err = kmqtt_acl_add_rule(acl, kind, user, access, f, len,
					 GFP_KERNEL);
		if (!mqtt_topic_filter_valid(f, len, 0) || kind > 2 ||
		    !access || access > 4 ||
		    (kind == KMQTT_ACL_TOPIC_USER && (!user || !user[0])) ||
		    (kind != KMQTT_ACL_PATTERN && subst))
			CHECK(err == -EINVAL && acl->count == before);
		else
			CHECK(!err && acl->count == before + 1);
	}
	copy = kmqtt_acl_clone(acl, GFP_KERNEL);
	if (!copy)
		abort();
	CHECK(copy->count == acl->count);

	while (in.n) {
		const char *user = users[next(&in) % ARRAY_SIZE(users)];
		const char *cid = users[1 + next(&in) % (ARRAY_SIZE(users) - 1)];
		u8 topic[64], out[128];
		u16 len = make_str(&in, topic, 24, "ab/c1$+#%");
		bool name = mqtt_topic_name_valid(topic, len, 0);
		bool filter = mqtt_topic_filter_valid(topic, len, 0);
		int op, n;

		for (op = 0; op < 3; op++) {
			bool got, ref;

			if (op == KMQTT_ACL_OP_SUBSCRIBE ? !filter : !name)
				continue;
			got = kmqtt_acl_check(acl, user, cid, topic, len, op);
			CHECK(got == kmqtt_acl_check(copy, user, cid, topic,
						     len, op));
			if (op == KMQTT_ACL_OP_SUBSCRIBE) {
				if (name)
					CHECK(got == kmqtt_acl_check(acl, user,
						cid, topic, len,
						KMQTT_ACL_OP_RECEIVE));
				continue;
			}
			ref = ref_check(acl, user, cid, topic, len,
					op == KMQTT_ACL_OP_PUBLISH ?
					KMQTT_ACL_WRITE : KMQTT_ACL_READ);
			CHECK(got == ref);
		}
		/* Expansion: bounded, and refused for dangerous values. */
		n = kmqtt_acl_expand(topic, len, user, cid, out,
				     next(&in) % sizeof(out));
		CHECK(n == -EINVAL || n == -E2BIG || (n >= 0 && n < 128));
	}
	kmqtt_acl_free(copy);
	kmqtt_acl_free(acl);
	return 0;
}
