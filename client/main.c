/*
 * main.c -- sockbin, the client of sockbind.
 *
 * sockbin [-c FILE] [-H HOST] [-p PORT|MIN-MAX] [--password-stdin]
 *     [--status HOST:PORT] COMMAND
 * Options, then the config file, then (on a terminal) questions for the
 * server's host and port if neither gave them; then the link and the
 * command. sockbin(1) documents commands and exit statuses.
 */
#include <err.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/check.h"
#include "client/i18n.h"
#include "client/sockbin.h"
#include "shared/log.h"
#include "shared/net.h"

#ifndef SOCKBIN_CONF
#define SOCKBIN_CONF	"/usr/local/etc/sockbind/sockbin.ini"
#endif
#define FALLBACK_HOST	"127.0.0.1"
#define FALLBACK_PORTS	"65430-65440"
#define FALLBACK_STATUS_PORT	"65429"	/* the sample config's [status] */

/* file_access: what the command's first argument, a local file, must
 * allow (access(2) mode), checked before connecting; 0 for none. need: the
 * services it works with. before: what else is checked before connecting.
 * A command whose args are "TEXT" takes the rest of the line as its text
 * (echo(1) joins its words so): no options after it. The others take
 * options anywhere after the command too ("login alice --password-stdin"),
 * up to "--". */
static const struct command {
	const char	*name;
	const char	*args;
	int		(*run)(struct client *, int, char **);
	int		 file_access;
	unsigned	 need;
	void		(*before)(struct client *);
} commands[] = {
	{ "echo",	"TEXT",		cmd_echo,	0,
	    SVC(SVC_SESSION) | SVC(SVC_ECHO), NULL },
	{ "mirror",	"TEXT",		cmd_mirror,	0,
	    SVC(SVC_SESSION) | SVC(SVC_MIRROR), NULL },
	{ "chat",	"",		cmd_chat,	0,	SVC_ALL, NULL },
	{ "send",	"",		cmd_send,	0,
	    SVC(SVC_SESSION) | SVC(SVC_ECHO) | SVC(SVC_MIRROR), NULL },
	{ "upload",	"FILE",		cmd_upload,	R_OK,
	    SVC(SVC_SESSION) | SVC(SVC_UPLOAD), NULL },
	{ "pingpong",	"FILE ROUNDS",	cmd_pingpong,	0,
	    SVC(SVC_PINGPONG), NULL },
	{ "ident",	"",		cmd_ident,	0,
	    SVC(SVC_SESSION) | SVC(SVC_IDENT), NULL },
	{ "register",	"USER",		cmd_register,	0,
	    SVC(SVC_SESSION) | SVC(SVC_AUTH), NULL },
	{ "login",	"USER",		cmd_login,	0,
	    SVC(SVC_SESSION) | SVC(SVC_AUTH), NULL },
	{ "resume",	"",		cmd_resume,	0,
	    SVC(SVC_SESSION) | SVC(SVC_AUTH), account_need_token },
	{ "logout",	"",		cmd_logout,	0,
	    SVC(SVC_SESSION) | SVC(SVC_AUTH), account_need_token },
	{ "status",	"",		cmd_status,	0,
	    SVC(SVC_SESSION), NULL },
	/* No link: the server's status listener (main_top()). */
	{ "top",	"[-n count]",	cmd_top,	0,	SVC_ALL, NULL },
};

/* What the command line said. */
struct options {
	const char	*config_path;
	int		 explicit;	/* -c given */
	const char	*host, *port, *service;
	const char	*status;	/* --status */
};

static int
main_is_text(const struct command *cmd)
{
	return strcmp(cmd->args, "TEXT") == 0;
}

/* What can be told wrong before bothering a server: the number of
 * arguments, a TEXT too long for one reply, a local file that will not do. */
static void
main_check_args(const struct command *cmd, int argc, char **argv)
{
	char line[64];
	const char *p;
	int words = 0;

	for (p = cmd->args; *p != '\0'; p += strcspn(p, " "),
	    p += strspn(p, " "))
		words++;
	snprintf(line, sizeof(line), "%s%s%s", cmd->name, words ? " " : "",
	    cmd->args);
	if (argc != words)
		client_usage(line);
	if (main_is_text(cmd) && strlen(argv[0]) > CLIENT_TEXT_MAX)
		errx(EXIT_USAGE, ngettext("%s: TEXT is %zu byte, at most %d",
		    "%s: TEXT is %zu bytes, at most %d", strlen(argv[0])),
		    cmd->name, strlen(argv[0]), CLIENT_TEXT_MAX);
	if (cmd->file_access != 0 && access(argv[0], cmd->file_access) == -1)
		err(EXIT_USAGE, "%s", argv[0]);
}

/*
 * The words after a TEXT command, joined by spaces into *text, as echo(1)
 * joins them: "sockbin echo a b c" sends "a b c". A first "--" is the
 * usual end of options and not part of the text ("echo -- -5"); any other
 * word is text, '-' or not ("echo -5 degrees"). Returns the number of
 * arguments the command has: 1, or 0 without a word.
 */
