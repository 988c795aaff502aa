/*
 * scoreboard.h -- the workers' states and the server's counters, in memory
 * shared by the master, its workers and the status listener.
 *
 * One slot per worker. A worker writes only its own slot; the master writes
 * only the header and its per-slot arrays (owner, cut). Everyone else reads,
 * and reads only through the snapshot API below: scoreboard_read() copies
 * one slot under the slot's sequence counter (a seqlock with one writer), so
 * a reader never sees a torn address; scoreboard_snapshot() reads them all.
 *
 * A slot's counters (enum sb_counter) are never reset: the next occupant of
 * a slot goes on counting where the last one stopped, so a sum over slots
 * survives workers that die or retire. The master's counters (spawns, exits
 * by cause, stress episodes) are in the header.
 *
 * Under stress (every worker up to max_workers busy and connections wait)
 * the master sets the header's stress flag, and may ask a busy worker to
 * let its client go: scoreboard_cut() names the connection (the slot's
 * SB_ACCEPTED count when it took it), so a request that comes late never
 * reaches the worker's next client. It then wakes the worker (SIGUSR1).
 */
#ifndef SOCKBIND_SCOREBOARD_H
#define SOCKBIND_SCOREBOARD_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "shared/net.h"

enum sb_state {
	SB_STARTING = 0,
	SB_IDLE,
	SB_BUSY,
	SB_STOPPING,
};

/* Per-slot counters, kept across the slot's occupants. */
enum sb_counter {
	SB_ACCEPTED = 0,	/* connections taken */
	SB_REFUSED_PER_SOURCE,	/* refused: too many from the address */
	SB_REFUSED_PROXY,	/* refused: a bad or untrusted PROXY header */
	SB_CUT_STRESS,		/* let go under stress */
	SB_ENDED_IDLE,		/* ended by an idle or session limit */
	SB_ENDED_SEND,		/* ended: the client read nothing */
	SB_BYTES_IN,
	SB_BYTES_OUT,
	SB_STORE_ERRORS,
	/* Requests of the session and auth services, by verb. */
	SB_VERB_ECHO,
	SB_VERB_MIRROR,
	SB_VERB_STATUS,
	SB_VERB_UPLOAD,
	SB_VERB_IDENTIFY,
	SB_VERB_REGISTER,
	SB_VERB_LOGIN,
	SB_VERB_RESUME,
	SB_VERB_LOGOUT,
	SB_VERB_WHOAMI,
	SB_VERB_HELP,
	SB_VERB_QUIT,
	SB_VERB_UNKNOWN,	/* not a verb the service offers */
	SB_COUNTERS
};
#define SB_VERB_FIRST	SB_VERB_ECHO

/* The master's counters, in the header. */
enum sb_master_counter {
	SB_SPAWNED = 0,		/* workers forked */
	SB_SPAWNED_ON_DEMAND,	/* of which for waiting connections */
	SB_EXIT_CLEAN,		/* retired, recycled, stopped */
	SB_EXIT_CRASHED,	/* died of a signal or a failure status */
	SB_EXIT_KILLED,		/* killed by the master (stuck) */
	SB_EXIT_BOOT,		/* failed before they were ready */
	SB_STRESS_EPISODES,
	SB_MASTER_COUNTERS
};

struct sb_slot {
	uint32_t	seq;		/* odd while the text is written */
	pid_t		pid;
	int		state;		/* enum sb_state */
	uint64_t	requests;	/* connections served by this pid */
	uint64_t	beat_ms;	/* last sign of life, monotonic */
	uint64_t	started_ms;
	uint64_t	busy_since_ms;
	uint64_t	quiet_since_ms;	/* client's last byte; 0: working */
	uint64_t	count[SB_COUNTERS];
	char		client[NET_ADDRSTRLEN];	/* "127.0.0.1:50122" */
	char		host[NET_ADDRSTRLEN];	/* "127.0.0.1" */
	char		service[16];
} __attribute__((aligned(64)));

struct sb_header {
	pid_t		master;
	int		port;
	int64_t		started;	/* time(2) of the start */
	size_t		used;		/* slots ever used: scans stop here */
	char		service[16];
	int		stress;		/* 1 while under stress */
	int		stopping;	/* 1 once a stop began */
	int		queued;		/* connections waiting, last seen */
	int		max_workers;
	uint64_t	stress_since_ms;
	uint64_t	count[SB_MASTER_COUNTERS];
};

/* One worker as a snapshot shows it. */
struct sb_worker {
	size_t		slot;
	pid_t		pid;
	enum sb_state	state;
	int		serving;	/* a client in hand */
	uint64_t	requests;
	uint64_t	beat_ms;
	uint64_t	started_ms;
	uint64_t	busy_since_ms;
	uint64_t	quiet_since_ms;
	uint64_t	count[SB_COUNTERS];
	char		client[NET_ADDRSTRLEN];
	char		host[NET_ADDRSTRLEN];
};

int		 scoreboard_init(size_t nslots, char *err, size_t errlen);
size_t		 scoreboard_size(void);
const char	*scoreboard_state_name(int state);
const char	*scoreboard_counter_name(enum sb_counter);
const char	*scoreboard_master_counter_name(enum sb_master_counter);

/* Readers (anyone). scoreboard_read(): 0 with the slot's worker, -1 when
 * no worker owns the slot. A worker that has not claimed its slot yet shows
 * as starting. scoreboard_snapshot() fills at most max workers, in slot
 * order, and returns how many; totals (may be NULL) gets every slot's
 * counters summed, past occupants included. */
int	scoreboard_read(size_t slot, struct sb_worker *);
size_t	scoreboard_snapshot(struct sb_worker *, size_t max,
	    uint64_t totals[SB_COUNTERS]);
int	scoreboard_count_host(const char *host);
const struct sb_header *scoreboard_header(void);
/* The connection number the master asked slot's worker to cut (0: none). */
uint64_t scoreboard_cut_request(size_t slot);

/* Worker side: its own slot only. */
void	scoreboard_claim(size_t slot, pid_t pid, const char *service);
void	scoreboard_set(enum sb_state, const char *client, const char *host);
void	scoreboard_beat(void);
void	scoreboard_quiet(uint64_t since_ms);
void	scoreboard_served(void);
void	scoreboard_add(enum sb_counter, uint64_t n);
uint64_t scoreboard_own(enum sb_counter);

/* Master side: the header, the owners, cut requests. */
struct sb_header *scoreboard_header_rw(void);
void	scoreboard_set_owner(size_t slot, pid_t pid);
pid_t	scoreboard_owner(size_t slot);
void	scoreboard_cut(size_t slot, uint64_t connection);
void	scoreboard_master_add(enum sb_master_counter);

#endif
