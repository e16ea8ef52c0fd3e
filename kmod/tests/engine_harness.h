/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The harness of the engine cases (engine_cases.h, delivery_cases.h): see
 * kt.h. In-memory clients drive a real broker through engine.h: a fake
 * transport collects output bytes, a tiny MQTT encoder/decoder here builds
 * client packets and reads the broker's. Runners include both case files,
 * which use every helper here.
 *
 * Time: tick() takes "now" explicitly and the cases read the client's own
 * last_rx/created_at, so they hold under the kernel's real clock too.
 */
#ifndef KMQTT_ENGINE_HARNESS_H
#define KMQTT_ENGINE_HARNESS_H

#include "kt.h"
#include "../engine.h"

#ifndef ENG_EQ
/* KT_EQ evaluates its arguments twice: this one, for calls, once. */
#define ENG_EQ(t, expr, want)						\
	do {								\
		long long __v = (expr);					\
									\
		KT_CHECK(t, __v == (long long)(want),			\
			 "%s == %s: %lld != %lld", #expr, #want,	\
			 __v, (long long)(want));			\
	} while (0)
#endif

/* ---- fake transport ---- */

struct tc {
	struct kmqtt_broker *b;
	struct kmqtt_client *c;
	u8 *out;		/* everything the broker sent */
	size_t out_len;
	size_t out_cap;
	size_t rd;		/* decoder position in out */
	size_t chunk;		/* bytes per "send", 0: all */
	int wakes;
	int rx_wakes;		/* ops->wake_rx: a pause ended, or a yield */
	int closes;
	u8 *w;			/* encoder scratch */
	size_t wcap;
};

static void tc_wake(void *transport)
{
	((struct tc *)transport)->wakes++;
}

static void tc_kill(void *transport)
{
	((struct tc *)transport)->closes++;
}

static void tc_wake_rx(void *transport)
{
	((struct tc *)transport)->rx_wakes++;
}

static const struct kmqtt_transport_ops tc_ops = {
	.wake_tx = tc_wake,
	.close = tc_kill,
	.wake_rx = tc_wake_rx,
};

/* user "alice"/"secret" is known; "bob" is not; with tb_users off: none. */
static bool tb_users;

static enum kmqtt_auth_result tb_auth(struct kmqtt_broker *b,
				      const struct mqtt_bytes *user,
				      const struct mqtt_bytes *pass)
{
	if (!tb_users)
		return KMQTT_AUTH_NO_USERS;
	if (user->len == 5 && !memcmp(user->data, "alice", 5) && pass &&
	    pass->len == 6 && !memcmp(pass->data, "secret", 6))
		return KMQTT_AUTH_OK;
	return KMQTT_AUTH_BAD;
}

static const struct kmqtt_broker_ops tb_ops = { .authenticate = tb_auth };

static struct kmqtt_broker *tb_new(kt_ctx *t)
{
	struct kmqtt_broker *b = kzalloc(sizeof(*b), GFP_KERNEL);

	tb_users = false;
	KT_CHECK(t, b, "broker alloc");
	if (b && kmqtt_broker_init(b, &tb_ops, NULL)) {
		KT_CHECK(t, 0, "broker init");
		kfree(b);
		return NULL;
	}
	return b;
}

static u64 tb_stat(struct kmqtt_broker *b, enum kmqtt_stat i)
{
	u64 v[KMQTT_STAT_COUNT];

	kmqtt_stats_read(&b->stats, v);
	return v[i];
}

static void tb_free(struct kmqtt_broker *b)
{
	if (!b)
		return;
	kmqtt_broker_destroy(b);
	kfree(b);
}

static struct tc *tc_new(kt_ctx *t, struct kmqtt_broker *b)
{
	struct tc *c = kzalloc(sizeof(*c), GFP_KERNEL);

	if (!c)
		return NULL;
	c->b = b;
	c->wcap = 2048;
	c->w = kmalloc(c->wcap, GFP_KERNEL);
	c->c = kmqtt_client_new(b, &tc_ops, c, "127.0.0.1:1", GFP_KERNEL);
	KT_CHECK(t, c->c && c->w, "client alloc");
	return c;
}

