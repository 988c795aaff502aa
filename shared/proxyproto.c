/* proxyproto.c -- the PROXY protocol header, v1 and v2 (see proxyproto.h). */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "shared/proxyproto.h"

#define V1_PREFIX	"PROXY "
#define V1_PREFIX_LEN	6
#define V2_SIG		"\r\n\r\n\0\r\nQUIT\n"
#define V2_SIG_LEN	12
#define V2_ADDR4_LEN	12	/* two IPv4 addresses, two ports */
#define V2_ADDR6_LEN	36	/* two IPv6 addresses, two ports */
#define V2_TLV_HEAD	3	/* type, 16-bit length */

static enum proxyproto_status
proxyproto_fail(char *err, size_t errlen, const char *why)
{
	snprintf(err, errlen, "%s", why);
	return PROXYPROTO_ERROR;
}

/* Fill a sockaddr from an address in network order and a port. */
static void
proxyproto_addr(struct sockaddr_storage *ss, int family, const void *addr,
    unsigned port)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET) {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, addr, 4);
		sin->sin_port = htons(port);
	} else {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, addr, 16);
		sin6->sin6_port = htons(port);
	}
}

/* The next space-separated field of a v1 line: its length, or 0 when it is
 * empty (two spaces, a space at the end). *p moves past it and its space. */
static size_t
proxyproto_v1_field(const char **p, const char *end, const char **field)
{
	const char *s = *p;

	*field = s;
	while (s < end && *s != ' ')
		s++;
	*p = s < end ? s + 1 : s;
	return (size_t)(s - *field);
}

/* "TCP4 SRC DST SPORT DPORT" once "PROXY " is gone: 0, or -1. */
static int
proxyproto_v1_addrs(const char *p, const char *end, int family,
    struct proxyproto_hdr *hdr)
{
	unsigned char bin[2][16];
	char text[INET6_ADDRSTRLEN + 1];
	unsigned port[2];
	const char *field;
	size_t n, i;
	int k;

	for (k = 0; k < 2; k++) {
		n = proxyproto_v1_field(&p, end, &field);
		if (n == 0 || n >= sizeof(text))
			return -1;
		memcpy(text, field, n);
		text[n] = '\0';
		if (inet_pton(family, text, bin[k]) != 1)
			return -1;
	}
	for (k = 0; k < 2; k++) {
		n = proxyproto_v1_field(&p, end, &field);
		if (n == 0 || n > 5 || (n > 1 && field[0] == '0'))
			return -1;
		for (port[k] = 0, i = 0; i < n; i++) {
			if (field[i] < '0' || field[i] > '9')
				return -1;
			port[k] = port[k] * 10 + (unsigned)(field[i] - '0');
		}
		if (port[k] > 65535)
			return -1;
	}
	/* Nothing after the last port: p stopped at the end, and no space
	 * was skipped to get there. */
	if (p != end || end[-1] == ' ')
		return -1;
	proxyproto_addr(&hdr->src, family, bin[0], port[0]);
	proxyproto_addr(&hdr->dst, family, bin[1], port[1]);
	return 0;
}

static enum proxyproto_status
proxyproto_v1(const unsigned char *buf, size_t len, struct proxyproto_hdr *hdr,
    char *err, size_t errlen)
{
	const char *line = (const char *)buf, *p, *end, *field;
	size_t i, n;

	for (i = 0; i < len && i < V1_PREFIX_LEN; i++)
		if (buf[i] != (unsigned char)V1_PREFIX[i])
			return proxyproto_fail(err, errlen,
			    "not a PROXY protocol header");
	for (i = 0; i < len && i < PROXYPROTO_V1_MAX; i++) {
		if (buf[i] == '\n')
			break;
		/* A CR only just before the LF; nothing else that is not
		 * printable ASCII. */
		if (buf[i] == '\r' && i + 1 < len && buf[i + 1] != '\n')
			return proxyproto_fail(err, errlen, "v1: a CR inside "
			    "the line");
		if (buf[i] != '\r' && (buf[i] < 0x20 || buf[i] > 0x7e))
			return proxyproto_fail(err, errlen, "v1: a control or "
			    "non-ASCII byte in the line");
	}
	if (i == PROXYPROTO_V1_MAX)
		return proxyproto_fail(err, errlen, "v1: no CRLF in the first "
		    "107 bytes");
	if (i == len)
		return PROXYPROTO_MORE;
	if (buf[i - 1] != '\r')
		return proxyproto_fail(err, errlen, "v1: the line does not "
		    "end in CRLF");
	hdr->version = 1;
	hdr->len = i + 1;
	p = line + V1_PREFIX_LEN;
	end = line + i - 1;
	n = proxyproto_v1_field(&p, end, &field);
	if (n == 7 && memcmp(field, "UNKNOWN", 7) == 0) {
		/* The rest of the line is to be ignored. */
		hdr->command = PROXYPROTO_UNKNOWN;
		return PROXYPROTO_DONE;
	}
	hdr->command = PROXYPROTO_PROXY;
	if (n == 4 && memcmp(field, "TCP4", 4) == 0) {
		if (proxyproto_v1_addrs(p, end, AF_INET, hdr) == -1)
			return proxyproto_fail(err, errlen, "v1: TCP4 wants "
			    "two IPv4 addresses and two ports");
	} else if (n == 4 && memcmp(field, "TCP6", 4) == 0) {
		if (proxyproto_v1_addrs(p, end, AF_INET6, hdr) == -1)
			return proxyproto_fail(err, errlen, "v1: TCP6 wants "
			    "two IPv6 addresses and two ports");
	} else
		return proxyproto_fail(err, errlen, "v1: the protocol is "
		    "none of TCP4, TCP6, UNKNOWN");
	return PROXYPROTO_DONE;
}

