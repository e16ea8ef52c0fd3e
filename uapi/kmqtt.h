/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kmqtt: in-kernel MQTT 3.1/3.1.1 broker, generic netlink control ABI.
 *
 * Documentation
 * =============
 *
 * The broker is managed through the generic netlink family KMQTT_GENL_NAME,
 * version KMQTT_GENL_VERSION. The family is network-namespace aware: every
 * request acts on the broker of the namespace of the sending socket.
 *
 * Stability: this ABI only grows. Commands and attributes are appended,
 * never renumbered or removed; a field's type never changes. Every request
 * is validated strictly: an unknown attribute, a wrong type or length, a
 * value out of range or trailing garbage fails the whole request with
 * -EINVAL (or -ERANGE) and an extended ACK message naming the attribute.
 * Nothing is changed by a request that fails.
 *
 * Permissions: every command that changes state, USER_GET (it returns
 * password hashes) and RETAINED_GET (payloads the ACL may hide from some
 * clients) require CAP_NET_ADMIN in the user namespace that owns the network
 * namespace; the other listings are open to everyone in the namespace. A
 * refused request fails with -EPERM.
 *
 * Nested lists ("0: NLA_NESTED" below) are arrays: their element attribute
 * types are ignored by the kernel (it sends 0) and each element is itself a
 * nest of the given attributes. Nests must carry NLA_F_NESTED. As one
 * attribute holds at most 64 KiB, a request may repeat KMQTT_A_LISTENERS,
 * KMQTT_A_USERS and KMQTT_A_ACL_RULES: the elements of all occurrences are
 * taken in order, as one list.
 *
 * Dumps (NLM_F_DUMP) send one message per object and end with NLMSG_DONE;
 * the listings are not snapshots: objects added or removed while a dump is
 * running may be missed or repeated. Strings in dump messages are truncated
 * to fit one message (see KMQTT_DUMP_*_MAX); *_LEN attributes give the
 * original length when they were.
 *
 * Addresses
 * ---------
 *    KMQTT_A_LISTENER: NLA_NESTED
 *        KMQTT_LISTENER_A_FAMILY: NLA_U16, AF_INET or AF_INET6
 *        KMQTT_LISTENER_A_ADDR: NLA_BINARY, struct in_addr (4 bytes) for
 *                               AF_INET, struct in6_addr (16) for AF_INET6,
 *                               network byte order
 *        KMQTT_LISTENER_A_PORT: NLA_U16, host byte order, 1..65535
 *        KMQTT_LISTENER_A_ACCEPTED: NLA_U64, output only: connections
 *                                   accepted by this listener
 *
 * KMQTT_CMD_LISTENER_ADD / KMQTT_CMD_LISTENER_DEL
 * -----------------------------------------------
 * Request: KMQTT_A_LISTENER (FAMILY, ADDR, PORT). ADD binds and listens
 * (-EADDRINUSE when the address is taken, -EEXIST when the broker already
 * listens there); DEL stops listening and closes every connection that
 * listener accepted (-ENOENT when there is no such listener).
 *
 * KMQTT_CMD_LISTENER_GET (dump)
 * -----------------------------
 * One message per listener: KMQTT_A_LISTENER with all four attributes.
 *
 * KMQTT_CMD_LIMIT_SET / KMQTT_CMD_LIMIT_GET
 * -----------------------------------------
 * SET: KMQTT_A_LIMITS with any subset of the KMQTT_LIMIT_A_* attributes;
 * the others keep their value. The change applies at once to connected
 * clients (nobody is disconnected). GET replies with KMQTT_A_LIMITS holding
 * every limit.
 *
 *    KMQTT_A_LIMITS: NLA_NESTED
 *        KMQTT_LIMIT_A_MAX_CONNECTIONS: NLA_U32, 0 = unlimited
 *        KMQTT_LIMIT_A_MAX_PACKET_SIZE: NLA_U32, whole frame, 64..268435460
 *        KMQTT_LIMIT_A_MAX_INFLIGHT: NLA_U16, 1..65535
 *        KMQTT_LIMIT_A_MAX_QUEUED_MSGS: NLA_U32, per session, >= 1
 *        KMQTT_LIMIT_A_MAX_QUEUED_BYTES: NLA_U64, per session, 0 = unlimited
 *        KMQTT_LIMIT_A_MAX_SUBSCRIPTIONS: NLA_U32, per session, >= 1
 *        KMQTT_LIMIT_A_MAX_TOPIC_LEVELS: NLA_U32, 1..32768
 *        KMQTT_LIMIT_A_RETAINED_MAX_COUNT: NLA_U32, 0 = unlimited
 *        KMQTT_LIMIT_A_RETAINED_MAX_MSG_BYTES: NLA_U32, 0 = unlimited
 *        KMQTT_LIMIT_A_RETAINED_MAX_BYTES: NLA_U64, 0 = unlimited
 *        KMQTT_LIMIT_A_MAX_KEEPALIVE: NLA_U16, seconds, 10..65535
 *        KMQTT_LIMIT_A_CONNECT_TIMEOUT: NLA_U16, seconds, 1..3600
 *        KMQTT_LIMIT_A_ALLOW_ANONYMOUS: NLA_U8, 0 or 1
 *        KMQTT_LIMIT_A_SYS_INTERVAL: NLA_U16, seconds, 0 = no $SYS topics
 *        KMQTT_LIMIT_A_MAX_SESSIONS: NLA_U32, connected + persistent
 *                                    sessions, 0 = unlimited (CONNACK 0x03
 *                                    beyond)
 *
 * KMQTT_CMD_USER_ADD / KMQTT_CMD_USER_DEL / KMQTT_CMD_USER_GET (dump)
 * -------------------------------------------------------------------
 * Passwords are stored only as salted PBKDF2-HMAC-SHA512 hashes, in the
 * format of Mosquitto 2's mosquitto_passwd, "$7$ITERATIONS$SALT$HASH" (SALT
 * and HASH in standard base64), so password files carry over both ways.
 *
 *    KMQTT_A_USER: NLA_NESTED
 *        KMQTT_USER_A_NAME: NLA_NUL_STRING, 1..KMQTT_USER_NAME_MAX bytes
 *        KMQTT_USER_A_PASSWORD: NLA_BINARY, at most KMQTT_PASSWORD_MAX
 *                               bytes, input only: hashed by the kernel with
 *                               a random salt
 *        KMQTT_USER_A_HASH: NLA_NUL_STRING, at most KMQTT_HASH_MAX bytes, a
 *                           "$7$..." string (input: instead of PASSWORD;
 *                           output: always)
 *        KMQTT_USER_A_ITERATIONS: NLA_U32, 1..KMQTT_PBKDF2_MAX_ITERATIONS,
 *                                 input only, with PASSWORD; default
 *                                 KMQTT_PBKDF2_DEFAULT_ITERATIONS
 *
 * ADD takes NAME and exactly one of PASSWORD and HASH, and adds the user or
 * replaces its password. DEL takes NAME (-ENOENT if unknown). GET sends one
 * message per user with NAME and HASH. As long as no user exists, usernames
 * and passwords in CONNECT are not checked (Mosquitto without a
 * password_file); once one exists, a client giving a username must give
 * that user's password (CONNACK 0x04 otherwise).
 *
 * KMQTT_CMD_ACL_SET / KMQTT_CMD_ACL_GET (dump)
 * --------------------------------------------
 * Mosquitto's acl_file model. SET replaces the whole rule list atomically
 * with KMQTT_A_ACL_RULES (an empty nest removes every rule: everything is
 * allowed again). GET sends one message per rule, in order, each holding a
 * KMQTT_A_ACL_RULE nest.
 *
 *    KMQTT_A_ACL_RULES: NLA_NESTED
 *        0: NLA_NESTED (as KMQTT_A_ACL_RULE)
 *            KMQTT_ACL_A_KIND: NLA_U8, enum kmqtt_acl_rule_kind
 *            KMQTT_ACL_A_ACCESS: NLA_U8, enum kmqtt_acl_rule_access
 *            KMQTT_ACL_A_USER: NLA_NUL_STRING, KMQTT_ACL_KIND_USER_TOPIC
 *                              only
 *            KMQTT_ACL_A_FILTER: NLA_NUL_STRING, a topic filter (wildcards
 *                                allowed; %c and %u in patterns), at most
 *                                KMQTT_ACL_FILTER_MAX bytes
 *        0: NLA_NESTED
 *            ...
 *
 * KMQTT_CMD_CLIENT_GET (dump) / KMQTT_CMD_CLIENT_KICK / KMQTT_CMD_CLIENT_DEL
 * ------------------------------------------------------------------------
 * GET sends one message per session (connected clients and the persistent
 * sessions of disconnected ones) with a KMQTT_A_CLIENT nest. KICK takes
 * KMQTT_A_CLIENT_ID and closes that client's connection as a network error
 * would (its will is published; a persistent session stays); -ENOENT if it
 * is not connected. DEL takes KMQTT_A_CLIENT_ID and also discards the
 * session (subscriptions, queued messages); -ENOENT if there is none.
 *
 *    KMQTT_A_CLIENT: NLA_NESTED
 *        KMQTT_CLIENT_A_ID: NLA_NUL_STRING
 *        KMQTT_CLIENT_A_USERNAME: NLA_NUL_STRING (absent: anonymous)
 *        KMQTT_CLIENT_A_PEER: NLA_NUL_STRING, "1.2.3.4:5678" or
 *                             "[::1]:5678" (absent: not connected)
 *        KMQTT_CLIENT_A_CONNECTED: NLA_U8
 *        KMQTT_CLIENT_A_CLEAN_SESSION: NLA_U8
 *        KMQTT_CLIENT_A_PROTOCOL_LEVEL: NLA_U8, 3 (MQTT 3.1), 4 (3.1.1)
 *        KMQTT_CLIENT_A_KEEPALIVE: NLA_U16, seconds
 *        KMQTT_CLIENT_A_SUBSCRIPTIONS, _QUEUED, _INFLIGHT: NLA_U32
 *        KMQTT_CLIENT_A_BYTES_IN, _BYTES_OUT, _MSGS_IN, _MSGS_OUT: NLA_U64
 *        KMQTT_CLIENT_A_CONNECTED_FOR: NLA_U64, seconds since CONNECT
 *
 * KMQTT_CMD_RETAINED_GET (dump) / KMQTT_CMD_RETAINED_DEL
 * ------------------------------------------------------
 * GET takes an optional KMQTT_A_FILTER (default "#"; as for a subscriber,
 * "#" does not list "$SYS/..." topics) and sends one message per retained
 * message with a KMQTT_A_RETAINED nest. DEL takes exactly one of
 * KMQTT_A_TOPIC (that topic) and KMQTT_A_FILTER (every match) and replies
 * with KMQTT_A_COUNT, the number of messages deleted.
 *
 *    KMQTT_A_RETAINED: NLA_NESTED
 *        KMQTT_RETAINED_A_TOPIC: NLA_NUL_STRING, truncated to
 *                                KMQTT_DUMP_TOPIC_MAX bytes
 *        KMQTT_RETAINED_A_TOPIC_LEN: NLA_U32, full length
 *        KMQTT_RETAINED_A_PAYLOAD: NLA_BINARY, the first
 *                                  KMQTT_DUMP_PAYLOAD_MAX bytes at most
 *        KMQTT_RETAINED_A_PAYLOAD_LEN: NLA_U32, full length
 *        KMQTT_RETAINED_A_QOS: NLA_U8
 *        KMQTT_RETAINED_A_AGE: NLA_U64, seconds since it was stored
 *
 * KMQTT_CMD_STATS_GET
 * -------------------
 * Replies with KMQTT_A_VERSION (module version string) and KMQTT_A_STATS,
 * a list of (name, value) pairs: every counter (monotonic since the broker
 * of this namespace started) followed by the gauges "connections_now",
 * "sessions", "subscriptions", "retained_count", "retained_bytes",
 * "memory_bytes", "listeners", "uptime". Names are stable, lowercase and
 * only ever added; the same names and values appear in
 * /proc/net/kmqtt/stats.
 *
 *    KMQTT_A_STATS: NLA_NESTED
 *        0: NLA_NESTED
 *            KMQTT_COUNTER_A_NAME: NLA_NUL_STRING
 *            KMQTT_COUNTER_A_VALUE: NLA_U64
 *        0: NLA_NESTED
 *            ...
 *
 * KMQTT_CMD_CONFIG_APPLY
 * ----------------------
 * One atomic transaction over the whole configuration. Each of the nests
 * below that is present replaces that part of the configuration entirely;
 * an absent one leaves it unchanged:
 *
 *    KMQTT_A_LISTENERS: NLA_NESTED, list of KMQTT_A_LISTENER-like nests:
 *                       listeners not in the list are removed (closing
 *                       their clients), those in it are kept or added
 *    KMQTT_A_LIMITS: every limit not given returns to its default
 *    KMQTT_A_USERS: NLA_NESTED, list of KMQTT_A_USER-like nests
 *    KMQTT_A_ACL_RULES: as for ACL_SET
 *
 * Everything is validated (and passwords hashed) before anything changes;
 * then new listeners are bound; if one fails (-EADDRINUSE...) the ones just
 * bound are closed again and the request fails with nothing changed, the
 * extended ACK naming the offending attribute. Otherwise users, ACL and
 * limits are swapped in and the listeners no longer wanted are removed.
 */
