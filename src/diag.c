/*
 * diag.c - chain diagnosis on libcrypto primitives (cs_diag.h).
 *
 * Owns the X509 objects of every diagnosed chain (parsed once, freed with
 * the diag), the verdict cache and the pool of intermediates seen.
 *
 *   analyze():  parse the chain as sent
 *            -> search(): depth-first over issuers (anchors first, then the
 *               sent certificates in any order), every complete path scored
 *               by trust and error count, the best one kept
 *            -> the chosen path's problems (time, signature, CA, weak
 *               algorithms, purpose), then the dead end if untrusted
 *               (self-signed leaf, untrusted root, missing intermediate),
 *               then the shape of the chain as sent (order, extras,
 *               duplicates, root included, stale cross-signs)
 *
 * Every comparison of the validation time with a date narrows the window in
 * which the verdict stays the same, which is what the cache keys on.
 */
#include "cs_diag.h"
#include "cs_codec.h"
#include "cs_timefmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define MAX_DEPTH 10        /* longer paths are not built (RFC 5280 has no limit; clients do) */
#define MAX_PATHS 64        /* complete paths scored per chain */
#define MAX_CANDIDATES 8    /* issuers tried per certificate */

/* ---- per-chain cache ------------------------------------------------------ */

struct entry {
	bool parsed;               /* x[] filled */
	X509 **x;                  /* presented certs, NULL where unparseable */
	size_t n;
	bool cached;
	int64_t from, until;       /* [from, until): the cached verdict holds */
	uint32_t mask;             /* problems except hostname */
	bool broken;
	bool sni_cached;           /* hostname check for the last SNI */
	bool sni_ok;
	uint8_t sni_len;
	char sni[CS_MAX_SNI + 1];
};

struct pooled {
	X509 *x;
	uint8_t sha256[32];
	enum diag_evidence kind;
	char source[96];
};

struct diag {
	const struct cs_trust *trust;
	int warn_days;
	struct entry *entries;     /* indexed by chain id */
	size_t nentries;
	struct pooled *pool;
	size_t npool;
	uint64_t analyses, hits;
};

struct diag *diag_new(const struct cs_trust *t, const struct diag_opts *o)
{
	struct diag *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->trust = t;
	d->warn_days = o && o->warn_days >= 0 ? o->warn_days : CS_DIAG_WARN_DAYS_DEFAULT;
	return d;
}

void diag_free(struct diag *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nentries; i++) {
		for (size_t k = 0; k < d->entries[i].n; k++)
			X509_free(d->entries[i].x ? d->entries[i].x[k] : NULL);
		free(d->entries[i].x);
	}
	for (size_t i = 0; i < d->npool; i++)
		X509_free(d->pool[i].x);
	free(d->entries);
	free(d->pool);
	free(d);
}

const struct cs_trust *diag_trust(const struct diag *d)
{
	return d->trust;
}

int diag_warn_days(const struct diag *d)
{
	return d->warn_days;
}

void diag_stats(const struct diag *d, uint64_t *analyses, uint64_t *cache_hits)
{
	*analyses = d->analyses;
	*cache_hits = d->hits;
}

static struct entry *entry_for(struct diag *d, const struct cs_chain *c)
{
	struct entry *e;

	if (c->id >= d->nentries) {
		size_t n = d->nentries ? d->nentries : 64;
		struct entry *ne;

		while (n <= c->id)
			n *= 2;
		ne = realloc(d->entries, n * sizeof(*ne));
		if (!ne)
			return NULL;
		memset(ne + d->nentries, 0, (n - d->nentries) * sizeof(*ne));
		d->entries = ne;
		d->nentries = n;
	}
	e = &d->entries[c->id];
	if (!e->parsed) {
		e->x = calloc(c->n_certs ? c->n_certs : 1, sizeof(*e->x));
		if (!e->x)
			return NULL;
		e->n = c->n_certs;
		for (size_t i = 0; i < c->n_certs; i++) {
			const unsigned char *p = c->certs[i].der;

			if (c->certs[i].parsed)
				e->x[i] = d2i_X509(NULL, &p, (long)c->certs[i].der_len);
		}
		ERR_clear_error();
		e->parsed = true;
	}
	return e;
}

/* ---- certificate facts ----------------------------------------------------- */

static int64_t asn1_epoch(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

static void name_of(const X509_NAME *n, char *buf, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	long got;
	char *p;

	buf[0] = '\0';
	if (!b)
		return;
	if (X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) >= 0) {
		got = BIO_get_mem_data(b, &p);
		if (got > 0) {
			size_t k = (size_t)got < len - 1 ? (size_t)got : len - 1;

			memcpy(buf, p, k);
			buf[k] = '\0';
		}
	}
	BIO_free(b);
}

/* Issued by: names, key identifiers (X509_check_issued), key usage aside:
 * an issuer without keyCertSign is still the issuer, and reported not_ca. */
static bool issued_by(X509 *issuer, X509 *subject)
{
	int r = X509_check_issued(issuer, subject);

	return r == X509_V_OK || r == X509_V_ERR_KEYUSAGE_NO_CERTSIGN;
}

static bool signed_by(X509 *subject, X509 *issuer)
{
	EVP_PKEY *k = X509_get0_pubkey(issuer);
	int r = k ? X509_verify(subject, k) : -1;

	ERR_clear_error();
	return r == 1;
}

