/*
 * link.c -- the client's connection: find the server on the port range,
 * learn its protocol from its first words, send and receive with time
 * limits, and keep the client's own log of all of it (passwords and tokens
 * hidden). Failures that end the run exit here with one line on stderr:
 * EXIT_NOSERVER when nobody answers, EXIT_LOST on a timeout or a cut.
 */
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/i18n.h"
#include "client/sockbin.h"
#include "shared/log.h"
#include "shared/redact.h"
#include "shared/timefmt.h"

#define LINK_CONNECT_MS		5000
#define LINK_GREETING_MS	300	/* servers that greet do so at once */
#define LINK_FRAME_MAX		(16 * 1024 * 1024)

/* Wait for fd; 1 ready, 0 timed out. A signal does not cut the wait:
 * a reply on its way is worth having, whatever Ctrl-C asks next. */
static int
link_wait(int fd, short events, int ms)
{
	struct pollfd pfd = { fd, events, 0 };
	uint64_t until = timefmt_mono_ms() + ms, now;
	int n;

	for (;;) {
		n = poll(&pfd, 1, ms);
		if (n >= 0 || errno != EINTR)
			return n > 0;
		if ((now = timefmt_mono_ms()) >= until)
			return 0;
		ms = (int)(until - now);
	}
}

static ssize_t
link_io_read(void *ctx, void *buf, size_t len)
{
	struct client *c = ctx;

	if (!link_wait(c->fd, POLLIN, CLIENT_REPLY_MS)) {
		errno = ETIMEDOUT;
		return -1;
	}
	return recv(c->fd, buf, len, 0);
}

