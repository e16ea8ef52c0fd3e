// SPDX-License-Identifier: GPL-2.0
/*
 * The "kmqtt" family's policies and request decoders (see nl_parse.h).
 *
 * Every attribute is checked by a strict policy before a handler runs; the
 * decoders check what a policy cannot say (required attributes, one of two,
 * an address that matches its family, a valid topic filter) and name the
 * offending attribute in the extended ACK, which mqttctl prints. They change
 * nothing but their output arguments, so a request that fails here has had
 * no effect.
 */
#include "nl_parse.h"

/* ---- policies ---- */

/*
 * Not const: the kernel's struct nla_policy points at ranges through a
 * non-const pointer.
 */
static struct netlink_range_validation kmqtt_packet_size_range = {
	.min = KMQTT_MAX_PACKET_SIZE_MIN,
	.max = KMQTT_MAX_PACKET_SIZE_MAX,
};

static struct netlink_range_validation kmqtt_topic_levels_range = {
	.min = 1,
	.max = KMQTT_MAX_TOPIC_LEVELS_MAX,
};

static struct netlink_range_validation kmqtt_iterations_range = {
	.min = 1,
	.max = KMQTT_PBKDF2_MAX_ITERATIONS,
};

const struct nla_policy kmqtt_listener_policy[KMQTT_LISTENER_A_MAX + 1] = {
	[KMQTT_LISTENER_A_FAMILY] = { .type = NLA_U16 },
	[KMQTT_LISTENER_A_ADDR] = NLA_POLICY_RANGE(NLA_BINARY,
						   sizeof(struct in_addr),
						   sizeof(struct in6_addr)),
	[KMQTT_LISTENER_A_PORT] = NLA_POLICY_MIN(NLA_U16, 1),
};

const struct nla_policy kmqtt_limit_policy[KMQTT_LIMIT_A_MAX + 1] = {
	[KMQTT_LIMIT_A_MAX_CONNECTIONS] = { .type = NLA_U32 },
	[KMQTT_LIMIT_A_MAX_PACKET_SIZE] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &kmqtt_packet_size_range),
	[KMQTT_LIMIT_A_MAX_INFLIGHT] = NLA_POLICY_MIN(NLA_U16, 1),
	[KMQTT_LIMIT_A_MAX_QUEUED_MSGS] = NLA_POLICY_MIN(NLA_U32, 1),
	[KMQTT_LIMIT_A_MAX_QUEUED_BYTES] = { .type = NLA_U64 },
	[KMQTT_LIMIT_A_MAX_SUBSCRIPTIONS] = NLA_POLICY_MIN(NLA_U32, 1),
	[KMQTT_LIMIT_A_MAX_TOPIC_LEVELS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &kmqtt_topic_levels_range),
	[KMQTT_LIMIT_A_RETAINED_MAX_COUNT] = { .type = NLA_U32 },
	[KMQTT_LIMIT_A_RETAINED_MAX_MSG_BYTES] = { .type = NLA_U32 },
	[KMQTT_LIMIT_A_RETAINED_MAX_BYTES] = { .type = NLA_U64 },
	[KMQTT_LIMIT_A_MAX_KEEPALIVE] =
		NLA_POLICY_MIN(NLA_U16, KMQTT_MAX_KEEPALIVE_MIN),
	[KMQTT_LIMIT_A_CONNECT_TIMEOUT] =
		NLA_POLICY_RANGE(NLA_U16, 1, KMQTT_CONNECT_TIMEOUT_MAX),
	[KMQTT_LIMIT_A_ALLOW_ANONYMOUS] = NLA_POLICY_MAX(NLA_U8, 1),
	[KMQTT_LIMIT_A_SYS_INTERVAL] = { .type = NLA_U16 },
	[KMQTT_LIMIT_A_MAX_SESSIONS] = { .type = NLA_U32 },
};

const struct nla_policy kmqtt_user_policy[KMQTT_USER_A_MAX + 1] = {
	[KMQTT_USER_A_NAME] = { .type = NLA_NUL_STRING,
				.len = KMQTT_USER_NAME_MAX },
	[KMQTT_USER_A_PASSWORD] = { .type = NLA_BINARY,
				    .len = KMQTT_PASSWORD_MAX },
	[KMQTT_USER_A_HASH] = { .type = NLA_NUL_STRING, .len = KMQTT_HASH_MAX },
	[KMQTT_USER_A_ITERATIONS] =
		NLA_POLICY_FULL_RANGE(NLA_U32, &kmqtt_iterations_range),
};

