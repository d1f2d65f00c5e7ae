/* test_cursor.c - the bounds-checked reader: every read at every truncation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cs_cursor.h"

static void test_integers(void **state)
{
	(void)state;
	static const uint8_t b[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	struct cs_cursor c;
	uint8_t u8;
	uint16_t u16;
	uint32_t u32;

	cur_init(&c, b, sizeof b);
	assert_true(cur_u8(&c, &u8));
	assert_int_equal(u8, 1);
	assert_true(cur_u16(&c, &u16));
	assert_int_equal(u16, 0x0203);
	assert_true(cur_u24(&c, &u32));
	assert_int_equal(u32, 0x040506);
	assert_true(cur_u32le(&c, &u32));
	assert_int_equal(u32, 0x0a090807);
	assert_true(cur_end(&c));
	assert_false(cur_u8(&c, &u8));
	assert_int_equal(u8, 0);

	cur_init(&c, b, sizeof b);
	assert_true(cur_u16e(&c, true, &u16));
	assert_int_equal(u16, 0x0201);
	assert_true(cur_u32e(&c, false, &u32));
	assert_int_equal(u32, 0x03040506);
}

static void test_failure_is_sticky(void **state)
{
	(void)state;
	static const uint8_t b[] = {0xaa, 0xbb, 0xcc};
	struct cs_cursor c;
	uint32_t u32 = 77;
	uint8_t u8;

	cur_init(&c, b, sizeof b);
	assert_false(cur_u32(&c, &u32));
	assert_int_equal(u32, 0);
	assert_int_equal(cur_pos(&c), 0); /* offset unchanged */
	assert_false(cur_ok(&c));
	assert_false(cur_u8(&c, &u8)); /* sticky */
	assert_int_equal(cur_left(&c), 0);
	assert_false(cur_end(&c));
}

static void test_every_truncation(void **state)
{
	(void)state;
	/* A TLS-like vector: u16 length 4, then 4 bytes, then u8. */
	static const uint8_t b[] = {0x00, 0x04, 't', 'e', 's', 't', 0x7f};
	for (size_t n = 0; n <= sizeof b; n++) {
		struct cs_cursor c, v;
		struct cs_slice s;
		uint8_t tail;
		bool ok;

		cur_init(&c, b, n);
		ok = cur_vec(&c, 2, &v) && cur_take(&v, 4, &s) && cur_end(&v) &&
		     cur_u8(&c, &tail) && cur_end(&c);
		assert_int_equal(ok, n == sizeof b);
		if (ok) {
			assert_memory_equal(s.p, "test", 4);
			assert_int_equal(tail, 0x7f);
		}
	}
}

static void test_vec_and_sub(void **state)
{
	(void)state;
	static const uint8_t b[] = {0x00, 0x00, 0x02, 0xab, 0xcd, 0x05};
	struct cs_cursor c, v, sub;
	uint16_t u16;
	uint8_t u8;

	cur_init(&c, b, sizeof b);
	assert_true(cur_vec(&c, 3, &v));
	assert_true(cur_u16(&v, &u16));
	assert_int_equal(u16, 0xabcd);
	assert_true(cur_end(&v));
	assert_true(cur_peek_u8(&c, 0, &u8));
	assert_int_equal(u8, 5);
	assert_false(cur_peek_u8(&c, 1, &u8));
	assert_int_equal(cur_pos(&c), 5);

	/* a length that overruns leaves the parent bad and the child empty */
	static const uint8_t over[] = {0x09, 1, 2};
	cur_init(&c, over, sizeof over);
	assert_false(cur_vec(&c, 1, &v));
	assert_false(cur_ok(&c));
	assert_int_equal(cur_left(&v), 0);

	cur_init(&c, b, sizeof b);
	assert_false(cur_vec(&c, 4, &v)); /* lengths are 1..3 bytes */
	cur_init(&c, b, sizeof b);
	assert_true(cur_sub(&c, 2, &sub));
	assert_int_equal(cur_left(&sub), 2);
	assert_false(cur_sub(&c, 5, &sub));
	assert_false(cur_ok(&sub));
}

static void test_copy_skip_rest(void **state)
{
	(void)state;
	static const uint8_t b[] = {1, 2, 3, 4};
	uint8_t dst[3] = {9, 9, 9};
	struct cs_cursor c;
	struct cs_slice r;

	cur_init(&c, b, sizeof b);
	assert_true(cur_skip(&c, 1));
	r = cur_rest(&c);
	assert_int_equal(r.n, 3);
	assert_true(cur_copy(&c, dst, 3));
	assert_int_equal(dst[2], 4);
	assert_false(cur_copy(&c, dst, 1));
	assert_int_equal(dst[0], 0);
	assert_false(cur_fail(&c));
	cur_init(&c, NULL, 10); /* a NULL pointer has no bytes */
	assert_int_equal(cur_left(&c), 0);
}

/* cur_peek_find: from the cursor's position, bounded by its end, at or after
 * from; nothing past the end, nothing before the cursor. */
static void test_peek_find(void **state)
{
	static const uint8_t b[] = {0x16, 1, 2, 0x16, 3, 0x16};
	struct cs_cursor c;
	size_t at = 99;

	(void)state;
	cur_init(&c, b, sizeof(b) - 1); /* the last 0x16 is outside */
	assert_true(cur_peek_find(&c, 0, 0x16, &at));
	assert_int_equal(at, 0);
	assert_true(cur_peek_find(&c, 1, 0x16, &at));
	assert_int_equal(at, 3);
	assert_false(cur_peek_find(&c, 4, 0x16, &at));
	assert_false(cur_peek_find(&c, 5, 0x16, &at));
	assert_false(cur_peek_find(&c, 99, 0x16, &at));
	assert_true(cur_skip(&c, 1));
	assert_true(cur_peek_find(&c, 0, 0x16, &at));
	assert_int_equal(at, 2); /* relative to the cursor */
	assert_false(cur_peek_find(&c, 0, 0x77, &at));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),         cmocka_unit_test(test_failure_is_sticky),
		cmocka_unit_test(test_every_truncation), cmocka_unit_test(test_vec_and_sub),
		cmocka_unit_test(test_copy_skip_rest),   cmocka_unit_test(test_peek_find),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
