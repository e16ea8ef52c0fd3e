// SPDX-License-Identifier: GPL-2.0
/*
 * Topic names and filters, and the RCU subscription tree (see topic.h).
 *
 * Shape: one node per filter level. A node's '+' and '#' children hang off
 * dedicated pointers; its literal children live in one tree-wide hash table
 * keyed by (parent node, level bytes), so finding a child costs O(1) however
 * many siblings it has. A topic of depth d is matched by visiting at most one
 * literal and one '+' child per visited node and level: the cost follows the
 * depth and the wildcard subscriptions that really match, never the number of
 * subscriptions.
 *
 * Readers (kmqtt_topic_match) run under rcu_read_lock() and take no lock.
 * Writers hold t->lock. Nodes and subscriptions are freed with kfree_rcu.
 *
 * Growing the hash table without disturbing readers: every node has two hash
 * links. A table uses one of them; a grown table is built on the other link
 * while readers keep walking the old chains, which stay intact. The old table
 * (and its link) is reused only after a grace period, checked with
 * cond_synchronize_rcu() on the next growth, which is usually long past.
 *
 * The matcher is iterative: it walks down and back up the tree with parent
 * pointers and recomputes positions in the name, so its stack use does not
 * depend on the depth of the topic or of the tree.
 */
#include "shim.h"
#include "codec.h"
#include "topic.h"

enum kmqtt_node_kind {
	KMQTT_NODE_ROOT,
	KMQTT_NODE_LITERAL,
	KMQTT_NODE_PLUS,
	KMQTT_NODE_HASH,
};

struct kmqtt_topic_node {
	struct kmqtt_topic_node *parent;	/* immutable */
	struct hlist_node link[2];		/* literal nodes: hash chains */
	struct kmqtt_topic_node __rcu *plus;	/* '+' child */
	struct kmqtt_topic_node __rcu *hash;	/* '#' child */
	struct list_head subs;			/* RCU list of subscriptions */
	struct list_head all;			/* tree->all_nodes, under lock */
	u32 children;				/* literal children, under lock */
	u32 hashval;				/* immutable */
	u16 len;				/* immutable */
	u8 kind;				/* immutable */
	struct rcu_head rcu;
	u8 level[];				/* immutable, len bytes */
};

struct kmqtt_topic_table {
	u32 mask;		/* buckets - 1 */
	u8 link;		/* which of the nodes' links chains this table */
	struct hlist_head buckets[];
};

#define KMQTT_TOPIC_TABLE_MIN	64u
#define KMQTT_TOPIC_TABLE_MAX	(1u << 23)

/* ---- names and filters ---- */

static bool topic_valid(const u8 *s, u16 len, unsigned int max_levels,
			bool filter)
{
	unsigned int levels = 1;
	u16 start = 0, i;

	if (!len || !mqtt_utf8_valid(s, len))
		return false;
	for (i = 0; i < len; i++) {
		u8 c = s[i];

		if (c == '/') {
			levels++;
			if (max_levels && levels > max_levels)
				return false;
			start = i + 1;
			continue;
		}
		if (c != '+' && c != '#')
			continue;
		if (!filter || i != start)
			return false;
		if (c == '#' && i + 1 != len)
			return false;
		if (c == '+' && i + 1 < len && s[i + 1] != '/')
			return false;
	}
	return true;
}

bool mqtt_topic_name_valid(const u8 *s, u16 len, unsigned int max_levels)
{
	return topic_valid(s, len, max_levels, false);
}

bool mqtt_topic_filter_valid(const u8 *s, u16 len, unsigned int max_levels)
{
	return topic_valid(s, len, max_levels, true);
}

bool mqtt_topic_matches(const u8 *filter, u16 flen, const u8 *name, u16 nlen)
{
	unsigned int fp = 0, np = 0;

	if (nlen && name[0] == '$' && flen &&
	    (filter[0] == '+' || filter[0] == '#'))
		return false;
	for (;;) {
		unsigned int fe, ne;

		if (fp > flen)
			return np > nlen;
		fe = mqtt_level_end(filter, flen, fp);
		if (mqtt_level_is(filter, fp, fe, '#'))
			return true;	/* the rest, zero levels included */
		if (np > nlen)
			return false;
		ne = mqtt_level_end(name, nlen, np);
		if (!mqtt_level_is(filter, fp, fe, '+') &&
		    (fe - fp != ne - np || memcmp(filter + fp, name + np, ne - np)))
			return false;
		fp = fe + 1;
		np = ne + 1;
	}
}

