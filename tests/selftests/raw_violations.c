// SPDX-License-Identifier: GPL-2.0
/*
 * Protocol violations and malformed input, byte by byte.
 *
 * Every test keeps a well-behaved client connected and subscribed while a bad
 * client misbehaves; the broker must close the bad connection (after the
 * CONNACK return code the specification requires, where it requires one) and
 * the good client must still get a message afterwards.  On kmqtt, when
 * /proc/net/kmqtt/stats exists, a protocol-error counter must have moved.
 */
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>

#include "kst.h"

struct good {
	int sub;
	int n;
	char topic[96];
};

static void good_start(struct __test_metadata *_metadata, struct good *g)
{
	char id[32];

	KST_ID(id, "g");
	g->sub = mq_connect_simple(id);
	ASSERT_LE(0, g->sub);
	KST_TOPIC(g->topic, "good");
	ASSERT_EQ(1, mq_subscribe(g->sub, 1, g->topic, 1));
}

/* The good client still gets a QoS 1 message from a fresh publisher. */
static void good_check(struct __test_metadata *_metadata, struct good *g)
{
	struct mq_pub m;
	char msg[32];

	snprintf(msg, sizeof(msg), "alive-%d", ++g->n);
	ASSERT_EQ(0, mq_publish_once(g->topic, msg, 1, false));
	ASSERT_EQ(1, mq_recv_pub(g->sub, &m, MQ_WAIT_MS, true)) {
		TH_LOG("good client lost its message or connection");
	}
	EXPECT_STREQ(msg, (char *)m.payload);
	EXPECT_STREQ(g->topic, m.topic);
	mq_pub_free(&m);
}

FIXTURE(bad) {
	struct good g;
	struct mq_stats st0;
	bool have_stats;
};

FIXTURE_SETUP(bad)
{
	good_start(_metadata, &self->g);
	self->have_stats = mq_is_kmqtt() && !mq_stats_snap(&self->st0);
}

FIXTURE_TEARDOWN(bad)
{
	if (self->g.sub >= 0)
		mq_disconnect(self->g.sub);
}

/* @name moved since the fixture's snapshot (absent counters: logged). */
static void counter_moved(struct __test_metadata *_metadata,
			  const struct mq_stats *st0, const struct mq_stats *now,
			  const char *name)
{
	long long before = mq_stats_val(st0, name);
	long long after = mq_stats_val(now, name);

	if (before < 0 || after < 0) {
		TH_LOG("no counter %s in %s; not checked", name, MQ_STATS_PATH);
		return;
	}
	EXPECT_LT(before, after) {
		TH_LOG("counter %s did not move (%lld)", name, after);
	}
}

/*
 * Common end of every test: the good client still works and, on kmqtt with
 * /proc/net/kmqtt/stats, the right counter moved: "connect_refused" for a
 * CONNACK refusal, else "proto_errors" and, when given, proto_err_@kind.
 */
static void counters_moved(struct __test_metadata *_metadata,
			   const struct mq_stats *st0, const char *kind)
{
	struct mq_stats *now;
	char name[64];

	now = malloc(sizeof(*now));
	ASSERT_NE(NULL, now);
	if (mq_stats_snap(now)) {
		free(now);
		return;
	}
	if (kind && !strcmp(kind, "connect_refused")) {
		counter_moved(_metadata, st0, now, "connect_refused");
	} else {
		counter_moved(_metadata, st0, now, "proto_errors");
		if (kind) {
			snprintf(name, sizeof(name), "proto_err_%s", kind);
			counter_moved(_metadata, st0, now, name);
		}
	}
	free(now);
}

static void bad_done(struct __test_metadata *_metadata,
		     FIXTURE_DATA(bad) *self, const char *kind)
{
	good_check(_metadata, &self->g);
	if (self->have_stats)
		counters_moved(_metadata, &self->st0, kind);
}

/* Bad client: a TCP connection that has not sent anything yet. */
static int bad_tcp(struct __test_metadata *_metadata)
{
	int fd = mq_tcp();

	EXPECT_LE(0, fd);
	return fd;
}

/* Bad client: connected (CONNACK 0) with a fresh client id. */
static int bad_connected(struct __test_metadata *_metadata)
{
	char id[32];
	int fd;

	KST_ID(id, "b");
	fd = mq_connect_simple(id);
	EXPECT_LE(0, fd);
	return fd;
}

/* Send raw bytes and expect the broker to close the connection. */
static void send_expect_close(struct __test_metadata *_metadata, int fd,
			      const void *bytes, size_t n)
{
	ASSERT_LE(0, fd);
	/* The broker may already have closed mid-write: that is fine. */
	mq_send(fd, bytes, n);
	EXPECT_TRUE(mq_wait_closed(fd, MQ_WAIT_MS, NULL, NULL)) {
		TH_LOG("connection not closed after violation");
	}
	close(fd);
}

