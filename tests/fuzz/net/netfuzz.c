// SPDX-License-Identifier: GPL-2.0
/*
 * netfuzz: throw mutated MQTT sessions at a broker over many concurrent
 * connections while a well-behaved checker verifies that QoS 1/2 traffic
 * beside them is delivered (see nf.h, nf_gen.c, nf_check.c, README.md).
 *
 *   netfuzz [--host H] [--port P] [--conns 64] [--duration 30] [--seed S] ...
 *
 * Output is TAP 13; the exit status is 0 only if every test passed.
 * Only numeric addresses are accepted: this tool is meant for loopback or
 * a test VM, never for a broker somebody else runs.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "nf.h"
#include "nf_check.h"

#define FZ_MAX_CONNS	4096
#define FZ_HARD_MS	20000	/* no fuzz connection lives longer */
#define FZ_STATUS_MS	10000

struct opts {
	const char *host;
	int port;
	uint32_t conns;
	double duration;
	uint64_t max_conns;	/* total fuzz connections (count bound) */
	uint64_t seed;
	bool seed_set;
	uint32_t rate;		/* new connections per second, 0: no limit */
	bool check;
	uint32_t check_interval, check_window, check_max;
	double drain, probe_interval, timeout;
	int64_t dump;		/* -1: no dump */
	bool verbose;
	struct nf_gen_opts gen;
};

enum fz_state { FZ_FREE, FZ_CONNECTING, FZ_SENDING, FZ_ENDING };

struct fz {
	enum nf_kind kind;	/* NF_KIND_FUZZ: first, for the epoll dispatch */
	enum fz_state st;
	int fd;
	uint64_t idx;
	struct nf_plan plan;
	size_t sent;
	uint32_t marks_sent;
	bool reading, writing;	/* epoll interest */
	int64_t next_write;
	int64_t end_at;		/* WAIT / HOLD end */
	int64_t hard_at;
	struct nf_rng wr;	/* chunk sizes (not part of the bytes) */
};

struct stats {
	uint64_t attempted, opened, connect_failed, refused, addr_busy;
	uint64_t malformed_frames, bytes_sent, bytes_received;
	uint64_t closed_by_broker, resets_sent, resets_mid_frame, fins_sent;
	uint64_t completed, silent;
	uint64_t mutation[NF_MUT_COUNT];
	uint64_t drip, chunked;
};

static struct opts opt;
static struct stats st;
static struct sockaddr_storage addr;
static socklen_t addrlen;
static int epfd;
static struct fz *fz;
static uint64_t next_idx;
static struct nf_checker *checker;
static int64_t backoff;		/* no new fuzz connection before */

static uint32_t scale(void)
{
	const char *s = getenv("KMQTT_TIMEOUT_SCALE");
	int v = s ? atoi(s) : 1;

	return v > 0 ? v : 1;
}

/* ---- fuzz connections -------------------------------------------------- */

static void fz_interest(struct fz *f, bool rd, bool wr)
{
	struct epoll_event ev = {
		.events = (rd ? EPOLLIN : 0) | (wr ? EPOLLOUT : 0),
		.data.ptr = f,
	};

	if (rd == f->reading && wr == f->writing)
		return;
	f->reading = rd;
	f->writing = wr;
	epoll_ctl(epfd, EPOLL_CTL_MOD, f->fd, &ev);
}

