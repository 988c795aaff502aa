/*
 * session.c -- requests and replies, many per connection, reaching every
 * service through verbs. docs/PROTOCOL.md is the authority.
 *
 * The session service speaks frames and knows every verb. The auth service
 * is the same protocol in lines (one request per line, one reply per line)
 * with the account verbs only, so nc and telnet can use it.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "daemon/config.h"
#include "daemon/conn.h"
#include "daemon/scoreboard.h"
#include "daemon/service.h"
#include "daemon/services/auth.h"
#include "daemon/services/ident.h"
#include "daemon/services/mirror.h"
#include "daemon/services/session.h"
#include "daemon/services/upload.h"
#include "daemon/sockbind.h"
#include "daemon/store.h"
#include "shared/frame.h"
#include "shared/log.h"
#include "shared/redact.h"
#include "shared/utf8.h"

#define SESSION_LINE_MAX	4096
#define SESSION_DRAIN_MS	1000	/* after a reply that ends us */
#define SESSION_QUIT_DRAIN_MS	250	/* after QUIT: the client is done */
#define SESSION_END_DRAIN_MS	250	/* after a time limit or a stop */

struct session {
	struct conn		*c;
	const struct config	*cfg;
	struct frame_io		 io;
	int			 flags;		/* SESSION_LINES ... */
	char			 user[STORE_NAME_MAX];	/* "" : nobody */
	unsigned char		 token_hash[32];	/* of the login */
};

/* A verb's handler: 0 to go on, 1 to close after the reply, -1 when the
 * connection is broken. arg is NULL when the request had no argument. */
