/*
 * test_diag.c - chain verdicts (cs_diag.h) as a table, in the spirit of
 * BearSSL's test/x509/alltests.txt: each row names its trust anchors (PEM
 * files loaded with trust_load as --ca-file does), the chain as sent (PEM
 * files of pcaps/lab/pki, DER-encoded with i2d_X509 and interned in a
 * chain store), the SNI, a pinned validation time, the problem codes that
 * must appear (code@cert_index, with the severity where it matters), the
 * codes that must not, and `broken`.  A row is judged as a report shows a
 * handshake: diag_analyze's verdict, diag_hostname_ok for the SNI (a
 * hostname_mismatch record on the leaf), every problem worded by the
 * catalogue (problem_message/problem_fix with the chain, SNI, leaf names,
 * the evidence announced through on_evidence and --warn-days).  Every row
 * is also checked for: the validation time inside the verdict's window
 * [from, until), the same verdict when analysed again at that time and at
 * both ends of the window; the mask equal to the problems' codes;
 * `broken` equal to "some problem has error severity"; status ok/broken
 * (no budget hit); every problem with a message and a fix, a cert_index
 * inside the chain and the subject of the certificate it names; and far
 * fewer signature checks than the budget (the largest is printed).
 *
 * Then the window across validity boundaries, weak-algorithm cut-offs and
 * --warn-days, the hostname check, the evidence of missing_intermediate
 * (an intermediate seen before or after, --intermediates, AIA, another
 * trust store), the pool of intermediates (per-source cap), the analysis
 * budgets (a hostile chain of CA certificates over 4 names in a cycle made
 * in memory, an ordinary chain under a tiny budget) and robustness
 * (garbage, noise, a search-bound stress, many certificates).
 *
 * The PKI and its ground truth: pcaps/README.md (section "The PKI
 * additions" and "Ground truth per capture"), pcaps/lab/pki/CERTS.txt.
 * Times are pinned (never time(NULL)): 'soon' expires on 2026-11-30.
 * A few certificates are derived in memory from the PKI (re-dated,
 * re-signed with MD5/SHA-1, given a 1024-bit or explicit-parameter key,
 * a flipped signature byte): see entry_der(); others are made from
 * scratch (testpki.h).  Run from the repository root; TEST_DIAG_VERBOSE=1
 * prints every row's problems.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cs_certcache.h"
#include "cs_chain.h"
#include "cs_codec.h"
#include "cs_diag.h"
#include "cs_problems.h"
#include "cs_timefmt.h"
#include "cs_timeline.h"
#include "cs_trust.h"
#include "testlib.h"
#include "testpki.h"

#define PKI "pcaps/lab/pki/"
#define DEBIAN "tests/trust/debian-ca-certificates-20230311+deb12u1.crt"

/* ---- pinned times (seconds, UTC) ------------------------------------------ */

/* clang-format off */
#define T_CAPTURE 1795403299LL  /* 2026-11-23T03:08:19Z: diag-expiring-soon.pcap */
#define T_SOON_NA 1795996800LL  /* 2026-11-30T00:00:00Z: soon's notAfter */
#define T_2030 1893456000LL     /* 2030-01-01T00:00:00Z: future's notBefore */
#define T_2034_12_15 2049667200LL /* within 30 days of the PKI's 2035-01-01 notAfter */
#define T_2016 1464739200LL     /* 2016-06-01: before the SHA-1 cut-off */
#define T_2013 1370044800LL     /* 2013-06-01: before the RSA-1024 cut-off */
#define T_2012 1325376000LL     /* 2012-01-01: Old Root valid, after the MD5 cut-off */
#define T_2008 1212278400LL     /* 2008-06-01: before the MD5 cut-off */
#define T_1970 86400LL          /* 1970-01-02: a device whose clock was reset */
#define T_2005 1104537600LL     /* 2005-01-01: notBefore of the "+old" variants */
#define T_2000 946688400LL      /* 2000-01-01T01:00:00Z: the commonest reset value */
#define T_2015 1420070400LL     /* 2015-01-01: notBefore of the "+exp2020" variants */
#define T_2020 1577836800LL     /* 2020-01-01: their notAfter */
#define T_GPS 316828800LL       /* 1980-01-16: ten days after the GPS epoch */
#define DAY 86400LL

/* SHA-256 of the DER (CERTS.txt) */
#define SHA_INT1 "0d9c3b4bf4c17d0c86fb3b3075033728422fde80bd65fd8b0621d17feb1af37a"
#define SHA_INT2 "706677ebe4eb0d549e840b2aa663464de4d9fc305a0114a5b66a9bfc10f4f61c"

/* ---- the table --------------------------------------------------------------- */

#define ANY INT_MIN  /* any cert_index (a "bare code" in the e2e .codes files) */
#define SEV_ANY (-1)

struct want {
	bool set;
	enum cs_problem code;
	int index;  /* cert_index; -1: null; ANY */
	int sev;    /* CS_SEV_ERROR, CS_SEV_WARNING or SEV_ANY */
};

#define W(c, i) {true, CS_P_##c, i, SEV_ANY}
#define WS(c, i, s) {true, CS_P_##c, i, CS_SEV_##s}
#define B(c) (1u << CS_P_##c)
#define ALL_CODES ((1u << CS_P_MAX) - 1u)
#define ERRORS (B(MISSING_INTERMEDIATE) | B(WRONG_ORDER) | B(UNTRUSTED_ROOT) | \
		B(SELF_SIGNED_LEAF) | B(EXPIRED_LEAF) | B(EXPIRED_INTERMEDIATE) | \
		B(EXPIRED_ROOT) | B(NOT_YET_VALID) | B(HOSTNAME_MISMATCH) | B(BAD_SIGNATURE) | \
		B(MALFORMED_CERT) | B(NOT_CA) | B(BAD_PURPOSE) | B(NAME_CONSTRAINT_VIOLATION) | \
		B(UNHANDLED_CRITICAL_EXTENSION))

#define MAX_WANT 20
#define MAX_ENTRIES 32

struct row {
	const char *name;
	const char *anchors[4];  /* "trust" = pcaps/lab/pki/trust.pem; a path if it has '/' */
	const char *chain[MAX_ENTRIES]; /* sent order; syntax in entry_der() */
	const char *sni;         /* NULL: no SNI, no hostname check */
	int64_t when;
	struct want must[MAX_WANT];
	uint32_t must_not;       /* codes named by the ground truth */
	bool loose;              /* false: every code not in must is also must-not */
	bool broken;
};

/* Anchors: trust.pem = root + ecroot unless the row says otherwise. */
#define TRUST {"trust"}

static struct row rows[] = {
	/* --- good chains: no problem at all ------------------------------- */
	{"one_ok", TRUST, {"one", "int1"}, "one.test", T_CAPTURE, {{0}}, ALL_CODES, false, false},
	{"one_ok_www", TRUST, {"one", "int1"}, "www.one.test", T_CAPTURE, {{0}}, ALL_CODES, false, false},
	{"one_ok_no_sni", TRUST, {"one", "int1"}, NULL, T_CAPTURE, {{0}}, ALL_CODES, false, false},
	{"two_ok", TRUST, {"two", "int2", "int1"}, "two.test", T_CAPTURE, {{0}}, ALL_CODES, false, false},
	{"alone_ok_issued_by_root", TRUST, {"alone"}, "alone.test", T_CAPTURE, {{0}},
	 B(MISSING_INTERMEDIATE), false, false},
	{"ecdsa_ok", TRUST, {"ec", "ecint"}, "ec.test", T_CAPTURE, {{0}}, ALL_CODES, false, false},
	{"v6_ok_ip_sni", TRUST, {"v6", "int1"}, "::1", T_CAPTURE, {{0}}, B(HOSTNAME_MISMATCH), false,
	 false},
	/* an intermediate in the store is an anchor (like -partial_chain) */
	{"intermediate_anchor", {"int1"}, {"one", "int1"}, "one.test", T_CAPTURE, {{0}},
	 B(ROOT_INCLUDED) | B(MISSING_INTERMEDIATE), false, false},
	{"intermediate_anchor_leaf_alone", {"int1"}, {"one"}, "one.test", T_CAPTURE, {{0}},
	 B(MISSING_INTERMEDIATE), false, false},
	/* a self-signed leaf given with --add-ca is trusted */
	{"self_signed_pinned", {"trust", "selfsigned"}, {"selfsigned"}, "selfsigned.test", T_CAPTURE,
	 {{0}}, B(SELF_SIGNED_LEAF) | B(UNTRUSTED_ROOT) | B(ROOT_INCLUDED), false, false},
	/* validity boundaries: notBefore and notAfter are both inside */
	{"future_at_not_before", TRUST, {"future", "int1"}, "future.test", T_2030, {{0}},
	 B(NOT_YET_VALID), false, false},

	/* --- errors ---------------------------------------------------------- */
	{"untrusted_root", TRUST, {"evil", "evilint", "evilroot"}, "evil.test", T_CAPTURE,
	 {W(UNTRUSTED_ROOT, 2)},
	 B(MISSING_INTERMEDIATE) | B(ROOT_INCLUDED) | B(SELF_SIGNED_LEAF) | B(EXTRA_CERTS), false, true},
	{"untrusted_root_not_sent", TRUST, {"evil", "evilint"}, "evil.test", T_CAPTURE,
	 {W(MISSING_INTERMEDIATE, 1)}, B(UNTRUSTED_ROOT), false, true},
	{"expired_intermediate", TRUST, {"underexp", "expint"}, "underexp.test", T_CAPTURE,
	 {W(EXPIRED_INTERMEDIATE, 1)},
	 B(EXPIRED_LEAF) | B(MISSING_INTERMEDIATE) | B(CROSS_SIGN_STALE), false, true},
	{"expired_leaf", TRUST, {"expired", "int1"}, "expired.test", T_CAPTURE, {W(EXPIRED_LEAF, 0)},
	 B(EXPIRED_INTERMEDIATE), false, true},
	{"expired_root", {"trust", "oldroot"}, {"oldleaf"}, "oldleaf.test", T_CAPTURE,
	 {W(EXPIRED_ROOT, -1)},
	 B(MISSING_INTERMEDIATE) | B(UNTRUSTED_ROOT) | B(ROOT_INCLUDED) | B(EXPIRED_LEAF), false, true},
	/* the expired anchor sent too: its position, and root_included */
	{"expired_root_sent", {"trust", "oldroot"}, {"oldleaf", "oldroot"}, "oldleaf.test", T_CAPTURE,
	 {W(EXPIRED_ROOT, 1), W(ROOT_INCLUDED, 1)}, B(UNTRUSTED_ROOT) | B(EXPIRED_INTERMEDIATE), false,
	 true},
	/* docs/problems.md#expired_intermediate: "An expired self-signed root
	 * that is *not* in the store, at the top of an untrusted path, is also
	 * reported under this code." (expired_root is only "for the trust
	 * anchor that ends the chosen path".) */
	{"expired_untrusted_root_sent", TRUST, {"oldleaf", "oldroot"}, "oldleaf.test", T_CAPTURE,
	 {W(UNTRUSTED_ROOT, 1), W(EXPIRED_INTERMEDIATE, 1)},
	 B(EXPIRED_ROOT) | B(MISSING_INTERMEDIATE) | B(ROOT_INCLUDED), false, true},
	{"root_not_in_store", TRUST, {"oldleaf"}, "oldleaf.test", T_CAPTURE,
	 {W(MISSING_INTERMEDIATE, 0)}, B(EXPIRED_ROOT) | B(UNTRUSTED_ROOT), false, true},
	{"not_yet_valid", TRUST, {"future", "int1"}, "future.test", T_CAPTURE, {W(NOT_YET_VALID, 0)},
	 B(EXPIRED_LEAF) | B(CLOCK_IMPLAUSIBLE), false, true},
	{"not_yet_valid_1s_before", TRUST, {"future", "int1"}, "future.test", T_2030 - 1,
	 {W(NOT_YET_VALID, 0)}, B(EXPIRED_LEAF), false, true},
	{"hostname_mismatch", TRUST, {"one", "int1"}, "mismatch.test", T_CAPTURE,
	 {W(HOSTNAME_MISMATCH, 0)}, 0, false, true},
	{"hostname_wildcard_depth", TRUST, {"one", "int1"}, "a.www.one.test", T_CAPTURE,
	 {W(HOSTNAME_MISMATCH, 0)}, 0, false, true},
	{"bad_signature", TRUST, {"one+sigflip", "int1"}, "one.test", T_CAPTURE, {W(BAD_SIGNATURE, 0)},
	 B(MALFORMED_CERT) | B(MISSING_INTERMEDIATE) | B(UNTRUSTED_ROOT), false, true},
	{"bad_signature_leaf_alone", TRUST, {"alone+sigflip"}, "alone.test", T_CAPTURE,
	 {W(BAD_SIGNATURE, 0)}, B(MISSING_INTERMEDIATE) | B(MALFORMED_CERT), false, true},
	{"not_ca", TRUST, {"undernotca", "notca"}, "undernotca.test", T_CAPTURE, {W(NOT_CA, 1)},
	 B(MISSING_INTERMEDIATE) | B(BAD_SIGNATURE) | B(BAD_PURPOSE) | B(UNTRUSTED_ROOT), false, true},
	/* pathLenConstraint 0 on int1 (a re-signed copy) with int2 below it */
	{"not_ca_pathlen", TRUST, {"two", "int2", "int1+pathlen0@root"}, "two.test", T_CAPTURE,
	 {W(NOT_CA, 2)}, B(BAD_SIGNATURE) | B(MISSING_INTERMEDIATE), false, true},
	{"pathlen0_not_exceeded", TRUST, {"one", "int1+pathlen0@root"}, "one.test", T_CAPTURE, {{0}},
	 B(NOT_CA), false, false},
	/* docs/problems.md#not_ca: "Trust anchors are not checked for either
	 * condition"; #trust-store: every certificate in the store is an anchor.
	 * Sent with its issuer (byte-identical to the anchor) the chain is ok: */
	{"anchor_without_keycertsign_sent", {"trust", "notca"}, {"undernotca", "notca"},
	 "undernotca.test", T_CAPTURE, {{0}}, B(NOT_CA) | B(MISSING_INTERMEDIATE), false, false},
	/* ... and sent alone too: an anchor without keyCertSign is still found
	 * in the store (never missing_intermediate "which ... the trust store
	 * does not hold").  Sending the anchor must not turn a broken chain
	 * into a good one, nor the reverse. */
	{"anchor_without_keycertsign", {"trust", "notca"}, {"undernotca"}, "undernotca.test",
	 T_CAPTURE, {{0}}, B(NOT_CA) | B(MISSING_INTERMEDIATE), false, false},
	{"bad_purpose", TRUST, {"clientonly", "int1"}, "clientonly.test", T_CAPTURE,
	 {W(BAD_PURPOSE, 0)}, B(HOSTNAME_MISMATCH) | B(NOT_CA), false, true},
	{"self_signed_leaf", TRUST, {"selfsigned"}, "selfsigned.test", T_CAPTURE,
	 {W(SELF_SIGNED_LEAF, 0)},
	 B(UNTRUSTED_ROOT) | B(MISSING_INTERMEDIATE) | B(ROOT_INCLUDED) | B(HOSTNAME_MISMATCH), false,
	 true},
	/* the riot-style order: leaf, root, intermediate */
	{"wrong_order_leaf_root_int", TRUST, {"order", "root", "int1"}, "order.test", T_CAPTURE,
	 {W(WRONG_ORDER, -1), W(ROOT_INCLUDED, 1)},
	 B(MISSING_INTERMEDIATE) | B(EXTRA_CERTS) | B(UNTRUSTED_ROOT) | B(DUPLICATE_CERT), false, true},
	{"wrong_order_swapped_intermediates", TRUST, {"two", "int1", "int2"}, "two.test", T_CAPTURE,
	 {W(WRONG_ORDER, -1)}, B(MISSING_INTERMEDIATE) | B(EXTRA_CERTS), false, true},
	/* docs/problems.md#wrong_order: "Certificates that are not on the path
	 * are allowed only after those that are ... an unrelated certificate
	 * placed between the intermediates" is reported (issue 3: "each
	 * followed by its issuer"): positions that merely increase, as in
	 * [one, ecint, int1] (0, 2), are not enough. */
	{"wrong_order_unrelated_between", TRUST, {"one", "ecint", "int1"}, "one.test", T_CAPTURE,
	 {W(WRONG_ORDER, -1), W(EXTRA_CERTS, 1)}, B(MISSING_INTERMEDIATE), false, true},
	/* "a duplicate copy placed before the last needed certificate" is
	 * wrong_order too. */
	{"wrong_order_duplicate_before_last", TRUST, {"two", "int2", "int2", "int1"}, "two.test",
	 T_CAPTURE, {W(WRONG_ORDER, -1), W(DUPLICATE_CERT, 2)}, B(EXTRA_CERTS), false, true},
	/* issue 17: an expired earlier issuance of int1 (same name and key, by
	 * root) sent before the current int1.  Clients that build their own
	 * path take the valid one (OpenSSL prefers the issuer valid now, Go and
	 * NSS try every candidate); clients that take the certificates in the
	 * order sent meet the expired copy: wrong_order; the copy itself is an
	 * alternative issuance of a path certificate that has expired:
	 * cross_sign_stale, never expired_intermediate (not on the path) */
	{"wrong_order_expired_reissue_first", TRUST, {"one", "int1+serial77+exp2020@root", "int1"},
	 "one.test", T_CAPTURE, {W(WRONG_ORDER, -1), W(CROSS_SIGN_STALE, 1)}, 0, false, true},
	/* the first certificate is the leaf whatever it is: no wrong_order */
	/* (int1 as a leaf: its keyUsage keyCertSign, cRLSign cannot serve TLS,
	 * OpenSSL error 26) */
	{"leaf_not_first", TRUST, {"int1", "one"}, "one.test", T_CAPTURE,
	 {W(HOSTNAME_MISMATCH, 0), W(EXTRA_CERTS, 1), W(BAD_PURPOSE, 0)}, B(WRONG_ORDER), false, true},
	{"missing_intermediate_leaf_alone", TRUST, {"miss"}, "miss.test", T_CAPTURE,
	 {W(MISSING_INTERMEDIATE, 0)}, 0, false, true},
	{"missing_intermediate_aia", TRUST, {"aia"}, "aia.test", T_CAPTURE,
	 {W(MISSING_INTERMEDIATE, 0)}, 0, false, true},
	/* a gap in the middle: the certificate left over is extra_certs */
	{"missing_intermediate_gap", TRUST, {"two", "int1"}, "two.test", T_CAPTURE,
	 {W(MISSING_INTERMEDIATE, 0), W(EXTRA_CERTS, 1)}, B(WRONG_ORDER), false, true},

	/* --- weak algorithms: error from the cut-off, warning before ----------- */
	{"weak_signature_sha1", TRUST, {"sha1", "int1"}, "sha1.test", T_CAPTURE,
	 {WS(WEAK_SIGNATURE, 0, ERROR)}, B(WEAK_KEY) | B(BAD_SIGNATURE), false, true},
	/* oldleaf re-dated from 2005 and re-signed by Old Root (2010-2022) with SHA-1 */
	{"weak_signature_sha1_before_cutoff", {"oldroot"}, {"oldleaf+old+sha1@oldroot"},
	 "oldleaf.test", T_2016, {WS(WEAK_SIGNATURE, 0, WARNING)}, B(WEAK_KEY) | B(BAD_SIGNATURE),
	 false, false},
	{"weak_signature_sha1_1s_before_cutoff", {"oldroot"}, {"oldleaf+old+sha1@oldroot"},
	 "oldleaf.test", CS_SHA1_CUTOFF - 1, {WS(WEAK_SIGNATURE, 0, WARNING)}, 0, false, false},
	{"weak_signature_sha1_at_cutoff", {"oldroot"}, {"oldleaf+old+sha1@oldroot"}, "oldleaf.test",
	 CS_SHA1_CUTOFF, {WS(WEAK_SIGNATURE, 0, ERROR)}, 0, false, true},
	/* one re-signed by int1 with MD5: an error after 2009 */
	{"weak_signature_md5", TRUST, {"one+md5@int1", "int1"}, "one.test", T_CAPTURE,
	 {WS(WEAK_SIGNATURE, 0, ERROR)}, B(BAD_SIGNATURE), false, true},
	{"weak_signature_md5_after_cutoff", {"oldroot"}, {"oldleaf+old+md5@oldroot"}, "oldleaf.test",
	 T_2012, {WS(WEAK_SIGNATURE, 0, ERROR)}, 0, false, true},
	/* before 2009 the MD5 leaf is a warning; Old Root (from 2010) is not
	 * yet valid then, which is what makes this one broken */
	{"weak_signature_md5_before_cutoff", {"oldroot"}, {"oldleaf+old+md5@oldroot"}, "oldleaf.test",
	 T_2008, {WS(WEAK_SIGNATURE, 0, WARNING), W(NOT_YET_VALID, -1)}, 0, false, true},
	{"weak_key_rsa1024", TRUST, {"rsa1024", "int1"}, "rsa1024.test", T_CAPTURE,
	 {WS(WEAK_KEY, 0, ERROR)}, B(WEAK_SIGNATURE), false, true},
	/* oldleaf with rsa1024's key, re-dated, re-signed by Old Root (SHA-256) */
	{"weak_key_before_cutoff", {"oldroot"}, {"oldleaf+old+key1024@oldroot"}, "oldleaf.test",
	 T_2013, {WS(WEAK_KEY, 0, WARNING)}, B(WEAK_SIGNATURE), false, false},
	{"weak_key_at_cutoff", {"oldroot"}, {"oldleaf+old+key1024@oldroot"}, "oldleaf.test",
	 CS_RSA1024_CUTOFF, {WS(WEAK_KEY, 0, ERROR)}, B(WEAK_SIGNATURE), false, true},
	/* the real rsa1024 leaf before the cut-off: warning, plus not yet valid;
	 * 2013 is more than two years before the leaf and its CA were issued
	 * (2025): clock_implausible */
	{"weak_key_rsa1024_2013", TRUST, {"rsa1024", "int1"}, "rsa1024.test", T_2013,
	 {WS(WEAK_KEY, 0, WARNING), W(NOT_YET_VALID, 0), W(NOT_YET_VALID, 1), W(NOT_YET_VALID, -1),
	  WS(CLOCK_IMPLAUSIBLE, -1, WARNING)},
	 0, false, true},

