/* test_conf.c -- table-driven INI configuration (shared/conf.c, config.c). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "daemon/config.h"
#include "shared/conf.h"

struct tconf {
	int	num;
	int	flag;
	char	name[8];
	char	dir[64];
	char	checked[16];
};

static int
check_no_x(const char *value, char *why, size_t whylen)
{
	if (strchr(value, 'x') == NULL)
		return 0;
	snprintf(why, whylen, "must not contain x");
	return -1;
}

static const struct conf_key tkeys[] = {
	CONF_INT_KEY("main", "num", "7", -5, 100, struct tconf, num),
	CONF_BOOL_KEY("main", "flag", "false", struct tconf, flag),
	CONF_STR_KEY("main", "name", "def", struct tconf, name, NULL),
	CONF_PATH_KEY("paths", "dir", "/var/tmp", struct tconf, dir),
	CONF_STR_KEY("paths", "checked", "ok", struct tconf, checked,
	    check_no_x),
};
#define NTKEYS	(sizeof(tkeys) / sizeof(tkeys[0]))

/* The temporary INI file of the running test; removed by its fini. */
static char	ini[64];

static void
ini_remove(void)
{
	if (ini[0] != '\0')
		unlink(ini);
	ini[0] = '\0';
}

/* Write text to a fresh temporary file and return its name. */
static const char *
ini_write(const char *text)
{
	size_t len = strlen(text);
	int fd;

	ini_remove();
	strlcpy(ini, "/tmp/test_conf.XXXXXX", sizeof(ini));
	fd = mkstemp(ini);
	cr_assert_neq(fd, -1, "mkstemp: %m");
	cr_assert_eq(write(fd, text, len), (ssize_t)len, "write: %m");
	close(fd);
	return ini;
}

TestSuite(conf, .fini = ini_remove);
TestSuite(config, .fini = ini_remove);

/* Load text with the test table; expect failure with exactly err FILE: ...*/
static void
expect_error(const char *text, const char *want)
{
	char err[512], full[512];
	struct tconf c;
	const char *path = ini_write(text);

	memset(err, 0, sizeof(err));
	cr_assert_eq(conf_load(path, tkeys, NTKEYS, &c, err, sizeof(err)), -1,
	    "loaded: %s", text);
	snprintf(full, sizeof(full), "%s: %s", path, want);
	cr_expect_str_eq(err, full, "error \"%s\", want \"%s\"", err, full);
	cr_expect_null(strchr(err, '\n'), "error is not one line");
}

static void
expect_config_error(const char *text, const char *want)
{
	char err[512], full[512];
	struct config cfg;
	const char *path = ini_write(text);

	memset(err, 0, sizeof(err));
	cr_assert_eq(config_load(path, &cfg, err, sizeof(err)), -1,
	    "loaded: %s", text);
	snprintf(full, sizeof(full), "%s: %s", path, want);
	cr_expect_str_eq(err, full, "error \"%s\", want \"%s\"", err, full);
}

static void
load_ok(const char *text, struct tconf *c)
{
	char err[512] = "";

	memset(c, 0xa5, sizeof(*c));
	cr_assert_eq(conf_load(ini_write(text), tkeys, NTKEYS, c, err,
	    sizeof(err)), 0, "refused: %s", err);
}

Test(conf, defaults_when_absent)
{
	struct tconf c;

	load_ok("", &c);
	cr_expect_eq(c.num, 7);
	cr_expect_eq(c.flag, 0);
	cr_expect_str_eq(c.name, "def");
	cr_expect_str_eq(c.dir, "/var/tmp");
	cr_expect_str_eq(c.checked, "ok");
	/* Sections present, keys absent. */
	load_ok("; only comments\n[main]\n[paths]\n# more\n", &c);
	cr_expect_eq(c.num, 7);
	cr_expect_str_eq(c.name, "def");
	cr_expect_str_eq(c.dir, "/var/tmp");
}

Test(conf, defaults_only)
{
	struct tconf c;
	char err[128] = "";

	memset(&c, 0xa5, sizeof(c));
	cr_assert_eq(conf_defaults(tkeys, NTKEYS, &c, err, sizeof(err)), 0,
	    "%s", err);
	cr_expect_eq(c.num, 7);
	cr_expect_eq(c.flag, 0);
	cr_expect_str_eq(c.name, "def");
}

