/* harness.c -- run the real sockbind for an integration test. */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "tests/integration/harness.h"

#define H_MAX_DAEMONS	8

/* What h_cleanup() must undo, kept outside the tests' stack frames. */
static struct {
	pid_t	pid;
	char	dir[64];
} started[H_MAX_DAEMONS];

static const char *const base_keys[] = {
	"server.listen=127.0.0.1",
	"server.service=echo",
	"pool.start=3",
	"pool.min_spare=1",
	"pool.max_spare=8",
	"pool.max_workers=32",
	"pool.worker_timeout=10",
	"pool.graceful_timeout=5",
	"limits.idle_timeout=30",
	"limits.session_timeout=120",
	"auth.failure_delay_ms=100",
	"store.path=%D/sockbind.db",
	NULL
};

static const char *const sections[] = { "server", "pool", "limits", "log",
    "mirror", "pingpong", "upload", "store", "auth", "status", NULL };

long
h_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The polling interval of the bounded waits below; never a test's clock. */
void
h_pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* The value of "sec.key" in a NULL-terminated list, or NULL. */
static const char *
h_value(const char *const *list, const char *seckey)
{
	size_t n = strlen(seckey);

	for (; list && *list; list++)
		if (strncmp(*list, seckey, n) == 0 && (*list)[n] == '=')
			return *list + n + 1;
	return NULL;
}

