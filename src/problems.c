/*
 * problems.c - the catalogue of problem codes (cs_problems.h): names,
 * severities, summaries and the wording of every variant, and the one
 * function that turns a typed record into a message and a fix.
 *
 * Templates name their parameters in braces: {role} {subject} {name}
 * {text} {date} {day} {num} {ku} {count} {index} {sni} {names} {days} {order}
 * {position} {after} {ev_sha} {ev_how} {ev_source} {ev_completes}, and the
 * root of the capture's day {then_day} {then_root} {then_left} {then_distrust}.  Wire strings are
 * inserted as they are; escaping for the output format happens when the
 * text is written (escape.c).
 */
#include "cs_problems.h"
#include "cs_chain.h"
#include "cs_codec.h"
#include "cs_timefmt.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct wording {
	const char *message, *fix;
};

struct problem_def {
	const char *name;
	enum cs_severity severity;
	const char *summary;
	struct wording w[3];
};

/* clang-format off */
static const struct problem_def defs[CS_P_MAX] = {
	[CS_P_MISSING_INTERMEDIATE] = {"missing_intermediate", CS_SEV_ERROR,
		"The chain does not reach a trusted root: an intermediate was not sent.", {
		/* evidence: the issuer was seen (in the capture or --intermediates) */
		{"No path to a trusted root: \"{subject}\" ({position}) was issued by \"{name}\", which "
		 "the server did not send and the trust store does not hold.",
		 "Append the intermediate \"{name}\" after {after} (sha256 {ev_sha}, {ev_how} "
		 "{ev_source}{ev_completes})."},
		/* evidence: an AIA caIssuers URL only */
		{"No path to a trusted root: \"{subject}\" ({position}) was issued by \"{name}\", which "
		 "the server did not send and the trust store does not hold.",
		 "Append the intermediate \"{name}\" after {after}; the certificate names it at {text}. "
		 "Browsers fetch it from there, curl, Java and most devices do not. If it is a root "
		 "rather than an intermediate, that root has left this trust store."},
		/* no evidence */
		{"No path to a trusted root: \"{subject}\" ({position}) was issued by \"{name}\", which "
		 "the server did not send and the trust store does not hold.",
		 "If \"{name}\" is an intermediate, append it after {after}. If it is a private CA, "
		 "clients must be given its root (or use --add-ca here). If it is a public root, it has "
		 "left this trust store: re-issue from a CA whose root is current."}}},
	[CS_P_WRONG_ORDER] = {"wrong_order", CS_SEV_ERROR,
		"The certificates are not sent leaf first, each followed by its issuer.", {
		{"The certificates are not sent leaf first with each followed by its issuer; clients "
		 "that do not reorder them (some embedded and older TLS stacks) fail.",
		 "Serve them in this order:{order}"}}},
	[CS_P_UNTRUSTED_ROOT] = {"untrusted_root", CS_SEV_ERROR,
		"The chain ends at a self-signed root the trust store does not hold.", {
		{"The chain ends at the self-signed root \"{subject}\", which is not in the trust store.",
		 "Re-issue the certificate from a CA trusted by your clients, or distribute this root to "
		 "them (test here with --add-ca)."}}},
	[CS_P_SELF_SIGNED_LEAF] = {"self_signed_leaf", CS_SEV_ERROR,
		"The server sends a self-signed certificate the trust store does not hold.", {
		{"The server sends a self-signed certificate that the trust store does not hold.",
		 "Serve a certificate issued by a public CA (or by your private CA, whose root the "
		 "clients must then trust)."}}},
	[CS_P_EXPIRED_LEAF] = {"expired_leaf", CS_SEV_ERROR,
		"The server's certificate had expired at the time of the handshake.", {
		{"The {role} certificate expired on {date}, before the handshake.",
		 "Renew the server certificate and install the new one."}}},
	[CS_P_EXPIRED_INTERMEDIATE] = {"expired_intermediate", CS_SEV_ERROR,
		"A CA certificate on the path (not a trust anchor) had expired.", {
		{"The {role} certificate expired on {date}, before the handshake.",
		 "Replace the expired intermediate with the CA's current one (download it from the CA) "
		 "and serve that after the leaf."},
		{"The {role} certificate expired on {date}, before the handshake.",
		 "The root this chain depends on has expired: re-issue the certificate from a CA whose "
		 "root is current (or serve the CA's current cross-signed chain)."}}},
	[CS_P_EXPIRED_ROOT] = {"expired_root", CS_SEV_ERROR,
		"The trust anchor the chain leads to had expired.", {
		{"The {role} certificate expired on {date}, before the handshake.",
		 "The root this chain depends on has expired: re-issue the certificate from a CA whose "
		 "root is current (or serve the CA's current cross-signed chain)."}}},
	[CS_P_NOT_YET_VALID] = {"not_yet_valid", CS_SEV_ERROR,
		"A certificate on the path was not valid yet at the time of the handshake.", {
		{"The {role} certificate is not valid before {date}, after the time of the handshake.",
		 "Check the capture's clock first; if it is right, the certificate was deployed before "
		 "its validity began: serve one that is valid now."}}},
	[CS_P_HOSTNAME_MISMATCH] = {"hostname_mismatch", CS_SEV_ERROR,
		"The leaf does not cover the name the client asked for (SNI).", {
		{"The leaf does not cover the name the client asked for (SNI \"{sni}\"); it is valid "
		 "for: {names}.",
		 "Serve a certificate whose subjectAltName includes the requested name, or route that "
		 "name to a server that has one."}}},
	[CS_P_BAD_SIGNATURE] = {"bad_signature", CS_SEV_ERROR,
		"A signature on the path does not verify with its issuer's key.", {
		{"The signature on the {role} certificate does not verify with the key of its issuer "
		 "\"{name}\": it was altered or signed by another key.",
		 "Download the certificate again from the CA and serve it unmodified; if the issuer was "
		 "re-keyed, serve the issuer certificate that matches."}}},
	[CS_P_WEAK_SIGNATURE] = {"weak_signature", CS_SEV_ERROR,
		"A certificate is signed with MD5 or SHA-1 (an error after the date clients refused it).", {
		{"The {role} certificate is signed with {text}, which clients reject.",
		 "Re-issue it with a SHA-256 (or stronger) signature."},
		{"The {role} certificate is signed with {text}, which clients are about to reject.",
		 "Re-issue it with a SHA-256 (or stronger) signature."}}},
	[CS_P_WEAK_KEY] = {"weak_key", CS_SEV_ERROR,
		"A key is too short (RSA/DSA under 2048 bits, EC under 224).", {
		{"The {role} certificate has a {num}-bit key, below what clients accept.",
		 "Re-issue it with an RSA key of at least 2048 bits or an EC key (P-256)."},
		{"The {role} certificate has a {num}-bit key, which clients are about to reject.",
		 "Re-issue it with an RSA key of at least 2048 bits or an EC key (P-256)."}}},
	[CS_P_MALFORMED_CERT] = {"malformed_cert", CS_SEV_ERROR,
		"A certificate cannot be parsed or uses a key clients refuse.", {
		{"Certificate #{index} cannot be parsed (not valid DER X.509).",
		 "Serve the certificate exactly as the CA issued it: this one was damaged (a bad "
		 "PEM/DER conversion, a truncated file) or is not a certificate at all."},
		{"Certificate #{index} uses explicit elliptic-curve parameters, which clients refuse (the "
		 "CurveBall spoof, CVE-2020-0601, relies on them).",
		 "Serve the CA's genuine certificate; its key must name its curve (P-256, P-384)."},
		{"Certificate #{index} has a public key algorithm that is not supported.",
		 "Re-issue it with an RSA (2048 bits or more) or ECDSA P-256/P-384 key, which every "
		 "client supports."}}},
	[CS_P_NOT_CA] = {"not_ca", CS_SEV_ERROR,
		"A certificate used as an issuer is not a CA, or a path length limit is exceeded.", {
		{"A certificate used as an issuer is not a CA certificate (no basicConstraints CA:TRUE "
		 "or no keyCertSign): clients refuse what it signed.",
		 "Serve the CA's real intermediate certificate; a leaf or end-entity certificate cannot "
		 "issue others."},
		{"The path length constraint ({num}) of this CA is exceeded by the {count} intermediate "
		 "certificate(s) below it.",
		 "Serve the chain the CA publishes; the path found has too many levels."}}},
	[CS_P_BAD_PURPOSE] = {"bad_purpose", CS_SEV_ERROR,
		"The leaf is not for TLS server authentication.", {
		{"The leaf's extended key usage does not include TLS server authentication.",
		 "Request a certificate whose extended key usage includes serverAuth."},
		{"The leaf's keyUsage ({ku}) has none of digitalSignature, keyEncipherment and "
		 "keyAgreement, so it cannot authenticate a TLS server (OpenSSL error 26, unsupported "
		 "certificate purpose).",
		 "Request a certificate whose keyUsage includes digitalSignature (and "
		 "keyEncipherment for RSA key exchange), or that has no keyUsage extension."}}},
	[CS_P_ROOT_INCLUDED] = {"root_included", CS_SEV_WARNING,
		"The server sends the root certificate too.", {
		{"The server sends the root certificate, which clients already have.",
		 "Drop \"{subject}\" from the served chain (wasted bytes)."}}},
	[CS_P_EXTRA_CERTS] = {"extra_certs", CS_SEV_WARNING,
		"A certificate sent is not on the path to the trusted root.", {
		{"Certificate #{index} is not on the path to the trusted root.",
		 "Remove \"{subject}\" from the served chain."}}},
	[CS_P_DUPLICATE_CERT] = {"duplicate_cert", CS_SEV_WARNING,
		"A certificate is sent twice.", {
		{"Certificate #{index} is sent twice.",
		 "Remove the second copy of \"{subject}\"."}}},
	[CS_P_EXPIRING_SOON] = {"expiring_soon", CS_SEV_WARNING,
		"A certificate on the path expires within --warn-days of the handshake.", {
		{"The {role} certificate expires on {date}, within {days} days of the handshake.",
		 "Renew it before it expires."},
		{"The {role} certificate expires on {date}, within {days} days of the handshake.",
		 "A root of the trust store expires: move to the CA's newer root before it does."}}},
	[CS_P_CLOCK_IMPLAUSIBLE] = {"clock_implausible", CS_SEV_WARNING,
		"The capture's clock is implausible: validity verdicts are doubtful.", {
		{"The handshake was judged at {day}, before 2001: the capturing host's clock was "
		 "probably reset, and the verdict on validity dates is doubtful.",
		 "Re-run with --at set to when the capture was really made, and fix the capturing "
		 "host's clock (NTP)."},
		{"The handshake was judged at {day}, within a year of the GPS epoch (1980-01-06), "
		 "where devices whose clock was reset start again: the verdict on validity dates is "
		 "doubtful.",
		 "Re-run with --at set to when the capture was really made, and fix the capturing "
		 "host's clock (NTP)."},
		{"The handshake was judged at {day}, more than two years before the leaf's validity "
		 "began: the capturing host's clock is probably wrong, and the verdict on validity "
		 "dates is doubtful.",
		 "Re-run with --at set to when the capture was really made, and fix the capturing "
		 "host's clock (NTP)."}}},
	[CS_P_CROSS_SIGN_STALE] = {"cross_sign_stale", CS_SEV_WARNING,
		"A cross-signed copy of a path certificate leads to an expired or untrusted root.", {
		{"Certificate #{index} is a cross-signed copy of \"{subject}\" issued by \"{name}\", "
		 "which has expired; clients that follow the chain as sent instead of building their "
		 "own path fail on it.",
		 "Drop certificate #{index} (\"{subject}\" issued by \"{name}\"). Only old clients that "
		 "lack the newer root used it, and they fail with it now anyway."},
		{"Certificate #{index} is a cross-signed copy of \"{subject}\" issued by \"{name}\", "
		 "which no trusted, current root vouches for; clients that follow the chain as sent "
		 "instead of building their own path fail on it.",
		 "Drop certificate #{index} (\"{subject}\" issued by \"{name}\"). Only old clients that "
		 "lack the newer root used it, and they fail with it now anyway."},
		{"Certificate #{index} is an earlier issuance of \"{subject}\" by the same CA "
		 "(\"{name}\"), which has expired; clients that follow the chain as sent instead of "
		 "building their own path fail on it.",
		 "Drop certificate #{index}, the expired copy of \"{subject}\": the current one is "
		 "served too."}}},
	[CS_P_NAME_CONSTRAINT_VIOLATION] = {"name_constraint_violation", CS_SEV_ERROR,
		"A certificate has a name that the name constraints of a CA above it forbid.", {
		{"The {role} certificate's name {text} is outside the permitted subtrees of the name "
		 "constraints of \"{name}\": clients refuse it (OpenSSL error 47, permitted subtree "
		 "violation).",
		 "Serve a certificate whose names all lie within what \"{name}\" may issue for, or "
		 "get one from a CA without that constraint."},
		{"The {role} certificate's name {text} is in an excluded subtree of the name "
		 "constraints of \"{name}\": clients refuse it (OpenSSL error 48, excluded subtree "
		 "violation).",
		 "Serve a certificate without names that \"{name}\" may not issue for, or get one "
		 "from a CA without that constraint."},
		{"The name constraints of \"{name}\" cannot be applied to the {role} certificate's "
		 "name {text} (OpenSSL error {num}: a constraint or name form it does not support, or "
		 "too many names to check): clients refuse it.",
		 "Re-issue the certificate (or the constrained CA) without the name forms or "
		 "constraints that clients cannot check."}}},
	[CS_P_UNHANDLED_CRITICAL_EXTENSION] = {"unhandled_critical_extension", CS_SEV_ERROR,
		"A certificate on the path has a critical extension that clients do not support.", {
		{"The {role} certificate has a critical extension that clients do not support "
		 "({text}): they must refuse it (OpenSSL error 34, unhandled critical extension).",
		 "Have the certificate re-issued without that extension, or with it not marked "
		 "critical."},
		{"The {role} certificate carries the critical Certificate Transparency poison "
		 "extension ({text}): it is a precertificate, which no client accepts (OpenSSL error "
		 "34, unhandled critical extension).",
		 "This is a precertificate: install the issued certificate (the CA's final "
		 "certificate for the same key and names, with its SCTs) instead."}}},
	[CS_P_KEY_USAGE_MISMATCH] = {"key_usage_mismatch", CS_SEV_WARNING,
		"The leaf's keyUsage does not allow what the negotiated key exchange needs.", {
		{"The leaf's keyUsage ({ku}) lacks {text}, which the key exchange the server chose "
		 "({name}) needs (RFC 5246 7.4.2): clients that check it refuse the handshake.",
		 "Re-issue the leaf with {text} in its keyUsage (or without a keyUsage extension), or "
		 "make the server prefer key exchanges this certificate allows."}}},
	[CS_P_DISTRUSTED_ROOT] = {"distrusted_root", CS_SEV_ERROR,
		"The store of a past date distrusted the root for certificates issued after a date.", {
		{"Mozilla's store distrusted the root \"{subject}\" for server certificates issued "
		 "after {day} (from {text}), and the leaf was issued later: clients using that store "
		 "refuse the chain.",
		 "Re-issue the certificate from a CA whose root the store still trusted without "
		 "condition."}}},
};
/* clang-format on */

