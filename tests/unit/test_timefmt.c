/*
 * test_timefmt.c - times as text and back (cs_timefmt.h): the four
 * writers on known instants, before 1970 and out of gmtime's range; the
 * strict reader of report times round-tripping the writer and refusing
 * impossible dates; the command line's --at and --interval parsers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cs_timefmt.h"

static void test_writers_on_known_instants(void **state)
{
	char buf[CS_TIME_STRLEN];

	(void)state;
	fmt_time_s(1416953303, buf, sizeof(buf));
	assert_string_equal(buf, "2014-11-25T22:08:23Z");
	fmt_time_msg(1416953303, buf, sizeof(buf));
	assert_string_equal(buf, "2014-11-25 22:08:23Z");
	fmt_time_stamp(1416953303, buf, sizeof(buf));
	assert_string_equal(buf, "20141125T220823Z");
	fmt_time_ns(1416953303101516999LL, buf, sizeof(buf)); /* truncated, not rounded */
	assert_string_equal(buf, "2014-11-25T22:08:23.101516Z");
	fmt_time_s(0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00Z");
	fmt_time_ns(-1000, buf, sizeof(buf)); /* before 1970: the fraction counts up */
	assert_string_equal(buf, "1969-12-31T23:59:59.999999Z");
	fmt_time_s(951782400, buf, sizeof(buf));
	assert_string_equal(buf, "2000-02-29T00:00:00Z");
}

static void test_writers_say_invalid(void **state)
{
	char buf[CS_TIME_STRLEN];

	(void)state;
	fmt_time_s(INT64_MAX, buf, sizeof(buf)); /* past gmtime's years */
	assert_string_equal(buf, "invalid");
	fmt_time_msg(INT64_MIN, buf, sizeof(buf));
	assert_string_equal(buf, "invalid");
	fmt_time_stamp(INT64_MAX, buf, sizeof(buf));
	assert_string_equal(buf, "invalid");
	fmt_time_s(0, buf, 5); /* no room: never a partial time */
	assert_string_equal(buf, "inva");
}

static void test_ns_round_trip_and_strictness(void **state)
{
	static const int64_t ns[] = {
		0,
		1000,
		-1000,
		1416953303101516000LL,
		951782400000000000LL /* 2000-02-29 */,
		4102444799999999000LL,
		-86400000000000LL,
		INT64_MAX / 1000 * 1000,
		INT64_MIN / 1000 * 1000 + 1000000000,
	};
	int64_t got;

	(void)state;
	for (size_t i = 0; i < CS_ARRAY_LEN(ns); i++) {
		char buf[64];

		fmt_time_ns(ns[i], buf, sizeof(buf));
		if (!parse_time_ns(buf, strlen(buf), &got) || got != ns[i])
			fail_msg("%s did not read back as %lld", buf, (long long)ns[i]);
	}
	assert_false(parse_time_ns("2023-02-29T00:00:00.000000Z", 27, &got));
	assert_true(parse_time_ns("2024-02-29T00:00:00.000000Z", 27, &got));
	assert_false(parse_time_ns("1900-02-29T00:00:00.000000Z", 27, &got));
	assert_false(parse_time_ns("2024-01-01T24:00:00.000000Z", 27, &got));
	assert_false(parse_time_ns("2024-01-01T00:00:60.000000Z", 27, &got));
	assert_false(parse_time_ns("2024-00-01T00:00:00.000000Z", 27, &got));
	assert_false(parse_time_ns("2024-01-01T00:00:00.00000Z", 26, &got));
	assert_false(parse_time_ns("2024-01-01T00:00:00.000000+", 27, &got));
	assert_false(parse_time_ns("2024-01-01T00:00:00.0000-0Z", 27, &got));
	assert_false(parse_time_ns("2263-01-01T00:00:00.000000Z", 27, &got)); /* past int64 ns */
	assert_false(parse_time_ns("1677-01-01T00:00:00.000000Z", 27, &got));
}

struct want {
	const char *s;
	int64_t secs;
};

/* Each good string reads as its value, no bad one reads at all. */
static void check_parser(bool (*parse)(const char *, int64_t *), const struct want *good,
			 size_t ngood, const char *const *bad, size_t nbad)
{
	int64_t v;

	for (size_t i = 0; i < ngood; i++) {
		v = 42;
		if (!parse(good[i].s, &v) || v != good[i].secs)
			fail_msg("%s: %lld", good[i].s, (long long)v);
	}
	for (size_t i = 0; i < nbad; i++)
		if (parse(bad[i], &v))
			fail_msg("\"%s\" was read", bad[i]);
}

static void test_arg_forms(void **state)
{
	static const struct want good[] = {
		{"2021-10-01", 1633046400},          {"2021-10-01T12:00:00Z", 1633089600},
		{"2021-10-01T12:00:00", 1633089600}, {"2021-10-01 12:00:00Z", 1633089600},
		{"@1633046400", 1633046400},         {"@0", 0},
		{"@9223372036854775807", INT64_MAX}, {"1969-12-31T23:59:59Z", -1},
	};
	static const char *const bad[] = {
		"",
		"@",
		"@-1",
		"@1x",
		"@9223372036854775808",
		"2021-13-01",
		"2021-10-01T25:00:00",
		"2021-10-01T12:00",
		"2021-10-01T12:00:00+01:00",
		"yesterday",
		"2021-10-01T",
	};

	(void)state;
	check_parser(parse_time_arg, good, sizeof(good) / sizeof(good[0]), bad,
		     sizeof(bad) / sizeof(bad[0]));
}

static void test_durations(void **state)
{
	static const struct want good[] = {
		{"90", 90},
		{"90s", 90},
		{"15m", 900},
		{"1h", 3600},
		{"1d", 86400},
		{"106751d", 106751LL * 86400},
		{"2562047h", 2562047LL * 3600},
		{"9223372036", 9223372036LL},
	};
	static const char *const bad[] = {
		"",
		"0",
		"0s",
		"-5",
		"5x",
		"5mm",
		"m",
		"1w",
		"1.5h",
		"106752d",
		"2562048h",
		"9223372037",
		"99999999999999999999",
	};

	(void)state;
	check_parser(parse_duration, good, sizeof(good) / sizeof(good[0]), bad,
		     sizeof(bad) / sizeof(bad[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_writers_on_known_instants),
		cmocka_unit_test(test_writers_say_invalid),
		cmocka_unit_test(test_ns_round_trip_and_strictness),
		cmocka_unit_test(test_arg_forms),
		cmocka_unit_test(test_durations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
