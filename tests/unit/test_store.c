/*
 * test_store.c -- the attempt counters of the account store
 * (daemon/store.c) in a real SQLite file: the limit, a key counted alone
 * (registrations), and the rows that fall out of the window being deleted.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sqlite3.h>

#include "daemon/store.h"

static char	dir[64], path[128];

static void
store_setup(void)
{
	char err[256];

	strcpy(dir, "/tmp/sockbind-store.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/store.db", dir);
	cr_assert_eq(store_init(path, err, sizeof(err)), 0, "%s", err);
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

/* Rows of key in the failures table, read with a connection of our own. */
static int
rows_of(const char *key)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;

	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM failures "
	    "WHERE key = ?", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

Test(store, address_key_alone_meets_its_limit)
{
	struct store *s = store_get(path);
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

Test(store, rows_out_of_the_window_are_deleted)
{
	struct store *s = store_get(path);
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

/* A name past its limit is locked only for the addresses that failed for
 * it: strangers guessing cannot lock its user out of another address. */
Test(store, name_lock_only_for_addresses_that_failed)
{
	struct store *s = store_get(path);
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

/* It holds password hashes: only its owner may read it, and SQLite's
 * -wal and -shm files follow the database's mode. */
Test(store, files_are_private)
{
	const char *const suffixes[] = { "", "-wal", "-shm" };
	struct store *s = store_get(path);
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
	cr_assert_eq(store_init(path, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(stat(path, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600, "%o", (unsigned)st.st_mode);
	if (stat(wal, &st) == 0)	/* SQLite may have removed it */
		cr_assert_eq(st.st_mode & 0777, 0600, "%o",
		    (unsigned)st.st_mode);
}
