/* config.c -- sockbin's configuration: keys, defaults, checks. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/i18n.h"
#include "client/sockbin.h"

#define K(sec, k, t, def, lo, hi, field, check)				\
	{ sec, k, t, def, lo, hi, offsetof(struct client_config, field),	\
	    sizeof(((struct client_config *)0)->field), check }

static int
client_check_port(const char *value, char *why, size_t whylen)
{
	int lo, hi;

	if (value[0] == '\0' || net_parse_ports(value, &lo, &hi) == 0)
		return 0;
	snprintf(why, whylen, _("'%s' is not a port (1-65535) or a range "
	    "MIN-MAX"), value);
	return -1;
}

int
client_check_service(const char *value, char *why, size_t whylen)
{
	if (value[0] == '\0' || guess_find(value) != -1)
		return 0;
	snprintf(why, whylen, _("unknown service '%s' (known: session echo "
	    "mirror pingpong upload ident auth)"), value);
	return -1;
}

/* The defaults here are the ones sockbin(1) documents. */
const struct conf_key client_keys[] = {
	K("server", "host", CONF_STR, "", 0, 0, host, NULL),
	K("server", "port", CONF_STR, "", 0, 0, port, client_check_port),
	K("server", "service", CONF_STR, "", 0, 0, service,
	    client_check_service),
	K("server", "status", CONF_STR, "", 0, 0, status, NULL),
	K("client", "message", CONF_STR, "hello from sockbin", 0, 0, message,
	    conf_check_utf8),
	K("client", "interval", CONF_INT, "1", 1, 3600, interval, NULL),
	K("client", "duration", CONF_INT, "10", 1, 86400, duration, NULL),
	K("client", "log", CONF_PATH, "", 0, 0, log, NULL),
	K("client", "token_file", CONF_PATH, "", 0, 0, token_file, NULL),
};
const size_t client_nkeys = sizeof(client_keys) / sizeof(client_keys[0]);

/* "" becomes ~/NAME: the user's own file, wherever sockbin runs. */
static void
client_home_default(char *field, size_t size, const char *name)
{
	const char *home = getenv("HOME");

	if (field[0] == '\0')
		snprintf(field, size, "%s/%s", home && *home ? home : ".",
		    name);
}

/*
 * The file is optional unless named with -c (explicit): a missing default
 * file means the built-in defaults.
 */
int
client_config_load(struct client *c, const char *path, int explicit,
    char *err, size_t errlen)
{
	if (!explicit && access(path, F_OK) == -1) {
		if (conf_defaults(client_keys, client_nkeys, &c->cfg, err,
		    errlen) == -1)
			return -1;
	} else if (conf_load(path, client_keys, client_nkeys, &c->cfg, err,
	    errlen) == -1)
		return -1;
	client_home_default(c->cfg.log, sizeof(c->cfg.log), ".sockbin.log");
	client_home_default(c->cfg.token_file, sizeof(c->cfg.token_file),
	    ".sockbin-token");
	return 0;
}
