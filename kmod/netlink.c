// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "kmqtt": the operator's control of the broker
 * of each network namespace. The ABI is documented in uapi/kmqtt.h. This
 * file has the family, listeners, limits, clients, retained messages and
 * statistics; nl_config.c has users, the ACL and CONFIG_APPLY.
 *
 * Every attribute is checked by a strict policy before a handler runs; the
 * handlers check what a policy cannot say (required attributes, one of two,
 * an address that matches its family) and name the offending attribute in
 * the extended ACK, which mqttctl prints. Commands that change anything need
 * CAP_NET_ADMIN in the user namespace owning the network namespace
 * (GENL_UNS_ADMIN_PERM), so a container's root manages its own broker and
 * nobody else's.
 *
 * Locking: the family runs with parallel_ops, so hashing a password or a
 * long dump never holds the genetlink mutex every other family needs.
 * kmqtt_ctl_mutex serializes configuration writers (and makes CONFIG_APPLY
 * one transaction with respect to them); inside it, b->config_lock guards
 * the limits and ACL swaps, kn->lock the listener list and the users.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/slab.h>
#include <net/sock.h>
#include "msg.h"
#include "nl.h"

DEFINE_MUTEX(kmqtt_ctl_mutex);

/* ---- policies ---- */

static const struct nla_policy kmqtt_listener_policy[KMQTT_LISTENER_A_MAX + 1] = {
	[KMQTT_LISTENER_A_FAMILY] = { .type = NLA_U16 },
	[KMQTT_LISTENER_A_ADDR] = NLA_POLICY_RANGE(NLA_BINARY,
						   sizeof(struct in_addr),
						   sizeof(struct in6_addr)),
	[KMQTT_LISTENER_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
};

static struct netlink_range_validation kmqtt_packet_size_range = {
	.min = KMQTT_MAX_PACKET_SIZE_MIN,
	.max = KMQTT_MAX_PACKET_SIZE_MAX,
};

static struct netlink_range_validation kmqtt_topic_levels_range = {
	.min = 1,
	.max = KMQTT_MAX_TOPIC_LEVELS_MAX,
};

static const struct nla_policy kmqtt_limit_policy[KMQTT_LIMIT_A_MAX + 1] = {
	[KMQTT_LIMIT_A_MAX_CONNECTIONS] = { .type = NLA_U32 },
	[KMQTT_LIMIT_A_MAX_PACKET_SIZE] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &kmqtt_packet_size_range),
	[KMQTT_LIMIT_A_MAX_INFLIGHT] = NLA_POLICY_MIN(NLA_U16, 1),
	[KMQTT_LIMIT_A_MAX_QUEUED_MSGS] = NLA_POLICY_MIN(NLA_U32, 1),
	[KMQTT_LIMIT_A_MAX_QUEUED_BYTES] = { .type = NLA_U64 },
	[KMQTT_LIMIT_A_MAX_SUBSCRIPTIONS] = NLA_POLICY_MIN(NLA_U32, 1),
	[KMQTT_LIMIT_A_MAX_TOPIC_LEVELS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &kmqtt_topic_levels_range),
	[KMQTT_LIMIT_A_RETAINED_MAX_COUNT] = { .type = NLA_U32 },
	[KMQTT_LIMIT_A_RETAINED_MAX_MSG_BYTES] = { .type = NLA_U32 },
	[KMQTT_LIMIT_A_RETAINED_MAX_BYTES] = { .type = NLA_U64 },
	[KMQTT_LIMIT_A_MAX_KEEPALIVE] =
		NLA_POLICY_MIN(NLA_U16, KMQTT_MAX_KEEPALIVE_MIN),
	[KMQTT_LIMIT_A_CONNECT_TIMEOUT] =
		NLA_POLICY_RANGE(NLA_U16, 1, KMQTT_CONNECT_TIMEOUT_MAX),
	[KMQTT_LIMIT_A_ALLOW_ANONYMOUS] = NLA_POLICY_MAX(NLA_U8, 1),
	[KMQTT_LIMIT_A_SYS_INTERVAL] = { .type = NLA_U16 },
	[KMQTT_LIMIT_A_MAX_SESSIONS] = { .type = NLA_U32 },
};

