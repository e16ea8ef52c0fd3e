// SPDX-License-Identifier: GPL-2.0
/*
 * Memory pressure (issue 6): allocation failures injected with the kernel's
 * fault injection (CONFIG_FAILSLAB, debug kernel only; SKIP elsewhere).
 *
 * failslab_messages: failslab restricted to kmqtt's own slab caches (cache
 *   filter): messages published meanwhile are either delivered or dropped and
 *   counted (dropped_no_memory); publishers still get their PUBACK; the
 *   broker serves normally once injection stops.
 * failslab_control: the generic-netlink control plane with a task filter
 *   (/proc/thread-self/fail-nth): for each request, fail its 1st, 2nd, ...
 *   slab allocation in turn (ours in sendmsg, the kernel handler's, the
 *   reply's) until the request completes without reaching the injected one.
 *   Every request must answer (no hang), a refused LISTENER_ADD or LIMIT_SET
 *   must change nothing, and the broker must serve afterwards.
 *
 * Whatever is printed, the VM harness fails a debug-kernel run on any
 * KASAN/UBSAN/lockdep/WARN report and on kmemleak findings (leaks in error
 * paths). TAP 13 on stdout; KMQTT_TEST=GLOB selects a case.
 */
#include <dirent.h>

#include "hardening_lib.h"

#define FAILSLAB "/sys/kernel/debug/failslab"

static int wr(const char *path, const char *v)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, v, strlen(v));
	close(fd);
	return n == (ssize_t)strlen(v) ? 0 : -1;
}

static long long rd_num(const char *path)
{
	char b[64] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return LLONG_MIN;
	n = read(fd, b, sizeof(b) - 1);
	close(fd);
	return n > 0 ? atoll(b) : LLONG_MIN;
}

/* failslab settings touched here, saved before the first change. */
static const char *const fs_knobs[] = {
	"probability", "interval", "times", "space", "verbose",
	"ignore-gfp-wait", "cache-filter", "task-filter",
};
static char fs_saved[8][32];
static bool fs_have_saved;

static void failslab_save(void)
{
	size_t i;

	if (fs_have_saved)
		return;
	for (i = 0; i < 8; i++) {
		char p[128];
		int fd;
		ssize_t n;

		snprintf(p, sizeof(p), FAILSLAB "/%s", fs_knobs[i]);
		fd = open(p, O_RDONLY);
		n = fd >= 0 ? read(fd, fs_saved[i], sizeof(fs_saved[i]) - 1) : -1;
		if (fd >= 0)
			close(fd);
		fs_saved[i][n > 0 ? n : 0] = 0;
		fs_saved[i][strcspn(fs_saved[i], "\n")] = 0;
	}
	fs_have_saved = true;
}

static int failslab_kmqtt_caches(bool on);

static void failslab_restore(void)
{
	size_t i;

	if (!fs_have_saved)
		return;
	wr(FAILSLAB "/probability", "0");	/* first: stop injecting */
	failslab_kmqtt_caches(false);
	for (i = 0; i < 8; i++) {
		char p[128];

		snprintf(p, sizeof(p), FAILSLAB "/%s", fs_knobs[i]);
		if (fs_saved[i][0])
			wr(p, fs_saved[i]);
	}
}

static bool failslab_present(void)
{
	if (access(FAILSLAB, F_OK) &&
	    system("mount -t debugfs none /sys/kernel/debug 2>/dev/null"))
		return false;
	if (access(FAILSLAB "/probability", W_OK))
		return false;
	failslab_save();
	return true;
}

/*
 * kmqtt's own slab caches that failslab's cache filter can hit: those
 * created with SLAB_FAILSLAB (6.1's sysfs "failslab" is read-only; newer
 * kernels let it be written, which is tried). Returns how many.
 */
static int failslab_kmqtt_caches(bool on)
{
	DIR *d = opendir("/sys/kernel/slab");
	struct dirent *e;
	char f[512];
	int n = 0;

	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "kmqtt", 5))
			continue;
		snprintf(f, sizeof(f), "/sys/kernel/slab/%s/failslab", e->d_name);
		if (rd_num(f) == 1 || !wr(f, on ? "1" : "0")) {
			n++;
			continue;
		}
		if (on)
			printf("# %s: created without SLAB_FAILSLAB and its failslab attribute is read-only\n",
			       e->d_name);
	}
	closedir(d);
	return n;
}

