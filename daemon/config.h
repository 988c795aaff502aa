/*
 * config.h -- sockbind's configuration: one struct, its key table, loading.
 *
 * config_load() fills cfg with the built-in defaults, then the file's values,
 * then checks the keys against each other. It returns 0, or -1 with one line
 * in err ("FILE: [section] key: what is wrong"); cfg is then unspecified, so
 * a reload loads into a fresh struct and swaps it in only on success.
 *
 * config_override() takes the command line's -s SERVICE and -p PORT|MIN-MAX
 * (NULL: not given), checked as the file's keys are; every later
 * config_load() puts them over the file's values, so a reload (SIGHUP),
 * which reads the file again, keeps them. It returns 0, or -1 with one line
 * in err ("-s ech: unknown service ...").
 */
#ifndef SOCKBIND_CONFIG_H
#define SOCKBIND_CONFIG_H

#include <limits.h>
#include <stddef.h>

#include "shared/cidr.h"
#include "shared/conf.h"
#include "shared/net.h"

#define CONFIG_WORKERS_MAX	1024

struct config {
	/* [server] */
	char	listen[INET6_ADDRSTRLEN];
	int	port_min;
	int	port_max;
	char	service[32];
	char	port_file[PATH_MAX];
	char	pidfile[PATH_MAX];
	char	user[64];
	char	proxy_protocol[8];	/* off, v1, v2, any */
	char	proxy_from[1024];
	int	proxy_versions;		/* PROXYPROTO_V1|V2 bits; 0: off */
	struct cidr_list proxy_nets;	/* proxy_from, parsed */
	int	status_clients;		/* client addresses in STATUS etc. */
	char	language[4];		/* en, ru, uk: words to people */
	int	lang;			/* language, as a LANG_* */
	/* [pool] */
	int	start;
	int	min_spare;
	int	max_spare;
	int	max_workers;
	int	max_requests;
	int	worker_timeout;
	int	graceful_timeout;
	int	batch_scheduling;	/* SCHED_BATCH for the pool */
	/* [limits] */
	int	idle_timeout;
	int	session_timeout;
	int	max_frame;
	int	per_source;
	int	stress_idle_timeout;	/* 0: no stress mode */
	int	send_timeout;		/* 0: a stalled send waits for idle */
	/* [mirror] */
	int	delay_ms;
	char	signature[256];
	int	keep_case;
	/* [pingpong] */
	char	pingpong_file[PATH_MAX];
	/* [upload] */
	char	upload_dir[PATH_MAX];
	int	upload_max_size;
	/* [store] */
	char	store_backend[16];	/* sqlite, postgresql */
	char	store_path[PATH_MAX];	/* sqlite */
	char	store_url[1024];	/* postgresql */
	char	store_password_file[PATH_MAX];
	/* [auth] */
	int	token_ttl;
	int	max_failures;
	int	failure_window;
	int	failure_delay_ms;
	int	max_registrations;	/* per address per window; 0: no limit */
	int	registration_window;
	int	pwhash_ops;
	int	pwhash_mem_kib;
	int	max_hashing;	/* hashes at once, server-wide; 0: CPUs */
	/* [status] */
	char	status_listen[NET_ADDRSTRLEN];	/* "": no status listener */
	/* [log] */
	char	log_path[PATH_MAX];
	int	max_message;
};

extern const struct conf_key	config_keys[];
extern const size_t		config_nkeys;

int	config_load(const char *path, struct config *cfg, char *err,
	    size_t errlen);
int	config_override(const char *service, const char *ports, char *err,
	    size_t errlen);

#endif
