/* test_frame.c -- length-prefixed frames (shared/frame.c). */
#include <sys/resource.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "shared/frame.h"
#include "tests/unit/prng.h"

#define NEVER	SIZE_MAX

/*
 * A stream in memory. Reads deliver it in chunks following a split plan
 * (plan[i] bytes for the i-th chunk, then the rest in one), never more than
 * asked, as a socket delivers segments; a read at fail_at fails. Writes are
 * appended to out, each one's length kept; write number fail_write fails.
 */
struct mem {
	const unsigned char	*in;
	size_t			 inlen;
	size_t			 off;		/* next byte to deliver */
	const size_t		*plan;
	size_t			 nplan;
	size_t			 chunk;		/* next plan entry */
	size_t			 left;		/* bytes left in this chunk */
	size_t			 fail_at;
	size_t			 reads;
	size_t			 asked_end;	/* furthest byte asked for */

	unsigned char		*out;
	size_t			 outlen;
	size_t			 outcap;
	size_t			 nwrites;
	size_t			 wlen[8];
	size_t			 fail_write;	/* 1-based; 0: never */
};

static ssize_t
mem_read(void *ctx, void *buf, size_t len)
{
	struct mem *m = ctx;
	size_t n;

	m->reads++;
	if (m->off + len > m->asked_end)
		m->asked_end = m->off + len;
	if (m->off == m->fail_at) {
		errno = EIO;
		return -1;
	}
	if (m->off == m->inlen)
		return 0;
	if (m->left == 0) {
		m->left = m->chunk < m->nplan ? m->plan[m->chunk++] :
		    m->inlen - m->off;
		if (m->left == 0 || m->left > m->inlen - m->off)
			m->left = m->inlen - m->off;
	}
	n = len < m->left ? len : m->left;
	memcpy(buf, m->in + m->off, n);
	m->off += n;
	m->left -= n;
	return (ssize_t)n;
}

static int
mem_write(void *ctx, const void *buf, size_t len)
{
	struct mem *m = ctx;

	m->nwrites++;
	if (m->nwrites == m->fail_write) {
		errno = EPIPE;
		return -1;
	}
	if (m->nwrites <= sizeof(m->wlen) / sizeof(m->wlen[0]))
		m->wlen[m->nwrites - 1] = len;
	if (m->outlen + len > m->outcap) {
		m->outcap = (m->outlen + len) * 2;
		cr_assert_not_null(m->out = realloc(m->out, m->outcap));
	}
	memcpy(m->out + m->outlen, buf, len);
	m->outlen += len;
	return 0;
}

static void
mem_init(struct mem *m, struct frame_io *io, const void *in, size_t inlen,
    const size_t *plan, size_t nplan)
{
	memset(m, 0, sizeof(*m));
	m->in = in;
	m->inlen = inlen;
	m->plan = plan;
	m->nplan = nplan;
	m->fail_at = NEVER;
	io->ctx = m;
	io->read = mem_read;
	io->write = mem_write;
}

static void
mem_free(struct mem *m)
{
	free(m->out);
	m->out = NULL;
}

/* Encode one frame by hand (not with frame_send); returns its length. */
static size_t
put_frame(unsigned char *dst, const void *payload, uint32_t len)
{
	dst[0] = len >> 24;
	dst[1] = len >> 16;
	dst[2] = len >> 8;
	dst[3] = len;
	memcpy(dst + FRAME_HEADER, payload, len);
	return FRAME_HEADER + len;
}

/* Receive one frame and expect exactly want, NUL-terminated. */
static void
expect_frame(const struct frame_io *io, uint32_t max, const void *want,
    uint32_t wantlen, const char *what)
{
	enum frame_status st;
	char *p;
	uint32_t len;

	st = frame_recv(io, max, &p, &len);
	cr_assert_eq(st, FRAME_OK, "%s: %s", what, frame_status_str(st));
	cr_assert_not_null(p, "%s: no payload", what);
	cr_assert_eq(len, wantlen, "%s: length %u, want %u", what, len,
	    wantlen);
	cr_assert_arr_eq(p, want, wantlen, "%s: wrong payload", what);
	cr_assert_eq(p[len], '\0', "%s: payload not NUL-terminated", what);
	free(p);
}

