/* master.c -- the supervisor: keeps the worker pool, handles signals. */
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <libutil.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "daemon/master.h"
#include "daemon/pool.h"
#include "daemon/scoreboard.h"
#include "daemon/service.h"
#include "daemon/sockbind.h"
#include "daemon/store.h"
#include "daemon/worker.h"
#include "shared/log.h"
#include "shared/timefmt.h"

/* Room for a full pool plus a full previous generation still finishing. */
#define MASTER_SLOTS		(2 * CONFIG_WORKERS_MAX)
#define MASTER_TICK_MS		1000
#define MASTER_KILL_GRACE_MS	1000	/* after graceful_timeout */
#define MASTER_READY_POLL_MS	10	/* until the first worker is ready */

struct child {
	pid_t		pid;		/* 0: slot free */
	uint64_t	spawned_ms;
	unsigned	gen;		/* config generation it runs */
	int		retiring;	/* we sent SIGHUP or SIGTERM */
	int		killed;		/* we sent SIGKILL (stuck) */
};

static struct master_env	*env;
static struct child		 children[MASTER_SLOTS];
static int			 selfpipe[2] = { -1, -1 };
static unsigned			 gen;
static int			 pool_floor;
static int			 spawn_rate = 1;
static unsigned			 rapid_deaths, boot_failures;
static uint64_t			 next_tick_ms, respawn_after_ms;
static int			 stopping, stop_killed;
static uint64_t			 stop_deadline_ms;
static int			 exit_status;
static char			 last_status[160];

static const int master_sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT,
    SIGHUP, SIGUSR1, SIGTTIN, SIGTTOU };

static void
master_signal(int sig)
{
	unsigned char b = sig;
	int saved = errno;

	(void)write(selfpipe[1], &b, 1);
	errno = saved;
}

void
master_block_signals(void)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < sizeof(master_sigs) / sizeof(master_sigs[0]); i++)
		sigaddset(&set, master_sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

static void
master_signals(void)
{
	struct sigaction sa;
	sigset_t set;
	size_t i;

	if (pipe2(selfpipe, O_NONBLOCK | O_CLOEXEC) == -1)
		fatal("self-pipe");
	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART;
	sa.sa_handler = master_signal;
	for (i = 0; i < sizeof(master_sigs) / sizeof(master_sigs[0]); i++)
		sigaction(master_sigs[i], &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	/* A file size limit must fail the write (EFBIG), not kill us. */
	sigaction(SIGXFSZ, &sa, NULL);
	/* What arrived since start-up is delivered now, to the handlers. */
	sigemptyset(&set);
	sigprocmask(SIG_SETMASK, &set, NULL);
}

/* Daemonized: stdio to /dev/null, and no longer the -d parent's pipe. */
static void
master_detach(void)
{
	int fd;

	if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) != -1) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	close(env->ready_fd);
	env->ready_fd = -1;
}

/* In a new worker: drop what only the master should hold. */
static void
master_child_cleanup(void)
{
	close(selfpipe[0]);
	close(selfpipe[1]);
	if (env->pidfh != NULL)
		pidfile_close(env->pidfh);
	/* A worker never holds the -d parent's terminal nor its pipe. */
	if (env->ready_fd != -1)
		master_detach();
	unsetenv("NOTIFY_SOCKET");
}

static int
master_live(void)
{
	int i, n = 0;

	for (i = 0; i < MASTER_SLOTS; i++)
		n += children[i].pid != 0;
	return n;
}

static int
master_current(const struct child *c)
{
	return c->pid != 0 && c->gen == gen && !c->retiring && !c->killed;
}

static int
master_state(int i)
{
	return scoreboard_state(scoreboard_slot(i), children[i].pid);
}

static void
master_count(int *total, int *idle, int *busy)
{
	int i, st;

	*total = *idle = *busy = 0;
	for (i = 0; i < MASTER_SLOTS; i++) {
		if (!master_current(&children[i]))
			continue;
		(*total)++;
		st = master_state(i);
		if (st == SB_IDLE || st == SB_STARTING)
			(*idle)++;
		else if (st == SB_BUSY)
			(*busy)++;
	}
}

