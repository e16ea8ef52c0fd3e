/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Access control with Mosquitto's model, so an operator's acl_file carries
 * over:
 *   topic [read|write|readwrite|deny] FILTER   (before any user line:
 *                                               anonymous clients only)
 *   user NAME + topic ...                      (that user only)
 *   pattern [read|write|readwrite|deny] FILTER (everyone; %c = client id,
 *                                               %u = username)
 * An empty rule set allows everything. A non-empty one denies what no rule
 * grants. As in Mosquitto 2.0 (security_default.c), a check looks at the
 * client's own topic rules (its user's, or the anonymous ones), deny rules
 * first, and stops at the first deny or grant that matches; only then at the
 * pattern rules, deny rules first again. See acl.c for the details and the
 * few deliberate deviations.
 *
 * A rule set is immutable once published: changes build a new set and swap
 * it in under RCU, so connected clients see them at once and checks take
 * no lock.
 */
#ifndef KMQTT_ACL_H
#define KMQTT_ACL_H

#include "shim.h"

enum kmqtt_acl_access {
	KMQTT_ACL_READ = 1,
	KMQTT_ACL_WRITE = 2,
	KMQTT_ACL_READWRITE = 3,
	KMQTT_ACL_DENY = 4,
};

enum kmqtt_acl_kind {
	KMQTT_ACL_TOPIC_ALL,	/* "topic" before any "user" line: anonymous */
	KMQTT_ACL_TOPIC_USER,	/* "topic" under "user NAME" */
	KMQTT_ACL_PATTERN,	/* "pattern", with %c and %u */
};

/* What the client is doing. */
enum kmqtt_acl_op {
	KMQTT_ACL_OP_PUBLISH,	/* needs write */
	/*
	 * @topic is a filter: refused when a deny rule covers all of it,
	 * granted when a read rule can match some topic it matches. What it
	 * then delivers is filtered per message by KMQTT_ACL_OP_RECEIVE, as
	 * Mosquitto checks read access on delivery.
	 */
	KMQTT_ACL_OP_SUBSCRIBE,
	KMQTT_ACL_OP_RECEIVE,	/* needs read on the message topic */
};

#define KMQTT_ACL_MAX_USER	256
#define KMQTT_ACL_MAX_RULES	100000

struct kmqtt_acl_rule {
	struct list_head entry;
	u8 kind;		/* enum kmqtt_acl_kind */
	u8 access;		/* enum kmqtt_acl_access */
	u16 filter_len;
	char *user;		/* KMQTT_ACL_TOPIC_USER only, NUL-terminated */
	u8 *filter;		/* not NUL-terminated */
	bool uses_client_id;	/* pattern with %c */
	bool uses_username;	/* pattern with %u */
};

struct kmqtt_acl {
	struct list_head rules;	/* in the order added */
	u32 count;
	struct rcu_head rcu;
};

struct kmqtt_acl *kmqtt_acl_alloc(gfp_t gfp);
/*
 * Validates the filter (wildcards allowed; %c/%u only in patterns: -EINVAL
 * in topic rules), the user (KMQTT_ACL_TOPIC_USER: 1..KMQTT_ACL_MAX_USER
 * bytes; ignored for the other kinds) and the access. -ENOSPC past
 * KMQTT_ACL_MAX_RULES, -ENOMEM.
 */
int kmqtt_acl_add_rule(struct kmqtt_acl *acl, enum kmqtt_acl_kind kind,
		       const char *user, enum kmqtt_acl_access access,
		       const u8 *filter, u16 len, gfp_t gfp);
/* A deep copy, to build the next version of a published set. */
struct kmqtt_acl *kmqtt_acl_clone(const struct kmqtt_acl *acl, gfp_t gfp);
/*
 * Free a set nobody can see any more. To replace a published set: build the
 * new one, rcu_replace_pointer() under config_lock, synchronize_rcu(), then
 * kmqtt_acl_free() the old one.
 */
void kmqtt_acl_free(struct kmqtt_acl *acl);

/*
 * May @user (NULL for anonymous) with @client_id do @op on @topic (a topic
 * name, or a filter for KMQTT_ACL_OP_SUBSCRIBE)? @acl NULL or empty: yes.
 * Call under rcu_read_lock() with @acl = rcu_dereference(broker->acl).
 * Allocates nothing, never sleeps; cost is linear in the number of rules.
 */
bool kmqtt_acl_check(const struct kmqtt_acl *acl, const char *user,
		     const char *client_id, const u8 *topic, u16 len,
		     enum kmqtt_acl_op op);

/*
 * Expand %c and %u in @pattern into @out. A username or client id containing
 * '+', '#' or '/' would widen the rule, so it makes the expansion fail
 * (-EINVAL), as does one starting with '$' (it could reach $SYS topics) and
 * a missing username for %u or client id for %c. Returns the length or
 * -E2BIG when @out is too small.
 */
int kmqtt_acl_expand(const u8 *pattern, u16 len, const char *user,
		     const char *client_id, u8 *out, size_t out_size);

#endif /* KMQTT_ACL_H */
