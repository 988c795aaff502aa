/* master.c -- the supervisor: keeps the worker pool, handles signals. */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

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
#include "daemon/status.h"
#include "daemon/store.h"
#include "daemon/worker.h"
#include "shared/log.h"
#include "shared/timefmt.h"

/* Room for a full pool plus a full previous generation still finishing. */
#define MASTER_SLOTS		(2 * CONFIG_WORKERS_MAX)
#define MASTER_TICK_MS		1000
#define MASTER_KILL_GRACE_MS	1000	/* after graceful_timeout */
#define MASTER_READY_POLL_MS	10	/* until the first worker is ready */
#define MASTER_DEMAND_MUTE_MS	10	/* between two looks at the queue */
#define MASTER_STRESS_WARN_MS	60000	/* the stress warning, at most */

struct child {
	pid_t		pid;		/* 0: slot free */
	uint64_t	spawned_ms;
	unsigned	gen;		/* config generation it runs */
	int		retiring;	/* we sent SIGHUP or SIGTERM */
	int		killed;		/* we sent SIGKILL (stuck) */
	uint64_t	cut;		/* the connection we asked it to end */
};

/* How a worker ended, as the master sees it. */
enum master_exit {
	EXIT_KILLED,		/* by us: stuck, or an immediate stop */
	EXIT_RETIRED,		/* asked to go (reload, spare, stop) */
	EXIT_CLEAN,		/* on its own, status 0 (max_requests) */
	EXIT_FAILED_AT_START,	/* before it was ready */
	EXIT_CRASHED,		/* its own fault: a failure status, a fault */
	EXIT_DIED,		/* a signal from outside (operator, OOM) */
};

static const char *const master_exit_names[] = { "killed", "retired",
    "exited", "failed_at_start", "crashed", "died" };

/* A reload whose store is being checked by a child of ours. */
struct reload_check {
	pid_t		pid;		/* 0: none running */
	int		fd;		/* its error text */
	int		again;		/* another HUP came meanwhile */
	struct config	next;
};

static struct master_env	*env;
static struct child		 children[MASTER_SLOTS];
static int			 selfpipe[2] = { -1, -1 };
static unsigned			 gen;
static int			 pool_floor;
static int			 fork_tokens = POOL_FORK_BURST;
static uint64_t			 fork_tokens_ms;
static unsigned			 rapid_deaths, boot_failures;
static uint64_t			 next_tick_ms, respawn_after_ms;
static uint64_t			 demand_muted_until_ms;
static struct pool_demand	 demand;
static int			 stopping, stop_killed;
static uint64_t			 stop_deadline_ms;
static int			 exit_status;
static char			 last_status[192];
static struct reload_check	 reload;

/* The status listener: a child of ours, but not a worker. */
static pid_t			 status_pid;
static uint64_t			 status_after_ms;	/* respawn no sooner */
static int			 status_restart;	/* we ended it */

/* Stress: when it began, the counts then, the last warning. */
static int			 stressed;
static uint64_t			 stress_began_ms, stress_warned_ms;
static uint64_t			 stress_base[SB_COUNTERS];

static const int master_sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT,
    SIGHUP, SIGUSR1, SIGTTIN, SIGTTOU };

