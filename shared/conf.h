/*
 * conf.h -- table-driven INI configuration (iniparser).
 *
 * A program describes its keys once in a table of struct conf_key: section,
 * key, type, default (as text, parsed like a value from the file), range, and
 * where in its config struct the value goes. conf_load() fills the struct
 * with the defaults, then with the file's values, and refuses an unknown
 * section or key, a value that is not of its type or out of its range, or a
 * file that cannot be read or parsed. It returns 0, or -1 with one line in
 * err: "FILE: [section] key: what is wrong", where every control character
 * the file put in it (a CR, an escape) shows as '?'. Strings live inside the struct
 * (fixed-size arrays), so a config is copied and freed like a plain value.
 * Relative CONF_PATH values are made absolute against the directory given to
 * conf_set_base_dir(), or else the current one: a daemon that changes
 * directory (daemon(3) goes to /) keeps resolving them as it started.
 * conf_given() says whether the file of the last conf_load() set a key
 * (1), or left it at its default (0).
 */
#ifndef SOCKBIN_CONF_H
#define SOCKBIN_CONF_H

#include <stddef.h>

enum conf_type {
	CONF_INT,	/* int, within [min, max] */
	CONF_BOOL,	/* int 0/1: true/false, yes/no, on/off, 1/0 */
	CONF_STR,	/* char[size] */
	CONF_PATH,	/* char[size], made absolute; "" stays "" */
};

struct conf_key {
	const char	*section;
	const char	*key;
	enum conf_type	 type;
	const char	*defval;
	long long	 min, max;	/* CONF_INT range */
	size_t		 offset;	/* into the config struct */
	size_t		 size;		/* of a string field */
	/* Extra check of a string value: 0, or -1 with why filled in. */
	int		(*check)(const char *value, char *why, size_t whylen);
};

#define CONF_INT_KEY(sec, k, def, lo, hi, type, field)			\
	{ sec, k, CONF_INT, def, lo, hi, offsetof(type, field),		\
	    sizeof(((type *)0)->field), NULL }
#define CONF_BOOL_KEY(sec, k, def, type, field)				\
	{ sec, k, CONF_BOOL, def, 0, 1, offsetof(type, field),		\
	    sizeof(((type *)0)->field), NULL }
#define CONF_STR_KEY(sec, k, def, type, field, check)			\
	{ sec, k, CONF_STR, def, 0, 0, offsetof(type, field),		\
	    sizeof(((type *)0)->field), check }
#define CONF_PATH_KEY(sec, k, def, type, field)				\
	{ sec, k, CONF_PATH, def, 0, 0, offsetof(type, field),		\
	    sizeof(((type *)0)->field), NULL }

int	conf_load(const char *path, const struct conf_key *keys, size_t nkeys,
	    void *dst, char *err, size_t errlen);
int	conf_check_utf8(const char *value, char *why, size_t whylen);
int	conf_defaults(const struct conf_key *keys, size_t nkeys, void *dst,
	    char *err, size_t errlen);
void	conf_set_base_dir(const char *dir);
int	conf_given(const char *section, const char *key);

#endif
