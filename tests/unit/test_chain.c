/*
 * test_chain.c - the chain store: identity by content, certificates
 * stored once across chains, the lookup hint, caps, the facts parsed
 * lazily from certificates (cert_facts), and the PEM dump.  Fixtures come from
 * scripts/mkfixtures.sh (tests/fixtures/chain/); every expected subject,
 * serial and date below is one the script sets explicitly, and the
 * per-cert SHA-256 is the one sha256sum recorded in SHA256SUMS.
 * Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cs_chain.h"
#include "cs_codec.h"
#include "testlib.h"

#define FIXTURES "tests/fixtures/chain/"
#define LEAF_LEN 458u /* wc -c leaf.der */
#define INTER_LEN 401u

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define TEST_ASAN 1
#endif
#ifdef TEST_ASAN
/* from <sanitizer/allocator_interface.h>, which gcc does not always ship */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

struct fixture {
	uint8_t *p;
	size_t n;
};

static struct fixture fx_load(const char *name)
{
	struct fixture fx;

	fx.p = tl_fixture_der(name, &fx.n);
	assert_true(fx.n > 0);
	return fx;
}

static struct cs_slice fx_slice(struct fixture fx) { return (struct cs_slice){fx.p, fx.n}; }

/* The hex SHA-256 that sha256sum recorded for NAME.der. */
static void fx_sha256(const char *name, char out[2 * CS_SHA256_LEN + 1])
{
	char line[256], file[64];
	FILE *f = fopen(FIXTURES "SHA256SUMS", "r");

	assert_non_null(f);
	snprintf(file, sizeof file, "%s.der", name);
	while (fgets(line, sizeof line, f) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (strlen(line) > 66 && strcmp(line + 66, file) == 0) {
			memcpy(out, line, 64);
			out[64] = '\0';
			fclose(f);
			return;
		}
	}
	fclose(f);
	fail_msg("%s not in SHA256SUMS", file);
}

static void assert_sha(const uint8_t sha[CS_SHA256_LEN], const char *name)
{
	char got[2 * CS_SHA256_LEN + 1], want[2 * CS_SHA256_LEN + 1];

	hex_lower(sha, CS_SHA256_LEN, got);
	fx_sha256(name, want);
	assert_string_equal(got, want);
}

/* Intern one chain made of the named fixtures into st. */
static enum cs_status intern_names(struct cs_chain_store *st, const char *const *names, size_t n,
				   const struct cs_chain **out, bool *added)
{
	struct fixture fx[8];
	struct cs_slice s[8];
	enum cs_status rc;

	assert_true(n <= 8);
	for (size_t i = 0; i < n; i++) {
		fx[i] = fx_load(names[i]);
		s[i] = fx_slice(fx[i]);
	}
	rc = chain_store_intern(st, s, n, out, added);
	for (size_t i = 0; i < n; i++)
		free(fx[i].p); /* the store must own its copy */
	return rc;
}

static const struct cs_chain *intern_one(struct cs_chain_store *st, const char *name)
{
	const struct cs_chain *c;
	bool added;

	assert_int_equal(intern_names(st, &name, 1, &c, &added), CS_OK);
	assert_non_null(c);
	assert_int_equal(c->n_certs, 1);
	return c;
}

static void test_free_null(void **state)
{
	(void)state;
	chain_store_free(NULL);
}

static void test_intern_twice(void **state)
{
	(void)state;
	static const char *const names[] = {"leaf", "inter"};
	struct cs_chain_store *st = chain_store_new(CS_MAX_CHAINS, CS_CHAIN_MEMCAP);
	const struct cs_chain *a, *b;
	bool added;

	assert_non_null(st);
	assert_int_equal(intern_names(st, names, 2, &a, &added), CS_OK);
	assert_true(added);
	assert_int_equal(a->id, 0);
	assert_int_equal(a->n_certs, 2);
	assert_int_equal(a->der_bytes, LEAF_LEN + INTER_LEN);
	assert_int_equal(intern_names(st, names, 2, &b, &added), CS_OK);
	assert_false(added);
	assert_ptr_equal(a, b);
	assert_int_equal(chain_store_count(st), 1);
	assert_ptr_equal(chain_store_get(st, 0), a);
	assert_null(chain_store_get(st, 1));
	chain_store_free(st);
}

