/*
 * pingpong.h -- the pingpong service's code-word scanner.
 *
 * pingpong_scan() takes the client's bytes one at a time and says when a
 * code word is complete; a scanner starts zeroed.
 */
#ifndef SOCKBIND_PINGPONG_H
#define SOCKBIND_PINGPONG_H

#include <stddef.h>

enum pingpong_token {
	PINGPONG_NONE = 0,	/* nothing complete yet */
	PINGPONG_CODE1,		/* _code1g: the client holds the file */
	PINGPONG_CODE2,		/* _code2g: the client released it */
	PINGPONG_GARBAGE,	/* the first byte of something else */
};

struct pingpong_scanner {
	char	word[8];
	size_t	len;
	int	in_garbage;
};

enum pingpong_token pingpong_scan(struct pingpong_scanner *, unsigned char);

#endif
