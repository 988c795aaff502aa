/*
 * test_proxy.c -- the PROXY protocol in front of the real daemon: the
 * header's client is the one the log, ident, per_source, the registration
 * limit and STATUS see; garbage, an untrusted peer and a header that never
 * completes are refused with a record. The tests play the proxy themselves
 * from 127.0.0.1 (listed in proxy_from) and an outsider from 127.0.0.2.
 * Port ranges 37400-37419.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

TestSuite(proxy, .fini = h_cleanup, .timeout = 60);

#define SIG	"\r\n\r\n\0\r\nQUIT\n"

static const char *const echo_any[] = { "server.proxy_protocol=any",
    "server.proxy_from=127.0.0.1, ::1", NULL };

/* A v2 header: PROXY (cmd 1) from src:sport (an IPv4 or IPv6 address) to
 * the daemon, or LOCAL (cmd 0) with no address. Its length. */
static size_t
v2_header(unsigned char *out, int cmd, const char *src, int sport, int dport)
{
	unsigned char *a = out + 16;
	size_t alen = 0;

	memcpy(out, SIG, 12);
	out[12] = (unsigned char)(0x20 | cmd);
	out[13] = 0x00;
	if (cmd == 1 && inet_pton(AF_INET, src, a) == 1) {
		out[13] = 0x11;
		inet_pton(AF_INET, "127.0.0.1", a + 4);
		alen = 8;
	} else if (cmd == 1) {
		cr_assert_eq(inet_pton(AF_INET6, src, a), 1, "%s", src);
		out[13] = 0x21;
		inet_pton(AF_INET6, "::1", a + 16);
		alen = 32;
	}
	if (alen > 0) {
		a[alen] = (unsigned char)(sport >> 8);
		a[alen + 1] = (unsigned char)sport;
		a[alen + 2] = (unsigned char)(dport >> 8);
		a[alen + 3] = (unsigned char)dport;
		alen += 4;
	}
	out[14] = (unsigned char)(alen >> 8);
	out[15] = (unsigned char)alen;
	return 16 + alen;
}

/* Connect from src and send the header (and anything after it), piece
 * bytes at a time when piece > 0, each piece a segment of its own. */
static int
proxied(const char *src, int port, const void *hdr, size_t len, size_t piece)
{
	const char *p = hdr;
	int fd, one = 1;
	size_t n;

	fd = h_connect_from(src, port);
	cr_assert_geq(fd, 0, "connect from %s", src ? src : "default");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	while (len > 0) {
		n = piece > 0 && piece < len ? piece : len;
		cr_assert_eq(h_send(fd, p, n), 0);
		p += n;
		len -= n;
		/* Not a wait for the daemon: a gap that makes the next
		 * piece another segment. */
		if (len > 0)
			h_pause_ms(2);
	}
	return fd;
}

static int
proxied_v1(const char *src, int port, const char *line, size_t piece)
{
	return proxied(src, port, line, strlen(line), piece);
}

/* A v1 TCP4 header for client:cport, then after. */
static int
proxied_tcp4(const char *src, int port, const char *client, int cport,
    const char *after, size_t piece)
{
	char line[160];

	snprintf(line, sizeof(line), "PROXY TCP4 %s 127.0.0.1 %d %d\r\n%s",
	    client, cport, port, after);
	return proxied_v1(src, port, line, piece);
}

/* The daemon closes without a byte sent: 0, or -1. */
static int
closed_by_daemon(int fd, int ms)
{
	char c;

	return h_recv_exact(fd, &c, 1, ms) == 0 ? 0 : -1;
}

static void
expect_log(const struct h_daemon *d, const char *needle)
{
	cr_assert_eq(h_log_wait(d->log, needle, 1, H_WAIT_MS), 0,
	    "no '%s' in the log", needle);
}

