/*
 * test_vec.c - the growable arrays (cs_vec.h): doubling from the first
 * size, contents kept across growth, the cap refused and counted, the
 * sizes that would overflow refused with the array unchanged, and the
 * id-indexed map zero-filled as it grows.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "cs_vec.h"

struct pair {
	uint32_t a, b;
};

static void test_reserve_doubles_from_first_and_keeps_contents(void **state)
{
	struct pair *v = NULL;
	size_t n = 0, cap = 0;

	(void)state;
	for (uint32_t i = 0; i < 100; i++) {
		assert_int_equal(vec_reserve(&v, n, &cap, sizeof(*v), 4), CS_OK);
		assert_true(n < cap);
		v[n++] = (struct pair){i, 3 * i};
		/* 4, 8, 16, ...: a power of two times first, the smallest that fits */
		assert_true(cap == 4 || (cap / 2 < n + 1 && cap % 4 == 0));
	}
	assert_int_equal(cap, 128);
	for (uint32_t i = 0; i < 100; i++) {
		assert_int_equal(v[i].a, i);
		assert_int_equal(v[i].b, 3 * i);
	}
	/* room left: no reallocation, the same array */
	struct pair *before = v;
	assert_int_equal(vec_reserve(&v, n, &cap, sizeof(*v), 4), CS_OK);
	assert_ptr_equal(v, before);
	assert_int_equal(cap, 128);
	free(v);
}

static void test_capped_refuses_and_counts_at_max(void **state)
{
	uint16_t *v = NULL;
	size_t n = 0, cap = 0;
	uint64_t refused = 0;

	(void)state;
	while (vec_reserve_capped(&v, n, &cap, sizeof(*v), 2, 5, &refused) == CS_OK) {
		v[n] = (uint16_t)(n + 7);
		n++;
	}
	assert_int_equal(n, 5);
	assert_int_equal(cap, 5); /* 2, 4, then 5: never past the cap */
	assert_int_equal(refused, 1);
	assert_int_equal(vec_reserve_capped(&v, n, &cap, sizeof(*v), 2, 5, &refused), CS_LIMIT);
	assert_int_equal(refused, 2);
	assert_int_equal(vec_reserve_capped(&v, n, &cap, sizeof(*v), 2, 5, NULL), CS_LIMIT);
	assert_int_equal(refused, 2);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(v[i], i + 7);
	free(v);
}

static void test_capped_at_zero_refuses_without_allocating(void **state)
{
	int *v = NULL;
	size_t cap = 0;
	uint64_t refused = 0;

	(void)state;
	assert_int_equal(vec_reserve_capped(&v, 0, &cap, sizeof(*v), 8, 0, &refused), CS_LIMIT);
	assert_null(v);
	assert_int_equal(cap, 0);
	assert_int_equal(refused, 1);
}

static void test_overflowing_size_is_nomem_and_unchanged(void **state)
{
	struct pair *v = NULL;
	size_t n = 0, cap = 0;

	(void)state;
	assert_int_equal(vec_reserve(&v, n, &cap, sizeof(*v), 1), CS_OK);
	v[n++] = (struct pair){1, 2};
	/* an element so large that doubling overflows size_t */
	assert_int_equal(vec_reserve(&v, n, &cap, SIZE_MAX / 2 + 1, 1), CS_NOMEM);
	assert_int_equal(cap, 1);
	assert_non_null(v);
	assert_int_equal(v[0].a, 1);
	assert_int_equal(v[0].b, 2);
	free(v);
}

static void test_cover_grows_to_the_id_and_zeroes(void **state)
{
	uint32_t *map = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(vec_cover(&map, &n, 0, sizeof(*map), 8), CS_OK);
	assert_int_equal(n, 8);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(map[i], 0);
	map[3] = 33;
	assert_int_equal(vec_cover(&map, &n, 7, sizeof(*map), 8), CS_OK);
	assert_int_equal(n, 8); /* fits already */
	assert_int_equal(vec_cover(&map, &n, 40, sizeof(*map), 8), CS_OK);
	assert_int_equal(n, 64); /* 8 doubled until 40 fits */
	assert_int_equal(map[3], 33);
	for (size_t i = 0; i < n; i++)
		if (i != 3)
			assert_int_equal(map[i], 0);
	map[40] = 4;
	assert_int_equal(vec_cover(&map, &n, SIZE_MAX, sizeof(*map), 8), CS_NOMEM);
	assert_int_equal(n, 64);
	assert_int_equal(map[40], 4);
	free(map);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reserve_doubles_from_first_and_keeps_contents),
		cmocka_unit_test(test_capped_refuses_and_counts_at_max),
		cmocka_unit_test(test_capped_at_zero_refuses_without_allocating),
		cmocka_unit_test(test_overflowing_size_is_nomem_and_unchanged),
		cmocka_unit_test(test_cover_grows_to_the_id_and_zeroes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