/* Output-only attributes are left out: strict validation rejects them. */
static const struct nla_policy kmqtt_policy[KMQTT_A_MAX + 1] = {
	[KMQTT_A_LISTENER] = NLA_POLICY_NESTED(kmqtt_listener_policy),
	[KMQTT_A_LISTENERS] = NLA_POLICY_NESTED_ARRAY(kmqtt_listener_policy),
	[KMQTT_A_LIMITS] = NLA_POLICY_NESTED(kmqtt_limit_policy),
	[KMQTT_A_USER] = NLA_POLICY_NESTED(kmqtt_user_policy),
	[KMQTT_A_USERS] = NLA_POLICY_NESTED_ARRAY(kmqtt_user_policy),
	[KMQTT_A_ACL_RULES] = NLA_POLICY_NESTED_ARRAY(kmqtt_acl_policy),
	[KMQTT_A_CLIENT_ID] = { .type = NLA_NUL_STRING,
				.len = KMQTT_CLIENT_ID_MAX },
	[KMQTT_A_TOPIC] = { .type = NLA_NUL_STRING, .len = KMQTT_TOPIC_MAX },
	[KMQTT_A_FILTER] = { .type = NLA_NUL_STRING, .len = KMQTT_TOPIC_MAX },
};

/* ---- helpers ---- */

struct kmqtt_net *kmqtt_nl_kn(struct genl_info *info)
{
	return kmqtt_net(genl_info_net(info));
}

struct kmqtt_net *kmqtt_nl_dump_kn(struct netlink_callback *cb)
{
	return kmqtt_net(sock_net(cb->skb->sk));
}

void *kmqtt_dump_hdr(struct sk_buff *skb, struct netlink_callback *cb,
		     u8 cmd)
{
	return genlmsg_put(skb, NETLINK_CB(cb->skb).portid,
			   cb->nlh->nlmsg_seq, &kmqtt_genl_family,
			   NLM_F_MULTI, cmd);
}

/*
 * A dump stopped because @skb is full: resume later, unless nothing fit in
 * an empty message (then it never will).
 */
int kmqtt_dump_full(struct sk_buff *skb)
{
	return skb->len ? skb->len : -EMSGSIZE;
}

/* A string that is not NUL-terminated where it lives, truncated to @max. */
int kmqtt_nla_put_strn(struct sk_buff *skb, int type, const void *s,
		       size_t len, size_t max)
{
	struct nlattr *a;

	len = min(len, max);
	a = nla_reserve(skb, type, len + 1);
	if (!a)
		return -EMSGSIZE;
	memcpy(nla_data(a), s, len);
	((char *)nla_data(a))[len] = '\0';
	return 0;
}

const struct nlattr *kmqtt_nl_next_list(const struct genl_info *info,
					int type, const struct nlattr *prev)
{
	const struct nlattr *a;
	int rem;

	nla_for_each_attr(a, genlmsg_data(info->genlhdr),
			  genlmsg_len(info->genlhdr), rem) {
		if (prev) {
			if (a == prev)
				prev = NULL;
			continue;
		}
		if (nla_type(a) == type)
			return a;
	}
	return NULL;
}

static int kmqtt_nl_reply(struct genl_info *info, struct sk_buff *msg,
			  void *hdr)
{
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* ---- listeners ---- */

int kmqtt_nl_parse_listener(const struct nlattr *nest,
			    struct sockaddr_storage *ss,
			    struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KMQTT_LISTENER_A_MAX + 1];
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	u16 family, port;
	int err, alen;

	err = nla_parse_nested(tb, KMQTT_LISTENER_A_MAX, nest,
			       kmqtt_listener_policy, extack);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(extack, nest, tb, KMQTT_LISTENER_A_FAMILY) ||
	    NL_REQ_ATTR_CHECK(extack, nest, tb, KMQTT_LISTENER_A_ADDR) ||
	    NL_REQ_ATTR_CHECK(extack, nest, tb, KMQTT_LISTENER_A_PORT)) {
		NL_SET_ERR_MSG(extack, "listener needs family, address and port");
		return -EINVAL;
	}
	family = nla_get_u16(tb[KMQTT_LISTENER_A_FAMILY]);
	alen = nla_len(tb[KMQTT_LISTENER_A_ADDR]);
	port = nla_get_u16(tb[KMQTT_LISTENER_A_PORT]);

	if (family != AF_INET && family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KMQTT_LISTENER_A_FAMILY],
				    "family must be AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	if (alen != (family == AF_INET ? sizeof(sin->sin_addr) :
					 sizeof(sin6->sin6_addr))) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KMQTT_LISTENER_A_ADDR],
				    "address length does not match the family");
		return -EINVAL;
	}
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		nla_memcpy(&sin->sin_addr, tb[KMQTT_LISTENER_A_ADDR], alen);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		nla_memcpy(&sin6->sin6_addr, tb[KMQTT_LISTENER_A_ADDR], alen);
	}
	return 0;
}

