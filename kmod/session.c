// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions: subscriptions, the outgoing QoS 1/2 window with its queue, and
 * the incoming QoS 2 ids awaiting PUBREL, for one client identifier.
 *
 * Lock order (outermost first); never two locks of the same class at once:
 *
 *   broker->sessions_lock (mutex)  the id hash; connect, disconnect, admin
 *   session->op_lock      (mutex)  the owner's side (see session.h)
 *   topic tree / retained store locks (mutexes, topic.c / retain.c)
 *   session->lock         (spinlock, bh)  queue, window, attached client
 *     -> transport hooks wake_tx / close, which never sleep
 *   broker->paused_lock   (spinlock, bh)  paused publishers (engine.c); taken
 *     after session->lock is released, never inside it
 *     -> transport hook wake_rx, which never sleeps
 *
 * RCU read-side sections (topic matching, ACL checks, user names) nest
 * inside any of these and never sleep. Publishers on any CPU only ever take
 * the spinlocks of the sessions they deliver to, one at a time.
 *
 * Bounded work: sessions_lock is held only for constant-time steps (lookup,
 * hash insert, unhash); what grows with a client's subscriptions or queue
 * (kmqtt_session_discard()) runs after it is released, under the session's
 * own op_lock, and reschedules as it goes.
 *
 * Lifetime: the hash holds one reference, an attached client another, and a
 * publisher a temporary one found through a subscription in the topic tree.
 * The tree does not hold references: teardown (kmqtt_session_discard())
 * removes every subscription first, and the memory is freed after an RCU
 * grace period, so a publisher that found a subscription just before it
 * went can still try refcount_inc_not_zero() safely. A publisher that wins
 * that race finds the session dead under its lock and queues nothing.
 */
#include "shim.h"
#include "session.h"

struct kmqtt_sess_sub {
	struct hlist_node hnode;
	struct kmqtt_subscription *sub;	/* in broker->subs */
	u16 len;
	u8 filter[];
};

#define KMQTT_SESSIONS_MIN_BITS		8
#define KMQTT_SESSIONS_MAX_BITS		20
#define KMQTT_SUBS_MIN_BITS		2
#define KMQTT_SUBS_MAX_BITS		16

/* ---- the id hash (sessions_lock) ---- */

static struct hlist_head *sessions_bucket(struct kmqtt_broker *b,
					  const u8 *id, u16 len)
{
	u32 h = jhash(id, len, 0);

	return &b->sessions[h & ((1u << b->sessions_hash_bits) - 1)];
}

int kmqtt_sessions_init(struct kmqtt_broker *b)
{
	b->sessions_hash_bits = KMQTT_SESSIONS_MIN_BITS;
	b->sessions = kvcalloc(1u << b->sessions_hash_bits,
			       sizeof(*b->sessions), GFP_KERNEL);
	b->session_count = 0;
	return b->sessions ? 0 : -ENOMEM;
}

/* Keep chains short as the session count grows; failure is harmless. */
static void sessions_grow(struct kmqtt_broker *b)
{
	u32 bits = b->sessions_hash_bits, i;
	struct hlist_head *old = b->sessions, *tbl;
	struct kmqtt_session *s;
	struct hlist_node *tmp;

	if (b->session_count <= (2u << bits) || bits >= KMQTT_SESSIONS_MAX_BITS)
		return;
	tbl = kvcalloc(1u << (bits + 1), sizeof(*tbl),
		       GFP_KERNEL | __GFP_NOWARN);
	if (!tbl)
		return;
	b->sessions = tbl;
	b->sessions_hash_bits = bits + 1;
	for (i = 0; i < (1u << bits); i++) {
		hlist_for_each_entry_safe(s, tmp, &old[i], hnode) {
			hlist_del(&s->hnode);
			hlist_add_head(&s->hnode,
				       sessions_bucket(b, (const u8 *)s->id,
						       s->id_len));
		}
	}
	kvfree(old);
}

struct kmqtt_session *kmqtt_session_lookup(struct kmqtt_broker *b,
					   const u8 *id, u16 len)
{
	struct kmqtt_session *s;

	lockdep_assert_held(&b->sessions_lock);
	hlist_for_each_entry(s, sessions_bucket(b, id, len), hnode) {
		if (s->id_len == len && !memcmp(s->id, id, len))
			return s;
	}
	return NULL;
}

