/* test_proxyproto.c -- the PROXY protocol header parser (shared/proxyproto.c). */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "shared/net.h"
#include "shared/proxyproto.h"

#define ANY	(PROXYPROTO_V1 | PROXYPROTO_V2)
#define SIG	"\r\n\r\n\0\r\nQUIT\n"
#define PAYLOAD	"hello\n"

/* A v2 header: command (0 LOCAL, 1 PROXY), family byte, then body. */
static size_t
v2(unsigned char *out, int cmd, int fam, const void *body, size_t len)
{
	memcpy(out, SIG, 12);
	out[12] = (unsigned char)(0x20 | cmd);
	out[13] = (unsigned char)fam;
	out[14] = (unsigned char)(len >> 8);
	out[15] = (unsigned char)len;
	memcpy(out + 16, body, len);
	return 16 + len;
}

/* The body of a TCP4 header: 192.0.2.1:56324 -> 198.51.100.2:443, then
 * extra bytes (TLVs). */
static size_t
body4(unsigned char *b, const void *extra, size_t n)
{
	static const unsigned char a[12] = { 192, 0, 2, 1, 198, 51, 100, 2,
	    0xdc, 0x04, 0x01, 0xbb };

	memcpy(b, a, 12);
	memcpy(b + 12, extra, n);
	return 12 + n;
}

static size_t
body6(unsigned char *b)
{
	memset(b, 0, 36);
	inet_pton(AF_INET6, "2001:db8::7", b);
	inet_pton(AF_INET6, "2001:db8::1", b + 16);
	b[32] = 0xc3, b[33] = 0x50;	/* 50000 */
	b[34] = 0x00, b[35] = 0x50;	/* 80 */
	return 36;
}

/*
 * hdr then PAYLOAD: every prefix shorter than hdr is MORE, the whole is
 * DONE with the header's length (the payload not taken), whatever the
 * bytes after it. The result into *out.
 */
static void
parse_whole(const void *hdr, size_t len, int versions,
    struct proxyproto_hdr *out)
{
	unsigned char buf[512];
	char err[128];
	size_t k;

	cr_assert(len + sizeof(PAYLOAD) <= sizeof(buf));
	memcpy(buf, hdr, len);
	memcpy(buf + len, PAYLOAD, sizeof(PAYLOAD) - 1);
	for (k = 0; k < len; k++)
		cr_assert_eq(proxyproto_parse(buf, k, versions, out, err,
		    sizeof(err)), PROXYPROTO_MORE, "prefix of %zu of %zu: %s",
		    k, len, err);
	for (k = len; k <= len + sizeof(PAYLOAD) - 1; k++) {
		cr_assert_eq(proxyproto_parse(buf, k, versions, out, err,
		    sizeof(err)), PROXYPROTO_DONE, "%zu bytes: %s", k, err);
		cr_assert_eq(out->len, len, "length %zu, want %zu", out->len,
		    len);
	}
}

static void
expect_addr(const struct sockaddr_storage *ss, const char *want)
{
	char buf[NET_ADDRSTRLEN];

	cr_assert_eq(net_addr_str((const struct sockaddr *)ss, buf,
	    sizeof(buf)), 0);
	cr_assert_str_eq(buf, want);
}

/* Refused at the first byte where it goes wrong, with why. */
static void
expect_error(const void *buf, size_t len, int versions, const char *why)
{
	struct proxyproto_hdr hdr;
	char err[128] = "";

	cr_assert_eq(proxyproto_parse(buf, len, versions, &hdr, err,
	    sizeof(err)), PROXYPROTO_ERROR, "accepted: %.*s", (int)len,
	    (const char *)buf);
	cr_assert(strstr(err, why) != NULL, "error '%s', want '%s'", err, why);
}

static void
expect_v1_error(const char *line, const char *why)
{
	expect_error(line, strlen(line), ANY, why);
}

Test(proxyproto, v1_tcp4)
{
	const char *h = "PROXY TCP4 192.0.2.1 198.51.100.2 56324 443\r\n";
	struct proxyproto_hdr hdr;

	parse_whole(h, strlen(h), ANY, &hdr);
	cr_assert_eq(hdr.version, 1);
	cr_assert_eq(hdr.command, PROXYPROTO_PROXY);
	expect_addr(&hdr.src, "192.0.2.1:56324");
	expect_addr(&hdr.dst, "198.51.100.2:443");
	parse_whole(h, strlen(h), PROXYPROTO_V1, &hdr);
}