static void
master_signal(int sig)
{
	unsigned char b = sig;
	int saved = errno;

	if (write(selfpipe[1], &b, 1) == -1) {
		/* Full: a wake-up already waits for the loop. */
	}
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

/* The worker in slot i as the scoreboard shows it, if it is our child's. */
static int
master_read(int i, struct sb_worker *w)
{
	if (scoreboard_read(i, w) == -1 || w->pid != children[i].pid) {
		memset(w, 0, sizeof(*w));
		w->state = SB_STARTING;
		return -1;
	}
	return 0;
}

static int
master_state(int i)
{
	struct sb_worker w;

	master_read(i, &w);
	return w.state;
}

struct master_counts {
	int	total;		/* current workers */
	int	idle;		/* of which idle or starting */
	int	busy;
	int	serving;	/* of all, current or not: clients in hand */
};

static void
master_count(struct master_counts *n)
{
	struct sb_worker w;
	int i;

	memset(n, 0, sizeof(*n));
	for (i = 0; i < MASTER_SLOTS; i++) {
		if (children[i].pid == 0)
			continue;
		master_read(i, &w);
		n->serving += w.serving;
		if (!master_current(&children[i]))
			continue;
		n->total++;
		if (w.state == SB_IDLE || w.state == SB_STARTING)
			n->idle++;
		else if (w.state == SB_BUSY)
			n->busy++;
	}
}

/* Connections in the accept queue: for a listening socket, Linux reports
 * its length as tcpi_unacked. */
static int
master_queued(void)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (env->listen_fd == -1 || getsockopt(env->listen_fd, IPPROTO_TCP,
	    TCP_INFO, &ti, &len) == -1)
		return 0;
	return (int)ti.tcpi_unacked;
}

/* Fork with every signal blocked: a signal meant for the child must wait
 * for the child's own handlers (it unblocks them), ours would lose it. */
static pid_t
master_fork(void)
{
	sigset_t all, old;
	pid_t pid;

	sigfillset(&all);
	sigprocmask(SIG_BLOCK, &all, &old);
	if ((pid = fork()) == 0) {
		master_child_cleanup();
		return 0;
	}
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
}

static int
master_spawn(int on_demand)
{
	struct worker_args args;
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
	if ((pid = master_fork()) == -1) {
		log_warn("spawn: fork");
		return -1;
	}
	if (pid == 0) {
		if (env->status_fd != -1)
			close(env->status_fd);
		worker_main(&args);
	}
	children[i].pid = pid;
	scoreboard_set_owner(i, pid);
	children[i].spawned_ms = timefmt_mono_ms();
	children[i].gen = gen;
	children[i].retiring = children[i].killed = 0;
	children[i].cut = 0;
	scoreboard_master_add(SB_SPAWNED);
	if (on_demand)
		scoreboard_master_add(SB_SPAWNED_ON_DEMAND);
	log_event("worker_start", "pid=%d slot=%d service=%s%s", (int)pid, i,
	    env->cfg.service, on_demand ? " on_demand=yes" : "");
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

/* A signal a process brings on itself, as opposed to one sent to it. */
static int
master_fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
	    sig == SIGFPE || sig == SIGABRT || sig == SIGSYS || sig == SIGTRAP ||
	    sig == SIGXCPU || sig == SIGXFSZ;
}

static enum master_exit
master_exit_cause(const struct child *c, int status, int ready)
{
	if (c->killed)
		return EXIT_KILLED;
	if (c->retiring)
		return EXIT_RETIRED;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return EXIT_CLEAN;
	if (!ready || (WIFEXITED(status) && WEXITSTATUS(status) == EXIT_BOOT))
		return EXIT_FAILED_AT_START;
	if (WIFEXITED(status) || master_fault_signal(WTERMSIG(status)))
		return EXIT_CRASHED;
	return EXIT_DIED;
}

/*
 * Throttle respawning only for workers that fail by themselves: at start-up,
 * or with a failure status or a fault once serving. A worker killed from
 * outside (an operator, the OOM killer) is replaced at once, however often.
 */
