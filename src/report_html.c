/*
 * report_html.c - the HTML report (cs_report.h): one self-contained page
 * for the daily mail's attachment and the incident ticket.  Inline CSS and
 * an inline SVG trend chart drawn here; no script, nothing fetched: the
 * page's Content-Security-Policy allows no script, no remote load and no
 * style but its own <style> (by SHA-256), so even text that got past the
 * escaping could neither run nor restyle the page.  Readable on a phone
 * (tables scroll sideways, long names break), printable.
 *
 * Markup is only this file's constants; every string from the wire, a
 * certificate, a file or the command line goes through esc_html (the
 * terminal form, then & < > " ' as references), and never into an
 * attribute: ids and classes are made here from ranks and fixed names.
 * Owns no state; renders a report view like the text, JSON and CSV.
 */
#include "cs_report.h"
#include "report_int.h"
#include "cs_addr.h"
#include "cs_chain.h"
#include "cs_codec.h"
#include "cs_escape.h"
#include "cs_problems.h"
#include "cs_timefmt.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* ---- the page's style (its SHA-256 goes into the CSP) -------------------------------- */

static const char css[] =
	"\n:root{color-scheme:light}"
	"body{font:15px/1.45 'DejaVu Sans',system-ui,sans-serif;margin:0 auto;max-width:72rem;"
	"padding:1rem;color:#1d2330;background:#fff}"
	"h1{font-size:1.5rem;margin:.2rem 0}h2{font-size:1.2rem;margin:1.6rem 0 .5rem;"
	"border-bottom:2px solid #d5dae3;padding-bottom:.2rem}h3{font-size:1rem;margin:1.2rem 0 .3rem}"
	".meta{color:#566178;margin:.2rem 0}"
	".stats{display:flex;flex-wrap:wrap;gap:.6rem;margin:.8rem 0;padding:0}"
	".stats div{flex:1 1 9rem;border:1px solid #d5dae3;border-radius:6px;padding:.5rem .7rem}"
	".stats dt{font-size:.8rem;color:#566178}.stats dd{margin:0;font-size:1.5rem;font-weight:bold}"
	".stats .bad dd{color:#b3261e}"
	".scroll{overflow-x:auto}"
	"table{border-collapse:collapse;width:100%;font-size:.9rem}"
	"th,td{text-align:left;vertical-align:top;padding:.3rem .5rem;border-bottom:1px solid #e3e7ee}"
	"th{background:#f2f4f8}td.num,th.num{text-align:right;white-space:nowrap}td.last-seen{white-space:nowrap}"
	".sni,.dn,.wire{overflow-wrap:anywhere;word-break:break-word}"
	".mono,.sha{font-family:'DejaVu Sans Mono',monospace;font-size:.85rem}"
	".sha{overflow-wrap:anywhere}"
	".code{display:inline-block;font-family:'DejaVu Sans Mono',monospace;font-size:.8rem;"
	"border-radius:4px;padding:0 .3rem;margin:0 .2rem .2rem 0;background:#eef0f4}"
	".code.error{background:#fbe3e1;color:#8c1d18}.code.warning{background:#fdf0d5;color:#7a4f01}"
	".status-broken{color:#b3261e;font-weight:bold}.status-ok{color:#1e6b34}"
	".server{border:1px solid #d5dae3;border-radius:6px;padding:.4rem .9rem .8rem;margin:1rem 0;"
	"break-inside:avoid}"
	".problem{border-left:4px solid #e0a800;padding:.1rem .7rem;margin:.6rem 0}"
	".problem.error{border-left-color:#b3261e}"
	".problem p{margin:.2rem 0}.fix{font-weight:bold}.evidence{color:#33415c}"
	".certs{margin:.3rem 0 .3rem 1.2rem;padding:0}.certs li{margin:.3rem 0}"
	".warn{color:#8c1d18}ul.keys{padding-left:1.2rem}"
	"svg.chart{width:100%;height:auto;max-width:48rem;display:block}"
	".chart .bar-servers{fill:#b3261e}.chart .bar-handshakes{fill:#d9822b}"
	".chart .axis{stroke:#566178;stroke-width:1}.chart text{font:11px 'DejaVu Sans',sans-serif;"
	"fill:#33415c}"
	"footer{margin-top:2rem;color:#566178;font-size:.8rem}"
	"@media (max-width:40rem){body{padding:.5rem}.stats dd{font-size:1.2rem}}"
	"@media print{body{max-width:none;font-size:11pt}.scroll{overflow:visible}"
	"a{color:inherit;text-decoration:none}}\n";

