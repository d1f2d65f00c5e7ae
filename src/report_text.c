/*
 * report_text.c - the text report (cs_report.h): for a person, on a
 * terminal of any width or in a file (100 columns).  Nothing is cut: long
 * names continue on the next lines of their column, paragraphs wrap at
 * spaces.  Every wire string through esc_term.  Owns no state.
 */
#include "cs_report.h"
#include "report_int.h"
#include "cs_addr.h"
#include "cs_codec.h"
#include "cs_escape.h"
#include "cs_timefmt.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* ---- text: escaping, widths, wrapping ---------------------------------------------- */

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

unsigned report_width(int fd)
{
	struct winsize ws;
	const char *cols = getenv("COLUMNS");
	long n = 0;

	if (!isatty(fd))
		return 100;
	if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
		n = ws.ws_col;
	else if (cols)
		n = strtol(cols, NULL, 10);
	if (n <= 0)
		return 100;
	return n < 60 ? 60 : n > 1000 ? 1000 : (unsigned)n;
}

static unsigned width_of(const struct report_opts *ro) { return ro->width ? ro->width : 100; }

/* The terminal form of n wire bytes, NUL-terminated (free() it); NULL
 * when memory runs out. */
static char *term_text(const char *s, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);

	if (!m)
		return NULL;
	esc_term(m, s, n);
	if (fclose(m) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

static size_t code_points(const char *s, size_t n)
{
	size_t k = 0;

	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xc0) != 0x80;
	return k;
}

/* Bytes of the first k code points of s. */
static size_t cp_bytes(const char *s, size_t k)
{
	size_t i = 0;

	while (s[i] && k) {
		i++;
		while (((unsigned char)s[i] & 0xc0) == 0x80)
			i++;
		k--;
	}
	return i;
}

static void pad(FILE *out, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fputc(' ', out);
}

/* An escaped paragraph (in text, NUL-terminated) word-wrapped at width
 * with a hanging indent; a word longer than a line is broken. */
static void wrap_escaped(FILE *out, const char *text, size_t first_col, size_t indent, size_t width)
{
	size_t col = first_col, room = width > indent + 10 ? width - indent : 10;
	const char *p = text;
	bool line_start = true;

	while (*p) {
		size_t wlen = strcspn(p, " "), wcp = code_points(p, wlen);

		if (wlen == 0) {
			p++;
			continue;
		}
		if (!line_start && col + 1 + wcp > width) {
			fprintf(out, "\n%*s", (int)indent, "");
			col = indent;
			line_start = true;
		} else if (!line_start) {
			fputc(' ', out);
			col++;
		}
		while (wcp > room && col == indent) { /* longer than a line: broken */
			size_t b = cp_bytes(p, room);

			fwrite(p, 1, b, out);
			fprintf(out, "\n%*s", (int)indent, "");
			p += b, wlen -= b, wcp -= room;
		}
		fwrite(p, 1, wlen, out);
		col += wcp;
		p += wlen;
		line_start = false;
	}
	fputc('\n', out);
}

/* wrap_escaped of wire-or-mixed text, escaped here. */
static void wrapped(FILE *out, const char *text, size_t first_col, size_t indent, size_t width)
{
	char *t = term_text(text, strlen(text));

	if (t)
		wrap_escaped(out, t, first_col, indent, width);
	free(t);
}

/* Items joined by " · ", wrapped at width before an item that does not
 * fit (continued two columns in). */
static void dotted(FILE *out, const char *const *items, size_t n, size_t width)
{
	size_t col = 0;

	for (size_t i = 0; i < n; i++) {
		size_t len = code_points(items[i], strlen(items[i]));

		if (i && col + 3 + len > width) {
			fputs("\n  ", out);
			col = 2;
		} else if (i) {
			fputs(" · ", out);
			col += 3;
		}
		fputs(items[i], out);
		col += len;
	}
	fputc('\n', out);
}

/* ---- text: the report ------------------------------------------------------------- */

