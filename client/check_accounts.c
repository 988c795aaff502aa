/*
 * check_accounts.c -- sockbin check's ident cases (from loopback source
 * addresses the server has never seen) and auth cases (the session
 * protocol in lines: REGISTER, LOGIN, RESUME with fresh accounts).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "client/check.h"

/* ---- ident ----------------------------------------------------------- */

static int
id_ready(struct check_run *r, uint32_t *src)
{
	if ((*src = check_fresh_source(r)) == 0) {
		check_skip(r, "needs a server on IPv4 loopback, to connect "
		    "from addresses it does not know");
		return -1;
	}
	return 0;
}

static int
id_contains(struct check_run *r, const char *line, const char *name,
    const char *what)
{
	char exp[CHECK_LINE_MAX];

	if (strstr(line, name) != NULL)
		return 0;
	snprintf(exp, sizeof(exp), "a line with \"%s\"", name);
	check_fail(r, "%s does not hold the name", what);
	r->cur->expected = check_escape(exp, strlen(exp));
	r->cur->received = check_escape(line, strlen(line));
	return -1;
}

/* Connect from src and take the question (a line, not empty). */
static int
id_question(struct check_run *r, struct check_conn *c, uint32_t src,
    const char *what)
{
	char line[CHECK_LINE_MAX];

	if (check_dial(r, c, src) == -1)
		return -1;
	if (check_recv_line(c, line, sizeof(line), what) == 0) {
		if (line[0] != '\0')
			return 0;
		check_fail(r, "%s: an empty line", what);
	}
	check_close(c, 0);
	return -1;
}

/* From a new address: the question, the answer (as told), the server's
 * acknowledgement with the name. */
static int
id_introduce(struct check_run *r, uint32_t src, const char *name,
    size_t chunk, int pause_ms)
{
	char line[CHECK_LINE_MAX], *answer;
	struct check_conn c;
	int rc = -1;

	if (asprintf(&answer, "%s\n", name) == -1)
		return -1;
	if (id_question(r, &c, src, "question to a new address") == 0) {
		if (check_send(&c, answer, strlen(answer), chunk, pause_ms) ==
		    0 && check_recv_line(&c, line, sizeof(line),
		    "reply to the name") == 0)
			rc = id_contains(r, line, name, "reply to the name");
		check_close(&c, 0);
	}
	free(answer);
	return rc;
}

/* From a known address: greeted by name at once. */
static int
id_greeted(struct check_run *r, uint32_t src, const char *name)
{
	char line[CHECK_LINE_MAX];
	struct check_conn c;
	int rc = -1;

	if (check_dial(r, &c, src) == -1)
		return -1;
	if (check_recv_line(&c, line, sizeof(line),
	    "greeting to a known address") == 0)
		rc = id_contains(r, line, name, "greeting to a known address");
	check_close(&c, 0);
	return rc;
}

static void
id_asked(struct check_run *r)
{
	struct check_conn c;
	uint32_t src;

	if (id_ready(r, &src) == 0 &&
	    id_question(r, &c, src, "question to a new address") == 0)
		check_close(&c, 0);
}

static void
id_answer(struct check_run *r)
{
	uint32_t src;

	if (id_ready(r, &src) == 0)
		id_introduce(r, src, r->opt->name, 0, 0);
}

static void
id_known(struct check_run *r)
{
	uint32_t src;

	if (id_ready(r, &src) == 0 &&
	    id_introduce(r, src, r->opt->name, 0, 0) == 0)
		id_greeted(r, src, r->opt->name);
}

static void
id_utf8_cut(struct check_run *r)
{
	uint32_t src;

	if (id_ready(r, &src) == 0 &&
	    id_introduce(r, src, check_cyrillic, CHECK_CUT_CHUNK,
	    CHECK_CUT_PAUSE_MS) == 0)
		id_greeted(r, src, check_cyrillic);
}

static void
id_bytewise(struct check_run *r)
{
	uint32_t src;

	if (id_ready(r, &src) == 0 &&
	    id_introduce(r, src, r->opt->name, 1, CHECK_BYTE_PAUSE_MS) == 0)
		id_greeted(r, src, r->opt->name);
}

/* A client that resets mid-answer; the next client is asked. */
static void
id_reset_mid(struct check_run *r)
{
	struct check_conn c;
	uint32_t src;

	if (id_ready(r, &src) == -1 ||
	    id_question(r, &c, src, "question to a new address") == -1)
		return;
	if (check_send_str(&c, "Half a na") == 0) {
		check_close(&c, 1);
		if (id_question(r, &c, check_fresh_source(r),
		    "question to the next new address") == 0)
			check_close(&c, 0);
	}
	check_close(&c, 0);
}

