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
enum cs_status trust_load(const struct trust_opts *o, struct cs_trust **out,
			  char *err, size_t errlen);
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
const struct cs_x509 *trust_anchor_by_der(const struct cs_trust *t, const uint8_t sha256[CS_SHA256_LEN]);
/* Anchors that issued cert (name and key identifiers; an anchor's key usage
 * is not checked); up to max.  Found through an index of subject names:
 * the cost does not grow with the size of the store. */
size_t trust_issuers_of(const struct cs_trust *t, struct x509_st *cert,
			const struct cs_x509 **out, size_t max);

#endif