/* Drain the engine's output like a socket that takes c->chunk at a time. */
static void tc_flush(struct tc *c)
{
	struct kvec iov[8];
	int n, i, rounds = 0;

	if (!c->c)
		return;
	while ((n = kmqtt_client_output(c->c, iov, ARRAY_SIZE(iov),
					c->chunk ? c->chunk : 1 << 20)) > 0) {
		size_t sent = 0;

		for (i = 0; i < n; i++) {
			size_t len = iov[i].iov_len;

			if (c->out_len + len > c->out_cap) {
				size_t cap = max_t(size_t, c->out_cap * 2,
						   c->out_len + len + 256);
				u8 *p = krealloc(c->out, cap, GFP_KERNEL);

				if (!p)
					return;
				c->out = p;
				c->out_cap = cap;
			}
			memcpy(c->out + c->out_len, iov[i].iov_base, len);
			c->out_len += len;
			sent += len;
		}
		kmqtt_client_output_done(c->c, sent);
		if (++rounds > 100000)
			break;
	}
}

/*
 * Feed @len bytes; returns what the engine consumed (or its error). Like a
 * transport, come back with the rest after a yield (work budget); a pause
 * (backpressure) is left for the case to look at.
 */
static long tc_in(struct tc *c, const u8 *buf, size_t len)
{
	long r, used = 0;

	for (;;) {
		r = kmqtt_client_input(c->c, buf + used, len - used);
		if (r < 0) {
			used = r;
			break;
		}
		used += r;
		if (!c->c->rx_yield || (size_t)used >= len)
			break;
	}
	tc_flush(c);
	return used;
}

static bool tc_paused(struct tc *c)
{
	return kmqtt_client_rx_paused(c->c);
}

static int tc_tick(struct tc *c)
{
	return kmqtt_client_tick(c->c, kmqtt_now_sec());
}

/* The connection ends (socket error unless DISCONNECT was sent). */
static void tc_close(struct tc *c)
{
	if (c->c)
		kmqtt_client_closed(c->c);
	c->c = NULL;
}

static void tc_free(struct tc *c)
{
	if (!c)
		return;
	tc_close(c);
	kfree(c->out);
	kfree(c->w);
	kfree(c);
}

/* ---- client-side encoder ---- */

struct wb {
	u8 *p;
	size_t len;
};

static void wb_u8(struct wb *w, u8 v)
{
	w->p[w->len++] = v;
}

static void wb_u16(struct wb *w, u16 v)
{
	wb_u8(w, v >> 8);
	wb_u8(w, v & 0xff);
}

static void wb_raw(struct wb *w, const void *d, size_t n)
{
	memcpy(w->p + w->len, d, n);
	w->len += n;
}

static void wb_str(struct wb *w, const char *s)
{
	wb_u16(w, strlen(s));
	wb_raw(w, s, strlen(s));
}

/* Body starts at offset 5; prefix the fixed header, return the frame. */
static const u8 *wb_frame(struct wb *w, u8 first, size_t *len)
{
	u32 rem = w->len - 5;
	u8 hdr[5];
	unsigned int n = 0;

	hdr[n++] = first;
	do {
		u8 d = rem % 128;

		rem /= 128;
		hdr[n++] = d | (rem ? 0x80 : 0);
	} while (rem);
	memcpy(w->p + 5 - n, hdr, n);
	*len = w->len - 5 + n;
	return w->p + 5 - n;
}

struct copt {
	const char *id;
	bool clean;
	u16 ka;
	u8 level;		/* 0: 4 */
	const char *user;
	const char *pass;
	const char *will_topic;
	const char *will_msg;
	u8 will_qos;
	bool will_retain;
};

static long tc_connect_opt(struct tc *c, const struct copt *o)
{
	struct wb w = { c->w, 5 };
	u8 level = o->level ? o->level : MQTT_LEVEL_311;
	u8 flags = o->clean ? 0x02 : 0;
	const u8 *f;
	size_t len;

	wb_str(&w, level == MQTT_LEVEL_31 ? "MQIsdp" : "MQTT");
	wb_u8(&w, level);
	if (o->will_topic)
		flags |= 0x04 | o->will_qos << 3 | (o->will_retain ? 0x20 : 0);
	if (o->user)
		flags |= 0x80;
	if (o->pass)
		flags |= 0x40;
	wb_u8(&w, flags);
	wb_u16(&w, o->ka);
	wb_str(&w, o->id);
	if (o->will_topic) {
		wb_str(&w, o->will_topic);
		wb_str(&w, o->will_msg);
	}
	if (o->user)
		wb_str(&w, o->user);
	if (o->pass)
		wb_str(&w, o->pass);
	f = wb_frame(&w, MQTT_CONNECT << 4, &len);
	return tc_in(c, f, len);
}

