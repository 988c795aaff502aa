/*
 * test_start.c -- start-up: first free port, config errors, pidfile, -n,
 * -d, and the systemd notifications. Port ranges 21000-21299.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <criterion/criterion.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

TestSuite(start, .fini = h_cleanup, .timeout = 30);

/* Hold a port the way another server would: bound and listening. */
static int
hold_port(int port)
{
	struct sockaddr_in sin;
	int fd, on = 1;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0,
	    "test could not hold port %d", port);
	cr_assert_eq(listen(fd, 1), 0);
	return fd;
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	cr_assert_not_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static int
count_lines(const char *s)
{
	int n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

Test(start, skips_ports_in_use)
{
	struct h_daemon d;
	char expect[128];
	int held0 = hold_port(21000), held1 = hold_port(21001), fd;

	h_start(&d, 21000, 21004, NULL);
	cr_assert_eq(d.port, 21002, "bound %d, not the first free port",
	    d.port);
	snprintf(expect, sizeof(expect),
	    "sockbind: listening on 127.0.0.1:21002\n");
	cr_assert_str_eq(d.out, expect);
	cr_assert_eq(h_log_count(d.log, "port_skipped port=21000 "), 1);
	cr_assert_eq(h_log_count(d.log, "port_skipped port=21001 "), 1);
	cr_assert_eq(h_log_count(d.log, " start version="), 1);
	cr_assert_eq(h_log_count(d.log, "port=21002 address=127.0.0.1:21002"),
	    1);
	fd = h_connect(d.port);
	cr_assert_geq(fd, 0);
	cr_assert_eq(h_echo(fd, "first free\n", H_WAIT_MS), 0);
	close(fd);
	close(held0);
	close(held1);
}

Test(start, every_port_in_use)
{
	struct h_daemon d = { 0 };
	int held[3], i, status;

	for (i = 0; i < 3; i++)
		held[i] = hold_port(21010 + i);
	h_config(&d, 21010, 21012, NULL);
	h_spawn(&d, NULL, NULL);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1,
	    "status %d", status);
	h_read_output(&d, 1000);
	cr_assert_str_eq(d.err, "sockbind: no free port in 127.0.0.1 "
	    "21010-21012: every port is in use\n");
	cr_assert_eq(d.out_len, 0, "stdout: %s", d.out);
	cr_assert_eq(h_log_count(d.log, "port_skipped"), 3);
	for (i = 0; i < 3; i++)
		close(held[i]);
}

Test(start, other_bind_error_names_address)
{
	struct h_daemon d = { 0 };
	const char *const over[] = { "server.listen=192.0.2.1", NULL };
	int status;

	/* An address this machine does not have: EADDRNOTAVAIL, no traffic. */
	h_config(&d, 21020, 21022, over);
	h_spawn(&d, NULL, NULL);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	cr_assert_str_eq(d.err, "sockbind: port range 21020-21022: cannot "
	    "listen on 192.0.2.1:21020: Cannot assign requested address\n");
}

/* Fails after the port is bound (a store that cannot be opened): no port
 * file nor pidfile is left behind to point at a dead daemon. */
Test(start, late_failure_leaves_no_files)
{
	struct h_daemon d = { 0 };
	const char *const over[] = { "server.service=ident",
	    "store.path=/nonexistent/dir/sockbind.db", NULL };
	int status;

	h_config(&d, 21140, 21149, over);
	h_spawn(&d, NULL, NULL);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	cr_assert(strstr(d.err, "sockbind.db: No such file or directory") !=
	    NULL, "%s", d.err);
	cr_assert_eq(access(d.port_file, F_OK), -1, "port file left");
	cr_assert_eq(access(d.pidfile, F_OK), -1, "pidfile left");
}

/* A port file that cannot be written: one line naming it, and no pidfile
 * left behind. */
Test(start, port_file_failure_leaves_no_pidfile)
{
	struct h_daemon d = { 0 };
	const char *const over[] = { "server.port_file=%D/nodir/port", NULL };
	char expect[PATH_MAX + 64];
	int status;

	h_config(&d, 21140, 21149, over);
	h_spawn(&d, NULL, NULL);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	snprintf(expect, sizeof(expect), "sockbind: port file %s/nodir/port: "
	    "No such file or directory\n", d.dir);
	cr_assert_str_eq(d.err, expect);
	cr_assert_eq(access(d.pidfile, F_OK), -1, "pidfile left");
}