static void
master_reaped(int i, int status)
{
	struct child *c = &children[i];
	struct sb_worker w;
	uint64_t now = timefmt_mono_ms(), lifetime = now - c->spawned_ms;
	int ready = master_read(i, &w) == 0 && w.state != SB_STARTING;
	enum master_exit cause = master_exit_cause(c, status, ready);
	char how[48];

	master_describe(status, how, sizeof(how));
	log_event("worker_exit", "pid=%d slot=%d %s reason=%s requests=%llu "
	    "lifetime_ms=%llu", (int)c->pid, i, how,
	    master_exit_names[cause], (unsigned long long)w.requests,
	    (unsigned long long)lifetime);

	switch (cause) {
	case EXIT_KILLED:
		scoreboard_master_add(SB_EXIT_KILLED);
		break;
	case EXIT_RETIRED:
	case EXIT_CLEAN:
		scoreboard_master_add(SB_EXIT_CLEAN);
		break;
	case EXIT_FAILED_AT_START:
		scoreboard_master_add(SB_EXIT_BOOT);
		boot_failures++;
		respawn_after_ms = now +
		    pool_respawn_delay_ms(POOL_RAPID_FREE + boot_failures);
		break;
	case EXIT_CRASHED:
		scoreboard_master_add(SB_EXIT_CRASHED);
		boot_failures = 0;
		rapid_deaths = lifetime < POOL_RAPID_DEATH_MS ?
		    rapid_deaths + 1 : 0;
		respawn_after_ms = now + pool_respawn_delay_ms(rapid_deaths);
		break;
	case EXIT_DIED:
		scoreboard_master_add(SB_EXIT_CRASHED);
		break;
	}
	if (ready && cause != EXIT_FAILED_AT_START)
		boot_failures = 0;
	c->pid = 0;
	scoreboard_set_owner(i, 0);
}

#define MASTER_STATUS_RESPAWN_MS	1000

/* Start the status listener if there is none: at start-up, after a reload,
 * and a second after it died. */
static void
master_status_keep(void)
{
	pid_t pid;

	if (env->status_fd == -1 || status_pid != 0 ||
	    timefmt_mono_ms() < status_after_ms)
		return;
	if ((pid = master_fork()) == -1) {
		log_warn("status: fork");
		status_after_ms = timefmt_mono_ms() + MASTER_STATUS_RESPAWN_MS;
		return;
	}
	if (pid == 0) {
		close(env->listen_fd);
		status_main(env->status_fd, getppid(), &env->cfg);
	}
	status_pid = pid;
	status_after_ms = timefmt_mono_ms() + MASTER_STATUS_RESPAWN_MS;
}

static void
master_status_reaped(int status)
{
	char how[48];

	master_describe(status, how, sizeof(how));
	if (!status_restart)
		log_event("status_exit", "pid=%d %s", (int)status_pid, how);
	status_pid = 0;
	status_restart = 0;
}

/* End the status listener: to restart it (a reload), or at the exit. */
static void
master_status_end(int wait)
{
	int status;

	if (status_pid == 0)
		return;
	status_restart = 1;
	kill(status_pid, SIGTERM);
	if (wait && waitpid(status_pid, &status, 0) == status_pid)
		master_status_reaped(status);
	status_after_ms = 0;
}

static void	master_reload_checked(int status);

static void
master_reap_one(pid_t pid, int status)
{
	int i;

	if (pid == reload.pid) {
		master_reload_checked(status);
		return;
	}
	if (pid == status_pid) {
		master_status_reaped(status);
		return;
	}
	for (i = 0; i < MASTER_SLOTS; i++)
		if (children[i].pid == pid)
			break;
	if (i < MASTER_SLOTS)
		master_reaped(i, status);
}

static void
master_reap(void)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		master_reap_one(pid, status);
}

/* A worker that has not beaten its heart for worker_timeout is stuck. */
static void
master_murder(void)
{
	uint64_t now = timefmt_mono_ms(), beat, limit;
	struct sb_worker w;
	int i;

	if (env->cfg.worker_timeout == 0)
		return;
	limit = (uint64_t)env->cfg.worker_timeout * 1000;
	for (i = 0; i < MASTER_SLOTS; i++) {
		if (children[i].pid == 0 || children[i].killed)
			continue;
		beat = master_read(i, &w) == 0 ? w.beat_ms : 0;
		if (beat == 0)
			beat = children[i].spawned_ms;
		if (now > beat && now - beat > limit) {
			log_event("worker_timeout", "pid=%d slot=%d state=%s "
			    "silent_ms=%llu", (int)children[i].pid, i,
			    scoreboard_state_name(w.state),
			    (unsigned long long)(now - beat));
			master_signal_child(i, SIGKILL);
		}
	}
}

