/*
 * check_session.c -- sockbin check's session cases: frames through
 * shared/frame.c, and frames cut or coalesced by hand where the probe is
 * about how they are written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/check.h"
#include "shared/utf8.h"

/* The next frame must be exp (prefix: only start with it). */
static int
se_expect(struct check_conn *c, const char *exp, size_t explen, int prefix,
    const char *what)
{
	struct frame_io io;
	enum frame_status st;
	uint32_t len;
	char *got;
	int rc = -1;

	check_frame_io(c, &io);
	st = frame_recv(&io, c->r->opt->max_frame + 64, &got, &len);
	if (st == FRAME_TOO_BIG) {
		check_fail(c->r, "%s: a frame of %u bytes announced", what,
		    len);
		return -1;
	}
	if (st != FRAME_OK && !c->eof) {
		c->timedout = 1;
		check_fail(c->r, "%s: no whole frame within %d ms", what,
		    c->r->opt->timeout_ms);
		return -1;
	}
	if (st != FRAME_OK) {
		check_fail(c->r, "%s: no frame: %s (the server closed the "
		    "connection%s%s)", what, frame_status_str(st),
		    c->err ? ": " : "", c->err ? strerror(c->err) : "");
		return -1;
	}
	if ((prefix ? len >= explen : len == explen) &&
	    memcmp(got, exp, explen) == 0)
		rc = 0;
	else
		check_mismatch(c->r, what, exp, explen, got, len);
	free(got);
	return rc;
}

static int
se_dial(struct check_run *r, struct check_conn *c)
{
	if (check_dial(r, c, 0) == -1)
		return -1;
	if (se_expect(c, "OK ", 3, 1, "greeting frame") == 0)
		return 0;
	check_close(c, 0);
	return -1;
}

/* A frame for text into a malloc'd buffer of *n bytes. */
static unsigned char *
se_frame(const char *text, size_t len, size_t *n)
{
	unsigned char *f;

	if ((f = malloc(len + 4)) == NULL)
		return NULL;
	f[0] = len >> 24;
	f[1] = len >> 16;
	f[2] = len >> 8;
	f[3] = len;
	memcpy(f + 4, text, len);
	*n = len + 4;
	return f;
}

/* Send the request in writes as told, expect exactly reply. */
static int
se_exchange(struct check_conn *c, const char *req, size_t chunk,
    int pause_ms, const char *reply)
{
	unsigned char *f;
	char what[64];
	size_t n;
	int rc;

	if ((f = se_frame(req, strlen(req), &n)) == NULL)
		return -1;
	snprintf(what, sizeof(what), "reply to %.*s",
	    (int)strcspn(req, " "), req);
	rc = check_send(c, f, n, chunk, pause_ms);
	free(f);
	if (rc == 0)
		rc = se_expect(c, reply, strlen(reply), 0, what);
	return rc;
}

static void
se_greeting(struct check_run *r)
{
	struct check_conn c;

	if (se_dial(r, &c) == 0)
		check_close(&c, 0);
}

/* One connection, one request and its exact reply. */
static void
se_once(struct check_run *r, const char *req, const char *reply)
{
	struct check_conn c;

	if (se_dial(r, &c) == 0) {
		se_exchange(&c, req, 0, 0, reply);
		check_close(&c, 0);
	}
}

/* A request frame of len bytes (a frame's bytes, header included) that
 * gets an error starting with err. */
static void
se_refused(struct check_run *r, const void *frame, size_t len,
    const char *err, const char *what)
{
	struct check_conn c;

	if (se_dial(r, &c) == -1)
		return;
	if (check_send(&c, frame, len, 0, 0) == 0)
		se_expect(&c, err, strlen(err), 1, what);
	check_close(&c, 0);
}

static void
se_echo(struct check_run *r)
{
	se_once(r, "ECHO hello", "OK hello");
}

/* The header a byte at a time, CHECK_CUT_PAUSE_MS apart (each its own read on
 * any server), then the payload a byte at a time. */
static void
se_split_header(struct check_run *r)
{
	static const char req[] = "ECHO split header";
	struct check_conn c;
	unsigned char *f;
	size_t n;

	if (se_dial(r, &c) == -1)
		return;
	if ((f = se_frame(req, sizeof(req) - 1, &n)) != NULL &&
	    check_send(&c, f, 4, 1, CHECK_CUT_PAUSE_MS) == 0 &&
	    check_send(&c, f + 4, n - 4, 1, CHECK_BYTE_PAUSE_MS) == 0)
		se_expect(&c, "OK split header", 15, 0, "reply to ECHO");
	free(f);
	check_close(&c, 0);
}

static void
se_coalesced(struct check_run *r)
{
	static const char *words[] = { "one", "two", "three" };
	unsigned char buf[64], *f;
	char req[16], exp[16];
	struct check_conn c;
	size_t n, len = 0, i;

	if (se_dial(r, &c) == -1)
		return;
	for (i = 0; i < 3; i++) {
		snprintf(req, sizeof(req), "ECHO %s", words[i]);
		if ((f = se_frame(req, strlen(req), &n)) == NULL)
			break;
		memcpy(buf + len, f, n);
		len += n;
		free(f);
	}
	if (check_send(&c, buf, len, 0, 0) == 0)
		for (i = 0; i < 3; i++) {
			snprintf(exp, sizeof(exp), "OK %s", words[i]);
			if (se_expect(&c, exp, strlen(exp), 0,
			    "replies to 3 frames sent in one write") == -1)
				break;
		}
	check_close(&c, 0);
}

