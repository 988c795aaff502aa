/*
 * test_upload.c -- storing uploaded files (daemon/services/upload.c): the
 * name a client asks for made safe, and the temporary-file-then-rename
 * protocol in a real directory.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <sodium.h>

#include "daemon/config.h"
#include "daemon/services/upload.h"
#include "shared/utf8.h"
#include "tests/unit/prng.h"

/* Each test gets an upload directory of its own; its fini removes it. */
static char		tmpdir[64];
static struct config	cfg;

static void
rm_tree(const char *dir)
{
	char path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
			rm_tree(path);
		else
			unlink(path);
	}
	closedir(d);
	rmdir(dir);
}

static void
setup(void)
{
	char err[256] = "";

	strlcpy(tmpdir, "/tmp/test_upload.XXXXXX", sizeof(tmpdir));
	cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp: %s", strerror(errno));
	cr_assert_eq(conf_defaults(config_keys, config_nkeys, &cfg, err,
	    sizeof(err)), 0, "%s", err);
	strlcpy(cfg.upload_dir, tmpdir, sizeof(cfg.upload_dir));
	cfg.upload_max_size = 1 << 20;
	cr_assert_neq(sodium_init(), -1);
}

static void
teardown(void)
{
	rm_tree(tmpdir);
}

TestSuite(upload_name);
TestSuite(upload, .init = setup, .fini = teardown);

/* s for a message: all but printable ASCII as \xHH, quotes too. */
static const char *
visible(const char *s, char *buf, size_t size)
{
	size_t o = 0;

	for (; *s != '\0' && o + 5 < size; s++) {
		if (*s >= 0x20 && *s < 0x7f && *s != '\\' && *s != '"')
			buf[o++] = *s;
		else
			o += snprintf(buf + o, size - o, "\\x%02x",
			    (unsigned char)*s);
	}
	buf[o] = '\0';
	return buf;
}

/* Sanitize into a heap buffer of exactly outlen bytes: ASan sees overruns. */
static void
expect_name_len(const char *in, size_t outlen, const char *want)
{
	char *out, vin[1024], vout[1024], vwant[1024];

	cr_assert_not_null(out = malloc(outlen));
	memset(out, 'Z', outlen);
	upload_sanitize_name(in, out, outlen);
	cr_expect_str_eq(out, want, "\"%s\" (outlen %zu): \"%s\", want "
	    "\"%s\"", visible(in, vin, sizeof(vin)), outlen,
	    visible(out, vout, sizeof(vout)), visible(want, vwant,
	    sizeof(vwant)));
	free(out);
}

static void
expect_name(const char *in, const char *want)
{
	expect_name_len(in, UPLOAD_NAME_MAX + 1, want);
}

Test(upload_name, plain_unchanged)
{
	expect_name("notes.txt", "notes.txt");
	expect_name("README", "README");
	expect_name("a-b_c.tar.gz", "a-b_c.tar.gz");
}

/* Only the last path component is kept: no way out of the directory. */
Test(upload_name, directories_dropped)
{
	expect_name("../../etc/passwd", "passwd");
	expect_name("a/b/c.txt", "c.txt");
	expect_name("/abs/path", "path");
	expect_name("dir/", "upload");
	expect_name("..", "upload");
	expect_name("/", "upload");
}

/* A stored name goes into a log record as it is: no Unicode space can
 * split the record's fields or lines, no invisible character disguise it. */
Test(upload_name, unicode_spaces_and_invisibles)
{
	expect_name("a\xe2\x80\xa8" "b", "a_b");		/* LINE SEPARATOR */
	expect_name("a\xe2\x80\xa9" "b", "a_b");		/* PARAGRAPH SEP. */
	expect_name("a\xe3\x80\x80" "b", "a_b");		/* IDEOGRAPHIC SP. */
	expect_name("a\xc2\xa0" "b", "a_b");		/* NO-BREAK SPACE */
	expect_name("a\xe2\x80\x83" "b", "a_b");		/* EM SPACE */
	expect_name("a\tb", "ab");
	expect_name("photo\xe2\x80\xaegpj.exe", "photogpj.exe");
	expect_name("x\xe2\x80\x8b\xef\xbb\xbfy", "xy");
	expect_name("\xe2\x80\xae", "upload");
	expect_name("\xd0\xbe\xd1\x82\xd1\x87\xd1\x91\xd1\x82.txt",
	    "\xd0\xbe\xd1\x82\xd1\x87\xd1\x91\xd1\x82.txt");
}

