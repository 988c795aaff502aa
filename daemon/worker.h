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
 * SIGQUIT ends it at once. SIGUSR1 wakes it to read the scoreboard: under
 * stress the master may ask it to let its client go. The worker lends every
 * connection its guard (conn.h): on every wake-up it beats its heart in the
 * scoreboard, heeds stop requests and applies the stress idle limit.
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

#endif
