/*
 * test_problems.c - the catalogue of problem codes (cs_problems.h): names
 * and severities as documented in docs/problems.md, a summary per code,
 * and the wording of every variant rendered from typed records: every
 * placeholder expanded, missing_intermediate worded by its evidence,
 * wrong_order's fix listing the order to serve, weak_* worded by
 * severity, and text cut safely at any buffer size.
 * Certificates for the order list come from the lab PKI (pcaps/lab/pki).
 * Run from the repository root.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>

#include "cs_problems.h"
#include "testlib.h"
#include "testpki.h"

#define DOCS "docs/problems.md"
#define BIG 4096

/* ---- names, severities, summaries -------------------------------------------- */

static void test_names(void **state)
{
	(void)state;
	for (int i = 0; i < CS_P_MAX; i++) {
		enum cs_problem p = (enum cs_problem)i;
		const char *name = problem_name(p);

		assert_non_null(name);
		assert_true(strlen(name) > 3);
		for (const char *q = name; *q; q++)
			if (!islower((unsigned char)*q) && *q != '_')
				fail_msg("code %d: name \"%s\" is not lowercase_with_underscores",
					 i, name);
		assert_int_equal(problem_by_name(name), p);
		for (int k = 0; k < i; k++)
			assert_string_not_equal(problem_name((enum cs_problem)k), name);
	}
	assert_int_equal(problem_by_name("no_such_code"), CS_P_MAX);
	assert_int_equal(problem_by_name(""), CS_P_MAX);
	assert_int_equal(problem_by_name("MISSING_INTERMEDIATE"), CS_P_MAX);
	assert_string_equal(problem_name(CS_P_MAX), "unknown");
	/* the contract: a few names spelled out */
	assert_string_equal(problem_name(CS_P_MISSING_INTERMEDIATE), "missing_intermediate");
	assert_string_equal(problem_name(CS_P_HOSTNAME_MISMATCH), "hostname_mismatch");
	assert_string_equal(problem_name(CS_P_CROSS_SIGN_STALE), "cross_sign_stale");
}

/* The codes of issue 17, appended after the first warnings with the
 * severity the catalogue gives them. */
static enum cs_severity expected_severity(int i)
{
	switch (i) {
	case CS_P_NAME_CONSTRAINT_VIOLATION:
	case CS_P_UNHANDLED_CRITICAL_EXTENSION:
	case CS_P_DISTRUSTED_ROOT:
		return CS_SEV_ERROR;
	case CS_P_KEY_USAGE_MISMATCH:
		return CS_SEV_WARNING;
	default: /* the first codes: errors, then warnings from root_included */
		return i < CS_P_ROOT_INCLUDED ? CS_SEV_ERROR : CS_SEV_WARNING;
	}
}

/* Severities as the catalogue gives them (cs_problems.h); a summary of one
 * line per code. */
static void test_severities_and_summaries(void **state)
{
	(void)state;
	uint32_t errors = 0;

	for (int i = 0; i < CS_P_MAX; i++) {
		enum cs_problem p = (enum cs_problem)i;
		const char *sum = problem_summary(p);

		assert_int_equal(problem_default_severity(p), expected_severity(i));
		errors |= expected_severity(i) == CS_SEV_ERROR ? 1u << i : 0;
		assert_non_null(sum);
		assert_true(strlen(sum) > 10);
		assert_null(strchr(sum, '\n'));
		assert_null(strchr(sum, '{'));
	}
	assert_int_equal(problem_error_mask(), errors);
	assert_true(problem_error_mask() & (1u << CS_P_NAME_CONSTRAINT_VIOLATION));
	assert_false(problem_error_mask() & (1u << CS_P_KEY_USAGE_MISMATCH));
	assert_false(problem_error_mask() & (1u << CS_P_ROOT_INCLUDED));
	assert_string_equal(severity_name(CS_SEV_ERROR), "error");
	assert_string_equal(severity_name(CS_SEV_WARNING), "warning");
	assert_string_equal(problem_summary(CS_P_MAX), "");
	assert_string_equal(evidence_name(DIAG_EV_NONE), "none");
	assert_string_equal(evidence_name(DIAG_EV_SEEN_IN_CAPTURE), "seen_in_capture");
	assert_string_equal(evidence_name(DIAG_EV_INTERMEDIATES_FILE), "intermediates_file");
	assert_string_equal(evidence_name(DIAG_EV_AIA), "aia");
	assert_string_equal(evidence_name((enum diag_evidence)99), "none");
}

/* docs/problems.md documents every code: its row in the summary table with
 * the default severity, and its own section. */
