/* test_cidr.c -- lists of addresses and CIDR blocks (shared/cidr.c). */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <criterion/criterion.h>
#include <string.h>

#include "shared/cidr.h"

static int
match(const struct cidr_list *list, const char *addr)
{
	struct sockaddr_storage ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else {
		cr_assert_eq(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
		sin6->sin6_family = AF_INET6;
	}
	return cidr_list_match(list, (struct sockaddr *)&ss);
}

static void
parse_ok(const char *text, struct cidr_list *list, size_t n)
{
	char err[128];

	cr_assert_eq(cidr_list_parse(text, list, err, sizeof(err)), 0,
	    "'%s': %s", text, err);
	cr_assert_eq(list->n, n);
}

static void
parse_bad(const char *text, const char *why)
{
	struct cidr_list list;
	char err[128] = "";

	cr_assert_eq(cidr_list_parse(text, &list, err, sizeof(err)), -1,
	    "'%s' accepted", text);
	cr_assert(strstr(err, why) != NULL, "'%s': '%s', want '%s'", text, err,
	    why);
	cr_assert_eq(cidr_list_check(text, err, sizeof(err)), -1);
}

Test(cidr, addresses_and_blocks)
{
	struct cidr_list l;

	parse_ok("127.0.0.1, 10.0.0.0/8\t::1 ,fd00::/8", &l, 4);
	cr_assert(match(&l, "127.0.0.1"));
	cr_assert_not(match(&l, "127.0.0.2"));
	cr_assert(match(&l, "10.255.1.2"));
	cr_assert_not(match(&l, "11.0.0.1"));
	cr_assert(match(&l, "::1"));
	cr_assert_not(match(&l, "::2"));
	cr_assert(match(&l, "fdff::1"));
	cr_assert_not(match(&l, "fe00::1"));
	/* A dual-stack socket's IPv4 peer is that IPv4 address. */
	cr_assert(match(&l, "::ffff:10.1.2.3"));
	cr_assert(match(&l, "::ffff:127.0.0.1"));
	cr_assert_not(match(&l, "::ffff:127.0.0.2"));
}

Test(cidr, prefix_edges)
{
	struct cidr_list l;

	parse_ok("192.168.4.0/22 2001:db8:8000::/33", &l, 2);
	cr_assert(match(&l, "192.168.4.0"));
	cr_assert(match(&l, "192.168.7.255"));
	cr_assert_not(match(&l, "192.168.8.0"));
	cr_assert_not(match(&l, "192.168.3.255"));
	cr_assert(match(&l, "2001:db8:8000::1"));
	cr_assert(match(&l, "2001:db8:ffff::1"));
	cr_assert_not(match(&l, "2001:db8:7fff::1"));
	parse_ok("0.0.0.0/0", &l, 1);
	cr_assert(match(&l, "203.0.113.9"));
	cr_assert_not(match(&l, "::1"));
	parse_ok("::/0", &l, 1);
	cr_assert(match(&l, "2001:db8::1"));
	parse_ok("127.0.0.1/32 ::1/128", &l, 2);
	cr_assert(match(&l, "127.0.0.1"));
}

Test(cidr, empty)
{
	struct cidr_list l;

	parse_ok("", &l, 0);
	parse_ok(" , ", &l, 0);
	cr_assert_not(match(&l, "127.0.0.1"));
}

Test(cidr, refused)
{
	char many[64 * 12 + 16] = "";
	int i;

	parse_bad("localhost", "'localhost' is not an IPv4 or IPv6 address");
	parse_bad("127.0.0.1 10.0.0", "'10.0.0' is not");
	parse_bad("10.0.0.0/33", "the prefix length must be 0-32");
	parse_bad("::/129", "the prefix length must be 0-128");
	parse_bad("10.0.0.0/", "the prefix length");
	parse_bad("10.0.0.0/-1", "the prefix length");
	parse_bad("10.0.0.0/8x", "the prefix length");
	parse_bad("10.0.0.0/99999999999999999999", "the prefix length");
	parse_bad("10.0.0.1/8", "bits are set past the /8 prefix");
	parse_bad("fd00::1/8", "bits are set past the /8 prefix");
	parse_bad("1234567890123456789012345678901234567890123456789012345",
	    "is not an address");
	for (i = 0; i <= CIDR_LIST_MAX; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many),
		    "10.0.0.%d ", i);
	parse_bad(many, "more than 64 entries");
}
