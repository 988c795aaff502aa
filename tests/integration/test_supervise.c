/*
 * test_supervise.c -- the master as supervisor: dead, stuck and orphaned
 * workers, and every signal it handles. Port ranges 21600-21899.
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <criterion/criterion.h>
#include <sqlite3.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

TestSuite(supervise, .fini = h_cleanup, .timeout = 60);

static void
rewrite_config(struct h_daemon *d, int port_min, int port_max,
    const char *const *over)
{
	h_config(d, port_min, port_max, over);
}

/* The worker serving fd: the pid of the log's connect record for its port. */
static pid_t
worker_of(struct h_daemon *d, int fd)
{
	char needle[64];

	snprintf(needle, sizeof(needle), "connect client=127.0.0.1:%d ",
	    h_local_port(fd));
	cr_assert_eq(h_log_wait(d->log, needle, 1, H_WAIT_MS), 0);
	return h_log_pid_of(d->log, needle);
}

Test(supervise, killed_worker_is_replaced)
{
	struct h_daemon d;
	char needle[64];
	char buf[4];
	pid_t victim;
	long t0;
	int a, b;

	h_start(&d, 21600, 21609, NULL);
	cr_assert_eq(h_wait_workers(d.pid, 3, H_WAIT_MS), 0);
	a = h_connect(d.port);
	b = h_connect(d.port);
	cr_assert_eq(h_echo(a, "a\n", H_WAIT_MS), 0);
	cr_assert_eq(h_echo(b, "b\n", H_WAIT_MS), 0);
	victim = worker_of(&d, a);
	cr_assert_neq(victim, worker_of(&d, b));

	t0 = h_now_ms();
	cr_assert_eq(kill(victim, SIGKILL), 0);
	/* Its client sees the end; the other client sees nothing. */
	cr_assert_leq(h_recv_exact(a, buf, 1, H_WAIT_MS), 0);
	cr_assert_eq(h_echo(b, "still here\n", H_WAIT_MS), 0);
	cr_assert_eq(h_wait_workers(d.pid, 3, 1000), 0,
	    "pool not back to 3 within a second: %d",
	    h_workers(d.pid, NULL, 0));
	cr_assert_lt(h_now_ms() - t0, 1500);
	snprintf(needle, sizeof(needle), "worker_exit pid=%d ", (int)victim);
	cr_assert_eq(h_log_wait(d.log, needle, 1, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, "signal=KILL reason=died"), 1);
	close(a);
	close(b);
}

Test(supervise, stuck_lock_holder_is_killed)
{
	const char *const over[] = { "pool.worker_timeout=2", NULL };
	const char *const env[] = { "SOCKBIND_FAILPOINT=log_stop:FREEZE-ME",
	    NULL };
	struct h_daemon d;
	pid_t pids[8], frozen = 0;
	char needle[64];
	int a, b, c, i, n, lines;
	long t0;

	h_start_env(&d, 21610, 21619, over, env);
	cr_assert_eq(h_wait_workers(d.pid, 3, H_WAIT_MS), 0);
	a = h_connect(d.port);
	cr_assert_eq(h_send(a, "FREEZE-ME\n", 10), 0);
	/* Its worker stops itself holding the log lock, about to log. */
	t0 = h_now_ms();
	while (frozen == 0 && h_now_ms() - t0 < H_WAIT_MS) {
		n = h_workers(d.pid, pids, 8);
		for (i = 0; i < n && i < 8; i++)
			if (h_proc_state(pids[i]) == 'T')
				frozen = pids[i];
		if (frozen == 0)
			h_pause_ms(5);
	}
	cr_assert_gt(frozen, 0, "no worker stopped in the log lock");

	/* Another client: its worker waits for the lock, then goes on once
	 * the master has killed the stuck one. */
	b = h_connect(d.port);
	cr_assert_eq(h_echo(b, "waiting for the lock\n", 4 * H_WAIT_MS), 0,
	    "deadlock: the lock was never recovered");
	snprintf(needle, sizeof(needle), "worker_timeout pid=%d ",
	    (int)frozen);
	cr_assert_eq(h_log_wait(d.log, needle, 1, H_WAIT_MS), 0);
	snprintf(needle, sizeof(needle), "worker_exit pid=%d ", (int)frozen);
	cr_assert_eq(h_log_wait(d.log, needle, 1, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, "signal=KILL reason=killed"), 1);

	c = h_connect(d.port);
	cr_assert_eq(h_echo(c, "after\n", H_WAIT_MS), 0);
	close(b);
	close(c);
	close(a);
	cr_assert_eq(h_log_wait(d.log, "text=\"after\\n\"", 2, H_WAIT_MS), 0);
	cr_assert_eq(h_log_bad_lines(d.log, &lines), 0);
	cr_assert_eq(h_wait_workers(d.pid, 3, H_WAIT_MS), 0);
}

