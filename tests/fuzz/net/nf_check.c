// SPDX-License-Identifier: GPL-2.0
/*
 * netfuzz checker: see nf_check.h. Non-blocking sockets on the caller's
 * epoll instance; every wait is bounded by a deadline.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <unistd.h>

#include "nf.h"
#include "nf_check.h"

#define CK_MAX_FRAME	(1u << 20)	/* from the broker; more is an error */
#define CK_PING_MS	20000		/* keep alive is 60 s */
#define CK_KEEPALIVE	60
#define CK_MAX_WINDOW	256

enum ck_role { CK_SUB, CK_PUB, CK_PROBE };
enum ck_state {
	CS_IDLE, CS_WAIT_CONNACK, CS_WAIT_SUBACK, CS_READY, CS_CLOSED,
	CS_FAILED
};

struct ck_conn {
	enum nf_kind kind;	/* NF_KIND_CHECK: first, for the epoll dispatch */
	enum ck_role role;
	enum ck_state st;
	int fd;
	struct mq_buf in, out;
	size_t out_off;
	bool want_out;
	int64_t last_tx;
	int64_t deadline;	/* handshake must be done by then */
	struct nf_checker *c;
};

struct ck_inflight {
	bool used;
	uint8_t qos;
	uint8_t stage;		/* 0: PUBACK/PUBREC awaited, 1: PUBCOMP */
	uint16_t pid;
	uint32_t seq;
};

struct nf_checker {
	int epfd;
	struct nf_check_opts o;
	struct ck_conn sub, pub, probe;
	char topic[3][96];	/* [1]: QoS 1 topic, [2]: QoS 2 topic */
	char ids[3][32];
	bool publishing;
	uint32_t next_seq;
	uint8_t *seq_qos;	/* per seq: QoS it was published with */
	uint8_t *acked;
	uint16_t *rcount;	/* deliveries per seq (saturating) */
	struct ck_inflight inf[CK_MAX_WINDOW];
	uint32_t ninf;
	uint16_t next_pid;
	uint8_t relwait[65536 / 8];	/* subscriber: QoS 2 pids before PUBREL */
	int64_t next_pub, next_probe;
	int64_t last_seq[3];
	uint64_t received;
	bool final_probe, final_done, final_ok;
	int final_attempts;
	struct nf_check_result r;
};

/* ---- sockets ---------------------------------------------------------- */

static void ck_epoll(struct ck_conn *k, int op)
{
	struct epoll_event ev = {
		.events = EPOLLIN | (k->want_out ? EPOLLOUT : 0),
		.data.ptr = k,
	};

	epoll_ctl(k->c->epfd, op, k->fd, &ev);
}

static void ck_close(struct ck_conn *k, enum ck_state st)
{
	if (k->fd >= 0) {
		epoll_ctl(k->c->epfd, EPOLL_CTL_DEL, k->fd, NULL);
		close(k->fd);
	}
	k->fd = -1;
	k->st = st;
	k->in.n = 0;
	k->out.n = 0;
	k->out_off = 0;
	k->want_out = false;
}

static void ck_fail(struct ck_conn *k, const char *what)
{
	struct nf_checker *c = k->c;
	static const char *const names[] = { "subscriber", "publisher", "probe" };
	bool handshake = k->st == CS_WAIT_CONNACK || k->st == CS_WAIT_SUBACK;

	if (k->role == CK_PROBE) {
		c->r.probes_failed++;
		snprintf(c->r.probe_error, sizeof(c->r.probe_error), "%s", what);
	} else if (handshake) {
		snprintf(c->r.sub_error, sizeof(c->r.sub_error), "%s: %s",
			 names[k->role], what);
	} else if (c->r.conns_stayed_up) {
		c->r.conns_stayed_up = false;
		snprintf(c->r.conn_error, sizeof(c->r.conn_error), "%s: %s",
			 names[k->role], what);
	}
	printf("# checker %s: %s\n", names[k->role], what);
	ck_close(k, CS_FAILED);
}

static void ck_flush(struct ck_conn *k)
{
	bool want;

	while (k->fd >= 0 && k->out_off < k->out.n) {
		ssize_t w = send(k->fd, k->out.d + k->out_off,
				 k->out.n - k->out_off, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN)
			break;
		if (w <= 0) {
			ck_fail(k, strerror(errno));
			return;
		}
		k->out_off += w;
	}
	if (k->fd < 0)
		return;
	if (k->out_off == k->out.n)
		k->out.n = k->out_off = 0;
	want = k->out.n > 0;
	if (want != k->want_out) {
		k->want_out = want;
		ck_epoll(k, EPOLL_CTL_MOD);
	}
}