/* ---- escaping and small pieces --------------------------------------------------------- */

/* Text for the page: whatever it holds, through the one escaper. */
static void h(FILE *out, const char *s) { esc_html(out, s, strlen(s)); }

static void hn(FILE *out, const char *s, size_t n) { esc_html(out, s, n); }

static void num(FILE *out, uint64_t v)
{
	char buf[32];

	fputs(fmt_count(v, buf, sizeof(buf)), out);
}

/* "2026-11-23 04:00:00" of ns. */
static void when(FILE *out, int64_t ns)
{
	char t[CS_TIME_STRLEN];

	fmt_time_s(ns / CS_NS_PER_SEC, t, sizeof(t));
	t[10] = ' ', t[19] = '\0';
	fputs(t, out);
}

static void endpoint(FILE *out, const struct cs_addr *ip, uint16_t port)
{
	char ep[CS_ENDPOINT_STRLEN];

	cs_endpoint_str(ip, port, ep, sizeof(ep));
	h(out, ep);
}

/* A server named by a list: its SNI (or "no SNI") and its endpoint. */
static void key_item(FILE *out, const struct view_key *k)
{
	fputs("<li><span class=\"sni\">", out);
	if (k->has_sni)
		hn(out, k->sni, k->sni_len);
	else
		fputs("(no SNI)", out);
	fputs("</span> <span class=\"mono\">", out);
	endpoint(out, &k->ip, k->port);
	fputs("</span></li>\n", out);
}

static void key_list(FILE *out, const char *cls, const char *title, const struct view_key *keys,
		     size_t n)
{
	fprintf(out, "<h3>%s (%zu)</h3>\n", title, n);
	if (!n) {
		fprintf(out, "<p class=\"%s none\">none</p>\n", cls);
		return;
	}
	fprintf(out, "<ul class=\"keys %s\">\n", cls);
	for (size_t i = 0; i < n; i++)
		key_item(out, &keys[i]);
	fputs("</ul>\n", out);
}

/* ---- head and headline ----------------------------------------------------------------- */

static void html_head(FILE *out, const struct report_view *v)
{
	uint8_t md[CS_SHA256_LEN];
	char b64[64], span[96] = "";

	chain_hash(&(struct cs_slice){(const uint8_t *)css, sizeof(css) - 1}, 1, md);
	b64_encode_buf(md, sizeof(md), b64);
	if (v->have_time)
		report_time_span(v->first, v->last, span, sizeof(span));
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n", out);
	/* no script, no load from anywhere, only this page's own style block */
	fprintf(out,
		"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
		"script-src 'none'; style-src 'sha256-%s'; img-src 'none'; base-uri 'none'; "
		"form-action 'none'\">\n",
		b64);
	fputs("<meta name=\"referrer\" content=\"no-referrer\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<meta name=\"generator\" content=\"chainsniff " CS_VERSION
	      "\">\n<title>chainsniff: ",
	      out);
	h(out, v->sensor);
	if (span[0])
		fprintf(out, ", %s", span);
	fprintf(out, "</title>\n<style>%s</style>\n</head>\n<body>\n", css);
}

static void stat_box(FILE *out, const char *id, const char *label, uint64_t v, bool bad)
{
	fprintf(out, "<div%s><dt>%s</dt><dd id=\"%s\">", bad && v ? " class=\"bad\"" : "", label,
		id);
	num(out, v);
	fputs("</dd></div>\n", out);
}

