/*
 * test_bufpool.c - the budgeted handshake-buffer pool: size classes, growth
 * that keeps the bytes, release and reuse without new allocations, budget
 * and per-direction-cap refusals (counted, buffer untouched), and trimming
 * of cached blocks of other classes when the budget runs short.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cs_bufpool.h"
#include "cs_budget.h"
#include "cs_limits.h"

#define KIB 1024u

static void fill(struct cs_buf *b, uint32_t n, uint8_t salt)
{
	for (uint32_t i = 0; i < n; i++)
		b->p[i] = (uint8_t)(i * 7u + salt);
	b->len = n;
}

static void assert_filled(const struct cs_buf *b, uint32_t n, uint8_t salt)
{
	for (uint32_t i = 0; i < n; i++)
		if (b->p[i] != (uint8_t)(i * 7u + salt))
			fail_msg("byte %u: %u, expected %u", i, b->p[i], (uint8_t)(i * 7u + salt));
}

static void test_sizes_round_up_to_power_of_two_classes(void **state)
{
	(void)state;
	static const struct {
		size_t need;
		uint32_t cap;
	} t[] = {
		{1, 2 * KIB},
		{2 * KIB, 2 * KIB},
		{2 * KIB + 1, 4 * KIB},
		{4 * KIB, 4 * KIB},
		{5000, 8 * KIB},
		{16 * KIB + 1, 32 * KIB},
		{300 * KIB, 512 * KIB},
		{512 * KIB + 1, CS_FLOW_DIR_CAP},
		{CS_FLOW_DIR_CAP, CS_FLOW_DIR_CAP},
	};
	struct cs_bufpool *bp = bufpool_new(64u * 1024 * 1024);

	assert_non_null(bp);
	for (size_t i = 0; i < CS_ARRAY_LEN(t); i++) {
		struct cs_buf b = {0};

		assert_int_equal(bufpool_reserve(bp, &b, t[i].need), CS_OK);
		assert_non_null(b.p);
		assert_int_equal(b.cap, t[i].cap);
		assert_int_equal(b.len, 0);
		assert_int_equal(bufpool_in_use(bp), t[i].cap);
		memset(b.p, 0xa5, b.cap); /* the whole class is usable (ASan checks) */
		bufpool_release(bp, &b);
		assert_int_equal(bufpool_in_use(bp), 0);
	}
	assert_int_equal(bufpool_refusals(bp), 0);
	bufpool_free(bp);
}

static void test_reserve_within_capacity_changes_nothing(void **state)
{
	(void)state;
	struct cs_bufpool *bp = bufpool_new(1024 * KIB);
	struct cs_buf b = {0};
	uint8_t *p;

	assert_int_equal(bufpool_reserve(bp, &b, 0), CS_OK); /* nothing needed */
	assert_null(b.p);
	assert_int_equal(bufpool_in_use(bp), 0);
	assert_int_equal(bufpool_reserve(bp, &b, 100), CS_OK);
	p = b.p;
	fill(&b, 100, 1);
	for (size_t need = 0; need <= 2 * KIB; need += 97) {
		assert_int_equal(bufpool_reserve(bp, &b, need), CS_OK);
		assert_ptr_equal(b.p, p);
		assert_int_equal(b.cap, 2 * KIB);
		assert_int_equal(b.len, 100);
	}
	assert_filled(&b, 100, 1);
	assert_int_equal(bufpool_in_use(bp), 2 * KIB);
	bufpool_release(bp, &b);
	bufpool_free(bp);
}