void kmqtt_nl_listener_errmsg(int err, const struct nlattr *attr,
			      struct netlink_ext_ack *extack)
{
	switch (err) {
	case -EADDRINUSE:
		NL_SET_ERR_MSG_ATTR(extack, attr, "port in use");
		break;
	case -EEXIST:
		NL_SET_ERR_MSG_ATTR(extack, attr, "already listening there");
		break;
	case -ENOSPC:
		NL_SET_ERR_MSG_ATTR(extack, attr, "too many listeners");
		break;
	case -EADDRNOTAVAIL:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "address not available in this namespace");
		break;
	case -EAFNOSUPPORT:
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "address family not available (IPv6 off?)");
		break;
	case -ENOENT:
		NL_SET_ERR_MSG_ATTR(extack, attr, "no such listener");
		break;
	default:
		NL_SET_BAD_ATTR(extack, attr);
	}
}

/* LISTENER_ADD and LISTENER_DEL differ only in what they do with the address. */
static int kmqtt_nl_listener_op(struct genl_info *info,
				int (*op)(struct kmqtt_net *kn,
					  const struct sockaddr_storage *addr))
{
	struct nlattr *attr = info->attrs[KMQTT_A_LISTENER];
	struct sockaddr_storage ss;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KMQTT_A_LISTENER)) {
		GENL_SET_ERR_MSG(info, "listener attribute missing");
		return -EINVAL;
	}
	err = kmqtt_nl_parse_listener(attr, &ss, info->extack);
	if (err)
		return err;
	mutex_lock(&kmqtt_ctl_mutex);
	err = op(kmqtt_nl_kn(info), &ss);
	mutex_unlock(&kmqtt_ctl_mutex);
	if (err)
		kmqtt_nl_listener_errmsg(err, attr, info->extack);
	return err;
}

static int kmqtt_nl_listener_add(struct sk_buff *skb, struct genl_info *info)
{
	return kmqtt_nl_listener_op(info, kmqtt_listener_add);
}

static int kmqtt_nl_listener_del(struct sk_buff *skb, struct genl_info *info)
{
	return kmqtt_nl_listener_op(info, kmqtt_listener_remove);
}

