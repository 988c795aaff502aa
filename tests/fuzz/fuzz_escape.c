/*
 * fuzz_escape.c -- the log escaper (escape_text() in shared/escape.c).
 *
 * Input: 2 bytes of limit (0..65535), then the untrusted text. The output
 * buffer is exactly ESCAPE_BUFSIZE(limit) bytes, allocated so that a byte
 * past it is caught. Checked: the output is NUL-terminated and holds no
 * byte below 0x20 nor 0x7f (so no record can be forged), no C1 control and
 * no U+2028/U+2029 nor invisible format character, is valid UTF-8; the bytes rendered are at most limit
 * and fall short of it only to keep a sequence whole (by at most 3); and
 * undoing the escapes gives back exactly the bytes rendered.
 */
#include <string.h>

#include "shared/escape.h"
#include "shared/utf8.h"
#include "tests/fuzz/fuzz.h"

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Undo escape_text(): the bytes it was made from, into back; their count. */
static size_t
unescape(const char *e, size_t elen, unsigned char *back)
{
	size_t i = 0, o = 0;
	uint32_t cp;
	unsigned char enc[4];
	int k, h, j, w;

	while (i < elen) {
		if (e[i] != '\\') {
			FUZZ_CHECK(e[i] != '"', "bare quote at %zu", i);
			back[o++] = e[i++];
			continue;
		}
		FUZZ_CHECK(i + 1 < elen, "backslash at the end");
		switch (e[i + 1]) {
		case '\\': case '"':
			back[o++] = e[i + 1];
			i += 2;
			break;
		case 'n': back[o++] = '\n'; i += 2; break;
		case 'r': back[o++] = '\r'; i += 2; break;
		case 't': back[o++] = '\t'; i += 2; break;
		case 'x':
			FUZZ_CHECK(i + 4 <= elen && hexval(e[i + 2]) >= 0 &&
			    hexval(e[i + 3]) >= 0, "bad \\x at %zu", i);
			back[o++] = hexval(e[i + 2]) << 4 | hexval(e[i + 3]);
			i += 4;
			break;
		case 'u': case 'U':
			w = e[i + 1] == 'u' ? 4 : 8;
			FUZZ_CHECK(i + 2 + w <= elen, "short \\%c at %zu",
			    e[i + 1], i);
			for (cp = 0, j = 2; j < 2 + w; j++) {
				FUZZ_CHECK((h = hexval(e[i + j])) >= 0,
				    "bad \\%c at %zu", e[i + 1], i);
				cp = cp << 4 | h;
			}
			FUZZ_CHECK((w == 8) == (cp > 0xffff),
			    "\\%c for U+%04X", e[i + 1], cp);
			FUZZ_CHECK(cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
			    cp == 0x2028 || cp == 0x2029 ||
			    utf8_is_invisible(cp), "needless escape of U+%04X",
			    cp);
			FUZZ_CHECK(cp != '\n' && cp != '\r' && cp != '\t',
			    "\\u%04x has a short form", cp);
			k = utf8_encode(cp, enc);
			memcpy(back + o, enc, k);
			o += k;
			i += 2 + w;
			break;
		default:
			FUZZ_CHECK(0, "unknown escape \\%c", e[i + 1]);
		}
	}
	return o;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const unsigned char *src;
	unsigned char *back;
	size_t limit, srclen, r, elen, cut, off;
	uint32_t cp;
	char *dst;
	int n;

	if (size < 2)
		return 0;
	limit = (size_t)data[0] << 8 | data[1];
	src = data + 2;
	srclen = size - 2;
	if ((dst = malloc(ESCAPE_BUFSIZE(limit))) == NULL)
		abort();
	memset(dst, 'x', ESCAPE_BUFSIZE(limit));

	r = escape_text(dst, src, srclen, limit);
	cut = limit < srclen ? limit : srclen;
	FUZZ_CHECK(r <= cut && r + 3 >= cut, "rendered %zu of %zu", r, cut);
	FUZZ_CHECK(memchr(dst, '\0', ESCAPE_BUFSIZE(limit)) != NULL,
	    "not terminated");
	elen = strlen(dst);
	for (off = 0; off < elen; off++)
		FUZZ_CHECK((unsigned char)dst[off] >= 0x20 &&
		    dst[off] != 0x7f, "byte %02x at %zu",
		    (unsigned char)dst[off], off);
	for (off = 0; off < elen; off += n) {
		n = ref_utf8_decode((unsigned char *)dst + off, elen - off,
		    &cp);
		FUZZ_CHECK(n > 0, "invalid UTF-8 out at %zu", off);
		FUZZ_CHECK(!(cp >= 0x80 && cp <= 0x9f) && cp != 0x2028 &&
		    cp != 0x2029 && !utf8_is_invisible(cp), "U+%04X out", cp);
	}
	/* Short of the cut only when a whole sequence would cross it. */
	if (r < cut)
		FUZZ_CHECK(ref_utf8_decode(src + r, srclen - r, &cp) > 0 &&
		    r + ref_utf8_decode(src + r, srclen - r, &cp) > cut,
		    "stopped at %zu of %zu", r, cut);
	/* Every escape stands for at least one byte: elen is room enough. */
	if ((back = malloc(elen + 4)) == NULL)
		abort();
	FUZZ_CHECK(unescape(dst, elen, back) == r && memcmp(back, src, r) == 0,
	    "escaped text does not give back the source");
	free(back);
	free(dst);
	return 0;
}