static int
master_spawn(void)
{
	struct worker_args args;
	sigset_t all, old;
	pid_t pid;
	int i;

	for (i = 0; i < MASTER_SLOTS && children[i].pid != 0; i++)
		;
	if (i == MASTER_SLOTS) {
		log_warnx("spawn: no free scoreboard slot");
		return -1;
	}
	args.listen_fd = env->listen_fd;
	args.slot = i;
	args.master = getpid();
	args.cfg = &env->cfg;
	/* A signal for the new worker must wait for the worker's own
	 * handlers: with ours it would be lost. It unblocks them. */
	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if ((pid = fork()) == -1) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		log_warn("spawn: fork");
		return -1;
	}
	if (pid == 0) {
		master_child_cleanup();
		worker_main(&args);
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	children[i].pid = pid;
	scoreboard_set_owner(i, pid);
	children[i].spawned_ms = timefmt_mono_ms();
	children[i].gen = gen;
	children[i].retiring = children[i].killed = 0;
	log_event("worker_start", "pid=%d slot=%d service=%s", (int)pid, i,
	    env->cfg.service);
	return 0;
}

static void
master_signal_child(int i, int sig)
{
	if (sig == SIGKILL)
		children[i].killed = 1;
	else
		children[i].retiring = 1;
	kill(children[i].pid, sig);
}

static void
master_retire_idle(const char *why)
{
	int i;

	for (i = 0; i < MASTER_SLOTS; i++) {
		if (master_current(&children[i]) &&
		    master_state(i) == SB_IDLE) {
			log_event("worker_retire", "pid=%d slot=%d reason=%s",
			    (int)children[i].pid, i, why);
			master_signal_child(i, SIGHUP);
			return;
		}
	}
}

/* Describe how a child ended: "status=0" or "signal=KILL". */
static void
master_describe(int status, char *buf, size_t len)
{
	const char *name;

	if (WIFEXITED(status))
		snprintf(buf, len, "status=%d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status)) {
		name = sigabbrev_np(WTERMSIG(status));
		if (name != NULL)
			snprintf(buf, len, "signal=%s%s", name,
			    WCOREDUMP(status) ? " core=yes" : "");
		else
			snprintf(buf, len, "signal=%d", WTERMSIG(status));
	} else
		snprintf(buf, len, "status=?");
}

static void
master_reaped(int i, int status)
{
	struct child *c = &children[i];
	struct sb_slot *s = scoreboard_slot(i);
	uint64_t now = timefmt_mono_ms(), lifetime = now - c->spawned_ms;
	int ready = master_state(i) != SB_STARTING;
	int clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	unsigned long long served = 0;
	const char *reason;
	char how[48];

	if (__atomic_load_n(&s->pid, __ATOMIC_ACQUIRE) == c->pid)
		served = __atomic_load_n(&s->requests, __ATOMIC_RELAXED);
	master_describe(status, how, sizeof(how));
	if (c->killed)
		reason = "killed";
	else if (c->retiring)
		reason = "retired";
	else if (clean)
		reason = "exited";
	else if (!ready || (WIFEXITED(status) &&
	    WEXITSTATUS(status) == EXIT_BOOT))
		reason = "failed_at_start";
	else
		reason = "died";
	log_event("worker_exit", "pid=%d slot=%d %s reason=%s requests=%llu "
	    "lifetime_ms=%llu", (int)c->pid, i, how, reason, served,
	    (unsigned long long)lifetime);

	if (c->killed || c->retiring || clean) {
		if (ready)
			boot_failures = 0;
	} else if (strcmp(reason, "failed_at_start") == 0) {
		boot_failures++;
		respawn_after_ms = now +
		    pool_respawn_delay_ms(POOL_RAPID_FREE + boot_failures);
	} else {
		boot_failures = 0;
		rapid_deaths = lifetime < POOL_RAPID_DEATH_MS ?
		    rapid_deaths + 1 : 0;
		respawn_after_ms = now + pool_respawn_delay_ms(rapid_deaths);
	}
	c->pid = 0;
	scoreboard_set_owner(i, 0);
}

