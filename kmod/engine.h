/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The protocol engine: one struct kmqtt_client per network connection,
 * driven by its transport (conn.c in the kernel, a test harness in
 * userspace) through a few calls, and calling back through three hooks.
 * No sockets here: bytes in, segments out.
 *
 *   transport                         engine
 *   ---------                         ------
 *   bytes arrived    --> kmqtt_client_input()   parse frames, act, queue output
 *   may I read?      --> kmqtt_client_rx_paused()  after every input()
 *   can send         --> kmqtt_client_output()  segments to send (pinned)
 *   sent n bytes     --> kmqtt_client_output_done()
 *   timer            --> kmqtt_client_tick()    timeouts, backpressure valve
 *   socket gone      --> kmqtt_client_closed()  will, session detach, put
 *   ops->wake_tx()   <-- output became available (any context, never sleeps)
 *   ops->wake_rx()   <-- input may go on again  (any context, never sleeps)
 *   ops->close()     <-- takeover / admin kick  (any context, never sleeps)
 *
 * Contract for the transport:
 * - The calls for one client never run concurrently with each other
 *   (e.g. one work item per connection does receive, send and timers), and
 *   all run in process context: they may sleep (mutexes, GFP_KERNEL).
 *   Different clients run in parallel on any CPUs.
 * - Flow control and bounded work. After each input() the transport asks
 *   kmqtt_client_rx_paused(); while it is true it reads nothing more from
 *   the socket (so TCP pushes back on the peer) and keeps the bytes input()
 *   did not consume, to present them first, before anything new, once
 *   ops->wake_rx() has fired. It is true in two cases:
 *     paused: this client published into a subscriber's queue that is past
 *       its high watermark and drains (session.h, "Backpressure"). wake_rx
 *       fires when that queue is down to its low watermark, or from this
 *       client's next tick() at the latest;
 *     yielding: input() did its share of work for this call (frames,
 *       fan-out targets, subscriptions, retained messages walked:
 *       KMQTT_RX_WORK) and left whole frames unconsumed. wake_rx has been
 *       called already: end this run and come back in a new one, so that
 *       one client's stream of costly packets cannot hold a worker (and
 *       every connection queued behind it) for long.
 *   A single packet's own work (a SUBSCRIBE with thousands of filters, a
 *   '#' over every retained message) is not split, but reschedules.
 * - Whenever wake_tx fires, call output() / output_done() until output()
 *   returns 0 or the socket is full (then again on sk_write_space). An
 *   input() call that handled any frame calls wake_tx once before it
 *   returns (acknowledgements, a window that opened); publishers call it
 *   when a session's queue gets its first message since the last output().
 * - A negative return from input() or tick() means: stop reading, send what
 *   output() still returns (best effort, e.g. a refusal CONNACK), then shut
 *   the socket down and call kmqtt_client_closed(). ops->close asks for the
 *   same.
 * - wake_tx and close may be called from within this client's own calls
 *   (publishing to itself), from other clients' calls on other CPUs, and
 *   under a session spinlock with bottom halves disabled: they must only
 *   flag and queue work, never take a lock held around engine calls.
 * - The engine counts KMQTT_STAT_CONNECTIONS_TOTAL and b->connections in
 *   kmqtt_client_new()/kmqtt_client_closed(), and enforces max_connections
 *   at CONNECT (CONNACK 0x03, KMQTT_STAT_CONN_LIMIT).
 */
#ifndef KMQTT_ENGINE_H
#define KMQTT_ENGINE_H

#include "shim.h"
#include "broker.h"

struct kmqtt_client;

/*
 * The hooks are called only between kmqtt_client_new() and the return of
 * kmqtt_client_closed(), possibly from other clients' contexts (a publisher
 * on another CPU, under RCU and a session spinlock): the transport keeps
 * @transport alive until kmqtt_client_closed() has returned.
 */
struct kmqtt_transport_ops {
	/* Output is pending: schedule a send. Must not sleep. */
	void (*wake_tx)(void *transport);
	/*
	 * The engine wants this connection closed (session taken over, kicked
	 * by the administrator). Must not sleep; the transport later calls
	 * kmqtt_client_closed() as for any other close.
	 */
	void (*close)(void *transport);
	/*
	 * Input may go on (a pause ended, or input() yielded): schedule a
	 * receive run that presents the unconsumed bytes again. Must not
	 * sleep; may be called under the broker's paused_lock. Optional: a
	 * transport without it must poll kmqtt_client_rx_paused().
	 */
	void (*wake_rx)(void *transport);
};

/*
 * A new connection from @peer (printable address, copied). The client holds
 * a reference on nothing but @b, which outlives it. Returns NULL on
 * allocation failure.
 */
struct kmqtt_client *kmqtt_client_new(struct kmqtt_broker *b,
				      const struct kmqtt_transport_ops *ops,
				      void *transport, const char *peer,
				      gfp_t gfp);

/*
 * Feed @len received bytes. Complete frames are decoded and acted on; a
 * trailing partial frame is left for the transport to keep and present again
 * with more bytes. Returns the bytes consumed (>= 0), or a negative errno
 * when the connection must be closed (protocol error, counted; or a clean
 * DISCONNECT: -ECONNRESET... see engine.c). Frames larger than the maximum
 * packet size are refused from their fixed header, before buffering.
 */
