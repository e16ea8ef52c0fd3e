// SPDX-License-Identifier: GPL-2.0
/*
 * kmqtt load generator: latency histograms, per publisher sequence checks,
 * CPU accounting and result output.
 *
 * CPU: under TCG the tick-sampled user/system fields of /proc/stat are
 * badly wrong, but idle and iowait come from NO_HZ accounting and are
 * exact, so busy = CPUs x wall - (idle + iowait).  Our own CPU time is
 * CLOCK_PROCESS_CPUTIME_ID (the sum of our threads' schedstat runtime), the
 * broker's is the sum of the schedstat files of its threads when a pid is given.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "lg.h"

/* ---- histogram ---- */

static unsigned int hist_idx(uint64_t v)
{
	unsigned int e;

	if (v < LG_HIST_SUB)
		return (unsigned int)v;
	e = 63u - (unsigned int)__builtin_clzll(v);	/* >= 6 */
	return (e - 5) * LG_HIST_SUB + (unsigned int)((v >> (e - 6)) & (LG_HIST_SUB - 1));
}

static uint64_t hist_val(unsigned int i)
{
	unsigned int e, sub;
	uint64_t lo;

	if (i < LG_HIST_SUB)
		return i;
	e = i / LG_HIST_SUB + 5;
	sub = i % LG_HIST_SUB;
	lo = (uint64_t)(LG_HIST_SUB + sub) << (e - 6);
	return lo + ((1ull << (e - 6)) >> 1);	/* middle of the bucket */
}

void lg_hist_add(struct lg_hist *h, uint64_t v)
{
	h->b[hist_idx(v)]++;
	h->n++;
	h->sum += v;
	if (v > h->max)
		h->max = v;
}

void lg_hist_merge(struct lg_hist *dst, const struct lg_hist *src)
{
	unsigned int i;

	for (i = 0; i < LG_HIST_N; i++)
		dst->b[i] += src->b[i];
	dst->n += src->n;
	dst->sum += src->sum;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t lg_hist_pct(const struct lg_hist *h, double pct)
{
	uint64_t want, seen = 0;
	unsigned int i;

	if (!h->n)
		return 0;
	want = (uint64_t)(pct / 100.0 * (double)h->n + 0.5);
	if (want < 1)
		want = 1;
	for (i = 0; i < LG_HIST_N; i++) {
		seen += h->b[i];
		if (seen >= want) {
			uint64_t v = hist_val(i);

			return v > h->max ? h->max : v;
		}
	}
	return h->max;
}

/* ---- sequence tracking: lost, duplicated, out of order ---- */

void lg_track_add(struct lg_thread *t, struct lg_track *tr, uint64_t seq)
{
	uint64_t w = seq >> 6, bit = 1ull << (seq & 63);

	if (seq >= tr->nbits) {
		uint64_t nb = tr->nbits ? tr->nbits : 4096;

		while (nb <= seq)
			nb *= 2;
		tr->bits = realloc(tr->bits, nb / 8);
		if (!tr->bits) {
			perror("loadgen: realloc");
			exit(2);
		}
		memset((uint8_t *)tr->bits + tr->nbits / 8, 0, (nb - tr->nbits) / 8);
		tr->nbits = nb;
	}
	if (tr->bits[w] & bit) {
		tr->dups++;
		return;
	}
	tr->bits[w] |= bit;
	tr->unique++;
	LG_INC(t, unique_total);
	if (tr->any && seq < tr->max_seen)
		tr->ooo++;
	if (!tr->any || seq > tr->max_seen)
		tr->max_seen = seq;
	tr->any = true;
}

void lg_track_free(struct lg_track *tr)
{
	free(tr->bits);
	tr->bits = NULL;
	tr->nbits = 0;
}

/* ---- CPU ---- */

static uint64_t task_schedstat_ns(int pid)
{
	char path[64], line[128];
	struct dirent *de;
	uint64_t sum = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return UINT64_MAX;
	while ((de = readdir(d))) {
		FILE *f;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%.16s/schedstat", pid,
			 de->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(line, sizeof(line), f))
			sum += strtoull(line, NULL, 10);
		fclose(f);
	}
	closedir(d);
	return sum;
}

