/*
 * check_cases.c -- what sockbin check's cases share: the services and
 * their tables (check_text.c, check_files.c, check_accounts.c,
 * check_session.c), fresh loopback source addresses, and the concurrency
 * probe N/2.1 that every service has. Groups: N/1.x probe one client's
 * conversation, N/2.x the server's concurrency; sockbin(1) describes each
 * case.
 */
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client/check.h"
#include "shared/timefmt.h"

const char	check_cyrillic[] = "Титов Юрий Павлович";

static const struct {
	const char		*name;
	const struct check_case	*cases;
} check_services[] = {
	{ "echo",	check_echo_cases },
	{ "mirror",	check_mirror_cases },
	{ "pingpong",	check_pingpong_cases },
	{ "upload",	check_upload_cases },
	{ "ident",	check_ident_cases },
	{ "auth",	check_auth_cases },
	{ "session",	check_session_cases },
};

const struct check_case *
check_service_cases(const char *service)
{
	size_t i;

	for (i = 0; i < sizeof(check_services) / sizeof(check_services[0]);
	    i++)
		if (strcmp(check_services[i].name, service) == 0)
			return check_services[i].cases;
	return NULL;
}

/* A loopback address the server has not seen (127.x.y.z, x > 0), when the
 * server is on IPv4 loopback; else 0 (any source). */
uint32_t
check_fresh_source(const struct check_run *r)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)&r->addr;

	if (r->addr.ss_family != AF_INET ||
	    (ntohl(sin->sin_addr.s_addr) >> 24) != 127)
		return 0;
	return 127u << 24 | (1 + arc4random_uniform(254)) << 16 |
	    arc4random_uniform(256) << 8 | (1 + arc4random_uniform(254));
}


/* What makes the server answer at all, and that answer (any). */
static int
poke(struct check_conn *c)
{
	const char *svc = c->r->opt->service;
	char line[CHECK_LINE_MAX];

	if (strcmp(svc, "echo") == 0 || strcmp(svc, "mirror") == 0) {
		if (check_send_str(c, "are you there?\n") == -1)
			return -1;
	} else if (strcmp(svc, "upload") == 0) {
		if (check_send_str(c, "are you there?\n") == -1 ||
		    check_shutdown(c) == -1)
			return -1;
	} else if (strcmp(svc, "pingpong") == 0) {
		if (check_file_put(c->r, c->r->opt->exchange_file, "x",
		    1) == -1 ||
		    check_send_str(c, "_code1g_code2g") == -1)
			return -1;
		return check_recv_at_least(c, 7, "answer");
	} else if (strcmp(svc, "session") == 0)
		return check_recv_at_least(c, 4, "greeting");
	return check_recv_line(c, line, sizeof(line), "answer") == 0 ?
	    0 : -1;
}

/* Four clients connect and stay, silent; a fifth must be served. */
void
check_held_clients(struct check_run *r)
{
	struct check_conn held[CHECK_HELD], c;
	uint64_t t0;
	size_t i, n = 0;
	int alone;

	if (strcmp(r->opt->service, "pingpong") == 0 &&
	    check_need_exchange_file(r) == -1)
		return;
	/* First alone: a server that never answers is not sequential. */
	if (check_dial(r, &c, check_fresh_source(r)) == -1)
		return;
	alone = poke(&c);
	check_close(&c, 0);
	if (alone == -1)
		return;
	for (n = 0; n < CHECK_HELD; n++)
		if (check_dial(r, &held[n], check_fresh_source(r)) == -1)
			goto out;
	if (check_dial(r, &c, check_fresh_source(r)) == -1)
		goto out;
	t0 = timefmt_mono_ms();
	if (poke(&c) == 0) {
		snprintf(r->timing, sizeof(r->timing), "client %d served in "
		    "%llu ms while %d others stayed connected", CHECK_CLIENTS,
		    (unsigned long long)(timefmt_mono_ms() - t0), CHECK_HELD);
		strlcpy(r->concurrency, "concurrent", sizeof(r->concurrency));
	} else if (c.timedout) {
		free(r->cur->reason);
		r->cur->reason = NULL;
		r->cur->verdict = CHECK_PASSED;
		snprintf(r->timing, sizeof(r->timing), "client %d got no "
		    "answer within %d ms while %d others stayed connected",
		    CHECK_CLIENTS, r->opt->timeout_ms, CHECK_HELD);
		strlcpy(r->concurrency, "sequential", sizeof(r->concurrency));
		check_fail(r, "sequential: %s; the server serves one client "
		    "at a time", r->timing);
	}
	check_close(&c, 0);
out:
	for (i = 0; i < n; i++)
		check_close(&held[i], 0);
}

