/*
 * auth.h -- accounts: register, log in, resume with a token, log out.
 *
 * The library the session service's account verbs (and the line-mode auth
 * service, which is the same protocol) call; it speaks no protocol itself.
 * Each function checks its arguments, uses the store ([store] path), logs
 * one auth record (never a password nor a token) and returns an
 * auth_result; the caller words the reply. auth_login() fills token (hex,
 * shown to the client once) and its expiry; auth_resume() fills the user
 * and the token's SHA-256 for auth_logout().
 */
#ifndef SOCKBIND_AUTH_H
#define SOCKBIND_AUTH_H

#include <stdint.h>

struct conn;
struct config;

#define AUTH_TOKEN_BYTES	32
#define AUTH_TOKEN_HEX		(AUTH_TOKEN_BYTES * 2 + 1)

enum auth_result {
	AUTH_OK = 0,
	AUTH_BAD_NAME,		/* not 1-32 of letters, digits, . _ - */
	AUTH_BAD_PASSWORD,	/* not 8-1024 bytes */
	AUTH_TAKEN,		/* the user name exists */
	AUTH_DENIED,		/* wrong user name or password */
	AUTH_LOCKED,		/* too many recent failures */
	AUTH_REG_LIMIT,		/* too many registrations from the address */
	AUTH_BAD_TOKEN,		/* unknown, expired or revoked */
	AUTH_BUSY,		/* [auth] max_hashing hashes already run */
	AUTH_STORE,		/* the store failed */
};

const char	*auth_result_str(enum auth_result);
enum auth_result auth_register(struct conn *, const struct config *,
		    const char *user, const char *password);
enum auth_result auth_login(struct conn *, const struct config *,
		    const char *user, const char *password,
		    char token[AUTH_TOKEN_HEX], int64_t *expires);
enum auth_result auth_resume(struct conn *, const struct config *,
		    const char *token, char *user, unsigned char hash[32]);
enum auth_result auth_logout(struct conn *, const struct config *,
		    const char *user, const unsigned char hash[32]);

#endif
