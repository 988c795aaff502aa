/*
 * test_store.c -- the identity and account store (daemon/store.c) in both
 * backends: a real SQLite file (suite store) and a real PostgreSQL
 * database (suite store_pg, a throwaway cluster: tests/pg/pgtest.h). The
 * attempt counters (the limit, a key counted alone, rows out of the window
 * deleted, the name's lock only where it failed, an attempt taken back),
 * names, accounts and tokens, the schema's version, and for PostgreSQL a
 * lost connection, a database that is down and a password that no message
 * shows.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sqlite3.h>

#include "daemon/config.h"
#include "daemon/store.h"
#include "shared/timefmt.h"
#include "tests/pg/pgtest.h"

static char		dir[64], path[128];
static struct config	cfg;

static void
store_defaults(void)
{
	char err[256];

	cr_assert_eq(conf_defaults(config_keys, config_nkeys, &cfg, err,
	    sizeof(err)), 0, "%s", err);
	strcpy(dir, "/tmp/sockbind-store.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/store.db", dir);
	snprintf(cfg.store_path, sizeof(cfg.store_path), "%s", path);
}

static void
store_setup(void)
{
	char err[256];

	store_defaults();
	cr_assert_eq(store_init(&cfg, err, sizeof(err)), 0, "%s", err);
}

static void
store_pg_setup(void)
{
	const char *url = pgtest_url();	/* may skip: before mkdtemp() */
	char err[1024];

	store_defaults();
	snprintf(cfg.store_backend, sizeof(cfg.store_backend), "postgresql");
	snprintf(cfg.store_url, sizeof(cfg.store_url), "%s", url);
	snprintf(cfg.store_password_file, sizeof(cfg.store_password_file),
	    "%s", pgtest_password_file());
	cr_assert_eq(store_init(&cfg, err, sizeof(err)), 0, "%s", err);
}

static void
store_teardown(void)
{
	char cmd[128];

	store_close();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

TestSuite(store, .init = store_setup, .fini = store_teardown);
TestSuite(store_pg, .init = store_pg_setup, .fini = store_teardown,
    .timeout = 60);

/* A test of both backends: its body runs in each suite. */
#define BOTH(name)							\
	static void name(void);						\
	Test(store, name) { name(); }					\
	Test(store_pg, name) { name(); }				\
	static void name(void)

static int
is_pg(void)
{
	return strcmp(cfg.store_backend, "postgresql") == 0;
}

/* The first value of sql, read with a connection of our own. */
static long long
value_of(const char *sql)
{
	char q[512];
	sqlite3 *db;
	sqlite3_stmt *st;
	long long n = -1;

	if (is_pg()) {
		snprintf(q, sizeof(q), "SET search_path = %s; %s",
		    pgtest_schema(), sql);
		return atoll(pgtest_query(q));
	}
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK,
	    "%s", sqlite3_errmsg(db));
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* Rows of key in the failures table. */
static int
rows_of(const char *key)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM failures WHERE "
	    "key = '%s'", key);
	return (int)value_of(sql);
}

BOTH(address_key_alone_meets_its_limit)
{
	struct store *s = store_get(&cfg);
	int64_t row[2], now = 1000;
	int i;

	cr_assert_not_null(s, "%s", store_error());
	for (i = 0; i < 3; i++)
		cr_assert_eq(store_failure_reserve(s, NULL, NULL,
		    "reg:127.0.0.9", now - 60, 3, now, row), 0, "%d: %s", i,
		    store_error());
	cr_assert_eq(store_failure_reserve(s, NULL, NULL, "reg:127.0.0.9",
	    now - 60, 3, now, row), 1);
	cr_assert_eq(rows_of("reg:127.0.0.9"), 3);
	/* Another address has a count of its own. */
	cr_assert_eq(store_failure_reserve(s, NULL, NULL, "reg:127.0.0.10",
	    now - 60, 3, now, row), 0);
}