Test(proxy, v1_tcp4_client_in_log_payload_kept)
{
	struct h_daemon d;
	char buf[16];
	int fd;

	h_start(&d, 37400, 37401, echo_any);
	/* The header and the client's first bytes in one segment: the
	 * daemon takes the header only. */
	fd = proxied_tcp4(NULL, d.port, "203.0.113.7", 40000, "hello\n", 0);
	cr_assert_eq(h_recv_exact(fd, buf, 6, H_WAIT_MS), 6);
	cr_assert_eq(memcmp(buf, "hello\n", 6), 0);
	cr_assert_eq(h_echo(fd, "again\n", H_WAIT_MS), 0);
	close(fd);
	expect_log(&d, "connect client=203.0.113.7:40000 service=echo");
	expect_log(&d, "proxy client=203.0.113.7:40000 proxy=127.0.0.1:");
	expect_log(&d, "version=1 command=PROXY");
	expect_log(&d, "disconnect client=203.0.113.7:40000");
}

/* Through the header hdr, an echo comes back, and the connect record names
 * client (NULL: the connection's own address, 127.0.0.1 and its port). */
static void
echo_as(const struct h_daemon *d, const void *hdr, size_t len,
    const char *client)
{
	char want[128];
	int fd = proxied(NULL, d->port, hdr, len, 0);

	cr_assert_eq(h_echo(fd, "echo me\n", H_WAIT_MS), 0);
	if (client == NULL)
		snprintf(want, sizeof(want), "connect client=127.0.0.1:%d "
		    "service=echo", h_local_port(fd));
	else
		snprintf(want, sizeof(want), "connect client=%s service=echo",
		    client);
	close(fd);
	expect_log(d, want);
}

Test(proxy, v1_tcp6_and_unknown)
{
	static const char tcp6[] = "PROXY TCP6 2001:db8::7 ::1 50000 7\r\n";
	static const char unknown[] = "PROXY UNKNOWN\r\n";
	struct h_daemon d;

	h_start(&d, 37400, 37401, echo_any);
	echo_as(&d, tcp6, sizeof(tcp6) - 1, "[2001:db8::7]:50000");
	/* UNKNOWN: the proxy does not know; the connection is its own. */
	echo_as(&d, unknown, sizeof(unknown) - 1, NULL);
	expect_log(&d, "version=1 command=UNKNOWN");
}

Test(proxy, v2_tcp4_tcp6_local)
{
	struct h_daemon d;
	unsigned char hdr[64];

	h_start(&d, 37402, 37403, echo_any);
	echo_as(&d, hdr, v2_header(hdr, 1, "198.51.100.9", 61000, d.port),
	    "198.51.100.9:61000");
	expect_log(&d, "version=2 command=PROXY");
	echo_as(&d, hdr, v2_header(hdr, 1, "2001:db8::42", 443, d.port),
	    "[2001:db8::42]:443");
	/* LOCAL, as a health check: served as the proxy itself. */
	echo_as(&d, hdr, v2_header(hdr, 0, NULL, 0, 0), NULL);
	expect_log(&d, "version=2 command=LOCAL");
}

Test(proxy, split_headers)
{
	struct h_daemon d;
	unsigned char hdr[64 + 8];
	char line[128];
	size_t n;
	int fd;

	h_start(&d, 37404, 37405, echo_any);
	/* v1 a byte at a time, with the payload in the last piece. */
	fd = proxied_tcp4(NULL, d.port, "203.0.113.21", 1111, "x\n", 1);
	cr_assert_eq(h_recv_exact(fd, line, 2, H_WAIT_MS), 2);
	cr_assert_eq(memcmp(line, "x\n", 2), 0);
	close(fd);
	expect_log(&d, "connect client=203.0.113.21:1111 ");
	/* v2 in pieces of 5: the signature, the head and the addresses
	 * cut anywhere, and the payload right behind it. */
	n = v2_header(hdr, 1, "2001:db8::21", 2222, d.port);
	memcpy(hdr + n, "y\n", 2);
	fd = proxied(NULL, d.port, hdr, n + 2, 5);
	cr_assert_eq(h_recv_exact(fd, line, 2, H_WAIT_MS), 2);
	cr_assert_eq(memcmp(line, "y\n", 2), 0);
	close(fd);
	expect_log(&d, "connect client=[2001:db8::21]:2222 ");
}

