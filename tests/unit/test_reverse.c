/*
 * test_reverse.c -- reversal by code point with case kept in place, and the
 * checks around it: utf8_reverse(), utf8_check(), utf8_tail() (shared/utf8.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "shared/utf8.h"
#include "tests/unit/prng.h"

/*
 * Reverse s into a heap buffer of exactly UTF8_REVERSE_SIZE bytes, so an
 * overrun trips ASan, and expect want (and its length) back.
 */
static void
expect_reverse(const char *s, int keep_case, const char *want)
{
	size_t len = strlen(s), size = UTF8_REVERSE_SIZE(len), bad = 0;
	char *out;
	long n;

	cr_assert_not_null(out = malloc(size));
	n = utf8_reverse(s, len, keep_case, out, size, &bad);
	cr_expect_eq(n, (long)strlen(want), "\"%s\"%s: returned %ld, want %zu",
	    s, keep_case ? " keep_case" : "", n, strlen(want));
	if (n >= 0) {
		cr_expect_str_eq(out, want, "\"%s\"%s: \"%s\", want \"%s\"", s,
		    keep_case ? " keep_case" : "", out, want);
		cr_expect_eq(out[n], '\0', "not NUL-terminated at %ld", n);
	}
	free(out);
}

/* Expect s (len bytes) to be refused with the first bad byte at want_bad. */
static void
expect_invalid(const char *s, size_t len, size_t want_bad)
{
	size_t bad = 12345;
	char *out;
	int keep;
	long n;

	cr_assert_not_null(out = malloc(UTF8_REVERSE_SIZE(len)));
	for (keep = 0; keep < 2; keep++) {
		bad = 12345;
		n = utf8_reverse(s, len, keep, out, UTF8_REVERSE_SIZE(len),
		    &bad);
		cr_expect_eq(n, -1, "%zu bytes, keep_case %d: returned %ld",
		    len, keep, n);
		cr_expect_eq(bad, want_bad, "%zu bytes, keep_case %d: bad at "
		    "%zu, want %zu", len, keep, bad, want_bad);
	}
	free(out);
}

Test(reverse, ascii)
{
	expect_reverse("Hello", 0, "olleH");
	expect_reverse("a", 0, "a");
	expect_reverse("ab cd", 0, "dc ba");
}

Test(reverse, cyrillic)
{
	expect_reverse("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82, "
	    "\xd0\xbc\xd0\xb8\xd1\x80", 0,		/* "Привет, мир" */
	    "\xd1\x80\xd0\xb8\xd0\xbc ,\xd1\x82\xd0\xb5\xd0\xb2\xd0\xb8\xd1\x80"
	    "\xd0\x9f");				/* "рим ,тевирП" */
}

/* The example of utf8.h: capitals stay at the start of each word. */
Test(reverse, keep_case_cyrillic)
{
	/* "Титов Юрий Павлович" -> "Чиволвап Йирю Вотит" */
	expect_reverse("\xd0\xa2\xd0\xb8\xd1\x82\xd0\xbe\xd0\xb2 "
	    "\xd0\xae\xd1\x80\xd0\xb8\xd0\xb9 "
	    "\xd0\x9f\xd0\xb0\xd0\xb2\xd0\xbb\xd0\xbe\xd0\xb2\xd0\xb8\xd1\x87",
	    1,
	    "\xd0\xa7\xd0\xb8\xd0\xb2\xd0\xbe\xd0\xbb\xd0\xb2\xd0\xb0\xd0\xbf "
	    "\xd0\x99\xd0\xb8\xd1\x80\xd1\x8e "
	    "\xd0\x92\xd0\xbe\xd1\x82\xd0\xb8\xd1\x82");
	/* Without keep_case the capitals travel with their letters. */
	expect_reverse("\xd0\xae\xd1\x80\xd0\xb8\xd0\xb9", 0,
	    "\xd0\xb9\xd0\xb8\xd1\x80\xd0\xae");	/* "Юрий" -> "йирЮ" */
}

