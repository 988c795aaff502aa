/*
 * test_serve.c -- serving clients: concurrency, the iterative contrast, the
 * log of a busy run, byte-exact echo, time limits, request limits.
 * Port ranges 21300-21599.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>

#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

TestSuite(serve, .fini = h_cleanup, .timeout = 60);

static int
distinct_pids(const char *log, const char *needle)
{
	char *text = h_slurp(log, NULL), *line, *save = NULL;
	int pids[64], n = 0, i, pid;

	cr_assert_not_null(text);
	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, needle) == NULL)
			continue;
		pid = atoi(strchr(line, '[') + 1);
		for (i = 0; i < n && pids[i] != pid; i++)
			;
		if (i == n && n < 64)
			pids[n++] = pid;
	}
	free(text);
	return n;
}

Test(serve, five_clients_at_once)
{
	const char *const over[] = { "pool.start=5", NULL };
	struct h_daemon d;
	char msg[32];
	int fd[5], i;

	h_start(&d, 21300, 21309, over);
	fd[0] = h_connect(d.port);
	cr_assert_eq(h_echo(fd[0], "client 0\n", H_WAIT_MS), 0);
	/* The first stays connected while the others come and are served. */
	for (i = 1; i < 5; i++) {
		fd[i] = h_connect(d.port);
		cr_assert_geq(fd[i], 0);
		snprintf(msg, sizeof(msg), "client %d\n", i);
		cr_assert_eq(h_echo(fd[i], msg, H_WAIT_MS), 0,
		    "client %d not served while the others are connected", i);
	}
	for (i = 0; i < 5; i++) {
		snprintf(msg, sizeof(msg), "again %d\n", i);
		cr_assert_eq(h_echo(fd[i], msg, H_WAIT_MS), 0);
	}
	cr_assert_eq(h_log_wait(d.log, " connect client=", 5, H_WAIT_MS), 0);
	cr_assert_eq(distinct_pids(d.log, " connect client="), 5,
	    "five connections should be five workers");
	for (i = 0; i < 5; i++)
		close(fd[i]);
}

Test(serve, pool_grows_under_load)
{
	const char *const over[] = { "pool.start=1", "pool.min_spare=1",
	    "pool.max_spare=2", "pool.max_workers=8", NULL };
	struct h_daemon d;
	int fd[6], i, n;
	long t0;

	h_start(&d, 21310, 21319, over);
	cr_assert_eq(h_wait_workers(d.pid, 1, H_WAIT_MS), 0);
	/* Six clients held open: the pool spawns until all are served. */
	for (i = 0; i < 6; i++) {
		fd[i] = h_connect(d.port);
		cr_assert_eq(h_echo(fd[i], "grow\n", 3 * H_WAIT_MS), 0,
		    "client %d never served", i);
	}
	/* Six busy, and between min_spare and max_spare idle: the burst may
	 * overshoot, and the extras above max_spare are retired. */
	t0 = h_now_ms();
	while (((n = h_workers(d.pid, NULL, 0)) < 7 || n > 8) &&
	    h_now_ms() - t0 < 4 * H_WAIT_MS)
		h_pause_ms(10);
	cr_assert(n == 7 || n == 8, "six busy and one or two spare: %d", n);
	for (i = 0; i < 6; i++)
		close(fd[i]);
	/* Idle extras above max_spare are retired, down to the floor. */
	cr_assert_eq(h_log_wait(d.log, "reason=spare", 1, 3 * H_WAIT_MS), 0);
}

