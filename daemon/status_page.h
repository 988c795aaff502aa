/*
 * status_page.h -- what the status listener serves, rendered from a view of
 * the server: the HTML page, the JSON document, the Prometheus metrics.
 *
 * Pure functions of a struct status_view (no clock, no file but the one
 * written to), so a unit test renders a made-up server. docs/STATUS.md
 * documents every field of the JSON document and every metric.
 *
 * The history is one sample a second (the listener takes them) of the
 * running totals of connections accepted and refused and of the busy
 * workers; the rates and the page's chart are their differences.
 *
 * Each renderer returns 0, or -1 when writing to fp failed.
 */
#ifndef SOCKBIND_STATUS_PAGE_H
#define SOCKBIND_STATUS_PAGE_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "daemon/scoreboard.h"

#define STATUS_HISTORY	180	/* samples: three minutes */

struct status_sample {
	uint64_t	mono_ms;
	uint64_t	accepted;
	uint64_t	refused;
	int		busy;
};

/* A ring of the last STATUS_HISTORY samples. */
struct status_history {
	struct status_sample	s[STATUS_HISTORY];
	size_t			n;	/* samples held */
	size_t			next;	/* where the next one goes */
};

/* The master's process figures, from /proc; a figure that could not be
 * read is negative. */
struct status_proc {
	double		cpu_seconds;
	double		start_time;	/* seconds since the epoch */
	long long	rss_bytes;
	long long	vm_bytes;
	long		open_fds;
	long		max_fds;
};

struct status_view {
	struct sb_header		 h;	/* a copy */
	const struct sb_worker		*w;	/* the workers, slot order */
	size_t				 n;
	uint64_t			 totals[SB_COUNTERS];
	int				 have_log;
	uint64_t			 log_written;
	uint64_t			 log_dropped;
	struct status_proc		 proc;
	const struct status_history	*hist;
	uint64_t			 now_ms;	/* monotonic */
	time_t				 now;		/* wall clock */
	int				 show_clients;
	const char			*version;
};

/* Workers by state (enum sb_state), into counts[SB_STOPPING + 1]. */
void	status_page_counts(const struct status_view *, int *counts);
void	status_history_add(struct status_history *,
	    const struct status_sample *);
/* The history's i-th sample, oldest first (i < hist->n). */
const struct status_sample *status_history_at(const struct status_history *,
	    size_t i);

/* /healthz: 200 while the pool serves (a worker idle or busy, no stop
 * begun), else 503; *text says which, one line. */
int	status_page_health(const struct status_view *, const char **text);
int	status_page_html(FILE *fp);
int	status_page_json(FILE *fp, const struct status_view *);
int	status_page_metrics(FILE *fp, const struct status_view *);

#endif