static void html_header(FILE *out, const struct report_view *v)
{
	char span[96];

	fputs("<header>\n<h1>TLS certificate chains: what clients were sent</h1>\n<p class=\"meta\">"
	      "sensor <span class=\"wire\" id=\"sensor\">",
	      out);
	h(out, v->sensor);
	fputs("</span>", out);
	if (v->have_time) {
		report_time_span(v->first, v->last, span, sizeof(span));
		fprintf(out, " · <span id=\"span\">%s</span>", span);
	}
	if (v->nsensors)
		fprintf(out, " · merged from %zu report%s", v->nsensors,
			v->nsensors == 1 ? "" : "s");
	fputs("</p>\n<p class=\"meta\">", out);
	if (v->have_trust && v->trust.sha256) {
		char n[64];

		fprintf(out, "trust store: %s, ",
			report_count_of(v->trust.anchors, "anchor", "anchors", n, sizeof(n)));
		h(out, v->trust.name);
	} else if (v->have_trust) {
		fputs("trust store: differs between the reports merged", out);
	} else {
		fputs("chains not judged (no trust store)", out);
	}
	if (v->have_trust && v->trust_at.mode && strcmp(v->trust_at.mode, "today")) {
		fputs(" · judged with Mozilla's store as it stood on ", out);
		h(out, !strcmp(v->trust_at.mode, "capture") ? "each handshake's capture day"
		       : v->trust_at.date                   ? v->trust_at.date
							    : "another day");
	}
	fputs("</p>\n</header>\n", out);
}

/* Distinct clients that rejected a server's chain with a fatal alert. */
static uint64_t rejecting_clients(const struct report_view *v)
{
	struct clientset all;
	uint64_t n;

	clientset_init(&all);
	for (size_t i = 0; i < v->nservers; i++)
		for (uint32_t k = 0; k < v->servers[i]->nrejections; k++)
			clientset_merge(&all, &v->servers[i]->rejections[k].clients);
	n = clientset_count(&all);
	clientset_fini(&all);
	return n;
}

static void html_headline(FILE *out, const struct report_view *v)
{
	const struct ctr_values *c = &v->counters;

	fputs("<section id=\"headline\">\n<h2>Headline</h2>\n<dl class=\"stats\">\n", out);
	stat_box(out, "servers_broken", "servers broken",
		 report_counter(c, "totals", "servers_broken"), true);
	stat_box(out, "broken_handshakes", "handshakes sent a broken chain",
		 report_counter(c, "totals", "broken_handshakes"), true);
	if (report_counter(c, "totals",
			   "ok_at_capture_time")) { /* the store of each capture's day */
		stat_box(out, "broken_then", "handshakes broken on their capture day",
			 report_counter(c, "totals", "broken_then"), true);
		stat_box(out, "ok_at_capture_time",
			 "broken only with today's store (their root left it)",
			 report_counter(c, "totals", "ok_at_capture_time"), false);
	}
	stat_box(out, "clients_affected", "distinct clients affected", report_broken_clients(v),
		 true);
	stat_box(out, "rejecting_clients", "clients that rejected a chain", rejecting_clients(v),
		 true);
	stat_box(out, "client_rejections", "handshakes a client rejected",
		 report_counter(c, "totals", "client_rejections"), true);
	stat_box(out, "servers", "servers seen", v->nservers, false);
	stat_box(out, "tls_handshakes", "TLS handshakes",
		 report_counter(c, "totals", "tls_handshakes"), false);
	fputs("</dl>\n</section>\n", out);
}

/* Packets, kernel drops, caps hit and the inputs that failed: whether the
 * numbers above can be trusted. */
