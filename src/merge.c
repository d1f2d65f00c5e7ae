/*
 * merge.c - `chainsniff merge` (cs_merge.h): reading, validating and
 * combining reports; report.c renders the result.
 * Owns, while the reports are read one at a time: a counting engine (its
 * aggregate, chain store and carried counters; no traffic), each chain's
 * problems as the reports gave them (agg_chain.notes), the inputs, the
 * sensor windows, the windows series, the trust stores and validation
 * settings, and copies of every string kept.  Then it fills a report view
 * (cs_view.h) and hands it to the writers.
 * The counting is state_apply()'s, the same code that restores --state, so
 * a merged report counts exactly as one sensor that had seen all of it.
 * Order independence: everything kept is a sum, a minimum, a maximum or a
 * union, a choice between two reports' words for the same problem is made
 * on their content, and lists that would otherwise follow the input order
 * (inputs, sensors, windows, counters of newer sensors) are sorted.  Caps
 * (servers, chains per server, fingerprints) are the sensor's; hitting one
 * is counted in "caps" and may make the result depend on the order.
 */
#include "cs_merge.h"
#include "cs_addr.h"
#include "cs_cli.h"
#include "cs_clientkey.h"
#include "cs_codec.h"
#include "cs_escape.h"
#include "cs_report.h"
#include "cs_state.h"
#include "cs_timefmt.h"
#include "cs_vec.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One (code, cert_index) a report gave a chain, with its words. */
struct mprob {
	struct view_problem vp; /* strings are merge's copies */
	size_t pos;
	const char *leaf_names;
	bool have_evidence;
	struct diag_evidence_rec evidence;
	bool have_then;
	struct diag_root_then then; /* strings are merge's copies */
};

/* What the reports said of one chain served by one server (agg_chain.notes). */
struct mnote {
	struct mprob *p;
	size_t n, cap;
	bool final; /* p is chosen and ordered (view time) */
	uint8_t unknown_reason;
};

/* A window of the series, with the keys it owns. */
struct mseries {
	struct view_series v;
	struct view_key *keys;
};

/* A sensor window and the file it came from (overlap check). */
struct msensor {
	struct view_sensor v;
	size_t file;
};

