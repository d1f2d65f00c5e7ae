/*
 * metrics.c - the stats line and the Prometheus text-format file
 * (cs_metrics.h).  Owns the interval clock and the counters of the last
 * stats line (its figures are per interval).  Reads the engine, its inputs
 * and the judge; writes the file with atomic_write, so node_exporter never
 * reads half of it.
 * Format: Prometheus text exposition format 0.0.4 (# HELP and # TYPE before
 * each family, every sample of a family together, label values escaped:
 * backslash, double quote, newline).  Names by the Prometheus naming
 * conventions: chainsniff_ prefix, counters end in _total, gauges do not,
 * base units (seconds).
 */
#include "cs_metrics.h"
#include "cs_atomicfile.h"
#include "cs_chain.h"
#include "cs_judge.h"
#include "cs_logfile.h"
#include "cs_timefmt.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* What a stats line counts; a line shows the change since the last one. */
struct stats_snap {
	uint64_t packets, drops, if_drops, handshakes, broken, evictions, caps;
};

struct metrics {
	struct metrics_opts o;
	struct engine *e;
	int64_t started_ns; /* wall clock at start */
	bool ticking;
	int64_t next;           /* end of the current stats interval (ns) */
	struct stats_snap last; /* at the last stats line */
	struct err_once write_err;
};

static int64_t wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * CS_NS_PER_SEC + ts.tv_nsec;
}

struct metrics *metrics_new(const struct metrics_opts *o, struct engine *e)
{
	struct metrics *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->o = *o;
	m->e = e;
	m->started_ns = wall_ns();
	return m;
}

void metrics_free(struct metrics *m) { free(m); }

/* ---- the figures ------------------------------------------------------------------ */

static void snapshot(struct engine *e, struct stats_snap *s)
{
	const struct engine_totals *t = engine_totals(e);
	struct cs_count caps[CS_ENGINE_CAPS];
	size_t n = engine_caps(e, caps);

	memset(s, 0, sizeof(*s));
	s->packets = t->packets;
	s->handshakes = t->tls_handshakes;
	s->broken = t->broken_handshakes;
	for (size_t i = 0; i < engine_ninputs(e); i++) {
		const struct engine_input *in = engine_input(e, i);

		if (in->have_drops) {
			s->drops += in->dropped;
			s->if_drops += in->if_dropped;
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(caps[i].name, "flows_evicted"))
			s->evictions += caps[i].n;
		else
			s->caps += caps[i].n;
	}
}

/* "chainsniff: stats 2026-11-23T05:00:00Z (1h): packets 1200, kernel drops 0,
 * handshakes 30, broken 2, evictions 0, cap hits 0" - changes over the
 * interval that ended at now. */
static void stats_line(struct metrics *m, int64_t now)
{
	struct stats_snap s, *l = &m->last;
	char when[CS_TIME_STRLEN], ifd[64] = "";

	snapshot(m->e, &s);
	fmt_time_s(now / CS_NS_PER_SEC, when, sizeof(when));
	if (s.if_drops > l->if_drops)
		snprintf(ifd, sizeof(ifd), ", interface drops %" PRIu64, s.if_drops - l->if_drops);
	fprintf(stderr,
		"chainsniff: stats %s (%" PRId64 "s): packets %" PRIu64 ", kernel drops %" PRIu64
		"%s, handshakes %" PRIu64 ", broken %" PRIu64 ", evictions %" PRIu64
		", cap hits %" PRIu64 "\n",
		when, m->o.interval_s, s.packets - l->packets, s.drops - l->drops, ifd,
		s.handshakes - l->handshakes, s.broken - l->broken, s.evictions - l->evictions,
		s.caps - l->caps);
	m->last = s;
}

/* ---- the text format --------------------------------------------------------------- */

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static void label_value(FILE *f, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
}

static void sample(FILE *f, const char *name, const char *label, const char *value, uint64_t n)
{
	fputs(name, f);
	if (label) {
		fprintf(f, "{%s=\"", label);
		label_value(f, value);
		fputs("\"}", f);
	}
	fprintf(f, " %" PRIu64 "\n", n);
}

static void one(FILE *f, const char *name, const char *type, const char *help, uint64_t n)
{
	family(f, name, type, help);
	sample(f, name, NULL, NULL, n);
}

static void info(FILE *f, struct metrics *m)
{
	family(f, "chainsniff_info", "gauge",
	       "Always 1; the labels name the version and the sensor.");
	fputs("chainsniff_info{version=\"", f);
	label_value(f, m->o.version);
	fputs("\",sensor=\"", f);
	label_value(f, engine_sensor(m->e));
	fputs("\"} 1\n", f);
	family(f, "chainsniff_start_time_seconds", "gauge",
	       "When this chainsniff process started (Unix time).");
	fprintf(f, "chainsniff_start_time_seconds %" PRId64 "\n",
		(int64_t)(m->started_ns / CS_NS_PER_SEC));
	family(f, "chainsniff_last_packet_time_seconds", "gauge",
	       "Capture time of the last packet read (Unix time; 0 before the first).");
	fprintf(f, "chainsniff_last_packet_time_seconds %" PRId64 "\n",
		(int64_t)(engine_totals(m->e)->packets ? engine_now(m->e) / CS_NS_PER_SEC : 0));
}

