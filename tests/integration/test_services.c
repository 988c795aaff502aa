/*
 * test_services.c -- the lab services against the real daemon: mirror and
 * the multiprocess/iterative contrast, pingpong, upload, the session
 * protocol and its time limits. Port ranges 22500-22799.
 */
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>

#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"

TestSuite(services, .fini = h_cleanup, .timeout = 60);

/* sha256("line one\nline two\n"), and a checksum nothing has. */
#define SHA_TWO_LINES	\
	"e9024f1a07d29d52ad3aa5e1a18e94db1f3a9fd32b89e39d47c472cd99071e13"
#define SHA_ZEROS	\
	"0000000000000000000000000000000000000000000000000000000000000000"

/* Read exactly the bytes of want, within a bound, and compare. */
static void
expect_line(int fd, const char *want)
{
	char buf[256];
	ssize_t n = h_recv_exact(fd, buf, strlen(want), 3 * H_WAIT_MS);

	buf[n > 0 ? n : 0] = '\0';
	cr_assert_str_eq(buf, want);
}

/* --- mirror ----------------------------------------------------------- */

#define MIRROR_SIG	". Сервер написан Титов Ю.П. М3О-3ХХБ-ХХ"

Test(services, mirror_keeps_case_and_signs)
{
	const char *const over[] = { "server.service=mirror",
	    "mirror.keep_case=true", "mirror.signature=" MIRROR_SIG, NULL };
	const char *expect = "Чиволвап Йирю Вотит" MIRROR_SIG "\n";
	const char *msg = "Титов Юрий Павлович\r\n";
	struct h_daemon d;
	char buf[256];
	int fd;

	h_start(&d, 22500, 22509, over);
	fd = h_connect(d.port);
	cr_assert_eq(h_send(fd, msg, strlen(msg)), 0);
	cr_assert_eq(h_recv_exact(fd, buf, strlen(expect), H_WAIT_MS),
	    (ssize_t)strlen(expect));
	buf[strlen(expect)] = '\0';
	cr_assert_str_eq(buf, expect);
	close(fd);
}

/* The simulated work is not the client's idleness: a delay longer than
 * idle_timeout still ends in the reply, and the idle clock starts after it. */
Test(services, mirror_delay_longer_than_idle_timeout)
{
	const char *const over[] = { "server.service=mirror",
	    "limits.idle_timeout=1", "mirror.delay_ms=1500", NULL };
	struct h_daemon d;
	char buf[64];
	int fd;

	h_start(&d, 22700, 22709, over);
	fd = h_connect(d.port);
	cr_assert_eq(h_send(fd, "abc\n", 4), 0);
	cr_assert_eq(h_recv_exact(fd, buf, 4, 3 * H_WAIT_MS), 4);
	cr_assert(memcmp(buf, "cba", 3) == 0, "%.4s", buf);
	close(fd);
	cr_assert_eq(h_log_count(d.log, "idle timeout"), 0);
}

/* Five clients at once; returns after all five got their reply. */
static void
five_mirror_clients(int port)
{
	char msg[32], want[32], buf[32];
	int fd[5], i;

	for (i = 0; i < 5; i++) {
		fd[i] = h_connect(port);
		cr_assert_geq(fd[i], 0);
		snprintf(msg, sizeof(msg), "client%d\n", i);
		cr_assert_eq(h_send(fd[i], msg, strlen(msg)), 0);
	}
	for (i = 0; i < 5; i++) {
		snprintf(want, sizeof(want), "%dtneilc\n", i);
		cr_assert_eq(h_recv_exact(fd[i], buf, strlen(want),
		    3 * H_WAIT_MS), (ssize_t)strlen(want), "client %d", i);
		cr_assert(memcmp(buf, want, strlen(want)) == 0);
		close(fd[i]);
	}
}

/* The order of recv and sent records in the log: "rrrrrsssss" for a pool
 * that works on all five at once, "rsrsrsrsrs" for an iterative server. */
