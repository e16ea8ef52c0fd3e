/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Session and message internals, shared by tests/unit/session_test.c and the
 * KUnit module (kmod/tests/engine_test.c): see kt.h. The protocol rules are
 * in engine_cases.h; these pin down the data structures under them: packet
 * id allocation, the QoS 2 id set, the hash tables as they grow, the window
 * state machine and message accounting.
 */
#ifndef KMQTT_SESSION_CASES_H
#define KMQTT_SESSION_CASES_H

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

static void st_wake(void *transport)
{
	(*(int *)transport)++;
}

static void st_close(void *transport)
{
}

static const struct kmqtt_transport_ops st_ops = {
	.wake_tx = st_wake,
	.close = st_close,
};

static struct kmqtt_broker *st_broker(kt_ctx *t)
{
	struct kmqtt_broker *b = kzalloc(sizeof(*b), GFP_KERNEL);

	KT_CHECK(t, b, "alloc");
	if (b && kmqtt_broker_init(b, NULL, NULL)) {
		KT_CHECK(t, 0, "init");
		kfree(b);
		b = NULL;
	}
	return b;
}

static void st_broker_free(struct kmqtt_broker *b)
{
	if (b) {
		kmqtt_broker_destroy(b);
		kfree(b);
	}
}

static struct kmqtt_session *st_session(struct kmqtt_broker *b,
					const char *id)
{
	struct kmqtt_session *s;

	mutex_lock(&b->sessions_lock);
	s = kmqtt_session_create(b, (const u8 *)id, strlen(id), false);
	mutex_unlock(&b->sessions_lock);
	return s;
}

/* The two steps of a discard: unhash under the global lock, then tear down. */
static void st_discard(struct kmqtt_broker *b, struct kmqtt_session *s)
{
	mutex_lock(&b->sessions_lock);
	kmqtt_session_unhash(s);
	mutex_unlock(&b->sessions_lock);
	kmqtt_session_discard(s);
}

static bool st_enqueue(struct kmqtt_session *s, struct kmqtt_msg *m, u8 qos)
{
	struct kmqtt_qent *qe = kmqtt_qent_alloc(GFP_KERNEL);

	if (!qe)
		return false;
	if (kmqtt_session_enqueue(s, m, qos, 0, qe, NULL) == KMQTT_ENQ_QUEUED)
		return true;
	kmqtt_qent_free(qe);
	return false;
}

static void st_put_items(struct kmqtt_tx_item *it, u32 n)
{
	u32 i;

	for (i = 0; i < n; i++)
		kmqtt_msg_put(it[i].msg);
}

static void ses_qos2_set(kt_ctx *t)
{
	struct kmqtt_broker *b = st_broker(t);
	struct kmqtt_session *s;
	u32 i;
	bool all = true;

	if (!b)
		return;
	s = st_session(b, "q");
	mutex_lock(&s->op_lock);
	for (i = 0; i < 200; i++)
		ENG_EQ(t, kmqtt_session_qos2_add(s, (u16)(i * 7919 + 1)), 0);
	KT_EQ(t, s->qos2_in_count, 200);
	for (i = 1; i < s->qos2_in_count; i++)
		if (s->qos2_in[i - 1] >= s->qos2_in[i])
			all = false;
	KT_CHECK(t, all, "sorted, no duplicates");
	ENG_EQ(t, kmqtt_session_qos2_add(s, 1), 0);	/* already there */
	KT_EQ(t, s->qos2_in_count, 200);
	KT_CHECK(t, kmqtt_session_qos2_pending(s, 7920), "pending");
	KT_CHECK(t, !kmqtt_session_qos2_pending(s, 2), "not pending");
	b->limits.max_queued_msgs = 200;
	ENG_EQ(t, kmqtt_session_qos2_add(s, 2), -ENOSPC);
	for (i = 0; i < 200; i++)
		kmqtt_session_qos2_del(s, (u16)(i * 7919 + 1));
	KT_EQ(t, s->qos2_in_count, 0);
	KT_CHECK(t, !s->qos2_in, "freed when empty");
	kmqtt_session_qos2_del(s, 5);			/* absent: no-op */
	mutex_unlock(&s->op_lock);
	st_discard(b, s);
	st_broker_free(b);
}