void lg_cpu_sample(struct lg_cpu *s, int broker_pid)
{
	char line[512];
	struct timespec ts;
	FILE *f;

	memset(s, 0, sizeof(*s));
	f = fopen("/proc/stat", "r");
	if (f) {
		while (fgets(line, sizeof(line), f)) {
			unsigned long long v[10] = { 0 };

			if (!strncmp(line, "cpu ", 4)) {
				sscanf(line + 4, "%llu %llu %llu %llu %llu %llu %llu %llu",
				       &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
				s->idle_ticks = v[3] + v[4];
				s->busy_ticks = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
			} else if (!strncmp(line, "cpu", 3) && line[3] >= '0' && line[3] <= '9') {
				s->ncpu++;
			}
		}
		fclose(f);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	s->self_ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (broker_pid > 0) {
		s->broker_ns = task_schedstat_ns(broker_pid);
		s->broker_ok = s->broker_ns != UINT64_MAX;
	}
	s->mono_ns = lg_now();
}

/* ---- output ---- */

const char *lg_scenario_name(enum lg_scenario s)
{
	static const char *const names[] = { "fanin", "fanout", "pairs", "latency", "storm" };

	return names[s];
}

static double us(uint64_t ns)
{
	return (double)ns / 1000.0;
}

void lg_result_json(FILE *f, const struct lg_opts *o, const struct lg_result *r,
		    const char *extra)
{
	const struct lg_counters *c = &r->c;
	double tck = (double)sysconf(_SC_CLK_TCK);
	double wall = (double)(r->cpu1.mono_ns - r->cpu0.mono_ns) / 1e9;
	double idle = (double)(r->cpu1.idle_ticks - r->cpu0.idle_ticks) / tck;
	double busy = r->cpu1.ncpu * wall - idle;
	double self = (double)(r->cpu1.self_ns - r->cpu0.self_ns) / 1e9;
	double dps = r->win_s > 0 ? (double)r->deliv_window / r->win_s : 0;

	fprintf(f, "{\"tool\":\"kmqtt-loadgen\",\"version\":1");
	fprintf(f, ",\"label\":\"%s\",\"scenario\":\"%s\",\"qos\":%d,\"payload\":%d",
		o->label ? o->label : "", lg_scenario_name(o->scenario), o->qos, o->payload);
	fprintf(f, ",\"pubs\":%d,\"subs\":%d,\"conns\":%d,\"threads\":%d,\"inflight\":%d",
		o->pubs, o->subs, o->conns, o->threads, o->inflight);
	fprintf(f, ",\"rate_target\":%.1f,\"warmup_s\":%.3f,\"duration_s\":%.3f",
		r->rate_target, o->warmup, o->duration);
	fprintf(f, ",\"host\":\"%s\",\"port\":%d", o->host, o->port);
	fprintf(f, ",\"ok\":%s,\"fail\":\"%s\"", r->ok ? "true" : "false", r->reasons);
	if (o->scenario == SC_STORM) {
		fprintf(f, ",\"connected\":%llu,\"failed\":%llu,\"setup_s\":%.4f,\"connects_per_s\":%.1f",
			(unsigned long long)r->connected, (unsigned long long)c->failed,
			r->setup_s, r->setup_s > 0 ? (double)r->connected / r->setup_s : 0);
	} else {
		fprintf(f, ",\"window_s\":%.4f,\"published\":%llu,\"published_per_s\":%.1f",
			r->win_s, (unsigned long long)r->pub_window,
			r->win_s > 0 ? (double)r->pub_window / r->win_s : 0);
		fprintf(f, ",\"delivered\":%llu,\"delivered_per_s\":%.1f",
			(unsigned long long)r->deliv_window, dps);
		fprintf(f, ",\"published_total\":%llu,\"delivered_total\":%llu,\"expected\":%llu",
			(unsigned long long)r->pub_total, (unsigned long long)r->deliv_total,
			(unsigned long long)r->expected);
		fprintf(f, ",\"unique\":%llu,\"lost\":%llu,\"dup\":%llu,\"ooo\":%llu,\"unacked\":%llu",
			(unsigned long long)r->unique, (unsigned long long)r->lost,
			(unsigned long long)r->dups, (unsigned long long)r->ooo,
			(unsigned long long)r->unacked);
	}
	fprintf(f, ",\"errors\":{\"protocol\":%llu,\"connection\":%llu,\"qos_mismatch\":%llu,"
		"\"foreign\":%llu,\"corrupt\":%llu,\"dup_flag\":%llu,\"qos2_redeliver\":%llu,"
		"\"connack_refused\":%llu,\"suback_refused\":%llu,\"suback_downgraded\":%llu,"
		"\"closed_by_peer\":%llu}",
		(unsigned long long)c->proto_err, (unsigned long long)c->conn_err,
		(unsigned long long)c->qos_mismatch, (unsigned long long)c->foreign,
		(unsigned long long)c->corrupt, (unsigned long long)c->dup_flag,
		(unsigned long long)c->qos2_redeliver, (unsigned long long)c->connack_fail,
		(unsigned long long)c->suback_fail, (unsigned long long)c->suback_downgrade,
		(unsigned long long)c->closed_by_peer);
	if (r->lat && r->lat->n)
		fprintf(f, ",\"lat_us\":{\"n\":%llu,\"mean\":%.1f,\"p50\":%.1f,\"p90\":%.1f,"
			"\"p99\":%.1f,\"p999\":%.1f,\"max\":%.1f}",
			(unsigned long long)r->lat->n, us(r->lat->sum / r->lat->n),
			us(lg_hist_pct(r->lat, 50)), us(lg_hist_pct(r->lat, 90)),
			us(lg_hist_pct(r->lat, 99)), us(lg_hist_pct(r->lat, 99.9)),
			us(r->lat->max));
	if (r->clat && r->clat->n)
		fprintf(f, ",\"connect_us\":{\"n\":%llu,\"p50\":%.1f,\"p99\":%.1f,\"max\":%.1f}",
			(unsigned long long)r->clat->n, us(lg_hist_pct(r->clat, 50)),
			us(lg_hist_pct(r->clat, 99)), us(r->clat->max));
	if (r->cpu1.mono_ns) {
		fprintf(f, ",\"cpu\":{\"ncpu\":%d,\"wall_s\":%.4f,\"guest_busy_s\":%.4f,"
			"\"tick_busy_s\":%.4f,\"loadgen_s\":%.4f,\"guest_minus_loadgen_s\":%.4f",
			r->cpu1.ncpu, wall, busy,
			(double)(r->cpu1.busy_ticks - r->cpu0.busy_ticks) / tck, self, busy - self);
		if (r->cpu0.broker_ok && r->cpu1.broker_ok)
			fprintf(f, ",\"broker_pid\":%d,\"broker_s\":%.4f", o->broker_pid,
				(double)(r->cpu1.broker_ns - r->cpu0.broker_ns) / 1e9);
		if (r->deliv_window)
			fprintf(f, ",\"guest_busy_us_per_msg\":%.3f",
				busy * 1e6 / (double)r->deliv_window);
		fprintf(f, "}");
	}
	if (extra)
		fprintf(f, ",%s", extra);
	fprintf(f, "}\n");
	fflush(f);
}

void lg_result_human(FILE *f, const struct lg_opts *o, const struct lg_result *r)
{
	const char *st = r->ok ? "OK" : "FAILED";

	if (o->scenario == SC_STORM) {
		fprintf(f, "storm qos%d: %llu/%d connected in %.3f s = %.0f conn/s, connect p50 %.0f us"
			" p99 %.0f us, %s%s%s\n", o->qos,
			(unsigned long long)r->connected, o->conns, r->setup_s,
			r->setup_s > 0 ? (double)r->connected / r->setup_s : 0,
			r->clat ? us(lg_hist_pct(r->clat, 50)) : 0,
			r->clat ? us(lg_hist_pct(r->clat, 99)) : 0, st,
			r->ok ? "" : ": ", r->reasons);
		return;
	}
	char pace[48] = "unpaced";

	if (r->rate_target > 0)
		snprintf(pace, sizeof(pace), "paced %.0f/s", r->rate_target);
	fprintf(f, "%s qos%d %d->%d %dB %s: %.0f msg/s delivered (%.0f published/s),"
		" lost %llu dup %llu ooo %llu, latency p50 %.0f us p99 %.0f us max %.0f us, %s%s%s\n",
		lg_scenario_name(o->scenario), o->qos, o->pubs, o->subs, o->payload, pace,
		r->win_s > 0 ? (double)r->deliv_window / r->win_s : 0,
		r->win_s > 0 ? (double)r->pub_window / r->win_s : 0,
		(unsigned long long)r->lost, (unsigned long long)r->dups,
		(unsigned long long)r->ooo,
		r->lat ? us(lg_hist_pct(r->lat, 50)) : 0,
		r->lat ? us(lg_hist_pct(r->lat, 99)) : 0,
		r->lat ? us(r->lat->max) : 0, st, r->ok ? "" : ": ", r->reasons);
}
