/*
 * hashgate.h -- a bound on the password hashes running at once, server-wide.
 *
 * Each argon2id hash or verification takes [auth] pwhash_mem_kib of memory
 * (64 MiB at least) and a CPU for a while: without a bound, a few dozen
 * connections sending LOGIN could pin gigabytes. The gate is a counting
 * semaphore in shared memory, made by hashgate_init() in the master before
 * the workers are forked: HASHGATE_SLOTS process-shared robust mutexes, one
 * per hash that may run. A holder that dies (a SIGKILLed worker) cannot
 * keep its slot: the next taker recovers it (EOWNERDEAD).
 *
 * hashgate_enter() takes one of the first max slots, waiting at most wait_ms
 * for one to free: the slot's index, or -1 when none freed in time (or the
 * gate was never made). hashgate_leave() frees it. hashgate_limit() turns
 * the configured [auth] max_hashing (0: the CPUs online) into a count.
 */
#ifndef SOCKBIND_HASHGATE_H
#define SOCKBIND_HASHGATE_H

#include <stddef.h>

#define HASHGATE_SLOTS	64

int	hashgate_init(char *err, size_t errlen);
int	hashgate_limit(int configured);
int	hashgate_enter(int max, int wait_ms);
void	hashgate_leave(int slot);

#endif
