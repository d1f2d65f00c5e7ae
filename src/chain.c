/*
 * chain.c - the store of distinct certificates and chains (cs_chain.h).
 * Owns one block per chain (struct and certificate pointers), one block per
 * distinct certificate (struct and DER copy), the facts parsed from it,
 * and three tables: chains by SHA-256, certificates by SHA-256, and the
 * direct-mapped lookup hints.
 * Policy: a chain seen before costs a short keyed hash and a byte compare
 * (the hint); a miss hashes the message with SHA-256 and looks it up; a new
 * chain is checked against max_chains and memcap before anything is
 * allocated, then its new certificates are copied.  libcrypto parses a
 * certificate once, when its facts are first asked for.  OpenSSL objects
 * never leave this file; each function frees its own at a single exit.
 */
#include "cs_chain.h"
#include "cs_atomicfile.h"
#include "cs_codec.h"
#include "cs_hash.h"
#include "cs_vec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* RFC 2253 as OpenSSL prints it, but UTF-8 kept as UTF-8: escaping for
 * output is escape.c's job, and \XX escapes would hide what was sent. */
#define CHAIN_NAME_FLAGS (XN_FLAG_RFC2253 & ~(unsigned long)ASN1_STRFLGS_ESC_MSB)

/* Direct-mapped hints: a slot remembers the last chain whose hint hashed
 * there.  A collision only costs a SHA-256 (the slow path), never a wrong
 * answer: the bytes are always compared. */
#define CHAIN_HINT_BITS 16
#define CHAIN_HINT_TAIL 16 /* last bytes of each certificate: its signature */

struct cs_chain_store {
	struct cs_chain **chains; /* by id, max_chains long */
	uint32_t *slots;          /* id + 1; 0 = empty; load <= 1/2 */
	size_t mask;
	size_t count, max_chains;
	struct cs_cert **certs; /* by id */
	size_t ncerts, certs_cap;
	uint32_t *cslots; /* cert id + 1; load <= 1/2; grows */
	size_t cmask;
	uint32_t hints[1u << CHAIN_HINT_BITS]; /* chain id + 1 */
	uint8_t hint_key[CS_HASH_KEY_LEN];
	uint64_t hint_hits;
	size_t used, memcap; /* bytes charged */
	EVP_MD *sha256;      /* fetched once */
	EVP_MD_CTX *md;      /* reused for every digest */
	pthread_mutex_t *mu; /* interning and counts (--workers intern from several threads) */
};

static bool digest(EVP_MD_CTX *ctx, const EVP_MD *md, const struct cs_slice *s, size_t n,
		   uint8_t out[CS_SHA256_LEN])
{
	if (!EVP_DigestInit_ex2(ctx, md, NULL))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!EVP_DigestUpdate(ctx, s[i].p, s[i].n))
			return false;
	return EVP_DigestFinal_ex(ctx, out, NULL) == 1;
}

/* Standalone; the store uses its own context.  All zeros if libcrypto
 * fails (it can only fail to allocate). */
