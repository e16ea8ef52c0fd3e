// SPDX-License-Identifier: GPL-2.0
/*
 * Flow control and bounded work, end to end (performance issue 5, hardening
 * issue 6).
 *
 * backpressure_fanout: one QoS 1 publisher that never waits for anybody but
 *   its own PUBACKs (20 in flight) and 16 QoS 1 subscribers that read slowly
 *   but steadily, with a small queue limit: every subscriber gets every
 *   message, nothing is dropped (kmqtt pauses the publisher instead).
 * stuck_subscriber_valve: the same beside a subscriber that never reads: the
 *   publisher and the readers still finish (the stuck one pauses nobody for
 *   long), the stuck queue is capped.
 * mutual_publishers: two clients publish to each other as fast as they can
 *   while reading slowly: neither stops for good (no deadlock).
 * bounded_work_probe: thousands of retained messages, a client that
 *   SUBSCRIBEs/UNSUBSCRIBEs wildcards in a loop, another that subscribes to
 *   thousands of filters and disconnects, over and over; meanwhile a probe
 *   client connects, subscribes, publishes and receives every ~100 ms and
 *   never waits longer than a generous guard.
 *
 * No timing is asserted but generous liveness guards. Sizes (environment):
 * HF_MSGS (2000), HF_SUBS (16), HF_RETAINED (5000), HF_FILTERS (4000),
 * HF_SECS (30), HF_GUARD_MS (20000). One case: KMQTT_TEST=GLOB. TAP 13.
 */
#include <sys/wait.h>
#include "hardening_lib.h"

#define HF_WINDOW	20
#define HF_QUEUE	100	/* max-queued-msgs during the flow cases */

/* ---- a slow, steady QoS 1 reader ---------------------------------------- */

struct reader {
	int fd;
	uint8_t buf[65536];
	size_t n;
	uint8_t *seen;		/* per sequence number */
	int got, dup;
	bool closed;
};

/* A subscriber with a small receive buffer, so that TCP pushes back at once. */
static int reader_open(struct reader *r, const char *tag, int i,
		       const char *topic, int nmsgs)
{
	int sz = 4096;

	memset(r, 0, sizeof(*r));
	r->fd = connect_id(tag, i);
	r->seen = calloc(nmsgs, 1);
	if (r->fd < 0 || !r->seen)
		return -1;
	setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (mq_subscribe(r->fd, 1, topic, 1) != 1)
		return -1;
	set_nonblock(r->fd, true);
	return 0;
}

/*
 * The next complete frame in r->buf from *pos on: its first byte, body and
 * body length; false when the buffer holds only part of one.
 */
static bool reader_frame(struct reader *r, size_t *pos, uint8_t *hdr,
			 const uint8_t **body, uint32_t *len)
{
	size_t i, hl;

	*len = 0;
	if (r->n - *pos < 2)
		return false;
	for (i = 1; i <= 4 && *pos + i < r->n; i++) {
		*len |= (uint32_t)(r->buf[*pos + i] & 0x7f) << (7 * (i - 1));
		if (!(r->buf[*pos + i] & 0x80))
			break;
	}
	if (*pos + i >= r->n)
		return false;
	hl = i + 1;
	if (r->n - *pos < hl + *len)
		return false;
	*hdr = r->buf[*pos];
	*body = r->buf + *pos + hl;
	*pos += hl + *len;
	return true;
}

/* Drop the frames reader_frame() took up to @pos. */
static void reader_consume(struct reader *r, size_t pos)
{
	memmove(r->buf, r->buf + pos, r->n - pos);
	r->n -= pos;
}

/*
 * Take at most @max bytes from the socket and handle the complete frames:
 * PUBACK every QoS 1 PUBLISH, count its sequence number (first 8 payload
 * bytes). Slow on purpose: a few hundred bytes per call.
 */
