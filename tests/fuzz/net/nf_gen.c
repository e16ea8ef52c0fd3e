// SPDX-License-Identifier: GPL-2.0
/*
 * netfuzz session generator: a valid MQTT 3.1/3.1.1 client session (CONNECT,
 * SUBSCRIBE, PUBLISH at QoS 0-2 with their flows, acks, PINGREQ,
 * UNSUBSCRIBE, DISCONNECT), then mutations on the frame list (lengths pushed
 * to their limits, strings running past the frame, reordering, duplicate or
 * missing CONNECT, bad headers, garbage, oversized frames, packet id 0, bad
 * UTF-8) and on the serialised bytes (bit flips, truncation, RST mid-frame),
 * and finally a write/close plan (all at once, chunks, slow drip; FIN, RST,
 * wait for the broker, hold without reading).
 *
 * Everything is drawn from a PRNG seeded with (seed, connection number).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nf.h"

const char *const nf_mutation_names[NF_MUT_COUNT] = {
	"bitflip", "truncate", "len_limit", "strlen", "reorder", "dup_connect",
	"no_connect", "bad_header", "garbage", "huge", "pid0", "bad_utf8",
	"reset",
};

#define GEN_MAX_FRAMES	96
#define GEN_MAX_STRS	8
/* Kept below any sane maximum packet size, except for NF_MUT_HUGE. */
#define GEN_MAX_PAYLOAD	16384
/* kmqtt's default maximum packet size; HUGE frames go past it. */
#define GEN_HUGE_BASE	(256u << 10)
/* Distinct client ids per run (see gen_connect). */
#define NF_CLIENT_IDS	512

struct gframe {
	uint8_t hdr;
	struct mq_buf body;
	bool raw;		/* body is sent as is: no header, no length */
	bool mutated;
	bool len_override;
	uint8_t len_bytes[5];
	uint8_t len_n;
	uint16_t str_off[GEN_MAX_STRS];	/* u16 length fields in body */
	uint8_t nstr;
	int32_t pid_off;		/* -1: none */
};

struct gsess {
	struct gframe f[GEN_MAX_FRAMES];
	int n;
	struct nf_rng r;
	const struct nf_gen_opts *o;
	uint64_t idx;
	uint16_t next_pid;
};

static struct gframe *gf_new(struct gsess *s, uint8_t hdr)
{
	struct gframe *f;

	if (s->n >= GEN_MAX_FRAMES)
		return NULL;
	f = &s->f[s->n++];
	memset(f, 0, sizeof(*f));
	f->hdr = hdr;
	f->pid_off = -1;
	return f;
}

/* Remember that a u16 string length starts here (for mutations). */
static void gf_mark_str(struct gframe *f)
{
	if (f->nstr < GEN_MAX_STRS)
		f->str_off[f->nstr++] = f->body.n;
}

static void gf_str(struct gframe *f, const char *str)
{
	gf_mark_str(f);
	mq_put_str(&f->body, str);
}

static void gf_pid(struct gframe *f, uint16_t pid)
{
	f->pid_off = f->body.n;
	mq_put_u16(&f->body, pid);
}

static uint16_t gs_pid(struct gsess *s)
{
	if (++s->next_pid == 0)
		s->next_pid = 1;
	return s->next_pid;
}

/* ---- topics ----------------------------------------------------------- */

