/* log.c -- the shared append-only log writer (see log.h for the contract). */
#include <sys/mman.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shared/escape.h"
#include "shared/log.h"
#include "shared/timefmt.h"

#define LOG_FIELDS_MAX		1024	/* room for the non-text part */
#define LOG_LOCK_FIRST_NS	10000000L	/* first wait, then the hook */
#define LOG_LOCK_SLICE_NS	100000000L
#define LOG_LOCK_SPIN_NS	20000L		/* before sleeping on it */
#define LOG_PENDING_MAX		(4 * 1024 * 1024)
#define LOG_REPORT_EVERY	30	/* seconds between failure reports */
#define LOG_BATCH_MAX		(64 * 1024)

/* State every process shares; changed only under the lock. */
struct log_shared {
	pthread_mutex_t	lock;
	unsigned	generation;	/* bumped by log_reopen() */
	unsigned long	lost;		/* records that could not be written */
	int		lost_errno;
	time_t		reported;	/* last failure report on stderr */
	uint64_t	written;	/* records written, since log_open() */
	uint64_t	dropped;	/* records lost, since log_open() */
	char		path[PATH_MAX];
};

static struct log_shared *shared;
static long	 ncpus;			/* spinning needs another CPU */
static int	 log_fdesc = -1;
static unsigned	 generation;		/* of our log_fdesc */
static char	 ident[32];
static size_t	 max_message;
static char	*recbuf;		/* one formatted record */
static size_t	 recsize;
static char	*pending;		/* records waiting for the lock */
static size_t	 pending_len;
static int	 pending_reopen;		/* asked while the lock was busy */
static char	 pending_path[PATH_MAX];	/* "" : reopen the same path */
static unsigned long pending_lost;	/* dropped while the lock was busy */
static pid_t	 log_pid;		/* getpid() is a system call */
static char	*batch;			/* records held by log_set_batch() */
static size_t	 batch_len, batch_size;
static int	 batching;
static int	 keep_failed;		/* log_set_keep_failed() */
static int	(*wait_hook)(void);
static void	(*fault_hook)(const char *, size_t);

static int	log_lock(void);
static int	log_write_all(const char *, size_t);
static int	log_write_note(const char *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
static void	log_write(const char *, size_t);
static void	log_unlock(void);
static int	log_open_file(const char *, char *, size_t);
static int	log_write_locked(const char *, size_t);
static void	log_emit(size_t);

static int
log_open_file(const char *path, char *err, size_t errlen)
{
	int fd;

	/* Readable too, where we may: log_repair_tail() reads the end. */
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1 && errno == EACCES)
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
		    0640);
	if (fd == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return fd;
}

/* A child starts with nothing held back: its parent will write those. */
static void
log_atfork_child(void)
{
	log_pid = getpid();
	batch_len = 0;
	pending_len = 0;
	pending_lost = 0;
	pending_reopen = 0;
	pending_path[0] = '\0';
	keep_failed = 0;
}

int
log_open(const char *path, const char *id, size_t maxmsg, char *err,
    size_t errlen)
{
	static int atfork_done;

	pthread_mutexattr_t attr;
	int fd;

	if (strlen(path) >= PATH_MAX) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	if ((fd = log_open_file(path, err, errlen)) == -1)
		return -1;
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		snprintf(err, errlen, "log lock: %s", strerror(errno));
		shared = NULL;
		close(fd);
		return -1;
	}
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(&shared->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	strlcpy(shared->path, path, sizeof(shared->path));
	strlcpy(ident, id, sizeof(ident));
	log_pid = getpid();
	ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	if (!atfork_done && pthread_atfork(NULL, NULL, log_atfork_child) == 0)
		atfork_done = 1;
	log_fdesc = fd;
	generation = 0;
	if (log_set_max_message(maxmsg) == -1) {
		snprintf(err, errlen, "log buffer: %s", strerror(errno));
		log_close();
		return -1;
	}
	return 0;
}

int
log_set_max_message(size_t maxmsg)
{
	size_t need = LOG_FIELDS_MAX + ESCAPE_BUFSIZE(maxmsg) + 64;
	char *p;

	if (need > recsize) {
		if ((p = realloc(recbuf, need)) == NULL)
			return -1;
		recbuf = p;
		recsize = need;
	}
	max_message = maxmsg;
	return 0;
}