static void
record_order(const char *log, char *order, size_t size)
{
	char *text = h_slurp(log, NULL), *line, *save = NULL;
	size_t n = 0;

	for (line = strtok_r(text, "\n", &save); line && n + 1 < size;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strstr(line, " recv client=") != NULL)
			order[n++] = 'r';
		else if (strstr(line, " sent client=") != NULL)
			order[n++] = 's';
	}
	order[n] = '\0';
	free(text);
}

Test(services, mirror_pool_overlaps_five_clients)
{
	const char *const over[] = { "server.service=mirror",
	    "mirror.delay_ms=500", "pool.start=5", NULL };
	struct h_daemon d;
	char order[64];

	h_start(&d, 22510, 22519, over);
	cr_assert_eq(h_wait_workers(d.pid, 5, H_WAIT_MS), 0);
	five_mirror_clients(d.port);
	cr_assert_eq(h_log_wait(d.log, " sent client=", 5, H_WAIT_MS), 0);
	record_order(d.log, order, sizeof(order));
	cr_assert_str_eq(order, "rrrrrsssss",
	    "five workers should work at once");
}

Test(services, mirror_one_worker_serves_in_turn)
{
	const char *const over[] = { "server.service=mirror",
	    "mirror.delay_ms=300", "pool.start=1", "pool.max_workers=1",
	    NULL };
	struct h_daemon d;
	char order[64];

	h_start(&d, 22520, 22529, over);
	five_mirror_clients(d.port);
	cr_assert_eq(h_log_wait(d.log, " sent client=", 5, H_WAIT_MS), 0);
	record_order(d.log, order, sizeof(order));
	cr_assert_str_eq(order, "rsrsrsrsrs",
	    "an iterative server answers one client after the other");
}

Test(services, mirror_invalid_utf8_and_timeout)
{
	const char *const over[] = { "server.service=mirror",
	    "limits.idle_timeout=1", NULL };
	const char *err = "ERR invalid UTF-8 at byte 2\n";
	struct h_daemon d;
	char buf[128];
	int fd, n;

	h_start(&d, 22530, 22539, over);
	fd = h_connect(d.port);
	cr_assert_eq(h_send(fd, "ab\xff\xfe\n", 5), 0);
	cr_assert_eq(h_recv_exact(fd, buf, strlen(err), H_WAIT_MS),
	    (ssize_t)strlen(err));
	cr_assert(memcmp(buf, err, strlen(err)) == 0);
	/* Still open: a good line is answered. */
	cr_assert_eq(h_send(fd, "ok\n", 3), 0);
	cr_assert_eq(h_recv_exact(fd, buf, 3, H_WAIT_MS), 3);
	cr_assert(memcmp(buf, "ko\n", 3) == 0);
	/* Then silence: told why, then closed. */
	n = h_recv_exact(fd, buf, sizeof(buf) - 1, H_WAIT_MS);
	buf[n > 0 ? n : 0] = '\0';
	cr_assert_str_eq(buf, "ERR timeout: idle timeout\n");
	cr_assert_eq(h_log_wait(d.log, "reason=\"idle timeout\"", 1,
	    H_WAIT_MS), 0);
	close(fd);
}

/* The session limit runs out while a reply waits its delay_ms: the client
 * is still told why it is cut off. */
Test(services, mirror_says_timeout_during_delay)
{
	const char *const over[] = { "server.service=mirror",
	    "mirror.delay_ms=5000", "limits.session_timeout=1", NULL };
	struct h_daemon d;
	char buf[8];
	int fd;

	h_start(&d, 22660, 22669, over);
	fd = h_connect(d.port);
	cr_assert_eq(h_send(fd, "slow work\n", 10), 0);
	expect_line(fd, "ERR timeout: session timeout\n");
	cr_assert_eq(h_recv_exact(fd, buf, 1, H_WAIT_MS), 0, "not closed");
	close(fd);
	/* Logged as sent, like every reply. */
	cr_assert_eq(h_log_wait(d.log, " sent client=", 1, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, "text=\"ERR timeout: session "
	    "timeout\\n\""), 1);
}

