/*
 * test_clientset.c - distinct clients (cs_clientset.h): exact up to 32
 * addresses (an address seen twice counts once; IPv4 and IPv6 apart), then
 * a HyperLogLog estimate within a few standard errors (3.3%) of the truth
 * from 33 to 100,000 clients; the hash is keyed by the client key (the
 * same under one key in every process, so sets of sensors sharing a key
 * file merge; another under another key); merging is the union (a client of both sets
 * counts once), commutative and associative, whether the sets are exact,
 * sketches or one of each, and merging a set into itself changes nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cs_clientset.h"

static struct cs_addr v4(uint32_t n)
{
	struct cs_addr a = {.family = 4};

	a.a[10] = a.a[11] = 0xff; /* ::ffff:a.b.c.d */
	a.a[12] = (uint8_t)(n >> 24), a.a[13] = (uint8_t)(n >> 16);
	a.a[14] = (uint8_t)(n >> 8), a.a[15] = (uint8_t)n;
	return a;
}

static struct cs_addr v6(uint32_t n)
{
	struct cs_addr a = {.family = 6};

	a.a[0] = 0x20, a.a[1] = 0x01, a.a[2] = 0x0d, a.a[3] = 0xb8;
	a.a[12] = (uint8_t)(n >> 24), a.a[13] = (uint8_t)(n >> 16);
	a.a[14] = (uint8_t)(n >> 8), a.a[15] = (uint8_t)n;
	return a;
}

/* A set of the IPv4 clients from, from+1, ... from+n-1. */
static void fill(struct clientset *s, uint32_t from, uint32_t n)
{
	clientset_init(s);
	for (uint32_t i = 0; i < n; i++) {
		struct cs_addr a = v4(0x0a000000u + from + i);

		clientset_add(s, &a);
	}
}

static void test_exact(void **state)
{
	struct clientset s;
	struct cs_addr a = v4(0x0a000001), b = v6(0x0a000001);

	(void)state;
	clientset_init(&s);
	assert_int_equal(clientset_count(&s), 0);
	clientset_add(&s, &a);
	clientset_add(&s, &a);
	assert_int_equal(clientset_count(&s), 1);
	clientset_add(&s, &b); /* the same last bytes, another family */
	assert_int_equal(clientset_count(&s), 2);
	clientset_fini(&s);
	for (uint32_t n = 1; n <= CS_CLIENTSET_EXACT; n++) {
		fill(&s, 0, n);
		for (uint32_t i = 0; i < n; i++) { /* the same addresses again: each once */
			struct cs_addr again = v4(0x0a000000u + i);

			clientset_add(&s, &again);
		}
		assert_true(clientset_exact(&s));
		assert_int_equal(clientset_count(&s), n);
		clientset_fini(&s);
	}
}

static void test_estimate(void **state)
{
	static const uint32_t sizes[] = {33, 100, 1000, 10000, 100000};
	static const uint8_t key[16] = {0x63, 0x73}; /* a fixed key: the same estimates every run */

	(void)state;
	clientset_set_key(key);
	for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
		struct clientset s;
		double got, err;

		fill(&s, 0, sizes[k]);
		assert_false(clientset_exact(&s));
		got = (double)clientset_count(&s);
		err = fabs(got - sizes[k]) / sizes[k];
		if (err > 0.10) /* three standard errors of 1024 registers */
			fail_msg("%u clients estimated as %.0f", sizes[k], got);
		clientset_fini(&s);
	}
}

/* The hash is keyed by the installation's client key (cs_clientkey.h): the
 * same key gives the same hashes in every process (sets saved by one sensor
 * merge with another's that shares the key file), another key others. */
