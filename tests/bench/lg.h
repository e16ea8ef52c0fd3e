/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kmqtt load generator: shared definitions.
 *
 * One process, T worker threads, each with its own epoll instance and its
 * own share of the connections.  The main thread only drives the phases
 * (setup, warm-up, measurement window, drain, close) and samples CPU
 * counters exactly at the window edges.
 */
#ifndef LG_H
#define LG_H

#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <stdbool.h>
#include <pthread.h>
#include <sys/socket.h>

#define LG_MAGIC	0x42514d4bu	/* "KMQB" little endian */
#define LG_HDR		24		/* magic, pub id, seq, timestamp */
#define LG_MAX_PACKET	(16u << 20)	/* bigger frames from the broker are errors */
#define LG_SCRATCH	(256u << 10)

enum lg_scenario { SC_FANIN, SC_FANOUT, SC_PAIRS, SC_LATENCY, SC_STORM };
enum lg_role { ROLE_PUB, ROLE_SUB, ROLE_IDLE };
enum lg_cstate {
	CS_NEW, CS_CONNECTING, CS_WAIT_CONNACK, CS_WAIT_SUBACK, CS_READY,
	CS_CLOSED
};
enum lg_phase { PH_INIT, PH_SETUP, PH_RUN, PH_DRAIN, PH_CLOSE };

struct lg_opts {
	enum lg_scenario scenario;
	int qos;
	int payload;
	double duration, warmup;
	double drain_timeout, drain_idle, setup_timeout;
	double rate;		/* total publish rate, msg/s; 0 = unpaced */
	int pubs, subs, conns;
	int threads;
	int inflight;		/* per publisher window for QoS 1/2 */
	int keepalive;
	const char *host;
	int port;
	const char *label;
	const char *hook;	/* storm: run "HOOK baseline" / "HOOK loaded" */
	int broker_pid;
	int conc;		/* handshakes in progress (per process) */
	double hold;		/* storm: seconds to hold connections */
	int find_max;		/* search highest zero-loss paced rate */
	double rate_start, rate_max;
	int search_steps;
	double sustain;		/* fraction of target that must be delivered */
	int tick_us;
	double settle;		/* search: max seconds to wait for idle between trials */
	int quiet;
	int trial;		/* trial number, part of client ids */
};

/* Log-linear histogram of nanosecond values, ~1.6 % relative error. */
#define LG_HIST_SUB	64
#define LG_HIST_N	(59 * LG_HIST_SUB)
struct lg_hist {
	uint64_t b[LG_HIST_N];
	uint64_t n, sum, max;
};

/* Per (subscriber, publisher) sequence tracking. */
struct lg_track {
	uint64_t *bits;
	uint64_t nbits;
	uint64_t unique, dups, ooo, max_seen;
	bool any;
};

/* Counters written only by the owning thread; main reads them relaxed. */
struct lg_counters {
	uint64_t ready, failed;
	uint64_t pub_total, pub_window;
	uint64_t deliv_total, deliv_window, unique_total;
	uint64_t inflight, rel_pending;
	uint64_t proto_err, conn_err, qos_mismatch, foreign, corrupt;
	uint64_t dup_flag, qos2_redeliver, connack_fail, suback_fail;
	uint64_t suback_downgrade, pings, closed_by_peer;
};

struct lg_run;
struct lg_thread;

struct lg_conn {
	int fd;
	enum lg_role role;
	int idx;			/* publisher or subscriber number */
	enum lg_cstate state;
	uint32_t epmask;
	struct lg_thread *th;
	uint8_t *rbuf;
	size_t rlen, rcap;
	uint8_t *wbuf;
	size_t wlen, woff, wcap;
	uint64_t last_tx, t_start;
	int pings;
	char cid[64];
	/* publisher */
	char topic[96];
	int topic_len;
	uint64_t sent;			/* read by other threads (atomic) */
	uint64_t done;
	uint32_t inflight;
	uint16_t next_pid;
	uint8_t *pid_state;		/* 0 free, 1 wait PUBACK/PUBREC, 2 wait PUBCOMP */
	double phase_off;
	/* subscriber */
	char filter[96];
	uint8_t *rel_bits;		/* QoS 2 ids waiting for PUBREL */
	uint32_t rel_count;
	struct lg_track *tracks;	/* one per publisher */
	int granted;
};

