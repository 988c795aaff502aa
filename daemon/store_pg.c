/*
 * store_pg.c -- the store's PostgreSQL backend (store_backend.h): one
 * database that the workers of several hosts share, each worker with its
 * own connection. libpq is used without blocking: every wait (a connection
 * being made, a statement's answer) polls the socket in slices of 20 ms
 * at most and calls the wait hook between them, so a worker beats its
 * heart. The server ends a statement that runs past STORE_WAIT_MS
 * (statement_timeout: a lock held elsewhere); a server that does not answer
 * at all is given up a little later (connect_timeout of the URL for a
 * connection) and the connection dropped, which the next store_get() makes
 * again.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "daemon/config.h"
#include "daemon/store.h"
#include "daemon/store_backend.h"
#include "shared/timefmt.h"

#define STORE_PG_SLICE_MS	20
/* The server ends a statement at STORE_WAIT_MS (statement_timeout), which
 * keeps the connection; we wait a little longer, for a server that does
 * not answer at all. */
#define STORE_PG_ANSWER_MS	(STORE_WAIT_MS + 500)
#define STORE_PG_PARAMS		8
#define STORE_PG_SQL_MAX	1024

/* libpq's messages may hold several lines and runs of blanks: one line,
 * one blank between words. */
static int
store_pg_fail(const char *what, const char *msg)
{
	char line[400];
	size_t i, n = 0;

	for (i = 0; msg[i] != '\0' && n + 1 < sizeof(line); i++)
		if (strchr(" \t\r\n", msg[i]) == NULL)
			line[n++] = msg[i];
		else if (n > 0 && line[n - 1] != ' ')
			line[n++] = ' ';
	while (n > 0 && line[n - 1] == ' ')
		n--;
	line[n] = '\0';
	return store_seterr("%s%s%s", what, what[0] != '\0' ? ": " : "",
	    line);
}

/*
 * The URL with its password, in the user part or as a parameter, shown as
 * [secret]: what every message says of a PostgreSQL store.
 */
static const char *
store_pg_redact(const char *url, char *buf, size_t len)
{
	const char *p, *end, *at = NULL, *colon = NULL, *q;
	size_t n = 0;

#define PUT(s, l) do {							\
	if (n < len)							\
		n += snprintf(buf + n, len - n, "%.*s", (int)(l), (s));	\
} while (0)
	if ((p = strstr(url, "://")) == NULL) {
		PUT(url, strlen(url));
		return buf;
	}
	p += 3;
	end = p + strcspn(p, "/?");
	for (q = p; q < end; q++)
		if (*q == '@')
			at = q;
	if (at != NULL)
		colon = memchr(p, ':', at - p);
	if (colon != NULL) {
		PUT(url, colon + 1 - url);
		PUT("[secret]", 8);
		p = at;
	} else
		p = url;
	/* The rest, parameter by parameter. */
	while (*p != '\0') {
		q = p + strcspn(p + 1, "?&") + 1;
		if ((*p == '?' || *p == '&') &&
		    strncmp(p + 1, "password=", 9) == 0) {
			PUT(p, 10);
			PUT("[secret]", 8);
		} else
			PUT(p, q - p);
		p = q;
	}
#undef PUT
	return buf;
}

int
store_check_url(const char *value, char *why, size_t whylen)
{
	char shown[1200], *msg = NULL;
	PQconninfoOption *opts;

	if (value[0] == '\0')
		return 0;
	if (strncmp(value, "postgresql://", 13) != 0 &&
	    strncmp(value, "postgres://", 11) != 0) {
		snprintf(why, whylen, "not a postgresql:// URL");
		return -1;
	}
	if ((opts = PQconninfoParse(value, &msg)) != NULL) {
		PQconninfoFree(opts);
		return 0;
	}
	/* libpq may quote a part of the URL: only when it hides nothing. */
	store_pg_redact(value, shown, sizeof(shown));
	snprintf(why, whylen, "not a valid PostgreSQL URL%s%.*s",
	    strcmp(shown, value) == 0 && msg != NULL ? ": " : "",
	    strcmp(shown, value) == 0 && msg != NULL ?
	    (int)strcspn(msg, "\n") : 0, msg != NULL ? msg : "");
	PQfreemem(msg);
	return -1;
}

