/*
 * test_timeline.c - the root-store timeline (cs_timeline.h).
 * The built-in data: roots added, removed, removed and re-added, with a
 * distrust-after date, sharing a key, unknown; windows over which the store
 * does not change; the store as it stood on a date; every root's key and
 * subject usable by OpenSSL.  A small replacement file: parsed exactly,
 * refused cleanly at every truncation, survives every byte flipped, and a
 * table of targeted corruptions each refused with a message naming the
 * value.  Run under ASan with `make check SANITIZE=1`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "cs_limits.h"
#include "cs_timeline.h"

static int64_t day(int y, int m, int d)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};

	return (int64_t)timegm(&tm);
}

static void unhex(const char *s, uint8_t out[32])
{
	for (size_t i = 0; i < 32; i++) {
		unsigned v;

		assert_int_equal(sscanf(s + 2 * i, "%2x", &v), 1);
		out[i] = (uint8_t)v;
	}
}

static const struct timeline_root *by_cert(const struct cs_timeline *t, const char *hex)
{
	uint8_t sha[32];

	unhex(hex, sha);
	return timeline_by_cert(t, sha);
}

static struct cs_timeline *builtin(void)
{
	struct cs_timeline *t = NULL;
	char err[256] = "";

	assert_int_equal(timeline_load_builtin(&t, err, sizeof(err)), CS_OK);
	assert_non_null(t);
	assert_string_equal(err, "");
	return t;
}

#define G5 "9acfab7e43c8d880d06b262a94deeee4b4659989c3d0caf19baf6405e41ab7df"
#define EQUIFAX "08297a4047dba23680c731db6e317653ca7848e1bebd3a0b0179a707f92cf178"
#define DST_X3 "0687260331a72403d909f105e69bcf0d32e1bd2493ffc6d9206d11bcd6770739"
#define ADDTRUST "687fa451382278fff0c8b11f8d43d576671c6eb2bceab413fb83d965d06d2ff2"
#define GS_R3 "cbb522d7b7f127ad6a0113865bdf1cd4102e7d0759af635a7cf4720dc963c53b"
#define ISRG_X1 "96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6"
#define R4_OLD "bec94911c2955676db6c0a550986d76e3ba005667c442c9762b4fbb773de228c"
#define R4_NEW "b085d70b964f191a73e4af0d54ae7a0e07aafdaf9b71dd0862138ab7325a24a2"
#define R4_SPKI "08b3a6335fce5ef48f8f0e543986c07fd18a3b1226129f61864bbd5bdd1f1cc9"
#define VERISIGN_PCA3 "e7685634efacf69ace939a6b255b7b4fabef42935b50a265acb5cb6027e44e70"
#define GTS_R4_OLD "71cca5391f9e794b04802530b363e121da8a3043bb26662fea4dca7fc951a4bd"

/* The store's window around when (the root's own when r is given). */
static void assert_window(const struct cs_timeline *t, const struct timeline_root *r, int64_t when,
			  int64_t want_from, int64_t want_until)
{
	int64_t from, until;

	if (r)
		timeline_root_window(r, when, &from, &until);
	else
		timeline_window(t, when, &from, &until);
	assert_int_equal(from, want_from);
	assert_int_equal(until, want_until);
}

/* ---- the built-in data ---------------------------------------------------------- */

static void test_builtin_loads(void **state)
{
	(void)state;
	struct cs_timeline *t = builtin();

	assert_string_equal(timeline_name(t), "built-in");
	assert_non_null(strstr(timeline_source(t), "NSS certdata.txt to "));
	assert_int_equal(strlen(timeline_digest(t)), 64);
	assert_true(timeline_count(t) > 300 && timeline_count(t) < CS_TIMELINE_MAX_ROOTS);
	assert_true(timeline_end(t) >= day(2026, 4, 9));
	assert_int_equal(timeline_start(t), day(2000, 10, 13)); /* NSS 3.1 */
	assert_null(timeline_root(t, timeline_count(t)));
	for (size_t i = 0; i < timeline_count(t); i++) {
		const struct timeline_root *r = timeline_root(t, i);

		/* every root is found again by its certificate and by its key */
		assert_ptr_equal(timeline_by_cert(t, r->cert_sha256), r);
		const struct timeline_root *same[4];
		size_t n = timeline_by_spki(t, r->spki_sha256, same, 4);
		bool found = false;

		assert_true(n >= 1 && n <= 4);
		for (size_t k = 0; k < n; k++)
			found |= same[k] == r;
		assert_true(found);
		assert_true(r->intervals[0].from >= timeline_start(t));
		assert_true(r->not_before < r->not_after);
	}
	timeline_free(t);
}

/* A removed root can still be an anchor: its key and name parse. */
static void test_builtin_keys_and_names_parse(void **state)
{
	(void)state;
	struct cs_timeline *t = builtin();

	for (size_t i = 0; i < timeline_count(t); i++) {
		const struct timeline_root *r = timeline_root(t, i);
		const unsigned char *p = r->spki.p;
		EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)r->spki.n);
		X509_NAME *nm;
		char buf[1024];
		BIO *b = BIO_new(BIO_s_mem());
		int len;

		assert_non_null(k);
		assert_ptr_equal(p, r->spki.p + r->spki.n);
		EVP_PKEY_free(k);
		p = r->subject_der.p;
		nm = d2i_X509_NAME(NULL, &p, (long)r->subject_der.n);
		assert_non_null(nm);
		assert_ptr_equal(p, r->subject_der.p + r->subject_der.n);
		/* the RFC 4514 text is the DER's, as OpenSSL prints it */
		assert_true(X509_NAME_print_ex(b, nm, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >=
			    0);
		len = BIO_read(b, buf, sizeof(buf) - 1);
		assert_true(len > 0);
		buf[len] = '\0';
		assert_string_equal(buf, r->subject);
		BIO_free(b);
		X509_NAME_free(nm);
	}
	timeline_free(t);
}

