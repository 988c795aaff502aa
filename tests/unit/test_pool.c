/* test_pool.c -- the worker pool's pure decisions (daemon/pool.c). */
#include <limits.h>
#include <stdint.h>

#include <criterion/criterion.h>

#include "daemon/pool.h"
#include "tests/unit/prng.h"

/* A fixed-seed generator, so a failure can be replayed. */

static struct pool_plan
plan_q(int total, int idle, int floor, int tick, int queued, int min_spare,
    int max_spare, int max_workers, int tokens)
{
	struct pool_view v = { total, idle, floor, tick, 0, queued };
	struct pool_limits l = { min_spare, max_spare, max_workers };

	return pool_plan(&v, &l, tokens);
}

static struct pool_plan
plan(int total, int idle, int floor, int tick, int min_spare, int max_spare,
    int max_workers)
{
	return plan_q(total, idle, floor, tick, 0, min_spare, max_spare,
	    max_workers, POOL_FORK_BURST);
}

#define expect_plan(p, sp, od, re)	do {				\
	cr_expect_eq((p).spawn, (sp), "spawn %d, want %d",		\
	    (p).spawn, (sp));						\
	cr_expect_eq((p).on_demand, (od), "on_demand %d, want %d",	\
	    (p).on_demand, (od));					\
	cr_expect_eq((p).retire, (re), "retire %d, want %d",		\
	    (p).retire, (re));						\
} while (0)

Test(pool_plan, below_floor_spawns_difference_without_tick)
{
	struct pool_plan p;

	p = plan(0, 0, 4, 0, 2, 8, 64);
	expect_plan(p, 4, 0, 0);
	p = plan(1, 1, 4, 0, 2, 8, 64);
	expect_plan(p, 3, 0, 0);
	/* A busy pool below the floor gets the difference, no more. */
	p = plan(3, 0, 4, 0, 2, 8, 64);
	expect_plan(p, 1, 0, 0);
	/* The floor is not held back by the fork budget. */
	p = plan_q(0, 0, 4, 0, 0, 2, 8, 64, 0);
	expect_plan(p, 4, 0, 0);
}

Test(pool_plan, below_floor_capped_by_max_workers)
{
	struct pool_plan p;

	p = plan(1, 0, 10, 0, 0, 8, 5);
	expect_plan(p, 4, 0, 0);
	p = plan(5, 0, 10, 1, 0, 8, 5);
	expect_plan(p, 0, 0, 0);
	/* Over the cap (max_workers lowered by a reload): nothing, and
	 * no negative spawn count. */
	p = plan_q(8, 0, 10, 1, 20, 2, 8, 5, 100);
	expect_plan(p, 0, 0, 0);
}

/* Workers of the configuration before a reload, still serving their
 * clients, take room: max_workers = 1 stays one client at a time. */
Test(pool_plan, finishing_workers_count_against_max_workers)
{
	struct pool_view v = { 0, 0, 1, 1, 1, 3 };
	struct pool_limits l = { 1, 4, 1 };
	struct pool_plan p;

	p = pool_plan(&v, &l, POOL_FORK_BURST);
	expect_plan(p, 0, 0, 0);
	v.finishing = 0;
	p = pool_plan(&v, &l, POOL_FORK_BURST);
	expect_plan(p, 1, 0, 0);
	/* Three finishing of max 5: two new ones at most, floor or not. */
	v = (struct pool_view){ 0, 0, 4, 0, 3, 10 };
	l.max_workers = 5;
	p = pool_plan(&v, &l, POOL_FORK_BURST);
	expect_plan(p, 2, 0, 0);
}

/* The heart of the elastic pool: every waiting connection that no idle or
 * starting worker will take gets a worker now, tick or not. */
Test(pool_plan, waiting_connections_spawn_at_once)
{
	struct pool_plan p;

	/* 200 wait, 4 idle: 196 more, within the budget. */
	p = plan_q(4, 4, 4, 0, 200, 2, 8, 256, 1000);
	expect_plan(p, 196, 196, 0);
	/* Workers still starting are counted: a burst is not answered
	 * twice. */
	p = plan_q(200, 200, 4, 0, 200, 2, 8, 256, 1000);
	expect_plan(p, 0, 0, 0);
	/* The fork budget bounds it; the rest comes at the next look. */
	p = plan_q(4, 0, 4, 0, 200, 2, 8, 256, POOL_FORK_BURST);
	expect_plan(p, POOL_FORK_BURST, POOL_FORK_BURST, 0);
	/* And max_workers. */
	p = plan_q(250, 0, 4, 0, 200, 2, 8, 256, 1000);
	expect_plan(p, 6, 6, 0);
	/* The floor's new workers take waiting connections first. */
	p = plan_q(0, 0, 4, 0, 5, 2, 8, 256, 1000);
	expect_plan(p, 5, 1, 0);
}

