/* worker.c -- a pre-forked worker (see worker.h). */
#include <sys/prctl.h>
#include <sys/socket.h>

#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/conn.h"
#include "daemon/pool.h"
#include "daemon/proxy.h"
#include "daemon/refusals.h"
#include "daemon/scoreboard.h"
#include "daemon/service.h"
#include "daemon/sockbind.h"
#include "daemon/store.h"
#include "daemon/worker.h"
#include "shared/log.h"
#include "shared/timefmt.h"

#define WORKER_OWNER_WAIT_MS	2000

static volatile sig_atomic_t	stop_requested;
static volatile sig_atomic_t	retire_requested;
static volatile sig_atomic_t	quit_requested;
static volatile sig_atomic_t	orphaned;

static size_t		 slot;
static pid_t		 master_pid;
static int		 listen_fd = -1;
static uint64_t		 stop_deadline_ms;
static int		 graceful_ms;
static uint64_t		 stress_idle_ms;
static const char	*failpoint_marker;
static uint64_t		 published_in, published_out;

static void
worker_signal(int sig)
{
	switch (sig) {
	case SIGTERM:
		stop_requested = 1;
		break;
	case SIGQUIT:
		quit_requested = 1;
		break;
	case SIGUSR2:
		orphaned = 1;
		break;
	case SIGUSR1:
		break;		/* a wake-up: the scoreboard says why */
	}
}

/* Retire: from the master only. A terminal's hangup reaches the whole
 * process group, and whether to reload is the master's to decide (it
 * refuses a bad configuration and keeps its workers). */
static void
worker_hup(int sig, siginfo_t *info, void *ctx)
{
	(void)sig;
	(void)ctx;
	if (info != NULL && info->si_pid == master_pid)
		retire_requested = 1;
}

