/* hashgate.c -- a bound on the password hashes running at once (hashgate.h). */
#include <sys/mman.h>

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/hashgate.h"

#define HASHGATE_SLICE_MS	20	/* a wait on one slot, then look again */

struct hashgate {
	pthread_mutex_t	slot[HASHGATE_SLOTS];
};

static struct hashgate *gate;

int
hashgate_init(char *err, size_t errlen)
{
	pthread_mutexattr_t attr;
	int i;

	if (gate != NULL)
		return 0;
	gate = mmap(NULL, sizeof(*gate), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (gate == MAP_FAILED) {
		snprintf(err, errlen, "hash gate: %s", strerror(errno));
		gate = NULL;
		return -1;
	}
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	for (i = 0; i < HASHGATE_SLOTS; i++)
		pthread_mutex_init(&gate->slot[i], &attr);
	pthread_mutexattr_destroy(&attr);
	return 0;
}

int
hashgate_limit(int configured)
{
	long n = configured;

	if (n <= 0 && (n = sysconf(_SC_NPROCESSORS_ONLN)) < 1)
		n = 1;
	return n > HASHGATE_SLOTS ? HASHGATE_SLOTS : (int)n;
}

/* 0 when the slot is ours: free, or its holder died holding it. */
static int
hashgate_taken(int r, int slot)
{
	if (r == EOWNERDEAD)
		r = pthread_mutex_consistent(&gate->slot[slot]);
	return r;
}

static void
hashgate_deadline(struct timespec *ts, int ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

static int
hashgate_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec ||
	    (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Try every slot; when all are held, wait for one of them (in turn) for a
 * slice and try them all again, until the deadline. The waits are on the
 * mutexes themselves: a slot that frees wakes its waiter at once.
 */
int
hashgate_enter(int max, int wait_ms)
{
	struct timespec end, slice;
	int i, turn, r;

	if (gate == NULL)
		return -1;
	max = hashgate_limit(max);
	hashgate_deadline(&end, wait_ms);
	for (turn = getpid() % max;; turn = (turn + 1) % max) {
		for (i = 0; i < max; i++)
			if (hashgate_taken(pthread_mutex_trylock(&gate->slot[i]),
			    i) == 0)
				return i;
		hashgate_deadline(&slice, HASHGATE_SLICE_MS);
		if (!hashgate_before(&slice, &end))
			slice = end;
		r = pthread_mutex_clocklock(&gate->slot[turn], CLOCK_MONOTONIC,
		    &slice);
		if (hashgate_taken(r, turn) == 0)
			return turn;
		if (r == ETIMEDOUT && !hashgate_before(&slice, &end))
			return -1;
		if (r != ETIMEDOUT)
			return -1;	/* not recoverable (ENOTRECOVERABLE) */
	}
}

void
hashgate_leave(int slot)
{
	if (gate != NULL && slot >= 0 && slot < HASHGATE_SLOTS)
		pthread_mutex_unlock(&gate->slot[slot]);
}
