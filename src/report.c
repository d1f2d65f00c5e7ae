/*
 * report.c - the renderers of reports (cs_report.h): JSON and CSV of a
 * report view (cs_view.h), whoever filled it, and what every renderer
 * shares (report_int.h: statuses, the main problem, the words of a
 * problem); the text is report_text.c's.  Owns no state.
 * JSON field names are a contract (docs/report-format.md): add, never
 * rename.  Wire strings are written only through esc_json/esc_term/esc_csv.
 * Problems are worded here, from their typed records, by the catalogue
 * (problems.c): nothing is analysed.
 */
#include "cs_report.h"
#include "report_int.h"
#include "cs_addr.h"
#include "cs_codec.h"
#include "cs_escape.h"
#include "cs_evidence.h"
#include "cs_jsonw.h"
#include "cs_timefmt.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- shared ---------------------------------------------------------------------- */

uint64_t report_counter(const struct ctr_values *c, const char *group, const char *key)
{
	size_t id = counter_find(group, key, strlen(key));

	return id == SIZE_MAX ? 0 : c->v[id];
}

/* The message and the fix of a problem: as read, or worded by the catalogue. */
void report_words(const struct agg_server *s, const struct agg_chain *ac,
		  const struct view_problem *vp, const struct view_chain *vc, char *msg,
		  size_t mlen, char *fix, size_t flen)
{
	struct problem_ctx c = {
		.chain = ac->chain,
		.sni = s->has_sni ? s->sni : NULL,
		.sni_len = s->sni_len,
		.leaf_names = vc->leaf_names,
		.evidence = vc->evidence,
		.warn_days = vp->warn_days,
		.then = vc->then,
	};

	if (vp->message) {
		snprintf(msg, mlen, "%s", vp->message);
		snprintf(fix, flen, "%s", vp->fix ? vp->fix : "");
	} else if (vp->earlier) {
		problem_earlier(msg, mlen, fix, flen);
	} else {
		problem_message(&vp->p, &c, msg, mlen);
		problem_fix(&vp->p, &c, fix, flen);
	}
}

const char *report_chain_status(const struct agg_chain *ac)
{
	return ac->broken_handshakes                       ? "broken"
	       : ac->unjudged_handshakes == ac->handshakes ? "unknown"
							   : "ok";
}

const char *report_server_status(const struct agg_server *s)
{
	return s->broken_handshakes                     ? "broken"
	       : s->handshakes > s->unjudged_handshakes ? "ok"
							: "unknown";
}

const char *report_sni_status(const struct agg_server *s)
{
	if (s->has_sni)
		return "sent";
	if (s->sni_not_sent && s->sni_not_captured)
		return "mixed";
	return s->sni_not_sent ? "not_sent" : "not_captured";
}

const char *report_unknown_reason(uint8_t r) { return diag_unknown_name(r); }

const char *report_count_of(uint64_t n, const char *one, const char *many, char *buf, size_t len)
{
	char num[32];

	snprintf(buf, len, "%s %s", fmt_count(n, num, sizeof(num)), n == 1 ? one : many);
	return buf;
}

void report_time_span(int64_t first, int64_t last, char *buf, size_t len)
{
	char a[CS_TIME_STRLEN], b[CS_TIME_STRLEN];

	fmt_time_s(first / CS_NS_PER_SEC, a, sizeof(a));
	fmt_time_s(last / CS_NS_PER_SEC, b, sizeof(b));
	a[10] = b[10] = ' ', a[19] = b[19] = '\0';
	snprintf(buf, len, "%s → %s UTC", a, strncmp(a, b, 10) ? b : b + 11);
}

/* Distinct clients sent a broken chain, over every broken server (a client
 * of two servers counts once). */
uint64_t report_broken_clients(const struct report_view *v)
{
	struct clientset all;
	uint64_t n;

	clientset_init(&all);
	for (size_t i = 0; i < v->nservers; i++)
		if (v->servers[i]->broken_handshakes)
			clientset_merge(&all, &v->servers[i]->clients);
	n = clientset_count(&all);
	clientset_fini(&all);
	return n;
}

size_t report_server_codes(const struct report_view *v, const struct agg_server *s,
			   struct view_problem *out, size_t max)
{
	struct view_problem probs[CS_DIAG_MAX_PROBLEMS];
	struct view_chain vc;
	size_t n = 0;

