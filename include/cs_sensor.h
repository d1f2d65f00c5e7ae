/*
 * cs_sensor.h - periodic reports of a long-running sensor.
 *
 * Every --interval of capture time (so a day-long file gives hourly
 * summaries, and a live sensor reports on the clock), a JSON report and a
 * text summary are written into --report-dir, atomically (temporary file,
 * fsync, rename, fsync of the directory).  Each covers the cumulative state
 * and the window that just ended, with the servers that became broken and
 * those that were fixed since the previous report.  Windows without
 * traffic, and the empty windows a clock jump crosses, write nothing.
 * --keep N keeps the newest N reports of each kind.
 */
#ifndef CS_SENSOR_H
#define CS_SENSOR_H

#include "cs_engine.h"
#include "cs_report.h"

struct sensor_opts {
	const char *dir;       /* NULL: no files, only signal/final reports to out */
	int64_t interval_s;    /* 0: no periodic reports */
	unsigned keep;         /* 0: keep all */
	const struct report_opts *text;
};

struct sensor;

/* Opens (creating if needed) the report directory now, before privileges
 * are dropped.  NULL with err set on failure. */
struct sensor *sensor_new(const struct sensor_opts *o, struct engine *e, char *err, size_t errlen);
void sensor_free(struct sensor *s);

/* Capture time moved to now: write the report of a window that ended.
 * Both writers: on failure (CS_IO) errno says why. */
enum cs_status sensor_tick(struct sensor *s, int64_t now);
/* Write a report now ("signal" on SIGUSR1, "final" at exit). */
enum cs_status sensor_report(struct sensor *s, int64_t now, const char *kind);
/* Reports written so far. */
uint64_t sensor_reports(const struct sensor *s);

#endif