/* --- pingpong --------------------------------------------------------- */

static void
write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	cr_assert_geq(fd, 0, "%s", path);
	cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
pingpong_rounds(int port, const char *file, int bytewise)
{
	char data[64], buf[8], *text;
	int fd, round, i;

	fd = h_connect(port);
	cr_assert_geq(fd, 0);
	for (round = 0; round < 50; round++) {
		snprintf(data, sizeof(data), "ping %d", round);
		/* The client holds the file while it writes, then releases
		 * it; the code words travel together or byte by byte. */
		write_file(file, data);
		if (bytewise) {
			for (i = 0; i < 14; i++)
				cr_assert_eq(h_send(fd, &"_code1g_code2g"[i],
				    1), 0);
		} else
			cr_assert_eq(h_send(fd, "_code1g_code2g", 14), 0);
		cr_assert_eq(h_recv_exact(fd, buf, 7, H_WAIT_MS), 7,
		    "round %d", round);
		cr_assert(memcmp(buf, "_code3g", 7) == 0, "round %d", round);
		text = h_slurp(file, NULL);
		cr_assert_str_eq(text, "pong");
		free(text);
	}
	close(fd);
}

Test(services, pingpong_fifty_rounds_coalesced_and_bytewise)
{
	const char *const over[] = { "server.service=pingpong",
	    "pingpong.file=%D/exchange", NULL };
	struct h_daemon d;
	char file[PATH_MAX + 32];

	h_start(&d, 22540, 22549, over);
	snprintf(file, sizeof(file), "%s/exchange", d.dir);
	pingpong_rounds(d.port, file, 0);
	pingpong_rounds(d.port, file, 1);
	cr_assert_eq(h_log_wait(d.log, "pingpong_read", 100, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, "pingpong_read"), 100);
	cr_assert_eq(h_log_count(d.log, "text=\"ping 49\""), 2);
}

Test(services, pingpong_errors_keep_the_connection)
{
	const char *const over[] = { "server.service=pingpong",
	    "pingpong.file=/nonexistent/dir/exchange", NULL };
	const char *early = "ERR _code2g before _code1g\n";
	const char *junk = "ERR unexpected input: expected _code1g or "
	    "_code2g\n";
	struct h_daemon d;
	char buf[256];
	int fd, n;

	h_start(&d, 22550, 22559, over);
	fd = h_connect(d.port);
	cr_assert_eq(h_send(fd, "_code2g", 7), 0);
	cr_assert_eq(h_recv_exact(fd, buf, strlen(early), H_WAIT_MS),
	    (ssize_t)strlen(early));
	cr_assert(memcmp(buf, early, strlen(early)) == 0);
	cr_assert_eq(h_send(fd, "hello\n", 6), 0);
	cr_assert_eq(h_recv_exact(fd, buf, strlen(junk), H_WAIT_MS),
	    (ssize_t)strlen(junk));
	cr_assert(memcmp(buf, junk, strlen(junk)) == 0);
	/* A file the server cannot open: an error line, not a dead worker. */
	cr_assert_eq(h_send(fd, "_code1g _code2g", 15), 0);
	n = h_recv_exact(fd, buf, 47, H_WAIT_MS);
	buf[n] = '\0';
	cr_assert_str_eq(buf, "ERR cannot open the exchange file: No such "
	    "file");
	cr_assert_eq(h_log_count(d.log, "worker_exit"), 0);
	close(fd);
}

/* A run of junk gets one reply, however many words it has; the exchange
 * file is never reached through a symbolic link; a lock held elsewhere is
 * waited for at most idle_timeout, and the worker goes on. */