	/* --- malformed ------------------------------------------------------------ */
	{"malformed_garbage_alone", TRUST, {"garbage"}, "one.test", T_CAPTURE,
	 {W(MALFORMED_CERT, 0)}, B(HOSTNAME_MISMATCH) | B(MISSING_INTERMEDIATE) | B(BAD_SIGNATURE),
	 false, true},
	/* the garbage entry also breaks "each followed by its issuer" */
	{"malformed_garbage_between", TRUST, {"one", "garbage", "int1"}, "one.test", T_CAPTURE,
	 {W(MALFORMED_CERT, 1), W(WRONG_ORDER, -1)}, B(EXTRA_CERTS), false, true},
	{"malformed_trailing_byte", TRUST, {"one+trailing", "int1"}, "one.test", T_CAPTURE,
	 {W(MALFORMED_CERT, 0)}, B(HOSTNAME_MISMATCH) | B(EXTRA_CERTS), false, true},
	{"malformed_truncated_intermediate", TRUST, {"one", "int1+trunc"}, "one.test", T_CAPTURE,
	 {W(MALFORMED_CERT, 1), W(MISSING_INTERMEDIATE, 0)}, B(EXTRA_CERTS), false, true},
	/* a P-256 key with explicit curve parameters (CurveBall), signed by
	 * ecint: the signature verifies, so never bad_signature */
	{"malformed_explicit_ec", TRUST, {"ec+explicit@ecint", "ecint"}, "ec.test", T_CAPTURE,
	 {W(MALFORMED_CERT, 0)}, B(BAD_SIGNATURE) | B(MISSING_INTERMEDIATE), false, true},
	/* CurveBall: a forged "ECDSA Root" with the genuine one's name and key
	 * identifiers and an explicit-parameter key, and ecint re-signed by it.
	 * Issue 3: the spoof is malformed_cert, never bad_signature: the forged
	 * root verifies the certificate below it, so that is the path (and it
	 * ends untrusted). */
	{"curveball_forged_root", TRUST, {"ecint@forger", "ecroot+forger@forger"}, NULL, T_CAPTURE,
	 {W(MALFORMED_CERT, 1), W(UNTRUSTED_ROOT, 1), W(BAD_PURPOSE, 0)},
	 B(BAD_SIGNATURE) | B(MISSING_INTERMEDIATE) | B(EXTRA_CERTS), false, true},
	/* a CA copying a trusted root's name, sent beside a genuine chain, does
	 * not make the genuine signature "bad" */
	{"curveball_decoy_beside_genuine", TRUST, {"ec", "ecint", "ecroot+forger@forger"}, "ec.test",
	 T_CAPTURE, {W(MALFORMED_CERT, 2), W(EXTRA_CERTS, 2)}, B(BAD_SIGNATURE) | B(UNTRUSTED_ROOT),
	 false, true},

	/* --- warnings ------------------------------------------------------------- */
	{"root_included", TRUST, {"rootinc", "int1", "root"}, "rootinc.test", T_CAPTURE,
	 {WS(ROOT_INCLUDED, 2, WARNING)}, B(WRONG_ORDER) | B(EXTRA_CERTS) | B(UNTRUSTED_ROOT), false,
	 false},
	{"duplicate_cert", TRUST, {"dup", "int1", "int1"}, "dup.test", T_CAPTURE,
	 {WS(DUPLICATE_CERT, 2, WARNING)}, B(EXTRA_CERTS) | B(WRONG_ORDER), false, false},
	{"duplicate_leaf", TRUST, {"one", "int1", "one"}, "one.test", T_CAPTURE,
	 {W(DUPLICATE_CERT, 2)}, B(EXTRA_CERTS) | B(WRONG_ORDER), false, false},
	{"extra_certs", TRUST, {"extra", "int1", "ecint"}, "extra.test", T_CAPTURE,
	 {WS(EXTRA_CERTS, 2, WARNING)}, B(WRONG_ORDER) | B(CROSS_SIGN_STALE) | B(DUPLICATE_CERT), false,
	 false},
	{"expiring_soon", TRUST, {"soon", "int1"}, "soon.test", T_CAPTURE,
	 {WS(EXPIRING_SOON, 0, WARNING)}, B(EXPIRED_LEAF), false, false},
	{"expiring_soon_at_not_after", TRUST, {"soon", "int1"}, "soon.test", T_SOON_NA,
	 {W(EXPIRING_SOON, 0)}, B(EXPIRED_LEAF), false, false},
	{"expired_soon_1s_after", TRUST, {"soon", "int1"}, "soon.test", T_SOON_NA + 1,
	 {W(EXPIRED_LEAF, 0)}, B(EXPIRING_SOON), false, true},
	/* every certificate of the path, the anchor (not sent: null) included */
	{"expiring_soon_whole_path", TRUST, {"one", "int1"}, "one.test", T_2034_12_15,
	 {W(EXPIRING_SOON, 0), W(EXPIRING_SOON, 1), W(EXPIRING_SOON, -1)}, 0, false, false},
	{"clock_implausible", TRUST, {"one", "int1"}, "one.test", T_1970,
	 {WS(CLOCK_IMPLAUSIBLE, -1, WARNING), W(NOT_YET_VALID, 0), W(NOT_YET_VALID, 1),
	  W(NOT_YET_VALID, -1)}, 0, false, true},
	{"cross_sign_stale", TRUST, {"xs", "int1", "rootxs"}, "xs.test", T_CAPTURE,
	 {WS(CROSS_SIGN_STALE, 2, WARNING)},
	 B(EXPIRED_INTERMEDIATE) | B(EXPIRED_ROOT) | B(EXTRA_CERTS) | B(ROOT_INCLUDED) |
		 B(UNTRUSTED_ROOT) | ERRORS, false, false},
	/* a client that has only Old Root follows the cross-sign and fails */
	{"cross_sign_old_client", {"oldroot"}, {"xs", "int1", "rootxs"}, "xs.test", T_CAPTURE,
	 {W(EXPIRED_INTERMEDIATE, 2), W(EXPIRED_ROOT, -1)}, B(CROSS_SIGN_STALE) | B(EXTRA_CERTS), false,
	 true},

	/* --- name constraints (issue 17): OpenSSL's check_name_constraints -------------- */
	/* ncint: critical nameConstraints permitted DNS:allowed.test */
	{"nc_dns_permitted_ok", TRUST, {"ncgood", "ncint"}, "allowed.test", T_CAPTURE, {{0}},
	 ALL_CODES, false, false},
	{"nc_dns_permitted_violation", TRUST, {"ncout", "ncint"}, "outside.test", T_CAPTURE,
	 {W(NAME_CONSTRAINT_VIOLATION, 0)}, 0, false, true},
	{"nc_dns_permitted_subdomain_ok", TRUST, {"one", "int1+nc=permitted;DNS:one.test@root"},
	 "one.test", T_CAPTURE, {{0}}, ALL_CODES, false, false},
	{"nc_dns_excluded", TRUST, {"one", "int1+nc=excluded;DNS:www.one.test@root"}, "one.test",
	 T_CAPTURE, {W(NAME_CONSTRAINT_VIOLATION, 0)}, 0, false, true},
	{"nc_dns_excluded_other_ok", TRUST, {"one", "int1+nc=excluded;DNS:other.test@root"},
	 "one.test", T_CAPTURE, {{0}}, ALL_CODES, false, false},
	/* the trust anchor's own constraints apply too (ncroot: permitted allowed.test) */
	{"nc_anchor_violation", {"ncroot"}, {"ncrootleaf"}, NULL, T_CAPTURE,
	 {W(NAME_CONSTRAINT_VIOLATION, 0)}, 0, false, true},
	{"nc_anchor_ok", {"ncroot"}, {"ncrootleaf+san=DNS:www.allowed.test@ncroot"}, NULL, T_CAPTURE,
	 {{0}}, ALL_CODES, false, false},
	/* constraints of a CA apply to every certificate below it, intermediates too */
	{"nc_dirname_intermediate", TRUST, {"two", "int2", "int1+nc=permitted;dirName:dn_other@root"},
	 "two.test", T_CAPTURE, {W(NAME_CONSTRAINT_VIOLATION, 0), W(NAME_CONSTRAINT_VIOLATION, 1)}, 0,
	 false, true},
	{"nc_ip_permitted_ok", TRUST,
	 {"one+san=DNS:one.test,IP:192.0.2.7@int1", "int1+nc=permitted;IP:192.0.2.0/255.255.255.0@root"},
	 "one.test", T_CAPTURE, {{0}}, ALL_CODES, false, false},
	{"nc_ip_permitted_violation", TRUST,
	 {"one+san=DNS:one.test,IP:192.0.2.7@int1", "int1+nc=permitted;IP:10.0.0.0/255.0.0.0@root"},
	 "one.test", T_CAPTURE, {W(NAME_CONSTRAINT_VIOLATION, 0)}, 0, false, true},
	{"nc_ip_excluded", TRUST,
	 {"one+san=DNS:one.test,IP:192.0.2.7@int1", "int1+nc=excluded;IP:192.0.2.0/255.255.255.0@root"},
	 "one.test", T_CAPTURE, {W(NAME_CONSTRAINT_VIOLATION, 0)}, 0, false, true},
	/* v6 has IP ::1 */
	{"nc_ipv6_excluded", TRUST,
	 {"v6", "int1+nc=excluded;IP:::1/ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff@root"}, "v6.test",
	 T_CAPTURE, {W(NAME_CONSTRAINT_VIOLATION, 0)}, 0, false, true},
	{"nc_email_permitted_ok", TRUST,
	 {"one+san=DNS:one.test,email:admin@one.test@int1", "int1+nc=permitted;email:one.test@root"},
	 "one.test", T_CAPTURE, {{0}}, ALL_CODES, false, false},
	{"nc_email_permitted_violation", TRUST,
	 {"one+san=DNS:one.test,email:admin@evil.test@int1", "int1+nc=permitted;email:one.test@root"},
	 "one.test", T_CAPTURE, {W(NAME_CONSTRAINT_VIOLATION, 0)}, 0, false, true},
	{"nc_email_excluded", TRUST,
	 {"one+san=DNS:one.test,email:admin@evil.test@int1", "int1+nc=excluded;email:evil.test@root"},
	 "one.test", T_CAPTURE, {W(NAME_CONSTRAINT_VIOLATION, 0)}, 0, false, true},
	/* an emailAddress in the subject counts as an email name */
	{"nc_email_in_subject", TRUST,
	 {"one+subj=O=chainsniff lab/CN=one.test/emailAddress=admin@evil.test@int1",
	  "int1+nc=permitted;email:one.test@root"},
	 "one.test", T_CAPTURE, {W(NAME_CONSTRAINT_VIOLATION, 0)}, 0, false, true},
	/* an email name without '@': a syntax OpenSSL cannot check (error 53) */
	{"nc_email_unsupported_syntax", TRUST,
	 {"one+san=DNS:one.test,email:not-an-address@int1", "int1+nc=permitted;email:one.test@root"},
	 "one.test", T_CAPTURE, {W(NAME_CONSTRAINT_VIOLATION, 0)}, 0, false, true},
	/* directory names: the subject must lie under a permitted name */
	{"nc_dirname_permitted_ok", TRUST, {"one", "int1+nc=permitted;dirName:dn_lab@root"},
	 "one.test", T_CAPTURE, {{0}}, ALL_CODES, false, false},
	{"nc_dirname_permitted_violation", TRUST, {"one", "int1+nc=permitted;dirName:dn_other@root"},
	 "one.test", T_CAPTURE, {W(NAME_CONSTRAINT_VIOLATION, 0)}, 0, false, true},
	{"nc_dirname_excluded", TRUST, {"one", "int1+nc=excluded;dirName:dn_lab@root"}, "one.test",
	 T_CAPTURE, {W(NAME_CONSTRAINT_VIOLATION, 0)}, 0, false, true},
	/* the leaf's CN is checked as a DNS name when it has no DNS subjectAltName */
	{"nc_cn_permitted_violation", TRUST,
	 {"one+nosan+subj=O=chainsniff lab/CN=outside.test@int1", "int1+nc=permitted;DNS:one.test@root"},
	 NULL, T_CAPTURE, {W(NAME_CONSTRAINT_VIOLATION, 0)}, 0, false, true},
	{"nc_cn_permitted_ok", TRUST,
	 {"one+nosan+subj=O=chainsniff lab/CN=www.one.test@int1", "int1+nc=permitted;DNS:one.test@root"},
	 NULL, T_CAPTURE, {{0}}, ALL_CODES, false, false},
	{"nc_cn_excluded", TRUST,
	 {"one+nosan+subj=O=chainsniff lab/CN=www.one.test@int1",
	  "int1+nc=excluded;DNS:www.one.test@root"},
	 NULL, T_CAPTURE, {W(NAME_CONSTRAINT_VIOLATION, 0)}, 0, false, true},
	/* ... but not when it has one */
	{"nc_cn_ignored_with_dns_san", TRUST,
	 {"one+subj=O=chainsniff lab/CN=outside.test@int1", "int1+nc=permitted;DNS:one.test@root"},
	 "one.test", T_CAPTURE, {{0}}, ALL_CODES, false, false},

	/* --- critical extensions (issue 17): OpenSSL error 34 ---------------------------- */
	{"critical_ct_poison", TRUST, {"poison", "int1"}, "poison.test", T_CAPTURE,
	 {W(UNHANDLED_CRITICAL_EXTENSION, 0)}, 0, false, true},
	{"critical_unknown_on_intermediate", TRUST, {"one", "int1+crit=1.3.6.1.4.1.55555.7@root"},
	 "one.test", T_CAPTURE, {W(UNHANDLED_CRITICAL_EXTENSION, 1)}, 0, false, true},
	{"unknown_not_critical_ok", TRUST, {"one+ext=1.3.6.1.4.1.55555.7@int1", "int1"}, "one.test",
	 T_CAPTURE, {{0}}, ALL_CODES, false, false},

	/* --- the leaf's keyUsage (issue 17): X509_PURPOSE_SSL_SERVER, error 26 ------------- */
	{"bad_purpose_key_usage", TRUST, {"kunone", "int1"}, "kunone.test", T_CAPTURE,
	 {W(BAD_PURPOSE, 0)}, 0, false, true},
	{"bad_purpose_key_usage_cert_sign", TRUST, {"one+ku=critical,keyCertSign@int1", "int1"},
	 "one.test", T_CAPTURE, {W(BAD_PURPOSE, 0)}, 0, false, true},
	/* any one of the three bits is enough for the purpose; the key exchange
	 * is checked per handshake (key_usage_mismatch, never in a verdict) */
	{"key_usage_encipherment_only", TRUST, {"kuenc", "int1"}, "kuenc.test", T_CAPTURE, {{0}},
	 ALL_CODES, false, false},
	{"key_usage_agreement_only", TRUST, {"kuagree", "ecint"}, "kuagree.test", T_CAPTURE, {{0}},
	 ALL_CODES, false, false},
	{"key_usage_signature_only", TRUST, {"one+ku=critical,digitalSignature@int1", "int1"},
	 "one.test", T_CAPTURE, {{0}}, ALL_CODES, false, false},
	/* key_usage_mismatch: the handshake's key exchange (RFC 5246 7.4.2), its
	 * cipher suite in row_suites below */
	{"key_usage_mismatch_ecdhe_rsa", TRUST, {"kuenc", "int1"}, "kuenc.test", T_CAPTURE,
	 {WS(KEY_USAGE_MISMATCH, 0, WARNING)}, 0, false, false},
	{"key_usage_fits_rsa_transport", TRUST, {"kuenc", "int1"}, "kuenc.test", T_CAPTURE, {{0}},
	 ALL_CODES, false, false},
	{"key_usage_mismatch_rsa_transport", TRUST, {"one+ku=critical,digitalSignature@int1", "int1"},
	 "one.test", T_CAPTURE, {WS(KEY_USAGE_MISMATCH, 0, WARNING)}, 0, false, false},
	{"key_usage_mismatch_ecdhe_ecdsa", TRUST, {"kuagree", "ecint"}, "kuagree.test", T_CAPTURE,
	 {WS(KEY_USAGE_MISMATCH, 0, WARNING)}, 0, false, false},
	{"key_usage_fits_static_ecdh", TRUST, {"kuagree", "ecint"}, "kuagree.test", T_CAPTURE, {{0}},
	 ALL_CODES, false, false},
	{"key_usage_mismatch_static_dh", TRUST, {"one", "int1"}, "one.test", T_CAPTURE,
	 {WS(KEY_USAGE_MISMATCH, 0, WARNING)}, 0, false, false},
	/* no keyUsage at all: anything goes; TLS 1.3 suites need nothing */
	{"key_usage_absent", {"trust", "selfsigned"}, {"selfsigned"}, "selfsigned.test", T_CAPTURE,
	 {{0}}, ALL_CODES, false, false},
	{"key_usage_tls13", TRUST, {"kuenc", "int1"}, "kuenc.test", T_CAPTURE, {{0}}, ALL_CODES, false,
	 false},

	/* --- the clock (issue 17) ------------------------------------------------------------ */
	{"clock_2000_reset", TRUST, {"one", "int1"}, "one.test", T_2000,
	 {WS(CLOCK_IMPLAUSIBLE, -1, WARNING), W(NOT_YET_VALID, 0), W(NOT_YET_VALID, 1),
	  W(NOT_YET_VALID, -1)}, 0, false, true},
	{"clock_gps_epoch", TRUST, {"one", "int1"}, "one.test", T_GPS,
	 {WS(CLOCK_IMPLAUSIBLE, -1, WARNING), W(NOT_YET_VALID, 0), W(NOT_YET_VALID, 1),
	  W(NOT_YET_VALID, -1)}, 0, false, true},
	/* a leaf dated years ahead alone (its CA neither sent nor in the store):
	 * only its date speaks, and it says the clock is wrong */
	{"clock_future_leaf_alone", TRUST, {"future"}, "future.test", T_CAPTURE,
	 {WS(CLOCK_IMPLAUSIBLE, -1, WARNING), W(NOT_YET_VALID, 0), W(MISSING_INTERMEDIATE, 0)}, 0,
	 false, true},

	/* --- stores ------------------------------------------------------------------ */
	/* "empty" store: one unrelated certificate */
	{"unrelated_store", {"evilroot"}, {"one", "int1"}, "one.test", T_CAPTURE,
	 {W(MISSING_INTERMEDIATE, 1)}, B(UNTRUSTED_ROOT), false, true},
	{"unrelated_store_root_sent", {"evilroot"}, {"rootinc", "int1", "root"}, "rootinc.test",
	 T_CAPTURE, {W(UNTRUSTED_ROOT, 2)}, B(ROOT_INCLUDED) | B(MISSING_INTERMEDIATE), false, true},
	{"debian_store_lab_chain", {DEBIAN}, {"one", "int1"}, "one.test", T_CAPTURE,
	 {W(MISSING_INTERMEDIATE, 1)}, B(UNTRUSTED_ROOT), false, true},

	/* --- noise: 17 certificates after a valid chain -------------------------- */
	{"noise_appended", TRUST,
	 {"one", "int1", "two", "int2", "alone", "ecint", "ec", "evilint", "evil", "expint", "underexp",
	  "notca", "undernotca", "sha1", "rsa1024", "miss", "aia", "clientonly", "rootxs"},
	 "one.test", T_CAPTURE,
	 {W(EXTRA_CERTS, 2), W(EXTRA_CERTS, 3), W(EXTRA_CERTS, 4), W(EXTRA_CERTS, 5), W(EXTRA_CERTS, 6),
	  W(EXTRA_CERTS, 7), W(EXTRA_CERTS, 8), W(EXTRA_CERTS, 9), W(EXTRA_CERTS, 10),
	  W(EXTRA_CERTS, 11), W(EXTRA_CERTS, 12), W(EXTRA_CERTS, 13), W(EXTRA_CERTS, 14),
	  W(EXTRA_CERTS, 15), W(EXTRA_CERTS, 16), W(EXTRA_CERTS, 17), W(CROSS_SIGN_STALE, 18)},
	 ERRORS, false, false},
	{"noise_duplicates", TRUST,
	 {"one", "int1", "int1", "int1", "int1", "int1", "int1", "int1", "int1", "int1", "int1", "int1",
	  "int1"},
	 "one.test", T_CAPTURE,
	 {W(DUPLICATE_CERT, 2), W(DUPLICATE_CERT, 3), W(DUPLICATE_CERT, 12)}, ERRORS | B(EXTRA_CERTS),
	 true, false},
};
/* clang-format on */

/* The cipher suite of a row's handshake (key_usage_mismatch); 0 for the rest. */
static const struct {
	const char *row;
	uint16_t suite;
} row_suites[] = {
	{"key_usage_mismatch_ecdhe_rsa", 0xc02f},     /* ECDHE_RSA_WITH_AES_128_GCM_SHA256 */
	{"key_usage_fits_rsa_transport", 0x009c},     /* RSA_WITH_AES_128_GCM_SHA256 */
	{"key_usage_mismatch_rsa_transport", 0x002f}, /* RSA_WITH_AES_128_CBC_SHA */
	{"key_usage_mismatch_ecdhe_ecdsa", 0xc02b},   /* ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 */
	{"key_usage_fits_static_ecdh", 0xc02d},       /* ECDH_ECDSA_WITH_AES_128_GCM_SHA256 */
	{"key_usage_mismatch_static_dh", 0x0031},     /* DH_RSA_WITH_AES_128_CBC_SHA */
	{"key_usage_absent", 0xc02f},
	{"key_usage_tls13", 0x1301}, /* TLS_AES_128_GCM_SHA256 */
};

static uint16_t suite_of(const struct row *r)
{
	for (size_t i = 0; i < CS_ARRAY_LEN(row_suites); i++)
		if (strcmp(row_suites[i].row, r->name) == 0)
			return row_suites[i].suite;
	return 0;
}

/* ---- loading ----------------------------------------------------------------- */

/* A fresh P-256 key whose SubjectPublicKeyInfo carries explicit curve
 * parameters instead of the named curve (the CurveBall shape). */
static EVP_PKEY *explicit_p256(void)
{
	char group[] = "P-256", enc[] = "explicit";
	OSSL_PARAM p[3];
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;

	assert_non_null(pc);
	p[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0);
	p[1] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_EC_ENCODING, enc, 0);
	p[2] = OSSL_PARAM_construct_end();
	assert_int_equal(EVP_PKEY_keygen_init(pc), 1);
	assert_int_equal(EVP_PKEY_CTX_set_params(pc, p), 1);
	assert_int_equal(EVP_PKEY_generate(pc, &k), 1);
	EVP_PKEY_CTX_free(pc);
	return k;
}

