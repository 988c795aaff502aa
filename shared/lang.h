/*
 * lang.h -- the few words sockbind says to people, in English, Russian and
 * Ukrainian: the ident service's greeting, question and refusals ([server]
 * language, docs/sockbind.ini.5). The protocol's verbs, its OK and ERR
 * replies and the logs stay English. The client reads these words too, in
 * whichever language the server speaks, to follow the ident dialogue.
 *
 * lang_find() is the language of a name ("en", "ru", "uk"), or -1;
 * lang_check() is its conf_key check (0, or -1 with the reason in why).
 * lang_say() is the text in language lang for its English text en (a
 * format keeps its conversions, in order), or en itself when the table
 * has none. lang_starts() is true when line starts with en's words before
 * its first conversion in any language; lang_asks_name() when line asks
 * for a name (LANG_QUESTION) in any language.
 */
#ifndef SOCKBIN_LANG_H
#define SOCKBIN_LANG_H

#include <stddef.h>

enum lang_id {
	LANG_EN,
	LANG_RU,
	LANG_UK,
	LANG_COUNT
};

/* The ident service's words (each line ends with "\n"). */
#define LANG_GREETING	"Hello, %s! What is your name?\n"
#define LANG_QUESTION	"What is your name?"
#define LANG_KNOWN	"Hello again, %s!\n"
#define LANG_STORED	"Nice to meet you, %s!\n"
#define LANG_RETRY	"Sorry, %s. What is your name?\n"
#define LANG_GOODBYE	"Sorry, %s. Goodbye.\n"
#define LANG_NO_STORE	"Sorry, the name store is not available.\n"
#define LANG_NOT_STORED	"Sorry, your name could not be stored.\n"

int	lang_find(const char *name);
int	lang_check(const char *value, char *why, size_t whylen);
const char *lang_say(int lang, const char *en) __attribute__((format_arg(2)));
int	lang_starts(const char *line, const char *en);
int	lang_asks_name(const char *line);
/* For tests: the number of texts, and the i-th in language lang. */
size_t	lang_count(void);
const char *lang_text(size_t i, int lang);

#endif
