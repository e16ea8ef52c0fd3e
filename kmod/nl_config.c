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

/* ---- users ---- */

struct kmqtt_nl_user {
	char name[KMQTT_USER_NAME_MAX + 1];
	struct kmqtt_cred cred;
};

/*
 * The credential of a decoded user: hash the password (may take a while:
 * no lock held) or parse the "$7$..." string.
 */
static int kmqtt_nl_user_cred(const struct kmqtt_nl_user_req *u,
			      struct kmqtt_nl_user *out,
			      struct netlink_ext_ack *extack)
{
	int err;

	memcpy(out->name, u->name, sizeof(out->name));
	if (u->hash) {
		err = kmqtt_cred_parse(&out->cred, nla_data(u->hash));
		if (err)
			NL_SET_ERR_MSG_ATTR(extack, u->hash,
					    "hash must be $7$ITERATIONS$SALT$HASH (mosquitto_passwd, at most 100000 iterations) or $6$SALT$HASH");
		return err;
	}
	err = kmqtt_cred_from_password(&out->cred, nla_data(u->password),
				       nla_len(u->password), u->iterations);
	if (err)
		NL_SET_ERR_MSG_ATTR(extack, u->password,
				    "cannot hash the password");
	return err;
}

int kmqtt_nl_user_add(struct sk_buff *skb, struct genl_info *info)
{
	struct kmqtt_nl_req req;
	struct {
		struct kmqtt_nl_user_req in;
		struct kmqtt_nl_user out;
	} *u;
	int err;

	kmqtt_nl_req_init(&req, info);
	u = kzalloc(sizeof(*u), GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	err = kmqtt_nl_req_user(&req, &u->in) ?:
	      kmqtt_nl_user_cred(&u->in, &u->out, info->extack);
	if (!err) {
		mutex_lock(&kmqtt_ctl_mutex);
		err = kmqtt_auth_user_set(kmqtt_nl_kn(info), u->out.name,
					  &u->out.cred);
		mutex_unlock(&kmqtt_ctl_mutex);
		if (err == -ENOSPC)
			GENL_SET_ERR_MSG(info, "too many users");
	}
	kfree_sensitive(u);
	return err;
}

int kmqtt_nl_user_del(struct sk_buff *skb, struct genl_info *info)
{
	char name[KMQTT_USER_NAME_MAX + 1];
	const struct nlattr *name_attr;
	struct kmqtt_nl_req req;
	int err;

	kmqtt_nl_req_init(&req, info);
	err = kmqtt_nl_req_user_name(&req, name, &name_attr);
	if (err)
		return err;
	mutex_lock(&kmqtt_ctl_mutex);
	err = kmqtt_auth_user_del(kmqtt_nl_kn(info), name);
	mutex_unlock(&kmqtt_ctl_mutex);
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, name_attr, "no such user");
	return err;
}

struct kmqtt_nl_user_ent {
	const char *name;
	const struct kmqtt_cred *cred;
};

static int kmqtt_nl_put_user(struct sk_buff *skb, const void *obj,
			     const void *arg)
{
	const struct kmqtt_nl_user_ent *e = obj;
	char hash[KMQTT_HASH_MAX + 1];
	struct nlattr *nest;

	if (kmqtt_cred_format(e->cred, hash, sizeof(hash)) < 0)
		hash[0] = '\0';
	nest = nla_nest_start(skb, KMQTT_A_USER);
	if (!nest || nla_put_string(skb, KMQTT_USER_A_NAME, e->name) ||
	    nla_put_string(skb, KMQTT_USER_A_HASH, hash))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int kmqtt_nl_user_each(const char *name, const struct kmqtt_cred *c,
			      void *arg)
{
	struct kmqtt_nl_user_ent e = { .name = name, .cred = c };

	return kmqtt_dump_put(arg, &e);
}

/* auth.c passes over the users sent in earlier rounds itself. */
int kmqtt_nl_user_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kmqtt_nl_dump_ctx d;
	int err;

	kmqtt_dump_init(&d, skb, cb, KMQTT_CMD_USER_GET, kmqtt_nl_put_user,
			NULL);
	d.skip = 0;
	err = kmqtt_auth_for_each(kmqtt_nl_dump_kn(cb), cb->args[0],
				  kmqtt_nl_user_each, &d);
	return kmqtt_dump_end(&d, err);
}

/* ---- ACL ---- */

/*
 * Bumped whenever a broker's rule set is replaced (under kmqtt_ctl_mutex and
 * that broker's config_lock): an ACL dump may resume at a saved rule only
 * if the set it walked is still the published one, and the set's address
 * alone cannot say so once it may have been freed and reused.
 */
static unsigned long kmqtt_acl_generation;

/* Publish @acl (NULL or empty: allow everything) and free the old set. */
static void kmqtt_nl_acl_replace(struct kmqtt_broker *b, struct kmqtt_acl *acl)
{
	struct kmqtt_acl *old;

	if (acl && !acl->count) {
		kmqtt_acl_free(acl);
		acl = NULL;
	}
	mutex_lock(&b->config_lock);
	WRITE_ONCE(kmqtt_acl_generation, kmqtt_acl_generation + 1);
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
	struct kmqtt_nl_req req;
	struct kmqtt_acl *acl;
	int err = 0;

	kmqtt_nl_req_init(&req, info);
	acl = kmqtt_nl_req_acl(&req, &err);
	if (!acl)
		return err;
	mutex_lock(&kmqtt_ctl_mutex);
	kmqtt_nl_acl_replace(&kmqtt_nl_kn(info)->broker, acl);
	mutex_unlock(&kmqtt_ctl_mutex);
	return 0;
}

