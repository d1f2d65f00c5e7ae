/*
 * counters.c - the table of the report's counters (cs_counters.h).
 * Owns nothing but the table.  Each row names its group and key (or a
 * family of keys named by another module), where the engine keeps its
 * value (a field of one of the engine's statistics structs, or a function
 * of them) and how it combines.  The row order is the order reports write
 * the counters in: add a row where the key should appear.
 */
#include "cs_counters.h"
#include "cs_engine.h"
#include "cs_defrag.h"
#include "cs_evidence.h"
#include "cs_judge.h"
#include "cs_notices.h"
#include "cs_openvpn.h"

#include <stddef.h>
#include <string.h>

/* What a row reads, fetched once per snapshot. */
struct ctr_src {
	struct engine *e;
	const struct engine_totals *t;
	const struct tls_stats *tls;
	const struct reasm_stats *rs;
	const struct cs_decode_stats *dec;
	const struct agg_stats *as;
	const struct defrag_stats *df;
	const struct ovpn_stats *ov;
	bool judged;
	struct judge_stats js;
};

enum ctr_from { F_TOTALS, F_TLS, F_REASM, F_DECODE, F_AGG, F_DEFRAG, F_JUDGE, F_DIAG, F_FN };

struct ctr_row {
	const char *group;
	const char *key;                 /* NULL: a family */
	const char *(*name)(unsigned i); /* a family: the key of member i */
	unsigned first, n;               /* a family: members first .. first+n-1 */
	enum ctr_from from;
	size_t off; /* offsetof in the struct of from (arrays: of [0]) */
	uint64_t (*fn)(const struct ctr_src *s);
	enum ctr_kind kind;
	uint8_t flags;
};

#define R_RESTORED 1u /* carried over by --state */
#define R_JUDGED 2u   /* written only with a trust store */

/* ---- values that are functions of several sources ---------------------------------- */

static uint64_t flows_evicted(const struct ctr_src *s) { return engine_flows_evicted(s->e); }
static uint64_t buffer_memcap(const struct ctr_src *s) { return engine_buffer_refusals(s->e); }
static uint64_t clock_jumps(const struct ctr_src *s) { return engine_clock_jumps(s->e); }
static uint64_t worker_handoff(const struct ctr_src *s) { return engine_handoff_waits(s->e); }
static uint64_t derived_zero(const struct ctr_src *s)
{
	(void)s;
	return 0;
}

static uint64_t flow_slots(const struct ctr_src *s)
{
	return s->t->flows_no_slot + s->t->tls_no_slot;
}

/* The outputs' own caps (--notices, --write-broken), 0 without them. */
static uint64_t notice_servers(const struct ctr_src *s)
{
	struct notices_stats ns = {0};

	if (engine_notices(s->e))
		notices_get_stats(engine_notices(s->e), &ns);
	return ns.servers_cap;
}

static uint64_t evidence_cap(const struct ctr_src *s, bool per_flow)
{
	struct evidence_stats es = {0};

	if (engine_evidence(s->e))
		evidence_get_stats(engine_evidence(s->e), &es);
	return per_flow ? es.flow_cap : es.memcap;
}

static uint64_t evidence_memcap(const struct ctr_src *s) { return evidence_cap(s, false); }
static uint64_t evidence_flow_cap(const struct ctr_src *s) { return evidence_cap(s, true); }

static uint64_t openvpn_stopped(const struct ctr_src *s)
{
	return s->ov->malformed + s->ov->out_of_order;
}

static uint64_t pool_dropped(const struct ctr_src *s)
{
	return s->js.diag.pool_refused + s->js.diag.pool_evicted;
}

/* Handshakes with a chain answered from the verdict cache. */
static uint64_t cache_hits(const struct ctr_src *s)
{
	return s->t->with_chain > s->js.analyses ? s->t->with_chain - s->js.analyses : 0;
}

static const char *decode_name(unsigned i)
{
	return decode_counter_name((enum cs_decode_counter)i);
}
static const char *inc_name(unsigned i) { return tls_incomplete_name((enum tls_incomplete)i); }
static const char *starttls_name(unsigned i) { return tls_starttls_name((enum tls_starttls)i); }