static int
link_io_write(void *ctx, const void *buf, size_t len)
{
	struct client *c = ctx;
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		if (!link_wait(c->fd, POLLOUT, CLIENT_REPLY_MS))
			return -1;
		if ((n = send(c->fd, p, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* Connect within LINK_CONNECT_MS; the socket, or -1 with errno. */
static int
link_connect(const struct addrinfo *ai)
{
	socklen_t len = sizeof(int);
	int fd, soerr = 0, fl;

	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
	    ai->ai_protocol);
	if (fd == -1)
		return -1;
	fl = fcntl(fd, F_GETFL);
	fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS) {
			soerr = errno;
			goto fail;
		}
		if (!link_wait(fd, POLLOUT, LINK_CONNECT_MS)) {
			soerr = ETIMEDOUT;
			goto fail;
		}
		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
		if (soerr != 0)
			goto fail;
	}
	fcntl(fd, F_SETFL, fl);
	return fd;
fail:
	close(fd);
	errno = soerr;
	return -1;
}

/*
 * Learn the protocol from what the server says first, if anything: the
 * servers that greet do so at once. A service named by the configuration
 * or --service is not sniffed for: a raw one is not waited for, and the
 * greeting of the others is waited for as long as any reply.
 */
static void
link_greeting(struct client *c)
{
	unsigned char first;
	uint32_t len;
	char *text;
	ssize_t n;
	int ms = LINK_GREETING_MS;

	c->proto = PROTO_RAW;
	c->greeting[0] = '\0';
	if (c->service >= 0) {
		if (guess_proto(c->service) == PROTO_RAW)
			return;
		ms = CLIENT_REPLY_MS;
	}
	if (!link_wait(c->fd, POLLIN, ms)) {
		if (c->service >= 0)
			errx(EXIT_LOST, ngettext("%s: no greeting within %d "
			    "second from the %s service", "%s: no greeting "
			    "within %d seconds from the %s service", ms / 1000),
			    c->server, ms / 1000, guess_name(c->service));
		return;
	}
	if ((n = recv(c->fd, &first, 1, MSG_PEEK)) <= 0)
		errx(EXIT_LOST, _("%s closed the connection at once"),
		    c->server);
	if (first == 0) {
		/* A frame: no text line starts with a NUL byte. */
		if (frame_recv(&c->io, LINK_FRAME_MAX, &text, &len) !=
		    FRAME_OK)
			errx(EXIT_LOST, _("%s: no greeting"), c->server);
		strlcpy(c->greeting, text, sizeof(c->greeting));
		free(text);
		c->proto = PROTO_SESSION;
	} else {
		if (link_recv_line(c, c->greeting, sizeof(c->greeting),
		    CLIENT_REPLY_MS) < 0)
			errx(EXIT_LOST, _("%s: no greeting"), c->server);
		c->proto = strncmp(c->greeting, "OK sockbind ", 12) == 0 ?
		    PROTO_AUTH : PROTO_IDENT;
	}
	link_log_recv(c, c->greeting, strlen(c->greeting));
}

/* The services the server of the link may run, from what it said. */
static unsigned
link_possible(const struct client *c)
{
	switch (c->proto) {
	case PROTO_SESSION:
		return SVC(SVC_SESSION);
	case PROTO_AUTH:
		return SVC(SVC_AUTH);
	case PROTO_IDENT:
		return SVC(SVC_IDENT);
	case PROTO_RAW:
		break;
	}
	return c->service >= 0 ? SVC(c->service) : SVC_RAW;
}

/* A port passed over: runs of ports with the same reason are one. */
static void
link_passed(struct client *c, int port, int errnum, unsigned services,
    const char *evidence)
{
	struct link_run *r = c->nruns ? &c->runs[c->nruns - 1] : NULL;

	if (r != NULL && r->hi == port - 1 && r->errnum == errnum &&
	    r->services == services && r->evidence == evidence) {
		r->hi = port;
		return;
	}
	if (c->nruns == LINK_RUNS) {
		c->more_runs++;
		return;
	}
	r = &c->runs[c->nruns++];
	r->lo = r->hi = port;
	r->errnum = errnum;
	r->services = services;
	r->evidence = evidence;
}

/* The message in the user's language (localized), or as written: the log
 * stays English. */
static const char * __attribute__((format_arg(2)))
link_tr(int localized, const char *msgid)
{
	return localized ? gettext(msgid) : msgid;
}

/* Why the ports of r were passed over: "Connection refused", "runs the
 * echo service (it sent the text back unchanged)". */
static void
link_why(const struct link_run *r, int localized, char *buf, size_t size)
{
	char names[96];

	if (r->services == 0) {
		strlcpy(buf, localized ? strerror(r->errnum) :
		    strerrordesc_np(r->errnum), size);
		return;
	}
	guess_names(r->services, localized, names, sizeof(names));
	if (r->evidence != NULL)
		snprintf(buf, size, link_tr(localized, N_("runs the %s service "
		    "(%s)")), names, link_tr(localized, r->evidence));
	else
		snprintf(buf, size, link_tr(localized, N_("runs the %s "
		    "service")), names);
}

/* "no server for echo on 127.0.0.1 ports 7000-7002 (echo needs the echo or
 * session service): 7000-7001 Connection refused; 7002 runs the ..." */
static void
link_fail_line(struct client *c, int localized, const char *range,
    char *line, size_t size)
{
	char ports[NET_PORTRANGELEN], need[128], why[256];
	int i, one = c->port_min == c->port_max;

	guess_names(c->need, localized, need, sizeof(need));
	snprintf(line, size, one ? link_tr(localized, N_("no server for %s on "
	    "%s port %s (%s needs the %s service):")) : link_tr(localized,
	    N_("no server for %s on %s ports %s (%s needs the %s service):")),
	    c->command, c->cfg.host, range, c->command, need);
	for (i = 0; i < c->nruns; i++) {
		net_port_range(c->runs[i].lo, c->runs[i].hi, ports);
		link_why(&c->runs[i], localized, why, sizeof(why));
		snprintf(line + strlen(line), size - strlen(line), "%s %s %s",
		    i ? ";" : "", ports, why);
	}
	if (c->more_runs > 0)
		snprintf(line + strlen(line), size - strlen(line),
		    link_tr(localized, N_("; and %d more")), c->more_runs);
}

/* Nobody to talk to: every port's reason, in one line. */
static void __attribute__((noreturn))
link_fail(struct client *c)
{
	char range[NET_PORTRANGELEN], need[128], line[1024], why[256];
	unsigned wrong = 0;
	int i;

	for (i = 0; i < c->nruns; i++)
		wrong |= c->runs[i].services;
	net_port_range(c->port_min, c->port_max, range);
	if (c->nruns == 1 && !wrong) {
		link_why(&c->runs[0], 0, why, sizeof(why));
		log_event("connect_failed", "host=%s ports=%s reason=\"%s\"",
		    c->cfg.host, range, why);
		link_why(&c->runs[0], 1, why, sizeof(why));
		errx(EXIT_NOSERVER, c->port_min == c->port_max ?
		    _("no server on %s port %s: %s") :
		    _("no server on %s ports %s: %s"), c->cfg.host, range, why);
	}
	if (c->nruns == 1 && c->runs[0].lo == c->runs[0].hi && wrong &&
	    c->more_runs == 0) {
		link_why(&c->runs[0], 0, why, sizeof(why));
		log_event("wrong_service", "server=%s reason=\"%s\"",
		    c->server, why);
		link_why(&c->runs[0], 1, why, sizeof(why));
		guess_names(c->need, 1, need, sizeof(need));
		errx(EXIT_USAGE, _("%s: the server at %s %s; %s needs the %s "
		    "service"), c->command, c->server, why, c->command, need);
	}
	link_fail_line(c, 0, range, line, sizeof(line));
	log_text("connect_failed", line, strlen(line), "host=%s ports=%s",
	    c->cfg.host, range);
	link_fail_line(c, 1, range, line, sizeof(line));
	errx(wrong ? EXIT_USAGE : EXIT_NOSERVER, "%s", line);
}

/* The client that is connected: a command that exits on an error (errx)
 * still logs its disconnect. */
static struct client	*link_current;

static void
link_at_exit(void)
{
	if (link_current != NULL)
		link_close(link_current, "client exit");
}

/* Connected to c->port: take the greeting, if any. */
static void
link_start(struct client *c)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);

	getpeername(c->fd, (struct sockaddr *)&ss, &sslen);
	net_addr_str((struct sockaddr *)&ss, c->server, sizeof(c->server));
	c->io.ctx = c;
	c->io.read = link_io_read;
	c->io.write = link_io_write;
	c->inlen = 0;
	c->opened_ms = timefmt_mono_ms();
	log_event("connect", "server=%s", c->server);
	if (link_current == NULL)
		atexit(link_at_exit);
	link_current = c;
	link_greeting(c);
}

