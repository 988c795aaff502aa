/* test_utf8.c -- strict UTF-8 decoding and encoding (shared/utf8.c). */
#include <stdint.h>
#include <string.h>

#include <criterion/criterion.h>

#include "shared/utf8.h"

/* Decode s (len bytes, strlen when len is 0) and expect ret and cp. */
static void
expect_decode(const char *s, size_t len, int ret, uint32_t cp)
{
	uint32_t got = 0xdeadbeef;
	int n;

	if (len == 0)
		len = strlen(s);
	n = utf8_decode((const unsigned char *)s, len, &got);
	cr_expect_eq(n, ret, "decode of %zu bytes starting %02x: got %d, "
	    "want %d", len, (unsigned char)s[0], n, ret);
	if (ret > 0 && n == ret)
		cr_expect_eq(got, cp, "decode of %02x..: U+%04X, want U+%04X",
		    (unsigned char)s[0], (unsigned)got, (unsigned)cp);
}

/* The length of cp's UTF-8 form, or -1 when cp is not a scalar value. */
static int
ref_len(uint32_t cp)
{
	if (cp >= 0xd800 && cp <= 0xdfff)
		return -1;
	if (cp < 0x80)
		return 1;
	if (cp < 0x800)
		return 2;
	if (cp < 0x10000)
		return 3;
	if (cp <= 0x10ffff)
		return 4;
	return -1;
}

Test(utf8, ascii)
{
	unsigned char c;
	uint32_t cp;
	int n;

	for (c = 0; c < 0x80; c++) {
		cp = 0xdeadbeef;
		n = utf8_decode(&c, 1, &cp);
		cr_assert_eq(n, 1, "byte %02x: length %d", c, n);
		cr_assert_eq(cp, c, "byte %02x: U+%04X", c, (unsigned)cp);
	}
	/* Only the first code point is read. */
	expect_decode("Az", 2, 1, 'A');
	expect_decode("", 1, 1, 0);
}

Test(utf8, two_byte)
{
	/* Cyrillic Zhe; then only the first of two letters is read. */
	expect_decode("\xd0\x96", 0, 2, 0x416);
	expect_decode("\xd0\xbf\xd1\x80", 0, 2, 0x43f);
	expect_decode("\xc2\x80", 0, 2, 0x80);
	expect_decode("\xc2\xa0", 0, 2, 0xa0);
	expect_decode("\xdf\xbf", 0, 2, 0x7ff);
}

Test(utf8, three_byte)
{
	expect_decode("\xe4\xb8\xad", 0, 3, 0x4e2d);	/* CJK "middle" */
	expect_decode("\xe2\x82\xac", 0, 3, 0x20ac);	/* euro sign */
	expect_decode("\xe0\xa0\x80", 0, 3, 0x800);
	/* Either side of the surrogates. */
	expect_decode("\xed\x9f\xbf", 0, 3, 0xd7ff);
	expect_decode("\xee\x80\x80", 0, 3, 0xe000);
	expect_decode("\xef\xbf\xbf", 0, 3, 0xffff);
	expect_decode("\xe2\x80\xa8", 0, 3, 0x2028);
}

Test(utf8, four_byte)
{
	expect_decode("\xf0\x9f\x98\x80", 0, 4, 0x1f600);	/* U+1F600 */
	expect_decode("\xf0\x90\x80\x80", 0, 4, 0x10000);
	expect_decode("\xf3\xbf\xbf\xbf", 0, 4, 0xfffff);
	expect_decode("\xf4\x8f\xbf\xbf", 0, 4, 0x10ffff);
}

Test(utf8, lone_continuation)
{
	unsigned char c[2];
	uint32_t cp;
	int b;

	for (b = 0x80; b <= 0xbf; b++) {
		c[0] = b;
		c[1] = 0x80;
		cr_assert_eq(utf8_decode(c, 1, &cp), -1, "lone %02x", b);
		cr_assert_eq(utf8_decode(c, 2, &cp), -1, "%02x 80", b);
	}
}

Test(utf8, overlong_two_byte_leads)
{
	/* C0 and C1 could only start overlong forms of U+0000..U+007F. */
	expect_decode("\xc0\x80", 2, -1, 0);
	expect_decode("\xc0\xaf", 0, -1, 0);
	expect_decode("\xc1\xbf", 0, -1, 0);
	expect_decode("\xc0", 1, -1, 0);
	expect_decode("\xc1", 1, -1, 0);
}