struct kmqtt_session *kmqtt_session_create(struct kmqtt_broker *b,
					   const u8 *id, u16 len, bool clean)
{
	struct kmqtt_session *s;

	lockdep_assert_held(&b->sessions_lock);
	s = kzalloc(struct_size(s, id, len + 1), GFP_KERNEL);
	if (!s)
		return NULL;
	refcount_set(&s->refs, 1);
	s->b = b;
	mutex_init(&s->op_lock);
	spin_lock_init(&s->lock);
	INIT_LIST_HEAD(&s->inflight);
	INIT_LIST_HEAD(&s->queue);
	s->clean = clean;
	s->created_at = kmqtt_now_sec();
	s->id_len = len;
	memcpy(s->id, id, len);
	s->id[len] = '\0';
	hlist_add_head(&s->hnode, sessions_bucket(b, id, len));
	b->session_count++;
	sessions_grow(b);
	return s;
}

void kmqtt_session_put(struct kmqtt_session *s)
{
	struct kmqtt_name *name;

	if (!refcount_dec_and_test(&s->refs))
		return;
	/* kmqtt_session_discard() emptied everything before its put. */
	WARN_ON(s->sub_count || !list_empty(&s->queue) ||
		!list_empty(&s->inflight) || s->client);
	name = rcu_dereference_protected(s->username, 1);
	kfree(name);
	mutex_destroy(&s->op_lock);
	kfree_rcu(s, rcu);
}

/*
 * Free @list's entries, process context, no spinlock held: a discarded
 * queue may hold max_queued_msgs of them, so yield now and then.
 */
static void free_entries(struct list_head *list)
{
	struct kmqtt_qent *e, *tmp;
	u32 n = 0;

	list_for_each_entry_safe(e, tmp, list, entry) {
		list_del(&e->entry);
		kmqtt_msg_put(e->msg);
		kmqtt_qent_free(e);
		if (!(++n % 256))
			cond_resched();
	}
}

/* Up to max_subscriptions (10000 by default) tree removals: yield. */
static void unsubscribe_all(struct kmqtt_session *s)
{
	struct kmqtt_sess_sub *ss;
	struct hlist_node *tmp;
	u32 i;

	if (!s->subs)
		return;
	for (i = 0; i < (1u << s->subs_bits); i++) {
		hlist_for_each_entry_safe(ss, tmp, &s->subs[i], hnode) {
			hlist_del(&ss->hnode);
			kmqtt_topic_unsubscribe(&s->b->subs, ss->sub);
			kfree(ss);
		}
		cond_resched();
	}
	WRITE_ONCE(s->sub_count, 0);
	kvfree(s->subs);
	s->subs = NULL;
	s->subs_bits = 0;
}

void kmqtt_session_unhash(struct kmqtt_session *s)
{
	struct kmqtt_broker *b = s->b;
	bool pressured;

	lockdep_assert_held(&b->sessions_lock);
	if (!hlist_unhashed(&s->hnode)) {
		hlist_del_init(&s->hnode);
		b->session_count--;
	}

	mutex_lock(&s->op_lock);
	spin_lock_bh(&s->lock);
	s->dead = true;
	if (s->client) {
		kmqtt_client_kill(s->client);
		WRITE_ONCE(s->client, NULL);
	}
	pressured = s->pressured;
	s->pressured = false;
	spin_unlock_bh(&s->lock);
	mutex_unlock(&s->op_lock);
	/* Gone: it holds nobody back any more. */
	if (pressured)
		kmqtt_clients_resume(b);
}

void kmqtt_session_discard(struct kmqtt_session *s)
{
	LIST_HEAD(dead);

	/* kmqtt_session_unhash() first: nothing can queue or attach now. */
	WARN_ON(!s->dead || !hlist_unhashed(&s->hnode));
	mutex_lock(&s->op_lock);
	spin_lock_bh(&s->lock);
	list_splice_init(&s->inflight, &dead);
	list_splice_tail_init(&s->queue, &dead);
	s->inflight_count = 0;
	s->inflight_send = 0;
	s->queued = 0;
	s->queued_bytes = 0;
	spin_unlock_bh(&s->lock);

	unsubscribe_all(s);
	kfree(s->qos2_in);
	s->qos2_in = NULL;
	s->qos2_in_count = 0;
	s->qos2_in_cap = 0;
	mutex_unlock(&s->op_lock);

	free_entries(&dead);
	kmqtt_session_put(s);
}