static void topic_name(struct gsess *s, char *out, size_t cap)
{
	struct nf_rng *r = &s->r;
	size_t n;

	switch (nf_rng_below(r, 12)) {
	case 0:
		snprintf(out, cap, "nf/%s/a", s->o->tag);
		break;
	case 1:
		snprintf(out, cap, "nf/%s/a/b", s->o->tag);
		break;
	case 2:
		snprintf(out, cap, "nf/c/d/e/%u", nf_rng_below(r, 8));
		break;
	case 3:	/* a small, bounded set of retained topics */
		snprintf(out, cap, "nf/r/%u", nf_rng_below(r, 64));
		break;
	case 4:
		snprintf(out, cap, "nf/\xc3\xbc/\xe2\x82\xac/%u",
			 nf_rng_below(r, 4));
		break;
	case 5:
		snprintf(out, cap, "nf//x/");
		break;
	case 6:
		snprintf(out, cap, "/");
		break;
	case 7:
		snprintf(out, cap, "$SYS/nf/%u", nf_rng_below(r, 4));
		break;
	case 8: {	/* deep: up to ~300 levels */
		uint32_t lv = 2 + nf_rng_below(r, nf_rng_pct(r, 20) ? 300 : 40);

		n = snprintf(out, cap, "nf");
		while (lv-- && n + 3 < cap)
			n += snprintf(out + n, cap - n, "/%c",
				      'a' + nf_rng_below(r, 26));
		break;
	}
	case 9: {	/* long single level */
		uint32_t len = 1 + nf_rng_below(r, 600);

		n = snprintf(out, cap, "nf/");
		while (len-- && n + 1 < cap)
			out[n++] = 'a' + nf_rng_below(r, 26);
		out[n] = 0;
		break;
	}
	default:
		snprintf(out, cap, "nf/%s/%u", s->o->tag, nf_rng_below(r, 16));
		break;
	}
}

static void topic_filter(struct gsess *s, char *out, size_t cap)
{
	static const char *const fixed[] = {
		"#", "+", "+/+", "nf/#", "nf/+/a", "nf/r/#", "+/#", "$SYS/#",
		"nf/+/+/+/#", "/#", "nf//+",
	};
	struct nf_rng *r = &s->r;
	uint32_t k = nf_rng_below(r, 16);

	if (k < sizeof(fixed) / sizeof(fixed[0])) {
		snprintf(out, cap, "%s", fixed[k]);
	} else if (k == 11) {	/* the checker's topics: load its fan-out */
		snprintf(out, cap, "%s/#", s->o->check_prefix);
	} else if (k == 12) {
		uint32_t lv = 1 + nf_rng_below(r, 200);
		size_t n = snprintf(out, cap, "nf");

		while (lv-- && n + 3 < cap)
			n += snprintf(out + n, cap - n, "/+");
	} else {
		topic_name(s, out, cap);
	}
}

static void payload(struct gsess *s, struct mq_buf *b)
{
	struct nf_rng *r = &s->r;
	uint32_t p = nf_rng_below(r, 100), len, i;

	if (p < 60)
		len = nf_rng_below(r, 64);
	else if (p < 90)
		len = 64 + nf_rng_below(r, 960);
	else
		len = nf_rng_below(r, GEN_MAX_PAYLOAD);
	nf_buf_reserve(b, len);
	for (i = 0; i < len; i++)
		b->d[b->n + i] = (uint8_t)nf_rng_next(r);
	b->n += len;
}

/* ---- valid packets ------------------------------------------------------ */