Test(utf8, overlong_three_and_four_byte)
{
	expect_decode("\xe0\x80\x80", 0, -1, 0);
	expect_decode("\xe0\x80\xaf", 0, -1, 0);
	expect_decode("\xe0\x9f\xbf", 0, -1, 0);	/* U+07FF, overlong */
	expect_decode("\xf0\x80\x80\x80", 0, -1, 0);
	expect_decode("\xf0\x8f\xbf\xbf", 0, -1, 0);	/* U+FFFF */
}

Test(utf8, surrogates)
{
	expect_decode("\xed\xa0\x80", 0, -1, 0);	/* U+D800 */
	expect_decode("\xed\xaf\xbf", 0, -1, 0);	/* U+DBFF */
	expect_decode("\xed\xb0\x80", 0, -1, 0);	/* U+DC00 */
	expect_decode("\xed\xbf\xbf", 0, -1, 0);	/* U+DFFF */
}

Test(utf8, above_max)
{
	expect_decode("\xf4\x90\x80\x80", 0, -1, 0);	/* U+110000 */
	expect_decode("\xf4\xbf\xbf\xbf", 0, -1, 0);
}

Test(utf8, invalid_leads)
{
	unsigned char s[4] = { 0, 0x80, 0x80, 0x80 };
	uint32_t cp;
	int b;

	for (b = 0xf5; b <= 0xff; b++) {
		s[0] = b;
		cr_assert_eq(utf8_decode(s, 4, &cp), -1, "lead %02x", b);
		cr_assert_eq(utf8_decode(s, 1, &cp), -1, "lead %02x alone", b);
	}
}

Test(utf8, bad_continuation)
{
	expect_decode("\xd0\x41", 0, -1, 0);
	expect_decode("\xd0\xc0", 0, -1, 0);
	expect_decode("\xe4\x41\xad", 0, -1, 0);
	expect_decode("\xe4\xb8\x41", 0, -1, 0);
	expect_decode("\xe4\xb8\xe4", 0, -1, 0);
	expect_decode("\xf0\x9f\x41\x80", 0, -1, 0);
	expect_decode("\xf0\x9f\x98\x41", 0, -1, 0);
	expect_decode("\xf0\x9f\x98\xf0", 0, -1, 0);
}

Test(utf8, truncated)
{
	uint32_t cp;

	cr_assert_eq(utf8_decode((const unsigned char *)"", 0, &cp), -2);
	expect_decode("\xd0", 1, -2, 0);
	expect_decode("\xe4", 1, -2, 0);
	expect_decode("\xe4\xb8", 2, -2, 0);
	expect_decode("\xf0", 1, -2, 0);
	expect_decode("\xf0\x9f", 2, -2, 0);
	expect_decode("\xf0\x9f\x98", 3, -2, 0);
	expect_decode("\xe0\xa0", 2, -2, 0);
	expect_decode("\xf4\x8f\xbf", 3, -2, 0);
	/* What is already wrong is -1, not "need more". */
	expect_decode("\xe0\x80", 2, -1, 0);
	expect_decode("\xed\xa0", 2, -1, 0);
	expect_decode("\xf4\x90", 2, -1, 0);
	expect_decode("\xf0\x8f", 2, -1, 0);
	expect_decode("\xe4\x41", 2, -1, 0);
}

Test(utf8, encode_boundaries)
{
	static const struct {
		uint32_t	cp;
		int		len;
		const char	*bytes;
	} t[] = {
		{ 0x00, 1, "\x00" },
		{ 0x7f, 1, "\x7f" },
		{ 0x80, 2, "\xc2\x80" },
		{ 0x7ff, 2, "\xdf\xbf" },
		{ 0x800, 3, "\xe0\xa0\x80" },
		{ 0xd7ff, 3, "\xed\x9f\xbf" },
		{ 0xe000, 3, "\xee\x80\x80" },
		{ 0xffff, 3, "\xef\xbf\xbf" },
		{ 0x10000, 4, "\xf0\x90\x80\x80" },
		{ 0x1f600, 4, "\xf0\x9f\x98\x80" },
		{ 0x10ffff, 4, "\xf4\x8f\xbf\xbf" },
	};
	unsigned char out[4];
	size_t i;
	int n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(out, 0xaa, sizeof(out));
		n = utf8_encode(t[i].cp, out);
		cr_assert_eq(n, t[i].len, "U+%04X: length %d, want %d",
		    (unsigned)t[i].cp, n, t[i].len);
		cr_assert_arr_eq(out, t[i].bytes, n, "U+%04X: wrong bytes",
		    (unsigned)t[i].cp);
	}
}

