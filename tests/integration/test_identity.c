/*
 * test_identity.c -- ident and auth against the real daemon, in each store
 * backend: suite identity on SQLite, identity_pg on PostgreSQL (a
 * throwaway cluster, tests/pg/pgtest.h), the same tests; then what only a
 * database server has: a lost connection, a server down at start-up, two
 * instances sharing one database. Several client machines are played by
 * loopback source addresses (127.0.0.2, 127.0.0.3 ...). Port ranges
 * 22800-22999 and 23470-23489 (SQLite), the same plus 13200 (PostgreSQL:
 * 36000-36299, 36670-36689).
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>

#include <criterion/criterion.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"
#include "tests/pg/pgtest.h"

TestSuite(identity, .fini = h_cleanup, .timeout = 60);
TestSuite(identity_pg, .fini = h_cleanup, .timeout = 60);

#define PG_PORTS	(36000 - 22800)	/* identity_pg's ranges: above */

/* A test of both backends: its body runs in each suite. */
static int	pg;
#define BOTH(name)							\
	static void name(void);						\
	Test(identity, name) { name(); }				\
	Test(identity_pg, name) { pg = 1; name(); }			\
	static void name(void)

/* h_start() on the test's backend; PostgreSQL on ports of its own. */
static void
id_start(struct h_daemon *d, int port_min, int port_max,
    const char *const *over)
{
	const char *all[32];

	h_overrides(all, over, pg ? pgtest_store() : NULL);
	if (pg)
		h_start(d, port_min + PG_PORTS, port_max + PG_PORTS, all);
	else
		h_start(d, port_min, port_max, all);
}

#define PASSWORD	"correct horse battery"

static const char *const session[] = { "server.service=session", NULL };

/* Read until n lines have come; the text into buf. */
static void
read_lines(int fd, int n, char *buf, size_t size)
{
	size_t have = 0;
	ssize_t got;
	int lines = 0;

	while (lines < n && have + 1 < size) {
		got = h_recv_exact(fd, buf + have, 1, H_WAIT_MS);
		cr_assert_eq(got, 1, "%d of %d lines: '%.*s'", lines, n,
		    (int)have, buf);
		have++;
		lines += buf[have - 1] == '\n';
	}
	buf[have] = '\0';
}

/* A value in KiB from /proc/PID/status ("VmRSS", "VmHWM"), or -1. */
static long
proc_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	long kib = -1;
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), fp) != NULL)
		if (strncmp(line, field, strlen(field)) == 0 &&
		    line[strlen(field)] == ':')
			kib = atol(line + strlen(field) + 1);
	fclose(fp);
	return kib;
}

/* Forget the peak of pid's memory (VmHWM) so far. */
static void
reset_peak(pid_t pid)
{
	char path[64];
	FILE *fp;

	snprintf(path, sizeof(path), "/proc/%d/clear_refs", (int)pid);
	cr_assert_not_null(fp = fopen(path, "w"), "%s", path);
	cr_assert_geq(fputs("5", fp), 0);
	cr_assert_eq(fclose(fp), 0);
}

/* The worker serving the connection fd (its connect record's pid). */
static pid_t
worker_of(const struct h_daemon *d, int fd)
{
	char needle[64];

	snprintf(needle, sizeof(needle), "connect client=127.0.0.1:%d ",
	    h_local_port(fd));
	cr_assert_eq(h_log_wait(d->log, needle, 1, H_WAIT_MS), 0);
	return h_log_pid_of(d->log, needle);
}

BOTH(register_login_resume_logout)
{
	struct h_daemon d;
	char tok[80], req[128];
	int a, b, c;

	id_start(&d, 22800, 22809, session);
	a = h_session_connect(NULL, d.port, 3 * H_WAIT_MS);
	h_session_expect(a, "REGISTER alice " PASSWORD, "OK registered alice",
	    3 * H_WAIT_MS);
	h_session_expect(a, "REGISTER alice another password",
	    "ERR 409 that user "
	    "name is taken", 3 * H_WAIT_MS);
	h_session_expect(a, "REGISTER bad/name " PASSWORD,
	    "ERR 402 a user name is "
	    "1-32 letters, digits, '.', '_' or '-'", 3 * H_WAIT_MS);
	h_session_expect(a, "REGISTER bob short",
	    "ERR 402 a password is 8-1024 "
	    "bytes", 3 * H_WAIT_MS);
	h_session_expect(a, "WHOAMI", "ERR 432 not logged in", 3 * H_WAIT_MS);
	h_session_login(a, "alice", PASSWORD, tok);
	h_session_expect(a, "WHOAMI", "OK alice", 3 * H_WAIT_MS);
	close(a);

	/* A later connection presents the token, like a cookie. */
	b = h_session_connect(NULL, d.port, 3 * H_WAIT_MS);
	snprintf(req, sizeof(req), "RESUME %s", tok);
	h_session_expect(b, req, "OK welcome alice", 3 * H_WAIT_MS);
	h_session_expect(b, "WHOAMI", "OK alice", 3 * H_WAIT_MS);
	h_session_expect(b, "LOGOUT", "OK logged out", 3 * H_WAIT_MS);
	h_session_expect(b, "WHOAMI", "ERR 432 not logged in", 3 * H_WAIT_MS);
	close(b);

	c = h_session_connect(NULL, d.port, 3 * H_WAIT_MS);
	h_session_expect(c, req, "ERR 431 unknown, expired or revoked token",
	    3 * H_WAIT_MS);
	h_session_expect(c, "RESUME 1234",
	    "ERR 431 unknown, expired or revoked "
	    "token", 3 * H_WAIT_MS);
	close(c);
}

/* A refused RESUME leaves the login as it was: LOGOUT then revokes the
 * token of that login, not the refused one. */
