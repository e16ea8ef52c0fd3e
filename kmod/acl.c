// SPDX-License-Identifier: GPL-2.0
/*
 * Access control lists with Mosquitto's acl_file model (see acl.h).
 *
 * The order of evaluation mirrors mosquitto_acl_check_default() in Mosquitto
 * 2.0's src/security_default.c:
 *  1. The client's own topic rules: those of "user NAME" when it logged in
 *     as NAME, those before any user line when it is anonymous. Deny rules
 *     first (Mosquitto moves them to the front of the list), then the others
 *     in order; the first matching deny refuses, the first matching rule that
 *     grants the access needed allows.
 *  2. If any pattern rule exists, a client whose username or client id could
 *     widen a pattern is refused outright; then the pattern rules, deny
 *     first, the same way. A pattern using %u is skipped for anonymous
 *     clients.
 *  3. Nothing matched: refused.
 * An empty set allows everything (Mosquitto without acl_file).
 *
 * Deliberate deviations, each stricter than Mosquitto 2.0:
 *  - SUBSCRIBE: Mosquitto 2.0's default check allows every subscription and
 *    checks read access only on delivery. kmqtt checks delivery the same way
 *    (KMQTT_ACL_OP_RECEIVE) but also answers 0x80 to a filter that no read
 *    rule could ever deliver from, or that a deny rule covers entirely.
 *  - "Dangerous" usernames and client ids: Mosquitto 2.0 rejects '+' and '#'
 *    for patterns; we also reject '/' (as Mosquitto 1.x did: "a/b" would
 *    reach into user "a"'s tree) and a leading '$' (a pattern "%c/#" must not
 *    hand out $SYS/#).
 *  - %c and %u in a plain topic rule are refused when the rule is added
 *    instead of being taken literally, which is never what was meant.
 * As in Mosquitto, %c and %u are replaced wherever they occur in a pattern.
 */
#include "shim.h"
#include "codec.h"
#include "topic.h"
#include "acl.h"

struct acl_who {
	const u8 *user;
	size_t ulen;
	const u8 *cid;
	size_t clen;
};

struct kmqtt_acl *kmqtt_acl_alloc(gfp_t gfp)
{
	struct kmqtt_acl *acl = kzalloc(sizeof(*acl), gfp);

	if (acl)
		INIT_LIST_HEAD(&acl->rules);
	return acl;
}

static bool has_subst(const u8 *f, u16 len, u8 which)
{
	u16 i;

	for (i = 0; i + 1 < len; i++) {
		if (f[i] == '%' && f[i + 1] == which)
			return true;
	}
	return false;
}

static void rule_free(struct kmqtt_acl_rule *r)
{
	kfree(r->user);
	kfree(r->filter);
	kfree(r);
}

int kmqtt_acl_add_rule(struct kmqtt_acl *acl, enum kmqtt_acl_kind kind,
		       const char *user, enum kmqtt_acl_access access,
		       const u8 *filter, u16 len, gfp_t gfp)
{
	struct kmqtt_acl_rule *r;
	size_t ulen = 0;

	if (access < KMQTT_ACL_READ || access > KMQTT_ACL_DENY)
		return -EINVAL;
	if (kind != KMQTT_ACL_TOPIC_ALL && kind != KMQTT_ACL_TOPIC_USER &&
	    kind != KMQTT_ACL_PATTERN)
		return -EINVAL;
	if (kind == KMQTT_ACL_TOPIC_USER) {
		if (!user)
			return -EINVAL;
		ulen = strnlen(user, KMQTT_ACL_MAX_USER + 1);
		if (!ulen || ulen > KMQTT_ACL_MAX_USER)
			return -EINVAL;
	}
	if (!mqtt_topic_filter_valid(filter, len, 0))
		return -EINVAL;
	if (kind != KMQTT_ACL_PATTERN &&
	    (has_subst(filter, len, 'c') || has_subst(filter, len, 'u')))
		return -EINVAL;
	if (acl->count >= KMQTT_ACL_MAX_RULES)
		return -ENOSPC;

	r = kzalloc(sizeof(*r), gfp);
	if (!r)
		return -ENOMEM;
	r->kind = kind;
	r->access = access;
	r->filter_len = len;
	r->filter = kmemdup(filter, len, gfp);
	if (kind == KMQTT_ACL_TOPIC_USER)
		r->user = kmemdup(user, ulen + 1, gfp);
	if (!r->filter || (kind == KMQTT_ACL_TOPIC_USER && !r->user)) {
		rule_free(r);
		return -ENOMEM;
	}
	if (kind == KMQTT_ACL_TOPIC_USER)
		r->user[ulen] = '\0';
	if (kind == KMQTT_ACL_PATTERN) {
		r->uses_client_id = has_subst(filter, len, 'c');
		r->uses_username = has_subst(filter, len, 'u');
	}
	list_add_tail(&r->entry, &acl->rules);
	acl->count++;
	return 0;
}

