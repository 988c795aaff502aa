/* service.c -- the table of services. */
#include <stdio.h>
#include <string.h>

#include "daemon/service.h"

/* Name, server, log the text (session and auth: with secrets redacted),
 * how to refuse. */
static const struct service services[] = {
	{ "session",	session_serve,	1, SERVICE_REFUSE_FRAME },
	{ "echo",	echo_serve,	1, SERVICE_REFUSE_SILENT },
	{ "mirror",	mirror_serve,	1, SERVICE_REFUSE_LINE },
	{ "pingpong",	pingpong_serve,	1, SERVICE_REFUSE_LINE },
	{ "upload",	upload_serve,	1, SERVICE_REFUSE_LINE },
	{ "ident",	ident_serve,	1, SERVICE_REFUSE_LINE },
	{ "auth",	session_auth_serve,	1, SERVICE_REFUSE_CODED },
};

int
service_uses_store(const char *name)
{
	return strcmp(name, "session") == 0 || strcmp(name, "ident") == 0 ||
	    strcmp(name, "auth") == 0;
}

const struct service *
service_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		if (strcmp(services[i].name, name) == 0)
			return &services[i];
	return NULL;
}

int
service_check_name(const char *value, char *why, size_t whylen)
{
	size_t i, off;

	if (service_find(value) != NULL)
		return 0;
	off = snprintf(why, whylen, "unknown service '%s' (known:", value);
	for (i = 0; i < sizeof(services) / sizeof(services[0]) &&
	    off < whylen; i++)
		off += snprintf(why + off, whylen - off, " %s",
		    services[i].name);
	if (off < whylen)
		snprintf(why + off, whylen - off, ")");
	return -1;
}