static void gen_connect(struct gsess *s)
{
	struct nf_rng *r = &s->r;
	struct gframe *f = gf_new(s, 0x10);
	bool v31 = nf_rng_pct(r, 15);
	bool clean = nf_rng_pct(r, 70), empty_id = clean && nf_rng_pct(r, 10);
	bool will = nf_rng_pct(r, 25), user = nf_rng_pct(r, 15);
	uint8_t flags = 0;
	uint16_t ka;
	size_t at;
	char id[48], t[1024];

	if (!f)
		return;
	gf_str(f, v31 ? "MQIsdp" : "MQTT");
	mq_put_u8(&f->body, v31 ? 3 : 4);
	if (clean)
		flags |= 0x02;
	if (will) {
		flags |= 0x04 | nf_rng_below(r, 3) << 3;
		if (nf_rng_pct(r, 20))
			flags |= 0x20;
	}
	if (user)
		flags |= 0x80 | (nf_rng_pct(r, 80) ? 0x40 : 0);
	mq_put_u8(&f->body, flags);
	ka = nf_rng_pct(r, 10) ? 1 + nf_rng_below(r, 2) :
	     nf_rng_pct(r, 5) ? 0 : 60;
	mq_put_u16(&f->body, ka);
	/*
	 * MQTT 3.1 allows 23 bytes: keep ids short. A bounded id space keeps
	 * the persistent (clean = 0) sessions left behind bounded too, and
	 * makes concurrent connections take each other's sessions over.
	 */
	if (empty_id)
		id[0] = 0;
	else
		snprintf(id, sizeof(id), "nf%s-%llx", s->o->tag,
			 (unsigned long long)(s->idx % NF_CLIENT_IDS));
	gf_str(f, id);
	if (will) {
		topic_name(s, t, sizeof(t));
		gf_str(f, t);
		gf_mark_str(f);
		mq_put_u16(&f->body, 0);	/* will message, patched below */
		at = f->body.n;
		payload(s, &f->body);
		if (f->body.n - at > 512)	/* keep wills small */
			f->body.n = at + 512;
		f->body.d[at - 2] = (f->body.n - at) >> 8;
		f->body.d[at - 1] = (f->body.n - at) & 0xff;
	}
	if (flags & 0x80)
		gf_str(f, "nfuser");
	if (flags & 0x40)
		gf_str(f, "nfpass");
}

static void gen_publish(struct gsess *s, int qos)
{
	struct nf_rng *r = &s->r;
	bool retain = nf_rng_pct(r, 10);
	uint8_t hdr = 0x30 | qos << 1 | (retain ? 1 : 0);
	struct gframe *f;
	uint16_t pid = 0;
	char t[1024];

	if (nf_rng_pct(r, 5))
		hdr |= 0x08;	/* DUP */
	f = gf_new(s, hdr);
	if (!f)
		return;
	topic_name(s, t, sizeof(t));
	gf_str(f, t);
	if (qos) {
		pid = gs_pid(s);
		gf_pid(f, pid);
	}
	if (!(retain && nf_rng_pct(r, 30)))	/* else: delete retained */
		payload(s, &f->body);
	if (qos == 2 && nf_rng_pct(r, 85)) {
		/* Complete the flow (the PUBREC is not waited for). */
		f = gf_new(s, 0x62);
		if (f)
			gf_pid(f, pid);
	}
}

/* SUBSCRIBE (filters with a QoS byte each) or UNSUBSCRIBE. */
static void gen_filters(struct gsess *s, bool subscribe)
{
	struct nf_rng *r = &s->r;
	struct gframe *f = gf_new(s, subscribe ? 0x82 : 0xa2);
	uint32_t n = 1 + (subscribe ?
			  nf_rng_below(r, nf_rng_pct(r, 10) ? 40 : 4) :
			  nf_rng_below(r, 3));
	char t[1024];

	if (!f)
		return;
	gf_pid(f, gs_pid(s));
	while (n--) {
		topic_filter(s, t, sizeof(t));
		gf_str(f, t);
		if (subscribe)
			mq_put_u8(&f->body, nf_rng_below(r, 3));
	}
}

static void gen_ack(struct gsess *s)
{
	static const uint8_t types[] = { 0x40, 0x50, 0x62, 0x70 };
	struct gframe *f = gf_new(s, types[nf_rng_below(&s->r, 4)]);

	/* Acks for what the broker may have sent: it numbers from 1. */
	if (f)
		gf_pid(f, 1 + nf_rng_below(&s->r, 24));
}

static void gen_session(struct gsess *s)
{
	struct nf_rng *r = &s->r;
	uint32_t n = 1 + nf_rng_below(r, s->o->max_packets);

	gen_connect(s);
	while (n-- && s->n < GEN_MAX_FRAMES - 4) {
		uint32_t k = nf_rng_below(r, 100);

		if (k < 15)
			gen_publish(s, 0);
		else if (k < 27)
			gen_publish(s, 1);
		else if (k < 40)
			gen_publish(s, 2);
		else if (k < 57)
			gen_filters(s, true);
		else if (k < 65)
			gen_filters(s, false);
		else if (k < 75)
			gf_new(s, 0xc0);	/* PINGREQ */
		else
			gen_ack(s);
	}
	if (nf_rng_pct(r, 70))
		gf_new(s, 0xe0);	/* DISCONNECT */
}

