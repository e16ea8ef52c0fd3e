// SPDX-License-Identifier: GPL-2.0
/*
 * Mosquitto-style $SYS/broker/... topics, published retained at QoS 0 every
 * limits.sys_interval seconds (0: never) from a delayed work item, so that
 * dashboards written for Mosquitto work unchanged where we have the figure.
 *
 * Differences: "messages" count PUBLISH messages (Mosquitto counts every
 * packet); heap/current is the memory of live messages. Loads are Mosquitto's
 * exponentially decayed per-minute rates over 1, 5 and 15 minutes, computed
 * in fixed point (no FPU in the kernel).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/slab.h>
#include <linux/workqueue.h>
#include "ctl.h"
#include "msg.h"

/* The rates kept as loads, in $SYS/broker/load/<name>/<window>. */
enum kmqtt_sys_rate {
	KMQTT_SYS_MSGS_RECEIVED,
	KMQTT_SYS_MSGS_SENT,
	KMQTT_SYS_PUB_RECEIVED,
	KMQTT_SYS_PUB_SENT,
	KMQTT_SYS_PUB_DROPPED,
	KMQTT_SYS_BYTES_RECEIVED,
	KMQTT_SYS_BYTES_SENT,
	KMQTT_SYS_CONNECTIONS,
	KMQTT_SYS_SOCKETS,
	KMQTT_SYS_RATE_COUNT
};

static const char *const kmqtt_sys_rate_topic[KMQTT_SYS_RATE_COUNT] = {
	[KMQTT_SYS_MSGS_RECEIVED] = "messages/received",
	[KMQTT_SYS_MSGS_SENT] = "messages/sent",
	[KMQTT_SYS_PUB_RECEIVED] = "publish/received",
	[KMQTT_SYS_PUB_SENT] = "publish/sent",
	[KMQTT_SYS_PUB_DROPPED] = "publish/dropped",
	[KMQTT_SYS_BYTES_RECEIVED] = "bytes/received",
	[KMQTT_SYS_BYTES_SENT] = "bytes/sent",
	[KMQTT_SYS_CONNECTIONS] = "connections",
	[KMQTT_SYS_SOCKETS] = "sockets",
};

#define KMQTT_SYS_WINDOWS	3
static const char *const kmqtt_sys_window_name[KMQTT_SYS_WINDOWS] = {
	"1min", "5min", "15min"
};

static const u32 kmqtt_sys_window_secs[KMQTT_SYS_WINDOWS] = { 60, 300, 900 };
/* exp(-1 / window) in 32.32 fixed point. */
static const u64 kmqtt_sys_decay_1s[KMQTT_SYS_WINDOWS] = {
	4223977731ULL, 4280674573ULL, 4290197760ULL
};

#define KMQTT_SYS_FRAC	16	/* loads: per-minute rate << 16 */

struct kmqtt_sys {
	u64 last_time;
	u64 last[KMQTT_SYS_RATE_COUNT];
	u64 load[KMQTT_SYS_RATE_COUNT][KMQTT_SYS_WINDOWS];
	u64 max_clients;
	bool primed;
};

/* exp(-secs / window) in 32.32 fixed point, by repeated squaring. */
static u64 kmqtt_sys_decay(unsigned int w, u64 secs)
{
	u64 result = 1ULL << 32, base = kmqtt_sys_decay_1s[w];

	/* Past ten windows the old value weighs < 0.005 %: forget it. */
	if (secs > 10ULL * kmqtt_sys_window_secs[w])
		return 0;
	while (secs) {
		if (secs & 1)
			result = mul_u64_u64_shr(result, base, 32);
		base = mul_u64_u64_shr(base, base, 32);
		secs >>= 1;
	}
	return result;
}

static void kmqtt_sys_pub(struct kmqtt_net *kn, const char *topic,
			  const char *fmt, ...)
{
	char buf[48];
	va_list args;
	int len;

	va_start(args, fmt);
	len = vscnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	kmqtt_broker_publish(&kn->broker, (const u8 *)topic, strlen(topic),
			     (const u8 *)buf, len, 0, true);
}

static void kmqtt_sys_pub_u64(struct kmqtt_net *kn, const char *topic, u64 v)
{
	kmqtt_sys_pub(kn, topic, "%llu", v);
}

