/*
 * cs_timefmt.h - times as text and back.  Every time is UTC; capture times
 * are nanoseconds since the epoch (cs_common.h), certificate and --at times
 * whole seconds.
 *
 * Writers (a time gmtime() cannot represent is written "invalid"):
 *   fmt_time_s      RFC 3339 to the second        2014-11-26T22:08:23Z
 *   fmt_time_ns     RFC 3339 to the microsecond   2014-11-26T22:08:23.101516Z
 *   fmt_time_msg    in problem messages            2014-11-26 22:08:23Z
 *   fmt_time_stamp  in file names (ISO 8601 basic) 20141126T220823Z
 * Readers:
 *   parse_time_ns   fmt_time_ns's output exactly (reports, state files:
 *                   hostile, so strict: calendar checked, no leap second,
 *                   range of int64 nanoseconds)
 *   parse_time_s    fmt_time_s's output exactly (certificate dates in reports)
 *   parse_time_arg  the command line's --at: YYYY-MM-DD[THH:MM:SS[Z]] or @EPOCH
 *   parse_duration  "90", "90s", "15m", "1h", "1d"
 */
#ifndef CS_TIMEFMT_H
#define CS_TIMEFMT_H

#include "cs_common.h"

#define CS_TIME_STRLEN 32 /* room for any of the writers' output, with the NUL */

void fmt_time_s(int64_t s, char *buf, size_t len);
void fmt_time_ns(int64_t ns, char *buf, size_t len);
void fmt_time_msg(int64_t s, char *buf, size_t len);
void fmt_time_stamp(int64_t s, char *buf, size_t len);

/* "YYYY-MM-DDTHH:MM:SS.uuuuuuZ" (n characters, no NUL needed) to ns. */
bool parse_time_ns(const char *s, size_t n, int64_t *ns);
/* fmt_time_s's output exactly (n characters): "YYYY-MM-DDTHH:MM:SSZ", the
 * year as strftime writes it (one to six digits, '-' before year 0). */
bool parse_time_s(const char *s, size_t n, int64_t *secs);
/* "2021-10-01", "2021-10-01T12:00:00Z" (or a space for the T, the Z
 * optional) or "@1633046400" to seconds; false if malformed. */
bool parse_time_arg(const char *s, int64_t *secs);
/* "90", "90s", "15m", "1h", "1d" -> seconds (positive, and small enough
 * to be a count of nanoseconds); false if malformed. */
bool parse_duration(const char *s, int64_t *seconds);

#endif