static void text_time_range(const struct report_view *v, char *buf, size_t len)
{
	buf[0] = '\0';
	if (v->have_time)
		report_time_span(v->first, v->last, buf, len);
}

static void text_inputs(FILE *out, const struct report_view *v, size_t width)
{
	size_t failed = 0;

	for (size_t i = 0; i < v->ninputs; i++) {
		const struct engine_input *in = &v->inputs[i];

		failed += in->status != INPUT_OK;
		for (unsigned k = 0; k < in->nerrors; k++) {
			char msg[600];

			snprintf(msg, sizeof(msg), "warning: %s: %s", in->name ? in->name : "-",
				 in->errors[k]);
			wrapped(out, msg, 0, 4, width);
		}
		if (in->have_drops && in->dropped)
			fprintf(out,
				"warning: %s: the kernel dropped %" PRIu64 " of %" PRIu64
				" packets: handshakes may be incomplete (raise -B)\n",
				in->name, in->dropped, in->received);
	}
	if (failed) {
		char msg[200], a[48], b[48];

		snprintf(msg, sizeof(msg),
			 "%s of %s failed or stopped early (above): this "
			 "report covers what was read.",
			 fmt_count(failed, a, sizeof(a)),
			 report_count_of(v->ninputs, "input", "inputs", b, sizeof(b)));
		wrapped(out, msg, 0, 4, width);
	}
}

static void text_header(FILE *out, const struct report_view *v, size_t width)
{
	const struct ctr_values *c = &v->counters;
	char what[64], pk[96], range[96], n[6][48];
	const char *line[8];
	size_t k = 0;
	uint64_t filtered = 0;
	bool live = v->ninputs && v->inputs[0].live;

	for (size_t i = 0; i < v->ninputs; i++)
		filtered += v->inputs[i].filtered;
	snprintf(n[0], sizeof(n[0]), "chainsniff %s", CS_VERSION);
	line[k++] = n[0];
	if (v->ninputs || !v->nsensors)
		line[k++] = report_count_of(v->ninputs, live ? "interface" : "file",
					    live ? "interfaces" : "files", what, sizeof(what));
	else
		line[k++] = report_count_of(v->nsensors, "sensor window", "sensor windows", what,
					    sizeof(what));
	report_count_of(report_counter(c, "totals", "packets"), "packet", "packets", pk,
			sizeof(pk));
	if (filtered) {
		size_t o = strlen(pk);

		snprintf(pk + o, sizeof(pk) - o, " (%s removed by the filter -f)",
			 fmt_count(filtered, n[1], sizeof(n[1])));
	}
	line[k++] = pk;
	text_time_range(v, range, sizeof(range));
	if (range[0])
		line[k++] = range;
	dotted(out, line, k, width);

	k = 0;
	snprintf(n[0], sizeof(n[0]), "TLS handshakes %s",
		 fmt_count(report_counter(c, "totals", "tls_handshakes"), n[5], sizeof(n[5])));
	line[k++] = n[0];
	snprintf(n[1], sizeof(n[1]), "chain visible %s",
		 fmt_count(report_counter(c, "totals", "handshakes_with_chain"), n[5],
			   sizeof(n[5])));
	line[k++] = n[1];
	snprintf(n[2], sizeof(n[2]), "TLS 1.3 %s",
		 fmt_count(report_counter(c, "totals", "tls13"), n[5], sizeof(n[5])));
	line[k++] = n[2];
	snprintf(n[3], sizeof(n[3]), "resumed %s",
		 fmt_count(report_counter(c, "totals", "resumed"), n[5], sizeof(n[5])));
	line[k++] = n[3];
	snprintf(n[4], sizeof(n[4]), "incomplete %s",
		 fmt_count(report_counter(c, "totals", "incomplete"), n[5], sizeof(n[5])));
	line[k++] = n[4];
	snprintf(what, sizeof(what), "no certificate %s",
		 fmt_count(report_counter(c, "totals", "no_certificate"), n[5], sizeof(n[5])));
	line[k++] = what;
	dotted(out, line, k, width);
	if (report_counter(c, "totals", "incomplete")) {
		char *buf = NULL;
		size_t blen = 0, nc = counters_count();
		const char *sep = "incomplete handshakes:";
		FILE *m = open_memstream(&buf, &blen);

		for (size_t id = 0; m && id < nc; id++)
			if (!strcmp(counter_group(id), "incomplete_reasons") && c->v[id]) {
				fprintf(m, "%s %s %" PRIu64, sep, counter_key(id), c->v[id]);
				sep = ",";
			}
		if (m && fclose(m) == 0 && buf)
			wrap_escaped(out, buf, 0, 2, width);
		free(buf);
	}
	text_inputs(out, v, width);
}

