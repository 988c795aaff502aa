/*
 * sockbind.h -- what the daemon's modules share: version, exit statuses,
 * and the fatal-error exits (log a record, say it on stderr, exit).
 */
#ifndef SOCKBIND_H
#define SOCKBIND_H

#define SOCKBIND_VERSION	"0.1.0"

#define EXIT_START	1	/* start-up or runtime failure */
#define EXIT_CONFIG	2	/* bad configuration or usage */
#define EXIT_BOOT	3	/* a worker could not get ready */

void	fatal(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