/* What docs/problems.md's summary table says of each code beyond its name,
 * severity and summary (`make problems-table` writes the table from here):
 * the severity when it depends on the date, what cert_index points at,
 * the OpenSSL verify error and the alert an OpenSSL 3 client sends. */
/* clang-format off */
static const struct problem_doc docs[CS_P_MAX] = {
	[CS_P_MISSING_INTERMEDIATE] = {NULL, "the last certificate of the partial path (its issuer is the missing one)",
		"20 (and 21 for a leaf sent alone)", "unknown_ca (48)"},
	[CS_P_WRONG_ORDER] = {NULL, "null",
		"none: OpenSSL reorders", "none"},
	[CS_P_UNTRUSTED_ROOT] = {NULL, "the self-signed certificate sent",
		"19", "unknown_ca (48)"},
	[CS_P_SELF_SIGNED_LEAF] = {NULL, "0",
		"18", "unknown_ca (48)"},
	[CS_P_EXPIRED_LEAF] = {NULL, "0",
		"10", "certificate_expired (45)"},
	[CS_P_EXPIRED_INTERMEDIATE] = {NULL, "the intermediate",
		"10", "certificate_expired (45)"},
	[CS_P_EXPIRED_ROOT] = {NULL, "the anchor if it was sent, else null",
		"10", "certificate_expired (45)"},
	[CS_P_NOT_YET_VALID] = {NULL, "the certificate, null for an anchor not sent",
		"9", "bad_certificate (42)"},
	[CS_P_HOSTNAME_MISMATCH] = {NULL, "0",
		"62", "bad_certificate (42)"},
	[CS_P_BAD_SIGNATURE] = {NULL, "the certificate whose signature fails",
		"7", "decrypt_error (51)"},
	[CS_P_WEAK_SIGNATURE] = {"error from the cut-off date, warning before", "the certificate",
		"68 (security level)", "bad_certificate (42)"},
	[CS_P_WEAK_KEY] = {"error from the cut-off date, warning before", "the certificate",
		"66 (leaf), 67 (CA)", "bad_certificate (42)"},
	[CS_P_MALFORMED_CERT] = {NULL, "the certificate",
		"94 for explicit EC parameters", "depends"},
	[CS_P_NOT_CA] = {NULL, "the certificate used as an issuer",
		"79 (24 before OpenSSL 3.0), 32, 25", "unknown_ca (48)"},
	[CS_P_BAD_PURPOSE] = {NULL, "0",
		"26 (extended key usage or key usage)", "unsupported_certificate (43)"},
	[CS_P_ROOT_INCLUDED] = {NULL, "the root",
		"none", "none"},
	[CS_P_EXTRA_CERTS] = {NULL, "the extra certificate",
		"none", "none"},
	[CS_P_DUPLICATE_CERT] = {NULL, "the later copy",
		"none", "none"},
	[CS_P_EXPIRING_SOON] = {NULL, "the certificate, null for an anchor not sent",
		"none", "none"},
	[CS_P_CLOCK_IMPLAUSIBLE] = {NULL, "null",
		"none", "none"},
	[CS_P_CROSS_SIGN_STALE] = {NULL, "the stale certificate",
		"10 in clients that follow it", "certificate_expired (45) from clients that fail"},
	[CS_P_NAME_CONSTRAINT_VIOLATION] = {NULL, "the certificate whose name is forbidden",
		"47 (permitted), 48 (excluded); 49, 51-53, 1 when it cannot apply them",
		"certificate_unknown (46)"},
	[CS_P_UNHANDLED_CRITICAL_EXTENSION] = {NULL, "the certificate, null for an anchor not sent",
		"34", "certificate_unknown (46)"},
	[CS_P_KEY_USAGE_MISMATCH] = {"warning (per handshake)", "0",
		"none (OpenSSL's client checks it for ECDSA leaves only)",
		"none for an RSA leaf (the handshake completes)"},
	[CS_P_DISTRUSTED_ROOT] = {NULL, "the root if it was sent, else null",
		"none: OpenSSL has no distrust-after date",
		"none (Firefox refuses the certificate itself)"},
};
/* clang-format on */