Test(supervise, sigterm_lets_connections_finish)
{
	struct h_daemon d;
	char needle[96];
	int a, status, refused;
	long t0;

	h_start(&d, 21620, 21629, NULL);
	a = h_connect(d.port);
	snprintf(needle, sizeof(needle), "client=127.0.0.1:%d reason=\"client "
	    "closed\"", h_local_port(a));
	cr_assert_eq(h_echo(a, "before\n", H_WAIT_MS), 0);
	h_signal(&d, SIGTERM);
	cr_assert_eq(h_log_wait(d.log, " stop signal=TERM mode=graceful", 1,
	    H_WAIT_MS), 0);
	/* In flight: still served after the signal. */
	cr_assert_eq(h_echo(a, "during\n", H_WAIT_MS), 0);
	cr_assert_eq(h_wait_exit(&d, 200), -1, "exited with a client inside");
	/* Not accepting any more. */
	t0 = h_now_ms();
	do {
		int fd = h_connect(d.port);

		refused = fd == -1 && errno == ECONNREFUSED;
		if (fd != -1)
			close(fd);
	} while (!refused && h_now_ms() - t0 < H_WAIT_MS);
	cr_assert(refused, "still accepting after SIGTERM");
	close(a);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "status %d", status);
	/* Probes that got in before the last listener closed may be logged
	 * too; the client in flight must have ended on its own terms. */
	cr_assert_eq(h_log_count(d.log, needle), 1);
	cr_assert_eq(h_log_count(d.log, " exit status=0"), 1);
}

Test(supervise, sigterm_cuts_at_graceful_timeout)
{
	const char *const over[] = { "pool.graceful_timeout=1", NULL };
	struct h_daemon d;
	char buf[4];
	int a, status;

	h_start(&d, 21630, 21639, over);
	a = h_connect(d.port);
	cr_assert_eq(h_echo(a, "lingering\n", H_WAIT_MS), 0);
	h_signal(&d, SIGTERM);
	cr_assert_eq(h_recv_exact(a, buf, 1, H_WAIT_MS), 0);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(h_log_count(d.log, "reason=\"server shutdown\""), 1);
	close(a);
}

Test(supervise, sigquit_stops_at_once)
{
	struct h_daemon d;
	int a, status;

	h_start(&d, 21640, 21649, NULL);
	a = h_connect(d.port);
	cr_assert_eq(h_echo(a, "x\n", H_WAIT_MS), 0);
	h_signal(&d, SIGQUIT);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(h_log_count(d.log, "mode=immediate"), 1);
	close(a);
}

/* Connect, echo, close: as many times as fit in ms; every one must work. */
static int
hammer(int port, int ms, int *done)
{
	long t0 = h_now_ms();
	int fd;

	*done = 0;
	while (h_now_ms() - t0 < ms && *done < 5000) {
		if ((fd = h_connect(port)) == -1)
			return -1;
		if (h_echo(fd, "reload\n", H_WAIT_MS) == -1) {
			close(fd);
			return -1;
		}
		close(fd);
		(*done)++;
	}
	return 0;
}

