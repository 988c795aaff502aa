/*
 * load.c -- a loopback load generator for sockbind's benchmark.
 *
 * N connections, each in a loop of round trips, for a fixed time:
 *  persistent  one connection per slot; send a line, wait for all of it to
 *              come back, again and again;
 *  reconnect   per round trip: connect, send, read the reply, close.
 * Every reply byte is checked: an echo must be exactly what was sent (each
 * request is unique: slot, sequence number, filler), or, with -r, the fixed
 * reply of a redis PING ("PING\r\n" -> "+PONG\r\n").
 *
 * One epoll loop per thread (one thread by default: the machine has two
 * cores and the servers need them too). Slots may bind to source addresses
 * 127.0.0.1 .. 127.0.0.N before connecting, because one source address caps
 * reconnects with TIME_WAIT. Latencies go into a log-linear histogram (1/64
 * relative precision), so memory stays fixed however long the run.
 *
 * Everything is bounded: the run ends after warm-up + duration whatever
 * happens, a round trip stuck past the timeout counts as an error, and an
 * alarm ends the process if the loop itself were ever stuck.
 */
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOAD_MAX_CONNS		20000
#define LOAD_MAX_THREADS	16
#define LOAD_MAX_MSG		4096
#define LOAD_SUB_BITS		6	/* 64 sub-buckets per power of two */
#define LOAD_SUB		(1 << LOAD_SUB_BITS)
#define LOAD_BUCKETS		(LOAD_SUB * 2 + 58 * LOAD_SUB)
#define LOAD_BACKOFF_NS		10000000ULL	/* after an error: 10 ms */

enum mode { MODE_PERSISTENT, MODE_RECONNECT };

enum state {
	ST_BACKOFF,	/* waiting until retry_ns, no socket */
	ST_CONNECTING,	/* connect() in progress: waiting for EPOLLOUT */
	ST_SENDING,	/* request partly written: waiting for EPOLLOUT */
	ST_RECEIVING	/* waiting for the rest of the reply */
};

enum err {
	ERR_CONNECT, ERR_IO, ERR_EOF, ERR_MISMATCH, ERR_TIMEOUT, ERR_NKINDS
};

static const char *const err_names[ERR_NKINDS] = {
	"connect", "io", "eof", "mismatch", "timeout"
};

struct slot {
	int		 fd;
	int		 id;
	uint32_t	 events;	/* what epoll watches for on fd */
	enum state	 state;
	uint64_t	 seq;
	uint64_t	 t_start;	/* this round trip began (ns) */
	uint64_t	 retry_ns;
	size_t		 sent;
	size_t		 got;
	uint64_t	 rt_total;	/* round trips, warm-up included */
	uint64_t	 rt_measured;
	char		 req[LOAD_MAX_MSG];
	size_t		 reqlen;
};

struct thread {
	pthread_t	 tid;
	int		 ep;
	struct slot	*slots;
	int		 nslots;
	uint64_t	 rt;		/* measured round trips */
	uint64_t	 bytes_out;	/* the whole run, warm-up included */
	uint64_t	 bytes_in;
	uint64_t	 errors[ERR_NKINDS];
	uint64_t	 hist[LOAD_BUCKETS];
	uint64_t	 max_ns;
};

/* The run's parameters: set once before the threads start, then read only. */
static struct {
	enum mode	 mode;
	struct sockaddr_in dst;
	int		 conns;
	int		 threads;
	int		 nsrc;
	int		 size;
	int		 redis;
	uint64_t	 warm_min_ns;
	uint64_t	 warm_max_ns;
	uint64_t	 dur_ns;
	uint64_t	 timeout_ns;
	uint64_t	 t0;
	const char	*label;
} opt;

static const char redis_req[] = "PING\r\n";
static const char redis_rep[] = "+PONG\r\n";

/*
 * Shared across threads. The main thread opens the measured window
 * (measure_from, measure_until: 0 until then) once the warm-up is over; the
 * workers count only what completes inside it. served_total counts slots
 * that completed a first round trip, so the warm-up can wait for all.
 */
