// SPDX-License-Identifier: GPL-2.0
/*
 * The broker: limits, lifecycle, fan-out of a published message to the
 * sessions whose subscriptions match, and the administrator's view of the
 * sessions. See session.c for the locks.
 *
 * Fan-out takes no global lock: matching walks the topic tree under RCU
 * and collects (session, granted QoS) pairs; they are sorted by session so
 * that a session with several matching filters gets the message once at
 * its highest QoS, each session is pinned with refcount_inc_not_zero(), and
 * only then, outside RCU, one reference of the one message is queued for
 * each, under that session's own spinlock. A full queue drops (counted);
 * before that, a queue past its high watermark asks the publisher to pause
 * (session.h, "Backpressure"), which the engine does by not reading it. A
 * subscriber that does not drain never holds a publisher back for long.
 */
#include "shim.h"
#include "engine.h"

void kmqtt_limits_default(struct kmqtt_limits *l)
{
	memset(l, 0, sizeof(*l));
	l->max_connections = 0;
	l->max_packet_size = 256 * 1024;
	l->max_inflight = 20;
	l->max_queued_msgs = 1000;
	l->max_queued_bytes = 0;
	l->max_subscriptions = 10000;
	l->max_topic_levels = KMQTT_DEFAULT_MAX_LEVELS;
	l->retained_max_count = 100000;
	l->retained_max_msg_bytes = l->max_packet_size;
	l->retained_max_bytes = 64ull << 20;
	l->max_keepalive = 65535;
	l->connect_timeout = 10;
	l->allow_anonymous = true;
	l->sys_interval = 10;
	l->max_sessions = 100000;
}

#define KMQTT_SYNC(dst, src)					\
	do {							\
		__typeof__(dst) __v = (src);			\
		if (READ_ONCE(dst) != __v)			\
			WRITE_ONCE(dst, __v);			\
	} while (0)

void kmqtt_broker_sync_limits(struct kmqtt_broker *b)
{
	struct kmqtt_limits *l = &b->limits;

	KMQTT_SYNC(b->subs.max_levels, READ_ONCE(l->max_topic_levels));
	KMQTT_SYNC(b->retained.max_count, READ_ONCE(l->retained_max_count));
	KMQTT_SYNC(b->retained.max_msg_bytes,
		   READ_ONCE(l->retained_max_msg_bytes));
	KMQTT_SYNC(b->retained.max_bytes, READ_ONCE(l->retained_max_bytes));
}

int kmqtt_broker_init(struct kmqtt_broker *b, const struct kmqtt_broker_ops *ops,
		      void *ops_data)
{
	int err;

	kmqtt_limits_default(&b->limits);
	mutex_init(&b->config_lock);
	mutex_init(&b->sessions_lock);
	b->ops = ops;
	b->ops_data = ops_data;
	RCU_INIT_POINTER(b->acl, NULL);
	atomic_set(&b->connections, 0);
	b->shutting_down = false;
	b->sessions = NULL;
	spin_lock_init(&b->paused_lock);
	INIT_LIST_HEAD(&b->paused);
	b->paused_gen = 0;

	err = kmqtt_stats_init(&b->stats);
	if (err)
		return err;
	err = kmqtt_topic_tree_init(&b->subs);
	if (err)
		goto err_stats;
	err = kmqtt_retain_init(&b->retained);
	if (err)
		goto err_tree;
	err = kmqtt_sessions_init(b);
	if (err)
		goto err_retain;
	kmqtt_broker_sync_limits(b);
	return 0;

err_retain:
	kmqtt_retain_destroy(&b->retained);
err_tree:
	kmqtt_topic_tree_destroy(&b->subs);
err_stats:
	kmqtt_stats_destroy(&b->stats);
	return err;
}

