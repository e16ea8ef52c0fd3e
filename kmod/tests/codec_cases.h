/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Codec test cases, shared by tests/unit/codec_test.c and the KUnit module.
 * Byte-exact vectors for every server-side rule of MQTT 3.1.1 (and the 3.1
 * differences), see codec.c.
 */
#ifndef KMQTT_CODEC_CASES_H
#define KMQTT_CODEC_CASES_H

#include "kt.h"
#include "../codec.h"

/*
 * One line describing every decoded field, so a vector checks them all with
 * one comparison.
 */
static int kt_describe(const struct mqtt_packet *p, char *buf, size_t size)
{
	const struct mqtt_connect *c = &p->connect;
	const struct mqtt_publish *pub = &p->publish;
	struct mqtt_filter_list l;
	struct mqtt_bytes f;
	int n = 0;
	u8 q;

	switch (p->type) {
	case MQTT_CONNECT:
		n += scnprintf(buf + n, size - n, "CONNECT %.*s/%u",
			       c->protocol_name.len, c->protocol_name.data,
			       c->level);
		if (c->level != MQTT_LEVEL_31 && c->level != MQTT_LEVEL_311)
			break;
		n += scnprintf(buf + n, size - n, " clean=%d ka=%u id='%.*s'",
			       c->clean_session, c->keep_alive,
			       c->client_id.len, c->client_id.data);
		if (c->will)
			n += scnprintf(buf + n, size - n,
				       " will=%u%s '%.*s' '%.*s'", c->will_qos,
				       c->will_retain ? "r" : "",
				       c->will_topic.len, c->will_topic.data,
				       c->will_payload.len,
				       c->will_payload.data);
		if (c->has_username)
			n += scnprintf(buf + n, size - n, " user='%.*s'",
				       c->username.len, c->username.data);
		if (c->has_password)
			n += scnprintf(buf + n, size - n, " pass='%.*s'",
				       c->password.len, c->password.data);
		break;
	case MQTT_PUBLISH:
		n += scnprintf(buf + n, size - n,
			       "PUBLISH q%u%s%s '%.*s' id=%u '%.*s'", pub->qos,
			       pub->dup ? " dup" : "",
			       pub->retain ? " retain" : "", pub->topic.len,
			       pub->topic.data, pub->packet_id,
			       (int)pub->payload_len, pub->payload);
		break;
	case MQTT_PUBACK:
	case MQTT_PUBREC:
	case MQTT_PUBREL:
	case MQTT_PUBCOMP:
		n += scnprintf(buf + n, size - n, "ACK%u id=%u", p->type,
			       p->packet_id);
		break;
	case MQTT_SUBSCRIBE:
	case MQTT_UNSUBSCRIBE:
		l = p->filters;
		n += scnprintf(buf + n, size - n, "%s id=%u n=%u",
			       p->type == MQTT_SUBSCRIBE ? "SUB" : "UNSUB",
			       l.packet_id, l.count);
		while (mqtt_next_filter(&l, &f, &q)) {
			n += scnprintf(buf + n, size - n, " '%.*s'", f.len,
				       f.data);
			if (p->type == MQTT_SUBSCRIBE)
				n += scnprintf(buf + n, size - n, ":%u", q);
		}
		break;
	case MQTT_PINGREQ:
		n += scnprintf(buf + n, size - n, "PINGREQ");
		break;
	case MQTT_DISCONNECT:
		n += scnprintf(buf + n, size - n, "DISCONNECT");
		break;
	default:
		n += scnprintf(buf + n, size - n, "type %u", p->type);
		break;
	}
	return n;
}

/* ---- fixed header ---- */

struct kt_fh_vec {
	const char *name;
	const u8 *buf;
	size_t len;
	u32 max_packet;
	int ret;		/* header length, 0 (more needed) or -EBADMSG */
	u32 remaining;
	enum mqtt_error err;
};

#define FH(n, b, max, r, rem, e) { n, KT_B(b), max, r, rem, e }
#define KT_256K (256u * 1024)

