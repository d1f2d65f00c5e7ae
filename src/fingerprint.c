/*
 * fingerprint.c - JA3 and JA4 of a TLS ClientHello (see cs_fingerprint.h).
 * Owns nothing: reads a borrowed handshake body through the cursor into
 * fixed arrays on the stack, builds the two fingerprint strings and hashes
 * them with OpenSSL EVP (MD5 for JA3, SHA-256 for JA4).  Feeds tls.c.
 * Policy: the whole message is framed and checked before anything is
 * reported; past a CS_FP_MAX_* cap values are parsed and counted, not kept.
 * References: RFC 8446 4.1.2 and 4.2, RFC 5246 7.4.1.2, RFC 8701 (GREASE),
 * RFC 7301 (ALPN), RFC 8422 5.1; salesforce/ja3 README; FoxIO-LLC/ja4
 * technical_details/JA4.md.
 */
#include "cs_fingerprint.h"

#include "cs_codec.h"
#include "cs_cursor.h"

#include <assert.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <string.h>

/* IANA TLS ExtensionType values that feed a fingerprint. */
#define EXT_SERVER_NAME 0x0000u
#define EXT_SUPPORTED_GROUPS 0x000au
#define EXT_EC_POINT_FORMATS 0x000bu
#define EXT_SIGNATURE_ALGORITHMS 0x000du
#define EXT_ALPN 0x0010u
#define EXT_SUPPORTED_VERSIONS 0x002bu

/* Longest strings that get hashed: "65535" and a separator per value. */
#define JA3_STR_MAX                                                                                \
	(5 + 1 + CS_FP_MAX_CIPHERS * 6 + 1 + CS_FP_MAX_EXTENSIONS * 6 + 1 + CS_FP_MAX_GROUPS * 6 + \
	 1 + CS_FP_MAX_POINT_FORMATS * 4 + 1)
#define JA4_B_STR_MAX (CS_FP_MAX_CIPHERS * 5 + 1)
#define JA4_C_STR_MAX (CS_FP_MAX_EXTENSIONS * 5 + CS_FP_MAX_SIGALGS * 5 + 1)
#define JA4_HASH_LEN 12

_Static_assert(CS_JA4_LEN == 10 + 1 + JA4_HASH_LEN + 1 + JA4_HASH_LEN,
	       "JA4 is a_b_c with a 10-character a part");

/* What the fingerprints need from one ClientHello.  Lists hold values in
 * wire order with GREASE removed, at most their cap (then `capped`). */
struct client_hello {
	uint16_t legacy_version;
	uint16_t ciphers[CS_FP_MAX_CIPHERS];
	uint16_t exts[CS_FP_MAX_EXTENSIONS];
	uint16_t groups[CS_FP_MAX_GROUPS];
	uint16_t sigalgs[CS_FP_MAX_SIGALGS];
	uint16_t point_formats[CS_FP_MAX_POINT_FORMATS]; /* u8 on the wire */
	size_t n_ciphers, n_exts, n_groups, n_sigalgs, n_point_formats;
	size_t total_ciphers, total_exts; /* uncapped, for JA4's counts */
	bool have_version;                /* a non-GREASE supported_version */
	uint16_t max_version;             /* the highest of them */
	bool sni;
	bool alpn; /* a non-empty first ALPN protocol name */
	uint8_t alpn_first, alpn_last;
	unsigned seen; /* SEEN_* bits: first occurrence of an extension wins */
	bool capped;
};

#define SEEN_GROUPS 1u
#define SEEN_POINT_FORMATS 2u
#define SEEN_SIGALGS 4u
#define SEEN_ALPN 8u
#define SEEN_VERSIONS 16u

static const char hexdig[] = "0123456789abcdef";

/* RFC 8701 2: 0x0a0a, 0x1a1a, ... 0xfafa. */
static bool is_grease(uint16_t v) { return (v & 0x0f0fu) == 0x0a0au && (v >> 8) == (v & 0xffu); }

