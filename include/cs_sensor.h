/*
 * cs_sensor.h - periodic reports of a long-running sensor.
 *
 * Capture time is cut into windows of --interval, aligned to it (04:00 to
 * 05:00); SIGUSR1 and the end of the run cut the current one short.
 * Every handshake is counted in exactly one window: the one its timestamp
 * falls in (agg_handshake.ts: when its Certificate message completed, else
 * the handshake's last packet: the events' time), whatever order files come in or the clock
 * jumps.  A window is written once capture time is past its end (plus a
 * grace of CS_SENSOR_GRACE_S or one interval, the shorter, for handshakes
 * whose chain was read just before the end) and every verdict it waits for
 * is known: a file settles its analyses first; a live capture never
 * waits, it keeps later windows open meanwhile (at most
 * CS_SENSOR_MAX_WINDOWS).  A handshake whose window was already written
 * (a capture file older than one read before it) is counted in the oldest
 * open window, as late_handshakes.
 *
 * Each window writes, into --report-dir, atomically (temporary file,
 * fsync, rename, fsync of the directory), a JSON report (the cumulative
 * state, and in "window" the window's own report: its servers and the
 * counters counted since the previous window, mergeable on its own), a
 * text summary and the same as one HTML page (report_view_html); each
 * chain's DER once per directory in chains/<sha256>.pem.
 * Merging every window of a run gives the run's cumulative report.  The
 * servers that became broken and those that were fixed are named against
 * the previous window.  Windows without traffic write nothing.  --keep N
 * keeps the newest N reports of each kind.
 */
#ifndef CS_SENSOR_H
#define CS_SENSOR_H

#include "cs_engine.h"
#include "cs_report.h"

struct sensor_opts {
	const char *dir;    /* NULL: no files, no windows */
	int64_t interval_s; /* 0: no periodic reports (SIGUSR1 and the end only) */
	unsigned keep;      /* 0: keep all */
	const struct report_opts *text;
	bool live; /* a live capture: never wait for a verdict */
};

struct sensor;

/* Opens (creating if needed) the report directory now, before privileges
 * are dropped, and follows every handshake e counts.  NULL with err set on
 * failure. */
struct sensor *sensor_new(const struct sensor_opts *o, struct engine *e, char *err, size_t errlen);
void sensor_free(struct sensor *s);

/* Capture time moved to now (a frame, or the wall clock of a quiet
 * interface): write the windows that are complete.  Both writers: on
 * failure (CS_IO) errno says why. */
enum cs_status sensor_tick(struct sensor *s, int64_t now);
/* End the current window now and write it, and every older one
 * ("signal" on SIGUSR1, "final" at exit, after the engine settled). */
enum cs_status sensor_report(struct sensor *s, int64_t now, const char *kind);
/* Reports written so far. */
uint64_t sensor_reports(const struct sensor *s);
/* Handshakes counted in a later window than their timestamp's. */
uint64_t sensor_late(const struct sensor *s);

#endif