static void
worker_signals(void)
{
	static const int ignored[] = { SIGINT, SIGTTIN, SIGTTOU, SIGPIPE,
	    SIGXFSZ };
	struct sigaction sa;
	sigset_t none;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a signal must interrupt accept() and poll(). */
	sa.sa_handler = worker_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGQUIT, &sa, NULL);
	sigaction(SIGUSR2, &sa, NULL);
	/* The master wakes a busy worker whose client it lets go. */
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_flags = SA_SIGINFO;
	sa.sa_sigaction = worker_hup;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_flags = 0;
	/* The terminal's ^C reaches the whole process group: only the
	 * master decides what it means. */
	sa.sa_handler = SIG_IGN;
	for (i = 0; i < sizeof(ignored) / sizeof(ignored[0]); i++)
		sigaction(ignored[i], &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGCHLD, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static int	worker_heed(int, const char **);

/* While waiting for the log lock, we are alive and waiting, not stuck. */
static int
worker_log_wait(void)
{
	scoreboard_beat();
	return 0;
}

/* Waiting for the store too; but a worker that must end gives up on it
 * (the master gone, an immediate stop, the graceful deadline passed):
 * the checks of any wake-up, where a stop's deadline is set by the first. */
static int
worker_store_wait(void)
{
	const char *why;

	return worker_heed(1, &why);
}

/*
 * Testing aids, set in the environment, that let the tests reach states no
 * client can cause:
 *  SOCKBIND_FAILPOINT=log_stop:MARKER  a worker stops itself (SIGSTOP) while
 *      holding the log lock, just before writing a record containing MARKER:
 *      proves a stuck lock holder is killed and logging goes on;
 *  SOCKBIND_FAILPOINT=boot_fail  every worker fails before it is ready:
 *      proves the master gives up instead of respawning forever.
 */
static void
worker_failpoint(const char *record, size_t len)
{
	if (memmem(record, len, failpoint_marker,
	    strlen(failpoint_marker)) != NULL)
		raise(SIGSTOP);
}

static void
worker_failpoint_init(void)
{
	const char *fp = getenv("SOCKBIND_FAILPOINT");

	if (fp != NULL && strcmp(fp, "boot_fail") == 0)
		_exit(EXIT_BOOT);
	if (fp != NULL && strncmp(fp, "log_stop:", 9) == 0 && fp[9] != '\0') {
		failpoint_marker = fp + 9;
		log_set_fault_hook(worker_failpoint);
	}
}

static uint64_t
worker_stop_deadline(void)
{
	return stop_deadline_ms;
}

/*
 * On every wake-up: beat the heart, and heed what the master asked. The
 * master gone or an immediate stop: -1 with a reason, the connection ends
 * now (the listening socket is closed first, so that a new sockbind can
 * bind the port at once). Asked to stop or retire: take no other
 * connection; stopping, end the one in hand at the graceful deadline.
 */
static int
worker_heed(int timed_out, const char **reason)
{
	scoreboard_beat();
	if (orphaned || (timed_out && getppid() != master_pid)) {
		orphaned = 1;
		if (listen_fd != -1) {
			close(listen_fd);
			listen_fd = -1;
		}
		*reason = "master gone";
		return -1;
	}
	if (quit_requested) {
		*reason = "server stopped";
		return -1;
	}
	if ((stop_requested || retire_requested) && listen_fd != -1) {
		/* Let the connection in hand finish, take no other. */
		close(listen_fd);
		listen_fd = -1;
		scoreboard_set(SB_STOPPING, NULL, NULL);
	}
	/* Retiring, it finishes under the connection's own limits; stopping,
	 * within graceful_timeout. */
	if (stop_requested) {
		if (stop_deadline_ms == 0)
			stop_deadline_ms = timefmt_mono_ms() + graceful_ms;
		if (timefmt_mono_ms() >= stop_deadline_ms) {
			*reason = "server shutdown";
			return -1;
		}
	}
	return 0;
}

/* The connection's guard (conn.h): the worker's checks, the master's
 * requests under stress, and what the scoreboard shows of the client. */
static int
worker_check_conn(struct conn *c, int timed_out)
{
	const struct sb_header *h = scoreboard_header();

	if (worker_heed(timed_out, &c->reason) == -1) {
		c->end = CONN_SHUTDOWN;
		return -1;
	}
	scoreboard_quiet(c->working ? 0 : c->last_io_ms);
	scoreboard_add(SB_BYTES_IN, c->bytes_in - published_in);
	scoreboard_add(SB_BYTES_OUT, c->bytes_out - published_out);
	published_in = c->bytes_in;
	published_out = c->bytes_out;
	if (scoreboard_cut_request(slot) == scoreboard_own(SB_ACCEPTED)) {
		c->end = CONN_BUSY;
		c->reason = "let go: server under stress";
		return -1;
	}
	c->stress_idle_ms = __atomic_load_n(&h->stress, __ATOMIC_RELAXED) ?
	    stress_idle_ms : 0;
	return 0;
}

static const struct conn_guard worker_guard = {
	worker_check_conn,
	worker_stop_deadline,
};

static void
worker_refusal_summary(const char *host, const char *reason, unsigned count,
    uint64_t window_ms)
{
	log_event("refused_repeat", "host=%s reason=%s count=%u window_ms=%llu",
	    host, reason, count, (unsigned long long)window_ms);
}

/*
 * Too many connections from one address: say so where the protocol has a
 * way to (an echo client would take the words for its echo), close. One
 * record for the first refusal of an address in a while, then a count
 * (refusals.h): no connect and disconnect records for what is not served.
 */
static void
worker_refuse(int fd, const struct service *svc, const char *peer,
    const char *host, int others, int limit)
{
	char text[160], frame[4 + sizeof(text)];
	int n;

	n = snprintf(text, sizeof(text), "%stoo many connections from %s "
	    "(%d open, limit %d)", svc->refusal >= SERVICE_REFUSE_CODED ?
	    "ERR 421 " : "ERR ", host, others, limit);
	if (svc->refusal == SERVICE_REFUSE_FRAME) {
		frame[0] = frame[1] = 0;
		frame[2] = (unsigned char)(n >> 8);
		frame[3] = (unsigned char)n;
		memcpy(frame + 4, text, n);
		(void)send(fd, frame, 4 + n, MSG_NOSIGNAL | MSG_DONTWAIT);
	} else if (svc->refusal != SERVICE_REFUSE_SILENT) {
		text[n] = '\n';
		(void)send(fd, text, n + 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	}
	scoreboard_add(SB_REFUSED_PER_SOURCE, 1);
	if (refusals_note(host, "per_source", timefmt_mono_ms(),
	    worker_refusal_summary))
		log_event("refused", "client=%s reason=per_source open=%d "
		    "limit=%d", peer, others, limit);
}

/* How the connection ended, in the slot's counters. */
static void
worker_count_end(const struct conn *c)
{
	scoreboard_add(SB_BYTES_IN, c->bytes_in - published_in);
	scoreboard_add(SB_BYTES_OUT, c->bytes_out - published_out);
	if (c->end == CONN_BUSY)
		scoreboard_add(SB_CUT_STRESS, 1);
	else if (c->end == CONN_TIMEOUT)
		scoreboard_add(c->send_stall_ms ? SB_ENDED_SEND :
		    SB_ENDED_IDLE, 1);
}

static void
worker_serve(int fd, const struct sockaddr *peer, const struct config *cfg)
{
	const struct service *svc = service_find(cfg->service);
	char client[NET_ADDRSTRLEN], host[NET_ADDRSTRLEN];
	struct conn c;
	int n;

	net_addr_str(peer, client, sizeof(client));
	net_addr_host(peer, host, sizeof(host));
	scoreboard_add(SB_ACCEPTED, 1);
	scoreboard_set(SB_BUSY, client, host);
	/* Counted with ourselves in: over the limit means refuse. */
	if (cfg->per_source > 0 &&
	    (n = scoreboard_count_host(host)) > cfg->per_source) {
		worker_refuse(fd, svc, client, host, n - 1, cfg->per_source);
		close(fd);
		scoreboard_served();
		return;
	}
	published_in = published_out = 0;
	conn_open(&c, fd, client, host, svc->name, svc->log_text, cfg);
	setproctitle("worker %s %s", c.peer, svc->name);
	svc->serve(&c, cfg);
	worker_count_end(&c);
	conn_close(&c);
	scoreboard_served();
}

void
worker_main(const struct worker_args *args)
{
	struct sockaddr_storage peer;
	uint64_t served = 0, limit;
	socklen_t len;
	const char *why;
	int fd, timed_out = 1, wait;

	/* Known before any handler runs: a SIGHUP from the master that
	 * arrives at once is checked against it. */
	master_pid = args->master;
	listen_fd = args->listen_fd;
	graceful_ms = args->cfg->graceful_timeout * 1000;
	stress_idle_ms = (uint64_t)args->cfg->stress_idle_timeout * 1000;
	slot = args->slot;
	worker_signals();
	scoreboard_claim(slot, getpid(), args->cfg->service);
	conn_set_guard(&worker_guard);
	log_set_wait_hook(worker_log_wait);
	store_set_wait_hook(worker_store_wait);
	/* One write(2) per exchange; flushed before every wait. */
	log_set_batch(1);
	worker_failpoint_init();

	/* The master may have died before we asked to hear of it. */
	if (prctl(PR_SET_PDEATHSIG, SIGUSR2) == -1 ||
	    getppid() != master_pid)
		_exit(EXIT_BOOT);
	limit = pool_request_limit(args->cfg->max_requests, arc4random());
	/* Serve only once the master lists us as the slot's owner: until
	 * then the other workers' per-source counts cannot see us. */
	for (wait = 0; scoreboard_owner(args->slot) != getpid(); wait++) {
		/* A master killed meanwhile never will: leave at once, so
		 * that the port is free for the next sockbind. */
		if (orphaned || getppid() != master_pid)
			_exit(0);
		if (wait == WORKER_OWNER_WAIT_MS) {
			log_warnx("worker: the master never listed slot %zu",
			    args->slot);
			log_flush();
			_exit(EXIT_BOOT);
		}
		poll(NULL, 0, 1);
	}

	/* Ready first: a worker killed now is no start-up failure. */
	scoreboard_set(SB_IDLE, "", "");
	setproctitle("worker idle");
	while (served < limit) {
		if (worker_heed(timed_out, &why) == -1 || stop_requested ||
		    retire_requested)
			break;
		refusals_flush(timefmt_mono_ms(), 0, worker_refusal_summary);
		log_flush();
		len = sizeof(peer);
		fd = accept4(listen_fd, (struct sockaddr *)&peer, &len,
		    SOCK_CLOEXEC);
		/* Only a quiet second asks whether the master is still there
		 * (getppid); a busy worker hears of it by SIGUSR2. */
		timed_out = fd == -1 && errno == EAGAIN;
		if (fd == -1) {
			if (errno == EAGAIN || errno == EINTR ||
			    errno == ECONNABORTED)
				continue;
			log_warn("worker: accept");
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM) {
				/* Out of resources: back off, do not spin. */
				poll(NULL, 0, 100);
				continue;
			}
			log_flush();
			_exit(EXIT_START);
		}
		/* Behind a proxy, the client is who its header says. */
		if (proxy_accept(fd, &peer, args->cfg, worker_heed,
		    worker_refusal_summary) == -1) {
			close(fd);
			continue;
		}
		worker_serve(fd, (struct sockaddr *)&peer, args->cfg);
		served++;
		if (quit_requested || orphaned)
			break;
		scoreboard_set(SB_IDLE, "", "");
		setproctitle("worker idle");
	}
	refusals_flush(timefmt_mono_ms(), 1, worker_refusal_summary);
	if (served >= limit)
		log_event("worker_retire", "reason=max_requests served=%llu",
		    (unsigned long long)served);
	if (orphaned)
		log_event("worker_orphaned", "reason=\"master gone\"");
	log_flush();
	_exit(0);
}
