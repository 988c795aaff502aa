/*
 * check.h -- sockbin check: grade someone else's server against the lab's
 * protocols (docs/PROTOCOL.md) with numbered cases, the way h2spec grades
 * HTTP/2 servers.
 *
 * check.c runs the command: options, the server's address, the cases
 * selected, a line per case and the summary on stdout, the reports. Its
 * exit status is 0 when no case failed, EXIT_REFUSED when one did,
 * EXIT_USAGE for a bad command line, EXIT_NOSERVER when no port of a range
 * answers.
 * check_probe.c is the cases' toolbox: connections that never block past
 * the case's deadline and record every byte they exchange, and the
 * verdicts (check_fail(), check_mismatch(), check_skip()).
 * check_cases.c knows the services and their cases, each in a table of
 * the module that probes it (check_text.c: echo and mirror, check_files.c:
 * pingpong and upload, check_accounts.c: ident and auth,
 * check_session.c), one function per probe.
 * check_report.c writes the JSON (docs/check-json.md), JUnit XML and HTML
 * reports.
 */
#ifndef SOCKBIN_CHECK_H
#define SOCKBIN_CHECK_H

#include <sys/socket.h>
#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "shared/frame.h"
#include "shared/net.h"

#define CHECK_CLIENTS		5	/* clients of the concurrency cases */
#define CHECK_TIMEOUT_MS	5000	/* default wait for one reply */
#define CHECK_CONNECT_MS	2000
#define CHECK_EVENT_KEEP	512	/* bytes of an event kept for reports */
#define CHECK_RECV_MAX		(4 * 1024 * 1024)

enum check_verdict {
	CHECK_PASSED,
	CHECK_FAILED,
	CHECK_SKIPPED,
};

struct check_options {
	const char	*service;
	const char	*host;
	int		 port_min, port_max;
	const char	*signature;	/* mirror, session MIRROR */
	int		 keep_case;
	int		 delay_ms;	/* simulated work; 0: unknown */
	const char	*exchange_file;	/* pingpong */
	const char	*upload_dir;	/* upload: where the server stores */
	const char	*name;		/* ident */
	uint32_t	 max_frame;	/* session */
	int		 timeout_ms;	/* one reply */
	const char	*json, *junit, *html;
	int		 verbose;
};

/* One piece of a case's conversation: bytes sent ('>') or received ('<')
 * on connection conn (1, 2, ... within the case), or a note ('#'). Only
 * the first CHECK_EVENT_KEEP bytes are kept; len counts them all, pieces
 * the writes or reads they came in. */
struct check_event {
	int		 conn;
	char		 dir;
	uint64_t	 at_ms;		/* since the case began */
	size_t		 len;
	size_t		 pieces;
	size_t		 kept;
	unsigned char	*bytes;
};

struct check_case;
struct check_run;

struct check_result {
	const struct check_case	*tc;
	enum check_verdict	 verdict;
	char			*reason;	/* failed or skipped: why */
	char			*expected;	/* escaped, or NULL */
	char			*received;	/* escaped, or NULL */
	uint64_t		 ms;
	struct check_event	*ev;
	size_t			 nev, evcap;
	size_t			 sent, recvd;
};

struct check_case {
	const char	*id;		/* "echo/1.3" */
	const char	*title;
	void		(*run)(struct check_run *);
};

struct check_run {
	const struct check_options	*opt;
	struct sockaddr_storage		 addr;
	socklen_t			 addrlen;
	char				 server[NET_ADDRSTRLEN];
	struct check_result		*cur;
	uint64_t			 case_start, deadline;
	int				 nconn;
	/* What the concurrency cases found: "concurrent", "sequential",
	 * or "" when none ran; timing: what they measured. */
	char				 concurrency[16];
	char				 timing[512];
};

/* A connection of a case. Bytes received wait in buf until taken. */
struct check_conn {
	struct check_run	*r;
	int			 fd;
	int			 id;
	unsigned char		*buf;
	size_t			 len, cap;
	int			 eof;		/* the server closed */
	int			 err;		/* errno of a failed recv */
	int			 timedout;	/* a wait ran out */
};

/* What the cases share. */
#define CHECK_HELD		(CHECK_CLIENTS - 1)
#define CHECK_LARGE		(1024 * 1024)
#define CHECK_MIRROR_LARGE	60000	/* within a mirror's line limit */
#define CHECK_CUT_CHUNK		3	/* writes that cut Cyrillic letters */
#define CHECK_CUT_PAUSE_MS	20
#define CHECK_BYTE_PAUSE_MS	5
#define CHECK_LINE_MAX		1024

/* check_cases.c: a service's cases, ending with an entry whose id is
 * NULL; NULL for an unknown service. */
extern const char	check_cyrillic[];
const struct check_case *check_service_cases(const char *service);
uint32_t check_fresh_source(const struct check_run *);
void	check_held_clients(struct check_run *);

/* check_text.c */
extern const struct check_case	check_echo_cases[], check_mirror_cases[];

/* check_files.c: the exchange file: check_file_get() gives its length. */
extern const struct check_case	check_pingpong_cases[],
				check_upload_cases[];
int	check_need_exchange_file(struct check_run *);
int	check_file_put(struct check_run *, const char *path,
	    const char *data, size_t len);
ssize_t	check_file_get(struct check_run *, const char *path, char *buf,
	    size_t size);

/* check_accounts.c */
extern const struct check_case	check_ident_cases[], check_auth_cases[];

/* check_session.c */
extern const struct check_case	check_session_cases[];

/* check_probe.c: every function returning int gives 0, or -1 once it has
 * recorded the case's failure (the case then returns). */
int	check_dial(struct check_run *, struct check_conn *, uint32_t src);
void	check_close(struct check_conn *, int abrupt);
int	check_send(struct check_conn *, const void *buf, size_t len,
	    size_t chunk, int pause_ms);
int	check_send_str(struct check_conn *, const char *s);
int	check_shutdown(struct check_conn *);
int	check_expect(struct check_conn *, const void *exp, size_t len,
	    const char *what);
int	check_recv_line(struct check_conn *, char *out, size_t size,
	    const char *what);
int	check_recv_n(struct check_conn *, size_t n, int ms);
int	check_recv_at_least(struct check_conn *, size_t n, const char *what);
int	check_expect_eof(struct check_conn *, const char *what);
int	check_pump(struct check_conn *cs, size_t n, int ms);
void	check_frame_io(struct check_conn *, struct frame_io *);
void	check_note(struct check_run *, int conn, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	check_fail(struct check_run *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	check_mismatch(struct check_run *, const char *what,
	    const void *exp, size_t explen, const void *got, size_t gotlen);
void	check_skip(struct check_run *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	check_failed(const struct check_run *);
uint64_t check_elapsed(const struct check_run *);
char	*check_escape(const void *buf, size_t len);

/* check_report.c: write a report to path ("-": stdout); 0, or -1 with
 * err filled in. */
enum check_format {
	CHECK_JSON,
	CHECK_JUNIT,
	CHECK_HTML,
};

const char *check_verdict_str(enum check_verdict);
int	check_report(enum check_format, const char *path,
	    const struct check_run *, const struct check_result *, size_t n,
	    uint64_t ms, char *err, size_t errlen);

/* check.c */
int	check_main(int argc, char **argv, const char *host, const char *port);

#endif