static bool self_signed(X509 *x)
{
	return issued_by(x, x) && signed_by(x, x);
}

static bool same_der(X509 *a, X509 *b)
{
	return X509_cmp(a, b) == 0; /* compares the SHA-1 hash of the DER, then the DER */
}

static bool explicit_ec_params(X509 *x)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	int v = 0;

	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC)
		return false;
	if (EVP_PKEY_get_int_param(k, OSSL_PKEY_PARAM_EC_DECODED_FROM_EXPLICIT_PARAMS, &v) != 1)
		v = 0;
	ERR_clear_error();
	return v != 0;
}

/* Weak key: RSA/DSA under 2048 bits, EC under 224. */
static bool weak_key(X509 *x, int *bits)
{
	EVP_PKEY *k = X509_get0_pubkey(x);
	int id;

	*bits = 0;
	if (!k)
		return false;
	*bits = EVP_PKEY_get_bits(k);
	id = EVP_PKEY_get_base_id(k);
	if (id == EVP_PKEY_RSA || id == EVP_PKEY_RSA_PSS || id == EVP_PKEY_DSA)
		return *bits < 2048;
	if (id == EVP_PKEY_EC)
		return *bits < 224;
	return false;
}

/* The digest of the certificate's signature: "MD5", "SHA1" or NULL. */
static const char *weak_digest(X509 *x)
{
	int md = NID_undef, pk = NID_undef;

	if (!OBJ_find_sigid_algs(X509_get_signature_nid(x), &md, &pk))
		return NULL;
	if (md == NID_md5)
		return "MD5";
	if (md == NID_md2 || md == NID_md4)
		return "MD2/MD4";
	if (md == NID_sha1)
		return "SHA-1";
	return NULL;
}

static int64_t weak_digest_cutoff(const char *alg)
{
	return strcmp(alg, "SHA-1") == 0 ? CS_SHA1_CUTOFF : CS_MD5_CUTOFF;
}

static void aia_ca_issuers(X509 *x, char *out, size_t len)
{
	AUTHORITY_INFO_ACCESS *aia = X509_get_ext_d2i(x, NID_info_access, NULL, NULL);

	out[0] = '\0';
	for (int i = 0; aia && i < sk_ACCESS_DESCRIPTION_num(aia); i++) {
		ACCESS_DESCRIPTION *ad = sk_ACCESS_DESCRIPTION_value(aia, i);

		if (OBJ_obj2nid(ad->method) == NID_ad_ca_issuers &&
		    ad->location->type == GEN_URI) {
			const ASN1_IA5STRING *u = ad->location->d.uniformResourceIdentifier;
			size_t n = (size_t)u->length < len - 1 ? (size_t)u->length : len - 1;

			memcpy(out, u->data, n);
			out[n] = '\0';
			break;
		}
	}
	AUTHORITY_INFO_ACCESS_free(aia);
}

/* Messages may be cut at their buffer's end; that is by design. */
static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* ---- analysis context ------------------------------------------------------- */

struct node {
	X509 *x;
	int sent;    /* index in the chain as sent, -1 for a certificate from the store */
	bool anchor; /* a trust anchor (from the store, or sent and in the store) */
};

struct path {
	struct node n[MAX_DEPTH];
	size_t len;
	bool trusted;
	int score;
};

struct ctx {
	struct diag *d;
	const struct cs_chain *c;
	struct entry *e;
	int64_t t;               /* validation time, seconds */
	int64_t from, until;     /* window in which every comparison holds */
	bool explain;
	struct diag_problem *out;
	size_t max, n;
	uint32_t mask;
	bool broken;             /* an error-severity problem was found */
	struct path cur, best;
	bool have_best;
	unsigned explored;
};

/* t >= b, narrowing the window to the side t is on. */
static bool at_or_after(struct ctx *cx, int64_t b)
{
	if (cx->t >= b) {
		if (b > cx->from)
			cx->from = b;
		return true;
	}
	if (b < cx->until)
		cx->until = b;
	return false;
}

static int64_t not_before(X509 *x)
{
	return asn1_epoch(X509_get0_notBefore(x));
}

static int64_t not_after(X509 *x)
{
	return asn1_epoch(X509_get0_notAfter(x));
}

static void cert_subject(const struct ctx *cx, const struct node *nd, char *buf, size_t len)
{
	if (nd->sent >= 0 && cx->c->certs[nd->sent].parsed)
		snprintf(buf, len, "%s", cx->c->certs[nd->sent].subject);
	else
		name_of(X509_get_subject_name(nd->x), buf, len);
}

static enum cs_severity weak_severity(struct ctx *cx, int64_t cutoff)
{
	return at_or_after(cx, cutoff) ? CS_SEV_ERROR : CS_SEV_WARNING;
}

/* Record a problem; with explain off only the mask is kept.  Returns the
 * problem to fill in (or NULL when not explaining or full). */
static struct diag_problem *add(struct ctx *cx, enum cs_problem code, enum cs_severity sev,
				int sent_index)
{
	struct diag_problem *p;

	cx->mask |= 1u << code;
	cx->broken |= sev == CS_SEV_ERROR;
	if (!cx->explain || cx->n == cx->max)
		return NULL;
	p = &cx->out[cx->n++];
	memset(p, 0, sizeof(*p));
	p->code = code;
	p->severity = sev;
	p->cert_index = sent_index;
	return p;
}

