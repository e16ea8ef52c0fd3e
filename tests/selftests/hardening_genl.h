/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal raw generic-netlink client for the kmqtt family (uapi/kmqtt.h),
 * used by hardening_limits.c to set limits and to drive the control plane
 * under injected allocation failures. No libnl: every byte is explicit, and
 * nothing allocates between arming a fault and the request it is meant for.
 */
#ifndef KMQTT_HARDENING_GENL_H
#define KMQTT_HARDENING_GENL_H

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include "../../uapi/kmqtt.h"

#define HG_BUF 65536

struct hg {
	int fd;
	uint16_t family;
	uint32_t seq;
	uint8_t rx[HG_BUF];
	/* First data message of the last reply (genl header stripped). */
	uint8_t reply[HG_BUF];
	size_t reply_len;
	uint32_t messages;	/* data messages in the last reply */
};

/* Request builder: nlmsghdr + genlmsghdr + attributes. */
struct hg_msg {
	uint8_t b[4096];
	size_t n;
	size_t nest[4];
	int depth;
};

static inline void hg_msg_init(struct hg_msg *m, uint16_t type, uint8_t cmd,
			       uint16_t flags)
{
	struct nlmsghdr *h = (struct nlmsghdr *)m->b;
	struct genlmsghdr *g = (struct genlmsghdr *)(m->b + NLMSG_HDRLEN);

	memset(m, 0, sizeof(*m));
	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	g->cmd = cmd;
	g->version = type == GENL_ID_CTRL ? 1 : KMQTT_GENL_VERSION;
	m->n = NLMSG_HDRLEN + GENL_HDRLEN;
}

static inline void hg_put(struct hg_msg *m, uint16_t type, const void *d,
			  size_t len)
{
	struct nlattr *a = (struct nlattr *)(m->b + m->n);
	size_t total = NLA_ALIGN(NLA_HDRLEN + len);

	if (m->n + total > sizeof(m->b))
		return;
	a->nla_type = type;
	a->nla_len = NLA_HDRLEN + len;
	memcpy((uint8_t *)a + NLA_HDRLEN, d, len);
	memset((uint8_t *)a + NLA_HDRLEN + len, 0, total - NLA_HDRLEN - len);
	m->n += total;
}

static inline void hg_nest_start(struct hg_msg *m, uint16_t type)
{
	struct nlattr *a = (struct nlattr *)(m->b + m->n);

	a->nla_type = type | NLA_F_NESTED;
	m->nest[m->depth++] = m->n;
	m->n += NLA_HDRLEN;
}

static inline void hg_nest_end(struct hg_msg *m)
{
	struct nlattr *a = (struct nlattr *)(m->b + m->nest[--m->depth]);

	a->nla_len = m->n - m->nest[m->depth];
}

/* Send @m and read the whole answer. 0, or a negative errno. */
static inline int hg_call(struct hg *g, struct hg_msg *m)
{
	struct nlmsghdr *h = (struct nlmsghdr *)m->b;
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	int err = 1;

	h->nlmsg_len = m->n;
	h->nlmsg_seq = ++g->seq;
	g->reply_len = 0;
	g->messages = 0;
	if (sendto(g->fd, m->b, m->n, 0, (struct sockaddr *)&to,
		   sizeof(to)) < 0)
		return -errno;
	while (err > 0) {
		ssize_t r = recv(g->fd, g->rx, sizeof(g->rx), 0);
		struct nlmsghdr *nh;
		int len;

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -errno;	/* EAGAIN: SO_RCVTIMEO expired */
		len = r;
		for (nh = (struct nlmsghdr *)g->rx; NLMSG_OK(nh, len);
		     nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_seq != g->seq)
				continue;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(nh);

				err = e->error;
				break;
			}
			if (nh->nlmsg_type == NLMSG_DONE) {
				int *e = NLMSG_DATA(nh);

				err = nh->nlmsg_len >= NLMSG_LENGTH(sizeof(int)) ?
				      *e : 0;
				break;
			}
			if (!g->messages++) {
				size_t l = nh->nlmsg_len - NLMSG_HDRLEN;

				l = l > GENL_HDRLEN ? l - GENL_HDRLEN : 0;
				memcpy(g->reply, (uint8_t *)NLMSG_DATA(nh) +
				       GENL_HDRLEN, l);
				g->reply_len = l;
			}
			/* A dump ends with DONE, a plain request with an ACK. */
		}
	}
	return err;
}

/* Find attribute @type in [@d, @d + @len); NULL if absent. */
static inline struct nlattr *hg_find(const uint8_t *d, size_t len,
				     uint16_t type)
{
	while (len >= NLA_HDRLEN) {
		struct nlattr *a = (struct nlattr *)d;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			return NULL;
		if ((a->nla_type & NLA_TYPE_MASK) == type)
			return a;
		if (NLA_ALIGN(a->nla_len) >= len)
			break;
		len -= NLA_ALIGN(a->nla_len);
		d += NLA_ALIGN(a->nla_len);
	}
	return NULL;
}