static void test_documented(void **state)
{
	(void)state;
	char *doc = tl_read_text(DOCS);

	for (int i = 0; i < CS_P_MAX; i++) {
		enum cs_problem p = (enum cs_problem)i;
		char row[128], section[128];

		snprintf(row, sizeof row, "| [%s](#%s) | %s", problem_name(p), problem_name(p),
			 severity_name(problem_default_severity(p)));
		snprintf(section, sizeof section, "\n### %s\n", problem_name(p));
		if (!strstr(doc, row))
			fail_msg("%s: no summary row \"%s\"", DOCS, row);
		if (!strstr(doc, section))
			fail_msg("%s: no section for %s", DOCS, problem_name(p));
	}
	free(doc);
}

/* ---- rendering ----------------------------------------------------------------- */

/* A record with every parameter filled (no braces anywhere). */
static struct diag_problem filled(enum cs_problem code, uint8_t variant, enum cs_severity sev)
{
	struct diag_problem p = {
		.code = code,
		.severity = sev,
		.variant = variant,
		.role = CS_ROLE_INTERMEDIATE,
		.cert_index = 1,
		.num = 1024,
		.count = 2,
		.date = 1795996800LL /* 2026-11-30 */,
		.norder = 2,
		.order = {0, 1},
		.subject = "CN=Example Intermediate,O=Example",
		.name = "CN=Example Root,O=Example",
		.text = "http://ca.example/int.crt",
	};
	return p;
}

/* The root of the capture's day (ok_at_capture_time): GeoTrust Global CA
 * in a 2015 capture, as the built-in timeline has it. */
static const struct diag_root_then then_geotrust = {
	.store_day = 1434412800LL, /* 2015-06-16 */
	.label = "GeoTrust Global CA",
	.subject = "CN=GeoTrust Global CA,O=GeoTrust Inc.,C=US",
	.left_at = 1607644800LL, /* 2020-12-11 */
	.left_release = "NSS 3.60",
	.has_distrust_after = true,
	.distrust_after = 1577836800LL, /* 2020-01-01 */
	.distrust_since = 1590710400LL, /* 2020-05-29 */
	.distrust_release = "NSS 3.53",
};

static const struct diag_evidence_rec ev_seen = {
	DIAG_EV_SEEN_IN_CAPTURE,
	true,
	true,
	{0xab, 0xcd, 0xef, 1,  2,  3,  4,  5,  6,  7,  8,  9,  10, 11, 12, 13,
	 14,   15,   16,   17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29},
	"198.51.100.9:443",
};

struct rendered {
	char msg[BIG], fix[BIG];
};

static void render(const struct diag_problem *p, const struct problem_ctx *c, struct rendered *r)
{
	problem_message(p, c, r->msg, sizeof r->msg);
	problem_fix(p, c, r->fix, sizeof r->fix);
}

static void no_placeholder(const char *what, const char *s)
{
	const char *open = strchr(s, '{');

	if (open || strchr(s, '}'))
		fail_msg("%s: unexpanded placeholder in \"%s\"", what, s);
	if (strlen(s) < 10)
		fail_msg("%s: text too short: \"%s\"", what, s);
}

/* Every variant of every code, both severities, with and without
 * evidence: no "{...}" left, a message and a fix. */
static void test_every_variant_expands(void **state)
{
	(void)state;
	struct cs_chain_store *st = chain_store_new(4, CS_CHAIN_MEMCAP);
	X509 *xs[2] = {tp_pem("one"), tp_pem("int1")};
	const struct cs_chain *chain = tp_intern(st, xs, 2);
	struct problem_ctx ctxs[3] = {
		{chain, "www.example", 11, "example, *.example", &ev_seen, 30, NULL},
		{NULL, NULL, 0, NULL, NULL, 0, NULL},
		{chain, NULL, 0, NULL, NULL, 30, &then_geotrust},
	};
	char what[96];
	size_t rendered = 0;

	for (int i = 0; i < CS_P_MAX; i++)
		for (uint8_t v = 0; v < 3; v++)
			for (int sev = 0; sev < 2; sev++)
				for (size_t k = 0; k < CS_ARRAY_LEN(ctxs); k++) {
					struct diag_problem p = filled((enum cs_problem)i, v,
								       (enum cs_severity)sev);
					struct rendered r;

					render(&p, &ctxs[k], &r);
					snprintf(what, sizeof what,
						 "%s variant %u %s ctx %zu message",
						 problem_name(p.code), v, severity_name(p.severity),
						 k);
					no_placeholder(what, r.msg);
					snprintf(what, sizeof what, "%s variant %u %s ctx %zu fix",
						 problem_name(p.code), v, severity_name(p.severity),
						 k);
					no_placeholder(what, r.fix);
					rendered++;
				}
	assert_int_equal(rendered, CS_P_MAX * 3 * 2 * 3);
	chain_store_free(st);
	X509_free(xs[0]);
	X509_free(xs[1]);
}

