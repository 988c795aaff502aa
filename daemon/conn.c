/* conn.c -- one client connection as a worker serves it. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/conn.h"
#include "shared/log.h"
#include "shared/timefmt.h"

static const struct conn_guard	*guard;

void
conn_set_guard(const struct conn_guard *g)
{
	guard = g;
}

void
conn_open(struct conn *c, int fd, const char *peer, const char *host,
    const char *service, int log_text, const struct config *cfg)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->service = service;
	c->log_text = log_text;
	strlcpy(c->peer, peer, sizeof(c->peer));
	strlcpy(c->host, host, sizeof(c->host));
	snprintf(c->fields, sizeof(c->fields), "client=%s", c->peer);
	c->opened_ms = c->last_io_ms = timefmt_mono_ms();
	c->idle_ms = (uint64_t)cfg->idle_timeout * 1000;
	c->session_ms = (uint64_t)cfg->session_timeout * 1000;
	c->send_ms = (uint64_t)cfg->send_timeout * 1000;
	c->rcvtimeo_ms = c->sndtimeo_ms = CONN_SLICE_MS;
	log_event("connect", "client=%s service=%s", c->peer, service);
}

static int
conn_end(struct conn *c, enum conn_end end, const char *reason)
{
	c->end = end;
	c->reason = reason;
	return end == CONN_EOF ? 0 : -1;
}

static int
conn_timeout(struct conn *c, enum conn_limit limit, const char *reason)
{
	c->limit = limit;
	return conn_end(c, CONN_TIMEOUT, reason);
}

static int
conn_fail(struct conn *c, const char *what, int err)
{
	c->end = CONN_ERROR;
	if (err == ECONNRESET || err == EPIPE)
		c->reason = "connection reset by client";
	else {
		snprintf(c->reason_buf, sizeof(c->reason_buf), "%s: %s", what,
		    strerror(err));
		c->reason = c->reason_buf;
	}
	return -1;
}

/* The idle limit in force: the configured one, or the stress limit. */
static uint64_t
conn_idle_limit(const struct conn *c)
{
	if (c->stress_idle_ms && (!c->idle_ms || c->stress_idle_ms < c->idle_ms))
		return c->stress_idle_ms;
	return c->idle_ms;
}

static void
conn_fit(uint64_t *wait, uint64_t since, uint64_t limit, uint64_t now)
{
	uint64_t left = since + limit - now;

	if (left < *wait)
		*wait = left;
}

/*
 * The time until the nearest limit of the connection (idle, lifetime, a
 * stalled send, the worker's stop deadline), at most a slice: 0 or more, or
 * -1 with c->end and c->reason set when one has passed.
 */
static int64_t
conn_budget(struct conn *c, uint64_t now)
{
	uint64_t wait = CONN_SLICE_MS, stop, idle = conn_idle_limit(c);

	if (c->session_ms && now - c->opened_ms >= c->session_ms)
		return conn_timeout(c, CONN_LIMIT_SESSION, "session timeout");
	if (idle && !c->working && now - c->last_io_ms >= idle)
		return conn_timeout(c, CONN_LIMIT_IDLE, idle == c->idle_ms ?
		    "idle timeout" : "idle timeout (server under stress)");
	if (c->send_ms && c->send_stall_ms &&
	    now - c->send_stall_ms >= c->send_ms)
		return conn_timeout(c, CONN_LIMIT_SEND,
		    "send timeout: the client reads nothing");
	if (c->session_ms)
		conn_fit(&wait, c->opened_ms, c->session_ms, now);
	if (idle && !c->working)
		conn_fit(&wait, c->last_io_ms, idle, now);
	if (c->send_ms && c->send_stall_ms)
		conn_fit(&wait, c->send_stall_ms, c->send_ms, now);
	/* A stopping worker cuts at its deadline, not a slice later (when
	 * the master's SIGKILL may be there first). */
	if (guard != NULL && (stop = guard->deadline()) != 0)
		wait = stop > now ? (stop - now < wait ? stop - now : wait) : 0;
	return (int64_t)wait;
}

/* The guard's checks on a wake-up: 0, or -1 when the connection must end. */
static int
conn_tick(struct conn *c, int timed_out)
{
	return guard != NULL ? guard->check(c, timed_out) : 0;
}

/*
 * Wait until fd is ready for events (1), limit_ms passes (0; -1: no limit),
 * a time limit of the connection runs out or the worker must stop (-1, with
 * c->end and c->reason set).
 */