void
log_set_wait_hook(int (*hook)(void))
{
	wait_hook = hook;
}

void
log_set_keep_failed(int on)
{
	keep_failed = on;
}

void
log_set_fault_hook(void (*hook)(const char *, size_t))
{
	fault_hook = hook;
}

int
log_fd(void)
{
	return log_fdesc;
}

void
log_close(void)
{
	if (log_fdesc != -1)
		close(log_fdesc);
	log_fdesc = -1;
	if (shared != NULL)
		munmap(shared, sizeof(*shared));
	shared = NULL;
	free(recbuf);
	free(pending);
	free(batch);
	recbuf = pending = batch = NULL;
	recsize = pending_len = batch_len = batch_size = 0;
}

static inline void
log_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ __volatile__("yield" ::: "memory");
#else
	__asm__ __volatile__("" ::: "memory");
#endif
}

/*
 * The lock is busy. Its holder is most likely in the middle of its one
 * write(2), a few microseconds, on another CPU: trying again for a little
 * while is cheaper than the futex sleep and wake-up that would follow
 * (under load, that was one round trip in four). Returns trylock's result.
 */
static int
log_lock_spin(void)
{
	struct timespec t0, now;
	int r, i;

	if (ncpus < 2)
		return EBUSY;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		for (i = 0; i < 16; i++)
			log_cpu_relax();
		if ((r = pthread_mutex_trylock(&shared->lock)) != EBUSY)
			return r;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000000000L + now.tv_nsec -
		    t0.tv_nsec >= LOG_LOCK_SPIN_NS)
			return EBUSY;
	}
}

/* Follow a reopen done by another process: the lock is held. */
static void
log_follow_reopen(void)
{
	char err[PATH_MAX + 64];
	int fd;

	if (generation == shared->generation)
		return;
	if ((fd = log_open_file(shared->path, err, sizeof(err))) != -1) {
		close(log_fdesc);
		log_fdesc = fd;
	}
	generation = shared->generation;
}

/* Write a record of our own with the lock held (log_event() would take
 * it again): 0, or -1 when it could not be written. */
static int
log_write_note(const char *event, const char *fmt, ...)
{
	char note[PATH_MAX + 160], ts[TIMEFMT_ISO8601_LEN];
	size_t n, room;
	va_list ap;
	int m;

	timefmt_now(ts);
	n = (size_t)snprintf(note, sizeof(note), "%s %s[%d] %s ", ts, ident,
	    (int)log_pid, event);
	room = sizeof(note) - n - 1;		/* the newline's byte kept */
	va_start(ap, fmt);
	m = vsnprintf(note + n, room, fmt, ap);
	va_end(ap);
	n += m < 0 ? 0 : (size_t)m < room ? (size_t)m : room - 1;
	note[n++] = '\n';
	return log_write_all(note, (size_t)n);
}

/*
 * The lock's holder died with it: it may have died inside its write(2),
 * which the kernel stops between pages on a SIGKILL, leaving the start of a
 * record at the end of the file. Cut that fragment off (back to the last
 * newline) and say so in a record of its own: a torn record must never
 * stand in the log, and the rest of it died with its writer. Only bytes
 * after the last whole record are removed.
 */
static void
log_repair_tail(void)
{
	char buf[4096], *nl;
	struct stat st;
	off_t end, pos;
	ssize_t n;

	log_follow_reopen();
	if (fstat(log_fdesc, &st) == -1 || st.st_size == 0)
		return;
	end = pos = st.st_size;
	while (pos > 0) {
		n = pos < (off_t)sizeof(buf) ? (ssize_t)pos :
		    (ssize_t)sizeof(buf);
		if (pread(log_fdesc, buf, n, pos - n) != n)
			return;		/* cannot tell: leave it alone */
		pos -= n;
		if ((nl = memrchr(buf, '\n', n)) != NULL) {
			pos += nl - buf + 1;
			break;
		}
	}
	if (pos == end || ftruncate(log_fdesc, pos) == -1)
		return;
	(void)log_write_note("log_repaired", "dropped_bytes=%lld reason=\"a "
	    "writer died in the middle of a record\"", (long long)(end - pos));
}

