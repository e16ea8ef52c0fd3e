// SPDX-License-Identifier: GPL-2.0
/*
 * The protocol engine: one state machine per network connection. Frames in
 * (kmqtt_client_input), actions on sessions, the topic tree and the
 * retained store, segments out (kmqtt_client_output). No sockets here; see
 * engine.h for what the transport must do and session.c for the locks.
 *
 * Output: control packets (CONNACK, SUBACK, acks, PINGRESP) are appended to
 * a small per-client buffer by input; PUBLISH and PUBREL come from the
 * session's window and queue. A send batch takes both: the control bytes
 * (buffers are swapped, so input can go on appending while a batch is
 * half-sent) and up to KMQTT_TX_ITEMS PUBLISHes, each sent as
 *   [fixed header + topic length][topic][packet id][payload]
 * with topic and payload pointing into the shared message, never copied.
 *
 * Input: frames are handled one at a time until the bytes run out, a
 * PUBLISH filled a subscriber's queue (the client pauses: backpressure,
 * see session.h) or the call's work budget is spent (it yields). Either
 * way the rest stays with the transport, which stops reading (engine.h).
 */
#include "shim.h"
#include "engine.h"

/* ---- helpers ---- */

static void proto_error(struct kmqtt_client *c, enum mqtt_error err)
{
	kmqtt_stat_proto_error(&c->b->stats, err);
}

static bool acl_allows(struct kmqtt_client *c, const u8 *topic, u16 len,
		       enum kmqtt_acl_op op)
{
	const struct kmqtt_acl *acl;
	bool ok = true;

	rcu_read_lock();
	acl = rcu_dereference(c->b->acl);
	if (acl)
		ok = kmqtt_acl_check(acl, c->username,
				     c->session ? c->session->id : NULL,
				     topic, len, op);
	rcu_read_unlock();
	return ok;
}

/* Room for @len more control bytes; NULL: the client does not read. */
static u8 *ctrl_reserve(struct kmqtt_client *c, u32 len)
{
	u32 need = c->ctrl_len + len;

	if (c->ctrl_len > KMQTT_CTRL_MAX)
		return NULL;
	if (need > c->ctrl_cap) {
		u32 cap = max_t(u32, need, c->ctrl_cap ? c->ctrl_cap * 2 : 64);
		u8 *n = krealloc(c->ctrl, cap, GFP_KERNEL | __GFP_NOWARN);

		if (!n)
			return NULL;
		c->ctrl = n;
		c->ctrl_cap = cap;
	}
	return c->ctrl + c->ctrl_len;
}

static long ctrl_ack(struct kmqtt_client *c, u8 type, u16 pid)
{
	u8 *p = ctrl_reserve(c, MQTT_ACK_LEN);

	if (!p) {
		kmqtt_stat_inc(&c->b->stats, KMQTT_STAT_DROPPED_QUEUE_FULL);
		return -ENOBUFS;
	}
	c->ctrl_len += mqtt_encode_ack(p, type, pid);
	return 0;
}

/* ---- lifecycle ---- */

struct kmqtt_client *kmqtt_client_new(struct kmqtt_broker *b,
				      const struct kmqtt_transport_ops *ops,
				      void *transport, const char *peer,
				      gfp_t gfp)
{
	struct kmqtt_client *c = kzalloc(sizeof(*c), gfp);

	if (!c)
		return NULL;
	c->b = b;
	c->ops = ops;
	c->transport = transport;
	c->state = KMQTT_CLIENT_WAIT_CONNECT;
	c->created_at = kmqtt_now_sec();
	c->last_rx = c->created_at;
	INIT_LIST_HEAD(&c->paused_entry);
	scnprintf(c->peer, sizeof(c->peer), "%s", peer ? peer : "");
	atomic_inc(&b->connections);
	kmqtt_stat_inc(&b->stats, KMQTT_STAT_CONNECTIONS_TOTAL);
	return c;
}

void kmqtt_client_wake(struct kmqtt_client *c)
{
	if (c->ops && c->ops->wake_tx)
		c->ops->wake_tx(c->transport);
}

void kmqtt_client_kill(struct kmqtt_client *c)
{
	if (c->ops && c->ops->close)
		c->ops->close(c->transport);
}

/* ---- backpressure: paused publishers (b->paused_lock) ---- */

static void client_wake_rx(struct kmqtt_client *c)
{
	if (c->ops && c->ops->wake_rx)
		c->ops->wake_rx(c->transport);
}

bool kmqtt_client_is_paused(const struct kmqtt_client *c)
{
	return READ_ONCE(c->rx_paused);
}

