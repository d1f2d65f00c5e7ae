/*
 * timeline.c - Mozilla's root store over time (cs_timeline.h): the parsed,
 * immutable timeline and its lookups.
 * Owns every root, interval, string and DER it hands out (one arena per
 * timeline).  Feeds the diagnosis' "the store as it stood on date D".
 *
 * Policy: the data is read as hostile even when compiled in, since a user
 * may replace it.  A value that is missing, of the wrong type, out of range
 * or past a cap in cs_limits.h refuses the whole file with one line naming
 * it ("roots[3].intervals[0].from: not a date (YYYY-MM-DD)"); fields we do
 * not read are ignored (later versions add fields).  Hashes are checked
 * against the bytes they describe, DER is walked with the cursor API, and
 * intervals must be sorted and disjoint, so a lookup never meets a state
 * the format cannot express.  JSON parsing is jansson's (duplicate keys
 * refused).  Format: docs/trust-timeline.md.
 */
#include "cs_timeline.h"
#include "cs_chain.h"
#include "cs_cursor.h"
#include "cs_limits.h"
#include "cs_codec.h"
#include "cs_readfile.h"
#include "cs_timefmt.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define TIMELINE_FORMAT "chainsniff-root-timeline"
#define TIMELINE_VERSION 1

/* Generated from data/root-timeline.json at build time (scripts/embed.sh). */
extern const uint8_t timeline_builtin[];
extern const size_t timeline_builtin_len;

/* ---- arena: every variable-length thing a timeline owns --------------------------- */

#define ARENA_CHUNK 65536u

struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[];
};

static void *arena_alloc(struct chunk **head, size_t n)
{
	struct chunk *c = *head;
	size_t at;

	n = (n + sizeof(max_align_t) - 1) / sizeof(max_align_t) * sizeof(max_align_t);
	if (!c || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;

		if (!(c = malloc(sizeof(*c) + cap)))
			return NULL;
		c->used = 0;
		c->cap = cap;
		c->next = *head;
		*head = c;
	}
	at = c->used;
	c->used += n;
	return (unsigned char *)c->data + at;
}

static char *arena_str(struct chunk **head, const char *s, size_t n)
{
	char *d = arena_alloc(head, n + 1);

	if (d) {
		memcpy(d, s, n);
		d[n] = '\0';
	}
	return d;
}

/* ---- the timeline -------------------------------------------------------------------- */

struct cs_timeline {
	struct timeline_root *roots;
	size_t n;
	const struct timeline_root **by_cert; /* sorted by certificate hash */
	const struct timeline_root **by_spki; /* sorted by key hash, then first stay */
	int64_t *bounds;                      /* every date the store changed, sorted, unique */
	size_t n_bounds;
	int64_t start, end;
	const char *name;
	const char *source;
	char digest[2 * CS_SHA256_LEN + 1];
	struct chunk *arena;
};

void timeline_free(struct cs_timeline *t)
{
	if (!t)
		return;
	while (t->arena) {
		struct chunk *next = t->arena->next;

		free(t->arena);
		t->arena = next;
	}
	free(t->roots);
	free(t->by_cert);
	free(t->by_spki);
	free(t->bounds);
	free(t);
}

/* ---- loading: errors -------------------------------------------------------------- */

struct ld {
	struct cs_timeline *t;
	char *err;
	size_t errlen;
};