static void fz_close(struct fz *f, bool rst)
{
	if (f->fd >= 0) {
		if (rst) {
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(f->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
			st.resets_sent++;
		} else {
			st.fins_sent++;
		}
		epoll_ctl(epfd, EPOLL_CTL_DEL, f->fd, NULL);
		close(f->fd);
	}
	f->fd = -1;
	f->st = FZ_FREE;
	nf_plan_free(&f->plan);
	st.completed++;
}

static void fz_broker_closed(struct fz *f)
{
	st.closed_by_broker++;
	fz_close(f, false);
}

static void fz_count_sent(struct fz *f, size_t n)
{
	f->sent += n;
	st.bytes_sent += n;
	while (f->marks_sent < f->plan.nmarks &&
	       f->plan.marks[f->marks_sent] < f->sent) {
		f->marks_sent++;
		st.malformed_frames++;
	}
}

/* All bytes (up to stop_at) are out: carry out the end of the plan. */
static void fz_finish(struct fz *f, int64_t now)
{
	switch (f->plan.end) {
	case NF_END_RESET:
		if (f->plan.reset_mid_frame)
			st.resets_mid_frame++;
		fz_close(f, true);
		return;
	case NF_END_CLOSE:
		fz_close(f, false);
		return;
	case NF_END_WAIT:
		f->st = FZ_ENDING;
		f->end_at = now + f->plan.end_ms;
		fz_interest(f, true, false);
		return;
	default:	/* NF_END_HOLD */
		f->st = FZ_ENDING;
		f->end_at = now + f->plan.end_ms;
		fz_interest(f, !f->plan.no_read, false);
		return;
	}
}

static void fz_write(struct fz *f, int64_t now)
{
	int rounds;

	for (rounds = 0; rounds < 64 && f->st == FZ_SENDING; rounds++) {
		size_t left = f->plan.stop_at - f->sent, n = left;
		ssize_t w;

		if (!left) {
			fz_finish(f, now);
			return;
		}
		if (now < f->next_write) {
			fz_interest(f, !f->plan.no_read, false);
			return;
		}
		if (f->plan.write_mode == NF_WRITE_DRIP &&
		    f->sent < f->plan.drip_until)
			n = 1 + nf_rng_below(&f->wr, 3);
		else if (f->plan.write_mode == NF_WRITE_CHUNKS)
			n = 1 + nf_rng_below(&f->wr, 64);
		if (n > left)
			n = left;
		w = send(f->fd, f->plan.bytes.d + f->sent, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			fz_interest(f, !f->plan.no_read, true);
			return;
		}
		if (w <= 0) {
			fz_broker_closed(f);
			return;
		}
		fz_count_sent(f, w);
		if (f->plan.write_mode == NF_WRITE_CHUNKS ||
		    (f->plan.write_mode == NF_WRITE_DRIP &&
		     f->sent <= f->plan.drip_until))
			f->next_write = now + f->plan.gap_ms;
	}
	if (f->st == FZ_SENDING)
		fz_interest(f, !f->plan.no_read, f->sent < f->plan.stop_at &&
			    now >= f->next_write);
}

static void fz_read(struct fz *f)
{
	uint8_t buf[65536];
	int rounds;

	for (rounds = 0; rounds < 8; rounds++) {
		ssize_t r = recv(f->fd, buf, sizeof(buf), 0);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EAGAIN)
			return;
		if (r <= 0) {
			fz_broker_closed(f);
			return;
		}
		st.bytes_received += r;
	}
}

static bool fz_open(struct fz *f, int64_t now)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = f };
	int one = 1;

	f->fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
		       SOCK_CLOEXEC, 0);
	if (f->fd < 0)
		return false;
	setsockopt(f->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	st.attempted++;
	if (connect(f->fd, (struct sockaddr *)&addr, addrlen) &&
	    errno != EINPROGRESS) {
		int e = errno;

		close(f->fd);
		f->fd = -1;
		st.connect_failed++;
		if (e == ECONNREFUSED)
			st.refused++;
		if (e == EADDRNOTAVAIL || e == EAGAIN)
			st.addr_busy++;
		return false;
	}
	f->kind = NF_KIND_FUZZ;
	f->idx = next_idx++;
	nf_plan_build(&f->plan, &opt.gen, f->idx);
	nf_rng_seed(&f->wr, nf_mix(opt.seed ^ 0xc0ffee) + f->idx);
	f->sent = 0;
	f->marks_sent = 0;
	f->st = FZ_CONNECTING;
	f->reading = false;
	f->writing = true;
	f->next_write = now;
	f->hard_at = now + FZ_HARD_MS;
	epoll_ctl(epfd, EPOLL_CTL_ADD, f->fd, &ev);
	return true;
}

static void fz_count_plan(const struct nf_plan *p)
{
	int m;

	for (m = 0; m < NF_MUT_COUNT; m++)
		if (p->mutations & 1u << m)
			st.mutation[m]++;
	if (p->write_mode == NF_WRITE_DRIP)
		st.drip++;
	else if (p->write_mode == NF_WRITE_CHUNKS)
		st.chunked++;
	if (!p->bytes.n)
		st.silent++;
}

