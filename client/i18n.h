/*
 * i18n.h -- sockbin's messages in the user's language, by GNU gettext
 * (glibc's libintl). _() marks a message a person reads and translates it;
 * N_() only marks one in a static table, translated with _() where it is
 * printed; ngettext() picks the form for a count (Russian and Ukrainian
 * have three). The catalogues are po/LANG.po, compiled into
 * LOCALEDIR/LANG/LC_MESSAGES/sockbin.mo; `make po` takes the marked
 * messages out of the client's sources (and the few of shared/ it shows)
 * into po/sockbin.pot.
 */
#ifndef SOCKBIN_I18N_H
#define SOCKBIN_I18N_H

#include <libintl.h>

#include "shared/i18n.h"	/* I18N_DOMAIN, _(), N_() */

/*
 * i18n_init: the language from the environment (LANGUAGE, LC_ALL,
 * LC_MESSAGES, LANG) for messages and their character set only: numbers,
 * times and case stay as in the C locale. The catalogues come from
 * $SOCKBIN_LOCALEDIR when set, else from the "locale" directory next to
 * the program when there is one (the build tree: build/locale), else from
 * the LOCALEDIR compiled in ($(PREFIX)/share/locale).
 */
void	i18n_init(void);

#endif
