/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Delivery cases: persistent sessions and their offline queue, resends with
 * DUP, QoS 2 across reconnects, takeover, the in-flight window, slow
 * subscribers, partial sends, wide fan-out and memory accounting. Shared by
 * tests/unit/engine_test.c and the KUnit module; harness: engine_harness.h.
 */
#ifndef KMQTT_DELIVERY_CASES_H
#define KMQTT_DELIVERY_CASES_H

#include "engine_harness.h"

static void eng_persistent_session(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct tc *s, *p;
	struct tp m;
	char buf[16];
	int i;

	if (!b)
		return;
	s = tc_online(t, b, "per", false);
	tc_sub(t, s, "p/#", 1);
	tc_simple(s, MQTT_DISCONNECT);
	tc_free(s);
	KT_EQ(t, b->session_count, 1);

	p = tc_online(t, b, "pub", true);
	tc_publish(p, "p/a", "q0", 0, false, 0);	/* not kept offline */
	for (i = 0; i < 3; i++) {
		snprintf(buf, sizeof(buf), "m%d", i);
		tc_publish(p, "p/a", buf, 1, false, 100 + i);
	}
	/* Back: session present, subscriptions kept, messages in order. */
	s = tc_new(t, b);
	tc_connect(s, "per", false);
	tc_expect_connack(t, s, true, 0);
	tc_expect_pub(t, s, "p/a", "m0", 1, false, NULL);
	tc_expect_pub(t, s, "p/a", "m1", 1, false, &m);
	tc_expect_pub(t, s, "p/a", "m2", 1, false, NULL);
	tc_expect_none(t, s);
	/* m1 acked; drop the line: m0 and m2 come again with DUP, in order */
	tc_ack(s, MQTT_PUBACK, m.pid);
	tc_free(s);
	s = tc_new(t, b);
	tc_connect(s, "per", false);
	tc_expect_connack(t, s, true, 0);
	tc_expect_pub(t, s, "p/a", "m0", 1, false, &m);
	KT_CHECK(t, m.dup, "m0 resent with DUP");
	tc_expect_pub(t, s, "p/a", "m2", 1, false, &m);
	KT_CHECK(t, m.dup, "m2 resent with DUP");
	tc_expect_none(t, s);
	tc_free(s);

	/* The offline queue is bounded; what does not fit is counted. */
	b->limits.max_queued_msgs = 5;
	for (i = 0; i < 8; i++) {
		snprintf(buf, sizeof(buf), "n%d", i);
		tc_publish(p, "p/b", buf, 1, false, 200 + i);
	}
	KT_EQ(t, tb_stat(b, KMQTT_STAT_DROPPED_QUEUE_FULL), 3);
	s = tc_new(t, b);
	tc_connect(s, "per", false);
	tc_expect_connack(t, s, true, 0);
	tc_expect_pub(t, s, "p/a", "m0", 1, false, NULL);
	tc_expect_pub(t, s, "p/a", "m2", 1, false, NULL);
	for (i = 0; i < 5; i++) {
		snprintf(buf, sizeof(buf), "n%d", i);
		tc_expect_pub(t, s, "p/b", buf, 1, false, NULL);
	}
	tc_expect_none(t, s);
	tc_free(s);

	/* A clean session connect discards it. */
	s = tc_online(t, b, "per", true);
	KT_EQ(t, s->c->session->sub_count, 0);
	tc_free(s);
	s = tc_online(t, b, "per", false);
	tc_publish(p, "p/a", "x", 1, false, 300);
	tc_flush(s);
	tc_expect_none(t, s);
	tc_free(s);
	KT_EQ(t, b->session_count, 2);
	tc_free(p);
	tb_free(b);
}

