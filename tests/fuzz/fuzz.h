/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every harness needs besides the core: failing loudly (libFuzzer
 * saves the input of an abort() as a crash), and reading the input as a
 * stream of bytes that reads as zeros once it is used up. Define FUZZ_NAME
 * (the harness's name, for the message) before including this.
 */
#ifndef KMQTT_FUZZ_H
#define KMQTT_FUZZ_H

#include "shim.h"

static void __attribute__((noreturn, unused)) fail(const char *what)
{
	fprintf(stderr, "%s: %s\n", FUZZ_NAME, what);
	abort();
}

#define CHECK(c) do { if (!(c)) fail(#c); } while (0)

struct in {
	const u8 *p;
	size_t n;
};

static inline u8 next(struct in *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

#endif /* KMQTT_FUZZ_H */
