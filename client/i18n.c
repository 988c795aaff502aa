/* i18n.c -- bind sockbin's message catalogue (see i18n.h). */
#include <sys/stat.h>

#include <limits.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client/i18n.h"

#ifndef SOCKBIN_LOCALEDIR
#define SOCKBIN_LOCALEDIR	"/usr/local/share/locale"
#endif

/* The "locale" directory next to the running program, if there is one. */
static int
i18n_beside_program(char *dir, size_t size)
{
	char exe[PATH_MAX], *slash;
	struct stat st;
	ssize_t n;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) <= 0)
		return -1;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return -1;
	*slash = '\0';
	if (snprintf(dir, size, "%s/locale", exe) >= (int)size ||
	    stat(dir, &st) == -1 || !S_ISDIR(st.st_mode))
		return -1;
	return 0;
}

void
i18n_init(void)
{
	static char beside[PATH_MAX];
	const char *dir = getenv("SOCKBIN_LOCALEDIR");

	setlocale(LC_CTYPE, "");
	setlocale(LC_MESSAGES, "");
	if (dir == NULL || dir[0] == '\0')
		dir = i18n_beside_program(beside, sizeof(beside)) == 0 ?
		    beside : SOCKBIN_LOCALEDIR;
	bindtextdomain(I18N_DOMAIN, dir);
	textdomain(I18N_DOMAIN);
}