static struct diag_problem *add_node(struct ctx *cx, enum cs_problem code, enum cs_severity sev,
				     const struct node *nd)
{
	struct diag_problem *p = add(cx, code, sev, nd->sent);

	if (p)
		cert_subject(cx, nd, p->subject, sizeof(p->subject));
	return p;
}

static bool is_root(const struct path *pa, size_t i)
{
	return pa->n[i].anchor || (i + 1 == pa->len && i > 0 && self_signed(pa->n[i].x));
}

static const char *role(const struct path *pa, size_t i)
{
	return i == 0 ? "leaf" : is_root(pa, i) ? "root" : "intermediate";
}

/* ---- problems along a path --------------------------------------------------- */

static void time_problems(struct ctx *cx, const struct path *pa, size_t i, bool record, int *errors)
{
	const struct node *nd = &pa->n[i];
	int64_t nb = not_before(nd->x), na = not_after(nd->x);
	struct diag_problem *p;
	char when[CS_TIME_STRLEN];

	if (!at_or_after(cx, nb)) {
		++*errors;
		if (record && (p = add_node(cx, CS_P_NOT_YET_VALID, CS_SEV_ERROR, nd))) {
			fmt_time_msg(nb, when, sizeof(when));
			say(p->message, sizeof(p->message),
				 "The %s certificate is not valid before %s, after the time of the handshake.",
				 role(pa, i), when);
			say(p->fix, sizeof(p->fix),
				 "Check the capture's clock first; if it is right, the certificate was deployed "
				 "before its validity began: serve one that is valid now.");
		}
	}
	if (at_or_after(cx, na + 1)) {
		/* expired_root is a trust anchor; an untrusted root is already
		 * untrusted_root, its expiry is reported like an intermediate's */
		enum cs_problem code = i == 0 ? CS_P_EXPIRED_LEAF
				       : nd->anchor ? CS_P_EXPIRED_ROOT : CS_P_EXPIRED_INTERMEDIATE;

		++*errors;
		if (record && (p = add_node(cx, code, CS_SEV_ERROR, nd))) {
			fmt_time_msg(na, when, sizeof(when));
			say(p->message, sizeof(p->message),
				 "The %s certificate expired on %s, before the handshake.", role(pa, i), when);
			say(p->fix, sizeof(p->fix), "%s",
				 i == 0 ? "Renew the server certificate and install the new one."
				 : is_root(pa, i) ? "The root this chain depends on has expired: re-issue the "
					"certificate from a CA whose root is current (or serve the CA's "
					"current cross-signed chain)."
				 : "Replace the expired intermediate with the CA's current one (download "
				   "it from the CA) and serve that after the leaf.");
		}
	} else if (!at_or_after(cx, na - (int64_t)cx->d->warn_days * 86400)) {
		/* fine, not expiring soon */
	} else if (record && (p = add_node(cx, CS_P_EXPIRING_SOON, CS_SEV_WARNING, nd))) {
		fmt_time_msg(na, when, sizeof(when));
		say(p->message, sizeof(p->message),
			 "The %s certificate expires on %s, within %d days of the handshake.",
			 role(pa, i), when, cx->d->warn_days);
		say(p->fix, sizeof(p->fix), "%s", nd->anchor ? "A root of the trust store expires: "
		    "move to the CA's newer root before it does." : "Renew it before it expires.");
	}
}

static void link_problems(struct ctx *cx, const struct path *pa, size_t i, bool record, int *errors)
{
	const struct node *sub = &pa->n[i], *iss = &pa->n[i + 1];
	struct diag_problem *p;
	int pathlen;

	if (!signed_by(sub->x, iss->x)) {
		++*errors;
		if (record && (p = add_node(cx, CS_P_BAD_SIGNATURE, CS_SEV_ERROR, sub))) {
			char is[512];

			cert_subject(cx, iss, is, sizeof(is));
			say(p->message, sizeof(p->message),
				 "The signature on the %s certificate does not verify with the key of its "
				 "issuer \"%s\": it was altered or signed by another key.", role(pa, i), is);
			say(p->fix, sizeof(p->fix),
				 "Download the certificate again from the CA and serve it unmodified; if "
				 "the issuer was re-keyed, serve the issuer certificate that matches.");
		}
	}
	if (iss->anchor)
		return;
	if (X509_check_ca(iss->x) == 0 || !(X509_get_key_usage(iss->x) & KU_KEY_CERT_SIGN)) {
		++*errors;
		if (record && (p = add_node(cx, CS_P_NOT_CA, CS_SEV_ERROR, iss))) {
			say(p->message, sizeof(p->message),
				 "A certificate used as an issuer is not a CA certificate (no basicConstraints "
				 "CA:TRUE or no keyCertSign): clients refuse what it signed.");
			say(p->fix, sizeof(p->fix),
				 "Serve the CA's real intermediate certificate; a leaf or end-entity "
				 "certificate cannot issue others.");
		}
	}
	pathlen = (int)X509_get_pathlen(iss->x);
	if (pathlen >= 0 && (int)i > pathlen) {
		++*errors;
		if (record && (p = add_node(cx, CS_P_NOT_CA, CS_SEV_ERROR, iss))) {
			say(p->message, sizeof(p->message),
				 "The path length constraint (%d) of this CA is exceeded by the %zu "
				 "intermediate certificate(s) below it.", pathlen, i);
			say(p->fix, sizeof(p->fix),
				 "Serve the chain the CA publishes; the path found has too many levels.");
		}
	}
}

