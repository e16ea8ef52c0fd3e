// SPDX-License-Identifier: GPL-2.0
/*
 * mqttctl listener | limit | client | retained | stats
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "mqttctl.h"

#define LIM(n, a, t, lo, hi, sz, unl, h) \
	{ n, KMQTT_LIMIT_A_##a, t, lo, hi, sz, unl, h }

/* The order of `limit show` and `mqttctl show`. */
const struct limit_key limit_keys[] = {
	LIM("max-connections", MAX_CONNECTIONS, LT_U32, 0, UINT32_MAX, false,
	    true, "network connections (0 = unlimited)"),
	LIM("max-sessions", MAX_SESSIONS, LT_U32, 0, UINT32_MAX, false, true,
	    "connected + persistent sessions (0 = unlimited)"),
	LIM("max-packet-size", MAX_PACKET_SIZE, LT_U32,
	    KMQTT_MAX_PACKET_SIZE_MIN, KMQTT_MAX_PACKET_SIZE_MAX, true, false,
	    "largest MQTT frame accepted, bytes"),
	LIM("max-inflight", MAX_INFLIGHT, LT_U16, 1, 65535, false, false,
	    "QoS 1/2 messages in flight to one client"),
	LIM("max-queued", MAX_QUEUED_MSGS, LT_U32, 1, UINT32_MAX, false, false,
	    "messages queued per session"),
	LIM("max-queued-bytes", MAX_QUEUED_BYTES, LT_U64, 0, UINT64_MAX, true,
	    true, "bytes queued per session (0 = unlimited)"),
	LIM("max-subscriptions", MAX_SUBSCRIPTIONS, LT_U32, 1, UINT32_MAX, false,
	    false, "subscriptions per session"),
	LIM("max-topic-levels", MAX_TOPIC_LEVELS, LT_U32, 1,
	    KMQTT_MAX_TOPIC_LEVELS_MAX, false, false, "levels in a topic"),
	LIM("retained-max", RETAINED_MAX_COUNT, LT_U32, 0, UINT32_MAX, false,
	    true, "retained messages (0 = unlimited)"),
	LIM("retained-max-payload", RETAINED_MAX_MSG_BYTES, LT_U32, 0,
	    UINT32_MAX, true, true,
	    "payload bytes of one retained message (0 = unlimited)"),
	LIM("retained-max-bytes", RETAINED_MAX_BYTES, LT_U64, 0, UINT64_MAX,
	    true, true, "bytes of the whole retained store (0 = unlimited)"),
	LIM("max-keepalive", MAX_KEEPALIVE, LT_U16, KMQTT_MAX_KEEPALIVE_MIN,
	    65535, false, false, "keep-alive ceiling, seconds"),
	LIM("connect-timeout", CONNECT_TIMEOUT, LT_U16, 1,
	    KMQTT_CONNECT_TIMEOUT_MAX, false, false,
	    "seconds a new connection has to send CONNECT"),
	LIM("allow-anonymous", ALLOW_ANONYMOUS, LT_U8_BOOL, 0, 1, false, false,
	    "clients without a username (true/false)"),
	LIM("sys-interval", SYS_INTERVAL, LT_U16, 0, 65535, false, false,
	    "seconds between $SYS updates (0 = none)"),
};

const size_t n_limit_keys = sizeof(limit_keys) / sizeof(limit_keys[0]);

const struct limit_key *limit_find(const char *name)
{
	size_t i;

	for (i = 0; i < n_limit_keys; i++)
		if (!strcmp(limit_keys[i].name, name))
			return &limit_keys[i];
	return NULL;
}