Test(proxyproto, v1_tcp6)
{
	const char *h = "PROXY TCP6 2001:db8::7 ::ffff:192.0.2.9 0 65535\r\n";
	struct proxyproto_hdr hdr;

	parse_whole(h, strlen(h), ANY, &hdr);
	cr_assert_eq(hdr.command, PROXYPROTO_PROXY);
	expect_addr(&hdr.src, "[2001:db8::7]:0");
	/* A mapped address is the IPv4 client it stands for. */
	expect_addr(&hdr.dst, "192.0.2.9:65535");
}

Test(proxyproto, v1_unknown)
{
	const char *a = "PROXY UNKNOWN\r\n";
	const char *b = "PROXY UNKNOWN ffff:f...f:ffff 1.2.3.4 65535 65535\r\n";
	struct proxyproto_hdr hdr;

	parse_whole(a, strlen(a), ANY, &hdr);
	cr_assert_eq(hdr.command, PROXYPROTO_UNKNOWN);
	cr_assert_str_eq(proxyproto_command_str(hdr.command), "UNKNOWN");
	/* The rest of an UNKNOWN line is ignored. */
	parse_whole(b, strlen(b), ANY, &hdr);
	cr_assert_eq(hdr.command, PROXYPROTO_UNKNOWN);
}

Test(proxyproto, v1_longest_line)
{
	/* The spec's worst case: 107 bytes with CRLF. */
	const char *h = "PROXY UNKNOWN ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff "
	    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff 65535 65535\r\n";
	char over[200];
	struct proxyproto_hdr hdr;

	cr_assert_eq(strlen(h), PROXYPROTO_V1_MAX);
	parse_whole(h, strlen(h), ANY, &hdr);
	/* One byte more and the CRLF comes too late. */
	snprintf(over, sizeof(over), "PROXY UNKNOWN x%s", h + 14);
	cr_assert_eq(strlen(over), PROXYPROTO_V1_MAX + 1);
	expect_v1_error(over, "no CRLF in the first 107 bytes");
	/* Without waiting for the CRLF at all. */
	memset(over + 6, 'x', sizeof(over) - 6);
	expect_error(over, PROXYPROTO_V1_MAX, ANY, "no CRLF");
}

Test(proxyproto, v1_malformed)
{
	expect_v1_error("PROXY TCP4 192.0.2.1 198.51.100.2 56324\r\n",
	    "TCP4 wants");
	expect_v1_error("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443 7\r\n",
	    "TCP4 wants");
	expect_v1_error("PROXY TCP4 192.0.2.1 198.51.100.2 56324 443 \r\n",
	    "TCP4 wants");
	expect_v1_error("PROXY TCP4 192.0.2.1  198.51.100.2 56324 443\r\n",
	    "TCP4 wants");
	expect_v1_error("PROXY TCP4 2001:db8::1 198.51.100.2 1 2\r\n",
	    "TCP4 wants");
	expect_v1_error("PROXY TCP4 192.0.2.256 198.51.100.2 1 2\r\n",
	    "TCP4 wants");
	expect_v1_error("PROXY TCP4 192.0.2.1 198.51.100.2 65536 2\r\n",
	    "TCP4 wants");
	expect_v1_error("PROXY TCP4 192.0.2.1 198.51.100.2 080 2\r\n",
	    "TCP4 wants");
	expect_v1_error("PROXY TCP4 192.0.2.1 198.51.100.2 -1 2\r\n",
	    "TCP4 wants");
	expect_v1_error("PROXY TCP6 192.0.2.1 198.51.100.2 1 2\r\n",
	    "TCP6 wants");
	expect_v1_error("PROXY TCP4\r\n", "TCP4 wants");
	expect_v1_error("PROXY UDP4 192.0.2.1 198.51.100.2 1 2\r\n",
	    "none of TCP4, TCP6, UNKNOWN");
	expect_v1_error("PROXY UNKNOWNX\r\n", "none of TCP4, TCP6, UNKNOWN");
	expect_v1_error("PROXY \r\n", "none of TCP4, TCP6, UNKNOWN");
	expect_v1_error("PROXY UNKNOWN\n", "does not end in CRLF");
	expect_v1_error("PROXY UNKNOWN\rX\r\n", "a CR inside the line");
	expect_v1_error("PROXY UNKNOWN \x01", "control or non-ASCII");
	expect_v1_error("PROXY UNKNOWN \xd0\x9f", "control or non-ASCII");
	expect_v1_error("proxy UNKNOWN\r\n", "not a PROXY protocol header");
	expect_v1_error("PROXYTCP4", "not a PROXY protocol header");
}