static void test_removed_with_distrust_after(void **state)
{
	(void)state;
	struct cs_timeline *t = builtin();
	const struct timeline_root *r = by_cert(t, G5);
	const char *rel = NULL;
	int64_t left = 0;

	assert_non_null(r);
	assert_string_equal(r->label,
			    "VeriSign Class 3 Public Primary Certification Authority - G5");
	assert_non_null(strstr(r->subject,
			       "CN=VeriSign Class 3 Public Primary Certification Authority - G5"));
	assert_true(timeline_in_store(r, day(2008, 6, 1)));
	assert_true(timeline_in_store(r, day(2019, 5, 3)));
	assert_false(timeline_in_store(r, day(2008, 5, 27)));
	assert_false(timeline_in_store(r, day(2021, 1, 1)));
	assert_true(timeline_left(r, &left, &rel));
	assert_int_equal(left, day(2020, 12, 11));
	assert_string_equal(rel, "NSS 3.60");
	/* the day it left: out ([from, until)); the day before: in */
	assert_false(timeline_in_store(r, left));
	assert_true(timeline_in_store(r, left - 1));
	assert_true(timeline_left(r, &left, NULL));

	/* certdata.txt carried the Symantec distrust-after dates from NSS 3.53 */
	assert_true(r->has_distrust_after);
	assert_int_equal(r->distrust_after, day(2019, 4, 30));
	assert_int_equal(r->distrust_since, day(2020, 5, 29));
	assert_string_equal(r->distrust_since_release, "NSS 3.53");
	assert_true(timeline_distrusts(r, day(2019, 6, 1), day(2020, 6, 1)));
	assert_false(timeline_distrusts(r, day(2019, 4, 30), day(2020, 6, 1))); /* not after */
	assert_false(timeline_distrusts(r, day(2018, 1, 1), day(2020, 6, 1)));
	assert_false(timeline_distrusts(r, day(2019, 6, 1), day(2020, 5, 28))); /* not yet set */
	timeline_free(t);
}

static void test_removed_and_readded(void **state)
{
	(void)state;
	struct cs_timeline *t = builtin();
	const struct timeline_root *r = by_cert(t, EQUIFAX);
	const struct timeline_interval *iv;
	int64_t left;

	assert_non_null(r);
	assert_int_equal(r->n_intervals, 2);
	assert_true(timeline_in_store(r, day(2014, 1, 1)));
	assert_false(timeline_in_store(r, day(2015, 4, 1))); /* NSS 3.18 removed it */
	assert_true(timeline_in_store(r, day(2015, 5, 1)));  /* 3.18.1 put it back */
	assert_false(timeline_in_store(r, day(2016, 1, 1))); /* 3.21 removed it again */
	iv = timeline_interval_at(r, day(2015, 5, 1));
	assert_ptr_equal(iv, &r->intervals[1]);
	assert_int_equal(iv->from, day(2015, 4, 20));
	assert_string_equal(iv->from_release, "NSS 3.18.1");
	assert_int_equal(iv->until, day(2015, 11, 9));
	assert_string_equal(iv->until_release, "NSS 3.21");
	assert_null(timeline_interval_at(r, day(2015, 4, 1)));
	assert_true(timeline_left(r, &left, NULL));
	assert_int_equal(left, day(2015, 11, 9));
	assert_false(r->has_distrust_after);
	assert_false(timeline_distrusts(r, day(2015, 6, 1), day(2015, 6, 1)));

	/* the root's own window: in the gap, between its two stays */
	assert_window(t, r, day(2015, 4, 1), day(2015, 3, 16), day(2015, 4, 20));
	assert_window(t, r, day(2030, 1, 1), day(2015, 11, 9), INT64_MAX);
	assert_window(t, r, day(1990, 1, 1), INT64_MIN, r->intervals[0].from);
	timeline_free(t);
}

static void test_expired_roots_left(void **state)
{
	(void)state;
	struct cs_timeline *t = builtin();
	const struct timeline_root *dst = by_cert(t, DST_X3), *add = by_cert(t, ADDTRUST);
	int64_t left;

	/* DST Root CA X3 expired 2021-09-30; NSS 3.74 removed it */
	assert_non_null(dst);
	assert_int_equal(dst->not_after, day(2021, 9, 30) + 14 * 3600 + 60 + 15);
	assert_int_equal(dst->not_before, day(2000, 9, 30) + 21 * 3600 + 12 * 60 + 19);
	assert_true(timeline_in_store(dst, day(2021, 9, 30)));
	assert_true(timeline_left(dst, &left, NULL));
	assert_int_equal(left, day(2022, 1, 6));
	/* AddTrust External CA Root expired 2020-05-30; NSS 3.54 removed it */
	assert_non_null(add);
	assert_int_equal(add->not_after, day(2020, 5, 30) + 10 * 3600 + 48 * 60 + 38);
	assert_true(timeline_in_store(add, day(2020, 5, 30)));
	assert_true(timeline_left(add, &left, NULL));
	assert_int_equal(left, day(2020, 6, 26));
	timeline_free(t);
}

