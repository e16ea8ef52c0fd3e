// SPDX-License-Identifier: GPL-2.0
/*
 * Minimal raw-socket MQTT 3.1/3.1.1 client for byte-exact selftests.
 * See mqtt_raw.h.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "mqtt_raw.h"

/* ---- buffers ---------------------------------------------------------- */

void mq_buf_free(struct mq_buf *b)
{
	free(b->d);
	b->d = NULL;
	b->n = b->cap = 0;
}

static void mq_reserve(struct mq_buf *b, size_t more)
{
	if (b->n + more <= b->cap)
		return;
	b->cap = (b->n + more) * 2 + 64;
	b->d = realloc(b->d, b->cap);
	if (!b->d)
		abort();
}

void mq_put_u8(struct mq_buf *b, uint8_t v)
{
	mq_reserve(b, 1);
	b->d[b->n++] = v;
}

void mq_put_u16(struct mq_buf *b, uint16_t v)
{
	mq_put_u8(b, v >> 8);
	mq_put_u8(b, v & 0xff);
}

void mq_put_bytes(struct mq_buf *b, const void *p, size_t n)
{
	if (!n)
		return;
	mq_reserve(b, n);
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

void mq_put_lstr(struct mq_buf *b, const void *s, size_t n)
{
	mq_put_u16(b, n);
	mq_put_bytes(b, s, n);
}

void mq_put_str(struct mq_buf *b, const char *s)
{
	mq_put_lstr(b, s, strlen(s));
}

size_t mq_encode_len(uint8_t *out, uint32_t len)
{
	size_t i = 0;

	do {
		uint8_t d = len % 128;

		len /= 128;
		if (len)
			d |= 0x80;
		out[i++] = d;
	} while (len && i < 4);
	return i;
}

void mq_frame(struct mq_buf *out, uint8_t hdr, const struct mq_buf *body)
{
	uint8_t l[4];
	size_t n = mq_encode_len(l, body ? body->n : 0);

	mq_put_u8(out, hdr);
	mq_put_bytes(out, l, n);
	if (body)
		mq_put_bytes(out, body->d, body->n);
}

/* ---- environment ------------------------------------------------------ */

const char *mq_host(void)
{
	const char *h = getenv("KMQTT_HOST");

	return h && *h ? h : "127.0.0.1";
}

int mq_port(void)
{
	const char *p = getenv("KMQTT_PORT");

	return p && *p ? atoi(p) : 1883;
}

static const char *mq_broker(void)
{
	const char *b = getenv("KMQTT_BROKER");

	return b && *b ? b : "kmqtt";
}

bool mq_is_kmqtt(void)
{
	return !strcmp(mq_broker(), "kmqtt");
}

bool mq_is_mosquitto(void)
{
	return !strcmp(mq_broker(), "mosquitto");
}

int mq_scale(void)
{
	const char *s = getenv("KMQTT_TIMEOUT_SCALE");
	int v = s ? atoi(s) : 1;

	return v > 0 ? v : 1;
}

const char *mq_uniq(void)
{
	static char u[32];
	static pid_t owner;

	/* Each kselftest_harness test runs in its own forked child. */
	if (owner != getpid()) {
		struct timespec ts;

		owner = getpid();
		clock_gettime(CLOCK_REALTIME, &ts);
		snprintf(u, sizeof(u), "%x%03lx", (unsigned int)owner & 0xfffff,
			 (unsigned long)(ts.tv_nsec >> 20) & 0xfff);
	}
	return u;
}

/* ---- sockets ---------------------------------------------------------- */

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int mq_tcp(void)
{
	struct sockaddr_storage ss = { 0 };
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd, one = 1;

	if (inet_pton(AF_INET, mq_host(), &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(mq_port());
		sl = sizeof(*s4);
	} else if (inet_pton(AF_INET6, mq_host(), &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(mq_port());
		sl = sizeof(*s6);
	} else {
		fprintf(stderr, "# bad KMQTT_HOST %s (numeric address needed)\n",
			mq_host());
		return -1;
	}
	fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&ss, sl)) {
		fprintf(stderr, "# connect %s:%d: %s\n", mq_host(), mq_port(),
			strerror(errno));
		close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

int mq_send(int fd, const void *p, size_t n)
{
	const uint8_t *c = p;

	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		c += w;
		n -= w;
	}
	return 0;
}

int mq_send_buf(int fd, const struct mq_buf *b)
{
	return mq_send(fd, b->d, b->n);
}

int mq_send_frame(int fd, uint8_t hdr, const struct mq_buf *body)
{
	struct mq_buf f = { 0 };
	int r;

	mq_frame(&f, hdr, body);
	r = mq_send_buf(fd, &f);
	mq_buf_free(&f);
	return r;
}

/* Read exactly n bytes before the deadline: 1 ok, 0 timeout, -1 closed. */
static int read_full(int fd, uint8_t *p, size_t n, long long deadline)
{
	while (n) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t r;

		if (left <= 0)
			return 0;
		r = poll(&pfd, 1, left > 1000000 ? 1000000 : (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			return 0;
		r = recv(fd, p, n, 0);
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (r <= 0)
			return -1;
		p += r;
		n -= r;
	}
	return 1;
}

int mq_read(int fd, struct mq_pkt *p, int timeout_ms)
{
	long long deadline = now_ms() + (long long)timeout_ms * mq_scale();
	uint32_t len = 0;
	uint8_t b;
	int r, i;

	memset(p, 0, sizeof(*p));
	r = read_full(fd, &p->hdr, 1, deadline);
	if (r != 1)
		return r;
	/* Once a packet has started, the rest must follow. */
	deadline = now_ms() + (long long)MQ_WAIT_MS * mq_scale();
	for (i = 0; i < 4; i++) {
		r = read_full(fd, &b, 1, deadline);
		if (r != 1)
			return r ? r : -1;
		len |= (uint32_t)(b & 0x7f) << (7 * i);
		if (!(b & 0x80))
			break;
	}
	if (i == 4) {
		fprintf(stderr, "# broker sent a bad remaining length\n");
		return -1;
	}
	p->len = len;
	if (len) {
		p->body = malloc(len);
		if (!p->body)
			abort();
		r = read_full(fd, p->body, len, deadline);
		if (r != 1) {
			mq_pkt_free(p);
			return r ? r : -1;
		}
	}
	return 1;
}

void mq_pkt_free(struct mq_pkt *p)
{
	free(p->body);
	p->body = NULL;
}

bool mq_wait_closed(int fd, int timeout_ms, uint8_t *first_hdr,
		    uint8_t first_body[2])
{
	long long deadline = now_ms() + (long long)timeout_ms * mq_scale();
	bool first = true;

	if (first_hdr)
		*first_hdr = 0;
	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		long long left = deadline - now_ms();
		uint8_t buf[4096];
		ssize_t r;

		if (left <= 0)
			return false;
		r = poll(&pfd, 1, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		r = recv(fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return true;	/* EOF or reset: closed */
		if (first && first_hdr) {
			*first_hdr = buf[0];
			if (first_body) {
				first_body[0] = r > 2 ? buf[2] : 0xff;
				first_body[1] = r > 3 ? buf[3] : 0xff;
			}
		}
		first = false;
	}
}

/* ---- CONNECT ---------------------------------------------------------- */

void mq_build_connect(struct mq_buf *out, const struct mq_connect_opts *o)
{
	struct mq_buf b = { 0 };
	uint8_t flags = 0;

	if (o->level == 3) {
		mq_put_str(&b, "MQIsdp");
		mq_put_u8(&b, 3);
	} else {
		mq_put_str(&b, "MQTT");
		mq_put_u8(&b, 4);
	}
	if (o->clean)
		flags |= 0x02;
	if (o->will_topic) {
		flags |= 0x04 | (o->will_qos & 3) << 3;
		if (o->will_retain)
			flags |= 0x20;
	}
	if (o->pass)
		flags |= 0x40;
	if (o->user)
		flags |= 0x80;
	mq_put_u8(&b, flags);
	mq_put_u16(&b, o->keepalive);
	mq_put_str(&b, o->id ? o->id : "");
	if (o->will_topic) {
		mq_put_str(&b, o->will_topic);
		mq_put_str(&b, o->will_msg ? o->will_msg : "");
	}
	if (o->user)
		mq_put_str(&b, o->user);
	if (o->pass)
		mq_put_str(&b, o->pass);
	mq_frame(out, MQ_CONNECT, &b);
	mq_buf_free(&b);
}

int mq_connect_raw(const struct mq_connect_opts *o, int *rc, int *sp)
{
	struct mq_buf f = { 0 };
	struct mq_pkt p;
	int fd = mq_tcp();

	*rc = -1;
	if (sp)
		*sp = -1;
	if (fd < 0)
		return -1;
	mq_build_connect(&f, o);
	if (mq_send_buf(fd, &f)) {
		mq_buf_free(&f);
		return fd;
	}
	mq_buf_free(&f);
	if (mq_read(fd, &p, MQ_WAIT_MS) != 1)
		return fd;
	if (p.hdr == MQ_CONNACK && p.len == 2) {
		*rc = p.body[1];
		if (sp)
			*sp = p.body[0];
	} else {
		fprintf(stderr, "# expected CONNACK, got %02x len %u\n", p.hdr,
			p.len);
	}
	mq_pkt_free(&p);
	return fd;
}

int mq_connect(const struct mq_connect_opts *o, int *sp)
{
	int rc, fd = mq_connect_raw(o, &rc, sp);

	if (fd >= 0 && rc != 0) {
		fprintf(stderr, "# CONNECT %s refused: rc %d\n",
			o->id ? o->id : "\"\"", rc);
		close(fd);
		return -1;
	}
	return fd;
}

int mq_connect_simple(const char *id)
{
	struct mq_connect_opts o = { .id = id, .clean = 1, .keepalive = 60 };

	return mq_connect(&o, NULL);
}

void mq_disconnect(int fd)
{
	static const uint8_t d[] = { MQ_DISCONNECT, 0 };

	if (fd < 0)
		return;
	mq_send(fd, d, sizeof(d));
	/* Let the broker see DISCONNECT before the FIN. */
	shutdown(fd, SHUT_WR);
	mq_wait_closed(fd, 2000, NULL, NULL);
	close(fd);
}

/* ---- SUBSCRIBE / UNSUBSCRIBE ------------------------------------------ */

int mq_ack(int fd, uint8_t type, uint16_t pid)
{
	uint8_t a[4] = { type, 2, pid >> 8, pid & 0xff };

	return mq_send(fd, a, sizeof(a));
}

static uint16_t pkt_pid(const struct mq_pkt *p)
{
	return p->len >= 2 ? p->body[0] << 8 | p->body[1] : 0;
}

/* Answer a PUBLISH or PUBREL that arrived while waiting for something else. */
static void answer_stray(int fd, const struct mq_pkt *p)
{
	struct mq_pub m;

	if ((p->hdr & 0xf0) == MQ_PUBLISH && !mq_parse_pub(p, &m)) {
		if (m.qos == 1)
			mq_ack(fd, MQ_PUBACK, m.pid);
		else if (m.qos == 2)
			mq_ack(fd, MQ_PUBREC, m.pid);
		mq_pub_free(&m);
	} else if (p->hdr == MQ_PUBREL) {
		mq_ack(fd, MQ_PUBCOMP, pkt_pid(p));
	}
}

int mq_subscribe(int fd, uint16_t pid, const char *filter, int qos)
{
	struct mq_buf b = { 0 };
	struct mq_pkt p;
	int r;

	mq_put_u16(&b, pid);
	mq_put_str(&b, filter);
	mq_put_u8(&b, qos);
	r = mq_send_frame(fd, MQ_SUBSCRIBE, &b);
	mq_buf_free(&b);
	if (r)
		return -1;
	for (;;) {
		r = mq_read(fd, &p, MQ_WAIT_MS);
		if (r != 1)
			return r < 0 ? -1 : -2;
		if (p.hdr == MQ_SUBACK) {
			r = (p.len == 3 && pkt_pid(&p) == pid) ? p.body[2] : -2;
			mq_pkt_free(&p);
			return r;
		}
		answer_stray(fd, &p);
		mq_pkt_free(&p);
	}
}

int mq_unsubscribe(int fd, uint16_t pid, const char *filter)
{
	struct mq_buf b = { 0 };
	struct mq_pkt p;
	int r;

	mq_put_u16(&b, pid);
	mq_put_str(&b, filter);
	r = mq_send_frame(fd, MQ_UNSUBSCRIBE, &b);
	mq_buf_free(&b);
	if (r)
		return -1;
	for (;;) {
		r = mq_read(fd, &p, MQ_WAIT_MS);
		if (r != 1)
			return r < 0 ? -1 : -2;
		if (p.hdr == MQ_UNSUBACK) {
			r = (p.len == 2 && pkt_pid(&p) == pid) ? 0 : -2;
			mq_pkt_free(&p);
			return r;
		}
		answer_stray(fd, &p);
		mq_pkt_free(&p);
	}
}

/* ---- PUBLISH ---------------------------------------------------------- */

int mq_publish(int fd, const char *topic, const void *payload, size_t plen,
	       int qos, bool retain, bool dup, uint16_t pid)
{
	struct mq_buf b = { 0 };
	uint8_t hdr = MQ_PUBLISH | (qos & 3) << 1 | (retain ? 1 : 0) |
		      (dup ? 8 : 0);
	int r;

	mq_put_str(&b, topic);
	if (qos)
		mq_put_u16(&b, pid);
	mq_put_bytes(&b, payload, plen);
	r = mq_send_frame(fd, hdr, &b);
	mq_buf_free(&b);
	return r;
}

/* Wait for an ack of @type for @pid, skipping other packets. */
static int wait_ack(int fd, uint8_t type, uint16_t pid)
{
	struct mq_pkt p;

	for (;;) {
		int r = mq_read(fd, &p, MQ_WAIT_MS);

		if (r != 1)
			return -1;
		if (p.hdr == type && p.len == 2 && pkt_pid(&p) == pid) {
			mq_pkt_free(&p);
			return 0;
		}
		answer_stray(fd, &p);
		mq_pkt_free(&p);
	}
}

int mq_publish_sync(int fd, const char *topic, const void *payload,
		    size_t plen, int qos, bool retain, uint16_t pid)
{
	if (mq_publish(fd, topic, payload, plen, qos, retain, false, pid))
		return -1;
	if (qos == 1)
		return wait_ack(fd, MQ_PUBACK, pid);
	if (qos == 2) {
		if (wait_ack(fd, MQ_PUBREC, pid) || mq_ack(fd, MQ_PUBREL, pid))
			return -1;
		return wait_ack(fd, MQ_PUBCOMP, pid);
	}
	return 0;
}

int mq_publish_once(const char *topic, const char *payload, int qos,
		    bool retain)
{
	char id[64];
	int fd, r;

	snprintf(id, sizeof(id), "p%s", mq_uniq());
	fd = mq_connect_simple(id);
	if (fd < 0)
		return -1;
	r = mq_publish_sync(fd, topic, payload, strlen(payload), qos, retain,
			    1);
	mq_disconnect(fd);
	return r;
}

int mq_parse_pub(const struct mq_pkt *p, struct mq_pub *m)
{
	size_t off, tl;

	memset(m, 0, sizeof(*m));
	if ((p->hdr & 0xf0) != MQ_PUBLISH || p->len < 2)
		return -1;
	m->hdr = p->hdr;
	m->qos = (p->hdr >> 1) & 3;
	m->dup = p->hdr & 8;
	m->retain = p->hdr & 1;
	tl = p->body[0] << 8 | p->body[1];
	off = 2 + tl;
	if (off > p->len)
		return -1;
	m->topic = strndup((const char *)p->body + 2, tl);
	if (m->qos) {
		if (off + 2 > p->len) {
			mq_pub_free(m);
			return -1;
		}
		m->pid = p->body[off] << 8 | p->body[off + 1];
		off += 2;
	}
	m->plen = p->len - off;
	m->payload = malloc(m->plen + 1);
	if (!m->topic || !m->payload)
		abort();
	memcpy(m->payload, p->body + off, m->plen);
	m->payload[m->plen] = 0;	/* convenient for text payloads */
	return 0;
}

void mq_pub_free(struct mq_pub *m)
{
	free(m->topic);
	free(m->payload);
	m->topic = NULL;
	m->payload = NULL;
}

int mq_recv_pub(int fd, struct mq_pub *m, int timeout_ms, bool ack)
{
	long long deadline = now_ms() + (long long)timeout_ms * mq_scale();
	struct mq_pkt p;

	for (;;) {
		long long left = deadline - now_ms();
		int r;

		if (left <= 0)
			return 0;
		r = mq_read(fd, &p, (int)(left / mq_scale()) + 1);
		if (r != 1)
			return r;
		if ((p.hdr & 0xf0) == MQ_PUBLISH) {
			r = mq_parse_pub(&p, m);
			mq_pkt_free(&p);
			if (r) {
				fprintf(stderr, "# malformed PUBLISH from broker\n");
				return -1;
			}
			if (ack && m->qos == 1)
				mq_ack(fd, MQ_PUBACK, m->pid);
			else if (ack && m->qos == 2)
				mq_ack(fd, MQ_PUBREC, m->pid);
			return 1;
		}
		if (ack && p.hdr == MQ_PUBREL)
			mq_ack(fd, MQ_PUBCOMP, pkt_pid(&p));
		mq_pkt_free(&p);
	}
}

/* ---- /proc/net/kmqtt/stats -------------------------------------------- */

long long mq_stats_sum(const char *re)
{
	FILE *f = fopen(MQ_STATS_PATH, "r");
	char line[256], name[128];
	long long v, sum = 0;
	bool found = false;
	regex_t rx;

	if (!f)
		return -1;
	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB)) {
		fclose(f);
		return -1;
	}
	while (fgets(line, sizeof(line), f)) {
		/* "name value" (a colon after the name is tolerated) */
		if (sscanf(line, "%127[^ \t:]%*[ \t:]%lld", name, &v) != 2)
			continue;
		if (!regexec(&rx, name, 0, NULL, 0)) {
			sum += v;
			found = true;
		}
	}
	regfree(&rx);
	fclose(f);
	return found ? sum : -1;
}

int mq_stats_snap(struct mq_stats *s)
{
	FILE *f = fopen(MQ_STATS_PATH, "r");
	char line[256];

	s->n = 0;
	if (!f)
		return -1;
	while (s->n < MQ_STATS_MAX && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63[^ \t:]%*[ \t:]%lld", s->name[s->n],
			   &s->v[s->n]) == 2)
			s->n++;
	}
	fclose(f);
	return 0;
}

long long mq_stats_val(const struct mq_stats *s, const char *name)
{
	int i;

	for (i = 0; i < s->n; i++)
		if (!strcmp(s->name[i], name))
			return s->v[i];
	return -1;
}