void kmqtt_sessions_destroy(struct kmqtt_broker *b)
{
	struct kmqtt_session *s;
	struct hlist_node *tmp;
	struct hlist_head dead = HLIST_HEAD_INIT;
	u32 i;

	if (!b->sessions)
		return;
	mutex_lock(&b->sessions_lock);
	for (i = 0; i < (1u << b->sessions_hash_bits); i++) {
		hlist_for_each_entry_safe(s, tmp, &b->sessions[i], hnode) {
			kmqtt_session_unhash(s);
			/* Unhashed, so hnode is free to chain the dead. */
			hlist_add_head(&s->hnode, &dead);
		}
	}
	mutex_unlock(&b->sessions_lock);
	hlist_for_each_entry_safe(s, tmp, &dead, hnode) {
		hlist_del_init(&s->hnode);
		kmqtt_session_discard(s);
	}
	kvfree(b->sessions);
	b->sessions = NULL;
}

/* ---- attach / detach (op_lock) ---- */

void kmqtt_session_attach(struct kmqtt_session *s, struct kmqtt_client *c)
{
	struct kmqtt_qent *e;

	lockdep_assert_held(&s->op_lock);
	spin_lock_bh(&s->lock);
	WRITE_ONCE(s->client, c);
	s->wake_pending = false;
	/* Everything unacknowledged goes again, in the order first sent. */
	s->inflight_send = 0;
	list_for_each_entry(e, &s->inflight, entry) {
		if (e->state == KMQTT_QE_WAIT_ACK)
			e->state = KMQTT_QE_SEND_PUBLISH;
		else if (e->state == KMQTT_QE_WAIT_COMP)
			e->state = KMQTT_QE_SEND_PUBREL;
		s->inflight_send++;
	}
	spin_unlock_bh(&s->lock);
}

void kmqtt_session_detach(struct kmqtt_session *s, bool close)
{
	struct kmqtt_qent *e, *tmp;
	LIST_HEAD(dropped);
	bool pressured;

	lockdep_assert_held(&s->op_lock);
	spin_lock_bh(&s->lock);
	if (s->client && close)
		kmqtt_client_kill(s->client);
	WRITE_ONCE(s->client, NULL);
	list_for_each_entry_safe(e, tmp, &s->queue, entry) {
		if (e->qos)
			continue;
		list_move_tail(&e->entry, &dropped);
		s->queued--;
		s->queued_bytes -= e->size;
	}
	/* Offline sessions pause nobody: release who waits for this one. */
	pressured = s->pressured;
	s->pressured = false;
	s->stalled = false;
	spin_unlock_bh(&s->lock);
	if (pressured)
		kmqtt_clients_resume(s->b);
	free_entries(&dropped);
}

int kmqtt_session_set_username(struct kmqtt_session *s, const u8 *name,
			       u16 len)
{
	struct kmqtt_name *n = NULL, *old;

	lockdep_assert_held(&s->op_lock);
	if (name) {
		n = kmalloc(struct_size(n, s, len + 1), GFP_KERNEL);
		if (!n)
			return -ENOMEM;
		memcpy(n->s, name, len);
		n->s[len] = '\0';
	}
	old = rcu_dereference_protected(s->username, 1);
	rcu_assign_pointer(s->username, n);
	if (old)
		kfree_rcu(old, rcu);
	return 0;
}

/* ---- subscriptions (op_lock) ---- */

static struct hlist_head *subs_bucket(struct kmqtt_session *s, const u8 *f,
				      u16 len)
{
	return &s->subs[jhash(f, len, 0) & ((1u << s->subs_bits) - 1)];
}

