/*
 * merge.c - `chainsniff merge` (cs_merge.h).
 * Owns, while the reports are read one at a time: a counting engine (its
 * aggregate and chain store only, no traffic), the problem objects of each
 * (server, chain), the summed counter objects, the inputs and the sensor
 * windows; then the merged document, written as JSON (every string through
 * esc_json, as report.c does), text or CSV.
 * The counting is state_apply()'s, the same code that restores --state, so
 * a merged report counts exactly as one sensor that had seen all of it.
 * Order independence: everything kept is a sum, a minimum, a maximum or a
 * union, and lists that would otherwise follow the input order (problems,
 * rejections, fingerprints, inputs, sensors, exact client hashes) are
 * written sorted.  Caps (servers, chains per server, fingerprints) are the
 * sensor's; hitting one is counted in "caps" and may make the result
 * depend on the order.
 */
#include "cs_merge.h"
#include "cs_addr.h"
#include "cs_cli.h"
#include "cs_clientkey.h"
#include "cs_codec.h"
#include "cs_escape.h"
#include "cs_problems.h"
#include "cs_report.h"
#include "cs_state.h"
#include "cs_timefmt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_SENSOR_NAME 1024

/* Counter objects summed member by member ("totals" minus what is derived). */
static const char *const sum_objects[] = {"totals", "incomplete_reasons", "decode", "caps",
					  "anomalies"};
static const char *const derived_totals[] = {"servers_broken", "servers_broken_then",
					      "broken_then", "ok_at_capture_time",
					      "distinct_chains", "servers"};

struct sensor_win {
	json_t *obj;       /* {sensor, first_seen, last_seen, trust_store_sha256} */
	const char *name;  /* inside obj */
	bool have;         /* a time window (null when the report saw no packet) */
	int64_t first, last;
	size_t file;
};

struct mg {
	char **files;
	struct engine *e;
	json_t *problems;  /* "server/chain id" -> [problem objects as read] */
	json_t *sums;      /* sum_objects[i] -> summed object */
	json_t *inputs;
	struct sensor_win *wins;
	size_t nwins, capwins;
	json_t *trust;     /* the merged trust_store object */
	json_t *trust_at;  /* its --trust-at members as the reports agree */
	bool trust_at_mixed;
	char *trust_sha;   /* the first report's digest (NULL: none or mixed) */
	bool trust_mixed;
	json_t *validation;
	bool validation_mixed;
	uint64_t chains_refused; /* chains the chain store had no room for */
	char key_id[CS_CLIENT_KEY_ID_LEN + sizeof(CS_CLIENT_KEY_LEGACY)]; /* of the client hashes */
	size_t key_file;   /* the first file that held client hashes */
	char first_key_id[CS_CLIENT_KEY_ID_LEN + sizeof(CS_CLIENT_KEY_LEGACY)]; /* of file 0 */
	bool oom;
};

static int input_fail(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int input_fail(const char *path, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "chainsniff: %s: ", path);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CS_EXIT_INPUT;
}

static void put(struct mg *m, json_t *o, const char *k, json_t *v)
{
	if (json_object_set_new(o, k, v) != 0)
		m->oom = true;
}

static void append(struct mg *m, json_t *a, json_t *v)
{
	if (json_array_append_new(a, v) != 0)
		m->oom = true;
}

static json_t *time_json(int64_t ns)
{
	char buf[64];

	fmt_time_ns(ns, buf, sizeof(buf));
	return json_string(buf);
}

static bool is_hex64(const json_t *v)
{
	const char *s = json_string_value(v);
	uint8_t b[32];

	return s && hex_parse_lower(s, json_string_length(v), b, sizeof(b));
}

/* A report time (*have true) or null (*have false); false when neither. */
static bool time_value(const json_t *v, bool *have, int64_t *ns)
{
	*have = false, *ns = 0;
	if (json_is_null(v))
		return true;
	if (!json_is_string(v) || !parse_time_ns(json_string_value(v), json_string_length(v), ns))
		return false;
	*have = true;
	return true;
}

/* ---- sensor windows -------------------------------------------------------------- */

static int add_window(struct mg *m, const char *path, size_t file, json_t *name, json_t *first,
		      json_t *last, json_t *sha)
{
	struct sensor_win w = {.file = file};
	bool have_last;

	if (!json_is_string(name) || json_string_length(name) == 0 ||
	    json_string_length(name) > MAX_SENSOR_NAME ||
	    memchr(json_string_value(name), '\0', json_string_length(name)))
		return input_fail(path, "sensor: not a sensor name");
	if (!time_value(first, &w.have, &w.first) || !time_value(last, &have_last, &w.last) ||
	    w.have != have_last || w.first > w.last)
		return input_fail(path, "first_seen, last_seen: not a time window");
	if (sha && !json_is_null(sha) && !is_hex64(sha))
		return input_fail(path, "trust_store sha256: not 64 lowercase hex digits");
	if (sha && json_is_null(sha))
		sha = NULL;
	for (size_t i = 0; i < m->nwins && !w.have; i++) { /* windows are a set */
		json_t *t = json_object_get(m->wins[i].obj, "trust_store_sha256");

		if (!m->wins[i].have && !strcmp(m->wins[i].name, json_string_value(name)) &&
		    (sha ? json_equal(sha, t) : json_is_null(t)))
			return CS_EXIT_OK; /* a report without packets, listed once */
	}
	w.obj = json_object();
	put(m, w.obj, "sensor", json_string(json_string_value(name)));
	put(m, w.obj, "first_seen", json_incref(first));
	put(m, w.obj, "last_seen", json_incref(last));
	put(m, w.obj, "trust_store_sha256", sha ? json_incref(sha) : json_null());
	if (!w.obj || m->oom)
		return input_fail(path, "out of memory");
	w.name = json_string_value(json_object_get(w.obj, "sensor"));
	if (m->nwins == m->capwins) {
		size_t cap = m->capwins ? 2 * m->capwins : 16;
		struct sensor_win *n = realloc(m->wins, cap * sizeof(*n));

		if (!n) {
			json_decref(w.obj);
			return input_fail(path, "out of memory");
		}
		m->wins = n;
		m->capwins = cap;
	}
	m->wins[m->nwins++] = w;
	return CS_EXIT_OK;
}

/* The windows a report holds: its "sensors" when it is itself a merge, else
 * one of its sensor, first_seen, last_seen and trust store digest. */
static int report_windows(struct mg *m, size_t file, const json_t *doc)
{
	const char *path = m->files[file];
	json_t *list = json_object_get(doc, "sensors"), *ts;
	int rc;

	if (list) {
		if (!json_is_array(list) || json_array_size(list) == 0)
			return input_fail(path, "sensors: not a list of sensor windows");
		for (size_t i = 0; i < json_array_size(list); i++) {
			json_t *s = json_array_get(list, i);

			if (!json_is_object(s))
				return input_fail(path, "sensors[%zu]: not an object", i);
			rc = add_window(m, path, file, json_object_get(s, "sensor"),
					json_object_get(s, "first_seen"), json_object_get(s, "last_seen"),
					json_object_get(s, "trust_store_sha256"));
			if (rc != CS_EXIT_OK)
				return rc;
		}
		return CS_EXIT_OK;
	}
	ts = json_object_get(doc, "trust_store");
	return add_window(m, path, file, json_object_get(doc, "sensor"),
			  json_object_get(doc, "first_seen"), json_object_get(doc, "last_seen"),
			  json_is_object(ts) ? json_object_get(ts, "sha256") : NULL);
}