BOTH(refused_resume_keeps_the_login)
{
	struct h_daemon d;
	char tok[80], req[128];
	int a, b;

	id_start(&d, 22890, 22899, session);
	a = h_session_connect(NULL, d.port, 3 * H_WAIT_MS);
	h_session_expect(a, "REGISTER erin " PASSWORD, "OK registered erin",
	    3 * H_WAIT_MS);
	h_session_login(a, "erin", PASSWORD, tok);
	h_session_expect(a, "RESUME "
	    "00000000000000000000000000000000"
	    "00000000000000000000000000000000",
	    "ERR 431 unknown, expired or revoked token", 3 * H_WAIT_MS);
	h_session_expect(a, "WHOAMI", "OK erin", 3 * H_WAIT_MS);
	h_session_expect(a, "LOGOUT", "OK logged out", 3 * H_WAIT_MS);
	close(a);

	b = h_session_connect(NULL, d.port, 3 * H_WAIT_MS);
	snprintf(req, sizeof(req), "RESUME %s", tok);
	h_session_expect(b, req, "ERR 431 unknown, expired or revoked token",
	    3 * H_WAIT_MS);
	close(b);
}

/*
 * An unknown user name costs the same argon2id verification as a wrong
 * password. Told by the work itself, not by a wall clock: each takes the
 * configured [auth] pwhash_mem_kib (64 MiB) at its peak, which a check
 * skipped or made with other parameters would not.
 */
BOTH(unknown_user_costs_a_wrong_password)
{
	struct h_daemon d;
	long base, wrong, unknown;
	pid_t pid;
	int fd;

	id_start(&d, 22810, 22819, session);
	fd = h_session_connect(NULL, d.port, 3 * H_WAIT_MS);
	pid = worker_of(&d, fd);
	h_session_expect(fd, "REGISTER carol " PASSWORD, "OK registered carol",
	    3 * H_WAIT_MS);
	/* Warm up: the first failure also builds the decoy hash. */
	h_session_expect(fd, "LOGIN nobody whatever-it-is",
	    "ERR 430 wrong user name or password", 3 * H_WAIT_MS);
	reset_peak(pid);
	h_session_expect(fd, "ECHO nothing hashed", "OK nothing hashed",
	    3 * H_WAIT_MS);
	base = proc_kib(pid, "VmHWM");
	reset_peak(pid);
	h_session_expect(fd, "LOGIN carol not-the-password",
	    "ERR 430 wrong user name or password", 3 * H_WAIT_MS);
	wrong = proc_kib(pid, "VmHWM");
	reset_peak(pid);
	h_session_expect(fd, "LOGIN nosuchuser not-the-password",
	    "ERR 430 wrong user name or password", 3 * H_WAIT_MS);
	unknown = proc_kib(pid, "VmHWM");
	cr_assert(base > 0 && base < 32768, "peak without a hash: %ld KiB",
	    base);
	cr_assert_geq(wrong - base, 65536 * 9 / 10, "wrong password: peak "
	    "%ld KiB over %ld", wrong, base);
	cr_assert_geq(unknown - base, 65536 * 9 / 10, "unknown user: peak "
	    "%ld KiB over %ld", unknown, base);
	cr_assert_eq(h_log_wait(d.log, "result=unknown_user", 2, H_WAIT_MS),
	    0);
	cr_assert_eq(h_log_count(d.log, "result=wrong_password"), 1);
	cr_assert_eq(h_log_count(d.log, "result=unknown_user"), 2);
	close(fd);
}

BOTH(token_expires)
{
	const char *const over[] = { "server.service=session",
	    "auth.token_ttl=1", NULL };
	struct h_daemon d;
	char tok[80], req[128], reply[256];
	long t0;
	int fd;

	id_start(&d, 22820, 22829, over);
	fd = h_session_connect(NULL, d.port, 3 * H_WAIT_MS);
	h_session_expect(fd, "REGISTER dave " PASSWORD, "OK registered dave",
	    3 * H_WAIT_MS);
	t0 = h_now_ms();
	h_session_login(fd, "dave", PASSWORD, tok);
	snprintf(req, sizeof(req), "RESUME %s", tok);
	/* Accepted until it expires (a second or two), then refused. */
	do {
		h_session_ask(fd, req, reply, sizeof(reply), 3 * H_WAIT_MS);
	} while (strcmp(reply, "OK welcome dave") == 0 &&
	    h_now_ms() - t0 < H_WAIT_MS);
	cr_assert_str_eq(reply, "ERR 431 unknown, expired or revoked token");
	cr_assert_geq(h_now_ms() - t0, 900, "expired too early");
	close(fd);
}

BOTH(lockout_and_release)
{
	/* The window outlasts three argon2id checks even under ASan. */
	const char *const over[] = { "server.service=session",
	    "auth.max_failures=3",
	    "auth.failure_window=4", "auth.failure_delay_ms=0", NULL };
	struct h_daemon d;
	char reply[256], tok[80];
	long t0;
	int fd, i, other;

	id_start(&d, 22830, 22839, over);
	fd = h_session_connect("127.0.0.2", d.port, 3 * H_WAIT_MS);
	h_session_expect(fd, "REGISTER erin " PASSWORD, "OK registered erin",
	    3 * H_WAIT_MS);
	for (i = 0; i < 3; i++)
		h_session_expect(fd, "LOGIN erin guess-number-x",
		    "ERR 430 wrong user name or password", 3 * H_WAIT_MS);
	t0 = h_now_ms();
	/* Even the right password is refused while locked out. */
	h_session_expect(fd, "LOGIN erin " PASSWORD,
	    "ERR 429 too many failed logins: "
	    "try again in 4 s", 3 * H_WAIT_MS);
	/* The address is locked too, for any user name. */
	h_session_expect(fd, "LOGIN someone " PASSWORD,
	    "ERR 429 too many failed "
	    "logins: try again in 4 s", 3 * H_WAIT_MS);
	/* Another machine, another user: not affected. */
	other = h_session_connect("127.0.0.3", d.port, 3 * H_WAIT_MS);
	h_session_expect(other, "REGISTER frank " PASSWORD,
	    "OK registered frank", 3 * H_WAIT_MS);
	h_session_login(other, "frank", PASSWORD, tok);
	close(other);
	/* Released once the window has slid past the failures. */
	do {
		h_session_ask(fd, "LOGIN erin " PASSWORD, reply, sizeof(reply),
		    3 * H_WAIT_MS);
	} while (strncmp(reply, "ERR 429", 7) == 0 &&
	    h_now_ms() - t0 < 3 * H_WAIT_MS);
	cr_assert(strncmp(reply, "OK token ", 9) == 0, "%s", reply);
	/* Failures are counted in whole seconds: released 3-5 s after. */
	cr_assert_lt(h_now_ms() - t0, 5500);
	cr_assert_eq(h_log_wait(d.log, "result=locked", 2, H_WAIT_MS), 0);
	close(fd);
}