static void test_added_and_still_in(void **state)
{
	(void)state;
	struct cs_timeline *t = builtin();
	const struct timeline_root *r3 = by_cert(t, GS_R3), *isrg = by_cert(t, ISRG_X1);
	int64_t left = 42;

	assert_non_null(r3);
	assert_false(timeline_in_store(r3, day(2010, 9, 15)));
	assert_true(timeline_in_store(r3, day(2010, 9, 16)));
	assert_true(timeline_in_store(r3, INT64_MAX - 1));
	assert_false(timeline_left(r3, &left, NULL));
	assert_int_equal(left, 42);
	assert_int_equal(r3->intervals[0].until, TIMELINE_OPEN);
	assert_null(r3->intervals[0].until_release);
	assert_non_null(isrg);
	assert_false(timeline_in_store(isrg, day(2016, 1, 1)));
	assert_true(timeline_in_store(isrg, day(2017, 1, 1)));
	timeline_free(t);
}

/* GlobalSign ECC R4: the same key in an old certificate (removed in NSS
 * 3.74) and a new one (added in 3.74). */
static void test_shared_key(void **state)
{
	(void)state;
	struct cs_timeline *t = builtin();
	const struct timeline_root *out[4], *one[1];
	uint8_t spki[32];

	unhex(R4_SPKI, spki);
	assert_int_equal(timeline_by_spki(t, spki, out, 4), 2);
	assert_ptr_equal(out[0], by_cert(t, R4_OLD)); /* ordered by first stay */
	assert_ptr_equal(out[1], by_cert(t, R4_NEW));
	assert_memory_equal(out[0]->spki.p, out[1]->spki.p, out[0]->spki.n);
	assert_true(timeline_in_store(out[0], day(2020, 1, 1)));
	assert_false(timeline_in_store(out[1], day(2020, 1, 1)));
	assert_false(timeline_in_store(out[0], day(2023, 1, 1)));
	assert_true(timeline_in_store(out[1], day(2023, 1, 1)));
	/* a short out array still gets the count */
	assert_int_equal(timeline_by_spki(t, spki, one, 1), 2);
	assert_ptr_equal(one[0], out[0]);
	assert_int_equal(timeline_by_spki(t, spki, NULL, 0), 2);
	timeline_free(t);
}

static void test_unknown_root(void **state)
{
	(void)state;
	struct cs_timeline *t = builtin();
	const struct timeline_root *out[2] = {NULL, NULL};
	uint8_t zero[32] = {0}, ff[32];

	memset(ff, 0xff, sizeof(ff));
	assert_null(timeline_by_cert(t, zero));
	assert_null(timeline_by_cert(t, ff));
	assert_int_equal(timeline_by_spki(t, zero, out, 2), 0);
	assert_int_equal(timeline_by_spki(t, ff, out, 2), 0);
	assert_null(out[0]);
	/* a key hash is not a certificate hash */
	assert_null(by_cert(t, R4_SPKI));
	timeline_free(t);
}

static size_t count_in_store(const struct cs_timeline *t, int64_t when)
{
	size_t n = 0;

	for (size_t i = 0; i < timeline_count(t); i++)
		n += timeline_in_store(timeline_root(t, i), when);
	return n;
}

static void test_store_at(void **state)
{
	(void)state;
	struct cs_timeline *t = builtin();
	int64_t when = day(2019, 5, 3);
	const struct timeline_root *r;
	size_t pos = 0, n = 0;
	bool saw_g5 = false, saw_r3 = false, saw_isrg = false, saw_equifax = false,
	     saw_pca3 = false;

	while ((r = timeline_next_in_store(t, when, &pos))) {
		assert_true(timeline_in_store(r, when));
		saw_g5 |= r == by_cert(t, G5);
		saw_r3 |= r == by_cert(t, GS_R3);
		saw_isrg |= r == by_cert(t, ISRG_X1);
		saw_equifax |= r == by_cert(t, EQUIFAX);
		n++;
	}
	assert_int_equal(n, count_in_store(t, when));
	assert_true(n > 120 && n < 200);
	assert_true(saw_g5 && saw_r3 && saw_isrg);
	assert_false(saw_equifax);
	assert_null(timeline_next_in_store(t, when, &pos)); /* stays at the end */
	/* a 2007 capture (zeek ssl.v3.pcap): the 1996 VeriSign class 3 root */
	pos = 0;
	while ((r = timeline_next_in_store(t, day(2007, 2, 5), &pos)))
		saw_pca3 |= r == by_cert(t, VERISIGN_PCA3);
	assert_true(saw_pca3);
	pos = 0;
	assert_null(timeline_next_in_store(t, day(1990, 1, 1), &pos));
	timeline_free(t);
}

static bool same_store(const struct cs_timeline *t, int64_t a, int64_t b)
{
	for (size_t i = 0; i < timeline_count(t); i++) {
		const struct timeline_root *r = timeline_root(t, i);

		if (timeline_in_store(r, a) != timeline_in_store(r, b) ||
		    (r->has_distrust_after &&
		     timeline_distrusts(r, INT64_MAX, a) != timeline_distrusts(r, INT64_MAX, b)))
			return false;
	}
	return true;
}