Test(serve, one_worker_is_iterative)
{
	const char *const over[] = { "pool.start=1", "pool.max_workers=1",
	    "pool.min_spare=1", "pool.max_spare=1", NULL };
	struct h_daemon d;
	char buf[16], a_gone[64], b_came[64], *log, *gone, *came;
	int a, b;

	h_start(&d, 21320, 21329, over);
	a = h_connect(d.port);
	cr_assert_eq(h_echo(a, "first\n", H_WAIT_MS), 0);
	/* The kernel queues the second client, but nobody serves it... */
	b = h_connect(d.port);
	cr_assert_geq(b, 0);
	cr_assert_eq(h_send(b, "second\n", 7), 0);
	/* (the worker is still a's, after b's request went out) */
	cr_assert_eq(h_echo(a, "still first\n", H_WAIT_MS), 0);
	snprintf(a_gone, sizeof(a_gone), "disconnect client=127.0.0.1:%d ",
	    h_local_port(a));
	snprintf(b_came, sizeof(b_came), "connect client=127.0.0.1:%d ",
	    h_local_port(b));
	/* ... until the first one leaves. */
	close(a);
	cr_assert_eq(h_recv_exact(b, buf, 7, H_WAIT_MS), 7);
	cr_assert(memcmp(buf, "second\n", 7) == 0);
	/* The log tells the order, whatever the timing: b was taken only
	 * once a was gone. */
	close(b);
	cr_assert_eq(h_log_wait(d.log, b_came, 1, H_WAIT_MS), 0);
	cr_assert_not_null(log = h_slurp(d.log, NULL));
	cr_assert_not_null(gone = strstr(log, a_gone), "%s", log);
	cr_assert_not_null(came = strstr(log, b_came), "%s", log);
	cr_assert_lt(gone, came, "b served before a left:\n%s", log);
	free(log);
	cr_assert_eq(h_workers(d.pid, NULL, 0), 1);
}

#define LOAD_CLIENTS	16
#define LOAD_MESSAGES	500

static void
load_client(int port, int id)
{
	char msg[128];
	int fd, j;

	if ((fd = h_connect(port)) == -1)
		_exit(2);
	for (j = 0; j < LOAD_MESSAGES; j++) {
		/* Lengths vary so that records of every size interleave. */
		snprintf(msg, sizeof(msg), "client %02d message %03d %.*s\n",
		    id, j, (id * 7 + j) % 60,
		    "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
		if (h_echo(fd, msg, H_WAIT_MS) == -1)
			_exit(1);
	}
	close(fd);
	_exit(0);
}

/* Every recv record of client id carries its messages in order. */
static void
check_order(const char *log, int id)
{
	char *text = h_slurp(log, NULL), *line, *save = NULL, *p;
	char needle[64];
	int next = 0;

	snprintf(needle, sizeof(needle), "text=\"client %02d message ", id);
	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, " recv ") == NULL ||
		    (p = strstr(line, needle)) == NULL)
			continue;
		cr_assert_eq(atoi(p + strlen(needle)), next,
		    "client %d: message %d out of order", id, next);
		next++;
	}
	cr_assert_eq(next, LOAD_MESSAGES, "client %d: %d messages logged",
	    id, next);
	free(text);
}

Test(serve, log_of_sixteen_clients)
{
	const char *const over[] = { "pool.start=16", NULL };
	struct h_daemon d;
	pid_t kids[LOAD_CLIENTS];
	int i, status, lines, bad;

	h_start(&d, 21330, 21339, over);
	for (i = 0; i < LOAD_CLIENTS; i++) {
		kids[i] = fork();
		cr_assert_neq(kids[i], -1);
		if (kids[i] == 0)
			load_client(d.port, i);
	}
	for (i = 0; i < LOAD_CLIENTS; i++) {
		cr_assert_eq(waitpid(kids[i], &status, 0), kids[i]);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		    "client %d failed (status %d)", i, status);
	}
	h_signal(&d, SIGTERM);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	bad = h_log_bad_lines(d.log, &lines);
	cr_assert_eq(bad, 0, "%d of %d records do not parse", bad, lines);
	cr_assert_eq(h_log_count(d.log, " recv client="),
	    LOAD_CLIENTS * LOAD_MESSAGES);
	cr_assert_eq(h_log_count(d.log, " sent client="),
	    LOAD_CLIENTS * LOAD_MESSAGES);
	cr_assert_eq(h_log_count(d.log, " connect client="), LOAD_CLIENTS);
	cr_assert_eq(h_log_count(d.log, "reason=\"client closed\""),
	    LOAD_CLIENTS);
	for (i = 0; i < LOAD_CLIENTS; i++)
		check_order(d.log, i);
}

