/*
 * main.c -- sockbin, the client of sockbind.
 *
 * sockbin [-c FILE] [-H HOST] [-p PORT|MIN-MAX] [--password-stdin] COMMAND
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

#include "client/sockbin.h"
#include "shared/log.h"
#include "shared/net.h"

#ifndef SOCKBIN_CONF
#define SOCKBIN_CONF	"/usr/local/etc/sockbind/sockbin.ini"
#endif
#define FALLBACK_HOST	"127.0.0.1"
#define FALLBACK_PORTS	"65430-65440"

/* file_access: what the command's first argument, a local file, must
 * allow (access(2) mode), checked before connecting; 0 for none. */
static const struct command {
	const char	*name;
	const char	*args;
	int		(*run)(struct client *, int, char **);
	int		 file_access;
} commands[] = {
	{ "echo",	"TEXT",		cmd_echo,	0 },
	{ "mirror",	"TEXT",		cmd_mirror,	0 },
	{ "chat",	"",		cmd_chat,	0 },
	{ "send",	"",		cmd_send,	0 },
	{ "upload",	"FILE",		cmd_upload,	R_OK },
	{ "pingpong",	"FILE ROUNDS",	cmd_pingpong,	0 },
	{ "ident",	"",		cmd_ident,	0 },
	{ "register",	"USER",		cmd_register,	0 },
	{ "login",	"USER",		cmd_login,	0 },
	{ "resume",	"",		cmd_resume,	0 },
	{ "logout",	"",		cmd_logout,	0 },
	{ "status",	"",		cmd_status,	0 },
};

/* What can be told wrong before bothering a server: the number of
 * arguments, a TEXT too long for one reply, a local file that will not do. */
static void
main_check_args(const struct command *cmd, int argc, char **argv)
{
	const char *p;
	int words = 0;

	for (p = cmd->args; *p != '\0'; p += strcspn(p, " "),
	    p += strspn(p, " "))
		words++;
	if (argc != words)
		errx(EXIT_USAGE, "usage: sockbin %s%s%s", cmd->name,
		    words ? " " : "", cmd->args);
	if (strncmp(cmd->args, "TEXT", 4) == 0 &&
	    strlen(argv[0]) > CLIENT_TEXT_MAX)
		errx(EXIT_USAGE, "%s: TEXT is %zu bytes, at most %d", cmd->name,
		    strlen(argv[0]), CLIENT_TEXT_MAX);
	if (cmd->file_access != 0 && access(argv[0], cmd->file_access) == -1)
		err(EXIT_USAGE, "%s", argv[0]);
}

static void __attribute__((noreturn))
usage(int status)
{
	FILE *out = status ? stderr : stdout;
	size_t i;

	fprintf(out, "usage: sockbin [-hV] [-c file] [-H host] "
	    "[-p port|min-max] [--password-stdin] command [args]\n"
	    "commands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %s%s%s\n", commands[i].name,
		    commands[i].args[0] ? " " : "", commands[i].args);
	exit(status);
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "password-stdin", no_argument, NULL, 'P' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	const char *config_path = SOCKBIN_CONF, *host = NULL, *port = NULL;
	const struct command *cmd = NULL;
	struct client c;
	char err_buf[PATH_MAX + 256];
	int ch, explicit = 0;
	size_t i;

	memset(&c, 0, sizeof(c));
	c.fd = -1;
	/* "+": options end at the command, so its text may start with '-'
	 * ("echo -5 degrees") and is never taken for an option. */
	while ((ch = getopt_long(argc, argv, "+c:hH:p:V", longopts, NULL)) !=
	    -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			explicit = 1;
			break;
		case 'h':
			usage(0);
		case 'H':
			host = optarg;
			break;
		case 'p':
			port = optarg;
			break;
		case 'P':
			c.password_stdin = 1;
			break;
		case 'V':
			printf("sockbin %s\n", SOCKBIN_VERSION);
			return 0;
		default:
			usage(EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(EXIT_USAGE);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, argv[0]) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		warnx("unknown command '%s'", argv[0]);
		usage(EXIT_USAGE);
	}
	/* "sockbin echo -- -5": the usual end of options, after the command
	 * too, before text that starts with '-'. */
	if (argc > 1 && strcmp(argv[1], "--") == 0) {
		argv[1] = argv[0];
		argc--;
		argv++;
	}

	if (client_config_load(&c, config_path, explicit, err_buf,
	    sizeof(err_buf)) == -1)
		errx(EXIT_USAGE, "%s", err_buf);
	/* The command line overrides the file. */
	if (host != NULL)
		strlcpy(c.cfg.host, host, sizeof(c.cfg.host));
	if (port != NULL && client_parse_ports(port, &c.port_min,
	    &c.port_max) == -1)
		errx(EXIT_USAGE, "-p %s: not a port (1-65535) or a range "
		    "MIN-MAX", port);
	if (port != NULL)
		strlcpy(c.cfg.port, port, sizeof(c.cfg.port));
	/* Ask on a terminal for what nobody said; never without one. */
	if ((c.cfg.host[0] == '\0' || c.cfg.port[0] == '\0') &&
	    isatty(STDIN_FILENO) && !c.password_stdin &&
	    prompt_server(&c) == -1)
		errx(EXIT_USAGE, "no server given");
	if (c.cfg.host[0] == '\0')
		strlcpy(c.cfg.host, FALLBACK_HOST, sizeof(c.cfg.host));
	if (c.cfg.port[0] == '\0')
		strlcpy(c.cfg.port, FALLBACK_PORTS, sizeof(c.cfg.port));
	client_parse_ports(c.cfg.port, &c.port_min, &c.port_max);

	if (log_open(c.cfg.log, "sockbin", 1024, err_buf, sizeof(err_buf)) ==
	    -1)
		warnx("no client log: %s", err_buf);
	main_check_args(cmd, argc - 1, argv + 1);
	link_open(&c);
	return cmd->run(&c, argc - 1, argv + 1);
}