static void reader_step(struct reader *r, size_t max, int nmsgs)
{
	uint32_t len, tl, off, seq;
	const uint8_t *body;
	size_t pos = 0;
	ssize_t got;
	uint8_t hdr;

	if (r->closed)
		return;
	if (max > sizeof(r->buf) - r->n)
		max = sizeof(r->buf) - r->n;
	got = recv(r->fd, r->buf + r->n, max, 0);
	if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
		r->closed = true;
		return;
	}
	if (got > 0)
		r->n += got;
	while (reader_frame(r, &pos, &hdr, &body, &len)) {
		if ((hdr & 0xf0) != MQ_PUBLISH || len < 2)
			continue;
		tl = body[0] << 8 | body[1];
		off = 2 + tl;
		if ((hdr >> 1) & 3) {
			uint8_t a[4] = { MQ_PUBACK, 2, body[off], body[off + 1] };

			if (send_all(r->fd, a, 4, deadline(10000)))
				r->closed = true;
			off += 2;
		}
		if (off + 8 > len)
			continue;
		seq = strtoul(strndupa((const char *)body + off, 8), NULL, 10);
		if (seq < (uint32_t)nmsgs) {
			if (r->seen[seq])
				r->dup++;
			else
				r->got++;
			r->seen[seq] = 1;
		}
	}
	reader_consume(r, pos);
}

static void reader_close(struct reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	free(r->seen);
	r->seen = NULL;
	r->fd = -1;
}

/* ---- an unpaced QoS 1 publisher ----------------------------------------- */

struct writer {
	struct rconn c;
	int sent, acked;
	char topic[96];
	char payload[64];
};

/* Keep HF_WINDOW PUBLISHes unacknowledged, whatever the subscribers do. */
static void writer_step(struct writer *w, int n, long long dl)
{
	uint8_t hdr, *body;
	uint32_t len;
	size_t used = 0;

	rc_fill(&w->c);
	while (rc_next(&w->c, &hdr, &body, &len, &used))
		if (hdr == MQ_PUBACK)
			w->acked++;
	while (!w->c.closed && w->sent < n && w->sent - w->acked < HF_WINDOW) {
		struct mq_buf b = { 0 }, f = { 0 };

		mq_put_str(&b, w->topic);
		mq_put_u16(&b, (w->sent % 65000) + 1);
		snprintf(w->payload, 16, "%08d", w->sent);
		w->payload[8] = 'p';
		mq_put_bytes(&b, w->payload, sizeof(w->payload));
		mq_frame(&f, MQ_PUBLISH | 2, &b);
		/* Never blocks for long: TCP pushes back while kmqtt pauses. */
		if (send_all(w->c.fd, f.d, f.n, dl))
			w->c.closed = true;
		mq_buf_free(&b);
		mq_buf_free(&f);
		w->sent++;
	}
}

/*
 * One publisher, @nsubs steady readers (and a stuck one if @stuck): run
 * until every PUBACK and every delivery is in, or the guard expires.
 */
static int flow_run(const char *tag, int nsubs, bool stuck, int *lost,
		    long long *drops, long long *pauses, long long *expired,
		    int *acked)
{
	int n = env_num("HF_MSGS", 2000), i, all;
	long long d0 = stat_get("dropped_queue_full");
	long long p0 = stat_get("rx_pauses"), e0 = stat_get("rx_pause_expired");
	struct reader *r = calloc(nsubs, sizeof(*r));
	struct writer w = { 0 };
	int slow = -1;
	long long dl;

	if (!r)
		abort();
	snprintf(w.topic, sizeof(w.topic), "hf/%s/%s", mq_uniq(), tag);
	if (mq_is_kmqtt())
		limit_set(&L_QUEUED, HF_QUEUE);
	memset(w.payload, 'p', sizeof(w.payload));
	*lost = -1;
	for (i = 0; i < nsubs; i++)
		if (reader_open(&r[i], tag, i, w.topic, n))
			goto out;
	if (stuck) {
		struct reader s;

		/* Subscribed, then never read again. */
		if (reader_open(&s, "stuck", 0, w.topic, 1))
			goto out;
		free(s.seen);
		slow = s.fd;
	}
	rc_init(&w.c, connect_id("pub", 0));
	if (w.c.closed)
		goto out;

	dl = deadline(env_num("HF_GUARD_S", 600) * 1000);
	for (;;) {
		struct pollfd pf = { .fd = w.c.fd, .events = POLLIN };

		all = 0;
		for (i = 0; i < nsubs; i++)
			all += r[i].got;
		if ((w.acked >= n && all >= n * nsubs) || !left_ms(dl) ||
		    w.c.closed)
			break;
		writer_step(&w, n, dl);
		/* Slow readers: ~256 bytes each per millisecond at most. */
		for (i = 0; i < nsubs; i++)
			reader_step(&r[i], 256, n);
		poll(&pf, 1, 1);
	}
	printf("# %s: %d published, %d acknowledged, %d of %d deliveries\n",
	       tag, w.sent, w.acked, all, n * nsubs);
	*lost = n * nsubs - all;
	*acked = w.acked;
	for (i = 0; i < nsubs; i++)
		if (r[i].closed)
			*lost = n * nsubs + 1;	/* a reader was disconnected */
out:
	for (i = 0; i < nsubs; i++)
		reader_close(&r[i]);
	free(r);
	rc_free(&w.c);
	if (slow >= 0)
		close(slow);
	limit_restore(&L_QUEUED);
	*drops = d0 >= 0 ? stat_get("dropped_queue_full") - d0 : -1;
	*pauses = p0 >= 0 ? stat_get("rx_pauses") - p0 : -1;
	*expired = e0 >= 0 ? stat_get("rx_pause_expired") - e0 : -1;
	return n;
}

