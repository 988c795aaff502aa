/* redact.c -- keep passwords and tokens out of logs (see redact.h). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "shared/redact.h"
#include "shared/utf8.h"

/* What comes before the hidden part is kept up to this many bytes. */
#define REDACT_KEEP_MAX	64
#define REDACT_USER_MAX	32
#define REDACT_VERB_MAX	32	/* bytes of an unknown verb quoted */

static int
redact_letter(char ch)
{
	return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z');
}

static int
redact_user_char(char ch)
{
	return redact_letter(ch) || (ch >= '0' && ch <= '9') || ch == '.' ||
	    ch == '_' || ch == '-';
}

/* The length of "VERB user " when msg[word..len) is exactly the well-formed
 * "VERB user secret" of a verb that names its user, else 0. */
static size_t
redact_user_prefix(const char *msg, size_t len, size_t word, size_t end)
{
	size_t u;

	if (end - word != 5 && end - word != 8)
		return 0;
	if (strncasecmp(msg + word, "LOGIN", end - word) != 0 &&
	    strncasecmp(msg + word, "REGISTER", end - word) != 0)
		return 0;
	if (end >= len || msg[end] != ' ')
		return 0;
	for (u = end + 1; u < len && redact_user_char(msg[u]); u++)
		;
	if (u == end + 1 || u - end - 1 > REDACT_USER_MAX || u + 1 >= len ||
	    msg[u] != ' ')
		return 0;
	return u + 1;
}

size_t
redact_secrets(const char *msg, size_t len, char *out, size_t outlen)
{
	static const char *const verbs[] = { "LOGIN", "REGISTER", "RESUME" };
	const char *p;
	size_t word, end, keep, shown, i;
	int n = -1;

	if (len >= 9 && strncmp(msg, "OK token ", 9) == 0) {
		p = memchr(msg + 9, ' ', len - 9);
		n = snprintf(out, outlen, "OK token [secret]%.*s",
		    p ? (int)(len - (size_t)(p - msg)) : 0, p ? p : "");
		return n > 0 ? (size_t)n : 0;
	}
	for (word = 0; word < len && !redact_letter(msg[word]); word++)
		;
	for (end = word; end < len && redact_letter(msg[end]); end++)
		;
	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (end - word >= strlen(verbs[i]) &&
		    strncasecmp(msg + word, verbs[i], strlen(verbs[i])) == 0)
			break;
	if (i == sizeof(verbs) / sizeof(verbs[0]))
		return 0;
	if ((keep = redact_user_prefix(msg, len, word, end)) > 0) {
		n = snprintf(out, outlen, "%.*s[secret]", (int)keep, msg);
		return n > 0 ? (size_t)n : 0;
	}
	/* The verb's own letters stay; whatever follows them may be a
	 * password, even glued on ("LOGINhunter2"). */
	keep = word + strlen(verbs[i]);
	if (keep == len)
		return 0;
	/* A long prefix is cut, never inside a UTF-8 sequence. */
	shown = keep < REDACT_KEEP_MAX ? keep : REDACT_KEEP_MAX -
	    utf8_tail(msg, REDACT_KEEP_MAX);
	n = snprintf(out, outlen, "%.*s%s[secret]", (int)shown, msg,
	    msg[keep] == ' ' ? " " : "");
	return n > 0 ? (size_t)n : 0;
}

static int
redact_control(char ch)
{
	return (unsigned char)ch < 0x20 || ch == 0x7f;
}

size_t
redact_verb(const char *msg, size_t len, char *out, size_t outlen)
{
	size_t vlen, cut, n;

	for (vlen = 0; vlen < len && msg[vlen] != ' ' &&
	    !redact_control(msg[vlen]); vlen++)
		;
	cut = vlen > REDACT_VERB_MAX ? REDACT_VERB_MAX -
	    utf8_tail(msg, REDACT_VERB_MAX) : vlen;
	if (redact_secrets(msg, cut, out, outlen) == 0)
		snprintf(out, outlen, "%.*s", (int)cut, msg);
	/* A control character ends the quote: "LGOIN\talice\tpw". */
	if (cut == vlen && vlen < len && msg[vlen] != ' ' &&
	    (n = strlen(out)) + 1 < outlen) {
		out[n] = '?';
		out[n + 1] = '\0';
		vlen++;
	}
	return vlen;
}

size_t
redact_unknown(const char *msg, size_t len, char *out, size_t outlen)
{
	if (redact_verb(msg, len, out, outlen) < len)
		strlcat(out, " [secret]", outlen);
	return strlen(out);
}

size_t
redact_request(const char *msg, size_t len, char *out, size_t outlen)
{
	static const char *const verbs[] = { "ECHO", "MIRROR", "STATUS",
	    "UPLOAD", "IDENTIFY", "REGISTER", "LOGIN", "RESUME", "LOGOUT",
	    "WHOAMI", "HELP", "QUIT" };
	const char *sp = memchr(msg, ' ', len);
	size_t vlen = sp != NULL ? (size_t)(sp - msg) : len, i;

	for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strlen(verbs[i]) == vlen &&
		    strncasecmp(msg, verbs[i], vlen) == 0)
			return redact_secrets(msg, len, out, outlen);
	return redact_unknown(msg, len, out, outlen);
}
