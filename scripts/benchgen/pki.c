/*
 * pki.c - the workloads' PKI: keys (cached in --key-dir), certificates with
 * the extensions public CAs write, the CA hierarchy of every profile, the
 * chains servers send (healthy, deliberately broken, hostile) and the servers
 * that send them.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509v3.h>

#include "benchgen.h"

/* What a certificate needs; serials come from the PKI PRNG. */
struct certspec {
	const char *cn, *org;
	X509 *issuer;         /* NULL: self-signed */
	EVP_PKEY *issuer_key; /* signs; the subject's own key when self-signed */
	EVP_PKEY *key;        /* the subject's key */
	int64_t not_before, not_after;
	bool ca;
	int pathlen;           /* -1: no pathLenConstraint */
	const char *san;       /* "DNS:a,DNS:b" (leaves) */
	const char *aia;       /* caIssuers URL or NULL */
	const char *crl;       /* CRL distribution point URL or NULL */
	const uint8_t *serial; /* 16 bytes */
};

static const char *const kt_name[KT_N] = {"rsa2048", "rsa4096", "p256", "p384"};

EVP_PKEY *key_generate(enum kt t)
{
	EVP_PKEY *k = NULL;

	switch (t) {
	case KT_RSA2048:
		k = EVP_RSA_gen(2048);
		break;
	case KT_RSA4096:
		k = EVP_RSA_gen(4096);
		break;
	case KT_P256:
		k = EVP_EC_gen("P-256");
		break;
	case KT_P384:
		k = EVP_EC_gen("P-384");
		break;
	case KT_N:
		break;
	}
	if (!k)
		die("cannot generate a %s key", kt_name[t]);
	return k;
}

static EVP_PKEY *key_load(const char *path)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k;

	if (!f)
		return NULL;
	k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	return k;
}

static void key_store(const char *path, EVP_PKEY *k)
{
	char tmp[4200];
	FILE *f;

	snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
	f = fopen(tmp, "w");
	if (!f)
		die("%s: %s", tmp, strerror(errno));
	if (!PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) || fclose(f) != 0)
		die("%s: cannot write the key", tmp);
	if (rename(tmp, path) != 0)
		die("%s: %s", path, strerror(errno));
}

/* A key for (role, type, index): from the --key-dir cache when it holds one,
 * else freshly generated (and cached). */
EVP_PKEY *key_get(const char *key_dir, const char *role, enum kt t, unsigned idx)
{
	char path[4096];
	EVP_PKEY *k;

	if (!key_dir)
		return key_generate(t);
	snprintf(path, sizeof path, "%s/%s-%s-%u.pem", key_dir, role, kt_name[t], idx);
	k = key_load(path);
	if (k)
		return k;
	k = key_generate(t);
	key_store(path, k);
	return k;
}

static enum kt key_type_of(EVP_PKEY *k)
{
	if (EVP_PKEY_is_a(k, "RSA"))
		return EVP_PKEY_get_bits(k) > 2048 ? KT_RSA4096 : KT_RSA2048;
	return EVP_PKEY_get_bits(k) > 256 ? KT_P384 : KT_P256;
}

static void cert_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, ctx, nid, value);

	if (!e || !X509_add_ext(x, e, -1))
		die("extension %s=%s", OBJ_nid2sn(nid), value);
	X509_EXTENSION_free(e);
}

static void cert_name(X509_NAME *n, const char *org, const char *cn)
{
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)org, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
}

