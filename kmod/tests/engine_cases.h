/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Protocol engine cases: CONNECT/CONNACK, protocol violations, framing, the
 * QoS flows, subscriptions, retained messages, wills, keep-alive, ACLs and
 * administration. Shared by tests/unit/engine_test.c and the KUnit module
 * (kmod/tests/engine_test.c); the harness is engine_harness.h.
 */
#ifndef KMQTT_ENGINE_CASES_H
#define KMQTT_ENGINE_CASES_H

#include "engine_harness.h"

static void eng_connect_ping_disconnect(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct tc *c;
	struct tp p;

	if (!b)
		return;
	c = tc_online(t, b, "c1", true);
	KT_EQ(t, c->wakes, 1);		/* input that made output wakes */
	KT_EQ(t, atomic_read(&b->connections), 1);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_CONNECTS), 1);
	ENG_EQ(t, tc_simple(c, MQTT_PINGREQ), 2);
	KT_CHECK(t, tc_expect(t, c, MQTT_PINGRESP, &p) && p.len == 0, "pingresp");
	KT_CHECK(t, tc_simple(c, MQTT_DISCONNECT) < 0, "disconnect closes");
	KT_CHECK(t, kmqtt_client_input(c->c, (const u8 *)"\xc0\x00", 2) < 0,
		 "no input after DISCONNECT");
	tc_free(c);
	KT_EQ(t, atomic_read(&b->connections), 0);
	KT_EQ(t, b->session_count, 0);
	tb_free(b);
}

static void eng_connack_codes(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	char longid[MQTT_MAX_CLIENT_ID + 2];
	struct copt o = { .clean = true };
	struct tc *c;

	if (!b)
		return;
	/* 0x01: unknown protocol level */
	c = tc_new(t, b);
	o.id = "x";
	o.level = 5;
	KT_CHECK(t, tc_connect_opt(c, &o) < 0, "level 5 closes");
	tc_expect_connack(t, c, false, 1);
	KT_CHECK(t, tc_simple(c, MQTT_PINGREQ) < 0, "no input after refusal");
	tc_free(c);
	o.level = 0;

	/* 0x02: empty id without clean session; empty id on 3.1; too long */
	c = tc_new(t, b);
	KT_CHECK(t, tc_connect(c, "", false) < 0, "empty id, clean 0");
	tc_expect_connack(t, c, false, 2);
	tc_free(c);
	c = tc_new(t, b);
	o.id = "";
	o.level = MQTT_LEVEL_31;
	KT_CHECK(t, tc_connect_opt(c, &o) < 0, "empty id on 3.1");
	tc_expect_connack(t, c, false, 2);
	tc_free(c);
	o.level = 0;
	memset(longid, 'a', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	c = tc_new(t, b);
	KT_CHECK(t, tc_connect(c, longid, true) < 0, "id too long");
	tc_expect_connack(t, c, false, 2);
	tc_free(c);

	/* 0x04: bad credentials; 0x00 with the right ones */
	tb_users = true;
	c = tc_new(t, b);
	o.id = "u1";
	o.user = "alice";
	o.pass = "wrong";
	KT_CHECK(t, tc_connect_opt(c, &o) < 0, "bad password");
	tc_expect_connack(t, c, false, 4);
	tc_free(c);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_AUTH_FAILURES), 1);
	c = tc_new(t, b);
	o.pass = "secret";
	KT_CHECK(t, tc_connect_opt(c, &o) > 0, "good password");
	tc_expect_connack(t, c, false, 0);
	tc_free(c);

	/* 0x05: anonymous not allowed; a name without a user database */
	b->limits.allow_anonymous = false;
	c = tc_new(t, b);
	KT_CHECK(t, tc_connect(c, "anon", true) < 0, "anonymous refused");
	tc_expect_connack(t, c, false, 5);
	tc_free(c);
	tb_users = false;
	c = tc_new(t, b);
	o.user = "bob";
	o.pass = NULL;
	KT_CHECK(t, tc_connect_opt(c, &o) < 0, "unverifiable name");
	tc_expect_connack(t, c, false, 5);
	tc_free(c);
	b->limits.allow_anonymous = true;

	/* 0x03: connection limit */
	b->limits.max_connections = 1;
	c = tc_online(t, b, "first", true);
	{
		struct tc *d = tc_new(t, b);

		KT_CHECK(t, tc_connect(d, "second", true) < 0, "over limit");
		tc_expect_connack(t, d, false, 3);
		tc_free(d);
	}
	KT_EQ(t, tb_stat(b, KMQTT_STAT_CONN_LIMIT), 1);
	tc_free(c);
	b->limits.max_connections = 0;

	/* 0x03: session limit */
	b->limits.max_sessions = 1;
	c = tc_online(t, b, "s1", true);
	{
		struct tc *d = tc_new(t, b);

		KT_CHECK(t, tc_connect(d, "s2", true) < 0, "sessions limit");
		tc_expect_connack(t, d, false, 3);
		tc_free(d);
	}
	tc_free(c);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_CONNECT_REFUSED), 9);
	tb_free(b);
}

