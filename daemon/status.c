/* status.c -- the status listener: HTTP for people, scripts, monitoring. */
#include <sys/prctl.h>
#include <sys/socket.h>

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "daemon/config.h"
#include "daemon/listener.h"
#include "daemon/scoreboard.h"
#include "daemon/sockbind.h"
#include "daemon/status.h"
#include "daemon/status_page.h"
#include "shared/log.h"
#include "shared/timefmt.h"

#define STATUS_SAMPLE_MS	1000
#define STATUS_WAIT_MS		250	/* the loop looks at its flags */
#define STATUS_CONNECTIONS	64
#define STATUS_TIMEOUT_S	10	/* an idle HTTP connection */

static volatile sig_atomic_t	 status_stop;
static struct sb_worker		 status_workers[2 * CONFIG_WORKERS_MAX];
static struct status_history	 status_hist;
static pid_t			 status_master;
static int			 status_clients;

/* "ADDRESS:PORT" or "[IPv6]:PORT" into its address and port. */
static int
status_split(const char *value, char *addr, size_t addrlen, int *port,
    char *why, size_t whylen)
{
	const char *colon = strrchr(value, ':'), *host = value;
	size_t hostlen;
	char *end;
	long p;

	if (colon == NULL || colon == value) {
		snprintf(why, whylen, "'%s' is not ADDRESS:PORT", value);
		return -1;
	}
	hostlen = colon - value;
	if (value[0] == '[' && colon[-1] == ']') {
		host++;
		hostlen -= 2;
	}
	errno = 0;
	p = strtol(colon + 1, &end, 10);
	if (colon[1] < '0' || colon[1] > '9' || *end != '\0' || errno != 0 ||
	    p < 1 || p > 65535) {
		snprintf(why, whylen, "'%s': the port is not 1 to 65535",
		    value);
		return -1;
	}
	if (hostlen == 0 || hostlen >= addrlen) {
		snprintf(why, whylen, "'%s' is not ADDRESS:PORT", value);
		return -1;
	}
	memcpy(addr, host, hostlen);
	addr[hostlen] = '\0';
	*port = (int)p;
	return net_check_listen(addr, why, whylen);
}

int
status_check_listen(const char *value, char *why, size_t whylen)
{
	char addr[NET_ADDRSTRLEN];
	int port;

	if (value[0] == '\0')
		return 0;
	return status_split(value, addr, sizeof(addr), &port, why, whylen);
}

int
status_bind(const char *listen, char *err, size_t errlen)
{
	char addr[NET_ADDRSTRLEN], what[256];
	struct sockaddr_storage ss;
	int port, why, fd;

	if (status_split(listen, addr, sizeof(addr), &port, what,
	    sizeof(what)) == -1) {
		snprintf(err, errlen, "[status] listen: %s", what);
		return -1;
	}
	fd = listener_bind(addr, port, port, STATUS_WAIT_MS, NULL, &ss, &why,
	    what, sizeof(what));
	if (fd == -1)
		snprintf(err, errlen, "[status] listen: cannot listen on %s: "
		    "%s", listen, why == LISTENER_ALL_IN_USE ?
		    strerror(EADDRINUSE) : what);
	return fd;
}

static void
status_signal(int sig)
{
	(void)sig;
	status_stop = 1;
}

/* The master's figures from /proc: stat, statm, fd/, limits. */
static void
status_proc_read(pid_t pid, struct status_proc *p)
{
	char path[64], buf[1024], *s;
	unsigned long long utime, stime, start, vsize;
	long long rss, btime = -1;
	long tick = sysconf(_SC_CLK_TCK), page = sysconf(_SC_PAGESIZE);
	struct dirent *de;
	FILE *fp;
	DIR *d;

	p->cpu_seconds = p->start_time = -1;
	p->rss_bytes = p->vm_bytes = -1;
	p->open_fds = p->max_fds = -1;
	if ((fp = fopen("/proc/stat", "re")) != NULL) {
		while (fgets(buf, sizeof(buf), fp) != NULL)
			if (sscanf(buf, "btime %lld", &btime) == 1)
				break;
		fclose(fp);
	}
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fp = fopen(path, "re")) != NULL) {
		/* After the command's ")", fields 3 on. */
		if (fgets(buf, sizeof(buf), fp) != NULL &&
		    (s = strrchr(buf, ')')) != NULL && sscanf(s + 2,
		    "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu "
		    "%*d %*d %*d %*d %*d %*d %llu %llu %lld", &utime, &stime,
		    &start, &vsize, &rss) == 5) {
			p->cpu_seconds = (double)(utime + stime) / tick;
			if (btime >= 0)
				p->start_time = btime + (double)start / tick;
			p->vm_bytes = (long long)vsize;
			p->rss_bytes = rss * page;
		}
		fclose(fp);
	}
	/* Unreadable once the master dropped privileges as root. */
	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	if ((d = opendir(path)) != NULL) {
		p->open_fds = 0;
		while ((de = readdir(d)) != NULL)
			p->open_fds += de->d_name[0] != '.';
		closedir(d);
	}
	/* prlimit(2) on another process is a privileged call to a
	 * seccomp filter (the unit's); the file is not. */
	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	if ((fp = fopen(path, "re")) != NULL) {
		while (fgets(buf, sizeof(buf), fp) != NULL)
			if (strncmp(buf, "Max open files", 14) == 0) {
				p->max_fds = strtol(buf + 14, &s, 10);
				if (s == buf + 14)
					p->max_fds = -1;
				break;
			}
		fclose(fp);
	}
}

