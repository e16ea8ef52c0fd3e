// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink commands that replace the access configuration: users,
 * the ACL, and CONFIG_APPLY, the whole configuration in one transaction.
 *
 * CONFIG_APPLY first does everything that can fail without touching the
 * broker (parsing, hashing passwords, building the new user table and rule
 * set), then binds the new listeners (the only step that can still fail,
 * undone by closing them again), then swaps users, ACL and limits in, which
 * cannot fail, and last closes the listeners the new configuration drops.
 * kmqtt_ctl_mutex keeps other writers out for the whole time.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/slab.h>
#include "nl.h"

/* ---- policies (the family policy in netlink.c nests them) ---- */

static struct netlink_range_validation kmqtt_iterations_range = {
	.min = 1,
	.max = KMQTT_PBKDF2_MAX_ITERATIONS,
};

const struct nla_policy kmqtt_user_policy[KMQTT_USER_A_MAX + 1] = {
	[KMQTT_USER_A_NAME] = { .type = NLA_NUL_STRING,
				.len = KMQTT_USER_NAME_MAX },
	[KMQTT_USER_A_PASSWORD] = { .type = NLA_BINARY,
				    .len = KMQTT_PASSWORD_MAX },
	[KMQTT_USER_A_HASH] = { .type = NLA_NUL_STRING, .len = KMQTT_HASH_MAX },
	[KMQTT_USER_A_ITERATIONS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &kmqtt_iterations_range),
};

const struct nla_policy kmqtt_acl_policy[KMQTT_ACL_A_MAX + 1] = {
	[KMQTT_ACL_A_KIND] = NLA_POLICY_RANGE(NLA_U8, KMQTT_ACL_KIND_TOPIC,
					      KMQTT_ACL_KIND_MAX),
	[KMQTT_ACL_A_ACCESS] = NLA_POLICY_RANGE(NLA_U8, KMQTT_ACL_ACCESS_READ,
						KMQTT_ACL_ACCESS_MAX),
	[KMQTT_ACL_A_USER] = { .type = NLA_NUL_STRING,
			       .len = KMQTT_USER_NAME_MAX },
	[KMQTT_ACL_A_FILTER] = { .type = NLA_NUL_STRING,
				 .len = KMQTT_ACL_FILTER_MAX },
};

/* ---- users ---- */

struct kmqtt_nl_user {
	char name[KMQTT_USER_NAME_MAX + 1];
	struct kmqtt_cred cred;
};

/* Parse and hash (may take a while: no lock held). */
static int kmqtt_nl_parse_user(const struct nlattr *nest,
			       struct kmqtt_nl_user *u,
			       struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KMQTT_USER_A_MAX + 1];
	u32 iterations = KMQTT_PBKDF2_DEFAULT_ITERATIONS;
	struct nlattr *pw, *hash;
	int err;

	err = nla_parse_nested(tb, KMQTT_USER_A_MAX, nest, kmqtt_user_policy,
			       extack);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(extack, nest, tb, KMQTT_USER_A_NAME)) {
		NL_SET_ERR_MSG(extack, "user name missing");
		return -EINVAL;
	}
	nla_strscpy(u->name, tb[KMQTT_USER_A_NAME], sizeof(u->name));
	if (!u->name[0]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KMQTT_USER_A_NAME],
				    "empty user name");
		return -EINVAL;
	}
	pw = tb[KMQTT_USER_A_PASSWORD];
	hash = tb[KMQTT_USER_A_HASH];
	if (!pw == !hash) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "give exactly one of password and hash");
		return -EINVAL;
	}
	if (tb[KMQTT_USER_A_ITERATIONS]) {
		if (!pw) {
			NL_SET_ERR_MSG_ATTR(extack, tb[KMQTT_USER_A_ITERATIONS],
					    "iterations only go with a password");
			return -EINVAL;
		}
		iterations = nla_get_u32(tb[KMQTT_USER_A_ITERATIONS]);
	}
	if (hash) {
		err = kmqtt_cred_parse(&u->cred, nla_data(hash));
		if (err)
			NL_SET_ERR_MSG_ATTR(extack, hash,
					    "hash must be $7$ITERATIONS$SALT$HASH (mosquitto_passwd, at most 100000 iterations) or $6$SALT$HASH");
		return err;
	}
	err = kmqtt_cred_from_password(&u->cred, nla_data(pw), nla_len(pw),
				       iterations);
	if (err)
		NL_SET_ERR_MSG_ATTR(extack, pw, "cannot hash the password");
	return err;
}