/* --trust-at: which store judged, and the handshakes judged with today's
 * store for want of a plausible capture date. */
static void text_trust_at(FILE *out, const struct report_view *v, size_t width)
{
	const struct view_trust_at *t = &v->trust_at;
	uint64_t fallback = report_counter(&v->counters, "totals", "trust_at_fallback");
	char line[1200], n[48];
	size_t k;

	if (!v->have_trust || !t->mode || !strcmp(t->mode, "today"))
		return;
	if (!strcmp(t->mode, "capture"))
		k = (size_t)snprintf(line, sizeof(line),
				     "Judged with Mozilla's store as it stood on "
				     "each handshake's capture day");
	else
		k = (size_t)snprintf(line, sizeof(line),
				     "Judged with Mozilla's store as it stood on %s",
				     t->date ? t->date : "another day");
	if (t->have_timeline && k < sizeof(line)) /* the name is escaped with the line */
		k += (size_t)snprintf(line + k, sizeof(line) - k, " (root timeline %s)",
				      t->tl_name);
	if (fallback && k < sizeof(line))
		snprintf(line + k, sizeof(line) - k,
			 "; %s with today's store (capture clock before "
			 "%s or implausible)",
			 report_count_of(fallback, "handshake", "handshakes", n, sizeof(n)),
			 t->have_timeline ? t->tl_start : "the timeline");
	wrapped(out, line, 0, 2, width);
}

static void text_summary(FILE *out, const struct report_view *v, size_t width)
{
	const struct ctr_values *c = &v->counters;
	char a[64], b[48], d[64], e[64], r[48], line[400];

	snprintf(line, sizeof(line),
		 "Servers %s · broken %s (%s, %s) · clients rejecting chains %s",
		 fmt_count(v->nservers, a, sizeof(a)),
		 fmt_count(report_counter(c, "totals", "servers_broken"), b, sizeof(b)),
		 report_count_of(report_counter(c, "totals", "broken_handshakes"), "handshake",
				 "handshakes", d, sizeof(d)),
		 report_count_of(report_broken_clients(v), "client", "clients", e, sizeof(e)),
		 fmt_count(report_counter(c, "totals", "client_rejections"), r, sizeof(r)));
	wrap_escaped(out, line, 0, 2, width);
	if (report_counter(c, "totals", "ok_at_capture_time")) {
		snprintf(line, sizeof(line),
			 "Broken on their capture day: %s (%s) · broken only with "
			 "today's store: %s",
			 report_count_of(report_counter(c, "totals", "servers_broken_then"),
					 "server", "servers", a, sizeof(a)),
			 report_count_of(report_counter(c, "totals", "broken_then"), "handshake",
					 "handshakes", d, sizeof(d)),
			 fmt_count(report_counter(c, "totals", "servers_broken") -
					   report_counter(c, "totals", "servers_broken_then"),
				   b, sizeof(b)));
		wrap_escaped(out, line, 0, 2, width);
	}
	text_trust_at(out, v, width);
	if (v->have_trust && v->trust.sha256) {
		char raw[1400];

		snprintf(raw, sizeof(raw), "Trust store: %s (sha256 %.16s), %s",
			 report_count_of(v->trust.anchors, "anchor", "anchors", a, sizeof(a)),
			 v->trust.sha256, v->trust.name);
		wrapped(out, raw, 0, 2, width);
	} else if (v->have_trust) {
		fputs("Trust store: differs between the reports merged (see \"sensors\" in the JSON)\n",
		      out);
	}
	for (size_t i = 0; i < v->nsensors && i < 10; i++) {
		const struct view_sensor *s = &v->sensors[i];
		char span[96];

		fputs(i ? "         " : "Sensors: ", out);
		esc_term(out, s->sensor, strlen(s->sensor));
		if (s->have) {
			report_time_span(s->first, s->last, span, sizeof(span));
			fprintf(out, "  %s", span);
		}
		fputc('\n', out);
	}
	if (v->nsensors > 10)
		fprintf(out, "         and %zu more\n", v->nsensors - 10);
}