static uint64_t	 measure_from;
static uint64_t	 measure_until;
static int	 served_total;
static uint64_t	 all_served_ns;	/* when the last slot got its first reply */
static pthread_mutex_t served_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t served_cond = PTHREAD_COND_INITIALIZER;

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Log-linear bucket of a value in ns: exact below 128, then 64 per octave. */
static int
hist_bucket(uint64_t v)
{
	int e, shift;

	if (v < 2 * LOAD_SUB)
		return (int)v;
	e = 63 - __builtin_clzll(v);
	shift = e - LOAD_SUB_BITS;
	return 2 * LOAD_SUB + (e - LOAD_SUB_BITS - 1) * LOAD_SUB +
	    (int)((v >> shift) - LOAD_SUB);
}

/* The middle of a bucket, in ns. */
static double
hist_value(int b)
{
	int e, shift;

	if (b < 2 * LOAD_SUB)
		return b;
	e = (b - 2 * LOAD_SUB) / LOAD_SUB + LOAD_SUB_BITS + 1;
	shift = e - LOAD_SUB_BITS;
	return (double)((uint64_t)((b - 2 * LOAD_SUB) % LOAD_SUB + LOAD_SUB)
	    << shift) + (double)(1ULL << shift) / 2;
}

static double
hist_quantile(const uint64_t *hist, uint64_t n, double q)
{
	uint64_t want, seen = 0;
	int b;

	if (n == 0)
		return 0;
	want = (uint64_t)(q * (double)n);
	if (want >= n)
		want = n - 1;
	for (b = 0; b < LOAD_BUCKETS; b++) {
		seen += hist[b];
		if (seen > want)
			return hist_value(b);
	}
	return hist_value(LOAD_BUCKETS - 1);
}

/* A unique request: slot, sequence, filler, newline; exactly size bytes. */
static void
slot_request(struct slot *s)
{
	size_t i, n;

	if (opt.redis) {
		memcpy(s->req, redis_req, sizeof(redis_req) - 1);
		s->reqlen = sizeof(redis_req) - 1;
		return;
	}
	n = (size_t)snprintf(s->req, sizeof(s->req), "c%05d s%012llu ",
	    s->id, (unsigned long long)s->seq);
	for (i = n; i < (size_t)opt.size - 1; i++)
		s->req[i] = (char)('a' + (s->seq + i) % 26);
	s->req[opt.size - 1] = '\n';
	s->reqlen = (size_t)opt.size;
}

static const char *
slot_expect(const struct slot *s, size_t *len)
{
	if (opt.redis) {
		*len = sizeof(redis_rep) - 1;
		return redis_rep;
	}
	*len = s->reqlen;
	return s->req;
}

