/*
 * state.c - --state: the aggregate saved and restored (cs_state.h), and the
 * validating reader that `chainsniff merge` applies report by report.
 * Owns nothing past a call: what is restored belongs to the engine (the
 * aggregate, the chain store, the names of earlier inputs).
 *
 * Policy: the file is read as hostile.  A value that is missing, of the
 * wrong type or out of range refuses the whole file with one line naming
 * the value ("servers[3].chains[0].certs[1].der: not base64"); fields we do
 * not read are ignored (later versions add fields), and so are problem
 * codes and counters we do not know, which are kept as read for merge;
 * derived fields (status, clients, sni_status, servers_broken, ...) are
 * recomputed.  Lengths
 * are capped as on the wire before anything is allocated: an SNI as
 * CS_MAX_SNI, a chain as CS_MAX_CHAIN_CERTS certificates and CS_TLS_MAX_HS_MSG
 * bytes of DER, a client set as CS_CLIENTSET_EXACT hashes or 2^CS_HLL_P
 * registers.  Caps of the aggregate and chain store hit while restoring are
 * counted there, as for live traffic.
 * JSON parsing is jansson's (as in Suricata): duplicate keys refused, and
 * NUL allowed inside strings, since esc_json writes an SNI's NUL as \u0000.
 */
#include "cs_state.h"
#include "cs_addr.h"
#include "cs_atomicfile.h"
#include "cs_clientkey.h"
#include "cs_codec.h"
#include "cs_judge.h"
#include "cs_problems.h"
#include "cs_readfile.h"
#include "cs_report.h"
#include "cs_timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- saving -------------------------------------------------------------------- */

static bool fill_state(FILE *f, void *e)
{
	report_json_state(f, e);
	return true;
}

/* Mode 0600: the client hashes are personal data (cs_state.h). */
enum cs_status state_save(struct engine *e, const char *path, char *err, size_t errlen)
{
	return atomic_write(AT_FDCWD, path, 0600, fill_state, e, err, errlen);
}

/* ---- reading the file ------------------------------------------------------------ */

/* Messages quote bytes of the file: keep them one printable line. */
static void tame(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = '?';
}