#ifndef _UAPI_LINUX_KMQTT_H
#define _UAPI_LINUX_KMQTT_H

#define KMQTT_GENL_NAME		"kmqtt"
#define KMQTT_GENL_VERSION	1

#define KMQTT_USER_NAME_MAX	256	/* bytes, without the NUL */
#define KMQTT_PASSWORD_MAX	1024
#define KMQTT_HASH_MAX		512
#define KMQTT_CLIENT_ID_MAX	256
#define KMQTT_ACL_FILTER_MAX	2048
#define KMQTT_TOPIC_MAX		65530	/* longest topic a NUL_STRING carries */
#define KMQTT_DUMP_TOPIC_MAX	2048
#define KMQTT_DUMP_PAYLOAD_MAX	512

#define KMQTT_PBKDF2_DEFAULT_ITERATIONS	1000
/*
 * Every CONNECT with a username costs 2 x iterations HMAC-SHA512 blocks of
 * kernel CPU; the ceiling keeps a CONNECT flood from pinning CPUs.
 */
#define KMQTT_PBKDF2_MAX_ITERATIONS	100000

enum kmqtt_cmd {
	KMQTT_CMD_UNSPEC,
	KMQTT_CMD_LISTENER_ADD,
	KMQTT_CMD_LISTENER_DEL,
	KMQTT_CMD_LISTENER_GET,
	KMQTT_CMD_LIMIT_SET,
	KMQTT_CMD_LIMIT_GET,
	KMQTT_CMD_USER_ADD,
	KMQTT_CMD_USER_DEL,
	KMQTT_CMD_USER_GET,
	KMQTT_CMD_ACL_SET,
	KMQTT_CMD_ACL_GET,
	KMQTT_CMD_CLIENT_GET,
	KMQTT_CMD_CLIENT_KICK,
	KMQTT_CMD_RETAINED_GET,
	KMQTT_CMD_RETAINED_DEL,
	KMQTT_CMD_STATS_GET,
	KMQTT_CMD_CONFIG_APPLY,
	KMQTT_CMD_CLIENT_DEL,
	__KMQTT_CMD_MAX
};
#define KMQTT_CMD_MAX (__KMQTT_CMD_MAX - 1)