int limit_put(struct nl_msg *msg, const struct limit_key *k,
	      const char *value, char *errbuf, size_t errsize)
{
	uint64_t v;
	int r;

	if (k->type == LT_U8_BOOL) {
		if (!strcmp(value, "true") || !strcmp(value, "yes") ||
		    !strcmp(value, "on") || !strcmp(value, "1"))
			v = 1;
		else if (!strcmp(value, "false") || !strcmp(value, "no") ||
			 !strcmp(value, "off") || !strcmp(value, "0"))
			v = 0;
		else
			goto bad;
	} else if (k->zero_unlimited && !strcmp(value, "unlimited")) {
		v = 0;
	} else {
		r = parse_u64(value, k->size, &v);
		if (r == -ERANGE || (!r && (v < k->min || v > k->max))) {
			snprintf(errbuf, errsize,
				 "%s: %s out of range (%" PRIu64 "..%" PRIu64 ")",
				 k->name, value, k->min, k->max);
			return -ERANGE;
		}
		if (r)
			goto bad;
	}
	switch (k->type) {
	case LT_U8_BOOL:
		r = nla_put_u8(msg, k->attr, (uint8_t)v);
		break;
	case LT_U16:
		r = nla_put_u16(msg, k->attr, (uint16_t)v);
		break;
	case LT_U32:
		r = nla_put_u32(msg, k->attr, (uint32_t)v);
		break;
	default:
		r = nla_put_u64(msg, k->attr, v);
	}
	if (r) {
		snprintf(errbuf, errsize, "message too large");
		return -ENOSPC;
	}
	return 0;
bad:
	snprintf(errbuf, errsize, "%s: bad value '%s' (%s)", k->name, value,
		 k->type == LT_U8_BOOL ? "true or false" :
		 k->size ? "a number, k/m/g suffixes allowed" : "a number");
	return -EINVAL;
}

void limit_format(const struct limit_key *k, uint64_t v, char *buf,
		  size_t size)
{
	if (k->type == LT_U8_BOOL)
		snprintf(buf, size, "%s", v ? "true" : "false");
	else
		snprintf(buf, size, "%" PRIu64, v);
}

static int limits_reply(struct nlattr **tb, void *arg)
{
	struct nlattr *lt[KMQTT_LIMIT_A_MAX + 1];
	uint64_t *values = arg;
	size_t i;

	if (!ctl_parse_nested(lt, KMQTT_LIMIT_A_MAX, tb[KMQTT_A_LIMITS]))
		return 0;
	for (i = 0; i < n_limit_keys; i++) {
		struct nlattr *a = lt[limit_keys[i].attr];

		switch (limit_keys[i].type) {
		case LT_U8_BOOL:
			values[i] = ctl_u8(a);
			break;
		case LT_U16:
			values[i] = ctl_u16(a);
			break;
		case LT_U32:
			values[i] = ctl_u32(a);
			break;
		default:
			values[i] = ctl_u64(a);
		}
	}
	return 0;
}

void limits_get(uint64_t *values)
{
	memset(values, 0, n_limit_keys * sizeof(*values));
	ctl_send_or_die(ctl_msg(KMQTT_CMD_LIMIT_GET, 0, 0), limits_reply,
			values, "limit show");
}

/* ---- listener ---- */

static int listener_reply(struct nlattr **tb, void *arg)
{
	int *n = arg;
	struct ctl_addr a;
	uint64_t accepted;
	char buf[64];

	if (!get_listener(tb[KMQTT_A_LISTENER], &a, &accepted))
		return 0;
	format_addr(&a, buf, sizeof(buf));
	if (opt_json) {
		printf("%s{\"family\":\"%s\",\"address\":", (*n)++ ? "," : "",
		       a.family == AF_INET6 ? "inet6" : "inet");
		json_str(stdout, buf);
		printf(",\"port\":%u,\"accepted\":%" PRIu64 "}", a.port,
		       accepted);
	} else {
		if (!(*n)++)
			printf("%-40s %5s %10s\n", "ADDRESS", "PORT", "ACCEPTED");
		printf("%-40s %5u %10" PRIu64 "\n", buf, a.port, accepted);
	}
	return 0;
}

static void listener_usage(void)
{
	puts("usage: mqttctl listener add ADDRESS PORT\n"
	     "       mqttctl listener del ADDRESS PORT\n"
	     "       mqttctl [-j] listener list\n"
	     "ADDRESS is an IPv4 or IPv6 address (0.0.0.0 and :: for all).\n"
	     "Removing a listener closes the connections it accepted.");
}