struct mg {
	char **files;
	struct engine *e;
	char **kept; /* every string copy, freed at the end */
	size_t nkept, capkept;
	struct mnote **notes;
	size_t nnotes, capnotes;
	struct view_counter *extra;
	size_t nextra, capextra;
	struct engine_input *inputs;
	size_t ninputs, capinputs;
	struct msensor *sensors;
	size_t nsensors, capsensors;
	struct mseries *series;
	size_t nseries, capseries;
	struct view_series *vseries; /* the view's copy (build) */
	bool have_trust, trust_mixed;
	struct view_store trust;
	bool have_trust_at, trust_at_mixed;
	struct view_trust_at trust_at; /* members the reports disagree on: NULL */
	struct view_store *earlier;
	size_t nearlier, capearlier;
	bool have_validation, at_mixed, warn_mixed, have_at, warned;
	int64_t at;
	int warn_days;
	uint64_t chains_refused;
	char key_id[CS_CLIENT_KEY_ID_LEN + sizeof(CS_CLIENT_KEY_LEGACY)]; /* of the client hashes */
	size_t key_file; /* the first file that held client hashes */
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

/* Room for one more element in a growing array. */
static bool grow(struct mg *m, void **arr, size_t n, size_t *cap, size_t size)
{
	if (vec_reserve(arr, n, cap, size, 16) != CS_OK) {
		m->oom = true;
		return false;
	}
	return true;
}

#define GROW(m, a, n, cap) grow((m), (void **)&(a), (n), &(cap), sizeof(*(a)))

/* A copy of n bytes, NUL-terminated, kept until the end ("" when memory ran out). */
static const char *keepn(struct mg *m, const char *s, size_t n)
{
	char *c;

	if (!s)
		return NULL;
	if (!GROW(m, m->kept, m->nkept, m->capkept) || !(c = malloc(n + 1))) {
		m->oom = true;
		return "";
	}
	memcpy(c, s, n);
	c[n] = '\0';
	m->kept[m->nkept++] = c;
	return c;
}

static const char *keep(struct mg *m, const char *s) { return s ? keepn(m, s, strlen(s)) : NULL; }

static int str_cmp0(const char *a, const char *b) { return strcmp(a ? a : "", b ? b : ""); }

/* qsort, but of nothing too (qsort(NULL, 0, ...) is undefined). */
static void sorted(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

static bool is_hex64(const json_t *v)
{
	const char *s = json_string_value(v);
	uint8_t b[CS_SHA256_LEN];

	return s && hex_parse_lower(s, json_string_length(v), b, sizeof(b));
}

/* A report time (*have true) or null (*have false); false when neither. */
static bool time_value(const json_t *v, bool *have, int64_t *ns)
{
	*have = false, *ns = 0;
	if (!v || json_is_null(v))
		return true;
	if (!json_is_string(v) || !parse_time_ns(json_string_value(v), json_string_length(v), ns))
		return false;
	*have = true;
	return true;
}

static uint64_t num(const json_t *o, const char *k)
{
	json_int_t v = json_integer_value(json_object_get(o, k));

	return v > 0 ? (uint64_t)v : 0;
}

/* ---- sensor windows ------------------------------------------------------------------ */

static bool sensor_name_ok(const json_t *name)
{
	return json_is_string(name) && json_string_length(name) > 0 &&
	       json_string_length(name) <= CS_MERGE_MAX_SENSOR_NAME &&
	       !memchr(json_string_value(name), '\0', json_string_length(name));
}

static int add_sensor(struct mg *m, size_t file, const json_t *name, const json_t *first,
		      const json_t *last, const json_t *sha, const json_t *run, uint64_t window)
{
	const char *path = m->files[file];
	struct msensor s = {.file = file, .v.window = window};
	bool have_last;

	if (!sensor_name_ok(name))
		return input_fail(path, "sensor: not a sensor name");
	if (!time_value(first, &s.v.have, &s.v.first) || !time_value(last, &have_last, &s.v.last) ||
	    s.v.have != have_last || s.v.first > s.v.last)
		return input_fail(path, "first_seen, last_seen: not a time window");
	if (sha && !json_is_null(sha) && !is_hex64(sha))
		return input_fail(path, "trust_store sha256: not 64 lowercase hex digits");
	if (run && !json_is_null(run) &&
	    (!json_is_string(run) || json_string_length(run) != 32 ||
	     !hex_parse_lower(json_string_value(run), 32, (uint8_t[16]){0}, 16)))
		return input_fail(path, "run_id: not 32 lowercase hex digits");
	for (size_t i = 0; i < m->nsensors && !s.v.have; i++) { /* windows are a set */
		const struct view_sensor *o = &m->sensors[i].v;

		if (!o->have && !strcmp(o->sensor, json_string_value(name)) &&
		    (json_is_string(sha)
			     ? o->trust_sha256 && !strcmp(o->trust_sha256, json_string_value(sha))
			     : !o->trust_sha256))
			return CS_EXIT_OK; /* a report without packets, listed once */
	}
	s.v.sensor = keep(m, json_string_value(name));
	s.v.trust_sha256 = json_is_string(sha) ? keep(m, json_string_value(sha)) : NULL;
	s.v.run_id = json_is_string(run) ? keep(m, json_string_value(run)) : NULL;
	if (!GROW(m, m->sensors, m->nsensors, m->capsensors))
		return input_fail(path, "out of memory");
	m->sensors[m->nsensors++] = s;
	return CS_EXIT_OK;
}

/* Two windows of one run never hold the same handshake: each handshake
 * is counted in one window (and the same window twice is refused). */
static bool may_overlap(const struct view_sensor *a, const struct view_sensor *b)
{
	if (a->window && b->window && a->run_id && b->run_id && !strcmp(a->run_id, b->run_id))
		return a->window == b->window;
	return a->first <= b->last && b->first <= a->last;
}

/* The same sensor over overlapping windows in two reports: refuse. */
static int check_overlap(struct mg *m, size_t from)
{
	for (size_t i = from; i < m->nsensors; i++)
		for (size_t k = 0; k < from; k++) {
			const struct msensor *a = &m->sensors[k], *b = &m->sensors[i];
			char a1[64], a2[64], b1[64], b2[64];

			if (a->file == b->file || !a->v.have || !b->v.have ||
			    strcmp(a->v.sensor, b->v.sensor) || !may_overlap(&a->v, &b->v))
				continue;
			fmt_time_ns(a->v.first, a1, sizeof(a1));
			fmt_time_ns(a->v.last, a2, sizeof(a2));
			fmt_time_ns(b->v.first, b1, sizeof(b1));
			fmt_time_ns(b->v.last, b2, sizeof(b2));
			fprintf(stderr, "chainsniff: %s, %s: both hold sensor \"",
				m->files[a->file], m->files[b->file]);
			esc_term(stderr, a->v.sensor, strlen(a->v.sensor));
			fprintf(stderr,
				"\" over overlapping windows (%s to %s, %s to %s): merging them "
				"would count the same handshakes twice\n",
				a1, a2, b1, b2);
			return CS_EXIT_OVERLAP;
		}
	return CS_EXIT_OK;
}

/* The sensor windows a report holds: its "sensors" when it is itself a
 * merge; a periodic report's window; else one of its sensor and time range. */
static int report_sensors(struct mg *m, size_t file, const json_t *doc, const json_t *win)
{
	const char *path = m->files[file];
	json_t *list = json_object_get(doc, "sensors"), *ts = json_object_get(doc, "trust_store");
	json_t *sha = json_is_object(ts) ? json_object_get(ts, "sha256") : NULL;
	int rc;

	if (win)
		return add_sensor(
			m, file, json_object_get(doc, "sensor"), json_object_get(win, "first_seen"),
			json_object_get(win, "last_seen"), sha, json_object_get(doc, "run_id"),
			num(win, "seq") ? num(win, "seq") : 1);
	if (!list)
		return add_sensor(m, file, json_object_get(doc, "sensor"),
				  json_object_get(doc, "first_seen"),
				  json_object_get(doc, "last_seen"), sha, NULL, 0);
	if (!json_is_array(list) || json_array_size(list) == 0)
		return input_fail(path, "sensors: not a list of sensor windows");
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *s = json_array_get(list, i), *w;

		if (!json_is_object(s))
			return input_fail(path, "sensors[%zu]: not an object", i);
		w = json_object_get(s, "window");
		if (w && !json_is_null(w) && (!json_is_integer(w) || json_integer_value(w) <= 0))
			return input_fail(path, "sensors[%zu].window: not a window number or null",
					  i);
		rc = add_sensor(m, file, json_object_get(s, "sensor"),
				json_object_get(s, "first_seen"), json_object_get(s, "last_seen"),
				json_object_get(s, "trust_store_sha256"),
				json_object_get(s, "run_id"), num(s, "window"));
		if (rc != CS_EXIT_OK)
			return rc;
	}
	return CS_EXIT_OK;
}

/* ---- the windows series -------------------------------------------------------------- */

/* A server key of a report ({server_ip, server_port, sni, sni_b64}). */
static bool key_of(const json_t *o, struct view_key *k)
{
	json_t *sni = json_object_get(o, "sni"), *raw = json_object_get(o, "sni_b64");
	json_int_t port = json_integer_value(json_object_get(o, "server_port"));
	const char *ip = json_string_value(json_object_get(o, "server_ip"));
	size_t n;

	memset(k, 0, sizeof(*k));
	if (!ip || !cs_addr_parse(ip, &k->ip) || port < 0 || port > 65535)
		return false;
	k->port = (uint16_t)port;
	if (json_is_string(raw)) {
		if (!b64_decode(json_string_value(raw), json_string_length(raw), (uint8_t *)k->sni,
				sizeof(k->sni), &n) ||
		    n == 0)
			return false;
	} else if (json_is_string(sni)) {
		n = json_string_length(sni) > CS_MAX_SNI ? CS_MAX_SNI : json_string_length(sni);
		memcpy(k->sni, json_string_value(sni), n);
	} else {
		return json_is_null(sni);
	}
	k->has_sni = true;
	k->sni_len = (uint8_t)n;
	return true;
}

static int key_cmp(const void *a, const void *b) { return view_key_cmp(a, b); }

static int add_series(struct mg *m, const struct view_series *s, const json_t *broken)
{
	struct view_series c = *s;
	struct view_key *keys = NULL;
	size_t n = 0, cap = 0;

	c.sensor = keep(m, s->sensor);
	c.kind = keep(m, s->kind);
	for (size_t i = 0; i < json_array_size(broken) && n < CS_VIEW_MAX_BROKEN; i++) {
		if (!GROW(m, keys, n, cap))
			break;
		if (key_of(json_array_get(broken, i), &keys[n]))
			n++;
	}
	if (n > 1)
		qsort(keys, n, sizeof(*keys), key_cmp);
	c.broken = keys, c.nbroken = n;
	if (!GROW(m, m->series, m->nseries, m->capseries)) {
		free(keys);
		return CS_EXIT_INPUT;
	}
	m->series[m->nseries++] = (struct mseries){c, keys};
	return CS_EXIT_OK;
}

/* A window's entry: its handshakes, broken ones and broken servers, from
 * its own servers (each handshake is in the window of its timestamp). */
static int window_series(struct mg *m, size_t file, const json_t *doc, const json_t *win)
{
	struct view_series s = {
		.sensor = json_string_value(json_object_get(doc, "sensor")),
		.kind = json_string_value(json_object_get(win, "kind")),
	};
	json_t *servers = json_object_get(win, "servers"), *broken = json_array();
	bool have;
	int rc;

	if (!s.kind || !time_value(json_object_get(win, "start"), &have, &s.start) || !have ||
	    !time_value(json_object_get(win, "end"), &have, &s.end) || !have)
		return input_fail(m->files[file], "window: no kind, start and end");
	for (size_t i = 0; i < json_array_size(servers); i++) {
		json_t *sv = json_array_get(servers, i);

		s.handshakes += num(sv, "handshakes");
		s.broken_handshakes += num(sv, "broken_handshakes");
		if (num(sv, "broken_handshakes")) {
			s.servers_broken++;
			json_array_append(broken, sv);
		}
	}
	rc = add_series(m, &s, broken);
	json_decref(broken);
	return rc;
}

/* A merged report's series, as it wrote it. */
static int merged_series(struct mg *m, size_t file, const json_t *doc)
{
	json_t *list = json_object_get(doc, "windows");

	if (list && !json_is_array(list))
		return input_fail(m->files[file], "windows: not a list");
	for (size_t i = 0; i < json_array_size(list); i++) {
		json_t *w = json_array_get(list, i);
		struct view_series s = {
			.sensor = json_string_value(json_object_get(w, "sensor")),
			.kind = json_string_value(json_object_get(w, "kind")),
			.handshakes = num(w, "handshakes"),
			.broken_handshakes = num(w, "broken_handshakes"),
			.servers_broken = num(w, "servers_broken"),
		};
		bool h1, h2;

		if (!json_is_object(w) || !s.sensor || !s.kind ||
		    !time_value(json_object_get(w, "start"), &h1, &s.start) ||
		    !time_value(json_object_get(w, "end"), &h2, &s.end) || !h1 || !h2 ||
		    (json_object_get(w, "broken") && !json_is_array(json_object_get(w, "broken"))))
			return input_fail(m->files[file], "windows[%zu]: not a window", i);
		if (add_series(m, &s, json_object_get(w, "broken")) != CS_EXIT_OK)
			return input_fail(m->files[file], "out of memory");
	}
	return CS_EXIT_OK;
}

/* ---- trust store and validation settings ----------------------------------------------- */

static bool store_of(struct mg *m, const json_t *o, struct view_store *st, bool earlier)
{
	json_t *name = json_object_get(o, "name"), *sha = json_object_get(o, "sha256");
	json_t *anchors = json_object_get(o, "anchors"), *at = json_object_get(o, "replaced_at");
	bool have;

	if (!json_is_object(o) || (name && !json_is_null(name) && !json_is_string(name)) ||
	    (sha && !json_is_null(sha) && !is_hex64(sha)) ||
	    (anchors && !json_is_null(anchors) &&
	     (!json_is_integer(anchors) || json_integer_value(anchors) < 0)))
		return false;
	st->name = keep(m, json_is_string(name) ? json_string_value(name) : "");
	st->sha256 = json_is_string(sha) ? keep(m, json_string_value(sha)) : NULL;
	st->anchors = (uint64_t)json_integer_value(anchors);
	st->replaced_at = 0;
	return !earlier || (time_value(at, &have, &st->replaced_at) && have);
}

static int store_cmp(const void *x, const void *y)
{
	const struct view_store *a = x, *b = y;
	int c;

	if (a->replaced_at != b->replaced_at)
		return a->replaced_at < b->replaced_at ? -1 : 1;
	if ((c = strcmp(a->sha256 ? a->sha256 : "", b->sha256 ? b->sha256 : "")))
		return c;
	return strcmp(a->name, b->name);
}

/* A string member, or NULL for null, absent or another type. */
static const char *str_or_null(struct mg *m, const json_t *o, const char *k)
{
	const json_t *v = json_object_get(o, k);

	return json_is_string(v) ? keep(m, json_string_value(v)) : NULL;
}

/* trust_store's --trust-at settings (mode, date, the root-store timeline)
 * of one report; a file written before them has none (all NULL). */
static void trust_at_of(struct mg *m, const json_t *ts, struct view_trust_at *t)
{
	const json_t *tl = json_object_get(ts, "timeline");

	*t = (struct view_trust_at){str_or_null(m, ts, "mode"),
				    str_or_null(m, ts, "date"),
				    json_is_object(tl),
				    NULL,
				    NULL,
				    NULL,
				    NULL,
				    NULL};
	if (!t->have_timeline)
		return;
	t->tl_name = str_or_null(m, tl, "name");
	t->tl_source = str_or_null(m, tl, "source");
	t->tl_sha256 = str_or_null(m, tl, "sha256");
	t->tl_start = str_or_null(m, tl, "start");
	t->tl_end = str_or_null(m, tl, "end");
	t->have_timeline = t->tl_name && t->tl_source && t->tl_sha256 && t->tl_start && t->tl_end;
}

/* Kept where every report agrees, null where they differ (said once). */
static void merge_trust_at(struct mg *m, size_t file, const json_t *ts)
{
	struct view_trust_at t, *a = &m->trust_at;
	bool differs;

	trust_at_of(m, ts, &t);
	if (!m->have_trust_at) {
		m->have_trust_at = true;
		*a = t;
		return;
	}
	differs = str_cmp0(a->mode, t.mode) || str_cmp0(a->date, t.date) ||
		  a->have_timeline != t.have_timeline ||
		  (t.have_timeline && str_cmp0(a->tl_sha256, t.tl_sha256));
	if (!differs)
		return;
	if (!m->trust_at_mixed)
		fprintf(stderr,
			"chainsniff: warning: %s: judged with another --trust-at or root "
			"timeline than %s\n",
			m->files[file], m->files[0]);
	m->trust_at_mixed = true;
	if (str_cmp0(a->mode, t.mode))
		a->mode = NULL;
	if (str_cmp0(a->date, t.date))
		a->date = NULL;
	if (a->have_timeline != t.have_timeline || str_cmp0(a->tl_sha256, t.tl_sha256))
		a->have_timeline = false;
}

static int merge_trust(struct mg *m, size_t file, const json_t *doc)
{
	const char *path = m->files[file];
	json_t *ts = json_object_get(doc, "trust_store"), *earlier;
	struct view_store st;

	if (!ts)
		return CS_EXIT_OK;
	if (!store_of(m, ts, &st, false))
		return input_fail(path, "trust_store: not {name, sha256, anchors}");
	merge_trust_at(m, file, ts);
	earlier = json_object_get(ts, "earlier");
	if (earlier && !json_is_array(earlier))
		return input_fail(path, "trust_store.earlier: not a list");
	for (size_t i = 0; i < json_array_size(earlier); i++) {
		struct view_store e;
		bool dup = false;

		if (!store_of(m, json_array_get(earlier, i), &e, true))
			return input_fail(path, "trust_store.earlier[%zu]: not a trust store", i);
		for (size_t k = 0; k < m->nearlier && !dup; k++)
			dup = !store_cmp(&m->earlier[k], &e);
		if (!dup && GROW(m, m->earlier, m->nearlier, m->capearlier))
			m->earlier[m->nearlier++] = e;
	}
	if (!m->have_trust) {
		m->have_trust = true;
		m->trust = st;
		m->trust_mixed = !st.sha256;
	} else if (!st.sha256 || !m->trust.sha256 || strcmp(st.sha256, m->trust.sha256)) {
		if (!m->trust_mixed)
			fprintf(stderr,
				"chainsniff: warning: %s: trust store sha256 %.16s differs from "
				"%s's (%.16s): their verdicts were made against different roots\n",
				path, st.sha256 ? st.sha256 : "(none or mixed)", m->files[0],
				m->trust.sha256 ? m->trust.sha256 : "(none or mixed)");
		m->trust_mixed = true;
	} else if (strcmp(st.name, m->trust.name) < 0) {
		m->trust.name = st.name; /* the same roots: the least name */
	}
	return CS_EXIT_OK;
}

static int merge_validation(struct mg *m, size_t file, const json_t *doc)
{
	json_t *v = json_object_get(doc, "validation"), *at, *wd;
	bool have_at;
	int64_t ns = 0;

	if (!v)
		return CS_EXIT_OK;
	at = json_object_get(v, "at");
	wd = json_object_get(v, "warn_days");
	if (!json_is_object(v) || !time_value(at, &have_at, &ns) ||
	    (wd && !json_is_null(wd) &&
	     (!json_is_integer(wd) || json_integer_value(wd) < 0 ||
	      json_integer_value(wd) > 1000000)))
		return input_fail(m->files[file], "validation: not {at, warn_days}");
	if (!m->have_validation) {
		m->have_validation = true;
		m->have_at = have_at, m->at = ns / CS_NS_PER_SEC;
		m->warn_mixed = !json_is_integer(wd);
		m->warn_days = (int)json_integer_value(wd);
		return CS_EXIT_OK;
	}
	if ((have_at != m->have_at || (have_at && ns / CS_NS_PER_SEC != m->at)) && !m->at_mixed) {
		m->at_mixed = true;
		m->have_at = false; /* a setting that differs: null */
	}
	if (!json_is_integer(wd) || json_integer_value(wd) != m->warn_days)
		m->warn_mixed = true;
	if ((m->at_mixed || m->warn_mixed) && !m->warned) {
		fprintf(stderr,
			"chainsniff: warning: %s: validated with other settings (--at, "
			"--warn-days) than %s\n",
			m->files[file], m->files[0]);
		m->warned = true;
	}
	return CS_EXIT_OK;
}

/* ---- inputs ------------------------------------------------------------------------- */

static int linktype_of(const char *name)
{
	int n;

	if (sscanf(name, "LINKTYPE_%d", &n) == 1)
		return n;
	for (int i = 0; i < 300; i++)
		if (decode_linktype_name(i) && !strcmp(decode_linktype_name(i), name))
			return i;
	return -1;
}

static bool input_of(struct mg *m, const json_t *o, struct engine_input *in)
{
	static const char *const status[] = {"ok", "truncated", "damaged", "error"};
	json_t *lt = json_object_get(o, "link_types"), *errs = json_object_get(o, "errors");
	json_t *drops = json_object_get(o, "drops");
	const char *kind = json_string_value(json_object_get(o, "kind"));
	const char *st = json_string_value(json_object_get(o, "status"));
	json_t *fmt = json_object_get(o, "format");
	unsigned i;

	memset(in, 0, sizeof(*in));
	if (!json_is_object(o) || !kind || !st || !json_is_array(lt) || !json_is_array(errs) ||
	    json_array_size(lt) > CS_INPUT_LINKTYPES || json_array_size(errs) > CS_INPUT_ERRORS ||
	    (fmt && !json_is_null(fmt) && !json_is_string(fmt)))
		return false;
	in->name = keep(m, json_string_value(json_object_get(o, "name")));
	in->live = !strcmp(kind, "interface");
	in->format = json_is_string(fmt) ? keep(m, json_string_value(fmt)) : NULL;
	in->packets = num(o, "packets");
	in->bytes = num(o, "bytes");
	in->filtered = num(o, "filtered");
	for (i = 0; i < CS_ARRAY_LEN(status) && strcmp(st, status[i]); i++)
		;
	if (i == CS_ARRAY_LEN(status))
		return false;
	in->status = (enum input_status)i;
	for (size_t k = 0; k < json_array_size(lt); k++) {
		const char *name = json_string_value(json_array_get(lt, k));
		int t = name ? linktype_of(name) : -1;

		if (t < 0)
			return false;
		in->linktypes[in->nlinktypes++] = t;
	}
	for (size_t k = 0; k < json_array_size(errs); k++) {
		const char *e = json_string_value(json_array_get(errs, k));

		if (!e)
			return false;
		snprintf(in->errors[in->nerrors++], sizeof(in->errors[0]), "%s", e);
	}
	if (json_is_object(drops)) {
		in->have_drops = true;
		in->received = num(drops, "received");
		in->dropped = num(drops, "dropped");
		in->if_dropped = num(drops, "if_dropped");
	}
	return true;
}

static int merge_inputs(struct mg *m, size_t file, const json_t *doc)
{
	json_t *in = json_object_get(doc, "inputs");

	if (!json_is_array(in))
		return input_fail(m->files[file], "inputs: not an array");
	for (size_t i = 0; i < json_array_size(in); i++) {
		if (!GROW(m, m->inputs, m->ninputs, m->capinputs))
			return input_fail(m->files[file], "out of memory");
		if (!input_of(m, json_array_get(in, i), &m->inputs[m->ninputs]))
			return input_fail(m->files[file], "inputs[%zu]: not an input", i);
		m->ninputs++;
	}
	return CS_EXIT_OK;
}

/* ---- what state_apply hands over --------------------------------------------------- */

static bool keep_counter(void *ctx, const char *group, const char *key, uint64_t v)
{
	struct mg *m = ctx;

	if (m->nextra == CS_MERGE_MAX_EXTRA)
		return true; /* more than a newer sensor adds: left out */
	for (size_t i = 0; i < m->nextra; i++)
		if (!strcmp(m->extra[i].group, group) && !strcmp(m->extra[i].key, key)) {
			if (__builtin_add_overflow(m->extra[i].v, v, &m->extra[i].v))
				m->extra[i].v = UINT64_MAX;
			return true;
		}
	if (!GROW(m, m->extra, m->nextra, m->capextra))
		return false;
	m->extra[m->nextra++] = (struct view_counter){keep(m, group), keep(m, key), v};
	return !m->oom;
}

static struct mnote *note_of(struct mg *m, struct agg_chain *ac)
{
	struct mnote *n = ac->notes;

