/*
 * test_elastic.c -- the pool grows as connections wait, and under stress the
 * quietest clients are let go so that nobody is starved. Port ranges
 * 24000-24099.
 */
#include <sys/socket.h>

#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

TestSuite(elastic, .fini = h_cleanup, .timeout = 90);

/* Wait until fd has something to read (or was closed): 1, or 0 by ms. */
static int
e_readable(int fd, int ms)
{
	struct pollfd pfd = { fd, POLLIN, 0 };

	return poll(&pfd, 1, ms) == 1;
}

/* Send msg on a raw line service and expect want back: 0, or -1. */
static int
e_ask(int fd, const char *msg, const char *want)
{
	size_t len = strlen(want);
	char buf[256];

	if (h_send(fd, msg, strlen(msg)) == -1 ||
	    h_recv_exact(fd, buf, len, H_WAIT_MS) != (ssize_t)len)
		return -1;
	return memcmp(buf, want, len) == 0 ? 0 : -1;
}

static int
e_wait_gone(pid_t pid)
{
	long deadline = h_now_ms() + H_WAIT_MS;

	while (!h_gone(pid) && h_now_ms() < deadline)
		h_pause_ms(2);
	return h_gone(pid) ? 0 : -1;
}

/*
 * A burst of clients that all connect at once and keep their connection:
 * each one is served, by a worker of its own forked for it, and the pool
 * does not grow past the connections.
 */
Test(elastic, burst_is_served_by_workers_forked_on_demand)
{
	const char *const over[] = { "server.service=echo", "pool.start=4",
	    "pool.min_spare=2", "pool.max_workers=256", "limits.per_source=0",
	    NULL };
	enum { BURST = 100, START = 4 };
	static int fd[BURST];
	struct h_daemon d;
	char buf[8];
	int i, started, on_demand;

	h_start(&d, 24000, 24009, over);
	cr_assert_eq(h_wait_workers(d.pid, START, H_WAIT_MS), 0);
	for (i = 0; i < BURST; i++) {
		fd[i] = h_connect(d.port);
		cr_assert_geq(fd[i], 0, "connection %d", i);
	}
	for (i = 0; i < BURST; i++)
		cr_assert_eq(h_send(fd[i], "hi\n", 3), 0);
	for (i = 0; i < BURST; i++) {
		cr_assert_eq(h_recv_exact(fd[i], buf, 3, 2 * H_WAIT_MS), 3,
		    "client %d not served", i);
		cr_assert_eq(memcmp(buf, "hi\n", 3), 0);
	}
	/* Every connection held has its worker; none more than needed. */
	started = h_log_count(d.log, " worker_start ");
	on_demand = h_log_count(d.log, " on_demand=yes");
	cr_assert_geq(started, BURST, "%d workers for %d clients", started,
	    BURST);
	cr_assert_leq(started, BURST + START, "%d workers for %d clients",
	    started, BURST);
	cr_assert_geq(on_demand, BURST - START, "%d forked on demand",
	    on_demand);
	for (i = 0; i < BURST; i++)
		close(fd[i]);
	/* And it shrinks back once they are gone. */
	cr_assert_eq(h_log_wait(d.log, "reason=spare", 1, 3 * H_WAIT_MS), 0);
}

/*
 * The lab's demonstration: five students at the same moment, simulated
 * work on each message. With the default pool (four workers at start) the
 * fifth gets a worker of its own at once: all five answers come after one
 * delay, not one after another.
 */
Test(elastic, five_simultaneous_mirror_clients_are_served_together)
{
	const char *const over[] = { "server.service=mirror", "pool.start=4",
	    "pool.min_spare=2", "pool.max_workers=256",
	    "mirror.delay_ms=1500", "mirror.signature=", NULL };
	enum { CLIENTS = 5, DELAY = 1500 };
	struct h_daemon d;
	char buf[16];
	long t0, took[CLIENTS];
	int fd[CLIENTS], i;

	h_start(&d, 24010, 24019, over);
	cr_assert_eq(h_log_wait(d.log, " worker_start ", 4, H_WAIT_MS), 0);
	for (i = 0; i < CLIENTS; i++)
		cr_assert_geq(fd[i] = h_connect(d.port), 0);
	t0 = h_now_ms();
	for (i = 0; i < CLIENTS; i++)
		cr_assert_eq(h_send(fd[i], "abc\n", 4), 0);
	for (i = 0; i < CLIENTS; i++) {
		cr_assert_eq(h_recv_exact(fd[i], buf, 4, 4 * DELAY), 4,
		    "client %d: no reply", i);
		cr_assert_eq(memcmp(buf, "cba\n", 4), 0);
		took[i] = h_now_ms() - t0;
	}
	/* A sequential server would answer the fifth after five delays; a
	 * pool that grows by the second, after two. */
	for (i = 0; i < CLIENTS; i++)
		cr_assert_lt(took[i], 2 * DELAY, "client %d answered after %ld "
		    "ms", i, took[i]);
	cr_assert_geq(h_log_count(d.log, " on_demand=yes"), 1);
	for (i = 0; i < CLIENTS; i++)
		close(fd[i]);
}