bool kmqtt_client_rx_paused(const struct kmqtt_client *c)
{
	return READ_ONCE(c->rx_paused) || c->rx_yield;
}

/* paused_lock held: off the list, and tell the transport to read again. */
static void rx_resume_locked(struct kmqtt_client *c)
{
	list_del_init(&c->paused_entry);
	WRITE_ONCE(c->rx_paused, false);
	client_wake_rx(c);
}

void kmqtt_clients_resume(struct kmqtt_broker *b)
{
	struct kmqtt_client *c, *tmp;

	spin_lock_bh(&b->paused_lock);
	WRITE_ONCE(b->paused_gen, b->paused_gen + 1);
	list_for_each_entry_safe(c, tmp, &b->paused, paused_entry)
		rx_resume_locked(c);
	spin_unlock_bh(&b->paused_lock);
}

/*
 * Pause @c after the PUBLISH that filled a queue, unless a queue drained
 * (a wake-up went out) since that fan-out began: then we would have missed
 * our wake-up, and the queue has room again anyway.
 */
static bool rx_pause(struct kmqtt_client *c)
{
	struct kmqtt_broker *b = c->b;
	bool paused = false;

	spin_lock_bh(&b->paused_lock);
	if (b->paused_gen == c->pause_gen) {
		list_add_tail(&c->paused_entry, &b->paused);
		WRITE_ONCE(c->rx_paused, true);
		paused = true;
	}
	spin_unlock_bh(&b->paused_lock);
	if (paused)
		kmqtt_stat_inc(&b->stats, KMQTT_STAT_RX_PAUSES);
	return paused;
}

/* The valve: nobody woke @c for a whole tick. */
static void rx_pause_expire(struct kmqtt_client *c)
{
	struct kmqtt_broker *b = c->b;
	bool expired = false;

	if (!READ_ONCE(c->rx_paused))
		return;
	spin_lock_bh(&b->paused_lock);
	if (c->rx_paused) {
		rx_resume_locked(c);
		expired = true;
	}
	spin_unlock_bh(&b->paused_lock);
	if (expired)
		kmqtt_stat_inc(&b->stats, KMQTT_STAT_RX_PAUSE_EXPIRED);
}

/* At close: nobody may wake @c once it is freed. */
static void rx_unpause(struct kmqtt_client *c)
{
	struct kmqtt_broker *b = c->b;

	spin_lock_bh(&b->paused_lock);
	list_del_init(&c->paused_entry);
	WRITE_ONCE(c->rx_paused, false);
	spin_unlock_bh(&b->paused_lock);
}

static void tx_release(struct kmqtt_tx *tx)
{
	u32 i;

	for (i = 0; i < tx->nmsgs; i++)
		kmqtt_msg_put(tx->msgs[i]);
	tx->nmsgs = 0;
	tx->nseg = 0;
	tx->seg = 0;
	tx->off = 0;
}

static void tx_free(struct kmqtt_client *c)
{
	if (!c->tx)
		return;
	tx_release(c->tx);
	kfree(c->tx->ctrl);
	kfree(c->tx);
	c->tx = NULL;
}

static void publish_will(struct kmqtt_client *c)
{
	struct kmqtt_broker *b = c->b;
	struct kmqtt_msg *will = c->will;

	if (!acl_allows(c, kmqtt_msg_topic(will), will->topic_len,
			KMQTT_ACL_OP_PUBLISH)) {
		kmqtt_stat_inc(&b->stats, KMQTT_STAT_DROPPED_ACL);
		return;
	}
	kmqtt_stat_inc(&b->stats, KMQTT_STAT_WILLS);
	if (will->retain)
		kmqtt_broker_retain(b, will);
	kmqtt_fanout(b, will, NULL, NULL, NULL);
}

void kmqtt_client_closed(struct kmqtt_client *c)
{
	struct kmqtt_session *s = c->session;
	struct kmqtt_broker *b = c->b;

	/* Any end but DISCONNECT: error, timeout, takeover, kick, removal. */
	if (c->will && !c->disconnected)
		publish_will(c);
	kmqtt_msg_put(c->will);
	c->will = NULL;

	rx_unpause(c);
	if (s) {
		bool discard = false;

		mutex_lock(&b->sessions_lock);
		mutex_lock(&s->op_lock);
		/* Not attached any more: taken over or removed meanwhile. */
		if (s->client == c) {
			kmqtt_session_detach(s, false);
			discard = s->clean;
		}
		mutex_unlock(&s->op_lock);
		if (discard)
			kmqtt_session_unhash(s);
		mutex_unlock(&b->sessions_lock);
		/* Subscriptions and queue go outside the global lock. */
		if (discard)
			kmqtt_session_discard(s);
		kmqtt_session_put(s);
		c->session = NULL;
	}

	tx_free(c);
	kfree(c->ctrl);
	kfree(c->username);
	atomic_dec(&b->connections);
	kfree(c);
}

