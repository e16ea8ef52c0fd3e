/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal raw-socket MQTT 3.1/3.1.1 client for byte-exact selftests.
 *
 * Nothing here is clever: every packet is built by hand from bytes so that a
 * test can send exactly what it wants (including malformed frames) and check
 * exactly what comes back.  The broker is taken from the environment:
 * KMQTT_HOST (default 127.0.0.1), KMQTT_PORT (default 1883) and
 * KMQTT_BROKER (kmqtt or mosquitto, default kmqtt).
 */
#ifndef KMQTT_SELFTEST_MQTT_RAW_H
#define KMQTT_SELFTEST_MQTT_RAW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Fixed-header first bytes (type << 4 | flags) used by the tests. */
#define MQ_CONNECT	0x10
#define MQ_CONNACK	0x20
#define MQ_PUBLISH	0x30
#define MQ_PUBACK	0x40
#define MQ_PUBREC	0x50
#define MQ_PUBREL	0x62
#define MQ_PUBCOMP	0x70
#define MQ_SUBSCRIBE	0x82
#define MQ_SUBACK	0x90
#define MQ_UNSUBSCRIBE	0xa2
#define MQ_UNSUBACK	0xb0
#define MQ_PINGREQ	0xc0
#define MQ_PINGRESP	0xd0
#define MQ_DISCONNECT	0xe0

/*
 * How long to wait for something that must happen.  Generous because the
 * guest runs under TCG; a correct broker answers long before.  Scaled by
 * KMQTT_TIMEOUT_SCALE (integer, default 1).
 */
#define MQ_WAIT_MS	10000
/*
 * How long to wait when checking that something does NOT arrive and no
 * marker message can be used to bound the wait.  A slow broker can only make
 * such a check pass wrongly, never fail wrongly.
 */
#define MQ_QUIET_MS	700

/* A growable byte buffer used to build packets. */
struct mq_buf {
	uint8_t *d;
	size_t n, cap;
};

void mq_buf_free(struct mq_buf *b);
void mq_put_u8(struct mq_buf *b, uint8_t v);
void mq_put_u16(struct mq_buf *b, uint16_t v);
void mq_put_bytes(struct mq_buf *b, const void *p, size_t n);
/* u16 length prefix + bytes */
void mq_put_str(struct mq_buf *b, const char *s);
void mq_put_lstr(struct mq_buf *b, const void *s, size_t n);
/* Variable-length "remaining length" encoding; returns bytes written. */
size_t mq_encode_len(uint8_t *out, uint32_t len);
/* Wrap @body into a frame with first byte @hdr; result in @out. */
void mq_frame(struct mq_buf *out, uint8_t hdr, const struct mq_buf *body);

/* A received packet. */
struct mq_pkt {
	uint8_t hdr;
	uint32_t len;
	uint8_t *body;	/* malloc'd, len bytes (NULL when len == 0) */
};

/* A decoded PUBLISH. */
struct mq_pub {
	uint8_t hdr;
	int qos;
	bool dup, retain;
	uint16_t pid;
	char *topic;	/* NUL-terminated copy */
	uint8_t *payload;
	size_t plen;
};

/* Environment. */
const char *mq_host(void);
int mq_port(void);
bool mq_is_kmqtt(void);
bool mq_is_mosquitto(void);
int mq_scale(void);
/* A prefix unique to this process for topics and client ids. */
const char *mq_uniq(void);

/* Sockets. */
int mq_tcp(void);				/* -1 on failure */
int mq_send(int fd, const void *p, size_t n);	/* 0, or -1 if the peer is gone */
int mq_send_buf(int fd, const struct mq_buf *b);
int mq_send_frame(int fd, uint8_t hdr, const struct mq_buf *body);
/* 1: packet read; 0: timeout; -1: connection closed or reset. */
int mq_read(int fd, struct mq_pkt *p, int timeout_ms);
void mq_pkt_free(struct mq_pkt *p);
/*
 * Wait for the broker to close @fd, discarding what it sends.  Returns true if
 * it was closed within @timeout_ms.  If @first_hdr is not NULL it receives the
 * first byte of the first packet received before the close (0 if none), and
 * @first_b2 the first body byte pair (for CONNACK checks).
 */
bool mq_wait_closed(int fd, int timeout_ms, uint8_t *first_hdr,
		    uint8_t first_body[2]);

