/*
 * account.c -- who the client is: ident (a name for its address) and the
 * account commands (register, login, resume, logout). The token from login
 * is kept in the token file (mode 0600) so resume and logout work in later
 * runs. Passwords are read without echo, or from standard input with
 * --password-stdin, and wiped from memory after use.
 */
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "client/i18n.h"
#include "client/sockbin.h"
#include "shared/lang.h"

#define PASSWORD_MAX	1100	/* the server takes up to 1024 bytes */

/*
 * A name to tell the server: asked on a terminal, else the next line. On a
 * terminal the server may speak first, having given up on a user who is
 * slow to answer (a time limit, a stop): -2 then, so that nobody types into
 * a connection that is gone. The terminal's stdin is unbuffered (see
 * cmd_ident()): no typed line hides in stdio from poll().
 */
static int
ident_answer(struct client *c, char *buf, size_t size)
{
	struct pollfd pfd[2] = { { STDIN_FILENO, POLLIN, 0 },
	    { c->fd, POLLIN, 0 } };

	if (!isatty(STDIN_FILENO)) {
		if (fgets(buf, (int)size, stdin) == NULL)
			return -1;
		buf[strcspn(buf, "\r\n")] = '\0';
		return 0;
	}
	fputs(_("Your name: "), stderr);
	fflush(stderr);
	while (c->inlen == 0 && poll(pfd, 2, -1) == -1 && errno == EINTR)
		;
	if (c->inlen > 0 || (pfd[1].revents != 0 && pfd[0].revents == 0)) {
		fputc('\n', stderr);
		return -2;
	}
	return prompt_line("", buf, size);
}

/* The server spoke while we waited for the user: say what, and end. */
static void
ident_server_ended(struct client *c, int session)
{
	char line[512];
	ssize_t n;

	if (session)
		n = link_recv_reply(c, line, sizeof(line)) == 0 ?
		    (ssize_t)strlen(line) : -1;
	else if ((n = link_recv_line(c, line, sizeof(line),
	    CLIENT_REPLY_MS)) >= 0)
		link_log_recv(c, line, (size_t)n);
	link_close(c, "server ended");
	if (n < 0)
		client_lost(c);
	errx(EXIT_LOST, "%s: %s", c->server, line);
}

static int
ident_dialogue(struct client *c)
{
	char line[512], name[256];
	ssize_t n;
	int r;

	strlcpy(line, c->greeting, sizeof(line));
	for (;;) {
		printf("%s\n", line);
		fflush(stdout);
		/* The server's words, in any of its languages. */
		if (lang_starts(line, LANG_KNOWN) ||
		    lang_starts(line, LANG_STORED)) {
			link_close(c, "done");
			return 0;
		}
		if (!lang_asks_name(line)) {
			link_close(c, "refused");
			return EXIT_REFUSED;
		}
		if ((r = ident_answer(c, name, sizeof(name))) == -2)
			ident_server_ended(c, 0);
		if (r == -1) {
			link_close(c, "no answer");
			errx(EXIT_USAGE, _("no name given"));
		}
		link_send_line(c, name);
		if ((n = link_recv_line(c, line, sizeof(line),
		    CLIENT_REPLY_MS)) < 0)
			client_lost(c);
		link_log_recv(c, line, (size_t)n);
	}
}

int
cmd_ident(struct client *c, int argc, char **argv)
{
	char reply[512], name[256], req[300];
	int r;

	(void)argv;
	if (argc != 0)
		client_usage("ident");
	if (isatty(STDIN_FILENO))
		setvbuf(stdin, NULL, _IONBF, 0);
	if (c->proto == PROTO_IDENT)
		return ident_dialogue(c);
	if (link_request(c, "IDENTIFY", reply, sizeof(reply)) == -1)
		client_lost(c);
	if (strncmp(reply, "OK ", 3) == 0) {
		printf(_("Hello again, %s!\n"), reply + 3);
		link_close(c, "done");
		return 0;
	}
	if (strncmp(reply, "ERR 404", 7) != 0)
		return client_refused(c, reply);
	/* Unknown here: answer like the ident service asks, until taken. */
	for (;;) {
		printf(_("The server does not know this address. What is your "
		    "name?\n"));
		fflush(stdout);
		if ((r = ident_answer(c, name, sizeof(name))) == -2)
			ident_server_ended(c, 1);
		if (r == -1)
			errx(EXIT_USAGE, _("no name given"));
		snprintf(req, sizeof(req), "IDENTIFY %s", name);
		if (link_request(c, req, reply, sizeof(reply)) == -1)
			client_lost(c);
		if (strncmp(reply, "OK ", 3) == 0)
			break;
		if (strncmp(reply, "ERR 402", 7) != 0 ||
		    !isatty(STDIN_FILENO))
			return client_refused(c, reply);
		/* TRANSLATORS: %s is the server's reason, in English. */
		printf(_("Sorry, %s.\n"), reply + 8);
	}
	printf(_("Nice to meet you, %s!\n"), reply + 3);
	link_close(c, "done");
	return 0;
}