int kmqtt_client_tick(struct kmqtt_client *c, u64 now)
{
	struct kmqtt_broker *b = c->b;

	rx_pause_expire(c);
	if (c->state == KMQTT_CLIENT_CONNECTED && c->session)
		kmqtt_session_tick(c->session, c);

	if (c->state == KMQTT_CLIENT_WAIT_CONNECT) {
		u16 to = READ_ONCE(b->limits.connect_timeout);

		if (!to || now < c->created_at + to)
			return 0;
		if (!c->timed_out)
			kmqtt_stat_inc(&b->stats, KMQTT_STAT_CONNECT_TIMEOUTS);
		c->timed_out = true;
		return -ETIMEDOUT;
	}
	if (c->state == KMQTT_CLIENT_CONNECTED && c->keep_alive) {
		u64 last = READ_ONCE(c->last_rx);

		/* Silent for more than 1.5 x keep-alive (3.1.1, 3.1.2.10). */
		if (now <= last || (now - last) * 2 <= 3ull * c->keep_alive)
			return 0;
		if (!c->timed_out)
			kmqtt_stat_inc(&b->stats, KMQTT_STAT_KEEPALIVE_TIMEOUTS);
		c->timed_out = true;
		return -ETIMEDOUT;
	}
	return 0;
}

/* ---- CONNECT ---- */

static long refuse(struct kmqtt_client *c, u8 rc)
{
	u8 *p = ctrl_reserve(c, MQTT_CONNACK_LEN);

	if (p)
		c->ctrl_len += mqtt_encode_connack(p, false, rc);
	c->state = KMQTT_CLIENT_CLOSING;
	kmqtt_msg_put(c->will);
	c->will = NULL;
	kmqtt_stat_inc(&c->b->stats, KMQTT_STAT_CONNECT_REFUSED);
	return -ECONNREFUSED;
}

static u8 check_auth(struct kmqtt_client *c, const struct mqtt_connect *p)
{
	struct kmqtt_broker *b = c->b;
	bool anonymous_ok = READ_ONCE(b->limits.allow_anonymous);
	enum kmqtt_auth_result r = KMQTT_AUTH_NO_USERS;

	if (!p->has_username)
		return anonymous_ok ? MQTT_CONNACK_ACCEPTED :
				      MQTT_CONNACK_NOT_AUTHORIZED;
	if (b->ops && b->ops->authenticate)
		r = b->ops->authenticate(b, &p->username,
					 p->has_password ? &p->password : NULL);
	switch (r) {
	case KMQTT_AUTH_OK:
		return MQTT_CONNACK_ACCEPTED;
	case KMQTT_AUTH_BAD:
		kmqtt_stat_inc(&b->stats, KMQTT_STAT_AUTH_FAILURES);
		return MQTT_CONNACK_BAD_CREDENTIALS;
	default:
		/* No user database: a name proves nothing. */
		return anonymous_ok ? MQTT_CONNACK_ACCEPTED :
				      MQTT_CONNACK_NOT_AUTHORIZED;
	}
}

static u16 effective_keepalive(struct kmqtt_broker *b, u16 ka)
{
	u16 max = READ_ONCE(b->limits.max_keepalive);

	/* A ceiling below the maximum also bounds "no keep-alive" (0). */
	if (max && max < 65535 && (!ka || ka > max))
		return max;
	return ka;
}

/*
 * Find, take over, resume or create the session for @id; attach @c.
 * Returns the CONNACK code.
 */