/* The same sensor over overlapping windows in two reports: refuse. */
static int check_overlap(struct mg *m, size_t from)
{
	for (size_t i = from; i < m->nwins; i++)
		for (size_t k = 0; k < from; k++) {
			const struct sensor_win *a = &m->wins[k], *b = &m->wins[i];
			char a1[64], a2[64], b1[64], b2[64];

			if (a->file == b->file || !a->have || !b->have || strcmp(a->name, b->name) ||
			    b->first > a->last || a->first > b->last)
				continue;
			fmt_time_ns(a->first, a1, sizeof(a1));
			fmt_time_ns(a->last, a2, sizeof(a2));
			fmt_time_ns(b->first, b1, sizeof(b1));
			fmt_time_ns(b->last, b2, sizeof(b2));
			fprintf(stderr, "chainsniff: %s, %s: both hold sensor \"", m->files[a->file],
				m->files[b->file]);
			esc_term(stderr, a->name, strlen(a->name));
			fprintf(stderr, "\" over overlapping windows (%s to %s, %s to %s): merging them "
				"would count the same handshakes twice\n", a1, a2, b1, b2);
			return CS_EXIT_OVERLAP;
		}
	return CS_EXIT_OK;
}

/* ---- trust store and validation settings ----------------------------------------------- */

/* trust_store's --trust-at settings (mode, date, the root-store timeline):
 * kept where every report agrees, null where they differ (said once). */
static const char *const trust_at_keys[] = {"mode", "date", "timeline"};

static void merge_trust_at(struct mg *m, size_t file, const json_t *ts)
{
	if (!m->trust_at && !(m->trust_at = json_object())) {
		m->oom = true;
		return;
	}
	for (size_t i = 0; i < CS_ARRAY_LEN(trust_at_keys); i++) {
		const char *k = trust_at_keys[i];
		json_t *v = json_object_get(ts, k);

		if (file == 0) {
			put(m, m->trust_at, k, v ? json_deep_copy(v) : json_null());
			continue;
		}
		if (json_equal(json_object_get(m->trust_at, k), v ? v : json_null()))
			continue;
		if (!m->trust_at_mixed)
			fprintf(stderr, "chainsniff: warning: %s: judged with another --trust-at or root "
				"timeline than %s\n", m->files[file], m->files[0]);
		m->trust_at_mixed = true;
		put(m, m->trust_at, k, json_null());
		put(m, m->trust, k, json_null());
	}
}

static int merge_trust(struct mg *m, size_t file, const json_t *doc)
{
	const char *path = m->files[file];
	json_t *ts = json_object_get(doc, "trust_store"), *t, *name, *sha, *anchors;
	const char *s;

	if (ts && !json_is_object(ts))
		return input_fail(path, "trust_store: not an object");
	name = json_object_get(ts, "name");
	sha = json_object_get(ts, "sha256");
	anchors = json_object_get(ts, "anchors");
	if ((name && !json_is_string(name)) || (sha && !json_is_null(sha) && !is_hex64(sha)) ||
	    (anchors && !json_is_null(anchors) &&
	     (!json_is_integer(anchors) || json_integer_value(anchors) < 0)))
		return input_fail(path, "trust_store: not {name, sha256, anchors}");
	s = json_is_string(sha) ? json_string_value(sha) : NULL;
	merge_trust_at(m, file, ts);
	if (file == 0) {
		m->trust = t = json_object();
		put(m, t, "name", name ? json_incref(name) : json_null());
		put(m, t, "sha256", s ? json_incref(sha) : json_null());
		put(m, t, "anchors", anchors ? json_incref(anchors) : json_null());
		for (size_t i = 0; i < CS_ARRAY_LEN(trust_at_keys); i++)
			put(m, t, trust_at_keys[i], json_deep_copy(json_object_get(m->trust_at,
										  trust_at_keys[i])));
		m->trust_sha = s ? strdup(s) : NULL;
		m->trust_mixed = !s;
		if (!t || (s && !m->trust_sha))
			m->oom = true;
		return CS_EXIT_OK;
	}
	if (!s || !m->trust_sha || strcmp(s, m->trust_sha)) {
		fprintf(stderr, "chainsniff: warning: %s: trust store sha256 %.16s differs from %s's "
			"(%.16s): their verdicts were made against different roots\n", path,
			s ? s : "(none or mixed)", m->files[0], m->trust_sha ? m->trust_sha : "(none or mixed)");
		m->trust_mixed = true;
	} else if (json_is_string(name) && json_is_string(json_object_get(m->trust, "name")) &&
		   strcmp(json_string_value(name),
			  json_string_value(json_object_get(m->trust, "name"))) < 0) {
		put(m, m->trust, "name", json_incref(name)); /* the same roots: the least name */
	}
	return CS_EXIT_OK;
}

static int merge_validation(struct mg *m, size_t file, const json_t *doc)
{
	json_t *v = json_object_get(doc, "validation"), *x;
	const char *k;
	void *next;

	if (!json_is_object(v))
		return input_fail(m->files[file], "validation: not an object");
	if (!m->validation) {
		if (!(m->validation = json_deep_copy(v)))
			m->oom = true;
		return CS_EXIT_OK;
	}
	if (!json_equal(m->validation, v) && !m->validation_mixed) {
		fprintf(stderr, "chainsniff: warning: %s: validated with other settings (--at, "
			"--warn-days) than %s\n", m->files[file], m->files[0]);
		m->validation_mixed = true;
	}
	json_object_foreach_safe(m->validation, next, k, x) /* a setting that differs: null */
		if (!json_equal(x, json_object_get(v, k)))
			put(m, m->validation, k, json_null());
	return CS_EXIT_OK;
}

/* ---- counters ------------------------------------------------------------------------- */

static bool is_derived(const char *obj, const char *key)
{
	if (strcmp(obj, "totals"))
		return false;
	for (size_t i = 0; i < CS_ARRAY_LEN(derived_totals); i++)
		if (!strcmp(key, derived_totals[i]))
			return true;
	return false;
}

/* dst += src, member by member; nested objects (totals.starttls) too. */
static int sum_into(struct mg *m, const char *path, const char *where, json_t *dst, json_t *src,
		    int depth)
{
	const char *key;
	size_t klen;
	json_t *v;

	json_object_keylen_foreach(src, key, klen, v) {
		json_t *d = json_object_get(dst, key);

		if (strlen(key) != klen)
			return input_fail(path, "%s: a key holds a NUL", where);
		if (depth == 0 && is_derived(where, key)) {
			if (!d)
				put(m, dst, key, json_integer(0)); /* keeps its place; set at the end */
			continue;
		}
		if (json_is_object(v) && depth < 2) {
			char w[128];

			if (!d) {
				put(m, dst, key, json_object());
				d = json_object_get(dst, key);
			}
			snprintf(w, sizeof(w), "%s.%s", where, key);
			if (!json_is_object(d))
				return input_fail(path, "%s: an object here, a counter elsewhere", w);
			if (sum_into(m, path, w, d, v, depth + 1) != CS_EXIT_OK)
				return CS_EXIT_INPUT;
			continue;
		}
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return input_fail(path, "%s.%s: not a counter", where, key);
		if (!d) {
			put(m, dst, key, json_integer(json_integer_value(v)));
		} else {
			json_int_t sum;

			if (!json_is_integer(d) ||
			    __builtin_add_overflow(json_integer_value(d), json_integer_value(v), &sum))
				return input_fail(path, "%s.%s: counter overflow", where, key);
			json_integer_set(d, sum);
		}
	}
	return m->oom ? input_fail(path, "out of memory") : CS_EXIT_OK;
}

