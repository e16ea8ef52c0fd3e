// SPDX-License-Identifier: GPL-2.0
/*
 * Protocol features exercised by a real third-party client: the Eclipse Paho
 * MQTT C client (libpaho-mqtt3c, synchronous MQTTClient API, as Debian
 * ships it).  In-memory persistence only: the guest's file system is
 * read-only.
 */
#include <MQTTClient.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kst.h"

static void server_uri(char *buf, size_t n)
{
	if (strchr(mq_host(), ':'))
		snprintf(buf, n, "tcp://[%s]:%d", mq_host(), mq_port());
	else
		snprintf(buf, n, "tcp://%s:%d", mq_host(), mq_port());
}

struct pc_opts {
	const char *id;
	int clean;
	int keepalive;
	int version;	/* MQTTVERSION_3_1 or MQTTVERSION_3_1_1 */
	const char *user, *pass;
	MQTTClient_willOptions *will;
};

/* Connect; returns the client or NULL.  *sp gets session present. */
static MQTTClient pc_connect(const struct pc_opts *po, int *sp, int *rcp)
{
	MQTTClient_connectOptions o = MQTTClient_connectOptions_initializer;
	MQTTClient c;
	char uri[128];
	int rc;

	server_uri(uri, sizeof(uri));
	if (MQTTClient_create(&c, uri, po->id, MQTTCLIENT_PERSISTENCE_NONE,
			      NULL) != MQTTCLIENT_SUCCESS)
		return NULL;
	o.keepAliveInterval = po->keepalive ? po->keepalive : 60;
	o.cleansession = po->clean;
	o.MQTTVersion = po->version ? po->version : MQTTVERSION_3_1_1;
	o.connectTimeout = 30 * mq_scale();
	o.username = po->user;
	o.password = po->pass;
	o.will = po->will;
	rc = MQTTClient_connect(c, &o);
	if (rcp)
		*rcp = rc;
	if (rc != MQTTCLIENT_SUCCESS) {
		fprintf(stderr, "# MQTTClient_connect(%s): %d\n", po->id, rc);
		MQTTClient_destroy(&c);
		return NULL;
	}
	if (sp)
		*sp = o.returned.sessionPresent;
	return c;
}

static MQTTClient pc_simple(const char *tag)
{
	static char id[16][32];
	static int n;
	struct pc_opts po = { .clean = 1 };
	char *buf = id[n++ % 16];

	snprintf(buf, 32, "%s%s", tag, mq_uniq());
	po.id = buf;
	return pc_connect(&po, NULL, NULL);
}

static void pc_close(MQTTClient *c)
{
	if (!*c)
		return;
	if (MQTTClient_isConnected(*c))
		MQTTClient_disconnect(*c, 5000);
	MQTTClient_destroy(c);
}

/* Publish and wait until the QoS flow is complete. */
static int pc_pub(MQTTClient c, const char *topic, const void *p, int len,
		  int qos, int retain)
{
	MQTTClient_deliveryToken dt;
	int rc = MQTTClient_publish(c, topic, len, p, qos, retain, &dt);

	if (rc != MQTTCLIENT_SUCCESS)
		return rc;
	if (qos)
		rc = MQTTClient_waitForCompletion(c, dt, 10000 * mq_scale());
	return rc;
}

static int pc_pubs(MQTTClient c, const char *topic, const char *p, int qos,
		   int retain)
{
	return pc_pub(c, topic, p, strlen(p), qos, retain);
}

/* A received message, payload NUL-terminated for convenience. */
struct pc_msg {
	char topic[256];
	char *payload;
	int len, qos, retained, dup;
};