/* The store is the same over a window, and changes at its ends. */
static void test_windows(void **state)
{
	(void)state;
	struct cs_timeline *t = builtin();
	int64_t from, until, prev_until = INT64_MIN;
	size_t windows = 0;

	for (int64_t when = day(2005, 1, 1); when < day(2027, 1, 1); when += 86400 * 9 + 3607) {
		timeline_window(t, when, &from, &until);
		assert_true(from <= when && when < until);
		assert_true(same_store(t, when, from));
		assert_true(same_store(t, when, until - 1));
		if (from != INT64_MIN)
			assert_false(same_store(t, from, from - 1));
		if (until != INT64_MAX)
			assert_false(same_store(t, until - 1, until));
		if (until != prev_until)
			windows++;
		prev_until = until;
		/* each root's own window lies around the store's */
		for (size_t i = 0; i < timeline_count(t); i += 7) {
			int64_t rf, ru;

			timeline_root_window(timeline_root(t, i), when, &rf, &ru);
			assert_true(rf <= from && until <= ru);
		}
	}
	assert_true(windows > 50);
	timeline_window(t, INT64_MIN, &from, &until);
	assert_int_equal(from, INT64_MIN);
	timeline_window(t, INT64_MAX - 1, &from, &until);
	assert_int_equal(until, INT64_MAX);
	assert_true(from <= timeline_end(t));
	timeline_free(t);
}

/* ---- a small replacement file ----------------------------------------------------- */

/* Three real roots (GlobalSign ECC R4, old and new certificate, same key;
 * GTS Root R4's old certificate with made-up stays and distrust date). */
static const char small[] =
	"{\"format\":\"chainsniff-root-timeline\",\"version\":1,\n"
	"\"provenance\":{\"nss\":{\"last_commit\":\"b646e2b0089f3ef78c15ae1cd64a4b88d"
	"c9aeb24\",\"last_commit_date\":\"2026-04-09\",\"last_point\":\"NSS 3.123.1 ("
	"2026-04-23)\"}},\n"
	"\"roots\":[\n"
	"{\"label\":\"GlobalSign ECC Root CA - R4\",\"subject\":\"CN=GlobalSign,O=Glo"
	"balSign,OU=GlobalSign ECC Root CA - R4\",\"cert_sha256\":\"bec94911c2955676d"
	"b6c0a550986d76e3ba005667c442c9762b4fbb773de228c\",\"spki_sha256\":\"08b3a633"
	"5fce5ef48f8f0e543986c07fd18a3b1226129f61864bbd5bdd1f1cc9\",\"intervals\":[{"
	"\"from\":\"2014-12-01\",\"from_release\":\"NSS 3.17.3\",\"until\":\"2022-01-"
	"06\",\"until_release\":\"NSS 3.74\"}],\"server_distrust_after\":null,\"not_b"
	"efore\":\"2012-11-13T00:00:00Z\",\"not_after\":\"2038-01-19T03:14:07Z\",\"sp"
	"ki\":\"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEuMZ5049sJQ6fLjkZHAOkrprlOQcJFspjs"
	"bmG+IpXwVfOQvpzofdlQv8ewQCybnMO/8ch5RikqtlxP6jUuc6MHQ==\",\"subject_der\":\""
	"MFAxJDAiBgNVBAsTG0dsb2JhbFNpZ24gRUNDIFJvb3QgQ0EgLSBSNDETMBEGA1UEChMKR2xvYmFs"
	"U2lnbjETMBEGA1UEAxMKR2xvYmFsU2lnbg==\"},\n"
	"{\"label\":\"GlobalSign ECC Root CA - R4\",\"subject\":\"CN=GlobalSign,O=Glo"
	"balSign,OU=GlobalSign ECC Root CA - R4\",\"cert_sha256\":\"b085d70b964f191a7"
	"3e4af0d54ae7a0e07aafdaf9b71dd0862138ab7325a24a2\",\"spki_sha256\":\"08b3a633"
	"5fce5ef48f8f0e543986c07fd18a3b1226129f61864bbd5bdd1f1cc9\",\"intervals\":[{"
	"\"from\":\"2022-01-06\",\"from_release\":\"NSS 3.74\",\"until\":null,\"until"
	"_release\":null}],\"server_distrust_after\":null,\"not_before\":\"2012-11-13"
	"T00:00:00Z\",\"not_after\":\"2038-01-19T03:14:07Z\",\"spki\":\"MFkwEwYHKoZIz"
	"j0CAQYIKoZIzj0DAQcDQgAEuMZ5049sJQ6fLjkZHAOkrprlOQcJFspjsbmG+IpXwVfOQvpzofdlQ"
	"v8ewQCybnMO/8ch5RikqtlxP6jUuc6MHQ==\",\"subject_der\":\"MFAxJDAiBgNVBAsTG0ds"
	"b2JhbFNpZ24gRUNDIFJvb3QgQ0EgLSBSNDETMBEGA1UEChMKR2xvYmFsU2lnbjETMBEGA1UEAxMK"
	"R2xvYmFsU2lnbg==\"},\n"
	"{\"label\":\"GTS Root R4 (test: re-added, distrusted)\",\"subject\":\"CN=GTS"
	" Root R4,O=Google Trust Services LLC,C=US\",\"cert_sha256\":\"71cca5391f9e79"
	"4b04802530b363e121da8a3043bb26662fea4dca7fc951a4bd\",\"spki_sha256\":\"9847e"
	"5653e5e9e847516e5cb818606aa7544a19be67fd7366d506988e8d84347\",\"intervals\":"
	"[{\"from\":\"2018-12-07\",\"from_release\":\"NSS 3.41\",\"until\":\"2019-06-"
	"01\",\"until_release\":\"NSS 3.44\"},{\"from\":\"2020-01-01\",\"from_release"
	"\":\"NSS 3.49\",\"until\":null,\"until_release\":null}],\"server_distrust_af"
	"ter\":{\"after\":\"2021-01-01T00:00:00Z\",\"since\":\"2021-03-01\",\"since_r"
	"elease\":\"NSS 3.62\"},\"not_before\":\"2016-06-22T00:00:00Z\",\"not_after\""
	":\"2036-06-22T00:00:00Z\",\"spki\":\"MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE83Rzp2i"
	"LYK5DuDXFgTB7S0md+8FhzubeRr1r1WEYNa5A3XP3iZEwWus87oV8okB2O6nGuEfYKueSkWpz6bF"
	"yOZ8pn6KY019eWIZlD6GEZQbR3IvJx3PIjGov5cSr0R2K\",\"subject_der\":\"MEcxCzAJBg"
	"NVBAYTAlVTMSIwIAYDVQQKExlHb29nbGUgVHJ1c3QgU2VydmljZXMgTExDMRQwEgYDVQQDEwtHVF"
	"MgUm9vdCBSNA==\"}\n"
	"]}\n";