Test(proxyproto, garbage_refused_at_once)
{
	/* A client that does not speak the protocol is told at its first
	 * byte that cannot start a header, not left to time out. */
	expect_v1_error("GET / HTTP/1.0\r\n", "not a PROXY protocol header");
	expect_error("G", 1, ANY, "not a PROXY protocol header");
	expect_error("PR0", 3, ANY, "not a PROXY protocol header");
	expect_error("\r\n\r\n\0\r\nQUIX", 12, ANY,
	    "not a PROXY protocol header");
	expect_error("\r\r", 2, ANY, "not a PROXY protocol header");
	expect_error("\0", 1, ANY, "not a PROXY protocol header");
	expect_error("\x16\x03\x01", 3, ANY, "not a PROXY protocol header");
}

Test(proxyproto, version_not_accepted)
{
	unsigned char b[64] = { 0 }, h[128];
	size_t n = v2(h, 1, 0x11, b, body4(b, "", 0));

	expect_error("PROXY UNKNOWN\r\n", 15, PROXYPROTO_V2,
	    "a v1 header where only v2 is accepted");
	expect_error("P", 1, PROXYPROTO_V2, "not a PROXY protocol v2 header");
	expect_error(h, n, PROXYPROTO_V1,
	    "a v2 header where only v1 is accepted");
	expect_error(h, 1, PROXYPROTO_V1, "not a PROXY protocol v1 header");
	expect_error("G", 1, PROXYPROTO_V1, "not a PROXY protocol v1 header");
}

Test(proxyproto, v2_tcp4)
{
	unsigned char b[64] = { 0 }, h[128];
	struct proxyproto_hdr hdr;
	size_t n = v2(h, 1, 0x11, b, body4(b, "", 0));

	cr_assert_eq(n, 28);
	parse_whole(h, n, ANY, &hdr);
	cr_assert_eq(hdr.version, 2);
	cr_assert_eq(hdr.command, PROXYPROTO_PROXY);
	expect_addr(&hdr.src, "192.0.2.1:56324");
	expect_addr(&hdr.dst, "198.51.100.2:443");
	parse_whole(h, n, PROXYPROTO_V2, &hdr);
}

Test(proxyproto, v2_tcp6)
{
	unsigned char b[64] = { 0 }, h[128];
	struct proxyproto_hdr hdr;
	size_t n = v2(h, 1, 0x21, b, body6(b));

	parse_whole(h, n, ANY, &hdr);
	cr_assert_eq(hdr.command, PROXYPROTO_PROXY);
	expect_addr(&hdr.src, "[2001:db8::7]:50000");
	expect_addr(&hdr.dst, "[2001:db8::1]:80");
}

Test(proxyproto, v2_local)
{
	unsigned char b[64] = { 0 }, h[128];
	struct proxyproto_hdr hdr;
	size_t n;

	/* HAProxy's health check: LOCAL, UNSPEC, no body. */
	n = v2(h, 0, 0x00, b, 0);
	parse_whole(h, n, ANY, &hdr);
	cr_assert_eq(hdr.command, PROXYPROTO_LOCAL);
	cr_assert_eq(hdr.len, 16);
	/* Whatever addresses a LOCAL carries are ignored, even nonsense. */
	n = v2(h, 0, 0x11, "\xff\xff\xff", 3);
	parse_whole(h, n, ANY, &hdr);
	cr_assert_eq(hdr.command, PROXYPROTO_LOCAL);
	cr_assert_eq(hdr.len, 19);
}

