// SPDX-License-Identifier: GPL-2.0
/*
 * One struct kmqtt_conn per accepted TCP connection: the transport that moves
 * bytes between a kernel socket and the protocol engine (engine.h).
 *
 * Execution
 *   The socket callbacks (sk_data_ready, sk_write_space, sk_state_change;
 *   softirq, socket spinlock held) never touch the engine: they set an event
 *   bit in conn->flags and queue conn->io_work on kmqtt_wq. So do the engine's
 *   hooks (wake_tx, wake_rx, close; any context, possibly under engine
 *   spinlocks) and the per-namespace tick (kn->tick_work, once a second).
 *   io_work is the
 *   only place that calls into the engine for this connection and the only
 *   place that reads, writes or closes its socket. A work item never runs
 *   concurrently with itself, so every engine call of one client is
 *   serialised without a lock, and closing from inside io_work needs no
 *   cancel-and-wait on itself. One work item rather than separate receive
 *   and send items for the same reason: the engine is not re-entrant per
 *   client, and a second item would need a lock and a cancel ordering.
 *   Each run is bounded (KMQTT_RX_BUDGET, KMQTT_TX_BUDGET); a connection with
 *   more to do requeues itself behind the others.
 *
 * Placement
 *   A run is queued on the CPU that asks for it: the socket callback's (the
 *   softirq that received the bytes: with RSS/RPS, where the flow is
 *   steered) or, for output woken by another client's publish, the CPU of
 *   the publisher's run. There a worker is already running, so the new item
 *   waits behind it without a wakeup, and a fan-out's sends follow their
 *   publish as one batch. Queueing each subscriber on "its" CPU instead was
 *   measured (tests/bench/profile.sh, fan-in at 1000 msg/s): every message
 *   then woke a sleeping worker on the other CPU, ~20 % of the guest's busy
 *   time, for no throughput gained on 2 vCPUs.
 *
 * Closing
 *   Every cause ends in kmqtt_conn_teardown(), run by io_work and only once
 *   (KMQTT_CONN_DEAD): EOF, socket error, the engine's negative verdict or
 *   timeout are seen by io_work itself; the engine's close hook, listener
 *   removal, namespace exit and rmmod set KMQTT_CONN_CLOSE and queue it.
 *   Teardown unhooks the callbacks, sends what the engine still has (a
 *   CONNACK refusal) without blocking, shuts down and releases the socket,
 *   then hands the rest to reap_work on the unbound kmqtt_reap_wq:
 *   kmqtt_client_closed() (which may be long, see there), unlink, and the
 *   base reference. From DEAD on, reap_work is the only caller of the
 *   engine for this client.
 *
 * Event bits
 *   Whoever sets a bit that was clear queues io_work; whoever finds it already
 *   set need not, because a run that clears it is then still to come. io_work
 *   clears a bit before acting on it, so an event that arrives meanwhile
 *   gets another run.
 *
 * References (conn->refs)
 *   - one "base" reference from creation until teardown has unhooked the
 *     socket callbacks and reap_work has returned from kmqtt_client_closed()
 *     and unlinked the connection from kn->conns. It keeps the conn alive for the callbacks
 *     (which run under read_lock(sk_callback_lock), and teardown takes the
 *     write lock before dropping it), for the engine hooks (called only
 *     before kmqtt_client_closed() returns) and for list walkers (under
 *     kn->conns_lock, which teardown takes to unlink);
 *   - one per queued io_work, taken by whoever queued it, dropped at the end
 *     of the run. A run on a connection already torn down (KMQTT_CONN_DEAD)
 *     only drops its reference. The last put frees the conn and touches
 *     nothing else, so a dead conn's pending work needs neither kn nor the
 *     listener; destroy_workqueue() at module exit runs it (and waits for
 *     the reaper's last put).
 *
 * Locks
 *   sk->sk_callback_lock: callbacks (read) vs hook / unhook (write).
 *   kn->conns_lock (spinlock, process context only): kn->conns,
 *     kn->conn_count, kn->conns_closing, listener->conns, and arming
 *     kn->tick_work (never after kmqtt_conns_exit()). Teardown unlinks
 *     and wakes kn->conns_wait under it, and waiters test their condition
 *     under it, so a waiter that sees "gone" can free the listener or kn at
 *     once: teardown touches neither after unlocking.
 *   No lock of this file is held while calling into the engine.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/uio.h>
#include <net/sock.h>
#include <net/tcp.h>
#include "engine.h"
#include "kmqtt.h"

/*
 * Reads of a connection without a receive buffer go to the stack (quiet
 * clients never get one); a buffer for bursts, grown to the frame size when
 * a frame is bigger.
 */
