// SPDX-License-Identifier: GPL-2.0
/*
 * The retained message store (see retain.h).
 *
 * A level tree under one mutex: each node is one topic level, holds at most
 * one message, and lists its children. A node with few children finds one by
 * scanning that list; past KMQTT_RETAIN_SCAN_MAX it gets its own hash table
 * (grown by rehashing, which is simple here because nobody reads without the
 * lock), so a level with 10000 siblings is still found in O(1).
 *
 * Filter walks are iterative (parent pointers, sibling lists, positions
 * recomputed from the filter on the way up), so neither a deep filter nor a
 * deep store can exhaust the kernel stack.
 */
#include "shim.h"
#include "topic.h"
#include "retain.h"

#define KMQTT_RETAIN_SCAN_MAX	8u

struct kmqtt_retain_node {
	struct kmqtt_retain_node *parent;
	struct list_head sibling;	/* in parent->children */
	struct list_head children;
	struct hlist_node hnode;	/* in parent->buckets, when it has them */
	struct hlist_head *buckets;	/* NULL: scan children */
	u32 nbuckets;			/* power of two */
	u32 nchildren;
	u32 hashval;
	struct kmqtt_msg *msg;
	u16 len;
	u8 level[];
};

static size_t node_size(unsigned int len)
{
	return sizeof(struct kmqtt_retain_node) + len;
}

static struct kmqtt_retain_node *find_child(struct kmqtt_retain_store *s,
					    struct kmqtt_retain_node *n,
					    const u8 *level, unsigned int len)
{
	struct kmqtt_retain_node *c;

	if (n->buckets) {
		u32 hv = mqtt_level_hash(level, len, s->seed);

		hlist_for_each_entry(c, &n->buckets[hv & (n->nbuckets - 1)],
				     hnode) {
			if (c->hashval == hv && c->len == len &&
			    !memcmp(c->level, level, len))
				return c;
		}
		return NULL;
	}
	list_for_each_entry(c, &n->children, sibling) {
		if (c->len == len && !memcmp(c->level, level, len))
			return c;
	}
	return NULL;
}

/* Give @n a bigger table; on allocation failure keep what it has. */
static void rehash(struct kmqtt_retain_node *n)
{
	u32 size = n->nbuckets ? n->nbuckets * 2 : 2 * KMQTT_RETAIN_SCAN_MAX;
	struct hlist_head *b;
	struct kmqtt_retain_node *c;
	u32 i;

	b = kvcalloc(size, sizeof(*b), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!b)
		return;
	for (i = 0; i < size; i++)
		INIT_HLIST_HEAD(&b[i]);
	list_for_each_entry(c, &n->children, sibling)
		hlist_add_head(&c->hnode, &b[c->hashval & (size - 1)]);
	kvfree(n->buckets);
	n->buckets = b;
	n->nbuckets = size;
}

static struct kmqtt_retain_node *add_child(struct kmqtt_retain_store *s,
					   struct kmqtt_retain_node *n,
					   const u8 *level, unsigned int len)
{
	struct kmqtt_retain_node *c;

	c = kzalloc(node_size(len), GFP_KERNEL_ACCOUNT);
	if (!c)
		return NULL;
	c->parent = n;
	c->len = len;
	c->hashval = mqtt_level_hash(level, len, s->seed);
	if (len)
		memcpy(c->level, level, len);
	INIT_LIST_HEAD(&c->children);
	INIT_HLIST_NODE(&c->hnode);
	list_add_tail(&c->sibling, &n->children);
	n->nchildren++;
	if (n->buckets)
		hlist_add_head(&c->hnode,
			       &n->buckets[c->hashval & (n->nbuckets - 1)]);
	if (n->nchildren > (n->buckets ? n->nbuckets : KMQTT_RETAIN_SCAN_MAX))
		rehash(n);
	s->nodes++;
	s->node_bytes += node_size(len);
	return c;
}

/* Free @n if it holds nothing; returns whether it did. */
static bool prune_one(struct kmqtt_retain_store *s, struct kmqtt_retain_node *n)
{
	struct kmqtt_retain_node *p = n->parent;

	if (!p || n->msg || n->nchildren)
		return false;
	list_del(&n->sibling);
	if (p->buckets)
		hlist_del(&n->hnode);
	if (!--p->nchildren) {
		kvfree(p->buckets);
		p->buckets = NULL;
		p->nbuckets = 0;
	}
	kvfree(n->buckets);
	s->nodes--;
	s->node_bytes -= node_size(n->len);
	kfree(n);
	return true;
}

static void prune_up(struct kmqtt_retain_store *s, struct kmqtt_retain_node *n)
{
	while (n) {
		struct kmqtt_retain_node *p = n->parent;

		if (!prune_one(s, n))
			return;
		n = p;
	}
}

static void drop_msg(struct kmqtt_retain_store *s, struct kmqtt_retain_node *n)
{
	s->count--;
	s->bytes -= kmqtt_msg_size(n->msg);
	kmqtt_msg_put(n->msg);
	n->msg = NULL;
}