static void eng_generated_id(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct tc *c, *d;

	if (!b)
		return;
	c = tc_online(t, b, "", true);
	d = tc_online(t, b, "", true);
	KT_CHECK(t, c->c->session && d->c->session &&
		 c->c->session != d->c->session, "two generated sessions");
	if (c->c->session)
		KT_CHECK(t, !strncmp(c->c->session->id, "kmqtt-", 6) &&
			 c->c->session->id_len > 6, "generated id %s",
			 c->c->session->id);
	tc_free(c);
	tc_free(d);
	tb_free(b);
}

static void eng_protocol_violations(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	u8 buf[64];
	struct tc *c;
	size_t len;

	if (!b)
		return;
	/* PUBLISH before CONNECT */
	c = tc_new(t, b);
	len = enc_publish(buf, "a", "x", 1, 0, false, false, 0);
	KT_CHECK(t, tc_in(c, buf, len) < 0, "publish before connect");
	KT_EQ(t, c->out_len, 0);
	tc_free(c);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_UNEXPECTED),
	      1);

	/* second CONNECT */
	c = tc_online(t, b, "twice", true);
	KT_CHECK(t, tc_connect(c, "twice", true) < 0, "second connect");
	tc_expect_none(t, c);
	tc_free(c);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_UNEXPECTED),
	      2);

	/* wildcard in a PUBLISH topic, QoS 3, server-only packet type */
	c = tc_online(t, b, "bad", true);
	KT_CHECK(t, tc_publish(c, "a/+", "x", 0, false, 0) < 0, "wildcard");
	tc_free(c);
	c = tc_online(t, b, "bad", true);
	buf[0] = 0x36;
	buf[1] = 5;
	memcpy(buf + 2, "\x00\x01" "a\x00\x01", 5);
	KT_CHECK(t, tc_in(c, buf, 7) < 0, "qos 3");
	tc_free(c);
	c = tc_online(t, b, "bad", true);
	KT_CHECK(t, tc_simple(c, MQTT_PINGRESP) < 0, "pingresp from client");
	tc_free(c);
	KT_CHECK(t, tb_stat(b, KMQTT_STAT_PROTO_ERRORS) >= 5, "counted");

	/* a frame above the maximum packet size, refused from its header */
	b->limits.max_packet_size = 64;
	c = tc_online(t, b, "big", true);
	buf[0] = 0x30;
	buf[1] = 0x80;
	buf[2] = 0x01;		/* 128 bytes */
	KT_CHECK(t, tc_in(c, buf, 3) < 0, "too large");
	KT_EQ(t, tb_stat(b, KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_TOO_LARGE),
	      1);
	tc_free(c);
	tb_free(b);
}

