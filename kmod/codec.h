/* SPDX-License-Identifier: GPL-2.0 */
/*
 * MQTT 3.1 / 3.1.1 wire format: decoding of client-to-broker packets and
 * encoding of broker-to-client packets. Pure: no allocation, no I/O.
 *
 * Decoded packets point into the caller's buffer (struct mqtt_bytes); they are
 * valid only as long as that buffer is. Every length is bounded by the frame
 * before it is used. Reserved flags, QoS 3, packet id 0, bad UTF-8 and the
 * like are refused with a reason the caller counts (enum mqtt_error).
 */
#ifndef KMQTT_CODEC_H
#define KMQTT_CODEC_H

#include "shim.h"

enum mqtt_packet_type {
	MQTT_CONNECT = 1,
	MQTT_CONNACK = 2,
	MQTT_PUBLISH = 3,
	MQTT_PUBACK = 4,
	MQTT_PUBREC = 5,
	MQTT_PUBREL = 6,
	MQTT_PUBCOMP = 7,
	MQTT_SUBSCRIBE = 8,
	MQTT_SUBACK = 9,
	MQTT_UNSUBSCRIBE = 10,
	MQTT_UNSUBACK = 11,
	MQTT_PINGREQ = 12,
	MQTT_PINGRESP = 13,
	MQTT_DISCONNECT = 14,
};

/* Protocol levels in CONNECT. */
#define MQTT_LEVEL_31	3	/* "MQIsdp" */
#define MQTT_LEVEL_311	4	/* "MQTT" */

/* CONNACK return codes (3.1.1 section 3.2.2.3). */
enum mqtt_connack_rc {
	MQTT_CONNACK_ACCEPTED = 0,
	MQTT_CONNACK_BAD_PROTOCOL = 1,
	MQTT_CONNACK_ID_REJECTED = 2,
	MQTT_CONNACK_UNAVAILABLE = 3,
	MQTT_CONNACK_BAD_CREDENTIALS = 4,
	MQTT_CONNACK_NOT_AUTHORIZED = 5,
};

#define MQTT_SUBACK_FAILURE	0x80

/* Largest fixed header: type byte + 4-byte remaining length. */
#define MQTT_MAX_FIXED_HEADER	5
/* Largest remaining length the 4-byte encoding can carry. */
#define MQTT_MAX_REMAINING	268435455u
/* MQTT 3.1 limited client ids to 23 bytes; 3.1.1 allows more, we cap at: */
#define MQTT_MAX_CLIENT_ID	256

/*
 * Why a frame was refused. The values index the protocol-error counters, so
 * only append.
 */
enum mqtt_error {
	MQTT_ERR_NONE = 0,
	MQTT_ERR_REMAINING_LENGTH,	/* > 4 bytes, or non-minimal and too big */
	MQTT_ERR_TOO_LARGE,		/* above the configured maximum packet size */
	MQTT_ERR_RESERVED_FLAGS,	/* fixed-header flags wrong for the type */
	MQTT_ERR_BAD_TYPE,		/* reserved type, or server-to-client type */
	MQTT_ERR_TRUNCATED,		/* a field runs past the frame */
	MQTT_ERR_TRAILING,		/* bytes left over after the last field */
	MQTT_ERR_BAD_QOS,		/* QoS 3 in PUBLISH, will or subscription */
	MQTT_ERR_ZERO_PACKET_ID,	/* packet id 0 where one is required */
	MQTT_ERR_BAD_UTF8,		/* invalid UTF-8, U+0000, surrogates */
	MQTT_ERR_BAD_TOPIC,		/* wildcard in a name, empty name, ... */
	MQTT_ERR_BAD_CONNECT,		/* CONNECT flags/fields inconsistent */
	MQTT_ERR_BAD_PROTOCOL_NAME,	/* neither MQTT nor MQIsdp: close */
	MQTT_ERR_EMPTY_SUBSCRIBE,	/* SUBSCRIBE/UNSUBSCRIBE without filters */
	MQTT_ERR_UNEXPECTED,		/* packet not allowed in this state */
	MQTT_ERR_COUNT
};

/* Short names for counters and logs, indexed by enum mqtt_error. */
extern const char *const mqtt_error_names[MQTT_ERR_COUNT];

/* A length-prefixed field, pointing into the frame. */
struct mqtt_bytes {
	const u8 *data;
	u16 len;
};

struct mqtt_connect {
	struct mqtt_bytes protocol_name;
	u8 level;		/* MQTT_LEVEL_31 or MQTT_LEVEL_311; others: see decode */
	bool clean_session;
	u16 keep_alive;		/* seconds, 0 = off */
	struct mqtt_bytes client_id;
	bool will;
	u8 will_qos;
	bool will_retain;
	struct mqtt_bytes will_topic;
	struct mqtt_bytes will_payload;
	bool has_username;
	struct mqtt_bytes username;
	bool has_password;
	struct mqtt_bytes password;
};

struct mqtt_publish {
	u8 qos;
	bool dup;
	bool retain;
	struct mqtt_bytes topic;
	u16 packet_id;		/* 0 for QoS 0 */
	const u8 *payload;
	u32 payload_len;
};

/*
 * SUBSCRIBE and UNSUBSCRIBE carry a list; the decoder validates the whole
 * list, then the caller walks it with mqtt_next_filter().
 */
