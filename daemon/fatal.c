/*
 * fatal.c -- the daemon's fatal-error exits: a log record, one line on
 * stderr ("sockbind: what went wrong"), exit status EXIT_START. fatal()
 * appends strerror(errno); fatalx() does not.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/sockbind.h"
#include "shared/log.h"

static void __attribute__((noreturn))
vfatal(int with_errno, const char *fmt, va_list ap)
{
	char msg[512];
	int saved = errno;
	size_t n;

	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (with_errno && n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	log_text("fatal", msg, strlen(msg), "pid=%d", (int)getpid());
	log_flush_pending();
	fprintf(stderr, "sockbind: %s\n", msg);
	exit(EXIT_START);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfatal(1, fmt, ap);
	va_end(ap);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfatal(0, fmt, ap);
	va_end(ap);
}