static void test_order_matters(void **state)
{
	(void)state;
	static const char *const fwd[] = {"leaf", "inter"}, *const rev[] = {"inter", "leaf"};
	struct cs_chain_store *st = chain_store_new(4, CS_CHAIN_MEMCAP);
	const struct cs_chain *a, *b;
	bool added;

	assert_int_equal(intern_names(st, fwd, 2, &a, &added), CS_OK);
	assert_int_equal(intern_names(st, rev, 2, &b, &added), CS_OK);
	assert_true(added);
	assert_int_equal(b->id, 1);
	assert_memory_not_equal(a->sha256, b->sha256, CS_SHA256_LEN);
	assert_sha(b->certs[0]->sha256, "inter");
	assert_sha(b->certs[1]->sha256, "leaf");
	/* the same two certificates, stored once for both chains */
	assert_ptr_equal(b->certs[0], a->certs[1]);
	assert_ptr_equal(b->certs[1], a->certs[0]);
	assert_int_equal(chain_store_certs(st), 2);
	chain_store_free(st);
}

/* The chain identity is SHA-256 over the concatenated DER, whatever the
 * split: checked against a one-shot digest of a contiguous copy. */
static void test_chain_hash(void **state)
{
	(void)state;
	struct fixture leaf = fx_load("leaf"), inter = fx_load("inter");
	struct cs_slice s[3] = {fx_slice(leaf), fx_slice(inter), {NULL, 0}};
	uint8_t *cat = malloc(leaf.n + inter.n);
	uint8_t want[CS_SHA256_LEN], got[CS_SHA256_LEN];
	struct cs_chain_store *st = chain_store_new(4, CS_CHAIN_MEMCAP);
	const struct cs_chain *c;
	bool added;

	memcpy(cat, leaf.p, leaf.n);
	memcpy(cat + leaf.n, inter.p, inter.n);
	assert_true(EVP_Digest(cat, leaf.n + inter.n, want, NULL, EVP_sha256(), NULL));
	chain_hash(s, 2, got);
	assert_memory_equal(got, want, CS_SHA256_LEN);
	chain_hash(s, 3, got); /* an empty slice adds nothing */
	assert_memory_equal(got, want, CS_SHA256_LEN);
	chain_hash(s, 1, got);
	assert_sha(got, "leaf");
	assert_int_equal(chain_store_intern(st, s, 2, &c, &added), CS_OK);
	assert_memory_equal(c->sha256, want, CS_SHA256_LEN);
	chain_store_free(st);
	free(cat);
	free(leaf.p);
	free(inter.p);
}

#define ROOT_DN "CN=Chainsniff Test Root,O=Chainsniff Test"
#define INTER_DN "CN=Chainsniff Test Intermediate,O=Chainsniff Test"

/* What the fixture certificates say (openssl x509 -nameopt RFC2253 and
 * wc -c on tests/fixtures/chain/). */
static const struct cert_want {
	const char *name, *subject, *issuer, *serial_hex;
	int64_t not_before, not_after;
	size_t der_len;
} cert_wants[] = {
	/* RFC 2253 order is reversed; ',' and '+' escaped; the e-acute stays
	 * UTF-8; serial 8A0B...: the DER has a 00 sign byte that the hex must
	 * not show; 2024-03-01 12:00:00Z to 2025-03-01 12:00:00Z */
	{"leaf", "CN=caf\xc3\xa9.example,O=Acme\\, Inc.\\+Co,C=FR", INTER_DN, "8a0b0c0d0e0f101112",
	 1709294400, 1740830400, LEAF_LEN},
	/* 2020-01-01Z to 2040-01-01Z, its own issuer */
	{"root", ROOT_DN, ROOT_DN, "01", 1577836800, 2208988800, 359},
	/* 2020-01-01Z to 2035-01-01Z */
	{"inter", INTER_DN, ROOT_DN, "1002", 1577836800, 2051222400, INTER_LEN},
	/* a subject without CN */
	{"nocn", "OU=Ops,O=No CN Org", INTER_DN, "2a", 1709294400, 1740830400, 422},
};

static void test_cert_fields(void **state)
{
	(void)state;
	for (size_t i = 0; i < CS_ARRAY_LEN(cert_wants); i++) {
		const struct cert_want *w = &cert_wants[i];
		struct cs_chain_store *st = chain_store_new(4, CS_CHAIN_MEMCAP);
		struct cs_cert *cert = intern_one(st, w->name)->certs[0];
		const struct cs_cert_facts *ci = cert_facts(cert);

		assert_true(ci->parsed);
		assert_string_equal(ci->subject, w->subject);
		assert_string_equal(ci->issuer, w->issuer);
		assert_string_equal(ci->serial_hex, w->serial_hex);
		assert_int_equal(ci->not_before, w->not_before);
		assert_int_equal(ci->not_after, w->not_after);
		assert_int_equal(cert->der_len, w->der_len);
		assert_sha(cert->sha256, w->name);
		chain_store_free(st);
	}
}

/* UTCTime 691231235959Z is one second before the epoch; GeneralizedTime
 * 20510101000000Z is 81 * 365 + 20 leap days = 29585 days after it. */
