/* conf.c -- table-driven INI configuration (iniparser). */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <iniparser/iniparser.h>

#include "shared/conf.h"
#include "shared/i18n.h"
#include "shared/utf8.h"

/* The longest line iniparser reads, without its LF (its ASCIILINESZ is
 * 1024 with the LF and the NUL). */
#define CONF_LINE_MAX	1022

/* The keys the last file set, for conf_given(). */
static const struct conf_key	*given_keys;
static size_t			 given_nkeys;
static unsigned char		*given;

int
conf_given(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < given_nkeys; i++)
		if (strcasecmp(given_keys[i].section, section) == 0 &&
		    strcasecmp(given_keys[i].key, key) == 0)
			return given[i];
	return 0;
}

/* iniparser reports syntax errors through a callback; keep the first. */
static char	parse_error[256];
static char	base_dir[PATH_MAX];	/* "": the current directory */

void
conf_set_base_dir(const char *dir)
{
	strlcpy(base_dir, dir, sizeof(base_dir));
}

static int
conf_parse_error(const char *fmt, ...)
{
	va_list ap;

	if (parse_error[0] != '\0')
		return 0;
	va_start(ap, fmt);
	vsnprintf(parse_error, sizeof(parse_error), fmt, ap);
	va_end(ap);
	return 0;
}

static int
conf_set(const struct conf_key *k, const char *value, void *dst, char *why,
    size_t whylen)
{
	char *field = (char *)dst + k->offset, *end, cwd[PATH_MAX];
	long long n;

	switch (k->type) {
	case CONF_INT:
		errno = 0;
		n = strtoll(value, &end, 10);
		if (*value == '\0' || *end != '\0' || errno == ERANGE) {
			snprintf(why, whylen, _("'%s' is not a whole number"),
			    value);
			return -1;
		}
		if (n < k->min || n > k->max) {
			snprintf(why, whylen, _("%lld is out of range "
			    "%lld..%lld"), n, k->min, k->max);
			return -1;
		}
		*(int *)field = (int)n;
		return 0;
	case CONF_BOOL:
		if (!strcasecmp(value, "true") || !strcasecmp(value, "yes") ||
		    !strcasecmp(value, "on") || !strcmp(value, "1"))
			*(int *)field = 1;
		else if (!strcasecmp(value, "false") ||
		    !strcasecmp(value, "no") || !strcasecmp(value, "off") ||
		    !strcmp(value, "0"))
			*(int *)field = 0;
		else {
			snprintf(why, whylen, _("'%s' is not true or false"),
			    value);
			return -1;
		}
		return 0;
	case CONF_STR:
	case CONF_PATH:
		if (k->check != NULL && k->check(value, why, whylen) == -1)
			return -1;
		if (k->type == CONF_PATH && value[0] != '\0' &&
		    value[0] != '/') {
			if (base_dir[0] != '\0')
				strlcpy(cwd, base_dir, sizeof(cwd));
			else if (getcwd(cwd, sizeof(cwd)) == NULL) {
				snprintf(why, whylen, _("relative path: %s"),
				    strerror(errno));
				return -1;
			}
			if ((size_t)snprintf(field, k->size, "%s/%s", cwd,
			    value) >= k->size)
				goto toolong;
			return 0;
		}
		if (strlcpy(field, value, k->size) >= k->size)
			goto toolong;
		return 0;
	}
	return -1;
toolong:
	snprintf(why, whylen, _("longer than %zu bytes"), k->size - 1);
	return -1;
}

int
conf_check_utf8(const char *value, char *why, size_t whylen)
{
	if (utf8_valid((const unsigned char *)value, strlen(value)))
		return 0;
	snprintf(why, whylen, _("not valid UTF-8"));
	return -1;
}

int
conf_defaults(const struct conf_key *keys, size_t nkeys, void *dst,
    char *err, size_t errlen)
{
	char why[256];
	size_t i;

	for (i = 0; i < nkeys; i++) {
		if (conf_set(&keys[i], keys[i].defval, dst, why,
		    sizeof(why)) == -1) {
			snprintf(err, errlen, "default [%s] %s: %s",
			    keys[i].section, keys[i].key, why);
			return -1;
		}
	}
	return 0;
}

