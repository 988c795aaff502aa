/*
 * files.c -- commands that move files: upload (verified by size and
 * SHA-256, with a progress bar on a terminal) and the pingpong exchange.
 */
#include <sys/socket.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <sodium.h>

#include "client/i18n.h"
#include "client/sockbin.h"
#include "shared/timefmt.h"

#define UPLOAD_CHUNK	65536
#define BAR_WIDTH	30

struct progress {
	int		shown;		/* on a terminal only */
	uint64_t	total;
	uint64_t	started_ms;
	uint64_t	last_ms;
};

static void
progress_show(struct progress *p, uint64_t done, int final)
{
	uint64_t now = timefmt_mono_ms(), ms;
	double rate;
	int pct, fill;

	if (!p->shown || (!final && now - p->last_ms < 100))
		return;
	p->last_ms = now;
	ms = now - p->started_ms ? now - p->started_ms : 1;
	rate = (double)done * 1000.0 / (double)ms;
	pct = p->total ? (int)(done * 100 / p->total) : 100;
	fill = pct * BAR_WIDTH / 100;
	fprintf(stderr, "\r[%.*s%*s] %3d%% ", fill,
	    "##############################", BAR_WIDTH - fill, "", pct);
	/* TRANSLATORS: the progress of an upload: bytes sent of the file's
	 * size, then the rate in KiB (1024 bytes) a second. */
	fprintf(stderr, ngettext("%llu/%llu byte %.1f KiB/s",
	    "%llu/%llu bytes %.1f KiB/s", (unsigned long)p->total),
	    (unsigned long long)done, (unsigned long long)p->total,
	    rate / 1024.0);
	if (final)
		fputc('\n', stderr);
	fflush(stderr);
}