/* Which errors the trust store alone decides (the second look's gate and
 * the problems that carry the root of the capture's day). */
static void test_store_dependent(void **state)
{
	static const struct {
		enum cs_problem code;
		uint8_t role;
		enum cs_severity sev;
		bool want;
	} cases[] = {
		{CS_P_MISSING_INTERMEDIATE, CS_ROLE_INTERMEDIATE, CS_SEV_ERROR, true},
		{CS_P_UNTRUSTED_ROOT, CS_ROLE_ROOT, CS_SEV_ERROR, true},
		{CS_P_EXPIRED_ROOT, CS_ROLE_ROOT, CS_SEV_ERROR, true},
		{CS_P_DISTRUSTED_ROOT, CS_ROLE_ROOT, CS_SEV_ERROR, true},
		/* a sent root blamed only because it is not an anchor */
		{CS_P_WEAK_SIGNATURE, CS_ROLE_ROOT, CS_SEV_ERROR, true},
		{CS_P_WEAK_KEY, CS_ROLE_ROOT, CS_SEV_ERROR, true},
		{CS_P_EXPIRED_INTERMEDIATE, CS_ROLE_ROOT, CS_SEV_ERROR, true},
		/* ... the same below the root: whatever the store */
		{CS_P_WEAK_SIGNATURE, CS_ROLE_INTERMEDIATE, CS_SEV_ERROR, false},
		{CS_P_WEAK_KEY, CS_ROLE_LEAF, CS_SEV_ERROR, false},
		{CS_P_EXPIRED_INTERMEDIATE, CS_ROLE_INTERMEDIATE, CS_SEV_ERROR, false},
		{CS_P_EXPIRED_LEAF, CS_ROLE_LEAF, CS_SEV_ERROR, false},
		{CS_P_BAD_SIGNATURE, CS_ROLE_LEAF, CS_SEV_ERROR, false},
		{CS_P_MALFORMED_CERT, CS_ROLE_ROOT, CS_SEV_ERROR, false},
		{CS_P_SELF_SIGNED_LEAF, CS_ROLE_LEAF, CS_SEV_ERROR, false},
		{CS_P_HOSTNAME_MISMATCH, CS_ROLE_LEAF, CS_SEV_ERROR, false},
		/* warnings never count */
		{CS_P_WEAK_SIGNATURE, CS_ROLE_ROOT, CS_SEV_WARNING, false},
		{CS_P_ROOT_INCLUDED, CS_ROLE_ROOT, CS_SEV_WARNING, false},
	};

	(void)state;
	for (size_t i = 0; i < CS_ARRAY_LEN(cases); i++) {
		struct diag_problem p = filled(cases[i].code, 0, cases[i].sev);

		p.role = cases[i].role;
		if (problem_store_dependent(&p) != cases[i].want)
			fail_msg("case %zu: %s: want %d", i, problem_name(p.code), cases[i].want);
	}
}

/* With the root of the capture's day, a store-dependent problem's message
 * goes on to name it, the day it left and its distrust-after date, and its
 * fix says who failed; other problems are worded as ever. */
static void test_then_wording(void **state)
{
	struct problem_ctx plain = {NULL, NULL, 0, NULL, NULL, 30, NULL};
	struct problem_ctx then = plain;
	struct diag_problem miss = filled(CS_P_MISSING_INTERMEDIATE, 0, CS_SEV_ERROR);
	struct diag_problem exp = filled(CS_P_EXPIRED_LEAF, 0, CS_SEV_ERROR);
	struct diag_root_then no_distrust = then_geotrust;
	struct rendered a, b;

	(void)state;
	then.then = &then_geotrust;
	render(&miss, &plain, &a);
	render(&miss, &then, &b);
	assert_true(strncmp(a.msg, b.msg, strlen(a.msg)) == 0); /* the same, then more */
	assert_string_equal(
		b.msg + strlen(a.msg),
		" With Mozilla's store of 2015-06-16 the chain was valid: it leads, by its "
		"key, to the root \"GeoTrust Global CA\", which left the store on 2020-12-11 "
		"(NSS 3.60). Mozilla distrusted server certificates issued through it after "
		"2020-01-01, from 2020-05-29 (NSS 3.53).");
	assert_string_equal(b.fix, "Clients of 2015-06-16 accepted this chain; clients whose store "
				   "has dropped \"GeoTrust Global CA\" fail on it: re-issue the "
				   "certificate from a CA whose root is in current stores.");
	no_distrust.has_distrust_after = false;
	no_distrust.left_release = "";
	then.then = &no_distrust;
	render(&miss, &then, &b);
	assert_non_null(strstr(b.msg, "which left the store on 2020-12-11."));
	assert_null(strstr(b.msg, "distrusted"));
	/* not a problem of the store: the same words */
	render(&exp, &plain, &a);
	render(&exp, &then, &b);
	assert_string_equal(a.msg, b.msg);
	assert_string_equal(a.fix, b.fix);
}

