/*
 * cs_chain.h - the store of distinct certificate chains.
 *
 * A chain is the list of DER certificates of one server Certificate
 * message, in sent order.  Its identity is the SHA-256 over the
 * concatenated DER (computed over the borrowed wire slices before anything
 * is copied), so a chain served a million times is copied and parsed by
 * libcrypto once.  The store owns copies of the DER and the parsed facts
 * the report needs.  OpenSSL objects never leave chain.c (and, later,
 * diag.c).  Capped by CS_MAX_CHAINS and CS_CHAIN_MEMCAP.
 */
#ifndef CS_CHAIN_H
#define CS_CHAIN_H

#include "cs_common.h"
#include "cs_limits.h"

#define CS_SHA256_LEN 32

/* Facts about one certificate, parsed once.  Strings are NUL-terminated,
 * owned by the store, and NOT escaped: subject/issuer are RFC 4514 strings
 * as OpenSSL prints them (UTF-8 kept), which may hold any byte the
 * certificate carried; the report layer escapes them. */
struct cs_cert_info {
	uint8_t sha256[CS_SHA256_LEN];
	const uint8_t *der;   /* owned copy */
	size_t der_len;
	bool parsed;          /* false: libcrypto could not parse this entry */
	char *subject;        /* "" when not parsed */
	char *issuer;
	char *serial_hex;     /* lowercase, no colons, no leading "0x";
			       * as BN_bn2hex: "0", or "-" before a negative */
	int64_t not_before;   /* seconds since the epoch, UTC; 0 when not parsed */
	int64_t not_after;
};

struct cs_chain {
	uint8_t sha256[CS_SHA256_LEN]; /* over the concatenated DER, sent order */
	uint32_t id;                   /* dense index in the store, 0-based */
	size_t n_certs;
	struct cs_cert_info *certs;
	size_t der_bytes;
};

struct cs_chain_store;

/* NULL when memory runs out or max_chains > UINT32_MAX / 2.  The hash
 * table (at most 24 bytes per allowed chain) is allocated here, outside
 * memcap.  memcap counts each chain's block (struct, facts, DER copy),
 * checked before copying, plus its parsed strings, charged once known. */
struct cs_chain_store *chain_store_new(size_t max_chains, size_t memcap);
void chain_store_free(struct cs_chain_store *st);

/* SHA-256 over the concatenation of certs[0..n); all zeros in the unlikely
 * case that libcrypto cannot allocate its context. */
void chain_hash(const struct cs_slice *certs, size_t n, uint8_t out[CS_SHA256_LEN]);

/* Find the chain with this content or add it (copying and parsing once).
 * *added tells which; *out stays valid until chain_store_free.  An entry
 * libcrypto rejects, or with bytes after the certificate, is kept with
 * parsed=false.  CS_LIMIT when a cap refuses a new chain (the caller
 * counts it), CS_NOMEM on allocation failure. */
enum cs_status chain_store_intern(struct cs_chain_store *st,
				  const struct cs_slice *certs, size_t n,
				  const struct cs_chain **out, bool *added);

size_t chain_store_count(const struct cs_chain_store *st);
const struct cs_chain *chain_store_get(const struct cs_chain_store *st, uint32_t id);

/* Write the chain as PEM to DIR/<sha256hex>.pem unless it exists: every
 * entry as the CERTIFICATE block of its DER exactly as sent (unparsed ones
 * too), in sent order, mode 0644, with atomic_write (cs_atomicfile.h).
 * "" means ".".  CS_IO with errno set on failure. */
enum cs_status chain_dump_pem(const struct cs_chain *c, const char *dir);

#endif
