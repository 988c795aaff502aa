/*
 * upload.c -- store a client's file under [upload] dir.
 *
 * Data goes to an unnamed file in the upload directory (O_TMPFILE), hashed
 * (SHA-256) and counted as it arrives, capped at [upload] max_size.
 * upload_commit() fsyncs it and links it under its final name, which never
 * replaces a file (linkat fails on an existing name; "-1", "-2" ... are
 * added until a name is free), then fsyncs the directory. A cut connection,
 * a mismatch or a worker killed mid-upload leaves nothing behind: the
 * kernel frees an unnamed file with its last descriptor. On a file system
 * without O_TMPFILE (or without /proc) a named temporary ".upload-XXXXXX"
 * is used instead and renamed with RENAME_NOREPLACE; only a killed worker
 * can leave one of those. Nothing ever appears half-written under a final
 * name.
 *
 * The raw service stores what arrives until the client shuts down its write
 * side and answers "OK NAME SIZE SHA256"; the session service announces name,
 * size and checksum first (services/session.c).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/conn.h"
#include "daemon/service.h"
#include "daemon/services/upload.h"
#include "shared/log.h"
#include "shared/utf8.h"

#define UPLOAD_SUFFIX_MAX	1000
#define UPLOAD_DRAIN_MS		1000	/* after an ERR mid-upload */