/* The forger's key (CurveBall): one explicit-parameter P-256 key for the
 * whole run, freed at the end of main. */
static EVP_PKEY *forger;

static EVP_PKEY *forger_key(void)
{
	if (!forger)
		forger = explicit_p256();
	return forger;
}

/* Another forger, with a key on a named curve (no malformed_cert to give
 * it away): a CA that copies a root's name and key identifiers, CurveBall's
 * shape without the explicit parameters. */
static EVP_PKEY *mallory;

static EVP_PKEY *mallory_key(void)
{
	if (!mallory)
		mallory = tp_ec_key("P-256");
	return mallory;
}

/* Sections the nc= op's dirName constraints name. */
static const char ext_conf[] = "[dn_lab]\nO = chainsniff lab\n[dn_other]\nO = other lab\n";

/* Replace (or add, or with value NULL remove) x's extension nid, given in
 * openssl's config syntax (X509V3_EXT_nconf_nid, with ext_conf). */
static void set_ext(X509 *x, int nid, const char *value)
{
	int at = X509_get_ext_by_NID(x, nid, -1);
	BIO *b = BIO_new_mem_buf(ext_conf, -1);
	CONF *conf = NCONF_new(NULL);
	long line = 0;
	X509V3_CTX v3;
	X509_EXTENSION *e;

	assert_non_null(b);
	assert_non_null(conf);
	assert_int_equal(NCONF_load_bio(conf, b, &line), 1);
	if (at >= 0)
		X509_EXTENSION_free(X509_delete_ext(x, at));
	if (value) {
		X509V3_set_ctx(&v3, x, x, NULL, NULL, 0);
		X509V3_set_nconf(&v3, conf);
		e = X509V3_EXT_nconf_nid(conf, &v3, nid, value);
		if (!e)
			fail_msg("extension %d: cannot make \"%s\"", nid, value);
		assert_int_equal(X509_add_ext(x, e, -1), 1);
		X509_EXTENSION_free(e);
	}
	NCONF_free(conf);
	BIO_free(b);
}

/* An extension of any OID whose value is an ASN.1 NULL. */
static void add_raw_ext(X509 *x, const char *oid, bool critical)
{
	static const unsigned char null_der[] = {0x05, 0x00};
	ASN1_OBJECT *o = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *v = ASN1_OCTET_STRING_new();
	X509_EXTENSION *e;

	assert_non_null(o);
	assert_non_null(v);
	assert_int_equal(ASN1_OCTET_STRING_set(v, null_der, sizeof null_der), 1);
	e = X509_EXTENSION_create_by_OBJ(NULL, o, critical, v);
	assert_non_null(e);
	assert_int_equal(X509_add_ext(x, e, -1), 1);
	X509_EXTENSION_free(e);
	ASN1_OCTET_STRING_free(v);
	ASN1_OBJECT_free(o);
}

/* A subject from "O=chainsniff lab/CN=x.test/emailAddress=a@b.test". */
static void set_subject(X509 *x, const char *spec)
{
	X509_NAME *n = X509_NAME_new();
	char buf[256], *save = NULL;

	assert_non_null(n);
	snprintf(buf, sizeof buf, "%s", spec);
	for (char *rdn = strtok_r(buf, "/", &save); rdn; rdn = strtok_r(NULL, "/", &save)) {
		char *eq = strchr(rdn, '=');

		assert_non_null(eq);
		*eq = '\0';
		assert_int_equal(X509_NAME_add_entry_by_txt(n, rdn, MBSTRING_UTF8,
							    (const unsigned char *)eq + 1, -1, -1,
							    0),
				 1);
	}
	assert_int_equal(X509_set_subject_name(x, n), 1);
	X509_NAME_free(n);
}

static const uint8_t garbage[] = {
	0x30, 0x82, 0x01, 0x00, 0x30, 0x81, 0xf0, 0xa0, 0x03, 0x02, 0x01, 0x02, 'n', 'o', 't',
	' ',  'a',  ' ',  'c',  'e',  'r',  't',  'i',  'f',  'i',  'c',  'a',  't', 'e',
};

/*
 * The DER of one entry of the chain as sent (malloc'd).  Syntax:
 *   NAME                 pcaps/lab/pki/NAME.pem
 *   garbage              bytes that are no certificate
 *   NAME+op+op...@SIGNER the certificate changed by the ops, then re-signed
 *                        with pcaps/lab/pki/SIGNER.key
 * ops before signing: old (notBefore 2005-01-01), exp2020 (valid 2015-01-01
 * to 2020-01-01), md5 / sha1 (the digest
 * of the re-signature; SHA-256 otherwise), key1024 (rsa1024's public key),
 * explicit (a new P-256 key with explicit parameters), forger (the
 * forger's explicit-parameter key, see forger_key(); "@forger" signs with
 * it), mallory (the key of a forger on a named curve; "@mallory" signs), serialN (serial N), pathlen0 (basicConstraints CA:TRUE, pathlen:0),
 * nc=V (critical nameConstraints V, e.g. "permitted;DNS:a.test,excluded;
 * dirName:dn_lab"; sections in ext_conf), san=V (subjectAltName V), nosan,
 * ku=V (keyUsage V, e.g. "critical,nonRepudiation"), subj=V (the subject,
 * "O=.../CN=.../emailAddress=..."), crit=OID / ext=OID (a critical /
 * non-critical extension with an ASN.1 NULL value), poison (the CT poison
 * extension, critical); on the DER: sigflip (one byte of the signature
 * inverted), trailing (a byte after the certificate), trunc (the last 20
 * bytes cut).  The signer is after the last '@' (an email name may hold one).
 */
static uint8_t *entry_der(const char *spec, size_t *len)
{
	char buf[256], *signer, *ops, *save = NULL;
	const EVP_MD *md = EVP_sha256();
	bool flip = false, trailing = false, trunc = false;
	unsigned char *der = NULL;
	uint8_t *out;
	X509 *x;
	int n;

	if (strcmp(spec, "garbage") == 0) {
		out = malloc(sizeof garbage);
		assert_non_null(out);
		memcpy(out, garbage, sizeof garbage);
		*len = sizeof garbage;
		return out;
	}
	assert_true(strlen(spec) < sizeof buf);
	snprintf(buf, sizeof buf, "%s", spec);
	if ((signer = strrchr(buf, '@')) != NULL)
		*signer++ = '\0';
	if ((ops = strchr(buf, '+')) != NULL)
		*ops++ = '\0';
	x = tp_pem(buf);
	for (char *op = ops ? strtok_r(ops, "+", &save) : NULL; op;
	     op = strtok_r(NULL, "+", &save)) {
		if (strcmp(op, "old") == 0) {
			ASN1_TIME *t = ASN1_TIME_set(NULL, (time_t)T_2005);

			assert_non_null(t);
			assert_int_equal(X509_set1_notBefore(x, t), 1);
			ASN1_TIME_free(t);
		} else if (strcmp(op, "exp2020") == 0) {
			ASN1_TIME *nb = ASN1_TIME_set(NULL, (time_t)T_2015);
			ASN1_TIME *na = ASN1_TIME_set(NULL, (time_t)T_2020);

			assert_true(nb && na);
			assert_int_equal(X509_set1_notBefore(x, nb), 1);
			assert_int_equal(X509_set1_notAfter(x, na), 1);
			ASN1_TIME_free(nb);
			ASN1_TIME_free(na);
		} else if (strcmp(op, "md5") == 0) {
			md = EVP_md5();
		} else if (strcmp(op, "sha1") == 0) {
			md = EVP_sha1();
		} else if (strcmp(op, "key1024") == 0) {
			X509 *weak = tp_pem("rsa1024");

			assert_int_equal(X509_set_pubkey(x, X509_get0_pubkey(weak)), 1);
			X509_free(weak);
		} else if (strcmp(op, "explicit") == 0) {
			EVP_PKEY *k = explicit_p256();

			assert_int_equal(X509_set_pubkey(x, k), 1);
			EVP_PKEY_free(k);
		} else if (strcmp(op, "forger") == 0) {
			assert_int_equal(X509_set_pubkey(x, forger_key()), 1);
		} else if (strcmp(op, "mallory") == 0) {
			assert_int_equal(X509_set_pubkey(x, mallory_key()), 1);
		} else if (strcmp(op, "pathlen0") == 0) {
			BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();

			assert_non_null(bc);
			bc->ca = 1;
			bc->pathlen = ASN1_INTEGER_new();
			assert_non_null(bc->pathlen);
			assert_int_equal(ASN1_INTEGER_set(bc->pathlen, 0), 1);
			assert_int_equal(X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1,
							   X509V3_ADD_REPLACE),
					 1);
			BASIC_CONSTRAINTS_free(bc);
		} else if (strncmp(op, "nc=", 3) == 0) {
			char v[200];

			snprintf(v, sizeof v, "critical,%s", op + 3);
			set_ext(x, NID_name_constraints, v);
		} else if (strncmp(op, "san=", 4) == 0) {
			set_ext(x, NID_subject_alt_name, op + 4);
		} else if (strcmp(op, "nosan") == 0) {
			set_ext(x, NID_subject_alt_name, NULL);
		} else if (strncmp(op, "ku=", 3) == 0) {
			set_ext(x, NID_key_usage, op + 3);
		} else if (strncmp(op, "subj=", 5) == 0) {
			set_subject(x, op + 5);
		} else if (strncmp(op, "crit=", 5) == 0 || strncmp(op, "ext=", 4) == 0) {
			add_raw_ext(x, strchr(op, '=') + 1, op[0] == 'c');
		} else if (strcmp(op, "poison") == 0) {
			add_raw_ext(x, "1.3.6.1.4.1.11129.2.4.3", true);
		} else if (strncmp(op, "serial", 6) == 0) {
			assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(x), atol(op + 6)),
					 1);
		} else if (strcmp(op, "sigflip") == 0) {
			flip = true;
		} else if (strcmp(op, "trailing") == 0) {
			trailing = true;
		} else if (strcmp(op, "trunc") == 0) {
			trunc = true;
		} else {
			fail_msg("%s: unknown op %s", spec, op);
		}
	}
	if (signer && (strcmp(signer, "forger") == 0 || strcmp(signer, "mallory") == 0)) {
		if (X509_sign(x, signer[0] == 'f' ? forger_key() : mallory_key(), md) <= 0)
			fail_msg("%s: X509_sign failed", spec);
	} else if (signer) {
		EVP_PKEY *k = tp_pem_key(signer);

		if (X509_sign(x, k, md) <= 0)
			fail_msg("%s: X509_sign failed", spec);
		EVP_PKEY_free(k);
	}
	n = i2d_X509(x, &der);
	X509_free(x);
	assert_true(n > 100);
	out = malloc((size_t)n + 1);
	assert_non_null(out);
	memcpy(out, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	if (flip)
		out[*len - 100] ^= 0xff; /* inside the signature BIT STRING, at the end */
	if (trailing)
		out[(*len)++] = 0x00;
	if (trunc)
		*len -= 20;
	return out;
}

/* ---- an environment: trust store, diag, chain store --------------------------- */

#define MAX_EV_CHAINS 64

/* What on_evidence announced. */
struct ev_log {
	size_t calls;                    /* every announcement */
	size_t calls_for[MAX_EV_CHAINS]; /* per chain id */
	bool have[MAX_EV_CHAINS];
	struct diag_evidence_rec last[MAX_EV_CHAINS]; /* the latest per chain id */
};

struct env {
	struct cs_trust *t;
	struct cs_timeline *tl; /* env_then: the root-store timeline */
	struct diag *d;
	struct cs_chain_store *st;
	struct ev_log ev;
};

/* Environments not yet freed: a failing test longjmps out of its body, so
 * main frees what is left and the run stays leak-free either way. */
static struct env *live[8];

static void live_add(struct env *e)
{
	for (size_t i = 0; i < CS_ARRAY_LEN(live); i++)
		if (!live[i]) {
			live[i] = e;
			return;
		}
	fail_msg("too many live environments");
}

static void env_free(struct env *e)
{
	for (size_t i = 0; i < CS_ARRAY_LEN(live); i++)
		if (live[i] == e)
			live[i] = NULL;
	diag_free(e->d);
	chain_store_free(e->st);
	trust_free(e->t);
	timeline_free(e->tl);
	free(e);
}

static void on_evidence(void *ctx, const struct cs_chain *c, const struct diag_evidence_rec *ev)
{
	struct ev_log *log = &((struct env *)ctx)->ev;

	log->calls++;
	if (c->id < MAX_EV_CHAINS) {
		log->calls_for[c->id]++;
		log->have[c->id] = true;
		log->last[c->id] = *ev;
	}
}

/* The latest evidence announced for c, NULL if none. */
static const struct diag_evidence_rec *evidence_of(const struct env *e, const struct cs_chain *c)
{
	assert_true(c->id < MAX_EV_CHAINS);
	return e->ev.have[c->id] ? &e->ev.last[c->id] : NULL;
}

static struct cs_trust *load_trust(const char *const *anchors, size_t nanchors)
{
	struct trust_opts o;
	char paths[CS_MAX_TRUST_SOURCES][256], err[512] = "";
	struct cs_trust *t;

	memset(&o, 0, sizeof o);
	assert_true(nanchors > 0 && nanchors <= CS_MAX_TRUST_SOURCES);
	for (size_t i = 0; i < nanchors; i++) {
		tp_path(anchors[i], ".pem", paths[i], sizeof paths[i]);
		o.ca_files[o.n_ca_files++] = paths[i];
	}
	if (trust_load(&o, &t, err, sizeof err) != CS_OK)
		fail_msg("trust_load: %s", err);
	return t;
}

static struct env *env_opts(const char *const *anchors, size_t nanchors, struct diag_opts o)
{
	struct env *e = calloc(1, sizeof *e);

	assert_non_null(e);
	o.on_evidence = on_evidence;
	o.ctx = e;
	e->t = load_trust(anchors, nanchors);
	e->d = diag_new(&o);
	assert_non_null(e->d);
	diag_set_trust(e->d, e->t);
	assert_ptr_equal(diag_trust(e->d), e->t);
	e->st = chain_store_new(CS_MAX_CHAINS, CS_CHAIN_MEMCAP);
	assert_non_null(e->st);
	live_add(e);
	return e;
}

static struct env *env_new(const char *const *anchors, size_t nanchors, int warn_days)
{
	return env_opts(anchors, nanchors, (struct diag_opts){.warn_days = warn_days});
}

/* The lab's trust store (root and ecroot), which most tests judge with. */
static const char *const lab_trust[] = {"trust"};

/* A test's environment with the lab's trust store, for
 * cmocka_unit_test_prestate_setup_teardown (ENV_TEST): made with the
 * diag_opts given as the test's state, freed after the test whether it
 * passed or not. */
static int env_setup(void **state)
{
	*state = env_opts(lab_trust, 1, *(const struct diag_opts *)*state);
	return 0;
}

static int env_teardown(void **state)
{
	env_free(*state);
	return 0;
}

#define ENV_TEST(f, opts) TL_TEST_WITH(f, env_setup, env_teardown, &(opts))

static const struct diag_opts o_lab = {.warn_days = -1};
/* a budget of one signature check: too small for any chain of two */
static const struct diag_opts o_one_check = {.warn_days = -1, .max_checks = 1};

static const struct cs_chain *chain_of(struct env *e, const char *const *names, size_t n)
{
	struct cs_slice s[MAX_ENTRIES];

	assert_true(n <= MAX_ENTRIES);
	for (size_t i = 0; i < n; i++)
		s[i].p = entry_der(names[i], &s[i].n);
	return tp_intern_der(e->st, s, n);
}