static void fz_event(struct fz *f, uint32_t events, int64_t now)
{
	if (f->st == FZ_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);

		getsockopt(f->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err || (events & (EPOLLERR | EPOLLHUP))) {
			st.connect_failed++;
			if (err == ECONNREFUSED)
				st.refused++;
			epoll_ctl(epfd, EPOLL_CTL_DEL, f->fd, NULL);
			close(f->fd);
			f->fd = -1;
			f->st = FZ_FREE;
			nf_plan_free(&f->plan);
			backoff = now + 100;	/* the broker may be gone */
			return;
		}
		st.opened++;
		fz_count_plan(&f->plan);
		f->st = FZ_SENDING;
		f->writing = false;
		fz_interest(f, !f->plan.no_read, true);
		fz_write(f, now);
		return;
	}
	if ((events & (EPOLLIN | EPOLLHUP | EPOLLERR)) && f->fd >= 0 &&
	    f->reading)
		fz_read(f);
	if (f->fd >= 0 && (events & EPOLLERR) && !f->reading)
		fz_broker_closed(f);
	if (f->fd >= 0 && f->st == FZ_SENDING && (events & EPOLLOUT))
		fz_write(f, now);
}

static int64_t fz_timers(int64_t now)
{
	int64_t next = now + 1000;
	uint32_t i;

	for (i = 0; i < opt.conns; i++) {
		struct fz *f = &fz[i];

		if (f->st == FZ_FREE)
			continue;
		if (now >= f->hard_at) {
			fz_close(f, true);
			continue;
		}
		if (f->st == FZ_SENDING && now >= f->next_write &&
		    !f->writing)
			fz_write(f, now);
		if (f->st == FZ_ENDING && now >= f->end_at) {
			fz_close(f, f->plan.end == NF_END_HOLD);
			continue;
		}
		if (f->st == FZ_FREE)
			continue;
		if (f->hard_at < next)
			next = f->hard_at;
		if (f->st == FZ_SENDING && !f->writing && f->next_write < next)
			next = f->next_write;
		if (f->st == FZ_ENDING && f->end_at < next)
			next = f->end_at;
	}
	return next;
}

/* ---- options ----------------------------------------------------------- */

static void usage(FILE *o)
{
	fprintf(o,
"usage: netfuzz [options]\n"
"  --host ADDR           broker address, numeric (env KMQTT_HOST, 127.0.0.1)\n"
"  --port N              broker port (env KMQTT_PORT, 1883)\n"
"  --conns N             concurrent fuzz connections (64, max %d)\n"
"  --duration SEC        fuzzing time (30)\n"
"  --max-conns N         stop after N fuzz connections (10000000)\n"
"  --seed N              PRNG seed (default: from the clock; always printed)\n"
"  --rate N              at most N new fuzz connections per second (0: no limit)\n"
"  --valid-pct N         sessions left unmutated, percent (15)\n"
"  --drip-pct N          sessions written as a slow drip, percent (8)\n"
"  --max-packets N       packets per generated session (24)\n"
"  --no-check            fuzz only, no checker clients\n"
"  --check-interval MS   checker publish interval (20)\n"
"  --check-window N      checker QoS 1/2 messages in flight (8)\n"
"  --check-max N         at most N checker messages (200000)\n"
"  --probe-interval SEC  probe connection interval during the run (5; 0: off)\n"
"  --drain SEC           time allowed for the last deliveries (30)\n"
"  --timeout SEC         handshake / probe answer timeout (30)\n"
"  --dump K              print connection K's bytes and plan, then exit\n"
"  -v, --verbose         one line per finished phase and more detail\n"
"All timeouts are multiplied by KMQTT_TIMEOUT_SCALE (integer, default 1).\n",
		FZ_MAX_CONNS);
}

static uint64_t parse_u64(const char *s, const char *what)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end) {
		fprintf(stderr, "netfuzz: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

static double parse_sec(const char *s, const char *what)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v < 0) {
		fprintf(stderr, "netfuzz: bad %s: %s\n", what, s);
		exit(2);
	}
	return v;
}

