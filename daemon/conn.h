/*
 * conn.h -- one client connection as a worker serves it.
 *
 * The socket blocks, with receive and send timeouts of CONN_SLICE_MS that it
 * inherits from the listening socket (worker.c sets them there): a round
 * trip costs a read and a send, no poll. conn_read() and conn_write() wake at
 * least once a slice, beat the worker's heart and check its stop flags, and
 * enforce the idle timeout (no byte moved either way) and the session
 * timeout (the connection's lifetime). conn_read()
 * returns bytes read, 0 when the client closed, -1 when the connection must
 * end; conn_write() returns 0 once everything is sent, or -1. After a 0 or -1
 * conn->reason says why, in words for the log, and conn->end what kind of end
 * it is, so a service can tell the client where its protocol allows.
 * conn_readable() waits at most ms for input: 1 when there is some, 0 when
 * none came, -1 when the connection must end. conn_pause() waits ms (as
 * simulated work) while staying responsive to stop requests: 0, or -1.
 * conn_say() writes a line of text and logs it as sent: 0, or -1.
 * conn_notify() sends a last short message without waiting (best effort);
 * conn_notify_line() sends a text line so and logs it as sent;
 * conn_notify_end() sends "ERR timeout: REASON" or "ERR shutdown: REASON"
 * so when a time limit or a stop ended the connection (line services).
 * conn_drain() ends our side and reads what the client still sends, for at
 * most ms: closing with unread input would reset the connection and could
 * cost the client our last reply.
 * conn_read_line() reads one line for the line-dialogue services: its length
 * without the LF (and a CR before it), 0 at end of stream, -1 when the
 * connection must end; a line longer than size - 1 comes cut (its rest
 * skipped if it outgrows inbuf) with line_cut set until the next line. It
 * buffers in the conn: do not mix it with conn_read().
 * conn_open() takes the client's address as the worker rendered it ("peer"
 * with its port, "host" without) and logs the connect record; conn_close()
 * logs the disconnect record (reason, duration, bytes). conn_log_recv/sent() log a message's text, or
 * only its size when the service keeps text out of the log.
 *
 * The connection knows nothing of the process that serves it: the caller
 * lends every connection a guard (conn_set_guard(), once per process).
 * guard->check() runs on every wake-up and before every blocking call: it
 * returns 0, or -1 after setting c->end and c->reason when the connection
 * must end now (the server stops, the master lets the client go); it may
 * set c->stress_idle_ms, a lower idle limit while the server is under
 * stress. guard->deadline() is when a stopping worker cuts its connection
 * (CLOCK_MONOTONIC ms), 0 while it is not stopping. Without a guard (tests)
 * only the connection's own limits apply.
 *
 * A send that makes no progress for send_ms (a client that reads nothing)
 * ends the connection, whatever the idle limit says.
 */
#ifndef SOCKBIND_CONN_H
#define SOCKBIND_CONN_H

#include <sys/socket.h>
#include <sys/types.h>

#include <stdint.h>

#include "shared/net.h"

#define CONN_SLICE_MS	1000	/* the longest a worker sleeps unchecked */

struct config;

enum conn_end {
	CONN_OPEN = 0,
	CONN_EOF,		/* the client closed */
	CONN_TIMEOUT,		/* a time limit: which one in limit */
	CONN_SHUTDOWN,		/* the server is stopping */
	CONN_BUSY,		/* let go: the server is under stress */
	CONN_ERROR,		/* reset, or a system error */
};

/* The time limit that ended a connection (end == CONN_TIMEOUT). */
enum conn_limit {
	CONN_LIMIT_NONE = 0,
	CONN_LIMIT_IDLE,	/* no byte either way for the idle limit */
	CONN_LIMIT_SESSION,	/* the connection lasted session_timeout */
	CONN_LIMIT_SEND,	/* the client read nothing for send_timeout */
};

struct conn;

struct conn_guard {
	int		(*check)(struct conn *, int timed_out);
	uint64_t	(*deadline)(void);
};

struct conn {
	int		 fd;
	char		 peer[NET_ADDRSTRLEN];	/* "127.0.0.1:50122" */
	char		 host[NET_ADDRSTRLEN];	/* "127.0.0.1" */
	char		 fields[NET_ADDRSTRLEN + 8];	/* "client=" peer */
	const char	*service;
	uint64_t	 opened_ms;
	uint64_t	 last_io_ms;
	uint64_t	 idle_ms;	/* 0: no idle limit */
	uint64_t	 session_ms;	/* 0: no lifetime limit */
	uint64_t	 stress_idle_ms; /* 0: not under stress */
	uint64_t	 send_ms;	/* 0: no limit on a stalled send */
	uint64_t	 send_stall_ms;	/* a send waits since; 0: none */
	uint64_t	 bytes_in;
	uint64_t	 bytes_out;
	int		 log_text;	/* message text goes to the log */
	int		 working;	/* in conn_pause(): not idle */
	int		 rcvtimeo_ms;	/* the socket's SO_RCVTIMEO */
	int		 sndtimeo_ms;	/* and SO_SNDTIMEO */
	enum conn_end	 end;
	enum conn_limit	 limit;
	const char	*reason;
	char		 reason_buf[128];
	char		 inbuf[4097];	/* conn_read_line(): 4095, CR, LF */
	size_t		 inlen;
	int		 line_cut;	/* the last line came cut */
};

void	conn_set_guard(const struct conn_guard *);
void	conn_open(struct conn *, int fd, const char *peer, const char *host,
	    const char *service, int log_text, const struct config *);
ssize_t	conn_read(struct conn *, void *buf, size_t len);
int	conn_write(struct conn *, const void *buf, size_t len);
int	conn_readable(struct conn *, int ms);
ssize_t	conn_read_line(struct conn *, char *line, size_t size);
int	conn_pause(struct conn *, int ms);
int	conn_say(struct conn *, const char *line);
void	conn_notify(struct conn *, const void *buf, size_t len);
void	conn_notify_line(struct conn *, const char *line);
void	conn_notify_end(struct conn *);
void	conn_drain(struct conn *, int ms);
void	conn_close(struct conn *);

void	conn_log_recv(struct conn *, const void *buf, size_t len);
void	conn_log_sent(struct conn *, const void *buf, size_t len);

#endif
