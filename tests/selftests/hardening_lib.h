/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the hardening selftests (hardening_limits.c,
 * hardening_faults.c): case results and a TAP runner, bounded waits, the
 * broker's /proc counters, its limits over generic netlink, and non-blocking
 * frame readers. A header of static functions because the selftests
 * Makefile builds each hardening_*.c into its own program.
 */
#ifndef KMQTT_HARDENING_LIB_H
#define KMQTT_HARDENING_LIB_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mqtt_raw.h"
#include "hardening_genl.h"

enum { R_PASS, R_FAIL, R_SKIP };

/* Result text of the running case (failure or skip reason, or details). */
static char why[512];

static inline int result(int r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static inline int result(int r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return r;
}

#define FAIL(...) return result(R_FAIL, __VA_ARGS__)
#define SKIP(...) return result(R_SKIP, __VA_ARGS__)
#define PASS(...) return result(R_PASS, __VA_ARGS__)

static inline long long env_num(const char *name, long long def)
{
	const char *s = getenv(name);

	return s && *s ? atoll(s) : def;
}

static inline long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* Deadline @ms (scaled) from now. */
static inline long long deadline(long long ms)
{
	return now_ms() + ms * mq_scale();
}

static inline int left_ms(long long dl)
{
	long long l = dl - now_ms();

	return l < 0 ? 0 : l > INT_MAX ? INT_MAX : (int)l;
}

/* ---- broker-specific helpers: /proc stats and mqttctl ------------------- */

static inline bool have_stats(void)
{
	return mq_is_kmqtt() && !access(MQ_STATS_PATH, R_OK);
}

/* One counter by exact name, -1 if absent. */
static inline long long stat_get(const char *name)
{
	char re[96];

	snprintf(re, sizeof(re), "^%s$", name);
	return have_stats() ? mq_stats_sum(re) : -1;
}

/*
 * Limits are changed over generic netlink (uapi/kmqtt.h, what mqttctl uses),
 * so that no text output has to be parsed. Every change is undone after
 * the case (and at exit).
 */
static struct hg ctl;
static int ctl_state = -1;	/* -1 unknown, 0 unusable, 1 usable */

static inline bool have_ctl(void)
{
	int err;

	if (ctl_state >= 0)
		return ctl_state;
	ctl_state = 0;
	if (!mq_is_kmqtt())
		return false;
	err = hg_open(&ctl, 60 * mq_scale());
	if (err) {
		printf("# kmqtt generic netlink family not reachable (%s): limits are not changed\n",
		       strerror(-err));
		return false;
	}
	ctl_state = 1;
	return true;
}

struct limit {
	uint16_t attr;
	const char *name;
	long long def;		/* kmqtt's default (kmod/broker.c) */
	long long saved;
	bool changed;
};

static struct limit L_CONNECT_TIMEOUT = { KMQTT_LIMIT_A_CONNECT_TIMEOUT, "connect-timeout", 10 };
static struct limit L_MAX_CONNECTIONS = { KMQTT_LIMIT_A_MAX_CONNECTIONS, "max-connections", 0 };
static struct limit L_MAX_SUBS = { KMQTT_LIMIT_A_MAX_SUBSCRIPTIONS, "max-subscriptions", 10000 };
static struct limit L_MAX_LEVELS = { KMQTT_LIMIT_A_MAX_TOPIC_LEVELS, "max-topic-levels", 128 };
static struct limit L_RETAINED = { KMQTT_LIMIT_A_RETAINED_MAX_COUNT, "retained-max-count", 100000 };
static struct limit L_QUEUED = { KMQTT_LIMIT_A_MAX_QUEUED_MSGS, "max-queued-msgs", 1000 };

static struct limit *const all_limits[] = {
	&L_CONNECT_TIMEOUT, &L_MAX_CONNECTIONS, &L_MAX_SUBS, &L_MAX_LEVELS,
	&L_RETAINED, &L_QUEUED,
};

/* The current value, else the default. */
static inline long long limit_get(struct limit *l)
{
	long long v;

	if (!have_ctl() || hg_limit_get(&ctl, l->attr, &v))
		return l->def;
	return v;
}

static inline bool limit_set(struct limit *l, long long v)
{
	int err;

	if (!have_ctl())
		return false;
	if (!l->changed)
		l->saved = limit_get(l);
	err = hg_limit_set(&ctl, l->attr, v);
	if (err) {
		printf("# limit set %s %lld: %s\n", l->name, v, strerror(-err));
		return false;
	}
	l->changed = true;
	printf("# limit set %s %lld (was %lld)\n", l->name, v, l->saved);
	return true;
}

static inline void limit_restore(struct limit *l)
{
	if (!l->changed)
		return;
	if (hg_limit_set(&ctl, l->attr, l->saved))
		printf("# could not restore %s %lld\n", l->name, l->saved);
	l->changed = false;
}

static inline void restore_all_limits(void)
{
	size_t i;

	for (i = 0; i < sizeof(all_limits) / sizeof(all_limits[0]); i++)
		limit_restore(all_limits[i]);
}

/* ---- client helpers ----------------------------------------------------- */

static inline void raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static inline void set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK);
}

static inline int connect_id(const char *tag, int n)
{
	char id[64];

	snprintf(id, sizeof(id), "hl%s%s%d", mq_uniq(), tag, n);
	return mq_connect_simple(id);
}