static void eng_qos2_resume(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct tc *s, *p;
	struct tp m;

	if (!b)
		return;
	s = tc_online(t, b, "q2", false);
	tc_sub(t, s, "z", 2);
	p = tc_online(t, b, "pub", true);
	tc_publish(p, "z", "body", 2, false, 5);
	tc_flush(s);
	tc_expect_pub(t, s, "z", "body", 2, false, &m);
	tc_ack(s, MQTT_PUBREC, m.pid);
	tc_expect_ack(t, s, MQTT_PUBREL, m.pid);
	tc_free(s);		/* drops before PUBCOMP */
	s = tc_new(t, b);
	tc_connect(s, "q2", false);
	tc_expect_connack(t, s, true, 0);
	tc_expect_ack(t, s, MQTT_PUBREL, m.pid);	/* not the PUBLISH */
	tc_expect_none(t, s);
	tc_ack(s, MQTT_PUBCOMP, m.pid);
	KT_EQ(t, s->c->session->inflight_count, 0);

	/* Incoming side: the publisher drops after PUBREC; resends DUP. */
	tc_free(p);
	p = tc_online(t, b, "pub2", false);
	tc_publish(p, "z", "in", 2, false, 9);
	tc_expect_ack(t, p, MQTT_PUBREC, 9);
	tc_free(p);
	p = tc_new(t, b);
	tc_connect(p, "pub2", false);
	tc_expect_connack(t, p, true, 0);
	tc_in(p, p->w, enc_publish(p->w, "z", "in", 2, 2, false, true, 9));
	tc_expect_ack(t, p, MQTT_PUBREC, 9);
	tc_ack(p, MQTT_PUBREL, 9);
	tc_expect_ack(t, p, MQTT_PUBCOMP, 9);
	tc_flush(s);
	tc_expect_pub(t, s, "z", "in", 2, false, NULL);
	tc_expect_none(t, s);
	tc_free(s);
	tc_free(p);
	tb_free(b);
}

static void eng_takeover_session(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct tc *a, *c, *p;

	if (!b)
		return;
	a = tc_online(t, b, "dev", false);
	tc_sub(t, a, "t", 1);
	c = tc_new(t, b);
	tc_connect(c, "dev", false);
	tc_expect_connack(t, c, true, 0);
	KT_EQ(t, a->closes, 1);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_TAKEOVERS), 1);
	p = tc_online(t, b, "p", true);
	tc_publish(p, "t", "to-new", 1, false, 1);
	tc_flush(a);
	tc_flush(c);
	tc_expect_none(t, a);
	tc_expect_pub(t, c, "t", "to-new", 1, false, NULL);
	/* The old connection's end does not disturb the new one. */
	tc_free(a);
	KT_EQ(t, b->session_count, 2);
	KT_EQ(t, c->c->session->client, c->c);
	tc_free(c);
	tc_free(p);
	tb_free(b);
}

static void eng_inflight_window(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct tc *s, *p;
	struct tp m, first;
	char buf[16];
	int i;

	if (!b)
		return;
	s = tc_online(t, b, "slow", true);
	tc_sub(t, s, "w", 1);
	p = tc_online(t, b, "p", true);
	for (i = 0; i < 25; i++) {
		snprintf(buf, sizeof(buf), "%d", i);
		tc_publish(p, "w", buf, i == 3 ? 0 : 1, false, 1 + i);
	}
	tc_flush(s);
	/* 20 in flight (QoS 0 ones do not count), the rest queued in order */
	for (i = 0; i < 21; i++) {
		snprintf(buf, sizeof(buf), "%d", i);
		tc_expect_pub(t, s, "w", buf, i == 3 ? 0 : 1, false,
			      i ? &m : &first);
	}
	tc_expect_none(t, s);
	KT_EQ(t, s->c->session->inflight_count, 20);
	KT_EQ(t, s->c->session->queued, 4);
	tc_ack(s, MQTT_PUBACK, first.pid);
	tc_expect_pub(t, s, "w", "21", 1, false, NULL);
	tc_expect_none(t, s);
	/* Packet ids in the window are distinct and not 0. */
	KT_CHECK(t, m.pid && m.pid != first.pid, "pids");
	tc_free(s);
	tc_free(p);
	tb_free(b);
}

