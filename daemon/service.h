/*
 * service.h -- the services a worker can run on a connection.
 *
 * A service is a name, a function that serves one accepted connection until
 * it ends (the caller logs connect and disconnect and closes it), what it
 * logs (with log_text set, each message's text goes to the log; without,
 * only its size), and how a refused client can be told. Adding a service means one file
 * under daemon/services/ and one line in the table in service.c.
 *
 * The prototypes below are grouped by the file that defines them; the
 * session service reuses the building blocks of mirror and upload.
 */
#ifndef SOCKBIND_SERVICE_H
#define SOCKBIND_SERVICE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

struct conn;
struct config;

/* How a service can tell a client it is refused before serving it. */
enum service_refusal {
	SERVICE_REFUSE_SILENT,	/* no way: the client would take it as data */
	SERVICE_REFUSE_LINE,	/* an "ERR ..." line */
	SERVICE_REFUSE_CODED,	/* an "ERR 421 ..." line */
	SERVICE_REFUSE_FRAME,	/* an "ERR 421 ..." frame */
};

struct service {
	const char		*name;
	void			(*serve)(struct conn *, const struct config *);
	int			 log_text;
	enum service_refusal	 refusal;
};

const struct service	*service_find(const char *name);
int	service_check_name(const char *value, char *why, size_t whylen);

/* services/echo.c */
void	echo_serve(struct conn *, const struct config *);

/* services/mirror.c: the reply text for one message, malloc'd; NULL when
 * text is not valid UTF-8 (*bad: offset of the first bad byte). */
char	*mirror_text(const struct config *, const char *text, size_t len,
	    size_t *bad);
void	mirror_serve(struct conn *, const struct config *);

/* services/pingpong.c: the code-word scanner takes one byte at a time. */
enum pingpong_token {
	PINGPONG_NONE = 0,	/* nothing complete yet */
	PINGPONG_CODE1,		/* _code1g: the client holds the file */
	PINGPONG_CODE2,		/* _code2g: the client released it */
	PINGPONG_GARBAGE,	/* the first byte of something else */
};
struct pingpong_scanner {
	char	word[8];
	size_t	len;
	int	in_garbage;
};
enum pingpong_token pingpong_scan(struct pingpong_scanner *, unsigned char);
void	pingpong_serve(struct conn *, const struct config *);

/* services/upload.c: store a file under [upload] dir, never half-written
 * under its final name. upload_sanitize_name() keeps a client's name safe
 * to store and to log as it is (docs/PROTOCOL.md 1.4). upload_write()
 * returns 0, -1 on a write error or -2 past max_size; the others 0 or -1;
 * errors are described in err. */
struct upload {
	int				fd;
	char				tmp[PATH_MAX];	/* "": unnamed (O_TMPFILE) */
	uint64_t			size;
	uint64_t			max;
	const struct config		*cfg;
	crypto_hash_sha256_state	sha;
};
#define UPLOAD_NAME_MAX	128
#define UPLOAD_HEX_LEN	(crypto_hash_sha256_BYTES * 2 + 1)

int	upload_begin(struct upload *, const struct config *, char *err,
	    size_t errlen);
int	upload_write(struct upload *, const void *buf, size_t len, char *err,
	    size_t errlen);
void	upload_digest(struct upload *, char hex[UPLOAD_HEX_LEN]);
int	upload_commit(struct upload *, const char *name, char *stored,
	    size_t storedlen, char *err, size_t errlen);
void	upload_abort(struct upload *);
void	upload_sanitize_name(const char *in, char *out, size_t outlen);
void	upload_serve(struct conn *, const struct config *);

/* services/ident.c: a name for an address; ident_check_name() trims and
 * checks an answer of inlen bytes (0, or -1 with why), ident_serve() is the
 * raw dialogue. */
#define IDENT_NAME_MAX	64	/* characters */
int	ident_check_name(const char *in, size_t inlen, char *out,
	    size_t outlen, const char **why);
void	ident_serve(struct conn *, const struct config *);

/* services/auth.c: accounts and session tokens. */
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
void	auth_serve(struct conn *, const struct config *);

/* services/session.c: session_run() serves the session protocol, framed or
 * (SESSION_LINES) one request per line, with every verb or (for the auth
 * service, SESSION_AUTH_ONLY) the account verbs only. */
#define SESSION_LINES		0x1
#define SESSION_AUTH_ONLY	0x2
void	session_run(struct conn *, const struct config *, int flags);
/* Check one request (req[len] must be NUL) and find its verb: 0 with the
 * verb's index and its argument (NULL: none), or -1 with the ERR reply. */
int	session_parse(char *req, uint32_t len, int flags, int *verb,
	    char **arg, char *err, size_t errlen);
void	session_serve(struct conn *, const struct config *);

/* Services that need the store (store.c) opened at start-up. */
int	service_uses_store(const char *name);

#endif