enum kmqtt_attr {
	KMQTT_A_UNSPEC,
	KMQTT_A_PAD,
	KMQTT_A_LISTENER,	/* nest: enum kmqtt_listener_attr */
	KMQTT_A_LISTENERS,	/* list of listener nests */
	KMQTT_A_LIMITS,		/* nest: enum kmqtt_limit_attr */
	KMQTT_A_USER,		/* nest: enum kmqtt_user_attr */
	KMQTT_A_USERS,		/* list of user nests */
	KMQTT_A_ACL_RULE,	/* nest: enum kmqtt_acl_attr */
	KMQTT_A_ACL_RULES,	/* list of rule nests */
	KMQTT_A_CLIENT,		/* nest: enum kmqtt_client_attr */
	KMQTT_A_CLIENT_ID,	/* NLA_NUL_STRING */
	KMQTT_A_RETAINED,	/* nest: enum kmqtt_retained_attr */
	KMQTT_A_TOPIC,		/* NLA_NUL_STRING, a topic name */
	KMQTT_A_FILTER,		/* NLA_NUL_STRING, a topic filter */
	KMQTT_A_COUNT,		/* NLA_U32 */
	KMQTT_A_STATS,		/* list of counter nests */
	KMQTT_A_VERSION,	/* NLA_NUL_STRING */
	__KMQTT_A_MAX
};
#define KMQTT_A_MAX (__KMQTT_A_MAX - 1)