static int merge_counters(struct mg *m, size_t file, json_t *doc)
{
	const char *path = m->files[file];
	json_t *in = json_object_get(doc, "inputs");

	for (size_t i = 0; i < CS_ARRAY_LEN(sum_objects); i++) {
		json_t *src = json_object_get(doc, sum_objects[i]), *dst;

		if (!json_is_object(src))
			return input_fail(path, "%s: not an object", sum_objects[i]);
		if (!(dst = json_object_get(m->sums, sum_objects[i]))) {
			put(m, m->sums, sum_objects[i], json_object());
			dst = json_object_get(m->sums, sum_objects[i]);
		}
		if (!dst || sum_into(m, path, sum_objects[i], dst, src, 0) != CS_EXIT_OK)
			return m->oom ? input_fail(path, "out of memory") : CS_EXIT_INPUT;
	}
	if (!json_is_array(in))
		return input_fail(path, "inputs: not an array");
	for (size_t i = 0; i < json_array_size(in); i++) {
		if (!json_is_object(json_array_get(in, i)))
			return input_fail(path, "inputs[%zu]: not an object", i);
		append(m, m->inputs, json_incref(json_array_get(in, i)));
	}
	return CS_EXIT_OK;
}

/* state_apply's hook: keep the problem objects of each (server, chain). */
static bool keep_problems(void *ctx, const struct agg_server *s, const struct cs_chain *c,
			  json_t *chain_obj)
{
	struct mg *m = ctx;
	json_t *probs = json_object_get(chain_obj, "problems"), *list;
	char key[48];

	snprintf(key, sizeof(key), "%p/%" PRIu32, (const void *)s, c->id);
	list = json_object_get(m->problems, key);
	if (!list) {
		if (json_object_set_new(m->problems, key, json_array()) != 0)
			return false;
		list = json_object_get(m->problems, key);
	}
	for (size_t i = 0; i < json_array_size(probs); i++)
		if (json_array_append(list, json_array_get(probs, i)) != 0)
			return false;
	return true;
}

/* Client hashes merge only under one key (cs_clientkey.h): every file that
 * holds some must carry the same client_key_id as the first that did
 * (none: CS_CLIENT_KEY_LEGACY). */
static int merge_key_id(struct mg *m, size_t file, const json_t *doc)
{
	const char *id = state_key_id(doc);

	if (!id)
		return input_fail(m->files[file], "client_key_id: not a client key id");
	if (file == 0)
		snprintf(m->first_key_id, sizeof(m->first_key_id), "%s", id);
	if (!state_holds_client_hashes(doc))
		return CS_EXIT_OK;
	if (!m->key_id[0]) {
		snprintf(m->key_id, sizeof(m->key_id), "%s", id);
		m->key_file = file;
		return CS_EXIT_OK;
	}
	if (strcmp(id, m->key_id)) {
		fprintf(stderr,
			"chainsniff: %s: client_key_id %s, but %s has %s: client hashes made with "
			"different keys cannot be merged (merged sensors share one --client-key file)\n",
			m->files[file], id, m->files[m->key_file], m->key_id);
		return CS_EXIT_OVERLAP;
	}
	return CS_EXIT_OK;
}

static int merge_file(struct mg *m, size_t file)
{
	const char *path = m->files[file];
	struct state_apply_opts ao = {.restore_totals = true, .on_chain = keep_problems, .ctx = m};
	char err[512];
	bool missing;
	size_t from = m->nwins;
	json_t *doc = state_read_json(path, &missing, err, sizeof(err));
	int rc;

	if (!doc) {
		fprintf(stderr, "chainsniff: %s\n", err);
		return CS_EXIT_INPUT;
	}
	if ((rc = report_windows(m, file, doc)) == CS_EXIT_OK && (rc = check_overlap(m, from)) == CS_EXIT_OK &&
	    (rc = merge_trust(m, file, doc)) == CS_EXIT_OK &&
	    (rc = merge_validation(m, file, doc)) == CS_EXIT_OK) {
		if (state_apply(m->e, doc, &ao, err, sizeof(err)) != CS_OK)
			rc = input_fail(path, "%s", err);
		else if ((rc = merge_key_id(m, file, doc)) == CS_EXIT_OK)
			rc = merge_counters(m, file, doc);
	}
	m->chains_refused += ao.chains_refused;
	json_decref(doc);
	return rc;
}

/* ---- the merged document ------------------------------------------------------------- */

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static json_t *sketch_json(struct mg *m, const struct clientset *cs)
{
	json_t *o = json_object();

	if (clientset_exact(cs)) {
		uint64_t h[CS_CLIENTSET_EXACT];
		json_t *a = json_array();

		for (uint32_t i = 0; i < cs->n; i++)
			h[i] = clientset_hash(cs, i);
		qsort(h, cs->n, sizeof(h[0]), u64_cmp);
		for (uint32_t i = 0; i < cs->n; i++) {
			char hex[17];

			snprintf(hex, sizeof(hex), "%016" PRIx64, h[i]);
			append(m, a, json_string(hex));
		}
		put(m, o, "exact", a);
	} else {
		char *b = b64_encode(cs->regs, CS_HLL_REGISTERS);

		put(m, o, "hll_p", json_integer(CS_HLL_P));
		put(m, o, "registers", b ? json_string(b) : NULL);
		free(b);
	}
	return o;
}

struct prob {
	json_t *p;
	int warning;      /* errors first */
	int code;
	json_int_t index; /* -1: null */
	int no_evidence;
	char *dump;
};

/* Duplicates next to each other, the preferred first: an error over a
 * warning (weak_* depend on the date), one naming the missing issuer, then
 * the least JSON (a choice that ignores the order of the reports). */
static int prob_cmp(const void *x, const void *y)
{
	const struct prob *a = x, *b = y;

	if (a->code != b->code)
		return a->code < b->code ? -1 : 1;
	if (a->index != b->index)
		return a->index < b->index ? -1 : 1;
	if (a->warning != b->warning)
		return a->warning - b->warning;
	if (a->no_evidence != b->no_evidence)
		return a->no_evidence - b->no_evidence;
	return strcmp(a->dump ? a->dump : "", b->dump ? b->dump : "");
}

/* The order written: errors first, then by code and certificate. */
static int prob_out_cmp(const void *x, const void *y)
{
	const struct prob *a = x, *b = y;

	if (a->warning != b->warning)
		return a->warning - b->warning;
	if (a->code != b->code)
		return a->code < b->code ? -1 : 1;
	return (a->index > b->index) - (a->index < b->index);
}