static void eng_fragmented_input(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct tc *s, *p;
	u8 buf[64];
	size_t len, i, have = 0;
	long r;

	if (!b)
		return;
	s = tc_online(t, b, "s", true);
	tc_sub(t, s, "f/#", 0);
	p = tc_online(t, b, "p", true);
	len = enc_publish(buf, "f/1", "hello", 5, 0, false, false, 0);
	/* One byte at a time, the transport keeping what was not consumed. */
	for (i = 0; i < len; i++) {
		have++;
		r = kmqtt_client_input(p->c, buf + i + 1 - have, have);
		KT_CHECK(t, r >= 0, "partial input");
		if (r > 0)
			have -= r;
		if (i == 2)
			KT_EQ(t, kmqtt_client_rx_frame_size(p->c), len);
	}
	KT_EQ(t, have, 0);
	tc_flush(s);
	tc_expect_pub(t, s, "f/1", "hello", 0, false, NULL);
	/* Two frames in one read. */
	memcpy(buf + len, buf, len);
	ENG_EQ(t, tc_in(p, buf, 2 * len), 2 * len);
	tc_flush(s);
	tc_expect_pub(t, s, "f/1", "hello", 0, false, NULL);
	tc_expect_pub(t, s, "f/1", "hello", 0, false, NULL);
	tc_free(s);
	tc_free(p);
	tb_free(b);
}

static void eng_qos_flows(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct tc *s, *p;
	struct tp m;

	if (!b)
		return;
	s = tc_online(t, b, "sub", true);
	tc_sub(t, s, "q/#", 2);
	p = tc_online(t, b, "pub", true);

	/* QoS 0 */
	KT_CHECK(t, tc_publish(p, "q/0", "zero", 0, false, 0) > 0, "pub0");
	tc_expect_none(t, p);
	tc_flush(s);
	tc_expect_pub(t, s, "q/0", "zero", 0, false, NULL);

	/* QoS 1: PUBACK to the publisher, the subscriber acks its copy */
	KT_CHECK(t, tc_publish(p, "q/1", "one", 1, false, 11) > 0, "pub1");
	tc_expect_ack(t, p, MQTT_PUBACK, 11);
	tc_flush(s);
	tc_expect_pub(t, s, "q/1", "one", 1, false, &m);
	KT_CHECK(t, m.pid != 0 && !m.dup, "pid set, no dup");
	KT_EQ(t, s->c->session->inflight_count, 1);
	tc_ack(s, MQTT_PUBACK, m.pid);
	KT_EQ(t, s->c->session->inflight_count, 0);

	/* QoS 2 in: PUBREC, PUBREL, PUBCOMP */
	KT_CHECK(t, tc_publish(p, "q/2", "two", 2, false, 12) > 0, "pub2");
	tc_expect_ack(t, p, MQTT_PUBREC, 12);
	tc_ack(p, MQTT_PUBREL, 12);
	tc_expect_ack(t, p, MQTT_PUBCOMP, 12);
	KT_EQ(t, p->c->session->qos2_in_count, 0);

	/* QoS 2 out: the subscriber's PUBREC gets PUBREL, then PUBCOMP */
	tc_flush(s);
	tc_expect_pub(t, s, "q/2", "two", 2, false, &m);
	tc_ack(s, MQTT_PUBREC, m.pid);
	tc_expect_ack(t, s, MQTT_PUBREL, m.pid);
	KT_EQ(t, s->c->session->inflight_count, 1);
	tc_ack(s, MQTT_PUBCOMP, m.pid);
	KT_EQ(t, s->c->session->inflight_count, 0);
	tc_expect_none(t, s);

	/* Unknown ids are ignored; PUBREL of an unknown id still completes. */
	KT_CHECK(t, tc_ack(s, MQTT_PUBACK, 999) > 0, "stray puback");
	KT_CHECK(t, tc_ack(s, MQTT_PUBCOMP, 999) > 0, "stray pubcomp");
	tc_ack(s, MQTT_PUBREL, 998);
	tc_expect_ack(t, s, MQTT_PUBCOMP, 998);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_MSGS_IN_QOS1), 1);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_MSGS_OUT_QOS2), 1);
	tc_free(s);
	tc_free(p);
	tb_free(b);
}