static void test_growth_keeps_contents_and_caches_old_block(void **state)
{
	(void)state;
	struct cs_bufpool *bp = bufpool_new(4096 * KIB);
	struct cs_buf b = {0}, other = {0};
	uint8_t *small;

	assert_int_equal(bufpool_reserve(bp, &b, 2 * KIB), CS_OK);
	small = b.p;
	fill(&b, 2 * KIB, 3);
	/* 2 KiB -> 8 KiB -> 64 KiB -> 1 MiB, each time the bytes follow */
	assert_int_equal(bufpool_reserve(bp, &b, 5000), CS_OK);
	assert_int_equal(b.cap, 8 * KIB);
	assert_int_equal(b.len, 2 * KIB);
	assert_filled(&b, 2 * KIB, 3);
	fill(&b, 8 * KIB, 4);
	assert_int_equal(bufpool_reserve(bp, &b, 40 * KIB), CS_OK);
	assert_int_equal(b.cap, 64 * KIB);
	assert_filled(&b, 8 * KIB, 4);
	fill(&b, 50 * KIB, 5);
	assert_int_equal(bufpool_reserve(bp, &b, CS_FLOW_DIR_CAP), CS_OK);
	assert_int_equal(b.cap, CS_FLOW_DIR_CAP);
	assert_int_equal(b.len, 50 * KIB);
	assert_filled(&b, 50 * KIB, 5);
	/* only the current block is in use; the outgrown ones are cached */
	assert_int_equal(bufpool_in_use(bp), CS_FLOW_DIR_CAP);
	/* and the first outgrown block is what the next small request gets */
	assert_int_equal(bufpool_reserve(bp, &other, 10), CS_OK);
	assert_ptr_equal(other.p, small);
	assert_int_equal(bufpool_in_use(bp), CS_FLOW_DIR_CAP + 2 * KIB);
	bufpool_release(bp, &other);
	bufpool_release(bp, &b);
	assert_int_equal(bufpool_in_use(bp), 0);
	assert_int_equal(bufpool_refusals(bp), 0);
	bufpool_free(bp); /* frees the cached blocks (valgrind: no leak) */
}

static void test_release_then_reserve_reuses_the_same_block(void **state)
{
	(void)state;
	/* The budget is exactly one 4 KiB block: a fresh system allocation
	 * while the released block is cached would not fit, so success and
	 * the same pointer prove the steady state takes nothing new. */
	struct cs_bufpool *bp = bufpool_new(4 * KIB);
	struct cs_buf b = {0};
	uint8_t *first;

	assert_int_equal(bufpool_reserve(bp, &b, 3000), CS_OK);
	first = b.p;
	for (int i = 0; i < 1000; i++) {
		fill(&b, 3000, (uint8_t)i);
		bufpool_release(bp, &b);
		assert_null(b.p);
		assert_int_equal(b.cap, 0);
		assert_int_equal(b.len, 0);
		assert_int_equal(bufpool_in_use(bp), 0);
		assert_int_equal(bufpool_reserve(bp, &b, (size_t)(2049 + i % 2000)), CS_OK);
		assert_ptr_equal(b.p, first);
		assert_int_equal(bufpool_in_use(bp), 4 * KIB);
	}
	assert_int_equal(bufpool_refusals(bp), 0);
	bufpool_release(bp, &b);
	bufpool_release(bp, &b); /* releasing an empty buffer is safe */
	assert_int_equal(bufpool_in_use(bp), 0);
	bufpool_free(bp);
}

static void test_budget_refusal_is_counted_and_leaves_buffer_unchanged(void **state)
{
	(void)state;
	struct cs_bufpool *bp = bufpool_new(6 * KIB);
	struct cs_buf a = {0}, b = {0};
	uint8_t *ap;

	assert_int_equal(bufpool_reserve(bp, &a, 4 * KIB), CS_OK);
	ap = a.p;
	fill(&a, 1000, 9);
	/* a second 4 KiB block does not fit: refused, counted, b untouched */
	assert_int_equal(bufpool_reserve(bp, &b, 3000), CS_LIMIT);
	assert_null(b.p);
	assert_int_equal(b.cap, 0);
	assert_int_equal(bufpool_refusals(bp), 1);
	/* growing a to 8 KiB is refused too: a keeps its block and bytes */
	assert_int_equal(bufpool_reserve(bp, &a, 5000), CS_LIMIT);
	assert_ptr_equal(a.p, ap);
	assert_int_equal(a.cap, 4 * KIB);
	assert_int_equal(a.len, 1000);
	assert_filled(&a, 1000, 9);
	assert_int_equal(bufpool_refusals(bp), 2);
	/* a 2 KiB block still fits beside it */
	assert_int_equal(bufpool_reserve(bp, &b, 2 * KIB), CS_OK);
	assert_int_equal(bufpool_in_use(bp), 6 * KIB);
	assert_int_equal(bufpool_reserve(bp, &b, 2 * KIB + 1), CS_LIMIT);
	assert_int_equal(b.cap, 2 * KIB);
	assert_int_equal(bufpool_refusals(bp), 3);
	bufpool_release(bp, &a);
	bufpool_release(bp, &b);
	bufpool_free(bp);
}

