/*
 * test_certcache.c - parsed certificates and the signature memo
 * (cs_certcache.h): one parsed object per certificate, unparseable DER
 * remembered, identities (SHA-256 of the DER and of the key), the memo
 * keyed by (certificate, issuer key) with explicit curve parameters as
 * another key, LRU trimming and memo eviction, all counted.
 * Certificates: the lab PKI (pcaps/lab/pki, CERTS.txt) and a few made in
 * memory (testpki.h).  Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cs_certcache.h"
#include "testpki.h"

/* SHA-256 of the DER (CERTS.txt) */
#define SHA_INT1 "0d9c3b4bf4c17d0c86fb3b3075033728422fde80bd65fd8b0621d17feb1af37a"

/* The cost the header promises per key (cs_certcache.h). */
#define COST_RSA2048 20u
#define COST_P256 81u

static const uint8_t garbage[] = "this is not a certificate";

struct env {
	struct cs_chain_store *st;
	struct certcache *cc;
};

static struct env env_new(size_t max_x509, size_t memo)
{
	struct env e = {chain_store_new(1024, CS_CHAIN_MEMCAP), certcache_new(max_x509, memo)};

	assert_non_null(e.st);
	assert_non_null(e.cc);
	return e;
}

static void env_free(struct env *e)
{
	certcache_free(e->cc);
	chain_store_free(e->st);
}

/* The fixture of most tests: an env of 16 parsed certificates and a memo
 * of 64, freed by env_teardown even when the test fails. */
static int env_setup(void **state)
{
	struct env *e = malloc(sizeof(*e));

	if (!e)
		return -1;
	*e = env_new(16, 64);
	*state = e;
	return 0;
}

static int env_teardown(void **state)
{
	env_free(*state);
	free(*state);
	return 0;
}

/* The store's certificate for x. */
static struct cs_cert *cert_of(struct env *e, X509 *x) { return tp_intern(e->st, &x, 1)->certs[0]; }

static struct cs_cert *pem_cert(struct env *e, const char *name)
{
	X509 *x = tp_pem(name);
	struct cs_cert *c = cert_of(e, x);

	X509_free(x);
	return c;
}

static struct cs_cert *raw_cert(struct env *e, const uint8_t *p, size_t n)
{
	struct cs_slice s = {p, n};
	const struct cs_chain *c;
	bool added;

	assert_int_equal(chain_store_intern(e->st, &s, 1, &c, &added), CS_OK);
	return c->certs[0];
}

/* Whether a call of certcache_signed_by verified a signature itself, or
 * not (the memo answered, or the issuer has no usable key). */
enum verify { NOT_VERIFIED, VERIFIED };

/* Whether sub is signed by iss; fails unless the call verified as told. */
static bool signed_by(struct env *e, const struct cs_x509 *sub, const struct cs_x509 *iss,
		      enum verify want, uint64_t *cost)
{
	bool verified = want != VERIFIED; /* the opposite: it must be written */
	bool answer = certcache_signed_by(e->cc, sub, iss, &verified, cost);

	if (verified != (want == VERIFIED))
		fail_msg("verified is %d, expected %d", verified, want == VERIFIED);
	return answer;
}

static void expect_hex(const uint8_t *sha, const char *hex)
{
	char got[65];

	hex_lower(sha, 32, got);
	assert_string_equal(got, hex);
}

/* SHA-256 of the certificate's SubjectPublicKeyInfo, computed here. */
static void spki_sha(X509 *x, uint8_t out[32])
{
	unsigned char *der = NULL;
	int n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der);

	assert_true(n > 0);
	tp_sha256(der, (size_t)n, out);
	OPENSSL_free(der);
}

static void test_free_null(void **state)
{
	(void)state;
	certcache_free(NULL);
}