Test(services, pingpong_junk_symlink_and_stuck_lock)
{
	const char *const over[] = { "server.service=pingpong",
	    "pingpong.file=%D/exchange", "limits.idle_timeout=1", NULL };
	const char *junk = "ERR unexpected input: expected _code1g or "
	    "_code2g\n";
	char file[PATH_MAX + 32], target[PATH_MAX + 32], *text, big[4000];
	struct h_daemon d;
	int fd, lockfd, i;

	h_start(&d, 22640, 22649, over);
	snprintf(file, sizeof(file), "%s/exchange", d.dir);
	snprintf(target, sizeof(target), "%s/precious", d.dir);
	fd = h_connect(d.port);
	for (i = 0; i < (int)sizeof(big); i += 2)
		memcpy(big + i, i % 40 ? "a " : "_x", 2);
	cr_assert_eq(h_send(fd, big, sizeof(big)), 0);
	cr_assert_eq(h_send(fd, "_code2g", 7), 0);
	expect_line(fd, junk);
	expect_line(fd, "ERR _code2g before _code1g\n");

	write_file(target, "keep me");
	cr_assert_eq(symlink(target, file), 0);
	cr_assert_eq(h_send(fd, "_code1g_code2g", 14), 0);
	expect_line(fd, "ERR cannot open the exchange file: it is a symbolic "
	    "link\n");
	text = h_slurp(target, NULL);
	cr_assert_str_eq(text, "keep me");
	free(text);

	cr_assert_eq(unlink(file), 0);
	write_file(file, "ping");
	lockfd = open(file, O_RDONLY);
	cr_assert_eq(flock(lockfd, LOCK_EX), 0);
	cr_assert_eq(h_send(fd, "_code1g_code2g", 14), 0);
	expect_line(fd, "ERR the exchange file is still locked by another "
	    "process after 1 s\n");
	close(lockfd);
	cr_assert_eq(h_send(fd, "_code1g_code2g", 14), 0);
	expect_line(fd, "_code3g");
	close(fd);
	cr_assert_eq(h_log_count(d.log, "pingpong: client"), 1);
	cr_assert_eq(h_log_count(d.log, "worker_exit"), 0);
}

/* --- upload ----------------------------------------------------------- */

static int
count_files(const char *dir, const char *prefix)
{
	struct dirent *de;
	DIR *dp = opendir(dir);
	int n = 0;

	if (dp == NULL)
		return -1;
	while ((de = readdir(dp)) != NULL)
		n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
	closedir(dp);
	return n;
}

Test(services, upload_raw_stores_exact_bytes)
{
	const char *const over[] = { "server.service=upload",
	    "upload.dir=%D/up", NULL };
	struct h_daemon d;
	char reply[256], name[128], sha[80], path[PATH_MAX * 2], *stored;
	unsigned long long size;
	size_t len;
	int fd, n;

	h_start(&d, 22560, 22569, over);
	fd = h_connect(d.port);
	cr_assert_eq(h_send(fd, "line one\nline two\n", 18), 0);
	cr_assert_eq(shutdown(fd, SHUT_WR), 0);
	n = h_recv_exact(fd, reply, sizeof(reply) - 1, H_WAIT_MS);
	reply[n > 0 ? n : 0] = '\0';
	cr_assert_eq(sscanf(reply, "OK %127s %llu %79s", name, &size, sha), 3,
	    "%s", reply);
	cr_assert_eq(size, 18);
	cr_assert_str_eq(sha, SHA_TWO_LINES);
	snprintf(path, sizeof(path), "%s/up/%s", d.dir, name);
	stored = h_slurp(path, &len);
	cr_assert_not_null(stored, "%s", path);
	cr_assert_eq(len, 18);
	cr_assert(memcmp(stored, "line one\nline two\n", 18) == 0);
	free(stored);
	snprintf(path, sizeof(path), "%s/up", d.dir);
	cr_assert_eq(count_files(path, ".upload-"), 0);
	close(fd);
}

