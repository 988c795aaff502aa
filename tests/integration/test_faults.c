/*
 * test_faults.c -- faults and hostile clients: workers killed under load,
 * the store locked by another process, a slow sender, a client that never
 * reads. Port ranges 23000-23099.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

TestSuite(faults, .fini = h_cleanup, .timeout = 60);

/* --- /proc: descriptors, zombies, titles ------------------------------ */

static int
fd_count(pid_t pid)
{
	char path[64];
	struct dirent *de;
	DIR *dir;
	int n = 0;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((dir = opendir(path)) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL)
		n += de->d_name[0] != '.';
	closedir(dir);
	return n;
}

/* Children of master in state Z (h_workers() counts the live ones). */
static int
zombies(pid_t master)
{
	char path[64], buf[512], *p;
	struct dirent *de;
	ssize_t len;
	DIR *dir;
	int n = 0, fd, pid;

	cr_assert_not_null(dir = opendir("/proc"));
	while ((de = readdir(dir)) != NULL) {
		if ((pid = atoi(de->d_name)) <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		if ((fd = open(path, O_RDONLY)) == -1)
			continue;
		len = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		if (len <= 0)
			continue;
		buf[len] = '\0';
		if ((p = strrchr(buf, ')')) != NULL && p[2] == 'Z' &&
		    atoi(p + 4) == (int)master)
			n++;
	}
	closedir(dir);
	return n;
}

/* The process title, as ps shows it. */
static int
title(pid_t pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

/* An idle worker of master (its title says so), or 0. */
static pid_t
idle_worker(pid_t master)
{
	pid_t pids[64];
	char t[256];
	int n, i;

	n = h_workers(master, pids, 64);
	for (i = 0; i < n && i < 64; i++)
		if (title(pids[i], t, sizeof(t)) == 0 &&
		    strcmp(t, "sockbind: worker idle") == 0)
			return pids[i];
	return 0;
}

/* --- 20 clients while workers are killed ------------------------------ */

#define F_CLIENTS	20
#define F_TARGETS	10	/* clients 0-9: their workers are killed */
#define F_WARM_MS	1000
#define F_RUN_MS	10000
#define F_KILL_MS	100
#define F_ROUND_MS	1	/* pace of each client's round trips */
#define F_REPLY_MS	4000	/* a respawn or a backlog takes far less */
#define F_POOL		40
#define F_SEEN_MAX	4096	/* workers the killer keeps track of */

struct f_client {
	int	port;		/* local port of the current connection */
	long	rounds;		/* replies that came back whole and right */
	long	hits;		/* connections that ended under a request */
	long	lost;		/* requests with no reply and no end */
	long	wrong;		/* replies with a wrong byte */
	long	connects;
	int	done;
};

/*
 * Read exactly len bytes within ms: len, or fewer with *ended set when the
 * connection ended (EOF or reset) and not set when time ran out.
 */
static ssize_t
f_recv(int fd, char *buf, size_t len, int ms, int *ended)
{
	long deadline = h_now_ms() + ms;
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t got = 0;
	ssize_t n;
	int left;

	*ended = 0;
	while (got < len) {
		if ((left = (int)(deadline - h_now_ms())) <= 0)
			break;
		if (poll(&pfd, 1, left) <= 0)
			continue;
		n = recv(fd, buf + got, len - got, 0);
		if (n <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			*ended = 1;
			break;
		}
		got += n;
	}
	return (ssize_t)got;
}

/* One client: echo round trips until the run ends, reconnecting when its
 * worker is killed. Runs in a child process; results in shared memory. */
static void
f_client_run(int port, int id, long until, struct f_client *me)
{
	char msg[64], buf[64];
	ssize_t n;
	size_t len;
	int fd = -1, ended;
	long k = 0, next = h_now_ms();

	while (h_now_ms() < until) {
		/* A round trip a millisecond at most: load, not a CPU hog
		 * that would slow down the tests running alongside. */
		if (h_now_ms() < next)
			h_pause_ms((int)(next - h_now_ms()));
		next += F_ROUND_MS;
		if (fd == -1) {
			if ((fd = h_connect(port)) == -1) {
				me->lost++;
				h_pause_ms(10);
				continue;
			}
			me->port = h_local_port(fd);
			me->connects++;
		}
		len = (size_t)snprintf(msg, sizeof(msg), "client %d round %ld\n",
		    id, k++);
		if (h_send(fd, msg, len) == -1) {
			me->hits++;
			close(fd);
			fd = -1;
			continue;
		}
		n = f_recv(fd, buf, len, F_REPLY_MS, &ended);
		if (n == (ssize_t)len) {
			if (memcmp(buf, msg, len) == 0)
				me->rounds++;
			else
				me->wrong++;
			continue;
		}
		if (n > 0 && memcmp(buf, msg, n) != 0)
			me->wrong++;
		if (ended)
			me->hits++;
		else
			me->lost++;
		close(fd);
		fd = -1;
	}
	if (fd != -1)
		close(fd);
	me->done = 1;
}

/* A pid the killer has seen, and since when. */
struct f_seen {
	pid_t	pid;
	long	since;
};

/*
 * Kill one worker serving a target client or, when none qualifies, an idle
 * one; never one serving a bystander, and never one younger than a second
 * in our sight: that would count as a rapid death (or a failure at start),
 * and the master's crash-loop throttle, tested elsewhere, would slow the
 * respawns down. Returns the pid killed, or 0 when none qualified.
 */
/* How long pid has been in our sight, noting it the first time. */
static long
f_age(pid_t pid, long now, struct f_seen *seen, int *nseen)
{
	int j;

	for (j = 0; j < *nseen && seen[j].pid != pid; j++)
		;
	if (j == *nseen) {
		if (*nseen == F_SEEN_MAX)
			return 0;
		seen[j].pid = pid;
		seen[j].since = now;
		(*nseen)++;
	}
	return now - seen[j].since;
}

static pid_t
f_kill_one(pid_t master, struct f_client *cl, struct f_seen *seen,
    int *nseen)
{
	pid_t pids[128], cand[128], idle[128];
	char t[256], *colon;
	long now = h_now_ms();
	int n, i, c, ncand = 0, nidle = 0, port;

	n = h_workers(master, pids, 128);
	for (i = 0; i < n && i < 128; i++) {
		if (f_age(pids[i], now, seen, nseen) < 1000)
			continue;
		if (title(pids[i], t, sizeof(t)) == -1)
			continue;
		if (strcmp(t, "sockbind: worker idle") == 0)
			idle[nidle++] = pids[i];
		/* "sockbind: worker 127.0.0.1:PORT echo" */
		if (strncmp(t, "sockbind: worker 127.0.0.1:", 27) != 0 ||
		    (colon = strchr(t + 17, ':')) == NULL)
			continue;
		port = atoi(colon + 1);
		for (c = 0; c < F_TARGETS; c++)
			if (cl[c].port == port)
				cand[ncand++] = pids[i];
	}
	if (ncand == 0) {
		memcpy(cand, idle, sizeof(*idle) * nidle);
		ncand = nidle;
	}
	if (ncand == 0)
		return 0;
	i = (int)(random() % ncand);
	return kill(cand[i], SIGKILL) == 0 ? cand[i] : 0;
}

Test(faults, workers_killed_under_load)
{
	const char *const over[] = { "pool.start=40", "pool.min_spare=2",
	    "pool.max_spare=40", "pool.max_workers=64",
	    "limits.idle_timeout=30", NULL };
	struct f_seen *seen;
	struct f_client *cl;
	struct h_daemon d;
	pid_t kids[F_CLIENTS], pids[128], w;
	long t0, until, next;
	long rounds = 0, hits = 0, lost = 0, wrong = 0, connects = 0;
	int i, n, status, kills = 0, skipped = 0, nseen = 0, lines, bad;
	int master_fds, worker_fds, after_fds, after_worker_fds;

	h_start(&d, 23000, 23009, over);
	cr_assert_eq(h_wait_workers(d.pid, F_POOL, H_WAIT_MS), 0);
	cr_assert_eq(h_log_wait(d.log, "worker_start", F_POOL, H_WAIT_MS), 0);
	master_fds = fd_count(d.pid);
	cr_assert_gt(w = idle_worker(d.pid), 0);
	worker_fds = fd_count(w);
	cr_assert_gt(master_fds, 0);
	cr_assert_gt(worker_fds, 0);

	cl = mmap(NULL, sizeof(*cl) * F_CLIENTS, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(cl, MAP_FAILED);
	memset(cl, 0, sizeof(*cl) * F_CLIENTS);
	cr_assert_not_null(seen = calloc(F_SEEN_MAX, sizeof(*seen)));

	/* The clients get a second to settle in, so that every worker is a
	 * second old when the killing starts; then ten seconds of it. */
	t0 = h_now_ms();
	n = h_workers(d.pid, pids, 128);
	for (i = 0; i < n && i < 128; i++)
		f_age(pids[i], t0, seen, &nseen);
	until = t0 + F_WARM_MS + F_RUN_MS;
	for (i = 0; i < F_CLIENTS; i++) {
		kids[i] = fork();
		cr_assert_neq(kids[i], -1);
		if (kids[i] == 0) {
			f_client_run(d.port, i, until, &cl[i]);
			_exit(0);
		}
	}
	/* The killer: one worker every 100 ms, by a monotonic clock. */
	srandom((unsigned)t0);
	for (next = t0 + F_WARM_MS; next < until; next += F_KILL_MS) {
		while (h_now_ms() < next)
			h_pause_ms((int)(next - h_now_ms()));
		if (f_kill_one(d.pid, cl, seen, &nseen) > 0)
			kills++;
		else
			skipped++;
	}
	/* Every client stops by itself at `until`; give them a bound. */
	for (i = 0; i < F_CLIENTS; i++) {
		long deadline = until + F_REPLY_MS + 2000;

		while (waitpid(kids[i], &status, WNOHANG) == 0 &&
		    h_now_ms() < deadline)
			h_pause_ms(10);
		if (waitpid(kids[i], &status, WNOHANG) == 0) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], &status, 0);
		}
	}

	for (i = 0; i < F_CLIENTS; i++) {
		cr_log_info("client %2d: %s rounds=%ld hits=%ld lost=%ld "
		    "wrong=%ld connects=%ld", i, i < F_TARGETS ? "target " :
		    "bystander", cl[i].rounds, cl[i].hits, cl[i].lost,
		    cl[i].wrong, cl[i].connects);
		cr_expect(cl[i].done, "client %d did not finish", i);
		cr_expect_eq(cl[i].wrong, 0, "client %d got wrong bytes", i);
		cr_expect_eq(cl[i].lost, 0, "client %d lost replies", i);
		cr_expect_gt(cl[i].rounds, 0, "client %d got nothing", i);
		if (i >= F_TARGETS) {
			/* Never on a killed worker: not one hit. */
			cr_expect_eq(cl[i].hits, 0, "bystander %d hit", i);
			cr_expect_eq(cl[i].connects, 1, "bystander %d "
			    "reconnected", i);
		}
		rounds += cl[i].rounds;
		hits += cl[i].hits;
		lost += cl[i].lost;
		wrong += cl[i].wrong;
		connects += cl[i].connects;
	}
	cr_log_info("faults: %d kills (%d ticks with no victim), %ld round "
	    "trips, %ld hits, %ld connections, %ld lost, %ld wrong", kills,
	    skipped, rounds, hits, connects, lost, wrong);
	cr_assert_geq(kills, 95, "only %d kills in %d ticks", kills,
	    kills + skipped);
	cr_assert_gt(hits, 0);
	cr_assert_eq(lost + wrong, 0);

	/* Afterwards: every kill seen by the master, the pool back to size,
	 * no zombie, no descriptor more than before, the log whole. */
	cr_assert_eq(h_log_wait(d.log, "signal=KILL reason=died", kills,
	    H_WAIT_MS), 0, "%d kills, %d logged", kills,
	    h_log_count(d.log, "signal=KILL reason=died"));
	cr_assert_eq(h_wait_workers(d.pid, F_POOL, H_WAIT_MS), 0,
	    "pool at %d, not %d", h_workers(d.pid, NULL, 0), F_POOL);
	t0 = h_now_ms();
	while (zombies(d.pid) > 0 && h_now_ms() - t0 < H_WAIT_MS)
		h_pause_ms(10);
	cr_assert_eq(zombies(d.pid), 0, "zombies left");
	after_fds = fd_count(d.pid);
	cr_assert_eq(after_fds, master_fds, "master: %d descriptors, %d "
	    "before", after_fds, master_fds);
	/* A worker that served through the storm holds what a new one did. */
	t0 = h_now_ms();
	while ((w = idle_worker(d.pid)) == 0 && h_now_ms() - t0 < H_WAIT_MS)
		h_pause_ms(10);
	cr_assert_gt(w, 0);
	after_worker_fds = fd_count(w);
	cr_assert_eq(after_worker_fds, worker_fds, "worker: %d descriptors, "
	    "%d before", after_worker_fds, worker_fds);
	bad = h_log_bad_lines(d.log, &lines);
	cr_assert_eq(bad, 0, "%d torn or bad records of %d", bad, lines);
	cr_log_info("faults: afterwards %d workers, no zombie, %d descriptors "
	    "in the master and %d in an idle worker as before, %d records "
	    "all whole", F_POOL, after_fds, after_worker_fds, lines);
	cr_assert_eq(h_log_count(d.log, " fatal "), 0);
	munmap(cl, sizeof(*cl) * F_CLIENTS);
	free(seen);
}

