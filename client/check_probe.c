/*
 * check_probe.c -- the toolbox of sockbin check's cases: connections to
 * the server under test that never wait past the case's deadline (nor one
 * reply's time limit), record every byte for the reports, and verdicts
 * with the reason, what was expected and what came, escaped.
 */
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "client/check.h"
#include "shared/escape.h"
#include "shared/timefmt.h"

#define CHECK_SHOW	200	/* bytes shown of an expected or received */

uint64_t
check_elapsed(const struct check_run *r)
{
	return timefmt_mono_ms() - r->case_start;
}

int
check_failed(const struct check_run *r)
{
	return r->cur->verdict != CHECK_PASSED;
}

/* The escaped rendering of len bytes (at most CHECK_SHOW of them, then
 * "... (N bytes)"); malloc'd, NULL when out of memory. */
char *
check_escape(const void *buf, size_t len)
{
	size_t show = len < CHECK_SHOW ? len : CHECK_SHOW, n;
	char *out;

	if ((out = malloc(ESCAPE_BUFSIZE(show) + 64)) == NULL)
		return NULL;
	n = escape_text(out, buf, len, show);
	if (n < len)
		snprintf(out + strlen(out), 64, "... (%zu bytes)", len);
	return out;
}

/* The first failure or skip of a case is its verdict. */
static void
check_verdict(struct check_run *r, enum check_verdict v, const char *fmt,
    va_list ap)
{
	if (check_failed(r))
		return;
	r->cur->verdict = v;
	if (vasprintf(&r->cur->reason, fmt, ap) == -1)
		r->cur->reason = NULL;
}

void
check_fail(struct check_run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	check_verdict(r, CHECK_FAILED, fmt, ap);
	va_end(ap);
}

void
check_skip(struct check_run *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	check_verdict(r, CHECK_SKIPPED, fmt, ap);
	va_end(ap);
}

void
check_mismatch(struct check_run *r, const char *what, const void *exp,
    size_t explen, const void *got, size_t gotlen)
{
	const unsigned char *a = exp, *b = got;
	size_t i;

	if (check_failed(r))
		return;
	for (i = 0; i < explen && i < gotlen && a[i] == b[i]; i++)
		;
	if (i == gotlen && gotlen < explen)
		check_fail(r, "%s: %zu of %zu bytes came", what, gotlen,
		    explen);
	else
		check_fail(r, "%s: differs at byte %zu", what, i);
	r->cur->expected = check_escape(exp, explen);
	r->cur->received = check_escape(got, gotlen);
}

static void
check_record(struct check_run *r, int conn, char dir, const void *buf,
    size_t len)
{
	struct check_result *res = r->cur;
	struct check_event *ev, *grown;
	size_t take, cap;

	if (dir == '>')
		res->sent += len;
	else if (dir == '<')
		res->recvd += len;
	ev = res->nev > 0 ? &res->ev[res->nev - 1] : NULL;
	if (ev == NULL || ev->conn != conn || ev->dir != dir || dir == '#') {
		if (res->nev == res->evcap) {
			cap = res->evcap ? res->evcap * 2 : 16;
			if ((grown = reallocarray(res->ev, cap,
			    sizeof(*grown))) == NULL)
				return;
			res->ev = grown;
			res->evcap = cap;
		}
		ev = &res->ev[res->nev++];
		memset(ev, 0, sizeof(*ev));
		ev->conn = conn;
		ev->dir = dir;
		ev->at_ms = check_elapsed(r);
		if ((ev->bytes = malloc(CHECK_EVENT_KEEP)) == NULL) {
			res->nev--;
			return;
		}
	}
	take = CHECK_EVENT_KEEP - ev->kept;
	if (take > len)
		take = len;
	memcpy(ev->bytes + ev->kept, buf, take);
	ev->kept += take;
	ev->len += len;
	ev->pieces++;
}

void
check_note(struct check_run *r, int conn, const char *fmt, ...)
{
	char text[CHECK_EVENT_KEEP];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	check_record(r, conn, '#', text, strlen(text));
}

/* How long the next wait may be: one reply's limit, within the case's
 * deadline. */
