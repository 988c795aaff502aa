/*
 * frame.h -- length-prefixed frames: a 4-byte unsigned big-endian payload
 * length, then the payload (docs/PROTOCOL.md, section 1).
 *
 * I/O goes through struct frame_io, so the same code serves the daemon's
 * non-blocking connections and the client's blocking socket: read() returns
 * bytes read (> 0), 0 at end of stream or -1 on error, and may return fewer
 * than asked; write() returns 0 once everything is written, or -1.
 *
 * frame_recv() reads one whole frame. Its payload is malloc'd with a NUL byte
 * after it (a text frame is then a C string) and handed to the caller in
 * *payload, its length in *len. The length is checked against max before
 * anything is allocated: FRAME_TOO_BIG leaves the payload unread (the stream
 * is then out of step and must be closed) with the announced length in *len.
 * frame_send() writes header and payload; frame_send_text() a C string.
 */
#ifndef SOCKBIN_FRAME_H
#define SOCKBIN_FRAME_H

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#define FRAME_HEADER	4

enum frame_status {
	FRAME_OK = 0,
	FRAME_EOF,		/* the stream ended cleanly between frames */
	FRAME_TRUNCATED,	/* the stream ended inside a frame */
	FRAME_TOO_BIG,		/* announced length above the maximum */
	FRAME_ERROR,		/* read or write failed, or out of memory */
};

struct frame_io {
	void	*ctx;
	ssize_t	(*read)(void *ctx, void *buf, size_t len);
	int	(*write)(void *ctx, const void *buf, size_t len);
};

enum frame_status	frame_recv(const struct frame_io *, uint32_t max,
			    char **payload, uint32_t *len);
enum frame_status	frame_send(const struct frame_io *, const void *payload,
			    uint32_t len);
enum frame_status	frame_send_text(const struct frame_io *,
			    const char *text);
const char		*frame_status_str(enum frame_status);

#endif