int kmqtt_retain_init(struct kmqtt_retain_store *s)
{
	memset(s, 0, sizeof(*s));
	mutex_init(&s->lock);
	s->seed = get_random_u32();
	s->root = kzalloc(node_size(0), GFP_KERNEL_ACCOUNT);
	if (!s->root)
		return -ENOMEM;
	INIT_LIST_HEAD(&s->root->children);
	INIT_HLIST_NODE(&s->root->hnode);
	return 0;
}

void kmqtt_retain_destroy(struct kmqtt_retain_store *s)
{
	struct kmqtt_retain_node *n = s->root;

	if (!n)
		return;
	/* Post-order without a stack: free leaves, climb, repeat. */
	while (n) {
		struct kmqtt_retain_node *p;

		if (!list_empty(&n->children)) {
			n = list_first_entry(&n->children,
					     struct kmqtt_retain_node, sibling);
			continue;
		}
		p = n->parent;
		if (n->msg)
			kmqtt_msg_put(n->msg);
		if (p) {
			list_del(&n->sibling);
			p->nchildren--;
		}
		kvfree(n->buckets);
		kfree(n);
		n = p;
	}
	s->root = NULL;
	s->count = 0;
	s->bytes = 0;
	s->nodes = 0;
	s->node_bytes = 0;
	mutex_destroy(&s->lock);
}

/* The deepest existing node on @topic's path; *@pos: where it stopped. */
static struct kmqtt_retain_node *find_path(struct kmqtt_retain_store *s,
					   const u8 *topic, unsigned int len,
					   unsigned int *pos)
{
	struct kmqtt_retain_node *n = s->root;
	unsigned int p = 0;

	while (p <= len) {
		unsigned int end = mqtt_level_end(topic, len, p);
		struct kmqtt_retain_node *c;

		c = find_child(s, n, topic + p, end - p);
		if (!c)
			break;
		n = c;
		p = end + 1;
	}
	*pos = p;
	return n;
}

int kmqtt_retain_set(struct kmqtt_retain_store *s, struct kmqtt_msg *msg)
{
	const u8 *topic = kmqtt_msg_topic(msg);
	unsigned int len = msg->topic_len, pos, p;
	struct kmqtt_retain_node *n;
	u64 add_nodes = 0, old_size = 0, total;
	u32 max_msg = READ_ONCE(s->max_msg_bytes);
	u32 max_count = READ_ONCE(s->max_count);
	u64 max_bytes = READ_ONCE(s->max_bytes);
	bool replace;

	if (!msg->payload_len) {
		kmqtt_retain_delete(s, topic, len);
		return 0;
	}
	if (max_msg && msg->payload_len > max_msg)
		return -EMSGSIZE;

	mutex_lock(&s->lock);
	n = find_path(s, topic, len, &pos);
	replace = pos > len && n->msg;
	if (replace)
		old_size = kmqtt_msg_size(n->msg);
	for (p = pos; p <= len; p = mqtt_level_end(topic, len, p) + 1)
		add_nodes += node_size(mqtt_level_end(topic, len, p) - p);
	if (!replace && max_count && s->count >= max_count)
		goto nospc;
	total = s->bytes + s->node_bytes - old_size + kmqtt_msg_size(msg) +
		add_nodes;
	if (max_bytes && total > max_bytes)
		goto nospc;

	while (pos <= len) {
		unsigned int end = mqtt_level_end(topic, len, pos);
		struct kmqtt_retain_node *c;

		c = add_child(s, n, topic + pos, end - pos);
		if (!c) {
			prune_up(s, n);
			mutex_unlock(&s->lock);
			return -ENOMEM;
		}
		n = c;
		pos = end + 1;
	}
	if (n->msg)
		drop_msg(s, n);
	n->msg = kmqtt_msg_get(msg);
	s->count++;
	s->bytes += kmqtt_msg_size(msg);
	mutex_unlock(&s->lock);
	return 0;
nospc:
	mutex_unlock(&s->lock);
	return -ENOSPC;
}

int kmqtt_retain_delete(struct kmqtt_retain_store *s, const u8 *topic,
			u16 len)
{
	struct kmqtt_retain_node *n;
	unsigned int pos;
	int ret = -ENOENT;

	mutex_lock(&s->lock);
	n = find_path(s, topic, len, &pos);
	if (pos > len && n->msg) {
		drop_msg(s, n);
		prune_up(s, n);
		ret = 0;
	}
	mutex_unlock(&s->lock);
	return ret;
}

struct retain_walk {
	struct kmqtt_retain_store *s;
	kmqtt_retain_fn fn;	/* NULL: delete what matches */
	void *arg;
	u32 deleted;
	u32 steps;		/* nodes entered: the walk's cost */
};