/* Wake every current worker with a client: the stress limit applies now. */
static void
master_wake_serving(void)
{
	struct sb_worker w;
	int i;

	for (i = 0; i < MASTER_SLOTS; i++)
		if (master_current(&children[i]) && master_read(i, &w) == 0 &&
		    w.serving)
			kill(children[i].pid, SIGUSR1);
}

static void
master_stress_begin(const struct master_counts *n, int queued)
{
	struct sb_header *h = scoreboard_header_rw();
	uint64_t now = timefmt_mono_ms();
	struct sb_worker none;

	stressed = 1;
	stress_began_ms = now;
	scoreboard_snapshot(&none, 0, stress_base);
	__atomic_store_n(&h->stress_since_ms, now, __ATOMIC_RELAXED);
	__atomic_store_n(&h->stress, 1, __ATOMIC_RELEASE);
	scoreboard_master_add(SB_STRESS_EPISODES);
	log_event("stress_begin", "busy=%d max_workers=%d queued=%d "
	    "idle_timeout=%d", n->busy, env->cfg.max_workers, queued,
	    env->cfg.stress_idle_timeout);
	if (stress_warned_ms == 0 || now - stress_warned_ms >=
	    MASTER_STRESS_WARN_MS) {
		stress_warned_ms = now;
		log_event("stress_warning", "max_workers=%d reason=\"all "
		    "workers busy and connections wait: quiet clients are let "
		    "go; raise [pool] max_workers?\"", env->cfg.max_workers);
		fprintf(stderr, "sockbind: warning: all %d workers are busy "
		    "and connections wait: under stress, quiet clients are "
		    "let go after %d s\n", env->cfg.max_workers,
		    env->cfg.stress_idle_timeout);
	}
	master_wake_serving();
}

static void
master_stress_end(void)
{
	struct sb_header *h = scoreboard_header_rw();
	uint64_t totals[SB_COUNTERS];
	struct sb_worker none;

	stressed = 0;
	__atomic_store_n(&h->stress, 0, __ATOMIC_RELEASE);
	scoreboard_snapshot(&none, 0, totals);
	log_event("stress_end", "duration_ms=%llu let_go=%llu "
	    "ended_idle=%llu", (unsigned long long)(timefmt_mono_ms() -
	    stress_began_ms), (unsigned long long)(totals[SB_CUT_STRESS] -
	    stress_base[SB_CUT_STRESS]), (unsigned long long)
	    (totals[SB_ENDED_IDLE] - stress_base[SB_ENDED_IDLE]));
}

/*
 * Under stress, make room for the connections that wait: the quietest
 * clients are let go first, one per waiting connection not yet provided
 * for by an earlier request.
 */
static void
master_let_go(int waiting)
{
	static struct pool_client cand[MASTER_SLOTS];
	uint64_t now = timefmt_mono_ms();
	struct sb_worker w;
	size_t n = 0, picked, k;
	int i, pending = 0;

	for (i = 0; i < MASTER_SLOTS; i++) {
		if (!master_current(&children[i]) || master_read(i, &w) == -1 ||
		    !w.serving)
			continue;
		if (children[i].cut == w.count[SB_ACCEPTED]) {
			pending++;
			continue;
		}
		cand[n].slot = i;
		cand[n].quiet_since_ms = w.quiet_since_ms;
		cand[n].connection = w.count[SB_ACCEPTED];
		n++;
	}
	if (waiting - pending <= 0)
		return;
	picked = pool_pick_quietest(cand, n, waiting - pending, now,
	    POOL_CUT_MIN_QUIET_MS);
	for (k = 0; k < picked; k++) {
		i = (int)cand[k].slot;
		children[i].cut = cand[k].connection;
		scoreboard_cut(i, cand[k].connection);
		kill(children[i].pid, SIGUSR1);
	}
}