/* 1 received, 0 timeout, -1 error (e.g. disconnected). */
static int pc_recv(MQTTClient c, struct pc_msg *out, int timeout_ms)
{
	long long left = (long long)timeout_ms * mq_scale();

	memset(out, 0, sizeof(*out));
	while (left > 0) {
		MQTTClient_message *m = NULL;
		char *topic = NULL;
		int tlen = 0, step = left > 1000 ? 1000 : (int)left;
		int rc = MQTTClient_receive(c, &topic, &tlen, &m, step);

		left -= step;
		if (rc != MQTTCLIENT_SUCCESS && rc != MQTTCLIENT_TOPICNAME_TRUNCATED)
			return -1;
		if (!m)
			continue;
		snprintf(out->topic, sizeof(out->topic), "%.*s",
			 tlen ? tlen : (int)strlen(topic), topic);
		out->payload = malloc(m->payloadlen + 1);
		memcpy(out->payload, m->payload, m->payloadlen);
		out->payload[m->payloadlen] = 0;
		out->len = m->payloadlen;
		out->qos = m->qos;
		out->retained = m->retained;
		out->dup = m->dup;
		MQTTClient_freeMessage(&m);
		MQTTClient_free(topic);
		return 1;
	}
	return 0;
}

static void pc_msg_free(struct pc_msg *m)
{
	free(m->payload);
	m->payload = NULL;
}

static void expect_msg(struct __test_metadata *_metadata, MQTTClient c,
		       const char *topic, const char *payload, int qos,
		       int retained)
{
	struct pc_msg m;

	ASSERT_EQ(1, pc_recv(c, &m, MQ_WAIT_MS)) {
		TH_LOG("expected '%s' on %s", payload, topic);
	}
	EXPECT_STREQ(topic, m.topic);
	EXPECT_STREQ(payload, m.payload);
	if (qos >= 0) {
		EXPECT_EQ(qos, m.qos);
	}
	if (retained >= 0) {
		EXPECT_EQ(retained, m.retained);
	}
	pc_msg_free(&m);
}

/* Count messages with payload @what until @marker arrives (-1: no marker). */
static int count_until(MQTTClient c, const char *what, const char *marker)
{
	int n = 0;

	for (;;) {
		struct pc_msg m;
		bool done;

		if (pc_recv(c, &m, MQ_WAIT_MS) != 1)
			return -1;
		done = !strcmp(m.payload, marker);
		n += !strcmp(m.payload, what);
		pc_msg_free(&m);
		if (done)
			return n;
	}
}

/* ---- tests ------------------------------------------------------------- */

/* QoS 0/1/2 in both directions; delivered at min(publish, granted). */
TEST(qos_matrix_min_of_publish_and_granted)
{
	MQTTClient sub = pc_simple("cs"), pub = pc_simple("cp");
	char base[96], topic[128], payload[16];
	int s, q;

	ASSERT_NE(NULL, sub);
	ASSERT_NE(NULL, pub);
	KST_TOPIC(base, "pc/min");
	for (s = 0; s <= 2; s++) {
		snprintf(topic, sizeof(topic), "%s/%d", base, s);
		ASSERT_EQ(MQTTCLIENT_SUCCESS, MQTTClient_subscribe(sub, topic, s));
	}
	for (s = 0; s <= 2; s++) {
		for (q = 0; q <= 2; q++) {
			snprintf(topic, sizeof(topic), "%s/%d", base, s);
			snprintf(payload, sizeof(payload), "s%dq%d", s, q);
			ASSERT_EQ(MQTTCLIENT_SUCCESS,
				  pc_pubs(pub, topic, payload, q, 0));
			expect_msg(_metadata, sub, topic, payload,
				   q < s ? q : s, 0);
		}
	}
	pc_close(&sub);
	pc_close(&pub);
}