static u8 connect_session(struct kmqtt_client *c, const struct mqtt_connect *p,
			  const u8 *id, u16 idlen, bool *present)
{
	struct kmqtt_broker *b = c->b;
	u32 max = READ_ONCE(b->limits.max_sessions);
	struct kmqtt_session *s, *old = NULL;
	bool resume = false;
	u8 rc = MQTT_CONNACK_ACCEPTED;
	int err;

	mutex_lock(&b->sessions_lock);
	s = kmqtt_session_lookup(b, id, idlen);
	if (s) {
		mutex_lock(&s->op_lock);
		if (s->client) {
			/* Takeover: close the old connection, keep the rest. */
			kmqtt_session_detach(s, true);
			kmqtt_stat_inc(&b->stats, KMQTT_STAT_TAKEOVERS);
		}
		resume = !p->clean_session && !s->clean;
		mutex_unlock(&s->op_lock);
		if (!resume) {
			/* Torn down below, once sessions_lock is dropped. */
			kmqtt_session_unhash(s);
			old = s;
			s = NULL;
		}
	}
	if (!s) {
		if (max && b->session_count >= max)
			goto unavailable;
		s = kmqtt_session_create(b, id, idlen, p->clean_session);
		if (!s)
			goto unavailable;
	}

	mutex_lock(&s->op_lock);
	err = kmqtt_session_set_username(s, p->has_username ?
					 p->username.data : NULL,
					 p->username.len);
	if (err) {
		mutex_unlock(&s->op_lock);
		if (!resume) {
			kmqtt_session_unhash(s);
			mutex_unlock(&b->sessions_lock);
			kmqtt_session_discard(s);
			rc = MQTT_CONNACK_UNAVAILABLE;
			goto out;
		}
		goto unavailable;
	}
	s->clean = p->clean_session;
	kmqtt_session_get(s);
	c->session = s;
	kmqtt_session_attach(s, c);
	mutex_unlock(&s->op_lock);
	mutex_unlock(&b->sessions_lock);
	*present = resume;
	goto out;

unavailable:
	mutex_unlock(&b->sessions_lock);
	rc = MQTT_CONNACK_UNAVAILABLE;
out:
	if (old)
		kmqtt_session_discard(old);
	return rc;
}

static long handle_connect(struct kmqtt_client *c, const struct mqtt_connect *p)
{
	struct kmqtt_broker *b = c->b;
	u32 max_conn = READ_ONCE(b->limits.max_connections);
	const u8 *id = p->client_id.data;
	u16 idlen = p->client_id.len;
	char genid[32];
	bool present = false;
	u8 rc, *ack;

	if (c->state != KMQTT_CLIENT_WAIT_CONNECT) {
		proto_error(c, MQTT_ERR_UNEXPECTED);
		return -EPROTO;
	}
	if (p->will && !mqtt_topic_name_valid(p->will_topic.data,
					      p->will_topic.len,
					      READ_ONCE(b->limits.max_topic_levels))) {
		proto_error(c, MQTT_ERR_BAD_TOPIC);
		return -EPROTO;
	}
	c->level = p->level;

	if (p->level != MQTT_LEVEL_31 && p->level != MQTT_LEVEL_311)
		return refuse(c, MQTT_CONNACK_BAD_PROTOCOL);
	/* 3.1 has no generated ids; 3.1.1 only with a clean session. */
	if ((!idlen && (!p->clean_session || p->level == MQTT_LEVEL_31)) ||
	    idlen > MQTT_MAX_CLIENT_ID)
		return refuse(c, MQTT_CONNACK_ID_REJECTED);
	if (READ_ONCE(b->shutting_down))
		return refuse(c, MQTT_CONNACK_UNAVAILABLE);
	if (max_conn && (u32)atomic_read(&b->connections) > max_conn) {
		kmqtt_stat_inc(&b->stats, KMQTT_STAT_CONN_LIMIT);
		return refuse(c, MQTT_CONNACK_UNAVAILABLE);
	}
	rc = check_auth(c, p);
	if (rc)
		return refuse(c, rc);

	if (p->has_username) {
		c->username = kmalloc(p->username.len + 1, GFP_KERNEL);
		if (!c->username)
			return refuse(c, MQTT_CONNACK_UNAVAILABLE);
		memcpy(c->username, p->username.data, p->username.len);
		c->username[p->username.len] = '\0';
	}
	if (p->will) {
		c->will = kmqtt_msg_new(p->will_topic.data, p->will_topic.len,
					p->will_payload.data,
					p->will_payload.len, p->will_qos,
					p->will_retain, GFP_KERNEL);
		if (!c->will)
			return refuse(c, MQTT_CONNACK_UNAVAILABLE);
	}
	if (!idlen) {
		idlen = scnprintf(genid, sizeof(genid), "kmqtt-%08x%08x",
				  get_random_u32(), get_random_u32());
		id = (const u8 *)genid;
	}
	/* The CONNACK goes first: reserve it before anything can fail. */
	ack = ctrl_reserve(c, MQTT_CONNACK_LEN);
	if (!ack)
		return refuse(c, MQTT_CONNACK_UNAVAILABLE);
	rc = connect_session(c, p, id, idlen, &present);
	if (rc)
		return refuse(c, rc);

	c->state = KMQTT_CLIENT_CONNECTED;
	c->keep_alive = effective_keepalive(b, p->keep_alive);
	c->connected_at = kmqtt_now_sec();
	c->ctrl_len += mqtt_encode_connack(ack, present, MQTT_CONNACK_ACCEPTED);
	kmqtt_stat_inc(&b->stats, KMQTT_STAT_CONNECTS);
	return 0;
}

