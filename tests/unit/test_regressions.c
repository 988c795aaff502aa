/*
 * test_regressions.c -- inputs the fuzz targets (tests/fuzz/) found that
 * broke a property, kept as unit tests once fixed. Each input is also in
 * the target's seed corpus as tests/fuzz/corpus/<target>/regress-*, so the
 * fuzzer starts from it too.
 */
#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

#include "daemon/services/session.h"
#include "shared/utf8.h"

/* Parse req as the daemon holds it (NUL after it); the ERR reply in err. */
static int
parse(const char *req, size_t len, int flags, char *err, size_t errlen)
{
	char *copy = malloc(len + 1), *arg;
	int verb, r;

	cr_assert_not_null(copy);
	memcpy(copy, req, len);
	copy[len] = '\0';
	r = session_parse(copy, (uint32_t)len, flags, &verb, &arg, err,
	    errlen);
	free(copy);
	return r;
}

/*
 * fuzz_session_parse: an unknown verb longer than 32 bytes is quoted in
 * its ERR 401 cut at 32 bytes, which split a UTF-8 sequence and made the
 * reply frame invalid UTF-8 (tests/fuzz/corpus/session_parse/
 * regress-401-verb-cut-in-utf8*). The cut now stops before the sequence.
 */
Test(regressions, unknown_verb_cut_keeps_utf8)
{
	static const char found[] = "La.;\x1a" "111111111111111111111111"
	    "\x04\xe9\x89\x9eIFY\xe9\x89\x9en";
	char req[64], err[128], want[64];
	size_t bad;

	memset(req, 'A', 31);
	memcpy(req + 31, "\xd0\xaf", 2);	/* Я across byte 32 */
	cr_assert_eq(parse(req, 33, 0, err, sizeof(err)), -1);
	cr_assert_eq(utf8_check(err, strlen(err), &bad), 0,
	    "reply not UTF-8 at byte %zu", bad);
	snprintf(want, sizeof(want), "ERR 401 unknown verb %.31s", req);
	cr_assert_str_eq(err, want);

	/* The fuzzer's own input: a cut inside a 3-byte sequence. */
	cr_assert_eq(parse(found, sizeof(found) - 1, 0, err, sizeof(err)), -1);
	cr_assert_eq(strncmp(err, "ERR 401 ", 8), 0, "%s", err);
	cr_assert_eq(utf8_check(err, strlen(err), &bad), 0,
	    "reply not UTF-8 at byte %zu", bad);

	/* A control character ends the quoted verb and shows as '?'. */
	cr_assert_eq(parse("GO\tPH\x1b[2JER x", 13, 0, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "ERR 401 unknown verb GO?");

	/* A verb of exactly 32 bytes is quoted whole. */
	memset(req, 'B', 30);
	memcpy(req + 30, "\xd0\xaf", 2);
	cr_assert_eq(parse(req, 32, 0, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "ERR 401 unknown verb %.32s", req);
	cr_assert_str_eq(err, want);
}

/*
 * fuzz_session_parse: an unknown verb holding LOGIN after a long prefix was
 * quoted redacted, with a prefix of up to 64 bytes cut inside a UTF-8
 * sequence, and past the 32 bytes an ERR 401 may quote (tests/fuzz/corpus/
 * session_parse/regress-401-redacted-verb-cut-in-utf8-found). The verb is
 * now cut at 32 bytes first, then redacted.
 */
Test(regressions, redacted_verb_cut_keeps_utf8)
{
	char req[64], err[128];
	size_t bad;

	memset(req, '-', 28);
	memcpy(req + 28, "\xf3\xbb\xab\x95", 4);	/* across byte 30 */
	memcpy(req + 32, "LOGINsecret", 11);
	cr_assert_eq(parse(req, 43, 0, err, sizeof(err)), -1);
	cr_assert_eq(utf8_check(err, strlen(err), &bad), 0,
	    "reply not UTF-8 at byte %zu: %s", bad, err);
	cr_assert_eq(strstr(err, "secret "), NULL, "%s", err);
	cr_assert_leq(strlen(err), strlen("ERR 401 unknown verb ") + 32 + 8);

	/* The verb of a request holding LOGIN within its 32 bytes. */
	memcpy(req, "\xd0\xaf" "LOGINuser\tpassword-here", 25);
	cr_assert_eq(parse(req, 25, 0, err, sizeof(err)), -1);
	cr_assert_str_eq(err, "ERR 401 unknown verb \xd0\xaf" "LOGIN[secret]?");
}