static void html_health(FILE *out, const struct report_view *v)
{
	const struct ctr_values *c = &v->counters;
	uint64_t dropped = 0, received = 0, filtered = 0, caps = 0;
	bool have_drops = false;
	size_t n = counters_count(), shown = 0;

	for (size_t i = 0; i < v->ninputs; i++) {
		have_drops = have_drops || v->inputs[i].have_drops;
		dropped += v->inputs[i].dropped;
		received += v->inputs[i].received;
		filtered += v->inputs[i].filtered;
	}
	for (size_t id = 0; id < n; id++)
		if (!strcmp(counter_group(id), "caps"))
			caps += c->v[id];
	fputs("<section id=\"health\">\n<h2>Capture health</h2>\n<dl class=\"stats\">\n", out);
	stat_box(out, "packets", "packets", report_counter(c, "totals", "packets"), false);
	if (have_drops)
		stat_box(out, "kernel_dropped", "dropped by the kernel", dropped, true);
	stat_box(out, "caps_hit", "caps hit", caps, true);
	stat_box(out, "incomplete", "incomplete handshakes",
		 report_counter(c, "totals", "incomplete"), false);
	fputs("</dl>\n<ul class=\"health\">\n", out);
	if (have_drops)
		fprintf(out, "<li>the kernel dropped %" PRIu64 " of %" PRIu64 " packets%s</li>\n",
			dropped, received,
			dropped ? ": handshakes may be incomplete (raise -B)" : "");
	else
		fputs("<li>kernel drops: not measured (capture files)</li>\n", out);
	if (filtered)
		fprintf(out, "<li>%" PRIu64 " packets removed by the filter (-f)</li>\n", filtered);
	for (size_t id = 0; id < n; id++)
		if (!strcmp(counter_group(id), "caps") && c->v[id])
			fprintf(out,
				"<li class=\"warn\">cap <span class=\"mono\">caps.%s</span> hit %" PRIu64
				" times: this report is partial (docs/report-format.md)</li>\n",
				counter_key(id), c->v[id]);
	for (size_t i = 0; i < v->ninputs && shown < CS_HTML_MAX_INPUT_NOTES; i++) {
		const struct engine_input *in = &v->inputs[i];

		for (unsigned k = 0; k < in->nerrors && shown < CS_HTML_MAX_INPUT_NOTES;
		     k++, shown++) {
			fputs("<li class=\"warn\"><span class=\"wire\">", out);
			h(out, in->name ? in->name : "-");
			fputs("</span>: ", out);
			h(out, in->errors[k]);
			fputs("</li>\n", out);
		}
	}
	fputs("</ul>\n</section>\n", out);
}

/* ---- became broken, fixed, the trend --------------------------------------------------- */

static void html_window(FILE *out, const struct report_view *v)
{
	const struct view_window *w = v->window;
	char span[96];

	report_time_span(w->start, w->end, span, sizeof(span));
	fputs("<section id=\"changes\">\n<h2>Changes</h2>\n<p>", out);
	if (w->own) {
		const struct ctr_values *c = &w->own->counters;

		fprintf(out, "Window %s (%s), compared with the previous one: ", span, w->kind);
		num(out, report_counter(c, "totals", "tls_handshakes"));
		fputs(" TLS handshakes, ", out);
		num(out, report_counter(c, "totals", "broken_handshakes"));
		fputs(" sent a broken chain, ", out);
		num(out, report_counter(c, "totals", "servers_broken"));
		fputs(" servers broken in it.", out);
	} else {
		fprintf(out, "%s: the last window merged compared with the first.", span);
	}
	fputs("</p>\n", out);
	key_list(out, "became-broken", "Became broken", w->became_broken, w->n_broken);
	key_list(out, "fixed", "Fixed", w->fixed, w->n_fixed);
	fputs("</section>\n", out);
}

/* The windows merged, summed per span (several sensors' windows of one
 * hour are one point), in time order. */
struct point {
	int64_t start, end;
	uint64_t servers, handshakes;
};

static int point_cmp(const void *a, const void *b)
{
	const struct point *x = a, *y = b;

	if (x->start != y->start)
		return (x->start > y->start) - (x->start < y->start);
	return (x->end > y->end) - (x->end < y->end);
}

static size_t points_of(const struct report_view *v, struct point *p)
{
	size_t n = 0;

	for (size_t i = 0; i < v->nwindows; i++)
		p[i] = (struct point){v->windows[i].start, v->windows[i].end,
				      v->windows[i].servers_broken,
				      v->windows[i].broken_handshakes};
	qsort(p, v->nwindows, sizeof(*p), point_cmp);
	for (size_t i = 0; i < v->nwindows; i++) {
		if (n && p[n - 1].start == p[i].start && p[n - 1].end == p[i].end) {
			p[n - 1].servers += p[i].servers;
			p[n - 1].handshakes += p[i].handshakes;
		} else {
			p[n++] = p[i];
		}
	}
	return n;
}

/* Chart geometry (SVG user units): a panel per series, bars per window. */
#define CH_W 720.0
#define CH_LEFT 56.0
#define CH_RIGHT 12.0
#define CH_TOP 22.0
#define CH_PLOT 110.0
#define CH_H (CH_TOP + CH_PLOT + 34.0)