static void algorithm_problems(struct ctx *cx, const struct path *pa, size_t i, bool record,
			       int *errors)
{
	const struct node *nd = &pa->n[i];
	const char *alg = weak_digest(nd->x);
	struct diag_problem *p;
	enum cs_severity sev;
	int bits;

	if (nd->anchor)
		return; /* a trust anchor's own signature is never checked by clients */
	if (alg) {
		sev = weak_severity(cx, weak_digest_cutoff(alg));
		*errors += sev == CS_SEV_ERROR;
		if (record && (p = add_node(cx, CS_P_WEAK_SIGNATURE, sev, nd))) {
			say(p->message, sizeof(p->message),
				 "The %s certificate is signed with %s, which clients %s.", role(pa, i), alg,
				 sev == CS_SEV_ERROR ? "reject" : "are about to reject");
			say(p->fix, sizeof(p->fix),
				 "Re-issue it with a SHA-256 (or stronger) signature.");
		}
	}
	if (weak_key(nd->x, &bits)) {
		sev = weak_severity(cx, CS_RSA1024_CUTOFF);
		*errors += sev == CS_SEV_ERROR;
		if (record && (p = add_node(cx, CS_P_WEAK_KEY, sev, nd))) {
			say(p->message, sizeof(p->message),
				 "The %s certificate has a %d-bit key, below what clients accept.",
				 role(pa, i), bits);
			say(p->fix, sizeof(p->fix),
				 "Re-issue it with an RSA key of at least 2048 bits or an EC key (P-256).");
		}
	}
}

static void purpose_problem(struct ctx *cx, const struct path *pa, bool record, int *errors)
{
	X509 *leaf = pa->n[0].x;
	uint32_t eku = X509_get_extended_key_usage(leaf);
	struct diag_problem *p;

	if (!(X509_get_extension_flags(leaf) & EXFLAG_XKUSAGE) || (eku & (XKU_SSL_SERVER | XKU_ANYEKU)))
		return;
	++*errors;
	if (record && (p = add_node(cx, CS_P_BAD_PURPOSE, CS_SEV_ERROR, &pa->n[0]))) {
		say(p->message, sizeof(p->message),
			 "The leaf's extended key usage does not include TLS server authentication.");
		say(p->fix, sizeof(p->fix),
			 "Request a certificate whose extended key usage includes serverAuth.");
	}
}

/* Errors of a path; with record set, also its problems. */
static int path_problems(struct ctx *cx, const struct path *pa, bool record)
{
	int errors = 0;

	for (size_t i = 0; i < pa->len; i++) {
		time_problems(cx, pa, i, record, &errors);
		if (i + 1 < pa->len)
			link_problems(cx, pa, i, record, &errors);
		algorithm_problems(cx, pa, i, record, &errors);
	}
	purpose_problem(cx, pa, record, &errors);
	return errors;
}

/* ---- path search ---------------------------------------------------------- */

static bool on_path(const struct path *pa, X509 *x)
{
	for (size_t i = 0; i < pa->len; i++)
		if (pa->n[i].x == x || same_der(pa->n[i].x, x))
			return true;
	return false;
}

static bool sent_is_anchor(const struct ctx *cx, int sent)
{
	return sent >= 0 && trust_contains_der(cx->d->trust, cx->c->certs[sent].sha256);
}

static int sent_index_of(const struct ctx *cx, X509 *x)
{
	for (size_t i = 0; i < cx->e->n; i++)
		if (cx->e->x[i] && same_der(cx->e->x[i], x))
			return (int)i;
	return -1;
}

static bool in_list(X509 *const *list, size_t n, X509 *x)
{
	for (size_t i = 0; i < n; i++)
		if (same_der(list[i], x))
			return true;
	return false;
}

/*
 * Of the certificates whose name and key identifiers say "issuer", keep
 * those whose key verifies the signature when there are any: a forged CA
 * that copies a trusted root's name (CurveBall) must not turn the real
 * root into a "bad signature" verdict.  When none verifies, keep them all:
 * that is a genuinely bad signature.
 */
static size_t keep_verified(X509 *sub, X509 **cand, int *sent, size_t n, size_t *nanchors)
{
	size_t k = 0, anchors = 0;
	bool ok[MAX_CANDIDATES];

	for (size_t i = 0; i < n; i++)
		if ((ok[i] = signed_by(sub, cand[i])))
			k++;
	if (k == 0 || k == n)
		return n;
	k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!ok[i])
			continue;
		anchors += i < *nanchors;
		cand[k] = cand[i];
		sent[k++] = sent[i];
	}
	*nanchors = anchors;
	return k;
}

