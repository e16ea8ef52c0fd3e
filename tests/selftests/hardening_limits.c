// SPDX-License-Identifier: GPL-2.0
/*
 * Resource exhaustion (issue 6): every queue and table has a limit, a counter
 * and a test. Each case floods one resource from a well-formed client and
 * checks that the broker keeps serving everybody else; against kmqtt it also
 * sets the limit low (generic netlink, as `mqttctl limit set` does), checks
 * that it holds and that its counter in /proc/net/kmqtt/stats moved.
 * Broker-specific parts SKIP against Mosquitto (KMQTT_BROKER=mosquitto).
 *
 * Sizes (environment): HL_CONNS (2000), HL_SUBS (20000), HL_LEVELS (1000),
 * HL_RETAINED (50000), HL_QOS2 (66000), HL_SLOW_MSGS (3000). One case on its
 * own: KMQTT_TEST=GLOB (its name). TAP 13 on stdout.
 * Memory pressure (fault injection) is in hardening_faults.c.
 */
#include "hardening_lib.h"

/* ---- cases -------------------------------------------------------------- */

/* Idle and half-CONNECT connections: others are served, timeout closes them. */
static int idle_conns[25];
static int idle_n;
static long long idle_tmo;	/* connect timeout when they were opened */

static int case_connect_idle_serving(void)
{
	static const uint8_t partial[] = { 0x10, 0x10, 0x00, 0x04, 'M', 'Q' };
	int i;

	idle_tmo = limit_get(&L_CONNECT_TIMEOUT);
	if (mq_is_kmqtt() && limit_set(&L_CONNECT_TIMEOUT, 2))
		idle_tmo = 2;
	for (i = 0; i < 25; i++) {
		idle_conns[i] = mq_tcp();
		if (idle_conns[i] < 0)
			FAIL("TCP connection %d refused", i);
		idle_n = i + 1;
		if (i >= 20 && mq_send(idle_conns[i], partial, sizeof(partial)))
			FAIL("partial CONNECT %d not sent", i);
	}
	if (!broker_serves())
		FAIL("a normal client is not served while 25 connections idle");
	PASS("25 connections without CONNECT (5 with half a CONNECT), others served");
}

static int case_connect_timeout(void)
{
	long long before = stat_get("connect_timeouts"), after;
	long long tmo = idle_tmo, cur = limit_get(&L_CONNECT_TIMEOUT);
	int i, closed = 0;
	long long dl;

	if (!idle_n)
		SKIP("no idle connections (previous case skipped)");
	/* Generous: the check is that they are closed, not when. */
	dl = deadline((tmo > cur ? tmo : cur) * 1000 + 30000);
	for (i = 0; i < idle_n; i++) {
		int ms = left_ms(dl);

		if (mq_wait_closed(idle_conns[i], ms / mq_scale() + 1, NULL, NULL))
			closed++;
		close(idle_conns[i]);
	}
	idle_n = 0;
	limit_restore(&L_CONNECT_TIMEOUT);
	if (!mq_is_kmqtt())
		SKIP("broker-specific: %d of 25 closed (Mosquitto has no CONNECT timeout)",
		     closed);
	if (closed != 25)
		FAIL("%d of 25 connections without CONNECT closed after %lld s + 30 s",
		     closed, tmo);
	after = stat_get("connect_timeouts");
	if (before >= 0 && after - before < 25)
		FAIL("connect_timeouts went up by %lld, 25 expected", after - before);
	PASS("25 of 25 closed (connect timeout %lld s when opened), connect_timeouts +%lld",
	     tmo, before >= 0 ? after - before : -1);
}

/*
 * Open @n connections and CONNECT them all (pipelined). Fills @fds; counts
 * CONNACK 0, other return codes and connections closed without CONNACK.
 */