/* The server of the link runs a service the command cannot use. */
static void
link_skip(struct client *c, unsigned services, const char *evidence)
{
	link_passed(c, c->port, 0, services, evidence);
	link_close(c, "wrong service");
}

/* Found, after passing over servers of other services: say so. */
static void
link_tell_skipped(struct client *c)
{
	char ports[NET_PORTRANGELEN], why[256];
	int i;

	for (i = c->told; i < c->nruns; i++) {
		if (c->runs[i].services == 0)
			continue;
		net_port_range(c->runs[i].lo, c->runs[i].hi, ports);
		link_why(&c->runs[i], 1, why, sizeof(why));
		warnx(c->runs[i].lo == c->runs[i].hi ?
		    _("%s port %s %s: skipped") : _("%s ports %s %s: skipped"),
		    c->cfg.host, ports, why);
	}
	c->told = c->nruns;
}

/* The first port from "from" on whose server can do the command. */
static void
link_try(struct client *c, int from)
{
	struct addrinfo hints, *res, *ai;
	char service[8];
	unsigned possible;
	int r, saved;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	for (c->port = from; c->port <= c->port_max; c->port++) {
		snprintf(service, sizeof(service), "%d", c->port);
		if ((r = getaddrinfo(c->cfg.host, service, &hints, &res)) !=
		    0) {
			log_event("connect_failed", "host=%s reason=\"%s\"",
			    c->cfg.host, gai_strerror(r));
			errx(EXIT_NOSERVER, "%s: %s", c->cfg.host,
			    gai_strerror(r));
		}
		saved = ECONNREFUSED;
		c->fd = -1;
		for (ai = res; ai != NULL && c->fd == -1; ai = ai->ai_next)
			if ((c->fd = link_connect(ai)) == -1)
				saved = errno;
		freeaddrinfo(res);
		if (c->fd == -1) {
			link_passed(c, c->port, saved, 0, NULL);
			continue;
		}
		link_start(c);
		possible = link_possible(c);
		if (possible & c->need) {
			link_tell_skipped(c);
			return;
		}
		link_skip(c, possible, NULL);
	}
	link_fail(c);
}