/*
 * Take the lock. trylock first: when nobody holds it this is one atomic
 * instruction, no system call; then a short spin; then sleeps in slices,
 * calling the wait hook between them. EOWNERDEAD means the holder died while
 * holding it: this struct is consistent after every change, but the file
 * may end in the fragment of a record the holder was writing when it was
 * killed, which log_repair_tail() removes.
 */
static int
log_lock(void)
{
	struct timespec deadline;
	long slice = LOG_LOCK_FIRST_NS;
	int r;

	if ((r = pthread_mutex_trylock(&shared->lock)) == EBUSY)
		r = log_lock_spin();
	while (r == EBUSY || r == ETIMEDOUT) {
		if (r == ETIMEDOUT) {
			if (wait_hook != NULL && wait_hook() == -1)
				return -1;
			slice = LOG_LOCK_SLICE_NS;
		}
		/* The monotonic clock: a step of the wall clock (NTP, an
		 * administrator) must not stretch a slice nor shrink it. */
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_nsec += slice;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		r = pthread_mutex_clocklock(&shared->lock, CLOCK_MONOTONIC,
		    &deadline);
	}
	if (r == EOWNERDEAD && (r = pthread_mutex_consistent(&shared->lock)) ==
	    0)
		log_repair_tail();
	return r == 0 ? 0 : -1;
}

static void
log_unlock(void)
{
	pthread_mutex_unlock(&shared->lock);
}

/* Write buf whole, or undo what part of it reached the file. */
static int
log_write_all(const char *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;
	off_t end;

	while (done < len) {
		n = write(log_fdesc, buf + done, len - done);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			int saved = n == 0 ? ENOSPC : errno;

			/* A torn record is worse than a lost one. */
			if (done > 0 &&
			    (end = lseek(log_fdesc, 0, SEEK_END)) != -1 &&
			    ftruncate(log_fdesc, end - done) == -1) {
				/* The write's error is the one returned. */
			}
			errno = saved;
			return -1;
		}
		done += n;
	}
	return 0;
}

/* How many records buf[0..len) holds: each ends with its newline. */
static unsigned long
log_records(const char *buf, size_t len)
{
	unsigned long n = 0;
	const char *p, *end = buf + len;

	for (p = buf; p < end && (p = memchr(p, '\n', end - p)) != NULL; p++)
		n++;
	return n;
}

/*
 * Called with the lock held, after a write failed with err (a full disk, a
 * file size limit): say so on stderr, but once in a while across all
 * processes, not once per record. The log itself says how many were lost
 * once writing works again (log_resumed).
 */
static void
log_report_loss(int err)
{
	time_t now = time(NULL);

	if (now - shared->reported < LOG_REPORT_EVERY)
		return;
	shared->reported = now;
	dprintf(STDERR_FILENO, "%s: log %s: %s; %lu record%s lost so far "
	    "(said again in %d s at most)\n", ident, shared->path,
	    strerror(err), shared->lost, shared->lost == 1 ? "" : "s",
	    LOG_REPORT_EVERY);
}

int
log_counts(uint64_t *written, uint64_t *dropped)
{
	if (shared == NULL)
		return -1;
	*written = __atomic_load_n(&shared->written, __ATOMIC_RELAXED);
	*dropped = __atomic_load_n(&shared->dropped, __ATOMIC_RELAXED);
	return 0;
}

/*
 * Called with the lock held: follow a reopen, report losses, write. 0, or
 * -1 when buf could not be written: its records count as lost, unless this
 * process keeps them (keep_failed), when the caller holds them back.
 */