Test(serve, echo_is_byte_exact)
{
	const char *const over[] = { "log.max_message=64", NULL };
	enum { SIZE = 1 << 20 };
	struct h_daemon d;
	unsigned char *out, *in;
	pid_t writer;
	int fd, i, status;

	h_start(&d, 21340, 21349, over);
	out = malloc(SIZE);
	in = malloc(SIZE);
	/* Every byte value, NUL and invalid UTF-8 included. */
	for (i = 0; i < SIZE; i++)
		out[i] = (unsigned char)(i * 31 + (i >> 8));
	fd = h_connect(d.port);
	cr_assert_geq(fd, 0);
	writer = fork();
	if (writer == 0)
		_exit(h_send(fd, out, SIZE) == 0 &&
		    shutdown(fd, SHUT_WR) == 0 ? 0 : 1);
	cr_assert_eq(h_recv_exact(fd, in, SIZE, 4 * H_WAIT_MS), SIZE);
	cr_assert(memcmp(in, out, SIZE) == 0, "echo changed the bytes");
	cr_assert_eq(waitpid(writer, &status, 0), writer);
	cr_assert_eq(status, 0);
	close(fd);
	cr_assert_eq(h_log_wait(d.log, "bytes_in=1048576 bytes_out=1048576",
	    1, H_WAIT_MS), 0);
	/* Long messages are cut at max_message, with the marker. */
	cr_assert_gt(h_log_count(d.log, "\"...[cut "), 0);
	free(out);
	free(in);
}

Test(serve, control_bytes_cannot_forge_records)
{
	struct h_daemon d;
	const char *evil = "hi\n2026-01-01T00:00:00.000+00:00 sockbind[1] "
	    "stop signal=TERM\r\x1b[2J\xff\xfe\n";
	char *text, *line, *save = NULL;
	int fd, lines, bad;

	h_start(&d, 21350, 21359, NULL);
	fd = h_connect(d.port);
	cr_assert_eq(h_echo(fd, evil, H_WAIT_MS), 0);
	close(fd);
	cr_assert_eq(h_log_wait(d.log, " disconnect ", 1, H_WAIT_MS), 0);
	bad = h_log_bad_lines(d.log, &lines);
	cr_assert_eq(bad, 0);
	text = h_slurp(d.log, NULL);
	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save))
		cr_assert(strncmp(line, "2026-01-01T", 11) != 0,
		    "a client forged a record: %s", line);
	free(text);
	cr_assert_eq(h_log_count(d.log, "text=\"hi\\n2026-01-01T00:00:00.000"
	    "+00:00 sockbind[1] stop signal=TERM\\r\\u001b[2J\\xff\\xfe\\n\""),
	    2);
}

Test(serve, idle_timeout_disconnects)
{
	const char *const over[] = { "limits.idle_timeout=1", NULL };
	struct h_daemon d;
	char buf[8];
	long t0;
	int fd;

	h_start(&d, 21360, 21369, over);
	fd = h_connect(d.port);
	cr_assert_eq(h_echo(fd, "then silence\n", H_WAIT_MS), 0);
	t0 = h_now_ms();
	cr_assert_eq(h_recv_exact(fd, buf, 1, H_WAIT_MS), 0);
	cr_assert_lt(h_now_ms() - t0, H_WAIT_MS, "not disconnected");
	cr_assert_eq(h_log_wait(d.log, "reason=\"idle timeout\"", 1,
	    H_WAIT_MS), 0);
	close(fd);
}

Test(serve, session_timeout_disconnects)
{
	const char *const over[] = { "limits.session_timeout=1", NULL };
	struct h_daemon d;
	char buf[8];
	int fd;

	h_start(&d, 21370, 21379, over);
	fd = h_connect(d.port);
	cr_assert_eq(h_echo(fd, "short session\n", H_WAIT_MS), 0);
	cr_assert_eq(h_recv_exact(fd, buf, 1, H_WAIT_MS), 0);
	cr_assert_eq(h_log_wait(d.log, "reason=\"session timeout\"", 1,
	    H_WAIT_MS), 0);
	close(fd);
}

