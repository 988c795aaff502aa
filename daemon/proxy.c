/* proxy.c -- the PROXY protocol on accepted connections (see proxy.h). */
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "daemon/config.h"
#include "daemon/conn.h"
#include "daemon/proxy.h"
#include "shared/cidr.h"
#include "shared/log.h"
#include "shared/net.h"
#include "shared/proxyproto.h"
#include "shared/timefmt.h"

/* The header so far; a worker serves one connection at a time. */
static unsigned char	proxy_buf[PROXYPROTO_MAX];

static int
proxy_refuse(const char *peer, const char *why)
{
	log_event("refused", "client=%s reason=proxy_protocol error=\"%s\"",
	    peer, why);
	return -1;
}

/*
 * Wait for more of the header, then take the bytes of it that came: all of
 * them while it is incomplete (every byte before its end is the header's),
 * only up to its end once it is whole. Peeking first is what keeps the
 * client's bytes that came in the same segment in the socket.
 * Returns the parser's status after the new bytes, with why filled in on
 * PROXYPROTO_ERROR.
 */
static enum proxyproto_status
proxy_read(int fd, size_t *have, uint64_t deadline, int versions,
    int (*heed)(int, const char **), struct proxyproto_hdr *hdr, char *why,
    size_t whylen)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	enum proxyproto_status st;
	const char *reason;
	uint64_t now;
	ssize_t n;
	size_t take;
	int r;

	for (;;) {
		if ((now = timefmt_mono_ms()) >= deadline) {
			snprintf(why, whylen, "no complete header within "
			    "%d ms", PROXY_HEADER_MS);
			return PROXYPROTO_ERROR;
		}
		r = poll(&pfd, 1, deadline - now < CONN_SLICE_MS ?
		    (int)(deadline - now) : CONN_SLICE_MS);
		/* A signal, a stop, a quiet second: the worker's checks. */
		if (heed(r == 0, &reason) == -1) {
			snprintf(why, whylen, "%s", reason);
			return PROXYPROTO_ERROR;
		}
		if (r <= 0)
			continue;
		n = recv(fd, proxy_buf + *have, sizeof(proxy_buf) - *have,
		    MSG_PEEK);
		if (n > 0)
			break;
		if (n == 0) {
			snprintf(why, whylen, "closed before the header was "
			    "complete");
			return PROXYPROTO_ERROR;
		}
		if (errno != EINTR && errno != EAGAIN) {
			snprintf(why, whylen, "recv: %s", strerror(errno));
			return PROXYPROTO_ERROR;
		}
	}
	st = proxyproto_parse(proxy_buf, *have + n, versions, hdr, why,
	    whylen);
	if (st == PROXYPROTO_ERROR)
		return st;
	take = st == PROXYPROTO_DONE ? hdr->len - *have : (size_t)n;
	/* Bytes already peeked at: they are there to be read. */
	if (recv(fd, proxy_buf + *have, take, MSG_WAITALL) != (ssize_t)take) {
		snprintf(why, whylen, "recv: %s", strerror(errno));
		return PROXYPROTO_ERROR;
	}
	*have += take;
	return st;
}

int
proxy_accept(int fd, struct sockaddr_storage *peer, const struct config *cfg,
    int (*heed)(int, const char **), refusals_emit summary)
{
	struct proxyproto_hdr hdr;
	enum proxyproto_status st;
	char from[NET_ADDRSTRLEN], client[NET_ADDRSTRLEN];
	char host[NET_ADDRSTRLEN], why[128];
	uint64_t deadline;
	size_t have = 0;

	if (cfg->proxy_versions == 0)
		return 0;
	net_addr_str((struct sockaddr *)peer, from, sizeof(from));
	/* Anyone at all can knock on the port: counted, not each logged. */
	if (!cidr_list_match(&cfg->proxy_nets, (struct sockaddr *)peer)) {
		net_addr_host((struct sockaddr *)peer, host, sizeof(host));
		if (refusals_note(host, "proxy_protocol", timefmt_mono_ms(),
		    summary))
			proxy_refuse(from, "not in proxy_from");
		return -1;
	}
	deadline = timefmt_mono_ms() + PROXY_HEADER_MS;
	do {
		st = proxy_read(fd, &have, deadline, cfg->proxy_versions, heed,
		    &hdr, why, sizeof(why));
		if (st == PROXYPROTO_ERROR)
			return proxy_refuse(from, why);
	} while (st == PROXYPROTO_MORE);
	if (hdr.command == PROXYPROTO_PROXY)
		memcpy(peer, &hdr.src, sizeof(*peer));
	net_addr_str((struct sockaddr *)peer, client, sizeof(client));
	log_event("proxy", "client=%s proxy=%s version=%d command=%s", client,
	    from, hdr.version, proxyproto_command_str(hdr.command));
	return 0;
}
