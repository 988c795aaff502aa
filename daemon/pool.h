/*
 * pool.h -- the worker pool's decisions, as pure functions.
 *
 * pool_plan() decides how many workers to spawn and retire, given what the
 * pool looks like now. Rules:
 *  - below the floor (start-up, a dead worker, TTIN): spawn the difference at
 *    once; the floor starts at [pool] start and moves with TTIN/TTOU;
 *  - on demand, at every look (the master looks within milliseconds of a
 *    connection that waits): one new worker per waiting connection that no
 *    idle or starting worker will take, all at once, bounded only by the fork
 *    budget (pool_fork_tokens()) and max_workers. Apache prefork grows by
 *    1, 2, 4 ... 32 a second, so a burst of 200 clients waited ten seconds;
 *  - on a maintenance tick (once a second), fewer idle workers than
 *    min_spare: spawn the shortfall, within the same budget;
 *  - on a tick with nothing waiting, more idle workers than max_spare: retire
 *    half of those above it (at least one), never going below the floor:
 *    a pool grown for a burst is back within a few seconds, gradually;
 *  - never more than max_workers, counting the workers that still finish a
 *    connection after a reload or a retirement.
 * Workers still starting count as idle, so a burst is not answered twice.
 *
 * pool_confirm_waiting() tells connections that wait from a queue that
 * moves: looking at the queue twice, POOL_CONFIRM_MS or more apart, the
 * connections the busy workers would take within POOL_DRAIN_MS, at the pace
 * they took them between the two looks, need no new worker; the others do.
 * Held connections (a burst of clients that stay) are taken at no pace at
 * all: each gets a worker. A reconnecting load, whose queue is never empty
 * for long but moves fast, gets none: one worker per client would make the
 * pool larger and slower for it (docs/bench/). It returns the queue length
 * to plan with (0: nothing to spawn for).
 *
 * pool_stressed() says whether the server is under stress: every worker up
 * to max_workers busy while connections wait; it ends once nothing waits and
 * idle workers are back. An iterative server (max_workers 1) is never under
 * stress: its clients waiting their turn is what it is there to show.
 * pool_pick_quietest() orders busy workers' clients quietest first and keeps
 * at most want of those quiet for at least min_quiet_ms: the ones let go.
 *
 * pool_respawn_delay_ms() throttles a crash loop: no delay for the first few
 * rapid failures in a row, then an exponential back-off up to a cap.
 * pool_boot_give_up() says when workers failing at start-up should end the
 * master. pool_request_limit() spreads max_requests with up to 10% jitter.
 */
#ifndef SOCKBIND_POOL_H
#define SOCKBIND_POOL_H

#include <stddef.h>
#include <stdint.h>

#define POOL_FORK_BURST		128	/* forks at once, at most */
#define POOL_FORK_PER_SEC	1000	/* and then this many a second */
#define POOL_CONFIRM_MS		10	/* the queue's two looks, at least */
#define POOL_DRAIN_MS		100	/* what busy workers take by then */
#define POOL_CUT_MIN_QUIET_MS	1000	/* a client let go was this quiet */
#define POOL_RAPID_DEATH_MS	1000	/* a death this soon is "rapid" */
#define POOL_RAPID_FREE		3	/* rapid deaths respawned at once */
#define POOL_BACKOFF_MAX_MS	5000
#define POOL_BOOT_FAILURES_MAX	5

struct pool_view {
	int	total;		/* current workers, not retiring */
	int	idle;		/* of which idle or starting */
	int	floor;		/* never fewer workers than this */
	int	tick;		/* nonzero once a second */
	int	finishing;	/* retired, still alive: they hold clients */
	int	queued;		/* connections waiting to be accepted */
};

struct pool_limits {
	int	min_spare;
	int	max_spare;
	int	max_workers;
};

struct pool_plan {
	int	spawn;		/* in all */
	int	on_demand;	/* of which for waiting connections */
	int	retire;
};

struct pool_client {
	size_t		slot;
	uint64_t	quiet_since_ms;	/* 0: working, never picked */
	uint64_t	connection;	/* which one the worker holds */
};

/* What pool_confirm_waiting() saw last. */
struct pool_demand {
	uint64_t	seen_ms;	/* 0: nothing waiting seen */
	uint64_t	accepted;	/* connections accepted by then */
};

struct pool_plan	pool_plan(const struct pool_view *,
			    const struct pool_limits *, int fork_tokens);
int		pool_confirm_waiting(struct pool_demand *, int queued,
		    int idle, uint64_t accepted, uint64_t now_ms);
int		pool_fork_tokens(int tokens, uint64_t *last_ms,
		    uint64_t now_ms);
int		pool_stressed(const struct pool_view *,
		    const struct pool_limits *, int was_stressed);
size_t		pool_pick_quietest(struct pool_client *, size_t n,
		    size_t want, uint64_t now_ms, uint64_t min_quiet_ms);
unsigned	pool_respawn_delay_ms(unsigned rapid_deaths);
int		pool_boot_give_up(unsigned boot_failures);
uint64_t	pool_request_limit(int max_requests, uint32_t random);

#endif