/* The chain's problems: one per (code, cert_index), as prob_cmp prefers. */
static json_t *chain_problems(struct mg *m, const struct agg_server *s, const struct cs_chain *c)
{
	char key[48];
	json_t *list, *out = json_array();
	struct prob *ps;
	size_t n, kept = 0;

	snprintf(key, sizeof(key), "%p/%" PRIu32, (const void *)s, c->id);
	list = json_object_get(m->problems, key);
	n = json_array_size(list);
	if (!out || !n)
		return out;
	if (!(ps = calloc(n, sizeof(*ps)))) {
		m->oom = true;
		return out;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *p = json_array_get(list, i), *ci = json_object_get(p, "cert_index");
		json_t *code = json_object_get(p, "code"), *ev = json_object_get(p, "evidence");

		ps[i].p = p;
		ps[i].code = CS_P_MAX;
		for (int k = 0; k < CS_P_MAX; k++)
			if (!strcmp(json_string_value(code), problem_name((enum cs_problem)k)))
				ps[i].code = k;
		ps[i].index = json_is_integer(ci) ? json_integer_value(ci) : -1;
		ps[i].warning = strcmp(json_string_value(json_object_get(p, "severity")), "error") != 0;
		ps[i].no_evidence = !(ev && json_is_object(ev));
		ps[i].dump = json_dumps(p, JSON_COMPACT | JSON_SORT_KEYS);
		if (!ps[i].dump)
			m->oom = true;
	}
	qsort(ps, n, sizeof(*ps), prob_cmp);
	for (size_t i = 0; i < n; i++)
		free(ps[i].dump);
	for (size_t i = 0, k = 0; i < n; i++) /* keep the first of each (code, cert_index) */
		if (i == 0 || ps[i].code != ps[k - 1].code || ps[i].index != ps[k - 1].index)
			ps[k++] = ps[i], kept = k;
	qsort(ps, kept, sizeof(*ps), prob_out_cmp);
	for (size_t i = 0; i < kept; i++)
		append(m, out, json_incref(ps[i].p));
	free(ps);
	return out;
}

static json_t *cert_json(struct mg *m, struct cs_cert *cert)
{
	const struct cs_cert_facts *ci = cert_facts(cert);
	json_t *o = json_object();
	char hex[2 * CS_SHA256_LEN + 1], t[64], *der;

	if (ci->parsed) {
		/* raw bytes: the writer escapes them as esc_json does for the sensor */
		put(m, o, "subject", json_stringn_nocheck(ci->subject, strlen(ci->subject)));
		put(m, o, "issuer", json_stringn_nocheck(ci->issuer, strlen(ci->issuer)));
		put(m, o, "serial", json_string(ci->serial_hex));
		fmt_time_s(ci->not_before, t, sizeof(t));
		put(m, o, "not_before", json_string(t));
		fmt_time_s(ci->not_after, t, sizeof(t));
		put(m, o, "not_after", json_string(t));
	} else {
		put(m, o, "subject", json_null());
		put(m, o, "issuer", json_null());
		put(m, o, "serial", json_null());
		put(m, o, "not_before", json_null());
		put(m, o, "not_after", json_null());
	}
	hex_lower(cert->sha256, CS_SHA256_LEN, hex);
	put(m, o, "sha256", json_string(hex));
	put(m, o, "parsed", json_boolean(ci->parsed));
	der = b64_encode(cert->der, cert->der_len);
	put(m, o, "der", der ? json_string(der) : NULL);
	free(der);
	return o;
}

static json_t *chain_json(struct mg *m, const struct agg_chain *ac, json_t *problems)
{
	json_t *o = json_object(), *fs = json_object(), *certs = json_array();
	const struct engine_input *in = engine_input(m->e, ac->first_input);
	char hex[2 * CS_SHA256_LEN + 1];

	hex_lower(ac->chain->sha256, CS_SHA256_LEN, hex);
	put(m, o, "sha256", json_string(hex));
	put(m, o, "handshakes", json_integer((json_int_t)ac->handshakes));
	put(m, o, "broken_handshakes", json_integer((json_int_t)ac->broken_handshakes));
	put(m, o, "broken_then_handshakes", json_integer((json_int_t)agg_chain_broken_then(ac)));
	put(m, o, "ok_at_capture_time",
	    json_boolean(ac->broken_handshakes && !agg_chain_broken_then(ac)));
	put(m, o, "status", json_string(ac->broken_handshakes ? "broken" : "ok"));
	put(m, o, "last_seen", time_json(ac->last_ts));
	put(m, o, "problems", json_incref(problems));
	put(m, fs, "input", in->name ? json_string(in->name) : json_null());
	put(m, fs, "frame", in->live ? json_null() : json_integer((json_int_t)ac->first_frame));
	put(m, fs, "time", time_json(ac->first_ts));
	put(m, o, "first_seen", fs);
	for (size_t i = 0; i < ac->chain->n_certs; i++)
		append(m, certs, cert_json(m, ac->chain->certs[i]));
	put(m, o, "certs", certs);
	return o;
}

static int rejection_cmp(const void *x, const void *y)
{
	const struct agg_rejection *a = *(const struct agg_rejection *const *)x;
	const struct agg_rejection *b = *(const struct agg_rejection *const *)y;

	return (a->alert > b->alert) - (a->alert < b->alert);
}

static int fp_cmp(const void *x, const void *y)
{
	const struct agg_fingerprint *a = *(const struct agg_fingerprint *const *)x;
	const struct agg_fingerprint *b = *(const struct agg_fingerprint *const *)y;
	int c = strcmp(a->ja3, b->ja3);

	return c ? c : strcmp(a->ja4, b->ja4);
}

static json_t *rejections_json(struct mg *m, const struct agg_server *s)
{
	const struct agg_rejection *rs[AGG_MAX_REJECTION_KINDS];
	json_t *a = json_array();

	for (uint32_t i = 0; i < s->nrejections; i++)
		rs[i] = &s->rejections[i];
	qsort(rs, s->nrejections, sizeof(rs[0]), rejection_cmp);
	for (uint32_t i = 0; i < s->nrejections; i++) {
		const struct agg_fingerprint *fp[AGG_MAX_FINGERPRINTS];
		json_t *o = json_object(), *fps = json_array();

		put(m, o, "alert", json_string(tls_alert_name(rs[i]->alert)));
		put(m, o, "alert_code", json_integer(rs[i]->alert));
		put(m, o, "handshakes", json_integer((json_int_t)rs[i]->handshakes));
		put(m, o, "clients", json_integer((json_int_t)clientset_count(&rs[i]->clients)));
		put(m, o, "clients_sketch", sketch_json(m, &rs[i]->clients));
		for (uint32_t k = 0; k < rs[i]->nfp; k++)
			fp[k] = &rs[i]->fp[k];
		qsort(fp, rs[i]->nfp, sizeof(fp[0]), fp_cmp);
		for (uint32_t k = 0; k < rs[i]->nfp; k++) {
			json_t *f = json_object();

			put(m, f, "ja3", json_string(fp[k]->ja3));
			put(m, f, "ja4", json_string(fp[k]->ja4));
			put(m, f, "handshakes", json_integer((json_int_t)fp[k]->handshakes));
			append(m, fps, f);
		}
		put(m, o, "fingerprints", fps);
		append(m, a, o);
	}
	return a;
}

static const char *sni_status(const struct agg_server *s)
{
	if (s->has_sni)
		return "sent";
	if (s->sni_not_sent && s->sni_not_captured)
		return "mixed";
	return s->sni_not_sent ? "not_sent" : "not_captured";
}

