/*
 * ident.c -- identify clients by their address.
 *
 * A known address is greeted by the name stored for it; an unknown one is
 * asked for a name, which is stored for that address. The store is shared by
 * every worker and survives restarts (store.c). The raw service speaks
 * lines, in the language of [server] language (shared/lang.c); the session
 * service reaches the same store with IDENTIFY, in English.
 */
#include <stdio.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/conn.h"
#include "daemon/service.h"
#include "daemon/services/ident.h"
#include "daemon/store.h"
#include "shared/lang.h"
#include "shared/log.h"
#include "shared/utf8.h"

#define IDENT_TRIES	3

int
ident_check_name(const char *in, size_t inlen, char *out, size_t outlen,
    const char **why)
{
	const char *end = in + inlen;
	size_t len, off, chars = 0, bad;
	uint32_t cp;
	int n;

	while (in < end && (*in == ' ' || *in == '\t'))
		in++;
	while (end > in && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	len = end - in;
	if (len == 0) {
		*why = "the name is empty";
		return -1;
	}
	if (utf8_check(in, len, &bad) == -1) {
		*why = in[bad] == '\0' ? "the name holds a NUL byte" :
		    "the name is not valid UTF-8";
		return -1;
	}
	for (off = 0; off < len; off += n, chars++) {
		n = utf8_decode((const unsigned char *)in + off, len - off,
		    &cp);
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
		    cp == 0x2028 || cp == 0x2029) {
			*why = "the name holds a control character";
			return -1;
		}
		if (utf8_is_invisible(cp)) {
			*why = "the name holds an invisible character";
			return -1;
		}
	}
	if (chars > IDENT_NAME_MAX || len >= outlen) {
		*why = "the name is longer than 64 characters";
		return -1;
	}
	memcpy(out, in, len);
	out[len] = '\0';
	return 0;
}

void
ident_serve(struct conn *c, const struct config *cfg)
{
	char name[STORE_NAME_MAX], line[1024];
	char reply[STORE_NAME_MAX + 128];
	const char *why;
	struct store *st;
	ssize_t n;
	int r, tries, lang = cfg->lang;

	if ((st = store_get(cfg)) == NULL ||
	    (r = store_ident_get(st, c->host, name)) == -1) {
		log_warnx("ident: %s", store_error());
		conn_say(c, lang_say(lang, LANG_NO_STORE));
		return;
	}
	if (r == 1) {
		log_event("ident", "client=%s result=known", c->peer);
		snprintf(reply, sizeof(reply), lang_say(lang, LANG_KNOWN),
		    name);
		conn_say(c, reply);
		return;
	}
	snprintf(reply, sizeof(reply), lang_say(lang, LANG_GREETING),
	    c->host);
	if (conn_say(c, reply) == -1)
		return;
	for (tries = 1; tries <= IDENT_TRIES; tries++) {
		if ((n = conn_read_line(c, line, sizeof(line))) <= 0 &&
		    c->end != CONN_OPEN) {
			conn_notify_end(c);
			return;
		}
		conn_log_recv(c, line, n);
		/* A cut line is no name: longer than any name can be. */
		if (c->line_cut)
			why = "the name is longer than 64 characters";
		else if (ident_check_name(line, n > 0 ? (size_t)n : 0, name,
		    sizeof(name), &why) == 0)
			break;
		snprintf(reply, sizeof(reply), tries < IDENT_TRIES ?
		    lang_say(lang, LANG_RETRY) : lang_say(lang, LANG_GOODBYE),
		    lang_say(lang, why));
		if (conn_say(c, reply) == -1)
			return;
	}
	if (tries > IDENT_TRIES) {
		log_event("ident", "client=%s result=refused", c->peer);
		return;
	}
	if (store_ident_set(st, c->host, name) == -1) {
		log_warnx("ident: %s", store_error());
		conn_say(c, lang_say(lang, LANG_NOT_STORED));
		return;
	}
	log_text("ident", name, strlen(name), "client=%s result=stored",
	    c->peer);
	snprintf(reply, sizeof(reply), lang_say(lang, LANG_STORED), name);
	conn_say(c, reply);
}