#define CHAIN(e, ...)                                                                              \
	chain_of(e, (const char *const[]){__VA_ARGS__},                                            \
		 sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

static size_t sni_len(const char *sni) { return sni ? strlen(sni) : 0; }

static void hex_of(const uint8_t *b, char out[65]) { hex_lower(b, 32, out); }

static uint64_t analyses(const struct env *e)
{
	struct diag_stats s;

	diag_get_stats(e->d, &s);
	return s.analyses;
}

/* ---- a judged handshake: the verdict, the hostname check, the words ------------ */

/*
 * What a report shows for one handshake: the verdict's problems, then the
 * hostname check (a hostname_mismatch record on the leaf, as report.c
 * adds it), each worded by the catalogue.
 */
struct judged {
	struct diag_verdict *v;
	uint32_t mask;
	bool broken;
	size_t n;
	struct diag_problem p[CS_DIAG_MAX_PROBLEMS + 2];
	char msg[CS_DIAG_MAX_PROBLEMS + 2][1024];
	char fix[CS_DIAG_MAX_PROBLEMS + 2][2048];
};

/* Verdicts made by the current test, freed at its end or by main. */
static struct judged *judged_live[16];

static struct judged *judged_new(void)
{
	struct judged *j = calloc(1, sizeof *j);

	assert_non_null(j);
	for (size_t i = 0; i < CS_ARRAY_LEN(judged_live); i++)
		if (!judged_live[i]) {
			judged_live[i] = j;
			return j;
		}
	fail_msg("too many live verdicts");
	return NULL;
}

static void judged_free(struct judged *j)
{
	for (size_t i = 0; i < CS_ARRAY_LEN(judged_live); i++)
		if (judged_live[i] == j)
			judged_live[i] = NULL;
	if (j)
		free(j->v);
	free(j);
}

static void judged_free_all(void)
{
	for (size_t i = 0; i < CS_ARRAY_LEN(judged_live); i++)
		if (judged_live[i])
			judged_free(judged_live[i]);
}

static const char *index_str(int i, char buf[16])
{
	if (i == ANY)
		return "any";
	if (i < 0)
		return "null";
	snprintf(buf, 16, "%d", i);
	return buf;
}

static void dump(const char *what, const struct judged *j)
{
	char ib[16];

	print_message("  [%s] mask 0x%06x broken %d status %u window [%lld, %lld) checks %u "
		      "cost %llu:\n",
		      what, j->mask, j->broken, j->v->status, (long long)j->v->from,
		      (long long)j->v->until, j->v->checks, (unsigned long long)j->v->cost);
	for (size_t i = 0; i < j->n; i++)
		print_message("    %s@%s %s: %s | %s\n", problem_name(j->p[i].code),
			      index_str(j->p[i].cert_index, ib), severity_name(j->p[i].severity),
			      j->msg[i], j->fix[i]);
}

static void word(struct env *e, const struct cs_chain *c, const char *sni, struct judged *j)
{
	struct problem_ctx ctx = {c,
				  sni,
				  sni_len(sni),
				  j->v->leaf_names,
				  evidence_of(e, c),
				  diag_warn_days(e->d),
				  j->v->then};

	for (size_t i = 0; i < j->n; i++) {
		problem_message(&j->p[i], &ctx, j->msg[i], sizeof j->msg[i]);
		problem_fix(&j->p[i], &ctx, j->fix[i], sizeof j->fix[i]);
	}
}

/* Two verdicts say the same: status, mask, problems field by field. */
static bool same_verdict(const struct diag_verdict *a, const struct diag_verdict *b)
{
	if (a->mask != b->mask || a->broken != b->broken || a->status != b->status ||
	    a->unknown_reason != b->unknown_reason || a->nproblems != b->nproblems ||
	    strcmp(a->leaf_names, b->leaf_names) != 0)
		return false;
	for (size_t i = 0; i < a->nproblems; i++) {
		const struct diag_problem *p = &a->problems[i], *q = &b->problems[i];

		if (p->code != q->code || p->severity != q->severity || p->variant != q->variant ||
		    p->role != q->role || p->cert_index != q->cert_index || p->num != q->num ||
		    p->count != q->count || p->date != q->date || p->norder != q->norder ||
		    memcmp(p->order, q->order, sizeof p->order) != 0 ||
		    strcmp(p->subject, q->subject) != 0 || strcmp(p->name, q->name) != 0 ||
		    strcmp(p->text, q->text) != 0)
			return false;
	}
	return true;
}

/* The checks every judged handshake must pass. */
static void check_judged(struct env *e, const struct cs_chain *c, const struct judged *j,
			 const char *what)
{
	const struct diag_verdict *v = j->v;
	uint32_t emask = 0;
	bool ebroken = false;

	assert_true(v->nproblems <= CS_DIAG_MAX_PROBLEMS);
	assert_true((v->mask & ~ALL_CODES) == 0);
	/* the hostname and the key exchange are per handshake, never in the
	 * chain's verdict */
	assert_int_equal(v->mask & (B(HOSTNAME_MISMATCH) | B(KEY_USAGE_MISMATCH)), 0);
	assert_non_null(v->leaf_names);
	for (size_t i = 0; i < j->n; i++) {
		const struct diag_problem *p = &j->p[i];
		const struct cs_cert_facts *f;

		assert_true(p->code < CS_P_MAX);
		emask |= 1u << p->code;
		ebroken |= p->severity == CS_SEV_ERROR;
		if (j->msg[i][0] == '\0' || j->fix[i][0] == '\0' || strchr(j->msg[i], '{') ||
		    strchr(j->fix[i], '{')) {
			dump(what, j);
			fail_msg("%s: %s without a message or fix", what, problem_name(p->code));
		}
		if (p->code != CS_P_WEAK_SIGNATURE && p->code != CS_P_WEAK_KEY &&
		    p->severity != problem_default_severity(p->code)) {
			dump(what, j);
			fail_msg("%s: %s has severity %s", what, problem_name(p->code),
				 severity_name(p->severity));
		}
		assert_true(p->cert_index >= -1 && p->cert_index < (int)c->n_certs);
		assert_non_null(p->subject);
		assert_non_null(p->name);
		assert_non_null(p->text);
		if (p->cert_index < 0)
			continue;
		/* the subject is that of the certificate named */
		f = cert_facts(c->certs[p->cert_index]);
		if (f->parsed && strcmp(p->subject, f->subject) != 0) {
			dump(what, j);
			fail_msg("%s: %s@%d subject \"%s\", want \"%s\"", what,
				 problem_name(p->code), p->cert_index, p->subject, f->subject);
		}
	}
	if (emask != j->mask || ebroken != j->broken) {
		dump(what, j);
		fail_msg("%s: problems say 0x%06x broken %d, verdict 0x%06x broken %d", what, emask,
			 ebroken, j->mask, j->broken);
	}
	/* status: no budget is hit by any of these chains */
	if (v->status != (v->broken ? DIAG_BROKEN : DIAG_OK) ||
	    v->unknown_reason != DIAG_UNK_NONE) {
		dump(what, j);
		fail_msg("%s: status %u reason %u", what, v->status, v->unknown_reason);
	}
	/* evidence is announced for a missing intermediate only */
	if (!(v->mask & B(MISSING_INTERMEDIATE)) && c->id < MAX_EV_CHAINS &&
	    e->ev.calls_for[c->id] != 0) {
		dump(what, j);
		fail_msg("%s: evidence announced without missing_intermediate", what);
	}
}

/* Largest checks and cost over the table's rows (printed at the end). */
static uint32_t table_max_checks;
static uint64_t table_max_cost;
static const char *table_max_row;

/*
 * The handshake at when for sni (NULL: none) with that cipher suite (0:
 * none): the verdict of the chain, the hostname and key usage checks (as
 * report.c adds their records), every problem worded; checked as above.  A
 * second analysis at the same time and at both ends of the window gives
 * the same verdict.
 */
static struct judged *judge_hs(struct env *e, const struct cs_chain *c, const char *sni,
			       uint16_t suite, int64_t when, const char *what)
{
	struct judged *j = judged_new();
	uint64_t a0 = analyses(e);
	struct diag_verdict *again;
	int64_t ends[3];

	j->v = diag_analyze(e->d, c, when, NULL);
	assert_non_null(j->v);
	assert_int_equal(analyses(e), a0 + 1);
	if (when < j->v->from || when >= j->v->until) {
		dump(what, j);
		fail_msg("%s: %lld outside its own window", what, (long long)when);
	}
	j->mask = j->v->mask;
	j->broken = j->v->broken;
	j->n = j->v->nproblems;
	memcpy(j->p, j->v->problems, j->n * sizeof j->p[0]);
	if (sni && !diag_hostname_ok(e->d, c, sni, sni_len(sni))) {
		const struct cs_cert_facts *leaf = cert_facts(c->certs[0]);

		j->p[j->n++] = (struct diag_problem){.code = CS_P_HOSTNAME_MISMATCH,
						     .severity = CS_SEV_ERROR,
						     .cert_index = 0,
						     .role = CS_ROLE_LEAF,
						     .subject = leaf->parsed ? leaf->subject : "",
						     .name = "",
						     .text = ""};
		j->mask |= B(HOSTNAME_MISMATCH);
		j->broken = true;
	}
	if (diag_key_usage_problem(j->v, suite, &j->p[j->n])) {
		const struct cs_cert_facts *leaf = cert_facts(c->certs[0]);

		j->p[j->n++].subject = leaf->parsed ? leaf->subject : "";
		j->mask |= B(KEY_USAGE_MISMATCH);
	}
	word(e, c, sni, j);
	check_judged(e, c, j, what);
	/* the verdict holds for its whole window */
	ends[0] = when;
	ends[1] = j->v->from == INT64_MIN ? when : j->v->from;
	ends[2] = j->v->until == INT64_MAX ? when : j->v->until - 1;
	for (size_t k = 0; k < CS_ARRAY_LEN(ends); k++) {
		again = diag_analyze(e->d, c, ends[k], NULL);
		assert_non_null(again);
		if (!same_verdict(j->v, again) || again->from != j->v->from ||
		    again->until != j->v->until || again->checks != j->v->checks) {
			dump(what, j);
			free(again);
			fail_msg("%s: analysed again at %lld, another verdict", what,
				 (long long)ends[k]);
		}
		free(again);
	}
	return j;
}

static const struct diag_problem *find(const struct judged *j, enum cs_problem code, int index)
{
	for (size_t i = 0; i < j->n; i++)
		if (j->p[i].code == code && (index == ANY || j->p[i].cert_index == index))
			return &j->p[i];
	return NULL;
}

static struct judged *judge(struct env *e, const struct cs_chain *c, const char *sni, int64_t when,
			    const char *what)
{
	return judge_hs(e, c, sni, 0, when, what);
}

/* The message of a problem found in j. */
static const char *msg_of(const struct judged *j, const struct diag_problem *p)
{
	return j->msg[p - j->p];
}

static void test_row(void **state)
{
	const struct row *r = *state;
	size_t nanchors = 0, nchain = 0;
	uint32_t want = 0;
	struct env *e;
	const struct cs_chain *c;
	struct judged *j;
	char ib[16];

	while (nanchors < CS_ARRAY_LEN(r->anchors) && r->anchors[nanchors])
		nanchors++;
	while (nchain < MAX_ENTRIES && r->chain[nchain])
		nchain++;
	e = env_new(r->anchors, nanchors, -1);
	c = chain_of(e, r->chain, nchain);
	j = judge_hs(e, c, r->sni, suite_of(r), r->when, r->name);
	if (getenv("TEST_DIAG_VERBOSE"))
		dump(r->name, j);
	for (size_t i = 0; i < MAX_WANT && r->must[i].set; i++) {
		const struct want *w = &r->must[i];
		const struct diag_problem *p = find(j, w->code, w->index);

		want |= 1u << w->code;
		if (!p) {
			dump(r->name, j);
			fail_msg("%s: %s@%s missing", r->name, problem_name(w->code),
				 index_str(w->index, ib));
		}
		if (w->sev != SEV_ANY && (int)p->severity != w->sev) {
			dump(r->name, j);
			fail_msg("%s: %s@%s is %s, want %s", r->name, problem_name(w->code),
				 index_str(w->index, ib), severity_name(p->severity),
				 severity_name((enum cs_severity)w->sev));
		}
	}
	if ((j->mask & r->must_not & ~want) != 0 || (!r->loose && (j->mask & ~want) != 0)) {
		dump(r->name, j);
		fail_msg("%s: unexpected codes 0x%06x", r->name,
			 r->loose ? j->mask & r->must_not & ~want : j->mask & ~want);
	}
	if (j->broken != r->broken) {
		dump(r->name, j);
		fail_msg("%s: broken %d, want %d", r->name, j->broken, r->broken);
	}
	/* ordinary chains stay far from the analysis budget */
	if (j->v->checks >= CS_DIAG_MAX_CHECKS / 4 || j->v->cost >= CS_DIAG_MAX_COST_US / 4) {
		dump(r->name, j);
		fail_msg("%s: %u checks, %llu us: too close to the budget", r->name, j->v->checks,
			 (unsigned long long)j->v->cost);
	}
	if (j->v->checks > table_max_checks) {
		table_max_checks = j->v->checks;
		table_max_row = r->name;
	}
	if (j->v->cost > table_max_cost)
		table_max_cost = j->v->cost;
	judged_free(j);
	env_free(e);
}

static uint32_t then_table_codes(void);

/* Every code of cs_problems.h appears in some row's must list (of this
 * table or of the store-of-another-day table, for distrusted_root), and
 * both severities of weak_signature and weak_key. */
static void test_table_covers_every_code(void **state)
{
	(void)state;
	uint32_t seen = then_table_codes();
	bool ws[2] = {false, false}, wk[2] = {false, false};

	for (size_t r = 0; r < CS_ARRAY_LEN(rows); r++)
		for (size_t i = 0; i < MAX_WANT && rows[r].must[i].set; i++) {
			const struct want *w = &rows[r].must[i];

			seen |= 1u << w->code;
			if (w->code == CS_P_WEAK_SIGNATURE && w->sev != SEV_ANY)
				ws[w->sev] = true;
			if (w->code == CS_P_WEAK_KEY && w->sev != SEV_ANY)
				wk[w->sev] = true;
		}
	for (int p = 0; p < CS_P_MAX; p++)
		if (!(seen & (1u << p)))
			fail_msg("no row expects %s", problem_name((enum cs_problem)p));
	assert_true(ws[CS_SEV_ERROR] && ws[CS_SEV_WARNING]);
	assert_true(wk[CS_SEV_ERROR] && wk[CS_SEV_WARNING]);
}

/* Runs after the rows: the most work an ordinary chain of the table needed. */
static void test_table_budget_summary(void **state)
{
	(void)state;
	assert_non_null(table_max_row);
	print_message("  table: at most %u signature checks (%s) and %llu us of estimated "
		      "verification per chain; budget %u checks, %u us\n",
		      table_max_checks, table_max_row, (unsigned long long)table_max_cost,
		      CS_DIAG_MAX_CHECKS, CS_DIAG_MAX_COST_US);
	assert_true(table_max_checks > 0);
	assert_true(table_max_checks < CS_DIAG_MAX_CHECKS / 4);
}

/* ---- the validity window ------------------------------------------------------------ */

/* The mask at when, through judge() (which checks the window). */
static uint32_t mask_at(struct env *e, const struct cs_chain *c, const char *sni, int64_t when,
			bool *broken, int64_t *from, int64_t *until)
{
	struct judged *j = judge(e, c, sni, when, "mask_at");
	uint32_t mask = j->mask;

	*broken = j->broken;
	if (from)
		*from = j->v->from;
	if (until)
		*until = j->v->until;
	judged_free(j);
	return mask;
}

/*
 * one + int1 under root (all 2025-01-01 .. 2035-01-01) at the capture: the
 * verdict holds from the notBefore of the path to 30 days before its
 * notAfter; outside, it changes.  Every diag_analyze is an analysis (the
 * cache is judge.c's).
 */
static void test_window(void **state)
{
	struct env *e = *state;
	const struct cs_chain *one = CHAIN(e, "one", "int1");
	const struct cs_chain *two = CHAIN(e, "two", "int2", "int1");
	const int64_t nb = 1735689600LL, na = 2051222400LL; /* CERTS.txt */
	int64_t from, until;
	bool broken;

	assert_int_equal(analyses(e), 0);
	assert_int_equal(mask_at(e, one, "one.test", T_CAPTURE, &broken, &from, &until), 0);
	assert_false(broken);
	assert_int_equal(from, nb);
	assert_int_equal(until, na - 30 * DAY);
	assert_int_equal(analyses(e), 4); /* judge() analyses at when and at both ends */
	assert_int_equal(mask_at(e, two, "two.test", T_CAPTURE, &broken, &from, &until), 0);
	assert_int_equal(from, nb);
	assert_int_equal(until, na - 30 * DAY);
	/* a day later: the same window */
	assert_int_equal(mask_at(e, one, "one.test", T_CAPTURE + DAY, &broken, &from, &until), 0);
	assert_int_equal(from, nb);
	/* 2034-12-15: within 30 days of the notAfter of leaf, int1 and root */
	assert_int_equal(mask_at(e, one, "one.test", T_2034_12_15, &broken, &from, &until),
			 B(EXPIRING_SOON));
	assert_false(broken);
	assert_int_equal(from, na - 30 * DAY);
	assert_int_equal(until, na + 1);
	/* back before 2025-01-01 (notBefore of the whole PKI), less than two
	 * years: not yet valid */
	assert_int_equal(mask_at(e, one, "one.test", nb - 700 * DAY, &broken, &from, &until),
			 B(NOT_YET_VALID));
	assert_true(broken);
	assert_int_equal(from, nb - CS_CLOCK_LEAF_SLACK);
	assert_int_equal(until, nb);
	/* more than two years before the leaf and its CA: the clock, for that day */
	assert_int_equal(
		mask_at(e, one, "one.test", nb - CS_CLOCK_LEAF_SLACK - 1, &broken, &from, &until),
		B(NOT_YET_VALID) | B(CLOCK_IMPLAUSIBLE));
	assert_int_equal(from, nb - CS_CLOCK_LEAF_SLACK - DAY);
	assert_int_equal(until, nb - CS_CLOCK_LEAF_SLACK);
	assert_int_equal(mask_at(e, one, "one.test", T_2016, &broken, &from, &until),
			 B(NOT_YET_VALID) | B(CLOCK_IMPLAUSIBLE));
	assert_int_equal(from, T_2016); /* 2016-06-01T00:00:00Z */
	assert_int_equal(until, T_2016 + DAY);
	/* and to 1970: the day again */
	assert_int_equal(mask_at(e, one, "one.test", T_1970, &broken, &from, &until),
			 B(NOT_YET_VALID) | B(CLOCK_IMPLAUSIBLE));
	assert_int_equal(from, T_1970);
	assert_int_equal(until, T_1970 + DAY);
	assert_int_equal(mask_at(e, one, "one.test", T_CAPTURE, &broken, NULL, NULL), 0);
	assert_false(broken);
	/* clock_implausible, not_yet_valid for one, int1 and the root */
	{
		struct judged *j = judge(e, one, "one.test", T_1970, "1970");

		assert_int_equal(j->n, 4);
		assert_int_equal(j->p[0].code, CS_P_CLOCK_IMPLAUSIBLE);
		judged_free(j);
	}
}

/* 'soon' (notAfter 2026-11-30T00:00:00Z) judged on both sides of each of
 * its boundaries: warn threshold (notAfter - 30 days) and notAfter. */
static void test_window_soon_boundaries(void **state)
{
	struct env *e = *state;
	const struct cs_chain *c = CHAIN(e, "soon", "int1");
	const int64_t warn_from = T_SOON_NA - 30 * DAY; /* 2026-10-31T00:00:00Z */
	int64_t from, until;
	bool broken;

	assert_int_equal(diag_warn_days(e->d), CS_DIAG_WARN_DAYS_DEFAULT);
	assert_int_equal(mask_at(e, c, "soon.test", T_CAPTURE, &broken, &from, &until),
			 B(EXPIRING_SOON));
	assert_false(broken);
	assert_int_equal(from, warn_from);
	assert_int_equal(until, T_SOON_NA + 1); /* notAfter itself is still valid (RFC 5280) */
	assert_int_equal(mask_at(e, c, "soon.test", T_SOON_NA, &broken, NULL, NULL),
			 B(EXPIRING_SOON));
	assert_int_equal(mask_at(e, c, "soon.test", warn_from, &broken, NULL, NULL),
			 B(EXPIRING_SOON));
	/* one second later it has expired */
	assert_int_equal(mask_at(e, c, "soon.test", T_SOON_NA + 1, &broken, &from, &until),
			 B(EXPIRED_LEAF));
	assert_true(broken);
	assert_int_equal(from, T_SOON_NA + 1);
	assert_int_equal(mask_at(e, c, "soon.test", T_SOON_NA + 365 * DAY, &broken, NULL, NULL),
			 B(EXPIRED_LEAF));
	/* one second before the warn threshold: fine */
	assert_int_equal(mask_at(e, c, "soon.test", warn_from - 1, &broken, &from, &until), 0);
	assert_false(broken);
	assert_int_equal(until, warn_from);
	assert_int_equal(mask_at(e, c, "soon.test", warn_from - 20 * DAY, &broken, NULL, NULL), 0);
}

/* A weak-algorithm cut-off is a boundary of the window. */
static void test_window_weak_cutoff(void **state)
{
	(void)state;
	static const char *const oldroot[] = {"oldroot"};
	struct env *e = env_new(oldroot, 1, -1);
	const struct cs_chain *c = CHAIN(e, "oldleaf+old+sha1@oldroot");
	int64_t from, until;
	bool broken;

	assert_int_equal(mask_at(e, c, "oldleaf.test", T_2016, &broken, &from, &until),
			 B(WEAK_SIGNATURE));
	assert_false(broken);
	assert_int_equal(until, CS_SHA1_CUTOFF);
	assert_int_equal(mask_at(e, c, "oldleaf.test", CS_SHA1_CUTOFF - 1, &broken, NULL, NULL),
			 B(WEAK_SIGNATURE));
	assert_false(broken);
	assert_int_equal(mask_at(e, c, "oldleaf.test", CS_SHA1_CUTOFF, &broken, &from, &until),
			 B(WEAK_SIGNATURE));
	assert_true(broken);
	assert_int_equal(from, CS_SHA1_CUTOFF);
	/* Old Root expires 2022-06-01 */
	assert_int_equal(mask_at(e, c, "oldleaf.test", T_CAPTURE, &broken, NULL, NULL),
			 B(WEAK_SIGNATURE) | B(EXPIRED_ROOT));
	env_free(e);
}

/*
 * The path chosen depends on the time, so the window must cover the dates
 * of every path considered.  [xs, int1, rootxs] with root and Old Root both
 * trusted: in 2021 only rootxs and Old Root are valid, so the path through
 * them has fewer errors; in 2026 the path through root wins and rootxs is
 * a stale cross-sign; in late 2022 both old ones have expired and the path
 * through root wins again, with errors, so rootxs is then only extra.
 * No window contains another's time.
 */
static void test_window_path_choice(void **state)
{
	(void)state;
	static const char *const both[] = {"trust", "oldroot"};
	struct env *e = env_new(both, 2, -1);
	const struct cs_chain *c = CHAIN(e, "xs", "int1", "rootxs");
	const int64_t t2021 = 1622505600LL; /* 2021-06-01 */
	const int64_t t2022 = 1664582400LL; /* 2022-10-01 */
	const int64_t times[3] = {t2021, T_CAPTURE, t2022};
	struct judged *j[3];

	/* (2021 and 2022 are more than two years before xs and int1 were issued:
	 * clock_implausible) */
	j[0] = judge(e, c, "xs.test", t2021, "2021");
	assert_int_equal(j[0]->mask, B(NOT_YET_VALID) | B(CLOCK_IMPLAUSIBLE));
	assert_true(j[0]->broken);
	assert_non_null(find(j[0], CS_P_NOT_YET_VALID, 0));
	assert_non_null(find(j[0], CS_P_NOT_YET_VALID, 1));
	assert_null(find(j[0], CS_P_NOT_YET_VALID, -1)); /* not root: Old Root's path */
	j[1] = judge(e, c, "xs.test", T_CAPTURE, "2026");
	assert_int_equal(j[1]->mask, B(CROSS_SIGN_STALE));
	assert_false(j[1]->broken);
	j[2] = judge(e, c, "xs.test", t2022, "2022");
	assert_int_equal(j[2]->mask, B(NOT_YET_VALID) | B(EXTRA_CERTS) | B(CLOCK_IMPLAUSIBLE));
	assert_true(j[2]->broken);
	assert_non_null(find(j[2], CS_P_NOT_YET_VALID, -1)); /* root's path */
	assert_non_null(find(j[2], CS_P_EXTRA_CERTS, 2));
	for (size_t a = 0; a < 3; a++)
		for (size_t b = 0; b < 3; b++)
			if (a != b)
				assert_false(times[b] >= j[a]->v->from &&
					     times[b] < j[a]->v->until);
	for (size_t a = 0; a < 3; a++)
		judged_free(j[a]);
	env_free(e);
}

/* --warn-days decides expiring_soon: the capture is 6.9 days before. */
static void test_warn_days(void **state)
{
	(void)state;
	static const struct {
		int days;
		uint32_t mask;
	} cases[] = {
		{-1, B(EXPIRING_SOON)}, /* default 30 */
		{0, 0},
		{5, 0},
		{6, 0},
		{7, B(EXPIRING_SOON)},
		{30, B(EXPIRING_SOON)},
		{3650, B(EXPIRING_SOON)},
	};

	for (size_t i = 0; i < CS_ARRAY_LEN(cases); i++) {
		struct env *e = env_new(lab_trust, 1, cases[i].days);
		const struct cs_chain *c = CHAIN(e, "soon", "int1");
		struct judged *j;

		assert_int_equal(diag_warn_days(e->d),
				 cases[i].days < 0 ? CS_DIAG_WARN_DAYS_DEFAULT : cases[i].days);
		j = judge(e, c, "soon.test", T_CAPTURE, "warn_days");
		if (j->mask != cases[i].mask)
			fail_msg("warn_days %d: mask 0x%06x, want 0x%06x", cases[i].days, j->mask,
				 cases[i].mask);
		assert_false(j->broken);
		if (cases[i].mask) {
			char days[32];

			/* the message says the days of this run */
			snprintf(days, sizeof days, "within %d days",
				 cases[i].days < 0 ? CS_DIAG_WARN_DAYS_DEFAULT : cases[i].days);
			assert_non_null(strstr(msg_of(j, find(j, CS_P_EXPIRING_SOON, 0)), days));
		}
		if (cases[i].days == 3650) {
			/* ten years: int1 and the root (2035) too */
			assert_non_null(find(j, CS_P_EXPIRING_SOON, 0));
			assert_non_null(find(j, CS_P_EXPIRING_SOON, 1));
			assert_non_null(find(j, CS_P_EXPIRING_SOON, -1));
		}
		judged_free(j);
		env_free(e);
	}
	/* with 7 days the boundary moves to notAfter - 7 days */
	{
		struct env *e = env_new(lab_trust, 1, 7);
		const struct cs_chain *c = CHAIN(e, "soon", "int1");
		int64_t from, until;
		bool broken;

		assert_int_equal(
			mask_at(e, c, "soon.test", T_SOON_NA - 7 * DAY - 1, &broken, &from, &until),
			0);
		assert_int_equal(until, T_SOON_NA - 7 * DAY);
		assert_int_equal(
			mask_at(e, c, "soon.test", T_SOON_NA - 7 * DAY, &broken, NULL, NULL),
			B(EXPIRING_SOON));
		env_free(e);
	}
	/* no options: the defaults */
	{
		struct cs_trust *t;
		struct trust_opts o;
		struct diag *d;
		char err[256];

		memset(&o, 0, sizeof o);
		o.ca_files[o.n_ca_files++] = PKI "trust.pem";
		assert_int_equal(trust_load(&o, &t, err, sizeof err), CS_OK);
		assert_int_equal(trust_count(t), 2);
		d = diag_new(NULL);
		assert_non_null(d);
		diag_set_trust(d, t);
		assert_int_equal(diag_warn_days(d), CS_DIAG_WARN_DAYS_DEFAULT);
		diag_free(d);
		trust_free(t);
		diag_free(NULL);
	}
}

/* ---- the hostname, per handshake ------------------------------------------------ */

static void test_hostname(void **state)
{
	struct env *e = *state;
	const struct cs_chain *one = CHAIN(e, "one", "int1");
	const struct cs_chain *v6 = CHAIN(e, "v6", "int1");
	static const char nul_sni[] = "one.test\0.evil";
	char long_sni[300];
	static const struct {
		const char *sni;
		bool match;
	} names[] = {
		{"one.test", true},        {"mismatch.test", false},
		{"www.one.test", true},    {"ONE.Test", true}, /* without regard to case */
		{"a.www.one.test", false},                     /* no wildcard anyway */
		{"one.test.", false},                          /* a trailing dot never matches */
		{"test", false},           {"", false},
	};
	struct diag_stats s0, s1;
	struct diag_verdict *v = diag_analyze(e->d, one, T_CAPTURE, NULL);
	struct judged *j;

	assert_non_null(v);
	diag_get_stats(e->d, &s0);
	for (size_t i = 0; i < CS_ARRAY_LEN(names); i++) {
		const char *sni = names[i].sni;
		struct diag_problem p = {.code = CS_P_HOSTNAME_MISMATCH,
					 .severity = CS_SEV_ERROR,
					 .cert_index = 0,
					 .role = CS_ROLE_LEAF,
					 .subject = "",
					 .name = "",
					 .text = ""};
		struct problem_ctx ctx = {one, sni, strlen(sni), v->leaf_names, NULL, 30, NULL};
		char msg[1024], quoted[300];

		assert_int_equal(diag_hostname_ok(e->d, one, sni, strlen(sni)), names[i].match);
		/* and the same again: the answer does not change */
		assert_int_equal(diag_hostname_ok(e->d, one, sni, strlen(sni)), names[i].match);
		if (names[i].match)
			continue;
		/* the words name the SNI asked for and the names covered */
		problem_message(&p, &ctx, msg, sizeof msg);
		snprintf(quoted, sizeof quoted, "(SNI \"%s\")", sni);
		assert_non_null(strstr(msg, quoted));
		assert_non_null(strstr(msg, "www.one.test"));
	}
	diag_get_stats(e->d, &s1);
	assert_int_equal(s1.hostname_checks, s0.hostname_checks + 2 * CS_ARRAY_LEN(names));
	assert_int_equal(s1.analyses, s0.analyses); /* no analysis for a hostname */
	free(v);
	/* the words: the SNI and the names the leaf covers */
	j = judge(e, one, "mismatch.test", T_CAPTURE, "mismatch");
	{
		const struct diag_problem *p = find(j, CS_P_HOSTNAME_MISMATCH, 0);

		assert_non_null(p);
		assert_non_null(strstr(msg_of(j, p), "\"mismatch.test\""));
		assert_non_null(strstr(msg_of(j, p), "www.one.test")); /* the names covered */
		assert_non_null(strstr(j->v->leaf_names, "one.test"));
	}
	judged_free(j);
	/* no SNI: no hostname check, no problem */
	j = judge(e, one, NULL, T_CAPTURE, "no sni");
	assert_int_equal(j->mask, 0);
	judged_free(j);
	/* an SNI with a NUL inside never matches */
	assert_false(diag_hostname_ok(e->d, one, nul_sni, sizeof nul_sni - 1));
	/* an SNI longer than 255 bytes is no SNI: not checked, not crashed on */
	memset(long_sni, 'a', sizeof long_sni);
	assert_true(diag_hostname_ok(e->d, one, long_sni, sizeof long_sni));
	/* IP address literals match iPAddress SANs (v6: IP ::1) */
	assert_true(diag_hostname_ok(e->d, v6, "::1", 3));
	assert_true(diag_hostname_ok(e->d, v6, "v6.test", 7));
	assert_false(diag_hostname_ok(e->d, v6, "127.0.0.1", 9));
	assert_false(diag_hostname_ok(e->d, v6, "::2", 3));
	/* one chain's answer does not leak into another's */
	assert_false(diag_hostname_ok(e->d, one, "v6.test", 7));
	assert_true(diag_hostname_ok(e->d, v6, "v6.test", 7));
	/* only sni_len bytes count */
	assert_true(diag_hostname_ok(e->d, one, "one.test.evil", 8));
}

/* An empty name (sni_len 0) matches nothing, whatever the pointer points
 * at: the length is the name's, never a C string's. */
static void test_hostname_empty_sni(void **state)
{
	struct env *e = *state;
	const struct cs_chain *one = CHAIN(e, "one", "int1");

	assert_false(diag_hostname_ok(e->d, one, "", 0));
	assert_false(diag_hostname_ok(e->d, one, "one.test", 0));
}

/* A chain whose leaf does not parse: nothing to check a name against
 * (malformed_cert says why); an empty chain has no problems. */
static void test_hostname_and_empty_chains(void **state)
{
	struct env *e = *state;
	const struct cs_chain *bad = CHAIN(e, "garbage");
	const struct cs_chain *empty;
	struct judged *j;
	bool added;

	assert_true(diag_hostname_ok(e->d, bad, "one.test", 8));
	assert_int_equal(chain_store_intern(e->st, NULL, 0, &empty, &added), CS_OK);
	j = judge(e, empty, "x.test", T_CAPTURE, "empty");
	assert_int_equal(j->mask, 0);
	assert_int_equal(j->v->nproblems, 0);
	assert_false(j->broken);
	assert_string_equal(j->v->leaf_names, "");
	judged_free(j);
}

/* More problems than a verdict holds: the first CS_DIAG_MAX_PROBLEMS are
 * kept, the mask has every code. */
static void test_problems_capped(void **state)
{
	struct env *e = *state;
	const char *names[CS_MAX_CHAIN_CERTS];
	const struct cs_chain *c;
	struct diag_verdict *v;

	names[0] = "one";
	for (size_t i = 1; i < CS_MAX_CHAIN_CERTS; i++)
		names[i] = "int1";
	c = chain_of(e, names, CS_MAX_CHAIN_CERTS);
	/* 1970: clock, not yet valid x 3, 30 duplicates */
	v = diag_analyze(e->d, c, T_1970, "");
	assert_non_null(v);
	assert_int_equal(v->nproblems, CS_DIAG_MAX_PROBLEMS);
	assert_int_equal(v->mask, B(CLOCK_IMPLAUSIBLE) | B(NOT_YET_VALID) | B(DUPLICATE_CERT));
	assert_true(v->broken);
	assert_int_equal(v->problems[0].code, CS_P_CLOCK_IMPLAUSIBLE);
	free(v);
}

/* ---- evidence for missing_intermediate --------------------------------------------- */

/* The chain is broken by a missing intermediate at 0 only, whatever the
 * evidence (evidence never makes a chain valid); its fix is worded with
 * the evidence announced. */
static struct judged *missing(struct env *e, const struct cs_chain *c, const char *sni)
{
	struct judged *j = judge(e, c, sni, T_CAPTURE, sni);

	if (j->mask != B(MISSING_INTERMEDIATE) || !j->broken || j->n != 1) {
		dump(sni, j);
		fail_msg("%s: not just missing_intermediate", sni);
	}
	assert_non_null(find(j, CS_P_MISSING_INTERMEDIATE, 0));
	return j;
}

static void expect_sha(const uint8_t *sha, const char *hex)
{
	char got[65];

	hex_of(sha, got);
	assert_string_equal(got, hex);
}

static const struct diag_evidence_rec *expect_evidence(struct env *e, const struct cs_chain *c,
						       enum diag_evidence kind)
{
	const struct diag_evidence_rec *ev = evidence_of(e, c);

	assert_non_null(ev);
	if (ev->kind != kind)
		fail_msg("evidence %s, want %s", evidence_name(ev->kind), evidence_name(kind));
	assert_int_equal(ev->have_cert,
			 kind == DIAG_EV_SEEN_IN_CAPTURE || kind == DIAG_EV_INTERMEDIATES_FILE);
	return ev;
}

/* An intermediate seen earlier from another server explains the gap: the
 * first server that sent it is named, with its SHA-256. */
static void test_evidence_seen_earlier(void **state)
{
	struct env *e = *state;
	const struct cs_chain *miss = CHAIN(e, "miss");
	const struct cs_chain *one = CHAIN(e, "one", "int1");
	const struct cs_chain *rootinc = CHAIN(e, "rootinc", "int1", "root");
	const struct diag_evidence_rec *ev;
	struct diag_verdict *v;
	struct diag_stats s;
	struct judged *j;

	/* nothing known: announced as none; the words say the three cases */
	j = missing(e, miss, "miss.test");
	ev = expect_evidence(e, miss, DIAG_EV_NONE);
	assert_false(ev->completes);
	assert_string_equal(j->p[0].subject, "CN=miss.test,O=chainsniff lab");
	assert_string_equal(j->p[0].name, "CN=chainsniff Lab Intermediate 1,O=chainsniff lab");
	assert_string_equal(j->p[0].text, "");
	assert_non_null(strstr(j->msg[0], "CN=chainsniff Lab Intermediate 1,O=chainsniff lab"));
	assert_non_null(strstr(j->fix[0], "--add-ca"));
	judged_free(j);
	/* a leaf alone (index 0) and a self-signed root are not pooled ... */
	free(diag_analyze(e->d, miss, T_CAPTURE, "192.0.2.1:443"));
	diag_get_stats(e->d, &s);
	assert_int_equal(s.pool_size, 0);
	/* ... but int1 from this chain is: the first server that sent it */
	v = diag_analyze(e->d, rootinc, T_CAPTURE, "192.0.2.2:443");
	assert_non_null(v);
	assert_int_equal(v->status, DIAG_OK);
	free(v);
	diag_get_stats(e->d, &s);
	assert_int_equal(s.pool_size, 1);
	j = missing(e, miss, "miss.test");
	ev = expect_evidence(e, miss, DIAG_EV_SEEN_IN_CAPTURE);
	expect_sha(ev->sha256, SHA_INT1);
	assert_string_equal(ev->source, "192.0.2.2:443");
	assert_true(ev->completes); /* int1 completes a trusted path */
	judged_free(j);
	/* the same int1 from another server: the first source stays */
	free(diag_analyze(e->d, one, T_CAPTURE, "198.51.100.9:443"));
	diag_get_stats(e->d, &s);
	assert_int_equal(s.pool_size, 1);
	j = missing(e, miss, "miss.test");
	ev = expect_evidence(e, miss, DIAG_EV_SEEN_IN_CAPTURE);
	assert_string_equal(ev->source, "192.0.2.2:443");
	assert_non_null(strstr(j->fix[0], SHA_INT1));
	assert_non_null(strstr(j->fix[0], "sent by 192.0.2.2:443"));
	assert_non_null(strstr(j->fix[0], "trusted root"));
	assert_string_equal(j->p[0].text, "");
	judged_free(j);
}

/* An intermediate seen AFTER the broken chain was analysed still names it:
 * on_evidence is called for the broken chain when int1 arrives. */
static void test_evidence_seen_later(void **state)
{
	struct env *e = *state;
	const struct cs_chain *miss = CHAIN(e, "miss");
	const struct cs_chain *one = CHAIN(e, "one", "int1");
	const struct diag_evidence_rec *ev;
	struct diag_verdict *v = diag_analyze(e->d, miss, T_CAPTURE, "192.0.2.1:443");
	size_t calls;

	assert_non_null(v);
	assert_int_equal(v->mask, B(MISSING_INTERMEDIATE));
	expect_evidence(e, miss, DIAG_EV_NONE);
	calls = e->ev.calls_for[miss->id];
	free(v);
	v = diag_analyze(e->d, one, T_CAPTURE, "198.51.100.9:443");
	assert_non_null(v);
	assert_int_equal(v->mask, 0);
	free(v);
	assert_int_equal(e->ev.calls_for[miss->id], calls + 1);
	assert_int_equal(e->ev.calls_for[one->id], 0);
	ev = expect_evidence(e, miss, DIAG_EV_SEEN_IN_CAPTURE);
	expect_sha(ev->sha256, SHA_INT1);
	assert_string_equal(ev->source, "198.51.100.9:443");
	assert_true(ev->completes);
	/* the verdict itself is unchanged: evidence never makes it valid */
	judged_free(missing(e, miss, "miss.test"));
}

static void test_evidence_seen_other_server(void **state)
{
	struct env *e = *state;
	const struct cs_chain *two_alone = CHAIN(e, "two");
	const struct cs_chain *two = CHAIN(e, "two", "int2", "int1");
	const struct diag_evidence_rec *ev;
	struct judged *j;

	free(diag_analyze(e->d, two, T_CAPTURE, "198.51.100.9:443"));
	j = missing(e, two_alone, "two.test");
	ev = expect_evidence(e, two_alone, DIAG_EV_SEEN_IN_CAPTURE);
	expect_sha(ev->sha256, SHA_INT2);
	assert_string_equal(ev->source, "198.51.100.9:443");
	assert_false(ev->completes); /* int2 alone does not complete a path */
	assert_non_null(strstr(j->fix[0], SHA_INT2));
	assert_null(strstr(j->fix[0], "trusted root"));
	judged_free(j);
}

static void test_evidence_intermediates_file(void **state)
{
	struct env *e = *state;
	const struct cs_chain *miss = CHAIN(e, "miss");
	const struct cs_chain *two = CHAIN(e, "two");
	const struct diag_evidence_rec *ev;
	struct judged *j;
	char err[512] = "";

	/* errors name the file */
	assert_int_equal(diag_load_intermediates(e->d, PKI "no-such-file.pem", err, sizeof err),
			 CS_IO);
	assert_non_null(strstr(err, "no-such-file.pem"));
	err[0] = '\0';
	assert_int_equal(diag_load_intermediates(e->d, PKI "one.der", err, sizeof err), CS_BAD);
	assert_non_null(strstr(err, "one.der"));
	/* extra.chain.pem is a bundle of two intermediates: int1 and ecint */
	assert_int_equal(diag_load_intermediates(e->d, PKI "extra.chain.pem", err, sizeof err),
			 CS_OK);
	j = missing(e, miss, "miss.test");
	ev = expect_evidence(e, miss, DIAG_EV_INTERMEDIATES_FILE);
	expect_sha(ev->sha256, SHA_INT1);
	assert_string_equal(ev->source, PKI "extra.chain.pem");
	assert_non_null(strstr(j->fix[0], SHA_INT1));
	assert_non_null(strstr(j->fix[0], "found in " PKI "extra.chain.pem"));
	judged_free(j);
	/* int2 is not in the bundle: no evidence for two.test */
	j = missing(e, two, "two.test");
	expect_evidence(e, two, DIAG_EV_NONE);
	judged_free(j);
}

static void test_evidence_aia(void **state)
{
	struct env *e = *state;
	const struct cs_chain *aia = CHAIN(e, "aia");
	const struct cs_chain *one = CHAIN(e, "one", "int1");
	const struct diag_evidence_rec *ev;
	struct judged *j;

	j = missing(e, aia, "aia.test");
	expect_evidence(e, aia, DIAG_EV_AIA);
	assert_string_equal(j->p[0].text, "http://ca.test/int1.crt");
	assert_non_null(strstr(j->fix[0], "http://ca.test/int1.crt"));
	judged_free(j);
	/* once int1 is seen, that is the evidence; the URL stays in the record */
	free(diag_analyze(e->d, one, T_CAPTURE, "198.51.100.9:443"));
	j = missing(e, aia, "aia.test");
	ev = expect_evidence(e, aia, DIAG_EV_SEEN_IN_CAPTURE);
	expect_sha(ev->sha256, SHA_INT1);
	assert_string_equal(j->p[0].text, "http://ca.test/int1.crt");
	assert_non_null(strstr(j->fix[0], SHA_INT1));
	judged_free(j);
}

/* Another trust store: every waiting chain's evidence is announced again,
 * resolved against it ("completes" follows the store). */
static void test_evidence_after_set_trust(void **state)
{
	static const char *const evil[] = {"evilroot"};
	struct env *e = *state;
	const struct cs_chain *miss = CHAIN(e, "miss");
	const struct cs_chain *aia = CHAIN(e, "aia");
	const struct cs_chain *one = CHAIN(e, "one", "int1");
	struct cs_trust *t2 = load_trust(evil, 1);
	const struct diag_evidence_rec *ev;
	size_t calls_miss, calls_aia;

	free(diag_analyze(e->d, one, T_CAPTURE, "198.51.100.9:443"));
	free(diag_analyze(e->d, miss, T_CAPTURE, "192.0.2.1:443"));
	free(diag_analyze(e->d, aia, T_CAPTURE, "192.0.2.3:443"));
	ev = expect_evidence(e, miss, DIAG_EV_SEEN_IN_CAPTURE);
	assert_true(ev->completes);
	calls_miss = e->ev.calls_for[miss->id];
	calls_aia = e->ev.calls_for[aia->id];
	diag_set_trust(e->d, t2);
	assert_ptr_equal(diag_trust(e->d), t2);
	assert_int_equal(e->ev.calls_for[miss->id], calls_miss + 1);
	assert_int_equal(e->ev.calls_for[aia->id], calls_aia + 1);
	assert_int_equal(e->ev.calls_for[one->id], 0);
	/* int1 is still the issuer, but no longer leads to a trusted root */
	ev = expect_evidence(e, miss, DIAG_EV_SEEN_IN_CAPTURE);
	expect_sha(ev->sha256, SHA_INT1);
	assert_false(ev->completes);
	/* and back */
	diag_set_trust(e->d, e->t);
	assert_int_equal(e->ev.calls_for[miss->id], calls_miss + 2);
	assert_true(expect_evidence(e, miss, DIAG_EV_SEEN_IN_CAPTURE)->completes);
	trust_free(t2);
}

/* ---- the pool of intermediates --------------------------------------------------------- */

/* n CA certificates "Pool CA <base+i>" under "Pool Root" (none
 * self-signed), one P-256 key for all. */
struct pool_cas {
	EVP_PKEY *k;
	X509 *ca[CS_MAX_CHAIN_CERTS];
	size_t n;
};

static void pool_cas_make(struct pool_cas *p, size_t n, int base)
{
	p->k = tp_ec_key("P-256");
	p->n = n;
	assert_true(n <= CS_ARRAY_LEN(p->ca));
	for (size_t i = 0; i < n; i++) {
		char cn[64];
		struct tp_spec s = {cn, "Pool Root", p->k, p->k, base + (long)i, true, NULL, 0, 0};

		snprintf(cn, sizeof cn, "Pool CA %d", base + (int)i);
		p->ca[i] = tp_cert(&s);
	}
}

static void pool_cas_free(struct pool_cas *p)
{
	for (size_t i = 0; i < p->n; i++)
		X509_free(p->ca[i]);
	EVP_PKEY_free(p->k);
}

/* One server cannot fill the pool: at most CS_DIAG_POOL_PER_SOURCE of its
 * CA certificates are kept, the rest refused and counted; another server
 * has its own share. */
static void test_pool_per_source(void **state)
{
	struct env *e = *state;
	struct pool_cas p;
	X509 *xs[CS_MAX_CHAIN_CERTS];
	const struct cs_chain *c, *c2;
	struct diag_stats s;
	const size_t extra = 4;

	assert_true(CS_DIAG_POOL_PER_SOURCE + extra + 1 <= CS_MAX_CHAIN_CERTS);
	pool_cas_make(&p, CS_DIAG_POOL_PER_SOURCE + extra, 100);
	xs[0] = tp_pem("one");
	for (size_t i = 0; i < p.n; i++)
		xs[i + 1] = p.ca[i];
	c = tp_intern(e->st, xs, p.n + 1);
	free(diag_analyze(e->d, c, T_CAPTURE, "203.0.113.5:443"));
	diag_get_stats(e->d, &s);
	assert_int_equal(s.pool_size, CS_DIAG_POOL_PER_SOURCE);
	assert_int_equal(s.pool_refused, extra);
	assert_int_equal(s.pool_evicted, 0);
	/* the same server again: nothing more */
	free(diag_analyze(e->d, c, T_CAPTURE - DAY, "203.0.113.5:443"));
	diag_get_stats(e->d, &s);
	assert_int_equal(s.pool_size, CS_DIAG_POOL_PER_SOURCE);
	assert_int_equal(s.pool_refused, 2 * extra);
	/* another server with the same chain: the four refused ones are its */
	c2 = c;
	free(diag_analyze(e->d, c2, T_CAPTURE, "203.0.113.6:443"));
	diag_get_stats(e->d, &s);
	assert_int_equal(s.pool_size, CS_DIAG_POOL_PER_SOURCE + extra);
	assert_int_equal(s.pool_refused, 2 * extra);
	X509_free(xs[0]);
	pool_cas_free(&p);
}

/*
 * --intermediates is the operator's file, not a server on the wire: every
 * intermediate in it explains gaps, however many it holds (issue 9: "at
 * most a few certificates per source" is against servers crowding out the
 * others).  A bundle of 12 intermediates, and a leaf under each sent alone.
 */
static void test_intermediates_file_all_used(void **state)
{
	const size_t n = CS_DIAG_POOL_PER_SOURCE + 4;
	struct env *e = *state;
	struct pool_cas p;
	char path[] = "/tmp/test_diag_intermediates.XXXXXX", err[256];
	EVP_PKEY *lk = tp_ec_key("P-256");
	struct diag_stats s;
	size_t explained = 0;
	int fd;
	FILE *f;

	pool_cas_make(&p, n, 500);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(PEM_write_X509(f, p.ca[i]), 1);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(diag_load_intermediates(e->d, path, err, sizeof err), CS_OK);
	unlink(path);
	for (size_t i = 0; i < n; i++) {
		char issuer[64];
		struct tp_spec ls = {"leaf.pool.test", issuer, lk, p.k, 900 + (long)i, false,
				     "leaf.pool.test", 0,      0};
		X509 *leaf;
		const struct cs_chain *c;
		struct diag_verdict *v;
		const struct diag_evidence_rec *ev;

		snprintf(issuer, sizeof issuer, "Pool CA %d", 500 + (int)i);
		leaf = tp_cert(&ls);
		c = tp_intern(e->st, &leaf, 1);
		v = diag_analyze(e->d, c, T_CAPTURE, "192.0.2.7:443");
		assert_non_null(v);
		assert_true(v->mask & B(MISSING_INTERMEDIATE));
		ev = evidence_of(e, c);
		assert_non_null(ev);
		if (ev->kind == DIAG_EV_INTERMEDIATES_FILE) {
			uint8_t sha[32], *der;
			size_t len;

			der = tp_der(p.ca[i], &len);
			tp_sha256(der, len, sha);
			assert_memory_equal(ev->sha256, sha, 32);
			free(der);
			explained++;
		}
		free(v);
		X509_free(leaf);
	}
	diag_get_stats(e->d, &s);
	if (explained != n)
		fail_msg("%zu of %zu leaves explained by the --intermediates file (pool %llu, "
			 "refused %llu)",
			 explained, n, (unsigned long long)s.pool_size,
			 (unsigned long long)s.pool_refused);
	EVP_PKEY_free(lk);
	pool_cas_free(&p);
}

/* ---- issue 17: the records of the new rules, field by field ------------------------------ */

static void expect_budget_unknown(const struct diag_verdict *v, const char *what);

/* The one problem of code at index in the chain judged at when. */
static const struct diag_problem *only(struct judged *j, enum cs_problem code, int index)
{
	const struct diag_problem *p = find(j, code, index);
	size_t n = 0;

	for (size_t i = 0; i < j->n; i++)
		n += j->p[i].code == code && j->p[i].cert_index == index;
	if (!p || n != 1) {
		dump("only", j);
		fail_msg("%s@%d: %zu records", problem_name(code), index, n);
	}
	return p;
}

/* name_constraint_violation: which name, which CA, which OpenSSL error. */
static void test_name_constraint_records(void **state)
{
	(void)state;
	static const char *const ncroot[] = {"ncroot"};
	static const struct {
		const char *chain[3];
		bool anchor_ncroot;
		int index;
		uint8_t variant;
		int num;
		const char *text, *name;
	} cases[] = {
		{{"ncout", "ncint"},
		 false,
		 0,
		 CS_V_NC_PERMITTED,
		 47,
		 "DNS:outside.test",
		 "CN=chainsniff Lab Constrained Intermediate,O=chainsniff lab"},
		{{"ncrootleaf"},
		 true,
		 0,
		 CS_V_NC_PERMITTED,
		 47,
		 "DNS:outside.test",
		 "CN=chainsniff Constrained Root CA,O=chainsniff lab"},
		{{"one", "int1+nc=excluded;DNS:www.one.test@root"},
		 false,
		 0,
		 CS_V_NC_EXCLUDED,
		 48,
		 "DNS:www.one.test",
		 "CN=chainsniff Lab Intermediate 1,O=chainsniff lab"},
		{{"one+san=DNS:one.test,IP:192.0.2.7@int1",
		  "int1+nc=permitted;IP:10.0.0.0/255.0.0.0@root"},
		 false,
		 0,
		 CS_V_NC_PERMITTED,
		 47,
		 "IP Address:192.0.2.7",
		 NULL},
		{{"one+san=DNS:one.test,email:admin@evil.test@int1",
		  "int1+nc=excluded;email:evil.test@root"},
		 false,
		 0,
		 CS_V_NC_EXCLUDED,
		 48,
		 "email:admin@evil.test",
		 NULL},
		{{"one", "int1+nc=permitted;dirName:dn_other@root"},
		 false,
		 0,
		 CS_V_NC_PERMITTED,
		 47,
		 "DirName:CN=one.test,O=chainsniff lab",
		 NULL},
		{{"two", "int2", "int1+nc=permitted;dirName:dn_other@root"},
		 false,
		 1,
		 CS_V_NC_PERMITTED,
		 47,
		 "DirName:CN=chainsniff Lab Intermediate 2,O=chainsniff lab",
		 NULL},
		{{"one+nosan+subj=O=chainsniff lab/CN=outside.test@int1",
		  "int1+nc=permitted;DNS:one.test@root"},
		 false,
		 0,
		 CS_V_NC_PERMITTED,
		 47,
		 "CN:outside.test",
		 NULL},
		{{"one+san=DNS:one.test,email:not-an-address@int1",
		  "int1+nc=permitted;email:one.test@root"},
		 false,
		 0,
		 CS_V_NC_OTHER,
		 X509_V_ERR_UNSUPPORTED_NAME_SYNTAX,
		 "email:not-an-address",
		 NULL},
	};

	for (size_t i = 0; i < CS_ARRAY_LEN(cases); i++) {
		size_t n = cases[i].chain[2] ? 3 : cases[i].chain[1] ? 2 : 1;
		struct env *e =
			cases[i].anchor_ncroot ? env_new(ncroot, 1, -1) : env_new(lab_trust, 1, -1);
		const struct cs_chain *c = chain_of(e, cases[i].chain, n);
		struct judged *j = judge(e, c, NULL, T_CAPTURE, cases[i].chain[0]);
		const struct diag_problem *p =
			only(j, CS_P_NAME_CONSTRAINT_VIOLATION, cases[i].index);

		if (p->variant != cases[i].variant || p->num != cases[i].num ||
		    strcmp(p->text, cases[i].text) != 0 ||
		    (cases[i].name && strcmp(p->name, cases[i].name) != 0)) {
			dump(cases[i].chain[0], j);
			fail_msg("case %zu: variant %u num %d text \"%s\" name \"%s\"", i,
				 p->variant, p->num, p->text, p->name);
		}
		assert_int_equal(p->role, cases[i].index ? CS_ROLE_INTERMEDIATE : CS_ROLE_LEAF);
		assert_true(p->severity == CS_SEV_ERROR && j->broken);
		assert_non_null(strstr(msg_of(j, p), cases[i].text));
		judged_free(j);
		env_free(e);
	}
}

/* unhandled_critical_extension: the OID, the precertificate, the anchor. */
static void test_critical_extension_records(void **state)
{
	(void)state;
	char path[] = "/tmp/cs-test-diag-XXXXXX.pem";
	const char *anchors[1] = {path};
	struct env *e = env_new(lab_trust, 1, -1);
	struct judged *j = judge(e, CHAIN(e, "poison", "int1"), "poison.test", T_CAPTURE, "poison");
	const struct diag_problem *p = only(j, CS_P_UNHANDLED_CRITICAL_EXTENSION, 0);
	size_t len;
	uint8_t *der;
	X509 *x;
	FILE *f;
	int fd;

	assert_int_equal(p->variant, CS_V_CRIT_POISON);
	assert_string_equal(p->text, "1.3.6.1.4.1.11129.2.4.3 (CT Precertificate Poison)");
	assert_non_null(strstr(j->fix[p - j->p], "This is a precertificate: install the issued "
						 "certificate"));
	judged_free(j);
	j = judge(e, CHAIN(e, "one", "int1+crit=1.3.6.1.4.1.55555.7@root"), "one.test", T_CAPTURE,
		  "unknown");
	p = only(j, CS_P_UNHANDLED_CRITICAL_EXTENSION, 1);
	assert_int_equal(p->variant, CS_V_CRIT_UNKNOWN);
	assert_int_equal(p->role, CS_ROLE_INTERMEDIATE);
	assert_string_equal(p->text, "1.3.6.1.4.1.55555.7");
	judged_free(j);
	env_free(e);
	/* a trust anchor with one fails as well (OpenSSL checks the anchor too) */
	der = entry_der("root+crit=1.3.6.1.4.1.55555.8@root", &len);
	x = d2i_X509(NULL, (const unsigned char **)&(const uint8_t *){der}, (long)len);
	assert_non_null(x);
	assert_true((fd = mkstemps(path, 4)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	assert_int_equal(PEM_write_X509(f, x), 1);
	fclose(f);
	X509_free(x);
	free(der);
	e = env_new(anchors, 1, -1);
	j = judge(e, CHAIN(e, "one", "int1"), "one.test", T_CAPTURE, "anchor");
	p = only(j, CS_P_UNHANDLED_CRITICAL_EXTENSION, -1);
	assert_int_equal(p->role, CS_ROLE_ROOT);
	assert_true(j->broken);
	judged_free(j);
	env_free(e);
	unlink(path);
}

/* clock_implausible: which rule, the day it names, the window of that day. */
static void test_clock_rules(void **state)
{
	const int64_t nb = 1735689600LL; /* one's and int1's notBefore, 2025-01-01 */
	static const struct {
		int64_t when;
		int variant; /* -1: plausible */
	} cases[] = {
		{T_1970, CS_V_CLOCK_BEFORE_2001},
		{CS_GPS_EPOCH - 1, CS_V_CLOCK_BEFORE_2001},
		{CS_GPS_EPOCH, CS_V_CLOCK_GPS},
		{T_GPS, CS_V_CLOCK_GPS},
		{CS_GPS_EPOCH + CS_CLOCK_GPS_SPAN - 1, CS_V_CLOCK_GPS},
		{CS_GPS_EPOCH + CS_CLOCK_GPS_SPAN, CS_V_CLOCK_BEFORE_2001},
		{T_2000, CS_V_CLOCK_BEFORE_2001},
		{CS_CLOCK_SANE_FROM - 1, CS_V_CLOCK_BEFORE_2001},
		{CS_CLOCK_SANE_FROM, CS_V_CLOCK_BEFORE_LEAF},
		{nb - CS_CLOCK_LEAF_SLACK - 1, CS_V_CLOCK_BEFORE_LEAF},
		{nb - CS_CLOCK_LEAF_SLACK, -1},
		{T_CAPTURE, -1},
	};
	struct env *e = *state;
	const struct cs_chain *c = CHAIN(e, "one", "int1");
	char day[CS_TIME_STRLEN], want[64];

	for (size_t i = 0; i < CS_ARRAY_LEN(cases); i++) {
		struct judged *j = judge(e, c, "one.test", cases[i].when, "clock");
		const struct diag_problem *p = find(j, CS_P_CLOCK_IMPLAUSIBLE, -1);
		int64_t d0 = cases[i].when - ((cases[i].when % DAY) + DAY) % DAY;

		if (cases[i].variant < 0) {
			assert_null(p);
			judged_free(j);
			continue;
		}
		if (!p || p->variant != cases[i].variant) {
			dump("clock", j);
			fail_msg("case %zu (%lld): want variant %d", i, (long long)cases[i].when,
				 cases[i].variant);
		}
		/* the record names the day; the verdict is that day's only */
		assert_int_equal(p->date, d0);
		assert_true(j->v->from >= d0 && j->v->until <= d0 + DAY);
		fmt_time_s(d0, day, sizeof day);
		snprintf(want, sizeof want, "judged at %.10s", day);
		assert_non_null(strstr(msg_of(j, p), want));
		assert_int_equal(j->p[0].code, CS_P_CLOCK_IMPLAUSIBLE); /* reported first */
		judged_free(j);
	}
}

/* An expired earlier issuance sent with the current one is worded as a
 * reissue, a cross-certificate as a cross-certificate. */
static void test_expired_reissue(void **state)
{
	struct env *e = *state;
	struct judged *j = judge(e, CHAIN(e, "one", "int1+serial77+exp2020@root", "int1"),
				 "one.test", T_CAPTURE, "reissue");
	const struct diag_problem *p = only(j, CS_P_CROSS_SIGN_STALE, 1);

	assert_int_equal(p->variant, CS_V_CROSS_REISSUE);
	assert_non_null(strstr(msg_of(j, p), "is an earlier issuance of"));
	judged_free(j);
	j = judge(e, CHAIN(e, "xs", "int1", "rootxs"), "xs.test", T_CAPTURE, "cross-sign");
	p = only(j, CS_P_CROSS_SIGN_STALE, 2);
	assert_int_equal(p->variant, CS_V_CROSS_EXPIRED);
	judged_free(j);
}

/* key_usage_mismatch comes from the verdict's keyUsage bits, per handshake. */
static void test_key_usage_per_handshake(void **state)
{
	struct env *e = *state;
	struct diag_verdict *kuenc = diag_analyze(e->d, CHAIN(e, "kuenc", "int1"), T_CAPTURE, NULL);
	struct diag_verdict *kuagree =
		diag_analyze(e->d, CHAIN(e, "kuagree", "ecint"), T_CAPTURE, NULL);
	struct diag_verdict *one = diag_analyze(e->d, CHAIN(e, "one", "int1"), T_CAPTURE, NULL);
	struct diag_verdict *noku = diag_analyze(e->d, CHAIN(e, "selfsigned"), T_CAPTURE, NULL);
	struct diag_verdict *junk = diag_analyze(e->d, CHAIN(e, "garbage"), T_CAPTURE, NULL);
	struct diag_problem p;

	assert_true(kuenc && kuagree && one && noku && junk);
	assert_true(kuenc->leaf_has_ku);
	assert_int_equal(kuenc->leaf_ku, CS_KU_KEY_ENCIPHERMENT);
	assert_int_equal(kuagree->leaf_ku, CS_KU_KEY_AGREEMENT);
	assert_int_equal(one->leaf_ku, CS_KU_DIGITAL_SIGNATURE | CS_KU_KEY_ENCIPHERMENT);
	assert_false(noku->leaf_has_ku);
	assert_false(junk->leaf_has_ku);
	assert_true(diag_key_usage_problem(kuenc, 0xc02f, &p));
	assert_int_equal(p.code, CS_P_KEY_USAGE_MISMATCH);
	assert_int_equal(p.severity, CS_SEV_WARNING);
	assert_int_equal(p.cert_index, 0);
	assert_int_equal(p.role, CS_ROLE_LEAF);
	assert_int_equal(p.num, CS_KU_KEY_ENCIPHERMENT);
	assert_string_equal(p.name, "ECDHE_RSA");
	assert_string_equal(p.text, "digitalSignature");
	assert_false(diag_key_usage_problem(kuenc, 0x009c, &p));   /* RSA key transport */
	assert_false(diag_key_usage_problem(kuenc, 0x1301, &p));   /* TLS 1.3 */
	assert_false(diag_key_usage_problem(kuenc, 0, &p));        /* not known */
	assert_true(diag_key_usage_problem(kuagree, 0xcca9, &p));  /* ECDHE_ECDSA chacha */
	assert_false(diag_key_usage_problem(kuagree, 0xc005, &p)); /* ECDH_ECDSA */
	assert_true(diag_key_usage_problem(kuagree, 0x009c, &p));
	assert_string_equal(p.text, "keyEncipherment");
	for (uint32_t s = 0; s <= 0xffff; s++) {
		assert_false(diag_key_usage_problem(noku, (uint16_t)s, &p));
		assert_false(diag_key_usage_problem(junk, (uint16_t)s, &p));
	}
	assert_true(diag_key_usage_problem(one, 0xc00e, &p)); /* ECDH_RSA: keyAgreement */
	assert_false(diag_key_usage_problem(one, 0xc02f, &p));
	assert_false(diag_key_usage_problem(NULL, 0xc02f, &p));
	free(kuenc);
	free(kuagree);
	free(one);
	free(noku);
	free(junk);
}

/* A self-signed CA whose name constraints permit nsub DNS subtrees
 * (aK.test), sent with a leaf of nsan DNS names under them. */
static const struct cs_chain *nc_heavy_chain(struct env *e, EVP_PKEY *k, int nsub, int nsan)
{
	struct tp_spec cs = {"Heavy CA", NULL, k, k, 9100, true, NULL, 0, 0};
	struct tp_spec ls = {"heavy.test", "Heavy CA", k, k, 9101, false, NULL, 0, 0};
	X509 *xs[2] = {tp_cert(&ls), tp_cert(&cs)};
	NAME_CONSTRAINTS *nc = NAME_CONSTRAINTS_new();
	GENERAL_NAMES *san = sk_GENERAL_NAME_new_null();
	char name[32];
	const struct cs_chain *c;

	assert_true(nc && san);
	nc->permittedSubtrees = sk_GENERAL_SUBTREE_new_null();
	for (int i = 0; i < nsub; i++) {
		GENERAL_SUBTREE *t = GENERAL_SUBTREE_new();

		snprintf(name, sizeof name, "a%d.test", i);
		assert_non_null(t);
		GENERAL_NAME_free(t->base);
		t->base = a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_DNS, name, 0);
		assert_non_null(t->base);
		assert_true(sk_GENERAL_SUBTREE_push(nc->permittedSubtrees, t) > 0);
	}
	for (int i = 0; i < nsan; i++) {
		snprintf(name, sizeof name, "x.a%d.test", i % nsub);
		assert_true(sk_GENERAL_NAME_push(
				    san, a2i_GENERAL_NAME(NULL, NULL, NULL, GEN_DNS, name, 0)) > 0);
	}
	assert_int_equal(X509_add1_ext_i2d(xs[1], NID_name_constraints, nc, 1, X509V3_ADD_DEFAULT),
			 1);
	assert_int_equal(X509_add1_ext_i2d(xs[0], NID_subject_alt_name, san, 0, X509V3_ADD_DEFAULT),
			 1);
	assert_true(X509_sign(xs[0], k, EVP_sha256()) > 0);
	assert_true(X509_sign(xs[1], k, EVP_sha256()) > 0);
	c = tp_intern(e->st, xs, 2);
	NAME_CONSTRAINTS_free(nc);
	GENERAL_NAMES_free(san);
	X509_free(xs[0]);
	X509_free(xs[1]);
	return c;
}

/* Name constraints cost comparisons: they count against the analysis
 * budget, and libcrypto refuses more than 2^20 (then so do clients). */
static void test_budget_name_constraints(void **state)
{
	struct env *e = *state;
	struct env *cheap =
		env_opts(lab_trust, 1, (struct diag_opts){.warn_days = -1, .max_cost = 10000});
	EVP_PKEY *k = tp_ec_key("P-256");
	struct diag_verdict *v;
	struct judged *j;
	const struct diag_problem *p;

	/* 500 subtrees x 502 names: about 15.7 ms estimated per check */
	v = diag_analyze(e->d, nc_heavy_chain(e, k, 500, 500), T_CAPTURE, NULL);
	assert_non_null(v);
	assert_int_equal(v->status, DIAG_BROKEN); /* untrusted_root (Heavy CA), nothing else */
	assert_int_equal(v->mask, B(UNTRUSTED_ROOT));
	assert_true(v->cost >= 2 * (500 * 502 / CS_DIAG_NC_COMPARISONS_PER_US));
	free(v);
	v = diag_analyze(cheap->d, nc_heavy_chain(cheap, k, 500, 500), T_CAPTURE, NULL);
	assert_non_null(v);
	expect_budget_unknown(v, "name constraints, max_cost 10000");
	free(v);
	/* 1100 x 1002 > 2^20: refused by libcrypto (X509_V_ERR_UNSPECIFIED) at no cost */
	j = judge(e, nc_heavy_chain(e, k, 1100, 1000), NULL, T_CAPTURE, "too many");
	p = only(j, CS_P_NAME_CONSTRAINT_VIOLATION, 0);
	assert_int_equal(p->variant, CS_V_NC_OTHER);
	assert_int_equal(p->num, X509_V_ERR_UNSPECIFIED);
	assert_true(j->v->cost < 1000);
	judged_free(j);
	EVP_PKEY_free(k);
	env_free(cheap);
}

/* ---- budgets ---------------------------------------------------------------------------- */

/*
 * The hostile shape of issue 9: a leaf under ncas CA certificates over 4
 * names in a cycle ("Cycle CA k" issued by "Cycle CA k+1 mod 4"), all with
 * one P-384 key, so each CA certificate verifies as the issuer of every
 * certificate of the previous name.  Nothing is trusted.
 */
static const struct cs_chain *hostile_chain(struct env *e, EVP_PKEY *k, size_t ncas, long serial)
{
	X509 *xs[CS_MAX_CHAIN_CERTS];
	const struct cs_chain *c;
	struct tp_spec leaf = {"hostile.test", "Cycle CA 0",   k, k, serial,
			       false,          "hostile.test", 0, 0};

	assert_true(ncas + 1 <= CS_MAX_CHAIN_CERTS);
	xs[0] = tp_cert(&leaf);
	for (size_t i = 0; i < ncas; i++) {
		char cn[32], iss[32];
		struct tp_spec s = {cn, iss, k, k, serial + 1 + (long)i, true, NULL, 0, 0};

		snprintf(cn, sizeof cn, "Cycle CA %zu", i % 4);
		snprintf(iss, sizeof iss, "Cycle CA %zu", (i + 1) % 4);
		xs[i + 1] = tp_cert(&s);
	}
	c = tp_intern(e->st, xs, ncas + 1);
	for (size_t i = 0; i <= ncas; i++)
		X509_free(xs[i]);
	return c;
}

static void expect_budget_unknown(const struct diag_verdict *v, const char *what)
{
	if (v->status != DIAG_UNKNOWN || v->unknown_reason != DIAG_UNK_BUDGET || v->broken ||
	    (v->mask & B(BAD_SIGNATURE))) {
		fail_msg("%s: status %u reason %u broken %d mask 0x%06x checks %u cost %llu", what,
			 v->status, v->unknown_reason, v->broken, v->mask, v->checks,
			 (unsigned long long)v->cost);
	}
}

static void test_budget_hostile_chain(void **state)
{
	struct env *e = *state;
	struct env *small =
		env_opts(lab_trust, 1, (struct diag_opts){.warn_days = -1, .max_checks = 40});
	struct env *cheap =
		env_opts(lab_trust, 1, (struct diag_opts){.warn_days = -1, .max_cost = 3000});
	EVP_PKEY *k = tp_ec_key("P-384");
	const struct cs_chain *c = hostile_chain(e, k, 16, 7000);
	const struct cs_chain *cs = hostile_chain(small, k, 16, 7000);
	const struct cs_chain *cc = hostile_chain(cheap, k, 16, 7000);
	struct diag_verdict *v, *again;
	struct diag_stats st;

	/* the default budget */
	v = diag_analyze(e->d, c, T_CAPTURE, "192.0.2.66:443");
	assert_non_null(v);
	expect_budget_unknown(v, "default");
	assert_true(v->checks <= CS_DIAG_MAX_CHECKS);
	assert_true(v->cost < CS_DIAG_MAX_COST_US + 1000);
	print_message("  hostile chain, 16 CA certificates: %u checks, %llu us (default budget)\n",
		      v->checks, (unsigned long long)v->cost);
	/* the same again, the memo warm now: the same verdict, the same count */
	again = diag_analyze(e->d, c, T_CAPTURE, "192.0.2.66:443");
	assert_non_null(again);
	assert_true(same_verdict(v, again));
	assert_int_equal(again->checks, v->checks);
	diag_get_stats(e->d, &st);
	assert_int_equal(st.budget_exhausted, 2);
	assert_int_equal(st.max_checks, 0); /* a stopped analysis is no measure of need */
	/* the real verifications are far fewer: one key, pairs remembered */
	assert_true(st.signature_verifications <= 17);
	free(again);
	free(v);
	/* max_checks 40 */
	v = diag_analyze(small->d, cs, T_CAPTURE, NULL);
	assert_non_null(v);
	expect_budget_unknown(v, "max_checks 40");
	assert_true(v->checks <= 40);
	free(v);
	/* max_cost 3000 us: about four P-384 checks */
	v = diag_analyze(cheap->d, cc, T_CAPTURE, NULL);
	assert_non_null(v);
	expect_budget_unknown(v, "max_cost 3000");
	assert_true(v->cost < 3000 + 1000);
	assert_true(v->checks <= 6);
	free(v);
	EVP_PKEY_free(k);
	env_free(cheap);
	env_free(small);
}

/* The longest hostile chain there is (31 CA certificates): still bounded. */
static void test_budget_hostile_chain_full(void **state)
{
	struct env *e = *state;
	EVP_PKEY *k = tp_ec_key("P-384");
	const struct cs_chain *c = hostile_chain(e, k, CS_MAX_CHAIN_CERTS - 1, 8000);
	struct diag_verdict *v = diag_analyze(e->d, c, T_CAPTURE, "192.0.2.67:443");
	struct diag_stats st;

	assert_non_null(v);
	expect_budget_unknown(v, "31 CA certificates");
	assert_true(v->checks <= CS_DIAG_MAX_CHECKS);
	diag_get_stats(e->d, &st);
	print_message("  hostile chain, 31 CA certificates: %u checks, %llu us budgeted, %llu real "
		      "verifications\n",
		      v->checks, (unsigned long long)v->cost,
		      (unsigned long long)st.signature_verifications);
	free(v);
	EVP_PKEY_free(k);
}

/* An ordinary chain under a budget too small for it: unknown, never ok,
 * never a bogus bad_signature; with room, the usual verdict. */
static void test_budget_ordinary_chain(void **state)
{
	struct env *tiny = *state;
	struct env *e = env_new(lab_trust, 1, -1);
	const struct cs_chain *c = CHAIN(tiny, "two", "int2", "int1");
	const struct cs_chain *c2 = CHAIN(e, "two", "int2", "int1");
	struct diag_verdict *v = diag_analyze(tiny->d, c, T_CAPTURE, NULL), *full;
	struct diag_stats st;

	assert_non_null(v);
	expect_budget_unknown(v, "max_checks 1");
	assert_true(v->checks <= 1);
	assert_int_equal(v->nproblems, 0);
	diag_get_stats(tiny->d, &st);
	assert_int_equal(st.budget_exhausted, 1);
	full = diag_analyze(e->d, c2, T_CAPTURE, NULL);
	assert_non_null(full);
	assert_int_equal(full->status, DIAG_OK);
	assert_true(full->checks > 1);
	diag_get_stats(e->d, &st);
	assert_int_equal(st.budget_exhausted, 0);
	assert_int_equal(st.max_checks, full->checks);
	free(v);
	free(full);
	env_free(e);
}

/* What was established before the budget ran out stays: a malformed
 * certificate and the clock are found before the search. */
static void test_budget_keeps_established(void **state)
{
	struct env *tiny = *state;
	const struct cs_chain *c = CHAIN(tiny, "two", "int2", "garbage", "int1");
	struct diag_verdict *v = diag_analyze(tiny->d, c, T_1970, NULL);

	assert_non_null(v);
	assert_true(v->mask & B(MALFORMED_CERT));
	assert_true(v->mask & B(CLOCK_IMPLAUSIBLE));
	assert_int_equal(v->mask & B(BAD_SIGNATURE), 0);
	assert_true(v->broken);
	assert_int_equal(v->status, DIAG_BROKEN);
	free(v);
}

/*
 * The search bound: 8 re-signed copies each of int2 (same name and key,
 * other serial, signed by int1) and int1 (signed by root) besides the real
 * ones make 9 x 9 candidate paths, more than the 64 explored: the answer
 * is still a trusted path without errors, well within the budget.
 */
static void test_search_bound(void **state)
{
	struct env *e = *state;
	const struct cs_chain *c =
		CHAIN(e, "two", "int2", "int1", "int2+serial901@int1", "int2+serial902@int1",
		      "int2+serial903@int1", "int2+serial904@int1", "int2+serial905@int1",
		      "int2+serial906@int1", "int2+serial907@int1", "int2+serial908@int1",
		      "int1+serial801@root", "int1+serial802@root", "int1+serial803@root",
		      "int1+serial804@root", "int1+serial805@root", "int1+serial806@root",
		      "int1+serial807@root", "int1+serial808@root");
	struct judged *j;

	assert_int_equal(c->n_certs, 19);
	j = judge(e, c, "two.test", T_CAPTURE, "search_bound");
	print_message("  search bound: 19 certificates, %u checks, mask 0x%06x\n", j->v->checks,
		      j->mask);
	assert_false(j->broken);
	assert_int_equal(j->v->status, DIAG_OK);
	assert_int_equal(j->mask & (ERRORS | B(EXTRA_CERTS) | B(DUPLICATE_CERT)), 0);
	assert_true(j->v->checks < CS_DIAG_MAX_CHECKS);
	judged_free(j);
}

/* Noise appended to a valid chain: each analysis stays within the budget
 * and ok at the capture. */
static void test_noise(void **state)
{
	struct env *e = *state;
	const struct cs_chain *c =
		CHAIN(e, "one", "int1", "two", "int2", "alone", "ecint", "ec", "evilint", "evil",
		      "evilroot", "expint", "underexp", "notca", "undernotca", "sha1", "rsa1024",
		      "miss", "aia", "clientonly", "selfsigned", "oldroot", "oldleaf", "ecroot",
		      "future", "soon", "dup", "extra", "order", "rootinc", "smtp", "v6", "xs");
	uint32_t most = 0;

	assert_int_equal(c->n_certs, 32); /* CS_MAX_CHAIN_CERTS */
	for (int64_t k = 0; k < 10; k++) {
		struct diag_verdict *v =
			diag_analyze(e->d, c, T_CAPTURE - k * 3650 * DAY / 10, NULL);

		assert_non_null(v);
		assert_int_not_equal(v->status, DIAG_UNKNOWN);
		if (k == 0) {
			assert_int_equal(v->mask & ERRORS, 0);
			assert_false(v->broken);
		}
		if (v->checks > most)
			most = v->checks;
		free(v);
	}
	print_message("  noise: 32 certificates, at most %u checks per analysis\n", most);
	assert_true(most < CS_DIAG_MAX_CHECKS / 2);
}

/*
 * Many distinct certificates analysed one chain after another, so that the
 * parsed-certificate cache grows while an analysis holds the certificates
 * of its chain (a 2-certificate chain whose second certificate is the
 * cache's 65th entry, and so on).  Every verdict must be the ordinary one.
 */
static void test_many_certificates(void **state)
{
	struct env *e = *state;
	EVP_PKEY *ik = tp_pem_key("int1"), *lk = tp_ec_key("P-256");
	X509 *int1 = tp_pem("int1"), *alone = tp_pem("alone");
	const struct cs_chain *c = tp_intern(e->st, &alone, 1);
	struct diag_verdict *v = diag_analyze(e->d, c, T_CAPTURE, NULL);

	assert_non_null(v);
	assert_int_equal(v->mask, 0); /* one certificate parsed: the others come in pairs */
	free(v);
	for (long i = 0; i < 80; i++) {
		char cn[32];
		struct tp_spec ls = {cn, NULL, lk, ik, 60000 + i, false, NULL, 0, 0};
		X509 *xs[2];

		snprintf(cn, sizeof cn, "many%ld.test", i);
		xs[0] = tp_cert(&ls);
		/* issued by int1: its issuer name is int1's subject */
		assert_int_equal(X509_set_issuer_name(xs[0], X509_get_subject_name(int1)), 1);
		assert_true(X509_sign(xs[0], ik, EVP_sha256()) > 0);
		xs[1] = X509_dup(int1);
		assert_non_null(xs[1]);
		/* a distinct copy of int1 each time (another serial, re-signed by root) */
		{
			EVP_PKEY *rk = tp_pem_key("root");

			assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(xs[1]), 70000 + i),
					 1);
			assert_true(X509_sign(xs[1], rk, EVP_sha256()) > 0);
			EVP_PKEY_free(rk);
		}
		c = tp_intern(e->st, xs, 2);
		v = diag_analyze(e->d, c, T_CAPTURE, NULL);
		assert_non_null(v);
		if (v->mask != 0 || v->status != DIAG_OK)
			fail_msg("chain %ld: mask 0x%06x status %u", i, v->mask, v->status);
		free(v);
		X509_free(xs[0]);
		X509_free(xs[1]);
	}
	X509_free(int1);
	X509_free(alone);
	EVP_PKEY_free(ik);
	EVP_PKEY_free(lk);
}

