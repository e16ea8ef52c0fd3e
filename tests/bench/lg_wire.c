// SPDX-License-Identifier: GPL-2.0
/*
 * kmqtt load generator: a minimal MQTT 3.1.1 client, one state machine per
 * non-blocking socket.  Everything the broker sends is checked: frame
 * syntax, packet ids, acknowledgement flows, granted and delivered QoS, and
 * the payload header (publisher id, sequence number, timestamp).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "lg.h"

#define WBATCH	(64u << 10)	/* queue at most this much before writing */

uint64_t lg_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n);
	if (!p) {
		perror("loadgen: realloc");
		exit(2);
	}
	return p;
}

bool lg_sub_matches(const struct lg_run *r, int sub, int pub)
{
	switch (r->o.scenario) {
	case SC_FANIN:
	case SC_FANOUT:
		return true;
	case SC_PAIRS:
	case SC_LATENCY:
		return sub == pub;
	default:
		return false;
	}
}

/* ---- output buffer ---- */

static uint8_t *wput(struct lg_conn *c, size_t n)
{
	uint8_t *p;

	if (c->wlen + n > c->wcap && c->woff) {
		memmove(c->wbuf, c->wbuf + c->woff, c->wlen - c->woff);
		c->wlen -= c->woff;
		c->woff = 0;
	}
	if (c->wlen + n > c->wcap) {
		size_t cap = c->wcap ? c->wcap : 256;

		while (cap < c->wlen + n)
			cap *= 2;
		c->wbuf = xrealloc(c->wbuf, cap);
		c->wcap = cap;
	}
	p = c->wbuf + c->wlen;
	c->wlen += n;
	return p;
}

static size_t varint_len(size_t v)
{
	return v < 128 ? 1 : v < 16384 ? 2 : v < 2097152 ? 3 : 4;
}

static size_t put_varint(uint8_t *p, size_t v)
{
	size_t i = 0;

	do {
		uint8_t b = v & 127;

		v >>= 7;
		if (v)
			b |= 128;
		p[i++] = b;
	} while (v);
	return i;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v & 0xff;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);	/* x86 and every target we run on: little endian */
}

static void put_le64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint32_t get_le32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static void put_ack(struct lg_conn *c, uint8_t type, uint16_t pid)
{
	uint8_t *p = wput(c, 4);

	p[0] = type;
	p[1] = 2;
	put16(p + 2, pid);
}

static void put_connect(struct lg_run *r, struct lg_conn *c)
{
	size_t idlen = strlen(c->cid);
	size_t rem = 10 + 2 + idlen;
	uint8_t *p = wput(c, 1 + varint_len(rem) + rem);

	*p++ = 0x10;
	p += put_varint(p, rem);
	memcpy(p, "\0\4MQTT\4", 7);
	p += 7;
	*p++ = 0x02;			/* clean session */
	put16(p, (uint16_t)r->o.keepalive);
	p += 2;
	put16(p, (uint16_t)idlen);
	memcpy(p + 2, c->cid, idlen);
}

static void put_subscribe(struct lg_run *r, struct lg_conn *c)
{
	size_t flen = strlen(c->filter);
	size_t rem = 2 + 2 + flen + 1;
	uint8_t *p = wput(c, 1 + varint_len(rem) + rem);

	*p++ = 0x82;
	p += put_varint(p, rem);
	put16(p, 1);
	put16(p + 2, (uint16_t)flen);
	memcpy(p + 4, c->filter, flen);
	p[4 + flen] = (uint8_t)r->o.qos;
}

/* ---- socket plumbing ---- */

void lg_conn_update_events(struct lg_thread *t, struct lg_conn *c)
{
	struct lg_run *r = t->run;
	uint32_t want = EPOLLIN;
	struct epoll_event ev;

	if (c->state == CS_CLOSED)
		return;
	if (c->state == CS_CONNECTING || c->woff < c->wlen)
		want |= EPOLLOUT;
	else if (c->role == ROLE_PUB && c->state == CS_READY &&
		 r->o.rate <= 0 && t->phase == PH_RUN &&
		 (r->o.qos == 0 || c->inflight < (uint32_t)r->o.inflight))
		want |= EPOLLOUT;
	if (want == c->epmask)
		return;
	ev.events = want;
	ev.data.ptr = c;
	epoll_ctl(t->ep, EPOLL_CTL_MOD, c->fd, &ev);
	c->epmask = want;
}