static struct cs_timeline *parse(const char *s, size_t n, enum cs_status want, char *err,
				 size_t errlen)
{
	struct cs_timeline *t = (struct cs_timeline *)1;

	err[0] = '\0';
	enum cs_status st = timeline_parse((const uint8_t *)s, n, "small.json", &t, err, errlen);
	if (st != want)
		fail_msg("got %d \"%s\", want %d", st, err, want);
	if (want == CS_OK) {
		assert_non_null(t);
		assert_string_equal(err, "");
	} else {
		assert_null(t);
		/* one line naming the file */
		assert_true(strncmp(err, "small.json: ", 12) == 0);
		assert_null(strchr(err, '\n'));
	}
	return t;
}

static void test_small_parsed_exactly(void **state)
{
	(void)state;
	char err[256];
	struct cs_timeline *t = parse(small, sizeof(small) - 1, CS_OK, err, sizeof(err));
	const struct timeline_root *a, *b, *c, *out[3];
	uint8_t spki[32];
	size_t pos = 0;

	assert_int_equal(timeline_count(t), 3);
	assert_string_equal(timeline_name(t), "small.json");
	assert_string_equal(timeline_source(t), "NSS certdata.txt to b646e2b0089f (2026-04-09), "
						"last store change NSS 3.123.1 (2026-04-23)");
	a = timeline_root(t, 0);
	b = timeline_root(t, 1);
	c = timeline_root(t, 2);
	assert_ptr_equal(by_cert(t, R4_OLD), a);
	assert_ptr_equal(by_cert(t, R4_NEW), b);
	assert_ptr_equal(by_cert(t, GTS_R4_OLD), c);
	assert_string_equal(a->label, "GlobalSign ECC Root CA - R4");
	assert_string_equal(a->subject,
			    "CN=GlobalSign,O=GlobalSign,OU=GlobalSign ECC Root CA - R4");
	assert_int_equal(a->spki.n, 91);
	assert_int_equal(a->subject_der.n, 82);
	assert_int_equal(a->spki.p[0], 0x30);
	unhex(R4_SPKI, spki);
	assert_memory_equal(a->spki_sha256, spki, 32);
	assert_int_equal(timeline_by_spki(t, spki, out, 3), 2);
	assert_int_equal(a->n_intervals, 1);
	assert_int_equal(a->intervals[0].from, day(2014, 12, 1));
	assert_int_equal(a->intervals[0].until, day(2022, 1, 6));
	assert_string_equal(a->intervals[0].from_release, "NSS 3.17.3");
	assert_string_equal(a->intervals[0].until_release, "NSS 3.74");
	assert_int_equal(b->intervals[0].until, TIMELINE_OPEN);
	assert_false(a->has_distrust_after);
	assert_null(a->distrust_since_release);
	assert_int_equal(a->not_before, day(2012, 11, 13));
	assert_int_equal(a->not_after, day(2038, 1, 19) + 3 * 3600 + 14 * 60 + 7);

	assert_int_equal(c->n_intervals, 2);
	assert_true(timeline_in_store(c, day(2019, 1, 1)));
	assert_false(timeline_in_store(c, day(2019, 6, 1)));
	assert_true(timeline_in_store(c, day(2020, 1, 1)));
	assert_true(c->has_distrust_after);
	assert_int_equal(c->distrust_after, day(2021, 1, 1));
	assert_true(timeline_distrusts(c, day(2021, 1, 1) + 1, day(2021, 3, 1)));
	assert_false(timeline_distrusts(c, day(2021, 1, 1) + 1, day(2021, 3, 1) - 1));
	assert_false(timeline_distrusts(c, day(2021, 1, 1), day(2022, 1, 1)));

	/* every date the store changed, and nothing else, bounds a window */
	/* the distrust date takes effect on 2021-03-01 */
	assert_window(t, NULL, day(2020, 6, 1), day(2020, 1, 1), day(2021, 3, 1));
	assert_window(t, NULL, day(2021, 3, 1), day(2021, 3, 1), day(2022, 1, 6));
	assert_window(t, NULL, day(2022, 1, 6), day(2022, 1, 6), INT64_MAX);
	assert_window(t, NULL, day(2010, 1, 1), INT64_MIN, day(2014, 12, 1));
	/* c's own: its second stay, until the distrust date */
	assert_window(t, c, day(2020, 6, 1), day(2020, 1, 1), day(2021, 3, 1));
	assert_window(t, a, day(2020, 6, 1), day(2014, 12, 1), day(2022, 1, 6));
	assert_int_equal(timeline_end(t), day(2026, 4, 9));
	assert_int_equal(timeline_start(t), day(2014, 12, 1));

	assert_ptr_equal(timeline_next_in_store(t, day(2019, 1, 1), &pos), a);
	assert_ptr_equal(timeline_next_in_store(t, day(2019, 1, 1), &pos), c);
	assert_null(timeline_next_in_store(t, day(2019, 1, 1), &pos));
	timeline_free(t);
}

