/* refusals.c -- refused connections, counted instead of logged one by one. */
#include <string.h>

#include "daemon/refusals.h"
#include "shared/net.h"

struct refusal {
	char		host[NET_ADDRSTRLEN];	/* "": free */
	const char	*reason;
	uint64_t	since_ms;	/* the logged refusal */
	unsigned	count;		/* refused since, not logged */
};

static struct refusal	table[REFUSALS_HOSTS];

static void
refusals_say(struct refusal *r, uint64_t now_ms, refusals_emit emit)
{
	if (r->count > 0)
		emit(r->host, r->reason, r->count, now_ms - r->since_ms);
	r->count = 0;
}

int
refusals_note(const char *host, const char *reason, uint64_t now_ms,
    refusals_emit emit)
{
	struct refusal *r = NULL, *oldest = &table[0];
	size_t i;

	for (i = 0; i < REFUSALS_HOSTS && r == NULL; i++) {
		if (table[i].host[0] != '\0' &&
		    strcmp(table[i].host, host) == 0 &&
		    table[i].reason == reason)
			r = &table[i];
		else if (table[i].host[0] == '\0' ||
		    (oldest->host[0] != '\0' &&
		    table[i].since_ms < oldest->since_ms))
			oldest = &table[i];
	}
	if (r != NULL && now_ms - r->since_ms < REFUSALS_WINDOW_MS) {
		r->count++;
		return 0;
	}
	if (r == NULL) {
		r = oldest;
		if (r->host[0] != '\0')
			refusals_say(r, now_ms, emit);
		strlcpy(r->host, host, sizeof(r->host));
		r->reason = reason;
	} else
		refusals_say(r, now_ms, emit);
	r->since_ms = now_ms;
	return 1;
}

void
refusals_flush(uint64_t now_ms, int all, refusals_emit emit)
{
	size_t i;

	for (i = 0; i < REFUSALS_HOSTS; i++)
		if (table[i].count > 0 && (all ||
		    now_ms - table[i].since_ms >= REFUSALS_WINDOW_MS))
			refusals_say(&table[i], now_ms, emit);
}
