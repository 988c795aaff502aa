/*
 * pgtest.c -- a throwaway PostgreSQL cluster for a test binary's run (see
 * pgtest.h). The runner makes the directory (PRE_ALL) and removes it with
 * the cluster (POST_ALL); the first test that asks starts the cluster,
 * under a lock, and writes its state there for the others.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <fcntl.h>
#include <glob.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <libpq-fe.h>

#include "tests/pg/pgtest.h"

#define PGTEST_ENV	"SOCKBIND_PGTEST_DIR"
#define PGTEST_USER	"sockbind"

static pid_t	owner;
static char	url[512], pwfile[300], schema[32];

/* The newest PostgreSQL's bin directory, or NULL. */
static const char *
pgtest_bindir(char *buf, size_t len)
{
	glob_t g;

	if (glob("/usr/lib/postgresql/*/bin/initdb", 0, NULL, &g) != 0)
		return NULL;
	snprintf(buf, len, "%s", g.gl_pathv[g.gl_pathc - 1]);
	globfree(&g);
	*strrchr(buf, '/') = '\0';
	return buf;
}

/* PostgreSQL refuses to run as root: then as nobody. */
static void
pgtest_owner(uid_t *uid, gid_t *gid)
{
	struct passwd *pw;

	*uid = geteuid();
	*gid = getegid();
	if (*uid == 0 && (pw = getpwnam("nobody")) != NULL) {
		*uid = pw->pw_uid;
		*gid = pw->pw_gid;
	}
}

/* Run argv as the cluster's owner, its output appended to log: 0 if it
 * exits 0. No descriptor of ours goes with it (the server outlives it). */
static int
pgtest_run(char *const argv[], const char *log)
{
	uid_t uid;
	gid_t gid;
	pid_t pid;
	int status, fd;

	pgtest_owner(&uid, &gid);
	if ((pid = fork()) == -1)
		return -1;
	if (pid == 0) {
		closefrom(3);
		/* The log, as the owner: the server writes to it too. */
		if (uid != geteuid() && (setgroups(0, NULL) == -1 ||
		    setgid(gid) == -1 || setuid(uid) == -1))
			_exit(127);
		fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd == -1 || dup2(fd, 1) == -1 || dup2(fd, 2) == -1 ||
		    (fd = open("/dev/null", O_RDONLY)) == -1 ||
		    dup2(fd, 0) == -1)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) == -1)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* "up", "absent" (not installed) or "failed" into dir/state. */
static const char *
pgtest_start(const char *dir)
{
	char bin[256], data[300], log[300], prog[300], ctl[300], pw[64];
	char opts[512];
	uid_t uid;
	gid_t gid;
	FILE *fp;

	if (pgtest_bindir(bin, sizeof(bin)) == NULL)
		return "absent";
	pgtest_owner(&uid, &gid);
	if (chown(dir, uid, gid) == -1)
		return "failed";
	snprintf(pw, sizeof(pw), "pgtest-%08x%08x", arc4random(),
	    arc4random());
	snprintf(log, sizeof(log), "%s/password", dir);
	if ((fp = fopen(log, "w")) == NULL)
		return "failed";
	fprintf(fp, "%s\n", pw);
	if (fclose(fp) == EOF || chmod(log, 0600) == -1 ||
	    chown(log, uid, gid) == -1)
		return "failed";
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(prog, sizeof(prog), "%s/initdb", bin);
	snprintf(ctl, sizeof(ctl), "--pwfile=%s/password", dir);
	snprintf(log, sizeof(log), "%s/initdb.log", dir);
	if (pgtest_run((char *const[]){ prog, "-D", data, "-U", PGTEST_USER,
	    "--auth=scram-sha-256", ctl, "--no-locale", "-E", "UTF8",
	    "--no-sync", NULL }, log) == -1)
		return "failed";
	/* Only a Unix socket, in the directory; no durability needed. */
	snprintf(opts, sizeof(opts), "-c listen_addresses='' "
	    "-c unix_socket_directories='%s' -c fsync=off "
	    "-c full_page_writes=off -c max_connections=200", dir);
	snprintf(prog, sizeof(prog), "%s/pg_ctl", bin);
	snprintf(log, sizeof(log), "%s/postgres.log", dir);
	if (pgtest_run((char *const[]){ prog, "-D", data, "-l", log, "-w",
	    "-t", "60", "-o", opts, "start", NULL }, log) == -1)
		return "failed";
	return "up";
}

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
	static char dir[] = "/tmp/sockbind-pg.XXXXXX";

	(void)set;
	if (getenv(PGTEST_ENV) != NULL || mkdtemp(dir) == NULL)
		return;
	owner = getpid();
	setenv(PGTEST_ENV, dir, 1);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
	const char *dir = getenv(PGTEST_ENV);
	char bin[256], prog[300], data[300], log[300], cmd[400];

	(void)stats;
	if (owner != getpid() || dir == NULL)
		return;
	snprintf(data, sizeof(data), "%s/data/postmaster.pid", dir);
	if (access(data, F_OK) == 0 && pgtest_bindir(bin, sizeof(bin))) {
		snprintf(prog, sizeof(prog), "%s/pg_ctl", bin);
		snprintf(data, sizeof(data), "%s/data", dir);
		snprintf(log, sizeof(log), "%s/postgres.log", dir);
		(void)pgtest_run((char *const[]){ prog, "-D", data, "-w",
		    "-m", "immediate", "stop", NULL }, log);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "pgtest: could not remove %s\n", dir);
}

