// SPDX-License-Identifier: GPL-2.0
/*
 * kmqtt load generator: MQTT 3.1.1 benchmark scenarios in the style of
 * emqtt-bench and the open MQTT benchmark suites.
 *
 *   fanin    P publishers on their own topics, S (=1) subscribers on a wildcard
 *   fanout   P (=1) publishers on one topic, S subscribers on it
 *   pairs    N publisher -> subscriber pairs, one topic each
 *   latency  pairs at a fixed, non-saturating rate (default 1 pair, 1000 msg/s)
 *   storm    C idle connections: connects per second (memory: see --hook)
 *
 * Every payload starts with a 24-byte header (magic, publisher id, sequence
 * number, CLOCK_MONOTONIC send time) so that each subscriber counts lost,
 * duplicated and out-of-order messages per publisher, and latency.  Output:
 * one JSON line on stdout, one human line on stderr.  Exit status 0 when the
 * run is valid (no loss at QoS 1/2, no protocol or connection errors).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include "lg.h"

static void die(const char *msg)
{
	fprintf(stderr, "loadgen: %s\n", msg);
	exit(2);
}

static void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz);

	if (!p)
		die("out of memory");
	return p;
}

static void sleep_until(uint64_t t)
{
	struct timespec ts = {
		.tv_sec = (time_t)(t / 1000000000ull),
		.tv_nsec = (long)(t % 1000000000ull),
	};

	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void sleep_s(double s)
{
	sleep_until(lg_now() + (uint64_t)(s * 1e9));
}

static int load_phase(struct lg_run *r)
{
	return __atomic_load_n(&r->phase, __ATOMIC_ACQUIRE);
}

static void set_phase(struct lg_run *r, int ph)
{
	__atomic_store_n(&r->phase, ph, __ATOMIC_RELEASE);
}

/* ---- worker threads ---- */

/*
 * Paced publishing: publisher i of P has sent its k-th message once
 * (now - t0) * rate/P + i/P >= k, so the publishers are spread evenly over
 * time.  Sends what is due and returns when this thread next has a message
 * due (publishers blocked by a full QoS 1/2 window are woken by their acks).
 */
static uint64_t pace(struct lg_thread *t)
{
	struct lg_run *r = t->run;
	double el = (double)(t->now - r->t0) / 1e9;
	uint64_t next = UINT64_MAX;
	int i;

	for (i = 0; i < t->npubs; i++) {
		struct lg_conn *c = t->pubs[i];
		uint64_t due = (uint64_t)(el * r->rate_pp + c->phase_off), nd;

		if (c->state != CS_READY)
			continue;
		if (due > c->sent)
			lg_pub_fill(t, c, due - c->sent > 4096 ? 4096 : due - c->sent);
		if (c->state != CS_READY ||
		    (r->o.qos && c->inflight >= (uint32_t)r->o.inflight))
			continue;
		if (c->sent < due) {		/* behind: the socket is full */
			next = t->now;
			continue;
		}
		nd = r->t0 + (uint64_t)(((double)c->sent + 1 - c->phase_off) / r->rate_pp * 1e9);
		if (nd < next)
			next = nd;
	}
	return next;
}

static void housekeeping(struct lg_thread *t)
{
	uint64_t idle = (uint64_t)t->run->o.keepalive * 500000000ull;	/* half */
	int i;

	if (!idle)
		return;

	for (i = 0; i < t->nconns; i++) {
		struct lg_conn *c = t->conns[i];

		if (c->state == CS_READY && t->now - c->last_tx > idle && c->pings < 2)
			lg_conn_ping(t, c);
	}
}

static void on_phase(struct lg_thread *t, int ph)
{
	struct lg_run *r = t->run;
	int i;

	t->phase = ph;
	if (ph == PH_RUN && r->o.rate <= 0) {
		for (i = 0; i < t->npubs; i++)
			lg_pub_fill(t, t->pubs[i], UINT64_MAX);
	}
	if (ph == PH_DRAIN) {
		for (i = 0; i < t->npubs; i++)
			lg_conn_update_events(t, t->pubs[i]);
	}
	if (ph == PH_CLOSE) {
		for (i = 0; i < t->nconns; i++)
			lg_conn_close(t, t->conns[i], true);
	}
	__atomic_store_n(&t->phase_ack, ph, __ATOMIC_RELEASE);
}