/* min_spare = 0 does not freeze the pool: the demand alone grows it. */
Test(elastic, min_spare_zero_still_grows)
{
	const char *const over[] = { "server.service=echo", "pool.start=1",
	    "pool.min_spare=0", "pool.max_spare=1", NULL };
	struct h_daemon d;
	int fd[3], i;

	h_start(&d, 24020, 24029, over);
	for (i = 0; i < 3; i++)
		cr_assert_geq(fd[i] = h_connect(d.port), 0);
	for (i = 0; i < 3; i++)
		cr_assert_eq(h_echo(fd[i], "x\n", H_WAIT_MS), 0,
		    "client %d not served", i);
	for (i = 0; i < 3; i++)
		close(fd[i]);
}

/* Hold n session connections from src, all greeted. */
static void
e_hold(int *fd, int n, const char *src, int port)
{
	int i;

	for (i = 0; i < n; i++)
		fd[i] = h_session_connect(src, port, H_WAIT_MS);
}

/*
 * Every worker busy with idle clients of one address, and another address
 * connects: the server is under stress, lets the quietest client go with
 * the session's own words, serves the newcomer, says so in STATUS and in
 * the log (one record at each end), and leaves the others alone.
 */
Test(elastic, stress_lets_the_quietest_go)
{
	const char *const over[] = { "server.service=session",
	    "pool.start=4", "pool.max_workers=4", "limits.per_source=0",
	    "limits.stress_idle_timeout=30", NULL };
	enum { POOL = 4 };
	struct h_daemon d;
	char reply[4096];
	int held[POOL], other, i;

	h_start(&d, 24030, 24039, over);
	e_hold(held, POOL, "127.0.0.2", d.port);
	/* All but the first have spoken since: the first is the quietest. */
	for (i = 1; i < POOL; i++)
		h_session_expect(held[i], "ECHO busy", "OK busy", H_WAIT_MS);
	other = h_connect_from("127.0.0.3", d.port);
	cr_assert_geq(other, 0);
	cr_assert_geq(h_frame_recv(other, reply, sizeof(reply), H_WAIT_MS), 0,
	    "the newcomer was not served");
	cr_assert(strncmp(reply, "OK sockbind ", 12) == 0, "%s", reply);
	h_session_ask(other, "STATUS", reply, sizeof(reply), H_WAIT_MS);
	cr_assert(strstr(reply, " stress=on ") != NULL, "%s", reply);

	/* The quietest was told why, then closed; the others still work. */
	cr_assert_geq(h_frame_recv(held[0], reply, sizeof(reply), H_WAIT_MS),
	    0);
	cr_assert_str_eq(reply, "ERR 503 server busy: idle connection let go");
	for (i = 1; i < POOL; i++)
		h_session_expect(held[i], "ECHO still", "OK still", H_WAIT_MS);
	cr_assert_eq(h_log_count(d.log, " stress_begin "), 1);
	cr_assert_eq(h_log_count(d.log, "reason=\"let go: server under "
	    "stress\""), 1);
	cr_assert_eq(h_log_count(d.log, " stress_warning "), 1);

	/* Once nothing waits and a worker is idle again, stress ends. */
	close(other);
	cr_assert_eq(h_log_wait(d.log, " stress_end ", 1, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, " stress_end duration_ms="), 1);
	cr_assert_eq(h_log_count(d.log, " let_go=1 "), 1);
	close(held[0]);
	for (i = 1; i < POOL; i++)
		close(held[i]);
}

/* Under stress the idle limit drops to stress_idle_timeout for everyone:
 * a raw line service says so in its own words. */
