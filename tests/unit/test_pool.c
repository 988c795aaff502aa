/* test_pool.c -- the worker pool's pure decisions (daemon/pool.c). */
#include <limits.h>
#include <stdint.h>

#include <criterion/criterion.h>

#include "daemon/pool.h"
#include "tests/unit/prng.h"

/* A fixed-seed generator, so a failure can be replayed. */

static struct pool_plan
plan(int total, int idle, int floor, int rate, int tick, int min_spare,
    int max_spare, int max_workers)
{
	struct pool_view v = { total, idle, floor, rate, tick };
	struct pool_limits l = { min_spare, max_spare, max_workers };

	return pool_plan(&v, &l);
}

#define expect_plan(p, sp, re, ra)	do {				\
	cr_expect_eq((p).spawn, (sp), "spawn %d, want %d",		\
	    (p).spawn, (sp));						\
	cr_expect_eq((p).retire, (re), "retire %d, want %d",		\
	    (p).retire, (re));						\
	cr_expect_eq((p).spawn_rate, (ra), "spawn_rate %d, want %d",	\
	    (p).spawn_rate, (ra));					\
} while (0)

Test(pool_plan, below_floor_spawns_difference_without_tick)
{
	struct pool_plan p;

	p = plan(0, 0, 4, 1, 0, 2, 8, 64);
	expect_plan(p, 4, 0, 1);
	p = plan(1, 1, 4, 1, 0, 2, 8, 64);
	expect_plan(p, 3, 0, 1);
	/* A busy pool below the floor gets the difference, no more. */
	p = plan(3, 0, 4, 1, 0, 2, 8, 64);
	expect_plan(p, 1, 0, 1);
}

Test(pool_plan, below_floor_capped_by_max_workers)
{
	struct pool_plan p;

	p = plan(1, 0, 10, 1, 0, 0, 8, 5);
	expect_plan(p, 4, 0, 1);
	p = plan(5, 0, 10, 1, 1, 0, 8, 5);
	expect_plan(p, 0, 0, 1);
	/* Over the cap (max_workers lowered by a reload): nothing, and
	 * no negative spawn count. */
	p = plan(8, 0, 10, 1, 1, 2, 8, 5);
	expect_plan(p, 0, 0, 2);
}

/* Workers of the configuration before a reload, still serving their
 * clients, take room: max_workers = 1 stays one client at a time. */
Test(pool_plan, finishing_workers_count_against_max_workers)
{
	struct pool_view v = { 0, 0, 1, 1, 1, 1 };
	struct pool_limits l = { 1, 4, 1 };
	struct pool_plan p;

	p = pool_plan(&v, &l);
	expect_plan(p, 0, 0, 2);
	v.finishing = 0;
	p = pool_plan(&v, &l);
	expect_plan(p, 1, 0, 1);
	/* Three finishing of max 5: two new ones at most, floor or not. */
	v = (struct pool_view){ 0, 0, 4, 1, 0, 3 };
	l.max_workers = 5;
	p = pool_plan(&v, &l);
	expect_plan(p, 2, 0, 1);
}

Test(pool_plan, no_idle_rules_without_tick)
{
	struct pool_plan p;

	/* Short of idle workers, but no tick: wait for it. */
	p = plan(4, 0, 4, 8, 0, 2, 8, 64);
	expect_plan(p, 0, 0, 8);
	/* Too many idle workers, but no tick: keep them. */
	p = plan(20, 20, 4, 4, 0, 2, 8, 64);
	expect_plan(p, 0, 0, 4);
	/* A rate of 0 is read as 1. */
	p = plan(4, 0, 4, 0, 0, 2, 8, 64);
	expect_plan(p, 0, 0, 1);
}

Test(pool_plan, tick_short_spawns_up_to_rate)
{
	struct pool_plan p;

	p = plan(4, 0, 4, 1, 1, 2, 8, 64);
	expect_plan(p, 1, 0, 2);
	p = plan(5, 0, 4, 2, 1, 2, 8, 64);
	expect_plan(p, 2, 0, 4);
	/* The whole rate, not just the shortfall (Apache): a burst is met
	 * in a few ticks. */
	p = plan(4, 1, 4, 8, 1, 2, 8, 64);
	expect_plan(p, 8, 0, 16);
	p = plan(10, 0, 4, 4, 1, 10, 20, 64);
	expect_plan(p, 4, 0, 8);
}

Test(pool_plan, rate_doubles_to_cap_then_resets)
{
	static const int rates[] = { 1, 2, 4, 8, 16, 32, 32, 32 };
	static const int next[] = { 2, 4, 8, 16, 32, 32, 32, 32 };
	struct pool_plan p;
	int total = 4, rate = 1;
	size_t i;

	/* Every worker stays busy: short on each tick. */
	for (i = 0; i < sizeof(rates) / sizeof(rates[0]); i++) {
		p = plan(total, 0, 4, rate, 1, 1000, 1000, 1000);
		cr_assert_eq(p.spawn, rates[i], "tick %zu: spawn %d, want %d",
		    i, p.spawn, rates[i]);
		cr_assert_eq(p.spawn_rate, next[i], "tick %zu: next rate %d, "
		    "want %d", i, p.spawn_rate, next[i]);
		total += p.spawn;
		rate = p.spawn_rate;
	}
	cr_assert_eq(rate, POOL_SPAWN_RATE_MAX);
	/* Enough idle now: back to 1. */
	p = plan(total, 1000, 4, rate, 1, 1000, 1000, 1000);
	expect_plan(p, 0, 0, 1);
}