const struct problem_doc *problem_doc(enum cs_problem p)
{
	static const struct problem_doc none = {NULL, "", "", ""};

	return (unsigned)p < CS_P_MAX ? &docs[p] : &none;
}

const char *problem_name(enum cs_problem p)
{
	return (unsigned)p < CS_P_MAX ? defs[p].name : "unknown";
}

enum cs_problem problem_by_name(const char *name)
{
	for (int i = 0; i < CS_P_MAX; i++)
		if (strcmp(defs[i].name, name) == 0)
			return (enum cs_problem)i;
	return CS_P_MAX;
}

enum cs_severity problem_default_severity(enum cs_problem p)
{
	return (unsigned)p < CS_P_MAX ? defs[p].severity : CS_SEV_WARNING;
}

const char *severity_name(enum cs_severity s) { return s == CS_SEV_ERROR ? "error" : "warning"; }

uint32_t problem_error_mask(void)
{
	uint32_t m = 0;

	for (int i = 0; i < CS_P_MAX; i++)
		if (defs[i].severity == CS_SEV_ERROR)
			m |= 1u << i;
	return m;
}

static const struct {
	uint32_t bit;
	const char *name;
} ku_names[] = {
	{CS_KU_DIGITAL_SIGNATURE, "digitalSignature"},
	{CS_KU_NON_REPUDIATION, "nonRepudiation"},
	{CS_KU_KEY_ENCIPHERMENT, "keyEncipherment"},
	{CS_KU_DATA_ENCIPHERMENT, "dataEncipherment"},
	{CS_KU_KEY_AGREEMENT, "keyAgreement"},
	{CS_KU_KEY_CERT_SIGN, "keyCertSign"},
	{CS_KU_CRL_SIGN, "cRLSign"},
	{CS_KU_ENCIPHER_ONLY, "encipherOnly"},
	{CS_KU_DECIPHER_ONLY, "decipherOnly"},
};