Test(proxyproto, v2_unspec)
{
	unsigned char h[128];
	struct proxyproto_hdr hdr;
	size_t n = v2(h, 1, 0x00, "\x01\x02", 2);

	parse_whole(h, n, ANY, &hdr);
	cr_assert_eq(hdr.command, PROXYPROTO_UNKNOWN);
}

Test(proxyproto, v2_tlvs_skipped)
{
	/* An ALPN TLV, a NOOP with 3 bytes, an empty one of type 0xe0. */
	static const unsigned char tlvs[] = { 0x01, 0x00, 0x02, 'h', '2',
	    0x04, 0x00, 0x03, 0, 0, 0, 0xe0, 0x00, 0x00 };
	unsigned char b[64] = { 0 }, h[128];
	struct proxyproto_hdr hdr;
	size_t n = v2(h, 1, 0x11, b, body4(b, tlvs, sizeof(tlvs)));

	parse_whole(h, n, ANY, &hdr);
	cr_assert_eq(hdr.len, 28 + sizeof(tlvs));
	expect_addr(&hdr.src, "192.0.2.1:56324");
	/* A TLV that says it is longer than what is left. */
	h[n - 1] = 1;
	expect_error(h, n, ANY, "a TLV runs past the header");
	/* A TLV cut in its own 3-byte head. */
	n = v2(h, 1, 0x11, b, body4(b, tlvs, 2));
	expect_error(h, n, ANY, "a TLV runs past the header");
}

Test(proxyproto, v2_wrong_lengths)
{
	unsigned char b[64] = { 0 }, h[128];
	size_t n;

	n = v2(h, 1, 0x11, b, 11);
	expect_error(h, n, ANY, "too short for the addresses");
	/* Known from the 16-byte head alone: no waiting for a body. */
	expect_error(h, 16, ANY, "too short for the addresses");
	n = v2(h, 1, 0x21, b, body4(b, "", 0));
	expect_error(h, n, ANY, "too short for the addresses");
	n = v2(h, 1, 0x11, b, 0);
	expect_error(h, n, ANY, "too short for the addresses");
}

Test(proxyproto, v2_bad_head)
{
	unsigned char b[64] = { 0 }, h[128];
	size_t n = v2(h, 1, 0x11, b, body4(b, "", 0));

	h[12] = 0x11;		/* version 1 in a binary header */
	expect_error(h, 13, ANY, "the version is not 2");
	h[12] = 0x22;		/* command 2 */
	expect_error(h, 13, ANY, "neither LOCAL nor PROXY");
	h[12] = 0x21;
	h[13] = 0x12;		/* UDP over IPv4 */
	expect_error(h, 14, ANY, "none of UNSPEC, TCP4, TCP6");
	h[13] = 0x31;		/* a Unix socket */
	expect_error(h, 14, ANY, "none of UNSPEC, TCP4, TCP6");
	h[13] = 0x01;		/* UNSPEC with a protocol */
	expect_error(h, n, ANY, "none of UNSPEC, TCP4, TCP6");
	/* Each signature byte wrong in turn. */
	for (size_t i = 0; i < 12; i++) {
		n = v2(h, 1, 0x11, b, body4(b, "", 0));
		h[i] ^= 0x40;
		expect_error(h, n, ANY, "not a PROXY protocol header");
	}
}

Test(proxyproto, v2_longest)
{
	static unsigned char h[PROXYPROTO_MAX + 8];
	struct proxyproto_hdr hdr;
	char err[128];
	size_t n;

	n = v2(h, 0, 0x00, "", 0);
	h[14] = h[15] = 0xff;
	memset(h + 16, 0x42, 65535);
	n = 16 + 65535;
	cr_assert_eq(n, PROXYPROTO_MAX);
	cr_assert_eq(proxyproto_parse(h, n - 1, ANY, &hdr, err, sizeof(err)),
	    PROXYPROTO_MORE);
	cr_assert_eq(proxyproto_parse(h, n + 8, ANY, &hdr, err, sizeof(err)),
	    PROXYPROTO_DONE);
	cr_assert_eq(hdr.len, PROXYPROTO_MAX);
}

Test(proxyproto, empty_is_more)
{
	struct proxyproto_hdr hdr;
	char err[8];

	cr_assert_eq(proxyproto_parse("", 0, ANY, &hdr, err, sizeof(err)),
	    PROXYPROTO_MORE);
}