static int kmqtt_nl_put_listener(struct sk_buff *skb,
				 const struct kmqtt_listener *l)
{
	const struct sockaddr_in6 *sin6 = (const void *)&l->addr;
	const struct sockaddr_in *sin = (const void *)&l->addr;
	struct nlattr *nest;
	int err;

	nest = nla_nest_start(skb, KMQTT_A_LISTENER);
	if (!nest)
		return -EMSGSIZE;
	if (l->addr.ss_family == AF_INET6)
		err = nla_put_u16(skb, KMQTT_LISTENER_A_FAMILY, AF_INET6) ?:
		      nla_put(skb, KMQTT_LISTENER_A_ADDR,
			      sizeof(sin6->sin6_addr), &sin6->sin6_addr) ?:
		      nla_put_u16(skb, KMQTT_LISTENER_A_PORT,
				  ntohs(sin6->sin6_port));
	else
		err = nla_put_u16(skb, KMQTT_LISTENER_A_FAMILY, AF_INET) ?:
		      nla_put(skb, KMQTT_LISTENER_A_ADDR,
			      sizeof(sin->sin_addr), &sin->sin_addr) ?:
		      nla_put_u16(skb, KMQTT_LISTENER_A_PORT,
				  ntohs(sin->sin_port));
	err = err ?: nla_put_u64_64bit(skb, KMQTT_LISTENER_A_ACCEPTED,
				       READ_ONCE(l->accepted),
				       KMQTT_LISTENER_A_PAD);
	if (err) {
		nla_nest_cancel(skb, nest);
		return err;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int kmqtt_nl_listener_dump(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct kmqtt_net *kn = kmqtt_nl_dump_kn(cb);
	struct kmqtt_listener *l;
	long idx = 0, start = cb->args[0];
	int ret = 0;
	void *hdr;

	mutex_lock(&kn->lock);
	list_for_each_entry(l, &kn->listeners, entry) {
		if (idx++ < start)
			continue;
		hdr = kmqtt_dump_hdr(skb, cb, KMQTT_CMD_LISTENER_GET);
		if (!hdr || kmqtt_nl_put_listener(skb, l)) {
			if (hdr)
				genlmsg_cancel(skb, hdr);
			idx--;
			ret = kmqtt_dump_full(skb);
			break;
		}
		genlmsg_end(skb, hdr);
	}
	mutex_unlock(&kn->lock);
	cb->args[0] = idx;
	return ret ?: skb->len;
}

/* ---- limits ---- */

/* Fill @l from the attributes present in @nest; the others stay. */
int kmqtt_nl_parse_limits(const struct nlattr *nest, struct kmqtt_limits *l,
			  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KMQTT_LIMIT_A_MAX + 1];
	int err;

	err = nla_parse_nested(tb, KMQTT_LIMIT_A_MAX, nest,
			       kmqtt_limit_policy, extack);
	if (err)
		return err;
#define GET(attr, field, type)						\
	do {								\
		if (tb[KMQTT_LIMIT_A_##attr])				\
			l->field = nla_get_##type(tb[KMQTT_LIMIT_A_##attr]); \
	} while (0)
	GET(MAX_CONNECTIONS, max_connections, u32);
	GET(MAX_PACKET_SIZE, max_packet_size, u32);
	GET(MAX_INFLIGHT, max_inflight, u16);
	GET(MAX_QUEUED_MSGS, max_queued_msgs, u32);
	GET(MAX_QUEUED_BYTES, max_queued_bytes, u64);
	GET(MAX_SUBSCRIPTIONS, max_subscriptions, u32);
	GET(MAX_TOPIC_LEVELS, max_topic_levels, u32);
	GET(RETAINED_MAX_COUNT, retained_max_count, u32);
	GET(RETAINED_MAX_MSG_BYTES, retained_max_msg_bytes, u32);
	GET(RETAINED_MAX_BYTES, retained_max_bytes, u64);
	GET(MAX_KEEPALIVE, max_keepalive, u16);
	GET(CONNECT_TIMEOUT, connect_timeout, u16);
	GET(SYS_INTERVAL, sys_interval, u16);
	GET(MAX_SESSIONS, max_sessions, u32);
#undef GET
	if (tb[KMQTT_LIMIT_A_ALLOW_ANONYMOUS])
		l->allow_anonymous =
			nla_get_u8(tb[KMQTT_LIMIT_A_ALLOW_ANONYMOUS]);
	return 0;
}

static int kmqtt_nl_put_limits(struct sk_buff *skb,
			       const struct kmqtt_limits *l)
{
	struct nlattr *nest = nla_nest_start(skb, KMQTT_A_LIMITS);
	int err;

	if (!nest)
		return -EMSGSIZE;
	err = nla_put_u32(skb, KMQTT_LIMIT_A_MAX_CONNECTIONS,
			  l->max_connections) ?:
	      nla_put_u32(skb, KMQTT_LIMIT_A_MAX_PACKET_SIZE,
			  l->max_packet_size) ?:
	      nla_put_u16(skb, KMQTT_LIMIT_A_MAX_INFLIGHT, l->max_inflight) ?:
	      nla_put_u32(skb, KMQTT_LIMIT_A_MAX_QUEUED_MSGS,
			  l->max_queued_msgs) ?:
	      nla_put_u64_64bit(skb, KMQTT_LIMIT_A_MAX_QUEUED_BYTES,
				l->max_queued_bytes, KMQTT_LIMIT_A_PAD) ?:
	      nla_put_u32(skb, KMQTT_LIMIT_A_MAX_SUBSCRIPTIONS,
			  l->max_subscriptions) ?:
	      nla_put_u32(skb, KMQTT_LIMIT_A_MAX_TOPIC_LEVELS,
			  l->max_topic_levels) ?:
	      nla_put_u32(skb, KMQTT_LIMIT_A_RETAINED_MAX_COUNT,
			  l->retained_max_count) ?:
	      nla_put_u32(skb, KMQTT_LIMIT_A_RETAINED_MAX_MSG_BYTES,
			  l->retained_max_msg_bytes) ?:
	      nla_put_u64_64bit(skb, KMQTT_LIMIT_A_RETAINED_MAX_BYTES,
				l->retained_max_bytes, KMQTT_LIMIT_A_PAD) ?:
	      nla_put_u16(skb, KMQTT_LIMIT_A_MAX_KEEPALIVE, l->max_keepalive) ?:
	      nla_put_u16(skb, KMQTT_LIMIT_A_CONNECT_TIMEOUT,
			  l->connect_timeout) ?:
	      nla_put_u8(skb, KMQTT_LIMIT_A_ALLOW_ANONYMOUS,
			 l->allow_anonymous) ?:
	      nla_put_u16(skb, KMQTT_LIMIT_A_SYS_INTERVAL, l->sys_interval) ?:
	      nla_put_u32(skb, KMQTT_LIMIT_A_MAX_SESSIONS, l->max_sessions);
	if (err) {
		nla_nest_cancel(skb, nest);
		return err;
	}
	nla_nest_end(skb, nest);
	return 0;
}

void kmqtt_limits_commit(struct kmqtt_net *kn, const struct kmqtt_limits *l)
{
	struct kmqtt_broker *b = &kn->broker;
	struct kmqtt_limits *cur = &b->limits;
	bool sys_changed = cur->sys_interval != l->sys_interval;

	lockdep_assert_held(&b->config_lock);
	WRITE_ONCE(cur->max_connections, l->max_connections);
	WRITE_ONCE(cur->max_packet_size, l->max_packet_size);
	WRITE_ONCE(cur->max_inflight, l->max_inflight);
	WRITE_ONCE(cur->max_queued_msgs, l->max_queued_msgs);
	WRITE_ONCE(cur->max_queued_bytes, l->max_queued_bytes);
	WRITE_ONCE(cur->max_subscriptions, l->max_subscriptions);
	WRITE_ONCE(cur->max_topic_levels, l->max_topic_levels);
	WRITE_ONCE(cur->retained_max_count, l->retained_max_count);
	WRITE_ONCE(cur->retained_max_msg_bytes, l->retained_max_msg_bytes);
	WRITE_ONCE(cur->retained_max_bytes, l->retained_max_bytes);
	WRITE_ONCE(cur->max_keepalive, l->max_keepalive);
	WRITE_ONCE(cur->connect_timeout, l->connect_timeout);
	WRITE_ONCE(cur->allow_anonymous, l->allow_anonymous);
	WRITE_ONCE(cur->sys_interval, l->sys_interval);
	WRITE_ONCE(cur->max_sessions, l->max_sessions);
	/* The stores enforce their own copies. */
	kmqtt_broker_sync_limits(b);

	if (sys_changed)
		kmqtt_sys_reschedule(kn);
}

static int kmqtt_nl_limit_set(struct sk_buff *skb, struct genl_info *info)
{
	struct kmqtt_net *kn = kmqtt_nl_kn(info);
	struct kmqtt_broker *b = &kn->broker;
	struct kmqtt_limits l;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KMQTT_A_LIMITS)) {
		GENL_SET_ERR_MSG(info, "limits attribute missing");
		return -EINVAL;
	}
	mutex_lock(&kmqtt_ctl_mutex);
	mutex_lock(&b->config_lock);
	l = b->limits;
	err = kmqtt_nl_parse_limits(info->attrs[KMQTT_A_LIMITS], &l,
				    info->extack);
	if (!err)
		kmqtt_limits_commit(kn, &l);
	mutex_unlock(&b->config_lock);
	mutex_unlock(&kmqtt_ctl_mutex);
	return err;
}

static int kmqtt_nl_limit_get(struct sk_buff *skb, struct genl_info *info)
{
	struct kmqtt_broker *b = &kmqtt_nl_kn(info)->broker;
	struct kmqtt_limits l;
	struct sk_buff *msg;
	void *hdr;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &kmqtt_genl_family, 0,
				KMQTT_CMD_LIMIT_GET);
	mutex_lock(&b->config_lock);
	l = b->limits;
	mutex_unlock(&b->config_lock);
	if (!hdr || kmqtt_nl_put_limits(msg, &l)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return kmqtt_nl_reply(info, msg, hdr);
}

/* ---- clients ---- */

#define KMQTT_NL_CLIENT_BATCH	8

static int kmqtt_nl_put_client(struct sk_buff *skb,
			       const struct kmqtt_client_info *ci, u64 now)
{
	struct nlattr *nest = nla_nest_start(skb, KMQTT_A_CLIENT);
	int err;

	if (!nest)
		return -EMSGSIZE;
	err = nla_put_string(skb, KMQTT_CLIENT_A_ID, ci->client_id) ?:
	      nla_put_u8(skb, KMQTT_CLIENT_A_CONNECTED, ci->connected) ?:
	      nla_put_u8(skb, KMQTT_CLIENT_A_CLEAN_SESSION,
			 ci->clean_session) ?:
	      nla_put_u8(skb, KMQTT_CLIENT_A_PROTOCOL_LEVEL, ci->level) ?:
	      nla_put_u16(skb, KMQTT_CLIENT_A_KEEPALIVE, ci->keep_alive) ?:
	      nla_put_u32(skb, KMQTT_CLIENT_A_SUBSCRIPTIONS,
			  ci->subscriptions) ?:
	      nla_put_u32(skb, KMQTT_CLIENT_A_QUEUED, ci->queued) ?:
	      nla_put_u32(skb, KMQTT_CLIENT_A_INFLIGHT, ci->inflight) ?:
	      nla_put_u64_64bit(skb, KMQTT_CLIENT_A_BYTES_IN, ci->bytes_in,
				KMQTT_CLIENT_A_PAD) ?:
	      nla_put_u64_64bit(skb, KMQTT_CLIENT_A_BYTES_OUT, ci->bytes_out,
				KMQTT_CLIENT_A_PAD) ?:
	      nla_put_u64_64bit(skb, KMQTT_CLIENT_A_MSGS_IN, ci->msgs_in,
				KMQTT_CLIENT_A_PAD) ?:
	      nla_put_u64_64bit(skb, KMQTT_CLIENT_A_MSGS_OUT, ci->msgs_out,
				KMQTT_CLIENT_A_PAD);
	if (!err && ci->username[0])
		err = nla_put_string(skb, KMQTT_CLIENT_A_USERNAME,
				     ci->username);
	if (!err && ci->peer[0])
		err = nla_put_string(skb, KMQTT_CLIENT_A_PEER, ci->peer);
	if (!err && ci->connected)
		err = nla_put_u64_64bit(skb, KMQTT_CLIENT_A_CONNECTED_FOR,
					now > ci->connected_at ?
					now - ci->connected_at : 0,
					KMQTT_CLIENT_A_PAD);
	if (err) {
		nla_nest_cancel(skb, nest);
		return err;
	}
	nla_nest_end(skb, nest);
	return 0;
}

static int kmqtt_nl_client_dump(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct kmqtt_broker *b = &kmqtt_nl_dump_kn(cb)->broker;
	struct kmqtt_client_info *ci;
	u64 now = kmqtt_now_sec();
	int ret = 0;
	u32 n, i;
	void *hdr;

	ci = kmalloc_array(KMQTT_NL_CLIENT_BATCH, sizeof(*ci), GFP_KERNEL);
	if (!ci)
		return -ENOMEM;
	for (;;) {
		n = kmqtt_broker_list_clients(b, cb->args[0], ci,
					      KMQTT_NL_CLIENT_BATCH);
		for (i = 0; i < n; i++) {
			hdr = kmqtt_dump_hdr(skb, cb, KMQTT_CMD_CLIENT_GET);
			if (!hdr || kmqtt_nl_put_client(skb, &ci[i], now)) {
				if (hdr)
					genlmsg_cancel(skb, hdr);
				ret = kmqtt_dump_full(skb);
				goto out;
			}
			genlmsg_end(skb, hdr);
			cb->args[0]++;
		}
		if (n < KMQTT_NL_CLIENT_BATCH)
			break;
	}
out:
	kfree(ci);
	return ret ?: skb->len;
}

static int kmqtt_nl_client_kick(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *id = info->attrs[KMQTT_A_CLIENT_ID];
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KMQTT_A_CLIENT_ID)) {
		GENL_SET_ERR_MSG(info, "client id missing");
		return -EINVAL;
	}
	err = kmqtt_broker_kick_client(&kmqtt_nl_kn(info)->broker,
				       nla_data(id), strlen(nla_data(id)));
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, id,
				    "no connected client with that id");
	return err;
}