static void
expect_config_error(const char *text, const char *expect_fmt)
{
	struct h_daemon d = { 0 };
	char expect[PATH_MAX + 256];
	int status;

	h_config(&d, 21030, 21031, NULL);
	if (text != NULL)
		write_file(d.config, text);
	else
		unlink(d.config);
	h_spawn(&d, NULL, NULL);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2,
	    "status %d for: %s", status, text);
	snprintf(expect, sizeof(expect), expect_fmt, d.config);
	cr_assert_str_eq(d.err, expect);
	cr_assert_eq(count_lines(d.err), 1);
	cr_assert_eq(access(d.log, F_OK), -1, "log created: something ran");
}

Test(start, config_missing_file)
{
	expect_config_error(NULL, "%s: No such file or directory\n");
}

Test(start, config_unknown_section)
{
	expect_config_error("[server]\nport_min = 21030\n[bogus]\nx = 1\n",
	    "%s: [bogus]: unknown section\n");
}

Test(start, config_unknown_key)
{
	expect_config_error("[pool]\nmax_wrokers = 4\n",
	    "%s: [pool] max_wrokers: unknown key\n");
}

Test(start, config_not_a_number)
{
	expect_config_error("[pool]\nstart = four\n",
	    "%s: [pool] start: 'four' is not a whole number\n");
}

Test(start, config_out_of_range)
{
	expect_config_error("[server]\nport_max = 70000\n",
	    "%s: [server] port_max: 70000 is out of range 1..65535\n");
}

Test(start, config_bad_listen_address)
{
	expect_config_error("[server]\nlisten = localhost\n",
	    "%s: [server] listen: 'localhost' is not an IPv4 or IPv6 "
	    "address, nor *\n");
}

Test(start, config_unknown_service)
{
	expect_config_error("[server]\nservice = gopher\n",
	    "%s: [server] service: unknown service 'gopher' (known: session "
	    "echo mirror pingpong upload ident auth)\n");
}

Test(start, config_inconsistent)
{
	expect_config_error("[pool]\nstart = 10\nmax_workers = 4\n",
	    "%s: [pool] start: 10 is above max_workers (4)\n");
	/* Set to what the default is, it is still set: refused too. */
	expect_config_error("[pool]\nstart = 4\nmax_workers = 2\n",
	    "%s: [pool] start: 4 is above max_workers (2)\n");
}

/* The store's keys: a backend it knows, a URL that PostgreSQL needs and
 * that parses; no message quotes a URL's password. */
Test(start, config_store_keys)
{
	expect_config_error("[store]\nbackend = mysql\n",
	    "%s: [store] backend: 'mysql' is not sqlite or postgresql\n");
	expect_config_error("[store]\nbackend = postgresql\n",
	    "%s: [store] url: needed with backend = postgresql\n");
	expect_config_error("[store]\nurl = mysql://u@h/db\n",
	    "%s: [store] url: not a postgresql:// URL\n");
	expect_config_error("[store]\nurl = postgresql://u:sec%zzret@h/db\n",
	    "%s: [store] url: not a valid PostgreSQL URL\n");
}

Test(start, config_unknown_user)
{
	expect_config_error("[server]\nuser = no-such-user-here\n",
	    "%s: [server] user: no such user 'no-such-user-here'\n");
}

Test(start, check_only)
{
	struct h_daemon d = { 0 };
	const char *const n[] = { "-n", NULL };
	int status;

	h_config(&d, 21040, 21041, NULL);
	h_spawn(&d, n, NULL);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_str_eq(d.out, "configuration OK\n");
	cr_assert_eq(access(d.log, F_OK), -1, "-n must not start anything");
}

Test(start, version_and_usage)
{
	struct h_daemon d = { 0 };
	const char *const v[] = { "-V", NULL }, *const bad[] = { "-x", NULL };
	int status;

	h_config(&d, 21042, 21043, NULL);
	h_spawn(&d, v, NULL);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert(strncmp(d.out, "sockbind ", 9) == 0, "%s", d.out);
	d.status = -1;
	h_spawn(&d, bad, NULL);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2);
	cr_assert(strstr(d.err, "usage: sockbind") != NULL, "%s", d.err);
}

