/*
 * cs_certcache.h - libcrypto work done once: the parsed X509 objects of the
 * certificates under analysis, and the memo of signature checks.
 *
 * Parsed certificates are kept in a bounded cache keyed by the store's
 * certificate (least recently used first out): intermediates and roots that
 * many chains share stay parsed, a leaf is dropped soon after its chain was
 * judged.  A signature check is remembered by (SHA-256 of the signed
 * certificate, SHA-256 of the issuer's SubjectPublicKeyInfo): verified once
 * whatever chain, trust store or report asks again.  The memo is a
 * 8-way set-associative table; a full set forgets its oldest entry
 * (counted), which only costs a verification later.
 *
 * Each key carries an estimated cost of one verification in microseconds
 * (OpenSSL 3.0 on one x86-64 core: RSA-2048 20, RSA-4096 76, P-256 81,
 * P-384 650, counted as 700 for the slower curves), which the analysis
 * budgets count (verify_cost() in certcache.c).
 *
 * Single-threaded: one analysis thread owns the cache.  OpenSSL objects
 * are visible only to diag.c, trust.c and certcache.c.
 */
#ifndef CS_CERTCACHE_H
#define CS_CERTCACHE_H

#include "cs_chain.h"

struct x509_st;

/* A parsed certificate with its identities. */
struct cs_x509 {
	struct x509_st *x;
	uint8_t sha256[CS_SHA256_LEN]; /* of the DER */
	uint8_t spki[CS_SHA256_LEN];   /* of the public key (SubjectPublicKeyInfo) */
	uint32_t verify_cost;          /* microseconds to verify a signature of this key */
	bool has_key;                  /* libcrypto could decode the public key */
};

struct certcache_stats {
	uint64_t parsed;        /* certificates parsed into X509 objects */
	uint64_t x509_evicted;  /* parsed certificates dropped at the cap */
	uint64_t checks;        /* signature checks asked for */
	uint64_t verifications; /* of which really verified (memo misses) */
	uint64_t memo_evicted;  /* memo entries forgotten at the cap */
	uint64_t verify_cost;   /* sum of the verifications' estimated microseconds */
};

struct certcache;

struct certcache *certcache_new(size_t max_x509, size_t memo_entries);
void certcache_free(struct certcache *cc);

/* Fill id from x (which stays the caller's): SHA-256 of the DER and of
 * the key, and the key's verification cost.  false when out of memory. */
bool x509_identify(struct x509_st *x, struct cs_x509 *id);

/* The parsed form of c, NULL when libcrypto rejects its DER (or trailing
 * bytes follow it).  Valid until the next certcache_trim. */
const struct cs_x509 *certcache_get(struct certcache *cc, struct cs_cert *c);
/* Between analyses: drop the least recently used beyond the cap. */
void certcache_trim(struct certcache *cc);

/* Whether the signature of sub verifies with the key of issuer, from the
 * memo or by verifying (then *verified is set and cost added to *cost). */
bool certcache_signed_by(struct certcache *cc, const struct cs_x509 *sub,
			 const struct cs_x509 *issuer, bool *verified, uint64_t *cost);

const struct certcache_stats *certcache_stats(const struct certcache *cc);

#endif
