// SPDX-License-Identifier: GPL-2.0
/*
 * Users and passwords, per network namespace.
 *
 * Passwords are never stored: only salted hashes, in Mosquitto 2's
 * mosquitto_passwd format ("$7$ITERATIONS$SALT$HASH", PBKDF2-HMAC-SHA512,
 * base64 salt and hash) so that operators carry their password files over.
 * Mosquitto 1.x's "$6$SALT$HASH" (one salted SHA-512) is accepted on import.
 *
 * The table is read under RCU by the engine's authenticate hook, called in
 * process context (a connection's work item): the hook copies the user's
 * hash parameters out under RCU and hashes the presented password without
 * any lock, so CONNECTs on different CPUs verify in parallel. Writers hold
 * kn->lock; a whole new table (CONFIG_APPLY) is swapped in under it.
 *
 * Cost: a CONNECT with a username costs 2 x iterations HMAC-SHA512 blocks
 * (about 1 ms for the default 1000 on a current CPU); iterations are
 * bounded by KMQTT_PBKDF2_MAX_ITERATIONS and the loop yields the CPU, so a
 * CONNECT flood cannot pin CPUs beyond what the operator chose. An unknown
 * username is hashed as a known one would be, so response times do not tell
 * which names exist.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <crypto/algapi.h>
#include <crypto/hash.h>
#include <linux/base64.h>
#include <linux/hash.h>
#include <linux/jhash.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/rculist.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include "ctl.h"
#include "../uapi/kmqtt.h"

#define KMQTT_USER_HASH_BITS	8

struct kmqtt_user {
	struct hlist_node node;
	struct rcu_head rcu;
	struct kmqtt_cred cred;
	char name[];			/* NUL-terminated */
};

struct kmqtt_users {
	u32 count;			/* under kn->lock once published */
	struct hlist_head buckets[1 << KMQTT_USER_HASH_BITS];
};

/* kn->users is declared void * in kmqtt.h; it holds a kmqtt_users __rcu *. */
#define kmqtt_users_rcu(kn) (*(struct kmqtt_users __rcu **)&(kn)->users)

/* ---- hashing ---- */