BOTH(rows_out_of_the_window_are_deleted)
{
	struct store *s = store_get(&cfg);
	int64_t row[2];
	int i;

	cr_assert_not_null(s, "%s", store_error());
	for (i = 0; i < 3; i++)
		cr_assert_eq(store_failure_reserve(s, "user:amy",
		    "user:amy@a", "addr:a", 1000 - 60, 5, 1000 + i, row), 0);
	cr_assert_eq(rows_of("user:amy"), 3);
	/* A minute later the three are out of the window: one row each. */
	cr_assert_eq(store_failure_reserve(s, "user:amy", "user:amy@a",
	    "addr:a", 1100 - 60, 5, 1100, row), 0);
	cr_assert_eq(rows_of("user:amy"), 1);
	cr_assert_eq(rows_of("addr:a"), 1);
	/* release() takes back the user's failures and this address row. */
	cr_assert_eq(store_failure_release(s, "user:amy", "user:amy@a", row),
	    0);
	cr_assert_eq(rows_of("user:amy"), 0);
	cr_assert_eq(rows_of("user:amy@a"), 0);
	cr_assert_eq(rows_of("addr:a"), 0);
}


BOTH(names_accounts_and_tokens)
{
	struct store *s = store_get(&cfg);
	unsigned char tok[32], other[32];
	char name[STORE_NAME_MAX], hash[STORE_HASH_MAX];

	cr_assert_not_null(s, "%s", store_error());
	memset(tok, 0xa5, sizeof(tok));
	memset(other, 0x00, sizeof(other));
	cr_assert_eq(store_ident_get(s, "127.0.0.2", name), 0);
	cr_assert_eq(store_ident_set(s, "127.0.0.2", "Мария"), 0, "%s",
	    store_error());
	cr_assert_eq(store_ident_get(s, "127.0.0.2", name), 1);
	cr_assert_str_eq(name, "Мария");
	cr_assert_eq(store_ident_set(s, "127.0.0.2", "Ivan"), 0);
	cr_assert_eq(store_ident_get(s, "127.0.0.2", name), 1);
	cr_assert_str_eq(name, "Ivan");

	cr_assert_eq(store_user_add(s, "amy", "$argon2id$a"), 0, "%s",
	    store_error());
	cr_assert_eq(store_user_add(s, "amy", "$argon2id$b"), STORE_EXISTS);
	cr_assert_eq(store_user_hash(s, "amy", hash), 1);
	cr_assert_str_eq(hash, "$argon2id$a");
	cr_assert_eq(store_user_hash(s, "bob", hash), 0);

	cr_assert_eq(store_token_add(s, tok, "amy", 2000), 0, "%s",
	    store_error());
	cr_assert_eq(store_token_user(s, tok, 1999, name), 1);
	cr_assert_str_eq(name, "amy");
	cr_assert_eq(store_token_user(s, tok, 2001, name), 0, "expired");
	cr_assert_eq(store_token_user(s, other, 1999, name), 0);
	cr_assert_eq(store_token_revoke(s, tok), 0);
	cr_assert_eq(store_token_user(s, tok, 1999, name), 0, "revoked");
}

/* The schema's version is in store_version; a store of a newer schema
 * than this sockbind knows is refused at start-up, saying so. */
