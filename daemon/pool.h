/*
 * pool.h -- the worker pool's decisions, as pure functions.
 *
 * pool_plan() decides how many workers to spawn and retire, given what the
 * pool looks like now. Rules (as Apache prefork, with a floor):
 *  - below the floor (start-up, a dead worker, TTIN): spawn the difference at
 *    once; the floor starts at [pool] start and moves with TTIN/TTOU;
 *  - on a maintenance tick (once a second), fewer idle workers than min_spare:
 *    spawn spawn_rate more (however few are missing, as Apache does); the
 *    rate doubles each tick the pool is still short (1, 2, 4 ... 32) and
 *    falls back to 1 when it is not;
 *  - on a tick, more idle workers than max_spare: retire half of those
 *    above it (at least one), never going below the floor (Apache retires
 *    one a second: a pool grown for a burst of 200 took minutes to shrink);
 *  - never more than max_workers, counting the workers that still finish a
 *    connection after a reload or a retirement.
 * Workers still starting count as idle, so a burst is not answered twice.
 *
 * pool_respawn_delay_ms() throttles a crash loop: no delay for the first few
 * rapid deaths in a row, then an exponential back-off up to a cap.
 * pool_boot_give_up() says when workers failing at start-up should end the
 * master. pool_request_limit() spreads max_requests with up to 10% jitter.
 */
#ifndef SOCKBIND_POOL_H
#define SOCKBIND_POOL_H

#include <stdint.h>

#define POOL_SPAWN_RATE_MAX	32
#define POOL_RAPID_DEATH_MS	1000	/* a death this soon is "rapid" */
#define POOL_RAPID_FREE		3	/* rapid deaths respawned at once */
#define POOL_BACKOFF_MAX_MS	5000
#define POOL_BOOT_FAILURES_MAX	5

struct pool_view {
	int	total;		/* current workers, not retiring */
	int	idle;		/* of which idle or starting */
	int	floor;		/* never fewer workers than this */
	int	spawn_rate;	/* this tick's idle spawn rate */
	int	tick;		/* nonzero once a second */
	int	finishing;	/* retired, still alive: they hold clients */
};

struct pool_limits {
	int	min_spare;
	int	max_spare;
	int	max_workers;
};

struct pool_plan {
	int	spawn;
	int	retire;
	int	spawn_rate;	/* for the next tick */
};

struct pool_plan	pool_plan(const struct pool_view *,
			    const struct pool_limits *);
unsigned	pool_respawn_delay_ms(unsigned rapid_deaths);
int		pool_boot_give_up(unsigned boot_failures);
uint64_t	pool_request_limit(int max_requests, uint32_t random);

#endif
