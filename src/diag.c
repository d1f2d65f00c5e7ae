/*
 * diag.c - chain diagnosis on libcrypto primitives (cs_diag.h).
 *
 * Owns the certificate cache and signature memo (certcache.c), the pool of
 * intermediates seen, and the broken chains still waiting for their
 * missing issuer ("wants").  Holds no per-chain verdicts: those go to the
 * caller (judge.c), which caches them.
 *
 *   diag_analyze():  the sent certificates, parsed through the cache
 *            -> search(): depth-first over issuers (anchors first, then the
 *               sent certificates in any order), every complete path scored
 *               by trust and error count, the best one kept; a trusted path
 *               without error ends the search; the budget may end it too
 *            -> the chosen path's problems (time, signature, CA, weak
 *               algorithms, critical extensions, name constraints,
 *               purpose), then the dead end if untrusted
 *               (self-signed leaf, untrusted root, missing intermediate),
 *               then the shape of the chain as sent (order, extras,
 *               duplicates, root included, stale cross-signs)
 *            -> one verdict block: typed problems, strings inside
 *
 * The store each look uses: today's, or one of a past date built from the
 * root-store timeline (kept in a small cache by the timeline's spans), which
 * --trust-at picks for the verdict and the default mode for the second look
 * at a chain broken only by its root (second_look()).
 *
 * Every comparison of the validation time with a date narrows the window in
 * which the verdict stays the same, which is what the cache keys on; the
 * store of a date adds a window of capture times (the timeline's span).
 */
#include "cs_diag.h"
#include "cs_certcache.h"
#include "cs_ciphersuite.h"
#include "cs_hash.h"
#include "cs_limits.h"
#include "cs_timefmt.h"
#include "cs_timeline.h"
#include "cs_vec.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define NONE UINT32_MAX
#define BUCKETS 4096u /* pool and wants, by name hash */

/* ---- state ------------------------------------------------------------------- */

struct pooled {
	uint8_t sha256[CS_SHA256_LEN];
	struct cs_cert *cert; /* seen in the capture (parsed through the cache) */
	struct cs_x509 own;   /* from --intermediates: own.x owned */
	unsigned long subject_hash;
	enum diag_evidence kind;
	char source[96];
	uint64_t source_hash;
	uint64_t uses;  /* times named as evidence: eviction keeps these */
	uint64_t added; /* order of arrival, for ties */
	uint32_t next;  /* bucket chain */
};

/* A broken chain whose missing issuer may be seen later. */
struct want {
	const struct cs_chain *c;
	struct cs_cert *top; /* the certificate whose issuer is missing */
	unsigned long issuer_hash;
	bool linked; /* in want_bucket[issuer_hash % BUCKETS] */
	bool aia;    /* top names its issuer's URL */
	struct diag_evidence_rec ev;
	uint32_t next;
};

/* A store of a past date, for the capture times [from, until). */
struct dated {
	struct cs_trust *t;
	int64_t from, until;
	uint64_t used; /* for least-recently-used replacement */
};

struct diag {
	const struct cs_trust *trust;
	const struct cs_timeline *tl; /* NULL: no store of another day */
	enum diag_trust_at mode;
	int64_t trust_date; /* DIAG_TRUST_DATE */
	struct dated dated[CS_DIAG_DATED_STORES];
	uint64_t dated_clock;
	struct certcache *cc;
	int warn_days;
	uint32_t max_checks;
	uint64_t max_cost;
	diag_evidence_fn on_evidence;
	void *ctx;
	struct pooled *pool; /* CS_DIAG_POOL_MAX */
	uint32_t npool;
	uint32_t pool_bucket[BUCKETS];
	uint64_t pool_clock;
	struct want *wants;
	uint32_t nwants;
	size_t wants_cap;
	uint32_t want_bucket[BUCKETS];
	uint32_t *want_of_chain; /* chain id -> want index + 1 */
	size_t nwant_of_chain;
	uint8_t key[CS_HASH_KEY_LEN];
	struct diag_stats st;
};

static unsigned long name_hash(const X509_NAME *n)
{
	int ok = 0;
	unsigned long h = X509_NAME_hash_ex(n, NULL, NULL, &ok);

	ERR_clear_error();
	return ok ? h : 0;
}

static void dated_flush(struct diag *d)
{
	for (size_t i = 0; i < CS_DIAG_DATED_STORES; i++) {
		trust_free(d->dated[i].t);
		d->dated[i].t = NULL;
	}
}

struct diag *diag_new(const struct diag_opts *o)
{
	struct diag *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->warn_days = o && o->warn_days >= 0 ? o->warn_days : CS_DIAG_WARN_DAYS_DEFAULT;
	d->max_checks = o && o->max_checks ? o->max_checks : CS_DIAG_MAX_CHECKS;
	d->max_cost = o && o->max_cost ? o->max_cost : CS_DIAG_MAX_COST_US;
	d->on_evidence = o ? o->on_evidence : NULL;
	d->ctx = o ? o->ctx : NULL;
	d->cc = certcache_new(CS_DIAG_X509_CACHE, CS_DIAG_MEMO_ENTRIES);
	d->pool = calloc(CS_DIAG_POOL_MAX, sizeof(*d->pool));
	for (size_t i = 0; i < BUCKETS; i++)
		d->pool_bucket[i] = d->want_bucket[i] = NONE;
	cs_hash_seed(d->key);
	if (!d->cc || !d->pool) {
		diag_free(d);
		return NULL;
	}
	return d;
}

void diag_free(struct diag *d)
{
	if (!d)
		return;
	for (uint32_t i = 0; d->pool && i < d->npool; i++)
		X509_free(d->pool[i].own.x);
	dated_flush(d);
	certcache_free(d->cc);
	free(d->pool);
	free(d->wants);
	free(d->want_of_chain);
	free(d);
}

const struct cs_trust *diag_trust(const struct diag *d) { return d->trust; }

int diag_warn_days(const struct diag *d) { return d->warn_days; }

void diag_get_stats(const struct diag *d, struct diag_stats *out)
{
	const struct certcache_stats *cs = certcache_stats(d->cc);

	*out = d->st;
	out->x509_parsed = cs->parsed;
	out->x509_evicted = cs->x509_evicted;
	out->signature_checks = cs->checks;
	out->signature_verifications = cs->verifications;
	out->signature_memo_evicted = cs->memo_evicted;
	out->verify_cost = cs->verify_cost;
	out->pool_size = d->npool;
}

/* ---- certificate facts ----------------------------------------------------- */

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

/* The digest of the certificate's signature: "MD5", "SHA-1" or NULL. */
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

		if (OBJ_obj2nid(ad->method) == NID_ad_ca_issuers && ad->location->type == GEN_URI) {
			const ASN1_IA5STRING *u = ad->location->d.uniformResourceIdentifier;
			size_t n = (size_t)u->length < len - 1 ? (size_t)u->length : len - 1;

			memcpy(out, u->data, n);
			out[n] = '\0';
			break;
		}
	}
	AUTHORITY_INFO_ACCESS_free(aia);
	ERR_clear_error();
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
		snprintf(out + o, len - o, "%s%.*s", o ? ", " : "", n,
			 (const char *)ASN1_STRING_get0_data(g->d.dNSName));
		o += strlen(out + o);
	}
	GENERAL_NAMES_free(san);
	ERR_clear_error();
	if (o == 0) {
		int k = X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, out,
						  (int)len);

		if (k < 0)
			out[0] = '\0';
	}
}

/* ---- analysis context ------------------------------------------------------- */

struct node {
	const struct cs_x509 *id;
	int sent;    /* index in the chain as sent, -1 for a certificate from the store */
	bool anchor; /* a trust anchor (from the store, or sent and in the store) */
};

struct path {
	struct node n[CS_DIAG_MAX_DEPTH];
	size_t len;
	bool trusted;
	int score;
};

/* What the name constraints check needs of one certificate, parsed once
 * per analysis (the same certificates recur in every path scored). */
struct ncinfo {
	const struct cs_x509 *id;
	bool have_nc, have_names;
	NAME_CONSTRAINTS *nc; /* owned; NULL: the certificate has none */
	uint64_t subtrees;    /* permitted + excluded */
	uint64_t names;       /* subject attributes + subjectAltNames */
	bool dns_san;         /* a dNSName subjectAltName: the CN is not checked */
};

/* The certificates one analysis can meet: those sent, and the anchors that
 * issued them (at most CS_DIAG_MAX_CANDIDATES each). */
#define NC_CERTS (CS_MAX_CHAIN_CERTS * (1 + CS_DIAG_MAX_CANDIDATES))