Test(supervise, sighup_resizes_pool_without_refusing)
{
	const char *const small[] = { "pool.start=2", NULL };
	const char *const big[] = { "pool.start=5", NULL };
	struct h_daemon d;
	pid_t client;
	int status, done, n;
	long deadline;

	h_start(&d, 21650, 21659, small);
	cr_assert_eq(h_wait_workers(d.pid, 2, H_WAIT_MS), 0);
	client = fork();
	if (client == 0)
		_exit(hammer(d.port, 1500, &done) == 0 && done > 10 ? 0 : 1);
	rewrite_config(&d, 21650, 21659, big);
	h_signal(&d, SIGHUP);
	cr_assert_eq(h_log_wait(d.log, " reload config=", 1, H_WAIT_MS), 0);
	cr_assert_eq(waitpid(client, &status, 0), client);
	cr_assert_eq(status, 0, "a connection failed across the reload");
	cr_assert_eq(h_log_count(d.log, "start=5"), 1);
	cr_assert_eq(h_log_wait(d.log, "reason=retired", 2, H_WAIT_MS), 0);
	/*
	 * The pool grows to the new start = 5. A connection that found no
	 * idle worker during the reload may have had a spare forked for it,
	 * which max_spare (8) lets stay: the pool is not an exact count at
	 * any fixed moment, so wait until it is within its bounds.
	 */
	deadline = h_now_ms() + H_WAIT_MS;
	do {
		n = h_workers(d.pid, NULL, 0);
		if (n >= 5 && n <= 8)
			break;
		h_pause_ms(5);
	} while (h_now_ms() < deadline);
	cr_assert(n >= 5 && n <= 8, "pool is %d, not 5 to 8 workers", n);
}

/* A reload replaces the workers, but one serving a client finishes that
 * client under the connection's own limits: graceful_timeout (0 here) is
 * for stopping the server, and ERR 503 says it is shutting down. */
Test(supervise, sighup_keeps_connections_in_flight)
{
	const char *const over[] = { "server.service=session",
	    "pool.graceful_timeout=0", NULL };
	struct h_daemon d;
	int fd;

	h_start(&d, 22690, 22699, over);
	fd = h_session_connect(NULL, d.port, H_WAIT_MS);
	h_session_expect(fd, "ECHO before", "OK before", H_WAIT_MS);
	h_signal(&d, SIGHUP);
	cr_assert_eq(h_log_wait(d.log, " reload config=", 1, H_WAIT_MS), 0);
	/* The old idle workers are gone: every one but ours has retired. */
	cr_assert_eq(h_log_wait(d.log, "reason=retired", 2, H_WAIT_MS), 0);
	h_session_expect(fd, "ECHO after", "OK after", H_WAIT_MS);
	h_session_expect(fd, "QUIT", "OK", H_WAIT_MS);
	close(fd);
	cr_assert_eq(h_log_wait(d.log, "reason=retired", 3, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, "server shutdown"), 0);
	cr_assert_eq(h_log_count(d.log, "ERR 503"), 0);
	/* The new workers serve. */
	fd = h_session_connect(NULL, d.port, H_WAIT_MS);
	h_session_expect(fd, "ECHO new", "OK new", H_WAIT_MS);
	close(fd);
}

/* Where needle first is in the log, as an offset; -1 when it is not. */
static long
log_offset(const char *log, const char *needle)
{
	size_t len;
	char *data = h_slurp(log, &len), *at;
	long off;

	cr_assert_not_null(data);
	at = memmem(data, len, needle, strlen(needle));
	off = at ? at - data : -1;
	free(data);
	return off;
}

/* max_workers = 1 stays an iterative server across a reload: the worker
 * finishing its client counts, so the next client is served after it. */
Test(supervise, sighup_keeps_max_workers)
{
	const char *const over[] = { "pool.max_workers=1", "pool.start=1",
	    "pool.min_spare=1", NULL };
	struct h_daemon d;
	char buf[8];
	int one, two;

	h_start(&d, 22710, 22719, over);
	one = h_connect(d.port);
	cr_assert_eq(h_echo(one, "one\n", H_WAIT_MS), 0);
	two = h_connect(d.port);
	cr_assert_eq(h_send(two, "two\n", 4), 0);
	h_signal(&d, SIGHUP);
	cr_assert_eq(h_log_wait(d.log, " reload config=", 1, H_WAIT_MS), 0);
	cr_assert_eq(h_echo(one, "one again\n", H_WAIT_MS), 0);
	cr_assert_leq(h_workers(d.pid, NULL, 0), 1);
	close(one);
	cr_assert_eq(h_recv_exact(two, buf, 4, 3 * H_WAIT_MS), 4);
	cr_assert(memcmp(buf, "two\n", 4) == 0);
	close(two);
	cr_assert_eq(h_log_wait(d.log, "text=\"two\\n\"", 2, H_WAIT_MS), 0);
	/* The first client's end came before the second's start. */
	cr_assert_lt(log_offset(d.log, "reason=\"client closed\""),
	    log_offset(d.log, "text=\"two\\n\""));
}