/* The variants that exist are worded differently from each other. */
static void test_variants_differ(void **state)
{
	(void)state;
	static const struct {
		enum cs_problem code;
		uint8_t a, b;
		bool fix; /* compare fixes (else messages) */
	} pairs[] = {
		{CS_P_EXPIRED_INTERMEDIATE, CS_V_EXPIRED_INTERMEDIATE, CS_V_EXPIRED_ROOT_LIKE,
		 true},
		{CS_P_EXPIRING_SOON, CS_V_SOON, CS_V_SOON_ANCHOR, true},
		{CS_P_NOT_CA, CS_V_NOT_CA, CS_V_PATHLEN, false},
		{CS_P_CROSS_SIGN_STALE, CS_V_CROSS_EXPIRED, CS_V_CROSS_UNANCHORED, false},
		{CS_P_CROSS_SIGN_STALE, CS_V_CROSS_EXPIRED, CS_V_CROSS_REISSUE, false},
		{CS_P_CROSS_SIGN_STALE, CS_V_CROSS_EXPIRED, CS_V_CROSS_REISSUE, true},
		{CS_P_MALFORMED_CERT, CS_V_UNPARSEABLE, CS_V_EXPLICIT_CURVE, false},
		{CS_P_MALFORMED_CERT, CS_V_EXPLICIT_CURVE, CS_V_UNSUPPORTED_KEY, false},
		{CS_P_MALFORMED_CERT, CS_V_UNPARSEABLE, CS_V_UNSUPPORTED_KEY, false},
		{CS_P_BAD_PURPOSE, CS_V_PURPOSE_EKU, CS_V_PURPOSE_KU, false},
		{CS_P_BAD_PURPOSE, CS_V_PURPOSE_EKU, CS_V_PURPOSE_KU, true},
		{CS_P_CLOCK_IMPLAUSIBLE, CS_V_CLOCK_BEFORE_2001, CS_V_CLOCK_GPS, false},
		{CS_P_CLOCK_IMPLAUSIBLE, CS_V_CLOCK_GPS, CS_V_CLOCK_BEFORE_LEAF, false},
		{CS_P_NAME_CONSTRAINT_VIOLATION, CS_V_NC_PERMITTED, CS_V_NC_EXCLUDED, false},
		{CS_P_NAME_CONSTRAINT_VIOLATION, CS_V_NC_EXCLUDED, CS_V_NC_OTHER, false},
		{CS_P_NAME_CONSTRAINT_VIOLATION, CS_V_NC_PERMITTED, CS_V_NC_OTHER, true},
		{CS_P_UNHANDLED_CRITICAL_EXTENSION, CS_V_CRIT_UNKNOWN, CS_V_CRIT_POISON, false},
		{CS_P_UNHANDLED_CRITICAL_EXTENSION, CS_V_CRIT_UNKNOWN, CS_V_CRIT_POISON, true},
	};
	struct problem_ctx c = {NULL, NULL, 0, NULL, NULL, 30, NULL};

	for (size_t i = 0; i < CS_ARRAY_LEN(pairs); i++) {
		struct diag_problem pa = filled(pairs[i].code, pairs[i].a, CS_SEV_ERROR);
		struct diag_problem pb = filled(pairs[i].code, pairs[i].b, CS_SEV_ERROR);
		struct rendered ra, rb;

		render(&pa, &c, &ra);
		render(&pb, &c, &rb);
		if (pairs[i].fix)
			assert_string_not_equal(ra.fix, rb.fix);
		else
			assert_string_not_equal(ra.msg, rb.msg);
	}
	/* not_ca's path length variant says the numbers */
	{
		struct diag_problem p = filled(CS_P_NOT_CA, CS_V_PATHLEN, CS_SEV_ERROR);
		struct rendered r;

		p.num = 0;
		p.count = 1;
		render(&p, &c, &r);
		assert_non_null(strstr(r.msg, "(0)"));
		assert_non_null(strstr(r.msg, "the 1 intermediate"));
	}
	/* malformed_cert names the position */
	{
		struct diag_problem p =
			filled(CS_P_MALFORMED_CERT, CS_V_EXPLICIT_CURVE, CS_SEV_ERROR);
		struct rendered r;

		p.cert_index = 7;
		render(&p, &c, &r);
		assert_non_null(strstr(r.msg, "Certificate #7 "));
		assert_non_null(strstr(r.msg, "CVE-2020-0601"));
	}
}

