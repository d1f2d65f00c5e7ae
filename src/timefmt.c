/*
 * timefmt.c - times as text and back (cs_timefmt.h).
 * Writing goes through gmtime_r, so no TZ setting changes a report.
 * parse_time_ns reads hostile files and is written out by hand (no
 * strptime: it accepts whitespace and out-of-range fields); dates become
 * days with H. Hinnant's days_from_civil, valid for any proleptic
 * Gregorian year.  Owns nothing.
 */
#include "cs_timefmt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum style { RFC3339_S, RFC3339_DAY_CLOCK, MSG, STAMP };

static const char *const styles[] = {
	[RFC3339_S] = "%Y-%m-%dT%H:%M:%SZ",
	[RFC3339_DAY_CLOCK] = "%Y-%m-%dT%H:%M:%S",
	[MSG] = "%Y-%m-%d %H:%M:%SZ",
	[STAMP] = "%Y%m%dT%H%M%SZ",
};

/* s in a style, or "invalid" when gmtime cannot represent it. */
static void utc(int64_t s, enum style style, char *buf, size_t len)
{
	struct tm tm;
	time_t t = (time_t)s;
	size_t n = 0;

	/* the format is one of the literals above, which the compiler cannot
	 * see through the table */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (gmtime_r(&t, &tm))
		n = strftime(buf, len, styles[style], &tm);
#pragma GCC diagnostic pop
	if (n == 0)
		snprintf(buf, len, "invalid");
}

void fmt_time_s(int64_t s, char *buf, size_t len) { utc(s, RFC3339_S, buf, len); }

void fmt_time_msg(int64_t s, char *buf, size_t len) { utc(s, MSG, buf, len); }

void fmt_time_stamp(int64_t s, char *buf, size_t len) { utc(s, STAMP, buf, len); }

void fmt_time_ns(int64_t ns, char *buf, size_t len)
{
	int64_t s = ns / CS_NS_PER_SEC, frac = ns % CS_NS_PER_SEC;
	char day[CS_TIME_STRLEN];

	if (frac < 0)
		frac += CS_NS_PER_SEC, s--;
	utc(s, RFC3339_DAY_CLOCK, day, sizeof(day));
	if (!strcmp(day, "invalid"))
		snprintf(buf, len, "invalid");
	else
		snprintf(buf, len, "%s.%06" PRId64 "Z", day, frac / 1000);
}

/* ---- reading ------------------------------------------------------------------- */

static bool dec(const char *s, size_t n, unsigned *v)
{
	*v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (unsigned)(s[i] - '0');
	}
	return true;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* "-MM-DDTHH:MM:SS" after a year of y (s points at the first '-'): seconds. */
static bool clock_of(int64_t y, const char *s, int64_t *secs)
{
	static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	unsigned mo, d, h, mi, sec;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	if (s[0] != '-' || s[3] != '-' || s[6] != 'T' || s[9] != ':' || s[12] != ':' ||
	    !dec(s + 1, 2, &mo) || !dec(s + 4, 2, &d) || !dec(s + 7, 2, &h) ||
	    !dec(s + 10, 2, &mi) || !dec(s + 13, 2, &sec))
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap) ||
	    h > 23 || mi > 59 || sec > 59)
		return false;
	*secs = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
	return true;
}

bool parse_time_ns(const char *s, size_t n, int64_t *ns)
{
	unsigned y, us;
	int64_t secs, out;

	if (n != 27 || s[19] != '.' || s[26] != 'Z' || !dec(s, 4, &y) ||
	    !clock_of(y, s + 4, &secs) || !dec(s + 20, 6, &us))
		return false;
	if (__builtin_mul_overflow(secs, CS_NS_PER_SEC, &out) ||
	    __builtin_add_overflow(out, (int64_t)us * 1000, &out))
		return false;
	*ns = out;
	return true;
}

bool parse_time_s(const char *s, size_t n, int64_t *secs)
{
	size_t neg = n > 0 && s[0] == '-', digits = 0;
	unsigned y;

	while (neg + digits < n && s[neg + digits] >= '0' && s[neg + digits] <= '9')
		digits++;
	/* strftime's %Y: at least one digit, a sign before year 0 */
	if (digits == 0 || digits > 6 || n != neg + digits + 16 || s[n - 1] != 'Z' ||
	    !dec(s + neg, digits, &y))
		return false;
	return clock_of(neg ? -(int64_t)y : (int64_t)y, s + neg + digits, secs);
}

bool parse_time_arg(const char *s, int64_t *secs)
{
	struct tm tm;
	const char *end;

	if (s[0] == '@') {
		char *e;
		unsigned long long v;

		errno = 0;
		v = strtoull(s + 1, &e, 10);
		if (errno || e == s + 1 || *e || v > (unsigned long long)INT64_MAX || s[1] == '-')
			return false;
		*secs = (int64_t)v;
		return true;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end && (*end == 'T' || *end == ' '))
		end = strptime(end + 1, "%H:%M:%S", &tm);
	if (end && *end == 'Z')
		end++;
	if (!end || *end)
		return false;
	*secs = (int64_t)timegm(&tm);
	return true;
}

bool parse_duration(const char *s, int64_t *seconds)
{
	char *end;
	long long v;
	int64_t unit = 1;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v <= 0)
		return false;
	if (*end == 'm')
		unit = 60;
	else if (*end == 'h')
		unit = 3600;
	else if (*end == 'd')
		unit = 86400;
	else if (*end != 's' && *end != '\0')
		return false;
	if (*end && end[1])
		return false;
	if (v > INT64_MAX / unit / CS_NS_PER_SEC)
		return false;
	*seconds = v * unit;
	return true;
}
