/* test_log.c -- the shared append-only log writer (shared/log.c). */
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "shared/log.h"

#define IDENT		"testd"
#define NCHILD		8
#define NREC		2000

/* Each test gets a directory of its own; its fini removes it. */
static char	tmpdir[64];

struct lines {
	char	*buf;
	size_t	 len;
	char	**line;
	size_t	 n;
};

struct rec {
	char		 ident[32];
	long		 pid;
	char		 event[64];
	const char	*fields;	/* "" when there are none */
};

/*
 * Every log test runs under a watchdog, so a deadlock fails the test
 * (killed by SIGALRM) instead of hanging the suite. alarm() rather than
 * Criterion's .timeout: that leaks in Criterion's runner, which LSan then
 * reports as a failure of the whole run.
 */
#define WATCHDOG_S	30

static void
tmpdir_make(void)
{
	alarm(WATCHDOG_S);
	strlcpy(tmpdir, "/tmp/test_log.XXXXXX", sizeof(tmpdir));
	cr_assert_not_null(mkdtemp(tmpdir), "mkdtemp: %s", strerror(errno));
}

static void
tmpdir_remove(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	log_close();
	if ((d = opendir(tmpdir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(tmpdir);
}

TestSuite(log, .init = tmpdir_make, .fini = tmpdir_remove);

static const char *
tmp_path(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
	return buf;
}

static void
open_log(const char *path, size_t max_message)
{
	char err[PATH_MAX + 64] = "";

	cr_assert_eq(log_open(path, IDENT, max_message, err, sizeof(err)), 0,
	    "log_open: %s", err);
}

/* Read a whole file and split it into lines; every line must end. */
static void
lines_read(const char *path, struct lines *l)
{
	struct stat st;
	size_t i, cap = 64;
	ssize_t n;
	int fd;

	memset(l, 0, sizeof(*l));
	cr_assert_neq(fd = open(path, O_RDONLY), -1, "%s: %s", path,
	    strerror(errno));
	cr_assert_eq(fstat(fd, &st), 0);
	cr_assert_not_null(l->buf = malloc(st.st_size + 1));
	while (l->len < (size_t)st.st_size &&
	    (n = read(fd, l->buf + l->len, st.st_size - l->len)) > 0)
		l->len += n;
	close(fd);
	cr_assert_eq(l->len, (size_t)st.st_size, "short read of %s", path);
	l->buf[l->len] = '\0';
	cr_assert(l->len == 0 || l->buf[l->len - 1] == '\n',
	    "%s does not end with a newline", path);
	cr_assert_not_null(l->line = malloc(cap * sizeof(*l->line)));
	for (i = 0; i < l->len; ) {
		if (l->n == cap) {
			cap *= 2;
			cr_assert_not_null(l->line = realloc(l->line,
			    cap * sizeof(*l->line)));
		}
		l->line[l->n++] = l->buf + i;
		i += strcspn(l->buf + i, "\n");
		cr_assert_lt(i, l->len, "NUL byte inside %s", path);
		l->buf[i++] = '\0';
	}
}

static void
lines_free(struct lines *l)
{
	free(l->line);
	free(l->buf);
	memset(l, 0, sizeof(*l));
}

/* Parse "<time> <ident>[<pid>] <event>[ <fields>]"; 0 or -1. */
static int
rec_parse(const char *line, struct rec *r)
{
	static regex_t re;
	static int compiled;
	regmatch_t m[7];
	size_t n;

	if (!compiled) {
		cr_assert_eq(regcomp(&re, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T"
		    "[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}[+-][0-9]{2}:[0-9]{2}"
		    " ([^][ ]+)\\[([0-9]+)\\] ([a-z0-9_]+)( (.*))?$",
		    REG_EXTENDED), 0);
		compiled = 1;
	}
	if (regexec(&re, line, 7, m, 0) != 0)
		return -1;
	n = m[1].rm_eo - m[1].rm_so;
	if (n >= sizeof(r->ident))
		return -1;
	memcpy(r->ident, line + m[1].rm_so, n);
	r->ident[n] = '\0';
	r->pid = strtol(line + m[2].rm_so, NULL, 10);
	n = m[3].rm_eo - m[3].rm_so;
	if (n >= sizeof(r->event))
		return -1;
	memcpy(r->event, line + m[3].rm_so, n);
	r->event[n] = '\0';
	r->fields = m[5].rm_so == -1 ? "" : line + m[5].rm_so;
	return 0;
}

/* Parse line i of l, or fail the test. */
static void
rec_get(const struct lines *l, size_t i, struct rec *r)
{
	cr_assert_lt(i, l->n, "only %zu lines, want line %zu", l->n, i + 1);
	cr_assert_eq(rec_parse(l->line[i], r), 0, "line %zu malformed: "
	    "\"%.200s\"", i + 1, l->line[i]);
}

/* Expect line i to be event with exactly these fields, from our pid. */
static void
expect_rec(const struct lines *l, size_t i, const char *event,
    const char *fields)
{
	struct rec r;

	rec_get(l, i, &r);
	cr_expect_str_eq(r.ident, IDENT);
	cr_expect_eq(r.pid, (long)getpid(), "line %zu: pid %ld", i + 1, r.pid);
	cr_expect_str_eq(r.event, event, "line %zu: event %s, want %s", i + 1,
	    r.event, event);
	cr_expect_str_eq(r.fields, fields, "line %zu: fields \"%.300s\", "
	    "want \"%.300s\"", i + 1, r.fields, fields);
}

/* How many lines of path carry event (with any fields). */
static size_t
count_event(const char *path, const char *event)
{
	struct lines l;
	struct rec r;
	size_t i, n = 0;

	lines_read(path, &l);
	for (i = 0; i < l.n; i++)
		if (rec_parse(l.line[i], &r) == 0 && !strcmp(r.event, event))
			n++;
	lines_free(&l);
	return n;
}

static void
expect_lines(const char *path, size_t want)
{
	struct lines l;

	lines_read(path, &l);
	cr_expect_eq(l.n, want, "%s: %zu lines, want %zu", path, l.n, want);
	lines_free(&l);
}

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + ts.tv_nsec;
}

/* A child must not outlive a test that failed or timed out. */
static void
child_init(void)
{
	prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static void
hook_die(const char *record, size_t len)
{
	if (memmem(record, len, "die_here", 8) != NULL)
		raise(SIGKILL);
}

/* Killed half-way through its write(2), as SIGKILL can stop one between
 * pages: half of the record reaches the file. */
static void
hook_tear(const char *record, size_t len)
{
	if (memmem(record, len, "tear_here", 9) != NULL) {
		if (write(log_fd(), record, len / 2) != (ssize_t)(len / 2))
			_exit(3);
		raise(SIGKILL);
	}
}

static void
hook_stop(const char *record, size_t len)
{
	if (memmem(record, len, "stop_here", 9) != NULL)
		raise(SIGSTOP);
}

/* Says on hold_fd that it holds the lock, then never lets go. */
static int	hold_fd = -1;

static void
hook_hold(const char *record, size_t len)
{
	if (memmem(record, len, "hold_here", 9) == NULL)
		return;
	if (write(hold_fd, "h", 1) != 1)
		_exit(2);
	for (;;)
		pause();
}

/* Fork a child that takes the lock and stops itself holding it. */
static pid_t
stopped_holder(void)
{
	pid_t pid;
	int st;

	cr_assert_neq(pid = fork(), -1);
	if (pid == 0) {
		child_init();
		log_set_fault_hook(hook_stop);
		log_event("stop_here", "child=holder");
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &st, WUNTRACED), pid);
	cr_assert(WIFSTOPPED(st), "holder did not stop (status %#x)", st);
	return pid;
}

static void
kill_wait(pid_t pid)
{
	int st;

	cr_assert_eq(kill(pid, SIGKILL), 0);
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL,
	    "child %d: status %#x", (int)pid, st);
}

static void
wait_ok(pid_t pid)
{
	int st;

	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "child %d: status %#x", (int)pid, st);
}