/* The TLVs after the addresses: each must lie within the header. */
static int
proxyproto_v2_tlvs(const unsigned char *p, size_t left)
{
	size_t n;

	while (left > 0) {
		if (left < V2_TLV_HEAD)
			return -1;
		n = (size_t)p[1] << 8 | p[2];
		if (n > left - V2_TLV_HEAD)
			return -1;
		p += V2_TLV_HEAD + n;
		left -= V2_TLV_HEAD + n;
	}
	return 0;
}

static enum proxyproto_status
proxyproto_v2(const unsigned char *buf, size_t len, struct proxyproto_hdr *hdr,
    char *err, size_t errlen)
{
	const unsigned char *a;
	size_t i, body, need = 0;
	int family = 0;

	for (i = 0; i < len && i < V2_SIG_LEN; i++)
		if (buf[i] != (unsigned char)V2_SIG[i])
			return proxyproto_fail(err, errlen,
			    "not a PROXY protocol header");
	if (len > 12 && (buf[12] >> 4) != 2)
		return proxyproto_fail(err, errlen, "v2: the version is not 2");
	if (len > 12 && (buf[12] & 0x0f) > 1)
		return proxyproto_fail(err, errlen, "v2: the command is "
		    "neither LOCAL nor PROXY");
	if (len > 13 && (buf[12] & 0x0f) == 1) {
		switch (buf[13]) {
		case 0x00:	/* UNSPEC */
			break;
		case 0x11:	/* TCP over IPv4 */
			family = AF_INET;
			need = V2_ADDR4_LEN;
			break;
		case 0x21:	/* TCP over IPv6 */
			family = AF_INET6;
			need = V2_ADDR6_LEN;
			break;
		default:
			return proxyproto_fail(err, errlen, "v2: the family "
			    "is none of UNSPEC, TCP4, TCP6");
		}
	}
	if (len < PROXYPROTO_V2_HEAD)
		return PROXYPROTO_MORE;
	body = (size_t)buf[14] << 8 | buf[15];
	if (body < need)
		return proxyproto_fail(err, errlen, "v2: the length is too "
		    "short for the addresses");
	if (len < PROXYPROTO_V2_HEAD + body)
		return PROXYPROTO_MORE;
	hdr->version = 2;
	hdr->len = PROXYPROTO_V2_HEAD + body;
	/* LOCAL: whatever the addresses say, they are to be ignored. */
	if ((buf[12] & 0x0f) == 0) {
		hdr->command = PROXYPROTO_LOCAL;
		return PROXYPROTO_DONE;
	}
	if (family == 0) {
		hdr->command = PROXYPROTO_UNKNOWN;
		return PROXYPROTO_DONE;
	}
	a = buf + PROXYPROTO_V2_HEAD;
	if (proxyproto_v2_tlvs(a + need, body - need) == -1)
		return proxyproto_fail(err, errlen, "v2: a TLV runs past the "
		    "header");
	hdr->command = PROXYPROTO_PROXY;
	i = family == AF_INET ? 4 : 16;
	proxyproto_addr(&hdr->src, family, a, (unsigned)a[2 * i] << 8 |
	    a[2 * i + 1]);
	proxyproto_addr(&hdr->dst, family, a + i, (unsigned)a[2 * i + 2] << 8 |
	    a[2 * i + 3]);
	return PROXYPROTO_DONE;
}

enum proxyproto_status
proxyproto_parse(const void *buf, size_t len, int versions,
    struct proxyproto_hdr *hdr, char *err, size_t errlen)
{
	const unsigned char *b = buf;

	memset(hdr, 0, sizeof(*hdr));
	if (len == 0)
		return PROXYPROTO_MORE;
	if (b[0] == 'P' && (versions & PROXYPROTO_V1))
		return proxyproto_v1(b, len, hdr, err, errlen);
	if (b[0] == '\r' && (versions & PROXYPROTO_V2))
		return proxyproto_v2(b, len, hdr, err, errlen);
	if (b[0] == 'P' && len >= V1_PREFIX_LEN &&
	    memcmp(b, V1_PREFIX, V1_PREFIX_LEN) == 0)
		return proxyproto_fail(err, errlen, "a v1 header where only "
		    "v2 is accepted");
	if (b[0] == '\r' && len >= V2_SIG_LEN &&
	    memcmp(b, V2_SIG, V2_SIG_LEN) == 0)
		return proxyproto_fail(err, errlen, "a v2 header where only "
		    "v1 is accepted");
	if (versions == PROXYPROTO_V1)
		return proxyproto_fail(err, errlen, "not a PROXY protocol v1 "
		    "header");
	if (versions == PROXYPROTO_V2)
		return proxyproto_fail(err, errlen, "not a PROXY protocol v2 "
		    "header");
	return proxyproto_fail(err, errlen, "not a PROXY protocol header");
}

const char *
proxyproto_command_str(enum proxyproto_command cmd)
{
	switch (cmd) {
	case PROXYPROTO_PROXY:
		return "PROXY";
	case PROXYPROTO_LOCAL:
		return "LOCAL";
	case PROXYPROTO_UNKNOWN:
		return "UNKNOWN";
	}
	return "?";
}
