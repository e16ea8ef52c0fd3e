// SPDX-License-Identifier: GPL-2.0
/*
 * kmqtt module entry: the listen= parameter, the workqueue every socket event
 * runs on, and the per-namespace broker (pernet_operations).
 *
 * Each network namespace gets a struct kmqtt_net with its own broker, /proc
 * entries, users, $SYS publisher, listeners and connections. The initial
 * namespace starts listening on listen= at load time; other namespaces start
 * with no listener until mqttctl adds one. A namespace going away, and module
 * unload (which unregisters the pernet ops, so it is the same path for every
 * namespace), closes every connection and frees everything.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include "kmqtt.h"
#include "msg.h"

static char *kmqtt_listen = "127.0.0.1:1883,[::1]:1883";
module_param_named(listen, kmqtt_listen, charp, 0444);
MODULE_PARM_DESC(listen,
		 "Listeners of the initial network namespace at load time: comma-separated ADDR:PORT, IPv6 in brackets, empty for none (default \"127.0.0.1:1883,[::1]:1883\")");

unsigned int kmqtt_net_id __read_mostly;
struct workqueue_struct *kmqtt_wq __read_mostly;
struct workqueue_struct *kmqtt_reap_wq __read_mostly;

struct kmqtt_net *kmqtt_net(const struct net *net)
{
	return net_generic(net, kmqtt_net_id);
}

/* Start one listen= listener in the initial namespace. */
static int kmqtt_boot_listener(struct kmqtt_net *kn,
			       const struct sockaddr_storage *addr)
{
	int err = kmqtt_listener_add(kn, addr);

	if (!err) {
		pr_info("listening on %pISpc\n", addr);
		return 0;
	}
	/* A host without IPv6 (ipv6.disable=1, no ::1) keeps IPv4. */
	if (addr->ss_family == AF_INET6 &&
	    (err == -EAFNOSUPPORT || err == -EADDRNOTAVAIL)) {
		pr_warn("IPv6 unavailable, not listening on %pISpc (%d)\n",
			addr, err);
		return 0;
	}
	pr_err("cannot listen on %pISpc: %d%s\n", addr, err,
	       err == -EADDRINUSE ? " (address in use)" :
	       err == -EEXIST ? " (listed twice)" : "");
	return err;
}

/*
 * Walk listen= (read-only once loaded): check every entry when @kn is NULL
 * (module init, before anything starts), else start them in @kn.
 */