/* Wait hooks: count the calls, note when, give up or keep waiting. */
static int		hook_calls;
static uint64_t		hook_ns[64];
static pid_t		hook_victim;	/* killed on the third call */

static int
wait_give_up(void)
{
	if (hook_calls < 64)
		hook_ns[hook_calls] = now_ns();
	hook_calls++;
	return -1;
}

/* Says on hold_fd, once, that it is blocked on the lock; keeps waiting. */
static int
wait_signal_blocked(void)
{
	if (hook_calls++ == 0 && write(hold_fd, "w", 1) != 1)
		_exit(2);
	return 0;
}

static int
wait_then_kill(void)
{
	if (hook_calls < 64)
		hook_ns[hook_calls] = now_ns();
	if (++hook_calls == 3)
		kill(hook_victim, SIGKILL);
	return 0;
}

Test(log, no_op_before_open)
{
	cr_expect_eq(log_fd(), -1);
	log_event("nothing", "x=%d", 1);
	log_text("nothing", "abc", 3, NULL);
	cr_expect_eq(log_flush_pending(), 0);
}

Test(log, event_format)
{
	char path[PATH_MAX];
	struct lines l;
	struct rec r;

	open_log(tmp_path(path, sizeof(path), "a.log"), 64);
	log_event("start", "port=%d service=%s", 4242, "echo");
	log_event("bare", NULL);
	log_event("empty", "%s", "");
	log_event("quoted", "msg=\"%s\"", "hi");
	lines_read(path, &l);
	cr_assert_eq(l.n, 4, "%zu lines", l.n);
	rec_get(&l, 0, &r);
	cr_expect_str_eq(r.ident, IDENT);
	cr_expect_eq(r.pid, (long)getpid());
	expect_rec(&l, 0, "start", "port=4242 service=echo");
	/* No fields: no trailing space either. */
	cr_expect_eq(strcmp(l.line[1] + strlen(l.line[1]) - 5, " bare"), 0,
	    "\"%s\"", l.line[1]);
	expect_rec(&l, 1, "bare", "");
	expect_rec(&l, 2, "empty", "");
	expect_rec(&l, 3, "quoted", "msg=\"hi\"");
	lines_free(&l);
}

Test(log, event_keeps_errno)
{
	char path[PATH_MAX];

	open_log(tmp_path(path, sizeof(path), "a.log"), 64);
	errno = EAGAIN;
	log_event("x", "y=1");
	cr_expect_eq(errno, EAGAIN);
	errno = EPIPE;
	log_text("x", "t", 1, NULL);
	cr_expect_eq(errno, EPIPE);
}

Test(log, text_escaped)
{
	static const char forged[] =
	    "x\n2026-01-01T00:00:00.000+00:00 evil[1] stop";
	char path[PATH_MAX];
	struct lines l;

	open_log(tmp_path(path, sizeof(path), "a.log"), 64);
	log_text("msg", "hi \"x\"\n\x01\\", 9, "conn=%d", 3);
	log_text("msg", "abc", 3, NULL);
	log_text("msg", "", 0, "conn=%d", 4);
	log_text("msg", "\xff\xe2\x80\xa8\r\t", 6, NULL);
	/* A forged record inside the text stays inside the text. */
	log_text("msg", forged, sizeof(forged) - 1, NULL);
	lines_read(path, &l);
	cr_assert_eq(l.n, 5, "%zu lines", l.n);
	expect_rec(&l, 0, "msg",
	    "conn=3 bytes=9 text=\"hi \\\"x\\\"\\n\\u0001\\\\\"");
	expect_rec(&l, 1, "msg", "bytes=3 text=\"abc\"");
	expect_rec(&l, 2, "msg", "conn=4 bytes=0 text=\"\"");
	expect_rec(&l, 3, "msg", "bytes=6 text=\"\\xff\\u2028\\r\\t\"");
	expect_rec(&l, 4, "msg", "bytes=44 text=\"x\\n2026-01-01T00:00:00.000"
	    "+00:00 evil[1] stop\"");
	lines_free(&l);
}