/* One panel: a bar per point, the value's scale from 0 to the largest. */
static void chart_panel(FILE *out, const char *id, const char *title, const char *cls,
			const struct point *p, size_t n, bool servers)
{
	uint64_t max = 1;
	double pw = CH_W - CH_LEFT - CH_RIGHT, bw = pw / (double)n, base = CH_TOP + CH_PLOT;

	for (size_t i = 0; i < n; i++) {
		uint64_t y = servers ? p[i].servers : p[i].handshakes;

		max = y > max ? y : max;
	}
	fprintf(out,
		"<svg class=\"chart\" id=\"%s\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" "
		"aria-label=\"%s\" xmlns=\"http://www.w3.org/2000/svg\">\n<title>%s</title>\n",
		id, CH_W, CH_H, title, title);
	fprintf(out, "<text x=\"%.0f\" y=\"14\">%s</text>\n", CH_LEFT, title);
	for (size_t i = 0; i < n; i++) {
		uint64_t y = servers ? p[i].servers : p[i].handshakes;
		double bh = CH_PLOT * (double)y / (double)max, gap = bw > 4 ? bw * 0.15 : 0;

		fprintf(out,
			"<rect class=\"%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\">"
			"<title>",
			cls, CH_LEFT + (double)i * bw + gap / 2, base - bh,
			bw - gap > 0.5 ? bw - gap : 0.5, bh);
		when(out, p[i].start);
		fprintf(out, " UTC: %" PRIu64 "</title></rect>\n", y);
	}
	fprintf(out, "<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n",
		CH_LEFT, base, CH_W - CH_RIGHT, base);
	fprintf(out, "<line class=\"axis\" x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>\n",
		CH_LEFT, CH_TOP, CH_LEFT, base);
	fprintf(out, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%" PRIu64 "</text>\n",
		CH_LEFT - 6, CH_TOP + 8, max);
	fprintf(out, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">0</text>\n", CH_LEFT - 6,
		base);
	fprintf(out, "<text x=\"%.0f\" y=\"%.0f\">", CH_LEFT, base + 16);
	when(out, p[0].start);
	fprintf(out, "</text>\n<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">", CH_W - CH_RIGHT,
		base + 16);
	when(out, p[n - 1].end);
	fputs(" UTC</text>\n</svg>\n", out);
}

static void windows_table(FILE *out, const struct report_view *v)
{
	fputs("<details open>\n<summary>The windows merged</summary>\n<div class=\"scroll\">\n"
	      "<table class=\"windows\">\n<thead><tr><th>start (UTC)</th><th>end</th><th>sensor</th>"
	      "<th>kind</th><th class=\"num\">TLS handshakes</th><th class=\"num\">broken handshakes"
	      "</th><th class=\"num\">servers broken</th></tr></thead>\n<tbody>\n",
	      out);
	for (size_t i = 0; i < v->nwindows; i++) {
		const struct view_series *s = &v->windows[i];

		fputs("<tr class=\"window\"><td class=\"start\">", out);
		when(out, s->start);
		fputs("</td><td class=\"end\">", out);
		when(out, s->end);
		fputs("</td><td class=\"wire\">", out);
		h(out, s->sensor);
		fputs("</td><td>", out);
		h(out, s->kind);
		fprintf(out,
			"</td><td class=\"num handshakes\">%" PRIu64 "</td><td class=\"num "
			"broken_handshakes\">%" PRIu64
			"</td><td class=\"num servers_broken\">%" PRIu64 "</td></tr>\n",
			s->handshakes, s->broken_handshakes, s->servers_broken);
	}
	fputs("</tbody>\n</table>\n</div>\n</details>\n", out);
}

static void html_trend(FILE *out, const struct report_view *v)
{
	struct point *p = calloc(v->nwindows, sizeof(*p));
	size_t n;

	fputs("<section id=\"trend\">\n<h2>Trend</h2>\n", out);
	if (!p) {
		fputs("<p class=\"warn\">out of memory: no chart</p>\n", out);
	} else {
		n = points_of(v, p);
		fprintf(out, "<p>%zu window%s merged, %zu span%s.</p>\n", v->nwindows,
			v->nwindows == 1 ? "" : "s", n, n == 1 ? "" : "s");
		chart_panel(out, "trend-servers", "Broken servers per window", "bar-servers", p, n,
			    true);
		chart_panel(out, "trend-handshakes", "Broken handshakes per window",
			    "bar-handshakes", p, n, false);
	}
	free(p);
	windows_table(out, v);
	fputs("</section>\n", out);
}