/* min_spare = 0 does not freeze the pool: demand alone grows it. */
Test(pool_plan, min_spare_zero_still_grows_on_demand)
{
	struct pool_plan p;

	p = plan_q(1, 0, 1, 1, 3, 0, 8, 64, 100);
	expect_plan(p, 3, 3, 0);
	p = plan_q(1, 0, 1, 1, 0, 0, 8, 64, 100);
	expect_plan(p, 0, 0, 0);
}

Test(pool_plan, no_idle_rules_without_tick)
{
	struct pool_plan p;

	/* Short of idle workers, but no tick: wait for it. */
	p = plan(4, 0, 4, 0, 2, 8, 64);
	expect_plan(p, 0, 0, 0);
	/* Too many idle workers, but no tick: keep them. */
	p = plan(20, 20, 4, 0, 2, 8, 64);
	expect_plan(p, 0, 0, 0);
}

Test(pool_plan, tick_short_spawns_the_shortfall)
{
	struct pool_plan p;

	p = plan(4, 0, 4, 1, 2, 8, 64);
	expect_plan(p, 2, 0, 0);
	p = plan(4, 1, 4, 1, 2, 8, 64);
	expect_plan(p, 1, 0, 0);
	p = plan(10, 0, 4, 1, 10, 20, 64);
	expect_plan(p, 10, 0, 0);
	/* Within the fork budget. */
	p = plan_q(10, 0, 4, 1, 0, 10, 20, 64, 3);
	expect_plan(p, 3, 0, 0);
}

Test(pool_plan, floor_spawns_count_as_idle)
{
	struct pool_plan p;

	/* Two to reach the floor cover the two spares wanted. */
	p = plan(2, 0, 4, 1, 2, 8, 64);
	expect_plan(p, 2, 0, 0);
	/* One to reach the floor, then three more spares. */
	p = plan(2, 0, 3, 1, 4, 8, 64);
	expect_plan(p, 4, 0, 0);
}

Test(pool_plan, tick_spawn_capped_by_max_workers)
{
	struct pool_plan p;

	p = plan(63, 0, 4, 1, 10, 20, 64);
	expect_plan(p, 1, 0, 0);
	p = plan(64, 0, 4, 1, 10, 20, 64);
	expect_plan(p, 0, 0, 0);
	/* max_workers = 1: an iterative server never grows. */
	p = plan_q(1, 0, 1, 1, 5, 2, 8, 1, 100);
	expect_plan(p, 0, 0, 0);
}

Test(pool_plan, retire_half_the_excess_above_max_spare)
{
	struct pool_plan p;

	p = plan(12, 10, 4, 1, 2, 8, 64);
	expect_plan(p, 0, 0, 1);
	/* One above max_spare: that one. */
	p = plan(12, 9, 4, 1, 2, 8, 64);
	expect_plan(p, 0, 0, 1);
	/* 52 above: 26 this tick, then 13, 7, 3, 2, 1. */
	p = plan(60, 60, 4, 1, 2, 8, 64);
	expect_plan(p, 0, 0, 26);
	p = plan(34, 34, 4, 1, 2, 8, 64);
	expect_plan(p, 0, 0, 13);
	/* A pool of 230 with 50 busy, max_spare 32: 74, then 37 ... */
	p = plan(230, 180, 8, 1, 8, 32, 256);
	expect_plan(p, 0, 0, 74);
	/* Never below the floor. */
	p = plan(60, 60, 50, 1, 2, 8, 64);
	expect_plan(p, 0, 0, 10);
	/* Exactly max_spare idle: keep them. */
	p = plan(12, 8, 4, 1, 2, 8, 64);
	expect_plan(p, 0, 0, 0);
	/* Never while connections wait. */
	p = plan_q(60, 60, 4, 1, 3, 2, 8, 64, 100);
	expect_plan(p, 0, 0, 0);
}