/* Per input: packets, filtered; per interface: libpcap's counters. */
static void inputs(FILE *f, struct engine *e)
{
	static const struct {
		const char *name, *help;
	} fams[] = {
		{"chainsniff_input_packets_total", "Frames read, per input (file or interface)."},
		{"chainsniff_input_filtered_total",
		 "Frames left out by the BPF filter or --since/--until, per input."},
		{"chainsniff_kernel_received_total",
		 "Packets the kernel received, per interface (libpcap ps_recv)."},
		{"chainsniff_kernel_drops_total",
		 "Packets the kernel dropped because its buffer was full, per interface (libpcap ps_drop; raise -B)."},
		{"chainsniff_interface_drops_total",
		 "Packets the interface or driver dropped, per interface (libpcap ps_ifdrop)."},
	};
	size_t n = engine_ninputs(e);

	for (size_t k = 0; k < CS_ARRAY_LEN(fams); k++) {
		family(f, fams[k].name, "counter", fams[k].help);
		for (size_t i = 0; i < n; i++) {
			const struct engine_input *in = engine_input(e, i);
			uint64_t v[] = {in->packets, in->filtered, in->received, in->dropped,
					in->if_dropped};

			if (k < 2)
				sample(f, fams[k].name, "input", in->name, v[k]);
			else if (in->live && in->have_drops)
				sample(f, fams[k].name, "interface", in->name, v[k]);
		}
	}
}

static void handshakes(FILE *f, struct engine *e)
{
	const struct engine_totals *t = engine_totals(e);
	const struct {
		const char *name;
		uint64_t n;
	} outcomes[] = {
		{"with_chain", t->with_chain},
		{"tls13", t->tls13},
		{"resumed", t->resumed},
		{"incomplete", t->incomplete},
		{"no_certificate", t->no_certificate},
	};

	one(f, "chainsniff_packets_total", "counter", "Frames read from every input.", t->packets);
	one(f, "chainsniff_bytes_total", "counter", "Wire bytes of the frames read.", t->bytes);
	one(f, "chainsniff_tcp_flows_total", "counter", "TCP connections tracked.", t->tcp_flows);
	one(f, "chainsniff_tls_handshakes_total", "counter",
	    "TCP connections in which a TLS ClientHello or ServerHello was seen.",
	    t->tls_handshakes);
	family(f, "chainsniff_tls_handshake_outcomes_total", "counter",
	       "TLS handshakes by what could be seen of the server's chain.");
	for (size_t i = 0; i < CS_ARRAY_LEN(outcomes); i++)
		sample(f, "chainsniff_tls_handshake_outcomes_total", "outcome", outcomes[i].name,
		       outcomes[i].n);
	family(f, "chainsniff_incomplete_handshakes_total", "counter",
	       "Handshakes whose chain could not be read whole, by reason.");
	for (int i = 0; i < TLS_INC_MAX; i++)
		sample(f, "chainsniff_incomplete_handshakes_total", "reason",
		       tls_incomplete_name((enum tls_incomplete)i), t->incomplete_reason[i]);
	one(f, "chainsniff_broken_handshakes_total", "counter",
	    "Handshakes whose chain was judged broken.", t->broken_handshakes);
	one(f, "chainsniff_unjudged_handshakes_total", "counter",
	    "Handshakes with a chain whose verdict was unknown.", t->unjudged_handshakes);
	one(f, "chainsniff_client_rejections_total", "counter",
	    "Handshakes in which the client sent a fatal alert right after the chain.",
	    t->client_rejections);
}

static void servers(FILE *f, struct engine *e)
{
	const struct agg_server *const *sv;
	size_t n, broken = 0;

	sv = agg_sorted(engine_agg(e), &n);
	for (size_t i = 0; i < n; i++)
		broken += sv[i]->broken_handshakes > 0;
	one(f, "chainsniff_servers", "gauge", "Servers (address, port, SNI) in the report.", n);
	one(f, "chainsniff_servers_broken", "gauge", "Servers with at least one broken handshake.",
	    broken);
	one(f, "chainsniff_distinct_chains", "gauge", "Distinct server chains (by SHA-256).",
	    agg_distinct_chains(engine_agg(e), chain_store_count(engine_chains(e))));
}