int kmqtt_nl_user_add(struct sk_buff *skb, struct genl_info *info)
{
	struct kmqtt_nl_user *u;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KMQTT_A_USER)) {
		GENL_SET_ERR_MSG(info, "user attribute missing");
		return -EINVAL;
	}
	u = kzalloc(sizeof(*u), GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	err = kmqtt_nl_parse_user(info->attrs[KMQTT_A_USER], u, info->extack);
	if (!err) {
		mutex_lock(&kmqtt_ctl_mutex);
		err = kmqtt_auth_user_set(kmqtt_nl_kn(info), u->name, &u->cred);
		mutex_unlock(&kmqtt_ctl_mutex);
		if (err == -ENOSPC)
			GENL_SET_ERR_MSG(info, "too many users");
	}
	kfree_sensitive(u);
	return err;
}

int kmqtt_nl_user_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *tb[KMQTT_USER_A_MAX + 1];
	char name[KMQTT_USER_NAME_MAX + 1];
	struct nlattr *nest = info->attrs[KMQTT_A_USER];
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KMQTT_A_USER)) {
		GENL_SET_ERR_MSG(info, "user attribute missing");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, KMQTT_USER_A_MAX, nest, kmqtt_user_policy,
			       info->extack);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(info->extack, nest, tb, KMQTT_USER_A_NAME)) {
		GENL_SET_ERR_MSG(info, "user name missing");
		return -EINVAL;
	}
	nla_strscpy(name, tb[KMQTT_USER_A_NAME], sizeof(name));
	mutex_lock(&kmqtt_ctl_mutex);
	err = kmqtt_auth_user_del(kmqtt_nl_kn(info), name);
	mutex_unlock(&kmqtt_ctl_mutex);
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, tb[KMQTT_USER_A_NAME],
				    "no such user");
	return err;
}

static int kmqtt_nl_user_put(const char *name, const struct kmqtt_cred *c,
			     void *arg)
{
	struct kmqtt_nl_dump_ctx *ctx = arg;
	char hash[KMQTT_HASH_MAX + 1];
	struct nlattr *nest;
	void *hdr;

	if (kmqtt_cred_format(c, hash, sizeof(hash)) < 0)
		hash[0] = '\0';
	hdr = kmqtt_dump_hdr(ctx->skb, ctx->cb, KMQTT_CMD_USER_GET);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(ctx->skb, KMQTT_A_USER);
	if (!nest || nla_put_string(ctx->skb, KMQTT_USER_A_NAME, name) ||
	    nla_put_string(ctx->skb, KMQTT_USER_A_HASH, hash)) {
		genlmsg_cancel(ctx->skb, hdr);
		return -EMSGSIZE;
	}
	nla_nest_end(ctx->skb, nest);
	genlmsg_end(ctx->skb, hdr);
	ctx->done++;
	return 0;
}

int kmqtt_nl_user_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kmqtt_nl_dump_ctx ctx = { .skb = skb, .cb = cb };
	int ret;

	ret = kmqtt_auth_for_each(kmqtt_nl_dump_kn(cb), cb->args[0],
				  kmqtt_nl_user_put, &ctx);
	cb->args[0] += ctx.done;
	return ret ? kmqtt_dump_full(skb) : skb->len;
}

/* ---- ACL ---- */

static int kmqtt_acl_kind_to_uapi(u8 kind)
{
	switch (kind) {
	case KMQTT_ACL_TOPIC_ALL:
		return KMQTT_ACL_KIND_TOPIC;
	case KMQTT_ACL_TOPIC_USER:
		return KMQTT_ACL_KIND_USER_TOPIC;
	default:
		return KMQTT_ACL_KIND_PATTERN;
	}
}

static enum kmqtt_acl_kind kmqtt_acl_kind_from_uapi(u8 kind)
{
	switch (kind) {
	case KMQTT_ACL_KIND_TOPIC:
		return KMQTT_ACL_TOPIC_ALL;
	case KMQTT_ACL_KIND_USER_TOPIC:
		return KMQTT_ACL_TOPIC_USER;
	default:
		return KMQTT_ACL_PATTERN;
	}
}

/* The uapi access values are the internal ones; say so at build time. */
static void __maybe_unused kmqtt_acl_abi_check(void)
{
	BUILD_BUG_ON((int)KMQTT_ACL_ACCESS_READ != (int)KMQTT_ACL_READ);
	BUILD_BUG_ON((int)KMQTT_ACL_ACCESS_WRITE != (int)KMQTT_ACL_WRITE);
	BUILD_BUG_ON((int)KMQTT_ACL_ACCESS_READWRITE != (int)KMQTT_ACL_READWRITE);
	BUILD_BUG_ON((int)KMQTT_ACL_ACCESS_DENY != (int)KMQTT_ACL_DENY);
}

