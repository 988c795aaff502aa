/*
 * pingpong.c -- the code-word exchange over a shared file.
 *
 * The client sends _code1g (it holds [pingpong] file), writes its data into
 * the file, sends _code2g (released); the server reads the file, logs what it
 * read, writes "pong" into it and replies _code3g. Code words may come split
 * or coalesced in any way; whitespace between them is ignored; anything else
 * gets an "ERR ..." line, one for a whole run of it up to the next code word.
 *
 * The exchange file is opened without following a symbolic link and must be
 * a regular file: it often lives in a directory that others can write. Its
 * lock (flock) is waited for at most [limits] idle_timeout (60 s when that
 * is 0, no limit), then refused: a stuck holder must not hold the worker.
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/conn.h"
#include "daemon/service.h"
#include "daemon/services/pingpong.h"
#include "shared/log.h"
#include "shared/timefmt.h"

#define PINGPONG_READ_MAX	65536
#define PINGPONG_WORD_LEN	7
#define PINGPONG_LOCK_POLL_MS	10
#define PINGPONG_LOCK_WAIT_MAX	60	/* s, when idle_timeout is 0 */

static const char code1[] = "_code1g", code2[] = "_code2g",
    code3[] = "_code3g";

static int
pingpong_space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

enum pingpong_token
pingpong_scan(struct pingpong_scanner *s, unsigned char ch)
{
	if (s->in_garbage) {
		/* Skip to where a code word could start again. */
		if (ch != '_' && !pingpong_space(ch))
			return PINGPONG_NONE;
		s->in_garbage = 0;
	}
	if (s->len == 0 && pingpong_space(ch))
		return PINGPONG_NONE;
	s->word[s->len++] = ch;
	if (strncmp(s->word, code1, s->len) != 0 &&
	    strncmp(s->word, code2, s->len) != 0) {
		/* A '_' that broke a word may start the next one. */
		if (ch == '_' && s->len > 1) {
			s->word[0] = '_';
			s->len = 1;
		} else {
			s->len = 0;
			s->in_garbage = 1;
		}
		return PINGPONG_GARBAGE;
	}
	if (s->len < PINGPONG_WORD_LEN)
		return PINGPONG_NONE;
	s->len = 0;
	return s->word[5] == '1' ? PINGPONG_CODE1 : PINGPONG_CODE2;
}

/* Open the exchange file: a regular file, reached without a symlink. */
static int
pingpong_open(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "cannot open the exchange file: %s",
		    errno == ELOOP ? "it is a symbolic link" : strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "the exchange file is not a regular "
		    "file");
		close(fd);
		return -1;
	}
	return fd;
}

/* Take the file's lock, waiting at most the idle timeout: 0, -1 (err set)
 * or -2 when the connection must end. */
static int
pingpong_lock(struct conn *c, const struct config *cfg, int fd, char *err,
    size_t errlen)
{
	int limit = cfg->idle_timeout ? cfg->idle_timeout :
	    PINGPONG_LOCK_WAIT_MAX;
	uint64_t until = timefmt_mono_ms() + (uint64_t)limit * 1000;

	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(err, errlen, "exchange file: %s",
			    strerror(errno));
			return -1;
		}
		if (timefmt_mono_ms() >= until) {
			snprintf(err, errlen, "the exchange file is still "
			    "locked by another process after %d s", limit);
			return -1;
		}
		if (conn_pause(c, PINGPONG_LOCK_POLL_MS) == -1)
			return -2;
	}
	return 0;
}

/* Read what the client left in the file, log it, leave "pong" instead:
 * 0, -1 with err set, or -2 when the connection must end. */
static int
pingpong_exchange(struct conn *c, const struct config *cfg, char *err,
    size_t errlen)
{
	const char *path = cfg->pingpong_file;
	char buf[PINGPONG_READ_MAX];
	size_t have = 0;
	ssize_t n;
	int fd, r;

	if ((fd = pingpong_open(path, err, errlen)) == -1)
		return -1;
	if ((r = pingpong_lock(c, cfg, fd, err, errlen)) != 0) {
		close(fd);
		return r;
	}
	while (have < sizeof(buf) &&
	    (n = read(fd, buf + have, sizeof(buf) - have)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1)
			goto fail;
		have += n;
	}
	log_text("pingpong_read", buf, have, "client=%s file=%s", c->peer,
	    path);
	if (ftruncate(fd, 0) == -1 || pwrite(fd, "pong", 4, 0) != 4 ||
	    fsync(fd) == -1)
		goto fail;
	close(fd);
	return 0;
fail:
	snprintf(err, errlen, "exchange file: %s", strerror(errno));
	close(fd);
	return -1;
}

void
pingpong_serve(struct conn *c, const struct config *cfg)
{
	struct pingpong_scanner scan = { { 0 }, 0, 0 };
	char buf[4096], err[PATH_MAX + 128], line[sizeof(err) + 8];
	int holding = 0, complained = 0, r = 0, x;
	ssize_t n, i;

	while (r == 0 && (n = conn_read(c, buf, sizeof(buf))) > 0) {
		conn_log_recv(c, buf, n);
		for (i = 0; i < n && r == 0; i++) {
			switch (pingpong_scan(&scan, buf[i])) {
			case PINGPONG_NONE:
				break;
			case PINGPONG_CODE1:
				holding = 1;
				complained = 0;
				break;
			case PINGPONG_CODE2:
				complained = 0;
				if (!holding) {
					r = conn_say(c, "ERR _code2g "
					    "before _code1g\n");
					break;
				}
				holding = 0;
				if ((x = pingpong_exchange(c, cfg, err,
				    sizeof(err))) == -2)
					r = -1;
				else if (x == -1) {
					log_warnx("pingpong: %s: %s",
					    cfg->pingpong_file, err);
					snprintf(line, sizeof(line),
					    "ERR %s\n", err);
					r = conn_say(c, line);
				} else
					r = conn_say(c, code3);
				break;
			case PINGPONG_GARBAGE:
				/* One reply for a run, up to a code word:
				 * never one for each of its bytes. */
				if (complained++)
					break;
				log_warnx("pingpong: client %s: unexpected "
				    "input", c->peer);
				r = conn_say(c, "ERR unexpected input: "
				    "expected _code1g or _code2g\n");
				break;
			}
		}
	}
	if (c->end == CONN_TIMEOUT)
		conn_notify_line(c, "ERR timeout\n");
}
