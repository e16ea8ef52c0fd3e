/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one door between kmqtt's pure protocol core and its environment.
 *
 * The core (codec, topic tree, retained store, ACL matching, messages,
 * sessions, the protocol engine, statistics: see core.mk) includes only this
 * header. In the kernel it maps to the kernel's own primitives. Outside the
 * kernel it provides a small single-threaded userspace implementation of
 * exactly the subset the core uses, so that the very same .c files are
 * exercised by unit tests under ASan/UBSan and by libFuzzer.
 *
 * Rules for the core: use nothing that is not available here; add to both
 * halves together when something new is needed; keep the userspace half
 * boring and obviously correct.
 *
 * Netlink attributes (nla_*, policies), which only nl_parse.c needs, have
 * their two halves in nl_shim.h.
 */
#ifndef KMQTT_SHIM_H
#define KMQTT_SHIM_H

#ifdef __KERNEL__

#include <linux/types.h>
#include <linux/kernel.h>
#include <linux/errno.h>
#include <linux/string.h>
#include <linux/slab.h>
#include <linux/mm.h>
#include <linux/list.h>
#include <linux/rculist.h>
#include <linux/rcupdate.h>
#include <linux/spinlock.h>
#include <linux/mutex.h>
#include <linux/sched.h>
#include <linux/refcount.h>
#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/timekeeping.h>
#include <linux/random.h>
#include <linux/jhash.h>
#include <linux/percpu.h>
#include <linux/cpumask.h>
#include <linux/overflow.h>
#include <linux/minmax.h>
#include <linux/bug.h>
#include <asm/unaligned.h>
#include <linux/uio.h>

/* Seconds on a monotonic clock: keep-alive and expiry arithmetic. */
static inline u64 kmqtt_now_sec(void)
{
	return ktime_get_seconds();
}

#else /* userspace: unit tests and fuzzers */

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <stdio.h>
#include <assert.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;
typedef unsigned int gfp_t;

#ifndef EPROTO
#define EPROTO 71
#endif

