/*
 * test_redact.c -- redact_secrets() and redact_request() (shared/redact.c):
 * what the server's and the client's logs keep of a request or reply that
 * may hold a secret.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "daemon/services/session.h"
#include "shared/redact.h"

static void
expect_redact(const char *msg, size_t len, const char *want)
{
	char out[256];
	size_t n;

	memset(out, 'Z', sizeof(out));
	n = redact_secrets(msg, len, out, sizeof(out));
	if (want == NULL) {
		cr_expect_eq(n, 0, "'%.*s' redacted to '%s'", (int)len, msg,
		    out);
		return;
	}
	cr_assert_gt(n, 0, "'%.*s' not redacted", (int)len, msg);
	cr_expect_eq(n, strlen(out));
	cr_expect_str_eq(out, want, "'%.*s'", (int)len, msg);
}

#define REDACT(msg, want)	expect_redact(msg, strlen(msg), want)

Test(redact, well_formed_keep_the_user)
{
	REDACT("LOGIN alice correct horse battery", "LOGIN alice [secret]");
	REDACT("login alice pw-with-no-space", "login alice [secret]");
	REDACT("REGISTER bob.b_1-x s3cret", "REGISTER bob.b_1-x [secret]");
	REDACT("OK token 5f0c9e expires 1795392187",
	    "OK token [secret] expires 1795392187");
}

Test(redact, resume_hides_the_token)
{
	REDACT("RESUME 5f0c9e5f0c9e", "RESUME [secret]");
	REDACT("resume\t5f0c9e5f0c9e", "resume[secret]");
	REDACT("RESUME  5f0c9e", "RESUME [secret]");
}

/* Found by a black-box review: each of these was logged in clear. */
Test(redact, malformed_requests_hide_everything_after_the_verb)
{
	REDACT("LOGIN\talice Hunter2Secret", "LOGIN[secret]");
	REDACT("LOGINX bob Hunter2Secret", "LOGIN[secret]");
	REDACT("LOGINHunter2Secret", "LOGIN[secret]");
	REDACT("\xffLOGIN bob Hunter2Secret", "\xffLOGIN bob [secret]");
	REDACT("  LOGIN bob Hunter2Secret", "  LOGIN bob [secret]");
	REDACT("LOGIN Hunter2Secret", "LOGIN [secret]");
	REDACT("LOGIN  bob Hunter2Secret", "LOGIN [secret]");
	REDACT("LOGIN bob ", "LOGIN [secret]");
	REDACT("REGISTER a/b Hunter2Secret", "REGISTER [secret]");
	REDACT("REGISTER "
	    "a-user-name-of-thirty-three-bytes Hunter2Secret",
	    "REGISTER [secret]");
	expect_redact("\0LOGIN bob Hunter2Secret", 24, "[secret]");
}

Test(redact, other_messages_untouched)
{
	REDACT("ECHO hello LOGIN alice pw", NULL);
	REDACT("MIRROR resume", NULL);
	REDACT("WHOAMI", NULL);
	REDACT("LOGOUT", NULL);
	REDACT("LOGIN", NULL);
	REDACT("OK welcome alice", NULL);
	REDACT("ERR 401 unknown verb GOPHER", NULL);
	REDACT("", NULL);
}

/* An unknown verb is quoted in the reply, which is logged too. */
Test(redact, unknown_verb_reply_hides_a_secret)
{
	char req[] = "LOGIN\talice\tHunter2Secret", err[128], *arg;
	char other[] = "GO\tPHER x";
	int verb;

	cr_assert_eq(session_parse(req, sizeof(req) - 1, 0, &verb, &arg, err,
	    sizeof(err)), -1);
	cr_expect_str_eq(err, "ERR 401 unknown verb LOGIN?");
	cr_assert_eq(session_parse(other, sizeof(other) - 1, 0, &verb, &arg,
	    err, sizeof(err)), -1);
	cr_expect_str_eq(err, "ERR 401 unknown verb GO?");
}

/* A long prefix is cut at 64 bytes, never inside a UTF-8 sequence. */
Test(redact, long_prefix_cut_keeps_utf8)
{
	char msg[128], want[128];

	memset(msg, '-', 63);
	strcpy(msg + 63, "\xd0\xaf" "LOGIN pw");
	memset(want, '-', 63);
	strcpy(want + 63, " [secret]");
	expect_redact(msg, strlen(msg), want);
}

/* A request's form for the log when the caller does not check its verb
 * (the client): the protocol's verbs as redact_secrets(), anything else
 * its verb alone, so that a mistyped LOGIN keeps its password out. */
static void
expect_request(const char *msg, const char *want)
{
	char out[128];
	size_t n;

	n = redact_request(msg, strlen(msg), out, sizeof(out));
	if (want == NULL) {
		cr_expect_eq(n, 0, "'%s' redacted to '%s'", msg, out);
		return;
	}
	cr_assert_gt(n, 0, "'%s' not redacted", msg);
	cr_expect_eq(n, strlen(out));
	cr_expect_str_eq(out, want, "'%s'", msg);
}

Test(redact, request_of_an_unknown_verb_keeps_the_verb_only)
{
	expect_request("ECHO hello there", NULL);
	expect_request("mirror a b", NULL);
	expect_request("QUIT", NULL);
	expect_request("LOGIN alice pw-one-two", "LOGIN alice [secret]");
	expect_request("LGOIN alice pw-one-two", "LGOIN [secret]");
	expect_request("LGOIN\talice\tpw-one-two", "LGOIN? [secret]");
	expect_request("REGISTR bob pw-one-two", "REGISTR [secret]");
	expect_request("FOO", "FOO");
	expect_request(" LOGIN alice pw", " [secret]");
	expect_request("LOGINalice pw-one", "LOGIN[secret] [secret]");
}

/* The verbs redact_request() lets through are the ones the server knows:
 * each is parsed as a verb, not refused as unknown. */
Test(redact, request_verbs_are_the_servers)
{
	static const char *const verbs[] = { "ECHO x", "MIRROR x", "STATUS",
	    "UPLOAD a 1 b", "IDENTIFY", "REGISTER a b", "LOGIN a b",
	    "RESUME t", "LOGOUT", "WHOAMI", "HELP", "QUIT" };
	char req[64], err[128], *arg, out[64], want[64];
	size_t i, n;
	int verb;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		strlcpy(req, verbs[i], sizeof(req));
		n = redact_request(req, strlen(req), out, sizeof(out));
		cr_expect_eq(n, redact_secrets(req, strlen(req), want,
		    sizeof(want)), "%s", verbs[i]);
		if (n > 0)
			cr_expect_str_eq(out, want, "%s", verbs[i]);
		cr_expect_eq(session_parse(req, strlen(req), 0, &verb, &arg,
		    err, sizeof(err)), 0, "%s: %s", verbs[i], err);
	}
}