/* x509_identify: SHA-256 of the DER, of the key, and the key's cost. */
static void test_identify(void **state)
{
	(void)state;
	static const struct {
		const char *name;
		uint32_t cost;
	} certs[] = {{"one", COST_RSA2048},
		     {"int1", COST_RSA2048},
		     {"ec", COST_P256},
		     {"ecroot", COST_P256}};

	for (size_t i = 0; i < CS_ARRAY_LEN(certs); i++) {
		X509 *x = tp_pem(certs[i].name);
		struct cs_x509 id;
		uint8_t want[32], *der;
		size_t n;

		assert_true(x509_identify(x, &id));
		assert_ptr_equal(id.x, x);
		der = tp_der(x, &n);
		tp_sha256(der, n, want);
		assert_memory_equal(id.sha256, want, 32);
		spki_sha(x, want);
		assert_memory_equal(id.spki, want, 32);
		assert_true(id.has_key);
		assert_int_equal(id.verify_cost, certs[i].cost);
		free(der);
		X509_free(x);
	}
	{
		X509 *x = tp_pem("int1");
		struct cs_x509 id;

		assert_true(x509_identify(x, &id));
		expect_hex(id.sha256, SHA_INT1);
		X509_free(x);
	}
}

/* A P-384 key costs more than a P-256 one, RSA-3072 more than RSA-2048
 * (the order the budgets rely on). */
static void test_identify_costs(void **state)
{
	(void)state;
	EVP_PKEY *p384 = tp_ec_key("P-384"), *p256 = tp_ec_key("P-256");
	EVP_PKEY *rsa3072 = tp_rsa_key(3072);
	struct tp_spec s = {"cost.test", NULL, p384, p384, 1, false, NULL, 0, 0};
	struct cs_x509 a, b, c;
	X509 *x384, *x256, *x3072;

	x384 = tp_cert(&s);
	s.pub = s.signer = p256;
	x256 = tp_cert(&s);
	s.pub = s.signer = rsa3072;
	x3072 = tp_cert(&s);
	assert_true(x509_identify(x384, &a));
	assert_true(x509_identify(x256, &b));
	assert_true(x509_identify(x3072, &c));
	assert_int_equal(b.verify_cost, COST_P256);
	assert_true(a.verify_cost > b.verify_cost);
	assert_true(c.verify_cost > COST_RSA2048);
	print_message("  verify cost: P-256 %u, P-384 %u, RSA-3072 %u us\n", b.verify_cost,
		      a.verify_cost, c.verify_cost);
	X509_free(x384);
	X509_free(x256);
	X509_free(x3072);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(p256);
	EVP_PKEY_free(rsa3072);
}

/* One parsed object per certificate, whatever the number of asks. */
static void test_get_same_object(void **state)
{
	struct env *e = *state;
	struct cs_cert *one = pem_cert(e, "one"), *int1 = pem_cert(e, "int1");
	const struct cs_x509 *a = certcache_get(e->cc, one), *b;

	assert_non_null(a);
	assert_non_null(a->x);
	assert_memory_equal(a->sha256, one->sha256, 32);
	assert_true(a->has_key);
	b = certcache_get(e->cc, int1);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	assert_ptr_equal(certcache_get(e->cc, one), a);
	assert_ptr_equal(certcache_get(e->cc, int1), b);
	assert_int_equal(certcache_stats(e->cc)->parsed, 2);
	expect_hex(b->sha256, SHA_INT1);
}

/* Unparseable DER is NULL every time, and remembered: it holds a place in
 * the cache (trimmed like the others) instead of being parsed again. */
static void test_get_unparseable(void **state)
{
	(void)state;
	struct env e = env_new(1, 64);
	struct cs_cert *bad = raw_cert(&e, garbage, sizeof garbage);
	struct cs_cert *one = pem_cert(&e, "one");
	X509 *x = tp_pem("one");
	uint8_t *der, *longer;
	size_t n;
	struct cs_cert *trailing;

	assert_null(certcache_get(e.cc, bad));
	assert_null(certcache_get(e.cc, bad));
	assert_int_equal(certcache_stats(e.cc)->parsed, 0);
	/* a valid certificate followed by one more byte is not one */
	der = tp_der(x, &n);
	longer = malloc(n + 1);
	assert_non_null(longer);
	memcpy(longer, der, n);
	longer[n] = 0;
	trailing = raw_cert(&e, longer, n + 1);
	assert_null(certcache_get(e.cc, trailing));
	assert_non_null(certcache_get(e.cc, one));
	/* cap 1: the two remembered failures go, the most recent stays */
	certcache_trim(e.cc);
	assert_int_equal(certcache_stats(e.cc)->x509_evicted, 2);
	assert_null(certcache_get(e.cc, bad));
	certcache_trim(e.cc);
	assert_int_equal(certcache_stats(e.cc)->x509_evicted, 3);
	free(der);
	free(longer);
	X509_free(x);
	env_free(&e);
}