static void *worker(void *arg)
{
	struct lg_thread *t = arg;
	struct lg_run *r = t->run;
	struct epoll_event evs[256];
	bool paced = r->o.rate > 0;
	uint64_t tick_ns = (uint64_t)r->o.tick_us * 1000ull, next_pace = 0;
	int ph;

	while ((ph = load_phase(r)) == PH_INIT)
		sleep_s(0.001);
	for (;;) {
		uint64_t wake;
		struct timespec ts;
		int n, i;

		t->now = lg_now();
		ph = load_phase(r);
		if (ph != t->phase) {
			on_phase(t, ph);
			if (ph == PH_CLOSE)
				break;
		}
		while (t->phase == PH_SETUP && t->connecting < t->conc &&
		       t->next_connect < t->nconns)
			lg_conn_start(t, t->conns[t->next_connect++]);
		if (paced && t->phase == PH_RUN && (t->repace || t->now >= next_pace)) {
			uint64_t nd = pace(t);

			t->repace = false;
			/* wake at most once a tick: sends are batched per tick */
			next_pace = nd > t->now + tick_ns ? nd : t->now + tick_ns;
		}
		/* phase changes are noticed within 20 ms; pacing sets its own time */
		wake = t->now + 20000000ull;
		if (paced && t->phase == PH_RUN && next_pace < wake)
			wake = next_pace;
		wake = wake > t->now ? wake - t->now : 0;
		ts.tv_sec = (time_t)(wake / 1000000000ull);
		ts.tv_nsec = (long)(wake % 1000000000ull);
		n = epoll_pwait2(t->ep, evs, 256, &ts, NULL);
		t->now = lg_now();
		for (i = 0; i < n; i++)
			lg_conn_event(t, evs[i].data.ptr, evs[i].events);
		if (t->now - t->last_house > 1000000000ull) {
			t->last_house = t->now;
			housekeeping(t);
		}
	}
	return NULL;
}

/* ---- one run ---- */

static void resolve(struct lg_run *r)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai;
	char port[16];
	int err;

	snprintf(port, sizeof(port), "%d", r->o.port);
	err = getaddrinfo(r->o.host, port, &hints, &ai);
	if (err) {
		fprintf(stderr, "loadgen: %s: %s\n", r->o.host, gai_strerror(err));
		exit(2);
	}
	memcpy(&r->addr, ai->ai_addr, ai->ai_addrlen);
	r->addrlen = ai->ai_addrlen;
	freeaddrinfo(ai);
}

static struct lg_run *run_new(const struct lg_opts *o)
{
	struct lg_run *r = xcalloc(1, sizeof(*r));
	int i, k = 0, T;

