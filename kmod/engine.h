/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The protocol engine: one struct kmqtt_client per network connection,
 * driven by its transport (conn.c in the kernel, a test harness in
 * userspace) through four calls, and calling back through two hooks.
 * No sockets here: bytes in, segments out.
 *
 *   transport                         engine
 *   ---------                         ------
 *   bytes arrived    --> kmqtt_client_input()   parse frames, act, queue output
 *   can send         --> kmqtt_client_output()  segments to send (pinned)
 *   sent n bytes     --> kmqtt_client_output_done()
 *   timer            --> kmqtt_client_tick()    connect / keep-alive timeouts
 *   socket gone      --> kmqtt_client_closed()  will, session detach, put
 *   ops->wake_tx()   <-- output became available (any context, never sleeps)
 *   ops->close()     <-- takeover / admin kick  (any context, never sleeps)
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
 * Periodic check at @now (kmqtt_now_sec()). Returns 0, or a negative errno
 * when the client must be closed (no CONNECT within connect_timeout, silent
 * for 1.5 x keep-alive); the timeout is counted.
 */
int kmqtt_client_tick(struct kmqtt_client *c, u64 now);

/*
 * The transport is gone. Publishes the will unless the client sent
 * DISCONNECT, detaches or destroys the session, drops pending output and
 * frees @c. @c must not be used afterwards.
 */
void kmqtt_client_closed(struct kmqtt_client *c);

#endif /* KMQTT_ENGINE_H */