static int
main_text(int argc, char **argv, char **text)
{
	size_t len = 0, off = 0, n;
	int first, i;

	first = argc > 1 && strcmp(argv[1], "--") == 0 ? 2 : 1;
	if (argc <= first)
		return 0;
	for (i = first; i < argc; i++)
		len += strlen(argv[i]) + 1;
	if ((*text = malloc(len)) == NULL)
		err(EXIT_USAGE, "malloc");
	for (i = first; i < argc; i++) {
		n = strlen(argv[i]);
		memcpy(*text + off, argv[i], n);
		off += n;
		(*text)[off++] = i + 1 < argc ? ' ' : '\0';
	}
	return 1;
}

static void __attribute__((noreturn))
usage(void)
{
	size_t i;

	/* TRANSLATORS: the words in brackets are sockbin's own options and
	 * arguments, as sockbin(1) names them. */
	printf(_("usage: sockbin [-hV] [-c file] [-H host[:port]] "
	    "[-p port|min-max] [-s service] [--password-stdin]\n"
	    "               [--status host:port] command [args]\n"
	    "commands:\n"));
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		printf("  %s%s%s\n", commands[i].name,
		    commands[i].args[0] ? " " : "", commands[i].args);
	printf("  check SERVICE [options] [case ...]\n");
	exit(0);
}

/*
 * Options, getopt_long(3) with its own messages off: ours say "sockbin:"
 * like every other. in_order: stop at the first word that is not one (the
 * command), and return its index. Else (after the command, argv[0]) take
 * them anywhere up to "--", whatever POSIXLY_CORRECT says: the other words
 * are moved to argv[1...], in order, and their number returned.
 */