static int case_failslab_messages(void)
{
	long long d0 = stat_get("dropped_no_memory"), d1, injected, left;
	int n = 300, caches, fd, p, got = 0, i, acked = 0;
	char topic[96], msg[32];
	struct mq_pub m;

	if (!mq_is_kmqtt())
		SKIP("broker-specific: kernel fault injection");
	if (!failslab_present())
		SKIP("no %s (CONFIG_FAILSLAB and debugfs: debug kernel only)",
		     FAILSLAB);
	snprintf(topic, sizeof(topic), "hl/%s/mem", mq_uniq());
	fd = connect_id("ms", 0);
	p = connect_id("mp", 0);
	if (fd < 0 || p < 0 || mq_subscribe(fd, 1, topic, 0) != 0)
		FAIL("setup failed");
	wr(FAILSLAB "/probability", "0");
	caches = failslab_kmqtt_caches(true);
	if (!caches) {
		mq_disconnect(fd);
		mq_disconnect(p);
		SKIP("no kmqtt slab cache has SLAB_FAILSLAB (the cache filter cannot target kmqtt)");
	}
	wr(FAILSLAB "/verbose", "0");
	wr(FAILSLAB "/ignore-gfp-wait", "N");
	wr(FAILSLAB "/task-filter", "N");
	wr(FAILSLAB "/space", "0");
	wr(FAILSLAB "/interval", "1");
	wr(FAILSLAB "/times", "1000000");
	wr(FAILSLAB "/cache-filter", "Y");
	wr(FAILSLAB "/probability", "50");
	for (i = 0; i < n; i++) {
		snprintf(msg, sizeof(msg), "mem-%d", i);
		if (mq_publish_sync(p, topic, msg, strlen(msg), 1, false, i + 1))
			break;
		acked++;
	}
	left = rd_num(FAILSLAB "/times");
	failslab_restore();
	injected = left == LLONG_MIN ? -1 : 1000000 - left;
	/* Count what arrived: the marker is published after injection ended. */
	if (mq_publish_once(topic, "mem-end", 0, false))
		FAIL("broker not serving a publisher after the injection");
	while (mq_recv_pub(fd, &m, MQ_WAIT_MS, true) == 1) {
		bool end = !strcmp((char *)m.payload, "mem-end");

		if (!end)
			got++;
		mq_pub_free(&m);
		if (end)
			break;
	}
	mq_disconnect(fd);
	mq_disconnect(p);
	d1 = stat_get("dropped_no_memory");
	printf("# failslab on %d kmqtt cache(s), 50 %%: %lld failures injected; %d of %d published acknowledged, %d delivered, dropped_no_memory +%lld\n",
	       caches, injected, acked, n, got, d0 >= 0 ? d1 - d0 : -1);
	if (acked < n)
		FAIL("publisher lost its connection after %d messages", acked);
	if (!broker_serves())
		FAIL("broker not serving after injected allocation failures");
	if (got > acked)
		FAIL("%d delivered for %d published", got, acked);
	if (d0 >= 0 && d1 - d0 < acked - got)
		FAIL("%d messages lost to allocation failures, dropped_no_memory +%lld",
		     acked - got, d1 - d0);
	if (injected == 0)
		SKIP("no failure was injected (kmqtt caches unused on this path?)");
	PASS("%lld allocation failures injected: %d of %d delivered, %d dropped and counted, broker serving",
	     injected, got, acked, acked - got);
}

/* ---- control plane under fail-nth ---------------------------------------- */

static int fnth = -1;	/* /proc/thread-self/fail-nth, kept open */

static int fnth_arm(unsigned int n)
{
	char b[16];
	int l = snprintf(b, sizeof(b), "%u", n);

	return pwrite(fnth, b, l, 0) == l ? 0 : -1;
}

/* >0: the injection point was not reached; 0: it was (or unknown). */
static long fnth_left(void)
{
	char b[16] = "";
	ssize_t r = pread(fnth, b, sizeof(b) - 1, 0);

	return r > 0 ? atol(b) : 0;
}

enum { REQ_LIMIT_GET, REQ_STATS, REQ_LISTENERS, REQ_CLIENTS, REQ_LIMIT_SET,
       REQ_LISTENER_ADD, REQ_COUNT };
static const char *const req_names[REQ_COUNT] = {
	"LIMIT_GET", "STATS_GET", "LISTENER_GET dump", "CLIENT_GET dump",
	"LIMIT_SET", "LISTENER_ADD",
};

static void build_req(struct hg_msg *m, int req, long long inflight,
		      uint16_t port)
{
	switch (req) {
	case REQ_LIMIT_GET:
		hg_msg_init(m, ctl.family, KMQTT_CMD_LIMIT_GET, 0);
		break;
	case REQ_STATS:
		hg_msg_init(m, ctl.family, KMQTT_CMD_STATS_GET, 0);
		break;
	case REQ_LISTENERS:
		hg_msg_init(m, ctl.family, KMQTT_CMD_LISTENER_GET, NLM_F_DUMP);
		break;
	case REQ_CLIENTS:
		hg_msg_init(m, ctl.family, KMQTT_CMD_CLIENT_GET, NLM_F_DUMP);
		break;
	case REQ_LIMIT_SET:
		hg_msg_limit(m, &ctl, KMQTT_LIMIT_A_MAX_INFLIGHT, inflight + 1);
		break;
	default:
		hg_msg_listener(m, &ctl, KMQTT_CMD_LISTENER_ADD, port);
		break;
	}
}

static uint16_t free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t l = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint16_t port = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof(a)) &&
	    !getsockname(fd, (struct sockaddr *)&a, &l))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/*
 * After one attempt of a mutating request, check (without injection) that
 * it took effect exactly when it said so, and undo it. 0 or a message.
 */