Test(proxy, garbage_refused_with_a_record)
{
	const char *const v2only[] = { "server.proxy_protocol=v2",
	    "server.proxy_from=127.0.0.0/8", NULL };
	struct h_daemon d;
	char want[128];
	long t0;
	int fd;

	h_start(&d, 37406, 37407, v2only);
	t0 = h_now_ms();
	fd = proxied_v1(NULL, d.port, "GET / HTTP/1.0\r\n\r\n", 0);
	cr_assert_eq(closed_by_daemon(fd, H_WAIT_MS), 0);
	/* Refused on its first byte, not after the header's time limit. */
	cr_assert_lt(h_now_ms() - t0, 2000);
	snprintf(want, sizeof(want), "refused client=127.0.0.1:%d "
	    "reason=proxy_protocol error=\"not a PROXY protocol v2 header\"",
	    h_local_port(fd));
	close(fd);
	expect_log(&d, want);
	/* A v1 header on a v2 port is no better. */
	fd = proxied_v1(NULL, d.port, "PROXY TCP4 203.0.113.1 127.0.0.1 1 2"
	    "\r\n", 0);
	cr_assert_eq(closed_by_daemon(fd, H_WAIT_MS), 0);
	close(fd);
	expect_log(&d, "error=\"a v1 header where only v2 is accepted\"");
	/* Nor a malformed one. */
	fd = proxied(NULL, d.port, SIG "\x21\x11\x00\x04" "abcd", 20, 0);
	cr_assert_eq(closed_by_daemon(fd, H_WAIT_MS), 0);
	close(fd);
	expect_log(&d, "error=\"v2: the length is too short for the "
	    "addresses\"");
	cr_assert_eq(h_log_count(d.log, "203.0.113.1"), 0);
	cr_assert_eq(h_log_count(d.log, " connect "), 0);
	/* The workers live on and serve the next one. */
	fd = proxied(NULL, d.port, SIG "\x20\x00\x00\x00", 16, 0);
	cr_assert_eq(h_echo(fd, "ok\n", H_WAIT_MS), 0);
	close(fd);
	cr_assert_eq(h_log_count(d.log, "worker_exit"), 0);
}

Test(proxy, untrusted_peer_refused)
{
	struct h_daemon d;
	char want[128];
	int fd;

	h_start(&d, 37408, 37409, echo_any);
	fd = proxied_tcp4("127.0.0.2", d.port, "203.0.113.66", 4000, "hi\n", 0);
	cr_assert_eq(closed_by_daemon(fd, H_WAIT_MS), 0);
	snprintf(want, sizeof(want), "refused client=127.0.0.2:%d "
	    "reason=proxy_protocol error=\"not in proxy_from\"",
	    h_local_port(fd));
	close(fd);
	expect_log(&d, want);
	/* The address it claimed is nowhere: never taken from it. */
	cr_assert_eq(h_log_count(d.log, "203.0.113.66"), 0);
	/* Knocking again is refused as well, counted rather than logged. */
	fd = proxied_tcp4("127.0.0.2", d.port, "203.0.113.66", 4001, "", 0);
	cr_assert_eq(closed_by_daemon(fd, H_WAIT_MS), 0);
	close(fd);
	/* Nor is a plain client served on a proxy port. */
	fd = h_connect_from("127.0.0.3", d.port);
	cr_assert_geq(fd, 0);
	cr_assert_eq(h_send(fd, "hi\n", 3), 0);
	cr_assert_eq(closed_by_daemon(fd, H_WAIT_MS), 0);
	close(fd);
	expect_log(&d, "refused client=127.0.0.3:");
	cr_assert_eq(h_log_count(d.log, "refused client=127.0.0.2:"), 1);
}