const struct nla_policy kmqtt_acl_policy[KMQTT_ACL_A_MAX + 1] = {
	[KMQTT_ACL_A_KIND] = NLA_POLICY_RANGE(NLA_U8, KMQTT_ACL_KIND_TOPIC,
					      KMQTT_ACL_KIND_MAX),
	[KMQTT_ACL_A_ACCESS] = NLA_POLICY_RANGE(NLA_U8, KMQTT_ACL_ACCESS_READ,
						KMQTT_ACL_ACCESS_MAX),
	[KMQTT_ACL_A_USER] = { .type = NLA_NUL_STRING,
			       .len = KMQTT_USER_NAME_MAX },
	[KMQTT_ACL_A_FILTER] = { .type = NLA_NUL_STRING,
				 .len = KMQTT_ACL_FILTER_MAX },
};

/* The family's. Output-only attributes are left out: strict validation rejects them. */
const struct nla_policy kmqtt_policy[KMQTT_A_MAX + 1] = {
	[KMQTT_A_LISTENER] = NLA_POLICY_NESTED(kmqtt_listener_policy),
	[KMQTT_A_LISTENERS] = NLA_POLICY_NESTED_ARRAY(kmqtt_listener_policy),
	[KMQTT_A_LIMITS] = NLA_POLICY_NESTED(kmqtt_limit_policy),
	[KMQTT_A_USER] = NLA_POLICY_NESTED(kmqtt_user_policy),
	[KMQTT_A_USERS] = NLA_POLICY_NESTED_ARRAY(kmqtt_user_policy),
	[KMQTT_A_ACL_RULES] = NLA_POLICY_NESTED_ARRAY(kmqtt_acl_policy),
	[KMQTT_A_CLIENT_ID] = { .type = NLA_NUL_STRING,
				.len = KMQTT_CLIENT_ID_MAX },
	[KMQTT_A_TOPIC] = { .type = NLA_NUL_STRING, .len = KMQTT_TOPIC_MAX },
	[KMQTT_A_FILTER] = { .type = NLA_NUL_STRING, .len = KMQTT_TOPIC_MAX },
};

const struct nlattr *kmqtt_nl_next_list(const struct kmqtt_nl_req *req,
					int type, const struct nlattr *prev)
{
	const struct nlattr *a;
	int rem;

	/* Resume after @prev: attributes only go forward. */
	if (prev) {
		rem = req->len - ((const char *)prev - (const char *)req->head);
		a = nla_next(prev, &rem);
	} else {
		a = req->head;
		rem = req->len;
	}
	for (; nla_ok(a, rem); a = nla_next(a, &rem))
		if (nla_type(a) == type)
			return a;
	return NULL;
}

/* ---- listeners ---- */

bool kmqtt_ss_equal(const struct sockaddr_storage *a,
		    const struct sockaddr_storage *b)
{
	size_t len = a->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
						sizeof(struct sockaddr_in);

	return a->ss_family == b->ss_family && !memcmp(a, b, len);
}

int kmqtt_nl_parse_listener(const struct nlattr *nest,
			    struct sockaddr_storage *ss,
			    struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KMQTT_LISTENER_A_MAX + 1];
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	u16 family, port;
	int err, alen;

	err = nla_parse_nested(tb, KMQTT_LISTENER_A_MAX, nest,
			       kmqtt_listener_policy, extack);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(extack, nest, tb, KMQTT_LISTENER_A_FAMILY) ||
	    NL_REQ_ATTR_CHECK(extack, nest, tb, KMQTT_LISTENER_A_ADDR) ||
	    NL_REQ_ATTR_CHECK(extack, nest, tb, KMQTT_LISTENER_A_PORT)) {
		NL_SET_ERR_MSG(extack, "listener needs family, address and port");
		return -EINVAL;
	}
	family = nla_get_u16(tb[KMQTT_LISTENER_A_FAMILY]);
	alen = nla_len(tb[KMQTT_LISTENER_A_ADDR]);
	port = nla_get_u16(tb[KMQTT_LISTENER_A_PORT]);

	if (family != AF_INET && family != AF_INET6) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KMQTT_LISTENER_A_FAMILY],
				    "family must be AF_INET or AF_INET6");
		return -EAFNOSUPPORT;
	}
	if (alen != (family == AF_INET ? sizeof(sin->sin_addr) :
					 sizeof(sin6->sin6_addr))) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KMQTT_LISTENER_A_ADDR],
				    "address length does not match the family");
		return -EINVAL;
	}
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		nla_memcpy(&sin->sin_addr, tb[KMQTT_LISTENER_A_ADDR], alen);
	} else {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		nla_memcpy(&sin6->sin6_addr, tb[KMQTT_LISTENER_A_ADDR], alen);
	}
	return 0;
}