/* The first write ends inside the first Cyrillic letter. */
static void
se_utf8_cut(struct check_run *r)
{
	char req[64], exp[64];
	struct check_conn c;
	unsigned char *f;
	size_t n, first = 4 + 5 + 1;

	snprintf(req, sizeof(req), "ECHO %s", check_cyrillic);
	snprintf(exp, sizeof(exp), "OK %s", check_cyrillic);
	if (se_dial(r, &c) == -1)
		return;
	if ((f = se_frame(req, strlen(req), &n)) != NULL &&
	    check_send(&c, f, first, 0, 0) == 0 &&
	    check_send(&c, f + first, n - first, 0, 0) == 0)
		se_expect(&c, exp, strlen(exp), 0, "reply to ECHO");
	free(f);
	check_close(&c, 0);
}

static void
se_empty(struct check_run *r)
{
	se_refused(r, "\0\0\0\0", 4, "ERR 400", "reply to an empty frame");
}

/* A frame of exactly max_frame bytes. */
static void
se_large(struct check_run *r)
{
	size_t len = r->opt->max_frame, i;
	struct check_conn c;
	struct frame_io io;
	char *req;

	if (len < 16) {
		check_skip(r, "--max-frame is below 16 bytes");
		return;
	}
	if ((req = malloc(len)) == NULL) {
		check_fail(r, "out of memory");
		return;
	}
	memcpy(req, "ECHO ", 5);
	for (i = 5; i < len; i++)
		req[i] = 'a' + i % 26;
	if (se_dial(r, &c) == 0) {
		check_frame_io(&c, &io);
		if (frame_send(&io, req, (uint32_t)len) == FRAME_OK) {
			memcpy(req + 2, "OK ", 3);
			se_expect(&c, req + 2, len - 2, 0,
			    "reply to a large ECHO");
		}
		check_close(&c, 0);
	}
	free(req);
}

static void
se_mirror(struct check_run *r)
{
	char req[64], exp[512];
	size_t n = 3, bad;
	long m;

	snprintf(req, sizeof(req), "MIRROR %s", check_cyrillic);
	memcpy(exp, "OK ", 3);
	m = utf8_reverse(check_cyrillic, strlen(check_cyrillic),
	    r->opt->keep_case, exp + n, sizeof(exp) - n, &bad);
	if (m < 0)
		return;
	n += m;
	snprintf(exp + n, sizeof(exp) - n, "%s", r->opt->signature);
	se_once(r, req, exp);
}

static void
se_several(struct check_run *r)
{
	struct check_conn c;

	if (se_dial(r, &c) == -1)
		return;
	if (se_exchange(&c, "ECHO one", 0, 0, "OK one") == 0 &&
	    se_exchange(&c, "ECHO two", 0, 0, "OK two") == 0)
		se_exchange(&c, "ECHO three", 0, 0, "OK three");
	check_close(&c, 0);
}

static void
se_unknown(struct check_run *r)
{
	se_refused(r, "\0\0\0\7FOO bar", 11, "ERR 401", "reply to FOO");
}

static void
se_quit(struct check_run *r)
{
	struct check_conn c;

	if (se_dial(r, &c) == -1)
		return;
	if (se_exchange(&c, "QUIT", 0, 0, "OK") == 0)
		check_expect_eof(&c, "after OK to QUIT");
	check_close(&c, 0);
}

static void
se_reset_mid(struct check_run *r)
{
	static const unsigned char part[] = "\0\0\0\x64" "ECHO a cu";
	struct check_conn c;

	if (se_dial(r, &c) == -1)
		return;
	if (check_send(&c, part, sizeof(part) - 1, 0, 0) == 0) {
		check_close(&c, 1);
		if (se_dial(r, &c) == 0)
			se_exchange(&c, "ECHO still there?", 0, 0,
			    "OK still there?");
	}
	check_close(&c, 0);
}

static void
se_relisten(struct check_run *r)
{
	struct check_conn c;

	if (se_dial(r, &c) == -1)
		return;
	if (se_exchange(&c, "ECHO first client", 0, 0, "OK first client") ==
	    0) {
		check_close(&c, 0);
		if (se_dial(r, &c) == 0)
			se_exchange(&c, "ECHO next client", 0, 0,
			    "OK next client");
	}
	check_close(&c, 0);
}

/* ---- the table ------------------------------------------------------- */

const struct check_case check_session_cases[] = {
	{ "session/1.1", "the greeting frame", se_greeting },
	{ "session/1.2", "ECHO", se_echo },
	{ "session/1.3", "a frame, header too, in 1-byte writes",
	    se_split_header },
	{ "session/1.4", "three frames in one write", se_coalesced },
	{ "session/1.5", "Cyrillic UTF-8 cut across writes", se_utf8_cut },
	{ "session/1.6", "an empty frame gets ERR 400", se_empty },
	{ "session/1.7", "a frame of --max-frame bytes", se_large },
	{ "session/1.8", "MIRROR", se_mirror },
	{ "session/1.9", "several requests on one connection", se_several },
	{ "session/1.10", "an unknown verb gets ERR 401", se_unknown },
	{ "session/1.11", "QUIT: OK, then the server closes", se_quit },
	{ "session/1.12", "a client leaves mid-frame, the next is served",
	    se_reset_mid },
	{ "session/1.13", "still listening after a client leaves",
	    se_relisten },
	{ "session/2.1", "a client is served while four others are "
	    "connected", check_held_clients },
	{ NULL, NULL, NULL },
};