static void
master_manage(void)
{
	struct pool_limits lim = { env->cfg.min_spare, env->cfg.max_spare,
	    env->cfg.max_workers };
	struct master_counts counts;
	struct pool_view v, wait;
	struct pool_plan plan;
	uint64_t now = timefmt_mono_ms(), totals[SB_COUNTERS];
	struct sb_worker none;
	int n, live;

	master_count(&counts);
	live = master_live();
	v.total = counts.total;
	v.idle = counts.idle;
	v.finishing = live - counts.total;
	v.floor = pool_floor;
	v.queued = master_queued();
	v.tick = now >= next_tick_ms;
	if (v.tick)
		next_tick_ms = now + MASTER_TICK_MS;
	__atomic_store_n(&scoreboard_header_rw()->queued, v.queued,
	    __ATOMIC_RELAXED);
	fork_tokens = pool_fork_tokens(fork_tokens, &fork_tokens_ms, now);
	/* The pool grows for connections that really wait, not for a
	 * queue that moves (pool.h). */
	wait = v;
	totals[SB_ACCEPTED] = 0;
	if (v.queued > v.idle)	/* the sum is read only when it matters */
		scoreboard_snapshot(&none, 0, totals);
	wait.queued = pool_confirm_waiting(&demand, v.queued, v.idle,
	    totals[SB_ACCEPTED], now);
	plan = pool_plan(&wait, &lim, fork_tokens);
	/* Back-off after failures holds new workers back, but never leaves
	 * the pool with none. */
	if (plan.spawn > 0 && now < respawn_after_ms)
		plan.spawn = plan.on_demand = live == 0 ? 1 : 0;
	for (n = 0; n < plan.spawn; n++) {
		if (master_spawn(n >= plan.spawn - plan.on_demand) == -1)
			break;
		fork_tokens -= fork_tokens > 0;
	}
	for (n = 0; n < plan.retire; n++)
		master_retire_idle("spare");

	if (env->cfg.stress_idle_timeout == 0)
		return;
	/* Stress begins only for connections that really wait; it ends
	 * once nothing waits at all. */
	if (pool_stressed(stressed ? &v : &wait, &lim, stressed) !=
	    stressed) {
		if (stressed)
			master_stress_end();
		else
			master_stress_begin(&counts, v.queued);
	}
	if (stressed)
		master_let_go(v.queued - counts.idle);
}

static void
master_notify_status(void)
{
	static uint64_t sent_ms;
	static int sent_stressed;
	char status[sizeof(last_status)];
	struct master_counts n;
	uint64_t now = timefmt_mono_ms();

	/* At most once a second, but stress at once: the master looks at its
	 * pool every few milliseconds under load, and every datagram to the
	 * service manager is one it must read (a send blocks when its queue
	 * is full). */
	if (sent_ms != 0 && now - sent_ms < MASTER_TICK_MS &&
	    stressed == sent_stressed)
		return;
	master_count(&n);
	snprintf(status, sizeof(status),
	    "port %d, %s, %d workers (%d busy, %d idle)%s", env->port,
	    env->cfg.service, n.total, n.busy, n.idle,
	    stressed ? ", under stress: all workers busy, clients wait" : "");
	if (strcmp(status, last_status) != 0) {
		strlcpy(last_status, status, sizeof(last_status));
		sd_notifyf(0, "STATUS=%s", status);
		sent_ms = now;
		sent_stressed = stressed;
	}
}

/*
 * TERM or INT: stop taking connections, let those in flight finish within
 * graceful_timeout. A second one, or QUIT: stop now. Someone at a terminal
 * is told what the server waits for.
 */
