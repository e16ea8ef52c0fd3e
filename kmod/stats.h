/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Broker statistics: per-CPU counters, so that the publish path never
 * bounces a shared cache line. Summed on read (netlink, /proc, $SYS).
 * Gauges (connections now, retained count/bytes, memory) are kept where
 * their objects live and read directly.
 */
#ifndef KMQTT_STATS_H
#define KMQTT_STATS_H

#include "shim.h"
#include "codec.h"

/* Only append: the order is visible in /proc and in the netlink ABI. */
enum kmqtt_stat {
	KMQTT_STAT_CONNECTIONS_TOTAL,	/* TCP connections accepted */
	KMQTT_STAT_CONNECTS,		/* CONNECTs accepted */
	KMQTT_STAT_CONNECT_REFUSED,	/* CONNACK with a non-zero code */
	KMQTT_STAT_AUTH_FAILURES,
	KMQTT_STAT_CONN_LIMIT,		/* refused: max connections */
	KMQTT_STAT_CONNECT_TIMEOUTS,	/* no CONNECT in time */
	KMQTT_STAT_KEEPALIVE_TIMEOUTS,
	KMQTT_STAT_TAKEOVERS,
	KMQTT_STAT_WILLS,		/* wills published */
	KMQTT_STAT_MSGS_IN_QOS0,
	KMQTT_STAT_MSGS_IN_QOS1,
	KMQTT_STAT_MSGS_IN_QOS2,
	KMQTT_STAT_BYTES_IN,
	KMQTT_STAT_MSGS_OUT_QOS0,
	KMQTT_STAT_MSGS_OUT_QOS1,
	KMQTT_STAT_MSGS_OUT_QOS2,
	KMQTT_STAT_BYTES_OUT,
	KMQTT_STAT_DROPPED_QUEUE_FULL,	/* per-session queue count/bytes */
	KMQTT_STAT_DROPPED_NO_MEMORY,
	KMQTT_STAT_DROPPED_ACL,		/* PUBLISH refused by ACL */
	KMQTT_STAT_DROPPED_QOS2_DUP,	/* QoS 2 retransmission not redelivered */
	KMQTT_STAT_SUBSCRIBE_DENIED,	/* 0x80 by ACL or limits */
	KMQTT_STAT_RETAIN_REFUSED,	/* retained store limits */
	KMQTT_STAT_PROTO_ERRORS,	/* all protocol errors */
	/* One per enum mqtt_error, in that order. */
	KMQTT_STAT_PROTO_ERROR_FIRST,
	/* Later counters go after the proto_err_* block. */
	KMQTT_STAT_RX_PAUSES = KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_COUNT,
	KMQTT_STAT_RX_PAUSE_EXPIRED,	/* resumed by the tick, not a drain */
	KMQTT_STAT_COUNT
};

struct kmqtt_stat_counters {
	u64 c[KMQTT_STAT_COUNT];
};

struct kmqtt_stats {
	struct kmqtt_stat_counters __percpu *pcpu;
};

int kmqtt_stats_init(struct kmqtt_stats *s);
void kmqtt_stats_destroy(struct kmqtt_stats *s);
/* Sum over CPUs into @out (KMQTT_STAT_COUNT entries). */
void kmqtt_stats_read(const struct kmqtt_stats *s, u64 *out);
/* Stable lowercase names ("msgs_in_qos0", "proto_err_bad_utf8", ...). */
const char *kmqtt_stat_name(enum kmqtt_stat i);

static inline void kmqtt_stat_add(struct kmqtt_stats *s, enum kmqtt_stat i,
				  u64 n)
{
	this_cpu_add(s->pcpu->c[i], n);
}

static inline void kmqtt_stat_inc(struct kmqtt_stats *s, enum kmqtt_stat i)
{
	kmqtt_stat_add(s, i, 1);
}

static inline void kmqtt_stat_proto_error(struct kmqtt_stats *s,
					  enum mqtt_error e)
{
	kmqtt_stat_inc(s, KMQTT_STAT_PROTO_ERRORS);
	if (e > MQTT_ERR_NONE && e < MQTT_ERR_COUNT)
		kmqtt_stat_inc(s, KMQTT_STAT_PROTO_ERROR_FIRST + e);
}

#endif /* KMQTT_STATS_H */
