/*
 * test_ilist.c - the index-linked lists (cs_ilist.h): push at the head,
 * unlink from the head, the middle and the tail, the last element, and two
 * lists sharing one array, each list walked both ways after every step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cs_ilist.h"

#define N 8

struct item {
	int value;
	struct ilist_link link;
};

static struct ilist_link *link_of(void *items, uint32_t i)
{
	return &((struct item *)items)[i].link;
}

/* The list holds exactly want[0..n) from head to tail, and the same backwards. */
static void check(const char *name, struct ilist *l, struct item *items, const uint32_t *want,
		  size_t n)
{
	size_t k = 0;

	for (uint32_t i = l->head; i != ILIST_NONE; i = items[i].link.next, k++)
		if (k >= n || i != want[k])
			fail_msg("%s: forward position %zu holds %u", name, k, i);
	if (k != n)
		fail_msg("%s: %zu forward, want %zu", name, k, n);
	for (uint32_t i = l->tail; i != ILIST_NONE; i = items[i].link.prev)
		if (k == 0 || i != want[--k])
			fail_msg("%s: backward walk differs at %zu", name, k);
	if (k != 0)
		fail_msg("%s: backward walk stopped %zu short", name, k);
	if (n == 0 && (l->head != ILIST_NONE || l->tail != ILIST_NONE))
		fail_msg("%s: an empty list keeps an end", name);
}

static void test_push_and_unlink_keep_both_directions(void **state)
{
	struct item items[N] = {0};
	struct ilist l;

	(void)state;
	ilist_init(&l);
	check("empty", &l, items, NULL, 0);
	ilist_push_head(&l, 3, link_of, items);
	check("one", &l, items, (const uint32_t[]){3}, 1);
	ilist_push_head(&l, 5, link_of, items);
	ilist_push_head(&l, 0, link_of, items);
	ilist_push_head(&l, 7, link_of, items);
	check("four", &l, items, (const uint32_t[]){7, 0, 5, 3}, 4);
	ilist_unlink(&l, 0, link_of, items); /* middle */
	check("middle out", &l, items, (const uint32_t[]){7, 5, 3}, 3);
	ilist_unlink(&l, 7, link_of, items); /* head */
	check("head out", &l, items, (const uint32_t[]){5, 3}, 2);
	ilist_unlink(&l, 3, link_of, items); /* tail */
	check("tail out", &l, items, (const uint32_t[]){5}, 1);
	ilist_unlink(&l, 5, link_of, items); /* the last one */
	check("last out", &l, items, NULL, 0);
	ilist_push_head(&l, 5, link_of, items); /* an element comes back */
	check("again", &l, items, (const uint32_t[]){5}, 1);
}

static void test_move_to_head_is_lru_order(void **state)
{
	struct item items[N] = {0};
	struct ilist l;

	(void)state;
	ilist_init(&l);
	for (uint32_t i = 0; i < N; i++)
		ilist_push_head(&l, i, link_of, items);
	check("filled", &l, items, (const uint32_t[]){7, 6, 5, 4, 3, 2, 1, 0}, N);
	/* touch the oldest, then one in the middle: they become the newest */
	ilist_unlink(&l, 0, link_of, items);
	ilist_push_head(&l, 0, link_of, items);
	ilist_unlink(&l, 4, link_of, items);
	ilist_push_head(&l, 4, link_of, items);
	check("touched", &l, items, (const uint32_t[]){4, 0, 7, 6, 5, 3, 2, 1}, N);
	assert_int_equal(l.tail, 1); /* the least recently used */
}

static void test_two_lists_share_one_array(void **state)
{
	struct item items[N] = {0};
	struct ilist even, odd;

	(void)state;
	ilist_init(&even);
	ilist_init(&odd);
	for (uint32_t i = 0; i < N; i++)
		ilist_push_head(i % 2 ? &odd : &even, i, link_of, items);
	check("even", &even, items, (const uint32_t[]){6, 4, 2, 0}, 4);
	check("odd", &odd, items, (const uint32_t[]){7, 5, 3, 1}, 4);
	/* move 4 from one list to the other */
	ilist_unlink(&even, 4, link_of, items);
	ilist_push_head(&odd, 4, link_of, items);
	check("even after", &even, items, (const uint32_t[]){6, 2, 0}, 3);
	check("odd after", &odd, items, (const uint32_t[]){4, 7, 5, 3, 1}, 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_push_and_unlink_keep_both_directions),
		cmocka_unit_test(test_move_to_head_is_lru_order),
		cmocka_unit_test(test_two_lists_share_one_array),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
