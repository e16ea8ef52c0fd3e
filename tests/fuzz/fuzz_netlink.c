// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the generic netlink control plane's attribute parsing,
 * with the module's own code: the family policy kmqtt_policy (and the
 * policies it nests) and the request decoders of kmod/nl_parse.c, which
 * netlink.c and nl_config.c call from their handlers. The kernel's
 * validation (lib/nlattr.c) is the userspace copy in kmod/nl_shim.h.
 *
 * Input: one byte choosing the command, then the attribute stream of a
 * generic netlink message (what follows struct genlmsghdr; the family has
 * no user header). As genetlink does, the stream is first validated
 * strictly against kmqtt_policy into the attribute table; only a request
 * that passes reaches the command's decoder, exactly as the handler
 * would run it. Corpus: corpus/fuzz_netlink/, made by gen-netlink-seeds
 * from what mqttctl sends. netlink-replay sends the inputs this harness
 * refuses to the real module and checks that the kernel refuses them with
 * the same errno, which keeps nl_shim.h's copy of the validation honest.
 *
 * Checked beyond "no crash, no leak, no undefined behaviour":
 * - a decoder that succeeds returns what the ABI promises (uapi/kmqtt.h):
 *   limits within their documented ranges, a listener address that matches
 *   its family with a port, a user with a name and exactly one of password
 *   and hash of bounded size, ACL rules whose fields are valid, a topic or
 *   filter that is valid, no two equal listeners in a configuration;
 * - every ACL rule element of the request becomes one rule, in order;
 * - a failure says why: an extended ACK message, a bad attribute or a
 *   missing one; and the attribute it names lies inside the message (the
 *   kernel WARNs in netlink_ack() otherwise);
 * - kmqtt_nl_next_list() visits exactly the top-level attributes of a type.
 */
#define FUZZ_NAME "fuzz_netlink"
#include "fuzz.h"
#include "nl_parse.h"

u64 kmqtt_test_now;

/* The message being decoded, for "does this pointer point into it?". */
static const u8 *msg_lo, *msg_hi;

static bool in_msg(const void *p, size_t n)
{
	const u8 *b = p;

	return b >= msg_lo && b <= msg_hi && n <= (size_t)(msg_hi - b);
}

static bool attr_in_msg(const struct nlattr *a)
{
	return in_msg(a, NLA_HDRLEN) && in_msg(a, a->nla_len);
}

/* FUZZ_NETLINK_VERBOSE=1: say how each input ended (to check seeds). */
static void report(const char *stage, int err, const struct netlink_ext_ack *ea)
{
	if (!getenv("FUZZ_NETLINK_VERBOSE"))
		return;
	fprintf(stderr, "fuzz_netlink: %s: %d%s%s%s\n", stage, err,
		ea->_msg ? " (" : "", ea->_msg ? ea->_msg : "",
		ea->_msg ? ")" : "");
}

static void check_failure(int err, const struct netlink_ext_ack *ea)
{
	CHECK(err < 0);
	/* The shim refuses policy features it does not copy: not fuzzable. */
	CHECK(err != -EOPNOTSUPP);
	CHECK(err == -EINVAL || err == -ERANGE || err == -EAFNOSUPPORT ||
	      err == -ENOSPC || err == -ENOMEM);
	if (err == -ENOMEM)
		return;
	CHECK(ea->_msg || ea->bad_attr || ea->miss_type);
	if (ea->bad_attr)
		CHECK(attr_in_msg(ea->bad_attr));
	if (ea->miss_nest)
		CHECK(attr_in_msg(ea->miss_nest));
}

/* A NUL-terminated string attribute's payload, within the attribute. */
static size_t check_str(const struct nlattr *a, size_t max)
{
	size_t n;

	CHECK(attr_in_msg(a) && nla_len(a) >= 1);
	n = strnlen(nla_data(a), nla_len(a));
	CHECK(n < (size_t)nla_len(a) && n <= max);
	return n;
}

static void check_listener(const struct sockaddr_storage *ss)
{
	const struct sockaddr_in6 *sin6 = (const void *)ss;
	const struct sockaddr_in *sin = (const void *)ss;

	CHECK(ss->ss_family == AF_INET || ss->ss_family == AF_INET6);
	CHECK(ss->ss_family == AF_INET ? sin->sin_port : sin6->sin6_port);
	CHECK(kmqtt_ss_equal(ss, ss));
}

