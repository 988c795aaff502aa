/*
 * guess.c -- which service a server runs: the services by name, the
 * protocol each speaks, and a raw server told from its answer. An echo
 * server sends the text back unchanged, a mirror reverses it, pingpong and
 * upload answer in words of their own (docs/PROTOCOL.md, section 2).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/i18n.h"
#include "client/sockbin.h"
#include "shared/utf8.h"

static const struct {
	const char	*name;
	enum link_proto	 proto;
} guess_services[SVC_COUNT] = {
	[SVC_SESSION] = { "session", PROTO_SESSION },
	[SVC_ECHO] = { "echo", PROTO_RAW },
	[SVC_MIRROR] = { "mirror", PROTO_RAW },
	[SVC_PINGPONG] = { "pingpong", PROTO_RAW },
	[SVC_UPLOAD] = { "upload", PROTO_RAW },
	[SVC_IDENT] = { "ident", PROTO_IDENT },
	[SVC_AUTH] = { "auth", PROTO_AUTH },
};

int
guess_find(const char *name)
{
	int i;

	for (i = 0; i < SVC_COUNT; i++)
		if (strcmp(guess_services[i].name, name) == 0)
			return i;
	return -1;
}

const char *
guess_name(int service)
{
	return guess_services[service].name;
}

enum link_proto
guess_proto(int service)
{
	return guess_services[service].proto;
}

void
guess_names(unsigned mask, int localized, char *buf, size_t size)
{
	int i, n = 0, total = 0;

	for (i = 0; i < SVC_COUNT; i++)
		total += (mask & SVC(i)) != 0;
	buf[0] = '\0';
	for (i = 0; i < SVC_COUNT; i++) {
		if (!(mask & SVC(i)))
			continue;
		/* TRANSLATORS: between the last two names of services,
		 * "echo, mirror or upload". */
		if (n > 0)
			strlcat(buf, n < total - 1 ? ", " : localized ?
			    _(" or ") : " or ", size);
		strlcat(buf, guess_services[i].name, size);
		n++;
	}
}

/* Whether reply starts with text reversed by code point, with or without
 * the words' case kept (a mirror's keep_case); 2 when the reversal is the
 * text itself (a palindrome: a mirror's reply could pass for an echo). */
static int
guess_reversed(const char *text, const char *reply)
{
	size_t len = strlen(text), bad, size = UTF8_REVERSE_SIZE(len);
	char *rev;
	long n;
	int keep, found = 0;

	if (len == 0 || (rev = malloc(size)) == NULL)
		return 0;
	for (keep = 0; keep <= 1 && found != 2; keep++) {
		if ((n = utf8_reverse(text, len, keep, rev, size, &bad)) < 0)
			break;
		if (strcmp(rev, text) == 0)
			found = 2;
		else if (strncmp(reply, rev, (size_t)n) == 0)
			found = 1;
	}
	free(rev);
	return found;
}

int
guess_raw(const char *sent, const char *reply, const char **evidence)
{
	static const struct {
		const char	*start;
		int		 service;
		const char	*evidence;
	} words[] = {
		{ "ERR unexpected input: expected _code1g", SVC_PINGPONG,
		    N_("it asked for _code1g") },
		{ "OK upload-", SVC_UPLOAD, N_("it stored what was sent") },
		{ "ERR empty upload", SVC_UPLOAD, N_("it took an upload") },
		{ "ERR too large", SVC_UPLOAD, N_("it took an upload") },
		{ "ERR invalid UTF-8 at byte ", SVC_MIRROR,
		    N_("it checked the text as a mirror does") },
		{ "ERR NUL byte at byte ", SVC_MIRROR,
		    N_("it checked the text as a mirror does") },
	};
	size_t i;
	int rev = guess_reversed(sent, reply);

	/* Unchanged first: an echo of any words is still an echo. */
	if (strcmp(reply, sent) == 0 && rev != 2 && sent[0] != '\0') {
		*evidence = N_("it sent the text back unchanged");
		return SVC_ECHO;
	}
	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strncmp(reply, words[i].start, strlen(words[i].start)) ==
		    0) {
			*evidence = words[i].evidence;
			return words[i].service;
		}
	if (rev == 1) {
		*evidence = N_("it sent the text back reversed");
		return SVC_MIRROR;
	}
	return -1;
}