/* Now's view; the workers are in status_workers. */
static void
status_view(struct status_view *v)
{
	memset(v, 0, sizeof(*v));
	v->h = *scoreboard_header();
	v->w = status_workers;
	v->n = scoreboard_snapshot(status_workers,
	    sizeof(status_workers) / sizeof(status_workers[0]), v->totals);
	v->have_log = log_counts(&v->log_written, &v->log_dropped) == 0;
	v->hist = &status_hist;
	v->now_ms = timefmt_mono_ms();
	v->now = time(NULL);
	v->show_clients = status_clients;
	v->version = SOCKBIND_VERSION;
}

static void
status_sample(void)
{
	struct status_sample s;
	struct status_view v;
	int counts[SB_STOPPING + 1];

	status_view(&v);
	status_page_counts(&v, counts);
	s.mono_ms = v.now_ms;
	s.accepted = v.totals[SB_ACCEPTED];
	s.refused = v.totals[SB_REFUSED_PER_SOURCE] +
	    v.totals[SB_REFUSED_PROXY];
	s.busy = counts[SB_BUSY];
	status_history_add(&status_hist, &s);
}

static enum MHD_Result
status_reply(struct MHD_Connection *conn, unsigned code, const char *type,
    char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(body);
		return MHD_NO;
	}
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
status_text(struct MHD_Connection *conn, unsigned code, const char *text)
{
	char *body = strdup(text);

	return body == NULL ? MHD_NO : status_reply(conn, code,
	    "text/plain; charset=utf-8", body, strlen(body));
}

static enum MHD_Result
status_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_len, void **state)
{
	const char *type;
	struct status_view v;
	char *body = NULL;
	size_t len = 0;
	FILE *fp;
	int r;

	(void)cls;
	(void)version;
	(void)upload;
	(void)state;
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
		*upload_len = 0;
		return status_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "only GET and HEAD\n");
	}
	if (strcmp(url, "/healthz") == 0) {
		status_view(&v);
		r = status_page_health(&v, &type);
		return status_text(conn, (unsigned)r, type);
	}
	if ((fp = open_memstream(&body, &len)) == NULL)
		return MHD_NO;
	if (strcmp(url, "/") == 0) {
		type = "text/html; charset=utf-8";
		r = status_page_html(fp);
	} else if (strcmp(url, "/status.json") == 0) {
		type = "application/json";
		status_view(&v);
		r = status_page_json(fp, &v);
	} else if (strcmp(url, "/metrics") == 0) {
		type = "text/plain; version=0.0.4; charset=utf-8";
		status_view(&v);
		status_proc_read(status_master, &v.proc);
		/* Without /proc/stat (the unit's ProcSubset=pid), the time the
		 * master recorded when it started. */
		if (v.proc.start_time < 0)
			v.proc.start_time = (double)v.h.started;
		r = status_page_metrics(fp, &v);
	} else {
		fclose(fp);
		free(body);
		return status_text(conn, MHD_HTTP_NOT_FOUND, "not found: try "
		    "/, /status.json, /metrics or /healthz\n");
	}
	if (fclose(fp) != 0 || r == -1) {
		free(body);
		return status_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "out of memory\n");
	}
	return status_reply(conn, MHD_HTTP_OK, type, body, len);
}

static void
status_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[256];

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	log_warnx("status: %s", msg);
}

static void
status_signals(void)
{
	static const int ignored[] = { SIGHUP, SIGUSR1, SIGUSR2, SIGTTIN,
	    SIGTTOU, SIGPIPE };
	struct sigaction sa;
	sigset_t none;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = status_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		sigaction(ignored[i], &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

void
status_main(int fd, pid_t master, const struct config *cfg)
{
	struct MHD_Daemon *d;
	uint64_t now, next;

	status_master = master;
	status_clients = cfg->status_clients;
	status_signals();
	/* Gone with the master, as the workers are. */
	if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1 || getppid() != master)
		_exit(0);
	setproctitle("status %s", cfg->status_listen);
	d = MHD_start_daemon(MHD_USE_ERROR_LOG, 0, NULL, NULL,
	    status_request, NULL,
	    MHD_OPTION_EXTERNAL_LOGGER, status_mhd_log, NULL,
	    MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)STATUS_CONNECTIONS,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)STATUS_TIMEOUT_S,
	    MHD_OPTION_END);
	if (d == NULL) {
		log_warnx("status: cannot start the HTTP server on %s",
		    cfg->status_listen);
		log_flush_pending();
		_exit(EXIT_START);
	}
	log_event("status_start", "pid=%d listen=%s", (int)getpid(),
	    cfg->status_listen);
	next = timefmt_mono_ms();
	while (!status_stop && getppid() == master) {
		now = timefmt_mono_ms();
		if (now >= next) {
			status_sample();
			next = now + STATUS_SAMPLE_MS;
		}
		log_flush_pending();
		MHD_run_wait(d, next - now < STATUS_WAIT_MS ?
		    (int32_t)(next - now) : STATUS_WAIT_MS);
	}
	MHD_stop_daemon(d);
	log_flush_pending();
	_exit(0);
}