void chain_hash(const struct cs_slice *certs, size_t n, uint8_t out[CS_SHA256_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	if (ctx == NULL || !digest(ctx, EVP_sha256(), certs, n, out))
		memset(out, 0, CS_SHA256_LEN);
	EVP_MD_CTX_free(ctx);
}

/* ---- store --------------------------------------------------------------- */

struct cs_chain_store *chain_store_new(size_t max_chains, size_t memcap)
{
	struct cs_chain_store *st;
	size_t nslots = 2;

	if (max_chains > UINT32_MAX / 2)
		return NULL; /* ids are uint32_t and slots hold id + 1 */
	while (nslots < 2 * max_chains)
		nslots *= 2;
	st = calloc(1, sizeof *st);
	if (st == NULL)
		return NULL;
	st->chains = calloc(max_chains ? max_chains : 1, sizeof *st->chains);
	st->slots = calloc(nslots, sizeof *st->slots);
	st->cslots = calloc(64, sizeof *st->cslots);
	st->cmask = 63;
	st->sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	st->md = EVP_MD_CTX_new();
	st->mu = malloc(sizeof(*st->mu));
	st->mask = nslots - 1;
	st->max_chains = max_chains;
	st->memcap = memcap;
	cs_hash_seed(st->hint_key);
	/* Initialising the context now allocates libcrypto's digest state, so
	 * that no intern call refused by a cap ever allocates. */
	if (st->chains == NULL || st->slots == NULL || st->cslots == NULL || st->sha256 == NULL ||
	    st->md == NULL || st->mu == NULL || pthread_mutex_init(st->mu, NULL) != 0 ||
	    !EVP_DigestInit_ex2(st->md, st->sha256, NULL)) {
		free(st->mu);
		st->mu = NULL;
		chain_store_free(st);
		return NULL;
	}
	return st;
}

static void facts_free(struct cs_cert_facts *f)
{
	if (f == NULL)
		return;
	free(f->subject);
	free(f->issuer);
	free(f->serial_hex);
	free(f->dns_len);
	free(f->dns);
	free(f);
}

void chain_store_free(struct cs_chain_store *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->count; i++)
		free(st->chains[i]);
	for (size_t i = 0; i < st->ncerts; i++) {
		facts_free(atomic_load_explicit(&st->certs[i]->facts, memory_order_acquire));
		X509_free(atomic_load_explicit(&st->certs[i]->parsed, memory_order_acquire));
		free(st->certs[i]);
	}
	free(st->chains);
	free(st->slots);
	free(st->certs);
	free(st->cslots);
	EVP_MD_CTX_free(st->md);
	EVP_MD_free(st->sha256);
	if (st->mu)
		pthread_mutex_destroy(st->mu);
	free(st->mu);
	free(st);
}

/* The store's counts, read under the lock: workers may be interning
 * meanwhile. */
struct store_counts {
	size_t chains, certs, bytes;
	uint64_t hint_hits;
};

static struct store_counts counts_of(const struct cs_chain_store *st)
{
	struct store_counts c;

	pthread_mutex_lock(st->mu);
	c = (struct store_counts){st->count, st->ncerts, st->used, st->hint_hits};
	pthread_mutex_unlock(st->mu);
	return c;
}

size_t chain_store_count(const struct cs_chain_store *st) { return counts_of(st).chains; }

size_t chain_store_certs(const struct cs_chain_store *st) { return counts_of(st).certs; }

size_t chain_store_bytes(const struct cs_chain_store *st) { return counts_of(st).bytes; }

uint64_t chain_store_hint_hits(const struct cs_chain_store *st) { return counts_of(st).hint_hits; }

const struct cs_chain *chain_store_get(const struct cs_chain_store *st, uint32_t id)
{
	const struct cs_chain *c;

	pthread_mutex_lock(st->mu);
	c = id < st->count ? st->chains[id] : NULL;
	pthread_mutex_unlock(st->mu);
	return c;
}

static const uint8_t *chain_sha(const struct cs_chain_store *st, uint32_t id)
{
	return st->chains[id]->sha256;
}

static const uint8_t *cert_sha(const struct cs_chain_store *st, uint32_t id)
{
	return st->certs[id]->sha256;
}

/*
 * The slot of sha in an open-addressed table of ids + 1 (0 = empty, load at
 * most 1/2), probed linearly: the slot that holds it, or the empty one where
 * it goes.  A SHA-256 is already uniform: its first bytes are the index.
 */
static inline size_t sha_slot(const struct cs_chain_store *st, const uint32_t *slots, size_t mask,
			      const uint8_t sha[CS_SHA256_LEN],
			      const uint8_t *(*sha_of)(const struct cs_chain_store *, uint32_t))
{
	size_t h = 0;

	for (size_t i = 0; i < sizeof h; i++)
		h = h << 8 | sha[i];
	h &= mask;
	while (slots[h] != 0 && memcmp(sha_of(st, slots[h] - 1), sha, CS_SHA256_LEN) != 0)
		h = (h + 1) & mask;
	return h;
}

static size_t chain_slot(const struct cs_chain_store *st, const uint8_t sha[CS_SHA256_LEN])
{
	return sha_slot(st, st->slots, st->mask, sha, chain_sha);
}

static size_t cert_slot(const struct cs_chain_store *st, const uint8_t sha[CS_SHA256_LEN])
{
	return sha_slot(st, st->cslots, st->cmask, sha, cert_sha);
}

/* ---- the hint: a known chain without SHA-256 ------------------------------- */

/* Keyed hash of the certificates' lengths and last bytes (the end of a
 * certificate is its signature, different for every certificate). */
