/* test_net.c -- numeric address helpers (shared/net.c). */
#include <sys/socket.h>
#include <sys/un.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "shared/net.h"

static void
make_in(struct sockaddr_in *sin, const char *addr, int port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(port);
	cr_assert_eq(inet_pton(AF_INET, addr, &sin->sin_addr), 1, "%s", addr);
}

static void
make_in6(struct sockaddr_in6 *sin6, const char *addr, int port)
{
	memset(sin6, 0, sizeof(*sin6));
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(port);
	cr_assert_eq(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1, "%s",
	    addr);
}

/* Render into a heap buffer of exactly NET_ADDRSTRLEN bytes. */
static void
expect_str(const struct sockaddr *sa, const char *want)
{
	char *buf;

	cr_assert_not_null(buf = malloc(NET_ADDRSTRLEN));
	cr_expect_eq(net_addr_str(sa, buf, NET_ADDRSTRLEN), 0);
	cr_expect_str_eq(buf, want, "\"%s\", want \"%s\"", buf, want);
	free(buf);
}

Test(net_addr_str, ipv4)
{
	struct sockaddr_in sin;

	make_in(&sin, "127.0.0.1", 50122);
	expect_str((struct sockaddr *)&sin, "127.0.0.1:50122");
	make_in(&sin, "0.0.0.0", 0);
	expect_str((struct sockaddr *)&sin, "0.0.0.0:0");
	make_in(&sin, "255.255.255.255", 65535);
	expect_str((struct sockaddr *)&sin, "255.255.255.255:65535");
}

Test(net_addr_str, ipv6)
{
	struct sockaddr_in6 sin6;

	make_in6(&sin6, "::1", 50122);
	expect_str((struct sockaddr *)&sin6, "[::1]:50122");
	make_in6(&sin6, "2001:db8::42", 1);
	expect_str((struct sockaddr *)&sin6, "[2001:db8::42]:1");
	make_in6(&sin6, "::", 80);
	expect_str((struct sockaddr *)&sin6, "[::]:80");
	/* The longest form fits NET_ADDRSTRLEN. */
	make_in6(&sin6, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
	expect_str((struct sockaddr *)&sin6,
	    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}

Test(net_addr_str, v4_mapped_as_ipv4)
{
	struct sockaddr_in6 sin6;

	make_in6(&sin6, "::ffff:127.0.0.2", 4242);
	expect_str((struct sockaddr *)&sin6, "127.0.0.2:4242");
	make_in6(&sin6, "::ffff:10.1.2.3", 65535);
	expect_str((struct sockaddr *)&sin6, "10.1.2.3:65535");
	/* Only ::ffff:0:0/96 is shown as IPv4; NAT64 stays IPv6. */
	make_in6(&sin6, "64:ff9b::7f00:1", 7);
	expect_str((struct sockaddr *)&sin6, "[64:ff9b::7f00:1]:7");
}

Test(net_addr_host, without_port)
{
	struct sockaddr_in6 sin6;
	struct sockaddr_in sin;
	char buf[NET_ADDRSTRLEN];

	make_in(&sin, "192.0.2.7", 9);
	cr_expect_eq(net_addr_host((struct sockaddr *)&sin, buf, sizeof(buf)),
	    0);
	cr_expect_str_eq(buf, "192.0.2.7");
	make_in6(&sin6, "::1", 9);
	cr_expect_eq(net_addr_host((struct sockaddr *)&sin6, buf,
	    sizeof(buf)), 0);
	cr_expect_str_eq(buf, "::1");
	make_in6(&sin6, "::ffff:127.0.0.2", 9);
	cr_expect_eq(net_addr_host((struct sockaddr *)&sin6, buf,
	    sizeof(buf)), 0);
	cr_expect_str_eq(buf, "127.0.0.2");
}

Test(net_addr_str, other_family)
{
	struct sockaddr_un sun;
	char buf[NET_ADDRSTRLEN];

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, "/tmp/sock", sizeof(sun.sun_path));
	cr_expect_eq(net_addr_str((struct sockaddr *)&sun, buf, sizeof(buf)),
	    -1);
	cr_expect_str_eq(buf, "?");
	cr_expect_eq(net_addr_host((struct sockaddr *)&sun, buf, sizeof(buf)),
	    -1);
}

/* What the kernel reports for a real connection is rendered the same. */
Test(net_addr_str, real_socket)
{
	struct sockaddr_storage ss;
	struct sockaddr_in sin;
	socklen_t len = sizeof(ss);
	char buf[NET_ADDRSTRLEN], want[NET_ADDRSTRLEN];
	int fd;

	cr_assert_neq(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
	make_in(&sin, "127.0.0.1", 0);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
	snprintf(want, sizeof(want), "127.0.0.1:%u",
	    ntohs(((struct sockaddr_in *)&ss)->sin_port));
	cr_expect_eq(net_addr_str((struct sockaddr *)&ss, buf, sizeof(buf)),
	    0);
	cr_expect_str_eq(buf, want);
	close(fd);
}

Test(net_listen_addr, star_is_ipv6_any)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = 0;
	char err[128];

	memset(&ss, 0xa5, sizeof(ss));
	cr_assert_eq(net_listen_addr("*", 65430, &ss, &len, err, sizeof(err)),
	    0);
	cr_expect_eq(sin6->sin6_family, AF_INET6);
	cr_expect_eq(len, sizeof(struct sockaddr_in6));
	cr_expect_eq(ntohs(sin6->sin6_port), 65430);
	cr_expect(IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr), "not [::]");
	cr_expect_eq(sin6->sin6_flowinfo, 0);
	cr_expect_eq(sin6->sin6_scope_id, 0);
}