Test(conf, values_read)
{
	struct tconf c;

	load_ok("[main]\nnum = -5\nflag = true\nname = abc\n"
	    "[paths]\ndir = /srv/data\nchecked = fine\n", &c);
	cr_expect_eq(c.num, -5);
	cr_expect_eq(c.flag, 1);
	cr_expect_str_eq(c.name, "abc");
	cr_expect_str_eq(c.dir, "/srv/data");
	cr_expect_str_eq(c.checked, "fine");
	/* A file may set some keys; the rest keep their defaults. */
	load_ok("[main]\nnum = 100\n", &c);
	cr_expect_eq(c.num, 100);
	cr_expect_str_eq(c.name, "def");
	cr_expect_str_eq(c.checked, "ok");
	/* Quoted strings, inline comments, spacing. */
	load_ok("[main]\nname = \"a b\"\n  num=0   ; zero\n", &c);
	cr_expect_str_eq(c.name, "a b");
	cr_expect_eq(c.num, 0);
	/* The longest string that fits: size - 1 bytes. */
	load_ok("[main]\nname = 1234567\n", &c);
	cr_expect_str_eq(c.name, "1234567");
	/* An empty string is a value. */
	load_ok("[main]\nname =\n", &c);
	cr_expect_str_eq(c.name, "");
}

Test(conf, bool_spellings)
{
	static const char *yes[] = { "true", "TRUE", "yes", "Yes", "on", "1" };
	static const char *no[] = { "false", "False", "no", "NO", "off", "0" };
	char text[64];
	struct tconf c;
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		snprintf(text, sizeof(text), "[main]\nflag = %s\n", yes[i]);
		load_ok(text, &c);
		cr_expect_eq(c.flag, 1, "%s", yes[i]);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		/* Accepted, and false (the default is false too). */
		snprintf(text, sizeof(text), "[main]\nflag = %s\n", no[i]);
		load_ok(text, &c);
		cr_expect_eq(c.flag, 0, "%s", no[i]);
	}
}

Test(conf, missing_file)
{
	char err[256];
	struct tconf c;

	cr_assert_eq(conf_load("/nonexistent-dir/test.ini", tkeys, NTKEYS, &c,
	    err, sizeof(err)), -1);
	cr_expect_str_eq(err, "/nonexistent-dir/test.ini: No such file or "
	    "directory");
}

Test(conf, unknown_section)
{
	expect_error("[bogus]\nnum = 1\n", "[bogus]: unknown section");
	/* Even with no keys in it. */
	expect_error("[main]\nnum = 1\n[other]\n", "[other]: unknown section");
}

Test(conf, unknown_key)
{
	expect_error("[main]\nnum = 1\nnope = 2\n", "[main] nope: unknown key");
	/* A key of another section is unknown here. */
	expect_error("[paths]\nnum = 1\n", "[paths] num: unknown key");
}

/*
 * Regression (shared/conf.c, conf_check_names): a key written before any section
 * header is silently ignored. iniparser 4.1 stores it as ":num", which is
 * neither a section nor a key of one, so it is never checked nor used:
 * "num = 50" at the top of the file loads with num = 7 and returns 0.
 * conf.h promises that an unknown key is refused.
 */
Test(conf, key_outside_section_refused)
{
	char err[512] = "";
	struct tconf c;
	const char *path = ini_write("num = 50\n[main]\nname = abc\n");
	int r;

	r = conf_load(path, tkeys, NTKEYS, &c, err, sizeof(err));
	cr_expect_eq(r, -1, "a key outside any section was accepted "
	    "(num = %d)", c.num);
	if (r == -1) {
		cr_expect_eq(strncmp(err, path, strlen(path)), 0, "%s", err);
		cr_expect_not_null(strstr(err, "num"), "%s", err);
	}
}

Test(conf, not_a_number)
{
	expect_error("[main]\nnum = 12abc\n",
	    "[main] num: '12abc' is not a whole number");
	expect_error("[main]\nnum = 1.5\n",
	    "[main] num: '1.5' is not a whole number");
	expect_error("[main]\nnum = 0x10\n",
	    "[main] num: '0x10' is not a whole number");
	expect_error("[main]\nnum =\n", "[main] num: '' is not a whole number");
	expect_error("[main]\nnum = 99999999999999999999\n",
	    "[main] num: '99999999999999999999' is not a whole number");
}