static void key_label(const struct view_key *k, char *buf, size_t len)
{
	char ep[CS_ENDPOINT_STRLEN];
	char *sni = k->has_sni ? term_text(k->sni, k->sni_len) : NULL;

	cs_endpoint_str(&k->ip, k->port, ep, sizeof(ep));
	if (sni)
		snprintf(buf, len, "%s (%s)", sni, ep);
	else
		snprintf(buf, len, "%s", ep);
	free(sni);
}

static void text_key_list(FILE *out, const char *what, const struct view_key *keys, size_t n,
			  size_t width)
{
	char *buf = NULL;
	size_t blen = 0;
	FILE *m;

	if (!n || !(m = open_memstream(&buf, &blen)))
		return;
	fprintf(m, "%s:", what);
	for (size_t i = 0; i < n; i++) {
		char label[1200];

		key_label(&keys[i], label, sizeof(label));
		fprintf(m, " %s%s", label, i + 1 < n ? "," : "");
	}
	if (fclose(m) == 0 && buf) {
		fputs("  ", out);
		wrap_escaped(out, buf, 2, 4, width);
	}
	free(buf);
}

static void text_window(FILE *out, const struct view_window *w, size_t width)
{
	char span[96], nb[64], line[300];

	report_time_span(w->start, w->end, span, sizeof(span));
	snprintf(line, sizeof(line), "Window %s (%s): %s became broken, %zu fixed", span, w->kind,
		 report_count_of(w->n_broken, "server", "servers", nb, sizeof(nb)), w->n_fixed);
	wrap_escaped(out, line, 0, 2, width);
	text_key_list(out, "became broken", w->became_broken, w->n_broken, width);
	text_key_list(out, "fixed", w->fixed, w->n_fixed, width);
}

/* Column widths of the server table. */
struct cols {
	size_t server, sni, bt, clients, problem;
	bool same_day;
};

static void server_label(const struct agg_server *s, char *buf, size_t len)
{
	cs_endpoint_str(&s->ip, s->port, buf, len);
}

/* The table lists the servers broken on their capture day (with today's
 * store and no second look, that is every broken server). */
static bool listed(const struct agg_server *s, const struct report_opts *ro)
{
	return agg_server_broken_then(s) > 0 || ro->all;
}

/* The bytes of a cell's next line of at most width code points: cut
 * after a '.', ':' or '-' in its second half if there is one. */
static size_t cell_cut(const char *rest, size_t width)
{
	size_t b, k;

	if (code_points(rest, strlen(rest)) <= width)
		return strlen(rest);
	b = cp_bytes(rest, width);
	for (k = b; k > b / 2 && !strchr(".:-", rest[k - 1]); k--)
		;
	return k > b / 2 ? k : b;
}

/* Write a cell's next line, padded to width if more follows; advance *rest. */
static void cell_line(FILE *out, const char **rest, size_t width, bool padded)
{
	size_t take = cell_cut(*rest, width);

	fwrite(*rest, 1, take, out);
	if (padded)
		pad(out, width + 1 - code_points(*rest, take));
	*rest += take;
}