void
h_config(struct h_daemon *d, int port_min, int port_max,
    const char *const *over)
{
	char path_keys[4][PATH_MAX + 32], ports[2][32], seckey[128];
	const char *const *lists[3];
	const char *const auto_keys[] = { path_keys[0], path_keys[1],
	    path_keys[2], path_keys[3], ports[0], ports[1], NULL };
	FILE *fp;
	int s, l;

	if (d->dir[0] == '\0') {
		strcpy(d->dir, "/tmp/sockbind-test.XXXXXX");
		cr_assert_not_null(mkdtemp(d->dir), "mkdtemp");
	}
	snprintf(d->config, sizeof(d->config), "%s/sockbind.ini", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/sockbind.log", d->dir);
	snprintf(d->port_file, sizeof(d->port_file), "%s/port", d->dir);
	snprintf(d->pidfile, sizeof(d->pidfile), "%s/pid", d->dir);
	snprintf(path_keys[0], sizeof(path_keys[0]), "log.path=%s", d->log);
	snprintf(path_keys[1], sizeof(path_keys[1]), "server.port_file=%s",
	    d->port_file);
	snprintf(path_keys[2], sizeof(path_keys[2]), "server.pidfile=%s",
	    d->pidfile);
	snprintf(path_keys[3], sizeof(path_keys[3]), "log.max_message=1024");
	snprintf(ports[0], sizeof(ports[0]), "server.port_min=%d", port_min);
	snprintf(ports[1], sizeof(ports[1]), "server.port_max=%d", port_max);

	/* An override of a section we do not write would vanish silently. */
	for (const char *const *p = over; p && *p; p++) {
		for (s = 0; sections[s]; s++)
			if (strncmp(*p, sections[s], strlen(sections[s])) == 0
			    && (*p)[strlen(sections[s])] == '.')
				break;
		cr_assert_not_null(sections[s], "override %s: unknown section",
		    *p);
	}
	/* Overrides win over the automatic keys, which win over the base. */
	lists[0] = over;
	lists[1] = auto_keys;
	lists[2] = base_keys;
	fp = fopen(d->config, "w");
	cr_assert_not_null(fp, "config %s", d->config);
	for (s = 0; sections[s]; s++) {
		fprintf(fp, "[%s]\n", sections[s]);
		for (l = 0; l < 3; l++) {
			for (const char *const *p = lists[l]; p && *p; p++) {
				const char *dot = strchr(*p, '.');
				const char *eq = strchr(*p, '=');
				size_t seclen = dot - *p;

				if (strncmp(*p, sections[s], seclen) != 0 ||
				    sections[s][seclen] != '\0')
					continue;
				snprintf(seckey, sizeof(seckey), "%.*s",
				    (int)(eq - *p), *p);
				/* Write each key once, from the first list
				 * that has it. */
				if (l > 0 && h_value(over, seckey) != NULL)
					continue;
				if (l > 1 && h_value(auto_keys, seckey))
					continue;
				/* "%D" at the start stands for the test's
				 * own directory. */
				fprintf(fp, "%.*s = %s%s\n", (int)(eq - dot - 1),
				    dot + 1, strncmp(eq + 1, "%D", 2) == 0 ?
				    d->dir : "", eq + 1 +
				    (strncmp(eq + 1, "%D", 2) == 0 ? 2 : 0));
			}
		}
	}
	fclose(fp);
}

static void
h_register(struct h_daemon *d)
{
	int i;

	for (i = 0; i < H_MAX_DAEMONS; i++) {
		if (started[i].pid == 0 || started[i].pid == d->pid) {
			started[i].pid = d->pid;
			strcpy(started[i].dir, d->dir);
			return;
		}
	}
}

int
h_spawn(struct h_daemon *d, const char *const *argv_extra,
    const char *const *env_extra)
{
	const char *bin = getenv("SOCKBIND_BIN");
	const char *argv[16];
	int out[2], err[2], n = 0;

	cr_assert_not_null(bin, "SOCKBIND_BIN is not set");
	cr_assert_eq(pipe2(out, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(err, O_CLOEXEC), 0);
	argv[n++] = bin;
	argv[n++] = "-c";
	argv[n++] = d->config;
	for (; argv_extra && *argv_extra && n < 15; argv_extra++)
		argv[n++] = *argv_extra;
	argv[n] = NULL;
	d->status = -1;
	d->out_len = d->err_len = 0;
	d->out[0] = d->err[0] = '\0';
	d->pid = fork();
	cr_assert_neq(d->pid, -1, "fork");
	if (d->pid == 0) {
		/* Never outlive the test, whatever happens to it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(out[1], 1);
		dup2(err[1], 2);
		for (; env_extra && *env_extra; env_extra++)
			putenv((char *)*env_extra);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	d->out_fd = out[0];
	d->err_fd = err[0];
	h_register(d);
	return 0;
}

void
h_read_output(struct h_daemon *d, int timeout_ms)
{
	long deadline = h_now_ms() + timeout_ms;
	struct pollfd pfd[2];
	ssize_t n;
	int i, left;

	for (;;) {
		pfd[0].fd = d->out_fd;
		pfd[1].fd = d->err_fd;
		pfd[0].events = pfd[1].events = POLLIN;
		left = (int)(deadline - h_now_ms());
		if (left < 0 || (d->out_fd == -1 && d->err_fd == -1))
			return;
		if (poll(pfd, 2, left) <= 0)
			return;
		for (i = 0; i < 2; i++) {
			char *buf = i ? d->err : d->out;
			size_t *len = i ? &d->err_len : &d->out_len;
			int *fd = i ? &d->err_fd : &d->out_fd;

			if (!(pfd[i].revents & (POLLIN | POLLHUP)))
				continue;
			n = read(*fd, buf + *len, sizeof(d->out) - 1 - *len);
			if (n <= 0) {
				close(*fd);
				*fd = -1;
				continue;
			}
			*len += n;
			buf[*len] = '\0';
		}
		/* The caller waits for start-up: stop at the first line. */
		if (strchr(d->out, '\n') != NULL || d->err_len > 0)
			return;
	}
}

void
h_overrides(const char **all, const char *const *over,
    const char *const *more)
{
	size_t n = 0;

	for (; over != NULL && *over != NULL; over++)
		all[n++] = *over;
	for (; more != NULL && *more != NULL; more++)
		all[n++] = *more;
	all[n] = NULL;
}

void
h_start_env(struct h_daemon *d, int port_min, int port_max,
    const char *const *over, const char *const *env)
{
	memset(d, 0, sizeof(*d));
	h_config(d, port_min, port_max, over);
	h_spawn(d, NULL, env);
	h_wait_listening(d, port_min, port_max);
}

void
h_wait_listening(struct h_daemon *d, int port_min, int port_max)
{
	long deadline;
	char *text;

	deadline = h_now_ms() + H_WAIT_MS;
	while (strstr(d->out, "listening on") == NULL &&
	    h_now_ms() < deadline && d->err_len == 0)
		h_read_output(d, 100);
	cr_assert(strstr(d->out, "listening on") != NULL,
	    "sockbind did not start: stdout '%s' stderr '%s'", d->out,
	    d->err);
	text = h_slurp(d->port_file, NULL);
	cr_assert_not_null(text, "no port file %s", d->port_file);
	d->port = atoi(text);
	free(text);
	cr_assert(d->port >= port_min && d->port <= port_max);
}

void
h_start(struct h_daemon *d, int port_min, int port_max,
    const char *const *over)
{
	h_start_env(d, port_min, port_max, over, NULL);
}

int
h_wait_exit(struct h_daemon *d, int timeout_ms)
{
	long deadline = h_now_ms() + timeout_ms;
	int status;

	if (d->status != -1)
		return d->status;
	do {
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->status = status;
			h_read_output(d, 0);
			return status;
		}
		h_pause_ms(5);
	} while (h_now_ms() < deadline);
	return -1;
}

void
h_signal(struct h_daemon *d, int sig)
{
	cr_assert_eq(kill(d->pid, sig), 0, "kill %d", sig);
}

static int
h_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void
h_cleanup(void)
{
	char path[96], *text;
	pid_t daemon;
	int i;

	for (i = 0; i < H_MAX_DAEMONS; i++) {
		if (started[i].pid == 0)
			continue;
		kill(started[i].pid, SIGKILL);
		waitpid(started[i].pid, NULL, 0);
		/* A daemonized (-d) one is no child of ours: its pidfile
		 * names it, even when the test failed before stopping it. */
		snprintf(path, sizeof(path), "%s/pid", started[i].dir);
		if ((text = h_slurp(path, NULL)) != NULL) {
			if ((daemon = atoi(text)) > 1)
				kill(daemon, SIGKILL);
			free(text);
		}
		if (getenv("KEEP_TEST_DIRS") == NULL)
			nftw(started[i].dir, h_rm, 8, FTW_DEPTH | FTW_PHYS);
		started[i].pid = 0;
	}
}

int
h_connect_from(const char *src, int port)
{
	struct sockaddr_in sin;
	struct timeval tv = { 5, 0 };
	int fd;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	if (src != NULL) {
		inet_pton(AF_INET, src, &sin.sin_addr);
		if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
			close(fd);
			return -1;
		}
	}
	sin.sin_port = htons(port);
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

int
h_connect(int port)
{
	return h_connect_from(NULL, port);
}

int
h_local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len) == -1)
		return -1;
	return ntohs(sin.sin_port);
}

