/*
 * fuzz_proxyproto.c -- the PROXY protocol header parser (shared/proxyproto.c)
 * over every prefix of its input, as a header arrives in pieces.
 *
 * Input: 1 byte of accepted versions (low 2 bits; 0 is taken as both), then
 * the bytes a connection starts with. Checked: along the prefixes (the first
 * 600 bytes, and the whole) the status is MORE, then from one length on
 * either DONE for good, with the same header every time, or ERROR for good;
 * a DONE header is no longer than the bytes given, at least the shortest
 * header of its version, of an accepted version, and its bytes are a header
 * on their own; a PROXY command has AF_INET or AF_INET6 addresses, a v1 one
 * the very addresses and ports its line spells; an ERROR says why in
 * printable ASCII that never quotes the input.
 */
#include <arpa/inet.h>
#include <netinet/in.h>

#include <stdio.h>
#include <string.h>

#include "shared/proxyproto.h"
#include "tests/fuzz/fuzz.h"

#define PREFIXES	600

static void
check_error(const char *err)
{
	size_t i, n = strlen(err);

	FUZZ_CHECK(n > 0, "ERROR without a reason");
	for (i = 0; i < n; i++)
		FUZZ_CHECK(err[i] >= 0x20 && err[i] < 0x7f, "byte %02x in "
		    "the reason", (unsigned char)err[i]);
}

/* "ADDR ADDR PORT PORT" of a sockaddr pair, as a v1 line spells them. */
static void
v1_spell(const struct proxyproto_hdr *h, char *buf, size_t size)
{
	char a[2][INET6_ADDRSTRLEN];
	const struct sockaddr_storage *ss[2] = { &h->src, &h->dst };
	unsigned port[2];
	int k;

	for (k = 0; k < 2; k++) {
		if (ss[k]->ss_family == AF_INET) {
			const struct sockaddr_in *s = (const void *)ss[k];

			inet_ntop(AF_INET, &s->sin_addr, a[k], sizeof(a[k]));
			port[k] = ntohs(s->sin_port);
		} else {
			const struct sockaddr_in6 *s = (const void *)ss[k];

			inet_ntop(AF_INET6, &s->sin6_addr, a[k], sizeof(a[k]));
			port[k] = ntohs(s->sin6_port);
		}
	}
	snprintf(buf, size, "PROXY TCP%c %s %s %u %u\r\n",
	    h->src.ss_family == AF_INET ? '4' : '6', a[0], a[1], port[0],
	    port[1]);
}

static void
check_done(const uint8_t *in, size_t len, int versions,
    const struct proxyproto_hdr *h)
{
	struct proxyproto_hdr again, canon;
	char err[128], line[160];
	int fam;

	FUZZ_CHECK(h->len <= len, "header of %zu from %zu bytes", h->len,
	    len);
	FUZZ_CHECK(h->version == 1 || h->version == 2, "version %d",
	    h->version);
	FUZZ_CHECK(versions & (h->version == 1 ? PROXYPROTO_V1 :
	    PROXYPROTO_V2), "v%d not accepted", h->version);
	FUZZ_CHECK(h->len >= (h->version == 1 ? 15 : 16) && (h->version == 2 ||
	    h->len <= PROXYPROTO_V1_MAX), "v%d header of %zu bytes",
	    h->version, h->len);
	FUZZ_CHECK(proxyproto_parse(in, h->len, versions, &again, err,
	    sizeof(err)) == PROXYPROTO_DONE && again.len == h->len,
	    "the header alone is not one");
	if (h->command != PROXYPROTO_PROXY)
		return;
	fam = h->src.ss_family;
	FUZZ_CHECK((fam == AF_INET || fam == AF_INET6) &&
	    h->dst.ss_family == fam, "families %d, %d", fam,
	    h->dst.ss_family);
	if (h->version != 1)
		return;
	/* Spelled out again, the line means the same addresses. */
	v1_spell(h, line, sizeof(line));
	FUZZ_CHECK(proxyproto_parse(line, strlen(line), PROXYPROTO_V1, &canon,
	    err, sizeof(err)) == PROXYPROTO_DONE, "'%s': %s", line, err);
	FUZZ_CHECK(memcmp(&canon.src, &h->src, sizeof(h->src)) == 0 &&
	    memcmp(&canon.dst, &h->dst, sizeof(h->dst)) == 0,
	    "'%s' means other addresses", line);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct proxyproto_hdr h, first;
	enum proxyproto_status st, prev = PROXYPROTO_MORE;
	char err[128];
	const uint8_t *in;
	size_t len, k, last;
	int versions;

	if (size < 1)
		return 0;
	versions = data[0] & 3 ? data[0] & 3 : PROXYPROTO_V1 | PROXYPROTO_V2;
	in = data + 1;
	len = size - 1;
	last = len < PREFIXES ? len : PREFIXES;
	memset(&first, 0, sizeof(first));
	for (k = 0;; k = k < last ? k + 1 : len) {
		err[0] = '\0';
		st = proxyproto_parse(in, k, versions, &h, err, sizeof(err));
		FUZZ_CHECK(st == PROXYPROTO_MORE || st == PROXYPROTO_DONE ||
		    st == PROXYPROTO_ERROR, "status %d", st);
		FUZZ_CHECK(prev == PROXYPROTO_MORE || st == prev,
		    "status %d after %d at %zu bytes", st, prev, k);
		if (st == PROXYPROTO_ERROR)
			check_error(err);
		if (st == PROXYPROTO_DONE && prev == PROXYPROTO_MORE) {
			check_done(in, k, versions, &h);
			FUZZ_CHECK(h.len == k, "DONE first at %zu, header of "
			    "%zu", k, h.len);
			first = h;
		} else if (st == PROXYPROTO_DONE)
			FUZZ_CHECK(memcmp(&h, &first, sizeof(h)) == 0,
			    "another header at %zu bytes", k);
		prev = st;
		if (k == len)
			break;
	}
	return 0;
}