/* Punctuation does not count as a letter; its place is kept as reversed. */
Test(reverse, keep_case_ascii)
{
	expect_reverse("Hello, World!", 1, "!Dlrow ,Olleh");
	expect_reverse("Hello, World!", 0, "!dlroW ,olleH");
	/* The pattern belongs to the word, not to its place in the line. */
	expect_reverse("ABC def", 1, "fed CBA");
	expect_reverse("aBc", 1, "cBa");
	expect_reverse("  Ab  ", 1, "  Ba  ");
}

/* A 4-byte sequence moves as one code point, bytes in their order. */
Test(reverse, four_byte_sequences_whole)
{
	expect_reverse("a\xf0\x9f\x98\x80" "b", 0, "b\xf0\x9f\x98\x80" "a");
	expect_reverse("a\xf0\x9f\x98\x80" "b", 1, "b\xf0\x9f\x98\x80" "a");
	expect_reverse("\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf", 0,
	    "\xf4\x8f\xbf\xbf\xf0\x9f\x98\x80");
}

/*
 * A combining mark is a code point of its own: it is reversed too and ends
 * up on the letter that now precedes it ("éx" becomes "x́e"). Documented, not
 * endorsed: reversal is by code point, not by grapheme.
 */
Test(reverse, combining_mark_is_a_code_point)
{
	expect_reverse("e\xcc\x81x", 0, "x\xcc\x81" "e");
}

Test(reverse, empty)
{
	char out[4] = "zzz";
	size_t bad = 77;

	cr_expect_eq(utf8_reverse("", 0, 0, out, sizeof(out), &bad), 0);
	cr_expect_str_eq(out, "");
	memcpy(out, "zzz", 4);
	cr_expect_eq(utf8_reverse("", 0, 1, out, sizeof(out), &bad), 0);
	cr_expect_str_eq(out, "");
	cr_expect_eq(bad, 77, "bad touched on success");
}

Test(reverse, invalid_reports_first_bad_byte)
{
	expect_invalid("ab\xff" "cd", 5, 2);
	expect_invalid("\x80", 1, 0);
	expect_invalid("ok\xc0\x80", 4, 2);		/* overlong NUL */
	expect_invalid("x\xed\xa0\x80", 4, 1);		/* surrogate */
	expect_invalid("\xd0\x9f\xd0", 3, 2);		/* cut 2-byte */
	expect_invalid("ab\xe4\xb8", 4, 2);		/* cut 3-byte */
	expect_invalid("ab\xf0\x9f\x98", 5, 2);		/* cut 4-byte */
	/* The first of two bad places. */
	expect_invalid("a\xd0" "b\xff", 4, 1);
}

/* A NUL inside the text is a code point like another: reversed, counted. */
Test(reverse, embedded_nul)
{
	char out[UTF8_REVERSE_SIZE(3)];
	size_t bad;

	cr_assert_eq(utf8_reverse("a\0b", 3, 0, out, sizeof(out), &bad), 3);
	cr_expect_arr_eq(out, "b\0a", 4);
}

/*
 * U+0250 (2 bytes) upper-cases to U+2C6F (3 bytes), U+023A (2 bytes)
 * lower-cases to U+2C65 (3 bytes): "ɐȺ" reversed is "Ⱥɐ", and keeping the
 * case pattern (lower, upper) makes it "ⱥⱯ": 4 bytes in, 6 out, the most
 * case mapping can grow a text. UTF8_REVERSE_SIZE must hold it all.
 */
Test(reverse, case_mapping_growth_fits)
{
	static const char unit[] = "\xc9\x90\xc8\xba";	/* ɐȺ */
	static const char grown[] = "\xe2\xb1\xa5\xe2\xb1\xaf"; /* ⱥⱯ */
	char in[64 * 5 + 1], want[64 * 7 + 1], *out;
	size_t len, size, bad, i, o = 0, k;
	long n;

	expect_reverse(unit, 1, grown);
	/* "AAɐɐ" -> "ⱯⱯaa": 2-byte letters that receive upper case. */
	expect_reverse("AA\xc9\x90\xc9\x90", 1,
	    "\xe2\xb1\xaf\xe2\xb1\xaf" "aa");

	/* 64 such words, of odd and even lengths: every size must fit. */
	for (k = 1; k <= 64; k++) {
		len = 0;
		o = 0;
		for (i = 0; i < k; i++) {
			if (i > 0) {
				in[len++] = ' ';
				want[o++] = ' ';
			}
			memcpy(in + len, unit, 4);
			len += 4;
			memcpy(want + o, grown, 6);
			o += 6;
		}
		in[len] = '\0';
		want[o] = '\0';
		size = UTF8_REVERSE_SIZE(len);
		cr_assert_not_null(out = malloc(size));
		n = utf8_reverse(in, len, 1, out, size, &bad);
		cr_expect_eq(n, (long)o, "%zu words: %ld bytes, want %zu "
		    "(size %zu)", k, n, o, size);
		cr_expect_str_eq(out, want, "%zu words", k);
		free(out);
	}
}

