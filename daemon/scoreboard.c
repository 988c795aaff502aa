/* scoreboard.c -- the workers' states, in memory shared with the master. */
#include <sys/mman.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "daemon/scoreboard.h"
#include "shared/timefmt.h"

#define SB_READ_TRIES	64	/* a writer holds a slot for a few stores */

static struct sb_header	*header;
static pid_t		*owners;	/* master-written, one per slot */
static uint64_t		*cuts;		/* master-written, one per slot */
static struct sb_slot	*slots;
static size_t		 nslots;
static struct sb_slot	*own;		/* a worker's own slot */

static size_t
sb_align(size_t n)
{
	return (n + 63) / 64 * 64;
}

int
scoreboard_init(size_t n, char *err, size_t errlen)
{
	size_t hsize = sb_align(sizeof(*header));
	size_t osize = sb_align(n * sizeof(*owners));
	size_t csize = sb_align(n * sizeof(*cuts));
	char *base;

	/* Pages of slots never used are never touched, so cost nothing. */
	base = mmap(NULL, hsize + osize + csize + n * sizeof(*slots),
	    PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		snprintf(err, errlen, "scoreboard: %s", strerror(errno));
		return -1;
	}
	header = (struct sb_header *)base;
	owners = (pid_t *)(base + hsize);
	cuts = (uint64_t *)(base + hsize + osize);
	slots = (struct sb_slot *)(base + hsize + osize + csize);
	nslots = n;
	return 0;
}

size_t
scoreboard_size(void)
{
	return nslots;
}

const char *
scoreboard_state_name(int state)
{
	static const char *names[] = { "starting", "idle", "busy", "stopping" };

	return state >= 0 && state <= SB_STOPPING ? names[state] : "?";
}

const char *
scoreboard_counter_name(enum sb_counter c)
{
	static const char *names[SB_COUNTERS] = { "accepted",
	    "refused_per_source", "refused_proxy", "cut_stress", "ended_limit",
	    "ended_send", "bytes_in", "bytes_out", "store_errors", "ECHO",
	    "MIRROR", "STATUS", "UPLOAD", "IDENTIFY", "REGISTER", "LOGIN",
	    "RESUME", "LOGOUT", "WHOAMI", "HELP", "QUIT", "unknown" };

	return c < SB_COUNTERS ? names[c] : "?";
}

const char *
scoreboard_master_counter_name(enum sb_master_counter c)
{
	static const char *names[SB_MASTER_COUNTERS] = { "spawned",
	    "spawned_on_demand", "exit_clean", "exit_crashed", "exit_killed",
	    "exit_boot", "stress_episodes" };

	return c < SB_MASTER_COUNTERS ? names[c] : "?";
}