/* The signature memo: asked twice, verified once; a real issuer verifies,
 * another key does not, and that answer is remembered too. */
static void test_signed_by_memo(void **state)
{
	struct env *e = *state;
	const struct cs_x509 *one = certcache_get(e->cc, pem_cert(e, "one"));
	const struct cs_x509 *int1 = certcache_get(e->cc, pem_cert(e, "int1"));
	const struct cs_x509 *root = certcache_get(e->cc, pem_cert(e, "root"));
	const struct certcache_stats *s = certcache_stats(e->cc);
	uint64_t cost = 0;

	assert_non_null(one);
	assert_non_null(int1);
	assert_non_null(root);
	assert_true(signed_by(e, one, int1, VERIFIED, &cost));
	assert_int_equal(cost, int1->verify_cost);
	assert_int_equal(s->checks, 1);
	assert_int_equal(s->verifications, 1);
	assert_int_equal(s->verify_cost, int1->verify_cost);
	assert_true(signed_by(e, one, int1, NOT_VERIFIED, &cost));
	assert_int_equal(cost, int1->verify_cost); /* nothing added for a memo answer */
	assert_int_equal(s->checks, 2);
	assert_int_equal(s->verifications, 1);
	/* root did not sign the leaf */
	assert_false(signed_by(e, one, root, VERIFIED, &cost));
	assert_false(signed_by(e, one, root, NOT_VERIFIED, &cost));
	assert_int_equal(s->checks, 4);
	assert_int_equal(s->verifications, 2);
	/* root signed int1; int1 is not self-signed */
	assert_true(signed_by(e, int1, root, VERIFIED, &cost));
	assert_false(signed_by(e, int1, int1, VERIFIED, &cost));
	assert_true(signed_by(e, root, root, VERIFIED, &cost));
	assert_int_equal(s->verifications, 5);
	assert_int_equal(s->memo_evicted, 0);
	assert_int_equal(cost, 5 * COST_RSA2048);
}

/* The memo survives trimming: it is keyed by hashes, not by objects. */
static void test_memo_survives_trim(void **state)
{
	(void)state;
	struct env e = env_new(1, 64);
	struct cs_cert *onec = pem_cert(&e, "one"), *int1c = pem_cert(&e, "int1");
	const struct certcache_stats *s = certcache_stats(e.cc);
	uint64_t cost = 0;

	assert_true(signed_by(&e, certcache_get(e.cc, onec), certcache_get(e.cc, int1c), VERIFIED,
			      &cost));
	certcache_trim(e.cc);
	certcache_trim(e.cc);
	assert_int_equal(s->x509_evicted, 1);
	{
		const struct cs_x509 *one = certcache_get(e.cc, onec);
		const struct cs_x509 *int1 = certcache_get(e.cc, int1c);

		assert_true(signed_by(&e, one, int1, NOT_VERIFIED, &cost));
	}
	assert_int_equal(s->verifications, 1);
	assert_int_equal(s->parsed, 3); /* one of the two was parsed again */
	env_free(&e);
}

/*
 * Keys are told apart by their whole SubjectPublicKeyInfo: two P-256 keys
 * differ, and the same point with explicit curve parameters (CVE-2020-0601)
 * is another issuer key whose check is made, not taken from the memo.
 */