static size_t hint_index(const struct cs_chain_store *st, const struct cs_slice *certs, size_t n)
{
	uint8_t buf[CS_MAX_CHAIN_CERTS * (4 + CHAIN_HINT_TAIL)];
	size_t o = 0;

	for (size_t i = 0; i < n && i < CS_MAX_CHAIN_CERTS; i++) {
		size_t tail = certs[i].n < CHAIN_HINT_TAIL ? certs[i].n : CHAIN_HINT_TAIL;

		buf[o++] = (uint8_t)(certs[i].n >> 24);
		buf[o++] = (uint8_t)(certs[i].n >> 16);
		buf[o++] = (uint8_t)(certs[i].n >> 8);
		buf[o++] = (uint8_t)certs[i].n;
		if (tail)
			memcpy(buf + o, certs[i].p + certs[i].n - tail, tail);
		o += tail;
	}
	return (size_t)cs_hash(buf, o, st->hint_key) & ((1u << CHAIN_HINT_BITS) - 1);
}

static bool same_content(const struct cs_chain *c, const struct cs_slice *certs, size_t n)
{
	if (c->n_certs != n)
		return false;
	for (size_t i = 0; i < n; i++)
		if (c->certs[i]->der_len != certs[i].n ||
		    (certs[i].n && memcmp(c->certs[i]->der, certs[i].p, certs[i].n) != 0))
			return false;
	return true;
}

/* ---- adding a chain ---------------------------------------------------------- */

static bool add_cost(size_t *total, size_t more)
{
	if (more > SIZE_MAX - *total)
		return false;
	*total += more;
	return true;
}

/* Room for one more certificate in the id array and the table. */
static bool certs_reserve(struct cs_chain_store *st)
{
	if (vec_reserve(&st->certs, st->ncerts, &st->certs_cap, sizeof(*st->certs), 64) != CS_OK)
		return false;
	if (2 * (st->ncerts + 1) > st->cmask + 1) {
		size_t size = 2 * (st->cmask + 1);
		uint32_t *ns = calloc(size, sizeof *ns), *old = st->cslots;

		if (ns == NULL)
			return false;
		st->cslots = ns;
		st->cmask = size - 1;
		for (size_t i = 0; i < st->ncerts; i++)
			st->cslots[cert_slot(st, st->certs[i]->sha256)] = (uint32_t)i + 1;
		free(old);
	}
	return true;
}

/* Store c (room reserved by certs_reserve) as the next certificate id,
 * with its facts when known, charged its block and extra bytes. */
static struct cs_cert *cert_publish(struct cs_chain_store *st, struct cs_cert *c,
				    const uint8_t sha[CS_SHA256_LEN], struct cs_cert_facts *facts,
				    size_t extra)
{
	size_t slot = cert_slot(st, sha); /* the table may have grown */

	memcpy(c->sha256, sha, CS_SHA256_LEN);
	c->id = (uint32_t)st->ncerts;
	atomic_init(&c->facts, facts);
	atomic_init(&c->parsed, NULL);
	st->certs[st->ncerts++] = c;
	st->cslots[slot] = c->id + 1;
	st->used += sizeof *c + extra;
	return c;
}

/* The stored certificate with this SHA-256, or a new copy of der. */
static struct cs_cert *cert_intern(struct cs_chain_store *st, const uint8_t sha[CS_SHA256_LEN],
				   struct cs_slice der)
{
	size_t slot = cert_slot(st, sha);
	struct cs_cert *c;

	if (st->cslots[slot] != 0)
		return st->certs[st->cslots[slot] - 1];
	if (!certs_reserve(st) || (c = calloc(1, sizeof *c + der.n)) == NULL)
		return NULL;
	if (der.n)
		memcpy(c + 1, der.p, der.n);
	c->der = (const uint8_t *)(c + 1);
	c->der_len = der.n;
	return cert_publish(st, c, sha, NULL, der.n);
}