/* One table row: a long server label or SNI continues on the next lines
 * of its column, never cut. */
static void text_row(FILE *out, const struct report_view *v, size_t rank,
		     const struct agg_server *s, const struct cols *c)
{
	struct view_problem p;
	struct view_chain vc;
	const struct agg_chain *where;
	char server[CS_ENDPOINT_STRLEN], bt[48], clients[32], when[CS_TIME_STRLEN];
	const char *problem = "-", *srest = server, *nrest;
	char *sni = s->has_sni ? term_text(s->sni, s->sni_len) : NULL;
	uint32_t broken_chains = 0;

	server_label(s, server, sizeof(server));
	nrest = sni ? sni : "-";
	snprintf(bt, sizeof(bt), "%" PRIu64 "/%" PRIu64, s->broken_handshakes, s->handshakes);
	fmt_count(clientset_count(&s->clients), clients, sizeof(clients));
	if (report_main_problem(v, s, &p, &vc, &where))
		problem = p.code;
	else if (!s->handshakes)
		problem = "(no chain visible)";
	fmt_time_s(s->last_seen / CS_NS_PER_SEC, when, sizeof(when));
	when[c->same_day ? 19 : 10] = '\0'; /* HH:MM:SS within one day, else the date */
	fprintf(out, "%3zu  ", rank);
	cell_line(out, &srest, c->server, true);
	cell_line(out, &nrest, c->sni, true);
	fprintf(out, "%*s  %*s  %-*s %s\n", (int)c->bt, bt, (int)c->clients, clients,
		(int)c->problem, problem, c->same_day ? when + 11 : when);
	while (*srest || *nrest) {
		pad(out, 5);
		cell_line(out, &srest, c->server, *nrest != '\0');
		cell_line(out, &nrest, c->sni, false);
		fputc('\n', out);
	}
	free(sni);
	for (uint32_t k = 0; k < s->nchains; k++)
		broken_chains += s->chains[k].broken_handshakes > 0;
	if (broken_chains && broken_chains < s->nchains)
		fprintf(out, "     (%u of %u chains served are broken)\n", broken_chains,
			s->nchains);
}

static void table_widths(const struct report_view *v, const struct report_opts *ro, size_t rows,
			 size_t width, struct cols *c)
{
	size_t fixed, avail, longest_sni = 3, k = 0;

	c->server = strlen("SERVER"), c->bt = strlen("BROKEN/TOTAL"),
	c->clients = strlen("CLIENTS");
	c->problem = strlen("(no chain visible)");
	for (size_t i = 0; i < v->nservers && k < rows; i++) {
		const struct agg_server *s = v->servers[i];
		struct view_problem p;
		struct view_chain vc;
		const struct agg_chain *where;
		char buf[CS_ENDPOINT_STRLEN];

		if (!listed(s, ro))
			continue;
		k++;
		server_label(s, buf, sizeof(buf));
		if (strlen(buf) > c->server)
			c->server = strlen(buf);
		snprintf(buf, sizeof(buf), "%" PRIu64 "/%" PRIu64, s->broken_handshakes,
			 s->handshakes);
		if (strlen(buf) > c->bt)
			c->bt = strlen(buf);
		if (report_main_problem(v, s, &p, &vc, &where) && strlen(p.code) > c->problem)
			c->problem = strlen(p.code);
		if (s->has_sni) {
			char *t = term_text(s->sni, s->sni_len);

			if (t && code_points(t, strlen(t)) > longest_sni)
				longest_sni = code_points(t, strlen(t));
			free(t);
		}
	}
	/* "  #  " server " " SNI " " bt "  " clients "  " problem " " last seen */
	fixed = 5 + 1 + 1 + c->bt + 2 + c->clients + 2 + c->problem + 1 + 10;
	avail = width > fixed + 24 ? width - fixed : 24;
	c->sni = longest_sni;
	if (c->server + c->sni > avail) { /* both wrap, keeping at least 16 and 12 columns
					   * (a narrower terminal gets longer lines) */
		size_t sni_min = longest_sni < 12 ? longest_sni : 12;

		if (c->server > 16 && c->server + sni_min > avail)
			c->server = avail > sni_min + 16 ? avail - sni_min : 16;
		c->sni = avail > c->server + sni_min ? avail - c->server : sni_min;
	}
}

