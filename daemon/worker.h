/*
 * worker.h -- a pre-forked worker: accept one connection at a time on the
 * shared listening socket, serve it with the configured service, repeat.
 *
 * worker_main() never returns. It exits 0 when asked to stop (SIGTERM: after
 * the connection in hand, within graceful_timeout), to retire (SIGHUP, as
 * the master replaces the pool on a reload or shrinks it: after the
 * connection in hand, which keeps only its own limits), after its request
 * limit,
 * or when the master is gone (SIGUSR2 from PR_SET_PDEATHSIG, or a parent pid
 * that changed, noticed within a second); EXIT_BOOT when it cannot get ready.
 * SIGQUIT ends it at once. worker_tick() is called on every wake-up while
 * serving: it beats the worker's heart in the scoreboard and returns -1 with
 * a reason when the connection must end because the worker must stop.
 * worker_stop_deadline() is when a stopping worker cuts its connection
 * (CLOCK_MONOTONIC ms), 0 while it is not stopping: waits end by then.
 */
#ifndef SOCKBIND_WORKER_H
#define SOCKBIND_WORKER_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

struct config;

struct worker_args {
	int			 listen_fd;
	size_t			 slot;
	pid_t			 master;
	const struct config	*cfg;
};

void	worker_main(const struct worker_args *) __attribute__((noreturn));
int	worker_tick(int timed_out, const char **reason);
uint64_t worker_stop_deadline(void);

#endif