static uint64_t
window_get(uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static int
in_window(uint64_t now)
{
	uint64_t from = window_get(&measure_from);

	return from != 0 && now >= from && now < window_get(&measure_until);
}

static void
slot_close(struct thread *t, struct slot *s)
{
	if (s->fd != -1) {
		epoll_ctl(t->ep, EPOLL_CTL_DEL, s->fd, NULL);
		close(s->fd);
	}
	s->fd = -1;
	s->events = 0;
}

static void
slot_error(struct thread *t, struct slot *s, enum err kind, uint64_t now)
{
	if (in_window(now))
		t->errors[kind]++;
	slot_close(t, s);
	s->state = ST_BACKOFF;
	s->retry_ns = now + LOAD_BACKOFF_NS;
}

/* Watch fd for events: add it, or change what is watched if it differs. */
static int
slot_want(struct thread *t, struct slot *s, uint32_t events)
{
	struct epoll_event ev;

	if (s->events == events)
		return 0;
	memset(&ev, 0, sizeof(ev));
	ev.events = events;
	ev.data.ptr = s;
	if (epoll_ctl(t->ep, s->events == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD,
	    s->fd, &ev) == -1)
		return -1;
	s->events = events;
	return 0;
}

/* Write what is left of the request; then wait for the reply. */
static void
slot_send(struct thread *t, struct slot *s, uint64_t now)
{
	ssize_t n;

	while (s->sent < s->reqlen) {
		n = send(s->fd, s->req + s->sent, s->reqlen - s->sent,
		    MSG_NOSIGNAL);
		if (n > 0) {
			s->sent += (size_t)n;
			t->bytes_out += (uint64_t)n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			if (slot_want(t, s, EPOLLOUT) == -1)
				slot_error(t, s, ERR_IO, now);
			else
				s->state = ST_SENDING;
			return;
		}
		slot_error(t, s, ERR_IO, now);
		return;
	}
	if (slot_want(t, s, EPOLLIN) == -1) {
		slot_error(t, s, ERR_IO, now);
		return;
	}
	s->state = ST_RECEIVING;
}

/* Open a socket and start connecting; the round trip's clock starts here. */
static void
slot_connect(struct thread *t, struct slot *s, uint64_t now)
{
	struct sockaddr_in src;
	int one = 1;

	s->t_start = now;
	s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd == -1) {
		slot_error(t, s, ERR_CONNECT, now);
		return;
	}
	setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (opt.nsrc > 1) {
		/* Let connect() pick the port, per destination. */
		setsockopt(s->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof(one));
		memset(&src, 0, sizeof(src));
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(0x7f000001u +
		    (uint32_t)(s->id % opt.nsrc));
		if (bind(s->fd, (struct sockaddr *)&src, sizeof(src)) == -1) {
			slot_error(t, s, ERR_CONNECT, now);
			return;
		}
	}
	if (connect(s->fd, (struct sockaddr *)&opt.dst, sizeof(opt.dst)) ==
	    0) {
		slot_send(t, s, now);
		return;
	}
	if (errno != EINPROGRESS || slot_want(t, s, EPOLLOUT) == -1) {
		slot_error(t, s, ERR_CONNECT, now);
		return;
	}
	s->state = ST_CONNECTING;
}

/* Begin a round trip: a new request on the open connection, or a new one. */
static void
slot_begin(struct thread *t, struct slot *s, uint64_t now)
{
	s->seq++;
	s->sent = s->got = 0;
	slot_request(s);
	if (s->fd == -1) {
		slot_connect(t, s, now);
		return;
	}
	s->t_start = now;
	slot_send(t, s, now);
}

static void
slot_done(struct thread *t, struct slot *s, uint64_t now)
{
	uint64_t lat = now - s->t_start;

	if (s->rt_total++ == 0) {
		pthread_mutex_lock(&served_lock);
		if (++served_total == opt.conns) {
			all_served_ns = now;
			pthread_cond_signal(&served_cond);
		}
		pthread_mutex_unlock(&served_lock);
	}
	if (in_window(now)) {
		t->rt++;
		s->rt_measured++;
		t->hist[hist_bucket(lat)]++;
		if (lat > t->max_ns)
			t->max_ns = lat;
	}
	if (opt.mode == MODE_RECONNECT)
		slot_close(t, s);
}

/*
 * Read what is there of the reply and check it byte for byte against what
 * is expected. 1: the reply is complete; 0: more to come; -1: error.
 */
static int
slot_receive(struct thread *t, struct slot *s, uint64_t now)
{
	char buf[LOAD_MAX_MSG];
	const char *want;
	size_t wantlen;
	ssize_t n;

	want = slot_expect(s, &wantlen);
	for (;;) {
		n = recv(s->fd, buf, sizeof(buf), 0);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return 0;
		if (n == -1) {
			slot_error(t, s, ERR_IO, now);
			return -1;
		}
		if (n == 0) {
			slot_error(t, s, ERR_EOF, now);
			return -1;
		}
		if ((size_t)n > wantlen - s->got ||
		    memcmp(buf, want + s->got, (size_t)n) != 0) {
			slot_error(t, s, ERR_MISMATCH, now);
			return -1;
		}
		t->bytes_in += (uint64_t)n;
		s->got += (size_t)n;
		if (s->got == wantlen)
			return 1;
	}
}