/* Receive and expect st with no payload handed over. */
static void
expect_status(const struct frame_io *io, uint32_t max, enum frame_status want,
    const char *what)
{
	enum frame_status st;
	char *p = (char *)&p;
	uint32_t len;

	st = frame_recv(io, max, &p, &len);
	cr_assert_eq(st, want, "%s: \"%s\", want \"%s\"", what,
	    frame_status_str(st), frame_status_str(want));
	cr_assert_null(p, "%s: payload left set", what);
}

/*
 * One 10-byte frame is 14 bytes on the wire, with 13 places to cut it:
 * all 2^13 sets of cuts, from one read to one byte per read, give the same
 * frame and then a clean end.
 */
Test(frame, every_split_of_one_frame)
{
	static const char payload[] = "0123456789";
	unsigned char wire[FRAME_HEADER + 10];
	size_t plan[sizeof(wire)], nplan, last, i;
	unsigned long cuts;
	struct frame_io io;
	struct mem m;
	char what[64];

	cr_assert_eq(put_frame(wire, payload, 10), sizeof(wire));
	for (cuts = 0; cuts < 1ul << (sizeof(wire) - 1); cuts++) {
		/* Bit i-1 set: a chunk ends before byte i. */
		nplan = 0;
		last = 0;
		for (i = 1; i < sizeof(wire); i++) {
			if (cuts & 1ul << (i - 1)) {
				plan[nplan++] = i - last;
				last = i;
			}
		}
		mem_init(&m, &io, wire, sizeof(wire), plan, nplan);
		snprintf(what, sizeof(what), "cuts %#lx", cuts);
		expect_frame(&io, 100, payload, 10, what);
		cr_assert_eq(m.off, sizeof(wire), "%s: %zu bytes consumed",
		    what, m.off);
		expect_status(&io, 100, FRAME_EOF, what);
	}
}

/* The same, one byte per read, spelled out: the slowest peer there is. */
Test(frame, one_byte_at_a_time)
{
	static const char payload[] = "0123456789";
	unsigned char wire[FRAME_HEADER + 10];
	size_t plan[sizeof(wire)], i;
	struct frame_io io;
	struct mem m;

	put_frame(wire, payload, 10);
	for (i = 0; i < sizeof(wire); i++)
		plan[i] = 1;
	mem_init(&m, &io, wire, sizeof(wire), plan, sizeof(wire));
	expect_frame(&io, 10, payload, 10, "bytewise");
	cr_expect_eq(m.reads, sizeof(wire), "%zu reads", m.reads);
	expect_status(&io, 10, FRAME_EOF, "bytewise, then end");
}

/* Frames that arrive together are taken one at a time, none lost. */
Test(frame, back_to_back_in_one_read)
{
	static const char *const p[] = { "first", "", "third frame", "x" };
	unsigned char wire[64];
	size_t n = 0, i;
	struct frame_io io;
	struct mem m;

	for (i = 0; i < 4; i++)
		n += put_frame(wire + n, p[i], strlen(p[i]));
	mem_init(&m, &io, wire, n, NULL, 0);
	for (i = 0; i < 4; i++)
		expect_frame(&io, 64, p[i], strlen(p[i]), p[i]);
	expect_status(&io, 64, FRAME_EOF, "after four frames");
}

Test(frame, zero_length)
{
	static const unsigned char wire[] = { 0, 0, 0, 0 };
	struct frame_io io;
	struct mem m;
	char *p;
	uint32_t len = 99;

	mem_init(&m, &io, wire, sizeof(wire), NULL, 0);
	/* Even max 0 admits it; the payload is "" rather than NULL. */
	cr_assert_eq(frame_recv(&io, 0, &p, &len), FRAME_OK);
	cr_assert_eq(len, 0);
	cr_assert_not_null(p);
	cr_expect_str_eq(p, "");
	free(p);
	expect_status(&io, 0, FRAME_EOF, "after the empty frame");
}

