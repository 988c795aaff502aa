/*
 * check_text.c -- sockbin check's echo and mirror cases: the same probes
 * for both, an echo server answering with the bytes sent, a mirror server
 * with each message (a line, or a burst without LF) reversed by code
 * point and signed; and mirror/2.2, five clients timed against the
 * server's simulated work.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/check.h"
#include "shared/timefmt.h"
#include "shared/utf8.h"

static int
is_mirror(const struct check_run *r)
{
	return strcmp(r->opt->service, "mirror") == 0;
}


/* Append one mirror reply for msg (CR LF or LF already cut). */
static int
mirror_append(struct check_run *r, unsigned char *out, size_t *n,
    const char *msg, size_t len)
{
	size_t bad, siglen = strlen(r->opt->signature);
	long m;

	m = utf8_reverse(msg, len, r->opt->keep_case, (char *)out + *n,
	    UTF8_REVERSE_SIZE(len), &bad);
	if (m < 0) {
		check_fail(r, "internal: a probe text is not UTF-8");
		return -1;
	}
	*n += m;
	memcpy(out + *n, r->opt->signature, siglen);
	*n += siglen;
	out[(*n)++] = '\n';
	return 0;
}

/* The reply expected for msg: the same bytes from echo; from mirror a
 * line per message (a line, or a last part without LF). */
static unsigned char *
text_reply(struct check_run *r, const char *msg, size_t len, size_t *n)
{
	size_t lines = 1, i, start, end;
	unsigned char *out;

	*n = 0;
	if (!is_mirror(r)) {
		if ((out = malloc(len + 1)) != NULL) {
			memcpy(out, msg, len);
			*n = len;
		}
		return out;
	}
	for (i = 0; i < len; i++)
		lines += msg[i] == '\n';
	/* Each line: its reversal's room, the signature, LF. */
	out = malloc(UTF8_REVERSE_SIZE(len) + lines *
	    (strlen(r->opt->signature) + 8));
	if (out == NULL)
		return NULL;
	for (start = 0; start < len; start = end + 1) {
		end = start;
		while (end < len && msg[end] != '\n')
			end++;
		i = end;
		if (i > start && msg[i - 1] == '\r' && end < len)
			i--;
		if (mirror_append(r, out, n, msg + start, i - start) == -1) {
			free(out);
			return NULL;
		}
	}
	return out;
}

/* Send msg as told and expect the echo or the mirror's answer. */
static int
text_exchange(struct check_conn *c, const char *msg, size_t len,
    size_t chunk, int pause_ms, const char *what)
{
	unsigned char *exp;
	size_t n;
	int rc;

	if ((exp = text_reply(c->r, msg, len, &n)) == NULL) {
		check_fail(c->r, "out of memory");
		return -1;
	}
	rc = check_send(c, msg, len, chunk, pause_ms);
	if (rc == 0)
		rc = check_expect(c, exp, n, what);
	free(exp);
	return rc;
}

static int
text_line(struct check_conn *c, const char *msg, const char *what)
{
	return text_exchange(c, msg, strlen(msg), 0, 0, what);
}

/* One connection, one exchange. */
static void
text_once(struct check_run *r, const char *msg, size_t chunk, int pause_ms,
    const char *what)
{
	struct check_conn c;

	if (check_dial(r, &c, 0) == 0)
		text_exchange(&c, msg, strlen(msg), chunk, pause_ms, what);
	check_close(&c, 0);
}

static void
text_one_line(struct check_run *r)
{
	text_once(r, "Hello, world!\n", 0, 0, "reply");
}

static void
text_several(struct check_run *r)
{
	static const char *msgs[] = { "one\n", "two\n", "three\n" };
	struct check_conn c;
	char what[32];
	size_t i;

	if (check_dial(r, &c, 0) == -1)
		return;
	for (i = 0; i < 3; i++) {
		snprintf(what, sizeof(what), "reply to message %zu of 3",
		    i + 1);
		if (text_line(&c, msgs[i], what) == -1)
			break;
	}
	check_close(&c, 0);
}

static void
text_no_newline(struct check_run *r)
{
	text_once(r, "no newline at the end", 0, 0, "reply");
}

static void
text_bytewise(struct check_run *r)
{
	text_once(r, "sent one byte at a time\n", 1, CHECK_BYTE_PAUSE_MS,
	    "reply");
}

static void
text_coalesced(struct check_run *r)
{
	text_once(r, "first\nsecond\nthird\n", 0, 0,
	    "replies to 3 messages sent in one write");
}

static void
text_utf8_cut(struct check_run *r)
{
	char msg[64];

	snprintf(msg, sizeof(msg), "%s\n", check_cyrillic);
	text_once(r, msg, CHECK_CUT_CHUNK, CHECK_CUT_PAUSE_MS, "reply");
}

static void
text_empty(struct check_run *r)
{
	text_once(r, "\n", 0, 0, "reply to an empty line");
}

/* Lines of printable ASCII; a mirror gets one long line. */
static void
text_large(struct check_run *r)
{
	size_t len = is_mirror(r) ? CHECK_MIRROR_LARGE : CHECK_LARGE, i;
	struct check_conn c;
	char *msg;

	if ((msg = malloc(len)) == NULL) {
		check_fail(r, "out of memory");
		return;
	}
	for (i = 0; i < len; i++)
		msg[i] = is_mirror(r) || i % 64 != 63 ?
		    "abcdefghijklmnopqrstuvwxyz0123456789"[i % 36] : '\n';
	msg[len - 1] = '\n';
	if (check_dial(r, &c, 0) == 0)
		text_exchange(&c, msg, len, 0, 0, "reply to a large message");
	check_close(&c, 0);
	free(msg);
}