/*
 * Every output size from 1 up: the text is cut at a code point boundary,
 * NUL-terminated inside the buffer, a prefix of the whole result.
 */
Test(reverse, small_outsize_truncates)
{
	/* "aПр😀x€" */
	static const char in[] = "a\xd0\x9f\xd1\x80\xf0\x9f\x98\x80x"
	    "\xe2\x82\xac";
	char full[UTF8_REVERSE_SIZE(sizeof(in))], *out;
	size_t len = sizeof(in) - 1, size, bad;
	uint32_t cp;
	long whole, n;
	int k;

	whole = utf8_reverse(in, len, 0, full, sizeof(full), &bad);
	cr_assert_eq(whole, (long)len);
	for (size = 1; size <= len + 1; size++) {
		cr_assert_not_null(out = malloc(size));
		n = utf8_reverse(in, len, 0, out, size, &bad);
		cr_assert(n >= 0 && (size_t)n < size, "size %zu: returned %ld",
		    size, n);
		cr_expect_eq(out[n], '\0', "size %zu", size);
		cr_expect_eq(strlen(out), (size_t)n, "size %zu", size);
		cr_expect_arr_eq(out, full, n, "size %zu: not a prefix", size);
		cr_expect(utf8_valid((unsigned char *)out, n), "size %zu: "
		    "cut inside a sequence", size);
		/* The next code point was left out only for want of room. */
		if (n < whole) {
			k = utf8_decode((unsigned char *)full + n, whole - n,
			    &cp);
			cr_expect_geq((size_t)n + k, size, "size %zu: only "
			    "%ld bytes", size, n);
		}
		free(out);
	}
}

/*
 * Regression (shared/utf8.c, utf8_reverse): with outsize 0 there is no room
 * even for the NUL, yet out[0] is written: one byte past the buffer.
 */
Test(reverse, outsize_zero_writes_nothing)
{
	char buf[2] = { '#', '#' };
	size_t bad;
	long n;

	n = utf8_reverse("ab", 2, 0, buf, 0, &bad);
	cr_expect_eq(n, 0, "returned %ld", n);
	cr_expect_eq(buf[0], '#', "wrote %#x into a buffer of 0 bytes",
	    (unsigned char)buf[0]);
}

/* A random scalar value, evenly from each encoded length. */
static uint32_t
random_cp(uint32_t *seed)
{
	uint32_t r = xorshift32(seed), cp;

	do {
		switch (r % 4) {
		case 0:
			cp = 1 + xorshift32(seed) % 0x7f;
			break;
		case 1:
			cp = 0x80 + xorshift32(seed) % (0x800 - 0x80);
			break;
		case 2:
			cp = 0x800 + xorshift32(seed) % (0x10000 - 0x800);
			break;
		default:
			cp = 0x10000 + xorshift32(seed) % (0x110000 - 0x10000);
			break;
		}
	} while (cp >= 0xd800 && cp <= 0xdfff);
	return cp;
}

/* Reversing twice without keep_case gives back the very same bytes. */
Test(reverse, random_twice_is_identity)
{
	unsigned char in[4 * 200];
	char *once, *twice;
	size_t len, bad, k, ncp;
	uint32_t seed = 0xc0ffee;
	int round, m;
	long n1, n2;

	for (round = 0; round < 2000; round++) {
		ncp = xorshift32(&seed) % 200;
		for (len = 0, k = 0; k < ncp; k++) {
			cr_assert_gt(m = utf8_encode(random_cp(&seed),
			    in + len), 0);
			len += m;
		}
		cr_assert_not_null(once = malloc(UTF8_REVERSE_SIZE(len)));
		cr_assert_not_null(twice = malloc(UTF8_REVERSE_SIZE(len)));
		n1 = utf8_reverse(in, len, 0, once, UTF8_REVERSE_SIZE(len),
		    &bad);
		cr_assert_eq(n1, (long)len, "round %d: %ld of %zu bytes", round,
		    n1, len);
		n2 = utf8_reverse(once, n1, 0, twice, UTF8_REVERSE_SIZE(len),
		    &bad);
		cr_assert_eq(n2, (long)len, "round %d", round);
		cr_assert_arr_eq(twice, in, len, "round %d: not the input",
		    round);
		free(once);
		free(twice);
	}
}