static int
conn_wait(struct conn *c, short events, int limit_ms)
{
	struct pollfd pfd = { c->fd, events, 0 };
	uint64_t now, until = 0;
	int64_t wait;
	int n;

	if (limit_ms >= 0)
		until = timefmt_mono_ms() + limit_ms;
	for (;;) {
		now = timefmt_mono_ms();
		if ((wait = conn_budget(c, now)) == -1)
			return -1;
		if (limit_ms >= 0 && now >= until)
			return 0;
		if (limit_ms >= 0 && (int64_t)(until - now) < wait)
			wait = until - now;
		/* About to wait: what the worker logged goes out first. */
		log_flush();
		n = poll(&pfd, events ? 1 : 0, (int)wait);
		if (conn_tick(c, n == 0) == -1)
			return -1;
		if (n > 0)
			return 1;
		if (n == -1 && errno != EINTR)
			return conn_fail(c, "poll", errno);
	}
}

/*
 * Before a blocking read or send: the worker's checks, the connection's
 * limits, then the socket's timeout (opt: SO_RCVTIMEO or SO_SNDTIMEO) set so
 * that the call returns by the nearest limit. The socket inherits a slice
 * from the listening socket (worker.c); it is changed only near a limit, and
 * set back once a whole slice is allowed again (an early wake-up is harmless:
 * it comes back here). 0, or -1 when the connection must end.
 */
static int
conn_arm(struct conn *c, int opt, int timed_out)
{
	int *armed = opt == SO_RCVTIMEO ? &c->rcvtimeo_ms : &c->sndtimeo_ms;
	struct timeval tv;
	int64_t wait;

	if (conn_tick(c, timed_out) == -1 ||
	    (wait = conn_budget(c, timefmt_mono_ms())) == -1)
		return -1;
	if (wait == 0)
		wait = 1;	/* a zero timeout would mean none */
	if (wait < *armed || (*armed < CONN_SLICE_MS && wait == CONN_SLICE_MS)) {
		tv.tv_sec = wait / 1000;
		tv.tv_usec = wait % 1000 * 1000;
		if (setsockopt(c->fd, SOL_SOCKET, opt, &tv, sizeof(tv)) == -1)
			return conn_fail(c, "setsockopt", errno);
		*armed = (int)wait;
	}
	return 0;
}

int
conn_readable(struct conn *c, int ms)
{
	return conn_wait(c, POLLIN, ms);
}

int
conn_pause(struct conn *c, int ms)
{
	uint64_t until = timefmt_mono_ms() + ms, now;
	int r = 0;

	/* Work is not idleness: the client is waiting on us. Its idle time
	 * starts again once the work is done. */
	c->working = 1;
	while (r == 0 && (now = timefmt_mono_ms()) < until)
		if (conn_wait(c, 0, (int)(until - now)) == -1)
			r = -1;
	c->working = 0;
	c->last_io_ms = timefmt_mono_ms();
	return r;
}

