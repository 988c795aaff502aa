/*
 * master.h -- the supervisor: keeps the worker pool, handles signals.
 *
 * master_run() takes over once the listening socket is bound and the log is
 * open: it forks the workers, then loops until a stop signal. Signal handlers
 * only write the signal's number to a self-pipe; the loop reads it, handles
 * each signal in one switch, reaps children, kills stuck ones, and adjusts
 * the pool with the pure rules of pool.c. It returns the exit status: 0
 * after a stop, EXIT_START when workers keep failing at start-up.
 * master_block_signals() is called first thing in main(): a signal sent as
 * soon as the daemon says it listens waits for the master's handlers
 * instead of taking its default action.
 */
#ifndef SOCKBIND_MASTER_H
#define SOCKBIND_MASTER_H

#include "daemon/config.h"
#include "shared/net.h"

struct pidfh;

struct master_env {
	const char	*config_path;
	struct config	 cfg;
	int		 listen_fd;
	char		 bound[NET_ADDRSTRLEN];	/* "127.0.0.1:65431" */
	int		 port;
	struct pidfh	*pidfh;
	int		 ready_fd;	/* -d: written once a worker serves */
	int		 status_fd;	/* the status listener's; -1: none */
};

void	master_block_signals(void);
int	master_run(struct master_env *);

#endif
