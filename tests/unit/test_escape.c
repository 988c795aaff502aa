/* test_escape.c -- untrusted bytes as one safe line (shared/escape.c). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "shared/escape.h"
#include "shared/utf8.h"
#include "tests/unit/prng.h"

/*
 * Escape src whole (limit = srclen) into a buffer of exactly
 * ESCAPE_BUFSIZE bytes on the heap, so an overrun trips ASan, and compare.
 */
static void
expect_escape(const char *src, size_t len, const char *want)
{
	char *dst;
	size_t n;

	cr_assert_not_null(dst = malloc(ESCAPE_BUFSIZE(len)));
	n = escape_text(dst, src, len, len);
	cr_expect_eq(n, len, "rendered %zu of %zu bytes", n, len);
	cr_expect_str_eq(dst, want, "escaped as \"%s\", want \"%s\"", dst,
	    want);
	free(dst);
}

/* Escape with a cut at limit: expect the text and the bytes rendered. */
static void
expect_cut(const char *src, size_t len, size_t limit, const char *want,
    size_t want_in)
{
	char *dst;
	size_t n;

	cr_assert_not_null(dst = malloc(ESCAPE_BUFSIZE(limit)));
	n = escape_text(dst, src, len, limit);
	cr_expect_eq(n, want_in, "limit %zu: rendered %zu bytes, want %zu",
	    limit, n, want_in);
	cr_expect_str_eq(dst, want, "limit %zu: \"%s\", want \"%s\"", limit,
	    dst, want);
	free(dst);
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Undo escape_text(): the reader's view of a log line. Returns the length
 * of the bytes recovered into out, or -1 when the text is not something
 * escape_text() may produce (a bare quote, an unknown or short escape,
 * upper-case hex).
 */
static long
unescape(const char *s, unsigned char *out)
{
	long n = 0;
	unsigned long cp;
	int i, h, len;

	while (*s != '\0') {
		if (*s == '"')
			return -1;
		if (*s != '\\') {
			out[n++] = *s++;
			continue;
		}
		switch (s[1]) {
		case '\\': case '"':
			out[n++] = s[1];
			s += 2;
			break;
		case 'n':
			out[n++] = '\n';
			s += 2;
			break;
		case 'r':
			out[n++] = '\r';
			s += 2;
			break;
		case 't':
			out[n++] = '\t';
			s += 2;
			break;
		case 'x':
			if ((h = hexval(s[2])) == -1 || hexval(s[3]) == -1)
				return -1;
			out[n++] = h << 4 | hexval(s[3]);
			s += 4;
			break;
		case 'u':
			for (cp = 0, i = 2; i < 6; i++) {
				if ((h = hexval(s[i])) == -1)
					return -1;
				cp = cp << 4 | h;
			}
			if ((len = utf8_encode(cp, out + n)) < 0)
				return -1;
			n += len;
			s += 6;
			break;
		default:
			return -1;
		}
	}
	return n;
}

Test(escape, plain_text_unchanged)
{
	static const char punct[] = "~!@#$%^&*()_+{}|:<>?`-=[];',./ 09AZaz";
	/* Valid UTF-8, NBSP included, passes through as it is. */
	static const char utf[] = "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2"
	    "\xd0\xb5\xd1\x82 \xe4\xb8\xad\xe6\x96\x87 \xf0\x9f\x98\x80 "
	    "\xc2\xa0\xef\xbf\xbf\xf4\x8f\xbf\xbf";

	expect_escape("hello, world", 12, "hello, world");
	expect_escape("", 0, "");
	expect_escape(punct, sizeof(punct) - 1, punct);
	expect_escape(utf, sizeof(utf) - 1, utf);
}

Test(escape, short_escapes)
{
	expect_escape("a\\b", 3, "a\\\\b");
	expect_escape("say \"hi\"", 8, "say \\\"hi\\\"");
	expect_escape("l1\nl2", 5, "l1\\nl2");
	expect_escape("cr\r", 3, "cr\\r");
	expect_escape("\ttab", 4, "\\ttab");
	expect_escape("\\\"\n\r\t", 5, "\\\\\\\"\\n\\r\\t");
}

Test(escape, c0_and_del_as_u00xx)
{
	char src[1], want[8];
	int c;

	for (c = 0; c < 0x20; c++) {
		if (c == '\t' || c == '\n' || c == '\r')
			continue;
		src[0] = c;
		snprintf(want, sizeof(want), "\\u%04x", c);
		expect_escape(src, 1, want);
	}
	expect_escape("\x7f", 1, "\\u007f");
	expect_escape("", 1, "\\u0000");
	expect_escape("a\x1b[31mred", 9, "a\\u001b[31mred");
	expect_escape("\x0b\x0c", 2, "\\u000b\\u000c");
}

Test(escape, c1_and_separators)
{
	expect_escape("\xc2\x85", 2, "\\u0085");		/* NEL */
	expect_escape("\xc2\x80", 2, "\\u0080");
	expect_escape("\xc2\x9f", 2, "\\u009f");
	expect_escape("\xe2\x80\xa8", 3, "\\u2028");	/* LINE SEPARATOR */
	expect_escape("\xe2\x80\xa9", 3, "\\u2029");	/* PARAGRAPH SEP. */
	/* Their neighbours are ordinary text. */
	expect_escape("\xc2\xa0", 2, "\xc2\xa0");
	expect_escape("\xe2\x80\xa7", 3, "\xe2\x80\xa7");
	expect_escape("\xe3\x80\x80", 3, "\xe3\x80\x80");	/* U+3000 */
}

/* Text that shows other than it is: "txt.exe" behind a right-to-left
 * override would read "exe.txt"; zero-width and tag characters hide. */
Test(escape, invisible_format_characters)
{
	expect_escape("a\xe2\x80\xae" "exe.txt", 11, "a\\u202e" "exe.txt");
	expect_escape("\xe2\x80\xaa", 3, "\\u202a");
	expect_escape("\xe2\x81\xa6x\xe2\x81\xa9", 7, "\\u2066x\\u2069");
	expect_escape("ad\xe2\x80\x8bmin", 8, "ad\\u200bmin");
	expect_escape("\xc2\xad\xef\xbb\xbf", 5, "\\u00ad\\ufeff");
	expect_escape("\xf3\xa0\x81\x81", 4, "\\U000e0041");	/* TAG A */
	/* Visible neighbours stay as they are. */
	expect_escape("\xe2\x80\x90", 3, "\xe2\x80\x90");	/* HYPHEN */
	expect_escape("\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80");
}

Test(escape, invalid_bytes_as_xhh)
{
	expect_escape("\xff", 1, "\\xff");
	expect_escape("\x80", 1, "\\x80");
	expect_escape("a\xfe" "b", 3, "a\\xfeb");
	/* An overlong '/', a surrogate. */
	expect_escape("\xc0\xaf", 2, "\\xc0\\xaf");
	expect_escape("\xed\xa0\x80", 3, "\\xed\\xa0\\x80");
	expect_escape("\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80");
	/* Each byte of a broken sequence is escaped on its own. */
	expect_escape("\xe4\xb8" "A", 3, "\\xe4\\xb8A");
	/* Truncated at the very end of the source. */
	expect_escape("ok\xe4\xb8", 4, "ok\\xe4\\xb8");
	expect_escape("\xf0\x9f\x98", 3, "\\xf0\\x9f\\x98");
}

Test(escape, cut_never_splits_a_sequence)
{
	static const char s[] = "a\xd0\x96" "b\xe4\xb8\xad\xf0\x9f\x98\x80";

	/* a Zhe b CJK emoji: 1 + 2 + 1 + 3 + 4 = 11 bytes. */
	expect_cut(s, 11, 0, "", 0);
	expect_cut(s, 11, 1, "a", 1);
	expect_cut(s, 11, 2, "a", 1);
	expect_cut(s, 11, 3, "a\xd0\x96", 3);
	expect_cut(s, 11, 4, "a\xd0\x96" "b", 4);
	expect_cut(s, 11, 5, "a\xd0\x96" "b", 4);
	expect_cut(s, 11, 6, "a\xd0\x96" "b", 4);
	expect_cut(s, 11, 7, "a\xd0\x96" "b\xe4\xb8\xad", 7);
	expect_cut(s, 11, 8, "a\xd0\x96" "b\xe4\xb8\xad", 7);
	expect_cut(s, 11, 10, "a\xd0\x96" "b\xe4\xb8\xad", 7);
	expect_cut(s, 11, 11, s, 11);
	expect_cut(s, 11, 1000, s, 11);
	/* An escaped code point is not split either. */
	expect_cut("x\xe2\x80\xa8", 4, 3, "x", 1);
	expect_cut("x\xe2\x80\xa8", 4, 4, "x\\u2028", 4);
	/* Invalid bytes go one at a time. */
	expect_cut("\xff\xfe\xfd", 3, 2, "\\xff\\xfe", 2);
	/* A sequence cut by the end of the source is invalid, not cut. */
	expect_cut("a\xe4\xb8", 3, 2, "a\\xe4", 2);
}

Test(escape, worst_case_fits_bufsize)
{
	enum { N = 1000 };
	unsigned char src[N];
	char *dst;
	size_t n;

	memset(src, 0x01, sizeof(src));
	cr_assert_not_null(dst = malloc(ESCAPE_BUFSIZE(N)));
	n = escape_text(dst, src, N, N);
	cr_assert_eq(n, N);
	cr_assert_eq(strlen(dst), (size_t)N * 6, "length %zu", strlen(dst));
	cr_assert_eq(strncmp(dst, "\\u0001\\u0001", 12), 0);
	free(dst);
	/* The other expanding classes stay within it too. */
	memset(src, 0xff, sizeof(src));
	cr_assert_not_null(dst = malloc(ESCAPE_BUFSIZE(N)));
	escape_text(dst, src, N, N);
	cr_assert_eq(strlen(dst), (size_t)N * 4);
	free(dst);
}

/*
 * 20000 random buffers (fixed seed) mixing random bytes with the bytes that
 * matter: the output is one line of valid UTF-8 with no control byte, no
 * NEL or line separator, no bare quote; it is never longer than
 * ESCAPE_BUFSIZE (heap buffer of that size, ASan checks); the cut keeps
 * whole sequences; and unescaping gives back exactly the rendered prefix.
 */
Test(escape, random_input_is_safe)
{
	static const unsigned char pick[] = { 0x00, '\n', '\r', '\t', '"',
	    '\\', 0x1b, 0x7f, 0x80, 0x85, 0xa8, 0xa9, 0xbf, 0xc0, 0xc2, 0xe0,
	    0xe2, 0xed, 0xf0, 0xf4, 0xf5, 0xff, 'a', ' ' };
	unsigned char src[80], back[ESCAPE_BUFSIZE(sizeof(src) + 4)];
	uint32_t seed = 20240601, cp;
	size_t len, limit, in, i, olen;
	char *dst;
	long blen;
	int n, iter;

	for (iter = 0; iter < 20000; iter++) {
		len = xorshift32(&seed) % sizeof(src);
		for (i = 0; i < len; i++)
			src[i] = xorshift32(&seed) % 2 ?
			    pick[xorshift32(&seed) % sizeof(pick)] :
			    (unsigned char)xorshift32(&seed);
		limit = xorshift32(&seed) % (len + 4);
		cr_assert_not_null(dst = malloc(ESCAPE_BUFSIZE(limit)));
		in = escape_text(dst, src, len, limit);

		cr_assert(in <= len && in <= limit, "iter %d: rendered %zu "
		    "of %zu, limit %zu", iter, in, len, limit);
		olen = strlen(dst);
		cr_assert(olen < ESCAPE_BUFSIZE(limit), "iter %d", iter);
		for (i = 0; i < olen; i++)
			cr_assert((unsigned char)dst[i] >= 0x20 &&
			    dst[i] != 0x7f, "iter %d: byte %02x at %zu", iter,
			    (unsigned char)dst[i], i);
		cr_assert(utf8_valid((unsigned char *)dst, olen),
		    "iter %d: output not UTF-8", iter);
		cr_assert_null(strstr(dst, "\xc2\x85"), "iter %d: NEL", iter);
		cr_assert_null(strstr(dst, "\xe2\x80\xa8"), "iter %d", iter);
		cr_assert_null(strstr(dst, "\xe2\x80\xa9"), "iter %d", iter);

		/* Stopped early only where a whole sequence would cross. */
		if (in < (len < limit ? len : limit)) {
			n = utf8_decode(src + in, len - in, &cp);
			cr_assert(n > 1 && in + n > limit, "iter %d: stopped "
			    "at %zu of limit %zu (sequence %d)", iter, in,
			    limit, n);
		}
		blen = unescape(dst, back);
		cr_assert_eq(blen, (long)in, "iter %d: unescaped %ld bytes, "
		    "rendered %zu: \"%s\"", iter, blen, in, dst);
		cr_assert_arr_eq(back, src, in, "iter %d: round trip differs",
		    iter);
		free(dst);
	}
}