#define T(g, k, f)                                                                                 \
	{                                                                                          \
		g, k, NULL, 0, 0, F_TOTALS, offsetof(struct engine_totals, f), NULL, CTR_SUM,      \
			R_RESTORED                                                                 \
	}
#define S(g, k, from, type, f, fl)                                                                 \
	{                                                                                          \
		g, k, NULL, 0, 0, from, offsetof(type, f), NULL, CTR_SUM, fl                       \
	}
#define FN(g, k, f, kd, fl)                                                                        \
	{                                                                                          \
		g, k, NULL, 0, 0, F_FN, 0, f, kd, fl                                               \
	}

/* clang-format off */
static const struct ctr_row rows[] = {
	T("totals", "packets", packets),
	T("totals", "bytes", bytes),
	T("totals", "tcp_packets", tcp_packets),
	T("totals", "tcp_flows", tcp_flows),
	T("totals", "tls_handshakes", tls_handshakes),
	T("totals", "handshakes_with_chain", with_chain),
	T("totals", "tls13", tls13),
	T("totals", "resumed", resumed),
	T("totals", "incomplete", incomplete),
	T("totals", "no_certificate", no_certificate),
	T("totals", "client_certificates", client_certificates),
	T("totals", "chains_unattributed", chains_unattributed),
	T("totals", "chains_unparsed", chains_unparsed),
	T("totals", "openvpn", openvpn),
	S("totals", "sslv2_client_hellos", F_TLS, struct tls_stats, sslv2_client_hellos, R_RESTORED),
	{"totals.starttls", NULL, starttls_name, TLS_STARTTLS_SMTP,
	 TLS_STARTTLS_MAX - TLS_STARTTLS_SMTP, F_TOTALS, offsetof(struct engine_totals, starttls),
	 NULL, CTR_SUM, R_RESTORED},
	T("totals", "broken_handshakes", broken_handshakes),
	FN("totals", "broken_then", derived_zero, CTR_DERIVED, 0),
	T("totals", "ok_at_capture_time", ok_at_capture_time),
	T("totals", "trust_at_fallback", store_fallback),
	T("totals", "unjudged_handshakes", unjudged_handshakes),
	FN("totals", "servers_broken", derived_zero, CTR_DERIVED, 0),
	FN("totals", "servers_broken_then", derived_zero, CTR_DERIVED, 0),
	T("totals", "client_rejections", client_rejections),
	FN("totals", "distinct_chains", derived_zero, CTR_DERIVED, 0),
	FN("totals", "servers", derived_zero, CTR_DERIVED, 0),

	{"incomplete_reasons", NULL, inc_name, 0, TLS_INC_MAX, F_TOTALS,
	 offsetof(struct engine_totals, incomplete_reason), NULL, CTR_SUM, R_RESTORED},

	{"decode", NULL, decode_name, 0, CS_DEC_COUNTER_MAX, F_DECODE,
	 offsetof(struct cs_decode_stats, n), NULL, CTR_SUM, 0},

	FN("caps", "flows_evicted", flows_evicted, CTR_SUM, 0),
	FN("caps", "flow_slots", flow_slots, CTR_SUM, 0),
	FN("caps", "buffer_memcap", buffer_memcap, CTR_SUM, 0),
	S("caps", "flow_dir_cap", F_REASM, struct reasm_stats, dir_cap, 0),
	S("caps", "reasm_ranges", F_REASM, struct reasm_stats, ranges_cap, 0),
	S("caps", "preamble", F_TLS, struct tls_stats, preamble_cap, 0),
	S("caps", "handshake_message", F_TLS, struct tls_stats, msg_too_long, 0),
	S("caps", "chain_certs", F_TLS, struct tls_stats, chain_certs_cap, 0),
	S("caps", "chains", F_TLS, struct tls_stats, chains_cap, 0),
	S("caps", "servers", F_AGG, struct agg_stats, servers_cap, 0),
	S("caps", "servers_evicted", F_AGG, struct agg_stats, servers_evicted, 0),
	S("caps", "chains_per_server", F_AGG, struct agg_stats, chains_per_server_cap, 0),
	S("caps", "fingerprints", F_AGG, struct agg_stats, fingerprints_cap, 0),
	S("caps", "defrag", F_DEFRAG, struct defrag_stats, cap, 0),
	S("caps", "signature_memo", F_DIAG, struct diag_stats, signature_memo_evicted, R_JUDGED),
	FN("caps", "intermediates_pool", pool_dropped, CTR_SUM, R_JUDGED),
	S("caps", "missing_issuer_watch", F_DIAG, struct diag_stats, wants_refused, R_JUDGED),
	FN("caps", "notice_servers", notice_servers, CTR_SUM, 0),
	FN("caps", "evidence_memcap", evidence_memcap, CTR_SUM, 0),
	FN("caps", "evidence_flow_cap", evidence_flow_cap, CTR_SUM, 0),
	FN("caps", "worker_handoff", worker_handoff, CTR_SUM, 0),

	S("anomalies", "overlap_differs", F_REASM, struct reasm_stats, overlap_differs, 0),
	S("anomalies", "retransmitted_bytes", F_REASM, struct reasm_stats, retransmitted_bytes, 0),
	S("anomalies", "out_of_order_segments", F_REASM, struct reasm_stats, out_of_order_segments, 0),
	S("anomalies", "tls_malformed", F_TLS, struct tls_stats, malformed, 0),
	S("anomalies", "midstream_resync", F_TLS, struct tls_stats, midstream_resync, 0),
	FN("anomalies", "clock_jumps", clock_jumps, CTR_SUM, 0),
	S("anomalies", "synack_switches", F_REASM, struct reasm_stats, synack_switches, 0),
	S("anomalies", "preamble_gaps_skipped", F_REASM, struct reasm_stats, holes_skipped, 0),
	S("anomalies", "fragment_overlaps", F_DEFRAG, struct defrag_stats, overlaps, 0),
	S("anomalies", "fragments_malformed", F_DEFRAG, struct defrag_stats, malformed, 0),
	S("anomalies", "datagrams_incomplete", F_DEFRAG, struct defrag_stats, incomplete, 0),
	FN("anomalies", "openvpn_stopped", openvpn_stopped, CTR_SUM, 0),

	/* counters that do not depend on the analysis thread's timing: a run's
	 * report is the same every time */
	S("diagnosis", "analyses", F_JUDGE, struct judge_stats, analyses, R_JUDGED),
	FN("diagnosis", "cache_hits", cache_hits, CTR_SUM, R_JUDGED),
	S("diagnosis", "signature_checks", F_DIAG, struct diag_stats, signature_checks, R_JUDGED),
	S("diagnosis", "signature_verifications", F_DIAG, struct diag_stats,
	  signature_verifications, R_JUDGED),
	S("diagnosis", "verification_us", F_DIAG, struct diag_stats, verify_cost, R_JUDGED),
	{"diagnosis", "max_checks", NULL, 0, 0, F_JUDGE, offsetof(struct judge_stats, max_checks),
	 NULL, CTR_MAX_OF, R_JUDGED},
	{"diagnosis", "max_cost_us", NULL, 0, 0, F_JUDGE, offsetof(struct judge_stats, max_cost),
	 NULL, CTR_MAX_OF, R_JUDGED},
	{"diagnosis", "intermediates_pool", NULL, 0, 0, F_DIAG, offsetof(struct diag_stats, pool_size),
	 NULL, CTR_MAX_OF, R_JUDGED},
	S("diagnosis.budget", "analysis_budget", F_JUDGE, struct judge_stats, budget_exhausted,
	  R_JUDGED),
	S("diagnosis.budget", "deferred", F_JUDGE, struct judge_stats, deferred, R_JUDGED),
	S("diagnosis.budget", "deferred_overflow", F_JUDGE, struct judge_stats, deferred_overflow,
	  R_JUDGED),
	S("diagnosis.budget", "parked_cap", F_TOTALS, struct engine_totals, parked_cap, R_JUDGED),
};
/* clang-format on */