void
link_open(struct client *c)
{
	c->nruns = c->more_runs = c->told = 0;
	link_try(c, c->port_min);
}

void
link_next(struct client *c, int service, const char *evidence)
{
	link_skip(c, SVC(service), evidence);
	link_try(c, c->port + 1);
}

void
link_no_reply(struct client *c)
{
	errx(EXIT_LOST, ngettext("%s: no reply within %d second",
	    "%s: no reply within %d seconds", CLIENT_REPLY_MS / 1000),
	    c->server, CLIENT_REPLY_MS / 1000);
}

void
link_close(struct client *c, const char *reason)
{
	if (c->fd == -1)
		return;
	log_event("disconnect", "server=%s reason=\"%s\" duration_ms=%llu",
	    c->server, reason, (unsigned long long)(timefmt_mono_ms() -
	    c->opened_ms));
	close(c->fd);
	c->fd = -1;
}

static void
link_log(struct client *c, const char *event, const char *text, size_t len)
{
	char safe[256];
	size_t n;

	if ((n = redact_secrets(text, len, safe, sizeof(safe))) > 0)
		log_text(event, safe, n < sizeof(safe) ? n : sizeof(safe) - 1,
		    "server=%s", c->server);
	else
		log_text(event, text, len, "server=%s", c->server);
}

void
link_log_recv(struct client *c, const char *text, size_t len)
{
	link_log(c, "recv", text, len);
}

void
link_log_send(struct client *c, const char *text, size_t len)
{
	link_log(c, "send", text, len);
}

/* File data, whose text has no place in the log: its size only. */
void
link_log_data(struct client *c, size_t len)
{
	log_event("send", "server=%s bytes=%zu text=\"[file data]\"",
	    c->server, len);
}

/* logtext: what to log for this send (NULL: the bytes themselves). */
void
link_send(struct client *c, const void *buf, size_t len, const char *logtext)
{
	if (link_io_write(c, buf, len) == -1)
		errx(EXIT_LOST, _("%s: cannot send: %s"), c->server,
		    errno ? strerror(errno) : _("timed out"));
	if (logtext != NULL)
		link_log(c, "send", logtext, strlen(logtext));
	else
		link_log(c, "send", buf, len);
}

/* text and a newline, logged as logtext. */
static void
link_send_text(struct client *c, const char *text, const char *logtext)
{
	size_t len = strlen(text);
	char *line;

	if ((line = malloc(len + 2)) == NULL)
		err(EXIT_LOST, "malloc");
	memcpy(line, text, len);
	line[len] = '\n';
	line[len + 1] = '\0';
	link_send(c, line, len + 1, logtext);
	explicit_bzero(line, len);
	free(line);
}

void
link_send_line(struct client *c, const char *text)
{
	link_send_text(c, text, text);
}