/* Strangers guessing a user name lock it only for their own addresses: a
 * machine that never failed for it is still tried, and its user logs in;
 * one that fails for it once is locked out of it too. */
BOTH(name_lock_spares_addresses_that_never_failed)
{
	const char *const over[] = { "server.service=session",
	    "auth.max_failures=3", "auth.failure_window=600",
	    "auth.failure_delay_ms=0", NULL };
	struct h_daemon d;
	char tok[80];
	int fd, i;

	id_start(&d, 23470, 23479, over);
	fd = h_session_connect("127.0.0.5", d.port, 3 * H_WAIT_MS);
	h_session_expect(fd, "REGISTER gina " PASSWORD, "OK registered gina",
	    3 * H_WAIT_MS);
	for (i = 0; i < 3; i++)
		h_session_expect(fd, "LOGIN gina a-strangers-guess",
		    "ERR 430 wrong user name or password", 3 * H_WAIT_MS);
	h_session_expect(fd, "LOGIN gina " PASSWORD,
	    "ERR 429 too many failed logins: try again in 600 s",
	    3 * H_WAIT_MS);
	close(fd);
	fd = h_session_connect("127.0.0.6", d.port, 3 * H_WAIT_MS);
	h_session_expect(fd, "LOGIN gina another-guess",
	    "ERR 430 wrong user name or password", 3 * H_WAIT_MS);
	h_session_expect(fd, "LOGIN gina " PASSWORD,
	    "ERR 429 too many failed logins: try again in 600 s",
	    3 * H_WAIT_MS);
	close(fd);
	fd = h_session_connect("127.0.0.7", d.port, 3 * H_WAIT_MS);
	h_session_login(fd, "gina", PASSWORD, tok);
	close(fd);
	cr_assert_eq(h_log_wait(d.log, "user=gina client=127.0.0.7:", 1,
	    H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, "user=gina client=127.0.0.7:"), 1);
	cr_assert_eq(h_log_count(d.log, "action=login user=gina client="
	    "127.0.0.6:"), 2);
	cr_assert_eq(h_log_count(d.log, "result=locked"), 2);
}

/*
 * At most [auth] max_hashing password hashes run at once, server-wide: with
 * one held (its worker stopped in the middle of it), another login waits a
 * short bounded time and gets ERR 429, counted as no failure; once the
 * holder is killed, its slot is free again.
 */
BOTH(password_hashes_bounded_server_wide)
{
	const char *const over[] = { "server.service=session",
	    "auth.max_hashing=1", "auth.pwhash_ops=6",
	    "auth.failure_delay_ms=0", NULL };
	struct h_daemon d;
	char reply[256];
	long t0, waited;
	pid_t pid;
	int a, b, i;

	id_start(&d, 23480, 23489, over);
	a = h_session_connect(NULL, d.port, 3 * H_WAIT_MS);
	b = h_session_connect(NULL, d.port, 3 * H_WAIT_MS);
	pid = worker_of(&d, a);
	h_frame_send_text(a, "LOGIN nobody some-password-here");
	/* Stopped once it is inside the hash: 64 MiB taken (bounded wait). */
	for (i = 0; i < 5000 && proc_kib(pid, "VmRSS") < 32768; i++)
		h_pause_ms(1);
	cr_assert_geq(proc_kib(pid, "VmRSS"), 32768, "no hash seen");
	cr_assert_eq(kill(pid, SIGSTOP), 0);
	cr_assert_eq(h_wait_state(pid, 'T', H_WAIT_MS), 0);
	t0 = h_now_ms();
	h_session_ask(b, "LOGIN nobody some-other-password", reply,
	    sizeof(reply), 3 * H_WAIT_MS);
	waited = h_now_ms() - t0;
	cr_assert_str_eq(reply, "ERR 429 too many password checks running: "
	    "try again in a moment");
	cr_assert(waited >= 950 && waited < 4000, "refused after %ld ms",
	    waited);
	cr_assert_eq(h_log_wait(d.log, "result=busy", 1, H_WAIT_MS), 0);
	/* The holder dies holding its slot: the next login gets it. */
	cr_assert_eq(kill(pid, SIGKILL), 0);
	h_session_expect(b, "LOGIN nobody some-other-password",
	    "ERR 430 wrong user name or password", 3 * H_WAIT_MS);
	cr_assert_eq(h_log_count(d.log, "result=busy"), 1);
	close(a);
	close(b);
}

/* Guesses sent in parallel, all before any reply: each is counted before
 * its password is checked, so no more than max_failures are ever tried. */
