/*
 * prng.h -- a small deterministic generator for the unit tests' random
 * inputs: the same seed gives the same cases on every run and machine.
 */
#ifndef SOCKBIN_TEST_PRNG_H
#define SOCKBIN_TEST_PRNG_H

#include <stdint.h>

static inline uint32_t
xorshift32(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

#endif