int kmqtt_nl_req_listener(const struct kmqtt_nl_req *req,
			  struct sockaddr_storage *ss)
{
	if (NL_REQ_ATTR_CHECK(req->extack, NULL, req->attrs,
			      KMQTT_A_LISTENER)) {
		NL_SET_ERR_MSG(req->extack, "listener attribute missing");
		return -EINVAL;
	}
	return kmqtt_nl_parse_listener(req->attrs[KMQTT_A_LISTENER], ss,
				       req->extack);
}

/* CONFIG_APPLY: every listener of every KMQTT_A_LISTENERS list, no twice. */
static int kmqtt_nl_parse_listener_list(const struct kmqtt_nl_req *req,
					struct kmqtt_nl_config *cfg)
{
	struct netlink_ext_ack *extack = req->extack;
	const struct nlattr *nest, *list;
	int rem, err;
	u32 i;

	kmqtt_nl_for_each_list(list, req, KMQTT_A_LISTENERS) {
		nla_for_each_nested(nest, list, rem) {
			if (cfg->naddrs == KMQTT_NL_MAX_LISTENERS) {
				NL_SET_ERR_MSG_ATTR(extack, nest, "too many listeners");
				return -ENOSPC;
			}
			err = kmqtt_nl_parse_listener(nest,
						      &cfg->addrs[cfg->naddrs],
						      extack);
			if (err)
				return err;
			for (i = 0; i < cfg->naddrs; i++) {
				if (kmqtt_ss_equal(&cfg->addrs[i],
						   &cfg->addrs[cfg->naddrs])) {
					NL_SET_ERR_MSG_ATTR(extack, nest,
							    "duplicate listener");
					return -EINVAL;
				}
			}
			cfg->addr_attrs[cfg->naddrs++] = nest;
		}
	}
	return 0;
}

/* ---- limits ---- */

int kmqtt_nl_parse_limits(const struct nlattr *nest, struct kmqtt_limits *l,
			  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KMQTT_LIMIT_A_MAX + 1];
	int err;

	err = nla_parse_nested(tb, KMQTT_LIMIT_A_MAX, nest,
			       kmqtt_limit_policy, extack);
	if (err)
		return err;
