/*
 * test_codec.c - lowercase hex and RFC 4648 base64 (cs_codec.h): the RFC's
 * test vectors, round trips of every length, the strict decoders refusing
 * every other spelling (uppercase hex, wrong lengths, base64url, missing or
 * misplaced padding, pad bits set, whitespace), and the FILE writer agreeing
 * with the buffer encoder across its chunk boundary.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cs_codec.h"

/* ---- hex ------------------------------------------------------------------------- */

static void test_hex_lower(void **state)
{
	(void)state;
	static const uint8_t b[] = {0x00, 0x9f, 0xa0, 0xff};
	char out[9];

	hex_lower(b, sizeof b, out);
	assert_string_equal(out, "009fa0ff");
	hex_lower(b, 0, out);
	assert_string_equal(out, "");
}

static void test_hex_parse_lower_is_strict(void **state)
{
	static const char *const bad[] = {
		"009FA0FF", "009fa0f", "009fa0fff", "009fa0fg", "009fa0f ", " 09fa0ff", "0x9fa0ff",
	};
	uint8_t out[4], all[256], back[256];
	char hex[2 * 256 + 1];

	(void)state;
	assert_true(hex_parse_lower("009fa0ff", 8, out, 4));
	assert_memory_equal(out, "\x00\x9f\xa0\xff", 4);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (hex_parse_lower(bad[i], strlen(bad[i]), out, 4))
			fail_msg("\"%s\" was read as hex", bad[i]);
	/* the length is the caller's, not a NUL: "00" followed by more */
	assert_true(hex_parse_lower("00ff", 2, out, 1) && out[0] == 0);
	assert_false(hex_parse_lower("", 0, out, 1));
	assert_true(hex_parse_lower("", 0, out, 0));
	/* every byte value round-trips */
	for (size_t i = 0; i < sizeof(all); i++)
		all[i] = (uint8_t)i;
	hex_lower(all, sizeof(all), hex);
	assert_true(hex_parse_lower(hex, strlen(hex), back, sizeof(back)));
	assert_memory_equal(back, all, sizeof(all));
}

/* ---- base64 ---------------------------------------------------------------------- */

/* RFC 4648 section 10. */
static void test_base64_rfc4648_vectors(void **state)
{
	static const char *const vec[][2] = {
		{"", ""},
		{"f", "Zg=="},
		{"fo", "Zm8="},
		{"foo", "Zm9v"},
		{"foob", "Zm9vYg=="},
		{"fooba", "Zm9vYmE="},
		{"foobar", "Zm9vYmFy"},
	};
	uint8_t out[8];
	char buf[16];
	size_t n;

	(void)state;
	for (size_t i = 0; i < sizeof(vec) / sizeof(vec[0]); i++) {
		const uint8_t *in = (const uint8_t *)vec[i][0];
		size_t len = strlen(vec[i][0]);
		char *s = b64_encode(in, len);

		assert_string_equal(s, vec[i][1]);
		assert_int_equal(b64_len(len), strlen(vec[i][1]));
		b64_encode_buf(in, len, buf);
		assert_string_equal(buf, vec[i][1]);
		assert_true(b64_decode(s, strlen(s), out, sizeof(out), &n));
		assert_int_equal(n, len);
		assert_memory_equal(out, in, len);
		free(s);
	}
}

