/*
 * cs_report.h - the report writers: JSON for machines (the contract in
 * docs/report-format.md) and text for people.  Every string that came
 * from the wire or a certificate goes through escape.c.
 */
#ifndef CS_REPORT_H
#define CS_REPORT_H

#include <stdio.h>

#include "cs_engine.h"

void report_json(FILE *out, struct engine *e);

/* A periodic report: the cumulative report plus the window that just
 * ended (its servers, and which servers became broken or were fixed). */
struct report_window {
	const char *kind;       /* "interval", "signal", "final" */
	int64_t start, end;     /* ns */
	struct agg *agg;
	const struct agg_server *const *became_broken;
	size_t n_broken;
	const struct agg_server *const *fixed;
	size_t n_fixed;
};

void report_json_window(FILE *out, struct engine *e, const struct report_window *win);
/* The JSON report plus what a state file and `chainsniff merge` need: each
 * certificate's DER ("der", base64) and each client set ("*_sketch"). */
void report_json_state(FILE *out, struct engine *e);
struct report_opts {
	bool color;       /* ANSI colours (a terminal, NO_COLOR unset) */
	unsigned top;     /* servers listed in the text table, 0 = no limit */
	bool all;         /* list healthy servers too */
	bool details;     /* every chain and certificate of every server */
	bool same_day;    /* set by the report: print times without the date */
};

void report_text(FILE *out, struct engine *e, const struct report_opts *ro);
/* One CSV row per server (RFC 4180, formula-injection safe). */
void report_csv(FILE *out, struct engine *e);
/* One NDJSON line per finished handshake (--events). */
void report_event(FILE *out, const struct engine_event *ev);

/* 1234567 -> "1,234,567" (into buf, returned). */
const char *fmt_count(uint64_t v, char *buf, size_t len);

#endif