/* Parameters land where they belong: dates in UTC, role, days, SNI
 * (exactly sni_len bytes), the leaf's names. */
static void test_parameters(void **state)
{
	(void)state;
	static const char sni[] = "www.example.org-and-more";
	struct problem_ctx c = {NULL, sni, 15, "example.org, *.example.org", NULL, 21, NULL};
	struct rendered r;
	struct diag_problem p;

	p = filled(CS_P_EXPIRED_LEAF, 0, CS_SEV_ERROR);
	p.role = CS_ROLE_LEAF;
	p.date = 1740830400LL; /* 2025-03-01 12:00:00Z */
	render(&p, &c, &r);
	assert_string_equal(r.msg,
			    "The leaf certificate expired on 2025-03-01 12:00:00Z, before the "
			    "handshake.");
	p = filled(CS_P_EXPIRING_SOON, CS_V_SOON, CS_SEV_WARNING);
	p.role = CS_ROLE_ROOT;
	render(&p, &c, &r);
	assert_string_equal(r.msg,
			    "The root certificate expires on 2026-11-30 00:00:00Z, within 21 "
			    "days of the handshake.");
	p = filled(CS_P_HOSTNAME_MISMATCH, 0, CS_SEV_ERROR);
	render(&p, &c, &r);
	assert_non_null(strstr(r.msg, "(SNI \"www.example.org\")"));
	assert_null(strstr(r.msg, "and-more"));
	assert_non_null(strstr(r.msg, "valid for: example.org, *.example.org."));
	/* a leaf without DNS names says so */
	c.leaf_names = "";
	render(&p, &c, &r);
	assert_non_null(strstr(r.msg, "valid for: (no DNS names)."));
	c.leaf_names = NULL;
	render(&p, &c, &r);
	assert_non_null(strstr(r.msg, "(no DNS names)"));
	/* bad_signature names the issuer */
	p = filled(CS_P_BAD_SIGNATURE, 0, CS_SEV_ERROR);
	p.role = CS_ROLE_LEAF;
	render(&p, &c, &r);
	assert_non_null(strstr(r.msg, "The signature on the leaf certificate"));
	assert_non_null(strstr(r.msg, "\"CN=Example Root,O=Example\""));
	/* extra_certs and duplicate_cert name the certificate */
	p = filled(CS_P_DUPLICATE_CERT, 0, CS_SEV_WARNING);
	p.cert_index = 3;
	render(&p, &c, &r);
	assert_string_equal(r.msg, "Certificate #3 is sent twice.");
	assert_string_equal(r.fix,
			    "Remove the second copy of \"CN=Example Intermediate,O=Example\".");
	/* a date no calendar can print is said to be invalid, not garbage */
	p = filled(CS_P_EXPIRED_LEAF, 0, CS_SEV_ERROR);
	p.date = INT64_MAX;
	render(&p, &c, &r);
	assert_non_null(strstr(r.msg, "(invalid date)"));
	/* clock_implausible names the day the verdict used */
	p = filled(CS_P_CLOCK_IMPLAUSIBLE, CS_V_CLOCK_BEFORE_2001, CS_SEV_WARNING);
	p.date = 946684800LL; /* 2000-01-01 */
	render(&p, &c, &r);
	assert_non_null(strstr(r.msg, "judged at 2000-01-01, before 2001"));
	assert_null(strstr(r.msg, "00:00"));
	p.date = INT64_MAX;
	render(&p, &c, &r);
	assert_non_null(strstr(r.msg, "judged at (invalid date)"));
	/* {ku}: the keyUsage bits in num, in RFC 5280 order */
	p = filled(CS_P_BAD_PURPOSE, CS_V_PURPOSE_KU, CS_SEV_ERROR);
	p.num = CS_KU_DATA_ENCIPHERMENT | CS_KU_NON_REPUDIATION | CS_KU_DECIPHER_ONLY;
	render(&p, &c, &r);
	assert_non_null(strstr(r.msg, "keyUsage (nonRepudiation, dataEncipherment, decipherOnly) "
				      "has none of"));
	p.num = 0;
	render(&p, &c, &r);
	assert_non_null(strstr(r.msg, "keyUsage (no bit set)"));
	p = filled(CS_P_KEY_USAGE_MISMATCH, 0, CS_SEV_WARNING);
	p.num = CS_KU_KEY_ENCIPHERMENT;
	p.name = "ECDHE_RSA";
	p.text = "digitalSignature";
	render(&p, &c, &r);
	assert_string_equal(r.msg, "The leaf's keyUsage (keyEncipherment) lacks digitalSignature, "
				   "which the key exchange the server chose (ECDHE_RSA) needs (RFC "
				   "5246 7.4.2): clients that check it refuse the handshake.");
	assert_string_equal(problem_ku_name(CS_KU_KEY_AGREEMENT), "keyAgreement");
	assert_string_equal(problem_ku_name(CS_KU_KEY_AGREEMENT | CS_KU_CRL_SIGN), "");
	assert_string_equal(problem_ku_name(0), "");
	/* name_constraint_violation: the offending name, the CA, the error */
	p = filled(CS_P_NAME_CONSTRAINT_VIOLATION, CS_V_NC_PERMITTED, CS_SEV_ERROR);
	p.role = CS_ROLE_LEAF;
	p.text = "DNS:outside.test";
	render(&p, &c, &r);
	assert_string_equal(r.msg,
			    "The leaf certificate's name DNS:outside.test is outside the "
			    "permitted subtrees of the name constraints of \"CN=Example Root,"
			    "O=Example\": clients refuse it (OpenSSL error 47, permitted "
			    "subtree violation).");
	p = filled(CS_P_NAME_CONSTRAINT_VIOLATION, CS_V_NC_OTHER, CS_SEV_ERROR);
	p.num = 51;
	render(&p, &c, &r);
	assert_non_null(strstr(r.msg, "(OpenSSL error 51:"));
	/* unhandled_critical_extension: the OID; a precertificate is said so */
	p = filled(CS_P_UNHANDLED_CRITICAL_EXTENSION, CS_V_CRIT_POISON, CS_SEV_ERROR);
	p.role = CS_ROLE_LEAF;
	p.text = "1.3.6.1.4.1.11129.2.4.3 (CT Precertificate Poison)";
	render(&p, &c, &r);
	assert_non_null(strstr(r.msg, "poison extension (1.3.6.1.4.1.11129.2.4.3 (CT "
				      "Precertificate Poison))"));
	assert_non_null(strstr(r.fix, "This is a precertificate: install the issued certificate"));
}

