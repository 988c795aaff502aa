/* conn.c -- one client connection as a worker serves it. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/conn.h"
#include "daemon/worker.h"
#include "shared/log.h"
#include "shared/timefmt.h"

#define CONN_SLICE_MS	1000

void
conn_open(struct conn *c, int fd, const struct sockaddr *peer,
    const char *service, const struct config *cfg)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->service = service;
	net_addr_str(peer, c->peer, sizeof(c->peer));
	c->opened_ms = c->last_io_ms = timefmt_mono_ms();
	c->idle_ms = (uint64_t)cfg->idle_timeout * 1000;
	c->session_ms = (uint64_t)cfg->session_timeout * 1000;
	log_event("connect", "client=%s service=%s", c->peer, service);
}

static int
conn_fail(struct conn *c, const char *what, int err)
{
	if (err == ECONNRESET || err == EPIPE)
		c->reason = "connection reset by client";
	else {
		snprintf(c->reason_buf, sizeof(c->reason_buf), "%s: %s", what,
		    strerror(err));
		c->reason = c->reason_buf;
	}
	return -1;
}

/*
 * Wait until fd is ready for events, a limit runs out, or the worker must
 * stop. Returns 0 when ready, -1 with c->reason set otherwise.
 */
static int
conn_wait(struct conn *c, short events)
{
	struct pollfd pfd = { c->fd, events, 0 };
	uint64_t now, wait, left;
	int n;

	for (;;) {
		now = timefmt_mono_ms();
		if (c->session_ms && now - c->opened_ms >= c->session_ms) {
			c->reason = "session timeout";
			return -1;
		}
		if (c->idle_ms && now - c->last_io_ms >= c->idle_ms) {
			c->reason = "idle timeout";
			return -1;
		}
		wait = CONN_SLICE_MS;
		if (c->session_ms &&
		    (left = c->opened_ms + c->session_ms - now) < wait)
			wait = left;
		if (c->idle_ms &&
		    (left = c->last_io_ms + c->idle_ms - now) < wait)
			wait = left;
		n = poll(&pfd, 1, (int)wait);
		if (worker_tick(n == 0, &c->reason) == -1)
			return -1;
		if (n > 0)
			return 0;
		if (n == -1 && errno != EINTR)
			return conn_fail(c, "poll", errno);
	}
}

ssize_t
conn_read(struct conn *c, void *buf, size_t len)
{
	ssize_t n;

	for (;;) {
		/* Read first: when data is there, no poll is needed. */
		n = read(c->fd, buf, len);
		if (n > 0) {
			c->bytes_in += n;
			c->last_io_ms = timefmt_mono_ms();
			return n;
		}
		if (n == 0) {
			c->reason = "client closed";
			return 0;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return conn_fail(c, "read", errno);
		if (conn_wait(c, POLLIN) == -1)
			return -1;
	}
}

int
conn_write(struct conn *c, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(c->fd, p, len, MSG_NOSIGNAL);
		if (n > 0) {
			p += n;
			len -= n;
			c->bytes_out += n;
			c->last_io_ms = timefmt_mono_ms();
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno != EAGAIN)
			return conn_fail(c, "write", errno);
		if (conn_wait(c, POLLOUT) == -1)
			return -1;
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

void
conn_log_recv(struct conn *c, const void *buf, size_t len)
{
	log_text("recv", buf, len, "client=%s", c->peer);
}

void
conn_log_sent(struct conn *c, const void *buf, size_t len)
{
	log_text("sent", buf, len, "client=%s", c->peer);
}