/*
 * For violations Mosquitto 2.0.11 lets pass (it parses 3.1.1 packets with its
 * MQTT 5 code, which tolerates them): kmqtt must close, Mosquitto may not.
 */
static void send_expect_close_kmqtt(struct __test_metadata *_metadata, int fd,
				    const void *bytes, size_t n)
{
	if (!mq_is_mosquitto()) {
		send_expect_close(_metadata, fd, bytes, n);
		return;
	}
	ASSERT_LE(0, fd);
	mq_send(fd, bytes, n);
	mq_wait_closed(fd, MQ_QUIET_MS, NULL, NULL);
	TH_LOG("mosquitto: closing is not checked for this violation");
	close(fd);
}

/* Send a frame built from @hdr and @body and expect close. */
static void frame_expect_close(struct __test_metadata *_metadata, int fd,
			       uint8_t hdr, struct mq_buf *body)
{
	struct mq_buf f = { 0 };

	mq_frame(&f, hdr, body);
	send_expect_close(_metadata, fd, f.d, f.n);
	mq_buf_free(&f);
	mq_buf_free(body);
}

/* A CONNECT with arbitrary protocol name, level and flags. */
static void connect_body(struct mq_buf *b, const char *name, int level,
			 uint8_t flags, const char *id)
{
	mq_put_str(b, name);
	mq_put_u8(b, level);
	mq_put_u8(b, flags);
	mq_put_u16(b, 60);
	mq_put_str(b, id);
}

/*
 * Send a CONNECT and expect: a CONNACK with @want_rc (or any refusal when
 * @want_rc < 0, or no CONNACK at all being fine) followed by a close.
 */
static void connect_expect_refusal(struct __test_metadata *_metadata,
				   struct mq_buf *body, int want_rc,
				   bool connack_required)
{
	struct mq_buf f = { 0 };
	uint8_t hdr, rc[2];
	int fd = bad_tcp(_metadata);

	ASSERT_LE(0, fd);
	mq_frame(&f, MQ_CONNECT, body);
	mq_send_buf(fd, &f);
	mq_buf_free(&f);
	mq_buf_free(body);
	EXPECT_TRUE(mq_wait_closed(fd, MQ_WAIT_MS, &hdr, rc)) {
		TH_LOG("connection not closed after refused CONNECT");
	}
	close(fd);
	if (connack_required) {
		ASSERT_EQ(MQ_CONNACK, hdr) {
			TH_LOG("no CONNACK before close");
		}
	}
	if (hdr == MQ_CONNACK) {
		EXPECT_EQ(0, rc[0]);	/* session present must be 0 */
		if (want_rc >= 0) {
			EXPECT_EQ(want_rc, rc[1]);
		} else {
			EXPECT_NE(0, rc[1]);
		}
	} else {
		EXPECT_EQ(0, hdr) {
			TH_LOG("unexpected packet %02x before close", hdr);
		}
	}
}

/* ---- CONNECT ---------------------------------------------------------- */

/* [MQTT-3.1.2-2] unsupported level: CONNACK 0x01 then close. */
TEST_F(bad, connack_bad_protocol_level)
{
	struct mq_buf b = { 0 };

	/* Level 6 does not exist (5 would be MQTT 5, which Mosquitto has). */
	connect_body(&b, "MQTT", 6, 0x02, "lvl6");
	connect_expect_refusal(_metadata, &b, 0x01, true);
	bad_done(_metadata, self, "connect_refused");
}

TEST_F(bad, connack_bad_protocol_level_3_for_mqtt)
{
	struct mq_buf b = { 0 };

	/* "MQTT" goes with level 4; level 3 belongs to "MQIsdp". */
	connect_body(&b, "MQTT", 3, 0x02, "lvl3");
	connect_expect_refusal(_metadata, &b, 0x01, true);
	bad_done(_metadata, self, "connect_refused");
}

/* [MQTT-3.1.2-1] wrong protocol name: close (a CONNACK is optional). */
TEST_F(bad, connect_bad_protocol_name)
{
	struct mq_buf b = { 0 };

	connect_body(&b, "MQTX", 4, 0x02, "badname");
	connect_expect_refusal(_metadata, &b, -1, false);
	bad_done(_metadata, self, "bad_protocol_name");
}

/* [MQTT-3.1.3-8] zero-length client id with clean session 0: 0x02. */
TEST_F(bad, connack_empty_client_id_clean0)
{
	struct mq_buf b = { 0 };

	connect_body(&b, "MQTT", 4, 0x00, "");
	connect_expect_refusal(_metadata, &b, 0x02, true);
	bad_done(_metadata, self, "connect_refused");
}