#define GET(attr, field, type)						\
	do {								\
		if (tb[KMQTT_LIMIT_A_##attr])				\
			l->field = nla_get_##type(tb[KMQTT_LIMIT_A_##attr]); \
	} while (0)
	GET(MAX_CONNECTIONS, max_connections, u32);
	GET(MAX_PACKET_SIZE, max_packet_size, u32);
	GET(MAX_INFLIGHT, max_inflight, u16);
	GET(MAX_QUEUED_MSGS, max_queued_msgs, u32);
	GET(MAX_QUEUED_BYTES, max_queued_bytes, u64);
	GET(MAX_SUBSCRIPTIONS, max_subscriptions, u32);
	GET(MAX_TOPIC_LEVELS, max_topic_levels, u32);
	GET(RETAINED_MAX_COUNT, retained_max_count, u32);
	GET(RETAINED_MAX_MSG_BYTES, retained_max_msg_bytes, u32);
	GET(RETAINED_MAX_BYTES, retained_max_bytes, u64);
	GET(MAX_KEEPALIVE, max_keepalive, u16);
	GET(CONNECT_TIMEOUT, connect_timeout, u16);
	GET(SYS_INTERVAL, sys_interval, u16);
	GET(MAX_SESSIONS, max_sessions, u32);
#undef GET
	if (tb[KMQTT_LIMIT_A_ALLOW_ANONYMOUS])
		l->allow_anonymous =
			nla_get_u8(tb[KMQTT_LIMIT_A_ALLOW_ANONYMOUS]);
	return 0;
}

int kmqtt_nl_req_limits(const struct kmqtt_nl_req *req,
			struct kmqtt_limits *l)
{
	if (NL_REQ_ATTR_CHECK(req->extack, NULL, req->attrs, KMQTT_A_LIMITS)) {
		NL_SET_ERR_MSG(req->extack, "limits attribute missing");
		return -EINVAL;
	}
	return kmqtt_nl_parse_limits(req->attrs[KMQTT_A_LIMITS], l,
				     req->extack);
}

/* ---- users ---- */

int kmqtt_nl_parse_user(const struct nlattr *nest, struct kmqtt_nl_user_req *u,
			struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KMQTT_USER_A_MAX + 1];
	int err;

	err = nla_parse_nested(tb, KMQTT_USER_A_MAX, nest, kmqtt_user_policy,
			       extack);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(extack, nest, tb, KMQTT_USER_A_NAME)) {
		NL_SET_ERR_MSG(extack, "user name missing");
		return -EINVAL;
	}
	nla_strscpy(u->name, tb[KMQTT_USER_A_NAME], sizeof(u->name));
	if (!u->name[0]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KMQTT_USER_A_NAME],
				    "empty user name");
		return -EINVAL;
	}
	u->nest = nest;
	u->password = tb[KMQTT_USER_A_PASSWORD];
	u->hash = tb[KMQTT_USER_A_HASH];
	u->iterations = KMQTT_PBKDF2_DEFAULT_ITERATIONS;
	if (!u->password == !u->hash) {
		NL_SET_ERR_MSG_ATTR(extack, nest,
				    "give exactly one of password and hash");
		return -EINVAL;
	}
	if (tb[KMQTT_USER_A_ITERATIONS]) {
		if (!u->password) {
			NL_SET_ERR_MSG_ATTR(extack, tb[KMQTT_USER_A_ITERATIONS],
					    "iterations only go with a password");
			return -EINVAL;
		}
		u->iterations = nla_get_u32(tb[KMQTT_USER_A_ITERATIONS]);
	}
	return 0;
}

int kmqtt_nl_req_user(const struct kmqtt_nl_req *req,
		      struct kmqtt_nl_user_req *u)
{
	if (NL_REQ_ATTR_CHECK(req->extack, NULL, req->attrs, KMQTT_A_USER)) {
		NL_SET_ERR_MSG(req->extack, "user attribute missing");
		return -EINVAL;
	}
	return kmqtt_nl_parse_user(req->attrs[KMQTT_A_USER], u, req->extack);
}

int kmqtt_nl_req_user_name(const struct kmqtt_nl_req *req,
			   char name[KMQTT_USER_NAME_MAX + 1],
			   const struct nlattr **name_attr)
{
	struct nlattr *tb[KMQTT_USER_A_MAX + 1];
	struct nlattr *nest = req->attrs[KMQTT_A_USER];
	int err;

	if (NL_REQ_ATTR_CHECK(req->extack, NULL, req->attrs, KMQTT_A_USER)) {
		NL_SET_ERR_MSG(req->extack, "user attribute missing");
		return -EINVAL;
	}
	err = nla_parse_nested(tb, KMQTT_USER_A_MAX, nest, kmqtt_user_policy,
			       req->extack);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(req->extack, nest, tb, KMQTT_USER_A_NAME)) {
		NL_SET_ERR_MSG(req->extack, "user name missing");
		return -EINVAL;
	}
	nla_strscpy(name, tb[KMQTT_USER_A_NAME], KMQTT_USER_NAME_MAX + 1);
	*name_attr = tb[KMQTT_USER_A_NAME];
	return 0;
}