static void assert_same_timeline(const struct cs_timeline *x, const struct cs_timeline *y)
{
	assert_int_equal(timeline_count(x), timeline_count(y));
	assert_string_equal(timeline_source(x), timeline_source(y));
	for (size_t i = 0; i < timeline_count(x); i++) {
		const struct timeline_root *a = timeline_root(x, i), *b = timeline_root(y, i);

		assert_memory_equal(a->cert_sha256, b->cert_sha256, 32);
		assert_memory_equal(a->spki_sha256, b->spki_sha256, 32);
		assert_int_equal(a->spki.n, b->spki.n);
		assert_memory_equal(a->spki.p, b->spki.p, a->spki.n);
		assert_int_equal(a->subject_der.n, b->subject_der.n);
		assert_memory_equal(a->subject_der.p, b->subject_der.p, a->subject_der.n);
		assert_string_equal(a->subject, b->subject);
		assert_string_equal(a->label, b->label);
		assert_int_equal(a->n_intervals, b->n_intervals);
		for (size_t k = 0; k < a->n_intervals; k++) {
			assert_int_equal(a->intervals[k].from, b->intervals[k].from);
			assert_int_equal(a->intervals[k].until, b->intervals[k].until);
		}
		assert_int_equal(a->has_distrust_after, b->has_distrust_after);
		assert_int_equal(a->distrust_after, b->distrust_after);
		assert_int_equal(a->distrust_since, b->distrust_since);
		assert_int_equal(a->not_before, b->not_before);
		assert_int_equal(a->not_after, b->not_after);
	}
}

/* Every prefix is refused with one line, or (past the closing brace) is
 * the whole file. */
static void test_small_every_truncation(void **state)
{
	(void)state;
	char err[256];
	size_t n = sizeof(small) - 1, ok = 0;
	struct cs_timeline *full = parse(small, n, CS_OK, err, sizeof(err));

	for (size_t len = 0; len <= n; len++) {
		char *copy = malloc(len ? len : 1); /* exact size: ASan sees any overread */
		struct cs_timeline *t = NULL;
		enum cs_status st;

		memcpy(copy, small, len);
		err[0] = '\0';
		st = timeline_parse((const uint8_t *)copy, len, "small.json", &t, err, sizeof(err));
		if (st == CS_OK) {
			assert_same_timeline(full, t);
			ok++;
		} else {
			assert_int_equal(st, CS_BAD);
			assert_null(t);
			assert_true(strncmp(err, "small.json: ", 12) == 0);
		}
		timeline_free(t);
		free(copy);
	}
	assert_int_equal(ok, 2); /* with and without the final newline */
	timeline_free(full);
}

/* Any single byte changed: refused cleanly, or a timeline whose invariants
 * hold. */
static void test_small_every_byte_flipped(void **state)
{
	(void)state;
	static const uint8_t subst[] = {0x00, '"', '0', '9', 'A', '}', 0x7f, 0xff, ' ', '\\'};
	size_t n = sizeof(small) - 1, accepted = 0;
	char *copy = malloc(n), err[256];

	for (size_t i = 0; i < n; i++)
		for (size_t s = 0; s < sizeof(subst); s++) {
			struct cs_timeline *t = NULL;

			memcpy(copy, small, n);
			if ((uint8_t)copy[i] == subst[s])
				continue;
			copy[i] = (char)subst[s];
			if (timeline_parse((const uint8_t *)copy, n, "x", &t, err, sizeof(err)) !=
			    CS_OK) {
				assert_null(t);
				continue;
			}
			accepted++;
			for (size_t k = 0; k < timeline_count(t); k++) {
				const struct timeline_root *r = timeline_root(t, k);

				assert_true(r->n_intervals >= 1);
				for (size_t j = 0; j < r->n_intervals; j++) {
					assert_true(r->intervals[j].from < r->intervals[j].until);
					if (j)
						assert_true(r->intervals[j - 1].until <=
							    r->intervals[j].from);
				}
				assert_ptr_equal(timeline_by_cert(t, r->cert_sha256), r);
			}
			timeline_free(t);
		}
	assert_true(accepted > 0); /* labels, subjects and release names may change */
	free(copy);
}

/* Replace the first occurrence of from in small by to. */
static char *edit(const char *from, const char *to)
{
	const char *at = strstr(small, from);
	size_t n = strlen(small) - strlen(from) + strlen(to);
	char *s = malloc(n + 1);

	assert_non_null(at);
	snprintf(s, n + 1, "%.*s%s%s", (int)(at - small), small, to, at + strlen(from));
	return s;
}

struct corruption {
	const char *from, *to;
	enum cs_status st;
	const char *msg; /* after "small.json: " */
};