static void connect_many(int *fds, int n, int *ok, int *refused, int *closed)
{
	struct mq_buf f = { 0 };
	struct pollfd *pf = calloc(n, sizeof(*pf));
	int i, pending = 0;
	long long dl;

	if (!pf)
		abort();
	*ok = *refused = *closed = 0;
	for (i = 0; i < n; i++) {
		struct mq_connect_opts o = { .clean = 1, .keepalive = 300 };
		char id[64];

		snprintf(id, sizeof(id), "hl%sm%d", mq_uniq(), i);
		o.id = id;
		fds[i] = mq_tcp();
		pf[i].fd = -1;
		if (fds[i] < 0) {
			(*closed)++;
			continue;
		}
		f.n = 0;
		mq_build_connect(&f, &o);
		if (mq_send_buf(fds[i], &f)) {
			(*closed)++;
			continue;
		}
		pf[i].fd = fds[i];
		pf[i].events = POLLIN;
		pending++;
	}
	mq_buf_free(&f);
	dl = deadline(60000);
	while (pending && left_ms(dl)) {
		if (poll(pf, n, left_ms(dl) > 1000 ? 1000 : left_ms(dl)) <= 0)
			continue;
		for (i = 0; i < n; i++) {
			struct mq_pkt p;

			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			pf[i].fd = -1;
			pending--;
			if (mq_read(fds[i], &p, 1000) != 1) {
				(*closed)++;
				continue;
			}
			if (p.hdr == MQ_CONNACK && p.len == 2 && !p.body[1])
				(*ok)++;
			else
				(*refused)++;
			mq_pkt_free(&p);
		}
	}
	*closed += pending;
	free(pf);
}

static void disconnect_many(int *fds, int n)
{
	static const uint8_t d[] = { MQ_DISCONNECT, 0 };
	int i;

	for (i = 0; i < n; i++) {
		if (fds[i] < 0)
			continue;
		send(fds[i], d, sizeof(d), MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fds[i]);
		fds[i] = -1;
	}
}

static int case_many_connections(void)
{
	int n = env_num("HL_CONNS", 2000), ok, refused, closed;
	int *fds = calloc(n, sizeof(int));
	bool serves;

	if (!fds)
		abort();
	raise_nofile(n + 200);
	if (mq_is_kmqtt() && limit_get(&L_MAX_CONNECTIONS) &&
	    !limit_set(&L_MAX_CONNECTIONS, 0))
		printf("# max-connections is set and cannot be cleared\n");
	connect_many(fds, n, &ok, &refused, &closed);
	printf("# %d connections: %d accepted, %d refused, %d closed\n", n, ok,
	       refused, closed);
	serves = broker_serves();
	disconnect_many(fds, n);
	free(fds);
	limit_restore(&L_MAX_CONNECTIONS);
	if (ok != n)
		FAIL("%d of %d connections from one address accepted (%d refused, %d closed)",
		     ok, n, refused, closed);
	if (!serves)
		FAIL("broker not serving a new client with %d connections open", n);
	PASS("%d connections from one address accepted, broker still serving", n);
}

static int case_max_connections(void)
{
	int lim = 200, extra = 100, n = lim + extra, ok, refused, closed;
	long long before, after;
	int *fds;
	bool serves_after;

	if (!mq_is_kmqtt())
		SKIP("broker-specific: kmqtt's max-connections limit");
	if (!have_ctl())
		SKIP("kmqtt netlink not reachable to set max-connections");
	before = stat_get("conn_limit");
	if (!limit_set(&L_MAX_CONNECTIONS, lim))
		SKIP("limit set max-connections failed");
	fds = calloc(n, sizeof(int));
	if (!fds)
		abort();
	raise_nofile(n + 200);
	connect_many(fds, n, &ok, &refused, &closed);
	printf("# limit %d, %d connections: %d accepted, %d refused, %d closed\n",
	       lim, n, ok, refused, closed);
	disconnect_many(fds, n);
	free(fds);
	limit_restore(&L_MAX_CONNECTIONS);
	after = stat_get("conn_limit");
	serves_after = broker_serves();
	if (ok > lim)
		FAIL("%d connections accepted with max-connections %d", ok, lim);
	if (refused + closed < extra)
		FAIL("only %d of %d connections over the limit refused",
		     refused + closed, n - lim);
	if (before >= 0 && after - before < extra)
		FAIL("conn_limit went up by %lld, at least %d expected",
		     after - before, extra);
	if (!serves_after)
		FAIL("broker not serving after the limit was lifted");
	PASS("max-connections %d: %d accepted, %d refused (conn_limit +%lld), serving after",
	     lim, ok, refused + closed, before >= 0 ? after - before : -1);
}