static void kmqtt_sys_loads(struct kmqtt_net *kn, struct kmqtt_sys *s,
			    const u64 *now_vals, u64 now)
{
	u64 dt = now - s->last_time;
	char topic[64];
	int r, w;

	if (!s->primed || dt == 0)
		return;
	for (r = 0; r < KMQTT_SYS_RATE_COUNT; r++) {
		u64 delta = now_vals[r] - s->last[r];
		/* Per-minute rate over the last interval. */
		u64 rate = mul_u64_u64_div_u64(delta, 60ULL << KMQTT_SYS_FRAC,
					       dt);

		for (w = 0; w < KMQTT_SYS_WINDOWS; w++) {
			u64 e = kmqtt_sys_decay(w, dt);
			u64 v = mul_u64_u64_shr(s->load[r][w], e, 32) +
				mul_u64_u64_shr(rate, (1ULL << 32) - e, 32);

			s->load[r][w] = v;
			snprintf(topic, sizeof(topic),
				 "$SYS/broker/load/%s/%s",
				 kmqtt_sys_rate_topic[r],
				 kmqtt_sys_window_name[w]);
			kmqtt_sys_pub(kn, topic, "%llu.%02llu",
				      v >> KMQTT_SYS_FRAC,
				      ((v & ((1ULL << KMQTT_SYS_FRAC) - 1)) *
				       100) >> KMQTT_SYS_FRAC);
		}
	}
}

static void kmqtt_sys_publish(struct kmqtt_net *kn, struct kmqtt_sys *s)
{
	u64 g[KMQTT_GAUGE_COUNT], vals[KMQTT_SYS_RATE_COUNT];
	u64 now = kmqtt_now_sec();
	u64 in, out, dropped, *c;

	c = kcalloc(KMQTT_STAT_COUNT, sizeof(*c), GFP_KERNEL);
	if (!c)
		return;
	kmqtt_stats_read(&kn->broker.stats, c);
	kmqtt_gauges_read(kn, g);

	in = c[KMQTT_STAT_MSGS_IN_QOS0] + c[KMQTT_STAT_MSGS_IN_QOS1] +
	     c[KMQTT_STAT_MSGS_IN_QOS2];
	out = c[KMQTT_STAT_MSGS_OUT_QOS0] + c[KMQTT_STAT_MSGS_OUT_QOS1] +
	      c[KMQTT_STAT_MSGS_OUT_QOS2];
	dropped = c[KMQTT_STAT_DROPPED_QUEUE_FULL] +
		  c[KMQTT_STAT_DROPPED_NO_MEMORY] + c[KMQTT_STAT_DROPPED_ACL];
	s->max_clients = max(s->max_clients, g[KMQTT_GAUGE_CONNECTIONS_NOW]);

	kmqtt_sys_pub(kn, "$SYS/broker/version", "kmqtt version %s",
		      KMQTT_VERSION_STR);
	kmqtt_sys_pub(kn, "$SYS/broker/uptime", "%llu seconds",
		      g[KMQTT_GAUGE_UPTIME]);
	kmqtt_sys_pub_u64(kn, "$SYS/broker/clients/connected",
			  g[KMQTT_GAUGE_CONNECTIONS_NOW]);
	kmqtt_sys_pub_u64(kn, "$SYS/broker/clients/active",
			  g[KMQTT_GAUGE_CONNECTIONS_NOW]);
	kmqtt_sys_pub_u64(kn, "$SYS/broker/clients/total",
			  g[KMQTT_GAUGE_SESSIONS]);
	kmqtt_sys_pub_u64(kn, "$SYS/broker/clients/disconnected",
			  g[KMQTT_GAUGE_SESSIONS] >
			  g[KMQTT_GAUGE_CONNECTIONS_NOW] ?
			  g[KMQTT_GAUGE_SESSIONS] -
			  g[KMQTT_GAUGE_CONNECTIONS_NOW] : 0);
	kmqtt_sys_pub_u64(kn, "$SYS/broker/clients/maximum", s->max_clients);
	kmqtt_sys_pub_u64(kn, "$SYS/broker/messages/received", in);
	kmqtt_sys_pub_u64(kn, "$SYS/broker/messages/sent", out);
	kmqtt_sys_pub_u64(kn, "$SYS/broker/messages/stored",
			  g[KMQTT_GAUGE_RETAINED_COUNT]);
	kmqtt_sys_pub_u64(kn, "$SYS/broker/store/messages/count",
			  g[KMQTT_GAUGE_RETAINED_COUNT]);
	kmqtt_sys_pub_u64(kn, "$SYS/broker/store/messages/bytes",
			  g[KMQTT_GAUGE_RETAINED_BYTES]);
	kmqtt_sys_pub_u64(kn, "$SYS/broker/publish/messages/received", in);
	kmqtt_sys_pub_u64(kn, "$SYS/broker/publish/messages/sent", out);
	kmqtt_sys_pub_u64(kn, "$SYS/broker/publish/messages/dropped",
			  dropped);
	kmqtt_sys_pub_u64(kn, "$SYS/broker/bytes/received",
			  c[KMQTT_STAT_BYTES_IN]);
	kmqtt_sys_pub_u64(kn, "$SYS/broker/bytes/sent",
			  c[KMQTT_STAT_BYTES_OUT]);
	kmqtt_sys_pub_u64(kn, "$SYS/broker/retained messages/count",
			  g[KMQTT_GAUGE_RETAINED_COUNT]);
	kmqtt_sys_pub_u64(kn, "$SYS/broker/subscriptions/count",
			  g[KMQTT_GAUGE_SUBSCRIPTIONS]);
	kmqtt_sys_pub_u64(kn, "$SYS/broker/heap/current",
			  g[KMQTT_GAUGE_MEMORY_BYTES]);

	vals[KMQTT_SYS_MSGS_RECEIVED] = in;
	vals[KMQTT_SYS_MSGS_SENT] = out;
	vals[KMQTT_SYS_PUB_RECEIVED] = in;
	vals[KMQTT_SYS_PUB_SENT] = out;
	vals[KMQTT_SYS_PUB_DROPPED] = dropped;
	vals[KMQTT_SYS_BYTES_RECEIVED] = c[KMQTT_STAT_BYTES_IN];
	vals[KMQTT_SYS_BYTES_SENT] = c[KMQTT_STAT_BYTES_OUT];
	vals[KMQTT_SYS_CONNECTIONS] = c[KMQTT_STAT_CONNECTS];
	vals[KMQTT_SYS_SOCKETS] = c[KMQTT_STAT_CONNECTIONS_TOTAL];
	kmqtt_sys_loads(kn, s, vals, now);
	memcpy(s->last, vals, sizeof(vals));
	s->last_time = now;
	s->primed = true;
	kfree(c);
}