/* ---- PUBLISH and acknowledgements ---- */

static long handle_publish(struct kmqtt_client *c, const struct mqtt_publish *p)
{
	struct kmqtt_session *s = c->session;
	struct kmqtt_broker *b = c->b;
	struct kmqtt_msg *msg;
	bool deliver = true, congested = false;
	int err;

	kmqtt_stat_inc(&b->stats, KMQTT_STAT_MSGS_IN_QOS0 + p->qos);
	WRITE_ONCE(c->msgs_in, c->msgs_in + 1);
	if (!mqtt_topic_name_valid(p->topic.data, p->topic.len,
				   READ_ONCE(b->limits.max_topic_levels))) {
		proto_error(c, MQTT_ERR_BAD_TOPIC);
		return -EPROTO;
	}
	/* Exactly once: a retransmission before PUBREL is not delivered. */
	if (p->qos == 2 && kmqtt_session_qos2_pending(s, p->packet_id)) {
		kmqtt_stat_inc(&b->stats, KMQTT_STAT_DROPPED_QOS2_DUP);
		return ctrl_ack(c, MQTT_PUBREC, p->packet_id);
	}
	/* A refused PUBLISH is still acknowledged (3.1.1 has no refusal). */
	if (!acl_allows(c, p->topic.data, p->topic.len, KMQTT_ACL_OP_PUBLISH)) {
		kmqtt_stat_inc(&b->stats, KMQTT_STAT_DROPPED_ACL);
		deliver = false;
	}
	if (deliver && p->qos == 2) {
		err = kmqtt_session_qos2_add(s, p->packet_id);
		if (err) {
			kmqtt_stat_inc(&b->stats, err == -ENOSPC ?
				       KMQTT_STAT_DROPPED_QUEUE_FULL :
				       KMQTT_STAT_DROPPED_NO_MEMORY);
			deliver = false;
		}
	}
	if (deliver) {
		msg = kmqtt_msg_new(p->topic.data, p->topic.len, p->payload,
				    p->payload_len, p->qos, p->retain,
				    GFP_KERNEL);
		if (msg) {
			if (p->retain)
				kmqtt_broker_retain(b, msg);
			/* Before the fan-out: see rx_pause(). */
			c->pause_gen = READ_ONCE(b->paused_gen);
			kmqtt_fanout(b, msg, s, &congested, &c->rx_work);
			kmqtt_msg_put(msg);
			c->pause_want = congested;
		} else {
			kmqtt_stat_inc(&b->stats, KMQTT_STAT_DROPPED_NO_MEMORY);
		}
	}
	if (p->qos == 1)
		return ctrl_ack(c, MQTT_PUBACK, p->packet_id);
	if (p->qos == 2)
		return ctrl_ack(c, MQTT_PUBREC, p->packet_id);
	return 0;
}

/* ---- SUBSCRIBE / UNSUBSCRIBE ---- */

struct retained_ctx {
	struct kmqtt_client *c;
	u8 granted;
};

/*
 * One SUBSCRIBE/UNSUBSCRIBE filter done: count it, and let the CPU go now
 * and then (a packet may carry thousands; we hold only op_lock).
 */
static void filter_done(struct kmqtt_client *c)
{
	if (!(++c->rx_work % 64))
		cond_resched();
}

/* Called under the retained store's mutex: may allocate, may not block it. */
static int deliver_retained(struct kmqtt_msg *msg, void *arg)
{
	struct retained_ctx *ctx = arg;
	struct kmqtt_client *c = ctx->c;
	enum kmqtt_enqueue_result r;
	struct kmqtt_qent *qe;

	if (!acl_allows(c, kmqtt_msg_topic(msg), msg->topic_len,
			KMQTT_ACL_OP_RECEIVE))
		return 0;
	qe = kmqtt_qent_alloc(GFP_KERNEL);
	if (!qe) {
		kmqtt_stat_inc(&c->b->stats, KMQTT_STAT_DROPPED_NO_MEMORY);
		return -ENOMEM;
	}
	/* The subscriber's own queue: it never pauses itself. */
	r = kmqtt_session_enqueue(c->session, msg, min(msg->qos, ctx->granted),
				  KMQTT_QE_RETAIN, qe, NULL);
	if (r == KMQTT_ENQ_QUEUED)
		return 0;
	kmqtt_qent_free(qe);
	/* The queue is full: the rest would be dropped one by one. */
	return r == KMQTT_ENQ_DROPPED ? -ENOSPC : 0;
}