static const struct kt_fh_vec kt_fh_vecs[] = {
	FH("empty", "", 0, 0, 0, 0),
	FH("type byte only", "\x30", 0, 0, 0, 0),
	FH("rl 0", "\x30\x00", 0, 2, 0, 0),
	FH("rl 127", "\x30\x7f", 0, 2, 127, 0),
	FH("rl 128 partial", "\x30\x80", 0, 0, 0, 0),
	FH("rl 128", "\x30\x80\x01", 0, 3, 128, 0),
	FH("rl 16383", "\x30\xff\x7f", 0, 3, 16383, 0),
	FH("rl 16384", "\x30\x80\x80\x01", 0, 4, 16384, 0),
	FH("rl 2097151", "\x30\xff\xff\x7f", 0, 4, 2097151, 0),
	FH("rl 2097152", "\x30\x80\x80\x80\x01", 0, 5, 2097152, 0),
	FH("rl max", "\x30\xff\xff\xff\x7f", 0, 5, 268435455, 0),
	FH("rl 3 of 4 bytes", "\x30\xff\xff\xff", 0, 0, 0, 0),
	FH("rl non-minimal 0", "\xc0\x80\x00", 0, 3, 0, 0),
	FH("rl non-minimal 4 bytes", "\x30\x80\x80\x80\x00", 0, 5, 0, 0),
	FH("rl 5 bytes, 4th has continuation", "\x30\xff\xff\xff\xff", 0,
	   -EBADMSG, 0, MQTT_ERR_REMAINING_LENGTH),
	FH("rl 5 bytes 2^28", "\x30\x80\x80\x80\x80\x01", 0, -EBADMSG, 0,
	   MQTT_ERR_REMAINING_LENGTH),
	FH("rl 5 bytes 4 GiB", "\x30\xff\xff\xff\xff\x0f", 0, -EBADMSG, 0,
	   MQTT_ERR_REMAINING_LENGTH),
	FH("rl 5 bytes 0x7f", "\x30\xff\xff\xff\xff\x7f", 0, -EBADMSG, 0,
	   MQTT_ERR_REMAINING_LENGTH),
	FH("rl 5 bytes non-minimal 0", "\x30\x80\x80\x80\x80\x00", 0,
	   -EBADMSG, 0, MQTT_ERR_REMAINING_LENGTH),
	FH("rl 6 bytes", "\x30\x80\x80\x80\x80\x80\x01", 0, -EBADMSG, 0,
	   MQTT_ERR_REMAINING_LENGTH),
	FH("frame == max packet", "\x30\xfc\xff\x0f", KT_256K, 4, 262140, 0),
	FH("frame == max packet + 1", "\x30\xfd\xff\x0f", KT_256K, -EBADMSG,
	   0, MQTT_ERR_TOO_LARGE),
	FH("rl 256 KiB", "\x30\x80\x80\x10", KT_256K, -EBADMSG, 0,
	   MQTT_ERR_TOO_LARGE),
	FH("rl max vs 256 KiB", "\x30\xff\xff\xff\x7f", KT_256K, -EBADMSG, 0,
	   MQTT_ERR_TOO_LARGE),
	FH("tiny max packet", "\xc0\x00", 1, -EBADMSG, 0, MQTT_ERR_TOO_LARGE),
	FH("type 0", "\x00", 0, -EBADMSG, 0, MQTT_ERR_BAD_TYPE),
	FH("type 15", "\xf0\x00", 0, -EBADMSG, 0, MQTT_ERR_BAD_TYPE),
	FH("CONNACK from client", "\x20\x02", 0, -EBADMSG, 0,
	   MQTT_ERR_BAD_TYPE),
	FH("SUBACK from client", "\x90", 0, -EBADMSG, 0, MQTT_ERR_BAD_TYPE),
	FH("UNSUBACK from client", "\xb0\x02", 0, -EBADMSG, 0,
	   MQTT_ERR_BAD_TYPE),
	FH("PINGRESP from client", "\xd0\x00", 0, -EBADMSG, 0,
	   MQTT_ERR_BAD_TYPE),
	FH("PUBLISH QoS 3", "\x36", 0, -EBADMSG, 0, MQTT_ERR_BAD_QOS),
	FH("PUBLISH QoS 3 dup retain", "\x3f\x00", 0, -EBADMSG, 0,
	   MQTT_ERR_BAD_QOS),
};

static void codec_fixed_header(kt_ctx *t)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kt_fh_vecs); i++) {
		const struct kt_fh_vec *v = &kt_fh_vecs[i];
		enum mqtt_error err = MQTT_ERR_NONE;
		u32 rem = 0xdeadbeef;
		int ret;

		ret = mqtt_decode_fixed_header(v->buf, v->len, v->max_packet,
					       &rem, &err);
		KT_CHECK(t, ret == v->ret, "%s: ret %d, want %d", v->name, ret,
			 v->ret);
		if (ret > 0)
			KT_CHECK(t, rem == v->remaining, "%s: rl %u, want %u",
				 v->name, rem, v->remaining);
		if (ret < 0)
			KT_CHECK(t, err == v->err, "%s: err %s, want %s",
				 v->name, mqtt_error_names[err],
				 mqtt_error_names[v->err]);
	}
}

/* ---- whole frames ---- */

struct kt_frame_vec {
	const char *name;
	const u8 *buf;
	size_t len;
	u8 level;		/* the connection's level (0: before CONNECT) */
	enum mqtt_error err;
	const char *desc;	/* kt_describe() of the result, when decoded */
};

#define OK(n, b, lvl, d) { n, KT_B(b), lvl, MQTT_ERR_NONE, d }
#define BAD(n, b, lvl, e) { n, KT_B(b), lvl, e, NULL }

/* A valid 3.1.1 CONNECT with every optional field. */
#define KT_CONNECT_FULL							\
	"\x10\x23\x00\x04MQTT\x04\xee\x00\x0a\x00\x02id\x00\x03w/t"	\
	"\x00\x02hi\x00\x04user\x00\x04pass"