/* Hang guard for test_pool_many_sources (not a timing assertion: it only
 * turns an endless loop into a failure with a message). */
static void hang(int sig)
{
	static const char msg[] = "test_pool_many_sources: no progress in 120 s "
				  "(diag.c source_count() never returns?)\n";

	(void)sig;
	if (write(2, msg, sizeof msg - 1) < 0)
		_exit(2);
	_exit(1);
}

/*
 * A gateway sees CA certificates from more servers than the pool has room
 * for: 2 * CS_DIAG_POOL_MAX + 8 distinct CA certificates, each from its own
 * server (more servers than diag.c's table of per-source counts, sized
 * 2 * CS_DIAG_POOL_MAX, has slots).  The pool stays at its cap, evictions
 * counted, and every analysis returns.
 */
static void test_pool_many_sources(void **state)
{
	const size_t n = 2 * CS_DIAG_POOL_MAX + 8;
	struct env *e = *state;
	EVP_PKEY *k = tp_ec_key("P-256");
	struct cs_chain_store *st = chain_store_new(n + 1, CS_CHAIN_MEMCAP);
	struct diag_stats s;

	signal(SIGALRM, hang);
	alarm(120);
	for (size_t i = 0; i < n; i++) {
		char cn[32], src[32];
		struct tp_spec cs = {cn, "Many Root", k, k, (long)i + 1, true, NULL, 0, 0};
		X509 *ca;
		uint8_t *der;
		struct cs_slice sl[2];
		const struct cs_chain *c;
		bool added;

		snprintf(cn, sizeof cn, "Many CA %zu", i);
		snprintf(src, sizeof src, "10.%zu.%zu.%zu:443", i >> 16, (i >> 8) & 255, i & 255);
		ca = tp_cert(&cs);
		der = tp_der(ca, &sl[1].n);
		sl[1].p = der;
		sl[0].p = garbage; /* no leaf to analyse: only the pool works */
		sl[0].n = sizeof garbage;
		assert_int_equal(chain_store_intern(st, sl, 2, &c, &added), CS_OK);
		free(diag_analyze(e->d, c, T_CAPTURE, src));
		free(der);
		X509_free(ca);
	}
	alarm(0);
	signal(SIGALRM, SIG_DFL);
	diag_get_stats(e->d, &s);
	assert_int_equal(s.pool_size, CS_DIAG_POOL_MAX);
	assert_int_equal(s.pool_evicted, n - CS_DIAG_POOL_MAX);
	assert_int_equal(s.pool_refused, 0);
	chain_store_free(st);
	EVP_PKEY_free(k);
}

