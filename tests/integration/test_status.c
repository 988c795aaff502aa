/*
 * test_status.c -- the status listener's every endpoint against the real
 * daemon: counts that move with clients, a killed worker counted, /healthz
 * during a stop, the listener restarted, the metrics checked by promtool.
 * Port ranges 24700-24799 and 24820-24829 (the status listener on the last
 * of each ten).
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

TestSuite(status, .fini = h_cleanup, .timeout = 60);

#define BODY_MAX	(256 * 1024)

struct reply {
	int	code;		/* -1: no answer */
	char	head[1024];
	char	body[BODY_MAX];
};

/* One request over a plain socket; the server closes after the reply. */
static int
http(int port, const char *method, const char *path, struct reply *r)
{
	static char buf[BODY_MAX + 2048];
	char req[256], *end;
	ssize_t n;
	size_t got = 0;
	int fd;

	r->code = -1;
	r->head[0] = r->body[0] = '\0';
	if ((fd = h_connect(port)) == -1)
		return -1;
	snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n"
	    "Connection: close\r\n\r\n", method, path);
	if (h_send(fd, req, strlen(req)) == -1) {
		close(fd);
		return -1;
	}
	/* h_connect() set a 5 s receive timeout: every read is bounded. */
	while (got < sizeof(buf) - 1 &&
	    (n = recv(fd, buf + got, sizeof(buf) - 1 - got, 0)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", &r->code) != 1 ||
	    (end = strstr(buf, "\r\n\r\n")) == NULL)
		return r->code = -1;
	snprintf(r->head, sizeof(r->head), "%.*s", (int)(end - buf), buf);
	snprintf(r->body, sizeof(r->body), "%s", end + 4);
	return r->code;
}

static struct reply rep;

static const char *
get(int port, const char *path)
{
	cr_assert_eq(http(port, "GET", path, &rep), 200, "GET %s: %d %s",
	    path, rep.code, rep.head);
	return rep.body;
}

/* Wait until GET path's body holds needle. */
static int
wait_for(int port, const char *path, const char *needle)
{
	long deadline = h_now_ms() + H_WAIT_MS;

	do {
		if (http(port, "GET", path, &rep) == 200 &&
		    strstr(rep.body, needle) != NULL)
			return 0;
		h_pause_ms(20);
	} while (h_now_ms() < deadline);
	return -1;
}

static void
start(struct h_daemon *d, int base, const char *const *extra)
{
	static char key[64];
	const char *over[16];
	int n = 0;

	snprintf(key, sizeof(key), "status.listen=127.0.0.1:%d",
	    base + 9);
	over[n++] = key;
	while (extra != NULL && *extra != NULL && n < 15)
		over[n++] = *extra++;
	over[n] = NULL;
	h_start(d, base, base + 4, over);
	cr_assert_eq(h_log_wait(d->log, "status_start", 1, H_WAIT_MS), 0);
}

/* A connection that a worker has taken (the echo answered). */
static int
client(struct h_daemon *d)
{
	int fd = h_connect(d->port);

	cr_assert_neq(fd, -1);
	cr_assert_eq(h_echo(fd, "hi\n", H_WAIT_MS), 0);
	return fd;
}

Test(status, every_endpoint)
{
	struct h_daemon d;
	const char *body;

	start(&d, 24700, NULL);
	body = get(24709, "/");
	cr_assert(strstr(rep.head, "Content-Type: text/html") != NULL,
	    "%s", rep.head);
	cr_assert(strstr(body, "<canvas") != NULL);
	cr_assert(strstr(body, "status.json") != NULL);
	/* Self-contained: nothing loaded from elsewhere. */
	cr_assert(strstr(body, "src=") == NULL && strstr(body, "href=") ==
	    NULL);

	body = get(24709, "/status.json");
	cr_assert(strstr(rep.head, "application/json") != NULL);
	cr_assert(strstr(body, "\"service\":\"echo\"") != NULL, "%s", body);
	cr_assert(strstr(body, "\"stopping\":false") != NULL);
	cr_assert(strstr(body, "\"max_workers\":32") != NULL);

	body = get(24709, "/metrics");
	cr_assert(strstr(rep.head, "text/plain; version=0.0.4") != NULL);
	cr_assert(strstr(body, "\nsockbind_workers_max 32\n") != NULL, "%s",
	    body);
	cr_assert(strstr(body, "\nprocess_cpu_seconds_total ") != NULL);
	cr_assert(strstr(body, "\nprocess_resident_memory_bytes ") != NULL);
	cr_assert(strstr(body, "\nprocess_start_time_seconds ") != NULL);
	cr_assert(strstr(body, "\nprocess_open_fds ") != NULL);

	cr_assert_str_eq(get(24709, "/healthz"), "ok\n");
	cr_assert_eq(http(24709, "GET", "/nothing", &rep), 404);
	cr_assert_eq(http(24709, "POST", "/metrics", &rep), 405);
	/* The workers never see the status listener's socket. */
	cr_assert_eq(h_log_count(d.log, "connect client="), 0);
}