/* ---- ids: rows flattened, families expanded ------------------------------------- */

static size_t row_size(const struct ctr_row *r) { return r->key ? 1 : r->n; }

/* The row of id, and its member index in a family. */
static const struct ctr_row *row_of(size_t id, unsigned *member)
{
	for (size_t i = 0; i < CS_ARRAY_LEN(rows); i++) {
		if (id < row_size(&rows[i])) {
			*member = (unsigned)id;
			return &rows[i];
		}
		id -= row_size(&rows[i]);
	}
	*member = 0;
	return NULL;
}

size_t counters_count(void)
{
	size_t n = 0;

	for (size_t i = 0; i < CS_ARRAY_LEN(rows); i++)
		n += row_size(&rows[i]);
	return n < CTR_MAX ? n : CTR_MAX;
}

const char *counter_group(size_t id)
{
	unsigned m;
	const struct ctr_row *r = row_of(id, &m);

	return r ? r->group : "";
}

const char *counter_key(size_t id)
{
	unsigned m;
	const struct ctr_row *r = row_of(id, &m);

	if (!r)
		return "";
	return r->key ? r->key : r->name(r->first + m);
}

enum ctr_kind counter_kind(size_t id)
{
	unsigned m;
	const struct ctr_row *r = row_of(id, &m);

