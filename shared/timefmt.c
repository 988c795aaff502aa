/* timefmt.c -- time stamps for logs and deadlines. */
#include <stdio.h>
#include <stdlib.h>

#include "shared/timefmt.h"

int
timefmt_iso8601(char *buf, const struct timespec *ts)
{
	struct tm tm;
	long off;
	char sign = '+';

	if (localtime_r(&ts->tv_sec, &tm) == NULL)
		return snprintf(buf, TIMEFMT_ISO8601_LEN, "%lld.%03ld",
		    (long long)ts->tv_sec, ts->tv_nsec / 1000000);
	off = tm.tm_gmtoff / 60;
	if (off < 0) {
		sign = '-';
		off = -off;
	}
	return snprintf(buf, TIMEFMT_ISO8601_LEN,
	    "%04d-%02d-%02dT%02d:%02d:%02d.%03ld%c%02ld:%02ld",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, ts->tv_nsec / 1000000, sign, off / 60,
	    off % 60);
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