/* Several filters in one SUBSCRIBE, granted QoS returned per filter. */
TEST(subscribe_many_granted_qos)
{
	MQTTClient c = pc_simple("cm");
	char t[3][96], *topics[3];
	int qos[3] = { 0, 1, 2 }, i;

	ASSERT_NE(NULL, c);
	for (i = 0; i < 3; i++) {
		char leaf[16];

		snprintf(leaf, sizeof(leaf), "pc/many%d", i);
		KST_TOPIC(t[i], leaf);
		topics[i] = t[i];
	}
	ASSERT_EQ(MQTTCLIENT_SUCCESS,
		  MQTTClient_subscribeMany(c, 3, topics, qos));
	EXPECT_EQ(0, qos[0]);
	EXPECT_EQ(1, qos[1]);
	EXPECT_EQ(2, qos[2]);
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(0, mq_publish_once(t[i], "m", 2, false));
		expect_msg(_metadata, c, t[i], "m", i, 0);
	}
	pc_close(&c);
}

TEST(unsubscribe_stops_delivery)
{
	MQTTClient p, c = pc_simple("cu");
	char topic[96], marker[96];

	ASSERT_NE(NULL, c);
	KST_TOPIC(topic, "pc/uns");
	KST_TOPIC(marker, "pc/unsmark");
	ASSERT_EQ(MQTTCLIENT_SUCCESS, MQTTClient_subscribe(c, topic, 1));
	ASSERT_EQ(MQTTCLIENT_SUCCESS, MQTTClient_subscribe(c, marker, 1));
	ASSERT_EQ(0, mq_publish_once(topic, "before", 1, false));
	expect_msg(_metadata, c, topic, "before", 1, 0);
	ASSERT_EQ(MQTTCLIENT_SUCCESS, MQTTClient_unsubscribe(c, topic));
	p = pc_simple("cp");
	ASSERT_NE(NULL, p);
	ASSERT_EQ(MQTTCLIENT_SUCCESS, pc_pubs(p, topic, "after", 1, 0));
	ASSERT_EQ(MQTTCLIENT_SUCCESS, pc_pubs(p, marker, "marker", 1, 0));
	EXPECT_EQ(0, count_until(c, "after", "marker"));
	pc_close(&p);
	pc_close(&c);
}

/* Retained: flag on subscribe delivery, cleared live, replaced, deleted. */
TEST(retained_messages)
{
	MQTTClient pub = pc_simple("cp"), s1, s2;
	char topic[96];

	ASSERT_NE(NULL, pub);
	KST_TOPIC(topic, "pc/ret");
	ASSERT_EQ(MQTTCLIENT_SUCCESS, pc_pubs(pub, topic, "r1", 2, 1));
	s1 = pc_simple("c1");
	ASSERT_NE(NULL, s1);
	ASSERT_EQ(MQTTCLIENT_SUCCESS, MQTTClient_subscribe(s1, topic, 2));
	expect_msg(_metadata, s1, topic, "r1", 2, 1);
	ASSERT_EQ(MQTTCLIENT_SUCCESS, pc_pubs(pub, topic, "r2", 1, 1));
	expect_msg(_metadata, s1, topic, "r2", 1, 0);
	s2 = pc_simple("c2");
	ASSERT_NE(NULL, s2);
	ASSERT_EQ(MQTTCLIENT_SUCCESS, MQTTClient_subscribe(s2, topic, 1));
	expect_msg(_metadata, s2, topic, "r2", 1, 1);
	pc_close(&s2);
	/* Delete with an empty retained message. */
	ASSERT_EQ(MQTTCLIENT_SUCCESS, pc_pub(pub, topic, "", 0, 1, 1));
	expect_msg(_metadata, s1, topic, "", 1, 0);
	s2 = pc_simple("c3");
	ASSERT_NE(NULL, s2);
	ASSERT_EQ(MQTTCLIENT_SUCCESS, MQTTClient_subscribe(s2, topic, 1));
	ASSERT_EQ(MQTTCLIENT_SUCCESS, pc_pubs(pub, topic, "marker", 1, 0));
	EXPECT_EQ(0, count_until(s2, "r2", "marker"));
	pc_close(&s1);
	pc_close(&s2);
	pc_close(&pub);
}