static void keep(uint16_t *list, size_t cap, size_t *n, uint16_t v, bool *capped)
{
	if (*n == cap) {
		*capped = true;
		return;
	}
	list[(*n)++] = v;
}

/* The rest of c as u16 values (an odd length is malformed), GREASE
 * dropped; total (if not NULL) counts every non-GREASE value. */
static bool read_u16_list(struct cs_cursor *c, uint16_t *list, size_t cap, size_t *n, size_t *total,
			  bool *capped)
{
	uint16_t v;

	while (cur_left(c) > 0) {
		if (!cur_u16(c, &v))
			return false;
		if (is_grease(v))
			continue;
		if (total)
			(*total)++;
		keep(list, cap, n, v, capped);
	}
	return cur_ok(c);
}

static bool first_time(struct client_hello *ch, unsigned bit)
{
	if (ch->seen & bit)
		return false;
	ch->seen |= bit;
	return true;
}

/* RFC 8446 4.2.7 / RFC 8422 5.1.1: NamedGroup named_group_list<2..2^16-1> */
static bool ext_supported_groups(struct cs_cursor *data, struct client_hello *ch)
{
	struct cs_cursor list;

	return cur_vec(data, 2, &list) && cur_end(data) &&
	       read_u16_list(&list, ch->groups, CS_FP_MAX_GROUPS, &ch->n_groups, NULL, &ch->capped);
}

/* RFC 8422 5.1.2: ECPointFormat ec_point_format_list<1..2^8-1> (u8 each) */
static bool ext_point_formats(struct cs_cursor *data, struct client_hello *ch)
{
	struct cs_cursor list;
	uint8_t v;

	if (!cur_vec(data, 1, &list) || !cur_end(data))
		return false;
	while (cur_left(&list) > 0) {
		if (!cur_u8(&list, &v))
			return false;
		keep(ch->point_formats, CS_FP_MAX_POINT_FORMATS, &ch->n_point_formats, v,
		     &ch->capped);
	}
	return cur_ok(&list);
}

/* RFC 8446 4.2.3: SignatureScheme supported_signature_algorithms<2..2^16-2>
 * (kept in wire order: JA4 hashes them unsorted). */
static bool ext_sigalgs(struct cs_cursor *data, struct client_hello *ch)
{
	struct cs_cursor list;

	return cur_vec(data, 2, &list) && cur_end(data) &&
	       read_u16_list(&list, ch->sigalgs, CS_FP_MAX_SIGALGS, &ch->n_sigalgs, NULL,
			     &ch->capped);
}

/*
 * RFC 7301 3.1: ProtocolName protocol_name_list<2..2^16-1>, each
 * opaque ProtocolName<1..2^8-1>.  Only the first and last byte of the first
 * name matter to JA4; every name is still framed.  An empty first name
 * (illegal, but seen) counts as no ALPN, as JA4.md says.
 */
static bool ext_alpn(struct cs_cursor *data, struct client_hello *ch)
{
	struct cs_cursor list, name;
	bool first = true;
	size_t n;

	if (!cur_vec(data, 2, &list) || !cur_end(data))
		return false;
	while (cur_left(&list) > 0) {
		if (!cur_vec(&list, 1, &name))
			return false;
		n = cur_left(&name);
		if (first && n > 0) {
			ch->alpn = cur_u8(&name, &ch->alpn_first);
			ch->alpn_last = ch->alpn_first;
			if (n > 1 && (!cur_skip(&name, n - 2) || !cur_u8(&name, &ch->alpn_last)))
				return false;
		}
		first = false;
	}
	return cur_ok(&list);
}

/* RFC 8446 4.2.1, ClientHello form: ProtocolVersion versions<2..254> */
static bool ext_supported_versions(struct cs_cursor *data, struct client_hello *ch)
{
	struct cs_cursor list;
	uint16_t v;

	if (!cur_vec(data, 1, &list) || !cur_end(data))
		return false;
	while (cur_left(&list) > 0) {
		if (!cur_u16(&list, &v))
			return false;
		if (is_grease(v))
			continue;
		if (!ch->have_version || v > ch->max_version)
			ch->max_version = v;
		ch->have_version = true;
	}
	return cur_ok(&list);
}

