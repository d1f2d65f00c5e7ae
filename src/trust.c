/*
 * trust.c - trust anchors loaded from PEM bundles and directories
 * (cs_trust.h), and the store of a past date made from the root-store
 * timeline (cs_timeline.h).  Owns the anchors' X509 objects (a dated store
 * holds references to today's).  Policy: a file that cannot be read is an
 * error (the operator named it); a PEM block that is not a certificate is
 * skipped; duplicate anchors count once.
 */
#include "cs_trust.h"
#include "cs_certcache.h"
#include "cs_codec.h"
#include "cs_limits.h"
#include "cs_timefmt.h"
#include "cs_timeline.h"
#include "cs_vec.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

struct anchor {
	struct cs_x509 id;       /* first member (trust_anchor_root); id.x owned (a reference) */
	unsigned long name_hash; /* of the subject, as OpenSSL's hashed directories */
	const struct timeline_root *root; /* dated stores: the timeline's root, or NULL */
	bool rebuilt;                     /* made from the timeline's key and name (rebuilt_root) */
};

struct cs_trust {
	struct anchor *a;  /* sorted by SHA-256 once loaded */
	size_t n, a_cap;   /* a_cap: allocated, at most cap */
	uint32_t *by_name; /* anchor indexes sorted by name_hash */
	size_t cap;        /* anchors it may hold */
	bool dated;        /* trust_at_date: the store of `when` */
	int64_t when;
	char name[1024];
	char digest[2 * CS_SHA256_LEN + 1];
};

static void name_append(struct cs_trust *t, const char *what, const char *path)
{
	size_t len = strlen(t->name);

	snprintf(t->name + len, sizeof(t->name) - len, "%s%s%s", len ? "; " : "", what, path);
}

/* " + 3 anchors of ...": sign, count, a noun made plural, the rest. */
static void name_append_count(struct cs_trust *t, char sign, size_t n, const char *noun,
			      const char *rest)
{
	size_t len = strlen(t->name);

	snprintf(t->name + len, sizeof(t->name) - len, " %c %zu %s%s %s", sign, n, noun,
		 n == 1 ? "" : "s", rest);
}

static bool have_anchor(const struct cs_trust *t, const uint8_t sha[CS_SHA256_LEN])
{
	for (size_t i = 0; i < t->n; i++)
		if (memcmp(t->a[i].id.sha256, sha, CS_SHA256_LEN) == 0)
			return true;
	return false;
}

static unsigned long subject_hash(X509 *x)
{
	int ok = 0;
	unsigned long h = X509_NAME_hash_ex(X509_get_subject_name(x), NULL, NULL, &ok);

	ERR_clear_error();
	return ok ? h : 0;
}

/* Append id (taking its reference to id->x, freed on failure). */
static enum cs_status append_anchor(struct cs_trust *t, const struct cs_x509 *id,
				    const struct timeline_root *root, bool rebuilt)
{
	enum cs_status st =
		vec_reserve_capped(&t->a, t->n, &t->a_cap, sizeof(*t->a), 64, t->cap, NULL);

	if (st != CS_OK) {
		X509_free(id->x);
		return st;
	}
	t->a[t->n] = (struct anchor){*id, subject_hash(id->x), root, rebuilt};
	t->n++;
	return CS_OK;
}

/* Takes ownership of x. */
static enum cs_status add_anchor(struct cs_trust *t, X509 *x)
{
	struct cs_x509 id;

	if (!x509_identify(x, &id) || have_anchor(t, id.sha256)) {
		X509_free(x);
		return CS_OK;
	}
	return append_anchor(t, &id, NULL, false);
}

/* Every certificate of a PEM file (a bundle or a single certificate);
 * *read: how many it holds (a duplicate of an anchor already loaded
 * counts here, and once in the store). */