static void ses_subscriptions_grow(kt_ctx *t)
{
	struct kmqtt_broker *b = st_broker(t);
	struct kmqtt_session *s;
	char f[32];
	int i, granted = 0;

	if (!b)
		return;
	s = st_session(b, "subs");
	mutex_lock(&s->op_lock);
	for (i = 0; i < 600; i++) {
		snprintf(f, sizeof(f), "a/%d/+", i);
		if (kmqtt_session_subscribe(s, (const u8 *)f, strlen(f),
					    i % 3) == i % 3)
			granted++;
	}
	KT_EQ(t, granted, 600);
	KT_EQ(t, s->sub_count, 600);
	KT_CHECK(t, s->subs_bits > 2, "table grew: %u bits", s->subs_bits);
	KT_EQ(t, b->subs.subscriptions, 600);
	/* resubscription: in place */
	ENG_EQ(t, kmqtt_session_subscribe(s, KT_B("a/7/+"), 2), 2);
	KT_EQ(t, s->sub_count, 600);
	KT_EQ(t, b->subs.subscriptions, 600);
	ENG_EQ(t, kmqtt_session_unsubscribe(s, KT_B("a/7/+")), 0);
	ENG_EQ(t, kmqtt_session_unsubscribe(s, KT_B("a/7/+")), -ENOENT);
	KT_EQ(t, s->sub_count, 599);
	mutex_unlock(&s->op_lock);
	st_discard(b, s);		/* removes the other 599 from the tree */
	KT_EQ(t, b->subs.subscriptions, 0);
	st_broker_free(b);
}

static void ses_hash_grow(kt_ctx *t)
{
	struct kmqtt_broker *b = st_broker(t);
	struct kmqtt_session *s;
	char id[24];
	int i, found = 0;

	if (!b)
		return;
	mutex_lock(&b->sessions_lock);
	for (i = 0; i < 2000; i++) {
		snprintf(id, sizeof(id), "client-%d", i);
		kmqtt_session_create(b, (const u8 *)id, strlen(id), true);
	}
	for (i = 0; i < 2000; i++) {
		snprintf(id, sizeof(id), "client-%d", i);
		s = kmqtt_session_lookup(b, (const u8 *)id, strlen(id));
		if (s && !strcmp(s->id, id))
			found++;
	}
	mutex_unlock(&b->sessions_lock);
	KT_EQ(t, found, 2000);
	KT_EQ(t, b->session_count, 2000);
	KT_CHECK(t, b->sessions_hash_bits > 8, "hash grew: %u bits",
		 b->sessions_hash_bits);
	st_broker_free(b);	/* discards them all */
}