static int
log_write_locked(const char *buf, size_t len)
{
	int err;

	log_follow_reopen();
	if (pending_lost > 0) {
		shared->lost += pending_lost;
		shared->lost_errno = ENOBUFS;
		pending_lost = 0;
	}
	if (shared->lost > 0 && log_write_note("log_resumed",
	    "lost=%lu reason=\"%s\"", shared->lost,
	    strerror(shared->lost_errno)) == 0)
		shared->lost = 0;
	if (fault_hook != NULL)
		fault_hook(buf, len);
	if (log_write_all(buf, len) == 0) {
		__atomic_add_fetch(&shared->written, log_records(buf, len),
		    __ATOMIC_RELAXED);
		return 0;
	}
	err = errno;
	if (!keep_failed) {
		shared->lost += log_records(buf, len);
		shared->lost_errno = err;
		__atomic_add_fetch(&shared->dropped, log_records(buf, len),
		    __ATOMIC_RELAXED);
	}
	log_report_loss(err);
	return -1;
}

static void
log_pending_add(const char *buf, size_t len)
{
	char *p;

	if (pending_len + len > LOG_PENDING_MAX ||
	    (p = realloc(pending, pending_len + len)) == NULL) {
		pending_lost += log_records(buf, len);
		if (shared != NULL)
			__atomic_add_fetch(&shared->dropped, log_records(buf,
			    len), __ATOMIC_RELAXED);
		return;	/* reported with ENOBUFS once the lock frees */
	}
	pending = p;
	memcpy(pending + pending_len, buf, len);
	pending_len += len;
}

static void
log_reopen_locked(void)
{
	if (pending_path[0] != '\0')
		strlcpy(shared->path, pending_path, sizeof(shared->path));
	pending_path[0] = '\0';
	shared->generation++;
	log_follow_reopen();
	pending_reopen = 0;
}

/*
 * Called with the lock held: a reopen asked while the lock was busy first,
 * then the records held back, then buf (NULL: none). With keep_failed, what
 * the file refused stays held back, in order, for the next try.
 */
static void
log_write_held(const char *buf, size_t len)
{
	if (pending_reopen)
		log_reopen_locked();
	if (pending_len > 0 && (log_write_locked(pending, pending_len) == 0 ||
	    !keep_failed))
		pending_len = 0;
	if (buf == NULL)
		return;
	if (pending_len > 0)
		log_pending_add(buf, len);	/* behind the ones still held */
	else if (log_write_locked(buf, len) == -1 && keep_failed)
		log_pending_add(buf, len);
}

int
log_flush_pending(void)
{
	if (shared == NULL || (pending_len == 0 && !pending_reopen))
		return 0;
	if (log_lock() == -1)
		return -1;
	log_write_held(NULL, 0);
	log_unlock();
	return 0;
}

int
log_reopen(const char *path, char *err, size_t errlen)
{
	int fd;

	if (path != NULL && strlen(path) >= PATH_MAX) {
		snprintf(err, errlen, "%s: path too long", path);
		return -1;
	}
	/* Check we can open it before anyone switches to it: a failed
	 * reopen must be said, not look done (the old file stays). */
	if ((fd = log_open_file(path != NULL ? path : shared->path, err,
	    errlen)) == -1)
		return -1;
	close(fd);
	/* The shared path changes only under the lock: keep it until then. */
	strlcpy(pending_path, path != NULL ? path : "", sizeof(pending_path));
	pending_reopen = 1;
	if (log_lock() == -1)
		return 0;	/* done by the first record that gets it */
	log_reopen_locked();
	log_unlock();
	return 0;
}

/* Write records under the lock: held-back ones first, in order. */
static void
log_write(const char *buf, size_t len)
{
	if (log_lock() == -1) {
		log_pending_add(buf, len);
		return;
	}
	log_write_held(buf, len);
	log_unlock();
}

void
log_set_batch(int on)
{
	if (!on)
		log_flush();
	batching = on;
}

void
log_flush(void)
{
	int saved = errno;

	if (batch_len > 0) {
		log_write(batch, batch_len);
		batch_len = 0;
	}
	errno = saved;
}

/* Keep the record for the next log_flush(); 0, or -1 if it cannot be. */
static int
log_batch_add(const char *rec, size_t len)
{
	char *p;

	if (batch_len + len > LOG_BATCH_MAX)
		log_flush();
	if (batch_len + len > batch_size) {
		if (len > LOG_BATCH_MAX ||
		    (p = realloc(batch, batch_len + len)) == NULL)
			return -1;
		batch = p;
		batch_size = batch_len + len;
	}
	memcpy(batch + batch_len, rec, len);
	batch_len += len;
	return 0;
}

