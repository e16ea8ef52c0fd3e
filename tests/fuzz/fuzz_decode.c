// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: the frame decoder on arbitrary bytes.
 *
 * Input: one control byte (protocol level the connection starts at, maximum
 * packet size), then a stream of frames cut the way the engine cuts them.
 * Every decoded frame is checked for internal consistency and, where the
 * broker has an encoder for the same packet, re-encoded: a frame that used
 * the canonical encoding must come back byte for byte. mqtt_utf8_valid() is
 * checked against an independent implementation of Unicode table 3-7.
 */
#define FUZZ_NAME "fuzz_decode"
#include "fuzz.h"
#include "codec.h"
#include "topic.h"

u64 kmqtt_test_now;

/* Well-formed UTF-8 per Unicode table 3-7, minus U+0000. */
static bool ref_utf8(const u8 *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		u8 b = s[i];
		u8 lo = 0x80, hi = 0xbf;
		size_t k, len;

		if (b == 0)
			return false;
		if (b < 0x80) {
			i++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf)
			len = 2;
		else if (b >= 0xe0 && b <= 0xef)
			len = 3;
		else if (b >= 0xf0 && b <= 0xf4)
			len = 4;
		else
			return false;
		if (b == 0xe0)
			lo = 0xa0;
		else if (b == 0xed)
			hi = 0x9f;
		else if (b == 0xf0)
			lo = 0x90;
		else if (b == 0xf4)
			hi = 0x8f;
		if (n - i < len)
			return false;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return false;
		for (k = 2; k < len; k++) {
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return false;
		}
		i += len;
	}
	return true;
}

static u8 out[MQTT_PUBLISH_HEADER_MAX + 65536 + 2 + 300000];

static void check_publish(const u8 *frame, size_t flen, int hlen,
			  const struct mqtt_packet *p, u8 level)
{
	const struct mqtt_publish *pub = &p->publish;
	struct mqtt_packet q;
	enum mqtt_error err;
	unsigned int n;
	size_t len;
	bool dup = pub->qos ? pub->dup : false;

	CHECK(pub->qos < 3);
	CHECK(pub->topic.data + pub->topic.len <= frame + flen);
	CHECK(pub->payload + pub->payload_len == frame + flen);
	CHECK(mqtt_topic_name_valid(pub->topic.data, pub->topic.len, 0));
	CHECK(!pub->qos == !pub->packet_id);
	n = mqtt_encode_publish_header(out, pub->qos, dup, pub->retain,
				       pub->topic.len, pub->payload_len);
	CHECK(n);
	memcpy(out + n, pub->topic.data, pub->topic.len);
	len = n + pub->topic.len;
	if (pub->qos) {
		put_unaligned_be16(pub->packet_id, out + len);
		len += 2;
	}
	memcpy(out + len, pub->payload, pub->payload_len);
	len += pub->payload_len;
	CHECK(len <= sizeof(out));
	CHECK(mqtt_decode(out, len, MQTT_LEVEL_311, &q, &err) == 0);
	CHECK(q.type == MQTT_PUBLISH && q.publish.qos == pub->qos &&
	      q.publish.dup == dup && q.publish.retain == pub->retain &&
	      q.publish.packet_id == pub->packet_id &&
	      q.publish.topic.len == pub->topic.len &&
	      q.publish.payload_len == pub->payload_len);
	/* Canonical input (minimal length, same flags): same bytes. */
	if ((unsigned int)hlen == 1 + mqtt_remaining_length_size(p->remaining) &&
	    dup == pub->dup)
		CHECK(len == flen && !memcmp(out, frame, len));
	(void)level;
}

static void check_filters(const struct mqtt_packet *p, const u8 *frame,
			  size_t flen)
{
	struct mqtt_filter_list l = p->filters;
	struct mqtt_bytes f;
	static u8 codes[65536];
	unsigned int n = 0, len;
	u32 rem;
	enum mqtt_error err;
	u8 qos;

	CHECK(l.packet_id);
	while (mqtt_next_filter(&l, &f, &qos)) {
		CHECK(f.data + f.len <= frame + flen);
		CHECK(mqtt_utf8_valid(f.data, f.len));
		CHECK(qos < 3);
		codes[n] = mqtt_topic_filter_valid(f.data, f.len, 0) ? qos :
			   MQTT_SUBACK_FAILURE;
		n++;
	}
	CHECK(l.pos == l.end);
	CHECK(n == p->filters.count && n > 0 && n <= 65535);
	if (p->type != MQTT_SUBSCRIBE)
		return;
	len = mqtt_encode_suback(out, p->filters.packet_id, codes, n);
	CHECK(len == 1 + mqtt_remaining_length_size(2 + n) + 2 + n);
	/* A server-to-client type is refused from its first byte. */
	CHECK(mqtt_decode_fixed_header(out, len, 0, &rem, &err) == -EBADMSG &&
	      err == MQTT_ERR_BAD_TYPE);
}