struct kmqtt_acl *kmqtt_acl_clone(const struct kmqtt_acl *acl, gfp_t gfp)
{
	struct kmqtt_acl *copy = kmqtt_acl_alloc(gfp);
	struct kmqtt_acl_rule *r;

	if (!copy)
		return NULL;
	list_for_each_entry(r, &acl->rules, entry) {
		if (kmqtt_acl_add_rule(copy, r->kind, r->user, r->access,
				       r->filter, r->filter_len, gfp)) {
			kmqtt_acl_free(copy);
			return NULL;
		}
	}
	return copy;
}

void kmqtt_acl_free(struct kmqtt_acl *acl)
{
	struct kmqtt_acl_rule *r, *tmp;

	if (!acl)
		return;
	list_for_each_entry_safe(r, tmp, &acl->rules, entry) {
		list_del(&r->entry);
		rule_free(r);
	}
	kfree(acl);
}

/* Could this string, substituted into a pattern, widen or move it? */
static bool dangerous(const u8 *s, size_t len)
{
	size_t i;

	if (len && s[0] == '$')
		return true;
	for (i = 0; i < len; i++) {
		if (s[i] == '+' || s[i] == '#' || s[i] == '/')
			return true;
	}
	return false;
}

int kmqtt_acl_expand(const u8 *pattern, u16 len, const char *user,
		     const char *client_id, u8 *out, size_t out_size)
{
	size_t n = 0;
	u16 i;

	for (i = 0; i < len; i++) {
		const char *sub = NULL;
		size_t slen;

		if (pattern[i] == '%' && i + 1 < len &&
		    (pattern[i + 1] == 'c' || pattern[i + 1] == 'u')) {
			sub = pattern[i + 1] == 'c' ? client_id : user;
			if (!sub)
				return -EINVAL;
			slen = strlen(sub);
			if (dangerous((const u8 *)sub, slen))
				return -EINVAL;
			if (out_size - n < slen)
				return -E2BIG;
			memcpy(out + n, sub, slen);
			n += slen;
			i++;
			continue;
		}
		if (n >= out_size)
			return -E2BIG;
		out[n++] = pattern[i];
	}
	return n;
}

/*
 * Rule filters are compared level by level; a pattern's levels are expanded
 * on the fly, so a check allocates nothing. Since dangerous() values were
 * refused, an expansion never creates or removes a level or a wildcard.
 */
static unsigned int level_end(const u8 *s, unsigned int len, unsigned int pos)
{
	const u8 *slash = memchr(s + pos, '/', len - pos);

	return slash ? slash - s : len;
}

static bool level_is(const u8 *s, unsigned int pos, unsigned int end, u8 c)
{
	return end - pos == 1 && s[pos] == c;
}

/* Rule level r[rp, re), expanded for @who if set, equals o[op, oe)? */
static bool level_eq(const u8 *r, unsigned int rp, unsigned int re,
		     const u8 *o, unsigned int op, unsigned int oe,
		     const struct acl_who *who)
{
	while (rp < re) {
		if (who && r[rp] == '%' && rp + 1 < re &&
		    (r[rp + 1] == 'c' || r[rp + 1] == 'u')) {
			const u8 *v = r[rp + 1] == 'c' ? who->cid : who->user;
			size_t vlen = r[rp + 1] == 'c' ? who->clen : who->ulen;

			if (oe - op < vlen || memcmp(o + op, v, vlen))
				return false;
			op += vlen;
			rp += 2;
			continue;
		}
		if (op >= oe || r[rp] != o[op])
			return false;
		rp++;
		op++;
	}
	return op == oe;
}

static bool wild_first(const u8 *f, unsigned int len)
{
	return len && (f[0] == '+' || f[0] == '#');
}

/* Does rule filter @r match topic name @t? (mqtt_topic_matches + expansion) */
static bool rule_matches_name(const u8 *r, unsigned int rlen, const u8 *t,
			      unsigned int tlen, const struct acl_who *who)
{
	unsigned int rp = 0, tp = 0;

	if (tlen && t[0] == '$' && wild_first(r, rlen))
		return false;
	for (;;) {
		unsigned int re, te;

		if (rp > rlen)
			return tp > tlen;
		re = level_end(r, rlen, rp);
		if (level_is(r, rp, re, '#'))
			return true;
		if (tp > tlen)
			return false;
		te = level_end(t, tlen, tp);
		if (!level_is(r, rp, re, '+') &&
		    !level_eq(r, rp, re, t, tp, te, who))
			return false;
		rp = re + 1;
		tp = te + 1;
	}
}

