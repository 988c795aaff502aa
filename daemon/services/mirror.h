/*
 * mirror.h -- the reply text of the mirror service, which the session's
 * MIRROR verb shares.
 *
 * mirror_text() returns the reply for one message, malloc'd: text reversed
 * by Unicode code point (its case pattern kept with [mirror] keep_case),
 * then [mirror] signature. NULL when text is not valid UTF-8 (*bad: the
 * offset of the first bad byte), or when memory is short.
 */
#ifndef SOCKBIND_MIRROR_H
#define SOCKBIND_MIRROR_H

#include <stddef.h>

struct config;

char	*mirror_text(const struct config *, const char *text, size_t len,
	    size_t *bad);

#endif