static void conn_free_bufs(struct lg_conn *c)
{
	free(c->rbuf);
	free(c->wbuf);
	c->rbuf = c->wbuf = NULL;
	c->rlen = c->rcap = c->wlen = c->woff = c->wcap = 0;
}

/* The connection ended without us asking for it. */
static void conn_down(struct lg_thread *t, struct lg_conn *c)
{
	if (c->state == CS_CLOSED)
		return;
	if (c->state == CS_READY) {
		if (t->phase < PH_CLOSE) {
			LG_INC(t, conn_err);
			LG_INC(t, closed_by_peer);
		}
	} else {
		if (c->state == CS_CONNECTING || c->state == CS_WAIT_CONNACK ||
		    c->state == CS_WAIT_SUBACK)
			t->connecting--;
		LG_INC(t, failed);
	}
	/* what is still in flight can no longer complete: stop waiting */
	if (c->inflight)
		lg_store(&t->c.inflight, t->c.inflight - c->inflight);
	if (c->rel_count)
		lg_store(&t->c.rel_pending, t->c.rel_pending - c->rel_count);
	close(c->fd);
	c->fd = -1;
	c->state = CS_CLOSED;
	conn_free_bufs(c);
}

static void proto_fail(struct lg_thread *t, struct lg_conn *c)
{
	LG_INC(t, proto_err);
	conn_down(t, c);
}

void lg_conn_flush(struct lg_thread *t, struct lg_conn *c)
{
	while (c->state != CS_CLOSED && c->state != CS_CONNECTING &&
	       c->woff < c->wlen) {
		ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			c->woff += (size_t)n;
			c->last_tx = t->now;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		conn_down(t, c);
		return;
	}
	if (c->woff == c->wlen)
		c->woff = c->wlen = 0;
	lg_conn_update_events(t, c);
}

void lg_conn_start(struct lg_thread *t, struct lg_conn *c)
{
	struct lg_run *r = t->run;
	struct epoll_event ev;
	int one = 1;

	c->t_start = lg_now();
	t->connecting++;
	c->state = CS_CONNECTING;
	c->fd = socket(r->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		conn_down(t, c);
		return;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (struct sockaddr *)&r->addr, r->addrlen) < 0 &&
	    errno != EINPROGRESS) {
		conn_down(t, c);
		return;
	}
	put_connect(r, c);
	ev.events = EPOLLIN | EPOLLOUT;
	ev.data.ptr = c;
	c->epmask = ev.events;
	if (epoll_ctl(t->ep, EPOLL_CTL_ADD, c->fd, &ev) < 0)
		conn_down(t, c);
}

void lg_conn_close(struct lg_thread *t, struct lg_conn *c, bool graceful)
{
	if (c->state == CS_CLOSED || c->fd < 0)
		return;
	if (graceful && c->state == CS_READY) {
		uint8_t *p = wput(c, 2);

		p[0] = 0xe0;
		p[1] = 0;
		/* best effort: a full socket loses the DISCONNECT, not data */
		while (c->woff < c->wlen) {
			ssize_t n = send(c->fd, c->wbuf + c->woff, c->wlen - c->woff,
					 MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n <= 0)
				break;
			c->woff += (size_t)n;
		}
	}
	if (c->state == CS_CONNECTING || c->state == CS_WAIT_CONNACK ||
	    c->state == CS_WAIT_SUBACK)
		t->connecting--;
	close(c->fd);
	c->fd = -1;
	c->state = CS_CLOSED;
	conn_free_bufs(c);
}