static void eng_qos2_exactly_once(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct tc *s, *p;
	size_t len;

	if (!b)
		return;
	s = tc_online(t, b, "sub", true);
	tc_sub(t, s, "x", 2);
	p = tc_online(t, b, "pub", true);
	tc_publish(p, "x", "once", 2, false, 7);
	tc_expect_ack(t, p, MQTT_PUBREC, 7);
	/* Retransmitted with DUP before PUBREL: acknowledged, not delivered. */
	len = enc_publish(p->w, "x", "once", 4, 2, false, true, 7);
	ENG_EQ(t, tc_in(p, p->w, len), len);
	tc_expect_ack(t, p, MQTT_PUBREC, 7);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_DROPPED_QOS2_DUP), 1);
	tc_flush(s);
	tc_expect_pub(t, s, "x", "once", 2, false, NULL);
	tc_expect_none(t, s);
	/* After PUBREL the id is free: the same id is a new message. */
	tc_ack(p, MQTT_PUBREL, 7);
	tc_expect_ack(t, p, MQTT_PUBCOMP, 7);
	tc_publish(p, "x", "again", 2, false, 7);
	tc_expect_ack(t, p, MQTT_PUBREC, 7);
	tc_flush(s);
	tc_expect_pub(t, s, "x", "again", 2, false, NULL);

	/* The set of ids awaiting PUBREL is bounded: beyond, acked, dropped */
	b->limits.max_queued_msgs = 2;
	tc_publish(p, "x", "a", 2, false, 20);
	tc_publish(p, "x", "b", 2, false, 21);
	tc_publish(p, "x", "c", 2, false, 22);
	tc_expect_ack(t, p, MQTT_PUBREC, 20);
	tc_expect_ack(t, p, MQTT_PUBREC, 21);
	tc_expect_ack(t, p, MQTT_PUBREC, 22);
	KT_EQ(t, p->c->session->qos2_in_count, 2);
	tc_free(s);
	tc_free(p);
	tb_free(b);
}

static void eng_min_qos_and_overlap(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	static const char *const f[] = { "m/+", "m/#", "m/x" };
	static const u8 q[] = { 0, 2, 1 };
	struct tc *s0, *s1, *s2, *o, *p;

	if (!b)
		return;
	s0 = tc_online(t, b, "s0", true);
	s1 = tc_online(t, b, "s1", true);
	s2 = tc_online(t, b, "s2", true);
	o = tc_online(t, b, "o", true);
	p = tc_online(t, b, "p", true);
	tc_sub(t, s0, "m/x", 0);
	tc_sub(t, s1, "m/x", 1);
	tc_sub(t, s2, "m/x", 2);
	tc_subscribe_n(o, 3, f, q, 3);
	tc_expect_suback(t, o, 3, q, 3);

	tc_publish(p, "m/x", "hi", 2, false, 1);
	tc_publish(p, "m/x", "lo", 1, false, 2);
	tc_flush(s0);
	tc_flush(s1);
	tc_flush(s2);
	tc_flush(o);
	tc_expect_pub(t, s0, "m/x", "hi", 0, false, NULL);
	tc_expect_pub(t, s1, "m/x", "hi", 1, false, NULL);
	tc_expect_pub(t, s2, "m/x", "hi", 2, false, NULL);
	tc_expect_pub(t, s0, "m/x", "lo", 0, false, NULL);
	tc_expect_pub(t, s1, "m/x", "lo", 1, false, NULL);
	tc_expect_pub(t, s2, "m/x", "lo", 1, false, NULL);
	/* Three matching filters: once, at the highest granted QoS. */
	tc_expect_pub(t, o, "m/x", "hi", 2, false, NULL);
	tc_expect_pub(t, o, "m/x", "lo", 1, false, NULL);
	tc_expect_none(t, o);

	/* A resubscription replaces the QoS in place, not a second copy. */
	tc_sub(t, s0, "m/x", 1);
	KT_EQ(t, s0->c->session->sub_count, 1);
	tc_publish(p, "m/x", "re", 1, false, 3);
	tc_flush(s0);
	tc_expect_pub(t, s0, "m/x", "re", 1, false, NULL);
	tc_expect_none(t, s0);
	tc_flush(s1);
	tc_expect_pub(t, s1, "m/x", "re", 1, false, NULL);

	/* Unsubscribe: UNSUBACK, nothing more. */
	KT_CHECK(t, tc_unsubscribe(s1, 9, "m/x") > 0, "unsubscribe");
	tc_expect_ack(t, s1, MQTT_UNSUBACK, 9);
	KT_CHECK(t, tc_unsubscribe(s1, 10, "never/subscribed") > 0, "unsub2");
	tc_expect_ack(t, s1, MQTT_UNSUBACK, 10);
	tc_publish(p, "m/x", "gone", 0, false, 0);
	tc_flush(s1);
	tc_expect_none(t, s1);

	tc_free(s0);
	tc_free(s1);
	tc_free(s2);
	tc_free(o);
	tc_free(p);
	tb_free(b);
}