/*
 * A walk may cross the whole store (a '#' over 100000 retained messages, a
 * filter that matches nothing but forces a scan, an ACL that refuses every
 * message): give the CPU away now and then. We hold only the store mutex,
 * in process context; callers count w->steps against their own budgets.
 */
#define KMQTT_RETAIN_RESCHED	64

static void walk_step(struct retain_walk *w)
{
	if (!(++w->steps % KMQTT_RETAIN_RESCHED))
		cond_resched();
}

static int visit(struct retain_walk *w, struct kmqtt_retain_node *n)
{
	walk_step(w);
	if (!n->msg)
		return 0;
	if (w->fn)
		return w->fn(n->msg, w->arg);
	drop_msg(w->s, n);
	w->deleted++;
	return 0;
}

/* The first child of @n after @after (NULL: from the start). */
static struct kmqtt_retain_node *next_child(struct kmqtt_retain_node *n,
					    struct kmqtt_retain_node *after,
					    bool skip_dollar)
{
	struct kmqtt_retain_node *c;

	c = after ? list_next_entry(after, sibling) :
		    list_first_entry(&n->children, struct kmqtt_retain_node,
				     sibling);
	for (; !list_entry_is_head(c, &n->children, sibling);
	     c = list_next_entry(c, sibling)) {
		/* [MQTT-4.7.2-1]: wildcards at the root skip '$' topics */
		if (!(skip_dollar && c->len && c->level[0] == '$'))
			return c;
	}
	return NULL;
}

/* Everything under @top, @top included (a '#' level). */
static int walk_all(struct retain_walk *w, struct kmqtt_retain_node *top)
{
	struct kmqtt_retain_node *n = top, *c;
	int rc;

	rc = visit(w, n);
	if (rc)
		return rc;
	for (;;) {
		c = next_child(n, NULL, n == w->s->root);
		if (c) {
			n = c;
			rc = visit(w, n);
			if (rc)
				return rc;
			continue;
		}
		/* Leaf: climb to the next unvisited sibling. */
		while (n != top) {
			struct kmqtt_retain_node *p = n->parent;

			c = next_child(p, n, p == w->s->root);
			if (!w->fn)
				prune_one(w->s, n);
			if (c) {
				n = c;
				break;
			}
			n = p;
		}
		if (n == top)
			return 0;
		rc = visit(w, n);
		if (rc)
			return rc;
	}
}

/*
 * Depth-first over the nodes matching @filter. At a node of depth d, @pos is
 * the start of filter level d (flen + 1 once the filter is consumed).
 */
static int walk_filter(struct retain_walk *w, const u8 *filter,
		       unsigned int flen)
{
	struct kmqtt_retain_node *root = w->s->root, *n = root, *c;
	unsigned int pos = 0, end;
	int rc;

descend:
	walk_step(w);
	if (pos > flen) {
		rc = visit(w, n);
		if (rc)
			return rc;
		goto up;
	}
	end = mqtt_level_end(filter, flen, pos);
	if (mqtt_level_is(filter, pos, end, '#')) {
		rc = walk_all(w, n);
		if (rc)
			return rc;
		goto up;
	}
	if (mqtt_level_is(filter, pos, end, '+'))
		c = next_child(n, NULL, n == root);
	else
		c = find_child(w->s, n, filter + pos, end - pos);
	if (c) {
		n = c;
		pos = end + 1;
		goto descend;
	}
up:
	while (n != root) {
		struct kmqtt_retain_node *p = n->parent;
		unsigned int ppos = mqtt_level_start_before(filter, pos);

		c = NULL;
		if (mqtt_level_is(filter, ppos, mqtt_level_end(filter, flen, ppos), '+'))
			c = next_child(p, n, p == root);
		if (!w->fn)
			prune_one(w->s, n);
		if (c) {
			n = c;	/* same depth: @pos is unchanged */
			goto descend;
		}
		n = p;
		pos = ppos;
	}
	return 0;
}

int kmqtt_retain_match_cost(struct kmqtt_retain_store *s, const u8 *filter,
			    u16 len, kmqtt_retain_fn fn, void *arg,
			    u32 *steps)
{
	struct retain_walk w = { .s = s, .fn = fn, .arg = arg };
	int rc;

	if (!len || !fn)
		return 0;
	mutex_lock(&s->lock);
	rc = walk_filter(&w, filter, len);
	mutex_unlock(&s->lock);
	if (steps)
		*steps += w.steps;
	return rc;
}

int kmqtt_retain_match(struct kmqtt_retain_store *s, const u8 *filter,
		       u16 len, kmqtt_retain_fn fn, void *arg)
{
	return kmqtt_retain_match_cost(s, filter, len, fn, arg, NULL);
}

u32 kmqtt_retain_delete_matching(struct kmqtt_retain_store *s,
				 const u8 *filter, u16 len)
{
	struct retain_walk w = { .s = s };

	if (!len)
		return 0;
	mutex_lock(&s->lock);
	walk_filter(&w, filter, len);
	mutex_unlock(&s->lock);
	return w.deleted;
}