static void
id_relisten(struct check_run *r)
{
	uint32_t src;

	if (id_ready(r, &src) == 0 &&
	    id_introduce(r, src, "First Client", 0, 0) == 0)
		id_introduce(r, check_fresh_source(r), "Next Client", 0, 0);
}

/* ---- auth (the session protocol in lines) ---------------------------- */

struct account {
	char	user[32];
	char	password[48];
};

static void
au_account(struct account *a)
{
	unsigned char b[8];
	char hex[17];

	randombytes_buf(b, sizeof(b));
	sodium_bin2hex(hex, sizeof(hex), b, sizeof(b));
	snprintf(a->user, sizeof(a->user), "chk%.8s", hex);
	snprintf(a->password, sizeof(a->password), "check-%s", hex);
}

/* The next line must start with prefix (exact: be it); the line in
 * out. */
static int
au_expect(struct check_conn *c, const char *prefix, int exact, char *out,
    size_t size, const char *what)
{
	size_t n = strlen(prefix);

	if (check_recv_line(c, out, size, what) == -1)
		return -1;
	if (strncmp(out, prefix, n) == 0 && (!exact || out[n] == '\0'))
		return 0;
	check_mismatch(c->r, what, prefix, n, out, strlen(out));
	return -1;
}

/* Dial (from a fresh loopback address, so that no limit per address
 * from an earlier run gets in the way) and take the greeting. */
static int
au_dial(struct check_run *r, struct check_conn *c)
{
	char line[CHECK_LINE_MAX];

	if (check_dial(r, c, check_fresh_source(r)) == -1)
		return -1;
	if (au_expect(c, "OK ", 0, line, sizeof(line), "greeting") == 0)
		return 0;
	check_close(c, 0);
	return -1;
}

/* Send the request req as a line and expect its reply (au_expect()). */
static int
au_request(struct check_conn *c, const char *req, const char *prefix,
    int exact, char *out, size_t size)
{
	char *line, what[64];
	int rc = -1;

	if (asprintf(&line, "%s\n", req) == -1)
		return -1;
	snprintf(what, sizeof(what), "reply to %.*s", (int)strcspn(req, " "),
	    req);
	if (check_send_str(c, line) == 0)
		rc = au_expect(c, prefix, exact, out, size, what);
	free(line);
	return rc;
}

static int
au_register(struct check_conn *c, const struct account *a)
{
	char req[128], exp[64], line[CHECK_LINE_MAX];

	snprintf(req, sizeof(req), "REGISTER %s %s", a->user, a->password);
	snprintf(exp, sizeof(exp), "OK registered %s", a->user);
	return au_request(c, req, exp, 1, line, sizeof(line));
}

/* LOGIN: the token (65 bytes) from "OK token T expires N". */
static int
au_login(struct check_conn *c, const struct account *a, char *token)
{
	char req[128], line[CHECK_LINE_MAX];
	unsigned long long exp;
	size_t i;

	snprintf(req, sizeof(req), "LOGIN %s %s", a->user, a->password);
	if (au_request(c, req, "OK token ", 0, line, sizeof(line)) == -1)
		return -1;
	if (sscanf(line, "OK token %64s expires %llu", token, &exp) != 2 ||
	    strlen(token) != 64)
		goto bad;
	for (i = 0; i < 64; i++)
		if (strchr("0123456789abcdefABCDEF", token[i]) == NULL)
			goto bad;
	return 0;
bad:
	check_fail(c->r, "reply to LOGIN: expected OK token <64 hex digits> "
	    "expires <time>");
	return -1;
}

static void
au_greeting(struct check_run *r)
{
	struct check_conn c;

	if (au_dial(r, &c) == 0)
		check_close(&c, 0);
}

static void
au_new_user(struct check_run *r)
{
	struct check_conn c;
	struct account a;

	au_account(&a);
	if (au_dial(r, &c) == 0) {
		au_register(&c, &a);
		check_close(&c, 0);
	}
}

static void
au_login_ok(struct check_run *r)
{
	struct check_conn c;
	struct account a;
	char token[65];

	au_account(&a);
	if (au_dial(r, &c) == 0) {
		if (au_register(&c, &a) == 0)
			au_login(&c, &a, token);
		check_close(&c, 0);
	}
}