	for (uint32_t k = 0; k < s->nchains; k++) {
		size_t np = v->problems(v, s, &s->chains[k], probs, CS_DIAG_MAX_PROBLEMS, &vc);

		for (size_t j = 0; j < np && n < max; j++) {
			bool seen = false;

			for (size_t i = 0; i < n && !seen; i++)
				seen = !strcmp(out[i].code, probs[j].code);
			if (!seen)
				out[n++] = probs[j];
		}
	}
	return n;
}

/* The most important problem of a server: the first error, else the first
 * warning, in chain order; *where is its chain. */
bool report_main_problem(const struct report_view *v, const struct agg_server *s,
			 struct view_problem *out, struct view_chain *vc,
			 const struct agg_chain **where)
{
	struct view_problem probs[CS_DIAG_MAX_PROBLEMS];
	struct view_chain c;
	bool found = false;

	for (uint32_t k = 0; k < s->nchains; k++) {
		size_t np = v->problems(v, s, &s->chains[k], probs, CS_DIAG_MAX_PROBLEMS, &c);

		for (size_t i = 0; i < np; i++)
			if (!found || (probs[i].p.severity == CS_SEV_ERROR &&
				       out->p.severity != CS_SEV_ERROR)) {
				*out = probs[i];
				*vc = c;
				*where = &s->chains[k];
				found = true;
			}
	}
	return found;
}

/* ---- JSON -------------------------------------------------------------------------- */

static int u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* The set itself, so that reports merge: exact hashes (sorted: a set, in
 * the same order however it was filled) or HLL registers. */
static void json_sketch(struct jw *w, const char *k, const struct clientset *cs)
{
	jw_open(w, k, '{');
	if (clientset_exact(cs)) {
		uint64_t h[CS_CLIENTSET_EXACT];
		uint32_t n = cs->n < CS_CLIENTSET_EXACT ? cs->n : CS_CLIENTSET_EXACT;

		for (uint32_t i = 0; i < n; i++)
			h[i] = clientset_hash(cs, i);
		qsort(h, n, sizeof(h[0]), u64_cmp);
		jw_open(w, "exact", '[');
		for (uint32_t i = 0; i < n; i++) {
			char hex[17];

			snprintf(hex, sizeof(hex), "%016" PRIx64, h[i]);
			jw_str(w, NULL, hex);
		}
		jw_close(w, ']');
	} else {
		jw_u64(w, "hll_p", CS_HLL_P);
		jw_b64(w, "registers", cs->regs, CS_HLL_REGISTERS);
	}
	jw_close(w, '}');
}

static void json_input(struct jw *w, const struct engine_input *in)
{
	static const char *const status[] = {"ok", "truncated", "damaged", "error"};

	jw_open(w, NULL, '{');
	jw_str(w, "name", in->name);
	jw_str(w, "kind", in->live ? "interface" : "file");
	jw_str(w, "format", in->format);
	jw_u64(w, "packets", in->packets);
	jw_u64(w, "bytes", in->bytes);
	jw_open(w, "link_types", '[');
	for (unsigned i = 0; i < in->nlinktypes; i++) {
		const char *name = decode_linktype_name(in->linktypes[i]);
		char num[32];

		snprintf(num, sizeof(num), "LINKTYPE_%d", in->linktypes[i]);
		jw_str(w, NULL, name ? name : num);
	}
	jw_close(w, ']');
	jw_str(w, "status", status[in->status]);
	jw_open(w, "errors", '[');
	for (unsigned i = 0; i < in->nerrors; i++)
		jw_str(w, NULL, in->errors[i]);
	jw_close(w, ']');
	jw_u64(w, "filtered", in->filtered);
	if (in->have_drops) {
		jw_open(w, "drops", '{');
		jw_u64(w, "received", in->received);
		jw_u64(w, "dropped", in->dropped);
		jw_u64(w, "if_dropped", in->if_dropped);
		jw_close(w, '}');
	}
	jw_close(w, '}');
}

static void json_extra(struct jw *w, const struct report_view *v, const char *group)
{
	for (size_t i = 0; i < v->nextra; i++)
		if (!strcmp(v->extra[i].group, group))
			jw_u64(w, v->extra[i].key, v->extra[i].v);
}