Test(services, upload_raw_over_max_size_keeps_nothing)
{
	const char *const over[] = { "server.service=upload",
	    "upload.dir=%D/up", "upload.max_size=1000", NULL };
	struct h_daemon d;
	char big[4096], reply[256], path[PATH_MAX + 8];
	int fd, n;

	h_start(&d, 22570, 22579, over);
	memset(big, 'x', sizeof(big));
	fd = h_connect(d.port);
	/* The server may close before it reads everything: ignore EPIPE. */
	(void)h_send(fd, big, sizeof(big));
	shutdown(fd, SHUT_WR);
	n = h_recv_exact(fd, reply, sizeof(reply) - 1, H_WAIT_MS);
	reply[n > 0 ? n : 0] = '\0';
	cr_assert(strncmp(reply, "ERR too large", 13) == 0, "%s", reply);
	cr_assert_eq(h_log_wait(d.log, " disconnect ", 1, H_WAIT_MS), 0);
	/* The refusal has its record, and the disconnect says why. */
	cr_assert_eq(h_log_count(d.log, " max_size=1000 result=too_large"), 1);
	cr_assert_eq(h_log_count(d.log, "reason=\"upload too large\""), 1);
	snprintf(path, sizeof(path), "%s/up", d.dir);
	cr_assert_eq(count_files(path, "upload-"), 0);
	cr_assert_eq(count_files(path, ".upload-"), 0);
	close(fd);
}

/* A connect and close stores nothing, and says so (in the log too). */
Test(services, upload_raw_empty_stores_nothing)
{
	const char *const over[] = { "server.service=upload",
	    "upload.dir=%D/up", NULL };
	struct h_daemon d;
	char path[PATH_MAX + 8];
	int fd;

	h_start(&d, 22670, 22679, over);
	fd = h_connect(d.port);
	cr_assert_eq(shutdown(fd, SHUT_WR), 0);
	expect_line(fd, "ERR empty upload: nothing stored\n");
	close(fd);
	cr_assert_eq(h_log_wait(d.log, " disconnect ", 1, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, "text=\"ERR empty upload: nothing "
	    "stored\\n\""), 1);
	snprintf(path, sizeof(path), "%s/up", d.dir);
	cr_assert_eq(count_files(path, ""), 2, "files in %s", path);
}

/* The worker with a file open under dir, or 0. */
static pid_t
worker_writing_in(pid_t master, const char *dir)
{
	char fddir[64], link[PATH_MAX * 2], target[PATH_MAX * 2];
	struct dirent *de;
	pid_t pids[64], found = 0;
	ssize_t n;
	DIR *dp;
	int i, count = h_workers(master, pids, 64);

	for (i = 0; i < count && found == 0; i++) {
		snprintf(fddir, sizeof(fddir), "/proc/%d/fd", (int)pids[i]);
		if ((dp = opendir(fddir)) == NULL)
			continue;
		while (found == 0 && (de = readdir(dp)) != NULL) {
			snprintf(link, sizeof(link), "%s/%s", fddir,
			    de->d_name);
			n = readlink(link, target, sizeof(target) - 1);
			target[n > 0 ? n : 0] = '\0';
			if (strncmp(target, dir, strlen(dir)) == 0 &&
			    target[strlen(dir)] == '/')
				found = pids[i];
		}
		closedir(dp);
	}
	return found;
}