/* ---- the store of another day: --trust-at and ok_at_capture_time ------------------- */

/*
 * A root-store timeline of the lab PKI, made in memory from its PEM files
 * (hashes, key and subject DER as scripts/mkroot-timeline.py writes them),
 * so that each row can say which store judged:
 *   root      in the store 2025-02-01..2026-06-01, again 2027-01-01..2028-01-01:
 *             removed, re-added, removed again;
 *   ecroot    1979-06-01..2026-03-01: removed for good (its early start puts
 *             the timeline's first date before the GPS epoch: clock rows);
 *   evilroot  2025-02-01.., still in; Mozilla distrusts server certificates
 *             issued after 2024-06-01 through it from 2026-01-01 (the lab
 *             leaves are issued on 2025-01-01).
 */
#define D_1979_06_01 297043200LL
#define D_2025_01_15 1736899200LL
#define D_2025_02_01 1738368000LL
#define D_2025_06_01 1748736000LL
#define D_2025_12_01 1764547200LL
#define D_2026_01_01 1767225600LL
#define D_2026_02_01 1769904000LL
#define D_2026_03_01 1772323200LL
#define D_2026_04_01 1775001600LL
#define D_2026_06_01 1780272000LL
#define D_2026_08_01 1785542400LL
#define D_2027_01_01 1798761600LL
#define D_2027_06_01 1811808000LL
#define D_2028_01_01 1830297600LL
#define D_2028_06_01 1843430400LL

