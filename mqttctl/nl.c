// SPDX-License-Identifier: GPL-2.0
/*
 * mqttctl's generic netlink transport on libnl-genl-3.
 *
 * libnl 3.7 does not parse extended ACKs, so the error and done handlers do:
 * the kernel's message (NLMSGERR_ATTR_MSG) and the offset of the attribute
 * it refused (NLMSGERR_ATTR_OFFS) let mqttctl say which input line was bad.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netlink.h>
#include <netlink/genl/ctrl.h>
#include <netlink/socket.h>
#include "mqttctl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static struct nl_sock *sk;
static int family;

void ctl_open(void)
{
	int one = 1, big = 8 << 20;

	if (sk)
		return;
	sk = nl_socket_alloc();
	if (!sk)
		die("out of memory");
	if (genl_connect(sk))
		die("cannot open a generic netlink socket: %s", strerror(errno));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one,
		   sizeof(one));
	/* Errors without a copy of our (possibly large) request. */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one,
		   sizeof(one));
	/* Whole configurations can be large: ask, then insist if allowed. */
	nl_socket_set_buffer_size(sk, 1 << 20, 1 << 20);
	setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_SNDBUFFORCE, &big,
		   sizeof(big));
	family = genl_ctrl_resolve(sk, KMQTT_GENL_NAME);
	if (family < 0) {
		fprintf(stderr, "kmqtt: module not loaded (modprobe kmqtt)\n");
		exit(1);
	}
}

struct nl_msg *ctl_msg(int cmd, int flags, size_t size)
{
	struct nl_msg *msg;

	ctl_open();
	msg = nlmsg_alloc_size(size ? size : 65536);
	if (!msg || !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, family, 0,
				 flags, cmd, KMQTT_GENL_VERSION))
		die("out of memory");
	return msg;
}

long ctl_offset(struct nl_msg *msg, const void *a)
{
	return (const char *)a - (const char *)nlmsg_hdr(msg);
}

struct nlattr *ctl_nest(struct nl_msg *msg, int type)
{
	return nla_nest_start(msg, type | NLA_F_NESTED);
}

void ctl_nest_end(struct nl_msg *msg, struct nlattr *nest)
{
	/*
	 * libnl's nla_nest_end() removes a nest with nothing in it, but an
	 * empty list means something here ("no rules"): keep it.
	 */
	if ((char *)nlmsg_tail(nlmsg_hdr(msg)) - (char *)nest == NLA_HDRLEN)
		nest->nla_len = NLA_HDRLEN;
	else
		nla_nest_end(msg, nest);
}

struct ctl_ctx {
	ctl_reply_fn fn;
	void *arg;
	struct ctl_err *err;
	int fn_err;
	bool done;
};

/* Extended ACK attributes at @off bytes into @h. */
static void parse_ext_ack(const struct nlmsghdr *h, size_t off,
			  struct ctl_err *err)
{
	struct nlattr *a;
	int rem;

	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) || h->nlmsg_len <= off)
		return;
	nla_for_each_attr(a, (struct nlattr *)((char *)h + off),
			  (int)(h->nlmsg_len - off), rem) {
		switch (nla_type(a)) {
		case NLMSGERR_ATTR_MSG:
			if (nla_len(a) > 0) {
				snprintf(err->msg, sizeof(err->msg), "%.*s",
					 nla_len(a), (char *)nla_data(a));
				err->msg[strcspn(err->msg, "\n")] = '\0';
			}
			break;
		case NLMSGERR_ATTR_OFFS:
			err->bad_off = ctl_u32(a);
			break;
		case NLMSGERR_ATTR_MISS_TYPE:
			err->miss_type = ctl_u32(a);
			break;
		case NLMSGERR_ATTR_MISS_NEST:
			err->miss_nest = ctl_u32(a);
			break;
		}
	}
}

static int on_valid(struct nl_msg *msg, void *arg)
{
	struct ctl_ctx *ctx = arg;
	struct nlattr *tb[KMQTT_A_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, KMQTT_A_MAX, NULL) < 0)
		return NL_SKIP;
	if (ctx->fn) {
		ctx->fn_err = ctx->fn(tb, ctx->arg);
		if (ctx->fn_err)
			return NL_STOP;
	}
	return NL_OK;
}