void kmqtt_broker_destroy(struct kmqtt_broker *b)
{
	struct kmqtt_acl *acl;

	WRITE_ONCE(b->shutting_down, true);
	kmqtt_sessions_destroy(b);
	kmqtt_retain_destroy(&b->retained);
	kmqtt_topic_tree_destroy(&b->subs);
	acl = rcu_dereference_protected(b->acl, 1);
	RCU_INIT_POINTER(b->acl, NULL);
	if (acl) {
		synchronize_rcu();
		kmqtt_acl_free(acl);
	}
	kmqtt_stats_destroy(&b->stats);
	mutex_destroy(&b->sessions_lock);
	mutex_destroy(&b->config_lock);
}

int kmqtt_broker_retain(struct kmqtt_broker *b, struct kmqtt_msg *msg)
{
	int err;

	kmqtt_broker_sync_limits(b);
	err = kmqtt_retain_set(&b->retained, msg);
	if (err)
		kmqtt_stat_inc(&b->stats, KMQTT_STAT_RETAIN_REFUSED);
	return err;
}

/* ---- fan-out ---- */

struct fanout_target {
	struct kmqtt_session *s;
	u8 qos;
};

#define KMQTT_FANOUT_STACK	16
#define KMQTT_FANOUT_RETRIES	3

struct fanout_ctx {
	struct fanout_target *t;
	u32 n;
	u32 cap;
	u32 missed;		/* matches that found no room */
	bool grow;		/* may grow with GFP_ATOMIC (first pass) */
	struct fanout_target stack[KMQTT_FANOUT_STACK];
};

static void fanout_free(struct fanout_ctx *ctx)
{
	if (ctx->t != ctx->stack)
		kvfree(ctx->t);
	ctx->t = ctx->stack;
	ctx->cap = KMQTT_FANOUT_STACK;
}

/* Under rcu_read_lock(): no sleeping, atomic allocations only. */
static void fanout_collect(struct kmqtt_subscription *sub, void *arg)
{
	struct fanout_ctx *ctx = arg;

	if (ctx->n == ctx->cap) {
		struct fanout_target *t = NULL;

		/* Bounded by the subscriptions in the tree. */
		if (ctx->grow && ctx->cap < (1u << 24))
			t = kmalloc(ctx->cap * 2 * sizeof(*t),
				    GFP_ATOMIC | __GFP_NOWARN);
		if (!t) {
			ctx->grow = false;
			ctx->missed++;
			return;
		}
		memcpy(t, ctx->t, ctx->n * sizeof(*t));
		if (ctx->t != ctx->stack)
			kvfree(ctx->t);
		ctx->t = t;
		ctx->cap *= 2;
	}
	ctx->t[ctx->n].s = sub->owner;
	ctx->t[ctx->n].qos = READ_ONCE(sub->qos);
	ctx->n++;
}

static bool target_less(const struct fanout_target *a,
			const struct fanout_target *b)
{
	return (unsigned long)a->s < (unsigned long)b->s;
}

static void sift_down(struct fanout_target *t, u32 root, u32 n)
{
	for (;;) {
		u32 child = 2 * root + 1;
		struct fanout_target tmp;

		if (child >= n)
			return;
		if (child + 1 < n && target_less(&t[child], &t[child + 1]))
			child++;
		if (!target_less(&t[root], &t[child]))
			return;
		tmp = t[root];
		t[root] = t[child];
		t[child] = tmp;
		root = child;
	}
}

/* Heapsort: O(n log n), no recursion, no allocation (we are under RCU). */
static void targets_sort(struct fanout_target *t, u32 n)
{
	struct fanout_target tmp;
	u32 i;

	if (n < 2)
		return;
	for (i = n / 2; i-- > 0;)
		sift_down(t, i, n);
	for (i = n - 1; i > 0; i--) {
		tmp = t[0];
		t[0] = t[i];
		t[i] = tmp;
		sift_down(t, 0, i);
	}
}

/* One entry per session at its highest QoS; pin each. Under RCU. */
static u32 targets_dedup_pin(struct fanout_target *t, u32 n)
{
	u32 i, m = 0;

	targets_sort(t, n);
	for (i = 0; i < n; i++) {
		if (m && t[m - 1].s == t[i].s) {
			t[m - 1].qos = max(t[m - 1].qos, t[i].qos);
			continue;
		}
		t[m++] = t[i];
	}
	for (i = 0; i < m; i++)
		if (!refcount_inc_not_zero(&t[i].s->refs))
			t[i].s = NULL;
	return m;
}

