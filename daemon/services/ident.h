/*
 * ident.h -- a name for an address: the check the ident service and the
 * session's IDENTIFY verb share.
 *
 * ident_check_name() trims the blanks around an answer of inlen bytes and
 * checks it: 1 to IDENT_NAME_MAX characters of UTF-8, no control or
 * invisible character. 0 with the name in out, or -1 with why.
 */
#ifndef SOCKBIND_IDENT_H
#define SOCKBIND_IDENT_H

#include <stddef.h>

#define IDENT_NAME_MAX	64	/* characters */

int	ident_check_name(const char *in, size_t inlen, char *out,
	    size_t outlen, const char **why);

#endif