struct ctx {
	struct diag *d;
	const struct cs_trust *trust; /* the store this look judges against */
	const struct cs_chain *c;
	const struct cs_x509 *sent[CS_MAX_CHAIN_CERTS]; /* NULL where unparseable */
	size_t n;
	int64_t t;           /* validation time, seconds */
	int64_t from, until; /* window in which every comparison holds */
	bool record;         /* keep problems (false while scoring paths) */
	struct diag_problem out[CS_DIAG_MAX_PROBLEMS];
	size_t nout;
	char scratch[CS_DIAG_SCRATCH_BYTES];
	size_t nscratch;
	uint32_t mask;
	bool broken; /* an error-severity problem was found */
	struct path cur, best;
	bool have_best;
	unsigned explored;
	uint32_t checks;    /* budget: signature checks, memo answers included */
	uint64_t cost;      /* budget: their estimated microseconds */
	uint64_t real_cost; /* microseconds of real verifications (not budgeted here) */
	bool budgeted;      /* the search is on: checks are within the budget */
	bool exhausted;     /* the budget ended the search */
	char leaf_names[400];
	char aia[256];           /* of the top of an untrusted path */
	unsigned long want_hash; /* its issuer's name hash, for the wants */
	int want_index;          /* its index as sent, -1: no missing intermediate */
	struct ncinfo nci[NC_CERTS];
	size_t nnci;
	bool leaf_has_ku;
	uint16_t leaf_ku;
	/* the store: which one, the capture times it holds for */
	uint8_t store;       /* enum diag_store */
	bool clock_fallback; /* --trust-at capture: today's if the clock is implausible */
	int64_t store_day;
	int64_t store_from, store_until;
	bool ok_then; /* the second look: valid with the store of the day */
	struct diag_root_then then;
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

static int64_t asn1_epoch(const ASN1_TIME *t)
{
	struct tm tm;

	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

static int64_t not_before(X509 *x) { return asn1_epoch(X509_get0_notBefore(x)); }

static int64_t not_after(X509 *x) { return asn1_epoch(X509_get0_notAfter(x)); }

/* A signature check within the budget: every check counts, whether the
 * memo answers or libcrypto verifies, so the verdict does not depend on
 * what earlier analyses left in the memo. */
static bool signed_by(struct ctx *cx, const struct cs_x509 *sub, const struct cs_x509 *iss)
{
	bool verified;

	if (cx->budgeted && (cx->checks >= cx->d->max_checks || cx->cost >= cx->d->max_cost)) {
		cx->exhausted = true;
		return false;
	}
	cx->checks++;
	cx->cost += iss->verify_cost;
	return certcache_signed_by(cx->d->cc, sub, iss, &verified, &cx->real_cost);
}

static bool self_signed(struct ctx *cx, const struct cs_x509 *x)
{
	return issued_by(x->x, x->x) && signed_by(cx, x, x);
}

/* A copy of s in the analysis's scratch space ("" when full). */
static const char *keep(struct ctx *cx, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p;

	if (n > sizeof(cx->scratch) - cx->nscratch)
		return "";
	p = cx->scratch + cx->nscratch;
	memcpy(p, s, n);
	cx->nscratch += n;
	return p;
}

static const char *subject_of(struct ctx *cx, const struct node *nd)
{
	char buf[512];

	if (nd->sent >= 0)
		return keep(cx, cert_facts(cx->c->certs[nd->sent])->subject);
	name_of(X509_get_subject_name(nd->id->x), buf, sizeof(buf));
	return keep(cx, buf);
}

/* Record a problem (only when recording); returns it to fill in, or NULL. */
static struct diag_problem *add(struct ctx *cx, enum cs_problem code, enum cs_severity sev,
				int sent_index)
{
	struct diag_problem *p;

	if (!cx->record)
		return NULL;
	cx->mask |= 1u << code;
	cx->broken |= sev == CS_SEV_ERROR;
	if (cx->nout == CS_DIAG_MAX_PROBLEMS)
		return NULL;
	p = &cx->out[cx->nout++];
	memset(p, 0, sizeof(*p));
	p->code = code;
	p->severity = sev;
	p->cert_index = sent_index;
	p->subject = p->name = p->text = "";
	return p;
}

static struct diag_problem *add_node(struct ctx *cx, enum cs_problem code, enum cs_severity sev,
				     const struct node *nd, uint8_t role)
{
	struct diag_problem *p = add(cx, code, sev, nd->sent);

	if (p) {
		p->subject = subject_of(cx, nd);
		p->role = role;
	}
	return p;
}

static bool is_root(struct ctx *cx, const struct path *pa, size_t i);
static uint8_t role(struct ctx *cx, const struct path *pa, size_t i);

/* A problem of the certificate at pa->n[i]; its role is worked out only
 * when recording (it may cost a signature check). */
static struct diag_problem *add_path(struct ctx *cx, enum cs_problem code, enum cs_severity sev,
				     const struct path *pa, size_t i)
{
	if (!cx->record)
		return NULL;
	return add_node(cx, code, sev, &pa->n[i], role(cx, pa, i));
}

static bool is_root(struct ctx *cx, const struct path *pa, size_t i)
{
	return pa->n[i].anchor || (i + 1 == pa->len && i > 0 && self_signed(cx, pa->n[i].id));
}

static uint8_t role(struct ctx *cx, const struct path *pa, size_t i)
{
	return i == 0 ? CS_ROLE_LEAF : is_root(cx, pa, i) ? CS_ROLE_ROOT : CS_ROLE_INTERMEDIATE;
}

/* ---- problems along a path --------------------------------------------------- */

static void time_problems(struct ctx *cx, const struct path *pa, size_t i, int *errors)
{
	const struct node *nd = &pa->n[i];
	int64_t nb = not_before(nd->id->x), na = not_after(nd->id->x);
	struct diag_problem *p;

	if (!at_or_after(cx, nb)) {
		++*errors;
		if ((p = add_path(cx, CS_P_NOT_YET_VALID, CS_SEV_ERROR, pa, i)))
			p->date = nb;
	}
	if (at_or_after(cx, na + 1)) {
		/* expired_root is a trust anchor; an untrusted root is already
		 * untrusted_root, its expiry is reported like an intermediate's */
		enum cs_problem code = i == 0       ? CS_P_EXPIRED_LEAF
				       : nd->anchor ? CS_P_EXPIRED_ROOT
						    : CS_P_EXPIRED_INTERMEDIATE;

		++*errors;
		if ((p = add_path(cx, code, CS_SEV_ERROR, pa, i))) {
			p->date = na;
			p->variant = p->role == CS_ROLE_ROOT ? CS_V_EXPIRED_ROOT_LIKE
							     : CS_V_EXPIRED_INTERMEDIATE;
		}
	} else if (!at_or_after(cx, na - (int64_t)cx->d->warn_days * 86400)) {
		/* fine, not expiring soon */
	} else if ((p = add_path(cx, CS_P_EXPIRING_SOON, CS_SEV_WARNING, pa, i))) {
		p->date = na;
		p->variant = nd->anchor ? CS_V_SOON_ANCHOR : CS_V_SOON;
	}
}

static void link_problems(struct ctx *cx, const struct path *pa, size_t i, int *errors)
{
	const struct node *sub = &pa->n[i], *iss = &pa->n[i + 1];
	struct diag_problem *p;
	int pathlen;

	if (!signed_by(cx, sub->id, iss->id)) {
		++*errors;
		if ((p = add_path(cx, CS_P_BAD_SIGNATURE, CS_SEV_ERROR, pa, i)))
			p->name = subject_of(cx, iss);
	}
	if (iss->anchor)
		return;
	if (X509_check_ca(iss->id->x) == 0 ||
	    !(X509_get_key_usage(iss->id->x) & KU_KEY_CERT_SIGN)) {
		++*errors;
		if ((p = add_path(cx, CS_P_NOT_CA, CS_SEV_ERROR, pa, i + 1)))
			p->variant = CS_V_NOT_CA;
	}
	pathlen = (int)X509_get_pathlen(iss->id->x);
	if (pathlen >= 0 && (int)i > pathlen) {
		++*errors;
		if ((p = add_path(cx, CS_P_NOT_CA, CS_SEV_ERROR, pa, i + 1))) {
			p->variant = CS_V_PATHLEN;
			p->num = pathlen;
			p->count = (int)i;
		}
	}
}

static void algorithm_problems(struct ctx *cx, const struct path *pa, size_t i, int *errors)
{
	const struct node *nd = &pa->n[i];
	const char *alg = weak_digest(nd->id->x);
	struct diag_problem *p;
	enum cs_severity sev;
	int bits;

	if (nd->anchor)
		return; /* a trust anchor's own signature is never checked by clients */
	if (alg) {
		sev = at_or_after(cx, weak_digest_cutoff(alg)) ? CS_SEV_ERROR : CS_SEV_WARNING;
		*errors += sev == CS_SEV_ERROR;
		if ((p = add_path(cx, CS_P_WEAK_SIGNATURE, sev, pa, i)))
			p->text = alg;
	}
	if (weak_key(nd->id->x, &bits)) {
		sev = at_or_after(cx, CS_RSA1024_CUTOFF) ? CS_SEV_ERROR : CS_SEV_WARNING;
		*errors += sev == CS_SEV_ERROR;
		if ((p = add_path(cx, CS_P_WEAK_KEY, sev, pa, i)))
			p->num = bits;
	}
}

/* X509_PURPOSE_SSL_SERVER (v3_purp.c, check_purpose_ssl_server): an
 * extendedKeyUsage without serverAuth, or a keyUsage with none of the bits
 * a TLS server's key needs (KU_TLS). */
static void purpose_problem(struct ctx *cx, const struct path *pa, int *errors)
{
	X509 *leaf = pa->n[0].id->x;
	uint32_t flags = X509_get_extension_flags(leaf);
	uint32_t eku = X509_get_extended_key_usage(leaf), ku = X509_get_key_usage(leaf);
	struct diag_problem *p;

	if ((flags & EXFLAG_XKUSAGE) && !(eku & (XKU_SSL_SERVER | XKU_ANYEKU))) {
		++*errors;
		if ((p = add_path(cx, CS_P_BAD_PURPOSE, CS_SEV_ERROR, pa, 0)))
			p->variant = CS_V_PURPOSE_EKU;
	}
	if ((flags & EXFLAG_KUSAGE) &&
	    !(ku & (CS_KU_DIGITAL_SIGNATURE | CS_KU_KEY_ENCIPHERMENT | CS_KU_KEY_AGREEMENT))) {
		++*errors;
		if ((p = add_path(cx, CS_P_BAD_PURPOSE, CS_SEV_ERROR, pa, 0))) {
			p->variant = CS_V_PURPOSE_KU;
			p->num = (int)(ku & 0xffffu);
		}
	}
}

/* The first critical extension of x that libcrypto does not support, as
 * "1.3.6.1.4.1.11129.2.4.3 (CT Precertificate Poison)"; whether it is the
 * CT poison extension of a precertificate (RFC 6962 3.1). */
static bool unsupported_critical(X509 *x, char *out, size_t len)
{
	out[0] = '\0';
	for (int k = 0; k < X509_get_ext_count(x); k++) {
		X509_EXTENSION *ex = X509_get_ext(x, k);
		const ASN1_OBJECT *obj = X509_EXTENSION_get_object(ex);
		int nid = OBJ_obj2nid(obj);
		size_t n;

		if (!X509_EXTENSION_get_critical(ex) || X509_supported_extension(ex))
			continue;
		OBJ_obj2txt(out, (int)len, obj, 1);
		n = strlen(out);
		if (nid != NID_undef)
			snprintf(out + n, len - n, " (%s)", OBJ_nid2ln(nid));
		return nid == NID_ct_precert_poison;
	}
	return false;
}

/* OpenSSL's check_extensions: every certificate of the path, the trust
 * anchor included, with a critical extension it does not support (libcrypto
 * flags it when it parses the certificate). */
static void critical_problem(struct ctx *cx, const struct path *pa, size_t i, int *errors)
{
	struct diag_problem *p;
	char oid[160];

	if (!(X509_get_extension_flags(pa->n[i].id->x) & EXFLAG_CRITICAL))
		return;
	++*errors;
	if (!(p = add_path(cx, CS_P_UNHANDLED_CRITICAL_EXTENSION, CS_SEV_ERROR, pa, i)))
		return;
	p->variant = unsupported_critical(pa->n[i].id->x, oid, sizeof(oid)) ? CS_V_CRIT_POISON
									    : CS_V_CRIT_UNKNOWN;
	p->text = keep(cx, oid);
}

/* ---- name constraints (RFC 5280 4.2.1.10) -------------------------------------- */

/* The entry of x in the analysis's table, NULL when full (never, by
 * NC_CERTS; then the analysis stops: an honest "unknown"). */
static struct ncinfo *ncinfo_of(struct ctx *cx, const struct cs_x509 *x)
{
	struct ncinfo *e;

	for (size_t i = 0; i < cx->nnci; i++)
		if (cx->nci[i].id == x)
			return &cx->nci[i];
	if (cx->nnci == NC_CERTS) {
		cx->exhausted = true;
		return NULL;
	}
	e = &cx->nci[cx->nnci++];
	memset(e, 0, sizeof(*e));
	e->id = x;
	return e;
}

static NAME_CONSTRAINTS *constraints_of(struct ncinfo *e)
{
	if (!e->have_nc) {
		e->have_nc = true;
		e->nc = X509_get_ext_d2i(e->id->x, NID_name_constraints, NULL, NULL);
		ERR_clear_error();
		if (e->nc)
			e->subtrees = (uint64_t)sk_GENERAL_SUBTREE_num(e->nc->permittedSubtrees) +
				      (uint64_t)sk_GENERAL_SUBTREE_num(e->nc->excludedSubtrees);
	}
	return e->nc;
}

static void names_of(struct ncinfo *e)
{
	GENERAL_NAMES *san;

	if (e->have_names)
		return;
	e->have_names = true;
	san = X509_get_ext_d2i(e->id->x, NID_subject_alt_name, NULL, NULL);
	ERR_clear_error();
	e->names = (uint64_t)X509_NAME_entry_count(X509_get_subject_name(e->id->x));
	for (int k = 0; san && k < sk_GENERAL_NAME_num(san); k++) {
		e->names++;
		e->dns_san |= sk_GENERAL_NAME_value(san, k)->type == GEN_DNS;
	}
	GENERAL_NAMES_free(san);
}

/* The budget of one check: libcrypto compares every name with every
 * subtree, and refuses more than 2^20 comparisons (NAME_CHECK_MAX). */
static bool nc_budget(struct ctx *cx, uint64_t names, uint64_t subtrees)
{
	uint64_t work = names * subtrees;
	uint64_t us = 1 + (work > (1u << 20) ? 0 : work / CS_DIAG_NC_COMPARISONS_PER_US);

	/* a check that would overrun the budget is not begun: one can cost
	 * up to 65 ms */
	if (cx->budgeted && cx->cost + us > cx->d->max_cost) {
		cx->exhausted = true;
		return false;
	}
	cx->cost += us;
	cx->real_cost += us;
	return true;
}

/* X509_V_OK, or OpenSSL's error for sub under the constraints of ca; the
 * leaf's CN is checked as a DNS name when it has no DNS subjectAltName
 * (OpenSSL's default host flags). */
static int nc_check(struct ctx *cx, struct ncinfo *sub, bool leaf, struct ncinfo *ca, bool *by_cn)
{
	int rv;

	*by_cn = false;
	names_of(sub);
	if (!nc_budget(cx, sub->names, ca->subtrees))
		return X509_V_OK; /* the analysis is over: judged unknown */
	rv = NAME_CONSTRAINTS_check(sub->id->x, ca->nc);
	if (rv == X509_V_OK && leaf && !sub->dns_san) {
		rv = NAME_CONSTRAINTS_check_CN(sub->id->x, ca->nc);
		*by_cn = rv != X509_V_OK;
	}
	ERR_clear_error();
	return rv;
}

/* Whether a certificate with only this subject and subjectAltName (either
 * may be NULL) breaks nc: one name of a certificate checked alone. */
static bool nc_breaks(NAME_CONSTRAINTS *nc, const X509_NAME *subject, const GENERAL_NAME *g)
{
	X509 *t = X509_new();
	GENERAL_NAMES *one = g ? sk_GENERAL_NAME_new_null() : NULL;
	GENERAL_NAME *copy = g ? GENERAL_NAME_dup(g) : NULL;
	bool bad = false;

	if (t && (!subject || X509_set_subject_name(t, subject)) &&
	    (!g || (one && copy && sk_GENERAL_NAME_push(one, copy) &&
		    (copy = NULL, X509_add1_ext_i2d(t, NID_subject_alt_name, one, 0,
						    X509V3_ADD_DEFAULT) == 1)))) {
		X509_get_extension_flags(t); /* libcrypto caches the subjectAltName */
		bad = NAME_CONSTRAINTS_check(t, nc) != X509_V_OK;
	}
	GENERAL_NAME_free(copy);
	GENERAL_NAMES_free(one);
	X509_free(t);
	ERR_clear_error();
	return bad;
}

static void general_name_text(const GENERAL_NAME *g, char *out, size_t len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long got;

	out[0] = '\0';
	if (b && GENERAL_NAME_print(b, (GENERAL_NAME *)(uintptr_t)g) > 0 &&
	    (got = BIO_get_mem_data(b, &p)) > 0)
		snprintf(out, len, "%.*s", (int)got, p);
	BIO_free(b);
}

/* The name of x that nc forbids, for the message: its CN (by_cn), its
 * subject, or one of its first subjectAltNames, each checked alone. */
static void nc_culprit(X509 *x, NAME_CONSTRAINTS *nc, bool by_cn, char *out, size_t len)
{
	GENERAL_NAMES *san;
	char buf[256];

	snprintf(out, len, "(one of its names)");
	if (by_cn) {
		if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, buf,
					      (int)sizeof(buf)) >= 0)
			snprintf(out, len, "CN:%s", buf);
		return;
	}
	if (nc_breaks(nc, X509_get_subject_name(x), NULL)) {
		name_of(X509_get_subject_name(x), buf, sizeof(buf));
		snprintf(out, len, "DirName:%s", buf);
		return;
	}
	san = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int k = 0; san && k < sk_GENERAL_NAME_num(san) && k < CS_DIAG_NC_NAMES_SHOWN; k++)
		if (nc_breaks(nc, NULL, sk_GENERAL_NAME_value(san, k))) {
			general_name_text(sk_GENERAL_NAME_value(san, k), out, len);
			break;
		}
	GENERAL_NAMES_free(san);
	ERR_clear_error();
}