static void
slot_event(struct thread *t, struct slot *s, uint64_t now)
{
	socklen_t len;
	int err;

	switch (s->state) {
	case ST_CONNECTING:
		len = sizeof(err);
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) ==
		    -1 || err != 0) {
			slot_error(t, s, ERR_CONNECT, now);
			return;
		}
		slot_send(t, s, now);
		return;
	case ST_SENDING:
		slot_send(t, s, now);
		return;
	case ST_RECEIVING:
		if (slot_receive(t, s, now) == 1) {
			slot_done(t, s, now);
			slot_begin(t, s, now);
		}
		return;
	case ST_BACKOFF:
		return;
	}
}

/* Retry slots whose back-off is over; fail round trips past the timeout. */
static void
thread_sweep(struct thread *t, uint64_t now)
{
	struct slot *s;
	int i;

	for (i = 0; i < t->nslots; i++) {
		s = &t->slots[i];
		if (s->state == ST_BACKOFF) {
			if (now >= s->retry_ns)
				slot_begin(t, s, now);
		} else if (now - s->t_start > opt.timeout_ns)
			slot_error(t, s, ERR_TIMEOUT, now);
	}
}

static void *
thread_main(void *arg)
{
	struct thread *t = arg;
	struct epoll_event evs[256];
	uint64_t now, until, next_sweep;
	int i, n;

	now = now_ns();
	for (i = 0; i < t->nslots; i++)
		slot_begin(t, &t->slots[i], now);
	next_sweep = now + LOAD_BACKOFF_NS;
	for (;;) {
		n = epoll_wait(t->ep, evs, 256, 10);
		if (n == -1 && errno != EINTR) {
			perror("load: epoll_wait");
			exit(1);
		}
		now = now_ns();
		for (i = 0; i < n; i++)
			slot_event(t, evs[i].data.ptr, now);
		until = window_get(&measure_until);
		if (until != 0 && now >= until)
			break;
		if (now >= next_sweep) {
			thread_sweep(t, now);
			next_sweep = now + LOAD_BACKOFF_NS;
		}
	}
	for (i = 0; i < t->nslots; i++)
		slot_close(t, &t->slots[i]);
	return NULL;
}

static void
usage(void)
{
	fprintf(stderr,
"usage: load -p port [-H addr] [-m persistent|reconnect] [-c conns]\n"
"            [-d seconds] [-w min[:max]] [-s nsrc] [-b bytes] [-r]\n"
"            [-t threads] [-T timeout] [-l label] [-k]\n"
"  -c  concurrent connections (default 1)\n"
"  -d  measured seconds (default 5)\n"
"  -w  warm-up seconds before measuring: at least min; with :max, also\n"
"      until every connection has had a reply, for at most max (default 1)\n"
"  -s  spread connections over source addresses 127.0.0.1..127.0.0.N\n"
"  -b  request size in bytes, a line ending in LF (default 64)\n"
"  -r  redis: send PING\\r\\n, expect +PONG\\r\\n\n"
"  -T  seconds a round trip may take before it counts as an error (30)\n"
"  -k  print one line of key=value fields instead of a report\n");
	exit(2);
}

static double
num_arg(const char *s, double lo, double hi, const char *what)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "load: %s: %s: must be from %g to %g\n",
		    what, s, lo, hi);
		exit(2);
	}
	return v;
}

static uint64_t
sec_ns(double s)
{
	return (uint64_t)(s * 1e9);
}

/* Warm up, then open the measured window and wait for it to close. */
static void
run_window(void)
{
	struct timespec ts;
	uint64_t now, warm_max = opt.t0 + opt.warm_max_ns;
	uint64_t warm_min = opt.t0 + opt.warm_min_ns;

	pthread_mutex_lock(&served_lock);
	while (served_total < opt.conns && (now = now_ns()) < warm_max) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += (long)((warm_max - now) % 1000000000ULL);
		ts.tv_sec += (time_t)((warm_max - now) / 1000000000ULL);
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&served_cond, &served_lock, &ts);
	}
	pthread_mutex_unlock(&served_lock);
	while ((now = now_ns()) < warm_min) {
		ts.tv_sec = (time_t)((warm_min - now) / 1000000000ULL);
		ts.tv_nsec = (long)((warm_min - now) % 1000000000ULL);
		nanosleep(&ts, NULL);
	}
	__atomic_store_n(&measure_until, now + opt.dur_ns, __ATOMIC_RELEASE);
	__atomic_store_n(&measure_from, now, __ATOMIC_RELEASE);
}

