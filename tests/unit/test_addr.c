/*
 * test_addr.c - addresses as text and back (cs_addr.h): what cs_addr_str
 * writes cs_addr_parse reads back, IPv4 kept as ::ffff:a.b.c.d, endpoints
 * with brackets around IPv6, and the numeric order (IPv4 first).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cs_addr.h"

static void test_parse_reads_back_what_str_writes(void **state)
{
	struct cs_addr a;
	char buf[64];

	(void)state;
	assert_true(cs_addr_parse("192.0.2.1", &a));
	assert_int_equal(a.family, 4);
	assert_string_equal(cs_addr_str(&a, buf, sizeof(buf)), "192.0.2.1");
	assert_true(cs_addr_parse("2001:db8::1", &a));
	assert_int_equal(a.family, 6);
	assert_string_equal(cs_addr_str(&a, buf, sizeof(buf)), "2001:db8::1");
	assert_false(cs_addr_parse("192.0.2.1:443", &a));
	assert_false(cs_addr_parse("", &a));
}

static void test_parse_keeps_ipv4_mapped_and_refuses_the_rest(void **state)
{
	static const char *const bad[] = {
		"192.0.2.256", "192.0.2",    "192.0.2.1/24", "[2001:db8::1]", "2001:db8::1/64",
		" 192.0.2.1",  "192.0.2.1 ", "example.com",  "2001:db8:::1",  "::ffff:192.0.2.1:1",
	};
	static const uint8_t v4[16] = {
		[10] = 0xff, [11] = 0xff, [12] = 192, [13] = 0, [14] = 2, [15] = 1};
	struct cs_addr a;
	char buf[CS_ADDR_STRLEN];

	(void)state;
	assert_true(cs_addr_parse("192.0.2.1", &a));
	assert_memory_equal(a.a, v4, 16);
	/* written as IPv6, an IPv4-mapped address stays family 6 */
	assert_true(cs_addr_parse("::ffff:192.0.2.1", &a));
	assert_int_equal(a.family, 6);
	assert_memory_equal(a.a, v4, 16);
	assert_true(cs_addr_parse("2001:DB8:0:0:0:0:0:1", &a));
	assert_string_equal(cs_addr_str(&a, buf, sizeof(buf)), "2001:db8::1"); /* RFC 5952 */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cs_addr_parse(bad[i], &a))
			fail_msg("\"%s\" was read as an address", bad[i]);
}

static void test_str_needs_room(void **state)
{
	struct cs_addr a;
	char buf[CS_ADDR_STRLEN];

	(void)state;
	/* inet_ntop's longest output is 39 characters (the buffer is
	 * INET6_ADDRSTRLEN for the dotted forms it may also choose) */
	assert_true(cs_addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &a));
	assert_string_equal(cs_addr_str(&a, buf, sizeof(buf)),
			    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_null(cs_addr_str(&a, buf, 39));
	assert_non_null(cs_addr_str(&a, buf, 40));
}

static void test_endpoint_brackets_ipv6(void **state)
{
	struct cs_addr a;
	char buf[CS_ENDPOINT_STRLEN];

	(void)state;
	assert_true(cs_addr_parse("192.0.2.1", &a));
	cs_endpoint_str(&a, 443, buf, sizeof(buf));
	assert_string_equal(buf, "192.0.2.1:443");
	assert_true(cs_addr_parse("2001:db8::1", &a));
	cs_endpoint_str(&a, 65535, buf, sizeof(buf));
	assert_string_equal(buf, "[2001:db8::1]:65535");
	assert_true(cs_addr_parse("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", &a));
	cs_endpoint_str(&a, 65535, buf, sizeof(buf));
	assert_string_equal(buf, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}

static void test_cmp_orders_ipv4_first_then_numerically(void **state)
{
	static const char *const sorted[] = {
		"0.0.0.1", "10.0.0.2",    "192.0.2.1",     "255.255.255.255", "::",
		"::1",     "2001:db8::1", "2001:db8::1:0", "fe80::1",
	};
	struct cs_addr a, b;

	(void)state;
	for (size_t i = 0; i < sizeof(sorted) / sizeof(sorted[0]); i++)
		for (size_t k = 0; k < sizeof(sorted) / sizeof(sorted[0]); k++) {
			int c;

			assert_true(cs_addr_parse(sorted[i], &a) && cs_addr_parse(sorted[k], &b));
			c = cs_addr_cmp(&a, &b);
			if ((i < k && c >= 0) || (i == k && c != 0) || (i > k && c <= 0))
				fail_msg("%s vs %s: %d", sorted[i], sorted[k], c);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_reads_back_what_str_writes),
		cmocka_unit_test(test_parse_keeps_ipv4_mapped_and_refuses_the_rest),
		cmocka_unit_test(test_str_needs_room),
		cmocka_unit_test(test_endpoint_brackets_ipv6),
		cmocka_unit_test(test_cmp_orders_ipv4_first_then_numerically),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
