/* test_pingpong.c -- the code-word scanner (daemon/services/pingpong.c). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <criterion/criterion.h>

#include "daemon/services/pingpong.h"
#include "tests/unit/prng.h"

#define NONE	PINGPONG_NONE
#define CODE1	PINGPONG_CODE1
#define CODE2	PINGPONG_CODE2
#define GARBAGE	PINGPONG_GARBAGE

/* A token other than NONE and the offset of the byte that gave it. */
struct tok {
	enum pingpong_token	t;
	size_t			off;
};

static const char *
tok_name(enum pingpong_token t)
{
	switch (t) {
	case PINGPONG_NONE:
		return "NONE";
	case PINGPONG_CODE1:
		return "CODE1";
	case PINGPONG_CODE2:
		return "CODE2";
	case PINGPONG_GARBAGE:
		return "GARBAGE";
	}
	return "?";
}

/* Scan s[0..len) from offset base on, appending tokens; returns their count. */
static size_t
scan(struct pingpong_scanner *sc, const char *s, size_t len, size_t base,
    struct tok *out, size_t n)
{
	enum pingpong_token t;
	size_t i;

	for (i = 0; i < len; i++) {
		if ((t = pingpong_scan(sc, (unsigned char)s[i])) == NONE)
			continue;
		out[n].t = t;
		out[n].off = base + i;
		n++;
	}
	return n;
}

/* Whether two token lists of n entries are the same (padding aside). */
static int
same_tokens(const struct tok *a, const struct tok *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i].t != b[i].t || a[i].off != b[i].off)
			return 0;
	return 1;
}

/* Scan s with a fresh scanner and expect exactly these tokens. */
static void
expect_tokens(const char *s, const struct tok *want, size_t nwant)
{
	struct pingpong_scanner sc;
	struct tok got[64];
	size_t n, i;

	memset(&sc, 0, sizeof(sc));
	n = scan(&sc, s, strlen(s), 0, got, 0);
	cr_expect_eq(n, nwant, "\"%s\": %zu tokens, want %zu", s, n, nwant);
	for (i = 0; i < n && i < nwant; i++)
		cr_expect(got[i].t == want[i].t && got[i].off == want[i].off,
		    "\"%s\": token %zu is %s at %zu, want %s at %zu", s, i,
		    tok_name(got[i].t), got[i].off, tok_name(want[i].t),
		    want[i].off);
}

/* Feed word byte by byte: NONE until its last byte, then want. */
static void
expect_word(const char *word, enum pingpong_token want)
{
	struct pingpong_scanner sc;
	enum pingpong_token t;
	size_t i, len = strlen(word);

	memset(&sc, 0, sizeof(sc));
	for (i = 0; i < len; i++) {
		t = pingpong_scan(&sc, (unsigned char)word[i]);
		cr_expect_eq(t, i + 1 < len ? NONE : want, "\"%s\" byte %zu: "
		    "%s", word, i, tok_name(t));
	}
}

Test(pingpong, code1_at_last_byte)
{
	expect_word("_code1g", CODE1);
}

Test(pingpong, code2_at_last_byte)
{
	expect_word("_code2g", CODE2);
}

Test(pingpong, back_to_back)
{
	static const struct tok want[] = { { CODE1, 6 }, { CODE2, 13 },
	    { CODE1, 20 } };

	expect_tokens("_code1g_code2g_code1g", want, 3);
}

Test(pingpong, whitespace_between_words)
{
	static const struct tok want[] = { { CODE1, 10 }, { CODE2, 21 } };

	expect_tokens(" \t\r\n_code1g\r\n \t_code2g\n\n", want, 2);
	expect_tokens(" \t\r\n ", NULL, 0);
}

/* One GARBAGE for the first byte of a run of junk, then silence. */
Test(pingpong, garbage_once_then_recovers)
{
	static const struct tok want[] = { { GARBAGE, 0 }, { CODE2, 11 } };
	static const struct tok want_sp[] = { { GARBAGE, 0 }, { CODE2, 12 } };
	static const struct tok want_mid[] = { { CODE1, 6 },
	    { GARBAGE, 7 }, { CODE1, 17 } };

	expect_tokens("hello", want, 1);
	expect_tokens("hello_code2g", want, 2);
	expect_tokens("hello _code2g", want_sp, 2);
	expect_tokens("_code1gxyzw_code1g", want_mid, 3);
}