static void constraint_problem(struct ctx *cx, const struct path *pa, size_t i, size_t j, int rv,
			       bool by_cn)
{
	struct diag_problem *p = add_path(cx, CS_P_NAME_CONSTRAINT_VIOLATION, CS_SEV_ERROR, pa, i);
	char culprit[300];

	if (!p)
		return;
	p->name = subject_of(cx, &pa->n[j]);
	p->num = rv;
	p->variant = rv == X509_V_ERR_PERMITTED_VIOLATION  ? CS_V_NC_PERMITTED
		     : rv == X509_V_ERR_EXCLUDED_VIOLATION ? CS_V_NC_EXCLUDED
							   : CS_V_NC_OTHER;
	nc_culprit(pa->n[i].id->x, ncinfo_of(cx, pa->n[j].id)->nc, by_cn, culprit, sizeof(culprit));
	p->text = keep(cx, culprit);
}

/*
 * OpenSSL's check_name_constraints (x509_vfy.c): the constraints of every
 * CA above a certificate on the path, the trust anchor included, apply to
 * it, except to a self-issued certificate other than the leaf.  One
 * problem per certificate, for the highest CA whose constraints it breaks.
 */
static void constraint_problems(struct ctx *cx, const struct path *pa, int *errors)
{
	for (size_t i = pa->len; i-- > 0;) {
		struct ncinfo *sub;

		if (i > 0 && (X509_get_extension_flags(pa->n[i].id->x) & EXFLAG_SI))
			continue;
		for (size_t j = pa->len - 1; j > i; j--) {
			struct ncinfo *ca = ncinfo_of(cx, pa->n[j].id);
			bool by_cn;
			int rv;

			if (!ca || !constraints_of(ca) || !(sub = ncinfo_of(cx, pa->n[i].id)))
				continue;
			if ((rv = nc_check(cx, sub, i == 0, ca, &by_cn)) == X509_V_OK)
				continue;
			++*errors;
			constraint_problem(cx, pa, i, j, rv, by_cn);
			break;
		}
	}
}

