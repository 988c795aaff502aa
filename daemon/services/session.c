/*
 * session.c -- framed requests and replies, many per connection, reaching
 * every service through verbs. docs/PROTOCOL.md is the authority.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "daemon/config.h"
#include "daemon/conn.h"
#include "daemon/scoreboard.h"
#include "daemon/service.h"
#include "daemon/sockbind.h"
#include "shared/frame.h"
#include "shared/log.h"
#include "shared/utf8.h"

#define SESSION_VERB_MAX	32

struct session {
	struct conn		*c;
	const struct config	*cfg;
	struct frame_io		 io;
};

/* A verb's handler: 0 to go on, 1 to close after the reply, -1 when the
 * connection is broken. arg is NULL when the request had no argument. */
struct verb {
	const char	*name;
	int		 needs_arg;
	const char	*arg_help;
	int		(*run)(struct session *, char *arg);
};

static ssize_t
session_read(void *ctx, void *buf, size_t len)
{
	return conn_read(ctx, buf, len);
}

static int
session_write(void *ctx, const void *buf, size_t len)
{
	return conn_write(ctx, buf, len);
}

static int
session_reply(struct session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
session_reply(struct session *s, const char *fmt, ...)
{
	va_list ap;
	char *text;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if (frame_send(&s->io, text, n) != FRAME_OK) {
		free(text);
		return -1;
	}
	conn_log_sent(s->c, text, n);
	free(text);
	return 0;
}

/* A last word before the server closes: never waits on the client. */
static void
session_notify(struct session *s, const char *text)
{
	unsigned char frame[FRAME_HEADER + 256];
	size_t len = strlen(text);

	if (len > sizeof(frame) - FRAME_HEADER)
		len = sizeof(frame) - FRAME_HEADER;
	frame[0] = frame[1] = 0;
	frame[2] = len >> 8;
	frame[3] = len;
	memcpy(frame + FRAME_HEADER, text, len);
	conn_notify(s->c, frame, FRAME_HEADER + len);
	conn_log_sent(s->c, text, len);
}

static int
verb_echo(struct session *s, char *arg)
{
	return session_reply(s, "OK %s", arg);
}

static int
verb_mirror(struct session *s, char *arg)
{
	size_t bad;
	char *text;
	int r;

	if (conn_pause(s->c, s->cfg->delay_ms) == -1)
		return -1;
	/* The request was checked as UTF-8: only memory can fail here. */
	if ((text = mirror_text(s->cfg, arg, strlen(arg), &bad)) == NULL)
		return session_reply(s, "ERR 500 out of memory");
	r = session_reply(s, "OK %s", text);
	free(text);
	return r;
}

static int
verb_status(struct session *s, char *arg)
{
	struct sb_header *h = scoreboard_header();
	char *text = NULL, *lines = NULL;
	size_t size = 0, i;
	int total = 0, busy = 0, idle = 0, st, r;
	struct sb_slot *slot;
	FILE *fp;
	pid_t pid;

	(void)arg;
	if ((fp = open_memstream(&lines, &size)) == NULL)
		return session_reply(s, "ERR 500 out of memory");
	for (i = 0; i < scoreboard_size(); i++) {
		if ((pid = scoreboard_owner(i)) == 0)
			continue;
		slot = scoreboard_slot(i);
		st = scoreboard_state(slot, pid);
		total++;
		busy += st == SB_BUSY;
		idle += st == SB_IDLE || st == SB_STARTING;
		fprintf(fp, "\nworker slot=%zu pid=%d state=%s requests=%llu "
		    "client=%s", i, (int)pid, scoreboard_state_name(st),
		    (unsigned long long)__atomic_load_n(&slot->requests,
		    __ATOMIC_RELAXED), st == SB_BUSY && slot->client[0] ?
		    slot->client : "-");
	}
	fclose(fp);
	r = asprintf(&text, "OK uptime=%lld port=%d service=%s workers=%d "
	    "busy=%d idle=%d%s", (long long)(time(NULL) - h->started),
	    h->port, s->cfg->service, total, busy, idle, lines ? lines : "");
	free(lines);
	if (r < 0)
		return session_reply(s, "ERR 500 out of memory");
	r = session_reply(s, "%s", text);
	free(text);
	return r;
}

static int
session_hex(const char *s)
{
	size_t i;

	for (i = 0; i < UPLOAD_HEX_LEN - 1; i++)
		if (!isxdigit((unsigned char)s[i]))
			return 0;
	return s[i] == '\0';
}

/* Take the announced data frames; the upload is aborted on any failure. */
static int
session_upload_data(struct session *s, struct upload *u, uint64_t size,
    char *err, size_t errlen)
{
	uint64_t left = size;
	enum frame_status st;
	uint32_t len;
	char *data;
	int failed = 0, r;

	while (left > 0) {
		st = frame_recv(&s->io, s->cfg->max_frame, &data, &len);
		if (st == FRAME_TOO_BIG) {
			session_reply(s, "ERR 413 frame of %u bytes exceeds "
			    "max_frame %d", len, s->cfg->max_frame);
			return -1;
		}
		if (st != FRAME_OK)
			return -1;
		if (len > left) {
			free(data);
			session_reply(s, "ERR 422 more data than the %llu "
			    "bytes announced", (unsigned long long)size);
			return -1;
		}
		/* After a failure, keep reading to stay in step. */
		if (!failed && (r = upload_write(u, data, len, err,
		    errlen)) != 0)
			failed = 1;
		free(data);
		left -= len;
	}
	return failed;
}

static int
verb_upload(struct session *s, char *arg)
{
	char *name, *size_s, *sum, *end, *save = NULL;
	char err[PATH_MAX + 64], safe[UPLOAD_NAME_MAX + 1], hex[UPLOAD_HEX_LEN];
	char stored[UPLOAD_NAME_MAX + 16];
	unsigned long long size;
	struct upload u;
	int r;

	name = strtok_r(arg, " ", &save);
	size_s = strtok_r(NULL, " ", &save);
	sum = strtok_r(NULL, " ", &save);
	if (name == NULL || size_s == NULL || sum == NULL ||
	    strtok_r(NULL, " ", &save) != NULL)
		return session_reply(s, "ERR 402 UPLOAD needs: name size "
		    "sha256");
	size = strtoull(size_s, &end, 10);
	if (*size_s == '\0' || *end != '\0' || *size_s == '-')
		return session_reply(s, "ERR 402 size must be a whole number "
		    "of bytes");
	if (!session_hex(sum))
		return session_reply(s, "ERR 402 sha256 must be 64 hex "
		    "digits");
	if (size > (unsigned long long)s->cfg->upload_max_size)
		return session_reply(s, "ERR 414 too large: %llu bytes, "
		    "max_size is %d", size, s->cfg->upload_max_size);
	upload_sanitize_name(name, safe, sizeof(safe));
	if (upload_begin(&u, s->cfg, err, sizeof(err)) == -1) {
		log_warnx("upload: %s", err);
		return session_reply(s, "ERR 500 %s", err);
	}
	if (session_reply(s, "OK ready") == -1) {
		upload_abort(&u);
		return -1;
	}
	if ((r = session_upload_data(s, &u, size, err, sizeof(err))) != 0) {
		upload_abort(&u);
		if (r == -1)
			return -1;
		log_warnx("upload %s from %s: %s", safe, s->c->peer, err);
		return session_reply(s, "ERR 500 %s", err);
	}
	upload_digest(&u, hex);
	if (strcasecmp(hex, sum) != 0) {
		upload_abort(&u);
		log_event("upload", "client=%s name=%s size=%llu sha256=%s "
		    "result=mismatch", s->c->peer, safe, size, hex);
		return session_reply(s, "ERR 422 checksum mismatch: got %s",
		    hex);
	}
	if (upload_commit(&u, safe, stored, sizeof(stored), err,
	    sizeof(err)) == -1) {
		upload_abort(&u);
		log_warnx("upload %s from %s: %s", safe, s->c->peer, err);
		return session_reply(s, "ERR 500 %s", err);
	}
	log_event("upload", "client=%s name=%s size=%llu sha256=%s result=ok",
	    s->c->peer, stored, size, hex);
	return session_reply(s, "OK stored %s %llu %s", stored, size, hex);
}

static int verb_help(struct session *, char *);

static int
verb_quit(struct session *s, char *arg)
{
	(void)arg;
	s->c->reason = "quit";
	return session_reply(s, "OK") == -1 ? -1 : 1;
}

static const struct verb verbs[] = {
	{ "ECHO",	1, "text",		verb_echo },
	{ "MIRROR",	1, "text",		verb_mirror },
	{ "STATUS",	0, NULL,		verb_status },
	{ "UPLOAD",	1, "name size sha256",	verb_upload },
	{ "HELP",	0, NULL,		verb_help },
	{ "QUIT",	0, NULL,		verb_quit },
};

static int
verb_help(struct session *s, char *arg)
{
	char list[256] = "OK";
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		strlcat(list, " ", sizeof(list));
		strlcat(list, verbs[i].name, sizeof(list));
	}
	return session_reply(s, "%s", list);
}

