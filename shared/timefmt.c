/* timefmt.c -- time stamps for logs and deadlines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/timefmt.h"

#define TIMEFMT_SECOND_LEN	19	/* "2026-11-22T14:03:07" */

/*
 * The broken-down local time of the last second formatted, with its offset:
 * a busy process stamps thousands of records a second, and localtime_r()
 * with the printf family was most of a record's cost. An offset changes
 * only at a second's boundary, so a second's text is exact for all of it;
 * tzset() with another TZ shows in tzname and timezone, which are part of
 * the key.
 */
static struct {
	time_t	 sec;
	char	*zone[2];
	long	 timezone;
	int	 valid;
	char	 second[TIMEFMT_SECOND_LEN + 1];
	char	 offset[8];		/* "+03:00" */
} cache;

/* Fill the cache for sec: 0, or -1 when its text has an unusual length
 * (localtime_r() failed, or a year beyond 9999). */
static int
timefmt_fill(time_t sec)
{
	char text[80];
	struct tm tm;
	long off;
	char sign = '+';

	cache.valid = 0;
	if (localtime_r(&sec, &tm) == NULL)
		return -1;
	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	if (snprintf(text, sizeof(text), "%04d-%02d-%02dT%02d:%02d:%02d",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec) != TIMEFMT_SECOND_LEN)
		return -1;
	memcpy(cache.second, text, sizeof(cache.second));
	snprintf(cache.offset, sizeof(cache.offset), "%c%02ld:%02ld", sign,
	    off / 60 % 100, off % 60);
	cache.sec = sec;
	cache.zone[0] = tzname[0];
	cache.zone[1] = tzname[1];
	cache.timezone = timezone;
	cache.valid = 1;
	return 0;
}

int
timefmt_iso8601(char *buf, const struct timespec *ts)
{
	long ms = ts->tv_nsec / 1000000;
	size_t n;

	if ((!cache.valid || cache.sec != ts->tv_sec ||
	    cache.zone[0] != tzname[0] || cache.zone[1] != tzname[1] ||
	    cache.timezone != timezone) && timefmt_fill(ts->tv_sec) == -1)
		return snprintf(buf, TIMEFMT_ISO8601_LEN, "%lld.%03ld",
		    (long long)ts->tv_sec, ms);
	memcpy(buf, cache.second, TIMEFMT_SECOND_LEN);
	buf[TIMEFMT_SECOND_LEN] = '.';
	buf[TIMEFMT_SECOND_LEN + 1] = '0' + ms / 100;
	buf[TIMEFMT_SECOND_LEN + 2] = '0' + ms / 10 % 10;
	buf[TIMEFMT_SECOND_LEN + 3] = '0' + ms % 10;
	n = strlen(cache.offset);
	memcpy(buf + TIMEFMT_SECOND_LEN + 4, cache.offset, n + 1);
	return (int)(TIMEFMT_SECOND_LEN + 4 + n);
}

int
timefmt_now(char *buf)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return timefmt_iso8601(buf, &ts);
}

uint64_t
timefmt_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