static int case_backpressure_fanout(void)
{
	int subs = env_num("HF_SUBS", 16), lost, acked, n;
	long long drops, pauses, expired;

	n = flow_run("fan", subs, false, &lost, &drops, &pauses, &expired,
		     &acked);
	if (lost < 0)
		FAIL("setup failed");
	if (acked < n)
		FAIL("publisher got %d of %d PUBACKs", acked, n);
	/* Mosquitto's own queue limit may drop: broker-specific. */
	if (!mq_is_kmqtt())
		SKIP("broker-specific: %d of %d QoS 1 deliveries lost", lost,
		     n * subs);
	if (lost)
		FAIL("%d of %d QoS 1 deliveries lost (dropped_queue_full +%lld)",
		     lost, n * subs, drops);
	if (drops)
		FAIL("dropped_queue_full +%lld with max-queued-msgs %d: the publisher was not held back",
		     drops, HF_QUEUE);
	PASS("%d x %d QoS 1 deliveries to slow readers, none lost, none dropped (max-queued-msgs %d; rx_pauses +%lld, rx_pause_expired +%lld)",
	     n, subs, HF_QUEUE, pauses, expired);
}

static int case_stuck_subscriber_valve(void)
{
	int subs = 4, lost, acked, n;
	long long drops, pauses, expired;

	n = flow_run("stk", subs, true, &lost, &drops, &pauses, &expired,
		     &acked);
	if (lost < 0)
		FAIL("setup failed");
	if (acked < n)
		FAIL("publisher got %d of %d PUBACKs beside a subscriber that never reads",
		     acked, n);
	if (!mq_is_kmqtt())
		SKIP("broker-specific: %d of %d deliveries to the readers lost",
		     lost, n * subs);
	if (lost)
		FAIL("%d of %d deliveries to the reading subscribers lost",
		     lost, n * subs);
	if (drops <= 0)
		FAIL("dropped_queue_full did not go up: the stuck queue is not capped");
	PASS("%d QoS 1 messages to %d readers beside a stuck one: all delivered, stuck queue capped (dropped_queue_full +%lld, rx_pauses +%lld, rx_pause_expired +%lld)",
	     n, subs, drops, pauses, expired);
}

/*
 * Two clients, each subscribed to its own topic, publish QoS 1 to each other
 * and read slowly; one parser per connection counts both the PUBACKs (as
 * publisher) and the PUBLISHes (as subscriber).
 */
struct peer {
	struct reader r;	/* parser; r.got counts deliveries */
	int sent, acked;
	char topic[96];
};