void lg_conn_ping(struct lg_thread *t, struct lg_conn *c)
{
	uint8_t *p = wput(c, 2);

	p[0] = 0xc0;
	p[1] = 0;
	c->pings++;
	LG_INC(t, pings);
	lg_conn_flush(t, c);
}

/* ---- publishing ---- */

static uint16_t alloc_pid(struct lg_conn *c)
{
	do {
		c->next_pid++;
		if (!c->next_pid)
			c->next_pid = 1;
	} while (c->pid_state[c->next_pid]);
	return c->next_pid;
}

/* Queue up to @budget messages (window permitting) and write them. */
void lg_pub_fill(struct lg_thread *t, struct lg_conn *c, uint64_t budget)
{
	struct lg_run *r = t->run;
	int qos = r->o.qos;
	size_t plen = (size_t)r->o.payload;
	size_t rem = 2 + (size_t)c->topic_len + (qos ? 2 : 0) + plen;
	size_t flen = 1 + varint_len(rem) + rem;
	uint64_t now = lg_now();
	bool in_win = now >= r->win_start && now < r->win_end;
	uint64_t n = 0;

	if (c->state != CS_READY)
		return;
	while (n < budget) {
		uint8_t *p;

		if (qos && c->inflight >= (uint32_t)r->o.inflight)
			break;
		if (c->wlen - c->woff >= WBATCH)
			break;
		p = wput(c, flen);
		*p++ = (uint8_t)(0x30 | qos << 1);
		p += put_varint(p, rem);
		put16(p, (uint16_t)c->topic_len);
		memcpy(p + 2, c->topic, (size_t)c->topic_len);
		p += 2 + c->topic_len;
		if (qos) {
			uint16_t pid = alloc_pid(c);

			put16(p, pid);
			p += 2;
			c->pid_state[pid] = 1;
			c->inflight++;
			LG_INC(t, inflight);
		}
		put_le32(p, LG_MAGIC);
		put_le32(p + 4, (uint32_t)c->idx);
		put_le64(p + 8, c->sent);
		put_le64(p + 16, now);
		memset(p + LG_HDR, 0x5a, plen - LG_HDR);
		__atomic_store_n(&c->sent, c->sent + 1, __ATOMIC_RELEASE);
		if (!qos)
			c->done++;
		LG_INC(t, pub_total);
		if (in_win)
			LG_INC(t, pub_window);
		n++;
	}
	lg_conn_flush(t, c);
}

static void pub_complete(struct lg_thread *t, struct lg_conn *c, uint16_t pid)
{
	c->pid_state[pid] = 0;
	c->inflight--;
	c->done++;
	LG_DEC(t, inflight);
}

/* ---- receiving ---- */

static void handle_publish(struct lg_thread *t, struct lg_conn *c, uint8_t h,
			   const uint8_t *b, size_t len, uint64_t now)
{
	struct lg_run *r = t->run;
	int qos = (h >> 1) & 3;
	int want_qos = r->o.qos < c->granted ? r->o.qos : c->granted;
	uint16_t tl, pid = 0;
	size_t off;
	uint32_t pubid;
	uint64_t seq, ts;
	const uint8_t *pl;
	size_t plen;

	if (qos == 3 || c->role != ROLE_SUB || c->state != CS_READY || len < 2) {
		proto_fail(t, c);
		return;
	}
	tl = get16(b);
	off = 2 + (size_t)tl;
	if (off + (qos ? 2 : 0) > len) {
		proto_fail(t, c);
		return;
	}
	if (qos) {
		pid = get16(b + off);
		off += 2;
		if (!pid) {
			proto_fail(t, c);
			return;
		}
	}
	pl = b + off;
	plen = len - off;
	if (h & 8)
		LG_INC(t, dup_flag);
	if (qos != want_qos)
		LG_INC(t, qos_mismatch);
	if (qos == 1) {
		put_ack(c, 0x40, pid);
	} else if (qos == 2) {
		put_ack(c, 0x50, pid);
		if (c->rel_bits[pid >> 3] & (1u << (pid & 7))) {
			/* resent before our PUBREC arrived: not a new message */
			LG_INC(t, qos2_redeliver);
			return;
		}
		c->rel_bits[pid >> 3] |= (uint8_t)(1u << (pid & 7));
		c->rel_count++;
		LG_INC(t, rel_pending);
	}
	if (plen < LG_HDR || get_le32(pl) != LG_MAGIC) {
		LG_INC(t, foreign);
		return;
	}
	pubid = get_le32(pl + 4);
	seq = get_le64(pl + 8);
	ts = get_le64(pl + 16);
	if (plen != (size_t)r->o.payload || pubid >= (uint32_t)r->npubs ||
	    !lg_sub_matches(r, c->idx, (int)pubid) ||
	    seq >= __atomic_load_n(&r->pubs[pubid]->sent, __ATOMIC_ACQUIRE)) {
		LG_INC(t, corrupt);
		return;
	}
	LG_INC(t, deliv_total);
	if (now >= r->win_start && now < r->win_end) {
		LG_INC(t, deliv_window);
		lg_hist_add(&t->lat, now > ts ? now - ts : 0);
	}
	lg_track_add(t, &c->tracks[pubid], seq);
}

