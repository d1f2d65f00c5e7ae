/*
 * cs_trust.h - the trust store the diagnosis validates against.
 *
 * By default the system bundle (honouring SSL_CERT_FILE and SSL_CERT_DIR,
 * as OpenSSL and curl do); --ca-file/--ca-dir replace it, --add-ca adds to
 * it.  The store is a list of trust anchors (any certificate in it is an
 * anchor, self-signed or not, as in modern clients) with a digest over
 * their fingerprints so that reports say exactly which store judged them.
 * OpenSSL objects are visible only to trust.c and diag.c (struct x509_st
 * is OpenSSL's X509).
 */
#ifndef CS_TRUST_H
#define CS_TRUST_H

#include "cs_common.h"
#include "cs_limits.h"

struct x509_st;

struct trust_opts {
	const char *ca_files[CS_MAX_TRUST_SOURCES];
	size_t n_ca_files;
	const char *ca_dirs[CS_MAX_TRUST_SOURCES];
	size_t n_ca_dirs;
	const char *add_cas[CS_MAX_TRUST_SOURCES];
	size_t n_add_cas;
};

struct cs_trust;

/* Load the store.  On failure err names the file and the reason. */
enum cs_status trust_load(const struct trust_opts *o, struct cs_trust **out, char *err,
			  size_t errlen);
void trust_free(struct cs_trust *t);

/* "system: /etc/ssl/certs/ca-certificates.crt", "files: a.pem; add: b.pem", ... */
const char *trust_name(const struct cs_trust *t);
/* Lowercase hex SHA-256 over the sorted anchor fingerprints. */
const char *trust_digest(const struct cs_trust *t);
size_t trust_count(const struct cs_trust *t);

struct cs_x509;

/* Whether this exact certificate (by SHA-256 of its DER) is an anchor. */
bool trust_contains_der(const struct cs_trust *t, const uint8_t sha256[CS_SHA256_LEN]);
/* The anchor with this SHA-256, or NULL. */
const struct cs_x509 *trust_anchor_by_der(const struct cs_trust *t,
					  const uint8_t sha256[CS_SHA256_LEN]);
/* Anchors that issued cert (name and key identifiers; an anchor's key usage
 * is not checked); up to max.  Found through an index of subject names:
 * the cost does not grow with the size of the store. */
size_t trust_issuers_of(const struct cs_trust *t, struct x509_st *cert, const struct cs_x509 **out,
			size_t max);

struct cs_timeline;
struct timeline_root;

/*
 * The store as it stood at `when` (--trust-at, ok_at_capture_time), from
 * the root-store timeline (cs_timeline.h) and today's store:
 * - a root the timeline says was in the store then is an anchor, even if
 *   today's store dropped it: today's certificate when today's store has
 *   it, else one rebuilt from the timeline's subject, key and validity
 *   (it has no extensions: it is matched by name, and its key decides,
 *   by the signature it verifies);
 * - an anchor of today's store that the timeline knows, by certificate or
 *   else by key, is an anchor only if (a root with that key) was in the
 *   store then;
 * - the other anchors of today's store (a private CA from --add-ca, a root
 *   only the distribution ships) are kept.
 * The name says the day and the timeline ("Mozilla's store on 2015-04-26
 * (root timeline: built-in) + 2 anchors of today's store the timeline does
 * not know"); the digest is over the anchors' certificate hashes, as for
 * any store.  today may be freed afterwards; tl must outlive the store
 * (trust_anchor_root hands out its roots).  It may hold up to
 * CS_MAX_TRUST_ANCHORS + CS_TIMELINE_MAX_ROOTS anchors (today's and the
 * roots of that day, each within its cap); CS_NOMEM.
 */
enum cs_status trust_at_date(const struct cs_trust *today, const struct cs_timeline *tl,
			     int64_t when, struct cs_trust **out);
/* Whether t is the store of a date (trust_at_date): then *when is it. */
bool trust_date(const struct cs_trust *t, int64_t *when);
/* The timeline's root behind anchor (one t handed out) in a dated store;
 * NULL for an anchor the timeline does not know, or in today's store. */
const struct timeline_root *trust_anchor_root(const struct cs_trust *t,
					      const struct cs_x509 *anchor);

#endif
