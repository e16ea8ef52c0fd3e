// SPDX-License-Identifier: GPL-2.0
/*
 * Harness stand-in for kmqtt.ko: NOT the broker. It listens on one TCP port (IPv6
 * any-address socket, so IPv4 connections arrive too), answers every connection's
 * first bytes with an MQTT CONNACK (accepted), keeps the connection open and closes
 * them all on unload. It lets tests/vm be exercised (lifecycle, forwards, make run)
 * independently of the real broker's state. Single kthread, blocking calls.
 */
#define pr_fmt(fmt) "kmqtt(fake): " fmt
#include <linux/module.h>
#include <linux/kthread.h>
#include <linux/net.h>
#include <linux/in6.h>
#include <linux/slab.h>
#include <linux/list.h>
#include <net/sock.h>

static char *listen = "";
module_param(listen, charp, 0444);
MODULE_PARM_DESC(listen, "ignored except for logging; the fake always listens on [::]:1883");

struct fake_conn {
	struct list_head node;
	struct socket *sock;
};

static struct socket *lsock;
static struct task_struct *thread;
static LIST_HEAD(conns);

static void fake_serve(struct socket *c)
{
	static const u8 connack[4] = { 0x20, 0x02, 0x00, 0x00 };
	struct msghdr msg = { };
	struct kvec iov;
	u8 buf[64];
	struct fake_conn *fc;
	int n;

	c->sk->sk_rcvtimeo = 2 * HZ;
	iov.iov_base = buf;
	iov.iov_len = sizeof(buf);
	n = kernel_recvmsg(c, &msg, &iov, 1, sizeof(buf), 0);
	if (n <= 0 || buf[0] != 0x10) {
		sock_release(c);
		return;
	}
	iov.iov_base = (void *)connack;
	iov.iov_len = sizeof(connack);
	memset(&msg, 0, sizeof(msg));
	kernel_sendmsg(c, &msg, &iov, 1, sizeof(connack));
	fc = kzalloc(sizeof(*fc), GFP_KERNEL);
	if (!fc) {
		sock_release(c);
		return;
	}
	fc->sock = c;
	list_add(&fc->node, &conns);
}

static int fake_thread(void *unused)
{
	while (!kthread_should_stop()) {
		struct socket *c;

		if (kernel_accept(lsock, &c, 0) < 0) {
			if (!kthread_should_stop())
				schedule_timeout_interruptible(HZ / 10);
			continue;
		}
		fake_serve(c);
	}
	return 0;
}

static int __init fake_init(void)
{
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_port = htons(1883) };
	int err;

	err = sock_create_kern(&init_net, AF_INET6, SOCK_STREAM, IPPROTO_TCP, &lsock);
	if (err)
		return err;
	sock_set_reuseaddr(lsock->sk);
	lsock->sk->sk_rcvtimeo = HZ / 2;	/* accept wakes up to check for stop */
	err = kernel_bind(lsock, (struct sockaddr *)&a, sizeof(a));
	if (!err)
		err = kernel_listen(lsock, 16);
	if (err)
		goto out;
	thread = kthread_run(fake_thread, NULL, "kmqtt-fake");
	if (IS_ERR(thread)) {
		err = PTR_ERR(thread);
		goto out;
	}
	pr_info("listening on [::]:1883 (listen='%s' ignored)\n", listen);
	return 0;
out:
	sock_release(lsock);
	return err;
}

static void __exit fake_exit(void)
{
	struct fake_conn *fc, *tmp;

	kthread_stop(thread);
	sock_release(lsock);
	list_for_each_entry_safe(fc, tmp, &conns, node) {
		kernel_sock_shutdown(fc->sock, SHUT_RDWR);
		sock_release(fc->sock);
		list_del(&fc->node);
		kfree(fc);
	}
	pr_info("unloaded\n");
}

module_init(fake_init);
module_exit(fake_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("kmqtt VM harness self-test: fake broker answering CONNACK");