/* Parse one rule nest and append it to @acl. */
static int kmqtt_nl_add_acl_rule(struct kmqtt_acl *acl,
				 const struct nlattr *rule,
				 struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KMQTT_ACL_A_MAX + 1];
	const char *user = NULL, *filter;
	int err;
	u8 kind;

	err = nla_parse_nested(tb, KMQTT_ACL_A_MAX, rule, kmqtt_acl_policy,
			       extack);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(extack, rule, tb, KMQTT_ACL_A_KIND) ||
	    NL_REQ_ATTR_CHECK(extack, rule, tb, KMQTT_ACL_A_ACCESS) ||
	    NL_REQ_ATTR_CHECK(extack, rule, tb, KMQTT_ACL_A_FILTER)) {
		NL_SET_ERR_MSG(extack, "ACL rule needs kind, access and filter");
		return -EINVAL;
	}
	kind = nla_get_u8(tb[KMQTT_ACL_A_KIND]);
	if (kind == KMQTT_ACL_KIND_USER_TOPIC) {
		if (!tb[KMQTT_ACL_A_USER] ||
		    !*(char *)nla_data(tb[KMQTT_ACL_A_USER])) {
			NL_SET_ERR_MSG_ATTR(extack, rule,
					    "user rule needs a user name");
			return -EINVAL;
		}
		user = nla_data(tb[KMQTT_ACL_A_USER]);
	} else if (tb[KMQTT_ACL_A_USER]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KMQTT_ACL_A_USER],
				    "only user rules name a user");
		return -EINVAL;
	}
	filter = nla_data(tb[KMQTT_ACL_A_FILTER]);
	err = kmqtt_acl_add_rule(acl, kmqtt_acl_kind_from_uapi(kind), user,
				 nla_get_u8(tb[KMQTT_ACL_A_ACCESS]),
				 (const u8 *)filter, strlen(filter),
				 GFP_KERNEL);
	if (err == -ENOSPC)
		NL_SET_ERR_MSG_ATTR(extack, rule, "too many ACL rules");
	else if (err)
		NL_SET_ERR_MSG_ATTR(extack, tb[KMQTT_ACL_A_FILTER],
				    "invalid ACL topic filter (%c and %u only in patterns)");
	return err;
}

/*
 * Build a rule set from every KMQTT_A_ACL_RULES list of the request, in
 * order; NULL and *errp on error.
 */
static struct kmqtt_acl *kmqtt_nl_build_acl(struct genl_info *info, int *errp)
{
	const struct nlattr *rule, *list;
	struct kmqtt_acl *acl;
	int rem, err;

	acl = kmqtt_acl_alloc(GFP_KERNEL);
	if (!acl) {
		*errp = -ENOMEM;
		return NULL;
	}
	kmqtt_nl_for_each_list(list, info, KMQTT_A_ACL_RULES) {
		nla_for_each_nested(rule, list, rem) {
			err = kmqtt_nl_add_acl_rule(acl, rule, info->extack);
			if (err) {
				kmqtt_acl_free(acl);
				*errp = err;
				return NULL;
			}
		}
	}
	return acl;
}

/* Publish @acl (NULL or empty: allow everything) and free the old set. */
static void kmqtt_nl_acl_replace(struct kmqtt_broker *b, struct kmqtt_acl *acl)
{
	struct kmqtt_acl *old;

	if (acl && !acl->count) {
		kmqtt_acl_free(acl);
		acl = NULL;
	}
	mutex_lock(&b->config_lock);
	old = rcu_replace_pointer(b->acl, acl,
				  lockdep_is_held(&b->config_lock));
	mutex_unlock(&b->config_lock);
	if (old) {
		synchronize_rcu();
		kmqtt_acl_free(old);
	}
}

int kmqtt_nl_acl_set(struct sk_buff *skb, struct genl_info *info)
{
	struct kmqtt_acl *acl;
	int err = 0;

	if (GENL_REQ_ATTR_CHECK(info, KMQTT_A_ACL_RULES)) {
		GENL_SET_ERR_MSG(info, "ACL rule list missing");
		return -EINVAL;
	}
	acl = kmqtt_nl_build_acl(info, &err);
	if (!acl)
		return err;
	mutex_lock(&kmqtt_ctl_mutex);
	kmqtt_nl_acl_replace(&kmqtt_nl_kn(info)->broker, acl);
	mutex_unlock(&kmqtt_ctl_mutex);
	return 0;
}

