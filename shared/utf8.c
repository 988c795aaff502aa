/* utf8.c -- strict UTF-8 decoding and encoding. */
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