static void consider(struct ctx *cx)
{
	struct ctx probe = *cx; /* scoring must not record problems or narrow the window */
	int errors;

	probe.explain = false;
	errors = path_problems(&probe, &cx->cur, false);
	/* the choice of path depends on those dates too */
	cx->from = probe.from > cx->from ? probe.from : cx->from;
	cx->until = probe.until < cx->until ? probe.until : cx->until;
	cx->cur.score = (cx->cur.trusted ? 0 : 100000) + errors * 100 -
			(cx->cur.trusted ? 0 : (int)cx->cur.len);
	if (!cx->have_best || cx->cur.score < cx->best.score) {
		cx->best = cx->cur;
		cx->have_best = true;
	}
}

static void search(struct ctx *cx)
{
	struct node *top = &cx->cur.n[cx->cur.len - 1];
	X509 *cand[MAX_CANDIDATES];
	int cand_sent[MAX_CANDIDATES];
	size_t nc = 0, nanchors;

	if (cx->explored >= MAX_PATHS)
		return;
	if (top->anchor || cx->cur.len == MAX_DEPTH || self_signed(top->x)) {
		cx->cur.trusted = top->anchor;
		cx->explored++;
		consider(cx);
		return;
	}
	nc = nanchors = trust_issuers_of(cx->d->trust, top->x, cand, MAX_CANDIDATES);
	for (size_t i = 0; i < nc; i++)
		cand_sent[i] = sent_index_of(cx, cand[i]); /* the server may send the anchor too */
	for (size_t i = 0; i < cx->e->n && nc < MAX_CANDIDATES; i++) {
		X509 *x = cx->e->x[i];

		if (x && !on_path(&cx->cur, x) && !in_list(cand, nc, x) && issued_by(x, top->x)) {
			cand_sent[nc] = (int)i;
			cand[nc++] = x;
		}
	}
	nc = keep_verified(top->x, cand, cand_sent, nc, &nanchors);
	if (nc == 0) {
		cx->cur.trusted = false;
		cx->explored++;
		consider(cx);
		return;
	}
	for (size_t i = 0; i < nc; i++) {
		struct node *nd = &cx->cur.n[cx->cur.len++];

		nd->x = cand[i];
		nd->sent = cand_sent[i];
		nd->anchor = i < nanchors || sent_is_anchor(cx, cand_sent[i]);
		search(cx);
		cx->cur.len--;
	}
}

/* ---- the dead end of an untrusted path ------------------------------------------- */

/* A known intermediate that issued x, preferring one a trust anchor issued
 * (then appending it completes a trusted path). */
static const struct pooled *pool_issuer_of(const struct diag *d, X509 *x, bool *completes)
{
	const struct pooled *found = NULL;
	X509 *anchor;

	*completes = false;
	for (size_t i = 0; i < d->npool; i++) {
		if (!issued_by(d->pool[i].x, x) || !signed_by(x, d->pool[i].x))
			continue;
		if (trust_issuers_of(d->trust, d->pool[i].x, &anchor, 1) == 1) {
			*completes = true;
			return &d->pool[i];
		}
		if (!found)
			found = &d->pool[i];
	}
	return found;
}

static void missing_intermediate(struct ctx *cx, const struct path *pa)
{
	const struct node *top = &pa->n[pa->len - 1];
	struct diag_problem *p = add_node(cx, CS_P_MISSING_INTERMEDIATE, CS_SEV_ERROR, top);
	const struct pooled *seen;
	char issuer[512], hex[65];
	bool completes;
	const char *after = cx->c->n_certs == 1 ? "the leaf" : "the last certificate of the path";

	if (!p)
		return;
	name_of(X509_get_issuer_name(top->x), issuer, sizeof(issuer));
	aia_ca_issuers(top->x, p->aia_url, sizeof(p->aia_url));
	seen = pool_issuer_of(cx->d, top->x, &completes);
	if (seen) {
		p->evidence = seen->kind;
		p->evidence_cert = true;
		memcpy(p->evidence_sha256, seen->sha256, 32);
		say(p->evidence_source, sizeof(p->evidence_source), "%s", seen->source);
	} else {
		p->evidence = p->aia_url[0] ? DIAG_EV_AIA : DIAG_EV_NONE;
	}
	say(p->message, sizeof(p->message),
		 "No path to a trusted root: \"%s\" (%s) was issued by \"%s\", which the server "
		 "did not send and the trust store does not hold.", p->subject,
		 cx->c->n_certs == 1 ? "the leaf, sent alone" : pa->len == 1 ? "the leaf" :
		 "the last certificate of the path", issuer);
	hex_lower(p->evidence_sha256, 32, hex);
	if (seen)
		say(p->fix, sizeof(p->fix),
			 "Append the intermediate \"%s\" after %s (sha256 %s, %s %s%s).", issuer,
			 after, hex,
			 seen->kind == DIAG_EV_SEEN_IN_CAPTURE ? "sent by" : "found in", seen->source,
			 completes ? "; with it the chain reaches a trusted root" : "");
	else if (p->aia_url[0])
		say(p->fix, sizeof(p->fix),
			 "Append the intermediate \"%s\" after %s; the certificate names it at %s. "
			 "Browsers fetch it from there, curl, Java and most devices do not. If it is a "
			 "root rather than an intermediate, that root has left this trust store.",
			 issuer, after, p->aia_url);
	else
		say(p->fix, sizeof(p->fix),
			 "If \"%s\" is an intermediate, append it after %s. If it is a private CA, "
			 "clients must be given its root (or use --add-ca here). If it is a public root, "
			 "it has left this trust store: re-issue from a CA whose root is current.",
			 issuer, after);
}