BOTH(parallel_guesses_meet_the_lockout)
{
	const char *const over[] = { "server.service=session",
	    "pool.start=8", "auth.max_failures=3", "auth.failure_window=600",
	    "auth.failure_delay_ms=0", "auth.max_hashing=3", NULL };
	struct h_daemon d;
	char reply[256];
	int fd[8], i, wrong = 0, locked = 0;

	id_start(&d, 22910, 22919, over);
	fd[0] = h_session_connect("127.0.0.8", d.port, 3 * H_WAIT_MS);
	h_session_expect(fd[0], "REGISTER ivy " PASSWORD, "OK registered ivy",
	    3 * H_WAIT_MS);
	for (i = 1; i < 8; i++)
		fd[i] = h_session_connect("127.0.0.8", d.port, 3 * H_WAIT_MS);
	for (i = 0; i < 8; i++)
		h_frame_send_text(fd[i], "LOGIN ivy a-wrong-guess");
	for (i = 0; i < 8; i++) {
		cr_assert_geq(h_frame_recv(fd[i], reply, sizeof(reply),
		    6 * H_WAIT_MS), 0);
		wrong += strcmp(reply, "ERR 430 wrong user name or password") ==
		    0;
		locked += strncmp(reply, "ERR 429 too many failed logins", 30) ==
		    0;
	}
	cr_assert(wrong == 3 && locked == 5, "%d wrong, %d locked", wrong,
	    locked);
	/* Every attempt's record is out once the workers wait again. */
	cr_assert_eq(h_log_wait(d.log, "result=locked", 5, H_WAIT_MS), 0);
	cr_assert_eq(h_log_wait(d.log, "result=wrong_password", 3, H_WAIT_MS),
	    0);
	cr_assert_eq(h_log_count(d.log, "result=wrong_password"), 3);
	/* The right password, too late: still locked for this window. */
	h_session_ask(fd[0], "LOGIN ivy " PASSWORD, reply, sizeof(reply),
	    3 * H_WAIT_MS);
	cr_assert_eq(strncmp(reply, "ERR 429", 7), 0, "%s", reply);
	for (i = 0; i < 8; i++)
		close(fd[i]);
}

/* Two clients register one name at once: exactly one wins. */
BOTH(concurrent_register_one_wins)
{
	const char *const over[] = { "server.service=session",
	    "pool.start=4", NULL };
	struct h_daemon d;
	char reply[2][256];
	int fd[2], i, ok = 0, taken = 0;

	id_start(&d, 22840, 22849, over);
	for (i = 0; i < 2; i++)
		fd[i] = h_session_connect(NULL, d.port, 3 * H_WAIT_MS);
	/* Both requests are out before either reply can come back. */
	for (i = 0; i < 2; i++)
		h_frame_send_text(fd[i], "REGISTER grace " PASSWORD);
	for (i = 0; i < 2; i++) {
		cr_assert_geq(h_frame_recv(fd[i], reply[i], sizeof(reply[i]),
		    3 * H_WAIT_MS), 0);
		ok += strcmp(reply[i], "OK registered grace") == 0;
		taken += strcmp(reply[i], "ERR 409 that user name is taken") ==
		    0;
		close(fd[i]);
	}
	cr_assert(ok == 1 && taken == 1, "'%s' and '%s'", reply[0], reply[1]);
	cr_assert_eq(h_log_count(d.log, "database is locked"), 0);
}

/* Every REGISTER from an address counts, a taken name too; logins and
 * other addresses are not touched. */
BOTH(registrations_limited_per_address)
{
	const char *const over[] = { "server.service=session",
	    "auth.max_registrations=3", "auth.registration_window=600",
	    NULL };
	struct h_daemon d;
	char tok[80];
	int fd, other;

	id_start(&d, 22920, 22929, over);
	fd = h_session_connect("127.0.0.4", d.port, 3 * H_WAIT_MS);
	h_session_expect(fd, "REGISTER kim " PASSWORD, "OK registered kim",
	    3 * H_WAIT_MS);
	h_session_expect(fd, "REGISTER lee " PASSWORD, "OK registered lee",
	    3 * H_WAIT_MS);
	h_session_expect(fd, "REGISTER kim " PASSWORD,
	    "ERR 409 that user name is taken", 3 * H_WAIT_MS);
	h_session_expect(fd, "REGISTER max " PASSWORD,
	    "ERR 429 too many registrations from your address: at most 3 "
	    "in 600 s", 3 * H_WAIT_MS);
	/* Malformed requests are refused before they count. */
	h_session_expect(fd, "REGISTER bad/name " PASSWORD,
	    "ERR 402 a user name is 1-32 letters, digits, '.', '_' or '-'",
	    3 * H_WAIT_MS);
	h_session_login(fd, "kim", PASSWORD, tok);
	other = h_session_connect("127.0.0.5", d.port, 3 * H_WAIT_MS);
	h_session_expect(other, "REGISTER max " PASSWORD,
	    "OK registered max", 3 * H_WAIT_MS);
	close(other);
	close(fd);
	cr_assert_eq(h_log_wait(d.log, "action=register user=max "
	    "client=127.0.0.4:", 1, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, "result=limit"), 1);
	cr_assert_eq(h_log_count(d.log, "result=taken"), 1);
}

static int
contains(const char *path, const char *needle)
{
	size_t len;
	char *data = h_slurp(path, &len);
	int found;

	if (data == NULL)
		return 0;
	found = memmem(data, len, needle, strlen(needle)) != NULL;
	free(data);
	return found;
}

/* In PostgreSQL: one user, an argon2id string; the token's hash only,
 * and nothing anywhere in the schema that holds the password. */
static void
pg_no_secret(const char *tok)
{
	char sql[512];

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.users WHERE "
	    "hash LIKE '$argon2id$%%'", pgtest_schema());
	cr_assert_str_eq(pgtest_query(sql), "1");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.users",
	    pgtest_schema());
	cr_assert_str_eq(pgtest_query(sql), "1");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.tokens t WHERE "
	    "encode(t.hash, 'hex') = '%s' OR t::text LIKE '%%%s%%' OR "
	    "t::text LIKE '%%" PASSWORD "%%'", pgtest_schema(), tok, tok);
	cr_assert_str_eq(pgtest_query(sql), "0");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.tokens",
	    pgtest_schema());
	cr_assert_str_eq(pgtest_query(sql), "1");
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.users u WHERE "
	    "u::text LIKE '%%" PASSWORD "%%'", pgtest_schema());
	cr_assert_str_eq(pgtest_query(sql), "0");
}

