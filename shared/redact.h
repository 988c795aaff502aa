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
 *
 * redact_verb() writes the first word of a request as an ERR 401 reply
 * quotes an unknown verb (docs/PROTOCOL.md): up to its first space or
 * control character (shown as one '?', and the end of the quote), at most
 * 32 bytes never cut inside a UTF-8 sequence, with redact_secrets() applied.
 * It returns how many bytes of msg the quote stands for. redact_unknown()
 * writes what may be logged of a request whose verb is unknown: that quote,
 * then " [secret]" when anything follows, since a mistyped verb ("LGOIN
 * alice pw") may be followed by a password; it returns the length written.
 * redact_request() is for a request of the session protocol whose verb the
 * caller does not check itself (the client): one of the protocol's verbs
 * is treated as by redact_secrets() (0: log it as it is), anything else as
 * by redact_unknown().
 */
#ifndef SOCKBIN_REDACT_H
#define SOCKBIN_REDACT_H

#include <stddef.h>

size_t	redact_secrets(const char *msg, size_t len, char *out, size_t outlen);
size_t	redact_verb(const char *msg, size_t len, char *out, size_t outlen);
size_t	redact_unknown(const char *msg, size_t len, char *out, size_t outlen);
size_t	redact_request(const char *msg, size_t len, char *out, size_t outlen);

#endif
