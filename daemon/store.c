/*
 * store.c -- the identity and account store (see store.h): the logic and
 * the SQL, the schema's versions, the dispatch to the configured backend
 * (store_backend.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "daemon/config.h"
#include "daemon/scoreboard.h"
#include "daemon/store.h"
#include "daemon/store_backend.h"
#include "shared/log.h"

static const struct store_backend *const backends[] = {
	&store_sqlite_backend, &store_pg_backend,
};

static struct store	 worker_store;
static char		 last_error[512];
static int		(*wait_hook)(void);
static int		 rolling_back;

int
store_seterr(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	/* In a worker, counted for the status listener; a rollback's own
	 * failure is the same error. */
	if (!rolling_back)
		scoreboard_add(SB_STORE_ERRORS, 1);
	return -1;
}

const char *
store_error(void)
{
	return last_error;
}

void
store_set_wait_hook(int (*hook)(void))
{
	wait_hook = hook;
}

int
store_keep_waiting(void)
{
	return wait_hook != NULL ? wait_hook() : 0;
}

static const struct store_backend *
store_backend_named(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(backends) / sizeof(backends[0]); i++)
		if (strcmp(backends[i]->name, name) == 0)
			return backends[i];
	return NULL;
}

int
store_check_backend(const char *value, char *why, size_t whylen)
{
	if (store_backend_named(value) != NULL)
		return 0;
	snprintf(why, whylen, "'%s' is not sqlite or postgresql", value);
	return -1;
}

const char *
store_describe(const struct config *cfg, char *buf, size_t len)
{
	const struct store_backend *be = store_backend_named(
	    cfg->store_backend);

	return be != NULL ? be->describe(cfg, buf, len) : "store";
}

/* A statement through the backend; see store_backend.h. */
static int
store_run(struct store *s, const char *sql, const char *types, char *out,
    size_t outlen, int64_t *num, ...)
{
	va_list ap;
	int r;

	va_start(ap, num);
	r = s->be->run(s, sql, types, out, outlen, num, ap);
	va_end(ap);
	return r;
}

/* After a failure in a transaction: roll it back, keep the error. -1. */
static int
store_rollback(struct store *s)
{
	char saved[sizeof(last_error)];

	memcpy(saved, last_error, sizeof(saved));
	rolling_back = 1;
	(void)s->be->exec(s, "ROLLBACK");
	rolling_back = 0;
	memcpy(last_error, saved, sizeof(saved));
	return -1;
}

/*
 * The schema at STORE_SCHEMA_VERSION, in one transaction that no other
 * instance's start-up can interleave with: the version in store_version
 * (or, before that table, the backend's legacy one), each missing step,
 * the new version. A store newer than this sockbind is refused.
 */
static int
store_migrate(struct store *s)
{
	const struct store_backend *be = s->be;
	int64_t version = 0;
	int r;

	if (be->exec(s, be->begin_schema) == -1 ||
	    be->exec(s, "CREATE TABLE IF NOT EXISTS store_version "
	    "(version INTEGER NOT NULL)") == -1 ||
	    (r = store_run(s, "SELECT version FROM store_version ORDER BY "
	    "version DESC LIMIT 1", "", NULL, 0, &version)) == -1 ||
	    (r == 0 && be->legacy_version != NULL &&
	    store_run(s, be->legacy_version, "", NULL, 0, &version) == -1))
		goto fail;
	if (version > STORE_SCHEMA_VERSION) {
		store_seterr("schema version %lld is newer than this sockbind "
		    "knows (%d)", (long long)version, STORE_SCHEMA_VERSION);
		goto fail;
	}
	for (; version < STORE_SCHEMA_VERSION; version++)
		if (be->migrations[version][0] != '\0' &&
		    be->exec(s, be->migrations[version]) == -1)
			goto fail;
	if (be->exec(s, "DELETE FROM store_version") == -1 ||
	    store_run(s, "INSERT INTO store_version (version) VALUES (?)",
	    "i", NULL, 0, NULL, (int64_t)STORE_SCHEMA_VERSION) == -1 ||
	    be->exec(s, "COMMIT") == -1)
		goto fail;
	return 0;
fail:
	return store_rollback(s);
}