static void dead_end(struct ctx *cx, const struct path *pa)
{
	const struct node *top = &pa->n[pa->len - 1];
	struct diag_problem *p;

	if (!self_signed(top->x)) {
		missing_intermediate(cx, pa);
		return;
	}
	if (pa->len == 1) {
		p = add_node(cx, CS_P_SELF_SIGNED_LEAF, CS_SEV_ERROR, top);
		if (p) {
			say(p->message, sizeof(p->message),
				 "The server sends a self-signed certificate that the trust store does not hold.");
			say(p->fix, sizeof(p->fix),
				 "Serve a certificate issued by a public CA (or by your private CA, whose "
				 "root the clients must then trust).");
		}
		return;
	}
	p = add_node(cx, CS_P_UNTRUSTED_ROOT, CS_SEV_ERROR, top);
	if (p) {
		say(p->message, sizeof(p->message),
			 "The chain ends at the self-signed root \"%s\", which is not in the trust store.",
			 p->subject);
		say(p->fix, sizeof(p->fix),
			 "Re-issue the certificate from a CA trusted by your clients, or distribute this "
			 "root to them (test here with --add-ca).");
	}
}

/* ---- the chain as sent --------------------------------------------------------- */

static int path_position(const struct path *pa, int sent)
{
	for (size_t i = 0; i < pa->len; i++)
		if (pa->n[i].sent == sent)
			return (int)i;
	return -1;
}

static void order_problem(struct ctx *cx, const struct path *pa)
{
	struct diag_problem *p;
	size_t off = 0;

	/* RFC 5246 7.4.2: the leaf first, each following certificate directly
	 * certifying the one before it; anything else in between breaks that */
	for (size_t i = 0; i < pa->len; i++)
		if (pa->n[i].sent >= 0 && pa->n[i].sent != (int)i)
			goto wrong;
	return;
wrong:
	p = add(cx, CS_P_WRONG_ORDER, CS_SEV_ERROR, -1);
	if (!p)
		return;
	say(p->message, sizeof(p->message),
		 "The certificates are not sent leaf first with each followed by its issuer; "
		 "clients that do not reorder them (some embedded and older TLS stacks) fail.");
	say(p->fix, sizeof(p->fix), "Serve them in this order:");
	off = strlen(p->fix);
	for (size_t i = 0; i < pa->len && off + 1 < sizeof(p->fix); i++) {
		char s[512];

		if (pa->n[i].sent < 0 || (pa->n[i].anchor && i > 0))
			break; /* the root itself need not be served (see root_included) */
		cert_subject(cx, &pa->n[i], s, sizeof(s));
		say(p->fix + off, sizeof(p->fix) - off, "%s %zu. \"%s\" (now #%d)",
		    i ? ";" : "", i + 1, s, pa->n[i].sent);
		off += strlen(p->fix + off);
	}
}

static bool is_duplicate(const struct ctx *cx, size_t j)
{
	for (size_t k = 0; k < j; k++)
		if (cx->c->certs[k].der_len == cx->c->certs[j].der_len &&
		    memcmp(cx->c->certs[k].sha256, cx->c->certs[j].sha256, 32) == 0)
			return true;
	return false;
}

/* A sent certificate with the same subject and key as one on the path. */
static const struct node *alternative_of(const struct path *pa, X509 *x)
{
	for (size_t i = 0; i < pa->len; i++)
		if (X509_NAME_cmp(X509_get_subject_name(pa->n[i].x), X509_get_subject_name(x)) == 0 &&
		    EVP_PKEY_eq(X509_get0_pubkey(pa->n[i].x), X509_get0_pubkey(x)) == 1)
			return &pa->n[i];
	return NULL;
}

/* Whether some anchor valid at the time issued x. */
static bool anchored_now(struct ctx *cx, X509 *x)
{
	X509 *cand[MAX_CANDIDATES];
	size_t n = trust_issuers_of(cx->d->trust, x, cand, MAX_CANDIDATES);

	for (size_t i = 0; i < n; i++)
		if (at_or_after(cx, not_before(cand[i])) && !at_or_after(cx, not_after(cand[i]) + 1))
			return true;
	return false;
}

