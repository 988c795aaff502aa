/*
 * store_sqlite.c -- the store's SQLite backend (store_backend.h): one file
 * on this host, shared by its workers, each with its own connection.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "daemon/config.h"
#include "daemon/store.h"
#include "daemon/store_backend.h"
#include "shared/timefmt.h"

static int
store_sqlite_fail(sqlite3 *db, const char *what)
{
	return store_seterr("%s: %s", what, db ? sqlite3_errmsg(db) :
	    "out of memory");
}

/*
 * Another connection writes: wait, in slices of at most 20 ms, for up to
 * STORE_WAIT_MS in all, calling the wait hook each time (a worker beats its
 * heart and gives up when it must stop). 0 gives up: SQLITE_BUSY.
 */
static int
store_sqlite_busy(void *arg, int count)
{
	static uint64_t started;
	uint64_t now = timefmt_mono_ms();
	int slice = count < 5 ? 1 << count : 20;

	(void)arg;
	if (count == 0)
		started = now;
	if (now - started >= STORE_WAIT_MS || store_keep_waiting() == -1)
		return 0;
	poll(NULL, 0, slice);
	return 1;
}

static int
store_sqlite_open(struct store *s, const struct config *cfg)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(cfg->store_path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		store_sqlite_fail(db, cfg->store_path);
		sqlite3_close(db);
		return -1;
	}
	sqlite3_busy_handler(db, store_sqlite_busy, NULL);
	s->db = db;
	return 0;
}

static void
store_sqlite_close(struct store *s)
{
	sqlite3_close(s->db);
	s->db = NULL;
}

/* A file is not lost as a connection is. */
static int
store_sqlite_alive(struct store *s)
{
	(void)s;
	return 1;
}

/* The database, and its -wal and -shm files if they exist: no access for
 * group and others (best effort: a file of another owner stays). */
static void
store_sqlite_private(int fd, const char *path)
{
	static const char *const suffixes[] = { "-wal", "-shm" };
	char name[PATH_MAX + 8];
	struct stat st;
	size_t i;

	if (fstat(fd, &st) == 0 && (st.st_mode & 077) != 0)
		(void)fchmod(fd, st.st_mode & 0700);
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", path, suffixes[i]);
		if (stat(name, &st) == 0 && (st.st_mode & 077) != 0)
			(void)chmod(name, st.st_mode & 0700);
	}
}

/* It holds password hashes: made 0600 (SQLite would make it 0644 under the
 * usual umask), and its -wal and -shm files follow it. One that an older
 * sockbind made readable to others is made private. */
static int
store_sqlite_prepare(const struct config *cfg)
{
	int fd;

	if ((fd = open(cfg->store_path, O_RDWR | O_CREAT | O_CLOEXEC,
	    0600)) == -1)
		return store_seterr("%s", strerror(errno));
	store_sqlite_private(fd, cfg->store_path);
	close(fd);
	return 0;
}

static int
store_sqlite_run(struct store *s, const char *sql, const char *types,
    char *out, size_t outlen, int64_t *num, va_list ap)
{
	sqlite3 *db = s->db;
	sqlite3_stmt *st;
	const unsigned char *text;
	int i, r;

	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_sqlite_fail(db, "prepare");
	for (i = 0; types[i] != '\0'; i++) {
		if (types[i] == 't')
			sqlite3_bind_text(st, i + 1, va_arg(ap, const char *),
			    -1, SQLITE_TRANSIENT);
		else if (types[i] == 'i')
			sqlite3_bind_int64(st, i + 1, va_arg(ap, int64_t));
		else
			sqlite3_bind_blob(st, i + 1,
			    va_arg(ap, const unsigned char *), 32,
			    SQLITE_TRANSIENT);
	}
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		text = sqlite3_column_text(st, 0);
		if (out != NULL)
			snprintf(out, outlen, "%s", text ? (const char *)text :
			    "");
		if (num != NULL)
			*num = sqlite3_column_int64(st, 0);
		r = 1;
	} else if (r == SQLITE_DONE)
		r = 0;
	else if ((r & 0xff) == SQLITE_CONSTRAINT)
		r = STORE_EXISTS;
	else
		r = store_sqlite_fail(db, "step");
	sqlite3_finalize(st);
	return r;
}

static int
store_sqlite_exec(struct store *s, const char *sql)
{
	char *msg = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	store_seterr("%s", msg ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
	return -1;
}

static const char *
store_sqlite_describe(const struct config *cfg, char *buf, size_t len)
{
	snprintf(buf, len, "%s", cfg->store_path);
	return buf;
}

/* Version 1 was the first release's schema, its version in user_version;
 * version 2 adds only store_version: user_version follows, so that a
 * sockbind that knows only version 1 refuses this store. */
static const char *const store_sqlite_migrations[STORE_SCHEMA_VERSION] = {
	"CREATE TABLE IF NOT EXISTS identities ("
	" addr TEXT PRIMARY KEY, name TEXT NOT NULL,"
	" created INTEGER NOT NULL, updated INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS users ("
	" name TEXT PRIMARY KEY, hash TEXT NOT NULL,"
	" created INTEGER NOT NULL);"
	"CREATE TABLE IF NOT EXISTS tokens ("
	" hash BLOB PRIMARY KEY, user TEXT NOT NULL REFERENCES users(name),"
	" expires INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE IF NOT EXISTS failures ("
	" key TEXT NOT NULL, at INTEGER NOT NULL);"
	"CREATE INDEX IF NOT EXISTS failures_key ON failures (key, at);"
	"PRAGMA user_version = 1;",
	"PRAGMA user_version = 2;",
};

const struct store_backend store_sqlite_backend = {
	.name = "sqlite",
	.prepare = store_sqlite_prepare,
	.open = store_sqlite_open,
	.close = store_sqlite_close,
	.alive = store_sqlite_alive,
	.run = store_sqlite_run,
	.exec = store_sqlite_exec,
	/* WAL lets readers and one writer work at once; it is persistent. */
	.setup = "PRAGMA journal_mode=WAL",
	/* IMMEDIATE: the write lock at once, before anything is read. */
	.begin_schema = "BEGIN IMMEDIATE",
	.begin_counting = "BEGIN IMMEDIATE",
	.legacy_version = "PRAGMA user_version",
	.migrations = store_sqlite_migrations,
	.describe = store_sqlite_describe,
};
