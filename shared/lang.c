/* lang.c -- sockbind's words to people in three languages (see lang.h). */
#include <stdio.h>
#include <string.h>

#include "shared/lang.h"

static const char *const lang_names[LANG_COUNT] = { "en", "ru", "uk" };

/* English, Russian, Ukrainian: one meaning to a row. The reasons a name is
 * refused are ident_check_name()'s. */
static const char *const lang_table[][LANG_COUNT] = {
	{ LANG_GREETING,
	    "Здравствуйте, %s! Как вас зовут?\n",
	    "Вітаю, %s! Як вас звати?\n" },
	{ LANG_QUESTION,
	    "Как вас зовут?",
	    "Як вас звати?" },
	{ LANG_KNOWN,
	    "Снова здравствуйте, %s!\n",
	    "Знову вітаю, %s!\n" },
	{ LANG_STORED,
	    "Приятно познакомиться, %s!\n",
	    "Приємно познайомитися, %s!\n" },
	{ LANG_RETRY,
	    "Извините: %s. Как вас зовут?\n",
	    "Вибачте: %s. Як вас звати?\n" },
	{ LANG_GOODBYE,
	    "Извините: %s. До свидания.\n",
	    "Вибачте: %s. До побачення.\n" },
	{ LANG_NO_STORE,
	    "Извините, хранилище имён сейчас недоступно.\n",
	    "Вибачте, сховище імен зараз недоступне.\n" },
	{ LANG_NOT_STORED,
	    "Извините, не удалось сохранить ваше имя.\n",
	    "Вибачте, не вдалося зберегти ваше ім'я.\n" },
	{ "the name is empty",
	    "имя пустое",
	    "ім'я порожнє" },
	{ "the name holds a NUL byte",
	    "в имени есть байт NUL",
	    "в імені є байт NUL" },
	{ "the name is not valid UTF-8",
	    "имя не является корректным UTF-8",
	    "ім'я не є коректним UTF-8" },
	{ "the name holds a control character",
	    "в имени есть управляющий символ",
	    "в імені є керівний символ" },
	{ "the name holds an invisible character",
	    "в имени есть невидимый символ",
	    "в імені є невидимий символ" },
	{ "the name is longer than 64 characters",
	    "имя длиннее 64 символов",
	    "ім'я довше за 64 символи" },
};
#define LANG_ROWS	(sizeof(lang_table) / sizeof(lang_table[0]))

int
lang_find(const char *name)
{
	int i;

	for (i = 0; i < LANG_COUNT; i++)
		if (strcmp(lang_names[i], name) == 0)
			return i;
	return -1;
}

int
lang_check(const char *value, char *why, size_t whylen)
{
	if (lang_find(value) != -1)
		return 0;
	snprintf(why, whylen, "'%s' is none of en, ru, uk", value);
	return -1;
}

static int
lang_row(const char *en)
{
	size_t i;

	for (i = 0; i < LANG_ROWS; i++)
		if (strcmp(lang_table[i][LANG_EN], en) == 0)
			return (int)i;
	return -1;
}

const char *
lang_say(int lang, const char *en)
{
	int row = lang_row(en);

	if (row == -1 || lang < 0 || lang >= LANG_COUNT)
		return en;
	return lang_table[row][lang];
}

int
lang_starts(const char *line, const char *en)
{
	int row = lang_row(en), i;
	const char *t;

	for (i = 0; i < LANG_COUNT; i++) {
		t = row == -1 ? en : lang_table[row][i];
		if (strncmp(line, t, strcspn(t, "%\n")) == 0)
			return 1;
	}
	return 0;
}

int
lang_asks_name(const char *line)
{
	int row = lang_row(LANG_QUESTION), i;

	for (i = 0; i < LANG_COUNT; i++)
		if (strstr(line, lang_table[row][i]) != NULL)
			return 1;
	return 0;
}

size_t
lang_count(void)
{
	return LANG_ROWS;
}

const char *
lang_text(size_t i, int lang)
{
	return i < LANG_ROWS && lang >= 0 && lang < LANG_COUNT ?
	    lang_table[i][lang] : NULL;
}