static int kmqtt_nl_client_del(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *id = info->attrs[KMQTT_A_CLIENT_ID];
	int err;

	if (GENL_REQ_ATTR_CHECK(info, KMQTT_A_CLIENT_ID)) {
		GENL_SET_ERR_MSG(info, "client id missing");
		return -EINVAL;
	}
	err = kmqtt_broker_remove_session(&kmqtt_nl_kn(info)->broker,
					  nla_data(id), strlen(nla_data(id)));
	if (err == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, id, "no session with that id");
	return err;
}

/* ---- retained messages ---- */

struct kmqtt_nl_retained_ctx {
	struct kmqtt_nl_dump_ctx d;
	long skip;
	u64 now;
};

static int kmqtt_nl_retained_put(struct kmqtt_msg *m, void *arg)
{
	struct kmqtt_nl_retained_ctx *ctx = arg;
	struct sk_buff *skb = ctx->d.skb;
	struct nlattr *nest;
	void *hdr;

	if (ctx->skip) {
		ctx->skip--;
		return 0;
	}
	hdr = kmqtt_dump_hdr(skb, ctx->d.cb, KMQTT_CMD_RETAINED_GET);
	if (!hdr)
		return -EMSGSIZE;
	nest = nla_nest_start(skb, KMQTT_A_RETAINED);
	if (!nest ||
	    kmqtt_nla_put_strn(skb, KMQTT_RETAINED_A_TOPIC, kmqtt_msg_topic(m),
			       m->topic_len, KMQTT_DUMP_TOPIC_MAX) ||
	    nla_put_u32(skb, KMQTT_RETAINED_A_TOPIC_LEN, m->topic_len) ||
	    nla_put(skb, KMQTT_RETAINED_A_PAYLOAD,
		    min_t(u32, m->payload_len, KMQTT_DUMP_PAYLOAD_MAX),
		    m->payload) ||
	    nla_put_u32(skb, KMQTT_RETAINED_A_PAYLOAD_LEN, m->payload_len) ||
	    nla_put_u8(skb, KMQTT_RETAINED_A_QOS, m->qos) ||
	    nla_put_u64_64bit(skb, KMQTT_RETAINED_A_AGE,
			      ctx->now > m->stored_at ?
			      ctx->now - m->stored_at : 0,
			      KMQTT_RETAINED_A_PAD)) {
		genlmsg_cancel(skb, hdr);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	genlmsg_end(skb, hdr);
	ctx->d.done++;
	return 0;
}

/* A valid filter from @attr, or "#" when absent. */
static int kmqtt_nl_get_filter(struct kmqtt_broker *b, const struct nlattr *attr,
			       const u8 **filter, u16 *len,
			       struct netlink_ext_ack *extack)
{
	if (!attr) {
		*filter = (const u8 *)"#";
		*len = 1;
		return 0;
	}
	*filter = nla_data(attr);
	*len = strlen(nla_data(attr));
	if (!mqtt_topic_filter_valid(*filter, *len,
				     READ_ONCE(b->limits.max_topic_levels))) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "invalid topic filter");
		return -EINVAL;
	}
	return 0;
}

