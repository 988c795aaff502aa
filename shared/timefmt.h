/*
 * timefmt.h -- time stamps for logs and deadlines.
 *
 * timefmt_iso8601() formats a wall-clock time as ISO-8601 local time with
 * milliseconds and UTC offset ("2026-11-22T14:03:07.123+03:00") into buf,
 * which needs TIMEFMT_ISO8601_LEN bytes; it returns the length written.
 * timefmt_mono_ms() is CLOCK_MONOTONIC in milliseconds, for deadlines.
 */
#ifndef SOCKBIN_TIMEFMT_H
#define SOCKBIN_TIMEFMT_H

#include <stdint.h>
#include <time.h>

#define TIMEFMT_ISO8601_LEN	40

int		timefmt_iso8601(char *buf, const struct timespec *ts);
int		timefmt_now(char *buf);
uint64_t	timefmt_mono_ms(void);

#endif