static int kmqtt_nl_put_acl_rule(struct sk_buff *skb,
				 const struct kmqtt_acl_rule *r)
{
	struct nlattr *nest = nla_nest_start(skb, KMQTT_A_ACL_RULE);
	int err;

	if (!nest)
		return -EMSGSIZE;
	err = nla_put_u8(skb, KMQTT_ACL_A_KIND,
			 kmqtt_acl_kind_to_uapi(r->kind)) ?:
	      nla_put_u8(skb, KMQTT_ACL_A_ACCESS, r->access) ?:
	      kmqtt_nla_put_strn(skb, KMQTT_ACL_A_FILTER, r->filter,
				 r->filter_len, KMQTT_ACL_FILTER_MAX);
	if (!err && r->kind == KMQTT_ACL_TOPIC_USER && r->user)
		err = nla_put_string(skb, KMQTT_ACL_A_USER, r->user);
	if (err) {
		nla_nest_cancel(skb, nest);
		return err;
	}
	nla_nest_end(skb, nest);
	return 0;
}

int kmqtt_nl_acl_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kmqtt_broker *b = &kmqtt_nl_dump_kn(cb)->broker;
	long idx = 0, start = cb->args[0];
	const struct kmqtt_acl_rule *r;
	const struct kmqtt_acl *acl;
	int ret = 0;
	void *hdr;

	rcu_read_lock();
	acl = rcu_dereference(b->acl);
	if (acl) {
		list_for_each_entry(r, &acl->rules, entry) {
			if (idx++ < start)
				continue;
			hdr = kmqtt_dump_hdr(skb, cb, KMQTT_CMD_ACL_GET);
			if (!hdr || kmqtt_nl_put_acl_rule(skb, r)) {
				if (hdr)
					genlmsg_cancel(skb, hdr);
				idx--;
				ret = kmqtt_dump_full(skb);
				break;
			}
			genlmsg_end(skb, hdr);
		}
	}
	rcu_read_unlock();
	cb->args[0] = idx;
	return ret ?: skb->len;
}

/* ---- CONFIG_APPLY ---- */

struct kmqtt_apply {
	struct sockaddr_storage addrs[KMQTT_MAX_LISTENERS];
	const struct nlattr *addr_attrs[KMQTT_MAX_LISTENERS];
	u32 naddrs;
	struct kmqtt_limits limits;
	struct kmqtt_users *users;
	struct kmqtt_acl *acl;
	struct kmqtt_nl_user user;	/* scratch */
	/* listeners present before, and whether the new config keeps them */
	struct sockaddr_storage old[KMQTT_MAX_LISTENERS];
	u32 nold;
	bool added[KMQTT_MAX_LISTENERS];
};

static bool kmqtt_ss_equal(const struct sockaddr_storage *a,
			   const struct sockaddr_storage *b)
{
	size_t len = a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						sizeof(struct sockaddr_in);

	return a->ss_family == b->ss_family && !memcmp(a, b, len);
}

static int kmqtt_apply_parse_listeners(struct kmqtt_apply *ap,
				       struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	const struct nlattr *nest, *list;
	int rem, err;
	u32 i;

	kmqtt_nl_for_each_list(list, info, KMQTT_A_LISTENERS) {
		nla_for_each_nested(nest, list, rem) {
			if (ap->naddrs == KMQTT_MAX_LISTENERS) {
				NL_SET_ERR_MSG_ATTR(extack, nest, "too many listeners");
				return -ENOSPC;
			}
			err = kmqtt_nl_parse_listener(nest, &ap->addrs[ap->naddrs],
						      extack);
			if (err)
				return err;
			for (i = 0; i < ap->naddrs; i++) {
				if (kmqtt_ss_equal(&ap->addrs[i],
						   &ap->addrs[ap->naddrs])) {
					NL_SET_ERR_MSG_ATTR(extack, nest,
							    "duplicate listener");
					return -EINVAL;
				}
			}
			ap->addr_attrs[ap->naddrs++] = nest;
		}
	}
	return 0;
}

static int kmqtt_apply_parse_users(struct kmqtt_apply *ap,
				   struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	const struct nlattr *nest, *list;
	int rem, err;

	ap->users = kmqtt_users_new();
	if (!ap->users)
		return -ENOMEM;
	kmqtt_nl_for_each_list(list, info, KMQTT_A_USERS) {
		nla_for_each_nested(nest, list, rem) {
			err = kmqtt_nl_parse_user(nest, &ap->user, extack);
			if (err)
				return err;
			if (kmqtt_users_has(ap->users, ap->user.name)) {
				NL_SET_ERR_MSG_ATTR(extack, nest, "duplicate user");
				return -EINVAL;
			}
			err = kmqtt_users_set(ap->users, ap->user.name,
					      &ap->user.cred);
			if (err) {
				NL_SET_ERR_MSG_ATTR(extack, nest, "too many users");
				return err;
			}
		}
	}
	return 0;
}

