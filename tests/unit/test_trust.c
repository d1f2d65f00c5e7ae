/*
 * test_trust.c - trust anchors (cs_trust.h) from the lab PKI
 * (pcaps/lab/pki): a PEM bundle, a directory of *.pem and *.crt files, a
 * c_rehash-style directory read through its hash links only, --add-ca
 * added to a store, the system store as OpenSSL finds it (SSL_CERT_FILE);
 * the digest is over the sorted anchor fingerprints (the same roots in any
 * order, file or directory, give the same digest; a duplicate counts
 * once); anchors are found by the SHA-256 of their DER and as the issuers
 * of a certificate; each failure names the file and why.
 * Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cs_certcache.h"
#include "cs_codec.h"
#include "cs_trust.h"
#include "testpki.h"

#define BUNDLE "pcaps/lab/pki/trust.pem" /* the lab root and the lab ECDSA root */
#define ROOT_SHA "ebff176dea1f142fa10450cf936474990b54a989a5fd7eda7de770eac19b45de"
#define ECROOT_SHA "55cca26c4959231e4581abf4e9d095cf50ab1f3ab9f9c997a1e726943d003042"

#define TMPDIR_NAME "test_trust"
#include "tmpdir.h"

static struct cs_trust *load(struct trust_opts *o)
{
	struct cs_trust *t;
	char err[512];

	if (trust_load(o, &t, err, sizeof(err)) != CS_OK)
		fail_msg("trust_load: %s", err);
	return t;
}

static void sha(const char *hex, uint8_t out[32])
{
	assert_true(hex_parse_lower(hex, 64, out, 32));
}

static void copy(const char *from, const char *to)
{
	char cmd[2 * PATH_MAX];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	assert_int_equal(system(cmd), 0);
}

/* The CA directory dir/sub (its path in out) with the lab's root.pem and
 * ecroot.pem under the names root_as and ecroot_as, and alone.pem under
 * junk_as: a name the store must pass over. */
static void ca_dir(char *out, size_t len, const char *sub, const char *root_as,
		   const char *ecroot_as, const char *junk_as)
{
	static const char *const from[3] = {"pcaps/lab/pki/root.pem", "pcaps/lab/pki/ecroot.pem",
					    "pcaps/lab/pki/alone.pem"};
	const char *const as[3] = {root_as, ecroot_as, junk_as};
	char path[PATH_MAX];

	snprintf(out, len, "%s/%s", dir, sub);
	assert_int_equal(mkdir(out, 0755), 0);
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s", out, as[i]);
		copy(from[i], path);
	}
}

static void test_bundle(void **state)
{
	struct trust_opts o = {.ca_files = {BUNDLE}, .n_ca_files = 1};
	struct cs_trust *t = load(&o);
	uint8_t root[32], ec[32], leaf[32];
	uint8_t hex[32];

	(void)state;
	assert_int_equal(trust_count(t), 2);
	assert_string_equal(trust_name(t), "file: " BUNDLE);
	assert_int_equal(strlen(trust_digest(t)), 64);
	assert_true(hex_parse_lower(trust_digest(t), 64, hex, 32));
	sha(ROOT_SHA, root);
	sha(ECROOT_SHA, ec);
	sha("cd846d6d764393bd2d97ae62b5a9f778a92fba76af8027273768989f8bb193d3",
	    leaf); /* alone.pem */
	assert_true(trust_contains_der(t, root));
	assert_true(trust_contains_der(t, ec));
	assert_false(trust_contains_der(t, leaf));
	assert_non_null(trust_anchor_by_der(t, root));
	assert_null(trust_anchor_by_der(t, leaf));
	trust_free(t);
	trust_free(NULL);
}

