/*
 * service.h -- the services a worker can run on a connection.
 *
 * A service is a name and a function that serves one accepted connection
 * until it ends (the caller logs connect and disconnect and closes it).
 * Adding a service means one file under daemon/services/ and one line in the
 * table in service.c.
 */
#ifndef SOCKBIND_SERVICE_H
#define SOCKBIND_SERVICE_H

#include <stddef.h>

struct conn;
struct config;

struct service {
	const char	*name;
	void		(*serve)(struct conn *, const struct config *);
};

const struct service	*service_find(const char *name);
int	service_check_name(const char *value, char *why, size_t whylen);

/* services/echo.c */
void	echo_serve(struct conn *, const struct config *);

#endif
