// SPDX-License-Identifier: GPL-2.0
/*
 * Listening sockets. Each listener is a kernel TCP socket in its namespace
 * whose sk_data_ready queues accept_work on kmqtt_wq; accept_work accepts
 * without blocking and hands every new socket to conn.c.
 *
 * Lifetime: a listener is on kn->listeners (under kn->lock) from add to
 * remove. Removal unlinks it under kn->lock, then, without the lock (closing
 * connections may take time and must not wait behind netlink): restores the
 * socket's callback, cancels accept_work, releases the socket and closes the
 * connections it accepted before freeing it. Nothing else holds a pointer to
 * a listener except its connections, which only use it to be counted and are
 * all gone before it is freed.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/inet.h>
#include <linux/kernel.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/tcp.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include "kmqtt.h"

#define KMQTT_LISTEN_BACKLOG	1024
/* Connections accepted per accept_work run before yielding the CPU. */
#define KMQTT_ACCEPT_BATCH	64

/*
 * "1.2.3.4:1883" or "[::1]:1883". Names and IPv6 scope ids are refused:
 * the kernel resolves nothing, and a listener binds where it is told.
 */
int kmqtt_parse_addr(const char *s, struct sockaddr_storage *addr)
{
	size_t len = strnlen(s, KMQTT_ADDR_STR_MAX + 1);
	const char *end, *port;
	u16 portnum;

	if (len == 0 || len > KMQTT_ADDR_STR_MAX)
		return -EINVAL;
	memset(addr, 0, sizeof(*addr));

	if (s[0] == '[') {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)addr;

		if (!in6_pton(s + 1, len - 1, sin6->sin6_addr.s6_addr, ']', &end) ||
		    *end != ']')
			return -EINVAL;
		if (end[1] != ':')
			return -EINVAL;
		port = end + 2;
		sin6->sin6_family = AF_INET6;
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)addr;

		if (!in4_pton(s, len, (u8 *)&sin->sin_addr.s_addr, ':', &end) ||
		    *end != ':')
			return -EINVAL;
		port = end + 1;
		sin->sin_family = AF_INET;
	}

	/* kstrtou16 accepts a leading '+' and a trailing newline: be strict. */
	if (*port < '0' || *port > '9' || strchr(port, '\n'))
		return -EINVAL;
	if (kstrtou16(port, 10, &portnum) || portnum == 0)
		return -EINVAL;

	if (addr->ss_family == AF_INET6)
		((struct sockaddr_in6 *)addr)->sin6_port = htons(portnum);
	else
		((struct sockaddr_in *)addr)->sin_port = htons(portnum);
	return 0;
}

static bool kmqtt_addr_equal(const struct sockaddr_storage *a,
			     const struct sockaddr_storage *b)
{
	const struct sockaddr_in6 *a6 = (const void *)a, *b6 = (const void *)b;
	const struct sockaddr_in *a4 = (const void *)a, *b4 = (const void *)b;

	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET6)
		return a6->sin6_port == b6->sin6_port &&
		       ipv6_addr_equal(&a6->sin6_addr, &b6->sin6_addr);
	return a4->sin_port == b4->sin_port &&
	       a4->sin_addr.s_addr == b4->sin_addr.s_addr;
}

static int kmqtt_addr_len(const struct sockaddr_storage *addr)
{
	return addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
					     sizeof(struct sockaddr_in);
}

/*
 * Softirq: a connection is ready to be accepted. Children are cloned from
 * the listening socket with its callbacks, so this also runs for a child
 * that receives data before it is accepted: only LISTEN sockets count, and
 * kmqtt_user_data is NOCOPY so a child never sees the listener pointer.
 */