/* Clean session 0: subscriptions and QoS 1/2 messages kept while offline. */
TEST(persistent_session_offline_queue)
{
	struct pc_opts po = { .clean = 0 };
	MQTTClient c, pub = pc_simple("cp");
	char id[32], topic[96], payload[16];
	int next[3] = { 0, 0, 3 };
	int sp, i;

	ASSERT_NE(NULL, pub);
	KST_ID(id, "cps");
	po.id = id;
	KST_TOPIC(topic, "pc/ps");
	mq_disconnect(mq_connect_simple(id));	/* no stale session */
	c = pc_connect(&po, &sp, NULL);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(0, sp);
	ASSERT_EQ(MQTTCLIENT_SUCCESS, MQTTClient_subscribe(c, topic, 2));
	pc_close(&c);
	for (i = 0; i < 6; i++) {
		snprintf(payload, sizeof(payload), "off%d", i);
		ASSERT_EQ(MQTTCLIENT_SUCCESS,
			  pc_pubs(pub, topic, payload, 1 + i / 3, 0));
	}
	c = pc_connect(&po, &sp, NULL);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(1, sp);
	/* off0..2 at QoS 1, off3..5 at QoS 2, in order within each QoS. */
	for (i = 0; i < 6; i++) {
		struct pc_msg m;

		ASSERT_EQ(1, pc_recv(c, &m, MQ_WAIT_MS));
		EXPECT_STREQ(topic, m.topic);
		ASSERT_TRUE(m.qos == 1 || m.qos == 2);
		snprintf(payload, sizeof(payload), "off%d", next[m.qos]++);
		EXPECT_STREQ(payload, m.payload);
		pc_msg_free(&m);
	}
	EXPECT_EQ(3, next[1]);
	EXPECT_EQ(6, next[2]);
	pc_close(&c);
	/* Clean session 1 discards it. */
	po.clean = 1;
	c = pc_connect(&po, &sp, NULL);
	ASSERT_NE(NULL, c);
	EXPECT_EQ(0, sp);
	pc_close(&c);
	pc_close(&pub);
}

/* Per-topic ordering at QoS 1 and 2. */
TEST(ordering)
{
	MQTTClient sub = pc_simple("cs"), pub = pc_simple("cp");
	char topic[96], payload[16];
	int q, i;

	ASSERT_NE(NULL, sub);
	ASSERT_NE(NULL, pub);
	KST_TOPIC(topic, "pc/ord");
	ASSERT_EQ(MQTTCLIENT_SUCCESS, MQTTClient_subscribe(sub, topic, 2));
	for (q = 1; q <= 2; q++) {
		for (i = 0; i < 50; i++) {
			snprintf(payload, sizeof(payload), "%d", i);
			ASSERT_EQ(MQTTCLIENT_SUCCESS,
				  pc_pubs(pub, topic, payload, q, 0));
		}
		for (i = 0; i < 50; i++) {
			snprintf(payload, sizeof(payload), "%d", i);
			expect_msg(_metadata, sub, topic, payload, q, 0);
		}
	}
	pc_close(&sub);
	pc_close(&pub);
}

/* A will set through Paho, published when the process dies abruptly. */
TEST(will_on_abrupt_exit)
{
	MQTTClient sub = pc_simple("cs");
	char topic[96];
	pid_t child;
	int status;

	ASSERT_NE(NULL, sub);
	KST_TOPIC(topic, "pc/will");
	ASSERT_EQ(MQTTCLIENT_SUCCESS, MQTTClient_subscribe(sub, topic, 1));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		MQTTClient_willOptions w = MQTTClient_willOptions_initializer;
		struct pc_opts po = { .clean = 1, .will = &w };
		char id[32];

		KST_ID(id, "cw");
		po.id = id;
		w.topicName = topic;
		w.message = "paho-gone";
		w.qos = 1;
		_exit(pc_connect(&po, NULL, NULL) ? 0 : 1);	/* no DISCONNECT */
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_EQ(0, WEXITSTATUS(status));
	expect_msg(_metadata, sub, topic, "paho-gone", 1, 0);
	pc_close(&sub);
}