static int
check_wait_ms(const struct check_run *r, int ms)
{
	uint64_t now = timefmt_mono_ms();

	if (now >= r->deadline)
		return 0;
	if (now + (uint64_t)ms > r->deadline)
		return (int)(r->deadline - now);
	return ms;
}

/* src: an IPv4 loopback source address (host order) to connect from, so
 * that the server sees a client it does not know; 0 for any. */
int
check_dial(struct check_run *r, struct check_conn *c, uint32_t src)
{
	struct sockaddr_in sin;
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int soerr = 0, one = 1, n;

	memset(c, 0, sizeof(*c));
	c->r = r;
	c->id = ++r->nconn;
	c->fd = socket(r->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		check_fail(r, "socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (src != 0 && r->addr.ss_family == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(src);
		if (bind(c->fd, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
			check_fail(r, "cannot bind to a loopback source "
			    "address: %s", strerror(errno));
			goto fail;
		}
	}
	if (connect(c->fd, (struct sockaddr *)&r->addr, r->addrlen) == -1) {
		if (errno != EINPROGRESS) {
			soerr = errno;
		} else {
			pfd.fd = c->fd;
			pfd.events = POLLOUT;
			n = poll(&pfd, 1, check_wait_ms(r, CHECK_CONNECT_MS));
			if (n <= 0)
				soerr = ETIMEDOUT;
			else
				getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr,
				    &len);
		}
	}
	if (soerr != 0) {
		check_fail(r, "connection %d: cannot connect to %s: %s",
		    c->id, r->server, strerror(soerr));
		goto fail;
	}
	check_note(r, c->id, "connected");
	return 0;
fail:
	close(c->fd);
	c->fd = -1;
	return -1;
}

/* abrupt: a reset (SO_LINGER 0), the way a killed client leaves. */
void
check_close(struct check_conn *c, int abrupt)
{
	struct linger lg = { 1, 0 };

	if (c->fd != -1) {
		if (abrupt)
			setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg,
			    sizeof(lg));
		close(c->fd);
		check_note(c->r, c->id, abrupt ? "reset" : "closed");
	}
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = c->cap = 0;
}

/* Read what is there; 1 if bytes came, 0 if none (or EOF), -1 when the
 * buffer is full. */
static int
check_take(struct check_conn *c)
{
	unsigned char *grown;
	size_t cap;
	ssize_t n;

	if (c->len == c->cap) {
		if (c->cap >= CHECK_RECV_MAX)
			return -1;
		cap = c->cap ? c->cap * 2 : 4096;
		if ((grown = realloc(c->buf, cap)) == NULL)
			return -1;
		c->buf = grown;
		c->cap = cap;
	}
	n = recv(c->fd, c->buf + c->len, c->cap - c->len, 0);
	if (n > 0) {
		check_record(c->r, c->id, '<', c->buf + c->len, n);
		c->len += n;
		return 1;
	}
	if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
		if (!c->eof)
			check_note(c->r, c->id, n == 0 ? "server closed" :
			    "receive failed: %s", strerror(errno));
		c->eof = 1;
		c->err = n == 0 ? 0 : errno;
	}
	return 0;
}

/* Wait up to ms for events; what poll() saw, 0 on a timeout. */
static short
check_poll(struct check_conn *c, short events, int ms)
{
	struct pollfd pfd = { c->fd, events, 0 };
	int n;

	do {
		n = poll(&pfd, 1, check_wait_ms(c->r, ms));
	} while (n == -1 && errno == EINTR);
	return n > 0 ? pfd.revents : 0;
}