static const char *
store_pg_describe(const struct config *cfg, char *buf, size_t len)
{
	return store_pg_redact(cfg->store_url, buf, len);
}

/* [store] password_file: its first line, from a file only we can read. */
static int
store_pg_password(const char *path, char *pw, size_t len)
{
	struct stat st;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return store_seterr("password_file %s: %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0) {
		close(fd);
		return store_seterr("password_file %s: readable by others "
		    "(chmod 600 it)", path);
	}
	n = read(fd, pw, len - 1);
	close(fd);
	if (n == -1)
		return store_seterr("password_file %s: %s", path,
		    strerror(errno));
	pw[n] = '\0';
	pw[strcspn(pw, "\r\n")] = '\0';
	if (pw[0] == '\0')
		return store_seterr("password_file %s: no password in it",
		    path);
	return 0;
}

/*
 * Wait for the connection's socket (events), in slices, calling the wait
 * hook between them, until deadline: 0, or -1 with the error set.
 */
static int
store_pg_wait(PGconn *conn, short events, uint64_t deadline, int limit_ms)
{
	struct pollfd pfd;
	uint64_t now;
	int n;

	for (;;) {
		pfd.fd = PQsocket(conn);
		pfd.events = events;
		if ((now = timefmt_mono_ms()) >= deadline)
			return store_seterr("no answer from the database "
			    "in %d ms", limit_ms);
		n = poll(&pfd, 1, deadline - now < STORE_PG_SLICE_MS ?
		    (int)(deadline - now) : STORE_PG_SLICE_MS);
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return store_seterr("poll: %s", strerror(errno));
		if (store_keep_waiting() == -1)
			return store_seterr("gave up waiting for the "
			    "database");
	}
}

/* The URL's connect_timeout (seconds; libpq makes 1 into 2), or ours. */
static int
store_pg_connect_ms(PGconn *conn)
{
	PQconninfoOption *opts = PQconninfo(conn), *o;
	int ms = STORE_WAIT_MS, secs;

	for (o = opts; o != NULL && o->keyword != NULL; o++)
		if (strcmp(o->keyword, "connect_timeout") == 0 &&
		    o->val != NULL && (secs = atoi(o->val)) > 0)
			ms = (secs < 2 ? 2 : secs) * 1000;
	PQconninfoFree(opts);
	return ms;
}

static void
store_pg_close(struct store *s)
{
	PQfinish(s->db);
	s->db = NULL;
}

/* Lost, or left inside a transaction (which a failure always ends): a
 * new connection serves the next request, whatever state this one is in. */
static int
store_pg_alive(struct store *s)
{
	return s->db != NULL && PQstatus(s->db) == CONNECTION_OK &&
	    PQtransactionStatus(s->db) == PQTRANS_IDLE;
}

/*
 * The result of what was sent: the first error, else the last result.
 * NULL with the error set when there is none: the connection is then
 * dropped (a statement may still run on it).
 */
static PGresult *
store_pg_result(struct store *s)
{
	PGconn *conn = s->db;
	uint64_t deadline = timefmt_mono_ms() + STORE_PG_ANSWER_MS;
	PGresult *res, *keep = NULL;
	int f;

	while ((f = PQflush(conn)) == 1) {
		if (store_pg_wait(conn, POLLIN | POLLOUT, deadline,
		    STORE_PG_ANSWER_MS) == -1)
			goto lost;
		if (!PQconsumeInput(conn))
			goto broken;
	}
	if (f == -1)
		goto broken;
	for (;;) {
		while (PQisBusy(conn)) {
			if (store_pg_wait(conn, POLLIN, deadline,
			    STORE_PG_ANSWER_MS) == -1)
				goto lost;
			if (!PQconsumeInput(conn))
				goto broken;
		}
		if ((res = PQgetResult(conn)) == NULL)
			break;
		if (keep == NULL || PQresultStatus(keep) == PGRES_COMMAND_OK ||
		    PQresultStatus(keep) == PGRES_TUPLES_OK) {
			PQclear(keep);
			keep = res;
		} else
			PQclear(res);
	}
	if (keep != NULL)
		return keep;
broken:
	store_pg_fail("", PQerrorMessage(conn));
lost:
	PQclear(keep);
	store_pg_close(s);
	return NULL;
}