/* No hidden files: they would hide among the ".upload-*" temporaries. */
Test(upload_name, leading_dots_removed)
{
	expect_name(".bashrc", "bashrc");
	expect_name("...", "upload");
	expect_name("..hidden.txt", "hidden.txt");
	expect_name("a/.profile", "profile");
	/* A dot inside the name is an extension, not hiding. */
	expect_name("a.b", "a.b");
}

Test(upload_name, empty_becomes_upload)
{
	expect_name("", "upload");
	expect_name("\x01\x02", "upload");
	expect_name("\xff\xfe", "upload");
}

Test(upload_name, controls_dropped)
{
	expect_name("a\x01" "b", "ab");
	expect_name("a\tb\r\n", "ab");
	expect_name("a\x7f" "b", "ab");			/* DEL */
	expect_name("a\xc2\x85" "b", "ab");		/* U+0085, C1 */
	expect_name("a\xc2\x9f" "b", "ab");		/* U+009F, C1 */
}

Test(upload_name, quoting_chars_replaced)
{
	expect_name("my notes.txt", "my_notes.txt");
	expect_name("a\\b", "a_b");
	expect_name("say \"hi\"", "say__hi_");
	/* A Windows path is one name here; its separators become _. */
	expect_name("C:\\Users\\x.txt", "C:_Users_x.txt");
}

Test(upload_name, invalid_utf8_dropped)
{
	expect_name("a\xff" "b", "ab");
	expect_name("a\xc0\x80" "b", "ab");		/* overlong NUL */
	expect_name("a\xed\xa0\x80" "b", "ab");		/* surrogate */
	expect_name("ab\xd0", "ab");			/* cut at the end */
	expect_name("\x80\x80x", "x");
}

Test(upload_name, utf8_kept)
{
	/* "отчёт.txt" */
	expect_name("\xd0\xbe\xd1\x82\xd1\x87\xd1\x91\xd1\x82.txt",
	    "\xd0\xbe\xd1\x82\xd1\x87\xd1\x91\xd1\x82.txt");
	expect_name("\xe4\xb8\xad\xe6\x96\x87", "\xe4\xb8\xad\xe6\x96\x87");
	expect_name("\xf0\x9f\x98\x80.png", "\xf0\x9f\x98\x80.png");
}

/*
 * Regression (daemon/services/upload.c, upload_sanitize_name): leading dots
 * are stripped from the raw name, before control and invalid bytes are
 * dropped, so a byte in front of the dot lets a hidden name through:
 * "\x01.bashrc" is stored as ".bashrc", and "\x01.upload-x" looks like one
 * of the temporaries. The session service's UPLOAD verb passes any byte but
 * space through to here.
 */
Test(upload_name, no_leading_dot_after_dropping)
{
	expect_name("\x01.bashrc", "bashrc");
	expect_name("\xff.hidden", "hidden");
	expect_name("\x01.upload-abcdef", "upload-abcdef");
	expect_name("\x7f..", "upload");
}

Test(upload_name, long_ascii_bounded)
{
	char in[301], want[UPLOAD_NAME_MAX + 1];

	memset(in, 'x', 300);
	in[300] = '\0';
	memset(want, 'x', UPLOAD_NAME_MAX);
	want[UPLOAD_NAME_MAX] = '\0';
	expect_name(in, want);
}

/* 100 Cyrillic letters are 200 bytes: 64 of them fit, none cut in two. */
Test(upload_name, long_utf8_not_split)
{
	char in[1 + 200 + 1], out[UPLOAD_NAME_MAX + 1], want[1 + 128 + 1];
	size_t i, n;
	int odd;

	for (odd = 0; odd < 2; odd++) {
		n = 0;
		if (odd)
			in[n++] = 'a';
		for (i = 0; i < 100; i++) {
			in[n++] = '\xd0';
			in[n++] = '\xb6';	/* ж */
		}
		in[n] = '\0';
		upload_sanitize_name(in, out, sizeof(out));
		n = strlen(out);
		cr_expect_leq(n, UPLOAD_NAME_MAX, "%zu bytes", n);
		cr_expect(utf8_valid((unsigned char *)out, n), "split: %zu "
		    "bytes", n);
		/* As many whole letters as fit: 128 bytes, or 1 + 126. */
		cr_expect_eq(n, odd ? 127u : 128u, "odd %d: %zu bytes", odd, n);
		memcpy(want, in, n);
		want[n] = '\0';
		cr_expect_str_eq(out, want);
	}
}