/* A client that disconnects properly: no will. */
TEST(no_will_after_disconnect)
{
	MQTTClient_willOptions w = MQTTClient_willOptions_initializer;
	struct pc_opts po = { .clean = 1, .will = &w };
	MQTTClient c, sub = pc_simple("cs");
	char topic[96], id[32];

	ASSERT_NE(NULL, sub);
	KST_TOPIC(topic, "pc/nowill");
	KST_ID(id, "cw");
	po.id = id;
	w.topicName = topic;
	w.message = "paho-gone";
	w.qos = 1;
	ASSERT_EQ(MQTTCLIENT_SUCCESS, MQTTClient_subscribe(sub, topic, 1));
	c = pc_connect(&po, NULL, NULL);
	ASSERT_NE(NULL, c);
	pc_close(&c);
	ASSERT_EQ(0, mq_publish_once(topic, "marker", 1, false));
	EXPECT_EQ(0, count_until(sub, "paho-gone", "marker"));
	pc_close(&sub);
}

/* Same client id twice: the first connection is closed by the broker. */
TEST(takeover)
{
	struct pc_opts po = { .clean = 1 };
	MQTTClient c1, c2;
	char id[32], topic[96];
	int i;

	KST_ID(id, "ct");
	po.id = id;
	KST_TOPIC(topic, "pc/to");
	c1 = pc_connect(&po, NULL, NULL);
	ASSERT_NE(NULL, c1);
	c2 = pc_connect(&po, NULL, NULL);
	ASSERT_NE(NULL, c2);
	for (i = 0; i < 20 * mq_scale() && MQTTClient_isConnected(c1); i++) {
		struct pc_msg m;

		if (pc_recv(c1, &m, 500) == 1)
			pc_msg_free(&m);
	}
	EXPECT_FALSE(MQTTClient_isConnected(c1));
	ASSERT_EQ(MQTTCLIENT_SUCCESS, MQTTClient_subscribe(c2, topic, 1));
	ASSERT_EQ(0, mq_publish_once(topic, "c2", 1, false));
	expect_msg(_metadata, c2, topic, "c2", 1, 0);
	MQTTClient_destroy(&c1);
	pc_close(&c2);
}

/*
 * Keep alive 4 s; Paho's PINGREQs inside MQTTClient_receive keep it up for
 * 10 s (Paho pings after 4 s of silence, the broker allows 6 s).
 */
TEST(keepalive_pings)
{
	struct pc_opts po = { .clean = 1, .keepalive = 4 };
	MQTTClient c;
	char id[32], topic[96];
	int i;

	KST_ID(id, "ck");
	po.id = id;
	KST_TOPIC(topic, "pc/ka");
	c = pc_connect(&po, NULL, NULL);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(MQTTCLIENT_SUCCESS, MQTTClient_subscribe(c, topic, 1));
	for (i = 0; i < 10; i++) {
		struct pc_msg m;

		EXPECT_EQ(0, pc_recv(c, &m, 1000 / mq_scale()));
	}
	EXPECT_TRUE(MQTTClient_isConnected(c));
	ASSERT_EQ(0, mq_publish_once(topic, "still", 1, false));
	expect_msg(_metadata, c, topic, "still", 1, 0);
	pc_close(&c);
}

/* MQTT 3.1 (MQIsdp) via Paho. */
TEST(mqtt31_client)
{
	struct pc_opts po = { .clean = 1, .version = MQTTVERSION_3_1 };
	MQTTClient c;
	char id[32], topic[96];

	KST_ID(id, "c31");
	po.id = id;
	KST_TOPIC(topic, "pc/v31");
	c = pc_connect(&po, NULL, NULL);
	ASSERT_NE(NULL, c);
	ASSERT_EQ(MQTTCLIENT_SUCCESS, MQTTClient_subscribe(c, topic, 2));
	ASSERT_EQ(0, mq_publish_once(topic, "v31", 2, false));
	expect_msg(_metadata, c, topic, "v31", 2, 0);
	pc_close(&c);
}

