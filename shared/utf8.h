/*
 * utf8.h -- strict UTF-8 decoding (RFC 3629).
 *
 * utf8_decode() reads one code point from s[0..len) and returns the length of
 * its sequence (1..4), or -1 when the bytes at s are not a valid, shortest-form
 * sequence (overlong forms, surrogates and code points above U+10FFFF are
 * invalid), or -2 when s ends in the middle of an otherwise valid sequence.
 */
#ifndef SOCKBIN_UTF8_H
#define SOCKBIN_UTF8_H

#include <stddef.h>
#include <stdint.h>

int	utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);
int	utf8_encode(uint32_t cp, unsigned char out[4]);
int	utf8_valid(const unsigned char *s, size_t len);

#endif