static long tc_connect(struct tc *c, const char *id, bool clean)
{
	struct copt o = { .id = id, .clean = clean };

	return tc_connect_opt(c, &o);
}

static size_t enc_publish(u8 *buf, const char *topic, const void *payload,
			  size_t plen, u8 qos, bool retain, bool dup, u16 pid)
{
	struct wb w = { buf, 5 };
	const u8 *f;
	size_t len;

	wb_str(&w, topic);
	if (qos)
		wb_u16(&w, pid);
	wb_raw(&w, payload, plen);
	f = wb_frame(&w, MQTT_PUBLISH << 4 | (dup ? 8 : 0) | qos << 1 |
		     (retain ? 1 : 0), &len);
	memmove(buf, f, len);
	return len;
}

static long tc_publish(struct tc *c, const char *topic, const char *payload,
		       u8 qos, bool retain, u16 pid)
{
	size_t len = enc_publish(c->w, topic, payload, strlen(payload), qos,
				 retain, false, pid);

	return tc_in(c, c->w, len);
}

/* Filters and QoS: "a/b", 1, "c/#", 0, ..., NULL. */
static long tc_subscribe_n(struct tc *c, u16 pid, const char *const *f,
			   const u8 *qos, int n)
{
	struct wb w = { c->w, 5 };
	const u8 *fr;
	size_t len;
	int i;

	wb_u16(&w, pid);
	for (i = 0; i < n; i++) {
		wb_str(&w, f[i]);
		wb_u8(&w, qos[i]);
	}
	fr = wb_frame(&w, MQTT_SUBSCRIBE << 4 | 0x02, &len);
	return tc_in(c, fr, len);
}

static long tc_subscribe(struct tc *c, u16 pid, const char *filter, u8 qos)
{
	return tc_subscribe_n(c, pid, &filter, &qos, 1);
}

static long tc_unsubscribe(struct tc *c, u16 pid, const char *filter)
{
	struct wb w = { c->w, 5 };
	const u8 *fr;
	size_t len;

	wb_u16(&w, pid);
	wb_str(&w, filter);
	fr = wb_frame(&w, MQTT_UNSUBSCRIBE << 4 | 0x02, &len);
	return tc_in(c, fr, len);
}

static long tc_ack(struct tc *c, u8 type, u16 pid)
{
	u8 b[4] = { type << 4 | (type == MQTT_PUBREL ? 2 : 0), 2, pid >> 8,
		    pid & 0xff };

	return tc_in(c, b, 4);
}

static long tc_simple(struct tc *c, u8 type)
{
	u8 b[2] = { type << 4, 0 };

	return tc_in(c, b, 2);
}

/* ---- broker-side decoder ---- */

struct tp {
	u8 type;
	u8 flags;
	const u8 *body;
	u32 len;
	/* PUBLISH */
	u8 qos;
	bool dup;
	bool retain;
	const u8 *topic;
	u16 tlen;
	u16 pid;
	const u8 *payload;
	u32 plen;
};

static bool tc_next(struct tc *c, struct tp *p)
{
	size_t pos = c->rd;
	u32 rem = 0, mul = 1;
	u8 d;

	memset(p, 0, sizeof(*p));
	if (pos + 2 > c->out_len)
		return false;
	p->type = c->out[pos] >> 4;
	p->flags = c->out[pos] & 0x0f;
	pos++;
	do {
		if (pos >= c->out_len)
			return false;
		d = c->out[pos++];
		rem += (d & 0x7f) * mul;
		mul *= 128;
	} while (d & 0x80);
	if (pos + rem > c->out_len)
		return false;
	p->body = c->out + pos;
	p->len = rem;
	c->rd = pos + rem;
	if (p->type == MQTT_PUBLISH && rem >= 2) {
		const u8 *q = p->body;

		p->qos = (p->flags >> 1) & 3;
		p->dup = p->flags & 8;
		p->retain = p->flags & 1;
		p->tlen = q[0] << 8 | q[1];
		p->topic = q + 2;
		q += 2 + p->tlen;
		if (p->qos) {
			p->pid = q[0] << 8 | q[1];
			q += 2;
		}
		p->payload = q;
		p->plen = p->body + rem - q;
	} else if (rem >= 2) {
		p->pid = p->body[0] << 8 | p->body[1];
	}
	return true;
}