Test(status, counts_move_with_clients)
{
	struct h_daemon d;
	int fd[3], i;

	start(&d, 24710, NULL);
	cr_assert_eq(wait_for(24719, "/status.json", "\"busy\":0,"), 0);
	for (i = 0; i < 3; i++)
		fd[i] = client(&d);
	cr_assert_eq(wait_for(24719, "/status.json", "\"busy\":3,"), 0,
	    "%s", rep.body);
	cr_assert(strstr(rep.body, "\"accepted\":3,") != NULL, "%s",
	    rep.body);
	/* Addresses are not shown unless [server] status_clients says so. */
	cr_assert(strstr(rep.body, "\"client\":\"") == NULL, "%s", rep.body);
	cr_assert(strstr(rep.body, "\"clients_shown\":false") != NULL);
	cr_assert_eq(wait_for(24719, "/metrics",
	    "\nsockbind_workers{state=\"busy\"} 3\n"), 0, "%s", rep.body);
	cr_assert(strstr(rep.body, "\nsockbind_connections_accepted_total 3\n")
	    != NULL, "%s", rep.body);
	/* Bytes are published when the connection ends. */
	for (i = 0; i < 3; i++)
		close(fd[i]);
	cr_assert_eq(wait_for(24719, "/metrics",
	    "\nsockbind_workers{state=\"busy\"} 0\n"), 0, "%s", rep.body);
	cr_assert_eq(wait_for(24719, "/metrics",
	    "\nsockbind_received_bytes_total 9\n"), 0, "%s", rep.body);
	cr_assert(strstr(rep.body, "\nsockbind_sent_bytes_total 9\n") != NULL);
	/* The chart's history: a sample a second. */
	cr_assert_eq(wait_for(24719, "/status.json",
	    "\"connections_per_second\":["), 0);
	cr_assert(strstr(rep.body, "\"log\":{\"written\":") != NULL);
}

Test(status, clients_shown_when_asked)
{
	const char *const over[] = { "server.status_clients=true", NULL };
	struct h_daemon d;
	char needle[64];
	int fd;

	start(&d, 24720, over);
	fd = client(&d);
	snprintf(needle, sizeof(needle), "\"client\":\"127.0.0.1:%d\"",
	    h_local_port(fd));
	cr_assert_eq(wait_for(24729, "/status.json", needle), 0, "%s",
	    rep.body);
	cr_assert(strstr(rep.body, "\"clients_shown\":true") != NULL);
	close(fd);
}

Test(status, killed_worker_is_counted)
{
	struct h_daemon d;
	char needle[64];
	pid_t victim;
	int fd;

	start(&d, 24730, NULL);
	get(24739, "/metrics");
	cr_assert(strstr(rep.body,
	    "\nsockbind_worker_exits_total{cause=\"crashed\"} 0\n") != NULL);
	fd = client(&d);
	snprintf(needle, sizeof(needle), "connect client=127.0.0.1:%d ",
	    h_local_port(fd));
	cr_assert_eq(h_log_wait(d.log, needle, 1, H_WAIT_MS), 0);
	victim = h_log_pid_of(d.log, needle);
	cr_assert_gt(victim, 0);
	cr_assert_eq(kill(victim, SIGKILL), 0);
	cr_assert_eq(wait_for(24739, "/metrics",
	    "\nsockbind_worker_exits_total{cause=\"crashed\"} 1\n"), 0, "%s",
	    rep.body);
	/* Its connection stays counted after its death. */
	cr_assert(strstr(rep.body, "\nsockbind_connections_accepted_total 1\n")
	    != NULL, "%s", rep.body);
	cr_assert_eq(wait_for(24739, "/status.json", "\"exit_crashed\":1"),
	    0);
	close(fd);
}