int cmd_listener(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "list";
	struct nl_msg *msg;
	struct ctl_addr a;
	char what[128];
	int n = 0;

	if (is_help(sub)) {
		listener_usage();
		return 0;
	}
	if (!strcmp(sub, "list") || !strcmp(sub, "show")) {
		if (argc > 2)
			usage_error("listener list takes no arguments");
		msg = ctl_msg(KMQTT_CMD_LISTENER_GET, NLM_F_DUMP, 0);
		if (opt_json)
			putchar('[');
		ctl_send_or_die(msg, listener_reply, &n, "listener list");
		if (opt_json)
			puts("]");
		return 0;
	}
	if (strcmp(sub, "add") && strcmp(sub, "del"))
		usage_error("unknown listener command '%s'", sub);
	if (argc != 4)
		usage_error("listener %s needs ADDRESS PORT", sub);
	if (parse_addr(argv[2], &a))
		usage_error("bad address '%s'", argv[2]);
	if (parse_port(argv[3], &a.port))
		usage_error("bad port '%s' (1..65535)", argv[3]);
	msg = ctl_msg(!strcmp(sub, "add") ? KMQTT_CMD_LISTENER_ADD :
		      KMQTT_CMD_LISTENER_DEL, 0, 0);
	if (put_listener(msg, KMQTT_A_LISTENER, &a))
		die("out of memory");
	snprintf(what, sizeof(what), "listener %s %s %s", sub, argv[2],
		 argv[3]);
	ctl_send_or_die(msg, NULL, NULL, what);
	return 0;
}

/* ---- limit ---- */

static void limit_usage(void)
{
	size_t i;

	puts("usage: mqttctl limit set KEY VALUE [KEY VALUE...]\n"
	     "       mqttctl [-j] limit show\n"
	     "Changes apply at once, to connected clients too. Keys:");
	for (i = 0; i < n_limit_keys; i++)
		printf("  %-22s %s\n", limit_keys[i].name, limit_keys[i].help);
}

int cmd_limit(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "show";
	uint64_t values[32];
	char err[256], buf[32];
	struct nlattr *nest;
	struct nl_msg *msg;
	size_t i;
	int a;

	if (is_help(sub)) {
		limit_usage();
		return 0;
	}
	if (!strcmp(sub, "show") || !strcmp(sub, "list") ||
	    !strcmp(sub, "get")) {
		limits_get(values);
		if (opt_json)
			putchar('{');
		for (i = 0; i < n_limit_keys; i++) {
			limit_format(&limit_keys[i], values[i], buf,
				     sizeof(buf));
			if (opt_json)
				printf("%s\"%s\":%s", i ? "," : "",
				       limit_keys[i].name, buf);
			else
				printf("%s %s\n", limit_keys[i].name, buf);
		}
		if (opt_json)
			puts("}");
		return 0;
	}
	if (strcmp(sub, "set"))
		usage_error("unknown limit command '%s'", sub);
	if (argc < 4 || (argc - 2) % 2)
		usage_error("limit set needs KEY VALUE pairs");
	msg = ctl_msg(KMQTT_CMD_LIMIT_SET, 0, 0);
	nest = ctl_nest(msg, KMQTT_A_LIMITS);
	for (a = 2; a < argc; a += 2) {
		const struct limit_key *k = limit_find(argv[a]);

		if (!k)
			die("unknown limit key '%s' (mqttctl limit help lists them)",
			    argv[a]);
		if (limit_put(msg, k, argv[a + 1], err, sizeof(err)))
			die("limit set: %s", err);
	}
	ctl_nest_end(msg, nest);
	ctl_send_or_die(msg, NULL, NULL, "limit set");
	return 0;
}

/* ---- client ---- */