Test(conf, out_of_range)
{
	expect_error("[main]\nnum = 101\n",
	    "[main] num: 101 is out of range -5..100");
	expect_error("[main]\nnum = -6\n",
	    "[main] num: -6 is out of range -5..100");
	/* Beyond int, still reported as a number out of range. */
	expect_error("[main]\nnum = 4294967297\n",
	    "[main] num: 4294967297 is out of range -5..100");
}

Test(conf, bool_not_true_false)
{
	expect_error("[main]\nflag = maybe\n",
	    "[main] flag: 'maybe' is not true or false");
	expect_error("[main]\nflag = 2\n",
	    "[main] flag: '2' is not true or false");
	expect_error("[main]\nflag =\n",
	    "[main] flag: '' is not true or false");
}

/* What the file puts in a message cannot drive a terminal: an escape
 * sequence, a CR, a tab. */
Test(conf, error_shows_control_characters_as_question_marks)
{
	expect_error("[main]\nnum = 12\x1b[2J\n",
	    "[main] num: '12?[2J' is not a whole number");
	expect_error("[main]\nflag = y\res\n",
	    "[main] flag: 'y?es' is not true or false");
	expect_error("[main]\nno\tpe = 1\n", "[main] no?pe: unknown key");
}

Test(conf, string_too_long)
{
	expect_error("[main]\nname = 12345678\n",
	    "[main] name: longer than 7 bytes");
}

Test(conf, check_refuses)
{
	expect_error("[paths]\nchecked = xyz\n",
	    "[paths] checked: must not contain x");
}

Test(conf, syntax_error)
{
	char err[512];
	struct tconf c;
	const char *path = ini_write("[main]\nnum = 1\nthis is not ini\n");
	size_t plen = strlen(path);

	cr_assert_eq(conf_load(path, tkeys, NTKEYS, &c, err, sizeof(err)), -1);
	cr_expect(strncmp(err, path, plen) == 0 && err[plen] == ':',
	    "no file name: %s", err);
	cr_expect_str_eq(err + plen, ": line 3: syntax error: this is not ini");
}

/* iniparser would keep the last one silently. */
Test(conf, key_given_twice)
{
	char err[512];
	struct tconf c;
	const char *path = ini_write("[main]\nnum = 1\n; num = 5\n"
	    "name = a \\\n  num = 7\n[MAIN]\nNum=2\n");
	size_t plen = strlen(path);

	cr_assert_eq(conf_load(path, tkeys, NTKEYS, &c, err, sizeof(err)), -1);
	cr_expect_str_eq(err + plen, ": line 7: [main] num: given twice "
	    "(first on line 2)");
}

/* iniparser would read the mark into the first line ("syntax error:
 * \xef\xbb\xbf[main]"), and say only "cannot parse" of a long line. */
Test(conf, byte_order_mark_and_long_line)
{
	char err[512], text[1200];
	struct tconf c;
	const char *path = ini_write("\xef\xbb\xbf[main]\nnum = 1\n");
	size_t plen = strlen(path), n;

	cr_assert_eq(conf_load(path, tkeys, NTKEYS, &c, err, sizeof(err)), -1);
	cr_expect_str_eq(err + plen, ": line 1: starts with a byte order "
	    "mark: save the file as UTF-8 without one");
	/* 1022 bytes and the LF are read (a comment is a line too); one
	 * more is refused by name. */
	for (n = 1022; n <= 1023; n++) {
		snprintf(text, sizeof(text), "[main]\n;%0*d\nnum = 3\n",
		    (int)(n - 1), 0);
		path = ini_write(text);
		plen = strlen(path);
		if (n == 1022) {
			cr_assert_eq(conf_load(path, tkeys, NTKEYS, &c, err,
			    sizeof(err)), 0, "%s", err);
			cr_expect_eq(c.num, 3);
		} else {
			cr_assert_eq(conf_load(path, tkeys, NTKEYS, &c, err,
			    sizeof(err)), -1);
			cr_expect_str_eq(err + plen, ": line 2: longer than "
			    "1022 bytes");
		}
	}
}

