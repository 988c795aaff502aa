/* net.c -- numeric address helpers (never a name lookup). */
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/i18n.h"
#include "shared/net.h"

int
net_addr_host(const struct sockaddr *sa, char *buf, size_t size)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

	if (sa->sa_family == AF_INET)
		return inet_ntop(AF_INET, &sin->sin_addr, buf, size) ? 0 : -1;
	if (sa->sa_family != AF_INET6)
		return -1;
	if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
		return inet_ntop(AF_INET, &sin6->sin6_addr.s6_addr[12], buf,
		    size) ? 0 : -1;
	return inet_ntop(AF_INET6, &sin6->sin6_addr, buf, size) ? 0 : -1;
}

int
net_addr_str(const struct sockaddr *sa, char *buf, size_t size)
{
	char host[INET6_ADDRSTRLEN];
	unsigned port;

	if (net_addr_host(sa, host, sizeof(host)) == -1) {
		snprintf(buf, size, "?");
		return -1;
	}
	port = ntohs(sa->sa_family == AF_INET ?
	    ((const struct sockaddr_in *)sa)->sin_port :
	    ((const struct sockaddr_in6 *)sa)->sin6_port);
	if (strchr(host, ':') != NULL)
		snprintf(buf, size, "[%s]:%u", host, port);
	else
		snprintf(buf, size, "%s:%u", host, port);
	return 0;
}

int
net_listen_addr(const char *listen, int port, struct sockaddr_storage *ss,
    socklen_t *sslen, char *err, size_t errlen)
{
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;

	memset(ss, 0, sizeof(*ss));
	if (strcmp(listen, "*") == 0) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = in6addr_any;
		sin6->sin6_port = htons(port);
		*sslen = sizeof(*sin6);
	} else if (inet_pton(AF_INET, listen, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*sslen = sizeof(*sin);
	} else if (inet_pton(AF_INET6, listen, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*sslen = sizeof(*sin6);
	} else {
		snprintf(err, errlen,
		    "'%s' is not an IPv4 or IPv6 address, nor *", listen);
		return -1;
	}
	return 0;
}

int
net_check_listen(const char *value, char *why, size_t whylen)
{
	struct sockaddr_storage ss;
	socklen_t len;

	return net_listen_addr(value, 0, &ss, &len, why, whylen);
}

char *
net_port_range(int port_min, int port_max, char buf[NET_PORTRANGELEN])
{
	if (port_min == port_max)
		snprintf(buf, NET_PORTRANGELEN, "%d", port_min);
	else
		snprintf(buf, NET_PORTRANGELEN, "%d-%d", port_min, port_max);
	return buf;
}

int
net_parse_ports(const char *s, int *lo, int *hi)
{
	char *end;
	long a, b;

	errno = 0;
	a = strtol(s, &end, 10);
	b = a;
	if (end != s && *end == '-')
		b = strtol(end + 1, &end, 10);
	if (end == s || *end != '\0' || errno != 0 || a < 1 || b > 65535 ||
	    a > b)
		return -1;
	*lo = (int)a;
	*hi = (int)b;
	return 0;
}

/* Copy len bytes of s into a buffer of size bytes; -1 when they do not fit. */
static int
net_copy(char *dst, size_t size, const char *s, size_t len)
{
	if (len >= size)
		return -1;
	memcpy(dst, s, len);
	dst[len] = '\0';
	return 0;
}

int
net_split_host_port(const char *s, char *host, size_t hostlen, char *port,
    size_t portlen, char *err, size_t errlen)
{
	const char *orig = s, *rb, *colon, *rest = "";
	size_t len;

	if (s[0] == '[') {
		if ((rb = strchr(s, ']')) == NULL) {
			snprintf(err, errlen, _("'%s': no ']' after the "
			    "address"), s);
			return -1;
		}
		len = (size_t)(rb - s - 1);
		s++;
		rest = rb + 1;
		if (*rest != '\0' && *rest != ':') {
			snprintf(err, errlen, _("'%s': after ']' only :PORT "
			    "may follow"), orig);
			return -1;
		}
		rest += *rest == ':';
		if (*rest == '\0' && rb[1] == ':') {
			snprintf(err, errlen, _("'%s': no port after ':'"),
			    orig);
			return -1;
		}
	} else if ((colon = strchr(s, ':')) != NULL &&
	    strchr(colon + 1, ':') == NULL) {
		/* One colon: HOST:PORT. Two or more: an IPv6 address. */
		len = (size_t)(colon - s);
		rest = colon + 1;
		if (*rest == '\0') {
			snprintf(err, errlen, _("'%s': no port after ':'"),
			    orig);
			return -1;
		}
	} else
		len = strlen(s);
	if (len == 0) {
		snprintf(err, errlen, _("'%s': no host"), orig);
		return -1;
	}
	if (net_copy(host, hostlen, s, len) == -1 ||
	    net_copy(port, portlen, rest, strlen(rest)) == -1) {
		snprintf(err, errlen, _("'%s': too long"), orig);
		return -1;
	}
	return 0;
}