static enum cs_status load_file(struct cs_trust *t, const char *path, size_t *read, char *err,
				size_t errlen)
{
	FILE *f = fopen(path, "r");
	X509 *x;

	*read = 0;
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return CS_IO;
	}
	while ((x = PEM_read_X509(f, NULL, NULL, NULL)) != NULL) {
		enum cs_status st = add_anchor(t, x);

		++*read;
		if (st != CS_OK) {
			fclose(f);
			snprintf(err, errlen, "%s: too many trust anchors (cap %u)", path,
				 CS_MAX_TRUST_ANCHORS);
			return st;
		}
	}
	ERR_clear_error(); /* the loop ends on "no start line" */
	fclose(f);
	return CS_OK;
}

/* OpenSSL's c_rehash links: 8 hex digits, '.', a digit */
static bool hash_link(const char *name)
{
	return strlen(name) >= 10 && name[8] == '.' && strspn(name, "0123456789abcdef") == 8;
}

/* A hashed directory (like /etc/ssl/certs) is read through its hash links
 * only, as OpenSSL looks it up: the *.pem files beside them are the same
 * certificates and would double the parsing.  Otherwise *.pem and *.crt. */
static bool looks_like_cert_file(const char *name, bool hashed_dir)
{
	size_t n = strlen(name);

	if (name[0] == '.')
		return false;
	if (hashed_dir)
		return hash_link(name);
	return n > 4 && (!strcmp(name + n - 4, ".pem") || !strcmp(name + n - 4, ".crt"));
}

static bool is_hashed_dir(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	bool hashed = false;

	while (d && !hashed && (de = readdir(d)) != NULL)
		hashed = hash_link(de->d_name);
	if (d)
		closedir(d);
	return hashed;
}

static enum cs_status load_dir(struct cs_trust *t, const char *path, char *err, size_t errlen)
{
	bool hashed = is_hashed_dir(path);
	DIR *d = opendir(path);
	struct dirent *de;
	char file[4096];
	size_t added = 0, n;

	if (!d) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return CS_IO;
	}
	while ((de = readdir(d)) != NULL) {
		enum cs_status st;

		if (!looks_like_cert_file(de->d_name, hashed))
			continue;
		snprintf(file, sizeof(file), "%s/%s", path, de->d_name);
		st = load_file(t, file, &n, err, errlen);
		if (st == CS_LIMIT || st == CS_NOMEM) {
			closedir(d);
			return st;
		}
		added += st == CS_OK ? n : 0; /* an unreadable entry in a directory is skipped */
	}
	closedir(d);
	if (added == 0 && t->n == 0) {
		snprintf(err, errlen, "%s: no certificates found", path);
		return CS_BAD;
	}
	return CS_OK;
}

static enum cs_status load_system(struct cs_trust *t, char *err, size_t errlen)
{
	const char *file = getenv(X509_get_default_cert_file_env());
	const char *dir = getenv(X509_get_default_cert_dir_env());
	size_t n = 0;
	enum cs_status st;

	if (!file && !dir)
		file = X509_get_default_cert_file();
	if (file) {
		st = load_file(t, file, &n, err, errlen);
		if (st != CS_OK && !dir && !getenv(X509_get_default_cert_file_env())) {
			/* no bundle file: fall back to the hashed directory */
			dir = X509_get_default_cert_dir();
		} else if (st != CS_OK) {
			return st;
		} else {
			name_append(t, "system: ", file);
		}
	}
	if (dir) {
		st = load_dir(t, dir, err, errlen);
		if (st != CS_OK)
			return st;
		name_append(t, "system dir: ", dir);
	}
	return CS_OK;
}

static int anchor_cmp(const void *x, const void *y)
{
	return memcmp(((const struct anchor *)x)->id.sha256, ((const struct anchor *)y)->id.sha256,
		      CS_SHA256_LEN);
}

static const struct cs_trust *sort_trust; /* qsort has no context argument */

static int by_name_cmp(const void *x, const void *y)
{
	unsigned long a = sort_trust->a[*(const uint32_t *)x].name_hash;
	unsigned long b = sort_trust->a[*(const uint32_t *)y].name_hash;

	return a < b ? -1 : a > b;
}