/* --workers: two pools sharing a total of 8 KiB, each with that budget of
 * its own.  Every byte held counts, cached ones too; a pool short of the
 * total trims its own cache; the total comes back as pools give back. */
static void test_shared_total_is_kept_across_pools(void **state)
{
	(void)state;
	struct cs_budget total = {.cap = 8 * KIB};
	struct cs_bufpool *a = bufpool_new(8 * KIB), *b = bufpool_new(8 * KIB);
	struct cs_buf x = {0}, y = {0}, z = {0};

	bufpool_share(a, &total);
	bufpool_share(b, &total);
	assert_int_equal(bufpool_reserve(a, &x, 4 * KIB), CS_OK);
	assert_int_equal(bufpool_reserve(b, &y, 2 * KIB), CS_OK);
	assert_int_equal(atomic_load(&total.used), 6 * KIB);
	/* b's own budget has room for 4 KiB more, the total does not */
	assert_int_equal(bufpool_reserve(b, &z, 4 * KIB), CS_LIMIT);
	assert_int_equal(bufpool_refusals(b), 1);
	assert_null(z.p);
	/* a's block, released, is still held (cached): the total stays */
	bufpool_release(a, &x);
	assert_int_equal(atomic_load(&total.used), 6 * KIB);
	assert_int_equal(bufpool_reserve(b, &z, 4 * KIB), CS_LIMIT);
	/* a short of the total trims its own cache: its 4 KiB block goes */
	assert_int_equal(bufpool_reserve(a, &x, 8 * KIB), CS_LIMIT);
	assert_int_equal(atomic_load(&total.used), 2 * KIB);
	assert_int_equal(bufpool_reserve(b, &z, 4 * KIB), CS_OK);
	assert_int_equal(atomic_load(&total.used), 6 * KIB);
	bufpool_release(b, &y);
	bufpool_release(b, &z);
	bufpool_free(b);
	bufpool_free(a);
	assert_int_equal(atomic_load(&total.used), 0);
}

static void test_budget_smaller_than_smallest_class_refuses_everything(void **state)
{
	(void)state;
	struct cs_bufpool *bp = bufpool_new(2 * KIB - 1);
	struct cs_buf b = {0};

	assert_int_equal(bufpool_reserve(bp, &b, 1), CS_LIMIT);
	assert_int_equal(bufpool_reserve(bp, &b, 1), CS_LIMIT);
	assert_null(b.p);
	assert_int_equal(bufpool_refusals(bp), 2);
	assert_int_equal(bufpool_in_use(bp), 0);
	bufpool_free(bp);
}

static void test_request_above_dir_cap_is_refused_whatever_the_budget(void **state)
{
	(void)state;
	struct cs_bufpool *bp = bufpool_new((size_t)64 * 1024 * 1024);
	struct cs_buf b = {0};

	assert_int_equal(bufpool_reserve(bp, &b, (size_t)CS_FLOW_DIR_CAP + 1), CS_LIMIT);
	assert_null(b.p);
	assert_int_equal(bufpool_refusals(bp), 1);
	assert_int_equal(bufpool_reserve(bp, &b, SIZE_MAX), CS_LIMIT);
	assert_int_equal(bufpool_refusals(bp), 2);
	assert_int_equal(bufpool_in_use(bp), 0);
	/* exactly the cap is fine, and growing past it from there is not */
	assert_int_equal(bufpool_reserve(bp, &b, CS_FLOW_DIR_CAP), CS_OK);
	fill(&b, 64, 2);
	assert_int_equal(bufpool_reserve(bp, &b, (size_t)CS_FLOW_DIR_CAP + 1), CS_LIMIT);
	assert_int_equal(b.cap, CS_FLOW_DIR_CAP);
	assert_filled(&b, 64, 2);
	assert_int_equal(bufpool_refusals(bp), 3);
	bufpool_release(bp, &b);
	bufpool_free(bp);
}