static void handle_packet(struct lg_thread *t, struct lg_conn *c, uint8_t h,
			  const uint8_t *b, size_t len, uint64_t now)
{
	struct lg_run *r = t->run;
	uint16_t pid = len >= 2 ? get16(b) : 0;

	switch (h >> 4) {
	case 2:		/* CONNACK */
		if (h != 0x20 || len != 2 || c->state != CS_WAIT_CONNACK)
			break;
		if (b[1] != 0) {
			LG_INC(t, connack_fail);
			conn_down(t, c);
			return;
		}
		lg_hist_add(&t->clat, now - c->t_start);
		if (c->role == ROLE_SUB) {
			put_subscribe(r, c);
			c->state = CS_WAIT_SUBACK;
		} else {
			t->connecting--;
			c->state = CS_READY;
			LG_INC(t, ready);
		}
		return;
	case 9:		/* SUBACK */
		if (h != 0x90 || len != 3 || c->state != CS_WAIT_SUBACK || pid != 1)
			break;
		if (b[2] & 0x80) {
			LG_INC(t, suback_fail);
			conn_down(t, c);
			return;
		}
		if (b[2] > 2)
			break;
		if (b[2] < r->o.qos)
			LG_INC(t, suback_downgrade);
		c->granted = b[2];
		t->connecting--;
		c->state = CS_READY;
		LG_INC(t, ready);
		return;
	case 3:
		handle_publish(t, c, h, b, len, now);
		return;
	case 4:		/* PUBACK */
		if (h != 0x40 || len != 2 || c->role != ROLE_PUB || r->o.qos != 1 ||
		    c->pid_state[pid] != 1)
			break;
		pub_complete(t, c, pid);
		return;
	case 5:		/* PUBREC */
		if (h != 0x50 || len != 2 || c->role != ROLE_PUB || r->o.qos != 2 ||
		    c->pid_state[pid] != 1)
			break;
		c->pid_state[pid] = 2;
		put_ack(c, 0x62, pid);
		return;
	case 6:		/* PUBREL */
		if (h != 0x62 || len != 2 || c->role != ROLE_SUB)
			break;
		if (c->rel_bits[pid >> 3] & (1u << (pid & 7))) {
			c->rel_bits[pid >> 3] &= (uint8_t)~(1u << (pid & 7));
			c->rel_count--;
			LG_DEC(t, rel_pending);
		} else {
			LG_INC(t, proto_err);	/* still answer, as 3.1.1 says */
		}
		put_ack(c, 0x70, pid);
		return;
	case 7:		/* PUBCOMP */
		if (h != 0x70 || len != 2 || c->role != ROLE_PUB || r->o.qos != 2 ||
		    c->pid_state[pid] != 2)
			break;
		pub_complete(t, c, pid);
		return;
	case 13:	/* PINGRESP */
		if (h != 0xd0 || len != 0 || c->pings <= 0)
			break;
		c->pings--;
		return;
	}
	proto_fail(t, c);
}

