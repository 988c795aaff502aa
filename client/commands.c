/*
 * commands.c -- the text commands: echo, mirror, status, chat, and the
 * periodic send. Each speaks the server's protocol: request frames to a
 * session server, plain lines to a raw one.
 */
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "client/i18n.h"
#include "client/sockbin.h"
#include "shared/timefmt.h"

#define LINE_MAX_LEN	4096

static volatile sig_atomic_t	interrupted;

static void
on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* Ctrl-C ends the command's loop, not the program: it closes cleanly. */
static void
catch_interrupt(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_interrupt;	/* no SA_RESTART: poll() returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void
client_usage(const char *line)
{
	errx(EXIT_USAGE, _("usage: sockbin %s"), line);
}

void
client_lost(struct client *c)
{
	errx(EXIT_LOST, _("%s closed the connection"), c->server);
}

int
client_refused(struct client *c, const char *reply)
{
	fprintf(stderr, "sockbin: %s: %s\n", c->server, reply);
	return EXIT_REFUSED;
}

void
client_first_line(const void *data, size_t len, char *buf, size_t size)
{
	const char *nl = memchr(data, '\n', len);

	if (nl != NULL)
		len = (size_t)(nl - (const char *)data);
	if (len >= size)
		len = size - 1;
	memcpy(buf, data, len);
	buf[len] = '\0';
}

int
client_check_raw(struct client *c, const char *sent, const char *reply)
{
	char s[CLIENT_TEXT_MAX + 1], r[CLIENT_REPLY_MAX];
	const char *evidence;
	int service;

	if (c->proto != PROTO_RAW)
		return 0;
	client_first_line(sent, strlen(sent), s, sizeof(s));
	client_first_line(reply, strlen(reply), r, sizeof(r));
	if ((service = guess_raw(s, r, &evidence)) == -1 ||
	    (c->need & SVC(service)))
		return 0;
	link_next(c, service, evidence);
	return 1;
}

/* Send text as a request (session) or as lines (raw); the reply into buf:
 * from a raw server, as many lines as were sent, joined by newlines. */
static void
text_exchange(struct client *c, const char *verb, const char *text,
    char *buf, size_t size)
{
	size_t off = 0, lines = 1;
	const char *p;
	char *req;
	ssize_t n;

	if (c->proto == PROTO_SESSION) {
		if (asprintf(&req, "%s %s", verb, text) == -1)
			err(EXIT_LOST, "asprintf");
		if (link_request(c, req, buf, size) == -1)
			client_lost(c);
		free(req);
		return;
	}
	for (p = text; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	link_send_line(c, text);
	while (lines-- > 0) {
		n = link_recv_line(c, buf + off, size - off, CLIENT_REPLY_MS);
		if (n == -2)
			link_no_reply(c);
		if (n == -1)
			client_lost(c);
		link_log_recv(c, buf + off, (size_t)n);
		off += (size_t)n;
		if (lines > 0 && off + 1 < size)
			buf[off++] = '\n';
		buf[off] = '\0';
	}
}

/* The text of a session reply without "OK ", or NULL for an ERR. */
static const char *
reply_text(struct client *c, const char *reply)
{
	if (c->proto != PROTO_SESSION)
		return reply;
	if (strncmp(reply, "OK ", 3) == 0)
		return reply + 3;
	return strcmp(reply, "OK") == 0 ? "" : NULL;
}

static int
text_command(struct client *c, const char *verb, int argc, char **argv,
    int must_match)
{
	char reply[CLIENT_REPLY_MAX];
	const char *text;

	char line[32];

	if (argc != 1) {
		snprintf(line, sizeof(line), "%s TEXT", c->command);
		client_usage(line);
	}
	/* A raw server that is not the one wanted: the next port's. */
	do
		text_exchange(c, verb, argv[0], reply, sizeof(reply));
	while (client_check_raw(c, argv[0], reply));
	link_close(c, "done");
	/* A raw server's error is a line "ERR ...", unless it echoes. */
	if ((text = reply_text(c, reply)) == NULL ||
	    (c->proto == PROTO_RAW && strncmp(reply, "ERR ", 4) == 0 &&
	    strcmp(reply, argv[0]) != 0))
		return client_refused(c, reply);
	printf("%s\n", text);
	if (must_match && strcmp(text, argv[0]) != 0) {
		warnx(_("the reply differs from what was sent"));
		return EXIT_REFUSED;
	}
	return 0;
}

int
cmd_echo(struct client *c, int argc, char **argv)
{
	return text_command(c, "ECHO", argc, argv, 1);
}

int
cmd_mirror(struct client *c, int argc, char **argv)
{
	return text_command(c, "MIRROR", argc, argv, 0);
}

int
cmd_status(struct client *c, int argc, char **argv)
{
	char reply[65536];
	const char *text;

	(void)argv;
	if (argc != 0)
		client_usage("status");
	if (link_request(c, "STATUS", reply, sizeof(reply)) == -1)
		client_lost(c);
	link_close(c, "done");
	if ((text = reply_text(c, reply)) == NULL)
		return client_refused(c, reply);
	printf("%s\n", text);
	return 0;
}

/* Requests and replies, one at a time: session and auth servers. */
static int
chat_requests(struct client *c)
{
	char *line = NULL, reply[65536];
	int tty = isatty(STDIN_FILENO), status = 0;
	size_t cap = 0;

	for (;;) {
		if (tty)
			fputs("> ", stderr);
		/* Whole lines, however long: a cut one would go out as two
		 * requests, split anywhere, even inside a character. */
		if (getline(&line, &cap, stdin) == -1)
			break;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if (link_request(c, line, reply, sizeof(reply)) == -1) {
			link_close(c, "server closed");
			printf(_("(the server closed the connection)\n"));
			status = EXIT_LOST;
			break;
		}
		printf("%s\n", reply);
		fflush(stdout);
		if (strcasecmp(line, "QUIT") == 0 && strcmp(reply, "OK") == 0) {
			link_close(c, "quit");
			break;
		}
	}
	link_close(c, "end of input");
	free(line);
	return status;
}

/* Both ways at once: raw servers answer when and how they like. */
static int
chat_stream(struct client *c)
{
	struct pollfd pfd[2];
	char *line = NULL, buf[LINE_MAX_LEN];
	int in_open = 1, lost = 0;
	size_t cap = 0;
	ssize_t n;

	catch_interrupt();
	if (c->greeting[0] != '\0')
		printf("%s\n", c->greeting);
	fflush(stdout);
	while (!interrupted) {
		pfd[0].fd = in_open ? STDIN_FILENO : -1;
		pfd[0].events = POLLIN;
		pfd[1].fd = c->fd;
		pfd[1].events = POLLIN;
		if (c->inlen > 0)
			pfd[1].revents = POLLIN;
		else if (poll(pfd, 2, in_open ? -1 : CLIENT_REPLY_MS) <= 0) {
			if (errno == EINTR)
				continue;
			break;		/* no more after our end: done */
		}
		if (in_open && (pfd[0].revents & (POLLIN | POLLHUP))) {
			if (getline(&line, &cap, stdin) == -1) {
				/* Our end: let the server answer and close. */
				shutdown(c->fd, SHUT_WR);
				in_open = 0;
			} else {
				line[strcspn(line, "\r\n")] = '\0';
				link_send_line(c, line);
			}
		}
		if (c->inlen > 0 || (pfd[1].revents & (POLLIN | POLLHUP))) {
			if ((n = link_recv_some(c, buf, sizeof(buf), 0)) <= 0) {
				/* Closed before our end: lost, except by
				 * ident, which ends its dialogue itself. */
				lost = in_open && c->proto != PROTO_IDENT;
				break;
			}
			link_log_recv(c, buf, (size_t)n);
			fwrite(buf, 1, (size_t)n, stdout);
			fflush(stdout);
		}
	}
	link_close(c, interrupted ? "interrupted" : "server closed");
	free(line);
	if (lost)
		warnx(_("%s closed the connection"), c->server);
	return lost ? EXIT_LOST : 0;
}

int
cmd_chat(struct client *c, int argc, char **argv)
{
	(void)argv;
	if (argc != 0)
		client_usage("chat");
	if (c->proto == PROTO_SESSION || c->proto == PROTO_AUTH)
		return chat_requests(c);
	return chat_stream(c);
}

/* Wait until the monotonic deadline, noticing the server closing. */
static int
send_wait(struct client *c, uint64_t until)
{
	struct pollfd pfd = { c->fd, POLLIN, 0 };
	uint64_t now;

	while (!interrupted && (now = timefmt_mono_ms()) < until) {
		if (poll(&pfd, 1, (int)(until - now)) > 0)
			return 1;	/* the server speaks unasked: an end */
	}
	return 0;
}

/* A session's last words before it closes, if it said any: the session
 * is lost before its time (EXIT_LOST). */
static int
send_report_end(struct client *c, const char *last)
{
	fflush(stdout);
	if (last != NULL)
		warnx(_("the server ended the session: %s"), last);
	else
		warnx(_("the server ended the session"));
	link_close(c, "server ended the session");
	return EXIT_LOST;
}

int
cmd_send(struct client *c, int argc, char **argv)
{
	char reply[LINE_MAX_LEN], stamp[TIMEFMT_ISO8601_LEN], *req = NULL;
	uint64_t start = timefmt_mono_ms(), end, next;
	const char *msg = c->cfg.message;
	int sent = 0;
	ssize_t n;

	(void)argv;
	if (argc != 0)
		client_usage("send");
	catch_interrupt();
	end = start + (uint64_t)c->cfg.duration * 1000;
	if (c->proto == PROTO_SESSION && asprintf(&req, "MIRROR %s", msg) == -1)
		err(EXIT_LOST, "asprintf");
	for (next = start; !interrupted && next < end;
	    next += (uint64_t)c->cfg.interval * 1000) {
		if (send_wait(c, next)) {
			/* Data we did not ask for: the server's last word. */
			n = c->proto == PROTO_SESSION ?
			    link_request(c, "QUIT", reply, sizeof(reply)) :
			    link_recv_line(c, reply, sizeof(reply), 0);
			if (c->proto != PROTO_SESSION && n >= 0)
				link_log_recv(c, reply, (size_t)n);
			free(req);
			return send_report_end(c, n >= 0 ? reply : NULL);
		}
		if (interrupted)
			break;
		if (c->proto == PROTO_SESSION) {
			if (link_request(c, req, reply, sizeof(reply)) == -1) {
				free(req);
				return send_report_end(c, NULL);
			}
		} else {
			link_send_line(c, msg);
			if ((n = link_recv_line(c, reply, sizeof(reply),
			    CLIENT_REPLY_MS)) == -2)
				link_no_reply(c);
			if (n < 0)
				return send_report_end(c, NULL);
			link_log_recv(c, reply, (size_t)n);
			/* Not an echo or mirror server: the next port's, at
			 * once. */
			if (sent == 0 && client_check_raw(c, msg, reply)) {
				next -= (uint64_t)c->cfg.interval * 1000;
				continue;
			}
		}
		/* The server's last word instead of a reply: said once. */
		if (strncmp(reply, "ERR 408", 7) == 0 ||
		    strncmp(reply, "ERR timeout", 11) == 0 ||
		    strncmp(reply, "ERR 503", 7) == 0 ||
		    strncmp(reply, "ERR shutdown", 12) == 0) {
			free(req);
			return send_report_end(c, reply);
		}
		sent++;
		timefmt_now(stamp);
		printf("%s %s\n", stamp, reply_text(c, reply) ?
		    reply_text(c, reply) : reply);
		fflush(stdout);
	}
	/* Cleanly, Ctrl-C or not: say goodbye where the protocol has it. */
	if (c->proto == PROTO_SESSION)
		(void)link_request(c, "QUIT", reply, sizeof(reply));
	free(req);
	link_close(c, interrupted ? "interrupted" : "done");
	if (interrupted)
		warnx(ngettext("%d message sent, interrupted",
		    "%d messages sent, interrupted", sent), sent);
	else
		warnx(ngettext("%d message sent", "%d messages sent", sent),
		    sent);
	return 0;
}