Test(pool_plan, never_retire_below_floor)
{
	struct pool_plan p;

	p = plan(10, 10, 10, 1, 2, 8, 64);
	expect_plan(p, 0, 0, 0);
	p = plan(11, 11, 10, 1, 2, 8, 64);
	expect_plan(p, 0, 0, 1);
}

Test(pool_plan, never_retire_while_spawning)
{
	struct pool_plan p;

	/* Below the floor with too many idle: fill the floor only. */
	p = plan(9, 9, 10, 1, 2, 8, 64);
	expect_plan(p, 1, 0, 0);
	/* min_spare above max_spare (refused by config, but the function
	 * must stay sane): spawning wins over retiring. */
	p = plan(20, 9, 4, 1, 10, 8, 64);
	expect_plan(p, 1, 0, 0);
}

/* The rules hold for any pool state: random views, fixed seed. */
Test(pool_plan, invariants_random)
{
	uint32_t seed = 0x5eed1234;
	struct pool_plan p;
	struct pool_view v;
	struct pool_limits l;
	int i, room, floor_need, tokens, base, unserved;

	for (i = 0; i < 200000; i++) {
		l.max_workers = 1 + xorshift32(&seed) % 64;
		l.min_spare = xorshift32(&seed) % 16;
		l.max_spare = l.min_spare + xorshift32(&seed) % 16;
		v.total = xorshift32(&seed) % 80;
		v.idle = v.total ? xorshift32(&seed) % (v.total + 1) : 0;
		v.floor = 1 + xorshift32(&seed) % 64;
		v.tick = xorshift32(&seed) % 2;
		v.finishing = xorshift32(&seed) % 4 ? 0 : xorshift32(&seed) % 8;
		v.queued = xorshift32(&seed) % 3 ? 0 : xorshift32(&seed) % 300;
		tokens = xorshift32(&seed) % (POOL_FORK_BURST + 1);
		p = pool_plan(&v, &l, tokens);

		room = l.max_workers > v.total + v.finishing ?
		    l.max_workers - v.total - v.finishing : 0;
		floor_need = v.floor > v.total ? v.floor - v.total : 0;
		base = floor_need < room ? floor_need : room;
		cr_assert(p.spawn >= 0 && p.spawn <= room,
		    "case %d: spawn %d, room %d", i, p.spawn, room);
		cr_assert(p.spawn >= base,
		    "case %d: spawn %d below the floor's need", i, p.spawn);
		cr_assert(p.spawn - base <= tokens,
		    "case %d: spawn %d over the budget %d", i, p.spawn, tokens);
		cr_assert(p.on_demand >= 0 && p.on_demand <= p.spawn - base,
		    "case %d: on_demand %d", i, p.on_demand);
		/* Never more on demand than connections wait unserved. */
		unserved = v.queued - v.idle - base;
		cr_assert(p.on_demand <= (unserved > 0 ? unserved : 0),
		    "case %d: on_demand %d for %d unserved", i, p.on_demand,
		    unserved);
		/* And all of them, when room and budget allow. */
		if (unserved > 0 && unserved <= room - base &&
		    unserved <= tokens)
			cr_assert_eq(p.on_demand, unserved, "case %d", i);
		cr_assert(p.retire >= 0, "case %d", i);
		cr_assert(!(p.retire && p.spawn), "case %d: both", i);
		cr_assert(!(p.retire && v.queued), "case %d: retire while "
		    "connections wait", i);
		cr_assert(v.total - p.retire >= v.floor || !p.retire,
		    "case %d: retire below the floor", i);
		/* At least max_spare idle stay, and half the excess. */
		cr_assert(v.idle - p.retire >= l.max_spare || !p.retire,
		    "case %d: retire %d of %d idle", i, p.retire, v.idle);
		if (!v.tick) {
			cr_assert_eq(p.retire, 0, "case %d: retire, no tick",
			    i);
			cr_assert_eq(p.spawn, base + p.on_demand,
			    "case %d: idle spawn without tick", i);
		}
	}
}