/* The index of anchors by subject name hash, for issuer lookups. */
static bool index_names(struct cs_trust *t)
{
	t->by_name = malloc((t->n ? t->n : 1) * sizeof(*t->by_name));
	if (!t->by_name)
		return false;
	for (size_t i = 0; i < t->n; i++)
		t->by_name[i] = (uint32_t)i;
	sort_trust = t;
	qsort(t->by_name, t->n, sizeof(*t->by_name), by_name_cmp);
	sort_trust = NULL;
	return true;
}

static void compute_digest(struct cs_trust *t)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t d[CS_SHA256_LEN];
	unsigned int n = 0;

	if (t->n > 1)
		qsort(t->a, t->n, sizeof(*t->a), anchor_cmp);
	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return;
	}
	for (size_t i = 0; i < t->n; i++)
		EVP_DigestUpdate(ctx, t->a[i].id.sha256, CS_SHA256_LEN);
	if (EVP_DigestFinal_ex(ctx, d, &n) == 1)
		hex_lower(d, CS_SHA256_LEN, t->digest);
	EVP_MD_CTX_free(ctx);
}

/* Once every anchor is in: the digest (which sorts them) and the index. */
static enum cs_status finish(struct cs_trust *t)
{
	compute_digest(t);
	return index_names(t) ? CS_OK : CS_NOMEM;
}

/* A --ca-file or --add-ca file, which must hold a certificate, named in the
 * store's description after what ("file: ", "add: "). */
static enum cs_status load_named_file(struct cs_trust *t, const char *what, const char *path,
				      char *err, size_t errlen)
{
	size_t n;
	enum cs_status st = load_file(t, path, &n, err, errlen);

	if (st == CS_OK && n == 0) {
		snprintf(err, errlen, "%s: no PEM certificates in this file", path);
		st = CS_BAD;
	}
	if (st == CS_OK)
		name_append(t, what, path);
	return st;
}

enum cs_status trust_load(const struct trust_opts *o, struct cs_trust **out, char *err,
			  size_t errlen)
{
	struct cs_trust *t = calloc(1, sizeof(*t));
	enum cs_status st = CS_OK;

	*out = NULL;
	if (!t)
		return CS_NOMEM;
	t->cap = CS_MAX_TRUST_ANCHORS;
	if (o->n_ca_files == 0 && o->n_ca_dirs == 0)
		st = load_system(t, err, errlen);
	for (size_t i = 0; st == CS_OK && i < o->n_ca_files; i++)
		st = load_named_file(t, "file: ", o->ca_files[i], err, errlen);
	for (size_t i = 0; st == CS_OK && i < o->n_ca_dirs; i++) {
		st = load_dir(t, o->ca_dirs[i], err, errlen);
		if (st == CS_OK)
			name_append(t, "dir: ", o->ca_dirs[i]);
	}
	for (size_t i = 0; st == CS_OK && i < o->n_add_cas; i++)
		st = load_named_file(t, "add: ", o->add_cas[i], err, errlen);
	if (st == CS_OK)
		st = finish(t);
	if (st != CS_OK) {
		trust_free(t);
		return st;
	}
	*out = t;
	return CS_OK;
}

void trust_free(struct cs_trust *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++)
		X509_free(t->a[i].id.x);
	free(t->a);
	free(t->by_name);
	free(t);
}

const char *trust_name(const struct cs_trust *t) { return t->name; }

const char *trust_digest(const struct cs_trust *t) { return t->digest; }

size_t trust_count(const struct cs_trust *t) { return t->n; }

const struct cs_x509 *trust_anchor_by_der(const struct cs_trust *t,
					  const uint8_t sha256[CS_SHA256_LEN])
{
	struct anchor key;
	const struct anchor *a;

	if (t->n == 0)
		return NULL;
	memcpy(key.id.sha256, sha256, CS_SHA256_LEN);
	a = bsearch(&key, t->a, t->n, sizeof(*t->a), anchor_cmp);
	return a ? &a->id : NULL;
}