/* CONNECT options. */
struct mq_connect_opts {
	const char *id;		/* NULL = "" */
	int clean;		/* 0 or 1 */
	int keepalive;		/* seconds */
	int level;		/* 4 (default, MQTT) or 3 (MQIsdp) */
	const char *will_topic;	/* NULL = no will */
	const char *will_msg;
	int will_qos;
	int will_retain;
	const char *user;	/* NULL = no user name flag */
	const char *pass;	/* NULL = no password flag */
};

void mq_build_connect(struct mq_buf *out, const struct mq_connect_opts *o);
/*
 * Connect and read the CONNACK.  Returns the fd, or -1 on a transport error.
 * *rc and *sp get the CONNACK return code and session present flag, or -1 if
 * no CONNACK arrived (connection closed instead).
 */
int mq_connect_raw(const struct mq_connect_opts *o, int *rc, int *sp);
/* Connect expecting rc 0; returns fd or -1.  @sp may be NULL. */
int mq_connect(const struct mq_connect_opts *o, int *sp);
/* Shortcut: clean session, keep alive 60, client id @id. */
int mq_connect_simple(const char *id);
void mq_disconnect(int fd);	/* DISCONNECT + close */

/*
 * SUBSCRIBE one filter; returns the SUBACK code (0..2, 0x80), -1 when the
 * connection was closed, -2 on timeout / unexpected packet.  PUBLISH packets
 * (retained deliveries) that arrive before the SUBACK are answered and
 * discarded; use mq_subscribe_keep() to keep them.
 */
int mq_subscribe(int fd, uint16_t pid, const char *filter, int qos);
int mq_unsubscribe(int fd, uint16_t pid, const char *filter);

/* Send a PUBLISH as given (no waiting). */
int mq_publish(int fd, const char *topic, const void *payload, size_t plen,
	       int qos, bool retain, bool dup, uint16_t pid);
/* Publish and complete the QoS flow as the sender; 0 on success. */
int mq_publish_sync(int fd, const char *topic, const void *payload,
		    size_t plen, int qos, bool retain, uint16_t pid);
/* Publish with a fresh, short-lived connection. */
int mq_publish_once(const char *topic, const char *payload, int qos,
		    bool retain);

/*
 * Read until a PUBLISH arrives.  When @ack is true, QoS 1/2 are acknowledged
 * (PUBACK / PUBREC, and any PUBREL met on the way gets its PUBCOMP).  Other
 * packets are ignored except that PUBREL are answered only when @ack.
 * Returns 1, 0 (timeout) or -1 (closed).
 */
int mq_recv_pub(int fd, struct mq_pub *m, int timeout_ms, bool ack);
void mq_pub_free(struct mq_pub *m);
int mq_parse_pub(const struct mq_pkt *p, struct mq_pub *m);
int mq_ack(int fd, uint8_t type, uint16_t pid);	/* 2-byte-body ack */

/* /proc/net/kmqtt/stats helpers (kmqtt only). */
#define MQ_STATS_PATH "/proc/net/kmqtt/stats"
/*
 * Sum of all counters whose name matches the POSIX extended regex @re.
 * Returns -1 when the file is absent or no counter matches.
 */
long long mq_stats_sum(const char *re);
/*
 * Counter names (kmod/stats.c): "proto_errors" counts every protocol error,
 * "proto_err_<kind>" each kind (enum mqtt_error: remaining_length,
 * too_large, reserved_flags, bad_type, truncated, trailing, bad_qos,
 * zero_packet_id, bad_utf8, bad_topic, bad_connect, bad_protocol_name,
 * empty_subscribe, unexpected), "connect_refused" CONNACKs with a non-zero
 * code, "dropped_queue_full" messages dropped from full session queues.
 */
#define MQ_STATS_PROTO_ERR "^proto_errors$"
#define MQ_STATS_DROP "^dropped_queue_full$"

/* A snapshot of every counter. */
#define MQ_STATS_MAX 256
struct mq_stats {
	int n;
	char name[MQ_STATS_MAX][64];
	long long v[MQ_STATS_MAX];
};

/* 0, or -1 when the file is absent. */
int mq_stats_snap(struct mq_stats *s);
/* Value of counter @name, -1 if it is not in the snapshot. */
long long mq_stats_val(const struct mq_stats *s, const char *name);

#endif
