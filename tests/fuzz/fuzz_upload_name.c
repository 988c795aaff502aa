/*
 * fuzz_upload_name.c -- the upload name sanitizer (upload_sanitize_name()
 * in daemon/services/upload.c).
 *
 * Input: 1 byte choosing the output buffer (even: the daemon's own
 * UPLOAD_NAME_MAX + 1; odd: 2..128 bytes), then the client's name, up to
 * its first NUL as the daemon gets it. Checked: the output is never empty,
 * never starts with '.', holds no '/', no space (Unicode White_Space), '\'
 * or '"', no control character (C0, DEL, C1) nor invisible one, is valid UTF-8, fits the buffer and
 * UPLOAD_NAME_MAX bytes, nothing is written past the buffer (it is
 * allocated to its exact size), and a safe name comes back unchanged when
 * sanitized again.
 */
#include <string.h>

#include "daemon/services/upload.h"
#include "shared/utf8.h"
#include "tests/fuzz/fuzz.h"

static void
check_name(const char *out, size_t outlen)
{
	const unsigned char *s = (const unsigned char *)out;
	size_t len = strnlen(out, outlen), off = 0;
	uint32_t cp;
	int n;

	FUZZ_CHECK(len < outlen, "not terminated");
	FUZZ_CHECK(len > 0, "empty name");
	FUZZ_CHECK(len <= UPLOAD_NAME_MAX, "%zu bytes", len);
	FUZZ_CHECK(s[0] != '.', "leading dot: '%s'", out);
	while (off < len) {
		n = ref_utf8_decode(s + off, len - off, &cp);
		FUZZ_CHECK(n > 0, "invalid UTF-8 at %zu", off);
		FUZZ_CHECK(cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 &&
		    cp <= 0x9f), "control U+%04X at %zu", cp, off);
		FUZZ_CHECK(cp != '/' && cp != ' ' && cp != '\\' && cp != '"',
		    "'%c' at %zu", (char)cp, off);
		FUZZ_CHECK(!utf8_is_space(cp) && !utf8_is_invisible(cp),
		    "U+%04X at %zu", cp, off);
		off += n;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, *out, *again;
	size_t outlen;

	if (size < 1)
		return 0;
	outlen = data[0] & 1 ? 2 + (data[0] >> 1) % 127 : UPLOAD_NAME_MAX + 1;
	if ((in = malloc(size)) == NULL || (out = malloc(outlen)) == NULL ||
	    (again = malloc(outlen)) == NULL)
		abort();
	memcpy(in, data + 1, size - 1);
	in[size - 1] = '\0';

	upload_sanitize_name(in, out, outlen);
	/* Too small for "upload": the fallback is cut, still not empty. */
	check_name(out, outlen);
	upload_sanitize_name(out, again, outlen);
	FUZZ_CHECK(strcmp(out, again) == 0, "'%s' sanitized again: '%s'", out,
	    again);
	free(again);
	free(out);
	free(in);
	return 0;
}
