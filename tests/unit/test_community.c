/*
 * test_community.c - the Community ID v1 (cs_community.h) against the
 * spec's published test vectors (corelight/community-id-spec,
 * baseline/README.md "Default settings" and "A custom seed=1 value", and
 * baseline/baseline_deflt.json / baseline_seed1.json): TCP, UDP and SCTP,
 * IPv4 and IPv6, both directions, seeds 0 and 1, equal addresses decided by
 * the ports; mixed families refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cs_addr.h"
#include "cs_community.h"

struct vector {
	uint8_t proto;
	const char *saddr, *daddr;
	uint16_t sport, dport;
	uint16_t seed;
	const char *id;
};

static const struct vector vectors[] = {
	/* baseline/README.md, default settings */
	{6, "1.2.3.4", "5.6.7.8", 1122, 3344, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
	{6, "5.6.7.8", "1.2.3.4", 3344, 1122, 0, "1:wCb3OG7yAFWelaUydu0D+125CLM="},
	{17, "1.2.3.4", "5.6.7.8", 1122, 3344, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="},
	{17, "5.6.7.8", "1.2.3.4", 3344, 1122, 0, "1:0Mu9InQx6z4ZiCZM/7HXi2WMhOg="},
	{132, "1.2.3.4", "5.6.7.8", 1122, 3344, 0, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8="},
	{132, "5.6.7.8", "1.2.3.4", 3344, 1122, 0, "1:EKt4MsxuyaE6mL+hmrEkQ9csDD8="},
	/* seed=1 */
	{6, "1.2.3.4", "5.6.7.8", 1122, 3344, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="},
	{6, "5.6.7.8", "1.2.3.4", 3344, 1122, 1, "1:HhA1B+6CoLbiKPEs5nhNYN4XWfk="},
	{17, "1.2.3.4", "5.6.7.8", 1122, 3344, 1, "1:OShq+iKDAMVouh/4bMxB9Sz4amw="},
	{132, "5.6.7.8", "1.2.3.4", 3344, 1122, 1, "1:uitchpn5MMGAQKBJh7bIr/bAr7s="},
	/* baseline_deflt.json / baseline_seed1.json (from combined.pcap) */
	{6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, 0,
	 "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
	{6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, 0,
	 "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
	{6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, 1,
	 "1:eJYTW6AOzFLlSUoESovMjnu7rMw="},
	{6, "128.232.110.120", "66.35.250.204", 34855, 80, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
	{6, "66.35.250.204", "128.232.110.120", 80, 34855, 0, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
	{6, "128.232.110.120", "66.35.250.204", 34855, 80, 1, "1:3V71V58M3Ksw/yuFALMcW0LAHvc="},
	{17, "192.168.1.52", "8.8.8.8", 54585, 53, 0, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
	{17, "8.8.8.8", "192.168.1.52", 53, 54585, 1, "1:Q9We8WO3piVF8yEQBNJF4uiSVrI="},
	/* equal addresses: the ports decide the order (SCTP echo, ports equal too) */
	{132, "192.168.170.8", "192.168.170.56", 7, 7, 0, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
	{132, "192.168.170.56", "192.168.170.8", 7, 7, 1, "1:5w3ZRjeKBzqT3zsaEECDGjUbYeg="},
};

static void test_published_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const struct vector *v = &vectors[i];
		struct cs_addr s, d;
		char id[CS_COMMUNITY_ID_LEN];

		assert_true(cs_addr_parse(v->saddr, &s));
		assert_true(cs_addr_parse(v->daddr, &d));
		assert_true(community_id_v1(v->seed, v->proto, &s, v->sport, &d, v->dport, id));
		if (strcmp(id, v->id))
			fail_msg("vector %zu: %s:%u -> %s:%u seed %u: got %s, want %s", i, v->saddr,
				 v->sport, v->daddr, v->dport, v->seed, id, v->id);
	}
}

/* Same addresses, ports swapped: ordering by port makes both directions one ID. */
static void test_same_host_ordered_by_port(void **state)
{
	(void)state;
	struct cs_addr a;
	char x[CS_COMMUNITY_ID_LEN], y[CS_COMMUNITY_ID_LEN], z[CS_COMMUNITY_ID_LEN];

	assert_true(cs_addr_parse("127.0.0.1", &a));
	assert_true(community_id_v1(0, 6, &a, 40000, &a, 443, x));
	assert_true(community_id_v1(0, 6, &a, 443, &a, 40000, y));
	assert_true(community_id_v1(0, 6, &a, 443, &a, 40001, z));
	assert_string_equal(x, y);
	assert_string_not_equal(x, z);
	assert_int_equal(strlen(x), CS_COMMUNITY_ID_LEN - 1);
}

static void test_mixed_families_refused(void **state)
{
	(void)state;
	struct cs_addr a, b;
	char id[CS_COMMUNITY_ID_LEN] = "x";

	assert_true(cs_addr_parse("192.0.2.1", &a));
	assert_true(cs_addr_parse("2001:db8::1", &b));
	assert_false(community_id_v1(0, 6, &a, 1, &b, 2, id));
	assert_string_equal(id, "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_published_vectors),
		cmocka_unit_test(test_same_host_ordered_by_port),
		cmocka_unit_test(test_mixed_families_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