static struct kmqtt_sess_sub *sub_find(struct kmqtt_session *s,
				       const u8 *f, u16 len)
{
	struct kmqtt_sess_sub *ss;

	if (!s->subs)
		return NULL;
	hlist_for_each_entry(ss, subs_bucket(s, f, len), hnode) {
		if (ss->len == len && !memcmp(ss->filter, f, len))
			return ss;
	}
	return NULL;
}

/* Room for one more subscription in the table; false only without one. */
static bool subs_grow(struct kmqtt_session *s)
{
	u32 bits = s->subs_bits, i;
	struct hlist_head *old = s->subs, *tbl;
	struct kmqtt_sess_sub *ss;
	struct hlist_node *tmp;

	if (old && (s->sub_count < (2u << bits) || bits >= KMQTT_SUBS_MAX_BITS))
		return true;
	bits = old ? bits + 1 : KMQTT_SUBS_MIN_BITS;
	tbl = kvcalloc(1u << bits, sizeof(*tbl), GFP_KERNEL | __GFP_NOWARN);
	if (!tbl)
		return old != NULL;
	s->subs = tbl;
	s->subs_bits = bits;
	if (!old)
		return true;
	for (i = 0; i < (1u << (bits - 1)); i++) {
		hlist_for_each_entry_safe(ss, tmp, &old[i], hnode) {
			hlist_del(&ss->hnode);
			hlist_add_head(&ss->hnode,
				       subs_bucket(s, ss->filter, ss->len));
		}
	}
	kvfree(old);
	return true;
}

u8 kmqtt_session_subscribe(struct kmqtt_session *s, const u8 *filter,
			   u16 len, u8 qos)
{
	u32 max = READ_ONCE(s->b->limits.max_subscriptions);
	struct kmqtt_sess_sub *ss;
	int err;

	lockdep_assert_held(&s->op_lock);
	if (qos > 2)
		return MQTT_SUBACK_FAILURE;
	ss = sub_find(s, filter, len);
	if (ss) {
		/* A resubscription replaces the old one: same node, new QoS. */
		WRITE_ONCE(ss->sub->qos, qos);
		return qos;
	}
	if (max && s->sub_count >= max)
		return MQTT_SUBACK_FAILURE;
	if (!subs_grow(s))
		return MQTT_SUBACK_FAILURE;
	ss = kmalloc(struct_size(ss, filter, len), GFP_KERNEL | __GFP_NOWARN);
	if (!ss)
		return MQTT_SUBACK_FAILURE;
	ss->sub = kmqtt_topic_subscribe(&s->b->subs, filter, len, s, qos, &err);
	if (!ss->sub) {
		kfree(ss);
		return MQTT_SUBACK_FAILURE;
	}
	ss->len = len;
	memcpy(ss->filter, filter, len);
	hlist_add_head(&ss->hnode, subs_bucket(s, filter, len));
	WRITE_ONCE(s->sub_count, s->sub_count + 1);
	return qos;
}

int kmqtt_session_unsubscribe(struct kmqtt_session *s, const u8 *filter,
			      u16 len)
{
	struct kmqtt_sess_sub *ss;

	lockdep_assert_held(&s->op_lock);
	ss = sub_find(s, filter, len);
	if (!ss)
		return -ENOENT;
	hlist_del(&ss->hnode);
	kmqtt_topic_unsubscribe(&s->b->subs, ss->sub);
	kfree(ss);
	WRITE_ONCE(s->sub_count, s->sub_count - 1);
	return 0;
}

/* ---- outgoing messages (s->lock) ---- */

struct kmqtt_qent *kmqtt_qent_alloc(gfp_t gfp)
{
	return kmalloc(sizeof(struct kmqtt_qent), gfp | __GFP_NOWARN);
}

void kmqtt_qent_free(struct kmqtt_qent *qe)
{
	kfree(qe);
}

/* ---- backpressure (s->lock): see session.h ---- */

/* At or above 3/4 of a cap (at least one message below it, if it is 1). */
static bool queue_high(const struct kmqtt_session *s, u32 max_msgs,
		       u64 max_bytes)
{
	return (max_msgs && s->queued >= max_msgs - max_msgs / 4) ||
	       (max_bytes && s->queued_bytes >= max_bytes - max_bytes / 4);
}

