/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Topic names and filters, and the subscription tree.
 *
 * The tree has one node per filter level ("a/+/c" is three nodes); a node's
 * children are hashed by level, so matching a topic of depth d visits O(d)
 * nodes per wildcard branch, independent of how many subscriptions exist.
 * Readers (publishers, on any CPU) walk it under rcu_read_lock() without a
 * lock; writers (SUBSCRIBE/UNSUBSCRIBE/session teardown) serialize on the
 * tree's mutex and free nodes after a grace period. No recursion proportional
 * to topic depth: depth is bounded by the tree's max_levels.
 */
#ifndef KMQTT_TOPIC_H
#define KMQTT_TOPIC_H

#include "shim.h"

#define KMQTT_DEFAULT_MAX_LEVELS	128

/*
 * Topic name (PUBLISH, will): non-empty, strict UTF-8 (so no NUL), no '+' or
 * '#', at most @max_levels levels (0: no level limit).
 */
bool mqtt_topic_name_valid(const u8 *s, u16 len, unsigned int max_levels);
/*
 * Topic filter: non-empty, strict UTF-8, '+' alone in a level, '#' alone and
 * last, at most @max_levels levels (0: no level limit).
 */
bool mqtt_topic_filter_valid(const u8 *s, u16 len, unsigned int max_levels);
/*
 * Does @filter match @name (both already valid)? Names starting with '$'
 * are not matched by a filter starting with '+' or '#'.
 */
bool mqtt_topic_matches(const u8 *filter, u16 flen, const u8 *name, u16 nlen);

/*
 * Topic levels, shared by the subscription tree (topic.c) and the retained
 * store (retain.c), which walk names and filters the same way. Levels are
 * addressed by their start offset; the level after the last one starts at
 * len + 1, which is how "no more levels" is spelled.
 */
static inline unsigned int mqtt_level_end(const u8 *s, unsigned int len,
					  unsigned int pos)
{
	const u8 *slash = memchr(s + pos, '/', len - pos);

	return slash ? slash - s : len;
}

/* Start of the level before the one starting at @pos (@pos > 0). */
static inline unsigned int mqtt_level_start_before(const u8 *s,
						   unsigned int pos)
{
	unsigned int i = pos - 1;	/* the '/' ending that level, or len */

	while (i > 0) {
		if (s[i - 1] == '/')
			return i;
		i--;
	}
	return 0;
}

/* Is the level [@pos, @end) exactly the one character @c ('+', '#')? */
static inline bool mqtt_level_is(const u8 *s, unsigned int pos,
				 unsigned int end, u8 c)
{
	return end - pos == 1 && s[pos] == c;
}

/*
 * The hash of one level's bytes, for the child tables of both trees; @seed
 * is random per tree (and mixed with the parent in the subscription tree),
 * so that a client cannot aim its levels at one chain.
 */
static inline u32 mqtt_level_hash(const u8 *level, unsigned int len, u32 seed)
{
	return jhash(level, len, seed);
}

struct kmqtt_topic_node;

/* One (filter, owner) subscription, owned by the tree, handed to the owner. */
struct kmqtt_subscription {
	void *owner;			/* the session; not refcounted by the tree */
	u8 qos;				/* granted QoS; WRITE_ONCE on change */
	struct kmqtt_topic_node *node;	/* where it hangs */
	struct list_head node_entry;	/* node's RCU list of subscriptions */
	struct list_head owner_entry;	/* free for the owner's own list */
	struct rcu_head rcu;
};

struct kmqtt_topic_table;

struct kmqtt_topic_tree {
	struct mutex lock;			/* serializes writers */
	struct kmqtt_topic_node __rcu *root;
	unsigned int max_levels;		/* READ_ONCE; limit */
	u32 nodes;				/* under lock */
	u32 max_nodes;				/* limit, 0 = none */
	u32 subscriptions;			/* under lock */
	/*
	 * Literal children of every node, hashed by (parent, level) in one
	 * table, so a level with 10000 siblings is found in O(1). Grown under
	 * the lock; the previous table is kept until a grace period has passed.
	 */
	struct kmqtt_topic_table __rcu *table;
	struct kmqtt_topic_table *retired;
	unsigned long retired_gp;		/* get_state_synchronize_rcu() */
	struct list_head all_nodes;		/* for teardown, under lock */
	u64 bytes;				/* nodes + subscriptions + table */
	u32 seed;				/* hash seed, random per tree */
};

int kmqtt_topic_tree_init(struct kmqtt_topic_tree *t);
/* All subscriptions must have been removed; frees the remaining nodes. */
void kmqtt_topic_tree_destroy(struct kmqtt_topic_tree *t);

/*
 * Add a subscription of @owner to the valid filter @filter. The caller
 * guarantees @owner has no subscription on this exact filter yet (sessions
 * track their own filters and update qos in place for a resubscription).
 * Returns the subscription, or an ERR_PTR-free NULL with *@err = -ENOMEM or
 * -ENOSPC (node limit).
 */
struct kmqtt_subscription *kmqtt_topic_subscribe(struct kmqtt_topic_tree *t,
						 const u8 *filter, u16 len,
						 void *owner, u8 qos, int *err);
/*
 * Remove and free (after a grace period) one subscription; nodes left empty
 * are pruned. Both writer calls take the tree mutex: process context only.
 */
void kmqtt_topic_unsubscribe(struct kmqtt_topic_tree *t,
			     struct kmqtt_subscription *sub);

/*
 * Call @fn for every subscription whose filter matches the valid topic name
 * @name. Must be called under rcu_read_lock(); @fn must not sleep and must
 * take its own reference on sub->owner if it keeps it. A subscription is
 * reported once even when several tree paths lead to it; one owner with
 * several matching filters is reported once per filter (dedup is the
 * caller's, at the highest QoS).
 */
typedef void (*kmqtt_match_fn)(struct kmqtt_subscription *sub, void *arg);
void kmqtt_topic_match(struct kmqtt_topic_tree *t, const u8 *name, u16 len,
		       kmqtt_match_fn fn, void *arg);

#endif /* KMQTT_TOPIC_H */
