/* utf8.c -- strict UTF-8 decoding, encoding, checking and reversal. */
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <wctype.h>

#include "shared/utf8.h"

int
utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned char lo = 0x80, hi = 0xbf;	/* range of the second byte */
	uint32_t c;
	int n, i;

	if (len == 0)
		return -2;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf)
		n = 2, c &= 0x1f;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3, c &= 0x0f;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4, c &= 0x07;
	else
		return -1;
	/* RFC 3629 section 4: these bounds exclude overlong forms,
	 * surrogates and code points above U+10FFFF. */
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;

	for (i = 1; i < n; i++) {
		if ((size_t)i >= len)
			return -2;
		if (i == 1 ? (s[i] < lo || s[i] > hi) : (s[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[i] & 0x3f);
	}
	*cp = c;
	return n;
}

int
utf8_encode(uint32_t cp, unsigned char out[4])
{
	if (cp < 0x80) {
		out[0] = cp;
		return 1;
	} else if (cp < 0x800) {
		out[0] = 0xc0 | (cp >> 6);
		out[1] = 0x80 | (cp & 0x3f);
		return 2;
	} else if (cp < 0x10000) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			return -1;
		out[0] = 0xe0 | (cp >> 12);
		out[1] = 0x80 | ((cp >> 6) & 0x3f);
		out[2] = 0x80 | (cp & 0x3f);
		return 3;
	} else if (cp <= 0x10ffff) {
		out[0] = 0xf0 | (cp >> 18);
		out[1] = 0x80 | ((cp >> 12) & 0x3f);
		out[2] = 0x80 | ((cp >> 6) & 0x3f);
		out[3] = 0x80 | (cp & 0x3f);
		return 4;
	}
	return -1;
}

int
utf8_valid(const unsigned char *s, size_t len)
{
	uint32_t cp;
	size_t off = 0;
	int n;

	while (off < len) {
		if ((n = utf8_decode(s + off, len - off, &cp)) < 0)
			return 0;
		off += n;
	}
	return 1;
}

int
utf8_check(const void *buf, size_t len, size_t *bad)
{
	const unsigned char *s = buf;
	size_t off = 0;
	uint32_t cp;
	int n;

	while (off < len) {
		if ((n = utf8_decode(s + off, len - off, &cp)) < 0 ||
		    cp == 0) {
			*bad = off;
			return -1;
		}
		off += n;
	}
	return 0;
}

int
utf8_is_space(uint32_t cp)
{
	return (cp >= 0x09 && cp <= 0x0d) || cp == 0x20 || cp == 0x85 ||
	    cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
	    cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f ||
	    cp == 0x3000;
}

int
utf8_is_invisible(uint32_t cp)
{
	return cp == 0xad || cp == 0x61c || cp == 0x180e ||
	    (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2060 && cp <= 0x206f) || cp == 0xfeff ||
	    (cp >= 0xfff9 && cp <= 0xfffb) || cp == 0xe0001 ||
	    (cp >= 0xe0020 && cp <= 0xe007f);
}

size_t
utf8_tail(const void *buf, size_t len)
{
	const unsigned char *s = buf;
	uint32_t cp;
	size_t back;

	/* A cut sequence starts at most 3 bytes before the end. */
	for (back = 1; back <= 3 && back <= len; back++) {
		if ((s[len - back] & 0xc0) != 0x80) {
			return utf8_decode(s + len - back, back, &cp) == -2 ?
			    back : 0;
		}
	}
	return 0;
}

/* Unicode case mapping without touching the program's global locale. */
static locale_t
utf8_locale(void)
{
	static locale_t loc;

	if (loc == (locale_t)0)
		loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	return loc;
}

/* Case class of a code point: 1 upper, 2 lower, 0 neither. */
static unsigned char
utf8_case(uint32_t cp, locale_t loc)
{
	return iswupper_l(cp, loc) ? 1 : iswlower_l(cp, loc) ? 2 : 0;
}

/*
 * out[0..n) is in[0..n) reversed. Give each word of out (a run of non-space)
 * the case pattern its letters had in their word of in, counted from the
 * word's start: the j-th letter of a reversed word takes the case of the
 * j-th letter of that word before (punctuation does not count).
 * "Титов Юрий Павлович" becomes "Чиволвап Йирю Вотит", "Hello, World!"
 * becomes "!Dlrow ,Olleh": capitals stay at the start of each word.
 */
static void
utf8_keep_case(const uint32_t *in, uint32_t *out, size_t n, locale_t loc)
{
	size_t *start, nwords = 0, i, k = 0, src = 0, w = 0;
	int inword = 0;

	if ((start = malloc((n + 1) * sizeof(*start))) == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (iswspace_l(in[i], loc))
			inword = 0;
		else if (!inword) {
			inword = 1;
			start[nwords++] = i;
		}
	}
	inword = 0;
	for (i = 0; i < n; i++) {
		if (iswspace_l(out[i], loc)) {
			inword = 0;
			continue;
		}
		if (!inword) {
			/* Word k of out is word nwords-1-k of in, reversed. */
			inword = 1;
			k = w++;
			src = k < nwords ? start[nwords - 1 - k] : n;
		}
		if (!iswalpha_l(out[i], loc))
			continue;
		/* The source word's next letter gives the case. */
		while (src < n && !iswspace_l(in[src], loc) &&
		    !iswalpha_l(in[src], loc))
			src++;
		if (src < n && !iswspace_l(in[src], loc)) {
			switch (utf8_case(in[src], loc)) {
			case 1:
				out[i] = towupper_l(out[i], loc);
				break;
			case 2:
				out[i] = towlower_l(out[i], loc);
				break;
			}
			src++;
		}
	}
	free(start);
}

long
utf8_reverse(const void *buf, size_t len, int keep_case, char *out,
    size_t outsize, size_t *bad)
{
	const unsigned char *s = buf;
	locale_t loc = keep_case ? utf8_locale() : (locale_t)0;
	uint32_t *cps, *rev, cp;
	unsigned char enc[4];
	size_t n = 0, off = 0, i, o = 0;
	int k;

	if (outsize == 0)
		return 0;
	if ((cps = malloc(2 * (len + 1) * sizeof(*cps))) == NULL)
		return -2;
	rev = cps + len + 1;
	while (off < len) {
		if ((k = utf8_decode(s + off, len - off, &cp)) < 0) {
			*bad = off;
			free(cps);
			return -1;
		}
		cps[n++] = cp;
		off += k;
	}
	for (i = 0; i < n; i++)
		rev[i] = cps[n - 1 - i];
	if (loc)
		utf8_keep_case(cps, rev, n, loc);
	for (i = 0; i < n; i++) {
		if ((k = utf8_encode(rev[i], enc)) < 0 || o + k >= outsize)
			break;
		memcpy(out + o, enc, k);
		o += k;
	}
	out[o] = '\0';
	free(cps);
	return (long)o;
}