static const struct conf_key *
conf_find(const struct conf_key *keys, size_t nkeys, const char *section,
    const char *key)
{
	size_t i;

	for (i = 0; i < nkeys; i++)
		if (!strcmp(keys[i].section, section) &&
		    (key == NULL || !strcmp(keys[i].key, key)))
			return &keys[i];
	return NULL;
}

/* Every section and key of the file must be one the table knows. */
static int
conf_check_names(dictionary *d, const char *path, const struct conf_key *keys,
    size_t nkeys, char *err, size_t errlen)
{
	const char **names, *sec, *key;
	int i, j, n;

	/* iniparser files a key above every section as ":key"; nothing can
	 * ask for it, so it would be silently ignored. */
	for (i = 0; i < d->size; i++) {
		if (d->key[i] != NULL && d->key[i][0] == ':') {
			snprintf(err, errlen, _("%s: %s: key outside any "
			    "section"), path, d->key[i] + 1);
			return -1;
		}
	}
	for (i = 0; i < iniparser_getnsec(d); i++) {
		sec = iniparser_getsecname(d, i);
		if (conf_find(keys, nkeys, sec, NULL) == NULL) {
			snprintf(err, errlen, _("%s: [%s]: unknown section"),
			    path, sec);
			return -1;
		}
		if ((n = iniparser_getsecnkeys(d, sec)) <= 0)
			continue;
		if ((names = calloc(n, sizeof(*names))) == NULL) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		iniparser_getseckeys(d, sec, names);
		for (j = 0; j < n; j++) {
			key = strchr(names[j], ':') + 1;
			if (conf_find(keys, nkeys, sec, key) == NULL) {
				snprintf(err, errlen,
				    _("%s: [%s] %s: unknown key"), path, sec,
				    key);
				free(names);
				return -1;
			}
		}
		free(names);
	}
	return 0;
}

/* The "section:key" of a "key = value" line (iniparser folds case), or
 * NULL for any other line. */
static const char *
conf_line_name(char *line, const char *sec, char *name, size_t size)
{
	char *eq = strchr(line, '='), *end;

	if (eq == NULL || *line == '[' || *line == ';' || *line == '#')
		return NULL;
	for (end = eq; end > line && isspace((unsigned char)end[-1]); end--)
		;
	*end = '\0';
	for (end = line; *end != '\0'; end++)
		*end = (char)tolower((unsigned char)*end);
	snprintf(name, size, "%s:%s", sec, line);
	return name;
}

/*
 * What iniparser gets wrong without a word, refused with the line it is on:
 * a key given twice (it keeps the last), a byte order mark (it reads it as
 * part of the first line) and a line longer than it reads (it says only
 * that it cannot parse the file).
 */
static int
conf_check_lines(FILE *fp, const char *path, char *err, size_t errlen)
{
	struct seen { char name[160]; long line; } *seen = NULL, *p;
	char *line = NULL, *s, sec[128] = "", name[160];
	size_t cap = 0, n = 0, i, len;
	ssize_t got;
	long lineno = 0;
	int cont = 0, was_cont, r = 0;

	while (r == 0 && (got = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (lineno == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0) {
			snprintf(err, errlen, _("%s: line 1: starts with a "
			    "byte order mark: save the file as UTF-8 without "
			    "one"), path);
			r = -1;
			break;
		}
		if ((size_t)got > CONF_LINE_MAX + 1 || ((size_t)got ==
		    CONF_LINE_MAX + 1 && line[got - 1] != '\n')) {
			snprintf(err, errlen, _("%s: line %ld: longer than %d "
			    "bytes"), path, lineno, CONF_LINE_MAX);
			r = -1;
			break;
		}
		for (s = line; isspace((unsigned char)*s); s++)
			;
		len = strcspn(s, "\r\n");
		while (len > 0 && isspace((unsigned char)s[len - 1]))
			len--;
		s[len] = '\0';
		/* A value continued on the next line with a backslash:
		 * that line is more of the value, not a key. */
		was_cont = cont;
		cont = len > 0 && s[len - 1] == '\\';
		if (was_cont)
			continue;
		if (*s == '[') {
			snprintf(sec, sizeof(sec), "%.*s",
			    (int)strcspn(s + 1, "]"), s + 1);
			for (i = 0; sec[i] != '\0'; i++)
				sec[i] = (char)tolower((unsigned char)sec[i]);
			continue;
		}
		if (conf_line_name(s, sec, name, sizeof(name)) == NULL)
			continue;
		for (i = 0; i < n && strcmp(seen[i].name, name) != 0; i++)
			;
		if (i < n) {
			snprintf(err, errlen, _("%s: line %ld: [%s] %s: given "
			    "twice (first on line %ld)"), path, lineno, sec,
			    strchr(name, ':') + 1, seen[i].line);
			r = -1;
		} else if ((p = realloc(seen, (n + 1) * sizeof(*seen))) ==
		    NULL) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			r = -1;
		} else {
			seen = p;
			strlcpy(seen[n].name, name, sizeof(seen[n].name));
			seen[n++].line = lineno;
		}
	}
	free(line);
	free(seen);
	return r;
}