Test(proxy, incomplete_header_refused_after_the_limit)
{
	struct h_daemon d;
	long t0, took;
	int fd;

	h_start(&d, 37410, 37411, echo_any);
	t0 = h_now_ms();
	fd = proxied_v1(NULL, d.port, "PROXY TCP4 203.0.113.3 127.0", 0);
	cr_assert_eq(closed_by_daemon(fd, 3 * H_WAIT_MS), 0);
	took = h_now_ms() - t0;
	close(fd);
	cr_assert(took >= 2900 && took < 3000 + H_WAIT_MS, "closed after "
	    "%ld ms", took);
	expect_log(&d, "reason=proxy_protocol error=\"no complete header "
	    "within 3000 ms\"");
	/* A peer that closes halfway is refused at once. */
	fd = proxied(NULL, d.port, SIG "\x21", 13, 0);
	shutdown(fd, SHUT_WR);
	cr_assert_eq(closed_by_daemon(fd, H_WAIT_MS), 0);
	close(fd);
	expect_log(&d, "error=\"closed before the header was complete\"");
	cr_assert_eq(h_log_count(d.log, "203.0.113.3"), 0);
}

Test(proxy, per_source_counts_the_header_address)
{
	const char *const over[] = { "server.proxy_protocol=v1",
	    "server.proxy_from=127.0.0.1", "limits.per_source=1", NULL };
	struct h_daemon d;
	int a, b, c;

	h_start(&d, 37412, 37413, over);
	a = proxied_tcp4(NULL, d.port, "203.0.113.5", 1000, "", 0);
	cr_assert_eq(h_echo(a, "a\n", H_WAIT_MS), 0);
	/* The same client again, through the same proxy: one too many. */
	b = proxied_tcp4(NULL, d.port, "203.0.113.5", 1001, "", 0);
	cr_assert_eq(closed_by_daemon(b, H_WAIT_MS), 0);
	close(b);
	expect_log(&d, "refused client=203.0.113.5:1001 reason=per_source "
	    "open=1 limit=1");
	/* Another client through the same proxy is served. */
	c = proxied_tcp4(NULL, d.port, "203.0.113.6", 1002, "", 0);
	cr_assert_eq(h_echo(c, "c\n", H_WAIT_MS), 0);
	cr_assert_eq(h_echo(a, "a\n", H_WAIT_MS), 0);
	close(a);
	close(c);
}

/* Read one line (at most size - 1 bytes) into buf. */
static void
read_line(int fd, char *buf, size_t size)
{
	size_t have = 0;

	while (have + 1 < size) {
		cr_assert_eq(h_recv_exact(fd, buf + have, 1, H_WAIT_MS), 1,
		    "after '%.*s'", (int)have, buf);
		if (buf[have++] == '\n')
			break;
	}
	buf[have] = '\0';
}

Test(proxy, ident_knows_the_header_address)
{
	const char *const over[] = { "server.service=ident",
	    "server.proxy_protocol=any", "server.proxy_from=127.0.0.1",
	    NULL };
	struct h_daemon d;
	unsigned char hdr[64];
	char line[128];
	size_t n;
	int fd;

	h_start(&d, 37414, 37415, over);
	n = v2_header(hdr, 1, "198.51.100.20", 5000, d.port);
	fd = proxied(NULL, d.port, hdr, n, 0);
	read_line(fd, line, sizeof(line));
	cr_assert_str_eq(line, "Hello, 198.51.100.20! What is your name?\n");
	cr_assert_eq(h_send(fd, "Alice\n", 6), 0);
	read_line(fd, line, sizeof(line));
	cr_assert_str_eq(line, "Nice to meet you, Alice!\n");
	close(fd);
	/* The same client by a v1 header, from another port. */
	fd = proxied_tcp4(NULL, d.port, "198.51.100.20", 5001, "", 0);
	read_line(fd, line, sizeof(line));
	cr_assert_str_eq(line, "Hello again, Alice!\n");
	close(fd);
	/* The proxy itself (a LOCAL health check) is nobody known. */
	n = v2_header(hdr, 0, NULL, 0, 0);
	fd = proxied(NULL, d.port, hdr, n, 0);
	read_line(fd, line, sizeof(line));
	cr_assert_str_eq(line, "Hello, 127.0.0.1! What is your name?\n");
	close(fd);
}