Test(start, pidfile_refuses_second_instance)
{
	struct h_daemon a, b = { 0 };
	char expect[PATH_MAX + 128];
	int status;

	h_start(&a, 21050, 21059, NULL);
	/* Same pidfile, same directory, a free port: refused all the same. */
	strcpy(b.dir, a.dir);
	h_config(&b, 21050, 21059, NULL);
	h_spawn(&b, NULL, NULL);
	status = h_wait_exit(&b, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1);
	snprintf(expect, sizeof(expect), "sockbind: already running as pid "
	    "%d (pidfile %s)\n", (int)a.pid, a.pidfile);
	cr_assert_str_eq(b.err, expect);
	/* And the first one is untouched. */
	cr_assert_eq(h_wait_exit(&a, 0), -1);
	h_signal(&a, SIGTERM);
	status = h_wait_exit(&a, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(access(a.pidfile, F_OK), -1, "pidfile left behind");
	cr_assert_eq(access(a.port_file, F_OK), -1, "port file left behind");
}

/* The pid a daemonized sockbind writes into its pidfile, waited for. */
static pid_t
daemon_pid(const char *pidfile)
{
	long deadline = h_now_ms() + H_WAIT_MS;
	pid_t pid = 0;
	char *text;

	while (pid <= 0 && h_now_ms() < deadline) {
		if ((text = h_slurp(pidfile, NULL)) != NULL) {
			pid = atoi(text);
			free(text);
		}
		if (pid <= 0)
			h_pause_ms(10);
	}
	cr_assert_gt(pid, 0, "no pid in %s", pidfile);
	return pid;
}

/* SIGTERM a daemon that is no child of ours; wait until it is gone. */
static void
daemon_stop(pid_t pid)
{
	long deadline = h_now_ms() + H_WAIT_MS;

	cr_assert_eq(kill(pid, SIGTERM), 0);
	while (!h_gone(pid) && h_now_ms() < deadline)
		h_pause_ms(10);
	cr_assert(h_gone(pid), "daemon %d still running", (int)pid);
}

/* -d waits for the pool: workers that fail at start-up make it exit 1,
 * with the reason on the terminal, not 0 with a daemon already dead. */
Test(start, daemon_boot_failure_is_status_1)
{
	struct h_daemon d = { 0 };
	const char *const dflag[] = { "-d", NULL };
	const char *const env[] = { "SOCKBIND_FAILPOINT=boot_fail", NULL };
	int status;

	h_config(&d, 22720, 22729, NULL);
	h_spawn(&d, dflag, env);
	status = h_wait_exit(&d, 3 * H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 1,
	    "status %d", status);
	cr_assert(strstr(d.err, "workers fail at start-up") != NULL, "%s",
	    d.err);
	cr_assert_eq(access(d.port_file, F_OK), -1, "port file left");
	cr_assert_eq(access(d.pidfile, F_OK), -1, "pidfile left");
}

Test(start, daemonizes_with_pidfile)
{
	struct h_daemon d = { 0 };
	const char *const dflag[] = { "-d", NULL };
	pid_t pid;
	int status, fd;

	h_config(&d, 21060, 21069, NULL);
	h_spawn(&d, dflag, NULL);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the foreground parent exits 0 once the daemon runs");
	cr_assert(strstr(d.out, "listening on 127.0.0.1:2106") != NULL);
	pid = daemon_pid(d.pidfile);
	cr_assert_neq(pid, d.pid);
	fd = h_connect(21060);
	cr_assert_geq(fd, 0);
	cr_assert_eq(h_echo(fd, "daemon\n", H_WAIT_MS), 0);
	close(fd);
	daemon_stop(pid);
}

/* daemon(3) takes the daemon to /: a reload still reads the relative -c
 * path, and relative paths in the file, from the directory it started in. */
Test(start, daemon_reload_keeps_relative_paths)
{
	const char *bin = getenv("SOCKBIND_BIN");
	char dir[] = "/tmp/sockbind-rel.XXXXXX", cmd[PATH_MAX * 2];
	char path[PATH_MAX + 32];
	pid_t pid;
	FILE *fp;

	cr_assert_not_null(bin);
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/rel.ini", dir);
	cr_assert_not_null(fp = fopen(path, "w"));
	fprintf(fp, "[server]\nlisten = 127.0.0.1\nport_min = 21130\n"
	    "port_max = 21139\nservice = echo\nport_file = sb.port\n"
	    "pidfile = sb.pid\n[log]\npath = sb.log\n");
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' -d -c rel.ini "
	    ">/dev/null 2>&1", dir, bin);
	cr_assert_eq(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/sb.pid", dir);
	pid = daemon_pid(path);
	snprintf(path, sizeof(path), "%s/sb.log", dir);
	cr_assert_eq(h_log_wait(path, " worker_start ", 1, H_WAIT_MS), 0);
	cr_assert_eq(kill(pid, SIGHUP), 0);
	cr_assert_eq(h_log_wait(path, " reload config=", 1, H_WAIT_MS), 0,
	    "no reload in %s", path);
	cr_assert_eq(h_log_count(path, " reload_refused "), 0);
	cr_assert_eq(h_log_count(path, " reload_kept "), 0);
	daemon_stop(pid);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)system(cmd);
}