static void test_explicit_curve_is_another_key(void **state)
{
	EVP_PKEY *k = tp_ec_key("P-256"), *other = tp_ec_key("P-256");
	EVP_PKEY *kx = tp_explicit_copy(k);
	struct tp_spec ca = {"Unit CA", NULL, k, k, 1, true, NULL, 0, 0};
	struct tp_spec leaf = {"leaf.test", "Unit CA", other, k, 2, false, "leaf.test", 0, 0};
	X509 *named, *explicit, *sub, *unrelated;
	struct env *e = *state;
	const struct cs_x509 *xn, *xe, *xs, *xu;
	const struct certcache_stats *s = certcache_stats(e->cc);
	uint64_t cost = 0;

	named = tp_cert(&ca);
	ca.pub = kx;
	ca.serial = 3;
	explicit = tp_cert(&ca);
	sub = tp_cert(&leaf);
	ca.pub = ca.signer = other;
	ca.serial = 4;
	unrelated = tp_cert(&ca);
	xn = certcache_get(e->cc, cert_of(e, named));
	xe = certcache_get(e->cc, cert_of(e, explicit));
	xs = certcache_get(e->cc, cert_of(e, sub));
	xu = certcache_get(e->cc, cert_of(e, unrelated));
	assert_non_null(xn);
	assert_non_null(xe);
	assert_non_null(xs);
	assert_non_null(xu);
	assert_memory_not_equal(xn->spki, xe->spki, 32);
	assert_memory_not_equal(xn->spki, xu->spki, 32);
	assert_memory_not_equal(xs->spki, xn->spki, 32);
	assert_true(signed_by(e, xs, xn, VERIFIED, &cost));
	/* the explicit-parameter key: checked on its own */
	(void)signed_by(e, xs, xe, VERIFIED, &cost);
	assert_false(signed_by(e, xs, xu, VERIFIED, &cost));
	assert_int_equal(s->verifications, 3);
	/* and each answer is remembered under its own key */
	assert_true(signed_by(e, xs, xn, NOT_VERIFIED, &cost));
	assert_false(signed_by(e, xs, xu, NOT_VERIFIED, &cost));
	assert_int_equal(s->verifications, 3);
	X509_free(named);
	X509_free(explicit);
	X509_free(sub);
	X509_free(unrelated);
	EVP_PKEY_free(k);
	EVP_PKEY_free(kx);
	EVP_PKEY_free(other);
}

/* An issuer without a usable key verifies nothing, and costs nothing. */
static void test_signed_by_without_key(void **state)
{
	struct env *e = *state;
	const struct cs_x509 *one = certcache_get(e->cc, pem_cert(e, "one"));
	struct cs_x509 nokey = *certcache_get(e->cc, pem_cert(e, "int1"));
	uint64_t cost = 0;

	nokey.has_key = false;
	assert_false(signed_by(e, one, &nokey, NOT_VERIFIED, &cost));
	assert_int_equal(cost, 0);
	assert_int_equal(certcache_stats(e->cc)->checks, 1);
	assert_int_equal(certcache_stats(e->cc)->verifications, 0);
}

/* Certificates made in memory: n leaves under one CA key. */
struct batch {
	EVP_PKEY *ca_key, *leaf_key;
	X509 *ca;
	X509 *leaf[64];
	size_t n;
};

static void batch_make(struct batch *b, size_t n)
{
	struct tp_spec ca = {"Batch CA", NULL, NULL, NULL, 1, true, NULL, 0, 0};

	assert_true(n <= CS_ARRAY_LEN(b->leaf));
	b->ca_key = tp_ec_key("P-256");
	b->leaf_key = tp_ec_key("P-256");
	ca.pub = ca.signer = b->ca_key;
	b->ca = tp_cert(&ca);
	for (size_t i = 0; i < n; i++) {
		struct tp_spec s = {"batch.test", "Batch CA", b->leaf_key, b->ca_key, 100 + (long)i,
				    false,        NULL,       0,           0};

		b->leaf[i] = tp_cert(&s);
	}
	b->n = n;
}

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->n; i++)
		X509_free(b->leaf[i]);
	X509_free(b->ca);
	EVP_PKEY_free(b->ca_key);
	EVP_PKEY_free(b->leaf_key);
}

/* Trimming keeps the most recently used, evicts the rest, counted; an
 * evicted certificate is parsed again when asked for. */
static void test_trim_lru(void **state)
{
	(void)state;
	struct env e = env_new(3, 64);
	const struct certcache_stats *s = certcache_stats(e.cc);
	struct batch b;
	struct cs_cert *c[6];

	batch_make(&b, 6);
	for (size_t i = 0; i < 6; i++) {
		c[i] = cert_of(&e, b.leaf[i]);
		assert_non_null(certcache_get(e.cc, c[i]));
	}
	assert_non_null(certcache_get(e.cc, c[0])); /* used again: now the most recent */
	assert_int_equal(s->parsed, 6);
	certcache_trim(e.cc);
	assert_int_equal(s->x509_evicted, 3); /* 1, 2, 3 */
	certcache_trim(e.cc);
	assert_int_equal(s->x509_evicted, 3);
	/* 0, 4, 5 stayed: no new parse */
	assert_non_null(certcache_get(e.cc, c[0]));
	assert_non_null(certcache_get(e.cc, c[4]));
	assert_non_null(certcache_get(e.cc, c[5]));
	assert_int_equal(s->parsed, 6);
	/* 1 went: parsed again, the same identity */
	{
		const struct cs_x509 *x = certcache_get(e.cc, c[1]);

		assert_non_null(x);
		assert_memory_equal(x->sha256, c[1]->sha256, 32);
	}
	assert_int_equal(s->parsed, 7);
	certcache_trim(e.cc);
	assert_int_equal(s->x509_evicted, 4);
	batch_free(&b);
	env_free(&e);
}

