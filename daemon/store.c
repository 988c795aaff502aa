/* store.c -- the identity and account store in SQLite (see store.h). */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <sodium.h>

#include "daemon/scoreboard.h"
#include "daemon/store.h"
#include "shared/log.h"
#include "shared/timefmt.h"

#define STORE_BUSY_MS	5000	/* wait this long for another writer */

struct store {
	sqlite3	*db;
};

static struct store	 worker_store;
static char		 last_error[256];

static const char schema[] =
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
    "CREATE INDEX IF NOT EXISTS failures_key ON failures (key, at);";

static int
store_fail(sqlite3 *db, const char *what)
{
	snprintf(last_error, sizeof(last_error), "%s: %s", what,
	    db ? sqlite3_errmsg(db) : "out of memory");
	/* In a worker, counted for the status listener. */
	scoreboard_add(SB_STORE_ERRORS, 1);
	return -1;
}

const char *
store_error(void)
{
	return last_error;
}

static int	(*wait_hook)(void);

void
store_set_wait_hook(int (*hook)(void))
{
	wait_hook = hook;
}

/*
 * Another connection writes: wait, in slices of at most 20 ms, for up to
 * STORE_BUSY_MS in all, calling the wait hook each time (a worker beats its
 * heart and gives up when it must stop). 0 gives up: SQLITE_BUSY.
 */
static int
store_busy(void *arg, int count)
{
	static uint64_t started;
	uint64_t now = timefmt_mono_ms();
	int slice = count < 5 ? 1 << count : 20;

	(void)arg;
	if (count == 0)
		started = now;
	if (now - started >= STORE_BUSY_MS ||
	    (wait_hook != NULL && wait_hook() == -1))
		return 0;
	poll(NULL, 0, slice);
	return 1;
}

static sqlite3 *
store_open(const char *path)
{
	sqlite3 *db = NULL;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		store_fail(db, path);
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_handler(db, store_busy, NULL);
	return db;
}

/* The database, and its -wal and -shm files if they exist: no access for
 * group and others (best effort: a file of another owner stays). */
static void
store_private(int fd, const char *path)
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

int
store_init(const char *path, char *err, size_t errlen)
{
	sqlite3 *db;
	char *msg = NULL, sql[64];
	int version = -1, fd;
	sqlite3_stmt *st;

	/* It holds password hashes: made 0600 (SQLite would make it 0644
	 * under the usual umask), and its -wal and -shm files follow it. One
	 * that an older sockbind made readable to others is made private. */
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) == -1) {
		snprintf(err, errlen, "store %s: %s", path, strerror(errno));
		return -1;
	}
	store_private(fd, path);
	close(fd);
	if ((db = store_open(path)) == NULL) {
		snprintf(err, errlen, "store %s", last_error);
		return -1;
	}
	/* WAL lets readers and one writer work at once; it is persistent. */
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, &msg) !=
	    SQLITE_OK)
		goto fail;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) ==
	    SQLITE_OK) {
		if (sqlite3_step(st) == SQLITE_ROW)
			version = sqlite3_column_int(st, 0);
		sqlite3_finalize(st);
	}
	if (version > STORE_SCHEMA_VERSION) {
		snprintf(err, errlen, "store %s: schema version %d is newer "
		    "than this sockbind knows (%d)", path, version,
		    STORE_SCHEMA_VERSION);
		sqlite3_close(db);
		return -1;
	}
	/* One transaction: the schema and its version, or nothing. It is
	 * also the proof that the store can be written. */
	snprintf(sql, sizeof(sql), "PRAGMA user_version=%d;",
	    STORE_SCHEMA_VERSION);
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg) !=
	    SQLITE_OK || sqlite3_exec(db, schema, NULL, NULL, &msg) !=
	    SQLITE_OK || sqlite3_exec(db, sql, NULL, NULL, &msg) !=
	    SQLITE_OK || sqlite3_exec(db, "COMMIT", NULL, NULL, &msg) !=
	    SQLITE_OK)
		goto fail;
	sqlite3_close(db);
	return 0;
fail:
	snprintf(err, errlen, "store %s: %s", path, msg ? msg :
	    sqlite3_errmsg(db));
	sqlite3_free(msg);
	sqlite3_close(db);
	return -1;
}

struct store *
store_get(const char *path)
{
	/* SQLite may wait for another writer: log nothing late for it. */
	log_flush();
	if (worker_store.db == NULL &&
	    (worker_store.db = store_open(path)) == NULL)
		return NULL;
	return &worker_store;
}

void
store_close(void)
{
	sqlite3_close(worker_store.db);
	worker_store.db = NULL;
}

/*
 * Run one statement: bind the arguments ('t' text, 'i' int64, 'b' 32-byte
 * blob), step it once. Returns 1 with the first column of the first row
 * copied into out (text) or *num (int), 0 when there was no row, -1 on error;
 * a constraint violation returns STORE_EXISTS.
 */
static int
store_run(struct store *s, const char *sql, const char *types, char *out,
    size_t outlen, int64_t *num, ...)
{
	sqlite3_stmt *st;
	va_list ap;
	int i, r;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return store_fail(s->db, "prepare");
	va_start(ap, num);
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
	va_end(ap);
	r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		if (out != NULL)
			snprintf(out, outlen, "%s",
			    (const char *)sqlite3_column_text(st, 0));
		if (num != NULL)
			*num = sqlite3_column_int64(st, 0);
		r = 1;
	} else if (r == SQLITE_DONE)
		r = 0;
	else if ((r & 0xff) == SQLITE_CONSTRAINT)
		r = STORE_EXISTS;
	else
		r = store_fail(s->db, "step");
	sqlite3_finalize(st);
	return r;
}