/* ---- the tree ---- */

static u32 node_hash(const struct kmqtt_topic_tree *t,
		     const struct kmqtt_topic_node *parent,
		     const u8 *level, unsigned int len)
{
	u64 p = (u64)(unsigned long)parent;

	return mqtt_level_hash(level, len,
			       t->seed ^ (u32)(p >> 4) ^ (u32)(p >> 36));
}

static struct kmqtt_topic_node *
table_lookup(const struct kmqtt_topic_table *tb,
	     const struct kmqtt_topic_node *parent, u32 hv, const u8 *level,
	     unsigned int len)
{
	const struct hlist_head *head = &tb->buckets[hv & tb->mask];
	struct kmqtt_topic_node *n;

	/* Two loops because the chain's member differs per table. */
	if (tb->link == 0) {
		hlist_for_each_entry_rcu(n, head, link[0]) {
			if (n->parent == parent && n->hashval == hv &&
			    n->len == len && !memcmp(n->level, level, len))
				return n;
		}
	} else {
		hlist_for_each_entry_rcu(n, head, link[1]) {
			if (n->parent == parent && n->hashval == hv &&
			    n->len == len && !memcmp(n->level, level, len))
				return n;
		}
	}
	return NULL;
}

static size_t table_bytes(u32 buckets)
{
	return sizeof(struct kmqtt_topic_table) +
	       (size_t)buckets * sizeof(struct hlist_head);
}

static struct kmqtt_topic_table *table_alloc(u32 buckets, u8 link)
{
	struct kmqtt_topic_table *tb;
	u32 i;

