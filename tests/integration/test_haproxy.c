/*
 * test_haproxy.c -- two sockbind instances (session service) behind a real
 * HAProxy running the example etc/haproxy/sockbind.cfg: HAProxy sends the
 * PROXY protocol (v2) on every connection and health check; each instance
 * logs (in its own log) and counts per_source the client's real address (a
 * 127.x source), not HAProxy's; an instance killed with SIGKILL is taken out
 * by the health checks and the other serves what comes next. Then the
 * same two on one PostgreSQL database (tests/pg/pgtest.h), as two hosts
 * of one service: what one stores, the other serves.
 * Skipped when HAProxy or PostgreSQL is not installed (scripts/deps.sh
 * installs both). Port ranges 37420-37464.
 */
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"
#include "tests/pg/pgtest.h"

static pid_t	haproxy_pid;

static void
hap_fini(void)
{
	if (haproxy_pid > 0) {
		kill(haproxy_pid, SIGKILL);
		waitpid(haproxy_pid, NULL, 0);
		haproxy_pid = 0;
	}
	h_cleanup();
}

TestSuite(haproxy, .fini = hap_fini, .timeout = 60);

struct hap {
	char	dir[64];
	char	sock[96];	/* fits a sockaddr_un */
	char	out[PATH_MAX];
	int	port;
};

static const char *
hap_bin(void)
{
	static const char *const where[] = { "/usr/sbin/haproxy",
	    "/usr/local/sbin/haproxy", NULL };
	const char *env = getenv("HAPROXY_BIN");
	int i;

	if (env != NULL && access(env, X_OK) == 0)
		return env;
	for (i = 0; where[i] != NULL; i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

/* A port of [lo, hi] that nothing listens on now. */
static int
free_port(int lo, int hi)
{
	struct sockaddr_in sin;
	int fd, port, one = 1;

	for (port = lo; port <= hi; port++) {
		fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		cr_assert_geq(fd, 0);
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons(port);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0) {
			close(fd);
			return port;
		}
		close(fd);
	}
	cr_assert_fail("no free port in %d-%d", lo, hi);
	return -1;
}

/*
 * One "show stat" line's status field for server srv of backend sockbind
 * ("UP", "DOWN", "UP 1/2" ...) into st: 0, or -1 when HAProxy does not
 * answer (yet).
 */
static int
hap_status(const struct hap *h, const char *srv, char *st, size_t size)
{
	struct sockaddr_un sun;
	char buf[16384], want[64], *line, *p;
	size_t have = 0;
	ssize_t n;
	int fd, field;

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, h->sock, sizeof(h->sock));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    h_send(fd, "show stat\n", 10) == -1) {
		close(fd);
		return -1;
	}
	while (have + 1 < sizeof(buf) && (n = h_recv_exact(fd, buf + have,
	    sizeof(buf) - 1 - have, H_WAIT_MS)) > 0)
		have += n;
	close(fd);
	buf[have] = '\0';
	snprintf(want, sizeof(want), "\nsockbind,%s,", srv);
	if ((line = strstr(buf, want)) == NULL)
		return -1;
	/* pxname,svname,...: status is the 18th field. */
	for (p = line + 1, field = 0; field < 17 && p != NULL; field++)
		if ((p = strchr(p, ',')) != NULL)
			p++;
	if (p == NULL)
		return -1;
	snprintf(st, size, "%.*s", (int)strcspn(p, ",\n"), p);
	return 0;
}

/* Wait until server srv's status is want; fail with the last one seen. */
static void
hap_wait_status(const struct hap *h, const char *srv, const char *want)
{
	long deadline = h_now_ms() + 2 * H_WAIT_MS;
	char st[32] = "no answer";

	while (h_now_ms() < deadline) {
		if (hap_status(h, srv, st, sizeof(st)) == 0 &&
		    strcmp(st, want) == 0)
			return;
		h_pause_ms(20);
	}
	cr_assert_fail("server %s is '%s', not %s", srv, st, want);
}

#define EXAMPLE	"etc/haproxy/sockbind.cfg"

/*
 * HAProxy in front of a and b with the example configuration, run from
 * the top of the source tree as make does: its bind and server lines
 * pointed at the test's ports, checks ten times as often, and a global
 * section with a stats socket. Both servers are UP, and each has had a
 * health check (with its header), when it returns.
 */
