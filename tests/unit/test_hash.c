/*
 * test_hash.c - the keyed hash (cs_hash.h): SipHash-1-3 reference values,
 * that the key matters and one input bit changes the value, and that the
 * seeding gives a fresh random key each time.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cs_hash.h"

static void test_cs_hash_is_siphash13_and_depends_on_key(void **state)
{
	(void)state;
	/* SipHash-1-3, key 00..0f, message 00 01 02 ...: computed with an
	 * independent implementation checked against the SipHash-2-4
	 * reference vectors (the empty-message value is also the first entry
	 * of Rust's SipHasher13 test table). */
	static const struct {
		size_t n;
		uint64_t h;
	} ref[] = {
		{0, 0xabac0158050fc4dcULL},  {1, 0xc9f49bf37d57ca93ULL},
		{7, 0xd3927d989bb11140ULL},  {8, 0x369095118d299a8eULL},
		{15, 0xd320d86d2a519956ULL}, {36, 0x2cf508d3ada26206ULL},
		{63, 0x9d199062b7bbb3a8ULL},
	};
	uint8_t key[16], key2[16], msg[64];

	for (int i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (int i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	memcpy(key2, key, 16);
	key2[15] ^= 0x80;
	for (size_t i = 0; i < CS_ARRAY_LEN(ref); i++) {
		uint64_t h = cs_hash(msg, ref[i].n, key);

		assert_int_equal(h, ref[i].h);
		assert_int_equal(cs_hash(msg, ref[i].n, key), h); /* stable */
		assert_int_not_equal(cs_hash(msg, ref[i].n, key2), h); /* keyed */
	}
	/* one flipped input bit changes the value */
	msg[35] ^= 1;
	assert_int_not_equal(cs_hash(msg, 36, key), ref[5].h);
}

/* Two seeds from getrandom() are different keys, and neither is the
 * fallback pattern (this machine's kernel has getrandom). */
static void test_seed_is_random_per_call(void **state)
{
	uint8_t a[CS_HASH_KEY_LEN], b[CS_HASH_KEY_LEN], fallback[CS_HASH_KEY_LEN];

	(void)state;
	memset(fallback, 0x5a, sizeof(fallback));
	assert_true(cs_hash_seed(a));
	assert_true(cs_hash_seed(b));
	assert_memory_not_equal(a, b, CS_HASH_KEY_LEN);
	assert_memory_not_equal(a, fallback, CS_HASH_KEY_LEN);
	assert_int_not_equal(cs_hash("x", 1, a), cs_hash("x", 1, b));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cs_hash_is_siphash13_and_depends_on_key),
		cmocka_unit_test(test_seed_is_random_per_call),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
