/*
 * report.c - JSON and text reports of one run (cs_report.h).
 * Reads the engine's counters, the aggregate and the chain store; owns no
 * state.  JSON field names are a contract (docs/report-format.md): add,
 * never rename.  Wire strings are written only through esc_json/esc_term.
 */
#include "cs_report.h"
#include "cs_jsonw.h"
#include "cs_addr.h"
#include "cs_codec.h"
#include "cs_defrag.h"
#include "cs_escape.h"
#include "cs_evidence.h"
#include "cs_judge.h"
#include "cs_notices.h"
#include "cs_timefmt.h"
#include "cs_timeline.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON ------------------------------------------------------------------- */

/* The set itself, so that reports merge: exact hashes or HLL registers. */
static void json_sketch(struct jw *w, const char *k, const struct clientset *cs)
{
	if (!w->state)
		return;
	jw_open(w, k, '{');
	if (clientset_exact(cs)) {
		jw_open(w, "exact", '[');
		for (uint32_t i = 0; i < cs->n; i++) {
			char hex[17];

			snprintf(hex, sizeof(hex), "%016" PRIx64, clientset_hash(cs, i));
			jw_str(w, NULL, hex);
		}
		jw_close(w, ']');
	} else {
		jw_u64(w, "hll_p", CS_HLL_P);
		jw_b64(w, "registers", cs->regs, CS_HLL_REGISTERS);
	}
	jw_close(w, '}');
}