Test(elastic, stress_idle_timeout_applies_to_every_client)
{
	const char *const over[] = { "server.service=mirror",
	    "pool.start=2", "pool.max_workers=2", "limits.per_source=0",
	    "limits.stress_idle_timeout=2", "mirror.signature=", NULL };
	struct h_daemon d;
	char buf[128];
	int held[2], other, i;
	ssize_t n;

	h_start(&d, 24040, 24049, over);
	for (i = 0; i < 2; i++) {
		cr_assert_geq(held[i] = h_connect_from("127.0.0.2", d.port), 0);
		cr_assert_eq(e_ask(held[i], "ab\n", "ba\n"), 0);
	}
	other = h_connect_from("127.0.0.3", d.port);
	cr_assert_eq(e_ask(other, "xy\n", "yx\n"), 0,
	    "the newcomer was not served");
	/* Each held client is let go, quietest first, or cut by the
	 * stress idle limit: either way with an ERR line that says why. */
	for (i = 0; i < 2; i++) {
		cr_assert(e_readable(held[i], 3 * H_WAIT_MS), "held %d", i);
		n = recv(held[i], buf, sizeof(buf) - 1, 0);
		cr_assert_gt(n, 0);
		buf[n] = '\0';
		cr_assert(strncmp(buf, "ERR busy: let go: server under stress\n",
		    n) == 0 || strcmp(buf, "ERR timeout: idle timeout (server "
		    "under stress)\n") == 0, "held %d: %s", i, buf);
	}
	close(other);
	for (i = 0; i < 2; i++)
		close(held[i]);
}

/* stress_idle_timeout = 0: no stress mode; a full pool makes the newcomer
 * wait its turn, nobody is let go. */
Test(elastic, stress_off_lets_nobody_go)
{
	const char *const over[] = { "server.service=session",
	    "pool.start=2", "pool.max_workers=2", "limits.per_source=0",
	    "limits.stress_idle_timeout=0", NULL };
	struct h_daemon d;
	char reply[256];
	int held[2], other, i;

	h_start(&d, 24050, 24059, over);
	e_hold(held, 2, "127.0.0.2", d.port);
	other = h_connect_from("127.0.0.3", d.port);
	cr_assert_geq(other, 0);
	/* Past the quiet second after which stress would let one go. */
	cr_assert_eq(e_readable(other, 2500), 0, "served with a full pool");
	for (i = 0; i < 2; i++)
		cr_assert_eq(e_readable(held[i], 0), 0, "held %d let go", i);
	/* Its turn comes when a client leaves. */
	h_session_expect(held[0], "QUIT", "OK", H_WAIT_MS);
	close(held[0]);
	cr_assert_geq(h_frame_recv(other, reply, sizeof(reply), H_WAIT_MS), 0);
	cr_assert(strncmp(reply, "OK sockbind ", 12) == 0, "%s", reply);
	cr_assert_eq(h_log_count(d.log, "stress_begin"), 0);
	close(held[1]);
	close(other);
}

/* A client that sends but never reads: the server's send stops making
 * progress, and send_timeout ends the connection long before idle_timeout. */
Test(elastic, send_timeout_ends_a_client_that_reads_nothing)
{
	const char *const over[] = { "server.service=echo",
	    "limits.send_timeout=1", "limits.idle_timeout=300", NULL };
	static char chunk[65536];
	struct h_daemon d;
	int fd, rcv = 4096, i;

	h_start(&d, 24060, 24069, over);
	fd = h_connect(d.port);
	cr_assert_geq(fd, 0);
	cr_assert_eq(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv)),
	    0);
	memset(chunk, 'x', sizeof(chunk));
	/* Fill both directions' buffers; the server blocks on its echo. */
	for (i = 0; i < 64; i++)
		if (send(fd, chunk, sizeof(chunk), MSG_DONTWAIT) == -1)
			break;
	cr_assert_eq(h_log_wait(d.log, "reason=\"send timeout: the client "
	    "reads nothing\"", 1, 3 * H_WAIT_MS), 0);
	close(fd);
}

/*
 * Workers killed from outside, again and again (an operator, the OOM
 * killer), are no crash loop: each is replaced at once, and the pool never
 * stays below its floor.
 */
Test(elastic, workers_killed_from_outside_are_replaced_at_once)
{
	const char *const over[] = { "server.service=echo", "pool.start=2",
	    "pool.min_spare=0", "pool.max_spare=2", NULL };
	enum { ROUNDS = 15 };
	struct h_daemon d;
	pid_t pids[8];
	int round, n, i, fd;

	h_start(&d, 24070, 24079, over);
	for (round = 0; round < ROUNDS; round++) {
		cr_assert_eq(h_wait_workers(d.pid, 2, H_WAIT_MS), 0,
		    "round %d: pool at %d", round, h_workers(d.pid, NULL, 0));
		n = h_workers(d.pid, pids, 8);
		for (i = 0; i < n; i++)
			kill(pids[i], SIGKILL);
		for (i = 0; i < n; i++)
			cr_assert_eq(e_wait_gone(pids[i]), 0);
		/* Served right away, by a worker forked at once. */
		fd = h_connect(d.port);
		cr_assert_geq(fd, 0);
		cr_assert_eq(h_echo(fd, "up\n", 1000), 0, "round %d: no "
		    "worker within a second", round);
		close(fd);
	}
	cr_assert_eq(h_log_count(d.log, "reason=crashed"), 0);
}