/* A worker killed in the middle of an upload leaves no file behind. */
Test(services, upload_killed_mid_way_leaves_nothing)
{
	const char *const over[] = { "server.service=upload",
	    "upload.dir=%D/up", NULL };
	struct h_daemon d;
	char path[PATH_MAX + 8];
	pid_t victim = 0;
	long t0;
	int fd;

	h_start(&d, 22650, 22659, over);
	snprintf(path, sizeof(path), "%s/up", d.dir);
	fd = h_connect(d.port);
	cr_assert_eq(h_send(fd, "half of a file", 14), 0);
	t0 = h_now_ms();
	while ((victim = worker_writing_in(d.pid, path)) == 0 &&
	    h_now_ms() - t0 < H_WAIT_MS)
		h_pause_ms(10);
	cr_assert_neq(victim, 0, "no worker has a file open in %s", path);
	cr_assert_eq(kill(victim, SIGKILL), 0);
	cr_assert_eq(h_log_wait(d.log, "signal=KILL", 1, H_WAIT_MS), 0);
	cr_assert_eq(count_files(path, ""), 2, "files left in %s", path);
	close(fd);
}

/* --- session ---------------------------------------------------------- */

Test(services, session_verbs_and_errors)
{
	const char *const over[] = { "server.service=session",
	    "mirror.delay_ms=10", "server.status_clients=true", NULL };
	struct h_daemon d;
	char buf[4096], want[128];
	int fd;

	h_start(&d, 22580, 22589, over);
	/* STATUS below counts the workers the master has in its table. */
	cr_assert_eq(h_log_wait(d.log, " worker_start ", 3, H_WAIT_MS), 0);
	fd = h_session_connect(NULL, d.port, H_WAIT_MS);
	h_session_expect(fd, "ECHO hello, world", "OK hello, world", H_WAIT_MS);
	h_session_expect(fd, "echo ", "OK ", H_WAIT_MS);
	h_session_expect(fd, "MIRROR Привет, мир", "OK рим ,тевирП", H_WAIT_MS);
	h_session_expect(fd, "HELP",
	    "OK ECHO MIRROR STATUS UPLOAD IDENTIFY REGISTER "
	    "LOGIN RESUME LOGOUT WHOAMI HELP QUIT", H_WAIT_MS);
	h_session_expect(fd, "", "ERR 400 empty request", H_WAIT_MS);
	h_session_expect(fd, "GOPHER x", "ERR 401 unknown verb GOPHER",
	    H_WAIT_MS);
	h_session_expect(fd, "ECHO", "ERR 402 missing argument: ECHO text",
	    H_WAIT_MS);
	h_frame_send(fd, "ECHO a\xff", 7);
	cr_assert_geq(h_frame_recv(fd, buf, sizeof(buf), H_WAIT_MS), 0);
	cr_assert_str_eq(buf, "ERR 403 invalid UTF-8 at byte 6");
	h_frame_send(fd, "ECHO a\0b", 8);
	cr_assert_geq(h_frame_recv(fd, buf, sizeof(buf), H_WAIT_MS), 0);
	cr_assert_str_eq(buf, "ERR 403 NUL byte at byte 6");
	/* After every error the connection still works. */
	h_session_expect(fd, "ECHO still here", "OK still here", H_WAIT_MS);

	h_frame_send_text(fd, "STATUS");
	cr_assert_geq(h_frame_recv(fd, buf, sizeof(buf), H_WAIT_MS), 0);
	cr_assert(strncmp(buf, "OK uptime=", 10) == 0, "%s", buf);
	cr_assert(strstr(buf, "service=session stress=off workers=3 busy=1 "
	    "idle=2") !=
	    NULL, "%s", buf);
	snprintf(want, sizeof(want), "state=busy requests=0 "
	    "client=127.0.0.1:%d", h_local_port(fd));
	cr_assert(strstr(buf, want) != NULL, "%s", buf);

	h_session_expect(fd, "QUIT", "OK", H_WAIT_MS);
	cr_assert_eq(h_frame_recv(fd, buf, sizeof(buf), H_WAIT_MS), -1,
	    "not closed after QUIT");
	close(fd);
	cr_assert_eq(h_log_wait(d.log, "reason=\"quit\"", 1, H_WAIT_MS), 0);
}

/* By default STATUS shows the counts and each worker's state, and the
 * address of no client: any client may ask for it. */
