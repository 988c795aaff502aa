/*
 * redact.h -- keep passwords and tokens out of logs.
 *
 * redact_secrets() looks at one request or reply of the session/auth
 * protocol. When it holds a secret ("REGISTER user PASSWORD", "LOGIN user
 * PASSWORD", "RESUME TOKEN", "OK token TOKEN expires N"), it writes what may
 * be logged into out ("LOGIN alice [secret]") and returns its length;
 * otherwise it returns 0 and out is untouched. Verbs match in any case.
 */
#ifndef SOCKBIN_REDACT_H
#define SOCKBIN_REDACT_H

#include <stddef.h>

size_t	redact_secrets(const char *msg, char *out, size_t outlen);

#endif
