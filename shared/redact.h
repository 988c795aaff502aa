/*
 * redact.h -- keep passwords and tokens out of logs.
 *
 * redact_secrets() looks at one request or reply of the session/auth
 * protocol, msg[0..len). When it may hold a secret, it writes what may be
 * logged into out and returns its length; otherwise it returns 0 and out is
 * untouched. A request may hold a secret when its first word (the first
 * run of ASCII letters, whatever comes before it) starts with LOGIN,
 * REGISTER or RESUME in any case: a mistyped verb ("LOGINX", "LOGIN\tbob")
 * or a missing user name must not put the password in clear in the log.
 * Only the well-formed "LOGIN user secret" / "REGISTER user secret" keep
 * their user name ("LOGIN alice [secret]"); anything else keeps the verb
 * and hides the rest ("RESUME [secret]"). The reply "OK token TOKEN expires
 * N" becomes "OK token [secret] expires N".
 */
#ifndef SOCKBIN_REDACT_H
#define SOCKBIN_REDACT_H

#include <stddef.h>

size_t	redact_secrets(const char *msg, size_t len, char *out, size_t outlen);

#endif