static const struct kt_frame_vec kt_frame_vecs[] = {
	/* CONNECT, 3.1.1 */
	OK("connect basic", "\x10\x0f\x00\x04MQTT\x04\x02\x00\x3c\x00\003abc",
	   0, "CONNECT MQTT/4 clean=1 ka=60 id='abc'"),
	OK("connect full", KT_CONNECT_FULL, 0,
	   "CONNECT MQTT/4 clean=1 ka=10 id='id' will=1r 'w/t' 'hi' user='user' pass='pass'"),
	OK("connect on a connected client decodes (engine refuses)",
	   "\x10\x0f\x00\x04MQTT\x04\x02\x00\x3c\x00\003abc", 4,
	   "CONNECT MQTT/4 clean=1 ka=60 id='abc'"),
	OK("connect empty client id",
	   "\x10\x0c\x00\x04MQTT\x04\x00\xff\xff\x00\x00", 0,
	   "CONNECT MQTT/4 clean=0 ka=65535 id=''"),
	OK("connect will qos 2, empty will payload",
	   "\x10\x12\x00\x04MQTT\x04\x14\x00\x00\x00\x01x\x00\x01w\x00\x00", 0,
	   "CONNECT MQTT/4 clean=0 ka=0 id='x' will=2 'w' ''"),
	OK("connect username only",
	   "\x10\x12\x00\x04MQTT\x04\x80\x00\x00\x00\x01x\x00\003bob", 0,
	   "CONNECT MQTT/4 clean=0 ka=0 id='x' user='bob'"),
	OK("connect empty username and password",
	   "\x10\x11\x00\x04MQTT\x04\xc0\x00\x00\x00\x01x\x00\x00\x00\x00", 0,
	   "CONNECT MQTT/4 clean=0 ka=0 id='x' user='' pass=''"),
	OK("connect binary password",
	   "\x10\x13\x00\x04MQTT\x04\xc0\x00\x00\x00\x01x\x00\x00\x00\x02\x01\xff",
	   0, "CONNECT MQTT/4 clean=0 ka=0 id='x' user='' pass='\x01\xff'"),
	OK("connect client id with U+0001, U+0080, U+FFFF (allowed)",
	   "\x10\x12\x00\x04MQTT\x04\x02\x00\x00\x00\x06\x01\xc2\x80\xef\xbf\xbf",
	   0, "CONNECT MQTT/4 clean=1 ka=0 id='\x01\xc2\x80\xef\xbf\xbf'"),
	OK("connect unknown level 5: stops after the level",
	   "\x10\x0d\x00\x04MQTT\x05\x02\x00\x3c\x00\x00\x00", 0,
	   "CONNECT MQTT/5"),
	OK("connect unknown level 255", "\x10\x07\x00\x04MQTT\xff", 0,
	   "CONNECT MQTT/255"),
	OK("connect MQTT with level 3 is unsupported (level 0)",
	   "\x10\x0f\x00\x04MQTT\x03\x02\x00\x3c\x00\003abc", 0,
	   "CONNECT MQTT/0"),
	OK("connect MQIsdp with level 4 is unsupported (level 0)",
	   "\x10\x11\x00\x06MQIsdp\x04\x02\x00\x3c\x00\003abc", 0,
	   "CONNECT MQIsdp/0"),
	/* CONNECT, 3.1 */
	OK("connect 3.1", "\x10\x11\x00\x06MQIsdp\x03\x02\x00\x3c\x00\003abc",
	   0, "CONNECT MQIsdp/3 clean=1 ka=60 id='abc'"),
	OK("connect 3.1 reserved flag ignored",
	   "\x10\x11\x00\x06MQIsdp\x03\x03\x00\x3c\x00\003abc", 0,
	   "CONNECT MQIsdp/3 clean=1 ka=60 id='abc'"),
	OK("connect 3.1 password without username",
	   "\x10\x15\x00\x06MQIsdp\x03\x42\x00\x3c\x00\003abc\x00\x02pw", 0,
	   "CONNECT MQIsdp/3 clean=1 ka=60 id='abc' pass='pw'"),
	OK("connect 3.1 password flag without the field",
	   "\x10\x14\x00\x06MQIsdp\x03\xc2\x00\x3c\x00\003abc\x00\x01u", 0,
	   "CONNECT MQIsdp/3 clean=1 ka=60 id='abc' user='u'"),
	BAD("connect 3.1 username flag without the field",
	    "\x10\x11\x00\x06MQIsdp\x03\x82\x00\x3c\x00\003abc", 0,
	    MQTT_ERR_TRUNCATED),
	/* CONNECT errors */
	BAD("connect bad protocol name",
	    "\x10\x0f\x00\x04MQTX\x04\x02\x00\x3c\x00\003abc", 0,
	    MQTT_ERR_BAD_PROTOCOL_NAME),
	BAD("connect lowercase protocol name",
	    "\x10\x0f\x00\x04mqtt\x04\x02\x00\x3c\x00\003abc", 0,
	    MQTT_ERR_BAD_PROTOCOL_NAME),
	BAD("connect empty protocol name", "\x10\x03\x00\x00\x04", 0,
	    MQTT_ERR_BAD_PROTOCOL_NAME),
	BAD("connect protocol name runs past the frame",
	    "\x10\x04\x00\x04MQ", 0, MQTT_ERR_TRUNCATED),
	BAD("connect without level", "\x10\x06\x00\x04MQTT", 0,
	    MQTT_ERR_TRUNCATED),
	BAD("connect fixed-header flags",
	    "\x11\x0f\x00\x04MQTT\x04\x02\x00\x3c\x00\003abc", 0,
	    MQTT_ERR_RESERVED_FLAGS),
	BAD("connect reserved flag",
	    "\x10\x0f\x00\x04MQTT\x04\x03\x00\x3c\x00\003abc", 0,
	    MQTT_ERR_BAD_CONNECT),
	BAD("connect will qos without will flag",
	    "\x10\x0f\x00\x04MQTT\x04\x0a\x00\x3c\x00\003abc", 0,
	    MQTT_ERR_BAD_CONNECT),
	BAD("connect will retain without will flag",
	    "\x10\x0f\x00\x04MQTT\x04\x22\x00\x3c\x00\003abc", 0,
	    MQTT_ERR_BAD_CONNECT),
	BAD("connect will qos 3",
	    "\x10\x0f\x00\x04MQTT\x04\x1e\x00\x3c\x00\003abc", 0,
	    MQTT_ERR_BAD_QOS),
	BAD("connect password without username",
	    "\x10\x13\x00\x04MQTT\x04\x42\x00\x3c\x00\003abc\x00\x02pw", 0,
	    MQTT_ERR_BAD_CONNECT),
	BAD("connect trailing byte",
	    "\x10\x10\x00\x04MQTT\x04\x02\x00\x3c\x00\003abc!", 0,
	    MQTT_ERR_TRAILING),
	BAD("connect client id bad utf-8",
	    "\x10\x0e\x00\x04MQTT\x04\x02\x00\x3c\x00\x02\xc0\xaf", 0,
	    MQTT_ERR_BAD_UTF8),
	BAD("connect client id with NUL",
	    "\x10\x0e\x00\x04MQTT\x04\x02\x00\x3c\x00\002a\x00", 0,
	    MQTT_ERR_BAD_UTF8),
	BAD("connect will topic with wildcard",
	    "\x10\x12\x00\x04MQTT\x04\x06\x00\x00\x00\x01x\x00\x01#\x00\x00", 0,
	    MQTT_ERR_BAD_TOPIC),
	BAD("connect empty will topic",
	    "\x10\x11\x00\x04MQTT\x04\x06\x00\x00\x00\x01x\x00\x00\x00\x00", 0,
	    MQTT_ERR_BAD_TOPIC),
	BAD("connect will without will payload",
	    "\x10\x10\x00\x04MQTT\x04\x06\x00\x00\x00\x01x\x00\x01w", 0,
	    MQTT_ERR_TRUNCATED),
	BAD("connect username bad utf-8",
	    "\x10\x11\x00\x04MQTT\x04\x80\x00\x00\x00\x01x\x00\x02\xed\xa0", 0,
	    MQTT_ERR_BAD_UTF8),
	BAD("connect username surrogate",
	    "\x10\x12\x00\x04MQTT\x04\x80\x00\x00\x00\x01x\x00\x03\xed\xa0\x80",
	    0, MQTT_ERR_BAD_UTF8),
	BAD("connect password flag without the field (3.1.1)",
	    "\x10\x0f\x00\x04MQTT\x04\xc0\x00\x00\x00\x01x\x00\x00", 0,
	    MQTT_ERR_TRUNCATED),

	/* PUBLISH */
	OK("publish qos 0", "\x30\x08\x00\003a/bhi!", 4,
	   "PUBLISH q0 'a/b' id=0 'hi!'"),
	OK("publish qos 1 dup retain", "\x3b\x09\x00\003a/b\x00\x0ahi", 4,
	   "PUBLISH q1 dup retain 'a/b' id=10 'hi'"),
	OK("publish qos 2 empty payload", "\x34\x07\x00\003a/b\x00\x01", 4,
	   "PUBLISH q2 'a/b' id=1 ''"),
	OK("publish qos 0 empty payload", "\x30\x05\x00\003a/b", 4,
	   "PUBLISH q0 'a/b' id=0 ''"),
	OK("publish $ topic, empty levels", "\x30\x07\x00\x05$a//b", 4,
	   "PUBLISH q0 '$a//b' id=0 ''"),
	OK("publish 3.1: dup on qos 0 tolerated", "\x38\x05\x00\003a/b", 3,
	   "PUBLISH q0 dup 'a/b' id=0 ''"),
	OK("publish payload is not utf-8 checked",
	   "\x30\x06\x00\x01t\x01\xc0\xff", 4,
	   "PUBLISH q0 't' id=0 '\x01\xc0\xff'"),
	BAD("publish before connect", "\x30\x05\x00\003a/b", 0,
	    MQTT_ERR_UNEXPECTED),
	BAD("publish qos 3", "\x36\x07\x00\003a/b\x00\x01", 4,
	    MQTT_ERR_BAD_QOS),
	BAD("publish qos 0 with dup", "\x38\x05\x00\003a/b", 4,
	    MQTT_ERR_RESERVED_FLAGS),
	BAD("publish qos 1 packet id 0", "\x32\x07\x00\003a/b\x00\x00", 4,
	    MQTT_ERR_ZERO_PACKET_ID),
	BAD("publish qos 2 packet id 0", "\x34\x07\x00\003a/b\x00\x00", 4,
	    MQTT_ERR_ZERO_PACKET_ID),
	BAD("publish qos 1 without packet id", "\x32\x05\x00\003a/b", 4,
	    MQTT_ERR_TRUNCATED),
	BAD("publish qos 1 half a packet id", "\x32\x06\x00\003a/b\x00", 4,
	    MQTT_ERR_TRUNCATED),
	BAD("publish topic runs past the frame", "\x30\x04\x00\005ab", 4,
	    MQTT_ERR_TRUNCATED),
	BAD("publish half a topic length", "\x30\x01\x00", 4,
	    MQTT_ERR_TRUNCATED),
	BAD("publish no topic", "\x30\x00", 4, MQTT_ERR_TRUNCATED),
	BAD("publish empty topic", "\x30\x02\x00\x00", 4, MQTT_ERR_BAD_TOPIC),
	BAD("publish topic with +", "\x30\x05\x00\003a/+", 4,
	    MQTT_ERR_BAD_TOPIC),
	BAD("publish topic #", "\x30\x03\x00\x01#", 4, MQTT_ERR_BAD_TOPIC),
	BAD("publish topic with + inside a level", "\x30\x05\x00\003a+b", 4,
	    MQTT_ERR_BAD_TOPIC),
	BAD("publish topic with NUL", "\x30\x05\x00\003a\000b", 4,
	    MQTT_ERR_BAD_UTF8),
	BAD("publish topic overlong /", "\x30\x04\x00\x02\xc0\xaf", 4,
	    MQTT_ERR_BAD_UTF8),
	BAD("publish topic overlong NUL", "\x30\x04\x00\x02\xc0\x80", 4,
	    MQTT_ERR_BAD_UTF8),
	BAD("publish topic surrogate", "\x30\x05\x00\x03\xed\xa0\x80", 4,
	    MQTT_ERR_BAD_UTF8),
	BAD("publish topic above U+10FFFF", "\x30\x06\x00\x04\xf4\x90\x80\x80",
	    4, MQTT_ERR_BAD_UTF8),
	BAD("publish topic truncated sequence", "\x30\x04\x00\x02\xe2\x82", 4,
	    MQTT_ERR_BAD_UTF8),
	BAD("publish topic lone continuation", "\x30\x03\x00\x01\x80", 4,
	    MQTT_ERR_BAD_UTF8),

	/* acknowledgements */
	OK("puback", "\x40\x02\x00\x01", 4, "ACK4 id=1"),
	OK("pubrec", "\x50\x02\x12\x34", 4, "ACK5 id=4660"),
	OK("pubrel", "\x62\x02\x00\x07", 4, "ACK6 id=7"),
	OK("pubcomp", "\x70\x02\xff\xff", 4, "ACK7 id=65535"),
	OK("pubrel 3.1 with dup", "\x6a\x02\x00\x07", 3, "ACK6 id=7"),
	BAD("pubrel 3.1.1 with dup", "\x6a\x02\x00\x07", 4,
	    MQTT_ERR_RESERVED_FLAGS),
	BAD("pubrel 3.1 with retain", "\x63\x02\x00\x07", 3,
	    MQTT_ERR_RESERVED_FLAGS),
	BAD("pubrel flags 0", "\x60\x02\x00\x01", 4, MQTT_ERR_RESERVED_FLAGS),
	BAD("pubrel flags 0 (3.1)", "\x60\x02\x00\x01", 3,
	    MQTT_ERR_RESERVED_FLAGS),
	BAD("puback flags", "\x42\x02\x00\x01", 4, MQTT_ERR_RESERVED_FLAGS),
	BAD("pubrec flags", "\x51\x02\x00\x01", 4, MQTT_ERR_RESERVED_FLAGS),
	BAD("pubcomp flags", "\x78\x02\x00\x01", 4, MQTT_ERR_RESERVED_FLAGS),
	BAD("puback id 0", "\x40\x02\x00\x00", 4, MQTT_ERR_ZERO_PACKET_ID),
	BAD("pubrec id 0", "\x50\x02\x00\x00", 4, MQTT_ERR_ZERO_PACKET_ID),
	BAD("pubrel id 0", "\x62\x02\x00\x00", 4, MQTT_ERR_ZERO_PACKET_ID),
	BAD("pubcomp id 0", "\x70\x02\x00\x00", 4, MQTT_ERR_ZERO_PACKET_ID),
	BAD("puback short", "\x40\x01\x00", 4, MQTT_ERR_TRUNCATED),
	BAD("puback empty", "\x40\x00", 4, MQTT_ERR_TRUNCATED),
	BAD("puback long", "\x40\x03\x00\x01\x00", 4, MQTT_ERR_TRAILING),
	BAD("puback before connect", "\x40\x02\x00\x01", 0,
	    MQTT_ERR_UNEXPECTED),

	/* SUBSCRIBE */
	OK("subscribe two filters", "\x82\x0c\x00\x01\x00\003a/b\x01\x00\x01#\x02",
	   4, "SUB id=1 n=2 'a/b':1 '#':2"),
	OK("subscribe 3.1 with dup", "\x8a\x06\x00\x01\x00\001a\x00", 3,
	   "SUB id=1 n=1 'a':0"),
	OK("subscribe bad filter syntax decodes (SUBACK 0x80)",
	   "\x82\x07\x00\x01\x00\002a#\x01", 4, "SUB id=1 n=1 'a#':1"),
	OK("subscribe empty filter decodes (SUBACK 0x80)",
	   "\x82\x05\x00\x09\x00\x00\x00", 4, "SUB id=9 n=1 '':0"),
	BAD("subscribe flags 0", "\x80\x06\x00\x01\x00\001a\x00", 4,
	    MQTT_ERR_RESERVED_FLAGS),
	BAD("subscribe 3.1.1 with dup", "\x8a\x06\x00\x01\x00\001a\x00", 4,
	    MQTT_ERR_RESERVED_FLAGS),
	BAD("subscribe no filters", "\x82\x02\x00\x01", 4,
	    MQTT_ERR_EMPTY_SUBSCRIBE),
	BAD("subscribe id 0", "\x82\x06\x00\x00\x00\001a\x00", 4,
	    MQTT_ERR_ZERO_PACKET_ID),
	BAD("subscribe qos 3", "\x82\x06\x00\x01\x00\001a\x03", 4,
	    MQTT_ERR_BAD_QOS),
	BAD("subscribe reserved bit 2", "\x82\x06\x00\x01\x00\001a\x04", 4,
	    MQTT_ERR_RESERVED_FLAGS),
	BAD("subscribe reserved bit 7", "\x82\x06\x00\x01\x00\001a\x81", 4,
	    MQTT_ERR_RESERVED_FLAGS),
	BAD("subscribe without qos byte", "\x82\x05\x00\x01\x00\001a", 4,
	    MQTT_ERR_TRUNCATED),
	BAD("subscribe filter runs past the frame",
	    "\x82\x07\x00\x01\x00\005ab\x00", 4, MQTT_ERR_TRUNCATED),
	BAD("subscribe half a filter length", "\x82\x03\x00\x01\x00", 4,
	    MQTT_ERR_TRUNCATED),
	BAD("subscribe filter bad utf-8", "\x82\x06\x00\x01\x00\x01\xff\x00", 4,
	    MQTT_ERR_BAD_UTF8),
	BAD("subscribe filter with NUL", "\x82\x07\x00\x01\x00\002a\x00\x00",
	    4, MQTT_ERR_BAD_UTF8),
	BAD("subscribe before connect", "\x82\x06\x00\x01\x00\001a\x00", 0,
	    MQTT_ERR_UNEXPECTED),

	/* UNSUBSCRIBE */
	OK("unsubscribe two filters", "\xa2\x08\x00\x02\x00\001a\x00\001b", 4,
	   "UNSUB id=2 n=2 'a' 'b'"),
	OK("unsubscribe 3.1 with dup", "\xaa\x05\x00\x02\x00\001a", 3,
	   "UNSUB id=2 n=1 'a'"),
	BAD("unsubscribe flags 0", "\xa0\x05\x00\x02\x00\001a", 4,
	    MQTT_ERR_RESERVED_FLAGS),
	BAD("unsubscribe no filters", "\xa2\x02\x00\x01", 4,
	    MQTT_ERR_EMPTY_SUBSCRIBE),
	BAD("unsubscribe id 0", "\xa2\x05\x00\x00\x00\001a", 4,
	    MQTT_ERR_ZERO_PACKET_ID),
	BAD("unsubscribe one stray byte", "\xa2\x06\x00\x01\x00\001a\x00", 4,
	    MQTT_ERR_TRUNCATED),
	BAD("unsubscribe filter bad utf-8", "\xa2\x05\x00\x01\x00\x01\xc1", 4,
	    MQTT_ERR_BAD_UTF8),

	/* PINGREQ, DISCONNECT */
	OK("pingreq", "\xc0\x00", 4, "PINGREQ"),
	OK("pingreq non-minimal remaining length", "\xc0\x80\x00", 4,
	   "PINGREQ"),
	OK("disconnect", "\xe0\x00", 4, "DISCONNECT"),
	BAD("pingreq flags", "\xc1\x00", 4, MQTT_ERR_RESERVED_FLAGS),
	BAD("pingreq flags (3.1)", "\xc2\x00", 3, MQTT_ERR_RESERVED_FLAGS),
	BAD("disconnect flags", "\xe2\x00", 4, MQTT_ERR_RESERVED_FLAGS),
	BAD("pingreq with a body", "\xc0\x01\x00", 4, MQTT_ERR_TRAILING),
	BAD("disconnect with a body", "\xe0\x01\x00", 4, MQTT_ERR_TRAILING),
	BAD("pingreq before connect", "\xc0\x00", 0, MQTT_ERR_UNEXPECTED),

	/* types and lengths */
	BAD("type 0", "\x00\x00", 4, MQTT_ERR_BAD_TYPE),
	BAD("type 15", "\xf0\x00", 4, MQTT_ERR_BAD_TYPE),
	BAD("connack from client", "\x20\x02\x00\x00", 4, MQTT_ERR_BAD_TYPE),
	BAD("suback from client", "\x90\x03\x00\x01\x00", 4,
	    MQTT_ERR_BAD_TYPE),
	BAD("unsuback from client", "\xb0\x02\x00\x01", 4, MQTT_ERR_BAD_TYPE),
	BAD("pingresp from client", "\xd0\x00", 4, MQTT_ERR_BAD_TYPE),
	BAD("5-byte remaining length", "\x30\xff\xff\xff\xff\x0f", 4,
	    MQTT_ERR_REMAINING_LENGTH),
	BAD("frame shorter than its remaining length", "\x30\x05\x00\003a", 4,
	    MQTT_ERR_TRUNCATED),
	BAD("frame longer than its remaining length", "\xc0\x00\x00", 4,
	    MQTT_ERR_TRAILING),
	BAD("header only partly there", "\x30\x80", 4, MQTT_ERR_TRUNCATED),
};