Test(net_listen_addr, ipv4)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	socklen_t len = 0;
	char err[128], buf[NET_ADDRSTRLEN];

	memset(&ss, 0xa5, sizeof(ss));
	cr_assert_eq(net_listen_addr("127.0.0.1", 8080, &ss, &len, err,
	    sizeof(err)), 0);
	cr_expect_eq(sin->sin_family, AF_INET);
	cr_expect_eq(len, sizeof(struct sockaddr_in));
	cr_expect_eq(ntohs(sin->sin_port), 8080);
	cr_expect_eq(sin->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	net_addr_str((struct sockaddr *)&ss, buf, sizeof(buf));
	cr_expect_str_eq(buf, "127.0.0.1:8080");
	cr_assert_eq(net_listen_addr("0.0.0.0", 1, &ss, &len, err,
	    sizeof(err)), 0);
	cr_expect_eq(sin->sin_family, AF_INET);
	cr_expect_eq(sin->sin_addr.s_addr, htonl(INADDR_ANY));
}

Test(net_listen_addr, ipv6)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len = 0;
	char err[128], buf[NET_ADDRSTRLEN];

	memset(&ss, 0xa5, sizeof(ss));
	cr_assert_eq(net_listen_addr("::1", 443, &ss, &len, err, sizeof(err)),
	    0);
	cr_expect_eq(sin6->sin6_family, AF_INET6);
	cr_expect_eq(len, sizeof(struct sockaddr_in6));
	cr_expect_eq(ntohs(sin6->sin6_port), 443);
	cr_expect(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr), "not ::1");
	cr_expect_eq(sin6->sin6_scope_id, 0);
	net_addr_str((struct sockaddr *)&ss, buf, sizeof(buf));
	cr_expect_str_eq(buf, "[::1]:443");
	cr_assert_eq(net_listen_addr("::", 2, &ss, &len, err, sizeof(err)), 0);
	cr_expect_eq(sin6->sin6_family, AF_INET6);
	cr_expect(IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr), "not ::");
}