static int kmqtt_nl_retained_dump(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct kmqtt_broker *b = &kmqtt_nl_dump_kn(cb)->broker;
	struct kmqtt_nl_retained_ctx ctx = {
		.d = { .skb = skb, .cb = cb },
		.skip = cb->args[0],
		.now = kmqtt_now_sec(),
	};
	const u8 *filter;
	u16 len;
	int ret;

	ret = kmqtt_nl_get_filter(b, info->attrs[KMQTT_A_FILTER], &filter,
				  &len, cb->extack);
	if (ret)
		return ret;
	/*
	 * The store has no stable order to resume from, so each round walks
	 * the matches again and skips what was sent: O(n^2 / per-message) for
	 * a huge listing, which an operator asks for rarely.
	 */
	ret = kmqtt_retain_match(&b->retained, filter, len,
				 kmqtt_nl_retained_put, &ctx);
	cb->args[0] += ctx.d.done;
	return ret ? kmqtt_dump_full(skb) : skb->len;
}

static int kmqtt_nl_retained_del(struct sk_buff *skb, struct genl_info *info)
{
	struct kmqtt_broker *b = &kmqtt_nl_kn(info)->broker;
	struct nlattr *topic = info->attrs[KMQTT_A_TOPIC];
	struct nlattr *filter_attr = info->attrs[KMQTT_A_FILTER];
	struct sk_buff *msg;
	const u8 *filter;
	u32 count = 0;
	void *hdr;
	u16 len;
	int err;

	if (!topic == !filter_attr) {
		GENL_SET_ERR_MSG(info, "give exactly one of topic and filter");
		return -EINVAL;
	}
	if (topic) {
		len = strlen(nla_data(topic));
		if (!mqtt_topic_name_valid(nla_data(topic), len, 0)) {
			NL_SET_ERR_MSG_ATTR(info->extack, topic,
					    "invalid topic name");
			return -EINVAL;
		}
		err = kmqtt_retain_delete(&b->retained, nla_data(topic), len);
		if (err) {
			NL_SET_ERR_MSG_ATTR(info->extack, topic,
					    "no retained message on that topic");
			return err;
		}
		count = 1;
	} else {
		err = kmqtt_nl_get_filter(b, filter_attr, &filter, &len,
					  info->extack);
		if (err)
			return err;
		count = kmqtt_retain_delete_matching(&b->retained, filter, len);
	}

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &kmqtt_genl_family, 0,
				KMQTT_CMD_RETAINED_DEL);
	if (!hdr || nla_put_u32(msg, KMQTT_A_COUNT, count)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return kmqtt_nl_reply(info, msg, hdr);
}