static void
master_begin_stop(int sig)
{
	int graceful = sig != SIGQUIT && !stopping, i;
	struct master_counts n;

	if (stopping && stop_killed)
		return;
	master_count(&n);
	log_event("stop", "signal=%s mode=%s workers=%d connections=%d",
	    sigabbrev_np(sig), graceful ? "graceful" : "immediate",
	    master_live(), n.serving);
	if (!stopping)
		sd_notify(0, "STOPPING=1");
	__atomic_store_n(&scoreboard_header_rw()->stopping, 1,
	    __ATOMIC_RELEASE);
	if (env->listen_fd != -1) {
		close(env->listen_fd);
		env->listen_fd = -1;
	}
	for (i = 0; i < MASTER_SLOTS; i++)
		if (children[i].pid != 0 && !children[i].killed)
			master_signal_child(i, graceful ? SIGTERM : SIGKILL);
	if (graceful && n.serving > 0)
		fprintf(stderr, "sockbind: stopping: waiting for %d "
		    "connection%s, at most %d s; interrupt again to stop now\n",
		    n.serving, n.serving == 1 ? "" : "s",
		    env->cfg.graceful_timeout);
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
 * does not preempt the process that woke it, so the processes switch less
 * often (figures in docs/bench/), for at most a scheduler tick of delay when
 * every CPU is busy. Unprivileged; under a seccomp filter that forbids it,
 * the unit's CPUSchedulingPolicy= decides.
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

/* The checked configuration replaces the running one. */
static void
master_reload_apply(struct config *next)
{
	struct config *cur = &env->cfg;
	char err[512];
	int i;

	if (log_reopen(next->log_path, err, sizeof(err)) == -1) {
		master_reload_refused(err);
		return;
	}
	log_set_max_message(next->max_message);
	*cur = *next;
	master_scheduling(cur);
	gen++;
	pool_floor = cur->start;
	rapid_deaths = boot_failures = 0;
	respawn_after_ms = 0;
	__atomic_store_n(&scoreboard_header_rw()->max_workers,
	    cur->max_workers, __ATOMIC_RELAXED);
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
	/* The status listener follows the new [server] status_clients. */
	master_status_end(0);
	sd_notify(0, "READY=1");
}

/*
 * The store may keep whoever opens it waiting (another writer, a database
 * that does not answer), and the master must never wait: a child of ours
 * opens it, and the reload goes on when the child is reaped
 * (master_reload_checked()). Returns 0 when the check is under way.
 */
static int
master_reload_check_store(char *err, size_t errlen)
{
	int p[2];
	pid_t pid;

	if (pipe2(p, O_CLOEXEC | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "reload: pipe: %s", strerror(errno));
		return -1;
	}
	if ((pid = master_fork()) == -1) {
		snprintf(err, errlen, "reload: fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid == 0) {
		close(p[0]);
		if (store_init(&reload.next, err, errlen) == 0)
			_exit(0);
		if (write(p[1], err, strlen(err)) == -1) {
			/* The master then says "store check failed". */
		}
		_exit(1);
	}
	close(p[1]);
	reload.pid = pid;
	reload.fd = p[0];
	return 0;
}

static void
master_reload(void)
{
	struct config *cur = &env->cfg;
	char err[512];

	if (reload.pid != 0) {
		reload.again = 1;
		return;
	}
	sd_notify(0, "RELOADING=1");
	/* Clean, so KEEP() compares strings, not what a refused load left
	 * after them. */
	memset(&reload.next, 0, sizeof(reload.next));
	if (config_load(env->config_path, &reload.next, err,
	    sizeof(err)) == -1) {
		master_reload_refused(err);
		return;
	}
	/* What the running master holds cannot change without a restart. */
#define KEEP(field) do {						\
	if (memcmp(&reload.next.field, &cur->field,			\
	    sizeof(reload.next.field)) != 0)				\
		log_event("reload_kept", "key=%s reason=\"needs a restart\"",\
		    #field);						\
	memcpy(&reload.next.field, &cur->field, sizeof(reload.next.field));\
} while (0)
	KEEP(listen);
	KEEP(port_min);
	KEEP(port_max);
	KEEP(port_file);
	KEEP(pidfile);
	KEEP(user);
	KEEP(status_listen);
#undef KEEP
	if (!service_uses_store(reload.next.service)) {
		master_reload_apply(&reload.next);
		return;
	}
	if (master_reload_check_store(err, sizeof(err)) == -1)
		master_reload_refused(err);
}

static void
master_reload_checked(int status)
{
	char err[512];
	ssize_t n;

	n = read(reload.fd, err, sizeof(err) - 1);
	err[n > 0 ? n : 0] = '\0';
	close(reload.fd);
	reload.fd = -1;
	reload.pid = 0;
	if (stopping)
		return;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		master_reload_apply(&reload.next);
	else
		master_reload_refused(err[0] != '\0' ? err :
		    "store check failed");
	if (reload.again) {
		reload.again = 0;
		master_reload();
	}
}

static void
master_handle(int sig)
{
	struct master_counts n;
	char err[512];

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
		master_count(&n);
		if (n.total > pool_floor)
			master_retire_idle("ttou");
		break;
	}
}

/* Whether to watch the listening socket: a connection that waits wakes us
 * at once, but not more often than every MASTER_DEMAND_MUTE_MS. */
static int
master_watch_queue(uint64_t now)
{
	return !stopping && env->listen_fd != -1 &&
	    now >= demand_muted_until_ms;
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
	if (!stopping && demand_muted_until_ms > now &&
	    demand_muted_until_ms < until)
		until = demand_muted_until_ms;
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
			if (write(env->ready_fd, "", 1) == -1) {
				/* The -d parent is gone: none to tell. */
			}
			master_detach();
		}
	}
}

