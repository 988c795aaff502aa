/* escape.c -- render untrusted bytes as one safe line of log text. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "shared/escape.h"
#include "shared/utf8.h"

static const char hexdigits[] = "0123456789abcdef";

size_t
escape_text(char *dst, const void *src, size_t srclen, size_t limit)
{
	const unsigned char *s = src;
	size_t in = 0, out = 0;
	uint32_t cp;
	int n;

	if (limit > srclen)
		limit = srclen;
	while (in < limit) {
		/* Printable ASCII, most of what clients send, as it is. */
		if (s[in] >= 0x20 && s[in] < 0x7f && s[in] != '\\' &&
		    s[in] != '"') {
			dst[out++] = s[in++];
			continue;
		}
		n = utf8_decode(s + in, srclen - in, &cp);
		if (n > 0 && in + n > limit)
			break;		/* the sequence would cross the cut */
		if (n < 0) {
			dst[out++] = '\\';
			dst[out++] = 'x';
			dst[out++] = hexdigits[s[in] >> 4];
			dst[out++] = hexdigits[s[in] & 0xf];
			in++;
			continue;
		}
		switch (cp) {
		case '\\': case '"':
			dst[out++] = '\\';
			dst[out++] = cp;
			break;
		case '\n':
			dst[out++] = '\\';
			dst[out++] = 'n';
			break;
		case '\r':
			dst[out++] = '\\';
			dst[out++] = 'r';
			break;
		case '\t':
			dst[out++] = '\\';
			dst[out++] = 't';
			break;
		default:
			/* C0, DEL, C1 and the Unicode line/paragraph
			 * separators could break a line; invisible format
			 * characters (a bidi override) could disguise one. */
			if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
			    cp == 0x2028 || cp == 0x2029 ||
			    utf8_is_invisible(cp)) {
				out += sprintf(dst + out, cp > 0xffff ?
				    "\\U%08x" : "\\u%04x", (unsigned)cp);
				break;
			}
			memcpy(dst + out, s + in, n);
			out += n;
		}
		in += n;
	}
	dst[out] = '\0';
	return in;
}