static void
au_login_wrong(struct check_run *r)
{
	char req[128], line[CHECK_LINE_MAX];
	struct check_conn c;
	struct account a;

	au_account(&a);
	if (au_dial(r, &c) == -1)
		return;
	snprintf(req, sizeof(req), "LOGIN %s not-%s", a.user, a.password);
	if (au_register(&c, &a) == 0)
		au_request(&c, req, "ERR 430", 0, line, sizeof(line));
	check_close(&c, 0);
}

static void
au_resume(struct check_run *r)
{
	char token[65], req[96], exp[64], line[CHECK_LINE_MAX];
	struct check_conn c;
	struct account a;

	au_account(&a);
	if (au_dial(r, &c) == -1)
		return;
	if (au_register(&c, &a) == 0 && au_login(&c, &a, token) == 0) {
		check_close(&c, 0);
		snprintf(req, sizeof(req), "RESUME %s", token);
		snprintf(exp, sizeof(exp), "OK welcome %s", a.user);
		if (au_dial(r, &c) == 0)
			au_request(&c, req, exp, 1, line, sizeof(line));
	}
	check_close(&c, 0);
}

/* Requests written as told: with help, HELP then WHOAMI. */
static void
au_whoami(struct check_run *r, const char *req, size_t chunk, int help)
{
	char line[CHECK_LINE_MAX];
	struct check_conn c;

	if (au_dial(r, &c) == -1)
		return;
	if (check_send(&c, req, strlen(req), chunk, CHECK_BYTE_PAUSE_MS) == 0 &&
	    (!help || au_expect(&c, "OK ", 0, line, sizeof(line),
	    "reply to HELP") == 0))
		au_expect(&c, "ERR 432", 0, line, sizeof(line),
		    "reply to WHOAMI");
	check_close(&c, 0);
}

static void
au_bytewise(struct check_run *r)
{
	au_whoami(r, "WHOAMI\n", 1, 0);
}

static void
au_coalesced(struct check_run *r)
{
	au_whoami(r, "HELP\nWHOAMI\n", 0, 1);
}

static void
au_empty(struct check_run *r)
{
	char line[CHECK_LINE_MAX];
	struct check_conn c;

	if (au_dial(r, &c) == 0) {
		au_request(&c, "", "ERR 400", 0, line, sizeof(line));
		check_close(&c, 0);
	}
}

static void
au_reset_mid(struct check_run *r)
{
	char line[CHECK_LINE_MAX];
	struct check_conn c;

	if (au_dial(r, &c) == -1)
		return;
	if (check_send_str(&c, "REGIS") == 0) {
		check_close(&c, 1);
		if (au_dial(r, &c) == 0)
			au_request(&c, "HELP", "OK ", 0, line, sizeof(line));
	}
	check_close(&c, 0);
}

/* ---- the tables ------------------------------------------------------ */

const struct check_case check_ident_cases[] = {
	{ "ident/1.1", "a new address is asked for a name", id_asked },
	{ "ident/1.2", "the name is acknowledged", id_answer },
	{ "ident/1.3", "a known address is greeted by name", id_known },
	{ "ident/1.4", "a Cyrillic name cut across writes", id_utf8_cut },
	{ "ident/1.5", "a name in 1-byte writes", id_bytewise },
	{ "ident/1.6", "a client leaves mid-name, the next is served",
	    id_reset_mid },
	{ "ident/1.7", "still listening after a client leaves",
	    id_relisten },
	{ "ident/2.1", "a client is served while four others are "
	    "connected", check_held_clients },
	{ NULL, NULL, NULL },
};

const struct check_case check_auth_cases[] = {
	{ "auth/1.1", "the greeting", au_greeting },
	{ "auth/1.2", "REGISTER a new user", au_new_user },
	{ "auth/1.3", "LOGIN gives a token", au_login_ok },
	{ "auth/1.4", "a wrong password gets ERR 430", au_login_wrong },
	{ "auth/1.5", "RESUME with the token on a new connection",
	    au_resume },
	{ "auth/1.6", "a request in 1-byte writes", au_bytewise },
	{ "auth/1.7", "two requests in one write", au_coalesced },
	{ "auth/1.8", "an empty line gets ERR 400", au_empty },
	{ "auth/1.9", "a client leaves mid-request, the next is served",
	    au_reset_mid },
	{ "auth/2.1", "a client is served while four others are connected",
	    check_held_clients },
	{ NULL, NULL, NULL },
};
