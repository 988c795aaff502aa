/*
 * prompt.c -- ask the user, on a terminal, for what the command line and the
 * config did not say: the server's host and port, and passwords (without
 * echo, libbsd readpassphrase). An empty answer takes the default shown in
 * brackets; a bad answer is asked again with the reason; the end of input
 * ends the run cleanly.
 */
#include <sys/socket.h>

#include <arpa/inet.h>

#include <ctype.h>
#include <err.h>
#include <netdb.h>
#include <readpassphrase.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "client/i18n.h"
#include "client/sockbin.h"

#define DEFAULT_HOST	"127.0.0.1"
#define DEFAULT_PORTS	"65430-65440"

int
prompt_line(const char *question, char *buf, size_t size)
{
	fputs(question, stderr);
	fflush(stderr);
	if (fgets(buf, (int)size, stdin) == NULL) {
		fputc('\n', stderr);
		return -1;
	}
	buf[strcspn(buf, "\r\n")] = '\0';
	return 0;
}

/* Spaces around an answer are not part of it. */
static void
prompt_trim(char *s)
{
	size_t len = strlen(s), start = strspn(s, " \t");

	while (len > start && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	memmove(s, s + start, len - start);
	s[len - start] = '\0';
}

/* A host name (RFC 1123 labels) or an IP address, judged without lookup. */
static const char *
prompt_host_syntax(const char *s)
{
	unsigned char a[16];
	size_t len = strlen(s), label = 0, i;

	if (inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1)
		return NULL;
	if (len == 0 || len > 253)
		return _("a host name is 1-253 characters");
	for (i = 0; i <= len; i++) {
		if (s[i] == '.' || s[i] == '\0') {
			if (label == 0 || label > 63)
				return _("each part of a host name is 1-63 "
				    "characters");
			if (s[i - 1] == '-')
				return _("a part of a host name cannot end "
				    "with '-'");
			label = 0;
			continue;
		}
		/* Latin letters: the C locale's isalnum(). */
		if (!isalnum((unsigned char)s[i]) && s[i] != '-')
			return _("a host name has only letters, digits, '-' "
			    "and '.'");
		if (label == 0 && s[i] == '-')
			return _("a part of a host name cannot start with "
			    "'-'");
		label++;
	}
	return NULL;
}

static void
prompt_bad_port(const char *answer)
{
	fprintf(stderr, _("'%s' will not do: a port is 1-65535, or a range "
	    "MIN-MAX.\n"), answer);
}

/* A host as for -H: with ":PORT" (or "[ADDR]:PORT") it answers the port
 * question too. */
static int
prompt_host(char *host, size_t size, char *port, size_t portsize)
{
	struct addrinfo hints, *res;
	char answer[300], name[300], p[64], e[700], question[128];
	const char *why;
	int r, lo, hi;

	snprintf(question, sizeof(question), _("Server host [%s]: "),
	    DEFAULT_HOST);
	for (;;) {
		if (prompt_line(question, answer, sizeof(answer)) == -1)
			return -1;
		prompt_trim(answer);
		if (answer[0] == '\0')
			strlcpy(answer, DEFAULT_HOST, sizeof(answer));
		if (net_split_host_port(answer, name, sizeof(name), p,
		    sizeof(p), e, sizeof(e)) == -1) {
			fprintf(stderr, "%s.\n", e);
			continue;
		}
		if (p[0] != '\0' && net_parse_ports(p, &lo, &hi) == -1) {
			prompt_bad_port(p);
			continue;
		}
		if ((why = prompt_host_syntax(name)) != NULL) {
			fprintf(stderr, _("'%s' will not do: %s.\n"), name,
			    why);
			continue;
		}
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if ((r = getaddrinfo(name, NULL, &hints, &res)) != 0) {
			fprintf(stderr, _("'%s' will not do: %s.\n"), name,
			    gai_strerror(r));
			continue;
		}
		freeaddrinfo(res);
		strlcpy(host, name, size);
		if (p[0] != '\0')
			strlcpy(port, p, portsize);
		return 0;
	}
}

static int
prompt_port(char *port, size_t size)
{
	char answer[64], question[128];
	int lo, hi;

	snprintf(question, sizeof(question), _("Server port or range [%s]: "),
	    DEFAULT_PORTS);
	for (;;) {
		if (prompt_line(question, answer, sizeof(answer)) == -1)
			return -1;
		prompt_trim(answer);
		if (answer[0] == '\0')
			strlcpy(answer, DEFAULT_PORTS, sizeof(answer));
		if (net_parse_ports(answer, &lo, &hi) == 0) {
			strlcpy(port, answer, size);
			return 0;
		}
		prompt_bad_port(answer);
	}
}

int
prompt_server(struct client *c)
{
	if (c->cfg.host[0] == '\0' &&
	    prompt_host(c->cfg.host, sizeof(c->cfg.host), c->cfg.port,
	    sizeof(c->cfg.port)) == -1)
		return -1;
	if (c->cfg.port[0] == '\0' &&
	    prompt_port(c->cfg.port, sizeof(c->cfg.port)) == -1)
		return -1;
	return 0;
}

void
prompt_password(struct client *c, const char *question, char *buf,
    size_t size)
{
	if (c->password_stdin) {
		/* Scripts: the first line of standard input, once. */
		if (fgets(buf, (int)size, stdin) == NULL)
			errx(EXIT_USAGE, _("no password on standard input"));
		buf[strcspn(buf, "\r\n")] = '\0';
		return;
	}
	if (!isatty(STDIN_FILENO))
		errx(EXIT_USAGE, _("no terminal to ask for the password on: "
		    "use --password-stdin"));
	/* End of input (^D) gives an empty answer too; no password is
	 * empty, and an empty one must not be sent (nor count as a try). */
	if (readpassphrase(question, buf, size, RPP_REQUIRE_TTY) == NULL ||
	    buf[0] == '\0')
		errx(EXIT_USAGE, _("no password given"));
}