static void eng_slow_subscriber(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct tc *s, *f, *p;
	int i, wakes;

	if (!b)
		return;
	b->limits.max_queued_msgs = 3;
	s = tc_online(t, b, "never-reads", true);
	f = tc_online(t, b, "fast", true);
	tc_sub(t, s, "s", 0);
	tc_sub(t, f, "s", 0);
	p = tc_online(t, b, "p", true);
	wakes = s->wakes;
	for (i = 0; i < 10; i++) {
		KT_CHECK(t, tc_publish(p, "s", "x", 0, false, 0) > 0, "pub");
		tc_flush(f);
		if (!tc_paused(p))
			continue;
		/*
		 * The full queue paused the publisher (backpressure). A tick
		 * without progress marks it stalled; the publisher's own
		 * tick is the valve. Stalled, it pauses nobody again.
		 */
		KT_EQ(t, i, 2);
		tc_tick(s);
		tc_tick(p);
		KT_CHECK(t, !tc_paused(p), "resumed by its tick");
	}
	KT_EQ(t, tb_stat(b, KMQTT_STAT_RX_PAUSES), 1);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_RX_PAUSE_EXPIRED), 1);
	KT_EQ(t, tc_pending(f), 10);
	KT_EQ(t, s->c->session->queued, 3);
	KT_EQ(t, s->c->session->dropped, 7);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_DROPPED_QUEUE_FULL), 7);
	/* one wake for the first message; the others found it pending */
	KT_EQ(t, s->wakes - wakes, 1);
	tc_flush(s);
	KT_EQ(t, tc_pending(s), 3);
	tc_free(s);
	tc_free(f);
	tc_free(p);
	tb_free(b);
}

static void eng_partial_sends(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct tc *s, *p;
	char big[300];
	int i;

	if (!b)
		return;
	s = tc_online(t, b, "s", true);
	tc_sub(t, s, "big/#", 2);
	p = tc_online(t, b, "p", true);
	b->limits.max_inflight = 100;
	memset(big, 'z', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (i = 0; i < 40; i++)
		tc_publish(p, i & 1 ? "big/odd" : "big/even", big, i % 3,
			   false, 1 + i);
	s->chunk = 7;		/* a socket taking 7 bytes at a time */
	tc_flush(s);
	for (i = 0; i < 40; i++)
		tc_expect_pub(t, s, i & 1 ? "big/odd" : "big/even", big, i % 3,
			      false, NULL);
	tc_expect_none(t, s);
	KT_EQ(t, s->c->tx, NULL);	/* idle: no send buffers held */
	tc_free(s);
	tc_free(p);
	tb_free(b);
}

static void eng_fanout_many(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	enum { N = 100 };
	struct tc **subs;
	struct tc *p;
	char id[16];
	int i, got = 0;

	if (!b)
		return;
	subs = kcalloc(N, sizeof(*subs), GFP_KERNEL);
	for (i = 0; subs && i < N; i++) {
		snprintf(id, sizeof(id), "s%d", i);
		subs[i] = tc_online(t, b, id, true);
		tc_sub(t, subs[i], "fan/+", 1);
		tc_sub(t, subs[i], "#", 0);
	}
	p = tc_online(t, b, "p", true);
	tc_publish(p, "fan/out", "all", 1, false, 1);
	tc_expect_ack(t, p, MQTT_PUBACK, 1);
	for (i = 0; subs && i < N; i++) {
		struct tp m;

		tc_flush(subs[i]);
		if (tc_next(subs[i], &m) && tp_is(&m, "fan/out", "all") &&
		    m.qos == 1)
			got++;
		tc_expect_none(t, subs[i]);
	}
	KT_EQ(t, got, N);
	/* publish to itself */
	tc_sub(t, p, "self", 0);
	tc_publish(p, "self", "me", 0, false, 0);
	tc_expect_pub(t, p, "self", "me", 0, false, NULL);
	for (i = 0; subs && i < N; i++)
		tc_free(subs[i]);
	kfree(subs);
	tc_free(p);
	tb_free(b);
}


/* A frame of @n QoS @qos PUBLISHes on @topic into @buf; returns its length. */
static size_t bp_publishes(u8 *buf, const char *topic, int n, u8 qos,
			   u16 pid0)
{
	size_t len = 0;
	int i;

	for (i = 0; i < n; i++)
		len += enc_publish(buf + len, topic, "bp", 2, qos, false, false,
				   pid0 + i);
	return len;
}

/*
 * Backpressure: a publisher that fills a draining subscriber's queue to
 * its high watermark stops being read after that PUBLISH; the subscriber
 * draining to its low watermark wakes it. Nothing is dropped.
 */
static void eng_backpressure_pause_resume(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	size_t one, len;
	struct tc *s, *p;
	u8 *buf;
	int i, got = 0;
	struct tp m;

	if (!b)
		return;
	buf = kmalloc(4096, GFP_KERNEL);
	b->limits.max_queued_msgs = 8;		/* high 6, low 4 */
	s = tc_online(t, b, "s", true);
	tc_sub(t, s, "bp", 0);
	p = tc_online(t, b, "p", true);
	if (!buf || !s || !p)
		goto out;

	/* Ten in one read: consumed up to and including the sixth. */
	one = bp_publishes(buf, "bp", 1, 0, 0);
	len = bp_publishes(buf, "bp", 10, 0, 0);
	ENG_EQ(t, tc_in(p, buf, len), 6 * one);
	KT_CHECK(t, tc_paused(p), "paused at the high watermark");
	KT_EQ(t, s->c->session->queued, 6);
	KT_CHECK(t, s->c->session->pressured, "pressured");
	KT_EQ(t, tb_stat(b, KMQTT_STAT_RX_PAUSES), 1);
	/* Paused: nothing more is taken, nothing queued. */
	ENG_EQ(t, tc_in(p, buf + 6 * one, len - 6 * one), 0);
	KT_EQ(t, s->c->session->queued, 6);
	KT_EQ(t, p->rx_wakes, 0);

	/* The subscriber sends: down to the low mark, the publisher wakes. */
	tc_flush(s);
	KT_EQ(t, p->rx_wakes, 1);
	KT_CHECK(t, !tc_paused(p), "resumed by the drain");
	KT_CHECK(t, !s->c->session->pressured, "not pressured");
	ENG_EQ(t, tc_in(p, buf + 6 * one, len - 6 * one), 4 * one);
	KT_CHECK(t, !tc_paused(p), "4 more: below the high mark");
	tc_flush(s);
	while (tc_next(s, &m))
		if (tp_is(&m, "bp", "bp"))
			got++;
	KT_EQ(t, got, 10);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_DROPPED_QUEUE_FULL), 0);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_RX_PAUSE_EXPIRED), 0);

	/* QoS 1: the PUBLISH that pauses is still acknowledged. */
	p->rd = p->out_len;
	len = bp_publishes(buf, "bp", 7, 1, 100);
	ENG_EQ(t, tc_in(p, buf, len), 6 * bp_publishes(buf + len, "bp", 1, 1,
						      1));
	KT_CHECK(t, tc_paused(p), "paused");
	for (i = 0; i < 6; i++)
		tc_expect_ack(t, p, MQTT_PUBACK, 100 + i);
	tc_expect_none(t, p);
	/* A close while paused leaves nothing behind on the list. */
	tc_close(p);
	KT_CHECK(t, list_empty(&b->paused), "paused list empty");