static void test_dates_beyond_utctime(void **state)
{
	(void)state;
	struct cs_chain_store *st = chain_store_new(4, CS_CHAIN_MEMCAP);
	const struct cs_cert_facts *ci = cert_facts(intern_one(st, "long")->certs[0]);

	assert_true(ci->parsed);
	assert_int_equal(ci->not_before, -1);
	assert_int_equal(ci->not_after, 29585LL * 86400);
	assert_string_equal(ci->serial_hex, "7fff");
	chain_store_free(st);
}

static void assert_unparsed(struct cs_cert *cert)
{
	const struct cs_cert_facts *ci = cert_facts(cert);

	assert_false(ci->parsed);
	assert_string_equal(ci->subject, "");
	assert_string_equal(ci->issuer, "");
	assert_string_equal(ci->serial_hex, "");
	assert_int_equal(ci->not_before, 0);
	assert_int_equal(ci->not_after, 0);
}

static void test_unparseable_entries(void **state)
{
	(void)state;
	static const char *const names[] = {"leaf", "garbage", "truncated"};
	struct cs_chain_store *st = chain_store_new(4, CS_CHAIN_MEMCAP);
	const struct cs_chain *c;
	bool added;

	assert_int_equal(intern_names(st, names, 3, &c, &added), CS_OK);
	assert_int_equal(c->n_certs, 3);
	assert_true(cert_facts(c->certs[0])->parsed);
	assert_unparsed(c->certs[1]);
	assert_sha(c->certs[1]->sha256, "garbage");
	assert_memory_equal(c->certs[1]->der, "this is not a certificate\n", 26);
	assert_unparsed(c->certs[2]);
	assert_sha(c->certs[2]->sha256, "truncated");
	assert_int_equal(c->certs[2]->der_len, 100);
	chain_store_free(st);
}

/* A valid certificate followed by one more byte is not what was signed. */
static void test_trailing_byte(void **state)
{
	(void)state;
	struct fixture leaf = fx_load("leaf");
	uint8_t *p = malloc(leaf.n + 1);
	struct cs_slice s = {p, leaf.n + 1};
	struct cs_chain_store *st = chain_store_new(4, CS_CHAIN_MEMCAP);
	const struct cs_chain *c;
	bool added;

	memcpy(p, leaf.p, leaf.n);
	p[leaf.n] = 0;
	assert_int_equal(chain_store_intern(st, &s, 1, &c, &added), CS_OK);
	assert_unparsed(c->certs[0]);
	chain_store_free(st);
	free(p);
	free(leaf.p);
}

/* The leaf with the 5 bytes of "caf\xc3\xa9" in its subject CN replaced
 * by cn5, interned into st (which keeps its own copy). */
static struct cs_cert *leaf_with_cn(struct cs_chain_store *st, const char cn5[5])
{
	struct fixture leaf = fx_load("leaf");
	uint8_t *at = memmem(leaf.p, leaf.n, "caf\xc3\xa9", 5);
	struct cs_slice s = fx_slice(leaf);
	const struct cs_chain *c;
	bool added;

	assert_non_null(at);
	memcpy(at, cn5, 5);
	assert_int_equal(chain_store_intern(st, &s, 1, &c, &added), CS_OK);
	free(leaf.p);
	return c->certs[0];
}

/* A UTF8String that is not UTF-8 (the e-acute replaced by ff fe): libcrypto
 * rejects it in d2i when it canonicalises the name, so the entry is kept
 * unparsed.  (The signature no longer matches; the store does not check.) */
static void test_invalid_utf8_name(void **state)
{
	(void)state;
	struct cs_chain_store *st = chain_store_new(4, CS_CHAIN_MEMCAP);

	assert_unparsed(leaf_with_cn(st, "caf\xff\xfe"));
	chain_store_free(st);
}

/* The NUL-prefix attack ("good.example\0.evil"): OpenSSL writes C0
 * controls as \XX, so a NUL cannot cut the string short; C1 controls and
 * bidi overrides stay raw UTF-8, for escape.c to deal with. */
static void test_name_controls(void **state)
{
	(void)state;
	static const struct {
		const char *cn5, *want;
	} cases[] = {
		{"ca\0fe", "CN=ca\\00fe.example,O=Acme\\, Inc.\\+Co,C=FR"},
		{"c\x1b[2J", "CN=c\\1B[2J.example,O=Acme\\, Inc.\\+Co,C=FR"},
		{"\xe2\x80\xae"
		 "ab",
		 "CN=\xe2\x80\xae"
		 "ab.example,O=Acme\\, Inc.\\+Co,C=FR"},
	};

	for (size_t i = 0; i < CS_ARRAY_LEN(cases); i++) {
		struct cs_chain_store *st = chain_store_new(4, CS_CHAIN_MEMCAP);
		const struct cs_cert_facts *ci = cert_facts(leaf_with_cn(st, cases[i].cn5));

		assert_true(ci->parsed);
		assert_string_equal(ci->subject, cases[i].want);
		chain_store_free(st);
	}
}

