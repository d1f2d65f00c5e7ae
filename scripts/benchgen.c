/*
 * benchgen.c - deterministic synthetic capture workloads for scripts/bench.sh.
 *
 *   benchgen -p PROFILE -o PREFIX [-s SEED] [--scale F | -n CONNECTIONS]
 *            [--key-dir DIR] [--dump-chains DIR] [--slice-mib N]
 *
 * Writes PREFIX.pcap (Ethernet, IPv4, TCP with real sequence and
 * acknowledgement numbers, DNS over UDP; microsecond pcap), PREFIX.roots.pem
 * (the workload's trust anchors, for chainsniff --ca-file) and
 * PREFIX.truth.json (what a correct analyzer reports: connections, handshakes,
 * distinct chains and servers, the deliberately broken servers with their
 * problem codes, and the same counts for the first --slice-mib MiB, which
 * bench.sh cuts for tshark and for the live replay).
 *
 * Profiles (issue 9; the numbers are the defaults, --scale multiplies them):
 *  handshake   300,000 TLS connections to 2,000 servers of Zipf popularity,
 *              312 distinct chains, resumed and TLS 1.3 connections mixed in.
 *  gateway     50,000 flows over ~2 GiB: 20,000 TLS (bulk application data
 *              in full-MSS segments is ~80% of the bytes), HTTP, SSH-like TCP
 *              and DNS over UDP as ~10% non-TLS noise.
 *  manychains  60,000 handshakes, each with its own 2-certificate chain
 *              (P-256 leaf under a P-256 intermediate) to its own server.
 *  hostile     200 handshakes whose 32-certificate chains (a leaf under 31
 *              CA certificates over 4 names in a cycle, all signed with one
 *              P-384 key) make path building explode: the first 150 share
 *              their CA certificates, the last 50 bring 31 fresh ones under a
 *              fresh key each; then one ordinary leaf-only handshake (a
 *              missing intermediate), last in time.
 *
 * The PKI is made with libcrypto: roots, intermediates and leaves with
 * RSA-2048, RSA-4096, ECDSA P-256 and P-384 keys at every level (verifying
 * P-384 costs ~35x RSA-2048, so the mix matters), with the extensions public
 * CAs issue (basicConstraints, keyUsage, EKU serverAuth, SAN DNS names that
 * match the SNI, SKI/AKI, certificatePolicies, CRL distribution points,
 * caIssuers AIA on some leaves) and validity around the capture date.
 * Deliberately broken chains: leaf only (missing intermediate), wrong order,
 * expired leaf, untrusted root, hostname mismatch.
 *
 * TLS is scripted the way OpenSSL 3.0 s_client and s_server talk (the shapes
 * of pcaps/lab/one-intermediate.pcap, resumption.pcap and tls13.pcap, read
 * with tshark): TCP handshake; a ClientHello offering TLS 1.3 and 1.2; a
 * TLS 1.2 server flight of ServerHello, Certificate, ServerKeyExchange and
 * ServerHelloDone, one record each, cut into MSS-sized segments;
 * ClientKeyExchange, ChangeCipherSpec, Finished; NewSessionTicket,
 * ChangeCipherSpec, Finished; application data; close_notify and FIN.
 * Resumed sessions send a ticket and get ServerHello, ChangeCipherSpec,
 * Finished (no Certificate); TLS 1.3 servers answer ServerHello
 * (supported_versions 0x0304), ChangeCipherSpec and encrypted records.
 * The capture point is next to the clients: a server's answer is seen one
 * RTT after the client's packet.  Connections arrive as a Poisson process
 * with their own RTT and client address; their packets are merged in time
 * order with a heap, so connections overlap as on a real link.
 *
 * Determinism: every choice (servers, popularity, chain shapes, timing,
 * sizes, payload bytes, certificate serials and names) comes from a PRNG
 * seeded with --seed, so two runs with the same seed and scale give the same
 * connections, handshakes, chains and verdicts.  Key pairs and ECDSA
 * signatures come from libcrypto's RNG: certificate bytes, chain SHA-256s
 * and, through the 1-2 byte length jitter of ECDSA signatures, a few frame
 * lengths differ between generations.  --key-dir DIR keeps the key pairs
 * between runs (RSA-4096 generation takes seconds); it is a cache, not a
 * secret.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/conf.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define BENCHGEN_VERSION 1

/* Capture date of every workload: 2025-05-12T08:00:00Z. */
#define T0_EPOCH 1747036800LL
#define DAY 86400LL
#define USEC 1000000ULL

/* Link: Ethernet MTU 1500, TCP timestamps on every segment (Linux). */
#define MSS 1448u
#define ETH_LEN 14u
#define IP_LEN 20u
#define TCP_LEN 20u
#define TCP_OPT_SYN 20u
#define TCP_OPT_TS 12u
#define UDP_LEN 8u
#define FRAME_MAX 1600u

/* TLS records of bulk application data: 2^14 plaintext bytes with AES-GCM's
 * 8-byte explicit nonce and 16-byte tag, as OpenSSL writes them. */
#define TLS_REC_MAX 16384u
#define BULK_REC_BODY (16384u + 24u)
#define BULK_REC (5u + BULK_REC_BODY)

/* Payload bytes that are not structure (ciphertext, keys, bodies) are taken
 * from a pool of PRNG bytes at a per-flight offset. */
#define POOL_SIZE (1u << 20)

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("benchgen: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	ERR_print_errors_fp(stderr);
	exit(1);
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		die("out of memory (%zu bytes)", n);
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (!p)
		die("out of memory (%zu x %zu bytes)", n, size);
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		die("out of memory (%zu bytes)", n);
	return q;
}

/* PRNG: xoshiro256** seeded through splitmix64 (Blackman and Vigna). ------ */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Separate streams for the PKI, the traffic and the payload, so that a
 * change in one (say, a longer certificate) does not reshuffle the others. */
static void rng_seed(struct rng *r, uint64_t seed, uint64_t stream)
{
	uint64_t x = seed * 0x2545f4914f6cdd1dULL + stream;

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t rotl64(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_u64(struct rng *r)
{
	uint64_t *s = r->s;
	uint64_t out = rotl64(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl64(s[3], 45);
	return out;
}

static double rng_unit(struct rng *r)
{
	return (double)(rng_u64(r) >> 11) * 0x1.0p-53;
}

/* Uniform in [0, n), n > 0 (Lemire's multiply-shift; the bias is < 2^-32). */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_u64(r) >> 32) * (uint64_t)n) >> 32);
}

static uint32_t rng_range(struct rng *r, uint32_t lo, uint32_t hi)
{
	return lo + rng_below(r, hi - lo + 1);
}

static bool rng_chance(struct rng *r, double p)
{
	return rng_unit(r) < p;
}

static double rng_exp(struct rng *r, double mean)
{
	return -mean * log1p(-rng_unit(r));
}

/* Log-normal with the given median; sigma is the spread of its logarithm. */
static double rng_lognormal(struct rng *r, double median, double sigma)
{
	double u1 = rng_unit(r), u2 = rng_unit(r);
	double z = sqrt(-2.0 * log1p(-u1)) * cos(2.0 * M_PI * u2);

	return median * exp(sigma * z);
}

static void rng_fill(struct rng *r, uint8_t *p, size_t n)
{
	while (n >= 8) {
		uint64_t v = rng_u64(r);

		memcpy(p, &v, 8);
		p += 8;
		n -= 8;
	}
	if (n) {
		uint64_t v = rng_u64(r);

		memcpy(p, &v, n);
	}
}

static void shuffle_u8(struct rng *r, uint8_t *a, size_t n)
{
	for (size_t i = n; i > 1; i--) {
		size_t j = rng_below(r, (uint32_t)i);
		uint8_t t = a[i - 1];

		a[i - 1] = a[j];
		a[j] = t;
	}
}

/* Zipf popularity (exponent 1): rank 0 is the most popular. */
struct zipf {
	double *cdf;
	uint32_t n;
};

static void zipf_init(struct zipf *z, uint32_t n, double s)
{
	double sum = 0;

	z->n = n;
	z->cdf = xmalloc(n * sizeof *z->cdf);
	for (uint32_t i = 0; i < n; i++) {
		sum += 1.0 / pow((double)(i + 1), s);
		z->cdf[i] = sum;
	}
	for (uint32_t i = 0; i < n; i++)
		z->cdf[i] /= sum;
}