static const char *check_and_undo(int req, int err, long long inflight,
				  uint16_t port)
{
	struct hg_msg m;
	long long v;
	int e;

	if (req == REQ_LIMIT_SET) {
		if (hg_limit_get(&ctl, KMQTT_LIMIT_A_MAX_INFLIGHT, &v))
			return "LIMIT_GET fails after an injected failure";
		if (!err && v != inflight + 1)
			return "LIMIT_SET succeeded but the limit did not change";
		if (err && err != -ENOBUFS && v != inflight)
			return "LIMIT_SET failed but changed the limit";
		if (v != inflight && hg_limit_set(&ctl, KMQTT_LIMIT_A_MAX_INFLIGHT,
						  inflight))
			return "cannot restore max-inflight";
		return NULL;
	}
	if (req != REQ_LISTENER_ADD)
		return NULL;
	hg_msg_listener(&m, &ctl, KMQTT_CMD_LISTENER_DEL, port);
	e = hg_call(&ctl, &m);
	if (!err && e)
		return "LISTENER_ADD succeeded but the listener cannot be removed";
	/* -ENOBUFS: the answer itself was lost; either state is right. */
	if (err && err != -ENOBUFS && e != -ENOENT)
		return "LISTENER_ADD failed but left a listener behind";
	return NULL;
}

static int case_failslab_control(void)
{
	int req, total = 0, errs[8] = { 0 };
	long long inflight;
	uint16_t port;
	char detail[256] = "";
	size_t dl = 0;

	if (!mq_is_kmqtt())
		SKIP("broker-specific: kernel fault injection");
	if (!failslab_present())
		SKIP("no %s (CONFIG_FAILSLAB and debugfs: debug kernel only)",
		     FAILSLAB);
	if (!have_ctl())
		SKIP("kmqtt generic netlink family not reachable");
	fnth = open("/proc/thread-self/fail-nth", O_RDWR);
	if (fnth < 0)
		SKIP("no /proc/thread-self/fail-nth (CONFIG_FAULT_INJECTION)");
	if (hg_limit_get(&ctl, KMQTT_LIMIT_A_MAX_INFLIGHT, &inflight))
		FAIL("LIMIT_GET fails before any injection");
	port = free_port();
	/* fail-nth counts every slab allocation of this thread, sleeping or not. */
	wr(FAILSLAB "/probability", "0");
	wr(FAILSLAB "/verbose", "0");
	wr(FAILSLAB "/cache-filter", "N");
	wr(FAILSLAB "/ignore-gfp-wait", "N");

	for (req = 0; req < REQ_COUNT; req++) {
		unsigned int nth;
		int injected = 0;

		for (nth = 1; nth <= 2000; nth++) {
			struct hg_msg m;
			const char *bad;
			long left;
			int err;

			build_req(&m, req, inflight, port);
			fnth_arm(nth);
			err = hg_call(&ctl, &m);
			left = fnth_left();
			fnth_arm(0);
			if (err == -EAGAIN || err == -EWOULDBLOCK) {
				failslab_restore();
				FAIL("%s: no answer with allocation %u failed",
				     req_names[req], nth);
			}
			bad = check_and_undo(req, err, inflight, port);
			if (bad) {
				failslab_restore();
				FAIL("%s, allocation %u failed (error %d): %s",
				     req_names[req], nth, err, bad);
			}
			if (left > 0)
				break;	/* completed before the n-th allocation */
			injected++;
			errs[err == 0 ? 0 : err == -ENOMEM ? 1 : err == -ENOBUFS ? 2 :
			     err == -EMSGSIZE ? 3 : 4]++;
			if (err && err != -ENOMEM && err != -ENOBUFS &&
			    err != -EMSGSIZE)
				printf("# %s with allocation %u failed: error %d (%s)\n",
				       req_names[req], nth, err, strerror(-err));
		}
		total += injected;
		dl += snprintf(detail + dl, sizeof(detail) - dl, "%s%s %d",
			       req ? ", " : "", req_names[req], injected);
		if (dl >= sizeof(detail))
			dl = sizeof(detail) - 1;
	}
	close(fnth);
	fnth = -1;
	failslab_restore();
	printf("# failures injected per request: %s\n", detail);
	printf("# answers: %d ok, %d ENOMEM, %d ENOBUFS, %d EMSGSIZE, %d other\n",
	       errs[0], errs[1], errs[2], errs[3], errs[4]);
	if (hg_limit_get(&ctl, KMQTT_LIMIT_A_MAX_INFLIGHT, &inflight))
		FAIL("LIMIT_GET fails after the injection ended");
	if (!broker_serves())
		FAIL("broker not serving after control-plane allocation failures");
	if (!total)
		SKIP("no allocation failure reached (fail-nth not effective?)");
	PASS("%d control requests each failed at one allocation: all answered, nothing half-done, broker serving",
	     total);
}

static const struct hl_case cases[] = {
	{ "failslab_messages", case_failslab_messages },
	{ "failslab_control", case_failslab_control },
};

int main(void)
{
	hl_cleanup = failslab_restore;
	return hl_main(cases, sizeof(cases) / sizeof(cases[0]));
}
