/*
 * test_lang.c -- the daemon's words to people in three languages
 * (shared/lang.c): every text in every language, with the conversions of
 * its English text in the same order; the question the client looks for
 * inside each question asked; the client reading the words back.
 */
#include <string.h>

#include <criterion/criterion.h>

#include "daemon/services/ident.h"
#include "shared/lang.h"
#include "shared/utf8.h"

/* The conversions of a format, in order ("%s%d"), into buf. */
static void
lang_conversions(const char *fmt, char *buf, size_t size)
{
	size_t n = 0;

	for (; *fmt != '\0' && n + 3 < size; fmt++) {
		if (*fmt != '%')
			continue;
		buf[n++] = '%';
		buf[n++] = *++fmt;
		if (*fmt == '\0')
			break;
	}
	buf[n] = '\0';
}

Test(lang, every_text_in_every_language)
{
	char want[32], got[32];
	const char *en, *t;
	size_t i, bad, elen;
	int l;

	cr_assert_gt(lang_count(), 10);
	for (i = 0; i < lang_count(); i++) {
		en = lang_text(i, LANG_EN);
		elen = strlen(en);
		lang_conversions(en, want, sizeof(want));
		for (l = 0; l < LANG_COUNT; l++) {
			t = lang_text(i, l);
			cr_assert_not_null(t);
			cr_expect_eq(utf8_check(t, strlen(t), &bad), 0, "%s", t);
			lang_conversions(t, got, sizeof(got));
			cr_expect_str_eq(got, want, "'%s' for '%s'", t, en);
			/* A line stays a line; a reason stays a phrase. */
			cr_expect_eq(t[strlen(t) - 1] == '\n',
			    en[elen - 1] == '\n', "'%s'", t);
			if (l != LANG_EN)
				cr_expect_str_neq(t, en, "untranslated: %s", en);
			cr_expect_str_eq(lang_say(l, en), t);
		}
	}
}

Test(lang, names)
{
	char why[64];

	cr_expect_eq(lang_find("en"), LANG_EN);
	cr_expect_eq(lang_find("ru"), LANG_RU);
	cr_expect_eq(lang_find("uk"), LANG_UK);
	cr_expect_eq(lang_find("ua"), -1);
	cr_expect_eq(lang_find(""), -1);
	cr_expect_eq(lang_check("uk", why, sizeof(why)), 0);
	cr_expect_eq(lang_check("RU", why, sizeof(why)), -1);
	cr_expect_str_eq(why, "'RU' is none of en, ru, uk");
}

/* What the table does not have stays as it is: English. */
Test(lang, unknown_text_is_english)
{
	cr_expect_str_eq(lang_say(LANG_RU, "ERR 402 no"), "ERR 402 no");
	cr_expect_str_eq(lang_say(7, LANG_KNOWN), LANG_KNOWN);
}

/* The client knows each question and each greeting in any language. */
Test(lang, read_back)
{
	char line[256];
	int l;

	for (l = 0; l < LANG_COUNT; l++) {
		snprintf(line, sizeof(line), lang_say(l, LANG_GREETING),
		    "127.0.0.1");
		cr_expect(lang_asks_name(line), "%s", line);
		cr_expect(!lang_starts(line, LANG_KNOWN), "%s", line);
		snprintf(line, sizeof(line), lang_say(l, LANG_RETRY),
		    lang_say(l, "the name is empty"));
		cr_expect(lang_asks_name(line), "%s", line);
		snprintf(line, sizeof(line), lang_say(l, LANG_GOODBYE),
		    lang_say(l, "the name is empty"));
		cr_expect(!lang_asks_name(line), "%s", line);
		snprintf(line, sizeof(line), lang_say(l, LANG_KNOWN), "Іван");
		cr_expect(lang_starts(line, LANG_KNOWN), "%s", line);
		cr_expect(!lang_asks_name(line), "%s", line);
		snprintf(line, sizeof(line), lang_say(l, LANG_STORED), "Іван");
		cr_expect(lang_starts(line, LANG_STORED), "%s", line);
	}
	cr_expect(!lang_starts("Hello, 127.0.0.1! What is your name?",
	    LANG_STORED));
	cr_expect(!lang_asks_name("Sorry, the name store is not available."));
}

/* Every reason ident_check_name() gives has its translations. */
Test(lang, ident_reasons)
{
	static const char *names[] = { "", "a\tb\x01", "\xff",
	    "\xe2\x80\x8b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaaaaaaaaaaaaaaa" };
	char out[1024];
	const char *why;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		cr_assert_eq(ident_check_name(names[i], strlen(names[i]), out,
		    sizeof(out), &why), -1, "'%s'", names[i]);
		cr_expect_str_neq(lang_say(LANG_RU, why), why, "%s", why);
		cr_expect_str_neq(lang_say(LANG_UK, why), why, "%s", why);
	}
	cr_assert_eq(ident_check_name("a\0b", 3, out, sizeof(out), &why), -1);
	cr_expect_str_neq(lang_say(LANG_UK, why), why, "%s", why);
}