/* Finish the record in recbuf (len bytes, no newline yet) and write it. */
static void
log_emit(size_t len)
{
	if (len >= recsize - 1)
		len = recsize - 2;
	recbuf[len++] = '\n';
	if (batching && log_batch_add(recbuf, len) == 0)
		return;
	log_write(recbuf, len);
}

/* " sockbind[1234] ", made again only when the pid changes (a fork). */
static size_t
log_ident_pid(char *buf)
{
	static char text[sizeof(ident) + 16];
	static size_t len;
	static pid_t pid;

	if (pid != log_pid || len == 0) {
		len = snprintf(text, sizeof(text), " %s[%d] ", ident,
		    (int)log_pid);
		pid = log_pid;
	}
	memcpy(buf, text, len);
	return len;
}

static size_t
log_head(const char *event)
{
	size_t n, len = strlen(event);

	n = timefmt_now(recbuf);
	n += log_ident_pid(recbuf + n);
	memcpy(recbuf + n, event, len + 1);
	return n + len;
}

static size_t
log_vfields(size_t off, const char *fmt, va_list ap)
{
	int n;

	if (fmt == NULL || *fmt == '\0' || off + 2 >= LOG_FIELDS_MAX)
		return off;
	recbuf[off++] = ' ';
	n = vsnprintf(recbuf + off, LOG_FIELDS_MAX - off, fmt, ap);
	if (n < 0)
		n = 0;
	off += n;
	return off < LOG_FIELDS_MAX ? off : LOG_FIELDS_MAX - 1;
}

/* " bytes=N text=\"...\"" after the record's fields at off, and emit. */
static void
log_text_body(size_t off, const void *text, size_t len)
{
	char digits[24];
	size_t shown, n = 0, v = len;

	/* By hand: the printf family was the worker's costliest code. */
	do {
		digits[n++] = '0' + v % 10;
	} while ((v /= 10) != 0);
	memcpy(recbuf + off, " bytes=", 7);
	for (off += 7; n > 0; off++)
		recbuf[off] = digits[--n];
	memcpy(recbuf + off, " text=\"", 7);
	off += 7;
	shown = escape_text(recbuf + off, text, len, max_message);
	off += strlen(recbuf + off);
	recbuf[off++] = '"';
	if (shown < len)
		off += snprintf(recbuf + off, recsize - off, "...[cut %zu]",
		    len - shown);
	log_emit(off);
}

/* A record of event with fields from fmt, and with_text: text's body. */
static void
log_vrecord(const char *event, int with_text, const void *text, size_t len,
    const char *fmt, va_list ap)
{
	size_t off;
	int saved = errno;

	if (shared == NULL)
		return;
	off = log_vfields(log_head(event), fmt, ap);
	if (with_text)
		log_text_body(off, text, len);
	else
		log_emit(off);
	errno = saved;
}

void
log_event(const char *event, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vrecord(event, 0, NULL, 0, fmt, ap);
	va_end(ap);
}

void
log_text(const char *event, const void *text, size_t len, const char *fmt,
    ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vrecord(event, 1, text, len, fmt, ap);
	va_end(ap);
}

void
log_message(const char *event, const char *fields, const void *text,
    size_t len)
{
	size_t off, n = strnlen(fields, LOG_FIELDS_MAX / 2);
	int saved = errno;

	if (shared == NULL)
		return;
	off = log_head(event);
	recbuf[off++] = ' ';
	memcpy(recbuf + off, fields, n);
	log_text_body(off + n, text, len);
	errno = saved;
}

static void
log_vwarn(const char *fmt, va_list ap, int with_errno)
{
	char msg[LOG_FIELDS_MAX / 2], esc[ESCAPE_BUFSIZE(sizeof(msg))];
	int saved = errno;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	escape_text(esc, msg, strlen(msg), sizeof(msg));
	if (with_errno)
		log_event("error", "msg=\"%s: %s\"", esc, strerror(saved));
	else
		log_event("error", "msg=\"%s\"", esc);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwarn(fmt, ap, 1);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwarn(fmt, ap, 0);
	va_end(ap);
}