const char *
pgtest_socket_dir(void)
{
	const char *dir = getenv(PGTEST_ENV);

	cr_assert_not_null(dir, "no " PGTEST_ENV ": not run by Criterion?");
	return dir;
}

const char *
pgtest_password_file(void)
{
	return pwfile;
}

const char *
pgtest_schema(void)
{
	return schema;
}

const char *const *
pgtest_store(void)
{
	static char set_url[sizeof(url) + 16], set_pw[sizeof(pwfile) + 32];
	static const char *over[] = { "store.backend=postgresql", set_url,
	    set_pw, NULL };

	if (set_url[0] == '\0') {
		snprintf(set_url, sizeof(set_url), "store.url=%s",
		    pgtest_url());
		snprintf(set_pw, sizeof(set_pw), "store.password_file=%s",
		    pgtest_password_file());
	}
	return over;
}

PGconn *
pgtest_connect(void)
{
	char pw[256];
	const char *keys[] = { "host", "user", "dbname", "password", NULL };
	const char *values[] = { pgtest_socket_dir(), PGTEST_USER, "postgres",
	    pw, NULL };
	PGconn *conn;
	FILE *fp;

	cr_assert_not_null(fp = fopen(pwfile, "r"));
	cr_assert_not_null(fgets(pw, sizeof(pw), fp));
	fclose(fp);
	pw[strcspn(pw, "\n")] = '\0';
	conn = PQconnectdbParams(keys, values, 0);
	cr_assert_eq(PQstatus(conn), CONNECTION_OK, "pgtest: %s",
	    PQerrorMessage(conn));
	PQclear(PQexec(conn, "SET client_min_messages = warning"));
	return conn;
}

const char *
pgtest_exec(PGconn *conn, const char *sql)
{
	static char value[1024];
	PGresult *res;

	res = PQexec(conn, sql);
	cr_assert(PQresultStatus(res) == PGRES_TUPLES_OK ||
	    PQresultStatus(res) == PGRES_COMMAND_OK, "pgtest: %s: %s", sql,
	    PQresultErrorMessage(res));
	value[0] = '\0';
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0)
		snprintf(value, sizeof(value), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return value;
}

const char *
pgtest_query(const char *sql)
{
	PGconn *conn = pgtest_connect();
	const char *value = pgtest_exec(conn, sql);

	PQfinish(conn);
	return value;
}

const char *
pgtest_url(void)
{
	const char *dir = pgtest_socket_dir();
	char path[300], state[16] = "";
	FILE *fp;
	int lock;

	snprintf(path, sizeof(path), "%s/lock", dir);
	cr_assert_neq(lock = open(path, O_RDWR | O_CREAT, 0600), -1);
	cr_assert_eq(flock(lock, LOCK_EX), 0);
	snprintf(path, sizeof(path), "%s/state", dir);
	if ((fp = fopen(path, "r")) != NULL) {
		if (fgets(state, sizeof(state), fp) == NULL)
			state[0] = '\0';
		fclose(fp);
	}
	if (state[0] == '\0') {
		snprintf(state, sizeof(state), "%s", pgtest_start(dir));
		cr_assert_not_null(fp = fopen(path, "w"));
		fputs(state, fp);
		fclose(fp);
	}
	close(lock);
	if (strcmp(state, "absent") == 0)
		cr_skip_test("PostgreSQL is not installed (scripts/deps.sh "
		    "installs the postgresql package): skipped");
	cr_assert_str_eq(state, "up", "the test cluster did not start: see "
	    "%s/initdb.log and postgres.log", dir);
	snprintf(pwfile, sizeof(pwfile), "%s/password", dir);
	snprintf(schema, sizeof(schema), "t%d", (int)getpid());
	snprintf(path, sizeof(path), "DROP SCHEMA IF EXISTS %s CASCADE; "
	    "CREATE SCHEMA %s", schema, schema);
	pgtest_query(path);
	snprintf(url, sizeof(url), "postgresql://" PGTEST_USER "@/postgres?"
	    "host=%s&application_name=%s&options=-csearch_path%%3D%s", dir,
	    schema, schema);
	return url;
}

int
pgtest_terminate(void)
{
	char sql[200];

	snprintf(sql, sizeof(sql), "SELECT count(pg_terminate_backend(pid)) "
	    "FROM pg_stat_activity WHERE application_name = '%s'", schema);
	return atoi(pgtest_query(sql));
}