/* "VERB user password" to the server; the reply into reply. */
static void
account_send(struct client *c, const char *verb, const char *user,
    const char *password, char *reply, size_t size)
{
	char *req;
	int n;

	n = asprintf(&req, "%s %s %s", verb, user, password);
	if (n == -1)
		err(EXIT_LOST, "asprintf");
	if (link_request(c, req, reply, size) == -1)
		client_lost(c);
	sodium_memzero(req, (size_t)n);
	free(req);
}

int
cmd_register(struct client *c, int argc, char **argv)
{
	char pw[PASSWORD_MAX], again[PASSWORD_MAX], reply[512];

	if (argc != 1)
		client_usage("register USER");
	prompt_password(c, _("Password: "), pw, sizeof(pw));
	if (!c->password_stdin) {
		prompt_password(c, _("Password again: "), again,
		    sizeof(again));
		if (strcmp(pw, again) != 0) {
			link_close(c, "passwords differ");
			errx(EXIT_USAGE, _("the passwords differ"));
		}
		sodium_memzero(again, sizeof(again));
	}
	account_send(c, "REGISTER", argv[0], pw, reply, sizeof(reply));
	sodium_memzero(pw, sizeof(pw));
	link_close(c, "done");
	if (strncmp(reply, "OK ", 3) != 0)
		return client_refused(c, reply);
	printf("%s\n", reply + 3);
	return 0;
}

static void
token_save(struct client *c, const char *token)
{
	const char *path = c->cfg.token_file;
	int fd;

	/* 0600 from the start: the token is as good as the password. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd == -1 || fchmod(fd, 0600) == -1 ||
	    write(fd, token, strlen(token)) != (ssize_t)strlen(token) ||
	    write(fd, "\n", 1) != 1 || close(fd) == -1)
		err(EXIT_USAGE, _("token file %s"), path);
}

static void
token_load(struct client *c, char *token, size_t size)
{
	FILE *fp;

	if ((fp = fopen(c->cfg.token_file, "r")) == NULL) {
		if (errno == ENOENT)
			errx(EXIT_USAGE, _("no token in %s: log in first"),
			    c->cfg.token_file);
		err(EXIT_USAGE, _("token file %s"), c->cfg.token_file);
	}
	if (fgets(token, (int)size, fp) == NULL)
		errx(EXIT_USAGE, _("token file %s is empty"),
		    c->cfg.token_file);
	fclose(fp);
	token[strcspn(token, "\r\n")] = '\0';
}

/* resume and logout: the token is there, before any server is asked. */
void
account_need_token(struct client *c)
{
	char token[128];

	token_load(c, token, sizeof(token));
	sodium_memzero(token, sizeof(token));
}

int
cmd_login(struct client *c, int argc, char **argv)
{
	char pw[PASSWORD_MAX], reply[512], token[80], when[64];
	long long expires;
	time_t t;
	int r;

	if (argc != 1)
		client_usage("login USER");
	prompt_password(c, _("Password: "), pw, sizeof(pw));
	account_send(c, "LOGIN", argv[0], pw, reply, sizeof(reply));
	sodium_memzero(pw, sizeof(pw));
	link_close(c, "done");
	r = sscanf(reply, "OK token %64s expires %lld", token, &expires);
	if (r != 2)
		return client_refused(c, reply);
	sodium_memzero(reply, sizeof(reply));
	token_save(c, token);
	sodium_memzero(token, sizeof(token));
	t = (time_t)expires;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %z", localtime(&t));
	printf(_("logged in as %s; token kept in %s until %s\n"), argv[0],
	    c->cfg.token_file, when);
	return 0;
}

/* RESUME with the saved token: the user name, or the refusal's status. */
static int
account_resume(struct client *c, char *user, size_t size)
{
	char token[128], req[160], reply[512];

	token_load(c, token, sizeof(token));
	snprintf(req, sizeof(req), "RESUME %s", token);
	sodium_memzero(token, sizeof(token));
	if (link_request(c, req, reply, sizeof(reply)) == -1)
		client_lost(c);
	sodium_memzero(req, sizeof(req));
	if (strncmp(reply, "OK welcome ", 11) != 0) {
		link_close(c, "refused");
		return client_refused(c, reply);
	}
	strlcpy(user, reply + 11, size);
	return 0;
}

int
cmd_resume(struct client *c, int argc, char **argv)
{
	char user[256];
	int r;

	(void)argv;
	if (argc != 0)
		client_usage("resume");
	if ((r = account_resume(c, user, sizeof(user))) != 0)
		return r;
	link_close(c, "done");
	printf(_("logged in as %s\n"), user);
	return 0;
}

int
cmd_logout(struct client *c, int argc, char **argv)
{
	char user[256], reply[512];
	int r;

	(void)argv;
	if (argc != 0)
		client_usage("logout");
	if ((r = account_resume(c, user, sizeof(user))) != 0)
		return r;
	if (link_request(c, "LOGOUT", reply, sizeof(reply)) == -1)
		client_lost(c);
	link_close(c, "done");
	if (strcmp(reply, "OK logged out") != 0)
		return client_refused(c, reply);
	if (unlink(c->cfg.token_file) == -1)
		warn(_("token file %s"), c->cfg.token_file);
	printf(_("logged out %s\n"), user);
	return 0;
}