static void
check_pause(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Send len bytes in writes of chunk bytes (0: as one write), pause_ms
 * apart; what the server sends meanwhile is read, so that a server
 * echoing a large payload never blocks on us. */
int
check_send(struct check_conn *c, const void *buf, size_t len, size_t chunk,
    int pause_ms)
{
	const unsigned char *p = buf;
	size_t off = 0, piece;
	short ev;
	ssize_t n;

	while (off < len) {
		piece = chunk == 0 || len - off < chunk ? len - off : chunk;
		if (off > 0 && chunk != 0 && pause_ms > 0)
			check_pause(pause_ms);
		while (piece > 0) {
			ev = check_poll(c, POLLIN | POLLOUT,
			    c->r->opt->timeout_ms);
			if (ev == 0) {
				c->timedout = 1;
				check_fail(c->r, "connection %d: could not "
				    "send within %d ms: %zu of %zu bytes sent "
				    "(the server does not read?)", c->id,
				    c->r->opt->timeout_ms, off, len);
				return -1;
			}
			if ((ev & POLLIN) && !c->eof && check_take(c) == -1) {
				check_fail(c->r, "connection %d: more than "
				    "%d bytes came unasked", c->id,
				    CHECK_RECV_MAX);
				return -1;
			}
			if (!(ev & (POLLOUT | POLLERR | POLLHUP)))
				continue;
			n = send(c->fd, p + off, piece, MSG_NOSIGNAL);
			if (n == -1 && (errno == EAGAIN || errno == EINTR))
				continue;
			if (n == -1 && (errno == EPIPE ||
			    errno == ECONNRESET)) {
				check_fail(c->r, "connection %d: the server "
				    "closed the connection after %zu of the "
				    "%zu bytes sent (%s)", c->id, off, len,
				    strerror(errno));
				/* What it said before, if anything. */
				while (!c->eof && check_take(c) == 1)
					;
				if (c->len > 0)
					c->r->cur->received = check_escape(
					    c->buf, c->len);
				return -1;
			}
			if (n == -1) {
				check_fail(c->r, "connection %d: cannot send "
				    "(%zu of %zu bytes sent): %s", c->id, off,
				    len, strerror(errno));
				return -1;
			}
			check_record(c->r, c->id, '>', p + off, n);
			off += n;
			piece -= n;
		}
	}
	return 0;
}

int
check_send_str(struct check_conn *c, const char *s)
{
	return check_send(c, s, strlen(s), 0, 0);
}

int
check_shutdown(struct check_conn *c)
{
	if (shutdown(c->fd, SHUT_WR) == -1) {
		check_fail(c->r, "connection %d: shutdown: %s", c->id,
		    strerror(errno));
		return -1;
	}
	check_note(c->r, c->id, "end of sending (shutdown)");
	return 0;
}

/* Wait until n bytes are buffered: 0, or -1 (timeout, end, full). The
 * limit ms runs from the last byte that came. */
int
check_recv_n(struct check_conn *c, size_t n, int ms)
{
	short ev;

	while (c->len < n) {
		if (c->eof)
			return -1;
		if ((ev = check_poll(c, POLLIN, ms)) == 0)
			return -1;
		if (check_take(c) == -1)
			return -1;
	}
	return 0;
}

static void
check_consume(struct check_conn *c, size_t n)
{
	c->len -= n;
	memmove(c->buf, c->buf + n, c->len);
}

static void
check_why_short(struct check_conn *c, const char *what)
{
	if (c->eof)
		check_fail(c->r, "%s: the server closed the connection%s%s",
		    what, c->err ? ": " : "", c->err ? strerror(c->err) : "");
	else {
		check_fail(c->r, "%s: nothing more came within %d ms", what,
		    c->r->opt->timeout_ms);
		c->timedout = 1;
	}
}

/* Exactly these bytes next. Waits only while what came so far is the
 * start of them: a wrong reply fails at once. */
int
check_expect(struct check_conn *c, const void *exp, size_t len,
    const char *what)
{
	char *why;
	size_t have;

	for (;;) {
		have = c->len < len ? c->len : len;
		if (have == len || (have > 0 &&
		    memcmp(c->buf, exp, have) != 0))
			break;
		if (c->eof || check_poll(c, POLLIN,
		    c->r->opt->timeout_ms) == 0 || check_take(c) == -1)
			break;
	}
	if (have == len && (len == 0 || memcmp(c->buf, exp, len) == 0)) {
		check_consume(c, len);
		return 0;
	}
	if (c->len == 0) {
		check_why_short(c, what);
		return -1;
	}
	check_mismatch(c->r, what, exp, len, c->buf, c->len);
	if (have < len && memcmp(c->buf, exp, have) == 0 &&
	    asprintf(&why, "%s, then %s", c->r->cur->reason,
	    c->eof ? "the server closed the connection" :
	    "nothing more came") != -1) {
		free(c->r->cur->reason);
		c->r->cur->reason = why;
	}
	return -1;
}

/* One line (its LF and a CR before it dropped) into out, NUL-terminated,
 * cut to size. */
int
check_recv_line(struct check_conn *c, char *out, size_t size,
    const char *what)
{
	unsigned char *nl;
	short ev;
	size_t len, take;

	for (;;) {
		if (c->len > 0 && (nl = memchr(c->buf, '\n', c->len)) != NULL)
			break;
		if (c->eof || (ev = check_poll(c, POLLIN,
		    c->r->opt->timeout_ms)) == 0 || check_take(c) == -1) {
			if (c->len > 0 && !c->eof) {
				c->timedout = 1;
				check_fail(c->r, "%s: no end of line within "
				    "%d ms", what, c->r->opt->timeout_ms);
				c->r->cur->received = check_escape(c->buf,
				    c->len);
			} else if (c->len > 0) {
				check_fail(c->r, "%s: the server closed the "
				    "connection before the end of the line",
				    what);
				c->r->cur->received = check_escape(c->buf,
				    c->len);
			} else
				check_why_short(c, what);
			return -1;
		}
	}
	len = nl - c->buf;
	take = len > 0 && c->buf[len - 1] == '\r' ? len - 1 : len;
	if (take > size - 1)
		take = size - 1;
	memcpy(out, c->buf, take);
	out[take] = '\0';
	check_consume(c, len + 1);
	return 0;
}

/* The server closes, and sends nothing more. */
int
check_expect_eof(struct check_conn *c, const char *what)
{
	while (!c->eof) {
		if (check_poll(c, POLLIN, c->r->opt->timeout_ms) == 0) {
			check_fail(c->r, "%s: the server did not close the "
			    "connection within %d ms", what,
			    c->r->opt->timeout_ms);
			return -1;
		}
		if (check_take(c) == -1)
			break;
	}
	if (c->len > 0) {
		check_fail(c->r, "%s: %zu bytes more than expected", what,
		    c->len);
		c->r->cur->received = check_escape(c->buf, c->len);
		return -1;
	}
	return 0;
}

/* Poll every open connection of cs for up to ms and read what came; the
 * number of connections that got bytes or an end, 0 on a timeout. */
int
check_pump(struct check_conn *cs, size_t n, int ms)
{
	struct pollfd pfd[CHECK_CLIENTS];
	size_t i, k = 0;
	int got = 0, ready;

	for (i = 0; i < n && k < CHECK_CLIENTS; i++) {
		if (cs[i].fd == -1 || cs[i].eof)
			continue;
		pfd[k].fd = cs[i].fd;
		pfd[k].events = POLLIN;
		pfd[k].revents = 0;
		k++;
	}
	if (k == 0)
		return 0;
	do {
		ready = poll(pfd, k, check_wait_ms(cs[0].r, ms));
	} while (ready == -1 && errno == EINTR);
	if (ready <= 0)
		return 0;
	for (i = 0, k = 0; i < n; i++) {
		if (cs[i].fd == -1 || cs[i].eof)
			continue;
		if (pfd[k++].revents != 0) {
			(void)check_take(&cs[i]);
			got++;
		}
	}
	return got;
}

/* frame_io over a check connection, for shared/frame.c. */
static ssize_t
check_io_read(void *ctx, void *buf, size_t len)
{
	struct check_conn *c = ctx;

	if (c->len == 0 &&
	    check_recv_n(c, 1, c->r->opt->timeout_ms) == -1) {
		if (c->eof && c->err == 0)
			return 0;
		errno = c->eof ? c->err : ETIMEDOUT;
		return -1;
	}
	if (len > c->len)
		len = c->len;
	memcpy(buf, c->buf, len);
	check_consume(c, len);
	return (ssize_t)len;
}

static int
check_io_write(void *ctx, const void *buf, size_t len)
{
	return check_send(ctx, buf, len, 0, 0);
}

void
check_frame_io(struct check_conn *c, struct frame_io *io)
{
	io->ctx = c;
	io->read = check_io_read;
	io->write = check_io_write;
}

/* At least n bytes, whatever they are. */
int
check_recv_at_least(struct check_conn *c, size_t n, const char *what)
{
	if (check_recv_n(c, n, c->r->opt->timeout_ms) == 0)
		return 0;
	check_why_short(c, what);
	return -1;
}