/* ---- frame-level mutations --------------------------------------------- */

static struct gframe *pick(struct gsess *s)
{
	return s->n ? &s->f[nf_rng_below(&s->r, s->n)] : NULL;
}

static struct gframe *pick_with(struct gsess *s, bool strs)
{
	int tries;

	for (tries = 0; tries < 16; tries++) {
		struct gframe *f = pick(s);

		if (f && !f->raw && (strs ? f->nstr > 0 : f->pid_off >= 0))
			return f;
	}
	return NULL;
}

static void mut_len_limit(struct gsess *s)
{
	struct gframe *f = pick(s);
	struct nf_rng *r = &s->r;
	uint32_t len, v;

	if (!f || f->raw)
		return;
	len = f->body.n;
	f->mutated = true;
	f->len_override = true;
	switch (nf_rng_below(r, 9)) {
	case 0:		/* zero */
		f->len_bytes[0] = 0;
		f->len_n = 1;
		return;
	case 1:		/* the largest value MQTT can encode: 256 MiB */
		memcpy(f->len_bytes, "\xff\xff\xff\x7f", 4);
		f->len_n = 4;
		return;
	case 2:		/* a 5-byte encoding (invalid) */
		memcpy(f->len_bytes, "\xff\xff\xff\xff\x7f", 5);
		f->len_n = 5;
		return;
	case 3:		/* 5 bytes whose value would fit in 4 */
		memcpy(f->len_bytes, "\x80\x80\x80\x80\x01", 5);
		f->len_n = 5;
		return;
	case 4:		/* non-minimal encoding of the right value */
		f->len_bytes[0] = (len & 0x7f) | 0x80;
		f->len_bytes[1] = 0x80 | ((len >> 7) & 0x7f);
		f->len_bytes[2] = (len >> 14) & 0x7f;
		f->len_n = 3;
		return;
	case 5:
		v = len + 1;
		break;
	case 6:
		v = len ? len - 1 : 1;
		break;
	case 7:		/* just over the default maximum packet size */
		v = GEN_HUGE_BASE + nf_rng_below(r, 16);
		break;
	default:
		v = len + 1 + nf_rng_below(r, 4096);
		break;
	}
	f->len_n = mq_encode_len(f->len_bytes, v);
}

static void mut_strlen(struct gsess *s)
{
	struct gframe *f = pick_with(s, true);
	uint16_t off, v;
	uint32_t past;

	if (!f)
		return;
	off = f->str_off[nf_rng_below(&s->r, f->nstr)];
	if (off + 2u > f->body.n)
		return;
	past = f->body.n - off - 2;	/* bytes after the length field */
	switch (nf_rng_below(&s->r, 4)) {
	case 0:
		v = 0xffff;
		break;
	case 1:
		v = past + 1 > 0xffff ? 0xffff : past + 1;
		break;
	case 2:
		v = past + 1 + nf_rng_below(&s->r, 64) > 0xffff ? 0xffff :
		    past + 1 + nf_rng_below(&s->r, 64);
		break;
	default:
		v = 0;
		break;
	}
	f->body.d[off] = v >> 8;
	f->body.d[off + 1] = v & 0xff;
	f->mutated = true;
}

static void mut_reorder(struct gsess *s)
{
	struct gframe t;
	int a, b;

	if (s->n < 2)
		return;
	a = nf_rng_below(&s->r, s->n);
	b = nf_rng_pct(&s->r, 40) ? 0 : (int)nf_rng_below(&s->r, s->n);
	if (a == b)
		b = (a + 1) % s->n;
	t = s->f[a];
	s->f[a] = s->f[b];
	s->f[b] = t;
	s->f[a].mutated = s->f[b].mutated = true;
}