static void
master_reap(void)
{
	pid_t pid;
	int status, i;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < MASTER_SLOTS; i++)
			if (children[i].pid == pid)
				break;
		if (i < MASTER_SLOTS)
			master_reaped(i, status);
	}
}

/* A worker that has not beaten its heart for worker_timeout is stuck. */
static void
master_murder(void)
{
	uint64_t now = timefmt_mono_ms(), beat, limit;
	int i;

	if (env->cfg.worker_timeout == 0)
		return;
	limit = (uint64_t)env->cfg.worker_timeout * 1000;
	for (i = 0; i < MASTER_SLOTS; i++) {
		if (children[i].pid == 0 || children[i].killed)
			continue;
		beat = scoreboard_beat_ms(scoreboard_slot(i),
		    children[i].pid);
		if (beat == 0)
			beat = children[i].spawned_ms;
		if (now > beat && now - beat > limit) {
			log_event("worker_timeout", "pid=%d slot=%d state=%s "
			    "silent_ms=%llu", (int)children[i].pid, i,
			    scoreboard_state_name(master_state(i)),
			    (unsigned long long)(now - beat));
			master_signal_child(i, SIGKILL);
		}
	}
}

static void
master_manage(void)
{
	struct pool_limits lim = { env->cfg.min_spare, env->cfg.max_spare,
	    env->cfg.max_workers };
	struct pool_view v;
	struct pool_plan plan;
	uint64_t now = timefmt_mono_ms();
	int busy, n;

	master_count(&v.total, &v.idle, &busy);
	v.finishing = master_live() - v.total;
	v.floor = pool_floor;
	v.spawn_rate = spawn_rate;
	v.tick = now >= next_tick_ms;
	if (v.tick)
		next_tick_ms = now + MASTER_TICK_MS;
	plan = pool_plan(&v, &lim);
	if (v.tick)
		spawn_rate = plan.spawn_rate;
	if (plan.spawn > 0 && now >= respawn_after_ms)
		for (n = 0; n < plan.spawn; n++)
			if (master_spawn() == -1)
				break;
	for (n = 0; n < plan.retire; n++)
		master_retire_idle("spare");
}

static void
master_notify_status(void)
{
	char status[sizeof(last_status)];
	int total, idle, busy;

	master_count(&total, &idle, &busy);
	snprintf(status, sizeof(status),
	    "port %d, %s, %d workers (%d busy, %d idle)", env->port,
	    env->cfg.service, total, busy, idle);
	if (strcmp(status, last_status) != 0) {
		strlcpy(last_status, status, sizeof(last_status));
		sd_notifyf(0, "STATUS=%s", status);
	}
}

static void
master_begin_stop(int sig)
{
	int graceful = sig != SIGQUIT, i;

	if (stopping && graceful)
		return;
	log_event("stop", "signal=%s mode=%s workers=%d", sigabbrev_np(sig),
	    graceful ? "graceful" : "immediate", master_live());
	sd_notify(0, "STOPPING=1");
	if (env->listen_fd != -1) {
		close(env->listen_fd);
		env->listen_fd = -1;
	}
	for (i = 0; i < MASTER_SLOTS; i++)
		if (children[i].pid != 0 && !children[i].killed)
			master_signal_child(i, graceful ? SIGTERM : SIGKILL);
	stopping = 1;
	stop_killed = !graceful;
	stop_deadline_ms = timefmt_mono_ms() +
	    (uint64_t)env->cfg.graceful_timeout * 1000 + MASTER_KILL_GRACE_MS;
}

static void
master_stop_deadline(void)
{
	int i;

	if (stop_killed || timefmt_mono_ms() < stop_deadline_ms)
		return;
	log_event("stop_kill", "workers=%d reason=\"graceful_timeout "
	    "passed\"", master_live());
	for (i = 0; i < MASTER_SLOTS; i++)
		if (children[i].pid != 0)
			master_signal_child(i, SIGKILL);
	stop_killed = 1;
}