/* Whether group g is top or nested in it ("totals.starttls" in "totals"). */
static bool in_group(const char *g, const char *top)
{
	size_t n = strlen(top);

	return !strncmp(g, top, n) && (g[n] == '\0' || g[n] == '.');
}

/* One counter group, the table's rows in order, nested groups where their
 * rows sit, then the counters of newer sensors (merge) at the end of each. */
static void json_group(struct jw *w, const struct report_view *v, const struct ctr_values *c,
		       const char *top)
{
	const char *open = NULL;
	size_t n = counters_count();

	jw_open(w, top, '{');
	for (size_t id = 0; id < n; id++) {
		const char *g = counter_group(id);

		if (!in_group(g, top) || (counter_judged(id) && !v->have_trust))
			continue;
		if (open && strcmp(open, g)) {
			json_extra(w, v, open);
			jw_close(w, '}');
			open = NULL;
		}
		if (strcmp(g, top) && !open) {
			open = g;
			jw_open(w, g + strlen(top) + 1, '{');
		}
		jw_u64(w, counter_key(id), c->v[id]);
	}
	if (open) {
		json_extra(w, v, open);
		jw_close(w, '}');
	}
	json_extra(w, v, top);
	for (size_t i = 0; i < v->nextra; i++) { /* nested groups this chainsniff lacks */
		const char *g = v->extra[i].group;

		if (!in_group(g, top) || !strcmp(g, top) || counter_group_known(g) ||
		    (i > 0 && !strcmp(v->extra[i - 1].group, g)))
			continue;
		jw_open(w, g + strlen(top) + 1, '{');
		json_extra(w, v, g);
		jw_close(w, '}');
	}
	jw_close(w, '}');
}

static void json_store(struct jw *w, const char *k, const struct view_store *st, bool earlier)
{
	jw_open(w, k, '{');
	jw_str(w, "name", st->name);
	jw_str(w, "sha256", st->sha256);
	if (st->sha256)
		jw_u64(w, "anchors", st->anchors);
	else
		jw_null(w, "anchors");
	if (earlier)
		jw_time(w, "replaced_at", st->replaced_at);
}

/* A day, "2020-12-11" (s in seconds). */
static void json_day(struct jw *w, const char *k, int64_t s)
{
	char t[CS_TIME_STRLEN];

	fmt_time_s(s, t, sizeof(t));
	t[10] = '\0';
	jw_str(w, k, t);
}

/* --trust-at: which store judged, and the root-store timeline (its name
 * and source come from a file a user may replace: written as wire text). */
static void json_trust_at(struct jw *w, const struct view_trust_at *t)
{
	jw_str(w, "mode", t->mode);
	jw_str(w, "date", t->date);
	if (!t->have_timeline) {
		jw_null(w, "timeline");
		return;
	}
	jw_open(w, "timeline", '{');
	jw_wire(w, "name", t->tl_name, strlen(t->tl_name));
	jw_wire(w, "source", t->tl_source, strlen(t->tl_source));
	jw_str(w, "sha256", t->tl_sha256);
	jw_str(w, "start", t->tl_start);
	jw_str(w, "end", t->tl_end);
	jw_close(w, '}');
}

static void json_trust(struct jw *w, const struct report_view *v, const struct ctr_values *c)
{
	if (!v->have_trust)
		return;
	json_store(w, "trust_store", &v->trust, false);
	jw_open(w, "earlier", '[');
	for (size_t i = 0; i < v->nearlier; i++) {
		json_store(w, NULL, &v->earlier[i], true);
		jw_close(w, '}');
	}
	jw_close(w, ']');
	json_trust_at(w, &v->trust_at);
	jw_close(w, '}');
	json_group(w, v, c, "diagnosis");
	jw_open(w, "validation", '{');
	if (v->have_at)
		jw_time(w, "at", v->at * CS_NS_PER_SEC);
	else
		jw_null(w, "at");
	if (v->warn_days_null)
		jw_null(w, "warn_days");
	else
		jw_u64(w, "warn_days", (uint64_t)v->warn_days);
	jw_close(w, '}');
}

static void json_time_or_null(struct jw *w, const char *k, bool have, int64_t ns)
{
	if (have)
		jw_time(w, k, ns);
	else
		jw_null(w, k);
}