out:
	kfree(buf);
	tc_free(s);
	tc_free(p);
	tb_free(b);
}

/*
 * A subscriber that never reads pauses a publisher once; the publisher's
 * tick lets it go, the stuck queue is stalled (pauses nobody, drops at its
 * cap) until it sends again.
 */
static void eng_backpressure_valve(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct tc *s, *f, *p;
	int i, pauses = 0;

	if (!b)
		return;
	b->limits.max_queued_msgs = 4;		/* high 3, low 2 */
	s = tc_online(t, b, "stuck", true);
	f = tc_online(t, b, "fast", true);
	tc_sub(t, s, "v", 0);
	tc_sub(t, f, "v", 0);
	p = tc_online(t, b, "p", true);
	if (!s || !f || !p)
		goto out;
	/* "stuck" never reads: nothing takes its output from here on. */
	for (i = 0; i < 3; i++) {
		KT_CHECK(t, tc_publish(p, "v", "x", 0, false, 0) > 0, "pub");
		tc_flush(f);
	}
	KT_CHECK(t, tc_paused(p), "paused by the stuck queue");
	/* Its own tick first: no progress, stalled. Then the valve. */
	tc_tick(s);
	KT_CHECK(t, s->c->session->stalled, "stalled");
	tc_tick(p);
	KT_CHECK(t, !tc_paused(p), "the tick resumed it");
	KT_EQ(t, p->rx_wakes, 1);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_RX_PAUSE_EXPIRED), 1);
	for (i = 0; i < 20; i++) {
		KT_CHECK(t, tc_publish(p, "v", "x", 0, false, 0) > 0, "pub");
		pauses += tc_paused(p);
		tc_flush(f);
	}
	KT_EQ(t, pauses, 0);
	KT_EQ(t, tc_pending(f), 23);
	KT_EQ(t, s->c->session->queued, 4);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_DROPPED_QUEUE_FULL), 19);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_RX_PAUSES), 1);

	/* It sends again: no longer stalled, so it may pause publishers. */
	tc_flush(s);
	KT_CHECK(t, !s->c->session->stalled, "progress clears stalled");
	for (i = 0; i < 3; i++) {
		tc_publish(p, "v", "x", 0, false, 0);
		tc_flush(f);
	}
	KT_CHECK(t, tc_paused(p), "paused again");
	/* A tick that saw progress does not stall it; the valve still acts. */
	tc_tick(s);
	KT_CHECK(t, !s->c->session->stalled, "drained since the last tick");
	tc_tick(p);
	KT_CHECK(t, !tc_paused(p), "resumed");
	KT_EQ(t, tb_stat(b, KMQTT_STAT_RX_PAUSES), 2);
