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
	}
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
};

#endif /* KMQTT_DELIVERY_CASES_H */