/* SUBSCRIBE @n filters, 100 per packet, a window of packets in flight. */
static int subscribe_many(int fd, int n, const char *fmt, int *granted,
			  int *denied)
{
	const int per = 100, window = 8;
	int sent = 0, acked = 0, npk = (n + per - 1) / per;
	long long dl = deadline(300000);

	*granted = *denied = 0;
	while (acked < npk && left_ms(dl)) {
		struct mq_pkt p;
		int r, i;

		while (sent < npk && sent - acked < window) {
			struct mq_buf b = { 0 };
			char t[128];

			mq_put_u16(&b, (sent % 60000) + 1);
			for (i = sent * per; i < n && i < (sent + 1) * per; i++) {
				snprintf(t, sizeof(t), fmt, mq_uniq(), i);
				mq_put_str(&b, t);
				mq_put_u8(&b, 0);
			}
			r = mq_send_frame(fd, MQ_SUBSCRIBE, &b);
			mq_buf_free(&b);
			if (r)
				return -1;
			sent++;
		}
		r = mq_read(fd, &p, left_ms(dl) / mq_scale() + 1);
		if (r != 1)
			return -1;
		if (p.hdr == MQ_SUBACK) {
			for (i = 2; i < (int)p.len; i++) {
				if (p.body[i] == 0x80)
					(*denied)++;
				else
					(*granted)++;
			}
			acked++;
		}
		mq_pkt_free(&p);
	}
	return acked == npk ? 0 : -1;
}

static int case_many_subscriptions(void)
{
	int n = env_num("HL_SUBS", 20000), granted, denied, fd, r;
	long long lim = -1, before = stat_get("subscribe_denied"), after;
	char topic[96];
	struct mq_pub m;
	bool got = false;

	if (mq_is_kmqtt()) {
		lim = n / 2 < 5000 ? n / 2 : 5000;
		if (!limit_set(&L_MAX_SUBS, lim))
			lim = limit_get(&L_MAX_SUBS);
	}
	fd = connect_id("s", 0);
	if (fd < 0)
		FAIL("cannot connect");
	r = subscribe_many(fd, n, "hl/%s/s/%d", &granted, &denied);
	printf("# %d filters: %d granted, %d refused (0x80)\n", n, granted, denied);
	if (!r) {
		/* A granted filter still delivers to this very session. */
		snprintf(topic, sizeof(topic), "hl/%s/s/0", mq_uniq());
		mq_publish_once(topic, "sub0", 0, false);
		while (mq_recv_pub(fd, &m, MQ_WAIT_MS, true) == 1) {
			got = !strcmp(m.topic, topic);
			mq_pub_free(&m);
			if (got)
				break;
		}
	}
	mq_disconnect(fd);
	limit_restore(&L_MAX_SUBS);
	after = stat_get("subscribe_denied");
	if (r)
		FAIL("SUBACKs missing or connection closed after %d granted", granted);
	if (granted + denied != n)
		FAIL("%d SUBACK codes for %d filters", granted + denied, n);
	if (!got)
		FAIL("no delivery on a granted filter after %d subscriptions", n);
	if (!broker_serves())
		FAIL("broker not serving after %d subscriptions", n);
	if (lim >= 0 && lim < n) {
		if (granted != lim || denied != n - lim)
			FAIL("limit %lld: %d granted, %d refused", lim, granted, denied);
		if (before >= 0 && after - before < n - lim)
			FAIL("subscribe_denied went up by %lld, %lld expected",
			     after - before, n - lim);
	}
	PASS("%d filters: %d granted, %d refused with 0x80%s, still delivering",
	     n, granted, denied, lim >= 0 && lim < n ? " beyond the limit" : "");
}

static char *deep_topic(int levels)
{
	size_t cap = 32 + levels * 2;
	char *t = malloc(cap);
	size_t n;
	int i;

	if (!t)
		abort();
	n = snprintf(t, cap, "hl/%s", mq_uniq());
	for (i = 2; i < levels && n + 3 < cap; i++)
		n += snprintf(t + n, cap - n, "/%c", 'a' + i % 26);
	return t;
}

