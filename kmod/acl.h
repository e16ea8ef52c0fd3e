/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Access control with Mosquitto's model, so an operator's acl_file carries
 * over:
 *   topic [read|write|readwrite|deny] FILTER   (before any user: everyone)
 *   user NAME + topic ...                      (that user only)
 *   pattern [read|write|readwrite|deny] FILTER (everyone; %c = client id,
 *                                               %u = username)
 * An empty rule set allows everything. A non-empty one denies what no rule
 * grants; a matching deny rule wins over any grant.
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
	KMQTT_ACL_TOPIC_ALL,	/* "topic" before any "user" line */
	KMQTT_ACL_TOPIC_USER,	/* "topic" under "user NAME" */
	KMQTT_ACL_PATTERN,	/* "pattern", with %c and %u */
};

/* What the client is doing. */
enum kmqtt_acl_op {
	KMQTT_ACL_OP_PUBLISH,	/* needs write */
	KMQTT_ACL_OP_SUBSCRIBE,	/* needs read on the filter */
	KMQTT_ACL_OP_RECEIVE,	/* needs read on the message topic */
};

#define KMQTT_ACL_MAX_USER	256

struct kmqtt_acl_rule {
	struct list_head entry;
	u8 kind;		/* enum kmqtt_acl_kind */
	u8 access;		/* enum kmqtt_acl_access */
	u16 filter_len;
	char *user;		/* KMQTT_ACL_TOPIC_USER only, NUL-terminated */
	u8 *filter;		/* not NUL-terminated */
};

struct kmqtt_acl {
	struct list_head rules;	/* in the order added */
	u32 count;
	struct rcu_head rcu;
};

struct kmqtt_acl *kmqtt_acl_alloc(gfp_t gfp);
/* Validates the filter (wildcards allowed; %c/%u only in patterns). */
int kmqtt_acl_add_rule(struct kmqtt_acl *acl, enum kmqtt_acl_kind kind,
		       const char *user, enum kmqtt_acl_access access,
		       const u8 *filter, u16 len, gfp_t gfp);
/* A deep copy, to build the next version of a published set. */
struct kmqtt_acl *kmqtt_acl_clone(const struct kmqtt_acl *acl, gfp_t gfp);
void kmqtt_acl_free(struct kmqtt_acl *acl);

/*
 * May @user (NULL for anonymous) with @client_id do @op on @topic (a topic
 * name, or a filter for KMQTT_ACL_OP_SUBSCRIBE)? @acl NULL or empty: yes.
 */
bool kmqtt_acl_check(const struct kmqtt_acl *acl, const char *user,
		     const char *client_id, const u8 *topic, u16 len,
		     enum kmqtt_acl_op op);

/*
 * Expand %c and %u in @pattern into @out. A username or client id containing
 * '+', '#' or '/' would widen the rule, so it makes the expansion fail
 * (-EINVAL), as does a missing username for %u. Returns the length or
 * -E2BIG when @out is too small.
 */
int kmqtt_acl_expand(const u8 *pattern, u16 len, const char *user,
		     const char *client_id, u8 *out, size_t out_size);

#endif /* KMQTT_ACL_H */