out:
	tc_free(s);
	tc_free(f);
	tc_free(p);
	tb_free(b);
}

/*
 * Never paused by its own queue; never paused by an offline session; two
 * clients publishing to each other without reading do not both stop: one
 * whose own client is paused pauses nobody, and ticks release the rest.
 */
static void eng_backpressure_self_and_mutual(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct tc *a, *c, *o;
	int i, paused_a = 0, paused_c = 0;

	if (!b)
		return;
	b->limits.max_queued_msgs = 4;
	b->limits.max_inflight = 1;
	a = tc_online(t, b, "a", true);
	c = tc_online(t, b, "c", true);
	if (!a || !c)
		goto out;
	/* Itself, never acknowledging: its queue fills, it is not paused. */
	tc_sub(t, a, "to/a", 1);
	for (i = 0; i < 10; i++) {
		tc_publish(a, "to/a", "me", 1, false, 1 + i);
		KT_CHECK(t, !tc_paused(a), "not paused by its own queue");
	}
	KT_EQ(t, a->c->session->queued, 4);
	a->rd = a->out_len;

	/* An offline persistent session holds nobody back either. */
	o = tc_online(t, b, "offline", false);
	tc_sub(t, o, "to/o", 1);
	tc_simple(o, MQTT_DISCONNECT);
	tc_free(o);
	for (i = 0; i < 10; i++) {
		tc_publish(c, "to/o", "later", 1, false, 1 + i);
		KT_CHECK(t, !tc_paused(c), "not paused by an offline queue");
	}

	/*
	 * a and c publish to each other and never acknowledge (one in flight
	 * each, the rest queued), so neither queue drains. Whoever fills the
	 * other's queue first pauses; the other is then not held back by the
	 * paused one's queue (its acknowledgements wait unread).
	 */
	c->rd = c->out_len;
	tc_sub(t, c, "to/c", 1);
	for (i = 0; i < 10; i++) {
		if (!tc_paused(a))
			tc_publish(a, "to/c", "ac", 1, false, 100 + i);
		if (!tc_paused(c))
			tc_publish(c, "to/a", "ca", 1, false, 200 + i);
		paused_a += tc_paused(a);
		paused_c += tc_paused(c);
	}
	KT_CHECK(t, !(tc_paused(a) && tc_paused(c)), "not both paused");
	KT_CHECK(t, paused_a || paused_c, "one was paused");
	/* The valve: after a tick each, nobody is paused. */
	tc_tick(a);
	tc_tick(c);
	tc_tick(a);
	tc_tick(c);
	KT_CHECK(t, !tc_paused(a) && !tc_paused(c), "ticks release both");
	KT_CHECK(t, list_empty(&b->paused), "paused list empty");
out:
	tc_free(a);
	tc_free(c);
	tb_free(b);
}

/*
 * Bounded work: a read full of cheap-to-send, costly-to-handle packets is
 * taken in shares; each share ends with wake_rx so the transport comes back
 * in a new run. Everything is handled, in order.
 */