	if (n)
		return n;
	if (!GROW(m, m->notes, m->nnotes, m->capnotes) || !(n = calloc(1, sizeof(*n)))) {
		m->oom = true;
		return NULL;
	}
	m->notes[m->nnotes++] = n;
	ac->notes = n;
	return n;
}

static bool keep_chain(void *ctx, const struct agg_server *s, struct agg_chain *ac,
		       const struct state_chain *sc)
{
	struct mg *m = ctx;
	struct mnote *n = note_of(m, ac);

	(void)s;
	if (!n)
		return false;
	if (sc->unknown_reason > n->unknown_reason)
		n->unknown_reason = sc->unknown_reason;
	for (size_t i = 0; i < sc->nproblems; i++) {
		const struct state_problem *sp = &sc->problems[i];
		struct mprob *p;

		if (!GROW(m, n->p, n->n, n->cap))
			return false;
		p = &n->p[n->n++];
		p->vp = sp->vp;
		p->vp.code = keep(m, sp->vp.code);
		p->vp.message = keep(m, sp->vp.message);
		p->vp.fix = keep(m, sp->vp.fix);
		p->vp.p.subject = keep(m, sp->vp.p.subject);
		p->vp.p.name = keep(m, sp->vp.p.name);
		p->vp.p.text = keep(m, sp->vp.p.text);
		p->pos = sp->pos;
		p->leaf_names = keep(m, sp->leaf_names);
		p->have_evidence = sp->have_evidence;
		p->evidence = sp->evidence;
		p->have_then = sp->have_then;
		p->then = sp->then;
		p->then.label = keep(m, sp->then.label);
		p->then.subject = keep(m, sp->then.subject);
		p->then.left_release = keep(m, sp->then.left_release);
		p->then.distrust_release = keep(m, sp->then.distrust_release);
	}
	return !m->oom;
}

/* ---- the client key ---------------------------------------------------------------- */

/* Client hashes merge only under one key (cs_clientkey.h): every file that
 * holds some must carry the same client_key_id as the first that did
 * (none: CS_CLIENT_KEY_LEGACY). */
static int merge_key_id(struct mg *m, size_t file, const json_t *doc, const json_t *data)
{
	const char *id = state_key_id(doc);

	if (!id)
		return input_fail(m->files[file], "client_key_id: not a client key id");
	if (file == 0)
		snprintf(m->first_key_id, sizeof(m->first_key_id), "%s", id);
	if (!state_holds_client_hashes(data))
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

/* ---- one file ---------------------------------------------------------------------- */

/* A periodic report holds its window's own report: that is what merges
 * (the top level is the cumulative state, which the windows add up to). */
static json_t *window_doc(const json_t *doc, json_t *win)
{
	json_t *w = json_copy(win);

	if (!w || json_object_set(w, "report_version", json_object_get(doc, "report_version")) ||
	    json_object_set_new(w, "inputs", json_array())) {
		json_decref(w);
		return NULL;
	}
	return w;
}

static int merge_file(struct mg *m, size_t file)
{
	const char *path = m->files[file];
	struct state_apply_opts ao = {
		.all_counters = true,
		.facts_only_ok = true,
		.on_chain = keep_chain,
		.on_counter = keep_counter,
		.ctx = m,
	};
	char err[512];
	bool missing;
	size_t from = m->nsensors;
	json_t *doc = state_read_json(path, &missing, err, sizeof(err)), *win, *data;
	int rc;

	if (!doc) {
		fprintf(stderr, "chainsniff: %s\n", err);
		return CS_EXIT_INPUT;
	}
	win = json_object_get(doc, "sensors") ? NULL : json_object_get(doc, "window");
	if (win && (!json_is_object(win) || !json_object_get(win, "totals"))) {
		json_decref(doc);
		return input_fail(path,
				  "window: a periodic report of an older chainsniff (its window "
				  "has no totals): merge its --state file instead");
	}
	data = win ? window_doc(doc, win) : json_incref(doc);
	ao.window = win != NULL;
	if (!data) {
		json_decref(doc);
		return input_fail(path, "out of memory");
	}
	if ((rc = report_sensors(m, file, doc, win)) == CS_EXIT_OK &&
	    (rc = check_overlap(m, from)) == CS_EXIT_OK &&
	    (rc = merge_trust(m, file, doc)) == CS_EXIT_OK &&
	    (rc = merge_validation(m, file, doc)) == CS_EXIT_OK &&
	    (rc = merge_key_id(m, file, doc, data)) == CS_EXIT_OK &&
	    (rc = merge_inputs(m, file, data)) == CS_EXIT_OK) {
		if (state_apply(m->e, data, &ao, err, sizeof(err)) != CS_OK)
			rc = input_fail(path, "%s%s", win ? "window." : "", err);
		else if (win)
			rc = window_series(m, file, doc, win);
		else
			rc = merged_series(m, file, doc);
	}
	m->chains_refused += ao.chains_refused;
	json_decref(data);
	json_decref(doc);
	if (rc == CS_EXIT_OK && m->oom)
		rc = input_fail(path, "out of memory");
	return rc;
}

/* ---- the merged view ---------------------------------------------------------------- */

static int ev_cmp(const struct mprob *a, const struct mprob *b)
{
	if (a->have_evidence != b->have_evidence)
		return a->have_evidence ? -1 : 1;
	if (a->evidence.have_cert != b->evidence.have_cert)
		return a->evidence.have_cert ? -1 : 1;
	if (a->evidence.kind != b->evidence.kind)
		return a->evidence.kind < b->evidence.kind ? -1 : 1;
	if (a->evidence.completes != b->evidence.completes)
		return a->evidence.completes ? -1 : 1;
	if (memcmp(a->evidence.sha256, b->evidence.sha256, CS_SHA256_LEN))
		return memcmp(a->evidence.sha256, b->evidence.sha256, CS_SHA256_LEN);
	return strcmp(a->evidence.source, b->evidence.source);
}

/* The same problem (code and certificate) in two reports. */
static int same_cmp(const struct mprob *a, const struct mprob *b)
{
	int c = strcmp(a->vp.code, b->vp.code);

	return c ? c
		 : (a->vp.p.cert_index > b->vp.p.cert_index) -
			       (a->vp.p.cert_index < b->vp.p.cert_index);
}

/* Of two reports' words for one problem, the preferred first: the
 * verdict of a last handshake over an earlier one, an error over a
 * warning (weak_* depend on the date), one naming the missing issuer, then
 * by content alone (a choice that ignores the order of the reports). */
static int prefer_cmp(const void *x, const void *y)
{
	const struct mprob *a = x, *b = y;
	const struct diag_problem *p = &a->vp.p, *q = &b->vp.p;
	int c;

	if ((c = same_cmp(a, b)))
		return c;
	if (a->vp.earlier != b->vp.earlier)
		return a->vp.earlier ? 1 : -1;
	if (p->severity != q->severity)
		return p->severity == CS_SEV_ERROR ? -1 : 1;
	if ((c = ev_cmp(a, b)))
		return c;
	if (p->variant != q->variant || p->role != q->role)
		return p->variant != q->variant ? p->variant - q->variant : p->role - q->role;
	if (p->num != q->num || p->count != q->count)
		return p->num != q->num ? (p->num < q->num ? -1 : 1)
					: (p->count < q->count ? -1 : 1);
	if (p->date != q->date)
		return p->date < q->date ? -1 : 1;
	if (p->norder != q->norder || memcmp(p->order, q->order, p->norder))
		return p->norder != q->norder ? p->norder - q->norder
					      : memcmp(p->order, q->order, p->norder);
	if ((c = str_cmp0(p->subject, q->subject)) || (c = str_cmp0(p->name, q->name)) ||
	    (c = str_cmp0(p->text, q->text)) || (c = str_cmp0(a->leaf_names, b->leaf_names)) ||
	    (c = str_cmp0(a->vp.message, b->vp.message)) || (c = str_cmp0(a->vp.fix, b->vp.fix)))
		return c;
	if (a->vp.warn_days != b->vp.warn_days)
		return a->vp.warn_days < b->vp.warn_days ? -1 : 1;
	return (a->pos > b->pos) - (a->pos < b->pos);
}

/* The order written: the report's own order, then by code and certificate. */
static int order_cmp(const void *x, const void *y)
{
	const struct mprob *a = x, *b = y;

	if (a->pos != b->pos)
		return a->pos < b->pos ? -1 : 1;
	return same_cmp(a, b);
}

/* One problem per (code, cert_index), the preferred, in order. */
static void note_final(struct mnote *n)
{
	size_t kept = 0;

	if (n->final)
		return;
	n->final = true;
	if (n->n == 0)
		return;
	sorted(n->p, n->n, sizeof(*n->p), prefer_cmp);
	for (size_t i = 0; i < n->n; i++)
		if (kept == 0 || same_cmp(&n->p[i], &n->p[kept - 1]))
			n->p[kept++] = n->p[i];
	n->n = kept;
	sorted(n->p, n->n, sizeof(*n->p), order_cmp);
}

static size_t merge_problems(const struct report_view *v, const struct agg_server *s,
			     const struct agg_chain *ac, struct view_problem *out, size_t max,
			     struct view_chain *vc)
{
	struct mnote *n = ac->notes;
	size_t k = 0;

	(void)s;
	*vc = (struct view_chain){.leaf_names = "", .evidence = NULL};
	if (!n)
		return 0;
	note_final(n);
	vc->unknown_reason = n->unknown_reason;
	for (size_t i = 0; i < n->n && k < max; i++) {
		out[k] = n->p[i].vp;
		if (!out[k].warn_days)
			out[k].warn_days = v->warn_days;
		if (n->p[i].leaf_names[0])
			vc->leaf_names = n->p[i].leaf_names;
		if (n->p[i].have_evidence && !vc->evidence)
			vc->evidence = &n->p[i].evidence;
		if (n->p[i].have_then && !vc->then)
			vc->then = &n->p[i].then;
		k++;
	}
	return k;
}

static int sensor_cmp(const void *x, const void *y)
{
	const struct view_sensor *a = &((const struct msensor *)x)->v;
	const struct view_sensor *b = &((const struct msensor *)y)->v;
	int c = strcmp(a->sensor, b->sensor);

	if (c)
		return c;
	if (a->have != b->have)
		return a->have ? 1 : -1;
	if (a->first != b->first)
		return a->first < b->first ? -1 : 1;
	if (a->last != b->last)
		return a->last < b->last ? -1 : 1;
	if ((c = str_cmp0(a->trust_sha256, b->trust_sha256)) ||
	    (c = str_cmp0(a->run_id, b->run_id)))
		return c;
	return (a->window > b->window) - (a->window < b->window);
}

static int series_cmp(const void *x, const void *y)
{
	const struct view_series *a = &((const struct mseries *)x)->v;
	const struct view_series *b = &((const struct mseries *)y)->v;
	int c = strcmp(a->sensor, b->sensor);

	if (c)
		return c;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->end != b->end)
		return a->end < b->end ? -1 : 1;
	return strcmp(a->kind, b->kind);
}

static int input_cmp(const void *x, const void *y)
{
	const struct engine_input *a = x, *b = y;
	int c = str_cmp0(a->name, b->name);

	if (c || (c = (a->live > b->live) - (a->live < b->live)) ||
	    (c = str_cmp0(a->format, b->format)))
		return c;
	if (a->packets != b->packets)
		return a->packets < b->packets ? -1 : 1;
	if (a->bytes != b->bytes)
		return a->bytes < b->bytes ? -1 : 1;
	if (a->status != b->status)
		return a->status < b->status ? -1 : 1;
	return memcmp(a->errors, b->errors, sizeof(a->errors));
}

static int extra_cmp(const void *x, const void *y)
{
	const struct view_counter *a = x, *b = y;
	int c = strcmp(a->group, b->group);

	return c ? c : strcmp(a->key, b->key);
}

static bool key_in(const struct view_key *k, const struct view_key *keys, size_t n)
{
	return n && bsearch(k, keys, n, sizeof(*keys), key_cmp) != NULL;
}

/* Add the broken servers of the series entries [from, to) of one sensor's
 * first or last window to set. */
static void union_keys(struct mg *m, struct view_key **set, size_t *n, size_t *cap,
		       const struct view_series *s)
{
	for (size_t i = 0; i < s->nbroken; i++)
		if (!key_in(&s->broken[i], *set, *n) &&
		    grow(m, (void **)set, *n, cap, sizeof(**set))) {
			(*set)[(*n)++] = s->broken[i];
			qsort(*set, *n, sizeof(**set), key_cmp);
		}
}

/* A merged report of periodic windows compares its last window with its
 * first (each sensor's own): servers broken in the last and not in the
 * first became broken; broken in the first, seen in the last window's
 * period and not broken there were fixed. */
static void compare_windows(struct mg *m, struct view_window *w, struct view_key **nb,
			    struct view_key **fx)
{
	struct view_key *first = NULL, *last = NULL;
	size_t nf = 0, nl = 0, cf = 0, cl = 0, cb = 0, cx = 0;
	int64_t last_start = INT64_MIN;
	const struct agg_server *const *sv;
	size_t ns;

