/*
 * auth.c -- accounts: register, log in, resume with a token, log out.
 *
 * Passwords are kept only as libsodium argon2id strings. A login returns a
 * session token: 32 random bytes shown to the client once, stored only as
 * their SHA-256, with an expiry ([auth] token_ttl). Failed logins cost the
 * client [auth] failure_delay_ms; [auth] max_failures within failure_window
 * seconds lock out the user name and the address until the window slides
 * past them; the name's lock holds only for the addresses that failed for
 * it, so that strangers cannot lock its user out. An attempt counts as a
 * failure from before its password is checked (store_failure_reserve()), so
 * parallel guesses meet the limit too. An unknown user name costs the same
 * argon2id verification as a wrong password, so timing tells nothing about
 * which names exist. At most [auth] max_hashing hashes run at once in the
 * whole server (hashgate.h): an attempt that finds none free within
 * AUTH_GATE_WAIT_MS is refused as busy, counted as nothing.
 *
 * A library: the session service's verbs and the line-mode auth service
 * (both in session.c) call it; it speaks no protocol. Secrets never reach
 * the log: its records name the user, never the password nor the token.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <sodium.h>

#include "daemon/config.h"
#include "daemon/conn.h"
#include "daemon/hashgate.h"
#include "daemon/services/auth.h"
#include "daemon/store.h"
#include "shared/log.h"

#define AUTH_USER_MAX		32
#define AUTH_PASSWORD_MIN	8
#define AUTH_PASSWORD_MAX	1024
#define AUTH_GATE_WAIT_MS	1000	/* for a hash to finish elsewhere */

/* A hash nobody's password matches, verified for unknown user names. */
static char	dummy_hash[crypto_pwhash_STRBYTES];

static unsigned long long
auth_ops(const struct config *cfg)
{
	return (unsigned long long)cfg->pwhash_ops;
}

static size_t
auth_mem(const struct config *cfg)
{
	return (size_t)cfg->pwhash_mem_kib * 1024;
}

static int
auth_check_user(const char *user)
{
	size_t i, len = strlen(user);

	if (len == 0 || len > AUTH_USER_MAX)
		return -1;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)user[i]) && user[i] != '.' &&
		    user[i] != '_' && user[i] != '-')
			return -1;
	return 0;
}

const char *
auth_result_str(enum auth_result r)
{
	switch (r) {
	case AUTH_OK:
		return "ok";
	case AUTH_BAD_NAME:
		return "bad_name";
	case AUTH_BAD_PASSWORD:
		return "bad_password";
	case AUTH_TAKEN:
		return "taken";
	case AUTH_DENIED:
		return "denied";
	case AUTH_LOCKED:
		return "locked";
	case AUTH_REG_LIMIT:
		return "limit";
	case AUTH_BAD_TOKEN:
		return "bad_token";
	case AUTH_BUSY:
		return "busy";
	case AUTH_STORE:
		break;
	}
	return "store_error";
}

/* Each REGISTER from an address counts, taken name or not: the limit
 * bounds both the argon2id work and the probing of names. */
static enum auth_result
auth_register_counted(struct conn *c, const struct config *cfg,
    struct store *st)
{
	char akey[NET_ADDRSTRLEN + 8];
	int64_t now = time(NULL), rows[2];
	int r;

	if (cfg->max_registrations == 0)
		return AUTH_OK;
	snprintf(akey, sizeof(akey), "reg:%s", c->host);
	r = store_failure_reserve(st, NULL, NULL, akey, now -
	    cfg->registration_window, cfg->max_registrations, now, rows);
	return r < 0 ? AUTH_STORE : r ? AUTH_REG_LIMIT : AUTH_OK;
}

enum auth_result
auth_register(struct conn *c, const struct config *cfg, const char *user,
    const char *password)
{
	char hash[crypto_pwhash_STRBYTES], stored[STORE_HASH_MAX];
	size_t plen = strlen(password);
	enum auth_result ar;
	struct store *st;
	int r, slot = -1;

	if (auth_check_user(user) == -1)
		return AUTH_BAD_NAME;
	if (plen < AUTH_PASSWORD_MIN || plen > AUTH_PASSWORD_MAX)
		return AUTH_BAD_PASSWORD;
	if ((st = store_get(cfg)) == NULL)
		return AUTH_STORE;
	/* A taken name is said at once: no hash for nothing. */
	if ((ar = auth_register_counted(c, cfg, st)) == AUTH_OK &&
	    (r = store_user_hash(st, user, stored)) != 0)
		ar = r < 0 ? AUTH_STORE : AUTH_TAKEN;
	if (ar == AUTH_OK && (slot = hashgate_enter(cfg->max_hashing,
	    AUTH_GATE_WAIT_MS)) == -1)
		ar = AUTH_BUSY;
	if (ar == AUTH_OK) {
		r = crypto_pwhash_str(hash, password, plen, auth_ops(cfg),
		    auth_mem(cfg));
		hashgate_leave(slot);
		if (r != 0)
			return AUTH_STORE;	/* out of memory */
		r = store_user_add(st, user, hash);
		ar = r == 0 ? AUTH_OK : r == STORE_EXISTS ? AUTH_TAKEN :
		    AUTH_STORE;
	}
	log_event("auth", "action=register user=%s client=%s result=%s", user,
	    c->peer, auth_result_str(ar));
	return ar;
}

static int
auth_dummy(const struct config *cfg)
{
	unsigned char pw[16];

	if (dummy_hash[0] != '\0')
		return 0;
	randombytes_buf(pw, sizeof(pw));
	return crypto_pwhash_str(dummy_hash, (const char *)pw, sizeof(pw),
	    auth_ops(cfg), auth_mem(cfg));
}