	return r ? r->kind : CTR_DERIVED;
}

bool counter_restored(size_t id)
{
	unsigned m;
	const struct ctr_row *r = row_of(id, &m);

	return r && (r->flags & R_RESTORED);
}

bool counter_judged(size_t id)
{
	unsigned m;
	const struct ctr_row *r = row_of(id, &m);

	return r && (r->flags & R_JUDGED);
}

static bool key_is(const char *k, const char *key, size_t keylen)
{
	return strlen(k) == keylen && !memcmp(k, key, keylen);
}

size_t counter_find(const char *group, const char *key, size_t keylen)
{
	size_t id = 0;

	for (size_t i = 0; i < CS_ARRAY_LEN(rows); id += row_size(&rows[i]), i++) {
		if (strcmp(rows[i].group, group))
			continue;
		if (rows[i].key && key_is(rows[i].key, key, keylen))
			return id < CTR_MAX ? id : SIZE_MAX;
		for (unsigned m = 0; !rows[i].key && m < rows[i].n; m++)
			if (key_is(rows[i].name(rows[i].first + m), key, keylen))
				return id + m < CTR_MAX ? id + m : SIZE_MAX;
	}
	return SIZE_MAX;
}

bool counter_group_known(const char *group)
{
	for (size_t i = 0; i < CS_ARRAY_LEN(rows); i++)
		if (!strcmp(rows[i].group, group))
			return true;
	return false;
}

const char *counter_top_group(size_t i)
{
	for (size_t r = 0; r < CS_ARRAY_LEN(rows); r++) {
		size_t len = strcspn(rows[r].group, ".");
		bool seen = false;

		for (size_t k = 0; k < r && !seen; k++)
			seen = strcspn(rows[k].group, ".") == len &&
			       !strncmp(rows[k].group, rows[r].group, len);
		if (!seen && len == strlen(rows[r].group) && i-- == 0)
			return rows[r].group;
	}
	return NULL;
}

/* ---- values ------------------------------------------------------------------------ */

static uint64_t row_value(const struct ctr_src *s, const struct ctr_row *r, unsigned member)
{
	/* the struct each source reads (the judge's only when there is one) */
	const void *const base_of[F_FN] = {
		[F_TOTALS] = s->t,
		[F_TLS] = s->tls,
		[F_REASM] = s->rs,
		[F_DECODE] = s->dec,
		[F_AGG] = s->as,
		[F_DEFRAG] = s->df,
		[F_JUDGE] = s->judged ? &s->js : NULL,
		[F_DIAG] = s->judged ? &s->js.diag : NULL,
	};
	const void *base;
	size_t off = r->off + (r->key ? 0 : (r->first + member) * sizeof(uint64_t));
	uint64_t v;

	if (r->from == F_FN)
		return r->kind == CTR_DERIVED || !(r->flags & R_JUDGED) || s->judged ? r->fn(s) : 0;
	if (!(base = base_of[r->from]))
		return 0;
	memcpy(&v, (const char *)base + off, sizeof(v));
	return v;
}