static void test_keyed_hash(void **state)
{
	static const uint8_t zero[16] = {0}, other[16] = {1};
	struct clientset s, t;
	struct cs_addr a = v4(0xc0000201); /* 192.0.2.1 */
	uint64_t h;

	(void)state;
	clientset_set_key(zero);
	assert_string_equal(clientset_key_id(), "4a75d87c4553d6bd");
	clientset_init(&s);
	clientset_add(&s, &a);
	h = clientset_hash(&s, 0);
	assert_int_equal(h, 0x53a48c88a8f87d1bULL); /* SipHash-1-3 of ::ffff:192.0.2.1 under 0^16 */
	clientset_init(&t);
	clientset_add_hash(&t, h);
	clientset_merge(&t, &s);
	assert_int_equal(clientset_count(&t), 1);
	clientset_fini(&t);
	clientset_fini(&s);
	clientset_set_key(other);
	assert_string_not_equal(clientset_key_id(), "4a75d87c4553d6bd");
	clientset_init(&s);
	clientset_add(&s, &a);
	assert_int_not_equal(clientset_hash(&s, 0), h);
	clientset_fini(&s);
}

/* merge(dst, src) into a fresh copy of dst's content. */
static void merged(struct clientset *out, const struct clientset *x, const struct clientset *y)
{
	clientset_init(out);
	clientset_merge(out, x);
	clientset_merge(out, y);
}

static void test_merge_exact(void **state)
{
	struct clientset a, b, ab, ba;

	(void)state;
	fill(&a, 0, 10);
	fill(&b, 5, 10); /* 5 in common */
	merged(&ab, &a, &b);
	merged(&ba, &b, &a);
	assert_true(clientset_exact(&ab));
	assert_int_equal(clientset_count(&ab), 15);
	assert_int_equal(clientset_count(&ba), 15);
	clientset_merge(&ab, &ab); /* itself: nothing new */
	assert_int_equal(clientset_count(&ab), 15);
	clientset_fini(&ab);
	/* two exact sets whose union outgrows the exact form */
	clientset_fini(&b);
	fill(&b, 20, 30);
	merged(&ab, &a, &b);
	assert_false(clientset_exact(&ab));
	assert_true(labs((long)clientset_count(&ab) - 40) <= 2);
	clientset_fini(&a), clientset_fini(&b), clientset_fini(&ab), clientset_fini(&ba);
}

/* Sketches merge register by register: commutative, associative, and the
 * union of overlapping sets is counted once. */
static void test_merge_sketches(void **state)
{
	struct clientset a, b, c, ab, ab_c, bc, a_bc, cba, tmp, all;

	(void)state;
	fill(&a, 0, 5000);
	fill(&b, 2500, 5000); /* half of it in a */
	fill(&c, 100000, 20); /* exact */
	fill(&all, 0, 7500);
	clientset_merge(&all, &c);
	merged(&ab, &a, &b);
	merged(&ab_c, &ab, &c);
	merged(&bc, &b, &c);
	merged(&a_bc, &a, &bc);
	merged(&tmp, &c, &b);
	merged(&cba, &tmp, &a);
	assert_int_equal(clientset_count(&ab_c), clientset_count(&a_bc));
	assert_int_equal(clientset_count(&ab_c), clientset_count(&cba));
	assert_memory_equal(ab_c.regs, a_bc.regs, CS_HLL_REGISTERS);
	assert_memory_equal(ab_c.regs, cba.regs, CS_HLL_REGISTERS);
	/* the same as one set that saw every client */
	assert_memory_equal(ab_c.regs, all.regs, CS_HLL_REGISTERS);
	clientset_fini(&a), clientset_fini(&b), clientset_fini(&c), clientset_fini(&ab);
	clientset_fini(&ab_c), clientset_fini(&bc), clientset_fini(&a_bc), clientset_fini(&cba);
	clientset_fini(&tmp), clientset_fini(&all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact),          cmocka_unit_test(test_estimate),
		cmocka_unit_test(test_keyed_hash),     cmocka_unit_test(test_merge_exact),
		cmocka_unit_test(test_merge_sketches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
