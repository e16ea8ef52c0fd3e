/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MQTT sessions: what the broker keeps per client identifier, across
 * connections when clean session is 0. See session.c for the locking.
 *
 * Backpressure. A session's queue has a hard cap (limits.max_queued_msgs,
 * max_queued_bytes): what does not fit is dropped and counted. Before it
 * comes to that, a publisher that leaves a session's queue at or above the
 * high watermark (3/4 of a cap) is paused: the engine stops reading its
 * socket after that PUBLISH, so TCP pushes back on it (engine.h). The
 * session is then "pressured"; when its sender has taken it down to the low
 * watermark (1/2 of every cap) it wakes every paused publisher of the broker
 * (if the queues are still full they pause again). Three quarters leaves
 * room for what publishers already past the check add before they stop (one
 * message each); the gap down to one half lets a woken publisher send a
 * batch rather than one message per wake-up, while the subscriber still has
 * half a queue to send and does not run dry while publishers restart.
 *
 * Only a session that drains pauses anybody:
 * - it must have a client attached (offline sessions drain on reconnect);
 * - its client must not be paused itself: its acknowledgements would wait
 *   in the socket we stopped reading, so its queue could not drain (two
 *   clients publishing to each other would deadlock);
 * - it must not be stalled: above the high watermark without having sent
 *   anything since its client's previous tick (once a second). A subscriber
 *   that stops reading therefore pauses publishers for a tick or two, once;
 *   it pauses them again only after it has made progress.
 * A publisher never pauses on its own session (it must read its PUBACKs),
 * and every paused client resumes at its own next tick at the latest.
 */
#ifndef KMQTT_SESSION_H
#define KMQTT_SESSION_H

#include "shim.h"
#include "broker.h"
#include "msg.h"

struct kmqtt_client;

/* Where an outgoing message is in its QoS flow. */
enum kmqtt_qent_state {
	KMQTT_QE_QUEUED,	/* behind the in-flight window */
	KMQTT_QE_SEND_PUBLISH,	/* in the window, PUBLISH to (re)send */
	KMQTT_QE_WAIT_ACK,	/* PUBLISH sent, PUBACK/PUBREC awaited */
	KMQTT_QE_SEND_PUBREL,	/* PUBREC received, PUBREL to (re)send */
	KMQTT_QE_WAIT_COMP,	/* PUBREL sent, PUBCOMP awaited */
};

#define KMQTT_QE_RETAIN		0x01	/* sent with RETAIN (subscribe time) */
#define KMQTT_QE_DUP		0x02	/* next PUBLISH is a resend */

/* One message for one subscriber. */
struct kmqtt_qent {
	struct list_head entry;		/* session queue or in-flight list */
	struct kmqtt_msg *msg;		/* ref; NULL once PUBREC'd */
	u32 size;			/* bytes charged to queued_bytes */
	u16 pid;			/* in the window only */
	u8 qos;				/* effective QoS */
	u8 flags;			/* KMQTT_QE_* */
	u8 state;			/* enum kmqtt_qent_state */
};

/* A user name, replaced under RCU when a client reconnects as another. */
struct kmqtt_name {
	struct rcu_head rcu;
	char s[];
};

struct kmqtt_session {
	struct hlist_node hnode;	/* broker->sessions: sessions_lock */
	refcount_t refs;
	/* Protects what publishers on other CPUs and the sender touch. */
	spinlock_t lock;
	struct kmqtt_broker *b;

	/*
	 * Serializes the owner's operations that may sleep: attach/detach,
	 * SUBSCRIBE/UNSUBSCRIBE, the incoming QoS 2 set, packet handling of
	 * the attached client, teardown.
	 */
	struct mutex op_lock;

	/*
	 * lock (writers also hold op_lock, so either lock reads them). Fields
	 * are ordered by size, here and below, so that a session with an id
	 * of up to 29 bytes fits a 256-byte allocation: one per connection.
	 */
	struct kmqtt_client *client;	/* attached connection or NULL */
	struct list_head inflight;	/* window, in packet id order of issue */
	struct list_head queue;		/* behind the window, FIFO */
	u64 queued_bytes;
	u64 dropped;			/* queue full or no memory */
	u64 drained;			/* queue entries taken by the sender */
	u64 drained_tick;		/* drained at the client's last tick */
	u32 inflight_count;
	u32 inflight_send;		/* entries in a SEND_* state */
	u32 queued;
	u16 next_pid;
	bool dead;			/* torn down: refuse new messages */
	bool wake_pending;		/* wake_tx called, output not yet run */
	bool pressured;			/* paused publishers: wake at low mark */
	bool stalled;			/* full, no progress for a tick */

	/* op_lock: */
	bool clean;
	struct kmqtt_name __rcu *username;
	struct hlist_head *subs;	/* struct kmqtt_sess_sub by filter */
	u16 *qos2_in;			/* sorted ids awaiting PUBREL */
	u32 subs_bits;
	u32 sub_count;			/* READ_ONCE for listings */
	u32 qos2_in_count;
	u32 qos2_in_cap;

	u64 created_at;
	struct rcu_head rcu;
	u16 id_len;
	char id[];			/* NUL-terminated */
};

/* sessions_lock held: */
struct kmqtt_session *kmqtt_session_lookup(struct kmqtt_broker *b,
					   const u8 *id, u16 len);
/* A new hashed session with the hash's reference; NULL: -ENOMEM. */
struct kmqtt_session *kmqtt_session_create(struct kmqtt_broker *b,
					   const u8 *id, u16 len, bool clean);