void
conn_notify(struct conn *c, const void *buf, size_t len)
{
	ssize_t n;

	n = send(c->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	if (n > 0)
		c->bytes_out += n;
}

int
conn_say(struct conn *c, const char *line)
{
	if (conn_write(c, line, strlen(line)) == -1)
		return -1;
	conn_log_sent(c, line, strlen(line));
	return 0;
}

void
conn_notify_line(struct conn *c, const char *line)
{
	conn_notify(c, line, strlen(line));
	conn_log_sent(c, line, strlen(line));
}

void
conn_notify_end(struct conn *c)
{
	char note[128];

	if (c->end != CONN_TIMEOUT && c->end != CONN_SHUTDOWN &&
	    c->end != CONN_BUSY)
		return;
	snprintf(note, sizeof(note), "ERR %s: %s\n",
	    c->end == CONN_TIMEOUT ? "timeout" : c->end == CONN_BUSY ?
	    "busy" : "shutdown", c->reason);
	conn_notify_line(c, note);
}

/*
 * One read. A new client has usually sent its first message by the time we
 * read it (first): take it without waiting, and the connect record goes out
 * with the exchange's. Otherwise, or when nothing is there yet, about to
 * block: what the worker logged goes out first.
 */
static ssize_t
conn_read_once(struct conn *c, void *buf, size_t len, int first)
{
	ssize_t n;

	if (first && (n = recv(c->fd, buf, len, MSG_DONTWAIT)) != -1)
		return n;
	log_flush();
	return read(c->fd, buf, len);
}

ssize_t
conn_read(struct conn *c, void *buf, size_t len)
{
	int timed_out = 0;
	ssize_t n;

	for (;;) {
		if (conn_arm(c, SO_RCVTIMEO, timed_out) == -1)
			return -1;
		n = conn_read_once(c, buf, len,
		    c->bytes_in == 0 && !timed_out);
		if (n > 0) {
			c->bytes_in += n;
			c->last_io_ms = timefmt_mono_ms();
			return n;
		}
		if (n == 0) {
			conn_end(c, CONN_EOF, "client closed");
			return 0;
		}
		/* EAGAIN: the timeout set by conn_arm() ran out. */
		if (errno != EAGAIN && errno != EINTR)
			return conn_fail(c, "read", errno);
		timed_out = errno == EAGAIN;
	}
}

void
conn_drain(struct conn *c, int ms)
{
	uint64_t until = timefmt_mono_ms() + ms, now;
	struct pollfd pfd = { c->fd, POLLIN, 0 };
	char sink[16384];
	ssize_t n;

	shutdown(c->fd, SHUT_WR);
	log_flush();
	while ((now = timefmt_mono_ms()) < until &&
	    poll(&pfd, 1, (int)(until - now)) > 0) {
		if ((n = read(c->fd, sink, sizeof(sink))) <= 0 &&
		    !(n == -1 && errno == EINTR))
			break;
		if (n > 0)
			c->bytes_in += n;
	}
}

ssize_t
conn_read_line(struct conn *c, char *line, size_t size)
{
	char *nl;
	size_t len, text, take;
	ssize_t n;
	int skipping = 0;

	for (;;) {
		if ((nl = memchr(c->inbuf, '\n', c->inlen)) != NULL) {
			len = nl - c->inbuf;
			text = len > 0 && nl[-1] == '\r' ? len - 1 : len;
			take = text < size - 1 ? text : size - 1;
			if (!skipping) {
				memcpy(line, c->inbuf, take);
				line[take] = '\0';
			}
			c->inlen -= len + 1;
			memmove(c->inbuf, nl + 1, c->inlen);
			c->line_cut = skipping || take < text;
			if (skipping)	/* the cut line was returned */
				return (ssize_t)strlen(line);
			return (ssize_t)take;
		}
		if (c->inlen == sizeof(c->inbuf)) {
			/* Too long: keep its start, skip to its end. */
			if (!skipping) {
				take = c->inlen < size - 1 ? c->inlen :
				    size - 1;
				memcpy(line, c->inbuf, take);
				line[take] = '\0';
				skipping = 1;
			}
			c->inlen = 0;
		}
		n = conn_read(c, c->inbuf + c->inlen,
		    sizeof(c->inbuf) - c->inlen);
		if (n == 0 && c->inlen > 0 && !skipping) {
			/* A last line without its LF is still a line. */
			c->inbuf[c->inlen++] = '\n';
			continue;
		}
		if (n <= 0)
			return n;
		c->inlen += n;
	}
}

int
conn_write(struct conn *c, const void *buf, size_t len)
{
	const char *p = buf;
	int flags = MSG_NOSIGNAL | MSG_DONTWAIT, timed_out;
	ssize_t n;

	/* The first try does not wait (a reply usually fits the socket's
	 * buffer); only when it would, the log is flushed and the send
	 * blocks, for at most what conn_arm() allows. */
	c->send_stall_ms = 0;
	while (len > 0) {
		n = send(c->fd, p, len, flags);
		if (n > 0) {
			p += n;
			len -= n;
			c->bytes_out += n;
			c->last_io_ms = timefmt_mono_ms();
			c->send_stall_ms = 0;
			continue;
		}
		if (n == -1 && errno != EAGAIN && errno != EINTR)
			return conn_fail(c, "write", errno);
		timed_out = n == -1 && errno == EAGAIN &&
		    !(flags & MSG_DONTWAIT);
		flags = MSG_NOSIGNAL;
		if (c->send_stall_ms == 0)
			c->send_stall_ms = timefmt_mono_ms();
		if (conn_arm(c, SO_SNDTIMEO, timed_out) == -1)
			return -1;
		log_flush();
	}
	return 0;
}

void
conn_close(struct conn *c)
{
	log_event("disconnect",
	    "client=%s reason=\"%s\" duration_ms=%llu bytes_in=%llu "
	    "bytes_out=%llu", c->peer, c->reason ? c->reason : "done",
	    (unsigned long long)(timefmt_mono_ms() - c->opened_ms),
	    (unsigned long long)c->bytes_in, (unsigned long long)c->bytes_out);
	close(c->fd);
	c->fd = -1;
}

static void
conn_log_message(struct conn *c, const char *event, const void *buf,
    size_t len)
{
	if (c->log_text)
		log_message(event, c->fields, buf, len);
	else
		log_event(event, "client=%s bytes=%zu text=-", c->peer, len);
}

void
conn_log_recv(struct conn *c, const void *buf, size_t len)
{
	conn_log_message(c, "recv", buf, len);
}

void
conn_log_sent(struct conn *c, const void *buf, size_t len)
{
	conn_log_message(c, "sent", buf, len);
}