static void codec_frames(kt_ctx *t)
{
	char desc[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kt_frame_vecs); i++) {
		const struct kt_frame_vec *v = &kt_frame_vecs[i];
		enum mqtt_error err = MQTT_ERR_COUNT;
		struct mqtt_packet pkt;
		int ret;

		ret = mqtt_decode(v->buf, v->len, v->level, &pkt, &err);
		if (v->err) {
			KT_CHECK(t, ret == -EBADMSG && err == v->err,
				 "%s: ret %d err %s, want %s", v->name, ret,
				 err < MQTT_ERR_COUNT ? mqtt_error_names[err] : "?",
				 mqtt_error_names[v->err]);
			continue;
		}
		KT_CHECK(t, ret == 0 && err == MQTT_ERR_NONE,
			 "%s: ret %d err %s", v->name, ret,
			 err < MQTT_ERR_COUNT ? mqtt_error_names[err] : "?");
		if (ret)
			continue;
		kt_describe(&pkt, desc, sizeof(desc));
		KT_CHECK(t, !strcmp(desc, v->desc), "%s: got \"%s\" want \"%s\"",
			 v->name, desc, v->desc);
		KT_CHECK(t, pkt.remaining + 2 <= v->len, "%s: remaining %u",
			 v->name, pkt.remaining);
	}
}

