/* config.c -- sockbind's configuration: defaults, key table, cross-checks. */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/hashgate.h"
#include "daemon/service.h"
#include "daemon/status.h"
#include "daemon/store.h"
#include "shared/lang.h"
#include "shared/log.h"
#include "shared/proxyproto.h"

#define S(k, def, field, check)	CONF_STR_KEY("server", k, def, struct config, field, check)
#define I(sec, k, def, lo, hi, field)	\
	CONF_INT_KEY(sec, k, def, lo, hi, struct config, field)
#define P(sec, k, def, field)	CONF_PATH_KEY(sec, k, def, struct config, field)

/* The defaults here are the ones docs/sockbind.ini.5 documents. */
/* A user= that does not exist is a configuration error, found by -n
 * too, not a failure after the port is bound. */
static int
config_check_user(const char *value, char *why, size_t whylen)
{
	if (value[0] != '\0' && getpwnam(value) == NULL) {
		snprintf(why, whylen, "no such user '%s'", value);
		return -1;
	}
	return 0;
}

/* [server] proxy_protocol: its PROXYPROTO_V* bits, or -1. */
static int
config_proxy_versions(const char *value)
{
	static const struct {
		const char	*name;
		int		 versions;
	} modes[] = {
		{ "off", 0 },
		{ "v1", PROXYPROTO_V1 },
		{ "v2", PROXYPROTO_V2 },
		{ "any", PROXYPROTO_V1 | PROXYPROTO_V2 },
	};
	size_t i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (strcmp(value, modes[i].name) == 0)
			return modes[i].versions;
	return -1;
}

static int
config_check_proxy(const char *value, char *why, size_t whylen)
{
	if (config_proxy_versions(value) == -1) {
		snprintf(why, whylen, "'%s' is none of off, v1, v2, any",
		    value);
		return -1;
	}
	return 0;
}

const struct conf_key config_keys[] = {
	S("listen", "*", listen, net_check_listen),
	I("server", "port_min", "65430", 1, 65535, port_min),
	I("server", "port_max", "65440", 1, 65535, port_max),
	S("service", "session", service, service_check_name),
	P("server", "port_file", "/run/sockbind/sockbind.port", port_file),
	P("server", "pidfile", "/run/sockbind/sockbind.pid", pidfile),
	S("user", "", user, config_check_user),
	S("proxy_protocol", "off", proxy_protocol, config_check_proxy),
	S("proxy_from", "", proxy_from, cidr_list_check),
	CONF_BOOL_KEY("server", "status_clients", "false", struct config,
	    status_clients),
	S("language", "en", language, lang_check),
	I("pool", "start", "4", 1, CONFIG_WORKERS_MAX, start),
	I("pool", "min_spare", "2", 0, CONFIG_WORKERS_MAX, min_spare),
	I("pool", "max_spare", "8", 1, CONFIG_WORKERS_MAX, max_spare),
	I("pool", "max_workers", "256", 1, CONFIG_WORKERS_MAX, max_workers),
	I("pool", "max_requests", "10000", 0, 1000000000, max_requests),
	I("pool", "worker_timeout", "30", 0, 86400, worker_timeout),
	I("pool", "graceful_timeout", "10", 0, 3600, graceful_timeout),
	CONF_BOOL_KEY("pool", "batch_scheduling", "true", struct config,
	    batch_scheduling),
	I("limits", "idle_timeout", "300", 0, 86400, idle_timeout),
	I("limits", "session_timeout", "3600", 0, 604800, session_timeout),
	I("limits", "max_frame", "1048576", 64, 67108864, max_frame),
	I("limits", "per_source", "32", 0, CONFIG_WORKERS_MAX, per_source),
	I("limits", "stress_idle_timeout", "5", 0, 86400, stress_idle_timeout),
	I("limits", "send_timeout", "30", 0, 86400, send_timeout),
	I("mirror", "delay_ms", "0", 0, 600000, delay_ms),
	CONF_STR_KEY("mirror", "signature", "", struct config, signature,
	    conf_check_utf8),
	CONF_BOOL_KEY("mirror", "keep_case", "false", struct config,
	    keep_case),
	P("pingpong", "file", "/var/lib/sockbind/pingpong.txt",
	    pingpong_file),
	P("upload", "dir", "/var/lib/sockbind/uploads", upload_dir),
	I("upload", "max_size", "10485760", 0, 2147483647, upload_max_size),
	CONF_STR_KEY("store", "backend", "sqlite", struct config,
	    store_backend, store_check_backend),
	P("store", "path", "/var/lib/sockbind/sockbind.db", store_path),
	CONF_STR_KEY("store", "url", "", struct config, store_url,
	    store_check_url),
	P("store", "password_file", "", store_password_file),
	I("auth", "token_ttl", "86400", 1, 31536000, token_ttl),
	I("auth", "max_failures", "5", 1, 1000, max_failures),
	I("auth", "failure_window", "300", 1, 86400, failure_window),
	I("auth", "failure_delay_ms", "500", 0, 10000, failure_delay_ms),
	I("auth", "max_registrations", "50", 0, 100000, max_registrations),
	I("auth", "registration_window", "3600", 1, 604800,
	    registration_window),
	/* libsodium's interactive limits are the floor. */
	I("auth", "pwhash_ops", "2", 2, 20, pwhash_ops),
	I("auth", "pwhash_mem_kib", "65536", 65536, 4194304, pwhash_mem_kib),
	I("auth", "max_hashing", "0", 0, HASHGATE_SLOTS, max_hashing),
	CONF_STR_KEY("status", "listen", "", struct config, status_listen,
	    status_check_listen),
	P("log", "path", "/var/log/sockbind/sockbind.log", log_path),
	I("log", "max_message", "1024", LOG_MAX_MESSAGE_MIN,
	    LOG_MAX_MESSAGE_MAX, max_message),
};
const size_t config_nkeys = sizeof(config_keys) / sizeof(config_keys[0]);