/* log_message() writes what log_text() with the same fields would. */
Test(log, message_same_as_text)
{
	static const size_t sizes[] = { 0, 1, 9, 10, 99, 100, 1000, 65535 };
	static char text[65536];
	char path[PATH_MAX], want[160];
	struct lines l;
	size_t i;

	memset(text, 'a', sizeof(text));
	text[3] = '\n';
	open_log(tmp_path(path, sizeof(path), "a.log"), 16);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		log_message("recv", "client=127.0.0.1:5", text, sizes[i]);
		log_text("recv", text, sizes[i], "client=%s", "127.0.0.1:5");
	}
	lines_read(path, &l);
	cr_assert_eq(l.n, 16, "%zu lines", l.n);
	for (i = 0; i < l.n; i += 2) {
		/* Past the time stamp, the two records are the same. */
		cr_assert_str_eq(strchr(l.line[i], ' '),
		    strchr(l.line[i + 1], ' '));
	}
	snprintf(want, sizeof(want), "client=127.0.0.1:5 bytes=65535 "
	    "text=\"aaa\\naaaaaaaaaaaa\"...[cut 65519]");
	expect_rec(&l, 14, "recv", want);
	lines_free(&l);
}

Test(log, text_cut_with_marker)
{
	char path[PATH_MAX], a[64];
	struct lines l;

	memset(a, 'a', sizeof(a));
	open_log(tmp_path(path, sizeof(path), "a.log"), 16);
	log_text("msg", a, 40, NULL);
	log_text("msg", a, 16, NULL);
	log_text("msg", a, 17, "n=%d", 17);
	/* aaaaaaaaaaaaaaa + Zhe (2 bytes) + b: the cut falls inside Zhe. */
	log_text("msg", "aaaaaaaaaaaaaaa\xd0\x96" "b", 18, NULL);
	/* The limit counts source bytes, not escaped ones. */
	log_text("msg", "\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n\n", 16, NULL);
	cr_assert_eq(log_set_max_message(20), 0);
	log_text("msg", a, 40, NULL);
	lines_read(path, &l);
	cr_assert_eq(l.n, 6, "%zu lines", l.n);
	expect_rec(&l, 0, "msg",
	    "bytes=40 text=\"aaaaaaaaaaaaaaaa\"...[cut 24]");
	expect_rec(&l, 1, "msg", "bytes=16 text=\"aaaaaaaaaaaaaaaa\"");
	expect_rec(&l, 2, "msg",
	    "n=17 bytes=17 text=\"aaaaaaaaaaaaaaaa\"...[cut 1]");
	expect_rec(&l, 3, "msg",
	    "bytes=18 text=\"aaaaaaaaaaaaaaa\"...[cut 3]");
	expect_rec(&l, 4, "msg", "bytes=16 text=\"\\n\\n\\n\\n\\n\\n\\n\\n"
	    "\\n\\n\\n\\n\\n\\n\\n\\n\"");
	expect_rec(&l, 5, "msg",
	    "bytes=40 text=\"aaaaaaaaaaaaaaaaaaaa\"...[cut 20]");
	lines_free(&l);
}

/* The largest message, all of it expanding sixfold, fits the record. */
Test(log, text_cut_largest)
{
	enum { LEN = 100000 };
	char path[PATH_MAX], *text;
	const char *f, *p;
	struct lines l;
	struct rec r;
	size_t i;

	cr_assert_not_null(text = malloc(LEN));
	memset(text, 0x01, LEN);
	open_log(tmp_path(path, sizeof(path), "a.log"), LOG_MAX_MESSAGE_MAX);
	log_text("big", text, LEN, "n=%d", 1);
	log_event("next", NULL);
	free(text);
	lines_read(path, &l);
	cr_assert_eq(l.n, 2, "%zu lines", l.n);
	rec_get(&l, 0, &r);
	f = r.fields;
	cr_assert_eq(strncmp(f, "n=1 bytes=100000 text=\"", 23), 0, "%.40s",
	    f);
	for (i = 0, p = f + 23; i < LOG_MAX_MESSAGE_MAX; i++, p += 6)
		cr_assert_eq(strncmp(p, "\\u0001", 6), 0, "escape %zu", i);
	cr_expect_str_eq(p, "\"...[cut 34464]");
	expect_rec(&l, 1, "next", "");
	lines_free(&l);
}

/* Fields longer than the record's room are cut; the line stays whole. */
Test(log, long_fields_cut)
{
	static const char tail[] = " bytes=3 text=\"abc\"";
	char path[PATH_MAX], z[3000];
	struct lines l;
	struct rec r;
	size_t n;

	memset(z, 'z', sizeof(z) - 1);
	z[sizeof(z) - 1] = '\0';
	open_log(tmp_path(path, sizeof(path), "a.log"), 64);
	log_event("long", "v=%s", z);
	log_text("longtext", "abc", 3, "v=%s", z);
	log_event("next", "ok=1");
	lines_read(path, &l);
	cr_assert_eq(l.n, 3, "%zu lines", l.n);
	rec_get(&l, 0, &r);
	n = strlen(r.fields);
	cr_expect(n > 500 && n < sizeof(z), "fields of %zu bytes", n);
	cr_expect_eq(strspn(r.fields + 2, "z"), n - 2, "not all z");
	/* The text part of a record is kept even when fields are cut. */
	rec_get(&l, 1, &r);
	n = strlen(r.fields);
	cr_expect(n > strlen(tail) && !strcmp(r.fields + n - strlen(tail),
	    tail), "text part lost: \"...%s\"",
	    n > 40 ? r.fields + n - 40 : r.fields);
	expect_rec(&l, 2, "next", "ok=1");
	lines_free(&l);
}