/*
 * Discarding a session takes two steps, so that the global sessions_lock
 * is never held across work proportional to a client's subscriptions or
 * queue:
 * kmqtt_session_unhash() (sessions_lock held): remove @s from the hash,
 *   mark it dead (publishers queue nothing more) and close an attached
 *   client (ops->close). Constant time. The caller keeps the hash's
 *   reference and, once it has dropped sessions_lock, must call
 * kmqtt_session_discard() (sessions_lock NOT held): its subscriptions
 *   leave the tree, its messages are freed, the hash's reference is
 *   dropped; the memory goes after an RCU grace period.
 */
void kmqtt_session_unhash(struct kmqtt_session *s);
void kmqtt_session_discard(struct kmqtt_session *s);
int kmqtt_sessions_init(struct kmqtt_broker *b);
/* Discard every session, then free the hash. */
void kmqtt_sessions_destroy(struct kmqtt_broker *b);

static inline void kmqtt_session_get(struct kmqtt_session *s)
{
	refcount_inc(&s->refs);
}

void kmqtt_session_put(struct kmqtt_session *s);

/*
 * Attach @c (op_lock held). Resets the window so that unacknowledged
 * PUBLISHes are resent with DUP and PUBRELs resent, in order.
 */
void kmqtt_session_attach(struct kmqtt_session *s, struct kmqtt_client *c);
/*
 * Detach the attached client (op_lock held); @close also asks its
 * transport to close (takeover, removal). QoS 0 messages are dropped: an
 * offline session keeps QoS 1 and 2 only.
 */
void kmqtt_session_detach(struct kmqtt_session *s, bool close);
/* Replace the user name (op_lock held); NULL for anonymous. */
int kmqtt_session_set_username(struct kmqtt_session *s, const u8 *name,
			       u16 len);

/* Subscriptions (op_lock held). Returns the granted QoS or 0x80. */
u8 kmqtt_session_subscribe(struct kmqtt_session *s, const u8 *filter,
			   u16 len, u8 qos);
/* 0, or -ENOENT when @s had no such subscription. */
int kmqtt_session_unsubscribe(struct kmqtt_session *s, const u8 *filter,
			      u16 len);

/* Result of offering one message to a session. */
enum kmqtt_enqueue_result {
	KMQTT_ENQ_QUEUED,
	KMQTT_ENQ_SKIPPED,	/* offline and QoS 0, or session gone */
	KMQTT_ENQ_DROPPED,	/* queue full (counted) */
};

/*
 * Queue one reference of @msg for @s at effective @qos; @flags
 * KMQTT_QE_RETAIN for subscribe-time delivery of a retained message. @qe is
 * preallocated by the caller (so that nothing allocates under the lock) and
 * consumed if KMQTT_ENQ_QUEUED is returned. Wakes the attached client's
 * transport. Any context; takes s->lock.
 *
 * If @congested is not NULL, it is set when the queue is now at or above
 * its high watermark (queued, or dropped at the cap) and @s drains (see
 * "Backpressure" above); @s is then pressured, and wakes the paused
 * publishers when it is down to its low watermark.
 */
enum kmqtt_enqueue_result kmqtt_session_enqueue(struct kmqtt_session *s,
						struct kmqtt_msg *msg, u8 qos,
						u8 flags,
						struct kmqtt_qent *qe,
						bool *congested);
/*
 * The tick of @c (once a second, from kmqtt_client_tick()), if it is the
 * attached client: a queue above its high watermark that sent nothing since
 * the previous tick is stalled and pauses nobody until it sends again.
 */
void kmqtt_session_tick(struct kmqtt_session *s, struct kmqtt_client *c);
struct kmqtt_qent *kmqtt_qent_alloc(gfp_t gfp);
void kmqtt_qent_free(struct kmqtt_qent *qe);

/* Acknowledgements from the attached client. False: unknown id. */
bool kmqtt_session_puback(struct kmqtt_session *s, u16 pid);
bool kmqtt_session_pubrec(struct kmqtt_session *s, u16 pid);
bool kmqtt_session_pubcomp(struct kmqtt_session *s, u16 pid);

/* Incoming QoS 2 packet ids awaiting PUBREL (op_lock held). */
bool kmqtt_session_qos2_pending(struct kmqtt_session *s, u16 pid);
/* 0, -ENOSPC (bounded by limits.max_queued_msgs), -ENOMEM. */
int kmqtt_session_qos2_add(struct kmqtt_session *s, u16 pid);
void kmqtt_session_qos2_del(struct kmqtt_session *s, u16 pid);

/* What the sender takes out of a session, one packet at a time. */
struct kmqtt_tx_item {
	struct kmqtt_msg *msg;	/* reference for the batch; NULL: PUBREL */
	u16 pid;
	u8 qos;
	bool dup;
	bool retain;
};

/*
 * Take up to @max items for @c to send (resends first, then the queue as
 * far as the in-flight window allows) and mark them sent. @max_bytes stops
 * early once reached (at least one item is taken). Returns the number taken;
 * 0 if @c is not the attached client. Clears wake_pending.
 */
u32 kmqtt_session_pull(struct kmqtt_session *s, struct kmqtt_client *c,
		       struct kmqtt_tx_item *items, u32 max,
		       size_t max_bytes);

/* Provided by engine.c: never sleep, called under s->lock. */
void kmqtt_client_wake(struct kmqtt_client *c);
void kmqtt_client_kill(struct kmqtt_client *c);
/* Is @c's input paused by backpressure? */
bool kmqtt_client_is_paused(const struct kmqtt_client *c);
/*
 * Provided by engine.c: wake every paused publisher of @b. Never sleeps;
 * called with no spinlock held (takes b->paused_lock).
 */
void kmqtt_clients_resume(struct kmqtt_broker *b);

#endif /* KMQTT_SESSION_H */