Test(status, healthz_flips_on_stop)
{
	struct h_daemon d;
	int fd;

	start(&d, 24740, NULL);
	cr_assert_eq(http(24749, "GET", "/healthz", &rep), 200);
	/* A client in hand keeps the stop going for a while. */
	fd = client(&d);
	h_signal(&d, SIGTERM);
	cr_assert_eq(h_log_wait(d.log, " stop signal=TERM", 1, H_WAIT_MS), 0);
	cr_assert_eq(http(24749, "GET", "/healthz", &rep), 503, "%d %s",
	    rep.code, rep.body);
	cr_assert_str_eq(rep.body, "stopping\n");
	cr_assert_eq(wait_for(24749, "/status.json", "\"stopping\":true"), 0);
	cr_assert_eq(wait_for(24749, "/metrics", "\nsockbind_stopping 1\n"),
	    0);
	close(fd);
	cr_assert_eq(h_wait_exit(&d, H_WAIT_MS), 0);
	/* The listener went with the server. */
	cr_assert_eq(http(24749, "GET", "/healthz", &rep), -1);
}

Test(status, listener_is_restarted)
{
	struct h_daemon d;
	pid_t listener;

	start(&d, 24750, NULL);
	listener = h_log_pid_of(d.log, "status_start");
	cr_assert_gt(listener, 0);
	cr_assert_eq(kill(listener, SIGKILL), 0);
	cr_assert_eq(h_log_wait(d.log, "status_exit", 1, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, "signal=KILL"), 1);
	cr_assert_eq(h_log_wait(d.log, "status_start", 2, H_WAIT_MS), 0);
	cr_assert_eq(wait_for(24759, "/healthz", "ok"), 0);
	/* Not a worker: no worker was started or counted for it. */
	get(24759, "/metrics");
	cr_assert(strstr(rep.body, "\nsockbind_worker_spawns_total 3\n") !=
	    NULL, "%s", rep.body);
	cr_assert(strstr(rep.body,
	    "\nsockbind_worker_exits_total{cause=\"crashed\"} 0\n") != NULL);
}

Test(status, reload_restarts_the_listener_quietly)
{
	const char *const shown[] = { "status.listen=127.0.0.1:24829",
	    "server.status_clients=true", NULL };
	struct h_daemon d;
	char needle[64];
	int fd;

	start(&d, 24820, NULL);
	fd = client(&d);
	cr_assert_eq(wait_for(24829, "/status.json", "\"busy\":1,"), 0);
	cr_assert(strstr(rep.body, "\"client\":\"") == NULL);
	/* A reload that shows clients: the listener follows it. */
	h_config(&d, 24820, 24824, shown);
	h_signal(&d, SIGHUP);
	cr_assert_eq(h_log_wait(d.log, "status_start", 2, H_WAIT_MS), 0);
	snprintf(needle, sizeof(needle), "\"client\":\"127.0.0.1:%d\"",
	    h_local_port(fd));
	cr_assert_eq(wait_for(24829, "/status.json", needle), 0, "%s",
	    rep.body);
	/* Ended by the master on purpose: no status_exit record. */
	cr_assert_eq(h_log_count(d.log, "status_exit"), 0);
	close(fd);
}