static uint32_t zipf_draw(const struct zipf *z, struct rng *r)
{
	double u = rng_unit(r);
	uint32_t lo = 0, hi = z->n - 1;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (z->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Growable byte buffer with big-endian writers. --------------------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t more)
{
	if (b->len + more <= b->cap)
		return;
	while (b->len + more > b->cap)
		b->cap = b->cap ? b->cap * 2 : 1024;
	b->p = xrealloc(b->p, b->cap);
}

static void buf_put(struct buf *b, const void *d, size_t n)
{
	if (!n)
		return;
	buf_reserve(b, n);
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void buf_u8(struct buf *b, unsigned v)
{
	uint8_t x = (uint8_t)v;

	buf_put(b, &x, 1);
}

static void buf_u16(struct buf *b, unsigned v)
{
	uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};

	buf_put(b, x, 2);
}

static void buf_u24(struct buf *b, size_t v)
{
	uint8_t x[3] = {(uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};

	buf_put(b, x, 3);
}

static void buf_rand(struct buf *b, struct rng *r, size_t n)
{
	buf_reserve(b, n);
	rng_fill(r, b->p + b->len, n);
	b->len += n;
}

/* Opens a length field of `width` bytes; buf_close fills it in. */
static size_t buf_open(struct buf *b, int width)
{
	size_t at = b->len;
	uint8_t zero[3] = {0, 0, 0};

	buf_put(b, zero, (size_t)width);
	return at;
}

static void buf_close(struct buf *b, size_t at, int width)
{
	size_t n = b->len - at - (size_t)width;

	for (int i = width - 1; i >= 0; i--, n >>= 8)
		b->p[at + (size_t)i] = (uint8_t)n;
}

static void buf_free(struct buf *b)
{
	free(b->p);
	memset(b, 0, sizeof *b);
}

/* Keys. ------------------------------------------------------------------ */

enum kt { KT_RSA2048, KT_RSA4096, KT_P256, KT_P384, KT_N };
static const char *const kt_name[KT_N] = {"rsa2048", "rsa4096", "p256", "p384"};

static EVP_PKEY *key_generate(enum kt t)
{
	EVP_PKEY *k = NULL;

	switch (t) {
	case KT_RSA2048: k = EVP_RSA_gen(2048); break;
	case KT_RSA4096: k = EVP_RSA_gen(4096); break;
	case KT_P256: k = EVP_EC_gen("P-256"); break;
	case KT_P384: k = EVP_EC_gen("P-384"); break;
	case KT_N: break;
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
static EVP_PKEY *key_get(const char *key_dir, const char *role, enum kt t, unsigned idx)
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

/* Certificates. ----------------------------------------------------------- */

struct der {
	uint8_t *p;
	uint32_t len;
};

struct certspec {
	const char *cn, *org;
	X509 *issuer;          /* NULL: self-signed */
	EVP_PKEY *issuer_key;  /* signs; the subject's own key when self-signed */
	EVP_PKEY *key;         /* the subject's key */
	int64_t not_before, not_after;
	bool ca;
	int pathlen;           /* -1: no pathLenConstraint */
	const char *san;       /* "DNS:a,DNS:b" (leaves) */
	const char *aia;       /* caIssuers URL or NULL */
	const char *crl;       /* CRL distribution point URL or NULL */
	const uint8_t *serial; /* 16 bytes */
};

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
		cert_ext(x, &ctx, NID_certificate_policies, s->ca ? "2.5.29.32.0" : "2.23.140.1.2.1");
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
static void pubkey_cache_forget(EVP_PKEY *k)
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
		     ? EVP_sha384() : EVP_sha256();
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

/* A certificate authority of the workload's PKI. */
struct ca {
	X509 *x;
	EVP_PKEY *key;
	struct der der;
	char cn[64];
};

/* Chains. ------------------------------------------------------------------ */

enum chain_kind {
	CK_OK,            /* leaf, intermediate */
	CK_OK_DEEP,       /* leaf, intermediate, its issuing intermediate */
	CK_OK_ROOT,       /* leaf, intermediate, root (root_included warning) */
	CK_LEAF_ONLY,     /* leaf without its intermediate */
	CK_WRONG_ORDER,   /* leaf, the top intermediate, then the issuing one */
	CK_EXPIRED_LEAF,
	CK_UNTRUSTED_ROOT,/* leaf, intermediate, a self-signed root not in the bundle */
	CK_HOSTNAME,      /* the leaf names other hosts than the SNI */
	CK_HOSTILE_SHARED,/* 32-certificate cycle, CA certificates shared */
	CK_HOSTILE_FRESH, /* 32-certificate cycle under a fresh key */
	CK_N
};

static const struct {
	const char *name;
	const char *codes; /* JSON array of the error codes a correct verdict has */
	bool broken;
} ck_info[CK_N] = {
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

#define BROKEN_KINDS 5 /* CK_LEAF_ONLY .. CK_HOSTNAME */

struct chain {
	struct der *certs; /* sent order; certs[i].p owned unless shared[i] */
	bool *shared;
	uint32_t ncerts;
	uint32_t tls_len;   /* bytes of the TLS Certificate message body */
	enum chain_kind kind;
	enum kt leaf_kt;
	bool seen, seen_in_slice;
	uint8_t sha256[32];
};

/* The server list and the PKI built for a profile. */
struct server {
	uint32_t ip;
	uint16_t port;
	bool tls13;         /* negotiates TLS 1.3: its chain is never visible */
	bool full_seen;     /* a full handshake happened: tickets exist */
	uint32_t chain;
	char sni[64];
	uint32_t tls_hs, chain_hs;
};

struct pki {
	struct ca roots[7];
	struct ca inter1[14];   /* two under each root */
	struct ca inter2[4];    /* under inter1[0..3]: deep chains */
	struct ca untrusted_root, untrusted_inter;
	struct ca many_root, many_inter[4]; /* manychains: all P-256 */
	EVP_PKEY *leaf_keys[KT_N][3];
	unsigned nleaf_keys[KT_N];
};

/* Connections and the packet engine. ----------------------------------------- */

enum conn_kind { K_TLS, K_HTTP, K_SSH, K_DNS };
enum tls_mode { M_FULL12, M_RESUMED12, M_TLS13 };
enum flight_src { FL_BUF, FL_BULK_TLS, FL_BULK_RAW };

#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_PSH 0x08
#define TH_ACK 0x10

struct flight {
	uint32_t off, len;  /* FL_BUF: bytes in conn->data */
	uint8_t dir, src;
	uint32_t pool_off;  /* FL_BULK_*: where in the pool the bytes start */
};

struct pdesc {
	uint64_t t;        /* capture time, microseconds since T0 */
	uint32_t seq, ack; /* relative to the sender's / receiver's ISN */
	uint32_t len, foff;
	uint32_t ord;      /* scripting order: tie-break when sorting */
	uint16_t flight;
	uint8_t dir, flags;
	uint8_t mark;      /* PM_* below */
};

#define PM_CLIENT_HELLO 1
#define PM_CERT_DONE 2

struct conn {
	uint64_t id;
	uint8_t kind, mode;
	bool udp;
	uint32_t ip[2];
	uint16_t port[2];
	uint32_t isn[2], ts0[2];
	uint16_t ipid[2];
	uint8_t ttl[2];
	uint32_t rtt;      /* microseconds */
	uint64_t clock;    /* scripting: time of the last packet placed */
	uint32_t sent[2];  /* scripting: sequence space used by each side */
	struct buf data;
	struct flight *fl;
	size_t nfl, capfl;
	struct pdesc *pk;
	size_t npk, cappk, next;
	int32_t server;    /* index or -1 */
	int32_t chain;     /* chain whose Certificate message it carries, or -1 */
	bool bulk;
};

struct heap {
	struct conn **a;
	size_t n, cap;
};

/* Arrival of one connection, drawn by a profile. */
struct spec {
	uint64_t t;
	uint8_t kind;
	int32_t server;
	uint32_t client;
	uint64_t resp_bytes; /* server -> client application bytes */
	bool bulk;
};

/* Everything one generation needs. */
struct gen {
	const char *profile, *prefix, *key_dir, *dump_dir;
	uint64_t seed;
	double scale;
	uint64_t slice_limit;      /* file bytes of the slice */
	struct rng r_pki, r_traffic, r_payload;
	uint8_t *pool;
	struct pki pki;
	struct chain *chains;
	uint32_t nchains, capchains;
	struct server *servers;
	uint32_t nservers;
	struct zipf popularity;
	uint32_t nclients;
	uint16_t *client_port;
	uint64_t duration_us;
	double tls13_share, resume_p;
	/* output */
	FILE *pcap;
	uint64_t file_bytes, packets, wire_bytes, last_t;
	uint64_t flows, tcp_flows, udp_flows, flows_by_kind[4];
	uint64_t tls_hs, chain_hs, tls13, resumed;
	uint64_t bulk_payload, bulk_frame_bytes, noise_frame_bytes;
	uint64_t slice_packets, slice_bytes, slice_tls_hs, slice_cert_msgs;
	bool slice_done;
	uint64_t next_conn_id;
};

/* --- PKI ------------------------------------------------------------------ */

static void serial_next(struct gen *g, uint8_t s[16])
{
	rng_fill(&g->r_pki, s, 16);
}

static void ca_make(struct gen *g, struct ca *ca, struct ca *parent, EVP_PKEY *key, const char *cn,
		    int64_t nb, int64_t na, int pathlen)
{
	uint8_t serial[16];
	char crl[128];
	struct certspec s = {0};

	serial_next(g, serial);
	snprintf(ca->cn, sizeof ca->cn, "%s", cn);
	snprintf(crl, sizeof crl, "http://crl.bench.test/%s.crl",
		 parent ? parent->cn : cn);
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
static const enum kt root_kts[7] = {KT_RSA2048, KT_RSA2048, KT_RSA4096, KT_P256, KT_P256, KT_P384, KT_P384};
static const enum kt inter1_kts[14] = {KT_P384, KT_RSA2048, KT_P256, KT_P384, KT_RSA2048, KT_RSA4096, KT_P256,
				       KT_P384, KT_RSA2048, KT_P256, KT_P384, KT_RSA4096, KT_RSA2048, KT_P256};
static const enum kt inter2_kts[4] = {KT_P256, KT_RSA2048, KT_P384, KT_P256};
static const unsigned leaf_key_count[KT_N] = {3, 1, 3, 3};

static void pki_build_web(struct gen *g)
{
	struct pki *p = &g->pki;
	char cn[64];
	unsigned per_kt[KT_N] = {0};

	for (unsigned i = 0; i < 7; i++) {
		snprintf(cn, sizeof cn, "Bench Root R%u %s", i + 1, kt_name[root_kts[i]]);
		ca_make(g, &p->roots[i], NULL, key_get(g->key_dir, "root", root_kts[i], per_kt[root_kts[i]]++), cn,
			T0_EPOCH - 3650 * DAY, T0_EPOCH + 5475 * DAY, -1);
	}
	memset(per_kt, 0, sizeof per_kt);
	for (unsigned i = 0; i < 14; i++) {
		snprintf(cn, sizeof cn, "Bench CA %c%u %s", 'A' + (int)(i / 2), i % 2 + 1, kt_name[inter1_kts[i]]);
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
	ca_make(g, &p->untrusted_inter, &p->untrusted_root, key_get(g->key_dir, "untrusted", KT_P256, 1),
		"Bench Untrusted CA", T0_EPOCH - 500 * DAY, T0_EPOCH + 900 * DAY, 0);
	for (int t = 0; t < KT_N; t++)
		for (unsigned i = 0; i < leaf_key_count[t]; i++)
			p->leaf_keys[t][p->nleaf_keys[t]++] = key_get(g->key_dir, "leaf", (enum kt)t, i);
}

/* manychains: a P-256 root with four P-256 intermediates, three leaf keys. */
static void pki_build_many(struct gen *g)
{
	struct pki *p = &g->pki;
	char cn[64];

	ca_make(g, &p->many_root, NULL, key_get(g->key_dir, "many-root", KT_P256, 0), "Bench Many Root p256",
		T0_EPOCH - 3650 * DAY, T0_EPOCH + 5475 * DAY, -1);
	for (unsigned i = 0; i < 4; i++) {
		snprintf(cn, sizeof cn, "Bench Many CA %u p256", i + 1);
		ca_make(g, &p->many_inter[i], &p->many_root, key_get(g->key_dir, "many-inter", KT_P256, i), cn,
			T0_EPOCH - 700 * DAY, T0_EPOCH + 1100 * DAY, 0);
	}
	for (unsigned i = 0; i < 3; i++)
		p->leaf_keys[KT_P256][p->nleaf_keys[KT_P256]++] = key_get(g->key_dir, "leaf", KT_P256, i);
}

static void roots_write(struct gen *g, const struct ca *const *roots, size_t n)
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

/* --- chains ------------------------------------------------------------------- */

static uint32_t chain_new(struct gen *g, enum chain_kind kind, uint32_t ncerts)
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

static void chain_set(struct chain *c, uint32_t i, struct der d, bool shared)
{
	c->certs[i] = d;
	c->shared[i] = shared;
}

/* Fills in what the Certificate message and the ground truth need. */
static void chain_seal(struct chain *c)
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

struct leafspec {
	EVP_PKEY *key;
	const struct ca *issuer;
	const char *san;
	const char *cn;
	bool aia, expired;
};

static struct der leaf_make(struct gen *g, const struct leafspec *l)
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
		snprintf(one, sizeof one, "%sDNS:%s%s", n ? "," : "", mismatch ? "other-" : "", g->servers[s].sni);
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
	case CK_LEAF_ONLY: return 1;
	case CK_OK_DEEP:
	case CK_OK_ROOT:
	case CK_WRONG_ORDER:
	case CK_UNTRUSTED_ROOT: return 3;
	case CK_HOSTILE_SHARED:
	case CK_HOSTILE_FRESH: return 32;
	default: return 2;
	}
}

/* --- servers ------------------------------------------------------------------- */

static uint32_t ip4(unsigned a, unsigned b, unsigned c, unsigned d)
{
	return (uint32_t)a << 24 | (uint32_t)b << 16 | (uint32_t)c << 8 | d;
}

/* Web servers: rank = popularity.  Every fourth shares its address with the
 * one before (name-based virtual hosting); one in twenty listens on 8443.
 * The broken servers get one broken chain each, at spread-out ranks; the
 * others share the healthy chains round-robin. */
static void servers_build_web(struct gen *g, uint32_t nservers, uint32_t nok, uint32_t broken_per_kind, uint32_t net)
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
		snprintf(g->servers[s].sni, sizeof g->servers[s].sni, "s%05u.%s.bench.test", s, ck_info[kind].name);
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

/* --- connections: scripting ---------------------------------------------------- */

static void conn_add_pkt(struct conn *c, const struct pdesc *d)
{
	if (c->npk == c->cappk) {
		c->cappk = c->cappk ? c->cappk * 2 : 32;
		c->pk = xrealloc(c->pk, c->cappk * sizeof *c->pk);
	}
	c->pk[c->npk] = *d;
	c->pk[c->npk].ord = (uint32_t)c->npk;
	c->npk++;
}

static uint16_t conn_add_flight(struct conn *c, uint8_t dir, uint8_t src, uint32_t off, uint32_t len, uint32_t pool_off)
{
	if (c->nfl == c->capfl) {
		c->capfl = c->capfl ? c->capfl * 2 : 16;
		c->fl = xrealloc(c->fl, c->capfl * sizeof *c->fl);
	}
	c->fl[c->nfl] = (struct flight){.off = off, .len = len, .dir = dir, .src = src, .pool_off = pool_off};
	return (uint16_t)c->nfl++;
}

/* When the other side's ACK of a segment sent at `t` by `dir` is seen: the
 * client is next to the capture point, the server one RTT away. */
static uint64_t ack_time(const struct conn *c, uint8_t dir, uint64_t t)
{
	return dir == 1 ? t + 40 : t + c->rtt;
}

/* A control segment (SYN, SYN|ACK, a pure ACK, FIN) `delay` after the last. */
static void sc_ctl(struct conn *c, uint8_t dir, uint64_t delay, uint8_t flags)
{
	struct pdesc d = {0};

	c->clock += delay;
	d.t = c->clock;
	d.dir = dir;
	d.flags = flags;
	d.seq = c->sent[dir];
	if (flags & (TH_SYN | TH_FIN))
		c->sent[dir]++;
	conn_add_pkt(c, &d);
}

/* `len` bytes from `dir`, `delay` after the last packet, cut into MSS-sized
 * segments `gap` microseconds apart; the receiver ACKs every second one.
 * `fin` sets FIN on the last segment. */
static void sc_data(struct conn *c, uint8_t dir, uint64_t delay, uint8_t src, const void *bytes, uint32_t len,
		      uint32_t gap, bool fin)
{
	uint32_t off = 0, done = 0, seg = c->udp ? len : MSS;
	uint16_t fl;
	uint32_t pool_off = 0;

	if (src == FL_BUF) {
		off = (uint32_t)c->data.len;
		buf_put(&c->data, bytes, len);
	} else {
		pool_off = (uint32_t)((c->id * 7919u + c->nfl * 104729u) % POOL_SIZE);
	}
	fl = conn_add_flight(c, dir, src, off, len, pool_off);
	c->clock += delay;
	for (uint32_t k = 0; done < len; k++) {
		struct pdesc d = {0};
		uint32_t n = len - done < seg ? len - done : seg;

		d.t = c->clock + (uint64_t)k * gap;
		d.dir = dir;
		d.flags = TH_ACK;
		d.seq = c->sent[dir];
		d.len = n;
		d.foff = done;
		d.flight = fl;
		done += n;
		c->sent[dir] += n;
		if (done == len) {
			d.flags |= TH_PSH;
			if (fin) {
				d.flags |= TH_FIN;
				c->sent[dir]++;
			}
		}
		conn_add_pkt(c, &d);
		if (k % 2 == 1 && !c->udp && done < len) {
			struct pdesc a = {0};

			a.t = ack_time(c, dir, d.t);
			a.dir = (uint8_t)!dir;
			a.flags = TH_ACK;
			a.seq = c->sent[!dir];
			conn_add_pkt(c, &a);
		}
		if (done == len)
			c->clock = d.t;
	}
}

static int pdesc_cmp(const void *a, const void *b)
{
	const struct pdesc *x = a, *y = b;

	if (x->t != y->t)
		return x->t < y->t ? -1 : 1;
	return x->ord < y->ord ? -1 : x->ord > y->ord;
}

/* Time order, then acknowledgement numbers: the client acknowledges what it
 * has seen of the server; the server what the client sent one RTT ago. */
static uint32_t pdesc_end(const struct pdesc *d)
{
	return d->seq + d->len + ((d->flags & (TH_SYN | TH_FIN)) ? 1u : 0u);
}

static void conn_finish_script(struct conn *c)
{
	uint32_t client_end = 0, server_end = 0;
	size_t j = 0;

	qsort(c->pk, c->npk, sizeof *c->pk, pdesc_cmp);
	for (size_t i = 0; i < c->npk; i++) {
		struct pdesc *d = &c->pk[i];

		if (d->dir == 1) {
			for (; j < c->npk && c->pk[j].t + c->rtt <= d->t; j++)
				if (c->pk[j].dir == 0 && pdesc_end(&c->pk[j]) > client_end)
					client_end = pdesc_end(&c->pk[j]);
			d->ack = client_end;
		} else {
			d->ack = server_end;
		}
		if (d->dir == 1 && pdesc_end(d) > server_end)
			server_end = pdesc_end(d);
	}
}

/* Marks the segment of the last flight that carries its byte `off`: the
 * ground truth of the slice counts a handshake when that packet is in it. */
static void mark_byte(struct conn *c, uint32_t off, uint8_t mark)
{
	uint16_t fl = (uint16_t)(c->nfl - 1);

	for (size_t i = c->npk; i-- > 0;)
		if (c->pk[i].flight == fl && c->pk[i].len && c->pk[i].foff <= off && off < c->pk[i].foff + c->pk[i].len) {
			c->pk[i].mark = mark;
			return;
		}
	die("mark_byte: offset %u not in the last flight", off);
}

/* --- TLS messages (shapes of OpenSSL 3.0, see the file comment) ----------------- */

/* The ClientHello cipher suites of OpenSSL 3.0's s_client. */
static const uint8_t client_suites[] = {
	0x13, 0x02, 0x13, 0x03, 0x13, 0x01, 0xc0, 0x2c, 0xc0, 0x30, 0x00, 0x9f, 0xcc, 0xa9, 0xcc, 0xa8,
	0xcc, 0xaa, 0xc0, 0x2b, 0xc0, 0x2f, 0x00, 0x9e, 0xc0, 0x24, 0xc0, 0x28, 0x00, 0x6b, 0xc0, 0x23,
	0xc0, 0x27, 0x00, 0x67, 0xc0, 0x0a, 0xc0, 0x14, 0x00, 0x39, 0xc0, 0x09, 0xc0, 0x13, 0x00, 0x33,
	0x00, 0x9d, 0x00, 0x9c, 0x00, 0x3d, 0x00, 0x3c, 0x00, 0x35, 0x00, 0x2f, 0x00, 0xff};
static const uint8_t client_groups[] = {0x00, 0x1d, 0x00, 0x17, 0x00, 0x1e, 0x00, 0x19, 0x00, 0x18,
					0x01, 0x00, 0x01, 0x01, 0x01, 0x02, 0x01, 0x03, 0x01, 0x04};
static const uint8_t client_sigalgs[] = {0x04, 0x03, 0x05, 0x03, 0x06, 0x03, 0x08, 0x07, 0x08, 0x08, 0x08, 0x09,
					 0x08, 0x0a, 0x08, 0x0b, 0x08, 0x04, 0x08, 0x05, 0x08, 0x06, 0x04, 0x01,
					 0x05, 0x01, 0x06, 0x01, 0x03, 0x03, 0x03, 0x01, 0x03, 0x02, 0x04, 0x02,
					 0x05, 0x02, 0x06, 0x02};

static void tls_ext_begin(struct buf *b, unsigned type, size_t *at)
{
	buf_u16(b, type);
	*at = buf_open(b, 2);
}

/* Writes one handshake message (type, body) as records of at most 2^14. */
static void tls_hs_records(struct buf *out, unsigned type, const struct buf *body, unsigned rec_version)
{
	struct buf msg = {0};
	size_t done = 0;

	buf_u8(&msg, type);
	buf_u24(&msg, body->len);
	buf_put(&msg, body->p, body->len);
	while (done < msg.len) {
		size_t n = msg.len - done < TLS_REC_MAX ? msg.len - done : TLS_REC_MAX;

		buf_u8(out, 22);
		buf_u16(out, rec_version);
		buf_u16(out, (unsigned)n);
		buf_put(out, msg.p + done, n);
		done += n;
	}
	buf_free(&msg);
}

static void tls_record_rand(struct buf *out, unsigned type, size_t len, struct rng *r)
{
	buf_u8(out, type);
	buf_u16(out, 0x0303);
	buf_u16(out, (unsigned)len);
	buf_rand(out, r, len);
}

static void tls_ccs(struct buf *out)
{
	static const uint8_t ccs[6] = {0x14, 0x03, 0x03, 0x00, 0x01, 0x01};

	buf_put(out, ccs, sizeof ccs);
}

/* ClientHello: TLS 1.3 and 1.2 offered; a resuming client sends its ticket. */
static void tls_client_hello(struct buf *out, struct rng *r, const char *sni, bool ticket)
{
	struct buf b = {0};
	size_t exts, at, at2;
	size_t sl = strlen(sni);

	buf_u16(&b, 0x0303);
	buf_rand(&b, r, 32);
	buf_u8(&b, 32);
	buf_rand(&b, r, 32);
	buf_u16(&b, sizeof client_suites);
	buf_put(&b, client_suites, sizeof client_suites);
	buf_u8(&b, 1);
	buf_u8(&b, 0);
	exts = buf_open(&b, 2);
	tls_ext_begin(&b, 0, &at); /* server_name */
	buf_u16(&b, (unsigned)(sl + 3));
	buf_u8(&b, 0);
	buf_u16(&b, (unsigned)sl);
	buf_put(&b, sni, sl);
	buf_close(&b, at, 2);
	tls_ext_begin(&b, 11, &at); /* ec_point_formats */
	buf_u8(&b, 3);
	buf_u8(&b, 0);
	buf_u8(&b, 1);
	buf_u8(&b, 2);
	buf_close(&b, at, 2);
	tls_ext_begin(&b, 10, &at); /* supported_groups */
	buf_u16(&b, sizeof client_groups);
	buf_put(&b, client_groups, sizeof client_groups);
	buf_close(&b, at, 2);
	tls_ext_begin(&b, 35, &at); /* session_ticket */
	if (ticket)
		buf_rand(&b, r, 176);
	buf_close(&b, at, 2);
	tls_ext_begin(&b, 22, &at); /* encrypt_then_mac */
	buf_close(&b, at, 2);
	tls_ext_begin(&b, 23, &at); /* extended_master_secret */
	buf_close(&b, at, 2);
	tls_ext_begin(&b, 13, &at); /* signature_algorithms */
	buf_u16(&b, sizeof client_sigalgs);
	buf_put(&b, client_sigalgs, sizeof client_sigalgs);
	buf_close(&b, at, 2);
	tls_ext_begin(&b, 43, &at); /* supported_versions */
	buf_u8(&b, 8);
	buf_u16(&b, 0x0304);
	buf_u16(&b, 0x0303);
	buf_u16(&b, 0x0302);
	buf_u16(&b, 0x0301);
	buf_close(&b, at, 2);
	tls_ext_begin(&b, 45, &at); /* psk_key_exchange_modes */
	buf_u8(&b, 1);
	buf_u8(&b, 1);
	buf_close(&b, at, 2);
	tls_ext_begin(&b, 51, &at); /* key_share: x25519 */
	at2 = buf_open(&b, 2);
	buf_u16(&b, 0x001d);
	buf_u16(&b, 32);
	buf_rand(&b, r, 32);
	buf_close(&b, at2, 2);
	buf_close(&b, at, 2);
	buf_close(&b, exts, 2);
	tls_hs_records(out, 1, &b, 0x0301);
	buf_free(&b);
}

/* TLS 1.2 ServerHello: ECDHE suite for the leaf's key type.  A resumption
 * echoes the client's session ID (bytes 39..70 of its hello message). */
static void tls12_server_hello(struct buf *out, struct rng *r, enum kt leaf_kt, const uint8_t *resume_sid)
{
	struct buf b = {0};
	size_t exts;
	bool ec = leaf_kt == KT_P256 || leaf_kt == KT_P384;

	buf_u16(&b, 0x0303);
	buf_rand(&b, r, 32);
	if (resume_sid) {
		buf_u8(&b, 32);
		buf_put(&b, resume_sid, 32);
	} else {
		buf_u8(&b, 0);
	}
	buf_u16(&b, ec ? 0xc02c : 0xc030);
	buf_u8(&b, 0);
	exts = buf_open(&b, 2);
	buf_u16(&b, 0xff01); /* renegotiation_info */
	buf_u16(&b, 1);
	buf_u8(&b, 0);
	if (!resume_sid) {
		buf_u16(&b, 11); /* ec_point_formats */
		buf_u16(&b, 4);
		buf_u8(&b, 3);
		buf_u8(&b, 0);
		buf_u8(&b, 1);
		buf_u8(&b, 2);
		buf_u16(&b, 35); /* session_ticket: one will be issued */
		buf_u16(&b, 0);
	}
	buf_u16(&b, 23); /* extended_master_secret */
	buf_u16(&b, 0);
	buf_close(&b, exts, 2);
	tls_hs_records(out, 2, &b, 0x0303);
	buf_free(&b);
}

static void tls12_certificate(struct buf *out, const struct chain *c)
{
	struct buf b = {0};

	buf_u24(&b, c->tls_len - 3);
	for (uint32_t i = 0; i < c->ncerts; i++) {
		buf_u24(&b, c->certs[i].len);
		buf_put(&b, c->certs[i].p, c->certs[i].len);
	}
	tls_hs_records(out, 11, &b, 0x0303);
	buf_free(&b);
}

/* DER ECDSA-Sig-Value of random integers of the curve's size. */
static void ecdsa_sig_rand(struct buf *b, struct rng *r, size_t bytes)
{
	uint8_t v[2][49];
	size_t len[2];
	size_t at;

	for (int i = 0; i < 2; i++) {
		rng_fill(r, v[i] + 1, bytes);
		v[i][0] = 0;
		len[i] = bytes;
		if (v[i][1] & 0x80)
			len[i]++; /* positive INTEGER: leading zero */
	}
	buf_u8(b, 0x30);
	at = buf_open(b, 1);
	for (int i = 0; i < 2; i++) {
		buf_u8(b, 0x02);
		buf_u8(b, (unsigned)len[i]);
		buf_put(b, len[i] > bytes ? v[i] : v[i] + 1, len[i]);
	}
	buf_close(b, at, 1);
}

static size_t sig_len_of(enum kt t)
{
	return t == KT_RSA4096 ? 512 : t == KT_RSA2048 ? 256 : t == KT_P256 ? 72 : 104;
}

/* ServerKeyExchange: ECDHE x25519, signed with the leaf's key type. */
static void tls12_server_key_exchange(struct buf *out, struct rng *r, enum kt leaf_kt)
{
	struct buf b = {0};
	size_t at;

	buf_u8(&b, 3);
	buf_u16(&b, 0x001d);
	buf_u8(&b, 32);
	buf_rand(&b, r, 32);
	switch (leaf_kt) {
	case KT_RSA2048:
	case KT_RSA4096:
		buf_u16(&b, 0x0804); /* rsa_pss_rsae_sha256 */
		buf_u16(&b, (unsigned)sig_len_of(leaf_kt));
		buf_rand(&b, r, sig_len_of(leaf_kt));
		break;
	case KT_P256:
	case KT_P384:
		buf_u16(&b, leaf_kt == KT_P256 ? 0x0403 : 0x0503);
		at = buf_open(&b, 2);
		ecdsa_sig_rand(&b, r, leaf_kt == KT_P256 ? 32 : 48);
		buf_close(&b, at, 2);
		break;
	case KT_N:
		break;
	}
	tls_hs_records(out, 12, &b, 0x0303);
	buf_free(&b);
}

static void tls12_server_hello_done(struct buf *out)
{
	struct buf b = {0};

	tls_hs_records(out, 14, &b, 0x0303);
}

static void tls12_client_finish(struct buf *out, struct rng *r, bool key_exchange)
{
	if (key_exchange) {
		struct buf b = {0};

		buf_u8(&b, 32);
		buf_rand(&b, r, 32);
		tls_hs_records(out, 16, &b, 0x0303);
		buf_free(&b);
	}
	tls_ccs(out);
	tls_record_rand(out, 22, 40, r); /* encrypted Finished */
}

static void tls12_server_finish(struct buf *out, struct rng *r, bool ticket)
{
	if (ticket) {
		struct buf b = {0};

		buf_put(&b, "\x00\x00\x1c\x20", 4); /* lifetime hint 7200 s */
		buf_u16(&b, 176);
		buf_rand(&b, r, 176);
		tls_hs_records(out, 4, &b, 0x0303);
		buf_free(&b);
	}
	tls_ccs(out);
	tls_record_rand(out, 22, 40, r);
}

/* TLS 1.3 ServerHello (legacy version 1.2, supported_versions 1.3), CCS,
 * then EncryptedExtensions, Certificate, CertificateVerify and Finished as
 * application_data records of their encrypted sizes. */
static void tls13_server_flight(struct buf *out, struct rng *r, const uint8_t *sid, const struct chain *c)
{
	struct buf b = {0};
	size_t exts;
	size_t cert_inner = 4 + 1 + 3 + c->tls_len - 3 + 2 * (size_t)c->ncerts;

	buf_u16(&b, 0x0303);
	buf_rand(&b, r, 32);
	buf_u8(&b, 32);
	buf_put(&b, sid, 32);
	buf_u16(&b, 0x1302);
	buf_u8(&b, 0);
	exts = buf_open(&b, 2);
	buf_u16(&b, 43);
	buf_u16(&b, 2);
	buf_u16(&b, 0x0304);
	buf_u16(&b, 51);
	buf_u16(&b, 36);
	buf_u16(&b, 0x001d);
	buf_u16(&b, 32);
	buf_rand(&b, r, 32);
	buf_close(&b, exts, 2);
	tls_hs_records(out, 2, &b, 0x0303);
	buf_free(&b);
	tls_ccs(out);
	tls_record_rand(out, 23, 23, r);
	for (size_t done = 0; done < cert_inner;) { /* 2^14 + type + tag per record */
		size_t n = cert_inner - done < TLS_REC_MAX ? cert_inner - done : TLS_REC_MAX;

		tls_record_rand(out, 23, n + 17, r);
		done += n;
	}
	tls_record_rand(out, 23, 4 + 4 + sig_len_of(c->leaf_kt) + 17, r);
	tls_record_rand(out, 23, 4 + 48 + 17, r);
}

/* --- connections: whole scripts ---------------------------------------------------- */

static uint32_t rtt_draw(struct rng *r)
{
	double ms = rng_lognormal(r, 28.0, 0.8);

	if (ms < 1)
		ms = 1;
	if (ms > 400)
		ms = 400;
	return (uint32_t)(ms * 1000);
}

/* Serialisation time of a full frame at the flow's rate (Mbit/s). */
static uint32_t gap_for_rate(double mbit)
{
	return (uint32_t)((1514.0 * 8) / mbit) + 1;
}

static struct conn *conn_new(struct gen *g, const struct spec *sp, uint32_t server_ip, uint16_t server_port)
{
	struct rng *r = &g->r_traffic;
	struct conn *c = xcalloc(1, sizeof *c);

	c->id = g->next_conn_id++;
	c->kind = sp->kind;
	c->udp = sp->kind == K_DNS;
	c->ip[0] = ip4(100, 64, 0, 0) + 1 + sp->client + sp->client / 250 * 6;
	c->ip[1] = server_ip;
	c->port[0] = g->client_port[sp->client];
	g->client_port[sp->client] = (uint16_t)(c->port[0] >= 60999 ? 32768 : c->port[0] + 1);
	c->port[1] = server_port;
	for (int d = 0; d < 2; d++) {
		c->isn[d] = (uint32_t)rng_u64(r);
		c->ts0[d] = (uint32_t)rng_u64(r);
		c->ipid[d] = (uint16_t)rng_u64(r);
	}
	c->ttl[0] = 64;
	c->ttl[1] = (uint8_t)rng_range(r, 44, 58);
	c->rtt = rtt_draw(r);
	c->clock = sp->t;
	c->server = sp->server;
	c->chain = -1;
	c->bulk = sp->bulk;
	return c;
}

static void sc_tcp_open(struct conn *c)
{
	sc_ctl(c, 0, 0, TH_SYN);
	sc_ctl(c, 1, c->rtt, TH_SYN | TH_ACK);
	sc_ctl(c, 0, 40, TH_ACK);
}

/* Client close: its last data with FIN; the server's FIN one RTT later,
 * then the client's ACK. */
static void sc_tcp_close(struct conn *c, const struct buf *client_last, const struct buf *server_last)
{
	if (client_last && client_last->len)
		sc_data(c, 0, 200, FL_BUF, client_last->p, (uint32_t)client_last->len, 0, true);
	else
		sc_ctl(c, 0, 200, TH_FIN | TH_ACK);
	if (server_last && server_last->len)
		sc_data(c, 1, c->rtt, FL_BUF, server_last->p, (uint32_t)server_last->len, 0, true);
	else
		sc_ctl(c, 1, c->rtt, TH_FIN | TH_ACK);
	sc_ctl(c, 0, 40, TH_ACK);
}

/* Server -> client application data: records of up to 2^14 bytes; bulk
 * transfers stream from the pool, short responses are written out. */
static void sc_tls_response(struct gen *g, struct conn *c, uint64_t delay, uint64_t bytes, uint32_t gap)
{
	struct rng *r = &g->r_traffic;

	if (c->bulk) {
		uint64_t len = bytes;
		uint32_t rem;

		if (len > 0xffffffffULL - BULK_REC)
			len = 0xffffffffULL - BULK_REC;
		rem = (uint32_t)(len % BULK_REC);
		if (rem && rem < 5 + 25) /* the last record needs a body */
			len += 5 + 25 - rem;
		sc_data(c, 1, delay, FL_BULK_TLS, NULL, (uint32_t)len, gap, false);
		g->bulk_payload += len;
	} else {
		struct buf b = {0};
		uint64_t left = bytes;

		while (left > 0) {
			size_t n = left > TLS_REC_MAX ? TLS_REC_MAX : (size_t)left;

			tls_record_rand(&b, 23, n + 24, r);
			left -= n;
		}
		sc_data(c, 1, delay, FL_BUF, b.p, (uint32_t)b.len, gap, false);
		buf_free(&b);
	}
}

/* One TLS connection of the given mode to server s. */
static void script_tls(struct gen *g, struct conn *c, const struct spec *sp, enum tls_mode mode)
{
	struct rng *r = &g->r_traffic;
	struct server *sv = &g->servers[sp->server];
	const struct chain *ch = &g->chains[sv->chain];
	struct buf b = {0}, cl = {0}, sl = {0};
	uint32_t gap = gap_for_rate(rng_lognormal(r, 200, 0.7));
	uint32_t proc = rng_range(r, 150, 2500); /* server: signing, lookups */
	uint8_t sid[32];
	uint32_t cert_end;

	c->mode = (uint8_t)mode;
	sc_tcp_open(c);
	tls_client_hello(&b, r, sv->sni, mode == M_RESUMED12);
	memcpy(sid, b.p + 5 + 4 + 2 + 32 + 1, 32);
	sc_data(c, 0, rng_range(r, 50, 600), FL_BUF, b.p, (uint32_t)b.len, 0, false);
	mark_byte(c, 0, PM_CLIENT_HELLO);
	b.len = 0;
	switch (mode) {
	case M_FULL12:
		tls12_server_hello(&b, r, ch->leaf_kt, NULL);
		tls12_certificate(&b, ch);
		cert_end = (uint32_t)b.len;
		tls12_server_key_exchange(&b, r, ch->leaf_kt);
		tls12_server_hello_done(&b);
		sc_data(c, 1, c->rtt + proc, FL_BUF, b.p, (uint32_t)b.len, gap, false);
		mark_byte(c, cert_end - 1, PM_CERT_DONE);
		c->chain = (int32_t)sv->chain;
		b.len = 0;
		tls12_client_finish(&b, r, true);
		sc_data(c, 0, rng_range(r, 100, 1500), FL_BUF, b.p, (uint32_t)b.len, 0, false);
		b.len = 0;
		tls12_server_finish(&b, r, true);
		sc_data(c, 1, c->rtt + 100, FL_BUF, b.p, (uint32_t)b.len, 0, false);
		break;
	case M_RESUMED12:
		tls12_server_hello(&b, r, ch->leaf_kt, sid);
		tls12_server_finish(&b, r, false);
		sc_data(c, 1, c->rtt + proc / 4, FL_BUF, b.p, (uint32_t)b.len, gap, false);
		b.len = 0;
		tls12_client_finish(&b, r, false);
		sc_data(c, 0, rng_range(r, 50, 400), FL_BUF, b.p, (uint32_t)b.len, 0, false);
		break;
	case M_TLS13:
		tls13_server_flight(&b, r, sid, ch);
		sc_data(c, 1, c->rtt + proc, FL_BUF, b.p, (uint32_t)b.len, gap, false);
		b.len = 0;
		tls_ccs(&b);
		tls_record_rand(&b, 23, 53, r); /* client Finished */
		sc_data(c, 0, rng_range(r, 100, 1500), FL_BUF, b.p, (uint32_t)b.len, 0, false);
		b.len = 0;
		tls_record_rand(&b, 23, 250, r); /* two NewSessionTickets */
		tls_record_rand(&b, 23, 250, r);
		sc_data(c, 1, c->rtt + 100, FL_BUF, b.p, (uint32_t)b.len, 0, false);
		break;
	}
	/* request, response, close_notify both ways */
	b.len = 0;
	tls_record_rand(&b, 23, rng_range(r, 60, 450) + 24, r);
	sc_data(c, 0, rng_range(r, 20, 300), FL_BUF, b.p, (uint32_t)b.len, 0, false);
	sc_tls_response(g, c, c->rtt + rng_range(r, 100, 5000), sp->resp_bytes,
			c->bulk ? gap_for_rate(rng_range(r, 20, 400)) : gap);
	tls_record_rand(&cl, 21, 26, r);
	tls_record_rand(&sl, 21, 26, r);
	sc_tcp_close(c, &cl, &sl);
	buf_free(&b);
	buf_free(&cl);
	buf_free(&sl);
}

static const char *const http_paths[] = {"/", "/index.html", "/static/app.js", "/images/logo.png",
					 "/api/v1/status", "/downloads/update.bin", "/feed.xml"};

static void script_http(struct gen *g, struct conn *c, const struct spec *sp)
{
	struct rng *r = &g->r_traffic;
	char req[512], hdr[256];
	int n;

	sc_tcp_open(c);
	n = snprintf(req, sizeof req,
		     "GET %s HTTP/1.1\r\nHost: www%u.plain.bench.test\r\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64; "
		     "rv:128.0) Gecko/20100101 Firefox/128.0\r\nAccept: */*\r\nAccept-Encoding: gzip, deflate\r\n"
		     "Connection: close\r\n\r\n",
		     http_paths[rng_below(r, 7)], c->ip[1] & 0xffff);
	sc_data(c, 0, rng_range(r, 50, 400), FL_BUF, req, (uint32_t)n, 0, false);
	n = snprintf(hdr, sizeof hdr,
		     "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: application/octet-stream\r\n"
		     "Content-Length: %llu\r\nConnection: close\r\n\r\n",
		     (unsigned long long)sp->resp_bytes);
	sc_data(c, 1, c->rtt + rng_range(r, 100, 3000), FL_BUF, hdr, (uint32_t)n, 0, false);
	if (sp->resp_bytes)
		sc_data(c, 1, 5, FL_BULK_RAW, NULL, (uint32_t)sp->resp_bytes, gap_for_rate(rng_range(r, 20, 300)), false);
	sc_tcp_close(c, NULL, NULL);
}

/* SSH-like: banners, key exchange packets, then exchanges of random sizes
 * (the binary packet protocol is opaque after NEWKEYS). */
static void script_ssh(struct gen *g, struct conn *c, const struct spec *sp)
{
	struct rng *r = &g->r_traffic;
	static const char sb[] = "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n";
	static const char cb[] = "SSH-2.0-OpenSSH_9.6\r\n";
	uint32_t rounds = rng_range(r, 2, 12);

	sc_tcp_open(c);
	sc_data(c, 1, c->rtt, FL_BUF, sb, sizeof sb - 1, 0, false);
	sc_data(c, 0, 300, FL_BUF, cb, sizeof cb - 1, 0, false);
	sc_data(c, 0, 100, FL_BULK_RAW, NULL, rng_range(r, 1400, 1600), 0, false);
	sc_data(c, 1, c->rtt, FL_BULK_RAW, NULL, rng_range(r, 1000, 1200), 0, false);
	sc_data(c, 0, 500, FL_BULK_RAW, NULL, rng_range(r, 40, 1300), 0, false);
	sc_data(c, 1, c->rtt, FL_BULK_RAW, NULL, rng_range(r, 500, 1800), 40, false);
	for (uint32_t i = 0; i < rounds; i++) {
		sc_data(c, 0, (uint64_t)rng_exp(r, 300000), FL_BULK_RAW, NULL, rng_range(r, 36, 200), 0, false);
		sc_data(c, 1, c->rtt, FL_BULK_RAW, NULL, rng_range(r, 36, 1500), 40, false);
	}
	if (sp->resp_bytes)
		sc_data(c, 1, c->rtt, FL_BULK_RAW, NULL, (uint32_t)sp->resp_bytes, gap_for_rate(rng_range(r, 20, 300)),
			false);
	sc_tcp_close(c, NULL, NULL);
}

static void dns_name(struct buf *b, struct rng *r)
{
	static const char *const words[] = {"www", "api", "cdn", "mail", "static", "img", "login", "update"};
	const char *w = words[rng_below(r, 8)];
	char label[16];
	int n = snprintf(label, sizeof label, "site%u", rng_below(r, 50000));

	buf_u8(b, (unsigned)strlen(w));
	buf_put(b, w, strlen(w));
	buf_u8(b, (unsigned)n);
	buf_put(b, label, (size_t)n);
	buf_u8(b, 7);
	buf_put(b, "example", 7);
	buf_u8(b, 0);
}

static void script_dns(struct gen *g, struct conn *c)
{
	struct rng *r = &g->r_traffic;
	struct buf q = {0}, a = {0};
	unsigned id = rng_below(r, 65536), answers = rng_range(r, 1, 3);
	size_t qlen;

	buf_u16(&q, id);
	buf_u16(&q, 0x0100);
	buf_u16(&q, 1);
	buf_u16(&q, 0);
	buf_u16(&q, 0);
	buf_u16(&q, 0);
	dns_name(&q, r);
	buf_u16(&q, 1);
	buf_u16(&q, 1);
	qlen = q.len;
	sc_data(c, 0, 0, FL_BUF, q.p, (uint32_t)q.len, 0, false);
	buf_put(&a, q.p, qlen);
	a.p[2] = 0x81;
	a.p[3] = 0x80;
	a.p[7] = (uint8_t)answers;
	for (unsigned i = 0; i < answers; i++) {
		buf_u16(&a, 0xc00c);
		buf_u16(&a, 1);
		buf_u16(&a, 1);
		buf_u16(&a, 0);
		buf_u16(&a, rng_range(r, 30, 3600));
		buf_u16(&a, 4);
		buf_u16(&a, 0x5db8);
		buf_u16(&a, rng_below(r, 65536));
	}
	sc_data(c, 1, c->rtt / 2 + rng_range(r, 200, 20000), FL_BUF, a.p, (uint32_t)a.len, 0, false);
	buf_free(&q);
	buf_free(&a);
}

/* Builds the script of a connection and counts it in the ground truth. */
static struct conn *conn_start(struct gen *g, const struct spec *sp)
{
	struct rng *r = &g->r_traffic;
	struct conn *c;

	g->flows++;
	g->flows_by_kind[sp->kind]++;
	if (sp->kind == K_TLS) {
		struct server *sv = &g->servers[sp->server];
		enum tls_mode mode = M_FULL12;

		if (sv->tls13)
			mode = M_TLS13;
		else if (sv->full_seen && rng_chance(r, g->resume_p))
			mode = M_RESUMED12;
		c = conn_new(g, sp, sv->ip, sv->port);
		script_tls(g, c, sp, mode);
		g->tls_hs++;
		sv->tls_hs++;
		if (mode == M_FULL12) {
			sv->full_seen = true;
			sv->chain_hs++;
			g->chain_hs++;
			g->chains[sv->chain].seen = true;
		}
		g->tls13 += mode == M_TLS13;
		g->resumed += mode == M_RESUMED12;
	} else if (sp->kind == K_HTTP) {
		c = conn_new(g, sp, ip4(10, 80, 0, 0) + 1 + (uint32_t)sp->server + (uint32_t)sp->server / 250 * 6, 80);
		script_http(g, c, sp);
	} else if (sp->kind == K_SSH) {
		c = conn_new(g, sp, ip4(10, 22, 0, 0) + 1 + (uint32_t)sp->server + (uint32_t)sp->server / 250 * 6, 22);
		script_ssh(g, c, sp);
	} else {
		c = conn_new(g, sp, ip4(10, 53, 0, 1) + (uint32_t)sp->server % 4, 53);
		script_dns(g, c);
	}
	if (c->udp)
		g->udp_flows++;
	else
		g->tcp_flows++;
	conn_finish_script(c);
	return c;
}

static void conn_free(struct conn *c)
{
	buf_free(&c->data);
	free(c->fl);
	free(c->pk);
	free(c);
}

/* --- frames and the pcap file ----------------------------------------------------- */

static uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t n)
{
	uint64_t s = sum;

	for (; n >= 2; p += 2, n -= 2)
		s += (uint32_t)(p[0] << 8 | p[1]);
	if (n)
		s += (uint32_t)(p[0] << 8);
	while (s >> 32)
		s = (s & 0xffffffffu) + (s >> 32);
	return (uint32_t)s;
}

static uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* Bytes of a flight at offset `off`: stored, or bulk (TLS application-data
 * records of 2^14 bytes with their headers, or raw) from the pool. */
static void flight_bytes(const struct gen *g, const struct conn *c, const struct flight *f, uint32_t off,
			 uint8_t *out, uint32_t n)
{
	if (f->src == FL_BUF) {
		memcpy(out, c->data.p + f->off + off, n);
		return;
	}
	for (uint32_t i = 0; i < n;) {
		uint32_t pos = off + i, chunk;

		if (f->src == FL_BULK_TLS) {
			uint32_t in_rec = pos % BULK_REC;

			if (in_rec < 5) {
				uint32_t rec_start = pos - in_rec;
				uint32_t body = f->len - rec_start - 5 < BULK_REC_BODY ? f->len - rec_start - 5
										: BULK_REC_BODY;
				uint8_t h[5] = {0x17, 0x03, 0x03, (uint8_t)(body >> 8), (uint8_t)body};

				out[i++] = h[in_rec];
				continue;
			}
			chunk = BULK_REC - in_rec;
		} else {
			chunk = n - i;
		}
		if (chunk > n - i)
			chunk = n - i;
		{
			uint32_t p = (f->pool_off + pos) % POOL_SIZE;

			if (chunk > POOL_SIZE - p)
				chunk = POOL_SIZE - p;
			memcpy(out + i, g->pool + p, chunk);
		}
		i += chunk;
	}
}

static const uint8_t mac_client_side[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x01};
static const uint8_t mac_server_side[6] = {0x02, 0x00, 0x5e, 0x10, 0x00, 0x02};

static size_t frame_build(const struct gen *g, struct conn *c, const struct pdesc *d, uint8_t *f)
{
	uint8_t dir = d->dir, *ip = f + ETH_LEN, *l4 = ip + IP_LEN;
	size_t l4_hdr, total;
	uint32_t sum;
	uint32_t ms = (uint32_t)(d->t / 1000);

	memcpy(f, dir ? mac_client_side : mac_server_side, 6);
	memcpy(f + 6, dir ? mac_server_side : mac_client_side, 6);
	put16(f + 12, 0x0800);
	if (c->udp) {
		l4_hdr = UDP_LEN;
	} else {
		l4_hdr = TCP_LEN + ((d->flags & TH_SYN) ? TCP_OPT_SYN : TCP_OPT_TS);
	}
	total = IP_LEN + l4_hdr + d->len;
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (unsigned)total);
	put16(ip + 4, c->ipid[dir]++);
	put16(ip + 6, 0x4000);
	ip[8] = c->ttl[dir];
	ip[9] = c->udp ? 17 : 6;
	put16(ip + 10, 0);
	put32(ip + 12, c->ip[dir]);
	put32(ip + 16, c->ip[!dir]);
	put16(ip + 10, csum_fold(csum_add(0, ip, IP_LEN)));
	put16(l4, c->port[dir]);
	put16(l4 + 2, c->port[!dir]);
	if (c->udp) {
		put16(l4 + 4, (unsigned)(UDP_LEN + d->len));
		put16(l4 + 6, 0);
	} else {
		uint8_t *o = l4 + TCP_LEN;

		put32(l4 + 4, c->isn[dir] + d->seq);
		put32(l4 + 8, (d->flags & TH_ACK) ? c->isn[!dir] + d->ack : 0);
		l4[12] = (uint8_t)((l4_hdr / 4) << 4);
		l4[13] = d->flags;
		put16(l4 + 14, (d->flags & TH_SYN) ? 64240 : (dir ? 501 : 2052));
		put16(l4 + 16, 0);
		put16(l4 + 18, 0);
		if (d->flags & TH_SYN) {
			static const uint8_t syn_opt[8] = {2, 4, 0x05, 0xb4, 4, 2, 8, 10};

			memcpy(o, syn_opt, 8);
			put32(o + 8, c->ts0[dir] + ms);
			put32(o + 12, (d->flags & TH_ACK) ? c->ts0[!dir] + ms - c->rtt / 1000 : 0);
			o[16] = 1;
			o[17] = 3;
			o[18] = 3;
			o[19] = 7;
		} else {
			o[0] = 1;
			o[1] = 1;
			o[2] = 8;
			o[3] = 10;
			put32(o + 4, c->ts0[dir] + ms);
			put32(o + 8, c->ts0[!dir] + ms - (dir ? c->rtt / 1000 : 0));
		}
	}
	if (d->len)
		flight_bytes(g, c, &c->fl[d->flight], d->foff, l4 + l4_hdr, d->len);
	/* pseudo-header, then the segment */
	sum = csum_add(0, ip + 12, 8);
	sum += (uint32_t)(c->udp ? 17 : 6) + (uint32_t)(l4_hdr + d->len);
	sum = csum_add(sum, l4, l4_hdr + d->len);
	{
		uint16_t ck = csum_fold(sum);

		if (c->udp && ck == 0)
			ck = 0xffff;
		put16(l4 + (c->udp ? 6 : 16), ck);
	}
	return ETH_LEN + total;
}

/* pcap headers are written little-endian, the byte order of the machines
 * that write nearly every capture. */
static void put16le(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32le(uint8_t *p, uint32_t v)
{
	put16le(p, v & 0xffff);
	put16le(p + 2, v >> 16);
}

static void pcap_open(struct gen *g)
{
	char path[4096];
	uint8_t h[24] = {0};

	snprintf(path, sizeof path, "%s.pcap", g->prefix);
	g->pcap = fopen(path, "wb");
	if (!g->pcap)
		die("%s: %s", path, strerror(errno));
	setvbuf(g->pcap, NULL, _IOFBF, 4u << 20);
	put32le(h, 0xa1b2c3d4);
	put16le(h + 4, 2);
	put16le(h + 6, 4);
	put32le(h + 16, 262144);
	put32le(h + 20, 1); /* LINKTYPE_ETHERNET */
	if (fwrite(h, 1, sizeof h, g->pcap) != sizeof h)
		die("%s: write failed", path);
	g->file_bytes = sizeof h;
}

static void pcap_packet(struct gen *g, uint64_t t, const uint8_t *frame, size_t len)
{
	uint8_t h[16];
	uint64_t abs_us = (uint64_t)T0_EPOCH * USEC + t;

	put32le(h, (uint32_t)(abs_us / USEC));
	put32le(h + 4, (uint32_t)(abs_us % USEC));
	put32le(h + 8, (uint32_t)len);
	put32le(h + 12, (uint32_t)len);
	if (fwrite(h, 1, 16, g->pcap) != 16 || fwrite(frame, 1, len, g->pcap) != len)
		die("%s.pcap: write failed: %s", g->prefix, strerror(errno));
	g->file_bytes += 16 + len;
	g->packets++;
	g->wire_bytes += len;
	g->last_t = t;
}

/* Emits the connection's next packet and keeps the slice's ground truth. */
static void conn_emit(struct gen *g, struct conn *c)
{
	uint8_t frame[FRAME_MAX];
	const struct pdesc *d = &c->pk[c->next++];
	size_t len = frame_build(g, c, d, frame);

	pcap_packet(g, d->t, frame, len);
	if (c->bulk && d->len >= MSS)
		g->bulk_frame_bytes += len + 16;
	if (c->kind != K_TLS)
		g->noise_frame_bytes += len + 16;
	if (g->slice_done)
		return;
	if (g->file_bytes > g->slice_limit) {
		g->slice_done = true;
		return;
	}
	g->slice_packets = g->packets;
	g->slice_bytes = g->file_bytes;
	if (d->mark == PM_CLIENT_HELLO)
		g->slice_tls_hs++;
	if (d->mark == PM_CERT_DONE && c->chain >= 0) {
		g->slice_cert_msgs++;
		g->chains[c->chain].seen_in_slice = true;
	}
}

/* --- heap of active connections by next packet time ---------------------------- */

static bool heap_less(const struct conn *a, const struct conn *b)
{
	uint64_t ta = a->pk[a->next].t, tb = b->pk[b->next].t;

	return ta != tb ? ta < tb : a->id < b->id;
}

static void heap_push(struct heap *h, struct conn *c)
{
	size_t i;

	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 1024;
		h->a = xrealloc(h->a, h->cap * sizeof *h->a);
	}
	i = h->n++;
	while (i > 0 && heap_less(c, h->a[(i - 1) / 2])) {
		h->a[i] = h->a[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h->a[i] = c;
}

static struct conn *heap_pop(struct heap *h)
{
	struct conn *top = h->a[0], *last = h->a[--h->n];
	size_t i = 0;

	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < h->n && heap_less(h->a[l], last))
			m = l;
		if (l + 1 < h->n && heap_less(h->a[l + 1], m == i ? last : h->a[m]))
			m = l + 1;
		if (m == i)
			break;
		h->a[i] = h->a[m];
		i = m;
	}
	if (h->n)
		h->a[i] = last;
	return top;
}

/* Merges the arrivals' packets in time order into the pcap. */
typedef bool (*arrival_fn)(struct gen *g, void *state, struct spec *out);

static void run_traffic(struct gen *g, arrival_fn next, void *state)
{
	struct heap h = {0};
	struct spec sp;
	bool more = next(g, state, &sp);

	while (more || h.n) {
		if (more && (!h.n || sp.t <= h.a[0]->pk[h.a[0]->next].t)) {
			heap_push(&h, conn_start(g, &sp));
			more = next(g, state, &sp);
			continue;
		}
		{
			struct conn *c = heap_pop(&h);

			conn_emit(g, c);
			if (c->next < c->npk)
				heap_push(&h, c);
			else
				conn_free(c);
		}
	}
	free(h.a);
}

/* --- profiles -------------------------------------------------------------------- */

static uint32_t scaled(const struct gen *g, double n, uint32_t min)
{
	double v = n * g->scale;

	return v < min ? min : (uint32_t)(v + 0.5);
}

static void clients_init(struct gen *g, uint32_t n)
{
	g->nclients = n;
	g->client_port = xmalloc(n * sizeof *g->client_port);
	for (uint32_t i = 0; i < n; i++)
		g->client_port[i] = (uint16_t)rng_range(&g->r_traffic, 32768, 60999);
}

/* Poisson arrivals of TLS connections to Zipf-popular web servers. */
struct web_state {
	uint32_t left;
	double mean_gap_us;
	uint64_t t;
	double resp_median;
};

static bool web_next(struct gen *g, void *state, struct spec *sp)
{
	struct web_state *w = state;
	struct rng *r = &g->r_traffic;
	double resp;

	if (!w->left)
		return false;
	w->left--;
	w->t += (uint64_t)rng_exp(r, w->mean_gap_us);
	memset(sp, 0, sizeof *sp);
	sp->t = w->t;
	sp->kind = K_TLS;
	sp->server = (int32_t)zipf_draw(&g->popularity, r);
	sp->client = rng_below(r, g->nclients);
	resp = rng_lognormal(r, w->resp_median, 0.9);
	sp->resp_bytes = resp < 40 ? 40 : resp > 65536 ? 65536 : (uint64_t)resp;
	return true;
}

static void profile_handshake(struct gen *g)
{
	uint32_t conns = scaled(g, 300000, 20);
	struct web_state w = {0};

	g->tls13_share = 0.12;
	g->resume_p = 0.10;
	pki_build_web(g);
	servers_build_web(g, scaled(g, 2000, 30), scaled(g, 292, 8), scaled(g, 4, 1), ip4(10, 16, 0, 0));
	clients_init(g, scaled(g, 20000, 20));
	w.left = conns;
	g->duration_us = (uint64_t)(600.0 * USEC * (conns / 300000.0 < 0.05 ? 0.05 : conns / 300000.0));
	w.mean_gap_us = (double)g->duration_us / conns;
	w.resp_median = 300;
	run_traffic(g, web_next, &w);
}

/* The gateway mix: flows of each kind in a shuffled order, bulk sizes drawn
 * from a Pareto law and scaled so that they make up the byte budget. */
struct gw_state {
	uint8_t *kinds;
	uint64_t *bytes;
	bool *bulk;
	uint32_t n, i;
	double mean_gap_us;
	uint64_t t;
	uint32_t http_servers, ssh_servers;
};

static void pareto_fill(struct rng *r, uint64_t *out, uint32_t n, double budget, double cap)
{
	double *x = xmalloc(n * sizeof *x), sum = 0, k;

	for (uint32_t i = 0; i < n; i++) {
		x[i] = 1.0 / pow(1.0 - rng_unit(r), 1.0 / 1.3);
		sum += x[i];
	}
	k = budget / sum;
	for (int pass = 0; pass < 4; pass++) { /* cap, then spread what the cap cut */
		double over = 0, under = 0;

		for (uint32_t i = 0; i < n; i++) {
			if (x[i] * k > cap) {
				over += x[i] * k - cap;
				x[i] = cap / k;
			} else {
				under += x[i];
			}
		}
		if (over <= 0 || under <= 0)
			break;
		for (uint32_t i = 0; i < n; i++)
			if (x[i] * k < cap)
				x[i] *= 1 + over / (under * k);
	}
	for (uint32_t i = 0; i < n; i++)
		out[i] = (uint64_t)(x[i] * k);
	free(x);
}

static bool gw_next(struct gen *g, void *state, struct spec *sp)
{
	struct gw_state *w = state;
	struct rng *r = &g->r_traffic;

	if (w->i == w->n)
		return false;
	w->t += (uint64_t)rng_exp(r, w->mean_gap_us);
	memset(sp, 0, sizeof *sp);
	sp->t = w->t;
	sp->kind = w->kinds[w->i];
	sp->client = rng_below(r, g->nclients);
	sp->resp_bytes = w->bytes[w->i];
	sp->bulk = w->bulk[w->i];
	switch (sp->kind) {
	case K_TLS: sp->server = (int32_t)zipf_draw(&g->popularity, r); break;
	case K_HTTP: sp->server = (int32_t)rng_below(r, w->http_servers); break;
	case K_SSH: sp->server = (int32_t)rng_below(r, w->ssh_servers); break;
	default: sp->server = (int32_t)rng_below(r, 4); break;
	}
	w->i++;
	return true;
}

static void profile_gateway(struct gen *g)
{
	struct rng *r = &g->r_traffic;
	struct gw_state w = {0};
	uint32_t ntls = scaled(g, 20000, 10), nhttp = scaled(g, 6000, 3), nssh = scaled(g, 4000, 2);
	uint32_t ndns = scaled(g, 20000, 5);
	uint32_t nbulk = scaled(g, 2000, 2), nhttp_bulk = scaled(g, 1500, 1), nssh_bulk = scaled(g, 100, 1);
	double total = 2.0 * 1024 * 1024 * 1024 * g->scale;
	uint64_t *tmp;
	uint32_t every_tls, every_http, every_ssh;

	g->tls13_share = 0.10;
	g->resume_p = 0.07;
	pki_build_web(g);
	servers_build_web(g, scaled(g, 1000, 20), scaled(g, 150, 6), scaled(g, 2, 1), ip4(10, 32, 0, 0));
	clients_init(g, scaled(g, 5000, 10));
	w.n = ntls + nhttp + nssh + ndns;
	w.kinds = xmalloc(w.n);
	w.bytes = xcalloc(w.n, sizeof *w.bytes);
	w.bulk = xcalloc(w.n, sizeof *w.bulk);
	w.http_servers = scaled(g, 300, 2);
	w.ssh_servers = scaled(g, 100, 2);
	memset(w.kinds, K_TLS, ntls);
	memset(w.kinds + ntls, K_HTTP, nhttp);
	memset(w.kinds + ntls + nhttp, K_SSH, nssh);
	memset(w.kinds + ntls + nhttp + nssh, K_DNS, ndns);
	shuffle_u8(r, w.kinds, w.n);
	/* 74% of the bytes as TLS bulk payload (frames add ~8% headers and
	 * ACKs: ~80% of the file), 9% as HTTP bodies and SSH transfers */
	tmp = xmalloc((nbulk + nhttp_bulk + nssh_bulk) * sizeof *tmp);
	pareto_fill(r, tmp, nbulk, 0.757 * total, 256.0 * 1024 * 1024);
	pareto_fill(r, tmp + nbulk, nhttp_bulk, 0.05 * total, 128.0 * 1024 * 1024);
	pareto_fill(r, tmp + nbulk + nhttp_bulk, nssh_bulk, 0.01 * total, 64.0 * 1024 * 1024);
	every_tls = ntls / nbulk ? ntls / nbulk : 1;
	every_http = nhttp / nhttp_bulk ? nhttp / nhttp_bulk : 1;
	every_ssh = nssh / nssh_bulk ? nssh / nssh_bulk : 1;
	{
		uint32_t seen[4] = {0};

		for (uint32_t i = 0; i < w.n; i++) {
			uint8_t kd = w.kinds[i];
			uint32_t nth = seen[kd]++;

			/* every n-th flow of a kind is bulk: spread over the capture */
			if (kd == K_TLS && nth % every_tls == 0 && nth / every_tls < nbulk) {
				w.bulk[i] = true;
				w.bytes[i] = tmp[nth / every_tls];
			} else if (kd == K_TLS) {
				double v = rng_lognormal(r, 2500, 1.0);
				w.bytes[i] = v > 65536 ? 65536 : (uint64_t)v + 40;
			} else if (kd == K_HTTP && nth % every_http == 0 && nth / every_http < nhttp_bulk) {
				w.bytes[i] = tmp[nbulk + nth / every_http];
			} else if (kd == K_HTTP) {
				w.bytes[i] = (uint64_t)rng_lognormal(r, 4000, 1.0);
			} else if (kd == K_SSH && nth % every_ssh == 0 && nth / every_ssh < nssh_bulk) {
				w.bytes[i] = tmp[nbulk + nhttp_bulk + nth / every_ssh];
			}
		}
	}
	free(tmp);
	g->duration_us = (uint64_t)(180.0 * USEC * (g->scale < 0.05 ? 0.05 : g->scale));
	w.mean_gap_us = (double)g->duration_us / w.n;
	run_traffic(g, gw_next, &w);
	free(w.kinds);
	free(w.bytes);
	free(w.bulk);
}

/* manychains: one server per chain, each visited once, TLS 1.2 only. */
struct many_state {
	uint32_t n, i;
	double mean_gap_us;
	uint64_t t;
};

static bool many_next(struct gen *g, void *state, struct spec *sp)
{
	struct many_state *w = state;
	struct rng *r = &g->r_traffic;

	if (w->i == w->n)
		return false;
	w->t += (uint64_t)rng_exp(r, w->mean_gap_us);
	memset(sp, 0, sizeof *sp);
	sp->t = w->t;
	sp->kind = K_TLS;
	sp->server = (int32_t)w->i++;
	sp->client = rng_below(r, g->nclients);
	sp->resp_bytes = (uint64_t)rng_range(r, 200, 3000);
	return true;
}

static void profile_manychains(struct gen *g)
{
	struct pki *p = &g->pki;
	struct many_state w = {0};
	uint32_t n = scaled(g, 60000, 10);

	pki_build_many(g);
	g->nservers = n;
	g->servers = xcalloc(n, sizeof *g->servers);
	for (uint32_t s = 0; s < n; s++) {
		struct server *sv = &g->servers[s];
		struct leafspec l = {0};
		char san[96];
		uint32_t ci = chain_new(g, CK_OK, 2);
		uint32_t ii = rng_below(&g->r_pki, 4);

		sv->ip = ip4(10, 128, 0, 0) + 1 + s + s / 250 * 6;
		sv->port = 443;
		sv->chain = ci;
		snprintf(sv->sni, sizeof sv->sni, "m%05u.many.bench.test", s);
		snprintf(san, sizeof san, "DNS:%s", sv->sni);
		g->chains[ci].leaf_kt = KT_P256;
		l.key = p->leaf_keys[KT_P256][rng_below(&g->r_pki, p->nleaf_keys[KT_P256])];
		l.issuer = &p->many_inter[ii];
		l.san = san;
		l.cn = sv->sni;
		l.aia = rng_chance(&g->r_pki, 0.5);
		chain_set(&g->chains[ci], 0, leaf_make(g, &l), false);
		chain_set(&g->chains[ci], 1, p->many_inter[ii].der, true);
		chain_seal(&g->chains[ci]);
	}
	clients_init(g, scaled(g, 2000, 5));
	w.n = n;
	g->duration_us = (uint64_t)(120.0 * USEC * (g->scale < 0.05 ? 0.05 : g->scale));
	w.mean_gap_us = (double)g->duration_us / n;
	run_traffic(g, many_next, &w);
}

/* hostile: 31 CA certificates over 4 names in a cycle, every one with the
 * same P-384 key, so each verifies as the issuer of each certificate whose
 * issuer name is its subject; no path ever reaches an anchor. */
static void hostile_cas(struct gen *g, EVP_PKEY *key, struct der *out, X509 **leaf_issuer)
{
	static const char *const names[4] = {"Hostile Cycle CA A", "Hostile Cycle CA B", "Hostile Cycle CA C",
					     "Hostile Cycle CA D"};
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

struct hostile_state {
	uint32_t n, i;
	uint64_t t;
};

static bool hostile_next(struct gen *g, void *state, struct spec *sp)
{
	struct hostile_state *w = state;

	(void)g;
	if (w->i == w->n)
		return false;
	memset(sp, 0, sizeof *sp);
	/* one hostile handshake every 100 ms; the normal one 10 s after the
	 * last, when every hostile connection has closed (RTT <= 400 ms) */
	w->t += w->i + 1 == w->n ? 10 * USEC : 100000;
	sp->t = w->t;
	sp->kind = K_TLS;
	sp->server = (int32_t)w->i;
	sp->client = w->i + 1 == w->n ? 1 : 0;
	sp->resp_bytes = 600;
	w->i++;
	return true;
}

static void profile_hostile(struct gen *g)
{
	struct pki *p = &g->pki;
	uint32_t nshared = scaled(g, 150, 1), nfresh = scaled(g, 50, 1), n = nshared + nfresh;
	struct der shared[31];
	X509 *shared_issuer;
	EVP_PKEY *shared_key = key_get(g->key_dir, "hostile", KT_P384, 0);
	struct hostile_state w = {0};

	g->tls13_share = 0;
	g->resume_p = 0;
	pki_build_web(g);
	hostile_cas(g, shared_key, shared, &shared_issuer);
	g->nservers = n + 1;
	g->servers = xcalloc(n + 1, sizeof *g->servers);
	for (uint32_t s = 0; s < n; s++) {
		struct server *sv = &g->servers[s];
		bool fresh = s >= nshared;
		enum chain_kind kind = fresh ? CK_HOSTILE_FRESH : CK_HOSTILE_SHARED;
		uint32_t ci = chain_new(g, kind, 32);
		struct chain *c = &g->chains[ci];
		struct der fresh_cas[31];
		EVP_PKEY *key = shared_key;
		X509 *issuer = shared_issuer;
		struct ca ca_issuer = {0};
		struct leafspec l = {0};
		char san[96];

		sv->ip = ip4(10, 66, 0, 1);
		sv->port = 443;
		sv->chain = ci;
		snprintf(sv->sni, sizeof sv->sni, "h%03u.%s.bench.test", s, fresh ? "fresh" : "shared");
		if (fresh) { /* a fresh key and 31 fresh CA certificates */
			key = key_generate(KT_P384);
			hostile_cas(g, key, fresh_cas, &issuer);
		}
		ca_issuer.x = issuer;
		ca_issuer.key = key;
		snprintf(ca_issuer.cn, sizeof ca_issuer.cn, "Hostile Cycle CA A");
		snprintf(san, sizeof san, "DNS:%s", sv->sni);
		l.key = p->leaf_keys[KT_P256][s % p->nleaf_keys[KT_P256]];
		l.issuer = &ca_issuer;
		l.san = san;
		l.cn = sv->sni;
		c->leaf_kt = KT_P256;
		chain_set(c, 0, leaf_make(g, &l), false);
		for (int j = 0; j < 31; j++)
			chain_set(c, (uint32_t)j + 1, fresh ? fresh_cas[j] : shared[j], !fresh && s > 0); /* the first chain owns the shared DER */
		chain_seal(c);
		if (fresh) {
			X509_free(issuer);
			pubkey_cache_forget(key);
			EVP_PKEY_free(key);
		}
	}
	{ /* the ordinary broken handshake: a leaf without its intermediate */
		struct server *sv = &g->servers[n];
		uint32_t ci = chain_new(g, CK_LEAF_ONLY, 1);
		struct leafspec l = {0};

		sv->ip = ip4(10, 66, 0, 2);
		sv->port = 443;
		sv->chain = ci;
		snprintf(sv->sni, sizeof sv->sni, "normal.leaf-only.bench.test");
		l.key = p->leaf_keys[KT_RSA2048][0];
		l.issuer = &p->inter1[1];
		l.san = "DNS:normal.leaf-only.bench.test";
		l.cn = sv->sni;
		l.aia = true;
		g->chains[ci].leaf_kt = KT_RSA2048;
		chain_set(&g->chains[ci], 0, leaf_make(g, &l), false);
		chain_seal(&g->chains[ci]);
	}
	X509_free(shared_issuer);
	clients_init(g, 2);
	w.n = n + 1;
	run_traffic(g, hostile_next, &w);
	EVP_PKEY_free(shared_key);
}

/* --- outputs ------------------------------------------------------------------------ */

static void ip_str(uint32_t ip, char *out, size_t n)
{
	snprintf(out, n, "%u.%u.%u.%u", ip >> 24, ip >> 16 & 255, ip >> 8 & 255, ip & 255);
}

static void time_str(uint64_t t_us, char *out, size_t n)
{
	time_t s = (time_t)(T0_EPOCH + (int64_t)(t_us / USEC));
	struct tm tm;

	gmtime_r(&s, &tm);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, (unsigned)(t_us % USEC));
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
}

static void truth_servers(FILE *f, const struct gen *g, bool hostile)
{
	bool first = true;

	for (uint32_t s = 0; s < g->nservers; s++) {
		const struct server *sv = &g->servers[s];
		const struct chain *c = &g->chains[sv->chain];
		bool is_hostile = c->kind == CK_HOSTILE_SHARED || c->kind == CK_HOSTILE_FRESH;
		char ip[16], sha[65];

		if (!ck_info[c->kind].broken || !sv->chain_hs || is_hostile != hostile)
			continue;
		ip_str(sv->ip, ip, sizeof ip);
		hex(c->sha256, 32, sha);
		fprintf(f,
			"%s\n    {\"server_ip\": \"%s\", \"server_port\": %u, \"sni\": \"%s\", \"kind\": \"%s\", "
			"\"codes\": %s, \"handshakes\": %u, \"chain\": \"%s\"}",
			first ? "" : ",", ip, sv->port, sv->sni, ck_info[c->kind].name, ck_info[c->kind].codes,
			sv->chain_hs, sha);
		first = false;
	}
	fprintf(f, "%s]", first ? "" : "\n  ");
}

static void truth_write(struct gen *g, double seconds)
{
	char path[4096], t1[96], t2[96];
	FILE *f;
	uint64_t distinct = 0, distinct_slice = 0, servers = 0, broken_servers = 0, broken_hs = 0;
	uint64_t hostile_servers = 0, hostile_hs = 0;

	for (uint32_t i = 0; i < g->nchains; i++) {
		distinct += g->chains[i].seen;
		distinct_slice += g->chains[i].seen_in_slice;
	}
	for (uint32_t s = 0; s < g->nservers; s++) {
		const struct server *sv = &g->servers[s];
		enum chain_kind k = g->chains[sv->chain].kind;

		servers += sv->tls_hs > 0;
		if (!ck_info[k].broken || !sv->chain_hs)
			continue;
		if (k == CK_HOSTILE_SHARED || k == CK_HOSTILE_FRESH) {
			hostile_servers++;
			hostile_hs += sv->chain_hs;
		} else {
			broken_servers++;
			broken_hs += sv->chain_hs;
		}
	}
	snprintf(path, sizeof path, "%s.truth.json", g->prefix);
	f = fopen(path, "w");
	if (!f)
		die("%s: %s", path, strerror(errno));
	time_str(0, t1, sizeof t1);
	time_str(g->last_t, t2, sizeof t2);
	fprintf(f,
		"{\n  \"generator\": \"benchgen %d\",\n  \"profile\": \"%s\",\n  \"seed\": %llu,\n  \"scale\": %g,\n"
		"  \"generation_seconds\": %.1f,\n  \"capture_start\": \"%s\",\n  \"capture_end\": \"%s\",\n"
		"  \"file_bytes\": %llu,\n  \"packets\": %llu,\n  \"wire_bytes\": %llu,\n",
		BENCHGEN_VERSION, g->profile, (unsigned long long)g->seed, g->scale, seconds, t1, t2,
		(unsigned long long)g->file_bytes, (unsigned long long)g->packets, (unsigned long long)g->wire_bytes);
	fprintf(f,
		"  \"flows\": {\"total\": %llu, \"tcp\": %llu, \"udp\": %llu, \"tls\": %llu, \"http\": %llu, "
		"\"ssh\": %llu, \"dns\": %llu},\n",
		(unsigned long long)g->flows, (unsigned long long)g->tcp_flows, (unsigned long long)g->udp_flows,
		(unsigned long long)g->flows_by_kind[K_TLS], (unsigned long long)g->flows_by_kind[K_HTTP],
		(unsigned long long)g->flows_by_kind[K_SSH], (unsigned long long)g->flows_by_kind[K_DNS]);
	fprintf(f,
		"  \"tls_handshakes\": %llu,\n  \"handshakes_with_chain\": %llu,\n  \"tls13\": %llu,\n"
		"  \"resumed\": %llu,\n  \"distinct_chains\": %llu,\n  \"distinct_servers\": %llu,\n"
		"  \"broken_handshakes\": %llu,\n  \"servers_broken\": %llu,\n  \"hostile_handshakes\": %llu,\n"
		"  \"hostile_servers\": %llu,\n",
		(unsigned long long)g->tls_hs, (unsigned long long)g->chain_hs, (unsigned long long)g->tls13,
		(unsigned long long)g->resumed, (unsigned long long)distinct, (unsigned long long)servers,
		(unsigned long long)broken_hs, (unsigned long long)broken_servers, (unsigned long long)hostile_hs,
		(unsigned long long)hostile_servers);
	fprintf(f,
		"  \"bulk_payload_bytes\": %llu,\n  \"bulk_frame_bytes\": %llu,\n  \"noise_frame_bytes\": %llu,\n",
		(unsigned long long)g->bulk_payload, (unsigned long long)g->bulk_frame_bytes,
		(unsigned long long)g->noise_frame_bytes);
	fprintf(f,
		"  \"slice\": {\"limit_bytes\": %llu, \"file_bytes\": %llu, \"packets\": %llu, "
		"\"tls_handshakes\": %llu, \"certificate_messages\": %llu, \"distinct_chains\": %llu},\n",
		(unsigned long long)g->slice_limit, (unsigned long long)g->slice_bytes,
		(unsigned long long)g->slice_packets, (unsigned long long)g->slice_tls_hs,
		(unsigned long long)g->slice_cert_msgs, (unsigned long long)distinct_slice);
	fputs("  \"broken_servers\": [", f);
	truth_servers(f, g, false);
	fputs(",\n  \"hostile_servers_list\": [", f);
	truth_servers(f, g, true);
	fputs("\n}\n", f);
	if (fclose(f) != 0)
		die("%s: %s", path, strerror(errno));
}

/* --dump-chains: each visible chain as PEM, its kind and SNI in the file
 * name (openssl verify reads the certificates and ignores the rest). */
static void chains_dump(const struct gen *g)
{
	for (uint32_t s = 0; s < g->nservers; s++) {
		const struct server *sv = &g->servers[s];
		const struct chain *c = &g->chains[sv->chain];
		char path[4096];
		FILE *f;

		if (!sv->chain_hs)
			continue;
		snprintf(path, sizeof path, "%s/%05u-%s-%s.pem", g->dump_dir, s, ck_info[c->kind].name, sv->sni);
		f = fopen(path, "w");
		if (!f)
			die("%s: %s", path, strerror(errno));
		for (uint32_t i = 0; i < c->ncerts; i++) {
			const unsigned char *p = c->certs[i].p;
			X509 *x = d2i_X509(NULL, &p, c->certs[i].len);

			if (!x || !PEM_write_X509(f, x))
				die("%s: cannot write", path);
			X509_free(x);
		}
		if (fclose(f) != 0)
			die("%s: %s", path, strerror(errno));
	}
}

static void ca_free(struct ca *ca)
{
	X509_free(ca->x);
	EVP_PKEY_free(ca->key);
	free(ca->der.p);
}

/* Everything, so that leak checkers show only what matters. */
static void gen_free(struct gen *g)
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
	free(g->servers);
	free(g->popularity.cdf);
	free(g->client_port);
	free(g->pool);
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

static void usage(void)
{
	fputs("usage: benchgen -p PROFILE -o PREFIX [-s SEED] [--scale F | -n CONNECTIONS]\n"
	      "                [--key-dir DIR] [--dump-chains DIR] [--slice-mib N]\n"
	      "  PROFILE: handshake, gateway, manychains, hostile\n"
	      "  writes PREFIX.pcap, PREFIX.roots.pem, PREFIX.truth.json\n"
	      "  -n N: about N connections (handshake, manychains), N flows (gateway),\n"
	      "        N hostile handshakes (hostile); sets --scale\n",
	      stderr);
	exit(2);
}

static double default_connections(const char *profile)
{
	if (!strcmp(profile, "gateway"))
		return 50000;
	if (!strcmp(profile, "manychains"))
		return 60000;
	if (!strcmp(profile, "hostile"))
		return 200;
	return 300000;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"profile", required_argument, NULL, 'p'}, {"out", required_argument, NULL, 'o'},
		{"seed", required_argument, NULL, 's'},    {"scale", required_argument, NULL, 'S'},
		{"key-dir", required_argument, NULL, 'k'}, {"dump-chains", required_argument, NULL, 'd'},
		{"slice-mib", required_argument, NULL, 'm'}, {NULL, 0, NULL, 0}};
	struct gen g = {0};
	struct timespec t0, t1;
	double n_conns = 0;
	int o;

	g.scale = 1;
	g.slice_limit = 100u << 20;
	while ((o = getopt_long(argc, argv, "p:o:s:n:", opts, NULL)) != -1) {
		switch (o) {
		case 'p': g.profile = optarg; break;
		case 'o': g.prefix = optarg; break;
		case 's': g.seed = strtoull(optarg, NULL, 0); break;
		case 'S': g.scale = strtod(optarg, NULL); break;
		case 'n': n_conns = strtod(optarg, NULL); break;
		case 'k': g.key_dir = optarg; break;
		case 'd': g.dump_dir = optarg; break;
		case 'm': g.slice_limit = strtoull(optarg, NULL, 0) << 20; break;
		default: usage();
		}
	}
	if (!g.profile || !g.prefix || optind != argc || !(g.scale > 0) || n_conns < 0)
		usage();
	if (strcmp(g.profile, "handshake") && strcmp(g.profile, "gateway") && strcmp(g.profile, "manychains") &&
	    strcmp(g.profile, "hostile"))
		usage();
	if (n_conns > 0)
		g.scale = n_conns / default_connections(g.profile);
	if (g.key_dir && mkdir(g.key_dir, 0700) != 0 && errno != EEXIST)
		die("%s: %s", g.key_dir, strerror(errno));
	if (g.dump_dir && mkdir(g.dump_dir, 0755) != 0 && errno != EEXIST)
		die("%s: %s", g.dump_dir, strerror(errno));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rng_seed(&g.r_pki, g.seed, 1);
	rng_seed(&g.r_traffic, g.seed, 2);
	rng_seed(&g.r_payload, g.seed, 3);
	g.pool = xmalloc(POOL_SIZE);
	rng_fill(&g.r_payload, g.pool, POOL_SIZE);
	pcap_open(&g);
	if (!strcmp(g.profile, "handshake"))
		profile_handshake(&g);
	else if (!strcmp(g.profile, "gateway"))
		profile_gateway(&g);
	else if (!strcmp(g.profile, "manychains"))
		profile_manychains(&g);
	else
		profile_hostile(&g);
	if (fclose(g.pcap) != 0)
		die("%s.pcap: %s", g.prefix, strerror(errno));
	{
		const struct pki *p = &g.pki;
		const struct ca *roots[8];
		size_t n = 0;

		if (!strcmp(g.profile, "manychains")) {
			roots[n++] = &p->many_root;
		} else {
			for (int i = 0; i < 7; i++)
				roots[n++] = &p->roots[i];
		}
		roots_write(&g, roots, n);
	}
	if (g.dump_dir)
		chains_dump(&g);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	truth_write(&g, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	fprintf(stderr, "benchgen: %s: %llu packets, %llu bytes, %llu TLS handshakes, %llu with a chain\n", g.profile,
		(unsigned long long)g.packets, (unsigned long long)g.file_bytes, (unsigned long long)g.tls_hs,
		(unsigned long long)g.chain_hs);
	gen_free(&g);
	return 0;
}