/*
 * The pool's CPU scheduling policy, set on the master so that every worker
 * forked from now on inherits it. SCHED_BATCH: a worker woken by its client
 * does not preempt the process that woke it. On a busy machine the sender
 * (the load, another worker) then goes on with its own work instead of
 * switching away for every message, and the workers run one after another:
 * a third more round trips at 50 clients on 2 CPUs (docs/bench/), for at
 * most a scheduler tick of delay when every CPU is busy. Unprivileged; under
 * a seccomp filter that forbids it, the unit's CPUSchedulingPolicy= decides.
 */
static void
master_scheduling(const struct config *cfg)
{
	struct sched_param param = { .sched_priority = 0 };
	int policy = cfg->batch_scheduling ? SCHED_BATCH : SCHED_OTHER;

	if (sched_getscheduler(0) == policy)
		return;
	if (sched_setscheduler(0, policy, &param) == -1)
		log_warn("scheduling policy %s",
		    cfg->batch_scheduling ? "SCHED_BATCH" : "SCHED_OTHER");
}

/* In the log, and where an operator looks too (the journal, a terminal):
 * the log itself may be what is gone. */
static void
master_reload_refused(const char *err)
{
	log_text("reload_refused", err, strlen(err), "config=%s",
	    env->config_path);
	fprintf(stderr, "sockbind: reload refused: %s\n", err);
	sd_notify(0, "READY=1");
}

static void
master_reload(void)
{
	static struct config next;	/* large: not on the stack */
	struct config *cur = &env->cfg;
	char err[512];
	int i;

	sd_notify(0, "RELOADING=1");
	/* Clean, so KEEP() compares strings, not what a refused load left
	 * after them. */
	memset(&next, 0, sizeof(next));
	if (config_load(env->config_path, &next, err, sizeof(err)) == -1) {
		master_reload_refused(err);
		return;
	}
	/* What the running master holds cannot change without a restart. */
#define KEEP(field) do {						\
	if (memcmp(&next.field, &cur->field, sizeof(next.field)) != 0)	\
		log_event("reload_kept", "key=%s reason=\"needs a restart\"",\
		    #field);						\
	memcpy(&next.field, &cur->field, sizeof(next.field));		\
} while (0)
	KEEP(listen);
	KEEP(port_min);
	KEEP(port_max);
	KEEP(port_file);
	KEEP(pidfile);
	KEEP(user);
#undef KEEP
	if ((service_uses_store(next.service) &&
	    store_init(next.store_path, err, sizeof(err)) == -1) ||
	    log_reopen(next.log_path, err, sizeof(err)) == -1) {
		master_reload_refused(err);
		return;
	}
	log_set_max_message(next.max_message);
	*cur = next;
	master_scheduling(cur);
	gen++;
	pool_floor = cur->start;
	spawn_rate = 1;
	rapid_deaths = boot_failures = 0;
	respawn_after_ms = 0;
	log_event("reload", "config=%s service=%s start=%d min_spare=%d "
	    "max_spare=%d max_workers=%d", env->config_path, cur->service,
	    cur->start, cur->min_spare, cur->max_spare, cur->max_workers);
	/* New workers first, then the old ones finish what they hold, under
	 * its own limits: a reload cuts no client. */
	master_manage();
	for (i = 0; i < MASTER_SLOTS; i++)
		if (children[i].pid != 0 && children[i].gen != gen &&
		    !children[i].retiring && !children[i].killed)
			master_signal_child(i, SIGHUP);
	last_status[0] = '\0';
	sd_notify(0, "READY=1");
}

