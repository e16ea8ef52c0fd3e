// SPDX-License-Identifier: GPL-2.0
/*
 * Refcounted one-copy messages. A PUBLISH is copied once, from the receive
 * buffer into one allocation holding topic and payload; every subscriber
 * queue, in-flight window, the retained store and pending send batches then
 * share it by reference. Small messages (the common case: sensors, $SYS)
 * come from a dedicated slab cache; large ones from kvmalloc so that a
 * 256 KiB payload does not need a high-order page.
 *
 * All message memory is accounted in kmqtt_msg_mem, module-wide, and an
 * optional ceiling makes creation fail (counted by the caller as a drop)
 * instead of letting publishers exhaust memory.
 */
#include "shim.h"
#include "msg.h"

/* Objects up to this size (header included) come from the cache. */
#define KMQTT_MSG_SMALL		256

atomic64_t kmqtt_msg_mem;
u64 kmqtt_msg_mem_limit;

static struct kmem_cache *kmqtt_msg_cache;

int kmqtt_msg_cache_init(void)
{
	if (kmqtt_msg_cache)
		return 0;
	kmqtt_msg_cache = kmem_cache_create("kmqtt_msg", KMQTT_MSG_SMALL, 0,
					    SLAB_HWCACHE_ALIGN, NULL);
	return kmqtt_msg_cache ? 0 : -ENOMEM;
}

void kmqtt_msg_cache_exit(void)
{
	kmem_cache_destroy(kmqtt_msg_cache);
	kmqtt_msg_cache = NULL;
}

struct kmqtt_msg *kmqtt_msg_new(const u8 *topic, u16 topic_len,
				const u8 *payload, u32 payload_len, u8 qos,
				bool retain, gfp_t gfp)
{
	struct kmqtt_msg *m;
	size_t size, data;
	u64 limit;

	if (check_add_overflow((size_t)topic_len, (size_t)payload_len, &data) ||
	    check_add_overflow(sizeof(*m), data, &size))
		return NULL;

	limit = READ_ONCE(kmqtt_msg_mem_limit);
	if (limit && (u64)atomic64_add_return(size, &kmqtt_msg_mem) > limit) {
		atomic64_sub(size, &kmqtt_msg_mem);
		return NULL;
	}
	if (!limit)
		atomic64_add(size, &kmqtt_msg_mem);

	if (kmqtt_msg_cache && size <= KMQTT_MSG_SMALL) {
		m = kmem_cache_alloc(kmqtt_msg_cache, gfp | __GFP_NOWARN);
		if (m)
			m->from_cache = 1;
	} else {
		m = kvmalloc(size, gfp | __GFP_NOWARN);
		if (m)
			m->from_cache = 0;
	}
	if (!m) {
		atomic64_sub(size, &kmqtt_msg_mem);
		return NULL;
	}

	refcount_set(&m->refs, 1);
	m->qos = qos;
	m->retain = retain;
	m->topic_len = topic_len;
	m->payload_len = payload_len;
	m->stored_at = kmqtt_now_sec();
	m->payload = m->data + topic_len;
	memcpy(m->data, topic, topic_len);
	if (payload_len)
		memcpy(m->data + topic_len, payload, payload_len);
	return m;
}

void kmqtt_msg_put(struct kmqtt_msg *m)
{
	if (!m || !refcount_dec_and_test(&m->refs))
		return;
	atomic64_sub(kmqtt_msg_size(m), &kmqtt_msg_mem);
	if (m->from_cache)
		kmem_cache_free(kmqtt_msg_cache, m);
	else
		kvfree(m);
}