/* Packets not yet read. */
static int tc_pending(struct tc *c)
{
	size_t save = c->rd;
	struct tp p;
	int n = 0;

	while (tc_next(c, &p))
		n++;
	c->rd = save;
	return n;
}

static bool tp_is(const struct tp *p, const char *topic, const char *payload)
{
	return p->type == MQTT_PUBLISH && p->tlen == strlen(topic) &&
	       !memcmp(p->topic, topic, p->tlen) &&
	       p->plen == strlen(payload) &&
	       !memcmp(p->payload, payload, p->plen);
}

/* Expect the next packet to be @type; returns it in @p. */
static bool tc_expect(kt_ctx *t, struct tc *c, u8 type, struct tp *p)
{
	bool ok = tc_next(c, p);

	KT_CHECK(t, ok && p->type == type, "expected packet type %u, got %u",
		 type, ok ? p->type : 0);
	return ok && p->type == type;
}

static void tc_expect_connack(kt_ctx *t, struct tc *c, bool present, u8 rc)
{
	struct tp p;

	if (!tc_expect(t, c, MQTT_CONNACK, &p))
		return;
	KT_CHECK(t, p.len == 2 && p.body[0] == (present ? 1 : 0) &&
		 p.body[1] == rc, "CONNACK %u/%u, expected %u/%u",
		 p.body[0], p.body[1], present, rc);
}

static void tc_expect_suback(kt_ctx *t, struct tc *c, u16 pid, const u8 *codes,
			     int n)
{
	struct tp p;
	int i;

	if (!tc_expect(t, c, MQTT_SUBACK, &p))
		return;
	KT_EQ(t, p.pid, pid);
	KT_EQ(t, p.len, 2 + n);
	for (i = 0; i < n && i + 2 < (int)p.len + 0; i++)
		KT_CHECK(t, p.body[2 + i] == codes[i], "SUBACK code %d: %u != %u",
			 i, p.body[2 + i], codes[i]);
}

static void tc_expect_pub(kt_ctx *t, struct tc *c, const char *topic,
			  const char *payload, u8 qos, bool retain,
			  struct tp *out)
{
	struct tp p;

	if (!tc_expect(t, c, MQTT_PUBLISH, &p))
		return;
	KT_CHECK(t, tp_is(&p, topic, payload), "PUBLISH %.*s '%.*s', want %s '%s'",
		 p.tlen, p.topic, (int)p.plen, p.payload, topic, payload);
	KT_EQ(t, p.qos, qos);
	KT_EQ(t, p.retain, retain);
	if (out)
		*out = p;
}

static void tc_expect_ack(kt_ctx *t, struct tc *c, u8 type, u16 pid)
{
	struct tp p;

	if (!tc_expect(t, c, type, &p))
		return;
	KT_EQ(t, p.pid, pid);
	KT_EQ(t, p.flags, type == MQTT_PUBREL ? 2 : 0);
}

static void tc_expect_none(kt_ctx *t, struct tc *c)
{
	KT_CHECK(t, tc_pending(c) == 0, "%d unexpected packets",
		 tc_pending(c));
}

/* A connected client with its CONNACK read. */
static struct tc *tc_online(kt_ctx *t, struct kmqtt_broker *b, const char *id,
			    bool clean)
{
	struct tc *c = tc_new(t, b);

	if (!c)
		return NULL;
	KT_CHECK(t, tc_connect(c, id, clean) > 0, "connect %s", id);
	tc_expect_connack(t, c, false, 0);
	return c;
}

static void tc_sub(kt_ctx *t, struct tc *c, const char *filter, u8 qos)
{
	KT_CHECK(t, tc_subscribe(c, 1, filter, qos) > 0, "subscribe %s", filter);
	tc_expect_suback(t, c, 1, &qos, 1);
}

#endif /* KMQTT_ENGINE_HARNESS_H */