/* Every prefix and every single-byte flip of a certificate: no crash, no
 * leak, and a prefix never parses. */
static void test_truncations_and_flips(void **state)
{
	(void)state;
	struct fixture leaf = fx_load("leaf");
	struct cs_chain_store *st = chain_store_new(2 * leaf.n + 2, CS_CHAIN_MEMCAP);
	const struct cs_chain *c;
	bool added;

	for (size_t k = 0; k < leaf.n; k++) {
		struct cs_slice s = {leaf.p, k};

		assert_int_equal(chain_store_intern(st, &s, 1, &c, &added), CS_OK);
		assert_true(added);
		assert_false(cert_facts(c->certs[0])->parsed);
	}
	for (size_t k = 0; k < leaf.n; k++) {
		struct cs_slice s = fx_slice(leaf);

		leaf.p[k] ^= 0xff;
		assert_int_equal(chain_store_intern(st, &s, 1, &c, &added), CS_OK);
		assert_true(added);
		assert_non_null(cert_facts(c->certs[0])->subject);
		leaf.p[k] ^= 0xff;
	}
	assert_int_equal(chain_store_count(st), 2 * leaf.n);
	chain_store_free(st);
	free(leaf.p);
}

/* Heap bytes in use: a refused chain must not change it. */
static size_t heap_in_use(void)
{
#ifdef TEST_ASAN
	return __sanitizer_get_current_allocated_bytes();
#else
	return mallinfo2().uordblks;
#endif
}

static void test_cap_max_chains(void **state)
{
	(void)state;
	static const char *const leaf = "leaf", *const inter = "inter";
	struct fixture fx = fx_load("inter");
	struct cs_slice s = fx_slice(fx);
	struct cs_chain_store *st = chain_store_new(1, CS_CHAIN_MEMCAP);
	const struct cs_chain *c, *first;
	bool added;
	size_t before;

	assert_int_equal(intern_names(st, &leaf, 1, &first, &added), CS_OK);
	before = heap_in_use();
	assert_int_equal(chain_store_intern(st, &s, 1, &c, &added), CS_LIMIT);
	assert_int_equal(heap_in_use(), before);
	assert_null(c);
	assert_false(added);
	assert_int_equal(chain_store_count(st), 1);
	assert_int_equal(intern_names(st, &inter, 1, &c, &added), CS_LIMIT);
	/* a known chain is still found at the cap */
	assert_int_equal(intern_names(st, &leaf, 1, &c, &added), CS_OK);
	assert_ptr_equal(c, first);
	chain_store_free(st);
	free(fx.p);

	st = chain_store_new(0, CS_CHAIN_MEMCAP);
	assert_int_equal(intern_names(st, &leaf, 1, &c, &added), CS_LIMIT);
	chain_store_free(st);
}

/* What the store charges to memcap, checked before copying: a chain's
 * block (struct and certificate pointers) and each certificate it does
 * not hold yet (struct and DER).  Parsed facts are not charged. */
#define CHAIN_COST(n) (sizeof(struct cs_chain) + (n) * sizeof(struct cs_cert *))
#define CERT_COST(len) (sizeof(struct cs_cert) + (len))

/* The leaf alone costs exactly CHAIN_COST(1) + CERT_COST(LEAF_LEN). */
static void test_cap_memcap(void **state)
{
	(void)state;
	static const char *const leaf = "leaf", *const inter = "inter";
	const size_t cost = CHAIN_COST(1) + CERT_COST(LEAF_LEN);
	struct fixture fx = fx_load("leaf");
	struct cs_slice s = fx_slice(fx);
	struct cs_chain_store *st = chain_store_new(4, cost - 1);
	const struct cs_chain *c;
	bool added;
	size_t before;

	before = heap_in_use();
	assert_int_equal(chain_store_intern(st, &s, 1, &c, &added), CS_LIMIT);
	assert_int_equal(heap_in_use(), before);
	assert_int_equal(chain_store_count(st), 0);
	assert_int_equal(chain_store_certs(st), 0);
	chain_store_free(st);

	st = chain_store_new(4, cost);
	assert_int_equal(intern_names(st, &leaf, 1, &c, &added), CS_OK);
	/* parsing the facts charges nothing: the next chain is refused for
	 * its own bytes only */
	assert_true(cert_facts(c->certs[0])->parsed);
	assert_int_equal(intern_names(st, &inter, 1, &c, &added), CS_LIMIT);
	assert_int_equal(intern_names(st, &leaf, 1, &c, &added), CS_OK);
	assert_false(added);
	chain_store_free(st);
	free(fx.p);
}

/* A certificate shared by two chains is charged once: [leaf, inter] then
 * [nocn, inter] fit in exactly two chain blocks and three certificates,
 * and one byte less refuses the second chain (before allocating). */