static int kmqtt_pbkdf2_sha512(const u8 *pw, size_t pwlen, const u8 *salt,
			       size_t saltlen, u32 iterations, u8 *out)
{
	static const u8 block_index[4] = { 0, 0, 0, 1 };
	u8 u[SHA512_DIGEST_SIZE];
	struct crypto_shash *tfm;
	struct shash_desc *desc;
	u32 i;
	int err;

	/*
	 * One tfm per call: HMAC keeps its key in the tfm, and verifications
	 * run in parallel with different passwords.
	 */
	tfm = crypto_alloc_shash("hmac(sha512)", 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	desc = kmalloc(sizeof(*desc) + crypto_shash_descsize(tfm), GFP_KERNEL);
	err = -ENOMEM;
	if (!desc)
		goto out_tfm;
	desc->tfm = tfm;

	err = crypto_shash_setkey(tfm, pw, pwlen);
	if (err)
		goto out_desc;
	/* dkLen is one SHA-512 block: T1 = U1 ^ U2 ^ ... ^ Uc. */
	err = crypto_shash_init(desc) ?:
	      crypto_shash_update(desc, salt, saltlen) ?:
	      crypto_shash_finup(desc, block_index, sizeof(block_index), u);
	if (err)
		goto out_desc;
	memcpy(out, u, sizeof(u));
	for (i = 1; i < iterations; i++) {
		int j;

		err = crypto_shash_digest(desc, u, sizeof(u), u);
		if (err)
			goto out_desc;
		for (j = 0; j < SHA512_DIGEST_SIZE; j++)
			out[j] ^= u[j];
		if (!(i & 255))
			cond_resched();
	}
out_desc:
	kfree_sensitive(desc);
out_tfm:
	crypto_free_shash(tfm);
	memzero_explicit(u, sizeof(u));
	return err;
}

/* Mosquitto 1.x: SHA-512(password || salt). */
static int kmqtt_sha512_salted(const u8 *pw, size_t pwlen, const u8 *salt,
			       size_t saltlen, u8 *out)
{
	struct crypto_shash *tfm;
	struct shash_desc *desc;
	int err;

	tfm = crypto_alloc_shash("sha512", 0, 0);
	if (IS_ERR(tfm))
		return PTR_ERR(tfm);
	desc = kmalloc(sizeof(*desc) + crypto_shash_descsize(tfm), GFP_KERNEL);
	err = -ENOMEM;
	if (desc) {
		desc->tfm = tfm;
		err = crypto_shash_init(desc) ?:
		      crypto_shash_update(desc, pw, pwlen) ?:
		      crypto_shash_finup(desc, salt, saltlen, out);
		kfree_sensitive(desc);
	}
	crypto_free_shash(tfm);
	return err;
}

static int kmqtt_cred_hash(const struct kmqtt_cred *c, const u8 *pw,
			   size_t len, u8 *out)
{
	if (c->iterations == 0)
		return kmqtt_sha512_salted(pw, len, c->salt, c->salt_len, out);
	return kmqtt_pbkdf2_sha512(pw, len, c->salt, c->salt_len,
				   c->iterations, out);
}

/* Constant time in the content of the password and the hash. */
static bool kmqtt_cred_verify(const struct kmqtt_cred *c, const u8 *pw,
			      size_t len)
{
	u8 h[SHA512_DIGEST_SIZE];
	bool ok;

	if (kmqtt_cred_hash(c, pw, len, h))
		return false;
	ok = !crypto_memneq(h, c->hash, sizeof(h));
	memzero_explicit(h, sizeof(h));
	return ok;
}

int kmqtt_cred_from_password(struct kmqtt_cred *c, const u8 *pw, size_t len,
			     u32 iterations)
{
	if (iterations < 1 || iterations > KMQTT_PBKDF2_MAX_ITERATIONS)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	c->iterations = iterations;
	c->salt_len = KMQTT_SALT_LEN;
	get_random_bytes(c->salt, KMQTT_SALT_LEN);
	return kmqtt_cred_hash(c, pw, len, c->hash);
}

/* ---- "$7$..." strings ---- */

/* Decode exactly one base64 field of @len chars into @out (@max bytes). */
static int kmqtt_b64_field(const char *s, size_t len, u8 *out, size_t max)
{
	u8 buf[BASE64_CHARS(KMQTT_SALT_MAX) + 4];
	int n;

	/* Each 4 chars carry at most 3 bytes: bound before decoding. */
	if (len == 0 || len > BASE64_CHARS(max) + 2 || len > sizeof(buf))
		return -EINVAL;
	n = base64_decode(s, len, buf);
	if (n <= 0 || n > max)
		return -EINVAL;
	memcpy(out, buf, n);
	return n;
}

int kmqtt_cred_parse(struct kmqtt_cred *c, const char *s)
{
	const char *salt, *hash;
	char num[11];
	size_t n;
	int len;

	memset(c, 0, sizeof(*c));
	if (!strncmp(s, "$7$", 3)) {
		s += 3;
		n = strcspn(s, "$");
		if (n == 0 || n >= sizeof(num) || s[n] != '$')
			return -EINVAL;
		memcpy(num, s, n);
		num[n] = '\0';
		if (num[0] < '1' || num[0] > '9' ||
		    kstrtou32(num, 10, &c->iterations) ||
		    c->iterations > KMQTT_PBKDF2_MAX_ITERATIONS)
			return -EINVAL;
		salt = s + n + 1;
	} else if (!strncmp(s, "$6$", 3)) {
		c->iterations = 0;
		salt = s + 3;
	} else {
		return -EINVAL;
	}

	n = strcspn(salt, "$");
	if (salt[n] != '$')
		return -EINVAL;
	len = kmqtt_b64_field(salt, n, c->salt, KMQTT_SALT_MAX);
	if (len < 0)
		return len;
	c->salt_len = len;

	hash = salt + n + 1;
	n = strlen(hash);
	if (strchr(hash, '$'))
		return -EINVAL;
	len = kmqtt_b64_field(hash, n, c->hash, SHA512_DIGEST_SIZE);
	if (len != SHA512_DIGEST_SIZE)
		return -EINVAL;
	return 0;
}

int kmqtt_cred_format(const struct kmqtt_cred *c, char *buf, size_t size)
{
	char salt[BASE64_CHARS(KMQTT_SALT_MAX) + 4];
	char hash[BASE64_CHARS(SHA512_DIGEST_SIZE) + 4];
	int sl, hl, n;

	sl = base64_encode(c->salt, c->salt_len, salt);
	hl = base64_encode(c->hash, SHA512_DIGEST_SIZE, hash);
	if (c->iterations)
		n = snprintf(buf, size, "$7$%u$%.*s$%.*s", c->iterations,
			     sl, salt, hl, hash);
	else
		n = snprintf(buf, size, "$6$%.*s$%.*s", sl, salt, hl, hash);
	return n < 0 || (size_t)n >= size ? -ENOSPC : n;
}

/* ---- the table ---- */

static struct hlist_head *kmqtt_users_bucket(struct kmqtt_users *t,
					     const void *name, size_t len)
{
	return &t->buckets[hash_32(jhash(name, len, 0), KMQTT_USER_HASH_BITS)];
}

static struct kmqtt_user *kmqtt_users_find(struct kmqtt_users *t,
					   const void *name, size_t len)
{
	struct kmqtt_user *u;

	hlist_for_each_entry_rcu(u, kmqtt_users_bucket(t, name, len), node,
				 true)
		if (strlen(u->name) == len && !memcmp(u->name, name, len))
			return u;
	return NULL;
}

struct kmqtt_users *kmqtt_users_new(void)
{
	return kzalloc(sizeof(struct kmqtt_users), GFP_KERNEL_ACCOUNT);
}

void kmqtt_users_free(struct kmqtt_users *t)
{
	struct kmqtt_user *u;
	struct hlist_node *tmp;
	int i;

	if (!t)
		return;
	for (i = 0; i < ARRAY_SIZE(t->buckets); i++) {
		hlist_for_each_entry_safe(u, tmp, &t->buckets[i], node) {
			hlist_del(&u->node);
			kfree_sensitive(u);
		}
	}
	kfree(t);
}

/*
 * Add or replace. Readers may be walking @t: the old entry is replaced in
 * place and freed after a grace period.
 */
int kmqtt_users_set(struct kmqtt_users *t, const char *name,
		    const struct kmqtt_cred *c)
{
	size_t len = strnlen(name, KMQTT_USER_NAME_MAX + 1);
	struct kmqtt_user *old, *u;

	if (len == 0 || len > KMQTT_USER_NAME_MAX)
		return -EINVAL;
	old = kmqtt_users_find(t, name, len);
	if (!old && t->count >= KMQTT_MAX_USERS)
		return -ENOSPC;
	u = kzalloc(struct_size(u, name, len + 1), GFP_KERNEL_ACCOUNT);
	if (!u)
		return -ENOMEM;
	memcpy(u->name, name, len);
	u->cred = *c;
	if (old) {
		hlist_replace_rcu(&old->node, &u->node);
		kfree_rcu(old, rcu);
	} else {
		hlist_add_head_rcu(&u->node, kmqtt_users_bucket(t, name, len));
		WRITE_ONCE(t->count, t->count + 1);
	}
	return 0;
}

bool kmqtt_users_has(struct kmqtt_users *t, const char *name)
{
	return kmqtt_users_find(t, name,
				strnlen(name, KMQTT_USER_NAME_MAX + 1)) != NULL;
}

static struct kmqtt_users *kmqtt_users_locked(struct kmqtt_net *kn)
{
	return rcu_dereference_protected(kmqtt_users_rcu(kn),
					 lockdep_is_held(&kn->lock));
}

void kmqtt_auth_replace(struct kmqtt_net *kn, struct kmqtt_users *t)
{
	struct kmqtt_users *old;

	mutex_lock(&kn->lock);
	old = kmqtt_users_locked(kn);
	rcu_assign_pointer(kmqtt_users_rcu(kn), t);
	mutex_unlock(&kn->lock);
	synchronize_rcu();
	kmqtt_users_free(old);
}

int kmqtt_auth_user_set(struct kmqtt_net *kn, const char *name,
			const struct kmqtt_cred *c)
{
	struct kmqtt_users *t;
	int err = -ENODEV;

	mutex_lock(&kn->lock);
	t = kmqtt_users_locked(kn);
	if (t)
		err = kmqtt_users_set(t, name, c);
	mutex_unlock(&kn->lock);
	return err;
}

int kmqtt_auth_user_del(struct kmqtt_net *kn, const char *name)
{
	size_t len = strnlen(name, KMQTT_USER_NAME_MAX + 1);
	struct kmqtt_users *t;
	struct kmqtt_user *u = NULL;

	mutex_lock(&kn->lock);
	t = kmqtt_users_locked(kn);
	if (t)
		u = kmqtt_users_find(t, name, len);
	if (u) {
		hlist_del_rcu(&u->node);
		WRITE_ONCE(t->count, t->count - 1);
	}
	mutex_unlock(&kn->lock);
	if (!u)
		return -ENOENT;
	kfree_rcu(u, rcu);
	return 0;
}

int kmqtt_auth_for_each(struct kmqtt_net *kn, u32 skip, kmqtt_user_fn fn,
			void *arg)
{
	struct kmqtt_users *t;
	struct kmqtt_user *u;
	int i, ret = 0;

	rcu_read_lock();
	t = rcu_dereference(kmqtt_users_rcu(kn));
	for (i = 0; t && i < ARRAY_SIZE(t->buckets) && !ret; i++) {
		hlist_for_each_entry_rcu(u, &t->buckets[i], node) {
			if (skip) {
				skip--;
				continue;
			}
			ret = fn(u->name, &u->cred, arg);
			if (ret)
				break;
		}
	}
	rcu_read_unlock();
	return ret;
}

u32 kmqtt_auth_user_count(struct kmqtt_net *kn)
{
	struct kmqtt_users *t;
	u32 n;

	rcu_read_lock();
	t = rcu_dereference(kmqtt_users_rcu(kn));
	n = t ? READ_ONCE(t->count) : 0;
	rcu_read_unlock();
	return n;
}

/* ---- the engine's hook ---- */

static enum kmqtt_auth_result
kmqtt_auth_authenticate(struct kmqtt_broker *b, const struct mqtt_bytes *user,
			const struct mqtt_bytes *pass)
{
	/* Hashed for unknown names so their answer takes as long. */
	static const struct kmqtt_cred dummy = {
		.iterations = KMQTT_PBKDF2_DEFAULT_ITERATIONS,
		.salt_len = KMQTT_SALT_LEN,
	};
	struct kmqtt_net *kn = b->ops_data;
	struct kmqtt_users *t;
	struct kmqtt_user *u;
	struct kmqtt_cred c;
	bool known, ok;

	might_sleep();
	rcu_read_lock();
	t = rcu_dereference(kmqtt_users_rcu(kn));
	if (!t || !READ_ONCE(t->count)) {
		rcu_read_unlock();
		return KMQTT_AUTH_NO_USERS;
	}
	/* Anonymous clients are the engine's call (allow_anonymous). */
	if (!user) {
		rcu_read_unlock();
		return KMQTT_AUTH_BAD;
	}
	u = kmqtt_users_find(t, user->data, user->len);
	known = !!u;
	c = known ? u->cred : dummy;
	rcu_read_unlock();

	ok = pass && kmqtt_cred_verify(&c, pass->data, pass->len);
	memzero_explicit(&c, sizeof(c));
	return known && ok ? KMQTT_AUTH_OK : KMQTT_AUTH_BAD;
}

/* sha512 is often a module: have modprobe load it with us. */
MODULE_SOFTDEP("pre: sha512");

const struct kmqtt_broker_ops kmqtt_auth_ops = {
	.authenticate = kmqtt_auth_authenticate,
};

int kmqtt_auth_init(struct kmqtt_net *kn)
{
	struct kmqtt_users *t = kmqtt_users_new();

	if (!t)
		return -ENOMEM;
	RCU_INIT_POINTER(kmqtt_users_rcu(kn), t);
	return 0;
}

void kmqtt_auth_exit(struct kmqtt_net *kn)
{
	struct kmqtt_users *t;

	mutex_lock(&kn->lock);
	t = kmqtt_users_locked(kn);
	RCU_INIT_POINTER(kmqtt_users_rcu(kn), NULL);
	mutex_unlock(&kn->lock);
	if (t) {
		synchronize_rcu();
		kmqtt_users_free(t);
	}
}