struct lab_root {
	const char *pem, *label, *intervals, *distrust;
};

static const struct lab_root lab_roots[] = {
	{"root", "Lab Root (removed, re-added, removed)",
	 "[{\"from\":\"2025-02-01\",\"from_release\":\"NSS 9.1\",\"until\":\"2026-06-01\","
	 "\"until_release\":\"NSS 9.2\"},{\"from\":\"2027-01-01\",\"from_release\":\"NSS 9.4\","
	 "\"until\":\"2028-01-01\",\"until_release\":\"NSS 9.5\"}]",
	 "null"},
	{"ecroot", "Lab ECDSA Root (removed)",
	 "[{\"from\":\"1979-06-01\",\"from_release\":\"NSS 0.1\",\"until\":\"2026-03-01\","
	 "\"until_release\":\"NSS 9.1.1\"}]",
	 "null"},
	{"evilroot", "Lab Evil Root (distrust-after)",
	 "[{\"from\":\"2025-02-01\",\"from_release\":\"NSS 9.1\",\"until\":null,"
	 "\"until_release\":null}]",
	 "{\"after\":\"2024-06-01T00:00:00Z\",\"since\":\"2026-01-01\",\"since_release\":\"NSS 9.3\"}"},
};

static int64_t cert_time(const ASN1_TIME *t)
{
	struct tm tm;

	assert_int_equal(ASN1_TIME_to_tm(t, &tm), 1);
	return (int64_t)timegm(&tm);
}

static void b64_of(const uint8_t *p, size_t n, char **out)
{
	*out = b64_encode(p, n);
	assert_non_null(*out);
}

/* One root of the timeline, as JSON, appended to buf. */
static void lab_root_json(const struct lab_root *r, char *buf, size_t len)
{
	X509 *x = tp_pem(r->pem);
	unsigned char *spki = NULL, *name = NULL, *der = NULL;
	int nspki = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki);
	int nname = i2d_X509_NAME(X509_get_subject_name(x), &name);
	int nder = i2d_X509(x, &der);
	uint8_t sha[32], ksha[32];
	char hex[65], khex[65], *spki64, *name64, subject[256], nb[32], na[32];
	size_t o = strlen(buf);

	assert_true(nspki > 0 && nname > 0 && nder > 0);
	tp_sha256(der, (size_t)nder, sha);
	tp_sha256(spki, (size_t)nspki, ksha);
	hex_lower(sha, 32, hex);
	hex_lower(ksha, 32, khex);
	b64_of(spki, (size_t)nspki, &spki64);
	b64_of(name, (size_t)nname, &name64);
	X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof subject);
	fmt_time_s(cert_time(X509_get0_notBefore(x)), nb, sizeof nb);
	fmt_time_s(cert_time(X509_get0_notAfter(x)), na, sizeof na);
	snprintf(buf + o, len - o,
		 "%s{\"label\":\"%s\",\"subject\":\"%s\",\"cert_sha256\":\"%s\",\"spki_sha256\":"
		 "\"%s\",\"intervals\":%s,\"server_distrust_after\":%s,\"not_before\":\"%.19sZ\","
		 "\"not_after\":\"%.19sZ\",\"spki\":\"%s\",\"subject_der\":\"%s\"}",
		 o > 0 && buf[o - 1] == '}' ? "," : "", r->label, subject, hex, khex, r->intervals,
		 r->distrust, nb, na, spki64, name64);
	free(spki64);
	free(name64);
	OPENSSL_free(spki);
	OPENSSL_free(name);
	OPENSSL_free(der);
	X509_free(x);
}

static struct cs_timeline *lab_timeline(void)
{
	static char buf[32768];
	struct cs_timeline *t = NULL;
	char err[512] = "";

	snprintf(buf, sizeof buf,
		 "{\"format\":\"chainsniff-root-timeline\",\"version\":1,\"provenance\":{\"nss\":"
		 "{\"last_commit\":\"0123456789ab\",\"last_commit_date\":\"2028-06-01\","
		 "\"last_point\":\"NSS 9.5 (2028-01-01)\"}},\"roots\":[");
	for (size_t i = 0; i < CS_ARRAY_LEN(lab_roots); i++)
		lab_root_json(&lab_roots[i], buf, sizeof buf);
	assert_true(strlen(buf) + 3 < sizeof buf);
	strcat(buf, "]}");
	if (timeline_parse((const uint8_t *)buf, strlen(buf), "lab-timeline", &t, err,
			   sizeof err) != CS_OK)
		fail_msg("the lab timeline: %s", err);
	assert_int_equal(timeline_start(t), D_1979_06_01);
	return t;
}

/* A test's environment judging with the lab timeline (THEN_TEST): the
 * store of one anchor, in a --trust-at mode. */
struct then_env {
	const char *anchor;
	enum diag_trust_at mode;
};

static struct env *env_then(const char *const *anchors, size_t nanchors, enum diag_trust_at mode,
			    int64_t date, struct diag_opts o);

static int then_env_setup(void **state)
{
	const struct then_env *p = *state;

	*state = env_then(&p->anchor, 1, p->mode, 0, (struct diag_opts){.warn_days = -1});
	return 0;
}

#define THEN_TEST(f, env) TL_TEST_WITH(f, then_env_setup, env_teardown, &(env))

static const struct then_env then_trust_capture = {"trust", DIAG_TRUST_CAPTURE},
			     then_ecroot_today = {"ecroot", DIAG_TRUST_TODAY},
			     then_ecroot_capture = {"ecroot", DIAG_TRUST_CAPTURE};

/* An environment judging with the lab timeline in a --trust-at mode. */
static struct env *env_then(const char *const *anchors, size_t nanchors, enum diag_trust_at mode,
			    int64_t date, struct diag_opts o)
{
	struct env *e = env_opts(anchors, nanchors, o);

	e->tl = lab_timeline();
	diag_set_timeline(e->d, e->tl, mode, date);
	return e;
}

struct then_row {
	const char *name;
	const char *anchors[4]; /* today's store */
	const char *chain[6];   /* as sent (entry_der) */
	enum diag_trust_at mode;
	int64_t date; /* DIAG_TRUST_DATE */
	int64_t when; /* the capture's time, and the validation time */
	struct want must[6];
	bool broken;
	bool ok_then; /* ok_at_capture_time */
	enum diag_store store;
	const char *root_then; /* the label of the root of that day, with ok_then */
	int64_t left;          /* ... and the day it left */
};

#define FLAG(label, left) true, DIAG_STORE_TODAY, label, left
#define NOFLAG(store) false, store, NULL, 0

static struct then_row then_rows[] = {
	/* today's store (the default): the second look */
	{"then_removed_root",
	 {"ecroot"},
	 {"one", "int1"},
	 DIAG_TRUST_TODAY,
	 0,
	 D_2025_06_01,
	 {W(MISSING_INTERMEDIATE, 1)},
	 true,
	 FLAG("Lab Root (removed, re-added, removed)", D_2028_01_01)},
	{"then_removed_root_sent",
	 {"ecroot"},
	 {"alone", "root"},
	 DIAG_TRUST_TODAY,
	 0,
	 D_2025_06_01,
	 {W(UNTRUSTED_ROOT, 1)},
	 true,
	 FLAG("Lab Root (removed, re-added, removed)", D_2028_01_01)},
	{"then_root_out_between_stays",
	 {"ecroot"},
	 {"one", "int1"},
	 DIAG_TRUST_TODAY,
	 0,
	 D_2026_08_01,
	 {W(MISSING_INTERMEDIATE, 1)},
	 true,
	 NOFLAG(DIAG_STORE_TODAY)},
	{"then_root_re_added",
	 {"ecroot"},
	 {"one", "int1"},
	 DIAG_TRUST_TODAY,
	 0,
	 D_2027_06_01,
	 {W(MISSING_INTERMEDIATE, 1)},
	 true,
	 FLAG("Lab Root (removed, re-added, removed)", D_2028_01_01)},
	{"then_root_removed_again",
	 {"ecroot"},
	 {"one", "int1"},
	 DIAG_TRUST_TODAY,
	 0,
	 D_2028_06_01,
	 {W(MISSING_INTERMEDIATE, 1)},
	 true,
	 NOFLAG(DIAG_STORE_TODAY)},
	{"then_ecdsa_removed",
	 {"root"},
	 {"ec", "ecint"},
	 DIAG_TRUST_TODAY,
	 0,
	 D_2025_06_01,
	 {W(MISSING_INTERMEDIATE, 1)},
	 true,
	 FLAG("Lab ECDSA Root (removed)", D_2026_03_01)},
	{"then_ecdsa_after_removal",
	 {"root"},
	 {"ec", "ecint"},
	 DIAG_TRUST_TODAY,
	 0,
	 D_2026_04_01,
	 {W(MISSING_INTERMEDIATE, 1)},
	 true,
	 NOFLAG(DIAG_STORE_TODAY)},
	/* still in Mozilla's store: today's lacks it by its own choice */
	{"then_root_never_left",
	 {"trust"},
	 {"evil", "evilint"},
	 DIAG_TRUST_TODAY,
	 0,
	 D_2025_06_01,
	 {W(MISSING_INTERMEDIATE, 1)},
	 true,
	 NOFLAG(DIAG_STORE_TODAY)},
	/* an error the store does not decide: no second look */
	{"then_expired_leaf",
	 {"ecroot"},
	 {"expired", "int1"},
	 DIAG_TRUST_TODAY,
	 0,
	 D_2025_06_01,
	 {W(EXPIRED_LEAF, 0), W(MISSING_INTERMEDIATE, 1)},
	 true,
	 NOFLAG(DIAG_STORE_TODAY)},
	/* forgeries that name the removed root: its key never verifies them */
	{"then_forged_root_named_curve",
	 {"ecroot"},
	 {"alone@mallory", "root+mallory@mallory"},
	 DIAG_TRUST_TODAY,
	 0,
	 D_2025_06_01,
	 {W(UNTRUSTED_ROOT, 1)},
	 true,
	 NOFLAG(DIAG_STORE_TODAY)},
	{"then_forged_intermediate",
	 {"ecroot"},
	 {"one", "int1@mallory"},
	 DIAG_TRUST_TODAY,
	 0,
	 D_2025_06_01,
	 {W(MISSING_INTERMEDIATE, 1)},
	 true,
	 NOFLAG(DIAG_STORE_TODAY)},
	{"then_curveball_explicit",
	 {"ecroot"},
	 {"alone@forger", "root+forger@forger"},
	 DIAG_TRUST_TODAY,
	 0,
	 D_2025_06_01,
	 {W(MALFORMED_CERT, 1), W(UNTRUSTED_ROOT, 1)},
	 true,
	 NOFLAG(DIAG_STORE_TODAY)},
	/* no second look on an implausible clock (the store of that day would
	 * hold ecroot) */
	{"then_clock_implausible",
	 {"root"},
	 {"ec", "ecint"},
	 DIAG_TRUST_TODAY,
	 0,
	 T_GPS,
	 {W(MISSING_INTERMEDIATE, 1), W(NOT_YET_VALID, 0), W(NOT_YET_VALID, 1),
	  W(CLOCK_IMPLAUSIBLE, -1)},
	 true,
	 NOFLAG(DIAG_STORE_TODAY)},