/* A '_' that breaks a word starts the next one. */
Test(pingpong, underscore_restarts)
{
	static const struct tok x[] = { { GARBAGE, 5 }, { CODE1, 12 } };
	static const struct tok under[] = { { GARBAGE, 5 }, { CODE1, 11 } };
	static const struct tok twice[] = { { GARBAGE, 1 }, { CODE2, 7 } };

	expect_tokens("_codeX_code1g", x, 2);
	expect_tokens("_code_code1g", under, 2);
	expect_tokens("__code2g", twice, 2);
}

/* The server's own word, or anything close, is not a client word. */
Test(pingpong, not_client_words)
{
	static const struct tok three[] = { { GARBAGE, 5 } };
	static const struct tok upper[] = { { GARBAGE, 1 } };
	static const struct tok last[] = { { GARBAGE, 6 } };
	static const struct tok split[] = { { GARBAGE, 3 } };

	expect_tokens("_code3g", three, 1);
	expect_tokens("_CODE1G", upper, 1);
	expect_tokens("_code1x", last, 1);
	/* Whitespace inside a word breaks it. */
	expect_tokens("_co de1g", split, 1);
}

/* A NUL byte is junk like any other, not the end of a string. */
Test(pingpong, nul_byte)
{
	static const char s[] = "_co\0e1g_code1g";
	static const struct tok want[] = { { GARBAGE, 3 }, { CODE1, 13 } };
	struct pingpong_scanner sc;
	struct tok got[8];
	size_t n, i;

	memset(&sc, 0, sizeof(sc));
	n = scan(&sc, s, sizeof(s) - 1, 0, got, 0);
	cr_assert_eq(n, 2, "%zu tokens", n);
	for (i = 0; i < 2; i++)
		cr_expect(got[i].t == want[i].t && got[i].off == want[i].off,
		    "token %zu: %s at %zu", i, tok_name(got[i].t), got[i].off);
}

/*
 * A long stream of words, whitespace and junk: however it is cut into
 * chunks, the scanner state (copied between chunks, as a connection keeps
 * it between reads) gives the same tokens at the same offsets as one pass.
 */
Test(pingpong, every_split_same_tokens)
{
	static const char *const piece[] = { "_code1g", "_code2g", " ",
	    "\r\n", "\t", "junk", "_code", "_", "_code3g", "x" };
	struct pingpong_scanner whole, sc, copy;
	struct tok ref[512], got[512];
	char s[1024];
	uint32_t seed = 0x9194;
	size_t len = 0, nref, n, cut, cut2, off, next, k;

	while (len < 300) {
		k = xorshift32(&seed) % (sizeof(piece) / sizeof(piece[0]));
		memcpy(s + len, piece[k], strlen(piece[k]));
		len += strlen(piece[k]);
	}
	memset(&whole, 0, sizeof(whole));
	nref = scan(&whole, s, len, 0, ref, 0);
	cr_assert_gt(nref, 20, "only %zu tokens", nref);

	/* Every single cut and every pair of cuts. */
	for (cut = 0; cut <= len; cut++) {
		for (cut2 = cut; cut2 <= len; cut2++) {
			memset(&sc, 0, sizeof(sc));
			n = scan(&sc, s, cut, 0, got, 0);
			copy = sc;
			n = scan(&copy, s + cut, cut2 - cut, cut, got, n);
			sc = copy;
			n = scan(&sc, s + cut2, len - cut2, cut2, got, n);
			cr_assert_eq(n, nref, "cuts %zu, %zu: %zu tokens, "
			    "want %zu", cut, cut2, n, nref);
			cr_assert(same_tokens(got, ref, n), "cuts %zu, %zu: "
			    "tokens differ", cut, cut2);
		}
	}

	/* Random chunk sizes, from one byte up. */
	for (k = 0; k < 200; k++) {
		memset(&sc, 0, sizeof(sc));
		n = 0;
		for (off = 0; off < len; off = next) {
			next = off + 1 + xorshift32(&seed) % (k % 16 + 1);
			if (next > len)
				next = len;
			copy = sc;
			n = scan(&copy, s + off, next - off, off, got, n);
			sc = copy;
		}
		cr_assert_eq(n, nref, "round %zu", k);
		cr_assert(same_tokens(got, ref, n), "round %zu: tokens differ",
		    k);
	}
}
