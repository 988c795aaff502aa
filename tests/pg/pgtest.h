/*
 * pgtest.h -- a throwaway PostgreSQL cluster for the tests of one test
 * binary run: started on first use (initdb in a temporary directory, as an
 * unprivileged user, listening only on a Unix socket there), shared by the
 * tests of the run, stopped and removed when the run ends (a Criterion
 * report hook). Each test process gets a schema of its own, so tests that
 * run at the same time see nothing of each other.
 *
 * pgtest_url() skips the calling test (cr_skip_test) with a clear message
 * when PostgreSQL is not installed, and fails it when the cluster cannot
 * start. The URL names this test's schema (search_path) and
 * application_name, and carries no password: the password is in
 * pgtest_password_file(), mode 0600.
 */
#ifndef SOCKBIN_PGTEST_H
#define SOCKBIN_PGTEST_H

#include <libpq-fe.h>

const char	*pgtest_url(void);
const char	*pgtest_password_file(void);
const char	*pgtest_schema(void);
/* sockbind.ini overrides ("section.key=value", NULL-terminated, as the
 * integration harness takes them) that put a daemon on this test's schema:
 * backend postgresql, the URL and the password file. */
const char *const *pgtest_store(void);
/* The directory of the cluster's socket. */
const char	*pgtest_socket_dir(void);
/* As the cluster's superuser: a connection of the test's own (to hold a
 * lock); run sql on it, or on a connection just for it: the first column
 * of its first row (static storage; "" when none), or the test fails. */
PGconn		*pgtest_connect(void);
const char	*pgtest_exec(PGconn *conn, const char *sql);
const char	*pgtest_query(const char *sql);
/* End every connection of this test's application_name: how many. */
int		 pgtest_terminate(void);

#endif
