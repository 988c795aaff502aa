/*
 * net.h -- address helpers. Never a name lookup: every conversion is numeric.
 *
 * net_addr_str() renders a socket address as "127.0.0.1:50122" or
 * "[::1]:50122" (IPv4-mapped IPv6 addresses as plain IPv4) into buf of at
 * least NET_ADDRSTRLEN bytes; net_addr_host() the same without the port.
 * net_listen_addr() turns a configured listen address ("*", an IPv4 or an
 * IPv6 address) and a port into a sockaddr; "*" means [::] dual-stack.
 * Both return 0, or -1 with err filled in.
 * net_port_range() renders "65430-65440", or "65430" for a single port,
 * into buf of NET_PORTRANGELEN bytes and returns buf.
 * net_parse_ports() reads "PORT" or "MIN-MAX" (1-65535, MIN <= MAX) into
 * *lo and *hi: 0, or -1 leaving them unchanged.
 * net_split_host_port() splits what a person types for a server, as the
 * daemon prints it: "127.0.0.1", "::1", "[::1]", "host:65430",
 * "[::1]:65430" (the port may be a range MIN-MAX). host gets the name or
 * address without brackets, port the port ("" when none); -1 with err
 * filled in for an unclosed bracket, an empty host, text after the
 * bracket that is not ":PORT", or a field too long for its buffer.
 */
#ifndef SOCKBIN_NET_H
#define SOCKBIN_NET_H

#include <sys/socket.h>

#include <netinet/in.h>
#include <stddef.h>

#define NET_ADDRSTRLEN	(INET6_ADDRSTRLEN + 8)
#define NET_PORTRANGELEN	24

int	net_addr_str(const struct sockaddr *sa, char *buf, size_t size);
int	net_addr_host(const struct sockaddr *sa, char *buf, size_t size);
char	*net_port_range(int port_min, int port_max,
	    char buf[NET_PORTRANGELEN]);
int	net_listen_addr(const char *listen, int port,
	    struct sockaddr_storage *ss, socklen_t *sslen, char *err,
	    size_t errlen);
int	net_check_listen(const char *value, char *why, size_t whylen);
int	net_parse_ports(const char *s, int *lo, int *hi);
int	net_split_host_port(const char *s, char *host, size_t hostlen,
	    char *port, size_t portlen, char *err, size_t errlen);

#endif