static void
master_handle(int sig)
{
	char err[512];
	int total, idle, busy;

	switch (sig) {
	case SIGCHLD:
		break;		/* reaped on every turn of the loop */
	case SIGTERM:
	case SIGINT:
	case SIGQUIT:
		master_begin_stop(sig);
		break;
	case SIGHUP:
		if (!stopping)
			master_reload();
		break;
	case SIGUSR1:
		if (log_reopen(NULL, err, sizeof(err)) == -1) {
			/* The log may be what is gone: say it where an
			 * operator looks too (the journal, a terminal). */
			log_warnx("reopen: %s", err);
			fprintf(stderr, "sockbind: log reopen: %s\n", err);
		}
		else
			log_event("log_reopen", "path=%s", env->cfg.log_path);
		break;
	case SIGTTIN:
		if (pool_floor < env->cfg.max_workers)
			pool_floor++;
		log_event("pool_resize", "signal=TTIN floor=%d", pool_floor);
		break;
	case SIGTTOU:
		if (pool_floor > 1)
			pool_floor--;
		log_event("pool_resize", "signal=TTOU floor=%d", pool_floor);
		master_count(&total, &idle, &busy);
		if (total > pool_floor)
			master_retire_idle("ttou");
		break;
	}
}

static int
master_timeout(void)
{
	uint64_t now = timefmt_mono_ms(), until = next_tick_ms;

	if (stopping)
		until = stop_deadline_ms < now + MASTER_TICK_MS ?
		    stop_deadline_ms : now + MASTER_TICK_MS;
	else if (respawn_after_ms > now && respawn_after_ms < until)
		until = respawn_after_ms;
	/* A worker getting ready does not wake us: look again soon. */
	if (!stopping && env->ready_fd != -1 &&
	    now + MASTER_READY_POLL_MS < until)
		until = now + MASTER_READY_POLL_MS;
	return until > now ? (int)(until - now) : 0;
}

/* Once a worker of the pool is ready to serve, let the -d parent go. */
static void
master_check_ready(void)
{
	int i, st;

	for (i = 0; env->ready_fd != -1 && i < MASTER_SLOTS; i++) {
		if (!master_current(&children[i]))
			continue;
		st = master_state(i);
		if (st == SB_IDLE || st == SB_BUSY) {
			(void)write(env->ready_fd, "", 1);
			master_detach();
		}
	}
}

static void
master_give_up(void)
{
	int i;

	log_event("fatal", "reason=\"workers fail at start-up\" failures=%u",
	    boot_failures);
	fprintf(stderr, "sockbind: workers fail at start-up (%u in a row); "
	    "see the log %s\n", boot_failures, env->cfg.log_path);
	for (i = 0; i < MASTER_SLOTS; i++)
		if (children[i].pid != 0)
			master_signal_child(i, SIGKILL);
	while (master_live() > 0 && waitpid(-1, NULL, 0) > 0)
		master_reap();
	exit_status = EXIT_START;
}

int
master_run(struct master_env *e)
{
	struct pollfd pfd;
	unsigned char sigs[64];
	ssize_t n, i;
	char err[128];

	env = e;
	pool_floor = env->cfg.start;
	if (scoreboard_init(MASTER_SLOTS, err, sizeof(err)) == -1)
		fatalx("%s", err);
	scoreboard_header()->master = getpid();
	scoreboard_header()->port = env->port;
	scoreboard_header()->started = time(NULL);
	master_signals();
	master_scheduling(&env->cfg);
	setproctitle("master port %d", env->port);
	master_manage();
	sd_notifyf(0, "READY=1\nMAINPID=%d", (int)getpid());

	for (;;) {
		pfd.fd = selfpipe[0];
		pfd.events = POLLIN;
		if (poll(&pfd, 1, master_timeout()) > 0) {
			while ((n = read(selfpipe[0], sigs,
			    sizeof(sigs))) > 0)
				for (i = 0; i < n; i++)
					master_handle(sigs[i]);
		}
		master_reap();
		if (stopping) {
			if (master_live() == 0)
				break;
			master_stop_deadline();
		} else {
			master_murder();
			master_manage();
			master_check_ready();
			if (pool_boot_give_up(boot_failures)) {
				master_give_up();
				break;
			}
			master_notify_status();
		}
		log_flush_pending();
	}
	log_event("exit", "status=%d", exit_status);
	log_flush_pending();
	return exit_status;
}
