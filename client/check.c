/*
 * check.c -- sockbin check SERVICE [options] [case ...]: grade a server
 * someone else wrote against the lab's protocols. Options, the server's
 * address, the cases selected (all of the service's by default), a line
 * per case as it ends and the summary on stdout, then the reports asked
 * for. sockbin(1) lists the cases and options; docs/check-json.md the
 * JSON report.
 */
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "client/check.h"
#include "client/i18n.h"
#include "client/sockbin.h"
#include "shared/timefmt.h"

#define CHECK_DEFAULT_HOST	"127.0.0.1"
#define CHECK_DEFAULT_PORTS	"65430-65440"
#define CHECK_DEFAULT_NAME	"Sockbin Check"

static void __attribute__((noreturn))
check_usage(int status)
{
	fputs(_("usage: sockbin check SERVICE [-H host] [-p port|min-max] "
	    "[--signature TEXT]\n"
	    "       [--keep-case] [--delay-ms N] [--exchange-file PATH] "
	    "[--upload-dir DIR]\n"
	    "       [--name NAME] [--max-frame N] [--timeout-ms N] "
	    "[--json FILE]\n"
	    "       [--junit FILE] [--html FILE] [--list] [case ...]\n"
	    "SERVICE: echo, mirror, pingpong, upload, ident, auth, session\n"),
	    status ? stderr : stdout);
	exit(status);
}

static long
check_number(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi)
		errx(EXIT_USAGE, _("%s %s: not a number from %ld to %ld"), opt,
		    s, lo, hi);
	return v;
}

/* Does case id belong to the selection sel ("echo/1.3", "1.3", a group
 * "1" or "echo/1")? */
static int
check_selects(const char *service, const char *sel, const char *id)
{
	size_t slen = strlen(service), n;

	if (strncmp(sel, service, slen) == 0 && sel[slen] == '/')
		sel += slen + 1;
	id += slen + 1;
	n = strlen(sel);
	return strncmp(id, sel, n) == 0 && (id[n] == '\0' || id[n] == '.');
}

/* The cases to run, in table order, into sel (room for all the
 * service's cases); their number. */
static size_t
check_select(const struct check_case *cases, const char *service,
    char **args, int nargs, const struct check_case **sel)
{
	size_t i, n = 0;
	int a, hit, *used;

	if ((used = calloc(nargs + 1, sizeof(int))) == NULL)
		err(EXIT_LOST, "calloc");
	for (i = 0; cases[i].id != NULL; i++) {
		for (hit = nargs == 0, a = 0; a < nargs; a++)
			if (check_selects(service, args[a], cases[i].id))
				hit = used[a] = 1;
		if (hit)
			sel[n++] = &cases[i];
	}
	for (a = 0; a < nargs; a++)
		if (!used[a])
			errx(EXIT_USAGE, _("%s: no such case of %s (sockbin "
			    "check %s --list)"), args[a], service, service);
	free(used);
	return n;
}

/* The first address of host and port. */
static int
check_resolve(struct check_run *r, const char *host, int port)
{
	struct addrinfo hints, *res;
	char service[8];
	int e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(service, sizeof(service), "%d", port);
	if ((e = getaddrinfo(host, service, &hints, &res)) != 0)
		errx(EXIT_NOSERVER, "%s: %s", host, gai_strerror(e));
	memcpy(&r->addr, res->ai_addr, res->ai_addrlen);
	r->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	net_addr_str((struct sockaddr *)&r->addr, r->server,
	    sizeof(r->server));
	return 0;
}

/* A range: the first port that takes a connection (itself a client of
 * the server). A single port is not probed, so that a server serving one
 * client gets its one client from the first case. */
static void
check_find_port(struct check_run *r, const struct check_options *o)
{
	struct check_result probe;
	struct check_conn c;
	char range[NET_PORTRANGELEN];
	int port;

	check_resolve(r, o->host, o->port_min);
	if (o->port_min == o->port_max)
		return;
	memset(&probe, 0, sizeof(probe));
	r->cur = &probe;
	for (port = o->port_min; port <= o->port_max; port++) {
		check_resolve(r, o->host, port);
		r->deadline = timefmt_mono_ms() + CHECK_CONNECT_MS;
		probe.verdict = CHECK_PASSED;
		if (check_dial(r, &c, 0) == 0) {
			check_close(&c, 0);
			break;
		}
		free(probe.reason);
		probe.reason = NULL;
	}
	free(probe.reason);
	while (probe.nev > 0)
		free(probe.ev[--probe.nev].bytes);
	free(probe.ev);
	r->cur = NULL;
	if (port > o->port_max)
		errx(EXIT_NOSERVER, _("no server on %s ports %s"), o->host,
		    net_port_range(o->port_min, o->port_max, range));
}