static void test_cap_memcap_shared_cert(void **state)
{
	(void)state;
	static const char *const a[] = {"leaf", "inter"}, *const b[] = {"nocn", "inter"};
	struct fixture nocn = fx_load("nocn");
	const size_t first = CHAIN_COST(2) + CERT_COST(LEAF_LEN) + CERT_COST(INTER_LEN);
	const size_t second = CHAIN_COST(2) + CERT_COST(nocn.n); /* inter is held already */
	const struct cs_chain *c1, *c2;
	struct cs_chain_store *st;
	bool added;
	size_t before;

	st = chain_store_new(4, first + second);
	assert_int_equal(intern_names(st, a, 2, &c1, &added), CS_OK);
	assert_int_equal(intern_names(st, b, 2, &c2, &added), CS_OK);
	assert_true(added);
	assert_int_equal(chain_store_certs(st), 3);
	assert_ptr_equal(c1->certs[1], c2->certs[1]);
	chain_store_free(st);

	st = chain_store_new(4, first + second - 1);
	assert_int_equal(intern_names(st, a, 2, &c1, &added), CS_OK);
	{
		struct fixture fa = fx_load("nocn"), fb = fx_load("inter");
		struct cs_slice sl[2] = {fx_slice(fa), fx_slice(fb)};

		before = heap_in_use();
		assert_int_equal(chain_store_intern(st, sl, 2, &c2, &added), CS_LIMIT);
		assert_int_equal(heap_in_use(), before);
		free(fa.p);
		free(fb.p);
	}
	assert_null(c2);
	assert_int_equal(chain_store_count(st), 1);
	assert_int_equal(chain_store_certs(st), 2);
	chain_store_free(st);
	free(nocn.p);
}

/* A certificate sent twice in one chain is one new certificate: the chain
 * [leaf, leaf] fits in one chain block of two pointers and one copy of
 * the leaf (cs_chain.h: memcap counts "each new certificate"). */
static void test_cap_memcap_duplicate_in_chain(void **state)
{
	(void)state;
	static const char *const dup[] = {"leaf", "leaf"};
	struct cs_chain_store *st = chain_store_new(4, CHAIN_COST(2) + CERT_COST(LEAF_LEN));
	const struct cs_chain *c;
	bool added;

	assert_int_equal(intern_names(st, dup, 2, &c, &added), CS_OK);
	assert_non_null(c);
	assert_ptr_equal(c->certs[0], c->certs[1]);
	assert_int_equal(chain_store_certs(st), 1);
	assert_int_equal(chain_store_bytes(st), CHAIN_COST(2) + CERT_COST(LEAF_LEN));
	chain_store_free(st);
}

/* chain_store_bytes is this store's: what it charged to memcap, plus the
 * facts parsed from its certificates, and nothing of another store. */
static void test_store_bytes(void **state)
{
	(void)state;
	static const char *const names[] = {"leaf", "inter"};
	struct cs_chain_store *st = chain_store_new(4, CS_CHAIN_MEMCAP), *other;
	const size_t charged = CHAIN_COST(2) + CERT_COST(LEAF_LEN) + CERT_COST(INTER_LEN);
	const struct cs_chain *c;
	const struct cs_cert_facts *f;
	bool added;

	assert_int_equal(intern_names(st, names, 2, &c, &added), CS_OK);
	assert_int_equal(chain_store_bytes(st), charged);
	f = cert_facts(c->certs[0]);
	/* facts come on top of what is charged (cs_chain.h): parsing them
	 * changes nothing here, in this store or another */
	assert_int_equal(chain_store_bytes(st), charged);
	assert_ptr_equal(cert_facts(c->certs[0]), f); /* parsed once */
	other = chain_store_new(4, CS_CHAIN_MEMCAP);
	assert_int_equal(chain_store_bytes(other), 0);
	chain_store_free(st);
	chain_store_free(other);
	other = chain_store_new(4, CS_CHAIN_MEMCAP);
	assert_int_equal(chain_store_bytes(other), 0);
	chain_store_free(other);
}

/* A chain longer than CS_MAX_CHAIN_CERTS is refused before anything is
 * allocated (the TLS layer stops at that many). */
