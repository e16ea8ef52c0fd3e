/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A published message: topic and payload stored once, in one allocation,
 * and shared by reference by every subscriber queue, the retained store and
 * in-flight windows. Immutable after creation, so readers need no lock.
 */
#ifndef KMQTT_MSG_H
#define KMQTT_MSG_H

#include "shim.h"

struct kmqtt_msg {
	refcount_t refs;
	u8 qos;			/* QoS it was published with */
	bool retain;		/* RETAIN flag it was published with */
	u16 topic_len;
	u32 payload_len;
	u8 from_cache;		/* msg.c: which allocator to free with */
	u64 stored_at;		/* kmqtt_now_sec() at creation (listings) */
	const u8 *payload;	/* == data + topic_len */
	u8 data[];		/* topic, then payload */
};

static inline const u8 *kmqtt_msg_topic(const struct kmqtt_msg *m)
{
	return m->data;
}

/* Bytes the message accounts for (header included). */
static inline size_t kmqtt_msg_size(const struct kmqtt_msg *m)
{
	return sizeof(*m) + m->topic_len + m->payload_len;
}

/*
 * Copy @topic and @payload into a new message with one reference.
 * Returns NULL on allocation failure or when the global message-memory
 * ceiling (kmqtt_msg_mem_limit, 0 = none) would be exceeded.
 */
struct kmqtt_msg *kmqtt_msg_new(const u8 *topic, u16 topic_len,
				const u8 *payload, u32 payload_len, u8 qos,
				bool retain, gfp_t gfp);

static inline struct kmqtt_msg *kmqtt_msg_get(struct kmqtt_msg *m)
{
	refcount_inc(&m->refs);
	return m;
}

void kmqtt_msg_put(struct kmqtt_msg *m);

/* Bytes held by live messages, module-wide, and the optional ceiling. */
extern atomic64_t kmqtt_msg_mem;
extern u64 kmqtt_msg_mem_limit;

/*
 * The slab cache for small messages. Optional: without it (userspace tests
 * that do not call it) every message comes from kvmalloc. Module init calls
 * it before any broker exists; module exit after every broker is destroyed.
 */
int kmqtt_msg_cache_init(void);
void kmqtt_msg_cache_exit(void);

#endif /* KMQTT_MSG_H */