static void parse_opts(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "host", 1, 0, 'H' }, { "port", 1, 0, 'p' },
		{ "conns", 1, 0, 'c' }, { "duration", 1, 0, 'd' },
		{ "max-conns", 1, 0, 'm' }, { "seed", 1, 0, 's' },
		{ "rate", 1, 0, 'r' }, { "valid-pct", 1, 0, 1 },
		{ "drip-pct", 1, 0, 2 }, { "max-packets", 1, 0, 3 },
		{ "no-check", 0, 0, 4 }, { "check-interval", 1, 0, 5 },
		{ "check-window", 1, 0, 6 }, { "check-max", 1, 0, 7 },
		{ "probe-interval", 1, 0, 8 }, { "drain", 1, 0, 9 },
		{ "timeout", 1, 0, 10 }, { "dump", 1, 0, 11 },
		{ "verbose", 0, 0, 'v' }, { "help", 0, 0, 'h' },
		{ 0 }
	};
	const char *e;
	int c;

	e = getenv("KMQTT_HOST");
	opt.host = e && *e ? e : "127.0.0.1";
	e = getenv("KMQTT_PORT");
	opt.port = e && *e ? atoi(e) : 1883;
	opt.conns = 64;
	opt.duration = 30;
	opt.max_conns = 10000000;
	opt.check = true;
	opt.check_interval = 20;
	opt.check_window = 8;
	opt.check_max = 200000;
	opt.probe_interval = 5;
	opt.drain = 30;
	opt.timeout = 30;
	opt.dump = -1;
	opt.gen.valid_pct = 15;
	opt.gen.drip_pct = 8;
	opt.gen.max_packets = 24;
	while ((c = getopt_long(argc, argv, "vh", lo, NULL)) != -1) {
		switch (c) {
		case 'H': opt.host = optarg; break;
		case 'p': opt.port = parse_u64(optarg, "port"); break;
		case 'c': opt.conns = parse_u64(optarg, "conns"); break;
		case 'd': opt.duration = parse_sec(optarg, "duration"); break;
		case 'm': opt.max_conns = parse_u64(optarg, "max-conns"); break;
		case 's':
			opt.seed = parse_u64(optarg, "seed");
			opt.seed_set = true;
			break;
		case 'r': opt.rate = parse_u64(optarg, "rate"); break;
		case 1: opt.gen.valid_pct = parse_u64(optarg, "valid-pct"); break;
		case 2: opt.gen.drip_pct = parse_u64(optarg, "drip-pct"); break;
		case 3: opt.gen.max_packets = parse_u64(optarg, "max-packets"); break;
		case 4: opt.check = false; break;
		case 5: opt.check_interval = parse_u64(optarg, "check-interval"); break;
		case 6: opt.check_window = parse_u64(optarg, "check-window"); break;
		case 7: opt.check_max = parse_u64(optarg, "check-max"); break;
		case 8: opt.probe_interval = parse_sec(optarg, "probe-interval"); break;
		case 9: opt.drain = parse_sec(optarg, "drain"); break;
		case 10: opt.timeout = parse_sec(optarg, "timeout"); break;
		case 11: opt.dump = parse_u64(optarg, "dump"); break;
		case 'v': opt.verbose = true; break;
		case 'h': usage(stdout); exit(0);
		default: usage(stderr); exit(2);
		}
	}
	if (optind != argc || !opt.conns || opt.conns > FZ_MAX_CONNS ||
	    opt.port <= 0 || opt.port > 65535 || !opt.gen.max_packets ||
	    opt.gen.max_packets > 80 || opt.gen.valid_pct > 100 ||
	    opt.gen.drip_pct > 80 || !opt.check_max ||
	    opt.check_max > 10000000) {
		usage(stderr);
		exit(2);
	}
	if (!opt.seed_set) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		opt.seed = nf_mix(ts.tv_sec ^ ((uint64_t)ts.tv_nsec << 20) ^
				  getpid()) & 0xffffffffffffull;
	}
}