enum kmqtt_listener_attr {
	KMQTT_LISTENER_A_UNSPEC,
	KMQTT_LISTENER_A_PAD,
	KMQTT_LISTENER_A_FAMILY,
	KMQTT_LISTENER_A_ADDR,
	KMQTT_LISTENER_A_PORT,
	KMQTT_LISTENER_A_ACCEPTED,
	__KMQTT_LISTENER_A_MAX
};
#define KMQTT_LISTENER_A_MAX (__KMQTT_LISTENER_A_MAX - 1)

enum kmqtt_limit_attr {
	KMQTT_LIMIT_A_UNSPEC,
	KMQTT_LIMIT_A_PAD,
	KMQTT_LIMIT_A_MAX_CONNECTIONS,
	KMQTT_LIMIT_A_MAX_PACKET_SIZE,
	KMQTT_LIMIT_A_MAX_INFLIGHT,
	KMQTT_LIMIT_A_MAX_QUEUED_MSGS,
	KMQTT_LIMIT_A_MAX_QUEUED_BYTES,
	KMQTT_LIMIT_A_MAX_SUBSCRIPTIONS,
	KMQTT_LIMIT_A_MAX_TOPIC_LEVELS,
	KMQTT_LIMIT_A_RETAINED_MAX_COUNT,
	KMQTT_LIMIT_A_RETAINED_MAX_MSG_BYTES,
	KMQTT_LIMIT_A_RETAINED_MAX_BYTES,
	KMQTT_LIMIT_A_MAX_KEEPALIVE,
	KMQTT_LIMIT_A_CONNECT_TIMEOUT,
	KMQTT_LIMIT_A_ALLOW_ANONYMOUS,
	KMQTT_LIMIT_A_SYS_INTERVAL,
	KMQTT_LIMIT_A_MAX_SESSIONS,
	__KMQTT_LIMIT_A_MAX
};
#define KMQTT_LIMIT_A_MAX (__KMQTT_LIMIT_A_MAX - 1)