/* The timeline's root behind an anchor (a store's, or a sent copy of
 * one) of a dated store, NULL otherwise. */
static const struct timeline_root *anchor_root(const struct cs_trust *t, const struct cs_x509 *x)
{
	const struct cs_x509 *a = trust_anchor_by_der(t, x->sha256);

	return a ? trust_anchor_root(t, a) : NULL;
}

/*
 * CKA_NSS_SERVER_DISTRUST_AFTER (mozilla::pkix checks the end-entity's
 * notBefore): a store of a date that no longer trusted, through the path's
 * root, server certificates issued after a set day.  No validation time is
 * compared: the store's window (the timeline's span) covers the setting.
 */
static void distrust_problem(struct ctx *cx, const struct path *pa, int *errors)
{
	const struct node *top = &pa->n[pa->len - 1];
	const struct timeline_root *r;
	struct diag_problem *p;
	char day[CS_TIME_STRLEN], since[CS_TIME_STRLEN + CS_TIMELINE_MAX_LABEL + 4];
	const char *release;
	int64_t at;

	if (pa->len < 2 || !top->anchor || !trust_date(cx->trust, &at) ||
	    !(r = anchor_root(cx->trust, top->id)) ||
	    !timeline_distrusts(r, not_before(pa->n[0].id->x), at))
		return;
	++*errors;
	if (!(p = add_path(cx, CS_P_DISTRUSTED_ROOT, CS_SEV_ERROR, pa, pa->len - 1)))
		return;
	p->date = r->distrust_after;
	p->name = keep(cx, r->label);
	release = r->distrust_since_release;
	fmt_time_s(r->distrust_since, day, sizeof(day));
	snprintf(since, sizeof(since), "%.10s%s%s", day, release ? ", " : "",
		 release ? release : "");
	p->text = keep(cx, since); /* "2020-05-29, NSS 3.53" */
}

/* Errors of a path; when recording, also its problems. */
static int path_problems(struct ctx *cx, const struct path *pa)
{
	int errors = 0;

	for (size_t i = 0; i < pa->len; i++) {
		time_problems(cx, pa, i, &errors);
		if (i + 1 < pa->len)
			link_problems(cx, pa, i, &errors);
		algorithm_problems(cx, pa, i, &errors);
		critical_problem(cx, pa, i, &errors);
	}
	constraint_problems(cx, pa, &errors);
	purpose_problem(cx, pa, &errors);
	distrust_problem(cx, pa, &errors);
	return errors;
}

/* ---- path search ---------------------------------------------------------- */

static bool on_path(const struct path *pa, const struct cs_x509 *x)
{
	for (size_t i = 0; i < pa->len; i++)
		if (memcmp(pa->n[i].id->sha256, x->sha256, CS_SHA256_LEN) == 0)
			return true;
	return false;
}

static bool sent_is_anchor(const struct ctx *cx, int sent)
{
	return sent >= 0 && trust_contains_der(cx->trust, cx->c->certs[sent]->sha256);
}

static int sent_index_of(const struct ctx *cx, const struct cs_x509 *x)
{
	for (size_t i = 0; i < cx->n; i++)
		if (cx->sent[i] && memcmp(cx->sent[i]->sha256, x->sha256, CS_SHA256_LEN) == 0)
			return (int)i;
	return -1;
}

static bool in_list(const struct cs_x509 *const *list, size_t n, const struct cs_x509 *x)
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(list[i]->sha256, x->sha256, CS_SHA256_LEN) == 0)
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
static size_t keep_verified(struct ctx *cx, const struct cs_x509 *sub, const struct cs_x509 **cand,
			    int *sent, size_t n, size_t *nanchors)
{
	size_t k = 0, anchors = 0;
	bool ok[CS_DIAG_MAX_CANDIDATES];

	for (size_t i = 0; i < n; i++)
		if ((ok[i] = signed_by(cx, sub, cand[i])))
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
	bool record = cx->record;
	int errors;

	cx->record = false; /* scoring records nothing; its dates narrow the window too */
	errors = path_problems(cx, &cx->cur);
	cx->record = record;
	cx->cur.score = (cx->cur.trusted ? 0 : 100000) + errors * 100 -
			(cx->cur.trusted ? 0 : (int)cx->cur.len);
	if (!cx->have_best || cx->cur.score < cx->best.score) {
		cx->best = cx->cur;
		cx->have_best = true;
	}
}

/* The search ends at a trusted path without error (none is better), or
 * when its budget is spent (paths scored count too). */
static bool search_over(struct ctx *cx)
{
	if (cx->have_best && cx->best.trusted && cx->best.score == 0)
		return true;
	if (cx->explored >= CS_DIAG_MAX_PATHS)
		cx->exhausted = true;
	return cx->exhausted;
}

static void search(struct ctx *cx)
{
	struct node *top = &cx->cur.n[cx->cur.len - 1];
	const struct cs_x509 *cand[CS_DIAG_MAX_CANDIDATES];
	int cand_sent[CS_DIAG_MAX_CANDIDATES];
	size_t nc = 0, nanchors;

	if (search_over(cx))
		return;
	if (top->anchor || cx->cur.len == CS_DIAG_MAX_DEPTH || self_signed(cx, top->id)) {
		cx->cur.trusted = top->anchor;
		cx->explored++;
		consider(cx);
		return;
	}
	nc = nanchors = trust_issuers_of(cx->trust, top->id->x, cand, CS_DIAG_MAX_CANDIDATES);
	for (size_t i = 0; i < nc; i++)
		cand_sent[i] = sent_index_of(cx, cand[i]); /* the server may send the anchor too */
	for (size_t i = 0; i < cx->n && nc < CS_DIAG_MAX_CANDIDATES; i++) {
		const struct cs_x509 *x = cx->sent[i];

		if (x && !on_path(&cx->cur, x) && !in_list(cand, nc, x) &&
		    issued_by(x->x, top->id->x)) {
			cand_sent[nc] = (int)i;
			cand[nc++] = x;
		}
	}
	nc = keep_verified(cx, top->id, cand, cand_sent, nc, &nanchors);
	if (nc == 0) {
		cx->cur.trusted = false;
		cx->explored++;
		consider(cx);
		return;
	}
	for (size_t i = 0; i < nc && !search_over(cx); i++) {
		struct node *nd = &cx->cur.n[cx->cur.len++];

		/* an anchor the server also sent: its copy, byte for byte the
		 * same, is the one to read (a store of another day may hold only
		 * a root rebuilt from its key and name) */
		nd->id = cand_sent[i] >= 0 ? cx->sent[cand_sent[i]] : cand[i];
		nd->sent = cand_sent[i];
		nd->anchor = i < nanchors || sent_is_anchor(cx, cand_sent[i]);
		search(cx);
		cx->cur.len--;
	}
}