/* At or below 1/2 of every cap. */
static bool queue_low(const struct kmqtt_session *s, u32 max_msgs,
		      u64 max_bytes)
{
	return (!max_msgs || s->queued <= max_msgs / 2) &&
	       (!max_bytes || s->queued_bytes <= max_bytes / 2);
}

/* Would a publisher that filled @s make progress by waiting for it? */
static bool queue_drains(const struct kmqtt_session *s)
{
	return s->client && !s->stalled && !kmqtt_client_is_paused(s->client);
}

void kmqtt_session_tick(struct kmqtt_session *s, struct kmqtt_client *c)
{
	struct kmqtt_broker *b = s->b;
	u32 max_msgs = READ_ONCE(b->limits.max_queued_msgs);
	u64 max_bytes = READ_ONCE(b->limits.max_queued_bytes);

	spin_lock_bh(&s->lock);
	/* Only the attached client's tick: one clock per session. */
	if (s->client != c) {
		spin_unlock_bh(&s->lock);
		return;
	}
	if (s->drained == s->drained_tick &&
	    queue_high(s, max_msgs, max_bytes))
		s->stalled = true;
	s->drained_tick = s->drained;
	spin_unlock_bh(&s->lock);
}

/* Under s->lock: tell the publisher to pause if @s is full and drains. */
static void enqueue_pressure(struct kmqtt_session *s, u32 max_msgs,
			     u64 max_bytes, bool *congested)
{
	if (congested && queue_high(s, max_msgs, max_bytes) &&
	    queue_drains(s)) {
		s->pressured = true;
		*congested = true;
	}
}

enum kmqtt_enqueue_result kmqtt_session_enqueue(struct kmqtt_session *s,
						struct kmqtt_msg *msg, u8 qos,
						u8 flags,
						struct kmqtt_qent *qe,
						bool *congested)
{
	struct kmqtt_broker *b = s->b;
	u32 max_msgs = READ_ONCE(b->limits.max_queued_msgs);
	u64 max_bytes = READ_ONCE(b->limits.max_queued_bytes);
	u32 size = kmqtt_msg_size(msg);

	spin_lock_bh(&s->lock);
	/* Offline sessions keep QoS 1 and 2 only, as Mosquitto does. */
	if (s->dead || (!s->client && !qos)) {
		spin_unlock_bh(&s->lock);
		return KMQTT_ENQ_SKIPPED;
	}
	if ((max_msgs && s->queued >= max_msgs) ||
	    (max_bytes && s->queued_bytes + size > max_bytes)) {
		s->dropped++;
		enqueue_pressure(s, max_msgs, max_bytes, congested);
		spin_unlock_bh(&s->lock);
		kmqtt_stat_inc(&b->stats, KMQTT_STAT_DROPPED_QUEUE_FULL);
		return KMQTT_ENQ_DROPPED;
	}
	qe->msg = kmqtt_msg_get(msg);
	qe->size = size;
	qe->pid = 0;
	qe->qos = qos;
	qe->flags = flags;
	qe->state = KMQTT_QE_QUEUED;
	list_add_tail(&qe->entry, &s->queue);
	s->queued++;
	s->queued_bytes += size;
	enqueue_pressure(s, max_msgs, max_bytes, congested);
	if (s->client && !s->wake_pending) {
		s->wake_pending = true;
		kmqtt_client_wake(s->client);
	}
	spin_unlock_bh(&s->lock);
	return KMQTT_ENQ_QUEUED;
}

/* A packet id not used in the window; one exists (window < 65535). */
static u16 window_alloc_pid(struct kmqtt_session *s)
{
	struct kmqtt_qent *e;
	bool used;
	u16 pid;

	for (;;) {
		pid = ++s->next_pid;
		if (!pid)
			continue;
		used = false;
		list_for_each_entry(e, &s->inflight, entry) {
			if (e->pid == pid) {
				used = true;
				break;
			}
		}
		if (!used)
			return pid;
	}
}

static size_t item_bytes(const struct kmqtt_msg *m)
{
	return m ? MQTT_PUBLISH_HEADER_MAX + 2 + m->topic_len + m->payload_len
		 : MQTT_ACK_LEN;
}