Test(utf8, encode_refuses)
{
	static const uint32_t bad[] = { 0xd800, 0xdbff, 0xdc00, 0xdfff,
	    0x110000, 0x1fffff, 0x7fffffff, 0xffffffff };
	unsigned char out[4];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(utf8_encode(bad[i], out), -1, "U+%04X accepted",
		    (unsigned)bad[i]);
}

/* Every scalar value: encode, decode back, same length and value. */
Test(utf8, round_trip_all)
{
	unsigned char out[4];
	uint32_t cp, back;
	int n, m;

	for (cp = 0; cp <= 0x110000; cp++) {
		n = utf8_encode(cp, out);
		cr_assert_eq(n, ref_len(cp), "U+%04X: length %d, want %d",
		    (unsigned)cp, n, ref_len(cp));
		if (n < 0)
			continue;
		m = utf8_decode(out, n, &back);
		cr_assert_eq(m, n, "U+%04X: decoded length %d, want %d",
		    (unsigned)cp, m, n);
		cr_assert_eq(back, cp, "U+%04X decoded as U+%04X",
		    (unsigned)cp, (unsigned)back);
		/* One byte short is "need more", never a value. */
		if (n > 1)
			cr_assert_eq(utf8_decode(out, n - 1, &back), -2,
			    "U+%04X cut short", (unsigned)cp);
	}
}

/*
 * Whatever three bytes decode to must be the shortest form of that value:
 * re-encoding it gives back the very same bytes. Together with the round
 * trip above, decode accepts exactly the valid encodings.
 */
Test(utf8, accepts_only_shortest_forms)
{
	unsigned char s[4], out[4];
	uint32_t cp, v;
	int n;

	for (v = 0; v < 1u << 24; v++) {
		s[0] = v >> 16;
		if (s[0] < 0xc0)
			continue;	/* ASCII and lone continuations */
		s[1] = v >> 8;
		s[2] = v;
		s[3] = 0x80;
		if ((n = utf8_decode(s, 4, &cp)) < 0)
			continue;
		cr_assert_eq(utf8_encode(cp, out), n,
		    "%02x %02x %02x: accepted as U+%04X, length %d", s[0], s[1],
		    s[2], (unsigned)cp, n);
		cr_assert_arr_eq(out, s, n, "%02x %02x %02x: not the shortest "
		    "form of U+%04X", s[0], s[1], s[2], (unsigned)cp);
	}
}

Test(utf8, valid)
{
	static const char good[] = "plain ascii \xd0\x9f\xd1\x80\xd0\xb8 "
	    "\xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf";
	const unsigned char *g = (const unsigned char *)good;
	size_t len = sizeof(good) - 1;

	cr_assert_eq(utf8_valid(g, 0), 1, "empty text is valid");
	cr_assert_eq(utf8_valid(g, len), 1, "mixed text is valid");
	cr_assert_eq(utf8_valid((const unsigned char *)"a\0b", 3), 1,
	    "NUL is a valid code point");
	/* Cut inside the emoji: truncated, so not valid. */
	cr_assert_eq(utf8_valid(g, len - 1), 0, "truncated at the end");
	cr_assert_eq(utf8_valid((const unsigned char *)"ok\xff", 3), 0);
	cr_assert_eq(utf8_valid((const unsigned char *)"a\x80z", 3), 0);
	cr_assert_eq(utf8_valid((const unsigned char *)"\xed\xa0\x80", 3), 0);
	cr_assert_eq(utf8_valid((const unsigned char *)"\xc0\x80", 2), 0);
	cr_assert_eq(utf8_valid((const unsigned char *)"\xf4\x90\x80\x80",
	    4), 0);
}
