/*
 * main.c -- sockbin, the client of sockbind.
 *
 * sockbin [-H host] [-p port|min-max] echo TEXT
 * Tries each port of the range in turn and uses the first that accepts.
 * A session server greets first ("OK sockbind ... session"): TEXT goes as
 * an ECHO request frame. A raw echo server says nothing: TEXT and a newline
 * go as they are. Prints what comes back. Exit status 0 when the reply is
 * the echo, 1 when no server answers or the reply differs, 2 on a usage
 * error.
 */
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/frame.h"

#define SOCKBIN_VERSION		"0.1.0"
#define CLIENT_TIMEOUT_MS	10000
#define CLIENT_GREETING_MS	300	/* a session server greets at once */
#define CLIENT_FRAME_MAX	(1 << 20)

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: sockbin [-hV] [-H host] [-p port|min-max] echo TEXT\n");
	exit(status);
}

static int
parse_ports(const char *s, int *lo, int *hi)
{
	char *end;
	long a, b;

	a = strtol(s, &end, 10);
	b = a;
	if (*end == '-')
		b = strtol(end + 1, &end, 10);
	if (*end != '\0' || a < 1 || b > 65535 || a > b)
		return -1;
	*lo = (int)a;
	*hi = (int)b;
	return 0;
}

/* The first port of the range that accepts a connection, as a socket. */
static int
client_connect(const char *host, int lo, int hi, int *port)
{
	struct addrinfo hints, *res, *ai;
	char service[8];
	int fd, saved = ECONNREFUSED, r;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	for (*port = lo; *port <= hi; (*port)++) {
		snprintf(service, sizeof(service), "%d", *port);
		if ((r = getaddrinfo(host, service, &hints, &res)) != 0)
			errx(1, "%s: %s", host, gai_strerror(r));
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
			if (fd == -1)
				continue;
			if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
				freeaddrinfo(res);
				return fd;
			}
			saved = errno;
			close(fd);
		}
		freeaddrinfo(res);
	}
	errno = saved;
	return -1;
}

static ssize_t
client_read(void *ctx, void *buf, size_t len)
{
	struct pollfd pfd = { *(int *)ctx, POLLIN, 0 };

	if (poll(&pfd, 1, CLIENT_TIMEOUT_MS) <= 0)
		return -1;
	return recv(*(int *)ctx, buf, len, 0);
}

static int
client_write(void *ctx, const void *buf, size_t len)
{
	return send(*(int *)ctx, buf, len, MSG_NOSIGNAL) == (ssize_t)len ?
	    0 : -1;
}

/* 1 when the server greets as a session server, 0 when it is silent. */
static int
client_is_session(int fd, const struct frame_io *io)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	uint32_t len;
	char *greeting;
	int session;

	if (poll(&pfd, 1, CLIENT_GREETING_MS) <= 0)
		return 0;
	if (frame_recv(io, CLIENT_FRAME_MAX, &greeting, &len) != FRAME_OK)
		errx(1, "the server sent something that is not a greeting");
	session = strncmp(greeting, "OK sockbind ", 12) == 0;
	free(greeting);
	return session;
}

static int
client_session_echo(const struct frame_io *io, const char *text)
{
	char *req, *reply;
	uint32_t len;
	int status;

	if (asprintf(&req, "ECHO %s", text) == -1)
		err(1, "asprintf");
	if (frame_send_text(io, req) != FRAME_OK)
		err(1, "send");
	if (frame_recv(io, CLIENT_FRAME_MAX, &reply, &len) != FRAME_OK)
		errx(1, "no reply from the server");
	status = strncmp(reply, "OK ", 3) == 0 &&
	    strcmp(reply + 3, text) == 0 ? 0 : 1;
	printf("%s\n", status == 0 ? reply + 3 : reply);
	free(req);
	free(reply);
	return status;
}

static int
client_echo(int fd, const char *text)
{
	size_t len = strlen(text) + 1, got = 0;
	struct pollfd pfd = { fd, POLLIN, 0 };
	char *msg, *reply;
	ssize_t n;

	if ((msg = malloc(len)) == NULL || (reply = malloc(len + 1)) == NULL)
		err(1, "malloc");
	memcpy(msg, text, len - 1);
	msg[len - 1] = '\n';
	if (send(fd, msg, len, MSG_NOSIGNAL) != (ssize_t)len)
		err(1, "send");
	while (got < len) {
		if (poll(&pfd, 1, CLIENT_TIMEOUT_MS) <= 0)
			errx(1, "no reply within %d s", CLIENT_TIMEOUT_MS / 1000);
		if ((n = recv(fd, reply + got, len - got, 0)) <= 0)
			errx(1, "server closed the connection");
		got += n;
	}
	reply[got] = '\0';
	fputs(reply, stdout);
	n = memcmp(reply, msg, len) == 0 ? 0 : 1;
	free(msg);
	free(reply);
	return (int)n;
}

int
main(int argc, char *argv[])
{
	const char *host = "127.0.0.1";
	int ch, lo = 65430, hi = 65440, port, fd, status;
	struct frame_io io = { &fd, client_read, client_write };

	while ((ch = getopt(argc, argv, "hH:p:V")) != -1) {
		switch (ch) {
		case 'h':
			usage(0);
		case 'H':
			host = optarg;
			break;
		case 'p':
			if (parse_ports(optarg, &lo, &hi) == -1)
				errx(2, "-p %s: not a port (1-65535) or a "
				    "range MIN-MAX", optarg);
			break;
		case 'V':
			printf("sockbin %s\n", SOCKBIN_VERSION);
			return 0;
		default:
			usage(2);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 2 || strcmp(argv[0], "echo") != 0)
		usage(2);
	if ((fd = client_connect(host, lo, hi, &port)) == -1)
		err(1, "no server on %s port%s %d-%d", host,
		    lo == hi ? "" : "s", lo, hi);
	status = client_is_session(fd, &io) ?
	    client_session_echo(&io, argv[1]) : client_echo(fd, argv[1]);
	close(fd);
	return status;
}