#define KMQTT_MAX_PACKET_SIZE_MIN	64
#define KMQTT_MAX_PACKET_SIZE_MAX	268435460	/* 5 + 268435455 */
#define KMQTT_MAX_TOPIC_LEVELS_MAX	32768
#define KMQTT_MAX_KEEPALIVE_MIN		10
#define KMQTT_CONNECT_TIMEOUT_MAX	3600

enum kmqtt_user_attr {
	KMQTT_USER_A_UNSPEC,
	KMQTT_USER_A_NAME,
	KMQTT_USER_A_PASSWORD,
	KMQTT_USER_A_HASH,
	KMQTT_USER_A_ITERATIONS,
	__KMQTT_USER_A_MAX
};
#define KMQTT_USER_A_MAX (__KMQTT_USER_A_MAX - 1)

enum kmqtt_acl_rule_kind {
	/* "topic" line before any "user" line: applies to anonymous clients */
	KMQTT_ACL_KIND_TOPIC = 1,
	KMQTT_ACL_KIND_USER_TOPIC,	/* "topic" line after "user NAME" */
	KMQTT_ACL_KIND_PATTERN,		/* "pattern" line: %c, %u expanded */
	__KMQTT_ACL_KIND_MAX
};
#define KMQTT_ACL_KIND_MAX (__KMQTT_ACL_KIND_MAX - 1)