static void check_connect(const struct mqtt_connect *c)
{
	CHECK(c->protocol_name.len == 4 || c->protocol_name.len == 6);
	if (c->level != MQTT_LEVEL_31 && c->level != MQTT_LEVEL_311)
		return;
	CHECK(mqtt_utf8_valid(c->client_id.data, c->client_id.len));
	if (!c->will)
		CHECK(!c->will_qos && !c->will_retain && !c->will_topic.len);
	else
		CHECK(c->will_qos < 3 &&
		      mqtt_topic_name_valid(c->will_topic.data,
					    c->will_topic.len, 0));
	if (c->has_username)
		CHECK(mqtt_utf8_valid(c->username.data, c->username.len));
	if (c->level == MQTT_LEVEL_311 && c->has_password)
		CHECK(c->has_username);
}

static void check_ack(const u8 *frame, int hlen, const struct mqtt_packet *p)
{
	u8 buf[MQTT_ACK_LEN];

	CHECK(p->packet_id);
	mqtt_encode_ack(buf, p->type, p->packet_id);
	if (hlen == 2 && frame[0] == buf[0])
		CHECK(!memcmp(buf, frame, MQTT_ACK_LEN));
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	static const u32 maxes[8] = { 0, 2, 5, 64, 1024, 65536, 262144,
				      MQTT_MAX_REMAINING + 5 };
	u8 level, ctl;
	u32 max_packet;

	CHECK(mqtt_utf8_valid(data, size) == ref_utf8(data, size));
	if (size < 1)
		return 0;
	ctl = data[0];
	level = (u8[]){ 0, MQTT_LEVEL_31, MQTT_LEVEL_311, 0 }[ctl & 3];
	max_packet = maxes[(ctl >> 2) & 7];
	data++;
	size--;

	while (size) {
		enum mqtt_error err = MQTT_ERR_COUNT;
		struct mqtt_packet p;
		u32 rem = 0;
		int hlen;
		size_t flen;

		hlen = mqtt_decode_fixed_header(data, size, max_packet, &rem,
						&err);
		if (hlen < 0) {
			CHECK(err > MQTT_ERR_NONE && err < MQTT_ERR_COUNT);
			CHECK(mqtt_error_names[err]);
			break;
		}
		if (hlen == 0) {
			CHECK(size < 5);
			/* Not enough for a header: decode says truncated. */
			CHECK(mqtt_decode(data, size, level, &p, &err) ==
			      -EBADMSG);
			break;
		}
		CHECK(hlen >= 2 && hlen <= 5 && rem <= MQTT_MAX_REMAINING);
		CHECK(!max_packet || hlen + rem <= max_packet);
		flen = hlen + (size_t)rem;
		if (flen > size) {
			CHECK(mqtt_decode(data, size, level, &p, &err) ==
			      -EBADMSG && err == MQTT_ERR_TRUNCATED);
			break;
		}
		if (mqtt_decode(data, flen, level, &p, &err)) {
			CHECK(err > MQTT_ERR_NONE && err < MQTT_ERR_COUNT);
			break;
		}
		CHECK(err == MQTT_ERR_NONE && p.remaining == rem);
		CHECK(p.type == data[0] >> 4);
		switch (p.type) {
		case MQTT_CONNECT:
			check_connect(&p.connect);
			if (!level && (p.connect.level == MQTT_LEVEL_31 ||
				       p.connect.level == MQTT_LEVEL_311))
				level = p.connect.level;
			break;
		case MQTT_PUBLISH:
			check_publish(data, flen, hlen, &p, level);
			break;
		case MQTT_SUBSCRIBE:
		case MQTT_UNSUBSCRIBE:
			check_filters(&p, data, flen);
			break;
		case MQTT_PUBACK:
		case MQTT_PUBREC:
		case MQTT_PUBREL:
		case MQTT_PUBCOMP:
			check_ack(data, hlen, &p);
			break;
		case MQTT_PINGREQ:
		case MQTT_DISCONNECT:
			CHECK(rem == 0);
			break;
		default:
			fail("decoded a type clients may not send");
		}
		CHECK(level || p.type == MQTT_CONNECT);
		data += flen;
		size -= flen;
	}
	return 0;
}
