/*
 * test_client.c -- sockbin against the real daemon: every command, its log,
 * its errors and exit statuses. Each run gets HOME in the test's directory,
 * so the client's log and token file land there. Ports 21900-21999,
 * 24350-24399.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

static char	home[64];	/* HOME for runs outside a test directory */

static void
client_fini(void)
{
	char cmd[96];

	h_cleanup();
	if (home[0] != '\0') {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", home);
		(void)system(cmd);
	}
}

TestSuite(client, .fini = client_fini, .timeout = 60);

#define PASSWORD	"a good long password"

/* Run "sockbin ARGS" through sh with HOME=dir (a fresh one when NULL),
 * stdin from input (a printf format: "\\n" is a newline) if given; stdout
 * and stderr into out; the exit status. */
static int
run_in(const char *dir, const char *input, const char *args, char *out,
    size_t outlen)
{
	const char *bin = getenv("SOCKBIN_BIN");
	char cmd[4096];
	FILE *fp;
	size_t n;
	int status;

	cr_assert_not_null(bin, "SOCKBIN_BIN is not set");
	if (dir == NULL) {
		if (home[0] == '\0') {
			strcpy(home, "/tmp/sockbin-home.XXXXXX");
			cr_assert_not_null(mkdtemp(home));
		}
		dir = home;
	}
	snprintf(cmd, sizeof(cmd), "%s%s%s HOME='%s' %s %s 2>&1 </dev/null",
	    input ? "printf '" : "", input ? input : "",
	    input ? "' | " : "", dir, bin, args);
	if (input != NULL)	/* the pipe, not /dev/null, is stdin */
		cmd[strlen(cmd) - strlen(" </dev/null")] = '\0';
	fp = popen(cmd, "r");
	cr_assert_not_null(fp);
	n = fread(out, 1, outlen - 1, fp);
	out[n] = '\0';
	status = pclose(fp);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int
run_client(const char *args, char *out, size_t outlen)
{
	return run_in(NULL, NULL, args, out, outlen);
}

static const char *const session[] = { "server.service=session", NULL };

Test(client, echo_through_a_port_range)
{
	struct h_daemon d;
	char out[256];

	h_start(&d, 21903, 21909, NULL);
	/* The range starts below the daemon's port: sockbin finds it. */
	cr_assert_eq(run_client("-H 127.0.0.1 -p 21900-21909 echo "
	    "'Титов Юрий'", out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "Титов Юрий\n");
	cr_assert_eq(h_log_wait(d.log, "text=\"Титов Юрий\\n\"", 2,
	    H_WAIT_MS), 0);
	/* Text of several lines comes back whole from a raw echo. */
	cr_assert_eq(run_client("-p 21903-21909 echo 'one\ntwo'", out,
	    sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "one\ntwo\n");
}

Test(client, no_server_is_one_line_and_status_3)
{
	char out[256], log[PATH_MAX];

	cr_assert_eq(run_client("-p 21990-21992 echo hello", out,
	    sizeof(out)), 3);
	cr_assert_str_eq(out, "sockbin: no server on 127.0.0.1 ports "
	    "21990-21992: Connection refused\n");
	/* Text after the command is text, even when it starts with '-'. */
	cr_assert_eq(run_client("-p 21990-21992 echo '-p 5 degrees'", out,
	    sizeof(out)), 3, "%s", out);
	cr_assert_eq(run_client("-p 21990-21992 echo -- -5", out,
	    sizeof(out)), 3, "%s", out);
	/* The client's own log has the attempt too. */
	snprintf(log, sizeof(log), "%s/.sockbin.log", home);
	cr_assert_eq(h_log_wait(log, "connect_failed host=127.0.0.1 "
	    "ports=21990-21992 reason=\"Connection refused\"", 1, H_WAIT_MS),
	    0);
}

Test(client, stopped_server_is_status_3)
{
	struct h_daemon d;
	char out[256];
	int status;

	h_start(&d, 21920, 21920, NULL);
	h_signal(&d, SIGTERM);
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	cr_assert_eq(run_client("-p 21920 echo hello", out, sizeof(out)), 3);
	cr_assert_str_eq(out, "sockbin: no server on 127.0.0.1 port "
	    "21920: Connection refused\n");
}

Test(client, usage_and_config_errors_are_status_2)
{
	char out[512], path[64];
	FILE *fp;

	cr_assert_eq(run_client("-p 0-70000 echo hello", out, sizeof(out)),
	    2);
	cr_assert(strstr(out, "not a port") != NULL, "%s", out);
	cr_assert_eq(run_client("frobnicate", out, sizeof(out)), 2);
	cr_assert(strstr(out, "unknown command 'frobnicate'") != NULL, "%s",
	    out);
	snprintf(path, sizeof(path), "/tmp/sockbin-cfg.%d", (int)getpid());
	fp = fopen(path, "w");
	fprintf(fp, "[client]\ninterval = soon\n");
	fclose(fp);
	snprintf(out, sizeof(out), "-c %s send", path);
	cr_assert_eq(run_client(out, out, sizeof(out)), 2);
	cr_assert(strstr(out, "[client] interval: 'soon' is not a whole "
	    "number") != NULL, "%s", out);
	unlink(path);
	cr_assert_eq(run_client("-c /nonexistent/sockbin.ini echo x", out,
	    sizeof(out)), 2);
	cr_assert_str_eq(out, "sockbin: /nonexistent/sockbin.ini: No such "
	    "file or directory\n");
	/* Told before any server is tried (none listens on 21990). */
	cr_assert_eq(run_client("-p 21990 echo", out, sizeof(out)), 2);
	cr_assert_str_eq(out, "sockbin: usage: sockbin echo TEXT\n");
	cr_assert_eq(run_client("-p 21990 pingpong x", out, sizeof(out)), 2);
	cr_assert_str_eq(out, "sockbin: usage: sockbin pingpong FILE "
	    "ROUNDS\n");
	cr_assert_eq(run_client("-p 21990 echo \"$(head -c 5000 /dev/zero | "
	    "tr '\\0' x)\"", out, sizeof(out)), 2);
	cr_assert_str_eq(out, "sockbin: echo: TEXT is 5000 bytes, at most "
	    "4096\n");
}

Test(client, echo_and_mirror_in_session)
{
	const char *const over[] = { "server.service=session",
	    "mirror.keep_case=true", NULL };
	struct h_daemon d;
	char out[256];

	h_start(&d, 21910, 21919, over);
	cr_assert_eq(run_client("-p 21910-21919 echo 'framed hello'", out,
	    sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "framed hello\n");
	cr_assert_eq(run_client("-p 21910-21919 mirror 'Титов Юрий "
	    "Павлович'", out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "Чиволвап Йирю Вотит\n");
	cr_assert_eq(h_log_wait(d.log, "text=\"ECHO framed hello\"", 1,
	    H_WAIT_MS), 0);
}

Test(client, mirror_raw)
{
	const char *const over[] = { "server.service=mirror",
	    "mirror.signature=!", NULL };
	struct h_daemon d;
	char out[256];

	h_start(&d, 21930, 21939, over);
	cr_assert_eq(run_client("-p 21930-21939 mirror 'Привет, мир'", out,
	    sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "рим ,тевирП!\n");
	/* A raw mirror answers each line. */
	cr_assert_eq(run_client("-p 21930-21939 mirror 'ab\ncd'", out,
	    sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "ba!\ndc!\n");
	/* The raw server's ERR line is a refusal: stderr, status 1. */
	cr_assert_eq(run_client("-p 21930-21939 mirror "
	    "\"$(printf 'a\\377b')\"", out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, ": ERR invalid UTF-8 at byte 1\n") != NULL, "%s",
	    out);
}

Test(client, status_shows_the_scoreboard)
{
	struct h_daemon d;
	char out[4096];

	h_start(&d, 21940, 21949, session);
	/* Logged once the master has the worker in its table. */
	cr_assert_eq(h_log_wait(d.log, " worker_start ", 3, H_WAIT_MS), 0);
	cr_assert_eq(run_client("-p 21940-21949 status", out, sizeof(out)), 0,
	    "%s", out);
	cr_assert(strncmp(out, "uptime=", 7) == 0, "%s", out);
	cr_assert(strstr(out, "workers=3 busy=1 idle=2\n") != NULL, "%s", out);
	cr_assert(strstr(out, "state=busy") != NULL, "%s", out);
}

Test(client, wrong_service_is_status_2)
{
	static const char range[] = "sockbin: no server for pingpong on "
	    "127.0.0.1 ports 21950-21959 (pingpong needs the pingpong "
	    "service): ";
	struct h_daemon d;
	char out[512], args[64], expect[512];

	h_start(&d, 21950, 21959, session);
	snprintf(args, sizeof(args), "-p %d pingpong /tmp/x 1", d.port);
	cr_assert_eq(run_client(args, out, sizeof(out)), 2);
	snprintf(expect, sizeof(expect), "sockbin: pingpong: the server at "
	    "127.0.0.1:%d runs the session service; pingpong needs the "
	    "pingpong service\n", d.port);
	cr_assert_str_eq(out, expect);
	/* Over a range, every port's reason. */
	cr_assert_eq(run_client("-p 21950-21959 pingpong /tmp/x 1", out,
	    sizeof(out)), 2);
	cr_assert(strncmp(out, range, strlen(range)) == 0, "%s", out);
	snprintf(expect, sizeof(expect), " %d runs the session service",
	    d.port);
	cr_assert(strstr(out, expect) != NULL, "%s", out);
	cr_assert(strstr(out, "Connection refused") != NULL, "%s", out);
}

static void
write_file(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	cr_assert_not_null(fp, "%s", path);
	fputs(text, fp);
	fclose(fp);
}

static void
write_file_in(const char *dir, const char *name, const char *text)
{
	char path[PATH_MAX + 64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	write_file(path, text);
}

static void
upload_case(const char *service, int port)
{
	const char *const over[] = { service, "upload.dir=%D/up", NULL };
	struct h_daemon d;
	char out[512], args[PATH_MAX + 64], file[PATH_MAX + 16], *stored;

	h_start(&d, port, port + 9, over);
	snprintf(file, sizeof(file), "%s/notes.txt", d.dir);
	write_file(file, "line one\nline two\n");
	snprintf(args, sizeof(args), "-p %d-%d upload %s", port, port + 9,
	    file);
	cr_assert_eq(run_client(args, out, sizeof(out)), 0, "%s", out);
	/* Piped: no progress bar, just the verdict. */
	cr_assert(strstr(out, ": 18 bytes, SHA-256 e9024f1a07d29d52ad3aa5e1a1"
	    "8e94db1f3a9fd32b89e39d47c472cd99071e13 verified\n") != NULL,
	    "%s", out);
	cr_assert(strchr(out, '\r') == NULL, "a progress bar in a pipe");
	cr_assert(strncmp(out, "stored as ", 10) == 0, "%s", out);
	if (strstr(service, "session") != NULL) {
		snprintf(file, sizeof(file), "%s/up/notes.txt", d.dir);
		stored = h_slurp(file, NULL);
		cr_assert_not_null(stored);
		cr_assert_str_eq(stored, "line one\nline two\n");
		free(stored);
	}
}

Test(client, upload_session)
{
	upload_case("server.service=session", 21960);
}

Test(client, upload_raw)
{
	upload_case("server.service=upload", 21970);
}

/* sockbin sends 64 KiB frames; a server with a smaller max_frame refuses
 * the first (ERR 413), and the client sends again in frames it takes. */
Test(client, upload_to_a_small_max_frame)
{
	const char *const over[] = { "server.service=session",
	    "limits.max_frame=4096",
	    "upload.dir=%D/up", NULL };
	struct h_daemon d;
	char out[1024], args[PATH_MAX + 64], file[PATH_MAX + 16], *stored;
	size_t i, len = 300000;
	FILE *fp;

	h_start(&d, 22680, 22689, over);
	/* A space in the name, too: the request would be malformed. */
	snprintf(file, sizeof(file), "%s/big notes.txt", d.dir);
	cr_assert_not_null(fp = fopen(file, "w"));
	for (i = 0; i < len; i++)
		fputc("0123456789abcdef\n"[i % 17], fp);
	fclose(fp);
	snprintf(args, sizeof(args), "-p 22680-22689 upload '%s'", file);
	cr_assert_eq(run_client(args, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "takes frames of at most 4096 bytes") != NULL,
	    "%s", out);
	cr_assert(strstr(out, "stored as big_notes.txt: 300000 bytes") != NULL,
	    "%s", out);
	/* The client's log counts the data, not its placeholder. */
	snprintf(file, sizeof(file), "%s/.sockbin.log", home);
	cr_assert_eq(h_log_wait(file, "bytes=300000 text=\"[file data]\"", 1,
	    H_WAIT_MS), 0);
	cr_assert_eq(h_log_wait(d.log, "ERR 413 frame of 65536 bytes exceeds "
	    "max_frame 4096", 1, H_WAIT_MS), 0);
	snprintf(file, sizeof(file), "%s/up/big_notes.txt", d.dir);
	stored = h_slurp(file, &i);
	cr_assert_not_null(stored);
	cr_assert_eq(i, len);
	free(stored);
}

/* A raw upload over max_size: the server says why and drains, so the
 * client reports the server's reason (exit 1), not a reset. */
Test(client, raw_upload_too_large_is_refused_with_reason)
{
	const char *const over[] = { "server.service=upload",
	    "upload.dir=%D/up", "upload.max_size=1000", NULL };
	struct h_daemon d;
	char out[1024], args[PATH_MAX + 64], file[PATH_MAX + 16];
	size_t i;
	FILE *fp;

	h_start(&d, 22730, 22739, over);
	snprintf(file, sizeof(file), "%s/big.bin", d.dir);
	cr_assert_not_null(fp = fopen(file, "w"));
	for (i = 0; i < 3000000; i++)
		fputc((int)(i * 7 % 251), fp);
	fclose(fp);
	snprintf(args, sizeof(args), "-p 22730-22739 upload %s", file);
	cr_assert_eq(run_client(args, out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "ERR too large") != NULL, "%s", out);
}

/* The client never writes through a symbolic link where the exchange file
 * should be (the server refuses one too). */
Test(client, pingpong_refuses_a_symlink)
{
	const char *const over[] = { "server.service=pingpong",
	    "pingpong.file=%D/pp.txt", NULL };
	struct h_daemon d;
	char out[512], args[PATH_MAX + 64], link[PATH_MAX], victim[PATH_MAX];
	char *text;

	h_start(&d, 22740, 22749, over);
	snprintf(victim, sizeof(victim), "%s/victim.txt", d.dir);
	snprintf(link, sizeof(link), "%s/pp.txt", d.dir);
	write_file(victim, "precious\n");
	cr_assert_eq(symlink(victim, link), 0);
	snprintf(args, sizeof(args), "-p 22740-22749 pingpong %s 1", link);
	cr_assert_eq(run_client(args, out, sizeof(out)), 2, "%s", out);
	cr_assert(strstr(out, "is a symbolic link: refused") != NULL, "%s",
	    out);
	text = h_slurp(victim, NULL);
	cr_assert_str_eq(text, "precious\n");
	free(text);
}

Test(client, pingpong_rounds)
{
	const char *const over[] = { "server.service=pingpong",
	    "pingpong.file=%D/exchange", NULL };
	struct h_daemon d;
	char out[1024], args[PATH_MAX + 64];

	h_start(&d, 21980, 21989, over);
	snprintf(args, sizeof(args), "-p 21980-21989 pingpong %s/exchange 3",
	    d.dir);
	cr_assert_eq(run_in(d.dir, NULL, args, out, sizeof(out)), 0, "%s",
	    out);
	cr_assert(strstr(out, "round 3: wrote 'ping 3 hello from sockbin', got "
	    "_code3g, the file says 'pong'\n") != NULL, "%s", out);
	cr_assert_eq(h_log_wait(d.log, "pingpong_read", 3, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, "pingpong_read"), 3);
	/* Not the server's file: _code3g comes, but never a pong here. */
	snprintf(args, sizeof(args), "-p 21980-21989 pingpong %s/other 1",
	    d.dir);
	cr_assert_eq(run_in(d.dir, NULL, args, out, sizeof(out)), 1, "%s",
	    out);
	cr_assert(strstr(out, "/other does not say 'pong'") != NULL, "%s", out);
}

Test(client, ident_raw_then_known)
{
	const char *const over[] = { "server.service=ident", NULL };
	struct h_daemon d;
	char out[512];

	h_start(&d, 21995, 21999, over);
	cr_assert_eq(run_in(d.dir, "Ivan\\n", "-p 21995-21999 ident", out,
	    sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "Hello, 127.0.0.1! What is your name?\n"
	    "Nice to meet you, Ivan!\n");
	cr_assert_eq(run_in(d.dir, NULL, "-p 21995-21999 ident", out,
	    sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "Hello again, Ivan!\n");
}

Test(client, accounts_with_token_file)
{
	struct h_daemon d;
	char out[512], token[PATH_MAX + 32];
	struct stat st;

	h_start(&d, 21925, 21929, session);
	cr_assert_eq(run_in(d.dir, PASSWORD "\\n", "-p 21925-21929 "
	    "--password-stdin register kate", out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "registered kate\n");
	cr_assert_eq(run_in(d.dir, "wrong password\\n", "-p 21925-21929 "
	    "--password-stdin login kate", out, sizeof(out)), 1, "%s", out);
	cr_assert(strstr(out, "ERR 430 wrong user name or password") != NULL,
	    "%s", out);
	cr_assert_eq(run_in(d.dir, PASSWORD "\\n", "-p 21925-21929 "
	    "--password-stdin login kate", out, sizeof(out)), 0, "%s", out);
	cr_assert(strncmp(out, "logged in as kate; token kept in ", 33) == 0,
	    "%s", out);
	snprintf(token, sizeof(token), "%s/.sockbin-token", d.dir);
	cr_assert_eq(stat(token, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);

	/* A new run resumes with the file, and logout revokes it. */
	cr_assert_eq(run_in(d.dir, NULL, "-p 21925-21929 resume", out,
	    sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "logged in as kate\n");
	cr_assert_eq(run_in(d.dir, NULL, "-p 21925-21929 logout", out,
	    sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "logged out kate\n");
	cr_assert_eq(access(token, F_OK), -1, "token file left behind");
	cr_assert_eq(run_in(d.dir, NULL, "-p 21925-21929 resume", out,
	    sizeof(out)), 2, "%s", out);

	/* No secret in the client's log. */
	snprintf(token, sizeof(token), "%s/.sockbin.log", d.dir);
	cr_assert_gt(h_log_count(token, "LOGIN kate [secret]"), 0);
	cr_assert_eq(h_log_count(token, PASSWORD), 0);
	cr_assert_eq(h_log_count(token, "OK token [secret] expires"), 1);
	cr_assert_eq(h_log_count(d.log, PASSWORD), 0);
}

Test(client, chat_session_and_raw)
{
	const char *const echo[] = { "server.service=echo", NULL };
	const char *const auth[] = { "server.service=auth", NULL };
	struct h_daemon s, e, a;
	char out[1024], log[PATH_MAX + 16];

	h_start(&s, 21941, 21949, session);
	cr_assert_eq(run_client("-p 21941-21949 chat", out, sizeof(out)), 0);
	cr_assert_eq(run_in(s.dir, "ECHO one\\nwhoami\\nLGOIN kate "
	    "typo-secret-one\\nQUIT\\n", "-p 21941-21949 chat", out,
	    sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "OK one\nERR 432 not logged in\n"
	    "ERR 401 unknown verb LGOIN\nOK\n");
	h_start(&e, 21951, 21959, echo);
	cr_assert_eq(run_in(e.dir, "first\\nsecond\\n", "-p 21951-21959 chat",
	    out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "first\nsecond\n");

	/* A mistyped verb's arguments reach neither log, framed or in
	 * lines (the auth service). */
	h_start(&a, 23490, 23499, auth);
	cr_assert_eq(run_in(a.dir, "LGOIN kate typo-secret-two\\nQUIT\\n",
	    "-p 23490-23499 chat", out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "ERR 401 unknown verb LGOIN\nOK\n");
	snprintf(log, sizeof(log), "%s/.sockbin.log", s.dir);
	cr_assert_eq(h_log_count(log, "typo-secret"), 0);
	cr_assert_eq(h_log_count(log, "text=\"LGOIN [secret]\""), 1);
	snprintf(log, sizeof(log), "%s/.sockbin.log", a.dir);
	cr_assert_eq(h_log_count(log, "typo-secret"), 0);
	cr_assert_eq(h_log_count(log, "text=\"LGOIN [secret]\""), 1);
	cr_assert_eq(h_log_wait(a.log, " disconnect ", 1, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(a.log, "typo-secret"), 0);
	cr_assert_eq(h_log_wait(s.log, " disconnect ", 2, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(s.log, "typo-secret"), 0);
}

/* The records of one kind in the client's log. */
static int
count_in(const char *path, const char *needle)
{
	return h_log_count(path, needle);
}

/* A local file that will not do stops the client before it connects; an
 * error once connected still logs the disconnect. */
Test(client, local_errors_keep_the_log_whole)
{
	struct h_daemon d;
	char out[1024], log[PATH_MAX + 16], expect[PATH_MAX + 64];

	h_start(&d, 21921, 21924, session);
	snprintf(log, sizeof(log), "%s/.sockbin.log", d.dir);
	cr_assert_eq(run_in(d.dir, NULL, "-p 21921-21924 upload "
	    "/nonexistent/notes.txt", out, sizeof(out)), 2, "%s", out);
	cr_assert_str_eq(out, "sockbin: /nonexistent/notes.txt: No such file "
	    "or directory\n");
	cr_assert_eq(count_in(log, " connect "), 0);
	/* No token file: said without connecting. */
	cr_assert_eq(run_in(d.dir, NULL, "-p 21921-21924 resume", out,
	    sizeof(out)), 2, "%s", out);
	snprintf(expect, sizeof(expect), "sockbin: no token in "
	    "%s/.sockbin-token: log in first\n", d.dir);
	cr_assert_str_eq(out, expect);
	cr_assert_eq(run_in(d.dir, NULL, "-p 21921-21924 logout", out,
	    sizeof(out)), 2, "%s", out);
	cr_assert_str_eq(out, expect);
	cr_assert_eq(count_in(log, " connect "), 0);
	/* An error once connected still logs the disconnect. */
	cr_assert_eq(run_in(d.dir, "\\n", "-p 21921-21924 login kim "
	    "--password-stdin", out, sizeof(out)), 1, "%s", out);
	cr_assert_eq(count_in(log, " connect "), 1);
	cr_assert_eq(count_in(log, " disconnect "), 1);
}

Test(client, periodic_send_and_its_log)
{
	const char *const over[] = { "server.service=mirror", NULL };
	struct h_daemon d;
	char cfg[PATH_MAX + 16], log[PATH_MAX + 16], text[PATH_MAX + 256];
	char out[2048], args[PATH_MAX + 32];
	int lines, bad;

	h_start(&d, 21960 + 5, 21969, over);
	snprintf(cfg, sizeof(cfg), "%s/sockbin.ini", d.dir);
	snprintf(log, sizeof(log), "%s/client.log", d.dir);
	snprintf(text, sizeof(text), "[server]\nhost = 127.0.0.1\nport = "
	    "21965-21969\n[client]\nmessage = Иванов Иван М3О-101\ninterval = "
	    "1\nduration = 3\nlog = %s\n", log);
	write_file(cfg, text);
	snprintf(args, sizeof(args), "-c %s send", cfg);
	cr_assert_eq(run_client(args, out, sizeof(out)), 0, "%s", out);
	cr_assert(strstr(out, "sockbin: 3 messages sent\n") != NULL, "%s",
	    out);
	cr_assert(strstr(out, " 101-О3М навИ вонавИ\n") != NULL, "%s", out);
	/* The client's own log: connect, 3 x send and recv, disconnect. */
	cr_assert_eq(count_in(log, " connect server=127.0.0.1:2196"), 1);
	cr_assert_eq(count_in(log, " send server="), 3);
	cr_assert_eq(count_in(log, " recv server="), 3);
	cr_assert_eq(count_in(log, "text=\"Иванов Иван М3О-101\""), 3);
	cr_assert_eq(count_in(log, " disconnect server="), 1);
	cr_assert_eq(count_in(log, "reason=\"done\""), 1);
	bad = h_log_bad_lines_ident(log, "sockbin", &lines);
	cr_assert_eq(bad, 0);
	cr_assert_eq(lines, 8);
}

Test(client, periodic_send_ended_by_the_server)
{
	const char *const over[] = { "server.service=session",
	    "limits.session_timeout=1", NULL };
	struct h_daemon d;
	char out[2048];

	h_start(&d, 21931, 21939, over);
	/* Ended before its duration: lost (4). */
	cr_assert_eq(run_in(d.dir, NULL, "-p 21931-21939 send", out,
	    sizeof(out)), 4, "%s", out);
	cr_assert(strstr(out, "sockbin: the server ended the session: ERR 408 "
	    "timeout: session time is up\n") != NULL, "%s", out);
	/* Said once, not also as a reply. */
	cr_assert_null(strstr(strstr(out, "ERR 408") + 1, "ERR 408"), "%s",
	    out);
}

/* The same from a raw server: its last line is in the client's log too. */
Test(client, periodic_send_ended_by_a_raw_server)
{
	const char *const over[] = { "server.service=mirror",
	    "limits.session_timeout=1", NULL };
	struct h_daemon d;
	char out[2048], log[PATH_MAX];

	h_start(&d, 22780, 22789, over);
	cr_assert_eq(run_in(d.dir, NULL, "-p 22780-22789 send", out,
	    sizeof(out)), 4, "%s", out);
	cr_assert(strstr(out, "ERR timeout: session timeout") != NULL, "%s",
	    out);
	snprintf(log, sizeof(log), "%s/.sockbin.log", d.dir);
	cr_assert_eq(h_log_wait(log, " recv server=127.0.0.1:", 2, H_WAIT_MS),
	    0);
	cr_assert_eq(h_log_wait(log, "text=\"ERR timeout: session timeout\"",
	    1, H_WAIT_MS), 0);
}

/* A command that takes no free text takes options after it, as docker
 * login does; a TEXT command takes every word after it as its text. */
Test(client, options_after_the_command)
{
	struct h_daemon d;
	char out[1024], args[128];

	h_start(&d, 24350, 24354, session);
	snprintf(args, sizeof(args), "-p %d register lena --password-stdin",
	    d.port);
	cr_assert_eq(run_in(d.dir, PASSWORD "\\n", args, out, sizeof(out)), 0,
	    "%s", out);
	cr_assert_str_eq(out, "registered lena\n");
	snprintf(args, sizeof(args), "login lena --password-stdin -p %d",
	    d.port);
	cr_assert_eq(run_in(d.dir, PASSWORD "\\n", args, out, sizeof(out)), 0,
	    "%s", out);
	cr_assert(strncmp(out, "logged in as lena; ", 19) == 0, "%s", out);
	snprintf(args, sizeof(args), "resume -p %d", d.port);
	cr_assert_eq(run_in(d.dir, NULL, args, out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "logged in as lena\n");
	/* After "--", a word is an argument, whatever it looks like. */
	snprintf(args, sizeof(args), "register -p %d --password-stdin -- "
	    "--lena", d.port);
	cr_assert_eq(run_in(d.dir, PASSWORD "\\n", args, out, sizeof(out)), 0,
	    "%s", out);
	cr_assert_str_eq(out, "registered --lena\n");
	/* Words of a TEXT command are text, '-' or not, joined by spaces. */
	snprintf(args, sizeof(args), "-p %d echo a b  c", d.port);
	cr_assert_eq(run_client(args, out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "a b c\n");
	snprintf(args, sizeof(args), "-p %d echo -p 5 --password-stdin",
	    d.port);
	cr_assert_eq(run_client(args, out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "-p 5 --password-stdin\n");
	snprintf(args, sizeof(args), "-p %d echo -- -5 degrees", d.port);
	cr_assert_eq(run_client(args, out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "-5 degrees\n");
	cr_assert_eq(h_log_wait(d.log, "text=\"ECHO a b c\"", 1, H_WAIT_MS),
	    0);
}

/* getopt's own messages are off: every line says "sockbin:". */
Test(client, option_errors_in_its_own_words)
{
	static const struct {
		const char	*args, *said;
	} cases[] = {
		{ "-x echo hi", "unknown option '-x' (sockbin -h lists them)" },
		{ "--bogus echo hi", "unknown option '--bogus' (sockbin -h "
		    "lists them)" },
		{ "status --bogus", "unknown option '--bogus' (sockbin -h "
		    "lists them)" },
		{ "status -p", "option -p needs a value" },
		{ "", "no command given (sockbin -h lists them)" },
		{ "--service ech echo hi", "--service: unknown service 'ech' "
		    "(known: session echo mirror pingpong upload ident auth)" },
		{ "-s echo mirror hi", "mirror: the server runs the echo "
		    "service (--service); mirror needs the session or mirror "
		    "service" },
	};
	char out[512], expect[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cr_assert_eq(run_client(cases[i].args, out, sizeof(out)), 2,
		    "%s: %s", cases[i].args, out);
		snprintf(expect, sizeof(expect), "sockbin: %s\n",
		    cases[i].said);
		cr_assert_str_eq(out, expect);
	}
}

/* Hosts as the daemon prints them, and as people type them. */
Test(client, ipv6_literals_and_host_port)
{
	const char *const over[] = { "server.service=echo",
	    "server.listen=*", NULL };
	static const char *const hosts[] = { "'[::1]'", "::1", "localhost",
	    "127.0.0.1" };
	struct h_daemon d;
	char out[512], args[128];
	size_t i;

	h_start(&d, 24355, 24359, over);
	for (i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		snprintf(args, sizeof(args), "-H %s -p %d echo hi", hosts[i],
		    d.port);
		cr_assert_eq(run_client(args, out, sizeof(out)), 0, "%s: %s",
		    args, out);
		cr_assert_str_eq(out, "hi\n");
		snprintf(args, sizeof(args), "-H %s%s%s:%d echo hi",
		    hosts[i][0] == ':' ? "[" : "", hosts[i],
		    hosts[i][0] == ':' ? "]" : "", d.port);
		if (hosts[i][0] == '\'')	/* '[::1]' -> '[::1]':PORT */
			snprintf(args, sizeof(args), "-H '[::1]:%d' echo hi",
			    d.port);
		cr_assert_eq(run_client(args, out, sizeof(out)), 0, "%s: %s",
		    args, out);
		cr_assert_str_eq(out, "hi\n");
	}
	snprintf(args, sizeof(args), "-H 127.0.0.1:%d -p %d echo hi", d.port,
	    d.port);
	cr_assert_eq(run_client(args, out, sizeof(out)), 2);
	snprintf(args, sizeof(args), "sockbin: -H 127.0.0.1:%d gives a port, "
	    "and so does -p\n", d.port);
	cr_assert_str_eq(out, args);
	cr_assert_eq(run_client("-H '[::1' echo hi", out, sizeof(out)), 2);
	cr_assert_str_eq(out, "sockbin: -H '[::1': no ']' after the "
	    "address\n");
	cr_assert_eq(run_client("-H 127.0.0.1:99999 echo hi", out,
	    sizeof(out)), 2);
	cr_assert_str_eq(out, "sockbin: -H: '99999' is not a port (1-65535) "
	    "or a range MIN-MAX\n");
}

/* Against the wrong raw service each command says so in words, names the
 * service, and exits 2: nothing passes for a reply. */
Test(client, wrong_raw_service_named)
{
	const char *const echo[] = { "server.service=echo", NULL };
	const char *const mirror[] = { "server.service=mirror",
	    "mirror.signature=!", NULL };
	static const struct {
		const char	*args, *said;
	} echo_cases[] = {
		{ "mirror abc", "mirror: the server at 127.0.0.1:%d runs the "
		    "echo service (it sent the text back unchanged); mirror "
		    "needs the session or mirror service\n" },
		{ "upload %s/notes.txt", "upload: the server at 127.0.0.1:%d "
		    "runs the echo service (it sent the text back unchanged); "
		    "upload needs the session or upload service\n" },
		{ "pingpong %s/exchange 1", "pingpong: the server at "
		    "127.0.0.1:%d runs the echo service (it sent the text back "
		    "unchanged); pingpong needs the pingpong service\n" },
	};
	struct h_daemon e, m;
	char out[1024], args[PATH_MAX + 64], fmt[256], expect[512];
	size_t i;

	h_start(&e, 24360, 24364, echo);
	write_file_in(e.dir, "notes.txt", "first line\nsecond\n");
	write_file_in(e.dir, "exchange", "");
	for (i = 0; i < sizeof(echo_cases) / sizeof(echo_cases[0]); i++) {
		snprintf(fmt, sizeof(fmt), "-p %d %s", e.port,
		    echo_cases[i].args);
		snprintf(args, sizeof(args), fmt, e.dir);
		cr_assert_eq(run_in(e.dir, NULL, args, out, sizeof(out)), 2,
		    "%s: %s", args, out);
		snprintf(fmt, sizeof(fmt), "sockbin: %s", echo_cases[i].said);
		snprintf(expect, sizeof(expect), fmt, e.port);
		cr_assert_str_eq(out, expect);
	}
	/* A palindrome cannot tell an echo from a mirror: taken. */
	snprintf(args, sizeof(args), "-p %d mirror abba", e.port);
	cr_assert_eq(run_client(args, out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "abba\n");
	h_start(&m, 24365, 24369, mirror);
	snprintf(args, sizeof(args), "-p %d echo hello", m.port);
	cr_assert_eq(run_client(args, out, sizeof(out)), 2, "%s", out);
	snprintf(expect, sizeof(expect), "sockbin: echo: the server at "
	    "127.0.0.1:%d runs the mirror service (it sent the text back "
	    "reversed); echo needs the session or echo service\n", m.port);
	cr_assert_str_eq(out, expect);
}

/* A session server and a pingpong server on one range, as a lab runs
 * them: each command finds its own, saying what it passed over. */
Test(client, port_range_passes_over_other_services)
{
	const char *const echo[] = { "server.service=echo", NULL };
	struct h_daemon s, p, e;
	char out[1024], args[PATH_MAX + 64], over[PATH_MAX + 32], expect[256];
	const char *pp[] = { "server.service=pingpong", over, NULL };

	h_start(&s, 24370, 24370, session);
	snprintf(over, sizeof(over), "pingpong.file=%s/exchange", s.dir);
	write_file_in(s.dir, "exchange", "");
	h_start(&e, 24371, 24371, echo);
	h_start(&p, 24372, 24372, pp);
	snprintf(args, sizeof(args), "-p 24370-24374 pingpong %s/exchange 1",
	    s.dir);
	cr_assert_eq(run_in(s.dir, NULL, args, out, sizeof(out)), 0, "%s",
	    out);
	cr_assert(strstr(out, "sockbin: 127.0.0.1 port 24370 runs the session "
	    "service: skipped\nsockbin: 127.0.0.1 port 24371 runs the echo "
	    "service (it sent the text back unchanged): skipped\n") != NULL,
	    "%s", out);
	cr_assert(strstr(out, "got _code3g, the file says 'pong'") != NULL,
	    "%s", out);
	/* mirror: the session server at the first port does it. */
	cr_assert_eq(run_client("-p 24370-24374 mirror abc", out, sizeof(out)),
	    0, "%s", out);
	cr_assert_str_eq(out, "cba\n");
	/* ident: nobody; every port's reason, status 2. */
	cr_assert_eq(run_in(s.dir, NULL, "-p 24371-24374 ident", out,
	    sizeof(out)), 2, "%s", out);
	snprintf(expect, sizeof(expect), "sockbin: no server for ident on "
	    "127.0.0.1 ports 24371-24374 (ident needs the session or ident "
	    "service): 24371-24372 runs the echo, mirror, pingpong or upload "
	    "service; 24373-24374 Connection refused\n");
	cr_assert_str_eq(out, expect);
	/* send: a pingpong server answers its first message in its words. */
	cr_assert_eq(run_in(s.dir, NULL, "-p 24372-24374 send", out,
	    sizeof(out)), 2, "%s", out);
	cr_assert_str_eq(out, "sockbin: no server for send on 127.0.0.1 ports "
	    "24372-24374 (send needs the session, echo or mirror service): "
	    "24372 runs the pingpong service (it asked for _code1g); "
	    "24373-24374 Connection refused\n");
}

/* Milliseconds from the last connect to the send after it in a client's
 * log: how long the client waited for a greeting. */
static long
greeting_wait_ms(const char *log)
{
	char *text = h_slurp(log, NULL), *connect, *send, *p;
	long at[2];
	int i, h, m, sec, ms;

	cr_assert_not_null(text, "%s", log);
	for (connect = NULL, p = text; (p = strstr(p, " connect ")) != NULL;
	    p++)
		connect = p;
	cr_assert_not_null(connect, "no connect in %s", log);
	send = strstr(connect, " send ");
	cr_assert_not_null(send, "no send after the connect in %s", log);
	/* Each record starts "2026-12-03T02:09:54.601+00:00 sockbin[...". */
	for (i = 0; i < 2; i++) {
		for (p = i ? send : connect; p > text && p[-1] != '\n'; p--)
			;
		cr_assert_eq(sscanf(p + 11, "%d:%d:%d.%d", &h, &m, &sec, &ms),
		    4, "%.40s", p);
		at[i] = ((h * 60L + m) * 60 + sec) * 1000 + ms;
	}
	free(text);
	/* Across midnight, the day turned between the two. */
	return at[1] >= at[0] ? at[1] - at[0] : at[1] + 86400000 - at[0];
}

/* The configuration or --service says what the server runs: no 0.3 s wait
 * for a greeting that a raw server never sends, between the connect and
 * the first send in the client's log; without them, that wait. */
Test(client, known_service_is_not_sniffed)
{
	const char *const echo[] = { "server.service=echo", NULL };
	struct h_daemon d, s;
	char out[256], args[PATH_MAX + 64], cfg[PATH_MAX + 16], text[256];
	char log[PATH_MAX + 16];

	h_start(&d, 24375, 24379, echo);
	snprintf(log, sizeof(log), "%s/.sockbin.log", d.dir);
	snprintf(cfg, sizeof(cfg), "%s/sockbin.ini", d.dir);
	snprintf(text, sizeof(text), "[server]\nport = %d\nservice = echo\n",
	    d.port);
	write_file(cfg, text);
	snprintf(args, sizeof(args), "-c %s echo fast", cfg);
	cr_assert_eq(run_in(d.dir, NULL, args, out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "fast\n");
	cr_assert_lt(greeting_wait_ms(log), 300);
	snprintf(args, sizeof(args), "--service echo -p %d echo fast", d.port);
	cr_assert_eq(run_in(d.dir, NULL, args, out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "fast\n");
	cr_assert_lt(greeting_wait_ms(log), 300);
	snprintf(args, sizeof(args), "-p %d echo sniffed", d.port);
	cr_assert_eq(run_in(d.dir, NULL, args, out, sizeof(out)), 0, "%s", out);
	cr_assert_geq(greeting_wait_ms(log), 300);
	/* A greeting service named: its greeting is waited for as a reply. */
	h_start(&s, 24376, 24379, session);
	snprintf(args, sizeof(args), "--service session -p %d echo framed",
	    s.port);
	cr_assert_eq(run_client(args, out, sizeof(out)), 0, "%s", out);
	cr_assert_str_eq(out, "framed\n");
}