/* A worker finishing its client after a reload still counts for that
 * client's address: per_source holds across reloads. */
Test(supervise, sighup_keeps_per_source)
{
	const char *const over[] = { "server.service=session",
	    "limits.per_source=1", "server.status_clients=true", NULL };
	struct h_daemon d;
	char reply[1024];
	int one, two;

	h_start(&d, 22750, 22759, over);
	one = h_session_connect(NULL, d.port, H_WAIT_MS);
	h_signal(&d, SIGHUP);
	cr_assert_eq(h_log_wait(d.log, " reload config=", 1, H_WAIT_MS), 0);
	h_session_expect(one, "ECHO held", "OK held", H_WAIT_MS);
	two = h_connect(d.port);
	cr_assert_geq(h_frame_recv(two, reply, sizeof(reply), H_WAIT_MS), 0);
	cr_assert(strncmp(reply, "ERR 421 ", 8) == 0, "%s", reply);
	close(two);
	/* STATUS counts the retired worker's client as busy, and shows it. */
	h_session_ask(one, "STATUS", reply, sizeof(reply), H_WAIT_MS);
	cr_assert(strstr(reply, "busy=1 ") != NULL, "%s", reply);
	cr_assert(strstr(reply, "state=stopping requests=0 client=127.0.0.1:")
	    != NULL, "%s", reply);
	close(one);
}

Test(supervise, sighup_with_bad_config_keeps_serving)
{
	struct h_daemon d;
	pid_t before[8], after[8];
	FILE *fp;
	int fd, n, i;

	h_start(&d, 21660, 21669, NULL);
	cr_assert_eq(h_wait_workers(d.pid, 3, H_WAIT_MS), 0);
	n = h_workers(d.pid, before, 8);
	fp = fopen(d.config, "a");
	fprintf(fp, "[pool]\nmax_requests = lots\n");
	fclose(fp);
	/* A terminal's hangup reaches the workers too: only the master's
	 * SIGHUP retires them. */
	for (i = 0; i < n; i++)
		cr_assert_eq(kill(before[i], SIGHUP), 0);
	h_signal(&d, SIGHUP);
	cr_assert_eq(h_log_wait(d.log, " reload_refused ", 1, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, "max_requests: 'lots' is not a whole "
	    "number"), 1);
	fd = h_connect(d.port);
	cr_assert_eq(h_echo(fd, "still serving\n", H_WAIT_MS), 0);
	close(fd);
	cr_assert_eq(h_workers(d.pid, after, 8), n);
	cr_assert(memcmp(before, after, n * sizeof(pid_t)) == 0,
	    "workers replaced on a refused reload");
	/* Said on stderr too (the journal): the log may be what is gone. */
	h_signal(&d, SIGTERM);
	cr_assert_eq(h_wait_exit(&d, H_WAIT_MS), 0);
	cr_assert(strstr(d.err, "sockbind: reload refused: ") != NULL, "%s",
	    d.err);
}

Test(supervise, master_death_ends_workers)
{
	struct h_daemon d;
	pid_t pids[8];
	int n, i, fd;
	long t0;

	h_start(&d, 21670, 21679, NULL);
	cr_assert_eq(h_wait_workers(d.pid, 3, H_WAIT_MS), 0);
	fd = h_connect(d.port);
	cr_assert_eq(h_echo(fd, "busy one\n", H_WAIT_MS), 0);
	n = h_workers(d.pid, pids, 8);
	cr_assert_eq(n, 3);
	h_signal(&d, SIGKILL);
	t0 = h_now_ms();
	for (i = 0; i < n; i++)
		while (!h_gone(pids[i]) && h_now_ms() - t0 < 2000)
			h_pause_ms(5);
	for (i = 0; i < n; i++)
		cr_assert(h_gone(pids[i]), "worker %d outlived its master",
		    (int)pids[i]);
	cr_assert_lt(h_now_ms() - t0, 1000, "workers took %ld ms to go",
	    h_now_ms() - t0);
	close(fd);
}