const char *problem_ku_name(uint32_t bit)
{
	for (size_t i = 0; i < CS_ARRAY_LEN(ku_names); i++)
		if (ku_names[i].bit == bit)
			return ku_names[i].name;
	return "";
}

const char *problem_summary(enum cs_problem p)
{
	return (unsigned)p < CS_P_MAX ? defs[p].summary : "";
}

static const char *const evidence_names[] = {"none", "seen_in_capture", "intermediates_file",
					     "aia"};

bool problem_store_dependent(const struct diag_problem *p)
{
	if (p->severity != CS_SEV_ERROR)
		return false;
	switch (p->code) {
	case CS_P_MISSING_INTERMEDIATE:
	case CS_P_UNTRUSTED_ROOT:
	case CS_P_EXPIRED_ROOT:
	case CS_P_DISTRUSTED_ROOT:
		return true;
	case CS_P_WEAK_SIGNATURE:
	case CS_P_WEAK_KEY:
	case CS_P_EXPIRED_INTERMEDIATE:
		return p->role == CS_ROLE_ROOT;
	default:
		return false;
	}
}

const char *evidence_name(enum diag_evidence ev)
{
	return (unsigned)ev < CS_ARRAY_LEN(evidence_names) ? evidence_names[ev] : "none";
}

int evidence_by_name(const char *s)
{
	for (size_t i = 0; i < CS_ARRAY_LEN(evidence_names); i++)
		if (!strcmp(s, evidence_names[i]))
			return (int)i;
	return -1;
}