/* Play systemd: a datagram socket in NOTIFY_SOCKET gets sd_notify(). */
Test(start, notifies_systemd)
{
	struct h_daemon d;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char env[sizeof(sun.sun_path) + 16], all[8192] = "", msg[1024];
	const char *envs[] = { env, NULL };
	struct pollfd pfd;
	long deadline;
	ssize_t n;
	int fd;

	snprintf(sun.sun_path, sizeof(sun.sun_path),
	    "/tmp/sockbind-notify.%d", (int)getpid());
	unlink(sun.sun_path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	snprintf(env, sizeof(env), "NOTIFY_SOCKET=%s", sun.sun_path);
	h_start_env(&d, 21070, 21079, NULL, envs);

	pfd.fd = fd;
	pfd.events = POLLIN;
	deadline = h_now_ms() + H_WAIT_MS;
	while (strstr(all, "STATUS=port 21070") == NULL &&
	    h_now_ms() < deadline && poll(&pfd, 1, 200) >= 0) {
		if (pfd.revents & POLLIN &&
		    (n = recv(fd, msg, sizeof(msg) - 1, 0)) > 0) {
			msg[n] = '\0';
			strlcat(all, msg, sizeof(all));
			strlcat(all, "\n", sizeof(all));
		}
	}
	cr_assert(strstr(all, "READY=1") != NULL, "%s", all);
	cr_assert(strstr(all, "STATUS=port 21070, echo, 3 workers") != NULL,
	    "%s", all);
	h_signal(&d, SIGTERM);
	deadline = h_now_ms() + H_WAIT_MS;
	while (strstr(all, "STOPPING=1") == NULL && h_now_ms() < deadline &&
	    poll(&pfd, 1, 200) >= 0) {
		if (pfd.revents & POLLIN &&
		    (n = recv(fd, msg, sizeof(msg) - 1, 0)) > 0) {
			msg[n] = '\0';
			strlcat(all, msg, sizeof(all));
		}
	}
	cr_assert(strstr(all, "STOPPING=1") != NULL, "%s", all);
	close(fd);
	unlink(sun.sun_path);
}

/* The process title: /proc/PID/cmdline up to its first NUL, as ps shows. */
static void
proc_title(pid_t pid, char *buf, size_t len)
{
	char path[64], *text;

	snprintf(path, sizeof(path), "/proc/%d/cmdline", (int)pid);
	size_t n;

	text = h_slurp(path, NULL);
	cr_assert_not_null(text);
	strlcpy(buf, text, len);
	free(text);
	/* libbsd pads a title exactly as long as the old argv[0]. */
	n = strlen(buf);
	while (n > 0 && buf[n - 1] == ' ')
		buf[--n] = '\0';
}

static int
wait_title(pid_t pid, const char *expect)
{
	char title[256];
	long deadline = h_now_ms() + H_WAIT_MS;

	do {
		proc_title(pid, title, sizeof(title));
		if (strcmp(title, expect) == 0)
			return 0;
		h_pause_ms(5);
	} while (h_now_ms() < deadline);
	cr_log_error("title '%s', expected '%s'", title, expect);
	return -1;
}

Test(start, process_titles_name_roles)
{
	struct h_daemon d;
	char expect[128];
	pid_t pids[8], busy;
	int fd, n, i;

	h_start(&d, 21080, 21089, NULL);
	snprintf(expect, sizeof(expect), "sockbind: master port %d", d.port);
	cr_assert_eq(wait_title(d.pid, expect), 0);
	cr_assert_eq(h_wait_workers(d.pid, 3, H_WAIT_MS), 0);
	n = h_workers(d.pid, pids, 8);
	fd = h_connect(d.port);
	cr_assert_eq(h_echo(fd, "title\n", H_WAIT_MS), 0);
	snprintf(expect, sizeof(expect), "connect client=127.0.0.1:%d ",
	    h_local_port(fd));
	cr_assert_eq(h_log_wait(d.log, expect, 1, H_WAIT_MS), 0);
	busy = h_log_pid_of(d.log, expect);
	snprintf(expect, sizeof(expect), "sockbind: worker 127.0.0.1:%d echo",
	    h_local_port(fd));
	cr_assert_eq(wait_title(busy, expect), 0);
	for (i = 0; i < n; i++)
		if (pids[i] != busy)
			cr_assert_eq(wait_title(pids[i],
			    "sockbind: worker idle"), 0);
	close(fd);
}

static uid_t
proc_uid(pid_t pid)
{
	char path[64], *text, *p;
	uid_t uid;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	text = h_slurp(path, NULL);
	cr_assert_not_null(text);
	p = strstr(text, "\nUid:");
	cr_assert_not_null(p);
	uid = (uid_t)strtoul(p + 5, NULL, 10);
	free(text);
	return uid;
}

Test(start, drops_privileges_to_user)
{
	const char *const over[] = { "server.user=nobody", NULL };
	struct h_daemon d;
	pid_t pids[8];
	int n, i, fd;

	if (geteuid() != 0)
		cr_skip_test("needs root");
	h_start(&d, 21090, 21099, over);
	cr_assert_eq(h_wait_workers(d.pid, 3, H_WAIT_MS), 0);
	cr_assert_eq(proc_uid(d.pid), 65534, "master still root");
	n = h_workers(d.pid, pids, 8);
	for (i = 0; i < n; i++)
		cr_assert_eq(proc_uid(pids[i]), 65534, "worker still root");
	fd = h_connect(d.port);
	cr_assert_eq(h_echo(fd, "as nobody\n", H_WAIT_MS), 0);
	close(fd);
	cr_assert_eq(h_log_count(d.log, " privileges user=nobody uid=65534"),
	    1);
	cr_assert_eq(h_log_wait(d.log, "text=\"as nobody\\n\"", 2, H_WAIT_MS),
	    0, "workers cannot write the log after the drop");

	/* The test's directory is root's: nobody cannot remove the port file
	 * and pidfile made before the drop, and the log says so. */
	h_signal(&d, SIGTERM);
	cr_assert_eq(h_wait_exit(&d, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, " file_left path="), 2);
	cr_assert_eq(h_log_count(d.log, "reason=\"Permission denied\""), 2);
	cr_assert_eq(access(d.port_file, F_OK), 0);
}

static int
connect6(int port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	int fd = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sin6.sin6_port = htons(port);
	sin6.sin6_addr = in6addr_loopback;
	if (fd == -1 || connect(fd, (struct sockaddr *)&sin6,
	    sizeof(sin6)) == -1)
		return -1;
	return fd;
}

Test(start, star_listens_on_ipv4_and_ipv6)
{
	const char *const over[] = { "server.listen=*", NULL };
	struct h_daemon d;
	int fd4, fd6;

	if (access("/proc/net/if_inet6", F_OK) == -1)
		cr_skip_test("no IPv6 on this machine");
	h_start(&d, 21100, 21109, over);
	cr_assert(strstr(d.out, "listening on [::]:") != NULL, "%s", d.out);
	fd4 = h_connect(d.port);
	fd6 = connect6(d.port);
	cr_assert_geq(fd4, 0);
	cr_assert_geq(fd6, 0);
	cr_assert_eq(h_echo(fd4, "four\n", H_WAIT_MS), 0);
	cr_assert_eq(h_echo(fd6, "six\n", H_WAIT_MS), 0);
	/* IPv4 clients are shown as IPv4, not as ::ffff:127.0.0.1. */
	cr_assert_eq(h_log_wait(d.log, "connect client=[::1]:", 1, H_WAIT_MS),
	    0);
	cr_assert_eq(h_log_count(d.log, "connect client=127.0.0.1:"), 1);
	cr_assert_eq(h_log_count(d.log, "connect client=[::1]:"), 1);
	close(fd4);
	close(fd6);
}

/* Every process of the pool runs under the policy the config names. */
static void
expect_policy(const struct h_daemon *d, int policy)
{
	pid_t pids[8];
	int n, i;

	cr_assert_eq(h_wait_workers(d->pid, 3, H_WAIT_MS), 0);
	cr_assert_eq(sched_getscheduler(d->pid), policy);
	n = h_workers(d->pid, pids, 8);
	cr_assert_geq(n, 3);
	for (i = 0; i < n; i++)
		cr_assert_eq(sched_getscheduler(pids[i]), policy,
		    "worker %d", (int)pids[i]);
}

Test(start, batch_scheduling_by_default)
{
	struct h_daemon d;

	h_start(&d, 21110, 21119, NULL);
	expect_policy(&d, SCHED_BATCH);
}

Test(start, batch_scheduling_off)
{
	const char *const over[] = { "pool.batch_scheduling=false", NULL };
	struct h_daemon d;

	h_start(&d, 21120, 21129, over);
	expect_policy(&d, SCHED_OTHER);
}

/* -s and -p win over the file, and a reload, which reads the file again,
 * keeps them. */
Test(start, service_and_port_from_the_command_line)
{
	const char *const over[] = { "server.service=session", NULL };
	const char *const argv[] = { "-s", "echo", "-p", "24315", NULL };
	struct h_daemon d = { 0 };
	int fd;

	h_config(&d, 24310, 24319, over);
	h_spawn(&d, argv, NULL);
	h_wait_listening(&d, 24315, 24315);
	cr_assert_str_eq(d.out, "sockbind: listening on 127.0.0.1:24315\n");
	cr_assert_eq(h_log_wait(d.log, " service=echo config=", 1, H_WAIT_MS),
	    0);
	fd = h_connect(d.port);
	cr_assert_eq(h_echo(fd, "raw hello\n", H_WAIT_MS), 0);
	close(fd);
	h_signal(&d, SIGHUP);
	cr_assert_eq(h_log_wait(d.log, " reload config=", 1, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, " service=echo start="), 1,
	    "the reload went back to the file's service");
	cr_assert_eq(h_log_count(d.log, "reload_kept"), 0,
	    "-p is not a change of the port range");
	fd = h_connect(d.port);
	cr_assert_eq(h_echo(fd, "after the reload\n", H_WAIT_MS), 0);
	close(fd);
	cr_assert_eq(h_log_count(d.log, "service=session"), 0);
}

/* Checked as the file's keys are: one line, status 2, nothing started. */
Test(start, bad_service_or_port_on_the_command_line)
{
	static const struct {
		const char	*opt, *value, *err;
	} bad[] = {
		{ "-s", "ech", "sockbind: -s ech: unknown service 'ech' (known: "
		    "session echo mirror pingpong upload ident auth)\n" },
		{ "-p", "70000", "sockbind: -p 70000: not a port (1-65535) or a "
		    "range MIN-MAX\n" },
		{ "-p", "24319-24310", "sockbind: -p 24319-24310: not a port "
		    "(1-65535) or a range MIN-MAX\n" },
		{ "-p", "", "sockbind: -p : not a port (1-65535) or a range "
		    "MIN-MAX\n" },
	};
	struct h_daemon d = { 0 };
	const char *argv[3] = { NULL, NULL, NULL };
	size_t i;
	int status;

	h_config(&d, 24320, 24321, NULL);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		argv[0] = bad[i].opt;
		argv[1] = bad[i].value;
		h_spawn(&d, argv, NULL);
		status = h_wait_exit(&d, H_WAIT_MS);
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2,
		    "%s %s", bad[i].opt, bad[i].value);
		cr_assert_str_eq(d.err, bad[i].err);
		cr_assert_eq(access(d.log, F_OK), -1, "nothing is started");
		d.status = -1;
	}
}