static void cert_serial(X509 *x, const uint8_t serial[16])
{
	uint8_t s[16];
	BIGNUM *bn;

	memcpy(s, serial, 16);
	s[0] &= 0x7f; /* positive, 16 bytes as public CAs use */
	s[0] |= 0x01;
	bn = BN_bin2bn(s, 16, NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		die("serial");
	BN_free(bn);
}

/* Extensions the way public CAs write them (CA/Browser Forum profiles). */
static void cert_extensions(X509 *x, const struct certspec *s)
{
	X509V3_CTX ctx;
	char v[512];

	static CONF *empty_conf; /* certificatePolicies parses through a config database */

	if (!empty_conf && !(empty_conf = NCONF_new(NULL)))
		die("NCONF_new");
	X509V3_set_ctx(&ctx, s->issuer ? s->issuer : x, x, NULL, NULL, 0);
	X509V3_set_nconf(&ctx, empty_conf);
	if (s->ca) {
		if (s->pathlen >= 0)
			snprintf(v, sizeof v, "critical,CA:TRUE,pathlen:%d", s->pathlen);
		else
			snprintf(v, sizeof v, "critical,CA:TRUE");
		cert_ext(x, &ctx, NID_basic_constraints, v);
		cert_ext(x, &ctx, NID_key_usage, "critical,digitalSignature,keyCertSign,cRLSign");
	} else {
		cert_ext(x, &ctx, NID_basic_constraints, "critical,CA:FALSE");
		cert_ext(x, &ctx, NID_key_usage,
			 EVP_PKEY_is_a(s->key, "RSA") ? "critical,digitalSignature,keyEncipherment"
						      : "critical,digitalSignature");
	}
	if (s->issuer) /* intermediates and leaves (roots carry no EKU) */
		cert_ext(x, &ctx, NID_ext_key_usage, "serverAuth,clientAuth");
	cert_ext(x, &ctx, NID_subject_key_identifier, "hash");
	if (s->issuer)
		cert_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
	if (s->san)
		cert_ext(x, &ctx, NID_subject_alt_name, s->san);
	if (s->aia) {
		snprintf(v, sizeof v, "caIssuers;URI:%s", s->aia);
		cert_ext(x, &ctx, NID_info_access, v);
	}
	if (s->crl) {
		snprintf(v, sizeof v, "URI:%s", s->crl);
		cert_ext(x, &ctx, NID_crl_distribution_points, v);
	}
	if (s->issuer)
		cert_ext(x, &ctx, NID_certificate_policies,
			 s->ca ? "2.5.29.32.0" : "2.23.140.1.2.1");
}

/* X509_set_pubkey re-encodes the key through OpenSSL 3's provider encoders
 * and decoders on every call (~200 us, most of a leaf's cost); the keys are
 * few, so each is encoded once and its algorithm and bit string are copied
 * into every certificate that carries it. */
static struct {
	EVP_PKEY *key;
	X509_PUBKEY *pub;
} pubkey_cache[64];

static void cert_set_pubkey(X509 *x, EVP_PKEY *k)
{
	const ASN1_OBJECT *alg_obj;
	ASN1_OBJECT *key_obj;
	const unsigned char *bits;
	const void *param;
	X509_ALGOR *alg;
	X509_PUBKEY *src = NULL, *dst = X509_get_X509_PUBKEY(x);
	int nbits, ptype;
	unsigned char *copy;
	void *pval = NULL;
	size_t i;

	for (i = 0; i < sizeof pubkey_cache / sizeof *pubkey_cache && pubkey_cache[i].key; i++)
		if (pubkey_cache[i].key == k)
			src = pubkey_cache[i].pub;
	if (!src && i < sizeof pubkey_cache / sizeof *pubkey_cache) {
		if (!X509_PUBKEY_set(&pubkey_cache[i].pub, k))
			die("X509_PUBKEY_set");
		pubkey_cache[i].key = k;
		src = pubkey_cache[i].pub;
	}
	if (!src || !dst) { /* cache full (fresh hostile keys): the slow way */
		if (!X509_set_pubkey(x, k))
			die("public key");
		return;
	}
	if (!X509_PUBKEY_get0_param(&key_obj, &bits, &nbits, &alg, src))
		die("X509_PUBKEY_get0_param");
	X509_ALGOR_get0(&alg_obj, &ptype, &param, alg);
	if (ptype == V_ASN1_OBJECT)
		pval = OBJ_dup(param);
	else if (ptype == V_ASN1_SEQUENCE || ptype == V_ASN1_OCTET_STRING)
		pval = ASN1_STRING_dup(param);
	copy = OPENSSL_memdup(bits, (size_t)nbits);
	if (!copy || !X509_PUBKEY_set0_param(dst, OBJ_dup(alg_obj), ptype, pval, copy, nbits))
		die("X509_PUBKEY_set0_param");
}

/* Before a key is freed: its address may come back for another key. */
void pubkey_cache_forget(EVP_PKEY *k)
{
	size_t n = sizeof pubkey_cache / sizeof *pubkey_cache, i = 0;

	while (i < n && pubkey_cache[i].key && pubkey_cache[i].key != k)
		i++;
	if (i == n || !pubkey_cache[i].key)
		return;
	X509_PUBKEY_free(pubkey_cache[i].pub);
	for (; i + 1 < n && pubkey_cache[i + 1].key; i++)
		pubkey_cache[i] = pubkey_cache[i + 1];
	pubkey_cache[i].key = NULL;
	pubkey_cache[i].pub = NULL;
}

static X509 *cert_make(const struct certspec *s)
{
	X509 *x = X509_new();
	const EVP_MD *md;

	if (!x || !X509_set_version(x, X509_VERSION_3))
		die("X509_new");
	cert_serial(x, s->serial);
	cert_name(X509_get_subject_name(x), s->org, s->cn);
	if (!X509_set_issuer_name(x, s->issuer ? X509_get_subject_name(s->issuer)
					       : X509_get_subject_name(x)))
		die("issuer name");
	if (!ASN1_TIME_set(X509_getm_notBefore(x), (time_t)s->not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), (time_t)s->not_after))
		die("validity");
	cert_set_pubkey(x, s->key);
	cert_extensions(x, s);
	/* SHA-384 under P-384 and RSA-4096 issuers, as their CAs sign */
	md = key_type_of(s->issuer_key) == KT_P384 || key_type_of(s->issuer_key) == KT_RSA4096
		     ? EVP_sha384()
		     : EVP_sha256();
	if (!X509_sign(x, s->issuer_key, md))
		die("signing %s", s->cn);
	return x;
}

