// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: topic validation, the subscription tree and the
 * retained store, driven by a sequence of operations and checked against
 * mqtt_topic_matches() (the spec's matcher) and a model of the store.
 *
 * Input: two control bytes (node limit, retained limits), then operations.
 * Topics are built from a small alphabet ('a', 'b', '/', '+', '#', '$', ...)
 * so that matches are frequent, with an escape to raw bytes so that the
 * UTF-8 rules are exercised too.
 */
#define FUZZ_NAME "fuzz_topic"
#include "fuzz.h"
#include "codec.h"
#include "topic.h"
#include "retain.h"

u64 kmqtt_test_now;

#define SLOTS 32
#define MAXT 40

static u16 make_topic(struct in *in, u8 *out)
{
	static const char alpha[] = "ab/+#$/c//+a";
	u16 len = next(in) % (MAXT / 2), i, n = 0;

	for (i = 0; i < len && n < MAXT; i++) {
		u8 b = next(in);

		if (b >= 0xf0)
			out[n++] = next(in);	/* raw byte */
		else
			out[n++] = alpha[b % (sizeof(alpha) - 1)];
	}
	return n;
}

/* Validity relations that hold for any string. */
static void check_validity(const u8 *s, u16 len)
{
	bool name = mqtt_topic_name_valid(s, len, 0);
	bool filter = mqtt_topic_filter_valid(s, len, 0);
	bool name4 = mqtt_topic_name_valid(s, len, 4);
	bool filter4 = mqtt_topic_filter_valid(s, len, 4);
	unsigned int levels = 1, i;

	for (i = 0; i < len; i++)
		levels += s[i] == '/';
	if (name)
		CHECK(filter && mqtt_topic_matches(s, len, s, len));
	if (filter)
		CHECK(len && mqtt_utf8_valid(s, len));
	CHECK(name4 == (name && levels <= 4));
	CHECK(filter4 == (filter && levels <= 4));
	if (name)
		CHECK(!memchr(s, '+', len) && !memchr(s, '#', len));
}

struct sub_slot {
	struct kmqtt_subscription *sub;
	u8 filter[MAXT];
	u16 len;
};

struct hits {
	unsigned int count[SLOTS];
};

static void on_match(struct kmqtt_subscription *sub, void *arg)
{
	struct hits *h = arg;
	unsigned long i = (unsigned long)sub->owner - 1;

	CHECK(i < SLOTS);
	h->count[i]++;
}

struct model {
	bool present;
	u8 topic[MAXT];
	u16 len;
	u32 plen;
};

struct rseen {
	struct model *m;
	unsigned int seen[SLOTS];
	unsigned int extra;
};

static int on_retained(struct kmqtt_msg *msg, void *arg)
{
	struct rseen *r = arg;
	unsigned int i;

	for (i = 0; i < SLOTS; i++) {
		if (r->m[i].present && r->m[i].len == msg->topic_len &&
		    !memcmp(r->m[i].topic, kmqtt_msg_topic(msg), msg->topic_len)) {
			CHECK(r->m[i].plen == msg->payload_len);
			r->seen[i]++;
			return 0;
		}
	}
	r->extra++;
	return 0;
}

static int model_find(struct model *m, const u8 *t, u16 len)
{
	int i;

	for (i = 0; i < SLOTS; i++) {
		if (m[i].present && m[i].len == len && !memcmp(m[i].topic, t, len))
			return i;
	}
	return -1;
}

static void check_store(struct kmqtt_retain_store *s, struct model *m)
{
	struct rseen r = { .m = m };
	u32 count = 0;
	int i;

	/* "#" and "$..." cover everything the model can hold. */
	kmqtt_retain_match(s, (const u8 *)"#", 1, on_retained, &r);
	for (i = 0; i < SLOTS; i++) {
		if (!m[i].present)
			continue;
		count++;
		if (m[i].topic[0] != '$')
			CHECK(r.seen[i] == 1);
	}
	CHECK(s->count == count);
	CHECK(!r.extra);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct sub_slot slots[SLOTS] = { 0 };
	struct model model[SLOTS] = { 0 };
	struct kmqtt_topic_tree tree;
	struct kmqtt_retain_store store;
	struct in in = { data, size };
	u8 t[MAXT], payload[8] = "payload";
	unsigned int i;
	u8 ctl;

	if (kmqtt_topic_tree_init(&tree) || kmqtt_retain_init(&store))
		abort();
	ctl = next(&in);
	tree.max_nodes = ctl & 0x80 ? ctl & 0x3f : 0;
	ctl = next(&in);
	store.max_count = ctl & 0x80 ? ctl & 0x1f : 0;
	store.max_msg_bytes = ctl & 0x40 ? 4 : 0;
	store.max_bytes = ctl & 0x20 ? 1500 : 0;

	while (in.n) {
		u8 op = next(&in) % 7;
		u8 slot = next(&in) % SLOTS;
		u16 len = make_topic(&in, t);
		struct hits h = { { 0 } };
		int err, k;

		check_validity(t, len);
		switch (op) {
		case 0:	/* subscribe */
			if (slots[slot].sub ||
			    !mqtt_topic_filter_valid(t, len, 0))
				break;
			slots[slot].sub = kmqtt_topic_subscribe(&tree, t, len,
				(void *)(unsigned long)(slot + 1), slot % 3,
				&err);
			if (!slots[slot].sub) {
				CHECK(err == -ENOSPC && tree.max_nodes);
				break;
			}
			CHECK(!err);
			memcpy(slots[slot].filter, t, len);
			slots[slot].len = len;
			break;
		case 1:	/* unsubscribe */
			if (slots[slot].sub)
				kmqtt_topic_unsubscribe(&tree, slots[slot].sub);
			slots[slot].sub = NULL;
			break;
		case 2:	/* publish: match */
			if (!mqtt_topic_name_valid(t, len, 0))
				break;
			rcu_read_lock();
			kmqtt_topic_match(&tree, t, len, on_match, &h);
			rcu_read_unlock();
			for (i = 0; i < SLOTS; i++) {
				bool want = slots[i].sub &&
					mqtt_topic_matches(slots[i].filter,
							   slots[i].len, t,
							   len);

				CHECK(h.count[i] == want);
			}
			break;
		case 3: {	/* retain */
			u32 plen = next(&in) % 6;
			struct kmqtt_msg *m;
			u32 before = store.count;
			u64 bytes = store.bytes, nb = store.node_bytes;

			if (!mqtt_topic_name_valid(t, len, 0))
				break;
			m = kmqtt_msg_new(t, len, payload, plen, 1, true,
					  GFP_KERNEL);
			if (!m)
				abort();
			err = kmqtt_retain_set(&store, m);
			kmqtt_msg_put(m);
			k = model_find(model, t, len);
			if (err) {
				CHECK(err == -ENOSPC || err == -EMSGSIZE);
				CHECK(plen);
				CHECK(store.count == before &&
				      store.bytes == bytes &&
				      store.node_bytes == nb);
				break;
			}
			if (!plen) {
				if (k >= 0)
					model[k].present = false;
				break;
			}
			if (k < 0) {
				for (k = 0; k < SLOTS && model[k].present; k++)
					;
				if (k == SLOTS) {
					/* model full: undo in the store */
					CHECK(!kmqtt_retain_delete(&store, t,
								   len));
					break;
				}
			}
			model[k].present = true;
			memcpy(model[k].topic, t, len);
			model[k].len = len;
			model[k].plen = plen;
			break;
		}
		case 4:	/* retained messages for a filter */
		case 5: {	/* delete those */
			struct rseen r = { .m = model };
			u32 want = 0, n;

			if (!mqtt_topic_filter_valid(t, len, 0))
				break;
			for (i = 0; i < SLOTS; i++)
				want += model[i].present &&
					mqtt_topic_matches(t, len,
							   model[i].topic,
							   model[i].len);
			if (op == 4) {
				CHECK(!kmqtt_retain_match(&store, t, len,
							  on_retained, &r));
				CHECK(!r.extra);
				for (i = 0; i < SLOTS; i++)
					CHECK(r.seen[i] ==
					      (model[i].present &&
					       mqtt_topic_matches(t, len,
						       model[i].topic,
						       model[i].len)));
				break;
			}
			n = kmqtt_retain_delete_matching(&store, t, len);
			CHECK(n == want);
			for (i = 0; i < SLOTS; i++) {
				if (model[i].present &&
				    mqtt_topic_matches(t, len, model[i].topic,
						       model[i].len))
					model[i].present = false;
			}
			break;
		}
		case 6:	/* exact delete */
			k = model_find(model, t, len);
			err = kmqtt_retain_delete(&store, t, len);
			CHECK(err == (k >= 0 ? 0 : -ENOENT));
			if (k >= 0)
				model[k].present = false;
			break;
		}
	}
	check_store(&store, model);
	for (i = 0; i < SLOTS; i++) {
		if (slots[i].sub)
			kmqtt_topic_unsubscribe(&tree, slots[i].sub);
	}
	CHECK(tree.nodes == 0 && tree.subscriptions == 0);
	kmqtt_retain_delete_matching(&store, (const u8 *)"#", 1);
	for (i = 0; i < SLOTS; i++) {
		if (model[i].present && model[i].topic[0] == '$')
			kmqtt_retain_delete(&store, model[i].topic,
					    model[i].len);
	}
	CHECK(store.count == 0 && store.nodes == 0 && store.bytes == 0 &&
	      store.node_bytes == 0);
	kmqtt_retain_destroy(&store);
	kmqtt_topic_tree_destroy(&tree);
	return 0;
}