Test(proxy, status_and_registration_limit_see_the_client)
{
	const char *const over[] = { "server.service=session",
	    "server.proxy_protocol=v2", "server.proxy_from=127.0.0.1",
	    "server.status_clients=true", "auth.max_registrations=1",
	    "auth.registration_window=600", NULL };
	struct h_daemon d;
	unsigned char hdr[64];
	char reply[2048];
	size_t n;
	int a, b;

	h_start(&d, 37416, 37417, over);
	n = v2_header(hdr, 1, "203.0.113.77", 4242, d.port);
	a = proxied(NULL, d.port, hdr, n, 0);
	cr_assert_geq(h_frame_recv(a, reply, sizeof(reply), H_WAIT_MS), 0);
	h_session_ask(a, "STATUS", reply, sizeof(reply), H_WAIT_MS);
	cr_assert(strstr(reply, "state=busy requests=0 "
	    "client=203.0.113.77:4242") != NULL, "%s", reply);
	h_session_expect(a, "REGISTER ann correct horse battery",
	    "OK registered ann", 3 * H_WAIT_MS);
	h_session_expect(a, "REGISTER bea correct horse battery",
	    "ERR 429 too many registrations from your address: at most 1 "
	    "in 600 s", 3 * H_WAIT_MS);
	/* Another client through the same proxy has its own count. */
	n = v2_header(hdr, 1, "203.0.113.78", 4243, d.port);
	b = proxied(NULL, d.port, hdr, n, 0);
	cr_assert_geq(h_frame_recv(b, reply, sizeof(reply), H_WAIT_MS), 0);
	h_session_expect(b, "REGISTER bea correct horse battery",
	    "OK registered bea", 3 * H_WAIT_MS);
	close(a);
	close(b);
}

/* sockbind -n on a config: exits 2 with one line on stderr. */
static void
expect_refused(const char *const *over, const char *what)
{
	const char *const n[] = { "-n", NULL };
	struct h_daemon d = { 0 };
	char want[PATH_MAX + 256];
	int status;

	h_config(&d, 37418, 37419, over);
	h_spawn(&d, n, NULL);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 2,
	    "status %d for %s", status, what);
	snprintf(want, sizeof(want), "%s: %s\n", d.config, what);
	cr_assert_str_eq(d.err, want);
}

Test(proxy, config_checked)
{
	const char *const no_from[] = { "server.proxy_protocol=v2", NULL };
	const char *const bad_mode[] = { "server.proxy_protocol=v3",
	    "server.proxy_from=127.0.0.1", NULL };
	const char *const bad_from[] = { "server.proxy_protocol=any",
	    "server.proxy_from=127.0.0.1 proxy.example", NULL };
	const char *const bad_bits[] = { "server.proxy_protocol=any",
	    "server.proxy_from=10.1.0.0/8", NULL };
	const char *const ok[] = { "server.proxy_protocol=v1",
	    "server.proxy_from=10.0.0.0/8 fd00::/8, 127.0.0.1", NULL };
	const char *const n[] = { "-n", NULL };
	struct h_daemon d = { 0 };
	int status;

	expect_refused(no_from, "[server] proxy_from: required when "
	    "proxy_protocol is v2: the addresses or CIDR blocks of the "
	    "proxies");
	expect_refused(bad_mode, "[server] proxy_protocol: 'v3' is none of "
	    "off, v1, v2, any");
	expect_refused(bad_from, "[server] proxy_from: 'proxy.example' is "
	    "not an IPv4 or IPv6 address or a CIDR block");
	expect_refused(bad_bits, "[server] proxy_from: '10.1.0.0/8': bits "
	    "are set past the /8 prefix");
	h_config(&d, 37418, 37419, ok);
	h_spawn(&d, n, NULL);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "%s", d.err);
	cr_assert_str_eq(d.out, "configuration OK\n");
}
