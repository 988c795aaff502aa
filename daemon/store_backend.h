/*
 * store_backend.h -- what a store backend implements (store_sqlite.c,
 * store_pg.c) for the functions of store.h (store.c), which hold the logic
 * and the SQL: statements are written once, with '?' for each parameter
 * in order, in the SQL both engines speak; a backend maps them to its own.
 * Not for the rest of the daemon.
 */
#ifndef SOCKBIND_STORE_BACKEND_H
#define SOCKBIND_STORE_BACKEND_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct config;

struct store {
	const struct store_backend	*be;
	void				*db;	/* the backend's connection */
};

struct store_backend {
	const char	*name;		/* as in [store] backend */
	/* At start-up, before the first connection: 0, or -1 and the
	 * error set (sqlite: the file exists, private). May be NULL. */
	int		(*prepare)(const struct config *);
	/* A connection into s->db: 0, or -1 and the error set. */
	int		(*open)(struct store *s, const struct config *);
	void		(*close)(struct store *s);
	/* 1 while the connection may serve, 0 once it is known lost. */
	int		(*alive)(struct store *s);
	/*
	 * One statement, its parameters from ap as types says ('t' text,
	 * 'i' int64_t, 'b' 32-byte blob): 1 with the first column of the
	 * first row copied into out (text) or *num (integer), 0 when there
	 * was no row, STORE_EXISTS on a constraint violation, -1 with the
	 * error set.
	 */
	int		(*run)(struct store *s, const char *sql,
			    const char *types, char *out, size_t outlen,
			    int64_t *num, va_list ap);
	/* Statements without parameters nor rows: 0, or -1, error set. */
	int		(*exec)(struct store *s, const char *sql);
	/* Once, at start-up, before the schema's transaction, or NULL. */
	const char	*setup;
	/* A transaction that holds off every other one that begins so:
	 * schema changes (other instances starting at the same time) and
	 * failure counts (see store_failure_reserve()). */
	const char	*begin_schema;
	const char	*begin_counting;
	/* The version of a store from before the store_version table, or
	 * NULL; then the steps: migrations[v] takes version v to v + 1. */
	const char	*legacy_version;
	const char *const *migrations;
	/* What the messages call the store (a URL's password hidden). */
	const char	*(*describe)(const struct config *, char *buf,
			    size_t len);
};

extern const struct store_backend	store_sqlite_backend;
extern const struct store_backend	store_pg_backend;

/* Set store_error() from a format: returns -1. */
int	store_seterr(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
/* In a wait: the wait hook's say, 0 to go on, -1 to give up. */
int	store_keep_waiting(void);

#endif