bool trust_contains_der(const struct cs_trust *t, const uint8_t sha256[CS_SHA256_LEN])
{
	return trust_anchor_by_der(t, sha256) != NULL;
}

size_t trust_issuers_of(const struct cs_trust *t, X509 *cert, const struct cs_x509 **out,
			size_t max)
{
	int ok = 0;
	unsigned long h = X509_NAME_hash_ex(X509_get_issuer_name(cert), NULL, NULL, &ok);
	size_t lo = 0, hi = t->n, n = 0;

	ERR_clear_error();
	if (!ok)
		return 0;
	while (lo < hi) { /* the first anchor whose subject hashes to h */
		size_t mid = lo + (hi - lo) / 2;

		if (t->a[t->by_name[mid]].name_hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < t->n && n < max && t->a[t->by_name[i]].name_hash == h; i++) {
		const struct anchor *a = &t->a[t->by_name[i]];
		int r = X509_check_issued(a->id.x, cert);

		/* an anchor is trusted as it is: its key usage is not checked; a
		 * root rebuilt from the timeline has no serial number to match an
		 * authorityKeyIdentifier's (its key decides, by the signature) */
		if (r == X509_V_OK || r == X509_V_ERR_KEYUSAGE_NO_CERTSIGN ||
		    (a->rebuilt && r == X509_V_ERR_AKID_ISSUER_SERIAL_MISMATCH))
			out[n++] = &a->id;
	}
	ERR_clear_error();
	return n;
}

/* ---- the store of a past date (the root-store timeline) ---------------------------------- */

/* The root of the timeline with this key that was in the store at when
 * (NULL if none was; *known: the timeline knows the key). */
static const struct timeline_root *key_in_store(const struct cs_timeline *tl,
						const uint8_t spki[CS_SHA256_LEN], int64_t when,
						bool *known)
{
	const struct timeline_root *same[8];
	size_t n = timeline_by_spki(tl, spki, same, CS_ARRAY_LEN(same));

	*known = n > 0;
	for (size_t i = 0; i < n && i < CS_ARRAY_LEN(same); i++)
		if (timeline_in_store(same[i], when))
			return same[i];
	return NULL;
}

/* An anchor of today's store in the store of `when`: the timeline decides
 * for a root it knows, by certificate, else by key (a re-issued root); the
 * others (a private CA, a root only the distribution ships) are kept. */
static enum cs_status keep_today(struct cs_trust *t, const struct anchor *a,
				 const struct cs_timeline *tl, int64_t when, size_t *unknown)
{
	const struct timeline_root *r = timeline_by_cert(tl, a->id.sha256);
	struct cs_x509 id = a->id;
	bool known = true;

	if (r && !timeline_in_store(r, when))
		return CS_OK;
	if (!r && !(r = key_in_store(tl, a->id.spki, when, &known)) && known)
		return CS_OK;
	if (!known)
		++*unknown;
	if (!X509_up_ref(id.x))
		return CS_NOMEM;
	return append_anchor(t, &id, r, false);
}

static bool set_time(X509 *x, int64_t t, bool after)
{
	ASN1_TIME *a = ASN1_TIME_set(NULL, (time_t)t);
	bool ok = a && (after ? X509_set1_notAfter(x, a) : X509_set1_notBefore(x, a));

	ASN1_TIME_free(a);
	return ok;
}

/*
 * A root known only from the timeline: its subject (as issuer too), key
 * and validity, which is all the diagnosis asks of an anchor.  Its own
 * signature is never checked (an anchor is trusted as it is); it is signed
 * with a key of ours only so that it encodes like any certificate.  NULL
 * when libcrypto cannot take the key (counted by the caller).
 */
static X509 *rebuilt_root(const struct timeline_root *r, EVP_PKEY *signer)
{
	const unsigned char *kp = r->spki.p, *np = r->subject_der.p;
	EVP_PKEY *key = d2i_PUBKEY(NULL, &kp, (long)r->spki.n);
	X509_NAME *name = d2i_X509_NAME(NULL, &np, (long)r->subject_der.n);
	X509 *x = X509_new();
	bool ok = key && name && x && X509_set_version(x, 2) && X509_set_subject_name(x, name) &&
		  X509_set_issuer_name(x, name) && X509_set_pubkey(x, key) &&
		  set_time(x, r->not_before, false) && set_time(x, r->not_after, true) &&
		  X509_sign(x, signer, NULL) > 0;

	EVP_PKEY_free(key);
	X509_NAME_free(name);
	ERR_clear_error();
	if (!ok) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* A root of the timeline in the store at `when` that today's store lacks. */
static enum cs_status add_rebuilt(struct cs_trust *t, const struct timeline_root *r,
				  EVP_PKEY *signer, size_t *skipped)
{
	X509 *x = rebuilt_root(r, signer);
	struct cs_x509 id;

	if (!x || !x509_identify(x, &id)) {
		X509_free(x);
		++*skipped;
		return CS_OK;
	}
	/* known by the real certificate's hashes: a copy the server sends is
	 * this anchor, and the signature memo keys on the key's */
	memcpy(id.sha256, r->cert_sha256, CS_SHA256_LEN);
	memcpy(id.spki, r->spki_sha256, CS_SHA256_LEN);
	return append_anchor(t, &id, r, true);
}

static enum cs_status fill_dated(struct cs_trust *t, const struct cs_trust *today,
				 const struct cs_timeline *tl, int64_t when, size_t *unknown,
				 size_t *skipped)
{
	EVP_PKEY *signer = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	const struct timeline_root *r;
	enum cs_status st = signer ? CS_OK : CS_NOMEM;
	size_t pos = 0;

	for (size_t i = 0; st == CS_OK && i < today->n; i++)
		st = keep_today(t, &today->a[i], tl, when, unknown);
	while (st == CS_OK && (r = timeline_next_in_store(tl, when, &pos)))
		if (!have_anchor(t, r->cert_sha256))
			st = add_rebuilt(t, r, signer, skipped);
	EVP_PKEY_free(signer);
	ERR_clear_error();
	return st;
}

enum cs_status trust_at_date(const struct cs_trust *today, const struct cs_timeline *tl,
			     int64_t when, struct cs_trust **out)
{
	struct cs_trust *t = calloc(1, sizeof(*t));
	size_t unknown = 0, skipped = 0;
	char day[CS_TIME_STRLEN];
	enum cs_status st;

	*out = NULL;
	if (!t)
		return CS_NOMEM;
	/* today's anchors and the roots of that day: within both caps */
	t->cap = CS_MAX_TRUST_ANCHORS + CS_TIMELINE_MAX_ROOTS;
	t->dated = true;
	t->when = when;
	st = fill_dated(t, today, tl, when, &unknown, &skipped);
	if (st == CS_OK)
		st = finish(t);
	if (st != CS_OK) {
		trust_free(t);
		return st;
	}
	fmt_time_s(when, day, sizeof(day));
	snprintf(t->name, sizeof(t->name), "Mozilla's store on %.10s (root timeline: %s)", day,
		 timeline_name(tl));
	if (unknown)
		name_append_count(t, '+', unknown, "anchor",
				  "of today's store the timeline does not know");
	if (skipped)
		name_append_count(t, '-', skipped, "root", "whose key libcrypto refused");
	*out = t;
	return CS_OK;
}

bool trust_date(const struct cs_trust *t, int64_t *when)
{
	if (t->dated)
		*when = t->when;
	return t->dated;
}

const struct timeline_root *trust_anchor_root(const struct cs_trust *t,
					      const struct cs_x509 *anchor)
{
	const struct anchor *a = (const struct anchor *)(const void *)anchor;

	if (!t->n || a < t->a || a >= t->a + t->n)
		return NULL;
	return a->root;
}