Test(supervise, ttin_ttou_change_pool_by_one)
{
	struct h_daemon d;

	h_start(&d, 21680, 21689, NULL);
	cr_assert_eq(h_wait_workers(d.pid, 3, H_WAIT_MS), 0);
	h_signal(&d, SIGTTIN);
	cr_assert_eq(h_wait_workers(d.pid, 4, H_WAIT_MS), 0);
	h_signal(&d, SIGTTOU);
	cr_assert_eq(h_log_wait(d.log, "reason=ttou", 1, H_WAIT_MS), 0);
	cr_assert_eq(h_wait_workers(d.pid, 3, H_WAIT_MS), 0);
	h_signal(&d, SIGTTOU);
	cr_assert_eq(h_wait_workers(d.pid, 2, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, "floor=2"), 1);
}

Test(supervise, usr1_reopens_log)
{
	struct h_daemon d;
	char rotated[PATH_MAX + 8];
	int fd;

	h_start(&d, 21690, 21699, NULL);
	snprintf(rotated, sizeof(rotated), "%s.1", d.log);
	cr_assert_eq(rename(d.log, rotated), 0);
	h_signal(&d, SIGUSR1);
	cr_assert_eq(h_log_wait(d.log, " log_reopen ", 1, H_WAIT_MS), 0);
	/* Workers forked before the signal follow the master. */
	fd = h_connect(d.port);
	cr_assert_eq(h_echo(fd, "after rotation\n", H_WAIT_MS), 0);
	close(fd);
	cr_assert_eq(h_log_wait(d.log, "text=\"after rotation\\n\"", 2,
	    H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(rotated, "after rotation"), 0);
	cr_assert_eq(h_log_count(rotated, " start version="), 1);
}

/* A reopen that fails is said on stderr too: the log may be what is gone,
 * and a record of it in the old file would reach nobody. */
Test(supervise, usr1_failed_reopen_on_stderr)
{
	struct h_daemon d;
	char rotated[PATH_MAX + 8];
	long deadline;

	h_start(&d, 22770, 22779, NULL);
	snprintf(rotated, sizeof(rotated), "%s.1", d.log);
	cr_assert_eq(rename(d.log, rotated), 0);
	cr_assert_eq(mkdir(d.log, 0755), 0);	/* no file can open there */
	h_signal(&d, SIGUSR1);
	deadline = h_now_ms() + H_WAIT_MS;
	while (strstr(d.err, "sockbind: log reopen: ") == NULL &&
	    h_now_ms() < deadline)
		h_read_output(&d, 100);
	cr_assert(strstr(d.err, "sockbind: log reopen: ") != NULL, "%s",
	    d.err);
	cr_assert_eq(rmdir(d.log), 0);
}

Test(supervise, workers_failing_at_start_end_the_master)
{
	const char *const env[] = { "SOCKBIND_FAILPOINT=boot_fail", NULL };
	struct h_daemon d;
	int status;

	h_start_env(&d, 21700, 21709, NULL, env);
	status = h_wait_exit(&d, 4 * H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1,
	    "status %d", status);
	h_read_output(&d, 1000);
	cr_assert(strstr(d.err, "workers fail at start-up") != NULL, "%s",
	    d.err);
	cr_assert_geq(h_log_count(d.log, "reason=failed_at_start"), 5);
	/* Every worker's end is recorded, those killed by the give-up too. */
	cr_assert_eq(h_log_count(d.log, " worker_exit "),
	    h_log_count(d.log, " worker_start "));
	cr_assert_eq(access(d.port_file, F_OK), -1);
}

/* Set the soft RLIMIT_FSIZE of the master and all its workers (the hard
 * one stays: raising it back would need a capability). */
static void
limit_file_size(struct h_daemon *d, rlim_t bytes)
{
	struct rlimit rl;

	cr_assert_eq(prlimit(d->pid, RLIMIT_FSIZE, NULL, &rl), 0);
	rl.rlim_cur = bytes;
	pid_t pids[16];
	int n, i;

	cr_assert_eq(prlimit(d->pid, RLIMIT_FSIZE, &rl, NULL), 0);
	n = h_workers(d->pid, pids, 16);
	for (i = 0; i < n && i < 16; i++)
		cr_assert_eq(prlimit(pids[i], RLIMIT_FSIZE, &rl, NULL), 0);
}

Test(supervise, full_log_does_not_stop_serving)
{
	const char *const over[] = { "pool.start=2", "pool.max_spare=2", NULL };
	struct h_daemon d;
	struct stat st;
	char msg[64], *text, *p;
	int fd, i;

	h_start(&d, 21710, 21719, over);
	cr_assert_eq(h_wait_workers(d.pid, 2, H_WAIT_MS), 0);
	cr_assert_eq(h_log_wait(d.log, " worker_start ", 2, H_WAIT_MS), 0);
	cr_assert_eq(stat(d.log, &st), 0);
	/* The disk is "full" a few records from now. */
	limit_file_size(&d, st.st_size + 1500);
	fd = h_connect(d.port);
	for (i = 0; i < 100; i++) {
		snprintf(msg, sizeof(msg), "message %03d while full\n", i);
		cr_assert_eq(h_echo(fd, msg, H_WAIT_MS), 0,
		    "not served with a full log (message %d)", i);
	}
	cr_assert_eq(stat(d.log, &st), 0);
	cr_assert_eq(h_log_count(d.log, "message 099"), 0);
	/* The master's own records while the disk is full: kept, not lost. */
	h_signal(&d, SIGTTIN);
	cr_assert_eq(h_wait_workers(d.pid, 3, H_WAIT_MS), 0);
	/* Said on stderr once, not once per lost record. */
	h_read_output(&d, 200);
	cr_assert(strstr(d.err, "File too large") != NULL, "stderr: %s", d.err);
	cr_assert_eq(strstr(strstr(d.err, "File too large") + 1,
	    "File too large"), NULL, "reported more than once: %s", d.err);

	/* Space returns: logging resumes and says what was lost. */
	limit_file_size(&d, RLIM_INFINITY);
	cr_assert_eq(h_echo(fd, "after\n", H_WAIT_MS), 0);
	cr_assert_eq(h_log_wait(d.log, " log_resumed lost=", 1, H_WAIT_MS), 0);
	cr_assert_eq(h_log_wait(d.log, "text=\"after\\n\"", 2, H_WAIT_MS), 0);
	/* Every record counts, not every write: the 100 echoes made 200
	 * records (recv, sent), each either written or lost. */
	text = h_slurp(d.log, NULL);
	cr_assert_not_null(p = strstr(text, " log_resumed lost="));
	cr_assert_eq(atoi(p + strlen(" log_resumed lost=")) +
	    h_log_count(d.log, " while full"), 200, "%.60s", p);
	free(text);
	cr_assert_eq(h_log_wait(d.log, " pool_resize signal=TTIN", 1,
	    H_WAIT_MS), 0);
	cr_assert_eq(h_log_wait(d.log, " worker_start ", 3, H_WAIT_MS), 0);
	close(fd);
	cr_assert_eq(h_log_bad_lines(d.log, &i), 0, "a torn record");
}

/*
 * A reload while the store is locked by another writer: the store is
 * checked by a child of the master, so the master keeps handling signals
 * (TTIN here) meanwhile, and the reload goes through once the lock is gone.
 */
Test(supervise, reload_never_blocks_the_master_on_the_store)
{
	const char *const over[] = { "server.service=ident", NULL };
	struct h_daemon d;
	char path[PATH_MAX];
	sqlite3 *db;

	h_start(&d, 21800, 21809, over);
	cr_assert_eq(h_wait_workers(d.pid, 3, H_WAIT_MS), 0);
	snprintf(path, sizeof(path), "%s/sockbind.db", d.dir);
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL),
	    SQLITE_OK);
	h_signal(&d, SIGHUP);
	/* The TTIN comes once the reload is under way: its store check is a
	 * child of the master, a fourth beside the three workers. */
	cr_assert_eq(h_wait_workers(d.pid, 4, H_WAIT_MS), 0,
	    "no store check running beside the master");
	h_signal(&d, SIGTTIN);
	/* The store waits up to 5 s for a writer: the master does not. */
	cr_assert_eq(h_log_wait(d.log, "pool_resize signal=TTIN", 1, 1500), 0,
	    "the master was blocked by the store");
	cr_assert_eq(h_log_count(d.log, " reload "), 0);
	cr_assert_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	cr_assert_eq(h_log_wait(d.log, " reload config=", 1, 2 * H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, "reload_refused"), 0);
}