static void test_small_corruptions(void **state)
{
	(void)state;
	static const struct corruption table[] = {
		{"chainsniff-root-timeline", "chainsniff-state", CS_BAD,
		 "format: not \"chainsniff-root-timeline\""},
		{"\"version\":1", "\"version\":2", CS_BAD, "version: not 1"},
		{"\"version\":1", "\"version\":\"1\"", CS_BAD, "version: not 1"},
		{"\"version\":1,", "\"version\":1,\"version\":1,", CS_BAD, "not valid JSON"},
		{"\"last_commit_date\":\"2026-04-09\"", "\"last_commit_date\":20260409", CS_BAD,
		 "provenance.nss: last_commit_date: not a date (YYYY-MM-DD)"},
		{"\"label\":\"GlobalSign ECC Root CA - R4\"", "\"label\":\"Global\\u0007Sign\"",
		 CS_BAD, "roots[0]: label: holds a control character"},
		{"\"label\":\"GlobalSign ECC Root CA - R4\"", "\"label\":null", CS_BAD,
		 "roots[0]: label: missing or not a string"},
		{"\"cert_sha256\":\"bec9", "\"cert_sha256\":\"BEC9", CS_BAD,
		 "roots[0]: cert_sha256: not 64 lowercase hex digits"},
		{"\"cert_sha256\":\"bec9", "\"cert_sha256\":\"bec", CS_BAD,
		 "roots[0]: cert_sha256: not 64 lowercase hex digits"},
		{"\"spki_sha256\":\"08b3", "\"spki_sha256\":\"08b4", CS_BAD,
		 "roots[0]: spki_sha256: not the SHA-256 of spki"},
		{"\"spki\":\"MFkw", "\"spki\":\"MFow", CS_BAD,
		 "roots[0]: spki: not DER of a SubjectPublicKeyInfo"},
		{"\"spki\":\"MFkw", "\"spki\":\"MF!w", CS_BAD,
		 "roots[0]: spki: not base64 of at most 4096 bytes"},
		{"\"subject_der\":\"", "\"subject_der\":\"MAA=\",\"x\":\"", CS_BAD,
		 "roots[0]: subject_der: not DER of a non-empty Name"},
		{"\"from\":\"2014-12-01\"", "\"from\":\"2015-02-29\"", CS_BAD,
		 "roots[0].intervals[0]: from: not a date (YYYY-MM-DD)"},
		{"\"from\":\"2014-12-01\"", "\"from\":\"2014-12-01T00:00:00Z\"", CS_BAD,
		 "roots[0].intervals[0]: from: not a date (YYYY-MM-DD)"},
		{"\"from\":\"2014-12-01\"", "\"from\":\"2022-01-06\"", CS_BAD,
		 "roots[0].intervals[0]: until: not after from"},
		{"\"until_release\":\"NSS 3.74\"", "\"until_release\":null", CS_BAD,
		 "roots[0].intervals[0]: until and until_release: one is null, not both"},
		{"\"until\":\"2019-06-01\"", "\"until\":\"2020-06-01\"", CS_BAD,
		 "roots[2].intervals[1]: from: before the previous interval's until"},
		{"\"until\":\"2019-06-01\"", "\"until\":null", CS_BAD,
		 "roots[2].intervals[0]: until and until_release: one is null, not both"},
		{"\"intervals\":[{\"from\":\"2014", "\"intervals\":[],\"x\":[{\"from\":\"2014",
		 CS_BAD, "roots[0]: intervals: missing or not a non-empty array"},
		{"\"after\":\"2021-01-01T00:00:00Z\"", "\"after\":\"2021-01-01\"", CS_BAD,
		 "roots[2].server_distrust_after: after: not a time (YYYY-MM-DDTHH:MM:SSZ)"},
		{"\"since\":\"2021-03-01\"", "\"since\":\"1969-12-31\"", CS_BAD,
		 "roots[2].server_distrust_after: since: not a date (YYYY-MM-DD)"},
		{"\"server_distrust_after\":null", "\"server_distrust_after\":false", CS_BAD,
		 "roots[0].server_distrust_after: missing or not an object or null"},
		{"\"not_after\":\"2038-01-19T03:14:07Z\"", "\"not_after\":\"2012-11-12T23:59:59Z\"",
		 CS_BAD, "roots[0]: not_after: before not_before"},
		{"\"not_before\":\"2012-11-13T00:00:00Z\"", "\"x\":0", CS_BAD,
		 "roots[0]: not_before: not a time (YYYY-MM-DDTHH:MM:SSZ)"},
		{"\"not_after\":\"2038-01-19T03:14:07Z\"", "\"not_after\":\"2038-01-19T24:00:00Z\"",
		 CS_BAD, "roots[0]: not_after: not a time (YYYY-MM-DDTHH:MM:SSZ)"},
		{"\"roots\":[", "\"roots\":[1,", CS_BAD, "roots[0]: not an object"},
		{"\"roots\":[", "\"roots\":[],\"x\":[", CS_BAD,
		 "roots: missing or not a non-empty array"},
	};
	char err[256];

	for (size_t i = 0; i < CS_ARRAY_LEN(table); i++) {
		char *s = edit(table[i].from, table[i].to);
		struct cs_timeline *t = NULL;
		enum cs_status st;

		err[0] = '\0';
		st = timeline_parse((const uint8_t *)s, strlen(s), "small.json", &t, err,
				    sizeof(err));
		if (st != table[i].st || strncmp(err, "small.json: ", 12) != 0 ||
		    strncmp(err + 12, table[i].msg, strlen(table[i].msg)) != 0)
			fail_msg("case %zu: got %d \"%s\", want %d \"%s\"", i, st, err, table[i].st,
				 table[i].msg);
		assert_null(t);
		free(s);
	}
}

