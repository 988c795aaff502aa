/* redact.c -- keep passwords and tokens out of logs (see redact.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "shared/redact.h"

size_t
redact_secrets(const char *msg, char *out, size_t outlen)
{
	static const char *const secret_after_user[] = { "REGISTER ",
	    "LOGIN " };
	const char *p;
	size_t i, n;
	int len;

	for (i = 0; i < 2; i++) {
		n = strlen(secret_after_user[i]);
		if (strncasecmp(msg, secret_after_user[i], n) != 0)
			continue;
		/* Keep the verb and the user name, hide the password. */
		p = strchr(msg + n, ' ');
		len = snprintf(out, outlen, "%.*s [secret]",
		    (int)(p ? p - msg : (long)strlen(msg)), msg);
		return len > 0 ? (size_t)len : 0;
	}
	if (strncasecmp(msg, "RESUME ", 7) == 0)
		len = snprintf(out, outlen, "%.6s [secret]", msg);
	else if (strncmp(msg, "OK token ", 9) == 0) {
		p = strchr(msg + 9, ' ');
		len = snprintf(out, outlen, "OK token [secret]%s", p ? p : "");
	} else
		return 0;
	return len > 0 ? (size_t)len : 0;
}