static int case_deep_topics(void)
{
	int levels = env_num("HL_LEVELS", 1000), fd, p, code, ok_levels;
	long long maxl = mq_is_kmqtt() ? limit_get(&L_MAX_LEVELS) : 0;
	long long e0 = stat_get("proto_errors"), d0 = stat_get("subscribe_denied");
	long long e1, d1;
	char *deep = deep_topic(levels), *fine;
	bool pub_closed, got;
	struct mq_pub m;

	/* Within the limit: works everywhere. */
	ok_levels = maxl > 0 && maxl < 100 ? (int)maxl : 100;
	fine = deep_topic(ok_levels);
	fd = connect_id("d", 0);
	if (fd < 0)
		FAIL("cannot connect");
	if (mq_subscribe(fd, 1, fine, 1) != 1)
		FAIL("%d-level filter refused", ok_levels);
	mq_publish_once(fine, "deep-ok", 1, false);
	got = mq_recv_pub(fd, &m, MQ_WAIT_MS, true) == 1;
	if (got)
		mq_pub_free(&m);
	mq_disconnect(fd);
	if (!got)
		FAIL("no delivery on a %d-level topic", ok_levels);

	/* Beyond it: a filter gets 0x80 or the connection is closed. */
	fd = connect_id("d", 1);
	code = fd < 0 ? -3 : mq_subscribe(fd, 1, deep, 1);
	if (fd >= 0)
		mq_disconnect(fd);
	/* A PUBLISH cannot be refused in 3.1.1: the connection is closed. */
	p = connect_id("d", 2);
	if (p < 0)
		FAIL("cannot connect");
	pub_closed = mq_publish_sync(p, deep, "x", 1, 1, false, 1) != 0;
	close(p);
	printf("# %d-level filter: SUBACK %d, %d-level PUBLISH: %s\n", levels,
	       code, levels, pub_closed ? "connection closed" : "PUBACK");
	free(deep);
	free(fine);
	if (!broker_serves())
		FAIL("broker not serving after %d-level topics", levels);
	if (!mq_is_kmqtt())
		SKIP("broker-specific: %d levels: filter %s, PUBLISH %s",
		     levels, code == 0x80 ? "0x80" : code == -1 ? "closed" :
		     "granted", pub_closed ? "closed" : "acknowledged");
	if (levels <= maxl)
		SKIP("%d levels are within max-topic-levels %lld", levels, maxl);
	if (code != 0x80 && code != -1)
		FAIL("%d-level filter: SUBACK %d, 0x80 or close expected", levels, code);
	if (!pub_closed)
		FAIL("%d-level PUBLISH acknowledged, limit %lld", levels, maxl);
	e1 = stat_get("proto_errors");
	d1 = stat_get("subscribe_denied");
	if (e0 >= 0 && (e1 - e0) + (d1 - d0) < 2)
		FAIL("counters: proto_errors +%lld, subscribe_denied +%lld", e1 - e0,
		     d1 - d0);
	PASS("%d levels refused beyond max-topic-levels %lld (filter %s, publish closed), counted",
	     levels, maxl, code == 0x80 ? "0x80" : "closed");
}

