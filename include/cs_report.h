/*
 * cs_report.h - the report writers: JSON for machines (the contract in
 * docs/report-format.md), text for people, CSV for spreadsheets, HTML for
 * the mail and the ticket (one self-contained page, report_html.c).  Each
 * renders a report view (cs_view.h), whoever filled it: a run, a periodic
 * window, a state file, `chainsniff merge`.  Every string that came from
 * the wire or a certificate goes through escape.c.
 *
 * Every JSON report can be merged again (client sets as sketches, each
 * problem's typed parameters next to its words, each chain's last_seen);
 * the state form adds each certificate's DER ("der", base64), which a
 * --state restore needs to judge the chains again.
 */
#ifndef CS_REPORT_H
#define CS_REPORT_H

#include <stdio.h>

#include "cs_view.h"

struct report_opts {
	bool color;     /* ANSI colours (a terminal, NO_COLOR unset) */
	unsigned top;   /* servers listed in the text and HTML table, 0 = no limit */
	bool all;       /* list healthy servers too */
	bool details;   /* every chain and certificate of every server */
	unsigned width; /* columns of the text (report_width); 0: 100 */
};

/* The JSON report of v; state: with each certificate's DER. */
void report_view_json(FILE *out, const struct report_view *v, bool state);
void report_view_text(FILE *out, const struct report_view *v, const struct report_opts *ro);
/* One CSV row per server (RFC 4180, formula-injection safe). */
void report_view_csv(FILE *out, const struct report_view *v);
/* One HTML page (top and all as the text; color and width unused): no
 * script, nothing fetched, every wire string through esc_html. */
void report_view_html(FILE *out, const struct report_view *v, const struct report_opts *ro);

/* The cumulative report of an engine (view_of_engine), in each format. */
void report_json(FILE *out, struct engine *e);
void report_json_state(FILE *out, struct engine *e);
void report_text(FILE *out, struct engine *e, const struct report_opts *ro);
void report_csv(FILE *out, struct engine *e);
void report_html(FILE *out, struct engine *e, const struct report_opts *ro);

/* Columns for a text report written to fd: the terminal's width, else
 * COLUMNS, else 100 (a file or a pipe); within 60..1000. */
unsigned report_width(int fd);

/* 1234567 -> "1,234,567" (into buf, returned). */
const char *fmt_count(uint64_t v, char *buf, size_t len);

#endif