/* A fresh subscriber and publisher exchange one QoS 1 message. */
static inline bool broker_serves(void)
{
	char topic[96], msg[32];
	struct mq_pub m;
	int s, p, r;
	bool ok;

	snprintf(topic, sizeof(topic), "hl/%s/alive", mq_uniq());
	s = connect_id("as", 0);
	if (s < 0)
		return false;
	if (mq_subscribe(s, 1, topic, 1) != 1) {
		close(s);
		return false;
	}
	p = connect_id("ap", 0);
	snprintf(msg, sizeof(msg), "alive-%lld", now_ms());
	ok = p >= 0 && !mq_publish_sync(p, topic, msg, strlen(msg), 1, false, 1);
	/* Read until our message: earlier ones are possible, never asserted. */
	while (ok && (r = mq_recv_pub(s, &m, MQ_WAIT_MS, true)) == 1) {
		bool mine = !strcmp((char *)m.payload, msg);

		mq_pub_free(&m);
		if (mine)
			break;
	}
	ok = ok && r == 1;
	mq_disconnect(p);
	mq_disconnect(s);
	return ok;
}

/* A connection whose bytes are read without blocking and split into frames. */
struct rconn {
	int fd;
	uint8_t *b;
	size_t n, cap;
	bool closed;
};

static inline void rc_init(struct rconn *c, int fd)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	if (fd >= 0)
		set_nonblock(fd, true);
	else
		c->closed = true;
}

static inline void rc_fill(struct rconn *c)
{
	int rounds;

	for (rounds = 0; rounds < 64 && !c->closed; rounds++) {
		ssize_t r;

		if (c->cap - c->n < 65536) {
			c->cap = c->cap * 2 + 65536;
			c->b = realloc(c->b, c->cap);
			if (!c->b)
				abort();
		}
		r = recv(c->fd, c->b + c->n, c->cap - c->n, 0);
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (r <= 0) {
			c->closed = true;
			return;
		}
		c->n += r;
	}
}

/* Next complete frame (header byte, body) or false. Body valid until next call. */
static inline bool rc_next(struct rconn *c, uint8_t *hdr, uint8_t **body,
		    uint32_t *len, size_t *consumed)
{
	uint32_t l = 0;
	size_t i;

	if (*consumed) {
		memmove(c->b, c->b + *consumed, c->n - *consumed);
		c->n -= *consumed;
		*consumed = 0;
	}
	if (c->n < 2)
		return false;
	for (i = 1; i <= 4 && i < c->n; i++) {
		l |= (uint32_t)(c->b[i] & 0x7f) << (7 * (i - 1));
		if (!(c->b[i] & 0x80))
			break;
	}
	if (i > 4) {
		c->closed = true;	/* the broker sent garbage */
		return false;
	}
	if (i >= c->n || c->n < i + 1 + l)
		return false;
	*hdr = c->b[0];
	*len = l;
	*body = c->b + i + 1;
	*consumed = i + 1 + l;
	return true;
}

static inline void rc_free(struct rconn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	free(c->b);
	c->b = NULL;
	c->fd = -1;
}

/* Blocking send on a non-blocking socket, bounded by @dl. */
static inline int send_all(int fd, const void *p, size_t n, long long dl)
{
	const uint8_t *c = p;

	while (n) {
		ssize_t w = send(fd, c, n, MSG_NOSIGNAL);

		if (w > 0) {
			c += w;
			n -= w;
			continue;
		}
		if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd pf = { .fd = fd, .events = POLLOUT };

			if (!left_ms(dl))
				return -1;
			poll(&pf, 1, left_ms(dl) > 100 ? 100 : left_ms(dl));
			continue;
		}
		return -1;
	}
	return 0;
}

/* ---- runner ------------------------------------------------------------- */

struct hl_case {
	const char *name;
	int (*fn)(void);
};

/* Extra clean-up at exit (fault injection off), NULL if none. */
static void (*hl_cleanup)(void);

static inline void hl_at_exit(void)
{
	if (hl_cleanup)
		hl_cleanup();
	restore_all_limits();
}

/* Run @cases (KMQTT_TEST=GLOB selects by name) and print TAP 13. */
static inline int hl_main(const struct hl_case *cases, size_t n)
{
	const char *pat = getenv("KMQTT_TEST");
	int fails = 0;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	atexit(hl_at_exit);
	printf("TAP version 13\n1..%zu\n", n);
	printf("# broker %s at %s:%d%s\n", mq_is_kmqtt() ? "kmqtt" : "mosquitto",
	       mq_host(), mq_port(), have_stats() ? ", /proc stats" : "");
	for (i = 0; i < n; i++) {
		int r;

		if (pat && *pat && fnmatch(pat, cases[i].name, 0)) {
			printf("ok %zu %s # SKIP not selected by KMQTT_TEST\n",
			       i + 1, cases[i].name);
			continue;
		}
		why[0] = 0;
		r = cases[i].fn();
		restore_all_limits();
		if (r == R_SKIP) {
			printf("ok %zu %s # SKIP %s\n", i + 1, cases[i].name, why);
		} else if (r == R_PASS) {
			printf("# %s\nok %zu %s\n", why, i + 1, cases[i].name);
		} else {
			printf("# FAIL: %s\nnot ok %zu %s\n", why, i + 1,
			       cases[i].name);
			fails++;
		}
	}
	printf("# %s: %d of %zu failed\n", fails ? "FAIL" : "PASS", fails, n);
	return fails ? 1 : 0;
}

#endif /* KMQTT_HARDENING_LIB_H */