Test(log, warn_and_warnx)
{
	char path[PATH_MAX];
	struct lines l;

	open_log(tmp_path(path, sizeof(path), "a.log"), 64);
	errno = ENOENT;
	log_warn("open %s", "a\nb");
	cr_expect_eq(errno, ENOENT, "errno not kept");
	log_warnx("plain \"q\" %d", 5);
	lines_read(path, &l);
	cr_assert_eq(l.n, 2);
	expect_rec(&l, 0, "error",
	    "msg=\"open a\\nb: No such file or directory\"");
	expect_rec(&l, 1, "error", "msg=\"plain \\\"q\\\" 5\"");
	lines_free(&l);
}

Test(log, open_errors)
{
	char err[PATH_MAX + 128], *longp;

	cr_assert_eq(log_open("/nonexistent-dir/a.log", IDENT, 64, err,
	    sizeof(err)), -1);
	cr_expect_str_eq(err, "/nonexistent-dir/a.log: No such file or "
	    "directory");
	cr_expect_eq(log_fd(), -1);
	cr_assert_not_null(longp = malloc(PATH_MAX + 1));
	memset(longp, 'p', PATH_MAX);
	longp[PATH_MAX] = '\0';
	cr_assert_eq(log_open(longp, IDENT, 64, err, sizeof(err)), -1);
	cr_expect_eq(strcmp(err + strlen(err) - 15, ": path too long"), 0,
	    "%.40s...", err + strlen(err) - 40);
	free(longp);
}

Test(log, append_never_truncate)
{
	static const char old[] = "old line one\nold line two\n";
	char path[PATH_MAX];
	struct lines l;
	struct stat st;
	int fd;

	tmp_path(path, sizeof(path), "a.log");
	cr_assert_neq(fd = open(path, O_WRONLY | O_CREAT, 0600), -1);
	cr_assert_eq(write(fd, old, sizeof(old) - 1), (ssize_t)sizeof(old) - 1);
	close(fd);

	open_log(path, 64);
	cr_expect_neq(fcntl(log_fd(), F_GETFL) & O_APPEND, 0, "no O_APPEND");
	cr_expect_neq(fcntl(log_fd(), F_GETFD) & FD_CLOEXEC, 0,
	    "no close-on-exec");
	log_event("one", NULL);
	/* Another writer appends in between: nothing is overwritten. */
	cr_assert_neq(fd = open(path, O_WRONLY | O_APPEND), -1);
	cr_assert_eq(write(fd, "other\n", 6), 6);
	close(fd);
	log_event("two", NULL);
	/* Opening again appends too. */
	log_close();
	open_log(path, 64);
	log_event("three", NULL);

	lines_read(path, &l);
	cr_assert_eq(l.n, 6, "%zu lines", l.n);
	cr_expect_str_eq(l.line[0], "old line one");
	cr_expect_str_eq(l.line[1], "old line two");
	expect_rec(&l, 2, "one", "");
	cr_expect_str_eq(l.line[3], "other");
	expect_rec(&l, 4, "two", "");
	expect_rec(&l, 5, "three", "");
	lines_free(&l);

	/* A new file is created rw-r-----. */
	tmp_path(path, sizeof(path), "new.log");
	log_close();
	umask(022);
	open_log(path, 64);
	cr_assert_eq(stat(path, &st), 0);
	cr_expect_eq(st.st_mode & 0777, 0640, "mode %o", st.st_mode & 0777);
}

Test(log, reopen_new_path)
{
	char a[PATH_MAX], b[PATH_MAX], err[PATH_MAX + 64];
	struct lines l;

	open_log(tmp_path(a, sizeof(a), "a.log"), 64);
	log_event("one", NULL);
	cr_assert_eq(log_reopen(tmp_path(b, sizeof(b), "b.log"), err,
	    sizeof(err)), 0, "%s", err);
	log_event("two", NULL);
	/* A path that cannot be opened is refused; the log stays put. */
	cr_assert_eq(log_reopen("/nonexistent-dir/c.log", err, sizeof(err)),
	    -1);
	cr_expect_str_eq(err, "/nonexistent-dir/c.log: No such file or "
	    "directory");
	log_event("three", NULL);

	lines_read(a, &l);
	cr_expect_eq(l.n, 1, "old file: %zu lines", l.n);
	expect_rec(&l, 0, "one", "");
	lines_free(&l);
	lines_read(b, &l);
	cr_expect_eq(l.n, 2, "new file: %zu lines", l.n);
	expect_rec(&l, 0, "two", "");
	expect_rec(&l, 1, "three", "");
	lines_free(&l);
}

/* logrotate: rename the file, then reopen the same path. */
Test(log, reopen_after_rename)
{
	char a[PATH_MAX], a1[PATH_MAX], err[PATH_MAX + 64];
	struct lines l;

	open_log(tmp_path(a, sizeof(a), "a.log"), 64);
	log_event("one", NULL);
	cr_assert_eq(rename(a, tmp_path(a1, sizeof(a1), "a.log.1")), 0);
	log_event("two", NULL);
	cr_assert_eq(log_reopen(NULL, err, sizeof(err)), 0, "%s", err);
	log_event("three", NULL);

	lines_read(a1, &l);
	cr_expect_eq(l.n, 2, "rotated file: %zu lines", l.n);
	expect_rec(&l, 0, "one", "");
	expect_rec(&l, 1, "two", "");
	lines_free(&l);
	lines_read(a, &l);
	cr_expect_eq(l.n, 1, "new file: %zu lines", l.n);
	expect_rec(&l, 0, "three", "");
	lines_free(&l);
}

