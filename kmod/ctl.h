/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Control plane internals shared by netlink.c, auth.c, proc.c and sys.c.
 * Kernel only: the pure core never includes this.
 */
#ifndef KMQTT_CTL_H
#define KMQTT_CTL_H

#include <crypto/sha2.h>
#include "kmqtt.h"

/* ---- auth.c: users and password hashes ---- */

#define KMQTT_SALT_LEN		12	/* what mosquitto_passwd generates */
#define KMQTT_SALT_MAX		64	/* what we accept from an import */
#define KMQTT_MAX_USERS		65536

/*
 * A stored password: PBKDF2-HMAC-SHA512 ("$7$", iterations >= 1) or, for
 * old Mosquitto 1.x files, a single salted SHA-512 ("$6$", iterations 0).
 */
struct kmqtt_cred {
	u32 iterations;
	u8 salt_len;
	u8 salt[KMQTT_SALT_MAX];
	u8 hash[SHA512_DIGEST_SIZE];
};

/* Hash @pw with a fresh random salt. May sleep. */
int kmqtt_cred_from_password(struct kmqtt_cred *c, const u8 *pw, size_t len,
			     u32 iterations);
/* Parse "$7$ITER$SALT$HASH" or "$6$SALT$HASH": 0 or -EINVAL. */
int kmqtt_cred_parse(struct kmqtt_cred *c, const char *s);
/* Format as parsed above; returns the length or -ENOSPC. */
int kmqtt_cred_format(const struct kmqtt_cred *c, char *buf, size_t size);

struct kmqtt_users;

/* A table not yet published: filled by CONFIG_APPLY, then swapped in. */
struct kmqtt_users *kmqtt_users_new(void);
void kmqtt_users_free(struct kmqtt_users *t);
/* Add or replace; -ENOSPC past KMQTT_MAX_USERS, -ENOMEM. */
int kmqtt_users_set(struct kmqtt_users *t, const char *name,
		    const struct kmqtt_cred *c);
bool kmqtt_users_has(struct kmqtt_users *t, const char *name);
/* Publish @t as @kn's user table and free the old one (sleeps). */
void kmqtt_auth_replace(struct kmqtt_net *kn, struct kmqtt_users *t);

/* Live changes, visible at the next CONNECT. */
int kmqtt_auth_user_set(struct kmqtt_net *kn, const char *name,
			const struct kmqtt_cred *c);
int kmqtt_auth_user_del(struct kmqtt_net *kn, const char *name);

/*
 * Call @fn for each user after the first @skip, under rcu_read_lock() (@fn
 * must not sleep). Stops when @fn returns non-zero and returns that value.
 */
typedef int (*kmqtt_user_fn)(const char *name, const struct kmqtt_cred *c,
			     void *arg);
int kmqtt_auth_for_each(struct kmqtt_net *kn, u32 skip, kmqtt_user_fn fn,
			void *arg);
u32 kmqtt_auth_user_count(struct kmqtt_net *kn);

/* ---- netlink.c: limits ---- */

/*
 * Install @l as the broker's limits (caller holds b->config_lock) and pass
 * the ones other objects enforce (retained store, topic tree) on to them.
 */
void kmqtt_limits_commit(struct kmqtt_net *kn, const struct kmqtt_limits *l);

/* ---- sys.c ---- */

/* sys_interval changed: publish on the new period from now on. */
void kmqtt_sys_reschedule(struct kmqtt_net *kn);

/* ---- gauges, shared by /proc, netlink and $SYS ---- */

enum kmqtt_gauge {
	KMQTT_GAUGE_CONNECTIONS_NOW,
	KMQTT_GAUGE_SESSIONS,
	KMQTT_GAUGE_SUBSCRIPTIONS,
	KMQTT_GAUGE_RETAINED_COUNT,
	KMQTT_GAUGE_RETAINED_BYTES,
	KMQTT_GAUGE_MEMORY_BYTES,
	KMQTT_GAUGE_LISTENERS,
	KMQTT_GAUGE_UPTIME,
	KMQTT_GAUGE_COUNT
};

const char *kmqtt_gauge_name(enum kmqtt_gauge g);
/* Read every gauge of @kn into @out (KMQTT_GAUGE_COUNT entries). */
void kmqtt_gauges_read(struct kmqtt_net *kn, u64 *out);

#endif /* KMQTT_CTL_H */