static void ses_window_and_pids(kt_ctx *t)
{
	struct kmqtt_broker *b = st_broker(t);
	struct kmqtt_tx_item it[8];
	struct kmqtt_client *c;
	struct kmqtt_session *s;
	struct kmqtt_msg *m;
	int wakes = 0;
	u32 n;

	if (!b)
		return;
	c = kmqtt_client_new(b, &st_ops, &wakes, "", GFP_KERNEL);
	s = st_session(b, "w");
	m = kmqtt_msg_new(KT_B("t"), KT_B("p"), 2, false, GFP_KERNEL);
	if (!c || !s || !m) {
		KT_CHECK(t, 0, "alloc");
		goto out;
	}
	/* Offline: QoS 0 skipped, QoS 1/2 kept. */
	KT_CHECK(t, !st_enqueue(s, m, 0), "offline qos 0");
	KT_CHECK(t, st_enqueue(s, m, 2), "offline qos 2");
	ENG_EQ(t, kmqtt_session_pull(s, c, it, 8, 1 << 20), 0);	/* detached */

	mutex_lock(&s->op_lock);
	kmqtt_session_attach(s, c);
	mutex_unlock(&s->op_lock);
	s->next_pid = 65534;
	KT_CHECK(t, st_enqueue(s, m, 1), "qos 1");
	KT_CHECK(t, st_enqueue(s, m, 0), "online qos 0");
	KT_EQ(t, wakes, 1);		/* one wake until the sender runs */
	n = kmqtt_session_pull(s, c, it, 8, 1 << 20);
	KT_EQ(t, n, 3);
	KT_EQ(t, it[0].pid, 65535);
	KT_EQ(t, it[1].pid, 1);		/* 0 is skipped */
	KT_EQ(t, it[2].qos, 0);
	KT_EQ(t, s->inflight_count, 2);
	st_put_items(it, n);

	/* An id still in the window is not reused. */
	s->next_pid = 0;
	KT_CHECK(t, st_enqueue(s, m, 1), "qos 1");
	n = kmqtt_session_pull(s, c, it, 8, 1 << 20);
	KT_EQ(t, n, 1);
	KT_EQ(t, it[0].pid, 2);
	st_put_items(it, n);

	/* QoS 2: PUBREC releases the message, PUBREL goes out, PUBCOMP ends */
	KT_CHECK(t, kmqtt_session_pubrec(s, 65535), "pubrec");
	KT_CHECK(t, !kmqtt_session_pubrec(s, 1), "pid 1 is QoS 1");
	n = kmqtt_session_pull(s, c, it, 8, 1 << 20);
	KT_EQ(t, n, 1);
	KT_CHECK(t, !it[0].msg && it[0].pid == 65535, "PUBREL item");
	KT_CHECK(t, !kmqtt_session_pubcomp(s, 1), "pubcomp for qos 1");
	KT_CHECK(t, kmqtt_session_puback(s, 1), "puback");

	/* Reattach: what is unacknowledged is due again, in order. */
	mutex_lock(&s->op_lock);
	kmqtt_session_detach(s, false);
	kmqtt_session_attach(s, c);
	mutex_unlock(&s->op_lock);
	KT_EQ(t, s->inflight_send, 2);
	n = kmqtt_session_pull(s, c, it, 8, 1 << 20);
	KT_EQ(t, n, 2);
	KT_CHECK(t, !it[0].msg && it[0].pid == 65535, "PUBREL again");
	KT_CHECK(t, it[1].msg && it[1].pid == 2 && it[1].dup, "PUBLISH, DUP");
	st_put_items(it, n);
	KT_CHECK(t, kmqtt_session_pubcomp(s, 65535), "pubcomp");
	KT_CHECK(t, kmqtt_session_puback(s, 2), "puback");
	KT_EQ(t, s->inflight_count, 0);
	KT_EQ(t, s->inflight_send, 0);

	mutex_lock(&s->op_lock);
	kmqtt_session_detach(s, false);
	mutex_unlock(&s->op_lock);
out:
	kmqtt_msg_put(m);
	if (s)
		st_discard(b, s);
	if (c)
		kmqtt_client_closed(c);
	st_broker_free(b);
}

static void ses_msg_accounting(kt_ctx *t)
{
	s64 before = atomic64_read(&kmqtt_msg_mem);
	static const u8 big[4096];
	struct kmqtt_msg *small, *large;

	ENG_EQ(t, kmqtt_msg_cache_init(), 0);
	small = kmqtt_msg_new(KT_B("a/b"), KT_B("x"), 1, true, GFP_KERNEL);
	large = kmqtt_msg_new(KT_B("a/b"), big, sizeof(big), 0, false,
			      GFP_KERNEL);
	KT_CHECK(t, small && large, "alloc");
	if (small && large) {
		KT_EQ(t, atomic64_read(&kmqtt_msg_mem) - before,
		      kmqtt_msg_size(small) + kmqtt_msg_size(large));
#ifndef __KERNEL__
		KT_CHECK(t, small->from_cache && !large->from_cache, "caches");
#endif
		KT_CHECK(t, !memcmp(kmqtt_msg_topic(large), "a/b", 3) &&
			 large->payload == large->data + 3 &&
			 large->payload_len == sizeof(big), "layout");
		kmqtt_msg_get(small);
		kmqtt_msg_put(small);
		KT_EQ(t, refcount_read(&small->refs), 1);
	}
	kmqtt_msg_put(small);
	kmqtt_msg_put(large);
	KT_EQ(t, atomic64_read(&kmqtt_msg_mem), before);
#ifndef __KERNEL__
	kmqtt_msg_cache_exit();
#endif
}

static const struct kt_case session_cases[] = {
	KT_CASE(ses_qos2_set),
	KT_CASE(ses_subscriptions_grow),
	KT_CASE(ses_hash_grow),
	KT_CASE(ses_window_and_pids),
	KT_CASE(ses_msg_accounting),
};

#endif /* KMQTT_SESSION_CASES_H */
