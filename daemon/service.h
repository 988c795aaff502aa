/*
 * service.h -- the services a worker can run on a connection.
 *
 * A service is a name, a function that serves one accepted connection until
 * it ends (the caller logs connect and disconnect and closes it), what it
 * logs (with log_text set, each message's text goes to the log; without,
 * only its size), and how a refused client can be told. Adding a service means one file
 * under daemon/services/ and one line in the table in service.c.
 *
 * What a service shares with another (the session's verbs reuse mirror,
 * upload, ident and the accounts) is in its own header under
 * daemon/services/.
 */
#ifndef SOCKBIND_SERVICE_H
#define SOCKBIND_SERVICE_H

#include <stddef.h>

struct conn;
struct config;

/* How a service can tell a client it is refused before serving it. */
enum service_refusal {
	SERVICE_REFUSE_SILENT,	/* no way: the client would take it as data */
	SERVICE_REFUSE_LINE,	/* an "ERR ..." line */
	SERVICE_REFUSE_CODED,	/* an "ERR 421 ..." line */
	SERVICE_REFUSE_FRAME,	/* an "ERR 421 ..." frame */
};

struct service {
	const char		*name;
	void			(*serve)(struct conn *, const struct config *);
	int			 log_text;
	enum service_refusal	 refusal;
};

const struct service	*service_find(const char *name);
int	service_check_name(const char *value, char *why, size_t whylen);

/* Each service's server, one per file under daemon/services/ (the auth
 * service is the session protocol in lines: services/session.c). */
void	echo_serve(struct conn *, const struct config *);
void	mirror_serve(struct conn *, const struct config *);
void	pingpong_serve(struct conn *, const struct config *);
void	upload_serve(struct conn *, const struct config *);
void	ident_serve(struct conn *, const struct config *);
void	session_serve(struct conn *, const struct config *);
void	session_auth_serve(struct conn *, const struct config *);

/* Services that need the store (store.c) opened at start-up. */
int	service_uses_store(const char *name);

#endif