/* ---- missing_intermediate: worded by its evidence --------------------------------- */

static void test_missing_intermediate_evidence(void **state)
{
	(void)state;
	struct cs_chain_store *st = chain_store_new(4, CS_CHAIN_MEMCAP);
	X509 *x = tp_pem("miss");
	const struct cs_chain *alone = tp_intern(st, &x, 1);
	struct diag_evidence_rec file = ev_seen;
	struct problem_ctx c = {alone, NULL, 0, NULL, &ev_seen, 30, NULL};
	struct diag_problem p = filled(CS_P_MISSING_INTERMEDIATE, 0, CS_SEV_ERROR);
	char hex[65];
	struct rendered seen, r;

	p.cert_index = 0;
	p.role = CS_ROLE_LEAF;
	p.subject = "CN=miss.test,O=chainsniff lab";
	p.name = "CN=chainsniff Lab Intermediate 1,O=chainsniff lab";
	hex_lower(ev_seen.sha256, 32, hex);
	/* the certificate was seen: its SHA-256, who sent it, and that it
	 * completes the path; the leaf was sent alone */
	render(&p, &c, &seen);
	assert_non_null(
		strstr(seen.msg, "\"CN=miss.test,O=chainsniff lab\" (the leaf, sent alone)"));
	assert_non_null(strstr(seen.msg, "issued by \"CN=chainsniff Lab Intermediate 1"));
	assert_non_null(strstr(seen.fix, hex));
	assert_non_null(strstr(seen.fix, "sent by 198.51.100.9:443"));
	assert_non_null(strstr(seen.fix, "reaches a trusted root"));
	assert_non_null(strstr(seen.fix, "after the leaf"));
	assert_null(strstr(seen.fix, "http://")); /* the URL is not the evidence here */
	/* from --intermediates: "found in FILE"; not completing: no claim */
	file.kind = DIAG_EV_INTERMEDIATES_FILE;
	file.completes = false;
	snprintf(file.source, sizeof file.source, "%s", "/etc/chainsniff/intermediates.pem");
	c.evidence = &file;
	render(&p, &c, &r);
	assert_non_null(strstr(r.fix, "found in /etc/chainsniff/intermediates.pem"));
	assert_null(strstr(r.fix, "trusted root"));
	assert_string_equal(r.msg, seen.msg); /* the message does not depend on the evidence */
	/* no certificate, an AIA URL: the URL, and who fetches it */
	file.kind = DIAG_EV_AIA;
	file.have_cert = false;
	render(&p, &c, &r);
	assert_non_null(strstr(r.fix, "http://ca.example/int.crt"));
	assert_non_null(strstr(r.fix, "Browsers fetch it"));
	assert_null(strstr(r.fix, hex));
	c.evidence = NULL;
	render(&p, &c, &r);
	assert_non_null(strstr(r.fix, "http://ca.example/int.crt"));
	/* nothing at all: the three possibilities */
	p.text = "";
	render(&p, &c, &r);
	assert_non_null(strstr(r.fix, "If \"CN=chainsniff Lab Intermediate 1,O=chainsniff lab\" is "
				      "an intermediate, append it after the leaf"));
	assert_non_null(strstr(r.fix, "--add-ca"));
	assert_null(strstr(r.fix, "http://"));
	/* an intermediate at the top of a longer chain */
	c.chain = NULL;
	p.cert_index = 1;
	render(&p, &c, &r);
	assert_non_null(strstr(r.msg, "(the last certificate of the path)"));
	assert_non_null(strstr(r.fix, "append it after the last certificate of the path"));
	chain_store_free(st);
	X509_free(x);
}