static void test_base64_round_trip_and_strictness(void **state)
{
	uint8_t in[16] = {0}, out[16];
	size_t n;

	(void)state;
	for (size_t len = 0; len <= sizeof(in); len++) {
		char *s;

		for (size_t i = 0; i < len; i++)
			in[i] = (uint8_t)(0xa5 ^ (i * 37));
		s = b64_encode(in, len);
		assert_non_null(s);
		assert_true(b64_decode(s, strlen(s), out, sizeof(out), &n));
		assert_int_equal(n, len);
		assert_memory_equal(in, out, len);
		if (len) /* one byte too small */
			assert_false(b64_decode(s, strlen(s), out, len - 1, &n));
		free(s);
	}
	assert_true(b64_decode("TWFu", 4, out, sizeof(out), &n) && n == 3 &&
		    !memcmp(out, "Man", 3));
	assert_true(b64_decode("TQ==", 4, out, sizeof(out), &n) && n == 1);
	assert_false(b64_decode("TR==", 4, out, sizeof(out), &n));     /* pad bits set */
	assert_false(b64_decode("TWE=TWE=", 8, out, sizeof(out), &n)); /* pad inside */
	assert_false(b64_decode("T===", 4, out, sizeof(out), &n));
	assert_false(b64_decode("TQ=a", 4, out, sizeof(out), &n));
	assert_false(b64_decode("TWF", 3, out, sizeof(out), &n));
	assert_false(b64_decode("TW u", 4, out, sizeof(out), &n));
	assert_false(b64_decode("TW-_", 4, out, sizeof(out), &n)); /* base64url */
}

/* Every proper prefix of a valid encoding is refused: a truncated value
 * never decodes to a shorter one. */
static void test_base64_truncations_refused(void **state)
{
	static const char s[] = "Zm9vYmFyYg==";
	uint8_t out[16];
	size_t n = 99;

	(void)state;
	for (size_t len = 1; len < sizeof(s) - 1; len++) {
		if (len % 4 == 0 && len < 12)
			continue; /* "Zm9v", "Zm9vYmFy": whole groups are valid values */
		if (b64_decode(s, len, out, sizeof(out), &n))
			fail_msg("a prefix of %zu characters decoded", len);
		assert_int_equal(n, 0);
	}
	assert_true(b64_decode(s, sizeof(s) - 1, out, sizeof(out), &n) && n == 7);
}

static void test_base64_length_limits(void **state)
{
	(void)state;
	assert_int_equal(b64_len(0), 0);
	assert_int_equal(b64_len(1), 4);
	assert_int_equal(b64_len(3), 4);
	assert_int_equal(b64_len(4), 8);
	assert_int_equal(b64_len(SIZE_MAX), SIZE_MAX);
	assert_int_equal(b64_len(SIZE_MAX / 4 * 3), SIZE_MAX);
	assert_null(b64_encode(NULL, SIZE_MAX)); /* refused before reading */
}

/* The writer encodes in chunks: lengths around the chunk size (768 bytes)
 * give exactly what the buffer encoder gives. */
static void test_base64_write_matches_buffer(void **state)
{
	static const size_t lens[] = {0, 1, 2, 3, 767, 768, 769, 770, 1536, 2000};
	uint8_t in[2000];

	(void)state;
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 131 + 7);
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		char *mem = NULL, *want = b64_encode(in, lens[i]);
		size_t memlen = 0;
		FILE *f = open_memstream(&mem, &memlen);

		assert_non_null(f);
		assert_true(b64_write(f, in, lens[i]));
		assert_int_equal(fclose(f), 0);
		assert_int_equal(memlen, b64_len(lens[i]));
		assert_string_equal(mem, want);
		free(mem);
		free(want);
	}
}

/* A write error is reported, not swallowed. */
static void test_base64_write_error(void **state)
{
	uint8_t in[3000] = {0};
	FILE *f = fopen("/dev/full", "w");

	(void)state;
	assert_non_null(f);
	setvbuf(f, NULL, _IONBF, 0);
	assert_false(b64_write(f, in, sizeof(in)));
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hex_lower),
		cmocka_unit_test(test_hex_parse_lower_is_strict),
		cmocka_unit_test(test_base64_rfc4648_vectors),
		cmocka_unit_test(test_base64_round_trip_and_strictness),
		cmocka_unit_test(test_base64_truncations_refused),
		cmocka_unit_test(test_base64_length_limits),
		cmocka_unit_test(test_base64_write_matches_buffer),
		cmocka_unit_test(test_base64_write_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