struct mqtt_filter_list {
	u16 packet_id;
	const u8 *pos;		/* cursor: next entry */
	const u8 *end;
	bool with_qos;		/* SUBSCRIBE entries carry a requested QoS byte */
	u16 count;
};

struct mqtt_packet {
	u8 type;		/* enum mqtt_packet_type */
	u8 flags;		/* low nibble of the fixed header */
	u32 remaining;		/* remaining length */
	union {
		struct mqtt_connect connect;
		struct mqtt_publish publish;
		struct mqtt_filter_list filters;	/* SUBSCRIBE, UNSUBSCRIBE */
		u16 packet_id;	/* PUBACK, PUBREC, PUBREL, PUBCOMP */
	};
};

/*
 * Read the fixed header at @buf. Returns the fixed header length (2..5) and
 * sets *@remaining when it is complete, 0 when more bytes are needed, or
 * -EBADMSG with *@err set. A remaining length above @max_packet (the limit on
 * the whole frame, header included) fails with MQTT_ERR_TOO_LARGE here, so the
 * caller can refuse a frame before buffering it.
 */
int mqtt_decode_fixed_header(const u8 *buf, size_t len, u32 max_packet,
			     u32 *remaining, enum mqtt_error *err);

/*
 * Decode one complete frame of @len bytes (fixed header included) received
 * from a client at protocol @level (0 before CONNECT is known: only CONNECT
 * is then decodable). Returns 0 or -EBADMSG with *@err set.
 *
 * For CONNECT with an unknown protocol level but a valid name, the decoder
 * succeeds and leaves the level as found (the rest of the packet is not
 * decoded: its layout may differ): the engine answers CONNACK 0x01. A known
 * level under the other version's name ("MQTT" level 3, "MQIsdp" level 4)
 * is just as unsupported and is reported as level 0.
 *
 * 3.1.1 rules apply exactly. For 3.1 ("MQIsdp") connections, as in that
 * specification and in Mosquitto: PUBREL/SUBSCRIBE/UNSUBSCRIBE may carry
 * DUP, a QoS 0 PUBLISH may carry DUP, the CONNECT reserved flag is not
 * checked, a password without a username (or a password flag without the
 * field) is accepted. Topic names (PUBLISH, will) are checked for syntax
 * here (MQTT_ERR_BAD_TOPIC) but not against the level limit: that is the
 * engine's, with mqtt_topic_name_valid(..., limits.max_topic_levels).
 * Filters are only bounded and UTF-8 checked (see mqtt_next_filter()).
 */
int mqtt_decode(const u8 *buf, size_t len, u8 level, struct mqtt_packet *pkt,
		enum mqtt_error *err);

/*
 * Walk a decoded SUBSCRIBE/UNSUBSCRIBE list. Returns true and fills the next
 * filter (and its requested QoS for SUBSCRIBE) or false at the end. The
 * filters were bounded and UTF-8 checked by mqtt_decode(); their topic-filter
 * syntax is checked by the caller (a bad filter gets 0x80, not a close).
 */
bool mqtt_next_filter(struct mqtt_filter_list *l, struct mqtt_bytes *filter,
		      u8 *qos);

/* Strict UTF-8 as MQTT requires: no U+0000, no surrogates, no overlongs. */
bool mqtt_utf8_valid(const u8 *s, size_t len);

/* Bytes needed to encode @n as a remaining length (1..4), 0 if too large. */
unsigned int mqtt_remaining_length_size(u32 n);

/* Encode @n as a remaining length at @buf; returns bytes written (1..4). */
unsigned int mqtt_encode_remaining_length(u8 *buf, u32 n);

/* Fixed-size packets. Each returns the number of bytes written. */
#define MQTT_CONNACK_LEN	4
#define MQTT_ACK_LEN		4	/* PUBACK PUBREC PUBREL PUBCOMP UNSUBACK */
#define MQTT_PINGRESP_LEN	2
unsigned int mqtt_encode_connack(u8 *buf, bool session_present, u8 rc);
unsigned int mqtt_encode_ack(u8 *buf, u8 type, u16 packet_id);
unsigned int mqtt_encode_pingresp(u8 *buf);

/* SUBACK for @n return codes; @buf must hold MQTT_MAX_FIXED_HEADER + 2 + n. */
unsigned int mqtt_encode_suback(u8 *buf, u16 packet_id, const u8 *codes,
				u16 n);

/*
 * The parts of an outgoing PUBLISH that differ per subscriber. The topic and
 * payload are shared by all subscribers and sent from the message itself:
 *   [header: fixed header + topic length] [topic] [packet id] [payload]
 * mqtt_encode_publish_header() writes the first part (at most
 * MQTT_PUBLISH_HEADER_MAX bytes) and returns its length; the packet id, for
 * QoS > 0, is two big-endian bytes the caller sends between topic and payload.
 * Returns 0 when the resulting packet would exceed MQTT_MAX_REMAINING.
 */
#define MQTT_PUBLISH_HEADER_MAX	(MQTT_MAX_FIXED_HEADER + 2)
unsigned int mqtt_encode_publish_header(u8 *buf, u8 qos, bool dup,
					bool retain, u16 topic_len,
					u32 payload_len);

#endif /* KMQTT_CODEC_H */
