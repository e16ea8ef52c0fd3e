// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "kmqtt": the operator's control of the broker
 * of each network namespace. The ABI is documented in uapi/kmqtt.h. This
 * file has the family, listeners, limits, clients, retained messages and
 * statistics, and the dump helper every listing uses; nl_config.c has
 * users, the ACL and CONFIG_APPLY.
 *
 * The policies and the decoding of requests (what a policy cannot say:
 * required attributes, one of two, an address that matches its family)
 * live in the pure nl_parse.c, so that tests/fuzz/fuzz_netlink runs them
 * under libFuzzer; the handlers here do what needs the kernel. Commands
 * that change anything need CAP_NET_ADMIN in the user namespace owning the
 * network namespace (GENL_UNS_ADMIN_PERM), so a container's root manages
 * its own broker and nobody else's.
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

/* ---- helpers ---- */

struct kmqtt_net *kmqtt_nl_kn(struct genl_info *info)
{
	return kmqtt_net(genl_info_net(info));
}

struct kmqtt_net *kmqtt_nl_dump_kn(struct netlink_callback *cb)
{
	return kmqtt_net(sock_net(cb->skb->sk));
}

void kmqtt_nl_req_init(struct kmqtt_nl_req *req, struct genl_info *info)
{
	req->attrs = info->attrs;
	req->head = genlmsg_data(info->genlhdr);
	req->len = genlmsg_len(info->genlhdr);
	req->extack = info->extack;
}

void kmqtt_dump_init(struct kmqtt_nl_dump_ctx *d, struct sk_buff *skb,
		     struct netlink_callback *cb, u8 cmd, kmqtt_nl_put_fn put,
		     const void *arg)
{
	*d = (struct kmqtt_nl_dump_ctx){
		.skb = skb,
		.cb = cb,
		.put = put,
		.arg = arg,
		.cmd = cmd,
		.skip = cb->args[0],
	};
}