static void json_cert(struct jw *w, struct cs_cert *cert, bool state)
{
	const struct cs_cert_facts *ci = cert_facts(cert);
	char hex[2 * CS_SHA256_LEN + 1];

	jw_open(w, NULL, '{');
	hex_lower(cert->sha256, CS_SHA256_LEN, hex);
	jw_cert_facts(w, ci);
	jw_str(w, "sha256", hex);
	jw_bool(w, "parsed", ci->parsed);
	if (state && cert->der)
		jw_b64(w, "der", cert->der, cert->der_len);
	jw_close(w, '}');
}

static void json_int(struct jw *w, const char *k, long long v)
{
	char b[32];

	snprintf(b, sizeof(b), "%lld", v);
	jw_raw(w, k, b);
}

/* The record's typed parameters, from which a merge words it again. */
static void json_params(struct jw *w, const struct view_problem *vp, const struct view_chain *vc)
{
	const struct diag_problem *p = &vp->p;
	const char *role = problem_role_name((enum cs_role)p->role);
	char t[CS_TIME_STRLEN];

	jw_open(w, "params", '{');
	jw_u64(w, "variant", p->variant);
	jw_str(w, "role", role[0] ? role : NULL);
	json_int(w, "num", p->num);
	json_int(w, "count", p->count);
	if (p->date) {
		fmt_time_s(p->date, t, sizeof(t));
		jw_str(w, "date", t);
	} else {
		jw_null(w, "date");
	}
	jw_open(w, "order", '[');
	for (unsigned i = 0; i < p->norder && i < CS_PROBLEM_MAX_ORDER; i++)
		jw_u64(w, NULL, p->order[i]);
	jw_close(w, ']');
	jw_wire(w, "name", p->name, strlen(p->name));
	jw_wire(w, "text", p->text, strlen(p->text));
	if (p->code == CS_P_HOSTNAME_MISMATCH)
		jw_wire(w, "names", vc->leaf_names, strlen(vc->leaf_names));
	if (p->code == CS_P_EXPIRING_SOON)
		json_int(w, "days", vp->warn_days);
	jw_bool(w, "earlier", vp->earlier);
	jw_close(w, '}');
}

static void json_evidence(struct jw *w, const struct diag_problem *p,
			  const struct diag_evidence_rec *ev)
{
	char hex[2 * CS_SHA256_LEN + 1];

	jw_str(w, "issuer_evidence", evidence_name(ev ? ev->kind : DIAG_EV_NONE));
	if (ev && ev->have_cert) {
		hex_lower(ev->sha256, CS_SHA256_LEN, hex);
		jw_open(w, "evidence", '{');
		jw_str(w, "sha256", hex);
		jw_wire(w, "source", ev->source, strnlen(ev->source, sizeof(ev->source)));
		jw_bool(w, "completes", ev->completes);
		jw_close(w, '}');
	} else {
		jw_null(w, "evidence");
	}
	if (p->text[0])
		jw_wire(w, "aia_url", p->text, strlen(p->text));
	else
		jw_null(w, "aia_url");
}

/* ok_at_capture_time: the root that made the chain valid on its day, the
 * evidence of a problem the store decides (strings from the timeline file,
 * which a user may replace: written as wire text). */
static void json_root_then(struct jw *w, const struct diag_root_then *t)
{
	char hex[2 * CS_SHA256_LEN + 1];

	jw_open(w, "root_then", '{');
	json_day(w, "store_day", t->store_day);
	jw_wire(w, "label", t->label, strlen(t->label));
	jw_wire(w, "subject", t->subject, strlen(t->subject));
	hex_lower(t->spki_sha256, CS_SHA256_LEN, hex);
	jw_str(w, "spki_sha256", hex);
	hex_lower(t->cert_sha256, CS_SHA256_LEN, hex);
	jw_str(w, "cert_sha256", hex);
	json_day(w, "left", t->left_at);
	jw_wire(w, "left_release", t->left_release, strlen(t->left_release));
	if (t->has_distrust_after) {
		json_day(w, "distrust_after", t->distrust_after);
		json_day(w, "distrust_since", t->distrust_since);
	} else {
		jw_null(w, "distrust_after");
		jw_null(w, "distrust_since");
	}
	jw_close(w, '}');
}