static bool session_may_receive(struct kmqtt_broker *b,
				struct kmqtt_session *s,
				const struct kmqtt_msg *msg)
{
	const struct kmqtt_acl *acl;
	struct kmqtt_name *name;
	bool ok = true;

	rcu_read_lock();
	acl = rcu_dereference(b->acl);
	if (acl) {
		name = rcu_dereference(s->username);
		ok = kmqtt_acl_check(acl, name ? name->s : NULL, s->id,
				     kmqtt_msg_topic(msg), msg->topic_len,
				     KMQTT_ACL_OP_RECEIVE);
	}
	rcu_read_unlock();
	return ok;
}

static bool deliver_one(struct kmqtt_broker *b, struct kmqtt_session *s,
			struct kmqtt_msg *msg, u8 qos, bool *congested)
{
	struct kmqtt_qent *qe;

	/* Offline sessions take no QoS 0: skip the allocation early. */
	if (!qos && !READ_ONCE(s->client))
		return false;
	if (!session_may_receive(b, s, msg))
		return false;
	qe = kmqtt_qent_alloc(GFP_KERNEL);
	if (!qe) {
		kmqtt_stat_inc(&b->stats, KMQTT_STAT_DROPPED_NO_MEMORY);
		return false;
	}
	if (kmqtt_session_enqueue(s, msg, qos, 0, qe,
				  congested) == KMQTT_ENQ_QUEUED)
		return true;
	kmqtt_qent_free(qe);
	return false;
}

int kmqtt_fanout(struct kmqtt_broker *b, struct kmqtt_msg *msg,
		 const struct kmqtt_session *from, bool *congested,
		 u32 *targets)
{
	struct fanout_ctx ctx;
	int queued = 0, tries = 0;
	u32 i, n;

	ctx.t = ctx.stack;
	ctx.cap = KMQTT_FANOUT_STACK;
	ctx.grow = true;
	for (;;) {
		ctx.n = 0;
		ctx.missed = 0;
		rcu_read_lock();
		kmqtt_topic_match(&b->subs, kmqtt_msg_topic(msg),
				  msg->topic_len, fanout_collect, &ctx);
		if (!ctx.missed || ++tries >= KMQTT_FANOUT_RETRIES)
			break;
		rcu_read_unlock();
		/* Too many for an atomic allocation: size it and match again. */
		n = ctx.n + ctx.missed;
		n += n / 4 + KMQTT_FANOUT_STACK;
		fanout_free(&ctx);
		ctx.t = kvcalloc(n, sizeof(*ctx.t), GFP_KERNEL);
		if (!ctx.t) {
			ctx.t = ctx.stack;
			rcu_read_lock();
			break;
		}
		ctx.cap = n;
		ctx.grow = false;
	}
	n = targets_dedup_pin(ctx.t, ctx.n);
	rcu_read_unlock();
	if (ctx.missed)
		kmqtt_stat_add(&b->stats, KMQTT_STAT_DROPPED_NO_MEMORY,
			       ctx.missed);

	if (targets)
		*targets += n;
	for (i = 0; i < n; i++) {
		struct kmqtt_session *s = ctx.t[i].s;

		if (!s)
			continue;
		/* Never paused by its own queue: it must read its PUBACKs. */
		if (deliver_one(b, s, msg, min(msg->qos, ctx.t[i].qos),
				s == from ? NULL : congested))
			queued++;
		kmqtt_session_put(s);
	}
	fanout_free(&ctx);
	return queued;
}