int
store_ident_get(struct store *s, const char *addr, char name[STORE_NAME_MAX])
{
	return store_run(s, "SELECT name FROM identities WHERE addr = ?",
	    "t", name, STORE_NAME_MAX, NULL, addr);
}

int
store_ident_set(struct store *s, const char *addr, const char *name)
{
	return store_run(s, "INSERT INTO identities (addr, name, created, "
	    "updated) VALUES (?1, ?2, unixepoch(), unixepoch()) "
	    "ON CONFLICT (addr) DO UPDATE SET name = ?2, updated = unixepoch()",
	    "tt", NULL, 0, NULL, addr, name);
}

int
store_user_add(struct store *s, const char *user, const char *hash)
{
	return store_run(s, "INSERT INTO users (name, hash, created) "
	    "VALUES (?, ?, unixepoch())", "tt", NULL, 0, NULL, user, hash);
}

int
store_user_hash(struct store *s, const char *user, char hash[STORE_HASH_MAX])
{
	return store_run(s, "SELECT hash FROM users WHERE name = ?", "t",
	    hash, STORE_HASH_MAX, NULL, user);
}

int
store_token_add(struct store *s, const unsigned char hash[32],
    const char *user, int64_t expires)
{
	return store_run(s, "INSERT INTO tokens (hash, user, expires) "
	    "VALUES (?, ?, ?)", "bti", NULL, 0, NULL, hash, user, expires);
}

int
store_token_user(struct store *s, const unsigned char hash[32], int64_t now,
    char user[STORE_NAME_MAX])
{
	return store_run(s, "SELECT user FROM tokens WHERE hash = ? AND "
	    "revoked = 0 AND expires >= ?", "bi", user, STORE_NAME_MAX, NULL,
	    hash, now);
}

int
store_token_revoke(struct store *s, const unsigned char hash[32])
{
	return store_run(s, "UPDATE tokens SET revoked = 1 WHERE hash = ?",
	    "b", NULL, 0, NULL, hash);
}

/* Count failures for key after since: the count, or -1. */
static int
store_failure_count(struct store *s, const char *key, int64_t since)
{
	int64_t n = 0;

	if (store_run(s, "SELECT count(*) FROM failures WHERE key = ? AND "
	    "at > ?", "ti", NULL, 0, &n, key, since) < 0)
		return -1;
	return (int)n;
}

static int
store_failure_reserve_locked(struct store *s, const char *ukey,
    const char *pkey, const char *akey, int64_t since, int max, int64_t now,
    int64_t rows[2])
{
	const char *keys[3] = { akey, ukey, pkey };
	int i, n[3] = { 0, 0, 0 };

	for (i = 0; i < 3 && keys[i] != NULL; i++)
		/* Rows out of the window count no more: the table stays the
		 * size of what the windows hold. */
		if (store_run(s, "DELETE FROM failures WHERE key = ? AND at "
		    "<= ?", "ti", NULL, 0, NULL, keys[i], since) < 0 ||
		    (n[i] = store_failure_count(s, keys[i], since)) < 0)
			return -1;
	/* The address past its limit; or the name past its limit, for an
	 * address that failed for it: a stranger's guesses cannot lock the
	 * user out of an address that never failed. */
	if (n[0] >= max || (ukey != NULL && n[1] >= max && n[2] > 0))
		return 1;
	rows[0] = -1;
	for (i = 2; i >= 0; i--) {	/* the address's row last */
		if (keys[i] == NULL)
			continue;
		if (store_run(s, "INSERT INTO failures (key, at) VALUES (?, ?)",
		    "ti", NULL, 0, NULL, keys[i], now) < 0)
			return -1;
		rows[1] = sqlite3_last_insert_rowid(s->db);
		if (rows[0] == -1)
			rows[0] = rows[1];
	}
	return 0;
}

int
store_failure_reserve(struct store *s, const char *ukey, const char *pkey,
    const char *akey, int64_t since, int max, int64_t now, int64_t rows[2])
{
	int r;

	/* IMMEDIATE: the write lock before the count, so no other worker
	 * counts between our count and our insert. */
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return store_fail(s->db, "begin");
	r = store_failure_reserve_locked(s, ukey, pkey, akey, since, max, now,
	    rows);
	if (r >= 0 && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) !=
	    SQLITE_OK)
		r = store_fail(s->db, "commit");
	if (r < 0)
		(void)sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	return r;
}

int
store_failure_release(struct store *s, const char *ukey, const char *pkey,
    const int64_t rows[2])
{
	if (store_run(s, "DELETE FROM failures WHERE key = ? OR key = ?", "tt",
	    NULL, 0, NULL, ukey, pkey) < 0)
		return -1;
	return store_run(s, "DELETE FROM failures WHERE rowid = ?", "i", NULL,
	    0, NULL, rows[1]);
}

int
store_failure_cancel(struct store *s, const int64_t rows[2])
{
	return store_run(s, "DELETE FROM failures WHERE rowid BETWEEN ? AND ?",
	    "ii", NULL, 0, NULL, rows[0], rows[1]);
}