struct lg_thread {
	int id;
	pthread_t tid;
	int ep;
	struct lg_run *run;
	struct lg_conn **conns;
	int nconns, next_connect, connecting, conc;
	uint8_t *scratch;
	struct lg_counters c;
	struct lg_hist lat;		/* delivery latency inside the window */
	struct lg_hist clat;		/* connect() to CONNACK */
	struct lg_conn **pubs;		/* this thread's publishers */
	int npubs;
	uint64_t now;			/* refreshed every loop iteration */
	uint64_t last_house;
	int phase, phase_ack;		/* phase_ack is read by main (atomic) */
	bool repace;			/* a paced publisher's window opened */
};

struct lg_cpu {
	int ncpu;
	uint64_t idle_ticks, busy_ticks;	/* /proc/stat "cpu" line */
	uint64_t self_ns, broker_ns;
	bool broker_ok;
	uint64_t mono_ns;
};

struct lg_result {
	bool ok;
	char reasons[512];
	double rate_target;
	uint64_t pub_window, deliv_window, pub_total, deliv_total;
	uint64_t expected, unique, lost, dups, ooo, unacked;
	double win_s;
	struct lg_counters c;
	struct lg_hist *lat, *clat;
	struct lg_cpu cpu0, cpu1;
	double setup_s;		/* storm: first connect to last CONNACK */
	uint64_t connected;
};

struct lg_run {
	struct lg_opts o;
	int npubs, nsubs, nidle, nconns;
	struct lg_conn *conns;
	struct lg_conn **pubs, **subs;
	struct lg_thread *th;
	int phase;			/* atomic */
	uint64_t t0, win_start, win_end;
	double rate_pp;			/* per publisher msg/s */
	int rx_qos;			/* QoS the subscribers must receive */
	uint32_t runid;
	struct sockaddr_storage addr;
	socklen_t addrlen;
};

/* lg_wire.c: MQTT 3.1.1 encoding and the per connection state machine */
uint64_t lg_now(void);
void lg_conn_start(struct lg_thread *t, struct lg_conn *c);
void lg_conn_event(struct lg_thread *t, struct lg_conn *c, uint32_t ev);
void lg_conn_close(struct lg_thread *t, struct lg_conn *c, bool graceful);
void lg_pub_fill(struct lg_thread *t, struct lg_conn *c, uint64_t budget);
void lg_conn_flush(struct lg_thread *t, struct lg_conn *c);
void lg_conn_ping(struct lg_thread *t, struct lg_conn *c);
void lg_conn_update_events(struct lg_thread *t, struct lg_conn *c);
bool lg_sub_matches(const struct lg_run *r, int sub, int pub);

/* lg_stats.c */
void lg_hist_add(struct lg_hist *h, uint64_t v);
void lg_hist_merge(struct lg_hist *dst, const struct lg_hist *src);
uint64_t lg_hist_pct(const struct lg_hist *h, double pct);
void lg_track_add(struct lg_thread *t, struct lg_track *tr, uint64_t seq);
void lg_track_free(struct lg_track *tr);
void lg_cpu_sample(struct lg_cpu *s, int broker_pid);
void lg_result_json(FILE *f, const struct lg_opts *o, const struct lg_result *r,
		    const char *extra);
void lg_result_human(FILE *f, const struct lg_opts *o, const struct lg_result *r);
const char *lg_scenario_name(enum lg_scenario s);

static inline uint64_t lg_load(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static inline void lg_store(uint64_t *p, uint64_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

#define LG_INC(t, f)	lg_store(&(t)->c.f, (t)->c.f + 1)
#define LG_ADD(t, f, n)	lg_store(&(t)->c.f, (t)->c.f + (n))
#define LG_DEC(t, f)	lg_store(&(t)->c.f, (t)->c.f - 1)

#endif
