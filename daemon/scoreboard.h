/*
 * scoreboard.h -- the workers' states, in memory shared with the master.
 *
 * One slot per worker. A worker writes only its own slot; the master only
 * reads, and trusts a slot only while its pid is the child's it forked there
 * (a slot keeps its last occupant's values until the next one writes).
 * The header is the master's: it writes it, workers only read it (for the
 * STATUS view): when the server started, its port, and which pid owns each
 * slot now (0: free). Numbers are stored and loaded atomically; the text
 * fields are for display, and for scoreboard_count_host(): the connections
 * being served to one address, for the per-source limit (a count that two
 * workers may both include each other in, so it errs on the strict side).
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

struct sb_slot {
	pid_t		pid;
	int		state;		/* enum sb_state */
	uint64_t	requests;	/* connections served */
	uint64_t	beat_ms;	/* last sign of life, monotonic */
	uint64_t	started_ms;
	uint64_t	busy_since_ms;
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
};

int		 scoreboard_init(size_t nslots, char *err, size_t errlen);
struct sb_header *scoreboard_header(void);
void		 scoreboard_set_owner(size_t slot, pid_t pid);
pid_t		 scoreboard_owner(size_t slot);
size_t		 scoreboard_size(void);
struct sb_slot	*scoreboard_slot(size_t i);
const char	*scoreboard_state_name(int state);
/* Serving a client in that state: busy, or stopping with one in hand. */
int		 scoreboard_serving(const struct sb_slot *, int state);

/* Worker side: write one's own slot. */
void	scoreboard_claim(struct sb_slot *, pid_t pid, const char *service);
void	scoreboard_set(struct sb_slot *, enum sb_state, const char *client,
	    const char *host);
int	scoreboard_count_host(const char *host);
void	scoreboard_beat(struct sb_slot *);
void	scoreboard_served(struct sb_slot *);

/* Master side: read a slot that belongs to pid, or learn it does not. */
int	scoreboard_state(const struct sb_slot *, pid_t pid);
uint64_t scoreboard_beat_ms(const struct sb_slot *, pid_t pid);

#endif