Test(pool_plan, floor_spawns_count_as_idle)
{
	struct pool_plan p;

	/* Two to reach the floor cover the two spares wanted. */
	p = plan(2, 0, 4, 1, 1, 2, 8, 64);
	expect_plan(p, 2, 0, 1);
	/* One to reach the floor, then two more at rate 2. */
	p = plan(2, 0, 3, 2, 1, 4, 8, 64);
	expect_plan(p, 3, 0, 4);
}

Test(pool_plan, tick_spawn_capped_by_max_workers)
{
	struct pool_plan p;

	p = plan(63, 0, 4, 8, 1, 10, 20, 64);
	expect_plan(p, 1, 0, 16);
	p = plan(64, 0, 4, 8, 1, 10, 20, 64);
	expect_plan(p, 0, 0, 16);
	/* max_workers = 1: an iterative server never grows. */
	p = plan(1, 0, 1, 1, 1, 2, 8, 1);
	cr_expect_eq(p.spawn, 0);
	cr_expect_eq(p.retire, 0);
}

Test(pool_plan, retire_half_the_excess_above_max_spare)
{
	struct pool_plan p;

	p = plan(12, 10, 4, 4, 1, 2, 8, 64);
	expect_plan(p, 0, 1, 1);
	/* One above max_spare: that one. */
	p = plan(12, 9, 4, 4, 1, 2, 8, 64);
	expect_plan(p, 0, 1, 1);
	/* 52 above: 26 this tick, then 13, 7, 3, 2, 1. */
	p = plan(60, 60, 4, 1, 1, 2, 8, 64);
	expect_plan(p, 0, 26, 1);
	p = plan(34, 34, 4, 1, 1, 2, 8, 64);
	expect_plan(p, 0, 13, 1);
	/* A pool of 230 with 50 busy, max_spare 32: 74, then 37 ... */
	p = plan(230, 180, 8, 1, 1, 8, 32, 256);
	expect_plan(p, 0, 74, 1);
	/* Never below the floor. */
	p = plan(60, 60, 50, 1, 1, 2, 8, 64);
	expect_plan(p, 0, 10, 1);
	/* Exactly max_spare idle: keep them. */
	p = plan(12, 8, 4, 1, 1, 2, 8, 64);
	expect_plan(p, 0, 0, 1);
}

Test(pool_plan, never_retire_below_floor)
{
	struct pool_plan p;

	p = plan(10, 10, 10, 1, 1, 2, 8, 64);
	expect_plan(p, 0, 0, 1);
	p = plan(11, 11, 10, 1, 1, 2, 8, 64);
	expect_plan(p, 0, 1, 1);
}

Test(pool_plan, never_retire_while_spawning)
{
	struct pool_plan p;

	/* Below the floor with too many idle: fill the floor only. */
	p = plan(9, 9, 10, 1, 1, 2, 8, 64);
	expect_plan(p, 1, 0, 1);
	/* min_spare above max_spare (refused by config, but the function
	 * must stay sane): spawning wins over retiring. */
	p = plan(20, 9, 4, 1, 1, 10, 8, 64);
	expect_plan(p, 1, 0, 2);
}

/* The rules hold for any pool state: random views, fixed seed. */
Test(pool_plan, invariants_random)
{
	uint32_t seed = 0x5eed1234;
	struct pool_plan p;
	struct pool_view v;
	struct pool_limits l;
	int i, room, floor_need;

	for (i = 0; i < 200000; i++) {
		l.max_workers = 1 + xorshift32(&seed) % 64;
		l.min_spare = xorshift32(&seed) % 16;
		l.max_spare = l.min_spare + xorshift32(&seed) % 16;
		v.total = xorshift32(&seed) % 80;
		v.idle = v.total ? xorshift32(&seed) % (v.total + 1) : 0;
		v.floor = 1 + xorshift32(&seed) % 64;
		v.spawn_rate = xorshift32(&seed) % (POOL_SPAWN_RATE_MAX + 1);
		v.tick = xorshift32(&seed) % 2;
		v.finishing = xorshift32(&seed) % 4 ? 0 : xorshift32(&seed) % 8;
		p = pool_plan(&v, &l);

		room = l.max_workers > v.total + v.finishing ?
		    l.max_workers - v.total - v.finishing : 0;
		floor_need = v.floor > v.total ? v.floor - v.total : 0;
		cr_assert(p.spawn >= 0 && p.spawn <= room,
		    "case %d: spawn %d, room %d", i, p.spawn, room);
		cr_assert(p.spawn >= (floor_need < room ? floor_need : room),
		    "case %d: spawn %d below the floor's need", i, p.spawn);
		cr_assert(p.retire >= 0, "case %d", i);
		cr_assert(!(p.retire && p.spawn), "case %d: both", i);
		cr_assert(v.total - p.retire >= v.floor || !p.retire,
		    "case %d: retire below the floor", i);
		/* At least max_spare idle stay, and half the excess. */
		cr_assert(v.idle - p.retire >= l.max_spare || !p.retire,
		    "case %d: retire %d of %d idle", i, p.retire, v.idle);
		cr_assert(!p.retire || v.idle > l.max_spare,
		    "case %d: retire with %d idle", i, v.idle);
		cr_assert(p.spawn_rate >= 1 &&
		    p.spawn_rate <= POOL_SPAWN_RATE_MAX,
		    "case %d: rate %d", i, p.spawn_rate);
		if (!v.tick) {
			cr_assert_eq(p.retire, 0, "case %d: retire, no tick",
			    i);
			cr_assert_eq(p.spawn, floor_need < room ? floor_need :
			    room, "case %d: idle spawn without tick", i);
		} else
			cr_assert(p.spawn - (floor_need < room ? floor_need :
			    room) <= (v.spawn_rate > 1 ? v.spawn_rate : 1),
			    "case %d: spawn above the rate", i);
	}
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
