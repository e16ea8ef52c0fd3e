// SPDX-License-Identifier: GPL-2.0
/*
 * netfuzz helpers: the PRNG, the clock and the frame reader. Byte buffers
 * and framing come from the selftests' raw client, compiled in here rather
 * than linked so that every way netfuzz is built (its Makefile, and the
 * fallback in tests/selftests/hardening_netfuzz.sh, which compiles the four
 * nf sources only) gets it.
 */
#include "../../selftests/mqtt_raw.c"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "nf.h"

void nf_buf_reserve(struct mq_buf *b, size_t more)
{
	mq_reserve(b, more);
}

uint64_t nf_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

void nf_rng_seed(struct nf_rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++) {
		seed = nf_mix(seed);
		r->s[i] = seed | (i == 0);	/* never all zero */
	}
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t nf_rng_next(struct nf_rng *r)
{
	uint64_t *s = r->s;
	uint64_t res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

uint32_t nf_rng_below(struct nf_rng *r, uint32_t n)
{
	return n ? (uint32_t)((nf_rng_next(r) >> 32) * n >> 32) : 0;
}

bool nf_rng_pct(struct nf_rng *r, unsigned int pct)
{
	return nf_rng_below(r, 100) < pct;
}

int64_t nf_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long nf_parse_frame(const uint8_t *d, size_t n, uint32_t max,
		    struct nf_frame *f)
{
	uint32_t len = 0;
	size_t i;

	if (n < 2)
		return 0;
	for (i = 1; i <= 4; i++) {
		if (i >= n)
			return 0;
		len |= (uint32_t)(d[i] & 0x7f) << (7 * (i - 1));
		if (!(d[i] & 0x80))
			break;
	}
	if (i > 4 || len > max)
		return -1;
	if (n < i + 1 + len)
		return 0;
	f->hdr = d[0];
	f->len = len;
	f->body = d + i + 1;
	return (long)(i + 1 + len);
}