	r->o = *o;
	resolve(r);
	r->runid = (uint32_t)getpid() * 2654435761u ^ (uint32_t)lg_now();
	if (o->scenario == SC_STORM) {
		r->nidle = o->conns;
	} else {
		r->npubs = o->pubs;
		r->nsubs = o->subs;
	}
	r->nconns = r->npubs + r->nsubs + r->nidle;
	r->conns = xcalloc((size_t)r->nconns, sizeof(*r->conns));
	r->pubs = xcalloc((size_t)r->npubs, sizeof(*r->pubs));
	r->subs = xcalloc((size_t)r->nsubs, sizeof(*r->subs));
	r->rate_pp = o->rate > 0 && r->npubs ? o->rate / r->npubs : 0;
	T = o->threads;
	r->th = xcalloc((size_t)T, sizeof(*r->th));
	for (i = 0; i < T; i++) {
		struct lg_thread *t = &r->th[i];
		t->id = i;
		t->run = r;
		t->phase = PH_INIT;
		t->conns = xcalloc((size_t)r->nconns, sizeof(*t->conns));
		t->pubs = xcalloc((size_t)r->npubs, sizeof(*t->pubs));
		t->scratch = xcalloc(1, LG_SCRATCH);
		t->conc = (o->conc + T - 1) / T;
		t->ep = epoll_create1(EPOLL_CLOEXEC);
		if (t->ep < 0)
			die("epoll_create1");
	}
	/* subscribers first so that they are spread over the threads too */
	for (i = 0; i < r->nconns; i++) {
		struct lg_conn *c = &r->conns[i];
		struct lg_thread *t = &r->th[k++ % T];

		c->fd = -1;
		c->th = t;
		if (i < r->nsubs) {
			c->role = ROLE_SUB;
			c->idx = i;
			r->subs[i] = c;
			c->tracks = xcalloc((size_t)(r->npubs ? r->npubs : 1), sizeof(*c->tracks));
			c->rel_bits = xcalloc(1, 65536 / 8);
			snprintf(c->cid, sizeof(c->cid), "lg%08x-%d-s%d", r->runid, o->trial, i);
			if (o->scenario == SC_FANIN)
				snprintf(c->filter, sizeof(c->filter), "bench/%08x/in/+", r->runid);
			else if (o->scenario == SC_FANOUT)
				snprintf(c->filter, sizeof(c->filter), "bench/%08x/out", r->runid);
			else
				snprintf(c->filter, sizeof(c->filter), "bench/%08x/pair/%d", r->runid, i);
		} else if (i < r->nsubs + r->npubs) {
			int p = i - r->nsubs;

			c->role = ROLE_PUB;
			c->idx = p;
			r->pubs[p] = c;
			c->pid_state = xcalloc(1, 65536);
			c->phase_off = r->npubs > 1 ? (double)p / r->npubs : 0;
			snprintf(c->cid, sizeof(c->cid), "lg%08x-%d-p%d", r->runid, o->trial, p);
			if (o->scenario == SC_FANIN)
				c->topic_len = snprintf(c->topic, sizeof(c->topic),
							"bench/%08x/in/%d", r->runid, p);
			else if (o->scenario == SC_FANOUT)
				c->topic_len = snprintf(c->topic, sizeof(c->topic),
							"bench/%08x/out", r->runid);
			else
				c->topic_len = snprintf(c->topic, sizeof(c->topic),
							"bench/%08x/pair/%d", r->runid, p);
			t->pubs[t->npubs++] = c;
		} else {
			c->role = ROLE_IDLE;
			c->idx = i - r->nsubs - r->npubs;
			snprintf(c->cid, sizeof(c->cid), "lg%08x-%d-c%d", r->runid, o->trial, c->idx);
		}
		t->conns[t->nconns++] = c;
	}
	return r;
}

static void run_free(struct lg_run *r)
{
	int i, j;

	for (i = 0; i < r->nconns; i++) {
		struct lg_conn *c = &r->conns[i];

		if (c->tracks)
			for (j = 0; j < (r->npubs ? r->npubs : 1); j++)
				lg_track_free(&c->tracks[j]);
		free(c->tracks);
		free(c->rel_bits);
		free(c->pid_state);
		free(c->rbuf);
		free(c->wbuf);
	}
	for (i = 0; i < r->o.threads; i++) {
		close(r->th[i].ep);
		free(r->th[i].conns);
		free(r->th[i].pubs);
		free(r->th[i].scratch);
	}
	free(r->th);
	free(r->conns);
	free(r->pubs);
	free(r->subs);
	free(r);
}

static uint64_t sum_counter(struct lg_run *r, size_t off)
{
	uint64_t s = 0;
	int i;

	for (i = 0; i < r->o.threads; i++)
		s += lg_load((uint64_t *)((char *)&r->th[i].c + off));
	return s;
}

#define SUM(r, f) sum_counter(r, offsetof(struct lg_counters, f))

static bool all_acked(struct lg_run *r, int ph)
{
	int i;

	for (i = 0; i < r->o.threads; i++)
		if (__atomic_load_n(&r->th[i].phase_ack, __ATOMIC_ACQUIRE) != ph)
			return false;
	return true;
}

static uint64_t expected_now(struct lg_run *r)
{
	uint64_t e = 0;
	int p, s;

	for (p = 0; p < r->npubs; p++) {
		uint64_t sent = __atomic_load_n(&r->pubs[p]->sent, __ATOMIC_ACQUIRE);

		for (s = 0; s < r->nsubs; s++)
			if (lg_sub_matches(r, s, p))
				e += sent;
	}
	return e;
}