static struct der der_of(X509 *x)
{
	struct der d = {NULL, 0};
	unsigned char *p = NULL;
	int n = i2d_X509(x, &p);

	if (n <= 0)
		die("i2d_X509");
	d.p = xmalloc((size_t)n);
	memcpy(d.p, p, (size_t)n);
	d.len = (uint32_t)n;
	OPENSSL_free(p);
	return d;
}

const struct chain_kind_info ck_info[CK_N] = {
	[CK_OK] = {"ok", "[]", false},
	[CK_OK_DEEP] = {"ok_deep", "[]", false},
	[CK_OK_ROOT] = {"ok_root_included", "[]", false},
	[CK_LEAF_ONLY] = {"leaf_only", "[\"missing_intermediate\"]", true},
	[CK_WRONG_ORDER] = {"wrong_order", "[\"wrong_order\"]", true},
	[CK_EXPIRED_LEAF] = {"expired_leaf", "[\"expired_leaf\"]", true},
	[CK_UNTRUSTED_ROOT] = {"untrusted_root", "[\"untrusted_root\"]", true},
	[CK_HOSTNAME] = {"hostname_mismatch", "[\"hostname_mismatch\"]", true},
	[CK_HOSTILE_SHARED] = {"hostile_shared", "null", true},
	[CK_HOSTILE_FRESH] = {"hostile_fresh", "null", true},
};

static void serial_next(struct gen *g, uint8_t s[16]) { rng_fill(&g->r_pki, s, 16); }

static void ca_make(struct gen *g, struct ca *ca, struct ca *parent, EVP_PKEY *key, const char *cn,
		    int64_t nb, int64_t na, int pathlen)
{
	uint8_t serial[16];
	char crl[128];
	struct certspec s = {0};

	serial_next(g, serial);
	snprintf(ca->cn, sizeof ca->cn, "%s", cn);
	snprintf(crl, sizeof crl, "http://crl.bench.test/%s.crl", parent ? parent->cn : cn);
	for (char *p = crl; *p; p++)
		if (*p == ' ')
			*p = '-';
	ca->key = key;
	s.cn = cn;
	s.org = "Chainsniff Bench PKI";
	s.issuer = parent ? parent->x : NULL;
	s.issuer_key = parent ? parent->key : key;
	s.key = key;
	s.not_before = nb;
	s.not_after = na;
	s.ca = true;
	s.pathlen = pathlen;
	s.crl = parent ? crl : NULL;
	s.serial = serial;
	ca->x = cert_make(&s);
	ca->der = der_of(ca->x);
}

/* Key types of the CA levels: every type at every level, with P-384 as
 * common among intermediates as it is on the web (Let's Encrypt E5-E9). */
static const enum kt root_kts[7] = {KT_RSA2048, KT_RSA2048, KT_RSA4096, KT_P256,
				    KT_P256,    KT_P384,    KT_P384};