/* Does every topic filter @s matches also match rule filter @r? */
static bool rule_covers(const u8 *r, unsigned int rlen, const u8 *s,
			unsigned int slen, const struct acl_who *who)
{
	unsigned int rp = 0, sp = 0;

	if (slen && s[0] == '$' && wild_first(r, rlen))
		return false;
	for (;;) {
		unsigned int re, se;

		if (rp > rlen)
			return sp > slen;
		re = level_end(r, rlen, rp);
		if (level_is(r, rp, re, '#'))
			return true;
		if (sp > slen)
			return false;
		se = level_end(s, slen, sp);
		if (level_is(s, sp, se, '#'))
			return false;
		if (level_is(r, rp, re, '+')) {
			/* a '+' covers a '+' or any literal */
		} else if (level_is(s, sp, se, '+') ||
			   !level_eq(r, rp, re, s, sp, se, who)) {
			return false;
		}
		rp = re + 1;
		sp = se + 1;
	}
}

/* Is there a topic both rule filter @r and filter @s match? */
static bool rule_intersects(const u8 *r, unsigned int rlen, const u8 *s,
			    unsigned int slen, const struct acl_who *who)
{
	unsigned int rp = 0, sp = 0;

	/* A '$' topic is only matched by filters spelling out level one. */
	if ((slen && s[0] == '$' && wild_first(r, rlen)) ||
	    (rlen && r[0] == '$' && wild_first(s, slen)))
		return false;
	for (;;) {
		bool rdone = rp > rlen, sdone = sp > slen;
		unsigned int re = 0, se = 0;

		if (!rdone) {
			re = level_end(r, rlen, rp);
			if (level_is(r, rp, re, '#'))
				return true;
		}
		if (!sdone) {
			se = level_end(s, slen, sp);
			if (level_is(s, sp, se, '#'))
				return true;
		}
		if (rdone || sdone)
			return rdone && sdone;
		if (!level_is(r, rp, re, '+') && !level_is(s, sp, se, '+') &&
		    !level_eq(r, rp, re, s, sp, se, who))
			return false;
		rp = re + 1;
		sp = se + 1;
	}
}

enum acl_verdict { ACL_NO_MATCH, ACL_ALLOW, ACL_DENY };

static bool rule_applies(const struct kmqtt_acl_rule *r, bool patterns,
			 const char *user)
{
	if (patterns)
		return r->kind == KMQTT_ACL_PATTERN &&
		       (user || !r->uses_username);
	if (r->kind == KMQTT_ACL_TOPIC_USER)
		return user && !strcmp(r->user, user);
	return r->kind == KMQTT_ACL_TOPIC_ALL && !user;
}

/* One group of rules (the client's topic rules, or the patterns). */
static enum acl_verdict check_group(const struct kmqtt_acl *acl, bool patterns,
				    const char *user,
				    const struct acl_who *who, const u8 *topic,
				    u16 len, enum kmqtt_acl_op op)
{
	u8 need = op == KMQTT_ACL_OP_PUBLISH ? KMQTT_ACL_WRITE : KMQTT_ACL_READ;
	const struct kmqtt_acl_rule *r;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		bool deny_pass = pass == 0;

		list_for_each_entry(r, &acl->rules, entry) {
			bool deny = r->access == KMQTT_ACL_DENY;
			bool hit;

			if (deny != deny_pass || !rule_applies(r, patterns, user))
				continue;
			if (!deny && !(r->access & need))
				continue;
			if (op != KMQTT_ACL_OP_SUBSCRIBE)
				hit = rule_matches_name(r->filter, r->filter_len,
							topic, len, who);
			else if (deny)
				hit = rule_covers(r->filter, r->filter_len,
						  topic, len, who);
			else
				hit = rule_intersects(r->filter, r->filter_len,
						      topic, len, who);
			if (hit)
				return deny ? ACL_DENY : ACL_ALLOW;
		}
	}
	return ACL_NO_MATCH;
}

bool kmqtt_acl_check(const struct kmqtt_acl *acl, const char *user,
		     const char *client_id, const u8 *topic, u16 len,
		     enum kmqtt_acl_op op)
{
	const struct kmqtt_acl_rule *r;
	struct acl_who who = { 0 };
	enum acl_verdict v;
	bool any_pattern = false;

	if (!acl || list_empty(&acl->rules))
		return true;
	v = check_group(acl, false, user, NULL, topic, len, op);
	if (v != ACL_NO_MATCH)
		return v == ACL_ALLOW;

	list_for_each_entry(r, &acl->rules, entry) {
		if (r->kind == KMQTT_ACL_PATTERN) {
			any_pattern = true;
			break;
		}
	}
	if (!any_pattern)
		return false;
	if (user) {
		who.user = (const u8 *)user;
		who.ulen = strlen(user);
	}
	if (client_id) {
		who.cid = (const u8 *)client_id;
		who.clen = strlen(client_id);
	}
	if (!client_id || dangerous(who.user, who.ulen) ||
	    dangerous(who.cid, who.clen))
		return false;
	return check_group(acl, true, user, &who, topic, len, op) == ACL_ALLOW;
}
