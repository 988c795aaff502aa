/*
 * mirror.c -- each message comes back reversed by Unicode code point (its
 * case pattern kept in place with [mirror] keep_case), followed by the
 * signature, after [mirror] delay_ms of simulated work.
 *
 * A message is a line (LF, or CRLF). A client that sends no newline gets its
 * burst taken as a message once no byte has come for MIRROR_BURST_MS, but a
 * burst ending inside a UTF-8 sequence waits up to MIRROR_TAIL_MS more for
 * the rest of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/conn.h"
#include "daemon/service.h"
#include "daemon/services/mirror.h"
#include "shared/utf8.h"

#define MIRROR_LINE_MAX	65536
#define MIRROR_BURST_MS	100
#define MIRROR_TAIL_MS	1000

char *
mirror_text(const struct config *cfg, const char *text, size_t len,
    size_t *bad)
{
	size_t siglen = strlen(cfg->signature);
	size_t size = UTF8_REVERSE_SIZE(len) + siglen + 1;
	char *out;
	long n;

	if ((out = malloc(size)) == NULL)
		return NULL;
	n = utf8_reverse(text, len, cfg->keep_case, out, size, bad);
	if (n < 0) {
		if (n != -1)
			*bad = len;	/* out of memory: report, not crash */
		free(out);
		return NULL;
	}
	memcpy(out + n, cfg->signature, siglen + 1);
	return out;
}

/* Answer one message; -1 when the connection has ended. */
static int
mirror_one(struct conn *c, const struct config *cfg, const char *msg,
    size_t len)
{
	char err[64], *reply, *line;
	size_t bad, n;
	int r;

	conn_log_recv(c, msg, len);
	if (conn_pause(c, cfg->delay_ms) == -1)
		return -1;
	/* Text lines: a NUL is refused like a bad byte, not cut at. */
	if (utf8_check(msg, len, &bad) == -1 ||
	    (reply = mirror_text(cfg, msg, len, &bad)) == NULL) {
		snprintf(err, sizeof(err), "ERR %s at byte %zu\n",
		    bad < len && msg[bad] == '\0' ? "NUL byte" :
		    "invalid UTF-8", bad);
		return conn_say(c, err);
	}
	n = strlen(reply);
	if ((line = realloc(reply, n + 2)) == NULL) {
		free(reply);
		return -1;
	}
	line[n++] = '\n';
	line[n] = '\0';
	r = conn_write(c, line, n);
	if (r == 0)
		conn_log_sent(c, line, n);
	free(line);
	return r;
}

void
mirror_serve(struct conn *c, const struct config *cfg)
{
	char *buf, *nl;
	size_t have = 0, len, take;
	int r, waited_tail = 0;
	ssize_t n;

	if ((buf = malloc(MIRROR_LINE_MAX)) == NULL)
		return;
	for (;;) {
		/* Every complete line first. */
		while ((nl = memchr(buf, '\n', have)) != NULL) {
			len = nl - buf;
			if (len > 0 && buf[len - 1] == '\r')
				len--;
			if (mirror_one(c, cfg, buf, len) == -1)
				goto notify;
			have -= nl + 1 - buf;
			memmove(buf, nl + 1, have);
		}
		if (have > 0) {
			/* A line too long for us, or a burst without LF. */
			r = have == MIRROR_LINE_MAX ? 0 :
			    conn_readable(c, MIRROR_BURST_MS);
			if (r == -1)
				break;
			if (r == 0 && utf8_tail(buf, have) > 0 &&
			    have < MIRROR_LINE_MAX && waited_tail <
			    MIRROR_TAIL_MS / MIRROR_BURST_MS) {
				waited_tail++;
				continue;
			}
			if (r == 0) {
				take = have - (have == MIRROR_LINE_MAX ?
				    utf8_tail(buf, have) : 0);
				if (mirror_one(c, cfg, buf, take) == -1)
					goto notify;
				memmove(buf, buf + take, have - take);
				have -= take;
				waited_tail = 0;
				continue;
			}
		}
		n = conn_read(c, buf + have, MIRROR_LINE_MAX - have);
		if (n <= 0)
			break;
		have += n;
		waited_tail = 0;
	}
	/* The client closed after a last message without newline. */
	if (c->end == CONN_EOF && have > 0)
		(void)mirror_one(c, cfg, buf, have);
notify:
	/* Also when a limit ran out during a reply's delay_ms. */
	conn_notify_end(c);
	free(buf);
}