/* ---- the ranked table ------------------------------------------------------------------ */

static bool listed(const struct agg_server *s, const struct report_opts *ro)
{
	return s->broken_handshakes || ro->all;
}

static void codes(FILE *out, const struct report_view *v, const struct agg_server *s)
{
	struct view_problem probs[REPORT_MAX_CODES];
	size_t n = report_server_codes(v, s, probs, REPORT_MAX_CODES);

	for (size_t i = 0; i < n; i++) {
		fprintf(out, "<span class=\"code %s\">", severity_name(probs[i].p.severity));
		h(out, probs[i].code);
		fputs("</span>", out);
	}
	if (!n)
		fputs(s->handshakes ? "-" : "(no chain visible)", out);
}

static void sni_cell(FILE *out, const struct agg_server *s)
{
	if (s->has_sni)
		hn(out, s->sni, s->sni_len);
	else
		fprintf(out, "(%s)", report_sni_status(s));
}

static void table_row(FILE *out, const struct report_view *v, const struct agg_server *s,
		      size_t rank)
{
	const char *st = report_server_status(s);

	fprintf(out,
		"<tr class=\"server\" id=\"row-%zu\"><td class=\"num rank\"><a href=\"#server-%zu\">"
		"%zu</a></td><td class=\"sni\">",
		rank, rank, rank);
	sni_cell(out, s);
	fputs("</td><td class=\"mono endpoint\">", out);
	endpoint(out, &s->ip, s->port);
	fprintf(out, "</td><td class=\"status-%s status\">%s", st, st);
	if (s->broken_handshakes && !agg_server_broken_then(s))
		fputs(" <span class=\"then\">(fine on its capture day)</span>", out);
	fputs("</td><td class=\"num broken\">", out);
	num(out, s->broken_handshakes);
	fputs("</td><td class=\"num handshakes\">", out);
	num(out, s->handshakes);
	fputs("</td><td class=\"num clients\">", out);
	num(out, clientset_count(&s->clients));
	fputs("</td><td class=\"codes\">", out);
	codes(out, v, s);
	fputs("</td><td class=\"last-seen\">", out);
	when(out, s->last_seen);
	fputs("</td></tr>\n", out);
}

/* Rows listed: broken servers (every server with --all), at most --top. */
static size_t rows_of(const struct report_view *v, const struct report_opts *ro, size_t *more)
{
	size_t rows = 0, all = 0;

	for (size_t i = 0; i < v->nservers; i++)
		if (listed(v->servers[i], ro)) {
			all++;
			rows += !ro->top || rows < ro->top;
		}
	*more = all - rows;
	return rows;
}

static void html_table(FILE *out, const struct report_view *v, const struct report_opts *ro,
		       size_t rows, size_t more)
{
	size_t rank = 0;

	fprintf(out, "<section id=\"broken-servers\">\n<h2>%s</h2>\n",
		ro->all ? "Servers" : "Broken servers");
	if (!rows) {
		fputs("<p id=\"no-broken\">No broken chain seen.</p>\n</section>\n", out);
		return;
	}
	fputs("<div class=\"scroll\">\n<table class=\"servers\">\n<thead><tr><th class=\"num\">#</th>"
	      "<th>SNI</th><th>server</th><th>status</th><th class=\"num\">broken</th>"
	      "<th class=\"num\">handshakes</th><th class=\"num\">clients</th><th>problems</th>"
	      "<th>last seen (UTC)</th></tr></thead>\n<tbody>\n",
	      out);
	for (size_t i = 0; i < v->nservers && rank < rows; i++)
		if (listed(v->servers[i], ro))
			table_row(out, v, v->servers[i], ++rank);
	fputs("</tbody>\n</table>\n</div>\n", out);
	if (more)
		fprintf(out, "<p>%zu more not listed (--top).</p>\n", more);
	fputs("</section>\n", out);
}

/* ---- a server's details ---------------------------------------------------------------- */