/* Bytes (> 0), 0 at the end of the stream, -2 when none came in ms. */
ssize_t
link_recv_some(struct client *c, char *buf, size_t size, int ms)
{
	ssize_t n;

	if (c->inlen > 0) {
		n = c->inlen < size ? (ssize_t)c->inlen : (ssize_t)size;
		memcpy(buf, c->inbuf, n);
		c->inlen -= n;
		memmove(c->inbuf, c->inbuf + n, c->inlen);
		return n;
	}
	if (!link_wait(c->fd, POLLIN, ms))
		return -2;
	n = recv(c->fd, buf, size, 0);
	return n < 0 ? 0 : n;
}

/* A line without its LF (or CR LF): its length; -1 at the end of the
 * stream with nothing pending, -2 when it did not come in ms. */
ssize_t
link_recv_line(struct client *c, char *buf, size_t size, int ms)
{
	size_t len, take;
	char *nl;
	ssize_t n;

	for (;;) {
		nl = memchr(c->inbuf, '\n', c->inlen);
		if (nl != NULL || c->inlen == sizeof(c->inbuf)) {
			len = nl ? (size_t)(nl - c->inbuf) : c->inlen;
			take = len < size - 1 ? len : size - 1;
			memcpy(buf, c->inbuf, take);
			if (take > 0 && buf[take - 1] == '\r')
				take--;
			buf[take] = '\0';
			len += nl != NULL;
			c->inlen -= len;
			memmove(c->inbuf, c->inbuf + len, c->inlen);
			return (ssize_t)take;
		}
		if (!link_wait(c->fd, POLLIN, ms))
			return -2;
		n = recv(c->fd, c->inbuf + c->inlen,
		    sizeof(c->inbuf) - c->inlen, 0);
		if (n <= 0) {
			if (c->inlen == 0)
				return -1;
			/* A last line without its LF. */
			c->inbuf[c->inlen++] = '\n';
			continue;
		}
		c->inlen += n;
	}
}

int
link_request(struct client *c, const char *req, char *reply, size_t size)
{
	char safe[128];
	const char *logtext = req;
	ssize_t n;

	/* A mistyped verb's arguments ("LGOIN alice pw") stay out of the
	 * log, as in the server's. */
	if (redact_request(req, strlen(req), safe, sizeof(safe)) > 0)
		logtext = safe;
	if (c->proto != PROTO_SESSION) {
		link_send_text(c, req, logtext);
		if ((n = link_recv_line(c, reply, size, CLIENT_REPLY_MS)) ==
		    -2)
			link_no_reply(c);
		if (n == -1)
			return -1;
		link_log_recv(c, reply, (size_t)n);
		return 0;
	}
	if (frame_send_text(&c->io, req) != FRAME_OK)
		errx(EXIT_LOST, _("%s: cannot send"), c->server);
	link_log(c, "send", logtext, strlen(logtext));
	return link_recv_reply(c, reply, size);
}

int
link_recv_reply(struct client *c, char *reply, size_t size)
{
	enum frame_status st;
	uint32_t len;
	char *text;

	errno = 0;
	st = frame_recv(&c->io, LINK_FRAME_MAX, &text, &len);
	if (st == FRAME_EOF || st == FRAME_TRUNCATED)
		return -1;
	if (st == FRAME_TOO_BIG)
		errx(EXIT_LOST, _("%s: a reply of %u bytes, more than %d"),
		    c->server, len, LINK_FRAME_MAX);
	if (st != FRAME_OK && errno == ETIMEDOUT)
		link_no_reply(c);
	if (st != FRAME_OK)
		errx(EXIT_LOST, _("%s: connection lost: %s"), c->server,
		    errno ? strerror(errno) : _("read failed"));
	strlcpy(reply, text, size);
	link_log_recv(c, text, len);
	explicit_bzero(text, len);	/* it may hold a token */
	free(text);
	return 0;
}