/* A day: "2020-12-11". */
static void json_day(struct jw *w, const char *k, int64_t s)
{
	char t[CS_TIME_STRLEN];

	fmt_time_s(s, t, sizeof(t));
	t[10] = '\0';
	jw_str(w, k, t);
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

/* Servers with a broken handshake (then: one broken on its capture day). */
static uint64_t servers_broken_when(struct engine *e, bool then)
{
	const struct agg_server *const *sv;
	size_t n;
	uint64_t k = 0;

	sv = agg_sorted(engine_agg(e), &n);
	for (size_t i = 0; i < n; i++)
		k += (then ? agg_server_broken_then(sv[i]) : sv[i]->broken_handshakes) > 0;
	return k;
}

static uint64_t servers_broken(struct engine *e)
{
	return servers_broken_when(e, false);
}

static uint64_t servers_broken_then(struct engine *e)
{
	return servers_broken_when(e, true);
}

/* A store replaced by a SIGHUP reload: verdicts before then used it. */
static void json_earlier_store(struct jw *w, const struct judge_store *st, int64_t replaced_ns)
{
	jw_open(w, NULL, '{');
	jw_str(w, "name", st->name);
	jw_str(w, "sha256", st->sha256);
	jw_u64(w, "anchors", st->anchors);
	jw_time(w, "replaced_at", replaced_ns);
	jw_close(w, '}');
}

/* Counters that do not depend on the analysis thread's timing: a run's
 * report is the same every time. */
static void json_diagnosis(struct jw *w, const struct judge_stats *js, const struct engine_totals *t)
{
	jw_open(w, "diagnosis", '{');
	jw_u64(w, "analyses", js->analyses);
	jw_u64(w, "cache_hits", t->with_chain > js->analyses ? t->with_chain - js->analyses : 0);
	jw_u64(w, "signature_checks", js->diag.signature_checks);
	jw_u64(w, "signature_verifications", js->diag.signature_verifications);
	jw_u64(w, "verification_us", js->diag.verify_cost);
	jw_u64(w, "max_checks", js->max_checks);
	jw_u64(w, "max_cost_us", js->max_cost);
	jw_u64(w, "intermediates_pool", js->diag.pool_size);
	jw_open(w, "budget", '{');
	jw_u64(w, "analysis_budget", js->budget_exhausted);
	jw_u64(w, "deferred", js->deferred);
	jw_u64(w, "deferred_overflow", js->deferred_overflow);
	jw_u64(w, "parked_cap", t->parked_cap);
	jw_close(w, '}');
	jw_close(w, '}');
}

/* --trust-at: which store judged, and the root-store timeline. */
static void json_trust_at(struct jw *w, struct judge *j)
{
	const struct cs_timeline *tl = judge_timeline(j);
	int64_t date;
	int mode = judge_trust_at(j, &date);

	static const char *const modes[] = {
		[DIAG_TRUST_TODAY] = "today", [DIAG_TRUST_CAPTURE] = "capture", [DIAG_TRUST_DATE] = "date",
	};

	jw_str(w, "mode", modes[mode]);
	if (mode == DIAG_TRUST_DATE)
		json_day(w, "date", date);
	else
		jw_str(w, "date", mode == DIAG_TRUST_CAPTURE ? "capture" : NULL);
	jw_open(w, "timeline", '{');
	jw_wire(w, "name", timeline_name(tl), strlen(timeline_name(tl)));
	jw_wire(w, "source", timeline_source(tl), strlen(timeline_source(tl)));
	jw_str(w, "sha256", timeline_digest(tl));
	json_day(w, "start", timeline_start(tl));
	json_day(w, "end", timeline_end(tl));
	jw_close(w, '}');
}

static void json_trust(struct jw *w, struct engine *e)
{
	struct judge *j = engine_judge(e);
	struct judge_store stores[64];
	struct judge_stats js;
	size_t ns;
	int64_t at;

	if (!j)
		return;
	ns = judge_stores(j, stores, CS_ARRAY_LEN(stores));
	jw_open(w, "trust_store", '{');
	jw_str(w, "name", stores[ns - 1].name);
	jw_str(w, "sha256", stores[ns - 1].sha256);
	jw_u64(w, "anchors", stores[ns - 1].anchors);
	jw_open(w, "earlier", '[');
	for (size_t i = 0; i + 1 < ns; i++)
		json_earlier_store(w, &stores[i], stores[i + 1].loaded_ns);
	jw_close(w, ']');
	json_trust_at(w, j);
	jw_close(w, '}');
	judge_get_stats(j, &js);
	json_diagnosis(w, &js, engine_totals(e));
	jw_open(w, "validation", '{');
	if (engine_at(e, &at))
		jw_time(w, "at", at * CS_NS_PER_SEC);
	else
		jw_raw(w, "at", "null");
	jw_u64(w, "warn_days", (uint64_t)judge_warn_days(j));
	jw_close(w, '}');
}

static void json_totals(struct jw *w, struct engine *e, size_t nservers)
{
	const struct engine_totals *t = engine_totals(e);
	const struct tls_stats *ts = engine_tls_stats(e);

	jw_open(w, "totals", '{');
	jw_u64(w, "packets", t->packets);
	jw_u64(w, "bytes", t->bytes);
	jw_u64(w, "tcp_packets", t->tcp_packets);
	jw_u64(w, "tcp_flows", t->tcp_flows);
	jw_u64(w, "tls_handshakes", t->tls_handshakes);
	jw_u64(w, "handshakes_with_chain", t->with_chain);
	jw_u64(w, "tls13", t->tls13);
	jw_u64(w, "resumed", t->resumed);
	jw_u64(w, "incomplete", t->incomplete);
	jw_u64(w, "no_certificate", t->no_certificate);
	jw_u64(w, "client_certificates", t->client_certificates);
	jw_u64(w, "chains_unattributed", t->chains_unattributed);
	jw_u64(w, "chains_unparsed", t->chains_unparsed);
	jw_u64(w, "openvpn", t->openvpn);
	jw_u64(w, "sslv2_client_hellos", ts->sslv2_client_hellos);
	jw_open(w, "starttls", '{');
	for (int i = TLS_STARTTLS_SMTP; i < TLS_STARTTLS_MAX; i++)
		jw_u64(w, tls_starttls_name((enum tls_starttls)i), t->starttls[i]);
	jw_close(w, '}');
	jw_u64(w, "broken_handshakes", t->broken_handshakes);
	jw_u64(w, "broken_then", t->broken_handshakes - t->ok_at_capture_time);
	jw_u64(w, "ok_at_capture_time", t->ok_at_capture_time);
	jw_u64(w, "trust_at_fallback", t->store_fallback);
	jw_u64(w, "unjudged_handshakes", t->unjudged_handshakes);
	jw_u64(w, "servers_broken", servers_broken(e));
	jw_u64(w, "servers_broken_then", servers_broken_then(e));
	jw_u64(w, "client_rejections", t->client_rejections);
	jw_u64(w, "distinct_chains", agg_distinct_chains(engine_agg(e), chain_store_count(engine_chains(e))));
	jw_u64(w, "servers", nservers);
	jw_close(w, '}');

	jw_open(w, "incomplete_reasons", '{');
	for (int i = 0; i < TLS_INC_MAX; i++)
		jw_u64(w, tls_incomplete_name((enum tls_incomplete)i), t->incomplete_reason[i]);
	jw_close(w, '}');
}

/* Caps of the outputs beside the report (--notices, --write-broken), 0
 * when not in use. */
static void json_counters(struct jw *w, struct engine *e)
{
	const struct cs_decode_stats *d = engine_decode_stats(e);
	const struct reasm_stats *r = engine_reasm_stats(e);
	const struct tls_stats *ts = engine_tls_stats(e);
	const struct defrag_stats *df = engine_defrag_stats(e);
	const struct ovpn_stats *ov = engine_ovpn_stats(e);
	struct cs_count caps[CS_ENGINE_CAPS];
	size_t ncaps;

	jw_open(w, "decode", '{');
	for (int i = 0; i < CS_DEC_COUNTER_MAX; i++)
		jw_u64(w, decode_counter_name((enum cs_decode_counter)i), d->n[i]);
	jw_close(w, '}');

	jw_open(w, "caps", '{');
	ncaps = engine_caps(e, caps);
	for (size_t i = 0; i < ncaps; i++)
		jw_u64(w, caps[i].name, caps[i].n);
	jw_close(w, '}');

	jw_open(w, "anomalies", '{');
	jw_u64(w, "overlap_differs", r->overlap_differs);
	jw_u64(w, "retransmitted_bytes", r->retransmitted_bytes);
	jw_u64(w, "out_of_order_segments", r->out_of_order_segments);
	jw_u64(w, "tls_malformed", ts->malformed);
	jw_u64(w, "midstream_resync", ts->midstream_resync);
	jw_u64(w, "clock_jumps", engine_clock_jumps(e));
	jw_u64(w, "synack_switches", r->synack_switches);
	jw_u64(w, "preamble_gaps_skipped", r->holes_skipped);
	jw_u64(w, "fragment_overlaps", df->overlaps);
	jw_u64(w, "fragments_malformed", df->malformed);
	jw_u64(w, "datagrams_incomplete", df->incomplete);
	jw_u64(w, "openvpn_stopped", ov->malformed + ov->out_of_order);
	jw_close(w, '}');
}

static void json_cert(struct jw *w, struct cs_cert *cert)
{
	const struct cs_cert_facts *ci = cert_facts(cert);
	char hex[2 * CS_SHA256_LEN + 1], t[64];

	jw_open(w, NULL, '{');
	hex_lower(cert->sha256, CS_SHA256_LEN, hex);
	if (ci->parsed) {
		jw_wire(w, "subject", ci->subject, strlen(ci->subject));
		jw_wire(w, "issuer", ci->issuer, strlen(ci->issuer));
		jw_str(w, "serial", ci->serial_hex);
		fmt_time_s(ci->not_before, t, sizeof(t));
		jw_str(w, "not_before", t);
		fmt_time_s(ci->not_after, t, sizeof(t));
		jw_str(w, "not_after", t);
	} else {
		jw_raw(w, "subject", "null");
		jw_raw(w, "issuer", "null");
		jw_raw(w, "serial", "null");
		jw_raw(w, "not_before", "null");
		jw_raw(w, "not_after", "null");
	}
	jw_str(w, "sha256", hex);
	jw_raw(w, "parsed", ci->parsed ? "true" : "false");
	if (w->state) {
		jw_b64(w, "der", cert->der, cert->der_len);
	}
	jw_close(w, '}');
}

/* A problem as the report shows it: the verdict's record, or one seen on
 * earlier handshakes of the chain only. */
struct rproblem {
	struct diag_problem p;
	bool earlier;
};

/* Problems of one chain as served by s: the verdict of its last handshake
 * (or --at), its hostname and key usage checks, then any code an earlier
 * handshake had that the last did not.  Cached at judging time: no
 * analysis here. */
static size_t chain_problems(const struct agg_server *s, const struct agg_chain *ac,
			     struct rproblem *out, size_t max)
{
	const struct diag_verdict *v = ac->verdict;
	uint32_t have = 0;
	size_t n = 0;

	for (size_t i = 0; v && i < v->nproblems && n < max; i++, n++) {
		out[n] = (struct rproblem){v->problems[i], false};
		have |= 1u << v->problems[i].code;
	}
	if (ac->hostname_mismatch && s->has_sni && n < max) {
		const struct cs_cert_facts *leaf = cert_facts(ac->chain->certs[0]);

		out[n] = (struct rproblem){{.code = CS_P_HOSTNAME_MISMATCH, .severity = CS_SEV_ERROR,
					    .cert_index = 0, .role = CS_ROLE_LEAF,
					    .subject = leaf->parsed ? leaf->subject : "", .name = "",
					    .text = ""}, false};
		have |= 1u << CS_P_HOSTNAME_MISMATCH;
		n++;
	}
	if (ac->key_usage_suite && n < max &&
	    diag_key_usage_problem(v, ac->key_usage_suite, &out[n].p)) {
		const struct cs_cert_facts *leaf = cert_facts(ac->chain->certs[0]);

		out[n].p.subject = leaf->parsed ? leaf->subject : "";
		out[n++].earlier = false;
		have |= 1u << CS_P_KEY_USAGE_MISMATCH;
	}
	for (int code = 0; code < CS_P_MAX && n < max; code++) {
		if (!(ac->problems & (1u << code)) || (have & (1u << code)))
			continue;
		out[n++] = (struct rproblem){{.code = (enum cs_problem)code,
					      .severity = problem_default_severity((enum cs_problem)code),
					      .cert_index = -1, .subject = "", .name = "", .text = ""},
					     true};
	}
	return n;
}

/* The message and the fix of a problem, worded by the catalogue. */
static void words(struct engine *e, const struct agg_server *s, const struct agg_chain *ac,
		  const struct rproblem *rp, char *msg, size_t mlen, char *fix, size_t flen)
{
	struct judge *j = engine_judge(e);
	struct problem_ctx c = {
		.chain = ac->chain,
		.sni = s->has_sni ? s->sni : NULL,
		.sni_len = s->sni_len,
		.leaf_names = ac->verdict ? ac->verdict->leaf_names : "",
		.evidence = j ? judge_evidence(j, ac->chain) : NULL,
		.warn_days = j ? judge_warn_days(j) : CS_DIAG_WARN_DAYS_DEFAULT,
		.then = ac->verdict ? ac->verdict->then : NULL,
	};

	if (rp->earlier) {
		problem_earlier(msg, mlen, fix, flen);
		return;
	}
	problem_message(&rp->p, &c, msg, mlen);
	problem_fix(&rp->p, &c, fix, flen);
}

/* ok_at_capture_time: the root that made the chain valid on its day, the
 * evidence of a problem the store decides (strings from the timeline file,
 * which a user may replace: written through jw_wire). */
static void json_root_then(struct jw *w, const struct diag_root_then *t)
{
	char hex[65];

	jw_open(w, "root_then", '{');
	json_day(w, "store_day", t->store_day);
	jw_wire(w, "label", t->label, strlen(t->label));
	jw_wire(w, "subject", t->subject, strlen(t->subject));
	hex_lower(t->spki_sha256, 32, hex);
	jw_str(w, "spki_sha256", hex);
	hex_lower(t->cert_sha256, 32, hex);
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

static void json_problem(struct jw *w, struct engine *e, const struct agg_server *s,
			 const struct agg_chain *ac, const struct rproblem *rp, bool with_chain)
{
	const struct diag_problem *p = &rp->p;
	const struct diag_evidence_rec *ev;
	char hex[65], msg[1024], fix[2048];

	words(e, s, ac, rp, msg, sizeof(msg), fix, sizeof(fix));
	jw_open(w, NULL, '{');
	jw_str(w, "code", problem_name(p->code));
	jw_str(w, "severity", severity_name(p->severity));
	if (p->cert_index >= 0)
		jw_u64(w, "cert_index", (uint64_t)p->cert_index);
	else
		jw_raw(w, "cert_index", "null");
	if (p->subject[0])
		jw_wire(w, "subject", p->subject, strlen(p->subject));
	else
		jw_raw(w, "subject", "null");
	jw_wire(w, "message", msg, strlen(msg));
	jw_wire(w, "fix", fix, strlen(fix));
	if (p->code == CS_P_MISSING_INTERMEDIATE) {
		ev = !rp->earlier && engine_judge(e) ? judge_evidence(engine_judge(e), ac->chain) : NULL;
		jw_str(w, "issuer_evidence", evidence_name(ev ? ev->kind : DIAG_EV_NONE));
		if (ev && ev->have_cert) {
			hex_lower(ev->sha256, 32, hex);
			jw_open(w, "evidence", '{');
			jw_str(w, "sha256", hex);
			jw_str(w, "source", ev->source);
			jw_close(w, '}');
		} else {
			jw_raw(w, "evidence", "null");
		}
		if (p->text[0])
			jw_wire(w, "aia_url", p->text, strlen(p->text));
		else
			jw_raw(w, "aia_url", "null");
	}
	if (!rp->earlier && ac->verdict && ac->verdict->then && problem_store_dependent(p))
		json_root_then(w, ac->verdict->then);
	if (with_chain) {
		hex_lower(ac->chain->sha256, CS_SHA256_LEN, hex);
		jw_str(w, "chain", hex);
	}
	jw_close(w, '}');
}

static const char *chain_status(const struct agg_chain *ac)
{
	return ac->broken_handshakes ? "broken"
	       : ac->unjudged_handshakes == ac->handshakes ? "unknown" : "ok";
}

static const char *unknown_reason_name(const struct agg_chain *ac)
{
	return diag_unknown_name(ac->verdict ? ac->verdict->unknown_reason : DIAG_UNK_NONE);
}

static void json_chain(struct jw *w, struct engine *e, const struct agg_server *s,
		       const struct agg_chain *ac)
{
	char hex[2 * CS_SHA256_LEN + 1];
	const struct engine_input *in = engine_input(e, ac->first_input);
	struct rproblem probs[CS_DIAG_MAX_PROBLEMS];
	size_t np = chain_problems(s, ac, probs, CS_DIAG_MAX_PROBLEMS);
	const char *st = chain_status(ac);

	jw_open(w, NULL, '{');
	hex_lower(ac->chain->sha256, CS_SHA256_LEN, hex);
	jw_str(w, "sha256", hex);
	jw_u64(w, "handshakes", ac->handshakes);
	jw_u64(w, "broken_handshakes", ac->broken_handshakes);
	jw_u64(w, "broken_then_handshakes", agg_chain_broken_then(ac));
	jw_bool(w, "ok_at_capture_time", ac->broken_handshakes && !agg_chain_broken_then(ac));
	jw_u64(w, "unjudged_handshakes", ac->unjudged_handshakes);
	jw_str(w, "status", st);
	jw_str(w, "unknown_reason", strcmp(st, "unknown") ? NULL : unknown_reason_name(ac));
	if (w->state)
		jw_time(w, "last_seen", ac->last_ts);
	jw_open(w, "problems", '[');
	for (size_t i = 0; i < np; i++)
		json_problem(w, e, s, ac, &probs[i], false);
	jw_close(w, ']');
	jw_open(w, "first_seen", '{');
	jw_str(w, "input", in->name);
	if (in->live)
		jw_raw(w, "frame", "null");
	else
		jw_u64(w, "frame", ac->first_frame);
	jw_time(w, "time", ac->first_ts);
	jw_close(w, '}');
	jw_open(w, "certs", '[');
	for (size_t i = 0; i < ac->chain->n_certs; i++)
		json_cert(w, ac->chain->certs[i]);
	jw_close(w, ']');
	jw_close(w, '}');
}

static const char *sni_status(const struct agg_server *s)
{
	if (s->has_sni)
		return "sent";
	if (s->sni_not_sent && s->sni_not_captured)
		return "mixed";
	return s->sni_not_sent ? "not_sent" : "not_captured";
}

static const char *server_status(const struct agg_server *s)
{
	return s->broken_handshakes ? "broken"
	       : s->handshakes > s->unjudged_handshakes ? "ok" : "unknown";
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

static void json_server_problems(struct jw *w, struct engine *e, const struct agg_server *s)
{
	struct rproblem probs[CS_DIAG_MAX_PROBLEMS];

	jw_open(w, "problems", '[');
	for (uint32_t k = 0; k < s->nchains; k++) {
		size_t np = chain_problems(s, &s->chains[k], probs, CS_DIAG_MAX_PROBLEMS);

		for (size_t i = 0; i < np; i++)
			json_problem(w, e, s, &s->chains[k], &probs[i], true);
	}
	jw_close(w, ']');
}

/* server_ip, server_port, sni: what identifies a server entry */
static void json_server_id(struct jw *w, const struct agg_server *s)
{
	char ip[64];

	jw_str(w, "server_ip", cs_addr_str(&s->ip, ip, sizeof(ip)));
	jw_u64(w, "server_port", s->port);
	if (s->has_sni)
		jw_wire(w, "sni", s->sni, s->sni_len);
	else
		jw_raw(w, "sni", "null");
	if (w->state && s->has_sni) { /* the exact bytes, even when not UTF-8 */
		jw_b64(w, "sni_b64", (const uint8_t *)s->sni, s->sni_len);
	}
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

static void json_server(struct jw *w, struct engine *e, const struct agg_server *s)
{
	static const char *const vnames[AGG_VERSIONS] = {"SSL3.0", "TLS1.0", "TLS1.1", "TLS1.2"};

	jw_open(w, NULL, '{');
	json_server_id(w, s);
	jw_str(w, "sni_status", sni_status(s));
	jw_str(w, "status", server_status(s));
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
	if (w->state) {
		jw_u64(w, "sni_not_sent", s->sni_not_sent);
		jw_u64(w, "sni_not_captured", s->sni_not_captured);
	}
	jw_raw(w, "rejected_but_judged_ok", agg_rejected_but_judged_ok(s) ? "true" : "false");
	jw_time(w, "first_seen", s->first_seen);
	jw_time(w, "last_seen", s->last_seen);
	jw_open(w, "tls_versions", '{');
	for (int i = 0; i < AGG_VERSIONS; i++)
		if (s->versions[i])
			jw_u64(w, vnames[i], s->versions[i]);
	jw_close(w, '}');
	json_server_problems(w, e, s);
	json_rejections(w, s);
	json_evidence_filter(w, s);
	jw_open(w, "chains", '[');
	for (uint32_t i = 0; i < s->nchains; i++)
		json_chain(w, e, s, &s->chains[i]);
	jw_close(w, ']');
	jw_close(w, '}');
}

static void json_server_key(struct jw *w, const struct agg_server *s)
{
	jw_open(w, NULL, '{');
	json_server_id(w, s);
	jw_close(w, '}');
}

static void json_window(struct jw *w, struct engine *e, const struct report_window *win)
{
	const struct agg_server *const *servers;
	size_t n;

	jw_open(w, "window", '{');
	jw_str(w, "kind", win->kind);
	jw_time(w, "start", win->start);
	jw_time(w, "end", win->end);
	jw_open(w, "became_broken", '[');
	for (size_t i = 0; i < win->n_broken; i++)
		json_server_key(w, win->became_broken[i]);
	jw_close(w, ']');
	jw_open(w, "fixed", '[');
	for (size_t i = 0; i < win->n_fixed; i++)
		json_server_key(w, win->fixed[i]);
	jw_close(w, ']');
	servers = agg_sorted(win->agg, &n);
	jw_open(w, "servers", '[');
	for (size_t i = 0; i < n; i++)
		json_server(w, e, servers[i]);
	jw_close(w, ']');
	jw_close(w, '}');
}

void report_json(FILE *out, struct engine *e)
{
	report_json_window(out, e, NULL);
}

static void json_document(FILE *out, struct engine *e, const struct report_window *win, bool state);

void report_json_window(FILE *out, struct engine *e, const struct report_window *win)
{
	json_document(out, e, win, false);
}

void report_json_state(FILE *out, struct engine *e)
{
	json_document(out, e, NULL, true);
}

static void json_document(FILE *out, struct engine *e, const struct report_window *win, bool state)
{
	struct jw w;
	const struct agg_server *const *servers;
	int64_t first, last;
	size_t n;

	jw_init(&w, out, false);
	w.state = state;
	servers = agg_sorted(engine_agg(e), &n);
	jw_open(&w, NULL, '{');
	jw_u64(&w, "report_version", 1);
	jw_str(&w, "generator", "chainsniff " CS_VERSION);
	jw_str(&w, "sensor", engine_sensor(e));
	if (state) /* which key made the client hashes below (cs_clientkey.h) */
		jw_str(&w, "client_key_id", clientset_key_id());
	if (win)
		json_window(&w, e, win);
	if (engine_time_range(e, &first, &last)) {
		jw_time(&w, "first_seen", first);
		jw_time(&w, "last_seen", last);
	} else {
		jw_raw(&w, "first_seen", "null");
		jw_raw(&w, "last_seen", "null");
	}
	json_trust(&w, e);
	jw_open(&w, "inputs", '[');
	for (size_t i = 0; i < engine_ninputs(e); i++)
		json_input(&w, engine_input(e, i));
	jw_close(&w, ']');
	json_totals(&w, e, n);
	json_counters(&w, e);
	jw_open(&w, "servers", '[');
	for (size_t i = 0; i < n; i++)
		json_server(&w, e, servers[i]);
	jw_close(&w, ']');
	jw_close(&w, '}');
	fputc('\n', out);
}

/* ---- text -------------------------------------------------------------------- */

static void wrapped(FILE *out, const char *text, int indent);
static void cell(char *dst, size_t len, const char *src, size_t n, size_t width);

const char *fmt_count(uint64_t v, char *buf, size_t len)
{
	char raw[32];
	size_t n, o = 0;

	snprintf(raw, sizeof(raw), "%" PRIu64, v);
	n = strlen(raw);
	for (size_t i = 0; i < n && o + 2 < len; i++) {
		if (i && (n - i) % 3 == 0)
			buf[o++] = ',';
		buf[o++] = raw[i];
	}
	buf[o] = '\0';
	return buf;
}

static void text_header(FILE *out, struct engine *e)
{
	const struct engine_totals *t = engine_totals(e);
	int64_t first, last;
	char a[64], b[64], n1[32], n2[32], n3[32], n4[32], n5[32], n6[32];
	size_t nin = engine_ninputs(e);
	bool live = nin && engine_input(e, 0)->live;

	fprintf(out, "chainsniff %s · %zu %s%s · %s packets", CS_VERSION, nin,
		live ? "interface" : "file", nin == 1 ? "" : "s", fmt_count(t->packets, n1, sizeof(n1)));
	if (engine_time_range(e, &first, &last)) {
		fmt_time_s(first / CS_NS_PER_SEC, a, sizeof(a));
		fmt_time_s(last / CS_NS_PER_SEC, b, sizeof(b));
		a[10] = b[10] = ' ', a[19] = b[19] = '\0';
		fprintf(out, " · %s → %s UTC", a, strncmp(a, b, 10) ? b : b + 11);
	}
	fprintf(out, "\nTLS handshakes %s · chain visible %s · TLS 1.3 %s · resumed %s · incomplete %s"
		" · no certificate %s\n", fmt_count(t->tls_handshakes, n1, sizeof(n1)),
		fmt_count(t->with_chain, n2, sizeof(n2)), fmt_count(t->tls13, n3, sizeof(n3)),
		fmt_count(t->resumed, n4, sizeof(n4)), fmt_count(t->incomplete, n5, sizeof(n5)),
		fmt_count(t->no_certificate, n6, sizeof(n6)));
	if (t->incomplete) {
		const char *sep = "incomplete handshakes:";

		for (int i = 0; i < TLS_INC_MAX; i++)
			if (t->incomplete_reason[i]) {
				fprintf(out, "%s %s %" PRIu64, sep,
					tls_incomplete_name((enum tls_incomplete)i), t->incomplete_reason[i]);
				sep = ",";
			}
		fputc('\n', out);
	}
	for (size_t i = 0; i < nin; i++) {
		const struct engine_input *in = engine_input(e, i);

		for (unsigned k = 0; k < in->nerrors; k++) {
			char msg[600];

			snprintf(msg, sizeof(msg), "warning: %s: %s", in->name, in->errors[k]);
			wrapped(out, msg, 4);
		}
		if (in->have_drops && in->dropped)
			fprintf(out, "warning: %s: the kernel dropped %" PRIu64 " of %" PRIu64
				" packets: handshakes may be incomplete (raise -B)\n",
				in->name, in->dropped, in->received);
	}
}

static void text_cert(FILE *out, size_t i, struct cs_cert *cert)
{
	const struct cs_cert_facts *ci = cert_facts(cert);
	char hex[2 * CS_SHA256_LEN + 1], nb[64], na[64];

	hex_lower(cert->sha256, CS_SHA256_LEN, hex);
	fprintf(out, "      [%zu] ", i);
	if (!ci->parsed) {
		fprintf(out, "(unparseable certificate, %zu bytes) sha256 %.16s\n", cert->der_len, hex);
		return;
	}
	esc_term(out, ci->subject, strlen(ci->subject));
	fmt_time_s(ci->not_before, nb, sizeof(nb));
	fmt_time_s(ci->not_after, na, sizeof(na));
	fputs("\n          issuer ", out);
	esc_term(out, ci->issuer, strlen(ci->issuer));
	fprintf(out, "\n          valid %s .. %s  sha256 %.16s\n", nb, na, hex);
}

static void text_problem(FILE *out, struct engine *e, const struct agg_server *s,
			 const struct agg_chain *ac, const struct rproblem *rp, const char *red,
			 const char *yellow, const char *reset)
{
	const struct diag_problem *p = &rp->p;
	char msg[1024], fix[2048];

	words(e, s, ac, rp, msg, sizeof(msg), fix, sizeof(fix));
	fprintf(out, "    %s%-7s%s %s", p->severity == CS_SEV_ERROR ? red : yellow,
		severity_name(p->severity), reset, problem_name(p->code));
	if (p->cert_index >= 0)
		fprintf(out, " (certificate #%d)", p->cert_index);
	fputs("\n      ", out);
	esc_term(out, msg, strlen(msg));
	fputs("\n      fix: ", out);
	esc_term(out, fix, strlen(fix));
	fprintf(out, "\n      see docs/problems.md#%s\n", problem_name(p->code));
}

static void text_rejections(FILE *out, const struct agg_server *s)
{
	for (uint32_t i = 0; i < s->nrejections; i++) {
		const struct agg_rejection *r = &s->rejections[i];

		fprintf(out, "  clients rejected the chain: %" PRIu64 " x alert %s from %" PRIu64
			" client%s", r->handshakes, tls_alert_name(r->alert),
			clientset_count(&r->clients), clientset_count(&r->clients) == 1 ? "" : "s");
		if (r->nfp)
			fprintf(out, " (JA3 %s, JA4 %s%s)", r->fp[0].ja3, r->fp[0].ja4,
				r->nfp > 1 ? ", ..." : "");
		fputc('\n', out);
	}
	if (agg_rejected_but_judged_ok(s))
		fputs("  NOTE: real clients rejected a chain judged fine here: check their trust "
		      "store, their clock, or a middlebox.\n", out);
}

static void text_server(FILE *out, struct engine *e, const struct agg_server *s, bool color)
{
	const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
	const char *red = color ? "\033[31m" : "", *yellow = color ? "\033[33m" : "";
	const char *green = color ? "\033[32m" : "";
	const char *st = server_status(s);
	struct rproblem probs[CS_DIAG_MAX_PROBLEMS];
	char ip[64], hex[2 * CS_SHA256_LEN + 1];

	cs_addr_str(&s->ip, ip, sizeof(ip));
	fprintf(out, "\n%s%s%s%s:%u%s  SNI ", bold, s->ip.family == 6 ? "[" : "", ip,
		s->ip.family == 6 ? "]" : "", s->port, reset);
	if (s->has_sni)
		esc_term(out, s->sni, s->sni_len);
	else
		fprintf(out, "(%s)", sni_status(s));
	fprintf(out, "  %s%s%s  broken %" PRIu64 "/%" PRIu64 " handshakes (%" PRIu64
		" TLS in all), clients affected %" PRIu64 "\n",
		!strcmp(st, "broken") ? red : !strcmp(st, "ok") ? green : "", st, reset,
		s->broken_handshakes, s->handshakes, s->tls_handshakes, clientset_count(&s->clients));
	text_rejections(out, s);
	for (uint32_t k = 0; k < s->nchains; k++) {
		const struct agg_chain *ac = &s->chains[k];
		size_t np = chain_problems(s, ac, probs, CS_DIAG_MAX_PROBLEMS);

		hex_lower(ac->chain->sha256, CS_SHA256_LEN, hex);
		fprintf(out, "  chain %.16s  %zu cert%s  %" PRIu64 " handshake%s, %" PRIu64 " broken\n",
			hex, ac->chain->n_certs, ac->chain->n_certs == 1 ? "" : "s", ac->handshakes,
			ac->handshakes == 1 ? "" : "s", ac->broken_handshakes);
		for (size_t c = 0; c < ac->chain->n_certs; c++)
			text_cert(out, c, ac->chain->certs[c]);
		for (size_t i = 0; i < np; i++)
			text_problem(out, e, s, ac, &probs[i], red, yellow, reset);
	}
}

/* Terminal-safe text of a wire string, cut to at most width code points. */
static void cell(char *dst, size_t len, const char *src, size_t n, size_t width)
{
	char *buf = NULL;
	size_t blen = 0, o = 0, cps = 0;
	FILE *m = open_memstream(&buf, &blen);

	dst[0] = '\0';
	if (!m)
		return;
	esc_term(m, src, n);
	fclose(m);
	for (size_t i = 0; buf && i < blen && o + 4 < len; i++) {
		bool lead = ((unsigned char)buf[i] & 0xc0) != 0x80;

		if (lead && ++cps > width) {
			/* replace the last code point by an ellipsis */
			while (o > 0 && ((unsigned char)dst[o - 1] & 0xc0) == 0x80)
				o--;
			if (o > 0)
				o--;
			memcpy(dst + o, "…", 3);
			o += 3;
			break;
		}
		dst[o++] = buf[i];
	}
	dst[o] = '\0';
	free(buf);
}

/* printf("%-*s") counts bytes; pad by code points instead. */
static void put_cell(FILE *out, const char *s, size_t width, bool right)
{
	size_t cps = 0;

	for (const char *p = s; *p; p++)
		cps += ((unsigned char)*p & 0xc0) != 0x80;
	if (right)
		for (size_t i = cps; i < width; i++)
			fputc(' ', out);
	fputs(s, out);
	if (!right)
		for (size_t i = cps; i < width; i++)
			fputc(' ', out);
}

static void server_label(const struct agg_server *s, char *buf, size_t len)
{
	cs_endpoint_str(&s->ip, s->port, buf, len);
}

/* The most important problem: the first error, else the first warning;
 * *where is the chain it belongs to. */
static bool main_problem(const struct agg_server *s, struct rproblem *out,
			 const struct agg_chain **where)
{
	struct rproblem probs[CS_DIAG_MAX_PROBLEMS];
	bool found = false;

	for (uint32_t k = 0; k < s->nchains; k++) {
		size_t np = chain_problems(s, &s->chains[k], probs, CS_DIAG_MAX_PROBLEMS);

		for (size_t i = 0; i < np; i++)
			if (!found || (probs[i].p.severity == CS_SEV_ERROR &&
				       out->p.severity != CS_SEV_ERROR)) {
				*out = probs[i];
				*where = &s->chains[k];
				found = true;
			}
	}
	return found;
}

/* A table row's first cells: SERVER, SNI, BROKEN/TOTAL. */
static void server_cells(FILE *out, const struct agg_server *s)
{
	char server[64], sni[96], bt[40];

	server_label(s, server, sizeof(server));
	if (strlen(server) > 20)
		memcpy(server + 17, "…", 4);
	if (s->has_sni)
		cell(sni, sizeof(sni), s->sni, s->sni_len, 18);
	else
		snprintf(sni, sizeof(sni), "-");
	snprintf(bt, sizeof(bt), "%" PRIu64 "/%" PRIu64, s->broken_handshakes, s->handshakes);
	put_cell(out, server, 21, false);
	put_cell(out, sni, 19, false);
	put_cell(out, bt, 12, true);
}

static void text_row(FILE *out, size_t rank, const struct agg_server *s,
		     const struct report_opts *ro)
{
	char clients[24], when[64], problem[32] = "-";
	struct rproblem p;
	const struct agg_chain *where;
	uint32_t broken_chains = 0;

	fmt_count(clientset_count(&s->clients), clients, sizeof(clients));
	if (main_problem(s, &p, &where)) /* a long code is cut: the table is 100 wide */
		cell(problem, sizeof(problem), problem_name(p.p.code), strlen(problem_name(p.p.code)),
		     20);
	else if (!s->handshakes)
		snprintf(problem, sizeof(problem), "(no chain visible)");
	fmt_time_s(s->last_seen / CS_NS_PER_SEC, when, sizeof(when));
	when[ro->same_day ? 19 : 10] = '\0'; /* HH:MM:SS within one day, else the date */
	fprintf(out, "%3zu  ", rank);
	server_cells(out, s);
	put_cell(out, clients, 9, true);
	fputs("  ", out);
	put_cell(out, problem, 21, false);
	fprintf(out, "%s\n", ro->same_day ? when + 11 : when);
	for (uint32_t k = 0; k < s->nchains; k++)
		broken_chains += s->chains[k].broken_handshakes > 0;
	if (broken_chains && broken_chains < s->nchains)
		fprintf(out, "%46s(%u of %u chains served are broken)\n", "", broken_chains, s->nchains);
}

/* Word-wrap an escaped paragraph at 100 columns with a hanging indent. */
static void wrapped(FILE *out, const char *text, int indent)
{
	char *buf = NULL;
	size_t blen = 0, col = (size_t)indent;
	FILE *m = open_memstream(&buf, &blen);
	char *word, *save = NULL;

	if (!m)
		return;
	esc_term(m, text, strlen(text));
	fclose(m);
	for (word = strtok_r(buf, " ", &save); word; word = strtok_r(NULL, " ", &save)) {
		size_t w = strlen(word);

		if (col > (size_t)indent && col + 1 + w > 100) {
			fprintf(out, "\n%*s", indent, "");
			col = (size_t)indent;
		} else if (col > (size_t)indent) {
			fputc(' ', out);
			col++;
		}
		fputs(word, out);
		col += w;
	}
	fputc('\n', out);
	free(buf);
}

/* The servers the main table lists: broken on their capture day (with
 * today's store and no second look, that is every broken server). */
static bool listed_broken(const struct agg_server *s)
{
	return agg_server_broken_then(s) > 0;
}

/* --trust-at: which store judged, and the handshakes judged with today's
 * store for want of a plausible capture date. */
static void text_trust_at(FILE *out, struct engine *e)
{
	struct judge *j = engine_judge(e);
	const struct engine_totals *t = engine_totals(e);
	const char *name;
	char day[CS_TIME_STRLEN], start[CS_TIME_STRLEN], n1[32];
	int64_t date;
	int mode;

	if (!j || (mode = judge_trust_at(j, &date)) == DIAG_TRUST_TODAY)
		return;
	name = timeline_name(judge_timeline(j));
	fmt_time_s(date, day, sizeof(day));
	fmt_time_s(timeline_start(judge_timeline(j)), start, sizeof(start));
	if (mode == DIAG_TRUST_CAPTURE)
		fputs("Judged with Mozilla's store as it stood on each handshake's capture day", out);
	else
		fprintf(out, "Judged with Mozilla's store as it stood on %.10s", day);
	fputs(" (root timeline ", out);
	esc_term(out, name, strlen(name));
	fputs(")", out);
	if (t->store_fallback)
		fprintf(out, "; %s handshake%s with today's store (capture clock before %.10s or "
			"implausible)", fmt_count(t->store_fallback, n1, sizeof(n1)),
			t->store_fallback == 1 ? "" : "s", start);
	fputs("\n", out);
}

/* The root of the capture's day that one of s's chains was valid under. */
static const struct diag_root_then *root_then_of(const struct agg_server *s)
{
	for (uint32_t k = 0; k < s->nchains; k++)
		if (s->chains[k].verdict && s->chains[k].verdict->then)
			return s->chains[k].verdict->then;
	return NULL;
}

/* Servers broken only with today's store: fine on their capture day, their
 * root has left the store since (ok_at_capture_time). */
static void text_root_left(FILE *out, const struct agg_server *const *servers, size_t n,
			   unsigned top)
{
	char day[CS_TIME_STRLEN], line[1024];
	uint64_t listed = 0;

	fputs("\nFine on their capture day, broken with today's store (their root has left it)\n",
	      out);
	for (size_t i = 0; i < n; i++) {
		const struct agg_server *s = servers[i];
		const struct diag_root_then *rt = root_then_of(s);

		if (!s->broken_handshakes || agg_server_broken_then(s) || (top && ++listed > top))
			continue;
		fputs("     ", out);
		server_cells(out, s);
		fputc('\n', out);
		if (!rt)
			continue;
		fmt_time_s(rt->left_at, day, sizeof(day));
		snprintf(line, sizeof(line), "root %s, left Mozilla's store %.10s%s%s%s", rt->label, day,
			 rt->left_release[0] ? " (" : "", rt->left_release, rt->left_release[0] ? ")" : "");
		fputs("          ", out);
		wrapped(out, line, 10);
	}
	if (top && listed > top)
		fprintf(out, "  and %" PRIu64 " more (--top 0 lists them all)\n", listed - top);
}

void report_text(FILE *out, struct engine *e, const struct report_opts *ro)
{
	const struct agg_server *const *servers;
	const struct engine_totals *t = engine_totals(e);
	size_t n, listed = 0, rank = 0;
	uint64_t broken_clients;
	struct clientset all;
	char n1[32], n2[32], n3[32], n4[32], n5[32];
	struct report_opts o = *ro;
	int64_t first, last;

	servers = agg_sorted(engine_agg(e), &n);
	if (engine_time_range(e, &first, &last))
		o.same_day = first / (86400 * CS_NS_PER_SEC) == last / (86400 * CS_NS_PER_SEC);
	text_header(out, e);
	clientset_init(&all);
	for (size_t i = 0; i < n; i++)
		if (servers[i]->broken_handshakes)
			clientset_merge(&all, &servers[i]->clients); /* a client of two servers counts once */
	broken_clients = clientset_count(&all);
	clientset_fini(&all);
	fprintf(out, "Servers %s · broken %s (%s handshakes, %s clients) · clients rejecting chains %s\n",
		fmt_count(n, n1, sizeof(n1)), fmt_count(servers_broken(e), n2, sizeof(n2)),
		fmt_count(t->broken_handshakes, n3, sizeof(n3)), fmt_count(broken_clients, n4, sizeof(n4)),
		fmt_count(t->client_rejections, n5, sizeof(n5)));
	if (engine_judge(e)) {
		struct judge_store st[64];
		size_t ns = judge_stores(engine_judge(e), st, CS_ARRAY_LEN(st));
		char raw[1200], line[400];

		snprintf(raw, sizeof(raw), "Trust store: %zu anchors (sha256 %.16s), %s",
			 st[ns - 1].anchors, st[ns - 1].sha256, st[ns - 1].name);
		cell(line, sizeof(line), raw, strlen(raw), 100);
		fprintf(out, "%s\n", line);
	}
	if (t->ok_at_capture_time)
		fprintf(out, "Broken on their capture day: %s servers (%s handshakes) · broken only with "
			"today's store: %s\n", fmt_count(servers_broken_then(e), n1, sizeof(n1)),
			fmt_count(t->broken_handshakes - t->ok_at_capture_time, n2, sizeof(n2)),
			fmt_count(servers_broken(e) - servers_broken_then(e), n3, sizeof(n3)));
	text_trust_at(out, e);
	for (size_t i = 0; i < n; i++)
		listed += (listed_broken(servers[i]) || o.all) && (!o.top || listed < o.top);
	if (listed == 0) {
		fprintf(out, "\nNo %s seen%s.\n", t->ok_at_capture_time ? "chain broken on its capture day"
			: "broken chain", o.all ? "" : " (--all lists every server)");
	} else {
		fprintf(out, "\n  #  %-21s%-19s%12s%9s  %-21s%s\n", "SERVER", "SNI", "BROKEN/TOTAL",
			"CLIENTS", "PROBLEM", "LAST SEEN");
		for (size_t i = 0; i < n && rank < listed; i++)
			if (listed_broken(servers[i]) || o.all)
				text_row(out, ++rank, servers[i], &o);
		fputs("\nFixes\n", out);
		rank = 0;
		for (size_t i = 0; i < n && rank < listed; i++) {
			struct rproblem p;
			const struct agg_chain *where;
			char who[300], msg[3400], text[1024], fix[2048]; /* msg holds them all */

			if (!(listed_broken(servers[i]) || o.all))
				continue;
			rank++;
			if (!servers[i]->broken_handshakes || !main_problem(servers[i], &p, &where))
				continue;
			words(e, servers[i], where, &p, text, sizeof(text), fix, sizeof(fix));
			if (servers[i]->has_sni)
				snprintf(who, sizeof(who), "%.*s", (int)servers[i]->sni_len, servers[i]->sni);
			else
				server_label(servers[i], who, sizeof(who));
			if (strlen(who) > 60) /* wrapped() breaks at spaces only */
				memcpy(who + 57, "...", 4);
			snprintf(msg, sizeof(msg), "%s: %s %s (docs/problems.md#%s)", who, text, fix,
				 problem_name(p.p.code));
			fprintf(out, "%3zu  ", rank);
			wrapped(out, msg, 5);
		}
	}
	if (t->ok_at_capture_time)
		text_root_left(out, servers, n, o.top);
	if (o.details) {
		fputs("\nDetails\n", out);
		for (size_t i = 0; i < n; i++)
			if (servers[i]->handshakes > 0)
				text_server(out, e, servers[i], o.color);
	}
}

/* ---- CSV --------------------------------------------------------------------- */

static void csv_str(FILE *out, const char *s, bool last)
{
	esc_csv(out, s, strlen(s));
	fputc(last ? '\n' : ',', out);
}

static void csv_u64(FILE *out, uint64_t v)
{
	fprintf(out, "%" PRIu64 ",", v);
}

void report_csv(FILE *out, struct engine *e)
{
	const struct agg_server *const *servers;
	size_t n;

	servers = agg_sorted(engine_agg(e), &n);
	fputs("rank,server_ip,server_port,sni,status,broken_handshakes,handshakes,tls_handshakes,"
	      "clients,clients_total,problems,client_rejections,first_seen,last_seen,fix,"
	      "broken_then_handshakes\n", out);
	for (size_t i = 0; i < n; i++) {
		const struct agg_server *s = servers[i];
		struct rproblem probs[CS_DIAG_MAX_PROBLEMS], main_p;
		const struct agg_chain *where;
		char ip[64], codes[1024] = "", t[64], msg[1024], fix[2048] = "";
		uint64_t rejections = 0;

		for (uint32_t k = 0; k < s->nchains; k++) {
			size_t np = chain_problems(s, &s->chains[k], probs, CS_DIAG_MAX_PROBLEMS);

			for (size_t j = 0; j < np; j++)
				if (!strstr(codes, problem_name(probs[j].p.code))) {
					size_t o = strlen(codes);

					snprintf(codes + o, sizeof(codes) - o, "%s%s", o ? " " : "",
						 problem_name(probs[j].p.code));
				}
		}
		for (uint32_t k = 0; k < s->nrejections; k++)
			rejections += s->rejections[k].handshakes;
		csv_u64(out, i + 1);
		csv_str(out, cs_addr_str(&s->ip, ip, sizeof(ip)), false);
		csv_u64(out, s->port);
		if (s->has_sni) {
			esc_csv(out, s->sni, s->sni_len);
			fputc(',', out);
		} else {
			fputc(',', out);
		}
		csv_str(out, server_status(s), false);
		csv_u64(out, s->broken_handshakes);
		csv_u64(out, s->handshakes);
		csv_u64(out, s->tls_handshakes);
		csv_u64(out, clientset_count(&s->clients));
		csv_u64(out, clientset_count(&s->clients_total));
		csv_str(out, codes, false);
		csv_u64(out, rejections);
		fmt_time_ns(s->first_seen, t, sizeof(t));
		csv_str(out, t, false);
		fmt_time_ns(s->last_seen, t, sizeof(t));
		csv_str(out, t, false);
		if (s->broken_handshakes && main_problem(s, &main_p, &where))
			words(e, s, where, &main_p, msg, sizeof(msg), fix, sizeof(fix));
		csv_str(out, fix, false);
		fprintf(out, "%" PRIu64 "\n", agg_server_broken_then(s));
	}
}