static void
report(struct thread *th, int kv)
{
	static uint64_t hist[LOAD_BUCKETS];
	uint64_t rt = 0, errors[ERR_NKINDS] = { 0 }, errsum = 0, max_ns = 0;
	uint64_t min_slot = UINT64_MAX, r, bytes_out = 0, bytes_in = 0;
	uint64_t rt_all = 0;
	int i, j, b, never = 0, unserved = 0;
	double secs, rps, p50, p99, ramp_ms = -1;

	for (i = 0; i < opt.threads; i++) {
		rt += th[i].rt;
		bytes_out += th[i].bytes_out;
		bytes_in += th[i].bytes_in;
		for (j = 0; j < ERR_NKINDS; j++)
			errors[j] += th[i].errors[j];
		for (b = 0; b < LOAD_BUCKETS; b++)
			hist[b] += th[i].hist[b];
		if (th[i].max_ns > max_ns)
			max_ns = th[i].max_ns;
		for (j = 0; j < th[i].nslots; j++) {
			r = th[i].slots[j].rt_measured;
			if (r < min_slot)
				min_slot = r;
			if (r == 0)
				unserved++;
			if (th[i].slots[j].rt_total == 0)
				never++;
			rt_all += th[i].slots[j].rt_total;
		}
	}
	for (j = 0; j < ERR_NKINDS; j++)
		errsum += errors[j];
	secs = (double)(measure_until - measure_from) / 1e9;
	rps = (double)rt / secs;
	p50 = hist_quantile(hist, rt, 0.50) / 1e3;
	p99 = hist_quantile(hist, rt, 0.99) / 1e3;
	if (all_served_ns != 0)
		ramp_ms = (double)(all_served_ns - opt.t0) / 1e6;
	if (kv) {
		printf("label=%s mode=%s conns=%d src=%d secs=%.3f rt=%llu "
		    "rps=%.1f p50_us=%.1f p99_us=%.1f max_us=%.1f errors=%llu",
		    opt.label, opt.mode == MODE_PERSISTENT ? "persistent" :
		    "reconnect", opt.conns, opt.nsrc, secs,
		    (unsigned long long)rt, rps, p50, p99,
		    (double)max_ns / 1e3, (unsigned long long)errsum);
		for (j = 0; j < ERR_NKINDS; j++)
			printf(" err_%s=%llu", err_names[j],
			    (unsigned long long)errors[j]);
		printf(" never=%d unserved=%d min_conn_rt=%llu ramp_ms=%.1f "
		    "rt_all=%llu bytes_out=%llu bytes_in=%llu\n", never,
		    unserved, (unsigned long long)min_slot, ramp_ms,
		    (unsigned long long)rt_all, (unsigned long long)bytes_out,
		    (unsigned long long)bytes_in);
		return;
	}
	printf("%s: %s, %d connection%s, %d source address%s, %s:%d, "
	    "%.2f s measured\n", opt.label, opt.mode == MODE_PERSISTENT ?
	    "persistent" : "reconnect", opt.conns, opt.conns == 1 ? "" : "s",
	    opt.nsrc, opt.nsrc == 1 ? "" : "es", inet_ntoa(opt.dst.sin_addr),
	    ntohs(opt.dst.sin_port), secs);
	printf("  round trips  %llu (%.0f/s)\n", (unsigned long long)rt, rps);
	printf("  latency      p50 %.1f us, p99 %.1f us, max %.1f us\n", p50,
	    p99, (double)max_ns / 1e3);
	printf("  errors       %llu", (unsigned long long)errsum);
	for (j = 0; j < ERR_NKINDS; j++)
		printf("%s%s %llu", j == 0 ? " (" : ", ", err_names[j],
		    (unsigned long long)errors[j]);
	printf(")\n");
	printf("  connections  %d never had a reply, %d none while measured, "
	    "fewest round trips on one: %llu\n", never, unserved,
	    (unsigned long long)min_slot);
	if (ramp_ms >= 0)
		printf("  every connection had a reply %.1f ms after the start\n",
		    ramp_ms);
}

