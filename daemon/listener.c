/* listener.c -- bind the first free port of a range. */
#include <sys/socket.h>
#include <sys/time.h>

#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/listener.h"
#include "shared/net.h"

#define LISTEN_BACKLOG	511

/* Returns the socket, -2 when the port is in use, or -1 on other errors. */
static int
listener_try(const char *addr, int port, int slice_ms,
    struct sockaddr_storage *ss, char *err, size_t errlen)
{
	struct timeval slice = { slice_ms / 1000, slice_ms % 1000 * 1000 };
	char where[NET_ADDRSTRLEN];
	socklen_t len;
	int fd, on = 1, off = 0, saved;

	if (net_listen_addr(addr, port, ss, &len, err, errlen) == -1)
		return -1;
	net_addr_str((struct sockaddr *)ss, where, sizeof(where));
	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd == -1 && errno == EAFNOSUPPORT && strcmp(addr, "*") == 0)
		return listener_try("0.0.0.0", port, slice_ms, ss, err,
		    errlen);
	if (fd == -1) {
		snprintf(err, errlen, "socket for %s: %s", where,
		    strerror(errno));
		return -1;
	}
	/* SO_REUSEADDR only lets us bind past TIME_WAIT connections; it
	 * never lets us share a port another socket listens on. The
	 * timeouts are set before listen(): every connection inherits them
	 * from the moment the kernel creates it, before any accept(). */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &slice,
	    sizeof(slice)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &slice,
	    sizeof(slice)) == -1 ||
	    (strcmp(addr, "*") == 0 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &off, sizeof(off)) == -1)) {
		snprintf(err, errlen, "setsockopt for %s: %s", where,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (bind(fd, (struct sockaddr *)ss, len) == -1 ||
	    listen(fd, LISTEN_BACKLOG) == -1) {
		saved = errno;
		close(fd);
		if (saved == EADDRINUSE)
			return -2;
		snprintf(err, errlen, "cannot listen on %s: %s", where,
		    strerror(saved));
		return -1;
	}
	return fd;
}

int
listener_bind(const char *addr, int port_min, int port_max, int slice_ms,
    void (*on_skip)(int), struct sockaddr_storage *bound, int *why,
    char *err, size_t errlen)
{
	char range[NET_PORTRANGELEN], what[256];
	int port, fd;

	net_port_range(port_min, port_max, range);
	for (port = port_min; port <= port_max; port++) {
		fd = listener_try(addr, port, slice_ms, bound, what,
		    sizeof(what));
		if (fd >= 0)
			return fd;
		if (fd == -1) {
			/* One line that names the range too. */
			snprintf(err, errlen, "port range %s: %s", range, what);
			*why = LISTENER_ERROR;
			return -1;
		}
		if (on_skip != NULL)
			on_skip(port);
	}
	*why = LISTENER_ALL_IN_USE;
	snprintf(err, errlen, "no free port in %s %s: every port is in use",
	    addr, range);
	return -1;
}