Test(utf8_check, valid_text)
{
	size_t bad = 99;

	cr_expect_eq(utf8_check("", 0, &bad), 0);
	cr_expect_eq(utf8_check("Hello", 5, &bad), 0);
	cr_expect_eq(utf8_check("\xd0\x9f\xd1\x80 \xe2\x82\xac "
	    "\xf0\x9f\x98\x80", 13, &bad), 0);
	cr_expect_eq(bad, 99, "bad touched on success");
}

Test(utf8_check, nul_refused)
{
	size_t bad = 99;

	cr_expect_eq(utf8_check("ab\0c", 4, &bad), -1);
	cr_expect_eq(bad, 2);
	cr_expect_eq(utf8_check("\0", 1, &bad), -1);
	cr_expect_eq(bad, 0);
	/* Only the shortest form is NUL; C0 80 is invalid anyway. */
	cr_expect_eq(utf8_check("a\xc0\x80", 3, &bad), -1);
	cr_expect_eq(bad, 1);
}

Test(utf8_check, invalid_offset)
{
	size_t bad = 99;

	cr_expect_eq(utf8_check("ab\xff" "cd", 5, &bad), -1);
	cr_expect_eq(bad, 2);
	cr_expect_eq(utf8_check("\xd0\x9f\x80", 3, &bad), -1);
	cr_expect_eq(bad, 2);
	cr_expect_eq(utf8_check("\xed\xa0\x80", 3, &bad), -1);
	cr_expect_eq(bad, 0);
	/* A sequence cut at the end is bad too, at its start. */
	cr_expect_eq(utf8_check("abc\xe2\x82", 5, &bad), -1);
	cr_expect_eq(bad, 3);
}

Test(utf8_tail, complete_text)
{
	cr_expect_eq(utf8_tail("", 0), 0);
	cr_expect_eq(utf8_tail("abc", 3), 0);
	cr_expect_eq(utf8_tail("\xd0\x9f", 2), 0);
	cr_expect_eq(utf8_tail("a\xe2\x82\xac", 4), 0);
	cr_expect_eq(utf8_tail("\xf0\x9f\x98\x80", 4), 0);
	cr_expect_eq(utf8_tail("x\xf0\x9f\x98\x80", 5), 0);
}

Test(utf8_tail, cut_sequences)
{
	cr_expect_eq(utf8_tail("\xd0", 1), 1);
	cr_expect_eq(utf8_tail("ab\xd0", 3), 1);
	cr_expect_eq(utf8_tail("\xe2", 1), 1);
	cr_expect_eq(utf8_tail("a\xe2\x82", 3), 2);
	cr_expect_eq(utf8_tail("\xf0", 1), 1);
	cr_expect_eq(utf8_tail("\xf0\x9f", 2), 2);
	cr_expect_eq(utf8_tail("ab\xf0\x9f\x98", 5), 3);
	cr_expect_eq(utf8_tail("\xd0\x9f\xf0\x9f\x98", 5), 3);
}

/* What can never complete is not "wait for more". */
Test(utf8_tail, invalid_is_not_cut)
{
	cr_expect_eq(utf8_tail("\x80", 1), 0);
	cr_expect_eq(utf8_tail("a\x80", 2), 0);
	cr_expect_eq(utf8_tail("\x80\x80\x80\x80", 4), 0);
	cr_expect_eq(utf8_tail("ab\xff", 3), 0);
	cr_expect_eq(utf8_tail("\xe0\x80", 2), 0);	/* overlong start */
	cr_expect_eq(utf8_tail("\xed\xa0", 2), 0);	/* surrogate start */
}
