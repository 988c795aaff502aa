/*
 * check_files.c -- sockbin check's pingpong cases (the exchange file is
 * written and read here, as the protocol has the client do) and upload
 * cases (the reply's size and SHA-256, and with --upload-dir the stored
 * file, against what was sent).
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "client/check.h"

int
check_file_put(struct check_run *r, const char *path, const char *data,
    size_t len)
{
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0644);
	if (fd == -1 || write(fd, data, len) != (ssize_t)len) {
		check_fail(r, "%s: cannot write: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	check_note(r, 0, "wrote %zu bytes into %s", len, path);
	return 0;
}

/* Up to size bytes of the file into buf; its length, or -1. */
ssize_t
check_file_get(struct check_run *r, const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1 ||
	    (n = read(fd, buf, size)) == -1) {
		check_fail(r, "%s: cannot read: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	return n;
}

/* ---- pingpong -------------------------------------------------------- */

int
check_need_exchange_file(struct check_run *r)
{
	if (r->opt->exchange_file == NULL) {
		check_skip(r, "needs --exchange-file PATH (the server's "
		    "exchange file)");
		return -1;
	}
	return 0;
}

/* After _code3g: the file says pong, nothing else. */
static int
pp_pong(struct check_conn *c)
{
	char buf[16];
	ssize_t n;

	if (check_expect(c, "_code3g", 7, "reply") == -1)
		return -1;
	if ((n = check_file_get(c->r, c->r->opt->exchange_file, buf,
	    sizeof(buf))) == -1)
		return -1;
	if (n != 4 || memcmp(buf, "pong", 4) != 0) {
		check_mismatch(c->r, "the exchange file after _code3g",
		    "pong", 4, buf, (size_t)n);
		return -1;
	}
	return 0;
}

/* One round: _code1g, the data into the file, _code2g, in writes of
 * chunk bytes (0: whole words; together: both words at once, after the
 * data). */
static int
pp_round(struct check_conn *c, const char *data, size_t len, size_t chunk,
    int together)
{
	const char *file = c->r->opt->exchange_file;

	if (together) {
		if (check_file_put(c->r, file, data, len) == -1 ||
		    check_send(c, "_code1g_code2g", 14, chunk,
		    CHECK_BYTE_PAUSE_MS) == -1)
			return -1;
	} else if (check_send(c, "_code1g", 7, chunk,
	    CHECK_BYTE_PAUSE_MS) == -1 ||
	    check_file_put(c->r, file, data, len) == -1 ||
	    check_send(c, "_code2g", 7, chunk, CHECK_BYTE_PAUSE_MS) == -1)
		return -1;
	return pp_pong(c);
}

/* One connection, one round. */
static void
pp_once(struct check_run *r, const char *data, size_t len, size_t chunk,
    int together)
{
	struct check_conn c;

	if (check_need_exchange_file(r) == 0 && check_dial(r, &c, 0) == 0) {
		pp_round(&c, data, len, chunk, together);
		check_close(&c, 0);
	}
}

static void
pp_one(struct check_run *r)
{
	pp_once(r, "ping from sockbin check", 23, 0, 0);
}

static void
pp_several(struct check_run *r)
{
	struct check_conn c;
	int i;

	if (check_need_exchange_file(r) == -1 || check_dial(r, &c, 0) == -1)
		return;
	for (i = 0; i < 3 && pp_round(&c, "round", 5, 0, 0) == 0; i++)
		;
	check_close(&c, 0);
}

static void
pp_coalesced(struct check_run *r)
{
	pp_once(r, "both words at once", 18, 0, 1);
}

static void
pp_bytewise(struct check_run *r)
{
	pp_once(r, "one byte at a time", 18, 1, 0);
}

static void
pp_long_file(struct check_run *r)
{
	char *data;

	if ((data = malloc(CHECK_MIRROR_LARGE)) == NULL) {
		check_fail(r, "out of memory");
		return;
	}
	memset(data, 'x', CHECK_MIRROR_LARGE);
	pp_once(r, data, CHECK_MIRROR_LARGE, 0, 0);
	free(data);
}

static void
pp_empty_file(struct check_run *r)
{
	pp_once(r, "", 0, 0, 0);
}

static void
pp_reset_mid(struct check_run *r)
{
	struct check_conn c;

	if (check_need_exchange_file(r) == -1 || check_dial(r, &c, 0) == -1)
		return;
	if (check_send_str(&c, "_cod") == 0) {
		check_close(&c, 1);
		if (check_dial(r, &c, 0) == 0)
			pp_round(&c, "after a reset", 13, 0, 0);
	}
	check_close(&c, 0);
}

static void
pp_relisten(struct check_run *r)
{
	struct check_conn c;

	if (check_need_exchange_file(r) == -1 || check_dial(r, &c, 0) == -1)
		return;
	if (pp_round(&c, "first client", 12, 0, 0) == 0) {
		check_close(&c, 0);
		if (check_dial(r, &c, 0) == 0)
			pp_round(&c, "next client", 11, 0, 0);
	}
	check_close(&c, 0);
}

/* ---- upload ---------------------------------------------------------- */

static void
sha256_hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(md, data, len);
	sodium_bin2hex(hex, 65, md, sizeof(md));
}