int kmqtt_broker_publish(struct kmqtt_broker *b, const u8 *topic, u16 tlen,
			 const u8 *payload, u32 plen, u8 qos, bool retain)
{
	struct kmqtt_msg *msg;
	int n;

	if (qos > 2 || plen > MQTT_MAX_REMAINING - 4 - tlen ||
	    !mqtt_topic_name_valid(topic, tlen,
				   READ_ONCE(b->limits.max_topic_levels)))
		return -EINVAL;
	msg = kmqtt_msg_new(topic, tlen, payload, plen, qos, retain,
			    GFP_KERNEL);
	if (!msg) {
		kmqtt_stat_inc(&b->stats, KMQTT_STAT_DROPPED_NO_MEMORY);
		return -ENOMEM;
	}
	if (retain)
		kmqtt_broker_retain(b, msg);
	n = kmqtt_fanout(b, msg, NULL, NULL, NULL);
	kmqtt_msg_put(msg);
	return n;
}

/* ---- administration ---- */

static void client_info(struct kmqtt_session *s, struct kmqtt_client_info *ci)
{
	struct kmqtt_client *c;
	struct kmqtt_name *name;

	memset(ci, 0, sizeof(*ci));
	memcpy(ci->client_id, s->id, s->id_len + 1);
	rcu_read_lock();
	name = rcu_dereference(s->username);
	if (name)
		scnprintf(ci->username, sizeof(ci->username), "%s", name->s);
	rcu_read_unlock();
	ci->clean_session = READ_ONCE(s->clean);
	ci->subscriptions = READ_ONCE(s->sub_count);

	spin_lock_bh(&s->lock);
	c = s->client;
	ci->queued = s->queued;
	ci->inflight = s->inflight_count;
	if (c) {
		ci->connected = true;
		memcpy(ci->peer, c->peer, sizeof(ci->peer));
		ci->level = c->level;
		ci->keep_alive = c->keep_alive;
		ci->bytes_in = READ_ONCE(c->bytes_in);
		ci->bytes_out = READ_ONCE(c->bytes_out);
		ci->msgs_in = READ_ONCE(c->msgs_in);
		ci->msgs_out = READ_ONCE(c->msgs_out);
		ci->connected_at = c->connected_at;
	}
	spin_unlock_bh(&s->lock);
}

u32 kmqtt_broker_list_clients(struct kmqtt_broker *b, u32 skip,
			      struct kmqtt_client_info *out, u32 max)
{
	struct kmqtt_session *s;
	u32 i, seen = 0, n = 0;

	mutex_lock(&b->sessions_lock);
	for (i = 0; b->sessions && i < (1u << b->sessions_hash_bits); i++) {
		hlist_for_each_entry(s, &b->sessions[i], hnode) {
			if (n >= max)
				goto out;
			if (seen++ < skip)
				continue;
			client_info(s, &out[n++]);
		}
		/* 100000 sessions under a mutex: let the CPU go meanwhile. */
		cond_resched();
	}
out:
	mutex_unlock(&b->sessions_lock);
	return n;
}

int kmqtt_broker_kick_client(struct kmqtt_broker *b, const u8 *client_id,
			     u16 len)
{
	struct kmqtt_session *s;
	int ret = -ENOENT;

	mutex_lock(&b->sessions_lock);
	s = kmqtt_session_lookup(b, client_id, len);
	if (s) {
		spin_lock_bh(&s->lock);
		if (s->client) {
			kmqtt_client_kill(s->client);
			ret = 0;
		}
		spin_unlock_bh(&s->lock);
	}
	mutex_unlock(&b->sessions_lock);
	return ret;
}

int kmqtt_broker_remove_session(struct kmqtt_broker *b, const u8 *client_id,
				u16 len)
{
	struct kmqtt_session *s;
	bool attached;

	mutex_lock(&b->sessions_lock);
	s = kmqtt_session_lookup(b, client_id, len);
	if (!s) {
		mutex_unlock(&b->sessions_lock);
		return -ENOENT;
	}
	mutex_lock(&s->op_lock);
	attached = s->client != NULL;
	if (attached) {
		/* Discarded when its connection closes, as a clean session. */
		s->clean = true;
		spin_lock_bh(&s->lock);
		kmqtt_client_kill(s->client);
		spin_unlock_bh(&s->lock);
	}
	mutex_unlock(&s->op_lock);
	if (!attached)
		kmqtt_session_unhash(s);
	mutex_unlock(&b->sessions_lock);
	if (!attached)
		kmqtt_session_discard(s);
	return 0;
}