/* The same roots, however given, are the same store. */
static void test_digest_is_the_roots(void **state)
{
	char rev[PATH_MAX], d1[PATH_MAX], d2[PATH_MAX];
	struct trust_opts a = {.ca_files = {BUNDLE}, .n_ca_files = 1};
	struct trust_opts twice = {.ca_files = {BUNDLE, BUNDLE}, .n_ca_files = 2};
	struct trust_opts reversed = {.n_ca_files = 1};
	struct trust_opts in_dir = {.n_ca_dirs = 1};
	struct trust_opts hashed = {.n_ca_dirs = 1};
	struct cs_trust *ta, *tt, *tr, *td, *th;
	char cmd[2 * PATH_MAX];

	(void)state;
	snprintf(rev, sizeof(rev), "%s/reversed.pem", dir);
	snprintf(cmd, sizeof(cmd), "cat pcaps/lab/pki/ecroot.pem pcaps/lab/pki/root.pem > '%s'",
		 rev);
	assert_int_equal(system(cmd), 0);
	reversed.ca_files[0] = rev;
	/* README.txt is neither .pem nor .crt: not read */
	ca_dir(d1, sizeof(d1), "plain", "root.pem", "ecroot.crt", "README.txt");
	in_dir.ca_dirs[0] = d1;
	/* a c_rehash directory: the hash links are read, the .pem beside them not */
	ca_dir(d2, sizeof(d2), "hashed", "0a1b2c3d.0", "0a1b2c3e.0", "alone.pem");
	hashed.ca_dirs[0] = d2;
	ta = load(&a), tt = load(&twice), tr = load(&reversed), td = load(&in_dir),
	th = load(&hashed);
	assert_int_equal(trust_count(tt), 2); /* a duplicate counts once */
	assert_int_equal(trust_count(td), 2);
	assert_int_equal(trust_count(th), 2);
	assert_string_equal(trust_digest(ta), trust_digest(tt));
	assert_string_equal(trust_digest(ta), trust_digest(tr));
	assert_string_equal(trust_digest(ta), trust_digest(td));
	assert_string_equal(trust_digest(ta), trust_digest(th));
	assert_non_null(strstr(trust_name(td), "dir: "));
	trust_free(ta), trust_free(tt), trust_free(tr), trust_free(td), trust_free(th);
}

static void test_add_ca(void **state)
{
	struct trust_opts a = {.ca_files = {BUNDLE}, .n_ca_files = 1};
	struct trust_opts b = {.ca_files = {BUNDLE},
			       .n_ca_files = 1,
			       .add_cas = {"pcaps/lab/pki/evilroot.pem"},
			       .n_add_cas = 1};
	struct cs_trust *ta = load(&a), *tb = load(&b);

	(void)state;
	assert_int_equal(trust_count(tb), 3);
	assert_string_not_equal(trust_digest(ta), trust_digest(tb));
	assert_string_equal(trust_name(tb), "file: " BUNDLE "; add: pcaps/lab/pki/evilroot.pem");
	trust_free(ta), trust_free(tb);
}

/* The system store: SSL_CERT_FILE, as OpenSSL and curl read it. */
static void test_system(void **state)
{
	struct trust_opts o = {0};
	struct cs_trust *t;

	(void)state;
	setenv("SSL_CERT_FILE", BUNDLE, 1);
	unsetenv("SSL_CERT_DIR");
	t = load(&o);
	assert_int_equal(trust_count(t), 2);
	assert_string_equal(trust_name(t), "system: " BUNDLE);
	trust_free(t);
	unsetenv("SSL_CERT_FILE");
}

/* The anchors that may have issued a certificate, by its issuer name. */
static void test_issuers(void **state)
{
	struct trust_opts o = {.ca_files = {BUNDLE}, .n_ca_files = 1};
	struct cs_trust *t = load(&o);
	const struct cs_x509 *found[4];
	X509 *alone = tp_pem("alone"), *evil = tp_pem("evil");
	uint8_t root[32];

	(void)state;
	sha(ROOT_SHA, root);
	assert_int_equal(trust_issuers_of(t, alone, found, 4), 1);
	assert_memory_equal(found[0]->sha256, root, 32);
	assert_int_equal(trust_issuers_of(t, evil, found, 4), 0);
	X509_free(alone);
	X509_free(evil);
	trust_free(t);
}

static void test_failures(void **state)
{
	static const struct {
		const char *file, *dir, *message;
	} bad[] = {
		{"/nonexistent/roots.pem", NULL,
		 "/nonexistent/roots.pem: No such file or directory"},
		{"pcaps/lab/pki/root.key", NULL,
		 "pcaps/lab/pki/root.key: no PEM certificates in this file"},
		{NULL, "/nonexistent-dir", "/nonexistent-dir: No such file or directory"},
		{NULL, "tests/unit", "tests/unit: no certificates found"},
	};
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct trust_opts o = {0};
		struct cs_trust *t = NULL;

		if (bad[i].file)
			o.ca_files[o.n_ca_files++] = bad[i].file;
		else
			o.ca_dirs[o.n_ca_dirs++] = bad[i].dir;
		assert_int_not_equal(trust_load(&o, &t, err, sizeof(err)), CS_OK);
		assert_null(t);
		if (!strstr(err, bad[i].message))
			fail_msg("got \"%s\", wanted \"%s\"", err, bad[i].message);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bundle),  cmocka_unit_test(test_digest_is_the_roots),
		cmocka_unit_test(test_add_ca),  cmocka_unit_test(test_system),
		cmocka_unit_test(test_issuers), cmocka_unit_test(test_failures),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