/*
 * cs_certcache.h: what certcache_get returns is "valid until the next
 * certcache_trim".  diag.c relies on it (the sent certificates of an
 * analysis are kept in an array while more are looked up), so the object
 * must not move when other certificates are parsed after it.
 */
static void test_get_valid_until_trim(void **state)
{
	(void)state;
	struct env e = env_new(256, 64);
	struct batch b;
	const struct cs_x509 *first;
	uint8_t sha[32];

	batch_make(&b, 64);
	first = certcache_get(e.cc, cert_of(&e, b.leaf[0]));
	assert_non_null(first);
	memcpy(sha, first->sha256, 32);
	for (size_t i = 1; i < b.n; i++)
		assert_non_null(certcache_get(e.cc, cert_of(&e, b.leaf[i])));
	assert_non_null(certcache_get(e.cc, cert_of(&e, b.ca)));
	/* no trim yet: the first object is where it was */
	assert_memory_equal(first->sha256, sha, 32);
	assert_ptr_equal(certcache_get(e.cc, cert_of(&e, b.leaf[0])), first);
	batch_free(&b);
	env_free(&e);
}

/* The memo's sets (MEMO_WAYS ways each, cs_certcache.h) forget their
 * oldest entry when full (counted); a forgotten pair is verified again,
 * with the same answer. */
#define MEMO_WAYS 8
static void test_memo_eviction(void **state)
{
	(void)state;
	enum { N = MEMO_WAYS + 2 };
	struct env e = env_new(64, MEMO_WAYS); /* one set */
	const struct certcache_stats *s = certcache_stats(e.cc);
	struct batch b;
	const struct cs_x509 *ca, *leaf[N];
	uint64_t cost = 0;

	batch_make(&b, N);
	ca = certcache_get(e.cc, cert_of(&e, b.ca));
	for (size_t i = 0; i < N; i++)
		leaf[i] = certcache_get(e.cc, cert_of(&e, b.leaf[i]));
	for (size_t i = 0; i < N; i++) {
		assert_non_null(leaf[i]);
		assert_true(signed_by(&e, leaf[i], ca, VERIFIED, &cost));
	}
	assert_int_equal(s->memo_evicted, 2);
	/* the last MEMO_WAYS are remembered, the first two were forgotten */
	for (size_t i = 2; i < N; i++) {
		assert_true(signed_by(&e, leaf[i], ca, NOT_VERIFIED, &cost));
	}
	assert_true(signed_by(&e, leaf[0], ca, VERIFIED, &cost));
	assert_int_equal(s->verifications, N + 1);
	assert_int_equal(s->checks, N + MEMO_WAYS + 1);
	assert_int_equal(s->verify_cost, (N + 1) * (uint64_t)ca->verify_cost);
	batch_free(&b);
	env_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_identify),
		cmocka_unit_test(test_identify_costs),
		cmocka_unit_test_setup_teardown(test_get_same_object, env_setup, env_teardown),
		cmocka_unit_test(test_get_unparseable),
		cmocka_unit_test_setup_teardown(test_signed_by_memo, env_setup, env_teardown),
		cmocka_unit_test(test_memo_survives_trim),
		cmocka_unit_test_setup_teardown(test_explicit_curve_is_another_key, env_setup,
						env_teardown),
		cmocka_unit_test_setup_teardown(test_signed_by_without_key, env_setup,
						env_teardown),
		cmocka_unit_test(test_trim_lru),
		cmocka_unit_test(test_get_valid_until_trim),
		cmocka_unit_test(test_memo_eviction),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