static void test_cap_chain_length(void **state)
{
	(void)state;
	struct fixture fx = fx_load("leaf");
	struct cs_slice s[CS_MAX_CHAIN_CERTS + 1];
	struct cs_chain_store *st = chain_store_new(4, CS_CHAIN_MEMCAP);
	const struct cs_chain *c;
	bool added;
	size_t before;

	for (size_t i = 0; i < CS_ARRAY_LEN(s); i++)
		s[i] = fx_slice(fx);
	before = heap_in_use();
	assert_int_equal(chain_store_intern(st, s, CS_ARRAY_LEN(s), &c, &added), CS_LIMIT);
	assert_int_equal(heap_in_use(), before);
	assert_null(c);
	assert_int_equal(chain_store_count(st), 0);
	assert_int_equal(chain_store_certs(st), 0);
	/* exactly the maximum is a chain (of one distinct certificate) */
	assert_int_equal(chain_store_intern(st, s, CS_MAX_CHAIN_CERTS, &c, &added), CS_OK);
	assert_int_equal(c->n_certs, CS_MAX_CHAIN_CERTS);
	assert_int_equal(chain_store_certs(st), 1);
	chain_store_free(st);
	free(fx.p);
}

/* ---- certificates stored once ------------------------------------------------ */

/* Two chains sharing their intermediate hold the same struct cs_cert;
 * certificate ids are dense in order of arrival. */
static void test_shared_cert_stored_once(void **state)
{
	(void)state;
	static const char *const a[] = {"leaf", "inter", "root"}, *const b[] = {"nocn", "inter"},
				 *const d[] = {"inter", "inter"};
	struct cs_chain_store *st = chain_store_new(8, CS_CHAIN_MEMCAP);
	const struct cs_chain *c1, *c2, *c3;
	bool added;

	assert_int_equal(chain_store_certs(st), 0);
	assert_int_equal(intern_names(st, a, 3, &c1, &added), CS_OK);
	assert_int_equal(chain_store_certs(st), 3);
	assert_int_equal(intern_names(st, b, 2, &c2, &added), CS_OK);
	assert_true(added);
	assert_int_equal(chain_store_count(st), 2);
	assert_int_equal(chain_store_certs(st), 4); /* nocn only is new */
	assert_ptr_equal(c2->certs[1], c1->certs[1]);
	assert_ptr_not_equal(c2->certs[0], c1->certs[0]);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(c1->certs[i]->id, i);
	assert_int_equal(c2->certs[0]->id, 3);
	assert_int_equal(c2->certs[1]->id, 1);
	assert_sha(c2->certs[1]->sha256, "inter");
	/* a certificate sent twice in one chain is one entry too */
	assert_int_equal(intern_names(st, d, 2, &c3, &added), CS_OK);
	assert_ptr_equal(c3->certs[0], c3->certs[1]);
	assert_ptr_equal(c3->certs[0], c1->certs[1]);
	assert_int_equal(chain_store_certs(st), 4);
	/* the facts of the shared certificate are one record */
	assert_ptr_equal(cert_facts(c1->certs[1]), cert_facts(c2->certs[1]));
	chain_store_free(st);
}

/* cert_facts parses once and keeps the record: the same pointer every
 * time, for a parsed and an unparsed entry alike. */
static void test_cert_facts_idempotent(void **state)
{
	(void)state;
	static const char *const names[] = {"leaf", "garbage"};
	struct cs_chain_store *st = chain_store_new(4, CS_CHAIN_MEMCAP);
	const struct cs_chain *c;
	const struct cs_cert_facts *f, *g;
	bool added;

	assert_int_equal(intern_names(st, names, 2, &c, &added), CS_OK);
	f = cert_facts(c->certs[0]);
	g = cert_facts(c->certs[1]);
	assert_true(f->parsed);
	assert_false(g->parsed);
	assert_ptr_equal(cert_facts(c->certs[0]), f);
	assert_ptr_equal(cert_facts(c->certs[1]), g);
	assert_ptr_equal(cert_facts(c->certs[0])->subject, f->subject);
	chain_store_free(st);
}

/* ---- the lookup hint ---------------------------------------------------------- */

/* A known chain is found by the hint (no SHA-256) when the same bytes come
 * again from another buffer; a chain with the same lengths and the same
 * last 16 bytes of every certificate, but one byte changed in the middle,
 * is a new chain: its hint collides, the byte comparison tells them apart. */