/* Publish QoS 0 frames fast, then one QoS 1 as a barrier. */
static int publish_bulk(int fd, int n, const char *fmt, bool retain,
			const char *payload)
{
	struct mq_buf out = { 0 };
	char t[128];
	long long dl = deadline(300000);
	int i, r = 0;

	set_nonblock(fd, true);
	for (i = 0; i < n && !r; i++) {
		struct mq_buf b = { 0 };

		snprintf(t, sizeof(t), fmt, mq_uniq(), i / 500, i % 500);
		mq_put_str(&b, t);
		mq_put_bytes(&b, payload, strlen(payload));
		mq_frame(&out, MQ_PUBLISH | (retain ? 1 : 0), &b);
		mq_buf_free(&b);
		if (out.n > 65536 || i == n - 1) {
			r = send_all(fd, out.d, out.n, dl);
			out.n = 0;
		}
		/* Drain anything the broker says ($SYS, nothing expected). */
		if (!(i % 4096)) {
			char tmp[4096];

			while (recv(fd, tmp, sizeof(tmp), MSG_DONTWAIT) > 0)
				;
		}
	}
	mq_buf_free(&out);
	set_nonblock(fd, false);
	if (r)
		return -1;
	/*
	 * A QoS 1 barrier: its PUBACK comes after the broker has handled
	 * everything before it. A slow (debug, TCG) broker may need long.
	 */
	snprintf(t, sizeof(t), "hl/%s/barrier", mq_uniq());
	if (mq_publish(fd, t, "b", 1, 1, false, false, 7))
		return -1;
	for (;;) {
		struct mq_pkt p;

		r = mq_read(fd, &p, 5000);
		if (r < 0) {
			printf("# connection closed before the barrier's PUBACK\n");
			return -1;
		}
		if (r == 0 && !left_ms(dl)) {
			printf("# no PUBACK for the barrier in time\n");
			return -1;
		}
		if (r == 1) {
			bool ack = p.hdr == MQ_PUBACK && p.len == 2 &&
				   p.body[1] == 7;

			mq_pkt_free(&p);
			if (ack)
				return 0;
		}
	}
}

/* Subscribe bucket by bucket and count retained deliveries (marker-bounded). */
/* Count retained deliveries on @fd until a SUBACK (@suback) or the marker. */
static int count_until(int fd, bool suback, const char *mk, long long *count)
{
	for (;;) {
		struct mq_pkt p;
		struct mq_pub m;
		bool end;
		int r = mq_read(fd, &p, MQ_WAIT_MS);

		if (r != 1)
			return -1;
		if (suback && p.hdr == MQ_SUBACK) {
			mq_pkt_free(&p);
			return 0;
		}
		r = mq_parse_pub(&p, &m);
		mq_pkt_free(&p);
		if (r)
			continue;
		end = !suback && !strcmp(m.topic, mk);
		if (!end && m.retain)
			(*count)++;
		mq_pub_free(&m);
		if (end)
			return 0;
	}
}

/*
 * Subscribe bucket by bucket (500 topics each, well within a session queue)
 * and count the retained deliveries. Everything retained for a filter is
 * queued by the time its SUBACK arrives; a marker published after that
 * comes after all of it.
 */
static int count_retained(int nb, long long *count)
{
	char f[128], mk[128];
	int fd = connect_id("rc", 0), b;

	*count = 0;
	if (fd < 0)
		return -1;
	for (b = 0; b < nb; b++) {
		struct mq_buf s = { 0 };
		int r;

		snprintf(f, sizeof(f), "hl/%s/r/%d/#", mq_uniq(), b);
		snprintf(mk, sizeof(mk), "hl/%s/r/%d/~", mq_uniq(), b);
		/* mq_subscribe() would discard retained messages before SUBACK. */
		mq_put_u16(&s, b + 1);
		mq_put_str(&s, f);
		mq_put_u8(&s, 0);
		r = mq_send_frame(fd, MQ_SUBSCRIBE, &s);
		mq_buf_free(&s);
		if (r || count_until(fd, true, NULL, count) ||
		    mq_publish_once(mk, "marker", 0, false) ||
		    count_until(fd, false, mk, count))
			break;
		mq_unsubscribe(fd, b + 1, f);
	}
	mq_disconnect(fd);
	return b == nb ? 0 : -1;
}