Test(pool_fork_tokens, refill_at_the_rate_up_to_the_burst)
{
	uint64_t last = 1000;
	int t;

	t = pool_fork_tokens(0, &last, 1000);
	cr_expect_eq(t, 0);
	/* 1000 a second: one a millisecond. */
	t = pool_fork_tokens(0, &last, 1010);
	cr_expect_eq(t, 10);
	cr_expect_eq(last, 1010);
	t = pool_fork_tokens(t, &last, 100000);
	cr_expect_eq(t, POOL_FORK_BURST);
	cr_expect_eq(last, 100000);
	/* A clock that did not move adds nothing. */
	t = pool_fork_tokens(5, &last, 99999);
	cr_expect_eq(t, 5);
}

Test(pool_stressed, begins_when_full_and_waiting_ends_when_idle_is_back)
{
	struct pool_limits l = { 2, 8, 10 };
	struct pool_view v = { 10, 0, 4, 0, 0, 3 };

	cr_expect_eq(pool_stressed(&v, &l, 0), 1);
	/* Room left: spawn instead. */
	v.total = 9;
	cr_expect_eq(pool_stressed(&v, &l, 0), 0);
	/* Finishing workers take room too. */
	v.finishing = 1;
	cr_expect_eq(pool_stressed(&v, &l, 0), 1);
	v.total = 10;
	v.finishing = 0;
	/* An idle worker will take the waiting one. */
	v.idle = 1;
	cr_expect_eq(pool_stressed(&v, &l, 0), 0);
	/* Once stressed, it stays until nothing waits and workers idle. */
	v.idle = 0;
	v.queued = 0;
	cr_expect_eq(pool_stressed(&v, &l, 1), 1);
	v.idle = 1;
	cr_expect_eq(pool_stressed(&v, &l, 1), 0);
	v.queued = 2;
	cr_expect_eq(pool_stressed(&v, &l, 1), 1);
	/* An iterative server is never under stress. */
	l.max_workers = 1;
	v = (struct pool_view){ 1, 0, 1, 0, 0, 5 };
	cr_expect_eq(pool_stressed(&v, &l, 0), 0);
}

Test(pool_pick_quietest, quietest_first_working_never)
{
	struct pool_client c[] = {
		{ 0, 9000, 1 },		/* quiet 1 s */
		{ 1, 0, 1 },		/* working */
		{ 2, 2000, 1 },		/* quiet 8 s */
		{ 3, 9800, 1 },		/* quiet 0.2 s: too fresh */
		{ 4, 5000, 1 },		/* quiet 5 s */
	};
	size_t n;

	n = pool_pick_quietest(c, 5, 2, 10000, 1000);
	cr_assert_eq(n, 2);
	cr_expect_eq(c[0].slot, 2);
	cr_expect_eq(c[1].slot, 4);
	/* Want more than qualify: the three quiet for a second or more. */
	n = pool_pick_quietest(c, 5, 5, 10000, 1000);
	cr_assert_eq(n, 3);
	cr_expect_eq(c[2].slot, 0);
	n = pool_pick_quietest(c, 5, 0, 10000, 1000);
	cr_expect_eq(n, 0);
}

Test(pool_respawn, free_then_exponential_then_capped)
{
	static const unsigned want[] = { 0, 0, 0, 0, 100, 200, 400, 800,
	    1600, 3200, 5000, 5000, 5000 };
	unsigned i, d;

	cr_assert_eq(POOL_RAPID_FREE, 3);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		d = pool_respawn_delay_ms(i);
		cr_expect_eq(d, want[i], "%u rapid deaths: %u ms, want %u", i,
		    d, want[i]);
	}
}

Test(pool_respawn, no_overflow_for_huge_counts)
{
	static const unsigned big[] = { 19, 20, 21, 35, 36, 67, 1000,
	    UINT_MAX / 2, UINT_MAX - 1, UINT_MAX };
	unsigned i, d, prev = 0;

	for (i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		d = pool_respawn_delay_ms(big[i]);
		cr_expect_eq(d, POOL_BACKOFF_MAX_MS, "%u deaths: %u ms",
		    big[i], d);
	}
	/* Never shrinks as deaths pile up, never above the cap. */
	for (i = 0; i < 100000; i++) {
		d = pool_respawn_delay_ms(i);
		cr_assert(d >= prev && d <= POOL_BACKOFF_MAX_MS,
		    "%u deaths: %u ms after %u ms", i, d, prev);
		prev = d;
	}
}