/* Every prefix of a valid CONNECT, as a short buffer and as a whole frame. */
static void codec_connect_truncations(kt_ctx *t)
{
	static const u8 full[] = KT_CONNECT_FULL;
	size_t len = sizeof(full) - 1, k;
	u8 *buf = kmalloc(len, GFP_KERNEL);

	KT_CHECK(t, buf, "alloc");
	if (!buf)
		return;
	for (k = 0; k < len; k++) {
		enum mqtt_error err = MQTT_ERR_NONE;
		struct mqtt_packet pkt;
		u32 rem;
		int ret;

		/* A receive buffer holding the first k bytes. */
		ret = mqtt_decode_fixed_header(full, k, 0, &rem, &err);
		KT_CHECK(t, ret == (k < 2 ? 0 : 2), "prefix %zu: header %d",
			 k, ret);
		ret = mqtt_decode(full, k, 0, &pkt, &err);
		KT_CHECK(t, ret == -EBADMSG && err == MQTT_ERR_TRUNCATED,
			 "prefix %zu: ret %d err %s", k, ret,
			 mqtt_error_names[err]);
		/* A well-formed frame whose body is cut after k - 2 bytes. */
		if (k < 2)
			continue;
		memcpy(buf, full, k);
		buf[1] = k - 2;
		ret = mqtt_decode(buf, k, 0, &pkt, &err);
		KT_CHECK(t, ret == -EBADMSG && (err == MQTT_ERR_TRUNCATED ||
						err == MQTT_ERR_BAD_PROTOCOL_NAME),
			 "body cut at %zu: ret %d err %s", k - 2, ret,
			 mqtt_error_names[err]);
	}
	kfree(buf);
}

