/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Generic netlink internals shared by netlink.c (the family, listeners,
 * limits, clients, retained messages, statistics) and nl_config.c (users,
 * ACL, CONFIG_APPLY). Kernel only.
 */
#ifndef KMQTT_NL_H
#define KMQTT_NL_H

#include <net/genetlink.h>
#include <net/netlink.h>
#include "ctl.h"
#include "../uapi/kmqtt.h"

extern struct genl_family kmqtt_genl_family;
/* Serializes configuration writers of every namespace. */
extern struct mutex kmqtt_ctl_mutex;

extern const struct nla_policy kmqtt_user_policy[KMQTT_USER_A_MAX + 1];
extern const struct nla_policy kmqtt_acl_policy[KMQTT_ACL_A_MAX + 1];

struct kmqtt_net *kmqtt_nl_kn(struct genl_info *info);
struct kmqtt_net *kmqtt_nl_dump_kn(struct netlink_callback *cb);

/* A dump in progress: where the next entry goes. */
struct kmqtt_nl_dump_ctx {
	struct sk_buff *skb;
	struct netlink_callback *cb;
	long done;		/* entries put in this round */
};

void *kmqtt_dump_hdr(struct sk_buff *skb, struct netlink_callback *cb,
		     u8 cmd);
int kmqtt_dump_full(struct sk_buff *skb);
int kmqtt_nla_put_strn(struct sk_buff *skb, int type, const void *s,
		       size_t len, size_t max);

int kmqtt_nl_parse_listener(const struct nlattr *nest,
			    struct sockaddr_storage *ss,
			    struct netlink_ext_ack *extack);
void kmqtt_nl_listener_errmsg(int err, const struct nlattr *attr,
			      struct netlink_ext_ack *extack);
int kmqtt_nl_parse_limits(const struct nlattr *nest, struct kmqtt_limits *l,
			  struct netlink_ext_ack *extack);

/*
 * Lists (KMQTT_A_LISTENERS, _USERS, _ACL_RULES) may come in several
 * top-level attributes, one nest holding at most 64 KiB: visit every
 * occurrence of @type, in order. The whole message was validated already.
 */
const struct nlattr *kmqtt_nl_next_list(const struct genl_info *info,
					int type, const struct nlattr *prev);
#define kmqtt_nl_for_each_list(list, info, type)			\
	for (list = kmqtt_nl_next_list(info, type, NULL); list;		\
	     list = kmqtt_nl_next_list(info, type, list))

/* nl_config.c */
int kmqtt_nl_user_add(struct sk_buff *skb, struct genl_info *info);
int kmqtt_nl_user_del(struct sk_buff *skb, struct genl_info *info);
int kmqtt_nl_user_dump(struct sk_buff *skb, struct netlink_callback *cb);
int kmqtt_nl_acl_set(struct sk_buff *skb, struct genl_info *info);
int kmqtt_nl_acl_dump(struct sk_buff *skb, struct netlink_callback *cb);
int kmqtt_nl_config_apply(struct sk_buff *skb, struct genl_info *info);

#endif /* KMQTT_NL_H */
