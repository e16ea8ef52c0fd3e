// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness: whole connections. Two clients on one broker, driven
 * through engine.h exactly as conn.c drives them (receive buffer with the
 * unconsumed tail kept, partial sends, ticks, socket errors, takeover and
 * kick requests honoured), plus broker-side publishes and an ACL. At the
 * end every connection is closed and the broker destroyed: all message
 * memory must be back (kmqtt_msg_mem == 0) and LeakSanitizer sees the rest.
 *
 * Input: a sequence of records [ctl][arg][bytes...]; ctl bit 0 picks the
 * client, bits 1..3 the action (see the switch below).
 */
#define FUZZ_NAME "fuzz_engine"
#include "fuzz.h"
#include "engine.h"
#include "msg.h"

u64 kmqtt_test_now = 1000;

#define RX_CAP 4096

struct fc {
	struct kmqtt_broker *b;
	struct kmqtt_client *c;
	bool close_req;
	unsigned int wakes;
	size_t rx_len;
	u8 rx[RX_CAP];
};

static void fc_wake(void *transport)
{
	((struct fc *)transport)->wakes++;
}

static void fc_close_req(void *transport)
{
	((struct fc *)transport)->close_req = true;
}

static const struct kmqtt_transport_ops fc_ops = {
	.wake_tx = fc_wake,
	.close = fc_close_req,
};

static enum kmqtt_auth_result fz_auth(struct kmqtt_broker *b,
				      const struct mqtt_bytes *user,
				      const struct mqtt_bytes *pass)
{
	/* "u" with password "p" exists; with no username: no user database */
	if (!user)
		return KMQTT_AUTH_NO_USERS;
	if (user->len == 1 && user->data[0] == 'u' && pass && pass->len == 1 &&
	    pass->data[0] == 'p')
		return KMQTT_AUTH_OK;
	return KMQTT_AUTH_BAD;
}

static const struct kmqtt_broker_ops fz_ops = { .authenticate = fz_auth };

static void fc_open(struct fc *f)
{
	f->c = kmqtt_client_new(f->b, &fc_ops, f, "127.0.0.1:9", GFP_KERNEL);
	CHECK(f->c);
	f->rx_len = 0;
	f->close_req = false;
}

static void fc_reopen(struct fc *f)
{
	kmqtt_client_closed(f->c);
	fc_open(f);
}

/* Send what the engine has, @chunk bytes per round (0: as much as it likes). */
static void fc_drain(struct fc *f, size_t chunk, unsigned int rounds)
{
	struct kvec iov[8];
	int n;

	while (rounds-- &&
	       (n = kmqtt_client_output(f->c, iov, ARRAY_SIZE(iov),
					chunk ? chunk : 1 << 20)) > 0) {
		size_t sent = 0, total = 0;
		int i;

		CHECK(n <= (int)ARRAY_SIZE(iov));
		for (i = 0; i < n; i++) {
			CHECK(iov[i].iov_len);
			/* touch the bytes: ASan checks they are live */
			total += ((volatile u8 *)iov[i].iov_base)[0];
			total += ((volatile u8 *)iov[i].iov_base)[iov[i].iov_len - 1];
			sent += iov[i].iov_len;
		}
		CHECK(!chunk || sent <= chunk);
		(void)total;
		kmqtt_client_output_done(f->c, chunk ? sent : sent / 2 + 1);
	}
}

static void fc_input(struct fc *f, const u8 *p, size_t len)
{
	long r;

	if (len > RX_CAP - f->rx_len)
		len = RX_CAP - f->rx_len;
	memcpy(f->rx + f->rx_len, p, len);
	f->rx_len += len;
	r = kmqtt_client_input(f->c, f->rx, f->rx_len);
	if (r < 0) {
		fc_reopen(f);
		return;
	}
	CHECK((size_t)r <= f->rx_len);
	memmove(f->rx, f->rx + r, f->rx_len - r);
	f->rx_len -= r;
	/* A frame that cannot fit our buffer is refused from its header. */
	if (f->rx_len == RX_CAP)
		fc_reopen(f);
}