/* Shortest-form UTF-8 without surrogates, up to U+10FFFF. */
static bool utf8_valid(const char *s, size_t n)
{
	const uint8_t *p = (const uint8_t *)s;

	for (size_t i = 0; i < n;) {
		uint8_t b = p[i], lo = 0x80, hi = 0xbf;
		size_t len = b < 0x80 ? 1 : b < 0xc2 ? 0 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : b < 0xf5 ? 4 : 0;

		if (len == 0 || i + len > n)
			return false;
		if (b == 0xe0)
			lo = 0xa0;
		else if (b == 0xed)
			hi = 0x9f;
		else if (b == 0xf0)
			lo = 0x90;
		else if (b == 0xf4)
			hi = 0x8f;
		for (size_t k = 1; k < len; k++)
			if (p[i + k] < (k == 1 ? lo : 0x80) || p[i + k] > (k == 1 ? hi : 0xbf))
				return false;
		i += len;
	}
	return true;
}

/* The fields and their order are report.c's json_server (state mode), and
 * "sni_b64" where the SNI is not UTF-8. */
static json_t *server_json(struct mg *m, const struct agg_server *s)
{
	static const char *const vnames[AGG_VERSIONS] = {"SSL3.0", "TLS1.0", "TLS1.1", "TLS1.2"};
	json_t *o = json_object(), *vers = json_object(), *sp = json_array(), *chains = json_array();
	char ip[64];

	put(m, o, "server_ip", json_string(cs_addr_str(&s->ip, ip, sizeof(ip))));
	put(m, o, "server_port", json_integer(s->port));
	put(m, o, "sni", s->has_sni ? json_stringn_nocheck(s->sni, s->sni_len) : json_null());
	if (s->has_sni && !utf8_valid(s->sni, s->sni_len)) {
		char *b = b64_encode((const uint8_t *)s->sni, s->sni_len);

		put(m, o, "sni_b64", b ? json_string(b) : NULL); /* the bytes, exactly */
		free(b);
	}
	put(m, o, "sni_status", json_string(sni_status(s)));
	put(m, o, "status", json_string(s->broken_handshakes ? "broken" : s->handshakes ? "ok" : "unknown"));
	put(m, o, "tls_handshakes", json_integer((json_int_t)s->tls_handshakes));
	put(m, o, "handshakes", json_integer((json_int_t)s->handshakes));
	put(m, o, "broken_handshakes", json_integer((json_int_t)s->broken_handshakes));
	put(m, o, "broken_then_handshakes", json_integer((json_int_t)agg_server_broken_then(s)));
	put(m, o, "ok_at_capture_time",
	    json_boolean(s->broken_handshakes && !agg_server_broken_then(s)));
	put(m, o, "clients", json_integer((json_int_t)clientset_count(&s->clients)));
	put(m, o, "clients_total", json_integer((json_int_t)clientset_count(&s->clients_total)));
	put(m, o, "clients_sketch", sketch_json(m, &s->clients));
	put(m, o, "clients_total_sketch", sketch_json(m, &s->clients_total));
	put(m, o, "sni_not_sent", json_integer((json_int_t)s->sni_not_sent));
	put(m, o, "sni_not_captured", json_integer((json_int_t)s->sni_not_captured));
	put(m, o, "rejected_but_judged_ok", json_boolean(agg_rejected_but_judged_ok(s)));
	put(m, o, "first_seen", time_json(s->first_seen));
	put(m, o, "last_seen", time_json(s->last_seen));
	for (int i = 0; i < AGG_VERSIONS; i++)
		if (s->versions[i])
			put(m, vers, vnames[i], json_integer((json_int_t)s->versions[i]));
	put(m, o, "tls_versions", vers);
	for (uint32_t k = 0; k < s->nchains; k++) {
		const struct agg_chain *ac = &s->chains[k];
		json_t *probs = chain_problems(m, s, ac->chain);
		char hex[2 * CS_SHA256_LEN + 1];

		hex_lower(ac->chain->sha256, CS_SHA256_LEN, hex);
		for (size_t i = 0; i < json_array_size(probs); i++) {
			json_t *p = json_deep_copy(json_array_get(probs, i));

			if (p)
				put(m, p, "chain", json_string(hex));
			append(m, sp, p);
		}
		append(m, chains, chain_json(m, ac, probs));
		json_decref(probs);
	}
	put(m, o, "problems", sp);
	put(m, o, "client_rejections", rejections_json(m, s));
	put(m, o, "chains", chains);
	return o;
}

static int win_cmp(const void *x, const void *y)
{
	const struct sensor_win *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	const char *ta, *tb;

	if (c)
		return c;
	if (a->have != b->have)
		return a->have ? 1 : -1;
	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	if (a->last != b->last)
		return a->last < b->last ? -1 : 1;
	ta = json_string_value(json_object_get(a->obj, "trust_store_sha256"));
	tb = json_string_value(json_object_get(b->obj, "trust_store_sha256"));
	if (!ta || !tb)
		return (ta != NULL) - (tb != NULL);
	return strcmp(ta, tb);
}

struct dumped {
	json_t *v;
	char *s;
};

static int dumped_cmp(const void *x, const void *y)
{
	const struct dumped *a = x, *b = y;

	return strcmp(a->s ? a->s : "", b->s ? b->s : "");
}

/* A copy of arr in the order of its members' canonical JSON. */
static json_t *sorted_array(struct mg *m, json_t *arr)
{
	size_t n = json_array_size(arr);
	struct dumped *d = calloc(n ? n : 1, sizeof(*d));
	json_t *out = json_array();

	if (!d) {
		m->oom = true;
		return out;
	}
	for (size_t i = 0; i < n; i++) {
		d[i].v = json_array_get(arr, i);
		d[i].s = json_dumps(d[i].v, JSON_COMPACT | JSON_SORT_KEYS);
	}
	qsort(d, n, sizeof(*d), dumped_cmp);
	for (size_t i = 0; i < n; i++) {
		append(m, out, json_incref(d[i].v));
		free(d[i].s);
	}
	free(d);
	return out;
}

static void set_counter(struct mg *m, const char *obj, const char *key, uint64_t v, bool add)
{
	json_t *o = json_object_get(m->sums, obj), *c = json_object_get(o, key);

	if (add && json_is_integer(c))
		v += (uint64_t)json_integer_value(c);
	if (o)
		put(m, o, key, json_integer((json_int_t)v));
}

