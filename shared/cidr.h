/*
 * cidr.h -- lists of IPv4 and IPv6 addresses and CIDR blocks, such as the
 * proxies a server trusts ("127.0.0.1, 10.0.0.0/8, ::1, fd00::/8").
 *
 * cidr_list_parse() reads a list whose entries are separated by commas or
 * blanks into list, at most CIDR_LIST_MAX of them. An entry is an address
 * (a block of one) or ADDRESS/BITS; a block whose address has bits set past
 * its prefix ("10.0.0.1/8") is refused, as it likely means something else
 * than what it matches. It returns 0, or -1 with err naming the entry and
 * what is wrong with it; an empty text gives an empty list.
 * cidr_list_check() is the same as a configuration check (shared/conf.h).
 * cidr_list_match() says whether a socket address is in the list (1) or not
 * (0); an IPv4-mapped IPv6 address (a dual-stack socket's IPv4 peer) is
 * matched as the IPv4 address it is.
 * Nothing here prints, exits or allocates.
 */
#ifndef SOCKBIN_CIDR_H
#define SOCKBIN_CIDR_H

#include <sys/socket.h>

#include <stddef.h>

#define CIDR_LIST_MAX	64

struct cidr {
	int		family;		/* AF_INET or AF_INET6 */
	int		bits;		/* prefix length */
	unsigned char	addr[16];	/* network order; 4 bytes for IPv4 */
};

struct cidr_list {
	size_t		n;
	struct cidr	e[CIDR_LIST_MAX];
};

int	cidr_list_parse(const char *text, struct cidr_list *list, char *err,
	    size_t errlen);
int	cidr_list_check(const char *text, char *why, size_t whylen);
int	cidr_list_match(const struct cidr_list *list,
	    const struct sockaddr *sa);

#endif