int
h_send(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(fd, p, len, MSG_NOSIGNAL);
		if (n <= 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

ssize_t
h_recv_exact(int fd, void *buf, size_t len, int timeout_ms)
{
	long deadline = h_now_ms() + timeout_ms;
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t got = 0;
	ssize_t n;
	int left;

	while (got < len) {
		left = (int)(deadline - h_now_ms());
		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			break;
		n = recv(fd, (char *)buf + got, len - got, 0);
		if (n <= 0)
			break;
		got += n;
	}
	return got;
}

int
h_echo(int fd, const char *msg, int timeout_ms)
{
	size_t len = strlen(msg);
	char buf[4096];

	if (len > sizeof(buf) || h_send(fd, msg, len) == -1)
		return -1;
	if (h_recv_exact(fd, buf, len, timeout_ms) != (ssize_t)len)
		return -1;
	return memcmp(buf, msg, len) == 0 ? 0 : -1;
}

void
h_frame_send(int fd, const void *buf, uint32_t len)
{
	uint32_t be = htonl(len);

	cr_assert_eq(h_send(fd, &be, 4), 0);
	if (len > 0)
		cr_assert_eq(h_send(fd, buf, len), 0);
}

void
h_frame_send_text(int fd, const char *text)
{
	h_frame_send(fd, text, (uint32_t)strlen(text));
}

int
h_frame_recv(int fd, char *buf, size_t size, int ms)
{
	uint32_t be, len;

	if (h_recv_exact(fd, &be, 4, ms) != 4)
		return -1;
	len = ntohl(be);
	cr_assert_lt(len, size, "reply of %u bytes", len);
	cr_assert_eq(h_recv_exact(fd, buf, len, ms), (ssize_t)len);
	buf[len] = '\0';
	return (int)len;
}

int
h_session_connect(const char *src, int port, int ms)
{
	char buf[256];
	int fd = h_connect_from(src, port);

	cr_assert_geq(fd, 0, "connect from %s", src ? src : "default");
	cr_assert_geq(h_frame_recv(fd, buf, sizeof(buf), ms), 0,
	    "no greeting");
	cr_assert(strncmp(buf, "OK sockbind ", 12) == 0, "greeting '%s'", buf);
	return fd;
}

void
h_session_ask(int fd, const char *request, char *reply, size_t size, int ms)
{
	h_frame_send_text(fd, request);
	cr_assert_geq(h_frame_recv(fd, reply, size, ms), 0, "no reply to %s",
	    request);
}

void
h_session_expect(int fd, const char *request, const char *expect, int ms)
{
	char reply[4096];

	h_session_ask(fd, request, reply, sizeof(reply), ms);
	cr_assert_str_eq(reply, expect, "request '%s': '%s'", request,
	    reply);
}

void
h_session_login(int fd, const char *user, const char *password, char *tok)
{
	char req[256], reply[512];
	long long expires;

	snprintf(req, sizeof(req), "LOGIN %s %s", user, password);
	h_session_ask(fd, req, reply, sizeof(reply), 3 * H_WAIT_MS);
	cr_assert_eq(sscanf(reply, "OK token %64s expires %lld", tok,
	    &expires), 2, "%s", reply);
	cr_assert_eq(strlen(tok), 64);
}

void
h_session_store_stuck(int a, int b, const char *request)
{
	char buf[256];
	long t0, took;

	t0 = h_now_ms();
	h_frame_send_text(a, request);
	/* Meanwhile the other client is served at once. */
	h_session_expect(b, "ECHO while locked", "OK while locked", 1000);
	cr_assert_lt(h_now_ms() - t0, 1000, "echo waited for the store");
	cr_assert_geq(h_frame_recv(a, buf, sizeof(buf), 3 * H_WAIT_MS), 0,
	    "no reply to '%s' while the store was held", request);
	took = h_now_ms() - t0;
	cr_assert_str_eq(buf, "ERR 500 the store failed");
	cr_assert_geq(took, 4500, "ERR 500 after %ld ms only", took);
	cr_log_info("store held: ERR 500 after %ld ms", took);
	/* The connection stays, and so does the service. */
	h_session_expect(a, "ECHO still here", "OK still here", H_WAIT_MS);
}

/* Parse /proc/PID/stat: state and parent pid (the name may hold ")"). */
static int
h_stat(pid_t pid, char *state, pid_t *ppid)
{
	char path[64], buf[512], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fd = open(path, O_RDONLY)) == -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL)
		return -1;
	*state = p[2];
	*ppid = (pid_t)atoi(p + 4);
	return 0;
}