/* ---- rendering ------------------------------------------------------------- */

struct out {
	char *p;
	size_t len, o;
};

static void put(struct out *w, const char *s, size_t n)
{
	size_t room = w->len - 1 - w->o;

	if (n > room)
		n = room;
	memcpy(w->p + w->o, s, n);
	w->o += n;
	w->p[w->o] = '\0';
}

static void puts_(struct out *w, const char *s) { put(w, s ? s : "", s ? strlen(s) : 0); }

static void put_int(struct out *w, long long v)
{
	char b[32];

	snprintf(b, sizeof(b), "%lld", v);
	puts_(w, b);
}

static void put_date(struct out *w, int64_t s)
{
	char b[CS_TIME_STRLEN];

	fmt_time_msg(s, b, sizeof(b));
	puts_(w, strcmp(b, "invalid") ? b : "(invalid date)");
}

static const char *const role_names[] = {"", "leaf", "intermediate", "root"};

/* The validation day: "2000-01-01". */
static void put_day(struct out *w, int64_t s)
{
	char b[CS_TIME_STRLEN];

	fmt_time_s(s, b, sizeof(b));
	if (strcmp(b, "invalid") == 0)
		puts_(w, "(invalid date)");
	else
		put(w, b, 10);
}

/* keyUsage bits: "keyEncipherment, dataEncipherment", "no bit set". */
static void put_ku(struct out *w, uint32_t bits)
{
	bool any = false;

	for (size_t i = 0; i < CS_ARRAY_LEN(ku_names); i++)
		if (bits & ku_names[i].bit) {
			puts_(w, any ? ", " : "");
			puts_(w, ku_names[i].name);
			any = true;
		}
	if (!any)
		puts_(w, "no bit set");
}