/* ---- the dead end of an untrusted path ------------------------------------------- */

static void missing_intermediate(struct ctx *cx, const struct path *pa)
{
	const struct node *top = &pa->n[pa->len - 1];
	struct diag_problem *p = add_node(cx, CS_P_MISSING_INTERMEDIATE, CS_SEV_ERROR, top,
					  pa->len == 1 ? CS_ROLE_LEAF : CS_ROLE_INTERMEDIATE);
	char issuer[512];

	if (!p)
		return;
	name_of(X509_get_issuer_name(top->id->x), issuer, sizeof(issuer));
	aia_ca_issuers(top->id->x, cx->aia, sizeof(cx->aia));
	p->name = keep(cx, issuer);
	p->text = keep(cx, cx->aia);
	cx->want_index = top->sent;
	cx->want_hash = name_hash(X509_get_issuer_name(top->id->x));
}

static void dead_end(struct ctx *cx, const struct path *pa)
{
	const struct node *top = &pa->n[pa->len - 1];

	if (!self_signed(cx, top->id)) {
		missing_intermediate(cx, pa);
		return;
	}
	if (pa->len == 1) {
		add_node(cx, CS_P_SELF_SIGNED_LEAF, CS_SEV_ERROR, top, CS_ROLE_LEAF);
		return;
	}
	add_node(cx, CS_P_UNTRUSTED_ROOT, CS_SEV_ERROR, top, CS_ROLE_ROOT);
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

	/* RFC 5246 7.4.2: the leaf first, each following certificate directly
	 * certifying the one before it; anything else in between breaks that */
	for (size_t i = 0; i < pa->len; i++)
		if (pa->n[i].sent >= 0 && pa->n[i].sent != (int)i)
			goto wrong;
	return;
wrong:
	if (!(p = add(cx, CS_P_WRONG_ORDER, CS_SEV_ERROR, -1)))
		return;
	for (size_t i = 0; i < pa->len && p->norder < CS_PROBLEM_MAX_ORDER; i++) {
		if (pa->n[i].sent < 0 || (pa->n[i].anchor && i > 0))
			break; /* the root itself need not be served (see root_included) */
		p->order[p->norder++] = (uint8_t)pa->n[i].sent;
	}
}

static bool is_duplicate(const struct ctx *cx, size_t j)
{
	for (size_t k = 0; k < j; k++)
		if (cx->c->certs[k] == cx->c->certs[j])
			return true;
	return false;
}

/* A sent certificate with the same subject and key as one on the path. */
static const struct node *alternative_of(const struct path *pa, const struct cs_x509 *x)
{
	for (size_t i = 0; i < pa->len; i++)
		if (X509_NAME_cmp(X509_get_subject_name(pa->n[i].id->x),
				  X509_get_subject_name(x->x)) == 0 &&
		    memcmp(pa->n[i].id->spki, x->spki, CS_SHA256_LEN) == 0)
			return &pa->n[i];
	return NULL;
}

/* Whether some anchor valid at the time issued x. */
static bool anchored_now(struct ctx *cx, const struct cs_x509 *x)
{
	const struct cs_x509 *cand[CS_DIAG_MAX_CANDIDATES];
	size_t n = trust_issuers_of(cx->trust, x->x, cand, CS_DIAG_MAX_CANDIDATES);

	for (size_t i = 0; i < n; i++)
		if (at_or_after(cx, not_before(cand[i]->x)) &&
		    !at_or_after(cx, not_after(cand[i]->x) + 1))
			return true;
	return false;
}

/* nd is an alternative issuance of the path certificate alt; an expired
 * one by the same issuer is an earlier issuance (a reissue), not a
 * cross-certificate, and is worded so. */
static void cross_sign(struct ctx *cx, const struct node *nd, const struct node *alt)
{
	bool expired = at_or_after(cx, not_after(nd->id->x) + 1);
	struct diag_problem *p;
	char by[512];

	if (!expired && anchored_now(cx, nd->id))
		return; /* a valid alternative path: useful to old clients */
	if (!(p = add_node(cx, CS_P_CROSS_SIGN_STALE, CS_SEV_WARNING, nd, CS_ROLE_INTERMEDIATE)))
		return;
	name_of(X509_get_issuer_name(nd->id->x), by, sizeof(by));
	p->name = keep(cx, by);
	p->variant = !expired ? CS_V_CROSS_UNANCHORED
		     : X509_NAME_cmp(X509_get_issuer_name(nd->id->x),
				     X509_get_issuer_name(alt->id->x)) == 0
			     ? CS_V_CROSS_REISSUE
			     : CS_V_CROSS_EXPIRED;
}

static void shape_problems(struct ctx *cx, const struct path *pa, int path_errors)
{
	const struct node *last = &pa->n[pa->len - 1];

	order_problem(cx, pa);
	if (pa->trusted && pa->len > 1 && last->sent >= 0 && self_signed(cx, last->id))
		add_node(cx, CS_P_ROOT_INCLUDED, CS_SEV_WARNING, last, CS_ROLE_ROOT);
	for (size_t j = 1; j < cx->n; j++) {
		struct node nd = {cx->sent[j], (int)j, false};
		const struct node *alt;

		if (!nd.id || path_position(pa, (int)j) >= 0)
			continue;
		if (is_duplicate(cx, j)) {
			add_node(cx, CS_P_DUPLICATE_CERT, CS_SEV_WARNING, &nd, CS_ROLE_NONE);
			continue;
		}
		if ((alt = alternative_of(pa, nd.id)) && pa->trusted && path_errors == 0) {
			cross_sign(cx, &nd, alt);
			continue;
		}
		add_node(cx, CS_P_EXTRA_CERTS, CS_SEV_WARNING, &nd, CS_ROLE_NONE);
	}
}

static void malformed_problems(struct ctx *cx)
{
	for (size_t i = 0; i < cx->n; i++) {
		const struct cs_x509 *x = cx->sent[i];
		bool explicit = x && explicit_ec_params(x->x);
		struct diag_problem *p;

		if (x && !explicit && x->has_key)
			continue;
		if ((p = add(cx, CS_P_MALFORMED_CERT, CS_SEV_ERROR, (int)i))) {
			if (x)
				p->subject = keep(cx, cert_facts(cx->c->certs[i])->subject);
			p->variant = !x         ? CS_V_UNPARSEABLE
				     : explicit ? CS_V_EXPLICIT_CURVE
						: CS_V_UNSUPPORTED_KEY;
		}
	}
}

/* The validation time's UTC day, and the window narrowed to it: the
 * message names the day, so the verdict must not be reused on another. */
static int64_t validation_day(struct ctx *cx)
{
	int64_t day = cx->t - ((cx->t % 86400) + 86400) % 86400;

	at_or_after(cx, day);
	at_or_after(cx, day + 86400);
	return day;
}

/* Whether a certificate that may have issued the leaf (sent, or in the
 * store; by name and key identifiers, no signature needed) was valid yet. */
static bool leaf_issuer_valid_yet(struct ctx *cx, const struct cs_x509 *leaf)
{
	const struct cs_x509 *cand[CS_DIAG_MAX_CANDIDATES];
	size_t n = trust_issuers_of(cx->trust, leaf->x, cand, CS_DIAG_MAX_CANDIDATES);

	for (size_t i = 0; i < n; i++)
		if (at_or_after(cx, not_before(cand[i]->x)))
			return true;
	for (size_t i = 1; i < cx->n; i++)
		if (cx->sent[i] && issued_by(cx->sent[i]->x, leaf->x) &&
		    at_or_after(cx, not_before(cx->sent[i]->x)))
			return true;
	return false;
}

/*
 * A validation time before 2001, just after the GPS epoch, or more than two
 * years before the leaf's notBefore (CAs do not date certificates that far
 * ahead), unless a CA that may have issued the leaf was already valid then:
 * a certificate dated years ahead under a valid CA is that certificate's
 * oddity (not_yet_valid), not the clock's.
 */