static inline void *hg_data(struct nlattr *a)
{
	return (uint8_t *)a + NLA_HDRLEN;
}

static inline int hg_open(struct hg *g, int timeout_s)
{
	struct sockaddr_nl me = { .nl_family = AF_NETLINK };
	struct timeval tv = { .tv_sec = timeout_s };
	struct hg_msg m;
	struct nlattr *a;
	int err;

	g->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (g->fd < 0)
		return -errno;
	setsockopt(g->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (bind(g->fd, (struct sockaddr *)&me, sizeof(me)) < 0) {
		err = -errno;
		close(g->fd);
		g->fd = -1;
		return err;
	}
	hg_msg_init(&m, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	hg_put(&m, CTRL_ATTR_FAMILY_NAME, KMQTT_GENL_NAME,
	       sizeof(KMQTT_GENL_NAME));
	err = hg_call(g, &m);
	if (!err) {
		a = hg_find(g->reply, g->reply_len, CTRL_ATTR_FAMILY_ID);
		if (a)
			g->family = *(uint16_t *)hg_data(a);
		else
			err = -ENOENT;
	}
	if (err) {
		close(g->fd);
		g->fd = -1;
	}
	return err;
}

static inline void hg_close(struct hg *g)
{
	if (g->fd >= 0)
		close(g->fd);
	g->fd = -1;
}

/* Limit attribute sizes (uapi/kmqtt.h). */
static inline size_t hg_limit_size(uint16_t attr)
{
	switch (attr) {
	case KMQTT_LIMIT_A_MAX_INFLIGHT:
	case KMQTT_LIMIT_A_MAX_KEEPALIVE:
	case KMQTT_LIMIT_A_CONNECT_TIMEOUT:
	case KMQTT_LIMIT_A_SYS_INTERVAL:
		return 2;
	case KMQTT_LIMIT_A_MAX_QUEUED_BYTES:
	case KMQTT_LIMIT_A_RETAINED_MAX_BYTES:
		return 8;
	case KMQTT_LIMIT_A_ALLOW_ANONYMOUS:
		return 1;
	default:
		return 4;
	}
}

static inline int hg_limit_get(struct hg *g, uint16_t attr, long long *v)
{
	struct hg_msg m;
	struct nlattr *n, *a;
	int err;

	hg_msg_init(&m, g->family, KMQTT_CMD_LIMIT_GET, 0);
	err = hg_call(g, &m);
	if (err)
		return err;
	n = hg_find(g->reply, g->reply_len, KMQTT_A_LIMITS);
	a = n ? hg_find(hg_data(n), n->nla_len - NLA_HDRLEN, attr) : NULL;
	if (!a)
		return -ENOENT;
	switch (hg_limit_size(attr)) {
	case 1: *v = *(uint8_t *)hg_data(a); break;
	case 2: *v = *(uint16_t *)hg_data(a); break;
	case 8: *v = (long long)*(uint64_t *)hg_data(a); break;
	default: *v = *(uint32_t *)hg_data(a); break;
	}
	return 0;
}

static inline void hg_msg_limit(struct hg_msg *m, struct hg *g, uint16_t attr,
				long long v)
{
	uint8_t u8 = v;
	uint16_t u16 = v;
	uint32_t u32 = v;
	uint64_t u64 = v;
	size_t sz = hg_limit_size(attr);

	hg_msg_init(m, g->family, KMQTT_CMD_LIMIT_SET, 0);
	hg_nest_start(m, KMQTT_A_LIMITS);
	hg_put(m, attr, sz == 1 ? (void *)&u8 : sz == 2 ? (void *)&u16 :
	       sz == 8 ? (void *)&u64 : (void *)&u32, sz);
	hg_nest_end(m);
}

static inline int hg_limit_set(struct hg *g, uint16_t attr, long long v)
{
	struct hg_msg m;

	hg_msg_limit(&m, g, attr, v);
	return hg_call(g, &m);
}

/* LISTENER_ADD / LISTENER_DEL of 127.0.0.1:@port. */
static inline void hg_msg_listener(struct hg_msg *m, struct hg *g, uint8_t cmd,
				   uint16_t port)
{
	uint16_t fam = AF_INET;
	uint8_t lo[4] = { 127, 0, 0, 1 };

	hg_msg_init(m, g->family, cmd, 0);
	hg_nest_start(m, KMQTT_A_LISTENER);
	hg_put(m, KMQTT_LISTENER_A_FAMILY, &fam, 2);
	hg_put(m, KMQTT_LISTENER_A_ADDR, lo, 4);
	hg_put(m, KMQTT_LISTENER_A_PORT, &port, 2);
	hg_nest_end(m);
}

#endif /* KMQTT_HARDENING_GENL_H */