/* With a slot of the hash gate held: the password checked, the token made
 * (ukey, pkey and rows: the attempt, counted as a failure until then). */
static enum auth_result
auth_login_check(struct conn *c, const struct config *cfg, struct store *st,
    const char *user, const char *password, const char *ukey,
    const char *pkey, const int64_t rows[2], char token[AUTH_TOKEN_HEX],
    int64_t *expires)
{
	unsigned char raw[AUTH_TOKEN_BYTES], hash[crypto_hash_sha256_BYTES];
	char stored[STORE_HASH_MAX];
	int known;

	if (auth_dummy(cfg) != 0 ||
	    (known = store_user_hash(st, user, stored)) < 0)
		return AUTH_STORE;
	/* The same work whether the name exists or not. */
	if (crypto_pwhash_str_verify(known ? stored : dummy_hash, password,
	    strlen(password)) != 0 || !known) {
		log_event("auth", "action=login user=%s client=%s result=%s",
		    user, c->peer, known ? "wrong_password" : "unknown_user");
		return AUTH_DENIED;
	}
	randombytes_buf(raw, sizeof(raw));
	sodium_bin2hex(token, AUTH_TOKEN_HEX, raw, sizeof(raw));
	crypto_hash_sha256(hash, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	*expires = time(NULL) + cfg->token_ttl;
	if (store_token_add(st, hash, user, *expires) != 0) {
		sodium_memzero(token, AUTH_TOKEN_HEX);
		return AUTH_STORE;
	}
	(void)store_failure_release(st, ukey, pkey, rows);
	log_event("auth", "action=login user=%s client=%s result=ok", user,
	    c->peer);
	return AUTH_OK;
}

enum auth_result
auth_login(struct conn *c, const struct config *cfg, const char *user,
    const char *password, char token[AUTH_TOKEN_HEX], int64_t *expires)
{
	char ukey[AUTH_USER_MAX + 8], akey[NET_ADDRSTRLEN + 8];
	char pkey[AUTH_USER_MAX + NET_ADDRSTRLEN + 8];
	int64_t now = time(NULL), rows[2];
	enum auth_result ar;
	struct store *st;
	int r, slot;

	if (auth_check_user(user) == -1)
		return AUTH_BAD_NAME;
	if ((st = store_get(cfg)) == NULL)
		return AUTH_STORE;
	snprintf(ukey, sizeof(ukey), "user:%s", user);
	snprintf(pkey, sizeof(pkey), "user:%s@%s", user, c->host);
	snprintf(akey, sizeof(akey), "addr:%s", c->host);
	/* Counted as a failure until the password proves otherwise: parallel
	 * guesses cannot all slip past the lockout during the verification. */
	if ((r = store_failure_reserve(st, ukey, pkey, akey, now -
	    cfg->failure_window, cfg->max_failures, now, rows)) != 0) {
		log_event("auth", "action=login user=%s client=%s result=%s",
		    user, c->peer, r < 0 ? "store_error" : "locked");
		return r < 0 ? AUTH_STORE : AUTH_LOCKED;
	}
	/* A server too busy to check the password counts no failure. */
	if ((slot = hashgate_enter(cfg->max_hashing, AUTH_GATE_WAIT_MS)) ==
	    -1) {
		(void)store_failure_cancel(st, rows);
		log_event("auth", "action=login user=%s client=%s result=%s",
		    user, c->peer, auth_result_str(AUTH_BUSY));
		return AUTH_BUSY;
	}
	ar = auth_login_check(c, cfg, st, user, password, ukey, pkey, rows,
	    token, expires);
	hashgate_leave(slot);
	/* Slow down guessing, with the slot free for others; a stop request
	 * may cut the pause. */
	if (ar == AUTH_DENIED)
		(void)conn_pause(c, cfg->failure_delay_ms);
	return ar;
}

enum auth_result
auth_resume(struct conn *c, const struct config *cfg, const char *token,
    char *user, unsigned char hash[32])
{
	unsigned char raw[AUTH_TOKEN_BYTES];
	struct store *st;
	size_t len;
	int r;

	if (sodium_hex2bin(raw, sizeof(raw), token, strlen(token), NULL, &len,
	    NULL) != 0 || len != sizeof(raw) ||
	    strlen(token) != AUTH_TOKEN_HEX - 1)
		return AUTH_BAD_TOKEN;
	crypto_hash_sha256(hash, raw, sizeof(raw));
	sodium_memzero(raw, sizeof(raw));
	if ((st = store_get(cfg)) == NULL)
		return AUTH_STORE;
	/* Found by its hash: the token itself is never compared, nor kept.
	 * It lives through its expiry second: at least token_ttl seconds. */
	if ((r = store_token_user(st, hash, time(NULL), user)) < 0)
		return AUTH_STORE;
	log_event("auth", "action=resume user=%s client=%s result=%s",
	    r ? user : "-", c->peer, r ? "ok" : "bad_token");
	return r ? AUTH_OK : AUTH_BAD_TOKEN;
}

enum auth_result
auth_logout(struct conn *c, const struct config *cfg, const char *user,
    const unsigned char hash[32])
{
	struct store *st;

	if ((st = store_get(cfg)) == NULL ||
	    store_token_revoke(st, hash) == -1)
		return AUTH_STORE;
	log_event("auth", "action=logout user=%s client=%s result=ok", user,
	    c->peer);
	return AUTH_OK;
}