/* Everything that can fail without touching the broker. */
static int kmqtt_apply_prepare(struct kmqtt_apply *ap, struct genl_info *info)
{
	struct nlattr **attrs = info->attrs;
	int err = 0;

	if (attrs[KMQTT_A_LISTENERS]) {
		err = kmqtt_apply_parse_listeners(ap, info);
		if (err)
			return err;
	}
	if (attrs[KMQTT_A_LIMITS]) {
		kmqtt_limits_default(&ap->limits);
		err = kmqtt_nl_parse_limits(attrs[KMQTT_A_LIMITS], &ap->limits,
					    info->extack);
		if (err)
			return err;
	}
	if (attrs[KMQTT_A_USERS]) {
		err = kmqtt_apply_parse_users(ap, info);
		if (err)
			return err;
	}
	if (attrs[KMQTT_A_ACL_RULES])
		ap->acl = kmqtt_nl_build_acl(info, &err);
	return err;
}

/* Bind the listeners the config adds; on failure close them again. */
static int kmqtt_apply_listeners(struct kmqtt_apply *ap, struct kmqtt_net *kn,
				 struct netlink_ext_ack *extack)
{
	struct kmqtt_listener *l;
	u32 i, j;
	int err;

	mutex_lock(&kn->lock);
	list_for_each_entry(l, &kn->listeners, entry)
		if (ap->nold < KMQTT_MAX_LISTENERS)
			ap->old[ap->nold++] = l->addr;
	mutex_unlock(&kn->lock);

	for (i = 0; i < ap->naddrs; i++) {
		for (j = 0; j < ap->nold; j++)
			if (kmqtt_ss_equal(&ap->addrs[i], &ap->old[j]))
				break;
		if (j < ap->nold)
			continue;
		err = kmqtt_listener_add(kn, &ap->addrs[i]);
		if (err) {
			kmqtt_nl_listener_errmsg(err, ap->addr_attrs[i], extack);
			while (i--)
				if (ap->added[i])
					kmqtt_listener_remove(kn, &ap->addrs[i]);
			return err;
		}
		ap->added[i] = true;
	}
	return 0;
}

static void kmqtt_apply_remove_old(struct kmqtt_apply *ap,
				   struct kmqtt_net *kn)
{
	u32 i, j;

	for (j = 0; j < ap->nold; j++) {
		for (i = 0; i < ap->naddrs; i++)
			if (kmqtt_ss_equal(&ap->addrs[i], &ap->old[j]))
				break;
		if (i == ap->naddrs)
			kmqtt_listener_remove(kn, &ap->old[j]);
	}
}

int kmqtt_nl_config_apply(struct sk_buff *skb, struct genl_info *info)
{
	struct kmqtt_net *kn = kmqtt_nl_kn(info);
	struct kmqtt_broker *b = &kn->broker;
	struct nlattr **attrs = info->attrs;
	struct kmqtt_apply *ap;
	int err;

	ap = kvzalloc(sizeof(*ap), GFP_KERNEL);
	if (!ap)
		return -ENOMEM;
	err = kmqtt_apply_prepare(ap, info);
	if (err)
		goto out;

	mutex_lock(&kmqtt_ctl_mutex);
	if (attrs[KMQTT_A_LISTENERS]) {
		err = kmqtt_apply_listeners(ap, kn, info->extack);
		if (err)
			goto out_unlock;
	}
	/* From here on nothing fails. */
	if (ap->users) {
		kmqtt_auth_replace(kn, ap->users);
		ap->users = NULL;
	}
	if (attrs[KMQTT_A_ACL_RULES]) {
		kmqtt_nl_acl_replace(b, ap->acl);
		ap->acl = NULL;
	}
	if (attrs[KMQTT_A_LIMITS]) {
		mutex_lock(&b->config_lock);
		kmqtt_limits_commit(kn, &ap->limits);
		mutex_unlock(&b->config_lock);
	}
	if (attrs[KMQTT_A_LISTENERS])
		kmqtt_apply_remove_old(ap, kn);
out_unlock:
	mutex_unlock(&kmqtt_ctl_mutex);
out:
	kmqtt_users_free(ap->users);
	if (ap->acl)
		kmqtt_acl_free(ap->acl);
	kfree_sensitive(ap);
	return err;
}