BOTH(no_secret_in_log_or_store)
{
	struct h_daemon d;
	char tok[80], req[128], path[PATH_MAX + 16], reply[256];
	sqlite3 *db;
	sqlite3_stmt *st;
	int fd, users = 0;

	id_start(&d, 22850, 22859, session);
	fd = h_session_connect(NULL, d.port, 3 * H_WAIT_MS);
	h_session_expect(fd, "REGISTER heidi " PASSWORD, "OK registered heidi",
	    3 * H_WAIT_MS);
	h_session_login(fd, "heidi", PASSWORD, tok);
	snprintf(req, sizeof(req), "RESUME %s", tok);
	h_session_expect(fd, req, "OK welcome heidi", 3 * H_WAIT_MS);
	h_session_expect(fd, "LOGIN heidi wrong-password-here",
	    "ERR 430 wrong user name or password", 3 * H_WAIT_MS);
	/* Malformed requests: the secret is still not logged nor quoted. */
	h_session_expect(fd, "LOGIN\theidi\twrong-password-here",
	    "ERR 401 unknown verb LOGIN?", 3 * H_WAIT_MS);
	/* A typo of the verb: only the verb reaches the log and the reply. */
	h_session_expect(fd, "LGOIN heidi typo-password-one",
	    "ERR 401 unknown verb LGOIN", 3 * H_WAIT_MS);
	h_session_expect(fd, "LGOIN\theidi\ttypo-password-two",
	    "ERR 401 unknown verb LGOIN?", 3 * H_WAIT_MS);
	h_session_expect(fd, "REGSITER heidi typo-password-\xff",
	    "ERR 403 invalid UTF-8 at byte 29", 3 * H_WAIT_MS);
	h_session_expect(fd, "LOGINX heidi wrong-password-here",
	    "ERR 401 unknown verb LOGIN[secret]", 3 * H_WAIT_MS);
	h_session_expect(fd, "LOGIN wrong-password-here",
	    "ERR 402 LOGIN needs: user password", 3 * H_WAIT_MS);
	snprintf(req, sizeof(req), "RESUME\t%s", tok);
	h_session_ask(fd, req, reply, sizeof(reply), 3 * H_WAIT_MS);
	cr_assert(!strstr(reply, tok), "%s", reply);
	h_session_expect(fd, "QUIT", "OK", 3 * H_WAIT_MS);
	close(fd);
	cr_assert_eq(h_log_wait(d.log, " disconnect ", 1, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, "LOGIN heidi [secret]"), 2);
	cr_assert_eq(h_log_count(d.log, "OK token [secret] expires"), 1);
	cr_assert(!contains(d.log, PASSWORD), "password in the log");
	cr_assert(!contains(d.log, "wrong-password-here"), "password logged");
	cr_assert(!contains(d.log, "typo-password"), "typo's password logged");
	cr_assert_eq(h_log_count(d.log, "LGOIN [secret]"), 1);
	cr_assert_eq(h_log_count(d.log, "LGOIN? [secret]"), 1);
	cr_assert_eq(h_log_count(d.log, "REGSITER [secret]"), 1);
	cr_assert(!contains(d.log, tok), "token in the log");

	/* The store: argon2id strings only, and no token in any form. */
	if (pg) {
		pg_no_secret(tok);
		return;
	}
	snprintf(path, sizeof(path), "%s/sockbind.db", d.dir);
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
	    SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT hash FROM users", -1, &st,
	    NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		cr_assert(strncmp((const char *)sqlite3_column_text(st, 0),
		    "$argon2id$", 10) == 0);
		users++;
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	cr_assert_eq(users, 1);
	cr_assert(!contains(path, PASSWORD));
	cr_assert(!contains(path, tok));
	snprintf(path, sizeof(path), "%s/sockbind.db-wal", d.dir);
	cr_assert(!contains(path, PASSWORD));
	cr_assert(!contains(path, tok));
}

/* The raw ident dialogue: one line from the server, maybe one answer. */
static void
ident_dialogue(int port, const char *src, const char *answer,
    const char *expect)
{
	char buf[256];
	ssize_t n;
	int fd = h_connect_from(src, port);

	cr_assert_geq(fd, 0);
	if (answer != NULL) {
		snprintf(buf, sizeof(buf), "Hello, %s! What is your name?\n",
		    src);
		n = h_recv_exact(fd, buf + 128, strlen(buf), H_WAIT_MS);
		cr_assert(n == (ssize_t)strlen(buf) &&
		    memcmp(buf, buf + 128, n) == 0, "no question for %s", src);
		cr_assert_eq(h_send(fd, answer, strlen(answer)), 0);
	}
	n = h_recv_exact(fd, buf, strlen(expect), H_WAIT_MS);
	buf[n > 0 ? n : 0] = '\0';
	cr_assert_str_eq(buf, expect, "from %s", src);
	close(fd);
}

BOTH(ident_three_machines_across_restart)
{
	const char *const over[] = { "server.service=ident", NULL };
	struct h_daemon d;
	int status, fd;
	char buf[256];

	id_start(&d, 22860, 22869, over);
	ident_dialogue(d.port, "127.0.0.2", "Ivan\n", "Nice to meet you, "
	    "Ivan!\n");
	ident_dialogue(d.port, "127.0.0.3", "  Мария Петрова \r\n",
	    "Nice to meet you, Мария Петрова!\n");
	/* A bad answer is asked again. */
	fd = h_connect_from("127.0.0.4", d.port);
	read_lines(fd, 1, buf, sizeof(buf));
	cr_assert_eq(h_send(fd, "\n", 1), 0);
	read_lines(fd, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, "Sorry, the name is empty. What is your name?\n");
	cr_assert_eq(h_send(fd, "Олег\n", strlen("Олег\n")), 0);
	read_lines(fd, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, "Nice to meet you, Олег!\n");
	close(fd);

	/* Stop, start again on the same store: the names are kept. */
	h_signal(&d, SIGTERM);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	d.status = -1;
	h_spawn(&d, NULL, NULL);
	cr_assert_eq(h_log_wait(d.log, " start version=", 2, H_WAIT_MS), 0);
	cr_assert_eq(h_wait_workers(d.pid, 3, H_WAIT_MS), 0);
	ident_dialogue(d.port, "127.0.0.2", NULL, "Hello again, Ivan!\n");
	ident_dialogue(d.port, "127.0.0.3", NULL,
	    "Hello again, Мария Петрова!\n");
	ident_dialogue(d.port, "127.0.0.4", NULL, "Hello again, Олег!\n");
}