/* The command line's -s and -p: "" and 0 when not given. */
static struct {
	char	service[sizeof(((struct config *)0)->service)];
	int	port_min, port_max;
} overrides;

int
config_override(const char *service, const char *ports, char *err,
    size_t errlen)
{
	char why[256];

	if (service != NULL) {
		if (service_check_name(service, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "-s %s: %s", service, why);
			return -1;
		}
		strlcpy(overrides.service, service, sizeof(overrides.service));
	}
	if (ports != NULL && net_parse_ports(ports, &overrides.port_min,
	    &overrides.port_max) == -1) {
		snprintf(err, errlen, "-p %s: not a port (1-65535) or a range "
		    "MIN-MAX", ports);
		return -1;
	}
	return 0;
}

int
config_load(const char *path, struct config *cfg, char *err, size_t errlen)
{
	char why[256];

	if (conf_load(path, config_keys, config_nkeys, cfg, err, errlen) == -1)
		return -1;
	if (overrides.service[0] != '\0')
		strlcpy(cfg->service, overrides.service, sizeof(cfg->service));
	if (overrides.port_min != 0) {
		cfg->port_min = overrides.port_min;
		cfg->port_max = overrides.port_max;
	}
	if (cfg->port_min > cfg->port_max) {
		snprintf(err, errlen, "%s: [server] port_min: %d is above "
		    "port_max (%d)", path, cfg->port_min, cfg->port_max);
		return -1;
	}
	if (cfg->min_spare > cfg->max_spare) {
		snprintf(err, errlen, "%s: [pool] min_spare: %d is above "
		    "max_spare (%d)", path, cfg->min_spare, cfg->max_spare);
		return -1;
	}
	/* "max_workers = 1" alone makes an iterative server: the default
	 * start follows it down; a start set above it is an error. */
	if (cfg->start > cfg->max_workers && !conf_given("pool", "start"))
		cfg->start = cfg->max_workers;
	if (cfg->start > cfg->max_workers) {
		snprintf(err, errlen, "%s: [pool] start: %d is above "
		    "max_workers (%d)", path, cfg->start, cfg->max_workers);
		return -1;
	}
	/* Checked by the key's own check: cannot fail here. */
	cfg->proxy_versions = config_proxy_versions(cfg->proxy_protocol);
	cfg->lang = lang_find(cfg->language);
	if (cidr_list_parse(cfg->proxy_from, &cfg->proxy_nets, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: [server] proxy_from: %s", path, why);
		return -1;
	}
	/* On a proxy port the header says who the client is: from anyone
	 * at all, anyone could say it. */
	if (cfg->proxy_versions != 0 && cfg->proxy_nets.n == 0) {
		snprintf(err, errlen, "%s: [server] proxy_from: required when "
		    "proxy_protocol is %s: the addresses or CIDR blocks of "
		    "the proxies", path, cfg->proxy_protocol);
		return -1;
	}
	if (strcmp(cfg->store_backend, "postgresql") == 0 &&
	    cfg->store_url[0] == '\0') {
		snprintf(err, errlen, "%s: [store] url: needed with backend = "
		    "postgresql", path);
		return -1;
	}
	if (cfg->log_path[0] == '\0') {
		snprintf(err, errlen, "%s: [log] path: must not be empty",
		    path);
		return -1;
	}
	return 0;
}