/* A payload with a NUL inside is kept whole; one more NUL follows it. */
Test(frame, payload_nul_terminated)
{
	static const char payload[] = { 'a', '\0', 'b', 'c' };
	unsigned char wire[FRAME_HEADER + sizeof(payload)];
	struct frame_io io;
	struct mem m;

	put_frame(wire, payload, sizeof(payload));
	mem_init(&m, &io, wire, sizeof(wire), NULL, 0);
	expect_frame(&io, 4, payload, sizeof(payload), "embedded NUL");
}

Test(frame, eof_before_a_frame)
{
	struct frame_io io;
	struct mem m;
	char *p = (char *)&p;
	uint32_t len = 99;

	mem_init(&m, &io, "", 0, NULL, 0);
	cr_assert_eq(frame_recv(&io, 100, &p, &len), FRAME_EOF);
	cr_expect_null(p);
	cr_expect_eq(len, 0);
	/* And it stays at the end. */
	expect_status(&io, 100, FRAME_EOF, "again");
}

/* 1..3 header bytes, in one read or one per read: cut, not a clean end. */
Test(frame, truncated_in_header)
{
	static const unsigned char wire[] = { 0, 0, 0, 5 };
	static const size_t ones[] = { 1, 1, 1 };
	struct frame_io io;
	struct mem m;
	char what[32];
	size_t n;
	int bytewise;

	for (n = 1; n < FRAME_HEADER; n++) {
		for (bytewise = 0; bytewise < 2; bytewise++) {
			mem_init(&m, &io, wire, n, bytewise ? ones : NULL,
			    bytewise ? n : 0);
			snprintf(what, sizeof(what), "%zu header bytes%s", n,
			    bytewise ? ", bytewise" : "");
			expect_status(&io, 100, FRAME_TRUNCATED, what);
		}
	}
}

/*
 * A whole header then 0..9 of its 10 payload bytes: cut. With 0 bytes the
 * payload read sees a clean end, which must not pass for one.
 */
Test(frame, truncated_in_payload)
{
	static const char payload[] = "0123456789";
	static const size_t ones[FRAME_HEADER + 10] = { 1, 1, 1, 1, 1, 1, 1,
	    1, 1, 1, 1, 1, 1, 1 };
	unsigned char wire[FRAME_HEADER + 10];
	struct frame_io io;
	struct mem m;
	char what[48];
	size_t n;
	int bytewise;

	put_frame(wire, payload, 10);
	for (n = FRAME_HEADER; n < sizeof(wire); n++) {
		for (bytewise = 0; bytewise < 2; bytewise++) {
			mem_init(&m, &io, wire, n, bytewise ? ones : NULL,
			    bytewise ? n : 0);
			snprintf(what, sizeof(what), "%zu payload bytes%s",
			    n - FRAME_HEADER, bytewise ? ", bytewise" : "");
			expect_status(&io, 100, FRAME_TRUNCATED, what);
		}
	}
}

/*
 * Without ASan, cap the address space a little above what the process uses,
 * so that an allocation of the announced length could not even succeed: the
 * test takes no memory either way and an allocation shows as FRAME_ERROR.
 * ASan reserves terabytes of shadow, so there the read checks must do.
 */
static void
cap_memory(struct rlimit *old)
{
#ifndef __SANITIZE_ADDRESS__
	struct rlimit rl;
	unsigned long pages = 0;
	FILE *f;
#endif

	cr_assert_eq(getrlimit(RLIMIT_AS, old), 0);
#ifndef __SANITIZE_ADDRESS__
	rl = *old;
	cr_assert_not_null(f = fopen("/proc/self/statm", "r"));
	cr_assert_eq(fscanf(f, "%lu", &pages), 1);
	fclose(f);
	rl.rlim_cur = (rlim_t)pages * sysconf(_SC_PAGESIZE) + (256ul << 20);
	if (old->rlim_max != RLIM_INFINITY && rl.rlim_cur > old->rlim_max)
		rl.rlim_cur = old->rlim_max;
	cr_assert_eq(setrlimit(RLIMIT_AS, &rl), 0);
#endif
}