/* ---- wrong_order: the order to serve ------------------------------------------------ */

static void test_wrong_order_lists_order(void **state)
{
	(void)state;
	struct cs_chain_store *st = chain_store_new(4, CS_CHAIN_MEMCAP);
	X509 *xs[3] = {tp_pem("two"), tp_pem("int1"), tp_pem("int2")};
	const struct cs_chain *c = tp_intern(st, xs, 3);
	struct problem_ctx ctx = {c, NULL, 0, NULL, NULL, 30, NULL};
	struct diag_problem p = filled(CS_P_WRONG_ORDER, 0, CS_SEV_ERROR);
	struct rendered r;

	p.cert_index = -1;
	p.norder = 3;
	p.order[0] = 0;
	p.order[1] = 2;
	p.order[2] = 1;
	render(&p, &ctx, &r);
	assert_string_equal(r.fix,
			    "Serve them in this order: "
			    "1. \"CN=two.test,O=chainsniff lab\" (now #0); "
			    "2. \"CN=chainsniff Lab Intermediate 2,O=chainsniff lab\" (now #2); "
			    "3. \"CN=chainsniff Lab Intermediate 1,O=chainsniff lab\" (now #1)");
	/* an index outside the chain has no subject, and no crash */
	p.norder = 1;
	p.order[0] = 9;
	render(&p, &ctx, &r);
	assert_string_equal(r.fix, "Serve them in this order: 1. \"\" (now #9)");
	/* the deepest order the record holds */
	p.norder = CS_PROBLEM_MAX_ORDER;
	for (uint8_t i = 0; i < CS_PROBLEM_MAX_ORDER; i++)
		p.order[i] = i % 3;
	render(&p, &ctx, &r);
	assert_non_null(strstr(r.fix, "10. \"CN=two.test,O=chainsniff lab\" (now #0)"));
	chain_store_free(st);
	for (size_t i = 0; i < 3; i++)
		X509_free(xs[i]);
}

/* ---- weak algorithms: the wording follows the severity ------------------------------ */

static void test_weak_wording_by_severity(void **state)
{
	(void)state;
	struct problem_ctx c = {NULL, NULL, 0, NULL, NULL, 30, NULL};
	struct diag_problem p;
	struct rendered r;

	p = filled(CS_P_WEAK_SIGNATURE, 0, CS_SEV_ERROR);
	p.role = CS_ROLE_LEAF;
	p.text = "SHA-1";
	render(&p, &c, &r);
	assert_string_equal(r.msg,
			    "The leaf certificate is signed with SHA-1, which clients reject.");
	/* the variant field does not matter: the severity does */
	p.variant = 1;
	render(&p, &c, &r);
	assert_string_equal(r.msg,
			    "The leaf certificate is signed with SHA-1, which clients reject.");
	p.severity = CS_SEV_WARNING;
	p.variant = 0;
	render(&p, &c, &r);
	assert_string_equal(r.msg, "The leaf certificate is signed with SHA-1, which clients are "
				   "about to reject.");
	p = filled(CS_P_WEAK_KEY, 0, CS_SEV_ERROR);
	p.num = 1024;
	render(&p, &c, &r);
	assert_string_equal(r.msg, "The intermediate certificate has a 1024-bit key, below what "
				   "clients accept.");
	p.severity = CS_SEV_WARNING;
	render(&p, &c, &r);
	assert_string_equal(r.msg, "The intermediate certificate has a 1024-bit key, which clients "
				   "are about to reject.");
}