static const char *role_name(uint8_t r)
{
	return r < CS_ARRAY_LEN(role_names) ? role_names[r] : "";
}

const char *problem_role_name(enum cs_role r) { return role_name((uint8_t)r); }

int problem_role_by_name(const char *s)
{
	for (size_t i = 0; i < CS_ARRAY_LEN(role_names); i++)
		if (!strcmp(s, role_names[i]))
			return (int)i;
	return -1;
}

static const char *subject_at(const struct problem_ctx *c, int i)
{
	if (!c->chain || i < 0 || (size_t)i >= c->chain->n_certs)
		return "";
	return cert_facts(c->chain->certs[i])->subject;
}

/* wrong_order's list: " 1. "leaf" (now #0); 2. ..." */
static void put_order(struct out *w, const struct diag_problem *p, const struct problem_ctx *c)
{
	for (unsigned i = 0; i < p->norder; i++) {
		puts_(w, i ? "; " : " ");
		put_int(w, (long long)i + 1);
		puts_(w, ". \"");
		puts_(w, subject_at(c, p->order[i]));
		puts_(w, "\" (now #");
		put_int(w, p->order[i]);
		puts_(w, ")");
	}
}

static bool single_cert(const struct problem_ctx *c) { return c->chain && c->chain->n_certs == 1; }