static int client_reply(struct nlattr **tb, void *arg)
{
	struct nlattr *c[KMQTT_CLIENT_A_MAX + 1];
	int *n = arg;
	bool connected;
	char state[32];

	if (!ctl_parse_nested(c, KMQTT_CLIENT_A_MAX, tb[KMQTT_A_CLIENT]))
		return 0;
	connected = ctl_u8(c[KMQTT_CLIENT_A_CONNECTED]);
	if (opt_json) {
		printf("%s{\"id\":", (*n)++ ? "," : "");
		json_str(stdout, ctl_str(c[KMQTT_CLIENT_A_ID]));
		printf(",\"username\":");
		if (c[KMQTT_CLIENT_A_USERNAME])
			json_str(stdout, ctl_str(c[KMQTT_CLIENT_A_USERNAME]));
		else
			printf("null");
		printf(",\"peer\":");
		if (c[KMQTT_CLIENT_A_PEER])
			json_str(stdout, ctl_str(c[KMQTT_CLIENT_A_PEER]));
		else
			printf("null");
		printf(",\"connected\":%s,\"clean_session\":%s,"
		       "\"protocol_level\":%u,\"keepalive\":%u,"
		       "\"subscriptions\":%u,\"queued\":%u,\"inflight\":%u,"
		       "\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64 ","
		       "\"msgs_in\":%" PRIu64 ",\"msgs_out\":%" PRIu64 ","
		       "\"connected_for\":%" PRIu64 "}",
		       connected ? "true" : "false",
		       ctl_u8(c[KMQTT_CLIENT_A_CLEAN_SESSION]) ? "true" : "false",
		       ctl_u8(c[KMQTT_CLIENT_A_PROTOCOL_LEVEL]),
		       ctl_u16(c[KMQTT_CLIENT_A_KEEPALIVE]),
		       ctl_u32(c[KMQTT_CLIENT_A_SUBSCRIPTIONS]),
		       ctl_u32(c[KMQTT_CLIENT_A_QUEUED]),
		       ctl_u32(c[KMQTT_CLIENT_A_INFLIGHT]),
		       ctl_u64(c[KMQTT_CLIENT_A_BYTES_IN]),
		       ctl_u64(c[KMQTT_CLIENT_A_BYTES_OUT]),
		       ctl_u64(c[KMQTT_CLIENT_A_MSGS_IN]),
		       ctl_u64(c[KMQTT_CLIENT_A_MSGS_OUT]),
		       ctl_u64(c[KMQTT_CLIENT_A_CONNECTED_FOR]));
		return 0;
	}
	if (!(*n)++)
		printf("%-24s %-22s %-12s %-5s %5s %5s %6s %5s %8s %8s %10s %10s %s\n",
		       "CLIENT-ID", "PEER", "USER", "PROTO", "KA", "SUBS",
		       "QUEUED", "INFL", "MSGS-IN", "MSGS-OUT", "BYTES-IN",
		       "BYTES-OUT", "STATE");
	if (connected)
		snprintf(state, sizeof(state), "up %" PRIu64 "s",
			 ctl_u64(c[KMQTT_CLIENT_A_CONNECTED_FOR]));
	else
		snprintf(state, sizeof(state), "offline");
	printf("%-24s %-22s %-12s %-5s %5u %5u %6u %5u %8" PRIu64 " %8" PRIu64
	       " %10" PRIu64 " %10" PRIu64 " %s\n",
	       ctl_str(c[KMQTT_CLIENT_A_ID]),
	       c[KMQTT_CLIENT_A_PEER] ? ctl_str(c[KMQTT_CLIENT_A_PEER]) : "-",
	       c[KMQTT_CLIENT_A_USERNAME] ?
	       ctl_str(c[KMQTT_CLIENT_A_USERNAME]) : "-",
	       ctl_u8(c[KMQTT_CLIENT_A_PROTOCOL_LEVEL]) == 3 ? "3.1" : "3.1.1",
	       ctl_u16(c[KMQTT_CLIENT_A_KEEPALIVE]),
	       ctl_u32(c[KMQTT_CLIENT_A_SUBSCRIPTIONS]),
	       ctl_u32(c[KMQTT_CLIENT_A_QUEUED]),
	       ctl_u32(c[KMQTT_CLIENT_A_INFLIGHT]),
	       ctl_u64(c[KMQTT_CLIENT_A_MSGS_IN]),
	       ctl_u64(c[KMQTT_CLIENT_A_MSGS_OUT]),
	       ctl_u64(c[KMQTT_CLIENT_A_BYTES_IN]),
	       ctl_u64(c[KMQTT_CLIENT_A_BYTES_OUT]), state);
	return 0;
}

