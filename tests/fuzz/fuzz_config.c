/*
 * fuzz_config.c -- the INI configuration loader (config_load() in
 * daemon/config.c over shared/conf.c and iniparser).
 *
 * The input is written to a file of its own (/tmp/sockbind-fuzz-<pid>.ini,
 * removed after each load) and loaded. Checked: the result is 0 or -1; a refusal is
 * one line, "FILE: ...", terminated inside the buffer; a config taken keeps
 * every value in its range and the cross-checks (port_min <= port_max,
 * min_spare <= max_spare, start <= max_workers, a log path), names a known
 * service, has every string terminated inside its field, every path empty
 * or absolute, a signature of valid UTF-8. Leaks are LeakSanitizer's.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/service.h"
#include "tests/fuzz/fuzz.h"

static char	path[64];

#define FIELD_OK(f)	FUZZ_CHECK(memchr((f), '\0', sizeof(f)) != NULL, \
			    #f " not terminated")
#define PATH_OK(f)	do {						\
	FIELD_OK(f);							\
	FUZZ_CHECK((f)[0] == '\0' || (f)[0] == '/', #f " '%s'", (f));	\
} while (0)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[512];
	size_t i, plen;
	int fd, r;

	if (path[0] == '\0')
		snprintf(path, sizeof(path), "/tmp/sockbind-fuzz-%d.ini",
		    (int)getpid());
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);

	memset(&cfg, 0xa5, sizeof(cfg));
	memset(err, 'x', sizeof(err));
	r = config_load(path, &cfg, err, sizeof(err));
	unlink(path);
	FUZZ_CHECK(r == 0 || r == -1, "returned %d", r);
	if (r == -1) {
		plen = strlen(path);
		FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL,
		    "error not terminated");
		FUZZ_CHECK(strchr(err, '\n') == NULL,
		    "error of more than one line: %s", err);
		FUZZ_CHECK(strncmp(err, path, plen) == 0 &&
		    err[plen] == ':' && err[plen + 1] == ' ' &&
		    err[plen + 2] != '\0', "error '%s'", err);
		return 0;
	}

	for (i = 0; i < config_nkeys; i++) {
		const struct conf_key *k = &config_keys[i];
		const int *v = (const int *)((const char *)&cfg + k->offset);

		if (k->type == CONF_INT || k->type == CONF_BOOL)
			FUZZ_CHECK(*v >= k->min && *v <= k->max,
			    "[%s] %s = %d", k->section, k->key, *v);
		else
			FUZZ_CHECK(memchr(v, '\0', k->size) != NULL,
			    "[%s] %s not terminated", k->section, k->key);
	}
	FUZZ_CHECK(cfg.port_min <= cfg.port_max, "ports");
	FUZZ_CHECK(cfg.min_spare <= cfg.max_spare, "spares");
	FUZZ_CHECK(cfg.start <= cfg.max_workers, "start");
	FIELD_OK(cfg.listen);
	FIELD_OK(cfg.service);
	FIELD_OK(cfg.user);
	FIELD_OK(cfg.signature);
	FUZZ_CHECK(service_find(cfg.service) != NULL, "service '%s'",
	    cfg.service);
	FUZZ_CHECK(ref_utf8_valid(cfg.signature, strlen(cfg.signature), NULL),
	    "signature not UTF-8");
	PATH_OK(cfg.port_file);
	PATH_OK(cfg.pidfile);
	PATH_OK(cfg.pingpong_file);
	PATH_OK(cfg.upload_dir);
	PATH_OK(cfg.store_path);
	PATH_OK(cfg.log_path);
	FUZZ_CHECK(cfg.log_path[0] == '/', "log path '%s'", cfg.log_path);
	return 0;
}