static void clock_problem(struct ctx *cx)
{
	const struct cs_x509 *leaf = cx->n ? cx->sent[0] : NULL;
	struct diag_problem *p;
	int variant;

	if (at_or_after(cx, CS_GPS_EPOCH) && !at_or_after(cx, CS_GPS_EPOCH + CS_CLOCK_GPS_SPAN))
		variant = CS_V_CLOCK_GPS;
	else if (!at_or_after(cx, CS_CLOCK_SANE_FROM))
		variant = CS_V_CLOCK_BEFORE_2001;
	else if (leaf && !at_or_after(cx, not_before(leaf->x) - CS_CLOCK_LEAF_SLACK) &&
		 !leaf_issuer_valid_yet(cx, leaf))
		variant = CS_V_CLOCK_BEFORE_LEAF;
	else
		return;
	if ((p = add(cx, CS_P_CLOCK_IMPLAUSIBLE, CS_SEV_WARNING, -1))) {
		p->variant = (uint8_t)variant;
		p->date = validation_day(cx);
	}
}

static void analyze(struct ctx *cx)
{
	int errors;

	cx->from = INT64_MIN;
	cx->until = INT64_MAX;
	cx->record = true;
	cx->want_index = -1;
	clock_problem(cx);
	if (cx->clock_fallback && (cx->mask & (1u << CS_P_CLOCK_IMPLAUSIBLE))) {
		/* --trust-at capture: no store of "that day" for a clock that is wrong */
		cx->trust = cx->d->trust;
		cx->store = DIAG_STORE_TODAY_FALLBACK;
		cx->store_day = 0;
	}
	malformed_problems(cx);
	if (cx->n == 0 || !cx->sent[0])
		return;
	dns_names(cx->sent[0]->x, cx->leaf_names, sizeof(cx->leaf_names));
	cx->leaf_has_ku = X509_get_extension_flags(cx->sent[0]->x) & EXFLAG_KUSAGE;
	cx->leaf_ku = (uint16_t)(X509_get_key_usage(cx->sent[0]->x) & 0xffffu);
	cx->cur.len = 1;
	cx->cur.n[0] = (struct node){cx->sent[0], 0, sent_is_anchor(cx, 0)};
	cx->budgeted = true;
	search(cx);
	cx->budgeted = false;
	if (!cx->have_best || cx->exhausted)
		return; /* what was established so far: clock and malformed certificates */
	errors = path_problems(cx, &cx->best);
	if (!cx->best.trusted)
		dead_end(cx, &cx->best);
	shape_problems(cx, &cx->best, errors);
}

/* ---- the store of another day ------------------------------------------------------ */

static int64_t day_of(int64_t t) { return t - ((t % 86400) + 86400) % 86400; }

/* The store as it stood at when, built once per span of the timeline over
 * which it does not change (or taken from the cache); its estimated cost
 * is the analysis's.  NULL when it cannot be built (counted). */
static const struct cs_trust *dated_store(struct ctx *cx, int64_t when)
{
	struct diag *d = cx->d;
	struct dated *slot = &d->dated[0];
	struct cs_trust *t;

	for (size_t i = 0; i < CS_DIAG_DATED_STORES; i++) {
		struct dated *e = &d->dated[i];

		if (e->t && when >= e->from && when < e->until) {
			e->used = ++d->dated_clock;
			return e->t;
		}
		if (!e->t || (slot->t && e->used < slot->used))
			slot = e;
	}
	if (trust_at_date(d->trust, d->tl, when, &t) != CS_OK) {
		d->st.dated_store_failures++;
		return NULL;
	}
	trust_free(slot->t);
	slot->t = t;
	timeline_window(d->tl, when, &slot->from, &slot->until);
	slot->used = ++d->dated_clock;
	d->st.dated_stores_built++;
	cx->real_cost += (uint64_t)trust_count(t) * CS_DIAG_DATED_STORE_US_PER_ANCHOR;
	return t;
}

/*
 * The store of the verdict (--trust-at): the store of the capture's day
 * (or of the date given), holding for the capture times of the timeline's
 * span; today's for a capture dated before the timeline starts (and, for
 * --trust-at capture, for a clock found implausible: analyze()).
 */
static void choose_store(struct ctx *cx, int64_t captured)
{
	struct diag *d = cx->d;
	int64_t at = d->mode == DIAG_TRUST_DATE ? d->trust_date : captured;
	const struct cs_trust *t;

	cx->trust = d->trust;
	cx->store = DIAG_STORE_TODAY;
	cx->store_from = INT64_MIN;
	cx->store_until = INT64_MAX;
	if (!d->tl || d->mode == DIAG_TRUST_TODAY)
		return;
	cx->store = DIAG_STORE_TODAY_FALLBACK;
	if (at < timeline_start(d->tl)) {
		if (d->mode == DIAG_TRUST_CAPTURE)
			cx->store_until = timeline_start(d->tl);
		return;
	}
	if (!(t = dated_store(cx, at)))
		return;
	cx->trust = t;
	cx->store = DIAG_STORE_DATED;
	cx->store_day = day_of(at);
	cx->clock_fallback = d->mode == DIAG_TRUST_CAPTURE;
	if (d->mode == DIAG_TRUST_CAPTURE)
		timeline_window(d->tl, captured, &cx->store_from, &cx->store_until);
}

/* Whether the verdict on today's store may change with the store of the
 * capture's day: broken (and judged to the end) by store-dependent errors
 * only, on a plausible clock. */
static bool second_look_wanted(const struct ctx *cx)
{
	if (!cx->d->tl || cx->d->mode != DIAG_TRUST_TODAY || !cx->broken || cx->exhausted ||
	    (cx->mask & (1u << CS_P_CLOCK_IMPLAUSIBLE)) || cx->nout == CS_DIAG_MAX_PROBLEMS)
		return false; /* a full problem list may hide an error */
	for (size_t i = 0; i < cx->nout; i++)
		if (cx->out[i].severity == CS_SEV_ERROR && !problem_store_dependent(&cx->out[i]))
			return false;
	return true;
}

/* The root the path of the second look ends at, if it earns the flag: a
 * root of the timeline that the store held (matched by key) and that has
 * left Mozilla's store since (a root still in it that today's store lacks
 * is that store's choice, not a change since the capture), with the top
 * certificate the server sent verifying under that key (a memo answer:
 * the path was checked link by link) -- or sent byte for byte itself. */
static const struct timeline_root *root_of_the_day(struct ctx *th)
{
	const struct path *pa = &th->best;
	const struct node *top = &pa->n[pa->len - 1];
	const struct timeline_root *r = anchor_root(th->trust, top->id);
	int64_t left;

	if (!pa->trusted || !top->anchor || !r || memcmp(top->id->spki, r->spki_sha256, 32) != 0 ||
	    !timeline_left(r, &left, NULL))
		return NULL;
	if (top->sent >= 0)
		return r;
	return pa->len >= 2 && signed_by(th, pa->n[pa->len - 2].id, top->id) ? r : NULL;
}

static void keep_then(struct ctx *cx, const struct timeline_root *r, int64_t day)
{
	const char *release = NULL;

	cx->ok_then = true;
	cx->then = (struct diag_root_then){.store_day = day};
	cx->then.label = keep(cx, r->label);
	cx->then.subject = keep(cx, r->subject);
	memcpy(cx->then.spki_sha256, r->spki_sha256, 32);
	memcpy(cx->then.cert_sha256, r->cert_sha256, 32);
	timeline_left(r, &cx->then.left_at, &release);
	cx->then.left_release = keep(cx, release ? release : "");
	cx->then.has_distrust_after = r->has_distrust_after;
	cx->then.distrust_after = r->distrust_after;
	cx->then.distrust_since = r->distrust_since;
	cx->then.distrust_release =
		keep(cx, r->distrust_since_release ? r->distrust_since_release : "");
}

/*
 * The second look (default mode): the same chain at the same validation
 * time against the store of the capture's day, continuing the same budget.
 * Its window narrows the verdict's (the flag is part of the verdict), and
 * the verdict then holds for the capture times of that store's span.
 */