static void
hap_start(struct hap *h, const struct h_daemon *a, const struct h_daemon *b,
    int lo, int hi)
{
	const char *bin = hap_bin();
	char cfg[PATH_MAX], line[512];
	FILE *in, *out;
	int fd, servers = 0;

	if (bin == NULL)
		cr_skip_test("HAProxy is not installed (Debian package "
		    "haproxy; scripts/deps.sh installs it as root)");
	snprintf(h->dir, sizeof(h->dir), "%s", a->dir);
	snprintf(h->sock, sizeof(h->sock), "%s/haproxy.sock", h->dir);
	snprintf(h->out, sizeof(h->out), "%s/haproxy.out", h->dir);
	snprintf(cfg, sizeof(cfg), "%s/haproxy.cfg", h->dir);
	h->port = free_port(lo, hi);
	cr_assert_not_null(in = fopen(EXAMPLE, "r"), "%s: run the tests from "
	    "the top of the source tree", EXAMPLE);
	cr_assert_not_null(out = fopen(cfg, "w"));
	fprintf(out, "global\n\tnbthread 1\n\tstats socket %s mode 600 "
	    "level admin\n", h->sock);
	while (fgets(line, sizeof(line), in) != NULL) {
		if (strncmp(line, "\tbind ", 6) == 0)
			fprintf(out, "\tbind 127.0.0.1:%d\n", h->port);
		else if (strncmp(line, "\tserver ", 8) == 0 && servers < 2) {
			fprintf(out, "\tserver %s 127.0.0.1:%d\n",
			    servers ? "b" : "a", servers ? b->port : a->port);
			servers++;
		} else if (strncmp(line, "\tdefault-server ", 16) == 0) {
			/* The last of a keyword given twice counts. */
			line[strcspn(line, "\n")] = '\0';
			fprintf(out, "%s inter 100ms fall 1 rise 1\n", line);
		} else
			fputs(line, out);
	}
	fclose(in);
	fclose(out);
	cr_assert_eq(servers, 2, "%s: not two server lines", EXAMPLE);
	haproxy_pid = fork();
	cr_assert_neq(haproxy_pid, -1);
	if (haproxy_pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		fd = open(h->out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(bin, bin, "-db", "-f", cfg, (char *)NULL);
		_exit(127);
	}
	hap_wait_status(h, "a", "UP");
	hap_wait_status(h, "b", "UP");
	/* HAProxy starts with its servers UP: wait for a check of each to
	 * have come, with its header (LOCAL), and passed (QUIT, OK). */
	cr_assert_eq(h_log_wait(a->log, "command=LOCAL", 1, H_WAIT_MS), 0,
	    "no health check reached a");
	cr_assert_eq(h_log_wait(b->log, "command=LOCAL", 1, H_WAIT_MS), 0,
	    "no health check reached b");
	cr_assert_eq(h_log_wait(a->log, "reason=\"quit\"", 1, H_WAIT_MS), 0);
	cr_assert_eq(h_log_wait(b->log, "reason=\"quit\"", 1, H_WAIT_MS), 0);
}

/* a and b on ports lo to lo + 9, with more overrides (or NULL). */
static void
start_pair(struct h_daemon *a, struct h_daemon *b, int lo,
    const char *const *more)
{
	static const char *const over[] = { "server.service=session",
	    "server.proxy_protocol=v2", "server.proxy_from=127.0.0.1",
	    "limits.per_source=1", NULL };
	const char *all[32];

	h_overrides(all, over, more);
	h_start(a, lo, lo + 4, all);
	h_start(b, lo + 5, lo + 9, all);
}

/*
 * A client from src through HAProxy: greeted, its ECHO answered, and the
 * one instance that served it logs its own address and port. Which one,
 * with the connection in *fdp, or -1 if it was refused (per_source), its
 * refusal checked.
 */
static int
through(const struct hap *h, const char *src, const struct h_daemon *const *d,
    int *fdp)
{
	char msg[64], echo[64], want[96], reply[256];
	long deadline;
	int fd, i, port;

	fd = h_connect_from(src, h->port);
	cr_assert_geq(fd, 0, "connect from %s", src);
	port = h_local_port(fd);
	cr_assert_geq(h_frame_recv(fd, reply, sizeof(reply), H_WAIT_MS), 0,
	    "no greeting for %s:%d", src, port);
	if (strncmp(reply, "ERR ", 4) == 0) {
		snprintf(want, sizeof(want), "ERR 421 too many connections from "
		    "%s (1 open, limit 1)", src);
		cr_assert_str_eq(reply, want);
		close(fd);
		return -1;
	}
	snprintf(msg, sizeof(msg), "ECHO hello from %s:%d", src, port);
	snprintf(echo, sizeof(echo), "OK %s", msg + 5);
	h_session_expect(fd, msg, echo, H_WAIT_MS);
	snprintf(want, sizeof(want), "connect client=%s:%d service=session",
	    src, port);
	deadline = h_now_ms() + H_WAIT_MS;
	do {
		for (i = 0; i < 2; i++) {
			if (h_log_count(d[i]->log, want) == 0)
				continue;
			cr_assert_eq(h_log_count(d[1 - i]->log, want), 0,
			    "%s in both logs", want);
			*fdp = fd;
			return i;
		}
		h_pause_ms(10);
	} while (h_now_ms() < deadline);
	cr_assert_fail("'%s' in neither log", want);
	return -1;
}

/*
 * The host of d (server srv) dies: every process at once, SIGKILL; HAProxy
 * takes srv out.
 */
static void
kill_host(const struct hap *h, struct h_daemon *d, const char *srv)
{
	pid_t workers[64];
	int i, n;

	n = h_workers(d->pid, workers, 64);
	cr_assert_gt(n, 0);
	h_signal(d, SIGKILL);
	for (i = 0; i < n && i < 64; i++)
		kill(workers[i], SIGKILL);
	cr_assert_neq(h_wait_exit(d, H_WAIT_MS), -1);
	for (i = 0; i < n && i < 64; i++) {
		long deadline = h_now_ms() + H_WAIT_MS;

		while (!h_gone(workers[i]) && h_now_ms() < deadline)
			h_pause_ms(5);
		cr_assert(h_gone(workers[i]), "worker %d lives", workers[i]);
	}
	hap_wait_status(h, srv, "DOWN");
}

Test(haproxy, clients_seen_and_counted_with_their_address)
{
	static const char *const src[] = { "127.0.0.2", "127.0.0.3",
	    "127.0.0.4", "127.0.0.5" };
	struct h_daemon a, b;
	const struct h_daemon *d[2] = { &a, &b };
	struct hap h;
	int fds[8], served[2] = { 0, 0 }, i, n = 0, r, refused = 0;

	start_pair(&a, &b, 37420, NULL);
	hap_start(&h, &a, &b, 37440, 37444);
	/* Four clients at once, per_source 1: were HAProxy's address the
	 * one counted, the second on an instance would be refused. */
	for (i = 0; i < 4; i++) {
		r = through(&h, src[i], d, &fds[n]);
		cr_assert_geq(r, 0, "client %s refused", src[i]);
		served[r]++;
		n++;
	}
	cr_assert(served[0] > 0 && served[1] > 0, "served %d and %d",
	    served[0], served[1]);
	/* Two more from 127.0.0.2, which holds one already: on two
	 * instances, one of them at least lands where it is over the
	 * limit, and that instance names it. */
	for (i = 0; i < 2; i++) {
		if ((r = through(&h, src[0], d, &fds[n])) >= 0)
			n++;
		else
			refused++;
	}
	cr_assert_geq(refused, 1);
	/* Logged for 127.0.0.2 only (the first of each instance in full,
	 * a second one counted). */
	cr_assert_geq(h_log_count(a.log, "refused client=127.0.0.2:") +
	    h_log_count(b.log, "refused client=127.0.0.2:"), 1);
	cr_assert_eq(h_log_count(a.log, "refused client=") +
	    h_log_count(b.log, "refused client="),
	    h_log_count(a.log, "refused client=127.0.0.2:") +
	    h_log_count(b.log, "refused client=127.0.0.2:"));
	/* HAProxy's own address is only its health checks'. */
	for (i = 0; i < 2; i++) {
		cr_assert_geq(h_log_count(d[i]->log, "command=LOCAL"), 1);
		cr_assert_eq(h_log_count(d[i]->log, "reason=proxy_protocol"),
		    0, "a refused header in instance %d's log", i);
	}
	while (n > 0)
		close(fds[--n]);
}

Test(haproxy, killed_instance_taken_out)
{
	static const char *const src[] = { "127.0.0.6", "127.0.0.7",
	    "127.0.0.8", "127.0.0.9" };
	struct h_daemon a, b;
	const struct h_daemon *d[2] = { &a, &b };
	struct hap h;
	int fd, i;

	start_pair(&a, &b, 37430, NULL);
	hap_start(&h, &a, &b, 37445, 37449);
	kill_host(&h, &a, "a");
	hap_wait_status(&h, "b", "UP");
	for (i = 0; i < 4; i++) {
		cr_assert_eq(through(&h, src[i], d, &fd), 1, "client %s",
		    src[i]);
		close(fd);
	}
}

#define PASSWORD	"correct horse battery"

/*
 * Two hosts, one service: a and b on one PostgreSQL database. The example's
 * leastconn sends a client's second connection, while its first is open,
 * to the other instance (per_source 1 would refuse it on the same one): a
 * name stored and a token got through one serve the client through the
 * other, and a third connection of its address is refused wherever it
 * lands, while another address is served. Then the instance that stored
 * them dies and the other serves what comes next, the name and the token
 * too.
 */
Test(haproxy, two_instances_one_postgresql)
{
	static const char *const src[] = { "127.0.0.4", "127.0.0.5" };
	struct h_daemon a, b;
	const struct h_daemon *d[2] = { &a, &b };
	struct hap h;
	char tok[80], resume[96];
	long deadline;
	int fd, fa, fb, first, other, i;

	start_pair(&a, &b, 37450, pgtest_store());
	hap_start(&h, &a, &b, 37460, 37464);
	first = through(&h, "127.0.0.2", d, &fa);
	cr_assert_geq(first, 0);
	other = 1 - first;
	h_session_expect(fa, "IDENTIFY Ivan", "OK Ivan", 3 * H_WAIT_MS);
	h_session_expect(fa, "REGISTER lena " PASSWORD, "OK registered lena",
	    3 * H_WAIT_MS);
	h_session_login(fa, "lena", PASSWORD, tok);
	snprintf(resume, sizeof(resume), "RESUME %s", tok);

	cr_assert_eq(through(&h, "127.0.0.2", d, &fb), other,
	    "the second connection of 127.0.0.2 not on the other instance");
	h_session_expect(fb, "IDENTIFY", "OK Ivan", 3 * H_WAIT_MS);
	h_session_expect(fb, resume, "OK welcome lena", 3 * H_WAIT_MS);
	/* One open on each: per_source counts 127.0.0.2, not HAProxy. */
	cr_assert_eq(through(&h, "127.0.0.2", d, &fd), -1);
	cr_assert_geq(through(&h, "127.0.0.3", d, &fd), 0);
	h_session_expect(fd, "IDENTIFY",
	    "ERR 404 unknown address 127.0.0.3: tell me your name with "
	    "IDENTIFY name", 3 * H_WAIT_MS);
	close(fd);
	close(fa);
	close(fb);

	kill_host(&h, other ? &a : &b, other ? "a" : "b");
	hap_wait_status(&h, other ? "b" : "a", "UP");
	for (i = 0; i < 2; i++) {
		cr_assert_eq(through(&h, src[i], d, &fd), other, "client %s",
		    src[i]);
		close(fd);
	}
	/* 127.0.0.2 again, once the survivor has let its last one go (a
	 * refusal, checked, until then). */
	deadline = h_now_ms() + H_WAIT_MS;
	while (through(&h, "127.0.0.2", d, &fd) == -1) {
		cr_assert_lt(h_now_ms(), deadline,
		    "127.0.0.2 still refused");
		h_pause_ms(10);
	}
	h_session_expect(fd, "IDENTIFY", "OK Ivan", 3 * H_WAIT_MS);
	h_session_expect(fd, resume, "OK welcome lena", 3 * H_WAIT_MS);
	close(fd);
}