/* Every small buffer gets a NUL-terminated, valid, non-hidden name. */
Test(upload_name, small_outlen_terminated)
{
	static const char *const in[] = { "notes.txt", "", "...",
	    "\xd0\xbe\xd1\x82\xd1\x87\xd1\x91\xd1\x82", "a b\"c",
	    "\xf0\x9f\x98\x80\xf0\x9f\x98\x80", "../x" };
	char *out;
	size_t i, outlen, n;

	for (i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		for (outlen = 1; outlen <= 12; outlen++) {
			cr_assert_not_null(out = malloc(outlen));
			memset(out, 'Z', outlen);
			upload_sanitize_name(in[i], out, outlen);
			n = strnlen(out, outlen);
			cr_expect_lt(n, outlen, "\"%s\", outlen %zu: no NUL",
			    in[i], outlen);
			if (n < outlen) {
				cr_expect(utf8_valid((unsigned char *)out, n),
				    "\"%s\", outlen %zu: split", in[i],
				    outlen);
				cr_expect_neq(out[0], '.', "\"%s\": hidden",
				    in[i]);
			}
			free(out);
		}
	}
	/* The exact results for a few. */
	expect_name_len("notes.txt", 6, "notes");
	expect_name_len("notes.txt", 1, "");
	expect_name_len("\xd0\xbe\xd1\x82", 4, "\xd0\xbe");
}

/*
 * Random names from bytes that matter here (dots, slashes, controls, bytes
 * that are invalid or start sequences): what comes out is always one safe
 * component -- non-empty, bounded, valid UTF-8, no '/', no leading dot, no
 * control, space, backslash or quote.
 */
Test(upload_name, random_names_are_safe)
{
	static const char alphabet[] = "./ab\x01\x1f\x7f\xff\x80\xc2\x85"
	    "\xd0\xb6\xe2\x82\xac\xf0\x9f\x98\x80\\\" _-";
	char in[64], out[UPLOAD_NAME_MAX + 1], vin[512], vout[1024];
	uint32_t seed = 0xfeed, cp;
	size_t i, len, off, n;
	int round, k;

	for (round = 0; round < 20000; round++) {
		len = xorshift32(&seed) % sizeof(in);
		for (i = 0; i < len; i++)
			in[i] = alphabet[xorshift32(&seed) %
			    (sizeof(alphabet) - 1)];
		in[len] = '\0';
		upload_sanitize_name(in, out, sizeof(out));
		n = strlen(out);
		cr_assert(n > 0 && n <= UPLOAD_NAME_MAX, "round %d: %zu bytes",
		    round, n);
		cr_assert(utf8_valid((unsigned char *)out, n), "round %d",
		    round);
		cr_assert_null(strchr(out, '/'), "round %d: \"%s\"", round,
		    out);
		cr_assert_neq(out[0], '.', "round %d: \"%s\" stored as hidden "
		    "\"%s\"", round, visible(in, vin, sizeof(vin)),
		    visible(out, vout, sizeof(vout)));
		for (off = 0; off < n; off += k) {
			k = utf8_decode((unsigned char *)out + off, n - off,
			    &cp);
			cr_assert(cp >= 0x20 && cp != 0x7f &&
			    !(cp >= 0x80 && cp <= 0x9f) && cp != ' ' &&
			    cp != '\\' && cp != '"', "round %d: U+%04X kept",
			    round, (unsigned)cp);
		}
	}
}

/* The names in the upload directory, sorted; returns how many. */
static size_t
dir_list(char names[][NAME_MAX + 1], size_t max)
{
	struct dirent *de;
	size_t n = 0, i, j;
	char tmp[NAME_MAX + 1];
	DIR *d;

	cr_assert_not_null(d = opendir(tmpdir));
	while ((de = readdir(d)) != NULL) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		cr_assert_lt(n, max, "too many files");
		strlcpy(names[n++], de->d_name, NAME_MAX + 1);
	}
	closedir(d);
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			memcpy(tmp, names[j], sizeof(tmp));
			memcpy(names[j], names[j - 1], sizeof(tmp));
			memcpy(names[j - 1], tmp, sizeof(tmp));
		}
	return n;
}

/* Expect the file name in the upload directory to hold exactly data. */
static void
expect_file(const char *name, const void *data, size_t len)
{
	char path[PATH_MAX], *buf;
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	cr_assert_neq(fd = open(path, O_RDONLY), -1, "%s: %s", name,
	    strerror(errno));
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert(S_ISREG(st.st_mode));
	cr_assert_eq((size_t)st.st_size, len, "%s: %lld bytes, want %zu",
	    name, (long long)st.st_size, len);
	cr_assert_not_null(buf = malloc(len + 1));
	while (got < len && (n = read(fd, buf + got, len - got)) > 0)
		got += n;
	close(fd);
	cr_assert_eq(got, len);
	cr_assert_arr_eq(buf, data, len, "%s: content differs", name);
	free(buf);
}