static void second_look(struct ctx *cx, int64_t captured)
{
	struct diag *d = cx->d;
	const struct timeline_root *r = NULL;
	const struct cs_trust *then;
	struct ctx *th;

	if (captured < timeline_start(d->tl)) {
		cx->store_until = timeline_start(d->tl); /* no store of that day to look at */
		return;
	}
	timeline_window(d->tl, captured, &cx->store_from, &cx->store_until);
	if (!(then = dated_store(cx, captured)) || !(th = calloc(1, sizeof(*th))))
		return;
	th->d = d;
	th->trust = then;
	th->c = cx->c;
	memcpy(th->sent, cx->sent, sizeof(cx->sent));
	th->n = cx->n;
	th->t = cx->t;
	th->checks = cx->checks;
	th->cost = cx->cost;
	th->real_cost = cx->real_cost;
	analyze(th);
	if (!th->exhausted && !th->broken && th->have_best)
		r = root_of_the_day(th);
	cx->checks = th->checks;
	cx->cost = th->cost;
	cx->real_cost = th->real_cost;
	cx->from = th->from > cx->from ? th->from : cx->from;
	cx->until = th->until < cx->until ? th->until : cx->until;
	cx->store_day = day_of(captured);
	d->st.second_looks++;
	d->st.second_look_budget += th->exhausted;
	if (r) {
		keep_then(cx, r, cx->store_day);
		d->st.second_looks_ok++;
	}
	for (size_t i = 0; i < th->nnci; i++)
		NAME_CONSTRAINTS_free(th->nci[i].nc);
	free(th);
}

/* ---- the verdict block ------------------------------------------------------------ */

static const char *rebase(const char *s, const struct ctx *cx, char *to)
{
	if (s >= cx->scratch && s < cx->scratch + sizeof(cx->scratch))
		return to + (s - cx->scratch);
	return s; /* a string literal */
}

/* After the problems: the root of the capture's day (ok_at_capture_time). */
static void verdict_then(struct diag_verdict *v, const struct ctx *cx, struct diag_root_then *at,
			 char *strings)
{
	v->store = cx->store;
	v->store_day = cx->store_day;
	v->store_from = cx->store_from;
	v->store_until = cx->store_until;
	v->ok_at_capture_time = cx->ok_then;
	if (!cx->ok_then)
		return;
	*at = cx->then;
	at->label = rebase(at->label, cx, strings);
	at->subject = rebase(at->subject, cx, strings);
	at->left_release = rebase(at->left_release, cx, strings);
	at->distrust_release = rebase(at->distrust_release, cx, strings);
	v->then = at;
}

static struct diag_verdict *verdict_make(const struct ctx *cx)
{
	size_t names = strlen(cx->leaf_names) + 1;
	size_t size = sizeof(struct diag_verdict) + cx->nout * sizeof(struct diag_problem);
	size_t then_size = cx->ok_then ? sizeof(struct diag_root_then) : 0;
	struct diag_verdict *v = calloc(1, size + then_size + cx->nscratch + names);
	char *strings;

	if (!v)
		return NULL;
	strings = (char *)v + size + then_size;
	verdict_then(v, cx, (struct diag_root_then *)(void *)((char *)v + size), strings);
	memcpy(strings, cx->scratch, cx->nscratch);
	memcpy(strings + cx->nscratch, cx->leaf_names, names);
	v->leaf_names = strings + cx->nscratch;
	v->leaf_has_ku = cx->leaf_has_ku;
	v->leaf_ku = cx->leaf_ku;
	v->from = cx->from;
	v->until = cx->until;
	v->mask = cx->mask;
	v->broken = cx->broken;
	v->checks = cx->checks;
	v->cost = cx->cost;
	v->spent = cx->real_cost;
	v->status = cx->exhausted && !cx->broken ? DIAG_UNKNOWN
		    : cx->broken                 ? DIAG_BROKEN
						 : DIAG_OK;
	v->unknown_reason = v->status == DIAG_UNKNOWN ? DIAG_UNK_BUDGET : DIAG_UNK_NONE;
	v->nproblems = cx->nout;
	for (size_t i = 0; i < cx->nout; i++) {
		v->problems[i] = cx->out[i];
		v->problems[i].subject = rebase(cx->out[i].subject, cx, strings);
		v->problems[i].name = rebase(cx->out[i].name, cx, strings);
		v->problems[i].text = rebase(cx->out[i].text, cx, strings);
	}
	return v;
}

/* ---- the pool of known intermediates ---------------------------------------------- */

/* Outside any analysis's budget: the pool and the evidence never change a
 * verdict; their checks are memoised like all, once per pair. */
static bool evidence_signed_by(struct diag *d, const struct cs_x509 *sub, const struct cs_x509 *iss)
{
	bool verified;
	uint64_t cost = 0;

	return certcache_signed_by(d->cc, sub, iss, &verified, &cost);
}

/* Entries from one source (a bounded scan: the pool is small, and this
 * runs once per new CA certificate, not per handshake). */
static uint32_t from_source(const struct diag *d, uint64_t h)
{
	uint32_t n = 0;

	for (uint32_t i = 0; i < d->npool; i++)
		n += d->pool[i].source_hash == h;
	return n;
}

static const struct cs_x509 *pooled_x509(struct diag *d, struct pooled *e)
{
	return e->cert ? certcache_get(d->cc, e->cert) : &e->own;
}

static void pool_unlink(struct diag *d, uint32_t i)
{
	uint32_t *link = &d->pool_bucket[d->pool[i].subject_hash % BUCKETS];

	while (*link != NONE && *link != i)
		link = &d->pool[*link].next;
	if (*link == i)
		*link = d->pool[i].next;
}

/* The least useful entry (fewest uses, then the oldest), to make room. */
static uint32_t pool_victim(const struct diag *d)
{
	uint32_t v = 0;

	for (uint32_t i = 1; i < d->npool; i++)
		if (d->pool[i].uses < d->pool[v].uses ||
		    (d->pool[i].uses == d->pool[v].uses && d->pool[i].added < d->pool[v].added))
			v = i;
	return v;
}

static void resolve_wants_for(struct diag *d, uint32_t pooled_index);

static bool pool_has(const struct diag *d, unsigned long subject_hash,
		     const uint8_t sha[CS_SHA256_LEN])
{
	for (uint32_t i = d->pool_bucket[subject_hash % BUCKETS]; i != NONE; i = d->pool[i].next)
		if (memcmp(d->pool[i].sha256, sha, CS_SHA256_LEN) == 0)
			return true;
	return false;
}

/* A CA certificate that is not self-signed (a root is no intermediate). */
static bool poolable(struct diag *d, const struct cs_x509 *x)
{
	return X509_check_ca(x->x) != 0 && !(issued_by(x->x, x->x) && evidence_signed_by(d, x, x));
}

/* Take slot i (new, or the least useful one's) for a new entry. */
static uint32_t pool_slot(struct diag *d)
{
	uint32_t i;

	if (d->npool < CS_DIAG_POOL_MAX)
		return d->npool++;
	i = pool_victim(d);
	pool_unlink(d, i);
	X509_free(d->pool[i].own.x);
	d->st.pool_evicted++;
	return i;
}

/* Remember a CA certificate; own (from a file) is taken, else cert is the
 * store's.  At most CS_DIAG_POOL_PER_SOURCE from one source. */