static void eng_subscribe_refusals(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	static const char *const f[] = { "ok/1", "a/#/b", "a+", "ok/2", "#" };
	static const u8 q[] = { 1, 0, 0, 2, 0 };
	static const u8 codes[] = { 1, 0x80, 0x80, 2, 0 };
	static const u8 limited[] = { 0x80 };
	struct tc *c;

	if (!b)
		return;
	c = tc_online(t, b, "c", true);
	tc_subscribe_n(c, 5, f, q, 5);
	tc_expect_suback(t, c, 5, codes, 5);
	KT_EQ(t, c->c->session->sub_count, 3);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_SUBSCRIBE_DENIED), 2);
	/* per-session limit: 0x80, and the connection stays */
	b->limits.max_subscriptions = 3;
	tc_subscribe(c, 6, "more", 0);
	tc_expect_suback(t, c, 6, limited, 1);
	/* a resubscription is not a new subscription */
	tc_subscribe(c, 7, "ok/1", 0);
	tc_expect_suback(t, c, 7, q + 4, 1);
	tc_free(c);
	tb_free(b);
}

static void eng_retained(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct tc *s, *p, *n;

	if (!b)
		return;
	s = tc_online(t, b, "s", true);
	tc_sub(t, s, "r/#", 2);
	p = tc_online(t, b, "p", true);
	tc_publish(p, "r/a", "old", 1, true, 1);
	tc_publish(p, "r/a", "new", 1, true, 2);
	tc_publish(p, "r/b", "b", 2, true, 3);
	/* Normal delivery: RETAIN clear. */
	tc_flush(s);
	tc_expect_pub(t, s, "r/a", "old", 1, false, NULL);
	tc_expect_pub(t, s, "r/a", "new", 1, false, NULL);
	tc_expect_pub(t, s, "r/b", "b", 2, false, NULL);
	KT_EQ(t, b->retained.count, 2);

	/* A new subscriber: SUBACK first, then the newest, RETAIN set. */
	n = tc_online(t, b, "n", true);
	tc_sub(t, n, "r/a", 2);
	tc_expect_pub(t, n, "r/a", "new", 1, true, NULL);
	tc_expect_none(t, n);
	/* min(retained QoS, granted) */
	tc_sub(t, n, "r/b", 1);
	tc_expect_pub(t, n, "r/b", "b", 1, true, NULL);
	/* Resubscribing sends it again. */
	tc_sub(t, n, "r/b", 0);
	tc_expect_pub(t, n, "r/b", "b", 0, true, NULL);

	/* An empty retained payload deletes it (and is delivered as is). */
	tc_publish(p, "r/a", "", 0, true, 0);
	tc_flush(s);
	tc_expect_pub(t, s, "r/a", "", 0, false, NULL);
	tc_flush(n);
	tc_expect_pub(t, n, "r/a", "", 0, false, NULL);
	KT_EQ(t, b->retained.count, 1);
	tc_sub(t, n, "r/a", 0);
	tc_expect_none(t, n);

	/* Limits refuse storing (counted), the connection stays. */
	b->limits.retained_max_count = 1;
	KT_CHECK(t, tc_publish(p, "r/c", "c", 0, true, 0) > 0, "still open");
	KT_EQ(t, tb_stat(b, KMQTT_STAT_RETAIN_REFUSED), 1);
	KT_EQ(t, b->retained.count, 1);
	/* '$' topics are not matched by a leading wildcard. */
	tc_publish(p, "$x/y", "sys", 0, true, 0);
	b->limits.retained_max_count = 100;
	tc_publish(p, "$x/y", "sys", 0, true, 0);
	tc_sub(t, n, "#", 0);
	tc_expect_pub(t, n, "r/b", "b", 0, true, NULL);
	tc_expect_none(t, n);
	tc_sub(t, n, "$x/#", 0);
	tc_expect_pub(t, n, "$x/y", "sys", 0, true, NULL);
	tc_free(s);
	tc_free(p);
	tc_free(n);
	tb_free(b);
}