/* A result's verdict: 0 (no row), 1 (a row), STORE_EXISTS or -1. */
static int
store_pg_verdict(PGresult *res)
{
	const char *state;

	switch (PQresultStatus(res)) {
	case PGRES_TUPLES_OK:
		return PQntuples(res) > 0 && PQnfields(res) > 0;
	case PGRES_COMMAND_OK:
		return 0;
	default:
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (state != NULL && strncmp(state, "23", 2) == 0)
			return STORE_EXISTS;	/* integrity constraint */
		return store_pg_fail("", PQresultErrorMessage(res));
	}
}

static int
store_pg_lost(struct store *s)
{
	if (s->db == NULL)
		return store_seterr("the connection to the database is lost");
	return 0;
}

/* '?' is the n-th parameter: $n. */
static int
store_pg_sql(const char *sql, char *out, size_t len)
{
	size_t n = 0;
	int param = 0;

	for (; *sql != '\0' && n + 8 < len; sql++)
		if (*sql == '?')
			n += snprintf(out + n, len - n, "$%d", ++param);
		else
			out[n++] = *sql;
	out[n] = '\0';
	return *sql == '\0' ? 0 : store_seterr("statement too long");
}

static int
store_pg_run(struct store *s, const char *sql, const char *types, char *out,
    size_t outlen, int64_t *num, va_list ap)
{
	const char *values[STORE_PG_PARAMS];
	int lengths[STORE_PG_PARAMS], formats[STORE_PG_PARAMS];
	char text[STORE_PG_SQL_MAX], ints[STORE_PG_PARAMS][24];
	PGresult *res;
	int i, r;

	if (store_pg_lost(s) == -1 || store_pg_sql(sql, text,
	    sizeof(text)) == -1)
		return -1;
	for (i = 0; types[i] != '\0' && i < STORE_PG_PARAMS; i++) {
		lengths[i] = formats[i] = 0;
		if (types[i] == 't')
			values[i] = va_arg(ap, const char *);
		else if (types[i] == 'i') {
			snprintf(ints[i], sizeof(ints[i]), "%lld",
			    (long long)va_arg(ap, int64_t));
			values[i] = ints[i];
		} else {	/* bytea, sent as it is */
			values[i] = (const char *)va_arg(ap,
			    const unsigned char *);
			lengths[i] = 32;
			formats[i] = 1;
		}
	}
	if (!PQsendQueryParams(s->db, text, i, NULL, values, lengths, formats,
	    0)) {
		store_pg_fail("", PQerrorMessage(s->db));
		store_pg_close(s);
		return -1;
	}
	if ((res = store_pg_result(s)) == NULL)
		return -1;
	if ((r = store_pg_verdict(res)) == 1) {
		if (out != NULL)
			snprintf(out, outlen, "%s", PQgetvalue(res, 0, 0));
		if (num != NULL)
			*num = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	}
	PQclear(res);
	return r;
}

static int
store_pg_exec(struct store *s, const char *sql)
{
	PGresult *res;
	int r;

	if (store_pg_lost(s) == -1)
		return -1;
	if (!PQsendQuery(s->db, sql)) {
		store_pg_fail("", PQerrorMessage(s->db));
		store_pg_close(s);
		return -1;
	}
	if ((res = store_pg_result(s)) == NULL)
		return -1;
	r = store_pg_verdict(res);
	PQclear(res);
	return r < 0 ? -1 : 0;
}