/* --- the store locked by another process ------------------------------ */

Test(faults, store_locked_gives_500_and_echo_goes_on)
{
	/* worker_timeout under the store's 5 s: a worker waiting for the
	 * store beats its heart, it is not taken for stuck. */
	const char *const over[] = { "server.service=session",
	    "pool.start=3", "pool.worker_timeout=2", NULL };
	struct h_daemon d;
	char db_path[PATH_MAX];
	sqlite3 *db;
	int a, b, lines;

	h_start(&d, 23010, 23019, over);
	a = h_session_connect(NULL, d.port, H_WAIT_MS);
	b = h_session_connect(NULL, d.port, H_WAIT_MS);
	h_session_expect(a, "REGISTER before correct horse",
	    "OK registered before",
	    H_WAIT_MS);

	/* Another process takes the write lock and keeps it past the
	 * daemon's busy timeout (5 s). */
	snprintf(db_path, sizeof(db_path), "%s/sockbind.db", d.dir);
	cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
	    SQLITE_OK, "%s", sqlite3_errmsg(db));

	h_session_store_stuck(a, b, "REGISTER during correct horse");

	/* Once the lock is gone, the store works again. */
	cr_assert_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_close(db), SQLITE_OK);
	h_session_expect(a, "REGISTER during correct horse",
	    "OK registered during",
	    H_WAIT_MS);
	h_session_expect(b, "LOGIN before wrong horse!",
	    "ERR 430 wrong user name or "
	    "password", H_WAIT_MS);
	h_session_expect(a, "QUIT", "OK", H_WAIT_MS);
	close(a);
	close(b);

	cr_assert_eq(h_log_count(d.log, "result=store_error"), 1);
	cr_assert_eq(h_log_count(d.log, "worker_exit"), 0, "a worker died");
	cr_assert_eq(h_log_bad_lines(d.log, &lines), 0);
}

