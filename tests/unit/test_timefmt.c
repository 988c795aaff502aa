/* test_timefmt.c -- time stamps for logs and deadlines (shared/timefmt.c). */
#include <sys/stat.h>

#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <criterion/criterion.h>

#include "shared/timefmt.h"

/* 2023-11-14T22:13:20Z, a Tuesday outside any DST. */
#define T0	1700000000

/* Use the tzdata zone when it is installed, else its POSIX equivalent. */
static void
set_tz(const char *zone, const char *posix)
{
	char file[128];
	struct stat st;

	snprintf(file, sizeof(file), "/usr/share/zoneinfo/%s", zone);
	if (stat(file, &st) == -1)
		zone = posix;
	cr_assert_eq(setenv("TZ", zone, 1), 0);
	tzset();
}

static void
expect_time(time_t sec, long nsec, const char *want)
{
	struct timespec ts = { sec, nsec };
	char buf[TIMEFMT_ISO8601_LEN];
	int n;

	memset(buf, 'x', sizeof(buf));
	n = timefmt_iso8601(buf, &ts);
	cr_expect_str_eq(buf, want, "%lld.%09ld: \"%s\", want \"%s\"",
	    (long long)sec, nsec, buf, want);
	cr_expect_eq(n, (int)strlen(want), "returned %d, want %zu", n,
	    strlen(want));
}

Test(timefmt, utc)
{
	set_tz("UTC", "UTC0");
	expect_time(T0, 123456789, "2023-11-14T22:13:20.123+00:00");
	expect_time(0, 0, "1970-01-01T00:00:00.000+00:00");
	expect_time(951782400, 5000000, "2000-02-29T00:00:00.005+00:00");
}

Test(timefmt, milliseconds_truncated)
{
	set_tz("UTC", "UTC0");
	expect_time(T0, 0, "2023-11-14T22:13:20.000+00:00");
	expect_time(T0, 999999, "2023-11-14T22:13:20.000+00:00");
	expect_time(T0, 1000000, "2023-11-14T22:13:20.001+00:00");
	expect_time(T0, 10000000, "2023-11-14T22:13:20.010+00:00");
	/* Never rounded up into the next second. */
	expect_time(T0, 999999999, "2023-11-14T22:13:20.999+00:00");
}

Test(timefmt, positive_offset)
{
	set_tz("Europe/Moscow", "MSK-3");
	expect_time(T0, 123000000, "2023-11-15T01:13:20.123+03:00");
}

Test(timefmt, negative_offset)
{
	set_tz("America/New_York", "EST5EDT,M3.2.0,M11.1.0");
	expect_time(T0, 0, "2023-11-14T17:13:20.000-05:00");
	/* Summer time: 2023-07-10T14:40:00Z. */
	expect_time(1689000000, 0, "2023-07-10T10:40:00.000-04:00");
}

Test(timefmt, half_hour_offsets)
{
	set_tz("Asia/Kolkata", "IST-5:30");
	expect_time(T0, 0, "2023-11-15T03:43:20.000+05:30");
	set_tz("America/St_Johns", "NST3:30NDT,M3.2.0,M11.1.0");
	expect_time(T0, 0, "2023-11-14T18:43:20.000-03:30");
}

/* The text of a second is kept; other seconds and zones are not served it. */
Test(timefmt, cached_second_follows_time_and_zone)
{
	set_tz("UTC", "UTC0");
	expect_time(T0, 1000000, "2023-11-14T22:13:20.001+00:00");
	expect_time(T0, 2000000, "2023-11-14T22:13:20.002+00:00");
	expect_time(T0 + 1, 0, "2023-11-14T22:13:21.000+00:00");
	expect_time(T0 - 86400, 0, "2023-11-13T22:13:20.000+00:00");
	expect_time(T0, 0, "2023-11-14T22:13:20.000+00:00");
	set_tz("Europe/Moscow", "MSK-3");
	expect_time(T0, 0, "2023-11-15T01:13:20.000+03:00");
	/* The last second before New York's clocks went back, and the
	 * first after: the offset changes at the second's boundary. */
	set_tz("America/New_York", "EST5EDT,M3.2.0,M11.1.0");
	expect_time(1699163999, 0, "2023-11-05T01:59:59.000-04:00");
	expect_time(1699164000, 0, "2023-11-05T01:00:00.000-05:00");
	expect_time(1699163999, 999000000, "2023-11-05T01:59:59.999-04:00");
}

/* A time localtime() cannot represent still gives a bounded number. */
Test(timefmt, unrepresentable_time)
{
	struct timespec ts = { (time_t)INT64_MAX, 42000000 };
	char buf[TIMEFMT_ISO8601_LEN];
	int n;

	set_tz("UTC", "UTC0");
	n = timefmt_iso8601(buf, &ts);
	cr_expect_str_eq(buf, "9223372036854775807.042");
	cr_expect_eq(n, 23);
}

Test(timefmt, now)
{
	char buf[TIMEFMT_ISO8601_LEN], want[TIMEFMT_ISO8601_LEN];
	struct timespec before, after;
	regex_t re;
	int n;

	set_tz("Europe/Moscow", "MSK-3");
	cr_assert_eq(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:"
	    "[0-9]{2}:[0-9]{2}\\.[0-9]{3}\\+03:00$", REG_EXTENDED | REG_NOSUB),
	    0);
	/* Retry if the second turns over between the reads. */
	do {
		clock_gettime(CLOCK_REALTIME, &before);
		n = timefmt_now(buf);
		clock_gettime(CLOCK_REALTIME, &after);
	} while (before.tv_sec != after.tv_sec);
	cr_expect_eq(regexec(&re, buf, 0, NULL, 0), 0, "\"%s\"", buf);
	cr_expect_eq(n, (int)strlen(buf));
	before.tv_nsec = 0;
	timefmt_iso8601(want, &before);
	/* Same second: the same text up to the milliseconds. */
	cr_expect_eq(strncmp(buf, want, 20), 0, "now \"%s\", clock \"%s\"",
	    buf, want);
	regfree(&re);
}

Test(timefmt, mono_ms_monotonic)
{
	struct timespec ts;
	uint64_t lo, t, prev, hi;
	int i;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	lo = (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	prev = timefmt_mono_ms();
	cr_expect_geq(prev, lo);
	for (i = 0; i < 200000; i++) {
		t = timefmt_mono_ms();
		cr_assert_geq(t, prev, "went back from %llu to %llu",
		    (unsigned long long)prev, (unsigned long long)t);
		prev = t;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	hi = (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	cr_expect_leq(prev, hi);
}

/* Milliseconds, not seconds or microseconds: a 50 ms wait shows as ~50. */
Test(timefmt, mono_ms_unit)
{
	struct timespec req = { 0, 50000000 };
	uint64_t a, b;

	a = timefmt_mono_ms();
	while (nanosleep(&req, &req) == -1)
		;
	b = timefmt_mono_ms();
	cr_expect(b - a >= 50 && b - a < 1000, "50 ms measured as %llu",
	    (unsigned long long)(b - a));
}