/* Insert @src (its body now owned by the session), or free it if full. */
static void insert_at(struct gsess *s, int at, struct gframe *src)
{
	if (s->n >= GEN_MAX_FRAMES) {
		mq_buf_free(&src->body);
		return;
	}
	memmove(&s->f[at + 1], &s->f[at], (s->n - at) * sizeof(s->f[0]));
	s->f[at] = *src;
	s->n++;
}

static void mut_dup_connect(struct gsess *s)
{
	struct gframe c;

	if (!s->n || s->f[0].hdr != 0x10 || s->f[0].raw)
		return;
	c = s->f[0];
	c.body.d = malloc(c.body.n ? c.body.n : 1);
	c.body.cap = c.body.n;
	if (!c.body.d)
		abort();
	memcpy(c.body.d, s->f[0].body.d, c.body.n);
	c.mutated = true;
	insert_at(s, 1 + nf_rng_below(&s->r, s->n), &c);
}

static void mut_no_connect(struct gsess *s)
{
	if (!s->n || s->f[0].hdr != 0x10)
		return;
	mq_buf_free(&s->f[0].body);
	memmove(&s->f[0], &s->f[1], (s->n - 1) * sizeof(s->f[0]));
	s->n--;
	if (s->n)
		s->f[0].mutated = true;
}

static void mut_bad_header(struct gsess *s)
{
	static const uint8_t bad[] = {
		0x00, 0xf0, 0x20, 0x90, 0xb0, 0xd0, 0x80, 0xa0, 0x60, 0x12,
		0xc1, 0xe1, 0x36, 0x3e,
	};
	struct gframe *f = pick(s);
	uint32_t k;

	if (!f || f->raw)
		return;
	k = nf_rng_below(&s->r, sizeof(bad) + 2);
	if (k < sizeof(bad))
		f->hdr = bad[k];
	else if ((f->hdr & 0xf0) == 0x30)
		f->hdr |= 0x06;			/* QoS 3 */
	else
		f->hdr ^= 1 << nf_rng_below(&s->r, 4);	/* flags */
	f->mutated = true;
}

static void mut_garbage(struct gsess *s)
{
	struct gframe g;
	uint32_t len, i;

	memset(&g, 0, sizeof(g));
	g.raw = true;
	g.mutated = true;
	g.pid_off = -1;
	len = 1 + nf_rng_below(&s->r, 64);
	nf_buf_reserve(&g.body, len);
	if (nf_rng_pct(&s->r, 25))
		memset(g.body.d, 0xff, len);
	else
		for (i = 0; i < len; i++)
			g.body.d[i] = (uint8_t)nf_rng_next(&s->r);
	g.body.n = len;
	insert_at(s, nf_rng_below(&s->r, s->n + 1), &g);
}

static void mut_huge(struct gsess *s)
{
	struct gframe h;
	uint32_t extra = nf_rng_below(&s->r, 8192);

	memset(&h, 0, sizeof(h));
	h.hdr = 0x30;
	h.mutated = true;
	h.pid_off = -1;
	h.str_off[h.nstr++] = 0;
	mq_put_str(&h.body, "nf/huge");
	nf_buf_reserve(&h.body, GEN_HUGE_BASE + extra);
	memset(h.body.d + h.body.n, 'h', GEN_HUGE_BASE + extra);
	h.body.n += GEN_HUGE_BASE + extra;
	insert_at(s, s->n ? 1 + nf_rng_below(&s->r, s->n) : 0, &h);
}

static void mut_pid0(struct gsess *s)
{
	struct gframe *f = pick_with(s, false);

	if (!f)
		return;
	f->body.d[f->pid_off] = 0;
	f->body.d[f->pid_off + 1] = 0;
	f->mutated = true;
}

