/* frame.c -- length-prefixed frames (see frame.h). */
#include <stdlib.h>
#include <string.h>

#include "shared/frame.h"

#define FRAME_COALESCE	8192	/* small frames go out in one write */

/* Read exactly len bytes; *got says how many arrived before an end. */
static enum frame_status
frame_read_exact(const struct frame_io *io, void *buf, size_t len,
    size_t *got)
{
	ssize_t n;

	*got = 0;
	while (*got < len) {
		n = io->read(io->ctx, (char *)buf + *got, len - *got);
		if (n < 0)
			return FRAME_ERROR;
		if (n == 0)
			return *got == 0 ? FRAME_EOF : FRAME_TRUNCATED;
		*got += n;
	}
	return FRAME_OK;
}

enum frame_status
frame_recv(const struct frame_io *io, uint32_t max, char **payload,
    uint32_t *len)
{
	unsigned char hdr[FRAME_HEADER];
	enum frame_status st;
	size_t got;
	char *buf;

	*payload = NULL;
	*len = 0;
	if ((st = frame_read_exact(io, hdr, sizeof(hdr), &got)) != FRAME_OK)
		return st;
	*len = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | hdr[3];
	if (*len > max)
		return FRAME_TOO_BIG;
	if ((buf = malloc((size_t)*len + 1)) == NULL)
		return FRAME_ERROR;
	st = frame_read_exact(io, buf, *len, &got);
	if (st != FRAME_OK) {
		free(buf);
		/* A header without its payload is a cut frame, not an end. */
		return st == FRAME_EOF ? FRAME_TRUNCATED : st;
	}
	buf[*len] = '\0';
	*payload = buf;
	return FRAME_OK;
}

enum frame_status
frame_send(const struct frame_io *io, const void *payload, uint32_t len)
{
	unsigned char buf[FRAME_HEADER + FRAME_COALESCE];

	buf[0] = len >> 24;
	buf[1] = len >> 16;
	buf[2] = len >> 8;
	buf[3] = len;
	if (len <= FRAME_COALESCE) {
		memcpy(buf + FRAME_HEADER, payload, len);
		return io->write(io->ctx, buf, FRAME_HEADER + len) == 0 ?
		    FRAME_OK : FRAME_ERROR;
	}
	if (io->write(io->ctx, buf, FRAME_HEADER) == -1 ||
	    io->write(io->ctx, payload, len) == -1)
		return FRAME_ERROR;
	return FRAME_OK;
}

enum frame_status
frame_send_text(const struct frame_io *io, const char *text)
{
	return frame_send(io, text, (uint32_t)strlen(text));
}

const char *
frame_status_str(enum frame_status st)
{
	switch (st) {
	case FRAME_OK:
		return "ok";
	case FRAME_EOF:
		return "end of stream";
	case FRAME_TRUNCATED:
		return "stream ended inside a frame";
	case FRAME_TOO_BIG:
		return "frame too big";
	case FRAME_ERROR:
		break;
	}
	return "read or write error";
}
