/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One broker: everything a network namespace's MQTT clients share.
 * Pure core (see shim.h): the kernel glue in kmqtt.h embeds it per netns.
 */
#ifndef KMQTT_BROKER_H
#define KMQTT_BROKER_H

#include "shim.h"
#include "codec.h"
#include "topic.h"
#include "retain.h"
#include "acl.h"
#include "stats.h"
#include "msg.h"

/*
 * Run-time limits. Writers (netlink) hold broker->config_lock and WRITE_ONCE
 * each field; readers READ_ONCE the field they need, so a change applies to
 * connected clients without dropping them. 0 means unlimited where noted.
 */
struct kmqtt_limits {
	u32 max_connections;		/* 0 = unlimited; default 0 */
	u32 max_packet_size;		/* whole frame; default 256 KiB */
	u16 max_inflight;		/* outgoing QoS 1/2 window; default 20 */
	u32 max_queued_msgs;		/* per session; default 1000 */
	u64 max_queued_bytes;		/* per session; 0 = unlimited */
	u32 max_subscriptions;		/* per session; default 10000 */
	u32 max_topic_levels;		/* default KMQTT_DEFAULT_MAX_LEVELS */
	u32 retained_max_count;		/* default 100000 */
	u32 retained_max_msg_bytes;	/* default = max_packet_size */
	u64 retained_max_bytes;		/* default 64 MiB */
	u16 max_keepalive;		/* ceiling in seconds; default 65535 */
	u16 connect_timeout;		/* seconds to send CONNECT; default 10 */
	bool allow_anonymous;		/* default true */
	u16 sys_interval;		/* $SYS period in seconds, 0 = off; 10 */
	u32 max_sessions;		/* 0 = unlimited; default 100000 */
};

void kmqtt_limits_default(struct kmqtt_limits *l);

/* What the authentication hook answers. */
enum kmqtt_auth_result {
	KMQTT_AUTH_OK,		/* user known, password right */
	KMQTT_AUTH_BAD,		/* CONNACK 0x04 */
	KMQTT_AUTH_NO_USERS,	/* no user database: names are not checked */
};

struct kmqtt_broker;

/*
 * Hooks the environment provides. In the kernel auth.c verifies salted
 * password hashes with the crypto API; unit tests pass their own.
 */
struct kmqtt_broker_ops {
	enum kmqtt_auth_result (*authenticate)(struct kmqtt_broker *b,
					       const struct mqtt_bytes *user,
					       const struct mqtt_bytes *pass);
};

struct kmqtt_broker {
	struct kmqtt_limits limits;
	struct mutex config_lock;	/* limits, acl and users writers */
	const struct kmqtt_broker_ops *ops;
	void *ops_data;			/* for the hooks (kernel: struct kmqtt_net) */

	struct kmqtt_topic_tree subs;
	struct kmqtt_retain_store retained;
	struct kmqtt_acl __rcu *acl;	/* NULL: no ACL, everything allowed */
	struct kmqtt_stats stats;

	/* Sessions by client id: see session.c. */
	struct mutex sessions_lock;
	struct hlist_head *sessions;
	u32 sessions_hash_bits;
	u32 session_count;
	atomic_t connections;		/* live network connections (gauge) */
	bool shutting_down;

	/*
	 * Publishers paused by backpressure (engine.h): struct kmqtt_client
	 * by paused_entry. paused_gen counts the wake-ups, so that a
	 * publisher that saw a full queue can tell whether it drained before
	 * it got onto the list. A leaf lock apart from the wake_rx hook.
	 */
	spinlock_t paused_lock;
	struct list_head paused;
	unsigned long paused_gen;	/* written under paused_lock */
};

int kmqtt_broker_init(struct kmqtt_broker *b, const struct kmqtt_broker_ops *ops,
		      void *ops_data);
/* Close every session and free everything; callers have closed transports. */
void kmqtt_broker_destroy(struct kmqtt_broker *b);

/*
 * Publish a message from inside the broker ($SYS topics, admin tools): no
 * ACL, no client. Returns the number of subscribers it was queued for.
 */
int kmqtt_broker_publish(struct kmqtt_broker *b, const u8 *topic, u16 tlen,
			 const u8 *payload, u32 plen, u8 qos, bool retain);

/* A snapshot of one session, for listings (netlink, /proc). */
struct kmqtt_client_info {
	char client_id[MQTT_MAX_CLIENT_ID + 1];
	char username[KMQTT_ACL_MAX_USER + 1];
	char peer[64];			/* "1.2.3.4:5678", "[::1]:5678", "" */
	bool connected;
	bool clean_session;
	u8 level;			/* protocol level */
	u16 keep_alive;
	u32 subscriptions;
	u32 queued;
	u32 inflight;
	u64 bytes_in;
	u64 bytes_out;
	u64 msgs_in;
	u64 msgs_out;
	u64 connected_at;		/* kmqtt_now_sec() */
};

/*
 * Fill up to @max entries of @out, starting after the @skip'th session (for
 * resumable dumps). Returns the number filled.
 */
u32 kmqtt_broker_list_clients(struct kmqtt_broker *b, u32 skip,
			      struct kmqtt_client_info *out, u32 max);
/*
 * Disconnect a connected client (no will suppression: like a socket error,
 * its will is published). 0 or -ENOENT.
 */
int kmqtt_broker_kick_client(struct kmqtt_broker *b, const u8 *client_id,
			     u16 len);
/*
 * Remove a session (persistent ones live until then, or until a clean
 * session connect with the same id): an attached client is disconnected as
 * by kick (its will is published) and its session is not kept. 0 or -ENOENT.
 */
int kmqtt_broker_remove_session(struct kmqtt_broker *b, const u8 *client_id,
				u16 len);
/*
 * Push limits that other parts keep their own copy of (topic levels,
 * retained store limits) after a writer changed b->limits. Also done lazily
 * on the paths that use them.
 */
void kmqtt_broker_sync_limits(struct kmqtt_broker *b);

/* ---- core-internal (engine.c, session.c, broker.c) ---- */

/*
 * Deliver @msg to every matching subscription: once per session at the
 * highest matching QoS, effective QoS min(publish, granted), RETAIN clear.
 * Process context (allocates with GFP_KERNEL), no spinlock held. Returns
 * the number of sessions it was queued for.
 *
 * If @congested is not NULL it is set when a session other than @from was
 * left at or above its high watermark while draining: the publisher should
 * pause (see session.h, "Backpressure"). *@targets (if not NULL) gets the
 * number of sessions matched, the work done.
 */
struct kmqtt_session;
int kmqtt_fanout(struct kmqtt_broker *b, struct kmqtt_msg *msg,
		 const struct kmqtt_session *from, bool *congested,
		 u32 *targets);
/* Store @msg (RETAIN set) in the retained store, counting a refusal. */
int kmqtt_broker_retain(struct kmqtt_broker *b, struct kmqtt_msg *msg);

#endif /* KMQTT_BROKER_H */