static void text_cert(FILE *out, size_t i, struct cs_cert *cert)
{
	const struct cs_cert_facts *ci = cert_facts(cert);
	char hex[2 * CS_SHA256_LEN + 1], nb[64], na[64];

	hex_lower(cert->sha256, CS_SHA256_LEN, hex);
	fprintf(out, "      [%zu] ", i);
	if (!ci->parsed) {
		fprintf(out, "(unparseable certificate, %zu bytes) sha256 %.16s\n", cert->der_len,
			hex);
		return;
	}
	esc_term(out, ci->subject, strlen(ci->subject));
	fmt_time_s(ci->not_before, nb, sizeof(nb));
	fmt_time_s(ci->not_after, na, sizeof(na));
	fputs("\n          issuer ", out);
	esc_term(out, ci->issuer, strlen(ci->issuer));
	fprintf(out, "\n          valid %s .. %s  sha256 %.16s\n", nb, na, hex);
}

struct colors {
	const char *bold, *reset, *red, *yellow, *green;
};

static void text_problem(FILE *out, const struct agg_server *s, const struct agg_chain *ac,
			 const struct view_problem *vp, const struct view_chain *vc,
			 const struct colors *k, size_t width)
{
	const struct diag_problem *p = &vp->p;
	char msg[REPORT_MSG_LEN], fix[REPORT_FIX_LEN], line[REPORT_FIX_LEN + 16];

	report_words(s, ac, vp, vc, msg, sizeof(msg), fix, sizeof(fix));
	fprintf(out, "    %s%-7s%s %s", p->severity == CS_SEV_ERROR ? k->red : k->yellow,
		severity_name(p->severity), k->reset, vp->code);
	if (p->cert_index >= 0)
		fprintf(out, " (certificate #%d)", p->cert_index);
	fputs("\n      ", out);
	wrapped(out, msg, 6, 6, width);
	snprintf(line, sizeof(line), "fix: %s", fix);
	fputs("      ", out);
	wrapped(out, line, 6, 8, width);
	fprintf(out, "      see docs/problems.md#%s\n", vp->code);
}

static void text_rejections(FILE *out, const struct agg_server *s)
{
	for (uint32_t i = 0; i < s->nrejections; i++) {
		const struct agg_rejection *r = &s->rejections[i];
		char a[48], b[48];

		fprintf(out, "  clients rejected the chain: %s x alert %s from %s",
			fmt_count(r->handshakes, a, sizeof(a)), tls_alert_name(r->alert),
			report_count_of(clientset_count(&r->clients), "client", "clients", b,
					sizeof(b)));
		if (r->nfp)
			fprintf(out, " (JA3 %s, JA4 %s%s)", r->fp[0].ja3, r->fp[0].ja4,
				r->nfp > 1 ? ", ..." : "");
		fputc('\n', out);
	}
	if (agg_rejected_but_judged_ok(s))
		fputs("  NOTE: real clients rejected a chain judged fine here: check their trust "
		      "store, their clock, or a middlebox.\n",
		      out);
}