static void counters(FILE *f, struct engine *e)
{
	const struct cs_decode_stats *d = engine_decode_stats(e);
	struct cs_count caps[CS_ENGINE_CAPS];
	size_t n = engine_caps(e, caps);

	family(f, "chainsniff_cap_hits_total", "counter",
	       "Times a cap was hit, by cap (the report's caps object).");
	for (size_t i = 0; i < n; i++)
		sample(f, "chainsniff_cap_hits_total", "cap", caps[i].name, caps[i].n);
	family(f, "chainsniff_decode_total", "counter",
	       "Packets skipped or flagged by the decoders, by reason (the report's decode object).");
	for (int i = 0; i < CS_DEC_COUNTER_MAX; i++)
		sample(f, "chainsniff_decode_total", "reason",
		       decode_counter_name((enum cs_decode_counter)i), d->n[i]);
}

static void analysis(FILE *f, struct engine *e)
{
	const struct engine_totals *t = engine_totals(e);
	struct judge *j = engine_judge(e);
	struct judge_store st;
	struct judge_stats js;

	if (!j)
		return;
	judge_get_stats(j, &js);
	judge_stores(j, &st, 1);
	one(f, "chainsniff_analyses_total", "counter",
	    "Full chain analyses (one per distinct chain and validity window).", js.analyses);
	one(f, "chainsniff_analysis_cache_hits_total", "counter",
	    "Handshakes with a chain answered from the verdict cache.",
	    t->with_chain > js.analyses ? t->with_chain - js.analyses : 0);
	one(f, "chainsniff_signature_verifications_total", "counter",
	    "Signatures verified with libcrypto (not from the memo).",
	    js.diag.signature_verifications);
	family(f, "chainsniff_analysis_budget_total", "counter",
	       "Analyses limited by a budget, by budget (the report's diagnosis.budget object).");
	sample(f, "chainsniff_analysis_budget_total", "budget", "analysis_budget",
	       js.budget_exhausted);
	sample(f, "chainsniff_analysis_budget_total", "budget", "deferred", js.deferred);
	sample(f, "chainsniff_analysis_budget_total", "budget", "deferred_overflow",
	       js.deferred_overflow);
	sample(f, "chainsniff_analysis_budget_total", "budget", "parked_cap", t->parked_cap);
	one(f, "chainsniff_trust_store_anchors", "gauge", "Anchors in the trust store in use.",
	    st.anchors);
	one(f, "chainsniff_trust_store_reloads_total", "counter", "Trust store reloads (SIGHUP).",
	    js.reloads);
	one(f, "chainsniff_trust_store_reload_failures_total", "counter",
	    "SIGHUP reloads that failed (the old store stayed in use).", js.reload_failures);
}

struct fill_ctx {
	struct metrics *m;
	const struct metrics_outputs *out;
};

static bool fill(FILE *f, void *ctx)
{
	struct fill_ctx *c = ctx;
	const struct {
		const char *name;
		uint64_t n;
	} outs[] = {
		{"report", c->out->report},
		{"state", c->out->state},
		{"events", c->out->events},
		{"metrics", c->m->write_err.failures},
	};

	info(f, c->m);
	handshakes(f, c->m->e);
	inputs(f, c->m->e);
	servers(f, c->m->e);
	counters(f, c->m->e);
	analysis(f, c->m->e);
	family(f, "chainsniff_output_errors_total", "counter",
	       "Failed writes of chainsniff's outputs, by output (each is said on stderr).");
	for (size_t i = 0; i < CS_ARRAY_LEN(outs); i++)
		sample(f, "chainsniff_output_errors_total", "output", outs[i].name, outs[i].n);
	return true;
}

enum cs_status metrics_write(struct metrics *m, const struct metrics_outputs *out)
{
	struct fill_ctx c = {m, out};

	if (!m->o.path)
		return CS_OK;
	/* 0644: node_exporter runs as another user; nothing here is personal */
	if (atomic_write(AT_FDCWD, m->o.path, 0644, fill, &c, NULL, 0) != CS_OK) {
		err_once_fail(&m->write_err, m->o.path, "write the metrics", errno);
		return CS_IO;
	}
	err_once_ok(&m->write_err, m->o.path, "metrics written again");
	return CS_OK;
}

/* ---- the interval clock ----------------------------------------------------------- */

static int64_t floor_to(int64_t now, int64_t iv)
{
	return now - ((now % iv) + iv) % iv; /* also before 1970 */
}

bool metrics_due(const struct metrics *m, int64_t now)
{
	return m->o.interval_s > 0 && m->ticking && now >= m->next;
}

void metrics_tick(struct metrics *m, int64_t now, const struct metrics_outputs *out)
{
	int64_t iv = m->o.interval_s * CS_NS_PER_SEC;

	if (!iv)
		return;
	if (!m->ticking) { /* the first interval ends at the next multiple */
		m->ticking = true;
		m->next = floor_to(now, iv) + iv;
		snapshot(m->e, &m->last);
		return;
	}
	if (now < m->next)
		return;
	stats_line(m, m->next);
	metrics_write(m, out);
	m->next = floor_to(now, iv) + iv; /* a jump over many intervals: one line */
}