static const enum kt inter1_kts[14] = {KT_P384,    KT_RSA2048, KT_P256,    KT_P384,    KT_RSA2048,
				       KT_RSA4096, KT_P256,    KT_P384,    KT_RSA2048, KT_P256,
				       KT_P384,    KT_RSA4096, KT_RSA2048, KT_P256};

static const enum kt inter2_kts[4] = {KT_P256, KT_RSA2048, KT_P384, KT_P256};

static const unsigned leaf_key_count[KT_N] = {3, 1, 3, 3};

void pki_build_web(struct gen *g)
{
	struct pki *p = &g->pki;
	char cn[64];
	unsigned per_kt[KT_N] = {0};

	for (unsigned i = 0; i < 7; i++) {
		snprintf(cn, sizeof cn, "Bench Root R%u %s", i + 1, kt_name[root_kts[i]]);
		ca_make(g, &p->roots[i], NULL,
			key_get(g->key_dir, "root", root_kts[i], per_kt[root_kts[i]]++), cn,
			T0_EPOCH - 3650 * DAY, T0_EPOCH + 5475 * DAY, -1);
	}
	memset(per_kt, 0, sizeof per_kt);
	for (unsigned i = 0; i < 14; i++) {
		snprintf(cn, sizeof cn, "Bench CA %c%u %s", 'A' + (int)(i / 2), i % 2 + 1,
			 kt_name[inter1_kts[i]]);
		ca_make(g, &p->inter1[i], &p->roots[i / 2],
			key_get(g->key_dir, "inter", inter1_kts[i], per_kt[inter1_kts[i]]++), cn,
			T0_EPOCH - 700 * DAY, T0_EPOCH + 1100 * DAY, i < 4 ? 1 : 0);
	}
	for (unsigned i = 0; i < 4; i++) {
		snprintf(cn, sizeof cn, "Bench Issuing CA %u %s", i + 1, kt_name[inter2_kts[i]]);
		ca_make(g, &p->inter2[i], &p->inter1[i],
			key_get(g->key_dir, "inter", inter2_kts[i], per_kt[inter2_kts[i]]++), cn,
			T0_EPOCH - 400 * DAY, T0_EPOCH + 800 * DAY, 0);
	}
	ca_make(g, &p->untrusted_root, NULL, key_get(g->key_dir, "untrusted", KT_RSA2048, 0),
		"Bench Untrusted Root", T0_EPOCH - 2000 * DAY, T0_EPOCH + 2000 * DAY, -1);
	ca_make(g, &p->untrusted_inter, &p->untrusted_root,
		key_get(g->key_dir, "untrusted", KT_P256, 1), "Bench Untrusted CA",
		T0_EPOCH - 500 * DAY, T0_EPOCH + 900 * DAY, 0);
	for (int t = 0; t < KT_N; t++)
		for (unsigned i = 0; i < leaf_key_count[t]; i++)
			p->leaf_keys[t][p->nleaf_keys[t]++] =
				key_get(g->key_dir, "leaf", (enum kt)t, i);
}

/* manychains: a P-256 root with four P-256 intermediates, three leaf keys. */
void pki_build_many(struct gen *g)
{
	struct pki *p = &g->pki;
	char cn[64];

	ca_make(g, &p->many_root, NULL, key_get(g->key_dir, "many-root", KT_P256, 0),
		"Bench Many Root p256", T0_EPOCH - 3650 * DAY, T0_EPOCH + 5475 * DAY, -1);
	for (unsigned i = 0; i < 4; i++) {
		snprintf(cn, sizeof cn, "Bench Many CA %u p256", i + 1);
		ca_make(g, &p->many_inter[i], &p->many_root,
			key_get(g->key_dir, "many-inter", KT_P256, i), cn, T0_EPOCH - 700 * DAY,
			T0_EPOCH + 1100 * DAY, 0);
	}
	for (unsigned i = 0; i < 3; i++)
		p->leaf_keys[KT_P256][p->nleaf_keys[KT_P256]++] =
			key_get(g->key_dir, "leaf", KT_P256, i);
}

void roots_write(struct gen *g, const struct ca *const *roots, size_t n)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof path, "%s.roots.pem", g->prefix);
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	for (size_t i = 0; i < n; i++)
		if (!PEM_write_X509(f, roots[i]->x))
			die("%s: cannot write", path);
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