Test(serve, worker_recycled_after_max_requests)
{
	const char *const over[] = { "pool.start=1", "pool.max_workers=1",
	    "pool.max_requests=3", NULL };
	struct h_daemon d;
	int i, fd;

	h_start(&d, 21380, 21389, over);
	for (i = 0; i < 7; i++) {
		fd = h_connect(d.port);
		cr_assert_eq(h_echo(fd, "recycle\n", H_WAIT_MS), 0,
		    "connection %d not served", i);
		close(fd);
	}
	cr_assert_eq(h_log_wait(d.log, "reason=max_requests served=3", 2,
	    H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, "reason=exited requests=3"), 2);
	cr_assert_eq(h_wait_workers(d.pid, 1, H_WAIT_MS), 0);
}

/* How many of the sockets have something to read (or were closed). */
static int
readable(const int *fd, int n)
{
	struct pollfd pfd;
	int i, r = 0;

	for (i = 0; i < n; i++) {
		pfd.fd = fd[i];
		pfd.events = POLLIN;
		r += poll(&pfd, 1, 0) == 1;
	}
	return r;
}

Test(serve, per_source_limit_keeps_others_served)
{
	const char *const over[] = { "server.service=session",
	    "limits.per_source=20", "pool.start=8", "pool.min_spare=4",
	    "pool.max_workers=64", NULL };
	enum { HELD = 200, LIMIT = 20 };
	struct h_daemon d;
	char buf[256];
	uint32_t be;
	int fd[HELD], other, i, n;
	long t0;

	h_start(&d, 21390, 21399, over);
	for (i = 0; i < HELD; i++) {
		fd[i] = h_connect_from("127.0.0.2", d.port);
		cr_assert_geq(fd[i], 0, "connection %d", i);
	}
	/* Past the limit, each is told so and closed; the log says the
	 * first of an address's refusals and counts the others. */
	cr_assert_eq(h_log_wait(d.log, " refused client=127.0.0.2:", 1,
	    H_WAIT_MS), 0);
	t0 = h_now_ms();
	/* Greeted or refused, every one has its answer. */
	while ((n = readable(fd, HELD)) < HELD &&
	    h_now_ms() - t0 < 6 * H_WAIT_MS)
		h_pause_ms(20);
	cr_assert_eq(n, HELD, "%d answered", n);
	/* Another machine is served at once. */
	t0 = h_now_ms();
	other = h_connect_from("127.0.0.3", d.port);
	cr_assert_geq(other, 0);
	cr_assert_eq(h_recv_exact(other, &be, 4, 1000), 4,
	    "127.0.0.3 not greeted within a second");
	n = (int)ntohl(be);
	cr_assert_eq(h_recv_exact(other, buf, n, 1000), n);
	cr_assert_lt(h_now_ms() - t0, 1000);
	/* The refused ones got the reason, in a frame. */
	for (i = 0, n = 0; i < HELD; i++) {
		uint32_t len;

		if (h_recv_exact(fd[i], &be, 4, 100) != 4)
			continue;
		len = ntohl(be);
		if (len < sizeof(buf) && h_recv_exact(fd[i], buf, len, 100) ==
		    (ssize_t)len) {
			buf[len] = '\0';
			n += strncmp(buf, "ERR 421 too many connections from "
			    "127.0.0.2", 43) == 0;
		}
	}
	cr_assert_eq(n, HELD - LIMIT, "%d refusals received", n);
	/* Not a record each: at most one per worker within the window. */
	n = h_log_count(d.log, " refused client=127.0.0.2:");
	cr_assert(n >= 1 && n <= 64, "%d refusal records", n);
	for (i = 0; i < HELD; i++)
		close(fd[i]);
	close(other);
}