/* A name is refused whole, never cut short at a NUL byte nor stored with
 * characters that make it show other than it is. */
BOTH(ident_refuses_nul_and_invisible_names)
{
	const char *const over[] = { "server.service=ident", NULL };
	static const char nul[] = "Iv\0an\n";
	const char *rlo = "Iv\xe2\x80\xae" "an\n";
	struct h_daemon d;
	char buf[256];
	int fd;

	id_start(&d, 22900, 22909, over);
	fd = h_connect_from("127.0.0.7", d.port);
	read_lines(fd, 1, buf, sizeof(buf));
	cr_assert_eq(h_send(fd, nul, sizeof(nul) - 1), 0);
	read_lines(fd, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, "Sorry, the name holds a NUL byte. What is your "
	    "name?\n");
	cr_assert_eq(h_send(fd, rlo, strlen(rlo)), 0);
	read_lines(fd, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, "Sorry, the name holds an invisible character. "
	    "What is your name?\n");
	cr_assert_eq(h_send(fd, "Ivan\n", 5), 0);
	read_lines(fd, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, "Nice to meet you, Ivan!\n");
	close(fd);
	ident_dialogue(d.port, "127.0.0.7", NULL, "Hello again, Ivan!\n");
}

/* 64 characters is the limit whatever their size in bytes; a line longer
 * than the service reads is refused whole, not stored cut; a client that
 * says nothing is told why it is cut off. */
BOTH(ident_name_limits_and_timeout)
{
	const char *const over[] = { "server.service=ident",
	    "limits.idle_timeout=1", NULL };
	struct h_daemon d;
	char buf[512], name[300], line[1100];
	int fd, i;

	id_start(&d, 22930, 22939, over);
	fd = h_connect_from("127.0.0.8", d.port);
	read_lines(fd, 1, buf, sizeof(buf));
	memset(line, ' ', sizeof(line));
	memcpy(line, "Ivan", 4);
	memcpy(line + sizeof(line) - 11, "XXXXXXXXXX\n", 11);
	cr_assert_eq(h_send(fd, line, sizeof(line)), 0);
	read_lines(fd, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, "Sorry, the name is longer than 64 characters. "
	    "What is your name?\n");
	for (i = 0; i < 64; i++)
		memcpy(name + 4 * i, "\xf0\x9f\x98\x80", 4);	/* U+1F600 */
	memcpy(name + 256, "\n", 2);
	cr_assert_eq(h_send(fd, name, 257), 0);
	read_lines(fd, 1, buf, sizeof(buf));
	name[256] = '\0';
	cr_assert(strncmp(buf, "Nice to meet you, ", 18) == 0 &&
	    strncmp(buf + 18, name, 256) == 0, "%s", buf);
	close(fd);
	fd = h_connect_from("127.0.0.9", d.port);
	read_lines(fd, 1, buf, sizeof(buf));
	read_lines(fd, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, "ERR timeout: idle timeout\n");
	close(fd);
}

BOTH(identify_verb_in_session)
{
	struct h_daemon d;
	int fd;

	id_start(&d, 22870, 22879, session);
	fd = h_session_connect("127.0.0.5", d.port, 3 * H_WAIT_MS);
	h_session_expect(fd, "IDENTIFY",
	    "ERR 404 unknown address 127.0.0.5: tell me "
	    "your name with IDENTIFY name", 3 * H_WAIT_MS);
	h_session_expect(fd, "IDENTIFY  Judy ", "OK Judy", 3 * H_WAIT_MS);
	h_session_expect(fd, "IDENTIFY", "OK Judy", 3 * H_WAIT_MS);
	close(fd);
	fd = h_session_connect("127.0.0.6", d.port, 3 * H_WAIT_MS);
	h_session_expect(fd, "IDENTIFY",
	    "ERR 404 unknown address 127.0.0.6: tell me "
	    "your name with IDENTIFY name", 3 * H_WAIT_MS);
	close(fd);
}

BOTH(auth_service_speaks_lines)
{
	const char *const over[] = { "server.service=auth", NULL };
	const char *reg = "REGISTER ivan " PASSWORD "\r\n";
	const char *log_in = "LOGIN ivan " PASSWORD "\n";
	struct h_daemon d;
	char buf[512], tok[80], big[6000];
	int fd;

	id_start(&d, 22880, 22889, over);
	fd = h_connect(d.port);
	read_lines(fd, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, "OK sockbind 0.1.0 auth\n");
	cr_assert_eq(h_send(fd, reg, strlen(reg)), 0);
	read_lines(fd, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, "OK registered ivan\n");
	cr_assert_eq(h_send(fd, log_in, strlen(log_in)), 0);
	read_lines(fd, 1, buf, sizeof(buf));
	cr_assert_eq(sscanf(buf, "OK token %64s expires", tok), 1, "%s", buf);
	/* A line too long to read whole is not run with its start. */
	memcpy(big, "LOGIN ivan ", 11);
	memset(big + 11, 'x', sizeof(big) - 12);
	big[sizeof(big) - 1] = '\n';
	cr_assert_eq(h_send(fd, big, sizeof(big)), 0);
	read_lines(fd, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, "ERR 413 line longer than 4095 bytes\n");
	/* The limit is on the line, not on its CR: 4095 bytes and CR LF are
	 * run (a password that long is refused), 4096 and LF are not. */
	memcpy(big, "REGISTER bob ", 13);
	memset(big + 13, 'p', 4095 - 13);
	memcpy(big + 4095, "\r\n", 2);
	cr_assert_eq(h_send(fd, big, 4097), 0);
	read_lines(fd, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, "ERR 402 a password is 8-1024 bytes\n");
	big[4095] = 'p';
	big[4096] = '\n';
	cr_assert_eq(h_send(fd, big, 4097), 0);
	read_lines(fd, 1, buf, sizeof(buf));
	cr_assert_str_eq(buf, "ERR 413 line longer than 4095 bytes\n");
	/* Only the account verbs: ECHO belongs to the session service. */
	cr_assert_eq(h_send(fd, "WHOAMI\nECHO hi\nQUIT\n", 20), 0);
	read_lines(fd, 3, buf, sizeof(buf));
	cr_assert_str_eq(buf, "OK ivan\nERR 401 unknown verb ECHO\nOK\n");
	close(fd);
	cr_assert_eq(h_log_wait(d.log, " disconnect ", 1, H_WAIT_MS), 0);
	cr_assert(!contains(d.log, PASSWORD));
	cr_assert(!contains(d.log, tok));
}