static void pool_add(struct diag *d, struct cs_cert *cert, X509 *own, enum diag_evidence kind,
		     const char *source)
{
	struct cs_x509 oid;
	const struct cs_x509 *x = &oid;
	uint64_t sh = cs_hash(source, strlen(source), d->key);
	uint32_t i;
	unsigned long subject;
	struct pooled *e;

	if (own ? !x509_identify(own, &oid) : !(x = certcache_get(d->cc, cert)))
		goto done;
	subject = name_hash(X509_get_subject_name(x->x));
	if (pool_has(d, subject, x->sha256) || !poolable(d, x))
		goto done;
	/* one server cannot crowd out the others; the operator's own
	 * --intermediates bundle is not a server */
	if (kind == DIAG_EV_SEEN_IN_CAPTURE && from_source(d, sh) >= CS_DIAG_POOL_PER_SOURCE) {
		d->st.pool_refused++;
		goto done;
	}
	i = pool_slot(d);
	e = &d->pool[i];
	memset(e, 0, sizeof(*e));
	memcpy(e->sha256, x->sha256, CS_SHA256_LEN);
	e->cert = own ? NULL : cert;
	if (own) {
		e->own = oid;
		own = NULL; /* the pool's now */
	}
	e->subject_hash = subject;
	e->kind = kind;
	snprintf(e->source, sizeof(e->source), "%s", source);
	e->source_hash = sh;
	e->added = ++d->pool_clock;
	e->next = d->pool_bucket[subject % BUCKETS];
	d->pool_bucket[subject % BUCKETS] = i;
	resolve_wants_for(d, i);
done:
	X509_free(own);
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
		pool_add(d, NULL, x, DIAG_EV_INTERMEDIATES_FILE, path);
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

/* ---- evidence: which known intermediate would fix a broken chain ----------------- */

/* Try one pooled certificate as the missing issuer of w. */
static bool try_evidence(struct diag *d, struct want *w, uint32_t pi)
{
	struct pooled *e = &d->pool[pi];
	const struct cs_x509 *top = certcache_get(d->cc, w->top), *cand = pooled_x509(d, e);
	const struct cs_x509 *anchor;
	bool completes;

	if (!top || !cand || (w->ev.have_cert && w->ev.completes) || !issued_by(cand->x, top->x) ||
	    !evidence_signed_by(d, top, cand))
		return false;
	completes = trust_issuers_of(d->trust, cand->x, &anchor, 1) == 1;
	if (w->ev.have_cert && !completes)
		return false; /* keep the first one found unless this one completes the path */
	w->ev.kind = e->kind;
	w->ev.have_cert = true;
	w->ev.completes = completes;
	memcpy(w->ev.sha256, cand->sha256, CS_SHA256_LEN);
	snprintf(w->ev.source, sizeof(w->ev.source), "%s", e->source);
	e->uses++;
	return true;
}

static void announce(struct diag *d, const struct want *w)
{
	if (d->on_evidence)
		d->on_evidence(d->ctx, w->c, &w->ev);
}

static void resolve_want(struct diag *d, struct want *w)
{
	memset(&w->ev, 0, sizeof(w->ev));
	for (uint32_t i = d->pool_bucket[w->issuer_hash % BUCKETS]; i != NONE; i = d->pool[i].next)
		if (d->pool[i].subject_hash == w->issuer_hash)
			try_evidence(d, w, i);
	if (!w->ev.have_cert)
		w->ev.kind = w->aia ? DIAG_EV_AIA : DIAG_EV_NONE;
}

static void resolve_wants_for(struct diag *d, uint32_t pi)
{
	for (uint32_t i = d->want_bucket[d->pool[pi].subject_hash % BUCKETS]; i != NONE;
	     i = d->wants[i].next)
		if (d->wants[i].issuer_hash == d->pool[pi].subject_hash &&
		    try_evidence(d, &d->wants[i], pi))
			announce(d, &d->wants[i]);
}

static struct want *want_for(struct diag *d, const struct cs_chain *c)
{
	struct want *w;
	uint32_t i;

	if (vec_cover(&d->want_of_chain, &d->nwant_of_chain, c->id, sizeof(*d->want_of_chain),
		      256) != CS_OK)
		return NULL;
	if (d->want_of_chain[c->id])
		return &d->wants[d->want_of_chain[c->id] - 1];
	if (vec_reserve_capped(&d->wants, d->nwants, &d->wants_cap, sizeof(*d->wants), 64,
			       CS_DIAG_WANTS_MAX, &d->st.wants_refused) != CS_OK)
		return NULL;
	i = d->nwants++;
	w = &d->wants[i];
	memset(w, 0, sizeof(*w));
	w->c = c;
	w->next = NONE;
	d->want_of_chain[c->id] = i + 1;
	return w;
}

static void want_link(struct diag *d, struct want *w, unsigned long hash)
{
	uint32_t i = (uint32_t)(w - d->wants), *link;

	if (w->linked && w->issuer_hash == hash)
		return;
	for (link = &d->want_bucket[w->issuer_hash % BUCKETS]; w->linked && *link != NONE;
	     link = &d->wants[*link].next)
		if (*link == i) {
			*link = w->next;
			break;
		}
	w->issuer_hash = hash;
	w->next = d->want_bucket[hash % BUCKETS];
	d->want_bucket[hash % BUCKETS] = i;
	w->linked = true;
}

/* After an analysis that found a missing intermediate: the evidence now,
 * and a want so that an intermediate seen later still names it. */
static void evidence_for(struct diag *d, const struct ctx *cx)
{
	struct want *w;

	if (cx->want_index < 0 || !(w = want_for(d, cx->c)))
		return;
	want_link(d, w, cx->want_hash);
	w->top = cx->c->certs[cx->want_index];
	w->aia = cx->aia[0] != '\0';
	resolve_want(d, w);
	announce(d, w);
}

void diag_set_timeline(struct diag *d, const struct cs_timeline *tl, enum diag_trust_at mode,
		       int64_t date)
{
	dated_flush(d);
	d->tl = tl;
	d->mode = tl ? mode : DIAG_TRUST_TODAY;
	d->trust_date = date;
}

void diag_set_trust(struct diag *d, const struct cs_trust *t)
{
	dated_flush(d); /* they hold today's anchors: rebuilt from the new store when asked */
	d->trust = t;
	for (uint32_t i = 0; i < d->nwants; i++)
		if (d->wants[i].top) {
			resolve_want(d, &d->wants[i]);
			announce(d, &d->wants[i]);
		}
}

/* ---- public entry points -------------------------------------------------------- */

struct diag_verdict *diag_analyze(struct diag *d, const struct cs_chain *c, int64_t when,
				  const char *source)
{
	return diag_analyze_at(d, c, when, when, source);
}

struct diag_verdict *diag_analyze_at(struct diag *d, const struct cs_chain *c, int64_t when,
				     int64_t captured, const char *source)
{
	struct ctx *cx = calloc(1, sizeof(*cx));
	struct diag_verdict *v;

	if (!cx)
		return NULL;
	cx->d = d;
	cx->c = c;
	cx->t = when;
	cx->n = c->n_certs < CS_MAX_CHAIN_CERTS ? c->n_certs : CS_MAX_CHAIN_CERTS;
	for (size_t i = 0; i < cx->n; i++) { /* the report's facts come from this parse too */
		const struct cs_x509 *x = certcache_get(d->cc, c->certs[i]);
		const struct cs_cert_facts *f =
			x ? cert_facts_from(c->certs[i], x->x) : cert_facts(c->certs[i]);

		cx->sent[i] = f->parsed ? x : NULL;
	}
	choose_store(cx, captured);
	analyze(cx);
	if (second_look_wanted(cx))
		second_look(cx, captured);
	v = verdict_make(cx);
	d->st.analyses++;
	if (cx->exhausted)
		d->st.budget_exhausted++;
	else {
		if (cx->checks > d->st.max_checks)
			d->st.max_checks = cx->checks;
		if (cx->cost > d->st.max_cost)
			d->st.max_cost = cx->cost;
	}
	evidence_for(d, cx);
	for (size_t i = 1; source && i < cx->n; i++)
		if (cx->sent[i])
			pool_add(d, c->certs[i], NULL, DIAG_EV_SEEN_IN_CAPTURE, source);
	certcache_trim(d->cc);
	for (size_t i = 0; i < cx->nnci; i++)
		NAME_CONSTRAINTS_free(cx->nci[i].nc);
	free(cx);
	return v;
}

bool diag_key_usage_problem(const struct diag_verdict *v, uint16_t cipher_suite,
			    struct diag_problem *out)
{
	struct cs_kex k;

	if (!v || !v->leaf_has_ku || !cipher_suite_kex(cipher_suite, &k) ||
	    (v->leaf_ku & k.key_usage))
		return false;
	*out = (struct diag_problem){
		.code = CS_P_KEY_USAGE_MISMATCH,
		.severity = problem_default_severity(CS_P_KEY_USAGE_MISMATCH),
		.role = CS_ROLE_LEAF,
		.cert_index = 0,
		.num = v->leaf_ku,
		.subject = "",
		.name = k.name,
		.text = problem_ku_name(k.key_usage),
	};
	return true;
}

bool diag_hostname_ok(struct diag *d, const struct cs_chain *c, const char *sni, size_t n)
{
	const struct cs_x509 *leaf = c->n_certs ? certcache_get(d->cc, c->certs[0]) : NULL;
	char host[CS_MAX_SNI + 1];
	int r;

	d->st.hostname_checks++;
	if (!leaf || n > CS_MAX_SNI)
		return true; /* nothing to check it against: malformed_cert says why */
	if (n == 0 || memchr(sni, '\0', n))
		return false; /* no name matches (X509_check_host would take 0 as "use strlen") */
	memcpy(host, sni, n);
	host[n] = '\0';
	if (X509_check_ip_asc(leaf->x, host, 0) == 1)
		r = 1;
	else
		r = X509_check_host(leaf->x, sni, n, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS, NULL);
	ERR_clear_error();
	certcache_trim(d->cc);
	return r == 1;
}

const char *diag_store_name(unsigned store)
{
	static const char *const names[] = {
		[DIAG_STORE_TODAY] = "today",
		[DIAG_STORE_DATED] = "dated",
		[DIAG_STORE_TODAY_FALLBACK] = "today_fallback",
	};

	return store < CS_ARRAY_LEN(names) ? names[store] : names[DIAG_STORE_TODAY];
}

const char *diag_unknown_name(unsigned why)
{
	static const char *const names[DIAG_UNK_MAX] = {
		[DIAG_UNK_NONE] = "unknown",
		[DIAG_UNK_BUDGET] = "analysis_budget",
		[DIAG_UNK_DEFERRED] = "analysis_deferred",
		[DIAG_UNK_PENDING] = "no_room_to_wait",
	};

	return why < DIAG_UNK_MAX ? names[why] : names[DIAG_UNK_NONE];
}