/* iniparser says "iniparser: syntax error in FILE (LINE):\n-> TEXT\n":
 * say "FILE: line LINE: syntax error: TEXT". */
static void
conf_syntax_error(const char *path, char *err, size_t errlen)
{
	char *text = strstr(parse_error, "\n-> "), *open;
	long line = 0;

	if (text != NULL) {
		*text = '\0';
		text += 4;
		text[strcspn(text, "\n")] = '\0';
		if ((open = strrchr(parse_error, '(')) != NULL)
			line = strtol(open + 1, NULL, 10);
	}
	if (text != NULL && line > 0)
		snprintf(err, errlen, _("%s: line %ld: syntax error: %s"),
		    path, line, text);
	else
		snprintf(err, errlen, _("%s: cannot parse"), path);
}

static int
conf_load_file(const char *path, const struct conf_key *keys, size_t nkeys,
    void *dst, char *err, size_t errlen)
{
	char name[128], why[256];
	const char *value;
	struct stat st;
	dictionary *d;
	FILE *fp;
	int r;
	size_t i;

	if (conf_defaults(keys, nkeys, dst, err, errlen) == -1)
		return -1;
	/* iniparser does not say why a file cannot be read: ask first. A
	 * directory opens too, and reads as an empty file. */
	if ((fp = fopen(path, "r")) == NULL || fstat(fileno(fp), &st) == -1 ||
	    S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, fp == NULL ?
		    strerror(errno) : "is a directory, not a file");
		if (fp != NULL)
			fclose(fp);
		return -1;
	}
	r = conf_check_lines(fp, path, err, errlen);
	fclose(fp);
	if (r == -1)
		return -1;
	parse_error[0] = '\0';
	iniparser_set_error_callback(conf_parse_error);
	d = iniparser_load(path);
	iniparser_set_error_callback(NULL);
	if (d == NULL || parse_error[0] != '\0') {
		conf_syntax_error(path, err, errlen);
		iniparser_freedict(d);
		return -1;
	}
	if (conf_check_names(d, path, keys, nkeys, err, errlen) == -1)
		goto fail;
	free(given);
	given_nkeys = 0;
	if ((given = calloc(nkeys ? nkeys : 1, 1)) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto fail;
	}
	given_keys = keys;
	given_nkeys = nkeys;
	for (i = 0; i < nkeys; i++) {
		snprintf(name, sizeof(name), "%s:%s", keys[i].section,
		    keys[i].key);
		if ((value = iniparser_getstring(d, name, NULL)) == NULL)
			continue;
		given[i] = 1;
		if (conf_set(&keys[i], value, dst, why, sizeof(why)) == -1) {
			snprintf(err, errlen, "%s: [%s] %s: %s", path,
			    keys[i].section, keys[i].key, why);
			goto fail;
		}
	}
	iniparser_freedict(d);
	return 0;
fail:
	iniparser_freedict(d);
	return -1;
}

int
conf_load(const char *path, const struct conf_key *keys, size_t nkeys,
    void *dst, char *err, size_t errlen)
{
	char *p;

	if (conf_load_file(path, keys, nkeys, dst, err, errlen) == 0)
		return 0;
	/* The message quotes the file (names, values): none of its control
	 * characters may reach a terminal or the log as itself. */
	for (p = err; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return -1;
}