struct kt_utf8_vec {
	const u8 *s;
	size_t len;
	bool valid;
};

#define U8V(s, v) { KT_B(s), v }

static const struct kt_utf8_vec kt_utf8_vecs[] = {
	U8V("", true),
	U8V("abc", true),
	U8V("\x01", true),		/* U+0001: allowed ("may") */
	U8V("\x1f\x7f", true),		/* controls allowed */
	U8V("\xc2\x80", true),		/* U+0080 */
	U8V("\xc2\x9f", true),		/* U+009F */
	U8V("\xdf\xbf", true),		/* U+07FF */
	U8V("\xe0\xa0\x80", true),	/* U+0800 */
	U8V("\xed\x9f\xbf", true),	/* U+D7FF */
	U8V("\xee\x80\x80", true),	/* U+E000 */
	U8V("\xef\xb7\x90", true),	/* U+FDD0 noncharacter */
	U8V("\xef\xbf\xbe", true),	/* U+FFFE noncharacter */
	U8V("\xef\xbf\xbf", true),	/* U+FFFF noncharacter */
	U8V("\xef\xbb\xbf", true),	/* U+FEFF BOM */
	U8V("\xf0\x90\x80\x80", true),	/* U+10000 */
	U8V("\xf0\x9f\xbf\xbe", true),	/* U+1FFFE */
	U8V("\xf4\x8f\xbf\xbf", true),	/* U+10FFFF */
	U8V("a\xc3\xa9z", true),
	U8V("\x00", false),		/* U+0000 */
	U8V("a\x00", false),
	U8V("\xc0\x80", false),		/* overlong U+0000 */
	U8V("\xc0\xaf", false),		/* overlong '/' */
	U8V("\xc1\xbf", false),		/* overlong U+007F */
	U8V("\xe0\x80\x80", false),	/* overlong U+0000 */
	U8V("\xe0\x9f\xbf", false),	/* overlong U+07FF */
	U8V("\xf0\x80\x80\x80", false),	/* overlong U+0000 */
	U8V("\xf0\x8f\xbf\xbf", false),	/* overlong U+FFFF */
	U8V("\xed\xa0\x80", false),	/* U+D800 */
	U8V("\xed\xbf\xbf", false),	/* U+DFFF */
	U8V("\xed\xb0\x80", false),	/* U+DC00 */
	U8V("\xf4\x90\x80\x80", false),	/* U+110000 */
	U8V("\xf5\x80\x80\x80", false),
	U8V("\xf8\x88\x80\x80\x80", false),
	U8V("\xfe", false),
	U8V("\xff", false),
	U8V("\x80", false),		/* lone continuation */
	U8V("\xbf", false),
	U8V("\xc2", false),		/* truncated */
	U8V("\xe2\x82", false),
	U8V("\xf0\x9f\x98", false),
	U8V("\xc2\x41", false),		/* bad continuation */
	U8V("\xe2\x28\xa1", false),
	U8V("\xf0\x9f\x98\x28", false),
};