/* Bytes a new chain costs: its block, and each certificate not stored yet. */
static bool chain_cost(const struct cs_chain_store *st, const struct cs_slice *certs, size_t n,
		       uint8_t (*sha)[CS_SHA256_LEN], size_t *cost)
{
	*cost = 0;
	if (!add_cost(cost, sizeof(struct cs_chain)) ||
	    n > (SIZE_MAX - *cost) / sizeof(struct cs_cert *) ||
	    !add_cost(cost, n * sizeof(struct cs_cert *)))
		return false;
	for (size_t i = 0; i < n; i++) {
		bool again = false;

		for (size_t k = 0; k < i && !again; k++)
			again = memcmp(sha[k], sha[i], CS_SHA256_LEN) == 0; /* stored once */
		if (!again && st->cslots[cert_slot(st, sha[i])] == 0 &&
		    (!add_cost(cost, sizeof(struct cs_cert)) || !add_cost(cost, certs[i].n)))
			return false;
	}
	return true;
}

/* A chain of n certificates, with room for their pointers after it. */
static struct cs_chain *chain_alloc(size_t n)
{
	struct cs_chain *c = calloc(1, sizeof *c + n * sizeof *c->certs);

	if (c != NULL)
		c->certs = (struct cs_cert **)(c + 1);
	return c;
}

/* Store c, its certificates interned, as the next chain id in slot of the
 * table of chains, charged to the store. */
static const struct cs_chain *chain_publish(struct cs_chain_store *st, struct cs_chain *c,
					    const uint8_t sha[CS_SHA256_LEN], size_t n, size_t slot)
{
	memcpy(c->sha256, sha, CS_SHA256_LEN);
	c->n_certs = n;
	c->id = (uint32_t)st->count;
	st->used += sizeof *c + n * sizeof *c->certs;
	st->chains[st->count++] = c;
	st->slots[slot] = c->id + 1;
	return c;
}

static enum cs_status chain_add(struct cs_chain_store *st, const struct cs_slice *certs, size_t n,
				const uint8_t sha[CS_SHA256_LEN], size_t slot,
				const struct cs_chain **out)
{
	uint8_t csha[CS_MAX_CHAIN_CERTS][CS_SHA256_LEN];
	size_t cost, der_bytes = 0;
	struct cs_chain *c;

	if (n > CS_MAX_CHAIN_CERTS || st->count >= st->max_chains)
		return CS_LIMIT;
	for (size_t i = 0; i < n; i++) {
		if (!digest(st->md, st->sha256, &certs[i], 1, csha[i]))
			return CS_NOMEM;
		der_bytes += certs[i].n;
	}
	/* Caps before any allocation: a flood of distinct chains past the cap
	 * costs hashes only. */
	if (!chain_cost(st, certs, n, csha, &cost) || cost > st->memcap ||
	    st->used > st->memcap - cost)
		return CS_LIMIT;
	if ((c = chain_alloc(n)) == NULL)
		return CS_NOMEM;
	for (size_t i = 0; i < n; i++)
		if ((c->certs[i] = cert_intern(st, csha[i], certs[i])) == NULL) {
			free(c); /* certificates already stored stay, charged */
			return CS_NOMEM;
		}
	c->der_bytes = der_bytes;
	*out = chain_publish(st, c, sha, n, slot);
	return CS_OK;
}

static enum cs_status intern(struct cs_chain_store *st, const struct cs_slice *certs, size_t n,
			     const struct cs_chain **out, bool *added)
{
	size_t hint = hint_index(st, certs, n), slot;
	uint8_t sha[CS_SHA256_LEN];
	enum cs_status rc;

	*out = NULL;
	*added = false;
	if (st->hints[hint] != 0 && same_content(st->chains[st->hints[hint] - 1], certs, n)) {
		st->hint_hits++;
		*out = st->chains[st->hints[hint] - 1];
		return CS_OK;
	}
	if (!digest(st->md, st->sha256, certs, n, sha))
		return CS_NOMEM;
	slot = chain_slot(st, sha);
	if (st->slots[slot] != 0) {
		*out = st->chains[st->slots[slot] - 1];
		st->hints[hint] = st->slots[slot];
		return CS_OK;
	}
	rc = chain_add(st, certs, n, sha, slot, out);
	if (rc == CS_OK) {
		*added = true;
		st->hints[hint] = (*out)->id + 1;
	}
	return rc;
}

/* ---- chains known by their facts only (reports read back without DER) -------------- */

static char *dup_mem(const char *p, size_t n);

static size_t given_size(const struct cs_cert_given *f)
{
	return sizeof(struct cs_cert_facts) + strlen(f->subject) + strlen(f->issuer) +
	       strlen(f->serial_hex) + 3;
}