static void check_limits(const struct kmqtt_limits *l)
{
	CHECK(l->max_packet_size >= KMQTT_MAX_PACKET_SIZE_MIN &&
	      l->max_packet_size <= KMQTT_MAX_PACKET_SIZE_MAX);
	CHECK(l->max_inflight >= 1);
	CHECK(l->max_queued_msgs >= 1);
	CHECK(l->max_subscriptions >= 1);
	CHECK(l->max_topic_levels >= 1 &&
	      l->max_topic_levels <= KMQTT_MAX_TOPIC_LEVELS_MAX);
	CHECK(l->max_keepalive >= KMQTT_MAX_KEEPALIVE_MIN);
	CHECK(l->connect_timeout >= 1 &&
	      l->connect_timeout <= KMQTT_CONNECT_TIMEOUT_MAX);
	CHECK(l->allow_anonymous == 0 || l->allow_anonymous == 1);
}

static int check_user(const struct kmqtt_nl_user_req *u,
		      struct netlink_ext_ack *extack, void *arg)
{
	unsigned int *n = arg;
	size_t len = strnlen(u->name, sizeof(u->name));

	CHECK(len >= 1 && len <= KMQTT_USER_NAME_MAX);
	CHECK(!u->password != !u->hash);
	CHECK(attr_in_msg(u->nest));
	if (u->hash) {
		check_str(u->hash, KMQTT_HASH_MAX);
		CHECK(u->iterations == KMQTT_PBKDF2_DEFAULT_ITERATIONS);
	} else {
		CHECK(attr_in_msg(u->password));
		CHECK(nla_len(u->password) <= KMQTT_PASSWORD_MAX);
		CHECK(u->iterations >= 1 &&
		      u->iterations <= KMQTT_PBKDF2_MAX_ITERATIONS);
	}
	if (n)
		++*n;
	return 0;
}

static unsigned int count_nested(const struct kmqtt_nl_req *req, int type)
{
	const struct nlattr *list, *e;
	unsigned int n = 0;
	int rem;

	kmqtt_nl_for_each_list(list, req, type)
		nla_for_each_nested(e, list, rem)
			n++;
	return n;
}

static void check_acl(const struct kmqtt_acl *acl,
		      const struct kmqtt_nl_req *req)
{
	const struct kmqtt_acl_rule *r;
	u32 n = 0;

	list_for_each_entry(r, &acl->rules, entry) {
		CHECK(r->kind <= KMQTT_ACL_PATTERN);
		CHECK(r->access >= KMQTT_ACL_READ && r->access <= KMQTT_ACL_DENY);
		CHECK(mqtt_topic_filter_valid(r->filter, r->filter_len, 0));
		CHECK(r->filter_len <= KMQTT_ACL_FILTER_MAX);
		if (r->kind == KMQTT_ACL_TOPIC_USER)
			CHECK(r->user && r->user[0] &&
			      strlen(r->user) <= KMQTT_USER_NAME_MAX);
		CHECK(kmqtt_acl_kind_to_uapi(r->kind) >= KMQTT_ACL_KIND_TOPIC &&
		      kmqtt_acl_kind_to_uapi(r->kind) <= KMQTT_ACL_KIND_MAX);
		n++;
	}
	CHECK(n == acl->count);
	CHECK(n == count_nested(req, KMQTT_A_ACL_RULES));
	/* The rules must be usable as the broker uses them. */
	rcu_read_lock();
	kmqtt_acl_check(acl, "alice", "c1", (const u8 *)"a/b", 3,
			KMQTT_ACL_OP_PUBLISH);
	kmqtt_acl_check(acl, NULL, "c1", (const u8 *)"a/#", 3,
			KMQTT_ACL_OP_SUBSCRIBE);
	rcu_read_unlock();
}

/* kmqtt_nl_next_list() resumes after the previous match: compare it with a plain walk. */
static void check_lists(const struct kmqtt_nl_req *req)
{
	static const int types[] = {
		KMQTT_A_LISTENERS, KMQTT_A_USERS, KMQTT_A_ACL_RULES,
	};
	const struct nlattr *a, *list;
	unsigned int i, n, m;
	int rem;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		n = 0;
		nla_for_each_attr(a, req->head, req->len, rem)
			n += nla_type(a) == types[i];
		m = 0;
		kmqtt_nl_for_each_list(list, req, types[i]) {
			CHECK(nla_type(list) == types[i]);
			m++;
		}
		CHECK(m == n);
	}
}

