/*
 * sockbin.h -- the client of sockbind: what its modules share.
 *
 * A run: options and config (main.c, config.c), questions on a terminal for
 * what is missing (prompt.c), a link to the first port of the range where a
 * server of a service the command can use answers (link.c), then one
 * command (commands.c, account.c, files.c).
 * The link finds out which protocol the server speaks from its first words
 * (unless the configuration or --service says): a session server greets
 * with a frame, an auth server with a line, an ident server asks a
 * question; echo, mirror, pingpong and upload servers say nothing until
 * spoken to, and are told apart by their answer (guess.c).
 */
#ifndef SOCKBIN_CLIENT_H
#define SOCKBIN_CLIENT_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/conf.h"
#include "shared/frame.h"
#include "shared/net.h"

#define SOCKBIN_VERSION		"0.1.0"

/* Exit statuses (sockbin(1) lists them). */
#define EXIT_REFUSED	1	/* the server said no, or a check failed */
#define EXIT_USAGE	2	/* bad option, config, answer, or no answer */
#define EXIT_NOSERVER	3	/* nobody to talk to */
#define EXIT_LOST	4	/* timeout, or the connection was lost */

#define CLIENT_REPLY_MS		30000	/* how long a reply may take */
/* echo and mirror TEXT: its reply (reversed, case-mapped, signed) still
 * fits a reply buffer and the link's line buffer. */
#define CLIENT_TEXT_MAX		4096
#define CLIENT_REPLY_MAX	8192

struct client_config {
	/* [server] */
	char	host[256];		/* "" : not given */
	char	port[32];		/* "N", "MIN-MAX", or "" */
	char	service[16];		/* "" : found out from the server */
	char	status[300];		/* "HOST:PORT" of the status listener */
	/* [client] */
	char	message[1024];
	int	interval;
	int	duration;
	char	log[PATH_MAX];		/* "" : ~/.sockbin.log */
	char	token_file[PATH_MAX];	/* "" : ~/.sockbin-token */
};

enum link_proto {
	PROTO_RAW,		/* says nothing first: echo, mirror ... */
	PROTO_IDENT,		/* asks or greets in lines */
	PROTO_AUTH,		/* session protocol in lines */
	PROTO_SESSION,		/* frames */
};

/* The services a server may run (guess.c), as bits of a mask. */
enum client_service {
	SVC_SESSION,
	SVC_ECHO,
	SVC_MIRROR,
	SVC_PINGPONG,
	SVC_UPLOAD,
	SVC_IDENT,
	SVC_AUTH,
	SVC_COUNT
};
#define SVC(s)		(1u << (s))
#define SVC_RAW		(SVC(SVC_ECHO) | SVC(SVC_MIRROR) | SVC(SVC_PINGPONG) | \
			    SVC(SVC_UPLOAD))
#define SVC_ALL		(SVC(SVC_COUNT) - 1)

/* Ports passed over, with the same reason for a run of them: nobody
 * answered (errnum), or a server of other services answered (services,
 * and the evidence, a static N_() text, or NULL: its first words). */
#define LINK_RUNS	8
struct link_run {
	int		 lo, hi;
	int		 errnum;
	unsigned	 services;	/* 0: nobody answered */
	const char	*evidence;
};

struct client {
	struct client_config	 cfg;
	const char		*config_path;
	const char		*command;
	unsigned		 need;		/* services it works with */
	int			 service;	/* known: SVC_..., else -1 */
	int			 password_stdin;
	int			 port_min, port_max;
	/* The link. */
	int			 fd;
	int			 port;		/* the one tried last */
	struct link_run		 runs[LINK_RUNS];
	int			 nruns, more_runs, told;
	enum link_proto		 proto;
	char			 server[NET_ADDRSTRLEN];
	char			 greeting[512];	/* the server's first words */
	char			 inbuf[8192];	/* lines not yet taken */
	size_t			 inlen;
	uint64_t		 opened_ms;
	struct frame_io		 io;
};

/* config.c */
extern const struct conf_key	client_keys[];
extern const size_t		client_nkeys;
int	client_config_load(struct client *, const char *path, int explicit,
	    char *err, size_t errlen);
int	client_check_service(const char *value, char *why, size_t whylen);