/* ---- statistics ---- */

static int kmqtt_nl_put_counter(struct sk_buff *skb, const char *name, u64 v)
{
	struct nlattr *nest = nla_nest_start(skb, 0);

	if (!nest || nla_put_string(skb, KMQTT_COUNTER_A_NAME, name) ||
	    nla_put_u64_64bit(skb, KMQTT_COUNTER_A_VALUE, v,
			      KMQTT_COUNTER_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int kmqtt_nl_stats_get(struct sk_buff *skb, struct genl_info *info)
{
	struct kmqtt_net *kn = kmqtt_nl_kn(info);
	u64 gauges[KMQTT_GAUGE_COUNT];
	struct nlattr *list;
	struct sk_buff *msg;
	int i, err = -EMSGSIZE;
	u64 *counters;
	void *hdr;

	counters = kcalloc(KMQTT_STAT_COUNT, sizeof(*counters), GFP_KERNEL);
	msg = genlmsg_new(2 * NLMSG_GOODSIZE, GFP_KERNEL);
	if (!counters || !msg) {
		err = -ENOMEM;
		goto out;
	}
	kmqtt_stats_read(&kn->broker.stats, counters);
	kmqtt_gauges_read(kn, gauges);

	hdr = genlmsg_put_reply(msg, info, &kmqtt_genl_family, 0,
				KMQTT_CMD_STATS_GET);
	if (!hdr || nla_put_string(msg, KMQTT_A_VERSION, KMQTT_VERSION_STR))
		goto out;
	list = nla_nest_start(msg, KMQTT_A_STATS);
	if (!list)
		goto out;
	for (i = 0; i < KMQTT_STAT_COUNT; i++)
		if (kmqtt_nl_put_counter(msg, kmqtt_stat_name(i), counters[i]))
			goto out;
	for (i = 0; i < KMQTT_GAUGE_COUNT; i++)
		if (kmqtt_nl_put_counter(msg, kmqtt_gauge_name(i), gauges[i]))
			goto out;
	nla_nest_end(msg, list);
	kfree(counters);
	return kmqtt_nl_reply(info, msg, hdr);
out:
	nlmsg_free(msg);
	kfree(counters);
	return err;
}

/* ---- the family ---- */

static const struct genl_ops kmqtt_genl_ops[] = {
	{
		.cmd = KMQTT_CMD_LISTENER_ADD,
		.doit = kmqtt_nl_listener_add,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = KMQTT_CMD_LISTENER_DEL,
		.doit = kmqtt_nl_listener_del,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = KMQTT_CMD_LISTENER_GET,
		.dumpit = kmqtt_nl_listener_dump,
	}, {
		.cmd = KMQTT_CMD_LIMIT_SET,
		.doit = kmqtt_nl_limit_set,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = KMQTT_CMD_LIMIT_GET,
		.doit = kmqtt_nl_limit_get,
	}, {
		.cmd = KMQTT_CMD_USER_ADD,
		.doit = kmqtt_nl_user_add,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = KMQTT_CMD_USER_DEL,
		.doit = kmqtt_nl_user_del,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		/* Password hashes are secrets. */
		.cmd = KMQTT_CMD_USER_GET,
		.dumpit = kmqtt_nl_user_dump,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = KMQTT_CMD_ACL_SET,
		.doit = kmqtt_nl_acl_set,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = KMQTT_CMD_ACL_GET,
		.dumpit = kmqtt_nl_acl_dump,
	}, {
		.cmd = KMQTT_CMD_CLIENT_GET,
		.dumpit = kmqtt_nl_client_dump,
	}, {
		.cmd = KMQTT_CMD_CLIENT_KICK,
		.doit = kmqtt_nl_client_kick,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		/* Retained payloads would bypass the ACL. */
		.cmd = KMQTT_CMD_RETAINED_GET,
		.dumpit = kmqtt_nl_retained_dump,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = KMQTT_CMD_RETAINED_DEL,
		.doit = kmqtt_nl_retained_del,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = KMQTT_CMD_STATS_GET,
		.doit = kmqtt_nl_stats_get,
	}, {
		.cmd = KMQTT_CMD_CONFIG_APPLY,
		.doit = kmqtt_nl_config_apply,
		.flags = GENL_UNS_ADMIN_PERM,
	}, {
		.cmd = KMQTT_CMD_CLIENT_DEL,
		.doit = kmqtt_nl_client_del,
		.flags = GENL_UNS_ADMIN_PERM,
	},
};

struct genl_family kmqtt_genl_family __ro_after_init = {
	.name = KMQTT_GENL_NAME,
	.version = KMQTT_GENL_VERSION,
	.maxattr = KMQTT_A_MAX,
	.policy = kmqtt_policy,
	.netnsok = true,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.ops = kmqtt_genl_ops,
	.n_ops = ARRAY_SIZE(kmqtt_genl_ops),
	.resv_start_op = 0,	/* validate every command strictly */
};

int __init kmqtt_netlink_init(void)
{
	return genl_register_family(&kmqtt_genl_family);
}

void kmqtt_netlink_exit(void)
{
	genl_unregister_family(&kmqtt_genl_family);
}