static bool read_extension(uint16_t type, struct cs_cursor *data, struct client_hello *ch)
{
	switch (type) {
	case EXT_SERVER_NAME:
		ch->sni = true; /* JA4 asks for presence only */
		return true;
	case EXT_SUPPORTED_GROUPS:
		return !first_time(ch, SEEN_GROUPS) || ext_supported_groups(data, ch);
	case EXT_EC_POINT_FORMATS:
		return !first_time(ch, SEEN_POINT_FORMATS) || ext_point_formats(data, ch);
	case EXT_SIGNATURE_ALGORITHMS:
		return !first_time(ch, SEEN_SIGALGS) || ext_sigalgs(data, ch);
	case EXT_ALPN:
		return !first_time(ch, SEEN_ALPN) || ext_alpn(data, ch);
	case EXT_SUPPORTED_VERSIONS:
		return !first_time(ch, SEEN_VERSIONS) || ext_supported_versions(data, ch);
	default:
		return true;
	}
}

/* RFC 8446 4.2: Extension extensions<8..2^16-1>, each
 *   struct { ExtensionType extension_type; opaque extension_data<0..2^16-1>; } */
static bool read_extensions(struct cs_cursor *list, struct client_hello *ch)
{
	struct cs_cursor data;
	uint16_t type;

	while (cur_left(list) > 0) {
		if (!cur_u16(list, &type) || !cur_vec(list, 2, &data))
			return false;
		if (is_grease(type))
			continue;
		ch->total_exts++;
		keep(ch->exts, CS_FP_MAX_EXTENSIONS, &ch->n_exts, type, &ch->capped);
		if (!read_extension(type, &data, ch))
			return false;
	}
	return cur_ok(list);
}

/*
 * RFC 8446 4.1.2 (RFC 5246 7.4.1.2 is the same on the wire):
 *   ProtocolVersion legacy_version;                  u16
 *   Random random;                                   32 bytes
 *   opaque legacy_session_id<0..32>;
 *   CipherSuite cipher_suites<2..2^16-2>;
 *   opaque legacy_compression_methods<1..2^8-1>;
 *   Extension extensions<8..2^16-1>;                 absent before TLS 1.2
 * Vector bounds below the framing (an empty cipher list, a 40-byte session
 * id) are not enforced: JA4.md defines the empty lists, and Wireshark
 * fingerprints such messages too.
 */
static bool read_client_hello(struct cs_cursor *msg, struct client_hello *ch)
{
	struct cs_cursor session_id, suites, compression, exts;

	if (!cur_u16(msg, &ch->legacy_version) || !cur_skip(msg, 32) ||
	    !cur_vec(msg, 1, &session_id) || !cur_vec(msg, 2, &suites) ||
	    !cur_vec(msg, 1, &compression))
		return false;
	if (!read_u16_list(&suites, ch->ciphers, CS_FP_MAX_CIPHERS, &ch->n_ciphers,
			   &ch->total_ciphers, &ch->capped))
		return false;
	if (cur_left(msg) == 0)
		return cur_ok(msg); /* no extensions block at all */
	return cur_vec(msg, 2, &exts) && cur_end(msg) && read_extensions(&exts, ch);
}

/* A bounded string builder; sizes are fixed so overflow is our bug. */
struct strbuf {
	char *p;
	size_t cap; /* including the NUL */
	size_t n;
	bool overflow;
};

static void sb_init(struct strbuf *b, char *p, size_t cap)
{
	b->p = p;
	b->cap = cap;
	b->n = 0;
	b->overflow = false;
	p[0] = '\0';
}