static void client_usage(void)
{
	puts("usage: mqttctl [-j] client list\n"
	     "       mqttctl client kick CLIENT-ID   (disconnect; the will is sent)\n"
	     "       mqttctl client del CLIENT-ID    (also discard its session)");
}

int cmd_client(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "list";
	struct nl_msg *msg;
	char what[400];
	int n = 0;

	if (is_help(sub)) {
		client_usage();
		return 0;
	}
	if (!strcmp(sub, "list") || !strcmp(sub, "show")) {
		if (argc > 2)
			usage_error("client list takes no arguments");
		msg = ctl_msg(KMQTT_CMD_CLIENT_GET, NLM_F_DUMP, 0);
		if (opt_json)
			putchar('[');
		ctl_send_or_die(msg, client_reply, &n, "client list");
		if (opt_json)
			puts("]");
		return 0;
	}
	if (strcmp(sub, "kick") && strcmp(sub, "del"))
		usage_error("unknown client command '%s'", sub);
	if (argc != 3)
		usage_error("client %s needs CLIENT-ID", sub);
	if (strlen(argv[2]) > KMQTT_CLIENT_ID_MAX)
		die("client id longer than %d bytes", KMQTT_CLIENT_ID_MAX);
	msg = ctl_msg(!strcmp(sub, "kick") ? KMQTT_CMD_CLIENT_KICK :
		      KMQTT_CMD_CLIENT_DEL, 0, 0);
	nla_put_string(msg, KMQTT_A_CLIENT_ID, argv[2]);
	snprintf(what, sizeof(what), "client %s %s", sub, argv[2]);
	ctl_send_or_die(msg, NULL, NULL, what);
	return 0;
}

/* ---- retained ---- */

static void print_preview(const unsigned char *p, size_t n, size_t max)
{
	size_t i;

	for (i = 0; i < n && i < max; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			putchar(p[i]);
		else
			printf("\\x%02x", p[i]);
	}
	if (n > max)
		printf("...");
}

static int retained_reply(struct nlattr **tb, void *arg)
{
	struct nlattr *r[KMQTT_RETAINED_A_MAX + 1];
	struct nlattr *pl;
	uint32_t plen, tlen;
	const char *topic;
	int *n = arg;

	if (!ctl_parse_nested(r, KMQTT_RETAINED_A_MAX, tb[KMQTT_A_RETAINED]))
		return 0;
	topic = ctl_str(r[KMQTT_RETAINED_A_TOPIC]);
	tlen = ctl_u32(r[KMQTT_RETAINED_A_TOPIC_LEN]);
	plen = ctl_u32(r[KMQTT_RETAINED_A_PAYLOAD_LEN]);
	pl = r[KMQTT_RETAINED_A_PAYLOAD];
	if (opt_json) {
		printf("%s{\"topic\":", (*n)++ ? "," : "");
		json_str(stdout, topic);
		printf(",\"topic_truncated\":%s,\"qos\":%u,\"payload_len\":%u,"
		       "\"age\":%" PRIu64 ",\"payload\":",
		       tlen > strlen(topic) ? "true" : "false",
		       ctl_u8(r[KMQTT_RETAINED_A_QOS]), plen,
		       ctl_u64(r[KMQTT_RETAINED_A_AGE]));
		json_bytes(stdout, pl ? nla_data(pl) : "", pl ? nla_len(pl) : 0);
		printf(",\"payload_base64\":");
		json_base64(stdout, pl ? nla_data(pl) : "", pl ? nla_len(pl) : 0);
		printf(",\"payload_truncated\":%s}",
		       pl && (uint32_t)nla_len(pl) < plen ? "true" : "false");
		return 0;
	}
	if (!(*n)++)
		printf("%-40s %3s %8s %8s %s\n", "TOPIC", "QOS", "BYTES", "AGE",
		       "PAYLOAD");
	printf("%-40s %3u %8u %7" PRIu64 "s ", topic,
	       ctl_u8(r[KMQTT_RETAINED_A_QOS]), plen,
	       ctl_u64(r[KMQTT_RETAINED_A_AGE]));
	if (pl)
		print_preview(nla_data(pl), plen, 48 < nla_len(pl) ? 48 :
			      (size_t)nla_len(pl));
	putchar('\n');
	return 0;
}