Test(services, session_status_hides_clients_by_default)
{
	const char *const over[] = { "server.service=session", NULL };
	struct h_daemon d;
	char buf[4096];
	int a, b;

	h_start(&d, 23460, 23469, over);
	a = h_session_connect(NULL, d.port, H_WAIT_MS);
	b = h_session_connect(NULL, d.port, H_WAIT_MS);
	h_session_expect(b, "ECHO b", "OK b", H_WAIT_MS);
	h_frame_send_text(a, "STATUS");
	cr_assert_geq(h_frame_recv(a, buf, sizeof(buf), H_WAIT_MS), 0);
	cr_assert(strstr(buf, " busy=2 ") != NULL, "%s", buf);
	cr_assert(strstr(buf, "state=busy requests=0") != NULL, "%s", buf);
	cr_assert_null(strstr(buf, "client="), "%s", buf);
	cr_assert_null(strstr(buf, "127.0.0.1"), "%s", buf);
	close(a);
	close(b);
}

Test(services, session_oversized_frame_closes_only_that_client)
{
	const char *const over[] = { "server.service=session",
	    "limits.max_frame=64", NULL };
	struct h_daemon d;
	char buf[256];
	uint32_t be = htonl(65);
	int a, b;

	h_start(&d, 22590, 22599, over);
	a = h_session_connect(NULL, d.port, H_WAIT_MS);
	b = h_session_connect(NULL, d.port, H_WAIT_MS);
	h_session_expect(a, "ECHO 64 is the limit", "OK 64 is the limit",
	    H_WAIT_MS);
	/* Only the header: the server must not wait for the payload. */
	cr_assert_eq(h_send(a, &be, 4), 0);
	cr_assert_geq(h_frame_recv(a, buf, sizeof(buf), H_WAIT_MS), 0);
	cr_assert_str_eq(buf, "ERR 413 frame of 65 bytes exceeds max_frame "
	    "64");
	cr_assert_eq(h_frame_recv(a, buf, sizeof(buf), H_WAIT_MS), -1);
	h_session_expect(b, "ECHO unaffected", "OK unaffected", H_WAIT_MS);
	close(a);
	close(b);
}

static void
session_upload(int fd, const char *name, const char *data, const char *sha,
    char *reply, size_t size)
{
	char req[512];
	size_t len = strlen(data), half = len / 2;

	snprintf(req, sizeof(req), "UPLOAD %s %zu %s", name, len, sha);
	h_session_expect(fd, req, "OK ready", H_WAIT_MS);
	h_frame_send(fd, data, half);
	h_frame_send(fd, data + half, len - half);
	cr_assert_geq(h_frame_recv(fd, reply, size, H_WAIT_MS), 0);
}

