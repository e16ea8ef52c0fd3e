// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/net/kmqtt/, one directory per network namespace:
 *
 *   stats      "name value" per line: every counter (see stats.c), then the
 *              gauges below. The names are those of netlink STATS_GET.
 *   clients    one line per session, with a header line
 *   listeners  one line per listener, with a header line
 *
 * Everything is read on demand from the broker; nothing here is cached.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/proc_fs.h>
#include <linux/seq_file.h>
#include <linux/seq_file_net.h>
#include <linux/slab.h>
#include "ctl.h"
#include "msg.h"

/* Only append: these names are ABI, like the counters'. */
static const char *const kmqtt_gauge_names[] = {
	[KMQTT_GAUGE_CONNECTIONS_NOW] = "connections_now",
	[KMQTT_GAUGE_SESSIONS] = "sessions",
	[KMQTT_GAUGE_SUBSCRIPTIONS] = "subscriptions",
	[KMQTT_GAUGE_RETAINED_COUNT] = "retained_count",
	[KMQTT_GAUGE_RETAINED_BYTES] = "retained_bytes",
	[KMQTT_GAUGE_MEMORY_BYTES] = "memory_bytes",
	[KMQTT_GAUGE_LISTENERS] = "listeners",
	[KMQTT_GAUGE_UPTIME] = "uptime",
};

const char *kmqtt_gauge_name(enum kmqtt_gauge g)
{
	BUILD_BUG_ON(ARRAY_SIZE(kmqtt_gauge_names) != KMQTT_GAUGE_COUNT);
	if ((unsigned int)g >= KMQTT_GAUGE_COUNT)
		return "unknown";
	return kmqtt_gauge_names[g];
}

/*
 * Lockless reads of values their owners update under their own locks: a
 * listing may be a moment old, never torn (64-bit).
 */
void kmqtt_gauges_read(struct kmqtt_net *kn, u64 *out)
{
	struct kmqtt_broker *b = &kn->broker;
	u64 now = kmqtt_now_sec();

	out[KMQTT_GAUGE_CONNECTIONS_NOW] = max(atomic_read(&b->connections), 0);
	out[KMQTT_GAUGE_SESSIONS] = READ_ONCE(b->session_count);
	out[KMQTT_GAUGE_SUBSCRIPTIONS] = READ_ONCE(b->subs.subscriptions);
	out[KMQTT_GAUGE_RETAINED_COUNT] = READ_ONCE(b->retained.count);
	out[KMQTT_GAUGE_RETAINED_BYTES] = READ_ONCE(b->retained.bytes);
	/* Message memory is shared by all namespaces' brokers. */
	out[KMQTT_GAUGE_MEMORY_BYTES] = max_t(s64, atomic64_read(&kmqtt_msg_mem),
					      0);
	out[KMQTT_GAUGE_LISTENERS] = READ_ONCE(kn->listener_count);
	out[KMQTT_GAUGE_UPTIME] = now > kn->started_at ? now - kn->started_at : 0;
}

/* ---- stats ---- */

static int kmqtt_proc_stats_show(struct seq_file *seq, void *v)
{
	struct kmqtt_net *kn = kmqtt_net(seq_file_single_net(seq));
	u64 gauges[KMQTT_GAUGE_COUNT];
	u64 *counters;
	int i;

	counters = kcalloc(KMQTT_STAT_COUNT, sizeof(*counters), GFP_KERNEL);
	if (!counters)
		return -ENOMEM;
	kmqtt_stats_read(&kn->broker.stats, counters);
	kmqtt_gauges_read(kn, gauges);
	for (i = 0; i < KMQTT_STAT_COUNT; i++)
		seq_printf(seq, "%s %llu\n", kmqtt_stat_name(i), counters[i]);
	for (i = 0; i < KMQTT_GAUGE_COUNT; i++)
		seq_printf(seq, "%s %llu\n", kmqtt_gauge_name(i), gauges[i]);
	kfree(counters);
	return 0;
}

/* ---- clients ---- */

#define KMQTT_PROC_CLIENT_BATCH	16

/*
 * Sessions are fetched by index in batches; the iterator keeps the last
 * batch so that seq_file's restarts and steps cost one lookup per batch.
 */
struct kmqtt_proc_clients {
	struct seq_net_private p;	/* first: seq_file_net() */
	loff_t base;			/* session index of ci[0] */
	u32 n;				/* valid entries in ci */
	struct kmqtt_client_info ci[KMQTT_PROC_CLIENT_BATCH];
};