static void peer_step(struct peer *p, int n, long long dl)
{
	struct reader *r = &p->r;
	const uint8_t *body;
	size_t pos = 0;
	uint32_t len;
	ssize_t got;
	uint8_t hdr;

	got = recv(r->fd, r->buf + r->n, 512 < sizeof(r->buf) - r->n ?
		   512 : sizeof(r->buf) - r->n, 0);
	if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR))
		r->closed = true;
	if (got > 0)
		r->n += got;
	while (reader_frame(r, &pos, &hdr, &body, &len)) {
		if (hdr == MQ_PUBACK) {
			p->acked++;
		} else if ((hdr & 0xf0) == MQ_PUBLISH && len >= 4) {
			uint32_t off = 2 + (body[0] << 8 | body[1]);
			uint8_t a[4] = { MQ_PUBACK, 2, body[off], body[off + 1] };

			if (send_all(r->fd, a, 4, dl))
				r->closed = true;
			r->got++;
		}
	}
	reader_consume(r, pos);
	while (!r->closed && p->sent < n && p->sent - p->acked < HF_WINDOW) {
		struct mq_buf b = { 0 }, f = { 0 };

		mq_put_str(&b, p->topic);
		mq_put_u16(&b, (p->sent % 65000) + 1);
		mq_put_bytes(&b, "mutual-payload-mutual-payload", 29);
		mq_frame(&f, MQ_PUBLISH | 2, &b);
		if (send_all(r->fd, f.d, f.n, dl))
			r->closed = true;
		mq_buf_free(&b);
		mq_buf_free(&f);
		p->sent++;
	}
}

static int case_mutual_publishers(void)
{
	int n = env_num("HF_MSGS", 2000), i;
	long long d0 = stat_get("dropped_queue_full");
	long long e0 = stat_get("rx_pause_expired");
	struct peer p[2];
	char topic[2][96];
	bool done = false;
	long long dl;

	if (mq_is_kmqtt())
		limit_set(&L_QUEUED, HF_QUEUE);
	for (i = 0; i < 2; i++)
		snprintf(topic[i], sizeof(topic[i]), "hf/%s/mutual/%d",
			 mq_uniq(), i);
	for (i = 0; i < 2; i++) {
		if (reader_open(&p[i].r, "mut", i, topic[i], 1))
			FAIL("cannot connect/subscribe");
		p[i].sent = p[i].acked = 0;
		snprintf(p[i].topic, sizeof(p[i].topic), "%s", topic[!i]);
	}
	dl = deadline(env_num("HF_GUARD_S", 600) * 1000);
	while (!done && left_ms(dl) && !p[0].r.closed && !p[1].r.closed) {
		struct pollfd pf[2] = {
			{ .fd = p[0].r.fd, .events = POLLIN },
			{ .fd = p[1].r.fd, .events = POLLIN },
		};

		for (i = 0; i < 2; i++)
			peer_step(&p[i], n, dl);
		/* Every PUBACK, and every message received: nothing lost. */
		done = p[0].acked >= n && p[1].acked >= n &&
		       p[0].r.got >= n && p[1].r.got >= n;
		poll(pf, 2, 1);
	}
	printf("# each published %d/%d acknowledged, received %d/%d\n",
	       p[0].acked, p[1].acked, p[0].r.got, p[1].r.got);
	for (i = 0; i < 2; i++)
		reader_close(&p[i].r);
	limit_restore(&L_QUEUED);
	if (!done)
		FAIL("two clients publishing to each other stopped: %d and %d of %d PUBACKs, %d and %d received",
		     p[0].acked, p[1].acked, n, p[0].r.got, p[1].r.got);
	PASS("two clients published %d QoS 1 messages each to the other: all acknowledged and received (dropped_queue_full +%lld, rx_pause_expired +%lld)",
	     n, d0 >= 0 ? stat_get("dropped_queue_full") - d0 : -1,
	     e0 >= 0 ? stat_get("rx_pause_expired") - e0 : -1);
}

/* ---- bounded work --------------------------------------------------------- */

/* Publish @n retained messages under @prefix/<i> on one connection. */
static int retain_many(const char *prefix, int n)
{
	int fd = connect_id("ret", 0), i;
	struct mq_buf out = { 0 };
	char topic[128];

	if (fd < 0)
		return -1;
	for (i = 0; i < n; i++) {
		struct mq_buf b = { 0 };

		snprintf(topic, sizeof(topic), "%s/%d", prefix, i);
		mq_put_str(&b, topic);
		mq_put_bytes(&b, "retained", 8);
		mq_frame(&out, MQ_PUBLISH | 1, &b);
		mq_buf_free(&b);
	}
	if (mq_send_buf(fd, &out)) {
		close(fd);
		return -1;
	}
	mq_buf_free(&out);
	/* A round trip: everything before it has been handled. */
	i = mq_publish_sync(fd, "hf/sync", "s", 1, 1, false, 1) ? -1 : 0;
	mq_disconnect(fd);
	return i;
}