static void sb_putc(struct strbuf *b, char c)
{
	if (b->n + 1 >= b->cap) {
		b->overflow = true;
		return;
	}
	b->p[b->n++] = c;
	b->p[b->n] = '\0';
}

static void sb_dec(struct strbuf *b, unsigned v)
{
	char tmp[10];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		sb_putc(b, tmp[--n]);
}

static void sb_hex4(struct strbuf *b, uint16_t v)
{
	for (int shift = 12; shift >= 0; shift -= 4)
		sb_putc(b, hexdig[(v >> shift) & 0xfu]);
}

/* Values joined by sep, decimal (JA3) or 4-digit lowercase hex (JA4). */
static void sb_list(struct strbuf *b, const uint16_t *v, size_t n, char sep, bool hex)
{
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			sb_putc(b, sep);
		if (hex)
			sb_hex4(b, v[i]);
		else
			sb_dec(b, v[i]);
	}
}

/*
 * Digests fetched once for the process (an implicit fetch per call takes
 * provider locks: a tenth of the time of a handshake-heavy run).  chainsniff
 * parses on one thread; the objects are freed at exit.
 */
static EVP_MD *fp_md5, *fp_sha256;
static EVP_MD_CTX *fp_ctx;

static void fp_free(void)
{
	EVP_MD_free(fp_md5);
	EVP_MD_free(fp_sha256);
	EVP_MD_CTX_free(fp_ctx);
}

static const EVP_MD *fp_digest(bool md5)
{
	static bool fetched;

	if (!fetched) {
		fetched = true;
		fp_md5 = EVP_MD_fetch(NULL, "MD5", NULL);
		fp_sha256 = EVP_MD_fetch(NULL, "SHA2-256", NULL);
		fp_ctx = EVP_MD_CTX_new();
		ERR_clear_error();
		atexit(fp_free);
	}
	return md5 ? fp_md5 : fp_sha256;
}

/* The first hexlen (even) lowercase hex digits of md(s) into
 * out[hexlen + 1]; "" when OpenSSL refuses the digest (MD5 under a
 * FIPS-only provider). */
static bool digest_hex(const EVP_MD *md, const struct strbuf *s, char *out, size_t hexlen)
{
	unsigned char d[EVP_MAX_MD_SIZE];
	unsigned int dn = 0;

	out[0] = '\0';
	if (md == NULL || !fp_ctx || EVP_DigestInit_ex2(fp_ctx, md, NULL) != 1 ||
	    EVP_DigestUpdate(fp_ctx, s->p, s->n) != 1 || EVP_DigestFinal_ex(fp_ctx, d, &dn) != 1 ||
	    (size_t)dn * 2 < hexlen)
		return false;
	hex_lower(d, hexlen / 2, out);
	return true;
}

/* JA3: SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats */
static void make_ja3(const struct client_hello *ch, char out[CS_JA3_LEN + 1])
{
	char str[JA3_STR_MAX];
	struct strbuf b;

	sb_init(&b, str, sizeof str);
	sb_dec(&b, ch->legacy_version);
	sb_putc(&b, ',');
	sb_list(&b, ch->ciphers, ch->n_ciphers, '-', false);
	sb_putc(&b, ',');
	sb_list(&b, ch->exts, ch->n_exts, '-', false);
	sb_putc(&b, ',');
	sb_list(&b, ch->groups, ch->n_groups, '-', false);
	sb_putc(&b, ',');
	sb_list(&b, ch->point_formats, ch->n_point_formats, '-', false);
	assert(!b.overflow);
	digest_hex(fp_digest(true), &b, out, CS_JA3_LEN);
}

/* JA4.md "TLS and DTLS Version": anything else is "00". */
static const char *ja4_version(uint16_t v)
{
	switch (v) {
	case 0x0304:
		return "13";
	case 0x0303:
		return "12";
	case 0x0302:
		return "11";
	case 0x0301:
		return "10";
	case 0x0300:
		return "s3";
	case 0x0002:
		return "s2";
	case 0xfeff:
		return "d1";
	case 0xfefd:
		return "d2";
	case 0xfefc:
		return "d3";
	default:
		return "00";
	}
}

