/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Regression cases for broker bugs found by the end-to-end conformance
 * suite (tests/selftests) against kmqtt in the VM: one case per bug, named
 * after what the broker got wrong. Shared by tests/unit/engine_test.c and
 * the KUnit module (kmod/tests/engine_test.c); harness: engine_harness.h.
 */
#ifndef KMQTT_CONFORMANCE_CASES_H
#define KMQTT_CONFORMANCE_CASES_H

#include "engine_harness.h"

/*
 * Bytes that are not a CONNECT are refused from the first byte, not
 * buffered up to the length they announce: "GET / HTTP/1.1" reads as a
 * PUBACK of 69 bytes, of which an HTTP client sends only part.
 */
static void conf_garbage_before_connect(kt_ctx *t)
{
	static const char get[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	struct kmqtt_broker *b = tb_new(t);
	struct tc *c;

	if (!b)
		return;
	c = tc_new(t, b);
	KT_CHECK(t, tc_in(c, (const u8 *)get, sizeof(get) - 1) < 0,
		 "HTTP request refused before CONNECT");
	KT_EQ(t, c->out_len, 0);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_UNEXPECTED),
	      1);
	tc_free(c);

	/* Even one byte of a non-CONNECT type is enough. */
	c = tc_new(t, b);
	KT_CHECK(t, tc_in(c, (const u8 *)"\x30", 1) < 0, "lone PUBLISH byte");
	tc_free(c);
	/* A CONNECT arriving byte by byte is still waited for. */
	c = tc_new(t, b);
	ENG_EQ(t, tc_in(c, (const u8 *)"\x10", 1), 0);
	ENG_EQ(t, tc_in(c, (const u8 *)"\x10\x20", 2), 0);
	tc_free(c);
	KT_EQ(t, tb_stat(b, KMQTT_STAT_PROTO_ERROR_FIRST + MQTT_ERR_UNEXPECTED),
	      2);
	tb_free(b);
}

/* The bytes of the DISCONNECT that ends a connection are received bytes. */
static void conf_disconnect_bytes_counted(kt_ctx *t)
{
	struct kmqtt_broker *b = tb_new(t);
	u64 before;
	struct tc *c;

	if (!b)
		return;
	c = tc_online(t, b, "bytes", true);
	before = tb_stat(b, KMQTT_STAT_BYTES_IN);
	KT_EQ(t, c->c->bytes_in, before);
	KT_CHECK(t, tc_simple(c, MQTT_DISCONNECT) < 0, "disconnect closes");
	KT_EQ(t, tb_stat(b, KMQTT_STAT_BYTES_IN), before + 2);
	KT_EQ(t, c->c->bytes_in, before + 2);
	tc_free(c);
	tb_free(b);
}

static const struct kt_case conformance_cases[] = {
	KT_CASE(conf_garbage_before_connect),
	KT_CASE(conf_disconnect_bytes_counted),
};

#endif /* KMQTT_CONFORMANCE_CASES_H */