int LLVMFuzzerTestOneInput(const u8 *data, size_t size)
{
	struct kmqtt_broker *b = calloc(1, sizeof(*b));
	struct kmqtt_acl *acl = NULL;
	struct fc *fc = calloc(2, sizeof(*fc));
	size_t i = 0;
	int k;

	CHECK(b && fc);
	kmqtt_test_now = 1000;
	CHECK(!kmqtt_broker_init(b, &fz_ops, NULL));
	b->limits.max_packet_size = RX_CAP;
	b->limits.max_inflight = 3;
	b->limits.max_queued_msgs = 8;
	b->limits.max_subscriptions = 16;
	b->limits.retained_max_count = 8;
	if (size && (data[0] & 1)) {
		/* an ACL: anonymous may do a/#, "u" everything but x */
		acl = kmqtt_acl_alloc(GFP_KERNEL);
		CHECK(acl);
		CHECK(!kmqtt_acl_add_rule(acl, KMQTT_ACL_TOPIC_ALL, NULL,
					  KMQTT_ACL_READWRITE,
					  (const u8 *)"a/#", 3, GFP_KERNEL));
		CHECK(!kmqtt_acl_add_rule(acl, KMQTT_ACL_TOPIC_USER, "u",
					  KMQTT_ACL_READWRITE,
					  (const u8 *)"#", 1, GFP_KERNEL));
		CHECK(!kmqtt_acl_add_rule(acl, KMQTT_ACL_TOPIC_USER, "u",
					  KMQTT_ACL_DENY,
					  (const u8 *)"x", 1, GFP_KERNEL));
		CHECK(!kmqtt_acl_add_rule(acl, KMQTT_ACL_PATTERN, NULL,
					  KMQTT_ACL_READ,
					  (const u8 *)"c/%c/#", 6, GFP_KERNEL));
		rcu_assign_pointer(b->acl, acl);
	}
	if (size)
		i = 1;
	for (k = 0; k < 2; k++) {
		fc[k].b = b;
		fc_open(&fc[k]);
	}

	while (i + 2 <= size) {
		u8 ctl = data[i], arg = data[i + 1];
		struct fc *f = &fc[ctl & 1];
		size_t len;

		i += 2;
		for (k = 0; k < 2; k++) {
			if (fc[k].close_req)
				fc_reopen(&fc[k]);
		}
		switch ((ctl >> 1) & 7) {
		case 0: case 1: case 2:	/* bytes from the network */
			len = min_t(size_t, arg, size - i);
			fc_input(f, data + i, len);
			i += len;
			fc_drain(f, 0, 64);
			break;
		case 3:		/* a slow socket */
			fc_drain(f, arg, 1 + (ctl >> 4));
			break;
		case 4:		/* time passes */
			kmqtt_test_now += arg;
			for (k = 0; k < 2; k++) {
				if (kmqtt_client_tick(fc[k].c, kmqtt_test_now))
					fc_reopen(&fc[k]);
			}
			break;
		case 5:		/* socket error */
			fc_reopen(f);
			break;
		case 6: {	/* the broker publishes ($SYS, admin) */
			static const char *const topics[] = {
				"a/b", "$SYS/x", "c/A/x", "x", "a",
			};
			const char *t = topics[arg % ARRAY_SIZE(topics)];

			kmqtt_broker_publish(b, (const u8 *)t, strlen(t),
					     (const u8 *)"pp", (arg >> 3) & 1 ? 2 : 0,
					     (arg >> 4) % 3, (arg >> 6) & 1);
			break;
		}
		case 7: {	/* the administrator */
			struct kmqtt_client_info info[2];
			u32 n;

			if (arg & 1) {
				kmqtt_broker_kick_client(b, (const u8 *)
							 (arg & 2 ? "A" : "B"), 1);
			} else {
				n = kmqtt_broker_list_clients(b, arg >> 4, info,
							      ARRAY_SIZE(info));
				CHECK(n <= ARRAY_SIZE(info));
			}
			break;
		}
		}
	}
	for (k = 0; k < 2; k++) {
		fc_drain(&fc[k], 0, 1000);
		kmqtt_client_closed(fc[k].c);
	}
	kmqtt_broker_destroy(b);
	CHECK(atomic64_read(&kmqtt_msg_mem) == 0);
	free(b);
	free(fc);
	return 0;
}
