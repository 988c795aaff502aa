/*
 * escape.h -- render untrusted bytes as one safe line of log text.
 *
 * escape_text() writes at most `limit` bytes of src (never cutting a UTF-8
 * sequence) into dst as printable text: backslash, double quote, tab, CR and
 * LF as \\ \" \t \r \n; other control characters, U+2028, U+2029 and
 * invisible format characters (utf8_is_invisible()) as \uXXXX (\UXXXXXXXX
 * above U+FFFF); bytes that are not valid UTF-8 as \xHH. The output never
 * contains a control byte, so no client can forge a log record. dst is always NUL-terminated; it needs
 * ESCAPE_BUFSIZE(limit) bytes. Returns the number of source bytes rendered
 * (less than srclen when the text was cut).
 */
#ifndef SOCKBIN_ESCAPE_H
#define SOCKBIN_ESCAPE_H

#include <stddef.h>

/* Worst case: every source byte becomes a six-byte \u00XX escape. */
#define ESCAPE_BUFSIZE(limit)	((limit) * 6 + 1)

size_t	escape_text(char *dst, const void *src, size_t srclen, size_t limit);

#endif