static void mut_bad_utf8(struct gsess *s)
{
	static const char *const bad[] = {
		"\xc0\x80", "\xed\xa0\x80", "", "\xff", "\xf4\x90\x80\x80",
		"+", "#", "\xc3", "\xe2\x82",
	};
	struct gframe *f = pick_with(s, true);
	uint16_t off, len;
	uint32_t k;
	size_t bl;
	const char *b;

	if (!f)
		return;
	off = f->str_off[nf_rng_below(&s->r, f->nstr)];
	if (off + 2u > f->body.n)
		return;
	len = f->body.d[off] << 8 | f->body.d[off + 1];
	k = nf_rng_below(&s->r, sizeof(bad) / sizeof(bad[0]));
	b = bad[k];
	bl = k == 2 ? 1 : strlen(b);	/* bad[2] stands for one NUL */
	if (len < bl || off + 2u + len > f->body.n)
		return;
	memcpy(f->body.d + off + 2 + nf_rng_below(&s->r, len - bl + 1), b, bl);
	f->mutated = true;
}

/* ---- serialisation and byte-level mutations ---------------------------- */

static void serialise(struct gsess *s, struct nf_plan *p, size_t *starts)
{
	int i;

	for (i = 0; i < s->n; i++) {
		struct gframe *f = &s->f[i];

		starts[i] = p->bytes.n;
		if (f->raw) {
			mq_put_bytes(&p->bytes, f->body.d, f->body.n);
		} else if (f->len_override) {
			mq_put_u8(&p->bytes, f->hdr);
			mq_put_bytes(&p->bytes, f->len_bytes, f->len_n);
			mq_put_bytes(&p->bytes, f->body.d, f->body.n);
		} else {
			mq_frame(&p->bytes, f->hdr, &f->body);
		}
	}
	starts[s->n] = p->bytes.n;
}

static int frame_at(const size_t *starts, int n, size_t off)
{
	int i;

	for (i = 0; i < n; i++)
		if (off < starts[i + 1])
			return i;
	return n - 1;
}