static void kmqtt_sys_work(struct work_struct *work)
{
	struct kmqtt_net *kn = container_of(to_delayed_work(work),
					    struct kmqtt_net, sys_work);
	u16 interval = READ_ONCE(kn->broker.limits.sys_interval);

	/* Off, or going away: kmqtt_sys_reschedule() starts it again. */
	if (!interval || READ_ONCE(kn->broker.shutting_down) || !kn->sys)
		return;
	kmqtt_sys_publish(kn, kn->sys);
	queue_delayed_work(kmqtt_wq, &kn->sys_work, interval * HZ);
}

void kmqtt_sys_start(struct kmqtt_net *kn)
{
	INIT_DELAYED_WORK(&kn->sys_work, kmqtt_sys_work);
	kn->sys = kzalloc(sizeof(struct kmqtt_sys), GFP_KERNEL);
	if (!kn->sys) {
		pr_warn("no memory for $SYS topics: not publishing them\n");
		return;
	}
	if (READ_ONCE(kn->broker.limits.sys_interval))
		queue_delayed_work(kmqtt_wq, &kn->sys_work, HZ);
}

void kmqtt_sys_reschedule(struct kmqtt_net *kn)
{
	if (!kn->sys)
		return;
	if (READ_ONCE(kn->broker.limits.sys_interval))
		mod_delayed_work(kmqtt_wq, &kn->sys_work, 0);
	else
		cancel_delayed_work(&kn->sys_work);
}

void kmqtt_sys_stop(struct kmqtt_net *kn)
{
	cancel_delayed_work_sync(&kn->sys_work);
	kfree(kn->sys);
	kn->sys = NULL;
}