static void
check_print(const struct check_result *res)
{
	printf("%-14s %-8s %s", res->tc->id, check_verdict_str(res->verdict),
	    res->tc->title);
	if (res->verdict == CHECK_SKIPPED)
		printf(" (%s)", res->reason ? res->reason : "");
	printf("\n");
	if (res->verdict != CHECK_FAILED)
		goto out;
	printf("%-14s %-8s %s\n", "", "", res->reason ? res->reason : "");
	if (res->expected != NULL)
		printf(_("%-14s %-8s expected: \"%s\"\n"), "", "",
		    res->expected);
	if (res->received != NULL)
		printf(_("%-14s %-8s received: \"%s\"\n"), "", "",
		    res->received);
out:
	fflush(stdout);
}

static void
check_run_case(struct check_run *r, const struct check_case *tc,
    struct check_result *res)
{
	const struct check_options *o = r->opt;

	memset(res, 0, sizeof(*res));
	res->tc = tc;
	r->cur = res;
	r->nconn = 0;
	r->case_start = timefmt_mono_ms();
	/* Every case ends by then, whatever the server does. */
	r->deadline = r->case_start + 3 * (uint64_t)o->timeout_ms +
	    10 * (uint64_t)o->delay_ms + 2000;
	tc->run(r);
	res->ms = timefmt_mono_ms() - r->case_start;
	check_print(res);
}

static void
check_free(struct check_result *res, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		for (j = 0; j < res[i].nev; j++)
			free(res[i].ev[j].bytes);
		free(res[i].ev);
		free(res[i].reason);
		free(res[i].expected);
		free(res[i].received);
	}
	free(res);
}