/* SUBSCRIBE (packet id @pid) to @n filters "@prefix/<i>/x" in one packet. */
static void build_subscribe_many(struct mq_buf *out, const char *prefix,
				 int first, int n, uint16_t pid)
{
	struct mq_buf b = { 0 };
	char f[128];
	int i;

	mq_put_u16(&b, pid);
	for (i = first; i < first + n; i++) {
		snprintf(f, sizeof(f), "%s/%d/x", prefix, i);
		mq_put_str(&b, f);
		mq_put_u8(&b, 1);
	}
	mq_frame(out, MQ_SUBSCRIBE | 2, &b);
	mq_buf_free(&b);
}

/* Drain what the broker sends, without blocking. */
static void drain(int fd)
{
	static uint8_t sink[65536];

	while (recv(fd, sink, sizeof(sink), MSG_DONTWAIT) > 0)
		;
}

/* Child 1: SUBSCRIBE/UNSUBSCRIBE wildcards over the retained set, forever. */
static void churn_wildcards(const char *prefix)
{
	char f1[128], f2[128];
	int fd = -1;

	snprintf(f1, sizeof(f1), "%s/#", prefix);
	snprintf(f2, sizeof(f2), "%s/+/nomatch", prefix);
	for (;;) {
		struct mq_buf out = { 0 };
		int i;

		if (fd < 0) {
			fd = connect_id("churn", 0);
			if (fd < 0) {
				usleep(100000);
				continue;
			}
		}
		for (i = 0; i < 50; i++) {
			struct mq_buf b = { 0 };

			/* '#' walks (and queues) the whole set ... */
			mq_put_u16(&b, 1);
			mq_put_str(&b, f1);
			mq_put_u8(&b, 0);
			mq_frame(&out, MQ_SUBSCRIBE | 2, &b);
			mq_buf_free(&b);
			mq_put_u16(&b, 2);
			mq_put_str(&b, f1);
			mq_frame(&out, MQ_UNSUBSCRIBE | 2, &b);
			mq_buf_free(&b);
			/* ... and this one visits it all to match nothing. */
			mq_put_u16(&b, 3);
			mq_put_str(&b, f2);
			mq_put_u8(&b, 0);
			mq_frame(&out, MQ_SUBSCRIBE | 2, &b);
			mq_buf_free(&b);
		}
		set_nonblock(fd, false);
		if (mq_send_buf(fd, &out)) {
			close(fd);
			fd = -1;
		}
		mq_buf_free(&out);
		if (fd >= 0)
			drain(fd);
	}
}

/* Child 2: subscribe to thousands of filters, drop the line, again. */
static void churn_sessions(const char *prefix, int nfilters)
{
	for (;;) {
		struct mq_buf out = { 0 };
		int fd = connect_id("many", 0), i;

		if (fd < 0) {
			usleep(100000);
			continue;
		}
		for (i = 0; i < nfilters; i += 500)
			build_subscribe_many(&out, prefix, i,
					     nfilters - i < 500 ? nfilters - i : 500,
					     1 + i / 500);
		mq_send_buf(fd, &out);
		mq_buf_free(&out);
		/* Wait for the last SUBACK or a while, then vanish (no DISCONNECT). */
		for (i = 0; i < 50; i++) {
			struct mq_pkt p;
			int rc = mq_read(fd, &p, 200);

			if (rc <= 0)
				break;
			if ((p.hdr & 0xf0) == 0x90 && p.len >= 2 &&
			    (p.body[0] << 8 | p.body[1]) ==
			    1 + (nfilters - 1) / 500) {
				mq_pkt_free(&p);
				break;
			}
			mq_pkt_free(&p);
		}
		close(fd);
	}
}

/*
 * One probe round: connect, subscribe, publish QoS 1, receive. Its duration;
 * @steps gets the time to CONNACK, to SUBACK and to the message.
 */