char
h_proc_state(pid_t pid)
{
	pid_t ppid;
	char st;

	return h_stat(pid, &st, &ppid) == 0 ? st : 0;
}

int
h_gone(pid_t pid)
{
	char st = h_proc_state(pid);

	return st == 0 || st == 'Z' || st == 'X';
}

int
h_wait_state(pid_t pid, char state, int timeout_ms)
{
	long deadline = h_now_ms() + timeout_ms;

	do {
		if (h_proc_state(pid) == state)
			return 0;
		h_pause_ms(5);
	} while (h_now_ms() < deadline);
	return -1;
}

/* Live (not zombie) children of master; their pids into pids[0..max). */
int
h_workers(pid_t master, pid_t *pids, int max)
{
	struct dirent *de;
	DIR *dir;
	pid_t pid, ppid;
	char st;
	int n = 0;

	if ((dir = opendir("/proc")) == NULL)
		return -1;
	while ((de = readdir(dir)) != NULL) {
		if ((pid = atoi(de->d_name)) <= 0)
			continue;
		if (h_stat(pid, &st, &ppid) == -1 || ppid != master ||
		    st == 'Z' || st == 'X')
			continue;
		if (pids != NULL && n < max)
			pids[n] = pid;
		n++;
	}
	closedir(dir);
	return n;
}

