/*
 * certcache.c - parsed certificates and remembered signature checks
 * (cs_certcache.h).
 * Owns the X509 objects it parsed (bounded LRU, trimmed between analyses
 * so that nothing an analysis holds disappears under it) and the memo.
 * The key of a memo entry is the SHA-256 of the whole SubjectPublicKeyInfo,
 * algorithm parameters included: an explicit-parameter key that shares a
 * trusted key's point (CVE-2020-0601) is another key here.
 */
#include "cs_certcache.h"
#include "cs_hash.h"
#include "cs_ilist.h"
#include "cs_vec.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#define MEMO_WAYS 8
#define NONE UINT32_MAX
#define PAGE_BITS 8 /* entries come in pages that never move: callers hold pointers */

struct entry {
	struct cs_x509 id; /* id.x NULL: the DER does not parse */
	uint32_t cert_id;
	struct ilist_link lru; /* most recent first; lru.next also links the free list */
};

struct memo_way {
	uint8_t key[2 * 16]; /* 16 bytes of each SHA-256: 128-bit collision resistance */
	uint32_t stamp;      /* 0: empty */
	bool ok;
};

struct certcache {
	struct entry **pages;
	uint32_t ne, npages, free_head;
	struct ilist lru;
	uint32_t live;
	uint32_t *by_cert; /* cert id -> entry index + 1 */
	size_t nby_cert;
	size_t max_x509;
	struct memo_way *memo; /* nsets * MEMO_WAYS */
	size_t set_mask;
	uint32_t clock;
	uint8_t key[CS_HASH_KEY_LEN];
	struct certcache_stats st;
};

struct certcache *certcache_new(size_t max_x509, size_t memo_entries)
{
	struct certcache *cc = calloc(1, sizeof(*cc));
	size_t sets = 1;

	if (!cc)
		return NULL;
	while (sets * MEMO_WAYS < memo_entries)
		sets *= 2;
	cc->memo = calloc(sets * MEMO_WAYS, sizeof(*cc->memo));
	cc->set_mask = sets - 1;
	cc->max_x509 = max_x509 ? max_x509 : 1;
	cc->free_head = NONE;
	ilist_init(&cc->lru);
	cs_hash_seed(cc->key);
	if (!cc->memo) {
		certcache_free(cc);
		return NULL;
	}
	return cc;
}

static struct entry *E(const struct certcache *cc, uint32_t i)
{
	return &cc->pages[i >> PAGE_BITS][i & ((1u << PAGE_BITS) - 1)];
}

void certcache_free(struct certcache *cc)
{
	if (!cc)
		return;
	for (uint32_t i = cc->lru.head; i != NONE; i = E(cc, i)->lru.next)
		X509_free(E(cc, i)->id.x);
	for (uint32_t p = 0; p < cc->npages; p++)
		free(cc->pages[p]);
	free(cc->pages);
	free(cc->by_cert);
	free(cc->memo);
	free(cc);
}

const struct certcache_stats *certcache_stats(const struct certcache *cc) { return &cc->st; }

/* ---- identities ---------------------------------------------------------- */

/* Microseconds to verify one signature (openssl speed, OpenSSL 3.0). */
static uint32_t verify_cost(EVP_PKEY *k)
{
	int bits = EVP_PKEY_get_bits(k);

	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
	case EVP_PKEY_RSA_PSS:
		return bits <= 2048 ? 20 : bits <= 3072 ? 40 : bits <= 4096 ? 76 : 1000;
	case EVP_PKEY_EC:
		return bits <= 256 ? 81 : 700;
	case EVP_PKEY_ED25519:
		return 110;
	default:
		return 700;
	}
}

bool x509_identify(X509 *x, struct cs_x509 *id)
{
	unsigned char *spki = NULL;
	unsigned int n = 0;
	EVP_PKEY *k;
	int len;

	memset(id, 0, sizeof(*id));
	id->x = x;
	if (X509_digest(x, EVP_sha256(), id->sha256, &n) != 1 || n != CS_SHA256_LEN)
		return false;
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
	if (len > 0) {
		n = 0;
		if (EVP_Digest(spki, (size_t)len, id->spki, &n, EVP_sha256(), NULL) != 1)
			len = -1;
		OPENSSL_free(spki);
	}
	k = X509_get0_pubkey(x);
	id->has_key = k != NULL && len > 0;
	id->verify_cost = k ? verify_cost(k) : 0;
	ERR_clear_error();
	return true;
}

/* ---- parsed certificates ------------------------------------------------- */

static inline struct ilist_link *lru_link(void *cc, uint32_t i)
{
	return &E((struct certcache *)cc, i)->lru;
}

static void lru_unlink(struct certcache *cc, uint32_t i)
{
	ilist_unlink(&cc->lru, i, lru_link, cc);
}

static void lru_push_front(struct certcache *cc, uint32_t i)
{
	ilist_push_head(&cc->lru, i, lru_link, cc);
}

