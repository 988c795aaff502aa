/*
 * refusals.h -- refused connections, counted instead of logged one by one.
 *
 * A client that re-opens refused connections in a loop must not fill the
 * log. The first refusal of an address in a window of REFUSALS_WINDOW_MS is
 * logged in full (refusals_note() returns 1); the next ones are only counted
 * (0), and said in one record with their count when the window has passed
 * (refusals_flush(), called on every wake-up; all = 1 says every count now,
 * before the process exits). A small table per process: an address that
 * does not fit takes the place of the oldest, whose count is said first.
 */
#ifndef SOCKBIND_REFUSALS_H
#define SOCKBIND_REFUSALS_H

#include <stdint.h>

#define REFUSALS_WINDOW_MS	10000
#define REFUSALS_HOSTS		16

typedef void	(*refusals_emit)(const char *host, const char *reason,
		    unsigned count, uint64_t window_ms);

int	refusals_note(const char *host, const char *reason, uint64_t now_ms,
	    refusals_emit);
void	refusals_flush(uint64_t now_ms, int all, refusals_emit);

#endif
