/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The retained message store: at most one message per topic name, found by
 * exact name (PUBLISH with RETAIN) or by filter (SUBSCRIBE). Stored in a
 * level tree like the subscriptions, so a filter visits only the branches it
 * can match. Bounded in count, bytes per message and total bytes.
 */
#ifndef KMQTT_RETAIN_H
#define KMQTT_RETAIN_H

#include "shim.h"
#include "msg.h"

struct kmqtt_retain_node;

struct kmqtt_retain_store {
	struct mutex lock;
	struct kmqtt_retain_node *root;
	u32 count;		/* retained messages, under lock */
	u64 bytes;		/* their kmqtt_msg_size(), under lock */
	/* limits, READ_ONCE; 0 = unlimited */
	u32 max_count;
	u32 max_msg_bytes;	/* payload bytes of one retained message */
	/*
	 * Bounds bytes + node_bytes: the index nodes count too, or deep topics
	 * (one node per level) could pin far more memory than the messages.
	 */
	u64 max_bytes;
	u64 node_bytes;		/* index nodes, under lock */
	u32 nodes;		/* index nodes (root excluded), under lock */
	u32 seed;		/* level hash seed */
};

int kmqtt_retain_init(struct kmqtt_retain_store *s);
void kmqtt_retain_destroy(struct kmqtt_retain_store *s);

/*
 * Retain @msg under its topic, replacing what was there; an empty payload
 * deletes the topic's message instead (0 whether or not one existed). Takes
 * its own reference; the caller keeps its own. Returns 0, -ENOSPC (count or
 * total bytes limit), -EMSGSIZE (payload above max_msg_bytes) or -ENOMEM; on
 * error the store is unchanged. Takes the store mutex: process context.
 */
int kmqtt_retain_set(struct kmqtt_retain_store *s, struct kmqtt_msg *msg);

/* Delete the message retained on exactly @topic: 0 or -ENOENT. */
int kmqtt_retain_delete(struct kmqtt_retain_store *s, const u8 *topic,
			u16 len);

/*
 * Call @fn for every retained message whose topic matches the valid filter
 * @filter ('$' rule included), under the store lock: @fn must not sleep on
 * the store and takes a reference to keep the message. If @fn returns
 * non-zero the walk stops and that value is returned. Delete all matching
 * messages with kmqtt_retain_delete_matching().
 */
typedef int (*kmqtt_retain_fn)(struct kmqtt_msg *msg, void *arg);
/*
 * The walk is iterative (any topic depth is safe) and reschedules now and
 * then: process context only.
 */
int kmqtt_retain_match(struct kmqtt_retain_store *s, const u8 *filter,
		       u16 len, kmqtt_retain_fn fn, void *arg);
/*
 * The same, adding to *@steps the nodes the walk entered (its cost, for
 * callers that bound the work one client may cause per run).
 */
int kmqtt_retain_match_cost(struct kmqtt_retain_store *s, const u8 *filter,
			    u16 len, kmqtt_retain_fn fn, void *arg,
			    u32 *steps);
/* Returns the number deleted. */
u32 kmqtt_retain_delete_matching(struct kmqtt_retain_store *s,
				 const u8 *filter, u16 len);

#endif /* KMQTT_RETAIN_H */