uint32_t chain_new(struct gen *g, enum chain_kind kind, uint32_t ncerts)
{
	struct chain *c;

	if (g->nchains == g->capchains) {
		g->capchains = g->capchains ? g->capchains * 2 : 1024;
		g->chains = xrealloc(g->chains, g->capchains * sizeof *g->chains);
	}
	c = &g->chains[g->nchains];
	memset(c, 0, sizeof *c);
	c->kind = kind;
	c->ncerts = ncerts;
	c->certs = xcalloc(ncerts, sizeof *c->certs);
	c->shared = xcalloc(ncerts, sizeof *c->shared);
	return g->nchains++;
}

void chain_set(struct chain *c, uint32_t i, struct der d, bool shared)
{
	c->certs[i] = d;
	c->shared[i] = shared;
}

/* Fills in what the Certificate message and the ground truth need. */
void chain_seal(struct chain *c)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 0;

	c->tls_len = 3;
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL))
		die("sha256");
	for (uint32_t i = 0; i < c->ncerts; i++) {
		c->tls_len += 3 + c->certs[i].len;
		EVP_DigestUpdate(md, c->certs[i].p, c->certs[i].len);
	}
	if (!EVP_DigestFinal_ex(md, c->sha256, &n))
		die("sha256");
	EVP_MD_CTX_free(md);
}

struct der leaf_make(struct gen *g, const struct leafspec *l)
{
	struct rng *r = &g->r_pki;
	uint8_t serial[16];
	char aia[160];
	struct certspec s = {0};
	X509 *x;
	struct der d;
	int64_t na;

	serial_next(g, serial);
	if (l->expired) {
		na = T0_EPOCH - (int64_t)rng_range(r, 5, 60) * DAY;
	} else {
		/* at least 45 days left after the capture: no expiring_soon */
		na = T0_EPOCH + (int64_t)rng_range(r, 45, 300) * DAY + rng_range(r, 0, 86399);
	}
	s.not_after = na;
	s.not_before = na - (rng_chance(r, 0.5) ? 90 : 397) * DAY;
	if (s.not_before > T0_EPOCH - DAY)
		s.not_before = T0_EPOCH - DAY;
	snprintf(aia, sizeof aia, "http://ca.bench.test/%s.der", l->issuer->cn);
	for (char *p = aia; *p; p++)
		if (*p == ' ')
			*p = '-';
	s.cn = l->cn;
	s.org = "Chainsniff Bench Servers";
	s.issuer = l->issuer->x;
	s.issuer_key = l->issuer->key;
	s.key = l->key;
	s.pathlen = -1;
	s.san = l->san;
	s.aia = l->aia ? aia : NULL;
	s.serial = serial;
	x = cert_make(&s);
	d = der_of(x);
	X509_free(x);
	return d;
}

static enum kt leaf_kt_draw(struct rng *r)
{
	double u = rng_unit(r);

	/* what a TLS scan of popular sites sees, roughly */
	if (u < 0.45)
		return KT_RSA2048;
	if (u < 0.55)
		return KT_RSA4096;
	if (u < 0.85)
		return KT_P256;
	return KT_P384;
}

/* SAN list naming every server that uses the chain (or, for a hostname
 * mismatch, other names). */
static char *san_for(const struct gen *g, uint32_t chain, bool mismatch)
{
	struct buf b = {0};
	char one[96];
	size_t n = 0;

	for (uint32_t s = 0; s < g->nservers; s++) {
		if (g->servers[s].chain != chain)
			continue;
		snprintf(one, sizeof one, "%sDNS:%s%s", n ? "," : "", mismatch ? "other-" : "",
			 g->servers[s].sni);
		buf_put(&b, one, strlen(one));
		n++;
	}
	if (!n)
		buf_put(&b, "DNS:unused.bench.test", 21);
	buf_u8(&b, 0);
	return (char *)b.p;
}