/* The reply "OK name size sha256" to an upload of data: size and SHA-256
 * must be those of data, and with --upload-dir the stored file too.
 * name (NAME_MAX + 1 bytes) gets the name the server gave. */
static int
up_verify(struct check_conn *c, const char *data, size_t len, char *name)
{
	char line[CHECK_LINE_MAX], hex[65], gothex[80], exp[128], path[4096];
	char *stored;
	unsigned long long size;
	struct stat st;
	ssize_t n;

	if (check_recv_line(c, line, sizeof(line), "reply") == -1)
		return -1;
	sha256_hex(data, len, hex);
	snprintf(exp, sizeof(exp), "OK <name> %zu %s", len, hex);
	if (sscanf(line, "OK %255s %llu %79s", name, &size, gothex) != 3) {
		check_mismatch(c->r, "reply", exp, strlen(exp), line,
		    strlen(line));
		return -1;
	}
	if (size != len || strcasecmp(gothex, hex) != 0) {
		if (size != len)
			check_fail(c->r, "reply: the server stored %llu bytes, "
			    "%zu were sent", size, len);
		else
			check_fail(c->r, "reply: the SHA-256 is not that of "
			    "the bytes sent");
		c->r->cur->expected = check_escape(exp, strlen(exp));
		c->r->cur->received = check_escape(line, strlen(line));
		return -1;
	}
	if (c->r->opt->upload_dir == NULL)
		return 0;
	if (strchr(name, '/') != NULL || strcmp(name, "..") == 0) {
		check_fail(c->r, "reply: the name %s is not a file name", name);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/%s", c->r->opt->upload_dir, name);
	if (stat(path, &st) == -1) {
		check_fail(c->r, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((size_t)st.st_size != len) {
		check_fail(c->r, "%s: %lld bytes stored, %zu sent", path,
		    (long long)st.st_size, len);
		return -1;
	}
	if ((stored = malloc(len + 1)) == NULL)
		return -1;
	if ((n = check_file_get(c->r, path, stored, len + 1)) >= 0 &&
	    ((size_t)n != len || memcmp(stored, data, len) != 0))
		check_mismatch(c->r, path, data, len, stored, (size_t)n);
	free(stored);
	return check_failed(c->r) ? -1 : 0;
}

static int
up_send(struct check_run *r, const char *data, size_t len, size_t chunk,
    int pause_ms, char *name)
{
	struct check_conn c;
	int rc = -1;

	if (check_dial(r, &c, 0) == -1)
		return -1;
	if (check_send(&c, data, len, chunk, pause_ms) == 0 &&
	    check_shutdown(&c) == 0)
		rc = up_verify(&c, data, len, name);
	check_close(&c, 0);
	return rc;
}

static void
up_text(struct check_run *r)
{
	char name[256];

	up_send(r, "hello, world\n", 13, 0, 0, name);
}

static void
up_no_newline(struct check_run *r)
{
	char name[256];

	up_send(r, "no newline at the end", 21, 0, 0, name);
}

static void
up_bytewise(struct check_run *r)
{
	char name[256];

	up_send(r, "sent one byte at a time\n", 24, 1, CHECK_BYTE_PAUSE_MS,
	    name);
}

static void
up_utf8_cut(struct check_run *r)
{
	char name[256];

	up_send(r, check_cyrillic, strlen(check_cyrillic), CHECK_CUT_CHUNK,
	    CHECK_CUT_PAUSE_MS, name);
}

static void
up_large(struct check_run *r)
{
	char name[256], *data;
	size_t i;

	if ((data = malloc(CHECK_LARGE)) == NULL) {
		check_fail(r, "out of memory");
		return;
	}
	for (i = 0; i < CHECK_LARGE; i++)
		data[i] = i % 64 == 63 ? '\n' : 'a' + i % 26;
	up_send(r, data, CHECK_LARGE, 0, 0, name);
	free(data);
}

/* Nothing sent: an ERR line, or OK for an empty file; never a hang. */
static void
up_empty(struct check_run *r)
{
	char line[CHECK_LINE_MAX], hex[65], size[32];
	struct check_conn c;

	if (check_dial(r, &c, 0) == -1)
		return;
	if (check_shutdown(&c) == 0 &&
	    check_recv_line(&c, line, sizeof(line), "reply") == 0) {
		sha256_hex("", 0, hex);
		if (strncmp(line, "ERR", 3) != 0 &&
		    (sscanf(line, "OK %*s %31s", size) != 1 ||
		    strcmp(size, "0") != 0 || strstr(line, hex) == NULL))
			check_fail(r, "reply to an empty upload: expected ERR "
			    "..., or OK <name> 0 %s; received \"%s\"", hex,
			    line);
	}
	check_close(&c, 0);
}

static void
up_reset_mid(struct check_run *r)
{
	struct check_conn c;
	char name[256];

	if (check_dial(r, &c, 0) == -1)
		return;
	if (check_send_str(&c, "half a fi") == 0) {
		check_close(&c, 1);
		up_send(r, "after a reset\n", 14, 0, 0, name);
	}
	check_close(&c, 0);
}

/* Two uploads in turn, never stored under one name. */
static void
up_relisten(struct check_run *r)
{
	char first[256], second[256];

	if (up_send(r, "first client\n", 13, 0, 0, first) == 0 &&
	    up_send(r, "next client\n", 12, 0, 0, second) == 0 &&
	    strcmp(first, second) == 0)
		check_fail(r, "two uploads stored under one name, %s: the "
		    "second overwrote the first", first);
}

/* ---- the tables ------------------------------------------------------ */

const struct check_case check_pingpong_cases[] = {
	{ "pingpong/1.1", "one round", pp_one },
	{ "pingpong/1.2", "three rounds on one connection", pp_several },
	{ "pingpong/1.3", "both code words in one write", pp_coalesced },
	{ "pingpong/1.4", "code words in 1-byte writes", pp_bytewise },
	{ "pingpong/1.5", "a 60000-byte file becomes exactly pong",
	    pp_long_file },
	{ "pingpong/1.6", "an empty file", pp_empty_file },
	{ "pingpong/1.7", "a client leaves mid-word, the next is served",
	    pp_reset_mid },
	{ "pingpong/1.8", "still listening after a client leaves",
	    pp_relisten },
	{ "pingpong/2.1", "a client is served while four others are "
	    "connected", check_held_clients },
	{ NULL, NULL, NULL },
};

const struct check_case check_upload_cases[] = {
	{ "upload/1.1", "a small text file", up_text },
	{ "upload/1.2", "a file without a newline at the end",
	    up_no_newline },
	{ "upload/1.3", "a file sent in 1-byte writes", up_bytewise },
	{ "upload/1.4", "Cyrillic UTF-8 cut across writes", up_utf8_cut },
	{ "upload/1.5", "a 1 MiB file", up_large },
	{ "upload/1.6", "an empty upload gets an answer", up_empty },
	{ "upload/1.7", "a client leaves mid-file, the next is served",
	    up_reset_mid },
	{ "upload/1.8", "still listening; two uploads, two names",
	    up_relisten },
	{ "upload/2.1", "a client is served while four others are "
	    "connected", check_held_clients },
	{ NULL, NULL, NULL },
};
