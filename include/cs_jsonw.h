/*
 * cs_jsonw.h - the one JSON writer: reports, state files, events.
 *
 * Streams to a FILE, allocation-free (events are written on the packet
 * path), indented two spaces per level or on one line (NDJSON).  Keys are
 * our own ASCII names; every string value goes through esc_json(), and
 * jw_wire() is for bytes that came from the wire or a certificate (any
 * byte, NUL included, escaped).  Write errors show in ferror(f), which the
 * caller checks once at the end.
 */
#ifndef CS_JSONW_H
#define CS_JSONW_H

#include <stdio.h>

#include "cs_common.h"

struct jw {
	FILE *f;
	int depth;  /* < 0: one line */
	bool first; /* no comma needed before the next member */
	bool state; /* the report writer's flag: also what --state and merge need */
};

/* one_line: NDJSON (no newline is written at the end: the caller adds it). */
void jw_init(struct jw *w, FILE *f, bool one_line);

/* k is NULL inside an array. */
void jw_key(struct jw *w, const char *k);
void jw_open(struct jw *w, const char *k, char c); /* '{' or '[' */
void jw_close(struct jw *w, char c);               /* '}' or ']' */
void jw_u64(struct jw *w, const char *k, uint64_t v);
void jw_bool(struct jw *w, const char *k, bool v);
void jw_null(struct jw *w, const char *k);
/* v is already JSON (a number, true, false, null). */
void jw_raw(struct jw *w, const char *k, const char *v);
/* A string we generated ourselves (still escaped: names come from argv);
 * NULL writes null. */
void jw_str(struct jw *w, const char *k, const char *v);
/* n bytes from the wire or a certificate. */
void jw_wire(struct jw *w, const char *k, const char *v, size_t n);
/* RFC 3339 UTC with microseconds, from nanoseconds. */
void jw_time(struct jw *w, const char *k, int64_t ns);
/* A base64 string of n bytes. */
void jw_b64(struct jw *w, const char *k, const uint8_t *p, size_t n);

/* A certificate's names and validity, as reports and events show them:
 * subject, issuer (wire text), serial, not_before, not_after; all null
 * when it did not parse. */
struct cs_cert_facts;
void jw_cert_facts(struct jw *w, const struct cs_cert_facts *f);

#endif