int
main(int argc, char *argv[])
{
	static struct thread th[LOAD_MAX_THREADS];
	struct slot *slots;
	struct rlimit rl;
	const char *host = "127.0.0.1";
	double warm_min = 1, warm_max = -1;
	char *colon;
	int ch, i, kv = 0, port = 0;

	opt.mode = MODE_PERSISTENT;
	opt.conns = opt.threads = opt.nsrc = 1;
	opt.size = 64;
	opt.dur_ns = sec_ns(5);
	opt.timeout_ns = sec_ns(30);
	opt.label = "load";
	while ((ch = getopt(argc, argv, "b:c:d:H:kl:m:p:rs:t:T:w:")) != -1) {
		switch (ch) {
		case 'b':
			opt.size = (int)num_arg(optarg, 32, LOAD_MAX_MSG, "-b");
			break;
		case 'c':
			opt.conns = (int)num_arg(optarg, 1, LOAD_MAX_CONNS,
			    "-c");
			break;
		case 'd':
			opt.dur_ns = sec_ns(num_arg(optarg, 0.1, 3600, "-d"));
			break;
		case 'H':
			host = optarg;
			break;
		case 'k':
			kv = 1;
			break;
		case 'l':
			opt.label = optarg;
			break;
		case 'm':
			if (strcmp(optarg, "persistent") == 0)
				opt.mode = MODE_PERSISTENT;
			else if (strcmp(optarg, "reconnect") == 0)
				opt.mode = MODE_RECONNECT;
			else
				usage();
			break;
		case 'p':
			port = (int)num_arg(optarg, 1, 65535, "-p");
			break;
		case 'r':
			opt.redis = 1;
			break;
		case 's':
			opt.nsrc = (int)num_arg(optarg, 1, 254, "-s");
			break;
		case 't':
			opt.threads = (int)num_arg(optarg, 1, LOAD_MAX_THREADS,
			    "-t");
			break;
		case 'T':
			opt.timeout_ns = sec_ns(num_arg(optarg, 0.01, 3600,
			    "-T"));
			break;
		case 'w':
			if ((colon = strchr(optarg, ':')) != NULL) {
				*colon = '\0';
				warm_max = num_arg(colon + 1, 0, 3600, "-w max");
			}
			warm_min = num_arg(optarg, 0, 3600, "-w");
			break;
		default:
			usage();
		}
	}
	if (optind != argc || port == 0)
		usage();
	if (warm_max < warm_min)
		warm_max = warm_min;
	opt.warm_min_ns = sec_ns(warm_min);
	opt.warm_max_ns = sec_ns(warm_max);
	if (opt.threads > opt.conns)
		opt.threads = opt.conns;
	opt.dst.sin_family = AF_INET;
	opt.dst.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &opt.dst.sin_addr) != 1) {
		fprintf(stderr, "load: -H %s: not an IPv4 address\n", host);
		return 2;
	}

	/* Room for every connection, and a hard end if the loop hangs. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	signal(SIGPIPE, SIG_IGN);
	alarm((unsigned)((opt.warm_max_ns + opt.dur_ns) / 1000000000ULL) + 30);

	if ((slots = calloc((size_t)opt.conns, sizeof(*slots))) == NULL) {
		perror("load: calloc");
		return 1;
	}
	for (i = 0; i < opt.conns; i++) {
		slots[i].fd = -1;
		slots[i].id = i;
	}
	opt.t0 = now_ns();
	for (i = 0; i < opt.threads; i++) {
		th[i].slots = slots + (size_t)opt.conns * i / opt.threads;
		th[i].nslots = opt.conns * (i + 1) / opt.threads -
		    opt.conns * i / opt.threads;
		if ((th[i].ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
			perror("load: epoll_create1");
			return 1;
		}
		if (pthread_create(&th[i].tid, NULL, thread_main, &th[i]) !=
		    0) {
			fprintf(stderr, "load: pthread_create failed\n");
			return 1;
		}
	}
	run_window();
	for (i = 0; i < opt.threads; i++)
		pthread_join(th[i].tid, NULL);
	report(th, kv);
	return 0;
}