/* Which intermediate to append and who served it (missing_intermediate). */
static void evidence(FILE *out, const struct view_problem *vp, const struct view_chain *vc)
{
	const struct diag_evidence_rec *ev = vp->earlier ? NULL : vc->evidence;
	char hex[2 * CS_SHA256_LEN + 1];

	if (vp->p.code != CS_P_MISSING_INTERMEDIATE)
		return;
	fputs("<p class=\"evidence\">evidence: ", out);
	h(out, evidence_name(ev ? ev->kind : DIAG_EV_NONE));
	if (ev && ev->have_cert) {
		hex_lower(ev->sha256, CS_SHA256_LEN, hex);
		fprintf(out,
			"; the intermediate to append: sha256 <span class=\"sha\">%s</span>, served by "
			"<span class=\"wire\">",
			hex);
		hn(out, ev->source, strnlen(ev->source, sizeof(ev->source)));
		fprintf(out, "</span>%s",
			ev->completes ? " (appending it completes the chain)" : "");
	}
	if (vp->p.text[0]) {
		fputs("; AIA <span class=\"wire\">", out);
		h(out, vp->p.text);
		fputs("</span>", out);
	}
	fputs("</p>\n", out);
}

static void problem(FILE *out, const struct agg_server *s, const struct agg_chain *ac,
		    const struct view_problem *vp, const struct view_chain *vc)
{
	const char *sev = severity_name(vp->p.severity);
	char msg[REPORT_MSG_LEN], fix[REPORT_FIX_LEN];

	report_words(s, ac, vp, vc, msg, sizeof(msg), fix, sizeof(fix));
	fprintf(out, "<div class=\"problem %s\">\n<p><span class=\"code %s\">", sev, sev);
	h(out, vp->code);
	fprintf(out, "</span> %s", sev);
	if (vp->p.cert_index >= 0)
		fprintf(out, ", certificate #%d", vp->p.cert_index);
	fputs("</p>\n<p class=\"message wire\">", out);
	h(out, msg);
	fputs("</p>\n<p class=\"fix wire\">fix: ", out);
	h(out, fix);
	fputs("</p>\n", out);
	evidence(out, vp, vc);
	fputs("<p class=\"meta\">docs/problems.md#", out);
	h(out, vp->code);
	fputs("</p>\n</div>\n", out);
}

static void cert_item(FILE *out, size_t i, struct cs_cert *cert)
{
	const struct cs_cert_facts *ci = cert_facts(cert);
	char hex[2 * CS_SHA256_LEN + 1], nb[CS_TIME_STRLEN], na[CS_TIME_STRLEN];

	hex_lower(cert->sha256, CS_SHA256_LEN, hex);
	fprintf(out, "<li class=\"cert\">#%zu ", i);
	if (!ci->parsed) {
		fprintf(out, "(unparseable certificate, %zu bytes)", cert->der_len);
	} else {
		fmt_time_s(ci->not_before, nb, sizeof(nb));
		fmt_time_s(ci->not_after, na, sizeof(na));
		fputs("<span class=\"dn subject\">", out);
		h(out, ci->subject);
		fputs("</span><br>issuer <span class=\"dn issuer\">", out);
		h(out, ci->issuer);
		fprintf(out, "</span><br>valid %s to %s", nb, na);
	}
	fprintf(out, "<br>sha256 <span class=\"sha\">%s</span></li>\n", hex);
}

static void rejections(FILE *out, const struct agg_server *s)
{
	if (!s->nrejections && !agg_rejected_but_judged_ok(s))
		return;
	fputs("<ul class=\"rejections\">\n", out);
	for (uint32_t i = 0; i < s->nrejections; i++) {
		const struct agg_rejection *r = &s->rejections[i];
		char c[48];

		fputs("<li>clients rejected the chain: ", out);
		num(out, r->handshakes);
		fputs(" x alert <span class=\"mono\">", out);
		h(out, tls_alert_name(r->alert));
		fprintf(out, "</span> from %s",
			report_count_of(clientset_count(&r->clients), "client", "clients", c,
					sizeof(c)));
		for (uint32_t k = 0; k < r->nfp && k < 3; k++) {
			fputs(k ? ", " : " (", out);
			fputs("JA3 <span class=\"mono\">", out);
			h(out, r->fp[k].ja3);
			fputs("</span> JA4 <span class=\"mono\">", out);
			h(out, r->fp[k].ja4);
			fputs("</span>", out);
		}
		fprintf(out, "%s</li>\n", r->nfp > 3 ? ", ...)" : r->nfp ? ")" : "");
	}
	if (agg_rejected_but_judged_ok(s))
		fputs("<li class=\"warn\">real clients rejected a chain judged fine here: check their "
		      "trust store, their clock, or a middlebox</li>\n",
		      out);
	fputs("</ul>\n", out);
}