int
store_init(const struct config *cfg, char *err, size_t errlen)
{
	struct store s = { store_backend_named(cfg->store_backend), NULL };
	char what[1200];
	int r = -1;

	if (s.be == NULL)
		store_seterr("[store] backend: '%s' is not sqlite or "
		    "postgresql", cfg->store_backend);
	else if ((s.be->prepare == NULL || s.be->prepare(cfg) == 0) &&
	    s.be->open(&s, cfg) == 0) {
		if ((s.be->setup == NULL || s.be->exec(&s, s.be->setup) == 0) &&
		    store_migrate(&s) == 0)
			r = 0;
		s.be->close(&s);
	}
	if (r == -1)
		snprintf(err, errlen, "store %s: %s", store_describe(cfg, what,
		    sizeof(what)), last_error);
	return r;
}

struct store *
store_get(const struct config *cfg)
{
	struct store *s = &worker_store;

	/* The store may make us wait: log nothing late for it. */
	log_flush();
	if (s->db != NULL && !s->be->alive(s))
		store_close();
	if (s->db == NULL) {
		if ((s->be = store_backend_named(cfg->store_backend)) == NULL) {
			store_seterr("no store backend '%s'",
			    cfg->store_backend);
			return NULL;
		}
		if (s->be->open(s, cfg) == -1)
			return NULL;
	}
	return s;
}

void
store_close(void)
{
	if (worker_store.db != NULL)
		worker_store.be->close(&worker_store);
	worker_store.db = NULL;
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
	int64_t now = time(NULL);

	return store_run(s, "INSERT INTO identities (addr, name, created, "
	    "updated) VALUES (?, ?, ?, ?) ON CONFLICT (addr) DO UPDATE SET "
	    "name = excluded.name, updated = excluded.updated", "ttii", NULL,
	    0, NULL, addr, name, now, now);
}

int
store_user_add(struct store *s, const char *user, const char *hash)
{
	return store_run(s, "INSERT INTO users (name, hash, created) "
	    "VALUES (?, ?, ?)", "tti", NULL, 0, NULL, user, hash,
	    (int64_t)time(NULL));
}

int
store_user_hash(struct store *s, const char *user, char hash[STORE_HASH_MAX])
{
	return store_run(s, "SELECT hash FROM users WHERE name = ?", "t",
	    hash, STORE_HASH_MAX, NULL, user);
}

/* "user" is quoted: a reserved word in PostgreSQL. */
int
store_token_add(struct store *s, const unsigned char hash[32],
    const char *user, int64_t expires)
{
	return store_run(s, "INSERT INTO tokens (hash, \"user\", expires) "
	    "VALUES (?, ?, ?)", "bti", NULL, 0, NULL, hash, user, expires);
}

int
store_token_user(struct store *s, const unsigned char hash[32], int64_t now,
    char user[STORE_NAME_MAX])
{
	return store_run(s, "SELECT \"user\" FROM tokens WHERE hash = ? AND "
	    "revoked = 0 AND expires >= ?", "bi", user, STORE_NAME_MAX, NULL,
	    hash, now);
}

int
store_token_revoke(struct store *s, const unsigned char hash[32])
{
	return store_run(s, "UPDATE tokens SET revoked = 1 WHERE hash = ?",
	    "b", NULL, 0, NULL, hash);
}

static int
store_failure_reserve_locked(struct store *s, const char *ukey,
    const char *pkey, const char *akey, int64_t since, int max, int64_t now,
    int64_t rows[2])
{
	const char *keys[3] = { akey, ukey, pkey };
	int64_t n[3] = { 0, 0, 0 };
	int i;

	for (i = 0; i < 3 && keys[i] != NULL; i++)
		/* Rows out of the window count no more: the table stays the
		 * size of what the windows hold. */
		if (store_run(s, "DELETE FROM failures WHERE key = ? AND at "
		    "<= ?", "ti", NULL, 0, NULL, keys[i], since) < 0 ||
		    store_run(s, "SELECT count(*) FROM failures WHERE key = ? "
		    "AND at > ?", "ti", NULL, 0, &n[i], keys[i], since) < 0)
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
		if (store_run(s, "INSERT INTO failures (key, at) VALUES (?, ?) "
		    "RETURNING rowid", "ti", NULL, 0, &rows[1], keys[i],
		    now) < 0)
			return -1;
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

	/* The backend's lock before the count, so no other worker (or host)
	 * counts between our count and our insert. */
	if (s->be->exec(s, s->be->begin_counting) == -1)
		return store_rollback(s);	/* begun, not locked */
	r = store_failure_reserve_locked(s, ukey, pkey, akey, since, max, now,
	    rows);
	if (r >= 0 && s->be->exec(s, "COMMIT") == -1)
		r = -1;
	return r < 0 ? store_rollback(s) : r;
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