static void
text_half_close(struct check_run *r)
{
	struct check_conn c;

	if (check_dial(r, &c, 0) == -1)
		return;
	if (check_send_str(&c, "last words\n") == 0 &&
	    check_shutdown(&c) == 0) {
		unsigned char *exp;
		size_t n;

		if ((exp = text_reply(r, "last words\n", 11, &n)) != NULL &&
		    check_expect(&c, exp, n, "reply") == 0)
			check_expect_eof(&c, "after the client's end");
		free(exp);
	}
	check_close(&c, 0);
}

static void
text_reset_mid(struct check_run *r)
{
	struct check_conn c;

	if (check_dial(r, &c, 0) == -1)
		return;
	if (check_send_str(&c, "half a mess") == 0) {
		check_close(&c, 1);
		if (check_dial(r, &c, 0) == 0)
			text_line(&c, "still there?\n",
			    "reply on a new connection");
	}
	check_close(&c, 0);
}

static void
text_relisten(struct check_run *r)
{
	struct check_conn c;

	if (check_dial(r, &c, 0) == -1)
		return;
	if (text_line(&c, "first client\n", "reply to the first client") ==
	    0) {
		check_close(&c, 0);
		if (check_dial(r, &c, 0) == 0)
			text_line(&c, "second client\n",
			    "reply to the next client");
	}
	check_close(&c, 0);
}

/* Five clients send a line at once; each leaves when answered. With the
 * server's simulated work D, a concurrent server answers all in about D,
 * a sequential one in D, 2D, ... 5D. */
static void
mirror_timed(struct check_run *r)
{
	struct check_conn cs[CHECK_CLIENTS];
	uint64_t t0, at[CHECK_CLIENTS], slowest = 0, limit;
	char msg[32], list[128];
	int d = r->opt->delay_ms, done = 0, i, n = 0;
	size_t off = 0;

	if (d <= 0) {
		check_skip(r, "needs --delay-ms N, the server's simulated "
		    "work, to time five clients at once");
		return;
	}
	for (n = 0; n < CHECK_CLIENTS; n++)
		if (check_dial(r, &cs[n], 0) == -1)
			goto out;
	t0 = timefmt_mono_ms();
	for (i = 0; i < n; i++) {
		snprintf(msg, sizeof(msg), "client %d\n", i + 1);
		if (check_send_str(&cs[i], msg) == -1)
			goto out;
		at[i] = 0;
	}
	limit = t0 + (uint64_t)CHECK_CLIENTS * d + r->opt->timeout_ms;
	while (done < n && timefmt_mono_ms() < limit) {
		check_pump(cs, n, (int)(limit - timefmt_mono_ms()));
		for (i = 0; i < n; i++) {
			if (at[i] != 0 || (!cs[i].eof && (cs[i].len == 0 ||
			    memchr(cs[i].buf, '\n', cs[i].len) == NULL)))
				continue;
			at[i] = timefmt_mono_ms() - t0;
			at[i] += at[i] == 0;
			done++;
			if (at[i] > slowest)
				slowest = at[i];
			check_close(&cs[i], 0);
		}
	}
	for (i = 0; i < n; i++)
		off += snprintf(list + off, sizeof(list) - off, "%s%llu",
		    i ? ", " : "", (unsigned long long)at[i]);
	if (done < n) {
		check_fail(r, "%d of %d clients got no reply within %llu ms",
		    n - done, n, (unsigned long long)(limit - t0));
		goto out;
	}
	snprintf(r->timing, sizeof(r->timing), "%d clients at once: replies "
	    "after %s ms (simulated work %d ms)", n, list, d);
	if (slowest < (uint64_t)3 * d) {
		strlcpy(r->concurrency, "concurrent", sizeof(r->concurrency));
		check_note(r, 0, "concurrent: %s", r->timing);
	} else {
		strlcpy(r->concurrency, "sequential", sizeof(r->concurrency));
		check_fail(r, "sequential: %s; a concurrent server answers all "
		    "in about %d ms", r->timing, d);
	}
out:
	for (i = 0; i < n; i++)
		check_close(&cs[i], 0);
}

/* ---- the tables ------------------------------------------------------ */

#define TEXT_CASES(svc) \
	{ svc "/1.1", "one line is answered", text_one_line }, \
	{ svc "/1.2", "several messages on one connection", text_several }, \
	{ svc "/1.3", "a message without a newline", text_no_newline }, \
	{ svc "/1.4", "a message split in 1-byte writes", text_bytewise }, \
	{ svc "/1.5", "three messages in one write", text_coalesced }, \
	{ svc "/1.6", "Cyrillic UTF-8 cut across writes", text_utf8_cut }, \
	{ svc "/1.7", "an empty message (a bare newline)", text_empty }, \
	{ svc "/1.8", "a large message", text_large }, \
	{ svc "/1.9", "the client ends its side after a message", \
	    text_half_close }, \
	{ svc "/1.10", "a client leaves mid-message, the next is served", \
	    text_reset_mid }, \
	{ svc "/1.11", "still listening after a client leaves", \
	    text_relisten }, \
	{ svc "/2.1", "a client is served while four others are connected", \
	    check_held_clients }

const struct check_case check_echo_cases[] = {
	TEXT_CASES("echo"),
	{ NULL, NULL, NULL },
};

const struct check_case check_mirror_cases[] = {
	TEXT_CASES("mirror"),
	{ "mirror/2.2", "five clients at once, timed", mirror_timed },
	{ NULL, NULL, NULL },
};