int kmqtt_dump_put(struct kmqtt_nl_dump_ctx *d, const void *obj)
{
	void *hdr;

	if (d->skip) {
		d->skip--;
		return 0;
	}
	hdr = genlmsg_put(d->skb, NETLINK_CB(d->cb->skb).portid,
			  d->cb->nlh->nlmsg_seq, &kmqtt_genl_family,
			  NLM_F_MULTI, d->cmd);
	if (!hdr)
		return -EMSGSIZE;
	if (d->put(d->skb, obj, d->arg)) {
		genlmsg_cancel(d->skb, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(d->skb, hdr);
	d->done++;
	return 0;
}

int kmqtt_dump_end(struct kmqtt_nl_dump_ctx *d, int err)
{
	d->cb->args[0] += d->done;
	/*
	 * Stopped because the message is full: resume in the next round,
	 * unless nothing fit in an empty message (then it never will).
	 */
	if (err && !d->skb->len)
		return -EMSGSIZE;
	return d->skb->len;
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

static int kmqtt_nl_reply(struct genl_info *info, struct sk_buff *msg,
			  void *hdr)
{
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* ---- listeners ---- */

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
	struct kmqtt_nl_req req;
	int err;

	kmqtt_nl_req_init(&req, info);
	err = kmqtt_nl_req_listener(&req, &ss);
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

static int kmqtt_nl_put_listener(struct sk_buff *skb, const void *obj,
				 const void *arg)
{
	const struct kmqtt_listener *l = obj;
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

/* At most KMQTT_MAX_LISTENERS: passing over the ones sent costs nothing. */
static int kmqtt_nl_listener_dump(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	struct kmqtt_net *kn = kmqtt_nl_dump_kn(cb);
	struct kmqtt_nl_dump_ctx d;
	struct kmqtt_listener *l;
	int err = 0;

	kmqtt_dump_init(&d, skb, cb, KMQTT_CMD_LISTENER_GET,
			kmqtt_nl_put_listener, NULL);
	mutex_lock(&kn->lock);
	list_for_each_entry(l, &kn->listeners, entry) {
		err = kmqtt_dump_put(&d, l);
		if (err)
			break;
	}
	mutex_unlock(&kn->lock);
	return kmqtt_dump_end(&d, err);
}

/* ---- limits ---- */

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
	struct kmqtt_nl_req req;
	struct kmqtt_limits l;
	int err;

	kmqtt_nl_req_init(&req, info);
	mutex_lock(&kmqtt_ctl_mutex);
	mutex_lock(&b->config_lock);
	l = b->limits;
	err = kmqtt_nl_req_limits(&req, &l);
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

/*
 * kmqtt_broker_list_clients() walks the session table from the start and
 * passes over @skip sessions on every call: batches about as large as a
 * dump round's message holds (~150 clients) keep that to a call or two per
 * round instead of one per 8 clients.
 */
#define KMQTT_NL_CLIENT_BATCH	64

static int kmqtt_nl_put_client(struct sk_buff *skb, const void *obj,
			       const void *arg)
{
	const struct kmqtt_client_info *ci = obj;
	u64 now = *(const u64 *)arg;
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

/* The broker lists sessions by index: each batch resumes at cb->args[0]. */
static int kmqtt_nl_client_dump(struct sk_buff *skb,
				struct netlink_callback *cb)
{
	struct kmqtt_broker *b = &kmqtt_nl_dump_kn(cb)->broker;
	struct kmqtt_client_info *ci;
	struct kmqtt_nl_dump_ctx d;
	u64 now = kmqtt_now_sec();
	int err = 0;
	u32 n, i;

	ci = kvmalloc_array(KMQTT_NL_CLIENT_BATCH, sizeof(*ci), GFP_KERNEL);
	if (!ci)
		return -ENOMEM;
	kmqtt_dump_init(&d, skb, cb, KMQTT_CMD_CLIENT_GET, kmqtt_nl_put_client,
			&now);
	d.skip = 0;
	do {
		n = kmqtt_broker_list_clients(b, cb->args[0] + d.done, ci,
					      KMQTT_NL_CLIENT_BATCH);
		for (i = 0; i < n && !err; i++)
			err = kmqtt_dump_put(&d, &ci[i]);
	} while (!err && n == KMQTT_NL_CLIENT_BATCH);
	kvfree(ci);
	return kmqtt_dump_end(&d, err);
}

/* CLIENT_KICK and CLIENT_DEL differ only in what they do with the id. */
static int kmqtt_nl_client_op(struct genl_info *info, bool kick)
{
	struct kmqtt_broker *b = &kmqtt_nl_kn(info)->broker;
	struct nlattr *attr = info->attrs[KMQTT_A_CLIENT_ID];
	struct kmqtt_nl_req req;
	const u8 *id;
	u16 len;
	int err;

	kmqtt_nl_req_init(&req, info);
	err = kmqtt_nl_req_client_id(&req, &id, &len);
	if (err)
		return err;
	if (kick) {
		err = kmqtt_broker_kick_client(b, id, len);
		if (err == -ENOENT)
			NL_SET_ERR_MSG_ATTR(info->extack, attr,
					    "no connected client with that id");
	} else {
		err = kmqtt_broker_remove_session(b, id, len);
		if (err == -ENOENT)
			NL_SET_ERR_MSG_ATTR(info->extack, attr,
					    "no session with that id");
	}
	return err;
}

static int kmqtt_nl_client_kick(struct sk_buff *skb, struct genl_info *info)
{
	return kmqtt_nl_client_op(info, true);
}

static int kmqtt_nl_client_del(struct sk_buff *skb, struct genl_info *info)
{
	return kmqtt_nl_client_op(info, false);
}

/* ---- retained messages ---- */

static int kmqtt_nl_put_retained(struct sk_buff *skb, const void *obj,
				 const void *arg)
{
	const struct kmqtt_msg *m = obj;
	u64 now = *(const u64 *)arg;
	struct nlattr *nest;

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
			      now > m->stored_at ? now - m->stored_at : 0,
			      KMQTT_RETAINED_A_PAD))
		return -EMSGSIZE;
	nla_nest_end(skb, nest);
	return 0;
}

static int kmqtt_nl_retained_match(struct kmqtt_msg *m, void *arg)
{
	return kmqtt_dump_put(arg, m);
}

static int kmqtt_nl_retained_dump(struct sk_buff *skb,
				  struct netlink_callback *cb)
{
	const struct genl_dumpit_info *info = genl_dumpit_info(cb);
	struct kmqtt_broker *b = &kmqtt_nl_dump_kn(cb)->broker;
	struct kmqtt_nl_dump_ctx d;
	u64 now = kmqtt_now_sec();
	const u8 *filter;
	u16 len;
	int err;

	err = kmqtt_nl_get_filter(info->attrs[KMQTT_A_FILTER],
				  READ_ONCE(b->limits.max_topic_levels),
				  &filter, &len, cb->extack);
	if (err)
		return err;
	kmqtt_dump_init(&d, skb, cb, KMQTT_CMD_RETAINED_GET,
			kmqtt_nl_put_retained, &now);
	/*
	 * The store has no stable order to resume from, so each round walks
	 * the matches again and passes over what was sent: O(n^2 / per
	 * message) for a huge listing, which an operator asks for rarely.
	 */
	err = kmqtt_retain_match(&b->retained, filter, len,
				 kmqtt_nl_retained_match, &d);
	return kmqtt_dump_end(&d, err);
}

static int kmqtt_nl_retained_del(struct sk_buff *skb, struct genl_info *info)
{
	struct kmqtt_broker *b = &kmqtt_nl_kn(info)->broker;
	struct kmqtt_nl_retained_sel sel;
	struct kmqtt_nl_req req;
	struct sk_buff *msg;
	u32 count = 0;
	void *hdr;
	int err;

	kmqtt_nl_req_init(&req, info);
	err = kmqtt_nl_req_retained_del(&req,
					READ_ONCE(b->limits.max_topic_levels),
					&sel);
	if (err)
		return err;
	if (sel.is_filter) {
		count = kmqtt_retain_delete_matching(&b->retained, sel.s,
						     sel.len);
	} else {
		err = kmqtt_retain_delete(&b->retained, sel.s, sel.len);
		if (err) {
			NL_SET_ERR_MSG_ATTR(info->extack, sel.attr,
					    "no retained message on that topic");
			return err;
		}
		count = 1;
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
