/*
 * status.h -- the status listener: a small HTTP server for people, scripts
 * and monitoring, in a child process of the master.
 *
 *   GET /             one HTML page that updates itself (status_page.c)
 *   GET /status.json  the same data for scripts (docs/STATUS.md)
 *   GET /metrics      Prometheus text exposition
 *   GET /healthz      200 "ok" while a worker is idle or busy, 503 once a
 *                     stop began or while no worker is ready
 *
 * HTTP is libmicrohttpd's, driven by the child's own loop (no thread). The
 * child reads the scoreboard through its snapshot API, the log's counters,
 * and the master's /proc figures; it never touches the workers' socket, and
 * a worker never holds the listener's. It takes a sample of the totals once
 * a second for the rates and the page's chart.
 *
 * status_check_listen() checks a [status] listen value: "" (off), or an
 * address and a port, "127.0.0.1:65429" or "[::1]:65429". status_bind()
 * binds and listens on it (the master does, at start-up, before it drops
 * privileges): the socket, or -1 with err. status_main() is the child's
 * body: it serves on fd until SIGTERM, or until the master is gone, and
 * exits.
 */
#ifndef SOCKBIND_STATUS_H
#define SOCKBIND_STATUS_H

#include <sys/types.h>

#include <stddef.h>

struct config;

int	status_check_listen(const char *value, char *why, size_t whylen);
int	status_bind(const char *listen, char *err, size_t errlen);
void	status_main(int fd, pid_t master, const struct config *)
	    __attribute__((noreturn));

#endif