static long handle_subscribe(struct kmqtt_client *c,
			     const struct mqtt_filter_list *list)
{
	struct kmqtt_broker *b = c->b;
	u32 levels = READ_ONCE(b->limits.max_topic_levels);
	struct mqtt_filter_list l = *list;
	struct retained_ctx rctx = { .c = c };
	struct mqtt_bytes f;
	u8 *codes, *p, qos;
	u16 i = 0;

	codes = kmalloc(list->count ? list->count : 1, GFP_KERNEL);
	if (!codes)
		return -ENOMEM;
	while (i < list->count && mqtt_next_filter(&l, &f, &qos)) {
		u8 code;

		if (!mqtt_topic_filter_valid(f.data, f.len, levels)) {
			code = MQTT_SUBACK_FAILURE;
		} else if (!acl_allows(c, f.data, f.len,
				       KMQTT_ACL_OP_SUBSCRIBE)) {
			code = MQTT_SUBACK_FAILURE;
		} else {
			code = kmqtt_session_subscribe(c->session, f.data,
						       f.len, qos);
		}
		if (code == MQTT_SUBACK_FAILURE)
			kmqtt_stat_inc(&b->stats, KMQTT_STAT_SUBSCRIBE_DENIED);
		codes[i++] = code;
		filter_done(c);
	}
	p = ctrl_reserve(c, MQTT_MAX_FIXED_HEADER + 2 + i);
	if (!p) {
		kfree(codes);
		kmqtt_stat_inc(&b->stats, KMQTT_STAT_DROPPED_QUEUE_FULL);
		return -ENOBUFS;
	}
	c->ctrl_len += mqtt_encode_suback(p, list->packet_id, codes, i);

	/* Retained messages follow the SUBACK, RETAIN set. */
	l = *list;
	i = 0;
	while (i < list->count && mqtt_next_filter(&l, &f, &qos)) {
		rctx.granted = codes[i++];
		if (rctx.granted == MQTT_SUBACK_FAILURE)
			continue;
		/* The walk's nodes count towards this call's work. */
		if (kmqtt_retain_match_cost(&b->retained, f.data, f.len,
					    deliver_retained, &rctx,
					    &c->rx_work) == -ENOSPC)
			break;
	}
	kfree(codes);
	return 0;
}

static long handle_unsubscribe(struct kmqtt_client *c,
			       const struct mqtt_filter_list *list)
{
	struct mqtt_filter_list l = *list;
	struct mqtt_bytes f;
	u8 qos;

	while (mqtt_next_filter(&l, &f, &qos)) {
		kmqtt_session_unsubscribe(c->session, f.data, f.len);
		filter_done(c);
	}
	return ctrl_ack(c, MQTT_UNSUBACK, list->packet_id);
}

/* ---- input ---- */

static long handle_frame(struct kmqtt_client *c, const u8 *buf, size_t len)
{
	enum mqtt_error err = MQTT_ERR_NONE;
	struct mqtt_packet pkt;
	u8 *p;

	if (c->state == KMQTT_CLIENT_WAIT_CONNECT &&
	    (buf[0] >> 4) != MQTT_CONNECT) {
		proto_error(c, MQTT_ERR_UNEXPECTED);
		return -EPROTO;
	}
	if (mqtt_decode(buf, len, c->level, &pkt, &err)) {
		proto_error(c, err);
		return -EPROTO;
	}
	/* Taken over or removed: this connection is being closed. */
	if (c->state == KMQTT_CLIENT_CONNECTED && c->session->client != c)
		return -ECONNRESET;

	switch (pkt.type) {
	case MQTT_CONNECT:
		return handle_connect(c, &pkt.connect);
	case MQTT_PUBLISH:
		return handle_publish(c, &pkt.publish);
	case MQTT_PUBACK:
		kmqtt_session_puback(c->session, pkt.packet_id);
		return 0;
	case MQTT_PUBREC:
		kmqtt_session_pubrec(c->session, pkt.packet_id);
		return 0;
	case MQTT_PUBREL:
		kmqtt_session_qos2_del(c->session, pkt.packet_id);
		return ctrl_ack(c, MQTT_PUBCOMP, pkt.packet_id);
	case MQTT_PUBCOMP:
		kmqtt_session_pubcomp(c->session, pkt.packet_id);
		return 0;
	case MQTT_SUBSCRIBE:
		return handle_subscribe(c, &pkt.filters);
	case MQTT_UNSUBSCRIBE:
		return handle_unsubscribe(c, &pkt.filters);
	case MQTT_PINGREQ:
		p = ctrl_reserve(c, MQTT_PINGRESP_LEN);
		if (!p)
			return -ENOBUFS;
		c->ctrl_len += mqtt_encode_pingresp(p);
		return 0;
	case MQTT_DISCONNECT:
		/* A clean end: the will is discarded. */
		c->disconnected = true;
		kmqtt_msg_put(c->will);
		c->will = NULL;
		c->state = KMQTT_CLIENT_CLOSING;
		return -ECONNRESET;
	default:
		proto_error(c, MQTT_ERR_BAD_TYPE);
		return -EPROTO;
	}
}

