/*
 * i18n.h -- messages of shared code that sockbin shows a person (the
 * configuration's and an address's errors), marked for sockbin's catalogue
 * (po/): _() looks one up in the "sockbin" domain, N_() only marks one.
 * Only the client sets a locale (client/i18n.c); sockbind never does, so
 * it gets them in English, as its log and `sockbind -n` must.
 */
#ifndef SOCKBIN_SHARED_I18N_H
#define SOCKBIN_SHARED_I18N_H

#include <libintl.h>

#define I18N_DOMAIN	"sockbin"

#define _(s)		dgettext(I18N_DOMAIN, s)
#define N_(s)		(s)

#endif