static void add_mark(struct nf_plan *p, size_t off)
{
	uint32_t i;

	for (i = 0; i < p->nmarks; i++)
		if (p->marks[i] == off)
			return;
	if (p->nmarks < NF_MAX_MARKS)
		p->marks[p->nmarks++] = off;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

void nf_plan_build(struct nf_plan *p, const struct nf_gen_opts *o,
		   uint64_t idx)
{
	static const unsigned int weights[NF_MUT_COUNT] = {
		[NF_MUT_BITFLIP] = 14, [NF_MUT_TRUNCATE] = 8,
		[NF_MUT_LEN_LIMIT] = 14, [NF_MUT_STRLEN] = 10,
		[NF_MUT_REORDER] = 8, [NF_MUT_DUP_CONNECT] = 6,
		[NF_MUT_NO_CONNECT] = 4, [NF_MUT_BAD_HEADER] = 8,
		[NF_MUT_GARBAGE] = 6, [NF_MUT_HUGE] = 2, [NF_MUT_PID0] = 5,
		[NF_MUT_BAD_UTF8] = 7, [NF_MUT_RESET] = 8,
	};
	struct gsess *s = calloc(1, sizeof(*s));
	size_t starts[GEN_MAX_FRAMES + 1];
	struct nf_rng *r;
	unsigned int total = 0, nmut = 0, i;
	bool truncate = false, reset = false, silent;
	int k;

	if (!s)
		abort();
	memset(p, 0, sizeof(*p));
	s->o = o;
	s->idx = idx;
	r = &s->r;
	nf_rng_seed(r, nf_mix(o->seed) ^ nf_mix(idx + 0x5eed));

	/* A few connections never send anything (connect timeout). */
	silent = nf_rng_pct(r, 2);
	if (!silent)
		gen_session(s);
	if (!silent && !nf_rng_pct(r, o->valid_pct))
		nmut = 1 + nf_rng_below(r, 3);
	for (i = 0; i < NF_MUT_COUNT; i++)
		total += weights[i];
	while (nmut--) {
		uint32_t pickw = nf_rng_below(r, total), m = 0;

		while (pickw >= weights[m])
			pickw -= weights[m++];
		p->mutations |= 1u << m;
		switch (m) {
		case NF_MUT_LEN_LIMIT:
			mut_len_limit(s);
			break;
		case NF_MUT_STRLEN:
			mut_strlen(s);
			break;
		case NF_MUT_REORDER:
			mut_reorder(s);
			break;
		case NF_MUT_DUP_CONNECT:
			mut_dup_connect(s);
			break;
		case NF_MUT_NO_CONNECT:
			mut_no_connect(s);
			break;
		case NF_MUT_BAD_HEADER:
			mut_bad_header(s);
			break;
		case NF_MUT_GARBAGE:
			mut_garbage(s);
			break;
		case NF_MUT_HUGE:
			mut_huge(s);
			break;
		case NF_MUT_PID0:
			mut_pid0(s);
			break;
		case NF_MUT_BAD_UTF8:
			mut_bad_utf8(s);
			break;
		case NF_MUT_TRUNCATE:
			truncate = true;
			break;
		case NF_MUT_RESET:
			reset = true;
			break;
		default:	/* NF_MUT_BITFLIP: after serialisation */
			break;
		}
	}

	serialise(s, p, starts);
	p->nframes = s->n;
	for (k = 0; k < s->n; k++)
		if (s->f[k].mutated)
			add_mark(p, starts[k]);
	p->stop_at = p->bytes.n;

	if ((p->mutations & 1u << NF_MUT_BITFLIP) && p->bytes.n) {
		uint32_t flips = 1 + nf_rng_below(r, 8);

		while (flips--) {
			size_t off = nf_rng_below(r, p->bytes.n);

			p->bytes.d[off] ^= 1 << nf_rng_below(r, 8);
			add_mark(p, starts[frame_at(starts, s->n, off)]);
		}
	}
	if ((truncate || reset) && p->bytes.n > 1) {
		/* Cut strictly inside a frame when one is long enough. */
		int fi = nf_rng_below(r, s->n);
		size_t a = starts[fi], b = starts[fi + 1];

		p->stop_at = b - a > 1 ? a + 1 + nf_rng_below(r, b - a - 1) :
			     nf_rng_below(r, p->bytes.n);
		add_mark(p, starts[frame_at(starts, s->n, p->stop_at)]);
		p->reset_mid_frame = reset;
	}
	qsort(p->marks, p->nmarks, sizeof(p->marks[0]), cmp_size);

	/* How to write. */
	k = nf_rng_below(r, 100);
	if (k < (int)o->drip_pct) {
		/* Long enough to split frames, short enough to end. */
		p->write_mode = NF_WRITE_DRIP;
		p->gap_ms = 20 + nf_rng_below(r, 280);
		p->drip_until = 1 + nf_rng_below(r, 64);
	} else if (k < (int)o->drip_pct + 20) {
		p->write_mode = NF_WRITE_CHUNKS;
		p->gap_ms = nf_rng_below(r, 20);
	} else {
		p->write_mode = NF_WRITE_ALL;
	}
	/* How to end. */
	if (p->reset_mid_frame)
		p->end = NF_END_RESET;
	else if (silent)
		p->end = NF_END_HOLD;
	else if (s->n && s->f[s->n - 1].hdr == 0xe0 && !truncate)
		p->end = nf_rng_pct(r, 70) ? NF_END_CLOSE : NF_END_WAIT;
	else
		p->end = nf_rng_below(r, NF_END_COUNT);
	p->no_read = p->end == NF_END_HOLD && nf_rng_pct(r, 60);
	p->end_ms = p->end == NF_END_HOLD ? 100 + nf_rng_below(r, 2900) :
		    100 + nf_rng_below(r, 1400);

	for (k = 0; k < s->n; k++)
		mq_buf_free(&s->f[k].body);
	free(s);
}

void nf_plan_free(struct nf_plan *p)
{
	mq_buf_free(&p->bytes);
}
