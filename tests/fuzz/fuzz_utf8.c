/*
 * fuzz_utf8.c -- the UTF-8 mirror: utf8_check(), utf8_tail() and
 * utf8_reverse() with and without keep_case (shared/utf8.c), and
 * mirror_text() (daemon/services/mirror.c) that builds the reply on them.
 *
 * Input: 1 byte of options (bit 0: keep_case; bits 1-7: signature length
 * 0..127 taken from the end of the text), then the text. Checked against
 * the reference decoder of fuzz.h: utf8_check() accepts exactly valid text
 * without NUL and names the first bad byte; utf8_tail() finds exactly a cut
 * sequence at the end; utf8_reverse() fails exactly on invalid text (same
 * offset), else returns valid UTF-8, NUL-terminated, inside the buffer that
 * UTF8_REVERSE_SIZE() promises is enough, with every code point: without
 * keep_case it is the code points in reverse and reversing it again gives
 * the text back; with keep_case each code point is the reversed one or its
 * upper or lower case, and spaces and non-letters stay as they are.
 * mirror_text() is that reversal followed by the signature.
 */
#include <locale.h>
#include <string.h>
#include <wctype.h>

#include "daemon/config.h"
#include "daemon/services/mirror.h"
#include "shared/utf8.h"
#include "tests/fuzz/fuzz.h"

static locale_t	loc;

/* Code points of valid s into cps (room for len); their number. */
static size_t
decode_all(const unsigned char *s, size_t len, uint32_t *cps)
{
	size_t off = 0, n = 0;
	int k;

	while (off < len) {
		k = ref_utf8_decode(s + off, len - off, &cps[n]);
		FUZZ_CHECK(k > 0, "invalid output at %zu", off);
		n++;
		off += k;
	}
	return n;
}

static void
check_tail(const unsigned char *s, size_t len)
{
	size_t t = utf8_tail(s, len), k, want = 0;
	uint32_t cp;

	/* The one k (1..3) where the last k bytes are a lead byte and
	 * continuation bytes that could still end as a valid sequence. */
	for (k = 1; k <= 3 && k <= len; k++) {
		if ((s[len - k] & 0xc0) == 0x80)
			continue;
		if (ref_utf8_decode(s + len - k, k, &cp) == -2)
			want = k;
		break;
	}
	FUZZ_CHECK(t == want, "utf8_tail %zu, expected %zu", t, want);
}

static void
check_reverse(const unsigned char *s, size_t len, int keep_case,
    uint32_t *in, size_t nin)
{
	size_t size = UTF8_REVERSE_SIZE(len), bad = SIZE_MAX, refbad, nout, i;
	uint32_t *outcp, r;
	char *out, *back;
	long n, n2;

	if ((out = malloc(size)) == NULL || (outcp = malloc((len + 1) *
	    sizeof(*outcp))) == NULL)
		abort();
	n = utf8_reverse(s, len, keep_case, out, size, &bad);
	if (!ref_utf8_valid(s, len, &refbad)) {
		FUZZ_CHECK(n == -1 && bad == refbad, "invalid text: %ld, bad "
		    "%zu, expected %zu", n, bad, refbad);
		goto done;
	}
	FUZZ_CHECK(n >= 0 && (size_t)n < size, "returned %ld of %zu", n,
	    size);
	FUZZ_CHECK(out[n] == '\0', "no NUL at the end");
	nout = decode_all((unsigned char *)out, (size_t)n, outcp);
	FUZZ_CHECK(nout == nin, "%zu code points of %zu", nout, nin);
	for (i = 0; i < nin; i++) {
		r = in[nin - 1 - i];
		if (!keep_case) {
			FUZZ_CHECK(outcp[i] == r, "code point %zu", i);
			continue;
		}
		FUZZ_CHECK(outcp[i] == r || outcp[i] == (uint32_t)
		    towupper_l(r, loc) || outcp[i] == (uint32_t)
		    towlower_l(r, loc), "code point %zu: U+%04X for U+%04X",
		    i, outcp[i], r);
		if (iswspace_l(r, loc) || !iswalpha_l(r, loc))
			FUZZ_CHECK(outcp[i] == r, "non-letter %zu changed", i);
	}
	if (!keep_case) {
		FUZZ_CHECK((size_t)n == len, "length %ld of %zu", n, len);
		if ((back = malloc(size)) == NULL)
			abort();
		n2 = utf8_reverse(out, (size_t)n, 0, back, size, &bad);
		FUZZ_CHECK(n2 == (long)len && memcmp(back, s, len) == 0,
		    "reversed twice differs");
		free(back);
	}
done:
	free(outcp);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	const unsigned char *s;
	size_t len, bad = SIZE_MAX, refbad, siglen, nin = 0, mbad;
	uint32_t *in;
	char *reply, *plain;
	long n;

	if (loc == (locale_t)0 &&
	    (loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0)) == 0)
		abort();
	if (size < 1)
		return 0;
	s = data + 1;
	len = size - 1;

	/* utf8_check: valid and no NUL, else the first bad byte. */
	if (ref_utf8_valid(s, len, &refbad) && memchr(s, '\0', len) == NULL)
		FUZZ_CHECK(utf8_check(s, len, &bad) == 0, "valid refused");
	else {
		FUZZ_CHECK(utf8_check(s, len, &bad) == -1, "bad accepted");
		if (!ref_utf8_valid(s, len, &refbad) &&
		    (memchr(s, '\0', refbad) == NULL))
			FUZZ_CHECK(bad == refbad, "bad at %zu, expected %zu",
			    bad, refbad);
		else
			FUZZ_CHECK(s[bad] == '\0' && memchr(s, '\0', bad) ==
			    NULL, "NUL at %zu", bad);
	}
	check_tail(s, len);

	if ((in = malloc((len + 1) * sizeof(*in))) == NULL)
		abort();
	if (ref_utf8_valid(s, len, NULL))
		nin = decode_all(s, len, in);
	check_reverse(s, len, 0, in, nin);
	check_reverse(s, len, 1, in, nin);

	/* mirror_text: the reversal, then the signature. */
	siglen = (data[0] >> 1) < len ? (data[0] >> 1) : len;
	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.signature, s + len - siglen, siglen);
	cfg.signature[siglen] = '\0';
	cfg.keep_case = data[0] & 1;
	reply = mirror_text(&cfg, (const char *)s, len, &mbad);
	if (!ref_utf8_valid(s, len, &refbad))
		FUZZ_CHECK(reply == NULL && mbad == refbad, "mirror of bad "
		    "text");
	else {
		FUZZ_CHECK(reply != NULL, "no mirror reply");
		if ((plain = malloc(UTF8_REVERSE_SIZE(len))) == NULL)
			abort();
		n = utf8_reverse(s, len, cfg.keep_case, plain,
		    UTF8_REVERSE_SIZE(len), &bad);
		FUZZ_CHECK(n >= 0 && memcmp(reply, plain, n) == 0 &&
		    strcmp(reply + n, cfg.signature) == 0,
		    "mirror reply is not reversal + signature");
		free(plain);
	}
	free(reply);
	free(in);
	return 0;
}