/*
 * A reload that follows a spawn at once: the SIGHUP reaches a worker that
 * has just been forked, before it ran a line of its own. It must still
 * retire (the sender check knows the master by then): the pool ends with
 * the workers the master wants, no forgotten old one serving on.
 */
Test(supervise, reload_reaches_a_worker_just_forked)
{
	const char *const over[] = { "pool.start=2", "pool.min_spare=0",
	    "pool.max_spare=2", NULL };
	enum { ROUNDS = 10 };
	struct h_daemon d;
	int i;

	h_start(&d, 21810, 21819, over);
	cr_assert_eq(h_wait_workers(d.pid, 2, H_WAIT_MS), 0);
	for (i = 0; i < ROUNDS; i++) {
		h_signal(&d, SIGTTIN);
		h_signal(&d, SIGHUP);
		cr_assert_eq(h_log_wait(d.log, " reload config=", i + 1,
		    H_WAIT_MS), 0);
	}
	/* A reload sets the floor back to start: 2 workers, and every
	 * retired one gone. */
	cr_assert_eq(h_wait_workers(d.pid, 2, 2 * H_WAIT_MS), 0,
	    "%d workers, want 2", h_workers(d.pid, NULL, 0));
	cr_assert_eq(h_log_wait(d.log, " worker_exit ",
	    h_log_count(d.log, " worker_start ") - 2, H_WAIT_MS), 0);
}