static void kmqtt_listen_data_ready(struct sock *sk)
{
	struct kmqtt_listener *l;

	read_lock_bh(&sk->sk_callback_lock);
	l = __locked_read_sk_user_data_with_flags(sk, SK_USER_DATA_NOCOPY);
	if (l && sk->sk_state == TCP_LISTEN)
		queue_work(kmqtt_wq, &l->accept_work);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void kmqtt_accept_work(struct work_struct *work)
{
	struct kmqtt_listener *l = container_of(work, struct kmqtt_listener,
						accept_work);
	struct socket *newsock;
	int i, err;

	for (i = 0; i < KMQTT_ACCEPT_BATCH; i++) {
		err = kernel_accept(l->sock, &newsock, O_NONBLOCK);
		if (err == -EAGAIN)
			return;
		if (err) {
			/* Aborted handshakes, no memory: try the next one. */
			pr_debug("accept: %d\n", err);
			continue;
		}
		/*
		 * The child inherited our listening callback; give it back the
		 * kernel's own before conn.c saves "the originals", so that a
		 * socket outliving us (orphaned, closing) never calls into
		 * the module.
		 */
		write_lock_bh(&newsock->sk->sk_callback_lock);
		if (newsock->sk->sk_data_ready == kmqtt_listen_data_ready)
			newsock->sk->sk_data_ready = l->saved_data_ready;
		write_unlock_bh(&newsock->sk->sk_callback_lock);

		WRITE_ONCE(l->accepted, l->accepted + 1);
		kmqtt_conn_start(l, newsock);
	}
	/* More may be waiting: let other work run first. */
	queue_work(kmqtt_wq, &l->accept_work);
}

static int kmqtt_listener_open(struct kmqtt_listener *l)
{
	struct sockaddr_storage *addr = &l->addr;
	struct socket *sock;
	struct sock *sk;
	int err;

	err = sock_create_kern(l->kn->net, addr->ss_family, SOCK_STREAM,
			       IPPROTO_TCP, &sock);
	if (err)
		return err;
	sk = sock->sk;
	sock_set_reuseaddr(sk);
	/* [::]:1883 and 0.0.0.0:1883 are two listeners, as in Mosquitto. */
	if (addr->ss_family == AF_INET6) {
		err = ip6_sock_set_v6only(sk);
		if (err)
			goto out_release;
	}

	err = kernel_bind(sock, (struct sockaddr *)addr, kmqtt_addr_len(addr));
	if (err)
		goto out_release;

	/* Hook before listen(): no connection can arrive unnoticed. */
	write_lock_bh(&sk->sk_callback_lock);
	l->saved_data_ready = sk->sk_data_ready;
	__rcu_assign_sk_user_data_with_flags(sk, l, SK_USER_DATA_NOCOPY);
	sk->sk_data_ready = kmqtt_listen_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);

	err = kernel_listen(sock, KMQTT_LISTEN_BACKLOG);
	if (err)
		goto out_unhook;
	l->sock = sock;
	return 0;

out_unhook:
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_data_ready = l->saved_data_ready;
	rcu_assign_sk_user_data(sk, NULL);
	write_unlock_bh(&sk->sk_callback_lock);
	cancel_work_sync(&l->accept_work);
out_release:
	sock_release(sock);
	return err;
}

/* @l is unlinked: stop accepting, close what it accepted, free it. */
static void kmqtt_listener_destroy(struct kmqtt_listener *l)
{
	struct sock *sk = l->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_data_ready = l->saved_data_ready;
	rcu_assign_sk_user_data(sk, NULL);
	write_unlock_bh(&sk->sk_callback_lock);
	/* Handles accept_work requeueing itself; nothing else queues it now. */
	cancel_work_sync(&l->accept_work);
	/* Resets the connections still waiting in the accept queue. */
	kernel_sock_shutdown(l->sock, SHUT_RDWR);
	sock_release(l->sock);
	l->sock = NULL;

	kmqtt_conns_close(l->kn, l);
	kfree(l);
}

int kmqtt_listener_add(struct kmqtt_net *kn,
		       const struct sockaddr_storage *addr)
{
	struct kmqtt_listener *l, *pos;
	int err;

	if (addr->ss_family != AF_INET && addr->ss_family != AF_INET6)
		return -EAFNOSUPPORT;

	l = kzalloc(sizeof(*l), GFP_KERNEL_ACCOUNT);
	if (!l)
		return -ENOMEM;
	l->kn = kn;
	memcpy(&l->addr, addr, kmqtt_addr_len(addr));
	INIT_WORK(&l->accept_work, kmqtt_accept_work);

	mutex_lock(&kn->lock);
	err = -EEXIST;
	list_for_each_entry(pos, &kn->listeners, entry)
		if (kmqtt_addr_equal(&pos->addr, addr))
			goto out_unlock;
	err = -ENOSPC;
	if (kn->listener_count >= KMQTT_MAX_LISTENERS)
		goto out_unlock;
	err = kmqtt_listener_open(l);
	if (err)
		goto out_unlock;
	list_add_tail(&l->entry, &kn->listeners);
	kn->listener_count++;
	mutex_unlock(&kn->lock);
	return 0;

out_unlock:
	mutex_unlock(&kn->lock);
	kfree(l);
	return err;
}

int kmqtt_listener_remove(struct kmqtt_net *kn,
			  const struct sockaddr_storage *addr)
{
	struct kmqtt_listener *l, *found = NULL;

	mutex_lock(&kn->lock);
	list_for_each_entry(l, &kn->listeners, entry) {
		if (kmqtt_addr_equal(&l->addr, addr)) {
			found = l;
			list_del(&l->entry);
			kn->listener_count--;
			break;
		}
	}
	mutex_unlock(&kn->lock);

	if (!found)
		return -ENOENT;
	kmqtt_listener_destroy(found);
	return 0;
}

void kmqtt_listeners_stop_all(struct kmqtt_net *kn)
{
	struct kmqtt_listener *l, *tmp;
	LIST_HEAD(stopping);

	mutex_lock(&kn->lock);
	list_splice_init(&kn->listeners, &stopping);
	kn->listener_count = 0;
	mutex_unlock(&kn->lock);

	list_for_each_entry_safe(l, tmp, &stopping, entry) {
		list_del(&l->entry);
		kmqtt_listener_destroy(l);
	}
}