/* The whole file, and its SHA-256 in hex. */
static unsigned char *
file_read(const char *path, int oflags, size_t *len, char hex[65])
{
	unsigned char sum[crypto_hash_sha256_BYTES], *data;
	struct stat st;
	ssize_t n;
	size_t got = 0;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | oflags)) == -1 ||
	    fstat(fd, &st) == -1)
		err(EXIT_USAGE, "%s", path);
	if (!S_ISREG(st.st_mode))
		errx(EXIT_USAGE, _("%s: not a regular file"), path);
	if ((data = malloc(st.st_size ? (size_t)st.st_size : 1)) == NULL)
		err(EXIT_USAGE, "%s", path);
	while (got < (size_t)st.st_size &&
	    (n = read(fd, data + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	*len = got;
	crypto_hash_sha256(sum, data, got);
	sodium_bin2hex(hex, 65, sum, sizeof(sum));
	return data;
}

/* "OK [stored] NAME SIZE SHA256": check both against what we sent. */
static int
upload_verify(struct client *c, const char *reply, int session, size_t len,
    const char *hex)
{
	char name[512], sha[80];
	unsigned long long size;
	int n;

	n = sscanf(reply, session ? "OK stored %511s %llu %79s" :
	    "OK %511s %llu %79s", name, &size, sha);
	if (n != 3 && strncmp(reply, "ERR", 3) != 0) {
		warnx(_("%s: not the reply of an upload server (OK NAME SIZE "
		    "SHA-256): %s"), c->server, reply);
		return EXIT_REFUSED;
	}
	if (n != 3)
		return client_refused(c, reply);
	if (size != len || strcasecmp(sha, hex) != 0) {
		warnx(_("the server stored %llu bytes with SHA-256 %s; we sent "
		    "%zu bytes with SHA-256 %s"), size, sha, len, hex);
		return EXIT_REFUSED;
	}
	printf(ngettext("stored as %s: %llu byte, SHA-256 %s verified\n",
	    "stored as %s: %llu bytes, SHA-256 %s verified\n",
	    (unsigned long)size), name, size, sha);
	return 0;
}

/* The file after UPLOAD, as frames of chunk bytes; the server's reply (its
 * reason, when it refused a frame and the sending failed) into reply.
 * Returns 1 when the server took the request and the reply is about the
 * data, 0 when it refused the request. */
static int
upload_session(struct client *c, const char *base, const unsigned char *data,
    size_t len, const char *hex, size_t chunk, struct progress *p,
    char *reply, size_t size)
{
	char req[1024];
	size_t off, n;

	snprintf(req, sizeof(req), "UPLOAD %s %zu %s", base, len, hex);
	if (link_request(c, req, reply, size) == -1)
		client_lost(c);
	if (strcmp(reply, "OK ready") != 0)
		return 0;
	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		if (frame_send(&c->io, data + off, n) != FRAME_OK)
			break;	/* what the server said comes next */
		progress_show(p, off + n, 0);
	}
	if (off == len)
		progress_show(p, len, 1);
	link_log_data(c, off);
	if (link_recv_reply(c, reply, size) == -1) {
		if (off == len)
			client_lost(c);
		errx(EXIT_LOST, _("%s: upload cut"), c->server);
	}
	return 1;
}

/* The max_frame of an "ERR 413 frame of N bytes exceeds max_frame M"
 * reply, or 0. */
static size_t
upload_max_frame(const char *reply)
{
	unsigned long frame, max;

	if (sscanf(reply, "ERR 413 frame of %lu bytes exceeds max_frame %lu",
	    &frame, &max) != 2 || max == 0 || max >= frame)
		return 0;
	return max;
}

static void
upload_raw(struct client *c, const unsigned char *data, size_t len,
    struct progress *p, char *reply, size_t size)
{
	size_t off, n;
	ssize_t got;
	int saved = 0;

	for (off = 0; off < len; off += n) {
		n = len - off < UPLOAD_CHUNK ? len - off : UPLOAD_CHUNK;
		if (c->io.write(c, data + off, n) == -1) {
			saved = errno ? errno : ETIMEDOUT;
			break;	/* the server may have said why: read on */
		}
		progress_show(p, off + n, 0);
	}
	link_log_data(c, off);
	if (off == len)
		progress_show(p, len, 1);
	shutdown(c->fd, SHUT_WR);
	got = link_recv_line(c, reply, size, CLIENT_REPLY_MS);
	if (got < 0 && off < len)
		errx(EXIT_LOST, _("%s: cannot send: %s"), c->server,
		    strerror(saved));
	if (got < 0)
		errx(EXIT_LOST, _("%s: no reply to the upload"), c->server);
	link_log_recv(c, reply, (size_t)got);
}

int
cmd_upload(struct client *c, int argc, char **argv)
{
	char hex[65], reply[1024], line[1024], *path, *base, *s;
	struct progress p = { isatty(STDERR_FILENO), 0, 0, 0 };
	unsigned char *data;
	size_t len, max;
	int r;

	if (argc != 1)
		client_usage("upload FILE");
	data = file_read(argv[0], 0, &len, hex);
	p.total = len;
	p.started_ms = timefmt_mono_ms();
	if ((path = strdup(argv[0])) == NULL)
		err(EXIT_USAGE, "strdup");
	base = basename(path);
	/* A space would end the name in the request; the server turns
	 * spaces into '_' anyway (PROTOCOL 1.4). */
	for (s = base; (s = strchr(s, ' ')) != NULL; s++)
		*s = '_';
	if (c->proto == PROTO_RAW) {
		/* A raw server that is not an upload server: the next port's,
		 * told by its answer to the file's first line. */
		client_first_line(data, len, line, sizeof(line));
		do
			upload_raw(c, data, len, &p, reply, sizeof(reply));
		while (client_check_raw(c, line, reply));
	} else {
		/* A server whose max_frame is under our frames: once more,
		 * on a new connection (that one is closed), in its size. */
		if (upload_session(c, base, data, len, hex, UPLOAD_CHUNK, &p,
		    reply, sizeof(reply)) == 1 &&
		    (max = upload_max_frame(reply)) != 0) {
			warnx(ngettext("%s takes frames of at most %zu byte: "
			    "sending again in frames of that size",
			    "%s takes frames of at most %zu bytes: sending "
			    "again in frames of that size", max), c->server,
			    max);
			link_close(c, "frame too big");
			link_open(c);
			p.started_ms = timefmt_mono_ms();
			upload_session(c, base, data, len, hex, max, &p, reply,
			    sizeof(reply));
		}
	}
	r = upload_verify(c, reply, c->proto == PROTO_SESSION, len, hex);
	link_close(c, "done");
	free(data);
	free(path);
	return r;
}

/* The exchange file often lives in a directory others can write: never
 * through a symbolic link, never anything but a regular file (truncated
 * only once that is known), as the server does. */
static void
file_write(const char *path, const char *text)
{
	struct stat st;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1 && errno == ELOOP)
		errx(EXIT_USAGE, _("%s: is a symbolic link: refused"), path);
	if (fd == -1 || fstat(fd, &st) == -1)
		err(EXIT_USAGE, "%s", path);
	if (!S_ISREG(st.st_mode))
		errx(EXIT_USAGE, _("%s: not a regular file"), path);
	if (ftruncate(fd, 0) == -1 ||
	    write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    close(fd) == -1)
		err(EXIT_USAGE, "%s", path);
}

