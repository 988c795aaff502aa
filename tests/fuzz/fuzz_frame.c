/*
 * fuzz_frame.c -- the frame decoder (shared/frame.c) over a stream in
 * memory.
 *
 * Input: 3 bytes of max_frame (0..1 MiB), 1 byte of read plan (low 7 bits:
 * the most a read delivers, 0 = all it is asked; high bit: the stream ends
 * in a read error instead of an end), then the stream. Frames are read
 * until one is not FRAME_OK. Checked against a parse of the same bytes done
 * here: every frame's length and payload, the NUL after it, the status that
 * ends the stream (EOF only between frames, TRUNCATED inside one, TOO_BIG
 * with the announced length and nothing read past the header, ERROR only
 * from a failed read), and that frame_send() of the payloads gives back
 * exactly the bytes read.
 */
#include <errno.h>
#include <string.h>

#include "shared/frame.h"
#include "tests/fuzz/fuzz.h"

struct mem {
	const uint8_t	*in;
	size_t		 len, off;
	size_t		 chunk;		/* most bytes per read; 0: no limit */
	int		 fail;		/* end with an error, not EOF */
	int		 failed;
	uint8_t		*out;
	size_t		 outlen, outcap;
};

static ssize_t
mem_read(void *ctx, void *buf, size_t len)
{
	struct mem *m = ctx;
	size_t n = m->len - m->off;

	FUZZ_CHECK(len > 0, "read of 0 bytes");
	FUZZ_CHECK(!m->failed, "read again after an error");
	if (n == 0) {
		if (m->fail) {
			m->failed = 1;
			errno = EIO;
			return -1;
		}
		return 0;
	}
	if (n > len)
		n = len;
	if (m->chunk && n > m->chunk)
		n = m->chunk;
	memcpy(buf, m->in + m->off, n);
	m->off += n;
	return (ssize_t)n;
}

static int
mem_write(void *ctx, const void *buf, size_t len)
{
	struct mem *m = ctx;

	if (m->outlen + len > m->outcap)
		return -1;
	memcpy(m->out + m->outlen, buf, len);
	m->outlen += len;
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mem m = { 0 };
	struct frame_io io = { &m, mem_read, mem_write };
	enum frame_status st;
	uint32_t max, len, want;
	size_t at = 0;		/* where the next frame starts */
	char *payload;

	if (size < 4)
		return 0;
	max = ((uint32_t)data[0] << 16 | data[1] << 8 | data[2]) & 0xfffff;
	m.chunk = data[3] & 0x7f;
	m.fail = data[3] >> 7;
	m.in = data + 4;
	m.len = size - 4;
	/* Re-encoded frames take no more room than the stream held. */
	m.outcap = m.len;
	if ((m.out = malloc(m.outcap + 1)) == NULL)
		return 0;

	for (;;) {
		payload = (char *)1;
		st = frame_recv(&io, max, &payload, &len);
		if (st != FRAME_OK) {
			FUZZ_CHECK(payload == NULL, "payload set with status "
			    "%d", st);
			break;
		}
		FUZZ_CHECK(m.len - at >= 4, "frame from %zu bytes", m.len - at);
		want = (uint32_t)m.in[at] << 24 | m.in[at + 1] << 16 |
		    m.in[at + 2] << 8 | m.in[at + 3];
		FUZZ_CHECK(len == want, "length %u, header says %u", len, want);
		FUZZ_CHECK(len <= max, "length %u above max %u", len, max);
		FUZZ_CHECK(m.len - at - 4 >= len, "payload past the stream");
		FUZZ_CHECK(payload != NULL, "no payload");
		FUZZ_CHECK(memcmp(payload, m.in + at + 4, len) == 0,
		    "payload differs");
		FUZZ_CHECK(payload[len] == '\0', "no NUL after the payload");
		FUZZ_CHECK(frame_send(&io, payload, len) == FRAME_OK,
		    "frame_send");
		free(payload);
		at += 4 + (size_t)len;
		/* The decoder reads no further than the frame it returns. */
		FUZZ_CHECK(m.off == at, "read %zu, frame ended at %zu", m.off,
		    at);
	}

	FUZZ_CHECK(m.outlen == at && memcmp(m.out, m.in, at) == 0,
	    "re-encoded frames differ from the stream");
	switch (st) {
	case FRAME_EOF:
		FUZZ_CHECK(at == m.len && !m.fail, "EOF at %zu of %zu", at,
		    m.len);
		break;
	case FRAME_TRUNCATED:
		FUZZ_CHECK(!m.fail && m.len > at, "TRUNCATED with no bytes");
		if (m.len - at >= 4) {
			want = (uint32_t)m.in[at] << 24 | m.in[at + 1] << 16 |
			    m.in[at + 2] << 8 | m.in[at + 3];
			FUZZ_CHECK(want <= max && m.len - at - 4 < want,
			    "TRUNCATED on a whole frame");
		}
		break;
	case FRAME_TOO_BIG:
		FUZZ_CHECK(m.len - at >= 4, "TOO_BIG without a header");
		want = (uint32_t)m.in[at] << 24 | m.in[at + 1] << 16 |
		    m.in[at + 2] << 8 | m.in[at + 3];
		FUZZ_CHECK(len == want && want > max, "TOO_BIG: %u, max %u",
		    len, max);
		FUZZ_CHECK(m.off == at + 4, "read past a refused header");
		break;
	case FRAME_ERROR:
		FUZZ_CHECK(m.failed, "ERROR without a failed read");
		break;
	case FRAME_OK:
		break;
	}
	free(m.out);
	return 0;
}
