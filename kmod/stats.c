// SPDX-License-Identifier: GPL-2.0
/*
 * Per-CPU broker counters. Pure core: compiled into the module and into the
 * userspace tests through shim.h.
 *
 * The names are part of the ABI (netlink STATS_GET, /proc/net/kmqtt/stats,
 * mqttctl): they are only ever added, never renamed.
 */
#include "stats.h"

static const char *const kmqtt_stat_names[] = {
	[KMQTT_STAT_CONNECTIONS_TOTAL] = "connections_total",
	[KMQTT_STAT_CONNECTS] = "connects",
	[KMQTT_STAT_CONNECT_REFUSED] = "connect_refused",
	[KMQTT_STAT_AUTH_FAILURES] = "auth_failures",
	[KMQTT_STAT_CONN_LIMIT] = "conn_limit",
	[KMQTT_STAT_CONNECT_TIMEOUTS] = "connect_timeouts",
	[KMQTT_STAT_KEEPALIVE_TIMEOUTS] = "keepalive_timeouts",
	[KMQTT_STAT_TAKEOVERS] = "takeovers",
	[KMQTT_STAT_WILLS] = "wills",
	[KMQTT_STAT_MSGS_IN_QOS0] = "msgs_in_qos0",
	[KMQTT_STAT_MSGS_IN_QOS1] = "msgs_in_qos1",
	[KMQTT_STAT_MSGS_IN_QOS2] = "msgs_in_qos2",
	[KMQTT_STAT_BYTES_IN] = "bytes_in",
	[KMQTT_STAT_MSGS_OUT_QOS0] = "msgs_out_qos0",
	[KMQTT_STAT_MSGS_OUT_QOS1] = "msgs_out_qos1",
	[KMQTT_STAT_MSGS_OUT_QOS2] = "msgs_out_qos2",
	[KMQTT_STAT_BYTES_OUT] = "bytes_out",
	[KMQTT_STAT_DROPPED_QUEUE_FULL] = "dropped_queue_full",
	[KMQTT_STAT_DROPPED_NO_MEMORY] = "dropped_no_memory",
	[KMQTT_STAT_DROPPED_ACL] = "dropped_acl",
	[KMQTT_STAT_DROPPED_QOS2_DUP] = "dropped_qos2_dup",
	[KMQTT_STAT_SUBSCRIBE_DENIED] = "subscribe_denied",
	[KMQTT_STAT_RETAIN_REFUSED] = "retain_refused",
	[KMQTT_STAT_PROTO_ERRORS] = "proto_errors",
	/* One per enum mqtt_error; "none" is never counted. */
	[KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_NONE] = "proto_err_none",
	[KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_REMAINING_LENGTH] =
		"proto_err_remaining_length",
	[KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_TOO_LARGE] =
		"proto_err_too_large",
	[KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_RESERVED_FLAGS] =
		"proto_err_reserved_flags",
	[KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_BAD_TYPE] =
		"proto_err_bad_type",
	[KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_TRUNCATED] =
		"proto_err_truncated",
	[KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_TRAILING] =
		"proto_err_trailing",
	[KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_BAD_QOS] =
		"proto_err_bad_qos",
	[KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_ZERO_PACKET_ID] =
		"proto_err_zero_packet_id",
	[KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_BAD_UTF8] =
		"proto_err_bad_utf8",
	[KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_BAD_TOPIC] =
		"proto_err_bad_topic",
	[KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_BAD_CONNECT] =
		"proto_err_bad_connect",
	[KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_BAD_PROTOCOL_NAME] =
		"proto_err_bad_protocol_name",
	[KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_EMPTY_SUBSCRIBE] =
		"proto_err_empty_subscribe",
	[KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_UNEXPECTED] =
		"proto_err_unexpected",
	/* Publishers paused by a subscriber's full queue (engine.h). */
	[KMQTT_STAT_RX_PAUSES] = "rx_pauses",
	[KMQTT_STAT_RX_PAUSE_EXPIRED] = "rx_pause_expired",
};

int kmqtt_stats_init(struct kmqtt_stats *s)
{
	/* A name for every counter, and a counter for every name. */
	BUILD_BUG_ON(ARRAY_SIZE(kmqtt_stat_names) != KMQTT_STAT_COUNT);
	/* A new enum mqtt_error needs its name above. */
	BUILD_BUG_ON(MQTT_ERR_UNEXPECTED + 1 != MQTT_ERR_COUNT);

	s->pcpu = alloc_percpu(struct kmqtt_stat_counters);
	return s->pcpu ? 0 : -ENOMEM;
}

void kmqtt_stats_destroy(struct kmqtt_stats *s)
{
	free_percpu(s->pcpu);
	s->pcpu = NULL;
}

void kmqtt_stats_read(const struct kmqtt_stats *s, u64 *out)
{
	int cpu;
	int i;

	memset(out, 0, sizeof(u64) * KMQTT_STAT_COUNT);
	if (!s->pcpu)
		return;
	/*
	 * Unlocked sums: each per-CPU word is read whole (64-bit kernels), so
	 * a reader may miss an increment in flight but never sees a torn value.
	 */
	for_each_possible_cpu(cpu) {
		const struct kmqtt_stat_counters *c = per_cpu_ptr(s->pcpu, cpu);

		for (i = 0; i < KMQTT_STAT_COUNT; i++)
			out[i] += READ_ONCE(c->c[i]);
	}
}

const char *kmqtt_stat_name(enum kmqtt_stat i)
{
	if ((unsigned int)i >= KMQTT_STAT_COUNT || !kmqtt_stat_names[i])
		return "unknown";
	return kmqtt_stat_names[i];
}