/* The duplicate certificate names both roots. */
static void test_small_duplicate_root(void **state)
{
	(void)state;
	char err[256];
	char *s = edit(
		"\"cert_sha256\":\"b085d70b964f191a73e4af0d54ae7a0e07aafdaf9b71dd0862138ab7325a24a2\"",
		"\"cert_sha256\":\"" R4_OLD "\"");

	parse(s, strlen(s), CS_BAD, err, sizeof(err));
	assert_string_equal(err, "small.json: roots[1]: cert_sha256: same certificate as roots[0]");
	free(s);
}

/* Caps: more stays than CS_TIMELINE_MAX_INTERVALS, a key over
 * CS_TIMELINE_MAX_SPKI, a file over CS_TIMELINE_MAX_BYTES. */
static void test_small_caps(void **state)
{
	(void)state;
	char err[256], many[4096] = "\"intervals\":[", *s, *big;
	size_t n;

	for (unsigned i = 0; i <= CS_TIMELINE_MAX_INTERVALS; i++) {
		n = strlen(many);
		snprintf(many + n, sizeof(many) - n,
			 "%s{\"from\":\"%u-01-01\",\"from_release\":\"a\",\"until\":\"%u-01-01\","
			 "\"until_release\":\"b\"}",
			 i ? "," : "", 1980 + 2 * i, 1981 + 2 * i);
	}
	n = strlen(many);
	snprintf(many + n, sizeof(many) - n, "],\"x\":[");
	s = edit("\"intervals\":[", many);
	parse(s, strlen(s), CS_LIMIT, err, sizeof(err));
	assert_string_equal(err, "small.json: roots[0]: intervals: more than 16");
	free(s);

	/* base64 of 4098 bytes; the real key moves to an ignored member */
	n = (CS_TIMELINE_MAX_SPKI + 2) / 3 * 4;
	big = malloc(n + 32);
	memcpy(big, "\"spki\":\"", 8);
	memset(big + 8, 'A', n);
	snprintf(big + 8 + n, 24, "\",\"y\":\"");
	s = edit("\"spki\":\"", big);
	parse(s, strlen(s), CS_LIMIT, err, sizeof(err));
	assert_string_equal(err, "small.json: roots[0]: spki: not base64 of at most 4096 bytes");
	free(s);
	free(big);

	n = CS_TIMELINE_MAX_BYTES + 1;
	big = malloc(n);
	memset(big, ' ', n);
	memcpy(big, small, sizeof(small) - 1);
	timeline_free(parse(big, n - 1, CS_OK, err, sizeof(err))); /* at the cap */
	parse(big, n, CS_LIMIT, err, sizeof(err));
	assert_string_equal(err, "small.json: larger than 4 MiB: not a root-store timeline");
	free(big);
}

static void test_load_file(void **state)
{
	(void)state;
	char path[] = "/tmp/test_timeline_XXXXXX", err[512];
	struct cs_timeline *t = NULL, *mem;
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(small, 1, sizeof(small) - 1, f), sizeof(small) - 1);
	fclose(f);
	assert_int_equal(timeline_load_file(path, &t, err, sizeof(err)), CS_OK);
	assert_string_equal(timeline_name(t), path);
	mem = parse(small, sizeof(small) - 1, CS_OK, err, sizeof(err));
	assert_same_timeline(t, mem);
	assert_string_equal(timeline_digest(t), timeline_digest(mem));
	timeline_free(t);
	timeline_free(mem);

	f = fopen(path, "w");
	fputs("{\"format\":\"chainsniff-root-timeline\",\"version\":1,\"roots\":[", f);
	fclose(f);
	assert_int_equal(timeline_load_file(path, &t, err, sizeof(err)), CS_BAD);
	assert_null(t);
	assert_true(strncmp(err, path, strlen(path)) == 0);
	assert_non_null(strstr(err, ": not valid JSON (line 1, column "));
	unlink(path);

	assert_int_equal(timeline_load_file(path, &t, err, sizeof(err)), CS_IO);
	assert_null(t);
	snprintf(path + strlen(path), sizeof(path) - strlen(path), "%s", "");
	assert_non_null(strstr(err, ": No such file or directory"));
	assert_int_equal(timeline_load_file("/", &t, err, sizeof(err)), CS_IO);
	assert_string_equal(err, "/: Is a directory");
	timeline_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_builtin_loads),
		cmocka_unit_test(test_builtin_keys_and_names_parse),
		cmocka_unit_test(test_removed_with_distrust_after),
		cmocka_unit_test(test_removed_and_readded),
		cmocka_unit_test(test_expired_roots_left),
		cmocka_unit_test(test_added_and_still_in),
		cmocka_unit_test(test_shared_key),
		cmocka_unit_test(test_unknown_root),
		cmocka_unit_test(test_store_at),
		cmocka_unit_test(test_windows),
		cmocka_unit_test(test_small_parsed_exactly),
		cmocka_unit_test(test_small_every_truncation),
		cmocka_unit_test(test_small_every_byte_flipped),
		cmocka_unit_test(test_small_corruptions),
		cmocka_unit_test(test_small_duplicate_root),
		cmocka_unit_test(test_small_caps),
		cmocka_unit_test(test_load_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