enum kmqtt_acl_rule_access {
	KMQTT_ACL_ACCESS_READ = 1,
	KMQTT_ACL_ACCESS_WRITE,
	KMQTT_ACL_ACCESS_READWRITE,
	KMQTT_ACL_ACCESS_DENY,
	__KMQTT_ACL_ACCESS_MAX
};
#define KMQTT_ACL_ACCESS_MAX (__KMQTT_ACL_ACCESS_MAX - 1)

enum kmqtt_acl_attr {
	KMQTT_ACL_A_UNSPEC,
	KMQTT_ACL_A_KIND,
	KMQTT_ACL_A_ACCESS,
	KMQTT_ACL_A_USER,
	KMQTT_ACL_A_FILTER,
	__KMQTT_ACL_A_MAX
};
#define KMQTT_ACL_A_MAX (__KMQTT_ACL_A_MAX - 1)

enum kmqtt_client_attr {
	KMQTT_CLIENT_A_UNSPEC,
	KMQTT_CLIENT_A_PAD,
	KMQTT_CLIENT_A_ID,
	KMQTT_CLIENT_A_USERNAME,
	KMQTT_CLIENT_A_PEER,
	KMQTT_CLIENT_A_CONNECTED,
	KMQTT_CLIENT_A_CLEAN_SESSION,
	KMQTT_CLIENT_A_PROTOCOL_LEVEL,
	KMQTT_CLIENT_A_KEEPALIVE,
	KMQTT_CLIENT_A_SUBSCRIPTIONS,
	KMQTT_CLIENT_A_QUEUED,
	KMQTT_CLIENT_A_INFLIGHT,
	KMQTT_CLIENT_A_BYTES_IN,
	KMQTT_CLIENT_A_BYTES_OUT,
	KMQTT_CLIENT_A_MSGS_IN,
	KMQTT_CLIENT_A_MSGS_OUT,
	KMQTT_CLIENT_A_CONNECTED_FOR,
	__KMQTT_CLIENT_A_MAX
};
#define KMQTT_CLIENT_A_MAX (__KMQTT_CLIENT_A_MAX - 1)

enum kmqtt_retained_attr {
	KMQTT_RETAINED_A_UNSPEC,
	KMQTT_RETAINED_A_PAD,
	KMQTT_RETAINED_A_TOPIC,
	KMQTT_RETAINED_A_TOPIC_LEN,
	KMQTT_RETAINED_A_PAYLOAD,
	KMQTT_RETAINED_A_PAYLOAD_LEN,
	KMQTT_RETAINED_A_QOS,
	KMQTT_RETAINED_A_AGE,
	__KMQTT_RETAINED_A_MAX
};
#define KMQTT_RETAINED_A_MAX (__KMQTT_RETAINED_A_MAX - 1)

enum kmqtt_counter_attr {
	KMQTT_COUNTER_A_UNSPEC,
	KMQTT_COUNTER_A_PAD,
	KMQTT_COUNTER_A_NAME,
	KMQTT_COUNTER_A_VALUE,
	__KMQTT_COUNTER_A_MAX
};
#define KMQTT_COUNTER_A_MAX (__KMQTT_COUNTER_A_MAX - 1)

#endif /* _UAPI_LINUX_KMQTT_H */