int
h_wait_workers(pid_t master, int n, int timeout_ms)
{
	long deadline = h_now_ms() + timeout_ms;
	int have;

	do {
		if ((have = h_workers(master, NULL, 0)) == n)
			return 0;
		h_pause_ms(5);
	} while (h_now_ms() < deadline);
	return -1;
}

char *
h_slurp(const char *path, size_t *lenp)
{
	char *buf = NULL;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY)) == -1)
		return NULL;
	for (;;) {
		if (cap - len < 65536) {
			cap = cap ? cap * 2 : 131072;
			buf = realloc(buf, cap);
			cr_assert_not_null(buf);
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n <= 0)
			break;
		len += n;
	}
	close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

int
h_log_count(const char *path, const char *needle)
{
	char *text = h_slurp(path, NULL), *line, *save = NULL;
	int n = 0;

	if (text == NULL)
		return 0;
	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save))
		n += strstr(line, needle) != NULL;
	free(text);
	return n;
}

int
h_log_wait(const char *path, const char *needle, int count, int timeout_ms)
{
	long deadline = h_now_ms() + timeout_ms;

	do {
		if (h_log_count(path, needle) >= count)
			return 0;
		h_pause_ms(10);
	} while (h_now_ms() < deadline);
	return -1;
}

/* The whole grammar of a record: time, ident[pid], event, key=value... */
#define H_RECORD_RE							\
	"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}"\
	"[+-][0-9]{2}:[0-9]{2} %s\\[[0-9]+\\] [a-z_]+"			\
	"( [a-z_]+=(\"([^\"\\\\]|\\\\.)*\"(\\.\\.\\.\\[cut [0-9]+\\])?"	\
	"|[^ \"]*))*$"

int
h_log_bad_lines(const char *path, int *lines)
{
	return h_log_bad_lines_ident(path, "sockbind", lines);
}

int
h_log_bad_lines_ident(const char *path, const char *ident, int *lines)
{
	char *text = h_slurp(path, NULL), *line, *save = NULL, pattern[512];
	regex_t re;
	int bad = 0;

	*lines = 0;
	snprintf(pattern, sizeof(pattern), H_RECORD_RE, ident);
	cr_assert_eq(regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB), 0);
	cr_assert_not_null(text, "no log %s", path);
	/* A torn record would leave a line without its newline at the end. */
	if (text[0] != '\0' && text[strlen(text) - 1] != '\n')
		bad++;
	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		(*lines)++;
		if (regexec(&re, line, 0, NULL, 0) != 0) {
			if (bad < 5)
				cr_log_error("unparsable record: %s", line);
			bad++;
		}
	}
	regfree(&re);
	free(text);
	return bad;
}

pid_t
h_log_pid_of(const char *path, const char *needle)
{
	char *text = h_slurp(path, NULL), *line, *save = NULL, *p;
	pid_t pid = -1;

	if (text == NULL)
		return -1;
	for (line = strtok_r(text, "\n", &save); line;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, needle) != NULL &&
		    (p = strchr(line, '[')) != NULL) {
			pid = atoi(p + 1);
			break;
		}
	}
	free(text);
	return pid;
}
