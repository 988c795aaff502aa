/*
 * fuzz_pingpong.c -- the pingpong code-word scanner (pingpong_scan() in
 * daemon/services/pingpong.c), fed the input one byte at a time, then a
 * space that ends whatever was pending.
 *
 * Checked: the scanner's state stays within its word buffer; _code1g and
 * _code2g are reported exactly at the last byte of each of their
 * occurrences in the input, however they are surrounded (split and
 * coalesced words are the same byte stream to it); once the code words are
 * taken out, input of whitespace only gets no GARBAGE report, and any other
 * byte left gets at least one, and never more reports than such bytes.
 */
#include <string.h>

#include "daemon/services/pingpong.h"
#include "tests/fuzz/fuzz.h"

static int
space(unsigned char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

static int
code_at(const uint8_t *data, size_t size, size_t i)
{
	return i + 7 <= size && (memcmp(data + i, "_code1g", 7) == 0 ||
	    memcmp(data + i, "_code2g", 7) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pingpong_scanner s;
	enum pingpong_token t, want;
	size_t i, garbage = 0, other = 0, code_end = 0;
	unsigned char ch;

	memset(&s, 0, sizeof(s));
	for (i = 0; i <= size; i++) {
		ch = i < size ? data[i] : ' ';
		/* Code words never overlap: each starts with the only '_'. */
		if (code_at(data, size, i))
			code_end = i + 7;
		if (i < size && i >= code_end && !space(ch))
			other++;
		t = pingpong_scan(&s, ch);
		FUZZ_CHECK(s.len < sizeof(s.word), "word of %zu bytes", s.len);
		FUZZ_CHECK(s.in_garbage == 0 || s.in_garbage == 1,
		    "in_garbage %d", s.in_garbage);
		want = PINGPONG_NONE;
		if (i + 1 >= 7 && i < size && code_at(data, size, i + 1 - 7))
			want = data[i - 1] == '1' ? PINGPONG_CODE1 :
			    PINGPONG_CODE2;
		if (want != PINGPONG_NONE) {
			FUZZ_CHECK(t == want, "code word ending at %zu: %d",
			    i, t);
			FUZZ_CHECK(s.len == 0 && !s.in_garbage,
			    "state left after a code word");
		} else
			FUZZ_CHECK(t == PINGPONG_NONE || t == PINGPONG_GARBAGE,
			    "code word %d at %zu", t, i);
		garbage += t == PINGPONG_GARBAGE;
	}
	FUZZ_CHECK(other == 0 ? garbage == 0 : garbage >= 1,
	    "%zu GARBAGE for %zu other bytes", garbage, other);
	FUZZ_CHECK(garbage <= other, "%zu GARBAGE for %zu other bytes",
	    garbage, other);
	return 0;
}