static void server_details(FILE *out, const struct report_view *v, const struct agg_server *s,
			   size_t rank)
{
	struct view_problem probs[CS_DIAG_MAX_PROBLEMS];
	struct view_chain vc;
	char hex[2 * CS_SHA256_LEN + 1], a[48], b[48];

	fprintf(out, "<article class=\"server\" id=\"server-%zu\">\n<h3>%zu. <span class=\"sni\">",
		rank, rank);
	sni_cell(out, s);
	fputs("</span> <span class=\"mono\">", out);
	endpoint(out, &s->ip, s->port);
	fprintf(out,
		"</span></h3>\n<p><span class=\"status-%s\">%s</span>: ", report_server_status(s),
		report_server_status(s));
	num(out, s->broken_handshakes);
	fprintf(out, " of %s broken (%s in all), clients affected ",
		report_count_of(s->handshakes, "handshake", "handshakes", a, sizeof(a)),
		report_count_of(s->tls_handshakes, "TLS handshake", "TLS handshakes", b,
				sizeof(b)));
	num(out, clientset_count(&s->clients));
	fputs("; first seen ", out);
	when(out, s->first_seen);
	fputs(", last seen ", out);
	when(out, s->last_seen);
	fputs(" UTC</p>\n", out);
	rejections(out, s);
	for (uint32_t i = 0; i < s->nchains; i++) {
		const struct agg_chain *ac = &s->chains[i];
		size_t np = v->problems(v, s, ac, probs, CS_DIAG_MAX_PROBLEMS, &vc);

		hex_lower(ac->chain->sha256, CS_SHA256_LEN, hex);
		fprintf(out,
			"<section class=\"chain\">\n<p>chain <span class=\"sha\">%.16s</span> "
			"(%s): ",
			hex, report_chain_status(ac));
		fprintf(out, "%s, %s, ",
			report_count_of(ac->chain->n_certs, "certificate", "certificates", a,
					sizeof(a)),
			report_count_of(ac->handshakes, "handshake", "handshakes", b, sizeof(b)));
		num(out, ac->broken_handshakes);
		fputs(" broken</p>\n", out);
		for (size_t k = 0; k < np; k++)
			problem(out, s, ac, &probs[k], &vc);
		fputs("<p>as sent:</p>\n<ol class=\"certs\" start=\"0\">\n", out);
		for (size_t k = 0; k < ac->chain->n_certs; k++)
			cert_item(out, k, ac->chain->certs[k]);
		fputs("</ol>\n</section>\n", out);
	}
	fputs("</article>\n", out);
}

static void html_details(FILE *out, const struct report_view *v, const struct report_opts *ro,
			 size_t rows)
{
	size_t rank = 0;

	if (!rows)
		return;
	fputs("<section id=\"details\">\n<h2>Details</h2>\n", out);
	for (size_t i = 0; i < v->nservers && rank < rows; i++)
		if (listed(v->servers[i], ro))
			server_details(out, v, v->servers[i], ++rank);
	fputs("</section>\n", out);
}

/* ---- the page -------------------------------------------------------------------------- */

void report_view_html(FILE *out, const struct report_view *v, const struct report_opts *ro)
{
	size_t more, rows = rows_of(v, ro, &more);

	html_head(out, v);
	html_header(out, v);
	html_headline(out, v);
	html_health(out, v);
	if (v->window)
		html_window(out, v);
	if (v->nwindows)
		html_trend(out, v);
	html_table(out, v, ro, rows, more);
	html_details(out, v, ro, rows);
	fputs("<footer>chainsniff " CS_VERSION " · problem codes: docs/problems.md · fields: "
	      "docs/report-format.md</footer>\n</body>\n</html>\n",
	      out);
}

void report_html(FILE *out, struct engine *e, const struct report_opts *ro)
{
	struct engine_view ev;

	view_of_engine(&ev, e);
	report_view_html(out, &ev.v, ro);
}
