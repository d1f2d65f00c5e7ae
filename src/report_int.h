/*
 * report_int.h - what the renderers of reports share (report.c,
 * report_text.c, and any later one): not for the rest of chainsniff.
 */
#ifndef REPORT_INT_H
#define REPORT_INT_H

#include "cs_view.h"

#define REPORT_MSG_LEN 1024
#define REPORT_FIX_LEN 2048
/* Distinct problem codes of one server: the catalogue's and, merged, a few
 * of newer sensors' (more are left out of the list, never of the report). */
#define REPORT_MAX_CODES 64

/* The value of group/key in c (0 when the table has no such row). */
uint64_t report_counter(const struct ctr_values *c, const char *group, const char *key);
/* The message and the fix of a problem: as read, or worded by the catalogue. */
void report_words(const struct agg_server *s, const struct agg_chain *ac,
		  const struct view_problem *vp, const struct view_chain *vc, char *msg,
		  size_t mlen, char *fix, size_t flen);
/* "broken", "ok", "unknown" (servers[].status, chains[].status). */
const char *report_chain_status(const struct agg_chain *ac);
const char *report_server_status(const struct agg_server *s);
/* "sent", "not_sent", "not_captured", "mixed". */
const char *report_sni_status(const struct agg_server *s);
/* chains[].unknown_reason of an enum diag_unknown. */
const char *report_unknown_reason(uint8_t r);
/* The most important problem of a server: the first error, else the first
 * warning, in chain order; *where is its chain, *vc what words it. */
bool report_main_problem(const struct report_view *v, const struct agg_server *s,
			 struct view_problem *out, struct view_chain *vc,
			 const struct agg_chain **where);
/* "1 client", "2 clients": n formatted, then the word that fits it (buf). */
const char *report_count_of(uint64_t n, const char *one, const char *many, char *buf, size_t len);
/* "2026-11-23 04:00:00 → 05:00:00 UTC" (the date again if it changes). */
void report_time_span(int64_t first, int64_t last, char *buf, size_t len);
/* Distinct clients sent a broken chain, over every broken server (a client
 * of two servers counts once). */
uint64_t report_broken_clients(const struct report_view *v);
/* The problems of every chain of s, the first of each code, in chain order
 * (at most max): the list of codes a server row shows. */
size_t report_server_codes(const struct report_view *v, const struct agg_server *s,
			   struct view_problem *out, size_t max);

#endif
