/* cidr.c -- lists of addresses and CIDR blocks (see cidr.h). */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/cidr.h"

#define CIDR_SEP	", \t"

/* One entry, "ADDRESS" or "ADDRESS/BITS", of n bytes at s: 0, or -1. */
static int
cidr_parse_one(const char *s, size_t n, struct cidr *c, char *err,
    size_t errlen)
{
	char text[INET6_ADDRSTRLEN + 8], *slash, *end;
	size_t bytes, i;
	long bits;

	if (n >= sizeof(text)) {
		snprintf(err, errlen, "'%.*s...' is not an address or a CIDR "
		    "block", (int)sizeof(text) - 1, s);
		return -1;
	}
	memcpy(text, s, n);
	text[n] = '\0';
	if ((slash = strchr(text, '/')) != NULL)
		*slash = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, text, c->addr) == 1) {
		c->family = AF_INET;
		c->bits = 32;
	} else if (inet_pton(AF_INET6, text, c->addr) == 1) {
		c->family = AF_INET6;
		c->bits = 128;
	} else {
		snprintf(err, errlen, "'%.*s' is not an IPv4 or IPv6 address "
		    "or a CIDR block", (int)n, s);
		return -1;
	}
	if (slash != NULL) {
		bits = strtol(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end != '\0' ||
		    bits > c->bits) {
			snprintf(err, errlen, "'%.*s': the prefix length must "
			    "be 0-%d", (int)n, s, c->bits);
			return -1;
		}
		c->bits = (int)bits;
	}
	bytes = c->family == AF_INET ? 4 : 16;
	for (i = 0; i < bytes; i++) {
		int keep = c->bits - (int)i * 8;
		unsigned char mask = keep >= 8 ? 0xff : keep <= 0 ? 0 :
		    (unsigned char)(0xff << (8 - keep));

		if (c->addr[i] & ~mask) {
			snprintf(err, errlen, "'%.*s': bits are set past the "
			    "/%d prefix", (int)n, s, c->bits);
			return -1;
		}
	}
	return 0;
}

int
cidr_list_parse(const char *text, struct cidr_list *list, char *err,
    size_t errlen)
{
	const char *p = text;
	size_t n;

	list->n = 0;
	for (;;) {
		p += strspn(p, CIDR_SEP);
		if (*p == '\0')
			return 0;
		n = strcspn(p, CIDR_SEP);
		if (list->n == CIDR_LIST_MAX) {
			snprintf(err, errlen, "more than %d entries",
			    CIDR_LIST_MAX);
			return -1;
		}
		if (cidr_parse_one(p, n, &list->e[list->n], err, errlen) == -1)
			return -1;
		list->n++;
		p += n;
	}
}

int
cidr_list_check(const char *text, char *why, size_t whylen)
{
	struct cidr_list list;

	return cidr_list_parse(text, &list, why, whylen);
}

static int
cidr_match_one(const struct cidr *c, const unsigned char *addr)
{
	int whole = c->bits / 8, rest = c->bits % 8;

	if (memcmp(c->addr, addr, whole) != 0)
		return 0;
	return rest == 0 ||
	    ((c->addr[whole] ^ addr[whole]) & (0xff << (8 - rest)) & 0xff) == 0;
}

int
cidr_list_match(const struct cidr_list *list, const struct sockaddr *sa)
{
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	const unsigned char *addr;
	int family;
	size_t i;

	if (sa->sa_family == AF_INET) {
		family = AF_INET;
		addr = (const unsigned char *)&sin->sin_addr;
	} else if (sa->sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
		family = AF_INET;
		addr = sin6->sin6_addr.s6_addr + 12;
	} else if (sa->sa_family == AF_INET6) {
		family = AF_INET6;
		addr = sin6->sin6_addr.s6_addr;
	} else
		return 0;
	for (i = 0; i < list->n; i++)
		if (list->e[i].family == family &&
		    cidr_match_one(&list->e[i], addr))
			return 1;
	return 0;
}
