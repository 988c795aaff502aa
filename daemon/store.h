/*
 * store.h -- the identity and account store: one SQLite database shared by
 * every worker (WAL mode, a busy timeout, one transaction per change).
 *
 * store_init() runs in the master at start-up: it creates the database and
 * its schema (versioned with PRAGMA user_version, so a later release can
 * migrate) and proves it can write. Each worker then opens its own
 * connection with store_get() on first use (a SQLite connection must not
 * cross fork()). Functions return 0 or 1 as described, STORE_EXISTS for a
 * duplicate, or -1 with the reason in store_error(). While another
 * connection writes, a call waits up to 5 s, calling the wait hook (if set)
 * every 20 ms at most: it returns 0 to go on waiting, -1 to give up.
 */
#ifndef SOCKBIND_STORE_H
#define SOCKBIND_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION	1
#define STORE_EXISTS		2
#define STORE_NAME_MAX		(64 * 4 + 1)	/* 64 characters, the NUL */
#define STORE_HASH_MAX		256	/* an argon2id string, with the NUL */

struct store;

int		 store_init(const char *path, char *err, size_t errlen);
void		 store_set_wait_hook(int (*hook)(void));
struct store	*store_get(const char *path);
const char	*store_error(void);
void		 store_close(void);

/* ident: 1 and the name when addr is known, 0 when not. */
int	store_ident_get(struct store *, const char *addr,
	    char name[STORE_NAME_MAX]);
int	store_ident_set(struct store *, const char *addr, const char *name);

/* auth: users, session tokens (by their SHA-256), failed attempts. */
int	store_user_add(struct store *, const char *user, const char *hash);
int	store_user_hash(struct store *, const char *user,
	    char hash[STORE_HASH_MAX]);
int	store_token_add(struct store *, const unsigned char hash[32],
	    const char *user, int64_t expires);
int	store_token_user(struct store *, const unsigned char hash[32],
	    int64_t now, char user[STORE_NAME_MAX]);
int	store_token_revoke(struct store *, const unsigned char hash[32]);
/*
 * A login attempt is counted as a failure before its password is checked,
 * so parallel guesses cannot all pass the lockout check. Its keys: akey the
 * address, ukey the user name, pkey that name from that address. reserve()
 * returns 1 (nothing counted) when the address already has max failures
 * after `since`, or when the name has and this address is among those that
 * failed for it (pkey): strangers guessing a name cannot lock out its user,
 * who logs in from an address that never failed. Else it counts one for
 * each key and returns 0 with the attempt's first and last rows in rows
 * (the last is the address's). release() undoes it after a good password:
 * the name's failures (ukey, pkey) are cleared, the address keeps its
 * others. cancel() takes back the attempt alone (it was never tried). With
 * ukey and pkey NULL only akey is counted (registrations per address). Rows
 * of these keys from before `since` are deleted on the way. The rows of one
 * attempt are consecutive: they are inserted in one write transaction.
 */
int	store_failure_reserve(struct store *, const char *ukey,
	    const char *pkey, const char *akey, int64_t since, int max,
	    int64_t now, int64_t rows[2]);
int	store_failure_release(struct store *, const char *ukey,
	    const char *pkey, const int64_t rows[2]);
int	store_failure_cancel(struct store *, const int64_t rows[2]);

#endif