/* One chain of the web PKI of the given kind. */
static void chain_build_web(struct gen *g, uint32_t ci)
{
	struct rng *r = &g->r_pki;
	struct chain *c = &g->chains[ci];
	struct pki *p = &g->pki;
	struct leafspec l = {0};
	char cn[96];
	char *san;
	uint32_t i1 = rng_below(r, 14), i2 = rng_below(r, 4);
	enum kt kt = leaf_kt_draw(r);
	const struct ca *issuer = &p->inter1[i1];

	c->leaf_kt = kt;
	if (c->kind == CK_OK_DEEP || c->kind == CK_WRONG_ORDER)
		issuer = &p->inter2[i2];
	if (c->kind == CK_UNTRUSTED_ROOT)
		issuer = &p->untrusted_inter;
	san = san_for(g, ci, c->kind == CK_HOSTNAME);
	snprintf(cn, sizeof cn, "%.80s", san + 4); /* the first DNS name */
	cn[strcspn(cn, ",")] = '\0';
	l.key = p->leaf_keys[kt][rng_below(r, p->nleaf_keys[kt])];
	l.issuer = issuer;
	l.san = san;
	l.cn = cn;
	l.aia = c->kind == CK_LEAF_ONLY || rng_chance(r, 0.4);
	l.expired = c->kind == CK_EXPIRED_LEAF;
	chain_set(c, 0, leaf_make(g, &l), false);
	free(san);
	switch (c->kind) {
	case CK_OK:
	case CK_EXPIRED_LEAF:
	case CK_HOSTNAME:
		chain_set(c, 1, issuer->der, true);
		break;
	case CK_OK_DEEP:
		chain_set(c, 1, issuer->der, true);
		chain_set(c, 2, p->inter1[i2].der, true);
		break;
	case CK_WRONG_ORDER:
		chain_set(c, 1, p->inter1[i2].der, true);
		chain_set(c, 2, issuer->der, true);
		break;
	case CK_OK_ROOT:
		chain_set(c, 1, issuer->der, true);
		chain_set(c, 2, p->roots[i1 / 2].der, true);
		break;
	case CK_UNTRUSTED_ROOT:
		chain_set(c, 1, p->untrusted_inter.der, true);
		chain_set(c, 2, p->untrusted_root.der, true);
		break;
	case CK_LEAF_ONLY:
	case CK_HOSTILE_SHARED:
	case CK_HOSTILE_FRESH:
	case CK_N:
		break;
	}
	chain_seal(c);
}

static uint32_t chain_len_of(enum chain_kind k)
{
	switch (k) {
	case CK_LEAF_ONLY:
		return 1;
	case CK_OK_DEEP:
	case CK_OK_ROOT:
	case CK_WRONG_ORDER:
	case CK_UNTRUSTED_ROOT:
		return 3;
	case CK_HOSTILE_SHARED:
	case CK_HOSTILE_FRESH:
		return 32;
	default:
		return 2;
	}
}

/* Web servers: rank = popularity.  Every fourth shares its address with the
 * one before (name-based virtual hosting); one in twenty listens on 8443.
 * The broken servers get one broken chain each, at spread-out ranks; the
 * others share the healthy chains round-robin. */
void servers_build_web(struct gen *g, uint32_t nservers, uint32_t nok, uint32_t broken_per_kind,
		       uint32_t net)
{
	struct rng *r = &g->r_pki;
	uint32_t nbroken = broken_per_kind * BROKEN_KINDS;
	uint32_t step, okc = 0;
	bool *is_broken;

	if (nservers < nbroken + 4)
		nservers = nbroken + 4;
	g->nservers = nservers;
	g->servers = xcalloc(nservers, sizeof *g->servers);
	is_broken = xcalloc(nservers, sizeof *is_broken);
	step = nservers / (nbroken + nbroken / 4 + 1);
	if (step < 1)
		step = 1;
	for (uint32_t k = 0; k < nbroken; k++) {
		enum chain_kind kind = (enum chain_kind)(CK_LEAF_ONLY + k % BROKEN_KINDS);
		uint32_t s = 3 + k * step;
		uint32_t ci = chain_new(g, kind, chain_len_of(kind));

		while (is_broken[s % nservers])
			s++;
		s %= nservers;
		is_broken[s] = true;
		g->servers[s].chain = ci;
		snprintf(g->servers[s].sni, sizeof g->servers[s].sni, "s%05u.%s.bench.test", s,
			 ck_info[kind].name);
		for (char *p = g->servers[s].sni; *p; p++)
			if (*p == '_')
				*p = '-';
	}
	for (uint32_t i = 0; i < nok; i++) {
		double u = rng_unit(r);
		enum chain_kind kind = u < 0.75 ? CK_OK : u < 0.93 ? CK_OK_DEEP : CK_OK_ROOT;

		chain_new(g, kind, chain_len_of(kind));
	}
	for (uint32_t s = 0; s < nservers; s++) {
		struct server *sv = &g->servers[s];
		uint32_t host = s - s / 4;

		sv->ip = net + 1 + host + host / 250 * 6; /* skip .0 and .251-.255 of each /24 */
		sv->port = s % 20 == 7 ? 8443 : 443;
		if (is_broken[s])
			continue;
		sv->chain = nbroken + okc++ % nok;
		snprintf(sv->sni, sizeof sv->sni, "s%05u.bench.test", s);
		/* the two most popular stay on TLS 1.2 so shares do not swing by seed */
		sv->tls13 = s >= 2 && rng_chance(r, g->tls13_share);
	}
	free(is_broken);
	for (uint32_t ci = 0; ci < g->nchains; ci++)
		chain_build_web(g, ci);
	zipf_init(&g->popularity, nservers, 1.0);
}

