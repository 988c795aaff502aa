/*
 * store.h -- the identity and account store: ident names, accounts, session
 * tokens, failure counts and registration limits, in one of two backends
 * behind the same functions ([store] backend):
 *  - sqlite (the default): one file shared by every worker of this host
 *    (WAL mode, a busy timeout, one transaction per change);
 *  - postgresql: one database ([store] url) that several hosts share.
 *
 * store_init() runs once at start-up, before the pool: it creates the
 * store or migrates its schema (a version table, store_version; SQLite's
 * user_version follows it, so an older sockbind refuses a newer store) and
 * proves it can write; then it lets its connection go, so that no
 * connection crosses fork(). Each worker opens its own with store_get() on
 * first use; a connection that was lost (a restarted database server) is
 * opened again by the next store_get(), which returns NULL while it cannot.
 * Functions return 0 or 1 as described, STORE_EXISTS for a duplicate, or -1
 * with the reason in store_error() (never a password: a URL's is shown as
 * [secret]). A call waits at most 5 s (a writer holding SQLite's lock, a
 * slow or locked database, a connection being made), calling the wait hook
 * (if set) every 20 ms at most: it returns 0 to go on waiting, -1 to give up.
 */
#ifndef SOCKBIND_STORE_H
#define SOCKBIND_STORE_H

#include <stddef.h>
#include <stdint.h>

#define STORE_SCHEMA_VERSION	2
#define STORE_EXISTS		2
#define STORE_NAME_MAX		(64 * 4 + 1)	/* 64 characters, the NUL */
#define STORE_HASH_MAX		256	/* an argon2id string, with the NUL */
#define STORE_WAIT_MS		5000	/* the longest a call waits */

struct config;
struct store;

int		 store_init(const struct config *, char *err, size_t errlen);
void		 store_set_wait_hook(int (*hook)(void));
struct store	*store_get(const struct config *);
const char	*store_error(void);
void		 store_close(void);
/* [store] keys: backend's and url's checks (conf_key.check), and the
 * one-line description of a store for messages (its URL redacted). */
int		 store_check_backend(const char *value, char *why,
		    size_t whylen);
int		 store_check_url(const char *value, char *why, size_t whylen);
const char	*store_describe(const struct config *, char *buf,
		    size_t len);

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
 * attempt are consecutive: both backends serialize reserve() across every
 * worker and host sharing the store.
 */
int	store_failure_reserve(struct store *, const char *ukey,
	    const char *pkey, const char *akey, int64_t since, int max,
	    int64_t now, int64_t rows[2]);
int	store_failure_release(struct store *, const char *ukey,
	    const char *pkey, const int64_t rows[2]);
int	store_failure_cancel(struct store *, const int64_t rows[2]);

#endif