static struct cs_cert_facts *facts_copy(const struct cs_cert_given *f)
{
	struct cs_cert_facts *c = calloc(1, sizeof *c);

	if (c == NULL)
		return NULL;
	c->parsed = f->parsed;
	c->not_before = f->not_before;
	c->not_after = f->not_after;
	c->subject = dup_mem(f->subject, strlen(f->subject));
	c->issuer = dup_mem(f->issuer, strlen(f->issuer));
	c->serial_hex = dup_mem(f->serial_hex, strlen(f->serial_hex));
	if (!c->subject || !c->issuer || !c->serial_hex) {
		facts_free(c);
		return NULL;
	}
	return c;
}

/* The stored certificate with this SHA-256, or a new one without DER. */
static struct cs_cert *cert_intern_facts(struct cs_chain_store *st,
					 const uint8_t sha[CS_SHA256_LEN],
					 const struct cs_cert_given *f)
{
	size_t slot = cert_slot(st, sha);
	struct cs_cert_facts *copy;
	struct cs_cert *c;

	if (st->cslots[slot] != 0)
		return st->certs[st->cslots[slot] - 1];
	if (!certs_reserve(st) || (c = calloc(1, sizeof *c)) == NULL)
		return NULL;
	if ((copy = facts_copy(f)) == NULL) {
		free(c);
		return NULL;
	}
	return cert_publish(st, c, sha, copy, given_size(f));
}

static enum cs_status intern_facts(struct cs_chain_store *st, const uint8_t sha[CS_SHA256_LEN],
				   size_t n, const uint8_t (*cert_sha)[CS_SHA256_LEN],
				   const struct cs_cert_given *facts, const struct cs_chain **out)
{
	size_t slot = chain_slot(st, sha),
	       cost = sizeof(struct cs_chain) + n * sizeof(struct cs_cert *);
	struct cs_chain *c;

	*out = NULL;
	if (st->slots[slot] != 0) {
		*out = st->chains[st->slots[slot] - 1];
		return CS_OK;
	}
	if (n == 0 || n > CS_MAX_CHAIN_CERTS || st->count >= st->max_chains)
		return CS_LIMIT;
	for (size_t i = 0; i < n; i++)
		if (st->cslots[cert_slot(st, cert_sha[i])] == 0)
			cost += sizeof(struct cs_cert) + given_size(&facts[i]);
	if (cost > st->memcap || st->used > st->memcap - cost)
		return CS_LIMIT;
	if ((c = chain_alloc(n)) == NULL)
		return CS_NOMEM;
	for (size_t i = 0; i < n; i++)
		if ((c->certs[i] = cert_intern_facts(st, cert_sha[i], &facts[i])) == NULL) {
			free(c);
			return CS_NOMEM;
		}
	*out = chain_publish(st, c, sha, n, slot);
	return CS_OK;
}

/* ---- facts, parsed on first use ------------------------------------------------ */