/*
 * An announced length above max is refused from the header alone: nothing
 * allocated, not one payload byte asked for, the length reported.
 */
Test(frame, too_big_refused_before_allocation)
{
	static const unsigned char wire[] = { 0xff, 0xff, 0xff, 0xff,
	    'a', 'b', 'c' };
	struct frame_io io;
	struct rlimit old;
	struct mem m;
	enum frame_status st;
	char *p = (char *)&p;
	uint32_t len = 0;

	mem_init(&m, &io, wire, sizeof(wire), NULL, 0);
	cap_memory(&old);
	st = frame_recv(&io, 16, &p, &len);
	setrlimit(RLIMIT_AS, &old);
	cr_assert_eq(st, FRAME_TOO_BIG, "\"%s\"", frame_status_str(st));
	cr_expect_eq(len, 0xffffffffu, "reported length %#x", len);
	cr_expect_null(p);
	cr_expect_eq(m.off, FRAME_HEADER, "%zu bytes consumed", m.off);
	cr_expect_eq(m.asked_end, FRAME_HEADER, "read asked for bytes up to "
	    "%zu: the payload", m.asked_end);
}

/* The bound is inclusive: max bytes pass, max + 1 do not. */
Test(frame, too_big_boundary)
{
	static const char payload[] = "0123456789x";
	unsigned char wire[FRAME_HEADER + 11];
	struct frame_io io;
	struct mem m;
	char *p;
	uint32_t len;

	put_frame(wire, payload, 10);
	mem_init(&m, &io, wire, FRAME_HEADER + 10, NULL, 0);
	expect_frame(&io, 10, payload, 10, "exactly max");

	put_frame(wire, payload, 11);
	mem_init(&m, &io, wire, sizeof(wire), NULL, 0);
	cr_assert_eq(frame_recv(&io, 10, &p, &len), FRAME_TOO_BIG);
	cr_expect_eq(len, 11);
	cr_expect_null(p);
	cr_expect_eq(m.asked_end, FRAME_HEADER);

	/* max 0 admits only empty frames. */
	put_frame(wire, payload, 1);
	mem_init(&m, &io, wire, FRAME_HEADER + 1, NULL, 0);
	cr_assert_eq(frame_recv(&io, 0, &p, &len), FRAME_TOO_BIG);
	cr_expect_eq(len, 1);
}

/* A failed read is an error wherever it happens, never a clean end. */
Test(frame, read_error)
{
	static const char payload[] = "0123456789";
	static const size_t at[] = { 0, 2, FRAME_HEADER, FRAME_HEADER + 5 };
	static const size_t ones[FRAME_HEADER + 10] = { 1, 1, 1, 1, 1, 1, 1,
	    1, 1, 1, 1, 1, 1, 1 };
	unsigned char wire[FRAME_HEADER + 10];
	struct frame_io io;
	struct mem m;
	char what[32];
	size_t i;

	put_frame(wire, payload, 10);
	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		mem_init(&m, &io, wire, sizeof(wire), ones, sizeof(wire));
		m.fail_at = at[i];
		snprintf(what, sizeof(what), "read fails at %zu", at[i]);
		expect_status(&io, 100, FRAME_ERROR, what);
	}
}