/* " (NSS 3.60)", nothing when the release is not known. */
static void put_release(struct out *w, const char *release)
{
	if (!release || !release[0])
		return;
	puts_(w, " (");
	puts_(w, release);
	puts_(w, ")");
}

/* The root of the capture's day: {then_day} {then_root} {then_left} {then_distrust}. */
static void put_then(struct out *w, const char *k, size_t kn, const struct diag_root_then *t)
{
#define IS(s) (kn == sizeof(s) - 1 && memcmp(k, s, kn) == 0)
	if (IS("then_day")) {
		put_day(w, t->store_day);
	} else if (IS("then_root")) {
		puts_(w, t->label && t->label[0] ? t->label : t->subject);
	} else if (IS("then_left")) {
		put_day(w, t->left_at);
		put_release(w, t->left_release);
	} else if (IS("then_distrust") && t->has_distrust_after) {
		puts_(w, " Mozilla distrusted server certificates issued through it after ");
		put_day(w, t->distrust_after);
		puts_(w, ", from ");
		put_day(w, t->distrust_since);
		put_release(w, t->distrust_release);
		puts_(w, ".");
	}
#undef IS
}

static void put_param(struct out *w, const char *k, size_t kn, const struct diag_problem *p,
		      const struct problem_ctx *c)
{
	const struct diag_evidence_rec *ev = c->evidence;
	char hex[2 * CS_SHA256_LEN + 1];

#define IS(s) (kn == sizeof(s) - 1 && memcmp(k, s, kn) == 0)
	if (IS("role"))
		puts_(w, role_name(p->role));
	else if (IS("subject"))
		puts_(w, p->subject);
	else if (IS("name"))
		puts_(w, p->name);
	else if (IS("text"))
		puts_(w, p->text);
	else if (IS("date"))
		put_date(w, p->date);
	else if (IS("day"))
		put_day(w, p->date);
	else if (IS("ku"))
		put_ku(w, (uint32_t)p->num);
	else if (IS("num"))
		put_int(w, p->num);
	else if (IS("count"))
		put_int(w, p->count);
	else if (IS("index"))
		put_int(w, p->cert_index);
	else if (IS("days"))
		put_int(w, c->warn_days);
	else if (IS("sni"))
		put(w, c->sni ? c->sni : "", c->sni ? c->sni_len : 0);
	else if (IS("names"))
		puts_(w, c->leaf_names && c->leaf_names[0] ? c->leaf_names : "(no DNS names)");
	else if (IS("order"))
		put_order(w, p, c);
	else if (IS("position"))
		puts_(w, single_cert(c)       ? "the leaf, sent alone"
			 : p->cert_index == 0 ? "the leaf"
					      : "the last certificate of the path");
	else if (IS("after"))
		puts_(w, single_cert(c) ? "the leaf" : "the last certificate of the path");
	else if (IS("ev_sha") && ev) {
		hex_lower(ev->sha256, CS_SHA256_LEN, hex);
		puts_(w, hex);
	} else if (IS("ev_how") && ev)
		puts_(w, ev->kind == DIAG_EV_SEEN_IN_CAPTURE ? "sent by" : "found in");
	else if (IS("ev_source") && ev)
		puts_(w, ev->source);
	else if (IS("ev_completes") && ev)
		puts_(w, ev->completes ? "; with it the chain reaches a trusted root" : "");
	else if (c->then)
		put_then(w, k, kn, c->then);
#undef IS
}