static json_t *build(struct mg *m)
{
	const struct agg_server *const *sv;
	const struct agg_stats *as = agg_stats(engine_agg(m->e));
	json_t *doc = json_object(), *sensors = json_array(), *servers = json_array();
	size_t n;
	uint64_t broken = 0, broken_then = 0;
	int64_t first, last;
	bool one_name = true;

	sv = agg_sorted(engine_agg(m->e), &n);
	for (size_t i = 0; i < n; i++) {
		broken += sv[i]->broken_handshakes > 0;
		broken_then += agg_server_broken_then(sv[i]) > 0;
	}
	set_counter(m, "totals", "servers_broken", broken, false);
	set_counter(m, "totals", "servers_broken_then", broken_then, false);
	/* from the restored counts: a report written before them counts as broken then */
	set_counter(m, "totals", "ok_at_capture_time", engine_totals(m->e)->ok_at_capture_time, false);
	set_counter(m, "totals", "broken_then",
		    engine_totals(m->e)->broken_handshakes - engine_totals(m->e)->ok_at_capture_time,
		    false);
	set_counter(m, "totals", "distinct_chains",
		    agg_distinct_chains(engine_agg(m->e), chain_store_count(engine_chains(m->e))), false);
	set_counter(m, "totals", "servers", n, false);
	set_counter(m, "caps", "servers", as->servers_cap, true);
	set_counter(m, "caps", "chains_per_server", as->chains_per_server_cap, true);
	set_counter(m, "caps", "chains", m->chains_refused, true);

	qsort(m->wins, m->nwins, sizeof(*m->wins), win_cmp);
	for (size_t i = 0; i < m->nwins; i++) {
		one_name = one_name && !strcmp(m->wins[i].name, m->wins[0].name);
		append(m, sensors, json_incref(m->wins[i].obj));
	}
	put(m, doc, "report_version", json_integer(CS_STATE_REPORT_VERSION));
	put(m, doc, "generator", json_string("chainsniff " CS_VERSION));
	put(m, doc, "sensor", json_string(one_name && m->nwins ? m->wins[0].name : "merged"));
	put(m, doc, "client_key_id", json_string(m->key_id[0] ? m->key_id : m->first_key_id));
	put(m, doc, "sensors", sensors);
	if (engine_time_range(m->e, &first, &last)) {
		put(m, doc, "first_seen", time_json(first));
		put(m, doc, "last_seen", time_json(last));
	} else {
		put(m, doc, "first_seen", json_null());
		put(m, doc, "last_seen", json_null());
	}
	if (m->trust_mixed) {
		put(m, m->trust, "name", json_string("mixed"));
		put(m, m->trust, "sha256", json_null());
		put(m, m->trust, "anchors", json_null());
	}
	put(m, doc, "trust_store", json_incref(m->trust));
	put(m, doc, "validation", json_incref(m->validation));
	put(m, doc, "inputs", sorted_array(m, m->inputs));
	for (size_t i = 0; i < CS_ARRAY_LEN(sum_objects); i++)
		put(m, doc, sum_objects[i], json_incref(json_object_get(m->sums, sum_objects[i])));
	for (size_t i = 0; i < n; i++)
		append(m, servers, server_json(m, sv[i]));
	put(m, doc, "servers", servers);
	return doc;
}

/* ---- writers ------------------------------------------------------------------------------ */

/* JSON as report.c lays it out; strings through esc_json. */
static void dump(FILE *f, json_t *v, int depth)
{
	size_t n, klen;
	bool first = true;
	const char *key;
	json_t *x;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		fputc('{', f);
		json_object_keylen_foreach(v, key, klen, x) {
			fprintf(f, "%s\n%*s", first ? "" : ",", 2 * (depth + 1), "");
			esc_json(f, key, klen);
			fputs(": ", f);
			dump(f, x, depth + 1);
			first = false;
		}
		if (!first)
			fprintf(f, "\n%*s", 2 * depth, "");
		fputc('}', f);
		break;
	case JSON_ARRAY:
		fputc('[', f);
		n = json_array_size(v);
		for (size_t i = 0; i < n; i++) {
			fprintf(f, "%s\n%*s", i ? "," : "", 2 * (depth + 1), "");
			dump(f, json_array_get(v, i), depth + 1);
		}
		if (n)
			fprintf(f, "\n%*s", 2 * depth, "");
		fputc(']', f);
		break;
	case JSON_STRING:
		esc_json(f, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		break;
	case JSON_REAL:
		fprintf(f, "%.17g", json_real_value(v));
		break;
	case JSON_TRUE:
		fputs("true", f);
		break;
	case JSON_FALSE:
		fputs("false", f);
		break;
	case JSON_NULL:
		fputs("null", f);
		break;
	}
}

static uint64_t num(const json_t *o, const char *k)
{
	json_int_t v = json_integer_value(json_object_get(o, k));

	return v > 0 ? (uint64_t)v : 0;
}

static const char *str(const json_t *o, const char *k, size_t *n)
{
	json_t *v = json_object_get(o, k);

	*n = json_string_length(v);
	return json_string_value(v);
}

/* Handshakes broken on their capture day: broken_then_handshakes (all the
 * broken ones in a report written before it). */
static uint64_t broken_then(const json_t *s)
{
	return json_object_get(s, "broken_then_handshakes") ? num(s, "broken_then_handshakes")
							     : num(s, "broken_handshakes");
}

/* The server's main problem: the first error, else the first warning. */
static json_t *main_problem(const json_t *server)
{
	json_t *ps = json_object_get(server, "problems"), *best = NULL;

	for (size_t i = 0; i < json_array_size(ps); i++) {
		json_t *p = json_array_get(ps, i);
		const char *sev = json_string_value(json_object_get(p, "severity"));
		bool err = sev && !strcmp(sev, "error");

		if (!best || (err && strcmp(json_string_value(json_object_get(best, "severity")), "error")))
			best = p;
	}
	return best;
}

static void csv_str(FILE *f, const char *s, size_t n, bool last)
{
	esc_csv(f, s ? s : "", s ? n : 0);
	fputc(last ? '\n' : ',', f);
}

/* The columns of report_csv. */
static void write_csv(FILE *f, const json_t *doc)
{
	json_t *servers = json_object_get(doc, "servers");

	fputs("rank,server_ip,server_port,sni,status,broken_handshakes,handshakes,tls_handshakes,"
	      "clients,clients_total,problems,client_rejections,first_seen,last_seen,fix,"
	      "broken_then_handshakes\n", f);
	for (size_t i = 0; i < json_array_size(servers); i++) {
		json_t *s = json_array_get(servers, i), *ps = json_object_get(s, "problems");
		json_t *rj = json_object_get(s, "client_rejections"), *mp = main_problem(s);
		char codes[1024] = "";
		uint64_t rejections = 0;
		const char *v;
		size_t n;

		for (size_t k = 0; k < json_array_size(ps); k++) {
			const char *c = json_string_value(json_object_get(json_array_get(ps, k), "code"));
			size_t o = strlen(codes);

			if (c && !strstr(codes, c))
				snprintf(codes + o, sizeof(codes) - o, "%s%s", o ? " " : "", c);
		}
		for (size_t k = 0; k < json_array_size(rj); k++)
			rejections += num(json_array_get(rj, k), "handshakes");
		fprintf(f, "%zu,", i + 1);
		v = str(s, "server_ip", &n);
		csv_str(f, v, n, false);
		fprintf(f, "%" PRIu64 ",", num(s, "server_port"));
		if ((v = str(s, "sni", &n)))
			csv_str(f, v, n, false);
		else
			fputc(',', f);
		v = str(s, "status", &n);
		csv_str(f, v, n, false);
		fprintf(f, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",",
			num(s, "broken_handshakes"), num(s, "handshakes"), num(s, "tls_handshakes"),
			num(s, "clients"), num(s, "clients_total"));
		csv_str(f, codes, strlen(codes), false);
		fprintf(f, "%" PRIu64 ",", rejections);
		v = str(s, "first_seen", &n);
		csv_str(f, v, n, false);
		v = str(s, "last_seen", &n);
		csv_str(f, v, n, false);
		v = num(s, "broken_handshakes") && mp ? str(mp, "fix", &n) : NULL;
		csv_str(f, v, n, false);
		fprintf(f, "%" PRIu64 "\n", broken_then(s));
	}
}


/* Terminal-safe text of s, cut to width code points (the last an
 * ellipsis), padded to width. */
static void put_cell(FILE *f, const char *s, size_t n, size_t width, bool right)
{
	char *buf = NULL;
	size_t blen = 0, cps = 0, cut = 0;
	FILE *m = open_memstream(&buf, &blen);
	bool cut_off;

	if (!m)
		return;
	esc_term(m, s ? s : "-", s ? n : 1);
	fclose(m);
	if (!buf)
		return;
	for (size_t i = 0; i < blen; i++)
		if (((unsigned char)buf[i] & 0xc0) != 0x80 && ++cps == width)
			cut = i; /* where the width-th code point starts */
	cut_off = cps > width;
	if (cut_off)
		blen = cut, cps = width;
	if (right)
		fprintf(f, "%*s", (int)(width - cps), "");
	fwrite(buf, 1, blen, f);
	if (cut_off)
		fputs("…", f);
	if (!right)
		fprintf(f, "%*s", (int)(width - cps), "");
	free(buf);
}