	w->kind = "merged";
	w->start = m->series[0].v.start, w->end = m->series[0].v.end;
	for (size_t i = 0, j; i < m->nseries; i = j) { /* sorted: a sensor's windows together */
		for (j = i; j < m->nseries && !strcmp(m->series[j].v.sensor, m->series[i].v.sensor);
		     j++) {
			if (m->series[j].v.start < w->start)
				w->start = m->series[j].v.start;
			if (m->series[j].v.end > w->end)
				w->end = m->series[j].v.end;
		}
		union_keys(m, &first, &nf, &cf, &m->series[i].v);
		union_keys(m, &last, &nl, &cl, &m->series[j - 1].v);
		if (m->series[j - 1].v.start > last_start)
			last_start = m->series[j - 1].v.start;
	}
	*nb = NULL, *fx = NULL;
	for (size_t i = 0; m->nseries > 1 && i < nl; i++)
		if (!key_in(&last[i], first, nf) &&
		    grow(m, (void **)nb, w->n_broken, &cb, sizeof(**nb)))
			(*nb)[w->n_broken++] = last[i];
	sv = agg_sorted(engine_agg(m->e), &ns);
	for (size_t i = 0; m->nseries > 1 && i < ns; i++) {
		struct view_key k;

		view_key_of(&k, sv[i]);
		if (key_in(&k, first, nf) && !key_in(&k, last, nl) &&
		    sv[i]->last_seen >= last_start &&
		    grow(m, (void **)fx, w->n_fixed, &cx, sizeof(**fx)))
			(*fx)[w->n_fixed++] = k;
	}
	if (w->n_fixed > 1)
		qsort(*fx, w->n_fixed, sizeof(**fx), key_cmp);
	w->became_broken = *nb, w->fixed = *fx;
	free(first);
	free(last);
}

struct merged {
	struct report_view v;
	struct view_sensor *sensors;
	struct view_window window;
	struct view_key *became_broken, *fixed;
};

static bool build(struct mg *m, struct merged *out)
{
	struct report_view *v = &out->v;
	size_t one_name = 1, id = counter_find("caps", "chains", 6);

	memset(out, 0, sizeof(*out));
	if (id != SIZE_MAX)
		engine_carried(m->e)->v[id] += m->chains_refused;
	sorted(m->sensors, m->nsensors, sizeof(*m->sensors), sensor_cmp);
	sorted(m->series, m->nseries, sizeof(*m->series), series_cmp);
	sorted(m->inputs, m->ninputs, sizeof(*m->inputs), input_cmp);
	sorted(m->extra, m->nextra, sizeof(*m->extra), extra_cmp);
	sorted(m->earlier, m->nearlier, sizeof(*m->earlier), store_cmp);
	if (!(out->sensors = calloc(m->nsensors ? m->nsensors : 1, sizeof(*out->sensors))))
		return false;
	for (size_t i = 0; i < m->nsensors; i++) {
		out->sensors[i] = m->sensors[i].v;
		one_name = one_name && !strcmp(m->sensors[i].v.sensor, m->sensors[0].v.sensor);
	}
	v->sensor = one_name && m->nsensors ? m->sensors[0].v.sensor : "merged";
	v->client_key_id = m->key_id[0] ? m->key_id : m->first_key_id;
	v->have_time = engine_time_range(m->e, &v->first, &v->last);
	v->have_trust = m->have_trust;
	v->trust = m->trust;
	v->trust_mixed = m->trust_mixed;
	if (m->trust_mixed)
		v->trust = (struct view_store){"mixed", NULL, 0, 0};
	v->trust_at = m->trust_at;
	v->earlier = m->earlier, v->nearlier = m->nearlier;
	v->have_at = m->have_at && !m->at_mixed, v->at = m->at;
	v->warn_days_null = m->warn_mixed;
	v->warn_days = m->warn_mixed ? CS_DIAG_WARN_DAYS_DEFAULT : m->warn_days;
	v->inputs = m->inputs, v->ninputs = m->ninputs;
	counters_of_engine(m->e, &v->counters);
	v->extra = m->extra, v->nextra = m->nextra;
	v->servers = agg_sorted(engine_agg(m->e), &v->nservers);
	v->names = m->e;
	v->problems = merge_problems;
	v->producer = m;
	v->sensors = out->sensors, v->nsensors = m->nsensors;
	if (m->nseries) {
		if (!(m->vseries = calloc(m->nseries, sizeof(*m->vseries))))
			return false;
		for (size_t i = 0; i < m->nseries; i++)
			m->vseries[i] = m->series[i].v;
		v->windows = m->vseries, v->nwindows = m->nseries;
		compare_windows(m, &out->window, &out->became_broken, &out->fixed);
		v->window = &out->window;
	}
	return !m->oom;
}

/* ---- the command ------------------------------------------------------------------------ */

struct merge_opts {
	const char *out_path; /* -o */
	int format;           /* enum cs_format: json, text, csv or html */
	unsigned top;         /* --top, text and html */
	bool all;             /* --all, text and html */
	bool details;         /* --details, text only */
};

static const struct cli_choice formats[] = {
	{"json", CS_FORMAT_JSON},
	{"text", CS_FORMAT_TEXT},
	{"csv", CS_FORMAT_CSV},
	{"html", CS_FORMAT_HTML},
	{NULL, 0},
};

#define O(member) offsetof(struct merge_opts, member)

static const struct cli_option rows[] = {
	CLI_ROW_OUTPUT(O(out_path)),
	CLI_ROW_FORMAT(O(format), formats, "json (default), text, csv or html",
		       "merge writes json, text, csv or html"),
	CLI_ROW_TOP(O(top)),
	CLI_ROW_ALL(O(all)),
	{.name = "details",
	 .kind = CLI_FLAG,
	 .field = O(details),
	 .help = "text: every chain and certificate of every server"},
	{.name = "help", .short_name = 'h', .kind = CLI_HELP, .help = "this text"},
};

static const struct cli_spec spec = {
	.command = "merge",
	.synopsis =
		"usage: chainsniff merge [-o FILE] [--format json|text|csv|html] [--top N] [--all] "
		"[--details] REPORT.json...\n"
		"  Combines the JSON reports of several sensors, days or periodic windows (any\n"
		"  report, --state file or earlier merge) into one, ranked as chainsniff ranks.\n"
		"  Refuses (exit 6) two reports holding the same sensor over overlapping time\n"
		"  windows, and reports whose client hashes were made with different client keys.\n",
	.rows = rows,
	.nrows = CS_ARRAY_LEN(rows),
};

const struct cli_spec *merge_cli_spec(void) { return &spec; }

static void mg_free(struct mg *m)
{
	for (size_t i = 0; i < m->nkept; i++)
		free(m->kept[i]);
	for (size_t i = 0; i < m->nnotes; i++) {
		free(m->notes[i]->p);
		free(m->notes[i]);
	}
	for (size_t i = 0; i < m->nseries; i++)
		free(m->series[i].keys);
	free(m->vseries);
	free(m->kept);
	free(m->notes);
	free(m->extra);
	free(m->inputs);
	free(m->sensors);
	free(m->series);
	free(m->earlier);
	engine_free(m->e);
}

static void write_out(FILE *out, const struct report_view *v, const struct merge_opts *mo)
{
	struct report_opts ro = {.top = mo->top, .all = mo->all, .details = mo->details};

	if (mo->format == CS_FORMAT_JSON) {
		report_view_json(out, v, false);
	} else if (mo->format == CS_FORMAT_CSV) {
		report_view_csv(out, v);
	} else if (mo->format == CS_FORMAT_HTML) {
		report_view_html(out, v, &ro);
	} else {
		ro.width = report_width(fileno(out));
		ro.color = out == stdout && isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
		report_view_text(out, v, &ro);
	}
}

int merge_main(int argc, char **argv)
{
	struct engine_config cfg = {.max_flows = 16, .buffer_memcap = 1 << 20, .sensor = "merged"};
	struct merge_opts mo = {.format = CS_FORMAT_JSON, .top = 20};
	struct mg m = {0};
	struct merged mv = {0};
	int operands, rc = CS_EXIT_OK;
	FILE *out = stdout;

	if (!cli_parse(&spec, argc, argv, &mo, &operands, &rc))
		return rc;
	if (operands >= argc) {
		cli_usage(&spec, stderr);
		return CS_EXIT_USAGE;
	}
	m.files = argv + operands;
	if (!(m.e = engine_new(&cfg))) {
		fprintf(stderr, "chainsniff: merge: out of memory\n");
		return CS_EXIT_INPUT;
	}
	for (size_t i = 0; rc == CS_EXIT_OK && i < (size_t)(argc - operands); i++)
		rc = merge_file(&m, i);
	if (rc == CS_EXIT_OK && !build(&m, &mv)) {
		fprintf(stderr, "chainsniff: merge: out of memory\n");
		rc = CS_EXIT_INPUT;
	}
	if (rc == CS_EXIT_OK && mo.out_path && !(out = fopen(mo.out_path, "w"))) {
		fprintf(stderr, "chainsniff: %s: %s\n", mo.out_path, strerror(errno));
		rc = CS_EXIT_OUTPUT;
	}
	if (rc == CS_EXIT_OK) {
		write_out(out, &mv.v, &mo);
		if (fflush(out) != 0 || ferror(out) || (out != stdout && fclose(out) != 0)) {
			fprintf(stderr, "chainsniff: %s: %s\n",
				mo.out_path ? mo.out_path : "standard output", strerror(errno));
			rc = CS_EXIT_OUTPUT;
		}
	}
	free(mv.sensors);
	free(mv.became_broken);
	free(mv.fixed);
	mg_free(&m);
	return rc;
}
