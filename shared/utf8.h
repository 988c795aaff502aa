/*
 * utf8.h -- strict UTF-8 decoding (RFC 3629).
 *
 * utf8_decode() reads one code point from s[0..len) and returns the length of
 * its sequence (1..4), or -1 when the bytes at s are not a valid, shortest-form
 * sequence (overlong forms, surrogates and code points above U+10FFFF are
 * invalid), or -2 when s ends in the middle of an otherwise valid sequence.
 *
 * utf8_check() returns 0 when s is valid UTF-8 with no NUL byte, else -1 with
 * the offset of the first offending byte in *bad. utf8_tail() returns how
 * many bytes at the end of s start a sequence that is cut short (0..3).
 *
 * utf8_is_space() is Unicode's White_Space property (ASCII blanks, NEL,
 * no-break and typographic spaces, the line and paragraph separators).
 * utf8_is_invisible() is true for the format characters that change how
 * text shows without showing themselves: bidirectional overrides and
 * isolates, zero-width characters, soft hyphen, byte order mark, tags.
 *
 * utf8_reverse() writes s reversed by code point into out (outsize bytes,
 * NUL-terminated; UTF8_REVERSE_SIZE(len) is always enough) and returns the
 * output length, or -1 when s is not valid UTF-8 (*bad: the offset), -2
 * when out of memory. With keep_case each word keeps its case pattern in
 * place: the j-th letter of a reversed word takes the case the j-th letter
 * of that word had ("Титов Юрий" -> "Йирю Вотит"; Unicode case mapping in
 * the C.UTF-8 locale).
 */
#ifndef SOCKBIN_UTF8_H
#define SOCKBIN_UTF8_H

#include <stddef.h>
#include <stdint.h>

int	utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);
int	utf8_encode(uint32_t cp, unsigned char out[4]);
int	utf8_valid(const unsigned char *s, size_t len);
int	utf8_check(const void *s, size_t len, size_t *bad);
int	utf8_is_space(uint32_t cp);
int	utf8_is_invisible(uint32_t cp);
size_t	utf8_tail(const void *s, size_t len);

/* Case mapping can turn 2 bytes into 3 (U+0250 -> U+2C6F). */
#define UTF8_REVERSE_SIZE(len)	((len) / 2 * 3 + 4)

long	utf8_reverse(const void *s, size_t len, int keep_case, char *out,
	    size_t outsize, size_t *bad);

#endif
