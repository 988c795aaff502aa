/*
 * top.c -- sockbin top: the server's status page in a terminal.
 *
 * Reads GET /status.json from the status listener ([status] listen of the
 * server, docs/STATUS.md) once a second and draws the pool: one line per
 * worker, with its client when the server shows them. HTTP/1.0 and one
 * request per connection: the body is what comes before the server closes.
 * The JSON is read by key, which is enough for the server's own document.
 */
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/i18n.h"
#include "client/sockbin.h"
#include "shared/timefmt.h"

#define TOP_BODY_MAX	(1024 * 1024)
#define TOP_TIMEOUT_MS	5000
#define TOP_SLOTS_SHOWN	40

static volatile sig_atomic_t	top_stop;

static void
top_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

static int
top_connect(const char *host, const char *port, char *err, size_t errlen)
{
	struct addrinfo hints, *res, *ai;
	int fd = -1, r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%.200s: %s", host, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
		if (fd == -1)
			continue;
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

/* GET path into a malloc'd body; the HTTP status, or -1 with err. */
static int
top_get(const char *host, const char *port, const char *path, char **body,
    char *err, size_t errlen)
{
	static char buf[TOP_BODY_MAX];
	uint64_t deadline = timefmt_mono_ms() + TOP_TIMEOUT_MS, now;
	struct pollfd pfd;
	char req[512], *start;
	size_t got = 0;
	ssize_t n;
	int fd, code;

	if ((fd = top_connect(host, port, err, errlen)) == -1)
		return -1;
	snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n",
	    path, host);
	if (send(fd, req, strlen(req), MSG_NOSIGNAL) != (ssize_t)strlen(req)) {
		snprintf(err, errlen, "send: %s", strerror(errno));
		close(fd);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (got < sizeof(buf) - 1 && (now = timefmt_mono_ms()) < deadline &&
	    poll(&pfd, 1, (int)(deadline - now)) > 0 &&
	    (n = read(fd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	close(fd);
	buf[got] = '\0';
	if (sscanf(buf, "HTTP/1.%*d %d", &code) != 1 ||
	    (start = strstr(buf, "\r\n\r\n")) == NULL) {
		snprintf(err, errlen, "%s", got == 0 ?
		    _("no HTTP reply (nothing came)") : _("no HTTP reply"));
		return -1;
	}
	if ((*body = strdup(start + 4)) == NULL)
		errx(EXIT_LOST, _("top: out of memory"));
	return code;
}

/* The value after "key": in [p, end), or NULL. */
static const char *
top_find(const char *p, const char *end, const char *key)
{
	char needle[64];
	size_t len;

	if (p == NULL || p >= end)
		return NULL;
	len = (size_t)snprintf(needle, sizeof(needle), "\"%s\":", key);
	p = memmem(p, end - p, needle, len);
	return p != NULL ? p + len : NULL;
}

static double
top_num(const char *p, const char *end, const char *key)
{
	const char *v = top_find(p, end, key);

	return v != NULL ? strtod(v, NULL) : 0;
}

static int
top_true(const char *p, const char *end, const char *key)
{
	const char *v = top_find(p, end, key);

	return v != NULL && strncmp(v, "true", 4) == 0;
}

/* A string value into buf; "-" for null or none. */
static const char *
top_str(const char *p, const char *end, const char *key, char *buf,
    size_t size)
{
	const char *v = top_find(p, end, key), *q;

	if (v == NULL || *v != '"' || (q = strchr(v + 1, '"')) == NULL ||
	    q > end)
		return strlcpy(buf, "-", size), buf;
	snprintf(buf, size, "%.*s", (int)(q - v - 1), v + 1);
	return buf;
}

static void
top_duration(double s, char *buf, size_t size)
{
	long t = (long)s;

	if (t < 60)
		snprintf(buf, size, "%ld s", t);
	else if (t < 3600)
		snprintf(buf, size, "%ld min %ld s", t / 60, t % 60);
	else
		snprintf(buf, size, "%ld h %ld min", t / 3600, t % 3600 / 60);
}

/* One screen of the status document. */
static void
top_draw(const char *doc, int clear)
{
	const char *end = doc + strlen(doc), *slots, *p, *q;
	char service[32], version[32], state[16], client[NET_ADDRSTRLEN];
	char up[32], served[32];
	int shown = 0, total;

	if (clear)
		fputs("\033[H\033[2J", stdout);
	top_duration(top_num(doc, end, "uptime_seconds"), up, sizeof(up));
	printf(_("sockbind %s  %s on port %.0f  up %s  stress %s%s\n"),
	    top_str(doc, end, "version", version, sizeof(version)),
	    top_str(doc, end, "service", service, sizeof(service)),
	    top_num(doc, end, "port"), up,
	    top_true(doc, end, "stress") ? "ON" : "off",
	    top_true(doc, end, "stopping") ? _("  STOPPING") : "");
	p = top_find(doc, end, "workers");
	total = (int)top_num(p, end, "total");
	printf(_("workers %d of %.0f: %.0f busy, %.0f idle, %.0f starting, "
	    "%.0f stopping; %.0f waiting\n"), total,
	    top_num(doc, end, "max_workers"), top_num(p, end, "busy"),
	    top_num(p, end, "idle"), top_num(p, end, "starting"),
	    top_num(p, end, "stopping"), top_num(doc, end, "queued"));
	p = top_find(doc, end, "counters");
	printf(_("connections %.1f/s, refusals %.1f/s; accepted %.0f, "
	    "refused %.0f\n\n"), top_num(doc, end, "connections_per_second"),
	    top_num(doc, end, "refusals_per_second"),
	    top_num(p, end, "accepted"),
	    top_num(p, end, "refused_per_source") +
	    top_num(p, end, "refused_proxy"));
	printf("%-5s %-8s %-9s %8s %-14s %s\n", "SLOT", "PID", "STATE",
	    "REQUESTS", "SERVED", "CLIENT");
	/* An empty list ends where the history begins. */
	if ((slots = top_find(doc, end, "slots")) != NULL &&
	    strncmp(slots, "[]", 2) == 0)
		slots = NULL;
	for (p = slots; p != NULL && (p = strchr(p, '{')) != NULL &&
	    (q = strchr(p, '}')) != NULL; p = q + 1) {
		if (shown++ == TOP_SLOTS_SHOWN) {
			printf(_("... %d more\n"), total - TOP_SLOTS_SHOWN);
			break;
		}
		top_str(p, q, "state", state, sizeof(state));
		served[0] = '\0';
		if (top_true(p, q, "serving"))
			top_duration(top_num(p, q, "served_seconds"), served,
			    sizeof(served));
		top_str(p, q, "client", client, sizeof(client));
		printf("%-5.0f %-8.0f %-9s %8.0f %-14s %s\n",
		    top_num(p, q, "slot"), top_num(p, q, "pid"), state,
		    top_num(p, q, "requests"), served[0] ? served : "-",
		    top_true(p, q, "serving") ? (strcmp(client, "-") ?
		    client : _("(hidden)")) : "");
		if (q[1] == ']')
			break;
	}
	fflush(stdout);
}

/*
 * sockbin [--status HOST:PORT] top [-n COUNT]: COUNT screens, one a
 * second (0, the default: until interrupted).
 */
int
cmd_top(struct client *c, int argc, char **argv)
{
	char host[256], *port, *body = NULL, err[256];
	long count = 0, n;
	int ch, code, clear = isatty(STDOUT_FILENO);
	struct sigaction sa;
	uint64_t next, now;
	char *end;

	optind = 0;		/* a fresh scan (glibc) */
	while ((ch = getopt(argc + 1, argv - 1, "+n:")) != -1) {
		switch (ch) {
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*optarg == '\0' || *end != '\0' || count < 0)
				errx(EXIT_USAGE, _("top: -n %s: not a count"),
				    optarg);
			break;
		default:
			client_usage("top [-n count]");
		}
	}
	if (optind != argc + 1)
		client_usage("top [-n count]");
	strlcpy(host, c->cfg.status, sizeof(host));
	if ((port = strrchr(host, ':')) == NULL || port == host)
		errx(EXIT_USAGE, _("top: status listener '%s' is not "
		    "HOST:PORT"), c->cfg.status);
	*port++ = '\0';
	if (host[0] == '[' && port[-2] == ']') {
		port[-2] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = top_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (n = 0; !top_stop && (count == 0 || n < count); n++) {
		next = timefmt_mono_ms() + 1000;
		code = top_get(host, port, "/status.json", &body, err,
		    sizeof(err));
		if (code == -1)
			errx(n == 0 ? EXIT_NOSERVER : EXIT_LOST,
			    _("top: status listener %s: %s"), c->cfg.status,
			    err);
		if (code != 200) {
			warnx(_("top: status listener %s: HTTP %d"),
			    c->cfg.status, code);
			free(body);
			return EXIT_REFUSED;
		}
		top_draw(body, clear);
		free(body);
		while (!top_stop && (count == 0 || n + 1 < count) &&
		    (now = timefmt_mono_ms()) < next)
			poll(NULL, 0, (int)(next - now));
	}
	return 0;
}
