/*
 * fuzz_session_parse.c -- the session request check (session_parse() in
 * daemon/services/session.c).
 *
 * Input: 1 byte of flags (SESSION_LINES, SESSION_AUTH_ONLY), then the
 * request, copied with a NUL after it as the daemon holds it. Checked: the
 * request is left as it was; the result is 0 or -1; a refusal is
 * "ERR 40x ...", valid UTF-8 (it goes out as a text frame), one line when
 * the request was, with the code the order of checks in docs/PROTOCOL.md gives
 * (empty 400, not UTF-8 or a NUL 403, unknown verb 401, missing argument
 * 402), the UTF-8 verdict agreeing with a decoder of our own; a request
 * taken has a verb of ASCII letters, its argument is what follows the first
 * space (or none), the same verb is found in any letter case, and the
 * account verbs the auth service offers are a subset of the session's.
 */
#include <ctype.h>
#include <string.h>

#include "daemon/services/session.h"
#include "tests/fuzz/fuzz.h"

static int
parse(const char *req, size_t len, int flags, int *verb, size_t *argoff,
    char *err, size_t errlen)
{
	char *copy, *arg = (char *)1;
	int r;

	if ((copy = malloc(len + 1)) == NULL)
		abort();
	memcpy(copy, req, len);
	copy[len] = '\0';
	memset(err, 'x', errlen);
	r = session_parse(copy, (uint32_t)len, flags, verb, &arg, err, errlen);
	FUZZ_CHECK(memcmp(copy, req, len) == 0 && copy[len] == '\0',
	    "the request was changed");
	*argoff = SIZE_MAX;
	if (r == 0 && arg != NULL) {
		FUZZ_CHECK(arg > copy && arg <= copy + len,
		    "argument outside the request");
		*argoff = (size_t)(arg - copy);
	}
	free(copy);
	return r;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128], err2[128], *swapped;
	const char *req, *sp;
	size_t len, argoff, argoff2, vlen, i, bad;
	int flags, verb, verb2, r, r2, code;

	if (size < 1)
		return 0;
	flags = data[0] & (SESSION_LINES | SESSION_AUTH_ONLY);
	req = (const char *)data + 1;
	len = size - 1;

	r = parse(req, len, flags, &verb, &argoff, err, sizeof(err));
	FUZZ_CHECK(r == 0 || r == -1, "returned %d", r);
	sp = memchr(req, ' ', len);
	vlen = sp ? (size_t)(sp - req) : len;
	if (r == -1) {
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL,
		    "reply not terminated");
		/* A reply is a text frame: UTF-8, and no NUL. In lines
		 * (the auth service) it must stay one line, and the words
		 * of none can drive a terminal. */
		FUZZ_CHECK(ref_utf8_valid(err, strlen(err), &bad),
		    "reply not UTF-8 at byte %zu: '%s'", bad, err);
		/* No control character of the request comes back. */
		for (i = 0; err[i] != '\0'; i++)
			FUZZ_CHECK((unsigned char)err[i] >= 0x20 &&
			    err[i] != 0x7f, "control byte 0x%02x at %zu",
			    (unsigned char)err[i], i);
		FUZZ_CHECK(strncmp(err, "ERR 40", 6) == 0 && err[7] == ' ' &&
		    err[8] != '\0', "reply '%s'", err);
		code = atoi(err + 4);
		if (len == 0)
			FUZZ_CHECK(code == 400, "empty: %s", err);
		else if (!ref_utf8_valid(req, len, &bad) ||
		    memchr(req, '\0', len) != NULL)
			FUZZ_CHECK(code == 403, "bad text: %s", err);
		else
			FUZZ_CHECK(code == 401 || code == 402, "text: %s", err);
		if (code == 401)
			FUZZ_CHECK(verb == -1, "401 with verb %d", verb);
		if (code == 402)
			FUZZ_CHECK(verb >= 0 && sp == NULL,
			    "402 with an argument");
		return 0;
	}

	/* Taken: valid text, a verb of letters, the argument after it. */
	FUZZ_CHECK(len > 0 && ref_utf8_valid(req, len, NULL) &&
	    memchr(req, '\0', len) == NULL, "bad text taken");
	FUZZ_CHECK(verb >= 0, "verb %d", verb);
	FUZZ_CHECK(vlen > 0, "empty verb taken");
	for (i = 0; i < vlen; i++)
		FUZZ_CHECK(isascii((unsigned char)req[i]) &&
		    isalpha((unsigned char)req[i]), "verb byte %02x",
		    (unsigned char)req[i]);
	FUZZ_CHECK(sp ? argoff == vlen + 1 : argoff == SIZE_MAX,
	    "argument at %zu, verb of %zu", argoff, vlen);

	/* Verbs are case-insensitive: flip the case of every letter. */
	if ((swapped = malloc(len)) == NULL)
		abort();
	memcpy(swapped, req, len);
	for (i = 0; i < vlen; i++)
		swapped[i] ^= 0x20;
	r2 = parse(swapped, len, flags, &verb2, &argoff2, err2, sizeof(err2));
	FUZZ_CHECK(r2 == 0 && verb2 == verb && argoff2 == argoff,
	    "case changed the verb");
	free(swapped);

	/* What the auth service takes, the session service takes too. */
	if (flags & SESSION_AUTH_ONLY) {
		r2 = parse(req, len, flags & ~SESSION_AUTH_ONLY, &verb2,
		    &argoff2, err2, sizeof(err2));
		FUZZ_CHECK(r2 == 0 && verb2 == verb,
		    "account verb unknown to session");
	}
	return 0;
}
