/*
 * main.c -- sockbind: a pre-fork multiprocess TCP server for socket labs.
 *
 * Start-up, in order: options, configuration, log, pidfile, the first free
 * port of the range, daemon mode, port file, privileges, store; then the
 * master.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libutil.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/conn.h"
#include "daemon/hashgate.h"
#include "daemon/listener.h"
#include "daemon/master.h"
#include "daemon/service.h"
#include "daemon/sockbind.h"
#include "daemon/status.h"
#include "daemon/store.h"
#include "shared/conf.h"
#include "shared/log.h"

#ifndef SOCKBIND_CONF
#define SOCKBIND_CONF	"/usr/local/etc/sockbind/sockbind.ini"
#endif

extern char	**environ;

/*
 * -d: the classic fork and new session, but the parent waits until the
 * pool serves (the master writes to ready_fd) and exits 0 then, or with
 * the daemon's own status if it ends first (workers failing at start-up:
 * 1). Until then the daemon keeps the terminal, so its fatal errors are
 * seen. Returns the descriptor to write to.
 */
static int
main_daemonize(void)
{
	int p[2], status;
	ssize_t n;
	pid_t pid;
	char c;

	if (pipe2(p, O_CLOEXEC) == -1)
		fatal("pipe");
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1)
		fatal("fork");
	if (pid > 0) {
		close(p[1]);
		while ((n = read(p[0], &c, 1)) == -1 && errno == EINTR)
			;
		if (n == 1)
			_exit(0);
		/* _exit: the port file and pidfile are the daemon's. */
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			_exit(WEXITSTATUS(status));
		_exit(EXIT_START);
	}
	close(p[0]);
	if (setsid() == -1)
		fatal("setsid");
	if (chdir("/") == -1)
		fatal("chdir /");
	return p[1];
}


static struct master_env	 env;

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
	    "usage: sockbind [-dhnV] [-c file] [-s service] [-p port|min-max]\n"
	    "  -c file          configuration (default %s)\n"
	    "  -s service       run this service, whatever the file says\n"
	    "  -p port|min-max  bind in this range, whatever the file says\n"
	    "  -d               run in the background as a daemon\n"
	    "  -n               check the configuration and exit\n"
	    "  -h               this help\n"
	    "  -V               print the version\n", SOCKBIND_CONF);
	exit(status);
}

/* The master must never block on the log: keep records until it frees. */
static int
main_log_wait(void)
{
	return -1;
}

static void
main_port_skipped(int port)
{
	log_event("port_skipped", "port=%d reason=\"in use\"", port);
}

/* Write the port file whole or not at all: a reader never sees half. */
static void
main_write_port_file(const char *path, int port)
{
	char tmp[PATH_MAX + 16];
	FILE *fp;

	int saved;

	if (path[0] == '\0')
		return;
	/* Written whole under a temporary name, then renamed into place. */
	snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
	if ((fp = fopen(tmp, "w")) != NULL) {
		fprintf(fp, "%d\n", port);
		if (fclose(fp) != EOF && rename(tmp, path) == 0)
			return;
	}
	saved = errno;
	unlink(tmp);
	if (env.pidfh != NULL)
		pidfile_remove(env.pidfh);
	errno = saved;
	fatal("port file %s", path);
}

/*
 * After a removal (result of unlink(2) or pidfile_remove()): a file that
 * could not be removed is said in the log. It happens after a privilege
 * drop when the file's directory is writable only by root; the next start
 * takes both files over.
 */
static void
main_remove_file(const char *path, int result)
{
	if (result == -1 && errno != ENOENT)
		log_event("file_left", "path=%s reason=\"%s\"", path,
		    strerror(errno));
}

/* A start-up that fails after the port file and pidfile exist (a store
 * that cannot be opened, a failed privilege drop) leaves neither behind:
 * fatal() exits through here. Forked children never own them. */
static pid_t	files_owner;

static void
main_remove_files(void)
{
	if (files_owner != getpid())
		return;
	files_owner = 0;
	if (env.cfg.port_file[0] != '\0')
		main_remove_file(env.cfg.port_file, unlink(env.cfg.port_file));
	if (env.pidfh != NULL)
		main_remove_file(env.cfg.pidfile, pidfile_remove(env.pidfh));
}

static void
main_drop_privileges(const char *user)
{
	struct passwd *pw;

	if (user[0] == '\0')
		return;
	if (geteuid() != 0) {
		log_event("privileges", "user=%s result=ignored "
		    "reason=\"not started as root\"", user);
		return;
	}
	if ((pw = getpwnam(user)) == NULL)
		fatalx("[server] user: no such user '%s'", user);
	/* Files opened as root stay ours to reopen after a rotation. */
	if (fchown(log_fd(), pw->pw_uid, pw->pw_gid) == -1)
		fatal("chown log");
	if (initgroups(pw->pw_name, pw->pw_gid) == -1 ||
	    setgid(pw->pw_gid) == -1 || setuid(pw->pw_uid) == -1)
		fatal("cannot drop privileges to %s", user);
	if (setuid(0) == 0)
		fatalx("privileges could be regained after dropping them");
	log_event("privileges", "user=%s uid=%d gid=%d", user,
	    (int)pw->pw_uid, (int)pw->pw_gid);
}