/* hostile: 31 CA certificates over 4 names in a cycle, every one with the
 * same P-384 key, so each verifies as the issuer of each certificate whose
 * issuer name is its subject; no path ever reaches an anchor. */
void hostile_cas(struct gen *g, EVP_PKEY *key, struct der *out, X509 **leaf_issuer)
{
	static const char *const names[4] = {"Hostile Cycle CA A", "Hostile Cycle CA B",
					     "Hostile Cycle CA C", "Hostile Cycle CA D"};
	X509 *by_name[4] = {NULL, NULL, NULL, NULL};

	/* issuer templates: one self-named certificate per name gives
	 * X509_set_issuer_name and the AKI their values */
	for (int i = 0; i < 4; i++) {
		uint8_t serial[16];
		struct certspec s = {0};

		serial_next(g, serial);
		s.cn = names[i];
		s.org = "Hostile Bench";
		s.issuer_key = key;
		s.key = key;
		s.not_before = T0_EPOCH - 100 * DAY;
		s.not_after = T0_EPOCH + 1000 * DAY;
		s.ca = true;
		s.pathlen = -1;
		s.serial = serial;
		by_name[i] = cert_make(&s);
	}
	for (int j = 1; j <= 31; j++) {
		uint8_t serial[16];
		struct certspec s = {0};
		X509 *x;

		serial_next(g, serial);
		s.cn = names[(j - 1) % 4];
		s.org = "Hostile Bench";
		s.issuer = by_name[j % 4];
		s.issuer_key = key;
		s.key = key;
		s.not_before = T0_EPOCH - 100 * DAY - j * 3600;
		s.not_after = T0_EPOCH + 1000 * DAY;
		s.ca = true;
		s.pathlen = -1;
		s.serial = serial;
		x = cert_make(&s);
		out[j - 1] = der_of(x);
		X509_free(x);
	}
	*leaf_issuer = by_name[0];
	for (int i = 1; i < 4; i++)
		X509_free(by_name[i]);
}

static void ca_free(struct ca *ca)
{
	X509_free(ca->x);
	EVP_PKEY_free(ca->key);
	free(ca->der.p);
}

/* The chains, the CAs, the leaf keys and the key cache. */
void pki_free(struct gen *g)
{
	struct pki *p = &g->pki;

	for (uint32_t i = 0; i < g->nchains; i++) {
		for (uint32_t j = 0; j < g->chains[i].ncerts; j++)
			if (!g->chains[i].shared[j])
				free(g->chains[i].certs[j].p);
		free(g->chains[i].certs);
		free(g->chains[i].shared);
	}
	free(g->chains);
	for (int i = 0; i < 7; i++)
		ca_free(&p->roots[i]);
	for (int i = 0; i < 14; i++)
		ca_free(&p->inter1[i]);
	for (int i = 0; i < 4; i++) {
		ca_free(&p->inter2[i]);
		ca_free(&p->many_inter[i]);
	}
	ca_free(&p->untrusted_root);
	ca_free(&p->untrusted_inter);
	ca_free(&p->many_root);
	for (int t = 0; t < KT_N; t++)
		for (unsigned i = 0; i < p->nleaf_keys[t]; i++)
			EVP_PKEY_free(p->leaf_keys[t][i]);
	for (size_t i = 0; i < sizeof pubkey_cache / sizeof *pubkey_cache; i++)
		X509_PUBKEY_free(pubkey_cache[i].pub);
}