	/* --trust-at capture: the store of the handshake's day */
	{"capture_root_in_store",
	 {"ecroot"},
	 {"one", "int1"},
	 DIAG_TRUST_CAPTURE,
	 0,
	 D_2025_06_01,
	 {{0}},
	 false,
	 NOFLAG(DIAG_STORE_DATED)},
	{"capture_root_out_between_stays",
	 {"trust"},
	 {"one", "int1"},
	 DIAG_TRUST_CAPTURE,
	 0,
	 D_2026_08_01,
	 {W(MISSING_INTERMEDIATE, 1)},
	 true,
	 NOFLAG(DIAG_STORE_DATED)},
	{"capture_root_re_added",
	 {"ecroot"},
	 {"one", "int1"},
	 DIAG_TRUST_CAPTURE,
	 0,
	 D_2027_06_01,
	 {{0}},
	 false,
	 NOFLAG(DIAG_STORE_DATED)},
	{"capture_before_distrust",
	 {"trust"},
	 {"evil", "evilint"},
	 DIAG_TRUST_CAPTURE,
	 0,
	 D_2025_12_01,
	 {{0}},
	 false,
	 NOFLAG(DIAG_STORE_DATED)},
	{"capture_distrusted",
	 {"trust"},
	 {"evil", "evilint"},
	 DIAG_TRUST_CAPTURE,
	 0,
	 D_2026_02_01,
	 {W(DISTRUSTED_ROOT, -1)},
	 true,
	 NOFLAG(DIAG_STORE_DATED)},
	{"capture_distrusted_root_sent",
	 {"trust"},
	 {"evil", "evilint", "evilroot"},
	 DIAG_TRUST_CAPTURE,
	 0,
	 D_2026_02_01,
	 {W(DISTRUSTED_ROOT, 2), W(ROOT_INCLUDED, 2)},
	 true,
	 NOFLAG(DIAG_STORE_DATED)},
	/* a leaf issued before the distrust date is still trusted */
	{"capture_issued_before_distrust_date",
	 {"trust"},
	 {"evil+old@evilint", "evilint"},
	 DIAG_TRUST_CAPTURE,
	 0,
	 D_2026_02_01,
	 {{0}},
	 false,
	 NOFLAG(DIAG_STORE_DATED)},
	/* a root unknown to the timeline (a private CA) stays an anchor */
	{"capture_unknown_root_kept",
	 {"trust", "selfsigned"},
	 {"selfsigned"},
	 DIAG_TRUST_CAPTURE,
	 0,
	 D_2026_08_01,
	 {{0}},
	 false,
	 NOFLAG(DIAG_STORE_DATED)},
	/* no store of that day: today's, said so */
	{"capture_before_timeline",
	 {"root"},
	 {"ec", "ecint"},
	 DIAG_TRUST_CAPTURE,
	 0,
	 T_1970,
	 {W(MISSING_INTERMEDIATE, 1), W(NOT_YET_VALID, 0), W(NOT_YET_VALID, 1),
	  W(CLOCK_IMPLAUSIBLE, -1)},
	 true,
	 NOFLAG(DIAG_STORE_TODAY_FALLBACK)},
	{"capture_clock_implausible",
	 {"root"},
	 {"ec", "ecint"},
	 DIAG_TRUST_CAPTURE,
	 0,
	 T_GPS,
	 {W(MISSING_INTERMEDIATE, 1), W(NOT_YET_VALID, 0), W(NOT_YET_VALID, 1),
	  W(CLOCK_IMPLAUSIBLE, -1)},
	 true,
	 NOFLAG(DIAG_STORE_TODAY_FALLBACK)},

	/* --trust-at DATE: one store for every handshake */
	{"date_root_out",
	 {"trust"},
	 {"one", "int1"},
	 DIAG_TRUST_DATE,
	 D_2026_08_01,
	 D_2025_06_01,
	 {W(MISSING_INTERMEDIATE, 1)},
	 true,
	 NOFLAG(DIAG_STORE_DATED)},
	{"date_root_in",
	 {"ecroot"},
	 {"one", "int1"},
	 DIAG_TRUST_DATE,
	 D_2025_06_01,
	 D_2026_08_01,
	 {{0}},
	 false,
	 NOFLAG(DIAG_STORE_DATED)},
};

/* The handshake at when, judged as the row says; checked like the table's
 * rows, and the verdict holds over both of its windows. */
static struct judged *judge_then(struct env *e, const struct cs_chain *c, int64_t when,
				 const char *what)
{
	struct judged *j = judged_new();
	int64_t ends[3][2];

	j->v = diag_analyze_at(e->d, c, when, when, NULL);
	assert_non_null(j->v);
	j->mask = j->v->mask;
	j->broken = j->v->broken;
	j->n = j->v->nproblems;
	memcpy(j->p, j->v->problems, j->n * sizeof j->p[0]);
	word(e, c, NULL, j);
	check_judged(e, c, j, what);
	if (when < j->v->from || when >= j->v->until || when < j->v->store_from ||
	    when >= j->v->store_until) {
		dump(what, j);
		fail_msg("%s: outside its own windows", what);
	}
	/* the same verdict anywhere in its windows (validation, capture) */
	ends[0][0] = j->v->from == INT64_MIN ? when : j->v->from;
	ends[0][1] = when;
	ends[1][0] = when;
	ends[1][1] = j->v->store_from == INT64_MIN ? when : j->v->store_from;
	ends[2][0] = j->v->until == INT64_MAX ? when : j->v->until - 1;
	ends[2][1] = j->v->store_until == INT64_MAX ? when : j->v->store_until - 1;
	for (size_t k = 0; k < CS_ARRAY_LEN(ends); k++) {
		struct diag_verdict *again = diag_analyze_at(e->d, c, ends[k][0], ends[k][1], NULL);

		assert_non_null(again);
		if (!same_verdict(j->v, again) ||
		    again->ok_at_capture_time != j->v->ok_at_capture_time ||
		    again->store != j->v->store) {
			dump(what, j);
			free(again);
			fail_msg("%s: analysed again at %lld (captured %lld), another verdict",
				 what, (long long)ends[k][0], (long long)ends[k][1]);
		}
		free(again);
	}
	return j;
}

static void check_then(const struct then_row *r, const struct judged *j)
{
	const struct diag_verdict *v = j->v;
	const struct diag_problem *p;
	char ib[16];

	for (size_t i = 0; i < CS_ARRAY_LEN(r->must) && r->must[i].set; i++)
		if (!find(j, r->must[i].code, r->must[i].index)) {
			dump(r->name, j);
			fail_msg("%s: %s@%s missing", r->name, problem_name(r->must[i].code),
				 index_str(r->must[i].index, ib));
		}
	if (v->broken != r->broken || v->ok_at_capture_time != r->ok_then || v->store != r->store) {
		dump(r->name, j);
		fail_msg("%s: broken %d ok_at_capture_time %d store %s, want %d %d %s", r->name,
			 v->broken, v->ok_at_capture_time, diag_store_name(v->store), r->broken,
			 r->ok_then, diag_store_name(r->store));
	}
	if (r->store == DIAG_STORE_TODAY_FALLBACK && r->when < D_1979_06_01)
		assert_int_equal(v->store_until, D_1979_06_01); /* until the timeline starts */
	if (!r->ok_then) {
		assert_null(v->then);
		return;
	}
	/* the evidence: the root of that day, named in the store-dependent
	 * problem's message with the day it left; the fix is the one for it */
	assert_non_null(v->then);
	assert_string_equal(v->then->label, r->root_then);
	assert_int_equal(v->then->left_at, r->left);
	assert_int_equal(v->then->store_day, r->when - r->when % 86400);
	assert_int_equal(v->store_day, v->then->store_day);
	for (size_t i = 0; i < j->n; i++) {
		p = &j->p[i];
		if (!problem_store_dependent(p))
			continue;
		if (!strstr(j->msg[i], r->root_then) || !strstr(j->msg[i], "left the store on") ||
		    !strstr(j->fix[i], "accepted this chain")) {
			dump(r->name, j);
			fail_msg("%s: %s does not name the root of that day", r->name,
				 problem_name(p->code));
		}
	}
}

static void test_then_row(void **state)
{
	const struct then_row *r = *state;
	size_t nanchors = 0, nchain = 0;
	struct env *e;
	const struct cs_chain *c;
	struct judged *j;

	while (nanchors < CS_ARRAY_LEN(r->anchors) && r->anchors[nanchors])
		nanchors++;
	while (nchain < CS_ARRAY_LEN(r->chain) && r->chain[nchain])
		nchain++;
	e = env_then(r->anchors, nanchors, r->mode, r->date, (struct diag_opts){.warn_days = -1});
	c = chain_of(e, r->chain, nchain);
	j = judge_then(e, c, r->when, r->name);
	if (getenv("TEST_DIAG_VERBOSE"))
		dump(r->name, j);
	check_then(r, j);
	judged_free(j);
	env_free(e);
}

static void sha_of(X509 *x, uint8_t sha[32])
{
	size_t n;
	uint8_t *der = tp_der(x, &n);

	tp_sha256(der, n, sha);
	free(der);
}

/* The store of a date itself (trust_at_date): the timeline decides for the
 * roots it knows (by certificate, or by key for a re-issued root), a root
 * today's store lacks is rebuilt from its key and name, and anchors the
 * timeline does not know are kept. */
static void test_then_dated_store(void **state)
{
	struct cs_timeline *tl = lab_timeline();
	char pem[] = "/tmp/test_diag.reissued.XXXXXX";
	const char *anchors[] = {"trust", "selfsigned", pem};
	size_t n;
	uint8_t *der = entry_der("root+serial99@root", &n); /* root re-issued: same key and name */
	const unsigned char *dp = der;
	X509 *reissued = d2i_X509(NULL, &dp, (long)n);
	int fd = mkstemp(pem);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	struct cs_trust *today, *out, *mid, *again;
	const struct cs_x509 *a;
	X509 *x;
	uint8_t sha[32];
	int64_t when;

	(void)state;
	assert_non_null(f);
	assert_int_equal(PEM_write_X509(f, reissued), 1);
	fclose(f);
	today = load_trust(anchors, 3);
	unlink(pem);
	assert_int_equal(trust_count(today), 4);
	assert_false(trust_date(today, &when));
	/* 2025-06-01: root (today's certificate, and its re-issue by key),
	 * ecroot (today's), evilroot (rebuilt), selfsigned (unknown: kept) */
	assert_int_equal(trust_at_date(today, tl, D_2025_06_01, &mid), CS_OK);
	assert_int_equal(trust_count(mid), 5);
	assert_true(trust_date(mid, &when));
	assert_int_equal(when, D_2025_06_01);
	assert_string_equal(trust_name(mid),
			    "Mozilla's store on 2025-06-01 (root timeline: "
			    "lab-timeline) + 1 anchor of today's store the timeline "
			    "does not know");
	/* 2026-08-01: root out between its stays (both of its certificates),
	 * ecroot gone; evilroot rebuilt, selfsigned kept */
	assert_int_equal(trust_at_date(today, tl, D_2026_08_01, &out), CS_OK);
	assert_int_equal(trust_count(out), 2);
	tp_sha256(der, n, sha); /* the re-issue: decided by its key */
	assert_false(trust_contains_der(out, sha));
	assert_true(trust_contains_der(mid, sha));
	x = tp_pem("root");
	sha_of(x, sha);
	assert_false(trust_contains_der(out, sha));
	assert_true(trust_contains_der(mid, sha));
	X509_free(x);
	x = tp_pem("evilroot");
	sha_of(x, sha);
	assert_non_null(a = trust_anchor_by_der(out, sha)); /* rebuilt: known by the real hashes */
	assert_string_equal(trust_anchor_root(out, a)->label, "Lab Evil Root (distrust-after)");
	assert_int_equal(X509_NAME_cmp(X509_get_subject_name(a->x), X509_get_subject_name(x)), 0);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(a->x), X509_get0_pubkey(x)), 1);
	assert_null(trust_anchor_root(today, a)); /* not one of today's */
	X509_free(x);
	x = tp_pem("selfsigned");
	sha_of(x, sha);
	assert_non_null(a = trust_anchor_by_der(out, sha));
	assert_null(trust_anchor_root(out, a));
	X509_free(x);
	/* the same day, the same anchors: the same digest */
	assert_int_equal(trust_at_date(today, tl, D_2026_08_01 + 3600, &again), CS_OK);
	assert_string_equal(trust_digest(again), trust_digest(out));
	assert_string_not_equal(trust_digest(mid), trust_digest(out));
	trust_free(again);
	trust_free(out);
	trust_free(mid);
	trust_free(today);
	X509_free(reissued);
	free(der);
	timeline_free(tl);
}

/* The distrusted_root record: the root's subject, the distrust date, the
 * release that set it. */
static void test_then_distrust_record(void **state)
{
	struct env *e = *state;
	const struct cs_chain *c = CHAIN(e, "evil", "evilint");
	struct judged *j = judge_then(e, c, D_2026_02_01, "distrust record");
	const struct diag_problem *p = find(j, CS_P_DISTRUSTED_ROOT, -1);

	assert_non_null(p);
	assert_int_equal(p->role, CS_ROLE_ROOT);
	assert_int_equal(p->date, 1717200000LL); /* 2024-06-01 */
	assert_string_equal(p->text, "2026-01-01, NSS 9.3");
	assert_non_null(strstr(p->subject, "chainsniff Evil Root CA"));
	assert_non_null(strstr(msg_of(j, p), "after 2024-06-01 (from 2026-01-01, NSS 9.3)"));
	judged_free(j);
}

/* The second look's windows: the verdict holds over the timeline's span
 * around the capture, and changes across its end (the root leaves). */
static void test_then_window(void **state)
{
	struct env *e = *state;
	const struct cs_chain *c = CHAIN(e, "one", "int1");
	struct diag_verdict *v = diag_analyze_at(e->d, c, D_2026_04_01, D_2026_04_01, NULL), *w;
	int64_t from, until;

	assert_non_null(v);
	timeline_window(e->tl, D_2026_04_01, &from, &until);
	assert_int_equal(v->store_from, from);
	assert_int_equal(v->store_until, until);
	assert_int_equal(until, D_2026_06_01);
	assert_true(v->ok_at_capture_time);
	/* the same chain at the same validation time, captured a second later */
	w = diag_analyze_at(e->d, c, D_2026_04_01, D_2026_06_01, NULL);
	assert_non_null(w);
	assert_false(w->ok_at_capture_time);
	assert_true(w->broken);
	assert_int_equal(w->store_from, D_2026_06_01);
	free(w);
	/* validated at a time of its own (--at), captured before the timeline
	 * starts: no store of that day to look at, until the timeline starts */
	free(v);
	v = diag_analyze_at(e->d, c, D_2025_06_01, T_1970, NULL);
	assert_non_null(v);
	assert_true(v->broken);
	assert_false(v->ok_at_capture_time);
	assert_int_equal(v->store_from, INT64_MIN);
	assert_int_equal(v->store_until, D_1979_06_01);
	/* a chain that is fine today needs no second look: any capture time */
	free(v);
	v = diag_analyze_at(e->d, CHAIN(e, "ec", "ecint"), D_2026_04_01, D_2026_04_01, NULL);
	assert_non_null(v);
	assert_false(v->broken);
	assert_int_equal(v->store_from, INT64_MIN);
	assert_int_equal(v->store_until, INT64_MAX);
	free(v);
}

/* The second look spends the same budget: one that runs out leaves the
 * chain broken, without the flag (and not unknown: today's verdict stands);
 * stores of a date are built once per span, and counted. */
static void test_then_budget_and_stats(void **state)
{
	const char *anchors[] = {"ecroot"};
	struct env *e = env_new(anchors, 1, -1);
	const struct cs_chain *c = CHAIN(e, "one", "int1");
	struct diag_verdict *v = diag_analyze_at(e->d, c, D_2025_06_01, D_2025_06_01, NULL);
	uint32_t today = v->checks; /* without a timeline: today's look alone */
	struct diag_stats s;
	struct env *tiny;

	(void)state;
	free(v);
	env_free(e);
	e = env_then(anchors, 1, DIAG_TRUST_TODAY, 0, (struct diag_opts){.warn_days = -1});
	c = CHAIN(e, "one", "int1");
	v = diag_analyze_at(e->d, c, D_2025_06_01, D_2025_06_01, NULL);
	assert_true(v->ok_at_capture_time);
	assert_true(v->checks > today); /* the second look's checks count in the verdict's */
	free(v);
	v = diag_analyze_at(e->d, c, D_2025_06_01 + 3600, D_2025_06_01 + 3600, NULL);
	assert_true(v->ok_at_capture_time);
	free(v);
	diag_get_stats(e->d, &s);
	assert_int_equal(s.second_looks, 2);
	assert_int_equal(s.second_looks_ok, 2);
	assert_int_equal(s.dated_stores_built, 1); /* one span, one store */
	assert_int_equal(s.second_look_budget, 0);
	env_free(e);

	tiny = env_then(anchors, 1, DIAG_TRUST_TODAY, 0,
			(struct diag_opts){.warn_days = -1, .max_checks = today});
	c = CHAIN(tiny, "one", "int1");
	v = diag_analyze_at(tiny->d, c, D_2025_06_01, D_2025_06_01, NULL);
	assert_non_null(v);
	assert_true(v->broken);
	assert_int_equal(v->status, DIAG_BROKEN);
	assert_false(v->ok_at_capture_time);
	assert_int_equal(v->checks, today); /* the second look began at the budget's end */
	diag_get_stats(tiny->d, &s);
	assert_int_equal(s.second_look_budget, 1);
	free(v);
	env_free(tiny);
}

/* A new trust store (SIGHUP) drops the stores of a date made from the old one. */
static void test_then_new_trust_store(void **state)
{
	static const char *const both[] = {"trust", "selfsigned"};
	struct env *e = *state;
	const struct cs_chain *c = CHAIN(e, "selfsigned");
	struct cs_trust *t2 = load_trust(both, 2);
	struct diag_verdict *v = diag_analyze_at(e->d, c, D_2025_06_01, D_2025_06_01, NULL);
	struct diag_stats s;

	assert_true(v->broken); /* a private root today's store does not hold */
	free(v);
	diag_set_trust(e->d, t2);
	v = diag_analyze_at(e->d, c, D_2025_06_01, D_2025_06_01, NULL);
	assert_false(v->broken); /* the new store's private root joins the store of that day */
	free(v);
	diag_get_stats(e->d, &s);
	assert_int_equal(s.dated_stores_built, 2);
	diag_set_trust(e->d, e->t);
	trust_free(t2);
}

static uint32_t then_table_codes(void)
{
	uint32_t seen = 0;

	for (size_t r = 0; r < CS_ARRAY_LEN(then_rows); r++)
		for (size_t i = 0; i < CS_ARRAY_LEN(then_rows[r].must) && then_rows[r].must[i].set;
		     i++)
			seen |= 1u << then_rows[r].must[i].code;
	return seen;
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
		cmocka_unit_test(test_table_budget_summary),
		cmocka_unit_test(test_table_covers_every_code),
		ENV_TEST(test_window, o_lab),
		ENV_TEST(test_window_soon_boundaries, o_lab),
		cmocka_unit_test(test_window_weak_cutoff),
		cmocka_unit_test(test_window_path_choice),
		cmocka_unit_test(test_warn_days),
		ENV_TEST(test_hostname, o_lab),
		ENV_TEST(test_hostname_empty_sni, o_lab),
		ENV_TEST(test_hostname_and_empty_chains, o_lab),
		ENV_TEST(test_problems_capped, o_lab),
		ENV_TEST(test_evidence_seen_earlier, o_lab),
		ENV_TEST(test_evidence_seen_later, o_lab),
		ENV_TEST(test_evidence_seen_other_server, o_lab),
		ENV_TEST(test_evidence_intermediates_file, o_lab),
		ENV_TEST(test_evidence_aia, o_lab),
		ENV_TEST(test_evidence_after_set_trust, o_lab),
		ENV_TEST(test_pool_per_source, o_lab),
		ENV_TEST(test_intermediates_file_all_used, o_lab),
		cmocka_unit_test(test_name_constraint_records),
		cmocka_unit_test(test_critical_extension_records),
		ENV_TEST(test_clock_rules, o_lab),
		ENV_TEST(test_key_usage_per_handshake, o_lab),
		ENV_TEST(test_expired_reissue, o_lab),
		ENV_TEST(test_budget_name_constraints, o_lab),
		ENV_TEST(test_budget_hostile_chain, o_lab),
		ENV_TEST(test_budget_hostile_chain_full, o_lab),
		ENV_TEST(test_budget_ordinary_chain, o_one_check),
		ENV_TEST(test_budget_keeps_established, o_one_check),
		ENV_TEST(test_search_bound, o_lab),
		ENV_TEST(test_noise, o_lab),
		ENV_TEST(test_many_certificates, o_lab),
		ENV_TEST(test_pool_many_sources, o_lab),
		cmocka_unit_test(test_then_dated_store),
		THEN_TEST(test_then_distrust_record, then_trust_capture),
		THEN_TEST(test_then_window, then_ecroot_today),
		cmocka_unit_test(test_then_budget_and_stats),
		THEN_TEST(test_then_new_trust_store, then_ecroot_capture),
	};
	struct CMUnitTest tests[CS_ARRAY_LEN(rows) + CS_ARRAY_LEN(then_rows) + CS_ARRAY_LEN(fixed)];
	size_t n = 0;
	int rc;

	for (size_t i = 0; i < CS_ARRAY_LEN(rows); i++)
		tests[n++] = (struct CMUnitTest){rows[i].name, test_row, NULL, NULL, &rows[i]};
	for (size_t i = 0; i < CS_ARRAY_LEN(then_rows); i++)
		tests[n++] = (struct CMUnitTest){then_rows[i].name, test_then_row, NULL, NULL,
						 &then_rows[i]};
	for (size_t i = 0; i < CS_ARRAY_LEN(fixed); i++)
		tests[n++] = fixed[i];
	rc = _cmocka_run_group_tests("diag", tests, n, NULL, NULL);
	EVP_PKEY_free(forger);
	EVP_PKEY_free(mallory);
	judged_free_all();
	for (size_t i = 0; i < CS_ARRAY_LEN(live); i++)
		if (live[i])
			env_free(live[i]);
	return rc;
}