static void resolve(void)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)&addr;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&addr;

	memset(&addr, 0, sizeof(addr));
	if (inet_pton(AF_INET, opt.host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(opt.port);
		addrlen = sizeof(*s4);
	} else if (inet_pton(AF_INET6, opt.host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(opt.port);
		addrlen = sizeof(*s6);
	} else {
		fprintf(stderr, "netfuzz: --host must be a numeric address: %s\n",
			opt.host);
		exit(2);
	}
}

static void raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;	/* works as root (the VM) */
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void dump(uint64_t k)
{
	struct nf_plan p;
	size_t i;
	int m;

	nf_plan_build(&p, &opt.gen, k);
	printf("# connection %" PRIu64 " seed 0x%" PRIx64 ": %zu bytes, "
	       "%u frames, stop at %zu, write mode %d, gap %u ms, end %d "
	       "(%u ms), drip until %zu%s%s\n# mutations:", k, opt.seed,
	       p.bytes.n, p.nframes, p.stop_at, p.write_mode, p.gap_ms, p.end,
	       p.end_ms, p.drip_until,
	       p.reset_mid_frame ? ", RST mid-frame" : "",
	       p.no_read ? ", never reads" : "");
	for (m = 0; m < NF_MUT_COUNT; m++)
		if (p.mutations & 1u << m)
			printf(" %s", nf_mutation_names[m]);
	printf("\n# mutated frames at:");
	for (i = 0; i < p.nmarks; i++)
		printf(" %zu", p.marks[i]);
	printf("\n");
	for (i = 0; i < p.bytes.n; i++)
		printf("%02x%s", p.bytes.d[i], (i + 1) % 32 ? "" : "\n");
	printf("\n");
	nf_plan_free(&p);
}

/* ---- main loop --------------------------------------------------------- */

static void status(int64_t t0, int64_t now)
{
	printf("# t=%" PRId64 "s connections %" PRIu64 " (open %" PRIu64
	       " refused %" PRIu64 ") malformed frames %" PRIu64 " bytes %"
	       PRIu64 " closed by broker %" PRIu64 " checker sent %" PRIu64
	       " received %" PRIu64 "\n", (now - t0) / 1000, st.attempted,
	       st.opened, st.refused, st.malformed_frames, st.bytes_sent,
	       st.closed_by_broker, checker ? nf_check_sent(checker) : 0,
	       checker ? nf_check_received(checker) : 0);
	fflush(stdout);
}

static int tap_n;
static int tap_fail;

static void tap(bool ok, const char *skip, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void tap(bool ok, const char *skip, const char *fmt, ...)
{
	va_list ap;

	printf("%s %d - ", ok || skip ? "ok" : "not ok", ++tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (skip)
		printf(" # SKIP %s", skip);
	printf("\n");
	if (!ok && !skip)
		tap_fail++;
}

int main(int argc, char **argv)
{
	enum { PH_START, PH_RUN, PH_DRAIN, PH_PROBE, PH_DONE } ph;
	struct nf_check_result cr = { 0 };
	char tag[16], prefix[32];
	int64_t t0, now, run_end, phase_end, next_status;
	int64_t rate_t = 0;
	uint64_t rate_n = 0;
	bool probe_ok = false, probe_done = false;
	uint32_t sc = scale(), i;
	struct epoll_event evs[256];
	int m;

	parse_opts(argc, argv);
	snprintf(tag, sizeof(tag), "%06" PRIx64, nf_mix(opt.seed) & 0xffffff);
	snprintf(prefix, sizeof(prefix), "nfchk/%s", tag);
	opt.gen.seed = opt.seed;
	opt.gen.tag = tag;
	opt.gen.check_prefix = prefix;
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (opt.dump >= 0) {
		dump(opt.dump);
		return 0;
	}
	resolve();
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(opt.conns + 64);
	epfd = epoll_create1(EPOLL_CLOEXEC);
	fz = calloc(opt.conns, sizeof(*fz));
	if (epfd < 0 || !fz) {
		perror("netfuzz");
		return 2;
	}
	for (i = 0; i < opt.conns; i++)
		fz[i].fd = -1;

	printf("TAP version 13\n1..6\n");
	printf("# netfuzz seed 0x%" PRIx64 " tag %s broker %s:%d conns %u "
	       "duration %gs max-conns %" PRIu64 "\n", opt.seed, tag, opt.host,
	       opt.port, opt.conns, opt.duration, opt.max_conns);
	printf("# reproduce: netfuzz --seed 0x%" PRIx64 " --conns %u "
	       "--duration %g (connection K's bytes: --dump K)\n", opt.seed,
	       opt.conns, opt.duration);

	t0 = nf_now_ms();
	if (opt.check) {
		struct nf_check_opts co = {
			.addr = &addr, .addrlen = addrlen, .tag = tag,
			.interval_ms = opt.check_interval,
			.window = opt.check_window, .max_msgs = opt.check_max,
			.probe_interval_ms = opt.probe_interval * 1000,
			.timeout_ms = opt.timeout * 1000 * sc,
		};

		checker = nf_check_new(epfd, &co);
		nf_check_start(checker);
	}
	ph = PH_START;
	phase_end = t0 + (int64_t)(opt.timeout * 1000 * sc) + 1000;
	run_end = 0;
	next_status = t0 + FZ_STATUS_MS;

	/* Bounded: every phase has a deadline. */
	while (ph != PH_DONE) {
		int64_t next, cn;
		int n;

		now = nf_now_ms();
		if (ph == PH_START && (!checker || nf_check_ready(checker) ||
				       now >= phase_end)) {
			ph = PH_RUN;
			run_end = now + (int64_t)(opt.duration * 1000);
			if (checker && !nf_check_ready(checker))
				printf("# checker not ready, fuzzing anyway\n");
		}
		if (ph == PH_RUN && (now >= run_end ||
				     st.attempted >= opt.max_conns)) {
			for (i = 0; i < opt.conns; i++)
				if (fz[i].st != FZ_FREE)
					fz_close(&fz[i], true);
			if (checker)
				nf_check_stop_publishing(checker);
			ph = PH_DRAIN;
			phase_end = now + (int64_t)(opt.drain * 1000 * sc);
			if (opt.verbose)
				printf("# fuzzing done, draining the checker\n");
		}
		if (ph == PH_DRAIN && (!checker || nf_check_drained(checker) ||
				       now >= phase_end)) {
			ph = PH_PROBE;
			if (checker)
				nf_check_final_probe(checker);
			/* 3 attempts at most, each with its own timeout. */
			phase_end = now + (int64_t)(opt.timeout * 3000 * sc) +
				    2000;
		}
		if (ph == PH_PROBE) {
			if (!checker)
				ph = PH_DONE;
			else if (nf_check_probe_done(checker, &probe_ok))
				probe_done = true, ph = PH_DONE;
			else if (now >= phase_end)
				ph = PH_DONE;
			if (ph == PH_DONE)
				break;
		}
		if (ph == PH_RUN && now >= backoff) {
			if (now - rate_t >= 1000) {
				rate_t = now;
				rate_n = 0;
			}
			for (i = 0; i < opt.conns && st.attempted < opt.max_conns;
			     i++) {
				if (fz[i].st != FZ_FREE)
					continue;
				if (opt.rate && rate_n >= opt.rate)
					break;
				rate_n++;
				if (!fz_open(&fz[i], now)) {
					backoff = now + 100;
					break;
				}
			}
		}
		if (now >= next_status) {
			status(t0, now);
			next_status = now + FZ_STATUS_MS;
		}

		next = fz_timers(now);
		if (checker) {
			cn = nf_check_tick(checker, now);
			if (cn < next)
				next = cn;
		}
		if (ph == PH_RUN && run_end < next)
			next = run_end;
		if (next - now > 100)
			next = now + 100;
		n = epoll_wait(epfd, evs, 256, next > now ? (int)(next - now) : 0);
		if (n < 0 && errno != EINTR) {
			perror("epoll_wait");
			break;
		}
		now = nf_now_ms();
		for (m = 0; m < n; m++) {
			enum nf_kind *k = evs[m].data.ptr;

			if (*k == NF_KIND_FUZZ)
				fz_event((struct fz *)k, evs[m].events, now);
			else if (checker)
				nf_check_event(checker, k, evs[m].events);
		}
	}
	for (i = 0; i < opt.conns; i++)
		if (fz[i].st != FZ_FREE)
			fz_close(&fz[i], true);
	now = nf_now_ms();
	status(t0, now);

	/* ---- report ---- */
	printf("# fuzz: %" PRIu64 " connections attempted, %" PRIu64
	       " opened, %" PRIu64 " failed (%" PRIu64 " refused, %" PRIu64
	       " no local address)\n", st.attempted, st.opened,
	       st.connect_failed, st.refused, st.addr_busy);
	printf("# fuzz: %" PRIu64 " malformed frames, %" PRIu64
	       " bytes sent, %" PRIu64 " received, %" PRIu64
	       " closed by the broker, %" PRIu64 " RST sent (%" PRIu64
	       " mid-frame), %" PRIu64 " silent, %" PRIu64 " drip, %" PRIu64
	       " chunked\n", st.malformed_frames, st.bytes_sent,
	       st.bytes_received, st.closed_by_broker, st.resets_sent,
	       st.resets_mid_frame, st.silent, st.drip, st.chunked);
	printf("# mutations (connections opened):");
	for (m = 0; m < NF_MUT_COUNT; m++)
		printf(" %s=%" PRIu64, nf_mutation_names[m], st.mutation[m]);
	printf("\n");
	if (checker) {
		nf_check_result(checker, &cr);
		printf("# checker: probes ok %" PRIu64 " failed %" PRIu64
		       "%s%s; foreign deliveries %" PRIu64 ", wrong QoS %"
		       PRIu64 ", out of order %" PRIu64 ", unconfirmed %"
		       PRIu64 "/%" PRIu64 "\n", cr.probes_ok,
		       cr.probes_failed, cr.probe_error[0] ? ": " : "",
		       cr.probe_error, cr.foreign, cr.wrong_qos,
		       cr.out_of_order, cr.unconfirmed[1], cr.unconfirmed[2]);
		tap(cr.subscribed, NULL,
		    "checker connected and subscribed at QoS 1 and 2%s%s",
		    cr.sub_error[0] ? ": " : "", cr.sub_error);
		tap(cr.subscribed && cr.conns_stayed_up, NULL,
		    "checker connections stayed up%s%s",
		    cr.conn_error[0] ? ": " : "", cr.conn_error);
	} else {
		tap(true, "--no-check", "checker connected and subscribed");
		tap(true, "--no-check", "checker connections stayed up");
	}
	tap(st.opened > 0, NULL, "fuzz: %" PRIu64 " connections opened, %"
	    PRIu64 " malformed frames, %" PRIu64 " bytes sent", st.opened,
	    st.malformed_frames, st.bytes_sent);
	if (checker) {
		tap(cr.subscribed && cr.checked[1] > 0 && !cr.lost[1] &&
		    !cr.wrong_qos, NULL,
		    "QoS 1: %" PRIu64 " messages checked, %" PRIu64 " lost, %"
		    PRIu64 " duplicated", cr.checked[1], cr.lost[1],
		    cr.duplicated[1]);
		tap(cr.subscribed && cr.checked[2] > 0 && !cr.lost[2] &&
		    !cr.duplicated[2] && !cr.wrong_qos, NULL,
		    "QoS 2: %" PRIu64 " messages checked, %" PRIu64 " lost, %"
		    PRIu64 " duplicated", cr.checked[2], cr.lost[2],
		    cr.duplicated[2]);
		tap(probe_done && probe_ok, NULL,
		    "broker accepts connections after fuzzing%s",
		    probe_done ? "" : " (no answer in time)");
	} else {
		tap(true, "--no-check", "QoS 1 messages");
		tap(true, "--no-check", "QoS 2 messages");
		tap(true, "--no-check", "broker accepts connections");
	}
	printf("# summary: seed=0x%" PRIx64 " connections_opened=%" PRIu64
	       " malformed_frames=%" PRIu64 " bytes_sent=%" PRIu64
	       " messages_checked=%" PRIu64 " lost=%" PRIu64
	       " duplicated=%" PRIu64 " qos2_duplicated=%" PRIu64 "\n",
	       opt.seed, st.opened, st.malformed_frames, st.bytes_sent,
	       cr.checked[1] + cr.checked[2], cr.lost[1] + cr.lost[2],
	       cr.duplicated[1] + cr.duplicated[2], cr.duplicated[2]);
	printf("# %s: %d of %d tests failed\n", tap_fail ? "FAIL" : "PASS",
	       tap_fail, tap_n);
	if (checker)
		nf_check_free(checker);
	free(fz);
	close(epfd);
	return tap_fail ? 1 : 0;
}