/* The first TERM waits for the connection in flight and says so; a second
 * one stops at once, as people expect of a server in the foreground. */
Test(supervise, second_interrupt_stops_at_once)
{
	const char *const over[] = { "pool.graceful_timeout=60", NULL };
	struct h_daemon d;
	long t0;
	int fd, status;

	h_start(&d, 21820, 21829, over);
	fd = h_connect(d.port);
	cr_assert_eq(h_echo(fd, "held\n", H_WAIT_MS), 0);
	h_signal(&d, SIGINT);
	t0 = h_now_ms();
	while (strstr(d.err, "waiting for") == NULL &&
	    h_now_ms() - t0 < H_WAIT_MS)
		h_read_output(&d, 50);
	cr_assert(strstr(d.err, "sockbind: stopping: waiting for 1 "
	    "connection, at most 60 s; interrupt again to stop now") != NULL,
	    "%s", d.err);
	h_signal(&d, SIGINT);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d",
	    status);
	cr_assert_eq(h_log_count(d.log, "mode=immediate"), 1);
	close(fd);
}

/* The master killed: its workers close the listening socket the moment
 * they learn it, so that a new sockbind can bind the port at once. */
Test(supervise, master_death_frees_the_port)
{
	struct sockaddr_in sin;
	struct h_daemon d;
	long t0;
	int fd, s, bound = -1;

	h_start(&d, 21830, 21830, NULL);
	fd = h_connect(d.port);
	cr_assert_eq(h_echo(fd, "busy one\n", H_WAIT_MS), 0);
	h_signal(&d, SIGKILL);
	t0 = h_now_ms();
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(d.port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	while (bound == -1 && h_now_ms() - t0 < 2000) {
		s = socket(AF_INET, SOCK_STREAM, 0);
		cr_assert_geq(s, 0);
		setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 },
		    sizeof(int));
		bound = bind(s, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
		    listen(s, 1) == 0 ? 0 : -1;
		close(s);
		if (bound == -1)
			h_pause_ms(2);
	}
	cr_assert_eq(bound, 0, "port %d still held", d.port);
	close(fd);
}