Test(status, requests_by_verb_and_store_errors)
{
	const char *const over[] = { "server.service=session", NULL };
	struct h_daemon d;
	char reply[256], path[PATH_MAX];
	FILE *fp;
	int fd, i;

	start(&d, 24760, over);
	fd = h_session_connect(NULL, d.port, H_WAIT_MS);
	cr_assert_neq(fd, -1);
	h_session_expect(fd, "ECHO one", "OK one", H_WAIT_MS);
	h_session_expect(fd, "ECHO two", "OK two", H_WAIT_MS);
	h_session_ask(fd, "FROB", reply, sizeof(reply), H_WAIT_MS);
	h_session_ask(fd, "HELP", reply, sizeof(reply), H_WAIT_MS);
	cr_assert_eq(wait_for(24769, "/metrics",
	    "\nsockbind_requests_total{verb=\"ECHO\"} 2\n"), 0, "%s",
	    rep.body);
	cr_assert(strstr(rep.body, "\nsockbind_requests_total{verb=\"HELP\"} "
	    "1\n") != NULL);
	cr_assert(strstr(rep.body, "\nsockbind_requests_total{verb=\"unknown\"}"
	    " 1\n") != NULL);
	cr_assert(strstr(get(24769, "/status.json"), "\"ECHO\":2,") != NULL);
	cr_assert(strstr(rep.body, "\"store_errors\":0") != NULL);

	/* A store that is no longer a database fails the next request. */
	snprintf(path, sizeof(path), "%s/sockbind.db", d.dir);
	cr_assert_not_null(fp = fopen(path, "r+"));
	for (i = 0; i < 8192; i++)
		fputc('x', fp);
	fclose(fp);
	h_session_ask(fd, "IDENTIFY", reply, sizeof(reply), H_WAIT_MS);
	cr_assert(strncmp(reply, "ERR 500", 7) == 0, "%s", reply);
	cr_assert_eq(wait_for(24769, "/metrics",
	    "\nsockbind_store_errors_total 1\n"), 0, "%s", rep.body);
	close(fd);
}

Test(status, metrics_pass_promtool)
{
	struct h_daemon d;
	char path[PATH_MAX], cmd[PATH_MAX + 64];
	FILE *fp;
	int fd, st;

	if (access("/usr/bin/promtool", X_OK) != 0)
		cr_skip_test("promtool is not installed (Debian's prometheus "
		    "package): the exposition format is not checked");
	start(&d, 24770, NULL);
	fd = client(&d);
	cr_assert_eq(wait_for(24779, "/metrics",
	    "\nsockbind_workers{state=\"busy\"} 1\n"), 0);
	snprintf(path, sizeof(path), "%s/metrics.txt", d.dir);
	cr_assert_not_null(fp = fopen(path, "w"));
	fputs(rep.body, fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "promtool check metrics < %s 2>&1", path);
	st = system(cmd);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "promtool check metrics failed on:\n%s", rep.body);
	close(fd);
}

/* A daemon that must not start: its exit status and the line it says. */
static void
refused(const char *const *over, const char *const *argv, int port_min,
    int status, const char *says)
{
	struct h_daemon d;

	memset(&d, 0, sizeof(d));
	h_config(&d, port_min, port_min + 4, over);
	cr_assert_eq(h_spawn(&d, argv, NULL), 0);
	cr_assert(WIFEXITED(h_wait_exit(&d, H_WAIT_MS)));
	cr_assert_eq(WEXITSTATUS(d.status), status, "%s", d.err);
	cr_assert(strstr(d.err, says) != NULL, "%s", d.err);
	cr_assert_eq(access(d.pidfile, F_OK), -1);
}

Test(status, bad_listen_is_refused)
{
	const char *const over[] = { "status.listen=127.0.0.1", NULL };
	const char *const argv[] = { "-n", NULL };

	refused(over, argv, 24780, 2,
	    "[status] listen: '127.0.0.1' is not ADDRESS:PORT");
}

Test(status, port_in_use_ends_start_up)
{
	const char *const over[] = { "status.listen=127.0.0.1:24799", NULL };
	struct sockaddr_in sin = { .sin_family = AF_INET,
	    .sin_port = htons(24799), .sin_addr.s_addr = htonl(0x7f000001) };
	int holder;

	/* A server of our own holds the status port. */
	holder = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_eq(bind(holder, (struct sockaddr *)&sin, sizeof(sin)), 0,
	    "bind: %s", strerror(errno));
	cr_assert_eq(listen(holder, 1), 0);
	refused(over, NULL, 24790, 1, "[status] listen: cannot listen on "
	    "127.0.0.1:24799: Address already in use");
	close(holder);
}