/* A client with a will on "will/<id>", QoS 1, retained. */
static struct tc *tc_with_will(kt_ctx *t, struct kmqtt_broker *b,
			       const char *id, u16 ka)
{
	struct copt o = { .id = id, .clean = true, .ka = ka,
			  .will_topic = "will/x", .will_msg = "bye",
			  .will_qos = 1, .will_retain = true };
	struct tc *c = tc_new(t, b);

	KT_CHECK(t, tc_connect_opt(c, &o) > 0, "connect with will");
	tc_expect_connack(t, c, false, 0);
	return c;
}

static void expect_will(kt_ctx *t, struct tc *w, bool published)
{
	struct tp m;

	tc_flush(w);
	if (published) {
		tc_expect_pub(t, w, "will/x", "bye", 1, false, &m);
		tc_ack(w, MQTT_PUBACK, m.pid);
	}
	tc_expect_none(t, w);
}

static void eng_wills(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct tc *w, *c, *d, *n;
	u64 wills;

	if (!b)
		return;
	w = tc_online(t, b, "watcher", true);
	tc_sub(t, w, "will/#", 2);

	/* Socket error: published, with its QoS and retained. */
	c = tc_with_will(t, b, "w1", 0);
	tc_free(c);
	expect_will(t, w, true);
	n = tc_online(t, b, "late", true);
	tc_sub(t, n, "will/x", 1);
	tc_expect_pub(t, n, "will/x", "bye", 1, true, NULL);
	tc_free(n);

	/* DISCONNECT: discarded. */
	c = tc_with_will(t, b, "w2", 0);
	tc_simple(c, MQTT_DISCONNECT);
	tc_free(c);
	expect_will(t, w, false);

	/* Protocol violation. */
	c = tc_with_will(t, b, "w3", 0);
	KT_CHECK(t, tc_simple(c, MQTT_CONNACK) < 0, "violation");
	tc_free(c);
	expect_will(t, w, true);

	/* Keep-alive timeout. */
	c = tc_with_will(t, b, "w4", 10);
	KT_CHECK(t, kmqtt_client_tick(c->c, c->c->last_rx + 16) < 0, "timeout");
	tc_free(c);
	expect_will(t, w, true);

	/* Takeover: the old connection is closed, its will published. */
	c = tc_with_will(t, b, "w5", 0);
	d = tc_online(t, b, "w5", true);
	KT_EQ(t, c->closes, 1);
	KT_EQ(t, d->closes, 0);
	KT_CHECK(t, tc_simple(c, MQTT_PINGREQ) < 0, "old one is done");
	tc_free(c);
	expect_will(t, w, true);
	tc_free(d);

	/* Kicked by the administrator. */
	c = tc_with_will(t, b, "w6", 0);
	ENG_EQ(t, kmqtt_broker_kick_client(b, KT_B("w6")), 0);
	ENG_EQ(t, kmqtt_broker_kick_client(b, KT_B("nobody")), -ENOENT);
	KT_EQ(t, c->closes, 1);
	tc_free(c);
	expect_will(t, w, true);

	wills = tb_stat(b, KMQTT_STAT_WILLS);
	KT_EQ(t, wills, 5);
	tc_free(w);
	tb_free(b);
}