long kmqtt_client_input(struct kmqtt_client *c, const u8 *buf, size_t len)
{
	struct kmqtt_broker *b = c->b;
	u32 max_packet = READ_ONCE(b->limits.max_packet_size);
	size_t pos = 0;
	long ret = 0;

	if (c->state == KMQTT_CLIENT_CLOSING)
		return -ECONNRESET;
	/* Held back: the transport should not have called (engine.h). */
	if (READ_ONCE(c->rx_paused))
		return 0;
	c->rx_yield = false;
	c->pause_want = false;
	c->rx_work = 0;
	if (!max_packet)
		max_packet = MQTT_MAX_REMAINING + MQTT_MAX_FIXED_HEADER;

	while (pos < len) {
		enum mqtt_error err = MQTT_ERR_NONE;
		u32 remaining = 0;
		size_t frame;
		int hl;

		hl = mqtt_decode_fixed_header(buf + pos, len - pos, max_packet,
					      &remaining, &err);
		if (hl < 0) {
			proto_error(c, err);
			ret = -EPROTO;
			break;
		}
		/*
		 * The first packet must be CONNECT [MQTT-3.1.0-1]: anything
		 * else (an HTTP request...) is refused from its first byte,
		 * not buffered up to the length it announces.
		 */
		if (c->state == KMQTT_CLIENT_WAIT_CONNECT &&
		    (buf[pos] >> 4) != MQTT_CONNECT) {
			proto_error(c, MQTT_ERR_UNEXPECTED);
			ret = -EPROTO;
			break;
		}
		if (hl == 0) {
			c->rx_need = 0;
			break;
		}
		frame = (size_t)hl + remaining;
		if (len - pos < frame) {
			c->rx_need = frame;
			break;
		}
		c->rx_need = 0;
		/*
		 * The owner's operations on its session are serialized with
		 * takeover and teardown; one frame at a time, so that a
		 * connect waiting for this session waits for one frame only.
		 */
		if (c->state == KMQTT_CLIENT_CONNECTED) {
			struct kmqtt_session *s = c->session;

			mutex_lock(&s->op_lock);
			ret = handle_frame(c, buf + pos, frame);
			mutex_unlock(&s->op_lock);
		} else {
			ret = handle_frame(c, buf + pos, frame);
		}
		/* Anything handled may have made output (acks, window). */
		c->tx_kick = true;
		/* Received, even the DISCONNECT or the frame that ends it. */
		WRITE_ONCE(c->bytes_in, c->bytes_in + frame);
		kmqtt_stat_add(&b->stats, KMQTT_STAT_BYTES_IN, frame);
		if (ret < 0)
			break;
		pos += frame;
		WRITE_ONCE(c->last_rx, kmqtt_now_sec());
		c->rx_work++;

		/* Backpressure: not one more frame from this publisher. */
		if (c->pause_want) {
			c->pause_want = false;
			if (rx_pause(c))
				break;
		}
		/* Our share is done: the rest waits for the next run. */
		if (c->rx_work >= KMQTT_RX_WORK && pos < len) {
			c->rx_yield = true;
			client_wake_rx(c);
			break;
		}
	}
	if (c->tx_kick) {
		c->tx_kick = false;
		kmqtt_client_wake(c);
	}
	return ret < 0 ? ret : (long)pos;
}

size_t kmqtt_client_rx_frame_size(const struct kmqtt_client *c)
{
	return c->rx_need;
}

/* ---- output ---- */

static void tx_seg(struct kmqtt_tx *tx, const void *base, size_t len)
{
	tx->iov[tx->nseg].iov_base = (void *)base;
	tx->iov[tx->nseg].iov_len = len;
	tx->nseg++;
}