/* Notices ("already exists, skipping") are no errors: libpq would print
 * them on stderr, the console. */
static void
store_pg_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

static int
store_pg_open(struct store *s, const struct config *cfg)
{
	const char *keys[] = { "dbname", "fallback_application_name", NULL,
	    NULL };
	const char *values[] = { cfg->store_url, "sockbind", NULL, NULL };
	PostgresPollingStatusType poll_status = PGRES_POLLING_WRITING;
	char password[1024], sql[64];
	uint64_t deadline;
	PGconn *conn;
	int ms;

	if (cfg->store_password_file[0] != '\0') {
		if (store_pg_password(cfg->store_password_file, password,
		    sizeof(password)) == -1)
			return -1;
		keys[2] = "password";	/* after the URL's: wins over it */
		values[2] = password;
	}
	conn = PQconnectStartParams(keys, values, 1);
	explicit_bzero(password, sizeof(password));
	if (conn == NULL)
		return store_seterr("out of memory");
	PQsetNoticeProcessor(conn, store_pg_notice, NULL);
	deadline = timefmt_mono_ms() + (ms = store_pg_connect_ms(conn));
	while (poll_status != PGRES_POLLING_OK) {
		if (poll_status == PGRES_POLLING_FAILED ||
		    PQstatus(conn) == CONNECTION_BAD) {
			store_pg_fail("", PQerrorMessage(conn));
			PQfinish(conn);
			return -1;
		}
		if (store_pg_wait(conn, poll_status == PGRES_POLLING_READING ?
		    POLLIN : POLLOUT, deadline, ms) == -1) {
			PQfinish(conn);
			return -1;
		}
		poll_status = PQconnectPoll(conn);
	}
	s->db = conn;
	snprintf(sql, sizeof(sql), "SET statement_timeout = %d",
	    STORE_WAIT_MS);
	if (PQsetnonblocking(conn, 1) == -1) {
		store_pg_fail("", PQerrorMessage(conn));
		store_pg_close(s);
		return -1;
	}
	if (store_pg_exec(s, sql) == -1) {
		if (s->db != NULL)
			store_pg_close(s);
		return -1;
	}
	return 0;
}

/* Version 2 is PostgreSQL's first: the tables of SQLite's version 1 in
 * PostgreSQL's types (times in seconds, BIGINT; failures keep their rowid
 * as a column of their own). */
static const char *const store_pg_migrations[STORE_SCHEMA_VERSION] = {
	"",
	"CREATE TABLE identities ("
	" addr TEXT PRIMARY KEY, name TEXT NOT NULL,"
	" created BIGINT NOT NULL, updated BIGINT NOT NULL);"
	"CREATE TABLE users ("
	" name TEXT PRIMARY KEY, hash TEXT NOT NULL, created BIGINT NOT NULL);"
	"CREATE TABLE tokens ("
	" hash BYTEA PRIMARY KEY, \"user\" TEXT NOT NULL REFERENCES users(name),"
	" expires BIGINT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE failures ("
	" rowid BIGSERIAL PRIMARY KEY, key TEXT NOT NULL, at BIGINT NOT NULL);"
	"CREATE INDEX failures_key ON failures (key, at);",
};

const struct store_backend store_pg_backend = {
	.name = "postgresql",
	.open = store_pg_open,
	.close = store_pg_close,
	.alive = store_pg_alive,
	.run = store_pg_run,
	.exec = store_pg_exec,
	/* Instances starting together against one database: one at a time
	 * (a lock of the transaction; the key is "sockbind" in ASCII). */
	.begin_schema = "BEGIN; SELECT pg_advisory_xact_lock(7526466)",
	/* Every counter, whatever the key: as SQLite's one writer. */
	.begin_counting = "BEGIN; LOCK TABLE failures IN SHARE ROW EXCLUSIVE "
	    "MODE",
	.migrations = store_pg_migrations,
	.describe = store_pg_describe,
};
