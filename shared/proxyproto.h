/*
 * proxyproto.h -- the PROXY protocol header that a TCP proxy (HAProxy and
 * the like) puts in front of a connection to say whose it is: version 1
 * (a text line) and version 2 (binary), as HAProxy's doc/proxy-protocol.txt
 * defines them.
 *
 * proxyproto_parse() looks at the first len bytes that came on a connection
 * (buf) and says:
 *   PROXYPROTO_MORE   every one of the len bytes belongs to a header that is
 *                     not complete yet: read them, and more;
 *   PROXYPROTO_DONE   a whole header, hdr->len bytes long (bytes after it are
 *                     the client's), its contents in hdr;
 *   PROXYPROTO_ERROR  no valid header can start with these bytes (a header of
 *                     a version not in versions, garbage, a v1 line longer
 *                     than 107 bytes, a bad address or port, a v2 length too
 *                     short for its addresses): err says why, in words for a
 *                     log record, and never quotes the bytes.
 * It decides as early as the bytes allow: "GET / HTTP/1.0" is refused at its
 * first byte, not after a timeout. versions is PROXYPROTO_V1, PROXYPROTO_V2
 * or both. It keeps no state, never reads past buf[len), never allocates,
 * prints or exits.
 *
 * hdr->command says what the header asks:
 *   PROXYPROTO_PROXY    the connection is a client's, whose addresses are in
 *                       hdr->src (the client) and hdr->dst (the address it
 *                       connected to): AF_INET or AF_INET6 sockaddrs;
 *   PROXYPROTO_LOCAL    v2 LOCAL: the proxy speaks for itself (a health
 *                       check): keep the connection's own addresses;
 *   PROXYPROTO_UNKNOWN  v1 UNKNOWN, v2 PROXY with the UNSPEC family: the
 *                       proxy does not know the client: keep them too.
 * v2 TLVs are checked to lie within the header and are otherwise skipped.
 */
#ifndef SOCKBIN_PROXYPROTO_H
#define SOCKBIN_PROXYPROTO_H

#include <sys/socket.h>

#include <stddef.h>

#define PROXYPROTO_V1		1
#define PROXYPROTO_V2		2
#define PROXYPROTO_V1_MAX	107	/* the longest v1 line, CRLF included */
#define PROXYPROTO_V2_HEAD	16	/* signature, command, family, length */
#define PROXYPROTO_MAX		(PROXYPROTO_V2_HEAD + 65535)

enum proxyproto_status {
	PROXYPROTO_ERROR = -1,
	PROXYPROTO_MORE = 0,
	PROXYPROTO_DONE = 1,
};

enum proxyproto_command {
	PROXYPROTO_PROXY,
	PROXYPROTO_LOCAL,
	PROXYPROTO_UNKNOWN,
};

struct proxyproto_hdr {
	int			 version;	/* 1 or 2 */
	enum proxyproto_command	 command;
	size_t			 len;		/* the header's bytes */
	struct sockaddr_storage	 src;		/* PROXYPROTO_PROXY only */
	struct sockaddr_storage	 dst;
};

enum proxyproto_status	proxyproto_parse(const void *buf, size_t len,
			    int versions, struct proxyproto_hdr *hdr,
			    char *err, size_t errlen);
const char		*proxyproto_command_str(enum proxyproto_command);

#endif