/* A reopen that cannot open the path says so, and the old file goes on. */
Test(log, reopen_failure_is_reported)
{
	char dir[PATH_MAX], a[PATH_MAX + 8], a1[PATH_MAX];
	char err[PATH_MAX + 64] = "";
	struct lines l;

	cr_assert_eq(mkdir(tmp_path(dir, sizeof(dir), "gone"), 0700), 0);
	snprintf(a, sizeof(a), "%s/a.log", dir);
	open_log(a, 64);
	log_event("one", NULL);
	cr_assert_eq(rename(a, tmp_path(a1, sizeof(a1), "a.log.1")), 0);
	cr_assert_eq(rmdir(dir), 0);
	cr_assert_eq(log_reopen(NULL, err, sizeof(err)), -1);
	cr_expect_not_null(strstr(err, "No such file"), "%s", err);
	log_event("two", NULL);

	lines_read(a1, &l);
	cr_expect_eq(l.n, 2, "old file: %zu lines", l.n);
	expect_rec(&l, 1, "two", "");
	lines_free(&l);
}

/* A child forked before the reopen follows it on its next record. */
Test(log, reopen_followed_by_children)
{
	char a[PATH_MAX], b[PATH_MAX], err[PATH_MAX + 64], c;
	int go[2];
	pid_t pid;

	open_log(tmp_path(a, sizeof(a), "a.log"), 64);
	cr_assert_eq(pipe(go), 0);
	cr_assert_neq(pid = fork(), -1);
	if (pid == 0) {
		child_init();
		close(go[1]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		log_event("child_after", NULL);
		_exit(0);
	}
	close(go[0]);
	cr_assert_eq(log_reopen(tmp_path(b, sizeof(b), "b.log"), err,
	    sizeof(err)), 0, "%s", err);
	cr_assert_eq(write(go[1], "g", 1), 1);
	wait_ok(pid);
	close(go[1]);
	log_event("parent_after", NULL);
	expect_lines(a, 0);
	expect_lines(b, 2);
	cr_expect_eq(count_event(b, "child_after"), 1);
	cr_expect_eq(count_event(b, "parent_after"), 1);
}

static size_t
rec_textlen(int id, int seq)
{
	if (seq % 100 == 99)
		return 5000;		/* now and then past PIPE_BUF */
	return ((unsigned)id * 7919u + (unsigned)seq * 104729u) % 1500;
}

static void
child_writer(int id)
{
	char text[5000];
	size_t len;
	int seq;

	memset(text, 'a' + id, sizeof(text));
	for (seq = 0; seq < NREC; seq++) {
		len = rec_textlen(id, seq);
		log_text("rec", text, len, "child=%d seq=%d", id, seq);
	}
}

/*
 * 8 processes forked after log_open() write 2000 records each, of lengths
 * from 0 to 5000 bytes: every record arrives whole, on its own line, and
 * each child's records are all there, in order.
 */
Test(log, concurrent_children)
{
	char path[PATH_MAX];
	pid_t pids[NCHILD];
	int next[NCHILD], id, seq, len, off;
	struct lines l;
	struct rec r;
	size_t i, want;

	open_log(tmp_path(path, sizeof(path), "a.log"), 8192);
	log_event("begin", NULL);
	for (id = 0; id < NCHILD; id++) {
		cr_assert_neq(pids[id] = fork(), -1);
		if (pids[id] == 0) {
			child_init();
			child_writer(id);
			_exit(0);
		}
	}
	for (id = 0; id < NCHILD; id++)
		wait_ok(pids[id]);
	log_event("end", NULL);

	lines_read(path, &l);
	cr_assert_eq(l.n, NCHILD * NREC + 2, "%zu lines, want %d", l.n,
	    NCHILD * NREC + 2);
	expect_rec(&l, 0, "begin", "");
	expect_rec(&l, l.n - 1, "end", "");
	memset(next, 0, sizeof(next));
	for (i = 1; i < l.n - 1; i++) {
		rec_get(&l, i, &r);
		cr_assert_str_eq(r.event, "rec", "line %zu", i + 1);
		off = 0;
		cr_assert_eq(sscanf(r.fields, "child=%d seq=%d bytes=%d "
		    "text=\"%n", &id, &seq, &len, &off), 3, "line %zu: %.80s",
		    i + 1, r.fields);
		cr_assert(off > 0 && id >= 0 && id < NCHILD, "line %zu", i + 1);
		cr_assert_eq(r.pid, (long)pids[id], "line %zu: pid", i + 1);
		cr_assert_eq(seq, next[id], "line %zu: child %d seq %d, want "
		    "%d", i + 1, id, seq, next[id]);
		want = rec_textlen(id, seq);
		cr_assert_eq((size_t)len, want, "line %zu: bytes", i + 1);
		cr_assert_eq(strspn(r.fields + off, (char[]){ 'a' + id, 0 }),
		    want, "line %zu: text interleaved", i + 1);
		cr_assert_str_eq(r.fields + off + want, "\"", "line %zu: tail",
		    i + 1);
		next[id]++;
	}
	for (id = 0; id < NCHILD; id++)
		cr_expect_eq(next[id], NREC, "child %d: %d records", id,
		    next[id]);
	lines_free(&l);
}

/* A holder killed before its write: the lock is recovered, not lost. */
Test(log, holder_killed_in_hook)
{
	char path[PATH_MAX];
	struct lines l;
	uint64_t t0;
	pid_t pid;
	int round;

	open_log(tmp_path(path, sizeof(path), "a.log"), 64);
	log_event("p1", NULL);
	/* Twice: recovery must leave the lock usable for the next death. */
	for (round = 0; round < 2; round++) {
		cr_assert_neq(pid = fork(), -1);
		if (pid == 0) {
			child_init();
			log_set_fault_hook(hook_die);
			log_event("die_here", NULL);
			_exit(0);	/* not reached */
		}
		cr_assert_eq(waitpid(pid, NULL, 0), pid);
		t0 = now_ns();
		log_event("p2", "round=%d", round);
		cr_expect_lt(now_ns() - t0, 2000000000u, "log_event took %llu "
		    "ms after a holder died", (unsigned long long)
		    ((now_ns() - t0) / 1000000));
	}
	cr_assert_neq(pid = fork(), -1);
	if (pid == 0) {
		child_init();
		log_event("b1", NULL);
		_exit(0);
	}
	wait_ok(pid);
	lines_read(path, &l);
	cr_assert_eq(l.n, 4, "%zu lines", l.n);
	expect_rec(&l, 0, "p1", "");
	expect_rec(&l, 1, "p2", "round=0");
	expect_rec(&l, 2, "p2", "round=1");
	cr_expect_not_null(strstr(l.line[3], "] b1"), "%s", l.line[3]);
	lines_free(&l);
	cr_expect_eq(count_event(path, "die_here"), 0);
}

/* A holder killed inside its write: the fragment it left is cut off and
 * the cut said in a record; every line stays a whole record. */
Test(log, holder_killed_mid_write_leaves_no_fragment)
{
	char path[PATH_MAX];
	struct lines l;
	pid_t pid;

	open_log(tmp_path(path, sizeof(path), "a.log"), 64);
	log_event("p1", NULL);
	cr_assert_neq(pid = fork(), -1);
	if (pid == 0) {
		child_init();
		log_set_fault_hook(hook_tear);
		log_event("tear_here", "some=fields of=a record");
		_exit(0);	/* not reached */
	}
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	log_event("p2", NULL);
	lines_read(path, &l);
	cr_assert_eq(l.n, 3, "%zu lines", l.n);
	expect_rec(&l, 0, "p1", "");
	cr_expect_not_null(strstr(l.line[1], " log_repaired dropped_bytes="),
	    "%s", l.line[1]);
	cr_expect_not_null(strstr(l.line[1], " reason=\"a writer died in the "
	    "middle of a record\""), "%s", l.line[1]);
	expect_rec(&l, 2, "p2", "");
	lines_free(&l);
	cr_expect_eq(count_event(path, "tear_here"), 0);
}

/*
 * A holder that never lets go is SIGKILLed while another child is blocked
 * waiting for the lock: the waiter gets it, and so does the parent.
 */
Test(log, holder_killed_while_others_wait)
{
	char path[PATH_MAX], c;
	int hold[2], waiting[2];
	pid_t holder, waiter;

	open_log(tmp_path(path, sizeof(path), "a.log"), 64);
	cr_assert_eq(pipe(hold), 0);
	cr_assert_eq(pipe(waiting), 0);
	cr_assert_neq(holder = fork(), -1);
	if (holder == 0) {
		child_init();
		hold_fd = hold[1];
		log_set_fault_hook(hook_hold);
		log_event("hold_here", NULL);
		_exit(0);	/* not reached */
	}
	cr_assert_eq(read(hold[0], &c, 1), 1, "holder never took the lock");

	cr_assert_neq(waiter = fork(), -1);
	if (waiter == 0) {
		child_init();
		hold_fd = waiting[1];
		/* Its wait hook says it is blocked, then keeps waiting. */
		log_set_wait_hook(wait_signal_blocked);
		log_event("waiter", NULL);
		_exit(0);
	}
	cr_assert_eq(read(waiting[0], &c, 1), 1, "waiter never waited");
	kill_wait(holder);
	wait_ok(waiter);
	log_event("parent", NULL);

	expect_lines(path, 2);
	cr_expect_eq(count_event(path, "waiter"), 1);
	cr_expect_eq(count_event(path, "parent"), 1);
	cr_expect_eq(count_event(path, "hold_here"), 0);
}

/*
 * A supervisor must not block: with the lock held by a stopped process,
 * log_event() returns after one call of a wait hook that gives up; the
 * records wait in memory and log_flush_pending() writes them, in order,
 * once the holder is gone.
 */
Test(log, wait_hook_gives_up_then_flush)
{
	char path[PATH_MAX];
	struct lines l;
	uint64_t t0, dt;
	pid_t holder;

	open_log(tmp_path(path, sizeof(path), "a.log"), 64);
	log_event("before", NULL);
	holder = stopped_holder();
	log_set_wait_hook(wait_give_up);

	t0 = now_ns();
	log_event("pending", "n=%d", 1);
	dt = now_ns() - t0;
	cr_expect_eq(hook_calls, 1, "wait hook called %d times", hook_calls);
	cr_expect_geq(hook_ns[0] - t0, 10000000u, "hook before 10 ms");
	cr_expect_lt(dt, 1000000000u, "log_event blocked %llu ms",
	    (unsigned long long)(dt / 1000000));
	log_text("pending", "two", 3, "n=%d", 2);
	cr_expect_eq(hook_calls, 2);
	/* Still held: flushing gives up too and keeps the records. */
	cr_expect_eq(log_flush_pending(), -1);
	cr_expect_eq(hook_calls, 3);
	expect_lines(path, 1);

	kill_wait(holder);
	cr_expect_eq(log_flush_pending(), 0);
	cr_expect_eq(log_flush_pending(), 0, "nothing left to flush");
	lines_read(path, &l);
	cr_assert_eq(l.n, 3, "%zu lines", l.n);
	expect_rec(&l, 0, "before", "");
	expect_rec(&l, 1, "pending", "n=1");
	expect_rec(&l, 2, "pending", "n=2 bytes=3 text=\"two\"");
	lines_free(&l);
	cr_expect_eq(count_event(path, "stop_here"), 0);
}

/* Pending records go out, first, with the next record that gets the lock. */
Test(log, pending_written_before_next_record)
{
	char path[PATH_MAX];
	struct lines l;
	pid_t holder;

	open_log(tmp_path(path, sizeof(path), "a.log"), 64);
	holder = stopped_holder();
	log_set_wait_hook(wait_give_up);
	log_event("pending", "n=1");
	log_event("pending", "n=2");
	kill_wait(holder);
	log_event("after", NULL);
	lines_read(path, &l);
	cr_assert_eq(l.n, 3, "%zu lines", l.n);
	expect_rec(&l, 0, "pending", "n=1");
	expect_rec(&l, 1, "pending", "n=2");
	expect_rec(&l, 2, "after", "");
	lines_free(&l);
	cr_expect_eq(log_flush_pending(), 0);
	expect_lines(path, 3);
}

/*
 * The wall clock as this test binary sees it: clock_gettime() is ours, so a
 * test can step CLOCK_REALTIME (as NTP or an administrator would) without
 * the privilege to step the real one. The other clocks pass through.
 */
static time_t	realtime_step_s;

int
clock_gettime(clockid_t id, struct timespec *ts)
{
	if (syscall(SYS_clock_gettime, id, ts) == -1)
		return -1;
	if (id == CLOCK_REALTIME)
		ts->tv_sec += realtime_step_s;
	return 0;
}

/* Wait for a stopped holder with the wall clock stepped by step_s: a hook
 * that returns 0 keeps waiting, called after 10 ms, then every 100 ms,
 * whatever the wall clock does. */
static void
wait_with_clock_step(time_t step_s)
{
	char path[PATH_MAX];
	uint64_t t0;
	int i;

	open_log(tmp_path(path, sizeof(path), "a.log"), 64);
	hook_victim = stopped_holder();
	log_set_wait_hook(wait_then_kill);
	alarm(5);	/* a wait stretched by the step fails here */
	realtime_step_s = step_s;
	t0 = now_ns();
	log_event("waited", NULL);
	realtime_step_s = 0;
	cr_expect_eq(hook_calls, 3, "wait hook called %d times", hook_calls);
	cr_expect_geq(hook_ns[0] - t0, 10000000u);
	for (i = 1; i < hook_calls && i < 3; i++)
		cr_expect_geq(hook_ns[i] - hook_ns[i - 1], 99000000u,
		    "call %d after %llu ms", i + 1, (unsigned long long)
		    ((hook_ns[i] - hook_ns[i - 1]) / 1000000));
	cr_assert_eq(waitpid(hook_victim, NULL, 0), hook_victim);
	expect_lines(path, 1);
	cr_expect_eq(count_event(path, "waited"), 1);
}

Test(log, wait_hook_keeps_waiting)
{
	wait_with_clock_step(0);
}

Test(log, lock_wait_ignores_wall_clock_stepped_back)
{
	wait_with_clock_step(3600);
}

Test(log, lock_wait_ignores_wall_clock_stepped_forward)
{
	wait_with_clock_step(-3600);
}

/* A reopen asked while the lock is busy is done by the flush. */
Test(log, reopen_while_busy_done_by_flush)
{
	char a[PATH_MAX], b[PATH_MAX], err[PATH_MAX + 64];
	pid_t holder;

	open_log(tmp_path(a, sizeof(a), "a.log"), 64);
	holder = stopped_holder();
	log_set_wait_hook(wait_give_up);
	cr_assert_eq(log_reopen(tmp_path(b, sizeof(b), "b.log"), err,
	    sizeof(err)), 0, "%s", err);
	log_event("pending", NULL);
	kill_wait(holder);
	cr_expect_eq(log_flush_pending(), 0);
	log_event("after", NULL);
	expect_lines(a, 0);
	expect_lines(b, 2);
	cr_expect_eq(count_event(b, "pending"), 1);
	cr_expect_eq(count_event(b, "after"), 1);
}

/*
 * Regression (shared/log.c, log_emit): a reopen asked while the lock is busy is
 * done only by log_flush_pending(). If the next record gets the lock first,
 * log_emit() writes the pending records and itself to the OLD file (and
 * leaves the reopen pending), though log_reopen() had returned 0.
 */
Test(log, reopen_while_busy_then_event)
{
	char a[PATH_MAX], b[PATH_MAX], err[PATH_MAX + 64];
	pid_t holder;

	open_log(tmp_path(a, sizeof(a), "a.log"), 64);
	holder = stopped_holder();
	log_set_wait_hook(wait_give_up);
	cr_assert_eq(log_reopen(tmp_path(b, sizeof(b), "b.log"), err,
	    sizeof(err)), 0, "%s", err);
	kill_wait(holder);
	log_event("after_reopen", NULL);
	cr_expect_eq(count_event(a, "after_reopen"), 0, "a record logged "
	    "after log_reopen() returned 0 went to the old file");
	cr_expect_eq(count_event(b, "after_reopen"), 1, "the new file "
	    "did not get the record logged after log_reopen()");
}

/*
 * Regression (shared/log.c): the pending records are per-process memory that
 * fork() copies. A record the parent kept pending when it forked is written
 * by the child's next record AND by the parent's flush: twice. The master
 * (whose wait hook gives up) forks workers while a worker may hold the lock.
 */
Test(log, pending_not_duplicated_by_fork)
{
	char path[PATH_MAX];
	pid_t holder, child;
	size_t n;

	open_log(tmp_path(path, sizeof(path), "a.log"), 64);
	holder = stopped_holder();
	log_set_wait_hook(wait_give_up);
	log_event("before_fork", NULL);
	cr_assert_eq(hook_calls, 1);
	cr_assert_neq(child = fork(), -1);
	if (child == 0) {
		child_init();
		log_set_wait_hook(NULL);
		log_event("child", NULL);
		_exit(0);
	}
	kill_wait(holder);
	wait_ok(child);
	cr_expect_eq(log_flush_pending(), 0);
	cr_expect_eq(count_event(path, "child"), 1);
	n = count_event(path, "before_fork");
	cr_expect_eq(n, 1, "a record pending at fork() was written %zu "
	    "times", n);
}

/*
 * Log records of about 390 kB (64 KiB of bytes that escape sixfold) while
 * the lock is held. log.c keeps at most 4 MiB pending (LOG_PENDING_MAX), so
 * 16 of them overflow it: the first ones are kept, the rest counted and
 * reported by a log_resumed record written before the kept ones.
 */
#define NBIG	16

static void
log_big_while_held(const char *path, struct lines *l)
{
	char *text;
	pid_t holder;
	int i;

	cr_assert_not_null(text = malloc(LOG_MAX_MESSAGE_MAX));
	memset(text, 0x01, LOG_MAX_MESSAGE_MAX);
	open_log(path, LOG_MAX_MESSAGE_MAX);
	holder = stopped_holder();
	log_set_wait_hook(wait_give_up);
	for (i = 0; i < NBIG; i++)
		log_text("big", text, LOG_MAX_MESSAGE_MAX, "i=%02d", i);
	free(text);
	cr_expect_eq(hook_calls, NBIG);
	kill_wait(holder);
	log_event("after", NULL);
	lines_read(path, l);
}

Test(log, pending_overflow_counts_lost)
{
	char path[PATH_MAX], want[48];
	struct lines l;
	struct rec r;
	size_t i, kept;
	int lost = -1, n;

	log_big_while_held(tmp_path(path, sizeof(path), "a.log"), &l);
	cr_assert_geq(l.n, 3, "%zu lines", l.n);
	rec_get(&l, 0, &r);
	cr_assert_str_eq(r.event, "log_resumed", "no loss reported first");
	cr_assert_eq(sscanf(r.fields, "lost=%d reason=\"%n", &lost, &n), 1,
	    "%s", r.fields);
	kept = l.n - 2;
	cr_expect(kept >= 1 && kept < NBIG, "kept %zu of %d", kept, NBIG);
	cr_expect_eq(lost, NBIG - (int)kept, "lost=%d but %zu of %d kept",
	    lost, kept, NBIG);
	for (i = 0; i < kept; i++) {
		rec_get(&l, i + 1, &r);
		snprintf(want, sizeof(want), "i=%02zu bytes=65536 ", i);
		cr_expect_str_eq(r.event, "big");
		cr_expect_eq(strncmp(r.fields, want, strlen(want)), 0,
		    "line %zu: %.20s", i + 2, r.fields);
	}
	expect_rec(&l, l.n - 1, "after", "");
	lines_free(&l);
}

/*
 * Regression (shared/log.c, log_write_locked): records dropped because the
 * pending buffer was full are reported with reason="Success": nothing sets
 * lost_errno for them, so strerror(0) is logged.
 */
Test(log, pending_overflow_reason)
{
	char path[PATH_MAX];
	struct lines l;
	struct rec r;

	log_big_while_held(tmp_path(path, sizeof(path), "a.log"), &l);
	rec_get(&l, 0, &r);
	cr_assert_str_eq(r.event, "log_resumed");
	cr_expect_null(strstr(r.fields, "reason=\"Success\""), "loss "
	    "reported as: %s", r.fields);
	lines_free(&l);
}

/* The file "full" from now on (a soft RLIMIT_FSIZE at its size), or not. */
static void
disk_full(const char *path, int full)
{
	struct rlimit rl;
	struct stat st;

	signal(SIGXFSZ, SIG_IGN);	/* write(2) fails with EFBIG */
	cr_assert_eq(getrlimit(RLIMIT_FSIZE, &rl), 0);
	cr_assert_eq(stat(path, &st), 0);
	rl.rlim_cur = full ? (rlim_t)st.st_size : rl.rlim_max;
	cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
}

/* A child logs one record into the full file: fork() does not pass
 * log_set_keep_failed() on, so it is lost. Returns the child's status. */
static int
fork_child_logging_lost(void)
{
	pid_t pid;
	int st;

	cr_assert_neq(pid = fork(), -1);
	if (pid == 0) {
		child_init();
		log_event("child_lost", NULL);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* log_resumed counts the records lost, not the writes that failed: a
 * batch of five refused in one write is five records lost. */
Test(log, full_disk_counts_records_not_writes)
{
	char path[PATH_MAX];
	struct lines l;
	int i;

	open_log(tmp_path(path, sizeof(path), "a.log"), 64);
	log_event("before", NULL);
	disk_full(path, 1);
	log_set_batch(1);
	for (i = 0; i < 5; i++)
		log_event("batched", "i=%d", i);
	log_flush();
	log_event("alone", NULL);
	log_set_batch(0);
	disk_full(path, 0);
	log_event("after", NULL);
	lines_read(path, &l);
	cr_assert_eq(l.n, 3, "%zu lines", l.n);
	expect_rec(&l, 0, "before", "");
	expect_rec(&l, 1, "log_resumed", "lost=6 reason=\"File too large\"");
	expect_rec(&l, 2, "after", "");
	lines_free(&l);
}

/* With log_set_keep_failed(1), refused records are kept and written once
 * the file takes them again, in order, before the next record; a process
 * without it (another worker) still counts its own as lost. */
Test(log, full_disk_keeps_records_when_asked)
{
	char path[PATH_MAX];
	struct lines l;

	open_log(tmp_path(path, sizeof(path), "a.log"), 64);
	log_set_keep_failed(1);
	log_event("before", NULL);
	disk_full(path, 1);
	log_event("kept", "n=1");
	log_event("kept", "n=2");
	/* Still full: flushing keeps them. */
	cr_assert_eq(log_flush_pending(), 0);
	cr_assert_eq(fork_child_logging_lost(), 0);
	disk_full(path, 0);
	cr_assert_eq(log_flush_pending(), 0);
	log_event("after", NULL);
	lines_read(path, &l);
	cr_assert_eq(l.n, 5, "%zu lines", l.n);
	expect_rec(&l, 0, "before", "");
	expect_rec(&l, 1, "log_resumed", "lost=1 reason=\"File too large\"");
	expect_rec(&l, 2, "kept", "n=1");
	expect_rec(&l, 3, "kept", "n=2");
	expect_rec(&l, 4, "after", "");
	lines_free(&l);
}