static int kmqtt_nl_put_acl_rule(struct sk_buff *skb, const void *obj,
				 const void *arg)
{
	const struct kmqtt_acl_rule *r = obj;
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

/*
 * A published rule set never changes, so a dump resumes at the rule it
 * stopped at (cb->args[3]) as long as the set is still the one it walked
 * (cb->args[1], [2]); otherwise it passes over as many rules as it sent.
 * config_lock keeps the set from being replaced, and so freed, meanwhile.
 */
int kmqtt_nl_acl_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct kmqtt_broker *b = &kmqtt_nl_dump_kn(cb)->broker;
	const struct kmqtt_acl_rule *r;
	const struct kmqtt_acl *acl;
	struct kmqtt_nl_dump_ctx d;
	int err = 0;

	kmqtt_dump_init(&d, skb, cb, KMQTT_CMD_ACL_GET, kmqtt_nl_put_acl_rule,
			NULL);
	mutex_lock(&b->config_lock);
	acl = rcu_dereference_protected(b->acl,
					lockdep_is_held(&b->config_lock));
	if (!acl)
		goto out;
	if (cb->args[1] == (long)acl &&
	    cb->args[2] == (long)READ_ONCE(kmqtt_acl_generation)) {
		r = (const struct kmqtt_acl_rule *)cb->args[3];
		d.skip = 0;
	} else {
		r = list_first_entry(&acl->rules, struct kmqtt_acl_rule, entry);
	}
	list_for_each_entry_from(r, &acl->rules, entry) {
		err = kmqtt_dump_put(&d, r);
		if (err)
			break;
	}
	cb->args[1] = (long)acl;
	cb->args[2] = (long)READ_ONCE(kmqtt_acl_generation);
	cb->args[3] = (long)r;
out:
	mutex_unlock(&b->config_lock);
	return kmqtt_dump_end(&d, err);
}

/* ---- CONFIG_APPLY ---- */

struct kmqtt_apply {
	struct kmqtt_nl_config cfg;
	struct kmqtt_users *users;
	struct kmqtt_nl_user user;	/* scratch */
	/* listeners present before, and whether the new config keeps them */
	struct sockaddr_storage old[KMQTT_MAX_LISTENERS];
	u32 nold;
	bool added[KMQTT_MAX_LISTENERS];
};

/* A user of the new table: hashed, and only once. */
static int kmqtt_apply_add_user(const struct kmqtt_nl_user_req *u,
				struct netlink_ext_ack *extack, void *arg)
{
	struct kmqtt_apply *ap = arg;
	int err;

	err = kmqtt_nl_user_cred(u, &ap->user, extack);
	if (err)
		return err;
	if (kmqtt_users_has(ap->users, ap->user.name)) {
		NL_SET_ERR_MSG_ATTR(extack, u->nest, "duplicate user");
		return -EINVAL;
	}
	err = kmqtt_users_set(ap->users, ap->user.name, &ap->user.cred);
	if (err)
		NL_SET_ERR_MSG_ATTR(extack, u->nest, "too many users");
	return err;
}

/* Everything that can fail without touching the broker. */
static int kmqtt_apply_prepare(struct kmqtt_apply *ap, struct genl_info *info)
{
	struct kmqtt_nl_req req;

	BUILD_BUG_ON(KMQTT_NL_MAX_LISTENERS != KMQTT_MAX_LISTENERS);
	kmqtt_nl_req_init(&req, info);
	/* Present but empty, the list removes every user. */
	if (info->attrs[KMQTT_A_USERS]) {
		ap->users = kmqtt_users_new();
		if (!ap->users)
			return -ENOMEM;
	}
	return kmqtt_nl_decode_config(&req, &ap->cfg, kmqtt_apply_add_user, ap);
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

	for (i = 0; i < ap->cfg.naddrs; i++) {
		for (j = 0; j < ap->nold; j++)
			if (kmqtt_ss_equal(&ap->cfg.addrs[i], &ap->old[j]))
				break;
		if (j < ap->nold)
			continue;
		err = kmqtt_listener_add(kn, &ap->cfg.addrs[i]);
		if (err) {
			kmqtt_nl_listener_errmsg(err, ap->cfg.addr_attrs[i], extack);
			while (i--)
				if (ap->added[i])
					kmqtt_listener_remove(kn, &ap->cfg.addrs[i]);
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
		for (i = 0; i < ap->cfg.naddrs; i++)
			if (kmqtt_ss_equal(&ap->cfg.addrs[i], &ap->old[j]))
				break;
		if (i == ap->cfg.naddrs)
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
		kmqtt_nl_acl_replace(b, ap->cfg.acl);
		ap->cfg.acl = NULL;
	}
	if (attrs[KMQTT_A_LIMITS]) {
		mutex_lock(&b->config_lock);
		kmqtt_limits_commit(kn, &ap->cfg.limits);
		mutex_unlock(&b->config_lock);
	}
	if (attrs[KMQTT_A_LISTENERS])
		kmqtt_apply_remove_old(ap, kn);
out_unlock:
	mutex_unlock(&kmqtt_ctl_mutex);
out:
	kmqtt_users_free(ap->users);
	if (ap->cfg.acl)
		kmqtt_acl_free(ap->cfg.acl);
	/* kvzalloc()ed: may be vmalloc memory, which kfree_sensitive() must not get. */
	kvfree_sensitive(ap, sizeof(*ap));
	return err;
}
