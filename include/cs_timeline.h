/*
 * cs_timeline.h - Mozilla's root store over time: which roots a client
 * using Mozilla's store trusted for server authentication on a given day.
 *
 * Answers "was this root in the store when the capture was made?", "has
 * it left since, and when?", "was it distrusted for certificates issued
 * after a date (CKA_NSS_SERVER_DISTRUST_AFTER)?", and lists the roots in
 * the store on a date with their key and subject, so that a removed root
 * can still serve as an anchor (by name and key) for "the store as it stood
 * on date D".  Roots are identified by the SHA-256 of their certificate or
 * of their SubjectPublicKeyInfo; several certificates may share a key.
 *
 * The data (data/root-timeline.json, built by scripts/mkroot-timeline.py
 * from NSS's certdata.txt history; format in docs/trust-timeline.md) is
 * compiled in; a replacement file can be loaded instead and is validated
 * as hostile input: anything malformed, out of range or past a cap in
 * cs_limits.h refuses the whole file with one line naming the value.
 *
 * A loaded timeline is immutable; everything it hands out (roots,
 * intervals, strings, DER) is borrowed and lives until timeline_free().
 * Times are seconds since the Unix epoch (UTC), like diag_handshake()'s.
 * Dates in the data are days (00:00:00 UTC); they are accurate to about one
 * NSS release (see docs/trust-timeline.md).  Strings come from a file a
 * user may replace: escape them (src/escape.c) before printing.
 */
#ifndef CS_TIMELINE_H
#define CS_TIMELINE_H

#include "cs_common.h"

/* The `until` of an interval the root has not left (still in the store). */
#define TIMELINE_OPEN INT64_MAX

/* One stay in the store: [from, until). */
struct timeline_interval {
	int64_t from;
	int64_t until;             /* TIMELINE_OPEN while still in the store */
	const char *from_release;  /* "NSS 3.12.6", or "NSS trunk <commit>" when unreleased */
	const char *until_release; /* NULL while open */
};

struct timeline_root {
	uint8_t cert_sha256[CS_SHA256_LEN];
	uint8_t spki_sha256[CS_SHA256_LEN];        /* of spki below (checked at load) */
	struct cs_slice spki;                      /* DER SubjectPublicKeyInfo */
	struct cs_slice subject_der;               /* DER Name */
	const char *subject;                       /* RFC 4514, UTF-8 */
	const char *label;                         /* Mozilla's nickname (CKA_LABEL), UTF-8 */
	int64_t not_before;                        /* the certificate's validity, for an anchor */
	int64_t not_after;                         /* built from spki and subject_der */
	const struct timeline_interval *intervals; /* sorted, disjoint, at least one */
	size_t n_intervals;
	/* CKA_NSS_SERVER_DISTRUST_AFTER: server certificates issued (notBefore)
	 * after distrust_after are not trusted through this root, from the
	 * date the store began to carry the setting (distrust_since). */
	bool has_distrust_after;
	int64_t distrust_after;
	int64_t distrust_since;
	const char *distrust_since_release; /* NULL without a distrust-after date */
};

struct cs_timeline;

/* The timeline compiled into chainsniff. */
enum cs_status timeline_load_builtin(struct cs_timeline **out, char *err, size_t errlen);
/* A replacement file.  err: "PATH: roots[3].intervals[0].from: not a date
 * (YYYY-MM-DD)"; CS_IO when it cannot be read, CS_BAD when malformed,
 * CS_LIMIT past a cap, CS_NOMEM. */
enum cs_status timeline_load_file(const char *path, struct cs_timeline **out, char *err,
				  size_t errlen);
/* The same from memory; name prefixes error messages and is timeline_name(). */
enum cs_status timeline_parse(const uint8_t *p, size_t n, const char *name,
			      struct cs_timeline **out, char *err, size_t errlen);
void timeline_free(struct cs_timeline *t);

/* "built-in" or the file's path. */
const char *timeline_name(const struct cs_timeline *t);
/* Where the data comes from, from the file's provenance: "NSS certdata.txt
 * to b646e2b0089f (2026-04-09), last store change NSS 3.123.1 (2026-04-23)". */
const char *timeline_source(const struct cs_timeline *t);
/* Lowercase hex SHA-256 of the file's bytes (which timeline judged). */
const char *timeline_digest(const struct cs_timeline *t);
/* The dates the data covers: from the first root's entry (NSS 3.1,
 * 2000-10-13, in the built-in data) to the latest store change or the
 * provenance's last commit.  Before the start the timeline knows no store
 * (a capture with a wrong clock); after the end, answers are "as of" it. */
int64_t timeline_start(const struct cs_timeline *t);
int64_t timeline_end(const struct cs_timeline *t);

size_t timeline_count(const struct cs_timeline *t);
/* Roots in the file's order; NULL past the end. */
const struct timeline_root *timeline_root(const struct cs_timeline *t, size_t i);

/* The root with this certificate, or NULL (unknown to the timeline). */
const struct timeline_root *timeline_by_cert(const struct cs_timeline *t,
					     const uint8_t sha256[CS_SHA256_LEN]);
/* Roots with this key: how many there are (0: unknown key); the first
 * min(count, max) go to out, ordered by their first interval. */
size_t timeline_by_spki(const struct cs_timeline *t, const uint8_t spki_sha256[CS_SHA256_LEN],
			const struct timeline_root **out, size_t max);

/* Whether the root was in the store at when. */
bool timeline_in_store(const struct timeline_root *r, int64_t when);
/* The interval holding when, or NULL. */
const struct timeline_interval *timeline_interval_at(const struct timeline_root *r, int64_t when);
/* Whether the root is out of the store at the end of the timeline; if so
 * *when (and *release, may be NULL) say when it last left. */
bool timeline_left(const struct timeline_root *r, int64_t *when, const char **release);
/* Whether the store, as it stood at when, refused server certificates
 * issued at not_before through this root (distrust-after set by then and
 * not_before later than it). */
bool timeline_distrusts(const struct timeline_root *r, int64_t not_before, int64_t when);

/* Iterate the roots in the store at when: set *pos = 0, call until NULL. */
const struct timeline_root *timeline_next_in_store(const struct cs_timeline *t, int64_t when,
						   size_t *pos);

/* The window [*from, *until) around when over which the store does not
 * change: the same roots are in it, with the same distrust-after settings
 * in force (INT64_MIN / INT64_MAX when unbounded).  A verdict computed
 * against the store at when holds for any time in the window. */
void timeline_window(const struct cs_timeline *t, int64_t when, int64_t *from, int64_t *until);
/* The same for one root: timeline_in_store() and timeline_distrusts() for
 * a given not_before are constant over [*from, *until). */
void timeline_root_window(const struct timeline_root *r, int64_t when, int64_t *from,
			  int64_t *until);

#endif