/* guess.c: guess_find() is the service of that name, or -1;
 * guess_names() writes "echo or session" for a mask (the word "or" in the
 * user's language if localized, else in English); guess_raw() tells a raw server from its first reply
 * line to text whose first line was sent: the service, or -1 when the
 * reply could come from any (*evidence: why, in English words marked
 * N_(), to be translated where they are shown). */
int	 guess_find(const char *name);
const char *guess_name(int service);
enum link_proto guess_proto(int service);
void	 guess_names(unsigned mask, int localized, char *buf, size_t size);
int	 guess_raw(const char *sent, const char *reply, const char **evidence);

/* prompt.c: ask on a terminal; 0, or -1 at end of input. */
int	prompt_server(struct client *);
int	prompt_line(const char *question, char *buf, size_t size);
void	prompt_password(struct client *, const char *question, char *buf,
	    size_t size);

/* link.c: link_open() connects to the first port of the range whose server
 * runs a service of c->need; link_next() passes over the server of the
 * link, which turned out to run service (its answer told, evidence says
 * how), and goes on to the next port. Both exit with EXIT_NOSERVER, or
 * EXIT_USAGE when only servers of other services answered, naming every
 * port's reason, or EXIT_LOST; a link still open at exit logs its
 * disconnect ("client exit"). link_no_reply() exits with EXIT_LOST: no
 * reply came within CLIENT_REPLY_MS. The
 * receiving functions return -1 when the server closed the connection
 * (link_recv_line() and link_recv_some() also -2 on a timeout), and
 * link_request()/link_recv_reply() take one reply: a frame from a session
 * server, a line from the others. */
void	 link_open(struct client *);
void	 link_next(struct client *, int service, const char *evidence);
void	 link_close(struct client *, const char *reason);
void	 link_no_reply(struct client *) __attribute__((noreturn));
void	 link_send(struct client *, const void *buf, size_t len,
	    const char *logtext);
void	 link_send_line(struct client *, const char *text);
ssize_t	 link_recv_line(struct client *, char *buf, size_t size, int ms);
ssize_t	 link_recv_some(struct client *, char *buf, size_t size, int ms);
int	 link_request(struct client *, const char *req, char *reply,
	    size_t size);
int	 link_recv_reply(struct client *, char *reply, size_t size);
void	 link_log_recv(struct client *, const char *text, size_t len);
void	 link_log_send(struct client *, const char *text, size_t len);
void	 link_log_data(struct client *, size_t len);

/* commands.c: client_usage() says how a command is used ("usage: sockbin
 * LINE") and exits with EXIT_USAGE; client_lost() says that the server of
 * the link closed the connection and exits with EXIT_LOST;
 * client_refused() prints an ERR reply and returns EXIT_REFUSED; client_check_raw() passes over a raw server whose reply
 * to text shows it runs a service the command cannot use (link_next()):
 * 1 when the link is now another server's, 0 when the reply will do;
 * client_first_line() copies the first line of len bytes of data into buf
 * as a string, cut to fit. */
void	client_usage(const char *line) __attribute__((noreturn));
void	client_lost(struct client *) __attribute__((noreturn));
int	client_refused(struct client *, const char *reply);
int	client_check_raw(struct client *, const char *sent, const char *reply);
void	client_first_line(const void *data, size_t len, char *buf,
	    size_t size);
int	cmd_echo(struct client *, int argc, char **argv);
int	cmd_mirror(struct client *, int argc, char **argv);
int	cmd_chat(struct client *, int argc, char **argv);
int	cmd_send(struct client *, int argc, char **argv);
int	cmd_status(struct client *, int argc, char **argv);

/* top.c: needs no link, only the status listener (cfg.status). */
int	cmd_top(struct client *, int argc, char **argv);

/* files.c */
int	cmd_upload(struct client *, int argc, char **argv);
int	cmd_pingpong(struct client *, int argc, char **argv);

/* account.c */
int	cmd_ident(struct client *, int argc, char **argv);
int	cmd_register(struct client *, int argc, char **argv);
int	cmd_login(struct client *, int argc, char **argv);
int	cmd_resume(struct client *, int argc, char **argv);
void	account_need_token(struct client *);
int	cmd_logout(struct client *, int argc, char **argv);

#endif