static void text_server(FILE *out, const struct report_view *v, const struct agg_server *s,
			const struct colors *k, size_t width)
{
	const char *st = report_server_status(s);
	struct view_problem probs[CS_DIAG_MAX_PROBLEMS];
	struct view_chain vc;
	char ep[CS_ENDPOINT_STRLEN], hex[2 * CS_SHA256_LEN + 1], a[48], b[48], c[48];

	server_label(s, ep, sizeof(ep));
	fprintf(out, "\n%s%s%s  SNI ", k->bold, ep, k->reset);
	if (s->has_sni)
		esc_term(out, s->sni, s->sni_len); /* whole, however long */
	else
		fprintf(out, "(%s)", report_sni_status(s));
	fprintf(out, "\n  %s%s%s  broken %" PRIu64 "/%s (%s in all), clients affected %s\n",
		!strcmp(st, "broken") ? k->red
		: !strcmp(st, "ok")   ? k->green
				      : "",
		st, k->reset, s->broken_handshakes,
		report_count_of(s->handshakes, "handshake", "handshakes", a, sizeof(a)),
		report_count_of(s->tls_handshakes, "TLS handshake", "TLS handshakes", b, sizeof(b)),
		fmt_count(clientset_count(&s->clients), c, sizeof(c)));
	text_rejections(out, s);
	for (uint32_t i = 0; i < s->nchains; i++) {
		const struct agg_chain *ac = &s->chains[i];
		size_t np = v->problems(v, s, ac, probs, CS_DIAG_MAX_PROBLEMS, &vc);

		hex_lower(ac->chain->sha256, CS_SHA256_LEN, hex);
		fprintf(out, "  chain %.16s  %s  %s, %" PRIu64 " broken\n", hex,
			report_count_of(ac->chain->n_certs, "cert", "certs", a, sizeof(a)),
			report_count_of(ac->handshakes, "handshake", "handshakes", b, sizeof(b)),
			ac->broken_handshakes);
		for (size_t n = 0; n < ac->chain->n_certs; n++)
			text_cert(out, n, ac->chain->certs[n]);
		for (size_t n = 0; n < np; n++)
			text_problem(out, s, ac, &probs[n], &vc, k, width);
	}
}

static void text_fixes(FILE *out, const struct report_view *v, const struct report_opts *ro,
		       size_t rows, size_t width)
{
	size_t rank = 0;

	fputs("\nFixes\n", out);
	for (size_t i = 0; i < v->nservers && rank < rows; i++) {
		const struct agg_server *s = v->servers[i];
		struct view_problem p;
		struct view_chain vc;
		const struct agg_chain *where;
		char who[CS_ENDPOINT_STRLEN + 4], text[REPORT_MSG_LEN], fix[REPORT_FIX_LEN];
		char *sni, *msg = NULL;
		size_t mlen = 0;
		FILE *m;

		if (!listed(s, ro))
			continue;
		rank++;
		if (!s->broken_handshakes || !report_main_problem(v, s, &p, &vc, &where))
			continue;
		report_words(s, where, &p, &vc, text, sizeof(text), fix, sizeof(fix));
		if (!(m = open_memstream(&msg, &mlen)))
			return;
		server_label(s, who, sizeof(who));
		sni = s->has_sni ? term_text(s->sni, s->sni_len) : NULL;
		fprintf(m, "%s: ", sni ? sni : who);
		free(sni);
		esc_term(m, text, strlen(text));
		fputc(' ', m);
		esc_term(m, fix, strlen(fix));
		fprintf(m, " (docs/problems.md#%s)", p.code);
		if (fclose(m) == 0 && msg) {
			fprintf(out, "%3zu  ", rank);
			wrap_escaped(out, msg, 5, 5, width);
		}
		free(msg);
	}
}

/* The root of the capture's day one of s's chains was valid under. */
static const struct diag_root_then *root_then_of(const struct report_view *v,
						 const struct agg_server *s)
{
	struct view_problem probs[CS_DIAG_MAX_PROBLEMS];
	struct view_chain vc;

	for (uint32_t k = 0; k < s->nchains; k++) {
		v->problems(v, s, &s->chains[k], probs, CS_DIAG_MAX_PROBLEMS, &vc);
		if (vc.then)
			return vc.then;
	}
	return NULL;
}

/* Servers broken only with today's store: fine on their capture day, their
 * root has left the store since (ok_at_capture_time). */