u32 kmqtt_session_pull(struct kmqtt_session *s, struct kmqtt_client *c,
		       struct kmqtt_tx_item *items, u32 max,
		       size_t max_bytes)
{
	u32 window = READ_ONCE(s->b->limits.max_inflight);
	u32 cap_msgs = READ_ONCE(s->b->limits.max_queued_msgs);
	u64 cap_bytes = READ_ONCE(s->b->limits.max_queued_bytes);
	struct kmqtt_qent *e, *tmp;
	struct kmqtt_tx_item *it;
	bool resume = false;
	LIST_HEAD(sent);
	size_t bytes = 0;
	u32 n = 0, taken = 0;

	if (!window || window > 65535)
		window = 65535;

	spin_lock_bh(&s->lock);
	if (s->client != c)
		goto out;
	s->wake_pending = false;

	/* Resends after a reconnect, and PUBRELs, in window order. */
	if (s->inflight_send) {
		list_for_each_entry(e, &s->inflight, entry) {
			if (n >= max || (n && bytes >= max_bytes))
				break;
			it = &items[n];
			if (e->state == KMQTT_QE_SEND_PUBLISH) {
				it->msg = kmqtt_msg_get(e->msg);
				it->dup = e->flags & KMQTT_QE_DUP;
				it->retain = e->flags & KMQTT_QE_RETAIN;
				e->flags |= KMQTT_QE_DUP;
				e->state = KMQTT_QE_WAIT_ACK;
			} else if (e->state == KMQTT_QE_SEND_PUBREL) {
				it->msg = NULL;
				it->dup = false;
				it->retain = false;
				e->state = KMQTT_QE_WAIT_COMP;
			} else {
				continue;
			}
			it->pid = e->pid;
			it->qos = e->qos;
			bytes += item_bytes(it->msg);
			n++;
			if (!--s->inflight_send)
				break;
		}
	}

	/* Then the queue, in order, as far as the window allows. */
	list_for_each_entry_safe(e, tmp, &s->queue, entry) {
		if (n >= max || (n && bytes >= max_bytes))
			break;
		if (e->qos && s->inflight_count >= window)
			break;
		it = &items[n];
		it->qos = e->qos;
		it->dup = false;
		it->retain = e->flags & KMQTT_QE_RETAIN;
		s->queued--;
		s->queued_bytes -= e->size;
		if (e->qos) {
			e->pid = window_alloc_pid(s);
			e->flags |= KMQTT_QE_DUP;
			e->state = KMQTT_QE_WAIT_ACK;
			list_move_tail(&e->entry, &s->inflight);
			s->inflight_count++;
			it->msg = kmqtt_msg_get(e->msg);
			it->pid = e->pid;
		} else {
			/* QoS 0 is done once taken: its reference moves over. */
			list_move_tail(&e->entry, &sent);
			it->msg = e->msg;
			e->msg = NULL;
			it->pid = 0;
		}
		bytes += item_bytes(it->msg);
		n++;
		taken++;
	}
	if (taken) {
		/* Progress: a stalled queue may pause publishers again. */
		s->drained += taken;
		s->stalled = false;
		if (s->pressured && queue_low(s, cap_msgs, cap_bytes)) {
			s->pressured = false;
			resume = true;
		}
	}
out:
	spin_unlock_bh(&s->lock);
	if (resume)
		kmqtt_clients_resume(s->b);
	free_entries(&sent);
	return n;
}

static struct kmqtt_qent *window_find(struct kmqtt_session *s, u16 pid,
				      u8 qos)
{
	struct kmqtt_qent *e;

	list_for_each_entry(e, &s->inflight, entry) {
		if (e->pid == pid && e->qos == qos)
			return e;
	}
	return NULL;
}

static void window_remove(struct kmqtt_session *s, struct kmqtt_qent *e)
{
	list_del(&e->entry);
	s->inflight_count--;
	if (e->state == KMQTT_QE_SEND_PUBLISH ||
	    e->state == KMQTT_QE_SEND_PUBREL)
		s->inflight_send--;
}