json_t *state_read_json(const char *path, bool *missing, char *err, size_t errlen)
{
	char *buf;
	size_t n;
	json_error_t je;
	json_t *doc = NULL;
	enum cs_status st = read_file_capped(path, CS_STATE_MAX_BYTES, "a chainsniff state file",
					     &buf, &n, err, errlen);

	*missing = st == CS_IO && errno == ENOENT;
	if (st != CS_OK)
		return NULL;
	doc = json_loadb(buf, n, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
	if (!doc) {
		snprintf(err, errlen, "%s: not valid JSON (line %d, column %d: %s)", path, je.line,
			 je.column, je.text);
		tame(err);
	} else if (!json_is_object(doc)) {
		snprintf(err, errlen, "%s: not a chainsniff report (not a JSON object)", path);
		json_decref(doc);
		doc = NULL;
	}
	free(buf);
	return doc;
}

/* ---- validating getters ------------------------------------------------------------ */

struct ld {
	struct engine *e;
	struct state_apply_opts *o;
	char *err;
	size_t errlen;
	enum cs_status st;
};

/* "where.key: reason"; always false. */
static bool bad(struct ld *l, const char *where, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static bool bad(struct ld *l, const char *where, const char *key, const char *fmt, ...)
{
	char msg[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(l->err, l->errlen, "%s%s%s: %s", where, *where && key ? "." : "", key ? key : "",
		 msg);
	tame(l->err);
	l->st = CS_BAD;
	return false;
}

/* where + ".what[i]" (i < 0: no index), for the messages. */
static void path_at(char *w, size_t len, const char *where, const char *what, long i)
{
	int n = i < 0 ? snprintf(w, len, "%s%s%s", where, *where ? "." : "", what)
		      : snprintf(w, len, "%s%s%s[%ld]", where, *where ? "." : "", what, i);

	if (n < 0 && len)
		w[0] = '\0';
}

/* Element i of the array at where.key, which must be an object; its path
 * is left in w.  NULL (reported) when it is not an object. */
static json_t *array_object(struct ld *l, char *w, size_t wlen, const char *where,
			    const json_t *arr, const char *key, size_t i)
{
	json_t *o = json_array_get(arr, i);

	path_at(w, wlen, where, key, (long)i);
	if (!json_is_object(o)) {
		bad(l, w, NULL, "not an object");
		return NULL;
	}
	return o;
}

static bool nomem(struct ld *l)
{
	snprintf(l->err, l->errlen, "out of memory");
	l->st = CS_NOMEM;
	return false;
}

static json_t *member(struct ld *l, const char *where, const json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		bad(l, where, key, "missing");
	return v;
}

static json_t *get_obj(struct ld *l, const char *where, const json_t *o, const char *key)
{
	json_t *v = member(l, where, o, key);

	if (v && !json_is_object(v)) {
		bad(l, where, key, "not an object");
		return NULL;
	}
	return v;
}

static json_t *get_arr(struct ld *l, const char *where, const json_t *o, const char *key,
		       size_t max)
{
	json_t *v = member(l, where, o, key);

	if (v && !json_is_array(v)) {
		bad(l, where, key, "not an array");
		return NULL;
	}
	if (v && json_array_size(v) > max) {
		bad(l, where, key, "more than %zu entries", max);
		return NULL;
	}
	return v;
}

/* Counters are non-negative JSON integers (jansson refuses > INT64_MAX). */
static bool get_u64(struct ld *l, const char *where, const json_t *o, const char *key, uint64_t max,
		    uint64_t *out)
{
	json_t *v = member(l, where, o, key);
	json_int_t i;

	*out = 0;
	if (!v)
		return false;
	if (!json_is_integer(v))
		return bad(l, where, key, "not an integer");
	i = json_integer_value(v);
	if (i < 0 || (uint64_t)i > max)
		return bad(l, where, key, "%lld is out of range 0..%" PRIu64, (long long)i, max);
	*out = (uint64_t)i;
	return true;
}

/* broken_then_handshakes (added with the root-store timeline): of broken,
 * those broken on their capture day too; a file written before it did not
 * know, and reads as "all of them" (*ok_then 0). */
static bool get_ok_then(struct ld *l, const char *where, const json_t *o, uint64_t broken,
			uint64_t *ok_then)
{
	uint64_t then;

	*ok_then = 0;
	if (!json_object_get(o, "broken_then_handshakes"))
		return true;
	if (!get_u64(l, where, o, "broken_then_handshakes", broken, &then))
		return false;
	*ok_then = broken - then;
	return true;
}

/* A string of at most maxlen bytes (*s NULL for JSON null when nullable). */
static bool get_str(struct ld *l, const char *where, const json_t *o, const char *key,
		    size_t maxlen, bool nullable, const char **s, size_t *n)
{
	json_t *v = member(l, where, o, key);

	*s = NULL, *n = 0;
	if (!v)
		return false;
	if (nullable && json_is_null(v))
		return true;
	if (!json_is_string(v))
		return bad(l, where, key, nullable ? "not a string or null" : "not a string");
	if (json_string_length(v) > maxlen)
		return bad(l, where, key, "longer than %zu bytes", maxlen);
	*s = json_string_value(v);
	*n = json_string_length(v);
	return true;
}

static bool get_time(struct ld *l, const char *where, const json_t *o, const char *key,
		     bool nullable, bool *have, int64_t *ns)
{
	const char *s;
	size_t n;

	*have = false, *ns = 0;
	if (!get_str(l, where, o, key, 64, nullable, &s, &n))
		return false;
	if (!s)
		return true;
	if (!parse_time_ns(s, n, ns))
		return bad(l, where, key, "not a time like 2014-11-26T22:08:23.101516Z");
	*have = true;
	return true;
}

static bool get_sha256(struct ld *l, const char *where, const json_t *o, const char *key,
		       uint8_t out[CS_SHA256_LEN])
{
	const char *s;
	size_t n;

	if (!get_str(l, where, o, key, 2 * CS_SHA256_LEN, false, &s, &n))
		return false;
	if (!hex_parse_lower(s, n, out, CS_SHA256_LEN))
		return bad(l, where, key, "not 64 lowercase hex digits");
	return true;
}

static bool add(struct ld *l, const char *where, const char *key, uint64_t *dst, uint64_t v)
{
	/* counters are written as JSON integers, which jansson reads up to 2^63-1 */
	if (__builtin_add_overflow(*dst, v, dst) || *dst > (uint64_t)INT64_MAX)
		return bad(l, where, key, "counter overflow");
	return true;
}

/* A client set's sketch, merged into dst: {"exact": [16 hex digits...]} or
 * {"hll_p": 10, "registers": base64 of 2^10 bytes}. */
static bool get_sketch(struct ld *l, const char *where, const json_t *o, const char *key,
		       struct clientset *dst)
{
	char w[256];
	json_t *sk = json_object_get(o, key), *ex;
	uint8_t regs[CS_HLL_REGISTERS];
	struct clientset tmp;
	const char *s;
	size_t n, got;
	uint64_t p;

	if (!sk)
		return bad(l, where, key,
			   "missing: not a state file (write one with --state or --format state)");
	if (!json_is_object(sk))
		return bad(l, where, key, "not an object");
	path_at(w, sizeof(w), where, key, -1);
	ex = json_object_get(sk, "exact");
	if (ex) {
		if (!json_is_array(ex) || json_array_size(ex) > CS_CLIENTSET_EXACT)
			return bad(l, w, "exact", "not an array of at most %u hashes",
				   CS_CLIENTSET_EXACT);
		for (size_t i = 0; i < json_array_size(ex); i++) {
			json_t *h = json_array_get(ex, i);
			uint8_t b[8];
			uint64_t v = 0;

			if (!json_is_string(h) ||
			    !hex_parse_lower(json_string_value(h), json_string_length(h), b, 8))
				return bad(l, w, "exact", "[%zu] is not 16 lowercase hex digits",
					   i);
			for (int k = 0; k < 8; k++)
				v = v << 8 | b[k];
			clientset_add_hash(dst, v);
		}
		return true;
	}
	if (!get_u64(l, w, sk, "hll_p", 64, &p))
		return false;
	if (p != CS_HLL_P)
		return bad(l, w, "hll_p", "%" PRIu64 ": this chainsniff uses %d", p, CS_HLL_P);
	if (!get_str(l, w, sk, "registers", (CS_HLL_REGISTERS + 2) / 3 * 4, false, &s, &n))
		return false;
	if (!b64_decode(s, n, regs, sizeof(regs), &got) || got != sizeof(regs))
		return bad(l, w, "registers", "not base64 of %u bytes", CS_HLL_REGISTERS);
	for (size_t i = 0; i < sizeof(regs); i++)
		if (regs[i] > 64 - CS_HLL_P + 1) /* the largest rank a 64-bit hash gives */
			return bad(l, w, "registers", "register %zu is %u, above %d", i, regs[i],
				   64 - CS_HLL_P + 1);
	clientset_init(&tmp);
	tmp.regs = regs; /* borrowed for the merge, never freed */
	clientset_merge(dst, &tmp);
	return true;
}

/* A string without NUL of at most maxlen bytes, "" for null when nullable. */
static bool get_text(struct ld *l, const char *where, const json_t *o, const char *key,
		     size_t maxlen, bool nullable, const char **s)
{
	size_t n;

	if (!get_str(l, where, o, key, maxlen, nullable, s, &n))
		return false;
	if (*s && memchr(*s, '\0', n))
		return bad(l, where, key, "holds a NUL");
	if (!*s)
		*s = "";
	return true;
}

/* An optional member: absent is its default. */
static bool opt_int(struct ld *l, const char *where, const json_t *o, const char *key, long long lo,
		    long long hi, int *out)
{
	json_t *v = json_object_get(o, key);

	if (!v)
		return true;
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return bad(l, where, key, "not an integer in %lld..%lld", lo, hi);
	*out = (int)json_integer_value(v);
	return true;
}

static bool opt_text(struct ld *l, const char *where, const json_t *o, const char *key,
		     size_t maxlen, const char **s)
{
	*s = "";
	return !json_object_get(o, key) || get_text(l, where, o, key, maxlen, true, s);
}

/* params: the typed parameters the catalogue words a record with. */
static bool get_params(struct ld *l, const char *where, const json_t *pa, size_t ncerts,
		       struct state_problem *sp)
{
	struct diag_problem *p = &sp->vp.p;
	json_t *order = json_object_get(pa, "order"), *earlier = json_object_get(pa, "earlier");
	const char *role, *date;
	int variant = 0;
	int64_t secs;

	if (!opt_int(l, where, pa, "variant", 0, 255, &variant) ||
	    !opt_int(l, where, pa, "num", INT32_MIN, INT32_MAX, &p->num) ||
	    !opt_int(l, where, pa, "count", INT32_MIN, INT32_MAX, &p->count) ||
	    !opt_int(l, where, pa, "days", 0, 1000000, &sp->vp.warn_days) ||
	    !opt_text(l, where, pa, "role", 16, &role) ||
	    !opt_text(l, where, pa, "date", 32, &date) ||
	    !opt_text(l, where, pa, "name", CS_STATE_MAX_TEXT, &p->name) ||
	    !opt_text(l, where, pa, "text", CS_STATE_MAX_TEXT, &p->text) ||
	    !opt_text(l, where, pa, "names", CS_STATE_MAX_TEXT, &sp->leaf_names))
		return false;
	p->variant = (uint8_t)variant;
	if (problem_role_by_name(role) < 0)
		return bad(l, where, "role", "not leaf, intermediate, root or null");
	p->role = (uint8_t)problem_role_by_name(role);
	if (date[0]) {
		if (!parse_time_s(date, strlen(date), &secs))
			return bad(l, where, "date", "not a time like 2015-06-18T18:18:03Z");
		p->date = secs;
	}
	if (order && (!json_is_array(order) || json_array_size(order) > CS_PROBLEM_MAX_ORDER))
		return bad(l, where, "order", "not a list of at most %d indexes",
			   CS_PROBLEM_MAX_ORDER);
	for (size_t i = 0; order && i < json_array_size(order); i++) {
		json_t *x = json_array_get(order, i);

		if (!json_is_integer(x) || json_integer_value(x) < 0 ||
		    (uint64_t)json_integer_value(x) >= ncerts)
			return bad(l, where, "order", "[%zu] is not an index into the chain", i);
		p->order[p->norder++] = (uint8_t)json_integer_value(x);
	}
	if (earlier && !json_is_boolean(earlier))
		return bad(l, where, "earlier", "not true or false");
	sp->vp.earlier = json_is_true(earlier);
	return true;
}

/* missing_intermediate: where the missing issuer was seen. */
static bool get_evidence(struct ld *l, const char *where, const json_t *o, struct state_problem *sp)
{
	json_t *ev = json_object_get(o, "evidence"), *done;
	const char *kind, *src;
	char w[256];
	int k;

	if (!opt_text(l, where, o, "issuer_evidence", 32, &kind))
		return false;
	if (!kind[0])
		return true;
	if ((k = evidence_by_name(kind)) < 0)
		return bad(l, where, "issuer_evidence", "not an evidence kind chainsniff knows");
	sp->have_evidence = true;
	sp->evidence.kind = (enum diag_evidence)k;
	if (!ev || json_is_null(ev))
		return true;
	path_at(w, sizeof(w), where, "evidence", -1);
	if (!json_is_object(ev))
		return bad(l, where, "evidence", "not an object or null");
	if (!get_sha256(l, w, ev, "sha256", sp->evidence.sha256) ||
	    !get_text(l, w, ev, "source", sizeof(sp->evidence.source) - 1, false, &src))
		return false;
	done = json_object_get(ev, "completes");
	if (done && !json_is_boolean(done))
		return bad(l, w, "completes", "not true or false");
	memcpy(sp->evidence.source, src, strlen(src) + 1);
	sp->evidence.have_cert = true;
	sp->evidence.completes = json_is_true(done);
	return true;
}

/* A day, "2020-12-11" (null when nullable: *have false). */
static bool get_day(struct ld *l, const char *where, const json_t *o, const char *key,
		    bool nullable, bool *have, int64_t *secs)
{
	const char *s;

	*have = false, *secs = 0;
	if (!get_text(l, where, o, key, 10, nullable, &s))
		return false;
	if (!s[0] && nullable)
		return true;
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || !parse_time_arg(s, secs))
		return bad(l, where, key, "not a day like 2020-12-11");
	*have = true;
	return true;
}

/* ok_at_capture_time: the root of the capture's day (root_then). */
static bool get_root_then(struct ld *l, const char *where, const json_t *o,
			  struct state_problem *sp)
{
	json_t *rt = json_object_get(o, "root_then");
	struct diag_root_then *t = &sp->then;
	bool have, since;
	char w[256];

	if (!rt || json_is_null(rt))
		return true;
	if (!json_is_object(rt))
		return bad(l, where, "root_then", "not an object or null");
	path_at(w, sizeof(w), where, "root_then", -1);
	if (!get_day(l, w, rt, "store_day", false, &have, &t->store_day) ||
	    !get_text(l, w, rt, "label", CS_STATE_MAX_TEXT, false, &t->label) ||
	    !get_text(l, w, rt, "subject", CS_STATE_MAX_TEXT, false, &t->subject) ||
	    !get_sha256(l, w, rt, "spki_sha256", t->spki_sha256) ||
	    !get_sha256(l, w, rt, "cert_sha256", t->cert_sha256) ||
	    !get_day(l, w, rt, "left", false, &have, &t->left_at) ||
	    !get_text(l, w, rt, "left_release", CS_STATE_MAX_TEXT, false, &t->left_release) ||
	    !get_day(l, w, rt, "distrust_after", true, &t->has_distrust_after,
		     &t->distrust_after) ||
	    !get_day(l, w, rt, "distrust_since", true, &since, &t->distrust_since))
		return false;
	if (t->has_distrust_after != since)
		return bad(l, w, "distrust_since", "given without distrust_after, or missing");
	t->distrust_release = "";
	sp->have_then = true;
	return true;
}

/* One problems[] entry.  A known code with its params becomes the typed
 * record; anything else keeps its words as read. */
static bool get_problem(struct ld *l, const char *where, const json_t *o, size_t ncerts,
			struct state_problem *sp)
{
	struct diag_problem *p = &sp->vp.p;
	json_t *ci, *pa;
	const char *code, *sev;

	memset(sp, 0, sizeof(*sp));
	sp->leaf_names = "";
	p->name = p->text = "";
	if (!json_is_object(o))
		return bad(l, where, NULL, "not an object");
	if (!get_text(l, where, o, "code", 64, false, &code) ||
	    !get_text(l, where, o, "severity", 16, false, &sev) ||
	    !get_text(l, where, o, "subject", CS_STATE_MAX_TEXT, true, &p->subject) ||
	    !get_text(l, where, o, "message", CS_STATE_MAX_TEXT, false, &sp->vp.message) ||
	    !get_text(l, where, o, "fix", CS_STATE_MAX_TEXT, false, &sp->vp.fix) ||
	    !(ci = member(l, where, o, "cert_index")))
		return false;
	if (!code[0])
		return bad(l, where, "code", "empty");
	for (const char *c = code; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_'))
			return bad(l, where, "code", "not a problem code (a-z, 0-9, _)");
	if (strcmp(sev, "error") && strcmp(sev, "warning"))
		return bad(l, where, "severity", "neither error nor warning");
	if (!json_is_null(ci) && (!json_is_integer(ci) || json_integer_value(ci) < 0 ||
				  (uint64_t)json_integer_value(ci) >= ncerts))
		return bad(l, where, "cert_index", "not null or an index into the chain");
	sp->vp.code = code;
	p->code = problem_by_name(code);
	p->severity = strcmp(sev, "error") ? CS_SEV_WARNING : CS_SEV_ERROR;
	p->cert_index = json_is_null(ci) ? -1 : (int)json_integer_value(ci);
	if ((p->code == CS_P_MISSING_INTERMEDIATE && !get_evidence(l, where, o, sp)) ||
	    !get_root_then(l, where, o, sp))
		return false;
	pa = json_object_get(o, "params");
	if (pa && !json_is_object(pa))
		return bad(l, where, "params", "not an object");
	if (pa && p->code != CS_P_MAX) {
		char w[256];

		path_at(w, sizeof(w), where, "params", -1);
		if (!get_params(l, w, pa, ncerts, sp))
			return false;
		sp->vp.message = sp->vp.fix = NULL; /* worded again by the catalogue */
	}
	return true;
}

/* A problems[] array: every entry checked; known codes as bits. */
static bool get_problems(struct ld *l, const char *where, const json_t *o, size_t ncerts,
			 struct state_problem *out, size_t max, size_t *n, uint32_t *bits)
{
	json_t *arr = get_arr(l, where, o, "problems", max);
	char w[256];

	*bits = 0, *n = 0;
	if (!arr)
		return false;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		path_at(w, sizeof(w), where, "problems", (long)i);
		if (!get_problem(l, w, json_array_get(arr, i), ncerts, &out[i]))
			return false;
		out[i].pos = i;
		if (out[i].vp.p.code != CS_P_MAX)
			*bits |= 1u << out[i].vp.p.code;
	}
	*n = json_array_size(arr);
	return true;
}

/* ---- one chain ------------------------------------------------------------------------ */

/* Input names are compared NULL first, so the tie-break is total. */
static int name_cmp(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

/* The facts of a certificate as a report gives them (no DER). */
static bool get_facts(struct ld *l, const char *where, const json_t *ce, struct cs_cert_given *f)
{
	json_t *parsed = member(l, where, ce, "parsed");
	const char *nb, *na;

	memset(f, 0, sizeof(*f));
	f->subject = f->issuer = f->serial_hex = "";
	if (!parsed)
		return false;
	if (!json_is_boolean(parsed))
		return bad(l, where, "parsed", "not true or false");
	if (!json_is_true(parsed))
		return true;
	f->parsed = true;
	if (!get_text(l, where, ce, "subject", CS_STATE_MAX_TEXT, false, &f->subject) ||
	    !get_text(l, where, ce, "issuer", CS_STATE_MAX_TEXT, false, &f->issuer) ||
	    !get_text(l, where, ce, "serial", 2 * CS_STATE_MAX_TEXT, false, &f->serial_hex) ||
	    !get_text(l, where, ce, "not_before", 32, false, &nb) ||
	    !get_text(l, where, ce, "not_after", 32, false, &na))
		return false;
	if (!parse_time_s(nb, strlen(nb), &f->not_before))
		return bad(l, where, "not_before", "not a time like 2015-06-18T18:18:03Z");
	if (!parse_time_s(na, strlen(na), &f->not_after))
		return bad(l, where, "not_after", "not a time like 2015-06-18T18:18:03Z");
	return true;
}

/* A chain without DER (a report, not a state file): interned by its
 * facts, when the caller allows it. */
static bool intern_facts(struct ld *l, const char *where, const json_t *certs,
			 const uint8_t sha[CS_SHA256_LEN], const struct cs_chain **c)
{
	struct cs_cert_given facts[CS_MAX_CHAIN_CERTS];
	uint8_t want[CS_MAX_CHAIN_CERTS][CS_SHA256_LEN];
	size_t n = json_array_size(certs);
	char w[256];
	enum cs_status st;

	for (size_t i = 0; i < n; i++) {
		json_t *ce = array_object(l, w, sizeof(w), where, certs, "certs", i);

		if (!ce)
			return false;
		if (!l->o->facts_only_ok)
			return bad(l, w, "der",
				   "missing: not a state file (write one with --state or "
				   "--format state)");
		if (!get_sha256(l, w, ce, "sha256", want[i]) || !get_facts(l, w, ce, &facts[i]))
			return false;
	}
	st = chain_store_intern_facts(engine_chains(l->e), sha, n,
				      (const uint8_t(*)[CS_SHA256_LEN])want, facts, c);
	if (st == CS_LIMIT) {
		l->o->chains_refused++;
		return true;
	}
	return st == CS_OK ? true : nomem(l);
}

/* Decode the certificates' DER and intern the chain; *c NULL at a cap. */
static bool intern_chain(struct ld *l, const char *where, const json_t *ch,
			 const uint8_t sha[CS_SHA256_LEN], const struct cs_chain **c)
{
	json_t *certs = get_arr(l, where, ch, "certs", CS_MAX_CHAIN_CERTS);
	struct cs_slice sl[CS_MAX_CHAIN_CERTS];
	uint8_t want[CS_MAX_CHAIN_CERTS][CS_SHA256_LEN];
	uint8_t *buf = NULL;
	size_t n, total = 0, used = 0;
	char w[256];
	bool added, ok = false;
	enum cs_status st;

	*c = NULL;
	if (!certs)
		return false;
	n = json_array_size(certs);
	if (n == 0)
		return bad(l, where, "certs", "empty");
	for (size_t i = 0; i < n; i++)
		if (!json_is_object(json_array_get(certs, i)) ||
		    !json_object_get(json_array_get(certs, i), "der"))
			return intern_facts(l, where, certs, sha, c);
	/* first pass: types and lengths, so that one buffer of a capped size holds all */
	for (size_t i = 0; i < n; i++) {
		json_t *ce = json_array_get(certs, i);
		const char *s;
		size_t len;

		path_at(w, sizeof(w), where, "certs", (long)i);
		if (!get_str(l, w, ce, "der", (CS_TLS_MAX_HS_MSG + 2) / 3 * 4, false, &s, &len) ||
		    !get_sha256(l, w, ce, "sha256", want[i]))
			return false;
		total += len / 4 * 3;
	}
	if (total > CS_TLS_MAX_HS_MSG)
		return bad(l, where, "certs", "more than %u bytes of DER", CS_TLS_MAX_HS_MSG);
	if (!(buf = malloc(total ? total : 1)))
		return nomem(l);
	for (size_t i = 0; i < n; i++) {
		json_t *ce = json_array_get(certs, i);
		json_t *der = json_object_get(ce, "der");
		size_t got;

		path_at(w, sizeof(w), where, "certs", (long)i);
		if (!b64_decode(json_string_value(der), json_string_length(der), buf + used,
				total - used, &got) ||
		    got == 0) {
			bad(l, w, "der", "not base64 of a certificate");
			goto out;
		}
		sl[i] = (struct cs_slice){buf + used, got};
		used += got;
	}
	st = chain_store_intern(engine_chains(l->e), sl, n, c, &added);
	if (st == CS_LIMIT) {
		l->o->chains_refused++;
		ok = true;
		goto out;
	}
	if (st != CS_OK) {
		nomem(l);
		goto out;
	}
	if (memcmp((*c)->sha256, sha, CS_SHA256_LEN) != 0) {
		bad(l, where, "sha256", "does not match the certificates' DER");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		if (memcmp((*c)->certs[i]->sha256, want[i], CS_SHA256_LEN) != 0) {
			path_at(w, sizeof(w), where, "certs", (long)i);
			bad(l, w, "sha256", "does not match its DER");
			goto out;
		}
	ok = true;
out:
	if (!ok)
		*c = NULL;
	free(buf);
	return ok;
}

static bool get_unknown_reason(struct ld *l, const char *where, const json_t *ch, uint8_t *out)
{
	static const char *const names[DIAG_UNK_MAX] = {
		[DIAG_UNK_NONE] = "unknown",
		[DIAG_UNK_BUDGET] = "analysis_budget",
		[DIAG_UNK_DEFERRED] = "analysis_deferred",
		[DIAG_UNK_PENDING] = "no_room_to_wait",
	};
	const char *s;

	*out = DIAG_UNK_NONE;
	if (!opt_text(l, where, ch, "unknown_reason", 32, &s))
		return false;
	for (uint8_t i = 0; i < DIAG_UNK_MAX && s[0]; i++)
		if (!strcmp(s, names[i]))
			*out = i;
	return true;
}

/* The first of a chain's handshakes: the earliest time, then the least
 * input name, then frame (a total order, whatever order reports come in). */
static void first_seen_of(struct ld *l, struct agg_chain *ac, const char *name, bool live,
			  uint64_t frame, int64_t first)
{
	const char *have = engine_input(l->e, ac->first_input)->name;

	if (ac->handshakes == 0 || first < ac->first_ts ||
	    (first == ac->first_ts &&
	     (name_cmp(name, have) < 0 || (!name_cmp(name, have) && frame < ac->first_frame)))) {
		ac->first_input = engine_restore_input(l->e, name, live);
		ac->first_frame = frame;
		ac->first_ts = first;
	}
}

/* Judge a restored chain again (a --state restore): its problems now,
 * and its CA certificates explain other servers' gaps. */
static void judge_again(struct ld *l, const struct agg_server *s, struct agg_chain *ac)
{
	struct judge_result r;
	int64_t when;

	if (!engine_at(l->e, &when))
		when = ac->last_ts / CS_NS_PER_SEC;
	if (judge_now(engine_judge(l->e), ac->chain, when, ac->last_ts / CS_NS_PER_SEC,
		      s->has_sni ? s->sni : NULL, s->sni_len, &s->ip, s->port, &r)) {
		ac->verdict = r.v;
		ac->hostname_mismatch = !r.hostname_ok;
	}
}

static bool restore_chain(struct ld *l, const char *where, struct agg_server *s, json_t *ch,
			  uint64_t server_hs, uint64_t *sum)
{
	struct state_problem probs[CS_DIAG_MAX_PROBLEMS];
	struct state_chain sc = {probs, 0, DIAG_UNK_NONE};
	uint8_t sha[CS_SHA256_LEN];
	uint64_t hs, broken, ok_then, unjudged = 0, frame = 0, ku_suite = 0;
	int64_t last, first;
	bool have, live;
	uint32_t bits;
	json_t *fs, *certs, *fr;
	const char *name;
	size_t nlen;
	const struct cs_chain *c;
	struct agg_chain *ac;
	char w[256];

	if (!json_is_object(ch))
		return bad(l, where, NULL, "not an object");
	certs = get_arr(l, where, ch, "certs", CS_MAX_CHAIN_CERTS);
	if (certs && json_array_size(certs) == 0)
		return bad(l, where, "certs", "empty");
	if (!certs || !get_sha256(l, where, ch, "sha256", sha) ||
	    !get_u64(l, where, ch, "handshakes", server_hs, &hs) ||
	    !get_u64(l, where, ch, "broken_handshakes", hs, &broken) ||
	    !get_ok_then(l, where, ch, broken, &ok_then) ||
	    (json_object_get(ch, "unjudged_handshakes") &&
	     !get_u64(l, where, ch, "unjudged_handshakes", hs, &unjudged)) ||
	    !get_time(l, where, ch, "last_seen", false, &have, &last) ||
	    !get_unknown_reason(l, where, ch, &sc.unknown_reason) ||
	    (json_object_get(ch, "key_usage_suite") &&
	     !get_u64(l, where, ch, "key_usage_suite", UINT16_MAX, &ku_suite)) ||
	    !get_problems(l, where, ch, json_array_size(certs), probs, CS_DIAG_MAX_PROBLEMS,
			  &sc.nproblems, &bits) ||
	    !(fs = get_obj(l, where, ch, "first_seen")))
		return false;
	path_at(w, sizeof(w), where, "first_seen", -1);
	if (!get_str(l, w, fs, "input", 4096, true, &name, &nlen) ||
	    !get_time(l, w, fs, "time", false, &have, &first) || !(fr = member(l, w, fs, "frame")))
		return false;
	if (name && memchr(name, '\0', nlen))
		return bad(l, w, "input", "holds a NUL");
	live = json_is_null(fr);
	if (!live && !get_u64(l, w, fs, "frame", INT64_MAX, &frame))
		return false;
	if (hs == 0)
		return bad(l, where, "handshakes", "0: a chain is listed once it was served");
	if (first > last)
		return bad(l, where, "last_seen", "before first_seen");
	if (__builtin_add_overflow(*sum, hs, sum) || *sum > server_hs)
		return bad(l, where, "handshakes",
			   "the server's chains add up to more than its handshakes");
	if (!intern_chain(l, where, ch, sha, &c))
		return false;
	if (!c || !(ac = agg_restore_chain(engine_agg(l->e), s, c)))
		return true; /* a cap: counted by the chain store or the aggregate */
	first_seen_of(l, ac, name, live, frame, first);
	if (ac->handshakes == 0 || last >= ac->last_ts) {
		ac->last_ts = last;
		ac->key_usage_suite = (uint16_t)ku_suite;
	}
	if (!add(l, where, "handshakes", &ac->handshakes, hs) ||
	    !add(l, where, "broken_handshakes", &ac->broken_handshakes, broken) ||
	    !add(l, where, "broken_then_handshakes", &ac->ok_then_handshakes, ok_then) ||
	    !add(l, where, "unjudged_handshakes", &ac->unjudged_handshakes, unjudged))
		return false;
	ac->problems |= bits;
	s->problems |= bits;
	if (engine_judge(l->e))
		judge_again(l, s, ac);
	if (l->o->on_chain && !l->o->on_chain(l->o->ctx, s, ac, &sc))
		return nomem(l);
	return true;
}

/* ---- one server --------------------------------------------------------------------- */

static bool restore_fingerprints(struct ld *l, const char *where, const json_t *rj,
				 struct agg_rejection *r, uint64_t hs)
{
	json_t *fps = get_arr(l, where, rj, "fingerprints", AGG_MAX_FINGERPRINTS);
	char w[256];

	if (!fps)
		return false;
	for (size_t i = 0; i < json_array_size(fps); i++) {
		json_t *fp = array_object(l, w, sizeof(w), where, fps, "fingerprints", i);
		const char *ja3, *ja4;
		size_t n3, n4;
		uint64_t n;
		uint32_t k;

		if (!fp || !get_str(l, w, fp, "ja3", sizeof(r->fp[0].ja3) - 1, false, &ja3, &n3) ||
		    !get_str(l, w, fp, "ja4", sizeof(r->fp[0].ja4) - 1, false, &ja4, &n4) ||
		    !get_u64(l, w, fp, "handshakes", hs, &n))
			return false;
		for (size_t k2 = 0; k2 < n3 + n4; k2++) {
			char ch = k2 < n3 ? ja3[k2] : ja4[k2 - n3];

			if (ch < 0x21 || ch > 0x7e)
				return bad(l, w, k2 < n3 ? "ja3" : "ja4", "not printable ASCII");
		}
		if (!r)
			continue;
		for (k = 0; k < r->nfp; k++)
			if (!strcmp(r->fp[k].ja3, ja3) && !strcmp(r->fp[k].ja4, ja4))
				break;
		if (k == r->nfp) {
			if (r->nfp == AGG_MAX_FINGERPRINTS) { /* the same cap as live traffic */
				agg_fingerprint_refused(engine_agg(l->e));
				continue;
			}
			r->nfp++;
			memcpy(r->fp[k].ja3, ja3, n3 + 1);
			memcpy(r->fp[k].ja4, ja4, n4 + 1);
			r->fp[k].handshakes = 0;
		}
		if (!add(l, w, "handshakes", &r->fp[k].handshakes, n))
			return false;
	}
	return true;
}

static bool restore_rejections(struct ld *l, const char *where, const json_t *sv,
			       struct agg_server *s, uint64_t tls)
{
	json_t *arr = get_arr(l, where, sv, "client_rejections", AGG_MAX_REJECTION_KINDS);
	char w[256];

	if (!arr)
		return false;
	for (size_t i = 0; i < json_array_size(arr); i++) {
		json_t *rj = array_object(l, w, sizeof(w), where, arr, "client_rejections", i);
		struct agg_rejection *r;
		struct clientset clients;
		uint64_t alert, hs;
		bool ok;

		if (!rj || !get_u64(l, w, rj, "alert_code", 255, &alert) ||
		    !get_u64(l, w, rj, "handshakes", tls, &hs))
			return false;
		clientset_init(&clients);
		ok = get_sketch(l, w, rj, "clients_sketch", &clients);
		r = ok ? agg_restore_rejection(s, (uint8_t)alert) : NULL;
		if (r) {
			clientset_merge(&r->clients, &clients);
			ok = add(l, w, "handshakes", &r->handshakes, hs);
		} else if (ok) {
			s->rejections_dropped += hs; /* more kinds than the cap, as live */
		}
		clientset_fini(&clients);
		if (!ok || !restore_fingerprints(l, w, rj, r, hs))
			return false;
	}
	return true;
}

static bool restore_versions(struct ld *l, const char *where, const json_t *sv,
			     struct agg_server *s, uint64_t hs)
{
	static const char *const vnames[AGG_VERSIONS] = {"SSL3.0", "TLS1.0", "TLS1.1", "TLS1.2"};
	json_t *vo = get_obj(l, where, sv, "tls_versions"), *v;
	const char *key;
	char w[256];

	if (!vo)
		return false;
	path_at(w, sizeof(w), where, "tls_versions", -1);
	json_object_foreach(vo, key, v)
	{
		uint64_t n;
		int i;

		for (i = 0; i < AGG_VERSIONS && strcmp(key, vnames[i]); i++)
			;
		if (i == AGG_VERSIONS)
			return bad(l, w, key, "not a version chainsniff counts");
		if (!get_u64(l, w, vo, key, hs, &n) || !add(l, w, key, &s->versions[i], n))
			return false;
	}
	return true;
}

static bool restore_server(struct ld *l, size_t idx, json_t *sv)
{
	char where[48];
	const char *ip_s, *sni;
	size_t n, sni_len;
	uint64_t port, tls, hs, broken, ok_then, unjudged = 0, not_sent, not_captured, sum = 0;
	int64_t first, last;
	bool have;
	struct cs_addr ip;
	struct agg_server *s;
	json_t *chains, *raw;
	uint8_t sni_raw[CS_MAX_SNI];

	snprintf(where, sizeof(where), "servers[%zu]", idx);
	if (!json_is_object(sv))
		return bad(l, where, NULL, "not an object");
	if (!json_object_get(sv, "clients_sketch")) /* reports of older versions lack it */
		return bad(l, where, "clients_sketch",
			   "missing: a report of an older chainsniff "
			   "(its --state and --format state files merge)");
	if (!get_str(l, where, sv, "server_ip", 63, false, &ip_s, &n) ||
	    !get_u64(l, where, sv, "server_port", 65535, &port) ||
	    /* an SNI byte that is not UTF-8 comes back as 2 (esc_json's \u00XX) */
	    !get_str(l, where, sv, "sni", 2 * CS_MAX_SNI, true, &sni, &sni_len) ||
	    !get_u64(l, where, sv, "tls_handshakes", INT64_MAX, &tls) ||
	    !get_u64(l, where, sv, "handshakes", tls, &hs) ||
	    !get_u64(l, where, sv, "broken_handshakes", hs, &broken) ||
	    !get_ok_then(l, where, sv, broken, &ok_then) ||
	    (json_object_get(sv, "unjudged_handshakes") &&
	     !get_u64(l, where, sv, "unjudged_handshakes", hs, &unjudged)) ||
	    !get_u64(l, where, sv, "sni_not_sent", tls, &not_sent) ||
	    !get_u64(l, where, sv, "sni_not_captured", tls, &not_captured) ||
	    !get_time(l, where, sv, "first_seen", false, &have, &first) ||
	    !get_time(l, where, sv, "last_seen", false, &have, &last) ||
	    /* the union of its chains' problems: read from each chain */
	    !get_arr(l, where, sv, "problems",
		     (size_t)CS_MAX_CHAINS_PER_SERVER * CS_DIAG_MAX_PROBLEMS) ||
	    !(chains = get_arr(l, where, sv, "chains", CS_MAX_CHAINS_PER_SERVER)))
		return false;
	if (!cs_addr_parse(ip_s, &ip))
		return bad(l, where, "server_ip", "not an IP address");
	if (tls == 0)
		return bad(l, where, "tls_handshakes", "0: a server is listed once it was seen");
	if (first > last)
		return bad(l, where, "last_seen", "before first_seen");
	if (not_sent + not_captured > tls)
		return bad(l, where, "sni_not_sent",
			   "with sni_not_captured, more than tls_handshakes");
	if ((raw = json_object_get(sv, "sni_b64"))) {
		/* the SNI's bytes exactly, where they are not UTF-8 ("sni" shows
		 * each invalid byte as a character, esc_json's \u00XX) */
		if (!sni || !json_is_string(raw) ||
		    !b64_decode(json_string_value(raw), json_string_length(raw), sni_raw,
				sizeof(sni_raw), &sni_len) ||
		    sni_len == 0)
			return bad(l, where, "sni_b64",
				   "not base64 of at most %d bytes beside an sni", CS_MAX_SNI);
		sni = (const char *)sni_raw;
	}
	if (sni && sni_len > CS_MAX_SNI) { /* cut on a character boundary */
		sni_len = CS_MAX_SNI;
		while (sni_len > 0 && ((uint8_t)sni[sni_len] & 0xc0) == 0x80)
			sni_len--;
	}
	s = agg_restore_server(engine_agg(l->e), &ip, (uint16_t)port, sni, sni_len);
	if (!s)
		return true; /* the server table is full: counted in caps.servers */
	if (s->tls_handshakes == 0 || first < s->first_seen)
		s->first_seen = first;
	if (s->tls_handshakes == 0 || last > s->last_seen)
		s->last_seen = last;
	if (!add(l, where, "tls_handshakes", &s->tls_handshakes, tls) ||
	    !add(l, where, "handshakes", &s->handshakes, hs) ||
	    !add(l, where, "broken_handshakes", &s->broken_handshakes, broken) ||
	    !add(l, where, "broken_then_handshakes", &s->ok_then_handshakes, ok_then) ||
	    !add(l, where, "sni_not_sent", &s->sni_not_sent, not_sent) ||
	    !add(l, where, "sni_not_captured", &s->sni_not_captured, not_captured) ||
	    !add(l, where, "unjudged_handshakes", &s->unjudged_handshakes, unjudged))
		return false;
	if (!restore_versions(l, where, sv, s, hs) ||
	    !get_sketch(l, where, sv, "clients_sketch", &s->clients) ||
	    !get_sketch(l, where, sv, "clients_total_sketch", &s->clients_total) ||
	    !restore_rejections(l, where, sv, s, tls))
		return false;
	for (size_t i = 0; i < json_array_size(chains); i++) {
		char w[256];

		path_at(w, sizeof(w), where, "chains", (long)i);
		if (!restore_chain(l, w, s, json_array_get(chains, i), hs, &sum))
			return false;
	}
	return true;
}

/* ---- counters (cs_counters.h) -------------------------------------------------- */

/* One member of a counter group: a row of the table (into *file), or a
 * counter of a newer sensor (to on_counter). */
static bool read_counter(struct ld *l, const char *group, const char *key, size_t klen,
			 const json_t *v, struct ctr_values *file, bool *seen)
{
	size_t id = counter_find(group, key, klen);

	if (!json_is_integer(v))
		return bad(l, group, key, "not a counter");
	if (json_integer_value(v) < 0)
		return bad(l, group, key, "%lld is out of range 0..%lld",
			   (long long)json_integer_value(v), (long long)INT64_MAX);
	if (id != SIZE_MAX) {
		file->v[id] = (uint64_t)json_integer_value(v);
		seen[id] = true;
		return true;
	}
	if (l->o->on_counter &&
	    !l->o->on_counter(l->o->ctx, group, key, (uint64_t)json_integer_value(v)))
		return nomem(l);
	return true;
}

/* A group object (and the groups nested one level in it) into *file. */
static bool read_group(struct ld *l, const char *group, json_t *o, int depth,
		       struct ctr_values *file, bool *seen)
{
	const char *key;
	size_t klen;
	json_t *v;

	json_object_keylen_foreach(o, key, klen, v)
	{
		if (strlen(key) != klen)
			return bad(l, group, NULL, "a key holds a NUL");
		if (json_is_object(v) && depth == 0) {
			char nested[128];

			if (klen > 64)
				return bad(l, group, key, "not a counter group");
			snprintf(nested, sizeof(nested), "%s.%s", group, key);
			if (!read_group(l, nested, v, 1, file, seen))
				return false;
		} else if (!read_counter(l, group, key, klen, v, file, seen)) {
			return false;
		}
	}
	return true;
}

static uint64_t file_value(const struct ctr_values *f, const char *group, const char *key)
{
	size_t id = counter_find(group, key, strlen(key));

	return id == SIZE_MAX ? 0 : f->v[id];
}

/* The documented identities of a report's totals (docs/report-format.md). */
static bool check_totals(struct ld *l, const struct ctr_values *f)
{
	static const char *const outcomes[] = {"handshakes_with_chain", "tls13", "resumed",
					       "incomplete", "no_certificate"};
	uint64_t sum = 0, reasons = 0;
	size_t n = counters_count();

	for (size_t i = 0; i < CS_ARRAY_LEN(outcomes); i++)
		if (__builtin_add_overflow(sum, file_value(f, "totals", outcomes[i]), &sum))
			return bad(l, "totals", "tls_handshakes", "counter overflow");
	if (sum != file_value(f, "totals", "tls_handshakes"))
		return bad(
			l, "totals", "tls_handshakes",
			"is not handshakes_with_chain + tls13 + resumed + incomplete + no_certificate");
	for (size_t id = 0; id < n; id++)
		if (!strcmp(counter_group(id), "incomplete_reasons") &&
		    __builtin_add_overflow(reasons, f->v[id], &reasons))
			return bad(l, "", "incomplete_reasons", "counter overflow");
	if (reasons != file_value(f, "totals", "incomplete"))
		return bad(l, "", "incomplete_reasons", "do not add up to totals.incomplete");
	/* a window counts what was counted since the previous report: a verdict
	 * may come after the handshake's chain was counted */
	if (!l->o->window && file_value(f, "totals", "broken_handshakes") >
				     file_value(f, "totals", "handshakes_with_chain"))
		return bad(l, "totals", "broken_handshakes", "more than handshakes_with_chain");
	if (file_value(f, "totals", "ok_at_capture_time") >
	    file_value(f, "totals", "broken_handshakes"))
		return bad(l, "totals", "ok_at_capture_time", "more than broken_handshakes");
	return true;
}

/* The counter groups of doc into engine_carried: every group for a merge,
 * what a restart carries over for --state. */
static bool restore_counters(struct ld *l, const json_t *doc)
{
	struct ctr_values file, *carried = engine_carried(l->e);
	bool seen[CTR_MAX] = {false};
	size_t n = counters_count();
	const char *g;

	memset(&file, 0, sizeof(file));
	for (size_t i = 0; (g = counter_top_group(i)); i++) {
		json_t *o = json_object_get(doc, g);

		/* totals and incomplete_reasons are in every report; the others
		 * may be missing (no judge, an older version) */
		if (!o && strcmp(g, "totals") && strcmp(g, "incomplete_reasons"))
			continue;
		if (!(o = get_obj(l, "", doc, g)) || !read_group(l, g, o, 0, &file, seen))
			return false;
	}
	if (!check_totals(l, &file))
		return false;
	for (size_t id = 0; id < n; id++) {
		if (!seen[id] || counter_kind(id) == CTR_DERIVED ||
		    (!l->o->all_counters && !counter_restored(id)))
			continue;
		if (counter_kind(id) == CTR_MAX_OF) {
			if (file.v[id] > carried->v[id])
				carried->v[id] = file.v[id];
		} else if (!add(l, counter_group(id), counter_key(id), &carried->v[id],
				file.v[id])) {
			return false;
		}
	}
	return true;
}

static bool restore_time(struct ld *l, const json_t *doc)
{
	int64_t first, last;
	bool have_first, have_last;

	if (!get_time(l, "", doc, "first_seen", true, &have_first, &first) ||
	    !get_time(l, "", doc, "last_seen", true, &have_last, &last))
		return false;
	if (have_first != have_last || first > last)
		return bad(l, "", "last_seen", "does not go with first_seen");
	if (have_first)
		engine_restore_time(l->e, first, last);
	return true;
}

/* ---- the document ------------------------------------------------------------------ */

enum cs_status state_apply(struct engine *e, json_t *doc, struct state_apply_opts *o, char *err,
			   size_t errlen)
{
	struct ld l = {e, o, err, errlen, CS_OK};
	json_t *servers;
	uint64_t v;

	if (!json_is_object(doc)) {
		bad(&l, "", NULL, "not a JSON object");
		return CS_BAD;
	}
	if (!get_u64(&l, "", doc, "report_version", INT64_MAX, &v))
		return l.st;
	if (v != CS_STATE_REPORT_VERSION) {
		bad(&l, "", "report_version", "%" PRIu64 ", but this chainsniff reads version %d",
		    v, CS_STATE_REPORT_VERSION);
		return l.st;
	}
	if (!(servers = get_arr(&l, "", doc, "servers", SIZE_MAX)))
		return l.st;
	if (!restore_counters(&l, doc) || !restore_time(&l, doc))
		return l.st;
	for (size_t i = 0; i < json_array_size(servers); i++)
		if (!restore_server(&l, i, json_array_get(servers, i)))
			return l.st;
	return CS_OK;
}

const char *state_key_id(const json_t *doc)
{
	const json_t *v = json_object_get(doc, "client_key_id");

	if (!v)
		return CS_CLIENT_KEY_LEGACY;
	if (!json_is_string(v) || !clientkey_id_valid(json_string_value(v), json_string_length(v)))
		return NULL;
	return json_string_value(v);
}

bool state_holds_client_hashes(const json_t *doc)
{
	const json_t *servers = json_object_get(doc, "servers"), *sv;
	size_t i;

	json_array_foreach(servers, i,
			   sv) if (json_object_get(sv, "clients_sketch") ||
				   json_object_get(sv, "clients_total_sketch")) return true;
	return false;
}

/* The state's client hashes were made with this run's key (cs_clientkey.h);
 * a document without any (no server, or a plain report that state_apply
 * refuses for it) mixes nothing. */
static bool key_matches(const json_t *doc, const char *path, char *err, size_t errlen)
{
	const char *id = state_key_id(doc), *mine = clientset_key_id();

	if (id && !state_holds_client_hashes(doc))
		return true;
	if (!id)
		snprintf(err, errlen, "%s: client_key_id: not a client key id", path);
	else if (!strcmp(id, CS_CLIENT_KEY_LEGACY))
		snprintf(
			err, errlen,
			"%s: written by an earlier chainsniff with the fixed client key (no "
			"client_key_id): its client hashes cannot be counted with this run's key "
			"%s; move it aside to start a new state (docs/operations.md, \"Client key\")",
			path, mine);
	else if (strcmp(id, mine))
		snprintf(err, errlen,
			 "%s: client_key_id %s, but this run's client key is %s: use the key file "
			 "the state was written with (--client-key), or move the state aside",
			 path, id, mine);
	return id && !strcmp(id, mine);
}

enum cs_status state_load(struct engine *e, const char *path, char *err, size_t errlen)
{
	struct state_apply_opts o = {0};
	char msg[320];
	bool missing;
	json_t *doc = state_read_json(path, &missing, err, errlen);
	enum cs_status st;

	if (!doc)
		return missing ? CS_EOF : CS_BAD;
	if (json_object_get(doc, "sensors") || json_object_get(doc, "window")) {
		snprintf(err, errlen, "%s: %s, not the state of one sensor", path,
			 json_object_get(doc, "sensors") ? "a merged report" : "a periodic report");
		json_decref(doc);
		return CS_BAD;
	}
	if (!key_matches(doc, path, err, errlen)) {
		json_decref(doc);
		return CS_BAD;
	}
	st = state_apply(e, doc, &o, msg, sizeof(msg));
	if (st != CS_OK)
		snprintf(err, errlen, "%s: %s", path, msg);
	json_decref(doc);
	return st;
}