/* --- what only a database server has --------------------------------- */

/* The daemon's connections to the database, once they are n (bounded). */
static int
pg_connections(int n)
{
	char sql[200];
	long t0 = h_now_ms();
	int have;

	snprintf(sql, sizeof(sql), "SELECT count(*) FROM pg_stat_activity "
	    "WHERE application_name = '%s'", pgtest_schema());
	while ((have = atoi(pgtest_query(sql))) != n &&
	    h_now_ms() - t0 < H_WAIT_MS)
		h_pause_ms(20);
	return have;
}

/* The master holds no connection, a worker opens one when it needs it.
 * The server ends the worker's connection (a restart, an administrator):
 * that request gets ERR 500, the next one a new connection; the client's
 * connection and the worker live on. */
Test(identity_pg, lost_connection_gives_500_then_recovers)
{
	const char *all[32];
	struct h_daemon d;
	int fd, lines;

	pg = 1;
	h_overrides(all, session, pgtest_store());
	h_start(&d, 36200, 36209, all);
	/* Start-up's connection is let go; workers connect when needed. */
	cr_assert_eq(pg_connections(0), 0);
	fd = h_session_connect("127.0.0.2", d.port, 3 * H_WAIT_MS);
	h_session_expect(fd, "IDENTIFY Judy", "OK Judy", 3 * H_WAIT_MS);
	cr_assert_eq(pg_connections(1), 1);
	cr_assert_eq(pgtest_terminate(), 1);
	h_session_expect(fd, "IDENTIFY", "ERR 500 the store failed",
	    3 * H_WAIT_MS);
	h_session_expect(fd, "IDENTIFY", "OK Judy", 3 * H_WAIT_MS);
	h_session_expect(fd, "REGISTER kate " PASSWORD, "OK registered kate",
	    3 * H_WAIT_MS);
	/* And once more, in the middle of an account's requests. */
	cr_assert_eq(pgtest_terminate(), 1);
	h_session_expect(fd, "LOGIN kate " PASSWORD, "ERR 500 the store failed",
	    3 * H_WAIT_MS);
	h_session_expect(fd, "ECHO still here", "OK still here", H_WAIT_MS);
	h_session_expect(fd, "QUIT", "OK", H_WAIT_MS);
	close(fd);
	fd = h_session_connect("127.0.0.2", d.port, 3 * H_WAIT_MS);
	h_session_expect(fd, "IDENTIFY", "OK Judy", 3 * H_WAIT_MS);
	close(fd);
	cr_assert_eq(h_log_wait(d.log, "result=store_error", 1, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, "error msg=\"identify: "), 1);
	cr_assert_eq(h_log_count(d.log, "worker_exit"), 0, "a worker died");
	cr_assert_eq(h_log_bad_lines(d.log, &lines), 0);
}

/* A database that is down at start-up: one line that names the store,
 * its password hidden, and exit status 1, within connect_timeout. */
Test(identity_pg, database_down_refuses_to_start)
{
	char url[PATH_MAX + 200];
	const char *const over[] = { "server.service=ident",
	    "store.backend=postgresql", url, NULL };
	struct h_daemon d = { 0 };
	int status;
	long t0;

	h_config(&d, 36210, 36219, NULL);
	snprintf(url, sizeof(url), "store.url=postgresql://sockbind:"
	    "hunter2hunter2@/sockbind?host=%s/none&connect_timeout=2",
	    d.dir);
	h_config(&d, 36210, 36219, over);
	t0 = h_now_ms();
	h_spawn(&d, NULL, NULL);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1, "status %d",
	    status);
	cr_assert_lt(h_now_ms() - t0, 4000);
	h_read_output(&d, 1000);
	cr_assert(strncmp(d.err, "sockbind: store postgresql://sockbind:"
	    "[secret]@/sockbind?host=", 62) == 0, "%s", d.err);
	cr_assert(strstr(d.err, "No such file or directory") != NULL, "%s",
	    d.err);
	cr_assert(strchr(d.err, '\n') == d.err + strlen(d.err) - 1,
	    "one line: %s", d.err);
	cr_assert(strstr(d.err, "hunter2") == NULL);
	cr_assert(!contains(d.log, "hunter2"), "password in the log");
	cr_assert_eq(access(d.port_file, F_OK), -1, "port file left");
}

/* Two instances on one database, as two hosts behind a load balancer: a
 * name stored through one greets its address through the other; a token
 * from a LOGIN on one is a RESUME on the other. */