static void eng_keepalive(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct copt o = { .id = "ka", .clean = true, .ka = 10 };
	struct tc *c;
	u64 last;

	if (!b)
		return;
	/* No CONNECT within connect_timeout. */
	c = tc_new(t, b);
	KT_EQ(t, kmqtt_client_tick(c->c, c->c->created_at + 9), 0);
	KT_CHECK(t, kmqtt_client_tick(c->c, c->c->created_at + 10) < 0,
		 "connect timeout");
	KT_EQ(t, tb_stat(b, KMQTT_STAT_CONNECT_TIMEOUTS), 1);
	tc_free(c);

	/* 1.5 x keep-alive of silence; any packet restarts it. */
	c = tc_new(t, b);
	tc_connect_opt(c, &o);
	KT_EQ(t, c->c->keep_alive, 10);
	last = c->c->last_rx;
	KT_EQ(t, kmqtt_client_tick(c->c, last + 15), 0);
	KT_CHECK(t, kmqtt_client_tick(c->c, last + 16) < 0, "keepalive");
	KT_CHECK(t, kmqtt_client_tick(c->c, last + 17) < 0, "still");
	KT_EQ(t, tb_stat(b, KMQTT_STAT_KEEPALIVE_TIMEOUTS), 1);
	tc_free(c);

	/* keep-alive 0: never; the ceiling clamps. */
	c = tc_new(t, b);
	o.ka = 0;
	tc_connect_opt(c, &o);
	KT_EQ(t, kmqtt_client_tick(c->c, c->c->last_rx + 100000), 0);
	tc_free(c);
	b->limits.max_keepalive = 5;
	c = tc_new(t, b);
	o.ka = 100;
	tc_connect_opt(c, &o);
	KT_EQ(t, c->c->keep_alive, 5);
	tc_free(c);
	tb_free(b);
}

static void eng_acl(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct kmqtt_acl *acl;
	struct tc *s, *p;
	static const u8 denied[] = { 0x80 };

	if (!b)
		return;
	acl = kmqtt_acl_alloc(GFP_KERNEL);
	KT_CHECK(t, acl, "acl");
	if (!acl) {
		tb_free(b);
		return;
	}
	kmqtt_acl_add_rule(acl, KMQTT_ACL_TOPIC_ALL, NULL, KMQTT_ACL_READWRITE,
			   KT_B("open/#"), GFP_KERNEL);
	kmqtt_acl_add_rule(acl, KMQTT_ACL_TOPIC_ALL, NULL, KMQTT_ACL_READ,
			   KT_B("ro/#"), GFP_KERNEL);
	kmqtt_acl_add_rule(acl, KMQTT_ACL_TOPIC_ALL, NULL, KMQTT_ACL_WRITE,
			   KT_B("wo/#"), GFP_KERNEL);
	/* Subscribed to everything before the ACL: each delivery is checked. */
	s = tc_online(t, b, "s", true);
	tc_sub(t, s, "#", 1);
	rcu_assign_pointer(b->acl, acl);
	tc_subscribe(s, 2, "secret/#", 1);
	tc_expect_suback(t, s, 2, denied, 1);
	tc_subscribe(s, 3, "wo/#", 1);	/* subscribing needs read */
	tc_expect_suback(t, s, 3, denied, 1);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_SUBSCRIBE_DENIED), 2);
	tc_sub(t, s, "ro/#", 1);
	p = tc_online(t, b, "p", true);
	/* A denied publish is acknowledged, dropped and counted. */
	tc_publish(p, "ro/x", "no", 1, false, 4);
	tc_expect_ack(t, p, MQTT_PUBACK, 4);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_DROPPED_ACL), 1);
	/* Allowed to write, but the subscriber may not read it. */
	tc_publish(p, "wo/x", "hidden", 0, false, 0);
	tc_publish(p, "open/x", "yes", 1, false, 5);
	tc_expect_ack(t, p, MQTT_PUBACK, 5);
	tc_flush(s);
	tc_expect_pub(t, s, "open/x", "yes", 1, false, NULL);
	tc_expect_none(t, s);
	tc_free(s);
	tc_free(p);
	tb_free(b);		/* frees the ACL */
}