BOTH(schema_version_recorded_and_newer_refused)
{
	char err[1024];

	cr_assert_eq(value_of("SELECT version FROM store_version"),
	    STORE_SCHEMA_VERSION);
	cr_assert_eq(value_of("SELECT count(*) FROM store_version"), 1);
	/* Started again: nothing to do, still one row. */
	cr_assert_eq(store_init(&cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(value_of("SELECT count(*) FROM store_version"), 1);
	value_of("UPDATE store_version SET version = 99");
	cr_assert_eq(store_init(&cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "schema version 99 is newer than this "
	    "sockbind knows") != NULL, "%s", err);
}

/* A store of the first release (its version only in user_version) is
 * taken to version 2, its rows kept; user_version follows, so that the
 * first release would refuse it. */
Test(store, first_release_store_migrated)
{
	char err[256];
	sqlite3 *db;

	store_close();
	cr_assert_eq(unlink(path), 0);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "CREATE TABLE identities ("
	    " addr TEXT PRIMARY KEY, name TEXT NOT NULL,"
	    " created INTEGER NOT NULL, updated INTEGER NOT NULL);"
	    "CREATE TABLE users (name TEXT PRIMARY KEY, hash TEXT NOT NULL,"
	    " created INTEGER NOT NULL);"
	    "CREATE TABLE tokens (hash BLOB PRIMARY KEY, user TEXT NOT NULL"
	    " REFERENCES users(name), expires INTEGER NOT NULL,"
	    " revoked INTEGER NOT NULL DEFAULT 0);"
	    "CREATE TABLE failures (key TEXT NOT NULL, at INTEGER NOT NULL);"
	    "INSERT INTO identities VALUES ('127.0.0.3', 'Oleg', 1, 1);"
	    "PRAGMA user_version = 1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	cr_assert_eq(store_init(&cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(value_of("SELECT version FROM store_version"), 2);
	cr_assert_eq(value_of("PRAGMA user_version"), 2);
	cr_assert_eq(value_of("SELECT count(*) FROM identities WHERE name = "
	    "'Oleg'"), 1);
}

/* A connection the server ends: that call fails, the next store_get()
 * connects again and the store serves. */
Test(store_pg, lost_connection_is_made_again)
{
	struct store *s = store_get(&cfg);
	char name[STORE_NAME_MAX];

	cr_assert_not_null(s, "%s", store_error());
	cr_assert_eq(store_ident_set(s, "127.0.0.5", "Olga"), 0);
	cr_assert_eq(pgtest_terminate(), 1);
	cr_assert_eq(store_ident_get(s, "127.0.0.5", name), -1);
	cr_assert(strstr(store_error(), "terminating connection") != NULL ||
	    strstr(store_error(), "closed") != NULL, "%s", store_error());
	cr_assert_not_null(s = store_get(&cfg), "%s", store_error());
	cr_assert_eq(store_ident_get(s, "127.0.0.5", name), 1);
	cr_assert_str_eq(name, "Olga");
}

/* No server at the URL: one line that names the store, its password
 * hidden, within the URL's connect_timeout. */
Test(store_pg, database_down_is_one_clear_line)
{
	char err[1024];

	store_close();
	snprintf(cfg.store_url, sizeof(cfg.store_url), "postgresql://"
	    "sockbind:hunter2secret@/postgres?host=%s/nowhere&"
	    "connect_timeout=2&password=hunter2secret", dir);
	cfg.store_password_file[0] = '\0';
	cr_assert_eq(store_init(&cfg, err, sizeof(err)), -1);
	cr_assert(strncmp(err, "store postgresql://sockbind:[secret]@/postgres"
	    "?host=", 46) == 0, "%s", err);
	cr_assert(strstr(err, "password=[secret]") != NULL, "%s", err);
	cr_assert(strstr(err, "hunter2") == NULL, "%s", err);
	cr_assert(strstr(err, "No such file or directory") != NULL, "%s",
	    err);
	cr_assert(strchr(err, '\n') == NULL, "%s", err);
}

/* A wrong password, or one in a file others may read, is refused; the
 * message shows no password. */
Test(store_pg, password_file_checked)
{
	char err[1024], pw[160];
	FILE *fp;

	store_close();
	snprintf(pw, sizeof(pw), "%s/pw", dir);
	cr_assert_not_null(fp = fopen(pw, "w"));
	fputs("not-the-password\n", fp);
	fclose(fp);
	snprintf(cfg.store_password_file, sizeof(cfg.store_password_file),
	    "%s", pw);
	cr_assert_eq(chmod(pw, 0644), 0);
	cr_assert_eq(store_init(&cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "readable by others") != NULL, "%s", err);
	cr_assert_eq(chmod(pw, 0600), 0);
	cr_assert_eq(store_init(&cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "password authentication failed") != NULL,
	    "%s", err);
	cr_assert(strstr(err, "not-the-password") == NULL, "%s", err);
	cr_assert_null(store_get(&cfg));
}

/* The wait hook of these tests: counts its calls, the longest gap between
 * two, and gives up once told to. */
static int		hook_calls, hook_give_up;
static uint64_t		hook_last, hook_gap;

static int
count_hook(void)
{
	uint64_t now = timefmt_mono_ms();

	if (hook_last != 0 && now - hook_last > hook_gap)
		hook_gap = now - hook_last;
	hook_last = now;
	hook_calls++;
	return hook_calls >= hook_give_up && hook_give_up > 0 ? -1 : 0;
}

/* A "server" that takes the connection and never says a word. */
static int
silent_server(void)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s/.s.PGSQL.5432",
	    dir);
	cr_assert_neq(fd = socket(AF_UNIX, SOCK_STREAM, 0), -1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	cr_assert_eq(listen(fd, 8), 0);
	snprintf(cfg.store_url, sizeof(cfg.store_url), "postgresql://"
	    "sockbind@/postgres?host=%s&connect_timeout=2", dir);
	return fd;
}

/* A database that does not answer: the connection is given up after
 * connect_timeout, and meanwhile the wait hook is called every 20 ms or so
 * (a worker beats its heart); the hook can end it sooner. */
Test(store_pg, silent_server_waits_in_slices_calling_the_hook)
{
	uint64_t t0;
	int fd, took;

	store_close();
	fd = silent_server();
	store_set_wait_hook(count_hook);
	t0 = timefmt_mono_ms();
	cr_assert_null(store_get(&cfg));
	took = (int)(timefmt_mono_ms() - t0);
	cr_assert_str_eq(store_error(), "no answer from the database in "
	    "2000 ms");
	cr_assert(took >= 1900 && took < 3000, "%d ms", took);
	/* 100 slices of 20 ms when the machine is idle; a loaded one
	 * (parallel tests) stretches them, but never to a second. */
	cr_assert_geq(hook_calls, 20, "%d calls", hook_calls);
	cr_assert_lt(hook_gap, 1000, "a gap of %llu ms",
	    (unsigned long long)hook_gap);
	cr_log_info("silent server: %d hook calls, longest gap %llu ms",
	    hook_calls, (unsigned long long)hook_gap);
	/* The hook says stop: given up at once. */
	hook_calls = 0;
	hook_give_up = 3;
	t0 = timefmt_mono_ms();
	cr_assert_null(store_get(&cfg));
	cr_assert_lt(timefmt_mono_ms() - t0, 500);
	cr_assert_str_eq(store_error(), "gave up waiting for the database");
	store_set_wait_hook(NULL);
	close(fd);
}

/* With no password_file, libpq's own password file serves (PGPASSFILE). */
Test(store_pg, password_from_pgpassfile)
{
	char err[1024], pass[160], line[256];
	FILE *in, *out;

	store_close();
	snprintf(pass, sizeof(pass), "%s/pgpass", dir);
	cr_assert_not_null(in = fopen(pgtest_password_file(), "r"));
	cr_assert_not_null(fgets(line, sizeof(line), in));
	fclose(in);
	cr_assert_not_null(out = fopen(pass, "w"));
	fprintf(out, "*:*:*:sockbind:%s", line);
	fclose(out);
	cr_assert_eq(chmod(pass, 0600), 0);
	cfg.store_password_file[0] = '\0';
	setenv("PGPASSFILE", "/nonexistent", 1);
	cr_assert_eq(store_init(&cfg, err, sizeof(err)), -1);
	cr_assert(strstr(err, "no password supplied") != NULL, "%s", err);
	setenv("PGPASSFILE", pass, 1);
	cr_assert_eq(store_init(&cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_not_null(store_get(&cfg), "%s", store_error());
}

Test(store_pg, url_checked_and_shown_without_password)
{
	char why[256], buf[512];

	cr_assert_eq(store_check_url("postgresql://u@/db?host=/run/x", why,
	    sizeof(why)), 0);
	cr_assert_eq(store_check_url("", why, sizeof(why)), 0);
	cr_assert_eq(store_check_url("mysql://u@h/db", why, sizeof(why)), -1);
	cr_assert_str_eq(why, "not a postgresql:// URL");
	cr_assert_eq(store_check_url("postgresql://u:s%zzecret@h/db", why,
	    sizeof(why)), -1);
	cr_assert(strstr(why, "zzecret") == NULL, "%s", why);
	snprintf(cfg.store_url, sizeof(cfg.store_url),
	    "postgres://app:pa:ss@db.example:5433/sb?sslmode=require&"
	    "password=x&application_name=a");
	cr_assert_str_eq(store_describe(&cfg, buf, sizeof(buf)),
	    "postgres://app:[secret]@db.example:5433/sb?sslmode=require&"
	    "password=[secret]&application_name=a");
	cr_assert_eq(store_check_backend("postgresql", why, sizeof(why)), 0);
	cr_assert_eq(store_check_backend("mysql", why, sizeof(why)), -1);
}

/* A name past its limit is locked only for the addresses that failed for
 * it: strangers guessing cannot lock its user out of another address. */
BOTH(name_lock_only_for_addresses_that_failed)
{
	struct store *s = store_get(&cfg);
	int64_t row[2], now = 1000;
	int i;

	cr_assert_not_null(s, "%s", store_error());
	/* Two strangers, two guesses each: the name has its 4 failures. */
	for (i = 0; i < 4; i++)
		cr_assert_eq(store_failure_reserve(s, "user:bo", i < 2 ?
		    "user:bo@x" : "user:bo@y", i < 2 ? "addr:x" : "addr:y",
		    now - 60, 4, now, row), 0);
	/* They are locked out of the name, each under its own limit. */
	cr_assert_eq(store_failure_reserve(s, "user:bo", "user:bo@x",
	    "addr:x", now - 60, 4, now, row), 1);
	cr_assert_eq(store_failure_reserve(s, "user:bo", "user:bo@y",
	    "addr:y", now - 60, 4, now, row), 1);
	/* The user's own address never failed: tried, and counted. */
	cr_assert_eq(store_failure_reserve(s, "user:bo", "user:bo@home",
	    "addr:home", now - 60, 4, now, row), 0);
	cr_assert_eq(rows_of("user:bo@home"), 1);
	/* Once it failed too, it is locked out of the name as well. */
	cr_assert_eq(store_failure_reserve(s, "user:bo", "user:bo@home",
	    "addr:home", now - 60, 4, now, row), 1);
	/* The lock is the name's: x may still try another (2 of its 4). */
	cr_assert_eq(store_failure_reserve(s, "user:cy", "user:cy@x",
	    "addr:x", now - 60, 4, now, row), 0);
}

/* cancel() takes back one attempt's rows (its name, its name from that
 * address, its address) and no other's, though another came after it. */
BOTH(cancel_takes_back_one_attempt_alone)
{
	struct store *s = store_get(&cfg);
	int64_t first[2], mine[2], later[2], now = 1000;

	cr_assert_not_null(s, "%s", store_error());
	cr_assert_eq(store_failure_reserve(s, "user:di", "user:di@z", "addr:z",
	    now - 60, 4, now, first), 0, "%s", store_error());
	cr_assert_eq(store_failure_reserve(s, "user:di", "user:di@z", "addr:z",
	    now - 60, 4, now, mine), 0);
	cr_assert_eq(store_failure_reserve(s, "user:ed", "user:ed@w", "addr:w",
	    now - 60, 4, now, later), 0);
	cr_assert_lt(first[1], mine[0]);
	cr_assert_lt(mine[1], later[0]);
	cr_assert_eq(store_failure_cancel(s, mine), 0, "%s", store_error());
	cr_assert_eq(rows_of("user:di"), 1);
	cr_assert_eq(rows_of("user:di@z"), 1);
	cr_assert_eq(rows_of("addr:z"), 1);
	cr_assert_eq(rows_of("user:ed"), 1);
	cr_assert_eq(rows_of("user:ed@w"), 1);
	cr_assert_eq(rows_of("addr:w"), 1);
}

/* It holds password hashes: only its owner may read it, and SQLite's
 * -wal and -shm files follow the database's mode. */
Test(store, files_are_private)
{
	const char *const suffixes[] = { "", "-wal", "-shm" };
	struct store *s = store_get(&cfg);
	char name[160];
	struct stat st;
	mode_t old = umask(022);
	size_t i;

	cr_assert_not_null(s, "%s", store_error());
	cr_assert_eq(store_user_add(s, "amy", "$argon2id$not-a-real-hash"), 0,
	    "%s", store_error());
	umask(old);
	for (i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(name, sizeof(name), "%s%s", path, suffixes[i]);
		cr_assert_eq(stat(name, &st), 0, "%s", name);
		cr_assert_eq(st.st_mode & 0777, 0600, "%s: %o", name,
		    (unsigned)(st.st_mode & 0777));
	}
}

/* A store an older sockbind made 0644 is made private at start-up. */
Test(store, older_open_store_made_private)
{
	char err[256], wal[160];
	struct stat st;

	store_close();
	snprintf(wal, sizeof(wal), "%s-wal", path);
	cr_assert_eq(chmod(path, 0644), 0);
	cr_assert_eq(close(open(wal, O_RDWR | O_CREAT, 0644)), 0);
	cr_assert_eq(chmod(wal, 0644), 0);
	cr_assert_eq(store_init(&cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "%o", (unsigned)st.st_mode);
	if (stat(wal, &st) == 0)	/* SQLite may have removed it */
		cr_assert_eq(st.st_mode & 0777, 0600, "%o",
		    (unsigned)st.st_mode);
}