#define KMQTT_RX_STACK		512
#define KMQTT_RX_CHUNK		(16 * 1024)
/* Bytes received / sent per io_work run before yielding to other clients. */
#define KMQTT_RX_BUDGET		(64 * 1024)
#define KMQTT_TX_BUDGET		(256 * 1024)
/* Segments per sendmsg (on the stack: keep the frame under 1 KiB). */
#define KMQTT_TX_IOV		32

enum {
	KMQTT_CONN_STARTED,	/* set up and listed: io_work may act */
	KMQTT_CONN_RX,		/* data, EOF or error to read */
	KMQTT_CONN_TX,		/* output pending or write space back */
	KMQTT_CONN_TICK,	/* once a second: timeouts */
	KMQTT_CONN_CLOSE,	/* close requested (engine, admin, exit) */
	KMQTT_CONN_DEAD,	/* torn down: nothing left but memory */
};

struct kmqtt_conn {
	refcount_t refs;
	unsigned long flags;
	struct work_struct io_work;
	struct work_struct reap_work;		/* teardown's engine half */
	struct list_head entry;			/* kn->conns */
	struct kmqtt_net *kn;
	struct kmqtt_listener *listener;	/* counted in listener->conns */
	struct socket *sock;
	struct kmqtt_client *client;

	void (*saved_data_ready)(struct sock *sk);
	void (*saved_write_space)(struct sock *sk);
	void (*saved_state_change)(struct sock *sk);

	/* io_work only. */
	u8 *rxbuf;
	size_t rxlen;
	size_t rxcap;
	bool rx_active;				/* received since the last tick */
	char peer[64];				/* "1.2.3.4:5678", "[::1]:5678" */
};

static void kmqtt_conn_put(struct kmqtt_conn *conn)
{
	if (refcount_dec_and_test(&conn->refs)) {
		kvfree(conn->rxbuf);
		kfree(conn);
	}
}

/* The caller holds a reference (base or its own run's). See Placement. */
static void kmqtt_conn_queue(struct kmqtt_conn *conn)
{
	refcount_inc(&conn->refs);
	if (!queue_work(kmqtt_wq, &conn->io_work))
		kmqtt_conn_put(conn);
}

static void kmqtt_conn_event(struct kmqtt_conn *conn, int bit)
{
	if (!test_and_set_bit(bit, &conn->flags))
		kmqtt_conn_queue(conn);
}

/* Socket callbacks: softirq or process context, never sleep. */