/* Expect out to be exactly the header for len, then payload. */
static void
expect_wire(const struct mem *m, const void *payload, uint32_t len)
{
	unsigned char hdr[FRAME_HEADER];

	hdr[0] = len >> 24;
	hdr[1] = len >> 16;
	hdr[2] = len >> 8;
	hdr[3] = len;
	cr_assert_eq(m->outlen, FRAME_HEADER + (size_t)len, "%zu bytes "
	    "written for a %u-byte payload", m->outlen, len);
	cr_assert_arr_eq(m->out, hdr, FRAME_HEADER, "header %02x %02x %02x "
	    "%02x for length %#x", m->out[0], m->out[1], m->out[2], m->out[3],
	    len);
	cr_assert_arr_eq(m->out + FRAME_HEADER, payload, len, "payload "
	    "bytes differ");
}

Test(frame, send_small_in_one_write)
{
	static const unsigned char want[] = { 0, 0, 0, 5, 'h', 'e', 'l',
	    'l', 'o' };
	struct frame_io io;
	struct mem m;

	mem_init(&m, &io, NULL, 0, NULL, 0);
	cr_assert_eq(frame_send(&io, "hello", 5), FRAME_OK);
	cr_assert_eq(m.nwrites, 1, "%zu writes", m.nwrites);
	cr_assert_eq(m.outlen, sizeof(want));
	cr_assert_arr_eq(m.out, want, sizeof(want));
	mem_free(&m);

	mem_init(&m, &io, NULL, 0, NULL, 0);
	cr_assert_eq(frame_send(&io, "", 0), FRAME_OK);
	cr_assert_eq(m.nwrites, 1);
	expect_wire(&m, "", 0);
	mem_free(&m);
}

/* Up to 8192 bytes header and payload go out together; above, apart. */
Test(frame, send_coalescing_boundary)
{
	static const uint32_t sizes[] = { 8191, 8192, 8193, 0x12345 };
	unsigned char *payload;
	struct frame_io io;
	struct mem m;
	size_t i, j;

	cr_assert_not_null(payload = malloc(0x12345));
	for (j = 0; j < 0x12345; j++)
		payload[j] = j * 7 + (j >> 8);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		mem_init(&m, &io, NULL, 0, NULL, 0);
		cr_assert_eq(frame_send(&io, payload, sizes[i]), FRAME_OK);
		expect_wire(&m, payload, sizes[i]);
		if (sizes[i] <= 8192) {
			cr_expect_eq(m.nwrites, 1, "%u bytes: %zu writes",
			    sizes[i], m.nwrites);
		} else {
			cr_expect_eq(m.nwrites, 2, "%u bytes: %zu writes",
			    sizes[i], m.nwrites);
			cr_expect_eq(m.wlen[0], FRAME_HEADER);
			cr_expect_eq(m.wlen[1], sizes[i]);
		}
		mem_free(&m);
	}
	free(payload);
}

Test(frame, send_big_endian_header)
{
	unsigned char *payload;
	struct frame_io io;
	struct mem m;

	/* 0x012345: three distinct non-zero bytes in place. */
	cr_assert_not_null(payload = calloc(1, 0x12345));
	mem_init(&m, &io, NULL, 0, NULL, 0);
	cr_assert_eq(frame_send(&io, payload, 0x12345), FRAME_OK);
	cr_expect_eq(m.out[0], 0x00);
	cr_expect_eq(m.out[1], 0x01);
	cr_expect_eq(m.out[2], 0x23);
	cr_expect_eq(m.out[3], 0x45);
	mem_free(&m);
	free(payload);
}

/* A failed write is reported, and nothing more is written after it. */
Test(frame, send_write_error)
{
	char *big;
	struct frame_io io;
	struct mem m;

	cr_assert_not_null(big = calloc(1, 10000));
	mem_init(&m, &io, NULL, 0, NULL, 0);
	m.fail_write = 1;
	cr_expect_eq(frame_send(&io, "hello", 5), FRAME_ERROR);
	mem_free(&m);

	mem_init(&m, &io, NULL, 0, NULL, 0);
	m.fail_write = 1;
	cr_expect_eq(frame_send(&io, big, 10000), FRAME_ERROR, "header");
	cr_expect_eq(m.nwrites, 1, "payload written after a failed header");
	mem_free(&m);

	mem_init(&m, &io, NULL, 0, NULL, 0);
	m.fail_write = 2;
	cr_expect_eq(frame_send(&io, big, 10000), FRAME_ERROR, "payload");
	mem_free(&m);

	mem_init(&m, &io, NULL, 0, NULL, 0);
	m.fail_write = 1;
	cr_expect_eq(frame_send_text(&io, "hi"), FRAME_ERROR, "text");
	mem_free(&m);
	free(big);
}