/* Upload data whole under name; expect it stored as want_stored. */
static void
store(const char *name, const void *data, size_t len,
    const char *want_stored)
{
	char err[PATH_MAX + 64] = "", stored[PATH_MAX], hex[UPLOAD_HEX_LEN];
	struct upload u;

	cr_assert_eq(upload_begin(&u, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(upload_write(&u, data, len, err, sizeof(err)), 0, "%s",
	    err);
	upload_digest(&u, hex);
	cr_assert_eq(upload_commit(&u, name, stored, sizeof(stored), err,
	    sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(stored, want_stored, "\"%s\" stored as \"%s\", want "
	    "\"%s\"", name, stored, want_stored);
	upload_abort(&u);	/* after a commit: a no-op */
}

/*
 * 100000 bytes in writes of varying size: the file holds exactly them, the
 * digest is their SHA-256, and no temporary is left behind. While the data
 * arrives only the temporary exists, never the final name.
 */
Test(upload, store_with_digest)
{
	char err[PATH_MAX + 64] = "", stored[PATH_MAX], hex[UPLOAD_HEX_LEN];
	char want_hex[UPLOAD_HEX_LEN], names[4][NAME_MAX + 1];
	unsigned char *data, sum[crypto_hash_sha256_BYTES];
	uint32_t seed = 0xabcdef;
	size_t len = 100000, off, k, n;
	struct upload u;

	cr_assert_not_null(data = malloc(len));
	for (off = 0; off < len; off++)
		data[off] = xorshift32(&seed);
	crypto_hash_sha256(sum, data, len);
	sodium_bin2hex(want_hex, sizeof(want_hex), sum, sizeof(sum));

	cr_assert_eq(upload_begin(&u, &cfg, err, sizeof(err)), 0, "%s", err);
	for (off = 0; off < len; off += k) {
		k = 1 + xorshift32(&seed) % 7000;
		if (k > len - off)
			k = len - off;
		cr_assert_eq(upload_write(&u, data + off, k, err, sizeof(err)),
		    0, "%s", err);
	}
	cr_assert_eq(u.size, len);
	/* Unnamed (O_TMPFILE) where the file system can; else a hidden
	 * temporary name. */
	n = dir_list(names, 4);
	if (u.tmp[0] == '\0')
		cr_assert_eq(n, 0, "%zu files during the upload", n);
	else {
		cr_assert_eq(n, 1, "%zu files during the upload", n);
		cr_expect_eq(strncmp(names[0], ".upload-", 8), 0, "\"%s\"",
		    names[0]);
	}

	upload_digest(&u, hex);
	cr_expect_str_eq(hex, want_hex);
	cr_assert_eq(upload_commit(&u, "data.bin", stored, sizeof(stored),
	    err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(stored, "data.bin");
	expect_file("data.bin", data, len);
	n = dir_list(names, 4);
	cr_expect_eq(n, 1, "%zu files after the commit", n);
	cr_expect_str_eq(names[0], "data.bin");
	free(data);
}

Test(upload, empty_file)
{
	char names[2][NAME_MAX + 1], err[PATH_MAX + 64], hex[UPLOAD_HEX_LEN];
	char stored[PATH_MAX];
	struct upload u;

	cr_assert_eq(upload_begin(&u, &cfg, err, sizeof(err)), 0, "%s", err);
	upload_digest(&u, hex);
	cr_expect_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb924"
	    "27ae41e4649b934ca495991b7852b855");
	cr_assert_eq(upload_commit(&u, "empty", stored, sizeof(stored), err,
	    sizeof(err)), 0, "%s", err);
	expect_file("empty", "", 0);
	cr_expect_eq(dir_list(names, 2), 1);
}

/* A taken name is never replaced: "-1", "-2" go before the extension. */
Test(upload, same_name_gets_suffix)
{
	char names[8][NAME_MAX + 1];
	size_t n;

	store("notes.txt", "first", 5, "notes.txt");
	store("notes.txt", "second", 6, "notes-1.txt");
	store("notes.txt", "third!", 6, "notes-2.txt");
	expect_file("notes.txt", "first", 5);
	expect_file("notes-1.txt", "second", 6);
	expect_file("notes-2.txt", "third!", 6);
	n = dir_list(names, 8);
	cr_expect_eq(n, 3, "%zu files: temporaries left?", n);
}

Test(upload, same_name_without_extension)
{
	store("README", "one", 3, "README");
	store("README", "two", 3, "README-1");
	expect_file("README", "one", 3);
	expect_file("README-1", "two", 3);
	/* Only the last dot starts the extension. */
	store("a.tar.gz", "x", 1, "a.tar.gz");
	store("a.tar.gz", "y", 1, "a.tar-1.gz");
	expect_file("a.tar-1.gz", "y", 1);
}

/* A file put there by someone else is not replaced either. */
Test(upload, existing_file_kept)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/report.pdf", tmpdir);
	cr_assert_neq(fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600), -1);
	cr_assert_eq(write(fd, "theirs", 6), 6);
	close(fd);
	store("report.pdf", "ours", 4, "report-1.pdf");
	expect_file("report.pdf", "theirs", 6);
	expect_file("report-1.pdf", "ours", 4);
}

Test(upload, abort_leaves_nothing)
{
	char names[2][NAME_MAX + 1], err[PATH_MAX + 64];
	struct upload u;

	cr_assert_eq(upload_begin(&u, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(upload_write(&u, "partial", 7, err, sizeof(err)), 0);
	upload_abort(&u);
	cr_expect_eq(dir_list(names, 2), 0, "files left: \"%s\"", names[0]);
	upload_abort(&u);	/* twice: harmless */

	/* Aborted before anything was written. */
	cr_assert_eq(upload_begin(&u, &cfg, err, sizeof(err)), 0, "%s", err);
	upload_abort(&u);
	cr_expect_eq(dir_list(names, 2), 0, "files left: \"%s\"", names[0]);
}

/* max_size bytes pass; one more is refused and nothing is stored. */
Test(upload, max_size)
{
	char names[2][NAME_MAX + 1], err[PATH_MAX + 64];
	struct upload u;

	cfg.upload_max_size = 10;
	cr_assert_eq(upload_begin(&u, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(upload_write(&u, "123456", 6, err, sizeof(err)), 0);
	cr_assert_eq(upload_write(&u, "7890", 4, err, sizeof(err)), 0,
	    "exactly max_size refused: %s", err);
	cr_assert_eq(upload_write(&u, "", 0, err, sizeof(err)), 0);
	err[0] = '\0';
	cr_assert_eq(upload_write(&u, "x", 1, err, sizeof(err)), -2);
	cr_expect_not_null(strstr(err, "max_size"), "\"%s\"", err);
	cr_expect_not_null(strstr(err, "10"), "\"%s\"", err);
	upload_abort(&u);
	cr_expect_eq(dir_list(names, 2), 0);

	/* One write that crosses the limit. */
	cr_assert_eq(upload_begin(&u, &cfg, err, sizeof(err)), 0, "%s", err);
	err[0] = '\0';
	cr_assert_eq(upload_write(&u, "0123456789A", 11, err, sizeof(err)),
	    -2);
	cr_expect_not_null(strstr(err, "max_size"), "\"%s\"", err);
	upload_abort(&u);

	/* max_size 0: only empty files. */
	cfg.upload_max_size = 0;
	cr_assert_eq(upload_begin(&u, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(upload_write(&u, "x", 1, err, sizeof(err)), -2);
	upload_abort(&u);
	cr_expect_eq(dir_list(names, 2), 0);
}

/* The last level of the directory is made; a missing parent is an error. */
Test(upload, begin_directory)
{
	char err[PATH_MAX + 64] = "";
	struct upload u;
	struct stat st;

	snprintf(cfg.upload_dir, sizeof(cfg.upload_dir), "%s/missing/sub",
	    tmpdir);
	cr_assert_eq(upload_begin(&u, &cfg, err, sizeof(err)), -1);
	cr_expect_neq(err[0], '\0', "no message");
	cr_expect_not_null(strstr(err, "No such file or directory"),
	    "\"%s\"", err);
	upload_abort(&u);	/* safe after a failed begin */

	snprintf(cfg.upload_dir, sizeof(cfg.upload_dir), "%s/new", tmpdir);
	cr_assert_eq(upload_begin(&u, &cfg, err, sizeof(err)), 0, "%s", err);
	cr_expect_eq(stat(cfg.upload_dir, &st), 0);
	cr_expect(S_ISDIR(st.st_mode));
	upload_abort(&u);
}
