/*
 * listener.h -- bind the first free port of a range.
 *
 * listener_bind() tries listen:port_min .. listen:port_max in order and
 * returns the listening socket of the first port it can bind, with the bound
 * address in `bound`. A port in use is skipped and reported through
 * on_skip. When every port is in use it returns -1 with LISTENER_ALL_IN_USE
 * in *why; on any other error, -1 with LISTENER_ERROR. err always says what
 * happened in one line. The socket's receive and send timeouts are slice_ms:
 * accept() returns at least that often, and every accepted connection
 * inherits both, from before its first accept(). No SO_REUSEPORT: it would
 * let a second instance bind a port the first one holds.
 */
#ifndef SOCKBIND_LISTENER_H
#define SOCKBIND_LISTENER_H

#include <sys/socket.h>

#include <stddef.h>

enum listener_error {
	LISTENER_ALL_IN_USE = 1,
	LISTENER_ERROR,
};

int	listener_bind(const char *listen, int port_min, int port_max,
	    int slice_ms, void (*on_skip)(int port),
	    struct sockaddr_storage *bound, int *why, char *err, size_t errlen);

#endif