static void tx_add_item(struct kmqtt_client *c, struct kmqtt_tx *tx, u32 i)
{
	struct kmqtt_tx_item *it = &tx->items[i];
	struct kmqtt_msg *m = it->msg;
	u8 *h = tx->hdr[i];
	unsigned int hl;

	if (!m) {
		tx_seg(tx, h, mqtt_encode_ack(h, MQTT_PUBREL, it->pid));
		return;
	}
	hl = mqtt_encode_publish_header(h, it->qos, it->dup, it->retain,
					m->topic_len, m->payload_len);
	if (!hl) {
		kmqtt_msg_put(m);
		return;
	}
	tx->msgs[tx->nmsgs++] = m;
	tx_seg(tx, h, hl);
	tx_seg(tx, kmqtt_msg_topic(m), m->topic_len);
	if (it->qos) {
		put_unaligned_be16(it->pid, h + KMQTT_TX_PID_OFF);
		tx_seg(tx, h + KMQTT_TX_PID_OFF, 2);
	}
	if (m->payload_len)
		tx_seg(tx, m->payload, m->payload_len);
	kmqtt_stat_inc(&c->b->stats, KMQTT_STAT_MSGS_OUT_QOS0 + it->qos);
	WRITE_ONCE(c->msgs_out, c->msgs_out + 1);
}

/* Is there anything for this client in its session? Clears wake_pending. */
static bool session_has_output(struct kmqtt_session *s, struct kmqtt_client *c)
{
	bool has;

	spin_lock_bh(&s->lock);
	has = s->client == c && (s->queued || s->inflight_send);
	if (!has && s->client == c)
		s->wake_pending = false;
	spin_unlock_bh(&s->lock);
	return has;
}

static void tx_build(struct kmqtt_client *c, struct kmqtt_tx *tx,
		     size_t max_bytes)
{
	struct kmqtt_session *s = c->session;
	size_t bytes = 0;
	u32 n, i;

	if (c->ctrl_len) {
		u8 *buf = tx->ctrl;
		u32 cap = tx->ctrl_cap;

		tx->ctrl = c->ctrl;
		tx->ctrl_cap = c->ctrl_cap;
		tx_seg(tx, tx->ctrl, c->ctrl_len);
		bytes = c->ctrl_len;
		c->ctrl = buf;
		c->ctrl_cap = cap;
		c->ctrl_len = 0;
	}
	if (c->state != KMQTT_CLIENT_CONNECTED || !s || bytes >= max_bytes)
		return;
	n = kmqtt_session_pull(s, c, tx->items, KMQTT_TX_ITEMS,
			       max_bytes - bytes);
	for (i = 0; i < n; i++)
		tx_add_item(c, tx, i);
}

int kmqtt_client_output(struct kmqtt_client *c, struct kvec *iov, int max_iov,
			size_t max_bytes)
{
	struct kmqtt_tx *tx = c->tx;
	size_t bytes = 0, off;
	u32 seg;
	int n = 0;

	if (max_iov <= 0 || !max_bytes)
		return 0;
	if (!tx || tx->seg >= tx->nseg) {
		bool more = c->ctrl_len ||
			    (c->state == KMQTT_CLIENT_CONNECTED && c->session &&
			     session_has_output(c->session, c));

		if (!more) {
			/* Idle connections hold no send buffers. */
			tx_free(c);
			return 0;
		}
		if (!tx) {
			tx = kzalloc(sizeof(*tx), GFP_KERNEL | __GFP_NOWARN);
			if (!tx) {
				kmqtt_stat_inc(&c->b->stats,
					       KMQTT_STAT_DROPPED_NO_MEMORY);
				return 0;
			}
			c->tx = tx;
		}
		tx_release(tx);
		tx_build(c, tx, max_bytes);
		if (!tx->nseg)
			return 0;
	}

	seg = tx->seg;
	off = tx->off;
	while (seg < tx->nseg && n < max_iov && bytes < max_bytes) {
		size_t len = tx->iov[seg].iov_len - off;

		if (len > max_bytes - bytes)
			len = max_bytes - bytes;
		iov[n].iov_base = (u8 *)tx->iov[seg].iov_base + off;
		iov[n].iov_len = len;
		bytes += len;
		n++;
		seg++;
		off = 0;
	}
	return n;
}

void kmqtt_client_output_done(struct kmqtt_client *c, size_t sent)
{
	struct kmqtt_tx *tx = c->tx;

	if (!tx || !sent)
		return;
	WRITE_ONCE(c->bytes_out, c->bytes_out + sent);
	kmqtt_stat_add(&c->b->stats, KMQTT_STAT_BYTES_OUT, sent);
	while (sent && tx->seg < tx->nseg) {
		size_t left = tx->iov[tx->seg].iov_len - tx->off;

		if (sent >= left) {
			sent -= left;
			tx->seg++;
			tx->off = 0;
		} else {
			tx->off += sent;
			sent = 0;
		}
	}
	if (tx->seg >= tx->nseg)
		tx_release(tx);
}
