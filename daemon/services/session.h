/*
 * session.h -- the request parser of the session protocol (docs/PROTOCOL.md
 * section 1), which the session and auth services share.
 *
 * session_parse() checks one request (req[len] must be NUL) and finds its
 * verb: 0 with the verb's index and its argument (NULL: none), or -1 with
 * the ERR reply in err. flags: SESSION_LINES (one request per line, the
 * auth service) and SESSION_AUTH_ONLY (the account verbs only).
 */
#ifndef SOCKBIND_SESSION_H
#define SOCKBIND_SESSION_H

#include <stddef.h>
#include <stdint.h>

#define SESSION_LINES		0x1
#define SESSION_AUTH_ONLY	0x2

int	session_parse(char *req, uint32_t len, int flags, int *verb,
	    char **arg, char *err, size_t errlen);

#endif
