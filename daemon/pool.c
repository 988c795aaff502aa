/* pool.c -- the worker pool's decisions, as pure functions (see pool.h). */
#include "daemon/pool.h"

static int
imin(int a, int b)
{
	return a < b ? a : b;
}

static int
imax(int a, int b)
{
	return a > b ? a : b;
}

struct pool_plan
pool_plan(const struct pool_view *v, const struct pool_limits *l)
{
	struct pool_plan p = { 0, 0, imax(v->spawn_rate, 1) };
	int room = imax(l->max_workers - v->total - v->finishing, 0);
	int below_floor = imax(v->floor - v->total, 0);
	int short_idle;

	p.spawn = imin(below_floor, room);
	if (!v->tick)
		return p;

	/* The floor's workers arrive idle, so count them before the rate. */
	/* Short of idle workers: spawn the whole rate, like Apache, not just
	 * the shortfall, so a burst is met in a few seconds (1+2+4+...). */
	short_idle = l->min_spare - (v->idle + p.spawn);
	if (short_idle > 0) {
		p.spawn += imin(p.spawn_rate, room - p.spawn);
		p.spawn_rate = imin(p.spawn_rate * 2, POOL_SPAWN_RATE_MAX);
	} else
		p.spawn_rate = 1;

	/* Too many idle: retire half the excess (at least one), so a pool
	 * grown for a burst is back within a few ticks. The kernel hands
	 * each connection to the worker that has waited longest in accept(),
	 * so every idle worker is in turn and a cold one at that: a pool left
	 * at 200 served 50 reconnecting clients a sixth slower than one of
	 * 90. */
	if (p.spawn == 0 && v->idle > l->max_spare && v->total > v->floor)
		p.retire = imin((v->idle - l->max_spare + 1) / 2,
		    v->total - v->floor);
	return p;
}

unsigned
pool_respawn_delay_ms(unsigned rapid_deaths)
{
	unsigned shift;

	if (rapid_deaths <= POOL_RAPID_FREE)
		return 0;
	shift = rapid_deaths - POOL_RAPID_FREE - 1;
	if (shift >= 16)
		return POOL_BACKOFF_MAX_MS;
	return (100u << shift) < POOL_BACKOFF_MAX_MS ? (100u << shift) :
	    POOL_BACKOFF_MAX_MS;
}

int
pool_boot_give_up(unsigned boot_failures)
{
	return boot_failures >= POOL_BOOT_FAILURES_MAX;
}

uint64_t
pool_request_limit(int max_requests, uint32_t random)
{
	uint64_t jitter;

	if (max_requests <= 0)
		return UINT64_MAX;
	jitter = (uint64_t)max_requests / 10;
	return (uint64_t)max_requests + (jitter ? random % (jitter + 1) : 0);
}