/* [MQTT-3.1.2-3] reserved flag bit 0 set: close, no CONNACK 0. */
TEST_F(bad, connect_reserved_flag)
{
	struct mq_buf b = { 0 };

	connect_body(&b, "MQTT", 4, 0x03, "rsvd");
	connect_expect_refusal(_metadata, &b, -1, false);
	bad_done(_metadata, self, "bad_connect");
}

/* [MQTT-3.1.2-13] will QoS without will flag. */
TEST_F(bad, connect_will_qos_without_will)
{
	struct mq_buf b = { 0 };

	connect_body(&b, "MQTT", 4, 0x02 | 0x08, "wq");
	connect_expect_refusal(_metadata, &b, -1, false);
	bad_done(_metadata, self, "bad_connect");
}

/* [MQTT-3.1.2-15] will retain without will flag. */
TEST_F(bad, connect_will_retain_without_will)
{
	struct mq_buf b = { 0 };

	connect_body(&b, "MQTT", 4, 0x02 | 0x20, "wr");
	connect_expect_refusal(_metadata, &b, -1, false);
	bad_done(_metadata, self, "bad_connect");
}

/* [MQTT-3.1.2-14] will QoS 3. */
TEST_F(bad, connect_will_qos3)
{
	struct mq_buf b = { 0 };

	connect_body(&b, "MQTT", 4, 0x02 | 0x04 | 0x18, "w3");
	mq_put_str(&b, "kst/will");
	mq_put_str(&b, "x");
	connect_expect_refusal(_metadata, &b, -1, false);
	bad_done(_metadata, self, "bad_qos");
}

/* [MQTT-3.1.2-22] password flag without user name flag. */
TEST_F(bad, connect_password_without_user)
{
	struct mq_buf b = { 0 };

	connect_body(&b, "MQTT", 4, 0x02 | 0x40, "pw");
	mq_put_str(&b, "secret");
	connect_expect_refusal(_metadata, &b, -1, false);
	bad_done(_metadata, self, "bad_connect");
}

/* CONNECT whose client id length runs past the end of the packet. */
TEST_F(bad, connect_string_overrun)
{
	struct mq_buf b = { 0 };

	mq_put_str(&b, "MQTT");
	mq_put_u8(&b, 4);
	mq_put_u8(&b, 0x02);
	mq_put_u16(&b, 60);
	mq_put_u16(&b, 200);	/* says 200 bytes, has 3 */
	mq_put_bytes(&b, "abc", 3);
	connect_expect_refusal(_metadata, &b, -1, false);
	bad_done(_metadata, self, "truncated");
}

/* CONNECT with the will flag but no will topic/message in the payload. */
TEST_F(bad, connect_will_flag_missing_fields)
{
	struct mq_buf b = { 0 };

	connect_body(&b, "MQTT", 4, 0x02 | 0x04, "wm");
	connect_expect_refusal(_metadata, &b, -1, false);
	bad_done(_metadata, self, "truncated");
}

/* [MQTT-3.1.0-2] a second CONNECT is a protocol violation. */
TEST_F(bad, second_connect_closes)
{
	struct mq_connect_opts o = { .id = "again", .clean = 1, .keepalive = 60 };
	struct mq_buf f = { 0 };
	int fd = bad_connected(_metadata);

	mq_build_connect(&f, &o);
	send_expect_close(_metadata, fd, f.d, f.n);
	mq_buf_free(&f);
	bad_done(_metadata, self, "unexpected");
}

/* [MQTT-3.1.0-1] the first packet must be CONNECT. */
TEST_F(bad, publish_before_connect_closes)
{
	struct mq_buf b = { 0 };
	char topic[96];

	KST_TOPIC(topic, "early");
	mq_put_str(&b, topic);
	mq_put_bytes(&b, "x", 1);
	frame_expect_close(_metadata, bad_tcp(_metadata), MQ_PUBLISH, &b);
	bad_done(_metadata, self, "unexpected");
}

TEST_F(bad, subscribe_before_connect_closes)
{
	struct mq_buf b = { 0 };

	mq_put_u16(&b, 1);
	mq_put_str(&b, "#");
	mq_put_u8(&b, 0);
	frame_expect_close(_metadata, bad_tcp(_metadata), MQ_SUBSCRIBE, &b);
	bad_done(_metadata, self, "unexpected");
}

TEST_F(bad, pingreq_before_connect_closes)
{
	static const uint8_t p[] = { MQ_PINGREQ, 0 };

	send_expect_close(_metadata, bad_tcp(_metadata), p, sizeof(p));
	bad_done(_metadata, self, "unexpected");
}