/* Every user of every KMQTT_A_USERS list, in order, to @fn. */
static int kmqtt_nl_walk_users(const struct kmqtt_nl_req *req,
			       kmqtt_nl_user_fn fn, void *arg)
{
	const struct nlattr *nest, *list;
	struct kmqtt_nl_user_req *u;
	int rem, err = 0;

	/* Too big for the stack of a netlink handler. */
	u = kzalloc(sizeof(*u), GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	kmqtt_nl_for_each_list(list, req, KMQTT_A_USERS) {
		nla_for_each_nested(nest, list, rem) {
			err = kmqtt_nl_parse_user(nest, u, req->extack) ?:
			      fn(u, req->extack, arg);
			if (err)
				goto out;
		}
	}
out:
	kfree_sensitive(u);
	return err;
}

/* ---- ACL ---- */

u8 kmqtt_acl_kind_to_uapi(u8 kind)
{
	switch (kind) {
	case KMQTT_ACL_TOPIC_ALL:
		return KMQTT_ACL_KIND_TOPIC;
	case KMQTT_ACL_TOPIC_USER:
		return KMQTT_ACL_KIND_USER_TOPIC;
	default:
		return KMQTT_ACL_KIND_PATTERN;
	}
}

static enum kmqtt_acl_kind kmqtt_acl_kind_from_uapi(u8 kind)
{
	switch (kind) {
	case KMQTT_ACL_KIND_TOPIC:
		return KMQTT_ACL_TOPIC_ALL;
	case KMQTT_ACL_KIND_USER_TOPIC:
		return KMQTT_ACL_TOPIC_USER;
	default:
		return KMQTT_ACL_PATTERN;
	}
}

/* The uapi access values are the internal ones; say so at build time. */
static void __maybe_unused kmqtt_acl_abi_check(void)
{
	BUILD_BUG_ON((int)KMQTT_ACL_ACCESS_READ != (int)KMQTT_ACL_READ);
	BUILD_BUG_ON((int)KMQTT_ACL_ACCESS_WRITE != (int)KMQTT_ACL_WRITE);
	BUILD_BUG_ON((int)KMQTT_ACL_ACCESS_READWRITE != (int)KMQTT_ACL_READWRITE);
	BUILD_BUG_ON((int)KMQTT_ACL_ACCESS_DENY != (int)KMQTT_ACL_DENY);
}

int kmqtt_nl_add_acl_rule(struct kmqtt_acl *acl, const struct nlattr *rule,
			  struct netlink_ext_ack *extack)
{
	struct nlattr *tb[KMQTT_ACL_A_MAX + 1];
	const char *user = NULL, *filter;
	int err;
	u8 kind;

	err = nla_parse_nested(tb, KMQTT_ACL_A_MAX, rule, kmqtt_acl_policy,
			       extack);
	if (err)
		return err;
	if (NL_REQ_ATTR_CHECK(extack, rule, tb, KMQTT_ACL_A_KIND) ||
	    NL_REQ_ATTR_CHECK(extack, rule, tb, KMQTT_ACL_A_ACCESS) ||
	    NL_REQ_ATTR_CHECK(extack, rule, tb, KMQTT_ACL_A_FILTER)) {
		NL_SET_ERR_MSG(extack, "ACL rule needs kind, access and filter");
		return -EINVAL;
	}
	kind = nla_get_u8(tb[KMQTT_ACL_A_KIND]);
	if (kind == KMQTT_ACL_KIND_USER_TOPIC) {
		if (!tb[KMQTT_ACL_A_USER] ||
		    !*(char *)nla_data(tb[KMQTT_ACL_A_USER])) {
			NL_SET_ERR_MSG_ATTR(extack, rule,
					    "user rule needs a user name");
			return -EINVAL;
		}
		user = nla_data(tb[KMQTT_ACL_A_USER]);
	} else if (tb[KMQTT_ACL_A_USER]) {
		NL_SET_ERR_MSG_ATTR(extack, tb[KMQTT_ACL_A_USER],
				    "only user rules name a user");
		return -EINVAL;
	}
	filter = nla_data(tb[KMQTT_ACL_A_FILTER]);
	err = kmqtt_acl_add_rule(acl, kmqtt_acl_kind_from_uapi(kind), user,
				 nla_get_u8(tb[KMQTT_ACL_A_ACCESS]),
				 (const u8 *)filter, strlen(filter),
				 GFP_KERNEL);
	if (err == -ENOSPC)
		NL_SET_ERR_MSG_ATTR(extack, rule, "too many ACL rules");
	else if (err)
		NL_SET_ERR_MSG_ATTR(extack, tb[KMQTT_ACL_A_FILTER],
				    "invalid ACL topic filter (%c and %u only in patterns)");
	return err;
}

struct kmqtt_acl *kmqtt_nl_build_acl(const struct kmqtt_nl_req *req,
				     int *errp)
{
	const struct nlattr *rule, *list;
	struct kmqtt_acl *acl;
	int rem, err;

	acl = kmqtt_acl_alloc(GFP_KERNEL);
	if (!acl) {
		*errp = -ENOMEM;
		return NULL;
	}
	kmqtt_nl_for_each_list(list, req, KMQTT_A_ACL_RULES) {
		nla_for_each_nested(rule, list, rem) {
			err = kmqtt_nl_add_acl_rule(acl, rule, req->extack);
			if (err) {
				kmqtt_acl_free(acl);
				*errp = err;
				return NULL;
			}
		}
	}
	return acl;
}

struct kmqtt_acl *kmqtt_nl_req_acl(const struct kmqtt_nl_req *req,
				   int *errp)
{
	if (NL_REQ_ATTR_CHECK(req->extack, NULL, req->attrs,
			      KMQTT_A_ACL_RULES)) {
		NL_SET_ERR_MSG(req->extack, "ACL rule list missing");
		*errp = -EINVAL;
		return NULL;
	}
	return kmqtt_nl_build_acl(req, errp);
}

/* ---- clients and retained messages ---- */

int kmqtt_nl_req_client_id(const struct kmqtt_nl_req *req, const u8 **id,
			   u16 *len)
{
	if (NL_REQ_ATTR_CHECK(req->extack, NULL, req->attrs,
			      KMQTT_A_CLIENT_ID)) {
		NL_SET_ERR_MSG(req->extack, "client id missing");
		return -EINVAL;
	}
	/* The policy bounds it to KMQTT_CLIENT_ID_MAX, NUL included. */
	*id = nla_data(req->attrs[KMQTT_A_CLIENT_ID]);
	*len = strlen(nla_data(req->attrs[KMQTT_A_CLIENT_ID]));
	return 0;
}

int kmqtt_nl_get_filter(const struct nlattr *attr, u32 max_levels,
			const u8 **filter, u16 *len,
			struct netlink_ext_ack *extack)
{
	if (!attr) {
		*filter = (const u8 *)"#";
		*len = 1;
		return 0;
	}
	*filter = nla_data(attr);
	*len = strlen(nla_data(attr));
	if (!mqtt_topic_filter_valid(*filter, *len, max_levels)) {
		NL_SET_ERR_MSG_ATTR(extack, attr, "invalid topic filter");
		return -EINVAL;
	}
	return 0;
}

int kmqtt_nl_req_retained_del(const struct kmqtt_nl_req *req, u32 max_levels,
			      struct kmqtt_nl_retained_sel *sel)
{
	struct nlattr *topic = req->attrs[KMQTT_A_TOPIC];
	struct nlattr *filter = req->attrs[KMQTT_A_FILTER];

	if (!topic == !filter) {
		NL_SET_ERR_MSG(req->extack,
			       "give exactly one of topic and filter");
		return -EINVAL;
	}
	sel->is_filter = filter;
	if (filter) {
		sel->attr = filter;
		return kmqtt_nl_get_filter(filter, max_levels, &sel->s,
					   &sel->len, req->extack);
	}
	sel->attr = topic;
	sel->s = nla_data(topic);
	sel->len = strlen(nla_data(topic));
	if (!mqtt_topic_name_valid(sel->s, sel->len, 0)) {
		NL_SET_ERR_MSG_ATTR(req->extack, topic, "invalid topic name");
		return -EINVAL;
	}
	return 0;
}

/* ---- CONFIG_APPLY ---- */

int kmqtt_nl_decode_config(const struct kmqtt_nl_req *req,
			   struct kmqtt_nl_config *cfg,
			   kmqtt_nl_user_fn user_fn, void *arg)
{
	struct nlattr **attrs = req->attrs;
	int err = 0;

	if (attrs[KMQTT_A_LISTENERS]) {
		err = kmqtt_nl_parse_listener_list(req, cfg);
		if (err)
			return err;
	}
	if (attrs[KMQTT_A_LIMITS]) {
		kmqtt_limits_default(&cfg->limits);
		err = kmqtt_nl_parse_limits(attrs[KMQTT_A_LIMITS], &cfg->limits,
					    req->extack);
		if (err)
			return err;
	}
	if (attrs[KMQTT_A_USERS]) {
		err = kmqtt_nl_walk_users(req, user_fn, arg);
		if (err)
			return err;
	}
	if (attrs[KMQTT_A_ACL_RULES])
		cfg->acl = kmqtt_nl_build_acl(req, &err);
	return err;
}