static long long probe_once(int round, bool *ok, long long steps[3])
{
	long long t0 = now_ms();
	char topic[96], id[64], msg[32];
	struct mq_pub m;
	int fd, r;

	*ok = false;
	steps[0] = steps[1] = steps[2] = 0;
	snprintf(id, sizeof(id), "hf%sprobe", mq_uniq());
	snprintf(topic, sizeof(topic), "hf/%s/probe", mq_uniq());
	snprintf(msg, sizeof(msg), "probe-%d", round);
	fd = mq_connect_simple(id);
	steps[0] = now_ms() - t0;
	if (fd < 0)
		return now_ms() - t0;
	r = mq_subscribe(fd, 1, topic, 1);
	steps[1] = now_ms() - t0 - steps[0];
	if (r == 1 &&
	    !mq_publish(fd, topic, msg, strlen(msg), 1, false, false, 7)) {
		while ((r = mq_recv_pub(fd, &m, MQ_WAIT_MS, true)) == 1) {
			bool mine = !strcmp((char *)m.payload, msg);

			mq_pub_free(&m);
			if (mine) {
				*ok = true;
				break;
			}
		}
		steps[2] = now_ms() - t0 - steps[0] - steps[1];
	}
	mq_disconnect(fd);
	return now_ms() - t0;
}

static int case_bounded_work_probe(void)
{
	int nret = env_num("HF_RETAINED", 5000);
	int nfilt = env_num("HF_FILTERS", 4000);
	long long secs = env_num("HF_SECS", 30), guard = env_num("HF_GUARD_MS", 20000);
	long long worst = 0, total = 0, dl, steps[3], wsteps[3] = { 0 };
	char prefix[96];
	pid_t kids[2];
	int rounds = 0, fails = 0, i;

	snprintf(prefix, sizeof(prefix), "hf/%s/r", mq_uniq());
	if (retain_many(prefix, nret))
		FAIL("could not store %d retained messages", nret);
	for (i = 0; i < 2; i++) {
		kids[i] = fork();
		if (kids[i] < 0)
			FAIL("fork");
		if (!kids[i]) {
			if (i == 0)
				churn_wildcards(prefix);
			else
				churn_sessions(prefix, nfilt);
			_exit(0);
		}
	}
	/* Let the load build up before measuring. */
	usleep(2000000);
	dl = deadline(secs * 1000);
	while (left_ms(dl)) {
		bool ok;
		long long t = probe_once(rounds, &ok, steps);

		rounds++;
		total += t;
		if (t > worst) {
			worst = t;
			memcpy(wsteps, steps, sizeof(wsteps));
		}
		if (!ok)
			fails++;
		if (t > guard)
			break;
		usleep(100000);
	}
	for (i = 0; i < 2; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	/* Delete the retained set again (empty retained payloads). */
	{
		int fd = connect_id("del", 0);
		struct mq_buf out = { 0 };
		char topic[128];

		for (i = 0; fd >= 0 && i < nret; i++) {
			struct mq_buf b = { 0 };

			snprintf(topic, sizeof(topic), "%s/%d", prefix, i);
			mq_put_str(&b, topic);
			mq_frame(&out, MQ_PUBLISH | 1, &b);
			mq_buf_free(&b);
		}
		if (fd >= 0) {
			mq_send_buf(fd, &out);
			mq_publish_sync(fd, "hf/sync", "s", 1, 1, false, 1);
			mq_disconnect(fd);
		}
		mq_buf_free(&out);
	}
	printf("# %d probe rounds under load (%d retained, %d filters per session): worst %lld ms (CONNACK %lld, SUBACK %lld, message %lld), mean %lld ms, %d failed\n",
	       rounds, nret, nfilt, worst, wsteps[0], wsteps[1], wsteps[2],
	       rounds ? total / rounds : 0, fails);
	if (worst > guard)
		FAIL("a probe client waited %lld ms (guard %lld ms) beside SUBSCRIBE/teardown churn",
		     worst, guard);
	if (fails)
		FAIL("%d of %d probe rounds did not get their message", fails,
		     rounds);
	if (!broker_serves())
		FAIL("broker not serving afterwards");
	PASS("%d probe rounds beside retained-walk and teardown churn: worst %lld ms (guard %lld ms)",
	     rounds, worst, guard);
}

static const struct hl_case cases[] = {
	{ "backpressure_fanout", case_backpressure_fanout },
	{ "stuck_subscriber_valve", case_stuck_subscriber_valve },
	{ "mutual_publishers", case_mutual_publishers },
	{ "bounded_work_probe", case_bounded_work_probe },
};

int main(void)
{
	return hl_main(cases, sizeof(cases) / sizeof(cases[0]));
}