static void text_root_left(FILE *out, const struct report_view *v, const struct report_opts *ro,
			   size_t width)
{
	char who[CS_ENDPOINT_STRLEN], line[1200], day[CS_TIME_STRLEN];
	size_t listed_n = 0;

	fputs("\nFine on their capture day, broken with today's store (their root has left it)\n",
	      out);
	for (size_t i = 0; i < v->nservers; i++) {
		const struct agg_server *s = v->servers[i];
		const struct diag_root_then *rt;
		size_t k;

		if (!s->broken_handshakes || agg_server_broken_then(s) ||
		    (ro->top && ++listed_n > ro->top))
			continue;
		server_label(s, who, sizeof(who));
		k = (size_t)snprintf(line, sizeof(line), "%s  ", who);
		if (s->has_sni && k < sizeof(line))
			k += (size_t)snprintf(line + k, sizeof(line) - k, "%.*s  ", (int)s->sni_len,
					      s->sni);
		if (k < sizeof(line))
			snprintf(line + k, sizeof(line) - k, "%" PRIu64 "/%" PRIu64,
				 s->broken_handshakes, s->handshakes);
		fputs("     ", out);
		wrapped(out, line, 5, 7, width);
		if (!(rt = root_then_of(v, s)))
			continue;
		fmt_time_s(rt->left_at, day, sizeof(day));
		snprintf(line, sizeof(line), "root %s, left Mozilla's store %.10s%s%s%s", rt->label,
			 day, rt->left_release[0] ? " (" : "", rt->left_release,
			 rt->left_release[0] ? ")" : "");
		fputs("          ", out);
		wrapped(out, line, 10, 10, width);
	}
	if (ro->top && listed_n > ro->top)
		fprintf(out, "  and %zu more (--top 0 lists them all)\n", listed_n - ro->top);
}

void report_view_text(FILE *out, const struct report_view *v, const struct report_opts *ro)
{
	static const struct colors plain = {"", "", "", "", ""};
	static const struct colors ansi = {"\033[1m", "\033[0m", "\033[31m", "\033[33m",
					   "\033[32m"};
	size_t width = width_of(ro), rows = 0, rank = 0;
	bool ok_then = report_counter(&v->counters, "totals", "ok_at_capture_time") > 0;
	struct cols c;

	if (v->window)
		text_window(out, v->window, width);
	text_header(out, v, width);
	text_summary(out, v, width);
	for (size_t i = 0; i < v->nservers; i++)
		rows += listed(v->servers[i], ro) && (!ro->top || rows < ro->top);
	if (rows == 0) {
		fprintf(out, "\nNo %s seen%s.\n",
			ok_then ? "chain broken on its capture day" : "broken chain",
			ro->all ? "" : " (--all lists every server)");
	} else {
		table_widths(v, ro, rows, width, &c);
		c.same_day = v->have_time && v->first / (86400 * CS_NS_PER_SEC) ==
						     v->last / (86400 * CS_NS_PER_SEC);
		fprintf(out, "\n  #  %-*s %-*s %*s  %*s  %-*s %s\n", (int)c.server, "SERVER",
			(int)c.sni, "SNI", (int)c.bt, "BROKEN/TOTAL", (int)c.clients, "CLIENTS",
			(int)c.problem, "PROBLEM", "LAST SEEN");
		for (size_t i = 0; i < v->nservers && rank < rows; i++)
			if (listed(v->servers[i], ro))
				text_row(out, v, ++rank, v->servers[i], &c);
		text_fixes(out, v, ro, rows, width);
	}
	if (ok_then)
		text_root_left(out, v, ro, width);
	if (ro->details) {
		fputs("\nDetails\n", out);
		for (size_t i = 0; i < v->nservers; i++)
			if (v->servers[i]->handshakes > 0)
				text_server(out, v, v->servers[i], ro->color ? &ansi : &plain,
					    width);
	}
}
