/*
 * fuzz.h -- what the libFuzzer targets in tests/fuzz/ share: a check that
 * holds in any build (assert() would vanish under NDEBUG), and a reference
 * UTF-8 decoder written apart from shared/utf8.c to check it against.
 *
 * ref_utf8_decode() works from the bit patterns (leading ones give the
 * length, every continuation byte is 10xxxxxx) and rejects overlong forms,
 * surrogates and code points above U+10FFFF after decoding, where
 * utf8_decode() uses the second-byte ranges of RFC 3629's table. It returns
 * the length (1..4), -1 for invalid bytes or -2 when s ends inside a
 * sequence that could still be valid.
 */
#ifndef SOCKBIN_FUZZ_H
#define SOCKBIN_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__,	\
		    __LINE__, #cond);					\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static inline int
ref_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	static const uint32_t min[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t c;
	int n, i;

	if (len == 0)
		return -2;
	if ((s[0] & 0x80) == 0x00)
		n = 1, c = s[0];
	else if ((s[0] & 0xe0) == 0xc0)
		n = 2, c = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		n = 3, c = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		n = 4, c = s[0] & 0x07;
	else
		return -1;
	for (i = 1; i < n; i++) {
		if ((size_t)i >= len) {
			/* Cut short: could the rest still make it valid?
			 * Complete it with the smallest and the largest
			 * continuation bytes and see if either decodes. */
			unsigned char t[4];
			uint32_t x;
			int j, k;

			for (k = 0; k < 2; k++) {
				for (j = 0; j < n; j++)
					t[j] = j < i ? s[j] : k ? 0xbf : 0x80;
				if (ref_utf8_decode(t, n, &x) == n)
					return -2;
			}
			/* A second byte in the middle of the range (E0 A0,
			 * ED 9F, F0 90, F4 8F are edges): try them all. */
			if (i == 1) {
				for (j = 0x80; j <= 0xbf; j++) {
					t[0] = s[0];
					t[1] = j;
					t[2] = t[3] = 0x80;
					if (ref_utf8_decode(t, n, &x) == n)
						return -2;
				}
			}
			return -1;
		}
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min[n] || (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return -1;
	*cp = c;
	return n;
}

/* 1 when s[0..len) is valid UTF-8 (NUL allowed), else 0 with the offset
 * of the first sequence that is not in *bad. */
static inline int
ref_utf8_valid(const void *buf, size_t len, size_t *bad)
{
	const unsigned char *s = buf;
	size_t off = 0;
	uint32_t cp;
	int n;

	while (off < len) {
		if ((n = ref_utf8_decode(s + off, len - off, &cp)) < 0) {
			if (bad != NULL)
				*bad = off;
			return 0;
		}
		off += n;
	}
	return 1;
}

#endif
