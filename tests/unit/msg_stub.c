// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal struct kmqtt_msg implementation for the unit tests, used only
 * while kmod/msg.c (the broker owner's) does not exist: the Makefile picks
 * the real one as soon as it does. Same contract as msg.h.
 */
#include "shim.h"
#include "msg.h"

atomic64_t kmqtt_msg_mem;
u64 kmqtt_msg_mem_limit;

struct kmqtt_msg *kmqtt_msg_new(const u8 *topic, u16 topic_len,
				const u8 *payload, u32 payload_len, u8 qos,
				bool retain, gfp_t gfp)
{
	size_t size = sizeof(struct kmqtt_msg) + topic_len + payload_len;
	struct kmqtt_msg *m;

	if (kmqtt_msg_mem_limit &&
	    (u64)atomic64_read(&kmqtt_msg_mem) + size > kmqtt_msg_mem_limit)
		return NULL;
	m = kmalloc(size, gfp);
	if (!m)
		return NULL;
	refcount_set(&m->refs, 1);
	m->qos = qos;
	m->retain = retain;
	m->topic_len = topic_len;
	m->payload_len = payload_len;
	m->stored_at = kmqtt_now_sec();
	memcpy(m->data, topic, topic_len);
	if (payload_len)
		memcpy(m->data + topic_len, payload, payload_len);
	m->payload = m->data + topic_len;
	atomic64_add(size, &kmqtt_msg_mem);
	return m;
}

void kmqtt_msg_put(struct kmqtt_msg *m)
{
	if (m && refcount_dec_and_test(&m->refs)) {
		atomic64_sub(kmqtt_msg_size(m), &kmqtt_msg_mem);
		kfree(m);
	}
}

int kmqtt_msg_cache_init(void)
{
	return 0;
}

void kmqtt_msg_cache_exit(void)
{
}