int
check_main(int argc, char **argv, const char *host, const char *port)
{
	enum { O_SIG = 256, O_KEEP, O_DELAY, O_XFILE, O_UDIR, O_NAME, O_FRAME,
	    O_TIMEOUT, O_JSON, O_JUNIT, O_HTML, O_LIST };
	static const struct option longopts[] = {
		{ "signature", required_argument, NULL, O_SIG },
		{ "keep-case", no_argument, NULL, O_KEEP },
		{ "delay-ms", required_argument, NULL, O_DELAY },
		{ "exchange-file", required_argument, NULL, O_XFILE },
		{ "upload-dir", required_argument, NULL, O_UDIR },
		{ "name", required_argument, NULL, O_NAME },
		{ "max-frame", required_argument, NULL, O_FRAME },
		{ "timeout-ms", required_argument, NULL, O_TIMEOUT },
		{ "json", required_argument, NULL, O_JSON },
		{ "junit", required_argument, NULL, O_JUNIT },
		{ "html", required_argument, NULL, O_HTML },
		{ "list", no_argument, NULL, O_LIST },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct {
		enum check_format	 fmt;
		const char		*path;
	} reports[] = { { CHECK_JSON, NULL }, { CHECK_JUNIT, NULL },
	    { CHECK_HTML, NULL } };
	struct check_options o;
	struct check_run r;
	struct check_result *res;
	char errbuf[PATH_MAX + 64], hostbuf[256], portbuf[NET_PORTRANGELEN];
	const struct check_case *cases, **sel;
	size_t nsel, i, failed = 0, passed = 0, skipped = 0;
	uint64_t t0;
	int ch, list = 0, bad = 0;

	memset(&o, 0, sizeof(o));
	o.host = host ? host : CHECK_DEFAULT_HOST;
	o.signature = "";
	o.name = CHECK_DEFAULT_NAME;
	o.max_frame = 1048576;
	o.timeout_ms = CHECK_TIMEOUT_MS;
	/* GNU getopt from the start, options anywhere, our own messages. */
	opterr = 0;
	optind = 0;
	while ((ch = getopt_long(argc, argv, ":hH:p:", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'H':
			o.host = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case O_SIG:
			o.signature = optarg;
			break;
		case O_KEEP:
			o.keep_case = 1;
			break;
		case O_DELAY:
			o.delay_ms = (int)check_number("--delay-ms", optarg, 0,
			    600000);
			break;
		case O_XFILE:
			o.exchange_file = optarg;
			break;
		case O_UDIR:
			o.upload_dir = optarg;
			break;
		case O_NAME:
			o.name = optarg;
			break;
		case O_FRAME:
			o.max_frame = (uint32_t)check_number("--max-frame",
			    optarg, 16, 64 * 1024 * 1024);
			break;
		case O_TIMEOUT:
			o.timeout_ms = (int)check_number("--timeout-ms",
			    optarg, 1, 600000);
			break;
		case O_JSON:
			o.json = optarg;
			break;
		case O_JUNIT:
			o.junit = optarg;
			break;
		case O_HTML:
			o.html = optarg;
			break;
		case O_LIST:
			list = 1;
			break;
		case 'h':
			check_usage(0);
		case ':':
			errx(EXIT_USAGE, _("check: option %s needs a value"),
			    argv[optind - 1]);
		default:
			if (optopt != 0)
				errx(EXIT_USAGE, _("check: unknown option "
				    "'-%c' (sockbin check -h lists them)"),
				    optopt);
			errx(EXIT_USAGE, _("check: unknown option '%s' "
			    "(sockbin check -h lists them)"), argv[optind - 1]);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		check_usage(EXIT_USAGE);
	o.service = argv[0];
	if ((cases = check_service_cases(o.service)) == NULL)
		errx(EXIT_USAGE, _("check: unknown service '%s' (echo, mirror, "
		    "pingpong, upload, ident, auth, session)"), o.service);
	if (net_split_host_port(o.host, hostbuf, sizeof(hostbuf), portbuf,
	    sizeof(portbuf), errbuf, sizeof(errbuf)) == -1)
		errx(EXIT_USAGE, "-H %s", errbuf);
	if (portbuf[0] != '\0' && port != NULL)
		errx(EXIT_USAGE, _("-H %s gives a port, and so does -p"),
		    o.host);
	o.host = hostbuf;
	if (portbuf[0] != '\0')
		port = portbuf;
	if (port == NULL)
		port = CHECK_DEFAULT_PORTS;
	if (net_parse_ports(port, &o.port_min, &o.port_max) == -1)
		errx(EXIT_USAGE, _("-p %s: not a port (1-65535) or a range "
		    "MIN-MAX"), port);
	for (i = 0; cases[i].id != NULL; i++)
		;
	if ((sel = calloc(i + 1, sizeof(*sel))) == NULL)
		err(EXIT_LOST, "calloc");
	nsel = check_select(cases, o.service, argv + 1, argc - 1, sel);
	if (list) {
		for (i = 0; i < nsel; i++)
			printf("%-14s %s\n", sel[i]->id, sel[i]->title);
		free(sel);
		return 0;
	}
	if (sodium_init() == -1)
		errx(EXIT_LOST, _("libsodium does not initialize"));
	signal(SIGPIPE, SIG_IGN);

	memset(&r, 0, sizeof(r));
	r.opt = &o;
	check_find_port(&r, &o);
	printf(ngettext("sockbin check %s %s: %zu case\n",
	    "sockbin check %s %s: %zu cases\n", nsel), o.service, r.server,
	    nsel);
	if ((res = calloc(nsel + 1, sizeof(*res))) == NULL)
		err(EXIT_LOST, "calloc");
	t0 = timefmt_mono_ms();
	for (i = 0; i < nsel; i++) {
		check_run_case(&r, sel[i], &res[i]);
		failed += res[i].verdict == CHECK_FAILED;
		passed += res[i].verdict == CHECK_PASSED;
		skipped += res[i].verdict == CHECK_SKIPPED;
	}
	t0 = timefmt_mono_ms() - t0;
	reports[0].path = o.json;
	reports[1].path = o.junit;
	reports[2].path = o.html;
	if (r.concurrency[0] != '\0')
		printf(_("concurrency: %s (%s)\n"), r.concurrency, r.timing);
	printf(_("%zu passed, %zu failed, %zu skipped\n"), passed, failed,
	    skipped);
	fflush(stdout);
	for (i = 0; i < sizeof(reports) / sizeof(reports[0]); i++)
		if (reports[i].path != NULL && check_report(reports[i].fmt,
		    reports[i].path, &r, res, nsel, t0, errbuf,
		    sizeof(errbuf)) == -1) {
			warnx("%s", errbuf);
			bad = 1;
		}
	check_free(res, nsel);
	free(sel);
	if (failed > 0)
		return EXIT_REFUSED;
	return bad ? EXIT_USAGE : 0;
}