static void eng_admin(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	struct kmqtt_client_info *ci;
	struct tc *s, *o;
	u32 n, i;
	bool seen_s = false;

	if (!b)
		return;
	ci = kcalloc(4, sizeof(*ci), GFP_KERNEL);
	s = tc_online(t, b, "sess", false);
	tc_sub(t, s, "sys/#", 0);
	o = tc_online(t, b, "other", true);
	ENG_EQ(t, kmqtt_broker_publish(b, KT_B("sys/uptime"), KT_B("42"), 0,
				      false), 1);
	ENG_EQ(t, kmqtt_broker_publish(b, KT_B("sys/+"), KT_B("42"), 0, false),
	      -EINVAL);
	tc_flush(s);
	tc_expect_pub(t, s, "sys/uptime", "42", 0, false, NULL);

	n = ci ? kmqtt_broker_list_clients(b, 0, ci, 4) : 0;
	KT_EQ(t, n, 2);
	for (i = 0; i < n; i++) {
		if (strcmp(ci[i].client_id, "sess"))
			continue;
		seen_s = true;
		KT_CHECK(t, ci[i].connected && !ci[i].clean_session &&
			 ci[i].subscriptions == 1 && ci[i].level == 4 &&
			 !strcmp(ci[i].peer, "127.0.0.1:1"), "info");
	}
	KT_CHECK(t, seen_s, "listed");
	KT_EQ(t, ci ? kmqtt_broker_list_clients(b, 1, ci, 4) : 0, 1);

	/* Removing an attached session: closed now, discarded at close. */
	ENG_EQ(t, kmqtt_broker_remove_session(b, KT_B("sess")), 0);
	KT_EQ(t, s->closes, 1);
	tc_free(s);
	KT_EQ(t, b->session_count, 1);
	/* an offline persistent one goes at once */
	s = tc_online(t, b, "sess", false);
	tc_free(s);
	KT_EQ(t, b->session_count, 2);
	ENG_EQ(t, kmqtt_broker_remove_session(b, KT_B("sess")), 0);
	ENG_EQ(t, kmqtt_broker_remove_session(b, KT_B("sess")), -ENOENT);
	KT_EQ(t, b->session_count, 1);
	kfree(ci);
	tc_free(o);
	tb_free(b);
}

static const struct kt_case engine_cases[] = {
	KT_CASE(eng_connect_ping_disconnect),
	KT_CASE(eng_connack_codes),
	KT_CASE(eng_generated_id),
	KT_CASE(eng_protocol_violations),
	KT_CASE(eng_fragmented_input),
	KT_CASE(eng_qos_flows),
	KT_CASE(eng_qos2_exactly_once),
	KT_CASE(eng_min_qos_and_overlap),
	KT_CASE(eng_subscribe_refusals),
	KT_CASE(eng_retained),
	KT_CASE(eng_wills),
	KT_CASE(eng_keepalive),
	KT_CASE(eng_acl),
	KT_CASE(eng_admin),
};

#endif /* KMQTT_ENGINE_CASES_H */