static int on_finish(struct nl_msg *msg, void *arg)
{
	struct ctl_ctx *ctx = arg;
	struct nlmsghdr *h = nlmsg_hdr(msg);
	int e = 0;

	/* A dump ends with NLMSG_DONE carrying its error, if any. */
	if (h->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
		memcpy(&e, nlmsg_data(h), sizeof(e));
	if (e < 0) {
		ctx->err->err = e;
		parse_ext_ack(h, NLMSG_HDRLEN + sizeof(int), ctx->err);
	}
	ctx->done = true;
	return NL_STOP;
}

static int on_ack(struct nl_msg *msg, void *arg)
{
	struct ctl_ctx *ctx = arg;

	ctx->done = true;
	return NL_STOP;
}

static int on_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct ctl_ctx *ctx = arg;
	struct nlmsghdr *h = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	size_t off = NLMSG_HDRLEN + sizeof(*e);

	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len - NLMSG_HDRLEN);
	ctx->err->err = e->error;
	parse_ext_ack(h, off, ctx->err);
	ctx->done = true;
	return NL_STOP;
}

int ctl_send(struct nl_msg *msg, ctl_reply_fn fn, void *arg,
	     struct ctl_err *err)
{
	struct ctl_err local;
	struct ctl_ctx ctx = { .fn = fn, .arg = arg };
	struct nl_cb *cb;
	int r;

	if (!err)
		err = &local;
	memset(err, 0, sizeof(*err));
	err->bad_off = -1;
	err->miss_nest = -1;
	ctx.err = err;

	cb = nl_cb_alloc(NL_CB_CUSTOM);
	if (!cb)
		die("out of memory");
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_valid, &ctx);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, on_finish, &ctx);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, on_ack, &ctx);
	nl_cb_err(cb, NL_CB_CUSTOM, on_error, &ctx);

	r = nl_send_auto(sk, msg);
	nlmsg_free(msg);
	if (r < 0) {
		err->err = r == -NLE_MSGSIZE ? -EMSGSIZE : -EIO;
		snprintf(err->msg, sizeof(err->msg), "cannot send: %s",
			 nl_geterror(r));
		nl_cb_put(cb);
		return err->err;
	}
	while (!ctx.done) {
		r = nl_recvmsgs(sk, cb);
		if (ctx.fn_err || (r < 0 && !ctx.done))
			break;
	}
	nl_cb_put(cb);
	if (ctx.fn_err && !err->err)
		err->err = ctx.fn_err;
	if (!ctx.done && !err->err) {
		err->err = -EIO;
		snprintf(err->msg, sizeof(err->msg), "netlink: %s",
			 nl_geterror(r));
	}
	return err->err;
}

const char *ctl_strerror(const struct ctl_err *e)
{
	switch (-e->err) {
	case EPERM:
		return "permission denied (CAP_NET_ADMIN required)";
	case EADDRINUSE:
		return "port in use";
	}
	if (e->msg[0])
		return e->msg;
	switch (-e->err) {
	case EOPNOTSUPP:
		return "not supported by this kmqtt module (older version?)";
	case ENOENT:
		return "not found";
	}
	return strerror(-e->err);
}

void ctl_send_or_die(struct nl_msg *msg, ctl_reply_fn fn, void *arg,
		     const char *what)
{
	struct ctl_err e;

	if (ctl_send(msg, fn, arg, &e))
		die("%s: %s", what, ctl_strerror(&e));
}

uint8_t ctl_u8(const struct nlattr *a)
{
	return a && nla_len(a) >= 1 ? *(uint8_t *)nla_data(a) : 0;
}

uint16_t ctl_u16(const struct nlattr *a)
{
	uint16_t v = 0;

	if (a && nla_len(a) >= (int)sizeof(v))
		memcpy(&v, nla_data(a), sizeof(v));
	return v;
}

uint32_t ctl_u32(const struct nlattr *a)
{
	uint32_t v = 0;

	if (a && nla_len(a) >= (int)sizeof(v))
		memcpy(&v, nla_data(a), sizeof(v));
	return v;
}

uint64_t ctl_u64(const struct nlattr *a)
{
	uint64_t v = 0;

	if (a && nla_len(a) >= (int)sizeof(v))
		memcpy(&v, nla_data(a), sizeof(v));
	return v;
}

const char *ctl_str(const struct nlattr *a)
{
	const char *s;

	if (!a || nla_len(a) < 1)
		return "";
	s = nla_data(a);
	return s[nla_len(a) - 1] == '\0' ? s : "";
}

bool ctl_parse_nested(struct nlattr **tb, int max, struct nlattr *nest)
{
	if (!nest)
		return false;
	return nla_parse_nested(tb, max, nest, NULL) == 0;
}