static void json_problem(struct jw *w, const struct agg_server *s, const struct agg_chain *ac,
			 const struct view_problem *vp, const struct view_chain *vc,
			 bool with_chain)
{
	const struct diag_problem *p = &vp->p;
	char hex[2 * CS_SHA256_LEN + 1], msg[REPORT_MSG_LEN], fix[REPORT_FIX_LEN];

	report_words(s, ac, vp, vc, msg, sizeof(msg), fix, sizeof(fix));
	jw_open(w, NULL, '{');
	jw_str(w, "code", vp->code);
	jw_str(w, "severity", severity_name(p->severity));
	if (p->cert_index >= 0)
		jw_u64(w, "cert_index", (uint64_t)p->cert_index);
	else
		jw_null(w, "cert_index");
	if (p->subject[0])
		jw_wire(w, "subject", p->subject, strlen(p->subject));
	else
		jw_null(w, "subject");
	jw_wire(w, "message", msg, strlen(msg));
	jw_wire(w, "fix", fix, strlen(fix));
	if (p->code == CS_P_MISSING_INTERMEDIATE)
		json_evidence(w, p, vp->earlier ? NULL : vc->evidence);
	if (p->code != CS_P_MAX && !vp->message)
		json_params(w, vp, vc);
	if (!vp->earlier && vc->then && p->code != CS_P_MAX && problem_store_dependent(p))
		json_root_then(w, vc->then);
	if (with_chain) {
		hex_lower(ac->chain->sha256, CS_SHA256_LEN, hex);
		jw_str(w, "chain", hex);
	}
	jw_close(w, '}');
}

static void json_chain(struct jw *w, const struct report_view *v, const struct agg_server *s,
		       const struct agg_chain *ac, bool state)
{
	char hex[2 * CS_SHA256_LEN + 1];
	const struct engine_input *in = engine_input(v->names, ac->first_input);
	struct view_problem probs[CS_DIAG_MAX_PROBLEMS];
	struct view_chain vc;
	size_t np = v->problems(v, s, ac, probs, CS_DIAG_MAX_PROBLEMS, &vc);
	const char *st = report_chain_status(ac);

	jw_open(w, NULL, '{');
	hex_lower(ac->chain->sha256, CS_SHA256_LEN, hex);
	jw_str(w, "sha256", hex);
	jw_u64(w, "handshakes", ac->handshakes);
	jw_u64(w, "broken_handshakes", ac->broken_handshakes);
	jw_u64(w, "broken_then_handshakes", agg_chain_broken_then(ac));
	jw_bool(w, "ok_at_capture_time", ac->broken_handshakes && !agg_chain_broken_then(ac));
	jw_u64(w, "unjudged_handshakes", ac->unjudged_handshakes);
	jw_str(w, "status", st);
	jw_str(w, "unknown_reason",
	       strcmp(st, "unknown") ? NULL : report_unknown_reason(vc.unknown_reason));
	jw_time(w, "last_seen", ac->last_ts);
	if (state && ac->key_usage_suite) /* key_usage_mismatch judged again on restore */
		jw_u64(w, "key_usage_suite", ac->key_usage_suite);
	jw_open(w, "problems", '[');
	for (size_t i = 0; i < np; i++)
		json_problem(w, s, ac, &probs[i], &vc, false);
	jw_close(w, ']');
	jw_open(w, "first_seen", '{');
	jw_str(w, "input", in->name);
	if (in->live)
		jw_null(w, "frame");
	else
		jw_u64(w, "frame", ac->first_frame);
	jw_time(w, "time", ac->first_ts);
	jw_close(w, '}');
	jw_open(w, "certs", '[');
	for (size_t i = 0; i < ac->chain->n_certs; i++)
		json_cert(w, ac->chain->certs[i], state);
	jw_close(w, ']');
	jw_close(w, '}');
}