static void ck_send(struct ck_conn *k, uint8_t hdr, const struct mq_buf *body)
{
	if (k->fd < 0)
		return;
	mq_frame(&k->out, hdr, body);
	k->last_tx = nf_now_ms();
	ck_flush(k);
}

static void ck_ack(struct ck_conn *k, uint8_t hdr, uint16_t pid)
{
	struct mq_buf b = { 0 };

	mq_put_u16(&b, pid);
	ck_send(k, hdr, &b);
	mq_buf_free(&b);
}

static void ck_open(struct ck_conn *k, const char *id)
{
	struct nf_checker *c = k->c;
	struct mq_buf b = { 0 };
	int one = 1;

	k->fd = socket(c->o.addr->ss_family,
		       SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (k->fd < 0) {
		ck_fail(k, "socket() failed");
		return;
	}
	setsockopt(k->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(k->fd, (const struct sockaddr *)c->o.addr, c->o.addrlen) &&
	    errno != EINPROGRESS) {
		k->st = CS_WAIT_CONNACK;
		ck_fail(k, strerror(errno));
		return;
	}
	k->st = CS_WAIT_CONNACK;
	k->deadline = nf_now_ms() + c->o.timeout_ms;
	k->want_out = true;
	ck_epoll(k, EPOLL_CTL_ADD);
	/* CONNECT is queued now and goes out once the socket is writable. */
	mq_put_str(&b, "MQTT");
	mq_put_u8(&b, 4);
	mq_put_u8(&b, 0x02);		/* clean session */
	mq_put_u16(&b, CK_KEEPALIVE);
	mq_put_str(&b, id);
	mq_frame(&k->out, 0x10, &b);
	mq_buf_free(&b);
	k->last_tx = nf_now_ms();
}

/* ---- publisher --------------------------------------------------------- */

static void pub_one(struct nf_checker *c)
{
	uint32_t seq = c->next_seq++;
	uint8_t qos = 1 + (seq & 1);
	struct mq_buf b = { 0 };
	struct ck_inflight *f = NULL;
	char payload[96];
	int i, n;

	for (i = 0; i < CK_MAX_WINDOW; i++) {
		if (!c->inf[i].used) {
			f = &c->inf[i];
			break;
		}
	}
	if (!f)
		abort();	/* window <= CK_MAX_WINDOW, ninf checked */
	if (++c->next_pid == 0)
		c->next_pid = 1;
	*f = (struct ck_inflight){ .used = true, .qos = qos,
				   .pid = c->next_pid, .seq = seq };
	c->ninf++;
	c->seq_qos[seq] = qos;
	mq_put_str(&b, c->topic[qos]);
	mq_put_u16(&b, f->pid);
	n = snprintf(payload, sizeof(payload), "NFCHK %s %u", c->o.tag, seq);
	mq_put_bytes(&b, payload, n);
	ck_send(&c->pub, 0x30 | qos << 1, &b);
	mq_buf_free(&b);
}

static struct ck_inflight *inf_find(struct nf_checker *c, uint16_t pid)
{
	int i;

	for (i = 0; i < CK_MAX_WINDOW; i++)
		if (c->inf[i].used && c->inf[i].pid == pid)
			return &c->inf[i];
	return NULL;
}

static void pub_frame(struct nf_checker *c, const struct nf_frame *f)
{
	struct ck_conn *k = &c->pub;
	struct ck_inflight *in;
	uint16_t pid;

	if (k->st == CS_WAIT_CONNACK) {
		if (f->hdr != 0x20 || f->len != 2 || f->body[1] != 0) {
			ck_fail(k, "CONNACK missing or refused");
			return;
		}
		k->st = CS_READY;
		return;
	}
	if (f->hdr == 0xd0)	/* PINGRESP */
		return;
	if (f->len != 2 || (f->hdr != 0x40 && f->hdr != 0x50 &&
			    f->hdr != 0x70)) {
		ck_fail(k, "unexpected packet from the broker");
		return;
	}
	pid = f->body[0] << 8 | f->body[1];
	in = inf_find(c, pid);
	if (!in) {
		ck_fail(k, "ack for a packet id not in flight");
		return;
	}
	if (f->hdr == 0x40 && in->qos == 1 && in->stage == 0) {
		c->acked[in->seq] = 1;
	} else if (f->hdr == 0x50 && in->qos == 2 && in->stage == 0) {
		c->acked[in->seq] = 1;
		in->stage = 1;
		ck_ack(k, 0x62, pid);	/* PUBREL */
		return;
	} else if (f->hdr == 0x70 && in->qos == 2 && in->stage == 1) {
		/* flow complete */
	} else {
		ck_fail(k, "ack out of sequence");
		return;
	}
	in->used = false;
	c->ninf--;
}

/* ---- subscriber -------------------------------------------------------- */

static void sub_publish(struct nf_checker *c, const struct nf_frame *f)
{
	struct ck_conn *k = &c->sub;
	uint8_t qos = (f->hdr >> 1) & 3;
	uint32_t tl, off, seq;
	uint16_t pid = 0;
	char pl[96], tag[32];
	int want = 0;

	if (f->len < 2 || qos == 3) {
		ck_fail(k, "malformed PUBLISH from the broker");
		return;
	}
	tl = f->body[0] << 8 | f->body[1];
	off = 2 + tl;
	if (off + (qos ? 2 : 0) > f->len) {
		ck_fail(k, "malformed PUBLISH from the broker");
		return;
	}
	if (qos) {
		pid = f->body[off] << 8 | f->body[off + 1];
		off += 2;
	}
	/* Acknowledge first: whatever it is, the flow must complete. */
	if (qos == 1)
		ck_ack(k, 0x40, pid);
	if (qos == 2) {
		bool again = c->relwait[pid >> 3] & (1 << (pid & 7));

		ck_ack(k, 0x50, pid);
		if (again)	/* a retransmission before PUBREL */
			return;
		c->relwait[pid >> 3] |= 1 << (pid & 7);
	}
	if (tl == strlen(c->topic[1]) && !memcmp(f->body + 2, c->topic[1], tl))
		want = 1;
	else if (tl == strlen(c->topic[2]) &&
		 !memcmp(f->body + 2, c->topic[2], tl))
		want = 2;
	snprintf(pl, sizeof(pl), "%.*s",
		 (int)(f->len - off < 90 ? f->len - off : 90), f->body + off);
	if (!want || sscanf(pl, "NFCHK %31s %u", tag, &seq) != 2 ||
	    strcmp(tag, c->o.tag) || seq >= c->next_seq ||
	    c->seq_qos[seq] != want) {
		c->r.foreign++;
		return;
	}
	c->received++;
	if (c->rcount[seq] < UINT16_MAX)
		c->rcount[seq]++;
	if (qos != want)
		c->r.wrong_qos++;
	if ((int64_t)seq < c->last_seq[want])
		c->r.out_of_order++;
	else
		c->last_seq[want] = seq;
}

static void sub_frame(struct nf_checker *c, const struct nf_frame *f)
{
	struct ck_conn *k = &c->sub;
	struct mq_buf b = { 0 };
	uint16_t pid;

	switch (k->st) {
	case CS_WAIT_CONNACK:
		if (f->hdr != 0x20 || f->len != 2 || f->body[1] != 0) {
			ck_fail(k, "CONNACK missing or refused");
			return;
		}
		mq_put_u16(&b, 1);
		mq_put_str(&b, c->topic[1]);
		mq_put_u8(&b, 1);
		mq_put_str(&b, c->topic[2]);
		mq_put_u8(&b, 2);
		ck_send(k, 0x82, &b);
		mq_buf_free(&b);
		k->st = CS_WAIT_SUBACK;
		return;
	case CS_WAIT_SUBACK:
		if (f->hdr != 0x90 || f->len != 4 || f->body[1] != 1 ||
		    f->body[2] != 1 || f->body[3] != 2) {
			ck_fail(k, "SUBACK missing or not granting QoS 1 and 2");
			return;
		}
		k->st = CS_READY;
		c->r.subscribed = true;
		return;
	default:
		break;
	}
	if ((f->hdr & 0xf0) == 0x30) {
		sub_publish(c, f);
	} else if (f->hdr == 0x62 && f->len == 2) {	/* PUBREL */
		pid = f->body[0] << 8 | f->body[1];
		c->relwait[pid >> 3] &= ~(1 << (pid & 7));
		ck_ack(k, 0x70, pid);
	} else if (f->hdr != 0xd0) {
		ck_fail(k, "unexpected packet from the broker");
	}
}

/* ---- probes ------------------------------------------------------------ */

static void probe_frame(struct nf_checker *c, const struct nf_frame *f)
{
	struct ck_conn *k = &c->probe;
	static const uint8_t disc[] = { 0xe0, 0x00 };

	if (f->hdr != 0x20 || f->len != 2 || f->body[1] != 0) {
		ck_fail(k, "CONNACK missing or refused");
		return;
	}
	/* Best effort: the socket is non-blocking and 2 bytes always fit. */
	send(k->fd, disc, sizeof(disc), MSG_NOSIGNAL);
	c->r.probes_ok++;
	ck_close(k, CS_CLOSED);
	if (c->final_probe) {
		c->final_done = true;
		c->final_ok = true;
	}
}

static void probe_ended(struct nf_checker *c)
{
	/* A failed final probe is retried a few times before giving up. */
	if (!c->final_probe || c->final_done)
		return;
	if (c->final_attempts < 3) {
		c->final_attempts++;
		ck_open(&c->probe, c->ids[0]);
	} else {
		c->final_done = true;
		c->final_ok = false;
	}
}

/* ---- dispatch ---------------------------------------------------------- */

static void ck_frame(struct ck_conn *k, const struct nf_frame *f)
{
	if (k->role == CK_SUB)
		sub_frame(k->c, f);
	else if (k->role == CK_PUB)
		pub_frame(k->c, f);
	else
		probe_frame(k->c, f);
}

static void ck_read(struct ck_conn *k)
{
	uint8_t tmp[16384];
	size_t used = 0;
	int rounds;

	/* Bounded: the loop comes back for the rest. */
	for (rounds = 0; rounds < 16 && k->fd >= 0; rounds++) {
		ssize_t r = recv(k->fd, tmp, sizeof(tmp), 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			break;
		if (r <= 0) {
			ck_fail(k, r ? strerror(errno) :
				"connection closed by the broker");
			return;
		}
		mq_put_bytes(&k->in, tmp, r);
	}
	while (k->fd >= 0 && used < k->in.n) {
		struct nf_frame f;
		long n = nf_parse_frame(k->in.d + used, k->in.n - used,
					CK_MAX_FRAME, &f);

		if (n < 0) {
			ck_fail(k, "malformed frame from the broker");
			return;
		}
		if (!n)
			break;
		used += n;
		ck_frame(k, &f);
	}
	if (k->fd >= 0 && used) {
		memmove(k->in.d, k->in.d + used, k->in.n - used);
		k->in.n -= used;
	}
}

void nf_check_event(struct nf_checker *c, void *ptr, uint32_t events)
{
	struct ck_conn *k = ptr;
	bool probe = k->role == CK_PROBE;

	if (k->fd < 0)
		return;
	if (events & EPOLLOUT)
		ck_flush(k);
	if (k->fd >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		ck_read(k);
	if (probe && k->fd < 0)
		probe_ended(c);
}

int64_t nf_check_tick(struct nf_checker *c, int64_t now)
{
	struct ck_conn *ks[] = { &c->sub, &c->pub, &c->probe };
	int64_t next = now + 1000;
	size_t i;

	for (i = 0; i < 3; i++) {
		struct ck_conn *k = ks[i];

		if (k->fd < 0)
			continue;
		if ((k->st == CS_WAIT_CONNACK || k->st == CS_WAIT_SUBACK) &&
		    now >= k->deadline) {
			ck_fail(k, "no answer to the handshake in time");
			if (k->role == CK_PROBE)
				probe_ended(c);
			continue;
		}
		if (k->st == CS_WAIT_CONNACK || k->st == CS_WAIT_SUBACK) {
			if (k->deadline < next)
				next = k->deadline;
			continue;
		}
		if (k->role != CK_PROBE && now - k->last_tx >= CK_PING_MS)
			ck_send(k, 0xc0, NULL);		/* PINGREQ */
	}
	if (c->publishing && c->sub.st == CS_READY && c->pub.st == CS_READY) {
		/* Catch up at most a window's worth after a long stall. */
		int burst = 0;

		while (now >= c->next_pub && c->ninf < c->o.window &&
		       c->next_seq < c->o.max_msgs && burst++ < 64) {
			pub_one(c);
			c->next_pub += c->o.interval_ms;
			if (c->next_pub < now - (int64_t)c->o.interval_ms * 4)
				c->next_pub = now;
			if (c->pub.fd < 0)
				break;
		}
		if (c->next_pub < next)
			next = c->next_pub > now ? c->next_pub : now + 1;
	}
	if (c->o.probe_interval_ms && !c->final_probe && c->probe.fd < 0 &&
	    c->sub.st == CS_READY) {
		if (now >= c->next_probe) {
			ck_open(&c->probe, c->ids[0]);
			c->next_probe = now + c->o.probe_interval_ms;
		}
		if (c->next_probe < next)
			next = c->next_probe;
	}
	return next;
}

/* ---- life cycle -------------------------------------------------------- */

struct nf_checker *nf_check_new(int epfd, const struct nf_check_opts *o)
{
	struct nf_checker *c = calloc(1, sizeof(*c));
	struct ck_conn *ks[3];
	int i;

	if (!c)
		abort();
	c->epfd = epfd;
	c->o = *o;
	if (c->o.window > CK_MAX_WINDOW)
		c->o.window = CK_MAX_WINDOW;
	if (!c->o.window)
		c->o.window = 1;
	c->seq_qos = calloc(o->max_msgs + 1, 1);
	c->acked = calloc(o->max_msgs + 1, 1);
	c->rcount = calloc(o->max_msgs + 1, sizeof(*c->rcount));
	if (!c->seq_qos || !c->acked || !c->rcount)
		abort();
	snprintf(c->topic[1], sizeof(c->topic[1]), "nfchk/%s/q1", o->tag);
	snprintf(c->topic[2], sizeof(c->topic[2]), "nfchk/%s/q2", o->tag);
	snprintf(c->ids[0], sizeof(c->ids[0]), "nfchk%sq", o->tag);
	snprintf(c->ids[1], sizeof(c->ids[1]), "nfchk%ss", o->tag);
	snprintf(c->ids[2], sizeof(c->ids[2]), "nfchk%sp", o->tag);
	ks[0] = &c->sub;
	ks[1] = &c->pub;
	ks[2] = &c->probe;
	for (i = 0; i < 3; i++) {
		ks[i]->kind = NF_KIND_CHECK;
		ks[i]->role = i == 0 ? CK_SUB : i == 1 ? CK_PUB : CK_PROBE;
		ks[i]->fd = -1;
		ks[i]->c = c;
	}
	c->r.conns_stayed_up = true;
	c->last_seq[1] = c->last_seq[2] = -1;
	return c;
}

void nf_check_start(struct nf_checker *c)
{
	int64_t now = nf_now_ms();

	ck_open(&c->sub, c->ids[1]);
	ck_open(&c->pub, c->ids[2]);
	c->publishing = true;
	c->next_pub = now;
	c->next_probe = now + c->o.probe_interval_ms;
}

bool nf_check_ready(struct nf_checker *c)
{
	return (c->sub.st == CS_READY && c->pub.st == CS_READY) ||
	       nf_check_failed(c);
}

bool nf_check_failed(struct nf_checker *c)
{
	return c->sub.st == CS_FAILED || c->pub.st == CS_FAILED;
}

void nf_check_stop_publishing(struct nf_checker *c)
{
	c->publishing = false;
}

bool nf_check_drained(struct nf_checker *c)
{
	uint32_t s;

	if (nf_check_failed(c))
		return true;
	if (c->ninf)
		return false;
	for (s = 0; s < c->next_seq; s++)
		if (!c->rcount[s])
			return false;
	/* QoS 2 flows towards the subscriber finished too. */
	for (s = 0; s < sizeof(c->relwait); s++)
		if (c->relwait[s])
			return false;
	return true;
}

void nf_check_final_probe(struct nf_checker *c)
{
	if (c->probe.fd >= 0)
		ck_close(&c->probe, CS_CLOSED);
	c->final_probe = true;
	c->final_done = false;
	c->final_attempts = 1;
	ck_open(&c->probe, c->ids[0]);
	if (c->probe.fd < 0)
		probe_ended(c);
}

bool nf_check_probe_done(struct nf_checker *c, bool *ok)
{
	*ok = c->final_ok;
	return c->final_done;
}

uint64_t nf_check_sent(struct nf_checker *c)
{
	return c->next_seq;
}

uint64_t nf_check_received(struct nf_checker *c)
{
	return c->received;
}

void nf_check_result(struct nf_checker *c, struct nf_check_result *r)
{
	uint32_t s;

	*r = c->r;
	for (s = 0; s < c->next_seq; s++) {
		uint8_t q = c->seq_qos[s];

		r->checked[q]++;
		if (c->acked[s])
			r->published[q]++;
		else
			r->unconfirmed[q]++;
		if (!c->rcount[s])
			r->lost[q]++;
		else if (c->rcount[s] > 1)
			r->duplicated[q]++;
	}
}

void nf_check_free(struct nf_checker *c)
{
	static const uint8_t disc[] = { 0xe0, 0x00 };
	struct ck_conn *ks[] = { &c->sub, &c->pub, &c->probe };
	size_t i;

	for (i = 0; i < 3; i++) {
		if (ks[i]->fd >= 0 && ks[i]->st == CS_READY)
			send(ks[i]->fd, disc, sizeof(disc), MSG_NOSIGNAL);
		ck_close(ks[i], CS_CLOSED);
		mq_buf_free(&ks[i]->in);
		mq_buf_free(&ks[i]->out);
	}
	free(c->seq_qos);
	free(c->acked);
	free(c->rcount);
	free(c);
}