static void kmqtt_conn_data_ready(struct sock *sk)
{
	struct kmqtt_conn *conn;

	read_lock_bh(&sk->sk_callback_lock);
	conn = sk->sk_user_data;
	if (conn)
		kmqtt_conn_event(conn, KMQTT_CONN_RX);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void kmqtt_conn_write_space(struct sock *sk)
{
	struct kmqtt_conn *conn;

	read_lock_bh(&sk->sk_callback_lock);
	conn = sk->sk_user_data;
	if (conn && sk_stream_is_writeable(sk)) {
		clear_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		kmqtt_conn_event(conn, KMQTT_CONN_TX);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

/* FIN, RST, errors: the next read reports them, as for data. */
static void kmqtt_conn_state_change(struct sock *sk)
{
	kmqtt_conn_data_ready(sk);
}

/* Engine hooks: any context, never sleep. */

static void kmqtt_conn_wake_tx(void *transport)
{
	kmqtt_conn_event(transport, KMQTT_CONN_TX);
}

static void kmqtt_conn_request_close(void *transport)
{
	kmqtt_conn_event(transport, KMQTT_CONN_CLOSE);
}

/* A pause ended or the engine yielded: read (held bytes first) again. */
static void kmqtt_conn_wake_rx(void *transport)
{
	kmqtt_conn_event(transport, KMQTT_CONN_RX);
}

static const struct kmqtt_transport_ops kmqtt_conn_ops = {
	.wake_tx = kmqtt_conn_wake_tx,
	.close = kmqtt_conn_request_close,
	.wake_rx = kmqtt_conn_wake_rx,
};

static void kmqtt_conn_hook(struct kmqtt_conn *conn)
{
	struct sock *sk = conn->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	conn->saved_data_ready = sk->sk_data_ready;
	conn->saved_write_space = sk->sk_write_space;
	conn->saved_state_change = sk->sk_state_change;
	sk->sk_user_data = conn;
	sk->sk_data_ready = kmqtt_conn_data_ready;
	sk->sk_write_space = kmqtt_conn_write_space;
	sk->sk_state_change = kmqtt_conn_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
}

/* After this returns no callback runs with, or can find, @conn. */
static void kmqtt_conn_unhook(struct kmqtt_conn *conn)
{
	struct sock *sk = conn->sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = conn->saved_data_ready;
	sk->sk_write_space = conn->saved_write_space;
	sk->sk_state_change = conn->saved_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
}

static void kmqtt_conn_format_peer(struct kmqtt_conn *conn)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	if (kernel_getpeername(conn->sock, (struct sockaddr *)&ss) < 0)
		strscpy(conn->peer, "?", sizeof(conn->peer));
	else if (ss.ss_family == AF_INET6)
		snprintf(conn->peer, sizeof(conn->peer), "[%pI6c]:%u",
			 &sin6->sin6_addr, ntohs(sin6->sin6_port));
	else
		snprintf(conn->peer, sizeof(conn->peer), "%pI4:%u",
			 &sin->sin_addr, ntohs(sin->sin_port));
}

/*
 * Send pending output, at most @budget bytes, without blocking. Returns 0
 * (sent all, or the socket is full and sk_write_space will queue us again),
 * 1 when the budget ran out with more to send, or a negative errno.
 */
static int kmqtt_conn_tx(struct kmqtt_conn *conn, size_t budget)
{
	struct kvec iov[KMQTT_TX_IOV];
	struct msghdr msg = {};
	bool corked = false;
	int ret = 0;

	while (budget) {
		size_t len = 0;
		int n, i, sent;
		bool more;

		n = kmqtt_client_output(conn->client, iov, KMQTT_TX_IOV,
					budget);
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			len += iov[i].iov_len;

		/* A full batch means the engine has more: let TCP coalesce. */
		more = n == KMQTT_TX_IOV && len < budget;
		msg.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL;
		if (more)
			msg.msg_flags |= MSG_MORE;
		sent = kernel_sendmsg(conn->sock, &msg, iov, n, len);
		kmqtt_client_output_done(conn->client, sent > 0 ? sent : 0);
		if (sent < 0) {
			ret = sent == -EAGAIN ? 0 : sent;
			break;
		}
		corked = more;
		budget -= min_t(size_t, sent, budget);
		if (sent < len)
			break;	/* socket full: SOCK_NOSPACE is set */
		if (!budget)
			ret = 1;
	}
	/* MSG_MORE held back a partial segment and nothing followed it. */
	if (corked && ret == 0)
		tcp_sock_set_cork(conn->sock->sk, false);
	return ret;
}

/*
 * Make room to receive into. A buffer that is full holds the start of one
 * frame the engine has sized (it consumes every complete frame): grow it
 * towards that size, doubling, so that memory follows the bytes a client
 * has actually sent, not the length it announced.
 */
static int kmqtt_conn_rx_reserve(struct kmqtt_conn *conn)
{
	size_t want, cap;
	u8 *buf;

	if (conn->rxlen < conn->rxcap)
		return 0;
	want = kmqtt_client_rx_frame_size(conn->client);
	if (WARN_ON_ONCE(want > MQTT_MAX_REMAINING + MQTT_MAX_FIXED_HEADER))
		return -EPROTO;
	cap = max_t(size_t, KMQTT_RX_CHUNK, conn->rxcap * 2);
	if (conn->rxcap)
		cap = min(cap, want);
	/* Full, yet the engine did not take a complete frame: its bug. */
	if (WARN_ON_ONCE(cap <= conn->rxlen))
		return -EPROTO;
	buf = kvmalloc(cap, GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	if (conn->rxlen)
		memcpy(buf, conn->rxbuf, conn->rxlen);
	kvfree(conn->rxbuf);
	conn->rxbuf = buf;
	conn->rxcap = cap;
	return 0;
}

/*
 * Feed what rxbuf holds to the engine and keep the rest (a partial frame, or
 * frames held back by a pause or a yield) at its start.
 */
static int kmqtt_conn_rx_feed(struct kmqtt_conn *conn)
{
	long used = kmqtt_client_input(conn->client, conn->rxbuf, conn->rxlen);

	if (used < 0)
		return used;
	if (WARN_ON_ONCE(used > conn->rxlen))
		return -EPROTO;
	conn->rxlen -= used;
	if (conn->rxlen) {
		if (used)
			memmove(conn->rxbuf, conn->rxbuf + used, conn->rxlen);
	} else if (conn->rxcap > KMQTT_RX_CHUNK) {
		/* A big frame is done: don't keep its buffer. */
		kvfree(conn->rxbuf);
		conn->rxbuf = NULL;
		conn->rxcap = 0;
	}
	return 0;
}

/*
 * A connection without a buffer read into the stack and the engine left
 * @len bytes, or the read filled it (a burst: more is waiting): go on in a
 * buffer of its own, sized for a burst or for what is left.
 */
static int kmqtt_conn_rx_adopt(struct kmqtt_conn *conn, const u8 *left,
			       size_t len, bool burst)
{
	size_t cap = burst ? KMQTT_RX_CHUNK : max_t(size_t, len * 2,
						    KMQTT_RX_STACK);

	conn->rxbuf = kvmalloc(cap, GFP_KERNEL_ACCOUNT);
	if (!conn->rxbuf)
		return -ENOMEM;
	conn->rxcap = cap;
	memcpy(conn->rxbuf, left, len);
	conn->rxlen = len;
	return 0;
}

/*
 * Read and feed the engine, at most about @budget bytes. Returns 0 (drained,
 * or the engine paused or yielded: its wake_rx queues the next run), 1
 * (budget spent, more may wait), or a negative errno to close: the
 * engine's verdict, -ESHUTDOWN at EOF, or the socket's error.
 *
 * Most connections are quiet: a CONNECT, a SUBSCRIBE, a PINGREQ a minute.
 * Their reads go to the stack and straight to the engine, so an idle
 * connection holds no receive buffer at all (a 16 KiB one per connection was
 * most of the broker's own memory in a 2000-connection storm); a connection
 * gets one when a frame straddles reads or data comes in bursts, and gives
 * it back at the first tick it stays quiet.
 */
static int kmqtt_conn_rx(struct kmqtt_conn *conn, size_t budget)
{
	u8 small[KMQTT_RX_STACK];
	struct msghdr msg = {};
	struct kvec vec;
	bool on_stack;
	long used;
	int err, n;

	/* Bytes held back by a pause or a yield go first, before new ones. */
	if (conn->rxlen) {
		err = kmqtt_conn_rx_feed(conn);
		if (err)
			return err;
	}
	for (;;) {
		/* Backpressure or the engine's work budget: wait for wake_rx. */
		if (kmqtt_client_rx_paused(conn->client))
			return 0;
		on_stack = !conn->rxbuf;
		if (on_stack) {
			vec.iov_base = small;
			vec.iov_len = sizeof(small);
		} else {
			err = kmqtt_conn_rx_reserve(conn);
			if (err)
				return err;
			vec.iov_base = conn->rxbuf + conn->rxlen;
			vec.iov_len = conn->rxcap - conn->rxlen;
		}
		n = kernel_recvmsg(conn->sock, &msg, &vec, 1, vec.iov_len,
				   MSG_DONTWAIT);
		if (n == -EAGAIN)
			return 0;
		if (n == 0)
			return -ESHUTDOWN;
		if (n < 0)
			return n;
		conn->rx_active = true;
		if (on_stack) {
			used = kmqtt_client_input(conn->client, small, n);
			if (used < 0)
				return used;
			if (WARN_ON_ONCE(used > n))
				return -EPROTO;
			if (used < n || n == sizeof(small)) {
				err = kmqtt_conn_rx_adopt(conn, small + used,
							  n - used,
							  n == sizeof(small));
				if (err)
					return err;
			}
		} else {
			conn->rxlen += n;
			err = kmqtt_conn_rx_feed(conn);
			if (err)
				return err;
		}

		/*
		 * No early return on a short read: a FIN (or more data) that
		 * arrived before this run cleared KMQTT_CONN_RX queued no new
		 * run, so read on until -EAGAIN or EOF.
		 */
		if (n >= budget)
			return 1;
		budget -= n;
	}
}

/*
 * The one close path, in io_work (a dead conn's runs skip everything). After
 * it the socket is released, the engine's client freed and the conn
 * unlinked; only pending runs' references remain.
 */
static void kmqtt_conn_teardown(struct kmqtt_conn *conn)
{
	struct kmqtt_net *kn = conn->kn;
	bool abort;

	set_bit(KMQTT_CONN_DEAD, &conn->flags);
	kmqtt_conn_unhook(conn);

	/* What the engine queued last (a CONNACK refusal...) goes first. */
	if (kmqtt_conn_tx(conn, KMQTT_TX_BUDGET) < 0)
		pr_debug("%s: final send failed\n", conn->peer);
	/*
	 * At namespace exit, reset rather than leave kernel sockets lingering
	 * in FIN_WAIT in a namespace that is going away. At module unload,
	 * reset a connection whose peer's window holds back what we sent (a
	 * client that stopped reading): a FIN queued behind that data would
	 * leave the client connected, and an orphan retrying, long after the
	 * broker is gone. Unlocked read: a stale answer only picks FIN or RST.
	 */
	abort = READ_ONCE(kn->conns_closing) &&
		(!net_eq(kn->net, &init_net) ||
		 !tcp_write_queue_empty(conn->sock->sk));
	if (abort)
		sock_no_linger(conn->sock->sk);
	else
		kernel_sock_shutdown(conn->sock, SHUT_RDWR);
	sock_release(conn->sock);
	conn->sock = NULL;

	kvfree(conn->rxbuf);
	conn->rxbuf = NULL;
	conn->rxlen = 0;
	conn->rxcap = 0;

	/*
	 * The engine's side of a close can be long: a clean session with
	 * thousands of subscriptions to unlink, a long queue to free, a will
	 * to fan out. On this per-CPU pool it would hold up every connection
	 * queued behind it (cond_resched() lets other tasks run, not other
	 * items of the pool), so it runs on the unbound reaper queue, which
	 * the scheduler shares out like any thread. The base reference goes
	 * with it; io_work runs that still come find KMQTT_CONN_DEAD.
	 */
	queue_work(kmqtt_reap_wq, &conn->reap_work);
}

/* The rest of kmqtt_conn_teardown(), on kmqtt_reap_wq. */
static void kmqtt_conn_reap(struct work_struct *work)
{
	struct kmqtt_conn *conn = container_of(work, struct kmqtt_conn,
					       reap_work);
	struct kmqtt_net *kn = conn->kn;

	kmqtt_client_closed(conn->client);
	conn->client = NULL;

	spin_lock(&kn->conns_lock);
	list_del(&conn->entry);
	kn->conn_count--;
	conn->listener->conns--;
	wake_up_all(&kn->conns_wait);
	spin_unlock(&kn->conns_lock);
	/* Neither kn nor the listener may be touched from here on. */
	kmqtt_conn_put(conn);
}

static void kmqtt_conn_io_work(struct work_struct *work)
{
	struct kmqtt_conn *conn = container_of(work, struct kmqtt_conn,
					       io_work);
	int err = 0, rx = 0, tx = 0;

	/* Not ready yet (kmqtt_conn_start queues a run when it is) or gone. */
	if (!test_bit(KMQTT_CONN_STARTED, &conn->flags) ||
	    test_bit(KMQTT_CONN_DEAD, &conn->flags))
		goto out;
	if (test_bit(KMQTT_CONN_CLOSE, &conn->flags))
		goto close;

	if (test_and_clear_bit(KMQTT_CONN_TICK, &conn->flags)) {
		err = kmqtt_client_tick(conn->client, kmqtt_now_sec());
		if (err)
			goto close;
		/* Idle connections keep no receive buffer. */
		if (!conn->rx_active && !conn->rxlen) {
			kvfree(conn->rxbuf);
			conn->rxbuf = NULL;
			conn->rxcap = 0;
		}
		conn->rx_active = false;
	}
	if (test_and_clear_bit(KMQTT_CONN_RX, &conn->flags)) {
		rx = kmqtt_conn_rx(conn, KMQTT_RX_BUDGET);
		if (rx < 0) {
			err = rx;
			goto close;
		}
	}
	/* Input usually produced output (wake_tx set the bit): send it now. */
	if (test_and_clear_bit(KMQTT_CONN_TX, &conn->flags)) {
		tx = kmqtt_conn_tx(conn, KMQTT_TX_BUDGET);
		if (tx < 0) {
			err = tx;
			goto close;
		}
	}
	/* A close requested while we worked: don't wait for another run. */
	if (test_bit(KMQTT_CONN_CLOSE, &conn->flags))
		goto close;
	if (rx > 0)
		kmqtt_conn_event(conn, KMQTT_CONN_RX);
	if (tx > 0)
		kmqtt_conn_event(conn, KMQTT_CONN_TX);
	goto out;

close:
	pr_debug("%s: closing (%d)\n", conn->peer, err);
	kmqtt_conn_teardown(conn);
out:
	kmqtt_conn_put(conn);
}

void kmqtt_conn_start(struct kmqtt_listener *l, struct socket *sock)
{
	struct kmqtt_net *kn = l->kn;
	struct kmqtt_broker *b = &kn->broker;
	struct kmqtt_conn *conn = NULL;
	u32 max = READ_ONCE(b->limits.max_connections);
	bool refuse;

	/* Reserve a slot first, so the limit holds under a connection storm. */
	spin_lock(&kn->conns_lock);
	refuse = kn->conns_closing || (max && kn->conn_count >= max);
	if (!refuse) {
		kn->conn_count++;
		l->conns++;
	}
	spin_unlock(&kn->conns_lock);
	if (refuse) {
		if (!READ_ONCE(kn->conns_closing))
			kmqtt_stat_inc(&b->stats, KMQTT_STAT_CONN_LIMIT);
		sock_release(sock);
		return;
	}

	conn = kzalloc(sizeof(*conn), GFP_KERNEL_ACCOUNT);
	if (!conn)
		goto fail;
	refcount_set(&conn->refs, 1);		/* base */
	INIT_WORK(&conn->io_work, kmqtt_conn_io_work);
	INIT_WORK(&conn->reap_work, kmqtt_conn_reap);
	INIT_LIST_HEAD(&conn->entry);
	conn->kn = kn;
	conn->listener = l;
	conn->sock = sock;
	kmqtt_conn_format_peer(conn);
	/* MQTT is request/response and we batch ourselves: no Nagle delay. */
	tcp_sock_set_nodelay(sock->sk);

	conn->client = kmqtt_client_new(b, &kmqtt_conn_ops, conn, conn->peer,
					GFP_KERNEL_ACCOUNT);
	if (!conn->client)
		goto fail;

	spin_lock(&kn->conns_lock);
	list_add_tail(&conn->entry, &kn->conns);
	/*
	 * The namespace started closing while we set up: close at once.
	 * Otherwise make sure the tick runs; under the lock, so that it is
	 * never armed after kmqtt_conns_exit() has cancelled it.
	 */
	if (kn->conns_closing)
		set_bit(KMQTT_CONN_CLOSE, &conn->flags);
	else
		queue_delayed_work(kmqtt_wq, &kn->tick_work, HZ);
	spin_unlock(&kn->conns_lock);

	/*
	 * Hook, then start: any event from here on finds the bits and queues a
	 * run, and the run queued below sees STARTED. Data that arrived before
	 * the hook (the client spoke first) is read by that run.
	 */
	kmqtt_conn_hook(conn);
	set_bit(KMQTT_CONN_RX, &conn->flags);
	set_bit(KMQTT_CONN_STARTED, &conn->flags);
	kmqtt_conn_queue(conn);
	return;

fail:
	kmqtt_stat_inc(&b->stats, KMQTT_STAT_DROPPED_NO_MEMORY);
	kfree(conn);
	sock_release(sock);
	spin_lock(&kn->conns_lock);
	kn->conn_count--;
	l->conns--;
	wake_up_all(&kn->conns_wait);
	spin_unlock(&kn->conns_lock);
}

/* Once a second while connections exist: let each check its timeouts. */
static void kmqtt_conns_tick(struct work_struct *work)
{
	struct kmqtt_net *kn = container_of(to_delayed_work(work),
					    struct kmqtt_net, tick_work);
	struct kmqtt_conn *conn;

	spin_lock(&kn->conns_lock);
	list_for_each_entry(conn, &kn->conns, entry)
		kmqtt_conn_event(conn, KMQTT_CONN_TICK);
	/* Idle namespaces don't tick; kmqtt_conn_start() rearms it. */
	if (kn->conn_count && !kn->conns_closing)
		queue_delayed_work(kmqtt_wq, &kn->tick_work,
				   round_jiffies_relative(HZ));
	spin_unlock(&kn->conns_lock);
}

void kmqtt_conns_init(struct kmqtt_net *kn)
{
	spin_lock_init(&kn->conns_lock);
	INIT_LIST_HEAD(&kn->conns);
	init_waitqueue_head(&kn->conns_wait);
	INIT_DELAYED_WORK(&kn->tick_work, kmqtt_conns_tick);
}

static bool kmqtt_conns_gone(struct kmqtt_net *kn, struct kmqtt_listener *l)
{
	bool gone;

	spin_lock(&kn->conns_lock);
	gone = l ? !l->conns : !kn->conn_count;
	spin_unlock(&kn->conns_lock);
	return gone;
}

void kmqtt_conns_close(struct kmqtt_net *kn, struct kmqtt_listener *l)
{
	struct kmqtt_conn *conn;

	spin_lock(&kn->conns_lock);
	list_for_each_entry(conn, &kn->conns, entry)
		if (!l || conn->listener == l)
			kmqtt_conn_event(conn, KMQTT_CONN_CLOSE);
	spin_unlock(&kn->conns_lock);

	wait_event(kn->conns_wait, kmqtt_conns_gone(kn, l));
}

void kmqtt_conns_exit(struct kmqtt_net *kn)
{
	spin_lock(&kn->conns_lock);
	kn->conns_closing = true;
	spin_unlock(&kn->conns_lock);

	kmqtt_conns_close(kn, NULL);
	cancel_delayed_work_sync(&kn->tick_work);
}
