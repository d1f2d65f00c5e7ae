/*
 * view.c - the engine's side of the report view (cs_view.h): a run's
 * cumulative report as a view, and each chain's problems as the sensor
 * knows them (the cached verdict of its latest handshake, its hostname
 * check, the codes of earlier handshakes).  Owns nothing; no analysis here,
 * only verdicts judge.c made and keeps.
 */
#include "cs_view.h"
#include "cs_timeline.h"
#include "cs_addr.h"

#include <string.h>

void view_key_of(struct view_key *k, const struct agg_server *s)
{
	memset(k, 0, sizeof(*k));
	k->ip = s->ip;
	k->port = s->port;
	k->has_sni = s->has_sni;
	k->sni_len = s->sni_len;
	memcpy(k->sni, s->sni, s->sni_len);
}

/* The aggregate's tie-break: address, port, then SNI (none first). */
int view_key_cmp(const struct view_key *a, const struct view_key *b)
{
	return agg_key_cmp(&(struct agg_key){&a->ip, a->port, a->has_sni, a->sni, a->sni_len},
			   &(struct agg_key){&b->ip, b->port, b->has_sni, b->sni, b->sni_len});
}

/* One record as the report shows it. */
static struct view_problem shown(const struct report_view *v, const struct diag_problem *p,
				 bool earlier)
{
	return (struct view_problem){.p = *p,
				     .earlier = earlier,
				     .code = problem_name(p->code),
				     .warn_days = v->warn_days};
}

size_t view_engine_problems(const struct report_view *v, const struct agg_server *s,
			    const struct agg_chain *ac, struct view_problem *out, size_t max,
			    struct view_chain *vc)
{
	struct judge *j = engine_judge(v->producer);
	const struct diag_verdict *d = ac->verdict;
	uint32_t have = 0;
	size_t n = 0;

	*vc = (struct view_chain){
		.leaf_names = d ? d->leaf_names : "",
		.evidence = j ? judge_evidence(j, ac->chain) : NULL,
		.unknown_reason = d ? d->unknown_reason : DIAG_UNK_NONE,
		.then = d ? d->then : NULL,
	};
	for (size_t i = 0; d && i < d->nproblems && n < max; i++, n++) {
		out[n] = shown(v, &d->problems[i], false);
		have |= 1u << d->problems[i].code;
	}
	if (ac->hostname_mismatch && s->has_sni && n < max) {
		const struct cs_cert_facts *leaf = cert_facts(ac->chain->certs[0]);
		struct diag_problem p = {
			.code = CS_P_HOSTNAME_MISMATCH,
			.severity = CS_SEV_ERROR,
			.cert_index = 0,
			.role = CS_ROLE_LEAF,
			.subject = leaf->parsed ? leaf->subject : "",
			.name = "",
			.text = "",
		};

		out[n++] = shown(v, &p, false);
		have |= 1u << CS_P_HOSTNAME_MISMATCH;
	}
	if (ac->key_usage_suite && n < max) {
		struct diag_problem p;

		if (diag_key_usage_problem(d, ac->key_usage_suite, &p)) {
			const struct cs_cert_facts *leaf = cert_facts(ac->chain->certs[0]);

			p.subject = leaf->parsed ? leaf->subject : "";
			out[n++] = shown(v, &p, false);
			have |= 1u << CS_P_KEY_USAGE_MISMATCH;
		}
	}
	for (int code = 0; code < CS_P_MAX && n < max; code++) {
		struct diag_problem p = {
			.code = (enum cs_problem)code,
			.severity = problem_default_severity((enum cs_problem)code),
			.cert_index = -1,
			.subject = "",
			.name = "",
			.text = "",
		};

		if ((ac->problems & (1u << code)) && !(have & (1u << code)))
			out[n++] = shown(v, &p, true);
	}
	return n;
}

/* A day, "2020-12-11", into buf (CS_TIME_STRLEN). */
static const char *day_of(int64_t s, char *buf)
{
	fmt_time_s(s, buf, CS_TIME_STRLEN);
	buf[10] = '\0';
	return buf;
}

/* --trust-at: which store judged, and the root-store timeline. */
static void trust_at_of(struct engine_view *ev, const struct judge *j)
{
	static const char *const modes[] = {
		[DIAG_TRUST_TODAY] = "today",
		[DIAG_TRUST_CAPTURE] = "capture",
		[DIAG_TRUST_DATE] = "date",
	};
	const struct cs_timeline *tl = judge_timeline(j);
	struct view_trust_at *t = &ev->v.trust_at;
	int64_t date;
	int mode = judge_trust_at(j, &date);

	t->mode = modes[mode];
	t->date = mode == DIAG_TRUST_DATE      ? day_of(date, ev->date)
		  : mode == DIAG_TRUST_CAPTURE ? "capture"
					       : NULL;
	t->have_timeline = tl != NULL;
	if (!tl)
		return;
	t->tl_name = timeline_name(tl);
	t->tl_source = timeline_source(tl);
	t->tl_sha256 = timeline_digest(tl);
	t->tl_start = day_of(timeline_start(tl), ev->tl_start);
	t->tl_end = day_of(timeline_end(tl), ev->tl_end);
}

void view_of_engine(struct engine_view *ev, struct engine *e)
{
	struct report_view *v = &ev->v;
	struct judge *j = engine_judge(e);

	memset(v, 0, sizeof(*v));
	v->sensor = engine_sensor(e);
	v->client_key_id = clientset_key_id();
	v->have_time = engine_time_range(e, &v->first, &v->last);
	if (j) {
		size_t ns = judge_stores(j, ev->stores, CS_VIEW_MAX_STORES);

		for (size_t i = 0; i < ns; i++)
			ev->vstores[i] = (struct view_store){
				ev->stores[i].name,
				ev->stores[i].sha256,
				ev->stores[i].anchors,
				i + 1 < ns ? ev->stores[i + 1].loaded_ns : 0,
			};
		v->have_trust = ns > 0;
		if (ns)
			v->trust = ev->vstores[ns - 1];
		v->earlier = ev->vstores;
		v->nearlier = ns ? ns - 1 : 0;
		v->warn_days = judge_warn_days(j);
		trust_at_of(ev, j);
	} else {
		v->warn_days = CS_DIAG_WARN_DAYS_DEFAULT;
	}
	v->have_at = engine_at(e, &v->at);
	v->inputs = engine_input(e, 0); /* the inputs of this run are one array */
	v->ninputs = engine_ninputs(e);
	counters_of_engine(e, &v->counters);
	v->servers = agg_sorted(engine_agg(e), &v->nservers);
	v->names = e;
	v->problems = view_engine_problems;
	v->producer = e;
}