static void run(u8 cmd, struct kmqtt_nl_req *req)
{
	u32 levels = KMQTT_DEFAULT_MAX_LEVELS;
	struct kmqtt_nl_retained_sel sel;
	struct kmqtt_nl_user_req user;
	char name[KMQTT_USER_NAME_MAX + 1];
	const struct nlattr *name_attr;
	struct kmqtt_nl_config *cfg;
	struct sockaddr_storage ss;
	struct kmqtt_limits l;
	struct kmqtt_acl *acl;
	unsigned int users;
	u32 i, j;
	int err = 0;
	const u8 *s;
	u16 len;

	switch (cmd) {
	case KMQTT_CMD_LISTENER_ADD:
	case KMQTT_CMD_LISTENER_DEL:
		err = kmqtt_nl_req_listener(req, &ss);
		if (!err)
			check_listener(&ss);
		break;
	case KMQTT_CMD_LIMIT_SET:
		kmqtt_limits_default(&l);
		check_limits(&l);
		err = kmqtt_nl_req_limits(req, &l);
		if (!err)
			check_limits(&l);
		break;
	case KMQTT_CMD_USER_ADD:
		err = kmqtt_nl_req_user(req, &user);
		if (!err)
			check_user(&user, req->extack, NULL);
		break;
	case KMQTT_CMD_USER_DEL:
		err = kmqtt_nl_req_user_name(req, name, &name_attr);
		if (!err) {
			CHECK(strnlen(name, sizeof(name)) < sizeof(name));
			CHECK(attr_in_msg(name_attr));
		}
		break;
	case KMQTT_CMD_ACL_SET:
		acl = kmqtt_nl_req_acl(req, &err);
		CHECK(!acl == !!err);
		if (acl) {
			check_acl(acl, req);
			kmqtt_acl_free(acl);
		}
		break;
	case KMQTT_CMD_CLIENT_KICK:
	case KMQTT_CMD_CLIENT_DEL:
		err = kmqtt_nl_req_client_id(req, &s, &len);
		if (!err)
			CHECK(in_msg(s, len + 1) && !s[len] &&
			      len <= KMQTT_CLIENT_ID_MAX);
		break;
	case KMQTT_CMD_RETAINED_GET:
		err = kmqtt_nl_get_filter(req->attrs[KMQTT_A_FILTER], levels,
					  &s, &len, req->extack);
		if (!err)
			CHECK(mqtt_topic_filter_valid(s, len, levels));
		break;
	case KMQTT_CMD_RETAINED_DEL:
		err = kmqtt_nl_req_retained_del(req, levels, &sel);
		if (!err) {
			CHECK(in_msg(sel.s, sel.len + 1) && !sel.s[sel.len]);
			CHECK(sel.is_filter ?
			      mqtt_topic_filter_valid(sel.s, sel.len, levels) :
			      mqtt_topic_name_valid(sel.s, sel.len, 0));
		}
		break;
	case KMQTT_CMD_CONFIG_APPLY:
		cfg = calloc(1, sizeof(*cfg));
		if (!cfg)
			abort();
		users = 0;
		err = kmqtt_nl_decode_config(req, cfg, check_user, &users);
		if (!err) {
			CHECK(cfg->naddrs ==
			      count_nested(req, KMQTT_A_LISTENERS));
			for (i = 0; i < cfg->naddrs; i++) {
				check_listener(&cfg->addrs[i]);
				CHECK(attr_in_msg(cfg->addr_attrs[i]));
				for (j = 0; j < i; j++)
					CHECK(!kmqtt_ss_equal(&cfg->addrs[i],
							      &cfg->addrs[j]));
			}
			if (req->attrs[KMQTT_A_LIMITS])
				check_limits(&cfg->limits);
			CHECK(users == count_nested(req, KMQTT_A_USERS));
			CHECK(!cfg->acl == !req->attrs[KMQTT_A_ACL_RULES]);
			if (cfg->acl)
				check_acl(cfg->acl, req);
		}
		if (cfg->acl)
			kmqtt_acl_free(cfg->acl);
		free(cfg);
		break;
	default:
		/* Listings and STATS_GET: the policy is all they decode. */
		break;
	}
	report("decoder", err, req->extack);
	if (err)
		check_failure(err, req->extack);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct nlattr *tb[KMQTT_A_MAX + 1];
	struct netlink_ext_ack extack = { 0 };
	struct kmqtt_nl_req req = {
		.attrs = tb,
		.extack = &extack,
	};
	u8 *msg;
	int err;

	if (size < 1 || size > 1 << 20)
		return 0;
	/* A copy of exactly the stream's size: ASan sees any overread. */
	msg = malloc(size - 1 ? size - 1 : 1);
	if (!msg)
		abort();
	memcpy(msg, data + 1, size - 1);
	msg_lo = msg;
	msg_hi = msg + size - 1;
	req.head = (const struct nlattr *)msg;
	req.len = size - 1;

	/* What genetlink does before any kmqtt code runs. */
	err = __nla_parse(tb, KMQTT_A_MAX, req.head, req.len, kmqtt_policy,
			  NL_VALIDATE_STRICT, &extack);
	report("policy", err, &extack);
	if (err) {
		check_failure(err, &extack);
	} else {
		check_lists(&req);
		run(data[0] % (__KMQTT_CMD_MAX + 1), &req);
	}
	free(msg);
	return 0;
}