TEST_F(bad, garbage_before_connect_closes)
{
	static const char g[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	send_expect_close(_metadata, bad_tcp(_metadata), g, sizeof(g) - 1);
	bad_done(_metadata, self, NULL);
}

/* ---- reserved flags and packet types ------------------------------------ */

/* [MQTT-3.8.1-1] SUBSCRIBE fixed-header flags must be 0010. */
TEST_F(bad, subscribe_reserved_flags)
{
	struct mq_buf b = { 0 };

	mq_put_u16(&b, 1);
	mq_put_str(&b, "kst/rsvd");
	mq_put_u8(&b, 0);
	frame_expect_close(_metadata, bad_connected(_metadata), 0x80, &b);
	bad_done(_metadata, self, "reserved_flags");
}

/* [MQTT-3.10.1-1] UNSUBSCRIBE fixed-header flags must be 0010. */
TEST_F(bad, unsubscribe_reserved_flags)
{
	struct mq_buf b = { 0 };

	mq_put_u16(&b, 1);
	mq_put_str(&b, "kst/rsvd");
	frame_expect_close(_metadata, bad_connected(_metadata), 0xa0, &b);
	bad_done(_metadata, self, "reserved_flags");
}

/* [MQTT-3.6.1-1] PUBREL fixed-header flags must be 0010. */
TEST_F(bad, pubrel_reserved_flags)
{
	struct mq_buf b = { 0 };

	mq_put_u16(&b, 1);
	frame_expect_close(_metadata, bad_connected(_metadata), 0x60, &b);
	bad_done(_metadata, self, "reserved_flags");
}

/* Reserved packet types 0 and 15. */
TEST_F(bad, reserved_packet_type_0)
{
	static const uint8_t p[] = { 0x00, 0x00 };

	send_expect_close(_metadata, bad_connected(_metadata), p, sizeof(p));
	bad_done(_metadata, self, "bad_type");
}

TEST_F(bad, reserved_packet_type_15)
{
	static const uint8_t p[] = { 0xf0, 0x00 };

	send_expect_close(_metadata, bad_connected(_metadata), p, sizeof(p));
	bad_done(_metadata, self, "bad_type");
}

/*
 * A client must never send CONNACK/SUBACK/UNSUBACK/PINGRESP.  Mosquitto
 * ignores a SUBACK from a client (it handles SUBACK for its bridges).
 */
TEST_F(bad, server_only_packet_from_client)
{
	static const uint8_t p[] = { MQ_SUBACK, 0x03, 0x00, 0x01, 0x00 };

	send_expect_close_kmqtt(_metadata, bad_connected(_metadata), p, sizeof(p));
	bad_done(_metadata, self, "bad_type");
}

/* [MQTT-3.3.1-4] QoS 3 in PUBLISH. */
TEST_F(bad, publish_qos3)
{
	struct mq_buf b = { 0 };
	char topic[96];

	KST_TOPIC(topic, "q3");
	mq_put_str(&b, topic);
	mq_put_u16(&b, 1);
	mq_put_bytes(&b, "x", 1);
	frame_expect_close(_metadata, bad_connected(_metadata), 0x36, &b);
	bad_done(_metadata, self, "bad_qos");
}

/* [MQTT-2.3.1-1] packet identifier 0 in QoS>0 PUBLISH, SUBSCRIBE, ... */
TEST_F(bad, publish_qos1_packet_id_0)
{
	struct mq_buf b = { 0 };
	char topic[96];

	KST_TOPIC(topic, "pid0");
	mq_put_str(&b, topic);
	mq_put_u16(&b, 0);
	mq_put_bytes(&b, "x", 1);
	frame_expect_close(_metadata, bad_connected(_metadata), 0x32, &b);
	bad_done(_metadata, self, "zero_packet_id");
}

TEST_F(bad, publish_qos2_packet_id_0)
{
	struct mq_buf b = { 0 };
	char topic[96];

	KST_TOPIC(topic, "pid0");
	mq_put_str(&b, topic);
	mq_put_u16(&b, 0);
	mq_put_bytes(&b, "x", 1);
	frame_expect_close(_metadata, bad_connected(_metadata), 0x34, &b);
	bad_done(_metadata, self, "zero_packet_id");
}

TEST_F(bad, subscribe_packet_id_0)
{
	struct mq_buf b = { 0 };

	mq_put_u16(&b, 0);
	mq_put_str(&b, "kst/pid0");
	mq_put_u8(&b, 0);
	frame_expect_close(_metadata, bad_connected(_metadata), MQ_SUBSCRIBE,
			   &b);
	bad_done(_metadata, self, "zero_packet_id");
}

TEST_F(bad, unsubscribe_packet_id_0)
{
	struct mq_buf b = { 0 };

	mq_put_u16(&b, 0);
	mq_put_str(&b, "kst/pid0");
	frame_expect_close(_metadata, bad_connected(_metadata),
			   MQ_UNSUBSCRIBE, &b);
	bad_done(_metadata, self, "zero_packet_id");
}

/* [MQTT-3.8.3-4] requested QoS 3 in SUBSCRIBE. */
TEST_F(bad, subscribe_qos3)
{
	struct mq_buf b = { 0 };

	mq_put_u16(&b, 1);
	mq_put_str(&b, "kst/q3");
	mq_put_u8(&b, 3);
	frame_expect_close(_metadata, bad_connected(_metadata), MQ_SUBSCRIBE,
			   &b);
	bad_done(_metadata, self, "bad_qos");
}

/* [MQTT-3-8.3-4] reserved bits of the requested-QoS byte set. */
TEST_F(bad, subscribe_options_reserved_bits)
{
	struct mq_buf b = { 0 };

	mq_put_u16(&b, 1);
	mq_put_str(&b, "kst/rsvdopt");
	mq_put_u8(&b, 0x41);
	frame_expect_close(_metadata, bad_connected(_metadata), MQ_SUBSCRIBE,
			   &b);
	bad_done(_metadata, self, NULL);
}

/* [MQTT-3.8.3-3] a SUBSCRIBE with no filter at all. */
TEST_F(bad, subscribe_no_filters)
{
	struct mq_buf b = { 0 };

	mq_put_u16(&b, 1);
	frame_expect_close(_metadata, bad_connected(_metadata), MQ_SUBSCRIBE,
			   &b);
	bad_done(_metadata, self, "empty_subscribe");
}

/* [MQTT-3.10.3-2] an UNSUBSCRIBE with no filter at all. */
TEST_F(bad, unsubscribe_no_filters)
{
	struct mq_buf b = { 0 };

	mq_put_u16(&b, 1);
	frame_expect_close(_metadata, bad_connected(_metadata),
			   MQ_UNSUBSCRIBE, &b);
	bad_done(_metadata, self, "empty_subscribe");
}

/* [MQTT-4.7.3-1] topic names are at least one character long. */
TEST_F(bad, publish_empty_topic)
{
	struct mq_buf b = { 0 };

	mq_put_str(&b, "");
	mq_put_bytes(&b, "x", 1);
	frame_expect_close(_metadata, bad_connected(_metadata), MQ_PUBLISH,
			   &b);
	bad_done(_metadata, self, "bad_topic");
}

/* ---- truncated and inconsistent frames ---------------------------------- */

/* The peer half-closes in the middle of a CONNECT. */
TEST_F(bad, truncated_connect_then_eof)
{
	struct mq_connect_opts o = { .id = "trunc", .clean = 1, .keepalive = 60 };
	struct mq_buf f = { 0 };
	int fd = bad_tcp(_metadata);

	ASSERT_LE(0, fd);
	mq_build_connect(&f, &o);
	mq_send(fd, f.d, f.n - 4);
	mq_buf_free(&f);
	shutdown(fd, SHUT_WR);
	EXPECT_TRUE(mq_wait_closed(fd, MQ_WAIT_MS, NULL, NULL));
	close(fd);
	good_check(_metadata, &self->g);	/* no error counter promised */
}

/* The peer half-closes in the middle of a PUBLISH. */
TEST_F(bad, truncated_publish_then_eof)
{
	static const uint8_t p[] = { 0x30, 0x10, 0x00, 0x03, 'a', '/', 'b', 'x' };
	int fd = bad_connected(_metadata);

	ASSERT_LE(0, fd);
	mq_send(fd, p, sizeof(p));
	shutdown(fd, SHUT_WR);
	EXPECT_TRUE(mq_wait_closed(fd, MQ_WAIT_MS, NULL, NULL));
	close(fd);
	good_check(_metadata, &self->g);
}

/* Topic length larger than the remaining length. */
TEST_F(bad, publish_topic_length_overrun)
{
	static const uint8_t p[] = { 0x30, 0x05, 0x00, 0x64, 'a', 'b', 'c' };

	send_expect_close(_metadata, bad_connected(_metadata), p, sizeof(p));
	bad_done(_metadata, self, "truncated");
}

/* QoS 1 PUBLISH too short to hold its packet identifier. */
TEST_F(bad, publish_qos1_missing_packet_id)
{
	static const uint8_t p[] = { 0x32, 0x04, 0x00, 0x02, 'a', 'b' };

	send_expect_close(_metadata, bad_connected(_metadata), p, sizeof(p));
	bad_done(_metadata, self, "truncated");
}

TEST_F(bad, publish_remaining_length_zero)
{
	static const uint8_t p[] = { 0x30, 0x00 };

	send_expect_close(_metadata, bad_connected(_metadata), p, sizeof(p));
	bad_done(_metadata, self, "truncated");
}

/* SUBSCRIBE whose filter length runs past the end of the packet. */
TEST_F(bad, subscribe_filter_overrun)
{
	static const uint8_t p[] = { 0x82, 0x06, 0x00, 0x01, 0x00, 0x09, 'a', '/' };

	send_expect_close(_metadata, bad_connected(_metadata), p, sizeof(p));
	bad_done(_metadata, self, "truncated");
}

/* SUBSCRIBE with a filter but without the requested-QoS byte. */
TEST_F(bad, subscribe_missing_qos_byte)
{
	static const uint8_t p[] = { 0x82, 0x05, 0x00, 0x01, 0x00, 0x01, 'a' };

	send_expect_close(_metadata, bad_connected(_metadata), p, sizeof(p));
	bad_done(_metadata, self, "truncated");
}

/* PINGREQ carries no payload (Mosquitto does not check). */
TEST_F(bad, pingreq_with_payload)
{
	static const uint8_t p[] = { MQ_PINGREQ, 0x01, 0x00 };

	send_expect_close_kmqtt(_metadata, bad_connected(_metadata), p, sizeof(p));
	bad_done(_metadata, self, NULL);
}

/*
 * PUBACK with a remaining length other than 2 (3.1.1 section 3.4.1).
 * Mosquitto accepts it: in MQTT 5 a reason code may follow.
 */
TEST_F(bad, puback_wrong_length)
{
	static const uint8_t p[] = { MQ_PUBACK, 0x03, 0x00, 0x01, 0x00 };

	send_expect_close_kmqtt(_metadata, bad_connected(_metadata), p, sizeof(p));
	bad_done(_metadata, self, NULL);
}

/* ---- remaining length encodings and sizes ------------------------------- */

/* A fifth length byte: the encoding allows at most four. */
TEST_F(bad, remaining_length_5_bytes)
{
	static const uint8_t p[] = { 0x30, 0xff, 0xff, 0xff, 0xff, 0x01,
				     0x00, 0x01, 'a' };

	send_expect_close(_metadata, bad_connected(_metadata), p, sizeof(p));
	bad_done(_metadata, self, "remaining_length");
}

/* What a naive decoder reads as 2^32 - 1 ("4 GiB"). */
TEST_F(bad, remaining_length_4gib)
{
	static const uint8_t p[] = { 0x30, 0xff, 0xff, 0xff, 0xff, 0x0f };

	send_expect_close(_metadata, bad_connected(_metadata), p, sizeof(p));
	bad_done(_metadata, self, "remaining_length");
}

TEST_F(bad, remaining_length_5_bytes_before_connect)
{
	static const uint8_t p[] = { 0x10, 0x80, 0x80, 0x80, 0x80, 0x01 };

	send_expect_close(_metadata, bad_tcp(_metadata), p, sizeof(p));
	bad_done(_metadata, self, "remaining_length");
}

/*
 * The largest valid encoding (256 MiB - 1) is far above the maximum packet
 * size (256 KiB): refused from the header alone, before any body arrives.
 */
TEST_F(bad, remaining_length_256mib_refused_early)
{
	static const uint8_t p[] = { 0x30, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x01,
				     'a' };

	send_expect_close(_metadata, bad_connected(_metadata), p, sizeof(p));
	bad_done(_metadata, self, "too_large");
}

TEST_F(bad, connect_above_max_packet_size)
{
	/* CONNECT claiming 1 MiB: must not wait for it. */
	static const uint8_t p[] = { 0x10, 0x80, 0x80, 0x40, 0x00, 0x04, 'M',
				     'Q', 'T', 'T', 0x04, 0x02, 0x00, 0x3c };

	send_expect_close(_metadata, bad_tcp(_metadata), p, sizeof(p));
	bad_done(_metadata, self, "too_large");
}

/*
 * A PUBLISH above the maximum packet size (256 KiB default) is refused: the
 * header announces 300000 bytes, we send only the start, and the broker must
 * close without waiting for (or buffering) the rest.
 */
TEST_F(bad, frame_above_max_packet_size)
{
	struct mq_buf f = { 0 };
	uint8_t l[4], chunk[1024] = { 0 };
	size_t n = mq_encode_len(l, 300000);
	int fd = bad_connected(_metadata);

	ASSERT_LE(0, fd);
	mq_put_u8(&f, 0x30);
	mq_put_bytes(&f, l, n);
	mq_put_str(&f, "kst/big");
	mq_put_bytes(&f, chunk, sizeof(chunk));
	send_expect_close(_metadata, fd, f.d, f.n);
	mq_buf_free(&f);
	bad_done(_metadata, self, "too_large");
}

/* ---- slow clients ------------------------------------------------------- */

/*
 * Slowloris, short variant: a connected client with keep-alive 2 s drips a
 * PUBLISH one byte per second.  Keep alive counts control packets, not
 * bytes, so the broker must close it (1.5 x keep-alive) while the good client
 * keeps working; we give up after a generous deadline.
 */
TEST_F(bad, slowloris_after_connect)
{
	static const uint8_t p[] = { 0x30, 0x7f, 0x00, 0x05, 's', 'l', 'o',
				     'w', '/', 'l', 'o', 'r', 'i', 's' };
	struct mq_connect_opts o = { .clean = 1, .keepalive = 2 };
	char id[32];
	bool closed = false;
	size_t i;
	int fd;

	KST_ID(id, "slow");
	o.id = id;
	fd = mq_connect(&o, NULL);
	ASSERT_LE(0, fd);
	for (i = 0; i < 60 * (size_t)mq_scale() && !closed; i++) {
		if (mq_send(fd, &p[i % sizeof(p)], 1))
			closed = true;
		else
			closed = mq_wait_closed(fd, 1000 / mq_scale(), NULL,
						NULL);
		if (i == 1)
			good_check(_metadata, &self->g);
	}
	close(fd);
	EXPECT_TRUE(closed) {
		TH_LOG("byte-dripping client never disconnected");
	}
	good_check(_metadata, &self->g);
}

/*
 * Slowloris before CONNECT: one byte of a CONNECT per second.  The broker's
 * connect timeout must close it (kmqtt).  Mosquitto 2.0.11 has no CONNECT
 * timeout of its own: it applies a default keep alive of 60 s * 1.5 to
 * connections that never finished a CONNECT, too long for this suite, so
 * there we only check that the good client is unaffected.
 */
TEST_F(bad, slowloris_before_connect)
{
	struct mq_connect_opts o = { .id = "slowc", .clean = 1, .keepalive = 60 };
	struct mq_buf f = { 0 };
	int budget = mq_is_mosquitto() ? 4 : 90;
	bool closed = false;
	int i, fd = bad_tcp(_metadata);

	ASSERT_LE(0, fd);
	mq_build_connect(&f, &o);
	for (i = 0; i < budget * mq_scale() && !closed; i++) {
		if (mq_send(fd, &f.d[i % (f.n - 1)], 1))
			closed = true;
		else
			closed = mq_wait_closed(fd, 1000 / mq_scale(), NULL,
						NULL);
		if (i == 1)
			good_check(_metadata, &self->g);
	}
	mq_buf_free(&f);
	close(fd);
	if (!mq_is_mosquitto()) {
		EXPECT_TRUE(closed) {
			TH_LOG("CONNECT dripped byte by byte never timed out");
		}
	}
	good_check(_metadata, &self->g);
}

/* A connection that sends nothing at all is closed by the connect timeout. */
TEST_F(bad, silent_before_connect)
{
	int fd = bad_tcp(_metadata);

	ASSERT_LE(0, fd);
	good_check(_metadata, &self->g);
	if (mq_is_mosquitto()) {
		/* See slowloris_before_connect: 90 s in Mosquitto. */
		close(fd);
		SKIP(return, "mosquitto: no short CONNECT timeout");
	}
	EXPECT_TRUE(mq_wait_closed(fd, 90000, NULL, NULL)) {
		TH_LOG("idle connection without CONNECT never closed");
	}
	close(fd);
	good_check(_metadata, &self->g);
}

/* ---- invalid UTF-8 and wildcards in topic names --------------------------- */

FIXTURE(badtopic) {
	struct good g;
	struct mq_stats st0;
	bool have_stats;
};

FIXTURE_VARIANT(badtopic) {
	const char *topic;
	size_t len;
	const char *kind;	/* proto_err_<kind> counter when published */
};

#define TOPIC_VARIANT(vname, bytes, k)					\
	FIXTURE_VARIANT_ADD(badtopic, vname) {				\
		.topic = bytes, .len = sizeof(bytes) - 1, .kind = k,	\
	}

TOPIC_VARIANT(overlong_nul, "kst/\xc0\x80", "bad_utf8");
TOPIC_VARIANT(lone_continuation, "kst/\x80", "bad_utf8");
TOPIC_VARIANT(byte_ff, "kst/\xff", "bad_utf8");
TOPIC_VARIANT(surrogate, "kst/\xed\xa0\x80", "bad_utf8");
TOPIC_VARIANT(truncated_sequence, "kst/\xe2\x82", "bad_utf8");
TOPIC_VARIANT(above_u10ffff, "kst/\xf4\x90\x80\x80", "bad_utf8");
TOPIC_VARIANT(nul_char, "kst/a\0b", "bad_utf8");
TOPIC_VARIANT(plus_wildcard, "kst/+/x", "bad_topic");
TOPIC_VARIANT(hash_wildcard, "kst/#", "bad_topic");
TOPIC_VARIANT(embedded_plus, "kst/a+b", "bad_topic");

FIXTURE_SETUP(badtopic)
{
	good_start(_metadata, &self->g);
	self->have_stats = mq_is_kmqtt() && !mq_stats_snap(&self->st0);
}

FIXTURE_TEARDOWN(badtopic)
{
	if (self->g.sub >= 0)
		mq_disconnect(self->g.sub);
}

/* [MQTT-1.5.3-1/2] [MQTT-3.3.2-2]: malformed topic name closes. */
TEST_F(badtopic, publish_closes)
{
	struct mq_buf b = { 0 };

	mq_put_lstr(&b, variant->topic, variant->len);
	mq_put_bytes(&b, "x", 1);
	frame_expect_close(_metadata, bad_connected(_metadata), MQ_PUBLISH,
			   &b);
	good_check(_metadata, &self->g);
	if (self->have_stats)
		counters_moved(_metadata, &self->st0, variant->kind);
}

/*
 * The same bytes as a topic filter.  Invalid UTF-8 or U+0000 closes the
 * connection.  Wildcards are fine in filters, so those variants must subscribe.
 */
TEST_F(badtopic, subscribe)
{
	struct mq_buf b = { 0 };
	bool wildcard = memchr(variant->topic, '+', variant->len) ||
			memchr(variant->topic, '#', variant->len);
	bool embedded = strstr(variant->topic, "a+b");
	int fd = bad_connected(_metadata);

	ASSERT_LE(0, fd);
	mq_put_u16(&b, 1);
	mq_put_lstr(&b, variant->topic, variant->len);
	mq_put_u8(&b, 0);
	if (wildcard && !embedded) {
		struct mq_pkt p;

		mq_send_frame(fd, MQ_SUBSCRIBE, &b);
		mq_buf_free(&b);
		ASSERT_EQ(1, mq_read(fd, &p, MQ_WAIT_MS));
		EXPECT_EQ(MQ_SUBACK, p.hdr);
		EXPECT_EQ(3, p.len);
		mq_pkt_free(&p);
		mq_disconnect(fd);
	} else if (embedded) {
		/*
		 * "a+b" is an invalid filter: kmqtt refuses it with 0x80 and
		 * keeps the connection (the issue asks for 0x80).  Mosquitto
		 * 2.0.11 treats it as a malformed packet and disconnects,
		 * which the 3.1.1 error rules (4.8) also allow.
		 */
		if (mq_is_mosquitto()) {
			frame_expect_close(_metadata, fd, MQ_SUBSCRIBE, &b);
		} else {
			struct mq_pkt p;

			mq_send_frame(fd, MQ_SUBSCRIBE, &b);
			mq_buf_free(&b);
			ASSERT_EQ(1, mq_read(fd, &p, MQ_WAIT_MS));
			EXPECT_EQ(MQ_SUBACK, p.hdr);
			ASSERT_EQ(3, p.len);
			EXPECT_EQ(0x80, p.body[2]);
			mq_pkt_free(&p);
			mq_disconnect(fd);
		}
	} else {
		frame_expect_close(_metadata, fd, MQ_SUBSCRIBE, &b);
	}
	good_check(_metadata, &self->g);
}

/* ---- the counters themselves (kmqtt only) ------------------------------- */

TEST(stats_protocol_errors_counted)
{
	static const uint8_t p[] = { 0x36, 0x04, 0x00, 0x01, 'a', 0x00 };
	long long before, after;
	char id[32];
	int fd;

	if (!mq_is_kmqtt())
		SKIP(return, "KMQTT_BROKER is not kmqtt");
	before = mq_stats_sum(MQ_STATS_PROTO_ERR);
	if (before < 0)
		SKIP(return, "%s absent or has no proto_errors counter",
		     MQ_STATS_PATH);
	KST_ID(id, "st");
	fd = mq_connect_simple(id);
	ASSERT_LE(0, fd);
	mq_send(fd, p, sizeof(p));
	EXPECT_TRUE(mq_wait_closed(fd, MQ_WAIT_MS, NULL, NULL));
	close(fd);
	after = mq_stats_sum(MQ_STATS_PROTO_ERR);
	EXPECT_LT(before, after);
}

KST_MAIN