static void
master_give_up(void)
{
	pid_t pid;
	int i, status;

	log_event("fatal", "reason=\"workers fail at start-up\" failures=%u",
	    boot_failures);
	fprintf(stderr, "sockbind: workers fail at start-up (%u in a row); "
	    "see the log %s\n", boot_failures, env->cfg.log_path);
	for (i = 0; i < MASTER_SLOTS; i++)
		if (children[i].pid != 0)
			master_signal_child(i, SIGKILL);
	/* Every child's end is recorded, as on any other turn. */
	while ((master_live() > 0 || reload.pid != 0) &&
	    (pid = waitpid(-1, &status, 0)) > 0)
		master_reap_one(pid, status);
	exit_status = EXIT_START;
}

int
master_run(struct master_env *e)
{
	struct pollfd pfd[2];
	unsigned char sigs[64];
	ssize_t n, i;
	uint64_t now;
	char err[128];
	int nfds;

	env = e;
	pool_floor = env->cfg.start;
	if (scoreboard_init(MASTER_SLOTS, err, sizeof(err)) == -1)
		fatalx("%s", err);
	scoreboard_header_rw()->master = getpid();
	scoreboard_header_rw()->port = env->port;
	scoreboard_header_rw()->started = time(NULL);
	scoreboard_header_rw()->max_workers = env->cfg.max_workers;
	strlcpy(scoreboard_header_rw()->service, env->cfg.service,
	    sizeof(scoreboard_header_rw()->service));
	fork_tokens_ms = timefmt_mono_ms();
	master_signals();
	master_scheduling(&env->cfg);
	setproctitle("master port %d", env->port);
	master_manage();
	master_status_keep();
	sd_notifyf(0, "READY=1\nMAINPID=%d", (int)getpid());

	for (;;) {
		pfd[0].fd = selfpipe[0];
		pfd[0].events = POLLIN;
		pfd[1].fd = env->listen_fd;
		pfd[1].events = POLLIN;
		pfd[1].revents = 0;
		nfds = master_watch_queue(timefmt_mono_ms()) ? 2 : 1;
		if (poll(pfd, nfds, master_timeout()) > 0 &&
		    (pfd[0].revents & POLLIN)) {
			while ((n = read(selfpipe[0], sigs,
			    sizeof(sigs))) > 0)
				for (i = 0; i < n; i++)
					master_handle(sigs[i]);
		}
		now = timefmt_mono_ms();
		if (nfds == 2 && (pfd[1].revents & POLLIN))
			demand_muted_until_ms = now + MASTER_DEMAND_MUTE_MS;
		master_reap();
		if (stopping) {
			if (master_live() == 0)
				break;
			master_stop_deadline();
		} else {
			master_murder();
			master_manage();
			master_check_ready();
			master_status_keep();
			if (pool_boot_give_up(boot_failures)) {
				master_give_up();
				break;
			}
			master_notify_status();
		}
		log_flush_pending();
	}
	master_status_end(1);
	log_event("exit", "status=%d", exit_status);
	log_flush_pending();
	return exit_status;
}