static void render(const char *tmpl, const struct diag_problem *p, const struct problem_ctx *c,
		   char *buf, size_t len)
{
	struct out w = {buf, len, 0};

	if (len == 0)
		return;
	buf[0] = '\0';
	while (*tmpl) {
		const char *open = strchr(tmpl, '{'), *close;

		if (!open || !(close = strchr(open, '}'))) {
			puts_(&w, tmpl);
			return;
		}
		put(&w, tmpl, (size_t)(open - tmpl));
		put_param(&w, open + 1, (size_t)(close - open - 1), p, c);
		tmpl = close + 1;
	}
}

/* The wording of a record: missing_intermediate's by its evidence,
 * weak_signature's and weak_key's by severity, the others by variant. */
static const struct wording *wording_of(const struct diag_problem *p, const struct problem_ctx *c)
{
	const struct problem_def *d = &defs[p->code < CS_P_MAX ? p->code : 0];
	unsigned v = p->variant;

	if (p->code == CS_P_MISSING_INTERMEDIATE)
		v = c->evidence && c->evidence->have_cert ? 0 : p->text && p->text[0] ? 1 : 2;
	else if (p->code == CS_P_WEAK_SIGNATURE || p->code == CS_P_WEAK_KEY)
		v = p->severity == CS_SEV_ERROR ? 0 : 1;
	if (v >= CS_ARRAY_LEN(d->w) || !d->w[v].message)
		v = 0;
	return &d->w[v];
}

/* A store-dependent problem of a chain that was valid with the store of
 * the capture's day (ok_at_capture_time): the message goes on, and the fix
 * is this one. */
static const struct wording then_wording = {
	" With Mozilla's store of {then_day} the chain was valid: it leads, by its key, to the root "
	"\"{then_root}\", which left the store on {then_left}.{then_distrust}",
	"Clients of {then_day} accepted this chain; clients whose store has dropped \"{then_root}\" "
	"fail on it: re-issue the certificate from a CA whose root is in current stores.",
};

static bool then_applies(const struct diag_problem *p, const struct problem_ctx *c)
{
	return c->then && problem_store_dependent(p);
}

void problem_message(const struct diag_problem *p, const struct problem_ctx *c, char *out,
		     size_t len)
{
	size_t n;

	render(wording_of(p, c)->message, p, c, out, len);
	if (!then_applies(p, c) || (n = strlen(out)) + 1 >= len)
		return;
	render(then_wording.message, p, c, out + n, len - n);
}

void problem_fix(const struct diag_problem *p, const struct problem_ctx *c, char *out, size_t len)
{
	render(then_applies(p, c) ? then_wording.fix : wording_of(p, c)->fix, p, c, out, len);
}

void problem_earlier(char *message, size_t mlen, char *fix, size_t flen)
{
	snprintf(message, mlen,
		 "Found on earlier handshakes of this chain; no longer at its last "
		 "handshake.");
	snprintf(fix, flen, "See the verdict of the last handshake.");
}
