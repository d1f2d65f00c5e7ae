/*
 * cs_chain.h - the store of distinct certificates and certificate chains.
 *
 * A chain is the list of DER certificates of one server Certificate
 * message, in sent order.  Its identity is the SHA-256 over the
 * concatenated DER.  Certificates are stored once however many chains hold
 * them (an intermediate served by a thousand servers is one copy), each
 * identified by the SHA-256 of its DER.
 *
 * Cost on the packet path: a chain seen before is found through a keyed
 * hash of its certificates' lengths and last bytes, confirmed by comparing
 * every byte with the stored copy; only a miss (a new chain, or a rare
 * collision of that hint) hashes the message with SHA-256.  No libcrypto
 * parsing happens here at intern time: the facts of a certificate
 * (subject, issuer, serial, validity) are parsed once, on first use, by
 * whichever thread asks first (the chain analysis, normally), and kept.
 *
 * Threads: interning and the counts take the store's lock (--workers
 * intern from several packet threads, the main thread reads).  Chains
 * and certificates never move or die before the store, and their DER
 * never changes, so any thread may read them; cert_facts() may be called
 * from any thread.  OpenSSL objects never leave chain.c.
 * Capped by CS_MAX_CHAINS and CS_CHAIN_MEMCAP (counted by the caller).
 */
#ifndef CS_CHAIN_H
#define CS_CHAIN_H

#include "cs_common.h"
#include "cs_limits.h"

struct x509_st;

/* Facts about one certificate.  Strings are NUL-terminated and NOT
 * escaped: subject/issuer are RFC 4514 strings as OpenSSL prints them
 * (UTF-8 kept), which may hold any byte the certificate carried; the
 * report layer escapes them. */
struct cs_cert_facts {
	bool parsed;   /* false: libcrypto could not parse this entry */
	char *subject; /* "" when not parsed */
	char *issuer;
	char *serial_hex;   /* lowercase, no colons, no leading "0x";
			       * as BN_bn2hex: "0", or "-" before a negative */
	int64_t not_before; /* seconds since the epoch, UTC; 0 when not parsed */
	int64_t not_after;
	/* subjectAltName dNSName entries in certificate order: the first
	 * CS_CERT_MAX_SAN_DNS of at most CS_MAX_SNI bytes (longer ones are
	 * skipped), their lengths in dns_len[0..n_dns) and their bytes back to
	 * back in dns (a name may hold any byte, NUL included: escape on
	 * output).  dns_total counts every dNSName, kept or not. */
	uint32_t n_dns, dns_total;
	uint16_t *dns_len; /* NULL when n_dns is 0 */
	char *dns;
};

/* One distinct certificate. */
struct cs_cert {
	uint8_t sha256[CS_SHA256_LEN];
	const uint8_t *der; /* owned copy; NULL: known by its facts only */
	size_t der_len;
	uint32_t id;                         /* dense index among certificates, 0-based */
	struct cs_cert_facts *_Atomic facts; /* see cert_facts() */
	struct x509_st *_Atomic parsed;      /* cert_preparse(): taken by cert_take_parsed() */
};

struct cs_chain {
	uint8_t sha256[CS_SHA256_LEN]; /* over the concatenated DER, sent order */
	uint32_t id;                   /* dense index in the store, 0-based */
	size_t n_certs;
	struct cs_cert **certs; /* shared entries, owned by the store */
	size_t der_bytes;
};

struct cs_chain_store;

/* NULL when memory runs out or max_chains > UINT32_MAX / 2.  The chain
 * hash table (at most 24 bytes per allowed chain) and the lookup hints are
 * allocated here, outside memcap.  memcap counts each chain (struct and
 * certificate pointers) and each new certificate (struct and DER), checked
 * before copying. */
struct cs_chain_store *chain_store_new(size_t max_chains, size_t memcap);
void chain_store_free(struct cs_chain_store *st);

/* SHA-256 over the concatenation of certs[0..n); all zeros in the unlikely
 * case that libcrypto cannot allocate its context. */
void chain_hash(const struct cs_slice *certs, size_t n, uint8_t out[CS_SHA256_LEN]);

/* Find the chain with this content or add it (copying once).  *added
 * tells which; *out stays valid until chain_store_free.  CS_LIMIT when a
 * cap refuses a new chain (the caller counts it), CS_NOMEM on allocation
 * failure. */
enum cs_status chain_store_intern(struct cs_chain_store *st, const struct cs_slice *certs, size_t n,
				  const struct cs_chain **out, bool *added);

/* The facts of a certificate as a report gives them (strings borrowed). */
struct cs_cert_given {
	bool parsed;
	const char *subject, *issuer, *serial_hex;
	int64_t not_before, not_after;
};

/* A chain known only by its facts (a report read back that carries no
 * DER: `chainsniff merge` of periodic windows): its SHA-256, each
 * certificate's SHA-256 and facts (copied).  The certificates have der
 * NULL; a chain or certificate already stored under its SHA-256 is used
 * as it is.  Counted against max_chains and memcap like any other. */
enum cs_status chain_store_intern_facts(struct cs_chain_store *st, const uint8_t sha[CS_SHA256_LEN],
					size_t n, const uint8_t (*cert_sha)[CS_SHA256_LEN],
					const struct cs_cert_given *facts,
					const struct cs_chain **out);

size_t chain_store_count(const struct cs_chain_store *st);
const struct cs_chain *chain_store_get(const struct cs_chain_store *st, uint32_t id);
/* Distinct certificates held. */
size_t chain_store_certs(const struct cs_chain_store *st);
/* Bytes charged to the memcap (parsed facts, a small multiple of the
 * names' DER, come on top). */
size_t chain_store_bytes(const struct cs_chain_store *st);
/* Handshakes whose chain was found by the hint, without SHA-256. */
uint64_t chain_store_hint_hits(const struct cs_chain_store *st);

/* The facts of a certificate, parsed from its DER on first use and kept
 * (any thread; the first parse to finish is kept).  An entry libcrypto
 * rejects, or with bytes after the certificate, has parsed=false.  Never
 * NULL: when memory runs out, an empty unparsed record that is not kept. */
const struct cs_cert_facts *cert_facts(struct cs_cert *c);
/* The same, from x: the caller's parse of exactly c->der (saves one). */
const struct cs_cert_facts *cert_facts_from(struct cs_cert *c, struct x509_st *x);

/* Parse c once ahead of its analysis, on another thread than the
 * analysis's (a file's reader has time to spare; a live capture does not
 * call this).  cert_take_parsed() hands the object over (NULL if none, or
 * not parseable: the taker parses itself). */
void cert_preparse(struct cs_cert *c);
struct x509_st *cert_take_parsed(struct cs_cert *c);

/* Write the chain as PEM to DIR/<sha256hex>.pem unless it exists: every
 * entry as the CERTIFICATE block of its DER exactly as sent (unparsed ones
 * too), in sent order, mode 0644, with atomic_write (cs_atomicfile.h).
 * "" means ".".  CS_IO with errno set on failure. */
enum cs_status chain_dump_pem(const struct cs_chain *c, const char *dir);

#endif
