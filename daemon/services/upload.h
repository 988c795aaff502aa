/*
 * upload.h -- store a file under [upload] dir, never half-written under its
 * final name: the building blocks of the upload service and of the
 * session's UPLOAD verb.
 *
 * upload_begin() opens an unnamed file (O_TMPFILE, or a hidden temporary);
 * upload_write() adds data and its SHA-256, capped at [upload] max_size;
 * upload_commit() links it under a free name derived from name (stored
 * gets the name used); upload_abort() drops it. upload_sanitize_name()
 * keeps a client's name safe to store and to log as it is (docs/PROTOCOL.md
 * 1.4). upload_write() returns 0, -1 on a write error or -2 past max_size;
 * the others 0 or -1; errors are described in err.
 */
#ifndef SOCKBIND_UPLOAD_H
#define SOCKBIND_UPLOAD_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

struct config;

struct upload {
	int				fd;
	char				tmp[PATH_MAX];	/* "": unnamed (O_TMPFILE) */
	uint64_t			size;
	uint64_t			max;
	const struct config		*cfg;
	crypto_hash_sha256_state	sha;
};

#define UPLOAD_NAME_MAX	128
#define UPLOAD_HEX_LEN	(crypto_hash_sha256_BYTES * 2 + 1)

int	upload_begin(struct upload *, const struct config *, char *err,
	    size_t errlen);
int	upload_write(struct upload *, const void *buf, size_t len, char *err,
	    size_t errlen);
void	upload_digest(struct upload *, char hex[UPLOAD_HEX_LEN]);
int	upload_commit(struct upload *, const char *name, char *stored,
	    size_t storedlen, char *err, size_t errlen);
void	upload_abort(struct upload *);
void	upload_sanitize_name(const char *in, char *out, size_t outlen);

#endif