static int case_retained_flood(void)
{
	int n = env_num("HL_RETAINED", 50000), fd, nb = (n + 499) / 500;
	long long lim = -1, stored, before = stat_get("retain_refused"), after;
	int r;

	if (mq_is_kmqtt()) {
		lim = n / 2;
		if (!limit_set(&L_RETAINED, lim))
			lim = limit_get(&L_RETAINED);
	}
	fd = connect_id("r", 0);
	if (fd < 0)
		FAIL("cannot connect");
	r = publish_bulk(fd, n, "hl/%s/r/%d/%d", true, "retained");
	mq_disconnect(fd);
	if (r)
		FAIL("publishing %d retained messages failed (connection closed?)", n);
	if (count_retained(nb, &stored))
		FAIL("counting retained messages failed after %lld", stored);
	after = stat_get("retain_refused");
	if (before >= 0)
		printf("# %d retained published, %lld stored, retain_refused +%lld\n",
		       n, stored, after - before);
	else
		printf("# %d retained published, %lld stored\n", n, stored);
	/* Clean up: empty retained payloads delete them. */
	fd = connect_id("r", 1);
	r = fd < 0 ? -1 : publish_bulk(fd, n, "hl/%s/r/%d/%d", true, "");
	mq_disconnect(fd);
	limit_restore(&L_RETAINED);
	if (r)
		FAIL("deleting the retained messages failed");
	if (!broker_serves())
		FAIL("broker not serving after %d retained messages", n);
	if (lim < 0 || lim >= n) {
		if (stored != n)
			FAIL("%lld of %d retained messages stored (no limit reached)",
			     stored, n);
		PASS("%d retained topics stored and deleted, broker serving", n);
	}
	if (stored > lim)
		FAIL("%lld retained stored, limit %lld", stored, lim);
	if (before >= 0 && after - before < n - stored)
		FAIL("retain_refused +%lld for %lld refused", after - before,
		     n - stored);
	PASS("%d retained published, %lld stored (limit %lld), rest refused and counted",
	     n, stored, lim);
}

/* A socket with a small receive buffer, connected and CONNECTed (blocking). */
static int connect_small_rcvbuf(const char *id)
{
	struct mq_connect_opts o = { .id = id, .clean = 1, .keepalive = 300 };
	int fd, rc, sz = 4096;

	/* mq_tcp() connects at once: set the buffer on the connected socket. */
	fd = mq_connect_raw(&o, &rc, NULL);
	if (fd < 0 || rc) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	return fd;
}

static int case_slow_subscriber(void)
{
	int n = env_num("HL_SLOW_MSGS", 3000), window = 20, sent = 0, acked = 0;
	long long d0 = stat_get("dropped_queue_full"), d1;
	char topic[96], id[64], payload[512];
	uint8_t *seen = calloc(n, 1);
	struct rconn pub, sub;
	int slow, got = 0, dup = 0;
	long long dl;

	if (!seen)
		abort();
	if (mq_is_kmqtt())
		limit_set(&L_QUEUED, 200);
	snprintf(topic, sizeof(topic), "hl/%s/slow", mq_uniq());
	snprintf(id, sizeof(id), "hl%sslow", mq_uniq());
	slow = connect_small_rcvbuf(id);
	if (slow < 0 || mq_subscribe(slow, 1, topic, 1) != 1)
		FAIL("slow subscriber could not subscribe");
	rc_init(&sub, connect_id("fast", 0));
	if (sub.closed)
		FAIL("cannot connect");
	set_nonblock(sub.fd, false);
	if (mq_subscribe(sub.fd, 1, topic, 1) != 1)
		FAIL("subscriber could not subscribe");
	set_nonblock(sub.fd, true);
	rc_init(&pub, connect_id("pub", 0));
	if (pub.closed)
		FAIL("cannot connect");
	memset(payload, 'p', sizeof(payload));

	/* The slow subscriber never reads again from here on. */
	dl = deadline(300000);
	while ((acked < n || got < n) && left_ms(dl) && !pub.closed &&
	       !sub.closed) {
		struct pollfd pf[2] = {
			{ .fd = pub.fd, .events = POLLIN },
			{ .fd = sub.fd, .events = POLLIN },
		};
		uint8_t hdr, *body;
		uint32_t len;
		size_t used = 0;

		/*
		 * Paced by the reading subscriber too (it must never overflow
		 * its own queue); the stuck one must not slow anything down.
		 */
		while (sent < n && sent - acked < window && sent - got < 100) {
			struct mq_buf b = { 0 }, f = { 0 };

			mq_put_str(&b, topic);
			mq_put_u16(&b, (sent % 65000) + 1);
			snprintf(payload, 16, "%08d", sent);
			payload[8] = 'p';
			mq_put_bytes(&b, payload, sizeof(payload));
			mq_frame(&f, MQ_PUBLISH | 2, &b);
			if (send_all(pub.fd, f.d, f.n, dl))
				pub.closed = true;
			mq_buf_free(&b);
			mq_buf_free(&f);
			sent++;
		}
		poll(pf, 2, 1000);
		rc_fill(&pub);
		while (rc_next(&pub, &hdr, &body, &len, &used))
			if (hdr == MQ_PUBACK)
				acked++;
		rc_fill(&sub);
		used = 0;
		while (rc_next(&sub, &hdr, &body, &len, &used)) {
			uint32_t tl, off, seq;
			uint16_t pid;
			uint8_t a[4];

			if ((hdr & 0xf0) != MQ_PUBLISH || len < 2)
				continue;
			tl = body[0] << 8 | body[1];
			off = 2 + tl;
			if (((hdr >> 1) & 3) && off + 2 <= len) {
				pid = body[off] << 8 | body[off + 1];
				off += 2;
				a[0] = MQ_PUBACK;
				a[1] = 2;
				a[2] = pid >> 8;
				a[3] = pid & 0xff;
				send_all(sub.fd, a, 4, dl);
			}
			if (off + 8 > len)
				continue;
			seq = strtoul(strndupa((char *)body + off, 8), NULL, 10);
			if (seq < (uint32_t)n) {
				if (seen[seq])
					dup++;
				else
					got++;
				seen[seq] = 1;
			}
		}
	}
	printf("# %d published, %d acknowledged; other subscriber got %d (%d again)\n",
	       sent, acked, got, dup);
	rc_free(&pub);
	rc_free(&sub);
	close(slow);
	free(seen);
	limit_restore(&L_QUEUED);
	d1 = stat_get("dropped_queue_full");
	if (acked < n)
		FAIL("publisher got %d of %d PUBACKs beside a subscriber that never reads",
		     acked, n);
	if (got < n)
		FAIL("the reading subscriber got %d of %d QoS 1 messages", got, n);
	if (!mq_is_kmqtt())
		PASS("%d QoS 1 messages: publisher and reading subscriber unaffected (broker-specific drop counter skipped)",
		     n);
	if (d0 >= 0 && d1 - d0 <= 0)
		FAIL("dropped_queue_full did not go up: the stuck queue is not capped");
	PASS("%d QoS 1 messages: publisher and reading subscriber unaffected, stuck queue capped (dropped_queue_full +%lld)",
	     n, d0 >= 0 ? d1 - d0 : -1);
}