static void codec_utf8(kt_ctx *t)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(kt_utf8_vecs); i++) {
		const struct kt_utf8_vec *v = &kt_utf8_vecs[i];

		KT_CHECK(t, mqtt_utf8_valid(v->s, v->len) == v->valid,
			 "utf8 vector %zu (len %zu) should be %s", i, v->len,
			 v->valid ? "valid" : "invalid");
	}
}

static void codec_remaining_length(kt_ctx *t)
{
	static const struct {
		u32 n;
		unsigned int size;
		u8 bytes[4];
	} v[] = {
		{ 0, 1, { 0x00 } },
		{ 127, 1, { 0x7f } },
		{ 128, 2, { 0x80, 0x01 } },
		{ 321, 2, { 0xc1, 0x02 } },
		{ 16383, 2, { 0xff, 0x7f } },
		{ 16384, 3, { 0x80, 0x80, 0x01 } },
		{ 2097151, 3, { 0xff, 0xff, 0x7f } },
		{ 2097152, 4, { 0x80, 0x80, 0x80, 0x01 } },
		{ 268435455, 4, { 0xff, 0xff, 0xff, 0x7f } },
		{ 268435456, 0, { 0 } },
		{ 0xffffffff, 0, { 0 } },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		u8 buf[8] = { 0 };
		unsigned int size = mqtt_remaining_length_size(v[i].n);

		KT_CHECK(t, size == v[i].size, "size(%u) = %u", v[i].n, size);
		if (!v[i].size)
			continue;
		size = mqtt_encode_remaining_length(buf, v[i].n);
		KT_CHECK(t, size == v[i].size && !memcmp(buf, v[i].bytes, size),
			 "encode(%u)", v[i].n);
	}
}

static void codec_encoders(kt_ctx *t)
{
	u8 buf[512];
	u8 codes[200];
	unsigned int n;

#define EXPECT_BYTES(what, want)					\
	KT_CHECK(t, n == sizeof(want) - 1 && !memcmp(buf, want, n),	\
		 "%s: %u bytes", what, n)

	n = mqtt_encode_connack(buf, false, MQTT_CONNACK_ACCEPTED);
	EXPECT_BYTES("connack", "\x20\x02\x00\x00");
	n = mqtt_encode_connack(buf, true, MQTT_CONNACK_ACCEPTED);
	EXPECT_BYTES("connack session present", "\x20\x02\x01\x00");
	n = mqtt_encode_connack(buf, false, MQTT_CONNACK_BAD_PROTOCOL);
	EXPECT_BYTES("connack 1", "\x20\x02\x00\x01");
	n = mqtt_encode_connack(buf, false, MQTT_CONNACK_NOT_AUTHORIZED);
	EXPECT_BYTES("connack 5", "\x20\x02\x00\x05");
	n = mqtt_encode_ack(buf, MQTT_PUBACK, 0x1234);
	EXPECT_BYTES("puback", "\x40\x02\x12\x34");
	n = mqtt_encode_ack(buf, MQTT_PUBREC, 1);
	EXPECT_BYTES("pubrec", "\x50\x02\x00\x01");
	n = mqtt_encode_ack(buf, MQTT_PUBREL, 0xffff);
	EXPECT_BYTES("pubrel", "\x62\x02\xff\xff");
	n = mqtt_encode_ack(buf, MQTT_PUBCOMP, 2);
	EXPECT_BYTES("pubcomp", "\x70\x02\x00\x02");
	n = mqtt_encode_ack(buf, MQTT_UNSUBACK, 3);
	EXPECT_BYTES("unsuback", "\xb0\x02\x00\x03");
	n = mqtt_encode_pingresp(buf);
	EXPECT_BYTES("pingresp", "\xd0\x00");
	memcpy(codes, "\x00\x01\x02\x80", 4);
	n = mqtt_encode_suback(buf, 7, codes, 4);
	EXPECT_BYTES("suback", "\x90\x06\x00\x07\x00\x01\x02\x80");
	memset(codes, 1, sizeof(codes));
	n = mqtt_encode_suback(buf, 0x0102, codes, 200);
	KT_CHECK(t, n == 205 && !memcmp(buf, "\x90\xca\x01\x01\x02", 5) &&
		 buf[204] == 1, "suback 200: %u bytes", n);
	n = mqtt_encode_publish_header(buf, 0, false, true, 3, 2);
	EXPECT_BYTES("publish q0 retain", "\x31\x07\x00\x03");
	n = mqtt_encode_publish_header(buf, 1, true, false, 3, 0);
	EXPECT_BYTES("publish q1 dup", "\x3a\x07\x00\x03");
	n = mqtt_encode_publish_header(buf, 2, false, false, 1, 200);
	EXPECT_BYTES("publish q2 2-byte rl", "\x34\xcd\x01\x00\x01");
	n = mqtt_encode_publish_header(buf, 0, false, false, 0x101, 0);
	EXPECT_BYTES("publish long topic", "\x30\x83\x02\x01\x01");
	n = mqtt_encode_publish_header(buf, 1, false, false, 10,
				       MQTT_MAX_REMAINING - 14);
	KT_CHECK(t, n == 7 && !memcmp(buf, "\x32\xff\xff\xff\x7f\x00\x0a", 7),
		 "publish at the largest remaining length: %u", n);
	n = mqtt_encode_publish_header(buf, 1, false, false, 10,
				       MQTT_MAX_REMAINING - 13);
	KT_CHECK(t, n == 0, "publish one byte too large: %u", n);
	n = mqtt_encode_publish_header(buf, 2, false, false, 0xffff,
				       0xffffffff);
	KT_CHECK(t, n == 0, "publish 4 GiB payload: %u", n);
#undef EXPECT_BYTES
}