#define __user
#define __percpu
#define __rcu
#define __must_check __attribute__((warn_unused_result))
#define __maybe_unused __attribute__((unused))
#define __weak __attribute__((weak))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define fallthrough __attribute__((fallthrough))
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define READ_ONCE(x) (*(volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define BUILD_BUG_ON(c) _Static_assert(!(c), #c)
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#define WARN_ON(c) ({ int __c = !!(c); if (__c) fprintf(stderr, "WARN_ON(%s) %s:%d\n", #c, __FILE__, __LINE__); abort_on_warn(__c); })
#define WARN_ON_ONCE(c) WARN_ON(c)
#define BUG_ON(c) assert(!(c))
#define pr_err(...) fprintf(stderr, __VA_ARGS__)
#define pr_warn(...) fprintf(stderr, __VA_ARGS__)
#define pr_info(...) ((void)0)
#define pr_debug(...) ((void)0)
#define pr_warn_ratelimited(...) ((void)0)
#define pr_info_ratelimited(...) ((void)0)
#define might_sleep() ((void)0)
/* One thread, nothing to yield to. */
#define cond_resched() ((void)0)

/* Unit tests want a WARN to be a failure; fuzzers want it to be a crash. */
static inline int abort_on_warn(int c)
{
	if (c && getenv("KMQTT_WARN_ABORT"))
		abort();
	return c;
}

#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define min_t(t, a, b) ((t)(a) < (t)(b) ? (t)(a) : (t)(b))
#define max_t(t, a, b) ((t)(a) > (t)(b) ? (t)(a) : (t)(b))
#define U8_MAX ((u8)~0U)
#define U16_MAX ((u16)~0U)
#define U32_MAX ((u32)~0U)
#define S32_MAX ((s32)(U32_MAX >> 1))
#define U64_MAX ((u64)~0ULL)
#define clamp(v, lo, hi) min(max(v, lo), hi)
#define check_add_overflow(a, b, d) __builtin_add_overflow(a, b, d)
#define check_mul_overflow(a, b, d) __builtin_mul_overflow(a, b, d)
#define struct_size(p, member, n) \
	(sizeof(*(p)) + sizeof(*(p)->member) * (size_t)(n))

/* Memory. The flags only matter in the kernel. */
#define GFP_KERNEL 0u
#define GFP_ATOMIC 1u
#define GFP_NOWAIT 2u
#define __GFP_NOWARN 4u
#define __GFP_ZERO 8u
#define GFP_KERNEL_ACCOUNT GFP_KERNEL

static inline void *kmalloc(size_t n, gfp_t gfp)
{
	return (gfp & __GFP_ZERO) ? calloc(1, n ? n : 1) : malloc(n ? n : 1);
}

static inline void *kzalloc(size_t n, gfp_t gfp)
{
	(void)gfp;
	return calloc(1, n ? n : 1);
}

static inline void *kcalloc(size_t n, size_t size, gfp_t gfp)
{
	(void)gfp;
	return calloc(n ? n : 1, size ? size : 1);
}

static inline void *krealloc(const void *p, size_t n, gfp_t gfp)
{
	(void)gfp;
	return realloc((void *)p, n ? n : 1);
}

static inline void kfree(const void *p)
{
	free((void *)p);
}

static inline void *kmemdup(const void *src, size_t n, gfp_t gfp)
{
	void *p = kmalloc(n, gfp);

	if (p)
		memcpy(p, src, n);
	return p;
}

static inline char *kstrndup(const char *s, size_t max, gfp_t gfp)
{
	size_t n = strnlen(s, max);
	char *p = kmalloc(n + 1, gfp);

	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

#define kvmalloc kmalloc
#define kvzalloc kzalloc
#define kvcalloc kcalloc
#define kvfree kfree
#define kfree_sensitive kfree

struct kmem_cache {
	size_t size;
};

#define SLAB_HWCACHE_ALIGN 0u
#define SLAB_ACCOUNT 0u

static inline struct kmem_cache *kmem_cache_create(const char *name,
						    unsigned int size,
						    unsigned int align,
						    unsigned long flags,
						    void (*ctor)(void *))
{
	struct kmem_cache *c = malloc(sizeof(*c));

	(void)name, (void)align, (void)flags, (void)ctor;
	if (c)
		c->size = size;
	return c;
}

static inline void kmem_cache_destroy(struct kmem_cache *c)
{
	free(c);
}

static inline void *kmem_cache_alloc(struct kmem_cache *c, gfp_t gfp)
{
	return kmalloc(c->size, gfp);
}

static inline void *kmem_cache_zalloc(struct kmem_cache *c, gfp_t gfp)
{
	(void)gfp;
	return calloc(1, c->size);
}

static inline void kmem_cache_free(struct kmem_cache *c, void *p)
{
	(void)c;
	free(p);
}

/* Lists: the kernel's list_head/hlist semantics, the subset the core uses. */
struct list_head {
	struct list_head *next, *prev;
};

struct hlist_head {
	struct hlist_node *first;
};

struct hlist_node {
	struct hlist_node *next, **pprev;
};

#define LIST_HEAD_INIT(name) { &(name), &(name) }
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

static inline void INIT_LIST_HEAD(struct list_head *l)
{
	l->next = l;
	l->prev = l;
}

static inline void __list_add(struct list_head *n, struct list_head *prev,
			      struct list_head *next)
{
	next->prev = n;
	n->next = next;
	n->prev = prev;
	prev->next = n;
}

static inline void list_add(struct list_head *n, struct list_head *head)
{
	__list_add(n, head, head->next);
}

static inline void list_add_tail(struct list_head *n, struct list_head *head)
{
	__list_add(n, head->prev, head);
}

static inline void __list_del_entry(struct list_head *e)
{
	e->next->prev = e->prev;
	e->prev->next = e->next;
}

static inline void list_del(struct list_head *e)
{
	__list_del_entry(e);
	e->next = NULL;
	e->prev = NULL;
}

static inline void list_del_init(struct list_head *e)
{
	__list_del_entry(e);
	INIT_LIST_HEAD(e);
}

static inline int list_empty(const struct list_head *h)
{
	return h->next == h;
}

static inline void list_move_tail(struct list_head *e, struct list_head *h)
{
	__list_del_entry(e);
	list_add_tail(e, h);
}

static inline void list_move(struct list_head *e, struct list_head *h)
{
	__list_del_entry(e);
	list_add(e, h);
}

static inline void list_splice_tail_init(struct list_head *list,
					 struct list_head *head)
{
	if (!list_empty(list)) {
		struct list_head *first = list->next, *last = list->prev;

		first->prev = head->prev;
		head->prev->next = first;
		last->next = head;
		head->prev = last;
		INIT_LIST_HEAD(list);
	}
}

static inline void list_splice_init(struct list_head *list,
				    struct list_head *head)
{
	if (!list_empty(list)) {
		struct list_head *first = list->next, *last = list->prev;

		last->next = head->next;
		head->next->prev = last;
		head->next = first;
		first->prev = head;
		INIT_LIST_HEAD(list);
	}
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)
#define list_first_entry(ptr, type, member) \
	list_entry((ptr)->next, type, member)
#define list_last_entry(ptr, type, member) \
	list_entry((ptr)->prev, type, member)
#define list_first_entry_or_null(ptr, type, member) \
	(list_empty(ptr) ? NULL : list_first_entry(ptr, type, member))
#define list_next_entry(pos, member) \
	list_entry((pos)->member.next, __typeof__(*(pos)), member)
#define list_entry_is_head(pos, head, member) (&(pos)->member == (head))
#define list_for_each_entry(pos, head, member)                          \
	for (pos = list_first_entry(head, __typeof__(*pos), member);     \
	     !list_entry_is_head(pos, head, member);                      \
	     pos = list_next_entry(pos, member))
#define list_for_each_entry_safe(pos, n, head, member)                  \
	for (pos = list_first_entry(head, __typeof__(*pos), member),     \
	     n = list_next_entry(pos, member);                            \
	     !list_entry_is_head(pos, head, member);                      \
	     pos = n, n = list_next_entry(n, member))
#define list_for_each_entry_continue(pos, head, member)                 \
	for (pos = list_next_entry(pos, member);                          \
	     !list_entry_is_head(pos, head, member);                      \
	     pos = list_next_entry(pos, member))

#define HLIST_HEAD_INIT { .first = NULL }
#define INIT_HLIST_HEAD(h) ((h)->first = NULL)

static inline void INIT_HLIST_NODE(struct hlist_node *n)
{
	n->next = NULL;
	n->pprev = NULL;
}

static inline int hlist_unhashed(const struct hlist_node *n)
{
	return !n->pprev;
}

static inline int hlist_empty(const struct hlist_head *h)
{
	return !h->first;
}

static inline void hlist_add_head(struct hlist_node *n, struct hlist_head *h)
{
	struct hlist_node *first = h->first;

	n->next = first;
	if (first)
		first->pprev = &n->next;
	h->first = n;
	n->pprev = &h->first;
}

static inline void __hlist_del(struct hlist_node *n)
{
	struct hlist_node *next = n->next, **pprev = n->pprev;

	*pprev = next;
	if (next)
		next->pprev = pprev;
}

static inline void hlist_del(struct hlist_node *n)
{
	__hlist_del(n);
	n->next = NULL;
	n->pprev = NULL;
}

static inline void hlist_del_init(struct hlist_node *n)
{
	if (!hlist_unhashed(n)) {
		__hlist_del(n);
		INIT_HLIST_NODE(n);
	}
}

#define hlist_entry(ptr, type, member) container_of(ptr, type, member)
#define hlist_entry_safe(ptr, type, member) \
	({ __typeof__(ptr) ____p = (ptr); \
	   ____p ? hlist_entry(____p, type, member) : NULL; })
#define hlist_for_each_entry(pos, head, member)                          \
	for (pos = hlist_entry_safe((head)->first, __typeof__(*(pos)), member); \
	     pos;                                                          \
	     pos = hlist_entry_safe((pos)->member.next, __typeof__(*(pos)), member))
#define hlist_for_each_entry_safe(pos, n, head, member)                  \
	for (pos = hlist_entry_safe((head)->first, __typeof__(*pos), member); \
	     pos && ({ n = pos->member.next; 1; });                        \
	     pos = hlist_entry_safe(n, __typeof__(*pos), member))

/*
 * RCU: userspace tests are single-threaded, so readers need no protection
 * and a grace period has always elapsed.
 */
/*
 * Reader sections are counted so that rcu_dereference() outside one is
 * reported, as lockdep does in the kernel (one weak definition per program).
 */
int kmqtt_rcu_depth __weak;
#define rcu_read_lock() ((void)kmqtt_rcu_depth++)
#define rcu_read_unlock() ((void)kmqtt_rcu_depth--)
#define rcu_read_lock_held() (kmqtt_rcu_depth > 0)
#define rcu_dereference(p) \
	({ WARN_ON_ONCE(kmqtt_rcu_depth <= 0); (p); })
#define rcu_dereference_check(p, c) \
	({ WARN_ON_ONCE(kmqtt_rcu_depth <= 0 && !(c)); (p); })
#define rcu_dereference_protected(p, c) (p)
#define rcu_dereference_raw(p) (p)
#define rcu_access_pointer(p) (p)
#define rcu_assign_pointer(p, v) ((p) = (v))
#define RCU_INIT_POINTER(p, v) ((p) = (v))
#define synchronize_rcu() ((void)0)
#define rcu_barrier() ((void)0)
#define get_state_synchronize_rcu() 0UL
#define cond_synchronize_rcu(cookie) ((void)(cookie))
#define list_add_rcu list_add
#define list_add_tail_rcu list_add_tail
#define list_del_rcu list_del
#define list_for_each_entry_rcu(pos, head, member, ...) \
	list_for_each_entry(pos, head, member)
#define hlist_add_head_rcu hlist_add_head
#define hlist_del_rcu hlist_del
#define hlist_del_init_rcu hlist_del_init
#define hlist_for_each_entry_rcu(pos, head, member, ...) \
	hlist_for_each_entry(pos, head, member)

struct rcu_head {
	void *unused;
};

#define kfree_rcu(ptr, field) kfree(ptr)
#define call_rcu(head, fn) ((fn)(head))

/* Locks: no-ops, recorded so that tests can assert balance if they wish. */
typedef struct {
	int held;
} spinlock_t;

struct mutex {
	int held;
};

#define DEFINE_SPINLOCK(x) spinlock_t x = { 0 }
#define DEFINE_MUTEX(x) struct mutex x = { 0 }
#define spin_lock_init(l) ((l)->held = 0)
#define spin_lock(l) ((l)->held++)
#define spin_unlock(l) ((l)->held--)
#define spin_lock_bh(l) ((l)->held++)
#define spin_unlock_bh(l) ((l)->held--)
#define spin_lock_irqsave(l, f) ((void)(f), (l)->held++)
#define spin_unlock_irqrestore(l, f) ((void)(f), (l)->held--)
#define mutex_init(m) ((m)->held = 0)
#define mutex_lock(m) ((m)->held++)
#define mutex_unlock(m) ((m)->held--)
#define mutex_destroy(m) ((void)(m))
#define lockdep_assert_held(l) ((void)(l))
#define lockdep_is_held(l) ((void)(l), 1)

/* Reference counts and atomics. */
typedef struct {
	int refs;
} refcount_t;

typedef struct {
	int counter;
} atomic_t;

typedef struct {
	s64 counter;
} atomic64_t;

#define REFCOUNT_INIT(n) { .refs = (n) }
#define ATOMIC_INIT(n) { .counter = (n) }
#define refcount_set(r, n) ((r)->refs = (n))
#define refcount_read(r) ((r)->refs)
#define refcount_inc(r) ((r)->refs++)
#define refcount_inc_not_zero(r) ((r)->refs ? ((r)->refs++, 1) : 0)
#define refcount_dec_and_test(r) (--(r)->refs == 0)
#define refcount_dec(r) ((r)->refs--)
#define atomic_set(a, n) ((a)->counter = (n))
#define atomic_read(a) ((a)->counter)
#define atomic_inc(a) ((a)->counter++)
#define atomic_dec(a) ((a)->counter--)
#define atomic_add(n, a) ((a)->counter += (n))
#define atomic_sub(n, a) ((a)->counter -= (n))
#define atomic_inc_return(a) (++(a)->counter)
#define atomic_dec_return(a) (--(a)->counter)
#define atomic_add_return(n, a) ((a)->counter += (n))
#define atomic64_set(a, n) ((a)->counter = (n))
#define atomic64_read(a) ((a)->counter)
#define atomic64_add(n, a) ((a)->counter += (n))
#define atomic64_sub(n, a) ((a)->counter -= (n))
#define atomic64_add_return(n, a) ((a)->counter += (n))

/* Per-CPU data: one CPU. */
#define alloc_percpu(type) ((type *)calloc(1, sizeof(type)))
#define free_percpu(p) free(p)
#define per_cpu_ptr(p, cpu) ((void)(cpu), (p))
#define this_cpu_ptr(p) (p)
#define this_cpu_add(var, n) ((var) += (n))
#define this_cpu_inc(var) ((var)++)
#define for_each_possible_cpu(cpu) for ((cpu) = 0; (cpu) < 1; (cpu)++)

/* Time: tests drive the clock by hand. */
extern u64 kmqtt_test_now;
#define HZ 100
static inline u64 kmqtt_now_sec(void)
{
	return kmqtt_test_now;
}

/* Randomness: deterministic, so that failures replay. */
static inline u32 get_random_u32(void)
{
	static u32 s = 2463534242u;

	s ^= s << 13;
	s ^= s >> 17;
	s ^= s << 5;
	return s;
}

static inline void get_random_bytes(void *buf, size_t n)
{
	u8 *p = buf;

	while (n--)
		*p++ = (u8)get_random_u32();
}

static inline u32 jhash(const void *key, u32 len, u32 initval)
{
	const u8 *p = key;
	u32 h = 2166136261u ^ initval;

	while (len--)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static inline u16 get_unaligned_be16(const void *p)
{
	const u8 *b = p;

	return (u16)(b[0] << 8 | b[1]);
}

static inline void put_unaligned_be16(u16 v, void *p)
{
	u8 *b = p;

	b[0] = v >> 8;
	b[1] = (u8)v;
}

static inline u32 get_unaligned_be32(const void *p)
{
	const u8 *b = p;

	return (u32)b[0] << 24 | (u32)b[1] << 16 | (u32)b[2] << 8 | b[3];
}

static inline void put_unaligned_be32(u32 v, void *p)
{
	u8 *b = p;

	b[0] = v >> 24;
	b[1] = (u8)(v >> 16);
	b[2] = (u8)(v >> 8);
	b[3] = (u8)v;
}

/* An output segment, as the kernel's <linux/uio.h> has it. */
struct kvec {
	void *iov_base;
	size_t iov_len;
};

#define scnprintf(buf, size, ...) \
	({ int __n = snprintf(buf, size, __VA_ARGS__); \
	   (size) == 0 ? 0 : (__n < 0 ? 0 : \
	   ((size_t)__n >= (size) ? (int)(size) - 1 : __n)); })

#endif /* __KERNEL__ */

#endif /* KMQTT_SHIM_H */