static void test_hint(void **state)
{
	(void)state;
	struct fixture leaf = fx_load("leaf"), inter = fx_load("inter");
	struct fixture leaf2 = fx_load("leaf"), inter2 = fx_load("inter");
	struct cs_slice s1[2] = {fx_slice(leaf), fx_slice(inter)};
	struct cs_slice s2[2] = {fx_slice(leaf2), fx_slice(inter2)};
	struct cs_chain_store *st = chain_store_new(8, CS_CHAIN_MEMCAP);
	const struct cs_chain *a, *b, *x;
	bool added;

	assert_int_equal(chain_store_hint_hits(st), 0);
	assert_int_equal(chain_store_intern(st, s1, 2, &a, &added), CS_OK);
	assert_true(added);
	assert_int_equal(chain_store_hint_hits(st), 0);
	/* the same content from other buffers: a hint hit */
	assert_int_equal(chain_store_intern(st, s2, 2, &x, &added), CS_OK);
	assert_false(added);
	assert_ptr_equal(x, a);
	assert_int_equal(chain_store_hint_hits(st), 1);

	/* one byte in the middle of the leaf (its subject) changed: same
	 * lengths, same tails, another chain */
	leaf2.p[leaf2.n / 2] ^= 0x01;
	assert_memory_equal(leaf2.p + leaf2.n - 16, leaf.p + leaf.n - 16, 16);
	assert_int_equal(chain_store_intern(st, s2, 2, &b, &added), CS_OK);
	assert_true(added);
	assert_ptr_not_equal(b, a);
	assert_int_equal(b->id, 1);
	assert_memory_not_equal(b->sha256, a->sha256, CS_SHA256_LEN);
	assert_ptr_not_equal(b->certs[0], a->certs[0]);
	assert_ptr_equal(b->certs[1], a->certs[1]);
	assert_int_equal(chain_store_hint_hits(st), 1);
	{
		uint8_t want[CS_SHA256_LEN];

		chain_hash(s2, 2, want);
		assert_memory_equal(b->sha256, want, CS_SHA256_LEN);
	}
	assert_int_equal(chain_store_count(st), 2);

	/* both are still found, whichever the hint slot points to */
	for (int k = 0; k < 3; k++) {
		assert_int_equal(chain_store_intern(st, s1, 2, &x, &added), CS_OK);
		assert_false(added);
		assert_ptr_equal(x, a);
		assert_int_equal(chain_store_intern(st, s2, 2, &x, &added), CS_OK);
		assert_false(added);
		assert_ptr_equal(x, b);
	}
	assert_int_equal(chain_store_count(st), 2);
	/* a repeat of the last one is a hint hit again */
	{
		uint64_t hits = chain_store_hint_hits(st);

		assert_int_equal(chain_store_intern(st, s2, 2, &x, &added), CS_OK);
		assert_ptr_equal(x, b);
		assert_int_equal(chain_store_hint_hits(st), hits + 1);
	}
	chain_store_free(st);
	free(leaf.p);
	free(inter.p);
	free(leaf2.p);
	free(inter2.p);
}

/* The hint compares every byte: a prefix of a known chain (same count,
 * shorter last certificate) and the empty chain are chains of their own. */
static void test_hint_lengths(void **state)
{
	(void)state;
	struct fixture leaf = fx_load("leaf");
	struct cs_slice full = fx_slice(leaf), cut = {leaf.p, leaf.n - 1};
	struct cs_chain_store *st = chain_store_new(8, CS_CHAIN_MEMCAP);
	const struct cs_chain *a, *b, *e, *x;
	bool added;

	assert_int_equal(chain_store_intern(st, &full, 1, &a, &added), CS_OK);
	assert_int_equal(chain_store_intern(st, &cut, 1, &b, &added), CS_OK);
	assert_true(added);
	assert_ptr_not_equal(a, b);
	assert_int_equal(chain_store_intern(st, NULL, 0, &e, &added), CS_OK);
	assert_true(added);
	assert_int_equal(e->n_certs, 0);
	assert_int_equal(chain_store_intern(st, NULL, 0, &x, &added), CS_OK);
	assert_false(added);
	assert_ptr_equal(x, e);
	assert_int_equal(chain_store_count(st), 3);
	chain_store_free(st);
	free(leaf.p);
}

struct pem_dir {
	char path[64];
};

static void pem_dir_make(struct pem_dir *d)
{
	snprintf(d->path, sizeof d->path, "/tmp/test_chain.XXXXXX");
	assert_non_null(mkdtemp(d->path));
}