/* User name and password are sent; no users configured: accepted. */
TEST(username_password)
{
	struct pc_opts po = { .clean = 1, .user = "kst", .pass = "secret" };
	MQTTClient c;
	char id[32];

	KST_ID(id, "cup");
	po.id = id;
	c = pc_connect(&po, NULL, NULL);
	ASSERT_NE(NULL, c);
	pc_close(&c);
}

/* A large QoS 2 payload (below the 256 KiB maximum packet size). */
TEST(large_qos2_payload)
{
	MQTTClient sub = pc_simple("cs"), pub = pc_simple("cp");
	const int n = 150000;
	char topic[96], *big = malloc(n);
	struct pc_msg m;
	int i;

	ASSERT_NE(NULL, sub);
	ASSERT_NE(NULL, pub);
	for (i = 0; i < n; i++)
		big[i] = 'a' + i % 26;
	KST_TOPIC(topic, "pc/big");
	ASSERT_EQ(MQTTCLIENT_SUCCESS, MQTTClient_subscribe(sub, topic, 2));
	ASSERT_EQ(MQTTCLIENT_SUCCESS, pc_pub(pub, topic, big, n, 2, 0));
	ASSERT_EQ(1, pc_recv(sub, &m, MQ_WAIT_MS));
	EXPECT_EQ(n, m.len);
	EXPECT_EQ(2, m.qos);
	if (m.len == n) {
		EXPECT_EQ(0, memcmp(big, m.payload, n));
	}
	pc_msg_free(&m);
	free(big);
	pc_close(&sub);
	pc_close(&pub);
}

/* Wildcards through Paho: + and #, and $ topics not matched by them. */
TEST(wildcards)
{
	MQTTClient sub = pc_simple("cs"), pub = pc_simple("cp");
	char base[96], f[128], t[128];

	ASSERT_NE(NULL, sub);
	ASSERT_NE(NULL, pub);
	KST_TOPIC(base, "pc/wc");
	snprintf(f, sizeof(f), "%s/+/temp", base);
	ASSERT_EQ(MQTTCLIENT_SUCCESS, MQTTClient_subscribe(sub, f, 1));
	snprintf(f, sizeof(f), "%s/all/#", base);
	ASSERT_EQ(MQTTCLIENT_SUCCESS, MQTTClient_subscribe(sub, f, 1));

	snprintf(t, sizeof(t), "%s/kitchen/temp", base);
	ASSERT_EQ(MQTTCLIENT_SUCCESS, pc_pubs(pub, t, "1", 1, 0));
	expect_msg(_metadata, sub, t, "1", 1, 0);
	snprintf(t, sizeof(t), "%s/kitchen/hum", base);	/* no match */
	ASSERT_EQ(MQTTCLIENT_SUCCESS, pc_pubs(pub, t, "2", 1, 0));
	snprintf(t, sizeof(t), "%s/a/b/temp", base);	/* + is one level */
	ASSERT_EQ(MQTTCLIENT_SUCCESS, pc_pubs(pub, t, "3", 1, 0));
	snprintf(t, sizeof(t), "%s/all", base);	/* # matches the parent */
	ASSERT_EQ(MQTTCLIENT_SUCCESS, pc_pubs(pub, t, "4", 1, 0));
	expect_msg(_metadata, sub, t, "4", 1, 0);
	snprintf(t, sizeof(t), "%s/all/x/y/z", base);
	ASSERT_EQ(MQTTCLIENT_SUCCESS, pc_pubs(pub, t, "5", 1, 0));
	expect_msg(_metadata, sub, t, "5", 1, 0);
	pc_close(&sub);
	pc_close(&pub);
}

KST_MAIN