static void test_short_budget_trims_cached_blocks_of_other_classes(void **state)
{
	(void)state;
	struct cs_bufpool *bp = bufpool_new(16 * KIB);
	struct cs_buf a = {0}, b = {0}, c = {0}, big = {0};

	/* 8 + 4 + 2 KiB held, then all released: 14 KiB cached, none in use */
	assert_int_equal(bufpool_reserve(bp, &a, 8 * KIB), CS_OK);
	assert_int_equal(bufpool_reserve(bp, &b, 4 * KIB), CS_OK);
	assert_int_equal(bufpool_reserve(bp, &c, 2 * KIB), CS_OK);
	bufpool_release(bp, &a);
	bufpool_release(bp, &b);
	bufpool_release(bp, &c);
	assert_int_equal(bufpool_in_use(bp), 0);
	/* 16 KiB only fits once the cached blocks go back to the system */
	assert_int_equal(bufpool_reserve(bp, &big, 16 * KIB), CS_OK);
	assert_int_equal(big.cap, 16 * KIB);
	assert_int_equal(bufpool_in_use(bp), 16 * KIB);
	assert_int_equal(bufpool_refusals(bp), 0);
	memset(big.p, 1, big.cap);
	/* a block in use is never trimmed: nothing else fits now */
	assert_int_equal(bufpool_reserve(bp, &a, 1), CS_LIMIT);
	assert_int_equal(bufpool_refusals(bp), 1);
	/* the cached 16 KiB block makes room for small ones */
	bufpool_release(bp, &big);
	assert_int_equal(bufpool_reserve(bp, &a, 2 * KIB), CS_OK);
	assert_int_equal(bufpool_reserve(bp, &b, 2 * KIB), CS_OK);
	assert_int_equal(bufpool_in_use(bp), 4 * KIB);
	memset(a.p, 2, a.cap);
	memset(b.p, 3, b.cap);
	assert_int_equal(bufpool_refusals(bp), 1);
	bufpool_release(bp, &a);
	bufpool_release(bp, &b);
	bufpool_free(bp);
}

static void test_cached_block_of_wanted_class_is_reused_not_trimmed(void **state)
{
	(void)state;
	/* A cached block of the requested class is reused, not trimmed and
	 * reallocated: the pointer comes back even with other classes cached. */
	struct cs_bufpool *bp = bufpool_new(8 * KIB);
	struct cs_buf a = {0}, b = {0};
	uint8_t *pa;

	assert_int_equal(bufpool_reserve(bp, &a, 4 * KIB), CS_OK);
	assert_int_equal(bufpool_reserve(bp, &b, 2 * KIB), CS_OK);
	pa = a.p;
	bufpool_release(bp, &a);
	bufpool_release(bp, &b);
	assert_int_equal(bufpool_reserve(bp, &a, 3 * KIB), CS_OK);
	assert_ptr_equal(a.p, pa);
	bufpool_release(bp, &a);
	bufpool_free(bp);
}

static void test_free_null_is_a_no_op(void **state)
{
	(void)state;
	bufpool_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sizes_round_up_to_power_of_two_classes),
		cmocka_unit_test(test_reserve_within_capacity_changes_nothing),
		cmocka_unit_test(test_growth_keeps_contents_and_caches_old_block),
		cmocka_unit_test(test_release_then_reserve_reuses_the_same_block),
		cmocka_unit_test(test_budget_refusal_is_counted_and_leaves_buffer_unchanged),
		cmocka_unit_test(test_budget_smaller_than_smallest_class_refuses_everything),
		cmocka_unit_test(test_request_above_dir_cap_is_refused_whatever_the_budget),
		cmocka_unit_test(test_short_budget_trims_cached_blocks_of_other_classes),
		cmocka_unit_test(test_cached_block_of_wanted_class_is_reused_not_trimmed),
		cmocka_unit_test(test_free_null_is_a_no_op),
		cmocka_unit_test(test_shared_total_is_kept_across_pools),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
