/* scoreboard.c -- the workers' states, in memory shared with the master. */
#include <sys/mman.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/scoreboard.h"
#include "shared/timefmt.h"

static struct sb_header	*header;
static pid_t		*owners;	/* master-written, one per slot */
static struct sb_slot	*slots;
static size_t		 nslots;

int
scoreboard_init(size_t n, char *err, size_t errlen)
{
	size_t hsize = sizeof(*header), osize = n * sizeof(*owners);
	char *base;

	/* Keep the slots cache-line aligned after the header and owners. */
	osize = (hsize + osize + 63) / 64 * 64 - hsize;
	/* Pages of slots never used are never touched, so cost nothing. */
	base = mmap(NULL, hsize + osize + n * sizeof(*slots),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		snprintf(err, errlen, "scoreboard: %s", strerror(errno));
		return -1;
	}
	header = (struct sb_header *)base;
	owners = (pid_t *)(base + hsize);
	slots = (struct sb_slot *)(base + hsize + osize);
	nslots = n;
	return 0;
}

struct sb_header *
scoreboard_header(void)
{
	return header;
}

void
scoreboard_set_owner(size_t i, pid_t pid)
{
	if (i >= nslots)
		return;
	__atomic_store_n(&owners[i], pid, __ATOMIC_RELEASE);
	if (i + 1 > __atomic_load_n(&header->used, __ATOMIC_RELAXED))
		__atomic_store_n(&header->used, i + 1, __ATOMIC_RELEASE);
}

pid_t
scoreboard_owner(size_t i)
{
	return i < nslots ? __atomic_load_n(&owners[i], __ATOMIC_ACQUIRE) : 0;
}

size_t
scoreboard_size(void)
{
	return nslots;
}

struct sb_slot *
scoreboard_slot(size_t i)
{
	return i < nslots ? &slots[i] : NULL;
}

const char *
scoreboard_state_name(int state)
{
	static const char *names[] = { "starting", "idle", "busy", "stopping" };

	return state >= 0 && state <= SB_STOPPING ? names[state] : "?";
}

void
scoreboard_claim(struct sb_slot *s, pid_t pid, const char *service)
{
	uint64_t now = timefmt_mono_ms();

	__atomic_store_n(&s->state, SB_STARTING, __ATOMIC_RELAXED);
	__atomic_store_n(&s->requests, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&s->started_ms, now, __ATOMIC_RELAXED);
	__atomic_store_n(&s->beat_ms, now, __ATOMIC_RELAXED);
	s->client[0] = '\0';
	strlcpy(s->service, service, sizeof(s->service));
	/* Last: the master trusts the slot once it sees our pid. */
	__atomic_store_n(&s->pid, pid, __ATOMIC_RELEASE);
}

void
scoreboard_set(struct sb_slot *s, enum sb_state state, const char *client,
    const char *host)
{
	uint64_t now = timefmt_mono_ms();

	if (client != NULL)
		strlcpy(s->client, client, sizeof(s->client));
	if (host != NULL)
		strlcpy(s->host, host, sizeof(s->host));
	if (state == SB_BUSY)
		__atomic_store_n(&s->busy_since_ms, now, __ATOMIC_RELAXED);
	__atomic_store_n(&s->beat_ms, now, __ATOMIC_RELAXED);
	__atomic_store_n(&s->state, state, __ATOMIC_RELEASE);
}

void
scoreboard_beat(struct sb_slot *s)
{
	__atomic_store_n(&s->beat_ms, timefmt_mono_ms(), __ATOMIC_RELAXED);
}

void
scoreboard_served(struct sb_slot *s)
{
	__atomic_add_fetch(&s->requests, 1, __ATOMIC_RELAXED);
}

int
scoreboard_count_host(const char *host)
{
	size_t i, used = __atomic_load_n(&header->used, __ATOMIC_ACQUIRE);
	int n = 0;
	pid_t pid;

	for (i = 0; i < used && i < nslots; i++) {
		if ((pid = scoreboard_owner(i)) == 0 ||
		    !scoreboard_serving(&slots[i],
		    scoreboard_state(&slots[i], pid)))
			continue;
		n += strcmp(slots[i].host, host) == 0;
	}
	return n;
}

int
scoreboard_serving(const struct sb_slot *s, int state)
{
	/* Stopping (retired by a reload, or the server stopping), it may
	 * still finish a client: its host stays set until then. */
	return state == SB_BUSY || (state == SB_STOPPING && s->host[0] != '\0');
}

int
scoreboard_state(const struct sb_slot *s, pid_t pid)
{
	if (__atomic_load_n(&s->pid, __ATOMIC_ACQUIRE) != pid)
		return SB_STARTING;
	return __atomic_load_n(&s->state, __ATOMIC_ACQUIRE);
}

uint64_t
scoreboard_beat_ms(const struct sb_slot *s, pid_t pid)
{
	if (__atomic_load_n(&s->pid, __ATOMIC_ACQUIRE) != pid)
		return 0;
	return __atomic_load_n(&s->beat_ms, __ATOMIC_RELAXED);
}