static int kmqtt_listen_param(struct kmqtt_net *kn)
{
	struct sockaddr_storage addr;
	char *copy, *cursor, *tok;
	unsigned int count = 0;
	int err = 0;

	if (!kmqtt_listen)
		return 0;
	copy = kstrdup(kmqtt_listen, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	cursor = copy;
	while ((tok = strsep(&cursor, ",")) != NULL) {
		tok = strim(tok);
		if (!*tok)
			continue;
		if (++count > KMQTT_MAX_LISTENERS) {
			pr_err("listen=: more than %d addresses\n",
			       KMQTT_MAX_LISTENERS);
			err = -EINVAL;
			break;
		}
		if (kmqtt_parse_addr(tok, &addr)) {
			pr_err("listen=: bad address \"%s\" (want ADDR:PORT, IPv6 in brackets, e.g. 127.0.0.1:1883,[::1]:1883)\n",
			       tok);
			err = -EINVAL;
			break;
		}
		if (kn) {
			err = kmqtt_boot_listener(kn, &addr);
			if (err)
				break;
		}
	}
	kfree(copy);
	return err;
}

static int __net_init kmqtt_net_init(struct net *net)
{
	struct kmqtt_net *kn = kmqtt_net(net);
	int err;

	kn->net = net;
	kn->started_at = kmqtt_now_sec();
	mutex_init(&kn->lock);
	INIT_LIST_HEAD(&kn->listeners);
	kmqtt_conns_init(kn);

	err = kmqtt_broker_init(&kn->broker, &kmqtt_auth_ops, kn);
	if (err)
		goto out_lock;
	err = kmqtt_auth_init(kn);
	if (err)
		goto out_broker;
	err = kmqtt_proc_init(kn);
	if (err)
		goto out_auth;
	kmqtt_sys_start(kn);

	if (net_eq(net, &init_net)) {
		err = kmqtt_listen_param(kn);
		if (err)
			goto out_listeners;
	}
	return 0;

out_listeners:
	kmqtt_sys_stop(kn);
	kmqtt_listeners_stop_all(kn);
	kmqtt_conns_exit(kn);
	kmqtt_proc_exit(kn);
out_auth:
	kmqtt_auth_exit(kn);
out_broker:
	kmqtt_broker_destroy(&kn->broker);
out_lock:
	mutex_destroy(&kn->lock);
	return err;
}

static void __net_exit kmqtt_net_exit(struct net *net)
{
	struct kmqtt_net *kn = kmqtt_net(net);

	kmqtt_sys_stop(kn);
	WRITE_ONCE(kn->broker.shutting_down, true);
	/* No new connections, then close the existing ones and wait. */
	kmqtt_listeners_stop_all(kn);
	kmqtt_conns_exit(kn);
	kmqtt_proc_exit(kn);
	kmqtt_auth_exit(kn);
	kmqtt_broker_destroy(&kn->broker);
	mutex_destroy(&kn->lock);
}

static struct pernet_operations kmqtt_net_ops = {
	.init = kmqtt_net_init,
	.exit = kmqtt_net_exit,
	.id = &kmqtt_net_id,
	.size = sizeof(struct kmqtt_net),
};

static int __init kmqtt_init(void)
{
	int err;

	err = kmqtt_listen_param(NULL);
	if (err)
		return err;
	err = kmqtt_msg_cache_init();
	if (err)
		return err;
	/*
	 * Per-CPU (bound), not WQ_UNBOUND: a socket callback queues its
	 * connection's work on the CPU that ran the softirq, so the work finds
	 * the socket and the skbs warm in that CPU's cache, and with RSS/RPS
	 * different flows spread over CPUs by themselves. Each run is bounded,
	 * so one busy client cannot hold a CPU's pool. No WQ_MEM_RECLAIM: no
	 * memory reclaim path waits for an MQTT client.
	 */
	kmqtt_wq = alloc_workqueue("kmqtt", 0, 0);
	if (!kmqtt_wq) {
		err = -ENOMEM;
		goto out_msg;
	}
	/* The engine's half of closing a connection: see conn.c, Closing. */
	kmqtt_reap_wq = alloc_workqueue("kmqtt_reap", WQ_UNBOUND, 0);
	if (!kmqtt_reap_wq) {
		err = -ENOMEM;
		goto out_wq;
	}
	err = register_pernet_subsys(&kmqtt_net_ops);
	if (err)
		goto out_reap_wq;
	err = kmqtt_netlink_init();
	if (err)
		goto out_pernet;
	pr_info("version %s loaded\n", KMQTT_VERSION_STR);
	return 0;

out_pernet:
	unregister_pernet_subsys(&kmqtt_net_ops);
out_reap_wq:
	destroy_workqueue(kmqtt_reap_wq);
out_wq:
	destroy_workqueue(kmqtt_wq);
out_msg:
	kmqtt_msg_cache_exit();
	return err;
}

static void __exit kmqtt_exit(void)
{
	kmqtt_netlink_exit();
	unregister_pernet_subsys(&kmqtt_net_ops);
	/* Runs what dead connections still have queued, then frees them. */
	destroy_workqueue(kmqtt_wq);
	destroy_workqueue(kmqtt_reap_wq);
	kmqtt_msg_cache_exit();
	pr_info("unloaded\n");
}

module_init(kmqtt_init);
module_exit(kmqtt_exit);

MODULE_LICENSE("GPL");
MODULE_VERSION(KMQTT_VERSION_STR);
MODULE_DESCRIPTION("MQTT 3.1/3.1.1 broker in the kernel");