bool kmqtt_session_puback(struct kmqtt_session *s, u16 pid)
{
	struct kmqtt_qent *e;

	spin_lock_bh(&s->lock);
	e = window_find(s, pid, 1);
	if (e)
		window_remove(s, e);
	spin_unlock_bh(&s->lock);
	if (!e)
		return false;
	kmqtt_msg_put(e->msg);
	kmqtt_qent_free(e);
	return true;
}

bool kmqtt_session_pubrec(struct kmqtt_session *s, u16 pid)
{
	struct kmqtt_msg *msg = NULL;
	struct kmqtt_qent *e;

	spin_lock_bh(&s->lock);
	e = window_find(s, pid, 2);
	if (e) {
		switch (e->state) {
		case KMQTT_QE_SEND_PUBLISH:
			s->inflight_send--;
			fallthrough;
		case KMQTT_QE_WAIT_ACK:
		case KMQTT_QE_WAIT_COMP:
			/* The message is delivered: only the id remains. */
			msg = e->msg;
			e->msg = NULL;
			e->state = KMQTT_QE_SEND_PUBREL;
			s->inflight_send++;
			break;
		default:
			break;
		}
	}
	spin_unlock_bh(&s->lock);
	kmqtt_msg_put(msg);
	return e != NULL;
}

bool kmqtt_session_pubcomp(struct kmqtt_session *s, u16 pid)
{
	struct kmqtt_qent *e;

	spin_lock_bh(&s->lock);
	e = window_find(s, pid, 2);
	if (e && (e->state == KMQTT_QE_SEND_PUBREL ||
		  e->state == KMQTT_QE_WAIT_COMP))
		window_remove(s, e);
	else
		e = NULL;
	spin_unlock_bh(&s->lock);
	if (!e)
		return false;
	kmqtt_msg_put(e->msg);
	kmqtt_qent_free(e);
	return true;
}

/* ---- incoming QoS 2 (op_lock) ---- */

/* Index of @pid in the sorted set, or where it would go. */
static u32 qos2_search(const struct kmqtt_session *s, u16 pid, bool *found)
{
	u32 lo = 0, hi = s->qos2_in_count;

	while (lo < hi) {
		u32 mid = lo + (hi - lo) / 2;

		if (s->qos2_in[mid] == pid) {
			*found = true;
			return mid;
		}
		if (s->qos2_in[mid] < pid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

bool kmqtt_session_qos2_pending(struct kmqtt_session *s, u16 pid)
{
	bool found;

	lockdep_assert_held(&s->op_lock);
	qos2_search(s, pid, &found);
	return found;
}

int kmqtt_session_qos2_add(struct kmqtt_session *s, u16 pid)
{
	u32 max = READ_ONCE(s->b->limits.max_queued_msgs);
	bool found;
	u32 i;

	lockdep_assert_held(&s->op_lock);
	if (!max || max > 65535)
		max = 65535;
	i = qos2_search(s, pid, &found);
	if (found)
		return 0;
	if (s->qos2_in_count >= max)
		return -ENOSPC;
	if (s->qos2_in_count == s->qos2_in_cap) {
		u32 cap = min_t(u32, s->qos2_in_cap ? s->qos2_in_cap * 2 : 8,
				65535);
		u16 *n = krealloc(s->qos2_in, cap * sizeof(*n),
				  GFP_KERNEL | __GFP_NOWARN);

		if (!n)
			return -ENOMEM;
		s->qos2_in = n;
		s->qos2_in_cap = cap;
	}
	memmove(&s->qos2_in[i + 1], &s->qos2_in[i],
		(s->qos2_in_count - i) * sizeof(*s->qos2_in));
	s->qos2_in[i] = pid;
	s->qos2_in_count++;
	return 0;
}

void kmqtt_session_qos2_del(struct kmqtt_session *s, u16 pid)
{
	bool found;
	u32 i;

	lockdep_assert_held(&s->op_lock);
	i = qos2_search(s, pid, &found);
	if (!found)
		return;
	s->qos2_in_count--;
	memmove(&s->qos2_in[i], &s->qos2_in[i + 1],
		(s->qos2_in_count - i) * sizeof(*s->qos2_in));
	if (!s->qos2_in_count) {
		/* Idle sessions hold no set. */
		kfree(s->qos2_in);
		s->qos2_in = NULL;
		s->qos2_in_cap = 0;
	}
}