/* The writer's half of the slot's seqlock. */
static void
sb_write_begin(struct sb_slot *s)
{
	__atomic_add_fetch(&s->seq, 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
}

static void
sb_write_end(struct sb_slot *s)
{
	__atomic_add_fetch(&s->seq, 1, __ATOMIC_RELEASE);
}

/* Copy what a reader needs of one slot, whole or not at all: 0, or -1
 * when the writer kept changing it. */
static int
sb_copy(const struct sb_slot *s, struct sb_worker *w)
{
	uint32_t before, after;
	int tries, i;

	for (tries = 0; tries < SB_READ_TRIES; tries++) {
		before = __atomic_load_n(&s->seq, __ATOMIC_ACQUIRE);
		if (before & 1)
			continue;
		w->pid = __atomic_load_n(&s->pid, __ATOMIC_RELAXED);
		w->state = __atomic_load_n(&s->state, __ATOMIC_RELAXED);
		w->requests = __atomic_load_n(&s->requests, __ATOMIC_RELAXED);
		w->beat_ms = __atomic_load_n(&s->beat_ms, __ATOMIC_RELAXED);
		w->started_ms = __atomic_load_n(&s->started_ms,
		    __ATOMIC_RELAXED);
		w->busy_since_ms = __atomic_load_n(&s->busy_since_ms,
		    __ATOMIC_RELAXED);
		w->quiet_since_ms = __atomic_load_n(&s->quiet_since_ms,
		    __ATOMIC_RELAXED);
		for (i = 0; i < SB_COUNTERS; i++)
			w->count[i] = __atomic_load_n(&s->count[i],
			    __ATOMIC_RELAXED);
		memcpy(w->client, s->client, sizeof(w->client));
		memcpy(w->host, s->host, sizeof(w->host));
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		after = __atomic_load_n(&s->seq, __ATOMIC_RELAXED);
		if (before == after) {
			w->client[sizeof(w->client) - 1] = '\0';
			w->host[sizeof(w->host) - 1] = '\0';
			return 0;
		}
	}
	return -1;
}

int
scoreboard_read(size_t i, struct sb_worker *w)
{
	pid_t owner;

	memset(w, 0, sizeof(*w));
	w->slot = i;
	if ((owner = scoreboard_owner(i)) == 0)
		return -1;
	if (sb_copy(&slots[i], w) == -1)
		w->client[0] = w->host[0] = '\0';
	/* Not claimed yet: what is there is the last occupant's. */
	if (w->pid != owner) {
		w->pid = owner;
		w->state = SB_STARTING;
		w->requests = 0;
		w->client[0] = w->host[0] = '\0';
		w->quiet_since_ms = 0;
	}
	/* Stopping (retired by a reload, or the server stopping), it may
	 * still finish a client: its host stays set until then. */
	w->serving = w->state == SB_BUSY ||
	    (w->state == SB_STOPPING && w->host[0] != '\0');
	return 0;
}

size_t
scoreboard_snapshot(struct sb_worker *out, size_t max,
    uint64_t totals[SB_COUNTERS])
{
	size_t i, n = 0, used = __atomic_load_n(&header->used, __ATOMIC_ACQUIRE);
	struct sb_worker w;
	int c;

	if (totals != NULL)
		memset(totals, 0, SB_COUNTERS * sizeof(*totals));
	for (i = 0; i < used && i < nslots; i++) {
		if (totals != NULL) {
			/* Past occupants' counts stay in free slots too. */
			for (c = 0; c < SB_COUNTERS; c++)
				totals[c] += __atomic_load_n(
				    &slots[i].count[c], __ATOMIC_RELAXED);
		}
		if (n < max && scoreboard_read(i, &w) == 0)
			out[n++] = w;
	}
	return n;
}

int
scoreboard_count_host(const char *host)
{
	size_t i, used = __atomic_load_n(&header->used, __ATOMIC_ACQUIRE);
	struct sb_worker w;
	int n = 0;

	for (i = 0; i < used && i < nslots; i++)
		if (scoreboard_read(i, &w) == 0 && w.serving)
			n += strcmp(w.host, host) == 0;
	return n;
}

const struct sb_header *
scoreboard_header(void)
{
	return header;
}

uint64_t
scoreboard_cut_request(size_t i)
{
	return i < nslots ? __atomic_load_n(&cuts[i], __ATOMIC_ACQUIRE) : 0;
}

void
scoreboard_claim(size_t i, pid_t pid, const char *service)
{
	uint64_t now = timefmt_mono_ms();

	own = &slots[i];
	sb_write_begin(own);
	__atomic_store_n(&own->state, SB_STARTING, __ATOMIC_RELAXED);
	__atomic_store_n(&own->requests, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&own->started_ms, now, __ATOMIC_RELAXED);
	__atomic_store_n(&own->beat_ms, now, __ATOMIC_RELAXED);
	__atomic_store_n(&own->quiet_since_ms, 0, __ATOMIC_RELAXED);
	own->client[0] = own->host[0] = '\0';
	strlcpy(own->service, service, sizeof(own->service));
	/* The master trusts the slot once it sees our pid. */
	__atomic_store_n(&own->pid, pid, __ATOMIC_RELAXED);
	sb_write_end(own);
}

void
scoreboard_set(enum sb_state state, const char *client, const char *host)
{
	uint64_t now = timefmt_mono_ms();

	sb_write_begin(own);
	if (client != NULL)
		strlcpy(own->client, client, sizeof(own->client));
	if (host != NULL)
		strlcpy(own->host, host, sizeof(own->host));
	if (state == SB_BUSY) {
		__atomic_store_n(&own->busy_since_ms, now, __ATOMIC_RELAXED);
		__atomic_store_n(&own->quiet_since_ms, now, __ATOMIC_RELAXED);
	} else if (state != SB_STOPPING)
		__atomic_store_n(&own->quiet_since_ms, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&own->beat_ms, now, __ATOMIC_RELAXED);
	__atomic_store_n(&own->state, state, __ATOMIC_RELAXED);
	sb_write_end(own);
}

void
scoreboard_beat(void)
{
	if (own != NULL)
		__atomic_store_n(&own->beat_ms, timefmt_mono_ms(),
		    __ATOMIC_RELAXED);
}

void
scoreboard_quiet(uint64_t since_ms)
{
	if (own != NULL)
		__atomic_store_n(&own->quiet_since_ms, since_ms,
		    __ATOMIC_RELAXED);
}

void
scoreboard_served(void)
{
	__atomic_add_fetch(&own->requests, 1, __ATOMIC_RELAXED);
}

void
scoreboard_add(enum sb_counter c, uint64_t n)
{
	if (own != NULL && c < SB_COUNTERS)
		__atomic_add_fetch(&own->count[c], n, __ATOMIC_RELAXED);
}

uint64_t
scoreboard_own(enum sb_counter c)
{
	return own != NULL && c < SB_COUNTERS ?
	    __atomic_load_n(&own->count[c], __ATOMIC_RELAXED) : 0;
}

struct sb_header *
scoreboard_header_rw(void)
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

void
scoreboard_cut(size_t i, uint64_t connection)
{
	if (i < nslots)
		__atomic_store_n(&cuts[i], connection, __ATOMIC_RELEASE);
}

void
scoreboard_master_add(enum sb_master_counter c)
{
	if (c < SB_MASTER_COUNTERS)
		__atomic_add_fetch(&header->count[c], 1, __ATOMIC_RELAXED);
}
