/* SPDX-License-Identifier: GPL-2.0 */
/*
 * netfuzz: a network fuzzer for MQTT 3.1.1 brokers (kmqtt in the debug VM).
 *
 * One process, one epoll loop. Fuzz connections send generated-then-mutated
 * MQTT sessions (nf_gen.c); beside them a well-behaved checker (nf_check.c)
 * publishes sequence-numbered QoS 1/2 messages to its own subscriber and
 * verifies at the end that nothing was lost or (QoS 2) duplicated.
 *
 * Reproducibility: connection number K's byte stream and its write/close
 * plan depend only on (seed, K), never on timing, so `--dump K` prints
 * exactly what connection K sent in a run with the same seed.
 */
#ifndef NF_H
#define NF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "../../selftests/mqtt_raw.h"

/* ---- small helpers ---------------------------------------------------- */

/*
 * Byte buffers and MQTT framing are the selftests' raw client's
 * (tests/selftests/mqtt_raw.h: struct mq_buf, mq_put_*(), mq_encode_len(),
 * mq_frame()); nf_util.c compiles mqtt_raw.c in.
 */
void nf_buf_reserve(struct mq_buf *b, size_t more);

/* Deterministic PRNG (splitmix64-seeded xoshiro256**). */
struct nf_rng {
	uint64_t s[4];
};

void nf_rng_seed(struct nf_rng *r, uint64_t seed);
uint64_t nf_rng_next(struct nf_rng *r);
/* Uniform in [0, n); n > 0. */
uint32_t nf_rng_below(struct nf_rng *r, uint32_t n);
/* True with probability pct / 100. */
bool nf_rng_pct(struct nf_rng *r, unsigned int pct);
uint64_t nf_mix(uint64_t x);

int64_t nf_now_ms(void);

/* ---- fuzz session plans (nf_gen.c) ------------------------------------ */

/* How the bytes are written. */
enum nf_write_mode {
	NF_WRITE_ALL,		/* as fast as the socket takes them */
	NF_WRITE_CHUNKS,	/* random small chunks, short gaps */
	NF_WRITE_DRIP,		/* 1..3 bytes per write, long gaps, then all */
};

/* What happens after the last byte (or at @stop_at). */
enum nf_end {
	NF_END_CLOSE,		/* close(): FIN */
	NF_END_RESET,		/* SO_LINGER 0 close(): RST */
	NF_END_WAIT,		/* keep reading until the broker closes (bounded) */
	NF_END_HOLD,		/* keep the socket open, never read (bounded) */
	NF_END_COUNT
};

#define NF_MAX_MARKS 64

struct nf_plan {
	struct mq_buf bytes;	/* everything this connection sends */
	size_t stop_at;		/* stop sending here (== bytes.n: send all) */
	enum nf_write_mode write_mode;
	enum nf_end end;
	bool reset_mid_frame;	/* stop_at < bytes.n and ends with RST */
	bool no_read;		/* never read what the broker sends */
	uint32_t gap_ms;	/* pause between writes (chunks, drip) */
	size_t drip_until;	/* drip: the rest goes out at full speed */
	uint32_t end_ms;	/* how long WAIT / HOLD lasts */
	/* Start offsets of mutated frames, to count the ones really sent. */
	size_t marks[NF_MAX_MARKS];
	uint32_t nmarks;
	uint32_t nframes;
	uint32_t mutations;	/* bit mask of enum nf_mutation applied */
};

enum nf_mutation {
	NF_MUT_BITFLIP,
	NF_MUT_TRUNCATE,
	NF_MUT_LEN_LIMIT,	/* remaining length 0 / max / 5 bytes / off by n */
	NF_MUT_STRLEN,		/* a string length past the frame */
	NF_MUT_REORDER,
	NF_MUT_DUP_CONNECT,
	NF_MUT_NO_CONNECT,
	NF_MUT_BAD_HEADER,	/* reserved type, bad flags, QoS 3 */
	NF_MUT_GARBAGE,
	NF_MUT_HUGE,		/* frame over the maximum packet size */
	NF_MUT_PID0,
	NF_MUT_BAD_UTF8,
	NF_MUT_RESET,		/* RST in the middle of a frame */
	NF_MUT_COUNT
};

extern const char *const nf_mutation_names[NF_MUT_COUNT];

struct nf_gen_opts {
	uint64_t seed;
	const char *tag;	/* short run tag used in client ids and topics */
	const char *check_prefix; /* the checker's topic prefix (fuzzers subscribe to it) */
	unsigned int valid_pct;	/* sessions left unmutated, percent */
	unsigned int drip_pct;	/* sessions written as slow drips, percent */
	unsigned int max_packets; /* packets per generated session */
};

/* Build connection @idx's plan (deterministic in opts->seed and @idx). */
void nf_plan_build(struct nf_plan *p, const struct nf_gen_opts *o,
		   uint64_t idx);
void nf_plan_free(struct nf_plan *p);

/* ---- MQTT frame reader (checker side) ---------------------------------- */

struct nf_frame {
	uint8_t hdr;
	uint32_t len;
	const uint8_t *body;
};

/*
 * Parse one frame at the start of @d (@n bytes). Returns its total size, 0 if
 * more bytes are needed, -1 if it is malformed or bigger than @max.
 */
long nf_parse_frame(const uint8_t *d, size_t n, uint32_t max,
		    struct nf_frame *f);

#endif /* NF_H */