/* Read the subscriber: count deliveries, note the marker. */
static void q2_sub_read(struct rconn *s, const char *mk, int *deliv,
			bool *marker)
{
	uint8_t hdr, *body;
	uint32_t len;
	size_t used = 0;

	rc_fill(s);
	while (rc_next(s, &hdr, &body, &len, &used)) {
		if ((hdr & 0xf0) != MQ_PUBLISH || len < 2)
			continue;
		if ((size_t)(body[0] << 8 | body[1]) == strlen(mk))
			*marker = true;
		else
			(*deliv)++;
	}
}

/* Read the publisher: count PUBREC, note PINGRESP. */
static void q2_pub_read(struct rconn *c, int *pubrec, bool *pong)
{
	uint8_t hdr, *body;
	uint32_t len;
	size_t used = 0;

	rc_fill(c);
	while (rc_next(c, &hdr, &body, &len, &used)) {
		if (hdr == MQ_PUBREC)
			(*pubrec)++;
		else if (hdr == 0xd0)
			*pong = true;
	}
}

static int case_qos2_pid_exhaustion(void)
{
	int n = env_num("HL_QOS2", 66000), sent = 0, pubrec = 0, deliv = 0;
	long long lim = mq_is_kmqtt() ? limit_get(&L_QUEUED) : 65535;
	long long e0 = stat_get("proto_errors"), q0 = stat_get("dropped_queue_full");
	long long m0 = stat_get("dropped_no_memory"), counted;
	static const uint8_t ping[] = { 0xc0, 0 };
	char topic[96], mk[96];
	struct rconn c, s;
	bool pong = false, marker = false;
	long long dl;

	if (mq_is_kmqtt() && limit_set(&L_QUEUED, 500))
		lim = 500;
	snprintf(topic, sizeof(topic), "hl/%s/q2", mq_uniq());
	snprintf(mk, sizeof(mk), "hl/%s/q2/~", mq_uniq());
	rc_init(&s, connect_id("q2s", 0));
	if (s.closed)
		FAIL("cannot connect");
	set_nonblock(s.fd, false);
	if (mq_subscribe(s.fd, 1, topic, 0) != 0 ||
	    mq_subscribe(s.fd, 2, mk, 0) != 0)
		FAIL("subscribe failed");
	set_nonblock(s.fd, true);
	rc_init(&c, connect_id("q2p", 0));
	if (c.closed)
		FAIL("cannot connect");

	/* 1: every packet id in use, then reused, never released. */
	dl = deadline(300000);
	while (sent < n && !c.closed && left_ms(dl)) {
		struct mq_buf out = { 0 };
		int i;

		for (i = 0; i < 500 && sent < n; i++, sent++) {
			struct mq_buf b = { 0 };

			mq_put_str(&b, topic);
			mq_put_u16(&b, (sent % 65535) + 1);
			mq_put_bytes(&b, "q2", 2);
			mq_frame(&out, MQ_PUBLISH | 4, &b);
			mq_buf_free(&b);
		}
		if (send_all(c.fd, out.d, out.n, dl))
			c.closed = true;
		mq_buf_free(&out);
		q2_pub_read(&c, &pubrec, &pong);
		q2_sub_read(&s, mk, &deliv, &marker);
	}
	/* 2: is the publisher still served? */
	if (!c.closed && !send_all(c.fd, ping, 2, dl)) {
		while (!pong && !c.closed && left_ms(dl)) {
			struct pollfd pf[2] = {
				{ .fd = c.fd, .events = POLLIN },
				{ .fd = s.fd, .events = POLLIN },
			};

			poll(pf, 2, 1000);
			q2_pub_read(&c, &pubrec, &pong);
			q2_sub_read(&s, mk, &deliv, &marker);
		}
	}
	/* 3: the marker comes after every delivery. */
	if (mq_publish_once(mk, "m", 0, false))
		FAIL("marker publish failed");
	while (!marker && !s.closed && left_ms(dl)) {
		struct pollfd pf = { .fd = s.fd, .events = POLLIN };

		poll(&pf, 1, 1000);
		q2_sub_read(&s, mk, &deliv, &marker);
	}
	printf("# %d QoS 2 PUBLISH without PUBREL: %d PUBREC, %d delivered, publisher %s\n",
	       sent, pubrec, deliv, pong ? "still served" : "disconnected");
	rc_free(&c);
	rc_free(&s);
	limit_restore(&L_QUEUED);
	if (!marker)
		FAIL("subscriber did not see the end marker (broker stuck?)");
	if (deliv > 65535)
		FAIL("%d deliveries for 65535 packet ids never released: exactly-once broken",
		     deliv);
	if (!broker_serves())
		FAIL("broker not serving after QoS 2 packet-id exhaustion");
	if (!mq_is_kmqtt())
		PASS("%d QoS 2 flows without PUBREL: %d delivered (<= 65535), %d PUBREC, broker serving",
		     sent, deliv, pubrec);
	if (deliv > lim)
		FAIL("%d deliveries with %lld pending QoS 2 flows allowed", deliv, lim);
	counted = (stat_get("proto_errors") - e0) +
		  (stat_get("dropped_queue_full") - q0) +
		  (stat_get("dropped_no_memory") - m0);
	if (e0 >= 0 && counted <= 0)
		FAIL("flows over the bound refused but not counted");
	PASS("%d QoS 2 flows without PUBREL bounded at %lld: %d delivered, publisher %s",
	     sent, lim, deliv, pong ? "still served" : "disconnected");
}

static const struct hl_case cases[] = {
	{ "connect_idle_serving", case_connect_idle_serving },
	{ "connect_timeout", case_connect_timeout },
	{ "many_connections", case_many_connections },
	{ "max_connections", case_max_connections },
	{ "many_subscriptions", case_many_subscriptions },
	{ "deep_topics", case_deep_topics },
	{ "retained_flood", case_retained_flood },
	{ "slow_subscriber", case_slow_subscriber },
	{ "qos2_pid_exhaustion", case_qos2_pid_exhaustion },
};

int main(void)
{
	return hl_main(cases, sizeof(cases) / sizeof(cases[0]));
}