static bool by_cert_reserve(struct certcache *cc, uint32_t cert_id)
{
	return vec_cover(&cc->by_cert, &cc->nby_cert, cert_id, sizeof(*cc->by_cert), 256) == CS_OK;
}

static uint32_t entry_alloc(struct certcache *cc)
{
	uint32_t i = cc->free_head;

	if (i != NONE) {
		cc->free_head = E(cc, i)->lru.next;
		return i;
	}
	if ((cc->ne >> PAGE_BITS) == cc->npages) {
		struct entry **np = realloc(cc->pages, (cc->npages + 1) * sizeof(*np));

		if (!np)
			return NONE;
		cc->pages = np;
		if (!(np[cc->npages] = calloc(1u << PAGE_BITS, sizeof(**np))))
			return NONE;
		cc->npages++;
	}
	return cc->ne++;
}

/* The DER as one X509, or NULL (also when bytes follow the certificate);
 * parsed ahead by the reader of a file when it could. */
static X509 *parse_der(struct cs_cert *c)
{
	const unsigned char *p = c->der;
	X509 *x = cert_take_parsed(c);

	if (x)
		return x;
	x = c->der_len <= LONG_MAX ? d2i_X509(NULL, &p, (long)c->der_len) : NULL;

	if (x && p != c->der + c->der_len) {
		X509_free(x);
		x = NULL;
	}
	ERR_clear_error();
	return x;
}

const struct cs_x509 *certcache_get(struct certcache *cc, struct cs_cert *c)
{
	struct entry *e;
	uint32_t i;
	X509 *x;

	if (!by_cert_reserve(cc, c->id))
		return NULL;
	if (cc->by_cert[c->id] != 0) {
		i = cc->by_cert[c->id] - 1;
		lru_unlink(cc, i);
		lru_push_front(cc, i);
		return E(cc, i)->id.x ? &E(cc, i)->id : NULL;
	}
	if ((i = entry_alloc(cc)) == NONE)
		return NULL;
	e = E(cc, i);
	x = parse_der(c);
	cc->st.parsed += x != NULL;
	if (!x || !x509_identify(x, &e->id)) {
		X509_free(x);
		memset(&e->id, 0, sizeof(e->id)); /* remembered as unparseable */
	}
	memcpy(e->id.sha256, c->sha256, CS_SHA256_LEN);
	e->cert_id = c->id;
	cc->by_cert[c->id] = i + 1;
	lru_push_front(cc, i);
	cc->live++;
	return e->id.x ? &e->id : NULL;
}

void certcache_trim(struct certcache *cc)
{
	while (cc->live > cc->max_x509 && cc->lru.tail != NONE) {
		uint32_t i = cc->lru.tail;
		struct entry *e = E(cc, i);

		lru_unlink(cc, i);
		X509_free(e->id.x);
		e->id.x = NULL;
		cc->by_cert[e->cert_id] = 0;
		e->lru.next = cc->free_head;
		cc->free_head = i;
		cc->live--;
		cc->st.x509_evicted++;
	}
}

/* ---- the signature memo ---------------------------------------------------- */

static struct memo_way *memo_set(struct certcache *cc, const uint8_t key[CS_SHA256_LEN])
{
	return &cc->memo[(cs_hash(key, CS_SHA256_LEN, cc->key) & cc->set_mask) * MEMO_WAYS];
}

bool certcache_signed_by(struct certcache *cc, const struct cs_x509 *sub,
			 const struct cs_x509 *issuer, bool *verified, uint64_t *cost)
{
	uint8_t key[CS_SHA256_LEN];
	struct memo_way *set, *victim;
	EVP_PKEY *k;
	bool ok;

	*verified = false;
	cc->st.checks++;
	if (!issuer->has_key)
		return false;
	memcpy(key, sub->sha256, 16);
	memcpy(key + 16, issuer->spki, 16);
	set = memo_set(cc, key);
	victim = &set[0];
	for (int w = 0; w < MEMO_WAYS; w++) {
		if (set[w].stamp && memcmp(set[w].key, key, sizeof(key)) == 0) {
			set[w].stamp = ++cc->clock ? cc->clock : (cc->clock = 1);
			return set[w].ok;
		}
		if (set[w].stamp < victim->stamp)
			victim = &set[w];
	}
	k = X509_get0_pubkey(issuer->x);
	ok = k && X509_verify(sub->x, k) == 1;
	ERR_clear_error();
	*verified = true;
	*cost += issuer->verify_cost;
	cc->st.verifications++;
	cc->st.verify_cost += issuer->verify_cost;
	cc->st.memo_evicted += victim->stamp != 0;
	memcpy(victim->key, key, sizeof(key));
	victim->ok = ok;
	victim->stamp = ++cc->clock ? cc->clock : (cc->clock = 1);
	return ok;
}