static char *dup_mem(const char *p, size_t n)
{
	char *s = malloc(n + 1);

	if (s != NULL) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/* Take what was written to the memory BIO as a string, and empty it. */
static char *bio_take(BIO *bio)
{
	char *p = NULL;
	long n = BIO_get_mem_data(bio, &p);
	char *s = dup_mem(p ? p : "", n > 0 ? (size_t)n : 0);

	(void)BIO_reset(bio);
	return s;
}

static char *name_string(BIO *bio, const X509_NAME *name)
{
	/* Should the readable form fail (libcrypto 3.0 already rejects invalid
	 * UTF8Strings in d2i), dump every value as #hex DER (still RFC 4514). */
	if (X509_NAME_print_ex(bio, name, 0, CHAIN_NAME_FLAGS) < 0) {
		(void)BIO_reset(bio);
		if (X509_NAME_print_ex(bio, name, 0, CHAIN_NAME_FLAGS | ASN1_STRFLGS_DUMP_ALL) < 0)
			(void)BIO_reset(bio);
	}
	return bio_take(bio);
}

static char *serial_string(const X509 *x)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	char *s = hex ? dup_mem(hex, strlen(hex)) : NULL;

	for (char *q = s; q && *q; q++)
		if (*q >= 'A' && *q <= 'F')
			*q = (char)(*q - 'A' + 'a');
	OPENSSL_free(hex);
	BN_free(bn);
	return s;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar
 * (H. Hinnant, "chrono-compatible low-level date algorithms"); no time_t,
 * so years past 2038 and before 1970 work everywhere. */
static int64_t days_from_civil(int64_t y, int64_t m, int64_t d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/* UTCTime or GeneralizedTime to seconds since the epoch. */
static bool time_epoch(const ASN1_TIME *t, int64_t *out)
{
	struct tm tm;

	if (t == NULL || !ASN1_TIME_to_tm(t, &tm))
		return false;
	*out = days_from_civil(tm.tm_year + 1900LL, tm.tm_mon + 1LL, tm.tm_mday) * 86400 +
	       tm.tm_hour * 3600LL + tm.tm_min * 60LL + tm.tm_sec;
	return true;
}

/* The dNSNames of x's subjectAltName into f (cs_chain.h); false only when
 * memory ran out. */
static bool san_dns(X509 *x, struct cs_cert_facts *f)
{
	GENERAL_NAMES *san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	size_t bytes = 0, o = 0;
	bool ok = true;

	for (int i = 0; san && i < sk_GENERAL_NAME_num(san); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
		int n = g->type == GEN_DNS ? ASN1_STRING_length(g->d.dNSName) : -1;

		if (n < 0)
			continue;
		f->dns_total++;
		if (f->n_dns < CS_CERT_MAX_SAN_DNS && n <= (int)CS_MAX_SNI)
			f->n_dns++, bytes += (size_t)n;
	}
	if (f->n_dns) {
		f->dns_len = calloc(f->n_dns, sizeof(*f->dns_len));
		f->dns = malloc(bytes ? bytes : 1);
		ok = f->dns_len && f->dns;
	}
	for (int i = 0, k = 0; ok && san && i < sk_GENERAL_NAME_num(san) && k < (int)f->n_dns;
	     i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
		int n = g->type == GEN_DNS ? ASN1_STRING_length(g->d.dNSName) : -1;

		if (n < 0 || n > (int)CS_MAX_SNI)
			continue;
		memcpy(f->dns + o, ASN1_STRING_get0_data(g->d.dNSName), (size_t)n);
		f->dns_len[k++] = (uint16_t)n;
		o += (size_t)n;
	}
	GENERAL_NAMES_free(san);
	ERR_clear_error(); /* a malformed extension is data: no names */
	return ok;
}

/* Facts from x, parsed from der (NULL: libcrypto refused it); NULL only
 * when memory ran out. */
static struct cs_cert_facts *facts_of(X509 *x, const uint8_t *der, const uint8_t *end)
{
	struct cs_cert_facts *f = calloc(1, sizeof *f);
	BIO *bio = BIO_new(BIO_s_mem());

	if (f == NULL || bio == NULL)
		goto fail;
	if (x != NULL && der == end && time_epoch(X509_get0_notBefore(x), &f->not_before) &&
	    time_epoch(X509_get0_notAfter(x), &f->not_after)) {
		f->parsed = true;
		f->subject = name_string(bio, X509_get_subject_name(x));
		f->issuer = name_string(bio, X509_get_issuer_name(x));
		f->serial_hex = serial_string(x);
		if (!san_dns(x, f))
			goto fail;
	} else {
		ERR_clear_error(); /* the rejection is data, not an error to leak */
		f->not_before = f->not_after = 0;
		f->subject = dup_mem("", 0);
		f->issuer = dup_mem("", 0);
		f->serial_hex = dup_mem("", 0);
	}
	if (!f->subject || !f->issuer || !f->serial_hex)
		goto fail;
	BIO_free(bio);
	return f;
fail:
	BIO_free(bio);
	facts_free(f);
	return NULL;
}

static struct cs_cert_facts *facts_parse(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x = len <= LONG_MAX ? d2i_X509(NULL, &p, (long)len) : NULL;
	struct cs_cert_facts *f = facts_of(x, p, der + len);

	X509_free(x);
	return f;
}

static const struct cs_cert_facts no_facts = {
	.parsed = false,
	.subject = "",
	.issuer = "",
	.serial_hex = "",
};

/* Keep f as c's facts unless another thread was first. */
static const struct cs_cert_facts *facts_publish(struct cs_cert *c, struct cs_cert_facts *f)
{
	struct cs_cert_facts *expected = NULL;

	if (f == NULL)
		return &no_facts;
	if (!atomic_compare_exchange_strong_explicit(&c->facts, &expected, f, memory_order_acq_rel,
						     memory_order_acquire)) {
		facts_free(f);
		return expected;
	}
	return f;
}

const struct cs_cert_facts *cert_facts(struct cs_cert *c)
{
	struct cs_cert_facts *f = atomic_load_explicit(&c->facts, memory_order_acquire);

	return f ? f : facts_publish(c, facts_parse(c->der, c->der_len));
}

void cert_preparse(struct cs_cert *c)
{
	const unsigned char *p = c->der;
	X509 *x, *expected = NULL;

	if (atomic_load_explicit(&c->facts, memory_order_acquire) ||
	    atomic_load_explicit(&c->parsed, memory_order_acquire) || c->der_len > LONG_MAX)
		return; /* analysed before, or parsed already */
	x = d2i_X509(NULL, &p, (long)c->der_len);
	ERR_clear_error();
	if (x && (p != c->der + c->der_len ||
		  !atomic_compare_exchange_strong_explicit(
			  &c->parsed, &expected, x, memory_order_acq_rel, memory_order_acquire)))
		X509_free(x);
}

struct x509_st *cert_take_parsed(struct cs_cert *c)
{
	return atomic_exchange_explicit(&c->parsed, NULL, memory_order_acq_rel);
}

const struct cs_cert_facts *cert_facts_from(struct cs_cert *c, struct x509_st *x)
{
	struct cs_cert_facts *f = atomic_load_explicit(&c->facts, memory_order_acquire);

	return f ? f : facts_publish(c, facts_of(x, c->der + c->der_len, c->der + c->der_len));
}

/* ---- PEM dump -------------------------------------------------------------- */

/* Every entry is written from its DER exactly as sent, parsed or not. */
static bool chain_write_pem(const struct cs_chain *c, FILE *f)
{
	for (size_t i = 0; i < c->n_certs; i++) {
		const struct cs_cert *ci = c->certs[i];

		if (ci->der == NULL || ci->der_len > LONG_MAX ||
		    !PEM_write(f, PEM_STRING_X509, "", ci->der, (long)ci->der_len))
			return false;
	}
	return true;
}

static bool fill_pem(FILE *f, void *ctx)
{
	const struct cs_chain *const *c = ctx;

	return chain_write_pem(*c, f);
}

/* Written with atomic_write, so a reader never sees a partial file (and
 * it is on disk when the run ends); a racing identical copy is replaced,
 * a symlink planted at the final name is replaced, never followed. */
enum cs_status chain_dump_pem(const struct cs_chain *c, const char *dir)
{
	char hex[2 * CS_SHA256_LEN + 1], path[PATH_MAX];
	struct stat sb;
	int err;

	if (dir[0] == '\0')
		dir = "."; /* not "/<hex>.pem" */
	hex_lower(c->sha256, CS_SHA256_LEN, hex);
	if (snprintf(path, sizeof path, "%s/%s.pem", dir, hex) >= (int)sizeof path) {
		errno = ENAMETOOLONG;
		return CS_IO;
	}
	if (lstat(path, &sb) == 0)
		return CS_OK;
	if (atomic_write(AT_FDCWD, path, 0644, fill_pem, &c, NULL, 0) != CS_OK) {
		err = errno;
		ERR_clear_error();
		errno = err;
		return CS_IO;
	}
	return CS_OK;
}

enum cs_status chain_store_intern(struct cs_chain_store *st, const struct cs_slice *certs, size_t n,
				  const struct cs_chain **out, bool *added)
{
	enum cs_status rc;

	pthread_mutex_lock(st->mu);
	rc = intern(st, certs, n, out, added);
	pthread_mutex_unlock(st->mu);
	return rc;
}

enum cs_status chain_store_intern_facts(struct cs_chain_store *st, const uint8_t sha[CS_SHA256_LEN],
					size_t n, const uint8_t (*cert_sha)[CS_SHA256_LEN],
					const struct cs_cert_given *facts,
					const struct cs_chain **out)
{
	enum cs_status rc;

	pthread_mutex_lock(st->mu);
	rc = intern_facts(st, sha, n, cert_sha, facts, out);
	pthread_mutex_unlock(st->mu);
	return rc;
}