Test(identity_pg, two_instances_share_one_database)
{
	const char *const ident[] = { "server.service=ident", NULL };
	const char *all[32];
	struct h_daemon a, b, c;
	char tok[80], req[128];
	int fd;

	pg = 1;
	h_overrides(all, session, pgtest_store());
	h_start(&a, 36220, 36229, all);
	h_start(&b, 36230, 36239, all);
	h_overrides(all, ident, pgtest_store());
	h_start(&c, 36240, 36249, all);

	fd = h_session_connect("127.0.0.2", a.port, 3 * H_WAIT_MS);
	h_session_expect(fd, "IDENTIFY Ivan", "OK Ivan", 3 * H_WAIT_MS);
	h_session_expect(fd, "REGISTER lena " PASSWORD, "OK registered lena",
	    3 * H_WAIT_MS);
	h_session_login(fd, "lena", PASSWORD, tok);
	close(fd);
	ident_dialogue(c.port, "127.0.0.2", NULL, "Hello again, Ivan!\n");
	ident_dialogue(c.port, "127.0.0.3", "Oksana\n",
	    "Nice to meet you, Oksana!\n");

	fd = h_session_connect("127.0.0.3", b.port, 3 * H_WAIT_MS);
	h_session_expect(fd, "IDENTIFY", "OK Oksana", 3 * H_WAIT_MS);
	snprintf(req, sizeof(req), "RESUME %s", tok);
	h_session_expect(fd, req, "OK welcome lena", 3 * H_WAIT_MS);
	h_session_expect(fd, "REGISTER lena " PASSWORD,
	    "ERR 409 that user name is taken", 3 * H_WAIT_MS);
	h_session_expect(fd, "LOGOUT", "OK logged out", 3 * H_WAIT_MS);
	close(fd);
	/* Revoked through b: refused by a too. */
	fd = h_session_connect("127.0.0.2", a.port, 3 * H_WAIT_MS);
	h_session_expect(fd, req, "ERR 431 unknown, expired or revoked token",
	    3 * H_WAIT_MS);
	close(fd);
}

/* Another session holds a lock on the counters past the store's 5 s: the
 * worker waiting for it beats its heart (worker_timeout 2 s: it is not
 * taken for stuck), answers ERR 500, and other clients are served
 * meanwhile; once the lock is gone the store serves again. */
Test(identity_pg, locked_table_gives_500_and_echo_goes_on)
{
	const char *const over[] = { "server.service=session",
	    "pool.start=3", "pool.worker_timeout=2", NULL };
	const char *all[32];
	struct h_daemon d;
	char sql[200];
	PGconn *lock;
	int a, b;

	pg = 1;
	h_overrides(all, over, pgtest_store());
	h_start(&d, 36250, 36259, all);
	a = h_session_connect(NULL, d.port, H_WAIT_MS);
	b = h_session_connect(NULL, d.port, H_WAIT_MS);
	h_session_expect(a, "REGISTER before correct horse",
	    "OK registered before", H_WAIT_MS);
	lock = pgtest_connect();
	snprintf(sql, sizeof(sql), "BEGIN; LOCK TABLE %s.failures IN ACCESS "
	    "EXCLUSIVE MODE", pgtest_schema());
	pgtest_exec(lock, sql);

	h_session_store_stuck(a, b, "REGISTER during correct horse");

	pgtest_exec(lock, "COMMIT");
	PQfinish(lock);
	h_session_expect(a, "REGISTER during correct horse",
	    "OK registered during", H_WAIT_MS);
	close(a);
	close(b);
	cr_assert_eq(h_log_count(d.log, "result=store_error"), 1);
	cr_assert_eq(h_log_count(d.log, "worker_exit"), 0, "a worker died");
}

/* A reload checks the new configuration's database (in a child of the
 * master, which never waits on it): one that cannot be reached refuses
 * the reload, saying why without the password, and the old one serves on. */
Test(identity_pg, reload_checks_the_database)
{
	char url[PATH_MAX + 200];
	const char *all[32], *const bad[] = { "server.service=session",
	    "store.backend=postgresql", url, NULL };
	struct h_daemon d;
	int fd;

	pg = 1;
	h_overrides(all, session, pgtest_store());
	h_start(&d, 36260, 36269, all);
	h_signal(&d, SIGHUP);
	cr_assert_eq(h_log_wait(d.log, " reload config=", 1, H_WAIT_MS), 0);
	snprintf(url, sizeof(url), "store.url=postgresql://sockbind:"
	    "hunter2hunter2@/postgres?host=%s/none&connect_timeout=2", d.dir);
	h_config(&d, 36260, 36269, bad);
	h_signal(&d, SIGHUP);
	cr_assert_eq(h_log_wait(d.log, " reload_refused ", 1, 2 * H_WAIT_MS),
	    0);
	cr_assert_eq(h_log_count(d.log, "sockbind:[secret]@/postgres"), 1);
	cr_assert(!contains(d.log, "hunter2"), "password in the log");
	fd = h_session_connect("127.0.0.2", d.port, 3 * H_WAIT_MS);
	h_session_expect(fd, "IDENTIFY Rita", "OK Rita", 3 * H_WAIT_MS);
	close(fd);
}

/* Instances that start at the same time on a new database take turns at
 * creating the schema: each starts and serves. */
Test(identity_pg, instances_starting_together)
{
	const char *all[32];
	struct h_daemon d[4];
	char name[32], expect[40], sql[128];
	int i, fd;

	pg = 1;
	h_overrides(all, session, pgtest_store());
	memset(d, 0, sizeof(d));
	for (i = 0; i < 4; i++) {
		h_config(&d[i], 36270 + 5 * i, 36274 + 5 * i, all);
		h_spawn(&d[i], NULL, NULL);
	}
	for (i = 0; i < 4; i++)
		h_wait_listening(&d[i], 36270 + 5 * i, 36274 + 5 * i);
	for (i = 0; i < 4; i++) {
		fd = h_session_connect("127.0.0.2", d[i].port, 3 * H_WAIT_MS);
		snprintf(name, sizeof(name), "IDENTIFY host%d", i);
		snprintf(expect, sizeof(expect), "OK host%d", i);
		h_session_expect(fd, name, expect, 3 * H_WAIT_MS);
		h_session_expect(fd, "IDENTIFY", expect, 3 * H_WAIT_MS);
		close(fd);
		cr_assert_eq(h_log_count(d[i].log, " fatal "), 0);
	}
	snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s.store_version",
	    pgtest_schema());
	cr_assert_str_eq(pgtest_query(sql), "1");
}
