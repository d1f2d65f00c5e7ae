/*
 * cs_metrics.h - capture health for the operator: a stats line on stderr
 * and a Prometheus text-format file (--metrics, for node_exporter's
 * textfile collector) at the end of every stats interval, and the file at
 * SIGUSR1 and at exit.  The metric names, types and labels are a contract
 * (docs/metrics.md): add, never rename.
 *
 * The stats interval (--stats-interval, else --interval) runs on the clock
 * the caller gives: capture time for files, the wall clock for a live
 * capture, aligned to multiples of the interval as the periodic reports
 * are.  Every counter comes from the engine (cs_engine.h), its inputs and
 * the judge; the caller adds what only it knows (write failures of its
 * outputs) in struct metrics_outputs.
 */
#ifndef CS_METRICS_H
#define CS_METRICS_H

#include "cs_engine.h"

struct metrics_opts {
	const char *path;    /* --metrics FILE, or NULL */
	int64_t interval_s;  /* 0: no stats line, the file only at SIGUSR1 and exit */
	const char *version; /* chainsniff's, for chainsniff_info */
};

/* Failures to write the caller's outputs so far (chainsniff_output_errors_total). */
struct metrics_outputs {
	uint64_t report, state, events;
};

struct metrics;

struct metrics *metrics_new(const struct metrics_opts *o, struct engine *e);
void metrics_free(struct metrics *m);
/* The clock reached now (ns): true when a stats interval ended, so that
 * the caller refreshes the capture's drop counters before metrics_tick. */
bool metrics_due(const struct metrics *m, int64_t now);
/* At the end of a stats interval: the stats line and the file (a failed
 * write is said once per distinct errno, and counted). */
void metrics_tick(struct metrics *m, int64_t now, const struct metrics_outputs *out);
/* The file now (SIGUSR1, exit); CS_OK also when there is no --metrics.
 * A failure is said on stderr, with errno. */
enum cs_status metrics_write(struct metrics *m, const struct metrics_outputs *out);

#endif