/* The server's answer to _code2g: "_code3g", or an ERR line. */
static int
pingpong_answer(struct client *c, char *buf, size_t size)
{
	size_t have = 0;
	ssize_t n;

	while (have < 7) {
		n = link_recv_some(c, buf + have, 7 - have, CLIENT_REPLY_MS);
		if (n == -2)
			link_no_reply(c);
		if (n <= 0)
			client_lost(c);
		have += (size_t)n;
	}
	buf[have] = '\0';
	/* An echo server sends our code words back, with no line end. */
	if (strcmp(buf, "_code3g") == 0 || strcmp(buf, "_code1g") == 0) {
		link_log_recv(c, buf, have);
		return strcmp(buf, "_code3g") == 0 ? 0 : -1;
	}
	/* An error line: take the rest of it. */
	n = link_recv_line(c, buf + have, size - have, CLIENT_REPLY_MS);
	link_log_recv(c, buf, strlen(buf));
	return -1;
}

int
cmd_pingpong(struct client *c, int argc, char **argv)
{
	char data[1200], answer[512], hex[65], *end, *text;
	size_t len;
	long rounds, i;
	int ponged;

	if (argc != 2)
		client_usage("pingpong FILE ROUNDS");
	rounds = strtol(argv[1], &end, 10);
	if (*argv[1] == '\0' || *end != '\0' || rounds < 1 || rounds > 1000000)
		errx(EXIT_USAGE, _("pingpong: ROUNDS must be 1-1000000, not "
		    "'%s'"), argv[1]);
	for (i = 1; i <= rounds; i++) {
		/* Hold the file, write our part, release it. */
		link_send(c, "_code1g", 7, NULL);
		snprintf(data, sizeof(data), "ping %ld %s", i, c->cfg.message);
		file_write(argv[0], data);
		link_send(c, "_code2g", 7, NULL);
		if (pingpong_answer(c, answer, sizeof(answer)) == -1) {
			/* Not a pingpong server: the next port's, from the
			 * first round. A mirror has reversed the code words,
			 * one burst or two. */
			if (client_check_raw(c, "_code1g", answer) ||
			    client_check_raw(c, "_code1g_code2g", answer)) {
				i = 0;
				continue;
			}
			link_close(c, "refused");
			return client_refused(c, answer);
		}
		text = (char *)file_read(argv[0], O_NOFOLLOW, &len, hex);
		printf(_("round %ld: wrote '%s', got _code3g, the file says "
		    "'%.*s'\n"), i, data, (int)len, text);
		ponged = len == 4 && memcmp(text, "pong", 4) == 0;
		free(text);
		/* The server answered, but not through this file. */
		if (!ponged) {
			link_close(c, "check failed");
			warnx(_("%s does not say 'pong': is it the server's "
			    "[pingpong] file, and is another client using it at "
			    "the same time?"), argv[0]);
			return EXIT_REFUSED;
		}
	}
	link_close(c, "done");
	return 0;
}
