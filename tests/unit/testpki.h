/*
 * testpki.h - certificates for the unit tests: the lab PKI's PEM files
 * (pcaps/lab/pki, see its CERTS.txt) and small certificates made in memory
 * with libcrypto (keys, names, CA flag, validity and signer chosen by the
 * test).  Header-only (static inline) so that each test stays one file;
 * every failure is a cmocka failure.  Include after <cmocka.h>.
 */
#ifndef TESTPKI_H
#define TESTPKI_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cs_chain.h"
#include "cs_codec.h"

#define TP_PKI "pcaps/lab/pki/"
#define TP_2025 1735689600LL /* 2025-01-01T00:00:00Z */
#define TP_2035 2051222400LL /* 2035-01-01T00:00:00Z */

/* pcaps/lab/pki/NAME followed by ext (or NAME itself when it holds a '/'). */
static inline void tp_path(const char *name, const char *ext, char *out, size_t len)
{
	if (strchr(name, '/'))
		snprintf(out, len, "%s", name);
	else
		snprintf(out, len, TP_PKI "%s%s", name, ext);
}

/* The first PEM object of tp_path(name): a private key (NAME.key) if key,
 * else a certificate (NAME.pem). */
static inline void *tp_pem_read(const char *name, bool key)
{
	char path[512];
	FILE *f;
	void *p;

	tp_path(name, key ? ".key" : ".pem", path, sizeof path);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	p = key ? (void *)PEM_read_PrivateKey(f, NULL, NULL, NULL)
		: (void *)PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!p)
		fail_msg("%s: no %s", path, key ? "private key" : "certificate");
	return p;
}

/* pcaps/lab/pki/NAME.pem (or NAME itself when it holds a '/'). */
static inline X509 *tp_pem(const char *name) { return tp_pem_read(name, false); }

/* pcaps/lab/pki/NAME.key (or NAME itself when it holds a '/'). */
static inline EVP_PKEY *tp_pem_key(const char *name) { return tp_pem_read(name, true); }

/* A fresh EC key on a named curve ("P-256", "P-384"). */
static inline EVP_PKEY *tp_ec_key(const char *curve)
{
	EVP_PKEY *k = EVP_EC_gen(curve);

	assert_non_null(k);
	return k;
}

/* A fresh RSA key of that many bits. */
static inline EVP_PKEY *tp_rsa_key(unsigned bits)
{
	EVP_PKEY *k = EVP_RSA_gen(bits);

	assert_non_null(k);
	return k;
}

/* k's public key again, its SubjectPublicKeyInfo carrying explicit curve
 * parameters instead of the curve's name (the CurveBall shape). */
static inline EVP_PKEY *tp_explicit_copy(EVP_PKEY *k)
{
	EVP_PKEY *e = EVP_PKEY_dup(k);

	assert_non_null(e);
	assert_int_equal(EVP_PKEY_set_utf8_string_param(e, "encoding", "explicit"), 1);
	return e;
}

struct tp_spec {
	const char *subject_cn;
	const char *issuer_cn; /* NULL: self-issued */
	EVP_PKEY *pub;         /* the certificate's key */
	EVP_PKEY *signer;      /* the key that signs it */
	long serial;
	bool ca;
	const char *dns;               /* a subjectAltName dNSName, or NULL */
	int64_t not_before, not_after; /* 0: 2025-01-01 .. 2035-01-01 */
};

static inline void tp_name(X509_NAME *n, const char *cn)
{
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8,
						    (const unsigned char *)"chainsniff unit", -1,
						    -1, 0),
			 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_UTF8,
						    (const unsigned char *)cn, -1, -1, 0),
			 1);
}

static inline void tp_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX v3;
	X509_EXTENSION *e;

	X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
	e = X509V3_EXT_conf_nid(NULL, &v3, nid, value);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
}

/* A v3 certificate as the spec says, signed with SHA-256 (ECDSA or RSA). */
static inline X509 *tp_cert(const struct tp_spec *s)
{
	X509 *x = X509_new();
	ASN1_TIME *nb = ASN1_TIME_set(NULL, (time_t)(s->not_before ? s->not_before : TP_2025));
	ASN1_TIME *na = ASN1_TIME_set(NULL, (time_t)(s->not_after ? s->not_after : TP_2035));

	assert_non_null(x);
	assert_non_null(nb);
	assert_non_null(na);
	assert_int_equal(X509_set_version(x, X509_VERSION_3), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), s->serial), 1);
	tp_name(X509_get_subject_name(x), s->subject_cn);
	tp_name(X509_get_issuer_name(x), s->issuer_cn ? s->issuer_cn : s->subject_cn);
	assert_int_equal(X509_set1_notBefore(x, nb), 1);
	assert_int_equal(X509_set1_notAfter(x, na), 1);
	assert_int_equal(X509_set_pubkey(x, s->pub), 1);
	if (s->ca) {
		tp_ext(x, NID_basic_constraints, "critical,CA:TRUE");
		tp_ext(x, NID_key_usage, "critical,keyCertSign,cRLSign");
	} else {
		tp_ext(x, NID_basic_constraints, "critical,CA:FALSE");
		tp_ext(x, NID_ext_key_usage, "serverAuth");
	}
	if (s->dns) {
		char san[300];

		snprintf(san, sizeof san, "DNS:%s", s->dns);
		tp_ext(x, NID_subject_alt_name, san);
	}
	if (X509_sign(x, s->signer, EVP_sha256()) <= 0)
		fail_msg("X509_sign %s", s->subject_cn);
	ASN1_TIME_free(nb);
	ASN1_TIME_free(na);
	return x;
}

/* The DER of x, malloc'd. */
static inline uint8_t *tp_der(X509 *x, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	uint8_t *out;

	assert_true(n > 0);
	out = malloc((size_t)n);
	assert_non_null(out);
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return out;
}

/* Intern the chain of the n malloc'd DER entries in s into st, and free
 * them (the store keeps its own copy). */
static inline const struct cs_chain *tp_intern_der(struct cs_chain_store *st, struct cs_slice *s,
						   size_t n)
{
	const struct cs_chain *c = NULL;
	bool added;

	assert_int_equal(chain_store_intern(st, s, n, &c, &added), CS_OK);
	for (size_t i = 0; i < n; i++)
		free((void *)(uintptr_t)s[i].p);
	assert_non_null(c);
	assert_int_equal(c->n_certs, n);
	return c;
}

/* Intern the chain of n certificates into st. */
static inline const struct cs_chain *tp_intern(struct cs_chain_store *st, X509 *const *xs, size_t n)
{
	struct cs_slice s[CS_MAX_CHAIN_CERTS];

	assert_true(n <= CS_MAX_CHAIN_CERTS);
	for (size_t i = 0; i < n; i++)
		s[i].p = tp_der(xs[i], &s[i].n);
	return tp_intern_der(st, s, n);
}

/* SHA-256 of n bytes. */
static inline void tp_sha256(const void *p, size_t n, uint8_t out[CS_SHA256_LEN])
{
	assert_int_equal(EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL), 1);
}

#endif