/* Encode PUBLISH frames as the broker sends them and decode them back. */
static void codec_publish_round_trip(kt_ctx *t)
{
	static const u8 topic[] = "sensors/\xc3\xa9t\xc3\xa9/temp";
	size_t tlen = sizeof(topic) - 1;
	static const u32 sizes[] = { 0, 1, 100, 127, 128, 16383, 16384, 70000 };
	size_t bufsize = MQTT_PUBLISH_HEADER_MAX + tlen + 2 + 70000;
	u8 *buf = kmalloc(bufsize, GFP_KERNEL);
	size_t i;
	u8 qos;

	KT_CHECK(t, buf, "alloc");
	if (!buf)
		return;
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		for (qos = 0; qos < 3; qos++) {
			enum mqtt_error err;
			struct mqtt_packet pkt;
			unsigned int n;
			size_t len;
			u32 rem;
			bool dup = qos && (i & 1);
			int ret;

			n = mqtt_encode_publish_header(buf, qos, dup, i & 2,
						       tlen, sizes[i]);
			memcpy(buf + n, topic, tlen);
			len = n + tlen;
			if (qos) {
				put_unaligned_be16(0x100 + i, buf + len);
				len += 2;
			}
			memset(buf + len, 'x', sizes[i]);
			len += sizes[i];
			ret = mqtt_decode_fixed_header(buf, len, 0, &rem, &err);
			KT_CHECK(t, ret > 0 && ret + rem == len,
				 "size %u qos %u: header %d rl %u", sizes[i],
				 qos, ret, rem);
			ret = mqtt_decode(buf, len, MQTT_LEVEL_311, &pkt, &err);
			KT_CHECK(t, ret == 0, "size %u qos %u: decode %s",
				 sizes[i], qos, mqtt_error_names[err]);
			if (ret)
				continue;
			KT_CHECK(t, pkt.type == MQTT_PUBLISH &&
				 pkt.publish.qos == qos &&
				 pkt.publish.dup == dup &&
				 pkt.publish.retain == !!(i & 2) &&
				 pkt.publish.topic.len == tlen &&
				 !memcmp(pkt.publish.topic.data, topic, tlen) &&
				 pkt.publish.packet_id == (qos ? 0x100 + i : 0) &&
				 pkt.publish.payload_len == sizes[i],
				 "size %u qos %u: fields", sizes[i], qos);
		}
	}
	kfree(buf);
}

/* A SUBSCRIBE with the most filters a u16 count allows, and one more. */
static void codec_subscribe_count_limit(kt_ctx *t)
{
	size_t n = 65536, len = 5 + 4 + 3 * n;
	u8 *buf = kvmalloc(len, GFP_KERNEL);
	enum mqtt_error err;
	struct mqtt_packet pkt;
	unsigned int hl;
	size_t i;
	int ret;

	KT_CHECK(t, buf, "alloc");
	if (!buf)
		return;
	for (i = 0; i < 2; i++) {
		size_t count = i ? n : n - 1, body = 2 + 3 * count;

		buf[0] = 0x82;
		hl = 1 + mqtt_encode_remaining_length(buf + 1, body);
		put_unaligned_be16(1, buf + hl);
		memset(buf + hl + 2, 0, 3 * count);	/* '' at QoS 0 */
		ret = mqtt_decode(buf, hl + body, 4, &pkt, &err);
		if (i)
			KT_CHECK(t, ret == -EBADMSG && err == MQTT_ERR_TOO_LARGE,
				 "65536 filters: ret %d", ret);
		else
			KT_CHECK(t, ret == 0 && pkt.filters.count == 65535,
				 "65535 filters: ret %d count %u", ret,
				 pkt.filters.count);
	}
	kvfree(buf);
}

static void codec_error_names(kt_ctx *t)
{
	int i;

	for (i = 0; i < MQTT_ERR_COUNT; i++)
		KT_CHECK(t, mqtt_error_names[i] && mqtt_error_names[i][0],
			 "name of error %d", i);
}

static const struct kt_case codec_cases[] = {
	KT_CASE(codec_fixed_header),
	KT_CASE(codec_frames),
	KT_CASE(codec_connect_truncations),
	KT_CASE(codec_utf8),
	KT_CASE(codec_remaining_length),
	KT_CASE(codec_encoders),
	KT_CASE(codec_publish_round_trip),
	KT_CASE(codec_subscribe_count_limit),
	KT_CASE(codec_error_names),
};

#undef FH
#undef OK
#undef BAD
#undef U8V

#endif /* KMQTT_CODEC_CASES_H */