static void retained_usage(void)
{
	puts("usage: mqttctl [-j] retained list [FILTER]   (default '#')\n"
	     "       mqttctl retained del TOPIC|FILTER\n"
	     "A FILTER with + or # deletes every retained message it matches.");
}

static int retained_del_reply(struct nlattr **tb, void *arg)
{
	*(uint32_t *)arg = ctl_u32(tb[KMQTT_A_COUNT]);
	return 0;
}

int cmd_retained(int argc, char **argv)
{
	const char *sub = argc > 1 ? argv[1] : "list";
	struct nl_msg *msg;
	uint32_t count = 0;
	char what[300];
	int n = 0;

	if (is_help(sub)) {
		retained_usage();
		return 0;
	}
	if (!strcmp(sub, "list") || !strcmp(sub, "show")) {
		if (argc > 3)
			usage_error("retained list takes one FILTER");
		msg = ctl_msg(KMQTT_CMD_RETAINED_GET, NLM_F_DUMP, 0);
		if (argc == 3)
			nla_put_string(msg, KMQTT_A_FILTER, argv[2]);
		if (opt_json)
			putchar('[');
		ctl_send_or_die(msg, retained_reply, &n, "retained list");
		if (opt_json)
			puts("]");
		return 0;
	}
	if (strcmp(sub, "del"))
		usage_error("unknown retained command '%s'", sub);
	if (argc != 3)
		usage_error("retained del needs TOPIC or FILTER");
	if (strlen(argv[2]) > KMQTT_TOPIC_MAX)
		die("topic too long");
	msg = ctl_msg(KMQTT_CMD_RETAINED_DEL, 0, 0);
	nla_put_string(msg, strpbrk(argv[2], "+#") ? KMQTT_A_FILTER :
		       KMQTT_A_TOPIC, argv[2]);
	snprintf(what, sizeof(what), "retained del %.200s", argv[2]);
	ctl_send_or_die(msg, retained_del_reply, &count, what);
	if (opt_json)
		printf("{\"deleted\":%u}\n", count);
	else
		printf("deleted %u\n", count);
	return 0;
}

/* ---- stats ---- */

static int stats_reply(struct nlattr **tb, void *arg)
{
	struct nlattr *c[KMQTT_COUNTER_A_MAX + 1];
	struct nlattr *e;
	int rem, n = 0;

	if (opt_json) {
		printf("{\"version\":");
		json_str(stdout, ctl_str(tb[KMQTT_A_VERSION]));
	}
	if (tb[KMQTT_A_STATS]) {
		nla_for_each_nested(e, tb[KMQTT_A_STATS], rem) {
			if (!ctl_parse_nested(c, KMQTT_COUNTER_A_MAX, e))
				continue;
			if (opt_json) {
				putchar(',');
				json_str(stdout,
					 ctl_str(c[KMQTT_COUNTER_A_NAME]));
				printf(":%" PRIu64,
				       ctl_u64(c[KMQTT_COUNTER_A_VALUE]));
			} else {
				printf("%s %" PRIu64 "\n",
				       ctl_str(c[KMQTT_COUNTER_A_NAME]),
				       ctl_u64(c[KMQTT_COUNTER_A_VALUE]));
			}
			n++;
		}
	}
	if (opt_json)
		puts("}");
	*(int *)arg = n;
	return 0;
}

int cmd_stats(int argc, char **argv)
{
	int n = 0;

	if (argc > 1 && is_help(argv[1])) {
		puts("usage: mqttctl [-j] stats\n"
		     "Every counter and gauge of this namespace's broker, as in /proc/net/kmqtt/stats.");
		return 0;
	}
	if (argc > 2 || (argc == 2 && strcmp(argv[1], "show")))
		usage_error("stats takes no arguments");
	ctl_send_or_die(ctl_msg(KMQTT_CMD_STATS_GET, 0, 0), stats_reply, &n,
			"stats");
	return 0;
}