static int
main_options(struct client *c, struct options *o, int argc, char **argv,
    int in_order)
{
	static const struct option longopts[] = {
		{ "password-stdin", no_argument, NULL, 'P' },
		{ "service", required_argument, NULL, 's' },
		{ "status", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, words = 0;

	opterr = 0;
	optind = 0;		/* a fresh scan (glibc), once per call */
	/* "-": each word that is not an option comes back as option 1. */
	while ((ch = getopt_long(argc, argv, in_order ? "+:c:hH:p:s:V" :
	    "-:c:hH:p:s:V", longopts, NULL)) != -1) {
		switch (ch) {
		case 1:
			argv[++words] = optarg;
			break;
		case 'c':
			o->config_path = optarg;
			o->explicit = 1;
			break;
		case 'h':
			usage();
		case 'H':
			o->host = optarg;
			break;
		case 'p':
			o->port = optarg;
			break;
		case 's':
			o->service = optarg;
			break;
		case 'S':
			o->status = optarg;
			break;
		case 'P':
			c->password_stdin = 1;
			break;
		case 'V':
			printf("sockbin %s\n", SOCKBIN_VERSION);
			exit(0);
		case ':':
			errx(EXIT_USAGE, _("option %s needs a value"),
			    argv[optind - 1]);
		default:
			if (optopt != 0)
				errx(EXIT_USAGE, _("unknown option '-%c' "
				    "(sockbin -h lists them)"), optopt);
			errx(EXIT_USAGE, _("unknown option '%s' (sockbin -h "
			    "lists them)"), argv[optind - 1]);
		}
	}
	if (in_order)
		return optind;
	while (optind < argc)	/* after "--" */
		argv[++words] = argv[optind++];
	return words;
}

/*
 * A host as people write it ("::1", "[::1]:65430", "host:65430") into the
 * configuration's host, and its port, if it has one, into its port: unless
 * other (the key or option for the port) gives one too. what: where value
 * came from. Returns 1 when value gave the port.
 */
static int
main_take_host(struct client *c, const char *value, const char *what,
    const char *other, int other_given)
{
	char host[sizeof(c->cfg.host)], port[sizeof(c->cfg.port)], e[600];

	if (net_split_host_port(value, host, sizeof(host), port, sizeof(port),
	    e, sizeof(e)) == -1)
		errx(EXIT_USAGE, "%s %s", what, e);
	if (port[0] != '\0' && other_given)
		errx(EXIT_USAGE, _("%s %s gives a port, and so does %s"), what,
		    value, other);
	strlcpy(c->cfg.host, host, sizeof(c->cfg.host));
	if (port[0] != '\0')
		strlcpy(c->cfg.port, port, sizeof(c->cfg.port));
	return port[0] != '\0';
}

/* The command line over the file; what is missing, asked on a terminal
 * (only when neither the host nor the port is known), else the defaults. */
static void
main_server(struct client *c, const struct options *o)
{
	char err_buf[PATH_MAX + 256];
	const char *port_from = "[server] port";

	if (client_config_load(c, o->config_path, o->explicit, err_buf,
	    sizeof(err_buf)) == -1)
		errx(EXIT_USAGE, "%s", err_buf);
	if (c->cfg.host[0] != '\0' && main_take_host(c, c->cfg.host,
	    "[server] host", "[server] port", c->cfg.port[0] != '\0'))
		port_from = "[server] host";
	if (o->host != NULL && main_take_host(c, o->host, "-H", "-p",
	    o->port != NULL))
		port_from = "-H";
	if (o->port != NULL) {
		strlcpy(c->cfg.port, o->port, sizeof(c->cfg.port));
		port_from = "-p";
	}
	if (c->cfg.port[0] != '\0' && net_parse_ports(c->cfg.port,
	    &c->port_min, &c->port_max) == -1)
		errx(EXIT_USAGE, _("%s: '%s' is not a port (1-65535) or a "
		    "range MIN-MAX"), port_from, c->cfg.port);
	if (c->cfg.host[0] == '\0' && c->cfg.port[0] == '\0' &&
	    isatty(STDIN_FILENO) && !c->password_stdin &&
	    prompt_server(c) == -1)
		errx(EXIT_USAGE, _("no server given"));
	if (c->cfg.host[0] == '\0')
		strlcpy(c->cfg.host, FALLBACK_HOST, sizeof(c->cfg.host));
	if (c->cfg.port[0] == '\0')
		strlcpy(c->cfg.port, FALLBACK_PORTS, sizeof(c->cfg.port));
	net_parse_ports(c->cfg.port, &c->port_min, &c->port_max);
}

/* The service the server runs, when the command line or the file says:
 * the command must be able to use it, and nothing is sniffed for. */
static void
main_service(struct client *c, const struct options *o)
{
	const char *name = o->service ? o->service : c->cfg.service;
	char why[160], need[128];

	c->service = -1;
	if (name[0] == '\0')
		return;
	if (client_check_service(name, why, sizeof(why)) == -1)
		errx(EXIT_USAGE, "%s%s", o->service ? "--service: " : "", why);
	c->service = guess_find(name);
	if (c->need & SVC(c->service))
		return;
	guess_names(c->need, 1, need, sizeof(need));
	errx(EXIT_USAGE, _("%s: the server runs the %s service (%s); %s needs "
	    "the %s service"), c->command, name, o->service ? "--service" :
	    "[server] service", c->command, need);
}

/*
 * sockbin top talks to the status listener only: --status, else [server]
 * status, else the server's host (-H, [server] host, or the default) on
 * the sample configuration's status port. No link, no question.
 */
static int
main_top(struct client *c, const struct options *o, int argc, char **argv)
{
	char err_buf[PATH_MAX + 256];

	if (client_config_load(c, o->config_path, o->explicit, err_buf,
	    sizeof(err_buf)) == -1)
		errx(EXIT_USAGE, "%s", err_buf);
	if (o->status != NULL)
		strlcpy(c->cfg.status, o->status, sizeof(c->cfg.status));
	if (c->cfg.status[0] == '\0') {
		if (o->host != NULL)
			main_take_host(c, o->host, "-H", "-p", 0);
		else if (c->cfg.host[0] != '\0')
			main_take_host(c, c->cfg.host, "[server] host",
			    "[server] port", 0);
		else
			strlcpy(c->cfg.host, FALLBACK_HOST,
			    sizeof(c->cfg.host));
		snprintf(c->cfg.status, sizeof(c->cfg.status),
		    strchr(c->cfg.host, ':') ? "[%s]:%s" : "%s:%s",
		    c->cfg.host, FALLBACK_STATUS_PORT);
	}
	return cmd_top(c, argc - 1, argv + 1);
}

int
main(int argc, char *argv[])
{
	struct options o = { SOCKBIN_CONF, 0, NULL, NULL, NULL, NULL };
	const struct command *cmd = NULL;
	static struct client c;
	static char *text;	/* the words of a TEXT command, joined */
	char err_buf[PATH_MAX + 256];
	int n;
	size_t k;

	c.fd = -1;
	i18n_init();
	n = main_options(&c, &o, argc, argv, 1);
	argc -= n;
	argv += n;
	if (argc < 1)
		errx(EXIT_USAGE, _("no command given (sockbin -h lists them)"));
	/* check grades another server: options and connections its own. */
	if (strcmp(argv[0], "check") == 0)
		return check_main(argc, argv, o.host, o.port);
	for (k = 0; k < sizeof(commands) / sizeof(commands[0]); k++)
		if (strcmp(commands[k].name, argv[0]) == 0)
			cmd = &commands[k];
	if (cmd == NULL)
		errx(EXIT_USAGE, _("unknown command '%s' (sockbin -h lists "
		    "them)"), argv[0]);
	c.command = cmd->name;
	c.need = cmd->need;
	if (cmd->run == cmd_top)
		return main_top(&c, &o, argc, argv);
	if (main_is_text(cmd)) {
		argc = main_text(argc, argv, &text);
		argv = &text;
	} else {
		argc = main_options(&c, &o, argc, argv, 0);
		argv++;
	}
	main_check_args(cmd, argc, argv);
	main_server(&c, &o);
	main_service(&c, &o);
	if (cmd->before != NULL)
		cmd->before(&c);
	if (log_open(c.cfg.log, "sockbin", 1024, err_buf, sizeof(err_buf)) ==
	    -1)
		warnx(_("no client log: %s"), err_buf);
	link_open(&c);
	return cmd->run(&c, argc, argv);
}
