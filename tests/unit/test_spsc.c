/*
 * test_spsc.c - the single-producer single-consumer ring indices
 * (cs_spsc.h): full and empty, first in first out, indices that wrap past
 * SIZE_MAX, and two threads passing a million numbers through a small
 * ring in order (run under make SANITIZE=thread for the memory order).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>

#include "cs_spsc.h"

#define SLOTS 8

/* Put v in the next slot of q over buf; false when full. */
static bool put(struct spsc *q, uint64_t *buf, uint64_t v)
{
	size_t i;

	if (!spsc_slot(q, &i))
		return false;
	buf[i] = v;
	spsc_publish(q);
	return true;
}

/* Take the oldest value; false when empty. */
static bool take(struct spsc *q, const uint64_t *buf, uint64_t *v)
{
	size_t i;

	if (!spsc_next(q, &i))
		return false;
	*v = buf[i];
	spsc_release(q);
	return true;
}

/* Rounds of filling the ring to the brim and emptying it, from indices
 * starting at start: each value comes out once, in order. */
static void fill_and_drain(size_t start)
{
	struct spsc q;
	uint64_t buf[SLOTS], v, next_in = 0, next_out = 0;

	spsc_init(&q, SLOTS);
	atomic_store(&q.head, start);
	atomic_store(&q.tail, start);
	for (int round = 0; round < 5; round++) {
		assert_true(spsc_empty(&q));
		assert_false(take(&q, buf, &v));
		for (int k = 0; k < SLOTS; k++)
			assert_true(put(&q, buf, next_in++));
		assert_false(put(&q, buf, 999)); /* full: refused, nothing lost */
		assert_false(spsc_empty(&q));
		for (int k = 0; k < SLOTS / 2; k++) { /* half out, half in: the ring wraps */
			assert_true(take(&q, buf, &v));
			assert_int_equal(v, next_out++);
			assert_true(put(&q, buf, next_in++));
		}
		while (take(&q, buf, &v))
			assert_int_equal(v, next_out++);
		assert_int_equal(next_out, next_in);
	}
}

static void test_full_empty_order(void **state)
{
	(void)state;
	fill_and_drain(0);
}

static void test_indices_wrap(void **state)
{
	(void)state;
	fill_and_drain(SIZE_MAX - 3);
}

#define PASSED 1000000u

struct shared {
	struct spsc q;
	uint64_t buf[SLOTS];
};

static void *producer(void *arg)
{
	struct shared *s = arg;

	for (uint64_t v = 1; v <= PASSED; v++)
		while (!put(&s->q, s->buf, v))
			sched_yield();
	return NULL;
}

/* The consumer sees 1 .. PASSED, each once and in order. */
static void test_two_threads(void **state)
{
	(void)state;
	static struct shared s;
	pthread_t t;
	uint64_t want = 1, v;

	spsc_init(&s.q, SLOTS);
	assert_int_equal(pthread_create(&t, NULL, producer, &s), 0);
	while (want <= PASSED) {
		if (!take(&s.q, s.buf, &v)) {
			sched_yield();
			continue;
		}
		assert_int_equal(v, want);
		want++;
	}
	pthread_join(t, NULL);
	assert_true(spsc_empty(&s.q));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_empty_order),
		cmocka_unit_test(test_indices_wrap),
		cmocka_unit_test(test_two_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
