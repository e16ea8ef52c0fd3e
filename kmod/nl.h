/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink internals shared by netlink.c (the family, listeners,
 * limits, clients, retained messages, statistics, dumps) and nl_config.c
 * (users, ACL, CONFIG_APPLY). Kernel only; the policies and the decoding of
 * requests are in the pure nl_parse.c.
 */
#ifndef KMQTT_NL_H
#define KMQTT_NL_H

#include <net/genetlink.h>
#include <net/netlink.h>
#include "ctl.h"
#include "nl_parse.h"

extern struct genl_family kmqtt_genl_family;
/* Serializes configuration writers of every namespace. */
extern struct mutex kmqtt_ctl_mutex;

struct kmqtt_net *kmqtt_nl_kn(struct genl_info *info);
struct kmqtt_net *kmqtt_nl_dump_kn(struct netlink_callback *cb);
/* The request of a doit handler, for the decoders of nl_parse.c. */
void kmqtt_nl_req_init(struct kmqtt_nl_req *req, struct genl_info *info);

/* Put @obj's attributes (not the message header); -EMSGSIZE when full. */
typedef int (*kmqtt_nl_put_fn)(struct sk_buff *skb, const void *obj,
			       const void *arg);

/*
 * A dump in progress, one message per object. cb->args[0] counts the
 * objects sent by the earlier rounds: kmqtt_dump_put() passes over @skip
 * of them first (for sources without a stable cursor), kmqtt_dump_end()
 * adds what this round sent.
 */
struct kmqtt_nl_dump_ctx {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	kmqtt_nl_put_fn put;
	const void *arg;	/* passed on to @put */
	u8 cmd;
	long skip;
	long done;		/* objects put in this round */
};

void kmqtt_dump_init(struct kmqtt_nl_dump_ctx *d, struct sk_buff *skb,
		     struct netlink_callback *cb, u8 cmd, kmqtt_nl_put_fn put,
		     const void *arg);
/* One message for @obj: 0, or -EMSGSIZE when this round is full. */
int kmqtt_dump_put(struct kmqtt_nl_dump_ctx *d, const void *obj);
/* End of a round (@err from the last kmqtt_dump_put()): what dumpit returns. */
int kmqtt_dump_end(struct kmqtt_nl_dump_ctx *d, int err);

int kmqtt_nla_put_strn(struct sk_buff *skb, int type, const void *s,
		       size_t len, size_t max);

void kmqtt_nl_listener_errmsg(int err, const struct nlattr *attr,
			      struct netlink_ext_ack *extack);

/* nl_config.c */
int kmqtt_nl_user_add(struct sk_buff *skb, struct genl_info *info);
int kmqtt_nl_user_del(struct sk_buff *skb, struct genl_info *info);
int kmqtt_nl_user_dump(struct sk_buff *skb, struct netlink_callback *cb);
int kmqtt_nl_acl_set(struct sk_buff *skb, struct genl_info *info);
int kmqtt_nl_acl_dump(struct sk_buff *skb, struct netlink_callback *cb);
int kmqtt_nl_config_apply(struct sk_buff *skb, struct genl_info *info);

#endif /* KMQTT_NL_H */