long kmqtt_client_input(struct kmqtt_client *c, const u8 *buf, size_t len);

/*
 * True while the transport must not read (see the contract above): paused
 * by backpressure, or yielding after a share of work. input() consumes
 * nothing while paused.
 */
bool kmqtt_client_rx_paused(const struct kmqtt_client *c);

/*
 * The size of buffer the transport needs to hold the frame being received
 * (fixed header included), once its header is known; 0 if not yet known.
 */
size_t kmqtt_client_rx_frame_size(const struct kmqtt_client *c);

/*
 * Describe up to @max_iov segments / @max_bytes of pending output in @iov.
 * The segments stay valid until kmqtt_client_output_done(). Returns the
 * number of segments (0: nothing to send).
 */
int kmqtt_client_output(struct kmqtt_client *c, struct kvec *iov, int max_iov,
			size_t max_bytes);
/* @sent bytes of what kmqtt_client_output() described went out. */
void kmqtt_client_output_done(struct kmqtt_client *c, size_t sent);

/*
 * Periodic check at @now (kmqtt_now_sec()), about once a second. Returns 0,
 * or a negative errno when the client must be closed (no CONNECT within
 * connect_timeout, silent for 1.5 x keep-alive); the timeout is counted.
 * Also the backpressure valve: a paused client resumes (ops->wake_rx), and
 * its own session's queue is checked for progress (stalled queues pause
 * nobody).
 */
int kmqtt_client_tick(struct kmqtt_client *c, u64 now);

/*
 * The transport is gone. Publishes the will unless the client sent
 * DISCONNECT, detaches or destroys the session, drops pending output and
 * frees @c. @c must not be used afterwards.
 */
void kmqtt_client_closed(struct kmqtt_client *c);

/* ---- private to the core: transports use only the calls above ---- */

#include "session.h"

enum kmqtt_client_state {
	KMQTT_CLIENT_WAIT_CONNECT,
	KMQTT_CLIENT_CONNECTED,
	KMQTT_CLIENT_CLOSING,		/* refused or DISCONNECT: input over */
};

/* Pending control packets above this close the connection (not reading). */
#define KMQTT_CTRL_MAX		(64 * 1024)
/*
 * Work one input() call may do before it yields, in units of one frame, one
 * fan-out target, one filter or one retained-store node: a few milliseconds
 * on a debug kernel. The transport reads at most a few chunks per run.
 */
#define KMQTT_RX_WORK		2048
/* PUBLISH/PUBREL packets taken from the session per send batch. */
#define KMQTT_TX_ITEMS		16
#define KMQTT_TX_SEGS		(1 + 4 * KMQTT_TX_ITEMS)
#define KMQTT_TX_PID_OFF	MQTT_PUBLISH_HEADER_MAX

/* One send batch; allocated while the client has output. */
struct kmqtt_tx {
	u32 nseg;			/* segments in iov */
	u32 seg;			/* first unsent segment */
	size_t off;			/* bytes of it already sent */
	u32 nmsgs;
	u8 *ctrl;			/* control bytes of this batch */
	u32 ctrl_cap;
	struct kvec iov[KMQTT_TX_SEGS];
	struct kmqtt_msg *msgs[KMQTT_TX_ITEMS];	/* references held */
	u8 hdr[KMQTT_TX_ITEMS][KMQTT_TX_PID_OFF + 2];
	struct kmqtt_tx_item items[KMQTT_TX_ITEMS];
};

struct kmqtt_client {
	struct kmqtt_broker *b;
	const struct kmqtt_transport_ops *ops;
	void *transport;
	struct kmqtt_session *session;	/* reference, from CONNECT on */
	u8 state;			/* enum kmqtt_client_state */
	u8 level;			/* protocol level, from CONNECT */
	bool disconnected;		/* DISCONNECT received: no will */
	bool timed_out;			/* timeout counted */
	bool tx_kick;			/* input made output: wake_tx */
	bool rx_paused;			/* paused: on b->paused (paused_lock) */
	bool rx_yield;			/* input() yielded: cleared by input() */
	bool pause_want;		/* the frame just handled filled a queue */
	unsigned long pause_gen;	/* b->paused_gen before that fan-out */
	u32 rx_work;			/* units of work in this input() */
	struct list_head paused_entry;	/* b->paused, under paused_lock */
	u16 keep_alive;			/* effective, seconds */
	u64 created_at;
	u64 last_rx;			/* last complete packet */
	u64 connected_at;
	size_t rx_need;
	struct kmqtt_msg *will;
	char *username;			/* NULL: anonymous */
	u8 *ctrl;			/* control packets not yet in a batch */
	u32 ctrl_len;
	u32 ctrl_cap;
	struct kmqtt_tx *tx;
	u64 bytes_in;			/* counters: WRITE_ONCE, for listings */
	u64 bytes_out;
	u64 msgs_in;
	u64 msgs_out;
	char peer[64];
};

#endif /* KMQTT_ENGINE_H */