/* An already escaped paragraph, wrapped at 100 columns with a hanging indent. */
static void wrapped(FILE *f, char *text, int indent)
{
	size_t col = (size_t)indent;
	char *save = NULL;

	for (char *w = strtok_r(text, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
		size_t n = 0;

		for (const char *p = w; *p; p++)
			n += ((unsigned char)*p & 0xc0) != 0x80;
		if (col > (size_t)indent && col + 1 + n > 100) {
			fprintf(f, "\n%*s", indent, "");
			col = (size_t)indent;
		} else if (col > (size_t)indent) {
			fputc(' ', f);
			col++;
		}
		fputs(w, f);
		col += n;
	}
	fputc('\n', f);
}

/* A table row's first cells: SERVER, SNI, BROKEN/TOTAL. */
static void server_cells(FILE *f, const json_t *s)
{
	char server[80], bt[48];
	size_t len;
	const char *ip = str(s, "server_ip", &len), *sni;

	snprintf(server, sizeof(server), strchr(ip, ':') ? "[%s]:%" PRIu64 : "%s:%" PRIu64, ip,
		 num(s, "server_port"));
	snprintf(bt, sizeof(bt), "%" PRIu64 "/%" PRIu64, num(s, "broken_handshakes"),
		 num(s, "handshakes"));
	put_cell(f, server, strlen(server), 20, false);
	fputc(' ', f);
	sni = str(s, "sni", &len);
	put_cell(f, sni, len, 18, false);
	fputc(' ', f);
	put_cell(f, bt, strlen(bt), 12, true);
}

/* The root_then of one of s's problems (ok_at_capture_time), or NULL. */
static const json_t *root_then_of(const json_t *s)
{
	const json_t *ps = json_object_get(s, "problems");

	for (size_t i = 0; i < json_array_size(ps); i++) {
		const json_t *rt = json_object_get(json_array_get(ps, i), "root_then");

		if (json_is_object(rt))
			return rt;
	}
	return NULL;
}

/* Servers broken only with today's store (ok_at_capture_time), listed
 * apart as the sensor's text report does. */
static void write_text_root_left(FILE *f, const json_t *servers, unsigned top)
{
	size_t listed = 0, len;
	const char *v;

	for (size_t i = 0; i < json_array_size(servers); i++) {
		const json_t *s = json_array_get(servers, i), *rt = root_then_of(s);
		char *buf = NULL;
		size_t blen = 0;
		FILE *para;

		if (!num(s, "broken_handshakes") || broken_then(s))
			continue;
		if (listed++ == 0)
			fputs("\nFine on their capture day, broken with today's store (their root has left "
			      "it)\n", f);
		if (top && listed > top)
			continue;
		fputs("     ", f);
		server_cells(f, s);
		fputc('\n', f);
		if (!rt || !(para = open_memstream(&buf, &blen)))
			continue;
		fputs("root ", para);
		v = str(rt, "label", &len);
		esc_term(para, v ? v : "", v ? len : 0);
		fputs(", left Mozilla's store ", para);
		v = str(rt, "left", &len);
		esc_term(para, v ? v : "", v ? len : 0);
		if ((v = str(rt, "left_release", &len)) && len) {
			fputs(" (", para);
			esc_term(para, v, len);
			fputc(')', para);
		}
		fclose(para);
		fputs("          ", f);
		wrapped(f, buf, 10);
		free(buf);
	}
	if (top && listed > top)
		fprintf(f, "  and %zu more (--top 0 lists them all)\n", listed - top);
}

static void write_text(FILE *f, const json_t *doc, unsigned top, bool all)
{
	json_t *t = json_object_get(doc, "totals"), *servers = json_object_get(doc, "servers");
	json_t *sensors = json_object_get(doc, "sensors"), *ts = json_object_get(doc, "trust_store");
	char a[32], b[32], c[32], d[32], e[32], g[32];
	size_t n, listed = 0, rank = 0, len;
	uint64_t clients = 0;
	const char *fs = str(doc, "first_seen", &len), *ls = str(doc, "last_seen", &len), *v;
	bool same_day = fs && ls && !strncmp(fs, ls, 10);

	fprintf(f, "chainsniff %s · merge of %zu sensor window%s · %s packets", CS_VERSION,
		json_array_size(sensors), json_array_size(sensors) == 1 ? "" : "s",
		fmt_count(num(t, "packets"), a, sizeof(a)));
	if (fs && ls && same_day)
		fprintf(f, " · %.10s %.8s → %.8s UTC", fs, fs + 11, ls + 11);
	else if (fs && ls)
		fprintf(f, " · %.10s %.8s → %.10s %.8s UTC", fs, fs + 11, ls, ls + 11);
	fprintf(f, "\nTLS handshakes %s · chain visible %s · TLS 1.3 %s · resumed %s · incomplete %s"
		" · no certificate %s\n", fmt_count(num(t, "tls_handshakes"), a, sizeof(a)),
		fmt_count(num(t, "handshakes_with_chain"), b, sizeof(b)),
		fmt_count(num(t, "tls13"), c, sizeof(c)), fmt_count(num(t, "resumed"), d, sizeof(d)),
		fmt_count(num(t, "incomplete"), e, sizeof(e)),
		fmt_count(num(t, "no_certificate"), g, sizeof(g)));
	n = json_array_size(servers);
	for (size_t i = 0; i < n; i++)
		if (num(json_array_get(servers, i), "broken_handshakes"))
			clients += num(json_array_get(servers, i), "clients");
	fprintf(f, "Servers %s · broken %s (%s handshakes, %s clients) · clients rejecting chains %s\n",
		fmt_count(n, a, sizeof(a)), fmt_count(num(t, "servers_broken"), b, sizeof(b)),
		fmt_count(num(t, "broken_handshakes"), c, sizeof(c)), fmt_count(clients, d, sizeof(d)),
		fmt_count(num(t, "client_rejections"), e, sizeof(e)));
	if ((v = str(ts, "sha256", &len))) {
		fputs("Trust store: ", f);
		v = str(ts, "name", &len);
		esc_term(f, v ? v : "", v ? len : 0);
		fprintf(f, " (%" PRIu64 " anchors, sha256 %.16s)\n", num(ts, "anchors"),
			json_string_value(json_object_get(ts, "sha256")));
	} else {
		fputs("Trust store: differs between the sensors (see \"sensors\" in the JSON)\n", f);
	}
	for (size_t i = 0; i < json_array_size(sensors) && i < 10; i++) {
		json_t *s = json_array_get(sensors, i);
		const char *s1 = str(s, "first_seen", &len), *s2 = str(s, "last_seen", &len);

		fputs(i ? "         " : "Sensors: ", f);
		v = str(s, "sensor", &len);
		esc_term(f, v, len);
		if (s1 && s2)
			fprintf(f, "  %.10s %.8s → %.10s %.8s", s1, s1 + 11, s2, s2 + 11);
		fputc('\n', f);
	}
	if (json_array_size(sensors) > 10)
		fprintf(f, "         and %zu more\n", json_array_size(sensors) - 10);
	if (num(t, "ok_at_capture_time"))
		fprintf(f, "Broken on their capture day: %s servers (%s handshakes) · broken only with "
			"today's store: %s\n", fmt_count(num(t, "servers_broken_then"), a, sizeof(a)),
			fmt_count(num(t, "broken_then"), b, sizeof(b)),
			fmt_count(num(t, "servers_broken") - num(t, "servers_broken_then"), c, sizeof(c)));
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(servers, i);

		listed += (broken_then(s) || all) && (!top || listed < top);
	}
	if (listed == 0) {
		fprintf(f, "\nNo %s seen%s.\n", num(t, "ok_at_capture_time") ?
			"chain broken on its capture day" : "broken chain",
			all ? "" : " (--all lists every server)");
		write_text_root_left(f, servers, top);
		return;
	}
	fprintf(f, "\n  #  %-21s%-19s%12s%9s  %-21s%s\n", "SERVER", "SNI", "BROKEN/TOTAL", "CLIENTS",
		"PROBLEM", "LAST SEEN");
	for (size_t i = 0; i < n && rank < listed; i++) {
		json_t *s = json_array_get(servers, i), *mp = main_problem(s);

		if (!(broken_then(s) || all))
			continue;
		fprintf(f, "%3zu  ", ++rank);
		server_cells(f, s);
		fprintf(f, "%9s  ", fmt_count(num(s, "clients"), a, sizeof(a)));
		v = mp ? str(mp, "code", &len) : num(s, "handshakes") ? NULL : "(no chain visible)";
		put_cell(f, v, v ? strlen(v) : 1, 20, false);
		v = str(s, "last_seen", &len);
		fprintf(f, " %.*s\n", same_day ? 8 : 10, v ? (same_day ? v + 11 : v) : "");
	}
	fputs("\nFixes\n", f);
	rank = 0;
	for (size_t i = 0; i < n && rank < listed; i++) {
		json_t *s = json_array_get(servers, i), *mp;
		char *buf = NULL;
		size_t blen = 0;
		FILE *para;

		if (!(broken_then(s) || all))
			continue;
		rank++;
		if (!num(s, "broken_handshakes") || !(mp = main_problem(s)))
			continue;
		if (!(para = open_memstream(&buf, &blen)))
			return;
		if ((v = str(s, "sni", &len)))
			esc_term(para, v, len);
		else
			fprintf(para, "%s:%" PRIu64, json_string_value(json_object_get(s, "server_ip")),
				num(s, "server_port"));
		fputs(": ", para);
		v = str(mp, "message", &len);
		esc_term(para, v ? v : "", v ? len : 0);
		fputc(' ', para);
		v = str(mp, "fix", &len);
		esc_term(para, v ? v : "", v ? len : 0);
		fprintf(para, " (docs/problems.md#%s)", json_string_value(json_object_get(mp, "code")));
		fclose(para);
		fprintf(f, "%3zu  ", rank);
		wrapped(f, buf, 5);
		free(buf);
	}
	write_text_root_left(f, servers, top);
}