struct verb {
	const char	*name;
	int		 needs_arg;
	int		 account;	/* offered by the auth service too */
	const char	*arg_help;
	int		(*run)(struct session *, char *arg);
	enum sb_counter	 counter;	/* its count in the scoreboard */
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

/* Log a request or reply, with any secret in it hidden. */
static void
session_log(struct session *s, int sent, const char *text, size_t len)
{
	char safe[256];
	size_t n;

	if ((n = redact_secrets(text, len, safe, sizeof(safe))) > 0) {
		text = safe;
		len = n < sizeof(safe) ? n : sizeof(safe) - 1;
	}
	if (sent)
		conn_log_sent(s->c, text, len);
	else
		conn_log_recv(s->c, text, len);
}

static int
session_reply(struct session *s, const char *fmt, ...)
{
	va_list ap;
	char *text;
	int n, r;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	session_log(s, 1, text, n);
	if (s->flags & SESSION_LINES) {
		text[n] = '\n';	/* vasprintf left room for the NUL */
		r = conn_write(s->c, text, n + 1);
	} else
		r = frame_send(&s->io, text, n) == FRAME_OK ? 0 : -1;
	sodium_memzero(text, n);	/* it may hold a token */
	free(text);
	return r;
}

/* A last word before the server closes: never waits on the client. */
static void
session_notify(struct session *s, const char *text)
{
	unsigned char buf[FRAME_HEADER + 256];
	size_t len = strlen(text), off = FRAME_HEADER;

	if (len > sizeof(buf) - FRAME_HEADER - 1)
		len = sizeof(buf) - FRAME_HEADER - 1;
	if (s->flags & SESSION_LINES) {
		off = 0;
		buf[len] = '\n';
	} else {
		buf[0] = buf[1] = 0;
		buf[2] = len >> 8;
		buf[3] = len;
	}
	memcpy(buf + off, text, len);
	conn_notify(s->c, buf, off + len + ((s->flags & SESSION_LINES) != 0));
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
	static struct sb_worker w[CONFIG_WORKERS_MAX * 2];
	const struct sb_header *h = scoreboard_header();
	char *text = NULL, *lines = NULL;
	size_t size = 0, i, n;
	int busy = 0, idle = 0, r;
	FILE *fp;

	(void)arg;
	if ((fp = open_memstream(&lines, &size)) == NULL)
		return session_reply(s, "ERR 500 out of memory");
	n = scoreboard_snapshot(w, sizeof(w) / sizeof(w[0]), NULL);
	for (i = 0; i < n; i++) {
		busy += w[i].serving;
		idle += w[i].state == SB_IDLE || w[i].state == SB_STARTING;
		fprintf(fp, "\nworker slot=%zu pid=%d state=%s requests=%llu",
		    w[i].slot, (int)w[i].pid, scoreboard_state_name(w[i].state),
		    (unsigned long long)w[i].requests);
		/* Who is connected is the operator's to show: any client
		 * may ask for STATUS. */
		if (s->cfg->status_clients)
			fprintf(fp, " client=%s", w[i].serving &&
			    w[i].client[0] ? w[i].client : "-");
	}
	fclose(fp);
	r = asprintf(&text, "OK uptime=%lld port=%d service=%s stress=%s "
	    "workers=%zu busy=%d idle=%d%s", (long long)(time(NULL) -
	    h->started), h->port, s->cfg->service,
	    __atomic_load_n(&h->stress, __ATOMIC_RELAXED) ? "on" : "off",
	    n, busy, idle, lines ? lines : "");
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
			s->c->reason = "frame too big";
			conn_drain(s->c, SESSION_DRAIN_MS);
			return -1;
		}
		if (st != FRAME_OK)
			return -1;
		if (len > left) {
			free(data);
			session_reply(s, "ERR 422 more data than the %llu "
			    "bytes announced", (unsigned long long)size);
			s->c->reason = "more upload data than announced";
			conn_drain(s->c, SESSION_DRAIN_MS);
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
	errno = 0;
	size = strtoull(size_s, &end, 10);
	if (strspn(size_s, "0123456789") != strlen(size_s) || *end != '\0' ||
	    errno == ERANGE)
		return session_reply(s, "ERR 402 size must be a whole number "
		    "of bytes");
	if (!session_hex(sum))
		return session_reply(s, "ERR 402 sha256 must be 64 hex "
		    "digits");
	upload_sanitize_name(name, safe, sizeof(safe));
	if (size > (unsigned long long)s->cfg->upload_max_size) {
		log_event("upload", "client=%s name=%s size=%llu max_size=%d "
		    "result=too_large", s->c->peer, safe, size,
		    s->cfg->upload_max_size);
		return session_reply(s, "ERR 414 too large: %llu bytes, "
		    "max_size is %d", size, s->cfg->upload_max_size);
	}
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

static int
verb_identify(struct session *s, char *arg)
{
	char name[STORE_NAME_MAX];
	struct store *st;
	const char *why;
	int r;

	if ((st = store_get(s->cfg)) == NULL) {
		log_warnx("identify: %s", store_error());
		return session_reply(s, "ERR 500 the store is not available");
	}
	if (arg == NULL) {
		if ((r = store_ident_get(st, s->c->host, name)) == -1) {
			log_warnx("identify: %s", store_error());
			return session_reply(s, "ERR 500 the store failed");
		}
		log_event("ident", "client=%s result=%s", s->c->peer,
		    r ? "known" : "unknown");
		if (r == 0)
			return session_reply(s, "ERR 404 unknown address %s: "
			    "tell me your name with IDENTIFY name",
			    s->c->host);
		return session_reply(s, "OK %s", name);
	}
	if (ident_check_name(arg, strlen(arg), name, sizeof(name),
	    &why) == -1)
		return session_reply(s, "ERR 402 %s", why);
	if (store_ident_set(st, s->c->host, name) == -1) {
		log_warnx("identify: %s", store_error());
		return session_reply(s, "ERR 500 the store failed");
	}
	log_text("ident", name, strlen(name), "client=%s result=stored",
	    s->c->peer);
	return session_reply(s, "OK %s", name);
}

/* Split "user password..." in place; the password may hold spaces. */
static int
session_user_password(char *arg, char **user, char **password)
{
	char *sp = strchr(arg, ' ');

	if (sp == NULL)
		return -1;
	*sp = '\0';
	*user = arg;
	*password = sp + 1;
	return 0;
}

/* The reply for an account failure, one wording per result. */
static int
session_auth_error(struct session *s, enum auth_result r)
{
	switch (r) {
	case AUTH_BAD_NAME:
		return session_reply(s, "ERR 402 a user name is 1-32 letters, "
		    "digits, '.', '_' or '-'");
	case AUTH_BAD_PASSWORD:
		return session_reply(s, "ERR 402 a password is 8-1024 bytes");
	case AUTH_TAKEN:
		return session_reply(s, "ERR 409 that user name is taken");
	case AUTH_DENIED:
		return session_reply(s, "ERR 430 wrong user name or password");
	case AUTH_LOCKED:
		return session_reply(s, "ERR 429 too many failed logins: try "
		    "again in %d s", s->cfg->failure_window);
	case AUTH_REG_LIMIT:
		return session_reply(s, "ERR 429 too many registrations from "
		    "your address: at most %d in %d s",
		    s->cfg->max_registrations, s->cfg->registration_window);
	case AUTH_BAD_TOKEN:
		return session_reply(s, "ERR 431 unknown, expired or revoked "
		    "token");
	case AUTH_BUSY:
		return session_reply(s, "ERR 429 too many password checks "
		    "running: try again in a moment");
	case AUTH_OK:
	case AUTH_STORE:
		break;
	}
	log_warnx("auth: %s", store_error());
	return session_reply(s, "ERR 500 the store failed");
}

static int
verb_register(struct session *s, char *arg)
{
	char *user, *password;
	enum auth_result r;

	if (session_user_password(arg, &user, &password) == -1)
		return session_reply(s, "ERR 402 REGISTER needs: user "
		    "password");
	if ((r = auth_register(s->c, s->cfg, user, password)) != AUTH_OK)
		return session_auth_error(s, r);
	return session_reply(s, "OK registered %s", user);
}

static int
verb_login(struct session *s, char *arg)
{
	char *user, *password, token[AUTH_TOKEN_HEX];
	unsigned char raw[AUTH_TOKEN_BYTES];
	enum auth_result r;
	int64_t expires;
	int rep;

	if (session_user_password(arg, &user, &password) == -1)
		return session_reply(s, "ERR 402 LOGIN needs: user password");
	r = auth_login(s->c, s->cfg, user, password, token, &expires);
	if (r != AUTH_OK)
		return session_auth_error(s, r);
	/* This connection is now the user's, through that token. */
	strlcpy(s->user, user, sizeof(s->user));
	sodium_hex2bin(raw, sizeof(raw), token, AUTH_TOKEN_HEX - 1, NULL,
	    NULL, NULL);
	crypto_hash_sha256(s->token_hash, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	rep = session_reply(s, "OK token %s expires %lld", token,
	    (long long)expires);
	sodium_memzero(token, sizeof(token));
	return rep;
}

static int
verb_resume(struct session *s, char *arg)
{
	char user[STORE_NAME_MAX];
	unsigned char hash[sizeof(s->token_hash)];
	enum auth_result r;

	/* A refused token changes nothing: a login already made stays, and
	 * LOGOUT still revokes its token, not the refused one. */
	if ((r = auth_resume(s->c, s->cfg, arg, user, hash)) != AUTH_OK)
		return session_auth_error(s, r);
	strlcpy(s->user, user, sizeof(s->user));
	memcpy(s->token_hash, hash, sizeof(s->token_hash));
	return session_reply(s, "OK welcome %s", user);
}

static int
verb_logout(struct session *s, char *arg)
{
	(void)arg;
	if (s->user[0] == '\0')
		return session_reply(s, "ERR 432 not logged in");
	if (auth_logout(s->c, s->cfg, s->user, s->token_hash) != AUTH_OK)
		return session_auth_error(s, AUTH_STORE);
	s->user[0] = '\0';
	return session_reply(s, "OK logged out");
}

static int
verb_whoami(struct session *s, char *arg)
{
	(void)arg;
	if (s->user[0] == '\0')
		return session_reply(s, "ERR 432 not logged in");
	return session_reply(s, "OK %s", s->user);
}

static int verb_help(struct session *, char *);

static int
verb_quit(struct session *s, char *arg)
{
	(void)arg;
	s->c->reason = "quit";
	if (session_reply(s, "OK") == -1)
		return -1;
	/* What the client sent after QUIT is read and dropped: closing on
	 * unread data would reset the connection, and the client could lose
	 * the replies still on their way, this OK among them. */
	conn_drain(s->c, SESSION_QUIT_DRAIN_MS);
	return 1;
}

static const struct verb verbs[] = {
	{ "ECHO",	1, 0, "text",			verb_echo,
	    SB_VERB_ECHO },
	{ "MIRROR",	1, 0, "text",			verb_mirror,
	    SB_VERB_MIRROR },
	{ "STATUS",	0, 0, NULL,			verb_status,
	    SB_VERB_STATUS },
	{ "UPLOAD",	1, 0, "name size sha256",	verb_upload,
	    SB_VERB_UPLOAD },
	{ "IDENTIFY",	0, 0, NULL,			verb_identify,
	    SB_VERB_IDENTIFY },
	{ "REGISTER",	1, 1, "user password",		verb_register,
	    SB_VERB_REGISTER },
	{ "LOGIN",	1, 1, "user password",		verb_login,
	    SB_VERB_LOGIN },
	{ "RESUME",	1, 1, "token",			verb_resume,
	    SB_VERB_RESUME },
	{ "LOGOUT",	0, 1, NULL,			verb_logout,
	    SB_VERB_LOGOUT },
	{ "WHOAMI",	0, 1, NULL,			verb_whoami,
	    SB_VERB_WHOAMI },
	{ "HELP",	0, 1, NULL,			verb_help,
	    SB_VERB_HELP },
	{ "QUIT",	0, 1, NULL,			verb_quit,
	    SB_VERB_QUIT },
};

static int
session_offers(const struct session *s, const struct verb *v)
{
	return v->account || !(s->flags & SESSION_AUTH_ONLY);
}

static int
verb_help(struct session *s, char *arg)
{
	char list[256] = "OK";
	size_t i;

	(void)arg;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (!session_offers(s, &verbs[i]))
			continue;
		strlcat(list, " ", sizeof(list));
		strlcat(list, verbs[i].name, sizeof(list));
	}
	return session_reply(s, "%s", list);
}

/* The verb of req[0..len): its index in verbs[], or -1. */
static int
session_find_verb(const char *req, size_t len, int flags)
{
	struct session probe = { .flags = flags };
	size_t i, vlen;

	vlen = strcspn(req, " ");
	if (vlen > len)
		vlen = len;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strlen(verbs[i].name) == vlen &&
		    strncasecmp(verbs[i].name, req, vlen) == 0 &&
		    session_offers(&probe, &verbs[i]))
			return (int)i;
	return -1;
}

int
session_parse(char *req, uint32_t len, int flags, int *verb, char **arg,
    char *err, size_t errlen)
{
	size_t bad, vlen;
	int n;

	*verb = -1;
	if (len == 0) {
		snprintf(err, errlen, "ERR 400 empty request");
		return -1;
	}
	if (utf8_check(req, len, &bad) == -1) {
		snprintf(err, errlen, "ERR 403 %s at byte %zu",
		    req[bad] == '\0' ? "NUL byte" : "invalid UTF-8", bad);
		return -1;
	}
	vlen = strcspn(req, " ");
	*arg = req[vlen] == ' ' ? req + vlen + 1 : NULL;
	if ((*verb = session_find_verb(req, len, flags)) == -1) {
		n = snprintf(err, errlen, "ERR 401 unknown verb ");
		redact_verb(req, len, err + n, errlen - n);
		return -1;
	}
	if (verbs[*verb].needs_arg && *arg == NULL) {
		snprintf(err, errlen, "ERR 402 missing argument: %s %s",
		    verbs[*verb].name, verbs[*verb].arg_help);
		return -1;
	}
	return 0;
}

/*
 * Log a request received. One of a known verb is logged with its secrets
 * hidden; of an unknown verb, only the verb as ERR 401 quotes it: a typo of
 * LOGIN ("LGOIN alice pw") must not put the password in the log.
 */
static void
session_log_request(struct session *s, const char *req, size_t len)
{
	char quoted[64];

	if (session_find_verb(req, len, s->flags) >= 0)
		session_log(s, 0, req, len);
	else
		session_log(s, 0, quoted, redact_unknown(req, len, quoted,
		    sizeof(quoted)));
}

/* One request: check it, find its verb, run it. */
static int
session_request(struct session *s, char *req, uint32_t len)
{
	char err[128], *arg;
	int verb;

	if (session_parse(req, len, s->flags, &verb, &arg, err,
	    sizeof(err)) == -1) {
		scoreboard_add(verb == -1 ? SB_VERB_UNKNOWN :
		    verbs[verb].counter, 1);
		return session_reply(s, "%s", err);
	}
	scoreboard_add(verbs[verb].counter, 1);
	return verbs[verb].run(s, arg);
}

/* The next request: a frame, or a line. Same statuses as frame_recv(). */
static enum frame_status
session_next(struct session *s, char *line, char **req, uint32_t *len)
{
	ssize_t n;

	if (!(s->flags & SESSION_LINES))
		return frame_recv(&s->io, s->cfg->max_frame, req, len);
	n = conn_read_line(s->c, line, SESSION_LINE_MAX);
	if (n == 0 && s->c->end != CONN_OPEN)
		return FRAME_EOF;
	if (n < 0)
		return FRAME_ERROR;
	*req = line;
	*len = (uint32_t)n;
	return FRAME_OK;
}

static void
session_run(struct conn *c, const struct config *cfg, int flags)
{
	struct session s = { c, cfg, { c, session_read, session_write },
	    flags, "", { 0 } };
	char line[SESSION_LINE_MAX], *req;
	enum frame_status st = FRAME_OK;
	uint32_t len;
	int r = 0;

	if (session_reply(&s, "OK sockbind %s %s", SOCKBIND_VERSION,
	    flags & SESSION_AUTH_ONLY ? "auth" : "session") == -1)
		return;
	while (r == 0) {
		st = session_next(&s, line, &req, &len);
		if (st == FRAME_TOO_BIG) {
			log_warnx("session %s: frame of %u bytes refused",
			    c->peer, len);
			session_reply(&s, "ERR 413 frame of %u bytes exceeds "
			    "max_frame %d", len, cfg->max_frame);
			c->reason = "frame too big";
			conn_drain(c, SESSION_DRAIN_MS);
			return;
		}
		if (st != FRAME_OK)
			break;
		if (c->line_cut) {
			/* Its cut could fall inside a password: not run,
			 * not logged. The next line is in step again. */
			log_warnx("session %s: line over %d bytes refused",
			    c->peer, SESSION_LINE_MAX - 1);
			sodium_memzero(line, sizeof(line));
			r = session_reply(&s, "ERR 413 line longer than %d "
			    "bytes", SESSION_LINE_MAX - 1);
			continue;
		}
		session_log_request(&s, req, len);
		r = session_request(&s, req, len);
		/* Requests may carry passwords: leave none in memory. */
		sodium_memzero(req, len);
		if (req != line)
			free(req);
	}
	if (c->end == CONN_TIMEOUT || c->end == CONN_SHUTDOWN ||
	    c->end == CONN_BUSY) {
		session_notify(&s, c->end == CONN_SHUTDOWN ?
		    "ERR 503 server shutting down" : c->end == CONN_BUSY ?
		    "ERR 503 server busy: idle connection let go" :
		    c->limit == CONN_LIMIT_IDLE ?
		    "ERR 408 timeout: idle too long" :
		    c->limit == CONN_LIMIT_SEND ?
		    "ERR 408 timeout: replies left unread" :
		    "ERR 408 timeout: session time is up");
		/* A request already on its way would make our close a
		 * reset, which could cost the client that last frame. */
		conn_drain(c, SESSION_END_DRAIN_MS);
	} else if (st == FRAME_TRUNCATED && c->end == CONN_EOF)
		c->reason = "client closed inside a frame";
}

void
session_serve(struct conn *c, const struct config *cfg)
{
	session_run(c, cfg, 0);
}

/* The auth service: the account verbs, one request per line. */
void
session_auth_serve(struct conn *c, const struct config *cfg)
{
	session_run(c, cfg, SESSION_LINES | SESSION_AUTH_ONLY);
}
