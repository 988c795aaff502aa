/*
 * log.h -- the shared append-only log writer.
 *
 * A record is one line, "<ISO-8601 time> <ident>[<pid>] <event> <fields>",
 * written with a single write(2) while holding a lock that every process
 * forked after log_open() shares. The lock is a process-shared robust mutex
 * in shared memory: taking it when nobody holds it costs no system call, and
 * a holder that is killed cannot deadlock the others (the next taker recovers
 * it). The file is opened O_APPEND and never truncated; the one exception is
 * the fragment of a record that a holder killed inside its write(2) left at
 * the end (SIGKILL stops a write between pages): the next taker cuts it back
 * to the last whole record and logs log_repaired with the bytes dropped.
 *
 * Message text from clients goes through log_text(), which escapes it (see
 * escape.h) and cuts it at the configured maximum with a visible marker.
 * log_message() is log_text() with its fields already formatted ("client=
 * 127.0.0.1:50122"), for the records of every message: no printf at all.
 *
 * A busy lock is tried again for up to 20 us (its holder is most likely
 * writing on another CPU), then waited for in slices: the wait hook (if set)
 * is called after 10 ms and then every 100 ms. It returns 0 to keep waiting
 * or -1 to give up, in which case the record is kept in memory and written
 * by a later record or by log_flush_pending(), in order.
 * A supervisor that must never block uses this.
 *
 * With log_set_batch(1), records are kept in the process (up to 64 KiB)
 * until log_flush(), which writes them all with one write(2) under one hold
 * of the lock: a busy worker logs a whole exchange at the cost of one record.
 * The program must flush before it waits for anything (a client, a signal)
 * and before it exits: a record must not sit in memory while nothing
 * happens. log_set_batch(0) flushes.
 *
 * A record the file refuses (a full disk, a file size limit) is said on
 * stderr (once in 30 s across all processes) and counted: the next record
 * written is preceded by "log_resumed lost=N", N the records lost. With
 * log_set_keep_failed(1), this process keeps its refused records instead
 * (up to 4 MiB, then they count as lost) and writes them, in order, before
 * its next record or at its next log_flush_pending(): the supervisor, whose
 * few records say how its workers came and went, uses this. A child made by
 * fork() starts without it.
 * log_counts() tells how many records every process sharing the log wrote
 * since log_open(), and how many were lost (a failed write, the memory of
 * records waiting for the lock full): 0, or -1 before log_open().
 *
 * log_open() and log_reopen() return 0, or -1 with a message in err.
 */
#ifndef SOCKBIN_LOG_H
#define SOCKBIN_LOG_H

#include <stddef.h>
#include <stdint.h>

#define LOG_MAX_MESSAGE_MIN	16
#define LOG_MAX_MESSAGE_MAX	65536

int	log_open(const char *path, const char *ident, size_t max_message,
	    char *err, size_t errlen);
int	log_reopen(const char *path, char *err, size_t errlen);
int	log_set_max_message(size_t max_message);
void	log_set_wait_hook(int (*hook)(void));
void	log_set_fault_hook(void (*hook)(const char *record, size_t len));
void	log_set_keep_failed(int on);
int	log_fd(void);
int	log_counts(uint64_t *written, uint64_t *dropped);
int	log_flush_pending(void);
void	log_set_batch(int on);
void	log_flush(void);
void	log_close(void);

void	log_event(const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_text(const char *event, const void *text, size_t len,
	    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void	log_message(const char *event, const char *fields, const void *text,
	    size_t len);
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