/* ---- cut at the buffer size ------------------------------------------------------------ */

/*
 * A subject of 3000 bytes rendered into exact-size heap buffers of 1..64
 * bytes (and a few larger ones): always NUL-terminated, a prefix of the
 * full text, never a byte written past the buffer (the canary after it
 * stays; under SANITIZE=1 ASan checks the exact allocation too).
 */
static void test_cut_at_buffer_size(void **state)
{
	(void)state;
	static const size_t larger[] = {100, 255, 256, 1023, 3000, 3100};
	char *subject = malloc(3001);
	struct cs_chain_store *st = chain_store_new(4, CS_CHAIN_MEMCAP);
	X509 *xs[2] = {tp_pem("one"), tp_pem("int1")};
	const struct cs_chain *chain = tp_intern(st, xs, 2);
	struct problem_ctx c = {chain, "www.example", 11, "example, *.example", &ev_seen, 30, NULL};
	char *full_msg = malloc(8192), *full_fix = malloc(8192);

	assert_non_null(subject);
	memset(subject, 'S', 3000);
	subject[3000] = '\0';
	for (int code = 0; code < CS_P_MAX; code++) {
		struct diag_problem p = filled((enum cs_problem)code, 0, CS_SEV_ERROR);

		p.subject = subject;
		p.name = subject;
		problem_message(&p, &c, full_msg, 8192);
		problem_fix(&p, &c, full_fix, 8192);
		for (size_t len = 1; len <= 64 + CS_ARRAY_LEN(larger); len++) {
			size_t n = len <= 64 ? len : larger[len - 65];
			char *buf = malloc(n + 8);

			assert_non_null(buf);
			memset(buf, 0x5a, n + 8);
			problem_message(&p, &c, buf, n);
			assert_true(strlen(buf) < n);
			assert_memory_equal(buf, full_msg, strlen(buf));
			assert_true(strlen(buf) == n - 1 || strlen(buf) == strlen(full_msg));
			for (size_t k = n; k < n + 8; k++)
				assert_int_equal(buf[k], 0x5a);
			memset(buf, 0x5a, n + 8);
			problem_fix(&p, &c, buf, n);
			assert_true(strlen(buf) < n);
			assert_memory_equal(buf, full_fix, strlen(buf));
			for (size_t k = n; k < n + 8; k++)
				assert_int_equal(buf[k], 0x5a);
			free(buf);
			/* and in an allocation of exactly n bytes */
			buf = malloc(n);
			assert_non_null(buf);
			problem_message(&p, &c, buf, n);
			problem_fix(&p, &c, buf, n);
			assert_true(strlen(buf) < n);
			free(buf);
		}
	}
	/* a zero-length buffer is left alone */
	{
		char one = 'x';
		struct diag_problem p = filled(CS_P_EXTRA_CERTS, 0, CS_SEV_WARNING);

		problem_message(&p, &c, &one, 0);
		problem_fix(&p, &c, &one, 0);
		assert_int_equal(one, 'x');
	}
	free(subject);
	free(full_msg);
	free(full_fix);
	chain_store_free(st);
	X509_free(xs[0]);
	X509_free(xs[1]);
}

/* problem_earlier: both texts, cut safely too. */
static void test_earlier(void **state)
{
	(void)state;
	char m[256], f[256], small[8];

	problem_earlier(m, sizeof m, f, sizeof f);
	assert_non_null(strstr(m, "earlier handshakes"));
	assert_true(strlen(f) > 10);
	problem_earlier(small, sizeof small, f, sizeof f);
	assert_int_equal(strlen(small), sizeof small - 1);
	assert_memory_equal(small, m, sizeof small - 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_severities_and_summaries),
		cmocka_unit_test(test_documented),
		cmocka_unit_test(test_every_variant_expands),
		cmocka_unit_test(test_variants_differ),
		cmocka_unit_test(test_store_dependent),
		cmocka_unit_test(test_then_wording),
		cmocka_unit_test(test_parameters),
		cmocka_unit_test(test_missing_intermediate_evidence),
		cmocka_unit_test(test_wrong_order_lists_order),
		cmocka_unit_test(test_weak_wording_by_severity),
		cmocka_unit_test(test_cut_at_buffer_size),
		cmocka_unit_test(test_earlier),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