static void shape_problems(struct ctx *cx, const struct path *pa, int path_errors)
{
	const struct node *last = &pa->n[pa->len - 1];
	struct diag_problem *p;

	order_problem(cx, pa);
	if (pa->trusted && pa->len > 1 && last->sent >= 0 && self_signed(last->x) &&
	    (p = add_node(cx, CS_P_ROOT_INCLUDED, CS_SEV_WARNING, last))) {
		say(p->message, sizeof(p->message),
			 "The server sends the root certificate, which clients already have.");
		say(p->fix, sizeof(p->fix), "Drop \"%s\" from the served chain (wasted bytes).",
			 p->subject);
	}
	for (size_t j = 1; j < cx->e->n; j++) {
		struct node nd = {cx->e->x[j], (int)j, false};
		const struct node *alt;

		if (!nd.x || path_position(pa, (int)j) >= 0)
			continue;
		if (is_duplicate(cx, j)) {
			if ((p = add_node(cx, CS_P_DUPLICATE_CERT, CS_SEV_WARNING, &nd))) {
				say(p->message, sizeof(p->message),
					 "Certificate #%zu is sent twice.", j);
				say(p->fix, sizeof(p->fix), "Remove the second copy of \"%s\".",
					 p->subject);
			}
			continue;
		}
		alt = alternative_of(pa, nd.x);
		if (alt && pa->trusted && path_errors == 0) {
			bool expired = at_or_after(cx, not_after(nd.x) + 1);

			if (!expired && anchored_now(cx, nd.x))
				continue; /* a valid alternative path: useful to old clients */
			if ((p = add_node(cx, CS_P_CROSS_SIGN_STALE, CS_SEV_WARNING, &nd))) {
				char by[512];

				name_of(X509_get_issuer_name(nd.x), by, sizeof(by));
				say(p->message, sizeof(p->message),
					 "Certificate #%zu is a cross-signed copy of \"%s\" issued by \"%s\", "
					 "which %s; clients that follow the chain as sent instead of building "
					 "their own path fail on it.", j, p->subject, by,
					 expired ? "has expired" : "no trusted, current root vouches for");
				say(p->fix, sizeof(p->fix),
					 "Drop certificate #%zu (\"%s\" issued by \"%s\"). Only old clients that "
					 "lack the newer root used it, and they fail with it now anyway.",
					 j, p->subject, by);
			}
			continue;
		}
		if ((p = add_node(cx, CS_P_EXTRA_CERTS, CS_SEV_WARNING, &nd))) {
			say(p->message, sizeof(p->message),
				 "Certificate #%zu is not on the path to the trusted root.", j);
			say(p->fix, sizeof(p->fix), "Remove \"%s\" from the served chain.", p->subject);
		}
	}
}

static void malformed_problems(struct ctx *cx)
{
	for (size_t i = 0; i < cx->e->n; i++) {
		struct diag_problem *p;
		bool bad = !cx->e->x[i], explicit = !bad && explicit_ec_params(cx->e->x[i]);

		if (!bad && !explicit && X509_get0_pubkey(cx->e->x[i]))
			continue;
		if ((p = add(cx, CS_P_MALFORMED_CERT, CS_SEV_ERROR, (int)i))) {
			if (!bad)
				say(p->subject, sizeof(p->subject), "%s", cx->c->certs[i].subject);
			say(p->message, sizeof(p->message), "Certificate #%zu %s.", i,
				 bad ? "cannot be parsed (not valid DER X.509)"
				 : explicit ? "uses explicit elliptic-curve parameters, which clients refuse "
					      "(the CurveBall spoof, CVE-2020-0601, relies on them)"
				 : "has a public key algorithm that is not supported");
			say(p->fix, sizeof(p->fix),
				 "Serve the CA's genuine certificate; a named curve (P-256, P-384) is required.");
		}
	}
}

static void clock_problem(struct ctx *cx)
{
	struct diag_problem *p;

	if (at_or_after(cx, CS_CLOCK_SANE_FROM))
		return;
	if ((p = add(cx, CS_P_CLOCK_IMPLAUSIBLE, CS_SEV_WARNING, -1))) {
		say(p->message, sizeof(p->message),
			 "The capture's clock says the handshake happened before 2000: the verdict on "
			 "validity dates is doubtful.");
		say(p->fix, sizeof(p->fix),
			 "Re-run with --at set to when the capture was really made.");
	}
}

/* "a.example, *.b.example, ..." from the subjectAltName, or the CN. */
static void dns_names(X509 *x, char *out, size_t len)
{
	GENERAL_NAMES *san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	size_t o = 0;

	out[0] = '\0';
	for (int i = 0; san && i < sk_GENERAL_NAME_num(san) && o + 8 < len; i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(san, i);
		int n;

		if (g->type != GEN_DNS)
			continue;
		n = ASN1_STRING_length(g->d.dNSName);
		say(out + o, len - o, "%s%.*s", o ? ", " : "", n,
		    (const char *)ASN1_STRING_get0_data(g->d.dNSName));
		o += strlen(out + o);
	}
	GENERAL_NAMES_free(san);
	if (o == 0) {
		int k = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out, (int)len);

		if (k < 0)
			out[0] = '\0';
	}
}

static void hostname_problem(struct ctx *cx, const char *sni, size_t n)
{
	struct diag_problem *p;
	char host[CS_MAX_SNI + 1], names[400];
	X509 *leaf = cx->e->n ? cx->e->x[0] : NULL;
	int r;

	if (!sni || !leaf)
		return;
	memcpy(host, sni, n);
	host[n] = '\0';
	if (memchr(sni, '\0', n))
		r = 0;
	else if (X509_check_ip_asc(leaf, host, 0) == 1)
		r = 1;
	else
		r = X509_check_host(leaf, sni, n, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL);
	ERR_clear_error();
	if (r == 1)
		return;
	if ((p = add(cx, CS_P_HOSTNAME_MISMATCH, CS_SEV_ERROR, 0))) {
		dns_names(leaf, names, sizeof(names));
		say(p->subject, sizeof(p->subject), "%s",
			 cx->c->certs[0].parsed ? cx->c->certs[0].subject : "");
		say(p->message, sizeof(p->message),
			 "The leaf does not cover the name the client asked for (SNI \"%s\"); it is valid "
			 "for: %s.", host, names[0] ? names : "(no DNS names)");
		say(p->fix, sizeof(p->fix),
			 "Serve a certificate whose subjectAltName includes the requested name, or route "
			 "that name to a server that has one.");
	}
}