Test(services, session_upload_checks_and_never_overwrites)
{
	const char *const over[] = { "server.service=session",
	    "upload.dir=%D/up", "upload.max_size=100", NULL };
	struct h_daemon d;
	char reply[512], path[PATH_MAX + 32], *text;
	int fd;

	h_start(&d, 22600, 22609, over);
	fd = h_session_connect(NULL, d.port, H_WAIT_MS);
	session_upload(fd, "../../notes.txt", "line one\nline two\n",
	    SHA_TWO_LINES, reply, sizeof(reply));
	cr_assert_str_eq(reply, "OK stored notes.txt 18 " SHA_TWO_LINES);
	session_upload(fd, "notes.txt", "line one\nline two\n",
	    SHA_TWO_LINES, reply, sizeof(reply));
	cr_assert_str_eq(reply, "OK stored notes-1.txt 18 " SHA_TWO_LINES);
	/* A wrong checksum: refused, nothing kept under any name. */
	session_upload(fd, "bad.txt", "line one\nline two\n", SHA_ZEROS,
	    reply, sizeof(reply));
	cr_assert_str_eq(reply, "ERR 422 checksum mismatch: got "
	    SHA_TWO_LINES);
	h_session_expect(fd, "UPLOAD big.txt 101 " SHA_ZEROS,
	    "ERR 414 too large: 101 bytes, max_size is 100", H_WAIT_MS);
	h_session_expect(fd, "UPLOAD big.txt many " SHA_ZEROS,
	    "ERR 402 size must be a whole number of bytes", H_WAIT_MS);
	h_session_expect(fd, "UPLOAD x.txt",
	    "ERR 402 UPLOAD needs: name size sha256", H_WAIT_MS);
	h_session_expect(fd, "ECHO after uploads", "OK after uploads",
	    H_WAIT_MS);
	cr_assert_eq(h_log_wait(d.log, " upload client=", 4, H_WAIT_MS), 0);
	cr_assert_eq(h_log_count(d.log, " name=big.txt size=101 max_size=100 "
	    "result=too_large"), 1);

	snprintf(path, sizeof(path), "%s/up/notes.txt", d.dir);
	text = h_slurp(path, NULL);
	cr_assert_str_eq(text, "line one\nline two\n");
	free(text);
	snprintf(path, sizeof(path), "%s/up", d.dir);
	cr_assert_eq(count_files(path, "bad"), 0);
	cr_assert_eq(count_files(path, "."), 2, "only . and .., no temporary");
	cr_assert_eq(count_files(d.dir, "notes"), 0, "escaped the upload dir");
	close(fd);
}

Test(services, session_upload_cut_leaves_no_file)
{
	const char *const over[] = { "server.service=session",
	    "upload.dir=%D/up", NULL };
	struct h_daemon d;
	char path[PATH_MAX + 8];
	int fd;

	h_start(&d, 22610, 22619, over);
	fd = h_session_connect(NULL, d.port, H_WAIT_MS);
	h_session_expect(fd, "UPLOAD cut.txt 18 " SHA_TWO_LINES, "OK ready",
	    H_WAIT_MS);
	h_frame_send(fd, "line one\n", 9);
	close(fd);
	cr_assert_eq(h_log_wait(d.log, " disconnect ", 1, H_WAIT_MS), 0);
	snprintf(path, sizeof(path), "%s/up", d.dir);
	cr_assert_eq(count_files(path, "cut"), 0);
	cr_assert_eq(count_files(path, ".upload-"), 0);
}

Test(services, session_idle_timeout_is_told)
{
	const char *const over[] = { "server.service=session",
	    "limits.idle_timeout=1", NULL };
	struct h_daemon d;
	char buf[256];
	int a;

	h_start(&d, 22620, 22629, over);
	a = h_session_connect(NULL, d.port, H_WAIT_MS);
	cr_assert_geq(h_frame_recv(a, buf, sizeof(buf), H_WAIT_MS), 0,
	    "no word on idle");
	cr_assert_str_eq(buf, "ERR 408 timeout: idle too long");
	cr_assert_eq(h_frame_recv(a, buf, sizeof(buf), H_WAIT_MS), -1);
	close(a);
	cr_assert_eq(h_log_wait(d.log, "reason=\"idle timeout\"", 1,
	    H_WAIT_MS), 0);
}

Test(services, session_shutdown_is_told)
{
	const char *const over[] = { "server.service=session",
	    "pool.graceful_timeout=1", NULL };
	struct h_daemon d;
	char buf[256];
	int b, status;

	h_start(&d, 22630, 22639, over);
	b = h_session_connect(NULL, d.port, H_WAIT_MS);
	h_session_expect(b, "ECHO before stop", "OK before stop", H_WAIT_MS);
	h_signal(&d, SIGTERM);
	/* In flight: served until graceful_timeout, then told. */
	h_session_expect(b, "ECHO during stop", "OK during stop", H_WAIT_MS);
	cr_assert_geq(h_frame_recv(b, buf, sizeof(buf), H_WAIT_MS), 0);
	cr_assert_str_eq(buf, "ERR 503 server shutting down");
	status = h_wait_exit(&d, H_WAIT_MS);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(b);
}