/* A graceful stop while a worker waits for the locked store: the wait
 * gives up by graceful_timeout, the client is told, the worker exits by
 * itself (not killed). */
Test(faults, stop_while_waiting_for_the_store)
{
	const char *const over[] = { "server.service=session",
	    "pool.graceful_timeout=1", NULL };
	struct h_daemon d;
	char db_path[PATH_MAX], buf[256];
	sqlite3 *db;
	int a, status;

	h_start(&d, 22760, 22769, over);
	a = h_session_connect(NULL, d.port, H_WAIT_MS);
	snprintf(db_path, sizeof(db_path), "%s/sockbind.db", d.dir);
	cr_assert_eq(sqlite3_open(db_path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "BEGIN EXCLUSIVE", NULL, NULL, NULL),
	    SQLITE_OK, "%s", sqlite3_errmsg(db));
	h_frame_send_text(a, "REGISTER zed correct horse");
	cr_assert_eq(h_log_wait(d.log, "REGISTER zed [secret]", 1, H_WAIT_MS),
	    0);
	h_signal(&d, SIGTERM);
	cr_assert_geq(h_frame_recv(a, buf, sizeof(buf), 3 * H_WAIT_MS), 0,
	    "no reply");
	cr_assert_str_eq(buf, "ERR 500 the store failed");
	cr_assert_geq(h_frame_recv(a, buf, sizeof(buf), 3 * H_WAIT_MS), 0);
	cr_assert_str_eq(buf, "ERR 503 server shutting down");
	status = h_wait_exit(&d, 3 * H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(h_log_count(d.log, "stop_kill"), 0, "a worker was killed");
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	close(a);
}

/* --- slow senders and clients that never read ------------------------- */

Test(faults, slow_sender_kept_by_idle_cut_by_session_timeout)
{
	const char *const over[] = { "server.service=session",
	    "limits.idle_timeout=1", "limits.session_timeout=2", NULL };
	static const char frame[] = "\0\0\0\x0e" "ECHO slow loris";
	struct h_daemon d;
	char buf[256], needle[96];
	long t0, next, took;
	size_t sent = 0;
	int fd, r;

	h_start(&d, 23020, 23029, over);
	fd = h_session_connect(NULL, d.port, H_WAIT_MS);
	t0 = h_now_ms();
	/* One byte every 600 ms: never idle for 1 s, never a whole frame
	 * before the session's 2 s are up. */
	for (next = t0 + 600; sent < sizeof(frame) - 1 && next - t0 < 4000;
	    next += 600) {
		struct pollfd pfd = { fd, POLLIN, 0 };

		if (h_send(fd, frame + sent, 1) == -1)
			break;
		sent++;
		/* Until the next byte is due, wait for the server's last
		 * word: an ERR 408 frame. */
		if (poll(&pfd, 1, (int)(next - h_now_ms())) == 1)
			break;
	}
	took = h_now_ms() - t0;
	r = h_frame_recv(fd, buf, sizeof(buf), H_WAIT_MS);
	cr_assert_geq(r, 0, "no ERR 408 frame");
	cr_assert_str_eq(buf, "ERR 408 timeout: session time is up");
	/* It outlived the idle limit, and went at the session limit. */
	cr_assert_geq(sent, 3, "cut after %zu bytes", sent);
	cr_assert(took >= 1900 && took < 3000, "cut after %ld ms", took);
	cr_assert_eq(h_recv_exact(fd, buf, 1, H_WAIT_MS), 0);
	snprintf(needle, sizeof(needle), "client=127.0.0.1:%d reason=\"session "
	    "timeout\"", h_local_port(fd));
	cr_assert_eq(h_log_wait(d.log, needle, 1, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, "reason=\"idle timeout\""), 0);
	cr_log_info("slow sender: %zu bytes, ERR 408 after %ld ms", sent,
	    took);
	close(fd);
}

Test(faults, never_reading_client_freed_by_idle_timeout)
{
	/* One worker: the second client is served only once the first
	 * one's worker is free again. */
	const char *const over[] = { "pool.start=1", "pool.min_spare=0",
	    "pool.max_spare=1", "pool.max_workers=1",
	    "limits.idle_timeout=1", NULL };
	struct h_daemon d;
	char chunk[4096], needle[96];
	int a, b, rcvbuf = 4096, port_a;
	size_t pushed = 0;
	long t0, t_full, took;
	ssize_t n;

	h_start(&d, 23030, 23039, over);
	cr_assert_eq(h_wait_workers(d.pid, 1, H_WAIT_MS), 0);
	/* A small receive buffer, set before connecting: the worker's
	 * echo fills it and its own send buffer, then blocks. */
	a = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(a, 0);
	cr_assert_eq(setsockopt(a, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf)), 0);
	{
		struct sockaddr_in sin = { .sin_family = AF_INET,
		    .sin_port = htons(d.port) };

		inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
		cr_assert_eq(connect(a, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
	}
	port_a = h_local_port(a);
	memset(chunk, 'x', sizeof(chunk));
	/* Send until nothing more goes in for 300 ms: both directions are
	 * full, the worker is stuck writing to us. Bounded at 64 MiB. */
	t0 = h_now_ms();
	while (pushed < (64u << 20)) {
		struct pollfd pfd = { a, POLLOUT, 0 };

		if (poll(&pfd, 1, 300) != 1)
			break;
		n = send(a, chunk, sizeof(chunk), MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n <= 0)
			break;
		pushed += n;
	}
	cr_assert_gt(pushed, 0);
	t_full = h_now_ms();

	/* The second client waits for the one worker: served once the idle
	 * timeout has freed it (no byte moved either way for 1 s). */
	b = h_connect(d.port);
	cr_assert_geq(b, 0);
	cr_assert_eq(h_echo(b, "am I served?\n", 3 * H_WAIT_MS), 0,
	    "the worker stayed stuck on a client that never reads");
	/* Not before an idle second was up (the worker was stuck), and
	 * soon after. */
	took = h_now_ms() - t_full;
	cr_assert_geq(h_now_ms() - t0, 1000, "served while a was connected");
	cr_assert_lt(took, 3000, "freed %ld ms after the buffers filled",
	    took);
	cr_log_info("never-reading client: %zu bytes pushed in %ld ms, worker "
	    "freed %ld ms later", pushed, t_full - t0, took);
	snprintf(needle, sizeof(needle), "client=127.0.0.1:%d reason=\"idle "
	    "timeout\"", port_a);
	cr_assert_eq(h_log_wait(d.log, needle, 1, H_WAIT_MS), 0);
	cr_assert_eq(h_workers(d.pid, NULL, 0), 1);
	cr_assert_eq(h_log_count(d.log, "worker_exit"), 0, "a worker died");
	close(a);
	close(b);
}

/* A flood beyond max_workers waits in the backlog and is served in turn:
 * no crash, no more workers than allowed, no descriptor or process left. */
Test(faults, flood_beyond_max_workers_waits_its_turn)
{
	const char *const over[] = { "pool.start=2", "pool.min_spare=1",
	    "pool.max_spare=2", "pool.max_workers=4", "limits.per_source=0",
	    NULL };
	enum { FLOOD = 60 };
	struct h_daemon d;
	char msg[32], buf[32];
	int fd[FLOOD], i, before, most = 0, n;
	long t0;

	h_start(&d, 23080, 23089, over);
	cr_assert_eq(h_wait_workers(d.pid, 2, H_WAIT_MS), 0);
	before = fd_count(d.pid);
	for (i = 0; i < FLOOD; i++) {
		fd[i] = h_connect(d.port);
		cr_assert_geq(fd[i], 0, "connection %d refused", i);
		snprintf(msg, sizeof(msg), "flood %02d\n", i);
		cr_assert_eq(h_send(fd[i], msg, strlen(msg)), 0);
	}
	/* Four at a time: each answered once a worker frees up. */
	for (i = 0; i < FLOOD; i++) {
		snprintf(msg, sizeof(msg), "flood %02d\n", i);
		cr_assert_eq(h_recv_exact(fd[i], buf, strlen(msg), 2 * H_WAIT_MS),
		    (ssize_t)strlen(msg), "connection %d never served", i);
		cr_assert(memcmp(buf, msg, strlen(msg)) == 0);
		close(fd[i]);
		if ((n = h_workers(d.pid, NULL, 0)) > most)
			most = n;
	}
	cr_assert_leq(most, 4, "%d workers for max_workers 4", most);
	cr_assert_eq(h_log_wait(d.log, " disconnect ", FLOOD, H_WAIT_MS), 0);
	/* Afterwards: no zombie, no descriptor more, the pool within bounds. */
	t0 = h_now_ms();
	while ((zombies(d.pid) > 0 || fd_count(d.pid) != before) &&
	    h_now_ms() - t0 < H_WAIT_MS)
		h_pause_ms(10);
	cr_assert_eq(zombies(d.pid), 0);
	cr_assert_eq(fd_count(d.pid), before, "descriptors leaked");
	n = h_workers(d.pid, NULL, 0);
	cr_assert(n >= 2 && n <= 4, "pool of %d after the flood", n);
	cr_assert_eq(h_log_count(d.log, " fatal "), 0);
}