static void analyze(struct ctx *cx)
{
	cx->from = INT64_MIN;
	cx->until = INT64_MAX;
	clock_problem(cx);
	malformed_problems(cx);
	if (cx->e->n == 0 || !cx->e->x[0])
		return;
	cx->cur.len = 1;
	cx->cur.n[0] = (struct node){cx->e->x[0], 0, sent_is_anchor(cx, 0)};
	search(cx);
	if (!cx->have_best)
		return;
	{
		int errors = path_problems(cx, &cx->best, true);

		if (!cx->best.trusted)
			dead_end(cx, &cx->best);
		shape_problems(cx, &cx->best, errors);
	}
}

/* ---- public entry points -------------------------------------------------------- */

uint32_t diag_handshake(struct diag *d, const struct cs_chain *c, const char *sni,
			size_t sni_len, int64_t when, bool *broken)
{
	struct entry *e = entry_for(d, c);
	struct ctx cx;
	uint32_t mask;

	*broken = false;
	if (!e)
		return 0;
	if (e->cached && when >= e->from && when < e->until) {
		d->hits++;
	} else {
		memset(&cx, 0, sizeof(cx));
		cx.d = d, cx.c = c, cx.e = e, cx.t = when;
		analyze(&cx);
		e->cached = true;
		e->from = cx.from;
		e->until = cx.until;
		e->mask = cx.mask;
		e->broken = cx.broken;
		d->analyses++;
	}
	mask = e->mask;
	*broken = e->broken;
	if (!sni || sni_len > CS_MAX_SNI)
		return mask;
	if (!e->sni_cached || e->sni_len != sni_len || memcmp(e->sni, sni, sni_len) != 0) {
		memset(&cx, 0, sizeof(cx));
		cx.d = d, cx.c = c, cx.e = e, cx.t = when;
		hostname_problem(&cx, sni, sni_len);
		e->sni_ok = cx.mask == 0;
		e->sni_cached = true;
		e->sni_len = (uint8_t)sni_len;
		memcpy(e->sni, sni, sni_len);
	}
	if (!e->sni_ok) {
		mask |= 1u << CS_P_HOSTNAME_MISMATCH;
		*broken = true;
	}
	return mask;
}

size_t diag_explain(struct diag *d, const struct cs_chain *c, const char *sni, size_t sni_len,
		    int64_t when, struct diag_problem *out, size_t max)
{
	struct entry *e = entry_for(d, c);
	struct ctx cx;

	if (!e)
		return 0;
	memset(&cx, 0, sizeof(cx));
	cx.d = d, cx.c = c, cx.e = e, cx.t = when;
	cx.explain = true;
	cx.out = out;
	cx.max = max;
	analyze(&cx);
	if (sni && sni_len <= CS_MAX_SNI)
		hostname_problem(&cx, sni, sni_len);
	return cx.n;
}

/* ---- the pool of known intermediates ---------------------------------------------- */

static void pool_add(struct diag *d, X509 *x, enum diag_evidence kind, const char *source)
{
	uint8_t sha[32];
	unsigned int n = 0;

	if (d->npool == CS_DIAG_POOL_MAX || X509_check_ca(x) == 0 || self_signed(x) ||
	    X509_digest(x, EVP_sha256(), sha, &n) != 1) {
		X509_free(x);
		return;
	}
	for (size_t i = 0; i < d->npool; i++)
		if (memcmp(d->pool[i].sha256, sha, 32) == 0) {
			X509_free(x);
			return;
		}
	if (d->npool % 64 == 0) {
		struct pooled *np = realloc(d->pool, (d->npool + 64) * sizeof(*np));

		if (!np) {
			X509_free(x);
			return;
		}
		d->pool = np;
	}
	d->pool[d->npool].x = x;
	memcpy(d->pool[d->npool].sha256, sha, 32);
	d->pool[d->npool].kind = kind;
	snprintf(d->pool[d->npool].source, sizeof(d->pool[0].source), "%s", source);
	d->npool++;
}

void diag_note_chain(struct diag *d, const struct cs_chain *c, const char *server)
{
	struct entry *e = entry_for(d, c);

	for (size_t i = 1; e && i < e->n; i++)
		if (e->x[i] && X509_up_ref(e->x[i]) == 1)
			pool_add(d, e->x[i], DIAG_EV_SEEN_IN_CAPTURE, server);
}

enum cs_status diag_load_intermediates(struct diag *d, const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	X509 *x;
	size_t n = 0;

	if (!f) {
		snprintf(err, errlen, "%s: cannot open", path);
		return CS_IO;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		pool_add(d, x, DIAG_EV_INTERMEDIATES_FILE, path);
		n++;
	}
	ERR_clear_error();
	fclose(f);
	if (n == 0) {
		snprintf(err, errlen, "%s: no PEM certificates in this file", path);
		return CS_BAD;
	}
	return CS_OK;
}
