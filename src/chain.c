/*
 * chain.c - the store of distinct certificate chains (cs_chain.h).
 * Owns one block per chain (struct, cert facts, DER copy), the strings
 * parsed from it, and an open-addressing table keyed by the chain SHA-256.
 * Policy: hash the borrowed slices first; a known chain costs one lookup.
 * A new one is checked against max_chains and memcap before anything is
 * allocated, then copied and parsed by libcrypto exactly once.  An entry
 * libcrypto rejects (or that has trailing bytes) is kept, hashed and dumped
 * as sent, with parsed=false.  OpenSSL objects never leave this file; each
 * function frees its own at a single exit label.
 */
#include "cs_chain.h"
#include "cs_atomicfile.h"
#include "cs_codec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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

/* RFC 2253 as OpenSSL prints it, but UTF-8 kept as UTF-8: escaping for
 * output is escape.c's job, and \XX escapes would hide what was sent. */
#define CHAIN_NAME_FLAGS (XN_FLAG_RFC2253 & ~(unsigned long)ASN1_STRFLGS_ESC_MSB)

struct cs_chain_store {
	struct cs_chain **chains; /* by id, max_chains long */
	uint32_t *slots;          /* id + 1; 0 = empty; load <= 1/2 */
	size_t mask;
	size_t count, max_chains;
	size_t used, memcap;      /* bytes charged, see chain_cost() */
	EVP_MD *sha256;           /* fetched once */
	EVP_MD_CTX *md;           /* reused for every digest */
};

/* The cert facts follow the chain struct in one block, then the DER. */
_Static_assert(sizeof(struct cs_chain) % _Alignof(struct cs_cert_info) == 0,
	       "cs_cert_info array must be aligned after struct cs_chain");

static bool digest(EVP_MD_CTX *ctx, const EVP_MD *md, const struct cs_slice *s,
		   size_t n, uint8_t out[CS_SHA256_LEN])
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
	st->sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	st->md = EVP_MD_CTX_new();
	st->mask = nslots - 1;
	st->max_chains = max_chains;
	st->memcap = memcap;
	/* Initialising the context now allocates libcrypto's digest state, so
	 * that no intern call refused by a cap ever allocates. */
	if (st->chains == NULL || st->slots == NULL || st->sha256 == NULL || st->md == NULL ||
	    !EVP_DigestInit_ex2(st->md, st->sha256, NULL)) {
		chain_store_free(st);
		return NULL;
	}
	return st;
}

static void chain_destroy(struct cs_chain *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n_certs; i++) {
		free(c->certs[i].subject);
		free(c->certs[i].issuer);
		free(c->certs[i].serial_hex);
	}
	free(c);
}

void chain_store_free(struct cs_chain_store *st)
{
	if (st == NULL)
		return;
	for (size_t i = 0; i < st->count; i++)
		chain_destroy(st->chains[i]);
	free(st->chains);
	free(st->slots);
	EVP_MD_CTX_free(st->md);
	EVP_MD_free(st->sha256);
	free(st);
}

size_t chain_store_count(const struct cs_chain_store *st)
{
	return st->count;
}

const struct cs_chain *chain_store_get(const struct cs_chain_store *st, uint32_t id)
{
	return id < st->count ? st->chains[id] : NULL;
}

/* The SHA-256 is already uniform: its first bytes are the table index. */
static size_t slot_of(const struct cs_chain_store *st, const uint8_t sha[CS_SHA256_LEN])
{
	size_t h = 0;

	for (size_t i = 0; i < sizeof h; i++)
		h = h << 8 | sha[i];
	h &= st->mask;
	while (st->slots[h] != 0 &&
	       memcmp(st->chains[st->slots[h] - 1]->sha256, sha, CS_SHA256_LEN) != 0)
		h = (h + 1) & st->mask;
	return h;
}

/* Bytes of the single block holding a chain of n entries and der_bytes of
 * DER; false on overflow.  Strings are charged once parsed (see below). */
static bool chain_cost(size_t n, size_t der_bytes, size_t *cost)
{
	size_t fixed = sizeof(struct cs_chain);

	if (n > (SIZE_MAX - fixed) / sizeof(struct cs_cert_info))
		return false;
	fixed += n * sizeof(struct cs_cert_info);
	if (der_bytes > SIZE_MAX - fixed)
		return false;
	*cost = fixed + der_bytes;
	return true;
}

/* ---- parsing one certificate ------------------------------------------- */

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

/* Empty facts for an entry libcrypto could not parse. */
static bool cert_unparsed(struct cs_cert_info *ci)
{
	ci->parsed = false;
	ci->subject = dup_mem("", 0);
	ci->issuer = dup_mem("", 0);
	ci->serial_hex = dup_mem("", 0);
	ci->not_before = ci->not_after = 0;
	return ci->subject && ci->issuer && ci->serial_hex;
}