int
main(int argc, char *argv[])
{
	const char *config_path = SOCKBIND_CONF, *service = NULL, *ports = NULL;
	struct config *cfg = &env.cfg;
	struct sockaddr_storage bound;
	int ch, daemonize = 0, check_only = 0, why, status;
	pid_t other;
	char err[1024];
	static char start_dir[PATH_MAX], abs_config[2 * PATH_MAX];

	master_block_signals();
	setproctitle_init(argc, argv, environ);
	while ((ch = getopt(argc, argv, "c:dhnp:s:V")) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'd':
			daemonize = 1;
			break;
		case 'h':
			usage(0);
		case 'n':
			check_only = 1;
			break;
		case 'p':
			ports = optarg;
			break;
		case 's':
			service = optarg;
			break;
		case 'V':
			printf("sockbind %s\n", SOCKBIND_VERSION);
			return 0;
		default:
			usage(EXIT_CONFIG);
		}
	}
	if (optind != argc)
		usage(EXIT_CONFIG);
	/* Over the file's values, at start-up and at every reload. */
	if (config_override(service, ports, err, sizeof(err)) == -1) {
		fprintf(stderr, "sockbind: %s\n", err);
		return EXIT_CONFIG;
	}
	/* -d takes us to /: a reload must still find the file and resolve
	 * its relative paths from where we started. */
	if (getcwd(start_dir, sizeof(start_dir)) == NULL)
		errx(EXIT_CONFIG, "getcwd: %s", strerror(errno));
	conf_set_base_dir(start_dir);
	if (config_path[0] != '/') {
		if ((size_t)snprintf(abs_config, sizeof(abs_config), "%s/%s",
		    start_dir, config_path) >= sizeof(abs_config))
			errx(EXIT_CONFIG, "%s: path too long", config_path);
		config_path = abs_config;
	}

	if (config_load(config_path, cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s\n", err);
		return EXIT_CONFIG;
	}
	if (check_only) {
		printf("configuration OK\n");
		return 0;
	}
	env.config_path = config_path;
	env.ready_fd = -1;

	if (log_open(cfg->log_path, "sockbind", cfg->max_message, err,
	    sizeof(err)) == -1)
		errx(EXIT_START, "log: %s", err);
	log_set_wait_hook(main_log_wait);

	if (cfg->pidfile[0] != '\0') {
		env.pidfh = pidfile_open(cfg->pidfile, 0644, &other);
		if (env.pidfh == NULL && errno == EEXIST)
			fatalx("already running as pid %d (pidfile %s)",
			    (int)other, cfg->pidfile);
		if (env.pidfh == NULL)
			fatal("pidfile %s", cfg->pidfile);
	}

	env.listen_fd = listener_bind(cfg->listen, cfg->port_min,
	    cfg->port_max, CONN_SLICE_MS, main_port_skipped, &bound, &why, err,
	    sizeof(err));
	if (env.listen_fd == -1) {
		if (env.pidfh != NULL)
			pidfile_remove(env.pidfh);
		fatalx("%s", err);
	}
	env.status_fd = -1;
	if (cfg->status_listen[0] != '\0' && (env.status_fd =
	    status_bind(cfg->status_listen, err, sizeof(err))) == -1) {
		if (env.pidfh != NULL)
			pidfile_remove(env.pidfh);
		fatalx("%s", err);
	}
	net_addr_str((struct sockaddr *)&bound, env.bound, sizeof(env.bound));
	env.port = ntohs(bound.ss_family == AF_INET ?
	    ((struct sockaddr_in *)&bound)->sin_port :
	    ((struct sockaddr_in6 *)&bound)->sin6_port);
	/* Daemonized first, so that the records below have the daemon's pid;
	 * the terminal stays until the pool serves, errors still reach it. */
	if (daemonize) {
		env.ready_fd = main_daemonize();
		log_event("daemon", "pid=%d", (int)getpid());
	}
	/* The master's records (worker_start, worker_exit) wait out a full
	 * disk; its workers' are counted as lost. After -d's fork, which a
	 * child does not inherit it through. */
	log_set_keep_failed(1);
	main_write_port_file(cfg->port_file, env.port);
	files_owner = getpid();
	atexit(main_remove_files);
	log_event("start", "version=%s pid=%d port=%d address=%s service=%s "
	    "config=%s", SOCKBIND_VERSION, (int)getpid(), env.port,
	    env.bound, cfg->service, config_path);
	printf("sockbind: listening on %s\n", env.bound);
	fflush(stdout);

	main_drop_privileges(cfg->user);
	/* Created by the user that will write it. */
	if (service_uses_store(cfg->service) &&
	    store_init(cfg, err, sizeof(err)) == -1)
		fatalx("%s", err);
	if (env.pidfh != NULL && pidfile_write(env.pidfh) == -1)
		fatal("pidfile %s", cfg->pidfile);
	/* Shared by every worker forked from here on, whatever service a
	 * reload switches to: made before the first. */
	if (hashgate_init(err, sizeof(err)) == -1)
		fatalx("%s", err);

	status = master_run(&env);
	main_remove_files();
	return status;
}