Test(frame, send_text)
{
	static const char text[] = "h\xc3\xa9llo";	/* 6 bytes */
	struct frame_io io;
	struct mem m;

	mem_init(&m, &io, NULL, 0, NULL, 0);
	cr_assert_eq(frame_send_text(&io, text), FRAME_OK);
	expect_wire(&m, text, 6);
	mem_free(&m);

	mem_init(&m, &io, NULL, 0, NULL, 0);
	cr_assert_eq(frame_send_text(&io, ""), FRAME_OK);
	expect_wire(&m, "", 0);
	mem_free(&m);
}

/* Every status is said in words of its own, and a value outside the
 * enum still gets words: the messages built from them never print NULL
 * nor confuse two statuses. */
Test(frame, status_strings)
{
	const char *text[FRAME_ERROR + 1];
	int i, j;

	for (i = FRAME_OK; i <= FRAME_ERROR; i++) {
		text[i] = frame_status_str((enum frame_status)i);
		cr_assert_not_null(text[i], "status %d", i);
		cr_assert_gt(strlen(text[i]), 0, "status %d", i);
		for (j = FRAME_OK; j < i; j++)
			cr_expect_str_neq(text[i], text[j], "statuses %d, %d",
			    j, i);
	}
	cr_assert_not_null(frame_status_str((enum frame_status)(FRAME_ERROR +
	    1)));
}

/*
 * 300 frames of random sizes (empty, small, around the coalescing bound,
 * up to 70000 bytes) sent with frame_send() come back whole and in order
 * through reads cut at random places, then a clean end.
 */
#define NRANDOM	300

Test(frame, random_round_trip)
{
	uint32_t seed = 0x5eed1234, len[NRANDOM], r;
	unsigned char *payload[NRANDOM];
	size_t *plan, nplan = 0, sum = 0, i, j;
	struct frame_io io;
	struct mem w, m;
	char what[32];

	mem_init(&w, &io, NULL, 0, NULL, 0);
	for (i = 0; i < NRANDOM; i++) {
		r = xorshift32(&seed);
		switch (r % 4) {
		case 0:
			len[i] = r >> 8 & 0xf;
			break;
		case 1:
			len[i] = r >> 8 & 0x3ff;
			break;
		case 2:
			len[i] = 8192 - 4 + (r >> 8 & 7);
			break;
		default:
			len[i] = (r >> 8) % 70000;
			break;
		}
		cr_assert_not_null(payload[i] = malloc(len[i] + 1));
		for (j = 0; j < len[i]; j++)
			payload[i][j] = xorshift32(&seed);
		cr_assert_eq(frame_send(&io, payload[i], len[i]), FRAME_OK);
	}

	cr_assert_not_null(plan = malloc(w.outlen * sizeof(*plan)));
	while (sum < w.outlen) {
		r = xorshift32(&seed);
		/* Mostly short reads, now and then a long one. */
		plan[nplan] = r % 8 == 0 ? 1 + r % 20000 : 1 + r % 300;
		sum += plan[nplan++];
	}
	mem_init(&m, &io, w.out, w.outlen, plan, nplan);
	for (i = 0; i < NRANDOM; i++) {
		snprintf(what, sizeof(what), "frame %zu", i);
		expect_frame(&io, 70000, payload[i], len[i], what);
		free(payload[i]);
	}
	expect_status(&io, 70000, FRAME_EOF, "after all frames");
	free(plan);
	mem_free(&w);
}
