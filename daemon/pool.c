/* pool.c -- the worker pool's decisions, as pure functions (see pool.h). */
#include <stdlib.h>

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
pool_plan(const struct pool_view *v, const struct pool_limits *l,
    int fork_tokens)
{
	struct pool_plan p = { 0, 0, 0 };
	int room = imax(l->max_workers - v->total - v->finishing, 0);
	int below_floor = imax(v->floor - v->total, 0);
	int budget = imax(fork_tokens, 0), unserved, short_idle;

	/* The floor is small and what it replaces was lost: no budget. */
	p.spawn = imin(below_floor, room);
	room -= p.spawn;
	/* The floor's workers arrive idle, so count them first. */
	unserved = v->queued - (v->idle + p.spawn);
	if (unserved > 0) {
		p.on_demand = imin(imin(unserved, room), budget);
		p.spawn += p.on_demand;
		room -= p.on_demand;
		budget -= p.on_demand;
	}
	if (!v->tick)
		return p;

	short_idle = l->min_spare - (v->idle + p.spawn);
	if (short_idle > 0)
		p.spawn += imin(imin(short_idle, room), budget);

	/* Too many idle: retire half the excess (at least one), so a pool
	 * grown for a burst is back within a few ticks (docs/bench/ says why
	 * a large idle pool costs). Never while connections wait. */
	if (p.spawn == 0 && v->queued == 0 && v->idle > l->max_spare &&
	    v->total > v->floor)
		p.retire = imin((v->idle - l->max_spare + 1) / 2,
		    v->total - v->floor);
	return p;
}

int
pool_confirm_waiting(struct pool_demand *d, int queued, int idle,
    uint64_t accepted, uint64_t now_ms)
{
	uint64_t elapsed, drains;
	int need;

	if (queued - idle <= 0) {
		d->seen_ms = 0;
		return 0;
	}
	if (d->seen_ms == 0 || now_ms < d->seen_ms) {
		d->seen_ms = now_ms;
		d->accepted = accepted;
		return 0;
	}
	if ((elapsed = now_ms - d->seen_ms) < POOL_CONFIRM_MS)
		return 0;
	/* What the busy workers take within POOL_DRAIN_MS at the pace they
	 * took connections since the last look needs no new worker. */
	drains = (accepted - d->accepted) * POOL_DRAIN_MS / elapsed;
	d->seen_ms = now_ms;
	d->accepted = accepted;
	need = queued - idle - (drains < (uint64_t)queued ? (int)drains :
	    queued);
	return need > 0 ? idle + need : 0;
}

int
pool_fork_tokens(int tokens, uint64_t *last_ms, uint64_t now_ms)
{
	uint64_t add;

	if (now_ms <= *last_ms)
		return tokens;
	add = (now_ms - *last_ms) * POOL_FORK_PER_SEC / 1000;
	if (tokens + add >= POOL_FORK_BURST) {
		*last_ms = now_ms;
		return POOL_FORK_BURST;
	}
	/* Keep the part of a token not earned yet. */
	*last_ms += add * 1000 / POOL_FORK_PER_SEC;
	return tokens + (int)add;
}

int
pool_stressed(const struct pool_view *v, const struct pool_limits *l,
    int was_stressed)
{
	int room = l->max_workers - v->total - v->finishing;

	if (l->max_workers <= 1)
		return 0;
	if (was_stressed)
		return !(v->queued == 0 && v->idle > 0);
	return v->queued > 0 && v->idle == 0 && room <= 0;
}

static int
pool_quieter(const void *a, const void *b)
{
	const struct pool_client *x = a, *y = b;

	/* Working (0) last; then the earliest last byte first. */
	if ((x->quiet_since_ms == 0) != (y->quiet_since_ms == 0))
		return x->quiet_since_ms == 0 ? 1 : -1;
	return (x->quiet_since_ms > y->quiet_since_ms) -
	    (x->quiet_since_ms < y->quiet_since_ms);
}

size_t
pool_pick_quietest(struct pool_client *c, size_t n, size_t want,
    uint64_t now_ms, uint64_t min_quiet_ms)
{
	size_t picked = 0;

	qsort(c, n, sizeof(*c), pool_quieter);
	while (picked < n && picked < want && c[picked].quiet_since_ms != 0 &&
	    c[picked].quiet_since_ms <= now_ms &&
	    now_ms - c[picked].quiet_since_ms >= min_quiet_ms)
		picked++;
	return picked;
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