static void json_rejections(struct jw *w, const struct agg_server *s)
{
	jw_open(w, "client_rejections", '[');
	for (uint32_t i = 0; i < s->nrejections; i++) {
		const struct agg_rejection *r = &s->rejections[i];

		jw_open(w, NULL, '{');
		jw_str(w, "alert", tls_alert_name(r->alert));
		jw_u64(w, "alert_code", r->alert);
		jw_u64(w, "handshakes", r->handshakes);
		jw_u64(w, "clients", clientset_count(&r->clients));
		json_sketch(w, "clients_sketch", &r->clients);
		jw_open(w, "fingerprints", '[');
		for (uint32_t k = 0; k < r->nfp; k++) {
			jw_open(w, NULL, '{');
			jw_str(w, "ja3", r->fp[k].ja3);
			jw_str(w, "ja4", r->fp[k].ja4);
			jw_u64(w, "handshakes", r->fp[k].handshakes);
			jw_close(w, '}');
		}
		jw_close(w, ']');
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

/* server_ip, server_port, sni (and sni_b64 where it is not UTF-8, so that
 * a merge gets the exact bytes back): what identifies a server entry */
static void json_server_id(struct jw *w, const struct cs_addr *ip, uint16_t port, bool has_sni,
			   const char *sni, size_t sni_len)
{
	char buf[64];

	jw_str(w, "server_ip", cs_addr_str(ip, buf, sizeof(buf)));
	jw_u64(w, "server_port", port);
	if (has_sni)
		jw_wire(w, "sni", sni, sni_len);
	else
		jw_null(w, "sni");
	if (has_sni && !esc_utf8_valid(sni, sni_len))
		jw_b64(w, "sni_b64", (const uint8_t *)sni, sni_len);
}

static void json_server_problems(struct jw *w, const struct report_view *v,
				 const struct agg_server *s)
{
	struct view_problem probs[CS_DIAG_MAX_PROBLEMS];
	struct view_chain vc;

	jw_open(w, "problems", '[');
	for (uint32_t k = 0; k < s->nchains; k++) {
		size_t np = v->problems(v, s, &s->chains[k], probs, CS_DIAG_MAX_PROBLEMS, &vc);

		for (size_t i = 0; i < np; i++)
			json_problem(w, s, &s->chains[k], &probs[i], &vc, true);
	}
	jw_close(w, ']');
}

/* A broken server's handshakes found again: tcpdump's and tshark's filters. */
static void json_evidence_filter(struct jw *w, const struct agg_server *s)
{
	char bpf[CS_EVIDENCE_FILTER_LEN], tshark[CS_EVIDENCE_FILTER_LEN];

	if (!s->broken_handshakes) {
		jw_null(w, "evidence_filter");
		return;
	}
	evidence_filters(&s->ip, s->port, s->has_sni ? s->sni : NULL, s->sni_len, bpf, sizeof(bpf),
			 tshark, sizeof(tshark));
	jw_open(w, "evidence_filter", '{');
	jw_str(w, "bpf", bpf);
	jw_str(w, "tshark", tshark);
	jw_close(w, '}');
}

static void json_server(struct jw *w, const struct report_view *v, const struct agg_server *s,
			bool state)
{
	static const char *const vnames[AGG_VERSIONS] = {"SSL3.0", "TLS1.0", "TLS1.1", "TLS1.2"};

	jw_open(w, NULL, '{');
	json_server_id(w, &s->ip, s->port, s->has_sni, s->sni, s->sni_len);
	jw_str(w, "sni_status", report_sni_status(s));
	jw_str(w, "status", report_server_status(s));
	jw_u64(w, "tls_handshakes", s->tls_handshakes);
	jw_u64(w, "handshakes", s->handshakes);
	jw_u64(w, "broken_handshakes", s->broken_handshakes);
	jw_u64(w, "broken_then_handshakes", agg_server_broken_then(s));
	jw_bool(w, "ok_at_capture_time", s->broken_handshakes && !agg_server_broken_then(s));
	jw_u64(w, "unjudged_handshakes", s->unjudged_handshakes);
	jw_u64(w, "clients", clientset_count(&s->clients));
	jw_u64(w, "clients_total", clientset_count(&s->clients_total));
	json_sketch(w, "clients_sketch", &s->clients);
	json_sketch(w, "clients_total_sketch", &s->clients_total);
	jw_u64(w, "sni_not_sent", s->sni_not_sent);
	jw_u64(w, "sni_not_captured", s->sni_not_captured);
	jw_bool(w, "rejected_but_judged_ok", agg_rejected_but_judged_ok(s));
	jw_time(w, "first_seen", s->first_seen);
	jw_time(w, "last_seen", s->last_seen);
	jw_open(w, "tls_versions", '{');
	for (int i = 0; i < AGG_VERSIONS; i++)
		if (s->versions[i])
			jw_u64(w, vnames[i], s->versions[i]);
	jw_close(w, '}');
	json_server_problems(w, v, s);
	json_rejections(w, s);
	json_evidence_filter(w, s);
	jw_open(w, "chains", '[');
	for (uint32_t i = 0; i < s->nchains; i++)
		json_chain(w, v, s, &s->chains[i], state);
	jw_close(w, ']');
	jw_close(w, '}');
}

static void json_keys(struct jw *w, const char *k, const struct view_key *keys, size_t n)
{
	jw_open(w, k, '[');
	for (size_t i = 0; i < n; i++) {
		jw_open(w, NULL, '{');
		json_server_id(w, &keys[i].ip, keys[i].port, keys[i].has_sni, keys[i].sni,
			       keys[i].sni_len);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

/* Every counter group of the table in its order, but "diagnosis", which
 * is written beside the trust store (a new group is a new row there). */
static void json_counter_groups(struct jw *w, const struct report_view *v)
{
	const char *g;

	for (size_t i = 0; (g = counter_top_group(i)); i++)
		if (strcmp(g, "diagnosis"))
			json_group(w, v, &v->counters, g);
}

static void json_servers(struct jw *w, const struct report_view *v, bool state)
{
	jw_open(w, "servers", '[');
	for (size_t i = 0; i < v->nservers; i++)
		json_server(w, v, v->servers[i], state);
	jw_close(w, ']');
}

/* A periodic report's window: its own report (counters and servers since
 * the previous one), mergeable as a report of its own; or a merged
 * report's comparison of its last window with its first. */
static void json_window(struct jw *w, const struct report_view *v, bool state)
{
	const struct view_window *win = v->window;
	const struct report_view *own = win->own;

	jw_open(w, "window", '{');
	jw_str(w, "kind", win->kind);
	jw_time(w, "start", win->start);
	jw_time(w, "end", win->end);
	if (own) {
		jw_u64(w, "seq", win->seq);
		json_time_or_null(w, "first_seen", own->have_time, own->first);
		json_time_or_null(w, "last_seen", own->have_time, own->last);
		jw_u64(w, "late_handshakes", win->late_handshakes);
	}
	json_keys(w, "became_broken", win->became_broken, win->n_broken);
	json_keys(w, "fixed", win->fixed, win->n_fixed);
	if (own) {
		json_counter_groups(w, own);
		if (own->have_trust)
			json_group(w, own, &own->counters, "diagnosis");
		json_servers(w, own, state);
	}
	jw_close(w, '}');
}

static void json_sensors(struct jw *w, const struct report_view *v)
{
	jw_open(w, "sensors", '[');
	for (size_t i = 0; i < v->nsensors; i++) {
		const struct view_sensor *s = &v->sensors[i];

		jw_open(w, NULL, '{');
		jw_str(w, "sensor", s->sensor);
		json_time_or_null(w, "first_seen", s->have, s->first);
		json_time_or_null(w, "last_seen", s->have, s->last);
		jw_str(w, "trust_store_sha256", s->trust_sha256);
		jw_str(w, "run_id", s->run_id);
		if (s->window)
			jw_u64(w, "window", s->window);
		else
			jw_null(w, "window");
		jw_close(w, '}');
	}
	jw_close(w, ']');
	if (!v->windows)
		return;
	jw_open(w, "windows", '[');
	for (size_t i = 0; i < v->nwindows; i++) {
		const struct view_series *s = &v->windows[i];

		jw_open(w, NULL, '{');
		jw_str(w, "sensor", s->sensor);
		jw_str(w, "kind", s->kind);
		jw_time(w, "start", s->start);
		jw_time(w, "end", s->end);
		jw_u64(w, "handshakes", s->handshakes);
		jw_u64(w, "broken_handshakes", s->broken_handshakes);
		jw_u64(w, "servers_broken", s->servers_broken);
		json_keys(w, "broken", s->broken, s->nbroken);
		jw_close(w, '}');
	}
	jw_close(w, ']');
}

void report_view_json(FILE *out, const struct report_view *v, bool state)
{
	struct jw w;

	jw_init(&w, out, false);
	jw_open(&w, NULL, '{');
	jw_u64(&w, "report_version", 1);
	jw_str(&w, "generator", "chainsniff " CS_VERSION);
	jw_str(&w, "sensor", v->sensor);
	/* which key made the client hashes below (cs_clientkey.h) */
	jw_str(&w, "client_key_id", v->client_key_id);
	if (v->run_id)
		jw_str(&w, "run_id", v->run_id);
	if (v->sensors)
		json_sensors(&w, v);
	if (v->window)
		json_window(&w, v, state);
	json_time_or_null(&w, "first_seen", v->have_time, v->first);
	json_time_or_null(&w, "last_seen", v->have_time, v->last);
	json_trust(&w, v, &v->counters);
	jw_open(&w, "inputs", '[');
	for (size_t i = 0; i < v->ninputs; i++)
		json_input(&w, &v->inputs[i]);
	jw_close(&w, ']');
	json_counter_groups(&w, v);
	json_servers(&w, v, state);
	jw_close(&w, '}');
	fputc('\n', out);
}

/* ---- CSV ----------------------------------------------------------------------------- */

static void csv_str(FILE *out, const char *s, size_t n, bool last)
{
	esc_csv(out, s, n);
	fputc(last ? '\n' : ',', out);
}

static void csv_u64(FILE *out, uint64_t v) { fprintf(out, "%" PRIu64 ",", v); }

/* The codes of every chain of s, each once, space-separated. */
static void csv_codes(const struct report_view *v, const struct agg_server *s, char *codes,
		      size_t len)
{
	struct view_problem probs[REPORT_MAX_CODES];
	size_t n = report_server_codes(v, s, probs, REPORT_MAX_CODES);

	codes[0] = '\0';
	for (size_t j = 0; j < n; j++) {
		size_t o = strlen(codes);

		snprintf(codes + o, len - o, "%s%s", o ? " " : "", probs[j].code);
	}
}

void report_view_csv(FILE *out, const struct report_view *v)
{
	fputs("rank,server_ip,server_port,sni,status,broken_handshakes,handshakes,tls_handshakes,"
	      "clients,clients_total,problems,client_rejections,first_seen,last_seen,fix,"
	      "broken_then_handshakes\n",
	      out);
	for (size_t i = 0; i < v->nservers; i++) {
		const struct agg_server *s = v->servers[i];
		struct view_problem mp;
		struct view_chain vc;
		const struct agg_chain *where;
		char ip[64], codes[1024], t[64], msg[REPORT_MSG_LEN], fix[REPORT_FIX_LEN] = "";
		uint64_t rejections = 0;

		csv_codes(v, s, codes, sizeof(codes));
		for (uint32_t k = 0; k < s->nrejections; k++)
			rejections += s->rejections[k].handshakes;
		csv_u64(out, i + 1);
		cs_addr_str(&s->ip, ip, sizeof(ip));
		csv_str(out, ip, strlen(ip), false);
		csv_u64(out, s->port);
		if (s->has_sni)
			csv_str(out, s->sni, s->sni_len, false);
		else
			fputc(',', out);
		csv_str(out, report_server_status(s), strlen(report_server_status(s)), false);
		csv_u64(out, s->broken_handshakes);
		csv_u64(out, s->handshakes);
		csv_u64(out, s->tls_handshakes);
		csv_u64(out, clientset_count(&s->clients));
		csv_u64(out, clientset_count(&s->clients_total));
		csv_str(out, codes, strlen(codes), false);
		csv_u64(out, rejections);
		fmt_time_ns(s->first_seen, t, sizeof(t));
		csv_str(out, t, strlen(t), false);
		fmt_time_ns(s->last_seen, t, sizeof(t));
		csv_str(out, t, strlen(t), false);
		if (s->broken_handshakes && report_main_problem(v, s, &mp, &vc, &where))
			report_words(s, where, &mp, &vc, msg, sizeof(msg), fix, sizeof(fix));
		csv_str(out, fix, strlen(fix), false);
		fprintf(out, "%" PRIu64 "\n", agg_server_broken_then(s));
	}
}

/* ---- an engine's cumulative report ------------------------------------------------------ */

void report_json(FILE *out, struct engine *e)
{
	struct engine_view ev;

	view_of_engine(&ev, e);
	report_view_json(out, &ev.v, false);
}

void report_json_state(FILE *out, struct engine *e)
{
	struct engine_view ev;

	view_of_engine(&ev, e);
	report_view_json(out, &ev.v, true);
}

void report_text(FILE *out, struct engine *e, const struct report_opts *ro)
{
	struct engine_view ev;

	view_of_engine(&ev, e);
	report_view_text(out, &ev.v, ro);
}

void report_csv(FILE *out, struct engine *e)
{
	struct engine_view ev;

	view_of_engine(&ev, e);
	report_view_csv(out, &ev.v);
}