Test(conf, directory_is_not_a_config)
{
	char err[512];
	struct tconf c;

	cr_assert_eq(conf_load("/", tkeys, NTKEYS, &c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "/: is a directory, not a file");
}

Test(conf, relative_path_made_absolute)
{
	char cwd[PATH_MAX], want[PATH_MAX + 16];
	struct tconf c;

	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	load_ok("[paths]\ndir = sub/d\n", &c);
	snprintf(want, sizeof(want), "%s/sub/d", cwd);
	if (strlen(want) < sizeof(c.dir))
		cr_expect_str_eq(c.dir, want);
	load_ok("[paths]\ndir = /abs/d\n", &c);
	cr_expect_str_eq(c.dir, "/abs/d");
	load_ok("[paths]\ndir =\n", &c);
	cr_expect_str_eq(c.dir, "", "an empty path stays empty");
}

Test(conf, relative_path_too_long)
{
	char text[128], want[64];

	/* 60 bytes is no trouble alone, too long after the cwd. */
	snprintf(text, sizeof(text), "[paths]\ndir = %.60s\n",
	    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	snprintf(want, sizeof(want), "[paths] dir: longer than %zu bytes",
	    sizeof(((struct tconf *)0)->dir) - 1);
	expect_error(text, want);
}

Test(conf, bad_default)
{
	static const struct conf_key bad[] = {
		CONF_INT_KEY("main", "num", "seven", 0, 10, struct tconf, num),
	};
	char err[256];
	struct tconf c;

	cr_assert_eq(conf_defaults(bad, 1, &c, err, sizeof(err)), -1);
	cr_expect_str_eq(err, "default [main] num: 'seven' is not a whole "
	    "number");
	/* conf_load reports it before reading any file. */
	cr_assert_eq(conf_load("/nonexistent", bad, 1, &c, err, sizeof(err)),
	    -1);
	cr_expect_str_eq(err, "default [main] num: 'seven' is not a whole "
	    "number");
}

Test(config, defaults)
{
	char err[512] = "";
	struct config cfg;

	cr_assert_eq(config_load(ini_write(""), &cfg, err, sizeof(err)), 0,
	    "%s", err);
	cr_expect_str_eq(cfg.listen, "*");
	cr_expect_eq(cfg.port_min, 65430);
	cr_expect_eq(cfg.port_max, 65440);
	cr_expect_str_eq(cfg.service, "session");
	cr_expect_str_eq(cfg.port_file, "/run/sockbind/sockbind.port");
	cr_expect_str_eq(cfg.pidfile, "/run/sockbind/sockbind.pid");
	cr_expect_str_eq(cfg.user, "");
	cr_expect_eq(cfg.start, 4);
	cr_expect_eq(cfg.min_spare, 2);
	cr_expect_eq(cfg.max_spare, 8);
	cr_expect_eq(cfg.max_frame, 1048576);
	cr_expect_eq(cfg.delay_ms, 0);
	cr_expect_str_eq(cfg.signature, "");
	cr_expect_eq(cfg.keep_case, 0);
	cr_expect_str_eq(cfg.pingpong_file, "/var/lib/sockbind/pingpong.txt");
	cr_expect_str_eq(cfg.upload_dir, "/var/lib/sockbind/uploads");
	cr_expect_eq(cfg.upload_max_size, 10485760);
	cr_expect_eq(cfg.max_workers, 256);
	cr_expect_eq(cfg.max_requests, 10000);
	cr_expect_eq(cfg.worker_timeout, 30);
	cr_expect_eq(cfg.graceful_timeout, 10);
	cr_expect_eq(cfg.idle_timeout, 300);
	cr_expect_eq(cfg.session_timeout, 3600);
	cr_expect_eq(cfg.per_source, 32);
	cr_expect_eq(cfg.stress_idle_timeout, 5);
	cr_expect_eq(cfg.send_timeout, 30);
	cr_expect_str_eq(cfg.log_path, "/var/log/sockbind/sockbind.log");
	cr_expect_eq(cfg.max_message, 1024);
}

Test(config, values_read)
{
	char err[512] = "";
	struct config cfg;

	cr_assert_eq(config_load(ini_write("[server]\nlisten = ::1\n"
	    "port_min = 4000\nport_max = 4000\nuser = nobody\n"
	    "[pool]\nstart = 1\nmin_spare = 0\nmax_spare = 1\n"
	    "max_workers = 1\nmax_requests = 0\n"
	    "[limits]\nidle_timeout = 0\n[log]\npath = /tmp/x.log\n"
	    "max_message = 16\n"), &cfg, err, sizeof(err)), 0, "%s", err);
	cr_expect_str_eq(cfg.listen, "::1");
	cr_expect_eq(cfg.port_min, 4000);
	cr_expect_eq(cfg.port_max, 4000);
	cr_expect_str_eq(cfg.user, "nobody");
	cr_expect_eq(cfg.start, 1);
	cr_expect_eq(cfg.max_workers, 1);
	cr_expect_eq(cfg.max_requests, 0);
	cr_expect_eq(cfg.idle_timeout, 0);
	cr_expect_str_eq(cfg.log_path, "/tmp/x.log");
	cr_expect_eq(cfg.max_message, 16);
}

Test(config, cross_checks)
{
	expect_config_error("[server]\nport_min = 2000\nport_max = 1000\n",
	    "[server] port_min: 2000 is above port_max (1000)");
	expect_config_error("[pool]\nmin_spare = 9\n",
	    "[pool] min_spare: 9 is above max_spare (8)");
	expect_config_error("[pool]\nstart = 10\nmax_workers = 5\n",
	    "[pool] start: 10 is above max_workers (5)");
	expect_config_error("[log]\npath =\n", "[log] path: must not be empty");
}

Test(config, key_errors)
{
	expect_config_error("[server]\nlisten = localhost\n",
	    "[server] listen: 'localhost' is not an IPv4 or IPv6 address, "
	    "nor *");
	expect_config_error("[server]\nport_max = 65536\n",
	    "[server] port_max: 65536 is out of range 1..65535");
	expect_config_error("[server]\nport_min = 0\n",
	    "[server] port_min: 0 is out of range 1..65535");
	expect_config_error("[pool]\nmax_workers = 1025\n",
	    "[pool] max_workers: 1025 is out of range 1..1024");
	expect_config_error("[log]\nmax_message = 15\n",
	    "[log] max_message: 15 is out of range 16..65536");
	expect_config_error("[log]\nlevel = debug\n",
	    "[log] level: unknown key");
	expect_config_error("[client]\nport = 1\n",
	    "[client]: unknown section");
}

/* The list of known services grows; echo is always in it. */
Test(config, unknown_service)
{
	static const char want[] = "[server] service: unknown service 'http' "
	    "(known: ";
	char err[512] = "", *p;
	struct config cfg;
	const char *path = ini_write("[server]\nservice = http\n");
	size_t plen = strlen(path);

	cr_assert_eq(config_load(path, &cfg, err, sizeof(err)), -1);
	cr_assert(strncmp(err, path, plen) == 0 && err[plen] == ':' &&
	    err[plen + 1] == ' ', "%s", err);
	p = err + plen + 2;
	cr_expect_eq(strncmp(p, want, sizeof(want) - 1), 0, "%s", err);
	p += sizeof(want) - 1;
	cr_expect(!strncmp(p, "echo", 4) || strstr(p, " echo") != NULL,
	    "echo not listed: %s", err);
	cr_expect_eq(err[strlen(err) - 1], ')', "%s", err);
}

Test(config, repo_sample_loads)
{
	char err[512] = "", cwd[PATH_MAX], want[PATH_MAX + 32];
	struct config cfg;

	cr_assert_not_null(getcwd(cwd, sizeof(cwd)));
	cr_assert_eq(access("etc/sockbind.ini", R_OK), 0, "run the tests from "
	    "the top of the source tree (cwd is %s)", cwd);
	cr_assert_eq(config_load("etc/sockbind.ini", &cfg, err, sizeof(err)),
	    0, "%s", err);
	cr_expect_str_eq(cfg.listen, "*");
	cr_expect_eq(cfg.port_min, 65430);
	cr_expect_eq(cfg.port_max, 65440);
	cr_expect_str_eq(cfg.service, "session");
	cr_expect_eq(cfg.delay_ms, 1000);
	cr_expect_eq(cfg.keep_case, 1);
	snprintf(want, sizeof(want), "%s/var/uploads", cwd);
	cr_expect_str_eq(cfg.upload_dir, want);
	snprintf(want, sizeof(want), "%s/var/sockbind.port", cwd);
	cr_expect_str_eq(cfg.port_file, want);
	snprintf(want, sizeof(want), "%s/var/sockbind.pid", cwd);
	cr_expect_str_eq(cfg.pidfile, want);
	snprintf(want, sizeof(want), "%s/var/sockbind.log", cwd);
	cr_expect_str_eq(cfg.log_path, want);
	cr_expect_str_eq(cfg.user, "");
	cr_expect_eq(cfg.max_message, 1024);
}
