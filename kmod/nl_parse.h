/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink requests to configuration: the policies of the "kmqtt"
 * family and the decoders that turn validated attributes into limits,
 * listener addresses, ACL rules, users and client or retained-message
 * selectors (nl_parse.c).
 *
 * This is part of the pure core (core.mk): it needs no genetlink, socket or
 * crypto, only the nla_* accessors (nl_shim.h), so that the module's own
 * policy tables and decoders run under libFuzzer (tests/fuzz/fuzz_netlink)
 * exactly as netlink.c and nl_config.c call them. What needs the kernel
 * (hashing passwords, the user table, binding listeners, replying) stays
 * in those two files.
 */
#ifndef KMQTT_NL_PARSE_H
#define KMQTT_NL_PARSE_H

#include "nl_shim.h"
#include "broker.h"
#include "acl.h"
#include "../uapi/kmqtt.h"

/* kmod/kmqtt.h's KMQTT_MAX_LISTENERS, which is kernel only (checked there). */
#define KMQTT_NL_MAX_LISTENERS	64

extern const struct nla_policy kmqtt_policy[KMQTT_A_MAX + 1];
extern const struct nla_policy kmqtt_listener_policy[KMQTT_LISTENER_A_MAX + 1];
extern const struct nla_policy kmqtt_limit_policy[KMQTT_LIMIT_A_MAX + 1];
extern const struct nla_policy kmqtt_user_policy[KMQTT_USER_A_MAX + 1];
extern const struct nla_policy kmqtt_acl_policy[KMQTT_ACL_A_MAX + 1];

/*
 * A request whose top-level attributes passed kmqtt_policy: @attrs is the
 * table genetlink filled, @head and @len the whole attribute stream (lists
 * may come in several top-level attributes, which @attrs cannot hold).
 */
struct kmqtt_nl_req {
	struct nlattr **attrs;
	const struct nlattr *head;
	int len;
	struct netlink_ext_ack *extack;
};

/*
 * Lists (KMQTT_A_LISTENERS, _USERS, _ACL_RULES) may come in several
 * top-level attributes, one nest holding at most 64 KiB: visit every
 * occurrence of @type, in order.
 */
const struct nlattr *kmqtt_nl_next_list(const struct kmqtt_nl_req *req,
					int type, const struct nlattr *prev);
#define kmqtt_nl_for_each_list(list, req, type)			\
	for (list = kmqtt_nl_next_list(req, type, NULL); list;		\
	     list = kmqtt_nl_next_list(req, type, list))

/* ---- listeners ---- */

bool kmqtt_ss_equal(const struct sockaddr_storage *a,
		    const struct sockaddr_storage *b);
int kmqtt_nl_parse_listener(const struct nlattr *nest,
			    struct sockaddr_storage *ss,
			    struct netlink_ext_ack *extack);
/* LISTENER_ADD, LISTENER_DEL: the address in KMQTT_A_LISTENER. */
int kmqtt_nl_req_listener(const struct kmqtt_nl_req *req,
			  struct sockaddr_storage *ss);

/* ---- limits ---- */

/* Fill @l from the attributes present in @nest; the others stay. */
int kmqtt_nl_parse_limits(const struct nlattr *nest, struct kmqtt_limits *l,
			  struct netlink_ext_ack *extack);
/* LIMIT_SET: KMQTT_A_LIMITS over @l (the current limits). */
int kmqtt_nl_req_limits(const struct kmqtt_nl_req *req,
			struct kmqtt_limits *l);

/* ---- users ---- */

/*
 * One user nest, decoded: a name and exactly one of a password (to hash,
 * @iterations times) and a "$7$..." hash string (to parse). The pointers
 * point into the request.
 */
struct kmqtt_nl_user_req {
	char name[KMQTT_USER_NAME_MAX + 1];
	const struct nlattr *nest;
	const struct nlattr *password;	/* NLA_BINARY, or NULL */
	const struct nlattr *hash;	/* NUL-terminated, or NULL */
	u32 iterations;
};

int kmqtt_nl_parse_user(const struct nlattr *nest, struct kmqtt_nl_user_req *u,
			struct netlink_ext_ack *extack);
/* USER_ADD: the user in KMQTT_A_USER. */
int kmqtt_nl_req_user(const struct kmqtt_nl_req *req,
		      struct kmqtt_nl_user_req *u);
/* USER_DEL: the name in KMQTT_A_USER (@name_attr: for the extended ACK). */
int kmqtt_nl_req_user_name(const struct kmqtt_nl_req *req,
			   char name[KMQTT_USER_NAME_MAX + 1],
			   const struct nlattr **name_attr);

/* Called for each user of the KMQTT_A_USERS lists, in order. */
typedef int (*kmqtt_nl_user_fn)(const struct kmqtt_nl_user_req *u,
				struct netlink_ext_ack *extack, void *arg);

/* ---- ACL ---- */

u8 kmqtt_acl_kind_to_uapi(u8 kind);
/* Parse one rule nest and append it to @acl. */
int kmqtt_nl_add_acl_rule(struct kmqtt_acl *acl, const struct nlattr *rule,
			  struct netlink_ext_ack *extack);
/*
 * A rule set from every KMQTT_A_ACL_RULES list of the request, in order;
 * NULL and *errp on error.
 */
struct kmqtt_acl *kmqtt_nl_build_acl(const struct kmqtt_nl_req *req,
				     int *errp);
/* ACL_SET: as above, and the list is required. */
struct kmqtt_acl *kmqtt_nl_req_acl(const struct kmqtt_nl_req *req,
				   int *errp);

/* ---- clients and retained messages ---- */

/* CLIENT_KICK, CLIENT_DEL: the id in KMQTT_A_CLIENT_ID. */
int kmqtt_nl_req_client_id(const struct kmqtt_nl_req *req, const u8 **id,
			   u16 *len);
/* A valid filter from @attr, or "#" when absent (RETAINED_GET). */
int kmqtt_nl_get_filter(const struct nlattr *attr, u32 max_levels,
			const u8 **filter, u16 *len,
			struct netlink_ext_ack *extack);

/* RETAINED_DEL: one topic, or every topic a filter matches. */
struct kmqtt_nl_retained_sel {
	bool is_filter;
	const u8 *s;
	u16 len;
	const struct nlattr *attr;
};

int kmqtt_nl_req_retained_del(const struct kmqtt_nl_req *req, u32 max_levels,
			      struct kmqtt_nl_retained_sel *sel);

/* ---- CONFIG_APPLY ---- */

/* What CONFIG_APPLY asks for, decoded; each part only if its nest is there. */
struct kmqtt_nl_config {
	struct sockaddr_storage addrs[KMQTT_NL_MAX_LISTENERS];
	const struct nlattr *addr_attrs[KMQTT_NL_MAX_LISTENERS];
	u32 naddrs;
	struct kmqtt_limits limits;	/* unset ones are the defaults */
	struct kmqtt_acl *acl;		/* the caller frees it */
};

/*
 * Decode listeners, limits, users (each handed to @user_fn, which does what
 * needs the kernel: hashing, the user table) and the ACL, in that order,
 * stopping at the first error.
 */
int kmqtt_nl_decode_config(const struct kmqtt_nl_req *req,
			   struct kmqtt_nl_config *cfg,
			   kmqtt_nl_user_fn user_fn, void *arg);

#endif /* KMQTT_NL_PARSE_H */
