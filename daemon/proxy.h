/*
 * proxy.h -- the PROXY protocol on the connections a worker accepts
 * ([server] proxy_protocol and proxy_from; the header is shared/proxyproto.h).
 *
 * proxy_accept() runs on every accepted connection before it is served. With
 * proxy_protocol off it returns 0 and does nothing. Otherwise the connection
 * must come from proxy_from and start with a header of an accepted version:
 * it reads exactly the header's bytes (the client's first bytes stay in the
 * socket for the service), waiting PROXY_HEADER_MS at most for the whole of
 * it, and puts the client's address that the header gives (PROXY) in *peer;
 * for a LOCAL (a health check) or an UNKNOWN header *peer stays the proxy's.
 * It returns 0 with a "proxy" record logged, or -1 with a "refused" record
 * logged (naming the connection's own peer, never an address from its
 * header): the caller closes fd and serves nothing. The refusals of a peer
 * outside proxy_from are counted as refusals.h says (summary writes their
 * count); a trusted proxy's bad headers are each logged in full.
 * While it waits it calls heed() at least once a second (timed_out: no
 * byte came in that second): the worker's checks, as for a connection
 * (conn.h); -1 from it (the server stops, the master is gone) refuses the
 * connection with its reason.
 */
#ifndef SOCKBIND_PROXY_H
#define SOCKBIND_PROXY_H

#include <sys/socket.h>

#include "daemon/refusals.h"

#define PROXY_HEADER_MS	3000	/* the most a header may take to arrive */

struct config;

int	proxy_accept(int fd, struct sockaddr_storage *peer,
	    const struct config *cfg,
	    int (*heed)(int timed_out, const char **reason),
	    refusals_emit summary);

#endif