/* One request: check it, find its verb, run it. */
static int
session_request(struct session *s, char *req, uint32_t len)
{
	const struct verb *v = NULL;
	char *arg;
	size_t i, bad, vlen;

	if (len == 0)
		return session_reply(s, "ERR 400 empty request");
	if (utf8_check(req, len, &bad) == -1)
		return session_reply(s, "ERR 403 %s at byte %zu",
		    req[bad] == '\0' ? "NUL byte" : "invalid UTF-8", bad);
	vlen = strcspn(req, " ");
	arg = req[vlen] == ' ' ? req + vlen + 1 : NULL;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strlen(verbs[i].name) == vlen &&
		    strncasecmp(verbs[i].name, req, vlen) == 0)
			v = &verbs[i];
	if (v == NULL)
		return session_reply(s, "ERR 401 unknown verb %.*s",
		    vlen > SESSION_VERB_MAX ? SESSION_VERB_MAX : (int)vlen,
		    req);
	if (v->needs_arg && arg == NULL)
		return session_reply(s, "ERR 402 missing argument: %s %s",
		    v->name, v->arg_help);
	return v->run(s, arg);
}

void
session_serve(struct conn *c, const struct config *cfg)
{
	struct session s = { c, cfg, { c, session_read, session_write } };
	enum frame_status st;
	uint32_t len;
	char *req;
	int r = 0;

	if (session_reply(&s, "OK sockbind %s session", SOCKBIND_VERSION) ==
	    -1)
		return;
	while (r == 0) {
		st = frame_recv(&s.io, cfg->max_frame, &req, &len);
		if (st == FRAME_TOO_BIG) {
			log_warnx("session %s: frame of %u bytes refused",
			    c->peer, len);
			session_reply(&s, "ERR 413 frame of %u bytes exceeds "
			    "max_frame %d", len, cfg->max_frame);
			c->reason = "frame too big";
			return;
		}
		if (st != FRAME_OK)
			break;
		conn_log_recv(c, req, len);
		r = session_request(&s, req, len);
		free(req);
	}
	if (c->end == CONN_TIMEOUT)
		session_notify(&s, c->reason[0] == 'i' ?
		    "ERR 408 timeout: idle too long" :
		    "ERR 408 timeout: session time is up");
	else if (c->end == CONN_SHUTDOWN)
		session_notify(&s, "ERR 503 server shutting down");
	else if (st == FRAME_TRUNCATED && c->end == CONN_EOF)
		c->reason = "client closed inside a frame";
}