/* The engine's counters now (live plus carried), derived rows left at 0. */
static void snapshot(struct engine *e, struct ctr_values *out)
{
	struct ctr_src s = {
		.e = e,
		.t = engine_totals(e),
		.tls = engine_tls_stats(e),
		.rs = engine_reasm_stats(e),
		.dec = engine_decode_stats(e),
		.as = agg_stats(engine_agg(e)),
		.df = engine_defrag_stats(e),
		.ov = engine_ovpn_stats(e),
		.judged = engine_judge(e) != NULL,
	};
	const struct ctr_values *carried = engine_carried(e);
	size_t id = 0;

	if (s.judged)
		judge_get_stats(engine_judge(e), &s.js);
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < CS_ARRAY_LEN(rows); i++)
		for (unsigned m = 0; m < row_size(&rows[i]) && id < CTR_MAX; m++, id++) {
			uint64_t live = row_value(&s, &rows[i], m), c = carried->v[id];

			if (rows[i].kind == CTR_SUM)
				out->v[id] = live + c;
			else if (rows[i].kind == CTR_MAX_OF)
				out->v[id] = live > c ? live : c;
		}
}

void counters_of_engine(struct engine *e, struct ctr_values *out)
{
	snapshot(e, out);
	counters_derive(out, engine_agg(e), chain_store_count(engine_chains(e)));
}

/* The caps of the report's "caps" group, for the metrics (cs_engine.h): the
 * same rows, the same names, in the same order. */
size_t engine_caps(struct engine *e, struct cs_count *out)
{
	struct ctr_values v;
	size_t n = 0, ids = counters_count();

	snapshot(e, &v);
	for (size_t id = 0; id < ids && n < CS_ENGINE_CAPS; id++)
		if (!strcmp(counter_group(id), "caps") && (!counter_judged(id) || engine_judge(e)))
			out[n++] = (struct cs_count){counter_key(id), v.v[id]};
	return n;
}

void counters_derive(struct ctr_values *v, struct agg *a, size_t max_chain_id)
{
	const struct agg_server *const *sv;
	size_t n, broken = 0, broken_then = 0, id, ok, all;

	sv = agg_sorted(a, &n);
	for (size_t i = 0; i < n; i++) {
		broken += sv[i]->broken_handshakes > 0;
		broken_then += agg_server_broken_then(sv[i]) > 0;
	}
	if ((id = counter_find("totals", "servers_broken", 14)) != SIZE_MAX)
		v->v[id] = broken;
	if ((id = counter_find("totals", "servers_broken_then", 19)) != SIZE_MAX)
		v->v[id] = broken_then;
	/* the handshakes broken on their capture day: the rest of the broken */
	if ((id = counter_find("totals", "broken_then", 11)) != SIZE_MAX &&
	    (ok = counter_find("totals", "ok_at_capture_time", 18)) != SIZE_MAX &&
	    (all = counter_find("totals", "broken_handshakes", 17)) != SIZE_MAX)
		v->v[id] = v->v[all] >= v->v[ok] ? v->v[all] - v->v[ok] : 0;
	if ((id = counter_find("totals", "distinct_chains", 15)) != SIZE_MAX)
		v->v[id] = agg_distinct_chains(a, max_chain_id);
	if ((id = counter_find("totals", "servers", 7)) != SIZE_MAX)
		v->v[id] = n;
}

void counters_delta(const struct ctr_values *a, const struct ctr_values *b, struct ctr_values *out)
{
	size_t n = counters_count();

	for (size_t id = 0; id < n; id++)
		out->v[id] = counter_kind(id) == CTR_SUM
				     ? (a->v[id] >= b->v[id] ? a->v[id] - b->v[id] : 0)
				     : a->v[id];
}

bool counters_add(struct ctr_values *dst, const struct ctr_values *src)
{
	size_t n = counters_count();

	for (size_t id = 0; id < n; id++) {
		if (counter_kind(id) == CTR_SUM) {
			if (__builtin_add_overflow(dst->v[id], src->v[id], &dst->v[id]) ||
			    dst->v[id] > (uint64_t)INT64_MAX)
				return false;
		} else if (counter_kind(id) == CTR_MAX_OF && src->v[id] > dst->v[id]) {
			dst->v[id] = src->v[id];
		}
	}
	return true;
}