static void *kmqtt_proc_client_at(struct seq_file *seq, loff_t pos)
{
	struct kmqtt_proc_clients *it = seq->private;
	struct kmqtt_net *kn = kmqtt_net(seq_file_net(seq));
	loff_t idx = pos - 1;		/* pos 0 is the header */

	if (pos == 0)
		return SEQ_START_TOKEN;
	if (idx < it->base || idx >= it->base + it->n) {
		if (idx > U32_MAX)
			return NULL;
		it->base = idx;
		it->n = kmqtt_broker_list_clients(&kn->broker, idx, it->ci,
						  KMQTT_PROC_CLIENT_BATCH);
	}
	if (idx >= it->base + it->n)
		return NULL;
	return &it->ci[idx - it->base];
}

static void *kmqtt_proc_clients_start(struct seq_file *seq, loff_t *pos)
{
	struct kmqtt_proc_clients *it = seq->private;

	/* A new read(): fetch fresh data. */
	if (*pos <= 1)
		it->n = 0;
	return kmqtt_proc_client_at(seq, *pos);
}

static void *kmqtt_proc_clients_next(struct seq_file *seq, void *v,
				     loff_t *pos)
{
	++*pos;
	return kmqtt_proc_client_at(seq, *pos);
}

static void kmqtt_proc_clients_stop(struct seq_file *seq, void *v)
{
}

/* Client ids and names may hold any UTF-8: keep one record per line. */
#define KMQTT_PROC_ESC " \t\n\\"

static int kmqtt_proc_clients_show(struct seq_file *seq, void *v)
{
	const struct kmqtt_client_info *ci = v;
	u64 now = kmqtt_now_sec();

	if (v == SEQ_START_TOKEN) {
		seq_puts(seq, "client_id peer username connected clean level keepalive subscriptions queued inflight bytes_in bytes_out msgs_in msgs_out connected_for\n");
		return 0;
	}
	seq_escape(seq, ci->client_id[0] ? ci->client_id : "-",
		   KMQTT_PROC_ESC);
	seq_putc(seq, ' ');
	seq_escape(seq, ci->peer[0] ? ci->peer : "-", KMQTT_PROC_ESC);
	seq_putc(seq, ' ');
	seq_escape(seq, ci->username[0] ? ci->username : "-", KMQTT_PROC_ESC);
	seq_printf(seq, " %u %u %u %u %u %u %u %llu %llu %llu %llu %llu\n",
		   ci->connected, ci->clean_session, ci->level, ci->keep_alive,
		   ci->subscriptions, ci->queued, ci->inflight, ci->bytes_in,
		   ci->bytes_out, ci->msgs_in, ci->msgs_out,
		   ci->connected && now > ci->connected_at ?
		   now - ci->connected_at : 0);
	return 0;
}

static const struct seq_operations kmqtt_proc_clients_ops = {
	.start = kmqtt_proc_clients_start,
	.next = kmqtt_proc_clients_next,
	.stop = kmqtt_proc_clients_stop,
	.show = kmqtt_proc_clients_show,
};

/* ---- listeners ---- */

static int kmqtt_proc_listeners_show(struct seq_file *seq, void *v)
{
	struct kmqtt_net *kn = kmqtt_net(seq_file_single_net(seq));
	struct kmqtt_listener *l;

	seq_puts(seq, "address accepted\n");
	mutex_lock(&kn->lock);
	list_for_each_entry(l, &kn->listeners, entry)
		seq_printf(seq, "%pISpc %llu\n", &l->addr,
			   READ_ONCE(l->accepted));
	mutex_unlock(&kn->lock);
	return 0;
}

int kmqtt_proc_init(struct kmqtt_net *kn)
{
	struct net *net = kn->net;

	if (!IS_ENABLED(CONFIG_PROC_FS))
		return 0;
	kn->proc_dir = proc_net_mkdir(net, "kmqtt", net->proc_net);
	if (!kn->proc_dir)
		return -ENOMEM;
	if (!proc_create_net_single("stats", 0444, kn->proc_dir,
				    kmqtt_proc_stats_show, NULL) ||
	    !proc_create_net("clients", 0444, kn->proc_dir,
			     &kmqtt_proc_clients_ops,
			     sizeof(struct kmqtt_proc_clients)) ||
	    !proc_create_net_single("listeners", 0444, kn->proc_dir,
				    kmqtt_proc_listeners_show, NULL)) {
		kmqtt_proc_exit(kn);
		return -ENOMEM;
	}
	return 0;
}

void kmqtt_proc_exit(struct kmqtt_net *kn)
{
	if (!kn->proc_dir)
		return;
	remove_proc_subtree("kmqtt", kn->net->proc_net);
	kn->proc_dir = NULL;
}