/* Messages quote the file's name and jansson's text: one printable line. */
static void tame(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

__attribute__((format(printf, 4, 5))) static enum cs_status
fail(struct ld *l, enum cs_status st, const char *where, const char *fmt, ...)
{
	va_list ap;
	int k;

	if (l->errlen == 0)
		return st;
	k = snprintf(l->err, l->errlen, "%s: %s%s", l->t->name, where, *where ? ": " : "");
	if (k >= 0 && (size_t)k < l->errlen) {
		va_start(ap, fmt);
		vsnprintf(l->err + k, l->errlen - (size_t)k, fmt, ap);
		va_end(ap);
	}
	tame(l->err);
	return st;
}

/* ---- loading: values ---------------------------------------------------------------- */

/* A string member of at most max bytes without control characters (jansson
 * has checked it is UTF-8 without NUL). */
static enum cs_status get_text(struct ld *l, json_t *obj, const char *key, const char *where,
			       size_t max, bool nullable, const char **out)
{
	json_t *v = json_object_get(obj, key);
	const char *s;
	size_t n;

	*out = NULL;
	if (nullable && json_is_null(v))
		return CS_OK;
	if (!json_is_string(v))
		return fail(l, CS_BAD, where, "%s: %s", key,
			    nullable ? "not a string or null" : "missing or not a string");
	s = json_string_value(v);
	n = json_string_length(v);
	if (n > max)
		return fail(l, CS_LIMIT, where, "%s: longer than %zu bytes", key, max);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(l, CS_BAD, where, "%s: holds a control character", key);
	if (!(*out = arena_str(&l->t->arena, s, n)))
		return fail(l, CS_NOMEM, where, "out of memory");
	return CS_OK;
}

static int hex_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* 64 lowercase hex digits. */
static enum cs_status get_sha256(struct ld *l, json_t *obj, const char *key, const char *where,
				 uint8_t out[CS_SHA256_LEN])
{
	json_t *v = json_object_get(obj, key);
	const char *s = json_string_value(v);

	if (!s || json_string_length(v) != 64)
		return fail(l, CS_BAD, where, "%s: not 64 lowercase hex digits", key);
	for (size_t i = 0; i < CS_SHA256_LEN; i++) {
		int hi = hex_val(s[2 * i]), lo = hex_val(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return fail(l, CS_BAD, where, "%s: not 64 lowercase hex digits", key);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return CS_OK;
}

/* "YYYY-MM-DD" (00:00:00 UTC) or, with clock, "YYYY-MM-DDTHH:MM:SSZ", from
 * 1970 on; checked by the state reader's strict time parser. */
static bool parse_date(const char *s, size_t n, bool clock, int64_t *secs)
{
	char full[28];
	int64_t ns;

	if (n != (clock ? 20u : 10u) || (clock && s[19] != 'Z'))
		return false;
	if (clock)
		snprintf(full, sizeof(full), "%.19s.000000Z", s);
	else
		snprintf(full, sizeof(full), "%.10sT00:00:00.000000Z", s);
	if (!parse_time_ns(full, 27, &ns) || ns < 0)
		return false;
	*secs = ns / CS_NS_PER_SEC;
	return true;
}

static enum cs_status get_date(struct ld *l, json_t *obj, const char *key, const char *where,
			       bool clock, bool nullable, int64_t *out)
{
	json_t *v = json_object_get(obj, key);

	*out = TIMELINE_OPEN;
	if (nullable && json_is_null(v))
		return CS_OK;
	if (!json_is_string(v) ||
	    !parse_date(json_string_value(v), json_string_length(v), clock, out))
		return fail(l, CS_BAD, where, "%s: not a %s%s", key,
			    clock ? "time (YYYY-MM-DDTHH:MM:SSZ)" : "date (YYYY-MM-DD)",
			    nullable ? " or null" : "");
	return CS_OK;
}

/* ---- loading: DER, walked with the cursor ---------------------------------------- */

/* X.690 8.1 (DER 10.1): one TLV with a low tag number and a definite,
 * minimally encoded length of at most 3 bytes; out gets its contents. */
static bool der_tlv(struct cs_cursor *c, uint8_t *tag, struct cs_cursor *out)
{
	uint8_t l0, b;
	uint32_t len = 0;

	if (!cur_u8(c, tag) || (*tag & 0x1f) == 0x1f || !cur_u8(c, &l0))
		return cur_fail(c);
	if (l0 & 0x80) {
		unsigned k = l0 & 0x7f;

		if (k == 0 || k > 3)
			return cur_fail(c);
		for (unsigned i = 0; i < k; i++) {
			if (!cur_u8(c, &b) || (i == 0 && b == 0))
				return cur_fail(c);
			len = len << 8 | b;
		}
		if (len < 0x80)
			return cur_fail(c);
	} else {
		len = l0;
	}
	return cur_sub(c, len, out);
}

static bool der_expect(struct cs_cursor *c, uint8_t want, struct cs_cursor *out)
{
	uint8_t tag;

	return der_tlv(c, &tag, out) && (tag == want || cur_fail(c));
}

/* RFC 5280 4.1.2.7: SEQUENCE { AlgorithmIdentifier, BIT STRING }. */
static bool spki_ok(struct cs_slice s)
{
	struct cs_cursor c, seq, alg, bits;

	cur_init_slice(&c, s);
	return der_expect(&c, 0x30, &seq) && cur_end(&c) && der_expect(&seq, 0x30, &alg) &&
	       der_expect(&alg, 0x06, &bits) && der_expect(&seq, 0x03, &bits) &&
	       cur_left(&bits) > 0 && cur_end(&seq);
}

/* RFC 5280 4.1.2.4: Name ::= SEQUENCE OF SET OF SEQUENCE { OID, value };
 * a trust anchor's subject is never empty. */
static bool name_ok(struct cs_slice s)
{
	struct cs_cursor c, seq, set, atv, part;
	uint8_t tag;

	cur_init_slice(&c, s);
	if (!der_expect(&c, 0x30, &seq) || !cur_end(&c) || cur_left(&seq) == 0)
		return false;
	while (cur_left(&seq) > 0) {
		if (!der_expect(&seq, 0x31, &set) || cur_left(&set) == 0)
			return false;
		while (cur_left(&set) > 0)
			if (!der_expect(&set, 0x30, &atv) || !der_expect(&atv, 0x06, &part) ||
			    !der_tlv(&atv, &tag, &part) || !cur_end(&atv))
				return false;
	}
	return cur_end(&seq);
}

/* Bytes a base64 string would decode to, were it well formed. */
static size_t b64_decoded_len(json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = json_string_length(v), pad = 0;

	while (pad < 2 && n > pad && s[n - 1 - pad] == '=')
		pad++;
	return n / 4 * 3 > pad ? n / 4 * 3 - pad : 0;
}

static enum cs_status get_der(struct ld *l, json_t *obj, const char *key, const char *where,
			      size_t max, bool (*valid)(struct cs_slice), struct cs_slice *out)
{
	json_t *v = json_object_get(obj, key);
	uint8_t buf[CS_TIMELINE_MAX_SPKI > CS_TIMELINE_MAX_NAME ? CS_TIMELINE_MAX_SPKI
								: CS_TIMELINE_MAX_NAME];
	uint8_t *copy;
	size_t n;

	if (!json_is_string(v))
		return fail(l, CS_BAD, where, "%s: missing or not a string", key);
	if (!b64_decode(json_string_value(v), json_string_length(v), buf, max, &n))
		return fail(l, b64_decoded_len(v) > max ? CS_LIMIT : CS_BAD, where,
			    "%s: not base64 of at most %zu bytes", key, max);
	if (!valid((struct cs_slice){buf, n}))
		return fail(l, CS_BAD, where, "%s: not DER of a %s", key,
			    valid == spki_ok ? "SubjectPublicKeyInfo" : "non-empty Name");
	if (!(copy = arena_alloc(&l->t->arena, n)))
		return fail(l, CS_NOMEM, where, "out of memory");
	memcpy(copy, buf, n);
	*out = (struct cs_slice){copy, n};
	return CS_OK;
}

/* ---- loading: one root ------------------------------------------------------------- */

static enum cs_status get_interval(struct ld *l, json_t *o, const char *where,
				   struct timeline_interval *iv)
{
	enum cs_status st;

	if (!json_is_object(o))
		return fail(l, CS_BAD, where, "not an object");
	if ((st = get_date(l, o, "from", where, false, false, &iv->from)) ||
	    (st = get_text(l, o, "from_release", where, CS_TIMELINE_MAX_LABEL, false,
			   &iv->from_release)) ||
	    (st = get_date(l, o, "until", where, false, true, &iv->until)) ||
	    (st = get_text(l, o, "until_release", where, CS_TIMELINE_MAX_LABEL, true,
			   &iv->until_release)))
		return st;
	if ((iv->until == TIMELINE_OPEN) != (iv->until_release == NULL))
		return fail(l, CS_BAD, where, "until and until_release: one is null, not both");
	if (iv->until <= iv->from)
		return fail(l, CS_BAD, where, "until: not after from");
	return CS_OK;
}

/* Sorted and disjoint; only the last may be open. */
static enum cs_status get_intervals(struct ld *l, json_t *o, const char *where,
				    struct timeline_root *r)
{
	json_t *a = json_object_get(o, "intervals");
	struct timeline_interval *iv;
	size_t n = json_array_size(a);
	char w[96];
	enum cs_status st;

	if (!json_is_array(a) || n == 0)
		return fail(l, CS_BAD, where, "intervals: missing or not a non-empty array");
	if (n > CS_TIMELINE_MAX_INTERVALS)
		return fail(l, CS_LIMIT, where, "intervals: more than %u",
			    CS_TIMELINE_MAX_INTERVALS);
	if (!(iv = arena_alloc(&l->t->arena, n * sizeof(*iv))))
		return fail(l, CS_NOMEM, where, "out of memory");
	for (size_t i = 0; i < n; i++) {
		snprintf(w, sizeof(w), "%s.intervals[%zu]", where, i);
		if ((st = get_interval(l, json_array_get(a, i), w, &iv[i])))
			return st;
		if (i > 0 && iv[i].from < iv[i - 1].until)
			return fail(l, CS_BAD, w, "from: before the previous interval's until");
	}
	r->intervals = iv;
	r->n_intervals = n;
	return CS_OK;
}

static enum cs_status get_distrust(struct ld *l, json_t *o, const char *where,
				   struct timeline_root *r)
{
	json_t *d = json_object_get(o, "server_distrust_after");
	char w[96];
	enum cs_status st;

	if (json_is_null(d))
		return CS_OK;
	snprintf(w, sizeof(w), "%s.server_distrust_after", where);
	if (!json_is_object(d))
		return fail(l, CS_BAD, w, "missing or not an object or null");
	if ((st = get_date(l, d, "after", w, true, false, &r->distrust_after)) ||
	    (st = get_date(l, d, "since", w, false, false, &r->distrust_since)) ||
	    (st = get_text(l, d, "since_release", w, CS_TIMELINE_MAX_LABEL, false,
			   &r->distrust_since_release)))
		return st;
	r->has_distrust_after = true;
	return CS_OK;
}

static enum cs_status get_root(struct ld *l, json_t *o, size_t i, struct timeline_root *r)
{
	char w[48];
	uint8_t sha[CS_SHA256_LEN];
	enum cs_status st;

	snprintf(w, sizeof(w), "roots[%zu]", i);
	if (!json_is_object(o))
		return fail(l, CS_BAD, w, "not an object");
	if ((st = get_text(l, o, "label", w, CS_TIMELINE_MAX_LABEL, false, &r->label)) ||
	    (st = get_text(l, o, "subject", w, CS_TIMELINE_MAX_NAME, false, &r->subject)) ||
	    (st = get_sha256(l, o, "cert_sha256", w, r->cert_sha256)) ||
	    (st = get_sha256(l, o, "spki_sha256", w, r->spki_sha256)) ||
	    (st = get_der(l, o, "spki", w, CS_TIMELINE_MAX_SPKI, spki_ok, &r->spki)) ||
	    (st = get_der(l, o, "subject_der", w, CS_TIMELINE_MAX_NAME, name_ok,
			  &r->subject_der)) ||
	    (st = get_date(l, o, "not_before", w, true, false, &r->not_before)) ||
	    (st = get_date(l, o, "not_after", w, true, false, &r->not_after)) ||
	    (st = get_intervals(l, o, w, r)) || (st = get_distrust(l, o, w, r)))
		return st;
	if (r->not_after < r->not_before)
		return fail(l, CS_BAD, w, "not_after: before not_before");
	chain_hash(&r->spki, 1, sha);
	if (memcmp(sha, r->spki_sha256, CS_SHA256_LEN) != 0)
		return fail(l, CS_BAD, w, "spki_sha256: not the SHA-256 of spki");
	return CS_OK;
}

/* ---- loading: indexes ----------------------------------------------------------- */

static int cmp_cert(const void *a, const void *b)
{
	const struct timeline_root *x = *(const struct timeline_root *const *)a;
	const struct timeline_root *y = *(const struct timeline_root *const *)b;

	return memcmp(x->cert_sha256, y->cert_sha256, CS_SHA256_LEN);
}

static int cmp_spki(const void *a, const void *b)
{
	const struct timeline_root *x = *(const struct timeline_root *const *)a;
	const struct timeline_root *y = *(const struct timeline_root *const *)b;
	int c = memcmp(x->spki_sha256, y->spki_sha256, CS_SHA256_LEN);

	if (c)
		return c;
	if (x->intervals[0].from != y->intervals[0].from)
		return x->intervals[0].from < y->intervals[0].from ? -1 : 1;
	return memcmp(x->cert_sha256, y->cert_sha256, CS_SHA256_LEN);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

static enum cs_status index_roots(struct ld *l)
{
	struct cs_timeline *t = l->t;
	size_t nb = 0;

	t->by_cert = malloc(t->n * sizeof(*t->by_cert));
	t->by_spki = malloc(t->n * sizeof(*t->by_spki));
	/* at most two dates per interval and one distrust date per root */
	t->bounds = malloc(t->n * (2 * CS_TIMELINE_MAX_INTERVALS + 1) * sizeof(*t->bounds));
	if (!t->by_cert || !t->by_spki || !t->bounds)
		return fail(l, CS_NOMEM, "", "out of memory");
	for (size_t i = 0; i < t->n; i++) {
		const struct timeline_root *r = &t->roots[i];

		t->by_cert[i] = t->by_spki[i] = r;
		for (size_t k = 0; k < r->n_intervals; k++) {
			t->bounds[nb++] = r->intervals[k].from;
			if (r->intervals[k].until != TIMELINE_OPEN)
				t->bounds[nb++] = r->intervals[k].until;
		}
		if (r->has_distrust_after)
			t->bounds[nb++] = r->distrust_since;
	}
	qsort(t->by_cert, t->n, sizeof(*t->by_cert), cmp_cert);
	qsort(t->by_spki, t->n, sizeof(*t->by_spki), cmp_spki);
	for (size_t i = 1; i < t->n; i++)
		if (memcmp(t->by_cert[i]->cert_sha256, t->by_cert[i - 1]->cert_sha256,
			   CS_SHA256_LEN) == 0) {
			char w[48];

			snprintf(w, sizeof(w), "roots[%zu]", (size_t)(t->by_cert[i] - t->roots));
			return fail(l, CS_BAD, w, "cert_sha256: same certificate as roots[%zu]",
				    (size_t)(t->by_cert[i - 1] - t->roots));
		}
	qsort(t->bounds, nb, sizeof(*t->bounds), cmp_i64);
	t->n_bounds = 0;
	for (size_t i = 0; i < nb; i++)
		if (t->n_bounds == 0 || t->bounds[t->n_bounds - 1] != t->bounds[i])
			t->bounds[t->n_bounds++] = t->bounds[i];
	/* bounds holds at least each root's first entry */
	t->start = t->bounds[0];
	if (t->bounds[t->n_bounds - 1] > t->end)
		t->end = t->bounds[t->n_bounds - 1];
	return CS_OK;
}

/* ---- loading: the document ------------------------------------------------------- */

/* provenance.nss, for timeline_source() and timeline_end(); optional. */
static enum cs_status get_provenance(struct ld *l, json_t *doc)
{
	json_t *nss = json_object_get(json_object_get(doc, "provenance"), "nss");
	const char *commit, *point;
	int64_t date;
	char buf[512];
	enum cs_status st;

	if (!json_is_object(nss)) {
		l->t->source = "no provenance given";
		return CS_OK;
	}
	if ((st = get_text(l, nss, "last_commit", "provenance.nss", 64, false, &commit)) ||
	    (st = get_date(l, nss, "last_commit_date", "provenance.nss", false, false, &date)) ||
	    (st = get_text(l, nss, "last_point", "provenance.nss", CS_TIMELINE_MAX_LABEL, false,
			   &point)))
		return st;
	l->t->end = date;
	snprintf(buf, sizeof(buf), "NSS certdata.txt to %.12s (%s), last store change %s", commit,
		 json_string_value(json_object_get(nss, "last_commit_date")), point);
	if (!(l->t->source = arena_str(&l->t->arena, buf, strlen(buf))))
		return fail(l, CS_NOMEM, "", "out of memory");
	return CS_OK;
}

static enum cs_status get_document(struct ld *l, json_t *doc)
{
	json_t *roots = json_object_get(doc, "roots"), *v;
	const char *format = json_string_value(json_object_get(doc, "format"));
	enum cs_status st;

	if (!format || strcmp(format, TIMELINE_FORMAT) != 0)
		return fail(l, CS_BAD, "format", "not \"" TIMELINE_FORMAT "\"");
	v = json_object_get(doc, "version");
	if (!json_is_integer(v) || json_integer_value(v) != TIMELINE_VERSION)
		return fail(l, CS_BAD, "version", "not %d (the version this chainsniff reads)",
			    TIMELINE_VERSION);
	if ((st = get_provenance(l, doc)))
		return st;
	if (!json_is_array(roots) || json_array_size(roots) == 0)
		return fail(l, CS_BAD, "roots", "missing or not a non-empty array");
	if (json_array_size(roots) > CS_TIMELINE_MAX_ROOTS)
		return fail(l, CS_LIMIT, "roots", "more than %u", CS_TIMELINE_MAX_ROOTS);
	l->t->n = json_array_size(roots);
	if (!(l->t->roots = calloc(l->t->n, sizeof(*l->t->roots))))
		return fail(l, CS_NOMEM, "", "out of memory");
	for (size_t i = 0; i < l->t->n; i++)
		if ((st = get_root(l, json_array_get(roots, i), i, &l->t->roots[i])))
			return st;
	return index_roots(l);
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char d[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = d[p[i] >> 4];
		out[2 * i + 1] = d[p[i] & 15];
	}
	out[2 * n] = '\0';
}

enum cs_status timeline_parse(const uint8_t *p, size_t n, const char *name,
			      struct cs_timeline **out, char *err, size_t errlen)
{
	struct cs_timeline *t = calloc(1, sizeof(*t));
	struct ld l = {t, err, errlen};
	struct cs_slice all = {p, n};
	uint8_t sha[CS_SHA256_LEN];
	json_error_t je;
	json_t *doc;
	enum cs_status st;

	*out = NULL;
	if (!t || !(t->name = arena_str(&t->arena, name, strlen(name)))) {
		snprintf(err, errlen, "%s: out of memory", name);
		timeline_free(t);
		return CS_NOMEM;
	}
	if (n > CS_TIMELINE_MAX_BYTES) {
		st = fail(&l, CS_LIMIT, "", "larger than %u MiB: not a root-store timeline",
			  CS_TIMELINE_MAX_BYTES >> 20);
		timeline_free(t);
		return st;
	}
	doc = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, &je);
	if (!doc)
		st = fail(&l, CS_BAD, "", "not valid JSON (line %d, column %d: %s)", je.line,
			  je.column, je.text);
	else if (!json_is_object(doc))
		st = fail(&l, CS_BAD, "", "not a root-store timeline (not a JSON object)");
	else
		st = get_document(&l, doc);
	json_decref(doc);
	if (st != CS_OK) {
		timeline_free(t);
		return st;
	}
	chain_hash(&all, 1, sha);
	hex(sha, CS_SHA256_LEN, t->digest);
	*out = t;
	return CS_OK;
}

enum cs_status timeline_load_builtin(struct cs_timeline **out, char *err, size_t errlen)
{
	return timeline_parse(timeline_builtin, timeline_builtin_len, "built-in", out, err, errlen);
}

enum cs_status timeline_load_file(const char *path, struct cs_timeline **out, char *err,
				  size_t errlen)
{
	char *buf;
	size_t n;
	enum cs_status st = read_file_capped(path, CS_TIMELINE_MAX_BYTES, "a root-store timeline",
					     &buf, &n, err, errlen);

	*out = NULL;
	if (st != CS_OK)
		return st;
	st = timeline_parse((const uint8_t *)buf, n, path, out, err, errlen);
	free(buf);
	return st;
}

/* ---- lookups ----------------------------------------------------------------------- */

const char *timeline_name(const struct cs_timeline *t) { return t->name; }

const char *timeline_source(const struct cs_timeline *t) { return t->source; }

const char *timeline_digest(const struct cs_timeline *t) { return t->digest; }

int64_t timeline_start(const struct cs_timeline *t) { return t->start; }

int64_t timeline_end(const struct cs_timeline *t) { return t->end; }

size_t timeline_count(const struct cs_timeline *t) { return t->n; }

const struct timeline_root *timeline_root(const struct cs_timeline *t, size_t i)
{
	return i < t->n ? &t->roots[i] : NULL;
}

/* First index of a sorted index whose key is not below key. */
static size_t lower_bound(const struct timeline_root *const *idx, size_t n,
			  const uint8_t key[CS_SHA256_LEN], bool spki)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const uint8_t *k = spki ? idx[mid]->spki_sha256 : idx[mid]->cert_sha256;

		if (memcmp(k, key, CS_SHA256_LEN) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct timeline_root *timeline_by_cert(const struct cs_timeline *t,
					     const uint8_t sha256[CS_SHA256_LEN])
{
	size_t i = lower_bound(t->by_cert, t->n, sha256, false);

	return i < t->n && memcmp(t->by_cert[i]->cert_sha256, sha256, CS_SHA256_LEN) == 0
		       ? t->by_cert[i]
		       : NULL;
}

size_t timeline_by_spki(const struct cs_timeline *t, const uint8_t spki_sha256[CS_SHA256_LEN],
			const struct timeline_root **out, size_t max)
{
	size_t i = lower_bound(t->by_spki, t->n, spki_sha256, true), k = 0;

	for (; i < t->n && memcmp(t->by_spki[i]->spki_sha256, spki_sha256, CS_SHA256_LEN) == 0;
	     i++, k++)
		if (k < max)
			out[k] = t->by_spki[i];
	return k;
}

const struct timeline_interval *timeline_interval_at(const struct timeline_root *r, int64_t when)
{
	for (size_t i = 0; i < r->n_intervals; i++)
		if (r->intervals[i].from <= when && when < r->intervals[i].until)
			return &r->intervals[i];
	return NULL;
}

bool timeline_in_store(const struct timeline_root *r, int64_t when)
{
	return timeline_interval_at(r, when) != NULL;
}

bool timeline_left(const struct timeline_root *r, int64_t *when, const char **release)
{
	const struct timeline_interval *last = &r->intervals[r->n_intervals - 1];

	if (last->until == TIMELINE_OPEN)
		return false;
	*when = last->until;
	if (release)
		*release = last->until_release;
	return true;
}

bool timeline_distrusts(const struct timeline_root *r, int64_t not_before, int64_t when)
{
	return r->has_distrust_after && when >= r->distrust_since && not_before > r->distrust_after;
}

const struct timeline_root *timeline_next_in_store(const struct cs_timeline *t, int64_t when,
						   size_t *pos)
{
	while (*pos < t->n) {
		const struct timeline_root *r = &t->roots[(*pos)++];

		if (timeline_in_store(r, when))
			return r;
	}
	return NULL;
}

/* Narrow [*from, *until) around when by one boundary date b. */
static void narrow(int64_t b, int64_t when, int64_t *from, int64_t *until)
{
	if (b <= when && b > *from)
		*from = b;
	if (b > when && b < *until)
		*until = b;
}

void timeline_window(const struct cs_timeline *t, int64_t when, int64_t *from, int64_t *until)
{
	size_t lo = 0, hi = t->n_bounds;

	/* first boundary after when */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->bounds[mid] <= when)
			lo = mid + 1;
		else
			hi = mid;
	}
	*from = lo > 0 ? t->bounds[lo - 1] : INT64_MIN;
	*until = lo < t->n_bounds ? t->bounds[lo] : INT64_MAX;
}

void timeline_root_window(const struct timeline_root *r, int64_t when, int64_t *from,
			  int64_t *until)
{
	*from = INT64_MIN;
	*until = INT64_MAX;
	for (size_t i = 0; i < r->n_intervals; i++) {
		narrow(r->intervals[i].from, when, from, until);
		if (r->intervals[i].until != TIMELINE_OPEN)
			narrow(r->intervals[i].until, when, from, until);
	}
	if (r->has_distrust_after)
		narrow(r->distrust_since, when, from, until);
}