Test(pool_boot, give_up_at_max)
{
	unsigned i;

	for (i = 0; i < POOL_BOOT_FAILURES_MAX; i++)
		cr_expect_eq(pool_boot_give_up(i), 0, "gave up after %u", i);
	cr_expect_eq(pool_boot_give_up(POOL_BOOT_FAILURES_MAX), 1);
	cr_expect_eq(pool_boot_give_up(POOL_BOOT_FAILURES_MAX + 1), 1);
	cr_expect_eq(pool_boot_give_up(UINT_MAX), 1);
}

Test(pool_request_limit, zero_means_never)
{
	cr_expect_eq(pool_request_limit(0, 0), UINT64_MAX);
	cr_expect_eq(pool_request_limit(0, 12345), UINT64_MAX);
	cr_expect_eq(pool_request_limit(-1, 7), UINT64_MAX);
	cr_expect_eq(pool_request_limit(INT_MIN, 7), UINT64_MAX);
}

Test(pool_request_limit, exact_values)
{
	cr_expect_eq(pool_request_limit(10000, 0), 10000);
	cr_expect_eq(pool_request_limit(10000, 1000), 11000);
	cr_expect_eq(pool_request_limit(10000, 1001), 10000);
	cr_expect_eq(pool_request_limit(10000, 1002), 10001);
	/* Below 10 there is no room for jitter. */
	cr_expect_eq(pool_request_limit(1, UINT32_MAX), 1);
	cr_expect_eq(pool_request_limit(9, 12345), 9);
	cr_expect_eq(pool_request_limit(10, 1), 11);
	cr_expect_eq(pool_request_limit(INT_MAX, UINT32_MAX),
	    (uint64_t)INT_MAX + UINT32_MAX % ((uint64_t)INT_MAX / 10 + 1));
}

Test(pool_request_limit, jitter_within_ten_percent)
{
	uint32_t seed = 0xc0ffee, r;
	uint64_t got, lo, hi;
	int max, i, seen_lo = 0, seen_hi = 0;

	for (i = 0; i < 200000; i++) {
		max = 1 + xorshift32(&seed) % 1000000000;
		r = xorshift32(&seed);
		got = pool_request_limit(max, r);
		lo = max;
		hi = (uint64_t)max + max / 10;
		cr_assert(got >= lo && got <= hi, "max %d random %u: %llu "
		    "outside %llu..%llu", max, r, (unsigned long long)got,
		    (unsigned long long)lo, (unsigned long long)hi);
	}
	/* Both ends are reachable. */
	for (r = 0; r < 1000; r++) {
		got = pool_request_limit(100, r);
		seen_lo |= got == 100;
		seen_hi |= got == 110;
		cr_assert(got >= 100 && got <= 110, "100, %u: %llu", r,
		    (unsigned long long)got);
	}
	cr_expect(seen_lo && seen_hi, "jitter never reached an end");
}

Test(pool_confirm_waiting, held_connections_are_confirmed_a_moving_queue_not)
{
	struct pool_demand d = { 0, 0 };

	/* Nothing unserved: nothing seen. */
	cr_expect_eq(pool_confirm_waiting(&d, 3, 3, 100, 1000), 0);
	cr_expect_eq(d.seen_ms, 0);
	/* First look: remembered, not acted on. */
	cr_expect_eq(pool_confirm_waiting(&d, 200, 4, 100, 1000), 0);
	cr_expect_eq(d.seen_ms, 1000);
	/* Too soon for a second look. */
	cr_expect_eq(pool_confirm_waiting(&d, 200, 4, 100, 1005), 0);
	/* Nothing taken in 10 ms: all 196 unserved need a worker. */
	cr_expect_eq(pool_confirm_waiting(&d, 200, 4, 100, 1010), 200);
	/* A queue of 30 that moves at 3 a millisecond drains in 10 ms. */
	d = (struct pool_demand){ 0, 0 };
	pool_confirm_waiting(&d, 30, 0, 5000, 2000);
	cr_expect_eq(pool_confirm_waiting(&d, 30, 0, 5030, 2010), 0);
	/* One that moves at one in 10 ms keeps most of its waiters. */
	cr_expect_eq(pool_confirm_waiting(&d, 30, 0, 5031, 2020), 20);
	/* The queue gone: forgotten. */
	cr_expect_eq(pool_confirm_waiting(&d, 0, 0, 5100, 2030), 0);
	cr_expect_eq(d.seen_ms, 0);
}