/* ---- the command ------------------------------------------------------------------------ */

struct merge_opts {
	const char *out_path; /* -o */
	int format;           /* enum cs_format: json, text or csv */
	unsigned top;         /* --top, text only */
	bool all;             /* --all, text only */
};

static const struct cli_choice formats[] = {
	{"json", CS_FORMAT_JSON}, {"text", CS_FORMAT_TEXT}, {"csv", CS_FORMAT_CSV}, {NULL, 0},
};

#define O(member) offsetof(struct merge_opts, member)

static const struct cli_option rows[] = {
	CLI_ROW_OUTPUT(O(out_path)),
	CLI_ROW_FORMAT(O(format), formats, "json (default), text or csv", "merge writes json, text or csv"),
	CLI_ROW_TOP(O(top)),
	CLI_ROW_ALL(O(all)),
	{.name = "help", .short_name = 'h', .kind = CLI_HELP, .help = "this text"},
};

static const struct cli_spec spec = {
	.command = "merge",
	.synopsis = "usage: chainsniff merge [-o FILE] [--format json|text|csv] [--top N] [--all] "
		    "REPORT.json...\n"
		    "  Combines state-style reports (--state files, --format state, earlier merges) of\n"
		    "  several sensors or days into one, ranked as chainsniff ranks.  Refuses (exit 6)\n"
		    "  two reports holding the same sensor over overlapping time windows, and\n"
		    "  reports whose client hashes were made with different client keys.\n",
	.rows = rows,
	.nrows = CS_ARRAY_LEN(rows),
};

const struct cli_spec *merge_cli_spec(void)
{
	return &spec;
}

static void mg_free(struct mg *m)
{
	for (size_t i = 0; i < m->nwins; i++)
		json_decref(m->wins[i].obj);
	free(m->wins);
	json_decref(m->problems);
	json_decref(m->sums);
	json_decref(m->inputs);
	json_decref(m->trust);
	json_decref(m->trust_at);
	json_decref(m->validation);
	free(m->trust_sha);
	engine_free(m->e);
}

int merge_main(int argc, char **argv)
{
	struct engine_config cfg = {.max_flows = 16, .buffer_memcap = 1 << 20, .sensor = "merged"};
	struct merge_opts mo = {.format = CS_FORMAT_JSON, .top = 20};
	struct mg m = {0};
	int operands, rc = CS_EXIT_OK;
	json_t *doc = NULL;
	FILE *out = stdout;

	if (!cli_parse(&spec, argc, argv, &mo, &operands, &rc))
		return rc;
	if (operands >= argc) {
		cli_usage(&spec, stderr);
		return CS_EXIT_USAGE;
	}
	m.files = argv + operands;
	m.e = engine_new(&cfg);
	m.problems = json_object();
	m.sums = json_object();
	m.inputs = json_array();
	if (!m.e || !m.problems || !m.sums || !m.inputs) {
		fprintf(stderr, "chainsniff: merge: out of memory\n");
		mg_free(&m);
		return CS_EXIT_INPUT;
	}
	for (size_t i = 0; rc == CS_EXIT_OK && i < (size_t)(argc - operands); i++)
		rc = merge_file(&m, i);
	if (rc == CS_EXIT_OK) {
		doc = build(&m);
		if (!doc || m.oom) {
			fprintf(stderr, "chainsniff: merge: out of memory\n");
			rc = CS_EXIT_INPUT;
		}
	}
	if (rc == CS_EXIT_OK && mo.out_path && !(out = fopen(mo.out_path, "w"))) {
		fprintf(stderr, "chainsniff: %s: %s\n", mo.out_path, strerror(errno));
		rc = CS_EXIT_OUTPUT;
	}
	if (rc == CS_EXIT_OK) {
		if (mo.format == CS_FORMAT_JSON) {
			dump(out, doc, 0);
			fputc('\n', out);
		} else if (mo.format == CS_FORMAT_CSV) {
			write_csv(out, doc);
		} else {
			write_text(out, doc, mo.top, mo.all);
		}
		if (fflush(out) != 0 || ferror(out) || (out != stdout && fclose(out) != 0)) {
			fprintf(stderr, "chainsniff: %s: %s\n", mo.out_path ? mo.out_path : "standard output",
				strerror(errno));
			rc = CS_EXIT_OUTPUT;
		}
	}
	json_decref(doc);
	mg_free(&m);
	return rc;
}