int
upload_begin(struct upload *u, const struct config *cfg, char *err,
    size_t errlen)
{
	memset(u, 0, sizeof(*u));
	u->fd = -1;
	u->cfg = cfg;
	u->max = (uint64_t)cfg->upload_max_size;
	if (mkdir(cfg->upload_dir, 0750) == -1 && errno != EEXIST) {
		snprintf(err, errlen, "upload directory: %s", strerror(errno));
		return -1;
	}
	/* Linked later through /proc/self/fd: see that it is there. */
	if (access("/proc/self/fd", X_OK) == 0 &&
	    (u->fd = open(cfg->upload_dir, O_TMPFILE | O_WRONLY | O_CLOEXEC,
	    0600)) != -1) {
		crypto_hash_sha256_init(&u->sha);
		return 0;
	}
	if ((size_t)snprintf(u->tmp, sizeof(u->tmp), "%s/.upload-XXXXXX",
	    cfg->upload_dir) >= sizeof(u->tmp) ||
	    (u->fd = mkostemp(u->tmp, O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "temporary file: %s", strerror(errno));
		return -1;
	}
	crypto_hash_sha256_init(&u->sha);
	return 0;
}

int
upload_write(struct upload *u, const void *buf, size_t len, char *err,
    size_t errlen)
{
	const char *p = buf;
	ssize_t n;

	if (u->size + len > u->max) {
		snprintf(err, errlen, "too large: more than max_size %llu "
		    "bytes", (unsigned long long)u->max);
		return -2;
	}
	crypto_hash_sha256_update(&u->sha, buf, len);
	u->size += len;
	while (len > 0) {
		if ((n = write(u->fd, p, len)) == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "write: %s", strerror(errno));
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

void
upload_digest(struct upload *u, char hex[UPLOAD_HEX_LEN])
{
	unsigned char sum[crypto_hash_sha256_BYTES];

	crypto_hash_sha256_final(&u->sha, sum);
	sodium_bin2hex(hex, UPLOAD_HEX_LEN, sum, sizeof(sum));
}

/* "notes.txt" with n = 2 is "notes-2.txt"; a leading dot is no extension. */
static void
upload_candidate(const char *name, int n, char *out, size_t outlen)
{
	const char *dot = strrchr(name, '.');

	if (n == 0)
		snprintf(out, outlen, "%s", name);
	else if (dot == NULL || dot == name)
		snprintf(out, outlen, "%s-%d", name, n);
	else
		snprintf(out, outlen, "%.*s-%d%s", (int)(dot - name), name, n,
		    dot);
}

/* Give the upload its final name, never replacing a file: 0, or -1 with
 * errno (EEXIST when the name is taken). */
static int
upload_link(struct upload *u, const char *path)
{
	char self[64];

	if (u->tmp[0] != '\0')
		return renameat2(AT_FDCWD, u->tmp, AT_FDCWD, path,
		    RENAME_NOREPLACE);
	snprintf(self, sizeof(self), "/proc/self/fd/%d", u->fd);
	return linkat(AT_FDCWD, self, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
}

int
upload_commit(struct upload *u, const char *name, char *stored,
    size_t storedlen, char *err, size_t errlen)
{
	char path[PATH_MAX + UPLOAD_NAME_MAX + 16];
	int n, dirfd;

	if (fsync(u->fd) == -1) {
		snprintf(err, errlen, "fsync: %s", strerror(errno));
		return -1;
	}
	for (n = 0; n < UPLOAD_SUFFIX_MAX; n++) {
		upload_candidate(name, n, stored, storedlen);
		snprintf(path, sizeof(path), "%s/%s", u->cfg->upload_dir,
		    stored);
		if (upload_link(u, path) == 0)
			break;
		if (errno != EEXIST) {
			snprintf(err, errlen, "link: %s", strerror(errno));
			return -1;
		}
	}
	if (n == UPLOAD_SUFFIX_MAX) {
		snprintf(err, errlen, "no free name for %s", name);
		return -1;
	}
	close(u->fd);
	u->fd = -1;
	u->tmp[0] = '\0';
	/* The rename itself must survive a crash too. */
	if ((dirfd = open(u->cfg->upload_dir, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) != -1) {
		(void)fsync(dirfd);
		close(dirfd);
	}
	return 0;
}

void
upload_abort(struct upload *u)
{
	if (u->fd != -1)
		close(u->fd);
	if (u->tmp[0] != '\0')
		unlink(u->tmp);
	u->fd = -1;
	u->tmp[0] = '\0';
}

void
upload_sanitize_name(const char *in, char *out, size_t outlen)
{
	const unsigned char *s;
	const char *base = strrchr(in, '/');
	size_t o = 0, limit, dots;
	uint32_t cp;
	int n;

	if (outlen == 0)
		return;
	limit = outlen - 1 < UPLOAD_NAME_MAX ? outlen - 1 : UPLOAD_NAME_MAX;
	s = (const unsigned char *)(base ? base + 1 : in);
	while (*s != '\0') {
		n = utf8_decode(s, strlen((const char *)s), &cp);
		if (n < 0) {		/* invalid byte: dropped */
			s++;
			continue;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) ||
		    utf8_is_invisible(cp)) {
			s += n;		/* controls and invisibles go */
			continue;
		}
		if (cp == '\\' || cp == '"' || utf8_is_space(cp)) {
			/* What would need quoting, in a log record or a
			 * shell, becomes _. */
			if (o + 1 > limit)
				break;
			out[o++] = '_';
			s += n;
			continue;
		}
		if (o + n > limit)
			break;		/* never cut a sequence */
		memcpy(out + o, s, n);
		o += n;
		s += n;
	}
	out[o] = '\0';
	/* No hidden files, they would hide among our temporaries: leading
	 * dots go last, once dropped bytes can no longer uncover one. */
	dots = strspn(out, ".");
	memmove(out, out + dots, o - dots + 1);
	if (out[0] == '\0')
		snprintf(out, outlen, "upload");
}

void
upload_serve(struct conn *c, const struct config *cfg)
{
	char buf[16384], err[PATH_MAX + 64], name[64], stored[PATH_MAX];
	char hex[UPLOAD_HEX_LEN], reply[PATH_MAX + 128];
	unsigned char rnd[3];
	struct upload u;
	struct tm tm;
	time_t now;
	ssize_t n;
	int r = 0;

	if (upload_begin(&u, cfg, err, sizeof(err)) == -1) {
		log_warnx("upload: %s", err);
		snprintf(reply, sizeof(reply), "ERR %s\n", err);
		(void)conn_say(c, reply);
		return;
	}
	while (r == 0 && (n = conn_read(c, buf, sizeof(buf))) > 0)
		r = upload_write(&u, buf, n, err, sizeof(err));
	if (r != 0 || c->end != CONN_EOF) {
		upload_abort(&u);
		if (r == -2) {
			/* The client's fault, not the server's: an upload
			 * record, as for one stored, and the disconnect
			 * record says why. */
			log_event("upload", "client=%s received=%llu max_size=%llu "
			    "result=too_large", c->peer,
			    (unsigned long long)(u.size + n),
			    (unsigned long long)u.max);
			c->reason = "upload too large";
		} else if (r != 0)
			log_warnx("upload from %s: %s", c->peer, err);
		if (r != 0) {
			snprintf(reply, sizeof(reply), "ERR %s\n", err);
			/* The client is still sending: what comes is read
			 * and dropped, or closing would reset the connection
			 * and the client might never see why. */
			if (conn_say(c, reply) == 0)
				conn_drain(c, UPLOAD_DRAIN_MS);
		} else if (c->end == CONN_TIMEOUT)
			conn_notify_line(c, "ERR timeout\n");
		return;
	}
	if (u.size == 0) {
		/* A bare connect and close (a port probe) stores nothing. */
		upload_abort(&u);
		(void)conn_say(c, "ERR empty upload: nothing stored\n");
		return;
	}
	now = time(NULL);
	localtime_r(&now, &tm);
	randombytes_buf(rnd, sizeof(rnd));
	snprintf(name, sizeof(name), "upload-%04d%02d%02d-%02d%02d%02d-"
	    "%02x%02x%02x", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
	    tm.tm_hour, tm.tm_min, tm.tm_sec, rnd[0], rnd[1], rnd[2]);
	upload_digest(&u, hex);
	if (upload_commit(&u, name, stored, sizeof(stored), err,
	    sizeof(err)) == -1) {
		upload_abort(&u);
		log_warnx("upload from %s: %s", c->peer, err);
		snprintf(reply, sizeof(reply), "ERR %s\n", err);
	} else {
		log_event("upload", "client=%s name=%s size=%llu sha256=%s",
		    c->peer, stored, (unsigned long long)u.size, hex);
		snprintf(reply, sizeof(reply), "OK %s %llu %s\n", stored,
		    (unsigned long long)u.size, hex);
	}
	(void)conn_say(c, reply);
}