/* Parse whole frames from @b; returns bytes consumed. */
static size_t parse(struct lg_thread *t, struct lg_conn *c, const uint8_t *b,
		    size_t len, uint64_t now)
{
	size_t off = 0;

	while (len - off >= 2 && c->state != CS_CLOSED) {
		size_t rem = 0, p = off + 1;
		unsigned int shift = 0;
		bool done = false;

		while (p < len && shift < 28) {
			uint8_t d = b[p++];

			rem |= (size_t)(d & 127) << shift;
			shift += 7;
			if (!(d & 128)) {
				done = true;
				break;
			}
		}
		if (!done) {
			if (shift >= 28)
				proto_fail(t, c);
			break;
		}
		if (rem > LG_MAX_PACKET) {
			proto_fail(t, c);
			break;
		}
		if (len - p < rem)
			break;
		handle_packet(t, c, b[off], b + p, rem, now);
		off = p + rem;
	}
	return off;
}

static void consume(struct lg_thread *t, struct lg_conn *c, const uint8_t *b,
		    size_t n, uint64_t now)
{
	bool fresh = !c->rlen;
	size_t used;

	if (fresh) {
		used = parse(t, c, b, n, now);
		if (c->state == CS_CLOSED)
			return;
		b += used;
		n -= used;
		if (!n)
			return;
	}
	if (c->rlen + n > c->rcap) {
		size_t cap = c->rcap ? c->rcap : 512;

		while (cap < c->rlen + n)
			cap *= 2;
		c->rbuf = xrealloc(c->rbuf, cap);
		c->rcap = cap;
	}
	memcpy(c->rbuf + c->rlen, b, n);
	c->rlen += n;
	if (fresh)
		return;		/* an incomplete frame: wait for the rest */
	used = parse(t, c, c->rbuf, c->rlen, now);
	if (c->state == CS_CLOSED)
		return;
	memmove(c->rbuf, c->rbuf + used, c->rlen - used);
	c->rlen -= used;
}

static void do_read(struct lg_thread *t, struct lg_conn *c)
{
	int i;

	for (i = 0; i < 4; i++) {
		ssize_t n = recv(c->fd, t->scratch, LG_SCRATCH, MSG_DONTWAIT);

		if (n > 0) {
			t->now = lg_now();
			consume(t, c, t->scratch, (size_t)n, t->now);
			if (c->state == CS_CLOSED)
				return;
			if ((size_t)n < LG_SCRATCH)
				break;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		conn_down(t, c);	/* EOF or error */
		return;
	}
	/* acknowledgements produced by this batch go out in one write */
	lg_conn_flush(t, c);
	if (c->state == CS_READY && c->role == ROLE_PUB && t->phase == PH_RUN &&
	    t->run->o.qos) {
		if (t->run->o.rate <= 0)
			lg_pub_fill(t, c, UINT64_MAX);
		else
			t->repace = true;
	}
}

void lg_conn_event(struct lg_thread *t, struct lg_conn *c, uint32_t ev)
{
	struct lg_run *r = t->run;

	if (c->state == CS_CLOSED)
		return;
	if (c->state == CS_CONNECTING) {
		int err = 0;
		socklen_t sl = sizeof(err);

		if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &sl) < 0 || err) {
			conn_down(t, c);
			return;
		}
		c->state = CS_WAIT_CONNACK;
		lg_conn_flush(t, c);
		if (c->state == CS_CLOSED)
			return;
	}
	if (ev & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		do_read(t, c);
		if (c->state == CS_CLOSED)
			return;
	}
	if (ev & EPOLLOUT) {
		lg_conn_flush(t, c);
		if (c->state == CS_READY && c->role == ROLE_PUB &&
		    t->phase == PH_RUN && r->o.rate <= 0 && c->wlen == c->woff)
			lg_pub_fill(t, c, UINT64_MAX);
	}
}