static size_t pem_dir_entries(const struct pem_dir *d)
{
	DIR *dir = opendir(d->path);
	struct dirent *e;
	size_t n = 0;

	assert_non_null(dir);
	while ((e = readdir(dir)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++; /* temporaries start with '.': count them too */
	closedir(dir);
	return n;
}

static void pem_path(const struct pem_dir *d, const struct cs_chain *c, char *out, size_t n)
{
	char hex[2 * CS_SHA256_LEN + 1];

	hex_lower(c->sha256, CS_SHA256_LEN, hex);
	snprintf(out, n, "%s/%s.pem", d->path, hex);
}

/* A chain of three fixtures dumped by chain_dump_pem into a directory of
 * its own; path: the file it wrote. */
struct pem_run {
	struct cs_chain_store *st;
	const struct cs_chain *c;
	struct pem_dir d;
	char path[256];
};

/* Dump the chain of names; the file, open for reading. */
static FILE *pem_dump(struct pem_run *r, const char *const names[3])
{
	bool added;
	FILE *f;

	r->st = chain_store_new(4, CS_CHAIN_MEMCAP);
	pem_dir_make(&r->d);
	assert_int_equal(intern_names(r->st, names, 3, &r->c, &added), CS_OK);
	assert_int_equal(chain_dump_pem(r->c, r->d.path), CS_OK);
	pem_path(&r->d, r->c, r->path, sizeof r->path);
	f = fopen(r->path, "r");
	assert_non_null(f);
	return f;
}

/* The file, its directory and the store gone. */
static void pem_done(struct pem_run *r)
{
	pem_path(&r->d, r->c, r->path, sizeof r->path);
	unlink(r->path);
	rmdir(r->d.path);
	chain_store_free(r->st);
}

/* Read back with PEM_read_X509: the same DER, in sent order. */
static void test_pem_roundtrip(void **state)
{
	(void)state;
	static const char *const names[] = {"leaf", "inter", "root"};
	struct pem_run r;
	FILE *f = pem_dump(&r, names);
	char line[256];
	X509 *x;

	for (size_t i = 0; i < 3; i++) {
		unsigned char *der = NULL;
		int n;

		x = PEM_read_X509(f, NULL, NULL, NULL);
		assert_non_null(x);
		n = i2d_X509(x, &der);
		assert_int_equal(n, r.c->certs[i]->der_len);
		assert_memory_equal(der, r.c->certs[i]->der, r.c->certs[i]->der_len);
		OPENSSL_free(der);
		X509_free(x);
	}
	assert_null(PEM_read_X509(f, NULL, NULL, NULL));
	fclose(f);
	assert_int_equal(pem_dir_entries(&r.d), 1); /* no temporary left behind */

	/* an existing file is left alone */
	f = fopen(r.path, "w");
	fputs("kept\n", f);
	fclose(f);
	assert_int_equal(chain_dump_pem(r.c, r.d.path), CS_OK);
	f = fopen(r.path, "r");
	assert_non_null(fgets(line, sizeof line, f));
	assert_string_equal(line, "kept\n");
	fclose(f);
	pem_done(&r);
}

/* Unparseable entries are written as CERTIFICATE blocks of the bytes sent. */
static void test_pem_raw_entries(void **state)
{
	(void)state;
	static const char *const names[] = {"leaf", "garbage", "truncated"};
	struct pem_run r;
	FILE *f = pem_dump(&r, names);

	for (size_t i = 0; i < 3; i++) {
		char *name = NULL, *header = NULL;
		unsigned char *data = NULL;
		long n = 0;

		assert_int_equal(PEM_read(f, &name, &header, &data, &n), 1);
		assert_string_equal(name, "CERTIFICATE");
		assert_string_equal(header, "");
		assert_int_equal(n, r.c->certs[i]->der_len);
		assert_memory_equal(data, r.c->certs[i]->der, r.c->certs[i]->der_len);
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
	}
	fclose(f);
	pem_done(&r);
}

static void test_pem_errors(void **state)
{
	(void)state;
	static const char *const leaf = "leaf";
	struct cs_chain_store *st = chain_store_new(4, CS_CHAIN_MEMCAP);
	const struct cs_chain *c;
	char dir[PATH_MAX + 8];
	bool added;

	assert_int_equal(intern_names(st, &leaf, 1, &c, &added), CS_OK);
	errno = 0;
	assert_int_equal(chain_dump_pem(c, "/nonexistent/chainsniff"), CS_IO);
	assert_int_equal(errno, ENOENT);
	memset(dir, 'a', sizeof dir - 1);
	dir[sizeof dir - 1] = '\0';
	assert_int_equal(chain_dump_pem(c, dir), CS_IO);
	assert_int_equal(errno, ENAMETOOLONG);
	chain_store_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_free_null),
		cmocka_unit_test(test_intern_twice),
		cmocka_unit_test(test_order_matters),
		cmocka_unit_test(test_chain_hash),
		cmocka_unit_test(test_cert_fields),
		cmocka_unit_test(test_dates_beyond_utctime),
		cmocka_unit_test(test_unparseable_entries),
		cmocka_unit_test(test_trailing_byte),
		cmocka_unit_test(test_invalid_utf8_name),
		cmocka_unit_test(test_name_controls),
		cmocka_unit_test(test_truncations_and_flips),
		cmocka_unit_test(test_cap_max_chains),
		cmocka_unit_test(test_cap_memcap),
		cmocka_unit_test(test_cap_memcap_shared_cert),
		cmocka_unit_test(test_cap_memcap_duplicate_in_chain),
		cmocka_unit_test(test_store_bytes),
		cmocka_unit_test(test_cap_chain_length),
		cmocka_unit_test(test_shared_cert_stored_once),
		cmocka_unit_test(test_cert_facts_idempotent),
		cmocka_unit_test(test_hint),
		cmocka_unit_test(test_hint_lengths),
		cmocka_unit_test(test_pem_roundtrip),
		cmocka_unit_test(test_pem_raw_entries),
		cmocka_unit_test(test_pem_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