static void eng_work_budget_yields(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct tc *c, *p;
	u8 *buf = NULL;
	size_t len = 0, one;
	long r, used = 0;
	int i, yields = 0, n = 3000;
	struct tp m;

	if (!b)
		return;
	c = tc_online(t, b, "budget", true);
	p = tc_online(t, b, "retainer", true);
	buf = kmalloc(16 * n, GFP_KERNEL);
	if (!c || !p || !buf)
		goto out;
	/* Retained messages that a '#' walks and an ACL-less filter visits. */
	for (i = 0; i < 40; i++) {
		char topic[16];

		snprintf(topic, sizeof(topic), "r/%d", i);
		tc_publish(p, topic, "kept", 0, true, 0);
	}
	/* n x UNSUBSCRIBE 'x' (each one frame, 1 filter) */
	for (i = 0; i < n; i++) {
		static const u8 unsub[] = { 0xa2, 5, 0, 1, 0, 1, 'x' };

		memcpy(buf + len, unsub, sizeof(unsub));
		len += sizeof(unsub);
	}
	one = len / n;
	while ((size_t)used < len) {
		r = kmqtt_client_input(c->c, buf + used, len - used);
		KT_CHECK(t, r > 0, "progress");
		if (r <= 0)
			break;
		used += r;
		KT_CHECK(t, r % one == 0, "whole frames");
		if ((size_t)used < len) {
			KT_CHECK(t, tc_paused(c), "stopped: yielding");
			yields++;
		}
	}
	tc_flush(c);
	KT_CHECK(t, yields >= 2, "%d yields for %d frames", yields, n);
	KT_EQ(t, c->rx_wakes, yields);
	KT_CHECK(t, !tc_paused(c), "a yield lasts one call");
	for (i = 0; i < n; i++)
		if (!tc_expect(t, c, MQTT_UNSUBACK, &m))
			break;
	tc_expect_none(t, c);

	/* SUBSCRIBE '#' walks 40 retained: counted, delivered in one go. */
	len = 0;
	for (i = 0; i < 100; i++) {
		static const u8 sub[] = { 0x82, 6, 0, 1, 0, 1, '#', 0 };

		memcpy(buf + len, sub, sizeof(sub));
		len += sizeof(sub);
	}
	b->limits.max_queued_msgs = 0;
	r = kmqtt_client_input(c->c, buf, len);
	KT_CHECK(t, r > 0 && (size_t)r < len, "yields within 100 '#' (%ld)",
		 r);
	KT_CHECK(t, c->c->rx_work >= KMQTT_RX_WORK, "work counted");
out:
	kfree(buf);
	tc_free(c);
	tc_free(p);
	tb_free(b);
}

static const char tc_ops_pad[256];

static void eng_memory_returns(kt_ctx *t)
{
	s64 before = atomic64_read(&kmqtt_msg_mem);
	struct kmqtt_broker *b = tb_new(t);
	struct tc *s, *p;

	if (!b)
		return;
	s = tc_online(t, b, "s", false);
	tc_sub(t, s, "#", 2);
	p = tc_online(t, b, "p", true);
	tc_publish(p, "a", "payload", 2, true, 1);
	tc_publish(p, "b", "payload", 1, false, 2);
	KT_CHECK(t, atomic64_read(&kmqtt_msg_mem) > before, "accounted");
	tc_free(s);		/* persistent, with queued messages */
	tc_free(p);
	tb_free(b);
	KT_EQ(t, atomic64_read(&kmqtt_msg_mem), before);

	/* The ceiling refuses new messages. */
	kmqtt_msg_mem_limit = before + 100;
	KT_CHECK(t, !kmqtt_msg_new(KT_B("t"), (const u8 *)tc_ops_pad, 200, 0,
				   false, GFP_KERNEL), "ceiling");
	kmqtt_msg_mem_limit = 0;
	KT_EQ(t, atomic64_read(&kmqtt_msg_mem), before);
}

static const struct kt_case delivery_cases[] = {
	KT_CASE(eng_persistent_session),
	KT_CASE(eng_qos2_resume),
	KT_CASE(eng_takeover_session),
	KT_CASE(eng_inflight_window),
	KT_CASE(eng_slow_subscriber),
	KT_CASE(eng_partial_sends),
	KT_CASE(eng_fanout_many),
	KT_CASE(eng_memory_returns),
	KT_CASE(eng_backpressure_pause_resume),
	KT_CASE(eng_backpressure_valve),
	KT_CASE(eng_backpressure_self_and_mutual),
	KT_CASE(eng_work_budget_yields),
};

#endif /* KMQTT_DELIVERY_CASES_H */