/* Fill ci from its DER (der, der_len, sha256 already set).  false only
 * when memory ran out; unparseable input is a finding, not a failure. */
static bool cert_parse(struct cs_cert_info *ci, BIO *bio)
{
	const unsigned char *p = ci->der;
	X509 *x = NULL;
	bool ok;

	if (ci->der_len <= LONG_MAX)
		x = d2i_X509(NULL, &p, (long)ci->der_len);
	if (x == NULL || p != ci->der + ci->der_len ||
	    !time_epoch(X509_get0_notBefore(x), &ci->not_before) ||
	    !time_epoch(X509_get0_notAfter(x), &ci->not_after)) {
		ERR_clear_error(); /* the rejection is data, not an error to leak */
		ok = cert_unparsed(ci);
		goto out;
	}
	ci->parsed = true;
	ci->subject = name_string(bio, X509_get_subject_name(x));
	ci->issuer = name_string(bio, X509_get_issuer_name(x));
	ci->serial_hex = serial_string(x);
	ok = ci->subject && ci->issuer && ci->serial_hex;
out:
	X509_free(x);
	return ok;
}

/* The parsed strings, charged to the memcap once known: they are bounded
 * by a small multiple of the names' DER, which the cap already counted. */
static size_t chain_string_bytes(const struct cs_chain *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->n_certs; i++) {
		const struct cs_cert_info *ci = &c->certs[i];

		n += strlen(ci->subject) + strlen(ci->issuer) + strlen(ci->serial_hex) + 3;
	}
	return n;
}

/* Copy and parse a new chain into one block; NULL when memory ran out. */
static struct cs_chain *chain_build(struct cs_chain_store *st, const struct cs_slice *certs,
				    size_t n, size_t cost, size_t der_bytes)
{
	struct cs_chain *c = calloc(1, cost);
	BIO *bio = BIO_new(BIO_s_mem());
	uint8_t *der;
	bool ok = c != NULL && bio != NULL;

	if (!ok)
		goto out;
	c->certs = (struct cs_cert_info *)(c + 1);
	c->der_bytes = der_bytes;
	der = (uint8_t *)(c->certs + n);
	for (size_t i = 0; i < n && ok; i++) {
		struct cs_cert_info *ci = &c->certs[i];

		if (certs[i].n > 0)
			memcpy(der, certs[i].p, certs[i].n);
		ci->der = der;
		ci->der_len = certs[i].n;
		der += certs[i].n;
		c->n_certs = i + 1; /* chain_destroy frees what was filled */
		ok = digest(st->md, st->sha256, &certs[i], 1, ci->sha256) && cert_parse(ci, bio);
	}
out:
	BIO_free(bio);
	if (!ok) {
		chain_destroy(c);
		return NULL;
	}
	return c;
}

enum cs_status chain_store_intern(struct cs_chain_store *st,
				  const struct cs_slice *certs, size_t n,
				  const struct cs_chain **out, bool *added)
{
	uint8_t sha[CS_SHA256_LEN];
	size_t slot, der_bytes = 0, cost;
	struct cs_chain *c;

	*out = NULL;
	*added = false;
	if (!digest(st->md, st->sha256, certs, n, sha))
		return CS_NOMEM;
	slot = slot_of(st, sha);
	if (st->slots[slot] != 0) {
		*out = st->chains[st->slots[slot] - 1];
		return CS_OK;
	}
	for (size_t i = 0; i < n; i++) {
		if (certs[i].n > SIZE_MAX - der_bytes)
			return CS_LIMIT;
		der_bytes += certs[i].n;
	}
	/* Caps before any allocation or parsing: a flood of distinct chains
	 * past the cap costs a hash each, never libcrypto. */
	if (st->count >= st->max_chains || !chain_cost(n, der_bytes, &cost) ||
	    cost > st->memcap || st->used > st->memcap - cost)
		return CS_LIMIT;
	c = chain_build(st, certs, n, cost, der_bytes);
	if (c == NULL)
		return CS_NOMEM;
	st->used += cost + chain_string_bytes(c);
	memcpy(c->sha256, sha, CS_SHA256_LEN);
	c->id = (uint32_t)st->count;
	st->chains[st->count++] = c;
	st->slots[slot] = c->id + 1;
	*out = c;
	*added = true;
	return CS_OK;
}

/* ---- PEM dump -------------------------------------------------------------- */

/* Every entry is written from its DER exactly as sent, parsed or not. */
static bool chain_write_pem(const struct cs_chain *c, FILE *f)
{
	for (size_t i = 0; i < c->n_certs; i++) {
		const struct cs_cert_info *ci = &c->certs[i];

		if (ci->der_len > LONG_MAX ||
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