/* Names are refused, never looked up: "localhost" would resolve. */
Test(net_listen_addr, refuses_names_and_junk)
{
	static const char *bad[] = { "localhost", "example.com", "", " ",
	    "127.0.0.1 ", " ::1", "1.2.3", "256.0.0.1", "[::1]", "::1%lo",
	    "*:80", "127.0.0.1:80", "**", "0x7f.0.0.1" };
	struct sockaddr_storage ss;
	socklen_t len;
	char err[128], want[128];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		cr_expect_eq(net_listen_addr(bad[i], 80, &ss, &len, err,
		    sizeof(err)), -1, "'%s' accepted", bad[i]);
		snprintf(want, sizeof(want), "'%s' is not an IPv4 or IPv6 "
		    "address, nor *", bad[i]);
		cr_expect_str_eq(err, want);
	}
}

Test(net_check_listen, as_config_check)
{
	char why[128];

	cr_expect_eq(net_check_listen("*", why, sizeof(why)), 0);
	cr_expect_eq(net_check_listen("10.0.0.1", why, sizeof(why)), 0);
	cr_expect_eq(net_check_listen("fe80::1", why, sizeof(why)), 0);
	cr_expect_eq(net_check_listen("localhost", why, sizeof(why)), -1);
	cr_expect_str_eq(why, "'localhost' is not an IPv4 or IPv6 address, "
	    "nor *");
}

Test(net, port_range_single_or_range)
{
	char buf[NET_PORTRANGELEN];

	cr_expect_str_eq(net_port_range(65430, 65440, buf), "65430-65440");
	cr_expect_str_eq(net_port_range(30005, 30005, buf), "30005");
}

Test(net_parse_ports, ports_and_ranges)
{
	int lo = 0, hi = 0;

	cr_expect_eq(net_parse_ports("65430", &lo, &hi), 0);
	cr_expect(lo == 65430 && hi == 65430);
	cr_expect_eq(net_parse_ports("1-65535", &lo, &hi), 0);
	cr_expect(lo == 1 && hi == 65535);
	lo = hi = 7;
	cr_expect_eq(net_parse_ports("0", &lo, &hi), -1);
	cr_expect_eq(net_parse_ports("65536", &lo, &hi), -1);
	cr_expect_eq(net_parse_ports("5-3", &lo, &hi), -1);
	cr_expect_eq(net_parse_ports("", &lo, &hi), -1);
	cr_expect_eq(net_parse_ports("80x", &lo, &hi), -1);
	cr_expect_eq(net_parse_ports("80-", &lo, &hi), -1);
	cr_expect_eq(net_parse_ports("99999999999999999999", &lo, &hi), -1);
	cr_expect(lo == 7 && hi == 7, "left unchanged on an error");
}

static void
split_ok(const char *s, const char *host, const char *port)
{
	char h[64], p[32], err[128];

	cr_expect_eq(net_split_host_port(s, h, sizeof(h), p, sizeof(p), err,
	    sizeof(err)), 0, "%s: %s", s, err);
	cr_expect_str_eq(h, host, "%s", s);
	cr_expect_str_eq(p, port, "%s", s);
}

static void
split_bad(const char *s, const char *why)
{
	char h[16], p[8], err[128];

	cr_expect_eq(net_split_host_port(s, h, sizeof(h), p, sizeof(p), err,
	    sizeof(err)), -1, "%s", s);
	cr_expect_str_eq(err, why, "%s", s);
}

Test(net_split_host_port, as_people_write_them)
{
	split_ok("127.0.0.1", "127.0.0.1", "");
	split_ok("127.0.0.1:65430", "127.0.0.1", "65430");
	split_ok("localhost:65430-65440", "localhost", "65430-65440");
	split_ok("::1", "::1", "");
	split_ok("fe80::1:2", "fe80::1:2", "");
	split_ok("[::1]", "::1", "");
	split_ok("[::1]:65430", "::1", "65430");
	split_bad("[::1", "'[::1': no ']' after the address");
	split_bad("[::1]x", "'[::1]x': after ']' only :PORT may follow");
	split_bad("[::1]:", "'[::1]:': no port after ':'");
	split_bad("host:", "'host:': no port after ':'");
	split_bad("[]:80", "'[]:80': no host");
	split_bad(":80", "':80': no host");
	split_bad("a-very-long-host-name", "'a-very-long-host-name': too "
	    "long");
}
