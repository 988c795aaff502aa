/*
 * harness.h -- run the real sockbind for an integration test.
 *
 * h_start() writes a config in a fresh temporary directory (the test's
 * overrides on top of a base that listens on 127.0.0.1 in the test's own
 * port range), starts $SOCKBIND_BIN on it with stdout and stderr piped, and
 * waits for the "listening on" line. An override value starting with "%D"
 * has it replaced by that directory ("upload.dir=%D/up"). Every wait is
 * bounded: a condition
 * polled with a deadline, never a bare sleep. Daemons started here are
 * killed and their directories removed by h_cleanup(), the suites' .fini.
 */
#ifndef SOCKBIN_HARNESS_H
#define SOCKBIN_HARNESS_H

#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define H_WAIT_MS	5000	/* default bound on any wait */

struct h_daemon {
	pid_t	pid;
	int	port;
	int	status;		/* wait status once exited, else -1 */
	int	out_fd, err_fd;
	char	dir[64];
	char	config[PATH_MAX];
	char	log[PATH_MAX];
	char	port_file[PATH_MAX];
	char	pidfile[PATH_MAX];
	char	out[4096], err[4096];	/* what it printed, so far */
	size_t	out_len, err_len;
};

/* overrides: "section.key=value" strings, NULL-terminated. */
void	h_config(struct h_daemon *, int port_min, int port_max,
	    const char *const *overrides);
int	h_spawn(struct h_daemon *, const char *const *argv_extra,
	    const char *const *env_extra);
void	h_start(struct h_daemon *, int port_min, int port_max,
	    const char *const *overrides);
/* over, then more (either may be NULL), into all: NULL-terminated, room
 * for 32 in all. */
void	h_overrides(const char **all, const char *const *over,
	    const char *const *more);
void	h_start_env(struct h_daemon *, int port_min, int port_max,
	    const char *const *overrides, const char *const *env);
/* After h_spawn(): wait for "listening on" and read the port file, which
 * must name a port of the range (asserted). */
void	h_wait_listening(struct h_daemon *, int port_min, int port_max);
int	h_wait_exit(struct h_daemon *, int timeout_ms);
void	h_read_output(struct h_daemon *, int timeout_ms);
void	h_signal(struct h_daemon *, int sig);
void	h_cleanup(void);

int	h_connect(int port);
int	h_connect_from(const char *src, int port);
int	h_send(int fd, const void *buf, size_t len);
ssize_t	h_recv_exact(int fd, void *buf, size_t len, int timeout_ms);
int	h_echo(int fd, const char *msg, int timeout_ms);
/* Session frames (docs/PROTOCOL.md): send one (asserting it went out), or
 * receive one into buf as a C string, waiting at most ms for each part: its
 * length, or -1 at end of stream or when none came in time. */
void	h_frame_send(int fd, const void *buf, uint32_t len);
void	h_frame_send_text(int fd, const char *text);
int	h_frame_recv(int fd, char *buf, size_t size, int ms);
/* The session service: connect (from src, or the default address) and take
 * the greeting; one request and its reply (into reply, as a C string); one
 * request and the exact reply expected. Each part waits at most ms. */
int	h_session_connect(const char *src, int port, int ms);
void	h_session_ask(int fd, const char *request, char *reply, size_t size,
	    int ms);
void	h_session_expect(int fd, const char *request, const char *expect,
	    int ms);
/* LOGIN user password: "OK token HEX expires N" asserted, the token into
 * tok (65 bytes); waits at most 3 * H_WAIT_MS (hashing the password). */
void	h_session_login(int fd, const char *user, const char *password,
	    char *tok);
/* The store held elsewhere past its 5 s: request on session a gets
 * ERR 500 the store failed after 4.5 s or more, while session b is served
 * at once; a is still served after. */
void	h_session_store_stuck(int a, int b, const char *request);
int	h_local_port(int fd);

int	h_workers(pid_t master, pid_t *pids, int max);
int	h_wait_workers(pid_t master, int n, int timeout_ms);
char	h_proc_state(pid_t pid);
int	h_wait_state(pid_t pid, char state, int timeout_ms);
int	h_gone(pid_t pid);

char	*h_slurp(const char *path, size_t *len);
int	h_log_count(const char *path, const char *needle);
int	h_log_wait(const char *path, const char *needle, int count,
	    int timeout_ms);
int	h_log_bad_lines(const char *path, int *lines);
int	h_log_bad_lines_ident(const char *path, const char *ident,
	    int *lines);
pid_t	h_log_pid_of(const char *path, const char *needle);
long	h_now_ms(void);
void	h_pause_ms(int ms);

#endif