	tb = kvzalloc(table_bytes(buckets), GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
	if (!tb)
		return NULL;
	tb->mask = buckets - 1;
	tb->link = link;
	for (i = 0; i < buckets; i++)
		INIT_HLIST_HEAD(&tb->buckets[i]);
	return tb;
}

static struct kmqtt_topic_table *table_of(struct kmqtt_topic_tree *t)
{
	return rcu_dereference_protected(t->table, lockdep_is_held(&t->lock));
}

static void table_insert(struct kmqtt_topic_table *tb,
			 struct kmqtt_topic_node *n)
{
	hlist_add_head_rcu(&n->link[tb->link],
			   &tb->buckets[n->hashval & tb->mask]);
}

/*
 * Double the table when literal nodes outnumber buckets. Failing to grow is
 * not an error: chains just get longer.
 */
static void table_maybe_grow(struct kmqtt_topic_tree *t)
{
	struct kmqtt_topic_table *old = table_of(t), *tb;
	u32 size = old->mask + 1, i;

	if (t->nodes <= size || size >= KMQTT_TOPIC_TABLE_MAX)
		return;
	if (t->retired) {
		/* Readers of the table before @old may still use our link. */
		cond_synchronize_rcu(t->retired_gp);
		t->bytes -= table_bytes(t->retired->mask + 1);
		kvfree(t->retired);
		t->retired = NULL;
	}
	tb = table_alloc(size * 2, !old->link);
	if (!tb)
		return;
	for (i = 0; i < size; i++) {
		struct kmqtt_topic_node *n;
		struct hlist_node *next;

		if (old->link == 0) {
			hlist_for_each_entry_safe(n, next, &old->buckets[i],
						  link[0])
				table_insert(tb, n);
		} else {
			hlist_for_each_entry_safe(n, next, &old->buckets[i],
						  link[1])
				table_insert(tb, n);
		}
	}
	rcu_assign_pointer(t->table, tb);
	t->retired = old;
	t->retired_gp = get_state_synchronize_rcu();
	t->bytes += table_bytes(size * 2);
}

static size_t node_bytes(unsigned int len)
{
	return sizeof(struct kmqtt_topic_node) + len;
}

static struct kmqtt_topic_node *node_alloc(struct kmqtt_topic_node *parent,
					   u8 kind, const u8 *level,
					   unsigned int len, u32 hv)
{
	struct kmqtt_topic_node *n;

	n = kzalloc(node_bytes(len), GFP_KERNEL_ACCOUNT);
	if (!n)
		return NULL;
	n->parent = parent;
	n->kind = kind;
	n->len = len;
	n->hashval = hv;
	if (len)
		memcpy(n->level, level, len);
	INIT_LIST_HEAD(&n->subs);
	INIT_LIST_HEAD(&n->all);
	return n;
}

static int node_add(struct kmqtt_topic_tree *t, struct kmqtt_topic_node *n)
{
	if (t->max_nodes && t->nodes >= t->max_nodes)
		return -ENOSPC;
	list_add_tail(&n->all, &t->all_nodes);
	t->nodes++;
	t->bytes += node_bytes(n->len);
	return 0;
}

/* Find or create the child of @parent for the filter level [pos, end). */
static struct kmqtt_topic_node *child_get(struct kmqtt_topic_tree *t,
					  struct kmqtt_topic_node *parent,
					  const u8 *level, unsigned int len,
					  int *err)
{
	struct kmqtt_topic_node __rcu **slot = NULL;
	struct kmqtt_topic_node *n;
	u8 kind = KMQTT_NODE_LITERAL;
	u32 hv = 0;

	if (len == 1 && level[0] == '+') {
		slot = &parent->plus;
		kind = KMQTT_NODE_PLUS;
	} else if (len == 1 && level[0] == '#') {
		slot = &parent->hash;
		kind = KMQTT_NODE_HASH;
	}
	if (slot) {
		n = rcu_dereference_protected(*slot, lockdep_is_held(&t->lock));
		if (n)
			return n;
	} else {
		hv = node_hash(t, parent, level, len);
		rcu_read_lock();	/* the lookup is written for readers */
		n = table_lookup(table_of(t), parent, hv, level, len);
		rcu_read_unlock();
		if (n)
			return n;
	}

	n = node_alloc(parent, kind, level, len, hv);
	if (!n) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = node_add(t, n);
	if (*err) {
		kfree(n);
		return NULL;
	}
	if (slot) {
		rcu_assign_pointer(*slot, n);
	} else {
		table_insert(table_of(t), n);
		parent->children++;
		table_maybe_grow(t);
	}
	return n;
}

static bool node_unused(struct kmqtt_topic_tree *t, struct kmqtt_topic_node *n)
{
	return n->kind != KMQTT_NODE_ROOT && list_empty(&n->subs) &&
	       !n->children && !rcu_access_pointer(n->plus) &&
	       !rcu_access_pointer(n->hash);
}

/* Unlink and free @n and its ancestors while they hold nothing. */
static void prune(struct kmqtt_topic_tree *t, struct kmqtt_topic_node *n)
{
	while (node_unused(t, n)) {
		struct kmqtt_topic_node *parent = n->parent;

		switch (n->kind) {
		case KMQTT_NODE_PLUS:
			RCU_INIT_POINTER(parent->plus, NULL);
			break;
		case KMQTT_NODE_HASH:
			RCU_INIT_POINTER(parent->hash, NULL);
			break;
		default:
			hlist_del_rcu(&n->link[table_of(t)->link]);
			parent->children--;
			break;
		}
		list_del(&n->all);
		t->nodes--;
		t->bytes -= node_bytes(n->len);
		kfree_rcu(n, rcu);
		n = parent;
	}
}

int kmqtt_topic_tree_init(struct kmqtt_topic_tree *t)
{
	struct kmqtt_topic_table *tb;
	struct kmqtt_topic_node *root;

	memset(t, 0, sizeof(*t));
	mutex_init(&t->lock);
	INIT_LIST_HEAD(&t->all_nodes);
	t->max_levels = KMQTT_DEFAULT_MAX_LEVELS;
	t->seed = get_random_u32();
	root = node_alloc(NULL, KMQTT_NODE_ROOT, NULL, 0, 0);
	tb = table_alloc(KMQTT_TOPIC_TABLE_MIN, 0);
	if (!root || !tb) {
		kfree(root);
		kvfree(tb);
		return -ENOMEM;
	}
	t->bytes = node_bytes(0) + table_bytes(KMQTT_TOPIC_TABLE_MIN);
	RCU_INIT_POINTER(t->root, root);
	RCU_INIT_POINTER(t->table, tb);
	return 0;
}

void kmqtt_topic_tree_destroy(struct kmqtt_topic_tree *t)
{
	struct kmqtt_topic_node *n, *tmp;
	struct kmqtt_subscription *sub, *stmp;
	struct kmqtt_topic_node *root;

	root = rcu_dereference_protected(t->root, 1);
	if (!root)
		return;
	/* A leftover subscription is the caller's bug; free it anyway. */
	WARN_ON(t->subscriptions);
	list_for_each_entry_safe(n, tmp, &t->all_nodes, all) {
		list_for_each_entry_safe(sub, stmp, &n->subs, node_entry)
			kfree(sub);
		kfree(n);
	}
	/* No reader may remain, but freed nodes may still be in flight. */
	synchronize_rcu();
	kfree(root);
	kvfree(rcu_dereference_protected(t->table, 1));
	kvfree(t->retired);
	RCU_INIT_POINTER(t->root, NULL);
	RCU_INIT_POINTER(t->table, NULL);
	t->retired = NULL;
	t->nodes = 0;
	t->subscriptions = 0;
	t->bytes = 0;
	mutex_destroy(&t->lock);
}

struct kmqtt_subscription *kmqtt_topic_subscribe(struct kmqtt_topic_tree *t,
						 const u8 *filter, u16 len,
						 void *owner, u8 qos, int *err)
{
	struct kmqtt_subscription *sub;
	struct kmqtt_topic_node *n;
	unsigned int pos = 0;

	sub = kzalloc(sizeof(*sub), GFP_KERNEL_ACCOUNT);
	if (!sub) {
		*err = -ENOMEM;
		return NULL;
	}
	sub->owner = owner;
	sub->qos = qos;
	INIT_LIST_HEAD(&sub->owner_entry);

	mutex_lock(&t->lock);
	n = rcu_dereference_protected(t->root, lockdep_is_held(&t->lock));
	while (pos <= len) {
		unsigned int end = mqtt_level_end(filter, len, pos);
		struct kmqtt_topic_node *c;

		c = child_get(t, n, filter + pos, end - pos, err);
		if (!c) {
			prune(t, n);	/* what this call created */
			mutex_unlock(&t->lock);
			kfree(sub);
			return NULL;
		}
		n = c;
		pos = end + 1;
	}
	sub->node = n;
	list_add_tail_rcu(&sub->node_entry, &n->subs);
	t->subscriptions++;
	t->bytes += sizeof(*sub);
	mutex_unlock(&t->lock);
	*err = 0;
	return sub;
}

void kmqtt_topic_unsubscribe(struct kmqtt_topic_tree *t,
			     struct kmqtt_subscription *sub)
{
	mutex_lock(&t->lock);
	list_del_rcu(&sub->node_entry);
	t->subscriptions--;
	t->bytes -= sizeof(*sub);
	prune(t, sub->node);
	mutex_unlock(&t->lock);
	kfree_rcu(sub, rcu);
}

static void report(struct kmqtt_topic_node *n, kmqtt_match_fn fn, void *arg)
{
	struct kmqtt_subscription *sub;

	list_for_each_entry_rcu(sub, &n->subs, node_entry)
		fn(sub, arg);
}

/*
 * Depth-first over the nodes matching @name, without a stack: at a node of
 * depth d, @pos is the start of name level d (len + 1 once the name is
 * consumed). Going back up recomputes the parent's @pos from the name.
 */
void kmqtt_topic_match(struct kmqtt_topic_tree *t, const u8 *name, u16 len,
		       kmqtt_match_fn fn, void *arg)
{
	struct kmqtt_topic_node *root = rcu_dereference(t->root);
	const struct kmqtt_topic_table *tb = rcu_dereference(t->table);
	struct kmqtt_topic_node *n = root, *c;
	/* [MQTT-4.7.2-1]: no leading wildcard matches a '$' topic */
	bool dollar = len && name[0] == '$';
	unsigned int pos = 0, end;

	if (!root || !tb)
		return;
descend:
	c = rcu_dereference(n->hash);
	if (c && !(dollar && n == root))
		report(c, fn, arg);
	if (pos > len) {
		report(n, fn, arg);
		goto up;
	}
	end = mqtt_level_end(name, len, pos);
	c = table_lookup(tb, n, node_hash(t, n, name + pos, end - pos),
			 name + pos, end - pos);
	if (c) {
		n = c;
		pos = end + 1;
		goto descend;
	}
try_plus:
	c = dollar && n == root ? NULL : rcu_dereference(n->plus);
	if (c) {
		n = c;
		pos = end + 1;
		goto descend;
	}
up:
	while (n != root) {
		bool was_plus = n->kind == KMQTT_NODE_PLUS;

		n = n->parent;
		pos = mqtt_level_start_before(name, pos);
		if (!was_plus) {
			end = mqtt_level_end(name, len, pos);
			goto try_plus;
		}
	}
}