static void run_hook(const struct lg_opts *o, const char *phase)
{
	char cmd[1024], pid[32];
	int rc;

	if (!o->hook)
		return;
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("LOADGEN_PID", pid, 1);
	snprintf(cmd, sizeof(cmd), "%s %s", o->hook, phase);
	rc = system(cmd);
	if (rc != 0)
		fprintf(stderr, "loadgen: hook '%s' returned %d\n", cmd, rc);
}

static void __attribute__((format(printf, 2, 3)))
add_reason(struct lg_result *res, const char *fmt, ...)
{
	size_t l = strlen(res->reasons);
	char tmp[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	snprintf(res->reasons + l, sizeof(res->reasons) - l, "%s%s", l ? "; " : "", tmp);
	res->ok = false;
}

/* Wait for deliveries and acknowledgements to settle after publishing stops. */
static void drain(struct lg_run *r)
{
	uint64_t start = lg_now(), last_change = start;
	uint64_t prev[3] = { UINT64_MAX, UINT64_MAX, UINT64_MAX };

	while (!all_acked(r, PH_DRAIN))
		sleep_s(0.001);
	for (;;) {
		uint64_t now = lg_now();
		uint64_t cur[3] = {
			SUM(r, deliv_total) + SUM(r, corrupt) + SUM(r, foreign),
			SUM(r, inflight), SUM(r, rel_pending)
		};

		if (SUM(r, unique_total) >= expected_now(r) && !cur[1] && !cur[2])
			return;
		if (memcmp(cur, prev, sizeof(cur))) {
			memcpy(prev, cur, sizeof(cur));
			last_change = now;
		}
		if ((double)(now - last_change) / 1e9 > r->o.drain_idle ||
		    (double)(now - start) / 1e9 > r->o.drain_timeout)
			return;
		sleep_s(0.005);
	}
}

static void collect(struct lg_run *r, struct lg_result *res)
{
	int i, p, s;

	for (i = 0; i < r->o.threads; i++) {
		const struct lg_counters *c = &r->th[i].c;
		uint64_t *d = (uint64_t *)&res->c;
		const uint64_t *sp = (const uint64_t *)c;
		size_t k;

		for (k = 0; k < sizeof(*c) / sizeof(uint64_t); k++)
			d[k] += sp[k];
		lg_hist_merge(res->lat, &r->th[i].lat);
		lg_hist_merge(res->clat, &r->th[i].clat);
	}
	res->pub_window = res->c.pub_window;
	res->deliv_window = res->c.deliv_window;
	res->pub_total = res->c.pub_total;
	res->deliv_total = res->c.deliv_total;
	res->connected = res->c.ready;
	for (p = 0; p < r->npubs; p++) {
		struct lg_conn *pc = r->pubs[p];

		res->unacked += pc->inflight;
		for (s = 0; s < r->nsubs; s++) {
			struct lg_track *tr = &r->subs[s]->tracks[p];
			uint64_t want;

			if (!lg_sub_matches(r, s, p))
				continue;
			res->expected += pc->sent;
			res->unique += tr->unique;
			res->dups += tr->dups;
			res->ooo += tr->ooo;
			want = pc->sent - pc->inflight;
			if (want > tr->unique)
				res->lost += want - tr->unique;
		}
	}
}

static void judge(const struct lg_opts *o, struct lg_result *res)
{
	const struct lg_counters *c = &res->c;

	if (c->failed)
		add_reason(res, "%llu connections failed", (unsigned long long)c->failed);
	if (o->scenario == SC_STORM)
		return;
	if (o->qos && res->lost)
		add_reason(res, "%llu messages lost", (unsigned long long)res->lost);
	if (o->qos && res->unacked)
		add_reason(res, "%llu publishes never acknowledged", (unsigned long long)res->unacked);
	if (o->qos == 2 && res->dups)
		add_reason(res, "%llu duplicates at QoS 2", (unsigned long long)res->dups);
	if (c->proto_err)
		add_reason(res, "%llu protocol errors", (unsigned long long)c->proto_err);
	if (c->conn_err)
		add_reason(res, "%llu connections dropped", (unsigned long long)c->conn_err);
	if (c->corrupt)
		add_reason(res, "%llu corrupt payloads", (unsigned long long)c->corrupt);
	if (c->qos_mismatch)
		add_reason(res, "%llu deliveries at the wrong QoS", (unsigned long long)c->qos_mismatch);
	if (c->qos2_redeliver && o->qos == 2)
		add_reason(res, "%llu QoS 2 redeliveries", (unsigned long long)c->qos2_redeliver);
	if (!res->deliv_window)
		add_reason(res, "nothing delivered in the window");
}

static void run_trial(const struct lg_opts *o, struct lg_result *res)
{
	struct lg_run *r = run_new(o);
	uint64_t t_setup0, deadline;
	int i;

	memset(res, 0, sizeof(*res));
	res->ok = true;
	res->rate_target = o->rate;
	res->lat = xcalloc(1, sizeof(*res->lat));
	res->clat = xcalloc(1, sizeof(*res->clat));
	for (i = 0; i < o->threads; i++)
		if (pthread_create(&r->th[i].tid, NULL, worker, &r->th[i]))
			die("pthread_create");
	if (o->scenario == SC_STORM)
		run_hook(o, "baseline");

	if (o->scenario == SC_STORM)
		lg_cpu_sample(&res->cpu0, o->broker_pid);
	t_setup0 = lg_now();
	deadline = t_setup0 + (uint64_t)(o->setup_timeout * 1e9);
	set_phase(r, PH_SETUP);
	while (SUM(r, ready) + SUM(r, failed) < (uint64_t)r->nconns && lg_now() < deadline)
		sleep_s(0.002);
	res->setup_s = (double)(lg_now() - t_setup0) / 1e9;
	if (SUM(r, ready) + SUM(r, failed) < (uint64_t)r->nconns)
		add_reason(res, "setup timed out, %llu connections not ready",
			   (unsigned long long)(r->nconns - SUM(r, ready) - SUM(r, failed)));

	if (o->scenario == SC_STORM) {
		/* CPU of the storm itself: first connect() to last CONNACK */
		lg_cpu_sample(&res->cpu1, o->broker_pid);
		run_hook(o, "loaded");
		if (o->hold > 0)
			sleep_s(o->hold);
	} else if (res->ok) {
		r->t0 = lg_now();
		r->win_start = r->t0 + (uint64_t)(o->warmup * 1e9);
		r->win_end = r->win_start + (uint64_t)(o->duration * 1e9);
		set_phase(r, PH_RUN);
		sleep_until(r->win_start);
		lg_cpu_sample(&res->cpu0, o->broker_pid);
		sleep_until(r->win_end);
		lg_cpu_sample(&res->cpu1, o->broker_pid);
		res->win_s = (double)(r->win_end - r->win_start) / 1e9;
		set_phase(r, PH_DRAIN);
		drain(r);
	}
	set_phase(r, PH_CLOSE);
	for (i = 0; i < o->threads; i++)
		pthread_join(r->th[i].tid, NULL);
	collect(r, res);
	judge(o, res);
	run_free(r);
}

static void result_free(struct lg_result *res)
{
	free(res->lat);
	free(res->clat);
	res->lat = res->clat = NULL;
}

/* ---- highest paced rate without loss ---- */

static double per_msg_deliveries(const struct lg_opts *o)
{
	return o->scenario == SC_FANOUT ? o->subs : o->scenario == SC_FANIN ? o->subs : 1;
}

static bool trial_pass(const struct lg_opts *o, const struct lg_result *res)
{
	double want = o->rate * per_msg_deliveries(o) * res->win_s * o->sustain;

	return res->ok && !res->lost && (double)res->deliv_window >= want;
}

/* Between trials: wait (at most 30 s) until the machine is idle again, so that a
 * broker's leftover backlog from an overloaded trial is not charged to the next. */
static bool settle(double max_s)
{
	double tck = (double)sysconf(_SC_CLK_TCK);
	uint64_t end = lg_now() + (uint64_t)(max_s * 1e9);
	struct lg_cpu a, b;

	do {
		lg_cpu_sample(&a, 0);
		sleep_s(0.3);
		lg_cpu_sample(&b, 0);
		if (b.ncpu && (double)(b.idle_ticks - a.idle_ticks) / tck >=
		    0.85 * b.ncpu * (double)(b.mono_ns - a.mono_ns) / 1e9)
			return true;
	} while (lg_now() < end);
	return false;
}

static int find_max_rate(struct lg_opts *o)
{
	struct lg_result best = { 0 }, res;
	double lo = 0, hi = 0, rate = o->rate_start;
	char extra[4096], *e = extra;
	size_t left = sizeof(extra);
	int n = 0, bisect = 0;

	e += snprintf(e, left, "\"search\":[");
	left = sizeof(extra) - (size_t)(e - extra);
	for (;;) {
		bool pass;

		o->rate = rate;
		o->trial = n;
		if (n && o->settle > 0)
			settle(o->settle);
		run_trial(o, &res);
		pass = trial_pass(o, &res);
		if (!o->quiet) {
			fprintf(stderr, "search trial %d at %.0f msg/s: %s; ", n, rate,
				pass ? "pass" : "fail");
			lg_result_human(stderr, o, &res);
		}
		if (left > 100) {
			int w = snprintf(e, left, "%s{\"rate\":%.0f,\"pass\":%s,\"delivered_per_s\":%.1f,"
					 "\"lost\":%llu}", n ? "," : "", rate, pass ? "true" : "false",
					 res.win_s > 0 ? (double)res.deliv_window / res.win_s : 0,
					 (unsigned long long)res.lost);
			e += w;
			left -= (size_t)w;
		}
		n++;
		if (pass) {
			result_free(&best);
			best = res;
			lo = rate;
		} else {
			result_free(&res);
			hi = rate;
		}
		if (!hi) {
			if (rate >= o->rate_max)
				break;
			rate = fmin(rate * 2, o->rate_max);
			continue;
		}
		if (!lo) {
			if (rate / 2 < 10)
				break;
			rate /= 2;
			continue;
		}
		/* bracketed: bisect, to within 4 % or search_steps steps */
		if (hi - lo <= lo * 0.04 || bisect++ >= o->search_steps)
			break;
		rate = floor((lo + hi) / 2);
	}
	snprintf(e, left, "],\"max_rate\":%.0f", lo);
	o->rate = lo;
	if (!lo) {
		memset(&best, 0, sizeof(best));
		snprintf(best.reasons, sizeof(best.reasons), "no rate passed");
	}
	best.rate_target = lo;
	lg_result_json(stdout, o, &best, extra);
	if (!o->quiet)
		fprintf(stderr, "highest rate with zero loss: %.0f msg/s published\n", lo);
	result_free(&best);
	return lo > 0 ? 0 : 1;
}

/* ---- options ---- */

static void usage(FILE *f)
{
	fprintf(f,
"usage: loadgen -s SCENARIO [options]\n"
"  -s, --scenario fanin|fanout|pairs|latency|storm\n"
"  -q, --qos 0|1|2                 publish and subscribe QoS (default 0)\n"
"  -m, --payload BYTES             payload size, >= 24 (default 64)\n"
"  -d, --duration S                measurement window (default 10)\n"
"  -w, --warmup S                  warm-up before the window (default 2)\n"
"  -r, --rate MSG/S                total paced publish rate; 0 = unpaced (default)\n"
"  -P, --pubs N                    publishers (fanin 16, fanout 1, pairs 16, latency 1)\n"
"  -S, --subs N                    subscribers (fanin 1, fanout 32; pairs: = pubs)\n"
"  -n, --pairs N                   pairs/latency: number of pairs\n"
"  -C, --conns N                   storm: connections (default 2000)\n"
"  -t, --threads N                 worker threads, one epoll each (default 1)\n"
"  -i, --inflight N                QoS 1/2 window per publisher (default 20)\n"
"  -H, --host HOST  -p, --port N   broker (default 127.0.0.1:1883)\n"
"  -k, --keepalive S               MQTT keep-alive (default 60)\n"
"      --conc N                    handshakes in progress at once (default 100)\n"
"      --hold S                    storm: keep the connections S seconds\n"
"      --hook CMD                  storm: run 'CMD baseline' before connecting and\n"
"                                  'CMD loaded' when all are connected ($LOADGEN_PID)\n"
"      --broker-pid PID            also account PID's CPU time (schedstat)\n"
"      --find-max-rate             search the highest paced rate with zero loss\n"
"      --rate-start R --rate-max R --search-steps N --sustain F (0.95)\n"
"      --drain-timeout S (QoS 0: 3, else 10) --drain-idle S (2) --setup-timeout S (60)\n"
"      --tick-us US                pacing tick (default 1000)\n"
"      --settle S                  search: wait up to S s for an idle machine between\n"
"                                  trials (default 30; 0 = no wait)\n"
"      --label TEXT                copied into the JSON line\n"
"  loadgen --wait-idle S           only wait (at most S s) until the machine is idle\n"
"                                  (< 15 %% busy over 0.3 s); exit 1 if it never is\n"
"      --quiet                     no human line\n");
}

static enum lg_scenario parse_scenario(const char *s)
{
	static const char *const names[] = { "fanin", "fanout", "pairs", "latency", "storm" };
	int i;

	for (i = 0; i < 5; i++)
		if (!strcmp(s, names[i]))
			return (enum lg_scenario)i;
	fprintf(stderr, "loadgen: unknown scenario '%s'\n", s);
	exit(2);
}

enum {
	OPT_CONC = 1000, OPT_HOLD, OPT_HOOK, OPT_BPID, OPT_FIND, OPT_RSTART,
	OPT_RMAX, OPT_STEPS, OPT_SUSTAIN, OPT_DTIMEOUT, OPT_DIDLE, OPT_STIMEOUT,
	OPT_TICK, OPT_LABEL, OPT_QUIET, OPT_SETTLE, OPT_WAIT_IDLE,
};

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "scenario", 1, NULL, 's' }, { "qos", 1, NULL, 'q' },
		{ "payload", 1, NULL, 'm' }, { "duration", 1, NULL, 'd' },
		{ "warmup", 1, NULL, 'w' }, { "rate", 1, NULL, 'r' },
		{ "pubs", 1, NULL, 'P' }, { "subs", 1, NULL, 'S' },
		{ "pairs", 1, NULL, 'n' }, { "conns", 1, NULL, 'C' },
		{ "threads", 1, NULL, 't' }, { "inflight", 1, NULL, 'i' },
		{ "host", 1, NULL, 'H' }, { "port", 1, NULL, 'p' },
		{ "keepalive", 1, NULL, 'k' }, { "conc", 1, NULL, OPT_CONC },
		{ "hold", 1, NULL, OPT_HOLD }, { "hook", 1, NULL, OPT_HOOK },
		{ "broker-pid", 1, NULL, OPT_BPID }, { "find-max-rate", 0, NULL, OPT_FIND },
		{ "rate-start", 1, NULL, OPT_RSTART }, { "rate-max", 1, NULL, OPT_RMAX },
		{ "search-steps", 1, NULL, OPT_STEPS }, { "sustain", 1, NULL, OPT_SUSTAIN },
		{ "drain-timeout", 1, NULL, OPT_DTIMEOUT }, { "drain-idle", 1, NULL, OPT_DIDLE },
		{ "setup-timeout", 1, NULL, OPT_STIMEOUT }, { "tick-us", 1, NULL, OPT_TICK },
		{ "label", 1, NULL, OPT_LABEL }, { "quiet", 0, NULL, OPT_QUIET },
		{ "settle", 1, NULL, OPT_SETTLE }, { "wait-idle", 1, NULL, OPT_WAIT_IDLE },
		{ "help", 0, NULL, 'h' }, { NULL, 0, NULL, 0 }
	};
	struct lg_opts o = {
		.qos = 0, .payload = 64, .duration = 10, .warmup = 2,
		.drain_timeout = -1, .drain_idle = 2, .setup_timeout = 60,
		.pubs = -1, .subs = -1, .conns = 2000, .threads = 1, .inflight = 20,
		.keepalive = 60, .host = "127.0.0.1", .port = 1883, .conc = 100,
		.rate = -1, .rate_start = 1000, .rate_max = 1e6, .search_steps = 5,
		.sustain = 0.95, .tick_us = 1000, .settle = 30,
	};
	struct lg_result res;
	bool have_scn = false;
	double wait_idle = 0;
	int pairs = -1, opt;
	struct rlimit rl;

	while ((opt = getopt_long(argc, argv, "s:q:m:d:w:r:P:S:n:C:t:i:H:p:k:h", lo, NULL)) != -1) {
		switch (opt) {
		case 's': o.scenario = parse_scenario(optarg); have_scn = true; break;
		case 'q': o.qos = atoi(optarg); break;
		case 'm': o.payload = atoi(optarg); break;
		case 'd': o.duration = atof(optarg); break;
		case 'w': o.warmup = atof(optarg); break;
		case 'r': o.rate = atof(optarg); break;
		case 'P': o.pubs = atoi(optarg); break;
		case 'S': o.subs = atoi(optarg); break;
		case 'n': pairs = atoi(optarg); break;
		case 'C': o.conns = atoi(optarg); break;
		case 't': o.threads = atoi(optarg); break;
		case 'i': o.inflight = atoi(optarg); break;
		case 'H': o.host = optarg; break;
		case 'p': o.port = atoi(optarg); break;
		case 'k': o.keepalive = atoi(optarg); break;
		case OPT_CONC: o.conc = atoi(optarg); break;
		case OPT_HOLD: o.hold = atof(optarg); break;
		case OPT_HOOK: o.hook = optarg; break;
		case OPT_BPID: o.broker_pid = atoi(optarg); break;
		case OPT_FIND: o.find_max = 1; break;
		case OPT_RSTART: o.rate_start = atof(optarg); break;
		case OPT_RMAX: o.rate_max = atof(optarg); break;
		case OPT_STEPS: o.search_steps = atoi(optarg); break;
		case OPT_SUSTAIN: o.sustain = atof(optarg); break;
		case OPT_DTIMEOUT: o.drain_timeout = atof(optarg); break;
		case OPT_DIDLE: o.drain_idle = atof(optarg); break;
		case OPT_STIMEOUT: o.setup_timeout = atof(optarg); break;
		case OPT_TICK: o.tick_us = atoi(optarg); break;
		case OPT_LABEL: o.label = optarg; break;
		case OPT_QUIET: o.quiet = 1; break;
		case OPT_SETTLE: o.settle = atof(optarg); break;
		case OPT_WAIT_IDLE: wait_idle = atof(optarg); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (wait_idle > 0)	/* no forks: this is cheap even under TCG */
		return settle(wait_idle) ? 0 : 1;
	if (!have_scn) {
		usage(stderr);
		return 2;
	}
	switch (o.scenario) {
	case SC_FANIN:
		o.pubs = o.pubs < 0 ? 16 : o.pubs;
		o.subs = o.subs < 0 ? 1 : o.subs;
		break;
	case SC_FANOUT:
		o.pubs = o.pubs < 0 ? 1 : o.pubs;
		o.subs = o.subs < 0 ? 32 : o.subs;
		break;
	case SC_PAIRS:
	case SC_LATENCY:
		if (pairs < 0)
			pairs = o.pubs >= 0 ? o.pubs : o.scenario == SC_PAIRS ? 16 : 1;
		o.pubs = o.subs = pairs;
		if (o.scenario == SC_LATENCY && o.rate < 0)
			o.rate = 1000;
		break;
	case SC_STORM:
		o.pubs = o.subs = 0;
		break;
	}
	if (o.rate < 0)
		o.rate = 0;
	if (o.drain_timeout < 0)	/* QoS 0 losses are allowed: do not wait long */
		o.drain_timeout = o.qos ? 10 : 3;
	if (o.scenario != SC_STORM)
		o.conns = o.pubs + o.subs;
	if (o.qos < 0 || o.qos > 2 || o.payload < LG_HDR || o.payload > (1 << 20) ||
	    o.threads < 1 || o.threads > 64 || o.inflight < 1 || o.inflight > 65000 ||
	    o.pubs < 0 || o.subs < 0 || o.conns < 1 || o.duration <= 0 || o.warmup < 0 ||
	    o.keepalive < 0 || o.keepalive > 65535 || o.conc < 1 || o.tick_us < 50 ||
	    (o.scenario != SC_STORM && (!o.pubs || !o.subs)))
		die("bad option value (see --help)");
	if (o.find_max && o.scenario == SC_STORM)
		die("--find-max-rate needs a publishing scenario");

	/* thousands of sockets */
	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);

	if (o.find_max)
		return find_max_rate(&o);
	run_trial(&o, &res);
	lg_result_json(stdout, &o, &res, NULL);
	if (!o.quiet)
		lg_result_human(stderr, &o, &res);
	result_free(&res);
	return res.ok ? 0 : 1;
}