/* ASCII only: isalnum() would follow the locale. */
static bool is_alnum(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static void sort_u16(uint16_t *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		uint16_t x = v[i];
		size_t j = i;

		for (; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* A JA4 hash part: "000000000000" for an empty list (JA4.md), else the
 * first 12 hex digits of SHA-256.  False if OpenSSL refused SHA-256. */
static bool ja4_hash(const struct strbuf *s, bool empty, char out[JA4_HASH_LEN + 1])
{
	if (empty) {
		memset(out, '0', JA4_HASH_LEN);
		out[JA4_HASH_LEN] = '\0';
		return true;
	}
	return digest_hex(fp_digest(false), s, out, JA4_HASH_LEN);
}

static void sb_count2(struct strbuf *b, size_t n)
{
	if (n > 99)
		n = 99;
	sb_putc(b, (char)('0' + n / 10));
	sb_putc(b, (char)('0' + n % 10));
}

/*
 * JA4 = a_b_c (JA4.md):
 *   a = proto, version, SNI d/i, #ciphers, #extensions, ALPN first+last
 *   b = sha256("002f,0035,...": ciphers sorted)[:12]
 *   c = sha256("0005,000a,...": extensions sorted without SNI and ALPN,
 *              then "_" and the signature algorithms in wire order if any)[:12]
 */
static void make_ja4(const struct client_hello *ch, bool over_tcp, char out[CS_JA4_LEN + 1])
{
	uint16_t sorted[CS_FP_MAX_CIPHERS > CS_FP_MAX_EXTENSIONS ? CS_FP_MAX_CIPHERS
								 : CS_FP_MAX_EXTENSIONS];
	char bstr[JA4_B_STR_MAX], cstr[JA4_C_STR_MAX];
	char hb[JA4_HASH_LEN + 1], hc[JA4_HASH_LEN + 1];
	/* JA4.md: the highest supported_versions value, else legacy_version */
	const char *version = ja4_version(ch->have_version ? ch->max_version : ch->legacy_version);
	struct strbuf b, c, a;
	size_t n = 0;

	out[0] = '\0';

	memcpy(sorted, ch->ciphers, ch->n_ciphers * sizeof sorted[0]);
	sort_u16(sorted, ch->n_ciphers);
	sb_init(&b, bstr, sizeof bstr);
	sb_list(&b, sorted, ch->n_ciphers, ',', true);

	for (size_t i = 0; i < ch->n_exts; i++)
		if (ch->exts[i] != EXT_SERVER_NAME && ch->exts[i] != EXT_ALPN)
			sorted[n++] = ch->exts[i];
	sort_u16(sorted, n);
	sb_init(&c, cstr, sizeof cstr);
	sb_list(&c, sorted, n, ',', true);
	if (ch->n_sigalgs > 0) {
		sb_putc(&c, '_');
		sb_list(&c, ch->sigalgs, ch->n_sigalgs, ',', true);
	}
	assert(!b.overflow && !c.overflow);
	if (!ja4_hash(&b, ch->n_ciphers == 0, hb) || !ja4_hash(&c, n == 0, hc))
		return;

	sb_init(&a, out, CS_JA4_LEN + 1);
	sb_putc(&a, over_tcp ? 't' : 'q');
	sb_putc(&a, version[0]);
	sb_putc(&a, version[1]);
	sb_putc(&a, ch->sni ? 'd' : 'i');
	sb_count2(&a, ch->total_ciphers);
	sb_count2(&a, ch->total_exts);
	if (!ch->alpn) {
		sb_putc(&a, '0');
		sb_putc(&a, '0');
	} else if (is_alnum(ch->alpn_first) && is_alnum(ch->alpn_last)) {
		sb_putc(&a, (char)ch->alpn_first);
		sb_putc(&a, (char)ch->alpn_last);
	} else {
		/* JA4.md: first and last character of the name's hex form */
		sb_putc(&a, hexdig[ch->alpn_first >> 4]);
		sb_putc(&a, hexdig[ch->alpn_last & 0xfu]);
	}
	sb_putc(&a, '_');
	for (size_t i = 0; i < JA4_HASH_LEN; i++)
		sb_putc(&a, hb[i]);
	sb_putc(&a, '_');
	for (size_t i = 0; i < JA4_HASH_LEN; i++)
		sb_putc(&a, hc[i]);
	assert(!a.overflow && a.n == CS_JA4_LEN);
}

/*
 * Fingerprints are the same for every ClientHello a client stack sends
 * (the SNI name, random and session id do not enter them), so the strings
 * and digests are made once per distinct input and remembered: the parsed
 * fields, serialised, are compared byte for byte (no hash decides), in a
 * small direct-mapped table per thread.
 */

struct fp_memo {
	uint16_t klen;
	uint8_t key[CS_FP_MEMO_KEY];
	struct cs_fingerprint fp;
};

static _Thread_local struct fp_memo fp_memo[CS_FP_MEMO_SLOTS]; /* 160 KiB per thread, in TLS */

static bool put_list(uint8_t *k, size_t *o, const uint16_t *v, size_t n)
{
	if (*o + 2 + 2 * n > CS_FP_MEMO_KEY)
		return false;
	k[(*o)++] = (uint8_t)n;
	k[(*o)++] = (uint8_t)(n >> 8);
	memcpy(k + *o, v, 2 * n);
	*o += 2 * n;
	return true;
}

/* Everything the fingerprints are made of, as bytes; false when too long. */
static bool memo_key(const struct client_hello *ch, bool over_tcp, uint8_t *k, size_t *len)
{
	size_t o = 0;
	uint16_t head[8] = {ch->legacy_version,
			    ch->max_version,
			    (uint16_t)ch->total_ciphers,
			    (uint16_t)ch->total_exts,
			    ch->alpn_first,
			    ch->alpn_last,
			    (uint16_t)(ch->have_version | ch->sni << 1 | ch->alpn << 2 |
				       ch->capped << 3 | over_tcp << 4),
			    0};

	return put_list(k, &o, head, 8) && put_list(k, &o, ch->ciphers, ch->n_ciphers) &&
	       put_list(k, &o, ch->exts, ch->n_exts) && put_list(k, &o, ch->groups, ch->n_groups) &&
	       put_list(k, &o, ch->sigalgs, ch->n_sigalgs) &&
	       put_list(k, &o, ch->point_formats, ch->n_point_formats) && (*len = o, true);
}

static size_t memo_slot(const uint8_t *k, size_t n)
{
	uint32_t h = 2166136261u; /* FNV-1a: a slot index only, the key is compared */

	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 16777619u;
	return h % CS_FP_MEMO_SLOTS;
}

bool fingerprint_client_hello(const uint8_t *body, size_t len, bool over_tcp,
			      struct cs_fingerprint *out)
{
	struct client_hello ch;
	struct cs_cursor msg;
	uint8_t key[CS_FP_MEMO_KEY];
	size_t klen = 0;
	struct fp_memo *m = NULL;

	memset(out, 0, sizeof *out);
	memset(&ch, 0, sizeof ch);
	cur_init(&msg, body, len);
	if (!read_client_hello(&msg, &ch))
		return false;
	if (memo_key(&ch, over_tcp, key, &klen)) {
		m = &fp_memo[memo_slot(key, klen)];
		if (m->klen == klen && memcmp(m->key, key, klen) == 0) {
			*out = m->fp;
			return true;
		}
	}
	make_ja3(&ch, out->ja3);
	make_ja4(&ch, over_tcp, out->ja4);
	out->capped = ch.capped;
	if (m && out->ja3[0] && out->ja4[0]) {
		m->klen = (uint16_t)klen;
		memcpy(m->key, key, klen);
		m->fp = *out;
	}
	return true;
}
